
/*
 * Copyright (C) push approval module developers
 *
 * Waiting on the zone, per worker.  Requests waiting for the same approval
 * (or for the same push being created) share one watch, found by its zone
 * key in a per-worker rbtree.  A change wakes exactly the watches of its
 * key: in this worker at once, in the others through a datagram socket pair
 * per process slot that the master makes before it forks; each process
 * reads its own from its event loop.  Nothing runs while nothing changes
 * but the polls that are due, each watch on its own timer.  A watch wakes
 * its requests by posting their events; each request then reads its
 * outcome from the zone itself.
 */


#include "ngx_http_push_approval.h"


#define NGX_HTTP_PUSH_APPROVAL_TICK        5      /* ms, fallback only */
#define NGX_HTTP_PUSH_APPROVAL_MAX_POLLS   40     /* per request */
#define NGX_HTTP_PUSH_APPROVAL_CHAN_MIN    16     /* socket pairs */
#define NGX_HTTP_PUSH_APPROVAL_CHAN_BUF    (1024 * 1024)


/* what a change sends to the other processes */

typedef struct {
    ngx_http_push_approval_shctx_t  *sh;
    ngx_uint_t                       all;
    u_char                           key[NGX_HTTP_PUSH_APPROVAL_KEY_SIZE];
} ngx_http_push_approval_wake_t;


static void ngx_http_push_approval_watch_setup(void);
static ngx_http_push_approval_watch_t *ngx_http_push_approval_watch_find(
    ngx_http_push_approval_shctx_t *sh, u_char *key);
static void ngx_http_push_approval_watch_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);
static ngx_int_t ngx_http_push_approval_watch_node_cmp(
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *temp);
static ngx_int_t ngx_http_push_approval_watch_cmp(u_char *key,
    ngx_http_push_approval_shctx_t *sh, ngx_http_push_approval_watch_t *w);
static void ngx_http_push_approval_wake_local(
    ngx_http_push_approval_shctx_t *sh, u_char *key);
static void ngx_http_push_approval_wake_others(
    ngx_http_push_approval_zone_ctx_t *zone, u_char *key);
static void ngx_http_push_approval_chan_handler(ngx_event_t *ev);
static void ngx_http_push_approval_check_zones(ngx_uint_t generation);
static void ngx_http_push_approval_tick(ngx_event_t *ev);
static void ngx_http_push_approval_poll_handler(ngx_event_t *ev);
static void ngx_http_push_approval_notify(
    ngx_http_push_approval_watch_t *watch);
static void ngx_http_push_approval_poll(ngx_http_push_approval_watch_t *watch);


static ngx_rbtree_t        ngx_http_push_approval_watch_tree;
static ngx_rbtree_node_t   ngx_http_push_approval_watch_sentinel;
static ngx_queue_t         ngx_http_push_approval_watches;
static ngx_queue_t         ngx_http_push_approval_free_watches;
static ngx_event_t         ngx_http_push_approval_tick_event;
static ngx_uint_t          ngx_http_push_approval_watch_init;

/* timer debug logging reads an event's data as a connection */
static ngx_connection_t    ngx_http_push_approval_tick_connection;

/*
 * socket pairs by process slot: [0] written by everyone, [1] read by the
 * slot's process; made once by the master and kept across reloads, so that
 * old and new workers reach each other
 */
static ngx_socket_t        ngx_http_push_approval_chans[NGX_MAX_PROCESSES][2];
static ngx_int_t           ngx_http_push_approval_nchans;
static ngx_connection_t   *ngx_http_push_approval_chan;


/* in the master, before it forks: a socket pair for each process slot */

