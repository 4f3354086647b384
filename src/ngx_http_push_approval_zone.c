
/*
 * Copyright (C) push approval module developers
 *
 * The shared zone: approvals, pending pairs, remembered addresses, limits,
 * callback replays and Verify factors, all in one rbtree keyed by a hash
 * digest, with a least-recently-used queue for expiry and eviction.
 * Everything here runs under the zone mutex, held briefly, never across I/O.
 */


#include "ngx_http_push_approval.h"

#include <openssl/evp.h>


#define NGX_HTTP_PUSH_APPROVAL_MAGIC       0x50415a33  /* "PAZ3" */
#define NGX_HTTP_PUSH_APPROVAL_POLL_STALE  30000       /* ms */


static void ngx_http_push_approval_rbtree_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);
static ngx_int_t ngx_http_push_approval_node_cmp(ngx_rbtree_node_t *node,
    ngx_rbtree_node_t *temp);
static void ngx_http_push_approval_expire(
    ngx_http_push_approval_zone_ctx_t *zone, ngx_uint_t n);
static ngx_int_t ngx_http_push_approval_evict(
    ngx_http_push_approval_zone_ctx_t *zone, ngx_uint_t type);
static ngx_uint_t ngx_http_push_approval_live(
    ngx_http_push_approval_node_t *node);
static ngx_uint_t ngx_http_push_approval_gives_way(
    ngx_http_push_approval_node_t *node, ngx_uint_t type);


ngx_int_t
ngx_http_push_approval_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_push_approval_zone_ctx_t  *octx = data;

    size_t                              len;
    ngx_http_push_approval_zone_ctx_t  *zone;

    zone = shm_zone->data;

    if (octx) {
        /* reload: keep approvals, remembered addresses and limits */

        if (octx->sh->magic != NGX_HTTP_PUSH_APPROVAL_MAGIC) {
            ngx_log_error(NGX_LOG_EMERG, shm_zone->shm.log, 0,
                          "push_approval zone \"%V\" was created by an "
                          "incompatible module version, restart nginx",
                          &shm_zone->shm.name);
            return NGX_ERROR;
        }

        zone->sh = octx->sh;
        zone->shpool = octx->shpool;

        return NGX_OK;
    }

    zone->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        zone->sh = zone->shpool->data;
        return NGX_OK;
    }

    zone->sh = ngx_slab_alloc(zone->shpool,
                              sizeof(ngx_http_push_approval_shctx_t));
    if (zone->sh == NULL) {
        return NGX_ERROR;
    }

    ngx_memzero(zone->sh, sizeof(ngx_http_push_approval_shctx_t));

    zone->shpool->data = zone->sh;
    zone->sh->magic = NGX_HTTP_PUSH_APPROVAL_MAGIC;

    ngx_rbtree_init(&zone->sh->rbtree, &zone->sh->sentinel,
                    ngx_http_push_approval_rbtree_insert);

    ngx_queue_init(&zone->sh->queue);

    len = sizeof(" in push_approval zone \"\"") + shm_zone->shm.name.len;

    zone->shpool->log_ctx = ngx_slab_alloc(zone->shpool, len);
    if (zone->shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(zone->shpool->log_ctx, " in push_approval zone \"%V\"%Z",
                &shm_zone->shm.name);

    /* a full zone evicts the least recently used entries instead */
    zone->shpool->log_nomem = 0;

    return NGX_OK;
}


/*
 * keys are truncated SHA-256 digests of the type and length-prefixed parts,
 * so that no chosen identity or scope can collide with another's entry
 */

void
ngx_http_push_approval_key(u_char *key, ngx_uint_t type, ngx_str_t *a,
    ngx_str_t *b, ngx_str_t *c)
{
    u_char      t, digest[EVP_MAX_MD_SIZE];
    uint32_t    lens[3];
    ngx_str_t  *in[3], parts[7];
    ngx_uint_t  i, n;

    in[0] = a;
    in[1] = b;
    in[2] = c;

    t = (u_char) type;

    parts[0].data = &t;
    parts[0].len = 1;
    n = 1;

    for (i = 0; i < 3; i++) {
        if (in[i] == NULL) {
            continue;
        }

        lens[i] = (uint32_t) in[i]->len;

        parts[n].data = (u_char *) &lens[i];
        parts[n].len = sizeof(uint32_t);
        parts[n + 1] = *in[i];
        n += 2;
    }

    if (ngx_http_push_approval_sha256(digest, parts, n) != NGX_OK) {
        /* cannot happen but out of memory: no key matches it */
        ngx_memset(key, 0xff, NGX_HTTP_PUSH_APPROVAL_KEY_SIZE);
        return;
    }

    ngx_memcpy(key, digest, NGX_HTTP_PUSH_APPROVAL_KEY_SIZE);
}


