
/*
 * Copyright (C) push approval module developers
 *
 * Remembered approvals: the signed cookie, checked without the zone so that
 * any host with the secret accepts it, and the zone entry bound to
 * identity + scope + client address for clients that keep no cookies.
 */


#include "ngx_http_push_approval.h"


/*
 * Each worker keeps a small memo of what it verified: cookies whose HMAC
 * matched, and addresses the zone remembered.  A browser's next requests
 * then cost a hash and a compare instead of an HMAC, and a cookie-less
 * client's a hash instead of a SHA-256 and the zone lock.  Entries are
 * exact tuples that verified and live no longer than the grant itself; an
 * address is looked up in the zone again after a minute, which keeps the
 * zone's entry in use.  A cookie's entry also holds the binding it was
 * checked for and its issue time; a revocation anywhere in the zone makes
 * every entry be checked once more.
 */

#define NGX_HTTP_PUSH_APPROVAL_MEMO_SIZE     1024
#define NGX_HTTP_PUSH_APPROVAL_MEMO_SHIFT    54    /* 64 - log2(SIZE) */
#define NGX_HTTP_PUSH_APPROVAL_MEMO_TEXT     96
#define NGX_HTTP_PUSH_APPROVAL_MEMO_RECHECK  60

#define NGX_HTTP_PUSH_APPROVAL_MEMO_COOKIE   1
#define NGX_HTTP_PUSH_APPROVAL_MEMO_ADDRESS  2


typedef struct {
    time_t                          expires;
    time_t                          checked;
    time_t                          issued;
    uint64_t                        bind;
    ngx_atomic_uint_t               revocations;
    u_char                          kind;
    u_char                          what_len;
    u_char                          identity_len;
    u_char                          scope_len;
    u_char                          what[NGX_HTTP_PUSH_APPROVAL_MEMO_TEXT];
    u_char                          identity[NGX_HTTP_PUSH_APPROVAL_IDENT_MAX];
    u_char                          scope[NGX_HTTP_PUSH_APPROVAL_MEMO_TEXT];
} ngx_http_push_approval_memo_t;


static ngx_http_push_approval_memo_t *ngx_http_push_approval_memo(
    ngx_uint_t kind, ngx_str_t *what, ngx_str_t *identity, ngx_str_t *scope,
    ngx_uint_t *hit);
static void ngx_http_push_approval_memo_set(
    ngx_http_push_approval_memo_t *m, ngx_uint_t kind, ngx_str_t *what,
    ngx_str_t *identity, ngx_str_t *scope, time_t expires);
static uint64_t ngx_http_push_approval_bind_tag(u_char *bind);
static ngx_int_t ngx_http_push_approval_revoked_locked(
    ngx_http_push_approval_zone_ctx_t *zone, ngx_str_t *identity,
    time_t made);
static ngx_int_t ngx_http_push_approval_address_remembered(
    ngx_http_request_t *r, ngx_http_push_approval_ctx_t *ctx);


static ngx_http_push_approval_memo_t  *ngx_http_push_approval_memos;


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


/*
 * a cookie by its exact name, from "name=value" pairs separated by ";"
 * in the Cookie headers
 */

