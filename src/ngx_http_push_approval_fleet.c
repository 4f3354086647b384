
/*
 * Copyright (C) push approval module developers
 *
 * What the fleet shares through the store (SPEC section 14), behind the
 * zone's own functions: a decision learned by one host is published on the
 * zone's channel, and every host decides it in its own zone, which wakes
 * the requests it holds for it through the usual watches.  Hosts that miss
 * a message (store down) still finish through their own polling.
 */


#include "ngx_http_push_approval_store.h"

#include <ngx_sha1.h>


#define NGX_HTTP_PUSH_APPROVAL_FLEET_KEY          256
/* a pending record lives at most PENDING_TTL, its "decided" marker longer */
#define NGX_HTTP_PUSH_APPROVAL_FLEET_PENDING_TTL  300     /* s */
#define NGX_HTTP_PUSH_APPROVAL_FLEET_DECIDED_TTL  360     /* s */
#define NGX_HTTP_PUSH_APPROVAL_FLEET_DENIED_TTL   3600    /* s */

/* what the claim script answers */
#define NGX_HTTP_PUSH_APPROVAL_FLEET_CLAIMED   0   /* create it here */
#define NGX_HTTP_PUSH_APPROVAL_FLEET_PENDING   1   /* join this one */
#define NGX_HTTP_PUSH_APPROVAL_FLEET_CREATING  2   /* another host creates */
#define NGX_HTTP_PUSH_APPROVAL_FLEET_COOLDOWN  3   /* ms left */
#define NGX_HTTP_PUSH_APPROVAL_FLEET_LIMITED   4   /* ms left */
#define NGX_HTTP_PUSH_APPROVAL_FLEET_ADDRESS   5   /* remembered, s left */


/* outlives its request: the answer to a claim won must not be lost */

typedef struct {
    ngx_http_request_t                  *request;   /* NULL: it went away */
    ngx_http_push_approval_ctx_t        *ctx;
    ngx_http_push_approval_store_t      *store;
    ngx_pool_cleanup_t                  *cln;
    ngx_uint_t                           retried;
    u_char                    pair_key[NGX_HTTP_PUSH_APPROVAL_KEY_SIZE];
} ngx_http_push_approval_fleet_wait_t;


static ngx_int_t ngx_http_push_approval_fleet_eval(
    ngx_http_push_approval_fleet_wait_t *fw, ngx_uint_t sha);
static void ngx_http_push_approval_fleet_claimed(void *data,
    redisReply *reply);
static void ngx_http_push_approval_fleet_cleanup(void *data);
static ngx_int_t ngx_http_push_approval_fleet_apply(
    ngx_http_push_approval_ctx_t *ctx, redisReply *reply);
static ngx_int_t ngx_http_push_approval_fleet_join(
    ngx_http_push_approval_zone_ctx_t *zone, u_char *pair_key,
    u_char *rec, size_t len);
static void ngx_http_push_approval_fleet_pair_done(
    ngx_http_push_approval_store_t *st, u_char *rec, size_t len);
static void ngx_http_push_approval_fleet_decision(
    ngx_http_push_approval_store_t *st, u_char *msg, size_t len);
static void ngx_http_push_approval_fleet_replayed(
    ngx_http_push_approval_zone_ctx_t *zone, u_char *key, u_char *exp,
    size_t len);
static void ngx_http_push_approval_fleet_publish(
    ngx_http_push_approval_store_t *st, u_char *msg, size_t len);
static void ngx_http_push_approval_fleet_set(
    ngx_http_push_approval_store_t *st, u_char *key, size_t key_len,
    u_char *value, size_t value_len, time_t ttl);
static void ngx_http_push_approval_fleet_revocation(
    ngx_http_push_approval_store_t *st, u_char *identity, size_t len);


/* set while a decision from the channel is applied: it is not sent back */
static ngx_uint_t  ngx_http_push_approval_fleet_receiving;


/*
 * One round trip decides what a request that needs an approval does, for
 * the whole fleet: pass when cookie-less and remembered for its address,
 * join the approval pending for its pair (unless decided), wait for the
 * host that creates it, get the cooldown's or the rate limit's 403/429, or
 * claim the create (counted as a push).
 * KEYS: pending record, claim, pushes (sorted set), denial, address,
 * revocation (a record made before it is never joined);
 * ARGV: rate, cooldown (s), claim time (ms), claim token, key prefix,
 * "1" for a request without a remember cookie.
 */

static char  ngx_http_push_approval_fleet_script[] =
"if ARGV[6] == '1' then\n"
"  local ttl = redis.call('TTL', KEYS[5])\n"
"  if ttl > 0 then return {5, tostring(ttl)} end\n"
"end\n"
"local rec = redis.call('GET', KEYS[1])\n"
"if rec then\n"
"  local c, id = string.match(rec, '^(%d+) %d+ %d+ (%S+)')\n"
"  local rv = tonumber(redis.call('GET', KEYS[6]) or '0')\n"
"  if id and tonumber(c) > rv\n"
"     and redis.call('EXISTS', ARGV[5] .. 'x:' .. id) == 0\n"
"  then\n"
"    return {1, rec}\n"
"  end\n"
"  redis.call('DEL', KEYS[1])\n"
"end\n"
"if redis.call('EXISTS', KEYS[2]) == 1 then return {2, ''} end\n"
"local t = redis.call('TIME')\n"
"local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
"local d = redis.call('GET', KEYS[4])\n"
"local cool = tonumber(ARGV[2]) * 1000\n"
"if d and tonumber(d) + cool > now then\n"
"  return {3, tostring(tonumber(d) + cool - now)}\n"
"end\n"
"redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - 60000)\n"
"if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[1]) then\n"
"  local o = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')\n"
"  return {4, tostring(tonumber(o[2]) + 60000 - now)}\n"
"end\n"
"redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[3])\n"
"redis.call('ZADD', KEYS[3], now, ARGV[4])\n"
"redis.call('PEXPIRE', KEYS[3], 61000)\n"
"return {0, ''}\n";

static u_char  ngx_http_push_approval_fleet_sha[40];


/*
 * "S ID [PROVIDER ACCOUNT]": the decision state digit, the provider's id
 * and, for a callback, the provider and account that signed it, so that
 * every host decides only an approval made with those (section 7)
 */

