
/*
 * Copyright (C) push approval module developers
 *
 * The legacy Authy OneTouch dialect: approval requests and what Authy's
 * answers mean.
 */


#include "ngx_http_push_approval.h"


static ngx_int_t ngx_http_push_approval_authy_identity(ngx_str_t *identity);
static ngx_int_t ngx_http_push_approval_authy_create(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf,
    ngx_http_push_approval_request_t *pr, ngx_str_t *uri, ngx_str_t *body);
static ngx_int_t ngx_http_push_approval_authy_status(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf, ngx_str_t *identity,
    ngx_str_t *id, ngx_str_t *uri);
static ngx_int_t ngx_http_push_approval_authy_enroll(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf, ngx_str_t *identity,
    ngx_str_t *uri, ngx_str_t *body);
static ngx_int_t ngx_http_push_approval_authy_devices(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf, ngx_str_t *identity,
    ngx_str_t *uri);
static void ngx_http_push_approval_authy_parse(ngx_pool_t *pool,
    ngx_uint_t op, ngx_http_push_approval_call_t *call,
    ngx_http_push_approval_answer_t *ans);


ngx_http_push_approval_provider_t  ngx_http_push_approval_authy = {
    ngx_string("authy"),
    NGX_HTTP_PUSH_APPROVAL_M_PUSHES_AUTHY,
    ngx_http_push_approval_authy_identity,
    ngx_http_push_approval_authy_create,
    ngx_http_push_approval_authy_status,
    NULL,
    ngx_http_push_approval_authy_enroll,
    ngx_http_push_approval_authy_parse,
    ngx_http_push_approval_authy_devices
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
    ngx_str_t                        message, seconds, name, label;
    ngx_uint_t                       i, k;
    ngx_array_t                      params, *lists[2];
    ngx_http_push_approval_param_t  *d, *param;
    ngx_http_push_approval_logo_t   *logo;

    static char  *prefixes[] = { "details[", "hidden_details[" };

    if (ngx_http_push_approval_path(r->pool, plcf, uri,
                                    "onetouch/json/users/%V/approval_requests",
                                    &pr->identity)
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

    message = pr->message;
    message.len = ngx_http_push_approval_utf8_prefix(&pr->message, 144);

    if (ngx_http_push_approval_form_add(r->pool, &params, "message",
                                        &message)
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

    if (ngx_http_push_approval_form_add(r->pool, &params,
                                        "seconds_to_expire", &seconds)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_push_approval_form_encode(r->pool, &params, body);
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

    if (ngx_http_push_approval_path(r->pool, plcf, uri,
                                    "protected/json/sdk/registrations")
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_array_init(&params, r->pool, 1,
                       sizeof(ngx_http_push_approval_param_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* authy_id, as Twilio's own SDK backend sends it (not user_id) */

    if (ngx_http_push_approval_form_add(r->pool, &params, "authy_id",
                                        identity)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_push_approval_form_encode(r->pool, &params, body);
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
    yajl_val    root;
    ngx_str_t   s, code, message;

    static const char  *success_path[] = { "success", NULL };
    static const char  *uuid_path[] = { "approval_request", "uuid", NULL };
    static const char  *status_path[] = { "approval_request", "status",
                                          NULL };
    static const char  *token_path[] = { "registration_token", NULL };
    static const char  *registered_path[] = { "status", "registered", NULL };
    static const char  *code_path[] = { "error_code", NULL };
    static const char  *message_path[] = { "message", NULL };

    ngx_memzero(ans, sizeof(ngx_http_push_approval_answer_t));
    ans->result = NGX_HTTP_PUSH_APPROVAL_R_ERROR;

    root = NULL;

    if (call->status && !call->truncated) {
        root = ngx_http_push_approval_json_parse(call->body.data,
                                                 call->body.len);
    }

    /*
     * a 200 with "success": false is an error too; an SDK registration is
     * documented to carry registration_token only: "success" is not needed
     * there, but "false" still fails
     */

    if (call->status < 200 || call->status > 299 || root == NULL
        || (ngx_http_push_approval_json_true(root, success_path) != NGX_OK
            && (op != NGX_HTTP_PUSH_APPROVAL_OP_ENROLL
                || yajl_tree_get(root, success_path, yajl_t_any) != NULL)))
    {
        ngx_str_set(&code, "-");
        ngx_str_set(&message, "no valid JSON answer");

        if (root) {
            (void) ngx_http_push_approval_json_string(root, code_path, &code);
            (void) ngx_http_push_approval_json_string(root, message_path,
                                                      &message);
        }

        /* "user not found" means the identity cannot be asked */

        if ((op == NGX_HTTP_PUSH_APPROVAL_OP_CREATE
             || op == NGX_HTTP_PUSH_APPROVAL_OP_FACTORS)
            && ((code.len == 5 && ngx_strncmp(code.data, "60026", 5) == 0)
                || (call->status == NGX_HTTP_NOT_FOUND && root == NULL)))
        {
            ans->result = NGX_HTTP_PUSH_APPROVAL_R_NOT_FOUND;
        }

        ngx_http_push_approval_answer_error(pool, ans, call->status, &code,
                                            &message);

        ngx_http_push_approval_answer_refused(ans, call->status);

        if (ans->result == NGX_HTTP_PUSH_APPROVAL_R_ERROR
            && call->status >= 200 && call->status <= 299 && root)
        {
            /* a parsable answer without "success": true refuses */
            ans->result = NGX_HTTP_PUSH_APPROVAL_R_REFUSED;
        }

        goto done;
    }

    switch (op) {

    case NGX_HTTP_PUSH_APPROVAL_OP_ENROLL:
        ngx_http_push_approval_answer_token(pool, ans, root, token_path);
        goto done;

    case NGX_HTTP_PUSH_APPROVAL_OP_CREATE:
        ans->state = NGX_HTTP_PUSH_APPROVAL_PENDING;
        break;

    case NGX_HTTP_PUSH_APPROVAL_OP_FACTORS:
        /* the user status: a device registered, or none yet */
        ans->result = (ngx_http_push_approval_json_true(root, registered_path)
                       == NGX_OK)
                      ? NGX_HTTP_PUSH_APPROVAL_R_OK
                      : NGX_HTTP_PUSH_APPROVAL_R_NOT_FOUND;
        goto done;

    default: /* status */
        if (ngx_http_push_approval_json_string(root, status_path, &message)
            != NGX_OK)
        {
            ngx_str_set(&ans->error, "no status in the answer");
            goto done;
        }

        if (ngx_http_push_approval_answer_state(ans, &message) != NGX_OK) {
            goto done;
        }

        break;
    }

    if (ngx_http_push_approval_json_string(root, uuid_path, &s) != NGX_OK) {
        ngx_str_set(&ans->error, "no uuid in the answer");
        goto done;
    }

    if (ngx_http_push_approval_answer_id(pool, ans, &s) == NGX_OK) {
        ans->result = NGX_HTTP_PUSH_APPROVAL_R_OK;
    }

done:

    if (root) {
        yajl_tree_free(root);
    }
}
