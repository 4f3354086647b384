
/*
 * Copyright (C) push approval module developers
 *
 * Unit tests of ngx_http_push_approval_json.c: provider answers, the depth
 * limit, the NUL rule, the field getters, the streaming walker's dotted
 * path fields, and string escaping with its character limit.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_push_approval.h"

#include "unit.h"


static void ngx_http_push_approval_test_answers(void);
static void ngx_http_push_approval_test_depth(void);
static void ngx_http_push_approval_test_factors(void);
static void ngx_http_push_approval_test_escape(void);
static void ngx_http_push_approval_test_fields(void);
static ngx_int_t ngx_http_push_approval_unit_fields(char *json,
    ngx_str_t *values);
static void ngx_http_push_approval_test_utf8(void);
static size_t ngx_http_push_approval_unit_clean(u_char *dst, char *src,
    size_t len, size_t max);
static yajl_val ngx_http_push_approval_unit_parse(char *s);


int
main(void)
{
    ngx_http_push_approval_test_answers();
    ngx_http_push_approval_test_depth();
    ngx_http_push_approval_test_factors();
    ngx_http_push_approval_test_escape();
    ngx_http_push_approval_test_fields();
    ngx_http_push_approval_test_utf8();

    return UNIT_DONE();
}


static char  *ngx_http_push_approval_unit_names[] = {
    "type", "a.b", "c", NULL
};


static ngx_int_t
ngx_http_push_approval_unit_fields(char *json, ngx_str_t *values)
{
    static u_char  buf[1024];

    return ngx_http_push_approval_json_fields((u_char *) json, strlen(json),
                                          ngx_http_push_approval_unit_names,
                                          values, buf);
}


/* json_fields over the one walker: paths, arrays, repeats, limits */

static void
ngx_http_push_approval_test_fields(void)
{
    ngx_str_t  v[3];

    UNIT_IS(ngx_http_push_approval_unit_fields(
                "{\"type\":\"t1\",\"a\":{\"b\":\"x\\u00e9\",\"n\":1},"
                "\"x\":[{\"c\":\"no\"}],\"c\":\"yes\"}", v),
            NGX_OK, "fields found");
    UNIT_MEM(v[0].data, v[0].len, "t1", "top-level field");
    UNIT_MEM(v[1].data, v[1].len, "x\xc3\xa9", "dotted path, unescaped");
    UNIT_MEM(v[2].data, v[2].len, "yes", "inside an array: no match");

    UNIT_IS(ngx_http_push_approval_unit_fields("{\"a\":{\"b\":5}}", v),
            NGX_OK, "number");
    UNIT_MEM(v[1].data, v[1].len, "", "only strings are fields");
    UNIT_MEM(v[0].data, v[0].len, "", "absent field is empty");

    UNIT_IS(ngx_http_push_approval_unit_fields(
                "{\"c\":\"1\",\"c\":\"2\"}", v),
            NGX_DECLINED, "a field twice");
    UNIT_IS(ngx_http_push_approval_unit_fields("[\"c\"]", v), NGX_DECLINED,
            "top-level array");
    UNIT_IS(ngx_http_push_approval_unit_fields("\"c\"", v), NGX_DECLINED,
            "top-level string");
    UNIT_IS(ngx_http_push_approval_unit_fields("{\"c\":", v), NGX_DECLINED,
            "truncated");
    UNIT_IS(ngx_http_push_approval_unit_fields(
                "{\"1\":{\"2\":{\"3\":{\"4\":{\"5\":{\"6\":{\"7\":{\"8\":"
                "{\"9\":{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":[1]"
                "}}}}}}}}}}}}}}}", v),
            NGX_OK, "16 levels");
    UNIT_IS(ngx_http_push_approval_unit_fields(
                "{\"1\":{\"2\":{\"3\":{\"4\":{\"5\":{\"6\":{\"7\":{\"8\":"
                "{\"9\":{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":[[1]]"
                "}}}}}}}}}}}}}}}", v),
            NGX_DECLINED, "17 levels");
}


static yajl_val
ngx_http_push_approval_unit_parse(char *s)
{
    return ngx_http_push_approval_json_parse((u_char *) s, strlen(s));
}


