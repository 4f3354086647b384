#!/usr/bin/perl
# The Debian package libnginx-mod-http-push-approval (debian/, tools/build-deb):
# its contents and control data, and the module it ships protecting a
# location in Debian's nginx.
#
# The package is TEST_DEB (a path), else build/deb/libnginx-mod-http-push-
# approval_*.deb when it is newer than the sources, else built here with
# tools/build-deb (about 30 s; skipped without dpkg-buildpackage/dh_nginx).
#
# Only as root with TEST_DEB_INSTALL=1 (CI sets it) the package is installed
# with dpkg -i: the module is then loaded the Debian way, through
# /etc/nginx/modules-enabled, and the package is removed (dpkg -r, then
# purged) at the end.  Otherwise the files are checked with dpkg-deb and
# the module is run from an extracted copy.
use v5.36;
use Test::More;
use Cwd ();
use File::Temp qw(tempdir);
use Time::HiRes qw(sleep);
use lib 't/lib';
use NginxTest;
use PushTest;

my $ROOT = $NginxTest::ROOT;
my $NGINX = $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx';
my $PKG = 'libnginx-mod-http-push-approval';
my $SO = 'ngx_http_push_approval_module.so';
my $MODDIR = '/usr/lib/nginx/modules';
my $AVAIL = '/usr/share/nginx/modules-available/mod-http-push-approval.conf';
my $ENABLED = '/etc/nginx/modules-enabled/50-mod-http-push-approval.conf';

plan skip_all => 'dpkg-deb not found' unless have('dpkg-deb');
plan skip_all => "$NGINX not found" unless -x $NGINX;

