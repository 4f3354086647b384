package Bench;

# Shared helpers for the benchmark scripts in bench/.  Perl core only; reuses
# the test harness in t/lib (NginxTest, PushTest, Sandbox).
#
#   use lib "$ROOT/bench/lib";
#   use Bench;
#   my ($t, $sb) = Bench::setup(workers => 1, worker_connections => 20000,
#                               protected => '...', server => '...');
#   my $rps = Bench::wrk(url => $t->url('/p/index.html'), headers => {...});
#   Bench::figure('name', $value, '<= 10 %', $ok, $command);
#
# Every figure is printed as one line
#   FIGURE <name>: <value> (target <target>) PASS|FAIL
# which bench/run collects into bench/results/latest.txt.

use v5.36;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use IO::Socket::IP;
use POSIX ();
use Time::HiRes qw(time sleep);

our $ROOT;
BEGIN { $ROOT = abs_path(dirname(__FILE__) . '/../..') }
use lib "$ROOT/t/lib";

$ENV{TEST_NGINX_MODULE} //= "$ROOT/build/ngx_http_push_approval_module.so";
private_module();

require NginxTest;
require PushTest;
require Sandbox;

our $FAILED = 0;

sub root { $ROOT }

# Benchmarks run a private copy of the module: `make module` rewrites
# build/*.so in place (cp), and a running nginx whose mapped .so changes
# under it crashes (SIGSEGV in a loop of respawned workers).  bench/run
# makes the copy once and exports it (BENCH_PRIVATE_MODULE).
sub private_module {
    return if $ENV{BENCH_PRIVATE_MODULE};
    my $src = $ENV{TEST_NGINX_MODULE};
    return unless -f $src;
    require File::Copy;
    require File::Temp;
    our $MODULE_DIR = File::Temp::tempdir('bench-module-XXXXXX', TMPDIR => 1,
                                          CLEANUP => 1);
    chmod 0755, $MODULE_DIR;
    my $dst = "$MODULE_DIR/ngx_http_push_approval_module.so";
    File::Copy::copy($src, $dst) or die "copy $src: $!\n";
    $ENV{TEST_NGINX_MODULE} = $dst;
    $ENV{BENCH_PRIVATE_MODULE} = $src;
}

sub check_module {
    die "no module at $ENV{TEST_NGINX_MODULE} (make module)\n"
        unless -f $ENV{TEST_NGINX_MODULE};
}

# ---- nginx ------------------------------------------------------------------

# NginxTest with what benchmarks need: no access log, notice-level error
# log (debug logging costs most of the throughput), more connections, a
# bigger listen backlog and unlimited keepalive requests.
package Bench::Nginx {
    our @ISA = ('NginxTest');

    sub full_config {
        my ($self, $http, %opt) = @_;
        $opt{log_level} //= 'notice';
        my $wc = $self->{worker_connections} // 4096;
        my $main = $opt{main} // '';
        $main .= "\nworker_rlimit_nofile " . ($wc * 2 + 100) . ";\n"
            if $wc > 4096;
        $opt{main} = $main;
        my $conf = $self->SUPER::full_config($http, %opt);
        if ($self->{single}) {
            # one process, as under valgrind
            $conf =~ s/master_process on;/master_process off;/;
            $conf =~ s/worker_processes \d+;/worker_processes 1;/;
        }
        $conf =~ s/worker_connections 4096;/worker_connections $wc;/;
        $conf =~ s{access_log \S+/logs/access\.log;}
                  {access_log off;\n    keepalive_requests 100000000;};
        $conf =~ s/(listen 127\.0\.0\.1:\d+)(;)/$1 backlog=4096$2/g;
        return $conf;
    }

    sub start {
        my ($self, $http, %opt) = @_;
        $opt{log_level} //= 'notice';
        return $self->SUPER::start($http, %opt);
    }
}

