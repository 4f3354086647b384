#!/usr/bin/perl
# Authy as the real service behaves (issue 13): GET callbacks carry arrays
# without indexes (logos[][res], logos[][url]) and verify with two logos;
# callback bodies carry device_details {} and reason "" (not null); details
# keys are at most 20 characters, refused by nginx -t.
use v5.36;
use Test::More;
use JSON::PP;
use lib 't/lib';
use PushTest;

my $LOGOS = <<'EOF_LOGOS';
        push_approval_mode hold;
        push_approval_poll 0;
        push_approval_remember 0;
        push_approval_logo default https://example.org/a.png;
        push_approval_logo low https://example.org/b.png;
        push_approval_detail Account "gate $uri";
EOF_LOGOS

my ($t, $sb) = PushTest::setup(provider => 'authy', protected => $LOGOS);
my $cb = $t->url('/_push/callback');
my %user = PushTest::user('authy');

# one held request decided on the phone; the callback alone releases it
sub held_approval ($method, $name) {
    $sb->config(authy_callback_url => $cb, authy_callback_method => $method);
    my %seen = map { $_->{id} => 1 } @{ $sb->approvals };
    my $h = $t->send('GET', '/p/', headers => \%user);
    my $a = $sb->wait_approval(identity => '1234567',
                               exclude => [keys %seen]);
    is(scalar @{ $a->{logos} }, 2, "$name: two logos sent");
    my $n = scalar @{ $sb->callbacks };
    is($sb->decide($a->{id}, 'approved'), 200, "$name: approved on the phone");
    my $r = $t->read($h, 10);
    is($r && $r->{status}, 200, "$name: the callback released the request");
    my ($c) = grep { $_->{approval_id} eq $a->{id} }
              @{ $sb->wait_callbacks($n + 1) };
    is($c->{status}, 200, "$name: callback accepted");
    return $c;
}

my $c = held_approval('GET', 'GET');
like($c->{url}, qr/logos%5D%5B%5D%5Bres%5D=default/,
     'GET: logos[][res] without an index, as Authy sends it');
unlike($c->{url}, qr/%5B[0-9]+%5D/, 'GET: no array index in the query');

$c = held_approval('POST', 'POST');
my $body = decode_json($c->{body});
my $tr = $body->{approval_request}{transaction};
is_deeply($tr->{device_details}, {}, 'POST: device_details is {}');
is($tr->{device_geolocation}, '', 'POST: device_geolocation is ""');
is($tr->{reason}, '', 'POST: reason is ""');

is(PushTest::metric($t, 'nginx_push_approval_callbacks_total',
                    result => 'accepted'), 2, 'both callbacks accepted');

# ---- details keys: at most 20 characters for Authy ------------------------

my $long = 'K' x 21;
my $conf = PushTest::config(provider => 'authy', sb => $sb,
    protected => "push_approval_detail $long x;");
my ($ok, $err) = $t->test_config($conf);
ok($ok != 0, 'authy: a 21-character detail label fails nginx -t');
like($err, qr/push_approval_detail.*20/, 'the message names the limit');

$conf = PushTest::config(provider => 'authy', sb => $sb,
    protected => 'push_approval_detail ' . ('K' x 20) . ' x;');
($ok, $err) = $t->test_config($conf);
ok($ok == 0, 'authy: a 20-character label passes') or diag $err;

$conf = PushTest::config(provider => 'verify', sb => $sb,
    protected => "push_approval_detail $long x;");
($ok, $err) = $t->test_config($conf);
ok($ok == 0, 'verify: 21 characters pass (Verify allows 36)') or diag $err;

$t->done_testing;