void
ngx_http_push_approval_fleet_decided(ngx_http_push_approval_zone_ctx_t *zone,
    ngx_str_t *id, ngx_uint_t state, ngx_uint_t provider, u_char *account)
{
    u_char                          *p;
    u_char                           msg[NGX_HTTP_PUSH_APPROVAL_ID_LEN + 64];
    u_char                           key[NGX_HTTP_PUSH_APPROVAL_FLEET_KEY];
    size_t                           len[5];
    const char                      *argv[5];
    ngx_http_push_approval_store_t  *st;

    if (ngx_http_push_approval_fleet_receiving
        || id->len == 0 || id->len > NGX_HTTP_PUSH_APPROVAL_ID_LEN
        || state == NGX_HTTP_PUSH_APPROVAL_PENDING
        || state > NGX_HTTP_PUSH_APPROVAL_EXPIRED)
    {
        return;
    }

    st = ngx_http_push_approval_store_find(zone);
    if (st == NULL) {
        return;
    }

    p = ngx_sprintf(msg, "%ui %V", state, id);

    if (account) {
        p = ngx_sprintf(p, " %ui ", provider);
        p = ngx_hex_dump(p, account, NGX_HTTP_PUSH_APPROVAL_ACCOUNT);
    }

    argv[0] = "PUBLISH";
    len[0] = 7;
    argv[1] = (const char *) st->channel.data;
    len[1] = st->channel.len;
    argv[2] = (const char *) msg;
    len[2] = p - msg;

    if (ngx_http_push_approval_store_command(st, 3, argv, len, NULL, NULL,
                                             NULL)
        != NGX_OK)
    {
        /* the other hosts find out by polling, as without a store */
        ngx_http_push_approval_store_error(st, "cannot publish a decision");
        return;
    }

    /* a decided approval is never joined again, on any host */

    p = ngx_sprintf(key, "%Vx:%V", &st->prefix, id);

    ngx_http_push_approval_fleet_set(st, key, p - key, msg, 1,
                                     NGX_HTTP_PUSH_APPROVAL_FLEET_DECIDED_TTL);
}


void
ngx_http_push_approval_fleet_message(ngx_http_push_approval_store_t *st,
    redisReply *reply)
{
    u_char      *msg;
    size_t       len;
    redisReply  *r;

    r = reply->element[2];

    if (r->type != REDIS_REPLY_STRING || r->len < 3 || r->str[1] != ' ') {
        goto malformed;
    }

    msg = (u_char *) r->str;
    len = r->len;

    switch (msg[0]) {

    case '1':
    case '2':
    case '3':
        if (len > NGX_HTTP_PUSH_APPROVAL_ID_LEN + 64) {
            goto malformed;
        }

        ngx_http_push_approval_fleet_decision(st, msg, len);
        return;

    case 'V':
        ngx_http_push_approval_fleet_revocation(st, msg + 2, len - 2);
        return;

    case 'R':
    case 'C':
    case 'F':
        if (len < 2 + 2 * NGX_HTTP_PUSH_APPROVAL_KEY_SIZE + 2
            || msg[2 + 2 * NGX_HTTP_PUSH_APPROVAL_KEY_SIZE] != ' ')
        {
            goto malformed;
        }

        ngx_http_push_approval_fleet_pair_done(st, msg, len);
        return;

    default:
        goto malformed;
    }

malformed:

    ngx_log_error(NGX_LOG_INFO, st->log, 0,
                  "push_approval store \"%V\": malformed message on \"%V\" "
                  "ignored", &st->url_text, &st->channel);
}


static void
ngx_http_push_approval_fleet_decision(ngx_http_push_approval_store_t *st,
    u_char *msg, size_t len)
{
    u_char      *p, *last;
    u_char       account[NGX_HTTP_PUSH_APPROVAL_ACCOUNT];
    ngx_int_t    n;
    ngx_str_t    id;
    ngx_uint_t   i, state, provider;

    state = msg[0] - '0';
    last = msg + len;

    id.data = msg + 2;
    p = ngx_strlchr(id.data, last, ' ');
    id.len = (p ? p : last) - id.data;

    if (id.len == 0 || id.len > NGX_HTTP_PUSH_APPROVAL_ID_LEN) {
        return;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, st->log, 0,
                   "push approval: fleet decision %ui for \"%V\"", state,
                   &id);

    ngx_http_push_approval_fleet_receiving = 1;

    if (p == NULL) {
        (void) ngx_http_push_approval_decide(st->shm_zone->data, &id, state,
                                             st->log);

    } else if (last - p == 3 + 2 * NGX_HTTP_PUSH_APPROVAL_ACCOUNT
               && p[2] == ' ' && p[1] >= '0' && p[1] <= '1')
    {
        provider = p[1] - '0';

        for (i = 0; i < NGX_HTTP_PUSH_APPROVAL_ACCOUNT; i++) {
            n = ngx_hextoi(p + 3 + 2 * i, 2);
            if (n == NGX_ERROR) {
                break;
            }

            account[i] = (u_char) n;
        }

        if (i == NGX_HTTP_PUSH_APPROVAL_ACCOUNT) {
            (void) ngx_http_push_approval_decide_account(st->shm_zone->data,
                                                         &id, state, provider,
                                                         account, st->log);
        }
    }

    ngx_http_push_approval_fleet_receiving = 0;
}


/*
 * "C PAIRHEX RECORD" or "F PAIRHEX STATE": a create done on some host;
 * "R KEYHEX EXPIRES": a callback another host accepted
 */

static void
ngx_http_push_approval_fleet_pair_done(ngx_http_push_approval_store_t *st,
    u_char *msg, size_t len)
{
    u_char                      pair_key[NGX_HTTP_PUSH_APPROVAL_KEY_SIZE];
    u_char                             *rest;
    ngx_int_t                           n, state;
    ngx_uint_t                          i;
    ngx_http_push_approval_node_t      *pair;
    ngx_http_push_approval_zone_ctx_t  *zone;

    for (i = 0; i < NGX_HTTP_PUSH_APPROVAL_KEY_SIZE; i++) {
        n = ngx_hextoi(msg + 2 + 2 * i, 2);
        if (n == NGX_ERROR) {
            return;
        }

        pair_key[i] = (u_char) n;
    }

    zone = st->shm_zone->data;
    rest = msg + 3 + 2 * NGX_HTTP_PUSH_APPROVAL_KEY_SIZE;
    len -= 3 + 2 * NGX_HTTP_PUSH_APPROVAL_KEY_SIZE;

    if (msg[0] == 'R') {
        ngx_http_push_approval_fleet_replayed(zone, pair_key, rest, len);
        return;
    }

    if (msg[0] == 'C') {
        /* only where someone waits for it: other hosts learn it on demand */

        ngx_shmtx_lock(&zone->shpool->mutex);
        pair = ngx_http_push_approval_lookup(zone, pair_key,
                                             NGX_HTTP_PUSH_APPROVAL_NODE_PAIR);
        n = pair && pair->v.pair.state == NGX_HTTP_PUSH_APPROVAL_PAIR_CREATING;
        ngx_shmtx_unlock(&zone->shpool->mutex);

        if (n) {
            (void) ngx_http_push_approval_fleet_join(zone, pair_key, rest,
                                                     len);
        }

        return;
    }

    state = ngx_atoi(rest, len);

    if (state != NGX_HTTP_PUSH_APPROVAL_PAIR_FAILED
        && state != NGX_HTTP_PUSH_APPROVAL_PAIR_NO_USER
        && state != NGX_HTTP_PUSH_APPROVAL_PAIR_ABANDONED)
    {
        return;
    }

    ngx_shmtx_lock(&zone->shpool->mutex);

    pair = ngx_http_push_approval_lookup(zone, pair_key,
                                         NGX_HTTP_PUSH_APPROVAL_NODE_PAIR);

    n = pair && pair->v.pair.state == NGX_HTTP_PUSH_APPROVAL_PAIR_CREATING;

    if (n) {
        pair->v.pair.state = (u_char) state;
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);

    if (n) {
        ngx_http_push_approval_changed(zone);
    }
}


