package PushSign;

# Test helper: independent Perl implementations of the provider signatures
# (provider-apis.md: X-Twilio-Signature, X-Authy-Signature) and a raw HTTP
# client that sends exactly the headers given (Host, repeated headers).
# Perl core modules only.

use v5.36;
use Exporter qw(import);
use Digest::SHA qw(hmac_sha1 hmac_sha256 sha256_hex);
use IO::Socket::IP;
use MIME::Base64 qw(encode_base64);

our @EXPORT_OK = qw(twilio_sig authy_flatten authy_canonical authy_sig
                    form_encode pct http_raw sha256_hex);

sub twilio_sig ($token, $url, $pairs = []) {    # $pairs: [[name, value]...]
    my $data = $url;
    for my $p (sort { $a->[0] cmp $b->[0] or $a->[1] cmp $b->[1] } @$pairs) {
        $data .= $p->[0] . $p->[1];
    }
    utf8::encode($data) if utf8::is_utf8($data);
    return encode_base64(hmac_sha1($data, $token), '');
}

# JSON value (decoded by JSON::PP) -> [[key, value]...]
sub authy_flatten ($v, $prefix = undef, $out = []) {
    if (ref $v eq 'HASH') {
        authy_flatten($v->{$_}, defined $prefix ? "${prefix}[$_]" : $_, $out)
            for sort keys %$v;
    } elsif (ref $v eq 'ARRAY') {
        authy_flatten($v->[$_], "${prefix}[$_]", $out) for 0 .. $#$v;
    } elsif (JSON::PP::is_bool($v)) {
        push @$out, [$prefix, $v ? 'true' : 'false'];
    } else {
        push @$out, [$prefix, $v // ''];
    }
    return $out;
}

sub pct ($s) {
    utf8::encode($s) if utf8::is_utf8($s);
    $s =~ s/([^A-Za-z0-9\-_.~ ])/sprintf('%%%02X', ord $1)/ge;
    $s =~ tr/ /+/;
    return $s;
}

sub authy_canonical ($pairs) {
    my $s = join '&', sort map { pct($_->[0]) . '=' . pct($_->[1]) } @$pairs;
    $s =~ s/%5B[0-9]+%5D/%5B%5D/g;
    return $s;
}

sub authy_sig ($key, $nonce, $method, $url, $canonical) {
    $url =~ s/\?.*//s;
    return encode_base64(
        hmac_sha256("$nonce|$method|$url|$canonical", $key), '');
}

sub form_encode ($pairs) {
    return join '&', map { pct($_->[0]) . '=' . pct($_->[1]) } @$pairs;
}

# http_raw(port, method, target, [[header, value]...], body)
# -> { status => N, headers => "...", body => "..." }
sub http_raw ($port, $method, $target, $headers = [], $body = undef) {
    my $s = IO::Socket::IP->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                Timeout => 10)
        or die "connect: $!";
    my $req = "$method $target HTTP/1.1\r\n";
    my $has_host = grep { lc $_->[0] eq 'host' } @$headers;
    $req .= "Host: localhost\r\n" unless $has_host;
    $req .= "$_->[0]: $_->[1]\r\n" for @$headers;
    my $chunked = grep { lc $_->[0] eq 'transfer-encoding' } @$headers;
    $req .= 'Content-Length: ' . length($body) . "\r\n"
        if defined $body && !$chunked;
    $req .= "Connection: close\r\n\r\n";
    $req .= $body if defined $body;
    $s->syswrite($req);
    local $/;
    my $resp = <$s> // '';
    my ($head, $rbody) = split /\r\n\r\n/, $resp, 2;
    my ($status) = ($head // '') =~ m{^HTTP/1\.[01] (\d+)};
    return { status => $status // 0, headers => $head // '',
             body => $rbody // '' };
}

1;
