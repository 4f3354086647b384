
/*
 * Copyright (C) push approval module developers
 *
 * Responses the module makes itself: a header added to the response, a
 * body held in memory (JSON, the waiting page, metrics), and the methods
 * a read-only resource answers, or the body a POST is read for.
 */


#include "ngx_http_push_approval.h"


ngx_table_elt_t *
ngx_http_push_approval_add_header(ngx_http_request_t *r, char *name,
    ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NULL;
    }

    h->hash = 1;
    h->key.data = (u_char *) name;
    h->key.len = ngx_strlen(name);
    h->value = *value;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif

    return h;
}


/* answers are per person: no cache keeps them */

ngx_int_t
ngx_http_push_approval_no_store(ngx_http_request_t *r)
{
    ngx_str_t  value;

    ngx_str_set(&value, "no-store");

    return ngx_http_push_approval_add_header(r, "Cache-Control", &value)
           ? NGX_OK : NGX_ERROR;
}


/* the status, type and length of a body in memory, and its chain */

ngx_chain_t *
ngx_http_push_approval_body(ngx_http_request_t *r, ngx_uint_t status,
    char *type, u_char *start, u_char *end)
{
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NULL;
    }

    cl = ngx_alloc_chain_link(r->pool);
    if (cl == NULL) {
        return NULL;
    }

    b->pos = start;
    b->last = end;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    cl->buf = b;
    cl->next = NULL;

    r->headers_out.status = status;
    r->headers_out.content_length_n = end - start;
    r->headers_out.content_type.data = (u_char *) type;
    r->headers_out.content_type.len = ngx_strlen(type);
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;

    return cl;
}


ngx_int_t
ngx_http_push_approval_send(ngx_http_request_t *r, ngx_uint_t status,
    char *type, u_char *start, u_char *end)
{
    ngx_chain_t  *out;

    out = ngx_http_push_approval_body(r, status, type, start, end);
    if (out == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_push_approval_output(r, out);
}


ngx_int_t
ngx_http_push_approval_output(ngx_http_request_t *r, ngx_chain_t *out)
{
    ngx_int_t  rc;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    return ngx_http_output_filter(r, out);
}


/* a resource that is only read: GET or HEAD, and no body kept */

ngx_int_t
ngx_http_push_approval_read_only(ngx_http_request_t *r)
{
    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    return ngx_http_discard_request_body(r);
}


/* the body is read, then post() runs; the handler ends with NGX_DONE */

ngx_int_t
ngx_http_push_approval_read_body(ngx_http_request_t *r,
    ngx_http_client_body_handler_pt post)
{
    ngx_int_t  rc;

    rc = ngx_http_read_client_request_body(r, post);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}
