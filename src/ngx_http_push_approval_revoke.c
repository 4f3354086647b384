
/*
 * Copyright (C) push approval module developers
 *
 * push_approval_revoke: ends what an identity holds in a zone (remembered
 * approvals made before now, address entries, pending approvals), and the
 * pieces enrolment shares with it: the cross-site check, a form field from
 * a small body, and invites.
 *
 * An invite is base64url(EXPIRES[8] NONCE[8] MAC[32]), MAC the HMAC-SHA256
 * under a secret line of "invite1" NL identity NL EXPIRES NONCE; it is
 * usable once, which the zone records until it expires.
 */


#include "ngx_http_push_approval.h"


#define NGX_HTTP_PUSH_APPROVAL_FORM_MAX     4096
#define NGX_HTTP_PUSH_APPROVAL_FORM_PARAMS  16
#define NGX_HTTP_PUSH_APPROVAL_INVITE_RAW   48
#define NGX_HTTP_PUSH_APPROVAL_INVITE_LEN   64


static void ngx_http_push_approval_revoke_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_push_approval_revoke_answer(ngx_http_request_t *r,
    ngx_http_push_approval_zone_ctx_t *zone, ngx_str_t *identity);
static ngx_uint_t ngx_http_push_approval_revoke_walk(
    ngx_http_push_approval_zone_ctx_t *zone, ngx_str_t *identity,
    ngx_log_t *log);


ngx_int_t
ngx_http_push_approval_revoke_handler(ngx_http_request_t *r)
{
    ngx_int_t                           rc;
    ngx_str_t                           identity;
    ngx_http_push_approval_loc_conf_t  *plcf;

    if (r->method != NGX_HTTP_POST) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    if (ngx_http_push_approval_cross_site(r)) {
        return NGX_HTTP_FORBIDDEN;
    }

    plcf = ngx_http_get_module_loc_conf(r, ngx_http_push_approval_module);

    if (!plcf->revoke_self) {
        rc = ngx_http_read_client_request_body(r,
                                           ngx_http_push_approval_revoke_body);

        if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
            return rc;
        }

        return NGX_DONE;
    }

    /* a sign-out: the location's own identity */

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    if (ngx_http_complex_value(r, plcf->identity, &identity) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_push_approval_revoke_answer(r, plcf->handler_zone->data,
                                                &identity);
}


static void
ngx_http_push_approval_revoke_body(ngx_http_request_t *r)
{
    ngx_int_t                           rc;
    ngx_str_t                           identity;
    ngx_http_push_approval_loc_conf_t  *plcf;

    plcf = ngx_http_get_module_loc_conf(r, ngx_http_push_approval_module);

    rc = ngx_http_push_approval_form_value(r, "identity", &identity);

    if (rc == NGX_ERROR) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (rc != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_BAD_REQUEST);
        return;
    }

    ngx_http_finalize_request(r,
                     ngx_http_push_approval_revoke_answer(r,
                                               plcf->handler_zone->data,
                                               &identity));
}


