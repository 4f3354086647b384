
/*
 * Copyright (C) push approval module developers
 *
 * libFuzzer harness over the wait token of ngx_http_push_approval_token.c.
 * The first byte chooses the mode:
 *
 *   even  the rest is token text, decoded as it comes from a client;
 *   odd   the rest is a raw payload ("T1" and fields), signed here with
 *         the right secret, so that the field parser behind the MAC runs
 *         on fuzzed data.
 *
 * A token that decodes must hold its fields inside the work buffer and a
 * same-site return URI, and must survive encode and decode again.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_push_approval.h"


/* the module's limits on identities and approval ids */
#define NGX_HTTP_PUSH_APPROVAL_FUZZ_IDENTITY  64
#define NGX_HTTP_PUSH_APPROVAL_FUZZ_ID        40


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ngx_http_push_approval_fuzz_decode(u_char *text, size_t len);
static void ngx_http_push_approval_fuzz_field(ngx_str_t *s, u_char *work,
    size_t size);
static void ngx_http_push_approval_fuzz_same(ngx_str_t *a, ngx_str_t *b);


static ngx_str_t  ngx_http_push_approval_fuzz_secrets[] = {
    ngx_string("0123456789abcdef0123456789abcdef-first-line"),
    ngx_string("another-secret-of-at-least-thirty-two-bytes!")
};


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char     *raw, *text;
    size_t      len;
    ngx_str_t   payload;

    if (size == 0) {
        return 0;
    }

    if ((data[0] & 1) == 0) {
        text = malloc(size - 1 ? size - 1 : 1);
        if (text == NULL) {
            return 0;
        }

        memcpy(text, data + 1, size - 1);
        ngx_http_push_approval_fuzz_decode(text, size - 1);
        free(text);

        return 0;
    }

    /* payload, then its MAC under the second secret (a rotated key) */

    len = size - 1;

    raw = malloc(len + 32);
    text = malloc((len + 32 + 2) / 3 * 4);

    if (raw == NULL || text == NULL) {
        goto done;
    }

    memcpy(raw, data + 1, len);

    payload.data = raw;
    payload.len = len;

    ngx_http_push_approval_hmac_sha256(
                         &ngx_http_push_approval_fuzz_secrets[data[0] >> 7],
                         &payload, raw + len);

    len = ngx_http_push_approval_base64url_encode(text, raw, len + 32);

    ngx_http_push_approval_fuzz_decode(text, len);

done:

    free(raw);
    free(text);

    return 0;
}


static void
ngx_http_push_approval_fuzz_decode(u_char *text, size_t len)
{
    u_char                          *work, *work2, *text2;
    size_t                           size, n;
    ngx_str_t                        ret;
    ngx_http_push_approval_token_t   t, t2;

    /* the decoder needs len bytes of work: exactly that, for ASan */

    work = malloc(len ? len : 1);
    if (work == NULL) {
        return;
    }

    if (ngx_http_push_approval_token_decode(&t, work, text, len,
                                          ngx_http_push_approval_fuzz_secrets,
                                          2)
        != NGX_OK)
    {
        free(work);
        return;
    }

    ngx_http_push_approval_fuzz_field(&t.id, work, len);
    ngx_http_push_approval_fuzz_field(&t.identity, work, len);
    ngx_http_push_approval_fuzz_field(&t.scope, work, len);
    ngx_http_push_approval_fuzz_field(&t.return_uri, work, len);
    ngx_http_push_approval_fuzz_field(&t.message, work, len);
    ngx_http_push_approval_fuzz_field(&t.cookie_name, work, len);
    ngx_http_push_approval_fuzz_field(&t.cookie_domain, work, len);

    ret = t.return_uri;
    ngx_http_push_approval_safe_return(&ret);

    if (ret.data != t.return_uri.data || ret.len != t.return_uri.len
        || t.identity.len == 0
        || t.identity.len > NGX_HTTP_PUSH_APPROVAL_FUZZ_IDENTITY
        || t.id.len == 0 || t.id.len > NGX_HTTP_PUSH_APPROVAL_FUZZ_ID)
    {
        abort();
    }

    /* encode again, decode again: the same token */

    size = ngx_http_push_approval_token_size(&t);

    work2 = malloc(size);
    text2 = malloc(size);

    if (work2 == NULL || text2 == NULL) {
        goto done;
    }

    n = ngx_http_push_approval_token_encode(text2, work2, &t,
                                        &ngx_http_push_approval_fuzz_secrets[0]);

    if (n > size) {
        abort();
    }

    free(work2);
    work2 = malloc(n);

    if (work2 == NULL) {
        goto done;
    }

    if (ngx_http_push_approval_token_decode(&t2, work2, text2, n,
                                          ngx_http_push_approval_fuzz_secrets,
                                          1)
        != NGX_OK)
    {
        abort();
    }

    ngx_http_push_approval_fuzz_same(&t.id, &t2.id);
    ngx_http_push_approval_fuzz_same(&t.identity, &t2.identity);
    ngx_http_push_approval_fuzz_same(&t.scope, &t2.scope);
    ngx_http_push_approval_fuzz_same(&t.return_uri, &t2.return_uri);
    ngx_http_push_approval_fuzz_same(&t.message, &t2.message);
    ngx_http_push_approval_fuzz_same(&t.cookie_name, &t2.cookie_name);
    ngx_http_push_approval_fuzz_same(&t.cookie_domain, &t2.cookie_domain);

    if (t.expires != t2.expires || t.remember != t2.remember
        || t.created != t2.created || t.timeout != t2.timeout
        || t.code != t2.code || t.provider != t2.provider
        || t.secure != t2.secure || t.samesite != t2.samesite
        || memcmp(t.wait_hash, t2.wait_hash, sizeof(t.wait_hash)) != 0)
    {
        abort();
    }

done:

    free(work);
    free(work2);
    free(text2);
}


static void
ngx_http_push_approval_fuzz_field(ngx_str_t *s, u_char *work, size_t size)
{
    if (s->len && (s->data < work || s->data + s->len > work + size)) {
        abort();
    }
}


static void
ngx_http_push_approval_fuzz_same(ngx_str_t *a, ngx_str_t *b)
{
    if (a->len != b->len || (a->len && memcmp(a->data, b->data, a->len))) {
        abort();
    }
}
