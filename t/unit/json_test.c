
/*
 * Copyright (C) push approval module developers
 *
 * Unit tests of ngx_http_push_approval_json.c: provider answers through
 * the one walker (types, the depth limit, the NUL rules, keys twice, the
 * factor list), the dotted path fields of callbacks, and string escaping
 * with its character limit.
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
static ngx_int_t ngx_http_push_approval_unit_answer(char *s, size_t len);
static ngx_int_t ngx_http_push_approval_unit_parse(char *s);


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


/* the fields the providers read, as verify_parse() and authy_parse() list */

static ngx_http_push_approval_json_field_t
    ngx_http_push_approval_unit_answer_fields[] = {
    ngx_http_push_approval_json_field("sid"),
    ngx_http_push_approval_json_field("status"),
    ngx_http_push_approval_json_field("code"),
    ngx_http_push_approval_json_field("approval_request.uuid"),
    ngx_http_push_approval_json_field("success"),
    ngx_http_push_approval_json_field("error_code"),
    ngx_http_push_approval_json_want("factors[].factor_type", "push"),
    ngx_http_push_approval_json_want("factors[].status", "verified"),
    ngx_http_push_approval_json_field("factors[].sid"),
    ngx_http_push_approval_json_field(NULL)
};

#define UNIT_SID      (&ngx_http_push_approval_unit_answer_fields[0])
#define UNIT_STATUS   (&ngx_http_push_approval_unit_answer_fields[1])
#define UNIT_CODE     (&ngx_http_push_approval_unit_answer_fields[2])
#define UNIT_UUID     (&ngx_http_push_approval_unit_answer_fields[3])
#define UNIT_SUCCESS  (&ngx_http_push_approval_unit_answer_fields[4])
#define UNIT_ECODE    (&ngx_http_push_approval_unit_answer_fields[5])
#define UNIT_FSID     (&ngx_http_push_approval_unit_answer_fields[8])

static ngx_http_push_approval_json_answer_t  ngx_http_push_approval_unit_a;


static ngx_int_t
ngx_http_push_approval_unit_answer(char *s, size_t len)
{
    static u_char  buf[2 * 4096];

    ngx_http_push_approval_unit_a.fields =
                                     ngx_http_push_approval_unit_answer_fields;
    ngx_http_push_approval_unit_a.list = "factors";

    return ngx_http_push_approval_json_answer((u_char *) s, len,
                                              &ngx_http_push_approval_unit_a,
                                              buf);
}


static ngx_int_t
ngx_http_push_approval_unit_parse(char *s)
{
    return ngx_http_push_approval_unit_answer(s, strlen(s));
}


