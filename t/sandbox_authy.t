#!/usr/bin/perl
# The sandbox's Authy OneTouch API is faithful to provider-apis.md (B).
use v5.36;
use Test::More;
use JSON::PP;
use Time::HiRes qw(sleep time);
use lib 't/lib';
use Sandbox;

my $sb  = Sandbox->start(seed => 1);
my $KEY = $sb->authy_api_key;
my $J   = JSON::PP->new->canonical;

sub esc ($s) { $s =~ s/([^A-Za-z0-9\-._~])/sprintf('%%%02X', ord $1)/ge; $s }
sub form (@kv) {
    my @p;
    while (my ($k, $v) = splice @kv, 0, 2) { push @p, esc($k) . '=' . esc($v) }
    join '&', @p;
}
sub api ($method, $path, %o) {
    my %h;
    $h{'X-Authy-API-Key'} = exists $o{key} ? $o{key} : $KEY;
    delete $h{'X-Authy-API-Key'} unless defined $h{'X-Authy-API-Key'};
    my %args = (headers => \%h);
    if (defined $o{json}) {
        $h{'Content-Type'} = 'application/json';
        $args{content} = $J->encode($o{json});
    } elsif (defined $o{form}) {
        $h{'Content-Type'} = 'application/x-www-form-urlencoded';
        $args{content} = $o{form};
    }
    $path .= "?$o{query}" if defined $o{query};
    return $sb->request($method, $path, \%args);
}
sub authy_error ($res, $status, $code, $name) {
    is($res->{status}, $status, "$name: HTTP $status");
    is($res->{json}{success}, JSON::PP::false, "$name: success false");
    is($res->{json}{error_code}, $code, "$name: error_code $code");
    like($res->{content}, qr/"error_code":\s*"$code"/, "$name: error_code is a string");
    ok(length $res->{json}{message}, "$name: message");
    is($res->{json}{errors}{message}, $res->{json}{message}, "$name: errors.message");
}

# ---- API key ------------------------------------------------------------------
{
    my $r = api(GET => '/protected/json/users/1234567/status', key => undef);
    is($r->{status}, 401, 'no key: 401');
    is_deeply($r->{json}, {message => 'Invalid API key', success => JSON::PP::false,
        errors => {message => 'Invalid API key'}, error_code => '60001'},
        'no key: exact body');
    authy_error(api(GET => '/protected/json/users/1234567/status', key => 'nope'),
                401, '60001', 'wrong key');
    authy_error(api(POST => '/onetouch/json/users/1234567/approval_requests',
                    key => 'nope', form => 'message=x'), 401, '60001', 'wrong key create');
}

# ---- users ----------------------------------------------------------------------
my $uid;
{
    my $r = api(POST => '/protected/json/users/new',
                form => form('user[email]' => 'carol@example.org',
                             'user[cellphone]' => '555-000-1111',
                             'user[country_code]' => '1'));
    is($r->{status}, 200, 'register user: 200');
    is($r->{json}{success}, JSON::PP::true, 'success true');
    is($r->{json}{message}, 'User created successfully.', 'message');
    like($r->{json}{user}{id}, qr/^\d+$/, 'numeric id');
    $uid = $r->{json}{user}{id};
    $r = api(POST => '/protected/json/users/new',
             json => {user => {email => 'carol@example.org', cellphone => '5550001111',
                               country_code => 1}});
    is($r->{json}{user}{id}, $uid, 'same phone (JSON body): same id');
    $r = api(POST => '/protected/json/users/new', form => form('user[email]' => 'x@y.z'));
    is($r->{status}, 400, 'incomplete user: 400');
    is($r->{json}{success}, JSON::PP::false, 'incomplete user: success false');
    like($r->{content}, qr/"error_code":\s*"\d+"/, 'incomplete user: string error_code');

    $r = api(GET => "/protected/json/users/$uid/status");
    is($r->{status}, 200, 'user status: 200');
    is($r->{json}{success}, JSON::PP::true, 'user status: success');
    is($r->{json}{status}{authy_id}, $uid, 'authy_id');
    is($r->{json}{status}{registered}, JSON::PP::true, 'registered');
    authy_error(api(GET => '/protected/json/users/999999/status'), 404, '60026',
                'unknown user status');
    is($sb->add_authy_user(4242), 4242, 'add_authy_user with id');
    is(api(GET => '/protected/json/users/4242/status')->{status}, 200, 'seeded user');
}