/* store_up is this worker's view; errors are counted by every worker */

u_char *
ngx_http_push_approval_fleet_metrics(u_char *p, ngx_shm_zone_t **zones,
    ngx_uint_t nzones)
{
    ngx_uint_t                       i, any;
    ngx_http_push_approval_store_t  *st;

    for (any = 0, i = 0; i < nzones; i++) {
        if (ngx_http_push_approval_store_find(zones[i]->data)) {
            any = 1;
        }
    }

    if (!any) {
        return p;
    }

    p = ngx_cpymem(p, "# HELP nginx_push_approval_store_up "
                      "Whether the fleet store answers (1) or not (0).\n"
                      "# TYPE nginx_push_approval_store_up gauge\n",
                   sizeof("# HELP nginx_push_approval_store_up "
                          "Whether the fleet store answers (1) or not (0).\n"
                          "# TYPE nginx_push_approval_store_up gauge\n")
                   - 1);

    for (i = 0; i < nzones; i++) {
        st = ngx_http_push_approval_store_find(zones[i]->data);

        if (st) {
            p = ngx_sprintf(p, "nginx_push_approval_store_up{zone=\"%V\"} "
                            "%ui\n", &st->zone_name,
                            ngx_http_push_approval_store_up(st));
        }
    }

    p = ngx_cpymem(p, "# HELP nginx_push_approval_store_errors_total "
                      "Failed or refused store operations.\n"
                      "# TYPE nginx_push_approval_store_errors_total "
                      "counter\n",
                   sizeof("# HELP nginx_push_approval_store_errors_total "
                          "Failed or refused store operations.\n"
                          "# TYPE nginx_push_approval_store_errors_total "
                          "counter\n") - 1);

    for (i = 0; i < nzones; i++) {
        st = ngx_http_push_approval_store_find(zones[i]->data);

        if (st) {
            p = ngx_sprintf(p, "nginx_push_approval_store_errors_total"
                            "{zone=\"%V\"} %A\n", &st->zone_name,
                            ngx_http_push_approval_metric_sum(
                                zones[i]->data,
                                NGX_HTTP_PUSH_APPROVAL_M_STORE_ERRORS));
        }
    }

    return p;
}


/*
 * before a request makes or joins a push: NGX_DECLINED, go on with the zone
 * alone (no store, nothing the fleet shares, or the store down with
 * fail=local); NGX_AGAIN, the store is asked and the request goes on from
 * its answer; NGX_BUSY, fail=closed and the store is down
 */