ngx_int_t
ngx_http_push_approval_watch_init_module(ngx_cycle_t *cycle)
{
    int                                  size;
    ngx_int_t                            n, i, want, max;
    struct rlimit                        rlmt;
    ngx_core_conf_t                     *ccf;
    ngx_http_push_approval_main_conf_t  *pmcf;

    ccf = (ngx_core_conf_t *) ngx_get_conf(cycle->conf_ctx, ngx_core_module);
    pmcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_push_approval_module);

    if (ngx_test_config || !ccf->master || pmcf == NULL
        || pmcf->zones.nelts == 0)
    {
        return NGX_OK;
    }

    /* room for the workers, the old ones of a reload and the helpers */

    want = ngx_max(ccf->worker_processes * 2 + 8,
                   NGX_HTTP_PUSH_APPROVAL_CHAN_MIN);
    want = ngx_min(want, NGX_MAX_PROCESSES);
    n = want;

    /* leave the master descriptors for nginx's own channels and files */

    if (getrlimit(RLIMIT_NOFILE, &rlmt) == 0
        && rlmt.rlim_cur != RLIM_INFINITY)
    {
        max = ((ngx_int_t) rlmt.rlim_cur - 64 - 4 * ccf->worker_processes)
              / 2;
        n = ngx_max(ngx_min(n, max), ngx_http_push_approval_nchans);
    }

    if (n < want && ngx_http_push_approval_nchans < want) {
        ngx_log_error(NGX_LOG_WARN, cycle->log, 0,
                      "push approval: wake-up sockets for %i of %i process "
                      "slots only, for lack of file descriptors; the others "
                      "look at the zone every %d ms", n, want,
                      NGX_HTTP_PUSH_APPROVAL_TICK);
    }

    size = NGX_HTTP_PUSH_APPROVAL_CHAN_BUF;

    /*
     * init_module failing on a reload would end the master: without its
     * pair a process in that slot looks at the zone on a tick instead
     */

    for (i = ngx_http_push_approval_nchans; i < n; i++) {

        if (socketpair(AF_UNIX, SOCK_DGRAM, 0, ngx_http_push_approval_chans[i])
            == -1)
        {
            ngx_log_error(NGX_LOG_ERR, cycle->log, ngx_socket_errno,
                          "push approval: socketpair() failed");
            break;
        }

        if (ngx_nonblocking(ngx_http_push_approval_chans[i][0]) == -1
            || ngx_nonblocking(ngx_http_push_approval_chans[i][1]) == -1
            || fcntl(ngx_http_push_approval_chans[i][0], F_SETFD, FD_CLOEXEC)
               == -1
            || fcntl(ngx_http_push_approval_chans[i][1], F_SETFD, FD_CLOEXEC)
               == -1)
        {
            ngx_log_error(NGX_LOG_ERR, cycle->log, ngx_socket_errno,
                          "push approval: cannot set up a socket pair");
            (void) ngx_close_socket(ngx_http_push_approval_chans[i][0]);
            (void) ngx_close_socket(ngx_http_push_approval_chans[i][1]);
            break;
        }

        ngx_http_push_approval_nchans = i + 1;

        /* more wake-ups in flight before one is dropped; best effort */
        (void) setsockopt(ngx_http_push_approval_chans[i][0], SOL_SOCKET,
                          SO_SNDBUF, (const void *) &size, sizeof(int));
    }

    return NGX_OK;
}


/* in a worker (or a helper, which only drains its socket) */

ngx_int_t
ngx_http_push_approval_watch_init_process(ngx_cycle_t *cycle)
{
    ngx_int_t                            i;
    ngx_uint_t                           z;
    ngx_event_t                         *rev;
    ngx_shm_zone_t                     **zones;
    ngx_connection_t                    *c;
    ngx_http_push_approval_zone_ctx_t   *zone;
    ngx_http_push_approval_main_conf_t  *pmcf;

    pmcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_push_approval_module);

    if (pmcf) {
        zones = pmcf->zones.elts;

        for (z = 0; z < pmcf->zones.nelts; z++) {
            zone = zones[z]->data;
            zone->seen_generation = zone->sh->generation;
            zone->seen_lost = zone->sh->lost;
        }
    }

    if ((ngx_process != NGX_PROCESS_WORKER
         && ngx_process != NGX_PROCESS_HELPER)
        || ngx_process_slot >= ngx_http_push_approval_nchans)
    {
        return NGX_OK;
    }

    /* the other slots' read ends belong to their processes */

    for (i = 0; i < ngx_http_push_approval_nchans; i++) {
        if (i != ngx_process_slot) {
            (void) ngx_close_socket(ngx_http_push_approval_chans[i][1]);
            ngx_http_push_approval_chans[i][1] = (ngx_socket_t) -1;
        }
    }

    c = ngx_get_connection(ngx_http_push_approval_chans[ngx_process_slot][1],
                           cycle->log);
    if (c == NULL) {
        /* this worker looks at the zone on a tick instead */
        return NGX_OK;
    }

    rev = c->read;
    rev->log = cycle->log;
    rev->handler = ngx_http_push_approval_chan_handler;

    /* like nginx's own channel: not a connection left open at exit */
    rev->channel = 1;
    c->write->channel = 1;

    if (ngx_handle_read_event(rev, 0) != NGX_OK) {
        ngx_free_connection(c);
        return NGX_OK;
    }

    ngx_http_push_approval_chan = c;

    /* anything left from an earlier process in this slot */
    ngx_http_push_approval_chan_handler(rev);

    return NGX_OK;
}


