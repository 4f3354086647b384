
/*
 * Copyright (C) push approval module developers
 *
 * The push limiter: push_approval_limit's pushes a minute per identity
 * and the cooldown after a denial, counted in the zone's limit entries
 * (under the zone lock), learned from the fleet, and the Retry-After of
 * a refused request.
 */


#include "ngx_http_push_approval.h"


static ngx_http_push_approval_limit_t *ngx_http_push_approval_limit_entry(
    ngx_http_push_approval_zone_ctx_t *zone, ngx_str_t *identity,
    ngx_http_push_approval_node_t **pnp);


/*
 * under the zone lock: counts a push for the identity; NGX_DECLINED in
 * its cooldown, NGX_BUSY over the rate (*left says for how long, s),
 * NGX_ERROR when the zone has no room to count
 */

ngx_int_t
ngx_http_push_approval_limit_push(ngx_http_push_approval_zone_ctx_t *zone,
    ngx_http_push_approval_loc_conf_t *plcf, ngx_str_t *identity,
    time_t *left)
{
    time_t                           now, oldest, t;
    ngx_uint_t                       n;
    ngx_http_push_approval_node_t   *pn;
    ngx_http_push_approval_limit_t  *limit;

    now = ngx_time();

    limit = ngx_http_push_approval_limit_entry(zone, identity, &pn);
    if (limit == NULL) {
        return NGX_ERROR;
    }

    if (limit->denied && now < limit->denied + plcf->limit_cooldown) {
        *left = limit->denied + plcf->limit_cooldown - now;
        return NGX_DECLINED;
    }

    /* forget the seconds that left the window */

    if (now - limit->last >= 60) {
        ngx_memzero(limit->pushes, sizeof(limit->pushes));

    } else {
        for (t = limit->last + 1; t <= now; t++) {
            limit->pushes[t % 60] = 0;
        }
    }

    limit->last = now;

    n = 0;
    oldest = now;

    for (t = now - 59; t <= now; t++) {
        if (limit->pushes[t % 60]) {
            n += limit->pushes[t % 60];
            oldest = ngx_min(oldest, t);
        }
    }

    if (n >= plcf->limit_rate) {
        *left = oldest + 60 - now;
        return NGX_BUSY;
    }

    if (limit->pushes[now % 60] < 255) {
        limit->pushes[now % 60]++;
    }

    pn->expires = ngx_max(pn->expires, now + 3600);

    return NGX_OK;
}


/* a denial starts the identity's cooldown, in every scope */

void
ngx_http_push_approval_denied(ngx_http_push_approval_zone_ctx_t *zone,
    ngx_http_push_approval_approval_t *ap)
{
    ngx_str_t                        identity;
    ngx_http_push_approval_node_t   *pn;
    ngx_http_push_approval_limit_t  *limit;

    identity.data = ap->identity;
    identity.len = ap->identity_len;

    ngx_shmtx_lock(&zone->shpool->mutex);

    limit = ngx_http_push_approval_limit_entry(zone, &identity, &pn);

    if (limit) {
        limit->denied = ngx_time();
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);

    ngx_http_push_approval_fleet_denied(zone, &identity);
}


/*
 * the fleet's cooldown (cooldown set) or full rate, left s more, as if
 * this host had counted it all
 */

void
ngx_http_push_approval_limit_learned(ngx_http_push_approval_zone_ctx_t *zone,
    ngx_http_push_approval_loc_conf_t *plcf, ngx_str_t *identity,
    ngx_uint_t cooldown, time_t left)
{
    time_t                           now;
    ngx_http_push_approval_node_t   *pn;
    ngx_http_push_approval_limit_t  *limit;

    now = ngx_time();

    ngx_shmtx_lock(&zone->shpool->mutex);

    limit = ngx_http_push_approval_limit_entry(zone, identity, &pn);

    if (limit && cooldown) {
        limit->denied = now + left - plcf->limit_cooldown;

    } else if (limit) {
        left = ngx_min(left, 60);

        if (now - limit->last >= 60) {
            ngx_memzero(limit->pushes, sizeof(limit->pushes));
        }

        limit->last = now;
        limit->pushes[(now - 60 + left) % 60] =
                                    (u_char) ngx_min(plcf->limit_rate, 255);
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);
}


ngx_int_t
ngx_http_push_approval_retry_after(ngx_http_request_t *r, time_t seconds)
{
    ngx_str_t  value;

    value.data = ngx_pnalloc(r->pool, NGX_TIME_T_LEN);
    if (value.data == NULL) {
        return NGX_ERROR;
    }

    value.len = ngx_sprintf(value.data, "%T", ngx_max(seconds, 1))
                - value.data;

    return ngx_http_push_approval_add_header(r, "Retry-After", &value)
           ? NGX_OK : NGX_ERROR;
}


/* under the zone lock: the identity's limit entry, found or made */

static ngx_http_push_approval_limit_t *
ngx_http_push_approval_limit_entry(ngx_http_push_approval_zone_ctx_t *zone,
    ngx_str_t *identity, ngx_http_push_approval_node_t **pnp)
{
    u_char                          key[NGX_HTTP_PUSH_APPROVAL_KEY_SIZE];
    ngx_http_push_approval_node_t  *pn;

    ngx_http_push_approval_key(key, NGX_HTTP_PUSH_APPROVAL_NODE_LIMIT,
                               identity, NULL, NULL);

    pn = ngx_http_push_approval_entry(zone, key,
                                      NGX_HTTP_PUSH_APPROVAL_NODE_LIMIT,
                                      ngx_time() + 3600);
    if (pn == NULL) {
        return NULL;
    }

    *pnp = pn;

    return &pn->v.limit;
}


/* a push the limits refused: the operator may need to act (notice) */

void
ngx_http_push_approval_log_limit(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx)
{
    if (ctx->status == NGX_HTTP_PUSH_APPROVAL_ST_LIMITED) {
        ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                      "push approval: \"%V\" reached the limit of %ui "
                      "pushes a minute, no new push", &ctx->identity,
                      ctx->conf->limit_rate);

    } else if (ctx->status == NGX_HTTP_PUSH_APPROVAL_ST_DENIED) {
        ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                      "push approval: \"%V\" was denied less than %T s "
                      "ago, no new push before the cooldown ends",
                      &ctx->identity, ctx->conf->limit_cooldown);
    }
}
