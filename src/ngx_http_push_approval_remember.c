
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
 * zone's entry in use.
 */

#define NGX_HTTP_PUSH_APPROVAL_MEMO_SIZE     1024
#define NGX_HTTP_PUSH_APPROVAL_MEMO_TEXT     64
#define NGX_HTTP_PUSH_APPROVAL_MEMO_RECHECK  60

#define NGX_HTTP_PUSH_APPROVAL_MEMO_COOKIE   1
#define NGX_HTTP_PUSH_APPROVAL_MEMO_ADDRESS  2


typedef struct {
    time_t                          expires;
    time_t                          checked;
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
    u_char                         *dot;
    time_t                          now;
    ngx_str_t                       value, *secrets;
    ngx_uint_t                      n, hit;
    ngx_http_push_approval_memo_t  *m;

    if (ngx_http_push_approval_cookie_find(r, &ctx->cookie_name, &value)
        != NGX_OK)
    {
        return ngx_http_push_approval_address_remembered(r, ctx);
    }

    now = ngx_time();

    m = ngx_http_push_approval_memo(NGX_HTTP_PUSH_APPROVAL_MEMO_COOKIE,
                                    &value, &ctx->identity, &ctx->scope,
                                    &hit);

    if (hit && m->expires >= now) {
        return NGX_OK;
    }

    secrets = ngx_http_push_approval_secrets(r, &n);

    if (ngx_http_push_approval_cookie_check(&value, secrets, n,
                                            &ctx->identity, &ctx->scope, now)
        != NGX_OK)
    {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "push approval: remember cookie is not valid");

        return NGX_DECLINED;
    }

    if (m) {
        /* a valid cookie is "EXPIRES.MAC" */
        dot = ngx_strlchr(value.data, value.data + value.len, '.');

        ngx_http_push_approval_memo_set(m, NGX_HTTP_PUSH_APPROVAL_MEMO_COOKIE,
                                        &value, &ctx->identity, &ctx->scope,
                                        ngx_atotm(value.data,
                                                  dot - value.data));
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
    ngx_http_push_approval_key_t    key;
    ngx_http_push_approval_memo_t  *m;
    ngx_http_push_approval_node_t  *pn;

    now = ngx_time();
    addr = &r->connection->addr_text;

    m = ngx_http_push_approval_memo(NGX_HTTP_PUSH_APPROVAL_MEMO_ADDRESS,
                                    addr, &ctx->identity, &ctx->scope, &hit);

    if (hit && m->expires >= now
        && now - m->checked < NGX_HTTP_PUSH_APPROVAL_MEMO_RECHECK)
    {
        return NGX_OK;
    }

    ngx_http_push_approval_key(key, NGX_HTTP_PUSH_APPROVAL_NODE_REMEMBER,
                               &ctx->identity, &ctx->scope, addr);

    ngx_shmtx_lock(&ctx->zone->shpool->mutex);

    pn = ngx_http_push_approval_lookup(ctx->zone, key,
                                       NGX_HTTP_PUSH_APPROVAL_NODE_REMEMBER);
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
    }

    return NGX_OK;
}


/*
 * the memo slot for a tuple, *hit when it holds exactly that tuple;
 * NULL when the tuple is too long to keep
 */

static ngx_http_push_approval_memo_t *
ngx_http_push_approval_memo(ngx_uint_t kind, ngx_str_t *what,
    ngx_str_t *identity, ngx_str_t *scope, ngx_uint_t *hit)
{
    uint32_t                        hash;
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

    /* a cookie's last bytes are its MAC: they spread the slots well */

    hash = (what->len >= 8)
           ? ngx_murmur_hash2(what->data + what->len - 8, 8)
           : ngx_murmur_hash2(what->data, what->len);

    hash ^= (identity->len << 8) + kind;

    m = &ngx_http_push_approval_memos[hash % NGX_HTTP_PUSH_APPROVAL_MEMO_SIZE];

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
    u_char      *p;
    size_t       len;
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

    n = ngx_http_push_approval_cookie_value(p, &secrets[0], identity, scope,
                                            ngx_time() + remember);
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
