
/*
 * Copyright (C) push approval module developers
 *
 * The protected side of the browser flow: whether a request is sent to
 * the waiting page, and sending it there, with the signed wait token and
 * the short-lived wait cookie (or, with push_approval_code, the 401 with
 * the wait URI in JSON).  The waiting page itself is in _wait.c.
 */


#include "ngx_http_push_approval.h"

#include <openssl/evp.h>
#include <openssl/rand.h>


#define NGX_HTTP_PUSH_APPROVAL_WAIT_VALUE    22     /* base64url chars */


static ngx_uint_t ngx_http_push_approval_to_page(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf);
static void ngx_http_push_approval_wait_token(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_http_push_approval_token_t *t);
static ngx_int_t ngx_http_push_approval_wait_cookie_set(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_http_push_approval_token_t *t);
static ngx_int_t ngx_http_push_approval_code_answer(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_str_t *uri, ngx_uint_t code);


/* redirect, or hold: with push_approval_code, requests are never held */

ngx_uint_t
ngx_http_push_approval_wants_redirect(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx)
{
    return ngx_http_push_approval_to_page(r, ctx->conf) || ctx->conf->code;
}


/* the waiting page itself, rather than push_approval_code's 401 */

static ngx_uint_t
ngx_http_push_approval_to_page(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf)
{
    switch (plcf->mode) {

    case NGX_HTTP_PUSH_APPROVAL_MODE_REDIRECT:
        return 1;

    case NGX_HTTP_PUSH_APPROVAL_MODE_HOLD:
        return 0;

    default: /* auto */
        return (r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))
               && ngx_http_push_approval_accepts_html(r);
    }
}


ngx_uint_t
ngx_http_push_approval_accepts_html(ngx_http_request_t *r)
{
    return ngx_http_push_approval_header_find(r, "accept", 6, "text/html")
           != NULL;
}


/*
 * the first request header of that name (lower case), whose value holds
 * "part" (in any case) unless it is NULL
 */

ngx_table_elt_t *
ngx_http_push_approval_header_find(ngx_http_request_t *r, char *name,
    size_t len, char *part)
{
    ngx_uint_t        i;
    ngx_list_part_t  *lp;
    ngx_table_elt_t  *h;

    lp = &r->headers_in.headers.part;
    h = lp->elts;

    for (i = 0; /* void */; i++) {

        if (i >= lp->nelts) {
            if (lp->next == NULL) {
                return NULL;
            }

            lp = lp->next;
            h = lp->elts;
            i = 0;
        }

        if (h[i].key.len == len
            && ngx_strncasecmp(h[i].key.data, (u_char *) name, len) == 0
            && (part == NULL
                || ngx_strlcasestrn(h[i].value.data,
                                    h[i].value.data + h[i].value.len,
                                    (u_char *) part, ngx_strlen(part) - 1)
                   != NULL))
        {
            return &h[i];
        }
    }
}


/*
 * 302 to the waiting page (or, with push_approval_code, 401 with the wait
 * URI in JSON), with the short-lived wait cookie whose hash the token holds
 */

