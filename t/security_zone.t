#!/usr/bin/perl

# Attack: zone exhaustion.  Address entries, one per approved client
# address, once pushed other users' push limits and cooldowns out of a full
# zone, and the victim could be push-bombed again.  The attacker here has
# accounts of his own and approves on his own phones from a few hundred
# addresses; the victim denied a push and is in its cooldown.  Pending
# approvals, limits and cooldowns never give way to address entries.

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use PushTest;

my ($t, $sb) = PushTest::setup(workers => 2,
    zone => 'push_approval_zone zone=pa:64k;',
    protected => 'push_approval_mode hold;
                  push_approval_poll 50ms;
                  push_approval_timeout 20s;
                  push_approval_limit rate=100/m cooldown=600s;');

my %victim = PushTest::user('verify');

# the victim denies a push: 10 minutes of cooldown

my $h = $t->send('GET', '/p/', headers => { %victim });
my $ap = $sb->wait_approval(identity => 'alice-0001', timeout => 5);
$sb->decide($ap->{id}, 'denied', callback => 0);
is($t->read($h, 5)->{status}, 403, 'the victim denies');

my $r = $t->get('/p/', headers => { %victim });
is($r->{status}, 403, 'cooldown: 403');
ok($r->{headers}{'retry-after'}, 'with Retry-After');

# a pending approval of another user's, with its request waiting

$sb->add_entity('carol-0003', 'verified');
my $carol = $t->send('GET', '/p/', headers => { 'X-User' => 'carol-0003' });
my $pending = $sb->wait_approval(identity => 'carol-0003', timeout => 5);

# the attacker's own accounts, approved from 300 addresses

my @ids = map { sprintf 'mallory-%04d', $_ } 1 .. 4;
$sb->add_entity($_, 'verified') for @ids;
$sb->auto(status => 'approved', delay => 0.01);

my @jobs;
for my $a (2 .. 76) {
    push @jobs, [ $_, "127.0.0.$a" ] for @ids;
}

my $ok = 0;
while (my @batch = splice @jobs, 0, 10) {
    my @hs = map { $t->send('GET', '/p/', from => $_->[1],
                            headers => { 'X-User' => $_->[0] }) } @batch;
    $r = $t->read(\@hs, 15);
    $ok += grep { $_ && $_->{status} == 200 } @$r;
}
$sb->auto(status => 'none');
is($ok, 300, '300 addresses approved');

my $entries = PushTest::metric($t, 'nginx_push_approval_zone_entries');
ok($entries < 600, "the zone is full: entries were evicted ($entries left)");

# the victim's cooldown is still there: no new push

$sb->clear_calls;
$r = $t->get('/p/', headers => { %victim }, timeout => 3);
is($r && $r->{status}, 403, 'the victim is still in the cooldown');
is(scalar(grep { $_->{method} eq 'POST' } @{ $sb->calls }), 0,
   'no new push for the victim');

# and the pending approval still releases its request

$sb->decide($pending->{id}, 'approved', callback => 0);
$r = $t->read($carol, 5);
is($r && $r->{status}, 200, 'a pending approval survived the flood');

$t->done_testing;
