#!/usr/bin/perl
# push_approval_metrics (SPEC 9): Prometheus text with HELP and TYPE, a zone
# label on every series, one zone or all of them, counters and gauges that
# follow what the gate does, served from a server with no provider settings.
use v5.36;
use Test::More;
use lib 't/lib';
use NginxTest;
use Sandbox;

my $sb = Sandbox->start(seed => 1);
my $t = NginxTest->new(workers => 2);

$t->write_file('secret', NginxTest::secret_line() . "\n");
$t->write_file('verify.cred', $sb->account_sid . ':' . $sb->auth_token . "\n");
$t->write_file('authy.key', $sb->authy_api_key . "\n");
$t->write_file('html/p/index.html', "SECRET CONTENT\n");
$t->write_file('html/l/index.html', "LIMITED CONTENT\n");
$t->write_file('html/q/index.html', "AUTHY CONTENT\n");

$sb->add_entity('carol-0003', 'verified');
$sb->add_entity('dave-00004', 'verified');
$sb->add_entity('erin-00005', 'verified');
$sb->config(verify_callback_url => 'http://127.0.0.1:' . $t->port
            . '/_push/callback');

my $sbport = $sb->port;
my $svc = $sb->verify_service;

$t->start(<<"EOF");
push_approval_zone zone=pa:1m;
push_approval_zone zone=pb:1m;
push_approval_secret_file %%PREFIX%%/secret;

server {
    listen 127.0.0.1:%%PORT%%;

    push_approval_api /_push_api/;
    push_approval_verify_service $svc;
    push_approval_verify_credentials_file %%PREFIX%%/verify.cred;
    push_approval_identity \$http_x_user;
    push_approval_poll 0;

    location /_push_api/ {
        internal;
        proxy_pass http://127.0.0.1:$sbport/;
    }

    location /p/ {
        push_approval zone=pa;
        push_approval_mode hold;
        push_approval_timeout 10s;
    }

    location /l/ {
        push_approval zone=pa;
        push_approval_remember 0;
        push_approval_code on;
        push_approval_limit rate=1/m;
    }

    location /q/ {
        push_approval zone=pb;
        push_approval_mode hold;
        push_approval_provider authy;
        push_approval_api_key_file %%PREFIX%%/authy.key;
        push_approval_identity \$http_x_authy;
        push_approval_poll 200ms;
    }

    location = /_push/wait {
        push_approval_wait zone=pa;
    }

    location = /_push/callback {
        push_approval_callback zone=pa;
    }
}

# metrics only: no provider settings at all
server {
    listen 127.0.0.1:%%PORT2%%;

    location = /metrics {
        push_approval_metrics;
    }

    location = /metrics/pb {
        push_approval_metrics zone=pb;
    }
}
EOF

my $mport = $t->port(1);

my @FAMILIES = (
    [nginx_push_approval_requests_total => 'counter'],
    [nginx_push_approval_pushes_total => 'counter'],
    [nginx_push_approval_callbacks_total => 'counter'],
    [nginx_push_approval_polls_total => 'counter'],
    [nginx_push_approval_provider_errors_total => 'counter'],
    [nginx_push_approval_held_requests => 'gauge'],
    [nginx_push_approval_pending_approvals => 'gauge'],
    [nginx_push_approval_zone_entries => 'gauge'],
    [nginx_push_approval_zone_bytes_used => 'gauge'],
);

# all series: [name, {labels}, value]
sub scrape ($path = '/metrics') {
    my $r = $t->get($path, port => $mport);
    return ($r, []) unless $r && $r->{status} == 200;
    my @s;
    for my $line (split /\n/, $r->{body}) {
        next if $line =~ /^#/;
        my ($name, $labels, $v) = $line =~ /^(\w+)\{([^}]*)\} (\S+)$/
            or do { push @s, [$line, {}, undef]; next };
        my %l = $labels =~ /(\w+)="([^"]*)"/g;
        push @s, [$name, \%l, $v];
    }
    return ($r, \@s);
}

