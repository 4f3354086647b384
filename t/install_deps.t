#!/usr/bin/perl
# "make test" on a fresh Debian 12 machine (issue 17, point 11): run as
# root, tools/install-deps test installs Chromium and Node.js (with npm)
# besides the build and test packages, and playwright-core from npm, so
# t/browser.t runs instead of skipping; run as a user it only names what is
# missing.  dpkg-query, apt-get, id and npm are stand-ins on PATH here:
# nothing is installed.
use v5.36;
use Test::More;
use File::Temp qw(tempdir);
use lib 't/lib';
use NginxTest;

my $ROOT = $NginxTest::ROOT;
my $bin = tempdir('deps-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $log = "$bin/calls.log";

sub stub ($name, $body) {
    open my $fh, '>', "$bin/$name" or die "$name: $!";
    print $fh "#!/bin/sh\n$body\n";
    close $fh;
    chmod 0755, "$bin/$name";
}

# a fresh machine: only the build packages are there
stub('dpkg-query', q{for a; do p=$a; done
case " gcc make nginx nginx-dev libyajl-dev libcurl4-openssl-dev libssl-dev perl python3 " in
    *" $p "*) echo "install ok installed" ;;
    *) exit 1 ;;
esac});
stub('apt-get', qq{echo "apt-get \$*" >> $log});
stub('npm', qq{echo "npm \$* in \$(pwd) skip=\$PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD" >> $log; exit 1});

sub run_deps ($uid) {
    unlink $log;
    stub('id', "echo $uid");
    my $out = `PATH=$bin:/usr/bin:/bin sh $ROOT/tools/install-deps test 2>&1`;
    my $rc = $? >> 8;
    my $calls = -f $log ? do { local (@ARGV, $/) = $log; <> } : '';
    return ($rc, $out, $calls);
}

my ($rc, $out, $calls) = run_deps(0);
is($rc, 0, 'as root: exit 0');
like($calls, qr/^apt-get install .*\bchromium\b/m, 'as root: installs chromium');
like($calls, qr/^apt-get install .*\bnodejs\b/m, 'as root: installs nodejs');
like($calls, qr/^apt-get install .*\bvalgrind\b.*\bcurl\b/m,
     'as root: and the test packages');
like($calls, qr{^npm install .* in \Q$ROOT\E/t/browser skip=1$}m,
     'as root: playwright-core from npm, no browser download')
    if !-d "$ROOT/t/browser/node_modules/playwright-core";

($rc, $out, $calls) = run_deps(1000);
is($rc, 1, 'as a user: exit 1');
like($out, qr/sudo apt-get install -y .*valgrind/, 'as a user: names the packages');
unlike($out, qr/chromium/, 'as a user: the browser stays optional');
is($calls, '', 'as a user: installs nothing');

done_testing;
