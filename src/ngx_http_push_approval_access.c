
/*
 * Copyright (C) push approval module developers
 *
 * Enforcement in a protected location: the access phase handler (the
 * remember cookie first, then the fleet and the zone), creating the one
 * shared push for (identity, scope, address) through the provider, holding
 * the request until the approval core says it is decided, and the outcome
 * of each request.  The approval's lifecycle is in _approval.c, the push
 * limiter in _limit.c, the redirect to the waiting page in _browser.c.
 */


#include "ngx_http_push_approval.h"


static ngx_int_t ngx_http_push_approval_carried(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx,
    ngx_http_push_approval_loc_conf_t *plcf);
static ngx_int_t ngx_http_push_approval_no_identity(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx);
static ngx_int_t ngx_http_push_approval_needed(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx);
static ngx_int_t ngx_http_push_approval_start(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx);
static ngx_int_t ngx_http_push_approval_join(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_http_push_approval_node_t *pair);
static ngx_int_t ngx_http_push_approval_create(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx);
static ngx_int_t ngx_http_push_approval_send_create(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx);
static ngx_http_push_approval_node_t *ngx_http_push_approval_factor(
    ngx_http_push_approval_ctx_t *ctx, u_char *key);
static ngx_http_push_approval_call_t *ngx_http_push_approval_new_call(
    ngx_http_request_t *r, ngx_http_push_approval_ctx_t *ctx,
    ngx_http_push_approval_call_done_pt handler);
static void ngx_http_push_approval_factors_done(ngx_http_request_t *r,
    ngx_http_push_approval_call_t *call);
static void ngx_http_push_approval_factor_gone(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx);
static void ngx_http_push_approval_create_done(ngx_http_request_t *r,
    ngx_http_push_approval_call_t *call);
static ngx_uint_t ngx_http_push_approval_pair_state(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_http_push_approval_answer_t *ans);
static void ngx_http_push_approval_created(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_http_push_approval_answer_t *ans);
static ngx_int_t ngx_http_push_approval_wait(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx);
static ngx_int_t ngx_http_push_approval_check_pair(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx);
static ngx_int_t ngx_http_push_approval_check_approval(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx);
static void ngx_http_push_approval_hold_handler(ngx_event_t *ev);
static void ngx_http_push_approval_test_reading(ngx_http_request_t *r);
static ngx_int_t ngx_http_push_approval_finish(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_uint_t status, ngx_int_t rc);
static ngx_int_t ngx_http_push_approval_fail(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, const char *why);
static ngx_int_t ngx_http_push_approval_refused(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx);
static ngx_uint_t ngx_http_push_approval_ran_out(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx);
static ngx_int_t ngx_http_push_approval_approved(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx);
static void ngx_http_push_approval_resume(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_int_t rc);
static ngx_int_t ngx_http_push_approval_result(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_int_t rc);


#define NGX_HTTP_PUSH_APPROVAL_WAITING  NGX_AGAIN


