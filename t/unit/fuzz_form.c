
/*
 * Copyright (C) push approval module developers
 *
 * libFuzzer harness over form and query decoding in
 * ngx_http_push_approval_signature.c (Verify callback bodies, Authy GET
 * callback queries): every decoded name and value lies in the scratch
 * buffer and is valid UTF-8, and the Authy canonical string and the
 * Twilio signature can be computed over whatever decodes.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_push_approval.h"


#define NGX_HTTP_PUSH_APPROVAL_FUZZ_PARAMS  128


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ngx_http_push_approval_fuzz_inside(ngx_str_t *s, u_char *buf,
    size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char                          *in, *scratch, *buf, sig[28];
    size_t                           bsize;
    ssize_t                          len;
    ngx_int_t                        n, i;
    ngx_str_t                        token, url;
    ngx_http_push_approval_param_t   p[NGX_HTTP_PUSH_APPROVAL_FUZZ_PARAMS];

    in = malloc(size ? size : 1);
    scratch = malloc(size ? size : 1);
    bsize = 8 * size + 4096;
    buf = malloc(bsize);

    if (in == NULL || scratch == NULL || buf == NULL) {
        goto done;
    }

    memcpy(in, data, size);

    n = ngx_http_push_approval_form_parse(in, size, scratch, p,
                                          NGX_HTTP_PUSH_APPROVAL_FUZZ_PARAMS);

    if (n < 0) {
        goto done;
    }

    if (n > NGX_HTTP_PUSH_APPROVAL_FUZZ_PARAMS) {
        abort();
    }

    for (i = 0; i < n; i++) {
        ngx_http_push_approval_fuzz_inside(&p[i].name, scratch, size);
        ngx_http_push_approval_fuzz_inside(&p[i].value, scratch, size);
    }

    len = ngx_http_push_approval_authy_canonical_params(p, n, buf, bsize);

    if (len > (ssize_t) bsize) {
        abort();
    }

    ngx_str_set(&token, "dev-vector-auth-token");
    ngx_str_set(&url, "https://gate.example.org/_push/callback");

    (void) ngx_http_push_approval_twilio_sign(&token, &url, p, n, sig);

done:

    free(in);
    free(scratch);
    free(buf);

    return 0;
}


static void
ngx_http_push_approval_fuzz_inside(ngx_str_t *s, u_char *buf, size_t size)
{
    if (s->len && (s->data < buf || s->data + s->len > buf + size)) {
        abort();
    }
}