static ngx_int_t
ngx_http_push_approval_revoke_answer(ngx_http_request_t *r,
    ngx_http_push_approval_zone_ctx_t *zone, ngx_str_t *identity)
{
    u_char  *json, *p;

    if (identity->len == 0) {
        return NGX_HTTP_FORBIDDEN;
    }

    if (identity->len > NGX_HTTP_PUSH_APPROVAL_IDENT_MAX) {
        return NGX_HTTP_BAD_REQUEST;
    }

    if (ngx_http_push_approval_revoke(zone, identity, r->connection->log)
        != NGX_OK)
    {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    json = ngx_pnalloc(r->pool, sizeof("{\"revoked\":\"\"}\n") - 1
                                + 6 * identity->len);
    if (json == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_cpymem(json, "{\"revoked\":\"", sizeof("{\"revoked\":\"") - 1);
    p += ngx_http_push_approval_json_escape(p, identity, identity->len);
    p = ngx_cpymem(p, "\"}\n", 3);

    if (ngx_http_push_approval_no_store(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_push_approval_send(r, NGX_HTTP_OK, "application/json",
                                       json, p);
}


/*
 * records the revocation (kept as long as the zone's longest remember
 * time), then ends the identity's address entries and pending approvals;
 * every worker's memo checks again
 */

ngx_int_t
ngx_http_push_approval_revoke(ngx_http_push_approval_zone_ctx_t *zone,
    ngx_str_t *identity, ngx_log_t *log)
{
    time_t                          now;
    ngx_uint_t                      pending;
    ngx_http_push_approval_key_t    key;
    ngx_http_push_approval_node_t  *rn;

    if (identity->len == 0
        || identity->len > NGX_HTTP_PUSH_APPROVAL_IDENT_MAX)
    {
        return NGX_ERROR;
    }

    now = ngx_time();

    ngx_http_push_approval_key(key, NGX_HTTP_PUSH_APPROVAL_NODE_REVOKED,
                               identity, NULL, NULL);

    ngx_shmtx_lock(&zone->shpool->mutex);

    rn = ngx_http_push_approval_entry(zone, key,
                                      NGX_HTTP_PUSH_APPROVAL_NODE_REVOKED, now);
    if (rn == NULL) {
        ngx_shmtx_unlock(&zone->shpool->mutex);

        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "push approval: no room to revoke \"%V\"", identity);
        return NGX_ERROR;
    }

    rn->expires = now + ngx_max(zone->remember_max, 1) + 1;
    rn->v.ident.at = now;
    rn->v.ident.identity_len = (u_char) identity->len;
    ngx_memcpy(rn->v.ident.identity, identity->data, identity->len);

    pending = ngx_http_push_approval_revoke_walk(zone, identity, log);

    ngx_shmtx_unlock(&zone->shpool->mutex);

    (void) ngx_atomic_fetch_add(&zone->sh->revocations, 1);

    ngx_http_push_approval_changed(zone);

    /* every host of the fleet revokes it too */
    ngx_http_push_approval_fleet_revoked(zone, identity, now,
                                         ngx_max(zone->remember_max, 1) + 1);

    ngx_log_error(NGX_LOG_NOTICE, log, 0,
                  "push approval: \"%V\" revoked, %ui pending approvals "
                  "denied", identity, pending);

    return NGX_OK;
}


/* under the zone lock: address entries go, pending approvals are denied */

static ngx_uint_t
ngx_http_push_approval_revoke_walk(ngx_http_push_approval_zone_ctx_t *zone,
    ngx_str_t *identity, ngx_log_t *log)
{
    time_t                              now;
    ngx_uint_t                          pending;
    ngx_queue_t                        *q, *next;
    ngx_http_push_approval_node_t      *pn;
    ngx_http_push_approval_approval_t  *ap;

    now = ngx_time();
    pending = 0;

    for (q = ngx_queue_head(&zone->sh->queue);
         q != ngx_queue_sentinel(&zone->sh->queue);
         q = next)
    {
        next = ngx_queue_next(q);
        pn = ngx_queue_data(q, ngx_http_push_approval_node_t, queue);

        if (pn->type == NGX_HTTP_PUSH_APPROVAL_NODE_REMEMBER
            && pn->v.ident.identity_len == identity->len
            && ngx_memcmp(pn->v.ident.identity, identity->data,
                          identity->len)
               == 0)
        {
            ngx_http_push_approval_delete(zone, pn);
            continue;
        }

        if (pn->type != NGX_HTTP_PUSH_APPROVAL_NODE_APPROVAL) {
            continue;
        }

        ap = &pn->v.approval;

        if (ap->state == NGX_HTTP_PUSH_APPROVAL_PENDING
            && ap->identity_len == identity->len
            && ngx_memcmp(ap->identity, identity->data, identity->len) == 0)
        {
            /* no denial cooldown: the user may sign in again at once */

            ap->state = NGX_HTTP_PUSH_APPROVAL_DENIED;
            ap->decided = now;
            ngx_http_push_approval_metric(zone,
                                          NGX_HTTP_PUSH_APPROVAL_M_PENDING,
                                          -1);
            pending++;
        }
    }

    return pending;
}


/*
 * SPEC 10: a POST from another site is refused: Sec-Fetch-Site other than
 * same-origin or none, or an Origin other than the request's own
 */

ngx_uint_t
ngx_http_push_approval_cross_site(ngx_http_request_t *r)
{
    size_t            len;
    ngx_str_t        *host;
    ngx_table_elt_t  *h;

    h = ngx_http_push_approval_header_find(r, "sec-fetch-site", 14, NULL);

    if (h
        && !(h->value.len == 11
             && ngx_strncasecmp(h->value.data, (u_char *) "same-origin", 11)
                == 0)
        && !(h->value.len == 4
             && ngx_strncasecmp(h->value.data, (u_char *) "none", 4) == 0))
    {
        return 1;
    }

    h = ngx_http_push_approval_header_find(r, "origin", 6, NULL);

    if (h == NULL) {
        return 0;
    }

    if (r->headers_in.host == NULL) {
        return 1;
    }

    host = &r->headers_in.host->value;

    /*
     * the scheme: https over TLS; either over plain http, as behind a
     * balancer that terminates TLS the browser's origin is https
     */

    if (h->value.len > 8
        && ngx_strncasecmp(h->value.data, (u_char *) "https://", 8) == 0)
    {
        len = 8;

    } else if (h->value.len > 7
               && ngx_strncasecmp(h->value.data, (u_char *) "http://", 7)
                  == 0
#if (NGX_HTTP_SSL)
               && r->connection->ssl == NULL
#endif
              )
    {
        len = 7;

    } else {
        return 1;
    }

    return !(h->value.len - len == host->len
             && ngx_strncasecmp(h->value.data + len, host->data, host->len)
                == 0);
}


/*
 * a field of a small form body read in memory: NGX_OK, NGX_DECLINED when
 * absent or the body is not a small form, NGX_ERROR
 */

ngx_int_t
ngx_http_push_approval_form_value(ngx_http_request_t *r, char *name,
    ngx_str_t *value)
{
    u_char                          *body, *p, *scratch;
    size_t                           len, nlen;
    ngx_int_t                        n, i;
    ngx_chain_t                     *cl;
    ngx_http_push_approval_param_t   params[NGX_HTTP_PUSH_APPROVAL_FORM_PARAMS];

    ngx_str_null(value);

    if (r->request_body == NULL || r->request_body->bufs == NULL
        || r->request_body->temp_file)
    {
        return NGX_DECLINED;
    }

    len = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        if (cl->buf->in_file) {
            return NGX_DECLINED;
        }

        len += cl->buf->last - cl->buf->pos;
    }

    if (len == 0 || len > NGX_HTTP_PUSH_APPROVAL_FORM_MAX) {
        return NGX_DECLINED;
    }

    body = ngx_pnalloc(r->pool, 2 * len);
    if (body == NULL) {
        return NGX_ERROR;
    }

    p = body;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        p = ngx_cpymem(p, cl->buf->pos, cl->buf->last - cl->buf->pos);
    }

    scratch = body + len;

    n = ngx_http_push_approval_form_parse(body, len, scratch, params,
                                          NGX_HTTP_PUSH_APPROVAL_FORM_PARAMS);
    if (n < 0) {
        return NGX_DECLINED;
    }

    nlen = ngx_strlen(name);

    for (i = 0; i < n; i++) {
        if (params[i].name.len == nlen
            && ngx_strncmp(params[i].name.data, name, nlen) == 0)
        {
            *value = params[i].value;
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
}


/*
 * NGX_OK: a valid invite for the identity, now used up; NGX_DECLINED:
 * missing, forged, foreign, expired or used; NGX_ERROR: no room to record
 */

ngx_int_t
ngx_http_push_approval_invite_check(ngx_http_request_t *r,
    ngx_http_push_approval_zone_ctx_t *zone, ngx_str_t *code,
    ngx_str_t *identity)
{
    u_char                          raw[NGX_HTTP_PUSH_APPROVAL_INVITE_RAW];
    u_char                          data[16 + NGX_HTTP_PUSH_APPROVAL_IDENT_MAX
                                         + 16];
    u_char                          mac[32], *p;
    size_t                          len;
    time_t                          expires;
    ngx_str_t                      *secrets, d, used;
    ngx_int_t                       rc;
    ngx_uint_t                      i, n, valid;
    ngx_http_push_approval_key_t    key;

    if (code->len != NGX_HTTP_PUSH_APPROVAL_INVITE_LEN
        || identity->len > NGX_HTTP_PUSH_APPROVAL_IDENT_MAX
        || ngx_http_push_approval_base64url_decode(raw, &len, code->data,
                                                   code->len)
           != NGX_OK
        || len != NGX_HTTP_PUSH_APPROVAL_INVITE_RAW)
    {
        return NGX_DECLINED;
    }

    expires = 0;

    for (i = 0; i < 8; i++) {
        expires = (expires << 8) | raw[i];
    }

    if (expires < ngx_time()) {
        return NGX_DECLINED;
    }

    p = ngx_cpymem(data, "invite1\n", 8);
    p = ngx_cpymem(p, identity->data, identity->len);
    *p++ = '\n';
    p = ngx_cpymem(p, raw, 16);

    d.data = data;
    d.len = p - data;

    secrets = ngx_http_push_approval_secrets(r, &n);
    valid = 0;

    for (i = 0; i < n; i++) {
        ngx_http_push_approval_hmac_sha256(&secrets[i], &d, mac);

        if (ngx_http_push_approval_mac_equal(mac, raw + 16, 32) == NGX_OK) {
            valid = 1;
        }
    }

    if (!valid) {
        return NGX_DECLINED;
    }

    /* usable once: the first to record it wins, in any worker */

    used.data = raw + 16;
    used.len = 32;

    ngx_http_push_approval_key(key, NGX_HTTP_PUSH_APPROVAL_NODE_INVITE,
                               &used, NULL, NULL);

    rc = ngx_http_push_approval_insert_once(zone, key,
                                            NGX_HTTP_PUSH_APPROVAL_NODE_INVITE,
                                            expires + 1);

    return (rc == NGX_BUSY) ? NGX_DECLINED : rc;
}
