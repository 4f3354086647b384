
/*
 * Copyright (C) push approval module developers
 *
 * Unit tests of ngx_http_push_approval_crypto.c: HMAC-SHA256 (RFC 4231),
 * the HMAC in steps (RFC 2202 for SHA-1), base64 (RFC 4648), hex,
 * base64url both ways with its one-encoding-per-value rule, and the
 * remember cookie: round trip, expiry, rotated secrets, identity and
 * scope binding, and malformed values.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_push_approval.h"

#include "unit.h"


#define ngx_http_push_approval_unit_str(s)  { sizeof(s) - 1, (u_char *) s }

#define NGX_HTTP_PUSH_APPROVAL_UNIT_NOW  1764000000


static void ngx_http_push_approval_test_hmac(void);
static void ngx_http_push_approval_test_hmac_steps(void);
static void ngx_http_push_approval_test_base64url(void);
static void ngx_http_push_approval_test_base64_hex(void);
static void ngx_http_push_approval_test_cookie(void);
static void ngx_http_push_approval_test_cookie_malformed(void);
static ngx_int_t ngx_http_push_approval_unit_check(char *value,
    ngx_str_t *identity, ngx_str_t *scope);
static ngx_int_t ngx_http_push_approval_unit_decode(char *text, u_char *dst,
    size_t *len);


static ngx_str_t  ngx_http_push_approval_unit_secrets[] = {
    ngx_http_push_approval_unit_str(
        "0123456789abcdef0123456789abcdef-first-line"),
    ngx_http_push_approval_unit_str(
        "another-secret-of-at-least-thirty-two-bytes!")
};

/* a cookie's binding (zone, provider, service digest), fixed here */
static u_char  ngx_http_push_approval_unit_bind[32] =
    "zone pa, verify, VA0123456789ab";
static u_char  ngx_http_push_approval_unit_bind2[32] =
    "zone pb, verify, VA0123456789ab";

#define ngx_http_push_approval_unit_value(dst, secret, id, scope, expires)   \
    ngx_http_push_approval_cookie_value(dst, secret, id, scope,              \
                                        ngx_http_push_approval_unit_bind,    \
                                        NGX_HTTP_PUSH_APPROVAL_UNIT_NOW,     \
                                        expires)

static ngx_str_t  ngx_http_push_approval_unit_alice =
    ngx_http_push_approval_unit_str("alice-0001");
static ngx_str_t  ngx_http_push_approval_unit_admin =
    ngx_http_push_approval_unit_str("admin");


int
main(void)
{
    ngx_http_push_approval_test_hmac();
    ngx_http_push_approval_test_hmac_steps();
    ngx_http_push_approval_test_base64url();
    ngx_http_push_approval_test_base64_hex();
    ngx_http_push_approval_test_cookie();
    ngx_http_push_approval_test_cookie_malformed();

    return UNIT_DONE();
}


static void
ngx_http_push_approval_test_hmac(void)
{
    u_char     mac[32], text[64];
    size_t     len;
    ngx_str_t  key, data;

    /* RFC 4231 test case 2 */

    ngx_str_set(&key, "Jefe");
    ngx_str_set(&data, "what do ya want for nothing?");

    ngx_http_push_approval_hmac_sha256(&key, &data, mac);
    len = ngx_http_push_approval_base64url_encode(text, mac, 32);

    UNIT_MEM(text, len, "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM",
             "RFC 4231 case 2");
}


/* the one HMAC, in steps: SHA-1 and SHA-256 interleaved, empty key */

