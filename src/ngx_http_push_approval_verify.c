
/*
 * Copyright (C) push approval module developers
 *
 * The Twilio Verify Push dialect: challenge and factor requests, and what
 * Verify's answers mean.
 */


#include "ngx_http_push_approval.h"


static ngx_int_t ngx_http_push_approval_verify_identity(ngx_str_t *identity);
static ngx_int_t ngx_http_push_approval_verify_create(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf,
    ngx_http_push_approval_request_t *pr, ngx_str_t *uri, ngx_str_t *body);
static ngx_int_t ngx_http_push_approval_verify_status(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf, ngx_str_t *identity,
    ngx_str_t *id, ngx_str_t *uri);
static ngx_int_t ngx_http_push_approval_verify_factors(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf, ngx_str_t *identity,
    ngx_str_t *uri);
static ngx_int_t ngx_http_push_approval_verify_enroll(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf, ngx_str_t *identity,
    ngx_str_t *uri, ngx_str_t *body);
static void ngx_http_push_approval_verify_parse(ngx_pool_t *pool,
    ngx_uint_t op, ngx_http_push_approval_call_t *call,
    ngx_http_push_approval_answer_t *ans);
static ngx_str_t *ngx_http_push_approval_json_object(ngx_pool_t *pool,
    ngx_array_t *params, size_t max_label, size_t max_value, size_t max);


