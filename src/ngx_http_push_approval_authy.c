
/*
 * Copyright (C) push approval module developers
 *
 * The legacy Authy OneTouch dialect: approval requests and their API key,
 * what Authy's answers and callbacks mean, the enrolment answer, and what
 * a location using Authy must configure.
 */


#include "ngx_http_push_approval.h"
#include "ngx_http_push_approval_provider.h"


/* Authy replays without a nonce age check */
#define NGX_HTTP_PUSH_APPROVAL_AUTHY_REPLAY_TTL  86400

/* callback fields of interest */
#define NGX_HTTP_PUSH_APPROVAL_AUTHY_STATUS      0
#define NGX_HTTP_PUSH_APPROVAL_AUTHY_TX_UUID     1
#define NGX_HTTP_PUSH_APPROVAL_AUTHY_TX_STATUS   2
#define NGX_HTTP_PUSH_APPROVAL_AUTHY_UUID        3
#define NGX_HTTP_PUSH_APPROVAL_AUTHY_FIELDS      4

/* the fields of an answer, as authy_parse() lists them */
#define NGX_HTTP_PUSH_APPROVAL_AA_SUCCESS         0
#define NGX_HTTP_PUSH_APPROVAL_AA_UUID            1
#define NGX_HTTP_PUSH_APPROVAL_AA_STATUS          2
#define NGX_HTTP_PUSH_APPROVAL_AA_TOKEN           3
#define NGX_HTTP_PUSH_APPROVAL_AA_REGISTERED      4
#define NGX_HTTP_PUSH_APPROVAL_AA_CODE            5
#define NGX_HTTP_PUSH_APPROVAL_AA_MESSAGE         6


static ngx_http_push_approval_provider_identity_t
    ngx_http_push_approval_authy_identity;
static ngx_http_push_approval_provider_create_t
    ngx_http_push_approval_authy_create;
static ngx_http_push_approval_provider_status_t
    ngx_http_push_approval_authy_status;
static ngx_http_push_approval_provider_enroll_t
    ngx_http_push_approval_authy_enroll;
static ngx_http_push_approval_provider_lookup_t
    ngx_http_push_approval_authy_devices;
static ngx_http_push_approval_provider_parse_t
    ngx_http_push_approval_authy_parse;
static ngx_http_push_approval_provider_authorize_t
    ngx_http_push_approval_authy_authorize;
static ngx_http_push_approval_provider_webhook_t
    ngx_http_push_approval_authy_webhook;
static ngx_int_t ngx_http_push_approval_authy_params(
    ngx_http_push_approval_webhook_t *wh, ngx_str_t *v, ngx_str_t *canonical);
static ngx_http_push_approval_provider_enrolled_t
    ngx_http_push_approval_authy_enrolled;
static ngx_http_push_approval_provider_check_t
    ngx_http_push_approval_authy_check_create;
static ngx_http_push_approval_provider_missing_t
    ngx_http_push_approval_authy_missing_calls;
static ngx_http_push_approval_provider_missing_t
    ngx_http_push_approval_authy_missing_webhook;
static ngx_http_push_approval_provider_binding_t
    ngx_http_push_approval_authy_binding;
static ngx_http_push_approval_provider_account_t
    ngx_http_push_approval_authy_account;


static char  *ngx_http_push_approval_authy_names[] = {
    "status",
    "approval_request.transaction.uuid",
    "approval_request.transaction.status",
    "uuid",
    NULL
};

static char  *ngx_http_push_approval_authy_form_names[] = {
    "status",
    "approval_request[transaction][uuid]",
    "approval_request[transaction][status]",
    "uuid",
    NULL
};


ngx_http_push_approval_provider_t  ngx_http_push_approval_authy = {
    ngx_string("authy"),                        /* name */
    NGX_HTTP_PUSH_APPROVAL_M_PUSHES_AUTHY,      /* push metric */
    ngx_http_push_approval_authy_identity,      /* valid identity */
    ngx_http_push_approval_authy_create,        /* create */
    ngx_http_push_approval_authy_status,        /* status */
    NULL,                                       /* factors */
    ngx_http_push_approval_authy_enroll,        /* enroll */
    ngx_http_push_approval_authy_parse,         /* parse answers */
    ngx_http_push_approval_authy_devices,       /* devices */
    ngx_http_push_approval_authy_authorize,     /* auth header */
    ngx_http_push_approval_authy_webhook,       /* webhook */
    NGX_HTTP_POST|NGX_HTTP_GET,                 /* webhook methods */
    ngx_http_push_approval_authy_enrolled,      /* enrolment answer */
    ngx_http_push_approval_authy_check_create,  /* nginx -t: creating */
    ngx_http_push_approval_authy_missing_calls, /* nginx -t: calls */
    ngx_http_push_approval_authy_missing_webhook, /* nginx -t: webhook */
    ngx_http_push_approval_authy_binding,       /* cookie binding */
    ngx_http_push_approval_authy_account        /* account */
};


