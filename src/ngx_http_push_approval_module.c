
/*
 * Copyright (C) push approval module developers
 *
 * The module: directives, configuration merging and checking (a
 * provider's own through its table), variables, the access phase
 * registration, and the providers table.
 */


#include "ngx_http_push_approval.h"
#include "ngx_http_push_approval_provider.h"


static ngx_int_t ngx_http_push_approval_add_variables(ngx_conf_t *cf);
static ngx_int_t ngx_http_push_approval_init(ngx_conf_t *cf);
static void *ngx_http_push_approval_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_push_approval_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_push_approval_merge_loc_conf(ngx_conf_t *cf,
    void *parent, void *child);
static char *ngx_http_push_approval_check_at(ngx_conf_t *cf,
    ngx_http_push_approval_loc_conf_t *conf);
static void ngx_http_push_approval_conf_where(ngx_conf_t *cf,
    ngx_http_push_approval_loc_conf_t *conf);
static void ngx_http_push_approval_used_at(
    ngx_http_push_approval_main_conf_t *pmcf,
    ngx_http_push_approval_loc_conf_t *conf);
static char *ngx_http_push_approval_check_values(ngx_conf_t *cf,
    ngx_http_push_approval_loc_conf_t *conf);
static char *ngx_http_push_approval_check(ngx_conf_t *cf,
    ngx_http_push_approval_loc_conf_t *conf);
static char *ngx_http_push_approval_check_handler(ngx_conf_t *cf,
    ngx_http_push_approval_loc_conf_t *conf, ngx_uint_t *needs);
static char *ngx_http_push_approval_check_provider(ngx_conf_t *cf,
    ngx_http_push_approval_loc_conf_t *conf, char *what);
static ngx_shm_zone_t *ngx_http_push_approval_find_zone(ngx_conf_t *cf,
    ngx_str_t *name, const char *directive);
static char *ngx_http_push_approval_bind(ngx_conf_t *cf,
    ngx_http_push_approval_loc_conf_t *conf);
static ngx_uint_t ngx_http_push_approval_restricted(ngx_conf_t *cf);
static char *ngx_http_push_approval_handler_arg(ngx_conf_t *cf,
    ngx_command_t *cmd, ngx_http_push_approval_loc_conf_t *plcf,
    ngx_str_t *arg);

