
/*
 * Copyright (C) push approval module developers
 *
 * The private header: configuration, shared zone layout, request context
 * and the small interfaces between the module's files.
 */


#ifndef _NGX_HTTP_PUSH_APPROVAL_H_INCLUDED_
#define _NGX_HTTP_PUSH_APPROVAL_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>



/*
 * indexes of ngx_http_push_approval_providers[] (module.c), carried by
 * tokens and the fleet store, which need only their number (PROVIDERS)
 */
#define NGX_HTTP_PUSH_APPROVAL_VERIFY        0
#define NGX_HTTP_PUSH_APPROVAL_AUTHY         1
#define NGX_HTTP_PUSH_APPROVAL_PROVIDERS     2

#define NGX_HTTP_PUSH_APPROVAL_MODE_AUTO     0
#define NGX_HTTP_PUSH_APPROVAL_MODE_HOLD     1
#define NGX_HTTP_PUSH_APPROVAL_MODE_REDIRECT 2

#define NGX_HTTP_PUSH_APPROVAL_SAMESITE_LAX     0
#define NGX_HTTP_PUSH_APPROVAL_SAMESITE_STRICT  1
#define NGX_HTTP_PUSH_APPROVAL_SAMESITE_NONE    2

#define NGX_HTTP_PUSH_APPROVAL_HANDLER_NONE     0
#define NGX_HTTP_PUSH_APPROVAL_HANDLER_WAIT     1
#define NGX_HTTP_PUSH_APPROVAL_HANDLER_CALLBACK 2
#define NGX_HTTP_PUSH_APPROVAL_HANDLER_METRICS  3
#define NGX_HTTP_PUSH_APPROVAL_HANDLER_ENROLL   4
#define NGX_HTTP_PUSH_APPROVAL_HANDLER_REVOKE   5

#define NGX_HTTP_PUSH_APPROVAL_FIRST_INVITE     0
#define NGX_HTTP_PUSH_APPROVAL_FIRST_OPEN       1

/* a cookie's binding: sha256 of zone, provider and Verify service */
#define NGX_HTTP_PUSH_APPROVAL_BIND_LEN         32

/* decision states, kept in the zone and in request contexts */
#define NGX_HTTP_PUSH_APPROVAL_PENDING       0
#define NGX_HTTP_PUSH_APPROVAL_APPROVED      1
#define NGX_HTTP_PUSH_APPROVAL_DENIED        2
#define NGX_HTTP_PUSH_APPROVAL_EXPIRED       3

/* $push_approval_status values */
#define NGX_HTTP_PUSH_APPROVAL_ST_NONE        0
#define NGX_HTTP_PUSH_APPROVAL_ST_APPROVED    1
#define NGX_HTTP_PUSH_APPROVAL_ST_REMEMBERED  2
#define NGX_HTTP_PUSH_APPROVAL_ST_DENIED      3
#define NGX_HTTP_PUSH_APPROVAL_ST_EXPIRED     4
#define NGX_HTTP_PUSH_APPROVAL_ST_TIMEOUT     5
#define NGX_HTTP_PUSH_APPROVAL_ST_LIMITED     6
#define NGX_HTTP_PUSH_APPROVAL_ST_NO_IDENTITY 7
#define NGX_HTTP_PUSH_APPROVAL_ST_ERROR       8
#define NGX_HTTP_PUSH_APPROVAL_ST_FAIL_OPEN   9
#define NGX_HTTP_PUSH_APPROVAL_ST_PENDING     10
#define NGX_HTTP_PUSH_APPROVAL_ST_MAX         11

/* metrics counters, summed over workers in the zone */
#define NGX_HTTP_PUSH_APPROVAL_M_PUSHES_VERIFY   0
#define NGX_HTTP_PUSH_APPROVAL_M_PUSHES_AUTHY    1
#define NGX_HTTP_PUSH_APPROVAL_M_CB_ACCEPTED     2
#define NGX_HTTP_PUSH_APPROVAL_M_CB_IGNORED      3
#define NGX_HTTP_PUSH_APPROVAL_M_CB_BAD_SIG      4
#define NGX_HTTP_PUSH_APPROVAL_M_CB_STALE        5
#define NGX_HTTP_PUSH_APPROVAL_M_CB_REPLAYED     6
#define NGX_HTTP_PUSH_APPROVAL_M_CB_MALFORMED    7
#define NGX_HTTP_PUSH_APPROVAL_M_POLLS           8
#define NGX_HTTP_PUSH_APPROVAL_M_PROVIDER_ERRORS 9
#define NGX_HTTP_PUSH_APPROVAL_M_HELD            10
#define NGX_HTTP_PUSH_APPROVAL_M_PENDING         11
#define NGX_HTTP_PUSH_APPROVAL_M_REQUESTS        12  /* + status */
#define NGX_HTTP_PUSH_APPROVAL_M_MAX                                        \
    (NGX_HTTP_PUSH_APPROVAL_M_REQUESTS + NGX_HTTP_PUSH_APPROVAL_ST_MAX)

/* per-worker counter slots, each a whole number of cache lines */
#define NGX_HTTP_PUSH_APPROVAL_SLOTS             32
/* one spare counter beyond M_MAX: store errors (section 14) */
#define NGX_HTTP_PUSH_APPROVAL_M_SLOT                                        \
    ((NGX_HTTP_PUSH_APPROVAL_M_MAX + 1 + 7) & ~7)

#define NGX_HTTP_PUSH_APPROVAL_KEY_SIZE       16
#define NGX_HTTP_PUSH_APPROVAL_ID_LEN        40
#define NGX_HTTP_PUSH_APPROVAL_IDENT_MAX  64
#define NGX_HTTP_PUSH_APPROVAL_SECRET_MIN    32
#define NGX_HTTP_PUSH_APPROVAL_MAX_SECRETS   8
#define NGX_HTTP_PUSH_APPROVAL_MAX_RATE      100
#define NGX_HTTP_PUSH_APPROVAL_ACCOUNT       8