# ---- approval requests: three equivalent encodings ------------------------------
my @uuids;
{
    my %req = (message => 'Access to example.org',
               details => {User => 'alice', Path => '/admin/x y'},
               hidden_details => {req => 'r-1', ip => '203.0.113.9'},
               logos => [{res => 'default', url => 'https://example.org/a.png'},
                         {res => 'low', url => 'https://example.org/b.png'}],
               seconds_to_expire => 120);
    my @flat = (message => $req{message},
                'details[User]' => 'alice', 'details[Path]' => '/admin/x y',
                'hidden_details[req]' => 'r-1', 'hidden_details[ip]' => '203.0.113.9',
                'logos[][res]' => 'default', 'logos[][url]' => 'https://example.org/a.png',
                'logos[][res]' => 'low', 'logos[][url]' => 'https://example.org/b.png',
                seconds_to_expire => 120);
    my $P = '/onetouch/json/users/1234567/approval_requests';
    $sb->clear_calls;
    my @res = (api(POST => $P, json => \%req),
               api(POST => $P, form => form(@flat)),
               api(POST => $P, query => form(@flat)));
    for my $i (0 .. 2) {
        my $r = $res[$i];
        my $enc = (qw(JSON form query))[$i];
        is($r->{status}, 200, "create ($enc): 200") or diag $r->{content};
        is($r->{json}{success}, JSON::PP::true, "create ($enc): success");
        like($r->{json}{approval_request}{uuid},
             qr/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
             "create ($enc): uuid");
        push @uuids, $r->{json}{approval_request}{uuid};
    }
    my %by = map { $_->{id} => $_ } @{ $sb->approvals(identity => '1234567') };
    my @stored = map {
        my $a = $by{$_};
        +{ message => $a->{message}, details => $a->{details},
           hidden => $a->{hidden_details}, logos => $a->{logos},
           left => int($a->{expires} - $a->{created} + 0.5) }
    } @uuids;
    my sub norm ($s) { +{ %$s, details => [sort { $a->{label} cmp $b->{label} }
                                           @{ $s->{details} }] } }
    is_deeply(norm($stored[0]), norm({message => 'Access to example.org',
        details => [{label => 'User', value => 'alice'},
                    {label => 'Path', value => '/admin/x y'}],
        hidden => {req => 'r-1', ip => '203.0.113.9'},
        logos => $req{logos}, left => 120}), 'JSON encoding stored as sent')
        or diag explain $stored[0];
    is_deeply(norm($stored[1]), norm($stored[0]), 'form encoding: same approval');
    is_deeply(norm($stored[2]), norm($stored[0]), 'query encoding: same approval');
    my $calls = $sb->calls(path => qr/approval_requests$/, method => 'POST');
    is(scalar @$calls, 3, 'three create calls logged');
    my sub sorted ($p) { +{ map { $_ => [sort @{ $p->{$_} }] } keys %$p } }
    is_deeply(sorted($calls->[1]{params}), sorted($calls->[0]{params}),
              'call log: form params equal JSON params');
    is_deeply(sorted($calls->[2]{params}), sorted($calls->[0]{params}),
              'call log: query params equal JSON params');
    is_deeply($calls->[1]{params}{'details[Path]'}, ['/admin/x y'], 'params decoded');
    is($calls->[0]{headers}{'x-authy-api-key'}, $KEY, 'headers lower-case');
}

# ---- approval status -------------------------------------------------------------
{
    my $r = api(GET => "/onetouch/json/approval_requests/$uuids[0]");
    is($r->{status}, 200, 'status: 200');
    is($r->{json}{success}, JSON::PP::true, 'status: success');
    my $ar = $r->{json}{approval_request};
    is($ar->{uuid}, $uuids[0], 'uuid');
    is($ar->{status}, 'pending', 'pending');
    is($ar->{processed_at}, undef, 'processed_at null while pending');
    is($ar->{seconds_to_expire}, 120, 'seconds_to_expire');
    is($ar->{_authy_id}, 1234567, '_authy_id');
    ok(exists $ar->{$_}, "has $_") for qw(created_at updated_at app_id);
    authy_error(api(GET => '/onetouch/json/approval_requests/00000000-0000-0000-0000-000000000000'),
                404, '60049', 'unknown approval');

    is($sb->decide($uuids[0], 'approved', callback => 0), 200, 'decide');
    $ar = api(GET => "/onetouch/json/approval_requests/$uuids[0]")->{json}{approval_request};
    is($ar->{status}, 'approved', 'approved');
    ok(defined $ar->{processed_at}, 'processed_at set');
    is($sb->decide($uuids[0], 'denied'), 409, 'decided once');
    is($sb->decide($uuids[1], 'denied', callback => 0), 200, 'deny');
    is(api(GET => "/onetouch/json/approval_requests/$uuids[1]")->{json}{approval_request}{status},
       'denied', 'denied');
}

