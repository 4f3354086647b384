#!/usr/bin/perl
# Mistakes "nginx -t" cannot see (issue 17): a wait URI whose location
# sends the browser back into a protected location (try_files), and a
# provider prefix whose internal location rewrites into the site.  Both end
# at the first request with one clear error line and a 500 or 503, never a
# redirect loop, never "the provider knows no push device".
use v5.36;
use Test::More;
use lib 't/lib';
use NginxTest;
use PushTest;

my $module = $ENV{TEST_NGINX_MODULE}
    || "$NginxTest::ROOT/build/ngx_http_push_approval_module.so";
plan skip_all => "no module at $module" unless -f $module;

my ($t, $sb) = PushTest::setup(
    workers => 1,
    protected => 'push_approval_wait_uri /w/wait;',
    server => <<'EOF',
    location = /w/wait {
        try_files /nonexistent /p/index.html;
    }

    location /q/ {
        push_approval zone=pa;
        push_approval_mode hold;
        push_approval_api /_push_api2/;
        alias %%PREFIX%%/html/p/;
    }

    location /_push_api2/ {
        internal;
        rewrite ^ /site/ last;
    }

    location /site/ {
    }
EOF
);

my $HTML = 'text/html,*/*;q=0.8';
my %user = PushTest::user();

# the first visit is redirected to the wait URI, as configured
my $r = $t->get('/p/index.html', headers => { %user, Accept => $HTML });
is($r->{status}, 302, 'protected page: redirected to the wait URI');
my ($wait) = ($r->{headers}{location} // '')
    =~ m{^(?:https?://[^/]+)?(/w/wait\?\S+)};
ok($wait, 'to the configured wait URI') or diag($r->{headers}{location});

# following it lands in the protected location again: 500, not a loop
$r = $t->get($wait, headers => { %user, Accept => $HTML });
is($r->{status}, 500, 'the wait URI back in a protected location: 500');
ok(!$r->{headers}{location}, 'no second redirect');
ok($t->wait_log(qr/\[error\].*"push_approval_wait_uri" "\/w\/wait" is served by the protected location "\/p\/", not by "push_approval_wait"/),
   'one error line names the directive and the fix');

# the wait URI without a query, and one with a longer query, the same
for my $uri ('/w/wait', '/w/wait?t=x?y') {
    $r = $t->get($uri, headers => { %user, Accept => $HTML });
    is($r->{status}, 500, "$uri in a protected location: 500");
}

# a provider call that lands in the site: no "knows no push device"
$sb->add_entity('carol-0003');
$sb->clear_calls;
$r = $t->get('/q/index.html', headers => { 'X-User' => 'carol-0003' });
is($r->{status}, 503, 'a misrouted provider call: 503, fail closed');
ok($t->wait_log(qr/\[error\].*the provider call landed in location "\/site\/", which is not "internal": check "push_approval_api"/),
   'the error line names push_approval_api');
unlike($t->error_log, qr/knows no push device/, 'no misleading message');
is(scalar @{ $sb->calls }, 0, 'nothing reached the provider');

$t->stop;
$t->done_testing;
