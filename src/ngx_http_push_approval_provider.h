
/*
 * Copyright (C) push approval module developers
 *
 * What the provider files (verify.c, authy.c) share with the rest of the
 * module beyond their table: a webhook being decided, and the helpers of
 * callback.c and call.c that their dialects use.
 */


#ifndef _NGX_HTTP_PUSH_APPROVAL_PROVIDER_H_INCLUDED_
#define _NGX_HTTP_PUSH_APPROVAL_PROVIDER_H_INCLUDED_


#include "ngx_http_push_approval.h"


/* a signed callback: what it came with, and what its dialect decided */

struct ngx_http_push_approval_webhook_s {
    ngx_http_request_t                 *request;
    ngx_http_push_approval_loc_conf_t  *conf;
    ngx_http_push_approval_zone_ctx_t  *zone;
    ngx_str_t                           url;        /* as the sender signed */
    ngx_str_t                           body;

    ngx_str_t                           id;         /* approval decided */
    ngx_uint_t                          state;      /* PENDING: ignored */
    char                               *what;       /* "event", "status" */
    ngx_str_t                           event;      /* the state as sent */

    ngx_str_t                           replay;     /* empty: not kept */
    ngx_str_t                           signature;
    time_t                              replay_expires;
    unsigned                            repeat_ok:1;  /* answered again */
};


/* the provider directives (module.c's command table) */
char *ngx_http_push_approval_verify_service_sid(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
char *ngx_http_push_approval_verify_credentials_file(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
char *ngx_http_push_approval_authy_api_key_file(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);

/* ngx_http_push_approval_callback.c: helpers of the webhook dialects */
ngx_int_t ngx_http_push_approval_webhook_reject(
    ngx_http_push_approval_webhook_t *wh, ngx_uint_t metric,
    ngx_int_t status, char *why);
ngx_int_t ngx_http_push_approval_webhook_malformed(
    ngx_http_push_approval_webhook_t *wh);
ngx_int_t ngx_http_push_approval_webhook_signed(
    ngx_http_push_approval_webhook_t *wh, ngx_int_t rc);
ngx_int_t ngx_http_push_approval_webhook_header(ngx_http_request_t *r,
    char *name, ngx_str_t *value);
ngx_uint_t ngx_http_push_approval_webhook_type(ngx_http_request_t *r,
    char *type);
ngx_int_t ngx_http_push_approval_webhook_form(ngx_http_request_t *r,
    ngx_str_t *data, ngx_http_push_approval_param_t **params);
ngx_int_t ngx_http_push_approval_webhook_fields(
    ngx_http_push_approval_param_t *params, ngx_uint_t n, char **names,
    ngx_str_t *values);
ngx_int_t ngx_http_push_approval_webhook_json(ngx_pool_t *pool,
    ngx_str_t *body, char **names, ngx_str_t *values);
ngx_uint_t ngx_http_push_approval_webhook_body_hash(ngx_str_t *url);
ngx_uint_t ngx_http_push_approval_webhook_state(ngx_str_t *value,
    char *approved, char *denied);

/* ngx_http_push_approval_call.c: helpers of the provider calls */
extern ngx_module_t  ngx_http_push_approval_call_module;

ngx_int_t ngx_http_push_approval_call_header(ngx_http_request_t *sr,
    char *name, ngx_str_t *value);
ngx_int_t ngx_http_push_approval_answer_json(ngx_pool_t *pool,
    ngx_http_push_approval_call_t *call,
    ngx_http_push_approval_answer_t *ans,
    ngx_http_push_approval_json_answer_t *json);
void ngx_http_push_approval_answer_free(ngx_pool_t *pool,
    ngx_http_push_approval_json_answer_t *json);
void ngx_http_push_approval_answer_failed(ngx_pool_t *pool,
    ngx_http_push_approval_answer_t *ans,
    ngx_http_push_approval_call_t *call,
    ngx_http_push_approval_json_field_t *code_field,
    ngx_http_push_approval_json_field_t *message_field, ngx_str_t *code);
ngx_int_t ngx_http_push_approval_form_add(ngx_pool_t *pool, ngx_array_t *a,
    char *name, ngx_str_t *value);
ngx_int_t ngx_http_push_approval_form_text(ngx_pool_t *pool, ngx_array_t *a,
    char *name, ngx_str_t *text, size_t max);
ngx_int_t ngx_http_push_approval_form_end(ngx_pool_t *pool,
    ngx_array_t *params, char *name, ngx_str_t *value, ngx_str_t *out);
ngx_int_t ngx_http_push_approval_form_encode(ngx_pool_t *pool,
    ngx_array_t *params, ngx_str_t *out);
ngx_int_t ngx_http_push_approval_path(ngx_pool_t *pool,
    ngx_http_push_approval_loc_conf_t *plcf, ngx_str_t *out,
    const char *fmt, ...);
ngx_int_t ngx_http_push_approval_answer_id(ngx_pool_t *pool,
    ngx_http_push_approval_answer_t *ans, ngx_str_t *id);
void ngx_http_push_approval_answer_token(ngx_pool_t *pool,
    ngx_http_push_approval_answer_t *ans,
    ngx_http_push_approval_json_field_t *field);
ngx_int_t ngx_http_push_approval_answer_status(
    ngx_http_push_approval_answer_t *ans,
    ngx_http_push_approval_json_field_t *field);
ngx_int_t ngx_http_push_approval_form_start(ngx_pool_t *pool,
    ngx_http_push_approval_loc_conf_t *plcf, ngx_str_t *uri,
    ngx_array_t *params, ngx_uint_t n, const char *fmt, ...);


#endif /* _NGX_HTTP_PUSH_APPROVAL_PROVIDER_H_INCLUDED_ */
