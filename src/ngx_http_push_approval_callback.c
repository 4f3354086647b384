
/*
 * Copyright (C) push approval module developers
 *
 * The provider's webhook receiver (push_approval_callback): reads the
 * body, checks the signature, the Authy nonce and replays, and decides the
 * pending approval in the zone; deciding wakes the held requests.
 *
 * Bodies are limited to 64 KB and must be in memory: a larger body, or one
 * that nginx wrote to a temporary file (client_body_buffer_size), is
 * answered 400 and counted as malformed, as no real callback is that big.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_push_approval.h"


#define NGX_HTTP_PUSH_APPROVAL_CB_MAX_BODY   65536
#define NGX_HTTP_PUSH_APPROVAL_CB_PARAMS     256

/* a Verify delivery is remembered this long to answer repeats */
#define NGX_HTTP_PUSH_APPROVAL_CB_VERIFY_TTL 3600

/* Authy replays without a nonce age check */
#define NGX_HTTP_PUSH_APPROVAL_CB_AUTHY_TTL  86400

/* fields of interest */
#define NGX_HTTP_PUSH_APPROVAL_CB_TYPE       0
#define NGX_HTTP_PUSH_APPROVAL_CB_SID        1
#define NGX_HTTP_PUSH_APPROVAL_CB_SID2       2
#define NGX_HTTP_PUSH_APPROVAL_CB_UUID       3
#define NGX_HTTP_PUSH_APPROVAL_CB_STATUS     0
#define NGX_HTTP_PUSH_APPROVAL_CB_TX_UUID    1
#define NGX_HTTP_PUSH_APPROVAL_CB_TX_STATUS  2
#define NGX_HTTP_PUSH_APPROVAL_CB_FIELDS     4


typedef struct {
    char                          **names;   /* dotted JSON paths */
    char                          **params;  /* flat parameter names */
} ngx_http_push_approval_cb_fields_t;


static void ngx_http_push_approval_callback_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_push_approval_callback_process(
    ngx_http_request_t *r);
static ngx_int_t ngx_http_push_approval_callback_verify(
    ngx_http_request_t *r, ngx_http_push_approval_loc_conf_t *plcf,
    ngx_http_push_approval_zone_ctx_t *zone, ngx_str_t *url,
    ngx_str_t *body);
static ngx_int_t ngx_http_push_approval_callback_authy(
    ngx_http_request_t *r, ngx_http_push_approval_loc_conf_t *plcf,
    ngx_http_push_approval_zone_ctx_t *zone, ngx_str_t *url,
    ngx_str_t *body);
static ngx_int_t ngx_http_push_approval_callback_decide(
    ngx_http_request_t *r, ngx_http_push_approval_zone_ctx_t *zone,
    ngx_str_t *id, ngx_uint_t state);
static ngx_int_t ngx_http_push_approval_callback_reject(
    ngx_http_request_t *r, ngx_http_push_approval_zone_ctx_t *zone,
    ngx_uint_t metric, ngx_int_t status, char *why);
static ngx_int_t ngx_http_push_approval_callback_ok(ngx_http_request_t *r);
static ngx_int_t ngx_http_push_approval_callback_read(ngx_http_request_t *r,
    ngx_str_t *body);
static ngx_int_t ngx_http_push_approval_callback_url(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf, ngx_str_t *url);
static ngx_int_t ngx_http_push_approval_callback_header(
    ngx_http_request_t *r, char *name, size_t len, ngx_str_t *value);
static ngx_uint_t ngx_http_push_approval_callback_type(ngx_http_request_t *r,
    char *type, size_t len);
static ngx_int_t ngx_http_push_approval_callback_form(ngx_http_request_t *r,
    ngx_str_t *data, ngx_http_push_approval_param_t **params);
static ngx_int_t ngx_http_push_approval_callback_fields(
    ngx_http_push_approval_param_t *params, ngx_uint_t n, char **names,
    ngx_str_t *values);
static ngx_int_t ngx_http_push_approval_callback_json(ngx_pool_t *pool,
    ngx_str_t *body, char **names, ngx_str_t *values);
static char  *ngx_http_push_approval_cb_verify_names[] = {
    "type", "challenge_sid", "sid", "uuid", NULL
};

