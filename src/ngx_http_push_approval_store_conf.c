
/*
 * Copyright (C) push approval module developers
 *
 * push_approval_store: the directive, its checks at load, and the worker
 * start and end of the store connections.  A module of its own in the same
 * shared object, so that the store keeps out of the core's tables.
 */


#include "ngx_http_push_approval_store.h"


#define NGX_HTTP_PUSH_APPROVAL_CA_FILE  "/etc/ssl/certs/ca-certificates.crt"


typedef struct {
    ngx_array_t                     stores;   /* _store_t * */
} ngx_http_push_approval_store_main_conf_t;


static void *ngx_http_push_approval_store_create_main_conf(ngx_conf_t *cf);
static ngx_int_t ngx_http_push_approval_store_init(ngx_conf_t *cf);
static char *ngx_http_push_approval_store(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_push_approval_store_params(ngx_conf_t *cf,
    ngx_http_push_approval_store_t *st, ngx_str_t *password_file);
static ngx_uint_t ngx_http_push_approval_store_param(ngx_str_t *value,
    char *name, ngx_str_t *param);
static char *ngx_http_push_approval_store_url(ngx_conf_t *cf,
    ngx_http_push_approval_store_t *st, ngx_str_t *value);
static char *ngx_http_push_approval_store_password(ngx_conf_t *cf,
    ngx_http_push_approval_store_t *st, ngx_str_t *file);
static ngx_int_t ngx_http_push_approval_store_ssl(ngx_conf_t *cf,
    ngx_http_push_approval_store_t *st);
static ngx_int_t ngx_http_push_approval_store_init_process(
    ngx_cycle_t *cycle);
static void ngx_http_push_approval_store_exit_process(ngx_cycle_t *cycle);
static ngx_http_push_approval_store_t **ngx_http_push_approval_store_all(
    ngx_cycle_t *cycle, ngx_uint_t *n);


static ngx_command_t  ngx_http_push_approval_store_commands[] = {

    { ngx_string("push_approval_store"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_2MORE,
      ngx_http_push_approval_store,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_push_approval_store_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_push_approval_store_init,     /* postconfiguration */

    ngx_http_push_approval_store_create_main_conf,
                                           /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_push_approval_store_module = {
    NGX_MODULE_V1,
    &ngx_http_push_approval_store_module_ctx, /* module context */
    ngx_http_push_approval_store_commands, /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_push_approval_store_init_process, /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_push_approval_store_exit_process, /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static void *
ngx_http_push_approval_store_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_push_approval_store_main_conf_t  *smcf;

    smcf = ngx_pcalloc(cf->pool,
                       sizeof(ngx_http_push_approval_store_main_conf_t));
    if (smcf == NULL) {
        return NULL;
    }

    if (ngx_array_init(&smcf->stores, cf->pool, 1,
                       sizeof(ngx_http_push_approval_store_t *))
        != NGX_OK)
    {
        return NULL;
    }

    return smcf;
}


static char *
ngx_http_push_approval_store(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_push_approval_store_main_conf_t  *smcf = conf;

    char                            *rv;
    ngx_str_t                       *value, password_file;
    ngx_uint_t                       i;
    ngx_http_push_approval_store_t  *st, **stp;

    value = cf->args->elts;

    st = ngx_pcalloc(cf->pool, sizeof(ngx_http_push_approval_store_t));
    if (st == NULL) {
        return NGX_CONF_ERROR;
    }

    st->timeout = 500;
    ngx_str_set(&st->prefix, "push_approval:");
    ngx_str_null(&password_file);

    if (!ngx_http_push_approval_store_param(&value[1], "zone=",
                                            &st->zone_name)
        || st->zone_name.len == 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"push_approval_store\" needs \"zone=NAME\" "
                           "first, not \"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    for (stp = smcf->stores.elts, i = 0; i < smcf->stores.nelts; i++) {
        if (stp[i]->zone_name.len == st->zone_name.len
            && ngx_strncmp(stp[i]->zone_name.data, st->zone_name.data,
                           st->zone_name.len) == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"push_approval_store\": zone \"%V\" "
                               "already has a store", &st->zone_name);
            return NGX_CONF_ERROR;
        }
    }

    rv = ngx_http_push_approval_store_url(cf, st, &value[2]);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    rv = ngx_http_push_approval_store_params(cf, st, &password_file);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    if (st->trusted_certificate.len && !st->tls) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"push_approval_store\": \"trusted_certificate\" "
                           "needs a rediss:// URL");
        return NGX_CONF_ERROR;
    }

    if (password_file.len) {
        rv = ngx_http_push_approval_store_password(cf, st, &password_file);
        if (rv != NGX_CONF_OK) {
            return rv;
        }
    }

    if (st->tls && ngx_http_push_approval_store_ssl(cf, st) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    stp = ngx_array_push(&smcf->stores);
    if (stp == NULL) {
        return NGX_CONF_ERROR;
    }

    *stp = st;

    return NGX_CONF_OK;
}


/* the parameters after the URL: password_file, prefix, timeout, ... */

static char *
ngx_http_push_approval_store_params(ngx_conf_t *cf,
    ngx_http_push_approval_store_t *st, ngx_str_t *password_file)
{
    ngx_str_t   *value, s;
    ngx_int_t    n;
    ngx_uint_t   i;

    value = cf->args->elts;

    for (i = 3; i < cf->args->nelts; i++) {

        if (ngx_http_push_approval_store_param(&value[i], "password_file=",
                                               password_file)
            || ngx_http_push_approval_store_param(&value[i], "prefix=",
                                                  &st->prefix)
            || ngx_http_push_approval_store_param(&value[i],
                                                  "trusted_certificate=",
                                                  &st->trusted_certificate))
        {
            continue;
        }

        if (ngx_http_push_approval_store_param(&value[i], "timeout=", &s)) {
            n = ngx_parse_time(&s, 0);
            if (n == NGX_ERROR || n == 0 || n > 60000) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "\"push_approval_store\": invalid "
                                   "timeout \"%V\"", &s);
                return NGX_CONF_ERROR;
            }

            st->timeout = (ngx_msec_t) n;
            continue;
        }

        if (ngx_strcmp(value[i].data, "fail=local") == 0) {
            st->fail_closed = 0;
            continue;
        }

        if (ngx_strcmp(value[i].data, "fail=closed") == 0) {
            st->fail_closed = 1;
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"push_approval_store\": invalid parameter "
                           "\"%V\"", &value[i]);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* "NAME=VALUE": the value, if the parameter is that one */

static ngx_uint_t
ngx_http_push_approval_store_param(ngx_str_t *value, char *name,
    ngx_str_t *param)
{
    size_t  len;

    len = ngx_strlen(name);

    if (value->len < len || ngx_strncmp(value->data, name, len) != 0) {
        return 0;
    }

    param->data = value->data + len;
    param->len = value->len - len;

    return 1;
}


/* redis://HOST[:PORT][/DB], rediss://HOST[:PORT][/DB], unix:/PATH[:DB] */

static char *
ngx_http_push_approval_store_url(ngx_conf_t *cf,
    ngx_http_push_approval_store_t *st, ngx_str_t *value)
{
    u_char     *p, *last, *db;
    ngx_int_t   n;
    ngx_str_t   rest;

    st->url_text = *value;
    last = value->data + value->len;
    db = NULL;

    if (value->len > 8 && ngx_strncmp(value->data, "redis://", 8) == 0) {
        rest.data = value->data + 8;

    } else if (value->len > 9
               && ngx_strncmp(value->data, "rediss://", 9) == 0)
    {
        rest.data = value->data + 9;
        st->tls = 1;

    } else if (value->len > 6 && ngx_strncmp(value->data, "unix:/", 6) == 0) {
        rest.data = value->data;

        for (p = last; p > value->data + 5; p--) {
            if (p[-1] == ':') {
                db = p;
                last = p - 1;
                break;
            }

            if (p[-1] < '0' || p[-1] > '9') {
                break;
            }
        }

    } else {
        goto invalid;
    }

    if (db == NULL && rest.data != value->data) {
        p = ngx_strlchr(rest.data, last, '/');
        if (p) {
            db = p + 1;
            last = p;
        }
    }

    if (db) {
        n = ngx_atoi(db, value->data + value->len - db);
        if (n == NGX_ERROR || n > 1000) {
            goto invalid;
        }

        st->db = (ngx_uint_t) n;
    }

    rest.len = last - rest.data;

    if (rest.len == 0) {
        goto invalid;
    }

    st->url.url = rest;
    st->url.default_port = 6379;
    st->url.no_resolve = 0;

    if (ngx_parse_url(cf->pool, &st->url) != NGX_OK || st->url.naddrs == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"push_approval_store\": %s in \"%V\"",
                           st->url.err ? st->url.err : "no address",
                           value);
        return NGX_CONF_ERROR;
    }

    st->host = st->url.host;

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "\"push_approval_store\": invalid URL \"%V\" (use "
                       "redis://HOST[:PORT][/DB], rediss://... or "
                       "unix:/PATH[:DB])", value);
    return NGX_CONF_ERROR;
}