ngx_int_t
ngx_http_push_approval_redirect(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx)
{
    u_char                          *p, *work, *text;
    size_t                           size, len;
    ngx_str_t                       *secrets, uri;
    ngx_uint_t                       n, code;
    ngx_table_elt_t                 *h;
    ngx_http_push_approval_token_t   t;

    secrets = ngx_http_push_approval_secrets(r, &n);

    if (n == 0) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->pr == NULL) {
        /*
         * a request that joined a push names it as its creator did; the
         * code is the push's own, as the zone keeps it, not a new one
         */

        code = ctx->code;

        if (ngx_http_push_approval_build(r, ctx) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ctx->code = code;
    }

    ngx_http_push_approval_wait_token(r, ctx, &t);

    /* the wait cookie: only the browser holding it gets remembered */

    if (ngx_http_push_approval_wait_cookie_set(r, ctx, &t) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    size = ngx_http_push_approval_token_size(&t);

    work = ngx_pnalloc(r->pool, size);
    text = ngx_pnalloc(r->pool, size);
    if (work == NULL || text == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    len = ngx_http_push_approval_token_encode(text, work, &t, &secrets[0]);

    uri.len = ctx->conf->wait_uri.len + sizeof("?t=") - 1 + len;
    uri.data = ngx_pnalloc(r->pool, uri.len);
    if (uri.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_cpymem(uri.data, ctx->conf->wait_uri.data, ctx->conf->wait_uri.len);
    p = ngx_cpymem(p, "?t=", sizeof("?t=") - 1);
    ngx_memcpy(p, text, len);

    ctx->status = NGX_HTTP_PUSH_APPROVAL_ST_PENDING;
    ngx_http_push_approval_metric(ctx->zone,
                                  NGX_HTTP_PUSH_APPROVAL_M_REQUESTS
                                  + NGX_HTTP_PUSH_APPROVAL_ST_PENDING, 1);

    if (!ngx_http_push_approval_to_page(r, ctx->conf)) {
        return ngx_http_push_approval_code_answer(r, ctx, &uri, t.code);
    }

    h = ngx_http_push_approval_add_header(r, "Location", &uri);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.location = h;

    return NGX_HTTP_MOVED_TEMPORARILY;
}


/* what the waiting page needs, signed into its token */

static void
ngx_http_push_approval_wait_token(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_http_push_approval_token_t *t)
{
    ngx_http_push_approval_loc_conf_t  *plcf;

    plcf = ctx->conf;

    ngx_memzero(t, sizeof(ngx_http_push_approval_token_t));

    t->id = ctx->approval_id;
    t->identity = ctx->identity;
    t->scope = ctx->scope;
    t->return_uri = r->unparsed_uri;
    ngx_http_push_approval_safe_return(&t->return_uri);
    t->message = ctx->pr->message;
    t->message.len = ngx_http_push_approval_utf8_prefix(&t->message, 256);
    t->cookie_name = plcf->remember ? ctx->cookie_name : plcf->cookie_name;
    t->cookie_domain = plcf->cookie_domain;
    t->created = ngx_time();
    t->timeout = plcf->timeout / 1000;
    t->expires = t->created + t->timeout + NGX_HTTP_PUSH_APPROVAL_TOKEN_GRACE;
    t->remember = plcf->remember;
    t->code = plcf->code ? ctx->code : 0;
    t->provider = plcf->provider;
    t->secure = plcf->cookie_secure || r->connection->ssl;
    t->samesite = plcf->cookie_samesite;
    ngx_memcpy(t->bind, plcf->cookie_bind, NGX_HTTP_PUSH_APPROVAL_BIND_LEN);
}


/*
 * Set-Cookie: NAME_wait_ID=VALUE; Path=WAIT; Max-Age=...; HttpOnly, a
 * random value whose hash goes into the token; a cookie of its own for
 * each redirect, named after that hash, so that several tabs waiting at
 * once each keep theirs
 */

static ngx_int_t
ngx_http_push_approval_wait_cookie_set(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_http_push_approval_token_t *t)
{
    u_char     *p, *value;
    u_char      random[16];
    ngx_str_t   hash_src, cookie, *wait_uri;

    if (RAND_bytes(random, sizeof(random)) != 1) {
        return NGX_ERROR;
    }

    value = ngx_pnalloc(r->pool, NGX_HTTP_PUSH_APPROVAL_WAIT_VALUE);
    if (value == NULL) {
        return NGX_ERROR;
    }

    hash_src.data = value;
    hash_src.len = ngx_http_push_approval_base64url_encode(value, random,
                                                          sizeof(random));

    ngx_http_push_approval_wait_hash(&hash_src, t->wait_hash);

    wait_uri = &ctx->conf->wait_uri;

    cookie.data = ngx_pnalloc(r->pool, t->cookie_name.len + hash_src.len
                                       + wait_uri->len + 128);
    if (cookie.data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_sprintf(cookie.data, "%V_wait_%08xD=%V; Path=%V; Max-Age=%T; "
                    "HttpOnly; SameSite=Lax%s", &t->cookie_name,
                    ngx_http_push_approval_wait_id(t->wait_hash), &hash_src,
                    wait_uri, t->expires - t->created,
                    t->secure ? "; Secure" : "");

    cookie.len = p - cookie.data;

    if (ngx_http_push_approval_add_header(r, "Set-Cookie", &cookie) == NULL) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * push_approval_code's answer, {"status":"pending","wait":"URI","code":"42"},
 * which the access handler sends as the request's final answer
 */

static ngx_int_t
ngx_http_push_approval_code_answer(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_str_t *uri, ngx_uint_t code)
{
    u_char  *p, *json;

    json = ngx_pnalloc(r->pool, uri->len + 64);
    if (json == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_sprintf(json, "{\"status\":\"pending\",\"wait\":\"%V\"", uri);

    if (code) {
        p = ngx_sprintf(p, ",\"code\":\"%ui\"", code);
    }

    p = ngx_cpymem(p, "}\n", 2);

    ctx->out = ngx_http_push_approval_body(r, NGX_HTTP_UNAUTHORIZED,
                                           "application/json", json, p);
    if (ctx->out == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_HTTP_UNAUTHORIZED;
}


void
ngx_http_push_approval_wait_hash(ngx_str_t *value, u_char *hash)
{
    u_char  digest[EVP_MAX_MD_SIZE];

    if (ngx_http_push_approval_sha256(digest, value, 1) != NGX_OK) {
        ngx_memset(digest, 0, sizeof(digest));
    }

    ngx_memcpy(hash, digest, NGX_HTTP_PUSH_APPROVAL_WAIT_HASH);
}


/* the wait cookie's name suffix: the start of its hash */

uint32_t
ngx_http_push_approval_wait_id(u_char *hash)
{
    return ((uint32_t) hash[0] << 24) | ((uint32_t) hash[1] << 16)
           | ((uint32_t) hash[2] << 8) | hash[3];
}
