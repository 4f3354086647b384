#!/usr/bin/perl
# The remember cookie is bound to what made it (SPEC 5): a cookie is refused
# once it is older than the location's own push_approval_remember, in
# another zone's location, and in a location of another provider or Verify
# service, even with the same identity and scope.  Cookies of the old format
# ("EXPIRES.MAC") are refused: users approve once more.  Each request below
# is the attacker replaying a cookie he got (or the owner's) elsewhere.
use v5.36;
use Test::More;
use Digest::SHA qw(hmac_sha256 sha256);
use MIME::Base64 qw(encode_base64url);
use Time::HiRes qw(sleep time);
use lib 't/lib';
use NginxTest;
use Sandbox;
use PushTest;

# every location below has the empty scope, so the same cookie name
my $other_svc = 'VA' . ('9' x 32);

my $sb = Sandbox->start(seed => 1);
my $t = NginxTest->new(workers => 2);
PushTest::prepare($t, $sb);

my $conf = PushTest::config(sb => $sb,
    zone => "push_approval_zone zone=pa:1m;\npush_approval_zone zone=pb:1m;",
    protected => 'push_approval_mode hold;',
    server => <<"EOF");
    location /short/ {
        push_approval zone=pa;
        push_approval_remember 3s;
        push_approval_mode redirect;
    }

    location /same/ {
        push_approval zone=pa;
        push_approval_mode redirect;
    }

    location /zoneb/ {
        push_approval zone=pb;
        push_approval_mode redirect;
    }

    location /authy/ {
        push_approval zone=pa;
        push_approval_provider authy;
        push_approval_api_key_file %%PREFIX%%/authy.key;
        push_approval_mode redirect;
    }

    location /service/ {
        push_approval zone=pa;
        push_approval_verify_service $other_svc;
        push_approval_mode redirect;
    }
EOF
$conf =~ s/(push_approval_(?:wait|callback));/$1 zone=pa;/g;
$t->start($conf);

for my $d (qw(short same zoneb authy service)) {
    $t->write_file("html/$d/index.html", "SECRET CONTENT\n");
}

my %ALICE = PushTest::user('verify');

sub with ($path, $cookie) {
    return $t->get($path, headers => { %ALICE, Cookie => $cookie });
}

sub passes ($r) { return $r && $r->{status} == 200
                         && $r->{body} eq "SECRET CONTENT\n" }

# the owner approves once in /p/ (1 h) and gets a cookie
my $h = $t->send('GET', '/p/', headers => { %ALICE });
my $a = $sb->wait_approval(identity => 'alice-0001');
$sb->decide($a->{id}, 'approved');
my $r = $t->read($h, 5);
is($r && $r->{status}, 200, 'approved in /p/');
my $cookie = NginxTest::cookie($r, 'push_approval');
like($cookie // '', qr/^push_approval=2\.\d+\.\d+\.[A-Za-z0-9_-]{43}$/,
     'the cookie is of format 2');

ok(passes(with('/p/', $cookie)), 'the cookie passes in /p/');
ok(passes(with('/same/', $cookie)),
   'and in another location of the same zone and provider');
ok(passes(with('/short/', $cookie)),
   'and where remember is 3 s, while it is younger than that');

# another zone, another provider, another Verify service: refused
$r = with('/zoneb/', $cookie);
ok(!passes($r), "zone pa's cookie in zone pb: refused")
    or diag($r && $r->{status});
is($r && $r->{status}, 302, 'zone pb: an approval is needed (302)');

$r = with('/authy/', $cookie);
ok(!passes($r), 'a Verify cookie in an Authy location: refused');

$r = with('/service/', $cookie);
ok(!passes($r), "another Verify service's location: refused");

# the memo of each worker must not carry a cookie over either
for (1 .. 4) {
    ok(passes(with('/p/', $cookie)), 'still valid in /p/');
    ok(!passes(with('/zoneb/', $cookie)), 'still refused in zone pb');
}

# older than the location's own remember time
sleep 4;
$r = with('/short/', $cookie);
ok(!passes($r), 'a 1 h cookie 4 s old where remember is 3 s: refused');
is($r && $r->{status}, 302, 'there: an approval is needed (302)');
ok(passes(with('/p/', $cookie)), 'while /p/ still takes it');

# a format 1 cookie, as the module wrote them before: simply refused
my $secret = PushTest::secret($t);
my $exp = int(time) + 3600;
my $v1 = "$exp." . encode_base64url(
    hmac_sha256("c1\nalice-0001\n" . sha256('') . "\n$exp", $secret));
$r = with('/same/', "push_approval=$v1");
ok(!passes($r), 'a format 1 cookie: refused');

# a forged issue time in a format 2 cookie breaks the MAC
(my $younger = $cookie) =~ s/=2\.(\d+)\./'=2.' . ($1 + 10) . '.'/e;
ok(!passes(with('/short/', $younger)), 'a changed issue time: refused');

# the waiting page issues the cookie of the location that redirected to
# it: one of zone pb here, though the page's own zone is pa
$sb->clear_calls;
$r = $t->get('/zoneb/', headers => { %ALICE, Accept => 'text/html' });
is($r && $r->{status}, 302, 'zone pb: redirect to the waiting page');
my ($wait) = ($r->{headers}{location} // '') =~ m{(/_push/wait\?t=\S+)};
my $wc = join '; ', map { /^([^;]+)/ } @{ $r->{cookies} };
$a = $sb->wait_approval(identity => 'alice-0001',
                        exclude => [$a->{id}]);
$sb->decide($a->{id}, 'approved');
my $b;
for (1 .. 50) {
    $b = $t->get("$wait&format=json", headers => { Cookie => $wc });
    last if $b && $b->{body} =~ /"approved"/;
    sleep 0.1;
}
like($b && $b->{body}, qr/"approved"/, 'the waiting page: approved');
my $pb = NginxTest::cookie($b, 'push_approval');
ok($pb, 'the waiting page: a remember cookie');
ok(passes(with('/zoneb/', $pb)), "the page's cookie passes in zone pb");
ok(!passes(with('/same/', $pb)), 'and is refused in zone pa');

$t->done_testing;