/* line 1: PASSWORD or USER:PASSWORD; never logged */

static char *
ngx_http_push_approval_store_password(ngx_conf_t *cf,
    ngx_http_push_approval_store_t *st, ngx_str_t *name)
{
    u_char     *p, *last, *colon;
    ssize_t     n;
    ngx_fd_t    fd;
    ngx_str_t   file;
    u_char      buf[1024];

    file = *name;

    if (ngx_conf_full_name(cf->cycle, &file, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    fd = ngx_open_file(file.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "\"push_approval_store\": cannot open "
                           "password_file \"%V\"", &file);
        return NGX_CONF_ERROR;
    }

    n = ngx_read_fd(fd, buf, sizeof(buf));
    ngx_close_file(fd);

    if (n == -1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "\"push_approval_store\": cannot read "
                           "password_file \"%V\"", &file);
        return NGX_CONF_ERROR;
    }

    p = buf;
    last = buf + n;

    /* skip empty lines */
    while (p < last && (*p == CR || *p == LF)) {
        p++;
    }

    last = ngx_strlchr(p, buf + n, LF);
    if (last == NULL) {
        last = buf + n;
    }

    if (last > p && last[-1] == CR) {
        last--;
    }

    if (last == p) {
        ngx_explicit_memzero(buf, sizeof(buf));
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"push_approval_store\": password_file \"%V\" "
                           "is empty", &file);
        return NGX_CONF_ERROR;
    }

    colon = ngx_strlchr(p, last, ':');

    if (colon) {
        st->user.data = p;
        st->user.len = colon - p;
        st->user.data = ngx_pstrdup(cf->pool, &st->user);
        p = colon + 1;
    }

    st->password.len = last - p;
    st->password.data = ngx_pnalloc(cf->pool, st->password.len + 1);

    if (st->password.data == NULL || (colon && st->user.data == NULL)) {
        ngx_explicit_memzero(buf, sizeof(buf));
        return NGX_CONF_ERROR;
    }

    ngx_memcpy(st->password.data, p, st->password.len);
    ngx_explicit_memzero(buf, sizeof(buf));

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_push_approval_store_ssl(ngx_conf_t *cf,
    ngx_http_push_approval_store_t *st)
{
#if (NGX_SSL)
    ngx_pool_cleanup_t  *cln;

    st->ssl = ngx_pcalloc(cf->pool, sizeof(ngx_ssl_t));
    if (st->ssl == NULL) {
        return NGX_ERROR;
    }

    st->ssl->log = cf->log;

    if (ngx_ssl_create(st->ssl, NGX_SSL_TLSv1_2|NGX_SSL_TLSv1_3, NULL)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        ngx_ssl_cleanup_ctx(st->ssl);
        return NGX_ERROR;
    }

    cln->handler = ngx_ssl_cleanup_ctx;
    cln->data = st->ssl;

    if (st->trusted_certificate.len == 0) {
        ngx_str_set(&st->trusted_certificate,
                    NGX_HTTP_PUSH_APPROVAL_CA_FILE);
    }

    if (ngx_ssl_trusted_certificate(cf, st->ssl, &st->trusted_certificate, 4)
        != NGX_OK)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"push_approval_store\": cannot load "
                           "trusted_certificate \"%V\"",
                           &st->trusted_certificate);
        return NGX_ERROR;
    }

    return NGX_OK;