/* zone node types */
#define NGX_HTTP_PUSH_APPROVAL_NODE_APPROVAL 1  /* by approval id */
#define NGX_HTTP_PUSH_APPROVAL_NODE_PAIR     2  /* identity + scope */
#define NGX_HTTP_PUSH_APPROVAL_NODE_REMEMBER 3  /* identity+scope+address */
#define NGX_HTTP_PUSH_APPROVAL_NODE_LIMIT    4  /* identity */
#define NGX_HTTP_PUSH_APPROVAL_NODE_REPLAY   5  /* callback signature */
#define NGX_HTTP_PUSH_APPROVAL_NODE_FACTOR   6  /* Verify factor sid */
#define NGX_HTTP_PUSH_APPROVAL_NODE_REVOKED  7  /* identity: revoked at */
#define NGX_HTTP_PUSH_APPROVAL_NODE_INVITE   8  /* an invite's MAC: used */

/* pair (identity + scope) creation states */
#define NGX_HTTP_PUSH_APPROVAL_PAIR_CREATING 1
#define NGX_HTTP_PUSH_APPROVAL_PAIR_ACTIVE   2
#define NGX_HTTP_PUSH_APPROVAL_PAIR_FAILED   3
#define NGX_HTTP_PUSH_APPROVAL_PAIR_NO_USER  4
#define NGX_HTTP_PUSH_APPROVAL_PAIR_ABANDONED 5
#define NGX_HTTP_PUSH_APPROVAL_PAIR_REFUSED  6


typedef struct {
    ngx_str_t                       name;
    ngx_str_t                       value;
} ngx_http_push_approval_param_t;


typedef struct {
    ngx_str_t                       label;
    ngx_http_complex_value_t        value;
} ngx_http_push_approval_detail_t;


typedef struct {
    ngx_str_t                       res;
    ngx_str_t                       url;
} ngx_http_push_approval_logo_t;


typedef struct {
    ngx_array_t                     zones;     /* ngx_shm_zone_t * */
    ngx_array_t                    *secrets;   /* ngx_str_t, line 1 signs */
    ngx_str_t                       secret_file;
    ngx_str_t                       used_file;  /* first user, for errors */
    ngx_uint_t                      used_line;
    unsigned                        used:1;
} ngx_http_push_approval_main_conf_t;


typedef struct {
    ngx_str_t                       zone_name;
    ngx_shm_zone_t                 *shm_zone;   /* NULL: off */

    ngx_uint_t                      provider;
    ngx_str_t                       api;        /* without trailing '/' */
    ngx_str_t                       api_key_file;
    ngx_str_t                       api_key;    /* Authy */
    ngx_str_t                       verify_service;
    ngx_str_t                       credentials_file;
    ngx_str_t                       basic_auth; /* "Basic ..." (Verify) */
    ngx_str_t                       auth_token; /* Verify webhook key */

    ngx_http_complex_value_t       *identity;
    ngx_http_complex_value_t       *factor;
    ngx_http_complex_value_t       *message;
    ngx_http_complex_value_t       *scope;
    ngx_array_t                    *details;        /* _detail_t */
    ngx_array_t                    *hidden_details; /* _detail_t */
    ngx_array_t                    *logos;          /* _logo_t */

    ngx_msec_t                      timeout;
    ngx_uint_t                      mode;
    time_t                          remember;

    ngx_str_t                       cookie_name;
    ngx_flag_t                      cookie_secure;
    ngx_uint_t                      cookie_samesite;
    ngx_str_t                       cookie_domain;

    ngx_str_t                       wait_uri;
    ngx_uint_t                      fail_open;
    ngx_msec_t                      poll;
    ngx_uint_t                      limit_rate;     /* per minute */
    time_t                          limit_cooldown;
    ngx_flag_t                      code;
    ngx_str_t                       callback_url;
    time_t                          callback_max_age;

    ngx_uint_t                      handler;
    ngx_str_t                       handler_zone_name;
    ngx_shm_zone_t                 *handler_zone;

    ngx_uint_t                      enroll_first;   /* _FIRST_INVITE/OPEN */
    ngx_flag_t                      revoke_self;
    u_char                          cookie_bind[
                                        NGX_HTTP_PUSH_APPROVAL_BIND_LEN];
    ngx_str_t                       conf_file;  /* where push_approval or */
    ngx_uint_t                      conf_line;  /* the handler is set */
} ngx_http_push_approval_loc_conf_t;


/* the shared zone */

/* every node has the same size, so that evicting one makes room for any */

typedef struct {
    time_t                          created;
    time_t                          decided;
    time_t                          provider_expires;
    ngx_msec_t                      next_poll;
    ngx_msec_t                      poll_started;  /* 0: none in flight */
    u_char                          state;
    u_char                          provider;
    u_char                          code;
    u_char                          poll_failed;
    u_char                          id_len;
    u_char                          identity_len;
    u_char                          id[NGX_HTTP_PUSH_APPROVAL_ID_LEN];
    u_char                          identity[NGX_HTTP_PUSH_APPROVAL_IDENT_MAX];
    /* who may decide it by callback: provider credentials, hashed */
    u_char                          account[NGX_HTTP_PUSH_APPROVAL_ACCOUNT];
} ngx_http_push_approval_approval_t;


typedef struct {
    ngx_uint_t                      seq;
    ngx_msec_t                      started;
    u_char                          state;
    u_char                          id_len;
    u_char                          id[NGX_HTTP_PUSH_APPROVAL_ID_LEN];
} ngx_http_push_approval_pair_t;


/* pushes per second over the last minute, slot = second % 60 */

typedef struct {
    time_t                          denied;
    time_t                          last;
    u_char                          pushes[60];
} ngx_http_push_approval_limit_t;


