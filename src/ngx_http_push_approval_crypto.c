
/*
 * Copyright (C) push approval module developers
 *
 * Hashes, MACs, base64, hex and the remember cookie value.  Pure functions
 * over plain buffers: they need no running nginx, so unit tests and
 * fuzzers call them directly.
 *
 * A cookie value is "2.ISSUED.EXPIRES.MAC" (format 2): ISSUED and EXPIRES
 * in decimal unix time, MAC the base64url HMAC-SHA256, under a secret, of
 * the identity, a digest of the scope, the binding (a digest of the zone,
 * the provider and the Verify service), ISSUED and EXPIRES.  Format 1
 * cookies ("EXPIRES.MAC") are refused.
 */


#include "ngx_http_push_approval.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>


#define NGX_HTTP_PUSH_APPROVAL_MAC_LEN  32


static size_t ngx_http_push_approval_base64(u_char *dst, u_char *src,
    size_t len, u_char *basis, ngx_uint_t padding);
static size_t ngx_http_push_approval_cookie_mac(u_char *mac,
    ngx_str_t *secret, ngx_str_t *identity, ngx_str_t *scope, u_char *bind,
    u_char *times, size_t times_len);
static u_char *ngx_http_push_approval_cookie_decimal(u_char *p, time_t t);
static u_char *ngx_http_push_approval_cookie_time(u_char *p, u_char *last,
    time_t *t);


/*
 * OpenSSL 3 looks an algorithm up on each implicit use, with locks and
 * allocations; fetch SHA-256 and HMAC once per process and reuse one
 * context of each (workers are single-threaded): one HMAC context per
 * digest, SHA-1 for X-Twilio-Signature, SHA-256 for everything else
 */

static EVP_MD       *ngx_http_push_approval_md;
static EVP_MD_CTX   *ngx_http_push_approval_md_ctx;
static EVP_MAC_CTX  *ngx_http_push_approval_mac_ctx[2];

static char  *ngx_http_push_approval_mac_digest[] = { "SHA1", "SHA256" };
static size_t  ngx_http_push_approval_mac_size[] = { 20, 32 };


ngx_int_t
ngx_http_push_approval_sha256(u_char *digest, ngx_str_t *parts, ngx_uint_t n)
{
    ngx_uint_t  i;

    if (ngx_http_push_approval_md_ctx == NULL) {
        ngx_http_push_approval_md = EVP_MD_fetch(NULL, "SHA256", NULL);
        ngx_http_push_approval_md_ctx = EVP_MD_CTX_new();

        if (ngx_http_push_approval_md == NULL
            || ngx_http_push_approval_md_ctx == NULL)
        {
            EVP_MD_free(ngx_http_push_approval_md);
            EVP_MD_CTX_free(ngx_http_push_approval_md_ctx);
            ngx_http_push_approval_md = NULL;
            ngx_http_push_approval_md_ctx = NULL;
            return NGX_ERROR;
        }
    }

    if (EVP_DigestInit_ex2(ngx_http_push_approval_md_ctx,
                           ngx_http_push_approval_md, NULL)
        != 1)
    {
        return NGX_ERROR;
    }

    for (i = 0; i < n; i++) {
        if (EVP_DigestUpdate(ngx_http_push_approval_md_ctx, parts[i].data,
                             parts[i].len)
            != 1)
        {
            return NGX_ERROR;
        }
    }

    if (EVP_DigestFinal_ex(ngx_http_push_approval_md_ctx, digest, NULL)
        != 1)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * the one HMAC: init, update as often as needed, final; one computation
 * at a time per digest, as the context is the process's
 */

ngx_int_t
ngx_http_push_approval_hmac_init(ngx_http_push_approval_hmac_t *h,
    ngx_uint_t md, ngx_str_t *key)
{
    EVP_MAC     *hmac;
    OSSL_PARAM   params[2];

    h->md = md;
    h->ctx = ngx_http_push_approval_mac_ctx[md];

    if (h->ctx == NULL) {
        hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
        if (hmac == NULL) {
            return NGX_ERROR;
        }

        h->ctx = EVP_MAC_CTX_new(hmac);
        EVP_MAC_free(hmac);

        if (h->ctx == NULL) {
            return NGX_ERROR;
        }

        params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                    ngx_http_push_approval_mac_digest[md], 0);
        params[1] = OSSL_PARAM_construct_end();

        if (EVP_MAC_CTX_set_params(h->ctx, params) != 1) {
            EVP_MAC_CTX_free(h->ctx);
            h->ctx = NULL;
            return NGX_ERROR;
        }

        ngx_http_push_approval_mac_ctx[md] = h->ctx;
    }

    /* a NULL key would mean "the previous key" to EVP_MAC_init() */

    return EVP_MAC_init(h->ctx, key->len ? key->data : (u_char *) "",
                        key->len, NULL)
           == 1 ? NGX_OK : NGX_ERROR;
}


