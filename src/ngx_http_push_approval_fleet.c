
/*
 * Copyright (C) push approval module developers
 *
 * What this host tells the fleet through the store (SPEC section 14): a
 * decision learned here is published on the zone's channel, with the
 * creates, denials, replays, remembered addresses and revocations, and the
 * fleet's turn to poll is taken here.  What the channel brings is applied
 * by _relay.c, above the approval core: every host decides in its own zone,
 * which wakes the requests it holds through the usual watches.  Hosts that
 * miss a message (store down) still finish through their own polling.
 */


#include "ngx_http_push_approval_store.h"


/* a pending record lives at most PENDING_TTL, its "decided" marker longer */
#define NGX_HTTP_PUSH_APPROVAL_FLEET_PENDING_TTL  300     /* s */
#define NGX_HTTP_PUSH_APPROVAL_FLEET_DECIDED_TTL  360     /* s */
#define NGX_HTTP_PUSH_APPROVAL_FLEET_DENIED_TTL   3600    /* s */

static ngx_int_t ngx_http_push_approval_fleet_publish(
    ngx_http_push_approval_store_t *st, u_char *msg, size_t len);
static void ngx_http_push_approval_fleet_del(
    ngx_http_push_approval_store_t *st, u_char *key, size_t key_len);


/* set while what the channel brought is applied: it is not sent back */
ngx_uint_t  ngx_http_push_approval_fleet_receiving;


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

    if (ngx_http_push_approval_fleet_publish(st, msg, p - msg) != NGX_OK) {
        /* the other hosts find out by polling, as without a store */
        ngx_http_push_approval_store_error(st, "cannot publish a decision");
        return;
    }

    /* a decided approval is never joined again, on any host */

    p = ngx_sprintf(key, "%Vx:%V", &st->prefix, id);

    ngx_http_push_approval_fleet_set(st, key, p - key, msg, 1,
                                     NGX_HTTP_PUSH_APPROVAL_FLEET_DECIDED_TTL);
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
    size_t                           pending_len, claim_len, rec_len;
    time_t                           ttl;
    ngx_http_push_approval_store_t  *st;

    st = ngx_http_push_approval_fleet_up(zone);
    if (st == NULL) {
        return;
    }

    p = ngx_http_push_approval_fleet_key(keys[0], &st->prefix, 'p', pair_key);
    pending_len = p - keys[0];

    p = ngx_http_push_approval_fleet_key(keys[1], &st->prefix, 'c', pair_key);
    claim_len = p - keys[1];

    if (ap) {
        p = ngx_sprintf(rec, "%T %T %ud %*s %*s %ud ", ap->created,
                        ap->provider_expires, (unsigned) ap->code,
                        (size_t) ap->id_len, ap->id,
                        (size_t) ap->identity_len, ap->identity,
                        (unsigned) ap->provider);
        p = ngx_hex_dump(p, ap->account, NGX_HTTP_PUSH_APPROVAL_ACCOUNT);
        rec_len = p - rec;

        ttl = ngx_min(ngx_max(ap->provider_expires - ngx_time(), 1) + 60,
                      NGX_HTTP_PUSH_APPROVAL_FLEET_PENDING_TTL);

        if (ngx_http_push_approval_fleet_set(st, keys[0], pending_len, rec,
                                             rec_len, ttl)
            != NGX_OK)
        {
            return;
        }

        p = ngx_http_push_approval_fleet_key(msg, NULL, 'C', pair_key);
        p = ngx_sprintf(p, " %*s", rec_len, rec);

    } else {
        p = ngx_http_push_approval_fleet_key(msg, NULL, 'F', pair_key);
        p = ngx_sprintf(p, " %ui", pair_state);
    }

    ngx_http_push_approval_fleet_del(st, keys[1], claim_len);

    (void) ngx_http_push_approval_fleet_publish(st, msg, p - msg);
}


/* the cooldown after a denial, for every host */

void
ngx_http_push_approval_fleet_denied(ngx_http_push_approval_zone_ctx_t *zone,
    ngx_str_t *identity)
{
    u_char                          *p, *q;
    u_char                           key[NGX_HTTP_PUSH_APPROVAL_FLEET_KEY];
    u_char                           now[NGX_INT_T_LEN];
    ngx_http_push_approval_store_t  *st;

    /* every host that knows the approval says so: the same either way */

    st = ngx_http_push_approval_fleet_up(zone);
    if (st == NULL) {
        return;
    }

    p = ngx_http_push_approval_fleet_identity_key(key, st, 'd', identity);

    q = ngx_sprintf(now, "%T%03M", ngx_time(),
                    (ngx_msec_t) ngx_timeofday()->msec);

    ngx_http_push_approval_fleet_set(st, key, p - key, now, q - now,
                                     NGX_HTTP_PUSH_APPROVAL_FLEET_DENIED_TTL);
}