typedef struct {
    u_char                          len;
    u_char                          sid[NGX_HTTP_PUSH_APPROVAL_ID_LEN];
} ngx_http_push_approval_factor_t;


/* an address entry, and a revocation, name their identity */

typedef struct {
    time_t                          at;    /* created, or revoked at */
    u_char                          identity_len;
    u_char                          identity[NGX_HTTP_PUSH_APPROVAL_IDENT_MAX];
} ngx_http_push_approval_ident_t;


typedef struct {
    ngx_rbtree_node_t               node;
    ngx_queue_t                     queue;
    u_char                          key[NGX_HTTP_PUSH_APPROVAL_KEY_SIZE];
    time_t                          expires;
    ngx_uint_t                      type;
    union {
        ngx_http_push_approval_approval_t  approval;
        ngx_http_push_approval_pair_t      pair;
        ngx_http_push_approval_limit_t     limit;
        ngx_http_push_approval_factor_t    factor;
        ngx_http_push_approval_ident_t     ident;
    } v;
} ngx_http_push_approval_node_t;


typedef struct {
    ngx_uint_t                      magic;
    ngx_rbtree_t                    rbtree;
    ngx_rbtree_node_t               sentinel;
    ngx_queue_t                     queue;     /* LRU, most recent first */
    ngx_atomic_t                    generation;
    ngx_atomic_t                    lost;      /* wake-ups not delivered */
    ngx_atomic_t                    seq;
    ngx_atomic_t                    entries;
    ngx_atomic_t                    revocations;  /* memos check again */
    ngx_atomic_t                    metrics[NGX_HTTP_PUSH_APPROVAL_SLOTS]
                                           [NGX_HTTP_PUSH_APPROVAL_M_SLOT];
} ngx_http_push_approval_shctx_t;


typedef struct {
    ngx_http_push_approval_shctx_t *sh;
    ngx_slab_pool_t                *shpool;
    ngx_str_t                       name;
    time_t                          remember_max;  /* of its locations */
    ngx_atomic_uint_t               seen_generation;  /* this process's */
    ngx_atomic_uint_t               seen_lost;
} ngx_http_push_approval_zone_ctx_t;


/* a provider response, captured from a subrequest */

typedef struct ngx_http_push_approval_call_s  ngx_http_push_approval_call_t;

typedef void (*ngx_http_push_approval_call_done_pt)(ngx_http_request_t *r,
    ngx_http_push_approval_call_t *call);

struct ngx_http_push_approval_call_s {
    ngx_uint_t                      op;
    ngx_uint_t                      status;    /* HTTP status, 0: none */
    ngx_str_t                       body;
    size_t                          capacity;
    unsigned                        truncated:1;
    unsigned                        done:1;
    ngx_http_push_approval_call_done_pt  handler;
    void                           *data;
    u_char                          key[NGX_HTTP_PUSH_APPROVAL_KEY_SIZE];
    ngx_uint_t                      provider;
};

/* provider operations */
#define NGX_HTTP_PUSH_APPROVAL_OP_CREATE     1
#define NGX_HTTP_PUSH_APPROVAL_OP_STATUS     2
#define NGX_HTTP_PUSH_APPROVAL_OP_FACTORS    3
#define NGX_HTTP_PUSH_APPROVAL_OP_ENROLL     4

/* what a provider answer means */
#define NGX_HTTP_PUSH_APPROVAL_R_OK          0
#define NGX_HTTP_PUSH_APPROVAL_R_NOT_FOUND   1   /* unknown user/entity */
#define NGX_HTTP_PUSH_APPROVAL_R_ERROR       2   /* fail mode decides */
#define NGX_HTTP_PUSH_APPROVAL_R_REFUSED     3   /* 503 in both modes */


typedef struct {
    ngx_uint_t                      result;
    ngx_uint_t                      state;      /* decision states */
    ngx_str_t                       id;         /* approval or factor id */
    time_t                          expires;
    ngx_str_t                       error;      /* code/message for logs */
    ngx_str_t                       token;      /* enrolment */
} ngx_http_push_approval_answer_t;


/* what the approval shows and says: built once per create */

typedef struct {
    ngx_str_t                       identity;
    ngx_str_t                       factor;
    ngx_str_t                       message;
    ngx_array_t                     details;        /* _param_t */
    ngx_array_t                     hidden_details; /* _param_t */
    time_t                          expires;
    unsigned                        factor_cached:1;
} ngx_http_push_approval_request_t;


/*
 * provider dialect: one table per provider, listed in
 * ngx_http_push_approval_providers[] (module.c); nothing else of the module
 * knows a provider by name
 */

typedef struct ngx_http_push_approval_webhook_s
    ngx_http_push_approval_webhook_t;

/* what a provider does, as function types: each file declares with them */

typedef ngx_int_t ngx_http_push_approval_provider_identity_t(
    ngx_str_t *identity);
typedef ngx_int_t ngx_http_push_approval_provider_create_t(
    ngx_http_request_t *r, ngx_http_push_approval_loc_conf_t *plcf,
    ngx_http_push_approval_request_t *pr, ngx_str_t *uri, ngx_str_t *body);
typedef ngx_int_t ngx_http_push_approval_provider_status_t(
    ngx_http_request_t *r, ngx_http_push_approval_loc_conf_t *plcf,
    ngx_str_t *identity, ngx_str_t *id, ngx_str_t *uri);
typedef ngx_int_t ngx_http_push_approval_provider_lookup_t(
    ngx_http_request_t *r, ngx_http_push_approval_loc_conf_t *plcf,
    ngx_str_t *identity, ngx_str_t *uri);
typedef ngx_int_t ngx_http_push_approval_provider_enroll_t(
    ngx_http_request_t *r, ngx_http_push_approval_loc_conf_t *plcf,
    ngx_str_t *identity, ngx_str_t *uri, ngx_str_t *body);
