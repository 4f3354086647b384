#!/usr/bin/perl
# Verify as the real service behaves (issue 13): a push_approval_timeout
# longer than a challenge can live fails nginx -t; a factor kept in the zone
# is looked up again when Verify answers 404 for it (a re-enrolled phone
# works at once, SPEC 8); the waiting page's status says "error" only while
# the provider cannot be asked (SPEC 6), after a single failed poll too.
use v5.36;
use Test::More;
use JSON::PP;
use Time::HiRes qw(time sleep);
use lib 't/lib';
use NginxTest;
use PushTest;

my ($t, $sb) = PushTest::setup(
    protected => 'push_approval_mode hold;
                  push_approval_poll 0;
                  push_approval_remember 0;',
    server => <<'EOF');
    location /r/ {
        push_approval zone=pa;
        push_approval_mode redirect;
        push_approval_scope page;
        push_approval_poll 0;
        alias %%PREFIX%%/html/p/;
    }
EOF

my %user = PushTest::user('verify');
my $JSON = JSON::PP->new;

# ---- push_approval_timeout: at most 1h with Verify --------------------------

for my $case (['61m', 1, 'verify: 61m'], ['2h', 1, 'verify: 2h'],
              ['1h', 0, 'verify: 1h'])
{
    my ($time, $fails, $name) = @$case;
    my ($rc, $out) = $t->test_config(PushTest::config(sb => $sb,
        protected => "push_approval_timeout $time;"));
    if ($fails) {
        ok($rc != 0, "$name fails nginx -t");
        like($out, qr/"push_approval_timeout" must be at most 1h/,
             "$name: the message names the directive");
    } else {
        is($rc, 0, "$name passes nginx -t") or diag $out;
    }
}

my ($rc, $out) = $t->test_config(PushTest::config(sb => $sb,
    provider => 'authy', protected => 'push_approval_timeout 2h;'));
is($rc, 0, 'authy: 2h passes nginx -t') or diag $out;

# ---- a factor that Verify no longer knows is looked up again -----------------

sub new_push ($name) {
    my %seen = map { $_->{id} => 1 } @{ $sb->approvals };
    my $h = $t->send('GET', '/p/', headers => \%user);
    my $a = eval { $sb->wait_approval(identity => 'alice-0001',
                                      exclude => [keys %seen]) };
    ok($a, "$name: a push");
    return ($h, $a);
}

my ($h, $a) = new_push('first');
my $old = $a->{factor_sid};
$sb->decide($a->{id}, 'approved', callback => 0);
$t->abort($h);

# the phone is re-enrolled: the old factor is deleted, a new one verified
my $del = $sb->request(DELETE =>
    '/v2/Services/' . $sb->verify_service . "/Entities/alice-0001/Factors/$old",
    { headers => { Authorization => $sb->verify_auth } });
is($del->{status}, 204, 'sandbox: the old factor is deleted');
my $new = $sb->add_entity('alice-0001');
isnt($new, $old, 'a new factor');

$sb->clear_calls;
($h, $a) = new_push('re-enrolled');
is($a && $a->{factor_sid}, $new, 're-enrolled: to the new factor');
$sb->decide($a->{id}, 'approved', callback => 0) if $a;
$t->abort($h);
my $calls = $sb->calls;
is(scalar(grep { $_->{method} eq 'GET' && $_->{path} =~ m{/Factors$} }
          @$calls), 1, 're-enrolled: the factors looked up once more');
is(scalar(grep { $_->{method} eq 'POST' && $_->{path} =~ m{/Challenges$} }
          @$calls), 2, 're-enrolled: one refused create, one that worked');

# ---- the waiting page's status recovers after a failed poll ------------------

# an identity of its own, so that this part stands alone
$sb->add_entity('carol-0003');
my $r = $t->get('/r/', headers => { 'X-User' => 'carol-0003',
                                    Accept => 'text/html,application/xhtml+xml' });
is($r->{status}, 302, 'redirect to the waiting page');
my $loc = $r->{headers}{location} // '';
$loc =~ s{^https?://[^/]+}{};
my ($wait) = grep { /_wait_[0-9a-f]{8}=/ } @{ $r->{cookies} };
$wait =~ s/;.*// if defined $wait;
my $ap = $sb->wait_approval(identity => 'carol-0003');

sub status () {
    my $r = $t->get("$loc&format=json", timeout => 30,
                    headers => { Cookie => $wait });
    return (eval { $JSON->decode($r->{body}) } // {})->{status} // 'none';
}

# one status fetch fails: the page says "error" while the provider fails
$sb->fail(count => 1, status => 500, method => 'GET', path => $ap->{id});
is(status(), 'error', 'a failed status fetch: "error"');

# the provider answers again, and the phone has approved
$sb->decide($ap->{id}, 'approved', callback => 0);
my ($got, $deadline) = ('', time + 10);
while (time < $deadline) {
    $got = status();
    last if $got ne 'error';
    sleep 0.5;
}
is($got, 'approved', 'once the provider answers: "approved", not "error"');

# ---- the same on a second host completing a page started on the first -------

my $B = NginxTest->new(workers => 1);
PushTest::prepare($B, $sb);
$B->write_file('secret', $t->read_file('secret'));
$B->start(PushTest::config(sb => $sb));

$sb->add_entity('dave-00004');
$r = $t->get('/r/', headers => { 'X-User' => 'dave-00004',
                                 Accept => 'text/html,application/xhtml+xml' });
is($r->{status}, 302, 'host A: redirect to the waiting page');
$loc = $r->{headers}{location} // '';
$loc =~ s{^https?://[^/]+}{};
($wait) = grep { /_wait_[0-9a-f]{8}=/ } @{ $r->{cookies} };
$wait =~ s/;.*// if defined $wait;
$ap = $sb->wait_approval(identity => 'dave-00004');

sub status_b () {
    my $r = $B->get("$loc&format=json", timeout => 30,
                    headers => { Cookie => $wait });
    return (eval { $JSON->decode($r->{body}) } // {})->{status} // 'none';
}

$sb->fail(count => 1, status => 500, method => 'GET', path => $ap->{id});
is(status_b(), 'error', 'host B: a failed status fetch: "error"');
$sb->decide($ap->{id}, 'approved', callback => 0);
($got, $deadline) = ('', time + 10);
while (time < $deadline) {
    $got = status_b();
    last if $got ne 'error';
    sleep 0.5;
}
is($got, 'approved', 'host B: once the provider answers, "approved"');
$B->stop;
is_deeply([$B->problems], [], 'host B: no alerts or sanitizer reports');

$t->done_testing;
