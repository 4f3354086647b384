#!/usr/bin/perl
# Enrolment against an attacker who has only the password (SPEC 10): the
# password alone adds no phone.  A first device needs an invite (valid,
# for that identity, not expired, used once); a second device needs a push
# approved on a device the identity has; cross-site POSTs are refused.  Each
# request below is what the attacker sends.
use v5.36;
use Test::More;
use JSON::PP;
use Time::HiRes qw(sleep time);
use lib 't/lib';
use NginxTest;
use Sandbox;
use PushTest;

my $CTL = Sandbox::root() . '/tools/ctl/push-approval-ctl';
system('make', '-s', '-C', Sandbox::root() . '/tools/ctl') == 0
    or BAIL_OUT('cannot build tools/ctl')
    unless -x $CTL;

my ($t, $sb) = PushTest::setup(server => <<'EOF');
    push_approval_limit rate=50/m cooldown=1s;

    location = /enroll {
        push_approval_timeout 4s;
        push_approval_poll 200ms;
        push_approval_enroll;
    }

    location = /enroll-open {
        push_approval_enroll first=open;
    }

    location = /enroll-authy {
        push_approval_provider authy;
        push_approval_api_key_file %%PREFIX%%/authy.key;
        push_approval_timeout 4s;
        push_approval_enroll;
    }
EOF

my $json = JSON::PP->new;
my $svc = $sb->verify_service;
my $secret = PushTest::secret($t);

