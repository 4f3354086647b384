#!/usr/bin/perl

# Held requests over HTTP/2 streams (h2c with prior knowledge, by curl):
# released on approval, and a stream whose client goes away frees what it
# held.

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use Time::HiRes qw(sleep);
use PushTest;

plan skip_all => 'curl with HTTP/2 is needed'
    unless `curl --version 2>/dev/null` =~ /HTTP2/;

my ($t, $sb) = PushTest::setup(workers => 1,
    server => 'listen 127.0.0.1:%%PORT2%% http2;',
    protected => 'push_approval_mode hold;
                  push_approval_poll 100ms;
                  push_approval_scope $http_x_scope;');

my $url = 'http://127.0.0.1:' . $t->port(1) . '/p/';
my $out = $t->prefix . '/h2.out';

sub curl_bg {
    my ($scope, $max) = @_;
    my $pid = fork() // die "fork: $!";
    if ($pid == 0) {
        open STDOUT, '>', "$out.$scope.code";
        exec 'curl', '-s', '--http2-prior-knowledge', '-m', $max,
             '-H', 'X-User: alice-0001', '-H', "X-Scope: $scope",
             '-o', "$out.$scope", '-w', '%{http_code} %{http_version}',
             $url;
        exit 127;
    }
    return $pid;
}

sub gauge { PushTest::metric($t, 'nginx_push_approval_held_requests') }

my $pid = curl_bg('a', 10);
my $ap = $sb->wait_approval(identity => 'alice-0001', timeout => 5);

# a second stream, held, whose client gives up after a second

my $gone = curl_bg('b', 1);
for (1 .. 100) { last if gauge() == 2; sleep 0.02 }
is(gauge(), 2, 'two HTTP/2 streams held');
waitpid($gone, 0);
for (1 .. 100) { last if gauge() == 1; sleep 0.02 }
is(gauge(), 1, 'the stream that went away is freed');

$sb->decide($ap->{id}, 'approved', callback => 0);
waitpid($pid, 0);
is($? >> 8, 0, 'curl finished');
is($t->read_file("h2.out.a"), "SECRET CONTENT\n", 'approved over HTTP/2');
is($t->read_file("h2.out.a.code"), '200 2', 'status 200, HTTP/2');
is(gauge(), 0, 'nothing held');

$t->done_testing;
