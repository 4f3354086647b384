
/*
 * Copyright (C) push approval module developers
 *
 * The approval core: the lifecycle of one approval, whoever asks for it.
 * Deciding it (one decide for polls, callbacks and the fleet), the
 * notification that wakes the requests waiting for it, fetching its status
 * from the provider, and releasing a request's hold on it.  The zone below
 * only stores; the handlers above only ask.
 */


#include "ngx_http_push_approval.h"


static ngx_int_t ngx_http_push_approval_build_message(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_str_t *host);
static ngx_int_t ngx_http_push_approval_build_details(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_str_t *host);
static ngx_int_t ngx_http_push_approval_build_code(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx);
static ngx_int_t ngx_http_push_approval_build_utf8(ngx_http_request_t *r,
    ngx_http_push_approval_request_t *pr);
static ngx_str_t *ngx_http_push_approval_host(ngx_http_request_t *r);
static void ngx_http_push_approval_fetch_done(ngx_http_request_t *r,
    ngx_http_push_approval_call_t *call);
static ngx_inline void *ngx_http_push_approval_alloc_ctx(ngx_http_request_t *r,
    size_t size);
static void ngx_http_push_approval_cleanup(void *data);


/* any entry may have changed: every watch of the zone looks */

void
ngx_http_push_approval_changed(ngx_http_push_approval_zone_ctx_t *zone)
{
    ngx_http_push_approval_changed_key(zone, NULL);
}


/* the entry of this key changed: its watches look, in every worker */

void
ngx_http_push_approval_changed_key(ngx_http_push_approval_zone_ctx_t *zone,
    u_char *key)
{
    (void) ngx_atomic_fetch_add(&zone->sh->generation, 1);

    ngx_http_push_approval_wake(zone, key);
}


/*
 * decides a pending approval; NGX_DECLINED when it is unknown or already
 * decided, as decisions are final
 */

ngx_int_t
ngx_http_push_approval_decide(ngx_http_push_approval_zone_ctx_t *zone,
    ngx_str_t *id, ngx_uint_t state, ngx_log_t *log)
{
    return ngx_http_push_approval_settle(zone, id, state, 0, NULL, 1, log);
}


/*
 * the same, for an approval made with the given provider and credentials
 * only (account: NULL for any): a callback decides nothing of another
 * provider or account
 */

ngx_int_t
ngx_http_push_approval_decide_account(ngx_http_push_approval_zone_ctx_t *zone,
    ngx_str_t *id, ngx_uint_t state, ngx_uint_t provider, u_char *account,
    ngx_log_t *log)
{
    return ngx_http_push_approval_settle(zone, id, state, provider, account,
                                         1, log);
}


/*
 * the one decide: publish is 0 for a decision the fleet's channel brought,
 * which is not sent back
 */

