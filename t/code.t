#!/usr/bin/perl
# push_approval_code on (SPEC 4 step 5): requests that would be held get 401
# with the wait URI and a two-digit code, in hold mode too; the code is shown
# on the waiting page and sent to the phone as the detail "Code"; a client
# that keeps cookies follows the wait URI to its remember cookie.
use v5.36;
use Test::More;
use JSON::PP;
use Time::HiRes qw(time);
use lib 't/lib';
use NginxTest;
use PushTest;

my $module = $ENV{TEST_NGINX_MODULE}
    || "$NginxTest::ROOT/build/ngx_http_push_approval_module.so";
plan skip_all => "no module at $module" unless -f $module;

my $JSON = JSON::PP->new->utf8;

for my $provider (qw(verify authy)) {
    my ($t, $sb) = PushTest::setup(
        provider => $provider,
        protected => 'push_approval_code on; push_approval_poll 0;',
        server => <<'EOF',
    location /h/ {
        push_approval zone=pa;
        push_approval_code on;
        push_approval_mode hold;
        push_approval_poll 0;
        alias %%PREFIX%%/html/p/;
    }
EOF
    );
    $sb->config($provider eq 'verify'
                ? (verify_callback_url => $t->url('/_push/callback'))
                : (authy_callback_url => $t->url('/_push/callback')));

    my $n = 0;
    my $user = sub {
        return $PushTest::IDENTITY{authy} if $provider eq 'authy';
        my $id = sprintf 'code-%04d', ++$n;
        $sb->add_entity($id);
        return $id;
    };

    # API client: 401 with JSON, at once
    my $id = $user->();
    my $t0 = time;
    my $r = $t->get('/p/index.html', headers => {
        'X-User' => $id, Accept => 'application/json' }, timeout => 5);
    ok($r && time - $t0 < 2, "$provider: answered at once, not held");
    is($r->{status}, 401, "$provider: 401");
    like($r->{headers}{'content-type'}, qr{^application/json},
         "$provider: json");
    my $j = eval { $JSON->decode($r->{body}) } // {};
    is($j->{status}, 'pending', "$provider: pending");
    like($j->{wait}, qr{^/_push/wait\?t=[A-Za-z0-9_-]+$},
         "$provider: wait URI");
    like($j->{code}, qr/^[1-9][0-9]$/, "$provider: two-digit code");
    ok($j->{code} >= 10 && $j->{code} <= 99, "$provider: code 10-99");
    my ($wait) = grep { /_wait_[0-9a-f]{8}=/ } @{ $r->{cookies} };
    like($wait // '', qr{; Path=/_push/wait; .*HttpOnly},
         "$provider: wait cookie");
    $wait =~ s/;.*// if $wait;

    # sent to the phone as the detail "Code"
    my $a = $sb->wait_approval(identity => $id);
    my %d = ref $a->{details} eq 'HASH' ? %{ $a->{details} }
          : map { $_->{label} => $_->{value} } @{ $a->{details} };
    is($d{Code}, $j->{code}, "$provider: detail Code on the phone");

    # a second request joins the push with the same code
    my $r2 = $t->get('/p/index.html', headers => { 'X-User' => $id });
    my $j2 = eval { $JSON->decode($r2->{body}) } // {};
    is($j2->{code}, $j->{code}, "$provider: same push, same code");
    is(scalar @{ $sb->approvals(identity => $id, status => 'pending') }, 1,
       "$provider: one push");

    # shown on the waiting page
    my $p = $t->get($j->{wait}, headers => { Cookie => $wait });
    like($p->{body}, qr{<p class="code"[^>]*>\Q$j->{code}\E</p>},
         "$provider: code on the page");

    # the client follows the wait URI to its remember cookie
    $sb->decide($a->{id}, 'approved');
    my $s = $t->get("$j->{wait}&format=json", headers => { Cookie => $wait },
                    timeout => 5);
    is((eval { $JSON->decode($s->{body}) } // {})->{status}, 'approved',
       "$provider: approved");
    my ($c) = grep { /^push_approval=/ } @{ $s->{cookies} };
    ok($c, "$provider: remember cookie");
    $c =~ s/;.*// if $c;
    $r = $t->get('/p/index.html', headers => {
        'X-User' => $id, Cookie => $c // '' });
    is($r->{status}, 200, "$provider: then passes");

    # hold mode: never held either
    if ($provider eq 'verify') {
        my $id = $user->();
        $t0 = time;
        $r = $t->get('/h/index.html', headers => {
            'X-User' => $id, Accept => 'text/html' }, timeout => 5);
        is($r->{status}, 401, 'hold mode: 401');
        ok(time - $t0 < 2, 'hold mode: not held');
        $j = eval { $JSON->decode($r->{body}) } // {};
        like($j->{code}, qr/^[1-9][0-9]$/, 'hold mode: code');

        # a browser is still redirected, and its page shows the code
        $id = $user->();
        $r = $t->get('/p/index.html', headers => {
            'X-User' => $id, Accept => 'text/html' });
        is($r->{status}, 302, 'browser redirected');
        my $loc = $r->{headers}{location} =~ s{^https?://[^/]+}{}r;
        $p = $t->get($loc);
        my ($code) = $p->{body} =~ m{<p class="code"[^>]*>(\d+)</p>};
        like($code // '', qr/^[1-9][0-9]$/, 'code on the page');
        $a = $sb->wait_approval(identity => $id);
        my ($d) = grep { $_->{label} eq 'Code' } @{ $a->{details} };
        is($d->{value}, $code, 'the same code on the phone');
    }

    $t->done_testing if $provider eq 'authy';
    $t->stop;
    ok(!$t->problems, "$provider: no alerts") if $provider eq 'verify';
}
