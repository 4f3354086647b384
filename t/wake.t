#!/usr/bin/perl
# Waiting is event-driven (issue 18): nginx with two workers, hold mode and
# push_approval_poll 0, so only callbacks decide.  Many requests of distinct
# identities wait; while nothing happens no worker wakes up at all (no tick);
# each callback releases exactly its own request, whichever worker holds it
# and whichever handles the callback (the other worker learns it from a
# datagram, not from a timer); the same across a reload, where old workers
# keep their held requests, after a worker is killed, and beside cache
# helper processes.
use v5.36;
use Test::More;
use Time::HiRes qw(time sleep);
use List::Util qw(shuffle sum);
use lib 't/lib';
use PushTest;

my $PROTECTED = <<'EOF';
push_approval_mode hold;
        push_approval_poll 0;
        push_approval_timeout 60s;
EOF

my $HTTP = <<'EOF';
log_format wake '$pid $status "$uri" "$http_x_user"';
EOF

# PORT2 with reuseport: connections spread over both workers by the kernel
my $SERVER = <<'EOF';
listen 127.0.0.1:%%PORT2%% reuseport;
    access_log %%PREFIX%%/logs/wake.log wake;
EOF

my ($t, $sb) = PushTest::setup(provider => 'verify', workers => 2,
                               protected => $PROTECTED,
                               http => $HTTP, server => $SERVER);

# callbacks reach either worker too
$sb->config(verify_callback_url =>
            'http://127.0.0.1:' . $t->port(1) . '/_push/callback');

my $seq = 0;

subtest 'idle, then each callback releases its own request' => sub {
    my $N = 40;
    my ($h, $id) = hold($N);

    # ---- nothing changes: no worker wakes up ------------------------------
    my @w = $t->worker_pids;
    is(scalar @w, 2, 'two workers');
    my %before = map { $_ => switches($_) } @w;
    sleep 1;
    my %woke = map { $_ => switches($_) - $before{$_} } @w;
    cmp_ok($woke{$_}, '<=', 3, "worker $_ woke $woke{$_} times in 1 s idle")
        for @w;

    # ---- decisions in random order, each releasing only its own ---------
    my @order = shuffle keys %$h;
    my $i = 0;
    my @took;
    for my $u (@order) {
        my $status = $i++ % 2 ? 'denied' : 'approved';
        my $t0 = time;
        is($sb->decide($id->{$u}, $status, callback => 1), 200,
           "$u: sandbox decides $status") or next;
        my $r = $t->read($h->{$u}, 5);
        push @took, time - $t0;
        is($r && $r->{status}, $status eq 'approved' ? 200 : 403,
           "$u: released $status");
        delete $h->{$u};

        # half way: every other request still held
        if ($i == $N / 2) {
            is(held(), $N / 2, 'the other half still held');
            ok(!grep({ !$t->quiet($h->{$_}, 0) } keys %$h),
               'and none of them answered');
        }
    }
    is(held(), 0, 'nothing left held');
    diag(sprintf 'release after the sandbox decided: max %.1f ms',
         1000 * (sort { $b <=> $a } @took)[0]);

    # ---- both workers held requests and handled callbacks, and the
    # other worker was woken by a datagram each time ---------------------
    my (%held_by, %cb_by);
    for my $l (split /\n/, $t->read_file('logs/wake.log')) {
        my ($pid, $uri) = $l =~ /^(\d+) \d+ "([^"]*)"/ or next;
        $held_by{$pid}++ if $uri eq '/p/index.html';
        $cb_by{$pid}++ if $uri eq '/_push/callback';
    }
    is(scalar keys %held_by, 2, 'requests held in both workers')
        or diag explain \%held_by;
    is(scalar keys %cb_by, 2, 'callbacks handled by both workers')
        or diag explain \%cb_by;

    my @wake = $t->error_log =~ /push approval wake-up, all:(\d)/g;
    cmp_ok(scalar @wake, '>=', $N, 'one wake-up datagram per decision at'
           . ' least (and per created push)');
    is(scalar(grep { $_ } @wake), 0, 'each for one key, none for all');
    unlike($t->error_log, qr/event timer add: -1: 5:/,
           'no 5 ms tick was ever armed');
};