static void
ngx_http_push_approval_test_answers(void)
{
    char       buf[64];
    yajl_val   root;
    ngx_str_t  s;

    static const char  *status[] = { "status", NULL };
    static const char  *code[] = { "code", NULL };
    static const char  *uuid[] = { "approval_request", "uuid", NULL };
    static const char  *success[] = { "success", NULL };
    static const char  *error_code[] = { "error_code", NULL };

    root = ngx_http_push_approval_unit_parse(
               "{\"sid\":\"YC1\",\"status\":\"approved\",\"details\":"
               "{\"fields\":[]}}");
    UNIT_OK(root != NULL, "verify challenge parses");

    if (root) {
        UNIT_IS(ngx_http_push_approval_json_string(root, status, &s), NGX_OK,
                "status found");
        UNIT_MEM(s.data, s.len, "approved", "status value");
        UNIT_IS(ngx_http_push_approval_json_string(root, code, &s),
                NGX_DECLINED, "no code");
        yajl_tree_free(root);
    }

    /* Verify error codes are numbers, Authy's strings: both read */

    root = ngx_http_push_approval_unit_parse(
               "{\"code\":20404,\"message\":\"not found\",\"status\":404}");
    UNIT_OK(root != NULL, "verify error parses");

    if (root) {
        UNIT_IS(ngx_http_push_approval_json_string(root, code, &s), NGX_OK,
                "numeric code");
        UNIT_MEM(s.data, s.len, "20404", "numeric code value");
        UNIT_IS(ngx_http_push_approval_json_string(root, status, &s), NGX_OK,
                "numeric status");
        yajl_tree_free(root);
    }

    root = ngx_http_push_approval_unit_parse(
               "{\"approval_request\":{\"uuid\":\"0f3c\"},\"success\":true,"
               "\"error_code\":\"60049\"}");
    UNIT_OK(root != NULL, "authy answer parses");

    if (root) {
        UNIT_IS(ngx_http_push_approval_json_string(root, uuid, &s), NGX_OK,
                "nested uuid");
        UNIT_MEM(s.data, s.len, "0f3c", "nested uuid value");
        UNIT_IS(ngx_http_push_approval_json_true(root, success), NGX_OK,
                "success true");
        UNIT_IS(ngx_http_push_approval_json_string(root, error_code, &s),
                NGX_OK, "string error code");
        yajl_tree_free(root);
    }

    root = ngx_http_push_approval_unit_parse("{\"success\":\"true\"}");

    if (root) {
        UNIT_IS(ngx_http_push_approval_json_true(root, success), NGX_DECLINED,
                "the string \"true\" is not true");
        yajl_tree_free(root);
    }

    /* a non-object root: getters find nothing */

    root = ngx_http_push_approval_unit_parse("[1,2,3]");
    UNIT_OK(root != NULL, "array root parses");

    if (root) {
        UNIT_IS(ngx_http_push_approval_json_string(root, status, &s),
                NGX_DECLINED, "array root has no fields");
        UNIT_IS(ngx_http_push_approval_json_push_factor(root, &s), NGX_ERROR,
                "array root has no factors");
        yajl_tree_free(root);
    }

    UNIT_OK(ngx_http_push_approval_unit_parse("") == NULL, "empty input");
    UNIT_OK(ngx_http_push_approval_unit_parse("{\"a\":") == NULL,
            "truncated input");

    /* an embedded NUL or a missing terminator is refused */

    memcpy(buf, "{\"a\":1}\0{}", 11);
    UNIT_OK(ngx_http_push_approval_json_parse((u_char *) buf, 10) == NULL,
            "embedded NUL");

    memcpy(buf, "{\"a\":1}x", 9);
    UNIT_OK(ngx_http_push_approval_json_parse((u_char *) buf, 7) == NULL,
            "not NUL-terminated at len");
}


