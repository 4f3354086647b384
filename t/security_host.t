#!/usr/bin/perl

# Attack: a forged Host reaching the phone.  "Host: staging.example.org"
# on the default server once pushed "Approve access to
# staging.example.org/...".  The host a push names is the request's Host
# only when the matched server lists it in server_name; otherwise the
# server's first name.

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use PushTest;

my $sb = Sandbox->start(seed => 1);
my $t = NginxTest->new(workers => 1);
PushTest::prepare($t, $sb);

my $conf = PushTest::config(sb => $sb,
    protected => 'push_approval_mode hold;
                  push_approval_timeout 1s;
                  push_approval_limit rate=100/m cooldown=0;
                  push_approval_scope $http_host;',
    server => 'location /once/ {
                   push_approval zone=pa;
                   push_approval_mode hold;
                   push_approval_timeout 1s;
                   push_approval_remember 0;
                   push_approval_limit rate=100/m cooldown=0;
                   alias %%PREFIX%%/html/p/;
               }',
    http => 'server {
                 listen 127.0.0.1:%%PORT%%;
                 server_name other.test;
                 location / { return 404; }
             }');

# the protected server is the default one and has a wildcard name too
$conf =~ s/listen 127\.0\.0\.1:%%PORT%%;\n    server_name gate\.test;/listen 127.0.0.1:%%PORT%% default_server;\n    server_name gate.test *.gate.test;/
    or die 'no server to change';

$t->start($conf);

my %user = PushTest::user('verify');

sub pushed {
    my ($path, $host) = @_;
    $sb->clear_calls;
    my $h = $t->send('GET', $path, host => $host, headers => { %user });
    $t->read($h, 3);
    my ($create) = grep { $_->{method} eq 'POST' } @{ $sb->calls };
    return $create ? $create->{params} : {};
}

# the exact request: a forged Host on the default server

my $p = pushed('/p/', 'staging.example.org');
is($p->{'Details.Message'}[0], 'Approve access to gate.test/p/',
   'a forged Host is replaced by the server name');

$p = pushed('/once/', 'staging.example.org');
is($p->{'Details.Message'}[0], 'Approve GET gate.test/once/',
   'request-bound message: the server name');
ok(grep({ $_ eq '{"label":"Host","value":"gate.test"}' }
        @{ $p->{'Details.Fields'} // [] }),
   'request-bound Host detail: the server name');

ok(grep({ $_ eq '{"label":"From","value":"127.0.0.1"}' }
        @{ $p->{'Details.Fields'} // [] }),
   'without details of its own a push names the client address (From)');

$p = pushed('/p/', 'staging.example.org:8080');
is($p->{'Details.Message'}[0], 'Approve access to gate.test/p/',
   'with a port too');

# names the server lists are shown as sent

$p = pushed('/p/', 'gate.test');
is($p->{'Details.Message'}[0], 'Approve access to gate.test/p/',
   'the first name');

$p = pushed('/p/', 'WWW.Gate.Test');
is($p->{'Details.Message'}[0], 'Approve access to www.gate.test/p/',
   'a name matching the wildcard');

# no Host at all (HTTP/1.0): the server name

{
    my $s = IO::Socket::IP->new(PeerHost => '127.0.0.1',
                                PeerPort => $t->port) or die "connect: $!";
    $sb->clear_calls;
    print $s "GET /p/ HTTP/1.0\r\nX-User: alice-0001\r\n\r\n";
    local $/;
    my $resp = <$s>;
    my ($create) = grep { $_->{method} eq 'POST' } @{ $sb->calls };
    is($create && $create->{params}{'Details.Message'}[0],
       'Approve access to gate.test/p/', 'no Host: the server name');
}

$t->done_testing;