void
ngx_http_push_approval_watch_exit_process(ngx_cycle_t *cycle)
{
    if (ngx_http_push_approval_chan) {
        ngx_close_connection(ngx_http_push_approval_chan);
        ngx_http_push_approval_chan = NULL;
    }
}


static void
ngx_http_push_approval_watch_setup(void)
{
    ngx_rbtree_init(&ngx_http_push_approval_watch_tree,
                    &ngx_http_push_approval_watch_sentinel,
                    ngx_http_push_approval_watch_insert);

    ngx_queue_init(&ngx_http_push_approval_watches);
    ngx_queue_init(&ngx_http_push_approval_free_watches);

    ngx_http_push_approval_tick_event.handler = ngx_http_push_approval_tick;
    ngx_http_push_approval_tick_event.log = ngx_cycle->log;
    ngx_http_push_approval_tick_connection.fd = (ngx_socket_t) -1;
    ngx_http_push_approval_tick_event.data =
                                       &ngx_http_push_approval_tick_connection;

    /* timers of their own never keep a worker from exiting */
    ngx_http_push_approval_tick_event.cancelable = 1;

    ngx_http_push_approval_watch_init = 1;
}


ngx_int_t
ngx_http_push_approval_watch(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, u_char *key, ngx_uint_t type)
{
    ngx_queue_t                     *q;
    ngx_http_push_approval_watch_t  *w;

    if (!ngx_http_push_approval_watch_init) {
        ngx_http_push_approval_watch_setup();
    }

    ngx_http_push_approval_unwatch(ctx);

    w = ngx_http_push_approval_watch_find(ctx->zone->sh, key);

    if (w) {
        goto found;
    }

    /* watches are reused: they live for the worker's life */

    if (!ngx_queue_empty(&ngx_http_push_approval_free_watches)) {
        q = ngx_queue_head(&ngx_http_push_approval_free_watches);
        ngx_queue_remove(q);
        w = ngx_queue_data(q, ngx_http_push_approval_watch_t, link);

    } else {
        w = ngx_palloc(ngx_cycle->pool,
                       sizeof(ngx_http_push_approval_watch_t));
        if (w == NULL) {
            return NGX_ERROR;
        }
    }

    ngx_memzero(w, sizeof(ngx_http_push_approval_watch_t));

    w->zone = ctx->zone;
    w->type = type;
    ngx_memcpy(w->key, key, NGX_HTTP_PUSH_APPROVAL_KEY_SIZE);
    ngx_memcpy(&w->node.key, key, sizeof(ngx_rbtree_key_t));
    w->poll = ctx->poll;
    w->next_poll = ngx_current_msec;

    w->poll_event.handler = ngx_http_push_approval_poll_handler;
    w->poll_event.data = &ngx_http_push_approval_tick_connection;
    w->poll_event.log = ngx_cycle->log;
    w->poll_event.cancelable = 1;

    ngx_queue_init(&w->waiters);
    ngx_queue_insert_tail(&ngx_http_push_approval_watches, &w->link);
    ngx_rbtree_insert(&ngx_http_push_approval_watch_tree, &w->node);

found:

    if (w->poll == 0 || (ctx->poll && ctx->poll < w->poll)) {
        w->poll = ctx->poll;
    }

    ngx_queue_insert_tail(&w->waiters, &ctx->wait_link);
    ctx->watch = w;

    if (w->type == NGX_HTTP_PUSH_APPROVAL_NODE_APPROVAL && w->poll
        && !w->poll_event.timer_set)
    {
        ngx_add_timer(&w->poll_event, NGX_HTTP_PUSH_APPROVAL_TICK);
    }

    /* without a socket of its own a worker looks at the zone on a tick */

    if (ngx_process == NGX_PROCESS_WORKER
        && ngx_http_push_approval_chan == NULL
        && !ngx_http_push_approval_tick_event.timer_set)
    {
        ngx_add_timer(&ngx_http_push_approval_tick_event,
                      NGX_HTTP_PUSH_APPROVAL_TICK);
    }

    return NGX_OK;
}