# the package is built against Debian's nginx-dev and depends on the exact
# ABI of Debian's nginx: its module loads into that binary only
{
    my ($ver) = `$NGINX -v 2>&1` =~ m{nginx/(\S+)};
    plan skip_all => 'nginx ' . ($ver // '?') . " is not Debian's nginx, the"
        . ' only one the package is built for'
        unless Cwd::abs_path($NGINX) eq (Cwd::abs_path('/usr/sbin/nginx')
                                         // '');
}

sub have ($cmd) { system("command -v $cmd >/dev/null 2>&1") == 0 }

sub run (@cmd) {
    my $out = `@cmd 2>&1`;
    return ($? >> 8, $out);
}

# ---- the package -----------------------------------------------------------

sub newest_source () {
    my $t = 0;
    for my $f ("$ROOT/config", glob("$ROOT/src/*.[ch]"),
               glob("$ROOT/debian/* $ROOT/debian/*/*"),
               glob("$ROOT/tools/ctl/*.[ch] $ROOT/tools/ctl/Makefile"),
               "$ROOT/tools/build-deb") {
        my $m = (stat $f)[9] // 0;
        $t = $m if $m > $t;
    }
    return $t;
}

my $deb = $ENV{TEST_DEB};
if (!$deb) {
    my ($prebuilt) = sort { (stat $b)[9] <=> (stat $a)[9] }
                     grep { !/-dbgsym_/ } glob "$ROOT/build/deb/${PKG}_*.deb";
    if ($prebuilt && (stat $prebuilt)[9] >= newest_source()) {
        $deb = $prebuilt;
    } else {
        plan skip_all => 'no package and no dpkg-buildpackage/dh_nginx to '
            . 'build one (tools/install-deps deb)'
            unless have('dpkg-buildpackage') && have('dh_nginx');
        my ($rc, $out) = run("$ROOT/tools/build-deb");
        if ($rc) {
            fail('tools/build-deb');
            diag($out);
            done_testing();
            exit;
        }
        ($deb) = $out =~ m{^(/\S+\.deb)\s*\z}m;
    }
}
ok($deb && -f $deb, "package: $deb");
note("package $deb");

# ---- control data ----------------------------------------------------------

my %ctl;
{
    my ($rc, $out) = run('dpkg-deb', '-f', $deb);
    is($rc, 0, 'dpkg-deb -f');
    $ctl{lc $1} = $2 while $out =~ /^(\S+):\s*(.*)$/mg;
}
is($ctl{package}, $PKG, 'package name');
is($ctl{section}, 'httpd', 'section httpd');

my $abi;
{
    open my $fh, '<', '/usr/share/nginx/src/debian/libnginx-mod.abisubstvars';
    ($abi) = join('', <$fh>) =~ /^nginx:abi=(\S+)/m if $fh;
}
SKIP: {
    skip 'no nginx-dev ABI file', 2 unless $abi;
    like($ctl{depends} // '', qr/(?:^|, )\Q$abi\E(?:,|$)/,
         "depends on the exact nginx ABI ($abi)");
    my $provides = `dpkg-query -W -f='\${Provides}' nginx 2>/dev/null`;
    like($provides, qr/\Q$abi\E/, "the installed nginx provides $abi");
}
like($ctl{depends} // '', qr/libyajl2/, 'shared library dependencies');

{
    my ($rc, $out) = run('dpkg-deb', '-I', $deb, 'postinst');
    is($rc, 0, 'has a postinst');
    like($out, qr{ln\s+-sf\s+/usr/share/nginx/modules-available/\$from\s*\\?\s*
                  /etc/nginx/modules-enabled/\$to}x,
         'postinst enables the module in modules-enabled');
    like($out, qr{mod-http-push-approval\.conf:50-mod-http-push-approval\.conf},
         'as 50-mod-http-push-approval.conf');
    ($rc, $out) = run('dpkg-deb', '-I', $deb, 'prerm');
    like($out, qr{modules-enabled}, 'prerm disables it');
}

# ---- files -----------------------------------------------------------------

my %files;
{
    my ($rc, $out) = run('dpkg-deb', '-c', $deb);
    is($rc, 0, 'dpkg-deb -c');
    for my $line (split /\n/, $out) {
        my @f = split ' ', $line, 6;
        next unless @f == 6;
        (my $path = $f[5]) =~ s{^\./}{/};
        $path =~ s{ -> .*}{};
        $files{$path} = $f[0];
    }
}
like($files{"$MODDIR/$SO"} // '', qr/^-rw-r--r--/, "$MODDIR/$SO, 0644");
like($files{$AVAIL} // '', qr/^-rw-r--r--/, $AVAIL);
like($files{'/usr/bin/push-approval-ctl'} // '', qr/^-rwxr-xr-x/,
     '/usr/bin/push-approval-ctl, 0755');
ok($files{"/usr/share/doc/$PKG/copyright"}, 'copyright');
ok((grep { m{^/usr/share/doc/$PKG/examples/.+\.conf} } keys %files),
   'configuration examples');
ok(!(grep { m{^/etc/} } keys %files),
   'no file under /etc (the link is made by postinst)');

my $x = tempdir('deb-x-XXXXXX', TMPDIR => 1, CLEANUP => 1);
is(system('dpkg-deb', '-x', $deb, $x), 0, 'dpkg-deb -x');
{
    open my $fh, '<', "$x$AVAIL";
    my $conf = $fh ? join('', <$fh>) : '';
    is($conf, "load_module modules/$SO;\n", 'the load file');
}
{
    my ($rc, $out) = run("$x/usr/bin/push-approval-ctl", 'secret');
    is($rc, 0, 'push-approval-ctl secret runs');
    like($out, qr/^[A-Za-z0-9_-]{32,}\n\z/, 'and prints a secret line');
}

# ---- installing ------------------------------------------------------------

my $install = $> == 0 && ($ENV{TEST_DEB_INSTALL} // '') eq '1';
my $module = "$x$MODDIR/$SO";

if ($install) {
    my ($was) = `dpkg-query -W -f='\${Status}' $PKG 2>/dev/null`
                =~ /install ok installed/;
    diag("$PKG was installed before the test; it is removed at the end")
        if $was;

    my ($rc, $out) = run('dpkg', '-i', $deb);
    is($rc, 0, 'dpkg -i') or diag($out);
    is(`dpkg-query -W -f='\${Status}' $PKG`, 'install ok installed',
       'installed');
    ok(-f "$MODDIR/$SO", "module in $MODDIR");
    ok(-f $AVAIL, 'load file in modules-available');
    is(readlink($ENABLED) // '', $AVAIL,
       "enabled: $ENABLED -> modules-available");
    ok(-x '/usr/bin/push-approval-ctl', 'push-approval-ctl in /usr/bin');

    # nginx -t with a configuration that loads it through modules-enabled
    # (Debian's prefix: modules/ is /usr/share/nginx/modules)
    my $d = tempdir('deb-t-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    open my $fh, '>', "$d/secret";
    print $fh NginxTest::secret_line(), "\n";
    close $fh;
    open $fh, '>', "$d/verify.cred";
    print $fh 'AC', 'a' x 32, ':', 'b' x 32, "\n";
    close $fh;
    open $fh, '>', "$d/nginx.conf";
    print $fh <<"EOF";
include /etc/nginx/modules-enabled/*.conf;
pid $d/nginx.pid;
error_log $d/error.log;
events { }
http {
    access_log off;
    client_body_temp_path $d/body;
    proxy_temp_path $d/proxy;
    fastcgi_temp_path $d/fastcgi;
    uwsgi_temp_path $d/uwsgi;
    scgi_temp_path $d/scgi;
    push_approval_zone zone=pa:1m;
    push_approval_secret_file $d/secret;
    server {
        listen 127.0.0.1:@{[ NginxTest::free_port() ]};
        push_approval_api /_push_api/;
        push_approval_verify_service VA0123456789abcdef0123456789abcdef;
        push_approval_verify_credentials_file $d/verify.cred;
        push_approval_identity \$remote_user;
        location /_push_api/ { internal; proxy_pass http://127.0.0.1:9/; }
        location / { push_approval zone=pa; }
        location = /_push/wait { push_approval_wait; }
        location = /metrics { push_approval_metrics; }
    }
}
EOF
    close $fh;
    ($rc, $out) = run($NGINX, '-t', '-c', "$d/nginx.conf");
    is($rc, 0, 'nginx -t: module loaded through modules-enabled')
        or diag($out);
    like($out, qr/test is successful/, 'test is successful');

    # and the system's own configuration still passes with it enabled
    ($rc, $out) = run($NGINX, '-t');
    is($rc, 0, 'nginx -t with /etc/nginx/nginx.conf') or diag($out);

    $module = "$MODDIR/$SO";
}

# ---- the shipped module protects a location --------------------------------

{
    local $ENV{TEST_NGINX_MODULE} = $module;
    my ($t, $sb) = PushTest::setup(protected => 'push_approval_mode hold;');
    my $id = $PushTest::IDENTITY{verify};

    my $h = $t->send('GET', '/p/index.html', headers => { 'X-User' => $id });
    my $a = $sb->wait_approval(identity => $id);
    ok($a, "push sent by the module from $module");
    $sb->decide($a->{id}, 'approved');
    my $r = $t->read($h, 10);
    is($r && $r->{status}, 200, 'approved: 200');
    like($r ? $r->{body} : '', qr/SECRET CONTENT/, 'the protected content');
    my $c = NginxTest::cookie($r, 'push_approval');
    ok($c, 'remember cookie');

    $r = $t->get('/p/index.html',
                 headers => { 'X-User' => $id, Cookie => $c // '' });
    is($r->{status}, 200, 'remembered by the cookie');

    $r = $t->get('/p/index.html');
    is($r->{status}, 403, 'no identity: 403');

    $t->stop;
    ok(!$t->problems, 'no alerts') or diag(join "\n", $t->problems);
}

# ---- removing --------------------------------------------------------------

if ($install) {
    my ($rc, $out) = run('dpkg', '-r', $PKG);
    is($rc, 0, 'dpkg -r') or diag($out);
    ok(!-e "$MODDIR/$SO", 'module removed');
    ok(!-e '/usr/bin/push-approval-ctl', 'push-approval-ctl removed');
    ok(!-l $ENABLED, 'no longer enabled');
    ($rc, $out) = run($NGINX, '-t');
    is($rc, 0, 'nginx -t passes after the removal') or diag($out);

    ($rc, $out) = run('dpkg', '-P', $PKG);
    is($rc, 0, 'dpkg -P') or diag($out);
    ok(!-l "$ENABLED.removed", 'purge leaves no link behind');
}

done_testing();