static char *ngx_http_push_approval_zone(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_push_approval(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_push_approval_api(ngx_conf_t *cf, void *post,
    void *data);
static char *ngx_http_push_approval_detail(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_push_approval_logo(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_push_approval_secret_file(ngx_conf_t *cf,
    void *post, void *data);
static char *ngx_http_push_approval_cookie(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_push_approval_wait_uri(ngx_conf_t *cf, void *post,
    void *data);
static char *ngx_http_push_approval_limit(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_push_approval_callback_url(ngx_conf_t *cf,
    void *post, void *data);
static char *ngx_http_push_approval_handler(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_push_approval_enum(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_push_approval_provider(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);

static ngx_int_t ngx_http_push_approval_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


#define NGX_HTTP_PUSH_APPROVAL_NEEDS_PROVIDER  1
#define NGX_HTTP_PUSH_APPROVAL_NEEDS_IDENTITY  2


/* string directives: nginx's slot sets them, these check them */

static ngx_conf_post_t  ngx_http_push_approval_api_post =
    { ngx_http_push_approval_api };
static ngx_conf_post_t  ngx_http_push_approval_secret_file_post =
    { ngx_http_push_approval_secret_file };
static ngx_conf_post_t  ngx_http_push_approval_wait_uri_post =
    { ngx_http_push_approval_wait_uri };
static ngx_conf_post_t  ngx_http_push_approval_callback_url_post =
    { ngx_http_push_approval_callback_url };


/* by NGX_HTTP_PUSH_APPROVAL_HANDLER_*, for messages */

static char  *ngx_http_push_approval_handler_names[] = {
    "push_approval", "push_approval_wait", "push_approval_callback",
    "push_approval_metrics", "push_approval_enroll", "push_approval_revoke"
};


static ngx_conf_enum_t  ngx_http_push_approval_modes[] = {
    { ngx_string("auto"), NGX_HTTP_PUSH_APPROVAL_MODE_AUTO },
    { ngx_string("hold"), NGX_HTTP_PUSH_APPROVAL_MODE_HOLD },
    { ngx_string("redirect"), NGX_HTTP_PUSH_APPROVAL_MODE_REDIRECT },
    { ngx_null_string, 0 }
};


static ngx_conf_enum_t  ngx_http_push_approval_fail_modes[] = {
    { ngx_string("closed"), 0 },
    { ngx_string("open"), 1 },
    { ngx_null_string, 0 }
};


static ngx_conf_enum_t  ngx_http_push_approval_samesite[] = {
    { ngx_string("samesite=strict"), NGX_HTTP_PUSH_APPROVAL_SAMESITE_STRICT },
    { ngx_string("samesite=lax"), NGX_HTTP_PUSH_APPROVAL_SAMESITE_LAX },
    { ngx_string("samesite=none"), NGX_HTTP_PUSH_APPROVAL_SAMESITE_NONE },
    { ngx_null_string, 0 }
};


static ngx_command_t  ngx_http_push_approval_commands[] = {

    { ngx_string("push_approval_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_push_approval_zone,
      0,
      0,
      NULL },

    { ngx_string("push_approval"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_push_approval,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("push_approval_provider"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_push_approval_provider,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_push_approval_loc_conf_t, provider),
      NULL },

    { ngx_string("push_approval_api"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_push_approval_loc_conf_t, api),
      &ngx_http_push_approval_api_post },

    { ngx_string("push_approval_api_key_file"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_push_approval_authy_api_key_file,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("push_approval_verify_service"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_push_approval_verify_service_sid,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("push_approval_verify_credentials_file"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_push_approval_verify_credentials_file,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("push_approval_identity"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_push_approval_loc_conf_t, identity),
      NULL },

    { ngx_string("push_approval_factor"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_push_approval_loc_conf_t, factor),
      NULL },

    { ngx_string("push_approval_message"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_push_approval_loc_conf_t, message),
      NULL },

    { ngx_string("push_approval_detail"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE2,
      ngx_http_push_approval_detail,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_push_approval_loc_conf_t, details),
      NULL },

    { ngx_string("push_approval_hidden_detail"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE2,
      ngx_http_push_approval_detail,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_push_approval_loc_conf_t, hidden_details),
      NULL },

    { ngx_string("push_approval_logo"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE2,
      ngx_http_push_approval_logo,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("push_approval_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_push_approval_loc_conf_t, timeout),
      NULL },

    { ngx_string("push_approval_mode"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_push_approval_enum,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_push_approval_loc_conf_t, mode),
      &ngx_http_push_approval_modes },

    { ngx_string("push_approval_remember"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_push_approval_loc_conf_t, remember),
      NULL },

    { ngx_string("push_approval_scope"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_push_approval_loc_conf_t, scope),
      NULL },

    { ngx_string("push_approval_secret_file"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_push_approval_main_conf_t, secret_file),
      &ngx_http_push_approval_secret_file_post },

    { ngx_string("push_approval_cookie"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_push_approval_cookie,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("push_approval_wait_uri"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_push_approval_loc_conf_t, wait_uri),
      &ngx_http_push_approval_wait_uri_post },

    { ngx_string("push_approval_fail"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_push_approval_enum,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_push_approval_loc_conf_t, fail_open),
      &ngx_http_push_approval_fail_modes },

    { ngx_string("push_approval_poll"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_push_approval_loc_conf_t, poll),
      NULL },

    { ngx_string("push_approval_limit"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_http_push_approval_limit,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("push_approval_code"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_push_approval_loc_conf_t, code),
      NULL },

    { ngx_string("push_approval_callback_url"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_push_approval_loc_conf_t, callback_url),
      &ngx_http_push_approval_callback_url_post },

    { ngx_string("push_approval_callback_max_age"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_push_approval_loc_conf_t, callback_max_age),
      NULL },

    { ngx_string("push_approval_wait"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS|NGX_CONF_TAKE1,
      ngx_http_push_approval_handler,
      NGX_HTTP_LOC_CONF_OFFSET,
      NGX_HTTP_PUSH_APPROVAL_HANDLER_WAIT,
      NULL },

    { ngx_string("push_approval_callback"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS|NGX_CONF_TAKE1,
      ngx_http_push_approval_handler,
      NGX_HTTP_LOC_CONF_OFFSET,
      NGX_HTTP_PUSH_APPROVAL_HANDLER_CALLBACK,
      NULL },

    { ngx_string("push_approval_metrics"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS|NGX_CONF_TAKE1,
      ngx_http_push_approval_handler,
      NGX_HTTP_LOC_CONF_OFFSET,
      NGX_HTTP_PUSH_APPROVAL_HANDLER_METRICS,
      NULL },

    { ngx_string("push_approval_enroll"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS|NGX_CONF_TAKE12,
      ngx_http_push_approval_handler,
      NGX_HTTP_LOC_CONF_OFFSET,
      NGX_HTTP_PUSH_APPROVAL_HANDLER_ENROLL,
      NULL },

    { ngx_string("push_approval_revoke"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS|NGX_CONF_TAKE12,
      ngx_http_push_approval_handler,
      NGX_HTTP_LOC_CONF_OFFSET,
      NGX_HTTP_PUSH_APPROVAL_HANDLER_REVOKE,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_push_approval_module_ctx = {
    ngx_http_push_approval_add_variables,  /* preconfiguration */
    ngx_http_push_approval_init,           /* postconfiguration */

    ngx_http_push_approval_create_main_conf, /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_push_approval_create_loc_conf, /* create location configuration */
    ngx_http_push_approval_merge_loc_conf  /* merge location configuration */
};


ngx_module_t  ngx_http_push_approval_module = {
    NGX_MODULE_V1,
    &ngx_http_push_approval_module_ctx,    /* module context */
    ngx_http_push_approval_commands,       /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    ngx_http_push_approval_watch_init_module, /* init module */
    ngx_http_push_approval_watch_init_process, /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_push_approval_watch_exit_process, /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


ngx_str_t  ngx_http_push_approval_status_names[] = {
    ngx_null_string,
    ngx_string("approved"),
    ngx_string("remembered"),
    ngx_string("denied"),
    ngx_string("expired"),
    ngx_string("timeout"),
    ngx_string("limited"),
    ngx_string("no_identity"),
    ngx_string("error"),
    ngx_string("fail_open"),
    ngx_string("pending")
};


/* the providers, by push_approval_provider's value; the first is default */

ngx_http_push_approval_provider_t
    *ngx_http_push_approval_providers[NGX_HTTP_PUSH_APPROVAL_PROVIDERS + 1] = {
    &ngx_http_push_approval_verify,
    &ngx_http_push_approval_authy,
    NULL
};


#define NGX_HTTP_PUSH_APPROVAL_VAR_STATUS    0
#define NGX_HTTP_PUSH_APPROVAL_VAR_ID        1
#define NGX_HTTP_PUSH_APPROVAL_VAR_IDENTITY  2


static ngx_http_variable_t  ngx_http_push_approval_vars[] = {

    { ngx_string("push_approval_status"), NULL,
      ngx_http_push_approval_variable, NGX_HTTP_PUSH_APPROVAL_VAR_STATUS,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("push_approval_id"), NULL,
      ngx_http_push_approval_variable, NGX_HTTP_PUSH_APPROVAL_VAR_ID,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("push_approval_identity"), NULL,
      ngx_http_push_approval_variable, NGX_HTTP_PUSH_APPROVAL_VAR_IDENTITY,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


static ngx_int_t
ngx_http_push_approval_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t                     *s;
    ngx_http_push_approval_ctx_t  *ctx;

    ctx = ngx_http_push_approval_get_ctx(r->main);

    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    switch (data) {

    case NGX_HTTP_PUSH_APPROVAL_VAR_STATUS:
        s = &ngx_http_push_approval_status_names[ctx->status];
        break;

    case NGX_HTTP_PUSH_APPROVAL_VAR_ID:
        s = &ctx->approval_id;
        break;

    default: /* NGX_HTTP_PUSH_APPROVAL_VAR_IDENTITY */
        s = &ctx->identity;
        break;
    }

    v->len = s->len;
    v->data = s->data;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


static ngx_int_t
ngx_http_push_approval_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_push_approval_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


static void *
ngx_http_push_approval_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_push_approval_main_conf_t  *pmcf;

    pmcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_push_approval_main_conf_t));
    if (pmcf == NULL) {
        return NULL;
    }

    if (ngx_array_init(&pmcf->zones, cf->pool, 2, sizeof(ngx_shm_zone_t *))
        != NGX_OK)
    {
        return NULL;
    }

    return pmcf;
}


static void *
ngx_http_push_approval_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_push_approval_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_push_approval_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->zone_name = { 0, NULL };
     *     conf->api = { 0, NULL };
     *     conf->api_key = { 0, NULL };
     *     conf->verify_service = { 0, NULL };
     *     conf->basic_auth = { 0, NULL };
     *     conf->cookie_name = { 0, NULL };
     *     conf->wait_uri = { 0, NULL };
     *     conf->callback_url = { 0, NULL };
     *     conf->identity = NULL;
     *     conf->handler = NGX_HTTP_PUSH_APPROVAL_HANDLER_NONE;
     */

    conf->shm_zone = NGX_CONF_UNSET_PTR;
    conf->provider = NGX_CONF_UNSET_UINT;
    conf->factor = NGX_CONF_UNSET_PTR;
    conf->message = NGX_CONF_UNSET_PTR;
    conf->scope = NGX_CONF_UNSET_PTR;
    conf->identity = NGX_CONF_UNSET_PTR;
    conf->details = NGX_CONF_UNSET_PTR;
    conf->hidden_details = NGX_CONF_UNSET_PTR;
    conf->logos = NGX_CONF_UNSET_PTR;
    conf->timeout = NGX_CONF_UNSET_MSEC;
    conf->mode = NGX_CONF_UNSET_UINT;
    conf->remember = NGX_CONF_UNSET;
    conf->cookie_secure = NGX_CONF_UNSET;
    conf->cookie_samesite = NGX_CONF_UNSET_UINT;
    conf->fail_open = NGX_CONF_UNSET_UINT;
    conf->poll = NGX_CONF_UNSET_MSEC;
    conf->limit_rate = NGX_CONF_UNSET_UINT;
    conf->limit_cooldown = NGX_CONF_UNSET;
    conf->code = NGX_CONF_UNSET;
    conf->callback_max_age = NGX_CONF_UNSET;

    return conf;
}


static char *
ngx_http_push_approval_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child)
{
    ngx_http_push_approval_loc_conf_t  *prev = parent;
    ngx_http_push_approval_loc_conf_t  *conf = child;

    if (conf->zone_name.data == NULL) {
        conf->zone_name = prev->zone_name;
    }

    if (conf->conf_file.data == NULL) {
        conf->conf_file = prev->conf_file;
        conf->conf_line = prev->conf_line;
    }

    ngx_conf_merge_uint_value(conf->provider, prev->provider, 0);
    ngx_conf_merge_str_value(conf->api, prev->api, "");

    if (conf->api_key.data == NULL) {
        conf->api_key = prev->api_key;
        conf->api_key_file = prev->api_key_file;
    }

    ngx_conf_merge_str_value(conf->verify_service, prev->verify_service, "");

    if (conf->basic_auth.data == NULL) {
        conf->basic_auth = prev->basic_auth;
        conf->auth_token = prev->auth_token;
        conf->credentials_file = prev->credentials_file;
    }

    ngx_conf_merge_ptr_value(conf->identity, prev->identity, NULL);
    ngx_conf_merge_ptr_value(conf->factor, prev->factor, NULL);
    ngx_conf_merge_ptr_value(conf->message, prev->message, NULL);
    ngx_conf_merge_ptr_value(conf->scope, prev->scope, NULL);
    ngx_conf_merge_ptr_value(conf->details, prev->details, NULL);
    ngx_conf_merge_ptr_value(conf->hidden_details, prev->hidden_details,
                             NULL);
    ngx_conf_merge_ptr_value(conf->logos, prev->logos, NULL);

    ngx_conf_merge_msec_value(conf->timeout, prev->timeout, 60000);
    ngx_conf_merge_uint_value(conf->mode, prev->mode,
                              NGX_HTTP_PUSH_APPROVAL_MODE_AUTO);
    ngx_conf_merge_sec_value(conf->remember, prev->remember, 3600);

    if (conf->cookie_name.data == NULL) {
        conf->cookie_name = prev->cookie_name;
        conf->cookie_secure = prev->cookie_secure;
        conf->cookie_samesite = prev->cookie_samesite;
        conf->cookie_domain = prev->cookie_domain;
    }

    ngx_conf_merge_str_value(conf->cookie_name, prev->cookie_name,
                             "push_approval");
    ngx_conf_merge_value(conf->cookie_secure, prev->cookie_secure, 0);
    ngx_conf_merge_uint_value(conf->cookie_samesite, prev->cookie_samesite,
                              NGX_HTTP_PUSH_APPROVAL_SAMESITE_LAX);
    ngx_conf_merge_str_value(conf->cookie_domain, prev->cookie_domain, "");

    ngx_conf_merge_str_value(conf->wait_uri, prev->wait_uri, "/_push/wait");
    ngx_conf_merge_uint_value(conf->fail_open, prev->fail_open, 0);
    ngx_conf_merge_msec_value(conf->poll, prev->poll, 2000);

    if (conf->limit_rate == NGX_CONF_UNSET_UINT) {
        conf->limit_rate = prev->limit_rate;
        conf->limit_cooldown = prev->limit_cooldown;
    }

    ngx_conf_merge_uint_value(conf->limit_rate, prev->limit_rate, 5);
    ngx_conf_merge_sec_value(conf->limit_cooldown, prev->limit_cooldown, 30);
    ngx_conf_merge_value(conf->code, prev->code, 0);
    ngx_conf_merge_str_value(conf->callback_url, prev->callback_url, "");
    ngx_conf_merge_sec_value(conf->callback_max_age, prev->callback_max_age,
                             300);

    return ngx_http_push_approval_check_at(cf, conf);
}


/*
 * a location is merged at the closing "}" of "http": its errors name the
 * line of its "push_approval" (or handler) directive instead
 */

static char *
ngx_http_push_approval_check_at(ngx_conf_t *cf,
    ngx_http_push_approval_loc_conf_t *conf)
{
    char              *rv;
    ngx_conf_file_t    file, *saved;

    saved = cf->conf_file;

    if (conf->conf_file.len && saved) {
        file = *saved;
        file.file.name = conf->conf_file;
        file.line = conf->conf_line;
        cf->conf_file = &file;
    }

    rv = NGX_CONF_OK;

    if (conf->timeout == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"push_approval_timeout\" must be more than 0");
        rv = NGX_CONF_ERROR;
    }

    if (rv == NGX_CONF_OK) {
        rv = ngx_http_push_approval_check(cf, conf);
    }

    if (rv == NGX_CONF_OK) {
        rv = ngx_http_push_approval_check_values(cf, conf);
    }

    if (rv == NGX_CONF_OK) {
        rv = ngx_http_push_approval_bind(cf, conf);
    }

    cf->conf_file = saved;

    return rv;
}


/* where a directive that needs others was set, for later messages */

static void
ngx_http_push_approval_conf_where(ngx_conf_t *cf,
    ngx_http_push_approval_loc_conf_t *conf)
{
    if (cf->conf_file == NULL) {
        return;
    }

    conf->conf_file = cf->conf_file->file.name;
    conf->conf_line = cf->conf_file->line;
}


static void
ngx_http_push_approval_used_at(ngx_http_push_approval_main_conf_t *pmcf,
    ngx_http_push_approval_loc_conf_t *conf)
{
    if (!pmcf->used) {
        pmcf->used = 1;
        pmcf->used_file = conf->conf_file;
        pmcf->used_line = conf->conf_line;
    }
}


/* values that parse but cannot work where they are used */

static char *
ngx_http_push_approval_check_values(ngx_conf_t *cf,
    ngx_http_push_approval_loc_conf_t *conf)
{
    if (conf->shm_zone == NULL && conf->handler
                                  != NGX_HTTP_PUSH_APPROVAL_HANDLER_WAIT)
    {
        return NGX_CONF_OK;
    }

    if (conf->timeout < 30000) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "\"push_approval_timeout\" of %M ms is below "
                           "the 30 s minimum that phones need to show "
                           "and answer a push", conf->timeout);
    }

    return NGX_CONF_OK;
}


/*
 * resolves zones and checks that what a location uses is configured;
 * provider settings are checked only where they are used
 */

static char *
ngx_http_push_approval_check(ngx_conf_t *cf,
    ngx_http_push_approval_loc_conf_t *conf)
{
    char                                *what;
    ngx_uint_t                           needs;
    ngx_http_push_approval_main_conf_t  *pmcf;

    pmcf = ngx_http_conf_get_module_main_conf(cf,
                                              ngx_http_push_approval_module);

    needs = 0;

    if (conf->handler != NGX_HTTP_PUSH_APPROVAL_HANDLER_NONE) {

        /* a handler location is never itself enforced */
        conf->shm_zone = NULL;

        if (ngx_http_push_approval_check_handler(cf, conf, &needs)
            != NGX_CONF_OK)
        {
            return NGX_CONF_ERROR;
        }

    } else if (conf->zone_name.len) {

        conf->shm_zone = ngx_http_push_approval_find_zone(cf,
                                                          &conf->zone_name,
                                                          "push_approval");
        if (conf->shm_zone == NULL) {
            return NGX_CONF_ERROR;
        }

        needs = NGX_HTTP_PUSH_APPROVAL_NEEDS_PROVIDER
                |NGX_HTTP_PUSH_APPROVAL_NEEDS_IDENTITY;
        ngx_http_push_approval_used_at(pmcf, conf);

    } else {
        conf->shm_zone = NULL;
    }

    what = ngx_http_push_approval_handler_names[conf->handler];

    if ((needs & NGX_HTTP_PUSH_APPROVAL_NEEDS_IDENTITY)
        && conf->identity == NULL)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%s\" requires \"push_approval_identity\"",
                           what);
        return NGX_CONF_ERROR;
    }

    if (!(needs & NGX_HTTP_PUSH_APPROVAL_NEEDS_PROVIDER)) {
        return NGX_CONF_OK;
    }

    return ngx_http_push_approval_check_provider(cf, conf, what);
}


/* a handler location: its zone, and what the handler needs */

static char *
ngx_http_push_approval_check_handler(ngx_conf_t *cf,
    ngx_http_push_approval_loc_conf_t *conf, ngx_uint_t *needs)
{
    char                                *what, *missing;
    ngx_shm_zone_t                     **zones;
    ngx_http_push_approval_main_conf_t  *pmcf;

    pmcf = ngx_http_conf_get_module_main_conf(cf,
                                              ngx_http_push_approval_module);

    what = ngx_http_push_approval_handler_names[conf->handler];

    if (conf->handler_zone_name.len) {
        conf->handler_zone = ngx_http_push_approval_find_zone(cf,
                                                &conf->handler_zone_name,
                                                what);
        if (conf->handler_zone == NULL) {
            return NGX_CONF_ERROR;
        }

    } else if (pmcf->zones.nelts == 1) {
        zones = pmcf->zones.elts;
        conf->handler_zone = zones[0];

    } else if (pmcf->zones.nelts == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%s\" requires a \"push_approval_zone\"",
                           what);
        return NGX_CONF_ERROR;

    } else if (conf->handler != NGX_HTTP_PUSH_APPROVAL_HANDLER_METRICS) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%s\" needs \"zone=\" when several "
                           "\"push_approval_zone\" are defined", what);
        return NGX_CONF_ERROR;
    }

    switch (conf->handler) {

    case NGX_HTTP_PUSH_APPROVAL_HANDLER_WAIT:
        *needs = NGX_HTTP_PUSH_APPROVAL_NEEDS_PROVIDER;
        ngx_http_push_approval_used_at(pmcf, conf);
        break;

    case NGX_HTTP_PUSH_APPROVAL_HANDLER_ENROLL:
        *needs = NGX_HTTP_PUSH_APPROVAL_NEEDS_PROVIDER
                 |NGX_HTTP_PUSH_APPROVAL_NEEDS_IDENTITY;
        break;

    case NGX_HTTP_PUSH_APPROVAL_HANDLER_REVOKE:
        *needs = conf->revoke_self ? NGX_HTTP_PUSH_APPROVAL_NEEDS_IDENTITY
                                   : 0;
        break;

    case NGX_HTTP_PUSH_APPROVAL_HANDLER_CALLBACK:
        missing = ngx_http_push_approval_providers[conf->provider]
                      ->missing_webhook(conf);

        if (missing) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%s\" requires %s", what, missing);
            return NGX_CONF_ERROR;
        }

        break;

    default: /* metrics */
        break;
    }

    return NGX_CONF_OK;
}


/* what the provider's calls need */

static char *
ngx_http_push_approval_check_provider(ngx_conf_t *cf,
    ngx_http_push_approval_loc_conf_t *conf, char *what)
{
    char                               *missing;
    ngx_http_push_approval_provider_t  *provider;

    provider = ngx_http_push_approval_providers[conf->provider];

    if ((conf->handler == NGX_HTTP_PUSH_APPROVAL_HANDLER_NONE
         || conf->handler == NGX_HTTP_PUSH_APPROVAL_HANDLER_ENROLL)
        && provider->check_create(cf, conf) != NGX_CONF_OK)
    {
        /* where approvals are created: the provider's own limits */
        return NGX_CONF_ERROR;
    }

    if (conf->api.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%s\" requires \"push_approval_api\"", what);
        return NGX_CONF_ERROR;
    }

    missing = provider->missing_calls(conf);

    if (missing) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%s\" with the %V provider requires \"%s\"",
                           what, &provider->name, missing);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * what a remember cookie is bound to in this location: its zone, its
 * provider and Verify service; and the zone's longest remember time, which
 * is how long a revocation is kept
 */

static char *
ngx_http_push_approval_bind(ngx_conf_t *cf,
    ngx_http_push_approval_loc_conf_t *conf)
{
    ngx_str_t                           parts[5];
    ngx_shm_zone_t                     *shm_zone;
    ngx_http_push_approval_zone_ctx_t  *zone;
    ngx_http_push_approval_provider_t  *provider;

    static u_char  nl = '\n';

    shm_zone = conf->shm_zone ? conf->shm_zone : conf->handler_zone;

    if (shm_zone == NULL) {
        return NGX_CONF_OK;
    }

    zone = shm_zone->data;

    if (conf->shm_zone) {
        zone->remember_max = ngx_max(zone->remember_max, conf->remember);
    }

    provider = ngx_http_push_approval_providers[conf->provider];

    parts[0] = shm_zone->shm.name;
    parts[1].data = &nl;
    parts[1].len = 1;
    parts[2] = provider->name;
    parts[3] = parts[1];
    provider->binding(conf, &parts[4]);

    if (ngx_http_push_approval_sha256(conf->cookie_bind, parts, 5)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (conf->handler == NGX_HTTP_PUSH_APPROVAL_HANDLER_REVOKE
        && !conf->revoke_self && !ngx_http_push_approval_restricted(cf))
    {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "\"push_approval_revoke\" in a location without "
                           "\"allow\"/\"deny\", \"auth_basic\" or "
                           "\"auth_request\": anyone can revoke");
    }

    return NGX_CONF_OK;
}


/*
 * whether the location restricts who calls it: the access, auth_basic and
 * auth_request modules, looked up by name, keep a pointer or a string first
 * in their location configuration, NULL or empty when off
 */

static ngx_uint_t
ngx_http_push_approval_restricted(ngx_conf_t *cf)
{
    void                  **loc_conf, *c;
    ngx_str_t              *uri;
    ngx_uint_t              i, k;
    ngx_module_t           *m;
    ngx_http_conf_ctx_t    *ctx;

    static char  *names[] = {
        "ngx_http_access_module", "ngx_http_auth_basic_module",
        "ngx_http_auth_request_module"
    };

    ctx = cf->ctx;
    loc_conf = ctx->loc_conf;

    for (i = 0; cf->cycle->modules[i]; i++) {
        m = cf->cycle->modules[i];

        if (m->type != NGX_HTTP_MODULE) {
            continue;
        }

        for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
            if (ngx_strcmp(m->name, names[k]) != 0) {
                continue;
            }

            c = loc_conf[m->ctx_index];

            if (c == NULL) {
                continue;
            }

            if (k == 2) {
                uri = c;

                if (uri->len) {
                    return 1;
                }

            } else if (*(void **) c != NULL) {
                return 1;
            }
        }
    }

    return 0;
}


static ngx_shm_zone_t *
ngx_http_push_approval_find_zone(ngx_conf_t *cf, ngx_str_t *name,
    const char *directive)
{
    ngx_uint_t                           i;
    ngx_shm_zone_t                     **zones;
    ngx_http_push_approval_main_conf_t  *pmcf;

    pmcf = ngx_http_conf_get_module_main_conf(cf,
                                              ngx_http_push_approval_module);

    zones = pmcf->zones.elts;

    for (i = 0; i < pmcf->zones.nelts; i++) {
        if (zones[i]->shm.name.len == name->len
            && ngx_strncmp(zones[i]->shm.name.data, name->data, name->len)
               == 0)
        {
            return zones[i];
        }
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "\"%s\" refers to unknown zone \"%V\"",
                       directive, name);

    return NULL;
}


static ngx_int_t
ngx_http_push_approval_init(ngx_conf_t *cf)
{
    ngx_array_t                         *handlers;
    ngx_http_handler_pt                 *h;
    ngx_http_core_main_conf_t           *cmcf;
    ngx_http_push_approval_main_conf_t  *pmcf;

    pmcf = ngx_http_conf_get_module_main_conf(cf,
                                              ngx_http_push_approval_module);

    if (pmcf->used && pmcf->secrets == NULL) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"push_approval_secret_file\" is required when "
                      "\"push_approval\" or \"push_approval_wait\" is used "
                      "(first used in %V:%ui); add it at \"http\" level, "
                      "one secret of at least 32 bytes per line "
                      "(\"push-approval-ctl secret\" makes one)",
                      &pmcf->used_file, pmcf->used_line);
        return NGX_ERROR;
    }

    if (ngx_http_push_approval_check_routes(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    handlers = &cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers;

    h = ngx_array_push(handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    /*
     * the handlers of a phase run last to first: at the head of the list,
     * the approval is asked for only once the operator's first factor
     * (auth_basic, allow/deny, auth_request...) has let the request through,
     * and no push goes out for a wrong password
     */

    h = handlers->elts;
    ngx_memmove(&h[1], &h[0], (handlers->nelts - 1) * sizeof(*h));

    h[0] = ngx_http_push_approval_access_handler;

    return NGX_OK;
}


/* directives */

static char *
ngx_http_push_approval_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_push_approval_main_conf_t *pmcf = conf;

    u_char                             *p;
    ssize_t                             size;
    ngx_str_t                          *value, name, s;
    ngx_shm_zone_t                     *shm_zone, **zp;
    ngx_http_push_approval_zone_ctx_t  *zctx;

    value = cf->args->elts;

    if (ngx_strncmp(value[1].data, "zone=", 5) != 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\" in \"%V\" directive, "
                           "expected \"zone=NAME:SIZE\"",
                           &value[1], &cmd->name);
        return NGX_CONF_ERROR;
    }

    name.data = value[1].data + 5;

    p = (u_char *) ngx_strchr(name.data, ':');

    if (p == NULL || p == name.data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid zone \"%V\" in \"%V\" directive, "
                           "expected \"zone=NAME:SIZE\"",
                           &value[1], &cmd->name);
        return NGX_CONF_ERROR;
    }

    name.len = p - name.data;

    /* the name goes into metrics labels unescaped */

    for (p = name.data; p < name.data + name.len; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
              || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'
              || *p == '.'))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid zone name \"%V\" in \"%V\" "
                               "directive, expected letters, digits, "
                               "\"_\", \"-\" or \".\"", &name, &cmd->name);
            return NGX_CONF_ERROR;
        }
    }

    s.data = p + 1;
    s.len = value[1].data + value[1].len - s.data;

    size = ngx_parse_size(&s);

    if (size == NGX_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid zone size \"%V\" in \"%V\" directive",
                           &value[1], &cmd->name);
        return NGX_CONF_ERROR;
    }

    if (size < (ssize_t) (8 * ngx_pagesize)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" zone \"%V\" is too small, at least %uzk",
                           &cmd->name, &name, 8 * ngx_pagesize / 1024);
        return NGX_CONF_ERROR;
    }

    zctx = ngx_pcalloc(cf->pool, sizeof(ngx_http_push_approval_zone_ctx_t));
    if (zctx == NULL) {
        return NGX_CONF_ERROR;
    }

    zctx->name = name;

    shm_zone = ngx_shared_memory_add(cf, &name, size,
                                     &ngx_http_push_approval_module);
    if (shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    if (shm_zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "duplicate \"%V\" zone \"%V\"", &cmd->name,
                           &name);
        return NGX_CONF_ERROR;
    }

    shm_zone->init = ngx_http_push_approval_init_zone;
    shm_zone->data = zctx;

    zp = ngx_array_push(&pmcf->zones);
    if (zp == NULL) {
        return NGX_CONF_ERROR;
    }

    *zp = shm_zone;

    return NGX_CONF_OK;
}


static char *
ngx_http_push_approval(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_push_approval_loc_conf_t *plcf = conf;

    ngx_str_t  *value;

    if (plcf->zone_name.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        ngx_str_set(&plcf->zone_name, "");
        return NGX_CONF_OK;
    }

    if (ngx_strncmp(value[1].data, "zone=", 5) != 0 || value[1].len == 5) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\" in \"%V\" directive, "
                           "expected \"zone=NAME\" or \"off\"",
                           &value[1], &cmd->name);
        return NGX_CONF_ERROR;
    }

    plcf->zone_name.data = value[1].data + 5;
    plcf->zone_name.len = value[1].len - 5;

    ngx_http_push_approval_conf_where(cf, plcf);

    return NGX_CONF_OK;
}