typedef void ngx_http_push_approval_provider_parse_t(ngx_pool_t *pool,
    ngx_uint_t op, ngx_http_push_approval_call_t *call,
    ngx_http_push_approval_answer_t *ans);
typedef ngx_int_t ngx_http_push_approval_provider_authorize_t(
    ngx_http_request_t *sr, ngx_http_push_approval_loc_conf_t *plcf);
typedef ngx_int_t ngx_http_push_approval_provider_webhook_t(
    ngx_http_push_approval_webhook_t *wh);
typedef u_char *ngx_http_push_approval_provider_enrolled_t(u_char *p,
    ngx_http_push_approval_loc_conf_t *plcf);
typedef char *ngx_http_push_approval_provider_check_t(ngx_conf_t *cf,
    ngx_http_push_approval_loc_conf_t *plcf);
typedef char *ngx_http_push_approval_provider_missing_t(
    ngx_http_push_approval_loc_conf_t *plcf);
typedef void ngx_http_push_approval_provider_binding_t(
    ngx_http_push_approval_loc_conf_t *plcf, ngx_str_t *part);
typedef void ngx_http_push_approval_provider_account_t(
    ngx_http_push_approval_loc_conf_t *plcf, u_char *account);

typedef struct {
    ngx_str_t                                    name;
    ngx_uint_t                                   push_metric;
    ngx_http_push_approval_provider_identity_t  *valid_identity;
    ngx_http_push_approval_provider_create_t    *create;
    ngx_http_push_approval_provider_status_t    *status;
    /* the identity's push factor, NULL: the provider needs none */
    ngx_http_push_approval_provider_lookup_t    *factors;
    ngx_http_push_approval_provider_enroll_t    *enroll;
    ngx_http_push_approval_provider_parse_t     *parse;
    /* whether the identity has a device: parsed as OP_FACTORS */
    ngx_http_push_approval_provider_lookup_t    *devices;
    /* the credentials header of a call */
    ngx_http_push_approval_provider_authorize_t *authorize;
    /* the webhook dialect: what a signed callback decides */
    ngx_http_push_approval_provider_webhook_t   *webhook;
    ngx_uint_t                                   webhook_methods;
    /* the provider's fields of the enrolment answer, before the token */
    ngx_http_push_approval_provider_enrolled_t  *enrolled;
    /* nginx -t: where approvals are created, the provider's own limits */
    ngx_http_push_approval_provider_check_t     *check_create;
    /* nginx -t: a directive its calls need and miss, or NULL */
    ngx_http_push_approval_provider_missing_t   *missing_calls;
    /* nginx -t: what checking its webhooks needs and misses, or NULL */
    ngx_http_push_approval_provider_missing_t   *missing_webhook;
    /* what a cookie is bound to besides zone and provider name */
    ngx_http_push_approval_provider_binding_t   *binding;
    /* the digest of the account that may decide an approval by callback */
    ngx_http_push_approval_provider_account_t   *account;
} ngx_http_push_approval_provider_t;


/* what the waiting page needs, carried in the signed wait token */

#define NGX_HTTP_PUSH_APPROVAL_WAIT_HASH  16
/* a token outlives its wait by this much, s */
#define NGX_HTTP_PUSH_APPROVAL_TOKEN_GRACE  300

typedef struct {
    ngx_str_t                       id;
    ngx_str_t                       identity;
    ngx_str_t                       scope;
    ngx_str_t                       return_uri;
    ngx_str_t                       message;
    ngx_str_t                       cookie_name;
    ngx_str_t                       cookie_domain;
    time_t                          expires;
    time_t                          remember;
    time_t                          created;
    time_t                          timeout;
    ngx_uint_t                      code;
    ngx_uint_t                      provider;
    ngx_uint_t                      secure;
    ngx_uint_t                      samesite;
    u_char                          wait_hash[NGX_HTTP_PUSH_APPROVAL_WAIT_HASH];
    u_char                          bind[NGX_HTTP_PUSH_APPROVAL_BIND_LEN];
} ngx_http_push_approval_token_t;


/* requests of one worker waiting on the same zone entry */

typedef struct {
    ngx_rbtree_node_t                   node;     /* by key, then zone */
    ngx_queue_t                         link;
    ngx_queue_t                         waiters;
    ngx_http_push_approval_zone_ctx_t  *zone;
    u_char                              key[NGX_HTTP_PUSH_APPROVAL_KEY_SIZE];
    ngx_uint_t                          type;
    ngx_msec_t                          next_poll;
    ngx_msec_t                          poll;
    ngx_event_t                         poll_event;
} ngx_http_push_approval_watch_t;


/* request context */

typedef u_char  ngx_http_push_approval_key_t[NGX_HTTP_PUSH_APPROVAL_KEY_SIZE];

typedef struct {
    ngx_http_request_t                 *request;
    ngx_http_push_approval_loc_conf_t  *conf;
    ngx_http_push_approval_zone_ctx_t  *zone;

    ngx_str_t                           identity;
    ngx_str_t                           scope;
    ngx_str_t                           cookie_name;
    ngx_str_t                           approval_id;
    ngx_uint_t                          code;

    ngx_http_push_approval_key_t        pair_key;
    ngx_http_push_approval_key_t        approval_key;
    ngx_uint_t                          seq;

    ngx_uint_t                          status;  /* $push_approval_status */
    ngx_int_t                           rc;      /* the access result */
    ngx_uint_t                          polls;
    ngx_msec_t                          poll;    /* interval while waiting */
    ngx_msec_t                          polled;  /* its last poll */

    ngx_event_t                         timer;   /* hold timeout and wake */
    ngx_queue_t                         wait_link;
    ngx_http_push_approval_watch_t     *watch;

    ngx_http_push_approval_request_t   *pr;      /* the push being made */
    ngx_http_push_approval_call_t      *call;    /* its create call */
    ngx_chain_t                        *out;     /* a body of our own */
    ngx_uint_t                          uri_changes;  /* when checked */

    unsigned                            done:1;
    unsigned                            held:1;
    unsigned                            poll_failed:1;
    unsigned                            timed_out:1;
    unsigned                            poll_now:1;
    unsigned                            fleet_poll:1;  /* the fleet's turn */
    unsigned                            poll_refused:1;
    unsigned                            client_gone:1;
} ngx_http_push_approval_ctx_t;