/* PUBLISH CHANNEL MSG and DEL KEY, answered by nobody */

static ngx_int_t
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

    return ngx_http_push_approval_store_command(st, 3, argv, len, NULL, NULL,
                                                NULL);
}


static void
ngx_http_push_approval_fleet_del(ngx_http_push_approval_store_t *st,
    u_char *key, size_t key_len)
{
    size_t       len[2];
    const char  *argv[2];

    argv[0] = "DEL";
    len[0] = 3;
    argv[1] = (const char *) key;
    len[1] = key_len;

    (void) ngx_http_push_approval_store_command(st, 2, argv, len, NULL, NULL,
                                                NULL);
}


/* SET KEY VALUE EX TTL, answered by nobody: a key that expires by itself */

ngx_int_t
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

    return ngx_http_push_approval_store_command(st, 5, argv, len, NULL, NULL,
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

    st = ngx_http_push_approval_fleet_up(zone);
    if (st == NULL) {
        return;
    }

    p = ngx_http_push_approval_fleet_key(msg, NULL, 'R', key);
    p = ngx_sprintf(p, " %T", expires);

    (void) ngx_http_push_approval_fleet_publish(st, msg, p - msg);
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

    p = ngx_http_push_approval_fleet_key(skey, &st->prefix, 'a', key);

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
    ngx_http_push_approval_store_t  *st;

    st = ngx_http_push_approval_fleet_up(zone);
    if (st == NULL) {
        return;
    }

    p = ngx_http_push_approval_fleet_key(key, &st->prefix, 'c', pair_key);

    ngx_http_push_approval_fleet_del(st, key, p - key);

    p = ngx_http_push_approval_fleet_key(msg, NULL, 'F', pair_key);
    p = ngx_sprintf(p, " %d", NGX_HTTP_PUSH_APPROVAL_PAIR_ABANDONED);

    (void) ngx_http_push_approval_fleet_publish(st, msg, p - msg);
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
    u_char                           key[NGX_HTTP_PUSH_APPROVAL_FLEET_KEY];
    u_char                           msg[NGX_HTTP_PUSH_APPROVAL_FLEET_KEY];
    u_char                           val[NGX_TIME_T_LEN];
    ngx_http_push_approval_store_t  *st;

    if (ngx_http_push_approval_fleet_receiving) {
        return;
    }

    st = ngx_http_push_approval_fleet_up(zone);
    if (st == NULL) {
        return;
    }

    p = ngx_http_push_approval_fleet_identity_key(key, st, 'v', identity);

    ngx_http_push_approval_fleet_set(st, key, p - key, val,
                                     ngx_sprintf(val, "%T", at) - val, ttl);

    p = ngx_sprintf(msg, "V %V", identity);

    (void) ngx_http_push_approval_fleet_publish(st, msg, p - msg);
}


/*
 * a status poll, once per interval for the whole fleet (section 14, 3): the
 * host that sets the approval's poll key asks the provider and publishes
 * what it learns; the others skip their turn.  NGX_AGAIN: the store is
 * asked, the poll goes on (or not) from its answer; NGX_DECLINED: poll now
 */

typedef struct {
    ngx_http_push_approval_fleet_waiter_t   waiter;    /* first */
    ngx_http_push_approval_zone_ctx_t      *zone;
    ngx_http_push_approval_fetch_pt         handler;
    u_char                               key[NGX_HTTP_PUSH_APPROVAL_KEY_SIZE];
} ngx_http_push_approval_fleet_poll_t;


static void ngx_http_push_approval_fleet_polled(void *data,
    redisReply *reply);
static void ngx_http_push_approval_fleet_gone(void *data);
static void ngx_http_push_approval_fleet_poll_skip(
    ngx_http_push_approval_zone_ctx_t *zone, u_char *key);