# ---- create errors ------------------------------------------------------------------
{
    my $P = '/onetouch/json/users/1234567/approval_requests';
    authy_error(api(POST => '/onetouch/json/users/999999/approval_requests',
                    form => 'message=x'), 404, '60026', 'unknown user');
    authy_error(api(POST => '/onetouch/json/users/abc/approval_requests',
                    form => 'message=x'), 404, '60026', 'non-numeric user');
    my %bad = (
        'no message'          => form('details[a]' => 'b'),
        'empty message'       => 'message=',
        'message > 144'       => form(message => 'x' x 145),
        'bad logo res'        => form(message => 'm', 'logos[][res]' => 'huge',
                                      'logos[][url]' => 'https://x/a.png'),
        'logo without url'    => form(message => 'm', 'logos[][res]' => 'low'),
        'negative expiry'     => form(message => 'm', seconds_to_expire => -1),
        'non-numeric expiry'  => form(message => 'm', seconds_to_expire => 'soon'),
        # Authy documents details keys of at most 20 characters
        'details key > 20'    => form(message => 'm', 'details[' . ('k' x 21) . ']' => 'v'),
    );
    for my $name (sort keys %bad) {
        my $r = api(POST => $P, form => $bad{$name});
        is($r->{status}, 400, "$name: 400");
        is($r->{json}{success}, JSON::PP::false, "$name: success false");
        like($r->{content}, qr/"error_code":\s*"\d+"/, "$name: string error_code");
    }
    my $r = api(POST => $P, json => {message => 'm', details => 'flat'});
    is($r->{status}, 400, 'details not an object: 400');
    $r = $sb->request(POST => $P, {headers => {'X-Authy-API-Key' => $KEY,
        'Content-Type' => 'application/json'}, content => '{"message": '});
    is($r->{status}, 400, 'broken JSON body: 400');
    is(api(POST => $P, form => form(message => 'm', 'details[' . ('k' x 20) . ']' => 'v'))
       ->{status}, 200, 'details key of 20 characters: 200');
    is(api(POST => $P, form => form(message => 'x' x 144))->{status}, 200,
       'message of 144 accepted');
}

# ---- expiry by seconds_to_expire -----------------------------------------------------
{
    my $P = '/onetouch/json/users/1234567/approval_requests';
    my $t = time;
    my $u = api(POST => $P, json => {message => 'quick', seconds_to_expire => 1})
        ->{json}{approval_request}{uuid};
    my $never = api(POST => $P, form => 'message=forever&seconds_to_expire=0')
        ->{json}{approval_request}{uuid};
    my $st;
    while (time - $t < 4) {
        $st = api(GET => "/onetouch/json/approval_requests/$u")->{json}{approval_request}{status};
        last if $st ne 'pending';
        sleep 0.05;
    }
    is($st, 'expired', 'seconds_to_expire=1: expired');
    cmp_ok(time - $t, '<', 2.5, 'expired promptly');
    is(api(GET => "/onetouch/json/approval_requests/$never")->{json}{approval_request}{status},
       'pending', 'seconds_to_expire=0: still pending');
    my ($n) = grep { $_->{id} eq $never } @{ $sb->approvals };
    is($n->{expires}, undef, 'seconds_to_expire=0: never expires');
    is($sb->decide($u, 'approved'), 409, 'expired approval cannot be decided');
}

# ---- SDK registration -------------------------------------------------------------------
{
    # authy_id, as Twilio's SDK backend (authy-sdk-backend) sends it
    my $r = api(POST => '/protected/json/sdk/registrations', form => 'authy_id=1234567');
    is($r->{status}, 200, 'registration: 200');
    like($r->{json}{registration_token}, qr/^\S{16,}$/, 'registration_token');
    is_deeply([keys %{ $r->{json} }], ['registration_token'],
              'registration: only the documented registration_token');
    $r = api(POST => '/protected/json/sdk/registrations', json => {authy_id => 1234567});
    is($r->{status}, 200, 'registration (JSON): 200');
    authy_error(api(POST => '/protected/json/sdk/registrations', form => 'user_id=1234567'),
                400, '60004', 'registration with user_id instead of authy_id');
    authy_error(api(POST => '/protected/json/sdk/registrations', form => 'authy_id=999999'),
                404, '60026', 'registration for unknown user');
    is(api(POST => '/protected/json/sdk/registrations', form => '')->{status}, 400,
       'registration without authy_id: 400');
    authy_error(api(POST => '/protected/json/sdk/registrations', form => 'authy_id=1',
                    key => 'bad'), 401, '60001', 'registration with bad key');
}

done_testing;
