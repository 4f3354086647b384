#!/usr/bin/perl
# push_approval_callback with Authy OneTouch (SPEC 7): X-Authy-Signature over
# nonce, method, URL and the canonical parameters of a JSON body or a query
# string; nonce age, replays, and everything that must be refused without
# changing anything.
use v5.36;
use Test::More;
use JSON::PP;
use lib 't/lib';
use PushSign qw(authy_flatten authy_canonical authy_sig form_encode http_raw);
use PushTest;

my $KEY  = 'dev-vector-api-key-0123456789abcd';
my $HOST = 'gate.example.org';
my $PATH = '/_push/callback';
my $JSON = JSON::PP->new->canonical;

# PushTest's server has /_push/callback (client_body_buffer_size 64k) and
# /metrics; the sandbox's API key is the one the callbacks are signed with
my ($t, $sb) = PushTest::setup(
    provider => 'authy',
    sandbox => { authy_api_key => $KEY },
    server => <<'EOF');
    # a callback under another path: the path is part of the signed URL
    location /_push/callback/ {
        push_approval_callback;
    }

    location /fixed {
        push_approval_callback;
        push_approval_callback_url https://cb.example.com/hooks/authy;
    }

    location /ageless {
        push_approval_callback;
        push_approval_callback_max_age 0;
    }
EOF
my $port = $t->port;

# ---- helpers ---------------------------------------------------------------
my $n = 0;

sub callback ($status, %o) {
    my $uuid = $o{uuid} // sprintf('0f3c2a10-5e2b-0137-9a1c-%012d', ++$n);
    return {
        authy_id => 1234567,
        device_uuid => 99,
        callback_action => 'approval_request_status',
        uuid => $uuid,
        status => $status,
        approval_request => {
            transaction => {
                details => { User => 'alice', Path => '/admin/x y' },
                hidden_details => undef,
                message => 'Access to example.org',
                encrypted => JSON::PP::false,
                status => $status,
                uuid => $uuid,
                created_at_time => time,
            },
            expiration_timestamp => time + 60,
            logos => [{ res => 'default', url => 'https://example.org/a.png' },
                      { res => 'low', url => 'https://example.org/b.png' }],
            app_id => '5f00aa00bb11cc22dd33ee44',
        },
        signature => 'c2lnbmF0dXJlK2Jhc2U2NC89',
        device => { id => 99, os_type => 'android', city => undef },
    };
}

