
/*
 * Copyright (C) push approval module developers
 *
 * push_approval_enroll: behind the operator's own first factor, hands the
 * phone app's SDK what it needs to register a device for the current
 * identity.  The provider secret never leaves nginx.
 */


#include "ngx_http_push_approval.h"


typedef struct {
    ngx_str_t                        identity;
    ngx_http_push_approval_answer_t  ans;
    ngx_http_push_approval_call_t    call;
} ngx_http_push_approval_enroll_t;


static void ngx_http_push_approval_enroll_done(ngx_http_request_t *r,
    ngx_http_push_approval_call_t *call);
static void ngx_http_push_approval_enroll_send(ngx_http_request_t *r);


ngx_int_t
ngx_http_push_approval_enroll_handler(ngx_http_request_t *r)
{
    ngx_int_t                           rc;
    ngx_str_t                           uri, body;
    ngx_http_push_approval_ctx_t       *ctx;
    ngx_http_push_approval_enroll_t    *en;
    ngx_http_push_approval_provider_t  *provider;
    ngx_http_push_approval_loc_conf_t  *plcf;

    if (r->method != NGX_HTTP_POST) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    plcf = ngx_http_get_module_loc_conf(r, ngx_http_push_approval_module);
    provider = ngx_http_push_approval_providers[plcf->provider];

    en = ngx_pcalloc(r->pool, sizeof(ngx_http_push_approval_enroll_t));
    if (en == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_complex_value(r, plcf->identity, &en->identity) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (en->identity.len == 0
        || provider->valid_identity(&en->identity) != NGX_OK)
    {
        return NGX_HTTP_FORBIDDEN;
    }

    if (provider->enroll(r, plcf, &en->identity, &uri, &body) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    en->call.handler = ngx_http_push_approval_enroll_done;
    en->call.data = en;

    if (ngx_http_push_approval_call(r, plcf, NGX_HTTP_PUSH_APPROVAL_OP_ENROLL,
                                    NGX_HTTP_POST, &uri, &body, &en->call)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx = ngx_http_push_approval_create_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->handler_data = en;

    r->main->count++;

    return NGX_DONE;
}


static void
ngx_http_push_approval_enroll_done(ngx_http_request_t *r,
    ngx_http_push_approval_call_t *call)
{
    ngx_http_push_approval_enroll_t    *en;
    ngx_http_push_approval_provider_t  *provider;
    ngx_http_push_approval_loc_conf_t  *plcf;

    en = call->data;
    plcf = ngx_http_get_module_loc_conf(r, ngx_http_push_approval_module);

    provider = ngx_http_push_approval_providers[plcf->provider];

    provider->parse(r->pool, NGX_HTTP_PUSH_APPROVAL_OP_ENROLL, call,
                    &en->ans);

    /* the answer goes out once the subrequest is over */

    r->write_event_handler = ngx_http_push_approval_enroll_send;

    (void) ngx_http_post_request(r, NULL);
}


static void
ngx_http_push_approval_enroll_send(ngx_http_request_t *r)
{
    u_char                             *p, *json;
    size_t                              len;
    ngx_http_push_approval_ctx_t       *ctx;
    ngx_http_push_approval_enroll_t    *en;
    ngx_http_push_approval_loc_conf_t  *plcf;

    plcf = ngx_http_get_module_loc_conf(r, ngx_http_push_approval_module);
    ctx = ngx_http_get_module_ctx(r, ngx_http_push_approval_module);
    en = ctx->handler_data;

    r->write_event_handler = ngx_http_request_empty_handler;

    if (en->ans.result != NGX_HTTP_PUSH_APPROVAL_R_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "push approval: %V enrolment for \"%V\" failed: %V",
                      &ngx_http_push_approval_providers[plcf->provider]->name,
                      &en->identity, &en->ans.error);

        ngx_http_finalize_request(r,
                        en->ans.result == NGX_HTTP_PUSH_APPROVAL_R_NOT_FOUND
                        ? NGX_HTTP_FORBIDDEN : NGX_HTTP_SERVICE_UNAVAILABLE);
        return;
    }

    len = 256 + 6 * (en->identity.len + en->ans.token.len)
          + plcf->verify_service.len;

    json = ngx_pnalloc(r->pool, len);
    if (json == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    p = ngx_sprintf(json, "{\"provider\":\"%V\",\"identity\":\"",
                    &ngx_http_push_approval_providers[plcf->provider]->name);
    p += ngx_http_push_approval_json_escape(p, &en->identity, 64);

    if (plcf->provider == NGX_HTTP_PUSH_APPROVAL_VERIFY) {
        p = ngx_sprintf(p, "\",\"service_sid\":\"%V\",\"factor_type\":\"push\""
                        ",\"token\":\"", &plcf->verify_service);

    } else {
        p = ngx_cpymem(p, "\",\"registration_token\":\"",
                       sizeof("\",\"registration_token\":\"") - 1);
    }

    p += ngx_http_push_approval_json_escape(p, &en->ans.token,
                                            en->ans.token.len);
    p = ngx_cpymem(p, "\"}\n", 3);

    if (ngx_http_push_approval_no_store(r) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ngx_http_finalize_request(r, ngx_http_push_approval_send(r, NGX_HTTP_OK,
                                                    "application/json",
                                                    json, p));
}
