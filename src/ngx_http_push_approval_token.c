
/*
 * Copyright (C) push approval module developers
 *
 * The wait token: everything the waiting page shows and how the protected
 * location remembers, signed with the secret, so that any host with the
 * secret can serve the page.  Pure functions over plain buffers.
 *
 * Layout before base64url: "T1", then fields as tag (1 byte), length
 * (2 bytes, big-endian) and value, then the HMAC-SHA256 of all that.
 */


#include "ngx_http_push_approval.h"


#define NGX_HTTP_PUSH_APPROVAL_TOKEN_MAC    32

#define NGX_HTTP_PUSH_APPROVAL_T_ID         1
#define NGX_HTTP_PUSH_APPROVAL_T_IDENTITY   2
#define NGX_HTTP_PUSH_APPROVAL_T_SCOPE      3
#define NGX_HTTP_PUSH_APPROVAL_T_RETURN     4
#define NGX_HTTP_PUSH_APPROVAL_T_MESSAGE    5
#define NGX_HTTP_PUSH_APPROVAL_T_COOKIE     6
#define NGX_HTTP_PUSH_APPROVAL_T_DOMAIN     7
#define NGX_HTTP_PUSH_APPROVAL_T_NUMBERS    8
#define NGX_HTTP_PUSH_APPROVAL_T_WAIT_HASH  9
#define NGX_HTTP_PUSH_APPROVAL_T_BIND       10  /* the cookie's binding */
#define NGX_HTTP_PUSH_APPROVAL_T_MAX        10


#define NGX_HTTP_PUSH_APPROVAL_T_STRINGS    7   /* tags 1 to 7 */
#define NGX_HTTP_PUSH_APPROVAL_T_NUM_LEN    (8 * 4 + 4)


static u_char *ngx_http_push_approval_token_put(u_char *p, ngx_uint_t tag,
    u_char *data, size_t len);
static u_char *ngx_http_push_approval_put64(u_char *p, uint64_t v);
static uint64_t ngx_http_push_approval_get64(u_char *p);
static size_t ngx_http_push_approval_token_verify(u_char *work, u_char *src,
    size_t len, ngx_str_t *secrets, ngx_uint_t nsecrets);
static ngx_int_t ngx_http_push_approval_token_fields(
    ngx_http_push_approval_token_t *t, u_char *p, u_char *last);
static ngx_int_t ngx_http_push_approval_token_field(
    ngx_http_push_approval_token_t *t, ngx_uint_t tag, u_char *p,
    size_t len);
static ngx_int_t ngx_http_push_approval_token_valid(
    ngx_http_push_approval_token_t *t);


/* the string fields, by tag */

static size_t  ngx_http_push_approval_token_strings[] = {
    offsetof(ngx_http_push_approval_token_t, id),
    offsetof(ngx_http_push_approval_token_t, identity),
    offsetof(ngx_http_push_approval_token_t, scope),
    offsetof(ngx_http_push_approval_token_t, return_uri),
    offsetof(ngx_http_push_approval_token_t, message),
    offsetof(ngx_http_push_approval_token_t, cookie_name),
    offsetof(ngx_http_push_approval_token_t, cookie_domain)
};

#define ngx_http_push_approval_token_string(t, tag)                          \
    ((ngx_str_t *) ((u_char *) (t)                                           \
                    + ngx_http_push_approval_token_strings[(tag) - 1]))


size_t
ngx_http_push_approval_token_size(ngx_http_push_approval_token_t *t)
{
    size_t  len;

    len = 2 + 10 * 3 + t->id.len + t->identity.len + t->scope.len
          + t->return_uri.len + t->message.len + t->cookie_name.len
          + t->cookie_domain.len + NGX_HTTP_PUSH_APPROVAL_T_NUM_LEN
          + NGX_HTTP_PUSH_APPROVAL_WAIT_HASH + NGX_HTTP_PUSH_APPROVAL_BIND_LEN
          + NGX_HTTP_PUSH_APPROVAL_TOKEN_MAC;

    /* base64url */
    return (len + 2) / 3 * 4;
}


static u_char *
ngx_http_push_approval_token_put(u_char *p, ngx_uint_t tag, u_char *data,
    size_t len)
{
    *p++ = (u_char) tag;
    *p++ = (u_char) (len >> 8);
    *p++ = (u_char) len;

    /* an unset string may be NULL: memcpy() must not see it */

    if (len == 0) {
        return p;
    }

    return ngx_cpymem(p, data, len);
}


