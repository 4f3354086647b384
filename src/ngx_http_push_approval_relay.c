
/*
 * Copyright (C) push approval module developers
 *
 * What the fleet tells this host, applied: the channel's messages (a
 * decision, a revocation, a create done elsewhere, a callback accepted
 * elsewhere) and the store's answer to a request's claim.  It sits above
 * the approval core, the remember cookies and revocation, and below the
 * access handler, which gives it the function to go on with; the store
 * hands it the channel's messages through ngx_http_push_approval_store_receive.
 */


#include "ngx_http_push_approval_store.h"

#include <ngx_sha1.h>


/* what the claim script answers */
#define NGX_HTTP_PUSH_APPROVAL_FLEET_CLAIMED   0   /* create it here */
#define NGX_HTTP_PUSH_APPROVAL_FLEET_PENDING   1   /* join this one */
#define NGX_HTTP_PUSH_APPROVAL_FLEET_CREATING  2   /* another host creates */
#define NGX_HTTP_PUSH_APPROVAL_FLEET_COOLDOWN  3   /* ms left */
#define NGX_HTTP_PUSH_APPROVAL_FLEET_LIMITED   4   /* ms left */
#define NGX_HTTP_PUSH_APPROVAL_FLEET_ADDRESS   5   /* remembered, s left */


/* outlives its request: the answer to a claim won must not be lost */

typedef struct {
    ngx_http_push_approval_fleet_waiter_t   waiter;    /* first */
    ngx_http_push_approval_store_t         *store;
    ngx_http_push_approval_claimed_pt       handler;
    ngx_uint_t                              retried;
    u_char                    pair_key[NGX_HTTP_PUSH_APPROVAL_KEY_SIZE];
} ngx_http_push_approval_fleet_wait_t;


static ngx_int_t ngx_http_push_approval_fleet_eval(
    ngx_http_push_approval_fleet_wait_t *fw, ngx_uint_t sha);
static void ngx_http_push_approval_fleet_claimed(void *data,
    redisReply *reply);
static ngx_int_t ngx_http_push_approval_fleet_apply(
    ngx_http_push_approval_ctx_t *ctx, redisReply *reply);
static ngx_int_t ngx_http_push_approval_fleet_record(u_char *rec,
    size_t len, ngx_str_t *id, ngx_str_t *identity,
    ngx_http_push_approval_approval_t *from);
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
static void ngx_http_push_approval_fleet_revocation(
    ngx_http_push_approval_store_t *st, u_char *identity, size_t len);
static void ngx_http_push_approval_fleet_message(
    ngx_http_push_approval_store_t *st, redisReply *reply);


/* the store gives the channel's messages to this file */
ngx_http_push_approval_store_receive_pt  ngx_http_push_approval_store_receive
    = ngx_http_push_approval_fleet_message;


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


static void
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

    if (p == NULL) {
        (void) ngx_http_push_approval_settle(st->shm_zone->data, &id, state,
                                             0, NULL, 0, st->log);

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
            (void) ngx_http_push_approval_settle(st->shm_zone->data, &id,
                                                 state, provider, account, 0,
                                                 st->log);
        }
    }
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


/*
 * before a request makes or joins a push: NGX_DECLINED, go on with the zone
 * alone (no store, nothing the fleet shares, or the store down with
 * fail=local); NGX_AGAIN, the store is asked and the request goes on from
 * its answer; NGX_BUSY, fail=closed and the store is down
 */