static char  *ngx_http_push_approval_cb_authy_names[] = {
    "status",
    "approval_request.transaction.uuid",
    "approval_request.transaction.status",
    "uuid",
    NULL
};

static char  *ngx_http_push_approval_cb_authy_params[] = {
    "status",
    "approval_request[transaction][uuid]",
    "approval_request[transaction][status]",
    "uuid",
    NULL
};


ngx_int_t
ngx_http_push_approval_callback_handler(ngx_http_request_t *r)
{
    ngx_int_t                           rc;
    ngx_http_push_approval_zone_ctx_t  *zone;
    ngx_http_push_approval_loc_conf_t  *plcf;

    plcf = ngx_http_get_module_loc_conf(r, ngx_http_push_approval_module);

    if (plcf->handler_zone == NULL || plcf->handler_zone->data == NULL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "push approval: callback location has no zone");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* Verify posts forms; Authy posts JSON or sends a query string */

    if (!(r->method & NGX_HTTP_POST)
        && !(r->method & NGX_HTTP_GET
             && plcf->provider == NGX_HTTP_PUSH_APPROVAL_AUTHY))
    {
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
        zone = plcf->handler_zone->data;
        return ngx_http_push_approval_callback_reject(r, zone,
                                   NGX_HTTP_PUSH_APPROVAL_M_CB_MALFORMED,
                                   NGX_HTTP_BAD_REQUEST, "body too large");
    }

    rc = ngx_http_read_client_request_body(r,
                                          ngx_http_push_approval_callback_body);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_http_push_approval_callback_body(ngx_http_request_t *r)
{
    ngx_http_finalize_request(r, ngx_http_push_approval_callback_process(r));
}


static ngx_int_t
ngx_http_push_approval_callback_process(ngx_http_request_t *r)
{
    ngx_str_t                           url, body;
    ngx_http_push_approval_zone_ctx_t  *zone;
    ngx_http_push_approval_loc_conf_t  *plcf;

    plcf = ngx_http_get_module_loc_conf(r, ngx_http_push_approval_module);
    zone = plcf->handler_zone->data;

    if (ngx_http_push_approval_callback_read(r, &body) != NGX_OK) {
        return ngx_http_push_approval_callback_reject(r, zone,
                                   NGX_HTTP_PUSH_APPROVAL_M_CB_MALFORMED,
                                   NGX_HTTP_BAD_REQUEST, "body too large");
    }

    if (ngx_http_push_approval_callback_url(r, plcf, &url) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (url.len == 0) {
        return ngx_http_push_approval_callback_reject(r, zone,
                                   NGX_HTTP_PUSH_APPROVAL_M_CB_BAD_SIG,
                                   NGX_HTTP_UNAUTHORIZED,
                                   "no host to rebuild the signed URL");
    }

    if (plcf->provider == NGX_HTTP_PUSH_APPROVAL_AUTHY) {
        return ngx_http_push_approval_callback_authy(r, plcf, zone, &url,
                                                     &body);
    }

    return ngx_http_push_approval_callback_verify(r, plcf, zone, &url, &body);
}


static ngx_int_t
ngx_http_push_approval_callback_verify(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf,
    ngx_http_push_approval_zone_ctx_t *zone, ngx_str_t *url, ngx_str_t *body)
{
    ngx_int_t                        rc, n;
    ngx_str_t                        sig, id, hash, *type;
    ngx_str_t                        v[NGX_HTTP_PUSH_APPROVAL_CB_FIELDS];
    ngx_uint_t                       json, state;
    ngx_http_push_approval_param_t  *params;

    rc = ngx_http_push_approval_callback_header(r, "X-Twilio-Signature",
                                        sizeof("X-Twilio-Signature") - 1,
                                        &sig);
    if (rc != NGX_OK) {
        return ngx_http_push_approval_callback_reject(r, zone,
                                   NGX_HTTP_PUSH_APPROVAL_M_CB_BAD_SIG,
                                   NGX_HTTP_UNAUTHORIZED,
                                   "callback without signature");
    }

    /* the JSON variant signs the URL carrying the body's hash */

    json = (ngx_http_push_approval_body_hash(url, &hash) == NGX_OK
            && hash.len);

    params = NULL;
    n = 0;

    if (!json) {
        if (!ngx_http_push_approval_callback_type(r,
                                  "application/x-www-form-urlencoded",
                                  sizeof("application/x-www-form-urlencoded")
                                  - 1))
        {
            return ngx_http_push_approval_callback_reject(r, zone,
                                   NGX_HTTP_PUSH_APPROVAL_M_CB_MALFORMED,
                                   NGX_HTTP_BAD_REQUEST,
                                   "callback body is no form");
        }

        n = ngx_http_push_approval_callback_form(r, body, &params);

        if (n == NGX_ERROR) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (n == NGX_DECLINED) {
            return ngx_http_push_approval_callback_reject(r, zone,
                                   NGX_HTTP_PUSH_APPROVAL_M_CB_MALFORMED,
                                   NGX_HTTP_BAD_REQUEST,
                                   "malformed callback body");
        }
    }

    rc = ngx_http_push_approval_twilio_check(&plcf->auth_token, url, params,
                                             n, body, &sig);

    if (rc == NGX_ERROR) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "push approval: signature check failed");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc != NGX_OK) {
        return ngx_http_push_approval_callback_reject(r, zone,
                                   NGX_HTTP_PUSH_APPROVAL_M_CB_BAD_SIG,
                                   NGX_HTTP_UNAUTHORIZED,
                                   "bad callback signature");
    }

    if (json) {
        rc = ngx_http_push_approval_callback_json(r->pool, body,
                                        ngx_http_push_approval_cb_verify_names,
                                        v);
    } else {
        rc = ngx_http_push_approval_callback_fields(params, n,
                                        ngx_http_push_approval_cb_verify_names,
                                        v);
    }

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc == NGX_DECLINED) {
        return ngx_http_push_approval_callback_reject(r, zone,
                                   NGX_HTTP_PUSH_APPROVAL_M_CB_MALFORMED,
                                   NGX_HTTP_BAD_REQUEST,
                                   "malformed callback body");
    }

    /* a repeated delivery is answered, not acted on again */

    if (v[NGX_HTTP_PUSH_APPROVAL_CB_UUID].len) {
        rc = ngx_http_push_approval_replay_add(zone,
                                    &v[NGX_HTTP_PUSH_APPROVAL_CB_UUID], &sig,
                                    ngx_time()
                                    + NGX_HTTP_PUSH_APPROVAL_CB_VERIFY_TTL);

        if (rc == NGX_BUSY) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "push approval: repeated callback \"%V\" ignored",
                          &v[NGX_HTTP_PUSH_APPROVAL_CB_UUID]);

            ngx_http_push_approval_metric(zone,
                                          NGX_HTTP_PUSH_APPROVAL_M_CB_IGNORED,
                                          1);

            return ngx_http_push_approval_callback_ok(r);
        }

        /* NGX_ERROR: the zone is full; deciding twice is harmless */
    }

    type = &v[NGX_HTTP_PUSH_APPROVAL_CB_TYPE];

    if (type->len == sizeof("challenge.approved") - 1
        && ngx_strncmp(type->data, "challenge.approved", type->len) == 0)
    {
        state = NGX_HTTP_PUSH_APPROVAL_APPROVED;

    } else if (type->len == sizeof("challenge.denied") - 1
               && ngx_strncmp(type->data, "challenge.denied", type->len) == 0)
    {
        state = NGX_HTTP_PUSH_APPROVAL_DENIED;

    } else {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "push approval: callback event \"%V\" ignored", type);

        ngx_http_push_approval_metric(zone,
                                      NGX_HTTP_PUSH_APPROVAL_M_CB_IGNORED, 1);

        return ngx_http_push_approval_callback_ok(r);
    }

    id = v[NGX_HTTP_PUSH_APPROVAL_CB_SID];

    if (id.len == 0) {
        id = v[NGX_HTTP_PUSH_APPROVAL_CB_SID2];
    }

    return ngx_http_push_approval_callback_decide(r, zone, &id, state);
}


