#!/usr/bin/perl
# Without wake-up sockets (issue 18): a master short of file descriptors
# makes none rather than leave nginx none for its own channels, says so,
# and its workers look at the zone on the old 5 ms tick instead, so that a
# callback handled by one worker still releases requests held by the other.
# nginx runs under "ulimit -Sn 40" (a wrapper script), its workers with
# worker_rlimit_nofile 4096.
use v5.36;
use Test::More;
use File::Temp ();
use Time::HiRes qw(time sleep);
use lib 't/lib';
use NginxTest;
use PushTest;

my $real = $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx';
my $dir = File::Temp::tempdir('wake-fallback-XXXXXX', TMPDIR => 1,
                              CLEANUP => 1);
open my $fh, '>', "$dir/nginx" or die "$dir/nginx: $!";
print $fh "#!/bin/sh\nulimit -Sn 40\nexec $real \"\$\@\"\n";
close $fh;
chmod 0755, "$dir/nginx";
local $ENV{TEST_NGINX_BINARY} = "$dir/nginx";

my $PROTECTED = <<'EOF';
push_approval_mode hold;
        push_approval_poll 0;
        push_approval_timeout 30s;
EOF

my $HTTP = <<'EOF';
log_format fallback '$pid "$uri"';
EOF

my $SERVER = <<'EOF';
listen 127.0.0.1:%%PORT2%% reuseport;
    access_log %%PREFIX%%/logs/fallback.log fallback;
EOF

my ($t, $sb) = PushTest::setup(provider => 'verify', workers => 2,
                               protected => $PROTECTED, http => $HTTP,
                               server => $SERVER,
                               start => { main => 'worker_rlimit_nofile 4096;' });
$sb->config(verify_callback_url =>
            'http://127.0.0.1:' . $t->port(1) . '/_push/callback');

like($t->read_file('logs/stderr.log') . $t->error_log,
     qr/wake-up sockets for 0 of 16 process slots only/,
     'the master says it made no wake-up sockets');

my $N = 16;
my @users = map { sprintf 'fall-%05d', $_ } 1 .. $N;
$sb->add_entity($_) for @users;
my %h = map {
    ($_ => $t->send('GET', '/p/index.html', port => $t->port(1),
                    headers => { 'X-User' => $_ }))
} @users;
my %id;
my $deadline = time + 10;
while (keys %id < $N && time < $deadline) {
    sleep 0.05;
    for my $a (@{ $sb->approvals }) {
        $id{ $a->{identity} } = $a->{id}
            if exists $h{ $a->{identity} } && $a->{status} eq 'pending';
    }
}
is(scalar keys %id, $N, "$N pushes");
sleep 0.2;

for my $u (@users) {
    is($sb->decide($id{$u}, 'approved', callback => 1), 200, "$u: decided")
        or next;
    my $r = $t->read($h{$u}, 5);
    is($r && $r->{status}, 200, "$u: released");
}

my (%held_by, %cb_by);
for my $l (split /\n/, $t->read_file('logs/fallback.log')) {
    my ($pid, $uri) = $l =~ /^(\d+) "([^"]*)"/ or next;
    $held_by{$pid}++ if $uri eq '/p/index.html';
    $cb_by{$pid}++ if $uri eq '/_push/callback';
}
is(scalar keys %held_by, 2, 'requests held in both workers');
is(scalar keys %cb_by, 2, 'callbacks handled by both workers');
unlike($t->error_log, qr/push approval wake-up/, 'no wake-up datagrams');
like($t->error_log, qr/event timer add: -1: 5:/, 'the 5 ms tick instead');

$t->done_testing;