subtest 'reload: old workers keep their requests, woken by new ones' => sub {
    my $N = 10;
    my ($h, $id) = hold($N);
    my @old = $t->worker_pids;
    my $log = length $t->read_file('logs/error.log');

    my @new = $t->reload;
    is(scalar @new, 2, 'two new workers');
    is(held(), $N, "$N still held by the old workers");

    for my $u (keys %$h) {
        is($sb->decide($id->{$u}, 'approved', callback => 1), 200,
           "$u: decided") or next;
        my $r = $t->read($h->{$u}, 5);
        is($r && $r->{status}, 200, "$u: released by the new workers' callback");
    }

    # the callbacks reached only new workers (old ones stopped accepting);
    # the old ones learnt the decisions from datagrams
    my %old = map { $_ => 1 } @old;
    my $tail = substr($t->read_file('logs/error.log'), $log);
    my @woken = grep { $old{$_} }
                $tail =~ /\[debug\] (\d+)#\d+: push approval wake-up/g;
    cmp_ok(scalar @woken, '>=', $N, 'old workers woken by datagrams');
    is(held(), 0, 'nothing left held');
};

subtest 'a killed worker is replaced and woken like the others' => sub {
    my @w = $t->worker_pids;
    $t->allow(qr/worker process \d+ exited on signal 9/);
    kill 'KILL', $w[0];
    my @now = $t->wait_workers(2, $w[0]);
    is(scalar @now, 2, 'a new worker took its place');

    my $N = 10;
    my ($h, $id) = hold($N);
    for my $u (keys %$h) {
        is($sb->decide($id->{$u}, 'approved', callback => 1), 200,
           "$u: decided") or next;
        my $r = $t->read($h->{$u}, 5);
        is($r && $r->{status}, 200, "$u: released");
    }
    is(held(), 0, 'nothing left held');
};

subtest 'with cache helper processes in slots of their own' => sub {
    # the cache manager and loader take process slots too, and are sent
    # wake-ups like the workers: they read and drop them
    $t->reload(PushTest::config(
        provider => 'verify', sb => $sb, protected => $PROTECTED,
        http => $HTTP . "proxy_cache_path %%PREFIX%%/cache keys_zone=c:1m;",
        server => $SERVER));
    my %helper = map { /^\s*(\d+)/ ? ($1 => 1) : () }
                 grep { /cache (?:manager|loader)/ }
                 split /\n/, `ps -o pid=,args= --ppid ${\ $t->master_pid }`;
    is(scalar keys %helper, 2, 'a cache manager and a cache loader run');
    my $log = length $t->read_file('logs/error.log');

    my $N = 10;
    my ($h, $id) = hold($N);
    for my $u (keys %$h) {
        is($sb->decide($id->{$u}, 'denied', callback => 1), 200,
           "$u: decided") or next;
        my $r = $t->read($h->{$u}, 5);
        is($r && $r->{status}, 403, "$u: released");
    }
    is(held(), 0, 'nothing left held');
    my $tail = substr($t->read_file('logs/error.log'), $log);
    my @read = grep { $helper{$_} }
               $tail =~ /\[debug\] (\d+)#\d+: push approval wake-up/g;
    cmp_ok(scalar @read, '>=', $N, 'the helpers read their wake-ups');
};

$t->done_testing;

# $n new identities, one held request each: ({user => handle}, {user => id})
sub hold ($n) {
    my @users = map { sprintf 'wake-%05d', ++$seq } 1 .. $n;
    $sb->add_entity($_) for @users;
    my %h = map {
        ($_ => $t->send('GET', '/p/index.html', port => $t->port(1),
                        headers => { 'X-User' => $_ }))
    } @users;
    my $deadline = time + 10;
    sleep 0.02 while held() < $n && time < $deadline;
    is(held(), $n, "$n requests of $n identities held");
    my %id;
    $deadline = time + 10;
    while (keys %id < $n && time < $deadline) {
        sleep 0.05;
        for my $a (@{ $sb->approvals }) {
            $id{ $a->{identity} } = $a->{id}
                if exists $h{ $a->{identity} } && $a->{status} eq 'pending';
        }
    }
    is(scalar keys %id, $n, "$n pushes");

    # and nginx has taken in every create answer
    sleep 0.2;
    return (\%h, \%id);
}

sub held () {
    return PushTest::metric($t, 'nginx_push_approval_held_requests',
                            zone => 'pa') // -1;
}

# times the process went to sleep and was woken again
sub switches ($pid) {
    open my $fh, '<', "/proc/$pid/status" or return -1;
    local $/;
    my $s = <$fh>;
    my ($v) = $s =~ /^voluntary_ctxt_switches:\s+(\d+)/m;
    my ($nv) = $s =~ /^nonvoluntary_ctxt_switches:\s+(\d+)/m;
    return $v + $nv;
}
