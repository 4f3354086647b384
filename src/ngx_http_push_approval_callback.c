
/*
 * Copyright (C) push approval module developers
 *
 * The provider's webhook receiver (push_approval_callback): reads the
 * body and rebuilds the signed URL; the provider's dialect (its table's
 * webhook) checks the signature and says what the callback decides; here
 * replays are kept out and the pending approval is decided in the zone,
 * which wakes the held requests.
 *
 * Bodies are limited to 64 KB and must be in memory: a larger body, or one
 * that nginx wrote to a temporary file (client_body_buffer_size), is
 * answered 400 and counted as malformed, as no real callback is that big.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_push_approval.h"
#include "ngx_http_push_approval_provider.h"


#define NGX_HTTP_PUSH_APPROVAL_CB_MAX_BODY   65536
#define NGX_HTTP_PUSH_APPROVAL_CB_PARAMS     256




static void ngx_http_push_approval_callback_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_push_approval_callback_process(
    ngx_http_request_t *r);
static ngx_int_t ngx_http_push_approval_callback_replay(
    ngx_http_push_approval_webhook_t *wh);
static ngx_int_t ngx_http_push_approval_callback_decide(
    ngx_http_push_approval_webhook_t *wh);
static ngx_int_t ngx_http_push_approval_callback_reject(
    ngx_http_request_t *r, ngx_http_push_approval_zone_ctx_t *zone,
    ngx_uint_t metric, ngx_int_t status, char *why);
static ngx_int_t ngx_http_push_approval_callback_ignored(
    ngx_http_push_approval_webhook_t *wh, char *what, ngx_str_t *value);
static ngx_int_t ngx_http_push_approval_callback_ok(ngx_http_request_t *r);
static ngx_int_t ngx_http_push_approval_callback_read(ngx_http_request_t *r,
    ngx_str_t *body);
static ngx_int_t ngx_http_push_approval_callback_url(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf, ngx_str_t *url);


ngx_int_t
ngx_http_push_approval_callback_handler(ngx_http_request_t *r)
{
    ngx_int_t                           rc;
    ngx_http_push_approval_provider_t  *provider;
    ngx_http_push_approval_loc_conf_t  *plcf;

    plcf = ngx_http_get_module_loc_conf(r, ngx_http_push_approval_module);

    if (plcf->handler_zone == NULL || plcf->handler_zone->data == NULL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "push approval: callback location has no zone");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* Verify posts forms; Authy posts JSON or sends a query string */

    provider = ngx_http_push_approval_providers[plcf->provider];

    if (!(r->method & provider->webhook_methods)) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    if (r->method & NGX_HTTP_GET) {
        rc = ngx_http_discard_request_body(r);

        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_push_approval_callback_process(r);
    }

    if (r->headers_in.content_length_n > NGX_HTTP_PUSH_APPROVAL_CB_MAX_BODY) {
        return ngx_http_push_approval_callback_reject(r,
                                   plcf->handler_zone->data,
                                   NGX_HTTP_PUSH_APPROVAL_M_CB_MALFORMED,
                                   NGX_HTTP_BAD_REQUEST, "body too large");
    }

    return ngx_http_push_approval_read_body(r,
                                    ngx_http_push_approval_callback_body);
}


static void
ngx_http_push_approval_callback_body(ngx_http_request_t *r)
{
    ngx_http_finalize_request(r, ngx_http_push_approval_callback_process(r));
}


