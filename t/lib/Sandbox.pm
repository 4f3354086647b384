package Sandbox;

# Test helper: starts tools/sandbox/push-approval-sandbox (a local Twilio
# Verify Push + Authy OneTouch + phone sandbox) and drives its control API.
# Perl core modules only.

use v5.36;
use Carp qw(croak);
use File::Basename qw(dirname);
use File::Spec;
use File::Temp qw(tempdir);
use HTTP::Tiny;
use JSON::PP;
use POSIX qw(WNOHANG);
use Scalar::Util qw(weaken);
use Time::HiRes qw(sleep time);

my $ROOT = File::Spec->rel2abs(
    File::Spec->catdir(dirname(File::Spec->rel2abs(__FILE__)), '..', '..'));
our $SCRIPT = File::Spec->catfile($ROOT, 'tools', 'sandbox',
                                  'push-approval-sandbox');
our $PYTHON = '/usr/bin/python3';

my %DEFAULTS = (
    authy_api_key  => 'sandbox-authy-api-key-0123456789ab',
    account_sid    => 'AC' . ('a' x 32),
    auth_token     => 'sandbox-auth-token-0123456789abcdef',
    verify_service => 'VA' . ('b' x 32),
);

my %LIVE;    # pid -> weak ref, stopped in END
my $JSON = JSON::PP->new->utf8->canonical->allow_nonref;

sub root { $ROOT }