ngx_int_t
ngx_http_push_approval_fleet_claim(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx,
    ngx_http_push_approval_claimed_pt handler)
{
    u_char                               digest[20];
    ngx_sha1_t                           sha1;
    ngx_uint_t                           busy;
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

    fw = ngx_http_push_approval_fleet_waiter(r, ctx,
                                   sizeof(ngx_http_push_approval_fleet_wait_t));
    if (fw == NULL) {
        return NGX_ERROR;
    }

    fw->store = st;
    fw->handler = handler;
    fw->retried = 0;
    ngx_memcpy(fw->pair_key, ctx->pair_key, NGX_HTTP_PUSH_APPROVAL_KEY_SIZE);

    if (ngx_http_push_approval_fleet_eval(fw, 1) != NGX_OK) {
        ngx_free(fw);
        ngx_http_push_approval_store_error(st, "store is down");
        return st->fail_closed ? NGX_BUSY : NGX_DECLINED;
    }

    ngx_http_push_approval_fleet_waiting(&fw->waiter);

    /* a client that goes away meanwhile is noticed */
    r->read_event_handler = ngx_http_test_reading;
    r->write_event_handler = ngx_http_request_empty_handler;

    return NGX_AGAIN;
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

    ctx = fw->waiter.ctx;
    st = fw->store;

    ngx_http_push_approval_key(lkey, NGX_HTTP_PUSH_APPROVAL_NODE_LIMIT,
                               &ctx->identity, NULL, NULL);

    p = ngx_http_push_approval_fleet_key(keys[0], &st->prefix, 'p',
                                         ctx->pair_key);
    len[3] = p - keys[0];

    p = ngx_http_push_approval_fleet_key(keys[1], &st->prefix, 'c',
                                         ctx->pair_key);
    len[4] = p - keys[1];

    p = ngx_http_push_approval_fleet_key(keys[2], &st->prefix, 'l', lkey);
    len[5] = p - keys[2];

    p = ngx_http_push_approval_fleet_key(keys[3], &st->prefix, 'd', lkey);
    len[6] = p - keys[3];

    ngx_http_push_approval_key(akey, NGX_HTTP_PUSH_APPROVAL_NODE_REMEMBER,
                               &ctx->identity, &ctx->scope,
                               &fw->waiter.request->connection->addr_text);

    p = ngx_http_push_approval_fleet_key(keys[4], &st->prefix, 'a', akey);
    len[7] = p - keys[4];

    p = ngx_http_push_approval_fleet_key(keys[5], &st->prefix, 'v', lkey);
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
    argv[14] = (ngx_http_push_approval_cookie_find(fw->waiter.request,
                                                   &ctx->cookie_name, &value)
                == NGX_OK) ? "0" : "1";
    len[14] = 1;

    return ngx_http_push_approval_store_command(st, 15, argv, len,
                                        ngx_http_push_approval_fleet_claimed,
                                        fw, NULL);
}


static void
ngx_http_push_approval_fleet_claimed(void *data, redisReply *reply)
{
    ngx_http_push_approval_fleet_wait_t  *fw = data;

    ngx_int_t                           rc;
    ngx_connection_t                   *c;
    ngx_http_request_t                 *r;
    ngx_http_push_approval_ctx_t       *ctx;
    ngx_http_push_approval_claimed_pt   handler;

    r = fw->waiter.request;

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

        ngx_http_push_approval_fleet_answered(&fw->waiter);
        return;
    }

    ctx = fw->waiter.ctx;
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

    handler = fw->handler;
    ngx_http_push_approval_fleet_answered(&fw->waiter);

    handler(r, ctx, rc);

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
    time_t                          now, left;
    ngx_int_t                       rc;
    ngx_http_push_approval_node_t  *pn;

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

        pn = ngx_http_push_approval_pair_entry(ctx);

        if (pn && pn->v.pair.state != NGX_HTTP_PUSH_APPROVAL_PAIR_CREATING
            && !(pn->v.pair.state == NGX_HTTP_PUSH_APPROVAL_PAIR_ACTIVE
                 && ngx_http_push_approval_fleet_live(ctx->zone, pn)))
        {
            /* created elsewhere: the waiters here learn it from the channel */
            (void) ngx_http_push_approval_pair_creating(ctx->zone, pn);
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

        pn = ngx_http_push_approval_pair_entry(ctx);

        if (pn) {
            ctx->seq = ngx_http_push_approval_pair_creating(ctx->zone, pn);
            pn->expires = now + ctx->conf->timeout / 1000 + 600;
        }

        ngx_shmtx_unlock(&ctx->zone->shpool->mutex);

        return pn ? NGX_DONE : NGX_OK;
    }

    ngx_http_push_approval_limit_learned(ctx->zone, ctx->conf, &ctx->identity,
                                      reply->element[0]->integer
                                      == NGX_HTTP_PUSH_APPROVAL_FLEET_COOLDOWN,
                                      left);

    return NGX_OK;
}


