#!/usr/bin/perl
# $push_approval_status, $push_approval_id and $push_approval_identity in an
# access_log format, for each outcome, and after an internal redirect
# (error_page 403 to a static page: the status is still logged).
use v5.36;
use Test::More;
use lib 't/lib';
use PushTest;
use Time::HiRes qw(sleep time);

my ($t, $sb) = PushTest::setup(
    provider => 'verify',
    http => q{log_format pa 'uri=$request_uri status=$status '
                            'pa_status="$push_approval_status" '
                            'pa_id="$push_approval_id" '
                            'pa_identity="$push_approval_identity"';},
    protected => 'push_approval_mode hold; push_approval_poll 200ms;',
    server => <<'EOF');
    access_log %%PREFIX%%/logs/pa.log pa;

    location /l/ {
        push_approval zone=pa;
        push_approval_remember 0;
        push_approval_code on;
        push_approval_limit rate=1/m;
    }

    location /e/ {
        push_approval zone=pa;
        push_approval_mode hold;
        push_approval_poll 200ms;
        push_approval_scope errors;
        error_page 403 /errors/denied.html;
    }

    location /errors/ {
        internal;
    }

    location /open/ {
    }
EOF

$t->write_file('html/l/index.html', "L\n");
$t->write_file('html/e/index.html', "E\n");
$t->write_file('html/open/index.html', "OPEN\n");
$t->write_file('html/errors/denied.html', "DENIED PAGE\n");
$sb->add_entity('carol-0003', 'verified');
$sb->add_entity('dave-00004', 'verified');

my $seen = 0;

# the log line of the next request for a URI
sub logged ($uri) {
    my $deadline = time + 5;
    while (time < $deadline) {
        my @lines = split /\n/, $t->read_file('logs/pa.log');
        for my $i ($seen .. $#lines) {
            next unless $lines[$i] =~ /^uri=\Q$uri\E /;
            $seen = $i + 1;
            my %f = $lines[$i] =~ /(\w+)="?([^" ]*)"?/g;
            return \%f;
        }
        sleep 0.05;
    }
    return {};
}

# ---- module not acting -------------------------------------------------------

my $r = $t->get('/open/', headers => { PushTest::user('verify') });
is($r->{status}, 200, 'unprotected: 200');
my $l = logged('/open/');
ok($l->{pa_status} eq '' || $l->{pa_status} eq '-',
   'unprotected: empty status') or diag(explain($l));

# ---- no identity ----------------------------------------------------------------

$r = $t->get('/p/');
is($r->{status}, 403, 'no identity: 403');
$l = logged('/p/');
is($l->{pa_status}, 'no_identity', 'no identity: status');
ok($l->{pa_identity} =~ /^-?$/, 'no identity: empty identity');
ok($l->{pa_id} =~ /^-?$/, 'no identity: no id');

# ---- approved, then remembered ----------------------------------------------

my $h = $t->send('GET', '/p/', headers => { PushTest::user('verify') });
my $a = $sb->wait_approval(identity => 'alice-0001');
$sb->decide($a->{id}, 'approved', callback => 0);
$r = $t->read($h, 10);
is($r && $r->{status}, 200, 'approved: 200');
$l = logged('/p/');
is($l->{pa_status}, 'approved', 'approved: status');
is($l->{pa_id}, $a->{id}, 'approved: the challenge SID');
is($l->{pa_identity}, 'alice-0001', 'approved: identity');

my $cookie = NginxTest::cookie($r, 'push_approval');
$r = $t->get('/p/?again', headers => { PushTest::user('verify'),
                                       Cookie => $cookie });
is($r->{status}, 200, 'remembered: 200');
$l = logged('/p/?again');
is($l->{pa_status}, 'remembered', 'remembered: status');
is($l->{pa_identity}, 'alice-0001', 'remembered: identity');

# ---- denied ---------------------------------------------------------------------

$h = $t->send('GET', '/p/', headers => { 'X-User' => 'carol-0003' });
$a = $sb->wait_approval(identity => 'carol-0003');
$sb->decide($a->{id}, 'denied', callback => 0);
$r = $t->read($h, 10);
is($r && $r->{status}, 403, 'denied: 403');
$l = logged('/p/');
is($l->{pa_status}, 'denied', 'denied: status');
is($l->{pa_id}, $a->{id}, 'denied: the challenge SID');
is($l->{pa_identity}, 'carol-0003', 'denied: identity');

# ---- pending (code on), limited -----------------------------------------------

$r = $t->get('/l/', headers => { 'X-User' => 'dave-00004' });
is($r->{status}, 401, 'code on: 401');
$l = logged('/l/');
is($l->{pa_status}, 'pending', 'code on: pending');
like($l->{pa_id}, qr/^YC[0-9a-f]{32}$/, 'code on: the challenge SID');
$r = $t->get('/l/', headers => { 'X-User' => 'dave-00004' });
is($r->{status}, 429, 'limited: 429');
$l = logged('/l/');
is($l->{pa_status}, 'limited', 'limited: status');
is($l->{pa_identity}, 'dave-00004', 'limited: identity');

# ---- after an internal redirect (error_page 403 -> static page) -------------

$r = $t->get('/e/');
is($r->{status}, 403, 'error_page: 403');
like($r->{body}, qr/DENIED PAGE/, 'error_page: the static page');
$l = logged('/e/');
is($l->{pa_status}, 'no_identity', 'error_page: status still logged');

# a denial in the cooldown, then via error_page
$r = $t->get('/e/', headers => { 'X-User' => 'carol-0003' });
is($r->{status}, 403, 'error_page, cooldown: 403');
like($r->{body}, qr/DENIED PAGE/, 'error_page, cooldown: the static page');
$l = logged('/e/');
is($l->{pa_status}, 'denied', 'error_page, cooldown: status still logged');
is($l->{pa_identity}, 'carol-0003', 'error_page: identity still logged');

# a held request denied on the phone, then error_page
$sb->add_entity('erin-00005', 'verified');
$h = $t->send('GET', '/e/', headers => { 'X-User' => 'erin-00005' });
$a = $sb->wait_approval(identity => 'erin-00005');
$sb->decide($a->{id}, 'denied', callback => 0);
$r = $t->read($h, 10);
is($r && $r->{status}, 403, 'error_page, held and denied: 403');
like($r && $r->{body}, qr/DENIED PAGE/, 'held and denied: the static page');
$l = logged('/e/');
is($l->{pa_status}, 'denied', 'held and denied: status still logged');
is($l->{pa_id}, $a->{id}, 'held and denied: id still logged');
is($l->{pa_identity}, 'erin-00005', 'held and denied: identity');

$t->done_testing;
