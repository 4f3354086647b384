#!/usr/bin/perl
# The fleet store's faults (SPEC 14), with a real redis-server of the
# test's own: nginx starts with the store down (store_up 0, requests carry
# on with the zone under fail=local, 503 under fail=closed, a valid cookie
# passes always); the store comes up (store_up 1 within about 1 s); killed
# while a request is held (it finishes through local polling); back
# (reconnect within 1 s); CLIENT PAUSE beyond the timeout (down, then up
# again); FLUSHALL mid-flight; a wrong password (refused, never logged).
use v5.36;
use Test::More;
use Time::HiRes qw(time sleep);
use lib 't/lib';
use NginxTest;
use PushTest;
use Redis;

plan skip_all => 'no redis-server' unless Redis::available();

my $PORT = NginxTest::free_port();
my $PW = 'store-pw-' . NginxTest::secret_line();

my %o = (
    protected => 'push_approval_poll 500ms; push_approval_mode hold;',
    http => "push_approval_store zone=pa redis://127.0.0.1:$PORT "
            . 'timeout=300ms;',
);

my ($t, $sb) = PushTest::setup(%o);

# a second host whose store says fail=closed
my $tc = NginxTest->new(workers => 1);
PushTest::prepare($tc, $sb);
$tc->start(PushTest::config(%o, sb => $sb,
    http => "push_approval_store zone=pa redis://127.0.0.1:$PORT "
            . 'timeout=300ms fail=closed;'));

my $n = 0;
sub user () {
    my $id = sprintf 'store-%04d', ++$n;
    $sb->add_entity($id);
    return $id;
}

sub up ($host) {
    return PushTest::metric($host, 'nginx_push_approval_store_up',
                            zone => 'pa');
}

