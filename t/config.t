#!/usr/bin/perl
# Configuration checks (SPEC 3): every wrong configuration fails "nginx -t"
# with a message naming the directive and the problem; correct ones pass;
# a handler location is never enforced; secrets never reach the output or
# the error log.
use v5.36;
use Test::More;
use lib 't/lib';
use NginxTest;

my $t = NginxTest->new(workers => 1);

my $SECRET = NginxTest::secret_line();
my $TOKEN  = 'cfg-test-auth-token-' . NginxTest::secret_line();
my $AKEY   = 'cfg-test-api-key-' . NginxTest::secret_line();
my $SKSEC  = 'cfg-test-sk-secret-' . NginxTest::secret_line();
my $SVC    = 'VA' . ('b' x 32);
my $AC     = 'AC' . ('a' x 32);
my $SK     = 'SK' . ('c' x 32);

$t->write_file('secret', "$SECRET\n");
$t->write_file('secret-crlf', "\r\n\n$SECRET\r\n\r\n"
               . NginxTest::secret_line() . "\r\n\n");
$t->write_file('secret-short', "$SECRET\nshort-secret-value-123\n");
$t->write_file('secret-empty', "\n\r\n\n");
$t->write_file('secretdir/x', '');
$t->write_file('verify.cred', "$AC:$TOKEN\n");
$t->write_file('verify-crlf.cred', "\r\n$AC:$TOKEN\r\n\r\n");
$t->write_file('apikey.cred', "$SK:$SKSEC\n");
$t->write_file('apikey2.cred', "$SK:$SKSEC\n\n$TOKEN\n");
$t->write_file('bad.cred', "$TOKEN\n");
$t->write_file('authy.key', "$AKEY\n");
$t->write_file('authy-crlf.key', "\r\n$AKEY\r\n");
$t->write_file('html/p/index.html', "SECRET CONTENT\n");

my %SECRETS = (secret => $SECRET, token => $TOKEN, apikey => $AKEY,
               sksecret => $SKSEC);

# A working configuration, built from parts that a case replaces.
my %BASE = (
    zone     => 'push_approval_zone zone=pa:1m;',
    secret   => 'push_approval_secret_file %%PREFIX%%/secret;',
    http     => '',
    api      => 'push_approval_api /_push_api/;',
    provider => "push_approval_verify_service $SVC;\n"
        . "    push_approval_verify_credentials_file %%PREFIX%%/verify.cred;",
    identity => 'push_approval_identity $http_x_user;',
    server   => '',
    loc      => 'push_approval zone=pa;',
    more     => '',
);

sub conf (%o) {
    my %c = (%BASE, %o);
    return <<"EOF";
$c{zone}
$c{secret}
$c{http}

server {
    listen 127.0.0.1:%%PORT%%;

    $c{api}
    $c{provider}
    $c{identity}
    $c{server}

    location /_push_api/ {
        internal;
        proxy_pass http://127.0.0.1:9/;
    }

    location /p/ {
        $c{loc}
    }

    $c{more}
}
EOF
}

my $AUTHY = "push_approval_provider authy;\n"
    . "    push_approval_api_key_file %%PREFIX%%/authy.key;";

sub no_secrets ($out, $name) {
    my @leak = grep { index($out, $SECRETS{$_}) >= 0 } sort keys %SECRETS;
    ok(!@leak, "$name: no secret in the output") or diag("leaked: @leak");
}

# the harness preloads the sanitizer run times for an ASan build
sub test_config ($http) {
    return $t->test_config($http);
}

sub bad ($name, $http, $re) {
    my ($rc, $out) = test_config($http);
    ok($rc != 0, "$name: rejected") or diag($out);
    like($out, $re, "$name: message") or diag($out);
    like($out, qr/\[emerg\]/, "$name: logged at emerg");
    no_secrets($out, $name);
}

sub good ($name, $http) {
    my ($rc, $out) = test_config($http);
    is($rc, 0, "$name: accepted") or diag($out);
    no_secrets($out, $name);
}

# ---- the base and the correct variants --------------------------------------

