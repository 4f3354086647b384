#!/usr/bin/perl
# What a fleet on one store shares (SPEC 14, items 1, 4): three nginx
# hosts, A, B and C, each with its own zone, on one redis-server; the
# provider calls back host B only.
#
# - 1,000 concurrent requests of one identity from one client address,
#   spread over the three hosts: exactly one create call at the provider,
#   and every request released by the one approval;
# - a request on B joins the push A made (no new push);
# - push_approval_limit rate=3/m: three hosts round-robin allow exactly 3
#   pushes per identity per minute together (the 4th gets 429 with
#   Retry-After, on whichever host);
# - the cooldown after a denial on A holds on B and C;
# - the approval remembers its client address on every host (cookie-less);
# - a decided approval is never joined again: the next request after an
#   approval's decision, from another address on another host, gets a push
#   of its own.
use v5.36;
use Test::More;
use Time::HiRes qw(time sleep);
use lib 't/lib';
use NginxTest;
use PushTest;
use Redis;

plan skip_all => 'no redis-server' unless Redis::available();

my $redis = Redis->start;
my $PORT = $redis->port;

my $server = <<'END';
    location /l/ {
        push_approval zone=pa;
        push_approval_code on;
        push_approval_scope $arg_s;
        push_approval_limit rate=3/m cooldown=60s;
        alias %%PREFIX%%/html/p/;
    }
END

my %o = (
    protected => 'push_approval_poll 0; push_approval_mode hold; '
                 . 'push_approval_timeout 20s;',
    http => "push_approval_store zone=pa redis://127.0.0.1:$PORT;",
    server => $server,
);

my ($A, $sb) = PushTest::setup(%o);
my @hosts = ($A);
for (1 .. 2) {
    my $t = NginxTest->new(workers => 2);
    PushTest::prepare($t, $sb);
    $t->write_file('secret', $A->read_file('secret'));
    $t->start(PushTest::config(%o, sb => $sb));
    push @hosts, $t;
}
my (undef, $B, $C) = @hosts;

$sb->config(verify_callback_url => $B->url('/_push/callback'));

for my $t (@hosts) {
    my $deadline = time + 5;
    sleep 0.05 while time < $deadline
        && (PushTest::metric($t, 'nginx_push_approval_store_up',
                             zone => 'pa') // 0) != 1;
}

my $n = 0;
sub user () {
    my $id = sprintf 'shared-%04d', ++$n;
    $sb->add_entity($id);
    return $id;
}

sub pushes ($id) { return scalar @{ $sb->approvals(identity => $id) } }

# ---- 1,000 concurrent requests over three hosts: one create ---------------------

{
    my $id = user();
    my @h;
    for my $i (0 .. 999) {
        my $t = $hosts[$i % 3];
        push @h, [$t, $t->send('GET', '/p/index.html',
                               headers => { 'X-User' => $id })];
    }
    my $a = $sb->wait_approval(identity => $id, timeout => 20);
    ok($a, 'a push for the 1,000 requests');

    # every host has joined before the decision
    my $deadline = time + 20;
    while (time < $deadline) {
        my $held = 0;
        $held += PushTest::metric($_, 'nginx_push_approval_held_requests',
                                  zone => 'pa') // 0 for @hosts;
        last if $held >= 1000;
        sleep 0.1;
    }

    is(pushes($id), 1, 'exactly one push for the fleet');
    $sb->decide($a->{id}, 'approved');

    my $ok = 0;
    for my $t (@hosts) {
        my @mine = map { $_->[1] } grep { $_->[0] == $t } @h;
        my $r = $t->read(\@mine, 20);
        $ok += grep { $_ && $_->{status} == 200 } @$r;
    }
    is($ok, 1000, 'all 1,000 released by the one approval');
    is(pushes($id), 1, 'still one push');
}

# ---- a request on B joins the push A made -----------------------------------------

{
    my $id = user();
    my $ha = $A->send('GET', '/p/index.html', headers => { 'X-User' => $id });
    my $a = $sb->wait_approval(identity => $id);
    my $hb = $B->send('GET', '/p/index.html', headers => { 'X-User' => $id });
    ok($B->quiet($hb, 0.5), 'B holds its request');
    is(pushes($id), 1, 'B joined the push A made');
    $sb->decide($a->{id}, 'approved');
    my $ra = $A->read($ha, 5);
    my $rb = $B->read($hb, 5);
    is($ra && $ra->{status}, 200, 'A released');
    is($rb && $rb->{status}, 200, 'B released by the same approval');

    # the approval remembers the address: on C too, with no push
    my $r = $C->get('/p/index.html', timeout => 3,
                    headers => { 'X-User' => $id });
    is($r && $r->{status}, 200, 'cookie-less and remembered on C');
    is(pushes($id), 1, 'with no new push');

    # decided: from another address, on C, a push of its own
    my $hc = $C->send('GET', '/p/index.html', from => '127.0.0.2',
                      headers => { 'X-User' => $id });
    my $c = eval {
        $sb->wait_approval(identity => $id, exclude => [$a->{id}])
    };
    ok($c, 'a decided approval is not joined again');
    $sb->decide($c->{id}, 'approved') if $c;
    my $rc = $C->read($hc, 5);
    is($rc && $rc->{status}, 200, 'C released by its own');
}

# ---- limits across hosts ---------------------------------------------------------

{
    my $id = user();
    my @st;
    for my $i (0 .. 5) {
        my $t = $hosts[$i % 3];
        my $r = $t->get("/l/index.html?s=$i", headers => { 'X-User' => $id });
        push @st, $r->{status};
        if ($r->{status} == 429) {
            like($r->{headers}{'retry-after'} // '', qr/^\d+$/,
                 "429 on host " . qw(A B C)[$i % 3] . ' with Retry-After');
        }
    }
    is("@st", '401 401 401 429 429 429',
       'rate=3/m: exactly three pushes for the fleet, round-robin');
    is(pushes($id), 3, 'three pushes');

    $sb->decide($_->{id}, 'approved') for @{ $sb->approvals(identity => $id) };
}

# ---- the cooldown after a denial ---------------------------------------------------

{
    my $id = user();
    my $r = $A->get('/l/index.html?s=x', headers => { 'X-User' => $id });
    is($r->{status}, 401, 'a push from A');
    my $a = $sb->wait_approval(identity => $id);
    $sb->decide($a->{id}, 'denied');
    sleep 0.2;

    for my $t ($B, $C) {
        my $r2 = $t->get('/l/index.html?s=y', headers => { 'X-User' => $id });
        is($r2->{status}, 403, 'the cooldown holds on another host');
        cmp_ok($r2->{headers}{'retry-after'} // 0, '>', 50,
               'with Retry-After');
    }
    is(pushes($id), 1, 'no new push during the cooldown');
}

$_->stop for $B, $C;
ok(!$B->problems && !$C->problems, 'no alerts on B and C');
$A->done_testing;