ngx_int_t
ngx_http_push_approval_fleet_claim(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx)
{
    u_char                               digest[20];
    ngx_sha1_t                           sha1;
    ngx_uint_t                           busy;
    ngx_pool_cleanup_t                  *cln;
    ngx_http_push_approval_node_t       *pair;
    ngx_http_push_approval_store_t      *st;
    ngx_http_push_approval_fleet_wait_t *fw;

    st = ngx_http_push_approval_store_find(ctx->zone);

    if (st == NULL || ctx->conf->remember == 0) {
        return NGX_DECLINED;
    }

    if (!ngx_http_push_approval_store_up(st)) {
        ngx_http_push_approval_store_error(st, "store is down");
        return st->fail_closed ? NGX_BUSY : NGX_DECLINED;
    }

    /* requests joining a push this host knows already cost no round trip */

    /* the same pair as the zone's: one push per client address */

    ngx_http_push_approval_key(ctx->pair_key, NGX_HTTP_PUSH_APPROVAL_NODE_PAIR,
                               &ctx->identity, &ctx->scope,
                               &r->connection->addr_text);

    ngx_shmtx_lock(&ctx->zone->shpool->mutex);

    pair = ngx_http_push_approval_lookup(ctx->zone, ctx->pair_key,
                                         NGX_HTTP_PUSH_APPROVAL_NODE_PAIR);

    busy = pair
           && ((pair->v.pair.state == NGX_HTTP_PUSH_APPROVAL_PAIR_CREATING
                && (ngx_msec_int_t) (ngx_current_msec - pair->v.pair.started)
                   < (ngx_msec_int_t) ctx->conf->timeout)
               || (pair->v.pair.state == NGX_HTTP_PUSH_APPROVAL_PAIR_ACTIVE
                   && ngx_http_push_approval_fleet_live(ctx->zone, pair)));

    ngx_shmtx_unlock(&ctx->zone->shpool->mutex);

    if (busy) {
        return NGX_DECLINED;
    }

    if (ngx_http_push_approval_fleet_sha[0] == '\0') {
        ngx_sha1_init(&sha1);
        ngx_sha1_update(&sha1, ngx_http_push_approval_fleet_script,
                        sizeof(ngx_http_push_approval_fleet_script) - 1);
        ngx_sha1_final(digest, &sha1);
        ngx_hex_dump(ngx_http_push_approval_fleet_sha, digest, 20);
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    fw = ngx_alloc(sizeof(ngx_http_push_approval_fleet_wait_t),
                   r->connection->log);
    if (fw == NULL) {
        return NGX_ERROR;
    }

    fw->request = r;
    fw->ctx = ctx;
    fw->store = st;
    fw->cln = cln;
    fw->retried = 0;
    ngx_memcpy(fw->pair_key, ctx->pair_key, NGX_HTTP_PUSH_APPROVAL_KEY_SIZE);

    if (ngx_http_push_approval_fleet_eval(fw, 1) != NGX_OK) {
        ngx_free(fw);
        ngx_http_push_approval_store_error(st, "store is down");
        return st->fail_closed ? NGX_BUSY : NGX_DECLINED;
    }

    cln->handler = ngx_http_push_approval_fleet_cleanup;
    cln->data = fw;

    /* a client that goes away meanwhile is noticed */
    r->read_event_handler = ngx_http_test_reading;
    r->write_event_handler = ngx_http_request_empty_handler;

    return NGX_AGAIN;
}


/* an approval the zone holds as pending: worth joining */

ngx_uint_t
ngx_http_push_approval_fleet_live(ngx_http_push_approval_zone_ctx_t *zone,
    ngx_http_push_approval_node_t *pair)
{
    u_char                          key[NGX_HTTP_PUSH_APPROVAL_KEY_SIZE];
    ngx_str_t                       id;
    ngx_http_push_approval_node_t  *ap;

    id.data = pair->v.pair.id;
    id.len = pair->v.pair.id_len;

    ngx_http_push_approval_key(key, NGX_HTTP_PUSH_APPROVAL_NODE_APPROVAL, &id,
                               NULL, NULL);

    ap = ngx_http_push_approval_lookup(zone, key,
                                       NGX_HTTP_PUSH_APPROVAL_NODE_APPROVAL);

    return ap && ap->v.approval.state == NGX_HTTP_PUSH_APPROVAL_PENDING
           && (ap->v.approval.provider_expires == 0
               || ap->v.approval.provider_expires > ngx_time());
}


static ngx_int_t
ngx_http_push_approval_fleet_eval(ngx_http_push_approval_fleet_wait_t *fw,
    ngx_uint_t sha)
{
    u_char                            *p;
    u_char                             lkey[NGX_HTTP_PUSH_APPROVAL_KEY_SIZE];
    u_char                             akey[NGX_HTTP_PUSH_APPROVAL_KEY_SIZE];
    u_char                      keys[6][NGX_HTTP_PUSH_APPROVAL_FLEET_KEY];
    u_char                             num[4][NGX_INT_T_LEN * 2];
    size_t                             len[15];
    ngx_str_t                          value;
    const char                        *argv[15];
    ngx_uint_t                         i;
    ngx_http_push_approval_ctx_t      *ctx;
    ngx_http_push_approval_store_t    *st;

    ctx = fw->ctx;
    st = fw->store;

    ngx_http_push_approval_key(lkey, NGX_HTTP_PUSH_APPROVAL_NODE_LIMIT,
                               &ctx->identity, NULL, NULL);

    p = ngx_sprintf(keys[0], "%Vp:", &st->prefix);
    p = ngx_hex_dump(p, ctx->pair_key, NGX_HTTP_PUSH_APPROVAL_KEY_SIZE);
    len[3] = p - keys[0];

    p = ngx_sprintf(keys[1], "%Vc:", &st->prefix);
    p = ngx_hex_dump(p, ctx->pair_key, NGX_HTTP_PUSH_APPROVAL_KEY_SIZE);
    len[4] = p - keys[1];

    p = ngx_sprintf(keys[2], "%Vl:", &st->prefix);
    p = ngx_hex_dump(p, lkey, NGX_HTTP_PUSH_APPROVAL_KEY_SIZE);
    len[5] = p - keys[2];

    p = ngx_sprintf(keys[3], "%Vd:", &st->prefix);
    p = ngx_hex_dump(p, lkey, NGX_HTTP_PUSH_APPROVAL_KEY_SIZE);
    len[6] = p - keys[3];

    ngx_http_push_approval_key(akey, NGX_HTTP_PUSH_APPROVAL_NODE_REMEMBER,
                               &ctx->identity, &ctx->scope,
                               &fw->request->connection->addr_text);

    p = ngx_sprintf(keys[4], "%Va:", &st->prefix);
    p = ngx_hex_dump(p, akey, NGX_HTTP_PUSH_APPROVAL_KEY_SIZE);
    len[7] = p - keys[4];

    p = ngx_sprintf(keys[5], "%Vv:", &st->prefix);
    p = ngx_hex_dump(p, lkey, NGX_HTTP_PUSH_APPROVAL_KEY_SIZE);
    len[8] = p - keys[5];

    argv[0] = sha ? "EVALSHA" : "EVAL";
    len[0] = sha ? 7 : 4;

    if (sha) {
        argv[1] = (const char *) ngx_http_push_approval_fleet_sha;
        len[1] = 40;

    } else {
        argv[1] = ngx_http_push_approval_fleet_script;
        len[1] = sizeof(ngx_http_push_approval_fleet_script) - 1;
    }

    argv[2] = "6";
    len[2] = 1;

    for (i = 0; i < 6; i++) {
        argv[3 + i] = (const char *) keys[i];
    }

    len[9] = ngx_sprintf(num[0], "%ui", ctx->conf->limit_rate) - num[0];
    len[10] = ngx_sprintf(num[1], "%T", ctx->conf->limit_cooldown) - num[1];
    len[11] = ngx_sprintf(num[2], "%M", ctx->conf->timeout) - num[2];
    len[12] = ngx_sprintf(num[3], "%P:%uD:%M", ngx_pid,
                          (uint32_t) ngx_random(), ngx_current_msec)
              - num[3];

    for (i = 0; i < 4; i++) {
        argv[9 + i] = (const char *) num[i];
    }

    argv[13] = (const char *) st->prefix.data;
    len[13] = st->prefix.len;

    /* a request with a remember cookie that failed never uses the address */
    argv[14] = (ngx_http_push_approval_cookie_find(fw->request,
                                                   &ctx->cookie_name, &value)
                == NGX_OK) ? "0" : "1";
    len[14] = 1;

    return ngx_http_push_approval_store_command(st, 15, argv, len,
                                        ngx_http_push_approval_fleet_claimed,
                                        fw, NULL);
}


static void
ngx_http_push_approval_fleet_cleanup(void *data)
{
    ngx_http_push_approval_fleet_wait_t  *fw = data;

    /* the request is gone: its answer finds nobody to go on with */
    fw->request = NULL;
    fw->ctx = NULL;
}


static void
ngx_http_push_approval_fleet_claimed(void *data, redisReply *reply)
{
    ngx_http_push_approval_fleet_wait_t  *fw = data;

    ngx_int_t                      rc;
    ngx_connection_t              *c;
    ngx_http_request_t            *r;
    ngx_http_push_approval_ctx_t  *ctx;

    r = fw->request;

    if (r == NULL) {
        if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2
            && reply->element[0]->type == REDIS_REPLY_INTEGER
            && reply->element[0]->integer
               == NGX_HTTP_PUSH_APPROVAL_FLEET_CLAIMED)
        {
            /* won for nobody: the others may claim it at once */
            ngx_http_push_approval_fleet_abandoned(
                                   fw->store->shm_zone->data, fw->pair_key);
        }

        ngx_free(fw);
        return;
    }

    ctx = fw->ctx;
    c = r->connection;

    ngx_http_set_log_request(c->log, r);

    if (reply && reply->type == REDIS_REPLY_ERROR && !fw->retried
        && reply->len >= 8 && ngx_strncmp(reply->str, "NOSCRIPT", 8) == 0)
    {
        /* a store that restarted or flushed its scripts: send it whole */

        fw->retried = 1;

        if (ngx_http_push_approval_fleet_eval(fw, 0) == NGX_OK) {
            return;
        }

        reply = NULL;
    }

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements != 2
        || reply->element[0]->type != REDIS_REPLY_INTEGER
        || reply->element[1]->type != REDIS_REPLY_STRING)
    {
        if (reply && reply->type == REDIS_REPLY_ERROR) {
            ngx_log_error(NGX_LOG_ERR, c->log, 0,
                          "push_approval store \"%V\" refused the claim: %*s",
                          &fw->store->url_text, ngx_min(reply->len, 200),
                          reply->str);
        }

        ngx_http_push_approval_store_error(fw->store, "no answer in time");
        rc = fw->store->fail_closed ? NGX_BUSY : NGX_OK;

    } else {
        rc = ngx_http_push_approval_fleet_apply(ctx, reply);
    }

    fw->cln->handler = NULL;
    ngx_free(fw);

    ngx_http_push_approval_proceed(r, ctx, rc);

    ngx_http_run_posted_requests(c);
}


/*
 * what the store said, written into the zone, where the request reads it:
 * NGX_DONE, the request creates the push; NGX_DECLINED, it is remembered;
 * NGX_OK, it goes on as usual
 */