static u_char *
ngx_http_push_approval_put64(u_char *p, uint64_t v)
{
    ngx_uint_t  i;

    for (i = 0; i < 8; i++) {
        *p++ = (u_char) (v >> (56 - 8 * i));
    }

    return p;
}


static uint64_t
ngx_http_push_approval_get64(u_char *p)
{
    uint64_t    v;
    ngx_uint_t  i;

    v = 0;

    for (i = 0; i < 8; i++) {
        v = (v << 8) | p[i];
    }

    return v;
}


/*
 * work needs token_size() bytes for the raw token, dst as many for its
 * base64url text; each string field is at most 65535 bytes
 */

size_t
ngx_http_push_approval_token_encode(u_char *dst, u_char *work,
    ngx_http_push_approval_token_t *t, ngx_str_t *secret)
{
    u_char      *p, numbers[NGX_HTTP_PUSH_APPROVAL_T_NUM_LEN];
    ngx_str_t    data, *field;
    ngx_uint_t   tag;

    p = work;

    *p++ = 'T';
    *p++ = '1';

    for (tag = 1; tag <= NGX_HTTP_PUSH_APPROVAL_T_STRINGS; tag++) {
        field = ngx_http_push_approval_token_string(t, tag);
        p = ngx_http_push_approval_token_put(p, tag, field->data, field->len);
    }

    (void) ngx_http_push_approval_put64(numbers, (uint64_t) t->expires);
    (void) ngx_http_push_approval_put64(numbers + 8, (uint64_t) t->remember);
    (void) ngx_http_push_approval_put64(numbers + 16, (uint64_t) t->created);
    (void) ngx_http_push_approval_put64(numbers + 24, (uint64_t) t->timeout);
    numbers[32] = (u_char) t->code;
    numbers[33] = (u_char) t->provider;
    numbers[34] = (u_char) t->secure;
    numbers[35] = (u_char) t->samesite;

    p = ngx_http_push_approval_token_put(p, NGX_HTTP_PUSH_APPROVAL_T_NUMBERS,
                                         numbers, sizeof(numbers));
    p = ngx_http_push_approval_token_put(p,
                                         NGX_HTTP_PUSH_APPROVAL_T_WAIT_HASH,
                                         t->wait_hash,
                                         NGX_HTTP_PUSH_APPROVAL_WAIT_HASH);
    p = ngx_http_push_approval_token_put(p, NGX_HTTP_PUSH_APPROVAL_T_BIND,
                                         t->bind,
                                         NGX_HTTP_PUSH_APPROVAL_BIND_LEN);

    data.data = work;
    data.len = p - work;

    ngx_http_push_approval_hmac_sha256(secret, &data, p);
    p += NGX_HTTP_PUSH_APPROVAL_TOKEN_MAC;

    return ngx_http_push_approval_base64url_encode(dst, work, p - work);
}


/*
 * NGX_OK when the MAC matches one of the secrets and the fields are well
 * formed; string fields then point into work, which needs len bytes.
 * The caller checks the expiry.
 */

ngx_int_t
ngx_http_push_approval_token_decode(ngx_http_push_approval_token_t *t,
    u_char *work, u_char *src, size_t len, ngx_str_t *secrets,
    ngx_uint_t nsecrets)
{
    size_t  n;

    n = ngx_http_push_approval_token_verify(work, src, len, secrets,
                                            nsecrets);
    if (n == 0) {
        return NGX_DECLINED;
    }

    ngx_memzero(t, sizeof(ngx_http_push_approval_token_t));

    if (ngx_http_push_approval_token_fields(t, work + 2, work + n) != NGX_OK) {
        return NGX_DECLINED;
    }

    return ngx_http_push_approval_token_valid(t);
}


/* the length of the signed part, 0 unless signed by us and "T1" */

static size_t
ngx_http_push_approval_token_verify(u_char *work, u_char *src, size_t len,
    ngx_str_t *secrets, ngx_uint_t nsecrets)
{
    u_char      mac[NGX_HTTP_PUSH_APPROVAL_TOKEN_MAC];
    size_t      n;
    ngx_str_t   data;
    ngx_uint_t  i;

    if (len < 4 || len > 16384) {
        return 0;
    }

    if (ngx_http_push_approval_base64url_decode(work, &n, src, len)
        != NGX_OK
        || n < 2 + NGX_HTTP_PUSH_APPROVAL_TOKEN_MAC)
    {
        return 0;
    }

    data.data = work;
    data.len = n - NGX_HTTP_PUSH_APPROVAL_TOKEN_MAC;

    for (i = 0; i < nsecrets; i++) {
        ngx_http_push_approval_hmac_sha256(&secrets[i], &data, mac);

        if (ngx_http_push_approval_mac_equal(mac, work + data.len,
                                             sizeof(mac))
            == NGX_OK)
        {
            break;
        }
    }

    /* signed by us, yet parsed as strictly as anything else */

    if (i == nsecrets || work[0] != 'T' || work[1] != '1') {
        return 0;
    }

    return data.len;
}


