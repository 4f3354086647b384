package PushTest;

# The usual test set-up: the provider sandbox, and nginx with the module in
# front of a protected location that talks to the sandbox.
#
#   my ($t, $sb) = PushTest::setup(provider => 'authy', workers => 2,
#       protected => 'push_approval_mode hold;',   # more directives in /p/
#       server => '...',                            # more in server { }
#       http => '...',                              # more in http { }
#       sandbox => { verify_callback_url => ... });
#
# /p/ is protected (identity from the X-User header), /p/index.html holds
# "SECRET CONTENT", /_push/wait is the waiting page, /_push/callback the
# callback receiver, /metrics the metrics.  Users: Verify "alice-0001"
# (verified push factor), "bob-00002" (unverified); Authy 1234567.

use strict;
use warnings;

use NginxTest;
use Sandbox;
use Digest::SHA qw(hmac_sha256);
use MIME::Base64 qw(encode_base64url);

our %IDENTITY = (verify => 'alice-0001', authy => '1234567');

sub config {
    my (%o) = @_;

    my $provider = $o{provider} // 'verify';
    my $sb = $o{sb};
    my $sbport = $sb->port;
    my $svc = $sb->verify_service;

    my $credentials = $provider eq 'authy'
        ? "push_approval_provider authy;\n"
          . "    push_approval_api_key_file %%PREFIX%%/authy.key;"
        : "push_approval_verify_service $svc;\n"
          . "    push_approval_verify_credentials_file %%PREFIX%%/verify.cred;";

    my $protected = $o{protected} // '';
    my $server = $o{server} // '';
    my $http = $o{http} // '';
    my $zone = $o{zone} // 'push_approval_zone zone=pa:1m;';

    return <<"EOF";
$zone
push_approval_secret_file %%PREFIX%%/secret;
$http

server {
    listen 127.0.0.1:%%PORT%%;
    server_name gate.test;

    push_approval_api /_push_api/;
    $credentials
    push_approval_identity \$http_x_user;

    location /_push_api/ {
        internal;
        proxy_pass http://127.0.0.1:$sbport/;
        proxy_connect_timeout 2s;
        proxy_read_timeout 5s;
    }

    location /p/ {
        push_approval zone=pa;
        $protected
    }

    location = /_push/wait {
        push_approval_wait;
    }

    location = /_push/callback {
        client_body_buffer_size 64k;
        push_approval_callback;
    }

    location = /metrics {
        push_approval_metrics;
    }

    $server
}
EOF
}

sub setup {
    my (%o) = @_;

    my $sb = $o{sb} // Sandbox->start(seed => 1, %{ $o{sandbox} // {} });
    my $t = NginxTest->new(workers => $o{workers} // 2);

    prepare($t, $sb);

    $t->start(config(%o, sb => $sb), %{ $o{start} // {} });

    return ($t, $sb);
}

# the files config() names: the secret, the sandbox's credentials, content
sub prepare {
    my ($t, $sb) = @_;

    $t->write_file('secret', NginxTest::secret_line() . "\n");
    $t->write_file('verify.cred',
                   $sb->account_sid . ':' . $sb->auth_token . "\n");
    $t->write_file('authy.key', $sb->authy_api_key . "\n");
    $t->write_file('html/p/index.html', "SECRET CONTENT\n");
    $t->write_file('html/index.html', "HOME\n");
}

# the user header for a provider's test identity
sub user {
    my ($provider) = @_;
    return ('X-User' => $IDENTITY{ $provider // 'verify' });
}

# an invite as push-approval-ctl mints it (SPEC 10), with any expiry:
# base64url(EXPIRES[8] NONCE[8] HMAC-SHA256(secret, "invite1\nID\n" . both))
sub invite {
    my ($secret, $identity, %o) = @_;
    my $expires = $o{expires} // time + 3600;
    my $nonce = join '', map { chr int rand 256 } 1 .. 8;
    my $head = pack('Q>', $expires) . $nonce;
    return encode_base64url($head . hmac_sha256("invite1\n$identity\n$head",
                                                $secret));
}

# the first line of the test's secret file
sub secret {
    my ($t) = @_;
    my ($line) = split /\r?\n/, $t->read_file('secret');
    return $line;
}

# a metric's value from /metrics, 0 when absent
sub metric {
    my ($t, $name, %labels) = @_;
    my $r = $t->get('/metrics');
    return undef unless $r && $r->{status} == 200;
    for my $line (split /\n/, $r->{body}) {
        next unless $line =~ /^\Q$name\E\{([^}]*)\} (\S+)$/;
        my ($l, $v) = ($1, $2);
        my $all = 1;
        for my $k (keys %labels) {
            $all = 0 unless $l =~ /\b\Q$k\E="\Q$labels{$k}\E"/;
        }
        return $v if $all;
    }
    return 0;
}

1;
