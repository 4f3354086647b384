#!/usr/bin/perl
# The waiting page (SPEC 6): the HTML page and its JSON status endpoint,
# the long-poll, the remember cookie issued only to the browser holding the
# wait cookie, per-scope cookie names, invalid and foreign tokens, the
# provider poll of the status endpoint, and a page completed on a second
# nginx with the same secret.
use v5.36;
use Test::More;
use JSON::PP;
use Digest::SHA;
use MIME::Base64 ();
use Time::HiRes qw(time sleep);
use lib 't/lib';
use NginxTest;
use PushTest;

my $module = $ENV{TEST_NGINX_MODULE}
    || "$NginxTest::ROOT/build/ngx_http_push_approval_module.so";
plan skip_all => "no module at $module" unless -f $module;

my $JSON = JSON::PP->new->utf8;

my ($t, $sb) = PushTest::setup(
    protected => 'push_approval_poll 0;',
    server => <<'EOF',
    location /s/ {
        push_approval zone=pa;
        push_approval_scope $arg_scope;
        push_approval_cookie pa secure samesite=strict;
        push_approval_remember 10m;
        push_approval_poll 0;
        alias %%PREFIX%%/html/p/;
    }

    location /short/ {
        push_approval zone=pa;
        push_approval_timeout 2s;
        push_approval_poll 0;
        alias %%PREFIX%%/html/p/;
    }
EOF
);

my $cb = $t->url('/_push/callback');
$sb->config(verify_callback_url => $cb);

my $n = 0;

# a new verified Verify identity for each approval, so tests stay apart
sub user () {
    my $id = sprintf 'user-%04d', ++$n;
    $sb->add_entity($id);
    return $id;
}

