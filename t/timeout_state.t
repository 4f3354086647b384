#!/usr/bin/perl
# "timeout" and "expired" mean one thing each (issue 17, point 6).  With
# push_approval_timeout at or above 30 s the approval lives at the provider
# exactly as long as the request is held, so both run out together:
#   timeout -- a held request waited its whole push_approval_timeout with
#              no answer (403 {"status":"timeout"}, $push_approval_status
#              and the requests_total metric say "timeout");
#   expired -- the approval ran out while a request still had time left
#              (here: a request that joined the approval 20 s late).
# The decision line is about the approval ("expired after 30 s"), without
# nginx's "while sending to client".
use v5.36;
use Test::More;
use JSON::PP;
use Time::HiRes qw(time sleep);
use lib 't/lib';
use NginxTest;
use PushTest;

my $module = $ENV{TEST_NGINX_MODULE}
    || "$NginxTest::ROOT/build/ngx_http_push_approval_module.so";
plan skip_all => "no module at $module" unless -f $module;

my ($t, $sb) = PushTest::setup(
    workers => 2,
    protected => "push_approval_mode hold;\n"
        . "        push_approval_timeout 30s;\n"
        . "        push_approval_poll 0;",
    http => 'log_format st "$uri $status $push_approval_status";'
        . ' access_log %%PREFIX%%/logs/st.log st;',
);

my %user = PushTest::user();

my $start = time;
my $first = $t->send('GET', '/p/index.html', headers => \%user);
my $ap = $sb->wait_approval(identity => 'alice-0001', timeout => 5);
ok($ap, 'an approval was created');

sleep 20 - (time - $start);
my $late = $t->send('GET', '/p/index.html?late', headers => \%user);

my $r = $t->read($first, 40);
my $waited = time - $start;
is($r && $r->{status}, 403, 'nobody answered: 403');
ok($waited > 29 && $waited < 33, sprintf('after the 30 s timeout (%.1f s)',
                                         $waited));
is(eval { decode_json($r->{body})->{status} }, 'timeout',
   'the held client reads {"status":"timeout"}');

$r = $t->read($late, 15);
is($r && $r->{status}, 403, 'the late joiner: 403 too');
is(eval { decode_json($r->{body})->{status} }, 'expired',
   'the late joiner had time left: expired');

sleep 0.3;
my $st = $t->read_file('logs/st.log');
like($st, qr{^/p/index\.html 403 timeout$}m, 'access log: timeout');
like($st, qr{^/p/index\.html 403 expired$}m, 'access log: expired for the late one');
is(PushTest::metric($t, 'nginx_push_approval_requests_total',
                    status => 'timeout'), 1, 'metric: one timeout');
is(PushTest::metric($t, 'nginx_push_approval_requests_total',
                    status => 'expired'), 1, 'metric: one expired');

my $line = $t->wait_log(qr/^.*push approval \Q$ap->{id}\E for "alice-0001": expired after 3\d s.*$/m);
ok($line, 'one decision line for the approval') or diag($t->error_log =~ /(.*\Q$ap->{id}\E.*)/g);
unlike($line // '', qr/while sending to client/, 'not "while sending to client"');

$t->stop;
$t->done_testing;
