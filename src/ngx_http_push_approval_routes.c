
/*
 * Copyright (C) push approval module developers
 *
 * Where the module's own requests lead: at "nginx -t", the provider
 * prefix must lead to an internal location and the wait URI must not lead
 * back into a protected location (a redirect loop); at run time, the same
 * mistakes hidden from "-t" (regular expressions) end in one error line
 * and a 500 instead of a loop or a misleading provider message.
 */


#include "ngx_http_push_approval.h"


typedef struct {
    ngx_conf_t                     *cf;
    ngx_http_core_srv_conf_t       *cscf;
    ngx_uint_t                      warned;  /* once per server */
} ngx_http_push_approval_routes_t;


static ngx_int_t ngx_http_push_approval_routes_walk(
    ngx_http_push_approval_routes_t *rt, ngx_http_core_loc_conf_t *clcf);
static ngx_int_t ngx_http_push_approval_routes_inner(
    ngx_http_push_approval_routes_t *rt, ngx_http_core_loc_conf_t *clcf);
static ngx_int_t ngx_http_push_approval_routes_tree(
    ngx_http_push_approval_routes_t *rt, ngx_http_location_tree_node_t *node);
static ngx_int_t ngx_http_push_approval_routes_location(
    ngx_http_push_approval_routes_t *rt, ngx_http_core_loc_conf_t *clcf);
static ngx_int_t ngx_http_push_approval_routes_wait(
    ngx_http_push_approval_routes_t *rt,
    ngx_http_push_approval_loc_conf_t *plcf);
static ngx_http_core_loc_conf_t *ngx_http_push_approval_find_location(
    ngx_http_core_loc_conf_t *pclcf, ngx_str_t *uri);
static ngx_http_push_approval_loc_conf_t *ngx_http_push_approval_routes_conf(
    ngx_http_core_srv_conf_t *cscf, ngx_http_core_loc_conf_t *clcf);