ngx_int_t
ngx_http_push_approval_settle(ngx_http_push_approval_zone_ctx_t *zone,
    ngx_str_t *id, ngx_uint_t state, ngx_uint_t provider, u_char *account,
    ngx_uint_t publish, ngx_log_t *log)
{
    u_char                              key[NGX_HTTP_PUSH_APPROVAL_KEY_SIZE];
    ngx_http_push_approval_node_t      *pn;
    ngx_http_push_approval_approval_t   copy;

    if (id->len == 0 || id->len > NGX_HTTP_PUSH_APPROVAL_ID_LEN) {
        return NGX_DECLINED;
    }

    ngx_http_push_approval_key(key, NGX_HTTP_PUSH_APPROVAL_NODE_APPROVAL, id,
                               NULL, NULL);

    ngx_shmtx_lock(&zone->shpool->mutex);

    pn = ngx_http_push_approval_lookup(zone, key,
                                       NGX_HTTP_PUSH_APPROVAL_NODE_APPROVAL);

    if (pn == NULL || pn->v.approval.state != NGX_HTTP_PUSH_APPROVAL_PENDING
        || (account
            && (pn->v.approval.provider != provider
                || ngx_memcmp(pn->v.approval.account, account,
                              NGX_HTTP_PUSH_APPROVAL_ACCOUNT)
                   != 0)))
    {
        ngx_shmtx_unlock(&zone->shpool->mutex);

        if (pn == NULL && publish) {
            /* unknown here: another host of the fleet may hold it */
            ngx_http_push_approval_fleet_decided(zone, id, state, provider,
                                                 account);
        }

        return NGX_DECLINED;
    }

    pn->v.approval.state = state;
    pn->v.approval.decided = ngx_time();
    ngx_http_push_approval_metric(zone, NGX_HTTP_PUSH_APPROVAL_M_PENDING, -1);

    copy = pn->v.approval;

    ngx_shmtx_unlock(&zone->shpool->mutex);

    if (state == NGX_HTTP_PUSH_APPROVAL_DENIED) {
        ngx_http_push_approval_denied(zone, &copy);
    }

    ngx_http_push_approval_log_decision(log, &copy);
    ngx_http_push_approval_changed_key(zone, key);

    if (publish) {
        ngx_http_push_approval_fleet_decided(zone, id, state, provider,
                                             account);
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_push_approval_replay_add(ngx_http_push_approval_zone_ctx_t *zone,
    ngx_str_t *nonce, ngx_str_t *signature, time_t expires)
{
    ngx_int_t  rc;
    u_char     key[NGX_HTTP_PUSH_APPROVAL_KEY_SIZE];

    ngx_http_push_approval_key(key, NGX_HTTP_PUSH_APPROVAL_NODE_REPLAY,
                               nonce, signature, NULL);

    rc = ngx_http_push_approval_insert_once(zone, key,
                                            NGX_HTTP_PUSH_APPROVAL_NODE_REPLAY,
                                            expires);

    if (rc == NGX_OK) {
        /* every host of the fleet refuses it from now on */
        ngx_http_push_approval_fleet_replay(zone, key, expires);
    }

    return rc;
}


/* what the push shows: message, details, hidden details, code, expiry */

ngx_int_t
ngx_http_push_approval_build(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx)
{
    ngx_str_t                          *host;
    ngx_http_push_approval_request_t   *pr;
    ngx_http_push_approval_loc_conf_t  *plcf;

    plcf = ctx->conf;

    pr = ngx_pcalloc(r->pool, sizeof(ngx_http_push_approval_request_t));
    if (pr == NULL) {
        return NGX_ERROR;
    }

    ctx->pr = pr;

    pr->identity = ctx->identity;
    pr->expires = ngx_time() + (time_t) ngx_max(plcf->timeout / 1000, 30);

    if (plcf->factor
        && ngx_http_complex_value(r, plcf->factor, &pr->factor) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_array_init(&pr->details, r->pool, 4,
                       sizeof(ngx_http_push_approval_param_t))
        != NGX_OK
        || ngx_array_init(&pr->hidden_details, r->pool, 2,
                          sizeof(ngx_http_push_approval_param_t))
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    host = ngx_http_push_approval_host(r);

    if (ngx_http_push_approval_build_message(r, ctx, host) != NGX_OK
        || ngx_http_push_approval_build_details(r, ctx, host) != NGX_OK
        || (plcf->code && ngx_http_push_approval_build_code(r, ctx) != NGX_OK))
    {
        return NGX_ERROR;
    }

    return ngx_http_push_approval_build_utf8(r, pr);
}


/* the operator's message, or one naming host and path (and method) */

static ngx_int_t
ngx_http_push_approval_build_message(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_str_t *host)
{
    u_char                             *p;
    ngx_http_push_approval_request_t   *pr;
    ngx_http_push_approval_loc_conf_t  *plcf;

    plcf = ctx->conf;
    pr = ctx->pr;

    if (plcf->message) {
        return ngx_http_complex_value(r, plcf->message, &pr->message);
    }

    /* names host and path; a request-bound approval the request */

    pr->message.len = sizeof("Approve access to ") - 1 + host->len
                      + r->uri.len + r->method_name.len + 1;

    pr->message.data = ngx_pnalloc(r->pool, pr->message.len);
    if (pr->message.data == NULL) {
        return NGX_ERROR;
    }

    if (plcf->remember) {
        p = ngx_sprintf(pr->message.data, "Approve access to %V%V",
                        host, &r->uri);

    } else {
        p = ngx_sprintf(pr->message.data, "Approve %V %V%V",
                        &r->method_name, host, &r->uri);
    }

    pr->message.len = p - pr->message.data;

    return NGX_OK;
}


/* the configured details, shown and hidden, or where the request is from */

static ngx_int_t
ngx_http_push_approval_build_details(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_str_t *host)
{
    ngx_uint_t                          i, k;
    ngx_array_t                        *lists[2], *confs[2];
    ngx_http_push_approval_param_t     *param;
    ngx_http_push_approval_detail_t    *d;
    ngx_http_push_approval_loc_conf_t  *plcf;

    plcf = ctx->conf;

    lists[0] = &ctx->pr->details;
    lists[1] = &ctx->pr->hidden_details;
    confs[0] = plcf->details;
    confs[1] = plcf->hidden_details;

    for (k = 0; k < 2; k++) {
        if (confs[k] == NULL) {
            continue;
        }

        d = confs[k]->elts;

        for (i = 0; i < confs[k]->nelts; i++) {
            param = ngx_array_push(lists[k]);
            if (param == NULL) {
                return NGX_ERROR;
            }

            param->name = d[i].label;

            if (ngx_http_complex_value(r, &d[i].value, &param->value)
                != NGX_OK)
            {
                return NGX_ERROR;
            }
        }
    }

    if (plcf->details == NULL) {
        /* the owner sees where the request comes from */

        param = ngx_array_push(&ctx->pr->details);
        if (param == NULL) {
            return NGX_ERROR;
        }

        ngx_str_set(&param->name, "From");
        param->value = r->connection->addr_text;
    }

    if (plcf->remember == 0) {
        param = ngx_array_push_n(&ctx->pr->details, 3);
        if (param == NULL) {
            return NGX_ERROR;
        }

        ngx_str_set(&param[0].name, "Method");
        param[0].value = r->method_name;
        ngx_str_set(&param[1].name, "Host");
        param[1].value = *host;
        ngx_str_set(&param[2].name, "URI");
        param[2].value = r->unparsed_uri;
    }

    return NGX_OK;
}


/* two digits, 10 to 99, shown on the waiting page and the phone */

static ngx_int_t
ngx_http_push_approval_build_code(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx)
{
    ngx_str_t                        code;
    ngx_http_push_approval_param_t  *param;

    if (ctx->code == 0) {
        /* a request joining a push shows the push's own code */
        ctx->code = 10 + (ngx_uint_t) ngx_random() % 90;
    }

    code.data = ngx_pnalloc(r->pool, 2);
    if (code.data == NULL) {
        return NGX_ERROR;
    }

    code.len = ngx_sprintf(code.data, "%ui", ctx->code) - code.data;

    param = ngx_array_push(&ctx->pr->details);
    if (param == NULL) {
        return NGX_ERROR;
    }

    ngx_str_set(&param->name, "Code");
    param->value = code;

    return NGX_OK;
}


/* the provider gets valid UTF-8 only, whatever the client sent */

static ngx_int_t
ngx_http_push_approval_build_utf8(ngx_http_request_t *r,
    ngx_http_push_approval_request_t *pr)
{
    ngx_uint_t                       i, k;
    ngx_array_t                     *lists[2];
    ngx_http_push_approval_param_t  *param;

    if (ngx_http_push_approval_utf8_text(r->pool, &pr->message) != NGX_OK) {
        return NGX_ERROR;
    }

    lists[0] = &pr->details;
    lists[1] = &pr->hidden_details;

    for (k = 0; k < 2; k++) {
        param = lists[k]->elts;

        for (i = 0; i < lists[k]->nelts; i++) {
            if (ngx_http_push_approval_utf8_text(r->pool, &param[i].name)
                != NGX_OK
                || ngx_http_push_approval_utf8_text(r->pool, &param[i].value)
                   != NGX_OK)
            {
                return NGX_ERROR;
            }
        }
    }

    return NGX_OK;
}


/*
 * the host a push names: the request's Host only when the matched server
 * lists it in server_name, otherwise the server's first name, so that a
 * forged Host never reaches the phone
 */

static ngx_str_t *
ngx_http_push_approval_host(ngx_http_request_t *r)
{
    void                      *found;
    ngx_str_t                 *host;
    ngx_uint_t                 key;
    ngx_http_connection_t     *hc;
    ngx_http_virtual_names_t  *vn;
    ngx_http_core_srv_conf_t  *cscf;
#if (NGX_PCRE)
    ngx_uint_t                 i;
#endif

    cscf = ngx_http_get_module_srv_conf(r, ngx_http_core_module);

    host = &r->headers_in.server;

    if (host->len == 0) {
        return &cscf->server_name;
    }

    if (host->len == cscf->server_name.len
        && ngx_strncasecmp(host->data, cscf->server_name.data, host->len)
           == 0)
    {
        return host;
    }

    /* the names of this address, as nginx itself finds the server */

    hc = r->http_connection;
    vn = hc->addr_conf ? hc->addr_conf->virtual_names : NULL;

    if (vn == NULL) {
        return &cscf->server_name;
    }

    key = ngx_hash_key(host->data, host->len);

    found = ngx_hash_find_combined(&vn->names, key, host->data, host->len);

    if (found) {
        return (found == cscf) ? host : &cscf->server_name;
    }

#if (NGX_PCRE)
    for (i = 0; i < vn->nregex; i++) {
        if (ngx_regex_exec(vn->regex[i].regex->regex, host, NULL, 0) >= 0) {
            return (vn->regex[i].server == cscf) ? host : &cscf->server_name;
        }
    }
#endif

    return &cscf->server_name;
}


/* one status fetch, claimed in the zone by the watch */

void
ngx_http_push_approval_fetch(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx)
{
    ngx_str_t                           uri;
    ngx_http_push_approval_call_t      *call;
    ngx_http_push_approval_provider_t  *provider;

    /* with a store, one host of the fleet asks per interval */

    if (!ctx->fleet_poll
        && ngx_http_push_approval_fleet_poll(r, ctx,
                                             ngx_http_push_approval_fetch)
           == NGX_AGAIN)
    {
        return;
    }

    ctx->fleet_poll = 0;

    provider = ngx_http_push_approval_providers[ctx->conf->provider];

    call = ngx_pcalloc(r->pool, sizeof(ngx_http_push_approval_call_t));
    if (call == NULL) {
        return;
    }

    call->handler = ngx_http_push_approval_fetch_done;
    call->data = ctx->zone;
    ngx_memcpy(call->key, ctx->approval_key, NGX_HTTP_PUSH_APPROVAL_KEY_SIZE);

    if (provider->status(r, ctx->conf, &ctx->identity, &ctx->approval_id,
                         &uri)
        != NGX_OK
        || ngx_http_push_approval_call(r, ctx->conf,
                                       NGX_HTTP_PUSH_APPROVAL_OP_STATUS,
                                       NGX_HTTP_GET, &uri, NULL, call)
           != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "push approval: cannot start a status poll");
        return;
    }

    ngx_http_push_approval_metric(ctx->zone, NGX_HTTP_PUSH_APPROVAL_M_POLLS,
                                  1);
}


static void
ngx_http_push_approval_fetch_done(ngx_http_request_t *r,
    ngx_http_push_approval_call_t *call)
{
    ngx_str_t                           id;
    ngx_uint_t                          decided, failed, flipped;
    ngx_http_push_approval_node_t      *ap;
    ngx_http_push_approval_answer_t     ans;
    ngx_http_push_approval_zone_ctx_t  *zone;
    ngx_http_push_approval_approval_t   copy;
    ngx_http_push_approval_provider_t  *provider;

    zone = call->data;

    provider = ngx_http_push_approval_providers[call->provider];
    provider->parse(r->pool, NGX_HTTP_PUSH_APPROVAL_OP_STATUS, call, &ans);

    if (ans.result != NGX_HTTP_PUSH_APPROVAL_R_OK) {
        ngx_http_push_approval_metric(zone,
                                      NGX_HTTP_PUSH_APPROVAL_M_PROVIDER_ERRORS,
                                      1);

        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "push approval: %V status poll failed: %V",
                      &provider->name, &ans.error);
    }

    decided = 0;
    flipped = 0;
    failed = 0;

    ngx_shmtx_lock(&zone->shpool->mutex);

    ap = ngx_http_push_approval_lookup(zone, call->key,
                                       NGX_HTTP_PUSH_APPROVAL_NODE_APPROVAL);

    if (ap) {
        /* 2: the provider refused the poll, no fail mode applies */
        failed = (ans.result == NGX_HTTP_PUSH_APPROVAL_R_OK) ? 0
                 : (ans.result == NGX_HTTP_PUSH_APPROVAL_R_REFUSED) ? 2 : 1;

        /* waiting pages show "error" while the provider cannot be asked */
        flipped = (ap->v.approval.poll_failed != failed);

        ap->v.approval.poll_started = 0;
        ap->v.approval.poll_failed = (u_char) failed;

        if (ans.result == NGX_HTTP_PUSH_APPROVAL_R_OK
            && ans.state != NGX_HTTP_PUSH_APPROVAL_PENDING
            && ap->v.approval.state == NGX_HTTP_PUSH_APPROVAL_PENDING)
        {
            /* decisions are final: only a pending approval changes */

            ap->v.approval.state = ans.state;
            ap->v.approval.decided = ngx_time();
            ngx_http_push_approval_metric(zone,
                                          NGX_HTTP_PUSH_APPROVAL_M_PENDING, -1);
            copy = ap->v.approval;
            decided = 1;
        }
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);

    if (decided) {
        if (copy.state == NGX_HTTP_PUSH_APPROVAL_DENIED) {
            ngx_http_push_approval_denied(zone, &copy);
        }

        ngx_http_push_approval_log_decision(r->connection->log, &copy);

        id.data = copy.id;
        id.len = copy.id_len;
        ngx_http_push_approval_fleet_decided(zone, &id, copy.state, 0, NULL);
    }

    /* a status endpoint that asked again waits for the result, even "failed" */

    if (decided || flipped || failed) {
        ngx_http_push_approval_changed_key(zone, call->key);
    }
}


/* frees what a waiting request holds: its watch, its timer, its gauge */

void
ngx_http_push_approval_release(ngx_http_push_approval_ctx_t *ctx)
{
    ngx_http_push_approval_node_t  *pair;

    ngx_http_push_approval_unwatch(ctx);

    if (ctx->call && !ctx->done && ctx->conf->remember) {
        /* the creator goes away with its create call: hand the push over */

        ngx_shmtx_lock(&ctx->zone->shpool->mutex);

        pair = ngx_http_push_approval_lookup(ctx->zone, ctx->pair_key,
                                             NGX_HTTP_PUSH_APPROVAL_NODE_PAIR);

        if (pair && pair->v.pair.seq == ctx->seq
            && pair->v.pair.state == NGX_HTTP_PUSH_APPROVAL_PAIR_CREATING)
        {
            pair->v.pair.state = NGX_HTTP_PUSH_APPROVAL_PAIR_ABANDONED;
        }

        ngx_shmtx_unlock(&ctx->zone->shpool->mutex);

        ctx->call = NULL;

        ngx_http_push_approval_changed_key(ctx->zone, ctx->pair_key);
    }

    if (ctx->timer.timer_set) {
        ngx_del_timer(&ctx->timer);
    }

    if (ctx->timer.posted) {
        ngx_delete_posted_event(&ctx->timer);
    }

    if (ctx->held) {
        ctx->held = 0;
        ngx_http_push_approval_metric(ctx->zone,
                                      NGX_HTTP_PUSH_APPROVAL_M_HELD, -1);
    }
}


ngx_http_push_approval_ctx_t *
ngx_http_push_approval_get_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t            *cln;
    ngx_http_push_approval_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_push_approval_module);

    if (ctx != NULL || !r->internal) {
        return ctx;
    }

    /*
     * an internal redirect wiped the module contexts: the context lives on
     * in the request pool's cleanup list, as in the realip module
     */

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_http_push_approval_cleanup) {
            ctx = cln->data;
            ngx_http_set_ctx(r, ctx, ngx_http_push_approval_module);
            return ctx;
        }
    }

    return NULL;
}


