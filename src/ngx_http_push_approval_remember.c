
/*
 * Copyright (C) push approval module developers
 *
 * Remembered approvals: the signed cookie, checked without the zone so that
 * any host with the secret accepts it, and the zone entry bound to
 * identity + scope + client address for clients that keep no cookies.
 */


#include "ngx_http_push_approval.h"


/*
 * Each worker remembers the cookies it has verified, so that a browser's
 * next requests cost a hash and a compare instead of an HMAC.  Entries are
 * exact (value, identity, scope) tuples that verified, and live no longer
 * than the cookie's own expiry.
 */

#define NGX_HTTP_PUSH_APPROVAL_CACHE_SIZE   1024
#define NGX_HTTP_PUSH_APPROVAL_CACHE_SCOPE  64


typedef struct {
    time_t                          expires;
    u_char                          value_len;
    u_char                          identity_len;
    u_char                          scope_len;
    u_char                          value[NGX_HTTP_PUSH_APPROVAL_COOKIE_LEN];
    u_char                          identity[NGX_HTTP_PUSH_APPROVAL_IDENT_MAX];
    u_char                          scope[NGX_HTTP_PUSH_APPROVAL_CACHE_SCOPE];
} ngx_http_push_approval_verified_t;


static ngx_int_t ngx_http_push_approval_find_cookie(ngx_http_request_t *r,
    ngx_str_t *name, ngx_str_t *value);
static ngx_http_push_approval_verified_t *ngx_http_push_approval_verified(
    ngx_str_t *value, ngx_str_t *identity, ngx_str_t *scope);


static ngx_http_push_approval_verified_t  *ngx_http_push_approval_cache;


ngx_int_t
ngx_http_push_approval_cookie_name(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf, ngx_str_t *scope,
    ngx_str_t *name)
{
    u_char  *p;

    if (scope->len == 0) {
        *name = plcf->cookie_name;
        return NGX_OK;
    }

    /* each scope has its own cookie, so that scopes do not overwrite */

    name->data = ngx_pnalloc(r->pool, plcf->cookie_name.len + 1 + 8);
    if (name->data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_sprintf(name->data, "%V_%08xD", &plcf->cookie_name,
                    ngx_http_push_approval_scope_hash(scope));

    name->len = p - name->data;

    return NGX_OK;
}


static ngx_int_t
ngx_http_push_approval_find_cookie(ngx_http_request_t *r, ngx_str_t *name,
    ngx_str_t *value)
{
#if (nginx_version >= 1023000)

    if (ngx_http_parse_multi_header_lines(r, r->headers_in.cookie, name,
                                          value)
        == NULL)
    {
        return NGX_DECLINED;
    }

    return NGX_OK;

#else

    if (ngx_http_parse_multi_header_lines(&r->headers_in.cookies, name,
                                          value)
        == NGX_DECLINED)
    {
        return NGX_DECLINED;
    }

    return NGX_OK;

#endif
}


/*
 * NGX_OK: remembered; NGX_DECLINED: an approval is needed.  A cookie that
 * fails validation never falls back to the address entry.
 */

ngx_int_t
ngx_http_push_approval_remembered(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx)
{
    u_char                              key[NGX_HTTP_PUSH_APPROVAL_KEY_SIZE];
    ngx_str_t                           value, *secrets;
    ngx_uint_t                          n;
    ngx_http_push_approval_node_t      *pn;
    ngx_http_push_approval_verified_t  *v;

    if (ngx_http_push_approval_find_cookie(r, &ctx->cookie_name, &value)
        == NGX_OK)
    {
        v = ngx_http_push_approval_verified(&value, &ctx->identity,
                                            &ctx->scope);

        if (v && v->expires >= ngx_time()
            && v->value_len == value.len
            && ngx_http_push_approval_mac_equal(v->value, value.data,
                                                value.len)
               == NGX_OK
            && v->identity_len == ctx->identity.len
            && ngx_memcmp(v->identity, ctx->identity.data,
                          ctx->identity.len) == 0
            && v->scope_len == ctx->scope.len
            && ngx_memcmp(v->scope, ctx->scope.data, ctx->scope.len) == 0)
        {
            return NGX_OK;
        }

        secrets = ngx_http_push_approval_secrets(r, &n);

        if (ngx_http_push_approval_cookie_check(&value, secrets, n,
                                                &ctx->identity, &ctx->scope,
                                                ngx_time())
            == NGX_OK)
        {
            if (v) {
                v->expires = ngx_atotm(value.data,
                                       ngx_strlchr(value.data,
                                                   value.data + value.len,
                                                   '.')
                                       - value.data);
                v->value_len = (u_char) value.len;
                ngx_memcpy(v->value, value.data, value.len);
                v->identity_len = (u_char) ctx->identity.len;
                ngx_memcpy(v->identity, ctx->identity.data,
                           ctx->identity.len);
                v->scope_len = (u_char) ctx->scope.len;
                ngx_memcpy(v->scope, ctx->scope.data, ctx->scope.len);
            }

            return NGX_OK;
        }

        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "push approval: remember cookie is not valid");

        return NGX_DECLINED;
    }

    ngx_http_push_approval_key(key, NGX_HTTP_PUSH_APPROVAL_NODE_REMEMBER,
                               &ctx->identity, &ctx->scope,
                               &r->connection->addr_text);

    ngx_shmtx_lock(&ctx->zone->shpool->mutex);

    pn = ngx_http_push_approval_lookup(ctx->zone, key,
                                       NGX_HTTP_PUSH_APPROVAL_NODE_REMEMBER);
    if (pn) {
        ngx_http_push_approval_touch(ctx->zone, pn);
    }

    ngx_shmtx_unlock(&ctx->zone->shpool->mutex);

    return pn ? NGX_OK : NGX_DECLINED;
}


