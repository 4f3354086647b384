#!/usr/bin/perl
# push_approval_callback with Twilio Verify (SPEC 7): X-Twilio-Signature over
# the URL and the form parameters, the default-port and bodySHA256 variants,
# push_approval_callback_url, repeated deliveries, and everything that must
# be refused without changing anything.
use v5.36;
use Test::More;
use JSON::PP;
use lib 't/lib';
use PushSign qw(twilio_sig form_encode http_raw sha256_hex);
use PushTest;

my $TOKEN = 'dev-vector-auth-token';
my $HOST  = 'gate.example.org';
my $PATH  = '/_push/callback';

# PushTest's server has /_push/callback (client_body_buffer_size 64k) and
# /metrics; the sandbox's auth token is the one the callbacks are signed with
my ($t, $sb) = PushTest::setup(
    provider => 'verify',
    sandbox => { auth_token => $TOKEN },
    server => <<'EOF');
    # a callback under another path: the path is part of the signed URL
    location /_push/callback/ {
        push_approval_callback;
    }

    lingering_timeout 200ms;

    location /fixed {
        push_approval_callback;
        push_approval_callback_url https://cb.example.com/hooks/verify;
    }
EOF
my $port = $t->port;

# ---- helpers ---------------------------------------------------------------
my @BASE = (
    [account_sid     => 'AC' . ('1' x 32)],
    [entity_identity => 'alice-0001'],
    [factor_sid      => 'YF' . ('3' x 32)],
    [factor_type     => 'push'],
    [service_sid     => 'VA' . ('2' x 32)],
);
my $n = 0;

