
/*
 * Copyright (C) push approval module developers
 *
 * libFuzzer harness over the callback parsers of
 * ngx_http_push_approval_signature.c: form decoding, the Authy canonical
 * string from JSON and from decoded parameters, and the Verify check.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_push_approval.h"


#define NGX_HTTP_PUSH_APPROVAL_FUZZ_PARAMS  64


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char                          *in, *scratch, *buf;
    size_t                           bsize;
    ssize_t                          len;
    ngx_int_t                        n;
    ngx_str_t                        key, url, body, sig, nonce, method, c;
    ngx_http_push_approval_param_t   p[NGX_HTTP_PUSH_APPROVAL_FUZZ_PARAMS];

    /* exact-size copies, so that ASan sees any read past the input */

    in = malloc(size ? size : 1);
    scratch = malloc(size ? size : 1);
    bsize = 4 * size + 1024;
    buf = malloc(bsize);

    if (in == NULL || scratch == NULL || buf == NULL) {
        goto done;
    }

    memcpy(in, data, size);

    len = ngx_http_push_approval_authy_canonical_json(in, size, buf, bsize);

    if (len >= 0) {
        ngx_str_set(&key, "fuzz-key");
        ngx_str_set(&nonce, "1764000030");
        ngx_str_set(&method, "POST");
        ngx_str_set(&url, "https://gate.example.org/_push/callback");
        ngx_str_set(&sig, "epCBSxKXRynR8jLR+h1+NvHT/20qr/vcgkfayjm/yWA=");

        c.data = buf;
        c.len = len;

        (void) ngx_http_push_approval_authy_check(&key, &nonce, &method, &url,
                                                  &c, &sig);
    }

    n = ngx_http_push_approval_form_parse(in, size, scratch, p,
                                          NGX_HTTP_PUSH_APPROVAL_FUZZ_PARAMS);

    if (n >= 0) {
        (void) ngx_http_push_approval_authy_canonical_params(p, n, buf,
                                                             bsize);

        /* the input doubles as the URL: port variants, bodySHA256 */

        ngx_str_set(&key, "dev-vector-auth-token");
        ngx_str_set(&sig, "SN1NWrXbktc2LS02LnpcvLta8mw=");

        url.data = in;
        url.len = size;
        body.data = in;
        body.len = size;

        (void) ngx_http_push_approval_twilio_check(&key, &url, p, n, &body,
                                                   &sig);
    }

done:

    free(in);
    free(scratch);
    free(buf);

    return 0;
}
