
/*
 * Copyright (C) push approval module developers
 *
 * Provider calls as background subrequests to the operator's internal
 * provider location.  A call carries its own method, form body and header
 * list, so none of the client's headers reaches the provider (the
 * provider's table adds its credentials); its response is captured in
 * memory by the header and body filters of ngx_http_push_approval_call_module,
 * whose context slot holds the call on the subrequest.  Also the helpers
 * the provider files build requests and read answers with.
 */


#include "ngx_http_push_approval.h"
#include "ngx_http_push_approval_provider.h"


#define NGX_HTTP_PUSH_APPROVAL_BODY_MAX  65536


static ngx_int_t ngx_http_push_approval_call_done(ngx_http_request_t *r,
    void *data, ngx_int_t rc);
static ngx_int_t ngx_http_push_approval_call_headers(ngx_http_request_t *r,
    ngx_http_request_t *sr);
static ngx_int_t ngx_http_push_approval_call_post(ngx_http_request_t *r,
    ngx_http_request_t *sr, ngx_str_t *body);
static ngx_int_t ngx_http_push_approval_call_init(ngx_conf_t *cf);
static ngx_int_t ngx_http_push_approval_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_push_approval_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static void ngx_http_push_approval_answer_refused(
    ngx_http_push_approval_answer_t *ans, ngx_uint_t status);
static ngx_int_t ngx_http_push_approval_answer_state(
    ngx_http_push_approval_answer_t *ans, ngx_str_t *status);
static void ngx_http_push_approval_answer_error(ngx_pool_t *pool,
    ngx_http_push_approval_answer_t *ans, ngx_uint_t status, ngx_str_t *code,
    ngx_str_t *message);
static ngx_int_t ngx_http_push_approval_vpath(ngx_pool_t *pool,
    ngx_http_push_approval_loc_conf_t *plcf, ngx_str_t *out,
    const char *fmt, va_list args);


/*
 * A module of its own whose context slot holds a call on the subrequest
 * that makes it, so that the main module's slot holds one type only.
 */

