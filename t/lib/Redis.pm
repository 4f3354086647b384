package Redis;

# A redis-server of the test's own, on a free loopback port, without
# persistence, never the system one on 6379.
#
#   my $r = Redis->start;                        # or (password => 'pw'),
#   $r->port; $r->url; $r->socket;               # (tls => { cert, key, ca })
#   $r->command('PUBLISH', 'ch', 'x');           # one reply, Perl value
#   $r->stop; $r->start_again;                   # kill, then the same port
#
# Perl core modules only; the server is killed when the object goes.

use strict;
use warnings;

use File::Temp qw(tempdir);
use IO::Socket::IP;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(time sleep);

use NginxTest;

sub available {
    return -x '/usr/bin/redis-server' || -x '/usr/sbin/redis-server';
}

sub start {
    my ($class, %opt) = @_;

    my $self = bless {
        dir  => tempdir('redis-test-XXXXXX', TMPDIR => 1, CLEANUP => 1),
        port => $opt{port} // NginxTest::free_port(),
        opt  => \%opt,
    }, $class;

    $self->start_again;

    return $self;
}

sub port { $_[0]{port} }
sub socket { "$_[0]{dir}/redis.sock" }
sub dir { $_[0]{dir} }
sub pid { $_[0]{pid} }

sub url {
    my ($self) = @_;
    return $self->{opt}{tls} ? "rediss://localhost:$self->{port}"
                             : "redis://127.0.0.1:$self->{port}";
}

sub start_again {
    my ($self) = @_;

    my @args = ('--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
                '--dir', $self->{dir}, '--logfile', "$self->{dir}/log",
                '--enable-debug-command', 'yes');

    if (my $tls = $self->{opt}{tls}) {
        push @args, '--port', 0, '--tls-port', $self->{port},
            '--tls-cert-file', $tls->{cert}, '--tls-key-file', $tls->{key},
            '--tls-ca-cert-file', $tls->{ca}, '--tls-auth-clients', 'no';
    } else {
        push @args, '--port', $self->{port};
    }

    push @args, '--unixsocket', "$self->{dir}/redis.sock",
        '--unixsocketperm', '700';

    push @args, '--requirepass', $self->{opt}{password}
        if defined $self->{opt}{password};

    my $pid = fork // die "fork: $!";

    if ($pid == 0) {
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', '/dev/null';
        exec 'redis-server', @args or POSIX::_exit(127);
    }

    $self->{pid} = $pid;

    # up once the port accepts
    my $deadline = time + 10;
    while (time < $deadline) {
        my $s = IO::Socket::IP->new(PeerHost => '127.0.0.1',
                                    PeerPort => $self->{port});
        if ($s) {
            close $s;
            return $self;
        }
        die "redis-server exited" if waitpid($pid, WNOHANG) == $pid;
        sleep 0.02;
    }

    die "redis-server did not start on $self->{port}";
}

sub stop {
    my ($self) = @_;
    my $pid = delete $self->{pid} or return;
    kill 'KILL', $pid;
    waitpid $pid, 0;
}

sub _encode {
    my (@args) = @_;
    my $s = '*' . @args . "\r\n";
    $s .= '$' . length($_) . "\r\n$_\r\n" for @args;
    return $s;
}

sub _read_reply {
    my ($sock) = @_;
    my $line = <$sock>;
    die "redis: no reply" unless defined $line;
    $line =~ s/\r\n$//;
    my ($t, $rest) = (substr($line, 0, 1), substr($line, 1));

    return $rest if $t eq '+' || $t eq ':';
    return "ERR:$rest" if $t eq '-';

    if ($t eq '$') {
        return undef if $rest < 0;
        my $buf = '';
        while (length $buf < $rest + 2) {
            my $n = read($sock, $buf, $rest + 2 - length $buf, length $buf);
            die "redis: short read" unless $n;
        }
        return substr($buf, 0, $rest);
    }

    if ($t eq '*') {
        return undef if $rest < 0;
        return [ map { _read_reply($sock) } 1 .. $rest ];
    }

    die "redis: bad reply '$line'";
}

# one command on a fresh plain connection (with AUTH when there is one)
sub command {
    my ($self, @cmd) = @_;

    die "command() speaks plain TCP only" if $self->{opt}{tls};

    my $s = IO::Socket::IP->new(PeerHost => '127.0.0.1',
                                PeerPort => $self->{port})
        or die "redis: $!";

    if (defined $self->{opt}{password}) {
        print $s _encode('AUTH', $self->{opt}{password});
        _read_reply($s);
    }

    print $s _encode(@cmd);
    my $r = _read_reply($s);
    close $s;
    return $r;
}

# INFO commandstats: calls per command name
sub commandstats {
    my ($self) = @_;
    my %c;
    for (split /\r?\n/, $self->command('INFO', 'commandstats')) {
        $c{$1} = $2 if /^cmdstat_(\w+):calls=(\d+)/;
    }
    return \%c;
}

sub DESTROY {
    my ($self) = @_;
    local $?;
    $self->stop;
}

1;
