
/*
 * Copyright (C) push approval module developers
 *
 * Waiting on the zone, per worker.  Requests waiting for the same approval
 * (or for the same push being created) share one watch; a single cancelable
 * tick looks at each watch only when the zone's generation moved or a poll
 * is due, so thousands of held requests cost nothing while they wait.  A
 * watch wakes its requests by posting their events; each request then reads
 * its outcome from the zone itself.
 */


#include "ngx_http_push_approval.h"


#define NGX_HTTP_PUSH_APPROVAL_TICK        5      /* ms */
#define NGX_HTTP_PUSH_APPROVAL_MAX_POLLS   40     /* per request */


static void ngx_http_push_approval_tick(ngx_event_t *ev);
static void ngx_http_push_approval_notify(
    ngx_http_push_approval_watch_t *watch);
static void ngx_http_push_approval_poll(ngx_http_push_approval_watch_t *watch);


static ngx_queue_t   ngx_http_push_approval_watches;
static ngx_queue_t   ngx_http_push_approval_free_watches;
static ngx_event_t   ngx_http_push_approval_tick_event;
static ngx_uint_t    ngx_http_push_approval_watch_init;

/* timer debug logging reads an event's data as a connection */
static ngx_connection_t  ngx_http_push_approval_tick_connection;


ngx_int_t
ngx_http_push_approval_watch(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, u_char *key, ngx_uint_t type)
{
    ngx_queue_t                     *q;
    ngx_http_push_approval_watch_t  *w;

    if (!ngx_http_push_approval_watch_init) {
        ngx_queue_init(&ngx_http_push_approval_watches);
        ngx_queue_init(&ngx_http_push_approval_free_watches);

        ngx_http_push_approval_tick_event.handler =
                                               ngx_http_push_approval_tick;
        ngx_http_push_approval_tick_event.log = ngx_cycle->log;
        ngx_http_push_approval_tick_connection.fd = (ngx_socket_t) -1;
        ngx_http_push_approval_tick_event.data =
                                       &ngx_http_push_approval_tick_connection;

        /* the tick alone never keeps a worker from exiting */
        ngx_http_push_approval_tick_event.cancelable = 1;

        ngx_http_push_approval_watch_init = 1;
    }

    ngx_http_push_approval_unwatch(ctx);

    for (q = ngx_queue_head(&ngx_http_push_approval_watches);
         q != ngx_queue_sentinel(&ngx_http_push_approval_watches);
         q = ngx_queue_next(q))
    {
        w = ngx_queue_data(q, ngx_http_push_approval_watch_t, link);

        if (w->zone == ctx->zone && w->type == type
            && ngx_memcmp(w->key, key, NGX_HTTP_PUSH_APPROVAL_KEY_SIZE) == 0)
        {
            goto found;
        }
    }

    /* watches are few and reused: they live for the worker's life */

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

    w->zone = ctx->zone;
    w->type = type;
    ngx_memcpy(w->key, key, NGX_HTTP_PUSH_APPROVAL_KEY_SIZE);
    w->generation = ctx->zone->sh->generation;
    w->poll = ctx->poll;
    w->next_poll = ngx_current_msec;

    ngx_queue_init(&w->waiters);
    ngx_queue_insert_tail(&ngx_http_push_approval_watches, &w->link);

found:

    if (w->poll == 0 || (ctx->poll && ctx->poll < w->poll)) {
        w->poll = ctx->poll;
    }

    ngx_queue_insert_tail(&w->waiters, &ctx->wait_link);
    ctx->watch = w;

    if (!ngx_http_push_approval_tick_event.timer_set) {
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

    if (ngx_queue_empty(&w->waiters)) {
        ngx_queue_remove(&w->link);
        ngx_queue_insert_head(&ngx_http_push_approval_free_watches, &w->link);
    }
}


/* runs the tick now: a decision made in this worker is seen at once */

void
ngx_http_push_approval_kick(void)
{
    if (ngx_http_push_approval_watch_init
        && !ngx_queue_empty(&ngx_http_push_approval_watches)
        && !ngx_http_push_approval_tick_event.posted)
    {
        ngx_post_event(&ngx_http_push_approval_tick_event, &ngx_posted_events);
    }
}


static void
ngx_http_push_approval_tick(ngx_event_t *ev)
{
    ngx_queue_t                     *q, *next;
    ngx_atomic_uint_t                generation;
    ngx_http_push_approval_watch_t  *w;

    for (q = ngx_queue_head(&ngx_http_push_approval_watches);
         q != ngx_queue_sentinel(&ngx_http_push_approval_watches);
         q = next)
    {
        next = ngx_queue_next(q);
        w = ngx_queue_data(q, ngx_http_push_approval_watch_t, link);

        generation = w->zone->sh->generation;

        if (generation != w->generation) {
            w->generation = generation;
            ngx_http_push_approval_notify(w);
            continue;
        }

        if (w->type == NGX_HTTP_PUSH_APPROVAL_NODE_APPROVAL && w->poll
            && (ngx_msec_int_t) (ngx_current_msec - w->next_poll) >= 0)
        {
            ngx_http_push_approval_poll(w);
        }
    }

    if (ev->timer_set) {
        ngx_del_timer(ev);
    }

    if (!ngx_queue_empty(&ngx_http_push_approval_watches)) {
        ngx_add_timer(ev, NGX_HTTP_PUSH_APPROVAL_TICK);
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
     * subrequest cannot disturb this walk over the watches
     */

    ctx->poll_now = 1;

    if (!ctx->timer.posted) {
        ngx_post_event(&ctx->timer, &ngx_posted_events);
    }
}