/* how a request goes on once the fleet answered its claim */
typedef void (*ngx_http_push_approval_claimed_pt)(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_int_t rc);

/* a status fetch, started again once the fleet let this host ask */
typedef void (*ngx_http_push_approval_fetch_pt)(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx);

/* the order of two rbtree nodes of one hash */
typedef ngx_int_t (*ngx_http_push_approval_rbtree_cmp_pt)(
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *temp);


extern ngx_module_t  ngx_http_push_approval_module;
extern ngx_http_push_approval_provider_t  ngx_http_push_approval_verify;
extern ngx_http_push_approval_provider_t  ngx_http_push_approval_authy;
extern ngx_http_push_approval_provider_t *ngx_http_push_approval_providers[];
extern ngx_str_t  ngx_http_push_approval_status_names[];


/* ngx_http_push_approval_conf_file.c */
ngx_array_t *ngx_http_push_approval_conf_lines(ngx_conf_t *cf,
    ngx_pool_t *pool, ngx_str_t *name);
ngx_array_t *ngx_http_push_approval_secret_lines(ngx_conf_t *cf,
    ngx_command_t *cmd, ngx_str_t *secret, ngx_str_t *file);

/* ngx_http_push_approval_access.c */
ngx_int_t ngx_http_push_approval_access_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_push_approval_count_push(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx);
void ngx_http_push_approval_proceed(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_int_t rc);

/* ngx_http_push_approval_zone.c */
ngx_int_t ngx_http_push_approval_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
void ngx_http_push_approval_key(u_char *key, ngx_uint_t type,
    ngx_str_t *a, ngx_str_t *b, ngx_str_t *c);
ngx_http_push_approval_node_t *ngx_http_push_approval_lookup(
    ngx_http_push_approval_zone_ctx_t *zone, u_char *key, ngx_uint_t type);
ngx_http_push_approval_node_t *ngx_http_push_approval_insert(
    ngx_http_push_approval_zone_ctx_t *zone, u_char *key, ngx_uint_t type,
    time_t expires);
ngx_http_push_approval_node_t *ngx_http_push_approval_entry(
    ngx_http_push_approval_zone_ctx_t *zone, u_char *key, ngx_uint_t type,
    time_t expires);
ngx_int_t ngx_http_push_approval_insert_once(
    ngx_http_push_approval_zone_ctx_t *zone, u_char *key, ngx_uint_t type,
    time_t expires);
void ngx_http_push_approval_rbtree_insert_cmp(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel,
    ngx_http_push_approval_rbtree_cmp_pt cmp);
void ngx_http_push_approval_delete(ngx_http_push_approval_zone_ctx_t *zone,
    ngx_http_push_approval_node_t *node);
void ngx_http_push_approval_touch(ngx_http_push_approval_zone_ctx_t *zone,
    ngx_http_push_approval_node_t *node);
void ngx_http_push_approval_metric(ngx_http_push_approval_zone_ctx_t *zone,
    ngx_uint_t metric, ngx_atomic_int_t delta);
ngx_atomic_int_t ngx_http_push_approval_metric_sum(
    ngx_http_push_approval_zone_ctx_t *zone, ngx_uint_t metric);
ngx_int_t ngx_http_push_approval_claim_poll(
    ngx_http_push_approval_zone_ctx_t *zone, u_char *key, ngx_msec_t interval,
    ngx_msec_t *next);

/* ngx_http_push_approval_approval.c: the approval core */
ngx_http_push_approval_ctx_t *ngx_http_push_approval_get_ctx(
    ngx_http_request_t *r);
ngx_http_push_approval_ctx_t *ngx_http_push_approval_create_ctx(
    ngx_http_request_t *r);
void *ngx_http_push_approval_new_ctx(ngx_http_request_t *r, size_t size);
void ngx_http_push_approval_changed(ngx_http_push_approval_zone_ctx_t *zone);
void ngx_http_push_approval_changed_key(
    ngx_http_push_approval_zone_ctx_t *zone, u_char *key);
ngx_int_t ngx_http_push_approval_decide(
    ngx_http_push_approval_zone_ctx_t *zone, ngx_str_t *id,
    ngx_uint_t state, ngx_log_t *log);
ngx_int_t ngx_http_push_approval_decide_account(
    ngx_http_push_approval_zone_ctx_t *zone, ngx_str_t *id,
    ngx_uint_t state, ngx_uint_t provider, u_char *account, ngx_log_t *log);
ngx_int_t ngx_http_push_approval_settle(
    ngx_http_push_approval_zone_ctx_t *zone, ngx_str_t *id,
    ngx_uint_t state, ngx_uint_t provider, u_char *account,
    ngx_uint_t publish, ngx_log_t *log);
ngx_int_t ngx_http_push_approval_replay_add(
    ngx_http_push_approval_zone_ctx_t *zone, ngx_str_t *nonce,
    ngx_str_t *signature, time_t expires);
ngx_int_t ngx_http_push_approval_build(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx);
void ngx_http_push_approval_fetch(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx);
void ngx_http_push_approval_release(ngx_http_push_approval_ctx_t *ctx);
void ngx_http_push_approval_hold(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_event_handler_pt handler);
ngx_http_push_approval_ctx_t *ngx_http_push_approval_woken(ngx_event_t *ev);
void ngx_http_push_approval_log_decision(ngx_log_t *log,
    ngx_http_push_approval_approval_t *ap);