static void
ngx_http_push_approval_test_depth(void)
{
    char       buf[256];
    size_t     i;
    yajl_val   root;

    /* 32 levels pass, 33 do not; brackets inside strings do not count */

    for (i = 0; i < 32; i++) {
        buf[i] = '[';
        buf[32 + i] = ']';
    }

    buf[64] = '\0';
    root = ngx_http_push_approval_unit_parse(buf);
    UNIT_OK(root != NULL, "depth 32");

    if (root) {
        yajl_tree_free(root);
    }

    for (i = 0; i < 33; i++) {
        buf[i] = '[';
        buf[33 + i] = ']';
    }

    buf[66] = '\0';
    UNIT_OK(ngx_http_push_approval_unit_parse(buf) == NULL, "depth 33");

    root = ngx_http_push_approval_unit_parse(
               "{\"a\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"[[[\"}");
    UNIT_OK(root != NULL, "brackets in strings");

    if (root) {
        yajl_tree_free(root);
    }
}


static void
ngx_http_push_approval_test_factors(void)
{
    yajl_val   root;
    ngx_str_t  sid;

    root = ngx_http_push_approval_unit_parse(
               "{\"factors\":["
               "{\"sid\":\"YF0\",\"factor_type\":\"push\","
               "\"status\":\"unverified\"},"
               "{\"sid\":\"YF1\",\"factor_type\":\"totp\","
               "\"status\":\"verified\"},"
               "{\"sid\":\"YF2\",\"factor_type\":\"push\","
               "\"status\":\"verified\"}],\"meta\":{}}");
    UNIT_OK(root != NULL, "factor list parses");

    if (root) {
        UNIT_IS(ngx_http_push_approval_json_push_factor(root, &sid), NGX_OK,
                "verified push factor");
        UNIT_MEM(sid.data, sid.len, "YF2", "the verified push factor");
        yajl_tree_free(root);
    }

    root = ngx_http_push_approval_unit_parse(
               "{\"factors\":[1,null,{\"factor_type\":\"push\"}]}");

    if (root) {
        UNIT_IS(ngx_http_push_approval_json_push_factor(root, &sid),
                NGX_DECLINED, "no usable factor");
        yajl_tree_free(root);
    }

    root = ngx_http_push_approval_unit_parse("{\"factors\":{}}");

    if (root) {
        UNIT_IS(ngx_http_push_approval_json_push_factor(root, &sid), NGX_ERROR,
                "factors not an array");
        yajl_tree_free(root);
    }
}


static void
ngx_http_push_approval_test_escape(void)
{
    u_char     dst[256];
    size_t     len;
    ngx_str_t  s;

    ngx_str_set(&s, "a\"b\\c\nd\x01\x7f/");
    len = ngx_http_push_approval_json_escape(dst, &s, 100);
    UNIT_MEM(dst, len, "a\\\"b\\\\c\\nd\\u0001\\u007f/", "escapes");

    /* the limit counts characters and never cuts one */

    ngx_str_set(&s, "h\xc3\xa9llo");
    len = ngx_http_push_approval_json_escape(dst, &s, 2);
    UNIT_MEM(dst, len, "h\xc3\xa9", "two characters, three bytes");

    ngx_str_set(&s, "\xf0\x9f\x98\x80x");
    len = ngx_http_push_approval_json_escape(dst, &s, 1);
    UNIT_MEM(dst, len, "\xf0\x9f\x98\x80", "one four-byte character");

    ngx_str_set(&s, "\"\"\"");
    len = ngx_http_push_approval_json_escape(dst, &s, 2);
    UNIT_MEM(dst, len, "\\\"\\\"", "escapes are not cut");

    /* at most 6 bytes per input byte */

    ngx_str_set(&s, "\x01\x02\x03");
    len = ngx_http_push_approval_json_escape(dst, &s, 10);
    UNIT_IS(len, 18, "6 bytes per control character");

    s.len = 0;
    UNIT_IS(ngx_http_push_approval_json_escape(dst, &s, 10), 0, "empty");
}


static size_t
ngx_http_push_approval_unit_clean(u_char *dst, char *src, size_t len,
    size_t max)
{
    ngx_str_t  s;

    s.data = (u_char *) src;
    s.len = len;

    return ngx_http_push_approval_utf8_clean(dst, &s, max);
}


/* every byte that starts no well-formed sequence becomes U+FFFD */

static void
ngx_http_push_approval_test_utf8(void)
{
    u_char  dst[1024];
    char    src[201];
    size_t  len, i;

#define FFFD  "\xef\xbf\xbd"

    len = ngx_http_push_approval_unit_clean(dst, "caf\xc3\xa9 \xe2\x82\xac"
                                            " \xf0\x9f\x98\x80", 14, 100);
    UNIT_OK(len == 14 && memcmp(dst, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f"
                                "\x98\x80", 14) == 0,
            "valid UTF-8 is kept");

    /* the attack: "A" and 200 bytes 0x80, at most 128 characters */

    src[0] = 'A';
    memset(src + 1, 0x80, 200);
    len = ngx_http_push_approval_unit_clean(dst, src, 201, 128);
    UNIT_IS(len, 1 + 127 * 3, "A + 127 replacement characters");

    for (i = 1; i < len; i += 3) {
        if (memcmp(dst + i, FFFD, 3) != 0) {
            break;
        }
    }

    UNIT_IS(i, len, "each 0x80 replaced");

    len = ngx_http_push_approval_unit_clean(dst, "\xc0\xaf", 2, 100);
    UNIT_OK(len == 6 && memcmp(dst, FFFD FFFD, 6) == 0, "overlong '/'");

    len = ngx_http_push_approval_unit_clean(dst, "\xed\xa0\x80", 3, 100);
    UNIT_OK(len == 9 && memcmp(dst, FFFD FFFD FFFD, 9) == 0, "surrogate");

    len = ngx_http_push_approval_unit_clean(dst, "\xf4\x90\x80\x80", 4,
                                            100);
    UNIT_IS(len, 12, "above U+10FFFF");

    len = ngx_http_push_approval_unit_clean(dst, "\xe2\x82", 2, 100);
    UNIT_OK(len == 6 && memcmp(dst, FFFD FFFD, 6) == 0,
            "a sequence cut short");

    len = ngx_http_push_approval_unit_clean(dst, "\xe2\x82x", 3, 100);
    UNIT_OK(len == 7 && memcmp(dst, FFFD FFFD "x", 7) == 0,
            "a sequence broken by ASCII");

    len = ngx_http_push_approval_unit_clean(dst, "\xf8\xff\xfe", 3, 100);
    UNIT_IS(len, 9, "bytes that never start a character");

    /* cut at character boundaries */

    len = ngx_http_push_approval_unit_clean(dst, "\xe2\x82\xac\xe2\x82\xac",
                                            6, 1);
    UNIT_IS(len, 3, "cut after one character");

    len = ngx_http_push_approval_unit_clean(dst, "ab", 2, 0);
    UNIT_IS(len, 0, "no character at all");

#undef FFFD
}
