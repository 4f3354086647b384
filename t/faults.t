#!/usr/bin/perl

# Faults: a provider answer cut mid-body, an answer larger than the module
# keeps, a zone far too small for the load, a worker killed while
# requests are held.

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use Time::HiRes qw(sleep time);
use PushTest;

my ($t, $sb) = PushTest::setup(workers => 2,
    zone => 'push_approval_zone zone=pa:64k;',
    protected => 'push_approval_mode hold;
                  push_approval_poll 50ms;
                  push_approval_timeout 60s;
                  push_approval_limit rate=100/m cooldown=0;
                  push_approval_scope $http_x_scope;');

my %user = PushTest::user('verify');

# an answer cut mid-body, and one larger than 64 KB: fail closed

$sb->fail(count => 1, path => 'Challenges', mode => 'truncate');
is($t->get('/p/', headers => { %user, 'X-Scope' => 'cut' })->{status}, 503,
   'a create answer cut mid-body fails closed');

my $big = '{"sid":"YC' . ('0' x 32) . '","status":"pending","pad":"'
    . ('x' x 100_000) . '"}';
$sb->fail(count => 1, path => 'Challenges', mode => 'malformed', body => $big);
is($t->get('/p/', headers => { %user, 'X-Scope' => 'big' })->{status}, 503,
   'an answer over the size limit fails closed');
like($t->error_log, qr/provider failed to create/, 'and is logged');

# a zone far too small for the load: entries are evicted, a pending
# approval with a request waiting is spared, nothing crashes

my @before = known();
my $h = $t->send('GET', '/p/', headers => { %user, 'X-Scope' => 'live' });
my $live = $sb->wait_approval(identity => 'alice-0001', timeout => 5,
                              exclude => \@before);

my @ids = map { sprintf 'user-%05d', $_ } 1 .. 400;
$sb->add_entity($_, 'verified') for @ids;
$sb->auto(status => 'approved', delay => 0.02);

my $ok = 0;
while (my @batch = splice @ids, 0, 10) {
    my @hs = map { $t->send('GET', '/p/', headers => { 'X-User' => $_ }) } @batch;
    my $r = $t->read(\@hs, 15);
    $ok += grep { $_ && $_->{status} == 200 } @$r;
    diag('not 200: ', join ' ', map { $_ ? $_->{status} : 'none' }
                                grep { !$_ || $_->{status} != 200 } @$r)
        if grep { !$_ || $_->{status} != 200 } @$r;
}
$sb->auto(status => 'none');
is($ok, 400, '400 identities approved through a 64 KB zone');

my $entries = PushTest::metric($t, 'nginx_push_approval_zone_entries');
ok($entries > 0 && $entries < 1600, "entries were evicted ($entries left)");

$sb->decide($live->{id}, 'approved', callback => 0);
my $r = $t->read($h, 5);
is($r && $r->{status}, 200, 'the pending approval survived the eviction');

# a worker killed while requests are held: the master starts another, the
# zone is not left locked, the next requests work

my @old = known();
my @held = map { $t->send('GET', '/p/', headers => { %user, 'X-Scope' => 'kill' }) }
    1 .. 6;
my $ap = $sb->wait_approval(identity => 'alice-0001', timeout => 5,
                            exclude => \@old);
sleep 0.2;
my @workers = $t->worker_pids;
$t->allow(qr/exited on signal 9/);
kill 'KILL', $workers[0];
my @now = $t->wait_workers(2, $workers[0]);
ok(!grep({ $_ == $workers[0] } @now), 'the master started a new worker');

$sb->decide($ap->{id}, 'approved', callback => 0);
$r = $t->read(\@held, 5);
my $released = grep { $_ && $_->{status} == 200 } @$r;
my $dropped = grep { !$_ } @$r;
is($released + $dropped, 6,
   "held requests are released ($released) or went with their worker ($dropped)");

my @after = map { $t->send('GET', '/p/', headers => { %user, 'X-Scope' => "after$_" }) }
    1 .. 4;
sleep 0.3;
for my $a (@{ $sb->approvals(identity => 'alice-0001') }) {
    $sb->decide($a->{id}, 'approved', callback => 0) if $a->{status} eq 'pending';
}
$r = $t->read(\@after, 5);
is(scalar(grep { $_ && $_->{status} == 200 } @$r), 4,
   'new requests on both workers work after the kill');

$t->done_testing;

sub known {
    return map { $_->{id} } @{ $sb->approvals(identity => 'alice-0001') };
}
