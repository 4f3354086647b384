#!/usr/bin/perl
# Several hosts behind a load balancer (SPEC 5, 6, 11): two nginx instances,
# A and B, with the same configuration, the same provider (one sandbox) and
# the same secret file, each with its own zone.
#
# - a cookie issued by A is accepted by B, with no new push;
# - a cookie-less client remembered on A (zone entry bound to its address)
#   is not remembered on B, whose zone is its own; a cookie is;
# - a waiting page started on A completes on B (B asks the provider);
# - key rotation: B signs with a new first line and keeps A's secret as
#   line 2: A's cookies still pass on B; B's pass on A only once A has B's
#   secret too; after the rotation the old secret's cookies are refused;
# - expiry is absolute: a cookie is accepted by any host until the expiry
#   it carries and by none after it.  That is also the clock skew
#   tolerance: a host whose clock is S seconds ahead ends remembered
#   approvals and waiting pages S seconds early, one behind S seconds late
#   (docs/deployment.md: keep the hosts on NTP).
use v5.36;
use Test::More;
use Time::HiRes qw(time sleep);
use lib 't/lib';
use NginxTest;
use PushTest;

my $module = $ENV{TEST_NGINX_MODULE}
    || "$NginxTest::ROOT/build/ngx_http_push_approval_module.so";
plan skip_all => "no module at $module" unless -f $module;

my $SA = NginxTest::secret_line();
my $SB = NginxTest::secret_line();

my %o = (
    protected => 'push_approval_poll 1s;',
    server => <<'EOF',
    location /short/ {
        push_approval zone=pa;
        push_approval_remember 3s;
        push_approval_poll 1s;
        alias %%PREFIX%%/html/p/;
    }
EOF
);

my ($A, $sb) = PushTest::setup(%o);
$A->write_file('secret', "$SA\n");

my $B = NginxTest->new(workers => 2);
$B->write_file('secret', "$SA\n");
$B->write_file('verify.cred', $sb->account_sid . ':' . $sb->auth_token . "\n");
$B->write_file('html/p/index.html', "SECRET CONTENT\n");
$B->start(PushTest::config(%o, sb => $sb));

reload_all($A);

# the provider calls back host A only (as a balancer may send it anywhere):
# B learns decisions by asking the provider
$sb->config(verify_callback_url => $A->url('/_push/callback'));

my $n = 0;
sub user () {
    my $id = sprintf 'host-%04d', ++$n;
    $sb->add_entity($id);
    return $id;
}

# NginxTest::reload returns once the new workers run; an old worker may
# still accept a connection for a moment (with the old secrets): wait until
# every old worker has begun its graceful shutdown
sub reload_all ($t) {
    my @old = $t->worker_pids;
    $t->reload;
    my $deadline = time + 10;
    while (time < $deadline) {
        my %now = map { $_ => 1 } $t->worker_pids;
        last unless grep { $now{$_} } @old;
        sleep 0.02;
    }
    sleep 0.05;
}

sub pushes ($id) { return scalar @{ $sb->approvals(identity => $id) } }

# a held request approved on the phone: the response, with its cookie
sub approve_on ($t, $id, $path = '/p/index.html') {
    my @seen = map { $_->{id} } @{ $sb->approvals(identity => $id) };
    my $h = $t->send('GET', $path, headers => { 'X-User' => $id });
    my $a = $sb->wait_approval(identity => $id, exclude => \@seen);
    $sb->decide($a->{id}, 'approved');
    return $t->read($h, 10);
}

# a request that must start a new approval: held, and a new push appears;
# it is then approved so that nothing stays held
sub needs_approval ($t, $id, $cookie, $name, $path = '/p/index.html') {
    my $before = pushes($id);
    my $h = $t->send('GET', $path, headers => {
        'X-User' => $id, defined $cookie ? (Cookie => $cookie) : () });
    ok($t->quiet($h, 0.5), "$name: held");
    my @seen = map { $_->{id} } @{ $sb->approvals(identity => $id) };
    my $a = eval { $sb->wait_approval(identity => $id, timeout => 5) };
    ok($a, "$name: a new push");
    $sb->decide($a->{id}, 'approved') if $a;
    my $r = $t->read($h, 10);
    is($r && $r->{status}, 200, "$name: 200 once approved");
    is(pushes($id), $before + 1, "$name: exactly one new push");
    return $r;
}

sub passes ($t, $id, $cookie, $name, $path = '/p/index.html') {
    my $before = pushes($id);
    my $r = $t->get($path, timeout => 3, headers => {
        'X-User' => $id, defined $cookie ? (Cookie => $cookie) : () });
    is($r && $r->{status}, 200, "$name: 200 at once");
    like($r ? $r->{body} : '', qr/SECRET CONTENT/, "$name: the content");
    is(pushes($id), $before, "$name: no new push");
    return $r;
}

# ---- a cookie from A is accepted by B --------------------------------------

