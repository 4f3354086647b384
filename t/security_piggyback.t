#!/usr/bin/perl

# Attack: riding on the owner's approval.  The attacker holds the password
# and sends the same request from another address while the owner's
# request waits for the owner's tap.  It must not join the owner's push:
# it needs a push of its own, the owner's tap releases only the owner's
# requests, and only the owner's address is remembered.

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use PushTest;

my ($t, $sb) = PushTest::setup(workers => 2,
    protected => 'push_approval_mode hold;
                  push_approval_poll 100ms;
                  push_approval_limit rate=100/m cooldown=0;');

my %user = PushTest::user('verify');

# the owner's request waits for the owner's tap

my $owner = $t->send('GET', '/p/', headers => { %user }, from => '127.0.0.1');
my $ap = $sb->wait_approval(identity => 'alice-0001', timeout => 5);

# a second request of the owner's joins the owner's push

my $owner2 = $t->send('GET', '/p/', headers => { %user },
                      from => '127.0.0.1');

# the attacker, same identity, from another address

my $attacker = $t->send('GET', '/p/', headers => { %user },
                        from => '127.0.0.2');

my $own = eval {
    $sb->wait_approval(identity => 'alice-0001', exclude => [ $ap->{id} ],
                       timeout => 3);
};
ok($own, "the attacker's request needs a push of its own");

is(scalar(grep { $_->{method} eq 'POST' } @{ $sb->calls }), 2,
   'two create calls: one per client address');

# the owner taps Approve on the owner's push

$sb->decide($ap->{id}, 'approved', callback => 0);

my $r = $t->read([ $owner, $owner2 ], 5);
is(scalar(grep { $_ && $_->{status} == 200 } @$r), 2,
   "the owner's requests pass");

ok($t->quiet($attacker, 0.5), "the owner's tap does not release the attacker");
$t->abort($attacker);

# only the owner's address is remembered

is($t->get('/p/', headers => { %user }, from => '127.0.0.1')->{status}, 200,
   "the owner's address is remembered");

my $h = $t->send('GET', '/p/', headers => { %user }, from => '127.0.0.2');
ok($t->quiet($h, 0.5), "the attacker's address is not remembered");
$t->abort($h);

$t->done_testing;
