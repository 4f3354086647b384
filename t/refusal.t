#!/usr/bin/perl
# Why was I refused? (issue 17, point 5): a refusal by a protected location
# carries a short body saying what happened -- JSON {"status":"..."} for
# API clients, a small page for browsers, never an identity, id or secret;
# an operator's own error_page wins.  The reasons an operator acts on are
# logged at notice or warn (Debian logs at "error" by default, "info"
# lines are never seen).
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
    workers => 1,
    protected => "push_approval_mode hold;\n"
        . "        push_approval_limit rate=1/m cooldown=30s;\n"
        . '        push_approval_scope $http_x_scope;',
    server => <<'EOF',
    location /ep/ {
        push_approval zone=pa;
        push_approval_mode hold;
        error_page 403 /forbidden.html;
    }

    location /down/ {
        push_approval zone=pa;
        push_approval_mode hold;
        push_approval_api /_push_down/;
    }

    location /_push_down/ {
        internal;
        proxy_pass http://127.0.0.1:9/;
    }
EOF
);

$t->write_file('html/forbidden.html', "OPERATOR PAGE\n");

my $HTML = 'text/html,application/xhtml+xml,*/*;q=0.8';

sub json_of ($r) { return eval { decode_json($r->{body}) } // {} }

# no identity: JSON for an API client, a page for a browser
my $r = $t->get('/p/');
is($r->{status}, 403, 'no identity: 403');
like($r->{headers}{'content-type'}, qr{^application/json}, 'API client: JSON');
is(json_of($r)->{status}, 'no_identity', 'API client: {"status":"no_identity"}');
is($r->{headers}{'cache-control'}, 'no-store', 'not cached');
ok($t->wait_log(qr/\[notice\].*no valid identity for the verify provider/),
   'no identity: logged at notice');

$r = $t->get('/p/', headers => { Accept => $HTML });
is($r->{status}, 403, 'browser, no identity: 403');
like($r->{headers}{'content-type'}, qr{^text/html}, 'browser: a page');
like($r->{body}, qr/<h1>No approval possible<\/h1>/, 'the page says why');
unlike($r->{body}, qr/<script|https?:/, 'self-contained, no script');

$r = $t->request('HEAD', '/p/');
is($r->{status}, 403, 'HEAD: 403');
is($r->{body}, '', 'HEAD: no body');

# the provider knows no device: warn, the operator must enrol the user
$r = $t->get('/p/', headers => { 'X-User' => 'nobody-0009' });
is($r->{status}, 403, 'no device: 403');
is(json_of($r)->{status}, 'no_identity', 'no device: no_identity');
ok($t->wait_log(qr/\[warn\].*the provider knows no push device for "nobody-0009"/),
   'no device: logged at warn');

# denied: the held client learns it, then the cooldown refuses with a reason
my %alice = (PushTest::user(), 'X-Scope' => 'a');
my $h = $t->send('GET', '/p/index.html', headers => \%alice);
my $ap = $sb->wait_approval(identity => 'alice-0001', timeout => 5);
$sb->decide($ap->{id}, 'denied');
$r = $t->read($h, 5);
is($r->{status}, 403, 'denied: 403');
is(json_of($r)->{status}, 'denied', 'held client: {"status":"denied"}');
unlike($r->{body}, qr/alice|\Q$ap->{id}\E/, 'no identity or id in the body');

$r = $t->get('/p/index.html', headers => { %alice, 'X-Scope' => 'b' });
is($r->{status}, 403, 'cooldown: 403');
is(json_of($r)->{status}, 'denied', 'cooldown: {"status":"denied"}');
ok($r->{headers}{'retry-after'}, 'cooldown: Retry-After');
ok($t->wait_log(qr/\[notice\].*"alice-0001" was denied less than 30 s ago, no new push before the cooldown ends/),
   'cooldown: logged at notice');

# the limit: 429 with a reason
$sb->add_entity('erin-00005');
my %erin = ('X-User' => 'erin-00005', 'X-Scope' => 'a');
$h = $t->send('GET', '/p/index.html', headers => \%erin);
$ap = $sb->wait_approval(identity => 'erin-00005', timeout => 5);
$r = $t->get('/p/index.html', headers => { %erin, 'X-Scope' => 'b',
                                           Accept => $HTML });
is($r->{status}, 429, 'limited: 429');
like($r->{body}, qr/<h1>Too many requests<\/h1>/, 'limited: the page says why');
ok($t->wait_log(qr/\[notice\].*"erin-00005" reached the limit of 1 pushes a minute/),
   'limited: logged at notice');
$sb->decide($ap->{id}, 'approved');
$r = $t->read($h, 5);
is($r->{status}, 200, 'the first one is approved');

# the provider down: 503 with a reason
$sb->add_entity('fred-00006');
$r = $t->get('/down/', headers => { 'X-User' => 'fred-00006' });
is($r->{status}, 503, 'provider down: 503');
is(json_of($r)->{status}, 'error', 'provider down: {"status":"error"}');

# the operator's error_page wins
$r = $t->get('/ep/');
is($r->{status}, 403, 'error_page: 403');
is($r->{body}, "OPERATOR PAGE\n", 'error_page: the operator\'s page');

$t->stop;
$t->done_testing;
