
/*
 * Copyright (C) push approval module developers
 *
 * The body of a refusal by a protected location (403, 429, 503): a short
 * JSON object for API clients, a small page for browsers, saying what
 * happened and nothing else (no identity, no id, no secret).  An
 * "error_page" of the operator's for the status takes precedence.
 */


#include "ngx_http_push_approval.h"


typedef struct {
    ngx_uint_t                      status;
    char                           *title;
    char                           *text;
} ngx_http_push_approval_reason_t;


static ngx_uint_t ngx_http_push_approval_has_error_page(ngx_http_request_t *r,
    ngx_int_t rc);


static ngx_http_push_approval_reason_t  ngx_http_push_approval_reasons[] = {

    { NGX_HTTP_PUSH_APPROVAL_ST_DENIED, "Not approved",
      "The request was denied on the phone. Wait a little before asking "
      "again." },

    { NGX_HTTP_PUSH_APPROVAL_ST_EXPIRED, "Approval expired",
      "The approval request on the phone expired before it was answered. "
      "Reload to ask again." },

    { NGX_HTTP_PUSH_APPROVAL_ST_TIMEOUT, "No answer in time",
      "No answer came from the phone in time. Reload to ask again." },

    { NGX_HTTP_PUSH_APPROVAL_ST_LIMITED, "Too many requests",
      "Too many approval requests were sent to the phone. Try again in a "
      "minute." },

    { NGX_HTTP_PUSH_APPROVAL_ST_NO_IDENTITY, "No approval possible",
      "No push approval can be sent for this account. Ask the site's "
      "administrator." },

    { NGX_HTTP_PUSH_APPROVAL_ST_ERROR, "Approval unavailable",
      "The approval service cannot be reached right now. Try again "
      "shortly." },

    { 0, NULL, NULL }
};


ngx_int_t
ngx_http_push_approval_refusal(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_int_t rc)
{
    u_char                           *p, *body;
    size_t                            len;
    ngx_str_t                        *name;
    ngx_uint_t                        html;
    ngx_http_push_approval_reason_t  *reason;

    if (rc != NGX_HTTP_FORBIDDEN && rc != NGX_HTTP_TOO_MANY_REQUESTS
        && rc != NGX_HTTP_SERVICE_UNAVAILABLE)
    {
        return rc;
    }

    for (reason = ngx_http_push_approval_reasons; reason->title; reason++) {
        if (reason->status == ctx->status) {
            break;
        }
    }

    if (reason->title == NULL
        || ngx_http_push_approval_has_error_page(r, rc))
    {
        return rc;
    }

    name = &ngx_http_push_approval_status_names[ctx->status];
    html = ngx_http_push_approval_accepts_html(r);

    len = html ? sizeof("<!DOCTYPE html><html><head><meta charset=\"utf-8\">"
                        "<meta name=\"viewport\" content=\"width=device-"
                        "width\"><title></title></head><body><h1></h1><p>"
                        "</p><p><small>push_approval_status: </small></p>"
                        "</body></html>\n") - 1
                 + 2 * ngx_strlen(reason->title) + ngx_strlen(reason->text)
                 + name->len
               : sizeof("{\"status\":\"\"}\n") - 1 + name->len;

    body = ngx_pnalloc(r->pool, len);
    if (body == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (html) {
        p = ngx_sprintf(body, "<!DOCTYPE html><html><head><meta charset="
                        "\"utf-8\"><meta name=\"viewport\" content=\""
                        "width=device-width\"><title>%s</title></head>"
                        "<body><h1>%s</h1><p>%s</p><p><small>"
                        "push_approval_status: %V</small></p></body>"
                        "</html>\n", reason->title, reason->title,
                        reason->text, name);

    } else {
        p = ngx_sprintf(body, "{\"status\":\"%V\"}\n", name);
    }

    if (ngx_http_push_approval_no_store(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }

    ngx_http_finalize_request(r,
        ngx_http_push_approval_send(r, rc,
                                    html ? "text/html; charset=utf-8"
                                         : "application/json",
                                    body, p));

    return NGX_DONE;
}


static ngx_uint_t
ngx_http_push_approval_has_error_page(ngx_http_request_t *r, ngx_int_t rc)
{
    ngx_uint_t                 i;
    ngx_http_err_page_t       *err_page;
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    if (clcf->error_pages == NULL) {
        return 0;
    }

    err_page = clcf->error_pages->elts;

    for (i = 0; i < clcf->error_pages->nelts; i++) {
        if (err_page[i].status == rc) {
            return 1;
        }
    }

    return 0;
}
