
/*
 * Copyright (C) push approval module developers
 *
 * libFuzzer harness over ngx_http_push_approval_json.c: provider answers
 * through json_parse and the field getters the providers use, callback
 * fields through the streaming walker (json_fields: every value inside
 * the buffer of the body's size), and
 * json_escape, whose output must read back through yajl as the same
 * characters whenever the input is valid UTF-8, and utf8_clean, whose
 * output must always be valid UTF-8 (the input itself when it was).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_push_approval.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ngx_http_push_approval_fuzz_answer(u_char *in, size_t size);
static void ngx_http_push_approval_fuzz_fields(u_char *in, size_t size);
static void ngx_http_push_approval_fuzz_escape(u_char *in, size_t size);
static void ngx_http_push_approval_fuzz_clean(u_char *in, size_t size);
static ngx_int_t ngx_http_push_approval_fuzz_utf8(u_char *p, size_t len);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char  *in;

    /* the parser wants data[len] == '\0': an exact-size copy plus one */

    in = malloc(size + 1);
    if (in == NULL) {
        return 0;
    }

    memcpy(in, data, size);
    in[size] = '\0';

    ngx_http_push_approval_fuzz_answer(in, size);
    ngx_http_push_approval_fuzz_fields(in, size);
    ngx_http_push_approval_fuzz_escape(in, size);
    ngx_http_push_approval_fuzz_clean(in, size);

    free(in);

    return 0;
}


static void
ngx_http_push_approval_fuzz_answer(u_char *in, size_t size)
{
    ngx_str_t   s;
    yajl_val    root;
    ngx_uint_t  i;

    static const char  *paths[][3] = {
        { "sid", NULL, NULL },
        { "status", NULL, NULL },
        { "expiration_date", NULL, NULL },
        { "token", NULL, NULL },
        { "code", NULL, NULL },
        { "message", NULL, NULL },
        { "approval_request", "uuid", NULL },
        { "approval_request", "status", NULL },
        { "registration_token", NULL, NULL },
        { "error_code", NULL, NULL },
    };
    static const char  *success[] = { "success", NULL };

    root = ngx_http_push_approval_json_parse(in, size);
    if (root == NULL) {
        return;
    }

    for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        if (ngx_http_push_approval_json_string(root, paths[i], &s) == NGX_OK
            && (s.data == NULL || strlen((char *) s.data) != s.len))
        {
            abort();
        }
    }

    (void) ngx_http_push_approval_json_true(root, success);

    if (ngx_http_push_approval_json_push_factor(root, &s) == NGX_OK
        && s.data == NULL)
    {
        abort();
    }

    yajl_tree_free(root);
}


static void
ngx_http_push_approval_fuzz_fields(u_char *in, size_t size)
{
    u_char      *buf;
    ngx_str_t    v[6];
    ngx_uint_t   k;

    static char  *names[] = {
        "type", "challenge_sid", "sid", "status",
        "approval_request.transaction.uuid", NULL
    };

    /* exactly the body's size, as the callers give */

    buf = malloc(size + 1);
    if (buf == NULL) {
        return;
    }

    if (ngx_http_push_approval_json_fields(in, size, names, v, buf)
        == NGX_OK)
    {
        for (k = 0; names[k]; k++) {
            if (v[k].data == NULL
                || (v[k].len
                    && (v[k].data < buf || v[k].data + v[k].len > buf + size)))
            {
                abort();
            }
        }
    }

    free(buf);
}


static void
ngx_http_push_approval_fuzz_escape(u_char *in, size_t size)
{
    u_char     *dst, *q, *p;
    size_t      max, len, i, chars;
    ngx_str_t   src;
    yajl_val    v;

    if (size == 0) {
        return;
    }

    /* the first byte is the limit in characters, the rest the string */

    max = in[0] ? in[0] : 4096;
    src.data = in + 1;
    src.len = size - 1;

    /* the callers allocate 6 bytes per input byte */

    dst = malloc(6 * src.len + 1);
    q = malloc(6 * src.len + 3);

    if (dst == NULL || q == NULL) {
        goto done;
    }

    len = ngx_http_push_approval_json_escape(dst, &src, max);

    if (len > 6 * src.len) {
        abort();
    }

    if (ngx_http_push_approval_fuzz_utf8(src.data, src.len) != NGX_OK) {
        goto done;
    }

    /* "<escaped>" must parse as a JSON string of the first max characters */

    q[0] = '"';
    memcpy(q + 1, dst, len);
    q[len + 1] = '"';
    q[len + 2] = '\0';

    v = yajl_tree_parse((char *) q, NULL, 0);

    if (v == NULL || !YAJL_IS_STRING(v)) {
        abort();
    }

    p = (u_char *) YAJL_GET_STRING(v);

    chars = 0;

    for (i = 0; i < src.len; i++) {
        if ((src.data[i] & 0xc0) != 0x80 && ++chars > max) {
            break;
        }
    }

    /* yajl ends strings at NUL: compare up to the first one */

    if (memchr(src.data, '\0', i) == NULL
        && (strlen((char *) p) != i || memcmp(p, src.data, i) != 0))
    {
        abort();
    }

    yajl_tree_free(v);

done:

    free(dst);
    free(q);
}


static void
ngx_http_push_approval_fuzz_clean(u_char *in, size_t size)
{
    u_char     *dst;
    size_t      max, len, i, chars;
    ngx_str_t   src;

    if (size == 0) {
        return;
    }

    /* the first byte is the limit in characters, the rest the text */

    max = in[0] ? in[0] : 4096;
    src.data = in + 1;
    src.len = size - 1;

    dst = malloc(3 * src.len + 1);
    if (dst == NULL) {
        return;
    }

    len = ngx_http_push_approval_utf8_clean(dst, &src, max);

    if (len > 3 * src.len
        || ngx_http_push_approval_fuzz_utf8(dst, len) != NGX_OK)
    {
        abort();
    }

    chars = 0;

    for (i = 0; i < len; i++) {
        if ((dst[i] & 0xc0) != 0x80) {
            chars++;
        }
    }

    if (chars > max) {
        abort();
    }

    /* valid text comes out unchanged, cut at max characters */

    if (ngx_http_push_approval_fuzz_utf8(src.data, src.len) == NGX_OK
        && memcmp(dst, src.data, len) != 0)
    {
        abort();
    }

    free(dst);
}


static ngx_int_t
ngx_http_push_approval_fuzz_utf8(u_char *p, size_t len)
{
    u_char    *end, c;
    size_t     n;
    uint32_t   u, min;

    end = p + len;

    while (p < end) {
        c = *p++;

        if (c < 0x80) {
            continue;
        }

        if (c >= 0xc2 && c <= 0xdf) {
            n = 1; u = c & 0x1f; min = 0x80;

        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2; u = c & 0x0f; min = 0x800;

        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3; u = c & 0x07; min = 0x10000;

        } else {
            return NGX_ERROR;
        }

        if ((size_t) (end - p) < n) {
            return NGX_ERROR;
        }

        while (n--) {
            c = *p++;

            if ((c & 0xc0) != 0x80) {
                return NGX_ERROR;
            }

            u = (u << 6) | (c & 0x3f);
        }

        if (u < min || u > 0x10ffff || (u >= 0xd800 && u <= 0xdfff)) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}