ngx_http_push_approval_ctx_t *
ngx_http_push_approval_create_ctx(ngx_http_request_t *r)
{
    /* a constant size: zeroed inline on the remembered path */

    return ngx_http_push_approval_alloc_ctx(r,
                                        sizeof(ngx_http_push_approval_ctx_t));
}


/*
 * a handler's own context of the given size, whose first member is the
 * approval context: released with the request, found by get_ctx()
 */

void *
ngx_http_push_approval_new_ctx(ngx_http_request_t *r, size_t size)
{
    return ngx_http_push_approval_alloc_ctx(r, size);
}


static ngx_inline void *
ngx_http_push_approval_alloc_ctx(ngx_http_request_t *r, size_t size)
{
    ngx_pool_cleanup_t            *cln;
    ngx_http_push_approval_ctx_t  *ctx;

    cln = ngx_pool_cleanup_add(r->pool, size);
    if (cln == NULL) {
        return NULL;
    }

    ctx = cln->data;
    ngx_memzero(ctx, size);

    ctx->request = r;

    cln->handler = ngx_http_push_approval_cleanup;

    ngx_http_set_ctx(r, ctx, ngx_http_push_approval_module);

    return ctx;
}


static void
ngx_http_push_approval_cleanup(void *data)
{
    ngx_http_push_approval_ctx_t  *ctx = data;

    ngx_http_push_approval_release(ctx);
}