sub start ($class, %opts) {
    my $dir = tempdir('sandbox-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    my $port_file = "$dir/port";
    my $log       = "$dir/output.log";
    my %o = (%DEFAULTS, %opts);
    $o{listen} //= '127.0.0.1:0';
    my @args = ('--port-file', $port_file);
    for my $k (sort keys %o) {
        my $v = $o{$k};
        next if !defined $v;
        (my $flag = "--$k") =~ tr/_/-/;
        if ($k eq 'seed') {
            push @args, $flag if $v;
            next;
        }
        push @args, $flag, $v;
    }
    my $pid = fork() // croak "fork: $!";
    if (!$pid) {
        open(STDIN, '<', '/dev/null');
        open(STDOUT, '>', $log) or POSIX::_exit(127);
        open(STDERR, '>&', \*STDOUT) or POSIX::_exit(127);
        exec($PYTHON, $SCRIPT, @args) or POSIX::_exit(127);
    }
    my $self = bless {
        pid => $pid, owner => $$, dir => $dir, log => $log, port_file => $port_file,
        opts => \%o,
        http => HTTP::Tiny->new(timeout => 15, keep_alive => 1, max_redirect => 0,
                                proxy => undef, http_proxy => undef,
                                https_proxy => undef),
    }, $class;
    $LIVE{$pid} = $self;
    weaken($LIVE{$pid});

    my $deadline = time + 10;
    while (1) {
        if (-s $port_file) {
            open(my $fh, '<', $port_file) or croak "open $port_file: $!";
            my $p = <$fh>;
            close $fh;
            if (defined $p && $p =~ /^(\d+)/) {
                $self->{port} = $1;
                last;
            }
        }
        my $gone = waitpid($pid, WNOHANG);
        if ($gone == $pid) {
            delete $LIVE{$pid};
            $self->{pid} = undef;
            croak "sandbox exited (status $?) before it was ready:\n"
                . $self->output;
        }
        if (time > $deadline) {
            my $out = $self->output;
            $self->stop;
            croak "sandbox not ready after 10 s:\n$out";
        }
        sleep 0.02;
    }
    return $self;
}

# ---- accessors ---------------------------------------------------------------
sub port ($self)           { $self->{port} }
sub url ($self)            { "http://127.0.0.1:$self->{port}" }
sub pid ($self)            { $self->{pid} }
sub authy_api_key ($self)  { $self->{opts}{authy_api_key} }
sub account_sid ($self)    { $self->{opts}{account_sid} }
sub auth_token ($self)     { $self->{opts}{auth_token} }
sub verify_service ($self) { $self->{opts}{verify_service} }
sub api_key_sid ($self)    { $self->{opts}{api_key_sid} }
sub api_key_secret ($self) { $self->{opts}{api_key_secret} }

# Everything the sandbox printed (stdout + stderr).
sub output ($self) {
    open(my $fh, '<', $self->{log}) or return '';
    local $/;
    my $s = <$fh>;
    return $s // '';
}

# ---- HTTP helpers ------------------------------------------------------------

# Raw request to the sandbox: $sb->request('POST', '/path', {headers => {},
# content => '...'}) -> HTTP::Tiny response hash, plus {json} when the body
# decodes as JSON.
sub request ($self, $method, $path, $args = {}) {
    my $res = $self->{http}->request($method, $self->url . $path, $args);
    if (defined $res->{content} && length $res->{content}) {
        my $j = eval { $JSON->decode($res->{content}) };
        $res->{json} = $j if !$@;
    }
    return $res;
}

sub _control ($self, $method, $path, $data = undef) {
    my %args = (headers => {'Content-Type' => 'application/json'});
    $args{content} = $JSON->encode($data) if defined $data;
    my $res = $self->request($method, "/_sandbox/$path", \%args);
    croak "sandbox control $method $path: $res->{status} $res->{content}"
        if $res->{status} == 599;
    return $res;
}

sub _ok ($self, $method, $path, $data = undef) {
    my $res = $self->_control($method, $path, $data);
    croak "sandbox control $method $path: $res->{status} $res->{content}"
        unless $res->{status} == 200;
    return $res->{json};
}

# Basic auth header value for the account credentials.
sub verify_auth ($self) {
    require MIME::Base64;
    return 'Basic ' . MIME::Base64::encode_base64(
        $self->account_sid . ':' . $self->auth_token, '');
}

# ---- control API -------------------------------------------------------------

# Returns the HTTP status: 200 decided, 404 unknown id, 409 already decided.
sub decide ($self, $id, $status, %opt) {
    my %d = (id => $id, status => $status);
    $d{callback} = ($opt{callback} ? JSON::PP::true : JSON::PP::false)
        if exists $opt{callback};
    return $self->_control(POST => 'decide', \%d)->{status};
}

# Returns the HTTP status: 200, 404 unknown, 409 not pending.
sub expire ($self, $id) {
    return $self->_control(POST => 'expire', {id => $id})->{status};
}

sub fail ($self, %rule) {
    $rule{count} //= 1;
    return $self->_ok(POST => 'fail', \%rule);
}

sub calls ($self, %filter) {
    my $all = $self->_ok(GET => 'calls');
    my @c = @$all;
    if (my $p = $filter{path}) {
        @c = ref $p eq 'Regexp' ? grep { $_->{path} =~ $p } @c
                                : grep { index($_->{path}, $p) >= 0 } @c;
    }
    if (my $m = $filter{method}) {
        @c = grep { uc $_->{method} eq uc $m } @c;
    }
    return \@c;
}

sub clear_calls ($self) { $self->_ok(DELETE => 'calls'); return }

sub approvals ($self, %filter) {
    my $q = '';
    $q = '?identity=' . _uri_escape($filter{identity})
        if defined $filter{identity};
    my $list = $self->_ok(GET => "approvals$q");
    my @a = @$list;
    @a = grep { $_->{provider} eq $filter{provider} } @a
        if defined $filter{provider};
    @a = grep { $_->{status} eq $filter{status} } @a
        if defined $filter{status};
    return \@a;
}

# Waits for a pending approval of an identity (polling every 20 ms).
# Options: identity (required), timeout (5 s), provider, exclude => [ids]
# (ignore approvals already seen), status (default 'pending').
sub wait_approval ($self, %o) {
    croak 'wait_approval: identity required' unless defined $o{identity};
    my $deadline = time + ($o{timeout} // 5);
    my %skip = map { $_ => 1 } @{ $o{exclude} // [] };
    my $want = $o{status} // 'pending';
    while (1) {
        my $list = $self->approvals(identity => $o{identity},
                                    (defined $o{provider}
                                     ? (provider => $o{provider}) : ()));
        for my $a (@$list) {
            return $a if $a->{status} eq $want && !$skip{ $a->{id} };
        }
        croak "wait_approval: no $want approval for $o{identity} after "
            . ($o{timeout} // 5) . " s" if time > $deadline;
        sleep 0.02;
    }
}

sub add_entity ($self, $identity, $factor_status = 'verified') {
    my $r = $self->_ok(POST => 'entities',
                       {identity => $identity, factor_status => $factor_status});
    return $r->{factor_sid};
}

sub add_authy_user ($self, $id = undef) {
    my $r = $self->_ok(POST => 'authy/users', defined $id ? {id => $id + 0} : {});
    return $r->{id};
}

sub auto ($self, %o) {
    $o{status} //= 'approved';
    return $self->_ok(POST => 'auto', \%o);
}

sub config ($self, %urls) { return $self->_ok(POST => 'config', \%urls) }

sub reset ($self) { $self->_ok(POST => 'reset'); return }

sub callbacks ($self) { return $self->_ok(GET => 'callbacks') }

# Waits until at least $n callbacks were sent (and answered or failed).
sub wait_callbacks ($self, $n = 1, $timeout = 5) {
    my $deadline = time + $timeout;
    while (1) {
        my $cb = $self->callbacks;
        return $cb if @$cb >= $n;
        croak "wait_callbacks: only " . scalar(@$cb) . " of $n after $timeout s"
            if time > $deadline;
        sleep 0.02;
    }
}

# Returns the signature string; sign_full returns the whole response
# ({signature}, and for authy {data, canonical}).
sub sign ($self, %args) { return $self->sign_full(%args)->{signature} }

sub sign_full ($self, %args) { return $self->_ok(POST => 'sign', \%args) }

sub stop ($self) {
    my $pid = $self->{pid} or return;
    $self->{pid} = undef;
    delete $LIVE{$pid};
    kill 'TERM', $pid;
    my $deadline = time + 5;
    while (1) {
        my $r = waitpid($pid, WNOHANG);
        if ($r == $pid || $r == -1) {
            $self->{exit_status} = $?;
            last;
        }
        if (time > $deadline) {
            kill 'KILL', $pid;
            waitpid($pid, 0);
            $self->{exit_status} = $?;
            last;
        }
        sleep 0.02;
    }
    return $self->{exit_status};
}

sub exit_status ($self) { $self->{exit_status} }

sub DESTROY ($self) {
    local ($?, $@, $!);
    $self->stop if $self->{pid} && $self->{owner} == $$;
}

END {
    local $?;
    for my $sb (grep { defined } values %LIVE) {
        $sb->stop if $sb->{owner} == $$;
    }
}

sub _uri_escape ($s) {
    $s =~ s/([^A-Za-z0-9\-._~])/sprintf('%%%02X', ord $1)/ge;
    return $s;
}

# ---- a tiny HTTP receiver for callbacks ------------------------------------
# my $rx = Sandbox::Receiver->new;   $rx->url('/cb')
# my $req = $rx->accept_one(timeout => 5, status => 200);
#   -> {method, uri, path, query, headers => {lc name => value}, body}
package Sandbox::Receiver;

use v5.36;
use Carp qw(croak);
use IO::Select;
use IO::Socket::IP;
use Time::HiRes qw(time);

sub new ($class) {
    my $sock = IO::Socket::IP->new(LocalHost => '127.0.0.1', LocalPort => 0,
                                   Listen => 16, ReuseAddr => 1)
        or croak "listen: $@";
    return bless {sock => $sock}, $class;
}

sub port ($self) { $self->{sock}->sockport }

sub url ($self, $path = '/') { 'http://127.0.0.1:' . $self->port . $path }

sub accept_one ($self, %o) {
    my $timeout = $o{timeout} // 5;
    my $sel = IO::Select->new($self->{sock});
    $sel->can_read($timeout) or croak "receiver: no request after $timeout s";
    my $c = $self->{sock}->accept or croak "accept: $!";
    my $deadline = time + $timeout;
    my $buf = '';
    my $csel = IO::Select->new($c);
    my ($head, $body, %h);
    while (1) {
        croak "receiver: request not complete" if time > $deadline;
        $csel->can_read(0.5) or next;
        my $n = sysread($c, $buf, 65536, length $buf);
        croak "receiver: connection closed early" if !$n && !defined $head;
        if (!defined $head && $buf =~ /\r\n\r\n/) {
            ($head, $body) = split /\r\n\r\n/, $buf, 2;
            my ($line, @lines) = split /\r\n/, $head;
            for (@lines) {
                my ($k, $v) = /^([^:]+):\s*(.*)$/ or next;
                $h{lc $k} = $v;
            }
            $self->{line} = $line;
        }
        elsif (defined $head) {
            $body = (split /\r\n\r\n/, $buf, 2)[1];
        }
        last if defined $head && length($body) >= ($h{'content-length'} // 0);
        last if !$n;
    }
    my ($method, $uri) = split / /, $self->{line};
    my ($path, $query) = split /\?/, $uri, 2;
    my $status = $o{status} // 200;
    my $resp = $o{body} // "ok\n";
    print $c "HTTP/1.1 $status X\r\nContent-Type: text/plain\r\n"
        . "Content-Length: " . length($resp) . "\r\nConnection: close\r\n\r\n$resp";
    close $c;
    return {method => $method, uri => $uri, path => $path,
            query => $query // '', headers => \%h, body => $body // ''};
}

1;

