#!/usr/bin/perl

# Provider economy: while an approval is pending its status is fetched at
# most once per push_approval_poll interval, in one worker, however many
# requests wait; no polls once it is decided; the Verify factor is looked
# up once and kept in the zone.

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use Time::HiRes qw(sleep time);
use PushTest;

my ($t, $sb) = PushTest::setup(workers => 2,
    protected => 'push_approval_mode hold;
                  push_approval_poll 300ms;
                  push_approval_limit rate=100/m cooldown=0;
                  push_approval_scope $http_x_scope;');

my %user = PushTest::user('verify');

sub polls {
    my ($id) = @_;
    return scalar grep { $_->{method} eq 'GET' && $_->{path} =~ /\Q$id\E$/ }
        @{ $sb->calls };
}

# 20 requests on their own connections, spread over both workers

$sb->clear_calls;
my @h = map { $t->send('GET', '/p/', headers => { %user }) } 1 .. 20;
my $ap = $sb->wait_approval(identity => 'alice-0001', timeout => 5);
my $start = time;
sleep 2.1;
my $n = polls($ap->{id});
my $elapsed = time - $start;
my $max = int($elapsed / 0.3) + 2;
ok($n >= 3, "polled while pending ($n polls in 2 s)");
ok($n <= $max, "at most one poll per 300 ms interval ($n <= $max)");
my $counted = PushTest::metric($t, 'nginx_push_approval_polls_total');
ok($counted >= $n && $counted <= $n + 1,
   "polls counted in the metrics ($counted, $n seen by the provider)");

$sb->decide($ap->{id}, 'approved', callback => 0);
my $r = $t->read(\@h, 5);
is(scalar(grep { $_ && $_->{status} == 200 } @$r), 20,
   'all released by the poll that saw the decision');

my $after = polls($ap->{id});
sleep 1;
is(polls($ap->{id}), $after, 'no polls once decided');

# the factor is looked up once, then kept in the zone

$sb->clear_calls;
my $h = $t->send('GET', '/p/', headers => { %user, 'X-Scope' => 'two' });
$ap = $sb->wait_approval(identity => 'alice-0001', timeout => 5);
$sb->decide($ap->{id}, 'approved', callback => 0);
is($t->read($h, 5)->{status}, 200, 'another scope approved');
is(scalar(grep { $_->{path} =~ /Factors$/ } @{ $sb->calls }), 0,
   'no factor look-up for the second push');

# a pending approval outlives the requests waiting on it: a decision
# still counts for later requests

$h = $t->send('GET', '/p/', headers => { %user, 'X-Scope' => 'three' });
$ap = $sb->wait_approval(identity => 'alice-0001', timeout => 5);
$t->abort($h);
sleep 0.2;
$sb->clear_calls;
$h = $t->send('GET', '/p/', headers => { %user, 'X-Scope' => 'three' });
sleep 0.2;
$sb->decide($ap->{id}, 'approved', callback => 0);
is($t->read($h, 5)->{status}, 200,
   'a later request joins the pending approval and is released');
ok(!grep({ $_->{method} eq 'POST' } @{ $sb->calls }), 'without a new push');

$t->done_testing;
