#!/usr/bin/perl

# Held requests, both providers, two workers: approve, deny, provider
# expiry, our own timeout, no identity, and what the provider receives.

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use PushTest;

my $sb = Sandbox->start(seed => 1);

for my $provider (qw(verify authy)) {

    my ($t) = PushTest::setup(sb => $sb, provider => $provider,
        protected => 'push_approval_mode hold;
                      push_approval_poll 100ms;
                      push_approval_timeout 3s;
                      push_approval_limit rate=100/m cooldown=0;
                      push_approval_scope $http_x_scope;
                      push_approval_detail Path $uri;
                      push_approval_hidden_detail ip $remote_addr;');

    my %user = PushTest::user($provider);
    my $identity = $user{'X-User'};
    my @seen;

    # approve: the held request gets the content and the remember cookie

    $sb->clear_calls;
    my $h = $t->send('GET', '/p/', headers => { %user,
        Cookie => 'session=browser-secret',
        Authorization => 'Basic dXNlcjpwYXNz',
        'X-Forwarded-For' => '203.0.113.7' });
    my $ap = $sb->wait_approval(identity => $identity, timeout => 5);
    push @seen, $ap->{id};
    ok($t->quiet($h, 0.3), "$provider: request is held while pending");
    $sb->decide($ap->{id}, 'approved', callback => 0);
    my $r = $t->read($h, 5);
    is($r->{status}, 200, "$provider: approved -> 200");
    like($r->{body}, qr/SECRET CONTENT/, "$provider: approved -> content");
    ok(NginxTest::cookie($r, 'push_approval'),
       "$provider: approved -> remember cookie");

    # what the provider received: method, auth, parameters, no client headers

    my ($create) = grep { $_->{method} eq 'POST' } @{ $sb->calls };
    ok($create, "$provider: one create call");

    if ($provider eq 'verify') {
        like($create->{path}, qr{^/v2/Services/VA\w+/Entities/$identity/Challenges$},
             'verify: create path');
        like($create->{headers}{authorization} // '', qr/^Basic /,
             'verify: basic auth');
        unlike($create->{headers}{authorization} // '', qr/dXNlcjpwYXNz/,
               "verify: not the client's Authorization");
        like($create->{params}{'Details.Message'}[0], qr{gate\.test/p/},
             'verify: message names host and path');
        is_deeply([ map { $_ =~ /"label":"Path"/ ? 1 : () }
                    @{ $create->{params}{'Details.Fields'} } ], [1],
                  'verify: detail field');
        like($create->{params}{HiddenDetails}[0] // '', qr/"ip":"127\.0\.0\.1"/,
             'verify: hidden details');
        like($create->{params}{FactorSid}[0] // '', qr/^YF/, 'verify: factor');
        like($create->{params}{ExpirationDate}[0] // '',
             qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'verify: expiration date');
    } else {
        like($create->{path}, qr{^/onetouch/json/users/$identity/approval_requests$},
             'authy: create path');
        ok($create->{headers}{'x-authy-api-key'}, 'authy: api key header');
        like($create->{params}{message}[0], qr{gate\.test/p/},
             'authy: message names host and path');
        is($create->{params}{'details[Path]'}[0], '/p/',
           'authy: detail');
        is($create->{params}{'hidden_details[ip]'}[0], '127.0.0.1',
           'authy: hidden detail');
        ok($create->{params}{seconds_to_expire}[0] > 0, 'authy: expiry');
    }

    for my $call (@{ $sb->calls }) {
        my $hd = $call->{headers};
        ok(!exists $hd->{cookie} && !exists $hd->{'x-forwarded-for'}
           && !exists $hd->{'x-user'},
           "$provider: no client header in $call->{method} $call->{path}");
    }

    # deny

    $h = $t->send('GET', '/p/', headers => { %user, 'X-Scope' => 'b' });
    $ap = $sb->wait_approval(identity => $identity, exclude => \@seen,
                             timeout => 5);
    push @seen, $ap->{id};
    $sb->decide($ap->{id}, 'denied', callback => 0);
    $r = $t->read($h, 5);
    is($r->{status}, 403, "$provider: denied -> 403");
    ok(!@{ $r->{cookies} }, "$provider: denied -> no cookie");

    # expired at the provider

    $h = $t->send('GET', '/p/', headers => { %user, 'X-Scope' => 'c' });
    $ap = $sb->wait_approval(identity => $identity, exclude => \@seen,
                             timeout => 5);
    push @seen, $ap->{id};
    $sb->expire($ap->{id});
    $r = $t->read($h, 5);
    is($r->{status}, 403, "$provider: expired -> 403");

    # nobody answers: our own timeout

    $h = $t->send('GET', '/p/', headers => { %user, 'X-Scope' => 'd' });
    $ap = $sb->wait_approval(identity => $identity, exclude => \@seen,
                             timeout => 5);
    push @seen, $ap->{id};
    my $start = Time::HiRes::time();
    $r = $t->read($h, 8);
    my $waited = Time::HiRes::time() - $start;
    is($r->{status}, 403, "$provider: timeout -> 403");
    ok($waited > 1.5 && $waited < 4.5, "$provider: timeout after about 3 s");

    # no identity: 403 and no provider call

    $sb->clear_calls;
    $r = $t->get('/p/');
    is($r->{status}, 403, "$provider: no identity -> 403");
    $r = $t->get('/p/', headers => { 'X-User' => $provider eq 'verify'
                                                 ? 'short' : 'not-a-number' });
    is($r->{status}, 403, "$provider: invalid identity -> 403");
    is(scalar @{ $sb->calls }, 0, "$provider: no provider call for them");

    # an identity the provider does not know

    $r = $t->get('/p/', headers => { 'X-User' => $provider eq 'verify'
                                                 ? 'nobody-0009' : '99999' });
    is($r->{status}, 403, "$provider: unknown user -> 403");

    if ($provider eq 'verify') {
        # no verified push factor: no challenge is created
        $sb->clear_calls;
        $r = $t->get('/p/', headers => { 'X-User' => 'bob-00002' });
        is($r->{status}, 403, 'verify: unverified factor -> 403');
        ok(!grep({ $_->{method} eq 'POST' } @{ $sb->calls }),
           'verify: no challenge for an unverified factor');
    }

    like($t->error_log, qr/\[notice\].*push approval \S+ for "$identity": approved/,
         "$provider: one notice line per decision");

    if ($provider eq 'authy') {
        $t->done_testing;
    } else {
        $t->stop;
        ok(!$t->problems, 'verify: no alerts');
    }
}
