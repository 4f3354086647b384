#!/usr/bin/perl
# Every configuration in conf-examples/ passes "nginx -t".
#
# The examples are written for a real host: this test only moves them into a
# temporary prefix.  It loads the module built here, maps /etc/nginx,
# /var/log/nginx and /srv into the prefix (with placeholder secret,
# credential, password and certificate files), points the provider hosts at
# 127.0.0.1 (nginx resolves proxy_pass host names at start-up, and test
# machines may have no DNS), listens on free loopback ports ("nginx -t"
# binds them), and adds pid, error log and temporary paths.
# demo.conf is run as tools/demo runs it: @PREFIX@, @SANDBOX@ and @MODULE@
# substituted; it is also started against the sandbox and walked through.
use v5.36;
use Test::More;
use File::Basename qw(basename);
use lib 't/lib';
use NginxTest;

my $ROOT = $NginxTest::ROOT;
my @files = sort glob "$ROOT/conf-examples/*.conf";

my %want = map { $_ => 1 } qw(verify-basic-auth.conf verify-sso-header.conf
    authy-legacy.conf several-hosts.conf request-bound.conf demo.conf
    fleet.conf);
my %have = map { basename($_) => 1 } @files;
ok($have{$_}, "conf-examples/$_ exists") for sort keys %want;

my $t = NginxTest->new;
my $p = $t->prefix;
my $module = $t->{module};
my $binary = $t->{binary};

# placeholder files, as the examples' comments describe them
$t->write_file('etc/push-approval/secret', NginxTest::secret_line() . "\n");
$t->write_file('etc/push-approval/verify.cred',
               'AC' . ('a' x 32) . ':placeholder-auth-token' . "\n");
$t->write_file('etc/push-approval/authy.key', "placeholder-api-key\n");
$t->write_file('etc/push-approval/redis.pass', "nginx-gate:placeholder\n");
$t->write_file('etc/htpasswd', "alice:{PLAIN}x\n");
$t->write_file('srv/intranet/index.html', "intranet\n");
$t->write_file('conf/mime.types', -r '/etc/nginx/mime.types'
               ? $t->read_file('/etc/nginx/mime.types')
               : "types { text/html html; }\n");

mkdir "$p/etc/tls";
system("openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=gate.example.org"
       . " -days 2 -keyout $p/etc/tls/gate.example.org.key"
       . " -out $p/etc/tls/gate.example.org.crt >/dev/null 2>&1") == 0
    or BAIL_OUT('openssl cannot make a test certificate');

# the sanitizer run times, as the harness preloads them
my $asan = '';
if ($ENV{TEST_NGINX_ASAN}) {
    local %ENV = %ENV;
    NginxTest::sanitizer_env();
    $asan = $ENV{LD_PRELOAD};
}

sub nginx_t ($name, $conf) {
    my $file = $t->write_file("conf/$name", $conf);
    local $ENV{LD_PRELOAD} = $asan if $asan;
    local $ENV{ASAN_OPTIONS} = 'detect_leaks=0' if $asan;
    my $out = `$binary -t -p $p/ -c $file 2>&1`;
    return ($? >> 8, $out);
}

