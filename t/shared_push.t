#!/usr/bin/perl

# One push for (identity, scope) however many requests, across two
# workers; remembered approvals by cookie and by address; request-bound
# approvals with push_approval_remember 0.

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use PushTest;

my ($t, $sb) = PushTest::setup(workers => 2,
    protected => 'push_approval_mode hold;
                  push_approval_poll 100ms;
                  push_approval_limit rate=100/m cooldown=0;
                  push_approval_scope $http_x_scope;',
    server => 'location /once/ {
                   push_approval zone=pa;
                   push_approval_mode hold;
                   push_approval_poll 100ms;
                   push_approval_remember 0;
                   push_approval_limit rate=100/m cooldown=0;
                   alias %%PREFIX%%/html/p/;
               }');

my %user = PushTest::user('verify');

# 50 concurrent requests: exactly one create call, all released at once

$sb->clear_calls;
my @h = map { $t->send('GET', '/p/', headers => { %user }) } 1 .. 50;
my $ap = $sb->wait_approval(identity => 'alice-0001', timeout => 5);
Time::HiRes::sleep(0.3);
is(PushTest::metric($t, 'nginx_push_approval_held_requests'), 50,
   '50 requests held');
$sb->decide($ap->{id}, 'approved', callback => 0);
my $r = $t->read(\@h, 10);
is(scalar(grep { $_ && $_->{status} == 200 } @$r), 50,
   'all 50 released with the content');
is(scalar(grep { $_->{method} eq 'POST' } @{ $sb->calls }), 1,
   'exactly one create call');
is(scalar(grep { $_->{method} eq 'GET' && $_->{path} =~ /Factors$/ }
           @{ $sb->calls }), 1, 'the factor looked up once');
is(PushTest::metric($t, 'nginx_push_approval_held_requests'), 0,
   'nothing held any more');

my $cookie = NginxTest::cookie($r->[0], 'push_approval');
like($cookie, qr/^push_approval=2\.\d+\.\d+\.[\w-]{43}$/, 'cookie value shape');
like($r->[0]{cookies}[0], qr/; Path=\/; Max-Age=3600; HttpOnly; SameSite=Lax/,
     'cookie attributes');

# remembered by cookie, from another address too: no new push

$sb->clear_calls;
$r = $t->get('/p/', headers => { %user, Cookie => $cookie,
                                 'X-Scope' => '' });
is($r->{status}, 200, 'remembered by cookie');
is(scalar @{ $sb->calls }, 0, 'no provider call when remembered');

# remembered by address, for a client without cookies

$r = $t->get('/p/', headers => { %user });
is($r->{status}, 200, 'remembered by address without a cookie');
is(scalar @{ $sb->calls }, 0, 'no provider call for it');

# every single-byte change of the cookie is refused, and a refused cookie
# never falls back to the address entry

my ($name, $value) = split /=/, $cookie, 2;
my $refused = 0;
my @bad;
for my $i (0 .. length($value) - 1) {
    my $v = $value;
    my $c = substr($v, $i, 1);
    substr($v, $i, 1) = $c eq 'A' ? 'B' : 'A';
    push @bad, $v;
}

my $changes = 0;
for my $v (@bad) {
    my $h = $t->send('GET', '/p/', headers => { %user,
                                               Cookie => "$name=$v" });
    $changes++;
    # a changed cookie needs a new approval: it is held, never passed
    $refused++ if $t->quiet($h, 0.05);
    $t->abort($h);
}
is($refused, $changes, "all $changes single-byte changes refused");

# the cookie is bound to its identity and scope

$sb->add_entity('carol-0003', 'verified');
my $h = $t->send('GET', '/p/', headers => { 'X-User' => 'carol-0003',
                                            Cookie => $cookie });
ok($t->quiet($h, 0.2), 'a foreign identity with the cookie is held');
$t->abort($h);

my @old = map { $_->{id} } @{ $sb->approvals(identity => 'alice-0001') };
$h = $t->send('GET', '/p/', headers => { %user, Cookie => $cookie,
                                         'X-Scope' => 'admin' });
ok($t->quiet($h, 0.2), 'another scope with the cookie is held');
$t->abort($h);

# the other scope has its own cookie name

my $pending = $sb->wait_approval(identity => 'alice-0001', exclude => \@old,
                                 timeout => 5);
$h = $t->send('GET', '/p/', headers => { %user, 'X-Scope' => 'admin' });
$sb->decide($pending->{id}, 'approved', callback => 0);
$r = $t->read($h, 5);
is($r->{status}, 200, 'scope approved');
ok(grep({ /^push_approval_[0-9a-f]{8}=/ } @{ $r->{cookies} }),
   'scope cookie carries a hash of the scope in its name');

# push_approval_remember 0: a push per request, no cookie, no sharing

$sb->clear_calls;
my %before = map { $_->{id} => 1 } @{ $sb->approvals(identity => 'alice-0001') };
my @once = map { $t->send('GET', '/once/', headers => { %user }) } 1 .. 3;
my @ids;
my $deadline = time + 5;
while (@ids < 3 && time < $deadline) {
    @ids = map { $_->{id} } grep { $_->{status} eq 'pending' && !$before{$_->{id}} }
           @{ $sb->approvals(identity => 'alice-0001') };
    Time::HiRes::sleep(0.05);
}
is(scalar @ids, 3, 'remember 0: one push per request');
my ($create) = grep { $_->{method} eq 'POST' } @{ $sb->calls };
# "localhost" is not among the server's names: the server's first name
like($create->{params}{'Details.Message'}[0], qr/^Approve GET gate\.test\/once\//,
     'remember 0: the message names the request');
$sb->decide($_, 'approved', callback => 0) for @ids;
$r = $t->read(\@once, 5);
is(scalar(grep { $_ && $_->{status} == 200 } @$r), 3,
   'remember 0: each released');
ok(!grep({ @{ $_->{cookies} } } @$r), 'remember 0: no cookie');

$sb->clear_calls;
$h = $t->send('GET', '/once/', headers => { %user });
ok($sb->wait_approval(identity => 'alice-0001', timeout => 5),
   'remember 0: the next request needs its own approval');
$t->abort($h);

$t->done_testing;
