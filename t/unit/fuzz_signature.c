
/*
 * Copyright (C) push approval module developers
 *
 * libFuzzer harness over the callback parsers of
 * ngx_http_push_approval_signature.c: form decoding, the Authy canonical
 * string from JSON and from decoded parameters, and the Verify check.
 *
 * The input is also split at newlines into URL, signature, nonce and body
 * for twilio_check and authy_check, and a signature made by the sign
 * functions over the same fuzzed parts must then check.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_push_approval.h"


#define NGX_HTTP_PUSH_APPROVAL_FUZZ_PARAMS  64


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ngx_http_push_approval_fuzz_split(u_char *in, size_t size);
static u_char *ngx_http_push_approval_fuzz_field(u_char *p, u_char *last,
    ngx_str_t *s);


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

    ngx_http_push_approval_fuzz_split(in, size);

done:

    free(in);
    free(scratch);
    free(buf);

    return 0;
}


/* "URL \n signature \n nonce \n body": missing parts are empty */

static void
ngx_http_push_approval_fuzz_split(u_char *in, size_t size)
{
    u_char                          *p, *last, *scratch, *buf;
    u_char                           good[44];
    size_t                           bsize;
    ssize_t                          len;
    ngx_int_t                        n, rc;
    ngx_str_t                        key, url, sig, nonce, body, method, c;
    ngx_http_push_approval_param_t   params[NGX_HTTP_PUSH_APPROVAL_FUZZ_PARAMS];

    p = in;
    last = in + size;

    p = ngx_http_push_approval_fuzz_field(p, last, &url);
    p = ngx_http_push_approval_fuzz_field(p, last, &sig);
    p = ngx_http_push_approval_fuzz_field(p, last, &nonce);

    body.data = p;
    body.len = last - p;

    scratch = malloc(body.len ? body.len : 1);
    bsize = 8 * body.len + 4096;
    buf = malloc(bsize);

    if (scratch == NULL || buf == NULL) {
        goto done;
    }

    /* Verify: form parameters, or the JSON variant by bodySHA256 */

    ngx_str_set(&key, "dev-vector-auth-token");

    n = ngx_http_push_approval_form_parse(body.data, body.len, scratch,
                                          params,
                                          NGX_HTTP_PUSH_APPROVAL_FUZZ_PARAMS);

    if (n < 0) {
        n = 0;
    }

    (void) ngx_http_push_approval_twilio_check(&key, &url, params, n, &body,
                                               &sig);

    if (ngx_http_push_approval_twilio_sign(&key, &url, params, n, good)
        != NGX_OK)
    {
        abort();
    }

    c.data = good;
    c.len = 28;

    rc = ngx_http_push_approval_twilio_check(&key, &url, params, n, &body,
                                             &c);

    if (rc != NGX_OK
        && memmem(url.data, url.len, "bodySHA256", 10) == NULL)
    {
        abort();
    }

    /* Authy: the canonical string of the JSON body or of the parameters */

    ngx_str_set(&key, "dev-vector-api-key-0123456789abcd");

    if (body.len && body.data[0] == '{') {
        ngx_str_set(&method, "POST");
        len = ngx_http_push_approval_authy_canonical_json(body.data,
                                                          body.len, buf,
                                                          bsize);
    } else {
        ngx_str_set(&method, "GET");
        len = ngx_http_push_approval_authy_canonical_params(params, n, buf,
                                                            bsize);
    }

    if (len < 0) {
        goto done;
    }

    if (len > (ssize_t) bsize) {
        abort();
    }

    c.data = buf;
    c.len = len;

    (void) ngx_http_push_approval_authy_check(&key, &nonce, &method, &url,
                                              &c, &sig);

    if (ngx_http_push_approval_authy_sign(&key, &nonce, &method, &url, &c,
                                          good)
        != NGX_OK)
    {
        abort();
    }

    sig.data = good;
    sig.len = 44;

    if (ngx_http_push_approval_authy_check(&key, &nonce, &method, &url, &c,
                                           &sig)
        != NGX_OK)
    {
        abort();
    }

done:

    free(scratch);
    free(buf);
}


static u_char *
ngx_http_push_approval_fuzz_field(u_char *p, u_char *last, ngx_str_t *s)
{
    u_char  *nl;

    nl = memchr(p, '\n', last - p);

    s->data = p;
    s->len = (nl ? nl : last) - p;

    return nl ? nl + 1 : last;
}
