#!/usr/bin/perl
# The shape of src/ (issue 14): no function over 120 lines and no call
# cycle between source files, beyond the module definition naming the
# handlers.  tools/src-shape reads the tree through universal-ctags; it is
# first shown to find both faults in a made-up tree, so that a pass on
# src/ means something.
use v5.36;
use Test::More;
use File::Temp qw(tempdir);
use lib 't/lib';
use NginxTest;

my $ROOT = $NginxTest::ROOT;

plan skip_all => 'universal-ctags is not installed (tools/install-deps test)'
    unless `ctags --version 2>/dev/null` =~ /Universal Ctags/;

sub shape ($dir) {
    my $out = `$ROOT/tools/src-shape $dir 2>&1`;
    return ($? >> 8, $out);
}

sub write_file ($path, $text) {
    open my $fh, '>', $path or die "$path: $!";
    print $fh $text;
    close $fh;
}

my $dir = tempdir('shape-XXXXXX', TMPDIR => 1, CLEANUP => 1);

write_file("$dir/ngx_http_push_approval_a.c",
    "void\nngx_http_push_approval_a_one(void)\n{\n"
    . "    ngx_http_push_approval_b_one();\n}\n");
write_file("$dir/ngx_http_push_approval_b.c",
    "void\nngx_http_push_approval_b_one(void)\n{\n"
    . "    ngx_http_push_approval_b_two();\n}\n\n"
    . "void\nngx_http_push_approval_b_two(void)\n{\n"
    . ("    x++;\n" x 130) . "}\n");

my ($rc, $out) = shape($dir);
is($rc, 1, 'a long function fails the check');
like($out, qr/^long: ngx_http_push_approval_b_two .* 13\d lines$/m,
     'and is named with its length');
unlike($out, qr/^cycle/m, 'one-way calls are no cycle');

write_file("$dir/ngx_http_push_approval_b.c",
    "void\nngx_http_push_approval_b_one(void)\n{\n"
    . "    ngx_http_push_approval_a_one();\n}\n");
($rc, $out) = shape($dir);
is($rc, 1, 'a call cycle fails the check');
like($out, qr/^cycle: a\.c b\.c$/m, 'and names the files');

write_file("$dir/ngx_http_push_approval_module.c",
    "void\nngx_http_push_approval_init(void)\n{\n"
    . "    h = ngx_http_push_approval_a_one;\n}\n");
write_file("$dir/ngx_http_push_approval_b.c",
    "void\nngx_http_push_approval_b_one(void)\n{\n"
    . "    c = ngx_get_conf(ngx_http_push_approval_module);\n}\n");
($rc, $out) = shape($dir);
is($rc, 0, 'the module definition naming a handler is the one cycle allowed')
    or diag($out);

write_file("$dir/ngx_http_push_approval_b.c",
    "void\nngx_http_push_approval_b_one(void)\n{\n"
    . "    ngx_http_push_approval_init();\n}\n");
($rc, $out) = shape($dir);
is($rc, 1, 'a call into a function of the module definition fails');
like($out, qr/^calls into the module definition: .*_b\.c$/m,
     'and names the caller');

($rc, $out) = shape("$ROOT/src");
is($rc, 0, 'src/: no function over 120 lines, no call cycle') or diag($out);

done_testing;
