
/*
 * Copyright (C) push approval module developers
 *
 * libFuzzer harness over base64url in ngx_http_push_approval_crypto.c:
 * decoding arbitrary text, and both round trips (a decoded text encodes
 * back to itself: one encoding per value).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_push_approval.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char  *in, *dec, *enc, *back;
    size_t   n, m, k;

    in = malloc(size ? size : 1);
    dec = malloc(size / 4 * 3 + 2);
    enc = malloc((size + 2) / 3 * 4 ? (size + 2) / 3 * 4 : 1);
    back = malloc(size ? size : 1);

    if (in == NULL || dec == NULL || enc == NULL || back == NULL) {
        goto done;
    }

    memcpy(in, data, size);

    /* decode: at most 3/4 of the text, exactly */

    if (ngx_http_push_approval_base64url_decode(dec, &n, in, size)
        == NGX_OK)
    {
        if (n != size / 4 * 3 + (size % 4 ? size % 4 - 1 : 0)) {
            abort();
        }

        m = ngx_http_push_approval_base64url_encode(enc, dec, n);

        if (m != size || memcmp(enc, in, size) != 0) {
            abort();
        }
    }

    /* encode arbitrary bytes, decode them back */

    m = ngx_http_push_approval_base64url_encode(enc, in, size);

    if (m != (size * 4 + 2) / 3) {
        abort();
    }

    if (ngx_http_push_approval_base64url_decode(back, &k, enc, m) != NGX_OK
        || k != size || memcmp(back, in, size) != 0)
    {
        abort();
    }

done:

    free(in);
    free(dec);
    free(enc);
    free(back);

    return 0;
}