/* a URI prefix, joined to provider paths with exactly one "/" */

static char *
ngx_http_push_approval_api(ngx_conf_t *cf, void *post, void *data)
{
    ngx_str_t  *api = data;

    if (api->len == 0 || api->data[0] != '/') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"push_approval_api\" must be a URI prefix "
                           "starting with \"/\", not \"%V\"", api);
        return NGX_CONF_ERROR;
    }

    while (api->len && api->data[api->len - 1] == '/') {
        api->len--;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_push_approval_detail(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    char  *p = conf;

    ngx_str_t                          *value;
    ngx_array_t                       **a;
    ngx_http_push_approval_detail_t    *d;
    ngx_http_compile_complex_value_t    ccv;

    a = (ngx_array_t **) (p + cmd->offset);

    if (*a == NGX_CONF_UNSET_PTR) {
        *a = ngx_array_create(cf->pool, 4,
                              sizeof(ngx_http_push_approval_detail_t));
        if (*a == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    value = cf->args->elts;

    if (value[1].len == 0 || value[1].len > 36) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" label \"%V\" must be 1 to 36 characters",
                           &cmd->name, &value[1]);
        return NGX_CONF_ERROR;
    }

    if ((*a)->nelts >= 19) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "too many \"%V\" directives, at most 19",
                           &cmd->name);
        return NGX_CONF_ERROR;
    }

    d = ngx_array_push(*a);
    if (d == NULL) {
        return NGX_CONF_ERROR;
    }

    d->label = value[1];

    ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

    ccv.cf = cf;
    ccv.value = &value[2];
    ccv.complex_value = &d->value;

    if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_push_approval_logo(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_push_approval_loc_conf_t *plcf = conf;

    ngx_str_t                      *value;
    ngx_http_push_approval_logo_t  *logo;

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "default") != 0
        && ngx_strcmp(value[1].data, "low") != 0
        && ngx_strcmp(value[1].data, "med") != 0
        && ngx_strcmp(value[1].data, "high") != 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid \"push_approval_logo\" resolution \"%V\", "
                           "expected \"default\", \"low\", \"med\" or "
                           "\"high\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    if (ngx_strncmp(value[2].data, "https://", 8) != 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"push_approval_logo\" URL \"%V\" must start "
                           "with \"https://\"", &value[2]);
        return NGX_CONF_ERROR;
    }

    if (plcf->logos == NGX_CONF_UNSET_PTR) {
        plcf->logos = ngx_array_create(cf->pool, 4,
                                       sizeof(ngx_http_push_approval_logo_t));
        if (plcf->logos == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    logo = ngx_array_push(plcf->logos);
    if (logo == NULL) {
        return NGX_CONF_ERROR;
    }

    logo->res = value[1];
    logo->url = value[2];

    return NGX_CONF_OK;
}


/* the secrets, one a line, the first signs; its name set by nginx's slot */

static char *
ngx_http_push_approval_secret_file(ngx_conf_t *cf, void *post, void *data)
{
    ngx_str_t                           *line;
    ngx_uint_t                           i;
    ngx_http_push_approval_main_conf_t  *pmcf;

    pmcf = ngx_http_conf_get_module_main_conf(cf,
                                              ngx_http_push_approval_module);

    pmcf->secrets = ngx_http_push_approval_conf_lines(cf, cf->pool,
                                                      &pmcf->secret_file);
    if (pmcf->secrets == NULL) {
        return NGX_CONF_ERROR;
    }

    line = pmcf->secrets->elts;

    for (i = 0; i < pmcf->secrets->nelts; i++) {
        if (line[i].len < NGX_HTTP_PUSH_APPROVAL_SECRET_MIN) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"push_approval_secret_file\": secret %ui "
                               "in \"%V\" is shorter than %d bytes", i + 1,
                               &pmcf->secret_file,
                               NGX_HTTP_PUSH_APPROVAL_SECRET_MIN);
            return NGX_CONF_ERROR;
        }
    }

    if (pmcf->secrets->nelts > NGX_HTTP_PUSH_APPROVAL_MAX_SECRETS) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"push_approval_secret_file\": more than %d "
                           "secrets in \"%V\"",
                           NGX_HTTP_PUSH_APPROVAL_MAX_SECRETS,
                           &pmcf->secret_file);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_push_approval_cookie(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_push_approval_loc_conf_t *plcf = conf;

    u_char           *p;
    ngx_str_t        *value;
    ngx_uint_t        i;
    ngx_conf_enum_t  *e;

    if (plcf->cookie_name.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    for (p = value[1].data; p < value[1].data + value[1].len; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
              || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid \"push_approval_cookie\" name \"%V\"",
                               &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    if (value[1].len == 0 || value[1].len > 64) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid \"push_approval_cookie\" name \"%V\"",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    plcf->cookie_name = value[1];
    plcf->cookie_secure = 0;
    plcf->cookie_samesite = NGX_HTTP_PUSH_APPROVAL_SAMESITE_LAX;
    ngx_str_set(&plcf->cookie_domain, "");

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strcmp(value[i].data, "secure") == 0) {
            plcf->cookie_secure = 1;
            continue;
        }

        for (e = ngx_http_push_approval_samesite; e->name.len; e++) {
            if (ngx_strcmp(value[i].data, e->name.data) == 0) {
                break;
            }
        }

        if (e->name.len) {
            plcf->cookie_samesite = e->value;
            continue;
        }

        if (ngx_strncmp(value[i].data, "domain=", 7) == 0
            && value[i].len > 7)
        {
            plcf->cookie_domain.data = value[i].data + 7;
            plcf->cookie_domain.len = value[i].len - 7;

            for (p = plcf->cookie_domain.data;
                 p < value[i].data + value[i].len;
                 p++)
            {
                if (*p <= ' ' || *p == ';' || *p == ',' || *p >= 0x7f) {
                    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                       "invalid \"push_approval_cookie\" "
                                       "domain \"%V\"", &value[i]);
                    return NGX_CONF_ERROR;
                }
            }

            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid \"push_approval_cookie\" parameter "
                           "\"%V\"", &value[i]);
        return NGX_CONF_ERROR;
    }

    if (plcf->cookie_samesite == NGX_HTTP_PUSH_APPROVAL_SAMESITE_NONE) {
        /* browsers reject SameSite=None without Secure */
        plcf->cookie_secure = 1;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_push_approval_wait_uri(ngx_conf_t *cf, void *post, void *data)
{
    ngx_str_t  *uri = data;

    u_char  *c;

    if (uri->len == 0 || uri->data[0] != '/') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"push_approval_wait_uri\" must be a URI "
                           "starting with \"/\", not \"%V\"", uri);
        return NGX_CONF_ERROR;
    }

    for (c = uri->data; c < uri->data + uri->len; c++) {
        if (*c <= ' ' || *c == '?' || *c == '#' || *c >= 0x7f) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"push_approval_wait_uri\" must be a plain "
                               "path, not \"%V\"", uri);
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_push_approval_limit(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_push_approval_loc_conf_t *plcf = conf;

    u_char      *p, *last;
    time_t       cooldown;
    ngx_int_t    rate;
    ngx_str_t   *value, s;
    ngx_uint_t   i;

    if (plcf->limit_rate != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    rate = NGX_ERROR;
    cooldown = 30;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "rate=", 5) == 0) {
            p = value[i].data + 5;
            last = value[i].data + value[i].len;

            if (last - p < 3 || ngx_strncmp(last - 2, "/m", 2) != 0) {
                goto invalid;
            }

            rate = ngx_atoi(p, last - 2 - p);

            if (rate < 1 || rate > NGX_HTTP_PUSH_APPROVAL_MAX_RATE) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "\"push_approval_limit\" rate must be "
                                   "1 to %d per minute in \"%V\"",
                                   NGX_HTTP_PUSH_APPROVAL_MAX_RATE,
                                   &value[i]);
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "cooldown=", 9) == 0) {
            s.data = value[i].data + 9;
            s.len = value[i].len - 9;

            cooldown = ngx_parse_time(&s, 1);
            if (cooldown == (time_t) NGX_ERROR) {
                goto invalid;
            }

            continue;
        }

        goto invalid;
    }

    if (rate == NGX_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"push_approval_limit\" requires \"rate=N/m\", "
                           "as in \"push_approval_limit rate=5/m "
                           "cooldown=30s\"");
        return NGX_CONF_ERROR;
    }

    plcf->limit_rate = rate;
    plcf->limit_cooldown = cooldown;

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid \"push_approval_limit\" parameter \"%V\", "
                       "expected \"rate=N/m [cooldown=TIME]\"", &value[i]);
    return NGX_CONF_ERROR;
}