sub post ($path, $user, %o) {
    my %h = ('X-User' => $user, 'Content-Type'
             => 'application/x-www-form-urlencoded', %{ $o{headers} // {} });
    return $t->send('POST', $path, headers => \%h, body => $o{body} // '');
}

sub enrol ($path, $user, %o) {
    return $t->read(post($path, $user, %o), $o{timeout} // 10);
}

sub tokens () { scalar @{ $sb->calls(path => qr/AccessTokens|registrations/) } }

sub invite_required ($r, $name) {
    is($r && $r->{status}, 403, "$name: 403");
    is($r && $r->{body}, qq({"status":"invite_required"}\n),
       "$name: invite_required");
}

# ---- a first device: the password alone is not enough -------------------

$sb->clear_calls;
my $r = enrol('/enroll', 'newbie-0001');
invite_required($r, 'password only, no device');
is(tokens(), 0, 'password only: no access token made');

# an invite from push-approval-ctl, for that identity
my $code = `$CTL invite --secret-file ${\ $t->prefix}/secret newbie-0001`;
is($?, 0, 'ctl invite: exit 0');
chomp $code;
like($code, qr/^[A-Za-z0-9_-]{64}$/, 'ctl invite: one URL-safe line');

$sb->clear_calls;
$r = enrol('/enroll', 'newbie-0001', body => "invite=$code");
is($r && $r->{status}, 200, 'valid invite: 200');
my $j = eval { $json->decode($r->{body}) } // {};
ok(length($j->{token} // '') > 20, 'valid invite: a token');
is($j->{serviceSid}, $svc, 'valid invite: serviceSid');
is($j->{factorType}, 'push', 'valid invite: factorType');
is($j->{service_sid}, $svc, 'valid invite: service_sid still there');
is(tokens(), 1, 'valid invite: one access token');
is(scalar @{ $sb->calls(path => 'Factors') }, 0,
   'valid invite: no device look-up needed');

$sb->clear_calls;
$r = enrol('/enroll', 'newbie-0001', body => "invite=$code");
invite_required($r, 'the same invite twice');

# the invite of someone else, an expired one, forged ones
my $bobs = PushTest::invite($secret, 'bobby-0002');
$r = enrol('/enroll', 'newbie-0003', body => "invite=$bobs");
invite_required($r, "another identity's invite");

my $old = PushTest::invite($secret, 'newbie-0003', expires => time - 5);
$r = enrol('/enroll', 'newbie-0003', body => "invite=$old");
invite_required($r, 'expired invite');

my $forged = PushTest::invite('x' x 48, 'newbie-0003');
$r = enrol('/enroll', 'newbie-0003', body => "invite=$forged");
invite_required($r, 'invite signed with another secret');

(my $flipped = PushTest::invite($secret, 'newbie-0003')) =~ s/^(.{20})(.)/
    $1 . ($2 eq 'A' ? 'B' : 'A')/e;
$r = enrol('/enroll', 'newbie-0003', body => "invite=$flipped");
invite_required($r, 'invite with a changed character');

$r = enrol('/enroll', 'newbie-0003', body => 'invite=garbage');
invite_required($r, 'garbage invite');
is(scalar @{ $sb->calls }, 0, 'bad invites: no provider call at all');

# and bobby's own invite still works: refusals did not use it up
$r = enrol('/enroll', 'bobby-0002', body => "invite=$bobs");
is($r && $r->{status}, 200, 'the invite for its own identity: 200');

# first=open: trust on first use
$sb->clear_calls;
$r = enrol('/enroll-open', 'newbie-0004');
is($r && $r->{status}, 200, 'first=open: no invite needed for a first device');
is(tokens(), 1, 'first=open: one access token');

# ---- a second device: a push on the device the identity has --------------

$sb->clear_calls;
my $h = post('/enroll', 'alice-0001');
my $a = $sb->wait_approval(identity => 'alice-0001');
is($a->{message}, 'Approve adding a new device for alice-0001',
   'second device: the message');
is_deeply([map { $_->{label} } @{ $a->{details} }], ['From'],
          'second device: the From detail');
is($a->{details}[0]{value}, '127.0.0.1', 'second device: From the client');
ok($t->quiet($h, 0.3), 'second device: the POST is held');
is(tokens(), 0, 'second device: no token while pending');
my $t0 = time;
$sb->decide($a->{id}, 'denied');
$r = $t->read($h, 5);
is($r && $r->{status}, 403, 'second device, denied on the phone: 403');
ok(time - $t0 < 2, 'second device, denied: at once, not at the timeout');
is(tokens(), 0, 'second device, denied: no token');

# a denial holds further pushes back (push_approval_limit cooldown)
$sb->clear_calls;
$r = enrol('/enroll', 'alice-0001');
is($r && $r->{status}, 403, 'right after a denial: 403');
ok($r && $r->{headers}{'retry-after'}, 'right after a denial: Retry-After');
is(scalar @{ $sb->calls(path => 'Challenges') }, 0,
   'right after a denial: no push');
sleep 1.2;

$h = post('/enroll-open', 'alice-0001');
$a = $sb->wait_approval(identity => 'alice-0001', exclude => [$a->{id}]);
$sb->decide($a->{id}, 'approved');
$r = $t->read($h, 5);
is($r && $r->{status}, 200, 'second device, approved: 200 (first=open too)');
$j = eval { $json->decode($r && $r->{body}) } // {};
ok(length($j->{token} // '') > 20, 'second device, approved: a token');
is(scalar @{ $r->{cookies} }, 0, 'second device: no remember cookie');

# an approval for a new device is never shared nor remembered
my $seen = $a->{id};
$h = post('/enroll', 'alice-0001');
$a = $sb->wait_approval(identity => 'alice-0001', exclude => [$seen]);
isnt($a->{id}, $seen, 'the next enrolment needs a push of its own');
$sb->expire($a->{id});
$r = $t->read($h, 8);
is($r && $r->{status}, 403, 'second device, expired: 403');

# the owner does not answer: the POST times out
$t0 = time;
$r = enrol('/enroll', 'alice-0001', timeout => 10);
is($r && $r->{status}, 403, 'second device, no answer: 403');
ok(time - $t0 >= 3.5, 'second device, no answer: after the timeout');

# a client that goes away while held frees what it held
sleep 1.2;      # the denial cooldown of the timeout above
$h = post('/enroll', 'alice-0001');
$a = $sb->wait_approval(identity => 'alice-0001');
my $held;
for (1 .. 50) {
    $held = PushTest::metric($t, 'nginx_push_approval_held_requests');
    last if $held;
    sleep 0.05;
}
is($held, 1, 'held enrolment: counted as held');
$t->abort($h);
for (1 .. 50) {
    $held = PushTest::metric($t, 'nginx_push_approval_held_requests');
    last if !$held;
    sleep 0.05;
}
is($held, 0, 'held enrolment, client gone: nothing held');
$sb->decide($a->{id}, 'approved');

# an operator's invite is also the way back for someone who lost the phone
# the identity has: it enrols without a push
$code = PushTest::invite($secret, 'alice-0001');
$sb->clear_calls;
$r = enrol('/enroll', 'alice-0001', body => "invite=$code");
is($r && $r->{status}, 200, 'an invite for an identity with a device: 200');
is(scalar @{ $sb->calls(path => 'Challenges') }, 0, 'an invite: no push');

# ---- Authy ---------------------------------------------------------------

$sb->clear_calls;
$h = post('/enroll-authy', '1234567');
$a = $sb->wait_approval(identity => '1234567', provider => 'authy');
is($a->{message}, 'Approve adding a new device for 1234567',
   'authy: a registered user needs a push');
$sb->decide($a->{id}, 'approved');
$r = $t->read($h, 5);
is($r && $r->{status}, 200, 'authy: approved, 200');
$j = eval { $json->decode($r && $r->{body}) } // {};
ok(length($j->{registration_token} // '') > 8, 'authy: registration token');

$sb->clear_calls;
$r = enrol('/enroll-authy', '7654321');
invite_required($r, 'authy: unknown user without invite');
is(tokens(), 0, 'authy: no registration token');

# ---- cross-site POSTs ----------------------------------------------------

$sb->clear_calls;
for my $case (['Sec-Fetch-Site' => 'cross-site'],
              ['Sec-Fetch-Site' => 'same-site'],
              [Origin => 'https://evil.example'],
              [Origin => 'http://localhost.evil.example'],
              [Origin => 'null'],
              ['Sec-Fetch-Site' => 'same-origin', Origin => 'http://evil.test'])
{
    my %hd = @$case;
    $r = enrol('/enroll-open', 'newbie-0009', headers => \%hd);
    is($r && $r->{status}, 403,
       'cross-site: ' . join(' ', map { "$_: $hd{$_}" } sort keys %hd)
       . ', 403');
}
is(scalar @{ $sb->calls }, 0, 'cross-site: no provider call');

$r = enrol('/enroll-open', 'newbie-0009',
           headers => { 'Sec-Fetch-Site' => 'same-origin',
                        Origin => 'http://localhost' });
is($r && $r->{status}, 200, 'same-origin with its own Origin: 200');
$r = enrol('/enroll-open', 'newbie-0011',
           headers => { Origin => 'https://localhost' });
is($r && $r->{status}, 200,
   'plain http with an https Origin of its own host (TLS ended before): 200');
$r = enrol('/enroll-open', 'newbie-0010',
           headers => { 'Sec-Fetch-Site' => 'none' });
is($r && $r->{status}, 200, 'Sec-Fetch-Site none (typed by the user): 200');

$t->done_testing;
