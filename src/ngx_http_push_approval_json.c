
/*
 * Copyright (C) push approval module developers
 *
 * JSON: the one streaming walker over yajl, read three ways (callback
 * fields by dotted path and provider answers here, the Authy canonical
 * string in signature.c), escaping strings for the JSON that the module
 * writes, and making text valid UTF-8.  Pure functions over plain buffers.
 */


#include "ngx_http_push_approval.h"

#include <yajl/yajl_parse.h>


#define NGX_HTTP_PUSH_APPROVAL_JSON_PATH     128
#define NGX_HTTP_PUSH_APPROVAL_JSON_NO_PATH  ((size_t) -1)


typedef struct {
    char                               **names;
    ngx_str_t                           *values;
    u_char                              *buf;
    u_char                               path[NGX_HTTP_PUSH_APPROVAL_JSON_PATH];
} ngx_http_push_approval_json_fields_t;


typedef struct {
    ngx_http_push_approval_json_answer_t  *answer;
    u_char                                *buf;      /* fields' values */
    u_char                                *element;  /* element's values */
    u_char                                *start;    /* element area */
    size_t                                 list;     /* its name's length */
    unsigned                               list_seen:1;
    unsigned                               open:1;   /* an element read */
    u_char
                               path[NGX_HTTP_PUSH_APPROVAL_JSON_PATH];
} ngx_http_push_approval_json_answer_ctx_t;


static ngx_int_t ngx_http_push_approval_json_run(
    ngx_http_push_approval_json_walk_t *w, u_char *json, size_t len,
    ngx_uint_t comments);
static ngx_int_t ngx_http_push_approval_json_element(
    ngx_http_push_approval_json_walk_t *w);
static int ngx_http_push_approval_json_value(
    ngx_http_push_approval_json_walk_t *w, ngx_uint_t type, u_char *value,
    size_t len);
static int ngx_http_push_approval_json_null(void *data);
static int ngx_http_push_approval_json_boolean(void *data, int value);
static int ngx_http_push_approval_json_number(void *data, const char *value,
    size_t len);
static int ngx_http_push_approval_json_str(void *data,
    const unsigned char *value, size_t len);
static int ngx_http_push_approval_json_start(void *data, ngx_uint_t array);
static int ngx_http_push_approval_json_start_map(void *data);
static int ngx_http_push_approval_json_start_array(void *data);
static int ngx_http_push_approval_json_map_key(void *data,
    const unsigned char *key, size_t len);
static int ngx_http_push_approval_json_end(void *data);
static ngx_int_t ngx_http_push_approval_json_fields_handler(
    ngx_http_push_approval_json_walk_t *w, ngx_uint_t event, u_char *data,
    size_t len);
static ngx_int_t ngx_http_push_approval_json_fields_string(
    ngx_http_push_approval_json_fields_t *ctx, size_t path, u_char *value,
    size_t len);
static ngx_int_t ngx_http_push_approval_json_fields_key(
    ngx_http_push_approval_json_walk_t *w, u_char *key, size_t len);
static ngx_int_t ngx_http_push_approval_json_answer_handler(
    ngx_http_push_approval_json_walk_t *w, ngx_uint_t event, u_char *data,
    size_t len);
static ngx_int_t ngx_http_push_approval_json_answer_index(
    ngx_http_push_approval_json_walk_t *w);
static ngx_int_t ngx_http_push_approval_json_answer_key(
    ngx_http_push_approval_json_walk_t *w, u_char *key, size_t len);
static ngx_int_t ngx_http_push_approval_json_answer_value(
    ngx_http_push_approval_json_answer_ctx_t *ctx, size_t path,
    ngx_uint_t type, u_char *value, size_t len);
static void ngx_http_push_approval_json_answer_element(
    ngx_http_push_approval_json_answer_ctx_t *ctx);
static void ngx_http_push_approval_json_answer_reset(
    ngx_http_push_approval_json_answer_t *a, ngx_uint_t elements);
static void ngx_http_push_approval_json_path(
    ngx_http_push_approval_json_walk_t *w, u_char *path, u_char *key,
    size_t len);


static yajl_callbacks  ngx_http_push_approval_json_callbacks = {
    ngx_http_push_approval_json_null,
    ngx_http_push_approval_json_boolean,
    NULL,
    NULL,
    ngx_http_push_approval_json_number,
    ngx_http_push_approval_json_str,
    ngx_http_push_approval_json_start_map,
    ngx_http_push_approval_json_map_key,
    ngx_http_push_approval_json_end,
    ngx_http_push_approval_json_start_array,
    ngx_http_push_approval_json_end
};


