#!/usr/bin/perl
# push_approval_mode (SPEC 4 step 5 and 7): which requests are redirected to
# the waiting page and which are held; the 302 with its token and wait
# cookie; return URIs that must never leave the site (SPEC 6).
use v5.36;
use Test::More;
use JSON::PP;
use lib 't/lib';
use NginxTest;
use PushTest;

my $module = $ENV{TEST_NGINX_MODULE}
    || "$NginxTest::ROOT/build/ngx_http_push_approval_module.so";
plan skip_all => "no module at $module" unless -f $module;

my ($t, $sb) = PushTest::setup(
    protected => 'push_approval_poll 0;',
    server => <<'EOF',
    location /r/ {
        push_approval zone=pa;
        push_approval_mode redirect;
        push_approval_poll 0;
        alias %%PREFIX%%/html/p/;
    }

    location /h/ {
        push_approval zone=pa;
        push_approval_mode hold;
        push_approval_poll 0;
        alias %%PREFIX%%/html/p/;
    }

    location / {
        push_approval zone=pa;
        push_approval_mode redirect;
        push_approval_cookie gate;
        push_approval_poll 0;
    }
EOF
);

my $n = 0;

sub user () {
    my $id = sprintf 'rdr-%04d', ++$n;
    $sb->add_entity($id);
    return $id;
}

my $HTML = 'text/html,application/xhtml+xml,*/*;q=0.8';

