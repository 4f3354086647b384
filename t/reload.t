#!/usr/bin/perl

# nginx -s reload keeps pending approvals, remembered approvals and limits;
# requests held by old workers finish normally.

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use Time::HiRes qw(sleep);
use PushTest;

my ($t, $sb) = PushTest::setup(workers => 2,
    protected => 'push_approval_mode hold;
                  push_approval_poll 100ms;
                  push_approval_limit rate=100/m cooldown=60s;
                  push_approval_scope $http_x_scope;');

my %user = PushTest::user('verify');

# a remembered address and a cookie, made before the reload

my $h = $t->send('GET', '/p/', headers => { %user });
my $ap = $sb->wait_approval(identity => 'alice-0001', timeout => 5);
$sb->decide($ap->{id}, 'approved', callback => 0);
my $r = $t->read($h, 5);
is($r->{status}, 200, 'approved before the reload');
my $cookie = NginxTest::cookie($r, 'push_approval');

# a pending approval with a request held by an old worker

my $held = $t->send('GET', '/p/', headers => { %user, 'X-Scope' => 'pending' });
my $pending = $sb->wait_approval(identity => 'alice-0001', timeout => 5);

# a denial, so a cooldown

$h = $t->send('GET', '/p/', headers => { %user, 'X-Scope' => 'denied' });
my $denied = $sb->wait_approval(identity => 'alice-0001', timeout => 5,
                                exclude => [ $pending->{id} ]);

$sb->clear_calls;
my @old = $t->worker_pids;
my @new = $t->reload;
ok(!grep({ my $n = $_; grep { $_ == $n } @old } @new), 'new workers');

$r = $t->get('/p/', headers => { %user });
is($r->{status}, 200, 'address remembered across the reload');
$r = $t->get('/p/', headers => { %user, Cookie => $cookie,
                                 'X-Forwarded-For' => '1' });
is($r->{status}, 200, 'cookie accepted across the reload');

my $joined = $t->send('GET', '/p/', headers => { %user, 'X-Scope' => 'pending' });
sleep 0.3;
ok(!grep({ $_->{method} eq 'POST' } @{ $sb->calls }),
   'a new worker joins the pending approval without a new push');

$sb->decide($pending->{id}, 'approved', callback => 0);
$r = $t->read([ $held, $joined ], 5);
is($r->[0] && $r->[0]{status}, 200, 'the request held by an old worker is released');
is($r->[1] && $r->[1]{status}, 200, 'the request held by a new worker is released');

$sb->decide($denied->{id}, 'denied', callback => 0);
is($t->read($h, 5)->{status}, 403, 'denied');

$t->reload;
$r = $t->get('/p/', headers => { %user, 'X-Scope' => 'other' });
is($r->{status}, 403, 'the cooldown survives a reload');
ok($r->{headers}{'retry-after'}, 'with Retry-After');

$t->done_testing;
