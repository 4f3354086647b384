
/*
 * Copyright (C) push approval module developers
 *
 * libFuzzer harness over ngx_http_push_approval_json.c, all through the
 * one walker: provider answers through json_answer with every field the
 * providers read (types, values inside their half of the buffer of twice
 * the answer's size, the factor list), callback fields through
 * json_fields (every value inside the buffer of the body's size), and
 * json_escape, whose output must read back through json_answer as the
 * same characters whenever the input is valid UTF-8, and utf8_clean, whose
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

    /* an exact-size copy, not NUL-terminated: ASan sees any read past it */

    in = malloc(size ? size : 1);
    if (in == NULL) {
        return 0;
    }

    memcpy(in, data, size);

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
    u_char                                *buf;
    ngx_uint_t                             element;
    ngx_http_push_approval_json_field_t   *f;
    ngx_http_push_approval_json_answer_t   a;

    /* every field verify_parse() and authy_parse() read */

    ngx_http_push_approval_json_field_t    fields[] = {
        ngx_http_push_approval_json_field("sid"),
        ngx_http_push_approval_json_field("status"),
        ngx_http_push_approval_json_field("expiration_date"),
        ngx_http_push_approval_json_field("token"),
        ngx_http_push_approval_json_field("code"),
        ngx_http_push_approval_json_field("message"),
        ngx_http_push_approval_json_field("success"),
        ngx_http_push_approval_json_field("approval_request.uuid"),
        ngx_http_push_approval_json_field("approval_request.status"),
        ngx_http_push_approval_json_field("registration_token"),
        ngx_http_push_approval_json_field("status.registered"),
        ngx_http_push_approval_json_field("error_code"),
        ngx_http_push_approval_json_want("factors[].factor_type", "push"),
        ngx_http_push_approval_json_want("factors[].status", "verified"),
        ngx_http_push_approval_json_field("factors[].sid"),
        ngx_http_push_approval_json_field(NULL)
    };

    /* twice the answer's size, as answer_json() gives */

    buf = malloc(2 * size + 1);
    if (buf == NULL) {
        return;
    }

    a.fields = fields;
    a.list = "factors";

    if (ngx_http_push_approval_json_answer(in, size, &a, buf) != NGX_OK) {
        goto done;
    }

    for (f = fields; f->name; f++) {
        element = (strchr(f->name, '[') != NULL);

        if (f->type == NGX_HTTP_PUSH_APPROVAL_JSON_ABSENT
            || f->type == NGX_HTTP_PUSH_APPROVAL_JSON_NESTED)
        {
            if (f->value.len) {
                abort();
            }

            if (element && a.found) {
                /* a matched element has all its fields */
                abort();
            }

            continue;
        }

        if (f->type > NGX_HTTP_PUSH_APPROVAL_JSON_STRING
            || (element && !a.found)
            || memchr(f->value.data, '\0', f->value.len) != NULL)
        {
            abort();
        }

        /* the fields' values in the first half, the element's in the next */

        if (f->value.len
            && (f->value.data < buf + (element ? size : 0)
                || f->value.data + f->value.len
                   > buf + (element ? 2 * size : size)))
        {
            abort();
        }

        if (f->want.len
            && (f->value.len != f->want.len
                || memcmp(f->value.data, f->want.data, f->want.len) != 0))
        {
            abort();
        }
    }

done:

    free(buf);
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
    u_char                                *dst, *q, *buf;
    size_t                                 max, len, i, chars;
    ngx_str_t                              src, p;
    ngx_http_push_approval_json_answer_t   a;
    ngx_http_push_approval_json_field_t    fields[] = {
        ngx_http_push_approval_json_field("a"),
        ngx_http_push_approval_json_field(NULL)
    };

    if (size == 0) {
        return;
    }

    /* the first byte is the limit in characters, the rest the string */

    max = in[0] ? in[0] : 4096;
    src.data = in + 1;
    src.len = size - 1;

    /* the callers allocate 6 bytes per input byte */

    dst = malloc(6 * src.len + 1);
    q = malloc(6 * src.len + 8);
    buf = malloc(2 * (6 * src.len + 8));

    if (dst == NULL || q == NULL || buf == NULL) {
        goto done;
    }

    len = ngx_http_push_approval_json_escape(dst, &src, max);

    if (len > 6 * src.len) {
        abort();
    }

    if (ngx_http_push_approval_fuzz_utf8(src.data, src.len) != NGX_OK) {
        goto done;
    }

    /*
     * {"a":"<escaped>"} must read back through the answer walker as the
     * first max characters
     */

    memcpy(q, "{\"a\":\"", 6);
    memcpy(q + 6, dst, len);
    memcpy(q + 6 + len, "\"}", 2);

    a.fields = fields;
    a.list = NULL;

    if (ngx_http_push_approval_json_answer(q, len + 8, &a, buf) != NGX_OK
        || ngx_http_push_approval_json_text(&fields[0], &p) != NGX_OK
        || fields[0].type != NGX_HTTP_PUSH_APPROVAL_JSON_STRING)
    {
        abort();
    }

    chars = 0;

    for (i = 0; i < src.len; i++) {
        if ((src.data[i] & 0xc0) != 0x80 && ++chars > max) {
            break;
        }
    }

    /* answers end strings at NUL, as yajl's tree did: compare up to it */

    if (memchr(src.data, '\0', i) == NULL
        && (p.len != i || memcmp(p.data, src.data, i) != 0))
    {
        abort();
    }

done:

    free(dst);
    free(q);
    free(buf);
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
