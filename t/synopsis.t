#!/usr/bin/perl
# The README's Synopsis, as written (issue 17, points 3 and 9): it passes
# nginx -t; the provider's signed callbacks reach push_approval_callback
# (auth_basic only where the first factor belongs, "auth_basic off" and
# client_body_buffer_size 64k on the callback), even with a large signed
# body; its load_module path is where "make install" puts the module.
# Paths, the listener (443 ssl -> a loopback port), Twilio (-> the sandbox)
# and the backend (-> static files) are replaced for the test.
use v5.36;
use Test::More;
use File::Temp qw(tempdir);
use lib 't/lib';
use NginxTest;
use Sandbox;
use PushSign qw(twilio_sig form_encode http_raw);

my $ROOT = $NginxTest::ROOT;
my $module = $ENV{TEST_NGINX_MODULE}
    || "$ROOT/build/ngx_http_push_approval_module.so";
plan skip_all => "no module at $module" unless -f $module;

my $readme = do { local (@ARGV, $/) = "$ROOT/README.md"; <> };
my ($syn) = $readme =~ /^## Synopsis\n\n```nginx\n(.*?)^```\n/ms;
ok($syn, 'README has the synopsis') or BAIL_OUT('no synopsis');

my ($load) = $syn =~ /^load_module (\S+);/m;
is($load, '/usr/lib/nginx/modules/ngx_http_push_approval_module.so',
   'load_module names Debian\'s module directory');
my ($http) = $syn =~ /^http \{\n(.*)^\}\n\z/ms;
ok($http, 'an http block');

my $TOKEN = 'synopsis-auth-token-0123456789';
my $sb = Sandbox->start(seed => 1, auth_token => $TOKEN);
my $t = NginxTest->new(workers => 1);
my $P = $t->prefix;
my $port = $t->port;
my $sburl = $sb->url;

$t->write_file('secret', NginxTest::secret_line() . "\n");
$t->write_file('verify.cred', $sb->account_sid . ":$TOKEN\n");
$t->write_file('htpasswd', "alice-0001:{PLAIN}pw\n");
$t->write_file('html/index.html', "SITE\n");

$http =~ s{/etc/nginx/push-approval/}{$P/}g;
$http =~ s{/etc/nginx/htpasswd}{$P/htpasswd}g;
$http =~ s{listen 443 ssl;}{listen 127.0.0.1:$port;}g;
$http =~ s{https://verify\.twilio\.com/}{$sburl/}g;
$http =~ s{proxy_pass http://127\.0\.0\.1:8000;}{root $P/html;}g;
$http =~ s{^}{    }mg;

my ($rc, $out) = $t->test_config($http);
is($rc, 0, 'nginx -t') or diag($out);
unlike($out, qr/\[warn\]/, 'no warning') or diag($out);
$t->start($http);

# a signed Verify webhook, as Twilio sends it (the Host it calls)
sub callback ($pad) {
    # the test talks plain http: the URL nginx rebuilds is http
    my $url = 'http://admin.example.org/_push/callback';
    my $pairs = [[account_sid => $sb->account_sid],
                 [challenge_sid => 'YC' . ('9' x 32)],
                 [entity_identity => 'alice-0001'],
                 [factor_sid => 'YF' . ('3' x 32)], [factor_type => 'push'],
                 [service_sid => 'VA0123456789abcdef0123456789abcdef'],
                 [type => 'challenge.approved'], [uuid => "YW-$pad"],
                 $pad ? ([padding => 'x' x $pad]) : ()];
    return http_raw($port, 'POST', '/_push/callback',
                    [[Host => 'admin.example.org'],
                     ['Content-Type' => 'application/x-www-form-urlencoded'],
                     ['X-Twilio-Signature' => twilio_sig($TOKEN, $url, $pairs)]],
                    form_encode($pairs));
}

my $r = http_raw($port, 'GET', '/', [[Host => 'admin.example.org']]);
is($r->{status}, 401, 'the site asks for the first factor');

$r = callback(0);
is($r->{status}, 200, 'a signed callback passes, no 401 from auth_basic');

$r = callback(40_000);
is($r->{status}, 200, 'a 40 KB signed callback passes too');

# make install puts the module where load_module says
my $dest = tempdir('install-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $mk = `make -s -C $ROOT install DESTDIR=$dest 2>&1`;
is($? >> 8, 0, 'make install') or diag($mk);
ok(-f "$dest$load", "make install: $load");
ok(-x "$dest/usr/local/bin/push-approval-ctl",
   'make install: /usr/local/bin/push-approval-ctl');

$t->stop;
$t->done_testing;