/*
 * the one node initialiser, under the zone lock: a pending approval with
 * what "from" says of it (provider, account, times, code), its id and its
 * identity; NULL when the zone is full
 */

ngx_http_push_approval_node_t *
ngx_http_push_approval_add(ngx_http_push_approval_zone_ctx_t *zone,
    u_char *key, time_t expires, ngx_str_t *id, ngx_str_t *identity,
    ngx_http_push_approval_approval_t *from)
{
    ngx_http_push_approval_node_t      *pn;
    ngx_http_push_approval_approval_t  *ap;

    pn = ngx_http_push_approval_insert(zone, key,
                                       NGX_HTTP_PUSH_APPROVAL_NODE_APPROVAL,
                                       expires);
    if (pn == NULL) {
        return NULL;
    }

    ap = &pn->v.approval;

    *ap = *from;
    ap->state = NGX_HTTP_PUSH_APPROVAL_PENDING;
    ap->id_len = (u_char) id->len;
    ngx_memcpy(ap->id, id->data, id->len);
    ap->identity_len = (u_char) identity->len;
    ngx_memcpy(ap->identity, identity->data, identity->len);

    ngx_http_push_approval_metric(zone, NGX_HTTP_PUSH_APPROVAL_M_PENDING, 1);

    return pn;
}