ngx_int_t
ngx_http_push_approval_access_handler(ngx_http_request_t *r)
{
    ngx_int_t                           rc;
    ngx_http_push_approval_ctx_t       *ctx;
    ngx_http_push_approval_loc_conf_t  *plcf;

    if (r != r->main) {
        return NGX_DECLINED;
    }

    plcf = ngx_http_get_module_loc_conf(r, ngx_http_push_approval_module);

    if (plcf->shm_zone == NULL) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_push_approval_get_ctx(r);

    if (ctx && ctx->uri_changes == r->uri_changes) {
        /* the same location again: the request was held, or passes */

        if (ctx->done) {
            return ngx_http_push_approval_result(r, ctx, ctx->rc);
        }

        return NGX_AGAIN;
    }

    if (ctx && ngx_http_push_approval_carried(r, ctx, plcf) == NGX_OK) {
        return ctx->rc;
    }

    rc = ngx_http_push_approval_misrouted(r, plcf);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    /* a new check: after an internal redirect, with a context of its own */

    ctx = ngx_http_push_approval_create_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->uri_changes = r->uri_changes;
    ctx->conf = plcf;
    ctx->zone = plcf->shm_zone->data;
    ctx->poll = plcf->poll;

    if (ngx_http_complex_value(r, plcf->identity, &ctx->identity) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->identity.len == 0) {
        return ngx_http_push_approval_result(r, ctx,
                                    ngx_http_push_approval_no_identity(r, ctx));
    }

    if (plcf->scope == NULL) {
        ngx_str_set(&ctx->scope, "");

    } else if (ngx_http_complex_value(r, plcf->scope, &ctx->scope)
               != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (plcf->remember) {
        if (ngx_http_push_approval_cookie_name(r, plcf, &ctx->scope,
                                               &ctx->cookie_name)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (ngx_http_push_approval_remembered(r, ctx) == NGX_OK) {
            return ngx_http_push_approval_finish(r, ctx,
                                          NGX_HTTP_PUSH_APPROVAL_ST_REMEMBERED,
                                          NGX_OK);
        }
    }

    return ngx_http_push_approval_needed(r, ctx);
}


/*
 * a request neither carried nor remembered needs an approval: the fleet
 * is asked first, with a store, then the zone
 */

static ngx_int_t
ngx_http_push_approval_needed(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx)
{
    ngx_int_t                           rc;
    ngx_http_push_approval_provider_t  *provider;

    /*
     * only an approved, hence valid, identity is ever remembered: what the
     * provider accepts is checked when a push is needed
     */

    provider = ngx_http_push_approval_providers[ctx->conf->provider];

    if (provider->valid_identity(&ctx->identity) != NGX_OK) {
        return ngx_http_push_approval_result(r, ctx,
                                    ngx_http_push_approval_no_identity(r, ctx));
    }

    if (ctx->conf->remember) {
        /*
         * shared by the requests of one client address only: someone who
         * holds the password elsewhere cannot ride on the owner's tap
         */

        ngx_http_push_approval_key(ctx->pair_key,
                                   NGX_HTTP_PUSH_APPROVAL_NODE_PAIR,
                                   &ctx->identity, &ctx->scope,
                                   &r->connection->addr_text);
    }

    /* with a store, the fleet is asked first (section 14) */

    rc = ngx_http_push_approval_fleet_claim(r, ctx,
                                            ngx_http_push_approval_proceed);

    switch (rc) {

    case NGX_AGAIN:
        return NGX_AGAIN;

    case NGX_BUSY:
        /* push_approval_store fail=closed while the store is down */
        return ngx_http_push_approval_finish(r, ctx,
                                             NGX_HTTP_PUSH_APPROVAL_ST_ERROR,
                                             NGX_HTTP_SERVICE_UNAVAILABLE);

    case NGX_ERROR:
        return NGX_HTTP_INTERNAL_SERVER_ERROR;

    default:
        break;
    }

    return ngx_http_push_approval_result(r, ctx,
                                         ngx_http_push_approval_start(r, ctx));
}


/*
 * After an internal redirect (try_files, error_page, rewrite ... last) the
 * check runs again in the new location: an approval or a remembered
 * approval counts there only for the same zone, identity and scope, and
 * never in another location with push_approval_remember 0.  NGX_OK:
 * ctx->rc stands.
 */

static ngx_int_t
ngx_http_push_approval_carried(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_http_push_approval_loc_conf_t *plcf)
{
    ngx_str_t  identity, scope;

    if (!ctx->done) {
        return NGX_DECLINED;
    }

    if (ctx->rc != NGX_OK) {
        /* a refused request stays refused: its error page starts no push */
        ctx->uri_changes = r->uri_changes;
        return NGX_OK;
    }

    /* the same location (an index file, say): its own outcome stands */

    if (plcf != ctx->conf
        && ((ctx->status != NGX_HTTP_PUSH_APPROVAL_ST_APPROVED
             && ctx->status != NGX_HTTP_PUSH_APPROVAL_ST_REMEMBERED)
            || plcf->remember == 0
            || plcf->shm_zone->data != ctx->zone))
    {
        return NGX_DECLINED;
    }

    if (ngx_http_complex_value(r, plcf->identity, &identity) != NGX_OK) {
        return NGX_ERROR;
    }

    if (plcf->scope == NULL) {
        ngx_str_set(&scope, "");

    } else if (ngx_http_complex_value(r, plcf->scope, &scope) != NGX_OK) {
        return NGX_ERROR;
    }

    if (identity.len != ctx->identity.len
        || ngx_strncmp(identity.data, ctx->identity.data, identity.len) != 0
        || scope.len != ctx->scope.len
        || ngx_strncmp(scope.data, ctx->scope.data, scope.len) != 0)
    {
        return NGX_DECLINED;
    }

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "push approval: approval carried over a redirect");

    ctx->uri_changes = r->uri_changes;

    return NGX_OK;
}


/*
 * the fleet's answer is in the zone (NGX_OK), the request won the fleet's
 * claim and creates the push (NGX_DONE), or the store failed closed
 * (NGX_BUSY): the request goes on from where the access handler left it
 */

void
ngx_http_push_approval_proceed(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_int_t rc)
{
    if (rc == NGX_BUSY) {
        rc = ngx_http_push_approval_finish(r, ctx,
                                           NGX_HTTP_PUSH_APPROVAL_ST_ERROR,
                                           NGX_HTTP_SERVICE_UNAVAILABLE);

    } else if (rc == NGX_DECLINED) {
        /* a cookie-less client another host of the fleet remembers */
        rc = ngx_http_push_approval_finish(r, ctx,
                                          NGX_HTTP_PUSH_APPROVAL_ST_REMEMBERED,
                                          NGX_OK);

    } else if (rc == NGX_DONE) {
        /* counted here too, so that limits hold while the store is away */

        ngx_shmtx_lock(&ctx->zone->shpool->mutex);
        rc = ngx_http_push_approval_count_push(r, ctx);
        ngx_shmtx_unlock(&ctx->zone->shpool->mutex);

        if (rc == NGX_OK) {
            rc = ngx_http_push_approval_create(r, ctx);
        }

    } else {
        rc = ngx_http_push_approval_start(r, ctx);
    }

    ngx_http_push_approval_resume(r, ctx, rc);
}


static ngx_int_t
ngx_http_push_approval_no_identity(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx)
{
    ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                  "push approval: no valid identity for the %V provider",
                  &ngx_http_push_approval_providers[ctx->conf->provider]
                       ->name);

    return ngx_http_push_approval_finish(r, ctx,
                                         NGX_HTTP_PUSH_APPROVAL_ST_NO_IDENTITY,
                                         NGX_HTTP_FORBIDDEN);
}


/* a 401 of push_approval_code carries a JSON body of its own */

static ngx_int_t
ngx_http_push_approval_result(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_int_t rc)
{
    ngx_chain_t  *out;

    if (ctx->out == NULL || rc != NGX_HTTP_UNAUTHORIZED) {
        return ctx->done ? ngx_http_push_approval_refusal(r, ctx, rc) : rc;
    }

    out = ctx->out;
    ctx->out = NULL;

    ngx_http_finalize_request(r, ngx_http_push_approval_output(r, out));

    return NGX_DONE;
}