ngx_http_push_approval_provider_t  ngx_http_push_approval_verify = {
    ngx_string("verify"),
    NGX_HTTP_PUSH_APPROVAL_M_PUSHES_VERIFY,
    ngx_http_push_approval_verify_identity,
    ngx_http_push_approval_verify_create,
    ngx_http_push_approval_verify_status,
    ngx_http_push_approval_verify_factors,
    ngx_http_push_approval_verify_enroll,
    ngx_http_push_approval_verify_parse,
    ngx_http_push_approval_verify_factors
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
    ngx_str_t                        message, *json, date;
    ngx_uint_t                       i;
    ngx_array_t                      params, one;
    ngx_http_push_approval_param_t  *d;

    if (ngx_http_push_approval_path(r->pool, plcf, uri,
                                    "v2/Services/%V/Entities/%V/Challenges",
                                    &plcf->verify_service, &pr->identity)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_array_init(&params, r->pool, 8,
                       sizeof(ngx_http_push_approval_param_t))
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

    message = pr->message;
    message.len = ngx_http_push_approval_utf8_prefix(&pr->message, 256);

    if (ngx_http_push_approval_form_add(r->pool, &params, "Details.Message",
                                        &message)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* one JSON object per field: label at most 36, value at most 128 */

    d = pr->details.elts;

    for (i = 0; i < pr->details.nelts && i < 20; i++) {
        one.elts = &d[i];
        one.nelts = 1;

        json = ngx_http_push_approval_json_object(r->pool, &one, 36, 128, 0);
        if (json == NULL) {
            return NGX_ERROR;
        }

        if (ngx_http_push_approval_form_add(r->pool, &params,
                                            "Details.Fields", json)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if (pr->hidden_details.nelts) {
        json = ngx_http_push_approval_json_object(r->pool,
                                                  &pr->hidden_details,
                                                  0, 0, 1024);
        if (json == NULL) {
            return NGX_ERROR;
        }

        if (ngx_http_push_approval_form_add(r->pool, &params,
                                            "HiddenDetails", json)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
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

    if (ngx_http_push_approval_form_add(r->pool, &params, "ExpirationDate",
                                        &date)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_push_approval_form_encode(r->pool, &params, body);
}


/*
 * {"label":"L","value":"V"} for one field (max_label, max_value), or one
 * object of all names and values, cut to max bytes as a whole (max)
 */

static ngx_str_t *
ngx_http_push_approval_json_object(ngx_pool_t *pool, ngx_array_t *params,
    size_t max_label, size_t max_value, size_t max)
{
    u_char                          *p, *start;
    size_t                           len;
    ngx_str_t                       *s;
    ngx_uint_t                       i;
    ngx_http_push_approval_param_t  *d;

    d = params->elts;
    len = 2;

    for (i = 0; i < params->nelts; i++) {
        len += 6 * (d[i].name.len + d[i].value.len)
               + sizeof("{\"label\":\"\",\"value\":\"\"},");
    }

    s = ngx_palloc(pool, sizeof(ngx_str_t));
    if (s == NULL) {
        return NULL;
    }

    s->data = ngx_pnalloc(pool, len);
    if (s->data == NULL) {
        return NULL;
    }

    p = s->data;

    if (max == 0) {
        p = ngx_cpymem(p, "{\"label\":\"", sizeof("{\"label\":\"") - 1);
        p += ngx_http_push_approval_json_escape(p, &d[0].name, max_label);
        p = ngx_cpymem(p, "\",\"value\":\"", sizeof("\",\"value\":\"") - 1);
        p += ngx_http_push_approval_json_escape(p, &d[0].value, max_value);
        p = ngx_cpymem(p, "\"}", 2);

        s->len = p - s->data;
        return s;
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

        if ((size_t) (p - s->data) + 1 > max) {
            /* leave out what does not fit */
            p = start;
            break;
        }
    }

    *p++ = '}';

    s->len = p - s->data;

    return s;
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

    if (ngx_http_push_approval_path(r->pool, plcf, uri,
                                    "v2/Services/%V/AccessTokens",
                                    &plcf->verify_service)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_array_init(&params, r->pool, 2,
                       sizeof(ngx_http_push_approval_param_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_str_set(&push, "push");

    if (ngx_http_push_approval_form_add(r->pool, &params, "Identity",
                                        identity)
        != NGX_OK
        || ngx_http_push_approval_form_add(r->pool, &params, "FactorType",
                                           &push)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_push_approval_form_encode(r->pool, &params, body);
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
    yajl_val    root;
    ngx_str_t   s, code, message;

    static const char  *sid_path[] = { "sid", NULL };
    static const char  *status_path[] = { "status", NULL };
    static const char  *expires_path[] = { "expiration_date", NULL };
    static const char  *token_path[] = { "token", NULL };
    static const char  *code_path[] = { "code", NULL };
    static const char  *message_path[] = { "message", NULL };

    ngx_memzero(ans, sizeof(ngx_http_push_approval_answer_t));
    ans->result = NGX_HTTP_PUSH_APPROVAL_R_ERROR;

    root = NULL;

    if (call->status && !call->truncated) {
        root = ngx_http_push_approval_json_parse(call->body.data,
                                                 call->body.len);
    }

    if (call->status < 200 || call->status > 299 || root == NULL) {

        if (call->status == NGX_HTTP_NOT_FOUND
            && (op == NGX_HTTP_PUSH_APPROVAL_OP_CREATE
                || op == NGX_HTTP_PUSH_APPROVAL_OP_FACTORS))
        {
            ans->result = NGX_HTTP_PUSH_APPROVAL_R_NOT_FOUND;
        }

        ngx_str_set(&code, "-");
        ngx_str_set(&message, "no valid JSON answer");

        if (root) {
            (void) ngx_http_push_approval_json_string(root, code_path, &code);
            (void) ngx_http_push_approval_json_string(root, message_path,
                                                      &message);
        }

        ngx_http_push_approval_answer_error(pool, ans, call->status, &code,
                                            &message);

        ngx_http_push_approval_answer_refused(ans, call->status);

        goto done;
    }

    switch (op) {

    case NGX_HTTP_PUSH_APPROVAL_OP_FACTORS:
        if (ngx_http_push_approval_json_push_factor(root, &s) != NGX_OK) {
            /* no verified push factor: the identity cannot be asked */
            ans->result = NGX_HTTP_PUSH_APPROVAL_R_NOT_FOUND;
            goto done;
        }

        break;

    case NGX_HTTP_PUSH_APPROVAL_OP_ENROLL:
        ngx_http_push_approval_answer_token(pool, ans, root, token_path);
        goto done;

    default: /* create, status */
        if (ngx_http_push_approval_json_string(root, expires_path, &s)
            == NGX_OK)
        {
            ans->expires = ngx_http_push_approval_parse_iso8601(&s);
            if (ans->expires == NGX_ERROR) {
                ans->expires = 0;
            }
        }

        if (ngx_http_push_approval_json_string(root, status_path, &message)
            != NGX_OK)
        {
            ngx_str_set(&ans->error, "no status in the answer");
            goto done;
        }

        if (ngx_http_push_approval_answer_state(ans, &message) != NGX_OK) {
            goto done;
        }

        if (ngx_http_push_approval_json_string(root, sid_path, &s)
            != NGX_OK)
        {
            ngx_str_set(&ans->error, "no sid in the answer");
            goto done;
        }

        break;
    }

    if (ngx_http_push_approval_answer_id(pool, ans, &s) == NGX_OK) {
        ans->result = NGX_HTTP_PUSH_APPROVAL_R_OK;
    }

done:

    if (root) {
        yajl_tree_free(root);
    }
}