/* the Authy ID: a positive integer */

static ngx_int_t
ngx_http_push_approval_authy_identity(ngx_str_t *identity)
{
    u_char  *p, *last;

    if (identity->len == 0 || identity->len > 18 || identity->data[0] == '0')
    {
        return NGX_DECLINED;
    }

    last = identity->data + identity->len;

    for (p = identity->data; p < last; p++) {
        if (*p < '0' || *p > '9') {
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_push_approval_authy_create(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf,
    ngx_http_push_approval_request_t *pr, ngx_str_t *uri, ngx_str_t *body)
{
    ngx_str_t                        seconds, name, label;
    ngx_uint_t                       i, k;
    ngx_array_t                      params, *lists[2];
    ngx_http_push_approval_param_t  *d, *param;
    ngx_http_push_approval_logo_t   *logo;

    static char  *prefixes[] = { "details[", "hidden_details[" };

    if (ngx_http_push_approval_form_start(r->pool, plcf, uri, &params, 8,
                                "onetouch/json/users/%V/approval_requests",
                                &pr->identity)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_http_push_approval_form_text(r->pool, &params, "message",
                                         &pr->message, 144)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    lists[0] = &pr->details;
    lists[1] = &pr->hidden_details;

    for (k = 0; k < 2; k++) {
        d = lists[k]->elts;

        for (i = 0; i < lists[k]->nelts; i++) {
            /* labels of at most 20 characters */
            label = d[i].name;
            label.len = ngx_http_push_approval_utf8_prefix(&label, 20);

            name.len = ngx_strlen(prefixes[k]) + label.len + 1;
            name.data = ngx_pnalloc(r->pool, name.len + 1);
            if (name.data == NULL) {
                return NGX_ERROR;
            }

            (void) ngx_sprintf(name.data, "%s%V]%Z", prefixes[k], &label);

            param = ngx_array_push(&params);
            if (param == NULL) {
                return NGX_ERROR;
            }

            param->name = name;
            param->value = d[i].value;
        }
    }

    if (plcf->logos) {
        logo = plcf->logos->elts;

        for (i = 0; i < plcf->logos->nelts; i++) {
            if (ngx_http_push_approval_form_add(r->pool, &params,
                                                "logos[][res]", &logo[i].res)
                != NGX_OK
                || ngx_http_push_approval_form_add(r->pool, &params,
                                                   "logos[][url]",
                                                   &logo[i].url)
                   != NGX_OK)
            {
                return NGX_ERROR;
            }
        }
    }

    seconds.data = ngx_pnalloc(r->pool, NGX_TIME_T_LEN);
    if (seconds.data == NULL) {
        return NGX_ERROR;
    }

    seconds.len = ngx_sprintf(seconds.data, "%T",
                              ngx_max(pr->expires - ngx_time(), 1))
                  - seconds.data;

    return ngx_http_push_approval_form_end(r->pool, &params,
                                           "seconds_to_expire", &seconds,
                                           body);
}


static ngx_int_t
ngx_http_push_approval_authy_status(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf, ngx_str_t *identity,
    ngx_str_t *id, ngx_str_t *uri)
{
    return ngx_http_push_approval_path(r->pool, plcf, uri,
                                       "onetouch/json/approval_requests/%V",
                                       id);
}


static ngx_int_t
ngx_http_push_approval_authy_enroll(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf, ngx_str_t *identity,
    ngx_str_t *uri, ngx_str_t *body)
{
    ngx_array_t  params;

    if (ngx_http_push_approval_form_start(r->pool, plcf, uri, &params, 1,
                                "protected/json/sdk/registrations")
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* authy_id, as Twilio's own SDK backend sends it (not user_id) */

    return ngx_http_push_approval_form_end(r->pool, &params, "authy_id",
                                           identity, body);
}


static ngx_int_t
ngx_http_push_approval_authy_devices(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf, ngx_str_t *identity,
    ngx_str_t *uri)
{
    return ngx_http_push_approval_path(r->pool, plcf, uri,
                                       "protected/json/users/%V/status",
                                       identity);
}


static void
ngx_http_push_approval_authy_parse(ngx_pool_t *pool, ngx_uint_t op,
    ngx_http_push_approval_call_t *call, ngx_http_push_approval_answer_t *ans)
{
    ngx_int_t                             rc;
    ngx_str_t                             s, code;
    ngx_http_push_approval_json_field_t  *f;
    ngx_http_push_approval_json_answer_t  json;
    ngx_http_push_approval_json_field_t   fields[] = {
        ngx_http_push_approval_json_field("success"),
        ngx_http_push_approval_json_field("approval_request.uuid"),
        ngx_http_push_approval_json_field("approval_request.status"),
        ngx_http_push_approval_json_field("registration_token"),
        ngx_http_push_approval_json_field("status.registered"),
        ngx_http_push_approval_json_field("error_code"),
        ngx_http_push_approval_json_field("message"),
        ngx_http_push_approval_json_field(NULL)
    };

    f = fields;
    json.fields = f;
    json.list = NULL;

    rc = ngx_http_push_approval_answer_json(pool, call, ans, &json);

    /*
     * a 200 with "success": false is an error too; an SDK registration is
     * documented to carry registration_token only: "success" is not needed
     * there, but "false" still fails
     */

    if (call->status < 200 || call->status > 299 || rc != NGX_OK
        || (ngx_http_push_approval_json_true(
                &f[NGX_HTTP_PUSH_APPROVAL_AA_SUCCESS])
            != NGX_OK
            && (op != NGX_HTTP_PUSH_APPROVAL_OP_ENROLL
                || f[NGX_HTTP_PUSH_APPROVAL_AA_SUCCESS].type
                   != NGX_HTTP_PUSH_APPROVAL_JSON_ABSENT)))
    {
        ngx_http_push_approval_answer_failed(pool, ans, call,
                             (rc == NGX_OK) ? &f[NGX_HTTP_PUSH_APPROVAL_AA_CODE]
                                            : NULL,
                             &f[NGX_HTTP_PUSH_APPROVAL_AA_MESSAGE], &code);

        /* "user not found" means the identity cannot be asked */

        if ((op == NGX_HTTP_PUSH_APPROVAL_OP_CREATE
             || op == NGX_HTTP_PUSH_APPROVAL_OP_FACTORS)
            && ((code.len == 5 && ngx_strncmp(code.data, "60026", 5) == 0)
                || (call->status == NGX_HTTP_NOT_FOUND && rc != NGX_OK)))
        {
            ans->result = NGX_HTTP_PUSH_APPROVAL_R_NOT_FOUND;
        }

        if (ans->result == NGX_HTTP_PUSH_APPROVAL_R_ERROR
            && call->status >= 200 && call->status <= 299 && rc == NGX_OK)
        {
            /* a parsable answer without "success": true refuses */
            ans->result = NGX_HTTP_PUSH_APPROVAL_R_REFUSED;
        }

        goto done;
    }

    switch (op) {

    case NGX_HTTP_PUSH_APPROVAL_OP_ENROLL:
        ngx_http_push_approval_answer_token(pool, ans,
                                        &f[NGX_HTTP_PUSH_APPROVAL_AA_TOKEN]);
        goto done;

    case NGX_HTTP_PUSH_APPROVAL_OP_CREATE:
        ans->state = NGX_HTTP_PUSH_APPROVAL_PENDING;
        break;

    case NGX_HTTP_PUSH_APPROVAL_OP_FACTORS:
        /* the user status: a device registered, or none yet */
        ans->result = (ngx_http_push_approval_json_true(
                           &f[NGX_HTTP_PUSH_APPROVAL_AA_REGISTERED])
                       == NGX_OK)
                      ? NGX_HTTP_PUSH_APPROVAL_R_OK
                      : NGX_HTTP_PUSH_APPROVAL_R_NOT_FOUND;
        goto done;

    default: /* status */
        if (ngx_http_push_approval_answer_status(ans,
                                       &f[NGX_HTTP_PUSH_APPROVAL_AA_STATUS])
            != NGX_OK)
        {
            goto done;
        }

        break;
    }

    if (ngx_http_push_approval_json_text(&f[NGX_HTTP_PUSH_APPROVAL_AA_UUID],
                                         &s)
        != NGX_OK)
    {
        ngx_str_set(&ans->error, "no uuid in the answer");
        goto done;
    }

    (void) ngx_http_push_approval_answer_id(pool, ans, &s);

done:

    ngx_http_push_approval_answer_free(pool, &json);
}


/*
 * An Authy callback: JSON, a form, or a query string (GET), signed with
 * the API key over the nonce, method, URL and canonical parameters; the
 * nonce is the signing time and is never accepted twice.
 */

static ngx_int_t
ngx_http_push_approval_authy_webhook(ngx_http_push_approval_webhook_t *wh)
{
    time_t               nonce_time, now, max_age;
    ngx_int_t            rc;
    ngx_str_t            sig, nonce, canonical, *status;
    ngx_str_t            v[NGX_HTTP_PUSH_APPROVAL_AUTHY_FIELDS];
    ngx_http_request_t  *r;

    r = wh->request;

    if (ngx_http_push_approval_webhook_header(r, "X-Authy-Signature", &sig)
        != NGX_OK
        || ngx_http_push_approval_webhook_header(r, "X-Authy-Signature-Nonce",
                                                 &nonce)
           != NGX_OK)
    {
        return ngx_http_push_approval_webhook_reject(wh,
                                   NGX_HTTP_PUSH_APPROVAL_M_CB_BAD_SIG,
                                   NGX_HTTP_UNAUTHORIZED,
                                   "callback without signature");
    }

    rc = ngx_http_push_approval_authy_params(wh, v, &canonical);
    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_http_push_approval_authy_check(&wh->conf->api_key, &nonce,
                                            &r->method_name, &wh->url,
                                            &canonical, &sig);

    rc = ngx_http_push_approval_webhook_signed(wh, rc);
    if (rc != NGX_OK) {
        return rc;
    }

    /* the nonce is the signing time: unix seconds */

    now = ngx_time();
    max_age = wh->conf->callback_max_age;

    wh->replay = nonce;
    wh->signature = sig;
    wh->replay_expires = now + NGX_HTTP_PUSH_APPROVAL_AUTHY_REPLAY_TTL;

    if (max_age) {
        nonce_time = (nonce.len <= 12) ? ngx_atotm(nonce.data, nonce.len)
                                       : NGX_ERROR;

        if (nonce_time == NGX_ERROR
            || nonce_time < now - max_age
            || nonce_time > now + max_age)
        {
            return ngx_http_push_approval_webhook_reject(wh,
                                   NGX_HTTP_PUSH_APPROVAL_M_CB_STALE,
                                   NGX_HTTP_UNAUTHORIZED,
                                   "stale callback nonce");
        }

        /* older ones are refused as stale anyway */
        wh->replay_expires = nonce_time + max_age + 1;
    }

    wh->id = v[NGX_HTTP_PUSH_APPROVAL_AUTHY_UUID];

    if (wh->id.len == 0) {
        wh->id = v[NGX_HTTP_PUSH_APPROVAL_AUTHY_TX_UUID];
    }

    status = &v[NGX_HTTP_PUSH_APPROVAL_AUTHY_STATUS];

    if (status->len == 0) {
        status = &v[NGX_HTTP_PUSH_APPROVAL_AUTHY_TX_STATUS];
    }

    wh->what = "callback status";
    wh->event = *status;
    wh->state = ngx_http_push_approval_webhook_state(status, "approved",
                                                     "denied");

    return NGX_OK;
}


/*
 * the parameters (a JSON or form body, or the query string): the fields
 * of interest and the canonical form that is signed
 */

static ngx_int_t
ngx_http_push_approval_authy_params(ngx_http_push_approval_webhook_t *wh,
    ngx_str_t *v, ngx_str_t *canonical)
{
    u_char                          *buf;
    size_t                           size;
    ssize_t                          len;
    ngx_int_t                        rc, n;
    ngx_str_t                       *data;
    ngx_http_request_t              *r;
    ngx_http_push_approval_param_t  *params;

    r = wh->request;
    params = NULL;
    n = 0;
    data = (r->method & NGX_HTTP_GET) ? &r->args : &wh->body;

    if (r->method & NGX_HTTP_GET
        || ngx_http_push_approval_webhook_type(r,
                                        "application/x-www-form-urlencoded"))
    {
        n = ngx_http_push_approval_webhook_form(r, data, &params);

        if (n == NGX_ERROR) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (n == NGX_DECLINED) {
            return ngx_http_push_approval_webhook_malformed(wh);
        }

    } else if (!ngx_http_push_approval_webhook_type(r, "application/json")) {
        return ngx_http_push_approval_webhook_reject(wh,
                                   NGX_HTTP_PUSH_APPROVAL_M_CB_MALFORMED,
                                   NGX_HTTP_BAD_REQUEST,
                                   "callback body is no JSON");
    }

    size = 8 * data->len + 4096;

    buf = ngx_pnalloc(r->pool, size);
    if (buf == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (params) {
        len = ngx_http_push_approval_authy_canonical_params(params, n, buf,
                                                            size);
        rc = ngx_http_push_approval_webhook_fields(params, n,
                                    ngx_http_push_approval_authy_form_names,
                                    v);
    } else {
        len = ngx_http_push_approval_authy_canonical_json(data->data,
                                                          data->len, buf,
                                                          size);
        rc = (len < 0) ? NGX_DECLINED
                       : ngx_http_push_approval_webhook_json(r->pool, data,
                                    ngx_http_push_approval_authy_names, v);
    }

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (len < 0 || rc == NGX_DECLINED) {
        return ngx_http_push_approval_webhook_malformed(wh);
    }

    canonical->data = buf;
    canonical->len = len;

    return NGX_OK;
}


static ngx_int_t
ngx_http_push_approval_authy_authorize(ngx_http_request_t *sr,
    ngx_http_push_approval_loc_conf_t *plcf)
{
    return ngx_http_push_approval_call_header(sr, "X-Authy-API-Key",
                                              &plcf->api_key);
}


static u_char *
ngx_http_push_approval_authy_enrolled(u_char *p,
    ngx_http_push_approval_loc_conf_t *plcf)
{
    return ngx_cpymem(p, "\",\"registration_token\":\"",
                      sizeof("\",\"registration_token\":\"") - 1);
}


/* Authy documents details keys of at most 20 characters */

static char *
ngx_http_push_approval_authy_check_create(ngx_conf_t *cf,
    ngx_http_push_approval_loc_conf_t *plcf)
{
    ngx_uint_t                        i;
    ngx_http_push_approval_detail_t  *d;

    if (plcf->details == NULL) {
        return NGX_CONF_OK;
    }

    d = plcf->details->elts;

    for (i = 0; i < plcf->details->nelts; i++) {
        if (ngx_utf8_length(d[i].label.data, d[i].label.len) > 20) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"push_approval_detail\" label \"%V\" "
                               "must be at most 20 characters with the "
                               "authy provider", &d[i].label);
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


/* the API key signs calls and callbacks */

static char *
ngx_http_push_approval_authy_missing_calls(
    ngx_http_push_approval_loc_conf_t *plcf)
{
    return plcf->api_key.len ? NULL : "push_approval_api_key_file";
}


static char *
ngx_http_push_approval_authy_missing_webhook(
    ngx_http_push_approval_loc_conf_t *plcf)
{
    return plcf->api_key.len ? NULL : "\"push_approval_api_key_file\"";
}


static void
ngx_http_push_approval_authy_binding(ngx_http_push_approval_loc_conf_t *plcf,
    ngx_str_t *part)
{
    part->len = 0;
    part->data = plcf->verify_service.data;
}


/* the API key that signs its callbacks */

static void
ngx_http_push_approval_authy_account(ngx_http_push_approval_loc_conf_t *plcf,
    u_char *account)
{
    u_char  key[NGX_HTTP_PUSH_APPROVAL_KEY_SIZE];

    ngx_http_push_approval_key(key, 0, &ngx_http_push_approval_authy.name,
                               &plcf->api_key, NULL);

    ngx_memcpy(account, key, NGX_HTTP_PUSH_APPROVAL_ACCOUNT);
}


/* push_approval_api_key_file: line 1 is the API key */

char *
ngx_http_push_approval_authy_api_key_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_push_approval_loc_conf_t *plcf = conf;

    ngx_str_t    *line;
    ngx_array_t  *lines;

    lines = ngx_http_push_approval_secret_lines(cf, cmd, &plcf->api_key,
                                                &plcf->api_key_file);
    if (lines == NULL) {
        return NGX_CONF_ERROR;
    }

    line = lines->elts;
    plcf->api_key = line[0];

    return NGX_CONF_OK;
}
