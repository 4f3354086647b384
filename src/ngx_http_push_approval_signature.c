
/*
 * Copyright (C) push approval module developers
 *
 * Callback signatures: form decoding, X-Twilio-Signature (Verify) and
 * X-Authy-Signature (Authy OneTouch) with its canonical parameter string.
 *
 * Pure functions over plain buffers: no pools, no logs, nothing from
 * nginx's run time, so that unit tests and fuzzers link this file with
 * crypto.c (the HMAC, SHA-256, base64, hex) and json.c (the walker) only.
 * Work memory is the stack and the caller's buffers; only yajl allocates
 * (its parser handle), and the walker frees it on every path.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ngx_http_push_approval.h"


#define NGX_HTTP_PUSH_APPROVAL_SIG_PAIRS       512
#define NGX_HTTP_PUSH_APPROVAL_SIG_MAX_KEY     4096

#define NGX_HTTP_PUSH_APPROVAL_TWILIO_SIG_LEN  28
#define NGX_HTTP_PUSH_APPROVAL_AUTHY_SIG_LEN   44


typedef struct {
    u_char                          *buf;     /* pair strings */
    size_t                           size;
    size_t                           used;
    ngx_str_t                       *pairs;
    ngx_uint_t                       npairs;
    u_char                           key[NGX_HTTP_PUSH_APPROVAL_SIG_MAX_KEY];
} ngx_http_push_approval_sig_pairs_t;


static ngx_int_t ngx_http_push_approval_sig_hex(u_char c);
static ngx_int_t ngx_http_push_approval_sig_utf8(u_char *p, size_t len);
static int ngx_http_push_approval_sig_str_cmp(ngx_str_t *a, ngx_str_t *b);
static int ngx_http_push_approval_sig_param_cmp(const void *one,
    const void *two);
static int ngx_http_push_approval_sig_pair_cmp(const void *one,
    const void *two);
static ngx_int_t ngx_http_push_approval_sig_twilio_mac(ngx_str_t *token,
    ngx_str_t *parts, ngx_uint_t nparts,
    ngx_http_push_approval_param_t *params, ngx_uint_t n, u_char *sig);
static ngx_int_t ngx_http_push_approval_sig_url_variant(ngx_str_t *url,
    ngx_str_t *parts);
static ngx_int_t ngx_http_push_approval_sig_twilio_match(ngx_str_t *token,
    ngx_str_t *parts, ngx_uint_t nparts,
    ngx_http_push_approval_param_t *params, ngx_uint_t n,
    ngx_str_t *signature);
static ngx_int_t ngx_http_push_approval_sig_mac_base64(
    ngx_http_push_approval_hmac_t *h, u_char *sig);
static size_t ngx_http_push_approval_sig_encode_len(u_char *src, size_t len);
static ngx_uint_t ngx_http_push_approval_sig_unreserved(u_char c);
static ngx_int_t ngx_http_push_approval_sig_pair(
    ngx_http_push_approval_sig_pairs_t *ctx, u_char *key, size_t klen,
    u_char *value, size_t vlen, ngx_uint_t encode_key);
static ssize_t ngx_http_push_approval_sig_join(
    ngx_http_push_approval_sig_pairs_t *ctx);
static void ngx_http_push_approval_sig_pairs_init(
    ngx_http_push_approval_sig_pairs_t *ctx, ngx_str_t *pairs, u_char *buf,
    size_t size);
static ngx_int_t ngx_http_push_approval_sig_json(
    ngx_http_push_approval_json_walk_t *w, ngx_uint_t event, u_char *data,
    size_t len);
static ngx_int_t ngx_http_push_approval_sig_json_index(
    ngx_http_push_approval_json_walk_t *w, ngx_uint_t index);
static ngx_int_t ngx_http_push_approval_sig_json_key(
    ngx_http_push_approval_json_walk_t *w, u_char *key, size_t len);


static u_char  ngx_http_push_approval_sig_hex_digits[] = "0123456789ABCDEF";


