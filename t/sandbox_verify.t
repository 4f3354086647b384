#!/usr/bin/perl
# The sandbox's Twilio Verify Push v2 API is faithful to provider-apis.md (A).
use v5.36;
use Test::More;
use JSON::PP;
use MIME::Base64 qw(encode_base64);
use POSIX qw(strftime);
use Time::HiRes qw(sleep time);
use lib 't/lib';
use Sandbox;

my $sb = Sandbox->start(seed => 1, api_key_sid => 'SK' . ('c' x 32),
                        api_key_secret => 'sandbox-api-key-secret');
my $VA  = $sb->verify_service;
my $SVC = "/v2/Services/$VA";
my $AUTH = $sb->verify_auth;
my $J = JSON::PP->new->canonical;

sub form (@kv) {
    my @p;
    while (my ($k, $v) = splice @kv, 0, 2) {
        $v =~ s/([^A-Za-z0-9\-._~])/sprintf('%%%02X', ord $1)/ge;
        push @p, "$k=$v";
    }
    return join '&', @p;
}
sub api ($method, $path, $body = undef, $auth = $AUTH) {
    my %h = (Accept => 'application/json');
    $h{Authorization} = $auth if defined $auth;
    $h{'Content-Type'} = 'application/x-www-form-urlencoded' if defined $body;
    return $sb->request($method, $path,
                        {headers => \%h, (defined $body ? (content => $body) : ())});
}
sub twilio_error ($res, $status, $code, $name) {
    is($res->{status}, $status, "$name: HTTP $status");
    is($res->{json}{code}, $code, "$name: code $code");
    like($res->{content}, qr/"code":\s*$code[,}]/, "$name: code is an integer");
    is($res->{json}{status}, $status, "$name: status field");
    is($res->{json}{more_info}, "https://www.twilio.com/docs/errors/$code",
       "$name: more_info");
    ok(length $res->{json}{message}, "$name: message");
}
sub iso ($t) { strftime('%Y-%m-%dT%H:%M:%SZ', gmtime $t) }

# ---- authentication --------------------------------------------------------
{
    my $r = api(GET => "$SVC/Entities/alice-0001/Factors", undef, undef);
    is($r->{status}, 401, 'no credentials: 401');
    is_deeply($r->{json}, {code => 20003, message => 'Authenticate',
        more_info => 'https://www.twilio.com/docs/errors/20003', status => 401},
        'no credentials: Twilio error body');
    $r = api(GET => "$SVC/Entities/alice-0001/Factors", undef,
             'Basic ' . encode_base64($sb->account_sid . ':wrong', ''));
    twilio_error($r, 401, 20003, 'wrong token');
    $r = api(GET => "$SVC/Entities/alice-0001/Factors", undef,
             'Basic ' . encode_base64('SK' . ('c' x 32) . ':sandbox-api-key-secret', ''));
    is($r->{status}, 200, 'API key credentials accepted');
    $r = api(GET => "/v2/Services/VA" . ('9' x 32) . "/Entities/alice-0001/Factors");
    twilio_error($r, 404, 20404, 'unknown service');
}

# ---- factors -----------------------------------------------------------------
my $alice_factor;
{
    my $r = api(GET => "$SVC/Entities/alice-0001/Factors");
    is($r->{status}, 200, 'list factors: 200');
    my $f = $r->{json}{factors}[0];
    like($f->{sid}, qr/^YF[0-9a-f]{32}$/, 'factor sid');
    $alice_factor = $f->{sid};
    is($f->{status}, 'verified', 'seeded alice factor is verified');
    is($f->{factor_type}, 'push', 'factor_type push');
    is($f->{identity}, 'alice-0001', 'identity');
    like($f->{config}{notification_platform}, qr/^(apn|fcm|none)$/, 'platform');
    ok(exists $f->{$_}, "factor has $_")
        for qw(friendly_name date_created url account_sid service_sid entity_sid);
    is($r->{json}{meta}{key}, 'factors', 'meta key');
    ok(exists $r->{json}{meta}{$_}, "meta has $_")
        for qw(page page_size url next_page_url first_page_url);
    twilio_error(api(GET => "$SVC/Entities/nobody-0000/Factors"), 404, 20404,
                 'unknown entity factors');
    $r = api(GET => "$SVC/Entities/bob-00002/Factors");
    is($r->{json}{factors}[0]{status}, 'unverified', 'bob factor is unverified');
}

