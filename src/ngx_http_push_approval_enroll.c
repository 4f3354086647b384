
/*
 * Copyright (C) push approval module developers
 *
 * push_approval_enroll: behind the operator's own first factor, hands the
 * phone app's SDK what it needs to register a device for the current
 * identity.  The provider secret never leaves nginx.
 *
 * A password alone adds no phone: an identity with a device gets another
 * only after a push approved on one it has (the POST is held meanwhile;
 * that approval is neither remembered nor shared); one without a device
 * needs an invite (or first=open).  Cross-site POSTs are refused.
 */


#include "ngx_http_push_approval.h"


#define NGX_HTTP_PUSH_APPROVAL_STEP_DEVICES  1
#define NGX_HTTP_PUSH_APPROVAL_STEP_CREATE   2
#define NGX_HTTP_PUSH_APPROVAL_STEP_TOKEN    3


/*
 * an enrolment's own context: the approval context of its hold comes
 * first, as the waiting page's does, in the module's one context slot
 */

typedef struct {
    ngx_http_push_approval_ctx_t     ctx;
    ngx_str_t                        identity;
    ngx_uint_t                       step;
    ngx_http_push_approval_answer_t  ans;
    ngx_http_push_approval_call_t    call;
} ngx_http_push_approval_enroll_t;


static void ngx_http_push_approval_enroll_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_push_approval_enroll_call(ngx_http_request_t *r,
    ngx_http_push_approval_enroll_t *en, ngx_uint_t step);
static void ngx_http_push_approval_enroll_done(ngx_http_request_t *r,
    ngx_http_push_approval_call_t *call);
static void ngx_http_push_approval_enroll_next(ngx_http_request_t *r);
static ngx_int_t ngx_http_push_approval_enroll_push(ngx_http_request_t *r,
    ngx_http_push_approval_enroll_t *en);
static ngx_int_t ngx_http_push_approval_enroll_hold(ngx_http_request_t *r,
    ngx_http_push_approval_enroll_t *en);
static void ngx_http_push_approval_enroll_wake(ngx_event_t *ev);
static ngx_int_t ngx_http_push_approval_enroll_decision(
    ngx_http_request_t *r, ngx_http_push_approval_ctx_t *ctx);
static ngx_int_t ngx_http_push_approval_enroll_send(ngx_http_request_t *r,
    ngx_http_push_approval_enroll_t *en);
static ngx_int_t ngx_http_push_approval_invite_required(
    ngx_http_request_t *r);


ngx_int_t
ngx_http_push_approval_enroll_handler(ngx_http_request_t *r)
{
    ngx_http_push_approval_ctx_t       *ctx;
    ngx_http_push_approval_enroll_t    *en;
    ngx_http_push_approval_provider_t  *provider;
    ngx_http_push_approval_loc_conf_t  *plcf;

    if (r->method != NGX_HTTP_POST) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    if (ngx_http_push_approval_cross_site(r)) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "push approval: cross-site enrolment refused");
        return NGX_HTTP_FORBIDDEN;
    }

    plcf = ngx_http_get_module_loc_conf(r, ngx_http_push_approval_module);
    provider = ngx_http_push_approval_providers[plcf->provider];

    en = ngx_http_push_approval_new_ctx(r,
                                       sizeof(ngx_http_push_approval_enroll_t));
    if (en == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_complex_value(r, plcf->identity, &en->identity) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (en->identity.len == 0
        || en->identity.len > NGX_HTTP_PUSH_APPROVAL_IDENT_MAX
        || provider->valid_identity(&en->identity) != NGX_OK)
    {
        return NGX_HTTP_FORBIDDEN;
    }

    ctx = &en->ctx;

    ctx->conf = plcf;
    ctx->zone = plcf->handler_zone->data;
    ctx->identity = en->identity;
    ctx->poll = plcf->poll;


    return ngx_http_push_approval_read_body(r,
                                            ngx_http_push_approval_enroll_body);
}


/* an invite enrols at once; without one, does the identity have a device? */

static void
ngx_http_push_approval_enroll_body(ngx_http_request_t *r)
{
    ngx_int_t                          rc;
    ngx_str_t                          code;
    ngx_http_push_approval_ctx_t      *ctx;
    ngx_http_push_approval_enroll_t   *en;

    en = (ngx_http_push_approval_enroll_t *) ngx_http_push_approval_get_ctx(r);
    ctx = &en->ctx;

    rc = ngx_http_push_approval_form_value(r, "invite", &code);

    if (rc == NGX_ERROR) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (rc == NGX_OK) {
        rc = ngx_http_push_approval_invite_check(r, ctx->zone, &code,
                                                 &en->identity);
        switch (rc) {

        case NGX_OK:
            ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                          "push approval: enrolment of \"%V\" by invite",
                          &en->identity);

            rc = ngx_http_push_approval_enroll_call(r, en,
                                        NGX_HTTP_PUSH_APPROVAL_STEP_TOKEN);
            break;

        case NGX_DECLINED:
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "push approval: invalid or used invite for \"%V\"",
                          &en->identity);

            rc = ngx_http_push_approval_invite_required(r);
            break;

        default:
            rc = NGX_HTTP_SERVICE_UNAVAILABLE;
        }

    } else {
        rc = ngx_http_push_approval_enroll_call(r, en,
                                        NGX_HTTP_PUSH_APPROVAL_STEP_DEVICES);
    }

    if (rc != NGX_AGAIN) {
        ngx_http_finalize_request(r, rc);
    }
}


