#!/usr/bin/perl
# push_approval_revoke (SPEC 15): POST identity=ID ends what ID holds in the
# zone: remember cookies made before now (on every worker, whatever it
# memoised), cookie-less address entries, and pending approvals (held
# requests get 403 denied); "self" signs the location's own identity out;
# other methods 405; nginx -t warns about an unrestricted location.
use v5.36;
use Test::More;
use JSON::PP;
use Time::HiRes qw(sleep time);
use lib 't/lib';
use NginxTest;
use Sandbox;
use PushTest;

my ($t, $sb) = PushTest::setup(
    workers => 2,
    protected => "push_approval_mode hold;\n        push_approval_poll 200ms;",
    server => <<'EOF');
    location /r/ {
        push_approval zone=pa;
        push_approval_mode redirect;
    }

    location = /_push/revoke {
        allow 127.0.0.1;
        deny all;
        push_approval_revoke;
    }

    location = /signout {
        push_approval_revoke self;
    }
EOF

$t->write_file('html/r/index.html', "SECRET CONTENT\n");

my %ALICE = PushTest::user('verify');

sub passes ($r) { return $r && $r->{status} == 200
                         && $r->{body} eq "SECRET CONTENT\n" }

sub cookie_get ($cookie) {
    return $t->get('/r/', headers => { %ALICE, Cookie => $cookie });
}

sub revoke ($id, %o) {
    return $t->request('POST', $o{path} // '/_push/revoke',
                       headers => { 'Content-Type'
                                    => 'application/x-www-form-urlencoded',
                                    %{ $o{headers} // {} } },
                       body => defined $id ? "identity=$id" : '');
}

# an approval in /p/: a cookie, and an address entry for this client
sub approve (@exclude) {
    my $h = $t->send('GET', '/p/', headers => { %ALICE });
    my $a = $sb->wait_approval(identity => 'alice-0001',
                               exclude => \@exclude);
    $sb->decide($a->{id}, 'approved');
    my $r = $t->read($h, 5);
    return (NginxTest::cookie($r, 'push_approval'), $a->{id});
}

my @seen;
my ($cookie, $id) = approve();
push @seen, $id;
ok($cookie, 'approved: a remember cookie');

# both workers memoise the cookie and the address
for (1 .. 6) {
    ok(passes(cookie_get($cookie)), 'before: the cookie passes');
    ok(passes($t->get('/r/', headers => { %ALICE })),
       'before: the cookie-less client passes by its address');
}

# the operator revokes alice
my $r = revoke('alice-0001');
is($r && $r->{status}, 200, 'revoke: 200');
is($r && $r->{body}, qq({"revoked":"alice-0001"}\n), 'revoke: the answer');

for (1 .. 6) {
    $r = cookie_get($cookie);
    ok(!passes($r), 'after: the cookie is refused');
    is($r && $r->{status}, 302, 'after: an approval is needed');
    ok(!passes($t->get('/r/', headers => { %ALICE })),
       'after: the address entry is gone');
}

# another identity's approvals are untouched
# (bob has no verified factor; the revocation of alice touched no one else)
$r = revoke('bob-00002');
is($r && $r->{status}, 200, 'revoking someone without anything: 200');

# pending approvals: the held request is denied at once
my $h = $t->send('GET', '/p/', headers => { %ALICE });
my $a = $sb->wait_approval(identity => 'alice-0001', exclude => \@seen);
push @seen, $a->{id};
my $t0 = time;
$r = revoke('alice-0001');
is($r && $r->{status}, 200, 'revoke while a request is held: 200');
$r = $t->read($h, 5);
is($r && $r->{status}, 403, 'the held request: 403');
ok(time - $t0 < 2, 'the held request: released at once');
like($t->read_file('logs/access.log'), qr/./, 'access log written');

# the phone approving that push later changes nothing
$sb->decide($a->{id}, 'approved');
ok(!passes($t->get('/r/', headers => { %ALICE })),
   'a late approval of a revoked push lets nothing in');

# a new approval, after the revocation, works again
sleep 1.1;
($cookie, $id) = approve(@seen);
push @seen, $id;
ok(passes(cookie_get($cookie)), 'a new approval: the cookie passes again');

# sign-out: the location's own identity
$r = $t->request('POST', '/signout', headers => { %ALICE });
is($r && $r->{status}, 200, 'self sign-out: 200');
is($r && $r->{body}, qq({"revoked":"alice-0001"}\n), 'self sign-out: answer');
ok(!passes(cookie_get($cookie)), 'self sign-out: the cookie is refused');
$r = $t->request('POST', '/signout');
is($r && $r->{status}, 403, 'self sign-out without an identity: 403');
$r = $t->request('POST', '/signout', headers => { %ALICE,
                                     Origin => 'https://evil.example' });
is($r && $r->{status}, 403, 'self sign-out from another site: 403');

# methods, and a body without an identity
for my $m (qw(GET HEAD PUT DELETE)) {
    $r = $t->request($m, '/_push/revoke', body => 'identity=alice-0001');
    is($r && $r->{status}, 405, "revoke: $m, 405");
    $r = $t->request($m, '/signout', headers => { %ALICE });
    is($r && $r->{status}, 405, "self sign-out: $m, 405");
}
$r = revoke(undef);
is($r && $r->{status}, 400, 'revoke without an identity: 400');
$r = revoke('');
is($r && $r->{status}, 403, 'revoke of an empty identity: 403');

# push-approval-ctl revoke calls it
my $CTL = Sandbox::root() . '/tools/ctl/push-approval-ctl';
sleep 1.1;
($cookie, $id) = approve(@seen);
push @seen, $id;
ok(passes(cookie_get($cookie)), 'approved once more');
my $out = `$CTL revoke --url ${\ $t->url('/_push/revoke')} alice-0001 2>&1`;
is($? >> 8, 0, 'ctl revoke: exit 0');
is($out, "revoked alice-0001\n", 'ctl revoke: says so');
ok(!passes(cookie_get($cookie)), 'ctl revoke: the cookie is refused');
$out = `$CTL revoke --url ${\ $t->url('/nowhere')} alice-0001 2>&1`;
is($? >> 8, 3, 'ctl revoke: a 404 is an error');

# nginx -t warns about a revoke location anyone can call
my ($rc, $text) = $t->test_config(<<'EOF');
push_approval_zone zone=pa:1m;
server {
    listen 127.0.0.1:%%PORT%%;
    location = /open { push_approval_revoke; }
    location = /basic {
        auth_basic "x";
        auth_basic_user_file %%PREFIX%%/htpasswd;
        push_approval_revoke;
    }
    location = /self { push_approval_identity $remote_user;
                       push_approval_revoke self; }
}
EOF
is($rc, 0, 'nginx -t: an unrestricted revoke location passes');
my @warn = ($text =~ /\[warn\].*push_approval_revoke.*anyone/g);
is(scalar @warn, 1, 'nginx -t: one warning, for the unrestricted one')
    or diag($text);

$t->done_testing;