static ngx_http_module_t  ngx_http_push_approval_call_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_push_approval_call_init,      /* postconfiguration */

    NULL,                                  /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_push_approval_call_module = {
    NGX_MODULE_V1,
    &ngx_http_push_approval_call_module_ctx, /* module context */
    NULL,                                  /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


ngx_int_t
ngx_http_push_approval_call(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf, ngx_uint_t op, ngx_uint_t method,
    ngx_str_t *uri, ngx_str_t *body, ngx_http_push_approval_call_t *call)
{
    ngx_str_t                    value;
    ngx_http_request_t          *sr;
    ngx_http_post_subrequest_t  *ps;

    ps = ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t));
    if (ps == NULL) {
        return NGX_ERROR;
    }

    ps->handler = ngx_http_push_approval_call_done;
    ps->data = call;

    call->op = op;
    call->provider = plcf->provider;
    call->status = 0;
    call->done = 0;
    call->truncated = 0;
    call->capacity = 0;
    ngx_str_null(&call->body);

    if (ngx_http_subrequest(r, uri, NULL, &sr, ps,
                            NGX_HTTP_SUBREQUEST_BACKGROUND)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_http_set_ctx(sr, call, ngx_http_push_approval_call_module);

    if (ngx_http_push_approval_call_headers(r, sr) != NGX_OK
        || ngx_http_push_approval_providers[plcf->provider]->authorize(sr,
                                                                       plcf)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_str_set(&value, "application/json");

    if (ngx_http_push_approval_call_header(sr, "Accept", &value) != NGX_OK) {
        return NGX_ERROR;
    }

    if (method == NGX_HTTP_GET) {
        sr->method = NGX_HTTP_GET;
        ngx_str_set(&sr->method_name, "GET");
        sr->request_body = NULL;
        return NGX_OK;
    }

    return ngx_http_push_approval_call_post(r, sr, body);
}


/* a header list of its own: nothing of the client's is forwarded */

static ngx_int_t
ngx_http_push_approval_call_headers(ngx_http_request_t *r,
    ngx_http_request_t *sr)
{
    ngx_memzero(&sr->headers_in, sizeof(ngx_http_headers_in_t));

    if (ngx_list_init(&sr->headers_in.headers, r->pool, 4,
                      sizeof(ngx_table_elt_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

#if (nginx_version < 1023000)
    if (ngx_array_init(&sr->headers_in.cookies, r->pool, 1,
                       sizeof(ngx_table_elt_t *))
        != NGX_OK)
    {
        return NGX_ERROR;
    }
#endif

    sr->headers_in.content_length_n = -1;
    sr->headers_in.keep_alive_n = -1;

    return NGX_OK;
}


static ngx_int_t
ngx_http_push_approval_call_post(ngx_http_request_t *r,
    ngx_http_request_t *sr, ngx_str_t *body)
{
    ngx_buf_t                *b;
    ngx_str_t                 value;
    ngx_chain_t              *cl;
    ngx_http_request_body_t  *rb;

    sr->method = NGX_HTTP_POST;
    ngx_str_set(&sr->method_name, "POST");

    ngx_str_set(&value, "application/x-www-form-urlencoded");

    if (ngx_http_push_approval_call_header(sr, "Content-Type", &value)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* the proxy module sends Content-Length from content_length_n */
    sr->headers_in.content_length_n = body->len;

    rb = ngx_pcalloc(r->pool, sizeof(ngx_http_request_body_t));
    if (rb == NULL) {
        return NGX_ERROR;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = body->data;
    b->last = body->data + body->len;
    b->start = b->pos;
    b->end = b->last;
    b->memory = 1;
    b->last_buf = 1;

    cl = ngx_alloc_chain_link(r->pool);
    if (cl == NULL) {
        return NGX_ERROR;
    }

    cl->buf = b;
    cl->next = NULL;

    rb->bufs = cl;
    rb->buf = b;

    sr->request_body = rb;

    return NGX_OK;
}


ngx_int_t
ngx_http_push_approval_call_header(ngx_http_request_t *sr, char *name,
    ngx_str_t *value)
{
    u_char           *lowcase;
    size_t            len;
    ngx_table_elt_t  *h;

    len = ngx_strlen(name);

    lowcase = ngx_pnalloc(sr->pool, len);
    if (lowcase == NULL) {
        return NGX_ERROR;
    }

    h = ngx_list_push(&sr->headers_in.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->key.data = (u_char *) name;
    h->key.len = len;
    h->lowcase_key = lowcase;
    h->hash = ngx_hash_strlow(lowcase, h->key.data, len);
    h->value = *value;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif

    if (h->key.len == sizeof("Content-Type") - 1
        && ngx_strncmp(h->lowcase_key, "content-type", h->key.len) == 0)
    {
        sr->headers_in.content_type = h;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_push_approval_call_done(ngx_http_request_t *sr, void *data,
    ngx_int_t rc)
{
    ngx_http_push_approval_call_t *call = data;

    if (call->done) {
        return rc;
    }

    call->done = 1;

    if (ngx_http_push_approval_call_misrouted(sr) != NGX_DECLINED) {
        /*
         * not the provider's answer: a refusal (421 Misdirected Request),
         * never "no such user", and nothing a client can open
         */
        call->status = NGX_HTTP_MISDIRECTED_REQUEST;
        call->body.len = 0;

    } else if (rc == NGX_ERROR || rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        /* nginx's own error: the provider could not be reached */
        if (call->status == 0 || call->body.len == 0) {
            call->status = (rc == NGX_ERROR) ? 0 : (ngx_uint_t) rc;
        }

    } else if (call->status == 0) {
        call->status = sr->headers_out.status;
    }

    if (call->body.data == NULL) {
        call->body.data = (u_char *) "";

    } else {
        /* JSON parsers get a terminated string */
        call->body.data[call->body.len] = '\0';
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, sr->connection->log, 0,
                   "push approval call done: status %ui, %uz bytes",
                   call->status, call->body.len);

    call->handler(sr->parent, call);

    return rc;
}


static ngx_int_t
ngx_http_push_approval_call_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_push_approval_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_push_approval_body_filter;

    return NGX_OK;
}


static ngx_int_t
ngx_http_push_approval_header_filter(ngx_http_request_t *r)
{
    ngx_http_push_approval_call_t  *call;

    if (r == r->main) {
        return ngx_http_next_header_filter(r);
    }

    call = ngx_http_get_module_ctx(r, ngx_http_push_approval_call_module);

    if (call == NULL) {
        return ngx_http_next_header_filter(r);
    }

    call->status = r->headers_out.status;

    return ngx_http_next_header_filter(r);
}


/* keeps a provider's answer in memory and lets nothing of it go further */

static ngx_int_t
ngx_http_push_approval_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    u_char                         *p;
    size_t                          n, size;
    ngx_buf_t                      *b;
    ngx_chain_t                    *cl;
    ngx_http_push_approval_call_t  *call;

    if (r == r->main) {
        return ngx_http_next_body_filter(r, in);
    }

    call = ngx_http_get_module_ctx(r, ngx_http_push_approval_call_module);

    if (call == NULL) {
        return ngx_http_next_body_filter(r, in);
    }

    for (cl = in; cl; cl = cl->next) {
        b = cl->buf;

        if (b->in_file && !ngx_buf_in_memory(b)) {
            call->truncated = 1;
            b->file_pos = b->file_last;
            continue;
        }

        n = b->last - b->pos;

        if (n == 0) {
            continue;
        }

        if (call->body.len + n > NGX_HTTP_PUSH_APPROVAL_BODY_MAX) {
            call->truncated = 1;
            n = NGX_HTTP_PUSH_APPROVAL_BODY_MAX - call->body.len;
        }

        if (call->body.len + n + 1 > call->capacity) {
            /* most answers fit in a page; grow by doubling to the cap */

            size = ngx_max(call->capacity * 2, 4096);

            while (size < call->body.len + n + 1) {
                size *= 2;
            }

            size = ngx_min(size, NGX_HTTP_PUSH_APPROVAL_BODY_MAX + 1);

            p = ngx_pnalloc(r->pool, size);
            if (p == NULL) {
                return NGX_ERROR;
            }

            if (call->body.len) {
                ngx_memcpy(p, call->body.data, call->body.len);
            }

            call->body.data = p;
            call->capacity = size;
        }

        ngx_memcpy(call->body.data + call->body.len, b->pos, n);
        call->body.len += n;

        b->pos = b->last;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_push_approval_form_add(ngx_pool_t *pool, ngx_array_t *a, char *name,
    ngx_str_t *value)
{
    ngx_http_push_approval_param_t  *p;

    p = ngx_array_push(a);
    if (p == NULL) {
        return NGX_ERROR;
    }

    p->name.data = (u_char *) name;
    p->name.len = ngx_strlen(name);
    p->value = *value;

    return NGX_OK;
}


/* a parameter of text cut to the provider's limit in characters */

ngx_int_t
ngx_http_push_approval_form_text(ngx_pool_t *pool, ngx_array_t *a,
    char *name, ngx_str_t *text, size_t max)
{
    ngx_str_t  value;

    value = *text;
    value.len = ngx_http_push_approval_utf8_prefix(text, max);

    return ngx_http_push_approval_form_add(pool, a, name, &value);
}


/* the last parameter, and the form encoded */

ngx_int_t
ngx_http_push_approval_form_end(ngx_pool_t *pool, ngx_array_t *params,
    char *name, ngx_str_t *value, ngx_str_t *out)
{
    if (ngx_http_push_approval_form_add(pool, params, name, value) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_push_approval_form_encode(pool, params, out);
}


ngx_int_t
ngx_http_push_approval_form_encode(ngx_pool_t *pool, ngx_array_t *params,
    ngx_str_t *out)
{
    u_char                          *p;
    size_t                           len;
    ngx_uint_t                       i;
    ngx_http_push_approval_param_t  *param;

    param = params->elts;
    len = 0;

    for (i = 0; i < params->nelts; i++) {
        len += 3 * param[i].name.len + 3 * param[i].value.len + 2;
    }

    p = ngx_pnalloc(pool, len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    out->data = p;

    for (i = 0; i < params->nelts; i++) {
        if (i) {
            *p++ = '&';
        }

        p = ngx_http_push_approval_percent_encode(p, param[i].name.data,
                                                  param[i].name.len, 0);
        *p++ = '=';
        p = ngx_http_push_approval_percent_encode(p, param[i].value.data,
                                                  param[i].value.len, 0);
    }

    out->len = p - out->data;

    return NGX_OK;
}


/* the operator's provider location joined to a provider path by one "/" */

ngx_int_t
ngx_http_push_approval_path(ngx_pool_t *pool,
    ngx_http_push_approval_loc_conf_t *plcf, ngx_str_t *out,
    const char *fmt, ...)
{
    ngx_int_t  rc;
    va_list    args;

    va_start(args, fmt);
    rc = ngx_http_push_approval_vpath(pool, plcf, out, fmt, args);
    va_end(args);

    return rc;
}


/* a provider path, and an empty form of n parameters for its body */

ngx_int_t
ngx_http_push_approval_form_start(ngx_pool_t *pool,
    ngx_http_push_approval_loc_conf_t *plcf, ngx_str_t *uri,
    ngx_array_t *params, ngx_uint_t n, const char *fmt, ...)
{
    ngx_int_t  rc;
    va_list    args;

    va_start(args, fmt);
    rc = ngx_http_push_approval_vpath(pool, plcf, uri, fmt, args);
    va_end(args);

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_array_init(params, pool, n,
                          sizeof(ngx_http_push_approval_param_t));
}


static ngx_int_t
ngx_http_push_approval_vpath(ngx_pool_t *pool,
    ngx_http_push_approval_loc_conf_t *plcf, ngx_str_t *out,
    const char *fmt, va_list args)
{
    u_char  *p, buf[512];

    p = ngx_vslprintf(buf, buf + sizeof(buf), fmt, args);

    if (p == buf + sizeof(buf)) {
        return NGX_ERROR;
    }

    out->len = plcf->api.len + 1 + (p - buf);
    out->data = ngx_pnalloc(pool, out->len);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(out->data, plcf->api.data, plcf->api.len);
    *p++ = '/';
    ngx_memcpy(p, buf, out->len - plcf->api.len - 1);

    return NGX_OK;
}


/* an id goes into provider paths and the zone: keep it plain; the answer is
 * then good */

ngx_int_t
ngx_http_push_approval_answer_id(ngx_pool_t *pool,
    ngx_http_push_approval_answer_t *ans, ngx_str_t *id)
{
    u_char  *p;

    if (id->len == 0 || id->len > NGX_HTTP_PUSH_APPROVAL_ID_LEN) {
        ngx_str_set(&ans->error, "invalid id in the answer");
        return NGX_ERROR;
    }

    for (p = id->data; p < id->data + id->len; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
              || (*p >= '0' && *p <= '9') || *p == '-'))
        {
            ngx_str_set(&ans->error, "invalid id in the answer");
            return NGX_ERROR;
        }
    }

    ans->id.data = ngx_pstrdup(pool, id);
    if (ans->id.data == NULL) {
        return NGX_ERROR;
    }

    ans->id.len = id->len;
    ans->result = NGX_HTTP_PUSH_APPROVAL_R_OK;

    return NGX_OK;
}


/* an enrolment token, copied out of the parsed answer */

void
ngx_http_push_approval_answer_token(ngx_pool_t *pool,
    ngx_http_push_approval_answer_t *ans,
    ngx_http_push_approval_json_field_t *field)
{
    ngx_str_t  s;

    if (ngx_http_push_approval_json_text(field, &s) != NGX_OK
        || s.len == 0)
    {
        ngx_str_set(&ans->error, "no enrolment token in the answer");
        return;
    }

    ans->token.data = ngx_pstrdup(pool, &s);
    if (ans->token.data == NULL) {
        return;
    }

    ans->token.len = s.len;
    ans->result = NGX_HTTP_PUSH_APPROVAL_R_OK;
}


/* the length in bytes of the first max characters of UTF-8 text */

size_t
ngx_http_push_approval_utf8_prefix(ngx_str_t *s, size_t max)
{
    size_t  i, chars;

    chars = 0;

    for (i = 0; i < s->len; i++) {
        if ((s->data[i] & 0xc0) != 0x80 && ++chars > max) {
            break;
        }
    }

    return i;
}


/* text for the provider: valid UTF-8 whatever the client sent */

ngx_int_t
ngx_http_push_approval_utf8_text(ngx_pool_t *pool, ngx_str_t *s)
{
    u_char  *p;

    if (s->len == 0) {
        return NGX_OK;
    }

    p = ngx_pnalloc(pool, 3 * s->len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    s->len = ngx_http_push_approval_utf8_clean(p, s, s->len);
    s->data = p;

    return NGX_OK;
}


/*
 * Only trouble at the provider lets push_approval_fail decide: transport
 * failures, 5xx, 429 and unparsable answers.  Any other 4xx refuses what
 * was sent: nothing a client sends may open a "fail open" location.
 */

static void
ngx_http_push_approval_answer_refused(ngx_http_push_approval_answer_t *ans,
    ngx_uint_t status)
{
    if (ans->result == NGX_HTTP_PUSH_APPROVAL_R_ERROR
        && status >= 400 && status <= 499
        && status != NGX_HTTP_TOO_MANY_REQUESTS)
    {
        ans->result = NGX_HTTP_PUSH_APPROVAL_R_REFUSED;
    }
}


/* the approval's state in the answer's field */

ngx_int_t
ngx_http_push_approval_answer_status(ngx_http_push_approval_answer_t *ans,
    ngx_http_push_approval_json_field_t *field)
{
    ngx_str_t  status;

    if (ngx_http_push_approval_json_text(field, &status) != NGX_OK) {
        ngx_str_set(&ans->error, "no status in the answer");
        return NGX_ERROR;
    }

    return ngx_http_push_approval_answer_state(ans, &status);
}


static ngx_int_t
ngx_http_push_approval_answer_state(ngx_http_push_approval_answer_t *ans,
    ngx_str_t *status)
{
    ngx_uint_t  i;

    static ngx_str_t  states[] = {
        ngx_string("pending"),
        ngx_string("approved"),
        ngx_string("denied"),
        ngx_string("expired")
    };

    for (i = 0; i < sizeof(states) / sizeof(ngx_str_t); i++) {
        if (status->len == states[i].len
            && ngx_strncmp(status->data, states[i].data, status->len) == 0)
        {
            /* indexes are the decision states */
            ans->state = i;
            return NGX_OK;
        }
    }

    ngx_str_set(&ans->error, "unknown status in the answer");

    return NGX_ERROR;
}


/* the provider's code and message, cut short, for the error log */

static void
ngx_http_push_approval_answer_error(ngx_pool_t *pool,
    ngx_http_push_approval_answer_t *ans, ngx_uint_t status, ngx_str_t *code,
    ngx_str_t *message)
{
    u_char  *p;
    size_t   code_len, message_len;

    code_len = ngx_min(code->len, 16);
    message_len = ngx_min(message->len, 200);

    p = ngx_pnalloc(pool, 64 + code_len + message_len);
    if (p == NULL) {
        ngx_str_set(&ans->error, "provider error");
        return;
    }

    ans->error.data = p;
    ans->error.len = ngx_sprintf(p, "HTTP %ui, code %*s: %*s", status,
                                 code_len, code->data, message_len,
                                 message->data)
                     - p;
}


/*
 * a provider's answer, read when it is whole into json's fields (NGX_OK),
 * or NGX_DECLINED; ans says "error" so far
 */

ngx_int_t
ngx_http_push_approval_answer_json(ngx_pool_t *pool,
    ngx_http_push_approval_call_t *call, ngx_http_push_approval_answer_t *ans,
    ngx_http_push_approval_json_answer_t *json)
{
    ngx_memzero(ans, sizeof(ngx_http_push_approval_answer_t));
    ans->result = NGX_HTTP_PUSH_APPROVAL_R_ERROR;

    json->buf = NULL;

    if (call->status == 0 || call->truncated) {
        return NGX_DECLINED;
    }

    /* at most twice the captured body, freed by answer_free() */

    json->buf = ngx_pnalloc(pool, 2 * call->body.len + 1);
    if (json->buf == NULL) {
        return NGX_DECLINED;
    }

    if (ngx_http_push_approval_json_answer(call->body.data, call->body.len,
                                           json, json->buf)
        != NGX_OK)
    {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


void
ngx_http_push_approval_answer_free(ngx_pool_t *pool,
    ngx_http_push_approval_json_answer_t *json)
{
    if (json->buf) {
        (void) ngx_pfree(pool, json->buf);
    }
}


/*
 * a failed call: the provider's code and message (no fields when the
 * answer was not read), and whether it refuses
 */

void
ngx_http_push_approval_answer_failed(ngx_pool_t *pool,
    ngx_http_push_approval_answer_t *ans, ngx_http_push_approval_call_t *call,
    ngx_http_push_approval_json_field_t *code_field,
    ngx_http_push_approval_json_field_t *message_field, ngx_str_t *code)
{
    ngx_str_t  message;

    ngx_str_set(code, "-");
    ngx_str_set(&message, "no valid JSON answer");

    if (code_field) {
        (void) ngx_http_push_approval_json_text(code_field, code);
        (void) ngx_http_push_approval_json_text(message_field, &message);
    }

    ngx_http_push_approval_answer_error(pool, ans, call->status, code,
                                        &message);

    ngx_http_push_approval_answer_refused(ans, call->status);
}
