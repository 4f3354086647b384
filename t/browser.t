#!/usr/bin/perl
# The browser flow in a real browser (Chromium, driven by playwright-core
# from t/browser/flow.js): a protected URL leads to the waiting page, the
# sandbox phone page approves and the page goes on to the original content;
# deny shows "Try again"; expiry; without JavaScript the meta refresh goes
# on; push_approval_code shows the same code on the page and the phone.
# Screenshots go to t/tmp/ (waiting-page.png, phone-sized).
#
# Needs node, npm and /usr/bin/chromium; playwright-core is installed into
# t/browser/node_modules when missing (never a browser download).
use v5.36;
use Test::More;
use JSON::PP;
use File::Path qw(make_path);
use File::Temp qw(tempdir);
use lib 't/lib';
use NginxTest;
use PushTest;

my $module = $ENV{TEST_NGINX_MODULE}
    || "$NginxTest::ROOT/build/ngx_http_push_approval_module.so";
plan skip_all => "no module at $module" unless -f $module;

my $ROOT = $NginxTest::ROOT;
my $DIR = "$ROOT/t/browser";

my ($chromium) = grep { -x } $ENV{TEST_CHROMIUM} // (),
    '/usr/lib/chromium/chromium', '/usr/bin/chromium';
plan skip_all => 'no chromium (apt-get install chromium)' unless $chromium;

my $node = `command -v node 2>/dev/null`;
chomp $node;
plan skip_all => 'no node (apt-get install nodejs npm)' unless $node;

unless (-d "$DIR/node_modules/playwright-core") {
    local $ENV{PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD} = 1;
    my $out = `cd $DIR && npm install --no-audit --no-fund 2>&1`;
    plan skip_all => "npm install playwright-core failed:\n$out"
        unless -d "$DIR/node_modules/playwright-core";
}

my ($t, $sb) = PushTest::setup(
    server => <<'EOF',
    location /short/ {
        push_approval zone=pa;
        push_approval_timeout 3s;
        alias %%PREFIX%%/html/p/;
    }

    location /c/ {
        push_approval zone=pa;
        push_approval_code on;
        push_approval_scope code;
        alias %%PREFIX%%/html/p/;
    }
EOF
);

# decisions reach nginx by callback, as with the real provider
$sb->config(verify_callback_url => $t->url('/_push/callback'));

my %users;
for my $case (qw(approve deny expire noscript code live)) {
    $users{$case} = "web-$case-01";
    $sb->add_entity($users{$case});
}

my $shots = "$ROOT/t/tmp";
make_path($shots);

my $cfg = JSON::PP->new->canonical->encode({
    base => $t->url(''), phone => $sb->url . '/phone',
    users => \%users, shots => $shots, chromium => $chromium,
    home => tempdir('browser-home-XXXXXX', TMPDIR => 1, CLEANUP => 1),
    only => $ENV{TEST_BROWSER_ONLY},
});

my $quoted = $cfg =~ s/'/'\\''/gr;
open my $fh, '-|', "cd $DIR && $node flow.js '$quoted' 2>&1"
    or die "node: $!";

my $checks = 0;
while (my $line = <$fh>) {
    my $r = eval { JSON::PP->new->decode($line) };
    if (!$r) {
        diag $line;
        next;
    }
    $checks++;
    ok($r->{ok}, $r->{name}) or diag $r->{diag} // '';
}
close $fh;

ok($checks >= 20, "the browser ran its checks ($checks)")
    unless $ENV{TEST_BROWSER_ONLY};
ok(-s "$shots/waiting-page.png", 'screenshot t/tmp/waiting-page.png')
    unless $ENV{TEST_BROWSER_ONLY};

$t->done_testing;