/* the form decoding */

ngx_int_t
ngx_http_push_approval_form_parse(u_char *data, size_t len, u_char *scratch,
    ngx_http_push_approval_param_t *params, ngx_uint_t max)
{
    u_char      *p, *end, *d, *start;
    ngx_int_t    hi, lo;
    ngx_str_t   *s;
    ngx_uint_t   n;

    n = 0;
    p = data;
    end = data + len;
    d = scratch;

    while (p < end) {

        if (*p == '&') {
            /* empty pairs ("a=1&&b=2") carry nothing */
            p++;
            continue;
        }

        if (n == max) {
            return NGX_ERROR;
        }

        params[n].value.len = 0;
        params[n].value.data = d;

        s = &params[n].name;
        start = d;

        for ( /* void */ ; p < end && *p != '&'; p++) {

            if (*p == '=' && s == &params[n].name) {
                s->data = start;
                s->len = d - start;

                if (ngx_http_push_approval_sig_utf8(s->data, s->len)
                    != NGX_OK)
                {
                    return NGX_ERROR;
                }

                s = &params[n].value;
                start = d;
                continue;
            }

            if (*p == '+') {
                *d++ = ' ';
                continue;
            }

            if (*p != '%') {
                *d++ = *p;
                continue;
            }

            if (end - p < 3) {
                return NGX_ERROR;
            }

            hi = ngx_http_push_approval_sig_hex(p[1]);
            lo = ngx_http_push_approval_sig_hex(p[2]);

            if (hi < 0 || lo < 0) {
                return NGX_ERROR;
            }

            *d++ = (u_char) ((hi << 4) | lo);
            p += 2;
        }

        s->data = start;
        s->len = d - start;

        if (ngx_http_push_approval_sig_utf8(s->data, s->len) != NGX_OK) {
            return NGX_ERROR;
        }

        n++;
    }

    return n;
}


/* X-Twilio-Signature */

ngx_int_t
ngx_http_push_approval_twilio_sign(ngx_str_t *token, ngx_str_t *url,
    ngx_http_push_approval_param_t *params, ngx_uint_t n, u_char *sig)
{
    return ngx_http_push_approval_sig_twilio_mac(token, url, 1, params, n,
                                                 sig);
}


ngx_int_t
ngx_http_push_approval_twilio_check(ngx_str_t *token, ngx_str_t *url,
    ngx_http_push_approval_param_t *params, ngx_uint_t n, ngx_str_t *body,
    ngx_str_t *signature)
{
    u_char      md[32], hex[64];
    ngx_int_t   rc;
    ngx_str_t   hash, parts[3];

    if (signature == NULL
        || signature->len != NGX_HTTP_PUSH_APPROVAL_TWILIO_SIG_LEN)
    {
        return NGX_DECLINED;
    }

    if (ngx_http_push_approval_body_hash(url, &hash) == NGX_OK) {

        /* JSON variant: the URL carries the body's hash, no params */

        if (body == NULL || hash.len != 64) {
            return NGX_DECLINED;
        }

        if (ngx_http_push_approval_sha256(md, body, 1) != NGX_OK) {
            return NGX_ERROR;
        }

        (void) ngx_http_push_approval_hex(hex, md, sizeof(md));

        if (ngx_http_push_approval_mac_equal(hex, hash.data, 64) != NGX_OK) {
            return NGX_DECLINED;
        }

        n = 0;
    }

    rc = ngx_http_push_approval_sig_twilio_match(token, url, 1, params, n,
                                                 signature);

    if (rc == NGX_DECLINED
        && ngx_http_push_approval_sig_url_variant(url, parts) == NGX_OK)
    {
        rc = ngx_http_push_approval_sig_twilio_match(token, parts, 3, params,
                                                     n, signature);
    }

    return rc;
}


/* NGX_OK: the signature of these URL parts and params is this one */