static ngx_int_t
ngx_http_push_approval_callback_authy(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf,
    ngx_http_push_approval_zone_ctx_t *zone, ngx_str_t *url, ngx_str_t *body)
{
    time_t                           nonce_time, now, expires;
    u_char                          *buf;
    size_t                           size;
    ssize_t                          len;
    ngx_int_t                        rc, n;
    ngx_str_t                        sig, nonce, canonical, *data, *id;
    ngx_str_t                       *status;
    ngx_str_t                        v[NGX_HTTP_PUSH_APPROVAL_CB_FIELDS];
    ngx_uint_t                       state;
    ngx_http_push_approval_param_t  *params;

    if (ngx_http_push_approval_callback_header(r, "X-Authy-Signature",
                                        sizeof("X-Authy-Signature") - 1,
                                        &sig)
        != NGX_OK
        || ngx_http_push_approval_callback_header(r,
                                        "X-Authy-Signature-Nonce",
                                        sizeof("X-Authy-Signature-Nonce") - 1,
                                        &nonce)
           != NGX_OK)
    {
        return ngx_http_push_approval_callback_reject(r, zone,
                                   NGX_HTTP_PUSH_APPROVAL_M_CB_BAD_SIG,
                                   NGX_HTTP_UNAUTHORIZED,
                                   "callback without signature");
    }

    /* the parameters: a JSON or form body, or the query string */

    params = NULL;
    data = (r->method & NGX_HTTP_GET) ? &r->args : body;

    if (r->method & NGX_HTTP_GET
        || ngx_http_push_approval_callback_type(r,
                                  "application/x-www-form-urlencoded",
                                  sizeof("application/x-www-form-urlencoded")
                                  - 1))
    {
        n = ngx_http_push_approval_callback_form(r, data, &params);

        if (n == NGX_ERROR) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (n == NGX_DECLINED) {
            goto malformed;
        }

        size = 8 * data->len + 4096;

    } else if (ngx_http_push_approval_callback_type(r, "application/json",
                                        sizeof("application/json") - 1))
    {
        n = 0;
        size = 8 * data->len + 4096;

    } else {
        return ngx_http_push_approval_callback_reject(r, zone,
                                   NGX_HTTP_PUSH_APPROVAL_M_CB_MALFORMED,
                                   NGX_HTTP_BAD_REQUEST,
                                   "callback body is no JSON");
    }

    buf = ngx_pnalloc(r->pool, size);
    if (buf == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (params) {
        len = ngx_http_push_approval_authy_canonical_params(params, n, buf,
                                                            size);
        rc = ngx_http_push_approval_callback_fields(params, n,
                                         ngx_http_push_approval_cb_authy_params,
                                         v);
    } else {
        len = ngx_http_push_approval_authy_canonical_json(data->data,
                                                          data->len, buf,
                                                          size);
        rc = (len < 0) ? NGX_DECLINED
                       : ngx_http_push_approval_callback_json(r->pool, data,
                                          ngx_http_push_approval_cb_authy_names,
                                          v);
    }

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (len < 0 || rc == NGX_DECLINED) {
        goto malformed;
    }

    canonical.data = buf;
    canonical.len = len;

    rc = ngx_http_push_approval_authy_check(&plcf->api_key, &nonce,
                                            &r->method_name, url, &canonical,
                                            &sig);

    if (rc == NGX_ERROR) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "push approval: signature check failed");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc != NGX_OK) {
        return ngx_http_push_approval_callback_reject(r, zone,
                                   NGX_HTTP_PUSH_APPROVAL_M_CB_BAD_SIG,
                                   NGX_HTTP_UNAUTHORIZED,
                                   "bad callback signature");
    }

    /* the nonce is the signing time: unix seconds */

    now = ngx_time();
    expires = now + NGX_HTTP_PUSH_APPROVAL_CB_AUTHY_TTL;

    if (plcf->callback_max_age) {
        nonce_time = (nonce.len <= 12) ? ngx_atotm(nonce.data, nonce.len)
                                       : NGX_ERROR;

        if (nonce_time == NGX_ERROR
            || nonce_time < now - plcf->callback_max_age
            || nonce_time > now + plcf->callback_max_age)
        {
            return ngx_http_push_approval_callback_reject(r, zone,
                                   NGX_HTTP_PUSH_APPROVAL_M_CB_STALE,
                                   NGX_HTTP_UNAUTHORIZED,
                                   "stale callback nonce");
        }

        /* older ones are refused as stale anyway */
        expires = nonce_time + plcf->callback_max_age + 1;
    }

    rc = ngx_http_push_approval_replay_add(zone, &nonce, &sig, expires);

    if (rc == NGX_BUSY) {
        return ngx_http_push_approval_callback_reject(r, zone,
                                   NGX_HTTP_PUSH_APPROVAL_M_CB_REPLAYED,
                                   NGX_HTTP_UNAUTHORIZED,
                                   "replayed callback");
    }

    if (rc != NGX_OK) {
        /* a replay that cannot be recorded cannot be refused later */
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "push approval: no room for the callback nonce in "
                      "zone \"%V\"", &zone->name);
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    id = &v[NGX_HTTP_PUSH_APPROVAL_CB_UUID];

    if (id->len == 0) {
        id = &v[NGX_HTTP_PUSH_APPROVAL_CB_TX_UUID];
    }

    status = &v[NGX_HTTP_PUSH_APPROVAL_CB_STATUS];

    if (status->len == 0) {
        status = &v[NGX_HTTP_PUSH_APPROVAL_CB_TX_STATUS];
    }

    if (status->len == sizeof("approved") - 1
        && ngx_strncmp(status->data, "approved", status->len) == 0)
    {
        state = NGX_HTTP_PUSH_APPROVAL_APPROVED;

    } else if (status->len == sizeof("denied") - 1
               && ngx_strncmp(status->data, "denied", status->len) == 0)
    {
        state = NGX_HTTP_PUSH_APPROVAL_DENIED;

    } else {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "push approval: callback status \"%V\" ignored",
                      status);

        ngx_http_push_approval_metric(zone,
                                      NGX_HTTP_PUSH_APPROVAL_M_CB_IGNORED, 1);

        return ngx_http_push_approval_callback_ok(r);
    }

    return ngx_http_push_approval_callback_decide(r, zone, id, state);