static char *
ngx_http_push_approval_callback_url(ngx_conf_t *cf, void *post, void *data)
{
    ngx_str_t  *url = data;

    u_char  *p;

    if (!((url->len > 8 && ngx_strncmp(url->data, "https://", 8) == 0)
          || (url->len > 7 && ngx_strncmp(url->data, "http://", 7) == 0)))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"push_approval_callback_url\" must be an "
                           "absolute http:// or https:// URL, not \"%V\"",
                           url);
        return NGX_CONF_ERROR;
    }

    for (p = url->data; p < url->data + url->len; p++) {
        if (*p <= ' ' || *p >= 0x7f) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"push_approval_callback_url\" must be an "
                               "absolute URL without spaces or control "
                               "characters, not \"%V\"", url);
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_push_approval_handler(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_push_approval_loc_conf_t *plcf = conf;

    ngx_str_t                 *value;
    ngx_uint_t                 i;
    ngx_http_core_loc_conf_t  *clcf;

    static ngx_http_handler_pt  handlers[] = {
        NULL,
        ngx_http_push_approval_wait_handler,
        ngx_http_push_approval_callback_handler,
        ngx_http_push_approval_metrics_handler,
        ngx_http_push_approval_enroll_handler,
        ngx_http_push_approval_revoke_handler
    };

    if (plcf->handler != NGX_HTTP_PUSH_APPROVAL_HANDLER_NONE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": the location already has a push "
                           "approval handler", &cmd->name);
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    plcf->handler = cmd->offset;

    for (i = 1; i < cf->args->nelts; i++) {
        if (ngx_http_push_approval_handler_arg(cf, cmd, plcf, &value[i])
            != NGX_CONF_OK)
        {
            return NGX_CONF_ERROR;
        }
    }

    ngx_http_push_approval_conf_where(cf, plcf);

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = handlers[plcf->handler];

    return NGX_CONF_OK;
}