# every worker's view: /metrics answers from whichever worker accepts
sub wait_up ($want, $timeout = 5, $host = $t) {
    my $start = time;
    my $seen = 0;
    while (time - $start < $timeout) {
        if ((up($host) // -1) == $want) {
            return time - $start if ++$seen >= 6;
        } else {
            $seen = 0;
        }
        sleep 0.02;
    }
    return undef;
}

sub approve ($host, $id) {
    my $h = $host->send('GET', '/p/index.html',
                        headers => { 'X-User' => $id });
    my $a = $sb->wait_approval(identity => $id);
    $sb->decide($a->{id}, 'approved', callback => 0);
    return $host->read($h, 10);
}

# ---- down at start ---------------------------------------------------------

ok(defined wait_up(0, 3), 'store down at start: store_up 0');
{
    my $id = user();
    my $r = approve($t, $id);
    is($r && $r->{status}, 200, 'fail=local: the zone alone approves');

    $r = $tc->get('/p/index.html', headers => { 'X-User' => $id });
    is($r->{status}, 503, 'fail=closed: a new approval gets 503');
    is(scalar @{ $sb->approvals(identity => $id) }, 1, 'and no push');
}
ok(PushTest::metric($t, 'nginx_push_approval_store_errors_total',
                    zone => 'pa') > 0, 'store_errors_total counts');
like($t->error_log, qr/\[warn\].*push_approval store "redis:\/\/127\.0\.0\.1:$PORT" for zone "pa": [^,]+, carrying on with the local zone/,
     'the fault is logged at warn');

# ---- the store comes up ----------------------------------------------------

my $redis = Redis->start(port => $PORT);
my $took = wait_up(1, 5);
ok(defined $took, 'store up: store_up 1');
cmp_ok($took // 99, '<', 1.5, 'within about 1 s of it answering');
ok(defined wait_up(1, 5, $tc), 'the fail=closed host is up too');

my $cookie_pc;
{
    my $id = user();
    my $r = approve($tc, $id);
    is($r && $r->{status}, 200, 'fail=closed with the store up: approved');
    $cookie_pc = [$id, NginxTest::cookie($r, 'push_approval')];
}

# ---- killed while a request is held -----------------------------------------

{
    my $id = user();
    my $h = $t->send('GET', '/p/index.html', headers => { 'X-User' => $id });
    my $a = $sb->wait_approval(identity => $id);
    ok($t->quiet($h, 0.3), 'held');
    $redis->stop;
    ok(defined wait_up(0, 3), 'store killed: store_up 0');
    $sb->decide($a->{id}, 'approved', callback => 0);
    my $r = $t->read($h, 5);
    is($r && $r->{status}, 200,
       'the held request finishes through local polling');

    ok(defined wait_up(0, 3, $tc), 'on the fail=closed host too');
    my $r2 = $tc->get('/p/index.html', headers => { 'X-User' => $id });
    is($r2->{status}, 503, 'fail=closed meanwhile: 503');

    my ($cid, $c) = @$cookie_pc;
    my $r3 = $tc->get('/p/index.html',
                     headers => { 'X-User' => $cid, Cookie => $c });
    is($r3->{status}, 200, 'fail=closed: a valid cookie passes');
}

# ---- back --------------------------------------------------------------------

$redis->start_again;
$took = wait_up(1, 5);
ok(defined $took, 'store back: store_up 1');
cmp_ok($took // 99, '<', 1.5, 'reconnected within about 1 s');

# ---- paused beyond the timeout ---------------------------------------------

{
    $redis->command('CLIENT', 'PAUSE', 2500);
    ok(defined wait_up(0, 2.4), 'CLIENT PAUSE beyond the timeout: down');
    my $id = user();
    my $r = approve($t, $id);
    is($r && $r->{status}, 200, 'requests carry on meanwhile');
    ok(defined wait_up(1, 5), 'up again once the pause ends');
}

# ---- a client that goes away while its request waits on the store -----------

{
    my $id = user();
    $redis->command('CLIENT', 'PAUSE', 200);
    my $h = $t->send('GET', '/p/index.html', headers => { 'X-User' => $id });
    sleep 0.05;
    $t->abort($h);
    sleep 0.4;
    ok(defined wait_up(1, 3), 'the answer for a request gone finds nobody');
    is(scalar @{ $sb->approvals(identity => $id) }, 0,
       'and no push is made for it');
    my $t0 = time;
    my $r = approve($t, $id);
    is($r && $r->{status}, 200,
       'the claim it won is dropped: the next request makes the push');
    cmp_ok(time - $t0, '<', 3, 'at once');
}

# ---- a claim the store does not answer in time, fail=closed: 503 ------------

{
    ok(defined wait_up(1, 3, $tc), 'the fail=closed host is up');
    my $id = user();
    $redis->command('CLIENT', 'PAUSE', 1000);
    my $t0 = time;
    my $r = $tc->get('/p/index.html', timeout => 3,
                     headers => { 'X-User' => $id });
    my $took = time - $t0;
    is($r && $r->{status}, 503, 'fail=closed: 503 when the claim times out');
    cmp_ok($took, '<', 0.9, 'after about the store timeout (300 ms)');
    is(scalar @{ $sb->approvals(identity => $id) }, 0, 'no push');
    ok(defined wait_up(1, 5, $tc), 'up again after the pause');
}

# ---- the store forgot its scripts: EVAL after NOSCRIPT -------------------------

{
    is($redis->command('SCRIPT', 'FLUSH'), 'OK', 'SCRIPT FLUSH');
    my $before = $redis->commandstats;
    my $id = user();
    my $r = approve($t, $id);
    is($r && $r->{status}, 200, 'the approval goes through');
    my $after = $redis->commandstats;
    is(($after->{eval} // 0) - ($before->{eval} // 0), 1,
       'the script sent whole once after NOSCRIPT');
    ok(($after->{evalsha} // 0) > ($before->{evalsha} // 0),
       'EVALSHA first');
}

# ---- FLUSHALL mid-flight -------------------------------------------------------

{
    my $id = user();
    my $h = $t->send('GET', '/p/index.html', headers => { 'X-User' => $id });
    my $a = $sb->wait_approval(identity => $id);
    is($redis->command('FLUSHALL'), 'OK', 'FLUSHALL');
    $sb->decide($a->{id}, 'approved');
    my $r = $t->read($h, 5);
    is($r && $r->{status}, 200, 'the held request is not lost');
}

# ---- wrong password --------------------------------------------------------

{
    $redis->stop;
    my $r2 = Redis->start(port => $PORT, password => $PW);
    $t->write_file('store.pw', "wrong-$PW\n");
    my %p = (%o, http => "push_approval_store zone=pa redis://127.0.0.1:$PORT"
                         . ' password_file=%%PREFIX%%/store.pw;');
    $t->reload(PushTest::config(%p, sb => $sb));
    ok(defined wait_up(0, 3), 'wrong password: store_up 0');
    ok($t->wait_log(qr/push_approval store .* refused us: WRONGPASS/, 3),
       'the refusal is logged with the store\'s words');

    $t->write_file('store.pw', "$PW\n");
    $t->reload(PushTest::config(%p, sb => $sb));
    ok(defined wait_up(1, 3), 'the right password: store_up 1');

    $t->write_file('store.pw', "default:$PW\n");
    $t->reload(PushTest::config(%p, sb => $sb));
    ok(defined wait_up(1, 3), 'ACL user and password: store_up 1');

    # the ACL user docs/deployment.md gives: what the module does is allowed
    my $ACLPW = 'acl-' . NginxTest::secret_line();
    is($r2->command('ACL', 'SETUSER', 'nginx-gate', 'on', ">$ACLPW",
                    'resetkeys', '~push_approval:*', 'resetchannels',
                    '&push_approval:*', '-@all',
                    map { "+$_" } qw(ping select subscribe publish get set
                    del exists ttl time zadd zcard zrange zremrangebyscore
                    pexpire eval evalsha)), 'OK', 'ACL user nginx-gate');
    $t->write_file('store.pw', "nginx-gate:$ACLPW\n");
    $t->reload(PushTest::config(%p, sb => $sb));
    ok(defined wait_up(1, 3), 'the ACL user: store_up 1');
    my $errors = PushTest::metric($t, 'nginx_push_approval_store_errors_total',
                                  zone => 'pa');
    my $id = user();
    my $r = approve($t, $id);
    is($r && $r->{status}, 200, 'an approval through the ACL user');
    $r = $t->get('/p/index.html', headers => { 'X-User' => $id });
    is($r->{status}, 200, 'remembered');
    is(PushTest::metric($t, 'nginx_push_approval_store_errors_total',
                        zone => 'pa'), $errors, 'no store error');
    unlike($t->error_log, qr/NOPERM/, 'nothing refused by the ACL');
    ok(scalar(grep { $_ > 0 } values %{ $r2->commandstats }) > 5,
       'the store was used');

    unlike($t->error_log, qr/\Q$PW\E|\Q$ACLPW\E/,
           'the passwords never in the log');
    $redis = $r2;
}

# ---- unix:/PATH ----------------------------------------------------------------

{
    $t->reload(PushTest::config(%o, sb => $sb,
        http => 'push_approval_store zone=pa unix:' . $redis->socket
                . ' password_file=%%PREFIX%%/store.pw;'));
    ok(defined wait_up(1, 3), 'unix:/PATH: store_up 1');
    my $id = user();
    my $r = approve($t, $id);
    is($r && $r->{status}, 200, 'an approval over the unix socket');
}

$tc->stop;
ok(!$tc->problems, 'no alerts on the fail=closed host');
$t->done_testing;
