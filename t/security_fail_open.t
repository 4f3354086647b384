#!/usr/bin/perl

# Attack: opening a "push_approval_fail open" location at will.  A
# User-Agent of "A" and 200 bytes 0x80, shown as a detail, or a URI of
# such bytes in the message, once made the provider refuse the push (too
# long once decoded), and any refusal counted as a provider failure: the
# request passed.  Now the module sends valid UTF-8 within the provider's
# limits, and a refusal (a 4xx other than 429, "success": false) is 503 in
# both modes, for the requests that joined the push too.

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use PushTest;

my $sb = Sandbox->start(seed => 1);
my %create = (verify => 'Challenges', authy => 'approval_requests');

my $t;

for my $provider (qw(verify authy)) {
    my %user = PushTest::user($provider);
    my $id = $user{'X-User'};

    ($t) = PushTest::setup(sb => $sb, provider => $provider,
        protected => 'push_approval_mode hold;
                      push_approval_fail open;
                      push_approval_timeout 2s;
                      push_approval_poll 100ms;
                      push_approval_limit rate=100/m cooldown=0;
                      push_approval_scope $http_x_scope;
                      push_approval_detail Browser $http_user_agent;',
        server => 'location /once/ {
                       push_approval zone=pa;
                       push_approval_mode hold;
                       push_approval_fail open;
                       push_approval_remember 0;
                       push_approval_limit rate=100/m cooldown=0;
                       alias %%PREFIX%%/html/p/;
                   }');

    # the exact request: a User-Agent of "A" and 200 bytes 0x80

    my @old = known($id);
    my $h = $t->send('GET', '/p/', headers => { %user, 'X-Scope' => 'ua',
                                   'User-Agent' => 'A' . ("\x80" x 200) });
    ok($t->quiet($h, 1), "$provider: the bad User-Agent does not open it");

    my $ap = eval { $sb->wait_approval(identity => $id, exclude => \@old,
                                       timeout => 1) };
    ok($ap, "$provider: the provider accepted the push");

    if ($ap) {
        my %d = ref $ap->{details} eq 'HASH' ? %{ $ap->{details} }
              : map { $_->{label} => $_->{value} } @{ $ap->{details} };
        my $ua = $d{Browser} // '';
        utf8::decode($ua) unless utf8::is_utf8($ua);
        if ($provider eq 'verify') {
            is($ua, 'A' . ("\x{fffd}" x 127),
               'verify: invalid bytes replaced, cut at 128 characters');
        } else {
            is($ua, 'A' . ("\x{fffd}" x 200), 'authy: invalid bytes replaced');
        }

        $sb->decide($ap->{id}, 'denied', callback => 0);
        is($t->read($h, 5)->{status}, 403, "$provider: and the owner denies");
    }
    $t->abort($h);

    # invalid bytes in the URI named by the message of a request-bound push

    @old = known($id);
    $h = $t->send('GET', '/once/' . ('%80' x 300), headers => { %user });
    ok($t->quiet($h, 1), "$provider: a URI of bad bytes does not open it");
    $ap = eval { $sb->wait_approval(identity => $id, exclude => \@old,
                                    timeout => 1) };
    ok($ap, "$provider: the provider accepted that push too");
    $t->abort($h);

    # a refusal of the create call: 503 for its creator and its joiners

    for my $rule ([ 'a 400', mode => 'status', status => 400, delay => 0.3 ],
                  [ 'a 403', mode => 'status', status => 403, delay => 0.3 ],
                  $provider eq 'authy'
                  ? [ 'a 200 "success": false', mode => 'status',
                      status => 200, delay => 0.3 ]
                  : ())
    {
        my ($name, %rule) = @$rule;
        $sb->fail(count => 1, path => $create{$provider}, %rule);
        my @h = map { $t->send('GET', '/p/', headers => { %user,
                                              'X-Scope' => "r$name" }) }
                1 .. 3;
        my $r = $t->read(\@h, 5);
        is(join(',', map { $_ ? $_->{status} : 'none' } @$r), '503,503,503',
           "$provider: $name refuses, fail open or not");
    }

    # a refused status poll when the timeout comes: 503, not a pass

    @old = known($id);
    $h = $t->send('GET', '/p/', headers => { %user, 'X-Scope' => 'poll' });
    $ap = $sb->wait_approval(identity => $id, exclude => \@old, timeout => 5);
    $sb->fail(count => 100, path => $ap->{id}, mode => 'status',
              status => 404);
    is($t->read($h, 5)->{status}, 503,
       "$provider: polls refused until the timeout: 503");

    # trouble at the provider still lets fail open decide

    $sb->fail(count => 1, path => $create{$provider}, mode => 'status',
              status => 429);
    is($t->get('/p/', headers => { %user, 'X-Scope' => '429' })->{status},
       200, "$provider: a 429 fails open");

    $sb->fail(count => 1, path => $create{$provider}, mode => 'status',
              status => 502);
    is($t->get('/p/', headers => { %user, 'X-Scope' => '502' })->{status},
       200, "$provider: a 502 fails open");

    if ($provider eq 'verify') {
        $t->stop;
        ok(!$t->problems, 'verify: no alerts');
    }
}

$t->done_testing;

sub known {
    my ($identity) = @_;
    return map { $_->{id} } @{ $sb->approvals(identity => $identity) };
}
