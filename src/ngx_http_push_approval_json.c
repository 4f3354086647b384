
/*
 * Copyright (C) push approval module developers
 *
 * JSON: the one streaming walker over yajl (callback fields by dotted
 * path here, the Authy canonical string in signature.c), helpers over
 * yajl's tree for provider answers (parsing with a depth limit, fields by
 * path), escaping strings for the JSON that the module writes, and making
 * text valid UTF-8.  Pure functions over plain buffers.
 */


#include "ngx_http_push_approval.h"

#include <yajl/yajl_parse.h>


#define NGX_HTTP_PUSH_APPROVAL_JSON_DEPTH    32
#define NGX_HTTP_PUSH_APPROVAL_JSON_PATH     128
#define NGX_HTTP_PUSH_APPROVAL_JSON_NO_PATH  ((size_t) -1)


typedef struct {
    char                               **names;
    ngx_str_t                           *values;
    u_char                              *buf;
    u_char                               path[NGX_HTTP_PUSH_APPROVAL_JSON_PATH];
} ngx_http_push_approval_json_fields_t;


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
static ngx_int_t ngx_http_push_approval_json_fields_key(
    ngx_http_push_approval_json_walk_t *w, u_char *key, size_t len);
static ngx_int_t ngx_http_push_approval_json_fields_string(
    ngx_http_push_approval_json_fields_t *ctx, size_t path, u_char *value,
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
 * NGX_DECLINED (bad input) or NGX_ERROR.  NGX_DECLINED: invalid JSON, a
 * top level that is no object, or nesting deeper than 16.
 */

ngx_int_t
ngx_http_push_approval_json_walk(ngx_http_push_approval_json_walk_t *w,
    u_char *json, size_t len)
{
    yajl_handle  yh;
    yajl_status  st;

    w->len = 0;
    w->depth = 0;
    w->rc = NGX_OK;

    yh = yajl_alloc(&ngx_http_push_approval_json_callbacks, NULL, w);
    if (yh == NULL) {
        return NGX_ERROR;
    }

    st = yajl_parse(yh, json, len);

    if (st == yajl_status_ok) {
        st = yajl_complete_parse(yh);
    }

    yajl_free(yh);

    if (w->rc != NGX_OK) {
        return w->rc;
    }

    if (st != yajl_status_ok || w->depth != 0) {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* a value inside a container: its index when the container is an array */

static ngx_int_t
ngx_http_push_approval_json_element(ngx_http_push_approval_json_walk_t *w)
{
    ngx_http_push_approval_json_level_t  *level;

    if (w->depth == 0) {
        /* the top level must be an object */
        return NGX_DECLINED;
    }

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

    if (w->depth == 0) {
        if (array) {
            w->rc = NGX_DECLINED;
            return 0;
        }

    } else {
        w->rc = (w->depth == NGX_HTTP_PUSH_APPROVAL_JSON_LEVELS)
                ? NGX_DECLINED : ngx_http_push_approval_json_element(w);

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

    size_t   base;
    u_char  *p;

    base = w->levels[w->depth - 1].base;

    if (base == NGX_HTTP_PUSH_APPROVAL_JSON_NO_PATH
        || base + 1 + len > NGX_HTTP_PUSH_APPROVAL_JSON_PATH)
    {
        w->len = NGX_HTTP_PUSH_APPROVAL_JSON_NO_PATH;
        return NGX_OK;
    }

    p = ctx->path + base;

    if (w->depth > 1) {
        *p++ = '.';
    }

    p = ngx_cpymem(p, key, len);
    w->len = p - ctx->path;

    return NGX_OK;
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
 * data must be NUL-terminated at len; yajl's tree is freed with
 * yajl_tree_free() by the caller on every path
 */

yajl_val
ngx_http_push_approval_json_parse(u_char *data, size_t len)
{
    u_char      *p, *last;
    ngx_uint_t   depth, in_string;

    /* yajl's tree recurses: refuse deep nesting before it sees it */

    depth = 0;
    in_string = 0;
    last = data + len;

    for (p = data; p < last; p++) {

        if (in_string) {
            if (*p == '\\') {
                p++;

            } else if (*p == '"') {
                in_string = 0;
            }

            continue;
        }

        switch (*p) {

        case '"':
            in_string = 1;
            break;

        case '{':
        case '[':
            if (++depth > NGX_HTTP_PUSH_APPROVAL_JSON_DEPTH) {
                return NULL;
            }
            break;

        case '}':
        case ']':
            if (depth) {
                depth--;
            }
            break;

        case '\0':
            return NULL;
        }
    }

    if (data[len] != '\0') {
        return NULL;
    }

    return yajl_tree_parse((const char *) data, NULL, 0);
}


ngx_int_t
ngx_http_push_approval_json_string(yajl_val root, const char **path,
    ngx_str_t *out)
{
    yajl_val  v;

    v = yajl_tree_get(root, path, yajl_t_any);

    if (v == NULL) {
        return NGX_DECLINED;
    }

    if (YAJL_IS_STRING(v)) {
        out->data = (u_char *) YAJL_GET_STRING(v);
        out->len = ngx_strlen(out->data);
        return NGX_OK;
    }

    if (YAJL_IS_NUMBER(v)) {
        /* Verify error codes are numbers, Authy's are strings */
        out->data = (u_char *) YAJL_GET_NUMBER(v);
        out->len = ngx_strlen(out->data);
        return NGX_OK;
    }

    return NGX_DECLINED;
}


ngx_int_t
ngx_http_push_approval_json_true(yajl_val root, const char **path)
{
    yajl_val  v;

    v = yajl_tree_get(root, path, yajl_t_any);

    return (v && YAJL_IS_TRUE(v)) ? NGX_OK : NGX_DECLINED;
}


/* the first verified push factor in a Verify factor list */

ngx_int_t
ngx_http_push_approval_json_push_factor(yajl_val root, ngx_str_t *sid)
{
    size_t       i;
    yajl_val     factors, f;
    ngx_str_t    type, status;

    static const char  *factors_path[] = { "factors", NULL };
    static const char  *sid_path[] = { "sid", NULL };
    static const char  *type_path[] = { "factor_type", NULL };
    static const char  *status_path[] = { "status", NULL };

    factors = yajl_tree_get(root, factors_path, yajl_t_array);

    if (factors == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < YAJL_GET_ARRAY(factors)->len; i++) {
        f = YAJL_GET_ARRAY(factors)->values[i];

        if (ngx_http_push_approval_json_string(f, type_path, &type) != NGX_OK
            || ngx_http_push_approval_json_string(f, status_path, &status)
               != NGX_OK
            || ngx_http_push_approval_json_string(f, sid_path, sid) != NGX_OK)
        {
            continue;
        }

        if (type.len == 4 && ngx_strncmp(type.data, "push", 4) == 0
            && status.len == 8 && ngx_strncmp(status.data, "verified", 8) == 0)
        {
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
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