ngx_http_push_approval_node_t *ngx_http_push_approval_add(
    ngx_http_push_approval_zone_ctx_t *zone, u_char *key, time_t expires,
    ngx_str_t *id, ngx_str_t *identity,
    ngx_http_push_approval_approval_t *from);
ngx_http_push_approval_node_t *ngx_http_push_approval_pair_entry(
    ngx_http_push_approval_ctx_t *ctx);
ngx_uint_t ngx_http_push_approval_pair_creating(
    ngx_http_push_approval_zone_ctx_t *zone,
    ngx_http_push_approval_node_t *pair);
ngx_http_push_approval_node_t *ngx_http_push_approval_made(
    ngx_http_push_approval_ctx_t *ctx, u_char *key, ngx_str_t *id,
    time_t provider_expires, ngx_uint_t code);

/* ngx_http_push_approval_fleet.c: the fleet store behind the zone */
void ngx_http_push_approval_fleet_decided(
    ngx_http_push_approval_zone_ctx_t *zone, ngx_str_t *id,
    ngx_uint_t state, ngx_uint_t provider, u_char *account);
ngx_uint_t ngx_http_push_approval_fleet_live(
    ngx_http_push_approval_zone_ctx_t *zone,
    ngx_http_push_approval_node_t *pair);
void ngx_http_push_approval_fleet_created(
    ngx_http_push_approval_zone_ctx_t *zone, u_char *pair_key,
    ngx_http_push_approval_approval_t *ap, ngx_uint_t pair_state);
void ngx_http_push_approval_fleet_denied(
    ngx_http_push_approval_zone_ctx_t *zone, ngx_str_t *identity);
ngx_int_t ngx_http_push_approval_fleet_poll(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_http_push_approval_fetch_pt handler);
void ngx_http_push_approval_fleet_revoked(
    ngx_http_push_approval_zone_ctx_t *zone, ngx_str_t *identity, time_t at,
    time_t ttl);
void ngx_http_push_approval_fleet_abandoned(
    ngx_http_push_approval_zone_ctx_t *zone, u_char *pair_key);
void ngx_http_push_approval_fleet_replay(
    ngx_http_push_approval_zone_ctx_t *zone, u_char *key, time_t expires);
void ngx_http_push_approval_fleet_remember(
    ngx_http_push_approval_zone_ctx_t *zone, u_char *key, time_t remember);
u_char *ngx_http_push_approval_fleet_metrics(u_char *p,
    ngx_shm_zone_t **zones, ngx_uint_t nzones);

/* ngx_http_push_approval_limit.c: the push limiter */
ngx_int_t ngx_http_push_approval_limit_push(
    ngx_http_push_approval_zone_ctx_t *zone,
    ngx_http_push_approval_loc_conf_t *plcf, ngx_str_t *identity,
    time_t *left);
void ngx_http_push_approval_denied(ngx_http_push_approval_zone_ctx_t *zone,
    ngx_http_push_approval_approval_t *ap);
void ngx_http_push_approval_limit_learned(
    ngx_http_push_approval_zone_ctx_t *zone,
    ngx_http_push_approval_loc_conf_t *plcf, ngx_str_t *identity,
    ngx_uint_t cooldown, time_t left);
ngx_int_t ngx_http_push_approval_retry_after(ngx_http_request_t *r,
    time_t seconds);
void ngx_http_push_approval_log_limit(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx);

/* ngx_http_push_approval_relay.c: what the fleet tells this host */
ngx_int_t ngx_http_push_approval_fleet_claim(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx,
    ngx_http_push_approval_claimed_pt handler);

/* ngx_http_push_approval_crypto.c: pure, no nginx run time */
#define NGX_HTTP_PUSH_APPROVAL_SHA1          0
#define NGX_HTTP_PUSH_APPROVAL_SHA256        1

typedef struct {
    void                           *ctx;     /* EVP_MAC_CTX */
    ngx_uint_t                      md;
} ngx_http_push_approval_hmac_t;

ngx_int_t ngx_http_push_approval_sha256(u_char *digest, ngx_str_t *parts,
    ngx_uint_t n);
ngx_int_t ngx_http_push_approval_hmac_init(ngx_http_push_approval_hmac_t *h,
    ngx_uint_t md, ngx_str_t *key);
ngx_int_t ngx_http_push_approval_hmac_update(
    ngx_http_push_approval_hmac_t *h, u_char *data, size_t len);
size_t ngx_http_push_approval_hmac_final(ngx_http_push_approval_hmac_t *h,
    u_char *mac);
void ngx_http_push_approval_hmac_sha256(ngx_str_t *key, ngx_str_t *data,
    u_char *mac);
ngx_int_t ngx_http_push_approval_mac_equal(u_char *a, u_char *b,
    size_t len);
size_t ngx_http_push_approval_base64_encode(u_char *dst, u_char *src,
    size_t len);
size_t ngx_http_push_approval_base64url_encode(u_char *dst, u_char *src,
    size_t len);
u_char *ngx_http_push_approval_hex(u_char *dst, u_char *src, size_t len);
ngx_int_t ngx_http_push_approval_base64url_decode(u_char *dst,
    size_t *dst_len, u_char *src, size_t len);
size_t ngx_http_push_approval_cookie_value(u_char *dst, ngx_str_t *secret,
    ngx_str_t *identity, ngx_str_t *scope, u_char *bind, time_t issued,
    time_t expires);
ngx_int_t ngx_http_push_approval_cookie_check(ngx_str_t *value,
    ngx_str_t *secrets, ngx_uint_t nsecrets, ngx_str_t *identity,
    ngx_str_t *scope, u_char *bind, time_t now, time_t max_age,
    time_t *issued, time_t *expiry);
uint32_t ngx_http_push_approval_scope_hash(ngx_str_t *scope);

