
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


/* set while a decision from the channel is applied: it is not sent back */
static ngx_uint_t  ngx_http_push_approval_fleet_receiving;


/* "S ID": the decision state digit, a space and the provider's id */

void
ngx_http_push_approval_fleet_decided(ngx_http_push_approval_zone_ctx_t *zone,
    ngx_str_t *id, ngx_uint_t state)
{
    u_char                           msg[NGX_HTTP_PUSH_APPROVAL_ID_LEN + 2];
    size_t                           len[3];
    const char                      *argv[3];
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

    msg[0] = (u_char) ('0' + state);
    msg[1] = ' ';
    ngx_memcpy(&msg[2], id->data, id->len);

    argv[0] = "PUBLISH";
    len[0] = 7;
    argv[1] = (const char *) st->channel.data;
    len[1] = st->channel.len;
    argv[2] = (const char *) msg;
    len[2] = id->len + 2;

    if (ngx_http_push_approval_store_command(st, 3, argv, len, NULL, NULL)
        != NGX_OK)
    {
        /* the other hosts find out by polling, as without a store */
        ngx_http_push_approval_store_error(st, "cannot publish a decision");
    }
}


void
ngx_http_push_approval_fleet_message(ngx_http_push_approval_store_t *st,
    redisReply *reply)
{
    redisReply  *msg;
    ngx_str_t    id;
    ngx_uint_t   state;

    msg = reply->element[2];

    if (msg->type != REDIS_REPLY_STRING || msg->len < 3
        || msg->len > NGX_HTTP_PUSH_APPROVAL_ID_LEN + 2 || msg->str[1] != ' '
        || msg->str[0] < '1' || msg->str[0] > '3')
    {
        ngx_log_error(NGX_LOG_INFO, st->log, 0,
                      "push_approval store \"%V\": malformed message on "
                      "\"%V\" ignored", &st->url_text, &st->channel);
        return;
    }

    state = msg->str[0] - '0';
    id.data = (u_char *) &msg->str[2];
    id.len = msg->len - 2;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, st->log, 0,
                   "push approval: fleet decision %ui for \"%V\"", state,
                   &id);

    ngx_http_push_approval_fleet_receiving = 1;

    (void) ngx_http_push_approval_decide(st->shm_zone->data, &id, state,
                                         st->log);

    ngx_http_push_approval_fleet_receiving = 0;
}


/*
 * NGX_DECLINED: the zone's store is down and fail=closed, so a request that
 * needs a new approval gets 503 meanwhile
 */

ngx_int_t
ngx_http_push_approval_fleet_closed(ngx_http_push_approval_zone_ctx_t *zone)
{
    ngx_http_push_approval_store_t  *st;

    st = ngx_http_push_approval_store_find(zone);

    if (st == NULL || !st->fail_closed
        || ngx_http_push_approval_store_up(st))
    {
        return NGX_OK;
    }

    ngx_http_push_approval_store_error(st, "store is down");

    return NGX_DECLINED;
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