static void
ngx_http_push_approval_test_hmac_steps(void)
{
    u_char                         mac[32], one[32], text[64];
    size_t                         len;
    ngx_str_t                      key, data, empty;
    ngx_http_push_approval_hmac_t  h, h1;

    ngx_str_set(&key, "Jefe");
    ngx_str_set(&data, "what do ya want for nothing?");
    ngx_str_null(&empty);

    /* RFC 2202 test case 2, in two updates and an empty one */

    UNIT_IS(ngx_http_push_approval_hmac_init(&h1, NGX_HTTP_PUSH_APPROVAL_SHA1,
                                             &key),
            NGX_OK, "sha1 init");
    UNIT_IS(ngx_http_push_approval_hmac_init(&h, NGX_HTTP_PUSH_APPROVAL_SHA256,
                                             &key),
            NGX_OK, "sha256 init");
    UNIT_IS(ngx_http_push_approval_hmac_update(&h1, data.data, 10), NGX_OK,
            "sha1 update");
    UNIT_IS(ngx_http_push_approval_hmac_update(&h, data.data, 10), NGX_OK,
            "sha256 update");
    UNIT_IS(ngx_http_push_approval_hmac_update(&h1, NULL, 0), NGX_OK,
            "sha1 empty update");
    UNIT_IS(ngx_http_push_approval_hmac_update(&h1, data.data + 10,
                                               data.len - 10),
            NGX_OK, "sha1 update rest");
    UNIT_IS(ngx_http_push_approval_hmac_update(&h, data.data + 10,
                                               data.len - 10),
            NGX_OK, "sha256 update rest");

    len = ngx_http_push_approval_hmac_final(&h1, mac);
    UNIT_IS(len, 20, "sha1 length");
    len = ngx_http_push_approval_hex(text, mac, len) - text;
    UNIT_MEM(text, len, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
             "RFC 2202 case 2");

    len = ngx_http_push_approval_hmac_final(&h, mac);
    UNIT_IS(len, 32, "sha256 length");
    ngx_http_push_approval_hmac_sha256(&key, &data, one);
    UNIT_OK(memcmp(mac, one, 32) == 0, "steps equal one call");

    /* an empty key is a key, not "the previous one" */

    UNIT_IS(ngx_http_push_approval_hmac_init(&h, NGX_HTTP_PUSH_APPROVAL_SHA256,
                                             &empty),
            NGX_OK, "empty key init");
    UNIT_IS(ngx_http_push_approval_hmac_final(&h, mac), 32,
            "empty key, empty data");
    len = ngx_http_push_approval_hex(text, mac, 32) - text;
    UNIT_MEM(text, len,
             "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad",
             "HMAC-SHA256 of nothing under no key");
}


static ngx_int_t
ngx_http_push_approval_unit_decode(char *text, u_char *dst, size_t *len)
{
    return ngx_http_push_approval_base64url_decode(dst, len, (u_char *) text,
                                                   strlen(text));
}


static void
ngx_http_push_approval_test_base64url(void)
{
    u_char  out[64];
    size_t  len;

    len = ngx_http_push_approval_base64url_encode(out, (u_char *) "", 0);
    UNIT_IS(len, 0, "encode empty");
    len = ngx_http_push_approval_base64url_encode(out, (u_char *) "f", 1);
    UNIT_MEM(out, len, "Zg", "encode 1");
    len = ngx_http_push_approval_base64url_encode(out, (u_char *) "fo", 2);
    UNIT_MEM(out, len, "Zm8", "encode 2");
    len = ngx_http_push_approval_base64url_encode(out, (u_char *) "foo", 3);
    UNIT_MEM(out, len, "Zm9v", "encode 3");
    len = ngx_http_push_approval_base64url_encode(out,
                                                  (u_char *) "\xfb\xff\xbf",
                                                  3);
    UNIT_MEM(out, len, "-_-_", "url alphabet");

    UNIT_IS(ngx_http_push_approval_unit_decode("Zm9vYg", out, &len), NGX_OK,
            "decode 4+2");
    UNIT_MEM(out, len, "foob", "decode 4+2 value");
    UNIT_IS(ngx_http_push_approval_unit_decode("Zm9vYmE", out, &len), NGX_OK,
            "decode 4+3");
    UNIT_MEM(out, len, "fooba", "decode 4+3 value");
    UNIT_IS(ngx_http_push_approval_unit_decode("", out, &len), NGX_OK,
            "decode empty");
    UNIT_IS(len, 0, "decode empty length");

    UNIT_IS(ngx_http_push_approval_unit_decode("Zm9vY", out, &len),
            NGX_ERROR, "one char left over");
    UNIT_IS(ngx_http_push_approval_unit_decode("Zm9=", out, &len),
            NGX_ERROR, "padding refused");
    UNIT_IS(ngx_http_push_approval_unit_decode("Zm+v", out, &len),
            NGX_ERROR, "'+' refused");
    UNIT_IS(ngx_http_push_approval_unit_decode("Zm/v", out, &len),
            NGX_ERROR, "'/' refused");

    /* non-zero unused bits: a second spelling of the same bytes */

    UNIT_IS(ngx_http_push_approval_unit_decode("Zh", out, &len), NGX_ERROR,
            "unused bits after 1 byte");
    UNIT_IS(ngx_http_push_approval_unit_decode("Zm8", out, &len), NGX_OK,
            "clean bits after 2 bytes");
    UNIT_IS(ngx_http_push_approval_unit_decode("Zm9", out, &len), NGX_ERROR,
            "unused bits after 2 bytes");
}


/* RFC 4648 section 10, the padded alphabet; hex as ngx_hex_dump() */