for my $file (grep { basename($_) ne 'demo.conf' } @files) {
    my $name = basename($file);
    my $text = $t->read_file($file);

    like($text, qr/^\s*#.*\S/m, "$name: commented");
    like($text, qr/^load_module modules\/ngx_http_push_approval_module\.so;/m,
         "$name: loads the module as an operator would");
    unlike($text, qr/@[A-Z]+@|%%[A-Z0-9]+%%/, "$name: no placeholders");
    unlike($text, qr/\t/, "$name: no tabs");
    ok(!grep({ length > 80 } split /\n/, $text), "$name: 80 columns");

    $text =~ s{^load_module modules/ngx_http_push_approval_module\.so;}
              {load_module $module;}m;
    $text =~ s{/etc/nginx/}{$p/etc/}g;
    $text =~ s{/var/log/nginx/}{$p/logs/}g;
    $text =~ s{/srv/}{$p/srv/}g;
    $text =~ s{https://(verify\.twilio\.com|api\.authy\.com)/}
              {https://127.0.0.1/}g;
    # "nginx -t" binds the listening sockets
    $text =~ s/^(\s*listen\s+)[^\s;]+/$1 . '127.0.0.1:' . NginxTest::free_port()/gme;
    $text = "pid $p/logs/nginx.pid;\nerror_log $p/logs/error.log;\n$text";
    my $temp = join '', map { "    ${_}_temp_path $p/tmp/$_;\n" }
        qw(client_body proxy fastcgi uwsgi scgi);
    $text =~ s/^(http \{\n)/$1$temp/m or fail("$name: no http block");

    my ($rc, $out) = nginx_t($name, $text);
    is($rc, 0, "$name: nginx -t passes") or diag($out);
    unlike($out, qr/\[(warn|emerg|alert)\]/, "$name: no warnings")
        or diag($out);
}

# ---- demo.conf, as tools/demo runs it --------------------------------------

use Sandbox;
use Time::HiRes qw(sleep time);
use POSIX qw(WNOHANG);

my $sb = Sandbox->start(seed => 1);
my $port = $t->port;
my $sburl = $sb->url;

my $demo = $t->read_file("$ROOT/conf-examples/demo.conf");
like($demo, qr/\@PREFIX\@/, 'demo.conf: uses @PREFIX@');
like($demo, qr/\@SANDBOX\@/, 'demo.conf: uses @SANDBOX@');
unlike($demo, qr/%%/, 'demo.conf: no other placeholders');

my $d = "$p/demo";
$demo =~ s/\@PREFIX\@/$d/g;
$demo =~ s/\@SANDBOX\@/$sburl/g;
$demo =~ s/\@MODULE\@/$module/g;
# a free port instead of 8080, so that tests run anywhere
$demo =~ s/127\.0\.0\.1:8080/127.0.0.1:$port/g;

$t->write_file('demo/push-approval/secret', NginxTest::secret_line() . "\n");
$t->write_file('demo/push-approval/verify.cred',
               $sb->account_sid . ':' . $sb->auth_token . "\n");
$t->write_file("demo/html/index.html",
               $t->read_file("$ROOT/conf-examples/demo-html/index.html"));
mkdir "$d/logs";
mkdir "$d/tmp";
$sb->config(verify_callback_url => "http://127.0.0.1:$port/_push/callback");

my ($rc, $out) = nginx_t('demo.conf', $demo);
is($rc, 0, 'demo.conf: nginx -t passes') or diag($out);

my $pid = fork() // die "fork: $!";
if ($pid == 0) {
    open STDOUT, '>', "$d/logs/stderr.log";
    open STDERR, '>&', \*STDOUT;
    if ($asan) {
        $ENV{LD_PRELOAD} = $asan;
        $ENV{ASAN_OPTIONS} = 'detect_leaks=0:abort_on_error=0';
    }
    exec $binary, '-p', "$d/", '-c', "$p/conf/demo.conf";
    exit 127;
}

my $deadline = time + 10;
until (IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => $port)) {
    die "demo nginx did not start\n" . $t->read_file("$d/logs/error.log")
        if time > $deadline || waitpid($pid, WNOHANG) == $pid;
    sleep 0.05;
}

my $r = $t->get('/', headers => { Accept => 'text/html' });
is($r->{status}, 403, 'demo: no identity, 403');
like($r->{body}, qr/Not approved.*no_identity/s, 'demo: the sign-in hint');

$r = $t->get('/login');
like($r->{body}, qr/<form action="\/login">/, 'demo: the login form');
like($r->{body}, qr/\Q$sburl\E\/phone/, 'demo: links the sandbox phone');

$r = $t->get('/login?user=alice-0001');
is($r->{status}, 302, 'demo: login redirects');
my $user = NginxTest::cookie($r, 'demo_user');
is($user, 'demo_user=alice-0001', 'demo: login cookie');

$r = $t->get('/', headers => { Accept => 'text/html', Cookie => $user });
is($r->{status}, 302, 'demo: sent to the waiting page');
my ($wait) = ($r->{headers}{location} // '') =~ m{^(?:http://[^/]+)?(/_push/wait\?t=\S+)};
ok($wait, 'demo: wait URI') or diag(explain($r->{headers}));
my $wc = join '; ', map { /^([^;]+)/ } @{ $r->{cookies} };

my $a = eval { $sb->wait_approval(identity => 'alice-0001') };
ok($a, 'demo: an approval on the sandbox phone');
is($sb->decide($a->{id}, 'approved'), 200, 'demo: approved') if $a;
$sb->wait_callbacks(1) if $a;

$r = $t->get("$wait&format=json", headers => { Cookie => "$user; $wc" });
like($r->{body}, qr/"status":\s*"approved"/, 'demo: the waiting page sees it');
my $remember = NginxTest::cookie($r, 'push_approval');
ok($remember, 'demo: remember cookie');

$r = $t->get('/', headers => { Accept => 'text/html',
                               Cookie => "$user; " . ($remember // '') });
is($r->{status}, 200, 'demo: the protected page');
like($r->{body}, qr/<h1>Approved<\/h1>/, 'demo: its content');

$r = $t->get('/metrics');
like($r->{body}, qr/requests_total\{zone="demo",status="remembered"\} 1/,
     'demo: metrics');

kill 'QUIT', $pid;
waitpid($pid, 0);

my $log = $t->read_file("$d/logs/error.log");
ok($log !~ /\[(alert|emerg)\]/, 'demo: no alerts') or diag($log);
my $err = $t->read_file("$d/logs/stderr.log");
unlike($err, qr/AddressSanitizer|runtime error:/, 'demo: no sanitizer reports');

done_testing;