# ---- create challenge ----------------------------------------------------------
my $challenge;
{
    my $t0 = time;
    my $r = api(POST => "$SVC/Entities/alice-0001/Challenges",
                form(FactorSid => $alice_factor, 'Details.Message' => 'Log in to example.org',
                     'Details.Fields' => '{"label":"IP","value":"203.0.113.9"}',
                     'Details.Fields' => '{"label":"Path","value":"/admin"}',
                     HiddenDetails => '{"req":"r-1"}'));
    is($r->{status}, 201, 'create challenge: 201') or diag $r->{content};
    my $c = $challenge = $r->{json};
    like($c->{sid}, qr/^YC[0-9a-f]{32}$/, 'challenge sid');
    is($c->{status}, 'pending', 'pending');
    is($c->{identity}, 'alice-0001', 'identity');
    is($c->{factor_sid}, $alice_factor, 'factor_sid');
    is($c->{account_sid}, $sb->account_sid, 'account_sid');
    is($c->{service_sid}, $VA, 'service_sid');
    like($c->{entity_sid}, qr/^YE[0-9a-f]{32}$/, 'entity_sid');
    is($c->{factor_type}, 'push', 'factor_type');
    is($c->{responded_reason}, 'none', 'responded_reason');
    is($c->{date_responded}, undef, 'date_responded null');
    is($c->{details}{message}, 'Log in to example.org', 'details.message');
    is_deeply($c->{details}{fields}, [{label => 'IP', value => '203.0.113.9'},
                                      {label => 'Path', value => '/admin'}], 'fields');
    is_deeply($c->{hidden_details}, {req => 'r-1'}, 'hidden_details');
    ok(exists $c->{$_}, "challenge has $_")
        for qw(date_created date_updated expiration_date metadata url links);
    like($c->{expiration_date}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'date format');
    my @e = (iso($t0 + 299), iso($t0 + 300), iso($t0 + 301));
    ok((grep { $_ eq $c->{expiration_date} } @e), 'default expiry 5 minutes');
    $r = api(GET => "$SVC/Entities/alice-0001/Challenges/$c->{sid}");
    is($r->{status}, 200, 'fetch: 200');
    is($r->{json}{sid}, $c->{sid}, 'fetch: same sid');
    twilio_error(api(GET => "$SVC/Entities/alice-0001/Challenges/YC" . ('0' x 32)),
                 404, 20404, 'unknown challenge');
    twilio_error(api(GET => "$SVC/Entities/bob-00002/Challenges/$c->{sid}"),
                 404, 20404, 'challenge of another entity');
    my $a = $sb->approvals(identity => 'alice-0001');
    is($a->[0]{id}, $c->{sid}, 'control API lists the challenge');
    is_deeply($a->[0]{details}, $c->{details}{fields}, 'control API details');
}