static ngx_rbtree_key_t
ngx_http_push_approval_hash(u_char *key)
{
    ngx_rbtree_key_t  hash;

    ngx_memcpy(&hash, key, sizeof(ngx_rbtree_key_t));

    return hash;
}


static void
ngx_http_push_approval_rbtree_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel)
{
    ngx_http_push_approval_rbtree_insert_cmp(temp, node, sentinel,
                                             ngx_http_push_approval_node_cmp);
}


/* nodes of one hash are ordered by their whole key */

static ngx_int_t
ngx_http_push_approval_node_cmp(ngx_rbtree_node_t *node,
    ngx_rbtree_node_t *temp)
{
    ngx_http_push_approval_node_t  *n, *t;

    n = (ngx_http_push_approval_node_t *) node;
    t = (ngx_http_push_approval_node_t *) temp;

    return ngx_memcmp(n->key, t->key, NGX_HTTP_PUSH_APPROVAL_KEY_SIZE);
}


/*
 * the insert of the zone's tree and of the watches' tree: by hash, then,
 * between nodes of one hash, by the tree's own compare
 */

void
ngx_http_push_approval_rbtree_insert_cmp(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel,
    ngx_http_push_approval_rbtree_cmp_pt cmp)
{
    ngx_rbtree_node_t  **p;

    for ( ;; ) {

        if (node->key != temp->key) {
            p = (node->key < temp->key) ? &temp->left : &temp->right;

        } else {
            p = (cmp(node, temp) < 0) ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


ngx_http_push_approval_node_t *
ngx_http_push_approval_lookup(ngx_http_push_approval_zone_ctx_t *zone,
    u_char *key, ngx_uint_t type)
{
    ngx_int_t                       rc;
    ngx_rbtree_key_t                hash;
    ngx_rbtree_node_t              *node, *sentinel;
    ngx_http_push_approval_node_t  *pn;

    hash = ngx_http_push_approval_hash(key);

    node = zone->sh->rbtree.root;
    sentinel = zone->sh->rbtree.sentinel;

    while (node != sentinel) {

        if (hash < node->key) {
            node = node->left;
            continue;
        }

        if (hash > node->key) {
            node = node->right;
            continue;
        }

        pn = (ngx_http_push_approval_node_t *) node;

        rc = ngx_memcmp(key, pn->key, NGX_HTTP_PUSH_APPROVAL_KEY_SIZE);

        if (rc == 0) {
            if (pn->type != type) {
                return NULL;
            }

            if (pn->expires < ngx_time()) {
                ngx_http_push_approval_delete(zone, pn);
                return NULL;
            }

            return pn;
        }

        node = (rc < 0) ? node->left : node->right;
    }

    return NULL;
}


ngx_http_push_approval_node_t *
ngx_http_push_approval_insert(ngx_http_push_approval_zone_ctx_t *zone,
    u_char *key, ngx_uint_t type, time_t expires)
{
    size_t                          size;
    ngx_uint_t                      tries;
    ngx_http_push_approval_node_t  *pn;

    ngx_http_push_approval_expire(zone, 2);

    size = sizeof(ngx_http_push_approval_node_t);

    for (tries = 0; /* void */; tries++) {

        pn = ngx_slab_alloc_locked(zone->shpool, size);
        if (pn) {
            break;
        }

        if (tries == 64 || ngx_http_push_approval_evict(zone, type) != NGX_OK)
        {
            if (type == NGX_HTTP_PUSH_APPROVAL_NODE_REMEMBER) {
                /* an address entry gives way: the cookie still works */
                ngx_log_debug1(NGX_LOG_DEBUG_HTTP, ngx_cycle->log, 0,
                               "push_approval zone \"%V\" has no room for "
                               "an address entry", &zone->name);
                return NULL;
            }

            ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                          "push_approval zone \"%V\" is full",
                          &zone->name);
            return NULL;
        }
    }

    ngx_memzero(pn, size);

    ngx_memcpy(pn->key, key, NGX_HTTP_PUSH_APPROVAL_KEY_SIZE);
    pn->node.key = ngx_http_push_approval_hash(key);
    pn->type = type;
    pn->expires = expires;

    ngx_rbtree_insert(&zone->sh->rbtree, &pn->node);
    ngx_queue_insert_head(&zone->sh->queue, &pn->queue);

    zone->sh->entries++;

    return pn;
}


/* the entry of the key, found or made (expiring at expires) */

ngx_http_push_approval_node_t *
ngx_http_push_approval_entry(ngx_http_push_approval_zone_ctx_t *zone,
    u_char *key, ngx_uint_t type, time_t expires)
{
    ngx_http_push_approval_node_t  *pn;

    pn = ngx_http_push_approval_lookup(zone, key, type);
    if (pn) {
        return pn;
    }

    return ngx_http_push_approval_insert(zone, key, type, expires);
}


/*
 * a key recorded once, whatever the worker: NGX_OK, recorded now;
 * NGX_BUSY, recorded before; NGX_ERROR, no room
 */

ngx_int_t
ngx_http_push_approval_insert_once(ngx_http_push_approval_zone_ctx_t *zone,
    u_char *key, ngx_uint_t type, time_t expires)
{
    ngx_int_t  rc;

    ngx_shmtx_lock(&zone->shpool->mutex);

    if (ngx_http_push_approval_lookup(zone, key, type)) {
        rc = NGX_BUSY;

    } else if (ngx_http_push_approval_insert(zone, key, type, expires)) {
        rc = NGX_OK;

    } else {
        rc = NGX_ERROR;
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);

    return rc;
}


void
ngx_http_push_approval_delete(ngx_http_push_approval_zone_ctx_t *zone,
    ngx_http_push_approval_node_t *pn)
{
    if (pn->type == NGX_HTTP_PUSH_APPROVAL_NODE_APPROVAL
        && pn->v.approval.state == NGX_HTTP_PUSH_APPROVAL_PENDING)
    {
        ngx_http_push_approval_metric(zone,
                                      NGX_HTTP_PUSH_APPROVAL_M_PENDING, -1);
    }

    ngx_queue_remove(&pn->queue);
    ngx_rbtree_delete(&zone->sh->rbtree, &pn->node);
    ngx_slab_free_locked(zone->shpool, pn);

    zone->sh->entries--;
}


void
ngx_http_push_approval_touch(ngx_http_push_approval_zone_ctx_t *zone,
    ngx_http_push_approval_node_t *pn)
{
    ngx_queue_remove(&pn->queue);
    ngx_queue_insert_head(&zone->sh->queue, &pn->queue);
}


/* removes up to n expired entries from the old end of the queue */

static void
ngx_http_push_approval_expire(ngx_http_push_approval_zone_ctx_t *zone,
    ngx_uint_t n)
{
    time_t                          now;
    ngx_queue_t                    *q;
    ngx_http_push_approval_node_t  *pn;

    now = ngx_time();

    while (n--) {

        if (ngx_queue_empty(&zone->sh->queue)) {
            return;
        }

        q = ngx_queue_last(&zone->sh->queue);
        pn = ngx_queue_data(q, ngx_http_push_approval_node_t, queue);

        if (pn->expires >= now) {
            return;
        }

        ngx_http_push_approval_delete(zone, pn);
    }
}


/* an approval still pending, or a push being created, has people waiting */

static ngx_uint_t
ngx_http_push_approval_live(ngx_http_push_approval_node_t *pn)
{
    if (pn->expires < ngx_time()) {
        return 0;
    }

    switch (pn->type) {

    case NGX_HTTP_PUSH_APPROVAL_NODE_APPROVAL:
        return pn->v.approval.state == NGX_HTTP_PUSH_APPROVAL_PENDING;

    case NGX_HTTP_PUSH_APPROVAL_NODE_PAIR:
        /* an active pair only points at its approval, which is spared */
        return pn->v.pair.state == NGX_HTTP_PUSH_APPROVAL_PAIR_CREATING;

    case NGX_HTTP_PUSH_APPROVAL_NODE_REVOKED:
    case NGX_HTTP_PUSH_APPROVAL_NODE_INVITE:
        /* forgetting them would undo a revocation, or reopen an invite */
        return 1;

    default:
        return 0;
    }
}


/*
 * what an entry of the given type may push out of a full zone: expired
 * entries, address entries and what can be had again (decided approvals,
 * pairs not being created, Verify factors).  Pending approvals, limits,
 * cooldowns and callback replay records never give way to an address
 * entry, so that remembered addresses cannot be used to flush them.
 */

static ngx_uint_t
ngx_http_push_approval_gives_way(ngx_http_push_approval_node_t *pn,
    ngx_uint_t type)
{
    if (pn->expires < ngx_time()
        || pn->type == NGX_HTTP_PUSH_APPROVAL_NODE_REMEMBER)
    {
        return 1;
    }

    if (type == NGX_HTTP_PUSH_APPROVAL_NODE_REMEMBER) {
        return 0;
    }

    switch (pn->type) {

    case NGX_HTTP_PUSH_APPROVAL_NODE_APPROVAL:
    case NGX_HTTP_PUSH_APPROVAL_NODE_PAIR:
        return !ngx_http_push_approval_live(pn);

    case NGX_HTTP_PUSH_APPROVAL_NODE_FACTOR:
        return 1;

    default:
        return 0;
    }
}


/*
 * frees one entry: the least recently used one that gives way to the new
 * entry's type; failing that, for anything but an address entry, the least
 * recently used one, sparing live ones while it can
 */

static ngx_int_t
ngx_http_push_approval_evict(ngx_http_push_approval_zone_ctx_t *zone,
    ngx_uint_t type)
{
    ngx_uint_t                      spared;
    ngx_queue_t                    *q;
    ngx_http_push_approval_node_t  *pn;

    /*
     * the oldest entry that gives way first, looked for from the tail
     * without moving anything: the order of the others stays the order
     * of their use, so that an approval just decided is not next to go
     */

    q = ngx_queue_last(&zone->sh->queue);

    for (spared = 0; spared < 256; spared++) {

        if (q == ngx_queue_sentinel(&zone->sh->queue)) {
            break;
        }

        pn = ngx_queue_data(q, ngx_http_push_approval_node_t, queue);

        if (ngx_http_push_approval_gives_way(pn, type)) {
            ngx_http_push_approval_delete(zone, pn);
            return NGX_OK;
        }

        q = ngx_queue_prev(q);
    }

    if (type == NGX_HTTP_PUSH_APPROVAL_NODE_REMEMBER) {
        return NGX_DECLINED;
    }

    for (spared = 0; /* void */; spared++) {

        if (ngx_queue_empty(&zone->sh->queue)) {
            return NGX_DECLINED;
        }

        q = ngx_queue_last(&zone->sh->queue);
        pn = ngx_queue_data(q, ngx_http_push_approval_node_t, queue);

        if (spared < 128 && ngx_http_push_approval_live(pn)) {
            ngx_http_push_approval_touch(zone, pn);
            continue;
        }

        ngx_http_push_approval_delete(zone, pn);

        return NGX_OK;
    }
}


void
ngx_http_push_approval_metric(ngx_http_push_approval_zone_ctx_t *zone,
    ngx_uint_t metric, ngx_atomic_int_t delta)
{
    /* each worker counts in its own slot: no cache line shared on writes */
    (void) ngx_atomic_fetch_add(
        &zone->sh->metrics[ngx_worker % NGX_HTTP_PUSH_APPROVAL_SLOTS][metric],
        delta);
}


ngx_atomic_int_t
ngx_http_push_approval_metric_sum(ngx_http_push_approval_zone_ctx_t *zone,
    ngx_uint_t metric)
{
    ngx_uint_t        i;
    ngx_atomic_int_t  sum;

    sum = 0;

    for (i = 0; i < NGX_HTTP_PUSH_APPROVAL_SLOTS; i++) {
        sum += (ngx_atomic_int_t) zone->sh->metrics[i][metric];
    }

    return sum;
}


/*
 * at most one status fetch per interval per approval, across workers and
 * whoever asks: NGX_OK, the caller asks now; NGX_BUSY, not yet (*next says
 * when); NGX_DECLINED, the approval is decided or unknown
 */

ngx_int_t
ngx_http_push_approval_claim_poll(ngx_http_push_approval_zone_ctx_t *zone,
    u_char *key, ngx_msec_t interval, ngx_msec_t *next)
{
    ngx_msec_t                          now;
    ngx_http_push_approval_node_t      *pn;
    ngx_http_push_approval_approval_t  *ap;

    now = ngx_current_msec;
    *next = now + interval;

    ngx_shmtx_lock(&zone->shpool->mutex);

    pn = ngx_http_push_approval_lookup(zone, key,
                                       NGX_HTTP_PUSH_APPROVAL_NODE_APPROVAL);

    if (pn == NULL || pn->v.approval.state != NGX_HTTP_PUSH_APPROVAL_PENDING) {
        ngx_shmtx_unlock(&zone->shpool->mutex);
        return NGX_DECLINED;
    }

    ap = &pn->v.approval;

    if ((ngx_msec_int_t) (now - ap->next_poll) < 0
        || (ap->poll_started
            && (ngx_msec_int_t) (now - ap->poll_started)
               < NGX_HTTP_PUSH_APPROVAL_POLL_STALE))
    {
        *next = ap->next_poll;
        ngx_shmtx_unlock(&zone->shpool->mutex);
        return NGX_BUSY;
    }

    ap->poll_started = now ? now : 1;
    ap->next_poll = now + interval;

    ngx_shmtx_unlock(&zone->shpool->mutex);

    return NGX_OK;
}


