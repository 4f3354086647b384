package NginxTest;

# Starts a real nginx with the module in a temporary prefix, on free
# loopback ports, and talks HTTP to it.  Perl core modules only.
#
#   my $t = NginxTest->new(workers => 2);
#   $t->write_file('secret', NginxTest::secret_line());
#   $t->start(<<'EOF');            # the inside of http { }; %%PORT%%,
#   server { listen 127.0.0.1:%%PORT%%; ... }     # %%PORT2%%, %%PREFIX%%
#   EOF
#   my $r = $t->get('/x', headers => { Cookie => '...' });
#   my $h = $t->send('GET', '/x');  ...  my $r = $t->read($h, 5);
#   $t->reload; $t->stop;
#   $t->done_testing;              # fails on [alert], [emerg], sanitizers
#
# Environment: TEST_NGINX_BINARY (default /usr/sbin/nginx),
# TEST_NGINX_MODULE (the .so), TEST_NGINX_ASAN=1 (module built with
# AddressSanitizer: libasan is preloaded), TEST_NGINX_KEEP=1 (keep the
# prefix), TEST_NGINX_VERBOSE=1 (print the error log at the end).

use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Path qw(make_path remove_tree);
use File::Temp qw(tempdir);
use IO::Select;
use IO::Socket::IP;
use POSIX qw(:sys_wait_h);
use Socket qw(SOL_SOCKET SO_LINGER);
use Test::More ();
use Time::HiRes qw(time sleep);

our $ROOT = abs_path(dirname(__FILE__) . '/../..');