# PushTest::setup with Bench::Nginx.  Options as PushTest::setup, plus
# worker_connections, html => { path => content }.
sub setup (%o) {
    check_module();
    my $sb = $o{sb} // Sandbox->start(seed => 1, %{ $o{sandbox} // {} });
    my $t = Bench::Nginx->new(workers => $o{workers} // 1);
    $t->{worker_connections} = $o{worker_connections} // 4096;

    PushTest::prepare($t, $sb);
    for my $f (sort keys %{ $o{html} // {} }) {
        $t->write_file("html/$f", $o{html}{$f});
    }

    $t->{bench_http} = PushTest::config(%o, sb => $sb);
    $t->start($t->{bench_http}, %{ $o{start} // {} });

    return ($t, $sb);
}

# The comparison set-up of bench/remembered, bench/cookieless and
# bench/callgrind: three locations with the same content handler (the same
# small static file, open_file_cache for all):
#   /plain/index.html  no push_approval
#   /p/index.html      push_approval (hold mode)
#   /ar/index.html     auth_request to a 204 server block of the same nginx
#                      over an upstream with keepalive 32
# Options as setup(), plus http_extra (more in http { }).  Returns
# ($t, $sb).
our $CONTENT = "SECRET CONTENT\n";

sub compare_setup (%o) {
    return setup(
        workers => 1,
        %o,
        html => { 'plain/index.html' => $CONTENT,
                  'ar/index.html' => $CONTENT },
        protected => 'push_approval_mode hold;',
        http => ($o{http_extra} // '') . <<'EOF',
open_file_cache max=64 inactive=60s;
open_file_cache_valid 60s;

upstream bench_auth {
    server 127.0.0.1:%%PORT2%%;
    keepalive 32;
}

server {
    listen 127.0.0.1:%%PORT2%%;
    location / {
        return 204;
    }
}
EOF
        server => <<'EOF');
location /plain/ {
    }

    location /ar/ {
        auth_request /_bench_auth;
    }

    location = /_bench_auth {
        internal;
        proxy_pass http://bench_auth/auth;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_pass_request_body off;
        proxy_set_header Content-Length "";
    }
EOF
}

# checks that each path answers 200 with the content
sub check_paths ($t, $headers, @paths) {
    for my $p (@paths) {
        my $r = $t->get($p, headers => $headers);
        die "$p: " . ($r ? $r->{status} : 'no answer') . "\n"
            unless $r && $r->{status} == 200 && $r->{body} eq $CONTENT;
    }
}

# the one worker's pid (benchmarks run 1 worker unless said otherwise)
sub worker ($t) {
    my @w = $t->worker_pids;
    return $w[0];
}

# Restarts nginx in its prefix as a single process (master_process off)
# under valgrind with the given tool options (callgrind_out => FILE for
# --callgrind-out-file).
sub start_valgrind ($t, @vg) {
    $t->stop;
    my $wrapper = $t->write_file('valgrind-nginx', join(' ', '#!/bin/sh',
        "\nexec valgrind", @vg, $t->{binary}, '"$@"', "\n"));
    chmod 0755, $wrapper;
    local $t->{binary} = $wrapper;
    $t->{single} = 1;
    $t->start($t->{bench_http}, workers => 0);
    $t->{single} = 0;
    return $t;
}

# Stops a single-process nginx.  Its loop checks for QUIT only between
# events, and a signal that lands just before epoll_wait (a wide window
# under valgrind) leaves it asleep: connections wake it up.
sub stop_valgrind ($t) {
    my $pid = delete $t->{pid} or return;
    kill 'QUIT', $pid;
    my $deadline = time + 30;
    while (time < $deadline) {
        return if waitpid($pid, POSIX::WNOHANG()) == $pid;
        IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => $t->port,
                            Timeout => 1);
        sleep 0.2;
    }
    kill 'KILL', $pid;
    waitpid($pid, 0);
    die "nginx under valgrind did not exit\n";
}

# N sequential requests on one keep-alive connection (a new connection
# every `per_conn` requests); dies unless each answers 200
sub sequential ($port, $path, $headers, $n, $per_conn = 1000) {
    my $req = "GET $path HTTP/1.1\r\nHost: localhost\r\n"
        . join('', map { "$_: $headers->{$_}\r\n" } sort keys %$headers)
        . "\r\n";
    my $s;
    for my $i (0 .. $n - 1) {
        if ($i % $per_conn == 0) {
            close $s if $s;
            $s = IO::Socket::IP->new(PeerHost => '127.0.0.1',
                                     PeerPort => $port)
                or die "connect: $!";
        }
        syswrite($s, $req) == length $req or die "write: $!";
        my $buf = '';
        while (1) {
            my $got = sysread($s, $buf, 65536, length $buf);
            die "request $i: connection closed\n" unless $got;
            my $e = index($buf, "\r\n\r\n");
            next if $e < 0;
            my ($len) = substr($buf, 0, $e) =~ /^content-length:\s*(\d+)/mi;
            last if length($buf) >= $e + 4 + ($len // 0);
        }
        die "request $i: " . substr($buf, 0, 40) . "\n"
            unless $buf =~ m{^HTTP/1\.1 200 };
    }
    close $s if $s;
}

# ---- /proc ------------------------------------------------------------------

sub rss_kb ($pid) {
    open my $fh, '<', "/proc/$pid/status" or die "/proc/$pid/status: $!";
    while (<$fh>) {
        return $1 if /^VmRSS:\s+(\d+)\s+kB/;
    }
    die "no VmRSS for $pid";
}

# utime + stime in seconds
sub cpu_s ($pid) {
    open my $fh, '<', "/proc/$pid/stat" or die "/proc/$pid/stat: $!";
    my $line = <$fh>;
    my ($rest) = $line =~ /^\d+ \(.*?\) (.*)$/;
    my @f = split ' ', $rest;
    # fields 14 and 15 of stat; $rest starts at field 3
    return ($f[11] + $f[12]) / POSIX::sysconf(POSIX::_SC_CLK_TCK());
}

# time on a CPU in nanoseconds (schedstat: finer than utime+stime's ticks)
sub cpu_ns ($pid) {
    open my $fh, '<', "/proc/$pid/schedstat" or die "/proc/$pid/schedstat: $!";
    my ($ns) = split ' ', scalar <$fh>;
    return $ns;
}

# times the process was switched out: each time it slept and woke, or was
# preempted
sub switches ($pid) {
    open my $fh, '<', "/proc/$pid/status" or die "/proc/$pid/status: $!";
    my $n = 0;
    while (<$fh>) {
        $n += $1 if /^(?:non)?voluntary_ctxt_switches:\s+(\d+)/;
    }
    return $n;
}

# ---- wrk --------------------------------------------------------------------

# runs wrk once; returns { rps, non2xx, errors, out, cmd }
sub wrk (%o) {
    my @cmd = ('wrk', '-t' . ($o{threads} // 1), '-c' . ($o{conns} // 32),
               '-d' . ($o{duration} // 3) . 's');
    for my $k (sort keys %{ $o{headers} // {} }) {
        push @cmd, '-H', "$k: $o{headers}{$k}";
    }
    push @cmd, $o{url};
    open my $fh, '-|', @cmd or die "wrk: $!";
    local $/;
    my $out = <$fh> // '';
    close $fh;
    my ($rps) = $out =~ /Requests\/sec:\s+([\d.]+)/;
    die "wrk failed:\n$out" unless defined $rps;
    my ($non) = $out =~ /Non-2xx or 3xx responses:\s+(\d+)/;
    my $err = 0;
    $err += $_ for $out =~ /(?:connect|read|write|timeout) (\d+)/g;
    my ($n) = $out =~ /(\d+) requests in/;
    return { rps => $rps, requests => $n // 0, non2xx => $non // 0,
             errors => $err, out => $out,
             cmd => join(' ', map { / / ? "'$_'" : $_ } @cmd) };
}

# Interleaved wrk rounds over several configurations served by the same
# nginx: a warm-up run of each, then `rounds` rounds; the order rotates
# each round so that no configuration always runs first or last.
#   configs => [ { name, url, headers }, ... ], rounds, duration, warmup,
#   conns, threads, pid (the worker: also requests per CPU-second of the
#   worker, which a busy machine disturbs much less than requests/s)
# Returns { name => { runs => [rps...], cpu => [requests/CPU-s...], median,
# cpu_median, non2xx, errors, cmd } }.
sub interleave (%o) {
    my @c = @{ $o{configs} };
    my %res = map { $_->{name} => { runs => [], cpu => [], non2xx => 0,
                                    errors => 0 } } @c;
    my %w = (conns => $o{conns} // 32, threads => $o{threads} // 1);

    for my $c (@c) {
        my $r = wrk(%w, url => $c->{url}, headers => $c->{headers},
                    duration => $o{warmup} // 2);
        printf "  warm-up %-12s %9.0f req/s\n", $c->{name}, $r->{rps};
        $res{ $c->{name} }{cmd} = $r->{cmd} =~ s/-d\S+/-d$o{duration}s/r;
    }

    for my $round (1 .. $o{rounds}) {
        my @order = @c[ map { ($_ + $round - 1) % @c } 0 .. $#c ];
        my @line;
        for my $c (@order) {
            my $cpu0 = $o{pid} ? cpu_s($o{pid}) : 0;
            my $r = wrk(%w, url => $c->{url}, headers => $c->{headers},
                        duration => $o{duration});
            my $cpu = $o{pid} ? cpu_s($o{pid}) - $cpu0 : 0;
            my $x = $res{ $c->{name} };
            push @{ $x->{runs} }, $r->{rps};
            push @{ $x->{cpu} }, $cpu > 0 ? $r->{requests} / $cpu : 0;
            $x->{non2xx} += $r->{non2xx};
            $x->{errors} += $r->{errors};
            push @line, $o{pid}
                ? sprintf('%s %.0f (%.0f/CPU-s)', $c->{name}, $r->{rps},
                          $x->{cpu}[-1])
                : sprintf('%s %.0f', $c->{name}, $r->{rps});
        }
        printf "  round %d: %s\n", $round, join(', ', @line);
    }

    for my $c (@c) {
        my $x = $res{ $c->{name} };
        $x->{median} = median(@{ $x->{runs} });
        $x->{cpu_median} = median(@{ $x->{cpu} });
        printf "  %-12s median %9.0f req/s, %9.0f req per worker CPU-s"
             . "  (non-2xx %d, socket errors %d)\n", $c->{name},
               $x->{median}, $x->{cpu_median}, $x->{non2xx}, $x->{errors};
    }

    return \%res;
}

# median of the per-round ratios a/b (runs of the same round are adjacent
# in time, so slow drifts of the machine cancel out)
sub paired_ratio ($res, $a, $b, $what = 'runs') {
    my @ra = @{ $res->{$a}{$what} };
    my @rb = @{ $res->{$b}{$what} };
    return median(map { $rb[$_] ? $ra[$_] / $rb[$_] : 0 } 0 .. $#ra);
}

# one approval through the sandbox (auto-approved), then auto off; returns
# the remember cookie "name=value"
sub remember_cookie ($t, $sb, $user) {
    $sb->config(verify_callback_url => $t->url('/_push/callback'));
    $sb->auto(status => 'approved', delay => 0.02);
    my $r = $t->get('/p/index.html', headers => { 'X-User' => $user },
                    timeout => 15);
    $sb->auto(status => 'none');
    die "approval: " . ($r ? "status $r->{status}" : 'no answer') . "\n"
        unless $r && $r->{status} == 200;
    my $cookie = NginxTest::cookie($r, 'push_approval')
        or die "approval: no remember cookie\n";
    return $cookie;
}

# ---- statistics and reporting -----------------------------------------------

sub median (@v) {
    my @s = sort { $a <=> $b } @v;
    return 0 unless @s;
    return @s % 2 ? $s[$#s / 2] : ($s[@s / 2 - 1] + $s[@s / 2]) / 2;
}

sub figure ($name, $value, $target, $ok, $command = undef) {
    $FAILED++ unless $ok;
    printf "FIGURE %s: %s (target %s) %s\n", $name, $value, $target,
           $ok ? 'PASS' : 'FAIL';
    printf "  command: %s\n", $command if defined $command;
}

# the pending approval of an identity that was not seen before
sub new_approval ($sb, $identity, $seen = {}, $timeout = 10) {
    my $a = $sb->wait_approval(identity => $identity, timeout => $timeout,
                               exclude => [keys %$seen]);
    $seen->{ $a->{id} } = 1;
    return $a;
}

# compiles bench/lib/holdclient.c when changed (into bench/results/)
sub holdclient {
    my $src = "$ROOT/bench/lib/holdclient.c";
    mkdir "$ROOT/bench/results";
    my $bin = "$ROOT/bench/results/holdclient";
    if (!-x $bin || -M $bin > -M $src) {
        system('cc', '-O2', '-Wall', '-o', $bin, $src) == 0
            or die "cc $src failed\n";
    }
    return $bin;
}

# compiles bench/lib/providerstub.c when changed (into bench/results/)
sub providerstub {
    my $src = "$ROOT/bench/lib/providerstub.c";
    mkdir "$ROOT/bench/results";
    my $bin = "$ROOT/bench/results/providerstub";
    if (!-x $bin || -M $bin > -M $src) {
        system('cc', '-O2', '-Wall', '-o', $bin, $src) == 0
            or die "cc $src failed\n";
    }
    return $bin;
}

1;