/* zone=NAME; first=invite|open (enrol); self (revoke) */

static char *
ngx_http_push_approval_handler_arg(ngx_conf_t *cf, ngx_command_t *cmd,
    ngx_http_push_approval_loc_conf_t *plcf, ngx_str_t *arg)
{
    const char  *expected;

    if (arg->len > 5 && ngx_strncmp(arg->data, "zone=", 5) == 0
        && plcf->handler_zone_name.len == 0)
    {
        plcf->handler_zone_name.data = arg->data + 5;
        plcf->handler_zone_name.len = arg->len - 5;
        return NGX_CONF_OK;
    }

    switch (plcf->handler) {

    case NGX_HTTP_PUSH_APPROVAL_HANDLER_ENROLL:
        if (arg->len == 12 && ngx_strncmp(arg->data, "first=invite", 12) == 0)
        {
            plcf->enroll_first = NGX_HTTP_PUSH_APPROVAL_FIRST_INVITE;
            return NGX_CONF_OK;
        }

        if (arg->len == 10 && ngx_strncmp(arg->data, "first=open", 10) == 0) {
            plcf->enroll_first = NGX_HTTP_PUSH_APPROVAL_FIRST_OPEN;
            return NGX_CONF_OK;
        }

        expected = "\"zone=NAME\" or \"first=invite|open\"";
        break;

    case NGX_HTTP_PUSH_APPROVAL_HANDLER_REVOKE:
        if (arg->len == 4 && ngx_strncmp(arg->data, "self", 4) == 0) {
            plcf->revoke_self = 1;
            return NGX_CONF_OK;
        }

        expected = "\"zone=NAME\" or \"self\"";
        break;

    default:
        expected = "\"zone=NAME\"";
        break;
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\" in \"%V\" directive, "
                       "expected %s", arg, &cmd->name, expected);

    return NGX_CONF_ERROR;
}


