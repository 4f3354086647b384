#!/usr/bin/perl
# The package for nginx.org's nginx packages (tools/build-deb-nginx-org,
# make deb-nginx-org): its control data and contents, the module it ships
# protecting a location in the upstream nginx of the same version, and
# refused by any other nginx version.
#
# Runs with an upstream nginx (make test NGINX_VERSION=x.y.z builds one the
# way nginx.org's packages are built); skipped with Debian's nginx, whose
# own package t/deb.t checks.
use v5.36;
use Test::More;
use Cwd qw(abs_path);
use File::Temp qw(tempdir);
use lib 't/lib';
use NginxTest;
use PushTest;

my $ROOT = $NginxTest::ROOT;
my $NGINX = $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx';
my $SO = 'ngx_http_push_approval_module.so';
my $MODULE = $ENV{TEST_NGINX_MODULE} || "$ROOT/build/$SO";
my $CTL = "$ROOT/tools/ctl/push-approval-ctl";
my $PKG = 'nginx-module-push-approval';

sub have ($cmd) { system("command -v $cmd >/dev/null 2>&1") == 0 }

sub run (@cmd) {
    my $out = `@cmd 2>&1`;
    return ($? >> 8, $out);
}

plan skip_all => 'dpkg-deb and dpkg-shlibdeps are needed (tools/install-deps'
    . ' deb)' unless have('dpkg-deb') && have('dpkg-shlibdeps');
plan skip_all => "$NGINX not found" unless -x $NGINX;
plan skip_all => "Debian's nginx: the package for nginx.org's nginx is"
    . ' checked with upstream builds (make test NGINX_VERSION=x.y.z)'
    if abs_path($NGINX) eq (abs_path('/usr/sbin/nginx') // '');
plan skip_all => "no $CTL (make ctl)" unless -x $CTL;

my ($version) = `$NGINX -v 2>&1` =~ m{nginx/(\d+\.\d+\.\d+)};
ok($version, "the nginx under test: $NGINX, $version");

my $out = tempdir('deb-org-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my ($rc, $text) = run("$ROOT/tools/build-deb-nginx-org", $version, $MODULE,
                      $CTL, $out);
is($rc, 0, 'tools/build-deb-nginx-org') or diag($text);
my ($deb) = $text =~ m{^(/\S+\.deb)\s*\z}m;
ok($deb && -f $deb, 'a package: ' . ($deb // 'none'));
$deb //= '/nonexistent';

# ---- control data ----------------------------------------------------------

my %ctl;
($rc, $text) = run('dpkg-deb', '-f', $deb);
is($rc, 0, 'dpkg-deb -f');
$ctl{lc $1} = $2 while $text =~ /^(\S+):\s*(.*)$/mg;

my ($codename) = `. /etc/os-release && echo \$VERSION_CODENAME` =~ /(\S+)/;
$codename //= '';
is($ctl{package}, $PKG, "named as nginx.org names its modules: $PKG");
like($ctl{version} // '', qr/^\Q$version\E\+[0-9][^-]*-1~\Q$codename\E$/,
     "version $version+MODULE-1~$codename");
like($ctl{depends} // '',
     qr/(?:^|, )nginx \(= \Q$version\E-1~\Q$codename\E\)(?:,|$)/,
     "depends on exactly nginx.org's nginx $version");
like($ctl{depends} // '', qr/libyajl2/, 'shared library dependencies');
like($ctl{conflicts} // '', qr/libnginx-mod-http-push-approval/,
     "conflicts with the package for Debian's nginx");

($rc, $text) = run('dpkg-deb', '-I', $deb, 'postinst');
like($text, qr{load_module modules/\Q$SO\E;},
     'postinst tells how to load it');

# ---- files -----------------------------------------------------------------

my %files;
($rc, $text) = run('dpkg-deb', '-c', $deb);
for my $line (split /\n/, $text) {
    my @f = split ' ', $line, 6;
    next unless @f == 6;
    (my $path = $f[5]) =~ s{^\./}{/};
    $files{$path} = $f[0];
}
like($files{"/usr/lib/nginx/modules/$SO"} // '', qr/^-rw-r--r--/,
     "/usr/lib/nginx/modules/$SO, 0644 (/etc/nginx/modules of nginx.org)");
like($files{'/usr/bin/push-approval-ctl'} // '', qr/^-rwxr-xr-x/,
     '/usr/bin/push-approval-ctl, 0755');
ok($files{"/usr/share/doc/$PKG/copyright"}, 'copyright');
ok(!(grep { m{^/etc/} } keys %files), 'no file under /etc');

my $x = tempdir('deb-org-x-XXXXXX', TMPDIR => 1, CLEANUP => 1);
is(system('dpkg-deb', '-x', $deb, $x), 0, 'dpkg-deb -x');
my $module = "$x/usr/lib/nginx/modules/$SO";

# ---- the shipped module in nginx $version ----------------------------------

{
    local $ENV{TEST_NGINX_MODULE} = $module;
    my ($t, $sb) = PushTest::setup(protected => 'push_approval_mode hold;');
    my $id = $PushTest::IDENTITY{verify};

    my $h = $t->send('GET', '/p/index.html', headers => { 'X-User' => $id });
    my $a = $sb->wait_approval(identity => $id);
    ok($a, "push sent by the packaged module in nginx $version");
    $sb->decide($a->{id}, 'approved');
    my $r = $t->read($h, 10);
    is($r && $r->{status}, 200, 'approved: 200');
    like($r ? $r->{body} : '', qr/SECRET CONTENT/, 'the protected content');

    $t->stop;
    ok(!$t->problems, 'no alerts') or diag(join "\n", $t->problems);
}

# ---- and in no other nginx -------------------------------------------------

SKIP: {
    skip "no other nginx (Debian's /usr/sbin/nginx) to refuse it", 2
        unless -x '/usr/sbin/nginx';
    my ($other) = `/usr/sbin/nginx -v 2>&1` =~ m{nginx/(\S+)};
    skip "/usr/sbin/nginx is $version too", 2 if ($other // '') eq $version;

    local $ENV{TEST_NGINX_MODULE} = $module;
    my $t = NginxTest->new;
    $t->{binary} = '/usr/sbin/nginx';
    my ($st, $msg) = $t->test_config('');
    isnt($st, 0, "nginx $other refuses the module built for $version");
    like($msg, qr/version \d+ instead of \d+/, 'as another version')
        or diag($msg);
}

done_testing();