ngx_int_t
ngx_http_push_approval_check_routes(ngx_conf_t *cf)
{
    ngx_int_t                         rc;
    ngx_str_t                         root;
    ngx_uint_t                        s;
    ngx_http_core_srv_conf_t        **cscfp;
    ngx_http_core_loc_conf_t         *clcf;
    ngx_http_core_main_conf_t        *cmcf;
    ngx_http_push_approval_routes_t   rt;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);
    cscfp = cmcf->servers.elts;

    ngx_str_set(&root, "/");

    rt.cf = cf;

    for (s = 0; s < cmcf->servers.nelts; s++) {
        clcf = cscfp[s]->ctx->loc_conf[ngx_http_core_module.ctx_index];

        rt.cscf = cscfp[s];
        rt.warned = 0;

        /* with a "location /", no request uses the server's own settings */

        if (ngx_http_push_approval_find_location(clcf, &root) != clcf) {
            rc = ngx_http_push_approval_routes_inner(&rt, clcf);

        } else {
            rc = ngx_http_push_approval_routes_walk(&rt, clcf);
        }

        if (rc != NGX_OK) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* a location and every location inside it */

static ngx_int_t
ngx_http_push_approval_routes_walk(ngx_http_push_approval_routes_t *rt,
    ngx_http_core_loc_conf_t *clcf)
{
    if (ngx_http_push_approval_routes_location(rt, clcf) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_push_approval_routes_inner(rt, clcf);
}


/* the locations inside a location (or a server) */

static ngx_int_t
ngx_http_push_approval_routes_inner(ngx_http_push_approval_routes_t *rt,
    ngx_http_core_loc_conf_t *clcf)
{
#if (NGX_PCRE)
    ngx_http_core_loc_conf_t  **re;
#endif

    if (ngx_http_push_approval_routes_tree(rt, clcf->static_locations)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

#if (NGX_PCRE)
    for (re = clcf->regex_locations; re && *re; re++) {
        if (ngx_http_push_approval_routes_walk(rt, *re) != NGX_OK) {
            return NGX_ERROR;
        }
    }
#endif

    return NGX_OK;
}


static ngx_int_t
ngx_http_push_approval_routes_tree(ngx_http_push_approval_routes_t *rt,
    ngx_http_location_tree_node_t *node)
{
    if (node == NULL) {
        return NGX_OK;
    }

    if ((node->exact
         && ngx_http_push_approval_routes_walk(rt, node->exact) != NGX_OK)
        || (node->inclusive
            && ngx_http_push_approval_routes_walk(rt, node->inclusive)
               != NGX_OK)
        || ngx_http_push_approval_routes_tree(rt, node->left) != NGX_OK
        || ngx_http_push_approval_routes_tree(rt, node->right) != NGX_OK
        || ngx_http_push_approval_routes_tree(rt, node->tree) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* a location that sends provider calls or redirects to the wait URI */

static ngx_int_t
ngx_http_push_approval_routes_location(ngx_http_push_approval_routes_t *rt,
    ngx_http_core_loc_conf_t *clcf)
{
    u_char                             *p;
    ngx_str_t                           uri;
    ngx_http_core_loc_conf_t           *root, *to;
    ngx_http_push_approval_loc_conf_t  *plcf;

    plcf = ngx_http_push_approval_routes_conf(rt->cscf, clcf);

    if (plcf->shm_zone == NULL
        && plcf->handler != NGX_HTTP_PUSH_APPROVAL_HANDLER_WAIT
        && plcf->handler != NGX_HTTP_PUSH_APPROVAL_HANDLER_ENROLL)
    {
        return NGX_OK;
    }

    root = rt->cscf->ctx->loc_conf[ngx_http_core_module.ctx_index];

    /* provider paths are joined to the prefix with one "/" */

    uri.len = plcf->api.len + 1;
    uri.data = ngx_pnalloc(rt->cf->temp_pool, uri.len);
    if (uri.data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(uri.data, plcf->api.data, plcf->api.len);
    *p = '/';

    to = ngx_http_push_approval_find_location(root, &uri);

    if (to == root) {
        ngx_log_error(NGX_LOG_EMERG, rt->cf->log, 0,
                      "\"push_approval_api\" \"%V\" matches no location "
                      "in server \"%V\"; declare the internal provider "
                      "location \"location %V { internal; proxy_pass ...; }\""
                      " in %V:%ui", &plcf->api, &rt->cscf->server_name, &uri,
                      &plcf->conf_file, plcf->conf_line);
        return NGX_ERROR;
    }

    if (!to->internal) {
        ngx_log_error(NGX_LOG_EMERG, rt->cf->log, 0,
                      "\"push_approval_api\" \"%V\" leads to location "
                      "\"%V\", which is not \"internal\": a typo in the "
                      "prefix, or the provider location lacks \"internal;\""
                      " in %V:%ui", &plcf->api, &to->name,
                      &plcf->conf_file, plcf->conf_line);
        return NGX_ERROR;
    }

    if (plcf->shm_zone == NULL
        || (plcf->mode == NGX_HTTP_PUSH_APPROVAL_MODE_HOLD && !plcf->code))
    {
        return NGX_OK;
    }

    return ngx_http_push_approval_routes_wait(rt, plcf);
}


static ngx_int_t
ngx_http_push_approval_routes_wait(ngx_http_push_approval_routes_t *rt,
    ngx_http_push_approval_loc_conf_t *plcf)
{
    ngx_http_core_loc_conf_t           *root, *to;
    ngx_http_push_approval_loc_conf_t  *wlcf;

    root = rt->cscf->ctx->loc_conf[ngx_http_core_module.ctx_index];

    to = ngx_http_push_approval_find_location(root, &plcf->wait_uri);
    wlcf = ngx_http_push_approval_routes_conf(rt->cscf, to);

    if (wlcf->handler == NGX_HTTP_PUSH_APPROVAL_HANDLER_WAIT) {
        return NGX_OK;
    }

    if (wlcf->shm_zone) {
        ngx_log_error(NGX_LOG_EMERG, rt->cf->log, 0,
                      "\"push_approval_wait_uri\" \"%V\" leads to the "
                      "protected location \"%V\": browsers would be "
                      "redirected in a loop; add \"location = %V "
                      "{ push_approval_wait; }\" in %V:%ui",
                      &plcf->wait_uri, &to->name, &plcf->wait_uri,
                      &plcf->conf_file, plcf->conf_line);
        return NGX_ERROR;
    }

    if (!rt->warned) {
        /* the waiting page may be served by another host of the fleet */
        rt->warned = 1;

        ngx_log_error(NGX_LOG_WARN, rt->cf->log, 0,
                      "\"push_approval_wait_uri\" \"%V\" leads to no "
                      "\"push_approval_wait\" location in server \"%V\" "
                      "in %V:%ui", &plcf->wait_uri, &rt->cscf->server_name,
                      &plcf->conf_file, plcf->conf_line);
    }

    return NGX_OK;
}


/* ngx_http_core_find_location() for a URI, without a request */

static ngx_http_core_loc_conf_t *
ngx_http_push_approval_find_location(ngx_http_core_loc_conf_t *pclcf,
    ngx_str_t *uri)
{
    u_char                          *p;
    size_t                           len, n;
    ngx_int_t                        rc;
    ngx_http_core_loc_conf_t        *found;
    ngx_http_location_tree_node_t   *node;
#if (NGX_PCRE)
    ngx_http_core_loc_conf_t       **re;
#endif

    found = pclcf;
    node = pclcf->static_locations;
    p = uri->data;
    len = uri->len;

    while (node) {
        n = ngx_min(len, (size_t) node->len);
        rc = ngx_filename_cmp(p, node->name, n);

        if (rc != 0) {
            node = (rc < 0) ? node->left : node->right;
            continue;
        }

        if (len > (size_t) node->len) {
            if (node->inclusive) {
                found = node->inclusive;
                node = node->tree;
                p += n;
                len -= n;
                continue;
            }

            node = node->right;
            continue;
        }

        if (len == (size_t) node->len) {
            if (node->exact) {
                return node->exact;
            }

            found = node->inclusive;
        }

        break;
    }

    if (found != pclcf
        && (found->static_locations
#if (NGX_PCRE)
            || found->regex_locations
#endif
           ))
    {
        found = ngx_http_push_approval_find_location(found, uri);
    }

#if (NGX_PCRE)
    if (!found->noregex) {
        for (re = pclcf->regex_locations; re && *re; re++) {
            if (ngx_regex_exec((*re)->regex->regex, uri, NULL, 0) >= 0) {
                return *re;
            }
        }
    }
#endif

    return found;
}


/* the server's own location has no loc_conf of its own: its server's */

static ngx_http_push_approval_loc_conf_t *
ngx_http_push_approval_routes_conf(ngx_http_core_srv_conf_t *cscf,
    ngx_http_core_loc_conf_t *clcf)
{
    void  **loc_conf;

    loc_conf = clcf->loc_conf ? clcf->loc_conf : cscf->ctx->loc_conf;

    return loc_conf[ngx_http_push_approval_module.ctx_index];
}


/*
 * at run time: the browser came back from the wait URI to a protected
 * location (directly, or through try_files or error_page), which would
 * redirect it there again
 */

ngx_int_t
ngx_http_push_approval_misrouted(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf)
{
    size_t                     len;
    ngx_http_core_loc_conf_t  *clcf;

    /*
     * push_approval_wait_uri has no "?": the path is compared, and the
     * query need not be looked for on every request
     */

    len = plcf->wait_uri.len;

    if (r->unparsed_uri.len < len
        || (r->unparsed_uri.len > len && r->unparsed_uri.data[len] != '?')
        || ngx_strncmp(r->unparsed_uri.data, plcf->wait_uri.data, len) != 0)
    {
        return NGX_DECLINED;
    }

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "push approval: \"push_approval_wait_uri\" \"%V\" is "
                  "served by the protected location \"%V\", not by "
                  "\"push_approval_wait\": add \"location = %V "
                  "{ push_approval_wait; }\"", &plcf->wait_uri, &clcf->name,
                  &plcf->wait_uri);

    return NGX_HTTP_INTERNAL_SERVER_ERROR;
}


/* at run time: a provider call that landed outside an internal location */

ngx_int_t
ngx_http_push_approval_call_misrouted(ngx_http_request_t *sr)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_get_module_loc_conf(sr, ngx_http_core_module);

    if (clcf->internal) {
        return NGX_DECLINED;
    }

    ngx_log_error(NGX_LOG_ERR, sr->connection->log, 0,
                  "push approval: the provider call landed in location "
                  "\"%V\", which is not \"internal\": check "
                  "\"push_approval_api\"", &clcf->name);

    return NGX_ERROR;
}
