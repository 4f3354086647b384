#!/usr/bin/perl
# Signing: /_sandbox/sign reproduces the vectors of provider-apis.md, and the
# callbacks the sandbox sends carry signatures that an independent Perl
# implementation (below) accepts.
use v5.36;
use Test::More;
use Digest::SHA qw(hmac_sha1_base64 hmac_sha256_base64);
use JSON::PP;
use MIME::Base64 qw(encode_base64);
use Time::HiRes qw(time);
use lib 't/lib';
use Sandbox;

# ---- independent implementations -------------------------------------------
sub pad ($b64) { $b64 . ('=' x ((4 - length($b64) % 4) % 4)) }

sub twilio_sig ($token, $url, $params) {     # $params: {name => [values]}
    my $data = $url;
    for my $k (sort keys %$params) {
        $data .= $k . $_ for sort @{ $params->{$k} };
    }
    return pad(hmac_sha1_base64($data, $token));
}

sub flatten ($v, $prefix, $out) {
    if (ref $v eq 'HASH') {
        flatten($v->{$_}, defined $prefix ? "${prefix}[$_]" : $_, $out) for keys %$v;
    } elsif (ref $v eq 'ARRAY') {
        flatten($v->[$_], "${prefix}[$_]", $out) for 0 .. $#$v;
    } elsif (JSON::PP::is_bool($v)) {
        push @$out, [$prefix, $v ? 'true' : 'false'];
    } else {
        push @$out, [$prefix, $v // ''];
    }
    return $out;
}
sub aesc ($s) {
    utf8::encode($s) if utf8::is_utf8($s);
    $s =~ s/([^A-Za-z0-9\-_.~ ])/sprintf('%%%02X', ord $1)/ge;
    $s =~ tr/ /+/;
    return $s;
}
sub authy_canonical ($pairs) {
    my $s = join '&', sort map { aesc($_->[0]) . '=' . aesc($_->[1]) } @$pairs;
    $s =~ s/%5B\d+%5D/%5B%5D/g;
    return $s;
}
sub authy_sig ($key, $nonce, $method, $url, $pairs) {
    $url =~ s/\?.*//s;
    return pad(hmac_sha256_base64("$nonce|$method|$url|" . authy_canonical($pairs), $key));
}
sub parse_query ($q) {
    my @p;
    for (split /&/, $q) {
        my ($k, $v) = split /=/, $_, 2;
        for ($k, $v) { $_ //= ''; tr/+/ /; s/%([0-9A-Fa-f]{2})/chr hex $1/ge }
        push @p, [$k, $v];
    }
    return \@p;
}
sub multi ($pairs) { my %m; push @{ $m{$_->[0]} }, $_->[1] for @$pairs; \%m }

# ---- vectors ----------------------------------------------------------------
my %A1 = (token => '12345', url => 'https://mycompany.com/myapp.php?foo=1&bar=2',
          params => {CallSid => ['CA1234567890ABCDE'], Caller => ['+14158675309'],
                     Digits => ['1234'], From => ['+14158675309'], To => ['+18005551212']});
my %A2 = (token => 'dev-vector-auth-token', url => 'https://gate.example.org/_push/callback',
          params => {account_sid => ['AC' . '1' x 32], challenge_sid => ['YC' . '4' x 32],
                     entity_identity => ['alice-0001'], factor_sid => ['YF' . '3' x 32],
                     factor_type => ['push'], service_sid => ['VA' . '2' x 32],
                     type => ['challenge.approved'], uuid => ['YW0123']});
my $B1_BODY = '{"authy_id":1234567,"device_uuid":99,"callback_action":"approval_request_status","uuid":"0f3c2a10-5e2b-0137-9a1c-0a58a9feac02","status":"approved","approval_request":{"transaction":{"details":{"User":"alice","Path":"/admin/x y"},"hidden_details":null,"message":"Access to example.org","encrypted":false,"flagged":false,"status":"approved","uuid":"0f3c2a10-5e2b-0137-9a1c-0a58a9feac02","created_at_time":1764000000},"expiration_timestamp":1764000060,"logos":[{"res":"default","url":"https://example.org/a.png"},{"res":"low","url":"https://example.org/b.png"}],"app_id":"5f00aa00bb11cc22dd33ee44"},"signature":"c2lnbmF0dXJlK2Jhc2U2NC89","device":{"id":99,"os_type":"android","city":null}}';
my $B1_CANON = 'approval_request%5Bapp_id%5D=5f00aa00bb11cc22dd33ee44&approval_request%5Bexpiration_timestamp%5D=1764000060&approval_request%5Blogos%5D%5B%5D%5Bres%5D=default&approval_request%5Blogos%5D%5B%5D%5Burl%5D=https%3A%2F%2Fexample.org%2Fa.png&approval_request%5Blogos%5D%5B%5D%5Bres%5D=low&approval_request%5Blogos%5D%5B%5D%5Burl%5D=https%3A%2F%2Fexample.org%2Fb.png&approval_request%5Btransaction%5D%5Bcreated_at_time%5D=1764000000&approval_request%5Btransaction%5D%5Bdetails%5D%5BPath%5D=%2Fadmin%2Fx+y&approval_request%5Btransaction%5D%5Bdetails%5D%5BUser%5D=alice&approval_request%5Btransaction%5D%5Bencrypted%5D=false&approval_request%5Btransaction%5D%5Bflagged%5D=false&approval_request%5Btransaction%5D%5Bhidden_details%5D=&approval_request%5Btransaction%5D%5Bmessage%5D=Access+to+example.org&approval_request%5Btransaction%5D%5Bstatus%5D=approved&approval_request%5Btransaction%5D%5Buuid%5D=0f3c2a10-5e2b-0137-9a1c-0a58a9feac02&authy_id=1234567&callback_action=approval_request_status&device%5Bcity%5D=&device%5Bid%5D=99&device%5Bos_type%5D=android&device_uuid=99&signature=c2lnbmF0dXJlK2Jhc2U2NC89&status=approved&uuid=0f3c2a10-5e2b-0137-9a1c-0a58a9feac02';
my $B1_KEY = 'dev-vector-api-key-0123456789abcd';
my $B1_URL = 'https://gate.example.org/_push/callback';

is(twilio_sig($A1{token}, $A1{url}, $A1{params}), 'RSOYDt4T1cUTdK1PDd93/VVr8B8=',
   'Perl checker: A1');
is(twilio_sig($A2{token}, $A2{url}, $A2{params}), 'SN1NWrXbktc2LS02LnpcvLta8mw=',
   'Perl checker: A2');
my $b1pairs = flatten(JSON::PP->new->decode($B1_BODY), undef, []);
is(authy_canonical($b1pairs), $B1_CANON, 'Perl checker: B1 canonical string');
is(authy_sig($B1_KEY, '1764000030', 'POST', $B1_URL, $b1pairs),
   'epCBSxKXRynR8jLR+h1+NvHT/20qr/vcgkfayjm/yWA=', 'Perl checker: B1');

my $rx = Sandbox::Receiver->new;
my $VURL = $rx->url('/_push/callback?zone=one');
my $AURL = $rx->url('/_push/authy');
my $sb = Sandbox->start(seed => 1, verify_callback_url => $VURL,
                        authy_callback_url => $AURL);

is($sb->sign(provider => 'verify', url => $A1{url}, params => $A1{params},
             key => $A1{token}), 'RSOYDt4T1cUTdK1PDd93/VVr8B8=', '/_sandbox/sign: A1');
is($sb->sign(provider => 'verify', url => $A2{url}, params => $A2{params},
             key => $A2{token}), 'SN1NWrXbktc2LS02LnpcvLta8mw=', '/_sandbox/sign: A2');
my $b1 = $sb->sign_full(provider => 'authy', url => $B1_URL, body => $B1_BODY,
                        method => 'POST', nonce => '1764000030', key => $B1_KEY);
is($b1->{signature}, 'epCBSxKXRynR8jLR+h1+NvHT/20qr/vcgkfayjm/yWA=', '/_sandbox/sign: B1');
is($b1->{canonical}, $B1_CANON, '/_sandbox/sign: B1 canonical string as documented');
is($b1->{data}, "1764000030|POST|$B1_URL|$B1_CANON", '/_sandbox/sign: B1 signed data');
is($sb->sign(provider => 'authy', url => "$B1_URL?a=b", body => $B1_BODY,
             method => 'POST', nonce => '1764000030', key => $B1_KEY),
   'epCBSxKXRynR8jLR+h1+NvHT/20qr/vcgkfayjm/yWA=', 'B1: query string not signed');
is($sb->sign(provider => 'verify', url => $A2{url}, params => $A2{params}),
   twilio_sig($sb->auth_token, $A2{url}, $A2{params}), 'default key: the auth token');

# ---- Verify callbacks ---------------------------------------------------------
my $AUTH = $sb->verify_auth;
my $SVC = '/v2/Services/' . $sb->verify_service;
my $factor = $sb->request(GET => "$SVC/Entities/alice-0001/Factors",
    {headers => {Authorization => $AUTH}})->{json}{factors}[0]{sid};
sub challenge ($msg) {
    my $r = $sb->request(POST => "$SVC/Entities/alice-0001/Challenges",
        {headers => {Authorization => $AUTH,
                     'Content-Type' => 'application/x-www-form-urlencoded'},
         content => "FactorSid=$factor&Details.Message=" . $msg
             . '&HiddenDetails=%7B%22k%22%3A%22v%22%7D'});
    return $r->{json}{sid};
}
sub check_verify_cb ($req, $sid, $type, $name) {
    is($req->{method}, 'POST', "$name: POST");
    like($req->{headers}{'content-type'}, qr{^application/x-www-form-urlencoded},
         "$name: form body");
    my $p = multi(parse_query($req->{body}));
    is(twilio_sig($sb->auth_token, $VURL, $p), $req->{headers}{'x-twilio-signature'},
       "$name: X-Twilio-Signature valid (URL with query)");
    isnt(twilio_sig('wrong-token', $VURL, $p), $req->{headers}{'x-twilio-signature'},
         "$name: not valid with another token");
    is($p->{type}[0], $type, "$name: type");
    is($p->{challenge_sid}[0], $sid, "$name: challenge_sid");
    is($p->{account_sid}[0], $sb->account_sid, "$name: account_sid");
    is($p->{service_sid}[0], $sb->verify_service, "$name: service_sid");
    is($p->{entity_identity}[0], 'alice-0001', "$name: entity_identity");
    is($p->{factor_sid}[0], $factor, "$name: factor_sid");
    is($p->{factor_type}[0], 'push', "$name: factor_type");
    ok(length $p->{uuid}[0], "$name: uuid");
    is($req->{path}, '/_push/callback', "$name: path");
    is($req->{query}, 'zone=one', "$name: query kept");
}
{
    my $sid = challenge('Approve+me');
    is($sb->decide($sid, 'approved'), 200, 'decide approved');
    check_verify_cb($rx->accept_one(timeout => 5), $sid, 'challenge.approved', 'verify approve');
    my $cbs = $sb->wait_callbacks(1);
    is($cbs->[0]{status}, 200, 'callback status recorded');
    is($cbs->[0]{provider}, 'verify', 'callback provider recorded');

    # phone page decision also calls back
    my $sid2 = challenge('Phone');
    my $r = $sb->request(POST => '/phone/decide',
        {headers => {'Content-Type' => 'application/x-www-form-urlencoded'},
         content => "id=$sid2&status=denied"});
    is($r->{status}, 303, 'phone decide: 303') ;
    check_verify_cb($rx->accept_one(timeout => 5), $sid2, 'challenge.denied', 'phone deny');

    # silent decision and expiry send nothing: the next callback is for $sid5
    my ($sid3, $sid4, $sid5) = map { challenge("m$_") } 3 .. 5;
    is($sb->decide($sid3, 'approved', callback => 0), 200, 'silent decision');
    is($sb->expire($sid4), 200, 'expire');
    is($sb->decide($sid5, 'denied'), 200, 'decision with callback');
    my $req = $rx->accept_one(timeout => 5);
    is(multi(parse_query($req->{body}))->{challenge_sid}[0], $sid5,
       'no callback for a silent decision nor for expiry');
    $sb->wait_callbacks(3);

    # the receiver's status is recorded
    my $sid6 = challenge('m6');
    $sb->decide($sid6, 'approved');
    $rx->accept_one(timeout => 5, status => 500);
    my $cb = $sb->wait_callbacks(4);
    is($cb->[3]{status}, 500, 'receiver status 500 recorded');
}

# ---- Authy callbacks ------------------------------------------------------------
my $KEY = $sb->authy_api_key;
sub authy_approval () {
    my $r = $sb->request(POST => '/onetouch/json/users/1234567/approval_requests',
        {headers => {'X-Authy-API-Key' => $KEY, 'Content-Type' => 'application/json'},
         content => JSON::PP->new->encode({message => 'Access to example.org',
             details => {User => 'alice', Path => '/admin/x y'},
             hidden_details => {req => 'r-7'},
             logos => [{res => 'default', url => 'https://example.org/a.png'}],
             seconds_to_expire => 60})});
    return $r->{json}{approval_request}{uuid};
}
{
    my $u = authy_approval();
    is($sb->decide($u, 'denied'), 200, 'authy decide');
    my $req = $rx->accept_one(timeout => 5);
    is($req->{method}, 'POST', 'authy callback: POST');
    is($req->{path}, '/_push/authy', 'authy callback: path');
    like($req->{headers}{'content-type'}, qr{^application/json}, 'JSON body');
    my $nonce = $req->{headers}{'x-authy-signature-nonce'};
    like($nonce, qr/^\d+$/, 'nonce is unix time');
    cmp_ok(abs($nonce - time), '<', 10, 'nonce is now');
    my $body = JSON::PP->new->decode($req->{body});
    is(authy_sig($KEY, $nonce, 'POST', $AURL, flatten($body, undef, [])),
       $req->{headers}{'x-authy-signature'}, 'X-Authy-Signature valid');
    isnt(authy_sig('other-key', $nonce, 'POST', $AURL, flatten($body, undef, [])),
         $req->{headers}{'x-authy-signature'}, 'not valid with another key');
    is($body->{uuid}, $u, 'uuid');
    is($body->{status}, 'denied', 'status');
    is($body->{authy_id}, 1234567, 'authy_id');
    is($body->{callback_action}, 'approval_request_status', 'callback_action');
    my $tx = $body->{approval_request}{transaction};
    is_deeply($tx->{details}, {User => 'alice', Path => '/admin/x y'}, 'details');
    is_deeply($tx->{hidden_details}, {req => 'r-7'}, 'hidden_details');
    is($tx->{message}, 'Access to example.org', 'message');
    is($tx->{status}, 'denied', 'transaction status');
    is($tx->{uuid}, $u, 'transaction uuid');
    ok($body->{approval_request}{expiration_timestamp}, 'expiration_timestamp');
    is_deeply($body->{approval_request}{logos},
              [{res => 'default', url => 'https://example.org/a.png'}], 'logos');
    ok(length $body->{signature} && ref $body->{device} eq 'HASH', 'signature and device');

    # GET variant (query string)
    $sb->config(authy_callback_method => 'GET');
    my $u2 = authy_approval();
    $sb->decide($u2, 'approved');
    $req = $rx->accept_one(timeout => 5);
    is($req->{method}, 'GET', 'authy GET callback');
    my $pairs = parse_query($req->{query});
    is(authy_sig($KEY, $req->{headers}{'x-authy-signature-nonce'}, 'GET', $AURL, $pairs),
       $req->{headers}{'x-authy-signature'}, 'GET callback signature valid');
    my $m = multi($pairs);
    is($m->{uuid}[0], $u2, 'GET: uuid');
    is($m->{status}[0], 'approved', 'GET: status');
    is($m->{'approval_request[transaction][details][Path]'}[0], '/admin/x y',
       'GET: nested details');
    $sb->config(authy_callback_method => 'POST');
}

# ---- callback URL set at run time ----------------------------------------------
{
    my $rx2 = Sandbox::Receiver->new;
    my $url2 = $rx2->url('/other');
    $sb->config(verify_callback_url => $url2);
    my $sid = challenge('again');
    $sb->decide($sid, 'approved');
    my $req = $rx2->accept_one(timeout => 5);
    is($req->{path}, '/other', 'run-time callback URL used');
    is(twilio_sig($sb->auth_token, $url2, multi(parse_query($req->{body}))),
       $req->{headers}{'x-twilio-signature'}, 'signed over the new URL');
}

# a repeated name and value counts once, as twilio-python and twilio-node
is($sb->sign(provider => 'verify', url => $A1{url},
             params => {a => ['x', 'y', 'x']}, key => '12345'),
   $sb->sign(provider => 'verify', url => $A1{url},
             params => {a => ['y', 'x']}, key => '12345'),
   'verify: a repeated value counts once');

done_testing;
