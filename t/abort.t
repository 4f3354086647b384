#!/usr/bin/perl

# Clients that go away while held: everything they held is freed at once,
# the others go on, and a push whose creator went away is handed over.

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use Time::HiRes qw(sleep);
use PushTest;

my ($t, $sb) = PushTest::setup(workers => 2,
    protected => 'push_approval_mode hold;
                  push_approval_poll 100ms;
                  push_approval_limit rate=100/m cooldown=0;
                  push_approval_scope $http_x_scope;');

my %user = PushTest::user('verify');

sub gauge { PushTest::metric($t, 'nginx_push_approval_held_requests') }

sub wait_gauge {
    my ($want) = @_;
    for (1 .. 100) {
        return $want if gauge() == $want;
        sleep 0.02;
    }
    return gauge();
}

# ten held, five go away

my @h = map { $t->send('GET', '/p/', headers => { %user }) } 1 .. 10;
my $ap = $sb->wait_approval(identity => 'alice-0001', timeout => 5);
is(wait_gauge(10), 10, 'ten requests held');

$t->abort($_) for @h[0 .. 4];
is(wait_gauge(5), 5, 'the five that went away are freed at once');

$sb->decide($ap->{id}, 'approved', callback => 0);
my $r = $t->read([ @h[5 .. 9] ], 5);
is(scalar(grep { $_ && $_->{status} == 200 } @$r), 5,
   'the other five are released');
is(wait_gauge(0), 0, 'nothing held');

like($t->wait_log(qr/client prematurely closed connection|client closed/, 2) // '',
     qr/closed/, 'the aborts were seen');

# the creator goes away while its create call runs: a waiter takes over

$sb->fail(count => 1, path => 'Challenges', mode => 'slow', delay => 0.6);
my %old = map { $_->{id} => 1 } @{ $sb->approvals(identity => 'alice-0001') };
my $creator = $t->send('GET', '/p/', headers => { %user, 'X-Scope' => 'x' });
sleep 0.2;
my @waiters = map { $t->send('GET', '/p/', headers => { %user, 'X-Scope' => 'x' }) }
    1 .. 3;
sleep 0.1;
$t->abort($creator);

my $new = $sb->wait_approval(identity => 'alice-0001', timeout => 5,
    exclude => [ keys %old ]);
ok($new, 'a push exists');
sleep 1;
my @pending = grep { !$old{ $_->{id} } && $_->{status} eq 'pending' }
    @{ $sb->approvals(identity => 'alice-0001') };
$sb->decide($_->{id}, 'approved', callback => 0) for @pending;
$r = $t->read(\@waiters, 5);
is(scalar(grep { $_ && $_->{status} == 200 } @$r), 3,
   'the waiters of an abandoned push are released');

# still healthy

$r = $t->get('/p/', headers => { %user });
is($r->{status}, 200, 'nginx still answers');

$t->done_testing;
