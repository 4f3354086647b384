
/*
 * Copyright (C) push approval module developers
 *
 * libFuzzer harness over the remember cookie of
 * ngx_http_push_approval_crypto.c: cookie_check on fuzzed values with
 * fixed secrets, identity and scope, and a cookie_value/cookie_check round
 * trip with a fuzzed expiry, identity and scope.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_push_approval.h"


#define NGX_HTTP_PUSH_APPROVAL_FUZZ_NOW  1764000000

/* the module's limits on identities and approval ids */
#define NGX_HTTP_PUSH_APPROVAL_FUZZ_IDENTITY  64
#define NGX_HTTP_PUSH_APPROVAL_FUZZ_ID        40


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static u_char  ngx_http_push_approval_fuzz_bind[32];

static void ngx_http_push_approval_fuzz_round_trip(u_char *in, size_t size);


static ngx_str_t  ngx_http_push_approval_fuzz_secrets[] = {
    ngx_string("0123456789abcdef0123456789abcdef-first-line"),
    ngx_string("another-secret-of-at-least-thirty-two-bytes!")
};


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char     *in;
    time_t      issued, expiry;
    ngx_str_t   value, identity, scope;

    in = malloc(size ? size : 1);
    if (in == NULL) {
        return 0;
    }

    memcpy(in, data, size);

    value.data = in;
    value.len = size;
    ngx_str_set(&identity, "alice-0001");
    ngx_str_set(&scope, "admin");

    (void) ngx_http_push_approval_cookie_check(&value,
                                          ngx_http_push_approval_fuzz_secrets,
                                          2, &identity, &scope,
                                          ngx_http_push_approval_fuzz_bind,
                                          NGX_HTTP_PUSH_APPROVAL_FUZZ_NOW,
                                          (time_t) 1 << 40, &issued, &expiry);

    ngx_http_push_approval_fuzz_round_trip(in, size);

    free(in);

    return 0;
}


/* bytes 0-7: expiry; 8: identity length; then identity, then scope */

static void
ngx_http_push_approval_fuzz_round_trip(u_char *in, size_t size)
{
    u_char      buf[2 + 2 * NGX_INT64_LEN + 2 + 64];
    time_t      issued, expiry;
    size_t      len, ilen;
    time_t      expires;
    uint64_t    v;
    ngx_int_t   rc, want;
    ngx_str_t   value, identity, scope, *secret;
    ngx_uint_t  i;

    if (size < 9) {
        return;
    }

    v = 0;

    for (i = 0; i < 8; i++) {
        v = (v << 8) | in[i];
    }

    /* the module writes now + remember: positive and far below 10^18 */

    expires = (time_t) (v % 1000000000000000000ULL);

    ilen = in[8];

    if (ilen > size - 9) {
        ilen = size - 9;
    }

    identity.data = in + 9;
    identity.len = ilen;
    scope.data = in + 9 + ilen;
    scope.len = size - 9 - ilen;

    secret = &ngx_http_push_approval_fuzz_secrets[v & 1];

    len = ngx_http_push_approval_cookie_value(buf, secret, &identity, &scope,
                                              ngx_http_push_approval_fuzz_bind,
                                              NGX_HTTP_PUSH_APPROVAL_FUZZ_NOW,
                                              expires);

    if (identity.len > NGX_HTTP_PUSH_APPROVAL_FUZZ_IDENTITY) {
        if (len != 0) {
            abort();
        }

        return;
    }

    if (len == 0 || len > sizeof(buf)) {
        abort();
    }

    value.data = buf;
    value.len = len;

    rc = ngx_http_push_approval_cookie_check(&value,
                                          ngx_http_push_approval_fuzz_secrets,
                                          2, &identity, &scope,
                                          ngx_http_push_approval_fuzz_bind,
                                          NGX_HTTP_PUSH_APPROVAL_FUZZ_NOW,
                                          (time_t) 1 << 40, &issued, &expiry);

    want = (expires >= NGX_HTTP_PUSH_APPROVAL_FUZZ_NOW) ? NGX_OK
                                                       : NGX_DECLINED;

    if (rc != want) {
        abort();
    }

    if (want == NGX_OK && len > 0) {
        /* any single-bit change of the value is refused */

        i = v % len;
        buf[i] ^= (u_char) (1 << (in[7] % 8));

        rc = ngx_http_push_approval_cookie_check(&value,
                                          ngx_http_push_approval_fuzz_secrets,
                                          2, &identity, &scope,
                                          ngx_http_push_approval_fuzz_bind,
                                          NGX_HTTP_PUSH_APPROVAL_FUZZ_NOW,
                                          (time_t) 1 << 40, &issued, &expiry);

        /* a larger expiry digit still fails the MAC */

        if (rc == NGX_OK) {
            abort();
        }
    }
}
