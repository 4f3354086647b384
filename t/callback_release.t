#!/usr/bin/perl
# A verified callback releases held requests at once (SPEC 7, 8): nginx with
# two workers, push_approval_mode hold and push_approval_poll 0, so only the
# callback can decide.  Both providers: approve -> 200 with the content,
# deny -> 403; one callback, handled by one worker, releases requests held
# by both; a decision is final; a bad signature changes nothing; no status
# poll ever happens.
use v5.36;
use Test::More;
use JSON::PP;
use Time::HiRes qw(time sleep);
use lib 't/lib';
use PushSign qw(twilio_sig authy_flatten authy_canonical authy_sig
                form_encode http_raw);
use PushTest;

my $PROTECTED = <<'EOF';
push_approval_mode hold;
        push_approval_poll 0;
        push_approval_timeout 30s;
        push_approval_scope $http_x_scope;
        push_approval_limit rate=100/m cooldown=1s;
EOF

# every request's worker: held ones and callbacks alike
my $HTTP = <<'EOF';
log_format release '$pid $status "$uri" "$http_x_scope" '
                   '"$push_approval_status"';
EOF

# PORT2 with reuseport: connections spread over both workers by the kernel
my $SERVER = <<'EOF';
listen 127.0.0.1:%%PORT2%% reuseport;
    access_log %%PREFIX%%/logs/release.log release;
EOF

for my $provider (qw(verify authy)) {
    subtest $provider => sub { run($provider) };
}

done_testing();