sub event ($type, %o) {
    my $sid = $o{sid} // 'YC' . sprintf('%032x', ++$n);
    return [@BASE, [type => $type], [challenge_sid => $sid],
            [uuid => $o{uuid} // "YW-$$-" . ++$n]];
}

sub post ($target, $body, %o) {
    my @h = ([Host => $o{host} // $HOST]);
    push @h, ['Content-Type' => $o{type}
                 // 'application/x-www-form-urlencoded']
        if !exists $o{type} || defined $o{type};
    push @h, ['X-Twilio-Signature' => $_]
        for ref $o{sig} ? @{ $o{sig} } : defined $o{sig} ? ($o{sig}) : ();
    push @h, @{ $o{headers} // [] };
    return http_raw($port, $o{method} // 'POST', $target, \@h, $body)->{status};
}

# signs for $url, sends to $target
sub send_form ($pairs, %o) {
    my $url = $o{url} // "http://$HOST$PATH";
    my $sig = $o{sig} // twilio_sig($TOKEN, $url, $o{signed} // $pairs);
    return post($o{target} // $PATH, $o{body} // form_encode($pairs),
                %o, sig => $sig);
}

my %before = metrics();
my %tally;

# every answer but 404/405 is counted: 200 ignored (no approval is
# pending here), 401 bad_signature, 400 malformed
sub check ($got, $want, $name) {
    $tally{$want}++;
    return is($got, $want, $name);
}

# ---- valid callbacks: 200 ---------------------------------------------------
check(send_form(event('challenge.approved')), 200, 'approved, unknown');
check(send_form(event('challenge.denied')), 200, 'denied, unknown approval');
check(send_form(event('factor.verified')), 200, 'other event type ignored');
check(send_form(event('challenge.approved', sid => '')), 200, 'no sid');
{
    my $e = [grep { $_->[0] ne 'challenge_sid' }
             @{ event('challenge.approved') }];
    push @$e, [sid => 'YC' . ('9' x 32)];
    check(send_form($e), 200, 'sid instead of challenge_sid');
}
{
    my $e = event('challenge.approved');
    my $r = http_raw($port, 'POST', $PATH,
        [[Host => $HOST],
         ['Content-Type' => 'application/x-www-form-urlencoded'],
         ['X-Twilio-Signature' => twilio_sig($TOKEN, "http://$HOST$PATH", $e)]],
        form_encode($e));
    check($r->{status}, 200, 'valid: 200') or diag $r->{headers};
    like($r->{body}, qr/^\{"ok":true\}\s*$/, 'valid: {"ok":true}');
}

# delivered twice: 200 both times
{
    my $e = event('challenge.approved', uuid => 'YW-twice');
    check(send_form($e), 200, 'first delivery');
    check(send_form($e), 200, 'second delivery of the same webhook');
}

# a charset parameter and values that need decoding
{
    my $e = event('challenge.approved');
    push @$e, [note => "x y+z&=%\x{e9}\x{263a}"];
    check(send_form($e, type => 'application/x-www-form-urlencoded; '
                            . 'charset=utf-8'),
       200, 'encoded values, charset');
}

# ---- the URL: default port, push_approval_callback_url ----------------------
check(send_form(event('challenge.approved'), host => "$HOST:80"),
   200, 'Host with :80, signed without the port');
check(send_form(event('challenge.approved'), url => "http://$HOST:80$PATH"),
   200, 'signed with :80, Host without the port');
# Twilio's own validators also try the URL without any port
check(send_form(event('challenge.approved'), host => "$HOST:8080"),
   200, 'Host with :8080, signed without the port');
check(send_form(event('challenge.approved'), host => "$HOST:8080",
                url => "http://$HOST:8080$PATH"),
   200, 'Host with :8080, signed with it');
check(send_form(event('challenge.approved'), host => "$HOST:8080",
                url => "http://$HOST:8081$PATH"),
   401, 'another port is another URL');
check(send_form(event('challenge.approved'), url => "http://$HOST:8080$PATH"),
   401, 'signed with a port the Host does not name');
# a repeated name and value counts once (twilio-python, twilio-node)
{
    my $e = event('challenge.approved');
    my $signed = [@$e, [note => 'a'], [note => 'b']];
    check(send_form([@$signed, [note => 'a']], signed => $signed),
       200, 'a repeated value counts once');
    check(send_form([@$signed, [note => 'a']], signed => [@$signed, [note => 'a']]),
       401, 'a repeated value signed twice: not what Twilio sends');
}
check(send_form(event('challenge.approved'), url => "https://$HOST$PATH"),
   401, 'https URL on a plain connection');
check(send_form(event('challenge.approved'), target => "$PATH?a=1",
             url => "http://$HOST$PATH?a=1"),
   200, 'query string signed');
check(send_form(event('challenge.approved'), target => "$PATH?a=1"),
   401, 'query string not signed');
check(send_form(event('challenge.approved'), target => '/fixed',
             url => 'https://cb.example.com/hooks/verify'),
   200, 'push_approval_callback_url');
check(send_form(event('challenge.approved'), target => '/fixed',
             url => 'https://cb.example.com:443/hooks/verify'),
   200, 'push_approval_callback_url with the default port');
check(send_form(event('challenge.approved'), target => '/fixed',
             url => "http://$HOST/fixed"),
   401, 'push_approval_callback_url: the rebuilt URL is not used');

# ---- bodySHA256 (JSON body) -------------------------------------------------
{
    my $json = encode_json({type => 'challenge.approved',
                            challenge_sid => 'YC' . ('7' x 32),
                            uuid => 'YW-json'});
    my $q = '?bodySHA256=' . sha256_hex($json);
    my $sig = twilio_sig($TOKEN, "http://$HOST$PATH$q");
    check(post("$PATH$q", $json, type => 'application/json', sig => $sig),
       200, 'bodySHA256 variant');
    (my $other = $json) =~ s/approved/denied/;
    check(post("$PATH$q", $other, type => 'application/json', sig => $sig),
       401, 'bodySHA256: changed body');
    my $q2 = '?bodySHA256=' . sha256_hex($other);
    check(post("$PATH$q2", $other, type => 'application/json', sig => $sig),
       401, 'bodySHA256: hash of another body, old signature');
    my $bad = '{"type":';
    my $q3 = '?bodySHA256=' . sha256_hex($bad);
    check(post("$PATH$q3", $bad, type => 'application/json',
            sig => twilio_sig($TOKEN, "http://$HOST$PATH$q3")),
       400, 'bodySHA256: signed but unparsable JSON');
}

# ---- tampering: 401 ---------------------------------------------------------
{
    my $e = event('challenge.approved');
    my $body = form_encode($e);
    my $sig = twilio_sig($TOKEN, "http://$HOST$PATH", $e);

    check(post($PATH, $body, sig => undef), 401, 'no signature');
    check(post($PATH, $body, sig => ''), 401, 'empty signature');
    check(post($PATH, $body, sig => [$sig, $sig]), 401, 'two signatures');
    (my $b2 = $body) =~ s/alice-0001/alice-0002/;
    check(post($PATH, $b2, sig => $sig), 401, 'changed value');
    check(post($PATH, "$body&x=1", sig => $sig), 401, 'added parameter');
    (my $b3 = $body) =~ s/&factor_type=push//;
    check(post($PATH, $b3, sig => $sig), 401, 'removed parameter');
    check(post('/_push/callbacK', $body, sig => $sig), 404,
       'other path (not the callback location)');
    check(post("$PATH/", $body, sig => $sig), 401, 'changed path');
    check(post($PATH, $body, sig => $sig, host => 'gate.example.com'), 401,
       'changed host');
    (my $s2 = $sig) =~ tr/A-Za-z/B-ZAb-za/;
    check(post($PATH, $body, sig => $s2), 401, 'changed signature');
    check(post($PATH, $body, sig => substr($sig, 0, -1)), 401,
       'truncated signature');
    my $wrong = twilio_sig('another-token', "http://$HOST$PATH", $e);
    check(post($PATH, $body, sig => $wrong), 401, 'signed with another token');
}

# ---- unparsable or refused: 400 / 405 ----------------------------------------
{
    my $e = event('challenge.approved');
    my $sig = twilio_sig($TOKEN, "http://$HOST$PATH", $e);
    my $body = form_encode($e);

    check(post($PATH, $body, sig => $sig, type => 'application/json'), 400,
       'wrong content type');
    check(post($PATH, $body, sig => $sig, type => undef), 400,
       'no content type');
    check(post($PATH, 'a=' . ('x' x 70000), sig => $sig), 400,
       'body over 64 KB');
    check(post($PATH, undef, sig => $sig,
            headers => [['Content-Length' => 100000]]), 400,
       'declared length over 64 KB');
    check(post($PATH, "$body&x=%zz", sig => $sig), 400, 'bad percent escape');
    check(post($PATH, "$body&x=%", sig => $sig), 400, 'truncated escape');
    my $u = [@$e, [x => "\xff"]];
    check(post($PATH, form_encode($e) . '&x=%FF',
            sig => twilio_sig($TOKEN, "http://$HOST$PATH", $u)),
       400, 'invalid UTF-8');
    my $rep = [@$e, [type => 'challenge.denied']];
    check(send_form($rep), 400, 'repeated type parameter, signed');
    check(post($PATH, undef, sig => $sig, method => 'GET'), 405, 'GET');
    check(post($PATH, undef, sig => $sig, method => 'PUT'), 405, 'PUT');
}

# chunked body over the limit
{
    my $chunk = 'x' x 40000;
    my $body = sprintf("%x\r\na=%s\r\n%x\r\n%s\r\n0\r\n\r\n",
                       length($chunk) + 2, $chunk, length($chunk), $chunk);
    check(post($PATH, $body, sig => 'x' x 28,
            headers => [['Transfer-Encoding' => 'chunked']]),
       400, 'chunked body over 64 KB');
}

# ---- nothing changed: metrics --------------------------------------------
{
    my %after = metrics();
    ok(scalar %after, 'callback metrics reported');
    my %d = map { $_ => ($after{$_} // 0) - ($before{$_} // 0) }
            qw(accepted ignored bad_signature malformed stale replayed);
    is($d{accepted}, 0, 'no approval decided');
    is($d{ignored}, $tally{200}, 'valid callbacks counted as ignored');
    is($d{bad_signature}, $tally{401}, 'bad signatures counted');
    is($d{malformed}, $tally{400}, 'malformed callbacks counted');
    is($d{stale} + $d{replayed}, 0, 'no nonce checks with Verify');
}

my $log = $t->error_log;
unlike($log, qr/\[(alert|emerg|crit)\]/, 'no alerts in the error log');
unlike($log, qr/\Q$TOKEN\E/, 'the token is never logged');
like($log, qr/\[warn\].*signature from 127\.0\.0\.1/,
     'bad signatures logged at warn with the address');
like($log, qr/\[info\].*"factor\.verified" ignored/,
     'other events logged at info');

$t->done_testing;

# nginx_push_approval_callbacks_total of zone "pa", by result
sub metrics {
    my $r = $t->get('/metrics');
    return () if !$r || $r->{status} != 200;
    my %m;
    for (split /\n/, $r->{body}) {
        next unless /^nginx_push_approval_callbacks_total\{([^}]*)\}\s+(\d+)/;
        my ($labels, $v) = ($1, $2);
        next unless $labels =~ /zone="pa"/;
        $m{$1} = $v if $labels =~ /result="([a-z_]+)"/;
    }
    return %m;
}