malformed:

    return ngx_http_push_approval_callback_reject(r, zone,
                                   NGX_HTTP_PUSH_APPROVAL_M_CB_MALFORMED,
                                   NGX_HTTP_BAD_REQUEST,
                                   "malformed callback body");
}


static ngx_int_t
ngx_http_push_approval_callback_decide(ngx_http_request_t *r,
    ngx_http_push_approval_zone_ctx_t *zone, ngx_str_t *id, ngx_uint_t state)
{
    u_char                              account[NGX_HTTP_PUSH_APPROVAL_ACCOUNT];
    ngx_int_t                           rc;
    ngx_http_push_approval_loc_conf_t  *plcf;

    /* only an approval made with the credentials that signed this */

    plcf = ngx_http_get_module_loc_conf(r, ngx_http_push_approval_module);

    ngx_http_push_approval_account(plcf, account);

    rc = ngx_http_push_approval_decide_account(zone, id, state,
                                               plcf->provider, account,
                                               r->connection->log);

    if (rc == NGX_OK) {
        ngx_http_push_approval_metric(zone,
                                      NGX_HTTP_PUSH_APPROVAL_M_CB_ACCEPTED,
                                      1);

    } else {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "push approval: callback for an unknown or decided "
                       "approval, or one of another account: \"%V\"", id);

        ngx_http_push_approval_metric(zone,
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

static ngx_int_t
ngx_http_push_approval_callback_header(ngx_http_request_t *r, char *name,
    size_t len, ngx_str_t *value)
{
    ngx_uint_t        i, found;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

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

static ngx_uint_t
ngx_http_push_approval_callback_type(ngx_http_request_t *r, char *type,
    size_t len)
{
    ngx_str_t  *ct;

    if (r->headers_in.content_type == NULL) {
        return 0;
    }

    ct = &r->headers_in.content_type->value;

    if (ct->len < len
        || ngx_strncasecmp(ct->data, (u_char *) type, len) != 0)
    {
        return 0;
    }

    return ct->len == len || ct->data[len] == ';' || ct->data[len] == ' ';
}


/* NGX_DECLINED: not a valid form */

static ngx_int_t
ngx_http_push_approval_callback_form(ngx_http_request_t *r, ngx_str_t *data,
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

static ngx_int_t
ngx_http_push_approval_callback_fields(ngx_http_push_approval_param_t *params,
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


/* string fields of a JSON object by dotted path, copied to the pool */

static ngx_int_t
ngx_http_push_approval_callback_json(ngx_pool_t *pool, ngx_str_t *body,
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