# GET a protected URL as a browser: (302 response, wait URI, wait cookie)
sub browse ($id, $path, %o) {
    my $r = ($o{t} // $t)->get($path, headers => {
        'X-User' => $id, Accept => 'text/html,application/xhtml+xml',
        %{ $o{headers} // {} } });
    return ($r) unless $r && $r->{status} == 302;
    my $loc = $r->{headers}{location} // '';
    $loc =~ s{^https?://[^/]+}{};
    my ($wait) = grep { /_wait_[0-9a-f]{8}=/ } @{ $r->{cookies} };
    $wait =~ s/;.*// if defined $wait;
    return ($r, $loc, $wait);
}

sub json ($r) { return eval { $JSON->decode($r->{body}) } // {} }

sub status ($loc, %o) {
    my $r = ($o{t} // $t)->get("$loc&format=json", timeout => $o{timeout} // 30,
        headers => { defined $o{cookie} ? (Cookie => $o{cookie}) : () });
    return ($r, json($r));
}

sub approval ($id) { return $sb->wait_approval(identity => $id) }

# ---- one long-poll left pending: answered "pending" after 25 s --------------

my ($lp, $lp_start);
{
    my $id = user();
    my (undef, $loc, $wait) = browse($id, '/p/index.html');
    $lp_start = time;
    $lp = $t->send('GET', "$loc&format=json", headers => { Cookie => $wait });
}

# ---- the page -------------------------------------------------------------

{
    my $id = user();
    my ($r, $loc, $wait) = browse($id, '/p/index.html?a=1&b=%3Cx%3E');
    is($r->{status}, 302, 'redirect to the waiting page');
    like($loc, qr{^/_push/wait\?t=[A-Za-z0-9_-]+$}, 'to the wait URI');

    my $p = $t->get($loc, headers => { Cookie => $wait });
    is($p->{status}, 200, 'page 200');
    like($p->{headers}{'content-type'}, qr{^text/html}, 'html');
    like($p->{body}, qr{Approve access to gate\.test/p/index\.html},
         'the message');
    like($p->{body}, qr{id="left" data-left="(\d+)">\d+</span>},
         'a countdown');
    my ($left) = $p->{body} =~ /data-left="(\d+)"/;
    ok($left > 50 && $left <= 60, "countdown from the timeout ($left)");
    like($p->{body},
         qr{<noscript><meta http-equiv="refresh" content="\d+"></noscript>},
         'meta refresh inside noscript');
    like($p->{body}, qr{phone}i, 'guidance');
    unlike($p->{body}, qr{(?:src|href)="(?:https?:)?//}i,
           'no external assets');
    unlike($p->{body}, qr{<(?:img|link|iframe)\b}i, 'no linked resources');
    my $csp = $p->{headers}{'content-security-policy'} // '';
    like($csp, qr{default-src 'none'}, 'CSP default-src none');
    my ($nonce) = $csp =~ /script-src 'nonce-([^']+)'/;
    ok($nonce, 'script by nonce only');
    unlike($csp, qr{unsafe-inline|unsafe-eval|\*}, 'no unsafe CSP sources');
    like($p->{body}, qr{<script nonce="\Q$nonce\E">}, 'script has the nonce')
        if $nonce;
    like($csp, qr{frame-ancestors 'none'}, 'not framed');
    is($p->{headers}{'cache-control'}, 'no-store', 'not cached');
    like($p->{body}, qr{href="/p/index\.html\?a=1&amp;b=%3Cx%3E"},
         'return link, escaped');
    is_deeply($p->{cookies}, [], 'no cookie while pending');

    my ($j, $s) = status($loc, cookie => $wait, timeout => 0.5);
    is($j, undef, 'pending status is held (long-poll)');

    # a decision releases the long-poll at once
    my $a = approval($id);
    my $h = $t->send('GET', "$loc&format=json",
                     headers => { Cookie => $wait });
    sleep 0.3;
    my $t0 = time;
    $sb->decide($a->{id}, 'approved');
    $j = $t->read($h, 5);
    my $dt = time - $t0;
    ok($j && $dt < 1, sprintf 'long-poll answered in %.2f s', $dt);
    $s = json($j);
    is($s->{status}, 'approved', 'approved');
    is($s->{return}, '/p/index.html?a=1&b=%3Cx%3E', 'return URI');
    like($j->{headers}{'content-type'}, qr{^application/json}, 'json');
    my ($c) = grep { /^push_approval=/ } @{ $j->{cookies} };
    ok($c, 'remember cookie set');
    like($c // '', qr{; Path=/;}, 'Path=/');
    like($c // '', qr{; HttpOnly}, 'HttpOnly');
    like($c // '', qr{; SameSite=Lax}, 'SameSite=Lax');
    like($c // '', qr{; Max-Age=3600\b}, 'Max-Age = remember');
    unlike($c // '', qr{Secure}, 'not Secure on http');

    # without the wait cookie, or with another one: no remember cookie
    ($j, $s) = status($loc);
    is($s->{status}, 'approved', 'approved without the wait cookie');
    is_deeply($j->{cookies}, [], 'but no remember cookie');
    my ($wait_name) = $wait =~ /^([^=]+)=/;
    ($j, $s) = status($loc, cookie => "$wait_name=AAAAAAAAAAAAAAAAAAAAAA");
    is_deeply($j->{cookies}, [], 'nor with a wrong wait cookie');

    # the HTML page goes on to the return URI, with the cookie
    my $hp = $t->get($loc, headers => { Cookie => $wait });
    is($hp->{status}, 303, 'approved page redirects');
    is($hp->{headers}{location} =~ s{^https?://[^/]+}{}r,
       '/p/index.html?a=1&b=%3Cx%3E', 'to the return URI');
    ok((grep { /^push_approval=/ } @{ $hp->{cookies} }),
       'page sets the remember cookie');
    $hp = $t->get($loc);
    is_deeply($hp->{cookies}, [], 'no cookie for the page without it');

    # the cookie lets the protected location through, no new push
    my $before = @{ $sb->approvals(identity => $id) };
    $c =~ s/;.*//;
    my $ok = $t->get('/p/index.html', headers => {
        'X-User' => $id, Accept => 'text/html', Cookie => $c });
    is($ok->{status}, 200, 'remembered');
    like($ok->{body}, qr/SECRET CONTENT/, 'content');
    is(scalar @{ $sb->approvals(identity => $id) }, $before, 'no new push');
}

# ---- denied, expired, timeout ---------------------------------------------

{
    my $id = user();
    my (undef, $loc, $wait) = browse($id, '/p/index.html');
    $sb->decide(approval($id)->{id}, 'denied');
    sleep 0.3;
    my ($j, $s) = status($loc, cookie => $wait, timeout => 5);
    is($s->{status}, 'denied', 'denied');
    is_deeply($j->{cookies}, [], 'no cookie when denied');
    my $p = $t->get($loc, headers => { Cookie => $wait });
    is($p->{status}, 200, 'denied page');
    like($p->{body}, qr{denied}i, 'says denied');
    like($p->{body}, qr{<a id="again" href="/p/index\.html">Try again</a>},
         'with a visible link back');
    unlike($p->{body}, qr{http-equiv="refresh"[^>]*>(?!.*-->)}s,
           'no refresh once decided');
}

{
    my $id = user();
    my (undef, $loc, $wait) = browse($id, '/p/index.html');
    $sb->expire(approval($id)->{id});
    # no callback for expiry: the status endpoint asks the provider
    my ($j, $s) = status($loc, cookie => $wait, timeout => 10);
    is($s->{status}, 'expired', 'expired at the provider');
}

{
    my $id = user();
    my (undef, $loc, $wait) = browse($id, '/short/index.html');
    my $t0 = time;
    my ($j, $s) = status($loc, cookie => $wait, timeout => 10);
    is($s->{status}, 'expired', 'expired after push_approval_timeout');
    ok(time - $t0 < 5, 'soon after the timeout');
    my $p = $t->get($loc, headers => { Cookie => $wait });
    like($p->{body}, qr{not answered in time}, 'page says expired');
}

# ---- the status endpoint polls the provider (the location's poll is 0) ----

{
    my $id = user();
    my (undef, $loc, $wait) = browse($id, '/p/index.html');
    my $a = approval($id);
    $sb->clear_calls;
    $sb->decide($a->{id}, 'approved', callback => 0);
    my $t0 = time;
    my ($j, $s) = status($loc, cookie => $wait, timeout => 10);
    is($s->{status}, 'approved', 'decision found by a provider poll');
    ok(time - $t0 < 3.5, sprintf 'within %.2f s', time - $t0);

    # at most one poll every 2 s while pending
    my $id2 = user();
    (undef, $loc, $wait) = browse($id2, '/p/index.html');
    my $a2 = approval($id2);
    $sb->clear_calls;
    my @h = map { $t->send('GET', "$loc&format=json",
                           headers => { Cookie => $wait }) } 1 .. 3;
    sleep 4.5;
    my $polls = grep { $_->{method} eq 'GET' && $_->{path} =~ /\Q$a2->{id}\E/ }
                @{ $sb->calls };
    ok($polls >= 1 && $polls <= 3, "$polls polls in 4.5 s by 3 long-polls");
    $sb->decide($a2->{id}, 'denied');
    my $rs = $t->read(\@h, 5);
    is(scalar(grep { $_ && json($_)->{status} eq 'denied' } @$rs), 3,
       'all long-polls released');
}

# ---- the provider cannot be asked -----------------------------------------

{
    my $id = user();
    my (undef, $loc, $wait) = browse($id, '/p/index.html');
    my $a = approval($id);
    $sb->fail(count => 5, status => 500, path => $a->{id});
    my ($j, $s) = status($loc, cookie => $wait, timeout => 10);
    is($s->{status}, 'error', 'error while the provider fails');
    my $p = $t->get($loc, headers => { Cookie => $wait });
    like($p->{body}, qr{cannot be reached}, 'page says so');
    like($p->{body}, qr{<noscript><meta http-equiv="refresh"},
         'and keeps refreshing');
}

# ---- per-scope cookies with their attributes ------------------------------

{
    my $id = user();
    my %name;
    for my $scope (qw(one two)) {
        my (undef, $loc, $wait) = browse($id, "/s/index.html?scope=$scope");
        like($wait // '', qr/^pa_[0-9a-f]{8}_wait_[0-9a-f]{8}=/, "$scope: wait cookie");
        my $a = $sb->wait_approval(identity => $id,
                                   exclude => [ values %name ]);
        $sb->decide($a->{id}, 'approved');
        my ($j, $s) = status($loc, cookie => $wait, timeout => 5);
        my ($c) = grep { /^pa_/ } @{ $j->{cookies} };
        like($c // '', qr/^pa_[0-9a-f]{8}=/, "$scope: scoped name");
        like($c // '', qr/; Max-Age=600\b/, "$scope: Max-Age");
        like($c // '', qr/; SameSite=Strict/, "$scope: SameSite");
        like($c // '', qr/; Secure/, "$scope: Secure");
        $name{$scope} = $a->{id};
        $name{"c$scope"} = $c =~ s/;.*//r;
    }
    isnt(($name{cone} =~ /^([^=]+)/)[0], ($name{ctwo} =~ /^([^=]+)/)[0],
         'two scopes, two cookie names');
    my $r = $t->get('/s/index.html?scope=two', headers => {
        'X-User' => $id, Accept => 'text/html',
        Cookie => "$name{cone}; $name{ctwo}" });
    is($r->{status}, 200, 'both cookies kept, scope two passes');
}

# ---- invalid tokens ---------------------------------------------------------

{
    my $id = user();
    my (undef, $loc, $wait) = browse($id, '/p/index.html?q=1');
    my ($tok) = $loc =~ /t=(.*)/;

    my @bad = (
        [ 'tampered', substr($tok, 0, 20)
                      . (substr($tok, 20, 1) eq 'A' ? 'B' : 'A')
                      . substr($tok, 21) ],
        [ 'truncated', substr($tok, 0, -4) ],
        [ 'garbage', 'x' x 40 ],
        [ 'empty', '' ],
    );

    for my $b (@bad) {
        my $r = $t->get("/_push/wait?t=$b->[1]&format=json",
                        headers => { Cookie => $wait });
        is($r->{status}, 400, "$b->[0]: 400");
        is($r->{body} =~ s/\s+$//r, '{"status":"invalid"}',
           "$b->[0]: invalid");
        $r = $t->get("/_push/wait?t=$b->[1]", headers => { Cookie => $wait });
        is($r->{status}, 400, "$b->[0]: page 400");
        like($r->{body}, qr{<a id="again" href="/">}, "$b->[0]: link back");
    }

    my $r = $t->get('/_push/wait?format=json');
    is($r->{status}, 400, 'no token: 400');
    $r = $t->request('POST', "$loc&format=json");
    is($r->{status}, 405, 'POST not allowed');
}

# ---- tokens past their time (made with an old clock) ------------------------

sub forge (%o) {
    my $secret = $t->read_file('secret') =~ s/\s+$//r;
    my $now = time;
    my $created = int($now) - ($o{age} // 0);
    my $timeout = $o{timeout} // 60;
    my $expires = $o{expires} // $created + $timeout + 300;
    my @f = ($o{id} // 'YC' . ('0' x 32), $o{identity} // 'nobody-01', '',
             $o{return} // '/p/index.html', 'Approve old', 'push_approval',
             '', pack('Q>Q>Q>Q>CCCC', $expires, 3600, $created, $timeout, 0,
                      0, 0, 0),
             substr(Digest::SHA::sha256('wait-cookie-value'), 0, 16),
             "\0" x 32);     # the cookie binding
    my $data = 'T1';
    $data .= pack('Cn', $_ + 1, length $f[$_]) . $f[$_] for 0 .. $#f;
    $data .= Digest::SHA::hmac_sha256($data, $secret);
    return MIME::Base64::encode_base64url($data);
}

{
    my $ok = forge();
    my $r = $t->get("/_push/wait?t=$ok&format=json",
                    headers => { Cookie => 'push_approval_wait=x' },
                    timeout => 0.5);
    ok(!$r || $r->{status} == 200, 'a fresh forged token is accepted');

    for my $case ([ 'older than timeout + 5 min', age => 361 ],
                  [ 'past its expiry', age => 10, expires => time - 1 ],
                  [ 'created too long ago', age => 400,
                    expires => time + 3600 ])
    {
        my ($name, %o) = @$case;
        my $tok = forge(%o, return => '/p/old.html');
        $r = $t->get("/_push/wait?t=$tok&format=json");
        is($r->{status}, 400, "$name: 400");
        is($r->{body} =~ s/\s+$//r, '{"status":"invalid"}', "$name: invalid");
        $r = $t->get("/_push/wait?t=$tok");
        is($r->{status}, 400, "$name: page 400");
        like($r->{body}, qr{<a id="again" href="/p/old\.html">},
             "$name: page links back to the return URI");
    }

    my $tok = forge(age => 280);
    $r = $t->get("/_push/wait?t=$tok&format=json", timeout => 5);
    is(json($r)->{status}, 'expired', 'past the timeout, within 5 min: '
       . 'expired, not invalid');
}

# ---- a second nginx with the same secret; and a foreign one ---------------

{
    my $t2 = NginxTest->new(workers => 1);
    $t2->write_file('secret', "other-line-that-is-long-enough-0123456789ab\n"
                    . $t->read_file('secret'));
    $t2->write_file('verify.cred',
                    $sb->account_sid . ':' . $sb->auth_token . "\n");
    $t2->write_file('html/p/index.html', "SECRET CONTENT\n");
    $t2->start(PushTest::config(sb => $sb));

    my $t3 = NginxTest->new(workers => 1);
    $t3->write_file('secret', NginxTest::secret_line() . "\n");
    $t3->write_file('verify.cred',
                    $sb->account_sid . ':' . $sb->auth_token . "\n");
    $t3->start(PushTest::config(sb => $sb));

    my $id = user();
    my (undef, $loc, $wait) = browse($id, '/p/index.html');

    my $r = $t3->get("$loc&format=json", headers => { Cookie => $wait });
    is($r->{status}, 400, 'foreign secret: 400');
    is($r->{body} =~ s/\s+$//r, '{"status":"invalid"}', 'foreign: invalid');
    $r = $t3->get($loc, headers => { Cookie => $wait });
    is($r->{status}, 400, 'foreign secret: page 400');

    my $p = $t2->get($loc, headers => { Cookie => $wait });
    is($p->{status}, 200, 'second host renders the page (rotated secret)');
    like($p->{body}, qr{Approve access to gate\.test/p/index\.html},
         'with the message from the token');

    # no callback reaches the second host: it asks the provider
    $sb->decide(approval($id)->{id}, 'approved', callback => 0);
    my ($j, $s) = status($loc, t => $t2, cookie => $wait, timeout => 10);
    is($s->{status}, 'approved', 'completed on the second host');
    my ($c) = grep { /^push_approval=/ } @{ $j->{cookies} };
    ok($c, 'second host issues the cookie');
    $c =~ s/;.*// if $c;
    $r = $t2->get('/p/index.html', headers => {
        'X-User' => $id, Accept => 'text/html', Cookie => $c // '' });
    is($r->{status}, 200, 'the cookie lets the second host through');

    $t3->stop;
    $t2->stop;
    ok(!$t2->problems, 'second host: no alerts');
}

{
    my $r = $t->read($lp, $lp_start + 30 - time);
    my $dt = time - $lp_start;
    is(json($r)->{status}, 'pending', 'long-poll: pending when nothing '
       . 'happened');
    ok($dt > 24 && $dt < 27, sprintf 'after 25 s (%.1f s)', $dt);
}

$t->done_testing;
