#!/usr/bin/perl
# Binary upgrade (USR2) with the wake-up socket pairs (issue 18): the
# master makes them close-on-exec, so the new master makes its own and
# holds no more sockets than the old one; both generations run side by side
# without alerts; once the old one is gone, the new one holds requests in
# its two workers and releases them by callbacks, whichever worker handles
# them.  nginx ignores USR2 unless its master is a daemon: this file starts
# nginx with "daemon on" itself and stops both masters at the end.
use v5.36;
use Test::More;
use Time::HiRes qw(time sleep);
use lib 't/lib';
use NginxTest;
use PushTest;
use Sandbox;

my $sb = Sandbox->start(seed => 1);
my $t = NginxTest->new(workers => 2);
PushTest::prepare($t, $sb);
my $p = $t->prefix;

my $conf = $t->full_config(PushTest::config(
    sb => $sb, provider => 'verify',
    protected => "push_approval_mode hold;\n"
               . "        push_approval_poll 0;\n"
               . "        push_approval_timeout 30s;\n"
               . "        push_approval_scope \$http_x_scope;",
    server => "listen 127.0.0.1:%%PORT2%% reuseport;"),
    # the new binary gets only the environment nginx passes on
    main => $ENV{TEST_NGINX_ASAN}
            ? "env LD_PRELOAD;\nenv ASAN_OPTIONS;\nenv UBSAN_OPTIONS;" : '');
$conf =~ s/daemon off;/daemon on;/ or die 'no daemon line';
$t->write_file('conf/nginx.conf', $conf);

my @masters;
END { kill 'QUIT', @masters if @masters }

{
    local %ENV = %ENV;
    NginxTest::sanitizer_env() if $ENV{TEST_NGINX_ASAN};
    system($t->{binary}, '-p', "$p/", '-c', "$p/conf/nginx.conf") == 0
        or BAIL_OUT('nginx did not start');
}
# the daemon writes its pid file after the starting process has returned
my $old;
for (1 .. 200) {
    last if $old = pid_file();
    select undef, undef, undef, 0.05;
}
push @masters, $old if $old;
ok($old, "old master $old");
$sb->config(verify_callback_url =>
            'http://127.0.0.1:' . $t->port(1) . '/_push/callback');
wait_port();

# ---- USR2: a new master next to the old one -------------------------------
kill 'USR2', $old;
my $new;
my $deadline = time + 10;
while (time < $deadline) {
    my $n = pid_file();
    if ($n && $n != $old) {
        $new = $n;
        last;
    }
    sleep 0.05;
}
ok($new, 'new master ' . ($new // '-')) or BAIL_OUT('no new master');
push @masters, $new;
$deadline = time + 10;
sleep 0.05 while workers($new) < 2 && time < $deadline;
is(workers($new), 2, 'the new master runs two workers');
is(sockets($new), sockets($old),
   'the new master holds as many sockets as the old one (none inherited)');

# ---- the old generation goes, the new one waits and wakes -----------------
kill 'QUIT', $old;
$deadline = time + 10;
sleep 0.05 while kill(0, $old) && time < $deadline;
ok(!kill(0, $old), 'the old master is gone');
@masters = ($new);

my $user = $PushTest::IDENTITY{verify};
my @h = map {
    $t->send('GET', '/p/index.html', port => $t->port(1),
             headers => { 'X-User' => $user, 'X-Scope' => 'up' })
} 1 .. 6;
my $a = $sb->wait_approval(identity => $user);
sleep 0.2;
is($sb->decide($a->{id}, 'approved', callback => 1), 200, 'decided');
my $r = $t->read(\@h, 5);
is(scalar(grep { $_ && $_->{status} == 200 } @$r), 6,
   'all six released by the callback');

kill 'QUIT', $new;
$deadline = time + 10;
sleep 0.05 while kill(0, $new) && time < $deadline;
@masters = ();

my $log = $t->read_file('logs/error.log');
my @bad = $log =~ /^(.*\[(?:alert|emerg|crit)\].*)$/mg;
ok(!@bad, 'no alerts, emergencies or critical errors')
    or diag join "\n", @bad[0 .. ($#bad < 9 ? $#bad : 9)];
my @san = $log =~ /^(.*(?:AddressSanitizer|runtime error:).*)$/mg;
ok(!@san, 'no sanitizer reports') or diag join "\n", @san;
done_testing();

sub pid_file () {
    my ($pid) = ($t->read_file('logs/nginx.pid') // '') =~ /(\d+)/;
    return $pid;
}

sub wait_port () {
    my $until = time + 10;
    while (time < $until) {
        return if IO::Socket::IP->new(PeerHost => '127.0.0.1',
                                      PeerPort => $t->port);
        sleep 0.05;
    }
    BAIL_OUT('nginx does not listen');
}

sub workers ($master) {
    my @w = grep { /worker process/ && !/shutting/ }
            `ps -o args= --ppid $master`;
    return scalar @w;
}

sub sockets ($pid) {
    my $n = 0;
    for my $fd (glob "/proc/$pid/fd/*") {
        my $l = readlink $fd // next;
        $n++ if $l =~ /^socket:/;
    }
    return $n;
}