my ($id1, $cookieA);
{
    $id1 = user();
    my $r = approve_on($A, $id1);
    is($r && $r->{status}, 200, 'approved on A');
    $cookieA = NginxTest::cookie($r, 'push_approval');
    ok($cookieA, 'A issues the remember cookie');

    passes($B, $id1, $cookieA, "A's cookie on B");
    passes($A, $id1, $cookieA, "A's cookie on A");

    my $other = user();
    needs_approval($B, $other, $cookieA,
                   "A's cookie for another identity on B");
}

# ---- the address entry is per host, the cookie is not -----------------------

{
    my $id = user();
    my $r = approve_on($A, $id);
    my $c = NginxTest::cookie($r, 'push_approval');

    passes($A, $id, undef, 'cookie-less client remembered on A');
    needs_approval($B, $id, undef, 'the same cookie-less client on B');
    passes($B, $id, $c, 'with the cookie A issued, on B');
}

# ---- a waiting page started on A completes on B -----------------------------

{
    my $id = user();
    my $html = { 'X-User' => $id, Accept => 'text/html' };
    my $r = $A->get('/p/index.html', headers => $html);
    is($r->{status}, 302, 'A redirects the browser to the waiting page');
    (my $loc = $r->{headers}{location} // '') =~ s{^https?://[^/]+}{};
    my ($wait) = grep { /_wait_[0-9a-f]{8}=/ } @{ $r->{cookies} };
    $wait =~ s/;.*// if defined $wait;
    ok($wait, 'with the wait cookie');

    # the balancer sends the next requests to B
    my $p = $B->get($loc, headers => { Cookie => $wait // '' });
    is($p->{status}, 200, 'B renders the page');
    like($p->{body}, qr{Approve access to gate\.test/p/index\.html},
         'with the message the token carries');

    my $a = $sb->wait_approval(identity => $id);
    $sb->decide($a->{id}, 'approved');      # the callback goes to A only
    my $j = $B->get("$loc&format=json", timeout => 30,
                    headers => { Cookie => $wait // '' });
    like($j ? $j->{body} : '', qr/"status"\s*:\s*"approved"/,
         'B finds the decision at the provider');
    my $c = NginxTest::cookie($j, 'push_approval');
    ok($c, 'B issues the remember cookie');
    is(pushes($id), 1, 'one push for the whole flow');

    passes($B, $id, $c, "B's cookie on B");
    passes($A, $id, $c, "B's cookie on A (same secret)");
}

# ---- key rotation ----------------------------------------------------------

{
    # step 1 of a rotation done on B only: a new secret signs, A's verifies
    $B->write_file('secret', "$SB\n$SA\n");
    reload_all($B);

    passes($B, $id1, $cookieA, "A's cookie on B after B's rotation");

    my $id = user();
    my $r = approve_on($B, $id);
    my $cookieB = NginxTest::cookie($r, 'push_approval');
    ok($cookieB, 'B issues a cookie signed with the new secret');

    needs_approval($A, $id, $cookieB,
                   "B's new cookie on A, which lacks B's secret");

    # A learns the new secret on line 2
    $A->write_file('secret', "$SA\n$SB\n");
    reload_all($A);
    passes($A, $id, $cookieB, "B's cookie on A once A has B's secret");
    passes($A, $id1, $cookieA, "A's own cookie on A still");

    # the end of the rotation: the old secret is dropped everywhere
    $A->write_file('secret', "$SB\n");
    reload_all($A);
    $B->write_file('secret', "$SB\n");
    reload_all($B);
    passes($A, $id, $cookieB, 'a new-secret cookie after the rotation (A)');
    passes($B, $id, $cookieB, 'a new-secret cookie after the rotation (B)');
    needs_approval($B, $id1, $cookieA,
                   'an old-secret cookie after the old line is dropped');
}

# ---- expiry is absolute: the same on every host ----------------------------

{
    my $id = user();
    my $t0 = time;
    my $r = approve_on($A, $id, '/short/index.html');
    my $c = NginxTest::cookie($r, 'push_approval');
    my ($set) = grep { /^push_approval=/ } @{ $r->{cookies} };
    like($set // '', qr/; Max-Age=3\b/, 'Max-Age = remember (3 s)');

    passes($B, $id, $c, 'a 3 s cookie on B at once', '/short/index.html');

    sleep 0.1 while time < $t0 + 4.2;
    needs_approval($B, $id, $c, 'the cookie on B after its expiry',
                   '/short/index.html');
    my $before = pushes($id);
    my $h = $A->send('GET', '/short/index.html',
                     headers => { 'X-User' => $id, Cookie => $c });
    ok($A->quiet($h, 0.5), 'and on A: held for a new approval too');
    my $a = eval { $sb->wait_approval(identity => $id) };
    $sb->decide($a->{id}, 'approved') if $a;
    $r = $A->read($h, 10);
    is($r && $r->{status}, 200, 'approved again');
}

$B->stop;
ok(!$B->problems, 'host B: no alerts or emergencies')
    or diag(join "\n", $B->problems);
$A->done_testing;