/* each tag once, each field within the token */

static ngx_int_t
ngx_http_push_approval_token_fields(ngx_http_push_approval_token_t *t,
    u_char *p, u_char *last)
{
    size_t      flen;
    ngx_uint_t  tag, seen;

    seen = 0;

    while (p < last) {

        if (last - p < 3) {
            return NGX_DECLINED;
        }

        tag = p[0];
        flen = ((size_t) p[1] << 8) | p[2];
        p += 3;

        if (tag == 0 || tag > NGX_HTTP_PUSH_APPROVAL_T_MAX
            || (seen & (1 << tag)) || (size_t) (last - p) < flen)
        {
            return NGX_DECLINED;
        }

        seen |= 1 << tag;

        if (ngx_http_push_approval_token_field(t, tag, p, flen) != NGX_OK) {
            return NGX_DECLINED;
        }

        p += flen;
    }

    if (seen != ((1 << (NGX_HTTP_PUSH_APPROVAL_T_MAX + 1)) - 2)) {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_push_approval_token_field(ngx_http_push_approval_token_t *t,
    ngx_uint_t tag, u_char *p, size_t len)
{
    ngx_str_t  *field;

    switch (tag) {

    case NGX_HTTP_PUSH_APPROVAL_T_NUMBERS:
        if (len != NGX_HTTP_PUSH_APPROVAL_T_NUM_LEN) {
            return NGX_DECLINED;
        }

        t->expires = (time_t) ngx_http_push_approval_get64(p);
        t->remember = (time_t) ngx_http_push_approval_get64(p + 8);
        t->created = (time_t) ngx_http_push_approval_get64(p + 16);
        t->timeout = (time_t) ngx_http_push_approval_get64(p + 24);
        t->code = p[32];
        t->provider = p[33];
        t->secure = p[34];
        t->samesite = p[35];
        return NGX_OK;

    case NGX_HTTP_PUSH_APPROVAL_T_WAIT_HASH:
        if (len != NGX_HTTP_PUSH_APPROVAL_WAIT_HASH) {
            return NGX_DECLINED;
        }

        ngx_memcpy(t->wait_hash, p, len);
        return NGX_OK;

    case NGX_HTTP_PUSH_APPROVAL_T_BIND:
        if (len != NGX_HTTP_PUSH_APPROVAL_BIND_LEN) {
            return NGX_DECLINED;
        }

        ngx_memcpy(t->bind, p, len);
        return NGX_OK;

    default: /* tags 1 to 7 */
        field = ngx_http_push_approval_token_string(t, tag);
        field->data = p;
        field->len = len;
        return NGX_OK;
    }
}


static ngx_int_t
ngx_http_push_approval_token_valid(ngx_http_push_approval_token_t *t)
{
    ngx_str_t  ret;

    if (t->id.len == 0 || t->id.len > NGX_HTTP_PUSH_APPROVAL_ID_LEN
        || t->identity.len == 0
        || t->identity.len > NGX_HTTP_PUSH_APPROVAL_IDENT_MAX
        || t->cookie_name.len == 0 || t->return_uri.len == 0
        || t->provider >= NGX_HTTP_PUSH_APPROVAL_PROVIDERS
        || t->samesite > NGX_HTTP_PUSH_APPROVAL_SAMESITE_NONE)
    {
        return NGX_DECLINED;
    }

    /* only a same-site path ever comes back out */

    ret = t->return_uri;
    ngx_http_push_approval_safe_return(&ret);

    if (ret.data != t->return_uri.data) {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/*
 * the return URI is a same-site path or "/": anything not starting with
 * a slash, with a second character that is a slash or a backslash, or
 * holding a control character or a space, becomes "/"
 */

void
ngx_http_push_approval_safe_return(ngx_str_t *uri)
{
    size_t  i;

    if (uri->len == 0 || uri->len > 2048 || uri->data[0] != '/'
        || (uri->len > 1 && (uri->data[1] == '/' || uri->data[1] == '\\')))
    {
        goto root;
    }

    for (i = 0; i < uri->len; i++) {
        if (uri->data[i] <= ' ' || uri->data[i] == 0x7f) {
            goto root;
        }
    }

    return;

root:

    uri->data = (u_char *) "/";
    uri->len = 1;
}