/*
 * under the zone lock: the approval this request's push created, with its
 * provider's expiry (0: the one the push asked for)
 */

ngx_http_push_approval_node_t *
ngx_http_push_approval_made(ngx_http_push_approval_ctx_t *ctx, u_char *key,
    ngx_str_t *id, time_t provider_expires, ngx_uint_t code)
{
    ngx_http_push_approval_approval_t  from;

    ngx_memzero(&from, sizeof(ngx_http_push_approval_approval_t));

    from.provider = (u_char) ctx->conf->provider;
    ngx_http_push_approval_providers[ctx->conf->provider]->account(ctx->conf,
                                                            from.account);
    from.created = ngx_time();
    from.provider_expires = provider_expires ? provider_expires
                                             : ctx->pr->expires;
    from.next_poll = ngx_current_msec + ctx->conf->poll;
    from.code = (u_char) code;

    return ngx_http_push_approval_add(ctx->zone, key,
                                      ngx_time() + ctx->conf->timeout / 1000
                                      + 600, id, &ctx->identity, &from);
}


/*
 * under the zone lock: a push for the pair is being created, by the
 * request that holds the sequence number returned
 */

ngx_uint_t
ngx_http_push_approval_pair_creating(ngx_http_push_approval_zone_ctx_t *zone,
    ngx_http_push_approval_node_t *pair)
{
    pair->v.pair.state = NGX_HTTP_PUSH_APPROVAL_PAIR_CREATING;
    pair->v.pair.seq = ++zone->sh->seq;
    pair->v.pair.started = ngx_current_msec;
    pair->v.pair.id_len = 0;

    return pair->v.pair.seq;
}


