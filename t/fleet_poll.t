#!/usr/bin/perl
# The fleet's poll budget (SPEC 14, item 3): hosts A and B on one
# redis-server, push_approval_poll 1s, no callbacks.  A request held on A
# and one on B share one approval (same identity, scope and address): the
# provider is asked about it at most once a second for the whole fleet,
# not once a second per host, and the decision the polling host learns
# releases both.
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

my %o = (
    protected => 'push_approval_poll 1s; push_approval_mode hold; '
                 . 'push_approval_timeout 20s;',
    http => "push_approval_store zone=pa redis://127.0.0.1:$PORT;",
);

my ($A, $sb) = PushTest::setup(%o);
my $B = NginxTest->new(workers => 2);
PushTest::prepare($B, $sb);
$B->write_file('secret', $A->read_file('secret'));
$B->start(PushTest::config(%o, sb => $sb));

for my $t ($A, $B) {
    my $deadline = time + 5;
    sleep 0.05 while time < $deadline
        && (PushTest::metric($t, 'nginx_push_approval_store_up',
                             zone => 'pa') // 0) != 1;
}

my $id = 'poll-0001';
$sb->add_entity($id);

my $ha = $A->send('GET', '/p/index.html', headers => { 'X-User' => $id });
my $a = $sb->wait_approval(identity => $id);
my $hb = $B->send('GET', '/p/index.html', headers => { 'X-User' => $id });
ok($B->quiet($hb, 0.3), 'B holds its request for the same approval');
is(scalar @{ $sb->approvals(identity => $id) }, 1, 'one push');

my $t0 = time;
sleep 4.5;
my $polls = grep { $_->{path} =~ /\Q$a->{id}\E/ }
            @{ $sb->calls(method => 'GET') };
my $took = time - $t0;
cmp_ok($polls, '<=', int($took) + 2,
       "$polls status polls in ${\ sprintf '%.1f', $took} s for the fleet"
       . ' (two hosts polling alone: twice as many)');
cmp_ok($polls, '>=', 2, 'but polled');
my $local = 0;
$local += PushTest::metric($_, 'nginx_push_approval_polls_total',
                           zone => 'pa') for $A, $B;
is($local, $polls, 'the hosts count the polls they made');

$sb->decide($a->{id}, 'approved', callback => 0);
my $ra = $A->read($ha, 4);
my $rb = $B->read($hb, 4);
is($ra && $ra->{status}, 200, 'A released by the poll');
is($rb && $rb->{status}, 200, 'B released too');

$B->stop;
ok(!$B->problems, 'no alerts on B');
$A->done_testing;