sub mv ($name, %labels) {
    my (undef, $s) = scrape();
    for my $x (@$s) {
        next unless $x->[0] eq $name;
        next if grep { ($x->[1]{$_} // '') ne $labels{$_} } keys %labels;
        return $x->[2];
    }
    return undef;
}

sub req ($zone, $status) {
    return mv('nginx_push_approval_requests_total', zone => $zone,
             status => $status);
}

# waits until a metric has a value
sub wait_m ($want, $name, %labels) {
    my $deadline = time + 5;
    while (time < $deadline) {
        my $v = mv($name, %labels);
        return $v if defined $v && $v == $want;
        select undef, undef, undef, 0.05;
    }
    return mv($name, %labels);
}

# ---- the format --------------------------------------------------------------

my ($r, $s) = scrape();
is($r->{status}, 200, 'metrics served without provider settings');
is($r->{headers}{'content-type'}, 'text/plain; version=0.0.4',
   'content type');

for my $f (@FAMILIES) {
    my ($name, $type) = @$f;
    like($r->{body}, qr/^# HELP \Q$name\E \S.*$/m, "$name: HELP");
    like($r->{body}, qr/^# TYPE \Q$name\E \Q$type\E$/m, "$name: TYPE $type");
    for my $z (qw(pa pb)) {
        ok((grep { $_->[0] eq $name && ($_->[1]{zone} // '') eq $z } @$s),
           "$name: a series for zone $z");
    }
}

my @bad = grep { !defined $_->[2] || !defined $_->[1]{zone}
                 || $_->[2] !~ /^-?\d+$/ } @$s;
ok(!@bad, 'every series has a zone label and an integer value')
    or diag(explain(\@bad));

# every family's HELP/TYPE comes once, before its series
my %seen;
my $order_ok = 1;
my $current = '';
for my $line (split /\n/, $r->{body}) {
    if ($line =~ /^# TYPE (\w+)/) {
        $order_ok = 0 if $seen{$1}++;
        $current = $1;
    } elsif ($line =~ /^(\w+)\{/) {
        $order_ok = 0 if $1 ne $current;
    }
}
ok($order_ok, 'series grouped under their HELP/TYPE, each family once');

for my $st (qw(approved remembered denied expired timeout limited
               no_identity error fail_open pending)) {
    is(req('pa', $st), 0, "requests_total{status=$st} starts at 0");
}

is(mv('nginx_push_approval_pushes_total', zone => 'pa', provider => 'verify'),
   0, 'pushes_total{provider=verify}');
is(mv('nginx_push_approval_pushes_total', zone => 'pa', provider => 'authy'),
   0, 'pushes_total{provider=authy}');
for my $res (qw(accepted ignored bad_signature stale replayed malformed)) {
    is(mv('nginx_push_approval_callbacks_total', zone => 'pa',
         result => $res), 0, "callbacks_total{result=$res}");
}

ok(mv('nginx_push_approval_zone_bytes_used', zone => 'pa') > 0,
   'zone_bytes_used > 0');

# zone= reports only that zone
my ($rb, $sb_only) = scrape('/metrics/pb');
is($rb->{status}, 200, 'zone= metrics');
my @other = grep { ($_->[1]{zone} // '') ne 'pb' } @$sb_only;
ok(@$sb_only && !@other, 'zone=pb: only zone pb') or diag($rb->{body});
like($rb->{body}, qr/^# TYPE nginx_push_approval_held_requests gauge$/m,
     'zone=: HELP/TYPE too');

# HEAD and other methods
$r = $t->request('HEAD', '/metrics', port => $mport);
is($r->{status}, 200, 'HEAD');
$r = $t->request('POST', '/metrics', port => $mport, body => 'x');
is($r->{status}, 405, 'POST: 405');

# ---- counters and gauges follow the gate -----------------------------------

# no identity
$r = $t->get('/p/');
is($r->{status}, 403, 'no identity: 403');
is(req('pa', 'no_identity'), 1, 'no_identity counted');

# held, then approved by a callback
my $h = $t->send('GET', '/p/', headers => { 'X-User' => 'alice-0001' });
my $a = $sb->wait_approval(identity => 'alice-0001');
is(wait_m(1, 'nginx_push_approval_held_requests', zone => 'pa'), 1,
   'held_requests 1 while held');
is(mv('nginx_push_approval_pending_approvals', zone => 'pa'), 1,
   'pending_approvals 1');
is(mv('nginx_push_approval_pushes_total', zone => 'pa', provider => 'verify'),
   1, 'pushes_total{verify} 1');
ok(mv('nginx_push_approval_zone_entries', zone => 'pa') > 0,
   'zone_entries > 0');
is(mv('nginx_push_approval_held_requests', zone => 'pb'), 0,
   'the other zone holds nothing');

$sb->decide($a->{id}, 'approved', callback => 1);
$r = $t->read($h, 10);
is($r && $r->{status}, 200, 'approved: 200');
my $cookie = $r ? NginxTest::cookie($r, 'push_approval') : undef;
ok($cookie, 'remember cookie');

is(req('pa', 'approved'), 1, 'approved counted');
is(wait_m(0, 'nginx_push_approval_held_requests', zone => 'pa'), 0,
   'held_requests back to 0');
is(mv('nginx_push_approval_pending_approvals', zone => 'pa'), 0,
   'pending_approvals back to 0');
is(mv('nginx_push_approval_callbacks_total', zone => 'pa',
     result => 'accepted'), 1, 'callbacks_total{accepted} 1');

# remembered
$r = $t->get('/p/', headers => { 'X-User' => 'alice-0001',
                                 Cookie => $cookie });
is($r->{status}, 200, 'remembered: 200');
is(req('pa', 'remembered'), 1, 'remembered counted');

# denied
$h = $t->send('GET', '/p/', headers => { 'X-User' => 'carol-0003' });
$a = $sb->wait_approval(identity => 'carol-0003');
$sb->decide($a->{id}, 'denied', callback => 1);
$r = $t->read($h, 10);
is($r && $r->{status}, 403, 'denied: 403');
is(req('pa', 'denied'), 1, 'denied counted');
is(mv('nginx_push_approval_pushes_total', zone => 'pa', provider => 'verify'),
   2, 'pushes_total{verify} 2');

# pending (code on: not held), then limited
$r = $t->get('/l/', headers => { 'X-User' => 'dave-00004' });
is($r->{status}, 401, 'code on: 401 pending');
is(req('pa', 'pending'), 1, 'pending counted');
$r = $t->get('/l/', headers => { 'X-User' => 'dave-00004' });
is($r->{status}, 429, 'over the limit: 429');
is(req('pa', 'limited'), 1, 'limited counted');
is(mv('nginx_push_approval_pushes_total', zone => 'pa', provider => 'verify'),
   3, 'no push for the limited request');

# a callback with a bad signature
$r = $t->request('POST', '/_push/callback',
                 headers => { 'Content-Type' =>
                                  'application/x-www-form-urlencoded',
                              'X-Twilio-Signature' => 'AAAA' },
                 body => 'type=challenge.approved&challenge_sid=YC1');
is($r->{status}, 401, 'bad signature: 401');
is(mv('nginx_push_approval_callbacks_total', zone => 'pa',
     result => 'bad_signature'), 1, 'callbacks_total{bad_signature}');

# Authy in the other zone, decided by a status poll
$h = $t->send('GET', '/q/', headers => { 'X-Authy' => '1234567' });
$a = $sb->wait_approval(identity => '1234567');
is(wait_m(1, 'nginx_push_approval_held_requests', zone => 'pb'), 1,
   'zone pb: held_requests 1');
$sb->decide($a->{id}, 'approved', callback => 0);
$r = $t->read($h, 10);
is($r && $r->{status}, 200, 'authy approved: 200');
is(mv('nginx_push_approval_pushes_total', zone => 'pb', provider => 'authy'),
   1, 'pushes_total{authy} 1 in zone pb');
is(mv('nginx_push_approval_pushes_total', zone => 'pa', provider => 'authy'),
   0, 'zone pa: no authy push');
ok(mv('nginx_push_approval_polls_total', zone => 'pb') >= 1,
   'polls_total counted');
is(req('pb', 'approved'), 1, 'zone pb: approved');
is(req('pa', 'approved'), 1, 'zone pa unchanged');
is(wait_m(0, 'nginx_push_approval_held_requests', zone => 'pb'), 0,
   'zone pb: held back to 0');

# a provider error
$sb->fail(status => 500, path => '/Challenges');
$r = $t->get('/l/', headers => { 'X-User' => 'erin-00005' });
is($r->{status}, 503, 'provider error: 503');
is(req('pa', 'error'), 1, 'error counted');
ok(mv('nginx_push_approval_provider_errors_total', zone => 'pa') >= 1,
   'provider_errors_total counted');

my ($rz, $sz) = scrape('/metrics/pb');
is((grep { $_->[0] eq 'nginx_push_approval_requests_total'
           && $_->[1]{status} eq 'approved' } @$sz)[0][2], 1,
   'zone=pb agrees');

$t->done_testing;