static void
ngx_http_push_approval_test_answers(void)
{
    char       buf[64];
    ngx_str_t  s;

    UNIT_IS(ngx_http_push_approval_unit_parse(
                "{\"sid\":\"YC1\",\"status\":\"approved\",\"details\":"
                "{\"fields\":[]}}"),
            NGX_OK, "verify challenge parses");
    UNIT_IS(ngx_http_push_approval_json_text(UNIT_STATUS, &s), NGX_OK,
            "status found");
    UNIT_MEM(s.data, s.len, "approved", "status value");
    UNIT_IS(ngx_http_push_approval_json_text(UNIT_CODE, &s), NGX_DECLINED,
            "no code");
    UNIT_IS(UNIT_CODE->type, NGX_HTTP_PUSH_APPROVAL_JSON_ABSENT,
            "absent field");

    /* Verify error codes are numbers, Authy's strings: both read */

    UNIT_IS(ngx_http_push_approval_unit_parse(
                "{\"code\":20404,\"message\":\"not found\",\"status\":404}"),
            NGX_OK, "verify error parses");
    UNIT_IS(ngx_http_push_approval_json_text(UNIT_CODE, &s), NGX_OK,
            "numeric code");
    UNIT_MEM(s.data, s.len, "20404", "numeric code value");
    UNIT_IS(ngx_http_push_approval_json_text(UNIT_STATUS, &s), NGX_OK,
            "numeric status");
    UNIT_IS(UNIT_STATUS->type, NGX_HTTP_PUSH_APPROVAL_JSON_NUMBER,
            "a number's type");

    UNIT_IS(ngx_http_push_approval_unit_parse(
                "{\"approval_request\":{\"uuid\":\"0f3c\"},\"success\":true,"
                "\"error_code\":\"60049\"}"),
            NGX_OK, "authy answer parses");
    UNIT_IS(ngx_http_push_approval_json_text(UNIT_UUID, &s), NGX_OK,
            "nested uuid");
    UNIT_MEM(s.data, s.len, "0f3c", "nested uuid value");
    UNIT_IS(ngx_http_push_approval_json_true(UNIT_SUCCESS), NGX_OK,
            "success true");
    UNIT_IS(ngx_http_push_approval_json_text(UNIT_ECODE, &s), NGX_OK,
            "string error code");

    UNIT_IS(ngx_http_push_approval_unit_parse("{\"success\":\"true\"}"),
            NGX_OK, "string true parses");
    UNIT_IS(ngx_http_push_approval_json_true(UNIT_SUCCESS), NGX_DECLINED,
            "the string \"true\" is not true");

    UNIT_IS(ngx_http_push_approval_unit_parse("{\"success\":false}"),
            NGX_OK, "false parses");
    UNIT_IS(ngx_http_push_approval_json_true(UNIT_SUCCESS), NGX_DECLINED,
            "false is not true");
    UNIT_IS(UNIT_SUCCESS->type, NGX_HTTP_PUSH_APPROVAL_JSON_BOOLEAN,
            "false is there");

    /* "success" there whatever its type: an SDK registration fails */

    UNIT_IS(ngx_http_push_approval_unit_parse(
                "{\"success\":null,\"status\":{\"a\":1},\"sid\":[1]}"),
            NGX_OK, "null and containers parse");
    UNIT_IS(UNIT_SUCCESS->type, NGX_HTTP_PUSH_APPROVAL_JSON_NULL,
            "null is there");
    UNIT_IS(UNIT_STATUS->type, NGX_HTTP_PUSH_APPROVAL_JSON_NESTED,
            "an object is there");
    UNIT_IS(UNIT_SID->type, NGX_HTTP_PUSH_APPROVAL_JSON_NESTED,
            "an array is there");
    UNIT_IS(ngx_http_push_approval_json_text(UNIT_STATUS, &s), NGX_DECLINED,
            "an object is no text");
    UNIT_IS(ngx_http_push_approval_json_true(UNIT_SUCCESS), NGX_DECLINED,
            "null is not true");

    /* a non-object root: valid, no fields (an Authy 2xx refuses) */

    UNIT_IS(ngx_http_push_approval_unit_parse("[1,2,3]"), NGX_OK,
            "array root parses");
    UNIT_IS(ngx_http_push_approval_json_text(UNIT_STATUS, &s), NGX_DECLINED,
            "array root has no fields");
    UNIT_IS(ngx_http_push_approval_unit_a.found, 0,
            "array root has no factors");
    UNIT_IS(ngx_http_push_approval_unit_parse("[{\"status\":\"a\"}]"),
            NGX_OK, "array of objects root parses");
    UNIT_IS(UNIT_STATUS->type, NGX_HTTP_PUSH_APPROVAL_JSON_ABSENT,
            "fields inside a root array are not read");
    UNIT_IS(ngx_http_push_approval_unit_parse("\"status\""), NGX_OK,
            "string root parses");
    UNIT_IS(ngx_http_push_approval_unit_parse("12"), NGX_OK,
            "number root parses");
    UNIT_IS(ngx_http_push_approval_unit_parse("[1,"), NGX_DECLINED,
            "truncated array root");

    UNIT_IS(ngx_http_push_approval_unit_parse(""), NGX_DECLINED,
            "empty input");
    UNIT_IS(ngx_http_push_approval_unit_parse("{\"a\":"), NGX_DECLINED,
            "truncated input");
    UNIT_IS(ngx_http_push_approval_unit_parse("{\"a\":1} x"), NGX_DECLINED,
            "trailing garbage");

    /* an embedded NUL is refused, wherever it is */

    memcpy(buf, "{\"a\":1}\0{}", 11);
    UNIT_IS(ngx_http_push_approval_unit_answer(buf, 10), NGX_DECLINED,
            "embedded NUL");

    memcpy(buf, "{\"a\":\"x\0y\"}", 12);
    UNIT_IS(ngx_http_push_approval_unit_answer(buf, 11), NGX_DECLINED,
            "raw NUL in a string");

    /* the length is the answer's: nothing read past it */

    memcpy(buf, "{\"sid\":\"Y\"}x", 13);
    UNIT_IS(ngx_http_push_approval_unit_answer(buf, 11), NGX_OK,
            "not NUL-terminated at len");
    UNIT_IS(ngx_http_push_approval_json_text(UNIT_SID, &s), NGX_OK,
            "not NUL-terminated: sid");
    UNIT_MEM(s.data, s.len, "Y", "not NUL-terminated: sid value");

    /* as yajl's tree: an escaped NUL ends a string and a key */

    UNIT_IS(ngx_http_push_approval_unit_parse(
                "{\"status\\u0000x\":\"approved\\u0000denied\"}"),
            NGX_OK, "escaped NUL");
    UNIT_IS(ngx_http_push_approval_json_text(UNIT_STATUS, &s), NGX_OK,
            "key up to a NUL");
    UNIT_MEM(s.data, s.len, "approved", "string up to a NUL");

    /* as yajl's tree: comments are allowed */

    UNIT_IS(ngx_http_push_approval_unit_parse(
                "{/* c */\"sid\":\"YC1\" // d\n}"),
            NGX_OK, "comments");
    UNIT_IS(ngx_http_push_approval_json_text(UNIT_SID, &s), NGX_OK,
            "comments: sid");

    /* a dotted key is no path: only nested objects are */

    UNIT_IS(ngx_http_push_approval_unit_parse(
                "{\"approval_request.uuid\":\"x\",\"factors[].sid\":\"y\"}"),
            NGX_OK, "dotted keys");
    UNIT_IS(UNIT_UUID->type, NGX_HTTP_PUSH_APPROVAL_JSON_ABSENT,
            "a dotted key is not nested");
    UNIT_IS(UNIT_FSID->type, NGX_HTTP_PUSH_APPROVAL_JSON_ABSENT,
            "a key with brackets is not an element");

    /* unlike yajl's tree, which took the first: a key twice refuses */

    UNIT_IS(ngx_http_push_approval_unit_parse(
                "{\"status\":\"denied\",\"status\":\"approved\"}"),
            NGX_DECLINED, "a field twice");
    UNIT_IS(ngx_http_push_approval_unit_parse(
                "{\"status\":{},\"status\":\"approved\"}"),
            NGX_DECLINED, "a field twice, first an object");
    UNIT_IS(ngx_http_push_approval_unit_parse(
                "{\"approval_request\":{},"
                "\"approval_request\":{\"uuid\":\"u\"}}"),
            NGX_DECLINED, "a field's parent twice");
    UNIT_IS(ngx_http_push_approval_unit_parse(
                "{\"approval_request\":{\"uuid\":\"u\",\"uuid\":\"v\"}}"),
            NGX_DECLINED, "a nested field twice");
    UNIT_IS(ngx_http_push_approval_unit_parse(
                "{\"a\":1,\"a\":2,\"x\":{\"status\":1},"
                "\"y\":{\"status\":2}}"),
            NGX_OK, "other keys twice");
    UNIT_IS(UNIT_STATUS->type, NGX_HTTP_PUSH_APPROVAL_JSON_ABSENT,
            "other keys twice: no status");
}