# one request: 'redirect' (302 to the wait URI), 'held' (no answer within
# 0.6 s), or the status
sub outcome ($method, $path, $accept, %o) {
    my $id = user();
    my $h = $t->send($method, $path, headers => {
        'X-User' => $id, defined $accept ? (Accept => $accept) : () });
    my $r = $t->read($h, 0.6);
    if (!$r) {
        $t->abort($h);
        return 'held';
    }
    return $r->{status} == 302 && ($r->{headers}{location} // '')
           =~ m{^(?:http://[^/]+)?/_push/wait\?t=[A-Za-z0-9_-]+$}
           ? 'redirect' : $r->{status};
}

# ---- modes ----------------------------------------------------------------

is(outcome('GET', '/p/index.html', $HTML), 'redirect', 'auto: GET html');
is(outcome('HEAD', '/p/index.html', 'text/html'), 'redirect',
   'auto: HEAD html');
is(outcome('GET', '/p/index.html', 'application/json'), 'held',
   'auto: GET json held');
is(outcome('GET', '/p/index.html', undef), 'held', 'auto: no Accept held');
is(outcome('GET', '/p/index.html', '*/*'), 'held', 'auto: */* held');
is(outcome('POST', '/p/index.html', $HTML), 'held', 'auto: POST held');
is(outcome('GET', '/r/index.html', 'application/json'), 'redirect',
   'redirect: json redirected');
is(outcome('POST', '/r/index.html', undef), 'redirect',
   'redirect: POST redirected');
is(outcome('GET', '/h/index.html', $HTML), 'held', 'hold: html held');

# ---- the 302 --------------------------------------------------------------

my $id = user();
my $r = $t->get('/p/index.html?x=1', headers => {
    'X-User' => $id, Accept => $HTML });
is($r->{status}, 302, 'GET html: redirected');
my @wait = grep { /^push_approval_wait_[0-9a-f]{8}=/ } @{ $r->{cookies} };
is(scalar @wait, 1, 'one wait cookie');
like($wait[0], qr{^push_approval_wait_[0-9a-f]{8}=[A-Za-z0-9_-]{16,}(?:;|$)},
     'wait cookie value');
like($wait[0], qr{; Path=/_push/wait(?:;|$)}, 'Path = wait URI');
like($wait[0], qr{; HttpOnly(?:;|$)}, 'HttpOnly');
like($wait[0], qr{; Max-Age=(\d+)}, 'short-lived');
my ($age) = $wait[0] =~ /Max-Age=(\d+)/;
ok($age && $age <= 60 + 300, "Max-Age $age <= timeout + 5 min");
ok(!(grep { /^push_approval=/ } @{ $r->{cookies} }),
   'no remember cookie yet');
my $a = $sb->wait_approval(identity => $id);
is(scalar @{ $sb->approvals(identity => $id) }, 1, 'one push');

# a second browser request for the same identity joins the push
my $r2 = $t->get('/p/other.html', headers => {
    'X-User' => $id, Accept => $HTML });
is($r2->{status}, 302, 'second request redirected');
is(scalar @{ $sb->approvals(identity => $id) }, 1, 'still one push');
isnt($r2->{headers}{location}, $r->{headers}{location}, 'its own token');

# the access log shows pending, and the token is no secret in it
like($t->read_file('logs/access.log'), qr{"GET /p/index\.html\?x=1 [^"]*" 302},
     'logged');

# ---- return URIs ------------------------------------------------------------

# the return URI a redirect carries, seen on its waiting page
sub return_of ($raw, %o) {
    my $id = user();
    my $s = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => $t->port)
        or die "connect: $!";
    print $s "GET $raw HTTP/1.1\r\nHost: " . ($o{host} // 'localhost')
        . "\r\nX-User: $id\r\nAccept: text/html\r\nConnection: close\r\n\r\n";
    local $/;
    my $buf = <$s>;
    my $res = NginxTest::parse_response($buf // '');
    return "status " . ($res ? $res->{status} : 'none')
        unless $res && $res->{status} == 302;
    my $loc = $res->{headers}{location} =~ s{^https?://[^/]+}{}r;
    my $page = $t->get($loc);
    my ($ret) = $page->{body} =~ m{<a id="again" href="([^"]*)"};
    $ret =~ s/&amp;/&/g if defined $ret;
    return $ret;
}

is(return_of('/p/index.html?a=1&b=2'), '/p/index.html?a=1&b=2',
   'plain return URI kept');
is(return_of('//evil.example/p/x'), '/', '//evil becomes /');
is(return_of('/\\evil.example/x'), '/', '/\\evil becomes /');
is(return_of('/%2F%2Fevil.example/x'), '/%2F%2Fevil.example/x',
   '/%2F%2Fevil stays a same-site path');
is(return_of('/%5Cevil.example/x'), '/%5Cevil.example/x',
   '/%5Cevil stays a same-site path');
my $tab = return_of("/\t/evil.example");
ok($tab eq '/' || $tab =~ /^status 400/, "/<tab>/evil never leaves ($tab)");
is(return_of('/%09/evil.example'), '/%09/evil.example',
   '/%09/evil stays a same-site path');
is(return_of('http://evil.example/p/x?y=1', host => 'evil.example'),
   '/p/x?y=1', 'absolute request line: only the path');
is(return_of('https://evil.example//evil.example/x'), '/',
   'absolute request line with //');

# whatever comes back is a same-site path
for my $raw ('///evil', '/\\/evil', '/./\\evil', '/..//evil') {
    my $ret = return_of($raw);
    ok($ret =~ m{^/(?![/\\])} || $ret =~ /^status 400/,
       "$raw -> $ret is same-site");
}

# two tabs waiting for the same approval: each gets a wait cookie of its
# own, and each gets the remember cookie once approved

{
    my $id = user();
    my (@loc, @wait);
    for my $tab (1, 2) {
        my $r = $t->get("/r/tab$tab", headers => { 'X-User' => $id,
                                                   Accept => $HTML });
        push @loc, $r->{headers}{location};
        push @wait, map { /^([^;]+)/ } grep { /_wait_/ } @{ $r->{cookies} };
    }
    is(scalar(@wait), 2, 'two tabs: a wait cookie each');
    isnt($wait[0], $wait[1], 'two tabs: of different names');
    my $a = $sb->wait_approval(identity => $id);
    $sb->decide($a->{id}, 'approved');
    for my $tab (0, 1) {
        (my $path = $loc[$tab]) =~ s{^https?://[^/]+}{};
        my $r = $t->get("$path&format=json",
                        headers => { Cookie => join('; ', @wait) });
        ok(grep({ /^push_approval=/ } @{ $r->{cookies} }),
           'tab ' . ($tab + 1) . ': gets the remember cookie');
    }
}

$t->done_testing;