static ngx_int_t
ngx_http_push_approval_fleet_apply(ngx_http_push_approval_ctx_t *ctx,
    redisReply *reply)
{
    u_char                           key[NGX_HTTP_PUSH_APPROVAL_KEY_SIZE];
    time_t                           now, left;
    ngx_int_t                        rc;
    ngx_http_push_approval_node_t   *pn;
    ngx_http_push_approval_limit_t  *limit;

    now = ngx_time();
    left = 0;

    switch (reply->element[0]->integer) {

    case NGX_HTTP_PUSH_APPROVAL_FLEET_PENDING:
        rc = ngx_http_push_approval_fleet_join(ctx->zone, ctx->pair_key,
                                      (u_char *) reply->element[1]->str,
                                      reply->element[1]->len);
        return rc == NGX_ERROR ? NGX_OK : rc;

    case NGX_HTTP_PUSH_APPROVAL_FLEET_CREATING:
        ngx_shmtx_lock(&ctx->zone->shpool->mutex);

        pn = ngx_http_push_approval_lookup(ctx->zone, ctx->pair_key,
                                           NGX_HTTP_PUSH_APPROVAL_NODE_PAIR);
        if (pn == NULL) {
            pn = ngx_http_push_approval_insert(ctx->zone, ctx->pair_key,
                                             NGX_HTTP_PUSH_APPROVAL_NODE_PAIR,
                                             now + ctx->conf->timeout / 1000
                                             + 600);
        }

        if (pn && pn->v.pair.state != NGX_HTTP_PUSH_APPROVAL_PAIR_CREATING
            && !(pn->v.pair.state == NGX_HTTP_PUSH_APPROVAL_PAIR_ACTIVE
                 && ngx_http_push_approval_fleet_live(ctx->zone, pn)))
        {
            /* created elsewhere: the waiters here learn it from the channel */
            pn->v.pair.state = NGX_HTTP_PUSH_APPROVAL_PAIR_CREATING;
            pn->v.pair.seq = ++ctx->zone->sh->seq;
            pn->v.pair.started = ngx_current_msec;
            pn->v.pair.id_len = 0;
        }

        ngx_shmtx_unlock(&ctx->zone->shpool->mutex);
        return NGX_OK;

    case NGX_HTTP_PUSH_APPROVAL_FLEET_ADDRESS:
        left = (time_t) ngx_atoi((u_char *) reply->element[1]->str,
                                 reply->element[1]->len);
        if (left <= 0) {
            return NGX_OK;
        }

        /* remembered here too from now on, with no round trip */
        ngx_http_push_approval_remember_address(ctx->request, ctx,
                                                ngx_min(left,
                                                        ctx->conf->remember));
        return NGX_DECLINED;

    case NGX_HTTP_PUSH_APPROVAL_FLEET_COOLDOWN:
    case NGX_HTTP_PUSH_APPROVAL_FLEET_LIMITED:
        left = (time_t) (ngx_atoi((u_char *) reply->element[1]->str,
                                  reply->element[1]->len) + 999) / 1000;
        left = ngx_max(1, ngx_min(left, 3600));
        break;

    default:
        /*
         * claimed: this request creates the push, whatever waiters of this
         * host marked meanwhile; they follow its pair entry
         */

        ngx_shmtx_lock(&ctx->zone->shpool->mutex);

        pn = ngx_http_push_approval_lookup(ctx->zone, ctx->pair_key,
                                           NGX_HTTP_PUSH_APPROVAL_NODE_PAIR);
        if (pn == NULL) {
            pn = ngx_http_push_approval_insert(ctx->zone, ctx->pair_key,
                                             NGX_HTTP_PUSH_APPROVAL_NODE_PAIR,
                                             now + ctx->conf->timeout / 1000
                                             + 600);
        }

        if (pn) {
            pn->v.pair.state = NGX_HTTP_PUSH_APPROVAL_PAIR_CREATING;
            pn->v.pair.seq = ++ctx->zone->sh->seq;
            pn->v.pair.started = ngx_current_msec;
            pn->v.pair.id_len = 0;
            pn->expires = now + ctx->conf->timeout / 1000 + 600;
            ctx->seq = pn->v.pair.seq;
        }

        ngx_shmtx_unlock(&ctx->zone->shpool->mutex);

        return pn ? NGX_DONE : NGX_OK;
    }

    /* the fleet's limit record, as if this host had counted it all */

    ngx_http_push_approval_key(key, NGX_HTTP_PUSH_APPROVAL_NODE_LIMIT,
                               &ctx->identity, NULL, NULL);

    ngx_shmtx_lock(&ctx->zone->shpool->mutex);

    pn = ngx_http_push_approval_lookup(ctx->zone, key,
                                       NGX_HTTP_PUSH_APPROVAL_NODE_LIMIT);
    if (pn == NULL) {
        pn = ngx_http_push_approval_insert(ctx->zone, key,
                                           NGX_HTTP_PUSH_APPROVAL_NODE_LIMIT,
                                           now + 3600);
    }

    if (pn) {
        limit = &pn->v.limit;

        if (reply->element[0]->integer
            == NGX_HTTP_PUSH_APPROVAL_FLEET_COOLDOWN)
        {
            limit->denied = now + left - ctx->conf->limit_cooldown;

        } else {
            left = ngx_min(left, 60);

            if (now - limit->last >= 60) {
                ngx_memzero(limit->pushes, sizeof(limit->pushes));
            }

            limit->last = now;
            limit->pushes[(now - 60 + left) % 60] =
                         (u_char) ngx_min(ctx->conf->limit_rate, 255);
        }
    }

    ngx_shmtx_unlock(&ctx->zone->shpool->mutex);

    return NGX_OK;
}


/*
 * a pending record, "CREATED EXPIRES CODE ID IDENTITY PROVIDER ACCOUNT":
 * its approval and its pair entered in the zone, as the creating host has
 * them
 */

