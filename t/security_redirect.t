#!/usr/bin/perl

# Attack: decisions carried over internal redirects.  A request approved,
# or remembered, in a lenient location and sent on by try_files or
# error_page into a location of another scope, or one with
# push_approval_remember 0, once passed there unchecked.  After an
# internal redirect the check runs again; an approval counts only for the
# same zone, identity and scope, and never where remember is 0.

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use PushTest;

my $common = 'push_approval zone=pa;
              push_approval_mode hold;
              push_approval_poll 100ms;
              push_approval_timeout 20s;
              push_approval_limit rate=100/m cooldown=0;';

my ($t, $sb) = PushTest::setup(workers => 2,
    protected => 'push_approval_mode hold;',
    server => "
        location /lenient/ {
            $common
            push_approval_scope lenient;
            try_files \$uri /admin/index.html;
        }
        location /lenient-error/ {
            $common
            push_approval_scope lenient;
            error_page 404 = /admin/index.html;
        }
        location /lenient-once/ {
            $common
            push_approval_scope lenient;
            try_files \$uri /once/index.html;
        }
        location /lenient-same/ {
            $common
            push_approval_scope lenient;
            try_files \$uri /same/index.html;
        }
        location /lenient-plain/ {
            try_files \$uri /admin/index.html;
        }
        location /admin/ {
            $common
            push_approval_scope admin;
            alias %%PREFIX%%/html/p/;
        }
        location /once/ {
            $common
            push_approval_scope lenient;
            push_approval_remember 0;
            alias %%PREFIX%%/html/p/;
        }
        location /same/ {
            $common
            push_approval_scope lenient;
            alias %%PREFIX%%/html/p/;
        }");

$t->write_file('html/lenient/index.html', "LENIENT\n");

my %user = PushTest::user('verify');

# the user approves the lenient scope once

my $h = $t->send('GET', '/lenient/index.html', headers => { %user });
my $ap = $sb->wait_approval(identity => 'alice-0001', timeout => 5);
$sb->decide($ap->{id}, 'approved', callback => 0);
my $r = $t->read($h, 5);
is($r->{status}, 200, 'lenient scope approved');
my ($cookie) = map { /^(push_approval_[0-9a-f]{8}=[^;]*)/ ? $1 : () }
               @{ $r->{cookies} };
ok($cookie, 'with its cookie');

sub attack {
    my ($path, $name, %o) = @_;
    my @old = map { $_->{id} } @{ $sb->approvals(identity => 'alice-0001') };
    # each from an address of its own, so that none joins another's push
    my $h = $t->send('GET', $path, from => $o{from},
                     headers => { %user, Cookie => $cookie });
    ok($t->quiet($h, 0.7), "$name: held for a check of its own");
    my $new = eval { $sb->wait_approval(identity => 'alice-0001',
                                        exclude => \@old, timeout => 2) };
    ok($new, "$name: a push of its own");
    $t->abort($h);
    return $new;
}

# remembered in the lenient location, then try_files into the admin scope

attack('/lenient/missing', 'try_files into another scope',
       from => '127.0.0.4');

# error_page into the admin scope

attack('/lenient-error/missing', 'error_page into another scope',
       from => '127.0.0.5');

# try_files into a location of the same scope with remember 0

attack('/lenient-once/missing', 'try_files into remember 0',
       from => '127.0.0.6');

# approved (not remembered) in the lenient location, then try_files: the
# approval counts in the admin scope no more than the cookie does

{
    my @old = map { $_->{id} } @{ $sb->approvals(identity => 'alice-0001') };
    my $h = $t->send('GET', '/lenient/other', from => '127.0.0.3',
                     headers => { %user });
    my $first = $sb->wait_approval(identity => 'alice-0001',
                                   exclude => \@old, timeout => 5);
    push @old, $first->{id};
    $sb->decide($first->{id}, 'approved', callback => 0);
    ok($t->quiet($h, 0.7), 'approved, then redirected: held again');
    my $second = eval { $sb->wait_approval(identity => 'alice-0001',
                                           exclude => \@old, timeout => 2) };
    ok($second, 'a push for the admin scope');
    $sb->decide($second->{id}, 'approved', callback => 0) if $second;
    $r = $t->read($h, 5);
    is($r && $r->{status}, 200, 'and passes once that is approved');
    like($r && $r->{body}, qr/SECRET/, 'with the content');
}

# the same zone, identity and scope: the approval counts, no new push

$sb->clear_calls;
$r = $t->get('/lenient-same/missing', headers => { %user, Cookie => $cookie });
is($r->{status}, 200, 'same scope after try_files: remembered');
like($r->{body}, qr/SECRET/, 'with the content');
is(scalar(grep { $_->{method} eq 'POST' } @{ $sb->calls }), 0, 'no push');

# an unprotected location sending on to a protected one: checked there

$h = $t->send('GET', '/lenient-plain/missing',
              headers => { %user, Cookie => $cookie });
ok($t->quiet($h, 0.7), 'unprotected into the admin scope: checked');
$t->abort($h);

$t->done_testing;