ngx_int_t
ngx_http_push_approval_hmac_update(ngx_http_push_approval_hmac_t *h,
    u_char *data, size_t len)
{
    if (len == 0) {
        return NGX_OK;
    }

    return EVP_MAC_update(h->ctx, data, len) == 1 ? NGX_OK : NGX_ERROR;
}


/* the MAC's length, 0 on failure */

size_t
ngx_http_push_approval_hmac_final(ngx_http_push_approval_hmac_t *h,
    u_char *mac)
{
    size_t  len;

    if (EVP_MAC_final(h->ctx, mac, &len, EVP_MAX_MD_SIZE) != 1
        || len != ngx_http_push_approval_mac_size[h->md])
    {
        return 0;
    }

    return len;
}


void
ngx_http_push_approval_hmac_sha256(ngx_str_t *key, ngx_str_t *data,
    u_char *mac)
{
    ngx_http_push_approval_hmac_t  h;

    if (ngx_http_push_approval_hmac_init(&h, NGX_HTTP_PUSH_APPROVAL_SHA256,
                                         key)
        == NGX_OK
        && ngx_http_push_approval_hmac_update(&h, data->data, data->len)
           == NGX_OK
        && ngx_http_push_approval_hmac_final(&h, mac)
           == NGX_HTTP_PUSH_APPROVAL_MAC_LEN)
    {
        return;
    }

    /* a MAC that matches nothing: fail closed */
    ngx_memset(mac, 0, NGX_HTTP_PUSH_APPROVAL_MAC_LEN);
    mac[0] = 1;
}


/* constant time: every byte is looked at, whatever differs */

ngx_int_t
ngx_http_push_approval_mac_equal(u_char *a, u_char *b, size_t len)
{
    size_t    i;
    uint64_t  x, y, d;

    d = 0;

    for (i = 0; i + 8 <= len; i += 8) {
        ngx_memcpy(&x, a + i, 8);
        ngx_memcpy(&y, b + i, 8);
        d |= x ^ y;
    }

    if (i < len && len >= 8) {
        /* the last 8 bytes, over some compared already: no byte loop */

        ngx_memcpy(&x, a + len - 8, 8);
        ngx_memcpy(&y, b + len - 8, 8);
        d |= x ^ y;

        i = len;
    }

    for ( /* void */ ; i < len; i++) {
        d |= (uint64_t) (a[i] ^ b[i]);
    }

    return d == 0 ? NGX_OK : NGX_DECLINED;
}


/*
 * base64 (RFC 4648): nginx's ngx_encode_base64() lives in its run time,
 * which the unit tests and fuzzers do not link; one encoder, two alphabets
 */

static size_t
ngx_http_push_approval_base64(u_char *dst, u_char *src, size_t len,
    u_char *basis, ngx_uint_t padding)
{
    u_char  *d;

    d = dst;

    while (len > 2) {
        *d++ = basis[(src[0] >> 2) & 0x3f];
        *d++ = basis[((src[0] & 3) << 4) | (src[1] >> 4)];
        *d++ = basis[((src[1] & 0x0f) << 2) | (src[2] >> 6)];
        *d++ = basis[src[2] & 0x3f];

        src += 3;
        len -= 3;
    }

    if (len) {
        *d++ = basis[(src[0] >> 2) & 0x3f];

        if (len == 1) {
            *d++ = basis[(src[0] & 3) << 4];

            if (padding) {
                *d++ = '=';
            }

        } else {
            *d++ = basis[((src[0] & 3) << 4) | (src[1] >> 4)];
            *d++ = basis[(src[1] & 0x0f) << 2];
        }

        if (padding) {
            *d++ = '=';
        }
    }

    return d - dst;
}


