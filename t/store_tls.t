#!/usr/bin/perl
# rediss:// (SPEC 14): the store's certificate is verified against
# trusted_certificate with its host name checked.  A redis-server with a
# certificate for "localhost" signed by a CA of the test's own: trusted
# with that CA and the right name (store_up 1, decisions flow); refused
# with the right CA but another name (127.0.0.1), and with the system CAs.
use v5.36;
use Test::More;
use Time::HiRes qw(time sleep);
use File::Temp qw(tempdir);
use lib 't/lib';
use NginxTest;
use PushTest;
use Redis;

plan skip_all => 'no redis-server' unless Redis::available();
plan skip_all => 'no openssl' unless -x '/usr/bin/openssl';

my $d = tempdir('store-tls-XXXXXX', TMPDIR => 1, CLEANUP => 1);

sub openssl (@args) {
    system('sh', '-c', 'exec openssl "$@" >/dev/null 2>&1', 'openssl', @args)
        == 0 or die "openssl @args failed";
}

open my $ext, '>', "$d/ext.cnf" or die;
print $ext "subjectAltName=DNS:localhost\n";
close $ext;

{
    openssl(qw(req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca),
            '-keyout', "$d/ca.key", '-out', "$d/ca.pem");
    openssl(qw(req -newkey rsa:2048 -nodes -subj /CN=localhost),
            '-keyout', "$d/server.key", '-out', "$d/server.csr");
    openssl(qw(x509 -req -days 2 -CAcreateserial), '-in', "$d/server.csr",
            '-CA', "$d/ca.pem", '-CAkey', "$d/ca.key",
            '-extfile', "$d/ext.cnf", '-out', "$d/server.pem");
}

my $redis = Redis->start(tls => { cert => "$d/server.pem",
                                  key => "$d/server.key",
                                  ca => "$d/ca.pem" });
my $P = $redis->port;

my %o = (
    protected => 'push_approval_poll 0; push_approval_mode hold;',
    http => "push_approval_store zone=pa rediss://localhost:$P "
            . "trusted_certificate=$d/ca.pem;",
);

my ($A, $sb) = PushTest::setup(%o);

sub store_up ($t, $want) {
    my $deadline = time + 4;
    my $seen = 0;
    while (time < $deadline) {
        my $v = PushTest::metric($t, 'nginx_push_approval_store_up',
                                 zone => 'pa') // -1;
        if ($v == $want) {
            return 1 if ++$seen >= 6;
        } else {
            $seen = 0;
        }
        sleep 0.05;
    }
    return 0;
}

ok(store_up($A, 1), 'our CA, the right name: store_up 1');

# a decision published over TLS releases a request held on A
{
    my $B = NginxTest->new(workers => 1);
    PushTest::prepare($B, $sb);
    $B->start(PushTest::config(%o, sb => $sb));
    ok(store_up($B, 1), 'a second host over TLS');
    $sb->config(verify_callback_url => $B->url('/_push/callback'));

    my $id = 'tls-00001';
    $sb->add_entity($id);
    my $h = $A->send('GET', '/p/index.html', headers => { 'X-User' => $id });
    my $a = $sb->wait_approval(identity => $id);
    $sb->decide($a->{id}, 'approved');
    my $r = $A->read($h, 3);
    is($r && $r->{status}, 200, 'a callback on B releases A over TLS');
    $B->stop;
    ok(!$B->problems, 'no alerts on B');
}

# the right CA, a name the certificate does not carry
$A->reload(PushTest::config(%o, sb => $sb,
    http => "push_approval_store zone=pa rediss://127.0.0.1:$P "
            . "trusted_certificate=$d/ca.pem;"));
ok(store_up($A, 0), 'another host name: refused, store_up 0');
ok($A->wait_log(qr/push_approval store "rediss:\/\/127\.0\.0\.1:$P": certificate does not match "127\.0\.0\.1"/, 3),
   'logged: the certificate does not match');

# the system CAs do not know ours
$A->reload(PushTest::config(%o, sb => $sb,
    http => "push_approval_store zone=pa rediss://localhost:$P;"));
ok(store_up($A, 0), 'an unknown CA: refused, store_up 0');
ok($A->wait_log(qr/push_approval store "rediss:\/\/localhost:$P": certificate verify error/, 3),
   'logged: the verify error');

# back to a good one
$A->reload(PushTest::config(%o, sb => $sb));
ok(store_up($A, 1), 'trusted again: store_up 1');

$A->done_testing;