#else
    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "\"push_approval_store\": rediss:// needs nginx "
                       "built with OpenSSL");
    return NGX_ERROR;
#endif
}


/* zones are known once the whole configuration is read */

static ngx_int_t
ngx_http_push_approval_store_init(ngx_conf_t *cf)
{
    ngx_str_t                                  prefix;
    ngx_uint_t                                 i, k;
    ngx_shm_zone_t                           **zones;
    ngx_http_push_approval_store_t           **stp, *st;
    ngx_http_push_approval_main_conf_t        *pmcf;
    ngx_http_push_approval_store_main_conf_t  *smcf;

    smcf = ngx_http_conf_get_module_main_conf(cf,
                                          ngx_http_push_approval_store_module);
    pmcf = ngx_http_conf_get_module_main_conf(cf,
                                              ngx_http_push_approval_module);

    stp = smcf->stores.elts;
    zones = pmcf->zones.elts;

    for (i = 0; i < smcf->stores.nelts; i++) {
        st = stp[i];

        for (k = 0; k < pmcf->zones.nelts; k++) {
            if (zones[k]->shm.name.len == st->zone_name.len
                && ngx_strncmp(zones[k]->shm.name.data, st->zone_name.data,
                               st->zone_name.len) == 0)
            {
                st->shm_zone = zones[k];
                break;
            }
        }

        if (st->shm_zone == NULL) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "\"push_approval_store\": unknown zone \"%V\"",
                          &st->zone_name);
            return NGX_ERROR;
        }

        /* keys and the channel carry the prefix and the zone name */

        prefix = st->prefix;

        st->channel.len = prefix.len + st->zone_name.len
                          + sizeof(":decisions") - 1;
        st->channel.data = ngx_pnalloc(cf->pool, st->channel.len);
        if (st->channel.data == NULL) {
            return NGX_ERROR;
        }

        ngx_sprintf(st->channel.data, "%V%V:decisions", &prefix,
                    &st->zone_name);

        st->prefix.len = prefix.len + st->zone_name.len + 1;
        st->prefix.data = ngx_pnalloc(cf->pool, st->prefix.len);
        if (st->prefix.data == NULL) {
            return NGX_ERROR;
        }

        ngx_sprintf(st->prefix.data, "%V%V:", &prefix, &st->zone_name);

        if (st->prefix.len > NGX_HTTP_PUSH_APPROVAL_STORE_PREFIX_MAX) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "\"push_approval_store\": prefix and zone name "
                          "longer than %d bytes",
                          NGX_HTTP_PUSH_APPROVAL_STORE_PREFIX_MAX);
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


