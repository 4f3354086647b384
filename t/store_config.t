#!/usr/bin/perl
# push_approval_store at load (SPEC 14): "nginx -t" fails, naming the
# directive, on a bad URL, an unknown zone, two stores for one zone, an
# unreadable password or CA file, a bad timeout or fail value, an unknown
# parameter; correct ones pass (no store needs to run for that), and the
# password never reaches the output.
use v5.36;
use Test::More;
use lib 't/lib';
use NginxTest;
use PushTest;
use Sandbox;

my $t = NginxTest->new(workers => 1);
my $sb = Sandbox->start(seed => 1);
PushTest::prepare($t, $sb);

my $PW = 'store-pw-' . NginxTest::secret_line();
$t->write_file('store.pw', "$PW\n");
$t->write_file('store-acl.pw', "\r\nnginx:$PW\r\n");
$t->write_file('empty.pw', "\n");
$t->write_file('bad-ca.pem', "not a certificate\n");

sub check ($store, $name) {
    my ($rc, $out) = $t->test_config(PushTest::config(sb => $sb,
                                                      http => $store));
    unlike($out, qr/\Q$PW\E/, "$name: no password in the output");
    return ($rc, $out);
}

sub ok_conf ($store, $name) {
    my ($rc, $out) = check($store, $name);
    is($rc, 0, "$name: nginx -t passes") or diag $out;
}

sub bad_conf ($store, $re, $name) {
    my ($rc, $out) = check($store, $name);
    isnt($rc, 0, "$name: nginx -t fails");
    like($out, qr/push_approval_store/, "$name: names the directive");
    like($out, $re, "$name: says why") or diag $out;
}

ok_conf('push_approval_store zone=pa redis://127.0.0.1:6390;', 'plain');
ok_conf('push_approval_store zone=pa redis://127.0.0.1/3;', 'default port, db');
ok_conf('push_approval_store zone=pa redis://localhost:6390/2 '
        . 'password_file=%%PREFIX%%/store.pw prefix=app1: timeout=250ms '
        . 'fail=closed;', 'every parameter');
ok_conf('push_approval_store zone=pa redis://127.0.0.1 '
        . 'password_file=%%PREFIX%%/store-acl.pw fail=local;', 'ACL user');
ok_conf('push_approval_store zone=pa unix:%%PREFIX%%/redis.sock;', 'unix');
ok_conf('push_approval_store zone=pa unix:%%PREFIX%%/redis.sock:4;',
        'unix with db');
ok_conf('push_approval_store zone=pa rediss://localhost:6390;',
        'TLS with the system CA file');

bad_conf('push_approval_store zone=nope redis://127.0.0.1;',
         qr/unknown zone "nope"/, 'unknown zone');
bad_conf("push_approval_store zone=pa redis://127.0.0.1;\n"
         . 'push_approval_store zone=pa redis://127.0.0.1:6391;',
         qr/zone "pa" already has a store/, 'two stores for one zone');
bad_conf('push_approval_store redis://127.0.0.1 fail=local;',
         qr/needs "zone=NAME"/, 'no zone');
bad_conf('push_approval_store zone=pa http://127.0.0.1;',
         qr/invalid URL/, 'wrong scheme');
bad_conf('push_approval_store zone=pa redis://;', qr/invalid URL/,
         'no host');
bad_conf('push_approval_store zone=pa redis://127.0.0.1/x;',
         qr/invalid URL/, 'bad db');
bad_conf('push_approval_store zone=pa redis://127.0.0.1:99999;',
         qr/invalid port/, 'bad port');
bad_conf('push_approval_store zone=pa redis://127.0.0.1 '
         . 'password_file=%%PREFIX%%/missing.pw;',
         qr/cannot open password_file/, 'unreadable password file');
bad_conf('push_approval_store zone=pa redis://127.0.0.1 '
         . 'password_file=%%PREFIX%%/empty.pw;',
         qr/password_file .* is empty/, 'empty password file');
bad_conf('push_approval_store zone=pa redis://127.0.0.1 timeout=soon;',
         qr/invalid timeout "soon"/, 'bad timeout');
bad_conf('push_approval_store zone=pa redis://127.0.0.1 timeout=0;',
         qr/invalid timeout/, 'zero timeout');
bad_conf('push_approval_store zone=pa redis://127.0.0.1 fail=open;',
         qr/invalid parameter "fail=open"/, 'bad fail value');
bad_conf('push_approval_store zone=pa redis://127.0.0.1 pool=3;',
         qr/invalid parameter "pool=3"/, 'unknown parameter');
bad_conf('push_approval_store zone=pa rediss://localhost '
         . 'trusted_certificate=%%PREFIX%%/missing.pem;',
         qr/trusted_certificate/, 'unreadable CA file');
bad_conf('push_approval_store zone=pa rediss://localhost '
         . 'trusted_certificate=%%PREFIX%%/bad-ca.pem;',
         qr/trusted_certificate/, 'CA file without a certificate');
bad_conf('push_approval_store zone=pa redis://localhost '
         . 'trusted_certificate=%%PREFIX%%/bad-ca.pem;',
         qr/needs a rediss:/, 'CA file without TLS');

# in a server block: http level only
{
    my ($rc, $out) = $t->test_config(PushTest::config(sb => $sb,
        server => 'push_approval_store zone=pa redis://127.0.0.1;'));
    isnt($rc, 0, 'not allowed in server');
    like($out, qr/"push_approval_store" directive is not allowed here/,
         'says where it is not allowed');
}

done_testing;