#define NGX_HTTP_PUSH_APPROVAL_COOKIE_LEN  (2 + 2 * NGX_INT64_LEN + 2 + 43)

/* ngx_http_push_approval_token.c: pure, on plain buffers */
size_t ngx_http_push_approval_token_size(ngx_http_push_approval_token_t *t);
size_t ngx_http_push_approval_token_encode(u_char *dst, u_char *work,
    ngx_http_push_approval_token_t *t, ngx_str_t *secret);
ngx_int_t ngx_http_push_approval_token_decode(
    ngx_http_push_approval_token_t *t, u_char *work, u_char *src, size_t len,
    ngx_str_t *secrets, ngx_uint_t nsecrets);
void ngx_http_push_approval_safe_return(ngx_str_t *uri);

/* ngx_http_push_approval_remember.c */
ngx_str_t *ngx_http_push_approval_secrets(ngx_http_request_t *r,
    ngx_uint_t *n);
ngx_int_t ngx_http_push_approval_cookie_name(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf, ngx_str_t *scope,
    ngx_str_t *name);
ngx_int_t ngx_http_push_approval_cookie_find(ngx_http_request_t *r,
    ngx_str_t *name, ngx_str_t *value);
ngx_int_t ngx_http_push_approval_remembered(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx);
void ngx_http_push_approval_remember_address(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, time_t remember);
ngx_int_t ngx_http_push_approval_set_cookie(ngx_http_request_t *r,
    ngx_str_t *name, ngx_str_t *identity, ngx_str_t *scope,
    time_t remember, ngx_flag_t secure, ngx_uint_t samesite,
    ngx_str_t *domain);
ngx_int_t ngx_http_push_approval_set_cookie_bound(ngx_http_request_t *r,
    ngx_str_t *name, ngx_str_t *identity, ngx_str_t *scope,
    time_t remember, ngx_flag_t secure, ngx_uint_t samesite,
    ngx_str_t *domain, u_char *bind);
ngx_int_t ngx_http_push_approval_revoked(
    ngx_http_push_approval_zone_ctx_t *zone, ngx_str_t *identity,
    time_t issued);

/* ngx_http_push_approval_revoke.c */
ngx_int_t ngx_http_push_approval_revoke(
    ngx_http_push_approval_zone_ctx_t *zone, ngx_str_t *identity,
    ngx_log_t *log);
ngx_int_t ngx_http_push_approval_invite_check(ngx_http_request_t *r,
    ngx_http_push_approval_zone_ctx_t *zone, ngx_str_t *code,
    ngx_str_t *identity);
ngx_uint_t ngx_http_push_approval_cross_site(ngx_http_request_t *r);
ngx_int_t ngx_http_push_approval_form_value(ngx_http_request_t *r,
    char *name, ngx_str_t *value);

/* ngx_http_push_approval_call.c: provider calls as subrequests */
ngx_int_t ngx_http_push_approval_call(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf, ngx_uint_t op, ngx_uint_t method,
    ngx_str_t *uri, ngx_str_t *body, ngx_http_push_approval_call_t *call);
size_t ngx_http_push_approval_utf8_prefix(ngx_str_t *s, size_t max);
ngx_int_t ngx_http_push_approval_utf8_text(ngx_pool_t *pool, ngx_str_t *s);

/* ngx_http_push_approval_json.c: pure, on plain buffers */
#define NGX_HTTP_PUSH_APPROVAL_JSON_NULL     0
#define NGX_HTTP_PUSH_APPROVAL_JSON_BOOLEAN  1
#define NGX_HTTP_PUSH_APPROVAL_JSON_NUMBER   2
#define NGX_HTTP_PUSH_APPROVAL_JSON_STRING   3
#define NGX_HTTP_PUSH_APPROVAL_JSON_KEY      4   /* a map key */
#define NGX_HTTP_PUSH_APPROVAL_JSON_INDEX    5   /* len: the index */
#define NGX_HTTP_PUSH_APPROVAL_JSON_NESTED   6   /* an object or an array */
#define NGX_HTTP_PUSH_APPROVAL_JSON_ABSENT   7

#define NGX_HTTP_PUSH_APPROVAL_JSON_LEVELS   16

typedef struct ngx_http_push_approval_json_walk_s
    ngx_http_push_approval_json_walk_t;

typedef struct {
    size_t                          base;    /* path length of the parent */
    ngx_uint_t                      index;   /* next array element */
    unsigned                        array:1;
} ngx_http_push_approval_json_level_t;

struct ngx_http_push_approval_json_walk_s {
    ngx_int_t                     (*handler)(
                                      ngx_http_push_approval_json_walk_t *w,
                                      ngx_uint_t event, u_char *data,
                                      size_t len);
    void                           *data;
    size_t                          len;     /* path of the current value */
    ngx_uint_t                      depth;
    ngx_int_t                       rc;
    ngx_uint_t                      other;   /* no object at the top */
    ngx_http_push_approval_json_level_t
                                    levels[NGX_HTTP_PUSH_APPROVAL_JSON_LEVELS];
};

typedef struct {
    char                           *name;    /* dotted; "list[].key" */
    ngx_str_t                       want;    /* in the list: value needed */
    ngx_uint_t                      type;    /* JSON_ABSENT: not there */
    ngx_str_t                       value;   /* a scalar's text */
    ngx_uint_t                      seen;    /* its path's keys met */
} ngx_http_push_approval_json_field_t;

typedef struct {
    ngx_http_push_approval_json_field_t  *fields;   /* name NULL ends */
    char                                 *list;     /* array of objects */
    ngx_uint_t                            found;    /* an element matched */
    u_char                               *buf;      /* of the caller */
} ngx_http_push_approval_json_answer_t;

#define ngx_http_push_approval_json_field(name)                               \
    { (char *) name, ngx_null_string, NGX_HTTP_PUSH_APPROVAL_JSON_ABSENT,     \
      ngx_null_string, 0 }
