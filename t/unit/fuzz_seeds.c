
/*
 * Copyright (C) push approval module developers
 *
 * Writes the seeds that need the fuzzers' secrets: real wait tokens (as
 * client text for fuzz_token's decoding mode, and as raw signed payloads
 * for its structure-aware mode) and real remember cookies.
 *
 *   fuzz_seeds CORPUS_DIR
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_push_approval.h"


static void ngx_http_push_approval_seed_token(char *dir, char *name,
    ngx_http_push_approval_token_t *t);
static void ngx_http_push_approval_seed_write(char *dir, char *name,
    u_char *prefix, size_t plen, u_char *data, size_t len);


static u_char  ngx_http_push_approval_seed_bind[32];

static ngx_str_t  ngx_http_push_approval_seed_secrets[] = {
    ngx_string("0123456789abcdef0123456789abcdef-first-line"),
    ngx_string("another-secret-of-at-least-thirty-two-bytes!")
};


int
main(int argc, char **argv)
{
    u_char                          buf[128];
    size_t                          len;
    ngx_str_t                       identity, scope;
    ngx_http_push_approval_token_t  t;

    if (argc != 2) {
        fprintf(stderr, "usage: fuzz_seeds CORPUS_DIR\n");
        return 2;
    }

    ngx_memzero(&t, sizeof(ngx_http_push_approval_token_t));

    ngx_str_set(&t.id, "YC0123456789abcdef0123456789abcdef");
    ngx_str_set(&t.identity, "alice-0001");
    ngx_str_set(&t.scope, "admin");
    ngx_str_set(&t.return_uri, "/p/index.html?a=1&b=%3Cx%3E");
    ngx_str_set(&t.message, "Approve access to gate.test/p/index.html");
    ngx_str_set(&t.cookie_name, "push_approval_0badf00d");
    ngx_str_set(&t.cookie_domain, "example.org");
    t.created = 1764000000;
    t.timeout = 60;
    t.expires = t.created + t.timeout + 300;
    t.remember = 3600;
    t.code = 42;
    t.provider = NGX_HTTP_PUSH_APPROVAL_VERIFY;
    t.secure = 1;
    t.samesite = NGX_HTTP_PUSH_APPROVAL_SAMESITE_STRICT;
    ngx_memcpy(t.wait_hash, "0123456789abcdef", 16);

    ngx_http_push_approval_seed_token(argv[1], "verify", &t);

    ngx_str_set(&t.id, "0f3c2a10-5e2b-0137-9a1c-0a58a9feac02");
    ngx_str_set(&t.identity, "1234567");
    ngx_str_set(&t.scope, "");
    ngx_str_set(&t.return_uri, "/");
    ngx_str_set(&t.message, "");
    ngx_str_set(&t.cookie_domain, "");
    t.provider = NGX_HTTP_PUSH_APPROVAL_AUTHY;
    t.secure = 0;
    t.samesite = NGX_HTTP_PUSH_APPROVAL_SAMESITE_LAX;
    t.code = 0;

    ngx_http_push_approval_seed_token(argv[1], "authy", &t);

    /* cookies: valid, expired, for another identity */

    ngx_str_set(&identity, "alice-0001");
    ngx_str_set(&scope, "admin");

    len = ngx_http_push_approval_cookie_value(buf,
                                      &ngx_http_push_approval_seed_secrets[0],
                                      &identity, &scope,
                                      ngx_http_push_approval_seed_bind,
                                      1764000000, 1764003600);
    ngx_http_push_approval_seed_write(argv[1], "cookie/valid", NULL, 0,
                                      buf, len);

    len = ngx_http_push_approval_cookie_value(buf,
                                      &ngx_http_push_approval_seed_secrets[1],
                                      &identity, &scope,
                                      ngx_http_push_approval_seed_bind,
                                      1764000000, 1764003600);
    ngx_http_push_approval_seed_write(argv[1], "cookie/valid_rotated", NULL,
                                      0, buf, len);

    len = ngx_http_push_approval_cookie_value(buf,
                                      &ngx_http_push_approval_seed_secrets[0],
                                      &identity, &scope,
                                      ngx_http_push_approval_seed_bind,
                                      1764000000, 1763999999);
    ngx_http_push_approval_seed_write(argv[1], "cookie/expired", NULL, 0,
                                      buf, len);

    ngx_str_set(&identity, "bob");

    len = ngx_http_push_approval_cookie_value(buf,
                                      &ngx_http_push_approval_seed_secrets[0],
                                      &identity, &scope,
                                      ngx_http_push_approval_seed_bind,
                                      1764000000, 1764003600);
    ngx_http_push_approval_seed_write(argv[1], "cookie/other_identity",
                                      NULL, 0, buf, len);

    return 0;
}


static void
ngx_http_push_approval_seed_token(char *dir, char *name,
    ngx_http_push_approval_token_t *t)
{
    u_char  work[4096], text[4096], raw[4096], mode, path[64];
    size_t  len, n;

    len = ngx_http_push_approval_token_encode(text, work, t,
                                      &ngx_http_push_approval_seed_secrets[0]);

    /* decoding mode: an even first byte, then the text */

    mode = 0;
    snprintf((char *) path, sizeof(path), "token/%s_text", name);
    ngx_http_push_approval_seed_write(dir, (char *) path, &mode, 1, text,
                                      len);

    /* signing mode: an odd first byte, then the payload without its MAC */

    if (ngx_http_push_approval_base64url_decode(raw, &n, text, len)
        != NGX_OK)
    {
        fprintf(stderr, "fuzz_seeds: cannot decode a fresh token\n");
        exit(1);
    }

    mode = 1;
    snprintf((char *) path, sizeof(path), "token/%s_payload", name);
    ngx_http_push_approval_seed_write(dir, (char *) path, &mode, 1, raw,
                                      n - 32);

    /* base64url seeds: real token text */

    snprintf((char *) path, sizeof(path), "base64url/token_%s", name);
    ngx_http_push_approval_seed_write(dir, (char *) path, NULL, 0, text,
                                      len);
}


static void
ngx_http_push_approval_seed_write(char *dir, char *name, u_char *prefix,
    size_t plen, u_char *data, size_t len)
{
    char   path[512];
    FILE  *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);

    f = fopen(path, "w");

    if (f == NULL
        || fwrite(prefix, 1, plen, f) != plen
        || fwrite(data, 1, len, f) != len
        || fclose(f) != 0)
    {
        fprintf(stderr, "fuzz_seeds: cannot write %s\n", path);
        exit(1);
    }
}
