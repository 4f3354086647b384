
/*
 * Copyright (C) push approval module developers
 *
 * push_approval_metrics: Prometheus text metrics, summed over all workers
 * (they live in the zone), for one zone or every zone.
 */


#include "ngx_http_push_approval.h"


typedef struct {
    char                           *name;
    char                           *type;
    char                           *help;
    ngx_uint_t                      metric;  /* one counter, or below */
} ngx_http_push_approval_metric_t;


/* families of more than one counter, or of none */
#define NGX_HTTP_PUSH_APPROVAL_F_REQUESTS   (NGX_HTTP_PUSH_APPROVAL_M_MAX + 1)
#define NGX_HTTP_PUSH_APPROVAL_F_PUSHES     (NGX_HTTP_PUSH_APPROVAL_M_MAX + 2)
#define NGX_HTTP_PUSH_APPROVAL_F_CALLBACKS  (NGX_HTTP_PUSH_APPROVAL_M_MAX + 3)
#define NGX_HTTP_PUSH_APPROVAL_F_ENTRIES    (NGX_HTTP_PUSH_APPROVAL_M_MAX + 4)
#define NGX_HTTP_PUSH_APPROVAL_F_BYTES      (NGX_HTTP_PUSH_APPROVAL_M_MAX + 5)


static u_char *ngx_http_push_approval_metrics_zone(u_char *p,
    ngx_http_push_approval_zone_ctx_t *zone, ngx_uint_t part);


static ngx_http_push_approval_metric_t  ngx_http_push_approval_families[] = {
    { "nginx_push_approval_requests_total", "counter",
      "Protected requests by outcome.",
      NGX_HTTP_PUSH_APPROVAL_F_REQUESTS },
    { "nginx_push_approval_pushes_total", "counter",
      "Approvals sent to phones.",
      NGX_HTTP_PUSH_APPROVAL_F_PUSHES },
    { "nginx_push_approval_callbacks_total", "counter",
      "Provider callbacks received, by result.",
      NGX_HTTP_PUSH_APPROVAL_F_CALLBACKS },
    { "nginx_push_approval_polls_total", "counter",
      "Approval status fetches from the provider.",
      NGX_HTTP_PUSH_APPROVAL_M_POLLS },
    { "nginx_push_approval_provider_errors_total", "counter",
      "Failed provider calls.",
      NGX_HTTP_PUSH_APPROVAL_M_PROVIDER_ERRORS },
    { "nginx_push_approval_held_requests", "gauge",
      "Requests held waiting for a decision.",
      NGX_HTTP_PUSH_APPROVAL_M_HELD },
    { "nginx_push_approval_pending_approvals", "gauge",
      "Approvals waiting for a decision.",
      NGX_HTTP_PUSH_APPROVAL_M_PENDING },
    { "nginx_push_approval_zone_entries", "gauge",
      "Entries in the shared zone.",
      NGX_HTTP_PUSH_APPROVAL_F_ENTRIES },
    { "nginx_push_approval_zone_bytes_used", "gauge",
      "Bytes of the shared zone in use.",
      NGX_HTTP_PUSH_APPROVAL_F_BYTES }
};


static char  *ngx_http_push_approval_callback_results[] = {
    "accepted", "ignored", "bad_signature", "stale", "replayed", "malformed"
};