/* NGX_AGAIN: the provider is asked what the step needs */

static ngx_int_t
ngx_http_push_approval_enroll_call(ngx_http_request_t *r,
    ngx_http_push_approval_enroll_t *en, ngx_uint_t step)
{
    ngx_int_t                           rc;
    ngx_str_t                           uri, body;
    ngx_uint_t                          method;
    ngx_http_push_approval_ctx_t       *ctx;
    ngx_http_push_approval_provider_t  *provider;
    ngx_http_push_approval_loc_conf_t  *plcf;

    static ngx_uint_t  ops[] = {
        0,
        NGX_HTTP_PUSH_APPROVAL_OP_FACTORS,
        NGX_HTTP_PUSH_APPROVAL_OP_CREATE,
        NGX_HTTP_PUSH_APPROVAL_OP_ENROLL
    };

    plcf = ngx_http_get_module_loc_conf(r, ngx_http_push_approval_module);
    provider = ngx_http_push_approval_providers[plcf->provider];

    method = NGX_HTTP_POST;

    switch (step) {

    case NGX_HTTP_PUSH_APPROVAL_STEP_DEVICES:
        method = NGX_HTTP_GET;
        ngx_str_null(&body);
        rc = provider->devices(r, plcf, &en->identity, &uri);
        break;

    case NGX_HTTP_PUSH_APPROVAL_STEP_CREATE:
        ctx = &en->ctx;
        rc = provider->create(r, plcf, ctx->pr, &uri, &body);

        if (rc == NGX_OK) {
            ngx_http_push_approval_metric(ctx->zone, provider->push_metric,
                                          1);
        }

        break;

    default: /* STEP_TOKEN */
        rc = provider->enroll(r, plcf, &en->identity, &uri, &body);
        break;
    }

    if (rc != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    en->step = step;

    ngx_memzero(&en->call, sizeof(ngx_http_push_approval_call_t));
    en->call.handler = ngx_http_push_approval_enroll_done;
    en->call.data = en;

    if (ngx_http_push_approval_call(r, plcf, ops[step], method, &uri, &body,
                                    &en->call)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_AGAIN;
}


static void
ngx_http_push_approval_enroll_done(ngx_http_request_t *r,
    ngx_http_push_approval_call_t *call)
{
    ngx_uint_t                          op;
    ngx_http_push_approval_enroll_t    *en;
    ngx_http_push_approval_provider_t  *provider;

    en = call->data;
    op = call->op;

    provider = ngx_http_push_approval_providers[call->provider];
    provider->parse(r->pool, op, call, &en->ans);

    /* the next step runs once the subrequest is over */

    r->write_event_handler = ngx_http_push_approval_enroll_next;

    (void) ngx_http_post_request(r, NULL);
}


static void
ngx_http_push_approval_enroll_next(ngx_http_request_t *r)
{
    ngx_int_t                           rc;
    ngx_http_push_approval_enroll_t    *en;
    ngx_http_push_approval_loc_conf_t  *plcf;

    plcf = ngx_http_get_module_loc_conf(r, ngx_http_push_approval_module);
    en = (ngx_http_push_approval_enroll_t *) ngx_http_push_approval_get_ctx(r);

    r->write_event_handler = ngx_http_request_empty_handler;

    /* a failure or a refusal of the call: never "no device" */

    if (en->ans.result == NGX_HTTP_PUSH_APPROVAL_R_ERROR
        || en->ans.result == NGX_HTTP_PUSH_APPROVAL_R_REFUSED)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "push approval: %V enrolment for \"%V\" failed: %V",
                      &ngx_http_push_approval_providers[plcf->provider]->name,
                      &en->identity, &en->ans.error);

        ngx_http_finalize_request(r, NGX_HTTP_SERVICE_UNAVAILABLE);
        return;
    }

    switch (en->step) {

    case NGX_HTTP_PUSH_APPROVAL_STEP_DEVICES:
        if (en->ans.result == NGX_HTTP_PUSH_APPROVAL_R_OK) {
            rc = ngx_http_push_approval_enroll_push(r, en);

        } else if (plcf->enroll_first == NGX_HTTP_PUSH_APPROVAL_FIRST_OPEN) {
            rc = ngx_http_push_approval_enroll_call(r, en,
                                        NGX_HTTP_PUSH_APPROVAL_STEP_TOKEN);

        } else {
            rc = ngx_http_push_approval_invite_required(r);
        }

        break;

    case NGX_HTTP_PUSH_APPROVAL_STEP_CREATE:
        rc = (en->ans.result == NGX_HTTP_PUSH_APPROVAL_R_OK)
             ? ngx_http_push_approval_enroll_hold(r, en)
             : NGX_HTTP_FORBIDDEN;
        break;

    default: /* STEP_TOKEN */
        rc = (en->ans.result == NGX_HTTP_PUSH_APPROVAL_R_OK)
             ? ngx_http_push_approval_enroll_send(r, en)
             : NGX_HTTP_FORBIDDEN;
        break;
    }

    if (rc != NGX_AGAIN) {
        ngx_http_finalize_request(r, rc);
    }
}


