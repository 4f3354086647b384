#!/usr/bin/perl
# The README's "Quick start", run as written (issue 17): its numbered
# shell steps, in one shell, against the provider sandbox, ending with a
# held curl that the sandbox phone releases.
#
# What differs from a real machine, and why:
#   - step 1 (make deb; apt-get install ./build/deb/...) is not run: the
#     suite must not install a package system-wide.  t/deb.t builds and
#     checks that package (and installs it with TEST_DEB_INSTALL=1 in CI);
#     here nginx loads build/ngx_http_push_approval_module.so with
#     load_module, and push-approval-ctl comes from build/ on PATH;
#   - the system paths (/etc/nginx/push-approval, /etc/nginx/conf.d,
#     /var/www/html) live in a temporary prefix, the site listens on a free
#     loopback port instead of 8081, and "nginx -t && systemctl reload
#     nginx" is nginx -t and a start of that prefix's nginx;
#   - Twilio is the sandbox: its URL replaces https://verify.twilio.com/
#     (and goes to push-approval-ctl as --api-url), its account and service
#     replace the placeholders of the export line.
use v5.36;
use Test::More;
use Time::HiRes qw(sleep time);
use lib 't/lib';
use NginxTest;
use Sandbox;

my $ROOT = $NginxTest::ROOT;
my $module = $ENV{TEST_NGINX_MODULE}
    || "$ROOT/build/ngx_http_push_approval_module.so";
plan skip_all => "no module at $module" unless -f $module;
plan skip_all => 'no build/push-approval-ctl' unless -x "$ROOT/build/push-approval-ctl";
plan skip_all => 'no curl' unless -x '/usr/bin/curl';

# the section and its numbered steps

my $readme = do { local (@ARGV, $/) = "$ROOT/README.md"; <> };
my ($qs) = $readme =~ /^## Quick start\n(.*?)^## /ms;
ok($qs, 'README has a Quick start section') or BAIL_OUT('no quick start');
like($readme, qr/\A# [^\n]+\n\n(?:    make [^\n]+\n)+\n(?:[^#][^\n]*\n|\n)*## Quick start/,
     'the quick start comes right after the two commands');

my @steps;
while ($qs =~ /^(\d+)\. (.*?)(?=^\d+\. |\z)/msg) {
    my ($n, $text) = ($1, $2);
    my @code = $text =~ /^   ```sh\n(.*?)^   ```\n/msg;
    s/^   //mg for @code;
    push @steps, {n => $n, text => $text, code => join('', @code)};
}
is(scalar @steps, 6, 'six numbered steps');
is(join(' ', map { $_->{n} } @steps), '1 2 3 4 5 6', 'numbered 1 to 6');
like($steps[0]{code}, qr{^make deb\napt-get install -y nginx \./build/deb/libnginx-mod-http-push-approval_\*_amd64\.deb\n\z},
     'step 1: the .deb, the recommended route');
like($steps[4]{code}, qr/^nginx -t && systemctl reload nginx\n\z/,
     'step 5: nginx -t and reload');
like($steps[5]{code}, qr/^curl -u '[^']+' http:\/\/127\.0\.0\.1:8081\/\n\z/,
     'step 6: a held curl');
like($qs, qr/Twilio ships no such app/, 'says Verify Push needs your own app');

# the machine: a prefix for /etc/nginx and /var/www, the sandbox as Twilio

my $sb = Sandbox->start(seed => 1);
my $t = NginxTest->new(workers => 1);
my $P = $t->prefix;
my $port = $t->port;
my $sburl = $sb->url;
mkdir "$P/$_" for qw(conf.d html);
$t->write_file('html/index.nginx-debian.html', "QUICKSTART PAGE\n");

sub local_paths ($code) {
    $code =~ s{/etc/nginx/push-approval}{$P/push-approval}g;
    $code =~ s{/etc/nginx/conf\.d/}{$P/conf.d/}g;
    $code =~ s{/var/www/html}{$P/html}g;
    $code =~ s{https://verify\.twilio\.com/}{$sburl/}g;
    $code =~ s{listen 8081;}{listen 127.0.0.1:$port;}g;
    $code =~ s{127\.0\.0\.1:8081}{127.0.0.1:$port}g;
    $code =~ s{^export TWILIO_ACCOUNT_SID=.*$}
              {join ' ', 'export', 'TWILIO_ACCOUNT_SID=' . $sb->account_sid,
                    'TWILIO_AUTH_TOKEN=' . $sb->auth_token,
                    'VERIFY_SERVICE_SID=' . $sb->verify_service}me;
    $code =~ s{^(push-approval-ctl (?!secret).*?)((?:\\\n.*?)*)$}
              {$1$2 --api-url $sburl}mg;
    return $code;
}

# steps 2 to 4 in one shell, as an operator types them
my $script = join '', map { local_paths($_->{code}) } @steps[1 .. 3];
$t->write_file('steps.sh', "set -e\n$script");
local $ENV{PATH} = "$ROOT/build:$ENV{PATH}";
delete @ENV{qw(TWILIO_ACCOUNT_SID TWILIO_AUTH_TOKEN VERIFY_SERVICE_SID)};
my $out = `bash $P/steps.sh 2>&1`;
is($? >> 8, 0, 'steps 2-4 run') or diag($out);
like($out, qr/^YF\w+\s.*\bverified\b/m,
     'step 3: push-approval-ctl shows a verified factor');
ok(-s "$P/push-approval/secret", 'step 2: the secret');
is((stat "$P/push-approval/secret")[2] & 0777, 0600, 'the secret is 0600');
like($t->read_file('push-approval/verify.cred'), qr/^AC\w{32}:\S+\n\z/,
     'step 2: the credentials');
my $conf = $t->read_file('conf.d/push-approval.conf');
like($conf, qr/push_approval_verify_service VA[0-9a-f]{32};/,
     'step 4: the service SID filled in');

# step 5: nginx -t, then (re)load
my $http = "include $P/conf.d/push-approval.conf;\n"
    . "# the quick start's server: listen 127.0.0.1:$port\n";
my ($rc, $test) = $t->test_config($http);
is($rc, 0, 'step 5: nginx -t') or diag($test);
unlike($test, qr/\[(?:warn|emerg)\]/, 'step 5: no warning') or diag($test);
$t->start($http);

# step 6: the held curl, released by the sandbox phone
my $cmd = local_paths($steps[5]{code});
chomp $cmd;
my $start = time;
# (curl's progress meter goes to stderr)
open my $curl, '-|', "$cmd 2>/dev/null" or die "curl: $!";
my $ap = eval { $sb->wait_approval(identity => 'alice-0001', timeout => 10) };
ok($ap, 'step 6: the phone got the approval') or diag($@);
my $held = time - $start;
sleep 0.5;
$sb->decide($ap->{id}, 'approved') if $ap;
my $page = do { local $/; <$curl> } // '';
close $curl;
is($page, "QUICKSTART PAGE\n", 'step 6: curl prints the page once approved');
ok(time - $start >= 0.5, 'curl was held until the tap');

# without the password: the first factor refuses, no push
$sb->clear_calls;
my $no = `curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$port/`;
is($no, '401', 'no password: 401 from auth_basic');
is(scalar @{ $sb->calls }, 0, 'no password: no push');

$t->stop;
$t->done_testing;