ngx_int_t
ngx_http_push_approval_cookie_find(ngx_http_request_t *r, ngx_str_t *name,
    ngx_str_t *value)
{
    u_char           *p, *end, *v;
    ngx_table_elt_t  *h;

#if (nginx_version >= 1023000)

    for (h = r->headers_in.cookie; h; h = h->next) {

#else

    ngx_uint_t        i;
    ngx_table_elt_t **hs;

    hs = r->headers_in.cookies.elts;

    for (i = 0; i < r->headers_in.cookies.nelts; i++) {
        h = hs[i];

#endif

        p = h->value.data;
        end = p + h->value.len;

        while (p < end) {

            while (p < end && (*p == ' ' || *p == '\t' || *p == ';')) {
                p++;
            }

            if ((size_t) (end - p) > name->len
                && p[name->len] == '='
                && ngx_memcmp(p, name->data, name->len) == 0)
            {
                v = p + name->len + 1;

                p = memchr(v, ';', end - v);
                if (p == NULL) {
                    p = end;
                }

                while (p > v && (p[-1] == ' ' || p[-1] == '\t')) {
                    p--;
                }

                value->data = v;
                value->len = p - v;

                return NGX_OK;
            }

            p = memchr(p, ';', end - p);

            if (p == NULL) {
                break;
            }
        }
    }

    return NGX_DECLINED;
}


/*
 * NGX_OK: remembered; NGX_DECLINED: an approval is needed.  A cookie that
 * fails validation never falls back to the address entry.
 */

ngx_int_t
ngx_http_push_approval_remembered(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx)
{
    time_t                          now, issued, expires;
    uint64_t                        bind;
    ngx_str_t                       value, *secrets;
    ngx_uint_t                      n, hit;
    ngx_atomic_uint_t               revocations;
    ngx_http_push_approval_memo_t  *m;

    if (ngx_http_push_approval_cookie_find(r, &ctx->cookie_name, &value)
        != NGX_OK)
    {
        return ngx_http_push_approval_address_remembered(r, ctx);
    }

    now = ngx_time();
    bind = ngx_http_push_approval_bind_tag(ctx->conf->cookie_bind);
    revocations = ctx->zone->sh->revocations;

    m = ngx_http_push_approval_memo(NGX_HTTP_PUSH_APPROVAL_MEMO_COOKIE,
                                    &value, &ctx->identity, &ctx->scope,
                                    &hit);

    if (hit && m->expires >= now && m->bind == bind
        && now - m->issued <= ctx->conf->remember
        && m->revocations == revocations)
    {
        return NGX_OK;
    }

    secrets = ngx_http_push_approval_secrets(r, &n);

    if (ngx_http_push_approval_cookie_check(&value, secrets, n,
                                            &ctx->identity, &ctx->scope,
                                            ctx->conf->cookie_bind, now,
                                            ctx->conf->remember, &issued,
                                            &expires)
        != NGX_OK)
    {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "push approval: remember cookie is not valid");

        return NGX_DECLINED;
    }

    if (revocations
        && ngx_http_push_approval_revoked(ctx->zone, &ctx->identity, issued)
           == NGX_OK)
    {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "push approval: remember cookie was revoked");

        return NGX_DECLINED;
    }

    if (m) {
        ngx_http_push_approval_memo_set(m, NGX_HTTP_PUSH_APPROVAL_MEMO_COOKIE,
                                        &value, &ctx->identity, &ctx->scope,
                                        expires);
        m->issued = issued;
        m->bind = bind;
        m->revocations = revocations;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_push_approval_address_remembered(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx)
{
    time_t                          now, expires;
    ngx_str_t                      *addr;
    ngx_uint_t                      hit;
    ngx_atomic_uint_t               revocations;
    ngx_http_push_approval_key_t    key;
    ngx_http_push_approval_memo_t  *m;
    ngx_http_push_approval_node_t  *pn;

    now = ngx_time();
    addr = &r->connection->addr_text;
    revocations = ctx->zone->sh->revocations;

    m = ngx_http_push_approval_memo(NGX_HTTP_PUSH_APPROVAL_MEMO_ADDRESS,
                                    addr, &ctx->identity, &ctx->scope, &hit);

    if (hit && m->expires >= now
        && now - m->checked < NGX_HTTP_PUSH_APPROVAL_MEMO_RECHECK
        && m->revocations == revocations)
    {
        return NGX_OK;
    }

    ngx_http_push_approval_key(key, NGX_HTTP_PUSH_APPROVAL_NODE_REMEMBER,
                               &ctx->identity, &ctx->scope, addr);

    ngx_shmtx_lock(&ctx->zone->shpool->mutex);

    pn = ngx_http_push_approval_lookup(ctx->zone, key,
                                       NGX_HTTP_PUSH_APPROVAL_NODE_REMEMBER);

    if (pn && revocations
        && ngx_http_push_approval_revoked_locked(ctx->zone, &ctx->identity,
                                                 pn->v.ident.at)
           == NGX_OK)
    {
        /* made before the identity was revoked */
        ngx_http_push_approval_delete(ctx->zone, pn);
        pn = NULL;
    }

    if (pn) {
        ngx_http_push_approval_touch(ctx->zone, pn);
        expires = pn->expires;
    }

    ngx_shmtx_unlock(&ctx->zone->shpool->mutex);

    if (pn == NULL) {
        return NGX_DECLINED;
    }

    if (m) {
        ngx_http_push_approval_memo_set(m, NGX_HTTP_PUSH_APPROVAL_MEMO_ADDRESS,
                                        addr, &ctx->identity, &ctx->scope,
                                        expires);
        m->revocations = revocations;
    }

    return NGX_OK;
}


/* NGX_OK: what was made at "made" is revoked; under the zone lock */

static ngx_int_t
ngx_http_push_approval_revoked_locked(ngx_http_push_approval_zone_ctx_t *zone,
    ngx_str_t *identity, time_t made)
{
    ngx_http_push_approval_key_t    key;
    ngx_http_push_approval_node_t  *rn;

    ngx_http_push_approval_key(key, NGX_HTTP_PUSH_APPROVAL_NODE_REVOKED,
                               identity, NULL, NULL);

    rn = ngx_http_push_approval_lookup(zone, key,
                                       NGX_HTTP_PUSH_APPROVAL_NODE_REVOKED);

    /* the same second counts as before: a revocation is never undone */

    return (rn && made <= rn->v.ident.at) ? NGX_OK : NGX_DECLINED;
}


ngx_int_t
ngx_http_push_approval_revoked(ngx_http_push_approval_zone_ctx_t *zone,
    ngx_str_t *identity, time_t issued)
{
    ngx_int_t  rc;

    ngx_shmtx_lock(&zone->shpool->mutex);
    rc = ngx_http_push_approval_revoked_locked(zone, identity, issued);
    ngx_shmtx_unlock(&zone->shpool->mutex);

    return rc;
}


static uint64_t
ngx_http_push_approval_bind_tag(u_char *bind)
{
    uint64_t  tag;

    ngx_memcpy(&tag, bind, sizeof(uint64_t));

    return tag;
}


/*
 * the memo slot for a tuple, *hit when it holds exactly that tuple;
 * NULL when the tuple is too long to keep
 */

static ngx_http_push_approval_memo_t *
ngx_http_push_approval_memo(ngx_uint_t kind, ngx_str_t *what,
    ngx_str_t *identity, ngx_str_t *scope, ngx_uint_t *hit)
{
    uint64_t                        hash;
    ngx_http_push_approval_memo_t  *m;

    *hit = 0;

    if (what->len > NGX_HTTP_PUSH_APPROVAL_MEMO_TEXT
        || identity->len > NGX_HTTP_PUSH_APPROVAL_IDENT_MAX
        || scope->len > NGX_HTTP_PUSH_APPROVAL_MEMO_TEXT)
    {
        return NULL;
    }

    if (ngx_http_push_approval_memos == NULL) {
        ngx_http_push_approval_memos = ngx_pcalloc(ngx_cycle->pool,
                                     NGX_HTTP_PUSH_APPROVAL_MEMO_SIZE
                                     * sizeof(ngx_http_push_approval_memo_t));
        if (ngx_http_push_approval_memos == NULL) {
            return NULL;
        }
    }

    /*
     * a cookie's last bytes are its MAC: they spread the slots well once
     * multiplied (Fibonacci hashing: the top bits depend on every byte)
     */

    if (what->len >= 8) {
        ngx_memcpy(&hash, what->data + what->len - 8, 8);

    } else {
        hash = ngx_murmur_hash2(what->data, what->len);
    }

    hash ^= (identity->len << 8) + kind;

    hash = (hash * 0x9e3779b97f4a7c15) >> NGX_HTTP_PUSH_APPROVAL_MEMO_SHIFT;

    m = &ngx_http_push_approval_memos[hash];

    /* a cookie is compared in constant time, whatever it shares */

    *hit = m->kind == kind
           && m->what_len == what->len
           && ngx_http_push_approval_mac_equal(m->what, what->data, what->len)
              == NGX_OK
           && m->identity_len == identity->len
           && ngx_memcmp(m->identity, identity->data, identity->len) == 0
           && m->scope_len == scope->len
           && (scope->len == 0
               || ngx_memcmp(m->scope, scope->data, scope->len) == 0);

    return m;
}


static void
ngx_http_push_approval_memo_set(ngx_http_push_approval_memo_t *m,
    ngx_uint_t kind, ngx_str_t *what, ngx_str_t *identity, ngx_str_t *scope,
    time_t expires)
{
    m->kind = (u_char) kind;
    m->expires = expires;
    m->checked = ngx_time();
    m->what_len = (u_char) what->len;
    ngx_memcpy(m->what, what->data, what->len);
    m->identity_len = (u_char) identity->len;
    ngx_memcpy(m->identity, identity->data, identity->len);
    m->scope_len = (u_char) scope->len;

    if (scope->len) {
        ngx_memcpy(m->scope, scope->data, scope->len);
    }
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

    pn = ngx_http_push_approval_entry(ctx->zone, key,
                                      NGX_HTTP_PUSH_APPROVAL_NODE_REMEMBER,
                                      expires);
    if (pn) {
        /* the identity, so that a revocation finds its entries */

        pn->expires = expires;
        pn->v.ident.at = ngx_time();
        pn->v.ident.identity_len = (u_char) ctx->identity.len;
        ngx_memcpy(pn->v.ident.identity, ctx->identity.data,
                   ctx->identity.len);
    }

    ngx_shmtx_unlock(&ctx->zone->shpool->mutex);

    ngx_http_push_approval_fleet_remember(ctx->zone, key, remember);
}


/* the cookie of this location: bound to its zone and provider */

ngx_int_t
ngx_http_push_approval_set_cookie(ngx_http_request_t *r, ngx_str_t *name,
    ngx_str_t *identity, ngx_str_t *scope, time_t remember,
    ngx_flag_t secure, ngx_uint_t samesite, ngx_str_t *domain)
{
    ngx_http_push_approval_loc_conf_t  *plcf;

    plcf = ngx_http_get_module_loc_conf(r, ngx_http_push_approval_module);

    return ngx_http_push_approval_set_cookie_bound(r, name, identity, scope,
                                                   remember, secure, samesite,
                                                   domain, plcf->cookie_bind);
}


/* the waiting page issues the cookie of the location the token names */

ngx_int_t
ngx_http_push_approval_set_cookie_bound(ngx_http_request_t *r,
    ngx_str_t *name, ngx_str_t *identity, ngx_str_t *scope, time_t remember,
    ngx_flag_t secure, ngx_uint_t samesite, ngx_str_t *domain, u_char *bind)
{
    u_char      *p;
    size_t       len;
    time_t       now;
    ngx_str_t   *secrets, value;
    ngx_uint_t   n;

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

    value.data = ngx_pnalloc(r->pool, len);
    if (value.data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(value.data, name->data, name->len);
    *p++ = '=';

    now = ngx_time();

    n = ngx_http_push_approval_cookie_value(p, &secrets[0], identity, scope,
                                            bind, now, now + remember);
    if (n == 0) {
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

    value.len = p - value.data;

    return ngx_http_push_approval_add_header(r, "Set-Cookie", &value)
           ? NGX_OK : NGX_ERROR;
}


ngx_str_t *
ngx_http_push_approval_secrets(ngx_http_request_t *r, ngx_uint_t *n)
{
    ngx_http_push_approval_main_conf_t  *pmcf;

    pmcf = ngx_http_get_module_main_conf(r, ngx_http_push_approval_module);

    if (pmcf->secrets == NULL) {
        *n = 0;
        return NULL;
    }

    *n = pmcf->secrets->nelts;
    return pmcf->secrets->elts;
}