size_t
ngx_http_push_approval_base64_encode(u_char *dst, u_char *src, size_t len)
{
    static u_char  basis[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    return ngx_http_push_approval_base64(dst, src, len, basis, 1);
}


size_t
ngx_http_push_approval_base64url_encode(u_char *dst, u_char *src, size_t len)
{
    static u_char  basis[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    return ngx_http_push_approval_base64(dst, src, len, basis, 0);
}


/* lower-case hex, as ngx_hex_dump() */

u_char *
ngx_http_push_approval_hex(u_char *dst, u_char *src, size_t len)
{
    static u_char  hex[] = "0123456789abcdef";

    while (len--) {
        *dst++ = hex[*src >> 4];
        *dst++ = hex[*src++ & 0xf];
    }

    return dst;
}


ngx_int_t
ngx_http_push_approval_base64url_decode(u_char *dst, size_t *dst_len,
    u_char *src, size_t len)
{
    u_char    *d, c;
    uint32_t   v;
    size_t     i, n;

    d = dst;
    v = 0;
    n = 0;

    if (len % 4 == 1) {
        return NGX_ERROR;
    }

    for (i = 0; i < len; i++) {
        c = src[i];

        if (c >= 'A' && c <= 'Z') {
            c = c - 'A';

        } else if (c >= 'a' && c <= 'z') {
            c = c - 'a' + 26;

        } else if (c >= '0' && c <= '9') {
            c = c - '0' + 52;

        } else if (c == '-') {
            c = 62;

        } else if (c == '_') {
            c = 63;

        } else {
            return NGX_ERROR;
        }

        v = (v << 6) | c;

        if (++n == 4) {
            *d++ = (u_char) (v >> 16);
            *d++ = (u_char) (v >> 8);
            *d++ = (u_char) v;
            v = 0;
            n = 0;
        }
    }

    /* unused low bits must be zero: one encoding per value */

    if ((n == 3 && (v & 0x3)) || (n == 2 && (v & 0xf))) {
        return NGX_ERROR;
    }

    if (n == 3) {
        *d++ = (u_char) (v >> 10);
        *d++ = (u_char) (v >> 2);

    } else if (n == 2) {
        *d++ = (u_char) (v >> 4);
    }

    *dst_len = d - dst;

    return NGX_OK;
}


uint32_t
ngx_http_push_approval_scope_hash(ngx_str_t *scope)
{
    u_char  digest[EVP_MAX_MD_SIZE];

    if (ngx_http_push_approval_sha256(digest, scope, 1) != NGX_OK) {
        return 0;
    }

    return ((uint32_t) digest[0] << 24) | ((uint32_t) digest[1] << 16)
           | ((uint32_t) digest[2] << 8) | digest[3];
}


static size_t
ngx_http_push_approval_cookie_mac(u_char *mac, ngx_str_t *secret,
    ngx_str_t *identity, ngx_str_t *scope, u_char *bind, u_char *times,
    size_t times_len)
{
    u_char     buf[3 + NGX_HTTP_PUSH_APPROVAL_IDENT_MAX + 1
                   + 2 * (EVP_MAX_MD_SIZE + 1) + 2 * NGX_INT64_LEN + 1];
    u_char    *p;
    ngx_str_t  data;

    if (identity->len > NGX_HTTP_PUSH_APPROVAL_IDENT_MAX
        || times_len > 2 * NGX_INT64_LEN + 1)
    {
        return 0;
    }

    /* "c2" NL identity NL sha256(scope) NL bind NL issued.expires */

    p = ngx_cpymem(buf, "c2\n", 3);
    p = ngx_cpymem(p, identity->data, identity->len);
    *p++ = '\n';

    if (ngx_http_push_approval_sha256(p, scope, 1) != NGX_OK) {
        return 0;
    }

    p += 32;
    *p++ = '\n';
    p = ngx_cpymem(p, bind, NGX_HTTP_PUSH_APPROVAL_BIND_LEN);
    *p++ = '\n';
    p = ngx_cpymem(p, times, times_len);

    data.data = buf;
    data.len = p - buf;

    ngx_http_push_approval_hmac_sha256(secret, &data, mac);

    return NGX_HTTP_PUSH_APPROVAL_MAC_LEN;
}


/* decimal, written without nginx's run time */

static u_char *
ngx_http_push_approval_cookie_decimal(u_char *p, time_t t)
{
    u_char  num[NGX_INT64_LEN];
    size_t  n;

    n = 0;

    do {
        num[NGX_INT64_LEN - 1 - n++] = (u_char) ('0' + t % 10);
        t /= 10;
    } while (t && n < NGX_INT64_LEN);

    return ngx_cpymem(p, num + NGX_INT64_LEN - n, n);
}


size_t
ngx_http_push_approval_cookie_value(u_char *dst, ngx_str_t *secret,
    ngx_str_t *identity, ngx_str_t *scope, u_char *bind, time_t issued,
    time_t expires)
{
    u_char  *p, *times, mac[NGX_HTTP_PUSH_APPROVAL_MAC_LEN];

    if (issued < 0 || expires < 0) {
        return 0;
    }

    p = ngx_cpymem(dst, "2.", 2);

    times = p;
    p = ngx_http_push_approval_cookie_decimal(p, issued);
    *p++ = '.';
    p = ngx_http_push_approval_cookie_decimal(p, expires);

    if (ngx_http_push_approval_cookie_mac(mac, secret, identity, scope, bind,
                                          times, p - times)
        == 0)
    {
        return 0;
    }

    *p++ = '.';
    p += ngx_http_push_approval_base64url_encode(p, mac, sizeof(mac));

    return p - dst;
}


/* up to 18 digits and the '.' after them: no overflow */

static u_char *
ngx_http_push_approval_cookie_time(u_char *p, u_char *last, time_t *t)
{
    u_char  *start;

    start = p;
    *t = 0;

    while (p < last && *p != '.') {
        if (*p < '0' || *p > '9' || p - start == 18) {
            return NULL;
        }

        *t = *t * 10 + (*p++ - '0');
    }

    if (p == start || p == last) {
        return NULL;
    }

    return p;
}


/*
 * NGX_OK, *issued and *expiry for a cookie of these identity, scope and
 * binding, not expired and issued no longer than max_age ago
 */

ngx_int_t
ngx_http_push_approval_cookie_check(ngx_str_t *value, ngx_str_t *secrets,
    ngx_uint_t nsecrets, ngx_str_t *identity, ngx_str_t *scope,
    u_char *bind, time_t now, time_t max_age, time_t *issued,
    time_t *expiry)
{
    u_char      *dot, *p, *last;
    u_char       mac[NGX_HTTP_PUSH_APPROVAL_MAC_LEN];
    u_char       got[NGX_HTTP_PUSH_APPROVAL_MAC_LEN + 3];
    size_t       len;
    time_t       iss, expires;
    ngx_uint_t   i;

    p = value->data;
    last = p + value->len;

    if (last - p < 2 || p[0] != '2' || p[1] != '.') {
        return NGX_DECLINED;
    }

    p += 2;

    p = ngx_http_push_approval_cookie_time(p, last, &iss);
    if (p == NULL) {
        return NGX_DECLINED;
    }

    dot = ngx_http_push_approval_cookie_time(p + 1, last, &expires);
    if (dot == NULL) {
        return NGX_DECLINED;
    }

    /* expired, too old for this location, or issued in the future */

    if (expires < now || now - iss > max_age || iss > now + 60) {
        return NGX_DECLINED;
    }

    /* exactly the 43 characters of a 32-byte MAC */

    if (last - dot - 1 != 43) {
        return NGX_DECLINED;
    }

    if (ngx_http_push_approval_base64url_decode(got, &len, dot + 1, 43)
        != NGX_OK
        || len != NGX_HTTP_PUSH_APPROVAL_MAC_LEN)
    {
        return NGX_DECLINED;
    }

    for (i = 0; i < nsecrets; i++) {

        if (ngx_http_push_approval_cookie_mac(mac, &secrets[i], identity,
                                              scope, bind, value->data + 2,
                                              dot - value->data - 2)
            == 0)
        {
            return NGX_DECLINED;
        }

        if (ngx_http_push_approval_mac_equal(mac, got, sizeof(mac))
            == NGX_OK)
        {
            *issued = iss;
            *expiry = expires;
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
}
