#!/usr/bin/perl

# push_approval_limit across workers: at most N new pushes per identity in
# any minute (429 with Retry-After past it), a cooldown after a denial
# (403 with Retry-After, no push), failed creates counting, and remembered
# approvals never limited.

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use Time::HiRes qw(sleep);
use PushTest;

my ($t, $sb) = PushTest::setup(workers => 2,
    protected => 'push_approval_mode hold;
                  push_approval_poll 100ms;
                  push_approval_limit rate=3/m cooldown=30s;
                  push_approval_scope $http_x_scope;',
    server => 'location /bomb/ {
                   push_approval zone=pa;
                   push_approval_mode hold;
                   push_approval_remember 0;
                   push_approval_limit rate=5/m cooldown=30s;
                   alias %%PREFIX%%/html/p/;
               }');

$sb->add_entity('carol-0003', 'verified');
$sb->add_entity('dave-00004', 'verified');

# push bombing: 1,000 request-bound requests from 250 client addresses

$sb->clear_calls;
my (@held, $limited, $retry_after);
for my $i (0 .. 999) {
    my $from = '127.0.1.' . (1 + $i % 250);
    my $h = $t->send('GET', '/bomb/', from => $from,
                     headers => { 'X-User' => 'carol-0003' });
    my $r = $t->read($h, 0.5);
    if ($r && $r->{status} == 429) {
        $limited++;
        $retry_after //= $r->{headers}{'retry-after'};
    } else {
        push @held, $h;
    }
}
my $pushes = grep { $_->{method} eq 'POST' } @{ $sb->calls };
is($pushes, 5, 'at most 5 pushes for 1,000 requests in a minute');
is($limited, 995, 'the other 995 got 429');
ok($retry_after && $retry_after > 0 && $retry_after <= 60,
   "with Retry-After ($retry_after)");
is(PushTest::metric($t, 'nginx_push_approval_requests_total',
                    status => 'limited'), 995, 'counted as limited');
$t->abort($_) for @held;

# the limit is per identity: another one still gets its push

my $h = $t->send('GET', '/bomb/', headers => { 'X-User' => 'dave-00004' });
ok($sb->wait_approval(identity => 'dave-00004', timeout => 5),
   'another identity is not limited');
$t->abort($h);

# a remembered approval passes even when the identity is limited

my %alice = PushTest::user('verify');
$h = $t->send('GET', '/p/', headers => { %alice, 'X-Scope' => 'a' });
my $ap = $sb->wait_approval(identity => 'alice-0001', timeout => 5);
$sb->decide($ap->{id}, 'approved', callback => 0);
my $r = $t->read($h, 5);
my ($cookie) = map { /^([^;]+)/ } @{ $r->{cookies} };

# failed creates count too

$sb->fail(count => 2, path => 'Challenges', mode => 'status', status => 500);
is($t->get('/p/', headers => { %alice, 'X-Scope' => 'b' })->{status}, 503,
   'failed create 1');
is($t->get('/p/', headers => { %alice, 'X-Scope' => 'c' })->{status}, 503,
   'failed create 2');
$r = $t->get('/p/', headers => { %alice, 'X-Scope' => 'd' });
is($r->{status}, 429, 'the fourth push in a minute is limited (3/m)');

$r = $t->get('/p/', headers => { %alice, 'X-Scope' => 'a', Cookie => $cookie });
is($r->{status}, 200, 'a remembered approval still passes');

# a denial: cooldown in every scope, no push

$sb->add_entity('erin-00005', 'verified');
$h = $t->send('GET', '/p/', headers => { 'X-User' => 'erin-00005' });
$ap = $sb->wait_approval(identity => 'erin-00005', timeout => 5);
$sb->decide($ap->{id}, 'denied', callback => 0);
is($t->read($h, 5)->{status}, 403, 'denied');

$sb->clear_calls;
$r = $t->get('/p/', headers => { 'X-User' => 'erin-00005', 'X-Scope' => 'z' });
is($r->{status}, 403, 'within the cooldown: 403');
my $ra = $r->{headers}{'retry-after'} // 0;
ok($ra > 25 && $ra <= 30, "Retry-After is the rest of the cooldown ($ra)");
is(scalar @{ $sb->calls }, 0, 'no push during the cooldown');

$t->done_testing;