#define ngx_http_push_approval_json_want(name, want)                          \
    { (char *) name, ngx_string(want), NGX_HTTP_PUSH_APPROVAL_JSON_ABSENT,    \
      ngx_null_string, 0 }

ngx_int_t ngx_http_push_approval_json_walk(
    ngx_http_push_approval_json_walk_t *w, u_char *json, size_t len);
ngx_int_t ngx_http_push_approval_json_fields(u_char *json, size_t len,
    char **names, ngx_str_t *values, u_char *buf);
ngx_int_t ngx_http_push_approval_json_answer(u_char *json, size_t len,
    ngx_http_push_approval_json_answer_t *a, u_char *buf);
ngx_int_t ngx_http_push_approval_json_text(
    ngx_http_push_approval_json_field_t *f, ngx_str_t *out);
ngx_int_t ngx_http_push_approval_json_true(
    ngx_http_push_approval_json_field_t *f);
size_t ngx_http_push_approval_json_escape(u_char *dst, ngx_str_t *src,
    size_t max);
size_t ngx_http_push_approval_utf8_clean(u_char *dst, ngx_str_t *src,
    size_t max);

/* ngx_http_push_approval_watch.c: waiting on the zone, per worker */
ngx_int_t ngx_http_push_approval_watch(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, u_char *key, ngx_uint_t type);
void ngx_http_push_approval_unwatch(ngx_http_push_approval_ctx_t *ctx);
void ngx_http_push_approval_kick(void);
void ngx_http_push_approval_wake(ngx_http_push_approval_zone_ctx_t *zone,
    u_char *key);
ngx_int_t ngx_http_push_approval_watch_init_module(ngx_cycle_t *cycle);
ngx_int_t ngx_http_push_approval_watch_init_process(ngx_cycle_t *cycle);
void ngx_http_push_approval_watch_exit_process(ngx_cycle_t *cycle);

/* ngx_http_push_approval_signature.c: pure, on plain buffers */
ngx_int_t ngx_http_push_approval_form_parse(u_char *data, size_t len,
    u_char *scratch, ngx_http_push_approval_param_t *params,
    ngx_uint_t max);
u_char *ngx_http_push_approval_percent_encode(u_char *dst, u_char *src,
    size_t len, ngx_uint_t plus);
ngx_int_t ngx_http_push_approval_twilio_sign(ngx_str_t *token,
    ngx_str_t *url, ngx_http_push_approval_param_t *params, ngx_uint_t n,
    u_char *sig);
ngx_int_t ngx_http_push_approval_twilio_check(ngx_str_t *token,
    ngx_str_t *url, ngx_http_push_approval_param_t *params, ngx_uint_t n,
    ngx_str_t *body, ngx_str_t *signature);
ngx_int_t ngx_http_push_approval_body_hash(ngx_str_t *url, ngx_str_t *hash);
ssize_t ngx_http_push_approval_authy_canonical_json(u_char *json, size_t len,
    u_char *buf, size_t size);
ssize_t ngx_http_push_approval_authy_canonical_params(
    ngx_http_push_approval_param_t *params, ngx_uint_t n, u_char *buf,
    size_t size);
ngx_int_t ngx_http_push_approval_authy_sign(ngx_str_t *key,
    ngx_str_t *nonce, ngx_str_t *method, ngx_str_t *url,
    ngx_str_t *canonical, u_char *sig);
ngx_int_t ngx_http_push_approval_authy_check(ngx_str_t *key,
    ngx_str_t *nonce, ngx_str_t *method, ngx_str_t *url,
    ngx_str_t *canonical, ngx_str_t *signature);

/* ngx_http_push_approval_browser.c: the protected side of the browser flow */
ngx_uint_t ngx_http_push_approval_accepts_html(ngx_http_request_t *r);
ngx_uint_t ngx_http_push_approval_wants_redirect(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx);
ngx_int_t ngx_http_push_approval_redirect(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx);
ngx_table_elt_t *ngx_http_push_approval_header_find(ngx_http_request_t *r,
    char *name, size_t len, char *part);
void ngx_http_push_approval_wait_hash(ngx_str_t *value, u_char *hash);
uint32_t ngx_http_push_approval_wait_id(u_char *hash);

/* ngx_http_push_approval_routes.c */
ngx_int_t ngx_http_push_approval_check_routes(ngx_conf_t *cf);
ngx_int_t ngx_http_push_approval_misrouted(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf);
ngx_int_t ngx_http_push_approval_call_misrouted(ngx_http_request_t *sr);

/* ngx_http_push_approval_refusal.c */
ngx_int_t ngx_http_push_approval_refusal(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_int_t rc);

/* ngx_http_push_approval_response.c */
ngx_table_elt_t *ngx_http_push_approval_add_header(ngx_http_request_t *r,
    char *name, ngx_str_t *value);
ngx_int_t ngx_http_push_approval_no_store(ngx_http_request_t *r);
ngx_chain_t *ngx_http_push_approval_body(ngx_http_request_t *r,
    ngx_uint_t status, char *type, u_char *start, u_char *end);
ngx_int_t ngx_http_push_approval_send(ngx_http_request_t *r,
    ngx_uint_t status, char *type, u_char *start, u_char *end);
ngx_int_t ngx_http_push_approval_output(ngx_http_request_t *r,
    ngx_chain_t *out);
ngx_int_t ngx_http_push_approval_read_only(ngx_http_request_t *r);
ngx_int_t ngx_http_push_approval_read_body(ngx_http_request_t *r,
    ngx_http_client_body_handler_pt post);

/* handlers */
ngx_int_t ngx_http_push_approval_callback_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_push_approval_wait_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_push_approval_metrics_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_push_approval_enroll_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_push_approval_revoke_handler(ngx_http_request_t *r);


#endif /* _NGX_HTTP_PUSH_APPROVAL_H_INCLUDED_ */