ngx_http_push_approval_store_t *
ngx_http_push_approval_store_find(ngx_http_push_approval_zone_ctx_t *zone)
{
    ngx_uint_t                        i, n;
    ngx_http_push_approval_store_t  **stp;

    stp = ngx_http_push_approval_store_all((ngx_cycle_t *) ngx_cycle, &n);

    for (i = 0; i < n; i++) {
        if (stp[i]->shm_zone->data == zone) {
            return stp[i];
        }
    }

    return NULL;
}


static ngx_int_t
ngx_http_push_approval_store_init_process(ngx_cycle_t *cycle)
{
    ngx_uint_t                        i, n;
    ngx_http_push_approval_store_t  **stp;

    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    stp = ngx_http_push_approval_store_all(cycle, &n);

    for (i = 0; i < n; i++) {
        stp[i]->log = cycle->log;
        ngx_http_push_approval_store_start(stp[i]);
    }

    return NGX_OK;
}


static void
ngx_http_push_approval_store_exit_process(ngx_cycle_t *cycle)
{
    ngx_uint_t                        i, n;
    ngx_http_push_approval_store_t  **stp;

    stp = ngx_http_push_approval_store_all(cycle, &n);

    for (i = 0; i < n; i++) {
        ngx_http_push_approval_store_stop(stp[i]);
    }
}


/* the stores of the cycle's configuration (none without http) */

static ngx_http_push_approval_store_t **
ngx_http_push_approval_store_all(ngx_cycle_t *cycle, ngx_uint_t *n)
{
    ngx_http_push_approval_store_main_conf_t  *smcf;

    smcf = ngx_http_cycle_get_module_main_conf(cycle,
                                          ngx_http_push_approval_store_module);
    if (smcf == NULL) {
        *n = 0;
        return NULL;
    }

    *n = smcf->stores.nelts;

    return smcf->stores.elts;
}