# ---- create challenge errors ---------------------------------------------------
{
    my $P = "$SVC/Entities/alice-0001/Challenges";
    my %ok = (FactorSid => $alice_factor, 'Details.Message' => 'm');
    my $f = sub (%over) { my %h = (%ok, %over);
        form(map { defined $h{$_} ? ($_ => $h{$_}) : () } sort keys %h) };
    twilio_error(api(POST => $P, $f->(FactorSid => undef)), 400, 60200, 'no FactorSid');
    twilio_error(api(POST => $P, $f->('Details.Message' => undef)), 400, 60200, 'no message');
    twilio_error(api(POST => $P, $f->('Details.Message' => 'x' x 257)), 400, 60200,
                 'message > 256');
    is(api(POST => $P, $f->('Details.Message' => 'x' x 256))->{status}, 201,
       'message of 256 accepted');
    my $fields = join '&', map { 'Details.Fields=' . '%7B%22label%22%3A%22L' . $_
        . '%22%2C%22value%22%3A%22v%22%7D' } 1 .. 21;
    twilio_error(api(POST => $P, $f->() . "&$fields"), 400, 60200, '21 fields');
    twilio_error(api(POST => $P, $f->() . '&' . form('Details.Fields' =>
        $J->encode({label => 'x' x 37, value => 'v'}))), 400, 60200, 'label > 36');
    twilio_error(api(POST => $P, $f->() . '&' . form('Details.Fields' =>
        $J->encode({label => 'l', value => 'v' x 129}))), 400, 60200, 'value > 128');
    twilio_error(api(POST => $P, $f->() . '&' . form('Details.Fields' => 'not json')),
                 400, 60200, 'field not JSON');
    twilio_error(api(POST => $P, $f->(HiddenDetails => $J->encode({k => 'v' x 1100}))),
                 400, 60200, 'HiddenDetails > 1024');
    twilio_error(api(POST => $P, $f->(ExpirationDate => iso(time + 3700))), 400, 60200,
                 'expiry > 60 min');
    twilio_error(api(POST => $P, $f->(ExpirationDate => iso(time - 10))), 400, 60200,
                 'expiry in the past');
    twilio_error(api(POST => $P, $f->(ExpirationDate => 'tomorrow')), 400, 60200,
                 'expiry not a date');
    is(api(POST => $P, $f->(ExpirationDate => iso(time + 3500)))->{status}, 201,
       'expiry 58 min accepted');
    twilio_error(api(POST => "$SVC/Entities/nobody-0000/Challenges", $f->()), 404, 20404,
                 'unknown entity');
    my $bobf = api(GET => "$SVC/Entities/bob-00002/Factors")->{json}{factors}[0]{sid};
    twilio_error(api(POST => "$SVC/Entities/bob-00002/Challenges",
                     $f->(FactorSid => $bobf)), 403, 60318, 'unverified factor');
    twilio_error(api(POST => "$SVC/Entities/bob-00002/Challenges", $f->()), 404, 20404,
                 'factor of another entity');
    twilio_error(api(POST => $P, $f->(), undef), 401, 20003, 'create without auth');
}

# ---- decisions and expiry --------------------------------------------------------
{
    my $sid = $challenge->{sid};
    is($sb->decide($sid, 'approved', callback => 0), 200, 'decide: 200');
    my $r = api(GET => "$SVC/Entities/alice-0001/Challenges/$sid");
    is($r->{json}{status}, 'approved', 'fetched status approved');
    like($r->{json}{date_responded}, qr/^\d{4}-/, 'date_responded set');
    is($sb->decide($sid, 'denied'), 409, 'decide twice: 409');
    is($sb->decide('YC' . ('1' x 32), 'denied'), 404, 'decide unknown: 404');

    my $t = time;
    $r = api(POST => "$SVC/Entities/alice-0001/Challenges",
             form(FactorSid => $alice_factor, 'Details.Message' => 'short',
                  ExpirationDate => iso(time + 2)));
    is($r->{status}, 201, 'short challenge created');
    my $short = $r->{json}{sid};
    my $st;
    while (time - $t < 5) {
        $st = api(GET => "$SVC/Entities/alice-0001/Challenges/$short")->{json}{status};
        last if $st ne 'pending';
        sleep 0.1;
    }
    is($st, 'expired', 'status becomes expired after expiration_date');
    cmp_ok(time - $t, '<', 3.5, 'expired in time');
    is($sb->decide($short, 'approved'), 409, 'cannot decide an expired challenge');

    $r = api(POST => "$SVC/Entities/alice-0001/Challenges",
             form(FactorSid => $alice_factor, 'Details.Message' => 'to expire'));
    is($sb->expire($r->{json}{sid}), 200, 'control expire');
    is(api(GET => "$SVC/Entities/alice-0001/Challenges/$r->{json}{sid}")->{json}{status},
       'expired', 'expired by control');
    is($sb->expire($r->{json}{sid}), 409, 'expire twice: 409');
}