/* a push to the devices the identity has, counted by the limits */

static ngx_int_t
ngx_http_push_approval_enroll_push(ngx_http_request_t *r,
    ngx_http_push_approval_enroll_t *en)
{
    u_char                            *p;
    ngx_int_t                          rc;
    ngx_http_push_approval_ctx_t      *ctx;
    ngx_http_push_approval_param_t    *from;
    ngx_http_push_approval_request_t  *pr;

    ctx = &en->ctx;

    ngx_shmtx_lock(&ctx->zone->shpool->mutex);
    rc = ngx_http_push_approval_count_push(r, ctx);
    ngx_shmtx_unlock(&ctx->zone->shpool->mutex);

    if (rc != NGX_OK) {
        return rc;
    }

    pr = ngx_pcalloc(r->pool, sizeof(ngx_http_push_approval_request_t));
    if (pr == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->pr = pr;

    pr->identity = en->identity;
    pr->factor = en->ans.id;    /* Verify: the push factor found */
    pr->expires = ngx_time()
                  + (time_t) ngx_max(ctx->conf->timeout / 1000, 30);

    pr->message.data = ngx_pnalloc(r->pool,
                                   sizeof("Approve adding a new device for ")
                                   - 1 + en->identity.len);
    if (pr->message.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_sprintf(pr->message.data, "Approve adding a new device for %V",
                    &en->identity);
    pr->message.len = p - pr->message.data;

    if (ngx_array_init(&pr->details, r->pool, 1,
                       sizeof(ngx_http_push_approval_param_t))
        != NGX_OK
        || ngx_array_init(&pr->hidden_details, r->pool, 1,
                          sizeof(ngx_http_push_approval_param_t))
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    from = ngx_array_push(&pr->details);
    if (from == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_str_set(&from->name, "From");
    from->value = r->connection->addr_text;

    return ngx_http_push_approval_enroll_call(r, en,
                                        NGX_HTTP_PUSH_APPROVAL_STEP_CREATE);
}


/*
 * the approval goes into the zone, where callbacks and polls decide it,
 * and the POST waits on it like a held request
 */

static ngx_int_t
ngx_http_push_approval_enroll_hold(ngx_http_request_t *r,
    ngx_http_push_approval_enroll_t *en)
{
    ngx_http_push_approval_ctx_t   *ctx;
    ngx_http_push_approval_node_t  *ap;

    ctx = &en->ctx;

    if (en->ans.id.len == 0 || en->ans.id.len > NGX_HTTP_PUSH_APPROVAL_ID_LEN)
    {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    ctx->approval_id = en->ans.id;

    ngx_http_push_approval_key(ctx->approval_key,
                               NGX_HTTP_PUSH_APPROVAL_NODE_APPROVAL,
                               &ctx->approval_id, NULL, NULL);

    ngx_shmtx_lock(&ctx->zone->shpool->mutex);

    ap = ngx_http_push_approval_made(ctx, ctx->approval_key,
                                     &ctx->approval_id, en->ans.expires, 0);

    ngx_shmtx_unlock(&ctx->zone->shpool->mutex);

    if (ap == NULL) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    if (ngx_http_push_approval_watch(r, ctx, ctx->approval_key,
                                     NGX_HTTP_PUSH_APPROVAL_NODE_APPROVAL)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_push_approval_hold(r, ctx, ngx_http_push_approval_enroll_wake);

    r->read_event_handler = ngx_http_test_reading;

    return NGX_AGAIN;
}


static void
ngx_http_push_approval_enroll_wake(ngx_event_t *ev)
{
    ngx_int_t                         rc;
    ngx_connection_t                 *c;
    ngx_http_request_t               *r;
    ngx_http_push_approval_ctx_t     *ctx;
    ngx_http_push_approval_enroll_t  *en;

    r = ev->data;
    c = r->connection;

    en = (ngx_http_push_approval_enroll_t *) ngx_http_push_approval_get_ctx(r);
    ctx = &en->ctx;

    ngx_http_set_log_request(c->log, r);

    if (ev->timedout) {
        ev->timedout = 0;
        ctx->timed_out = 1;
    }

    if (ctx->poll_now && !ctx->timed_out) {
        ctx->poll_now = 0;
        ngx_http_push_approval_fetch(r, ctx);
        ngx_http_run_posted_requests(c);
        return;
    }

    rc = ngx_http_push_approval_enroll_decision(r, ctx);

    if (rc == NGX_AGAIN) {
        if (!ctx->timed_out) {
            return;
        }

        rc = NGX_HTTP_FORBIDDEN;
    }

    ngx_http_push_approval_release(ctx);
    r->read_event_handler = ngx_http_block_reading;

    if (rc == NGX_OK) {
        ngx_log_error(NGX_LOG_NOTICE, c->log, 0,
                      "push approval: new device for \"%V\" approved on "
                      "one it has", &en->identity);

        rc = ngx_http_push_approval_enroll_call(r, en,
                                        NGX_HTTP_PUSH_APPROVAL_STEP_TOKEN);
    }

    if (rc != NGX_AGAIN) {
        ngx_http_finalize_request(r, rc);
    }

    ngx_http_run_posted_requests(c);
}


/* NGX_OK approved, NGX_AGAIN pending, or 403 */

static ngx_int_t
ngx_http_push_approval_enroll_decision(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx)
{
    ngx_uint_t                      state;
    ngx_http_push_approval_node_t  *ap;

    ngx_shmtx_lock(&ctx->zone->shpool->mutex);

    ap = ngx_http_push_approval_lookup(ctx->zone, ctx->approval_key,
                                       NGX_HTTP_PUSH_APPROVAL_NODE_APPROVAL);

    if (ap == NULL) {
        state = NGX_HTTP_PUSH_APPROVAL_EXPIRED;

    } else {
        state = ap->v.approval.state;

        if (state == NGX_HTTP_PUSH_APPROVAL_PENDING
            && ap->v.approval.provider_expires
            && ap->v.approval.provider_expires <= ngx_time())
        {
            state = NGX_HTTP_PUSH_APPROVAL_EXPIRED;
            ap->v.approval.state = (u_char) state;
            ap->v.approval.decided = ngx_time();
            ngx_http_push_approval_metric(ctx->zone,
                                          NGX_HTTP_PUSH_APPROVAL_M_PENDING,
                                          -1);
        }
    }

    ngx_shmtx_unlock(&ctx->zone->shpool->mutex);

    switch (state) {

    case NGX_HTTP_PUSH_APPROVAL_PENDING:
        return NGX_AGAIN;

    case NGX_HTTP_PUSH_APPROVAL_APPROVED:
        return NGX_OK;

    default:
        ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                      "push approval: new device for \"%V\" not approved",
                      &ctx->identity);
        return NGX_HTTP_FORBIDDEN;
    }
}


static ngx_int_t
ngx_http_push_approval_enroll_send(ngx_http_request_t *r,
    ngx_http_push_approval_enroll_t *en)
{
    u_char                             *p, *json;
    size_t                              len;
    ngx_http_push_approval_provider_t  *provider;
    ngx_http_push_approval_loc_conf_t  *plcf;

    plcf = ngx_http_get_module_loc_conf(r, ngx_http_push_approval_module);
    provider = ngx_http_push_approval_providers[plcf->provider];

    len = 256 + 6 * (en->identity.len + en->ans.token.len)
          + 2 * plcf->verify_service.len;

    json = ngx_pnalloc(r->pool, len);
    if (json == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_sprintf(json, "{\"provider\":\"%V\",\"identity\":\"",
                    &provider->name);
    p += ngx_http_push_approval_json_escape(p, &en->identity, 64);
    p = provider->enrolled(p, plcf);
    p += ngx_http_push_approval_json_escape(p, &en->ans.token,
                                            en->ans.token.len);
    p = ngx_cpymem(p, "\"}\n", 3);

    if (ngx_http_push_approval_no_store(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_push_approval_send(r, NGX_HTTP_OK, "application/json",
                                       json, p);
}


static ngx_int_t
ngx_http_push_approval_invite_required(ngx_http_request_t *r)
{
    static u_char  body[] = "{\"status\":\"invite_required\"}\n";

    if (ngx_http_push_approval_no_store(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_push_approval_send(r, NGX_HTTP_FORBIDDEN,
                                       "application/json", body,
                                       body + sizeof(body) - 1);
}