static ngx_int_t
ngx_http_push_approval_fleet_join(ngx_http_push_approval_zone_ctx_t *zone,
    u_char *pair_key, u_char *rec, size_t len)
{
    u_char                             *p, *last, *f[7];
    u_char                              key[NGX_HTTP_PUSH_APPROVAL_KEY_SIZE];
    u_char                              account[NGX_HTTP_PUSH_APPROVAL_ACCOUNT];
    size_t                              flen[7];
    time_t                              created, expires;
    ngx_int_t                           code, provider;
    ngx_str_t                           id;
    ngx_uint_t                          i, changed;
    ngx_http_push_approval_node_t      *ap, *pair;

    p = rec;
    last = rec + len;

    for (i = 0; i < 7; i++) {
        f[i] = p;

        while (p < last && *p != ' ') {
            p++;
        }

        flen[i] = p - f[i];

        if (flen[i] == 0) {
            return NGX_ERROR;
        }

        p++;
    }

    created = ngx_atotm(f[0], flen[0]);
    expires = ngx_atotm(f[1], flen[1]);
    code = ngx_atoi(f[2], flen[2]);
    provider = ngx_atoi(f[5], flen[5]);

    if (created == NGX_ERROR || expires == NGX_ERROR || code == NGX_ERROR
        || code > 99 || provider == NGX_ERROR
        || provider > NGX_HTTP_PUSH_APPROVAL_AUTHY
        || flen[3] > NGX_HTTP_PUSH_APPROVAL_ID_LEN
        || flen[4] > NGX_HTTP_PUSH_APPROVAL_IDENT_MAX
        || flen[6] != 2 * NGX_HTTP_PUSH_APPROVAL_ACCOUNT)
    {
        return NGX_ERROR;
    }

    for (i = 0; i < NGX_HTTP_PUSH_APPROVAL_ACCOUNT; i++) {
        code = ngx_hextoi(f[6] + 2 * i, 2);
        if (code == NGX_ERROR) {
            return NGX_ERROR;
        }

        account[i] = (u_char) code;
    }

    code = ngx_atoi(f[2], flen[2]);

    id.data = f[3];
    id.len = flen[3];

    ngx_http_push_approval_key(key, NGX_HTTP_PUSH_APPROVAL_NODE_APPROVAL, &id,
                               NULL, NULL);

    changed = 0;

    ngx_shmtx_lock(&zone->shpool->mutex);

    ap = ngx_http_push_approval_lookup(zone, key,
                                       NGX_HTTP_PUSH_APPROVAL_NODE_APPROVAL);
    if (ap == NULL) {
        ap = ngx_http_push_approval_insert(zone, key,
                                        NGX_HTTP_PUSH_APPROVAL_NODE_APPROVAL,
                                        ngx_time() + 900);
        if (ap) {
            ap->v.approval.state = NGX_HTTP_PUSH_APPROVAL_PENDING;
            ap->v.approval.provider = (u_char) provider;
            ap->v.approval.created = created;
            ap->v.approval.provider_expires = expires;
            ap->v.approval.next_poll = ngx_current_msec;
            ap->v.approval.code = (u_char) code;
            ap->v.approval.id_len = (u_char) id.len;
            ngx_memcpy(ap->v.approval.id, id.data, id.len);
            ap->v.approval.identity_len = (u_char) flen[4];
            ngx_memcpy(ap->v.approval.identity, f[4], flen[4]);
            ngx_memcpy(ap->v.approval.account, account,
                       NGX_HTTP_PUSH_APPROVAL_ACCOUNT);

            ngx_http_push_approval_metric(zone,
                                          NGX_HTTP_PUSH_APPROVAL_M_PENDING, 1);
        }
    }

    pair = NULL;

    if (ap && ap->v.approval.state == NGX_HTTP_PUSH_APPROVAL_PENDING) {
        pair = ngx_http_push_approval_lookup(zone, pair_key,
                                             NGX_HTTP_PUSH_APPROVAL_NODE_PAIR);
        if (pair == NULL) {
            pair = ngx_http_push_approval_insert(zone, pair_key,
                                             NGX_HTTP_PUSH_APPROVAL_NODE_PAIR,
                                             ngx_time() + 900);
        }
    }

    if (pair) {
        pair->v.pair.state = NGX_HTTP_PUSH_APPROVAL_PAIR_ACTIVE;
        pair->v.pair.seq = ++zone->sh->seq;
        pair->v.pair.id_len = (u_char) id.len;
        ngx_memcpy(pair->v.pair.id, id.data, id.len);
        changed = 1;
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);

    if (changed) {
        ngx_http_push_approval_changed(zone);
    }

    return NGX_OK;
}


/*
 * the creating host's answer, for every host: the pending record (others
 * join it), the claim dropped, and the channel told, pipelined with
 * nobody waiting
 */

void
ngx_http_push_approval_fleet_created(ngx_http_push_approval_zone_ctx_t *zone,
    u_char *pair_key, ngx_http_push_approval_approval_t *ap,
    ngx_uint_t pair_state)
{
    u_char                          *p;
    u_char                           rec[NGX_HTTP_PUSH_APPROVAL_FLEET_KEY];
    u_char                           keys[2][NGX_HTTP_PUSH_APPROVAL_FLEET_KEY];
    u_char                           msg[NGX_HTTP_PUSH_APPROVAL_FLEET_KEY];
    u_char                           ttl[NGX_INT_T_LEN];
    size_t                           len[5], claim_len;
    const char                      *argv[5];
    ngx_http_push_approval_store_t  *st;

    st = ngx_http_push_approval_store_find(zone);
    if (st == NULL || !ngx_http_push_approval_store_up(st)) {
        return;
    }

    p = ngx_sprintf(keys[0], "%Vp:", &st->prefix);
    p = ngx_hex_dump(p, pair_key, NGX_HTTP_PUSH_APPROVAL_KEY_SIZE);
    len[1] = p - keys[0];

    p = ngx_sprintf(keys[1], "%Vc:", &st->prefix);
    p = ngx_hex_dump(p, pair_key, NGX_HTTP_PUSH_APPROVAL_KEY_SIZE);
    claim_len = p - keys[1];

    if (ap) {
        p = ngx_sprintf(rec, "%T %T %ud %*s %*s %ud ", ap->created,
                        ap->provider_expires, (unsigned) ap->code,
                        (size_t) ap->id_len, ap->id,
                        (size_t) ap->identity_len, ap->identity,
                        (unsigned) ap->provider);
        p = ngx_hex_dump(p, ap->account, NGX_HTTP_PUSH_APPROVAL_ACCOUNT);
        len[2] = p - rec;

        argv[0] = "SET";
        len[0] = 3;
        argv[1] = (const char *) keys[0];
        argv[2] = (const char *) rec;
        argv[3] = "EX";
        len[3] = 2;
        argv[4] = (const char *) ttl;
        len[4] = ngx_sprintf(ttl, "%T",
                             ngx_min(ngx_max(ap->provider_expires
                                             - ngx_time(), 1) + 60,
                                     NGX_HTTP_PUSH_APPROVAL_FLEET_PENDING_TTL))
                 - ttl;

        if (ngx_http_push_approval_store_command(st, 5, argv, len, NULL,
                                                 NULL, NULL)
            != NGX_OK)
        {
            return;
        }

        p = ngx_sprintf(msg, "C ");
        p = ngx_hex_dump(p, pair_key, NGX_HTTP_PUSH_APPROVAL_KEY_SIZE);
        p = ngx_sprintf(p, " %*s", len[2], rec);

    } else {
        p = ngx_sprintf(msg, "F ");
        p = ngx_hex_dump(p, pair_key, NGX_HTTP_PUSH_APPROVAL_KEY_SIZE);
        p = ngx_sprintf(p, " %ui", pair_state);
    }

    argv[0] = "DEL";
    len[0] = 3;
    argv[1] = (const char *) keys[1];
    len[1] = claim_len;

    (void) ngx_http_push_approval_store_command(st, 2, argv, len, NULL, NULL,
                                                NULL);

    argv[0] = "PUBLISH";
    len[0] = 7;
    argv[1] = (const char *) st->channel.data;
    len[1] = st->channel.len;
    argv[2] = (const char *) msg;
    len[2] = p - msg;

    (void) ngx_http_push_approval_store_command(st, 3, argv, len, NULL, NULL,
                                                NULL);
}


/* the cooldown after a denial, for every host */