sub run ($provider) {
    my ($t, $sb) = PushTest::setup(provider => $provider, workers => 2,
                                   protected => $PROTECTED,
                                   http => $HTTP, server => $SERVER);
    my $cb_url = $t->url('/_push/callback');
    $sb->config("${provider}_callback_url" => $cb_url);

    my $identity = $PushTest::IDENTITY{$provider};
    my (@ids, %known);

    # $n requests held for one new approval of the scope: (id, [handles])
    my $hold = sub ($scope, $n, %o) {
        my @h = map {
            $t->send('GET', '/p/index.html', port => $o{port},
                     headers => { 'X-User' => $identity,
                                  'X-Scope' => $scope })
        } 1 .. $n;
        my $a = $sb->wait_approval(identity => $identity,
                                   exclude => [keys %known]);
        push @ids, $a->{id};
        my $deadline = time + 5;
        sleep 0.01 while held($t) < $n && time < $deadline;
        is(held($t), $n, "$scope: $n held");

        # one push however many requests, whichever worker they reached
        my @new = grep { !$known{ $_->{id} } }
                  @{ $sb->approvals(identity => $identity) };
        $known{ $_->{id} } = 1 for @new;
        is(scalar @new, 1, "$scope: one push for $n requests")
            or diag explain [map { "$_->{id} $_->{status}" } @new];
        return ($a->{id}, \@h);
    };

    # the sandbox decides and calls nginx; time until every answer is in
    my $decide = sub ($id, $status, $hs) {
        my $n = @{ $sb->callbacks };
        my $start = time;
        is($sb->decide($id, $status, callback => 1), 200,
           "sandbox decides $status");
        my $r = $t->read($hs, 5);
        my $took = time - $start;
        my $cb = $sb->wait_callbacks($n + 1)->[$n];
        is($cb->{status}, 200, 'callback answered 200')
            or diag explain $cb;
        return ($r, $took);
    };

    my $accepted = metric($t, 'accepted');

    # ---- approve, deny later: one request each ---------------------------
    {
        my ($id, $h) = $hold->('one', 1);
        my ($r, $took) = $decide->($id, 'approved', $h);
        is($r->[0]{status}, 200, 'approved: 200');
        like($r->[0]{body}, qr/SECRET CONTENT/, 'approved: the content');
        cmp_ok($took, '<', 1, sprintf('released in %.3f s', $took));
        is(metric($t, 'accepted'), ++$accepted, 'counted as accepted');
    }

    # ---- one callback releases requests held in both workers -------------
    {
        my ($id, $h) = $hold->('many', 10, port => $t->port(1));
        my ($r, $took) = $decide->($id, 'approved', $h);
        is(scalar(grep { $_ && $_->{status} == 200 } @$r), 10,
           'all 10 released with 200');
        is(scalar(grep { $_ && $_->{body} =~ /SECRET CONTENT/ } @$r), 10,
           'all 10 with the content');
        cmp_ok($took, '<', 1, sprintf('all released in %.3f s', $took));

        my %pids;
        my $cb_pid;
        for my $l (split /\n/, $t->read_file('logs/release.log')) {
            my ($pid, $status, $uri, $scope) =
                $l =~ /^(\d+) (\d+) "([^"]*)" "([^"]*)"/ or next;
            $pids{$pid}++ if $scope eq 'many' && $uri eq '/p/index.html';
            $cb_pid = $pid if $uri eq '/_push/callback';
        }
        cmp_ok(scalar(keys %pids), '>=', 2,
               'held requests spread over both workers')
            or diag explain \%pids;
        ok(defined $cb_pid && grep({ $_ != $cb_pid } keys %pids),
           'requests held by a worker other than the callback\'s released')
            or diag "callback pid ", $cb_pid // '-';
        is(metric($t, 'accepted'), ++$accepted, 'one callback accepted');
    }

    # ---- a decision is final ----------------------------------------------
    {
        my ($id, $h) = $hold->('final', 2);
        my ($r, $took) = $decide->($id, 'approved', $h);
        is(scalar(grep { $_ && $_->{status} == 200 } @$r), 2,
           'approved: both answered 200');
        my $ignored = metric($t, 'ignored');
        is(contrary($t, $sb, $provider, $id, 'denied'), 200,
           'a later contrary callback: 200');
        is(metric($t, 'ignored'), $ignored + 1, 'counted as ignored');
        is(metric($t, 'accepted'), ++$accepted, 'accepted once only');
        my $again = $t->get('/p/index.html',
                            headers => { 'X-User' => $identity,
                                         'X-Scope' => 'final' });
        is($again->{status}, 200, 'the approval still holds afterwards');
    }

    # ---- a bad signature changes nothing -----------------------------------
    {
        my ($id, $h) = $hold->('badsig', 1);
        my $bad = metric($t, 'bad_signature');
        is(contrary($t, $sb, $provider, $id, 'approved', forged => 1), 401,
           'approval signed with another key: 401');
        is(metric($t, 'bad_signature'), $bad + 1, 'counted as bad_signature');
        ok($t->quiet($h->[0], 0.5), 'the request is still held');
        is(held($t), 1, 'held gauge unchanged');
        my ($r, $took) = $decide->($id, 'approved', $h);
        is($r->[0]{status}, 200, 'then a good callback releases it: 200');
        cmp_ok($took, '<', 1, sprintf('released in %.3f s', $took));
        is(metric($t, 'accepted'), ++$accepted, 'counted as accepted');
    }

    # ---- Authy: a GET callback with a query string -------------------------
    if ($provider eq 'authy') {
        $sb->config(authy_callback_method => 'GET');
        my ($id, $h) = $hold->('get', 1);
        my ($r, $took) = $decide->($id, 'approved', $h);
        is($r->[0]{status}, 200, 'GET callback: approved, 200');
        cmp_ok($took, '<', 1, sprintf('released in %.3f s', $took));
        $sb->config(authy_callback_method => 'POST');
        ++$accepted;
    }

    # ---- deny (last: a denial starts the cooldown) -------------------------
    {
        my ($id, $h) = $hold->('deny', 3);
        my ($r, $took) = $decide->($id, 'denied', $h);
        is(scalar(grep { $_ && $_->{status} == 403 } @$r), 3,
           'denied: 403 for all three');
        unlike($_->{body} // '', qr/SECRET/, 'denied: no content')
            for grep { $_ } @$r;
        cmp_ok($took, '<', 1, sprintf('released in %.3f s', $took));
        is(metric($t, 'accepted'), ++$accepted, 'counted as accepted');
    }

    # ---- only callbacks decided ---------------------------------------------
    is(PushTest::metric($t, 'nginx_push_approval_polls_total', zone => 'pa'),
       0, 'no status polls counted');
    my @polls = grep {
        my $c = $_;
        grep { index($c->{path}, $_) >= 0 } @ids
    } @{ $sb->calls(method => 'GET') };
    is(scalar @polls, 0, 'no status fetch reached the provider')
        or diag explain [map { "$_->{method} $_->{path}" } @polls];
    is(scalar @{ $sb->approvals(identity => $identity) },
       $provider eq 'authy' ? 6 : 5, 'one push per scope in all');
    is(held($t), 0, 'nothing left held');

    $t->done_testing;
}

sub held ($t) {
    return PushTest::metric($t, 'nginx_push_approval_held_requests',
                            zone => 'pa') // -1;
}

sub metric ($t, $result) {
    return PushTest::metric($t, 'nginx_push_approval_callbacks_total',
                            zone => 'pa', result => $result);
}

# a callback for $id sent by the test itself: signed correctly, or with
# another key (forged)
sub contrary ($t, $sb, $provider, $id, $status, %o) {
    my $host = '127.0.0.1:' . $t->port;
    my $url = "http://$host/_push/callback";

    if ($provider eq 'verify') {
        my $token = $o{forged} ? 'forged-auth-token-0123456789abcdef'
                               : $sb->auth_token;
        my $pairs = [[account_sid => $sb->account_sid],
                     [challenge_sid => $id],
                     [entity_identity => $PushTest::IDENTITY{verify}],
                     [factor_sid => 'YF' . ('0' x 32)],
                     [factor_type => 'push'],
                     [service_sid => $sb->verify_service],
                     [type => "challenge.$status"],
                     [uuid => "YW-release-$$-" . int(rand 1e9)]];
        return http_raw($t->port, 'POST', '/_push/callback',
            [[Host => $host],
             ['Content-Type' => 'application/x-www-form-urlencoded'],
             ['X-Twilio-Signature' => twilio_sig($token, $url, $pairs)]],
            form_encode($pairs))->{status};
    }

    my $key = $o{forged} ? 'forged-authy-api-key-0123456789ab'
                         : $sb->authy_api_key;
    my $obj = { authy_id => $PushTest::IDENTITY{authy} + 0,
                callback_action => 'approval_request_status',
                uuid => $id, status => $status,
                approval_request => { transaction => {
                    uuid => $id, status => $status } } };
    my $nonce = time =~ s/\..*//r;
    my $sig = authy_sig($key, $nonce, 'POST', $url,
                        authy_canonical(authy_flatten($obj)));
    return http_raw($t->port, 'POST', '/_push/callback',
        [[Host => $host], ['Content-Type' => 'application/json'],
         ['X-Authy-Signature' => $sig],
         ['X-Authy-Signature-Nonce' => $nonce]],
        JSON::PP->new->canonical->encode($obj))->{status};
}