/* a provider by its table's name: an enum of the providers table */

static char *
ngx_http_push_approval_provider(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_uint_t                           i;
    ngx_command_t                        c;
    ngx_conf_enum_t                     *e;
    ngx_http_push_approval_provider_t  **pv;

    pv = ngx_http_push_approval_providers;

    for (i = 0; pv[i]; i++) { /* void */ }

    e = ngx_pcalloc(cf->temp_pool, (i + 1) * sizeof(ngx_conf_enum_t));
    if (e == NULL) {
        return NGX_CONF_ERROR;
    }

    for (i = 0; pv[i]; i++) {
        e[i].name = pv[i]->name;
        e[i].value = i;
    }

    c = *cmd;
    c.post = e;

    return ngx_http_push_approval_enum(cf, &c, conf);
}


/*
 * ngx_conf_set_enum_slot() sets a known value; an unknown one is reported
 * here, naming the directive and the values it takes (nginx's own says only
 * 'invalid value "x"', at "warn")
 */

static char *
ngx_http_push_approval_enum(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    u_char           *b, *last, buf[128];
    ngx_str_t        *value;
    ngx_uint_t        i;
    ngx_conf_enum_t  *e;

    value = cf->args->elts;
    e = cmd->post;

    for (i = 0; e[i].name.len != 0; i++) {
        if (e[i].name.len == value[1].len
            && ngx_strcasecmp(e[i].name.data, value[1].data) == 0)
        {
            return ngx_conf_set_enum_slot(cf, cmd, conf);
        }
    }

    /* as nginx's slot: a repeated directive is a duplicate first */

    if (*(ngx_uint_t *) (p + cmd->offset) != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    b = buf;
    last = buf + sizeof(buf);

    for (i = 0; e[i].name.len != 0; i++) {
        b = ngx_slprintf(b, last, "%s\"%V\"",
                         i == 0 ? "" : (e[i + 1].name.len ? ", " : " or "),
                         &e[i].name);
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid value \"%V\" in \"%V\" directive, "
                       "it must be %*s", &value[1], &cmd->name,
                       (size_t) (b - buf), buf);

    return NGX_CONF_ERROR;
}