void
ngx_http_push_approval_fleet_denied(ngx_http_push_approval_zone_ctx_t *zone,
    ngx_str_t *identity)
{
    u_char                          *p, *q;
    u_char                           lkey[NGX_HTTP_PUSH_APPROVAL_KEY_SIZE];
    u_char                           key[NGX_HTTP_PUSH_APPROVAL_FLEET_KEY];
    u_char                           now[NGX_INT_T_LEN];
    ngx_http_push_approval_store_t  *st;

    /* every host that knows the approval says so: the same either way */

    st = ngx_http_push_approval_store_find(zone);
    if (st == NULL || !ngx_http_push_approval_store_up(st)) {
        return;
    }

    ngx_http_push_approval_key(lkey, NGX_HTTP_PUSH_APPROVAL_NODE_LIMIT,
                               identity, NULL, NULL);

    p = ngx_sprintf(key, "%Vd:", &st->prefix);
    p = ngx_hex_dump(p, lkey, NGX_HTTP_PUSH_APPROVAL_KEY_SIZE);

    q = ngx_sprintf(now, "%T%03M", ngx_time(),
                    (ngx_msec_t) ngx_timeofday()->msec);

    ngx_http_push_approval_fleet_set(st, key, p - key, now, q - now,
                                     NGX_HTTP_PUSH_APPROVAL_FLEET_DENIED_TTL);
}


static void
ngx_http_push_approval_fleet_publish(ngx_http_push_approval_store_t *st,
    u_char *msg, size_t msg_len)
{
    size_t       len[3];
    const char  *argv[3];

    argv[0] = "PUBLISH";
    len[0] = 7;
    argv[1] = (const char *) st->channel.data;
    len[1] = st->channel.len;
    argv[2] = (const char *) msg;
    len[2] = msg_len;

    (void) ngx_http_push_approval_store_command(st, 3, argv, len, NULL, NULL,
                                                NULL);
}


/* SET KEY VALUE EX TTL, answered by nobody: a key that expires by itself */

static void
ngx_http_push_approval_fleet_set(ngx_http_push_approval_store_t *st,
    u_char *key, size_t key_len, u_char *value, size_t value_len, time_t ttl)
{
    u_char       ex[NGX_TIME_T_LEN];
    size_t       len[5];
    const char  *argv[5];

    argv[0] = "SET";
    len[0] = 3;
    argv[1] = (const char *) key;
    len[1] = key_len;
    argv[2] = (const char *) value;
    len[2] = value_len;
    argv[3] = "EX";
    len[3] = 2;
    argv[4] = (const char *) ex;
    len[4] = ngx_sprintf(ex, "%T", ttl) - ex;

    (void) ngx_http_push_approval_store_command(st, 5, argv, len, NULL, NULL,
                                                NULL);
}


/*
 * a callback accepted here is a replay on every other host: they learn it
 * within a round trip (a replay sent to another host within that moment,
 * or while the store is down, is caught by that host's nonce age check)
 */

void
ngx_http_push_approval_fleet_replay(ngx_http_push_approval_zone_ctx_t *zone,
    u_char *key, time_t expires)
{
    u_char                          *p;
    u_char                           msg[NGX_HTTP_PUSH_APPROVAL_FLEET_KEY];
    ngx_http_push_approval_store_t  *st;

    st = ngx_http_push_approval_store_find(zone);
    if (st == NULL || !ngx_http_push_approval_store_up(st)) {
        return;
    }

    p = ngx_sprintf(msg, "R ");
    p = ngx_hex_dump(p, key, NGX_HTTP_PUSH_APPROVAL_KEY_SIZE);
    p = ngx_sprintf(p, " %T", expires);

    ngx_http_push_approval_fleet_publish(st, msg, p - msg);
}


static void
ngx_http_push_approval_fleet_replayed(ngx_http_push_approval_zone_ctx_t *zone,
    u_char *key, u_char *exp, size_t len)
{
    time_t                          expires;
    ngx_http_push_approval_node_t  *pn;

    expires = ngx_atotm(exp, len);

    if (expires == NGX_ERROR || expires < ngx_time()
        || expires > ngx_time() + 86400)
    {
        return;
    }

    ngx_shmtx_lock(&zone->shpool->mutex);

    pn = ngx_http_push_approval_lookup(zone, key,
                                       NGX_HTTP_PUSH_APPROVAL_NODE_REPLAY);
    if (pn == NULL) {
        (void) ngx_http_push_approval_insert(zone, key,
                                             NGX_HTTP_PUSH_APPROVAL_NODE_REPLAY,
                                             expires);
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);
}


/* a cookie-less client remembered by its address, for every host */

void
ngx_http_push_approval_fleet_remember(ngx_http_push_approval_zone_ctx_t *zone,
    u_char *key, time_t remember)
{
    u_char                          *p;
    u_char                           skey[NGX_HTTP_PUSH_APPROVAL_FLEET_KEY];
    ngx_http_push_approval_store_t  *st;

    st = ngx_http_push_approval_store_find(zone);
    if (st == NULL || remember <= 0 || !ngx_http_push_approval_store_up(st))
    {
        return;
    }

    p = ngx_sprintf(skey, "%Va:", &st->prefix);
    p = ngx_hex_dump(p, key, NGX_HTTP_PUSH_APPROVAL_KEY_SIZE);

    ngx_http_push_approval_fleet_set(st, skey, p - skey, (u_char *) "1", 1,
                                     remember);
}


/*
 * the creator went away before its push was made: the claim is dropped,
 * and the hosts waiting for it make their own (one each at most)
 */

void
ngx_http_push_approval_fleet_abandoned(
    ngx_http_push_approval_zone_ctx_t *zone, u_char *pair_key)
{
    u_char                          *p;
    u_char                           key[NGX_HTTP_PUSH_APPROVAL_FLEET_KEY];
    u_char                           msg[NGX_HTTP_PUSH_APPROVAL_FLEET_KEY];
    size_t                           len[2];
    const char                      *argv[2];
    ngx_http_push_approval_store_t  *st;

    st = ngx_http_push_approval_store_find(zone);
    if (st == NULL || !ngx_http_push_approval_store_up(st)) {
        return;
    }

    p = ngx_sprintf(key, "%Vc:", &st->prefix);
    p = ngx_hex_dump(p, pair_key, NGX_HTTP_PUSH_APPROVAL_KEY_SIZE);

    argv[0] = "DEL";
    len[0] = 3;
    argv[1] = (const char *) key;
    len[1] = p - key;

    (void) ngx_http_push_approval_store_command(st, 2, argv, len, NULL, NULL,
                                                NULL);

    p = ngx_sprintf(msg, "F ");
    p = ngx_hex_dump(p, pair_key, NGX_HTTP_PUSH_APPROVAL_KEY_SIZE);
    p = ngx_sprintf(p, " %d", NGX_HTTP_PUSH_APPROVAL_PAIR_ABANDONED);

    ngx_http_push_approval_fleet_publish(st, msg, p - msg);
}


/*
 * a revocation, for every host: "V IDENTITY" on the channel (each host
 * ends the identity's cookies, addresses and pending approvals in its own
 * zone), and its time in the store, so that no pending record made before
 * it is joined again
 */