/* the cache slot of a cookie, or NULL when it cannot be cached */

static ngx_http_push_approval_verified_t *
ngx_http_push_approval_verified(ngx_str_t *value, ngx_str_t *identity,
    ngx_str_t *scope)
{
    uint32_t  hash;

    if (value->len > NGX_HTTP_PUSH_APPROVAL_COOKIE_LEN
        || identity->len > NGX_HTTP_PUSH_APPROVAL_IDENT_MAX
        || scope->len > NGX_HTTP_PUSH_APPROVAL_CACHE_SCOPE)
    {
        return NULL;
    }

    if (ngx_http_push_approval_cache == NULL) {
        ngx_http_push_approval_cache = ngx_pcalloc(ngx_cycle->pool,
                                 NGX_HTTP_PUSH_APPROVAL_CACHE_SIZE
                                 * sizeof(ngx_http_push_approval_verified_t));
        if (ngx_http_push_approval_cache == NULL) {
            return NULL;
        }
    }

    /* the MAC's last bytes spread the slots as well as the whole value */
    hash = (value->len >= 8)
           ? ngx_murmur_hash2(value->data + value->len - 8, 8)
           : ngx_murmur_hash2(value->data, value->len);

    return &ngx_http_push_approval_cache[hash
                                         % NGX_HTTP_PUSH_APPROVAL_CACHE_SIZE];
}


void
ngx_http_push_approval_remember_address(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, time_t remember)
{
    u_char                          key[NGX_HTTP_PUSH_APPROVAL_KEY_SIZE];
    time_t                          expires;
    ngx_http_push_approval_node_t  *pn;

    ngx_http_push_approval_key(key, NGX_HTTP_PUSH_APPROVAL_NODE_REMEMBER,
                               &ctx->identity, &ctx->scope,
                               &r->connection->addr_text);

    expires = ngx_time() + remember;

    ngx_shmtx_lock(&ctx->zone->shpool->mutex);

    pn = ngx_http_push_approval_lookup(ctx->zone, key,
                                       NGX_HTTP_PUSH_APPROVAL_NODE_REMEMBER);
    if (pn == NULL) {
        pn = ngx_http_push_approval_insert(ctx->zone, key,
                                         NGX_HTTP_PUSH_APPROVAL_NODE_REMEMBER,
                                         expires);
    }

    if (pn) {
        pn->expires = expires;
    }

    ngx_shmtx_unlock(&ctx->zone->shpool->mutex);
}


ngx_int_t
ngx_http_push_approval_set_cookie(ngx_http_request_t *r, ngx_str_t *name,
    ngx_str_t *identity, ngx_str_t *scope, time_t remember,
    ngx_flag_t secure, ngx_uint_t samesite, ngx_str_t *domain)
{
    u_char           *p;
    size_t            len;
    ngx_str_t        *secrets;
    ngx_uint_t        n;
    ngx_table_elt_t  *h;

    static ngx_str_t  samesites[] = {
        ngx_string("Lax"), ngx_string("Strict"), ngx_string("None")
    };

    secrets = ngx_http_push_approval_secrets(r, &n);
    if (n == 0) {
        return NGX_ERROR;
    }

    if (r->connection->ssl) {
        secure = 1;
    }

    len = name->len + 1 + NGX_HTTP_PUSH_APPROVAL_COOKIE_LEN
          + sizeof("; Path=/; Max-Age=") - 1 + NGX_TIME_T_LEN
          + sizeof("; HttpOnly; SameSite=Strict; Secure") - 1
          + sizeof("; Domain=") - 1 + domain->len;

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->value.data = p;

    p = ngx_cpymem(p, name->data, name->len);
    *p++ = '=';

    n = ngx_http_push_approval_cookie_value(p, &secrets[0], identity, scope,
                                            ngx_time() + remember);
    if (n == 0) {
        h->hash = 0;
        return NGX_ERROR;
    }

    p += n;

    p = ngx_sprintf(p, "; Path=/; Max-Age=%T; HttpOnly; SameSite=%V",
                    remember, &samesites[samesite]);

    if (secure) {
        p = ngx_cpymem(p, "; Secure", sizeof("; Secure") - 1);
    }

    if (domain->len) {
        p = ngx_sprintf(p, "; Domain=%V", domain);
    }

    h->value.len = p - h->value.data;
    h->hash = 1;
    ngx_str_set(&h->key, "Set-Cookie");
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif

    return NGX_OK;
}
