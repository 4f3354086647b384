#!/usr/bin/perl
# The sandbox's control API, failure injection, call log, phone page and
# HTTP behaviour.
use v5.36;
use Test::More;
use IO::Select;
use IO::Socket::IP;
use JSON::PP;
use Time::HiRes qw(sleep time);
use lib 't/lib';
use Sandbox;

my $sb = Sandbox->start(seed => 1);
my $AUTH = $sb->verify_auth;
my $SVC = '/v2/Services/' . $sb->verify_service;
my $KEY = $sb->authy_api_key;

sub factors ($id = 'alice-0001') {
    $sb->request(GET => "$SVC/Entities/$id/Factors", {headers => {Authorization => $AUTH}});
}
sub challenge ($factor, $msg = 'Hello', $id = 'alice-0001') {
    $sb->request(POST => "$SVC/Entities/$id/Challenges",
        {headers => {Authorization => $AUTH,
                     'Content-Type' => 'application/x-www-form-urlencoded'},
         content => "FactorSid=$factor&Details.Message=$msg"
             . '&Details.Fields=%7B%22label%22%3A%22IP%22%2C%22value%22%3A%22203.0.113.9%22%7D'});
}
sub authy_status ($uuid) {
    $sb->request(GET => "/onetouch/json/approval_requests/$uuid",
                 {headers => {'X-Authy-API-Key' => $KEY}});
}
sub raw ($text) {
    my $s = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => $sb->port)
        or die "connect: $@";
    print $s $text;
    my ($buf, $sel, $t) = ('', IO::Select->new($s), time);
    while (time - $t < 5) {
        $sel->can_read(0.5) or next;
        my $n = sysread($s, $buf, 65536, length $buf);
        last unless $n;
    }
    return $buf;
}
sub split_resp ($buf) {
    my ($head, $body) = split /\r\n\r\n/, $buf, 2;
    my ($cl) = $head =~ /^Content-Length:\s*(\d+)/mi;
    return ($head, $body // '', $cl);
}

# ---- start-up --------------------------------------------------------------------
like($sb->output, qr{http://127\.0\.0\.1:\d+/phone}, 'stdout names the phone page');
like($sb->output, qr{/_sandbox/}, 'stdout names the control API');
like($sb->output, qr{/v2/Services/VA}, 'stdout names the Verify API base');
ok($sb->port > 0, 'ephemeral port');

my $factor = factors()->{json}{factors}[0]{sid};

# ---- call log ----------------------------------------------------------------------
{
    $sb->clear_calls;
    challenge($factor, 'Logged');
    my $calls = $sb->calls;
    is(scalar @$calls, 1, 'one call logged');
    my $c = $calls->[0];
    is($c->{method}, 'POST', 'method');
    is($c->{path}, "$SVC/Entities/alice-0001/Challenges", 'path');
    is($c->{headers}{authorization}, $AUTH, 'headers with lower-case names');
    is_deeply($c->{params}{FactorSid}, [$factor], 'params decoded');
    is_deeply($c->{params}{'Details.Fields'}, ['{"label":"IP","value":"203.0.113.9"}'],
              'repeated params decoded');
    like($c->{body}, qr/^FactorSid=/, 'raw body');
    ok($c->{time} > 0, 'time');
    $sb->request(GET => "/onetouch/json/approval_requests/x?a=1&b=%20c",
                 {headers => {'X-Authy-API-Key' => $KEY}});
    my $g = $sb->calls(method => 'GET')->[0];
    is($g->{query}, 'a=1&b=%20c', 'query kept raw');
    is_deeply($g->{params}, {a => ['1'], b => [' c']}, 'query params decoded');
    is(scalar @{ $sb->calls(path => qr/approval_requests/) }, 1, 'filter by path regexp');
    is(scalar @{ $sb->calls(path => '/Challenges') }, 1, 'filter by path substring');
    $sb->approvals;
    is(scalar @{ $sb->calls }, 2, 'control requests are not logged');
    $sb->clear_calls;
    is_deeply($sb->calls, [], 'DELETE /_sandbox/calls clears');
}

# ---- failure injection ----------------------------------------------------------------
{
    $sb->fail(count => 2, mode => 'status', status => 503);
    my $r = factors();
    is($r->{status}, 503, 'status mode: 503');
    is($r->{json}{status}, 503, 'status mode: Twilio-shaped body');
    like($r->{content}, qr/"code":\s*\d+/, 'status mode: integer code');
    is(factors()->{status}, 503, 'status mode: second failure');
    is(factors()->{status}, 200, 'count respected: third call succeeds');

    $sb->fail(mode => 'status', status => 500, path => '/onetouch/');
    is(factors()->{status}, 200, 'path filter: other paths unaffected');
    $sb->approvals; $sb->request(GET => '/phone');
    $r = authy_status('nope');
    is($r->{status}, 500, 'path filter: matching path fails');
    is($r->{json}{success}, JSON::PP::false, 'authy-shaped failure body');
    like($r->{content}, qr/"error_code":\s*"\d+"/, 'authy failure: string error_code');

    $sb->fail(mode => 'status', status => 429, method => 'POST', body => '{"custom":1}');
    is(factors()->{status}, 200, 'method filter: GET unaffected');
    $r = challenge($factor);
    is($r->{status}, 429, 'method filter: POST fails');
    is($r->{content}, '{"custom":1}', 'custom body');

    my $before = scalar @{ $sb->approvals };
    $sb->fail(mode => 'malformed', path => '/Challenges');
    $r = challenge($factor);
    is($r->{status}, 201, 'malformed: 201 for a Verify create');
    ok(!defined $r->{json} && length $r->{content}, 'malformed: invalid JSON');
    is(scalar @{ $sb->approvals }, $before, 'malformed: nothing created');
    $sb->fail(mode => 'malformed');
    $r = authy_status('x');
    is($r->{status}, 200, 'malformed: 200 for Authy');
    ok(!defined $r->{json}, 'malformed: Authy invalid JSON');

    $sb->fail(mode => 'drop');
    # (a POST: HTTP::Tiny retries an idempotent GET once on a closed socket)
    $before = scalar @{ $sb->approvals };
    $r = challenge($factor);
    is($r->{status}, 599, 'drop: connection closed without an answer');
    is(scalar @{ $sb->approvals }, $before, 'drop: nothing created');
    my $buf = raw("GET $SVC/Entities/alice-0001/Factors HTTP/1.1\r\nHost: x\r\n\r\n")
        if $sb->fail(mode => 'drop');
    is($buf, '', 'drop: no bytes at all');

    $sb->fail(mode => 'slow', delay => 0.6);
    my $t = time;
    $r = factors();
    is($r->{status}, 200, 'slow: normal answer');
    cmp_ok(time - $t, '>=', 0.55, 'slow: after the delay');

    $sb->fail(mode => 'truncate');
    $buf = raw("GET $SVC/Entities/alice-0001/Factors HTTP/1.1\r\nHost: x\r\n"
               . "Authorization: $AUTH\r\n\r\n");
    my ($head, $body, $cl) = split_resp($buf);
    like($head, qr{^HTTP/1\.1 200}, 'truncate: status line');
    ok($cl > 0 && length($body) < $cl, "truncate: body shorter than Content-Length ($cl)");
    cmp_ok(length $body, '>', 0, 'truncate: part of the body sent');
    $sb->fail(mode => 'truncate', path => '/approval_requests');
    $r = $sb->request(POST => '/onetouch/json/users/1234567/approval_requests',
        {headers => {'X-Authy-API-Key' => $KEY,
                     'Content-Type' => 'application/x-www-form-urlencoded'},
         content => 'message=cut'});
    is($r->{status}, 599, 'truncate: client sees an incomplete response');
    is(scalar @{ $sb->approvals(identity => '1234567') }, 1,
       'truncate: the call was processed');

    $sb->clear_calls;
    $sb->fail(count => 1, mode => 'status', status => 502);
    is($sb->request(GET => '/phone')->{status}, 200, 'phone never failed');
    is(ref $sb->approvals, 'ARRAY', 'control never failed');
    is(factors()->{status}, 502, 'rule still applies to the provider call');
    is($sb->calls->[0]{failed}, 'status', 'failed calls are logged with their mode');
    is($sb->_control(POST => 'fail', {mode => 'explode'})->{status}, 400,
       'unknown mode: 400');
}

# ---- approvals, entities, users ------------------------------------------------------
{
    my $fs = $sb->add_entity('henry-00008', 'verified');
    my $r = challenge($fs, 'Henry', 'henry-00008');
    my $sid = $r->{json}{sid};
    my $a = $sb->approvals(identity => 'henry-00008');
    is(scalar @$a, 1, 'approvals filtered by identity');
    is($a->[0]{id}, $sid, 'id');
    is($a->[0]{provider}, 'verify', 'provider');
    is($a->[0]{status}, 'pending', 'status');
    is($a->[0]{message}, 'Henry', 'message');
    is_deeply($a->[0]{details}, [{label => 'IP', value => '203.0.113.9'}], 'details');
    ok($a->[0]{created} && $a->[0]{expires} > $a->[0]{created}, 'created/expires');
    my $w = $sb->wait_approval(identity => 'henry-00008', timeout => 1);
    is($w->{id}, $sid, 'wait_approval finds it');
    ok(!eval { $sb->wait_approval(identity => 'henry-00008', timeout => 0.2,
                                  exclude => [$sid]); 1 }, 'wait_approval times out');
    is($sb->add_entity('ivy-000009', 'unverified') =~ /^YF/ ? 1 : 0, 1, 'unverified entity');
    is(factors('ivy-000009')->{json}{factors}[0]{status}, 'unverified', 'its factor');
    is($sb->add_authy_user(7654321), 7654321, 'explicit authy id');
    my $auto_id = $sb->add_authy_user;
    like($auto_id, qr/^\d+$/, 'generated authy id');
}

# ---- auto decisions ---------------------------------------------------------------------
{
    $sb->auto(status => 'approved', delay => 0.05);
    my $sid = challenge($factor, 'Auto')->{json}{sid};
    my $st;
    my $t = time;
    while (time - $t < 3) {
        ($st) = map { $_->{status} } grep { $_->{id} eq $sid } @{ $sb->approvals };
        last if $st ne 'pending';
        sleep 0.02;
    }
    is($st, 'approved', 'auto-approved');
    $sb->auto(status => 'denied', delay => 0);
    my $u = $sb->request(POST => '/onetouch/json/users/1234567/approval_requests',
        {headers => {'X-Authy-API-Key' => $KEY}, content => 'message=auto',
         }) ;
    $u = $u->{json}{approval_request}{uuid};
    $t = time;
    while (time - $t < 3) {
        $st = authy_status($u)->{json}{approval_request}{status};
        last if $st ne 'pending';
        sleep 0.02;
    }
    is($st, 'denied', 'auto-denied');
    $sb->auto(status => 'none');
    $sid = challenge($factor, 'Manual')->{json}{sid};
    sleep 0.2;
    my ($m) = grep { $_->{id} eq $sid } @{ $sb->approvals };
    is($m->{status}, 'pending', 'auto off');
}

# ---- phone page -------------------------------------------------------------------------
{
    my $sid = challenge($factor, '%3Cb%3ELog+in%3C%2Fb%3E')->{json}{sid};
    my $r = $sb->request(GET => '/phone?identity=alice-0001');
    is($r->{status}, 200, 'phone: 200');
    like($r->{headers}{'content-type'}, qr{^text/html}, 'phone: HTML');
    my $h = $r->{content};
    like($h, qr/<meta name="viewport"/, 'viewport meta');
    like($h, qr{<noscript><meta http-equiv="refresh" content="2"></noscript>},
         'reloads itself only without JavaScript');
    like($h, qr/<script>.*fetch\(location\.href.*ids\(o\) !== ids\(n\)/s,
         'with JavaScript: updated in place when approvals come or go');
    like($h, qr/&lt;b&gt;Log in&lt;\/b&gt;/, 'message shown, escaped');
    unlike($h, qr/<b>Log in/, 'no markup injection');
    like($h, qr/203\.0\.113\.9/, 'details shown');
    like($h, qr/\d+:\d\d left/, 'time left shown');
    like($h, qr{<form method="post" action="/phone/decide">.*?name="id" value="$sid".*?value="approved"}s,
         'Approve form');
    like($h, qr/value="denied"/, 'Deny button');
    unlike($h, qr/(?:src|href)="?(?:https?:)?\/\//i, 'no external assets');
    $r = $sb->request(POST => '/phone/decide',
        {headers => {'Content-Type' => 'application/x-www-form-urlencoded'},
         content => "id=$sid&status=approved&identity=alice-0001"});
    is($r->{status}, 303, 'decide: 303');
    is($r->{headers}{location}, '/phone?identity=alice-0001', 'back to the list');
    my ($a) = grep { $_->{id} eq $sid } @{ $sb->approvals };
    is($a->{status}, 'approved', 'approved from the phone page');
    $h = $sb->request(GET => '/phone?identity=alice-0001')->{content};
    like($h, qr/Recent.*&lt;b&gt;Log in.*approved/s, 'recently decided shown');
    is($sb->request(POST => '/phone/decide', {headers => {'Content-Type' =>
        'application/x-www-form-urlencoded'}, content => "id=$sid&status=denied"})->{status},
       303, 'second decision is ignored');
    ($a) = grep { $_->{id} eq $sid } @{ $sb->approvals };
    is($a->{status}, 'approved', 'decision is final');
    is($sb->request(POST => '/phone/decide', {headers => {'Content-Type' =>
        'application/x-www-form-urlencoded'}, content => "id=nope&status=denied"})->{status},
       404, 'unknown id: 404');
    unlike($sb->request(GET => '/phone?identity=nobody-000')->{content}, qr/Log in/,
           'filtered by identity');
}

# ---- HTTP behaviour ------------------------------------------------------------------
{
    my $buf = raw("GET /_sandbox/config HTTP/1.0\r\n\r\n");
    my ($head, $body, $cl) = split_resp($buf);
    like($head, qr{^HTTP/1\.\d 200}, 'HTTP/1.0 request answered');
    is(length $body, $cl, 'HTTP/1.0: Content-Length matches, connection closed');
    $buf = raw("GET /_sandbox/config HTTP/1.1\r\nHost: x\r\n\r\n"
               . "GET /_sandbox/config HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    my @n = $buf =~ m{HTTP/1\.1 200}g;
    is(scalar @n, 2, 'keep-alive: two responses on one connection, then close');
    $buf = raw("POST $SVC/Entities/alice-0001/Challenges HTTP/1.1\r\nHost: x\r\n"
               . "Authorization: $AUTH\r\nTransfer-Encoding: chunked\r\n"
               . "Content-Type: application/x-www-form-urlencoded\r\nConnection: close\r\n\r\n"
               . sprintf("%x\r\n%s\r\n0\r\n\r\n", length("FactorSid=$factor&Details.Message=c"),
                         "FactorSid=$factor&Details.Message=c"));
    like($buf, qr{^HTTP/1\.1 201}, 'chunked request body accepted');
}

# ---- config and reset -------------------------------------------------------------------
{
    my $c = $sb->config(verify_callback_url => 'http://127.0.0.1:9/v',
                        authy_callback_url => 'http://127.0.0.1:9/a');
    is($c->{verify_callback_url}, 'http://127.0.0.1:9/v', 'config verify url');
    is($c->{authy_callback_url}, 'http://127.0.0.1:9/a', 'config authy url');
    my $sid = challenge($factor)->{json}{sid};
    $sb->decide($sid, 'approved');
    my $cb = $sb->wait_callbacks(1);
    ok($cb->[0]{error} && !defined $cb->[0]{status}, 'unreachable receiver recorded');

    $sb->fail(count => 5, mode => 'status');
    $sb->reset;
    is_deeply($sb->approvals, [], 'reset clears approvals');
    is_deeply($sb->calls, [], 'reset clears calls');
    is_deeply($sb->callbacks, [], 'reset clears callbacks');
    my $r = factors();
    is($r->{status}, 404, 'reset clears entities and failure rules; credentials kept');
    $r = factors(); is($r->{json}{code}, 20404, 'Twilio 404');
    $sb->add_entity('alice-0001');
    is(factors()->{status}, 200, 'entities can be added again');
}

# ---- stop ---------------------------------------------------------------------------------
is($sb->stop, 0, 'SIGTERM: clean exit 0');
like($sb->output, qr/stopped/, 'stopped message');

done_testing;