void
ngx_http_push_approval_unwatch(ngx_http_push_approval_ctx_t *ctx)
{
    ngx_http_push_approval_watch_t  *w;

    w = ctx->watch;

    if (w == NULL) {
        return;
    }

    ngx_queue_remove(&ctx->wait_link);
    ctx->watch = NULL;

    if (!ngx_queue_empty(&w->waiters)) {
        return;
    }

    if (w->poll_event.timer_set) {
        ngx_del_timer(&w->poll_event);
    }

    if (w->poll_event.posted) {
        ngx_delete_posted_event(&w->poll_event);
    }

    ngx_rbtree_delete(&ngx_http_push_approval_watch_tree, &w->node);
    ngx_queue_remove(&w->link);
    ngx_queue_insert_head(&ngx_http_push_approval_free_watches, &w->link);
}


/* looks at every watch now, as if everything had changed */

void
ngx_http_push_approval_kick(void)
{
    ngx_queue_t                     *q;
    ngx_http_push_approval_watch_t  *w;

    if (!ngx_http_push_approval_watch_init) {
        return;
    }

    for (q = ngx_queue_head(&ngx_http_push_approval_watches);
         q != ngx_queue_sentinel(&ngx_http_push_approval_watches);
         q = ngx_queue_next(q))
    {
        w = ngx_queue_data(q, ngx_http_push_approval_watch_t, link);
        ngx_http_push_approval_notify(w);
    }
}


/*
 * a zone entry changed: its watches here and in every other process; key
 * NULL: any entry of the zone may have
 */

void
ngx_http_push_approval_wake(ngx_http_push_approval_zone_ctx_t *zone,
    u_char *key)
{
    ngx_http_push_approval_wake_local(zone->sh, key);
    ngx_http_push_approval_wake_others(zone, key);
}


static void
ngx_http_push_approval_wake_local(ngx_http_push_approval_shctx_t *sh,
    u_char *key)
{
    ngx_queue_t                     *q;
    ngx_http_push_approval_watch_t  *w;

    if (!ngx_http_push_approval_watch_init) {
        return;
    }

    if (key) {
        w = ngx_http_push_approval_watch_find(sh, key);

        if (w) {
            ngx_http_push_approval_notify(w);
        }

        return;
    }

    for (q = ngx_queue_head(&ngx_http_push_approval_watches);
         q != ngx_queue_sentinel(&ngx_http_push_approval_watches);
         q = ngx_queue_next(q))
    {
        w = ngx_queue_data(q, ngx_http_push_approval_watch_t, link);

        if (w->zone->sh == sh) {
            ngx_http_push_approval_notify(w);
        }
    }
}


/*
 * one datagram to each live process but this one, never blocking: a process
 * that does not keep up loses it, and the zone's count of losses makes it
 * look at all its watches once it has read what it has
 */

static void
ngx_http_push_approval_wake_others(ngx_http_push_approval_zone_ctx_t *zone,
    u_char *key)
{
    ngx_int_t                      i;
    ngx_err_t                      err;
    ngx_socket_t                   s;
    ngx_http_push_approval_wake_t  msg;

    if (ngx_process != NGX_PROCESS_WORKER) {
        return;
    }

    ngx_memzero(&msg, sizeof(ngx_http_push_approval_wake_t));

    msg.sh = zone->sh;
    msg.all = (key == NULL);

    if (key) {
        ngx_memcpy(msg.key, key, NGX_HTTP_PUSH_APPROVAL_KEY_SIZE);
    }

    for (i = 0; i < ngx_http_push_approval_nchans; i++) {

        if (i == ngx_process_slot || ngx_processes[i].pid <= 0
            || ngx_processes[i].channel[0] == -1)
        {
            continue;
        }

        s = ngx_http_push_approval_chans[i][0];

        if (send(s, &msg, sizeof(msg), 0) == (ssize_t) sizeof(msg)) {
            continue;
        }

        err = ngx_socket_errno;

        if (err != NGX_EAGAIN && err != ENOBUFS) {
            ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, err,
                          "push approval: send() to process %P failed",
                          ngx_processes[i].pid);
            continue;
        }

        (void) ngx_atomic_fetch_add(&zone->sh->lost, 1);

        /*
         * counted before this second try: if the process has emptied its
         * socket in between, this one wakes it to see the count
         */

        (void) send(s, &msg, sizeof(msg), 0);
    }
}