static ngx_int_t
ngx_http_push_approval_callback_process(ngx_http_request_t *r)
{
    ngx_int_t                           rc;
    ngx_http_push_approval_webhook_t    wh;
    ngx_http_push_approval_provider_t  *provider;

    ngx_memzero(&wh, sizeof(ngx_http_push_approval_webhook_t));

    wh.request = r;
    wh.conf = ngx_http_get_module_loc_conf(r, ngx_http_push_approval_module);
    wh.zone = wh.conf->handler_zone->data;

    if (ngx_http_push_approval_callback_read(r, &wh.body) != NGX_OK) {
        return ngx_http_push_approval_webhook_reject(&wh,
                                   NGX_HTTP_PUSH_APPROVAL_M_CB_MALFORMED,
                                   NGX_HTTP_BAD_REQUEST, "body too large");
    }

    if (ngx_http_push_approval_callback_url(r, wh.conf, &wh.url) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (wh.url.len == 0) {
        return ngx_http_push_approval_webhook_reject(&wh,
                                   NGX_HTTP_PUSH_APPROVAL_M_CB_BAD_SIG,
                                   NGX_HTTP_UNAUTHORIZED,
                                   "no host to rebuild the signed URL");
    }

    provider = ngx_http_push_approval_providers[wh.conf->provider];

    rc = provider->webhook(&wh);

    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_http_push_approval_callback_replay(&wh);

    if (rc == NGX_BUSY) {
        return ngx_http_push_approval_callback_ignored(&wh,
                                                       "repeated callback",
                                                       &wh.replay);
    }

    if (rc != NGX_OK) {
        return rc;
    }

    if (wh.state == NGX_HTTP_PUSH_APPROVAL_PENDING) {
        return ngx_http_push_approval_callback_ignored(&wh, wh.what,
                                                       &wh.event);
    }

    return ngx_http_push_approval_callback_decide(&wh);
}


/*
 * a delivery seen before: a repeat the dialect answers again (Verify
 * retries; NGX_BUSY), or a replay it refuses (Authy's nonce)
 */

static ngx_int_t
ngx_http_push_approval_callback_replay(ngx_http_push_approval_webhook_t *wh)
{
    ngx_int_t  rc;

    if (wh->replay.len == 0) {
        return NGX_OK;
    }

    rc = ngx_http_push_approval_replay_add(wh->zone, &wh->replay,
                                           &wh->signature,
                                           wh->replay_expires);

    if (rc == NGX_BUSY) {
        if (wh->repeat_ok) {
            return NGX_BUSY;
        }

        return ngx_http_push_approval_webhook_reject(wh,
                                   NGX_HTTP_PUSH_APPROVAL_M_CB_REPLAYED,
                                   NGX_HTTP_UNAUTHORIZED,
                                   "replayed callback");
    }

    if (rc != NGX_OK && !wh->repeat_ok) {
        /* a replay that cannot be recorded cannot be refused later */
        ngx_log_error(NGX_LOG_ERR, wh->request->connection->log, 0,
                      "push approval: no room for the callback nonce in "
                      "zone \"%V\"", &wh->zone->name);
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    /* a repeat that cannot be recorded: deciding twice is harmless */

    return NGX_OK;
}


static ngx_int_t
ngx_http_push_approval_callback_decide(ngx_http_push_approval_webhook_t *wh)
{
    u_char                              account[NGX_HTTP_PUSH_APPROVAL_ACCOUNT];
    ngx_int_t                           rc;
    ngx_http_request_t                 *r;
    ngx_http_push_approval_loc_conf_t  *plcf;

    /* only an approval made with the credentials that signed this */

    r = wh->request;
    plcf = wh->conf;

    ngx_http_push_approval_providers[plcf->provider]->account(plcf, account);

    rc = ngx_http_push_approval_decide_account(wh->zone, &wh->id, wh->state,
                                               plcf->provider, account,
                                               r->connection->log);

    if (rc == NGX_OK) {
        ngx_http_push_approval_metric(wh->zone,
                                      NGX_HTTP_PUSH_APPROVAL_M_CB_ACCEPTED,
                                      1);

    } else {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "push approval: callback for an unknown or decided "
                       "approval, or one of another account: \"%V\"",
                       &wh->id);

        ngx_http_push_approval_metric(wh->zone,
                                      NGX_HTTP_PUSH_APPROVAL_M_CB_IGNORED, 1);
    }

    return ngx_http_push_approval_callback_ok(r);
}


/* the signature, token and body are never logged */

static ngx_int_t
ngx_http_push_approval_callback_reject(ngx_http_request_t *r,
    ngx_http_push_approval_zone_ctx_t *zone, ngx_uint_t metric,
    ngx_int_t status, char *why)
{
    ngx_uint_t  level;

    level = (status == NGX_HTTP_UNAUTHORIZED) ? NGX_LOG_WARN : NGX_LOG_INFO;

    ngx_log_error(level, r->connection->log, 0, "push approval: %s from %V",
                  why, &r->connection->addr_text);

    ngx_http_push_approval_metric(zone, metric, 1);

    return status;
}


ngx_int_t
ngx_http_push_approval_webhook_reject(ngx_http_push_approval_webhook_t *wh,
    ngx_uint_t metric, ngx_int_t status, char *why)
{
    return ngx_http_push_approval_callback_reject(wh->request, wh->zone,
                                                  metric, status, why);
}


ngx_int_t
ngx_http_push_approval_webhook_malformed(ngx_http_push_approval_webhook_t *wh)
{
    return ngx_http_push_approval_callback_reject(wh->request, wh->zone,
                                   NGX_HTTP_PUSH_APPROVAL_M_CB_MALFORMED,
                                   NGX_HTTP_BAD_REQUEST,
                                   "malformed callback body");
}


/* what a signature check said: NGX_OK, or the answer to send */

ngx_int_t
ngx_http_push_approval_webhook_signed(ngx_http_push_approval_webhook_t *wh,
    ngx_int_t rc)
{
    if (rc == NGX_ERROR) {
        ngx_log_error(NGX_LOG_ERR, wh->request->connection->log, 0,
                      "push approval: signature check failed");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc != NGX_OK) {
        return ngx_http_push_approval_callback_reject(wh->request, wh->zone,
                                   NGX_HTTP_PUSH_APPROVAL_M_CB_BAD_SIG,
                                   NGX_HTTP_UNAUTHORIZED,
                                   "bad callback signature");
    }

    return NGX_OK;
}


/* answered, counted as ignored: "<what> \"value\" ignored" */

static ngx_int_t
ngx_http_push_approval_callback_ignored(ngx_http_push_approval_webhook_t *wh,
    char *what, ngx_str_t *value)
{
    ngx_log_error(NGX_LOG_INFO, wh->request->connection->log, 0,
                  "push approval: %s \"%V\" ignored", what, value);

    ngx_http_push_approval_metric(wh->zone,
                                  NGX_HTTP_PUSH_APPROVAL_M_CB_IGNORED, 1);

    return ngx_http_push_approval_callback_ok(wh->request);
}


/* the decision a state names: approved, denied, or PENDING (none) */

ngx_uint_t
ngx_http_push_approval_webhook_state(ngx_str_t *value, char *approved,
    char *denied)
{
    if (value->len == ngx_strlen(approved)
        && ngx_strncmp(value->data, approved, value->len) == 0)
    {
        return NGX_HTTP_PUSH_APPROVAL_APPROVED;
    }

    if (value->len == ngx_strlen(denied)
        && ngx_strncmp(value->data, denied, value->len) == 0)
    {
        return NGX_HTTP_PUSH_APPROVAL_DENIED;
    }

    return NGX_HTTP_PUSH_APPROVAL_PENDING;
}


static ngx_int_t
ngx_http_push_approval_callback_ok(ngx_http_request_t *r)
{
    static u_char  ok[] = "{\"ok\":true}\n";

    return ngx_http_push_approval_send(r, NGX_HTTP_OK, "application/json",
                                       ok, ok + sizeof(ok) - 1);
}


/* the body in one piece of memory; NGX_DECLINED: too large */

static ngx_int_t
ngx_http_push_approval_callback_read(ngx_http_request_t *r, ngx_str_t *body)
{
    u_char       *p;
    size_t        len;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    ngx_str_set(body, "");

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        return NGX_OK;
    }

    if (r->request_body->temp_file) {
        return NGX_DECLINED;
    }

    len = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (b->in_file) {
            return NGX_DECLINED;
        }

        len += b->last - b->pos;
    }

    if (len > NGX_HTTP_PUSH_APPROVAL_CB_MAX_BODY) {
        return NGX_DECLINED;
    }

    if (len == 0) {
        return NGX_OK;
    }

    cl = r->request_body->bufs;

    if (cl->next == NULL) {
        body->data = cl->buf->pos;
        body->len = len;
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    body->data = p;
    body->len = len;

    for ( /* void */ ; cl; cl = cl->next) {
        p = ngx_cpymem(p, cl->buf->pos, cl->buf->last - cl->buf->pos);
    }

    return NGX_OK;
}


