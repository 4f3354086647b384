#!/usr/bin/perl
# push-approval-ctl, the operator tool: every command against the provider
# sandbox, error paths, retries, webhook signature vectors, usage errors.
use v5.36;
use Test::More;
use Digest::SHA qw(hmac_sha1_base64 hmac_sha256 sha256_hex);
use MIME::Base64 qw(decode_base64url);
use File::Temp qw(tempdir);
use IO::Socket::IP;
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep time);
use lib 't/lib';
use Sandbox;
use PushSign ();

my $ROOT = Sandbox::root();
my $CTL  = "$ROOT/tools/ctl/push-approval-ctl";

if (!-x $CTL) {
    system('make', '-s', '-C', "$ROOT/tools/ctl") == 0
        or BAIL_OUT('cannot build tools/ctl');
}

# the tool must not pick up anything from the caller's environment
delete @ENV{qw(AUTHY_API_KEY TWILIO_ACCOUNT_SID TWILIO_AUTH_TOKEN
               VERIFY_SERVICE_SID)};

my $TMP = tempdir('ctl-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $n = 0;

sub put ($content) {
    my $f = "$TMP/f" . ++$n;
    open(my $fh, '>', $f) or die "$f: $!";
    print $fh $content;
    close $fh;
    return $f;
}

# start the tool; returns a handle for finish()
sub spawn ($args, %o) {
    my ($out, $err) = ("$TMP/out" . ++$n, "$TMP/err$n");
    my $pid = fork() // die "fork: $!";
    if (!$pid) {
        $ENV{$_} = $o{env}{$_} for keys %{ $o{env} // {} };
        open(STDIN, '<', '/dev/null');
        open(STDOUT, '>', $out) or POSIX::_exit(126);
        open(STDERR, '>', $err) or POSIX::_exit(126);
        exec(@{ $o{prefix} // [] }, $CTL, @$args) or POSIX::_exit(127);
    }
    return {pid => $pid, out => $out, err => $err, start => time};
}

sub slurp ($f) {
    open(my $fh, '<', $f) or return '';
    local $/;
    return scalar(<$fh>) // '';
}

sub finish ($h, $timeout = 30) {
    my $deadline = time + $timeout;
    while (waitpid($h->{pid}, WNOHANG) == 0) {
        if (time > $deadline) {
            kill 'KILL', $h->{pid};
            waitpid($h->{pid}, 0);
            return {rc => -1, out => slurp($h->{out}),
                    err => "killed after $timeout s\n" . slurp($h->{err})};
        }
        sleep 0.02;
    }
    return {rc => $? >> 8, out => slurp($h->{out}), err => slurp($h->{err}),
            elapsed => time - $h->{start}};
}

sub ctl (@args) {
    my %o;
    %o = %{ shift @args } if ref $args[0] eq 'HASH';
    return finish(spawn(\@args, %o));
}

# ---- secret ------------------------------------------------------------------
{
    my $a = ctl('secret');
    my $b = ctl('secret');
    is($a->{rc}, 0, 'secret: exit 0');
    like($a->{out}, qr/^[A-Za-z0-9_-]{64}\n\z/, 'secret: 64 base64url chars');
    isnt($a->{out}, $b->{out}, 'secret: random');
    is($a->{err}, '', 'secret: nothing on stderr');
}

# ---- usage -------------------------------------------------------------------
{
    my $r = ctl();
    is($r->{rc}, 64, 'no command: 64');
    like($r->{err}, qr/no command/, 'no command: message');
    $r = ctl('--help');
    is($r->{rc}, 0, '--help: 0');
    like($r->{out}, qr/^Usage: push-approval-ctl COMMAND/, '--help: usage');
    like($r->{out}, qr/\Q$_\E/, "--help lists $_")
        for 'secret', 'authy user-add', 'authy user-status', 'verify factors',
            'push', 'sign-callback', 'verify-callback', 'invite', 'revoke';
    for my $c (['secret'], [qw(authy user-add)], [qw(authy user-status)],
               [qw(verify factors)], ['push'], ['sign-callback'],
               ['verify-callback'], ['invite'], ['revoke'])
    {
        $r = ctl(@$c, '--help');
        is($r->{rc}, 0, "@$c --help: 0");
        like($r->{out}, qr/^Usage: push-approval-ctl \Q@$c\E/,
             "@$c --help: usage");
    }
    my @bad = (
        [['bogus'], 'unknown command'],
        [['push', '--bogus'], 'unknown flag'],
        [['push', '-x'], 'unknown short flag'],
        [['secret', '--identity', 'alice-0001'], 'flag of another command'],
        [['secret', 'extra'], 'extra argument'],
        [['push'], 'push without --identity'],
        [['push', '--identity'], 'flag without value'],
        [['push', '--identity', 'x'], 'invalid Verify identity'],
        [['push', '--provider', 'authy', '--identity', 'alice-0001'],
         'invalid Authy ID'],
        [['push', '--identity', 'alice-0001', '--timeout', 'abc'],
         'bad --timeout'],
        [['push', '--identity', 'alice-0001', '--detail', 'novalue'],
         'bad --detail'],
        # Authy documents details keys of at most 20 characters
        [['push', '--provider', 'authy', '--identity', '1234567',
          '--detail', ('K' x 21) . '=v'], 'Authy --detail label over 20'],
        # a Verify challenge expires within 60 minutes
        [['push', '--identity', 'alice-0001', '--timeout', '3601'],
         'Verify --timeout over 3600'],
        [['push', '--identity', 'alice-0001', '--provider', 'nope'],
         'unknown provider'],
        [['push', '--identity', 'alice-0001', '--wait', '--wait'],
         'flag given twice'],
        [[qw(authy user-status)], 'user-status without ID'],
        [[qw(authy user-status abc)], 'user-status bad ID'],
        [[qw(authy)], 'authy without subcommand'],
        [[qw(verify factors)], 'factors without identity'],
        [[qw(authy user-add --email a@b.c)], 'user-add missing flags'],
        [[qw(verify-callback --url https://x/ --param a=b)],
         'verify-callback without --signature'],
        [[qw(sign-callback --param a=b)], 'sign-callback without --url'],
        [[qw(sign-callback --url https://x/ --method PUT)], 'bad --method'],
        [[qw(verify-callback --provider authy --url https://x/
             --signature x)], 'authy verify-callback without --nonce'],
        [[qw(invite alice-0001)], 'invite without --secret-file'],
        [[qw(invite --secret-file /x)], 'invite without identity'],
        [[qw(invite --secret-file /x --ttl 5y alice-0001)], 'bad --ttl'],
        [[qw(invite --secret-file /x --ttl 0 alice-0001)], 'zero --ttl'],
        [[qw(invite --secret-file /x --url https://x/ alice-0001)],
         'invite with --url'],
        [[qw(revoke alice-0001)], 'revoke without --url'],
        [[qw(revoke --url https://x/)], 'revoke without identity'],
        [[qw(revoke --url http://gate.example/x alice-0001)],
         'revoke over plain http to another host'],
        [[qw(revoke --url https://x/ --ttl 1h alice-0001)],
         'revoke with --ttl'],
    );
    for (@bad) {
        my ($args, $name) = @$_;
        $r = ctl(@$args);
        is($r->{rc}, 64, "usage: $name: exit 64");
        like($r->{err}, qr/^push-approval-ctl: .+\nTry /, "usage: $name: "
             . 'message on stderr');
        is($r->{out}, '', "usage: $name: nothing on stdout");
    }
}


# ---- help that fits the command (issue 17) -----------------------------------
{
    my $r = ctl(qw(authy user-add --help));
    like($r->{out}, qr/^  --\Q$_\E /m, "authy user-add --help: --$_")
        for qw(email phone country-code api-key-file);
    unlike($r->{out}, qr/--\Q$_\E/, "authy user-add --help: no --$_")
        for qw(service credentials-file identity);
    $r = ctl(qw(authy user-status --help));
    unlike($r->{out}, qr/--service|--credentials-file/,
           'authy user-status --help: no Verify options');
    $r = ctl(qw(verify factors --help));
    unlike($r->{out}, qr/--api-key-file/, 'verify factors --help: no Authy option');
    like($r->{out}, qr/--service/, 'verify factors --help: --service');

    for my $g (qw(authy verify)) {
        $r = ctl($g, '--help');
        is($r->{rc}, 0, "$g --help: 0");
        like($r->{out}, qr/^Usage: push-approval-ctl $g SUBCOMMAND/,
             "$g --help: the group's usage");
        unlike($r->{out}, qr/sign-callback/, "$g --help: not the top level");
    }
    like(ctl(qw(authy --help))->{out}, qr/^  user-add\n  user-status$/m,
         'authy --help lists its subcommands');
    like(ctl(qw(verify --help))->{out}, qr/^  factors$/m,
         'verify --help lists factors');

    $r = ctl(qw(push --bogus));
    like($r->{err}, qr/Try "push-approval-ctl push --help"/,
         'unknown option: points at the command\'s help');
    $r = ctl(qw(verify factors alice-0001 --bogus));
    like($r->{err}, qr/Try "push-approval-ctl verify factors --help"/,
         'unknown option after a two-word command: its help');

    $r = ctl(qw(verify factors alice-0001 --api-url ftp://x),
             '--service', 'VA' . ('a' x 32));
    is($r->{rc}, 64, 'bad --api-url: 64');
    like($r->{err}, qr/invalid --api-url "ftp:\/\/x"/, 'bad --api-url: message');

    for my $svc ('VA12', 'VA' . ('A' x 32), 'XX' . ('a' x 32)) {
        $r = ctl(qw(verify factors alice-0001 --service), $svc);
        is($r->{rc}, 64, "--service $svc: 64");
        like($r->{err}, qr/invalid --service "\Q$svc\E", expected "VA" and 32 hex digits/,
             "--service $svc: says what is expected");
    }
}

# ---- webhook signatures: vectors of provider-apis.md -------------------------
my $A1_URL = 'https://mycompany.com/myapp.php?foo=1&bar=2';
my @A1 = ('CallSid=CA1234567890ABCDE', 'Caller=+14158675309',
          'Digits=1234', 'From=+14158675309', 'To=+18005551212');
my $A1_SIG = 'RSOYDt4T1cUTdK1PDd93/VVr8B8=';
my $A1_CRED = put("AC" . ('1' x 32) . ":12345\n");

my $A2_URL = 'https://gate.example.org/_push/callback';
my @A2 = ('account_sid=AC' . ('1' x 32), 'challenge_sid=YC' . ('4' x 32),
          'entity_identity=alice-0001', 'factor_sid=YF' . ('3' x 32),
          'factor_type=push', 'service_sid=VA' . ('2' x 32),
          'type=challenge.approved', 'uuid=YW0123');
my $A2_SIG = 'SN1NWrXbktc2LS02LnpcvLta8mw=';
# API key on line 1, the account auth token on line 2 (CRLF, blank lines)
my $A2_CRED = put("\r\nSK" . ('c' x 32) . ":api-secret\r\n\r\n"
                  . "dev-vector-auth-token\r\n");

my $B1_KEY = put("dev-vector-api-key-0123456789abcd\n");
my $B1_BODY = '{"authy_id":1234567,"device_uuid":99,"callback_action":"approval_request_status","uuid":"0f3c2a10-5e2b-0137-9a1c-0a58a9feac02","status":"approved","approval_request":{"transaction":{"details":{"User":"alice","Path":"/admin/x y"},"hidden_details":null,"message":"Access to example.org","encrypted":false,"flagged":false,"status":"approved","uuid":"0f3c2a10-5e2b-0137-9a1c-0a58a9feac02","created_at_time":1764000000},"expiration_timestamp":1764000060,"logos":[{"res":"default","url":"https://example.org/a.png"},{"res":"low","url":"https://example.org/b.png"}],"app_id":"5f00aa00bb11cc22dd33ee44"},"signature":"c2lnbmF0dXJlK2Jhc2U2NC89","device":{"id":99,"os_type":"android","city":null}}';
my $B1_FILE = put($B1_BODY);
my $B1_SIG = 'epCBSxKXRynR8jLR+h1+NvHT/20qr/vcgkfayjm/yWA=';
my @B1 = ('--provider', 'authy', '--api-key-file', $B1_KEY,
          '--url', 'https://gate.example.org/_push/callback');

{
    my $r = ctl('sign-callback', '--credentials-file', $A1_CRED,
                '--url', $A1_URL, map { ('--param', $_) } @A1);
    is($r->{rc}, 0, 'A1 sign: exit 0');
    is($r->{out}, "X-Twilio-Signature: $A1_SIG\n", 'A1 sign: signature');

    $r = ctl('sign-callback', '--credentials-file', $A2_CRED,
             '--url', $A2_URL, map { ('--param', $_) } reverse @A2);
    is($r->{out}, "X-Twilio-Signature: $A2_SIG\n",
       'A2 sign: signature (token on line 2, CRLF, any parameter order)');

    # the same parameters as a form body
    my $form = join '&', map { my $p = $_; $p =~ s/\+/%2B/g; $p } @A1;
    $r = ctl('sign-callback', '--credentials-file', $A1_CRED,
             '--url', $A1_URL, '--body-file', put($form));
    is($r->{out}, "X-Twilio-Signature: $A1_SIG\n", 'A1 sign: form body');

    $r = ctl({env => {TWILIO_AUTH_TOKEN => '12345'}}, 'sign-callback',
             '--url', $A1_URL, map { ('--param', $_) } @A1);
    is($r->{out}, "X-Twilio-Signature: $A1_SIG\n",
       'A1 sign: token from TWILIO_AUTH_TOKEN');

    $r = ctl('sign-callback', @B1, '--nonce', '1764000030',
             '--body-file', $B1_FILE);
    is($r->{rc}, 0, 'B1 sign: exit 0');
    is($r->{out}, "X-Authy-Signature: $B1_SIG\n"
                  . "X-Authy-Signature-Nonce: 1764000030\n", 'B1 sign: headers');

    $r = ctl('sign-callback', @B1, '--body-file', $B1_FILE);
    like($r->{out}, qr/^X-Authy-Signature-Nonce: (\d+)$/m,
         'sign without --nonce: a nonce');
    my ($nonce) = $r->{out} =~ /Nonce: (\d+)/;
    ok(abs($nonce - time) < 5, 'sign without --nonce: now');

    # verify-callback: valid
    my $A1_SIG_8444 = PushSign::twilio_sig('12345',
        'https://mycompany.com:8444/myapp.php?foo=1&bar=2',
        [map { [split /=/, $_, 2] } @A1]);
    my @ok = (
        ['A1', [ '--credentials-file', $A1_CRED, '--url', $A1_URL,
                 (map { ('--param', $_) } @A1), '--signature', $A1_SIG ]],
        ['A1 with :443', [ '--credentials-file', $A1_CRED, '--url',
                 'https://mycompany.com:443/myapp.php?foo=1&bar=2',
                 (map { ('--param', $_) } @A1), '--signature', $A1_SIG ]],
        ['A2', [ '--credentials-file', $A2_CRED, '--url', $A2_URL,
                 (map { ('--param', $_) } @A2), '--signature', $A2_SIG ]],
        # Twilio's validators try the URL without any port, and count a
        # repeated name and value once
        ['A1 with :8443', [ '--credentials-file', $A1_CRED, '--url',
                 'https://mycompany.com:8443/myapp.php?foo=1&bar=2',
                 (map { ('--param', $_) } @A1), '--signature', $A1_SIG ]],
        ['A1 with a repeated parameter', [ '--credentials-file', $A1_CRED,
                 '--url', $A1_URL, (map { ('--param', $_) } @A1, $A1[0]),
                 '--signature', $A1_SIG ]],
        ['B1', [ @B1, '--nonce', '1764000030', '--body-file', $B1_FILE,
                 '--signature', $B1_SIG ]],
    );
    for (@ok) {
        my ($name, $args) = @$_;
        $r = ctl('verify-callback', @$args);
        is($r->{rc}, 0, "$name verify: exit 0");
        is($r->{out}, "valid\n", "$name verify: valid");
    }

    # tampered inputs
    my @A1x = @A1;
    $A1x[2] = 'Digits=1235';
    (my $B1x = $B1_BODY) =~ s/"User":"alice"/"User":"mallory"/;
    (my $B1y = $B1_BODY) =~ s/"device_uuid":99/"device_uuid":98/;
    my @bad = (
        ['A1 changed value', [ '--credentials-file', $A1_CRED, '--url',
            $A1_URL, (map { ('--param', $_) } @A1x), '--signature',
            $A1_SIG ]],
        ['A1 extra parameter', [ '--credentials-file', $A1_CRED, '--url',
            $A1_URL, (map { ('--param', $_) } @A1, 'X=1'), '--signature',
            $A1_SIG ]],
        ['A1 other URL', [ '--credentials-file', $A1_CRED, '--url',
            'https://mycompany.com/myapp.php?foo=1&bar=3',
            (map { ('--param', $_) } @A1), '--signature', $A1_SIG ]],
        ['A1 signed with another port', [ '--credentials-file', $A1_CRED,
            '--url', 'https://mycompany.com:8443/myapp.php?foo=1&bar=2',
            (map { ('--param', $_) } @A1),
            '--signature', $A1_SIG_8444 ]],
        ['A1 wrong token', [ '--credentials-file', $A2_CRED, '--url',
            $A1_URL, (map { ('--param', $_) } @A1), '--signature',
            $A1_SIG ]],
        ['A1 truncated signature', [ '--credentials-file', $A1_CRED, '--url',
            $A1_URL, (map { ('--param', $_) } @A1), '--signature',
            substr($A1_SIG, 0, -2) ]],
        ['A2 changed type', [ '--credentials-file', $A2_CRED, '--url',
            $A2_URL, (map { s/approved/denied/r } map { ('--param', $_) }
            @A2), '--signature', $A2_SIG ]],
        ['B1 changed detail', [ @B1, '--nonce', '1764000030', '--body-file',
            put($B1x), '--signature', $B1_SIG ]],
        ['B1 changed number', [ @B1, '--nonce', '1764000030', '--body-file',
            put($B1y), '--signature', $B1_SIG ]],
        ['B1 other nonce', [ @B1, '--nonce', '1764000031', '--body-file',
            $B1_FILE, '--signature', $B1_SIG ]],
        ['B1 as GET', [ @B1, '--nonce', '1764000030', '--method', 'GET',
            '--body-file', $B1_FILE, '--signature', $B1_SIG ]],
        ['B1 stale nonce', [ @B1, '--nonce', '1764000030', '--body-file',
            $B1_FILE, '--signature', $B1_SIG, '--max-age', 300 ]],
    );
    for (@bad) {
        my ($name, $args) = @$_;
        $r = ctl('verify-callback', @$args);
        is($r->{rc}, 1, "$name: exit 1");
        like($r->{out}, qr/^invalid: \S/, "$name: invalid");
    }

    $r = ctl('verify-callback', @B1, '--nonce', '1764000030',
             '--body-file', put('{"authy_id":'), '--signature', $B1_SIG);
    is($r->{rc}, 1, 'unparsable JSON body: exit 1');
    like($r->{out}, qr/^invalid: unparsable/, 'unparsable JSON body: invalid');

    # a fresh nonce passes --max-age
    my $now = time;
    $r = ctl('sign-callback', @B1, '--nonce', int($now), '--body-file',
             $B1_FILE);
    my ($sig) = $r->{out} =~ /^X-Authy-Signature: (\S+)$/m;
    $r = ctl('verify-callback', @B1, '--nonce', int($now), '--body-file',
             $B1_FILE, '--signature', $sig, '--max-age', 300);
    is($r->{out}, "valid\n", 'fresh nonce within --max-age: valid');

    # Authy GET: the query string is the parameter set, the URL loses it
    my $gurl = 'https://gate.example.org/_push/callback?uuid=u-1&status=denied'
             . '&authy_id=42&approval_request%5Btransaction%5D%5Bdetails%5D'
             . '%5BUser%5D=a+b';
    $r = ctl('sign-callback', @B1[0..3], '--url', $gurl, '--method', 'GET',
             '--nonce', 1764000000);
    ($sig) = $r->{out} =~ /^X-Authy-Signature: (\S+)$/m;
    ok($sig, 'authy GET sign');
    $r = ctl('verify-callback', @B1[0..3], '--url', $gurl, '--method', 'get',
             '--nonce', 1764000000, '--signature', $sig);
    is($r->{out}, "valid\n", 'authy GET verify');
    $r = ctl('verify-callback', @B1[0..3], '--url', $gurl =~ s/denied/approved/r,
             '--method', 'GET', '--nonce', 1764000000, '--signature', $sig);
    is($r->{rc}, 1, 'authy GET with changed query: invalid');

    # Verify JSON body: bodySHA256 in the URL, signature over the URL only
    my $json = '{"type":"challenge.approved","challenge_sid":"YC1"}';
    my $jf = put($json);
    my $jurl = "https://gate.example.org/_push/callback?bodySHA256="
             . sha256_hex($json);
    my $want = hmac_sha1_base64($jurl, '12345');
    $want .= '=' while length($want) % 4;
    $r = ctl('sign-callback', '--credentials-file', $A1_CRED, '--url', $jurl,
             '--body-file', $jf);
    is($r->{out}, "X-Twilio-Signature: $want\n", 'bodySHA256 sign');
    $r = ctl('verify-callback', '--credentials-file', $A1_CRED, '--url',
             $jurl, '--body-file', $jf, '--signature', $want);
    is($r->{out}, "valid\n", 'bodySHA256 verify');
    $r = ctl('verify-callback', '--credentials-file', $A1_CRED, '--url',
             $jurl, '--body-file', put($json =~ s/approved/denied/r),
             '--signature', $want);
    is($r->{rc}, 1, 'bodySHA256 with changed body: exit 1');
    like($r->{out}, qr/^invalid: body hash/, 'bodySHA256: body hash mismatch');
    $r = ctl('sign-callback', '--credentials-file', $A1_CRED, '--url',
             'https://gate.example.org/_push/callback', '--body-file', $jf);
    is($r->{rc}, 64, 'JSON body without bodySHA256 in the URL: usage');
    like($r->{err}, qr/bodySHA256=\Q${\ sha256_hex($json)}\E/,
         'the error names the hash to add');

    $r = ctl('sign-callback', '--url', $A1_URL, '--param', 'a=b');
    is($r->{rc}, 3, 'no auth token: exit 3');
    like($r->{err}, qr/auth token missing/, 'no auth token: message');
}

# ---- against the sandbox -----------------------------------------------------
my $sb = Sandbox->start(seed => 1, api_key_sid => 'SK' . ('c' x 32),
                        api_key_secret => 'sandbox-api-key-secret-42');
my $URL = $sb->url;
my $VA = $sb->verify_service;
my $VCRED = put($sb->account_sid . ':' . $sb->auth_token . "\r\n\n");
my $AKEY = put("\n" . $sb->authy_api_key . "\r\n");
my @V = ('--api-url', $URL, '--credentials-file', $VCRED, '--service', $VA);
my @A = ('--provider', 'authy', '--api-url', $URL, '--api-key-file', $AKEY);
my @SECRETS = ($sb->auth_token, $sb->authy_api_key, 'sandbox-api-key-secret-42');
my @seen;

sub no_secret ($r, $name) {
    for my $s (@SECRETS) {
        if (index($r->{out} . $r->{err}, $s) >= 0) {
            fail("$name: a secret was printed");
            return;
        }
    }
    pass("$name: no secret printed");
}

sub push_id ($r) {
    my ($id) = $r->{out} =~ /^(\S+)/;
    push @seen, $id if defined $id;
    return $id;
}

{
    my $r = ctl('verify', 'factors', 'alice-0001', @V);
    is($r->{rc}, 0, 'factors: exit 0');
    like($r->{out}, qr/^YF[0-9a-f]{32}\t[^\t]+\tverified\tpush\n\z/,
         'factors: alice has one verified push factor');
    no_secret($r, 'factors');

    $r = ctl('verify', 'factors', 'bob-00002', @V);
    like($r->{out}, qr/^YF[0-9a-f]{32}\t[^\t]+\tunverified\tpush$/m,
         'factors: bob unverified');

    $r = ctl({env => {TWILIO_ACCOUNT_SID => $sb->account_sid,
                      TWILIO_AUTH_TOKEN => $sb->auth_token,
                      VERIFY_SERVICE_SID => $VA}},
             'verify', 'factors', 'alice-0001', '--api-url', $URL);
    is($r->{rc}, 0, 'factors: credentials from the environment');

    $r = ctl('verify', 'factors', 'alice-0001', '--api-url', $URL,
             '--service', $VA, '--credentials-file',
             put('SK' . ('c' x 32) . ":sandbox-api-key-secret-42\n"
                 . $sb->auth_token . "\n"));
    is($r->{rc}, 0, 'factors: API key credentials');

    $r = ctl('verify', 'factors', 'nobody-0000', @V);
    is($r->{rc}, 3, 'factors, unknown entity: exit 3');
    like($r->{err}, qr/^verify error 20404: .+ \(HTTP 404\)$/m,
         'factors, unknown entity: 20404');

    $r = ctl('verify', 'factors', 'alice-0001', '--api-url', $URL,
             '--service', $VA, '--credentials-file',
             put($sb->account_sid . ":wrong-token-0000\n"));
    is($r->{rc}, 3, 'factors, wrong token: exit 3');
    like($r->{err}, qr/^verify error 20003: .+ \(HTTP 401\)$/m,
         'factors, wrong token: 20003');
    like($r->{err}, qr/^hint: .*check --credentials-file/m,
         'factors, wrong token: points at the credentials file');
    unlike($r->{err}, qr/wrong-token-0000/, 'wrong token not printed');

    $r = ctl('verify', 'factors', 'alice-0001', '--api-url', $URL,
             '--credentials-file', $VCRED);
    is($r->{rc}, 3, 'factors without a service: exit 3');
    like($r->{err}, qr/service missing/, 'factors without a service: message');

    $r = ctl('verify', 'factors', 'alice-0001', @V[2..5],
             '--api-url', 'http://example.com');
    is($r->{rc}, 64, 'plain http to a non-loopback host refused: usage');
    like($r->{err}, qr/must be https/, 'plain http: message');
}

{
    my $r = ctl('authy', 'user-add', @A[2..5], '--email', 'carol@example.org',
                '--phone', '555-201-0303', '--country-code', '+1');
    is($r->{rc}, 0, 'user-add: exit 0');
    like($r->{out}, qr/^\d+\n\z/, 'user-add: prints the Authy ID');
    no_secret($r, 'user-add');
    my ($id) = $r->{out} =~ /(\d+)/;
    my $c = $sb->calls(path => '/protected/json/users/new');
    my $em = $c->[-1]{params}{'user[email]'};
    is(ref $em ? $em->[0] : $em, 'carol@example.org',
       'user-add: user[email] sent');

    $r = ctl('authy', 'user-status', 1234567, @A[2..5]);
    is($r->{rc}, 0, 'user-status: exit 0');
    like($r->{out}, qr/^registered: true$/m, 'user-status: registered');
    like($r->{out}, qr/^authy_id: 1234567$/m, 'user-status: authy_id');

    $r = ctl('authy', 'user-status', $id, @A[2..5]);
    is($r->{rc}, 0, 'user-status of the new user: exit 0');

    $r = ctl('authy', 'user-status', 99999999, @A[2..5]);
    is($r->{rc}, 3, 'user-status, unknown user: exit 3');
    like($r->{err}, qr/^authy error 60026: .+ \(HTTP 404\)$/m,
         'user-status, unknown user: 60026');

    $r = ctl({env => {AUTHY_API_KEY => 'not-the-key-123'}},
             'authy', 'user-status', 1234567, '--api-url', $URL);
    is($r->{rc}, 3, 'wrong API key: exit 3');
    like($r->{err}, qr/^authy error 60001: .+ \(HTTP 401\)$/m,
         'wrong API key: 60001');
    like($r->{err}, qr/^hint: .*check the API key/m,
         'wrong API key: points at the API key');
    unlike($r->{err}, qr/not-the-key-123/, 'wrong key not printed');

    $r = ctl({env => {AUTHY_API_KEY => $sb->authy_api_key}},
             'authy', 'user-status', 1234567, '--api-url', $URL);
    is($r->{rc}, 0, 'API key from AUTHY_API_KEY');
}

# ---- push ----------------------------------------------------------------------
{
    $sb->clear_calls;
    my $r = ctl('push', '--identity', 'alice-0001', @V,
                '--message', 'Deploy to prod?', '--detail', 'IP=203.0.113.9',
                '--detail', 'Path=/admin', '--hidden', 'req=r-1',
                '--timeout', 120);
    is($r->{rc}, 0, 'push verify: exit 0');
    like($r->{out}, qr/^YC[0-9a-f]{32}\n\z/, 'push verify: challenge sid');
    no_secret($r, 'push verify');
    push_id($r);
    my ($create) = grep { $_->{method} eq 'POST' }
                   @{ $sb->calls(path => '/Challenges') };
    ok($create, 'push verify: create challenge call');
    like($create->{body}, qr/(^|&)FactorSid=YF[0-9a-f]{32}(&|$)/,
         'push verify: looked-up FactorSid');
    like($create->{body}, qr/Details.Message=Deploy(\+|%20)to(\+|%20)prod%3F/,
         'push verify: Details.Message');
    like($create->{body}, qr/Details.Fields=%7B%22label%22%3A%22IP%22/,
         'push verify: Details.Fields');
    like($create->{body}, qr/HiddenDetails=%7B%22req%22%3A%22r-1%22%7D/,
         'push verify: HiddenDetails');
    like($create->{body}, qr/ExpirationDate=\d{4}-\d\d-\d\dT\d\d%3A\d\d%3A\d\dZ/,
         'push verify: ExpirationDate');

    my $f = (split /\t/, ctl('verify', 'factors', 'alice-0001', @V)->{out})[0];
    $sb->clear_calls;
    $r = ctl('push', '--identity', 'alice-0001', '--factor', $f, @V);
    is($r->{rc}, 0, 'push --factor: exit 0');
    push_id($r);
    is(scalar @{ $sb->calls(path => '/Factors') }, 0,
       'push --factor: no factor look-up');

    $r = ctl('push', '--identity', 'bob-00002', @V);
    is($r->{rc}, 3, 'push to an identity without verified factor: exit 3');
    like($r->{err}, qr/no verified push factor/, '... message');

    $r = ctl('push', '--identity', 'nobody-0000', @V);
    is($r->{rc}, 3, 'push to an unknown identity: exit 3');
    like($r->{err}, qr/verify error 20404/, '... 20404');

    $sb->clear_calls;
    $r = ctl('push', '--identity', 1234567, @A, '--message', 'Hi there',
             '--detail', 'User=alice', '--hidden', 'k=v', '--timeout', 90);
    is($r->{rc}, 0, 'push authy: exit 0');
    like($r->{out}, qr/^[0-9a-f-]{36}\n\z/, 'push authy: uuid');
    push_id($r);
    ($create) = @{ $sb->calls(path => '/approval_requests') };
    like($create->{body}, qr/(^|&)message=Hi(\+|%20)there(&|$)/,
         'push authy: message');
    like($create->{body}, qr/details%5BUser%5D=alice/, 'push authy: details');
    like($create->{body}, qr/hidden_details%5Bk%5D=v/,
         'push authy: hidden_details');
    like($create->{body}, qr/seconds_to_expire=90/,
         'push authy: seconds_to_expire');

    $r = ctl('push', '--identity', 99999999, @A);
    is($r->{rc}, 3, 'push authy, unknown user: exit 3');
    like($r->{err}, qr/authy error 60026/, '... 60026');
}

# push --wait: decided by the "phone" while the tool polls
sub wait_case ($name, $args, $identity, $decide, $rc, $word) {
    my $h = spawn([@$args, '--wait', '--poll', '0.2']);
    my $a = eval { $sb->wait_approval(identity => $identity, timeout => 10,
                                      exclude => \@seen) };
    ok($a, "$name: approval appeared") or diag($@);
    $decide->($a->{id}) if $a;
    my $r = finish($h);
    push_id($r);
    is($r->{rc}, $rc, "$name: exit $rc") or diag($r->{err});
    is($r->{out}, "$a->{id}\n$word\n", "$name: id and $word")
        if $a && defined $word;
    return $r;
}

wait_case('verify approved', ['push', '--identity', 'alice-0001', @V],
          'alice-0001', sub ($id) { $sb->decide($id, 'approved') }, 0,
          'approved');
wait_case('verify denied', ['push', '--identity', 'alice-0001', @V],
          'alice-0001', sub ($id) { $sb->decide($id, 'denied') }, 1, 'denied');
wait_case('verify expired', ['push', '--identity', 'alice-0001', @V],
          'alice-0001', sub ($id) { $sb->expire($id) }, 2, 'expired');

# push --wait says what it waits for; a spinner only on a terminal
{
    my $r = wait_case('verify waiting message',
                      ['push', '--identity', 'alice-0001', @V],
                      'alice-0001', sub ($id) { $sb->decide($id, 'approved') },
                      0, 'approved');
    like($r->{err}, qr/^waiting up to 60 s for alice-0001 to approve or deny YC\w+ on the phone\.\.\.$/m,
         '--wait: what it waits for, on stderr');
    unlike($r->{err}, qr/\r/, '--wait: no spinner when stderr is no terminal');

    my $q = sub ($w) { "'" . ($w =~ s/'/'\\''/gr) . "'" };
    my $cmd = join ' ', map { $q->($_) } $CTL, 'push', '--identity',
        'alice-0001', @V, '--wait', '--poll', '0.2', '--timeout', '2';
    my $tty = `script -qec @{[ $q->($cmd) ]} /dev/null 2>&1`;
    my $tty_rc = $? >> 8;
    SKIP: {
        skip 'no script(1) terminal', 1 unless $tty_rc == 2;
        like($tty, qr/\r[|\/\\-] +\d+ s left/,
            '--wait on a terminal: a spinner with the time left');
    }
}
wait_case('authy approved', ['push', '--identity', '1234567', @A],
          '1234567', sub ($id) { $sb->decide($id, 'approved') }, 0,
          'approved');
wait_case('authy denied', ['push', '--identity', '1234567', @A],
          '1234567', sub ($id) { $sb->decide($id, 'denied') }, 1, 'denied');
{
    my $r = wait_case('verify timeout',
                      ['push', '--identity', 'alice-0001', @V,
                       '--timeout', 2], 'alice-0001', sub ($id) { }, 2,
                      undef);
    like($r->{out}, qr/\n(timeout|expired)\n\z/, 'verify timeout: reported');
    # the provider may expire it first (ExpirationDate has whole seconds)
    my $min = $r->{out} =~ /timeout/ ? 1.9 : 0.9;
    ok($r->{elapsed} >= $min && $r->{elapsed} < 6,
       'verify timeout: after about --timeout')
        or diag("elapsed $r->{elapsed}: $r->{out}");
}

# ---- failures and retries ----------------------------------------------------
{
    my $closed = IO::Socket::IP->new(LocalHost => '127.0.0.1', LocalPort => 0,
                                     Listen => 1) or die $@;
    my $port = $closed->sockport;
    close $closed;
    my $r = ctl('verify', 'factors', 'alice-0001', @V[2..5],
                '--api-url', "http://127.0.0.1:$port", '--retries', 0);
    is($r->{rc}, 3, 'refused connection: exit 3');
    like($r->{err}, qr/^verify error: .*(connect|Connection refused)/mi,
         'refused connection: message');
    $r = ctl('verify', 'factors', 'alice-0001', @V[2..5],
             '--api-url', "http://127.0.0.1:$port", '--retries', 2);
    is($r->{rc}, 3, 'refused connection with retries: exit 3');
    ok($r->{elapsed} >= 1.4, 'refused connection: backoff 0.5 s + 1 s');

    $sb->clear_calls;
    $sb->fail(count => 1, mode => 'status', status => 429,
              path => '/Factors');
    $r = ctl('verify', 'factors', 'alice-0001', @V);
    is($r->{rc}, 0, '429 then success: exit 0');
    like($r->{out}, qr/\tverified\tpush$/m, '429 then success: factors');
    is(scalar @{ $sb->calls(path => '/Factors') }, 2, '429: one retry');

    $sb->clear_calls;
    $sb->fail(count => 2, mode => 'status', status => 503,
              path => '/approval_requests');
    $r = ctl('push', '--identity', 1234567, @A);
    is($r->{rc}, 0, '503 twice then success: exit 0');
    push_id($r);
    is(scalar @{ $sb->calls(path => '/approval_requests') }, 3,
       '503: two retries');

    $sb->clear_calls;
    $sb->fail(count => 5, mode => 'status', status => 500,
              path => '/Factors');
    $r = ctl('verify', 'factors', 'alice-0001', @V, '--retries', 1);
    is($r->{rc}, 3, 'persistent 500: exit 3');
    like($r->{err}, qr/^verify error( \d+)?: .+ \(HTTP 500\)$/m,
         'persistent 500: message');
    is(scalar @{ $sb->calls(path => '/Factors') }, 2, '--retries 1: 2 calls');

    $sb->clear_calls;
    $sb->fail(count => 1, mode => 'drop', path => '/Challenges',
              method => 'POST');
    $r = ctl('push', '--identity', 'alice-0001', @V);
    is($r->{rc}, 3, 'dropped create: exit 3');
    is(scalar(grep { $_->{method} eq 'POST' }
              @{ $sb->calls(path => '/Challenges') }), 1,
       'dropped create: not retried (no second approval)');

    $sb->clear_calls;
    $sb->fail(count => 1, mode => 'drop', path => '/Factors');
    $r = ctl('verify', 'factors', 'alice-0001', @V);
    is($r->{rc}, 0, 'dropped GET: retried, exit 0');

    $sb->fail(count => 1, mode => 'malformed', path => '/Factors');
    $r = ctl('verify', 'factors', 'alice-0001', @V);
    is($r->{rc}, 3, 'malformed JSON: exit 3');
    like($r->{err}, qr/^verify error: unparsable response \(HTTP 200\)$/m,
         'malformed JSON: message');

    $sb->fail(count => 1, mode => 'malformed', path => '/approval_requests');
    $r = ctl('push', '--identity', 1234567, @A);
    is($r->{rc}, 3, 'malformed authy create: exit 3');
    like($r->{err}, qr/authy error: unparsable/, 'malformed authy: message');

    $sb->fail(count => 1, mode => 'truncate', path => '/Factors');
    $r = ctl('verify', 'factors', 'alice-0001', @V, '--retries', 0);
    is($r->{rc}, 3, 'truncated body: exit 3');

    $sb->fail(count => 1, mode => 'slow', delay => 3, path => '/Factors');
    $r = ctl('verify', 'factors', 'alice-0001', @V, '--retries', 0,
             '--max-time', 1);
    is($r->{rc}, 3, 'slow provider: exit 3');
    like($r->{err}, qr/time/i, 'slow provider: timeout message');
    ok($r->{elapsed} < 2.5, 'slow provider: --max-time honoured');
}

# the sandbox signs the same way (cross-check beyond the vectors)
{
    my $url = 'https://gate.example.org:8443/cb?x=1';
    my @p = ('b=2', 'a=1', 'a=0', 'c=h%C3%A9 & more');
    my %multi;
    for (@p) { my ($k, $v) = split /=/, $_, 2; push @{ $multi{$k} }, $v }
    my $want = eval { $sb->sign(provider => 'verify', url => $url,
                                params => \%multi) };
    SKIP: {
        skip 'sandbox has no /_sandbox/sign', 2 unless $want;
        my $r = ctl('sign-callback', '--credentials-file', $VCRED,
                    '--url', $url, map { ('--param', $_) } @p);
        is($r->{out}, "X-Twilio-Signature: $want\n",
           'verify signature agrees with the sandbox');
        my $body = {a => [1, {b => undef, c => [], d => {}}], e => 'x y/z',
                    f => JSON::PP::true()};
        my $s = $sb->sign(provider => 'authy', url => $url, nonce => 17,
                          method => 'POST', body => $body);
        $r = ctl('sign-callback', '--provider', 'authy', '--api-key-file',
                 $AKEY, '--url', $url, '--nonce', 17, '--body-file',
                 put(JSON::PP->new->canonical->encode($body)));
        is($r->{out}, "X-Authy-Signature: $s\nX-Authy-Signature-Nonce: 17\n",
           'authy signature agrees with the sandbox');
    }
}

# ---- invite and revoke -------------------------------------------------------
{
    my $secret = 'S' x 40;
    my $file = put("\n$secret\r\nsecond-secret-line-of-enough-length-xx\n");
    my $r = ctl('invite', '--secret-file', $file, 'alice-0001');
    is($r->{rc}, 0, 'invite: exit 0');
    like($r->{out}, qr/^[A-Za-z0-9_-]{64}\n\z/, 'invite: one URL-safe line');
    is($r->{err}, '', 'invite: nothing on stderr');
    chomp(my $code = $r->{out});
    my $raw = decode_base64url($code);
    is(length $raw, 48, 'invite: 48 bytes');
    my $expires = unpack('Q>', substr($raw, 0, 8));
    ok(abs($expires - (time + 86400)) < 5, 'invite: 24 h by default');
    is(substr($raw, 16),
       hmac_sha256("invite1\nalice-0001\n" . substr($raw, 0, 16), $secret),
       'invite: signed with line 1 (CR and empty lines skipped), bound to '
       . 'the identity');
    isnt(ctl('invite', '--secret-file', $file, 'alice-0001')->{out},
         $r->{out}, 'invite: a new one each time');

    for ([qw(90 90)], [qw(90s 90)], [qw(30m 1800)], [qw(2h 7200)],
         [qw(7d 604800)])
    {
        my ($ttl, $secs) = @$_;
        $r = ctl('invite', '--secret-file', $file, '--ttl', $ttl, 'bob-00002');
        $raw = decode_base64url($r->{out} =~ s/\n//r);
        ok(abs(unpack('Q>', substr($raw, 0, 8)) - (time + $secs)) < 5,
           "invite --ttl $ttl");
    }

    $r = ctl('invite', '--secret-file', "$TMP/none", 'alice-0001');
    is($r->{rc}, 3, 'invite: unreadable secret file, 3');
    $r = ctl('invite', '--secret-file', put("short\n"), 'alice-0001');
    is($r->{rc}, 3, 'invite: short secret, 3');
    like($r->{err}, qr/at least 32/, 'invite: short secret, says so');
    unlike($r->{err}, qr/short/, 'invite: the secret is not printed');

    # revoke: one POST, identity=ID, to the URL given
    my $rx = Sandbox::Receiver->new;
    my $h = spawn(['revoke', '--url', $rx->url('/_push/revoke'), 'a b&c']);
    my $req = $rx->accept_one(status => 200, body => qq({"revoked":"a b&c"}));
    $r = finish($h);
    is($req->{method}, 'POST', 'revoke: POST');
    is($req->{path}, '/_push/revoke', 'revoke: the URL');
    is($req->{body}, 'identity=a+b%26c', 'revoke: identity=ID, encoded');
    like($req->{headers}{'content-type'} // '',
         qr{^application/x-www-form-urlencoded}, 'revoke: a form');
    is($r->{rc}, 0, 'revoke: exit 0');
    is($r->{out}, "revoked a b&c\n", 'revoke: says so');

    $h = spawn(['revoke', '--url', $rx->url('/_push/revoke'), 'alice-0001']);
    $rx->accept_one(status => 403, body => 'no');
    $r = finish($h);
    is($r->{rc}, 3, 'revoke: 403, exit 3');
    like($r->{err}, qr/HTTP 403/, 'revoke: 403, says so');
}

$sb->stop;
done_testing();
