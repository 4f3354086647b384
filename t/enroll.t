#!/usr/bin/perl
# push_approval_enroll (SPEC 10): POST hands the phone app what it needs to
# register a device for the current identity, for Verify (an access token)
# and Authy (an SDK registration token); 403 without an identity, 405 for
# other methods, 503 when the provider fails; no secret in the answer, and
# none of the client's headers sent to the provider.  First devices here:
# Verify with first=open, Authy with an invite (t/security_enroll.t has
# the rest: invites, second devices, cross-site POSTs).
use v5.36;
use Test::More;
use JSON::PP;
use MIME::Base64 qw(encode_base64);
use lib 't/lib';
use NginxTest;
use Sandbox;
use PushTest;

my $sb = Sandbox->start(seed => 1);
my $t = NginxTest->new(workers => 2);

our $SECRET = NginxTest::secret_line();
$t->write_file('secret', "$SECRET\n");
$t->write_file('verify.cred', $sb->account_sid . ':' . $sb->auth_token . "\n");
$t->write_file('authy.key', $sb->authy_api_key . "\n");

my $hash = `openssl passwd -apr1 pw`;
chomp $hash;
$t->write_file('htpasswd', "alice:$hash\nmallory:$hash\n");

my $sbport = $sb->port;
my $svc = $sb->verify_service;

$t->start(<<"EOF");
push_approval_zone zone=pa:1m;
push_approval_secret_file %%PREFIX%%/secret;

map \$remote_user \$push_identity {
    default  "";
    alice    carol-0003;
}

server {
    listen 127.0.0.1:%%PORT%%;

    push_approval_api /_push_api/;
    push_approval_verify_service $svc;
    push_approval_verify_credentials_file %%PREFIX%%/verify.cred;
    push_approval_identity \$http_x_user;

    location /_push_api/ {
        internal;
        proxy_pass http://127.0.0.1:$sbport/;
        proxy_read_timeout 3s;
    }

    location = /enroll {
        push_approval_enroll first=open;
    }

    location = /enroll-basic {
        auth_basic "enrolment";
        auth_basic_user_file %%PREFIX%%/htpasswd;
        push_approval_identity \$push_identity;
        push_approval_enroll first=open;
    }

    location = /enroll-authy {
        push_approval_provider authy;
        push_approval_api_key_file %%PREFIX%%/authy.key;
        push_approval_enroll;
    }
}
EOF

my $json = JSON::PP->new;
my @SECRETS = ($sb->auth_token, $sb->authy_api_key);

# what a browser sends along, that must never reach the provider
my %CLIENT = (
    Cookie => 'session=client-session-cookie; push_approval=x',
    Authorization => 'Bearer client-bearer-token',
    'X-Forwarded-For' => '198.51.100.7',
    'User-Agent' => 'client-agent/1.0',
);

sub post ($path, %h) {
    my $body = delete $h{body} // '';
    return $t->request('POST', $path, headers => { %CLIENT, %h },
                       body => $body);
}

# an Authy first device: an invite
sub invite ($id) {
    return (body => 'invite=' . PushTest::invite($SECRET, $id));
}

sub no_secret ($r, $name) {
    my $all = join "\n", $r->{body}, map { "$_: $r->{headers}{$_}" }
                                     keys %{ $r->{headers} };
    ok(!grep({ index($all, $_) >= 0 } @SECRETS),
       "$name: no provider secret in the response");
}