static void
ngx_http_push_approval_chan_handler(ngx_event_t *ev)
{
    ssize_t                         n;
    ngx_err_t                       err;
    ngx_connection_t               *c;
    ngx_http_push_approval_wake_t   msg;

    c = ev->data;

    for ( ;; ) {
        n = recv(c->fd, &msg, sizeof(msg), 0);

        if (n == -1) {
            err = ngx_socket_errno;

            if (err == NGX_EINTR) {
                continue;
            }

            if (err != NGX_EAGAIN) {
                ngx_log_error(NGX_LOG_ERR, ev->log, err,
                              "push approval: recv() failed");
            }

            break;
        }

        if (n != (ssize_t) sizeof(msg)) {
            continue;
        }

        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, ev->log, 0,
                       "push approval wake-up, all:%ui", msg.all);

        ngx_http_push_approval_wake_local(msg.sh, msg.all ? NULL : msg.key);
    }

    ngx_http_push_approval_check_zones(0);
}


/*
 * after a loss (or, without a socket, on the tick, when the zone's
 * generation moved): every watch of the zone looks
 */

static void
ngx_http_push_approval_check_zones(ngx_uint_t generation)
{
    ngx_uint_t                           z;
    ngx_atomic_uint_t                    v;
    ngx_shm_zone_t                     **zones;
    ngx_http_push_approval_zone_ctx_t   *zone;
    ngx_http_push_approval_main_conf_t  *pmcf;

    pmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                               ngx_http_push_approval_module);
    if (pmcf == NULL) {
        return;
    }

    zones = pmcf->zones.elts;

    for (z = 0; z < pmcf->zones.nelts; z++) {
        zone = zones[z]->data;

        if (generation) {
            v = zone->sh->generation;

            if (v != zone->seen_generation) {
                zone->seen_generation = v;
                ngx_http_push_approval_wake_local(zone->sh, NULL);
            }

            continue;
        }

        v = zone->sh->lost;

        if (v != zone->seen_lost) {
            zone->seen_lost = v;
            ngx_http_push_approval_wake_local(zone->sh, NULL);
        }
    }
}


static void
ngx_http_push_approval_tick(ngx_event_t *ev)
{
    ngx_http_push_approval_check_zones(1);

    if (!ngx_queue_empty(&ngx_http_push_approval_watches)) {
        ngx_add_timer(ev, NGX_HTTP_PUSH_APPROVAL_TICK);
    }
}


static ngx_http_push_approval_watch_t *
ngx_http_push_approval_watch_find(ngx_http_push_approval_shctx_t *sh,
    u_char *key)
{
    ngx_int_t                        rc;
    ngx_rbtree_key_t                 hash;
    ngx_rbtree_node_t               *node, *sentinel;
    ngx_http_push_approval_watch_t  *w;

    ngx_memcpy(&hash, key, sizeof(ngx_rbtree_key_t));

    node = ngx_http_push_approval_watch_tree.root;
    sentinel = ngx_http_push_approval_watch_tree.sentinel;

    while (node != sentinel) {

        if (hash != node->key) {
            node = (hash < node->key) ? node->left : node->right;
            continue;
        }

        w = (ngx_http_push_approval_watch_t *) node;

        rc = ngx_http_push_approval_watch_cmp(key, sh, w);

        if (rc == 0) {
            return w;
        }

        node = (rc < 0) ? node->left : node->right;
    }

    return NULL;
}


/* watches are ordered by key, then by zone */

static ngx_int_t
ngx_http_push_approval_watch_cmp(u_char *key,
    ngx_http_push_approval_shctx_t *sh, ngx_http_push_approval_watch_t *w)
{
    ngx_int_t  rc;

    rc = ngx_memcmp(key, w->key, NGX_HTTP_PUSH_APPROVAL_KEY_SIZE);

    if (rc != 0) {
        return rc;
    }

    if (sh == w->zone->sh) {
        return 0;
    }

    return ((uintptr_t) sh < (uintptr_t) w->zone->sh) ? -1 : 1;
}