ngx_int_t
ngx_http_push_approval_metrics_handler(ngx_http_request_t *r)
{
    u_char                              *p, *start;
    size_t                               len;
    ngx_int_t                            rc;
    ngx_uint_t                           i, k, nzones;
    ngx_shm_zone_t                     **zones;
    ngx_http_push_approval_loc_conf_t   *plcf;
    ngx_http_push_approval_main_conf_t  *pmcf;

    rc = ngx_http_push_approval_read_only(r);
    if (rc != NGX_OK) {
        return rc;
    }

    plcf = ngx_http_get_module_loc_conf(r, ngx_http_push_approval_module);
    pmcf = ngx_http_get_module_main_conf(r, ngx_http_push_approval_module);

    if (plcf->handler_zone) {
        zones = &plcf->handler_zone;
        nzones = 1;

    } else {
        zones = pmcf->zones.elts;
        nzones = pmcf->zones.nelts;
    }

    len = 4096;

    for (i = 0; i < nzones; i++) {
        len += 64 * (NGX_HTTP_PUSH_APPROVAL_ST_MAX + 16)
               + 24 * (NGX_HTTP_PUSH_APPROVAL_ST_MAX + 16)
                 * (zones[i]->shm.name.len + 16);
    }

    start = ngx_pnalloc(r->pool, len);
    if (start == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = start;

    for (k = 0; k < sizeof(ngx_http_push_approval_families)
                    / sizeof(ngx_http_push_approval_metric_t); k++)
    {
        p = ngx_sprintf(p, "# HELP %s %s\n# TYPE %s %s\n",
                        ngx_http_push_approval_families[k].name,
                        ngx_http_push_approval_families[k].help,
                        ngx_http_push_approval_families[k].name,
                        ngx_http_push_approval_families[k].type);

        for (i = 0; i < nzones; i++) {
            p = ngx_http_push_approval_metrics_zone(p, zones[i]->data, k);
        }
    }

    p = ngx_http_push_approval_fleet_metrics(p, zones, nzones);

    return ngx_http_push_approval_send(r, NGX_HTTP_OK,
                                       "text/plain; version=0.0.4", start, p);
}


static u_char *
ngx_http_push_approval_metrics_zone(u_char *p,
    ngx_http_push_approval_zone_ctx_t *zone, ngx_uint_t family)
{
    char                                *name;
    ngx_uint_t                           i, pages, metric;
    ngx_atomic_int_t                     m[NGX_HTTP_PUSH_APPROVAL_M_MAX];
    ngx_http_push_approval_provider_t  **pv;

    for (i = 0; i < NGX_HTTP_PUSH_APPROVAL_M_MAX; i++) {
        m[i] = ngx_http_push_approval_metric_sum(zone, i);
    }

    name = ngx_http_push_approval_families[family].name;
    metric = ngx_http_push_approval_families[family].metric;

    switch (metric) {

    case NGX_HTTP_PUSH_APPROVAL_F_REQUESTS: /* by $push_approval_status */
        for (i = 1; i < NGX_HTTP_PUSH_APPROVAL_ST_MAX; i++) {
            p = ngx_sprintf(p, "%s{zone=\"%V\",status=\"%V\"} %A\n", name,
                            &zone->name,
                            &ngx_http_push_approval_status_names[i],
                            m[NGX_HTTP_PUSH_APPROVAL_M_REQUESTS + i]);
        }

        return p;

    case NGX_HTTP_PUSH_APPROVAL_F_PUSHES: /* by provider */
        for (pv = ngx_http_push_approval_providers; *pv; pv++) {
            p = ngx_sprintf(p, "%s{zone=\"%V\",provider=\"%V\"} %A\n",
                            name, &zone->name, &(*pv)->name,
                            m[(*pv)->push_metric]);
        }

        return p;

    case NGX_HTTP_PUSH_APPROVAL_F_CALLBACKS:
        for (i = 0; i < 6; i++) {
            p = ngx_sprintf(p, "%s{zone=\"%V\",result=\"%s\"} %A\n", name,
                            &zone->name,
                            ngx_http_push_approval_callback_results[i],
                            m[NGX_HTTP_PUSH_APPROVAL_M_CB_ACCEPTED + i]);
        }

        return p;

    case NGX_HTTP_PUSH_APPROVAL_F_ENTRIES:
        return ngx_sprintf(p, "%s{zone=\"%V\"} %uA\n", name, &zone->name,
                           zone->sh->entries);

    case NGX_HTTP_PUSH_APPROVAL_F_BYTES:
        ngx_shmtx_lock(&zone->shpool->mutex);
        pages = zone->shpool->pfree;
        ngx_shmtx_unlock(&zone->shpool->mutex);

        pages = (zone->shpool->end - zone->shpool->start) / ngx_pagesize
                - pages;

        return ngx_sprintf(p, "%s{zone=\"%V\"} %ui\n", name, &zone->name,
                           pages * ngx_pagesize);

    default: /* one counter */
        return ngx_sprintf(p, "%s{zone=\"%V\"} %A\n", name, &zone->name,
                           m[metric]);
    }
}
