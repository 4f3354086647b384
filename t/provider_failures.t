#!/usr/bin/perl

# Provider failures through push_approval_fail: each failure of the create
# call (500, 401, malformed JSON, dropped connection, slower than the
# timeout, 429, "success": false) with fail closed and fail open, for both
# providers (a 401 refuses the request: 503 in both modes); a failing
# status poll when the timeout comes.

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use PushTest;

my $sb = Sandbox->start(seed => 1);

my %create = (verify => 'Challenges', authy => 'approval_requests');

my @modes = (
    [ '500',       { mode => 'status', status => 500 } ],
    [ '401',       { mode => 'status', status => 401 }, 'refused' ],
    [ '429',       { mode => 'status', status => 429 } ],
    [ 'malformed', { mode => 'malformed' } ],
    [ 'dropped',   { mode => 'drop' } ],
    [ 'slow',      { mode => 'slow', delay => 2.5 } ],
);

my $t;

for my $provider (qw(verify authy)) {
    my %user = PushTest::user($provider);

    ($t) = PushTest::setup(sb => $sb, provider => $provider,
        protected => 'push_approval_mode hold;
                      push_approval_timeout 1500ms;
                      push_approval_poll 100ms;
                      push_approval_limit rate=100/m cooldown=0;
                      push_approval_scope $http_x_scope;',
        server => 'location /open/ {
                       push_approval zone=pa;
                       push_approval_mode hold;
                       push_approval_timeout 1500ms;
                       push_approval_poll 100ms;
                       push_approval_limit rate=100/m cooldown=0;
                       push_approval_scope $http_x_scope;
                       push_approval_fail open;
                       alias %%PREFIX%%/html/p/;
                   }');

    my $n = 0;

    for my $m (@modes) {
        my ($name, $rule, $refused) = @$m;

        for my $where ('/p/', '/open/') {
            $n++;
            $sb->fail(count => 1, path => $create{$provider}, %$rule);

            my $r = $t->get($where, headers => { %user, 'X-Scope' => "s$n" },
                            timeout => 10);

            if ($where eq '/p/') {
                is($r->{status}, 503, "$provider: $name, fail closed -> 503");
            } elsif ($refused) {
                # a refusal of the request itself never opens the door
                is($r->{status}, 503, "$provider: $name, fail open -> 503");
                unlike($r->{body}, qr/SECRET/, "$provider: $name, no content");
            } else {
                is($r->{status}, 200, "$provider: $name, fail open -> 200");
                like($r->{body}, qr/SECRET/, "$provider: $name, fail open -> content");
            }
        }
    }

    like($t->error_log, qr/\[error\].*provider failed to create an approval.*HTTP 500/,
         "$provider: provider failure logged at error with the HTTP status");
    like($t->error_log, qr/\[warn\].*failing open/, "$provider: fail open logged at warn");

    # a failed create is not retried for its waiters; the next request
    # starts a new attempt

    $sb->fail(count => 1, path => $create{$provider}, mode => 'status',
              status => 500, delay => 0.5);
    my @h = map { $t->send('GET', '/p/', headers => { %user, 'X-Scope' => 'w' }) } 1 .. 3;
    my $r = $t->read(\@h, 5);
    is(scalar(grep { $_ && $_->{status} == 503 } @$r), 3,
       "$provider: a failed create fails its waiters too");

    my @old = known($user{'X-User'});
    my $h = $t->send('GET', '/p/', headers => { %user, 'X-Scope' => 'w' });
    my $ap = $sb->wait_approval(identity => $user{'X-User'}, exclude => \@old,
                                timeout => 5);
    ok($ap, "$provider: the next request starts a new attempt");
    $sb->decide($ap->{id}, 'approved', callback => 0);
    is($t->read($h, 5)->{status}, 200, "$provider: and it works");

    # the status poll fails until the timeout: the fail mode decides

    for my $where ('/p/', '/open/') {
        @old = known($user{'X-User'});
        $h = $t->send('GET', $where, headers => { %user, 'X-Scope' => "poll$where" });
        $ap = $sb->wait_approval(identity => $user{'X-User'}, exclude => \@old,
                                 timeout => 5);
        $sb->fail(count => 100, path => $ap->{id}, mode => 'status',
                  status => 503);
        $r = $t->read($h, 5);
        is($r->{status}, $where eq '/p/' ? 503 : 200,
           "$provider: failing polls at the timeout, $where");
    }

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