static void
ngx_http_push_approval_watch_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel)
{
    ngx_http_push_approval_rbtree_insert_cmp(temp, node, sentinel,
                                       ngx_http_push_approval_watch_node_cmp);
}


static ngx_int_t
ngx_http_push_approval_watch_node_cmp(ngx_rbtree_node_t *node,
    ngx_rbtree_node_t *temp)
{
    ngx_http_push_approval_watch_t  *w;

    w = (ngx_http_push_approval_watch_t *) node;

    return ngx_http_push_approval_watch_cmp(w->key, w->zone->sh,
                                      (ngx_http_push_approval_watch_t *) temp);
}


static void
ngx_http_push_approval_poll_handler(ngx_event_t *ev)
{
    ngx_msec_int_t                   delay;
    ngx_http_push_approval_watch_t  *w;

    w = (ngx_http_push_approval_watch_t *)
            ((u_char *) ev - offsetof(ngx_http_push_approval_watch_t,
                                      poll_event));

    ngx_http_push_approval_poll(w);

    if (w->poll && !ev->timer_set) {
        /* due already: another worker's poll is still on its way */
        delay = (ngx_msec_int_t) (w->next_poll - ngx_current_msec);
        ngx_add_timer(ev, (ngx_msec_t) ngx_max(delay,
                                             NGX_HTTP_PUSH_APPROVAL_TICK));
    }
}


static void
ngx_http_push_approval_notify(ngx_http_push_approval_watch_t *w)
{
    ngx_queue_t                   *q;
    ngx_http_push_approval_ctx_t  *ctx;

    for (q = ngx_queue_head(&w->waiters);
         q != ngx_queue_sentinel(&w->waiters);
         q = ngx_queue_next(q))
    {
        ctx = ngx_queue_data(q, ngx_http_push_approval_ctx_t, wait_link);

        if (!ctx->timer.posted) {
            ngx_post_event(&ctx->timer, &ngx_posted_events);
        }
    }
}


/*
 * at most one status fetch per interval per approval, across workers: the
 * worker that claims the poll in the zone asks, from one of its waiting
 * requests
 */

static void
ngx_http_push_approval_poll(ngx_http_push_approval_watch_t *w)
{
    ngx_queue_t                   *q;
    ngx_http_request_t            *r;
    ngx_http_push_approval_ctx_t  *ctx, *best;

    /*
     * a poll runs as a subrequest of a waiting request and takes from its
     * pool and its subrequest budget: ask from the waiter that asked least,
     * and space one request's polls over its whole wait
     */

    best = NULL;

    for (q = ngx_queue_head(&w->waiters);
         q != ngx_queue_sentinel(&w->waiters);
         q = ngx_queue_next(q))
    {
        ctx = ngx_queue_data(q, ngx_http_push_approval_ctx_t, wait_link);
        r = ctx->request;

        if (ctx->polls >= NGX_HTTP_PUSH_APPROVAL_MAX_POLLS
            || r->main->subrequests <= 1 || r->connection->error
            || (ctx->polls
                && (ngx_msec_int_t) (ngx_current_msec - ctx->polled)
                   < (ngx_msec_int_t) (ctx->conf->timeout
                                       / NGX_HTTP_PUSH_APPROVAL_MAX_POLLS)))
        {
            continue;
        }

        if (best == NULL || ctx->polls < best->polls) {
            best = ctx;
        }
    }

    ctx = best;

    if (ctx == NULL) {
        w->next_poll = ngx_current_msec + w->poll;
        return;
    }

    switch (ngx_http_push_approval_claim_poll(w->zone, w->key, w->poll,
                                              &w->next_poll))
    {
    case NGX_OK:
        break;

    case NGX_DECLINED:
        /* decided or gone: the waiters find out themselves */
        ngx_http_push_approval_notify(w);
        return;

    default: /* NGX_BUSY: another worker asks, or asked not long ago */
        return;
    }

    ctx->polls++;
    ctx->polled = ngx_current_msec;

    /*
     * the request asks from its own event handler, where running its
     * subrequest cannot disturb this walk over the waiters
     */

    ctx->poll_now = 1;

    if (!ctx->timer.posted) {
        ngx_post_event(&ctx->timer, &ngx_posted_events);
    }
}
