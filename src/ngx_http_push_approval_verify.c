
/*
 * Copyright (C) push approval module developers
 *
 * The Twilio Verify Push dialect: challenge and factor requests and their
 * credentials, what Verify's answers and webhooks mean, the enrolment
 * answer, and what a location using Verify must configure.
 */


#include "ngx_http_push_approval.h"
#include "ngx_http_push_approval_provider.h"


/* a Verify delivery is remembered this long to answer repeats */
#define NGX_HTTP_PUSH_APPROVAL_VERIFY_REPEAT_TTL  3600

/* webhook fields of interest */
#define NGX_HTTP_PUSH_APPROVAL_VERIFY_TYPE        0
#define NGX_HTTP_PUSH_APPROVAL_VERIFY_SID         1
#define NGX_HTTP_PUSH_APPROVAL_VERIFY_SID2        2
#define NGX_HTTP_PUSH_APPROVAL_VERIFY_UUID        3
#define NGX_HTTP_PUSH_APPROVAL_VERIFY_FIELDS      4

/* the fields of an answer, as verify_parse() lists them */
#define NGX_HTTP_PUSH_APPROVAL_VA_SID             0
#define NGX_HTTP_PUSH_APPROVAL_VA_STATUS          1
#define NGX_HTTP_PUSH_APPROVAL_VA_EXPIRES         2
#define NGX_HTTP_PUSH_APPROVAL_VA_TOKEN           3
#define NGX_HTTP_PUSH_APPROVAL_VA_CODE            4
#define NGX_HTTP_PUSH_APPROVAL_VA_MESSAGE         5
#define NGX_HTTP_PUSH_APPROVAL_VA_FACTOR_SID      8


static ngx_http_push_approval_provider_identity_t
    ngx_http_push_approval_verify_identity;
static ngx_http_push_approval_provider_create_t
    ngx_http_push_approval_verify_create;
static ngx_http_push_approval_provider_status_t
    ngx_http_push_approval_verify_status;
static ngx_http_push_approval_provider_lookup_t
    ngx_http_push_approval_verify_factors;
static ngx_http_push_approval_provider_enroll_t
    ngx_http_push_approval_verify_enroll;
static ngx_http_push_approval_provider_parse_t
    ngx_http_push_approval_verify_parse;
static ngx_int_t ngx_http_push_approval_verify_json(ngx_pool_t *pool,
    ngx_array_t *form, char *name, ngx_array_t *params, size_t max_label,
    size_t max_value, size_t max);
static ngx_http_push_approval_provider_authorize_t
    ngx_http_push_approval_verify_authorize;
static ngx_http_push_approval_provider_webhook_t
    ngx_http_push_approval_verify_webhook;
static ngx_http_push_approval_provider_enrolled_t
    ngx_http_push_approval_verify_enrolled;
static ngx_http_push_approval_provider_check_t
    ngx_http_push_approval_verify_check_create;
static ngx_http_push_approval_provider_missing_t
    ngx_http_push_approval_verify_missing_calls;
static ngx_http_push_approval_provider_missing_t
    ngx_http_push_approval_verify_missing_webhook;
static ngx_http_push_approval_provider_binding_t
    ngx_http_push_approval_verify_binding;
static ngx_http_push_approval_provider_account_t
    ngx_http_push_approval_verify_account;
static ngx_int_t ngx_http_push_approval_verify_sid(u_char *p, size_t len);


static char  *ngx_http_push_approval_verify_names[] = {
    "type", "challenge_sid", "sid", "uuid", NULL
};


ngx_http_push_approval_provider_t  ngx_http_push_approval_verify = {
    ngx_string("verify"),                       /* name */
    NGX_HTTP_PUSH_APPROVAL_M_PUSHES_VERIFY,     /* push metric */
    ngx_http_push_approval_verify_identity,     /* valid identity */
    ngx_http_push_approval_verify_create,       /* create */
    ngx_http_push_approval_verify_status,       /* status */
    ngx_http_push_approval_verify_factors,      /* factors */
    ngx_http_push_approval_verify_enroll,       /* enroll */
    ngx_http_push_approval_verify_parse,        /* parse answers */
    ngx_http_push_approval_verify_factors,      /* devices */
    ngx_http_push_approval_verify_authorize,    /* auth header */
    ngx_http_push_approval_verify_webhook,      /* webhook */
    NGX_HTTP_POST,                              /* webhook methods */
    ngx_http_push_approval_verify_enrolled,     /* enrolment answer */
    ngx_http_push_approval_verify_check_create, /* nginx -t: creating */
    ngx_http_push_approval_verify_missing_calls, /* nginx -t: calls */
    ngx_http_push_approval_verify_missing_webhook, /* nginx -t: webhook */
    ngx_http_push_approval_verify_binding,      /* cookie binding */
    ngx_http_push_approval_verify_account       /* account */
};