good('base configuration', conf());
good('authy provider', conf(provider => $AUTHY));
good('"/_push_api" without the slash', conf(api => 'push_approval_api /_push_api;'));
good('secret and credential files with empty lines and CRLF',
     conf(secret => 'push_approval_secret_file %%PREFIX%%/secret-crlf;',
          provider => "push_approval_verify_service $SVC;\n"
          . "push_approval_verify_credentials_file %%PREFIX%%/verify-crlf.cred;"));
good('authy key file with CRLF',
     conf(provider => "push_approval_provider authy;\n"
          . "push_approval_api_key_file %%PREFIX%%/authy-crlf.key;"));
good('API key credentials (no auth token) without a callback',
     conf(provider => "push_approval_verify_service $SVC;\n"
          . "push_approval_verify_credentials_file %%PREFIX%%/apikey.cred;"));
good('API key credentials with the auth token on line 2, callback',
     conf(provider => "push_approval_verify_service $SVC;\n"
          . "push_approval_verify_credentials_file %%PREFIX%%/apikey2.cred;",
          more => 'location = /_push/callback { push_approval_callback; }'));

# everything from the http level, push_approval on at the server level
good('inheritance from http and server',
     conf(http => "push_approval_api /_push_api;\n"
          . "push_approval_verify_service $SVC;\n"
          . "push_approval_verify_credentials_file %%PREFIX%%/verify.cred;\n"
          . 'push_approval_identity $remote_user;',
          api => '', provider => '', identity => '',
          server => 'push_approval zone=pa;', loc => '',
          more => 'location = /_push/wait { push_approval_wait; }
                   location = /metrics { push_approval_metrics; }
                   location = /_push/callback { push_approval_callback; }
                   location = /enroll { push_approval_enroll; }
                   location /open/ { push_approval off; }'));

# provider settings are checked only where they are used
good('no provider settings where nothing is protected',
     conf(api => '', provider => '', identity => '', loc => '',
          more => 'location = /metrics { push_approval_metrics; }'));
good('metrics without zone= reports every zone',
     conf(zone => "push_approval_zone zone=pa:1m;\n"
          . 'push_approval_zone zone=pb:1m;',
          more => 'location = /metrics { push_approval_metrics; }'));
good('handlers with zone= among several zones',
     conf(zone => "push_approval_zone zone=pa:1m;\n"
          . 'push_approval_zone zone=pb:1m;',
          loc => 'push_approval zone=pb;',
          more => 'location = /_push/wait { push_approval_wait zone=pb; }
                   location = /m { push_approval_metrics zone=pa; }'));
good('secret file not needed without push_approval',
     conf(secret => '', loc => '',
          more => 'location = /metrics { push_approval_metrics; }
                   location = /enroll { push_approval_enroll; }'));
good('push_approval off needs nothing',
     conf(secret => '', api => '', provider => '', identity => '',
          loc => 'push_approval off;'));
good('all the per-location directives',
     conf(loc => <<'EOF'));
push_approval zone=pa;
        push_approval_factor $http_x_factor;
        push_approval_message "Open $uri";
        push_approval_detail Host $host;
        push_approval_detail "Client IP" $remote_addr;
        push_approval_hidden_detail request $request_id;
        push_approval_logo default https://example.org/a.png;
        push_approval_logo low https://example.org/b.png;
        push_approval_timeout 90s;
        push_approval_mode redirect;
        push_approval_remember 0;
        push_approval_scope admin;
        push_approval_cookie pa_admin secure samesite=strict domain=example.org;
        push_approval_wait_uri /_push/wait;
        push_approval_fail open;
        push_approval_poll 0;
        push_approval_limit rate=10/m cooldown=1m;
        push_approval_code on;
        push_approval_callback_url https://gate.example.org/_push/callback;
        push_approval_callback_max_age 0;
EOF

# ---- wrong configurations ---------------------------------------------------

bad('unknown zone', conf(loc => 'push_approval zone=nope;'),
    qr/"push_approval" refers to unknown zone "nope"/);
bad('handler with an unknown zone',
    conf(more => 'location = /m { push_approval_metrics zone=nope; }'),
    qr/"push_approval_metrics" refers to unknown zone "nope"/);
bad('push_approval without push_approval_identity', conf(identity => ''),
    qr/"push_approval" requires "push_approval_identity"/);
bad('enroll without push_approval_identity',
    conf(identity => '', loc => '',
         more => 'location = /e { push_approval_enroll; }'),
    qr/"push_approval_enroll" requires "push_approval_identity"/);
bad('verify without credentials file',
    conf(provider => "push_approval_verify_service $SVC;"),
    qr/"push_approval" with the verify provider requires "push_approval_verify_credentials_file"/);
bad('verify without service',
    conf(provider => 'push_approval_verify_credentials_file %%PREFIX%%/verify.cred;'),
    qr/"push_approval" with the verify provider requires "push_approval_verify_service"/);
bad('authy without api key file',
    conf(provider => 'push_approval_provider authy;'),
    qr/"push_approval" with the authy provider requires "push_approval_api_key_file"/);
bad('missing push_approval_api', conf(api => ''),
    qr/"push_approval" requires "push_approval_api"/);
bad('wait page without push_approval_api',
    conf(api => '', loc => '',
         more => 'location = /w { push_approval_wait; }'),
    qr/"push_approval_wait" requires "push_approval_api"/);
bad('enroll without credentials',
    conf(provider => '', loc => '',
         more => 'location = /e { push_approval_enroll; }'),
    qr/"push_approval_enroll" with the verify provider requires "push_approval_verify_credentials_file"/);
bad('push_approval_api not a URI', conf(api => 'push_approval_api _push_api;'),
    qr/"push_approval_api" must be a URI prefix/);
bad('missing secret file',
    conf(secret => 'push_approval_secret_file %%PREFIX%%/nonexistent;'),
    qr/"push_approval_secret_file" cannot open .*nonexistent/);
bad('unreadable secret file (a directory)',
    conf(secret => 'push_approval_secret_file %%PREFIX%%/secretdir;'),
    qr/"push_approval_secret_file" cannot read .*secretdir/);
bad('short secret line',
    conf(secret => 'push_approval_secret_file %%PREFIX%%/secret-short;'),
    qr/"push_approval_secret_file": secret 2 .* is shorter than 32 bytes/);
bad('empty secret file',
    conf(secret => 'push_approval_secret_file %%PREFIX%%/secret-empty;'),
    qr/"push_approval_secret_file" file .* is empty/);
bad('no secret file with push_approval', conf(secret => ''),
    qr/"push_approval_secret_file" is required/);
bad('no secret file with the wait page',
    conf(secret => '', loc => '',
         more => 'location = /w { push_approval_wait; }'),
    qr/"push_approval_secret_file" is required/);
bad('secret file in a server',
    conf(secret => '', server => 'push_approval_secret_file %%PREFIX%%/secret;'),
    qr/"push_approval_secret_file" directive is not allowed here/);
bad('missing api key file',
    conf(provider => "push_approval_provider authy;\n"
         . 'push_approval_api_key_file %%PREFIX%%/nokey;'),
    qr/"push_approval_api_key_file" cannot open .*nokey/);
bad('missing credentials file',
    conf(provider => "push_approval_verify_service $SVC;\n"
         . 'push_approval_verify_credentials_file %%PREFIX%%/nocred;'),
    qr/"push_approval_verify_credentials_file" cannot open .*nocred/);
bad('malformed credentials line',
    conf(provider => "push_approval_verify_service $SVC;\n"
         . 'push_approval_verify_credentials_file %%PREFIX%%/bad.cred;'),
    qr/"push_approval_verify_credentials_file": line 1 .* must be/);
bad('invalid service SID',
    conf(provider => "push_approval_verify_service VA123;\n"
         . 'push_approval_verify_credentials_file %%PREFIX%%/verify.cred;'),
    qr/invalid "push_approval_verify_service" SID "VA123"/);
bad('service SID not hex',
    conf(provider => 'push_approval_verify_service VA' . ('x' x 32) . ";\n"
         . 'push_approval_verify_credentials_file %%PREFIX%%/verify.cred;'),
    qr/invalid "push_approval_verify_service" SID/);
bad('invalid time', conf(loc => "push_approval zone=pa;\npush_approval_timeout 5x;"),
    qr/"push_approval_timeout" directive invalid value/);
bad('zero timeout', conf(loc => "push_approval zone=pa;\npush_approval_timeout 0;"),
    qr/"push_approval_timeout" must be more than 0/);
bad('invalid remember', conf(loc => "push_approval zone=pa;\npush_approval_remember -1;"),
    qr/"push_approval_remember" directive invalid value/);
bad('invalid poll', conf(loc => "push_approval zone=pa;\npush_approval_poll often;"),
    qr/"push_approval_poll" directive invalid value/);
bad('invalid callback max age',
    conf(loc => "push_approval zone=pa;\npush_approval_callback_max_age 5 m;"),
    qr/invalid number of arguments in "push_approval_callback_max_age"/);
bad('duplicate push_approval',
    conf(loc => "push_approval zone=pa;\npush_approval zone=pa;"),
    qr/"push_approval" directive is duplicate/);
bad('duplicate push_approval_timeout',
    conf(loc => "push_approval zone=pa;\npush_approval_timeout 1s;\n"
         . 'push_approval_timeout 2s;'),
    qr/"push_approval_timeout" directive is duplicate/);
bad('duplicate push_approval_identity',
    conf(identity => 'push_approval_identity $a; push_approval_identity $b;'),
    qr/"push_approval_identity" directive is duplicate/);
bad('duplicate push_approval_api',
    conf(api => 'push_approval_api /a; push_approval_api /b;'),
    qr/"push_approval_api" directive is duplicate/);
bad('duplicate secret file',
    conf(http => 'push_approval_secret_file %%PREFIX%%/secret;'),
    qr/"push_approval_secret_file" directive is duplicate/);
bad('duplicate zone',
    conf(zone => "push_approval_zone zone=pa:1m;\npush_approval_zone zone=pa:1m;"),
    qr/duplicate "push_approval_zone" zone "pa"/);
bad('two handlers in a location',
    conf(more => 'location = /m { push_approval_metrics; push_approval_wait; }'),
    qr/"push_approval_wait".*already has a push approval handler/);
bad('unknown push_approval parameter', conf(loc => 'push_approval on;'),
    qr/invalid parameter "on" in "push_approval" directive/);
bad('unknown provider', conf(loc => "push_approval zone=pa;\npush_approval_provider duo;"),
    qr/invalid value "duo" in "push_approval_provider" directive, it must be "verify" or "authy"/);
bad('unknown mode', conf(loc => "push_approval zone=pa;\npush_approval_mode wait;"),
    qr/invalid value "wait" in "push_approval_mode" directive, it must be "auto", "hold" or "redirect"/);
bad('unknown fail mode', conf(loc => "push_approval zone=pa;\npush_approval_fail maybe;"),
    qr/invalid value "maybe" in "push_approval_fail"/);
bad('invalid flag', conf(loc => "push_approval zone=pa;\npush_approval_code yes;"),
    qr/invalid value "yes" in "push_approval_code" directive/);
bad('unknown handler parameter',
    conf(more => 'location = /m { push_approval_metrics all; }'),
    qr/invalid parameter "all" in "push_approval_metrics" directive/);
bad('zone without zone=', conf(zone => 'push_approval_zone pa:1m;'),
    qr/invalid parameter "pa:1m" in "push_approval_zone" directive/);
bad('zone without size', conf(zone => 'push_approval_zone zone=pa;'),
    qr/invalid zone "zone=pa" in "push_approval_zone" directive/);
bad('zone with a bad size', conf(zone => 'push_approval_zone zone=pa:lots;'),
    qr/invalid zone size "zone=pa:lots" in "push_approval_zone" directive/);
bad('zone too small', conf(zone => 'push_approval_zone zone=pa:1k;'),
    qr/"push_approval_zone" zone "pa" is too small/);
bad('zone with a bad name', conf(zone => 'push_approval_zone zone=p/a:1m;'),
    qr/invalid zone name "p\/a" in "push_approval_zone" directive/);
bad('zone outside http',
    conf(zone => '', server => 'push_approval_zone zone=pa:1m;'),
    qr/"push_approval_zone" directive is not allowed here/);
bad('handler without any zone',
    conf(zone => '', secret => '', loc => '',
         more => 'location = /metrics { push_approval_metrics; }'),
    qr/"push_approval_metrics" requires a "push_approval_zone"/);
bad('callback without zone= among several zones',
    conf(zone => "push_approval_zone zone=pa:1m;\n"
         . 'push_approval_zone zone=pb:1m;',
         more => 'location = /cb { push_approval_callback; }'),
    qr/"push_approval_callback" needs "zone=" when several/);
bad('wait page without zone= among several zones',
    conf(zone => "push_approval_zone zone=pa:1m;\n"
         . 'push_approval_zone zone=pb:1m;',
         more => 'location = /w { push_approval_wait; }'),
    qr/"push_approval_wait" needs "zone=" when several/);
bad('handler outside a location',
    conf(server => 'push_approval_metrics;'),
    qr/"push_approval_metrics" directive is not allowed here/);
bad('invalid cookie parameter',
    conf(loc => "push_approval zone=pa;\npush_approval_cookie pa httponly;"),
    qr/invalid "push_approval_cookie" parameter "httponly"/);
bad('invalid cookie samesite',
    conf(loc => "push_approval zone=pa;\npush_approval_cookie pa samesite=loose;"),
    qr/invalid "push_approval_cookie" parameter "samesite=loose"/);
bad('invalid cookie name',
    conf(loc => "push_approval zone=pa;\npush_approval_cookie \"p a\";"),
    qr/invalid "push_approval_cookie" name "p a"/);
bad('invalid cookie domain',
    conf(loc => "push_approval zone=pa;\npush_approval_cookie pa \"domain=a;b\";"),
    qr/invalid "push_approval_cookie" domain/);
bad('invalid limit rate',
    conf(loc => "push_approval zone=pa;\npush_approval_limit rate=5/s;"),
    qr/invalid "push_approval_limit" parameter "rate=5\/s"/);
bad('zero limit rate',
    conf(loc => "push_approval zone=pa;\npush_approval_limit rate=0/m;"),
    qr/"push_approval_limit" rate must be 1 to \d+ per minute/);
bad('invalid limit cooldown',
    conf(loc => "push_approval zone=pa;\npush_approval_limit rate=5/m cooldown=soon;"),
    qr/invalid "push_approval_limit" parameter "cooldown=soon"/);
bad('limit without rate',
    conf(loc => "push_approval zone=pa;\npush_approval_limit cooldown=1m;"),
    qr/"push_approval_limit" requires "rate=N\/m"/);
bad('invalid callback URL',
    conf(loc => "push_approval zone=pa;\npush_approval_callback_url /_push/callback;"),
    qr/"push_approval_callback_url" must be an absolute http:\/\/ or https:\/\/ URL/);
bad('callback URL with a space',
    conf(loc => "push_approval zone=pa;\n"
         . 'push_approval_callback_url "https://a.example/x y";'),
    qr/"push_approval_callback_url" must be an absolute/);
bad('invalid logo resolution',
    conf(loc => "push_approval zone=pa;\npush_approval_logo huge https://a.example/l.png;"),
    qr/invalid "push_approval_logo" resolution "huge"/);
bad('logo URL not https',
    conf(loc => "push_approval zone=pa;\npush_approval_logo low http://a.example/l.png;"),
    qr/"push_approval_logo" URL "http:\/\/a.example\/l.png" must start with "https:\/\/"/);
bad('detail label too long',
    conf(loc => "push_approval zone=pa;\npush_approval_detail " . ('L' x 37) . ' $host;'),
    qr/"push_approval_detail" label "L{37}" must be 1 to 36 characters/);
bad('hidden detail label empty',
    conf(loc => "push_approval zone=pa;\npush_approval_hidden_detail \"\" \$host;"),
    qr/"push_approval_hidden_detail" label "" must be 1 to 36 characters/);
bad('wait URI not a path',
    conf(loc => "push_approval zone=pa;\npush_approval_wait_uri _push/wait;"),
    qr/"push_approval_wait_uri" must be a URI starting with "\/"/);
bad('Authy callback without api key file',
    conf(provider => 'push_approval_provider authy;', loc => '',
         more => 'location = /cb { push_approval_callback; }'),
    qr/"push_approval_callback" requires "push_approval_api_key_file"/);
bad('Verify callback without auth token (API key, no line 2)',
    conf(provider => "push_approval_verify_service $SVC;\n"
         . "push_approval_verify_credentials_file %%PREFIX%%/apikey.cred;",
         loc => '', more => 'location = /cb { push_approval_callback; }'),
    qr/"push_approval_callback" requires "push_approval_verify_credentials_file" with the account's auth token/);
bad('Verify callback without credentials',
    conf(provider => '', loc => '',
         more => 'location = /cb { push_approval_callback; }'),
    qr/"push_approval_callback" requires "push_approval_verify_credentials_file"/);
bad('push_approval on at the server level without identity',
    conf(identity => '', loc => '', server => 'push_approval zone=pa;'),
    qr/"push_approval" requires "push_approval_identity"/);

# ---- issue 17: mistakes a new operator makes ---------------------------------

# the line "nginx -t" names holds the directive of the offending block
sub names_line ($name, $http, $re, $line_re) {
    my ($rc, $out) = test_config($http);
    ok($rc != 0, "$name: rejected") or diag($out);
    like($out, $re, "$name: message") or diag($out);
    my ($file, $n) = $out =~ /\[emerg\].*? in (\S+?):(\d+)\b/m;
    ok($file && $n, "$name: names a file and line") or return diag($out);
    my @lines = split /\n/, $t->read_file('conf/test.conf');
    like($lines[$n - 1] // '', $line_re, "$name: that line is the block's")
        or diag("line $n: " . ($lines[$n - 1] // 'none'));
    isnt($n, scalar @lines, "$name: not the closing brace of http");
}

names_line('requires names the location, not the end of http',
     conf(identity => '', loc => "push_approval zone=pa; # the block"),
     qr/"push_approval" requires "push_approval_identity"/,
     qr/push_approval zone=pa; # the block/);
{
    # a site in an included file: its file and line, not nginx.conf's
    $t->write_file('sites/admin.conf', <<'SITE');
server {
    listen 127.0.0.1:9;
    push_approval_api /_push_api/;

    location /_push_api/ { internal; }

    location / {
        push_approval zone=pa;
    }
}
SITE
    my ($rc, $out) = test_config("push_approval_zone zone=pa:1m;\n"
        . "push_approval_secret_file %%PREFIX%%/secret;\n"
        . "include %%PREFIX%%/sites/admin.conf;\n");
    like($out, qr/"push_approval" requires "push_approval_identity" in \S+\/sites\/admin\.conf:8$/m,
         'an included site: its own file and line');
}
names_line('handler requires names its location',
     conf(identity => '', loc => '',
          more => 'location = /e { push_approval_enroll; } # enroll here'),
     qr/"push_approval_enroll" requires "push_approval_identity"/,
     qr/# enroll here/);
names_line('secret file required names where push_approval is used',
     conf(secret => '', loc => "push_approval zone=pa; # first use"),
     qr/"push_approval_secret_file" is required .* \(first used in \S+:\d+\)/,
     qr/# first use/);

# the wait URI served by the protected location: a redirect loop
names_line('wait URI inside the protected location',
     conf(loc => "push_approval zone=pa; # loop\n"
          . "push_approval_wait_uri /p/wait;"),
     qr/"push_approval_wait_uri" "\/p\/wait" leads to the protected location "\/p\/": browsers would be redirected in a loop/,
     qr/# loop/);
names_line('no wait location under a protected "location /"',
     conf(more => 'location / { push_approval zone=pa; } # root'),
     qr/"push_approval_wait_uri" "\/_push\/wait" leads to the protected location "\/"/,
     qr/# root/);
names_line('wait URI under a protected regex location',
     conf(loc => '',
          more => 'location ~ ^/_push/ { push_approval zone=pa; } # re'),
     qr/leads to the protected location "\^\/_push\/"/, qr/# re/);
good('hold mode never redirects: no wait location needed',
     conf(more => "location / { push_approval zone=pa;\n"
          . "push_approval_mode hold; }\n"
          . 'location = /_push/wait { push_approval_wait; }'));
good('a wait location makes "location /" right',
     conf(more => "location / { push_approval zone=pa; }\n"
          . 'location = /_push/wait { push_approval_wait; }'));
good('a server whose "location /" is off needs no provider location',
     conf(http => "push_approval zone=pa;\n"
          . "push_approval_api /_push_api/;\n"
          . "push_approval_verify_service $SVC;\n"
          . "push_approval_verify_credentials_file %%PREFIX%%/verify.cred;\n"
          . "push_approval_identity \$remote_user;\n"
          . "server { listen 127.0.0.1:%%PORT%%; server_name other;\n"
          . "    location / { push_approval off; } }",
          api => '', provider => '', identity => '', loc => '',
          more => 'location = /_push/wait { push_approval_wait; }'));
{
    my ($rc, $out) = test_config(conf());
    like($out, qr/\[warn\].*"push_approval_wait_uri" "\/_push\/wait" leads to no "push_approval_wait" location/,
         'no wait location at all: a warning (another host may serve it)');
}

# push_approval_api with a typo, or a provider location that is not internal
names_line('push_approval_api typo lands in the site',
     conf(api => 'push_approval_api /_push_ap/;',
          more => 'location / { proxy_pass http://127.0.0.1:9; }',
          loc => 'push_approval zone=pa; # typo'),
     qr/"push_approval_api" "\/_push_ap" leads to location "\/", which is not "internal"/,
     qr/# typo/);
bad('push_approval_api matches no location',
    conf(api => 'push_approval_api /nowhere/;'),
    qr/"push_approval_api" "\/nowhere" matches no location in server/);
bad('provider location without internal',
    conf(more => 'location /_push_api2/ { proxy_pass http://127.0.0.1:9/; }',
         api => 'push_approval_api /_push_api2/;'),
    qr/"push_approval_api" "\/_push_api2" leads to location "\/_push_api2\/", which is not "internal"/);
bad('provider location without internal, from the wait location',
    conf(loc => '', api => 'push_approval_api /_push_api2/;',
         more => "location /_push_api2/ { proxy_pass http://127.0.0.1:9/; }\n"
         . 'location = /_push/wait { push_approval_wait; }'),
    qr/"push_approval_api" "\/_push_api2" leads to location "\/_push_api2\/", which is not "internal"/);

# values that parse but cannot work
{
    my ($rc, $out) = test_config(conf(loc => "push_approval zone=pa;\n"
                                      . 'push_approval_timeout 10s;'));
    is($rc, 0, 'a short timeout is accepted (tests use them)');
    like($out, qr/\[warn\].*"push_approval_timeout" of 10000 ms is below the 30 s minimum/,
         'a timeout below 30 s: a warning');
    ($rc, $out) = test_config(conf(loc => "push_approval zone=pa;\n"
                                   . 'push_approval_timeout 30s;'));
    unlike($out, qr/push_approval_timeout/, '30 s: no warning');
}
$t->write_file('short-sid.cred', "ACaaaa:tok\n");
$t->write_file('upper-sid.cred', 'AC' . ('A' x 32) . ":tok\n");
bad('credentials with a short account SID',
    conf(provider => "push_approval_verify_service $SVC;\n"
         . "push_approval_verify_credentials_file %%PREFIX%%/short-sid.cred;"),
    qr/line 1 of "\S+short-sid.cred" must start with an account SID \("AC"\) or API key SID \("SK"\) of 32 hex digits/);
bad('credentials with a SID that is not hex',
    conf(provider => "push_approval_verify_service $SVC;\n"
         . "push_approval_verify_credentials_file %%PREFIX%%/upper-sid.cred;"),
    qr/must start with an account SID/);
bad('limit without rate= says the syntax',
    conf(loc => "push_approval zone=pa;\npush_approval_limit 5/m;"),
    qr/invalid "push_approval_limit" parameter "5\/m", expected "rate=N\/m \[cooldown=TIME\]"/);
bad('too many details names the limit',
    conf(loc => "push_approval zone=pa;\n"
         . join("\n", map { "push_approval_detail D$_ x;" } 1 .. 20)),
    qr/too many "push_approval_detail" directives, at most 19/);


# ---- a running nginx: handler locations are not enforced ---------------------

my $http = conf(loc => '', server => 'push_approval zone=pa;
    push_approval_mode hold;
    push_approval_timeout 2s;', more => <<'EOF');
    location = /metrics { push_approval_metrics; }
    location = /_push/wait { push_approval_wait; }
    location = /_push/callback { push_approval_callback; }
    location /b/ {
        auth_basic "first factor";
        auth_basic_user_file %%PREFIX%%/htpasswd;
    }
EOF

my $hash = `openssl passwd -apr1 pw`;
chomp $hash;
$t->write_file('htpasswd', "alice:$hash\n");
$t->write_file('html/b/index.html', "B\n");

$t->start($http);

my $r = $t->get('/metrics', headers => { 'X-User' => 'alice-0001' },
                timeout => 5);
is($r && $r->{status}, 200, 'metrics handler under push_approval: served');
like($r && $r->{body}, qr/nginx_push_approval_requests_total/,
     'metrics handler: the metrics');

$r = $t->get('/_push/wait?t=bogus', headers => { 'X-User' => 'alice-0001',
             Accept => 'text/html' }, timeout => 5);
is($r && $r->{status}, 400, 'wait handler under push_approval: served (400)');

$r = $t->request('POST', '/_push/callback',
                 headers => { 'X-User' => 'alice-0001',
                              'Content-Type' =>
                                  'application/x-www-form-urlencoded' },
                 body => 'type=challenge.approved&challenge_sid=x',
                 timeout => 5);
is($r && $r->{status}, 401, 'callback handler under push_approval: served');

# the server level itself is protected: the provider is unreachable
$r = $t->get('/p/', headers => { 'X-User' => 'alice-0001' }, timeout => 5);
is($r && $r->{status}, 503, 'protected location: enforced (provider down)');
$r = $t->get('/p/', timeout => 5);
is($r && $r->{status}, 403, 'protected location: no identity');

# the first factor runs before the approval: no push for a wrong password
use MIME::Base64 qw(encode_base64);
$r = $t->get('/b/', headers => { 'X-User' => 'alice-0001',
             Authorization => 'Basic ' . encode_base64('alice:wrong', '') },
             timeout => 5);
is($r && $r->{status}, 401, 'wrong password: 401 before any approval');
$r = $t->get('/b/', headers => { 'X-User' => 'alice-0001',
             Authorization => 'Basic ' . encode_base64('alice:pw', '') },
             timeout => 5);
is($r && $r->{status}, 503, 'right password: then the approval (provider down)');

# the secret never appears in the error log (debug level)
$t->stop;
my $log = $t->read_file('logs/error.log') . $t->read_file('logs/stderr.log');
no_secrets($log, 'error log');

# ---- "/_push_api" and "/_push_api/" reach the same provider paths ----------

use Sandbox;

my $sb = Sandbox->start(seed => 1);
my $t2 = NginxTest->new(workers => 1);
$t2->write_file('secret', "$SECRET\n");
$t2->write_file('verify.cred', $sb->account_sid . ':' . $sb->auth_token . "\n");

my $sbport = $sb->port;
my $svc = $sb->verify_service;
my $servers = '';

for my $n (1, 2) {
    my $api = $n == 1 ? '/_push_api' : '/_push_api/';
    my $port = $n == 1 ? '%%PORT%%' : '%%PORT2%%';
    $servers .= <<"EOF";
server {
    listen 127.0.0.1:$port;
    push_approval_api $api;
    push_approval_verify_service $svc;
    push_approval_verify_credentials_file %%PREFIX%%/verify.cred;
    push_approval_identity \$http_x_user;

    location /_push_api/ {
        internal;
        proxy_pass http://127.0.0.1:$sbport/;
    }

    location = /enroll {
        push_approval_enroll first=open;
    }
}
EOF
}

$t2->start("push_approval_zone zone=pa:1m;\n$servers");

# a first device (first=open): the device look-up, then the access token
for my $n (0, 1) {
    $sb->clear_calls;
    my $r = $t2->request('POST', '/enroll', port => $t2->port($n),
                         headers => { 'X-User' => "first-dev-$n" });
    is($r && $r->{status}, 200, "api prefix $n: enrolment works");
    my $calls = $sb->calls;
    is(scalar @$calls, 2, "api prefix $n: two provider calls");
    is($calls->[0]{path}, "/v2/Services/$svc/Entities/first-dev-$n/Factors",
       "api prefix $n: joined with exactly one slash (devices)");
    is($calls->[1]{path}, "/v2/Services/$svc/AccessTokens",
       "api prefix $n: joined with exactly one slash");
}

$t2->stop;
ok(!$t2->problems, 'second nginx: no alerts');

$t->done_testing;