static ngx_int_t
ngx_http_push_approval_sig_twilio_match(ngx_str_t *token, ngx_str_t *parts,
    ngx_uint_t nparts, ngx_http_push_approval_param_t *params, ngx_uint_t n,
    ngx_str_t *signature)
{
    u_char  sig[NGX_HTTP_PUSH_APPROVAL_TWILIO_SIG_LEN];

    if (ngx_http_push_approval_sig_twilio_mac(token, parts, nparts, params,
                                              n, sig)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_push_approval_mac_equal(sig, signature->data,
                                            sizeof(sig));
}


static ngx_int_t
ngx_http_push_approval_sig_twilio_mac(ngx_str_t *token, ngx_str_t *parts,
    ngx_uint_t nparts, ngx_http_push_approval_param_t *params, ngx_uint_t n,
    u_char *sig)
{
    ngx_int_t                      rc;
    ngx_uint_t                     i;
    ngx_http_push_approval_hmac_t  h;

    if (n > 1) {
        qsort(params, n, sizeof(ngx_http_push_approval_param_t),
              ngx_http_push_approval_sig_param_cmp);
    }

    rc = ngx_http_push_approval_hmac_init(&h, NGX_HTTP_PUSH_APPROVAL_SHA1,
                                          token);

    for (i = 0; rc == NGX_OK && i < nparts; i++) {
        rc = ngx_http_push_approval_hmac_update(&h, parts[i].data,
                                                parts[i].len);
    }

    for (i = 0; rc == NGX_OK && i < n; i++) {

        /* a repeated name and value counts once, as Twilio's validators */

        if (i > 0
            && ngx_http_push_approval_sig_param_cmp(&params[i - 1],
                                                    &params[i])
               == 0)
        {
            continue;
        }

        rc = ngx_http_push_approval_hmac_update(&h, params[i].name.data,
                                                params[i].name.len);
        if (rc == NGX_OK) {
            rc = ngx_http_push_approval_hmac_update(&h, params[i].value.data,
                                                    params[i].value.len);
        }
    }

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_push_approval_sig_mac_base64(&h, sig);
}


/* the final MAC as base64, the MAC itself wiped */

static ngx_int_t
ngx_http_push_approval_sig_mac_base64(ngx_http_push_approval_hmac_t *h,
    u_char *sig)
{
    u_char  mac[EVP_MAX_MD_SIZE];
    size_t  len;

    len = ngx_http_push_approval_hmac_final(h, mac);
    if (len == 0) {
        return NGX_ERROR;
    }

    (void) ngx_http_push_approval_base64_encode(sig, mac, len);
    OPENSSL_cleanse(mac, sizeof(mac));

    return NGX_OK;
}


/*
 * The URL with the default port added when absent, or without its port
 * (any port) when present: parts[0] + parts[1] + parts[2].  NGX_DECLINED
 * when there is no variant.
 */

static ngx_int_t
ngx_http_push_approval_sig_url_variant(ngx_str_t *url, ngx_str_t *parts)
{
    u_char     *p, *host, *end, *colon;
    size_t      skip;
    ngx_str_t   port;

    p = url->data;
    end = url->data + url->len;

    if (url->len > 8
        && (p[0] | 0x20) == 'h' && (p[1] | 0x20) == 't'
        && (p[2] | 0x20) == 't' && (p[3] | 0x20) == 'p'
        && (p[4] | 0x20) == 's' && ngx_strncmp(p + 5, "://", 3) == 0)
    {
        port.data = (u_char *) ":443";
        port.len = 4;
        skip = 8;

    } else if (url->len > 7
               && (p[0] | 0x20) == 'h' && (p[1] | 0x20) == 't'
               && (p[2] | 0x20) == 't' && (p[3] | 0x20) == 'p'
               && ngx_strncmp(p + 4, "://", 3) == 0)
    {
        port.data = (u_char *) ":80";
        port.len = 3;
        skip = 7;

    } else {
        return NGX_DECLINED;
    }

    host = p + skip;
    colon = NULL;

    for (p = host; p < end; p++) {

        if (*p == '/' || *p == '?' || *p == '#') {
            break;
        }

        if (*p == ':') {
            colon = p;

        } else if (*p == ']' || *p == '@') {
            colon = NULL;
        }
    }

    if (p == host) {
        return NGX_DECLINED;
    }

    if (colon == NULL) {
        parts[0].data = url->data;
        parts[0].len = p - url->data;
        parts[1] = port;
        parts[2].data = p;
        parts[2].len = end - p;

        return NGX_OK;
    }

    /* any port is dropped, as Twilio's own validators do */

    for (port.data = colon + 1; port.data < p; port.data++) {
        if (*port.data < '0' || *port.data > '9') {
            return NGX_DECLINED;
        }
    }

    parts[0].data = url->data;
    parts[0].len = colon - url->data;
    parts[1].data = colon;
    parts[1].len = 0;
    parts[2].data = p;
    parts[2].len = end - p;

    return NGX_OK;
}


/*
 * the value of bodySHA256 in the URL's query string: the JSON variant of
 * a Verify webhook
 */

ngx_int_t
ngx_http_push_approval_body_hash(ngx_str_t *url, ngx_str_t *hash)
{
    u_char  *p, *end, *name, *eq;

    end = url->data + url->len;

    for (p = url->data; p < end; p++) {
        if (*p == '?') {
            break;
        }

        if (*p == '#') {
            return NGX_DECLINED;
        }
    }

    while (p < end && *p != '#') {
        name = ++p;
        eq = NULL;

        while (p < end && *p != '&' && *p != '#') {
            if (*p == '=' && eq == NULL) {
                eq = p;
            }

            p++;
        }

        if (eq != NULL
            && eq - name == sizeof("bodySHA256") - 1
            && ngx_strncmp(name, "bodySHA256", eq - name) == 0)
        {
            hash->data = eq + 1;
            hash->len = p - hash->data;
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
}


/* X-Authy-Signature */

ngx_int_t
ngx_http_push_approval_authy_sign(ngx_str_t *key, ngx_str_t *nonce,
    ngx_str_t *method, ngx_str_t *url, ngx_str_t *canonical, u_char *sig)
{
    ngx_int_t                      rc;
    ngx_str_t                      parts[4];
    ngx_uint_t                     i;
    ngx_http_push_approval_hmac_t  h;

    /* nonce|method|url without its query|canonical */

    parts[0] = *nonce;
    parts[1] = *method;
    parts[2].data = url->data;
    parts[2].len = 0;
    parts[3] = *canonical;

    while (parts[2].len < url->len && url->data[parts[2].len] != '?') {
        parts[2].len++;
    }

    rc = ngx_http_push_approval_hmac_init(&h, NGX_HTTP_PUSH_APPROVAL_SHA256,
                                          key);

    for (i = 0; rc == NGX_OK && i < 4; i++) {
        if (i) {
            rc = ngx_http_push_approval_hmac_update(&h, (u_char *) "|", 1);
        }

        if (rc == NGX_OK) {
            rc = ngx_http_push_approval_hmac_update(&h, parts[i].data,
                                                    parts[i].len);
        }
    }

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_push_approval_sig_mac_base64(&h, sig);
}


ngx_int_t
ngx_http_push_approval_authy_check(ngx_str_t *key, ngx_str_t *nonce,
    ngx_str_t *method, ngx_str_t *url, ngx_str_t *canonical,
    ngx_str_t *signature)
{
    u_char  sig[NGX_HTTP_PUSH_APPROVAL_AUTHY_SIG_LEN];

    if (signature == NULL
        || signature->len != NGX_HTTP_PUSH_APPROVAL_AUTHY_SIG_LEN)
    {
        return NGX_DECLINED;
    }

    if (ngx_http_push_approval_authy_sign(key, nonce, method, url, canonical,
                                          sig)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_push_approval_mac_equal(sig, signature->data,
                                            sizeof(sig));
}


/*
 * The canonical parameter string of an Authy callback.
 *
 * Pair strings are built at the start of buf, the sorted and joined result
 * after them, then moved to the start: a canonical string of L bytes needs
 * a buf of about 2 * L + 1 bytes.  L is at most 3 times the flattened
 * parameters; for real callbacks (short keys) size >= 8 * len + 4096 is
 * ample.  -1: invalid JSON, nesting deeper than 16, a key path over 4 KB,
 * more than 512 values, or no room.
 */

ssize_t
ngx_http_push_approval_authy_canonical_json(u_char *json, size_t len,
    u_char *buf, size_t size)
{
    ngx_str_t                           pairs[NGX_HTTP_PUSH_APPROVAL_SIG_PAIRS];
    ngx_http_push_approval_json_walk_t  w;
    ngx_http_push_approval_sig_pairs_t  ctx;

    ngx_http_push_approval_sig_pairs_init(&ctx, pairs, buf, size);

    w.handler = ngx_http_push_approval_sig_json;
    w.data = &ctx;

    if (ngx_http_push_approval_json_walk(&w, json, len) != NGX_OK) {
        return -1;
    }

    return ngx_http_push_approval_sig_join(&ctx);
}


ssize_t
ngx_http_push_approval_authy_canonical_params(
    ngx_http_push_approval_param_t *params, ngx_uint_t n, u_char *buf,
    size_t size)
{
    ngx_str_t                           pairs[NGX_HTTP_PUSH_APPROVAL_SIG_PAIRS];
    ngx_uint_t                          i;
    ngx_http_push_approval_sig_pairs_t  ctx;

    ngx_http_push_approval_sig_pairs_init(&ctx, pairs, buf, size);

    for (i = 0; i < n; i++) {
        if (ngx_http_push_approval_sig_pair(&ctx, params[i].name.data,
                                            params[i].name.len,
                                            params[i].value.data,
                                            params[i].value.len, 1)
            != NGX_OK)
        {
            return -1;
        }
    }

    return ngx_http_push_approval_sig_join(&ctx);
}


static void
ngx_http_push_approval_sig_pairs_init(ngx_http_push_approval_sig_pairs_t *ctx,
    ngx_str_t *pairs, u_char *buf, size_t size)
{
    ctx->buf = buf;
    ctx->size = size;
    ctx->used = 0;
    ctx->pairs = pairs;
    ctx->npairs = 0;
}


/* "key=value", percent-encoded, appended to the pair area */

static ngx_int_t
ngx_http_push_approval_sig_pair(ngx_http_push_approval_sig_pairs_t *ctx,
    u_char *key, size_t klen, u_char *value, size_t vlen,
    ngx_uint_t encode_key)
{
    u_char  *p;
    size_t   len;

    if (ctx->npairs == NGX_HTTP_PUSH_APPROVAL_SIG_PAIRS) {
        return NGX_ERROR;
    }

    len = (encode_key ? ngx_http_push_approval_sig_encode_len(key, klen)
                      : klen)
          + 1 + ngx_http_push_approval_sig_encode_len(value, vlen);

    if (len > ctx->size - ctx->used) {
        return NGX_ERROR;
    }

    p = ctx->buf + ctx->used;

    ctx->pairs[ctx->npairs].data = p;
    ctx->pairs[ctx->npairs].len = len;
    ctx->npairs++;

    if (encode_key) {
        p = ngx_http_push_approval_percent_encode(p, key, klen, 1);

    } else {
        p = ngx_cpymem(p, key, klen);
    }

    *p++ = '=';
    (void) ngx_http_push_approval_percent_encode(p, value, vlen, 1);

    ctx->used += len;

    return NGX_OK;
}


/* sort, join with '&' after the pairs, then %5B<digits>%5D -> %5B%5D */

static ssize_t
ngx_http_push_approval_sig_join(ngx_http_push_approval_sig_pairs_t *ctx)
{
    u_char      *out, *p, *q, *end, *d;
    size_t       len;
    ngx_uint_t   i;

    if (ctx->npairs > 1) {
        qsort(ctx->pairs, ctx->npairs, sizeof(ngx_str_t),
              ngx_http_push_approval_sig_pair_cmp);
    }

    len = ctx->npairs ? ctx->npairs - 1 : 0;

    for (i = 0; i < ctx->npairs; i++) {
        len += ctx->pairs[i].len;
    }

    if (len > ctx->size - ctx->used) {
        return -1;
    }

    out = ctx->buf + ctx->used;
    p = out;

    for (i = 0; i < ctx->npairs; i++) {
        if (i) {
            *p++ = '&';
        }

        p = ngx_cpymem(p, ctx->pairs[i].data, ctx->pairs[i].len);
    }

    /* the result only shrinks and moves down: copy forward */

    end = out + len;
    d = ctx->buf;
    p = out;

    while (p < end) {

        if (end - p >= 7 && ngx_strncmp(p, "%5B", 3) == 0
            && p[3] >= '0' && p[3] <= '9')
        {
            for (q = p + 4; q < end && *q >= '0' && *q <= '9'; q++) {
                /* void */
            }

            if (end - q >= 3 && ngx_strncmp(q, "%5D", 3) == 0) {
                d = ngx_cpymem(d, "%5B%5D", 6);
                p = q + 3;
                continue;
            }
        }

        *d++ = *p++;
    }

    return d - ctx->buf;
}


/* the walker's events: each scalar is a pair "key=value" */

static ngx_int_t
ngx_http_push_approval_sig_json(ngx_http_push_approval_json_walk_t *w,
    ngx_uint_t event, u_char *data, size_t len)
{
    ngx_http_push_approval_sig_pairs_t  *ctx = w->data;

    switch (event) {

    case NGX_HTTP_PUSH_APPROVAL_JSON_KEY:
        return ngx_http_push_approval_sig_json_key(w, data, len);

    case NGX_HTTP_PUSH_APPROVAL_JSON_INDEX:
        return ngx_http_push_approval_sig_json_index(w, len);

    case NGX_HTTP_PUSH_APPROVAL_JSON_STRING:

        /* yajl lets encoded surrogates through */

        if (ngx_http_push_approval_sig_utf8(data, len) != NGX_OK) {
            return NGX_DECLINED;
        }

        /* fall through */

    default:
        if (ngx_http_push_approval_sig_pair(ctx, ctx->key, w->len, data, len,
                                            0)
            != NGX_OK)
        {
            return NGX_DECLINED;
        }

        return NGX_OK;
    }
}


/* the key of an array element: parent%5Bindex%5D */

static ngx_int_t
ngx_http_push_approval_sig_json_index(ngx_http_push_approval_json_walk_t *w,
    ngx_uint_t index)
{
    ngx_http_push_approval_sig_pairs_t  *ctx = w->data;

    u_char      *p;
    size_t       base;
    ngx_uint_t   i;

    base = w->levels[w->depth - 1].base;

    /* "%5B" + up to 20 digits + "%5D" */

    if (base + 26 > NGX_HTTP_PUSH_APPROVAL_SIG_MAX_KEY) {
        return NGX_DECLINED;
    }

    p = ngx_cpymem(ctx->key + base, "%5B", 3);

    i = 1;

    while (index / i >= 10) {
        i *= 10;
    }

    do {
        *p++ = (u_char) ('0' + index / i % 10);
        i /= 10;
    } while (i);

    p = ngx_cpymem(p, "%5D", 3);

    w->len = p - ctx->key;

    return NGX_OK;
}


/* the key of a map member: key at the top, parent%5Bkey%5D below */

static ngx_int_t
ngx_http_push_approval_sig_json_key(ngx_http_push_approval_json_walk_t *w,
    u_char *key, size_t len)
{
    ngx_http_push_approval_sig_pairs_t  *ctx = w->data;

    u_char  *p;
    size_t   base, need;

    base = w->levels[w->depth - 1].base;

    if (ngx_http_push_approval_sig_utf8(key, len) != NGX_OK) {
        return NGX_DECLINED;
    }

    need = ngx_http_push_approval_sig_encode_len(key, len);

    if (base) {
        need += 6;
    }

    if (need > NGX_HTTP_PUSH_APPROVAL_SIG_MAX_KEY - base) {
        return NGX_DECLINED;
    }

    p = ctx->key + base;

    if (base) {
        p = ngx_cpymem(p, "%5B", 3);
    }

    p = ngx_http_push_approval_percent_encode(p, key, len, 1);

    if (base) {
        p = ngx_cpymem(p, "%5D", 3);
    }

    w->len = p - ctx->key;

    return NGX_OK;
}


/*
 * percent-encoding: A-Z a-z 0-9 - _ . ~ stay, ' ' -> '+' (plus, as forms
 * and the Authy canonical string) or %20, else %XX
 */

static size_t
ngx_http_push_approval_sig_encode_len(u_char *src, size_t len)
{
    size_t  n;

    n = len;

    while (len--) {
        if (!ngx_http_push_approval_sig_unreserved(*src) && *src != ' ') {
            n += 2;
        }

        src++;
    }

    return n;
}


u_char *
ngx_http_push_approval_percent_encode(u_char *dst, u_char *src, size_t len,
    ngx_uint_t plus)
{
    u_char  c;

    while (len--) {
        c = *src++;

        if (ngx_http_push_approval_sig_unreserved(c)) {
            *dst++ = c;

        } else if (c == ' ' && plus) {
            *dst++ = '+';

        } else {
            *dst++ = '%';
            *dst++ = ngx_http_push_approval_sig_hex_digits[c >> 4];
            *dst++ = ngx_http_push_approval_sig_hex_digits[c & 0x0f];
        }
    }

    return dst;
}


static ngx_uint_t
ngx_http_push_approval_sig_unreserved(u_char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'
           || c == '~';
}


/* helpers */

static int
ngx_http_push_approval_sig_str_cmp(ngx_str_t *a, ngx_str_t *b)
{
    int  rc;

    rc = ngx_memcmp(a->data, b->data, ngx_min(a->len, b->len));

    if (rc != 0) {
        return rc;
    }

    return (a->len > b->len) - (a->len < b->len);
}


static int
ngx_http_push_approval_sig_param_cmp(const void *one, const void *two)
{
    int                              rc;
    ngx_http_push_approval_param_t  *a, *b;

    a = (ngx_http_push_approval_param_t *) one;
    b = (ngx_http_push_approval_param_t *) two;

    rc = ngx_http_push_approval_sig_str_cmp(&a->name, &b->name);

    if (rc != 0) {
        return rc;
    }

    return ngx_http_push_approval_sig_str_cmp(&a->value, &b->value);
}


static int
ngx_http_push_approval_sig_pair_cmp(const void *one, const void *two)
{
    return ngx_http_push_approval_sig_str_cmp((ngx_str_t *) one,
                                              (ngx_str_t *) two);
}


static ngx_int_t
ngx_http_push_approval_sig_hex(u_char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c |= 0x20;

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    return -1;
}


/* strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF */

static ngx_int_t
ngx_http_push_approval_sig_utf8(u_char *p, size_t len)
{
    u_char     c;
    u_char    *end;
    size_t     n;
    uint32_t   u, min;

    end = p + len;

    while (p < end) {
        c = *p++;

        if (c < 0x80) {
            continue;
        }

        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
            u = c & 0x1f;
            min = 0x80;

        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            u = c & 0x0f;
            min = 0x800;

        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            u = c & 0x07;
            min = 0x10000;

        } else {
            return NGX_ERROR;
        }

        if ((size_t) (end - p) < n) {
            return NGX_ERROR;
        }

        while (n--) {
            c = *p++;

            if ((c & 0xc0) != 0x80) {
                return NGX_ERROR;
            }

            u = (u << 6) | (c & 0x3f);
        }

        if (u < min || u > 0x10ffff || (u >= 0xd800 && u <= 0xdfff)) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}