/* the fields of a pending record, checked */

static ngx_int_t
ngx_http_push_approval_fleet_record(u_char *rec, size_t len, ngx_str_t *id,
    ngx_str_t *identity, ngx_http_push_approval_approval_t *from)
{
    u_char     *p, *last, *f[7];
    size_t      flen[7];
    time_t      created, expires;
    ngx_int_t   code, provider, n;
    ngx_uint_t  i;

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
        || provider >= NGX_HTTP_PUSH_APPROVAL_PROVIDERS
        || flen[3] > NGX_HTTP_PUSH_APPROVAL_ID_LEN
        || flen[4] > NGX_HTTP_PUSH_APPROVAL_IDENT_MAX
        || flen[6] != 2 * NGX_HTTP_PUSH_APPROVAL_ACCOUNT)
    {
        return NGX_ERROR;
    }

    ngx_memzero(from, sizeof(ngx_http_push_approval_approval_t));

    for (i = 0; i < NGX_HTTP_PUSH_APPROVAL_ACCOUNT; i++) {
        n = ngx_hextoi(f[6] + 2 * i, 2);
        if (n == NGX_ERROR) {
            return NGX_ERROR;
        }

        from->account[i] = (u_char) n;
    }

    from->provider = (u_char) provider;
    from->created = created;
    from->provider_expires = expires;
    from->next_poll = ngx_current_msec;
    from->code = (u_char) code;

    id->data = f[3];
    id->len = flen[3];
    identity->data = f[4];
    identity->len = flen[4];

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
    u_char                              key[NGX_HTTP_PUSH_APPROVAL_KEY_SIZE];
    ngx_str_t                           id, identity;
    ngx_uint_t                          changed;
    ngx_http_push_approval_node_t      *ap, *pair;
    ngx_http_push_approval_approval_t   from;

    if (ngx_http_push_approval_fleet_record(rec, len, &id, &identity, &from)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_http_push_approval_key(key, NGX_HTTP_PUSH_APPROVAL_NODE_APPROVAL, &id,
                               NULL, NULL);

    changed = 0;

    ngx_shmtx_lock(&zone->shpool->mutex);

    ap = ngx_http_push_approval_lookup(zone, key,
                                       NGX_HTTP_PUSH_APPROVAL_NODE_APPROVAL);
    if (ap == NULL) {
        ap = ngx_http_push_approval_add(zone, key, ngx_time() + 900, &id,
                                        &identity, &from);
    }

    pair = NULL;

    if (ap && ap->v.approval.state == NGX_HTTP_PUSH_APPROVAL_PENDING) {
        pair = ngx_http_push_approval_entry(zone, pair_key,
                                            NGX_HTTP_PUSH_APPROVAL_NODE_PAIR,
                                            ngx_time() + 900);
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


static void
ngx_http_push_approval_fleet_replayed(ngx_http_push_approval_zone_ctx_t *zone,
    u_char *key, u_char *exp, size_t len)
{
    time_t  expires;

    expires = ngx_atotm(exp, len);

    if (expires == NGX_ERROR || expires < ngx_time()
        || expires > ngx_time() + 86400)
    {
        return;
    }

    ngx_shmtx_lock(&zone->shpool->mutex);

    (void) ngx_http_push_approval_entry(zone, key,
                                        NGX_HTTP_PUSH_APPROVAL_NODE_REPLAY,
                                        expires);

    ngx_shmtx_unlock(&zone->shpool->mutex);
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