sub request ($method, $target, $body, %o) {
    my @h = ([Host => $o{host} // $HOST]);
    push @h, ['Content-Type' => $o{type} // 'application/json']
        if $method eq 'POST' && (!exists $o{type} || defined $o{type});
    push @h, ['X-Authy-Signature' => $o{sig}] if defined $o{sig};
    push @h, ['X-Authy-Signature-Nonce' => $o{nonce}] if defined $o{nonce};
    push @h, @{ $o{headers} // [] };
    return http_raw($port, $method, $target, \@h, $body);
}

# POST a JSON body signed for $o{url} (default: the rebuilt URL)
sub send_json ($obj, %o) {
    my $nonce = $o{nonce} // time;
    my $body = $o{body} // $JSON->encode($obj);
    my $canonical = authy_canonical(authy_flatten($o{signed} // $obj));
    my $target = $o{target} // $PATH;
    my $url = $o{url} // "http://$HOST$target";
    my $sig = $o{sig}
        // authy_sig($KEY, $o{signed_nonce} // $nonce, 'POST', $url,
                     $canonical);
    return request('POST', $target, $body, %o, sig => $sig,
                   nonce => $nonce)->{status};
}

# GET with the flattened parameters as the query string
sub send_get ($obj, %o) {
    my $nonce = $o{nonce} // time;
    my $pairs = authy_flatten($obj);
    my $target = ($o{target} // $PATH) . '?'
                 . ($o{query} // form_encode($pairs));
    my $sig = authy_sig($KEY, $nonce, 'GET', "http://$HOST$PATH",
                        authy_canonical($pairs));
    return request('GET', $target, undef, %o, sig => $sig,
                   nonce => $nonce)->{status};
}

my %before = metrics();
my %tally;

# every answer but 404/405 is counted: 200 ignored (no approval is pending
# here), 401 bad_signature unless said otherwise, 400 malformed
sub check ($got, $want, $name, $metric = undef) {
    $tally{$metric // $want}++;
    return is($got, $want, $name);
}

# ---- valid callbacks: 200 ---------------------------------------------------
{
    my $obj = callback('approved');
    my $nonce = time;
    my $r = request('POST', $PATH, $JSON->encode($obj), nonce => $nonce,
                 sig => authy_sig($KEY, $nonce, 'POST', "http://$HOST$PATH",
                                  authy_canonical(authy_flatten($obj))));
    check($r->{status}, 200, 'approved, unknown approval');
    like($r->{body}, qr/^\{"ok":true\}\s*$/, 'answer {"ok":true}');
}
check(send_json(callback('denied')), 200, 'denied');
check(send_json(callback('pending')), 200, 'other status ignored');
check(send_get(callback('approved')), 200, 'GET with a query string');
check(send_json(callback('approved'), target => "$PATH?x=1",
                url => "http://$HOST$PATH"),
      200, 'the query string is not signed');
{
    my $obj = callback('approved');
    delete $obj->{uuid};
    delete $obj->{status};
    check(send_json($obj), 200, 'uuid and status from the transaction');
}
{
    my $obj = callback('approved');
    $obj->{extra} = { empty => {}, list => [], n => -1500,
                      t => JSON::PP::true };
    check(send_json($obj), 200, 'empty objects, numbers, booleans');
}
check(send_json(callback('approved'),
                type => 'application/json; charset=utf-8'),
      200, 'charset parameter');
check(send_json(callback('approved'), host => "$HOST:80",
                url => "http://$HOST:80$PATH"),
      200, 'Host with its port');
check(send_json(callback('approved'), target => '/fixed',
                url => 'https://cb.example.com/hooks/authy'),
      200, 'push_approval_callback_url');
check(send_json(callback('approved'), target => '/fixed'),
      401, 'push_approval_callback_url: the rebuilt URL is not used');
check(send_json(callback('approved'), target => '/ageless',
                nonce => time - 100000),
      200, 'push_approval_callback_max_age 0: no age check');

# ---- replay, nonce age: 401 -------------------------------------------------
{
    my $obj = callback('approved');
    my $nonce = time;
    check(send_json($obj, nonce => $nonce), 200, 'first delivery');
    check(send_json($obj, nonce => $nonce), 401, 'replayed', 'replayed');
    check(send_json($obj, nonce => $nonce + 1), 200,
          'same body, new nonce and signature');
}
check(send_json(callback('approved'), nonce => time - 400), 401,
      'nonce 400 s old', 'stale');
check(send_json(callback('approved'), nonce => time + 400), 401,
      'nonce 400 s ahead', 'stale');
check(send_json(callback('approved'), nonce => time - 250), 200,
      'nonce 250 s old');
check(send_json(callback('approved'), nonce => 'abc'), 401,
      'nonce not a number', 'stale');
check(send_json(callback('approved'), nonce => time . 'x'), 401,
      'nonce with a suffix', 'stale');

# ---- tampering: 401 ---------------------------------------------------------
{
    my $obj = callback('approved');
    my $nonce = time;
    my $body = $JSON->encode($obj);
    my $sig = authy_sig($KEY, $nonce, 'POST', "http://$HOST$PATH",
                        authy_canonical(authy_flatten($obj)));
    my $post = sub ($b, %o) {
        request('POST', $o{target} // $PATH, $b, nonce => $nonce, sig => $sig,
                %o)->{status};
    };

    (my $b2 = $body) =~ s/"alice"/"alicf"/;
    check($post->($b2), 401, 'changed body');
    (my $b3 = $body) =~ s/"approved"/"denied"/g;
    check($post->($b3), 401, 'changed status');
    check($post->($body, target => "$PATH/"), 401, 'changed path');
    check($post->($body, host => 'gate.example.com'), 401, 'changed host');
    check($post->($body, nonce => $nonce - 1), 401, 'changed nonce');
    (my $s2 = $sig) =~ tr/A-Za-z/B-ZAb-za/;
    check($post->($body, sig => $s2), 401, 'changed signature');
    check($post->($body, sig => undef), 401, 'no signature');
    check($post->($body, nonce => undef), 401, 'no nonce');
    check($post->($body, sig => ''), 401, 'empty signature');
    check($post->($body, headers => [['X-Authy-Signature' => $sig]]), 401,
          'two signatures');
    check(send_json($obj, signed => callback('approved')), 401,
          'signed for another body');
    my $other = authy_sig('another-key-0123456789abcdef0123', $nonce, 'POST',
                          "http://$HOST$PATH",
                          authy_canonical(authy_flatten($obj)));
    check($post->($body, sig => $other), 401, 'signed with another key');
    my $get = authy_sig($KEY, $nonce, 'GET', "http://$HOST$PATH",
                        authy_canonical(authy_flatten($obj)));
    check($post->($body, sig => $get), 401, 'signed for GET, sent as POST');
}
{
    my $obj = callback('approved');
    my $q = form_encode(authy_flatten($obj));
    (my $q2 = $q) =~ s/alice/alicf/;
    check(send_get($obj, query => $q2), 401, 'GET: changed parameter');
    check(send_get($obj, query => "$q&x=1"), 401, 'GET: added parameter');
}

# ---- unparsable or refused: 400 / 405 ----------------------------------------
{
    my $obj = callback('approved');
    my $body = $JSON->encode($obj);
    my $signed = sub ($b, %o) {
        my $nonce = time;
        request('POST', $PATH, $b, nonce => $nonce,
                sig => authy_sig($KEY, $nonce, 'POST', "http://$HOST$PATH",
                                 $o{canonical} // ''), %o)->{status};
    };

    check(send_json($obj, type => 'text/plain'), 400, 'wrong content type');
    check(send_json($obj, type => undef), 400, 'no content type');
    check(send_json($obj, body => '{"uuid":'), 400, 'truncated JSON');
    check(send_json($obj, body => "$body x"), 400, 'trailing garbage');
    check(send_json($obj, body => '[1,2]'), 400, 'top level array');
    check(send_json($obj, body => ''), 400, 'empty body');
    check($signed->('{"a":"' . "\xff" . '"}'), 400, 'invalid UTF-8');
    check($signed->('{"a":"' . "\xed\xa0\x80" . '"}'), 400,
          'encoded surrogate');
    my $deep = ('{"a":' x 17) . '1' . ('}' x 17);
    check($signed->($deep), 400, 'nesting deeper than 16');
    my $ok16 = ('{"a":' x 16) . '1' . ('}' x 16);
    check($signed->($ok16, canonical => 'a' . ('%5Ba%5D' x 15) . '=1'),
          200, 'nesting of 16');
    check($signed->('{"uuid":"a","uuid":"b","status":"approved"}',
                    canonical => 'status=approved&uuid=a&uuid=b'),
          400, 'repeated uuid, signed');
    check($signed->('{"x":"' . ('y' x 70000) . '"}'), 400,
          'body over 64 KB');
    check(send_get($obj, query => 'a=%zz'), 400, 'GET: bad escape');
    check(send_get($obj, query => 'a=%FF'), 400, 'GET: invalid UTF-8');
    is(request('PUT', $PATH, $body)->{status}, 405, 'PUT');
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
    is($d{stale}, $tally{stale}, 'stale nonces counted');
    is($d{replayed}, $tally{replayed}, 'replays counted');
}

my $log = $t->error_log;
unlike($log, qr/\[(alert|emerg|crit)\]/, 'no alerts in the error log');
unlike($log, qr/\Q$KEY\E/, 'the key is never logged');
like($log, qr/\[warn\].*signature from 127\.0\.0\.1/,
     'bad signatures logged at warn with the address');

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