ngx_int_t
ngx_http_push_approval_fleet_poll(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_http_push_approval_fetch_pt handler)
{
    u_char                               *p;
    u_char                                key[NGX_HTTP_PUSH_APPROVAL_FLEET_KEY];
    u_char                                ms[NGX_INT_T_LEN];
    size_t                                len[6];
    const char                           *argv[6];
    ngx_msec_t                            interval;
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

    fp = ngx_http_push_approval_fleet_waiter(r, ctx,
                                   sizeof(ngx_http_push_approval_fleet_poll_t));
    if (fp == NULL) {
        return NGX_DECLINED;
    }

    fp->zone = ctx->zone;
    fp->handler = handler;
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

    ngx_http_push_approval_fleet_waiting(&fp->waiter);

    return NGX_AGAIN;
}


/*
 * a waiter of size bytes for the request's answer from the store, its
 * ngx_http_push_approval_fleet_waiter_t first
 */

void *
ngx_http_push_approval_fleet_waiter(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, size_t size)
{
    ngx_pool_cleanup_t                     *cln;
    ngx_http_push_approval_fleet_waiter_t  *w;

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    w = ngx_alloc(size, r->connection->log);
    if (w == NULL) {
        return NULL;
    }

    w->request = r;
    w->ctx = ctx;
    w->cln = cln;

    return w;
}


/* the command is sent: from now on a request that goes away is forgotten */

void
ngx_http_push_approval_fleet_waiting(ngx_http_push_approval_fleet_waiter_t *w)
{
    w->cln->handler = ngx_http_push_approval_fleet_gone;
    w->cln->data = w;
}


/* the answer came: the waiter is freed, and forgotten by its request */

void
ngx_http_push_approval_fleet_answered(
    ngx_http_push_approval_fleet_waiter_t *w)
{
    if (w->request) {
        w->cln->handler = NULL;
    }

    ngx_free(w);
}


static void
ngx_http_push_approval_fleet_gone(void *data)
{
    ngx_http_push_approval_fleet_waiter_t  *w = data;

    /* the request is gone: its answer finds nobody to go on with */
    w->request = NULL;
    w->ctx = NULL;
}


static void
ngx_http_push_approval_fleet_polled(void *data, redisReply *reply)
{
    ngx_http_push_approval_fleet_poll_t  *fp = data;

    ngx_connection_t                 *c;
    ngx_http_request_t               *r;
    ngx_http_push_approval_ctx_t     *ctx;
    ngx_http_push_approval_fetch_pt   handler;

    r = fp->waiter.request;
    ctx = fp->waiter.ctx;
    handler = fp->handler;

    if (r == NULL || ctx->done
        || (reply && reply->type == REDIS_REPLY_NIL))
    {
        /* gone, or another host asks this time: no poll from here */
        ngx_http_push_approval_fleet_poll_skip(fp->zone, fp->key);
        ngx_http_push_approval_fleet_answered(&fp->waiter);
        return;
    }

    ngx_http_push_approval_fleet_answered(&fp->waiter);

    /* ours, or the store cannot tell: ask the provider */

    c = r->connection;
    ngx_http_set_log_request(c->log, r);

    ctx->fleet_poll = 1;
    handler(r, ctx);

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


/* the zone's store, when it has one and it is up */

ngx_http_push_approval_store_t *
ngx_http_push_approval_fleet_up(ngx_http_push_approval_zone_ctx_t *zone)
{
    ngx_http_push_approval_store_t  *st;

    st = ngx_http_push_approval_store_find(zone);

    return (st && ngx_http_push_approval_store_up(st)) ? st : NULL;
}


/*
 * a zone key in hex after its kind: "PREFIXk:HEX" names a store key,
 * "K HEX" (no prefix) starts a channel message
 */

u_char *
ngx_http_push_approval_fleet_key(u_char *p, ngx_str_t *prefix, u_char kind,
    u_char *key)
{
    if (prefix) {
        p = ngx_sprintf(p, "%V%c:", prefix, kind);

    } else {
        p = ngx_sprintf(p, "%c ", kind);
    }

    return ngx_hex_dump(p, key, NGX_HTTP_PUSH_APPROVAL_KEY_SIZE);
}


/* an identity's store key: its zone limit key (as every host has it) */

u_char *
ngx_http_push_approval_fleet_identity_key(u_char *p,
    ngx_http_push_approval_store_t *st, u_char kind, ngx_str_t *identity)
{
    u_char  key[NGX_HTTP_PUSH_APPROVAL_KEY_SIZE];

    ngx_http_push_approval_key(key, NGX_HTTP_PUSH_APPROVAL_NODE_LIMIT,
                               identity, NULL, NULL);

    return ngx_http_push_approval_fleet_key(p, &st->prefix, kind, key);
}