sub new {
    my ($class, %opt) = @_;

    my $prefix = tempdir('nginx-test-XXXXXX', TMPDIR => 1,
                         CLEANUP => !$ENV{TEST_NGINX_KEEP});
    chmod 0755, $prefix;

    my $self = bless {
        prefix  => $prefix,
        workers => $opt{workers} // 2,
        binary  => $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx',
        module  => $ENV{TEST_NGINX_MODULE}
                   || "$ROOT/build/ngx_http_push_approval_module.so",
        ports   => [],
        log_from => 0,
    }, $class;

    for my $d (qw(conf logs html tmp)) {
        make_path("$prefix/$d");
    }

    $self->{ports} = [ map { free_port() } 1 .. ($opt{ports} // 4) ];

    return $self;
}

sub prefix { $_[0]{prefix} }
sub port { $_[0]{ports}[ $_[1] // 0 ] }
sub url { my ($self, $path) = @_; "http://127.0.0.1:" . $self->port . $path }

sub free_port {
    my $s = IO::Socket::IP->new(LocalHost => '127.0.0.1', LocalPort => 0,
                                Listen => 1, ReuseAddr => 1)
        or die "no free port: $!";
    my $port = $s->sockport;
    close $s;
    return $port;
}

sub secret_line {
    my @c = ('a' .. 'z', 'A' .. 'Z', 0 .. 9);
    return join('', map { $c[ rand @c ] } 1 .. 48);
}

sub write_file {
    my ($self, $name, $content) = @_;
    my $path = "$self->{prefix}/$name";
    make_path(dirname($path));
    open my $fh, '>', $path or die "$path: $!";
    print $fh $content;
    close $fh;
    return $path;
}

sub read_file {
    my ($self, $name) = @_;
    my $path = $name =~ m{^/} ? $name : "$self->{prefix}/$name";
    open my $fh, '<', $path or return '';
    local $/;
    my $s = <$fh>;
    close $fh;
    return $s // '';
}

# the module built with -fsanitize=address,undefined needs both run times
# in Debian's nginx, which was built without them
sub sanitizer_env {
    my @libs = map { my $l = `gcc -print-file-name=$_`; chomp $l; $l }
        qw(libasan.so libubsan.so);
    $ENV{LD_PRELOAD} = join ' ', grep { m{^/} } @libs;
    $ENV{ASAN_OPTIONS} = 'detect_leaks=0:abort_on_error=0';
    $ENV{UBSAN_OPTIONS} = 'print_stacktrace=1';
}

# the whole nginx.conf around the inside of http { }
sub full_config {
    my ($self, $http, %opt) = @_;
    my $p = $self->{prefix};

    my $main = $opt{main} // '';
    my $workers = $opt{workers} // $self->{workers};
    my $level = $opt{log_level} // 'debug';

    my $conf = <<"EOF";
load_module $self->{module};
daemon off;
master_process on;
worker_processes $workers;
user root;
pid $p/logs/nginx.pid;
error_log $p/logs/error.log $level;
worker_shutdown_timeout 10s;
$main
events {
    worker_connections 4096;
}

http {
    access_log $p/logs/access.log;
    client_body_temp_path $p/tmp/body;
    proxy_temp_path $p/tmp/proxy;
    fastcgi_temp_path $p/tmp/fastcgi;
    uwsgi_temp_path $p/tmp/uwsgi;
    scgi_temp_path $p/tmp/scgi;
    default_type text/plain;
    root $p/html;

$http
}
EOF

    return $self->expand($conf);
}

sub expand {
    my ($self, $text) = @_;
    $text =~ s/%%PREFIX%%/$self->{prefix}/g;
    $text =~ s/%%PORT(\d?)%%/$self->{ports}[$1 ? $1 - 1 : 0]/ge;
    return $text;
}

# nginx -t on a configuration: (exit status, what it printed)
sub test_config {
    my ($self, $http, %opt) = @_;
    my $file = $self->write_file('conf/test.conf',
                                 $self->full_config($http, %opt));
    local %ENV = %ENV;
    sanitizer_env() if $ENV{TEST_NGINX_ASAN};

    # a prefix of its own: an nginx built with prefix-relative paths logs
    # what -t finds wrong to PREFIX/logs/error.log, which is not the running
    # nginx's log that the alert check reads
    my $p = "$self->{prefix}/conftest";
    mkdir $p; mkdir "$p/logs";
    my $out = `$self->{binary} -t -p $p/ -c $file 2>&1`;
    return ($? >> 8, $out);
}

sub start {
    my ($self, $http, %opt) = @_;

    $self->write_file('conf/nginx.conf', $self->full_config($http, %opt));
    $self->{log_from} = length $self->read_file('logs/error.log');

    my $pid = fork();
    die "fork: $!" unless defined $pid;

    if ($pid == 0) {
        open STDOUT, '>>', "$self->{prefix}/logs/stderr.log";
        open STDERR, '>>', "$self->{prefix}/logs/stderr.log";
        sanitizer_env() if $ENV{TEST_NGINX_ASAN};
        exec $self->{binary}, '-p', "$self->{prefix}/",
             '-c', "$self->{prefix}/conf/nginx.conf";
        exit 127;
    }

    $self->{pid} = $pid;

    # ready when every listening port answers
    my @ports = ($self->expand($http) =~ /listen\s+127\.0\.0\.1:(\d+)/g);
    my $deadline = time + 15;

    for my $port (@ports) {
        while (1) {
            my $s = IO::Socket::IP->new(PeerHost => '127.0.0.1',
                                        PeerPort => $port);
            last if $s;
            if (waitpid($pid, WNOHANG) == $pid || time > $deadline) {
                delete $self->{pid};
                die "nginx did not start:\n"
                    . $self->read_file('logs/stderr.log')
                    . $self->read_file('logs/error.log');
            }
            sleep 0.02;
        }
    }

    $self->wait_workers($self->{workers_expected} = $opt{workers}
                        // $self->{workers});

    return $self;
}

sub master_pid { $_[0]{pid} }

sub worker_pids {
    my ($self) = @_;
    my @pids;
    for my $stat (glob '/proc/[0-9]*/stat') {
        open my $fh, '<', $stat or next;
        my $line = <$fh>;
        close $fh;
        next unless defined $line;
        my ($pid, $rest) = $line =~ /^(\d+) \(.*?\) (.*)$/ or next;
        my (undef, $ppid) = split ' ', $rest;
        next unless $ppid == ($self->{pid} // -1);
        open my $cmd, '<', "/proc/$pid/cmdline" or next;
        my $c = <$cmd> // '';
        close $cmd;
        push @pids, $pid if $c =~ /worker process/ && $c !~ /shutting/;
    }
    return sort { $a <=> $b } @pids;
}

sub wait_workers {
    my ($self, $n, @not) = @_;
    my %old = map { $_ => 1 } @not;
    my $deadline = time + 10;
    while (time < $deadline) {
        my @w = grep { !$old{$_} } $self->worker_pids;
        return @w if @w >= $n;
        sleep 0.02;
    }
    die "nginx workers did not start";
}

sub reload {
    my ($self, $http, %opt) = @_;
    if (defined $http) {
        $self->write_file('conf/nginx.conf', $self->full_config($http, %opt));
    }
    my @old = $self->worker_pids;
    kill 'HUP', $self->{pid};
    my @new = $self->wait_workers($opt{workers} // $self->{workers}, @old);

    # old workers accept with the old configuration until they are told to
    # shut down: wait for that too
    my %old = map { $_ => 1 } @old;
    my $deadline = time + 10;
    while (time < $deadline && grep { $old{$_} } $self->worker_pids) {
        sleep 0.01;
    }
    sleep 0.05;

    return @new;
}

sub stop {
    my ($self) = @_;
    my $pid = delete $self->{pid} or return;
    kill 'QUIT', $pid;
    my $deadline = time + 15;
    while (time < $deadline) {
        return if waitpid($pid, WNOHANG) == $pid;
        sleep 0.02;
    }
    kill 'KILL', $pid;
    waitpid($pid, 0);
}

sub error_log {
    my ($self) = @_;
    return substr($self->read_file('logs/error.log'), $self->{log_from});
}

# waits for a line in the error log; returns it or undef
sub wait_log {
    my ($self, $re, $timeout) = @_;
    my $deadline = time + ($timeout // 5);
    while (time < $deadline) {
        my $log = $self->error_log;
        return $1 // $& if $log =~ $re;
        sleep 0.02;
    }
    return undef;
}

# raw HTTP/1.1 over a socket, so that many requests run at once

sub send {
    my ($self, $method, $path, %opt) = @_;
    my $s = IO::Socket::IP->new(PeerHost => '127.0.0.1',
                                PeerPort => $opt{port} // $self->port,
                                $opt{from} ? (LocalHost => $opt{from}) : ())
        or die "connect: $!";
    $s->autoflush(1);
    my $body = $opt{body} // '';
    my %h = (Host => $opt{host} // 'localhost', Connection => 'close',
             %{ $opt{headers} // {} });
    $h{'Content-Length'} = length $body if length $body
        || $method eq 'POST';
    my $req = "$method $path HTTP/1.1\r\n"
        . join('', map { "$_: $h{$_}\r\n" } grep { defined $h{$_} } keys %h)
        . "\r\n" . $body;
    print $s $req;
    return { sock => $s, buf => '', method => $method };
}

sub parse_response {
    my ($buf) = @_;
    my ($head, $body) = split /\r\n\r\n/, $buf, 2;
    return undef unless defined $head && $head =~ m{^HTTP/1\.\d (\d+)};
    my $status = $1;
    my (%h, @cookies);
    for my $line (split /\r\n/, $head) {
        next unless $line =~ /^([^:]+):\s*(.*)$/;
        my $k = lc $1;
        push @cookies, $2 if $k eq 'set-cookie';
        $h{$k} = exists $h{$k} ? "$h{$k}, $2" : $2;
    }
    $body //= '';
    if (($h{'transfer-encoding'} // '') =~ /chunked/) {
        my $out = '';
        while ($body =~ s/^([0-9a-fA-F]+)\r\n//) {
            my $n = hex $1;
            last if $n == 0;
            $out .= substr($body, 0, $n, '');
            $body =~ s/^\r\n//;
        }
        $body = $out;
    }
    return { status => $status, headers => \%h, cookies => \@cookies,
             body => $body };
}

# a whole response by its Content-Length (or its last chunk)
sub complete {
    my ($buf, $head_only) = @_;
    my $i = index($buf, "\r\n\r\n");
    return 0 if $i < 0;
    return 1 if $head_only;
    my $head = substr($buf, 0, $i);
    my $have = length($buf) - $i - 4;
    return $have >= $1 if $head =~ /^content-length:\s*(\d+)/mi;
    return $buf =~ /\r\n0\r\n\r\n$/ if $head =~ /^transfer-encoding:\s*chunked/mi;
    return $head =~ m{^HTTP/1\.\d (?:1\d\d|204|304)} ? 1 : 0;
}

# reads one response per handle, all at once; undef for those not
# answered within the timeout
sub read {
    my ($self, $hs, $timeout) = @_;
    my $list = ref $hs eq 'ARRAY' ? $hs : [$hs];
    my $sel = IO::Select->new(map { $_->{sock} } @$list);
    my %by = map { fileno($_->{sock}) => $_ } @$list;
    my $deadline = time + ($timeout // 10);

    while ($sel->count) {
        my $left = $deadline - time;
        last if $left <= 0;
        for my $s ($sel->can_read($left)) {
            my $h = $by{ fileno $s };
            my $n = sysread($s, my $chunk, 65536);
            if (!$n) {
                $sel->remove($s);
                $h->{done} = 1;
                next;
            }
            $h->{buf} .= $chunk;
            if (complete($h->{buf}, $h->{method} eq 'HEAD')) {
                $sel->remove($s);
                $h->{done} = 1;
            }
        }
    }

    my @r = map { $_->{done} ? parse_response($_->{buf}) : undef } @$list;
    return ref $hs eq 'ARRAY' ? \@r : $r[0];
}

# true when nothing arrived on the handle within the time
sub quiet {
    my ($self, $h, $timeout) = @_;
    my $sel = IO::Select->new($h->{sock});
    return !$sel->can_read($timeout);
}

# closes the connection at once (RST), as a client that goes away
sub abort {
    my ($self, $h) = @_;
    setsockopt($h->{sock}, SOL_SOCKET, SO_LINGER, pack('ii', 1, 0));
    close $h->{sock};
}

sub request {
    my ($self, $method, $path, %opt) = @_;
    my $h = $self->send($method, $path, %opt);
    return $self->read($h, $opt{timeout} // 10);
}

sub get { my ($self, $path, %opt) = @_; $self->request('GET', $path, %opt) }

# the remember cookie "name=value" from a response
sub cookie {
    my ($r, $name) = @_;
    for my $c (@{ $r->{cookies} }) {
        return $1 if $c =~ /^(\Q$name\E=[^;]*)/;
    }
    return undef;
}

sub problems {
    my ($self) = @_;
    my $log = $self->error_log;
    my $err = $self->read_file('logs/stderr.log');
    my @p;
    push @p, $1 while $log =~ /^(.*\[(?:alert|emerg)\].*)$/mg;
    for my $re (@{ $self->{allow} // [] }) {
        @p = grep { !/$re/ } @p;
    }

    # nginx points its stderr at the error log: sanitizers write there too
    for my $text ($log, $err) {
        push @p, $1 while $text
            =~ /^(.*(?:AddressSanitizer|runtime error:|LeakSanitizer).*)$/mg;
    }
    return @p;
}

# an [alert] the test causes on purpose (a worker killed, say)
sub allow {
    my ($self, $re) = @_;
    push @{ $self->{allow} }, $re;
}

sub done_testing {
    my ($self) = @_;
    $self->stop;
    my @p = $self->problems;
    Test::More::ok(!@p, 'no alerts, emergencies or sanitizer reports')
        or Test::More::diag(join "\n", @p[0 .. ($#p < 9 ? $#p : 9)]);
    Test::More::diag($self->error_log) if $ENV{TEST_NGINX_VERBOSE};
    Test::More::done_testing();
}

sub DESTROY {
    my ($self) = @_;
    $self->stop if $self->{pid};
}

1;