/*
 * The URL the provider signed: push_approval_callback_url, or the scheme,
 * the Host header as sent and $request_uri.  A configured URL without a
 * query gets the request's one: Verify appends bodySHA256 to the webhook
 * URL, and a longer signed string only makes the check stricter.
 */

static ngx_int_t
ngx_http_push_approval_callback_url(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf, ngx_str_t *url)
{
    u_char     *p;
    ngx_str_t   scheme, host;

    if (plcf->callback_url.len) {

        if (r->args.len == 0
            || ngx_strlchr(plcf->callback_url.data,
                           plcf->callback_url.data + plcf->callback_url.len,
                           '?')
               != NULL)
        {
            *url = plcf->callback_url;
            return NGX_OK;
        }

        p = ngx_pnalloc(r->pool, plcf->callback_url.len + 1 + r->args.len);
        if (p == NULL) {
            return NGX_ERROR;
        }

        url->data = p;
        p = ngx_cpymem(p, plcf->callback_url.data, plcf->callback_url.len);
        *p++ = '?';
        p = ngx_cpymem(p, r->args.data, r->args.len);
        url->len = p - url->data;

        return NGX_OK;
    }

    if (r->headers_in.host) {
        host = r->headers_in.host->value;

    } else {
        host = r->headers_in.server;
    }

    if (host.len == 0) {
        url->len = 0;
        return NGX_OK;
    }

#if (NGX_HTTP_SSL)
    if (r->connection->ssl) {
        ngx_str_set(&scheme, "https://");

    } else
#endif
    {
        ngx_str_set(&scheme, "http://");
    }

    p = ngx_pnalloc(r->pool, scheme.len + host.len + r->unparsed_uri.len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    url->data = p;
    p = ngx_cpymem(p, scheme.data, scheme.len);
    p = ngx_cpymem(p, host.data, host.len);
    p = ngx_cpymem(p, r->unparsed_uri.data, r->unparsed_uri.len);
    url->len = p - url->data;

    return NGX_OK;
}


/* a request header sent exactly once; NGX_DECLINED: absent or repeated */

ngx_int_t
ngx_http_push_approval_webhook_header(ngx_http_request_t *r, char *name,
    ngx_str_t *value)
{
    size_t            len;
    ngx_uint_t        i, found;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    len = ngx_strlen(name);
    found = 0;
    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == len
            && ngx_strncasecmp(h[i].key.data, (u_char *) name, len) == 0)
        {
            if (found++) {
                return NGX_DECLINED;
            }

            *value = h[i].value;
        }
    }

    if (!found || value->len == 0) {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* the Content-Type is the one named, parameters (charset) aside */

ngx_uint_t
ngx_http_push_approval_webhook_type(ngx_http_request_t *r, char *type)
{
    size_t      len;
    ngx_str_t  *ct;

    if (r->headers_in.content_type == NULL) {
        return 0;
    }

    ct = &r->headers_in.content_type->value;
    len = ngx_strlen(type);

    if (ct->len < len
        || ngx_strncasecmp(ct->data, (u_char *) type, len) != 0)
    {
        return 0;
    }

    return ct->len == len || ct->data[len] == ';' || ct->data[len] == ' ';
}


/* NGX_DECLINED: not a valid form */

ngx_int_t
ngx_http_push_approval_webhook_form(ngx_http_request_t *r, ngx_str_t *data,
    ngx_http_push_approval_param_t **params)
{
    u_char     *scratch;
    ngx_int_t   n;

    scratch = ngx_pnalloc(r->pool, data->len + 1);
    if (scratch == NULL) {
        return NGX_ERROR;
    }

    *params = ngx_palloc(r->pool, NGX_HTTP_PUSH_APPROVAL_CB_PARAMS
                                  * sizeof(ngx_http_push_approval_param_t));
    if (*params == NULL) {
        return NGX_ERROR;
    }

    if (data->len == 0) {
        return 0;
    }

    n = ngx_http_push_approval_form_parse(data->data, data->len, scratch,
                                          *params,
                                          NGX_HTTP_PUSH_APPROVAL_CB_PARAMS);

    return (n == NGX_ERROR) ? NGX_DECLINED : n;
}


/* fields by name; NGX_DECLINED when one is repeated */

ngx_int_t
ngx_http_push_approval_webhook_fields(ngx_http_push_approval_param_t *params,
    ngx_uint_t n, char **names, ngx_str_t *values)
{
    size_t      len;
    ngx_uint_t  i, k;

    for (k = 0; names[k]; k++) {
        ngx_str_null(&values[k]);
    }

    for (i = 0; i < n; i++) {
        for (k = 0; names[k]; k++) {
            len = ngx_strlen(names[k]);

            if (params[i].name.len != len
                || ngx_strncmp(params[i].name.data, names[k], len) != 0)
            {
                continue;
            }

            if (values[k].data) {
                return NGX_DECLINED;
            }

            values[k] = params[i].value;
        }
    }

    for (k = 0; names[k]; k++) {
        if (values[k].data == NULL) {
            ngx_str_set(&values[k], "");
        }
    }

    return NGX_OK;
}


/* the query string carries bodySHA256: the JSON variant of Verify */

ngx_uint_t
ngx_http_push_approval_webhook_body_hash(ngx_str_t *url)
{
    ngx_str_t  hash;

    return ngx_http_push_approval_body_hash(url, &hash) == NGX_OK && hash.len;
}


/*
 * String fields of a JSON object by dotted path (values inside arrays never
 * match); NGX_DECLINED on invalid JSON, nesting deeper than 16, or a field
 * seen twice.  The values are copied to the pool.
 */

ngx_int_t
ngx_http_push_approval_webhook_json(ngx_pool_t *pool, ngx_str_t *body,
    char **names, ngx_str_t *values)
{
    u_char  *buf;

    buf = ngx_pnalloc(pool, body->len + 1);
    if (buf == NULL) {
        return NGX_ERROR;
    }

    return ngx_http_push_approval_json_fields(body->data, body->len, names,
                                              values, buf);
}
