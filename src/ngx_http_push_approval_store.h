
/*
 * Copyright (C) push approval module developers
 *
 * The fleet store (push_approval_store, SPEC section 14): Redis spoken over
 * nginx's own peer connections, with hiredis's reply reader and command
 * formatter, so that a worker never blocks on it.
 */


#ifndef _NGX_HTTP_PUSH_APPROVAL_STORE_H_INCLUDED_
#define _NGX_HTTP_PUSH_APPROVAL_STORE_H_INCLUDED_


#include "ngx_http_push_approval.h"

#include <hiredis/hiredis.h>


/* the zone's spare metric slot counts store errors */
#define NGX_HTTP_PUSH_APPROVAL_M_STORE_ERRORS  NGX_HTTP_PUSH_APPROVAL_M_MAX

#define NGX_HTTP_PUSH_APPROVAL_STORE_PREFIX_MAX 128   /* with the zone */

#define NGX_HTTP_PUSH_APPROVAL_STORE_DOWN       0
#define NGX_HTTP_PUSH_APPROVAL_STORE_CONNECTING 1
#define NGX_HTTP_PUSH_APPROVAL_STORE_HELLO      2  /* AUTH, SELECT sent */
#define NGX_HTTP_PUSH_APPROVAL_STORE_READY      3


typedef struct ngx_http_push_approval_store_s
    ngx_http_push_approval_store_t;

/* reply is NULL when the store failed or did not answer in time */
typedef void (*ngx_http_push_approval_store_done_pt)(void *data,
    redisReply *reply);


typedef struct {
    ngx_queue_t                           queue;
    ngx_http_push_approval_store_done_pt  handler;
    void                                 *data;
    ngx_msec_t                            sent;
} ngx_http_push_approval_store_cmd_t;


typedef struct {
    ngx_http_push_approval_store_t  *store;
    ngx_peer_connection_t            peer;
    redisReader                     *reader;
    ngx_queue_t                      cmds;      /* awaiting replies, FIFO */
    u_char                          *out;       /* formatted, not yet sent */
    size_t                           out_len;
    size_t                           out_size;
    size_t                           out_sent;
    ngx_event_t                      retry;     /* reconnect */
    ngx_msec_t                       backoff;
    ngx_msec_t                       started;   /* of the connect */
    ngx_uint_t                       state;
    ngx_uint_t                       hello;     /* replies still due */
    ngx_uint_t                       addr;
    unsigned                         subscriber:1;
} ngx_http_push_approval_store_conn_t;


struct ngx_http_push_approval_store_s {
    ngx_str_t                            zone_name;
    ngx_shm_zone_t                      *shm_zone;
    ngx_str_t                            url_text;
    ngx_url_t                            url;
    ngx_str_t                            host;      /* TLS name check */
    ngx_uint_t                           db;
    ngx_str_t                            user;
    ngx_str_t                            password;
    ngx_str_t                            prefix;    /* prefix + zone + ':' */
    ngx_str_t                            channel;
    ngx_msec_t                           timeout;
    ngx_flag_t                           fail_closed;
    ngx_flag_t                           tls;
    ngx_str_t                            trusted_certificate;
#if (NGX_SSL)
    ngx_ssl_t                           *ssl;
#endif
    ngx_log_t                           *log;

    /* per worker */
    ngx_http_push_approval_store_conn_t  cmd;
    ngx_http_push_approval_store_conn_t  sub;
    ngx_event_t                          ping;
    time_t                               warned;
    ngx_uint_t                           ping_due;
};


extern ngx_module_t  ngx_http_push_approval_store_module;


/* ngx_http_push_approval_store_conf.c */
ngx_http_push_approval_store_t *ngx_http_push_approval_store_find(
    ngx_http_push_approval_zone_ctx_t *zone);

/* ngx_http_push_approval_store.c */
void ngx_http_push_approval_store_start(ngx_http_push_approval_store_t *st);
void ngx_http_push_approval_store_stop(ngx_http_push_approval_store_t *st);
ngx_uint_t ngx_http_push_approval_store_up(ngx_http_push_approval_store_t *st);
ngx_int_t ngx_http_push_approval_store_command(
    ngx_http_push_approval_store_t *st, int argc, const char **argv,
    const size_t *argvlen, ngx_http_push_approval_store_done_pt handler,
    void *data, ngx_http_push_approval_store_cmd_t **cmdp);
void ngx_http_push_approval_store_error(ngx_http_push_approval_store_t *st,
    const char *what);
ngx_uint_t ngx_http_push_approval_store_level(
    ngx_http_push_approval_store_t *st);

#define NGX_HTTP_PUSH_APPROVAL_FLEET_KEY  256

/*
 * a request waiting for the store's answer, at the start of memory that
 * outlives the request: a request that goes away is forgotten
 */
typedef struct {
    ngx_http_request_t            *request;   /* NULL: it went away */
    ngx_http_push_approval_ctx_t  *ctx;
    ngx_pool_cleanup_t            *cln;
} ngx_http_push_approval_fleet_waiter_t;

/* a message on the zone's channel, for the layer that applies it */
typedef void (*ngx_http_push_approval_store_receive_pt)(
    ngx_http_push_approval_store_t *st, redisReply *reply);

/* ngx_http_push_approval_relay.c: what the fleet tells this host */
extern ngx_http_push_approval_store_receive_pt
    ngx_http_push_approval_store_receive;

/* ngx_http_push_approval_fleet.c: what this host tells the fleet */
extern ngx_uint_t  ngx_http_push_approval_fleet_receiving;

ngx_http_push_approval_store_t *ngx_http_push_approval_fleet_up(
    ngx_http_push_approval_zone_ctx_t *zone);
u_char *ngx_http_push_approval_fleet_key(u_char *p, ngx_str_t *prefix,
    u_char kind, u_char *key);
u_char *ngx_http_push_approval_fleet_identity_key(u_char *p,
    ngx_http_push_approval_store_t *st, u_char kind, ngx_str_t *identity);
ngx_int_t ngx_http_push_approval_fleet_set(ngx_http_push_approval_store_t *st,
    u_char *key, size_t key_len, u_char *value, size_t value_len,
    time_t ttl);
void *ngx_http_push_approval_fleet_waiter(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, size_t size);
void ngx_http_push_approval_fleet_waiting(
    ngx_http_push_approval_fleet_waiter_t *w);
void ngx_http_push_approval_fleet_answered(
    ngx_http_push_approval_fleet_waiter_t *w);


#endif /* _NGX_HTTP_PUSH_APPROVAL_STORE_H_INCLUDED_ */