# ---- access tokens and phone-app factor registration ------------------------------
{
    my $r = api(POST => "$SVC/AccessTokens",
                form(Identity => 'dave-00004', FactorType => 'push',
                     FactorFriendlyName => "Dave's phone"));
    is($r->{status}, 201, 'access token: 201') or diag $r->{content};
    my $t = $r->{json};
    like($t->{sid}, qr/^YK[0-9a-f]{32}$/, 'token sid');
    is($t->{entity_identity}, 'dave-00004', 'entity_identity');
    is($t->{factor_type}, 'push', 'factor_type');
    is($t->{factor_friendly_name}, "Dave's phone", 'factor_friendly_name');
    is($t->{ttl}, 60, 'ttl: 60 s by default, as Verify');
    is($t->{account_sid}, $sb->account_sid, 'account_sid');
    is($t->{service_sid}, $VA, 'service_sid');
    ok($t->{url} && $t->{date_created}, 'url and date_created');
    like($t->{token}, qr/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'JWT-looking');
    # Ttl 60..300 (twilio-oai CreateAccessToken)
    for my $ttl (59, 301, 600, 86400) {
        twilio_error(api(POST => "$SVC/AccessTokens",
                         form(Identity => 'dave-00004', FactorType => 'push',
                              Ttl => $ttl)),
                     400, 60200, "token with Ttl $ttl");
    }
    is(api(POST => "$SVC/AccessTokens",
           form(Identity => 'dave-00004', FactorType => 'push', Ttl => 300))
       ->{json}{ttl}, 300, 'token with Ttl 300');
    twilio_error(api(POST => "$SVC/AccessTokens", form(FactorType => 'push')),
                 400, 60200, 'token without Identity');
    twilio_error(api(POST => "$SVC/AccessTokens",
                     form(Identity => 'dave-00004', FactorType => 'sms')),
                 400, 60200, 'token with FactorType sms');
    twilio_error(api(POST => "$SVC/AccessTokens",
                     form(Identity => 'short', FactorType => 'push')),
                 400, 60200, 'identity shorter than 8');

    my $tok = 'Basic ' . encode_base64("token:$t->{token}", '');
    my %fp = (FriendlyName => "Dave's phone", FactorType => 'push',
              'Binding.PublicKey' => 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE',
              'Binding.Alg' => 'ES256', 'Config.AppId' => 'org.example.app',
              'Config.NotificationPlatform' => 'fcm',
              'Config.NotificationToken' => 'fcm-token-1', 'Config.SdkVersion' => '2.0.0');
    my $P = "$SVC/Entities/dave-00004/Factors";
    twilio_error(api(POST => $P, form(%fp), undef), 401, 20003, 'factor without auth');
    twilio_error(api(POST => "$SVC/Entities/erin-000005/Factors", form(%fp), $tok),
                 401, 20003, 'token for another identity');
    twilio_error(api(POST => $P, form(%fp, 'Binding.PublicKey' => ''), $tok), 400, 60200,
                 'factor without public key');
    $r = api(POST => $P, form(%fp), $tok);
    is($r->{status}, 201, 'factor created with the access token') or diag $r->{content};
    my $f = $r->{json};
    like($f->{sid}, qr/^YF[0-9a-f]{32}$/, 'new factor sid');
    is($f->{status}, 'unverified', 'new factor unverified');
    is($f->{config}{notification_platform}, 'fcm', 'config');
    is($f->{binding}{public_key}, $fp{'Binding.PublicKey'}, 'binding returned on create');
    is(api(GET => "$SVC/Entities/dave-00004")->{status}, 200, 'entity created implicitly');
    twilio_error(api(POST => "$SVC/Entities/dave-00004/Challenges",
                     form(FactorSid => $f->{sid}, 'Details.Message' => 'm')),
                 403, 60318, 'challenge to unverified factor');
    $r = api(POST => "$P/$f->{sid}", form(AuthPayload => 'signed-payload'), $tok);
    is($r->{status}, 200, 'verify factor: 200');
    is($r->{json}{status}, 'verified', 'factor verified');
    is(api(POST => "$SVC/Entities/dave-00004/Challenges",
           form(FactorSid => $f->{sid}, 'Details.Message' => 'm'))->{status}, 201,
       'challenge to the newly verified factor');
    is(api(GET => "$P/$f->{sid}")->{json}{status}, 'verified', 'fetch factor');
}

# ---- control seeding -----------------------------------------------------------
{
    my $fs = $sb->add_entity('frank-00006', 'verified');
    like($fs, qr/^YF/, 'add_entity returns the factor sid');
    is(api(POST => "$SVC/Entities/frank-00006/Challenges",
           form(FactorSid => $fs, 'Details.Message' => 'm'))->{status}, 201,
       'challenge to seeded entity');
    is($sb->add_entity('gina-000007', 'none'), undef, 'entity without factor');
    my $r = api(GET => "$SVC/Entities/gina-000007/Factors");
    is_deeply($r->{json}{factors}, [], 'no factors');
}

done_testing;