/* 8 to 64 letters, digits and "-" */

static ngx_int_t
ngx_http_push_approval_verify_identity(ngx_str_t *identity)
{
    u_char  *p, *last;

    /* letters, digits and "-", a bit per character as in ngx_escape_uri() */

    static uint32_t  allowed[] = {
        0x00000000, /* control characters */

                    /* ?>=< ;:98 7654 3210  /.-, +*)( '&%$ #"!  */
        0x03ff2000, /* 0000 0011 1111 1111  0010 0000 0000 0000 */

                    /* _^]\ [ZYX WVUT SRQP  ONML KJIH GFED CBA@ */
        0x07fffffe, /* 0000 0111 1111 1111  1111 1111 1111 1110 */

                    /*  ~}| {zyx wvut srqp  onml kjih gfed cba` */
        0x07fffffe, /* 0000 0111 1111 1111  1111 1111 1111 1110 */

        0x00000000, 0x00000000, 0x00000000, 0x00000000
    };

    if (identity->len < 8 || identity->len > 64) {
        return NGX_DECLINED;
    }

    last = identity->data + identity->len;

    for (p = identity->data; p < last; p++) {
        if (!(allowed[*p >> 5] & (1U << (*p & 0x1f)))) {
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_push_approval_verify_create(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf,
    ngx_http_push_approval_request_t *pr, ngx_str_t *uri, ngx_str_t *body)
{
    ngx_tm_t                         tm;
    ngx_str_t                        date;
    ngx_uint_t                       i;
    ngx_array_t                      params, one;
    ngx_http_push_approval_param_t  *d;

    if (ngx_http_push_approval_form_start(r->pool, plcf, uri, &params, 8,
                                "v2/Services/%V/Entities/%V/Challenges",
                                &plcf->verify_service, &pr->identity)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_http_push_approval_form_add(r->pool, &params, "FactorSid",
                                        &pr->factor)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* at most 256 characters */

    if (ngx_http_push_approval_form_text(r->pool, &params, "Details.Message",
                                         &pr->message, 256)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* one JSON object per field: label at most 36, value at most 128 */

    d = pr->details.elts;

    for (i = 0; i < pr->details.nelts && i < 20; i++) {
        one.elts = &d[i];
        one.nelts = 1;

        if (ngx_http_push_approval_verify_json(r->pool, &params,
                                               "Details.Fields", &one,
                                               36, 128, 0)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if (pr->hidden_details.nelts
        && ngx_http_push_approval_verify_json(r->pool, &params,
                                              "HiddenDetails",
                                              &pr->hidden_details, 0, 0, 1024)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_gmtime(pr->expires, &tm);

    date.data = ngx_pnalloc(r->pool, sizeof("2026-01-01T00:00:00Z") - 1);
    if (date.data == NULL) {
        return NGX_ERROR;
    }

    date.len = ngx_sprintf(date.data, "%4d-%02d-%02dT%02d:%02d:%02dZ",
                           tm.ngx_tm_year, tm.ngx_tm_mon, tm.ngx_tm_mday,
                           tm.ngx_tm_hour, tm.ngx_tm_min, tm.ngx_tm_sec)
               - date.data;

    return ngx_http_push_approval_form_end(r->pool, &params,
                                           "ExpirationDate", &date, body);
}


/*
 * a form parameter of JSON: {"label":"L","value":"V"} for one field
 * (max_label, max_value), or one object of all names and values, cut to
 * max bytes as a whole (max)
 */

static ngx_int_t
ngx_http_push_approval_verify_json(ngx_pool_t *pool, ngx_array_t *form,
    char *name, ngx_array_t *params, size_t max_label, size_t max_value,
    size_t max)
{
    u_char                          *p, *start;
    size_t                           len;
    ngx_str_t                        json;
    ngx_uint_t                       i;
    ngx_http_push_approval_param_t  *d;

    d = params->elts;
    len = 2;

    for (i = 0; i < params->nelts; i++) {
        len += 6 * (d[i].name.len + d[i].value.len)
               + sizeof("{\"label\":\"\",\"value\":\"\"},");
    }

    json.data = ngx_pnalloc(pool, len);
    if (json.data == NULL) {
        return NGX_ERROR;
    }

    p = json.data;

    if (max == 0) {
        p = ngx_cpymem(p, "{\"label\":\"", sizeof("{\"label\":\"") - 1);
        p += ngx_http_push_approval_json_escape(p, &d[0].name, max_label);
        p = ngx_cpymem(p, "\",\"value\":\"", sizeof("\",\"value\":\"") - 1);
        p += ngx_http_push_approval_json_escape(p, &d[0].value, max_value);
        p = ngx_cpymem(p, "\"}", 2);

        json.len = p - json.data;

        return ngx_http_push_approval_form_add(pool, form, name, &json);
    }

    *p++ = '{';

    for (i = 0; i < params->nelts; i++) {
        start = p;

        if (i) {
            *p++ = ',';
        }

        *p++ = '"';
        p += ngx_http_push_approval_json_escape(p, &d[i].name, 256);
        *p++ = '"';
        *p++ = ':';
        *p++ = '"';
        p += ngx_http_push_approval_json_escape(p, &d[i].value, 256);
        *p++ = '"';

        if ((size_t) (p - json.data) + 1 > max) {
            /* leave out what does not fit */
            p = start;
            break;
        }
    }

    *p++ = '}';

    json.len = p - json.data;

    return ngx_http_push_approval_form_add(pool, form, name, &json);
}


static ngx_int_t
ngx_http_push_approval_verify_status(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf, ngx_str_t *identity,
    ngx_str_t *id, ngx_str_t *uri)
{
    return ngx_http_push_approval_path(r->pool, plcf, uri,
                                 "v2/Services/%V/Entities/%V/Challenges/%V",
                                 &plcf->verify_service, identity, id);
}


static ngx_int_t
ngx_http_push_approval_verify_factors(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf, ngx_str_t *identity,
    ngx_str_t *uri)
{
    return ngx_http_push_approval_path(r->pool, plcf, uri,
                                       "v2/Services/%V/Entities/%V/Factors",
                                       &plcf->verify_service, identity);
}


static ngx_int_t
ngx_http_push_approval_verify_enroll(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf, ngx_str_t *identity,
    ngx_str_t *uri, ngx_str_t *body)
{
    ngx_str_t    push;
    ngx_array_t  params;

    if (ngx_http_push_approval_form_start(r->pool, plcf, uri, &params, 2,
                                "v2/Services/%V/AccessTokens",
                                &plcf->verify_service)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_str_set(&push, "push");

    if (ngx_http_push_approval_form_add(r->pool, &params, "Identity",
                                        identity)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_push_approval_form_end(r->pool, &params, "FactorType",
                                           &push, body);
}


static time_t
ngx_http_push_approval_parse_iso8601(ngx_str_t *s)
{
    u_char    buf[sizeof("Sun, 01 Jan 2026 00:00:00 GMT")];
    u_char   *p;
    time_t    t;
    ngx_uint_t  mon;

    static const char  *months[] = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun",
        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
    };

    /* YYYY-MM-DDTHH:MM:SSZ, rewritten for ngx_parse_http_time() */

    if (s->len != 20 || s->data[4] != '-' || s->data[10] != 'T'
        || s->data[19] != 'Z')
    {
        return NGX_ERROR;
    }

    mon = (s->data[5] - '0') * 10 + (s->data[6] - '0');

    if (mon < 1 || mon > 12) {
        return NGX_ERROR;
    }

    p = ngx_sprintf(buf, "Mon, %*s %s %*s %*s GMT",
                    (size_t) 2, s->data + 8, months[mon - 1],
                    (size_t) 4, s->data, (size_t) 8, s->data + 11);

    t = ngx_parse_http_time(buf, p - buf);

    return t;
}


static void
ngx_http_push_approval_verify_parse(ngx_pool_t *pool, ngx_uint_t op,
    ngx_http_push_approval_call_t *call, ngx_http_push_approval_answer_t *ans)
{
    ngx_int_t                             rc;
    ngx_str_t                             s, code;
    ngx_http_push_approval_json_field_t  *f;
    ngx_http_push_approval_json_answer_t  json;
    ngx_http_push_approval_json_field_t   fields[] = {
        ngx_http_push_approval_json_field("sid"),
        ngx_http_push_approval_json_field("status"),
        ngx_http_push_approval_json_field("expiration_date"),
        ngx_http_push_approval_json_field("token"),
        ngx_http_push_approval_json_field("code"),
        ngx_http_push_approval_json_field("message"),
        ngx_http_push_approval_json_want("factors[].factor_type", "push"),
        ngx_http_push_approval_json_want("factors[].status", "verified"),
        ngx_http_push_approval_json_field("factors[].sid"),
        ngx_http_push_approval_json_field(NULL)
    };

    f = fields;
    json.fields = f;
    json.list = "factors";

    rc = ngx_http_push_approval_answer_json(pool, call, ans, &json);

    if (call->status < 200 || call->status > 299 || rc != NGX_OK) {

        ngx_http_push_approval_answer_failed(pool, ans, call,
                             (rc == NGX_OK) ? &f[NGX_HTTP_PUSH_APPROVAL_VA_CODE]
                                            : NULL,
                             &f[NGX_HTTP_PUSH_APPROVAL_VA_MESSAGE], &code);

        if (call->status == NGX_HTTP_NOT_FOUND
            && (op == NGX_HTTP_PUSH_APPROVAL_OP_CREATE
                || op == NGX_HTTP_PUSH_APPROVAL_OP_FACTORS))
        {
            ans->result = NGX_HTTP_PUSH_APPROVAL_R_NOT_FOUND;
        }

        goto done;
    }

    switch (op) {

    case NGX_HTTP_PUSH_APPROVAL_OP_FACTORS:
        if (!json.found) {
            /* no verified push factor: the identity cannot be asked */
            ans->result = NGX_HTTP_PUSH_APPROVAL_R_NOT_FOUND;
            goto done;
        }

        s = f[NGX_HTTP_PUSH_APPROVAL_VA_FACTOR_SID].value;
        break;

    case NGX_HTTP_PUSH_APPROVAL_OP_ENROLL:
        ngx_http_push_approval_answer_token(pool, ans,
                                        &f[NGX_HTTP_PUSH_APPROVAL_VA_TOKEN]);
        goto done;

    default: /* create, status */
        if (ngx_http_push_approval_json_text(
                &f[NGX_HTTP_PUSH_APPROVAL_VA_EXPIRES], &s)
            == NGX_OK)
        {
            ans->expires = ngx_http_push_approval_parse_iso8601(&s);
            if (ans->expires == NGX_ERROR) {
                ans->expires = 0;
            }
        }

        if (ngx_http_push_approval_answer_status(ans,
                                       &f[NGX_HTTP_PUSH_APPROVAL_VA_STATUS])
            != NGX_OK)
        {
            goto done;
        }

        if (ngx_http_push_approval_json_text(
                &f[NGX_HTTP_PUSH_APPROVAL_VA_SID], &s)
            != NGX_OK)
        {
            ngx_str_set(&ans->error, "no sid in the answer");
            goto done;
        }

        break;
    }

    (void) ngx_http_push_approval_answer_id(pool, ans, &s);

done:

    ngx_http_push_approval_answer_free(pool, &json);
}


/*
 * A Verify webhook: a form, or JSON when the signed URL carries the body's
 * hash, signed with the account's auth token (X-Twilio-Signature); its
 * event decides the challenge, its uuid tells repeated deliveries.
 */

static ngx_int_t
ngx_http_push_approval_verify_webhook(ngx_http_push_approval_webhook_t *wh)
{
    ngx_int_t                        rc, n;
    ngx_str_t                        sig;
    ngx_str_t                        v[NGX_HTTP_PUSH_APPROVAL_VERIFY_FIELDS];
    ngx_uint_t                       json;
    ngx_http_request_t              *r;
    ngx_http_push_approval_param_t  *params;

    r = wh->request;

    if (ngx_http_push_approval_webhook_header(r, "X-Twilio-Signature", &sig)
        != NGX_OK)
    {
        return ngx_http_push_approval_webhook_reject(wh,
                                   NGX_HTTP_PUSH_APPROVAL_M_CB_BAD_SIG,
                                   NGX_HTTP_UNAUTHORIZED,
                                   "callback without signature");
    }

    /* the JSON variant signs the URL carrying the body's hash */

    json = ngx_http_push_approval_webhook_body_hash(&wh->url);

    params = NULL;
    n = 0;

    if (!json) {
        if (!ngx_http_push_approval_webhook_type(r,
                                        "application/x-www-form-urlencoded"))
        {
            return ngx_http_push_approval_webhook_reject(wh,
                                   NGX_HTTP_PUSH_APPROVAL_M_CB_MALFORMED,
                                   NGX_HTTP_BAD_REQUEST,
                                   "callback body is no form");
        }

        n = ngx_http_push_approval_webhook_form(r, &wh->body, &params);

        if (n == NGX_ERROR) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (n == NGX_DECLINED) {
            return ngx_http_push_approval_webhook_malformed(wh);
        }
    }

    rc = ngx_http_push_approval_twilio_check(&wh->conf->auth_token, &wh->url,
                                             params, n, &wh->body, &sig);

    rc = ngx_http_push_approval_webhook_signed(wh, rc);
    if (rc != NGX_OK) {
        return rc;
    }

    if (json) {
        rc = ngx_http_push_approval_webhook_json(r->pool, &wh->body,
                                    ngx_http_push_approval_verify_names, v);
    } else {
        rc = ngx_http_push_approval_webhook_fields(params, n,
                                    ngx_http_push_approval_verify_names, v);
    }

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc == NGX_DECLINED) {
        return ngx_http_push_approval_webhook_malformed(wh);
    }

    /* a repeated delivery is answered, not acted on again */

    if (v[NGX_HTTP_PUSH_APPROVAL_VERIFY_UUID].len) {
        wh->replay = v[NGX_HTTP_PUSH_APPROVAL_VERIFY_UUID];
        wh->signature = sig;
        wh->replay_expires = ngx_time()
                             + NGX_HTTP_PUSH_APPROVAL_VERIFY_REPEAT_TTL;
        wh->repeat_ok = 1;
    }

    wh->what = "callback event";
    wh->event = v[NGX_HTTP_PUSH_APPROVAL_VERIFY_TYPE];
    wh->state = ngx_http_push_approval_webhook_state(&wh->event,
                                                     "challenge.approved",
                                                     "challenge.denied");

    wh->id = v[NGX_HTTP_PUSH_APPROVAL_VERIFY_SID];

    if (wh->id.len == 0) {
        wh->id = v[NGX_HTTP_PUSH_APPROVAL_VERIFY_SID2];
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_push_approval_verify_authorize(ngx_http_request_t *sr,
    ngx_http_push_approval_loc_conf_t *plcf)
{
    return ngx_http_push_approval_call_header(sr, "Authorization",
                                              &plcf->basic_auth);
}


/* the names of the SPEC, and those Twilio's sample apps read */

static u_char *
ngx_http_push_approval_verify_enrolled(u_char *p,
    ngx_http_push_approval_loc_conf_t *plcf)
{
    return ngx_sprintf(p, "\",\"service_sid\":\"%V\",\"factor_type\":\"push\""
                       ",\"serviceSid\":\"%V\",\"factorType\":\"push\""
                       ",\"token\":\"", &plcf->verify_service,
                       &plcf->verify_service);
}


/* a Verify challenge expires at most 60 minutes after its creation */

static char *
ngx_http_push_approval_verify_check_create(ngx_conf_t *cf,
    ngx_http_push_approval_loc_conf_t *plcf)
{
    if (plcf->timeout <= 3600000) {
        return NGX_CONF_OK;
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "\"push_approval_timeout\" must be at most 1h with "
                       "the verify provider (the longest expiry of a "
                       "Verify challenge)");
    return NGX_CONF_ERROR;
}


static char *
ngx_http_push_approval_verify_missing_calls(
    ngx_http_push_approval_loc_conf_t *plcf)
{
    if (plcf->basic_auth.len == 0) {
        return "push_approval_verify_credentials_file";
    }

    return plcf->verify_service.len ? NULL : "push_approval_verify_service";
}


/* the account's auth token signs webhooks */

static char *
ngx_http_push_approval_verify_missing_webhook(
    ngx_http_push_approval_loc_conf_t *plcf)
{
    return plcf->auth_token.len ? NULL
                                : "\"push_approval_verify_credentials_file\" "
                                  "with the account's auth token";
}


static void
ngx_http_push_approval_verify_binding(ngx_http_push_approval_loc_conf_t *plcf,
    ngx_str_t *part)
{
    *part = plcf->verify_service;
}


/* the auth token that signs its webhooks, and the service */

static void
ngx_http_push_approval_verify_account(ngx_http_push_approval_loc_conf_t *plcf,
    u_char *account)
{
    u_char  key[NGX_HTTP_PUSH_APPROVAL_KEY_SIZE];

    ngx_http_push_approval_key(key, 0, &ngx_http_push_approval_verify.name,
                               &plcf->auth_token, &plcf->verify_service);

    ngx_memcpy(account, key, NGX_HTTP_PUSH_APPROVAL_ACCOUNT);
}


/* push_approval_verify_service: a Verify service SID */

char *
ngx_http_push_approval_verify_service_sid(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_push_approval_loc_conf_t *plcf = conf;

    u_char      c;
    ngx_str_t  *value;
    ngx_uint_t  i;

    if (plcf->verify_service.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    for (i = 2; i < value[1].len; i++) {
        c = value[1].data[i] | 0x20;

        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            break;
        }
    }

    if (value[1].len != 34 || ngx_strncmp(value[1].data, "VA", 2) != 0
        || i != value[1].len)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid \"%V\" SID \"%V\", expected \"VA\" "
                           "and 32 hex digits", &cmd->name, &value[1]);
        return NGX_CONF_ERROR;
    }

    plcf->verify_service = value[1];

    return NGX_CONF_OK;
}


/*
 * push_approval_verify_credentials_file: "ACCOUNT_SID:AUTH_TOKEN", or
 * "API_KEY_SID:SECRET" and the auth token on line 2
 */

char *
ngx_http_push_approval_verify_credentials_file(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf)
{
    ngx_http_push_approval_loc_conf_t *plcf = conf;

    u_char       *p, *colon;
    ngx_str_t    *line, plain;
    ngx_array_t  *lines;

    lines = ngx_http_push_approval_secret_lines(cf, cmd, &plcf->basic_auth,
                                                &plcf->credentials_file);
    if (lines == NULL) {
        return NGX_CONF_ERROR;
    }

    line = lines->elts;

    colon = ngx_strlchr(line[0].data, line[0].data + line[0].len, ':');

    if (colon == NULL || colon == line[0].data
        || colon == line[0].data + line[0].len - 1
        || line[0].len < 4
        || (ngx_strncmp(line[0].data, "AC", 2) != 0
            && ngx_strncmp(line[0].data, "SK", 2) != 0))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": line 1 of \"%V\" must be "
                           "\"ACCOUNT_SID:AUTH_TOKEN\" or "
                           "\"API_KEY_SID:SECRET\"", &cmd->name,
                           &plcf->credentials_file);
        return NGX_CONF_ERROR;
    }

    if (ngx_http_push_approval_verify_sid(line[0].data, colon - line[0].data)
        != NGX_OK)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": line 1 of \"%V\" must start with an "
                           "account SID (\"AC\") or API key SID (\"SK\") "
                           "of 32 hex digits before the \":\"",
                           &cmd->name, &plcf->credentials_file);
        return NGX_CONF_ERROR;
    }

    if (line[0].data[0] == 'A') {
        /* the account's auth token signs webhooks */
        plcf->auth_token.data = colon + 1;
        plcf->auth_token.len = line[0].data + line[0].len - colon - 1;

    } else if (lines->nelts > 1) {
        plcf->auth_token = line[1];

    } else {
        ngx_str_null(&plcf->auth_token);
    }

    plain = line[0];

    plcf->basic_auth.len = sizeof("Basic ") - 1
                           + ngx_base64_encoded_length(plain.len);
    plcf->basic_auth.data = ngx_pnalloc(cf->pool, plcf->basic_auth.len);
    if (plcf->basic_auth.data == NULL) {
        return NGX_CONF_ERROR;
    }

    p = ngx_cpymem(plcf->basic_auth.data, "Basic ", sizeof("Basic ") - 1);

    plain.len = 0;
    plain.data = p;

    ngx_encode_base64(&plain, &line[0]);

    return NGX_CONF_OK;
}


/* a Twilio SID: two letters and 32 lower-case hex digits */

static ngx_int_t
ngx_http_push_approval_verify_sid(u_char *p, size_t len)
{
    size_t  i;

    if (len != 34) {
        return NGX_ERROR;
    }

    for (i = 2; i < len; i++) {
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f'))) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}