/*
 * joins the pending approval for (identity, scope, client address), or the
 * push being created for it, or starts a new one
 */

static ngx_int_t
ngx_http_push_approval_start(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx)
{
    ngx_int_t                       rc;
    ngx_http_push_approval_node_t  *pair;

    if (ctx->conf->remember == 0) {
        /* each request its own approval, naming that request */

        ngx_shmtx_lock(&ctx->zone->shpool->mutex);
        rc = ngx_http_push_approval_count_push(r, ctx);
        ngx_shmtx_unlock(&ctx->zone->shpool->mutex);

        if (rc != NGX_OK) {
            ngx_http_push_approval_log_limit(r, ctx);
            return rc;
        }

        return ngx_http_push_approval_create(r, ctx);
    }

    ngx_shmtx_lock(&ctx->zone->shpool->mutex);

    pair = ngx_http_push_approval_lookup(ctx->zone, ctx->pair_key,
                                         NGX_HTTP_PUSH_APPROVAL_NODE_PAIR);

    rc = ngx_http_push_approval_join(r, ctx, pair);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    rc = ngx_http_push_approval_count_push(r, ctx);

    if (rc != NGX_OK) {
        ngx_shmtx_unlock(&ctx->zone->shpool->mutex);
        ngx_http_push_approval_log_limit(r, ctx);
        return rc;
    }

    if (pair == NULL) {
        pair = ngx_http_push_approval_insert(ctx->zone, ctx->pair_key,
                                             NGX_HTTP_PUSH_APPROVAL_NODE_PAIR,
                                             ngx_time()
                                             + ctx->conf->timeout / 1000
                                             + 600);
        if (pair == NULL) {
            ngx_shmtx_unlock(&ctx->zone->shpool->mutex);
            return ngx_http_push_approval_fail(r, ctx, "zone is full");
        }
    }

    ctx->seq = ngx_http_push_approval_pair_creating(ctx->zone, pair);
    pair->expires = ngx_time() + ctx->conf->timeout / 1000 + 600;

    ngx_shmtx_unlock(&ctx->zone->shpool->mutex);

    return ngx_http_push_approval_create(r, ctx);
}


/*
 * under the zone lock, released unless NGX_DECLINED: joins the pair's
 * pending approval, or waits for the push another request creates for it;
 * NGX_DECLINED, there is nothing to join
 */

