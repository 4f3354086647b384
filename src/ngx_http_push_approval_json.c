
/*
 * Copyright (C) push approval module developers
 *
 * JSON helpers over yajl's tree: parsing provider answers with a depth
 * limit, reading fields by path, and escaping strings for the JSON that
 * the module writes, and making text valid UTF-8.  Pure functions over
 * plain buffers.
 */


#include "ngx_http_push_approval.h"


#define NGX_HTTP_PUSH_APPROVAL_JSON_DEPTH  32


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
