#!/usr/bin/perl
# A client that goes away while its create call is in flight (issue 13,
# SPEC 4: a pending approval outlives the requests waiting on it): the
# provider's answer is still recorded, the next request joins that push
# instead of sending a second one to the phone, and the request that went
# away is no longer counted as held.  Both ways of leaving: FIN and RST.
use v5.36;
use Test::More;
use Time::HiRes qw(time sleep);
use lib 't/lib';
use PushTest;

my ($t, $sb) = PushTest::setup(workers => 1,
    protected => 'push_approval_mode hold;
                  push_approval_poll 200ms;
                  push_approval_limit rate=100/m cooldown=0;
                  push_approval_scope $http_x_scope;');

my %user = PushTest::user('verify');

sub pushes () { scalar @{ $sb->approvals(identity => 'alice-0001') } }

sub gauge () { PushTest::metric($t, 'nginx_push_approval_held_requests') }

my $n = 0;

for my $how (qw(fin rst)) {
    my $before = pushes();
    $n++;

    # the provider takes a moment to answer the create
    $sb->fail(count => 1, mode => 'slow', delay => 0.5, method => 'POST',
              path => 'Challenges');
    my $h = $t->send('GET', '/p/', headers => { %user, 'X-Scope' => $how });
    sleep 0.2;

    if ($how eq 'rst') {
        $t->abort($h);
    } else {
        shutdown($h->{sock}, 1);
    }

    my ($seen, $until) = (0, time + 3);
    while (time < $until) {
        $seen = () = $t->error_log
            =~ /closed connection while its push was being created/g;
        last if $seen >= $n;
        sleep 0.02;
    }
    is($seen, $n, "$how: the departure is seen while the create runs");
    my ($g, $end) = (gauge(), time + 3);
    ($g = gauge()) > 0 && sleep 0.05 while $g > 0 && time < $end;
    is($g, 0, "$how: no longer counted as held");

    # the sandbox answers the create; the push is recorded
    my $a = $sb->wait_approval(identity => 'alice-0001');
    sleep 0.3;

    my $next = $t->send('GET', '/p/', headers => { %user, 'X-Scope' => $how });
    ok($t->quiet($next, 0.5), "$how: the next request is held");
    is(pushes(), $before + 1, "$how: it joins the push, no second one");
    $sb->decide($a->{id}, 'approved', callback => 0);
    my $r = $t->read($next, 5);
    is($r && $r->{status}, 200, "$how: and is released by its decision");
    close $h->{sock} if $how eq 'fin';
}

$t->done_testing;
