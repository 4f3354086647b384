#!/usr/bin/perl
# Shared across a fleet on one store (SPEC 14, items 5 and 6), two hosts A
# and B on one redis-server, each with its own zone:
#
# - a signed Authy callback accepted by A is a replay (401) on B, and a
#   callback B accepts is one on A;
# - a cookie-less client remembered on A (an address entry) passes on B
#   with no new push; another address, or a failed cookie, does not;
# - a revocation on B (push_approval_revoke) ends the identity's cookies,
#   addresses and pending approvals on A too (SPEC 15: "on every host
#   with a store").
use v5.36;
use Test::More;
use JSON::PP;
use Time::HiRes qw(time sleep);
use lib 't/lib';
use NginxTest;
use PushSign qw(authy_flatten authy_canonical authy_sig http_raw);
use PushTest;
use Redis;

plan skip_all => 'no redis-server' unless Redis::available();

my $redis = Redis->start;
my $PORT = $redis->port;
my $KEY = 'dev-vector-api-key-0123456789abcd';
my $HOST = 'gate.example.org';
my $JSON = JSON::PP->new->canonical;

my %o = (
    provider => 'authy',
    sandbox => { authy_api_key => $KEY },
    protected => 'push_approval_mode hold; push_approval_poll 500ms; '
                 . 'push_approval_limit rate=30/m;',
    http => "push_approval_store zone=pa redis://127.0.0.1:$PORT;",
    server => "location = /revoke {\n        allow 127.0.0.1;\n"
              . "        deny all;\n        push_approval_revoke;\n    }",
);

my ($A, $sb) = PushTest::setup(%o);
my $B = NginxTest->new(workers => 2);
PushTest::prepare($B, $sb);
$B->write_file('secret', $A->read_file('secret'));
$B->start(PushTest::config(%o, sb => $sb));