static void
ngx_http_push_approval_test_base64_hex(void)
{
    u_char      out[64];
    size_t      len;
    ngx_uint_t  i;

    static char  *vectors[][2] = {
        { "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
        { "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" },
        { "foobar", "Zm9vYmFy" }, { "\xfb\xff\xbf", "+/+/" }
    };

    for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        len = ngx_http_push_approval_base64_encode(out,
                                                   (u_char *) vectors[i][0],
                                                   strlen(vectors[i][0]));
        UNIT_MEM(out, len, vectors[i][1], "base64");
    }

    len = ngx_http_push_approval_hex(out, (u_char *) "\x00\x0f\xa5\xff", 4)
          - out;
    UNIT_MEM(out, len, "000fa5ff", "hex");
    len = ngx_http_push_approval_hex(out, (u_char *) "", 0) - out;
    UNIT_IS(len, 0, "hex of nothing");
}


static ngx_int_t
ngx_http_push_approval_unit_check(char *value, ngx_str_t *identity,
    ngx_str_t *scope)
{
    time_t     issued, expires;
    ngx_str_t  v;

    v.data = (u_char *) value;
    v.len = strlen(value);

    return ngx_http_push_approval_cookie_check(&v,
                                          ngx_http_push_approval_unit_secrets,
                                          2, identity, scope,
                                          ngx_http_push_approval_unit_bind,
                                          NGX_HTTP_PUSH_APPROVAL_UNIT_NOW,
                                          86400, &issued, &expires);
}


static void
ngx_http_push_approval_test_cookie(void)
{
    char       buf[128];
    size_t     len;
    ngx_str_t  other, v;

    len = ngx_http_push_approval_unit_value((u_char *) buf,
                                      &ngx_http_push_approval_unit_secrets[0],
                                      &ngx_http_push_approval_unit_alice,
                                      &ngx_http_push_approval_unit_admin,
                                      NGX_HTTP_PUSH_APPROVAL_UNIT_NOW + 3600);
    buf[len] = '\0';

    UNIT_IS(len, 2 + 10 + 1 + 10 + 1 + 43, "cookie length");
    UNIT_OK(strncmp(buf, "2.1764000000.1764003600.", 24) == 0,
            "cookie version, issue time and expiry");
    UNIT_IS(ngx_http_push_approval_unit_check(buf,
                                         &ngx_http_push_approval_unit_alice,
                                         &ngx_http_push_approval_unit_admin),
            NGX_OK, "cookie round trip");

    ngx_str_set(&other, "alice-0002");
    UNIT_IS(ngx_http_push_approval_unit_check(buf, &other,
                                         &ngx_http_push_approval_unit_admin),
            NGX_DECLINED, "other identity");

    ngx_str_set(&other, "admins");
    UNIT_IS(ngx_http_push_approval_unit_check(buf,
                                         &ngx_http_push_approval_unit_alice,
                                         &other),
            NGX_DECLINED, "other scope");

    /* another zone or provider, too old for the location, format 1 */

    {
        time_t     issued, expires;
        ngx_str_t  v;

        v.data = (u_char *) buf;
        v.len = len;

        UNIT_IS(ngx_http_push_approval_cookie_check(&v,
                                          ngx_http_push_approval_unit_secrets,
                                          2, &ngx_http_push_approval_unit_alice,
                                          &ngx_http_push_approval_unit_admin,
                                          ngx_http_push_approval_unit_bind2,
                                          NGX_HTTP_PUSH_APPROVAL_UNIT_NOW,
                                          86400, &issued, &expires),
                NGX_DECLINED, "other binding");

        UNIT_IS(ngx_http_push_approval_cookie_check(&v,
                                          ngx_http_push_approval_unit_secrets,
                                          2, &ngx_http_push_approval_unit_alice,
                                          &ngx_http_push_approval_unit_admin,
                                          ngx_http_push_approval_unit_bind,
                                          NGX_HTTP_PUSH_APPROVAL_UNIT_NOW + 21,
                                          20, &issued, &expires),
                NGX_DECLINED, "older than the location's remember time");

        UNIT_IS(ngx_http_push_approval_cookie_check(&v,
                                          ngx_http_push_approval_unit_secrets,
                                          2, &ngx_http_push_approval_unit_alice,
                                          &ngx_http_push_approval_unit_admin,
                                          ngx_http_push_approval_unit_bind,
                                          NGX_HTTP_PUSH_APPROVAL_UNIT_NOW + 20,
                                          20, &issued, &expires),
                NGX_OK, "as old as the location's remember time");
        UNIT_IS(issued, NGX_HTTP_PUSH_APPROVAL_UNIT_NOW, "issue time");
        UNIT_IS(expires, NGX_HTTP_PUSH_APPROVAL_UNIT_NOW + 3600, "expiry");

        UNIT_IS(ngx_http_push_approval_unit_check(buf + 13,
                                         &ngx_http_push_approval_unit_alice,
                                         &ngx_http_push_approval_unit_admin),
                NGX_DECLINED, "format 1 (EXPIRES.MAC) refused");
    }

    /* the second secret still verifies (rotation); an unknown one not */

    len = ngx_http_push_approval_unit_value((u_char *) buf,
                                      &ngx_http_push_approval_unit_secrets[1],
                                      &ngx_http_push_approval_unit_alice,
                                      &ngx_http_push_approval_unit_admin,
                                      NGX_HTTP_PUSH_APPROVAL_UNIT_NOW + 60);
    buf[len] = '\0';
    UNIT_IS(ngx_http_push_approval_unit_check(buf,
                                         &ngx_http_push_approval_unit_alice,
                                         &ngx_http_push_approval_unit_admin),
            NGX_OK, "rotated secret");

    ngx_str_set(&other, "a-third-secret-nobody-configured-0123456789");
    len = ngx_http_push_approval_unit_value((u_char *) buf, &other,
                                      &ngx_http_push_approval_unit_alice,
                                      &ngx_http_push_approval_unit_admin,
                                      NGX_HTTP_PUSH_APPROVAL_UNIT_NOW + 60);
    buf[len] = '\0';
    UNIT_IS(ngx_http_push_approval_unit_check(buf,
                                         &ngx_http_push_approval_unit_alice,
                                         &ngx_http_push_approval_unit_admin),
            NGX_DECLINED, "unknown secret");

    /* expiry: now is still valid, a second before is not */

    len = ngx_http_push_approval_unit_value((u_char *) buf,
                                      &ngx_http_push_approval_unit_secrets[0],
                                      &ngx_http_push_approval_unit_alice,
                                      &ngx_http_push_approval_unit_admin,
                                      NGX_HTTP_PUSH_APPROVAL_UNIT_NOW);
    buf[len] = '\0';
    UNIT_IS(ngx_http_push_approval_unit_check(buf,
                                         &ngx_http_push_approval_unit_alice,
                                         &ngx_http_push_approval_unit_admin),
            NGX_OK, "expires now");

    len = ngx_http_push_approval_unit_value((u_char *) buf,
                                      &ngx_http_push_approval_unit_secrets[0],
                                      &ngx_http_push_approval_unit_alice,
                                      &ngx_http_push_approval_unit_admin,
                                      NGX_HTTP_PUSH_APPROVAL_UNIT_NOW - 1);
    buf[len] = '\0';
    UNIT_IS(ngx_http_push_approval_unit_check(buf,
                                         &ngx_http_push_approval_unit_alice,
                                         &ngx_http_push_approval_unit_admin),
            NGX_DECLINED, "expired");

    /* an identity longer than the module allows gets no cookie */

    v.data = (u_char *) "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                        "xxxxxxxxxx";
    v.len = 65;
    UNIT_IS(ngx_http_push_approval_unit_value((u_char *) buf,
                                      &ngx_http_push_approval_unit_secrets[0],
                                      &v, &ngx_http_push_approval_unit_admin,
                                      NGX_HTTP_PUSH_APPROVAL_UNIT_NOW),
            0, "identity too long");
}


