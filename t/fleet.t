#!/usr/bin/perl
# A fleet on one store (SPEC 14, item 2): three nginx hosts, A, B and C,
# each with its own zone, on one redis-server.  The provider calls back
# host B only, and no host polls (push_approval_poll 0): requests held on A
# and C are released by the decision B publishes, within milliseconds.
# Without the store nothing would release them (poll 0, callback elsewhere).
# Also: a denial published the same way; a reload of A while a request is
# held there; the store gone: the held request then waits (no poll) and
# the timeout ends it, nothing else breaks.
use v5.36;
use Test::More;
use Time::HiRes qw(time sleep);
use List::Util qw(max);
use lib 't/lib';
use NginxTest;
use PushTest;
use Redis;

plan skip_all => 'no redis-server' unless Redis::available();

my $redis = Redis->start;
my $PORT = $redis->port;

my %o = (
    protected => 'push_approval_poll 0; push_approval_mode hold; '
                 . 'push_approval_timeout 8s;',
    http => "push_approval_store zone=pa redis://127.0.0.1:$PORT;",
);

my ($A, $sb) = PushTest::setup(%o);

my @hosts = ($A);
for (1 .. 2) {
    my $t = NginxTest->new(workers => 2);
    PushTest::prepare($t, $sb);
    $t->write_file('secret', $A->read_file('secret'));
    $t->start(PushTest::config(%o, sb => $sb));
    push @hosts, $t;
}
my (undef, $B, $C) = @hosts;

$sb->config(verify_callback_url => $B->url('/_push/callback'));

sub wait_up ($t) {
    my $deadline = time + 5;
    my $seen = 0;
    while (time < $deadline) {
        my $v = PushTest::metric($t, 'nginx_push_approval_store_up',
                                 zone => 'pa') // 0;
        return 1 if $v == 1 && ++$seen >= 6;
        sleep 0.02;
    }
    return 0;
}

ok(wait_up($hosts[$_]), 'host ' . qw(A B C)[$_] . ' has its store up')
    for 0 .. 2;

my $n = 0;
sub user () {
    my $id = sprintf 'fleet-%04d', ++$n;
    $sb->add_entity($id);
    return $id;
}

# a request held on a host, with its push
sub hold ($t, $id) {
    my @seen = map { $_->{id} } @{ $sb->approvals(identity => $id) };
    my $h = $t->send('GET', '/p/index.html', headers => { 'X-User' => $id });
    my $a = $sb->wait_approval(identity => $id, exclude => \@seen);
    return ($h, $a);
}

# ---- a callback to B releases what A and C hold -------------------------------

{
    my $id1 = user();
    my $id2 = user();
    my ($ha, $aa) = hold($A, $id1);
    my ($hc, $ac) = hold($C, $id2);
    ok($A->quiet($ha, 0.3), 'held on A');
    ok($C->quiet($hc, 0.1), 'held on C');

    my $t0 = time;
    is($sb->decide($aa->{id}, 'approved'), 200, "A's push approved");
    my $ra = $A->read($ha, 3);
    my $la = time - $t0;
    is($ra && $ra->{status}, 200, 'the callback to B releases A');
    ok(NginxTest::cookie($ra, 'push_approval'), 'with its cookie');

    $t0 = time;
    $sb->decide($ac->{id}, 'denied');
    my $rc = $C->read($hc, 3);
    my $lc = time - $t0;
    is($rc && $rc->{status}, 403, 'a denial through B reaches C');

    cmp_ok(max($la, $lc), '<', 0.5,
           sprintf('released within milliseconds (%.0f, %.0f ms, with the '
                   . 'callback round trip)', 1000 * $la, 1000 * $lc));

    like($B->error_log, qr/callback/, 'B got the callbacks')
        or diag $B->error_log;
}

# ---- many requests on every host ---------------------------------------------

{
    my (@h, @a);
    for my $t (@hosts) {
        my $id = user();
        my ($h, $a) = hold($t, $id);
        push @h, [$t, $h];
        push @a, $a;
    }
    my $t0 = time;
    $sb->decide($_->{id}, 'approved') for @a;
    my @r = map { $_->[0]->read($_->[1], 3) } @h;
    is(scalar(grep { $_ && $_->{status} == 200 } @r), 3,
       'held on A, B and C: all released with poll 0 everywhere');
    cmp_ok(time - $t0, '<', 1.5, 'at once');
}

# ---- a reload of A while a request is held there ---------------------------

{
    my $id = user();
    my ($h, $a) = hold($A, $id);
    ok($A->quiet($h, 0.2), 'held on A');
    $A->reload;
    ok(wait_up($A), 'the new workers have their own connections');
    $sb->decide($a->{id}, 'approved');
    my $r = $A->read($h, 3);
    is($r && $r->{status}, 200,
       'the old worker still hears the decision and releases it');
}

# ---- the store gone: nothing else breaks --------------------------------------

{
    my $id = user();
    my ($h, $a) = hold($A, $id);
    $redis->stop;
    sleep 0.3;
    $sb->decide($a->{id}, 'approved');
    ok($A->quiet($h, 1), 'no store, no poll: the decision cannot reach A');
    $redis->start_again;
    ok(wait_up($A) && wait_up($B), 'store back on A and B');

    my $id2 = user();
    my ($h2, $a2) = hold($C, $id2);
    $sb->decide($a2->{id}, 'approved');
    my $r2 = $C->read($h2, 3);
    is($r2 && $r2->{status}, 200, 'and decisions flow again');

    my $r = $A->read($h, 10);
    is($r && $r->{status}, 403, 'the request that missed it times out');
}

$_->stop for $B, $C;
ok(!$B->problems && !$C->problems, 'no alerts on B and C');
$A->done_testing;