/*
 * a request parked on a timer until its approval is decided or its time
 * is up: no thread, no busy loop; its watch wakes it through the same
 * event
 */

void
ngx_http_push_approval_hold(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_event_handler_pt handler)
{
    ctx->held = 1;

    ctx->timer.handler = handler;
    ctx->timer.data = r;
    ctx->timer.log = r->connection->log;

    ngx_add_timer(&ctx->timer, ctx->conf->timeout);

    ngx_http_push_approval_metric(ctx->zone, NGX_HTTP_PUSH_APPROVAL_M_HELD, 1);
}


/* the context a hold's timer or wake-up is for: NULL when it is done */

ngx_http_push_approval_ctx_t *
ngx_http_push_approval_woken(ngx_event_t *ev)
{
    ngx_http_request_t            *r;
    ngx_http_push_approval_ctx_t  *ctx;

    r = ev->data;

    ctx = ngx_http_get_module_ctx(r, ngx_http_push_approval_module);

    if (ctx == NULL || ctx->done) {
        return NULL;
    }

    ngx_http_set_log_request(r->connection->log, r);

    return ctx;
}


/* under the zone lock: the request's pair entry, found or made */

ngx_http_push_approval_node_t *
ngx_http_push_approval_pair_entry(ngx_http_push_approval_ctx_t *ctx)
{
    return ngx_http_push_approval_entry(ctx->zone, ctx->pair_key,
                                        NGX_HTTP_PUSH_APPROVAL_NODE_PAIR,
                                        ngx_time() + ctx->conf->timeout / 1000
                                        + 600);
}


void
ngx_http_push_approval_log_decision(ngx_log_t *log,
    ngx_http_push_approval_approval_t *ap)
{
    static const char  *states[] = {
        "pending", "approved", "denied", "expired"
    };

    ngx_log_error(NGX_LOG_NOTICE, log, 0,
                  "push approval %*s for \"%*s\": %s after %T s",
                  (size_t) ap->id_len, ap->id,
                  (size_t) ap->identity_len, ap->identity,
                  states[ap->state], ap->decided - ap->created);
}