/* unlike yajl's tree (32 levels), the walker's 16 levels */

static void
ngx_http_push_approval_test_depth(void)
{
    char    buf[256];
    size_t  i;

    for (i = 0; i < 16; i++) {
        buf[i] = '[';
        buf[16 + i] = ']';
    }

    buf[32] = '\0';
    UNIT_IS(ngx_http_push_approval_unit_parse(buf), NGX_OK, "depth 16");

    for (i = 0; i < 17; i++) {
        buf[i] = '[';
        buf[17 + i] = ']';
    }

    buf[34] = '\0';
    UNIT_IS(ngx_http_push_approval_unit_parse(buf), NGX_DECLINED,
            "depth 17");

    for (i = 0; i < 32; i++) {
        buf[i] = '[';
        buf[32 + i] = ']';
    }

    buf[64] = '\0';
    UNIT_IS(ngx_http_push_approval_unit_parse(buf), NGX_DECLINED,
            "depth 32, once read");

    UNIT_IS(ngx_http_push_approval_unit_parse(
                "{\"1\":{\"2\":{\"3\":{\"4\":{\"5\":{\"6\":{\"7\":{\"8\":"
                "{\"9\":{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":[[1]]"
                "}}}}}}}}}}}}}}}"),
            NGX_DECLINED, "17 levels in an object");

    UNIT_IS(ngx_http_push_approval_unit_parse(
                "{\"a\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"[[[\"}"),
            NGX_OK, "brackets in strings");
}


static void
ngx_http_push_approval_test_factors(void)
{
    ngx_str_t  sid;

    UNIT_IS(ngx_http_push_approval_unit_parse(
                "{\"factors\":["
                "{\"sid\":\"YF0\",\"factor_type\":\"push\","
                "\"status\":\"unverified\"},"
                "{\"sid\":\"YF1\",\"factor_type\":\"totp\","
                "\"status\":\"verified\"},"
                "{\"sid\":\"YF2\",\"factor_type\":\"push\","
                "\"status\":\"verified\"},"
                "{\"sid\":\"YF3\",\"factor_type\":\"push\","
                "\"status\":\"verified\"}],\"meta\":{}}"),
            NGX_OK, "factor list parses");
    UNIT_IS(ngx_http_push_approval_unit_a.found, 1, "verified push factor");
    UNIT_IS(ngx_http_push_approval_json_text(UNIT_FSID, &sid), NGX_OK,
            "its sid");
    UNIT_MEM(sid.data, sid.len, "YF2", "the first verified push factor");

    UNIT_IS(ngx_http_push_approval_unit_parse(
                "{\"factors\":[{\"sid\":\"YF0\",\"factor_type\":\"push\","
                "\"status\":\"verified\"}]}"),
            NGX_OK, "last factor parses");
    UNIT_IS(ngx_http_push_approval_unit_a.found, 1, "the last element");

    UNIT_IS(ngx_http_push_approval_unit_parse(
                "{\"factors\":[{\"sid\":7,\"factor_type\":\"push\","
                "\"status\":\"verified\"}]}"),
            NGX_OK, "numeric sid parses");
    UNIT_IS(ngx_http_push_approval_unit_a.found, 1, "a numeric sid is text");

    UNIT_IS(ngx_http_push_approval_unit_parse(
                "{\"factors\":[1,null,{\"factor_type\":\"push\"},"
                "{\"sid\":null,\"factor_type\":\"push\","
                "\"status\":\"verified\"},"
                "[{\"sid\":\"YF1\",\"factor_type\":\"push\","
                "\"status\":\"verified\"}],"
                "{\"x\":{\"sid\":\"YF1\",\"factor_type\":\"push\","
                "\"status\":\"verified\"}}]}"),
            NGX_OK, "unusable factors parse");
    UNIT_IS(ngx_http_push_approval_unit_a.found, 0, "no usable factor");
    UNIT_IS(UNIT_FSID->type, NGX_HTTP_PUSH_APPROVAL_JSON_ABSENT,
            "no factor's sid");

    UNIT_IS(ngx_http_push_approval_unit_parse("{\"factors\":{}}"), NGX_OK,
            "factors not an array");
    UNIT_IS(ngx_http_push_approval_unit_a.found, 0, "no factor in an object");

    UNIT_IS(ngx_http_push_approval_unit_parse("{\"factors\":[]}"), NGX_OK,
            "no factors");
    UNIT_IS(ngx_http_push_approval_unit_a.found, 0, "no factor in []");

    UNIT_IS(ngx_http_push_approval_unit_parse(
                "{\"x\":{\"factors\":[{\"sid\":\"Y\",\"factor_type\":"
                "\"push\",\"status\":\"verified\"}]}}"),
            NGX_OK, "nested factors");
    UNIT_IS(ngx_http_push_approval_unit_a.found, 0,
            "only the top-level list");

    /* unlike yajl's tree, which took the first: a key twice refuses */

    UNIT_IS(ngx_http_push_approval_unit_parse(
                "{\"factors\":[],\"factors\":[{\"sid\":\"Y\","
                "\"factor_type\":\"push\",\"status\":\"verified\"}]}"),
            NGX_DECLINED, "the list twice");
    UNIT_IS(ngx_http_push_approval_unit_parse(
                "{\"factors\":[{\"sid\":\"Y\",\"factor_type\":\"totp\","
                "\"factor_type\":\"push\",\"status\":\"verified\"}]}"),
            NGX_DECLINED, "an element's field twice");
    UNIT_IS(ngx_http_push_approval_unit_parse(
                "{\"factors\":[{\"sid\":\"Y\",\"factor_type\":\"push\","
                "\"status\":\"verified\"},{\"sid\":\"Z\"},{\"sid\":\"Z\"}]}"),
            NGX_OK, "same keys in other elements");
    UNIT_IS(ngx_http_push_approval_json_text(UNIT_FSID, &sid), NGX_OK,
            "first element kept");
    UNIT_MEM(sid.data, sid.len, "Y", "first element's sid");
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