static ngx_int_t
ngx_http_push_approval_join(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_http_push_approval_node_t *pair)
{
    u_char                          key[NGX_HTTP_PUSH_APPROVAL_KEY_SIZE];
    ngx_str_t                       id;
    ngx_http_push_approval_node_t  *ap;

    if (pair && pair->v.pair.state == NGX_HTTP_PUSH_APPROVAL_PAIR_ACTIVE) {

        id.data = pair->v.pair.id;
        id.len = pair->v.pair.id_len;

        ngx_http_push_approval_key(key, NGX_HTTP_PUSH_APPROVAL_NODE_APPROVAL,
                                   &id, NULL, NULL);

        ap = ngx_http_push_approval_lookup(ctx->zone, key,
                                          NGX_HTTP_PUSH_APPROVAL_NODE_APPROVAL);

        if (ap && ap->v.approval.state == NGX_HTTP_PUSH_APPROVAL_PENDING
            && (ap->v.approval.provider_expires == 0
                || ap->v.approval.provider_expires > ngx_time()))
        {
            /* one push however many requests: join it */

            ctx->approval_id.data = ngx_pstrdup(r->pool, &id);
            if (ctx->approval_id.data == NULL) {
                ngx_shmtx_unlock(&ctx->zone->shpool->mutex);
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            ctx->approval_id.len = id.len;
            ctx->code = ap->v.approval.code;
            ngx_memcpy(ctx->approval_key, key, sizeof(key));

            ngx_shmtx_unlock(&ctx->zone->shpool->mutex);

            return ngx_http_push_approval_wait(r, ctx);
        }
    }

    if (pair && pair->v.pair.state == NGX_HTTP_PUSH_APPROVAL_PAIR_CREATING
        && (ngx_msec_int_t) (ngx_current_msec - pair->v.pair.started)
           < (ngx_msec_int_t) ctx->conf->timeout)
    {
        /* the push is being created by another request: wait for it */

        ctx->seq = pair->v.pair.seq;

        ngx_shmtx_unlock(&ctx->zone->shpool->mutex);

        if (ngx_http_push_approval_watch(r, ctx, ctx->pair_key,
                                         NGX_HTTP_PUSH_APPROVAL_NODE_PAIR)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_push_approval_wait(r, ctx);
    }

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_push_approval_create(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx)
{
    u_char                              key[NGX_HTTP_PUSH_APPROVAL_KEY_SIZE];
    ngx_str_t                           uri;
    ngx_http_push_approval_node_t      *pn;
    ngx_http_push_approval_call_t      *call;
    ngx_http_push_approval_provider_t  *provider;

    if (ngx_http_push_approval_build(r, ctx) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    provider = ngx_http_push_approval_providers[ctx->conf->provider];

    if (provider->factors == NULL || ctx->pr->factor.len) {
        return ngx_http_push_approval_send_create(r, ctx);
    }

    /* a factor looked up once is kept in the zone */

    ngx_shmtx_lock(&ctx->zone->shpool->mutex);

    pn = ngx_http_push_approval_factor(ctx, key);
    if (pn) {
        ctx->pr->factor.len = pn->v.factor.len;
        ctx->pr->factor.data = ngx_pnalloc(r->pool, pn->v.factor.len);

        if (ctx->pr->factor.data) {
            ngx_memcpy(ctx->pr->factor.data, pn->v.factor.sid,
                       pn->v.factor.len);
        }
    }

    ngx_shmtx_unlock(&ctx->zone->shpool->mutex);

    if (pn) {
        if (ctx->pr->factor.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ctx->pr->factor_cached = 1;

        return ngx_http_push_approval_send_create(r, ctx);
    }

    if (provider->factors(r, ctx->conf, &ctx->identity, &uri) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    call = ngx_http_push_approval_new_call(r, ctx,
                                           ngx_http_push_approval_factors_done);
    if (call == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_push_approval_call(r, ctx->conf,
                                    NGX_HTTP_PUSH_APPROVAL_OP_FACTORS,
                                    NGX_HTTP_GET, &uri, NULL, call)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_push_approval_wait(r, ctx);
}


static ngx_int_t
ngx_http_push_approval_send_create(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx)
{
    ngx_str_t                           uri, body;
    ngx_http_push_approval_call_t      *call;
    ngx_http_push_approval_provider_t  *provider;

    provider = ngx_http_push_approval_providers[ctx->conf->provider];

    if (provider->create(r, ctx->conf, ctx->pr, &uri, &body) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    call = ngx_http_push_approval_new_call(r, ctx,
                                           ngx_http_push_approval_create_done);
    if (call == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->call = call;

    if (ngx_http_push_approval_call(r, ctx->conf,
                                    NGX_HTTP_PUSH_APPROVAL_OP_CREATE,
                                    NGX_HTTP_POST, &uri, &body, call)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_push_approval_metric(ctx->zone, provider->push_metric, 1);

    return ngx_http_push_approval_wait(r, ctx);
}


/* a provider call of this request, answered to the handler */

static ngx_http_push_approval_call_t *
ngx_http_push_approval_new_call(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx,
    ngx_http_push_approval_call_done_pt handler)
{
    ngx_http_push_approval_call_t  *call;

    call = ngx_pcalloc(r->pool, sizeof(ngx_http_push_approval_call_t));
    if (call == NULL) {
        return NULL;
    }

    call->handler = handler;
    call->data = ctx;

    return call;
}


/* under the zone lock: the identity's Verify factor kept in the zone */

static ngx_http_push_approval_node_t *
ngx_http_push_approval_factor(ngx_http_push_approval_ctx_t *ctx, u_char *key)
{
    ngx_http_push_approval_key(key, NGX_HTTP_PUSH_APPROVAL_NODE_FACTOR,
                               &ctx->identity, &ctx->conf->verify_service,
                               NULL);

    return ngx_http_push_approval_lookup(ctx->zone, key,
                                         NGX_HTTP_PUSH_APPROVAL_NODE_FACTOR);
}


static void
ngx_http_push_approval_factors_done(ngx_http_request_t *r,
    ngx_http_push_approval_call_t *call)
{
    u_char                              key[NGX_HTTP_PUSH_APPROVAL_KEY_SIZE];
    ngx_int_t                           rc;
    ngx_http_push_approval_ctx_t       *ctx;
    ngx_http_push_approval_node_t      *pn;
    ngx_http_push_approval_answer_t     ans;
    ngx_http_push_approval_provider_t  *provider;

    ctx = call->data;

    if (ctx->done) {
        return;
    }

    provider = ngx_http_push_approval_providers[ctx->conf->provider];
    provider->parse(r->pool, NGX_HTTP_PUSH_APPROVAL_OP_FACTORS, call, &ans);

    if (ans.result != NGX_HTTP_PUSH_APPROVAL_R_OK) {
        ngx_http_push_approval_created(r, ctx, &ans);
        return;
    }

    ngx_shmtx_lock(&ctx->zone->shpool->mutex);

    pn = ngx_http_push_approval_factor(ctx, key);
    if (pn == NULL) {
        pn = ngx_http_push_approval_insert(ctx->zone, key,
                                           NGX_HTTP_PUSH_APPROVAL_NODE_FACTOR,
                                           ngx_time() + 3600);
    }

    if (pn) {
        pn->v.factor.len = (u_char) ans.id.len;
        ngx_memcpy(pn->v.factor.sid, ans.id.data, ans.id.len);
    }

    ngx_shmtx_unlock(&ctx->zone->shpool->mutex);

    ctx->pr->factor = ans.id;

    rc = ngx_http_push_approval_send_create(r, ctx);

    ngx_http_push_approval_resume(r, ctx, rc);
}


static void
ngx_http_push_approval_create_done(ngx_http_request_t *r,
    ngx_http_push_approval_call_t *call)
{
    ngx_http_push_approval_ctx_t       *ctx;
    ngx_http_push_approval_answer_t     ans;
    ngx_http_push_approval_provider_t  *provider;

    ctx = call->data;

    provider = ngx_http_push_approval_providers[ctx->conf->provider];
    provider->parse(r->pool, NGX_HTTP_PUSH_APPROVAL_OP_CREATE, call, &ans);

    if (ans.result == NGX_HTTP_PUSH_APPROVAL_R_NOT_FOUND
        && ctx->pr->factor_cached)
    {
        ngx_http_push_approval_factor_gone(r, ctx);

        if (!ctx->done) {
            return;
        }
    }

    ngx_http_push_approval_created(r, ctx, &ans);
}


/*
 * a 404 for a factor kept in the zone: the phone was re-enrolled (or
 * removed), so the factor is forgotten and looked up again, once
 */

static void
ngx_http_push_approval_factor_gone(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx)
{
    u_char                          key[NGX_HTTP_PUSH_APPROVAL_KEY_SIZE];
    ngx_int_t                       rc;
    ngx_http_push_approval_node_t  *pn;

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "push approval: the provider knows the factor of \"%V\" "
                  "no more, looking it up again", &ctx->identity);

    ngx_shmtx_lock(&ctx->zone->shpool->mutex);

    pn = ngx_http_push_approval_factor(ctx, key);

    /* another worker may have stored the new factor already */

    if (pn && pn->v.factor.len == ctx->pr->factor.len
        && ngx_memcmp(pn->v.factor.sid, ctx->pr->factor.data,
                      pn->v.factor.len)
           == 0)
    {
        ngx_http_push_approval_delete(ctx->zone, pn);
    }

    ngx_shmtx_unlock(&ctx->zone->shpool->mutex);

    if (ctx->done) {
        /* nobody to create for: the answer is recorded as it is */
        return;
    }

    ctx->call = NULL;

    rc = ngx_http_push_approval_create(r, ctx);

    ngx_http_push_approval_resume(r, ctx, rc);
}


/* what the provider's answer to a create makes of the pair */

static ngx_uint_t
ngx_http_push_approval_pair_state(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_http_push_approval_answer_t *ans)
{
    if (ans->result == NGX_HTTP_PUSH_APPROVAL_R_OK) {
        return NGX_HTTP_PUSH_APPROVAL_PAIR_ACTIVE;
    }

    if (ans->result == NGX_HTTP_PUSH_APPROVAL_R_NOT_FOUND) {
        return NGX_HTTP_PUSH_APPROVAL_PAIR_NO_USER;
    }

    ngx_http_push_approval_metric(ctx->zone,
                                  NGX_HTTP_PUSH_APPROVAL_M_PROVIDER_ERRORS, 1);

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "push approval: %V provider failed to create an "
                  "approval for \"%V\": %V",
                  &ngx_http_push_approval_providers[ctx->conf->provider]->name,
                  &ctx->identity, &ans->error);

    return (ans->result == NGX_HTTP_PUSH_APPROVAL_R_REFUSED)
           ? NGX_HTTP_PUSH_APPROVAL_PAIR_REFUSED
           : NGX_HTTP_PUSH_APPROVAL_PAIR_FAILED;
}


/* the creator's answer: recorded for every waiter, then the creator goes on */

static void
ngx_http_push_approval_created(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_http_push_approval_answer_t *ans)
{
    u_char                              key[NGX_HTTP_PUSH_APPROVAL_KEY_SIZE];
    ngx_uint_t                          pair_state;
    ngx_http_push_approval_node_t      *pair, *ap;
    ngx_http_push_approval_approval_t   copy;

    ctx->call = NULL;

    pair_state = ngx_http_push_approval_pair_state(r, ctx, ans);
    ap = NULL;

    ngx_shmtx_lock(&ctx->zone->shpool->mutex);

    if (pair_state == NGX_HTTP_PUSH_APPROVAL_PAIR_ACTIVE) {

        ngx_http_push_approval_key(key, NGX_HTTP_PUSH_APPROVAL_NODE_APPROVAL,
                                   &ans->id, NULL, NULL);

        ap = ngx_http_push_approval_made(ctx, key, &ans->id, ans->expires,
                                         ctx->code);
        if (ap == NULL) {
            pair_state = NGX_HTTP_PUSH_APPROVAL_PAIR_FAILED;

        } else {
            ngx_memcpy(ctx->approval_key, key, sizeof(key));
        }
    }

    if (ctx->conf->remember) {
        pair = ngx_http_push_approval_lookup(ctx->zone, ctx->pair_key,
                                             NGX_HTTP_PUSH_APPROVAL_NODE_PAIR);

        if (pair && pair->v.pair.seq == ctx->seq) {
            pair->v.pair.state = pair_state;

            if (ap) {
                pair->v.pair.id_len = (u_char) ans->id.len;
                ngx_memcpy(pair->v.pair.id, ans->id.data, ans->id.len);
            }
        }
    }

    if (ap) {
        copy = ap->v.approval;
    }

    ngx_shmtx_unlock(&ctx->zone->shpool->mutex);

    ngx_http_push_approval_changed_key(ctx->zone, ctx->pair_key);

    if (ctx->conf->remember) {
        /* the other hosts of the fleet join it, or learn it failed */
        ngx_http_push_approval_fleet_created(ctx->zone, ctx->pair_key,
                                             ap ? &copy : NULL, pair_state);
    }

    if (ctx->done) {
        /* the creator is finished already (timed out): nothing to resume */
        return;
    }

    if (ctx->client_gone) {
        /* the answer is recorded for later requests; nobody to tell */
        ngx_http_push_approval_resume(r, ctx, NGX_HTTP_CLIENT_CLOSED_REQUEST);
        return;
    }

    switch (pair_state) {

    case NGX_HTTP_PUSH_APPROVAL_PAIR_ACTIVE:
        ctx->approval_id = ans->id;
        ctx->rc = ngx_http_push_approval_wait(r, ctx);
        break;

    case NGX_HTTP_PUSH_APPROVAL_PAIR_NO_USER:
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "push approval: the provider knows no push device "
                      "for \"%V\"", &ctx->identity);

        ctx->rc = ngx_http_push_approval_finish(r, ctx,
                                         NGX_HTTP_PUSH_APPROVAL_ST_NO_IDENTITY,
                                         NGX_HTTP_FORBIDDEN);
        break;

    case NGX_HTTP_PUSH_APPROVAL_PAIR_REFUSED:
        ctx->rc = ngx_http_push_approval_refused(r, ctx);
        break;

    default:
        ctx->rc = ngx_http_push_approval_fail(r, ctx,
                                              "the provider call failed");
        break;
    }

    ngx_http_push_approval_resume(r, ctx, ctx->rc);
}


/*
 * waits for the creation or the decision; NGX_AGAIN while waiting, or the
 * final code
 */

static ngx_int_t
ngx_http_push_approval_wait(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx)
{
    ngx_int_t  rc;

    if (ctx->approval_id.len) {

        if (ctx->watch == NULL
            || ctx->watch->type != NGX_HTTP_PUSH_APPROVAL_NODE_APPROVAL)
        {
            rc = ngx_http_push_approval_check_approval(r, ctx);
            if (rc != NGX_AGAIN) {
                return rc;
            }

            if (ngx_http_push_approval_wants_redirect(r, ctx)) {
                return ngx_http_push_approval_redirect(r, ctx);
            }

            if (ngx_http_push_approval_watch(r, ctx, ctx->approval_key,
                                        NGX_HTTP_PUSH_APPROVAL_NODE_APPROVAL)
                != NGX_OK)
            {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }
        }
    }

    if (ctx->held) {
        return NGX_AGAIN;
    }

    ngx_http_push_approval_hold(r, ctx, ngx_http_push_approval_hold_handler);

    r->read_event_handler = ngx_http_push_approval_test_reading;
    r->write_event_handler = ngx_http_request_empty_handler;

    return NGX_AGAIN;
}


/*
 * ngx_http_test_reading() for a held request, except that a creator whose
 * client goes away keeps its create call: the provider may have sent the
 * push already, and its answer must reach the zone (SPEC 4: a pending
 * approval outlives the requests waiting on it).  The request then ends
 * as soon as the answer is recorded, or at its timeout.
 */

static void
ngx_http_push_approval_test_reading(ngx_http_request_t *r)
{
    int                            n;
    char                           buf[1];
    ngx_err_t                      err;
    ngx_event_t                   *rev;
    ngx_connection_t              *c;
    ngx_http_push_approval_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_push_approval_module);

    c = r->connection;
    rev = c->read;

    if (ctx == NULL || ctx->call == NULL || ctx->done || ctx->client_gone
        || c->error
#if (NGX_HTTP_V2)
        || r->stream
#endif
       )
    {
        ngx_http_test_reading(r);
        return;
    }

    n = recv(c->fd, buf, 1, MSG_PEEK);

    err = ngx_socket_errno;

    if (n > 0 || (n == -1 && err == NGX_EAGAIN)) {
        /* still there (or pipelining): as ngx_http_test_reading() */

        if ((ngx_event_flags & NGX_USE_LEVEL_EVENT) && rev->active) {
            if (ngx_del_event(rev, NGX_READ_EVENT, 0) != NGX_OK) {
                ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            }
        }

        return;
    }

    rev->eof = 1;

    if (n == -1) {
        rev->error = 1;

    } else {
        err = 0;
    }

    if ((ngx_event_flags & NGX_USE_LEVEL_EVENT) && rev->active) {
        if (ngx_del_event(rev, NGX_READ_EVENT, 0) != NGX_OK) {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }
    }

    ngx_log_error(NGX_LOG_INFO, c->log, err,
                  "client prematurely closed connection while its push "
                  "was being created");

    ctx->client_gone = 1;

    r->read_event_handler = ngx_http_block_reading;

    /* no longer held; the create call and the timer bound what is left */

    if (ctx->held) {
        ctx->held = 0;
        ngx_http_push_approval_metric(ctx->zone,
                                      NGX_HTTP_PUSH_APPROVAL_M_HELD, -1);
    }
}


static void
ngx_http_push_approval_hold_handler(ngx_event_t *ev)
{
    ngx_int_t                      rc;
    ngx_connection_t              *c;
    ngx_http_request_t            *r;
    ngx_http_push_approval_ctx_t  *ctx;

    ctx = ngx_http_push_approval_woken(ev);
    if (ctx == NULL) {
        return;
    }

    r = ev->data;
    c = r->connection;

    if (ev->timedout) {
        ev->timedout = 0;
        ctx->timed_out = 1;
    }

    if (ctx->poll_now) {
        ctx->poll_now = 0;

        if (!ctx->timed_out && ctx->approval_id.len) {
            ngx_http_push_approval_fetch(r, ctx);
            ngx_http_run_posted_requests(c);
            return;
        }
    }

    if (ctx->call) {
        /* the creator: its own answer, or the provider is too slow */

        if (!ctx->timed_out) {
            return;
        }

        rc = ngx_http_push_approval_fail(r, ctx,
                                         "the provider did not answer in "
                                         "time");

    } else if (ctx->approval_id.len) {
        rc = ngx_http_push_approval_check_approval(r, ctx);

        if (rc == NGX_AGAIN && ctx->timed_out) {
            rc = ctx->poll_refused
                 ? ngx_http_push_approval_refused(r, ctx)
                 : ctx->poll_failed
                 ? ngx_http_push_approval_fail(r, ctx,
                                               "the status poll failed")
                 : ngx_http_push_approval_finish(r, ctx,
                                            NGX_HTTP_PUSH_APPROVAL_ST_TIMEOUT,
                                            NGX_HTTP_FORBIDDEN);
        }

    } else {
        rc = ngx_http_push_approval_check_pair(r, ctx);

        if (rc == NGX_AGAIN && ctx->timed_out) {
            rc = ngx_http_push_approval_fail(r, ctx,
                                             "the provider did not answer "
                                             "in time");
        }
    }

    ngx_http_push_approval_resume(r, ctx, rc);

    /* a push created on behalf of others runs as a subrequest */
    ngx_http_run_posted_requests(c);
}


/* a waiter on a push being created by another request */

static ngx_int_t
ngx_http_push_approval_check_pair(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx)
{
    u_char                          key[NGX_HTTP_PUSH_APPROVAL_KEY_SIZE];
    ngx_str_t                       id;
    ngx_uint_t                      state;
    ngx_http_push_approval_node_t  *pair;

    ngx_shmtx_lock(&ctx->zone->shpool->mutex);

    pair = ngx_http_push_approval_lookup(ctx->zone, ctx->pair_key,
                                         NGX_HTTP_PUSH_APPROVAL_NODE_PAIR);

    if (pair == NULL) {
        ngx_shmtx_unlock(&ctx->zone->shpool->mutex);
        return ngx_http_push_approval_fail(r, ctx, "the push was lost");
    }

    /* another waiter may have taken an abandoned push over: follow it */
    ctx->seq = pair->v.pair.seq;

    state = pair->v.pair.state;

    if (state == NGX_HTTP_PUSH_APPROVAL_PAIR_CREATING
        && (ngx_msec_int_t) (ngx_current_msec - pair->v.pair.started)
           >= (ngx_msec_int_t) ctx->conf->timeout)
    {
        /* its creator went away */
        pair->v.pair.state = NGX_HTTP_PUSH_APPROVAL_PAIR_FAILED;
        state = NGX_HTTP_PUSH_APPROVAL_PAIR_FAILED;
    }

    if (state == NGX_HTTP_PUSH_APPROVAL_PAIR_ACTIVE) {
        id.len = pair->v.pair.id_len;
        id.data = ngx_pnalloc(r->pool, id.len);

        if (id.data) {
            ngx_memcpy(id.data, pair->v.pair.id, id.len);
        }
    }

    ngx_shmtx_unlock(&ctx->zone->shpool->mutex);

    switch (state) {

    case NGX_HTTP_PUSH_APPROVAL_PAIR_CREATING:
        return NGX_AGAIN;

    case NGX_HTTP_PUSH_APPROVAL_PAIR_ABANDONED:
        /* its creator's client went away: one of us creates it anew */
        ngx_http_push_approval_unwatch(ctx);
        return ngx_http_push_approval_start(r, ctx);

    case NGX_HTTP_PUSH_APPROVAL_PAIR_ACTIVE:
        if (id.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ctx->approval_id = id;

        ngx_http_push_approval_key(key, NGX_HTTP_PUSH_APPROVAL_NODE_APPROVAL,
                                   &id, NULL, NULL);
        ngx_memcpy(ctx->approval_key, key, sizeof(key));

        return ngx_http_push_approval_wait(r, ctx);

    case NGX_HTTP_PUSH_APPROVAL_PAIR_NO_USER:
        return ngx_http_push_approval_finish(r, ctx,
                                         NGX_HTTP_PUSH_APPROVAL_ST_NO_IDENTITY,
                                         NGX_HTTP_FORBIDDEN);

    case NGX_HTTP_PUSH_APPROVAL_PAIR_REFUSED:
        return ngx_http_push_approval_refused(r, ctx);

    default:
        /* a failed create is not retried for the requests waiting on it */
        return ngx_http_push_approval_fail(r, ctx,
                                           "the provider call failed");
    }
}


/* a waiter on a created approval: its decision, if any */

static ngx_int_t
ngx_http_push_approval_check_approval(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx)
{
    ngx_log_t                           log;
    ngx_uint_t                          state, decided;
    ngx_http_push_approval_node_t      *ap;
    ngx_http_push_approval_approval_t   copy;

    decided = 0;

    ngx_shmtx_lock(&ctx->zone->shpool->mutex);

    ap = ngx_http_push_approval_lookup(ctx->zone, ctx->approval_key,
                                       NGX_HTTP_PUSH_APPROVAL_NODE_APPROVAL);

    if (ap == NULL) {
        ngx_shmtx_unlock(&ctx->zone->shpool->mutex);
        return ngx_http_push_approval_fail(r, ctx, "the approval was lost");
    }

    if (ap->v.approval.state == NGX_HTTP_PUSH_APPROVAL_PENDING
        && ap->v.approval.provider_expires
        && ap->v.approval.provider_expires <= ngx_time())
    {
        /* there is no expiry callback: the expiration date tells */

        ap->v.approval.state = NGX_HTTP_PUSH_APPROVAL_EXPIRED;
        ap->v.approval.decided = ngx_time();
        ngx_http_push_approval_metric(ctx->zone,
                                      NGX_HTTP_PUSH_APPROVAL_M_PENDING, -1);
        copy = ap->v.approval;
        decided = 1;
    }

    state = ap->v.approval.state;
    ctx->poll_failed = (ap->v.approval.poll_failed != 0);
    ctx->poll_refused = (ap->v.approval.poll_failed == 2);
    ctx->code = ap->v.approval.code;

    ngx_shmtx_unlock(&ctx->zone->shpool->mutex);

    if (decided) {
        /* a line about the approval, not about this request's progress */
        log = *r->connection->log;
        log.action = NULL;

        ngx_http_push_approval_log_decision(&log, &copy);
        ngx_http_push_approval_changed_key(ctx->zone, ctx->approval_key);
    }

    switch (state) {

    case NGX_HTTP_PUSH_APPROVAL_APPROVED:
        return ngx_http_push_approval_approved(r, ctx);

    case NGX_HTTP_PUSH_APPROVAL_DENIED:
        return ngx_http_push_approval_finish(r, ctx,
                                             NGX_HTTP_PUSH_APPROVAL_ST_DENIED,
                                             NGX_HTTP_FORBIDDEN);

    case NGX_HTTP_PUSH_APPROVAL_EXPIRED:
        return ngx_http_push_approval_finish(r, ctx,
                                   ngx_http_push_approval_ran_out(r, ctx),
                                   NGX_HTTP_FORBIDDEN);

    default:
        return NGX_AGAIN;
    }
}


/*
 * "timeout": this request waited its whole push_approval_timeout with no
 * answer (the approval's own life, as long by default, ends with it);
 * "expired": the approval ran out at the provider while this request
 * still had time left (it joined late, or the provider's life is shorter)
 */

static ngx_uint_t
ngx_http_push_approval_ran_out(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx)
{
    ngx_msec_int_t   waited;
    ngx_time_t      *tp;

    tp = ngx_timeofday();

    waited = (ngx_msec_int_t) ((tp->sec - r->start_sec) * 1000
                               + (tp->msec - r->start_msec));

    /* the two run out together by default: a tick early is ours too */

    if (ctx->timed_out || waited + 500 >= (ngx_msec_int_t) ctx->conf->timeout)
    {
        return NGX_HTTP_PUSH_APPROVAL_ST_TIMEOUT;
    }

    return NGX_HTTP_PUSH_APPROVAL_ST_EXPIRED;
}


static ngx_int_t
ngx_http_push_approval_approved(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx)
{
    ngx_http_push_approval_loc_conf_t  *plcf;

    plcf = ctx->conf;

    if (plcf->remember) {
        if (ngx_http_push_approval_set_cookie(r, &ctx->cookie_name,
                                              &ctx->identity, &ctx->scope,
                                              plcf->remember,
                                              plcf->cookie_secure,
                                              plcf->cookie_samesite,
                                              &plcf->cookie_domain)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_http_push_approval_remember_address(r, ctx, plcf->remember);
    }

    return ngx_http_push_approval_finish(r, ctx,
                                         NGX_HTTP_PUSH_APPROVAL_ST_APPROVED,
                                         NGX_OK);
}


static ngx_int_t
ngx_http_push_approval_finish(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_uint_t status, ngx_int_t rc)
{
    ctx->status = status;
    ctx->rc = rc;
    ctx->done = 1;

    ngx_http_push_approval_metric(ctx->zone,
                                  NGX_HTTP_PUSH_APPROVAL_M_REQUESTS + status,
                                  1);

    return rc;
}


/* push_approval_fail: closed answers 503, open lets the request pass */

static ngx_int_t
ngx_http_push_approval_fail(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, const char *why)
{
    if (ctx->conf->fail_open) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "push approval: %s, failing open for \"%V\"", why,
                      &ctx->identity);

        return ngx_http_push_approval_finish(r, ctx,
                                           NGX_HTTP_PUSH_APPROVAL_ST_FAIL_OPEN,
                                           NGX_OK);
    }

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "push approval: %s, failing closed for \"%V\"", why,
                  &ctx->identity);

    return ngx_http_push_approval_finish(r, ctx,
                                         NGX_HTTP_PUSH_APPROVAL_ST_ERROR,
                                         NGX_HTTP_SERVICE_UNAVAILABLE);
}


/* the provider refused what was sent: 503 whatever push_approval_fail says */

static ngx_int_t
ngx_http_push_approval_refused(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx)
{
    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "push approval: the provider refused the request, "
                  "failing closed for \"%V\"", &ctx->identity);

    return ngx_http_push_approval_finish(r, ctx,
                                         NGX_HTTP_PUSH_APPROVAL_ST_ERROR,
                                         NGX_HTTP_SERVICE_UNAVAILABLE);
}


/* the request goes on through its phases with the outcome in its context */

static void
ngx_http_push_approval_resume(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_int_t rc)
{
    if (rc == NGX_AGAIN) {
        return;
    }

    ctx->rc = rc;
    ctx->done = 1;

    ngx_http_push_approval_release(ctx);

    r->read_event_handler = ngx_http_block_reading;
    r->write_event_handler = ngx_http_core_run_phases;

    ngx_http_core_run_phases(r);
}


/*
 * under the zone lock: a push counted, or the request's answer (403 in
 * the cooldown, 429 over the rate, both with Retry-After)
 */

ngx_int_t
ngx_http_push_approval_count_push(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx)
{
    time_t     left;
    ngx_int_t  rc;

    rc = ngx_http_push_approval_limit_push(ctx->zone, ctx->conf,
                                           &ctx->identity, &left);

    if (rc == NGX_OK) {
        return NGX_OK;
    }

    if (rc == NGX_ERROR) {
        /* no room to count: fail closed on pushes, not on the zone */
        return ngx_http_push_approval_fail(r, ctx, "zone is full");
    }

    if (ngx_http_push_approval_retry_after(r, left) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc == NGX_DECLINED) {
        return ngx_http_push_approval_finish(r, ctx,
                                             NGX_HTTP_PUSH_APPROVAL_ST_DENIED,
                                             NGX_HTTP_FORBIDDEN);
    }

    return ngx_http_push_approval_finish(r, ctx,
                                         NGX_HTTP_PUSH_APPROVAL_ST_LIMITED,
                                         NGX_HTTP_TOO_MANY_REQUESTS);
}
