#!/usr/bin/perl
# make demo (issue 17, point 10): the first printed URL is the sign-in page
# (not "Not approved -- no_identity"), and the printed logs outlive the
# demo (kept in DEMO_LOGS, build/demo-logs by default).  The demo listens
# on the fixed ports 8080 and 8765: skipped when they are taken.
use v5.36;
use Test::More;
use File::Temp qw(tempdir);
use IO::Socket::IP;
use POSIX ();
use Time::HiRes qw(sleep time);
use lib 't/lib';
use NginxTest;

my $ROOT = $NginxTest::ROOT;
my $module = $ENV{TEST_NGINX_MODULE}
    || "$ROOT/build/ngx_http_push_approval_module.so";
plan skip_all => "no module at $module" unless -f $module;
# the demo runs nginx itself, without the sanitizer run times
plan skip_all => 'the demo does not run under ASan' if $ENV{TEST_NGINX_ASAN};

for my $port (8080, 8765) {
    plan skip_all => "port $port in use"
        if IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => $port);
}

my $keep = tempdir('demo-logs-XXXXXX', TMPDIR => 1, CLEANUP => 1) . '/logs';
my $out = "$keep.out";

my $pid = fork() // die "fork: $!";
if (!$pid) {
    setpgrp(0, 0);
    $ENV{DEMO_LOGS} = $keep;
    $ENV{MODULE} = $module;
    $ENV{NGINX} = $ENV{TEST_NGINX_BINARY} if $ENV{TEST_NGINX_BINARY};
    open(STDOUT, '>', $out) or POSIX::_exit(126);
    open(STDERR, '>&', \*STDOUT);
    exec("$ROOT/tools/demo") or POSIX::_exit(127);
}

my $text = '';
my $deadline = time + 20;
while (time < $deadline) {
    $text = do { local (@ARGV, $/) = $out; <> } // '' if -f $out;
    last if $text =~ /Ctrl-C stops everything/;
    sleep 0.1;
}
like($text, qr/demo is running/, 'the demo started') or diag($text);

my @urls = $text =~ m{(http://127\.0\.0\.1:\d+/\S*)}g;
is($urls[0], 'http://127.0.0.1:8080/login', 'the first URL is the sign-in page');

my $s = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => 8080);
print $s "GET /login HTTP/1.0\r\nHost: localhost\r\n\r\n";
my $page = do { local $/; <$s> } // '';
like($page, qr{^HTTP/1\.1 200}, 'sign-in page: 200');
like($page, qr/Sign in as/, 'sign-in page: the form');

my ($logs) = $text =~ m{logs\s+(/\S+)/\n};
ok($logs && -d $logs, 'the printed logs directory exists') or diag($text);
like($text, qr/kept in \Q$keep\E\//, 'says where the logs are kept');

kill 'INT', -$pid;
waitpid($pid, 0);
ok(!-d ($logs // '/nonexistent-dir'), 'the runtime directory is removed');
ok(-s "$keep/error.log", 'the error log is kept after the demo stopped');
like(do { local (@ARGV, $/) = $out; <> }, qr/logs kept in \Q$keep\E/,
     'the stop message says where');

done_testing;