static void
ngx_http_push_approval_test_cookie_malformed(void)
{
    ngx_str_t  *id, *scope;

    id = &ngx_http_push_approval_unit_alice;
    scope = &ngx_http_push_approval_unit_admin;

    UNIT_IS(ngx_http_push_approval_unit_check("", id, scope), NGX_DECLINED,
            "empty");
    UNIT_IS(ngx_http_push_approval_unit_check(".", id, scope), NGX_DECLINED,
            "dot only");
    UNIT_IS(ngx_http_push_approval_unit_check(
                ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", id, scope),
            NGX_DECLINED, "no expiry");
    UNIT_IS(ngx_http_push_approval_unit_check(
                "2.1764000000."
                "17640036x0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                id, scope),
            NGX_DECLINED, "letter in expiry");
    UNIT_IS(ngx_http_push_approval_unit_check(
                "2.1764000000."
                "1764003600.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                id, scope),
            NGX_DECLINED, "short MAC");
    UNIT_IS(ngx_http_push_approval_unit_check(
                "2.1764000000."
                "1764003600.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                id, scope),
            NGX_DECLINED, "long MAC");
    UNIT_IS(ngx_http_push_approval_unit_check(
                "2.1764000000."
                "1764003600.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                id, scope),
            NGX_DECLINED, "padded MAC");

    /* expiry digits that overflow time_t are refused, not wrapped */

    UNIT_IS(ngx_http_push_approval_unit_check(
                "2.1764000000."
                "9999999999999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                id, scope),
            NGX_DECLINED, "19 digits");
    UNIT_IS(ngx_http_push_approval_unit_check(
                "2.1764000000."
                "99999999999999999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                id, scope),
            NGX_DECLINED, "23 digits");
}