/*
 * Walks a JSON object, calling w->handler for each map key (JSON_KEY),
 * array element (JSON_INDEX, the index as len) and scalar (JSON_NULL with
 * empty text, JSON_BOOLEAN, JSON_NUMBER, JSON_STRING); the handler keeps
 * the path of the value in w->len and reads the level's start in
 * w->levels[w->depth - 1].base.  A handler stops the walk with
 * NGX_DECLINED (bad input) or NGX_ERROR.  NGX_DECLINED: invalid JSON,
 * nesting deeper than 16, or a top level that is no object (w->other is
 * then set if the JSON is valid).
 */

ngx_int_t
ngx_http_push_approval_json_walk(ngx_http_push_approval_json_walk_t *w,
    u_char *json, size_t len)
{
    return ngx_http_push_approval_json_run(w, json, len, 0);
}


static ngx_int_t
ngx_http_push_approval_json_run(ngx_http_push_approval_json_walk_t *w,
    u_char *json, size_t len, ngx_uint_t comments)
{
    yajl_handle  yh;
    yajl_status  st;

    w->len = 0;
    w->depth = 0;
    w->other = 0;
    w->rc = NGX_OK;

    yh = yajl_alloc(&ngx_http_push_approval_json_callbacks, NULL, w);
    if (yh == NULL) {
        return NGX_ERROR;
    }

    if (comments) {
        (void) yajl_config(yh, yajl_allow_comments, 1);
    }

    st = yajl_parse(yh, json, len);

    if (st == yajl_status_ok) {
        st = yajl_complete_parse(yh);
    }

    yajl_free(yh);

    if (w->rc != NGX_OK || st != yajl_status_ok || w->depth != 0) {
        w->other = 0;
        return (w->rc != NGX_OK) ? w->rc : NGX_DECLINED;
    }

    if (w->other) {
        /* valid, but the top level must be an object */
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* a value inside a container: its index when the container is an array */

static ngx_int_t
ngx_http_push_approval_json_element(ngx_http_push_approval_json_walk_t *w)
{
    ngx_http_push_approval_json_level_t  *level;

    level = &w->levels[w->depth - 1];

    if (!level->array) {
        /* the path was set by the map key */
        return NGX_OK;
    }

    return w->handler(w, NGX_HTTP_PUSH_APPROVAL_JSON_INDEX, NULL,
                      level->index++);
}


static int
ngx_http_push_approval_json_value(ngx_http_push_approval_json_walk_t *w,
    ngx_uint_t type, u_char *value, size_t len)
{
    if (w->depth == 0) {
        /* no object at the top: only checked to be valid JSON */
        w->other = 1;
    }

    if (w->other) {
        return 1;
    }

    w->rc = ngx_http_push_approval_json_element(w);

    if (w->rc == NGX_OK) {
        w->rc = w->handler(w, type, value, len);
    }

    return w->rc == NGX_OK;
}


static int
ngx_http_push_approval_json_null(void *data)
{
    return ngx_http_push_approval_json_value(data,
                                             NGX_HTTP_PUSH_APPROVAL_JSON_NULL,
                                             (u_char *) "", 0);
}


static int
ngx_http_push_approval_json_boolean(void *data, int value)
{
    if (value) {
        return ngx_http_push_approval_json_value(data,
                                          NGX_HTTP_PUSH_APPROVAL_JSON_BOOLEAN,
                                          (u_char *) "true", 4);
    }

    return ngx_http_push_approval_json_value(data,
                                          NGX_HTTP_PUSH_APPROVAL_JSON_BOOLEAN,
                                          (u_char *) "false", 5);
}


static int
ngx_http_push_approval_json_number(void *data, const char *value,
    size_t len)
{
    return ngx_http_push_approval_json_value(data,
                                           NGX_HTTP_PUSH_APPROVAL_JSON_NUMBER,
                                           (u_char *) value, len);
}


static int
ngx_http_push_approval_json_str(void *data, const unsigned char *value,
    size_t len)
{
    return ngx_http_push_approval_json_value(data,
                                           NGX_HTTP_PUSH_APPROVAL_JSON_STRING,
                                           (u_char *) value, len);
}


static int
ngx_http_push_approval_json_start(void *data, ngx_uint_t array)
{
    ngx_http_push_approval_json_walk_t  *w = data;

    ngx_http_push_approval_json_level_t  *level;

    if (w->depth == 0 && array) {
        w->other = 1;
    }

    if (w->depth == NGX_HTTP_PUSH_APPROVAL_JSON_LEVELS) {
        w->rc = NGX_DECLINED;
        return 0;
    }

    if (w->depth && !w->other) {
        w->rc = ngx_http_push_approval_json_element(w);

        if (w->rc != NGX_OK) {
            return 0;
        }
    }

    level = &w->levels[w->depth++];

    level->base = w->len;
    level->index = 0;
    level->array = array;

    return 1;
}


static int
ngx_http_push_approval_json_start_map(void *data)
{
    return ngx_http_push_approval_json_start(data, 0);
}


static int
ngx_http_push_approval_json_start_array(void *data)
{
    return ngx_http_push_approval_json_start(data, 1);
}


static int
ngx_http_push_approval_json_map_key(void *data, const unsigned char *key,
    size_t len)
{
    ngx_http_push_approval_json_walk_t  *w = data;

    if (w->other) {
        return 1;
    }

    w->rc = w->handler(w, NGX_HTTP_PUSH_APPROVAL_JSON_KEY, (u_char *) key,
                       len);

    return w->rc == NGX_OK;
}


static int
ngx_http_push_approval_json_end(void *data)
{
    ngx_http_push_approval_json_walk_t  *w = data;

    w->depth--;

    return 1;
}


/*
 * String fields of a JSON object by dotted path (values inside arrays never
 * match); NGX_DECLINED on invalid JSON, nesting deeper than 16, or a field
 * seen twice.  A field absent is "".  The values are copied to buf, which
 * needs len bytes.
 */

ngx_int_t
ngx_http_push_approval_json_fields(u_char *json, size_t len, char **names,
    ngx_str_t *values, u_char *buf)
{
    ngx_int_t                             rc;
    ngx_uint_t                            k;
    ngx_http_push_approval_json_walk_t    w;
    ngx_http_push_approval_json_fields_t  ctx;

    ctx.names = names;
    ctx.values = values;
    ctx.buf = buf;

    for (k = 0; names[k]; k++) {
        ngx_str_null(&values[k]);
    }

    w.handler = ngx_http_push_approval_json_fields_handler;
    w.data = &ctx;

    rc = ngx_http_push_approval_json_walk(&w, json, len);

    if (rc != NGX_OK) {
        return rc;
    }

    for (k = 0; names[k]; k++) {
        if (values[k].data == NULL) {
            ngx_str_set(&values[k], "");
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_push_approval_json_fields_handler(
    ngx_http_push_approval_json_walk_t *w, ngx_uint_t event, u_char *data,
    size_t len)
{
    switch (event) {

    case NGX_HTTP_PUSH_APPROVAL_JSON_KEY:
        return ngx_http_push_approval_json_fields_key(w, data, len);

    case NGX_HTTP_PUSH_APPROVAL_JSON_INDEX:
        /* values inside arrays never match */
        w->len = NGX_HTTP_PUSH_APPROVAL_JSON_NO_PATH;
        return NGX_OK;

    case NGX_HTTP_PUSH_APPROVAL_JSON_STRING:
        return ngx_http_push_approval_json_fields_string(w->data, w->len,
                                                         data, len);

    default:
        return NGX_OK;
    }
}


static ngx_int_t
ngx_http_push_approval_json_fields_key(ngx_http_push_approval_json_walk_t *w,
    u_char *key, size_t len)
{
    ngx_http_push_approval_json_fields_t  *ctx = w->data;

    ngx_http_push_approval_json_path(w, ctx->path, key, len);

    return NGX_OK;
}


/* the dotted path of a key in path: its parent's, a dot, the key */

static void
ngx_http_push_approval_json_path(ngx_http_push_approval_json_walk_t *w,
    u_char *path, u_char *key, size_t len)
{
    size_t   base;
    u_char  *p;

    base = w->levels[w->depth - 1].base;

    if (base == NGX_HTTP_PUSH_APPROVAL_JSON_NO_PATH
        || base + 1 + len > NGX_HTTP_PUSH_APPROVAL_JSON_PATH)
    {
        w->len = NGX_HTTP_PUSH_APPROVAL_JSON_NO_PATH;
        return;
    }

    p = path + base;

    if (w->depth > 1) {
        *p++ = '.';
    }

    p = ngx_cpymem(p, key, len);
    w->len = p - path;
}


static ngx_int_t
ngx_http_push_approval_json_fields_string(
    ngx_http_push_approval_json_fields_t *ctx, size_t path, u_char *value,
    size_t len)
{
    size_t      n;
    ngx_uint_t  k;

    if (path == NGX_HTTP_PUSH_APPROVAL_JSON_NO_PATH) {
        return NGX_OK;
    }

    for (k = 0; ctx->names[k]; k++) {
        n = ngx_strlen(ctx->names[k]);

        if (n != path || ngx_strncmp(ctx->path, ctx->names[k], n) != 0) {
            continue;
        }

        if (ctx->values[k].data) {
            return NGX_DECLINED;
        }

        ctx->values[k].data = ctx->buf;
        ctx->values[k].len = len;
        ctx->buf = ngx_cpymem(ctx->buf, value, len);
    }

    return NGX_OK;
}


/*
 * A provider's answer: the fields a->fields name by dotted path, each with
 * its type (JSON_ABSENT when not there, JSON_NESTED for an object or an
 * array) and a scalar's text up to a NUL, as yajl's tree read them; and,
 * in the array of objects a->list, the fields "list[].key" of the first
 * element whose such fields all are strings or numbers, equal to their
 * "want" where one is set (a->found).  A valid answer whose top level is
 * no object has no fields.  NGX_DECLINED: invalid JSON, nesting deeper
 * than 16, or a key on the path of a field seen twice.  The values are
 * copied to buf, which needs 2 * len bytes: the fields' in the first half,
 * the element being read in the second.
 */

ngx_int_t
ngx_http_push_approval_json_answer(u_char *json, size_t len,
    ngx_http_push_approval_json_answer_t *a, u_char *buf)
{
    ngx_int_t                                 rc;
    ngx_http_push_approval_json_walk_t        w;
    ngx_http_push_approval_json_answer_ctx_t  ctx;

    ngx_http_push_approval_json_answer_reset(a, 0);

    a->found = 0;

    ctx.answer = a;
    ctx.buf = buf;
    ctx.start = buf + len;
    ctx.element = ctx.start;
    ctx.list = a->list ? ngx_strlen(a->list) : 0;
    ctx.list_seen = 0;
    ctx.open = 0;

    w.handler = ngx_http_push_approval_json_answer_handler;
    w.data = &ctx;

    /* comments are allowed, as yajl's tree allowed them */

    rc = ngx_http_push_approval_json_run(&w, json, len, 1);

    if (rc == NGX_DECLINED && w.other) {
        return NGX_OK;
    }

    if (rc != NGX_OK) {
        return rc;
    }

    if (ctx.open) {
        ngx_http_push_approval_json_answer_element(&ctx);
    }

    if (!a->found) {
        ngx_http_push_approval_json_answer_reset(a, 1);
    }

    return NGX_OK;
}


/* a string or a number: Verify's error codes are numbers, Authy's strings */

ngx_int_t
ngx_http_push_approval_json_text(ngx_http_push_approval_json_field_t *f,
    ngx_str_t *out)
{
    if (f->type != NGX_HTTP_PUSH_APPROVAL_JSON_STRING
        && f->type != NGX_HTTP_PUSH_APPROVAL_JSON_NUMBER)
    {
        return NGX_DECLINED;
    }

    *out = f->value;

    return NGX_OK;
}


ngx_int_t
ngx_http_push_approval_json_true(ngx_http_push_approval_json_field_t *f)
{
    return (f->type == NGX_HTTP_PUSH_APPROVAL_JSON_BOOLEAN
            && f->value.len == 4)
           ? NGX_OK : NGX_DECLINED;
}


/* all fields absent, or only those inside the list's elements */

static void
ngx_http_push_approval_json_answer_reset(
    ngx_http_push_approval_json_answer_t *a, ngx_uint_t elements)
{
    ngx_http_push_approval_json_field_t  *f;

    for (f = a->fields; f->name; f++) {
        if (elements && ngx_strchr(f->name, '[') == NULL) {
            continue;
        }

        f->type = NGX_HTTP_PUSH_APPROVAL_JSON_ABSENT;
        ngx_str_null(&f->value);
        f->seen = 0;
    }
}


static ngx_int_t
ngx_http_push_approval_json_answer_handler(
    ngx_http_push_approval_json_walk_t *w, ngx_uint_t event, u_char *data,
    size_t len)
{
    if (event == NGX_HTTP_PUSH_APPROVAL_JSON_KEY) {
        return ngx_http_push_approval_json_answer_key(w, data, len);
    }

    if (event == NGX_HTTP_PUSH_APPROVAL_JSON_INDEX) {
        return ngx_http_push_approval_json_answer_index(w);
    }

    /* a scalar of any type */

    return ngx_http_push_approval_json_answer_value(w->data, w->len, event,
                                                    data, len);
}


/*
 * the path of a key; a key met twice on the path of a field refuses the
 * answer, where yajl's tree took the first
 */

static ngx_int_t
ngx_http_push_approval_json_answer_key(ngx_http_push_approval_json_walk_t *w,
    u_char *key, size_t len)
{
    ngx_http_push_approval_json_answer_ctx_t  *ctx = w->data;

    size_t                                n;
    u_char                               *p;
    ngx_uint_t                            dots, bit;
    ngx_http_push_approval_json_field_t  *f;

    /* as yajl's tree compared keys: up to a NUL */

    p = ngx_strlchr(key, key + len, '\0');
    if (p) {
        len = p - key;
    }

    if (ngx_strlchr(key, key + len, '.') || ngx_strlchr(key, key + len, '[')) {
        /* a dotted key is no path to a field */
        w->len = NGX_HTTP_PUSH_APPROVAL_JSON_NO_PATH;
        return NGX_OK;
    }

    ngx_http_push_approval_json_path(w, ctx->path, key, len);

    if (w->len == NGX_HTTP_PUSH_APPROVAL_JSON_NO_PATH) {
        return NGX_OK;
    }

    if (w->len == ctx->list && ctx->list
        && ngx_strncmp(ctx->path, ctx->answer->list, ctx->list) == 0)
    {
        if (ctx->list_seen) {
            return NGX_DECLINED;
        }

        ctx->list_seen = 1;
    }

    dots = 0;

    for (p = ctx->path; p < ctx->path + w->len; p++) {
        dots += (*p == '.');
    }

    bit = (ngx_uint_t) 1 << dots;

    for (f = ctx->answer->fields; f->name; f++) {
        n = ngx_strlen(f->name);

        if (w->len > n
            || ngx_strncmp(f->name, ctx->path, w->len) != 0
            || (f->name[w->len] != '.' && f->name[w->len] != '\0'))
        {
            continue;
        }

        if (f->seen & bit) {
            return NGX_DECLINED;
        }

        f->seen |= bit;

        if (w->len == n) {
            /* a scalar value overwrites it */
            f->type = NGX_HTTP_PUSH_APPROVAL_JSON_NESTED;
        }
    }

    return NGX_OK;
}


/* an element of the list starts: the one before may be the one */

static ngx_int_t
ngx_http_push_approval_json_answer_index(ngx_http_push_approval_json_walk_t *w)
{
    ngx_http_push_approval_json_answer_ctx_t  *ctx = w->data;

    size_t  base;

    base = w->levels[w->depth - 1].base;

    if (ctx->list == 0 || base != ctx->list
        || ngx_strncmp(ctx->path, ctx->answer->list, base) != 0
        || base + 2 > NGX_HTTP_PUSH_APPROVAL_JSON_PATH)
    {
        /* values inside other arrays never match */
        w->len = NGX_HTTP_PUSH_APPROVAL_JSON_NO_PATH;
        return NGX_OK;
    }

    if (ctx->open) {
        ngx_http_push_approval_json_answer_element(ctx);
    }

    if (ctx->answer->found) {
        w->len = NGX_HTTP_PUSH_APPROVAL_JSON_NO_PATH;
        return NGX_OK;
    }

    ngx_http_push_approval_json_answer_reset(ctx->answer, 1);

    ctx->element = ctx->start;
    ctx->open = 1;

    ctx->path[base] = '[';
    ctx->path[base + 1] = ']';
    w->len = base + 2;

    return NGX_OK;
}


static ngx_int_t
ngx_http_push_approval_json_answer_value(
    ngx_http_push_approval_json_answer_ctx_t *ctx, size_t path,
    ngx_uint_t type, u_char *value, size_t len)
{
    u_char                              **p, *nul;
    ngx_http_push_approval_json_field_t  *f;

    if (path == NGX_HTTP_PUSH_APPROVAL_JSON_NO_PATH) {
        return NGX_OK;
    }

    /* as yajl's tree gave strings: up to a NUL */

    nul = ngx_strlchr(value, value + len, '\0');
    if (nul) {
        len = nul - value;
    }

    for (f = ctx->answer->fields; f->name; f++) {
        if (ngx_strlen(f->name) != path
            || ngx_strncmp(f->name, ctx->path, path) != 0)
        {
            continue;
        }

        /* each field once: its key met twice refuses the answer */

        p = ngx_strchr(f->name, '[') ? &ctx->element : &ctx->buf;

        f->type = type;
        f->value.data = *p;
        f->value.len = len;
        *p = ngx_cpymem(*p, value, len);
    }

    return NGX_OK;
}


/* the element just read matches if its fields have the values wanted */

static void
ngx_http_push_approval_json_answer_element(
    ngx_http_push_approval_json_answer_ctx_t *ctx)
{
    ngx_str_t                             s;
    ngx_http_push_approval_json_field_t  *f;

    ctx->open = 0;

    for (f = ctx->answer->fields; f->name; f++) {
        if (ngx_strchr(f->name, '[') == NULL) {
            continue;
        }

        if (ngx_http_push_approval_json_text(f, &s) != NGX_OK) {
            return;
        }

        if (f->want.len
            && (s.len != f->want.len
                || ngx_strncmp(s.data, f->want.data, s.len) != 0))
        {
            return;
        }
    }

    ctx->answer->found = 1;
}


/*
 * writes src as the inside of a JSON string, at most max characters and
 * never cutting a UTF-8 sequence or an escape; dst needs 6 * src->len bytes
 * (continuation bytes of invalid UTF-8 are not counted as characters)
 */

size_t
ngx_http_push_approval_json_escape(u_char *dst, ngx_str_t *src, size_t max)
{
    u_char         *d, c;
    size_t          i, chars;
    static u_char   hex[] = "0123456789abcdef";

    d = dst;
    chars = 0;

    for (i = 0; i < src->len; i++) {
        c = src->data[i];

        if ((c & 0xc0) != 0x80) {
            /* a character starts here */
            chars++;

            if (chars > max) {
                break;
            }
        }

        switch (c) {

        case '"':
        case '\\':
            *d++ = '\\';
            *d++ = c;
            break;

        case '\n':
            *d++ = '\\';
            *d++ = 'n';
            break;

        default:
            if (c < 0x20 || c == 0x7f) {
                *d++ = '\\';
                *d++ = 'u';
                *d++ = '0';
                *d++ = '0';
                *d++ = hex[c >> 4];
                *d++ = hex[c & 0xf];
                break;
            }

            *d++ = c;
        }
    }

    return d - dst;
}


/*
 * copies src as valid UTF-8 of at most max characters: a byte that does not
 * start a well-formed sequence (RFC 3629: no overlong forms, surrogates or
 * code points above U+10FFFF) becomes U+FFFD; dst needs 3 * src->len bytes
 */

size_t
ngx_http_push_approval_utf8_clean(u_char *dst, ngx_str_t *src, size_t max)
{
    u_char  *p, *last, *d, c, lo, hi;
    size_t   n, k, chars;

    d = dst;
    p = src->data;
    last = p + src->len;

    for (chars = 0; p < last && chars < max; chars++) {
        c = *p;
        lo = 0x80;
        hi = 0xbf;

        if (c < 0x80) {
            *d++ = *p++;
            continue;
        }

        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;

        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            lo = (c == 0xe0) ? 0xa0 : 0x80;
            hi = (c == 0xed) ? 0x9f : 0xbf;

        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            lo = (c == 0xf0) ? 0x90 : 0x80;
            hi = (c == 0xf4) ? 0x8f : 0xbf;

        } else {
            n = 0;
        }

        for (k = 1; n && k <= n; k++) {
            if (p + k >= last || p[k] < lo || p[k] > hi) {
                n = 0;
                break;
            }

            lo = 0x80;
            hi = 0xbf;
        }

        if (n == 0) {
            /* U+FFFD REPLACEMENT CHARACTER for the one bad byte */
            *d++ = 0xef;
            *d++ = 0xbf;
            *d++ = 0xbd;
            p++;
            continue;
        }

        d = ngx_cpymem(d, p, n + 1);
        p += n + 1;
    }

    return d - dst;
}