sub clean_call ($name, $call) {
    my $h = $call->{headers} // {};
    ok(!exists $h->{cookie}, "$name: no client Cookie to the provider");
    ok(!exists $h->{'x-user'}, "$name: no identity header to the provider");
    ok(!grep({ index($_ // '', 'client-') >= 0 } values %$h),
       "$name: none of the client's headers")
        or diag(explain($h));
    ok(!grep({ index($_ // '', '198.51.100.7') >= 0 } values %$h),
       "$name: not the client's X-Forwarded-For");
}

# ---- Verify ------------------------------------------------------------------

$sb->clear_calls;
my $r = post('/enroll', 'X-User' => 'carol-0003');
is($r->{status}, 200, 'verify: 200');
like($r->{headers}{'content-type'}, qr{^application/json}, 'verify: JSON');
like($r->{headers}{'cache-control'} // '', qr/no-store/, 'verify: no-store');
my $j = eval { $json->decode($r->{body}) } // {};
is($j->{provider}, 'verify', 'verify: provider');
is($j->{identity}, 'carol-0003', 'verify: identity');
is($j->{service_sid}, $svc, 'verify: service_sid');
is($j->{factor_type}, 'push', 'verify: factor_type');
ok(length($j->{token} // '') > 20, 'verify: token');
is_deeply([sort keys %$j],
          [sort qw(provider identity service_sid factor_type serviceSid
                   factorType token)],
          'verify: exactly the documented fields');
no_secret($r, 'verify');

my $calls = $sb->calls;
is(scalar @$calls, 2, 'verify: two provider calls');
is($calls->[0]{path}, "/v2/Services/$svc/Entities/carol-0003/Factors",
   'verify: first, does the identity have a device');
clean_call('verify: devices', $calls->[0]);
my $c = $calls->[1];
is($c->{method}, 'POST', 'verify: POST');
is($c->{path}, "/v2/Services/$svc/AccessTokens", 'verify: AccessTokens');
is_deeply($c->{params}{Identity}, ['carol-0003'], 'verify: Identity');
is_deeply($c->{params}{FactorType}, ['push'], 'verify: FactorType=push');
is($c->{headers}{authorization}, $sb->verify_auth,
   'verify: the account credentials, not the client\'s Authorization');
clean_call('verify', $c);

# the token is one the phone app can use: the sandbox accepts it for a factor
my $f = $sb->request('POST', "/v2/Services/$svc/Entities/carol-0003/Factors", {
    headers => { Authorization => 'Basic '
                     . encode_base64("token:$j->{token}", ''),
                 'Content-Type' => 'application/x-www-form-urlencoded' },
    content => 'FriendlyName=phone&FactorType=push&Binding.PublicKey=k'
             . '&Config.AppId=app&Config.NotificationPlatform=none',
});
is($f->{status}, 201, 'verify: the token registers a factor');

# no Ttl: Verify's default of 60 s is enough for the app that asked, and a
# token that adds a phone should not outlive its use
ok(!exists $c->{params}{Ttl}, 'verify: no Ttl sent');
my ($payload) = $j->{token} =~ /^[^.]+\.([^.]+)\./;
$payload =~ tr{-_}{+/};
my $claims = eval { $json->decode(MIME::Base64::decode_base64($payload)) } // {};
is(($claims->{exp} // 0) - ($claims->{iat} // 0), 60,
   'verify: the token lives the provider\'s default 60 s, and enrols within it');

# no identity, an identity the provider cannot have
$sb->clear_calls;
$r = post('/enroll');
is($r->{status}, 403, 'verify: no identity, 403');
$r = post('/enroll', 'X-User' => 'short');
is($r->{status}, 403, 'verify: invalid identity, 403');
$r = post('/enroll', 'X-User' => 'alice 0001!');
is($r->{status}, 403, 'verify: identity with bad characters, 403');
is(scalar @{ $sb->calls }, 0, 'verify: no provider call for them');

# other methods
for my $m (qw(GET HEAD PUT DELETE)) {
    $r = $t->request($m, '/enroll', headers => { 'X-User' => 'carol-0003' });
    is($r->{status}, 405, "verify: $m, 405");
}
is(scalar @{ $sb->calls }, 0, 'verify: no provider call for them');

# provider failures
for my $mode (qw(status malformed drop)) {
    $sb->fail(mode => $mode, status => 500, path => 'AccessTokens');
    $r = post('/enroll', 'X-User' => 'dave-00004');
    is($r->{status}, 503, "verify: provider $mode, 503");
    no_secret($r, "verify: provider $mode");
}
$sb->fail(status => 401, path => 'AccessTokens');
$r = post('/enroll', 'X-User' => 'dave-00004');
is($r->{status}, 503, 'verify: provider 401, 503');

# after the failures, it works again
$r = post('/enroll', 'X-User' => 'dave-00004');
is($r->{status}, 200, 'verify: works again');

# the identity from the operator's own first factor
$sb->clear_calls;
$r = post('/enroll-basic',
          Authorization => 'Basic ' . encode_base64('alice:wrong', ''));
is($r->{status}, 401, 'basic auth: wrong password, 401');
is(scalar @{ $sb->calls }, 0, 'basic auth: no provider call');
$r = post('/enroll-basic',
          Authorization => 'Basic ' . encode_base64('alice:pw', ''));
is($r->{status}, 200, 'basic auth: 200');
$j = eval { $json->decode($r->{body}) } // {};
is($j->{identity}, 'carol-0003', 'basic auth: the mapped identity');
$c = $sb->calls->[-1];
is($c->{headers}{authorization}, $sb->verify_auth,
   'basic auth: the client\'s password is not forwarded');
ok(!exists $c->{headers}{cookie}, 'basic auth: no Cookie forwarded');
$r = post('/enroll-basic',
          Authorization => 'Basic ' . encode_base64('mallory:pw', ''));
is($r->{status}, 403, 'basic auth: a user without identity, 403');

# ---- Authy -------------------------------------------------------------------

$sb->clear_calls;
$r = post('/enroll-authy', 'X-User' => '1234567', invite('1234567'));
is($r->{status}, 200, 'authy: 200');
like($r->{headers}{'content-type'}, qr{^application/json}, 'authy: JSON');
$j = eval { $json->decode($r->{body}) } // {};
is($j->{provider}, 'authy', 'authy: provider');
is($j->{identity}, '1234567', 'authy: identity');
ok(length($j->{registration_token} // '') > 8, 'authy: registration_token');
is_deeply([sort keys %$j], [sort qw(provider identity registration_token)],
          'authy: exactly the documented fields');
no_secret($r, 'authy');

$calls = $sb->calls;
is(scalar @$calls, 1, 'authy: one provider call');
$c = $calls->[0];
is($c->{method}, 'POST', 'authy: POST');
is($c->{path}, '/protected/json/sdk/registrations', 'authy: path');
is_deeply($c->{params}{authy_id}, ['1234567'], 'authy: authy_id');
ok(!exists $c->{params}{user_id}, 'authy: no user_id');
is($c->{headers}{'x-authy-api-key'}, $sb->authy_api_key, 'authy: API key');
ok(!exists $c->{headers}{authorization}, 'authy: no Authorization');
clean_call('authy', $c);

$r = post('/enroll-authy');
is($r->{status}, 403, 'authy: no identity, 403');
$r = post('/enroll-authy', 'X-User' => 'alice-0001');
is($r->{status}, 403, 'authy: not an Authy ID, 403');
$r = $t->get('/enroll-authy', headers => { 'X-User' => '1234567' });
is($r->{status}, 405, 'authy: GET, 405');

$sb->fail(status => 503, path => 'sdk/registrations');
$r = post('/enroll-authy', 'X-User' => '1234567', invite('1234567'));
is($r->{status}, 503, 'authy: provider failure, 503');
no_secret($r, 'authy: failure');
$sb->fail(status => 200, body => '{"success":false,"message":"x"}',
          path => 'sdk/registrations');
$r = post('/enroll-authy', 'X-User' => '1234567', invite('1234567'));
is($r->{status}, 503, 'authy: "success":false, 503');

# ---- the error log -----------------------------------------------------------

# (at debug level nginx itself dumps the proxied request headers, provider
# credentials included: only the messages above debug, and the module's own
# debug lines, are checked)
$t->stop;
my $log = join "\n", grep { !/^\S+ \S+ \[debug\]/ || /: (\*\d+ )?push approval/ }
    split /\n(?=\d{4}\/\d\d\/\d\d )/, $t->read_file('logs/error.log');
ok(!grep({ index($log, $_) >= 0 } @SECRETS), 'no secret in the error log');
unlike($log, qr/client-session-cookie|client-bearer-token/,
       'no client cookie or token in the error log');

$t->done_testing;
