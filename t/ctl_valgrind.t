#!/usr/bin/perl
# push-approval-ctl under valgrind: every command, success and error paths,
# must run without memory errors or leaks. Skipped without valgrind.
use v5.36;
use Test::More;
use Digest::SHA qw(sha256_hex);
use File::Temp qw(tempdir);
use IO::Socket::IP;
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep time);
use lib 't/lib';
use Sandbox;

my $VALGRIND = (grep { -x "$_/valgrind" } split /:/, $ENV{PATH})[0];
plan skip_all => 'valgrind not installed' unless $VALGRIND;

my $ROOT = Sandbox::root();
my $CTL  = "$ROOT/tools/ctl/push-approval-ctl";

if (!-x $CTL) {
    system('make', '-s', '-C', "$ROOT/tools/ctl") == 0
        or BAIL_OUT('cannot build tools/ctl');
}

delete @ENV{qw(AUTHY_API_KEY TWILIO_ACCOUNT_SID TWILIO_AUTH_TOKEN
               VERIFY_SERVICE_SID)};

my @VG = ("$VALGRIND/valgrind", '-q', '--leak-check=full',
          '--errors-for-leak-kinds=definite,possible', '--error-exitcode=99');
my $TMP = tempdir('ctlvg-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $n = 0;

sub put ($content) {
    my $f = "$TMP/f" . ++$n;
    open(my $fh, '>', $f) or die "$f: $!";
    print $fh $content;
    close $fh;
    return $f;
}

sub slurp ($f) {
    open(my $fh, '<', $f) or return '';
    local $/;
    return scalar(<$fh>) // '';
}

sub spawn ($args, %env) {
    my ($out, $err) = ("$TMP/out" . ++$n, "$TMP/err$n");
    my $pid = fork() // die "fork: $!";
    if (!$pid) {
        $ENV{$_} = $env{$_} for keys %env;
        open(STDIN, '<', '/dev/null');
        open(STDOUT, '>', $out) or POSIX::_exit(126);
        open(STDERR, '>', $err) or POSIX::_exit(126);
        exec(@VG, $CTL, @$args) or POSIX::_exit(127);
    }
    return {pid => $pid, out => $out, err => $err};
}

sub finish ($h, $timeout = 60) {
    my $deadline = time + $timeout;
    while (waitpid($h->{pid}, WNOHANG) == 0) {
        if (time > $deadline) {
            kill 'KILL', $h->{pid};
            waitpid($h->{pid}, 0);
            return {rc => -1, err => 'killed'};
        }
        sleep 0.05;
    }
    return {rc => $? >> 8, out => slurp($h->{out}), err => slurp($h->{err})};
}

sub vg ($name, $want, $args, %env) {
    my $r = finish(spawn($args, %env));
    isnt($r->{rc}, 99, "$name: valgrind clean") or diag($r->{err});
    is($r->{rc}, $want, "$name: exit $want") or diag($r->{err});
    return $r;
}

my $sb = Sandbox->start(seed => 1);
my $URL = $sb->url;
my $VCRED = put($sb->account_sid . ':' . $sb->auth_token . "\n");
my $AKEY = put($sb->authy_api_key . "\n");
my @V = ('--api-url', $URL, '--credentials-file', $VCRED,
         '--service', $sb->verify_service);
my @A = ('--provider', 'authy', '--api-url', $URL, '--api-key-file', $AKEY);

my $closed = IO::Socket::IP->new(LocalHost => '127.0.0.1', LocalPort => 0,
                                 Listen => 1) or die $@;
my $port = $closed->sockport;
close $closed;

my $B1 = put('{"authy_id":1234567,"device_uuid":99,"approval_request":{"transaction":{"details":{"User":"alice"},"hidden_details":null},"logos":[{"res":"default","url":"https://example.org/a.png"}]},"device":{"id":99,"city":null}}');
my $json = '{"type":"challenge.approved"}';
my $jurl = 'https://gate.example.org/cb?bodySHA256=' . sha256_hex($json);

vg('secret', 0, ['secret']);
vg('invite', 0, ['invite', '--secret-file', put(('s' x 40) . "\n"),
                  '--ttl', '2h', 'alice-0001']);
vg('revoke, nothing listening', 3,
   ['revoke', '--url', "http://127.0.0.1:$port/_push/revoke", 'alice-0001']);
vg('--help', 0, ['--help']);
vg('push --help', 0, ['push', '--help']);
vg('usage error', 64, ['push', '--bogus']);
vg('usage error after a repeated flag', 64,
   ['push', '--detail', 'a=b', '--detail', 'c']);
vg('factors', 0, ['verify', 'factors', 'alice-0001', @V]);
vg('factors, unknown identity', 3, ['verify', 'factors', 'nobody-0000', @V]);
vg('factors, wrong token', 3, ['verify', 'factors', 'alice-0001',
   '--api-url', $URL, '--service', $sb->verify_service],
   TWILIO_ACCOUNT_SID => $sb->account_sid, TWILIO_AUTH_TOKEN => 'wrong');
vg('factors, refused connection', 3, ['verify', 'factors', 'alice-0001',
   @V[2..5], '--api-url', "http://127.0.0.1:$port", '--retries', 1]);
$sb->fail(count => 1, mode => 'status', status => 429, path => '/Factors');
vg('factors, 429 then success', 0, ['verify', 'factors', 'alice-0001', @V]);
$sb->fail(count => 1, mode => 'malformed', path => '/Factors');
vg('factors, malformed JSON', 3, ['verify', 'factors', 'alice-0001', @V]);
my $r = vg('push verify', 0, ['push', '--identity', 'alice-0001', @V,
           '--detail', 'IP=203.0.113.9', '--hidden', 'k=v']);
my @seen = ($r->{out} =~ /^(\S+)/);
vg('push verify, no verified factor', 3,
   ['push', '--identity', 'bob-00002', @V]);
$r = vg('push authy', 0, ['push', '--identity', '1234567', @A,
        '--detail', 'User=alice', '--hidden', 'k=v']);
push @seen, $r->{out} =~ /^(\S+)/;
$sb->fail(count => 1, mode => 'malformed', path => '/approval_requests');
vg('push authy, malformed JSON', 3, ['push', '--identity', '1234567', @A]);

for my $c (['verify', 'alice-0001', \@V, 'approved', 0],
           ['authy', '1234567', \@A, 'denied', 1])
{
    my ($p, $id, $args, $decision, $rc) = @$c;
    my $h = spawn(['push', '--identity', $id, @$args, '--wait',
                   '--poll', '0.3']);
    my $a = eval { $sb->wait_approval(identity => $id, timeout => 30,
                                      exclude => \@seen) };
    ok($a, "push $p --wait: approval appeared") or diag($@);
    $sb->decide($a->{id}, $decision) if $a;
    push @seen, $a->{id} if $a;
    $r = finish($h);
    isnt($r->{rc}, 99, "push $p --wait $decision: valgrind clean")
        or diag($r->{err});
    is($r->{rc}, $rc, "push $p --wait $decision: exit $rc");
}

vg('user-add', 0, ['authy', 'user-add', @A[2..5], '--email',
   'dave@example.org', '--phone', '555-201-0404', '--country-code', '1']);
vg('user-status', 0, ['authy', 'user-status', '1234567', @A[2..5]]);
vg('user-status, unknown user', 3,
   ['authy', 'user-status', '99999999', @A[2..5]]);
vg('user-status, wrong key', 3, ['authy', 'user-status', '1234567',
   '--api-url', $URL], AUTHY_API_KEY => 'wrong-key');

vg('sign-callback verify', 0, ['sign-callback', '--credentials-file', $VCRED,
   '--url', 'https://x.example/cb', '--param', 'a=1', '--param', 'b=2']);
vg('sign-callback verify JSON', 0, ['sign-callback', '--credentials-file',
   $VCRED, '--url', $jurl, '--body-file', put($json)]);
vg('sign-callback verify JSON, no hash', 64, ['sign-callback',
   '--credentials-file', $VCRED, '--url', 'https://x.example/cb',
   '--body-file', put($json)]);
vg('sign-callback authy', 0, ['sign-callback', '--provider', 'authy',
   '--api-key-file', $AKEY, '--url', 'https://x.example/cb',
   '--body-file', $B1, '--nonce', 1764000030]);
vg('verify-callback verify, invalid', 1, ['verify-callback',
   '--credentials-file', $VCRED, '--url', 'https://x.example:443/cb',
   '--param', 'a=1', '--signature', 'AAAA']);
vg('verify-callback authy, invalid', 1, ['verify-callback',
   '--provider', 'authy', '--api-key-file', $AKEY, '--url',
   'https://x.example/cb?q=1', '--method', 'GET', '--nonce', 1764000030,
   '--signature', 'AAAA']);
vg('verify-callback authy, unparsable', 1, ['verify-callback',
   '--provider', 'authy', '--api-key-file', $AKEY, '--url',
   'https://x.example/cb', '--body-file', put('{"a":'), '--nonce', 1,
   '--signature', 'AAAA']);
vg('verify-callback, missing key file', 3, ['verify-callback',
   '--provider', 'authy', '--api-key-file', "$TMP/none", '--url',
   'https://x.example/cb', '--nonce', 1, '--signature', 'AAAA']);

$sb->stop;
done_testing();
