#!/usr/bin/perl

# Attack: a callback deciding an approval of another provider or account.
# One nginx serves a Verify location and, for other tenants, an Authy
# callback and a Verify callback of another account.  An Authy-signed
# callback carrying this account's Verify challenge SID, or a Verify
# webhook signed with the other account's token to that account's
# callback location, once released the held request.  Now a callback
# decides only approvals made with the same provider and credentials.

use v5.36;
use Test::More;
use JSON::PP;
use lib 't/lib';
use PushSign qw(twilio_sig form_encode http_raw authy_flatten authy_canonical
                authy_sig);
use PushTest;

my $OTHER_TOKEN = 'other-account-auth-token-0123456789';
my $OTHER_SVC = 'VA' . ('c' x 32);

my $sb = Sandbox->start(seed => 1);
my $t = NginxTest->new(workers => 2);
PushTest::prepare($t, $sb);
$t->write_file('other.cred', 'AC' . ('d' x 32) . ":$OTHER_TOKEN\n");

$t->start(PushTest::config(sb => $sb,
    protected => 'push_approval_mode hold;
                  push_approval_poll 0;
                  push_approval_timeout 20s;
                  push_approval_limit rate=100/m cooldown=0;',
    server => 'location = /_push/callback_authy {
                   push_approval_provider authy;
                   push_approval_api_key_file %%PREFIX%%/authy.key;
                   push_approval_callback;
               }
               location = /_push/callback_other {
                   push_approval_verify_service ' . $OTHER_SVC . ';
                   push_approval_verify_credentials_file
                       %%PREFIX%%/other.cred;
                   push_approval_callback;
               }'));

my $port = $t->port;

sub verify_webhook ($path, $token, $sid, $type = 'challenge.approved') {
    my $pairs = [[account_sid => 'AC' . ('1' x 32)],
                 [challenge_sid => $sid],
                 [entity_identity => 'alice-0001'],
                 [factor_sid => 'YF' . ('3' x 32)],
                 [factor_type => 'push'],
                 [service_sid => $sb->verify_service],
                 [type => $type],
                 [uuid => 'YW' . int(rand(1e9))]];
    my $sig = twilio_sig($token, "http://gate.test$path", $pairs);
    return http_raw($port, 'POST', $path,
                    [[Host => 'gate.test'],
                     ['Content-Type' => 'application/x-www-form-urlencoded'],
                     ['X-Twilio-Signature' => $sig]],
                    form_encode($pairs))->{status};
}

sub authy_callback ($path, $uuid) {
    my $body = JSON::PP->new->canonical->encode({
        authy_id => 1234567, uuid => $uuid, status => 'approved',
        callback_action => 'approval_request_status',
        approval_request => { transaction => { uuid => $uuid,
                                               status => 'approved' } } });
    my $nonce = time;
    my $canonical = authy_canonical(authy_flatten(decode_json($body)));
    my $sig = authy_sig($sb->authy_api_key, $nonce, 'POST',
                        "http://gate.test$path", $canonical);
    return http_raw($port, 'POST', $path,
                    [[Host => 'gate.test'],
                     ['Content-Type' => 'application/json'],
                     ['X-Authy-Signature' => $sig],
                     ['X-Authy-Signature-Nonce' => $nonce]],
                    $body)->{status};
}

my %user = PushTest::user('verify');

# the owner's request waits

my $owner = $t->send('GET', '/p/', headers => { %user });
my $ap = $sb->wait_approval(identity => 'alice-0001', timeout => 5);

# an Authy-signed callback carrying the Verify challenge SID

is(authy_callback('/_push/callback_authy', $ap->{id}), 200,
   'an Authy callback for a Verify challenge: 200');
ok($t->quiet($owner, 0.5), 'and the Verify approval is not decided');

# a Verify webhook signed with another account's token, to its location

is(verify_webhook('/_push/callback_other', $OTHER_TOKEN, $ap->{id}), 200,
   "another account's webhook: 200");
ok($t->quiet($owner, 0.5), 'and the approval is not decided');

# nor denied that way

is(verify_webhook('/_push/callback_other', $OTHER_TOKEN, $ap->{id},
                  'challenge.denied'), 200,
   "another account's denial: 200");
ok($t->quiet($owner, 0.5), 'and the approval is not denied');

is(PushTest::metric($t, 'nginx_push_approval_callbacks_total',
                    result => 'ignored'), 3, 'all three counted as ignored');

# this account's own webhook decides it

is(verify_webhook('/_push/callback', $sb->auth_token, $ap->{id}), 200,
   "this account's webhook: 200");
my $r = $t->read($owner, 5);
is($r && $r->{status}, 200, 'and releases the request');

$t->done_testing;