void
ngx_http_push_approval_fleet_revoked(ngx_http_push_approval_zone_ctx_t *zone,
    ngx_str_t *identity, time_t at, time_t ttl)
{
    u_char                          *p;
    u_char                           lkey[NGX_HTTP_PUSH_APPROVAL_KEY_SIZE];
    u_char                           key[NGX_HTTP_PUSH_APPROVAL_FLEET_KEY];
    u_char                           msg[NGX_HTTP_PUSH_APPROVAL_FLEET_KEY];
    u_char                           val[NGX_TIME_T_LEN];
    ngx_http_push_approval_store_t  *st;

    if (ngx_http_push_approval_fleet_receiving) {
        return;
    }

    st = ngx_http_push_approval_store_find(zone);
    if (st == NULL || !ngx_http_push_approval_store_up(st)) {
        return;
    }

    ngx_http_push_approval_key(lkey, NGX_HTTP_PUSH_APPROVAL_NODE_LIMIT,
                               identity, NULL, NULL);

    p = ngx_sprintf(key, "%Vv:", &st->prefix);
    p = ngx_hex_dump(p, lkey, NGX_HTTP_PUSH_APPROVAL_KEY_SIZE);

    ngx_http_push_approval_fleet_set(st, key, p - key, val,
                                     ngx_sprintf(val, "%T", at) - val, ttl);

    p = ngx_sprintf(msg, "V %V", identity);

    ngx_http_push_approval_fleet_publish(st, msg, p - msg);
}


static void
ngx_http_push_approval_fleet_revocation(ngx_http_push_approval_store_t *st,
    u_char *identity, size_t len)
{
    ngx_str_t  id;

    if (len == 0 || len > NGX_HTTP_PUSH_APPROVAL_IDENT_MAX) {
        return;
    }

    id.data = identity;
    id.len = len;

    /* every worker hears it: the first one of this host revokes */

    if (ngx_http_push_approval_revoked(st->shm_zone->data, &id, ngx_time())
        == NGX_OK)
    {
        return;
    }

    ngx_http_push_approval_fleet_receiving = 1;

    (void) ngx_http_push_approval_revoke(st->shm_zone->data, &id, st->log);

    ngx_http_push_approval_fleet_receiving = 0;
}


/*
 * a status poll, once per interval for the whole fleet (section 14, 3): the
 * host that sets the approval's poll key asks the provider and publishes
 * what it learns; the others skip their turn.  NGX_AGAIN: the store is
 * asked, the poll goes on (or not) from its answer; NGX_DECLINED: poll now
 */

typedef struct {
    ngx_http_request_t                  *request;   /* NULL: it went away */
    ngx_http_push_approval_ctx_t        *ctx;
    ngx_http_push_approval_zone_ctx_t   *zone;
    ngx_pool_cleanup_t                  *cln;
    u_char                               key[NGX_HTTP_PUSH_APPROVAL_KEY_SIZE];
} ngx_http_push_approval_fleet_poll_t;


static void ngx_http_push_approval_fleet_polled(void *data,
    redisReply *reply);
static void ngx_http_push_approval_fleet_poll_cleanup(void *data);
static void ngx_http_push_approval_fleet_poll_skip(
    ngx_http_push_approval_zone_ctx_t *zone, u_char *key);


ngx_int_t
ngx_http_push_approval_fleet_poll(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx)
{
    u_char                               *p;
    u_char                                key[NGX_HTTP_PUSH_APPROVAL_FLEET_KEY];
    u_char                                ms[NGX_INT_T_LEN];
    size_t                                len[6];
    const char                           *argv[6];
    ngx_msec_t                            interval;
    ngx_pool_cleanup_t                   *cln;
    ngx_http_push_approval_store_t       *st;
    ngx_http_push_approval_fleet_poll_t  *fp;

    st = ngx_http_push_approval_store_find(ctx->zone);

    if (st == NULL || ctx->approval_id.len == 0
        || ctx->approval_id.len > NGX_HTTP_PUSH_APPROVAL_ID_LEN
        || !ngx_http_push_approval_store_up(st))
    {
        return NGX_DECLINED;
    }

    interval = ctx->poll ? ctx->poll : 2000;

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_DECLINED;
    }

    fp = ngx_alloc(sizeof(ngx_http_push_approval_fleet_poll_t),
                   r->connection->log);
    if (fp == NULL) {
        return NGX_DECLINED;
    }

    fp->request = r;
    fp->ctx = ctx;
    fp->zone = ctx->zone;
    fp->cln = cln;
    ngx_memcpy(fp->key, ctx->approval_key, NGX_HTTP_PUSH_APPROVAL_KEY_SIZE);

    p = ngx_sprintf(key, "%Vq:%V", &st->prefix, &ctx->approval_id);

    argv[0] = "SET";
    len[0] = 3;
    argv[1] = (const char *) key;
    len[1] = p - key;
    argv[2] = "1";
    len[2] = 1;
    argv[3] = "NX";
    len[3] = 2;
    argv[4] = "PX";
    len[4] = 2;
    argv[5] = (const char *) ms;
    len[5] = ngx_sprintf(ms, "%M", ngx_max(interval - 50, 1)) - ms;

    if (ngx_http_push_approval_store_command(st, 6, argv, len,
                                        ngx_http_push_approval_fleet_polled,
                                        fp, NULL)
        != NGX_OK)
    {
        ngx_free(fp);
        return NGX_DECLINED;
    }

    cln->handler = ngx_http_push_approval_fleet_poll_cleanup;
    cln->data = fp;

    return NGX_AGAIN;
}


static void
ngx_http_push_approval_fleet_poll_cleanup(void *data)
{
    ngx_http_push_approval_fleet_poll_t  *fp = data;

    fp->request = NULL;
    fp->ctx = NULL;
}


static void
ngx_http_push_approval_fleet_polled(void *data, redisReply *reply)
{
    ngx_http_push_approval_fleet_poll_t  *fp = data;

    ngx_connection_t              *c;
    ngx_http_request_t            *r;
    ngx_http_push_approval_ctx_t  *ctx;

    r = fp->request;
    ctx = fp->ctx;

    if (r == NULL || ctx->done
        || (reply && reply->type == REDIS_REPLY_NIL))
    {
        /* gone, or another host asks this time: no poll from here */
        ngx_http_push_approval_fleet_poll_skip(fp->zone, fp->key);

        if (r) {
            fp->cln->handler = NULL;
        }

        ngx_free(fp);
        return;
    }

    fp->cln->handler = NULL;
    ngx_free(fp);

    /* ours, or the store cannot tell: ask the provider */

    c = r->connection;
    ngx_http_set_log_request(c->log, r);

    ctx->fleet_poll = 1;
    ngx_http_push_approval_fetch(r, ctx);

    ngx_http_run_posted_requests(c);
}


/* the claimed poll is not made here: the next one may be claimed in time */

static void
ngx_http_push_approval_fleet_poll_skip(ngx_http_push_approval_zone_ctx_t *zone,
    u_char *key)
{
    ngx_http_push_approval_node_t  *pn;

    ngx_shmtx_lock(&zone->shpool->mutex);

    pn = ngx_http_push_approval_lookup(zone, key,
                                       NGX_HTTP_PUSH_APPROVAL_NODE_APPROVAL);
    if (pn) {
        pn->v.approval.poll_started = 0;
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);
}