for my $t ($A, $B) {
    my $deadline = time + 5;
    sleep 0.05 while time < $deadline
        && (PushTest::metric($t, 'nginx_push_approval_store_up',
                             zone => 'pa') // 0) != 1;
}

my $n = 0;
sub callback_body () {
    my $uuid = sprintf('0f3c2a10-5e2b-0137-9a1c-%012d', ++$n);
    return { authy_id => 1234567, uuid => $uuid, status => 'approved',
             callback_action => 'approval_request_status',
             approval_request => { transaction => {
                 uuid => $uuid, status => 'approved' } } };
}

sub deliver ($t, $obj, $nonce) {
    my $body = $JSON->encode($obj);
    my $sig = authy_sig($KEY, $nonce, 'POST', "http://$HOST/_push/callback",
                        authy_canonical(authy_flatten($obj)));
    return http_raw($t->port, 'POST', '/_push/callback',
                    [[Host => $HOST], ['Content-Type' => 'application/json'],
                     ['X-Authy-Signature' => $sig],
                     ['X-Authy-Signature-Nonce' => $nonce]], $body)->{status};
}

# ---- replays ----------------------------------------------------------------

{
    my $obj = callback_body();
    my $nonce = int time;
    is(deliver($A, $obj, $nonce), 200, 'accepted on A');
    sleep 0.05;
    is(deliver($B, $obj, $nonce), 401, 'the same callback is a replay on B');
    is(deliver($A, $obj, $nonce), 401, 'and on A');

    my $obj2 = callback_body();
    is(deliver($B, $obj2, $nonce + 1), 200, 'accepted on B');
    sleep 0.05;
    is(deliver($A, $obj2, $nonce + 1), 401, 'a replay on A');

    ok(PushTest::metric($B, 'nginx_push_approval_callbacks_total',
                        zone => 'pa', result => 'replayed') >= 1,
       'counted as replayed');
}

# ---- a cookie-less client remembered on A passes on B ---------------------------

{
    my %u = PushTest::user('authy');
    my $h = $A->send('GET', '/p/index.html', headers => \%u);
    my $a = $sb->wait_approval(identity => $u{'X-User'});
    $sb->decide($a->{id}, 'approved');
    my $r = $A->read($h, 5);
    is($r && $r->{status}, 200, 'approved on A');
    my $pushes = scalar @{ $sb->approvals(identity => $u{'X-User'}) };

    $r = $A->get('/p/index.html', headers => \%u);
    is($r->{status}, 200, 'remembered on A without a cookie');

    $r = $B->get('/p/index.html', timeout => 3, headers => \%u);
    is($r && $r->{status}, 200, 'remembered on B without a cookie');
    like($r ? $r->{body} : '', qr/SECRET CONTENT/, 'with the content');
    is(scalar @{ $sb->approvals(identity => $u{'X-User'}) }, $pushes,
       'no new push');
    $r = $B->get('/p/index.html', headers => \%u);
    is($r->{status}, 200, 'and again on B, from its own zone now');

    # a failed cookie never falls back to the address entry
    my $hb = $B->send('GET', '/p/index.html', headers => {
        %u, Cookie => 'push_approval=123.forged' });
    ok($B->quiet($hb, 0.5), 'a forged cookie on B: held for a new approval');
    my $a2 = $sb->wait_approval(identity => $u{'X-User'},
                                exclude => [$a->{id}]);
    $sb->decide($a2->{id}, 'approved');
    $r = $B->read($hb, 5);
    is($r && $r->{status}, 200, 'approved');

    # another client address: not remembered
    my $hc = $B->send('GET', '/p/index.html', from => '127.0.0.2',
                      headers => \%u);
    ok($B->quiet($hc, 0.5), 'another address on B: held');
    my $a3 = $sb->wait_approval(identity => $u{'X-User'},
                                exclude => [$a->{id}, $a2->{id}]);
    $sb->decide($a3->{id}, 'approved');
    $r = $B->read($hc, 5);
    is($r && $r->{status}, 200, 'approved on its own');
}

# ---- a revocation on B holds on A ----------------------------------------------

{
    my %u = PushTest::user('authy');
    my $id = $u{'X-User'};
    my $seen = [ map { $_->{id} } @{ $sb->approvals(identity => $id) } ];
    my $h = $A->send('GET', '/p/index.html', from => '127.0.0.4',
                     headers => \%u);
    my $a = $sb->wait_approval(identity => $id, exclude => $seen);
    $sb->decide($a->{id}, 'approved');
    my $r = $A->read($h, 5);
    my $c = NginxTest::cookie($r, 'push_approval');
    ok($c, 'a cookie from A');
    is($B->get('/p/index.html', headers => { %u, Cookie => $c })->{status},
       200, 'accepted on B');

    # a request held on A for a new push (another address)
    push @$seen, $a->{id};
    my $hp = $A->send('GET', '/p/index.html', from => '127.0.0.3',
                      headers => \%u);
    my $p = $sb->wait_approval(identity => $id, exclude => $seen);
    ok($A->quiet($hp, 0.3), 'held on A');

    $r = $B->request('POST', '/revoke', body => "identity=$id",
                     headers => { 'Content-Type' =>
                                  'application/x-www-form-urlencoded' });
    is($r->{status}, 200, 'revoked on B');

    my $rp = $A->read($hp, 3);
    is($rp && $rp->{status}, 403, 'the request held on A: 403');

    my $hc = $A->send('GET', '/p/index.html',
                      headers => { %u, Cookie => $c });
    ok($A->quiet($hc, 0.5), "A refuses the cookie: a new approval");
    my $n = eval {
        $sb->wait_approval(identity => $id, exclude => [@$seen, $p->{id}])
    };
    ok($n, 'a new push');
    $sb->decide($n->{id}, 'approved') if $n;
    $r = $A->read($hc, 5);
    is($r && $r->{status}, 200, 'approved anew');
}

$B->stop;
ok(!$B->problems, 'no alerts on B');
$A->done_testing;
