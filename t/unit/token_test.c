
/*
 * Copyright (C) push approval module developers
 *
 * Unit tests of ngx_http_push_approval_token.c: the wait token round trip,
 * that every single-byte change and every truncation is rejected, foreign
 * and rotated secrets, and the same-site rule of safe_return.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_push_approval.h"

#include "unit.h"


#define ngx_http_push_approval_unit_str(s)  { sizeof(s) - 1, (u_char *) s }


static void ngx_http_push_approval_unit_sample(
    ngx_http_push_approval_token_t *t);
static size_t ngx_http_push_approval_unit_encode(u_char *text,
    ngx_http_push_approval_token_t *t, ngx_str_t *secret);
static size_t ngx_http_push_approval_unit_sign(
    ngx_http_push_approval_token_t *t);
static ngx_int_t ngx_http_push_approval_unit_decode(
    ngx_http_push_approval_token_t *t, u_char *text, size_t len,
    ngx_str_t *secrets, ngx_uint_t n);
static void ngx_http_push_approval_unit_round_trip(void);
static void ngx_http_push_approval_unit_changes(void);
static void ngx_http_push_approval_unit_secrets(void);
static void ngx_http_push_approval_unit_fields(void);
static void ngx_http_push_approval_unit_safe_return(void);
static ngx_int_t ngx_http_push_approval_unit_safe(char *in, char *want);


static ngx_str_t  ngx_http_push_approval_unit_secret =
    ngx_http_push_approval_unit_str(
        "0123456789abcdef0123456789abcdef-first-line");
static ngx_str_t  ngx_http_push_approval_unit_other =
    ngx_http_push_approval_unit_str(
        "another-secret-of-at-least-thirty-two-bytes!");

static u_char  ngx_http_push_approval_unit_hash[] = "0123456789abcdef";

static u_char  ngx_http_push_approval_unit_work[8192];
static u_char  ngx_http_push_approval_unit_text[8192];
static u_char  ngx_http_push_approval_unit_copy[8192];


static void
ngx_http_push_approval_unit_sample(ngx_http_push_approval_token_t *t)
{
    ngx_memzero(t, sizeof(ngx_http_push_approval_token_t));

    ngx_str_set(&t->id, "YC0123456789abcdef0123456789abcdef");
    ngx_str_set(&t->identity, "alice-0001");
    ngx_str_set(&t->scope, "admin");
    ngx_str_set(&t->return_uri, "/p/index.html?a=1&b=%3Cx%3E");
    ngx_str_set(&t->message, "Approve access to gate.test/p/index.html");
    ngx_str_set(&t->cookie_name, "push_approval_0badf00d");
    ngx_str_set(&t->cookie_domain, "example.org");
    t->created = 1764000000;
    t->timeout = 60;
    t->expires = t->created + t->timeout + 300;
    t->remember = 3600;
    t->code = 42;
    t->provider = NGX_HTTP_PUSH_APPROVAL_VERIFY;
    t->secure = 1;
    t->samesite = NGX_HTTP_PUSH_APPROVAL_SAMESITE_STRICT;
    ngx_memcpy(t->wait_hash, ngx_http_push_approval_unit_hash,
               NGX_HTTP_PUSH_APPROVAL_WAIT_HASH);
}


static size_t
ngx_http_push_approval_unit_encode(u_char *text,
    ngx_http_push_approval_token_t *t, ngx_str_t *secret)
{
    size_t  size, len;

    size = ngx_http_push_approval_token_size(t);

    if (size > sizeof(ngx_http_push_approval_unit_work)) {
        return 0;
    }

    ngx_memset(ngx_http_push_approval_unit_work, 0xa5, size);

    len = ngx_http_push_approval_token_encode(text,
                                              ngx_http_push_approval_unit_work,
                                              t, secret);

    UNIT_OK(len <= size, "encoded token fits token_size()");

    return len;
}


/* signed with the first secret, into the shared text buffer */

static size_t
ngx_http_push_approval_unit_sign(ngx_http_push_approval_token_t *t)
{
    return ngx_http_push_approval_unit_encode(
                                         ngx_http_push_approval_unit_text, t,
                                         &ngx_http_push_approval_unit_secret);
}


static ngx_int_t
ngx_http_push_approval_unit_decode(ngx_http_push_approval_token_t *t,
    u_char *text, size_t len, ngx_str_t *secrets, ngx_uint_t n)
{
    /* the decoder works in place of a copy, as the wait handler does */

    ngx_memcpy(ngx_http_push_approval_unit_copy, text, len);

    return ngx_http_push_approval_token_decode(t,
                                              ngx_http_push_approval_unit_work,
                                              ngx_http_push_approval_unit_copy,
                                              len, secrets, n);
}


static void
ngx_http_push_approval_unit_round_trip(void)
{
    u_char                          c;
    size_t                          len;
    ngx_uint_t                      i;
    ngx_http_push_approval_token_t  t, d;

    ngx_http_push_approval_unit_sample(&t);

    len = ngx_http_push_approval_unit_sign(&t);
    UNIT_OK(len > 0, "encoded");

    for (i = 0; i < len; i++) {
        c = ngx_http_push_approval_unit_text[i];

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9') || c == '-' || c == '_'))
        {
            break;
        }
    }

    UNIT_IS(i, len, "token is base64url only (URL and cookie safe)");

    UNIT_IS(ngx_http_push_approval_unit_decode(&d,
                ngx_http_push_approval_unit_text, len,
                &ngx_http_push_approval_unit_secret, 1),
            NGX_OK, "round trip decodes");

    UNIT_MEM(d.id.data, d.id.len, "YC0123456789abcdef0123456789abcdef", "id");
    UNIT_MEM(d.identity.data, d.identity.len, "alice-0001", "identity");
    UNIT_MEM(d.scope.data, d.scope.len, "admin", "scope");
    UNIT_MEM(d.return_uri.data, d.return_uri.len,
             "/p/index.html?a=1&b=%3Cx%3E", "return URI");
    UNIT_MEM(d.message.data, d.message.len,
             "Approve access to gate.test/p/index.html", "message");
    UNIT_MEM(d.cookie_name.data, d.cookie_name.len, "push_approval_0badf00d",
             "cookie name");
    UNIT_MEM(d.cookie_domain.data, d.cookie_domain.len, "example.org",
             "cookie domain");
    UNIT_IS(d.created, 1764000000, "created");
    UNIT_IS(d.timeout, 60, "timeout");
    UNIT_IS(d.expires, 1764000360, "expires");
    UNIT_IS(d.remember, 3600, "remember");
    UNIT_IS(d.code, 42, "code");
    UNIT_IS(d.provider, NGX_HTTP_PUSH_APPROVAL_VERIFY, "provider");
    UNIT_IS(d.secure, 1, "secure");
    UNIT_IS(d.samesite, NGX_HTTP_PUSH_APPROVAL_SAMESITE_STRICT, "samesite");
    UNIT_OK(ngx_memcmp(d.wait_hash, ngx_http_push_approval_unit_hash,
                       NGX_HTTP_PUSH_APPROVAL_WAIT_HASH) == 0, "wait hash");

    /* empty optional fields, times far in the future */

    ngx_str_null(&t.scope);
    ngx_str_null(&t.message);
    ngx_str_null(&t.cookie_domain);
    ngx_str_set(&t.return_uri, "/");
    t.code = 0;
    t.expires = (time_t) 0x7fffffff + 10;

    len = ngx_http_push_approval_unit_sign(&t);

    UNIT_IS(ngx_http_push_approval_unit_decode(&d,
                ngx_http_push_approval_unit_text, len,
                &ngx_http_push_approval_unit_secret, 1),
            NGX_OK, "empty scope, message and domain decode");
    UNIT_IS(d.scope.len + d.message.len + d.cookie_domain.len, 0,
            "empty fields stay empty");
    UNIT_MEM(d.return_uri.data, d.return_uri.len, "/", "return /");
    UNIT_IS(d.expires, (time_t) 0x7fffffff + 10, "64-bit expiry");
}


/* every single-byte change and every truncation is rejected */

static void
ngx_http_push_approval_unit_changes(void)
{
    size_t                          len, i, accepted, truncated;
    ngx_uint_t                      k, bit;
    ngx_http_push_approval_token_t  t, d;
    static u_char                   alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        "=.+/ %\n";
    static u_char                   raw[4096], text[8192];

    ngx_http_push_approval_unit_sample(&t);

    len = ngx_http_push_approval_unit_sign(&t);

    accepted = 0;

    for (i = 0; i < len; i++) {
        for (k = 0; k < sizeof(alphabet) - 1; k++) {
            if (alphabet[k] == ngx_http_push_approval_unit_text[i]) {
                continue;
            }

            ngx_memcpy(text, ngx_http_push_approval_unit_text, len);
            text[i] = alphabet[k];

            if (ngx_http_push_approval_unit_decode(&d, text, len,
                    &ngx_http_push_approval_unit_secret, 1)
                == NGX_OK)
            {
                accepted++;
            }
        }
    }

    UNIT_IS(accepted, 0, "every changed character of the text is rejected");

    /* and every bit of the signed bytes */

    {
        size_t  n;

        UNIT_IS(ngx_http_push_approval_base64url_decode(raw, &n,
                    ngx_http_push_approval_unit_text, len),
                NGX_OK, "raw token");

        accepted = 0;

        for (i = 0; i < n; i++) {
            for (bit = 0; bit < 8; bit++) {
                size_t  tl;

                raw[i] ^= (u_char) (1 << bit);
                tl = ngx_http_push_approval_base64url_encode(text, raw, n);
                raw[i] ^= (u_char) (1 << bit);

                if (ngx_http_push_approval_unit_decode(&d, text, tl,
                        &ngx_http_push_approval_unit_secret, 1)
                    == NGX_OK)
                {
                    accepted++;
                }
            }
        }

        UNIT_IS(accepted, 0, "every flipped bit of the raw token is rejected");

        /* a byte more or less, anywhere */

        accepted = 0;

        for (i = 0; i <= n; i++) {
            size_t  tl;
            u_char  longer[4096];

            ngx_memcpy(longer, raw, i);
            longer[i] = 0;
            ngx_memcpy(longer + i + 1, raw + i, n - i);
            tl = ngx_http_push_approval_base64url_encode(text, longer, n + 1);

            if (ngx_http_push_approval_unit_decode(&d, text, tl,
                    &ngx_http_push_approval_unit_secret, 1)
                == NGX_OK)
            {
                accepted++;
            }

            if (i == n) {
                break;
            }

            ngx_memcpy(longer, raw, i);
            ngx_memcpy(longer + i, raw + i + 1, n - i - 1);
            tl = ngx_http_push_approval_base64url_encode(text, longer, n - 1);

            if (ngx_http_push_approval_unit_decode(&d, text, tl,
                    &ngx_http_push_approval_unit_secret, 1)
                == NGX_OK)
            {
                accepted++;
            }
        }

        UNIT_IS(accepted, 0, "inserted or removed bytes are rejected");
    }

    truncated = 0;

    for (i = 0; i < len; i++) {
        if (ngx_http_push_approval_unit_decode(&d,
                ngx_http_push_approval_unit_text, i,
                &ngx_http_push_approval_unit_secret, 1)
            == NGX_OK)
        {
            truncated++;
        }
    }

    UNIT_IS(truncated, 0, "every truncation is rejected");

    ngx_memcpy(text, ngx_http_push_approval_unit_text, len);
    ngx_memcpy(text + len, "AAAA", 4);

    UNIT_OK(ngx_http_push_approval_unit_decode(&d, text, len + 4,
                &ngx_http_push_approval_unit_secret, 1)
            != NGX_OK, "appended text is rejected");

    UNIT_OK(ngx_http_push_approval_unit_decode(&d, (u_char *) "", 0,
                &ngx_http_push_approval_unit_secret, 1)
            != NGX_OK, "empty token is rejected");
}


static void
ngx_http_push_approval_unit_secrets(void)
{
    size_t                          len;
    ngx_str_t                       both[2];
    ngx_http_push_approval_token_t  t, d;

    ngx_http_push_approval_unit_sample(&t);

    len = ngx_http_push_approval_unit_sign(&t);

    UNIT_OK(ngx_http_push_approval_unit_decode(&d,
                ngx_http_push_approval_unit_text, len,
                &ngx_http_push_approval_unit_other, 1)
            != NGX_OK, "another secret rejects");

    both[0] = ngx_http_push_approval_unit_other;
    both[1] = ngx_http_push_approval_unit_secret;

    UNIT_IS(ngx_http_push_approval_unit_decode(&d,
                ngx_http_push_approval_unit_text, len, both, 2),
            NGX_OK, "rotation: the second line verifies");

    both[0] = ngx_http_push_approval_unit_secret;
    both[1] = ngx_http_push_approval_unit_other;

    UNIT_IS(ngx_http_push_approval_unit_decode(&d,
                ngx_http_push_approval_unit_text, len, both, 2),
            NGX_OK, "rotation: the first line verifies");

    UNIT_OK(ngx_http_push_approval_unit_decode(&d,
                ngx_http_push_approval_unit_text, len, both, 0)
            != NGX_OK, "no secret, no token");

    {
        ngx_str_t  prefix = ngx_http_push_approval_unit_secret;

        prefix.len--;

        UNIT_OK(ngx_http_push_approval_unit_decode(&d,
                    ngx_http_push_approval_unit_text, len, &prefix, 1)
                != NGX_OK, "a secret one byte shorter rejects");
    }
}


/* a token signed by us is still parsed strictly */

static void
ngx_http_push_approval_unit_fields(void)
{
    size_t                          len;
    ngx_http_push_approval_token_t  t, d;

    ngx_http_push_approval_unit_sample(&t);
    ngx_str_set(&t.return_uri, "//evil.example/");
    len = ngx_http_push_approval_unit_sign(&t);
    UNIT_OK(ngx_http_push_approval_unit_decode(&d,
                ngx_http_push_approval_unit_text, len,
                &ngx_http_push_approval_unit_secret, 1)
            != NGX_OK, "a signed //evil return URI is refused");

    ngx_http_push_approval_unit_sample(&t);
    ngx_str_set(&t.return_uri, "https://evil.example/");
    len = ngx_http_push_approval_unit_sign(&t);
    UNIT_OK(ngx_http_push_approval_unit_decode(&d,
                ngx_http_push_approval_unit_text, len,
                &ngx_http_push_approval_unit_secret, 1)
            != NGX_OK, "a signed absolute return URI is refused");

    ngx_http_push_approval_unit_sample(&t);
    ngx_str_null(&t.id);
    len = ngx_http_push_approval_unit_sign(&t);
    UNIT_OK(ngx_http_push_approval_unit_decode(&d,
                ngx_http_push_approval_unit_text, len,
                &ngx_http_push_approval_unit_secret, 1)
            != NGX_OK, "no approval id is refused");

    ngx_http_push_approval_unit_sample(&t);
    ngx_str_set(&t.identity, "0123456789012345678901234567890123456789"
                             "01234567890123456789012345");
    len = ngx_http_push_approval_unit_sign(&t);
    UNIT_OK(ngx_http_push_approval_unit_decode(&d,
                ngx_http_push_approval_unit_text, len,
                &ngx_http_push_approval_unit_secret, 1)
            != NGX_OK, "an identity over 64 bytes is refused");

    ngx_http_push_approval_unit_sample(&t);
    t.samesite = 7;
    len = ngx_http_push_approval_unit_sign(&t);
    UNIT_OK(ngx_http_push_approval_unit_decode(&d,
                ngx_http_push_approval_unit_text, len,
                &ngx_http_push_approval_unit_secret, 1)
            != NGX_OK, "an unknown samesite is refused");
}


static ngx_int_t
ngx_http_push_approval_unit_safe(char *in, char *want)
{
    ngx_str_t  uri;

    uri.data = (u_char *) in;
    uri.len = strlen(in);

    ngx_http_push_approval_safe_return(&uri);

    return uri.len == strlen(want)
           && ngx_memcmp(uri.data, want, uri.len) == 0;
}


static void
ngx_http_push_approval_unit_safe_return(void)
{
    static u_char  longer[4096];

    UNIT_OK(ngx_http_push_approval_unit_safe("/", "/"), "/");
    UNIT_OK(ngx_http_push_approval_unit_safe("/p/x?a=1&b=2", "/p/x?a=1&b=2"),
            "path and query kept");
    UNIT_OK(ngx_http_push_approval_unit_safe("/a//b", "/a//b"),
            "// later in the path is harmless");
    UNIT_OK(ngx_http_push_approval_unit_safe("/%2F%2Fevil", "/%2F%2Fevil"),
            "/%2F%2Fevil stays a path");
    UNIT_OK(ngx_http_push_approval_unit_safe("/%5Cevil", "/%5Cevil"),
            "/%5Cevil stays a path");
    UNIT_OK(ngx_http_push_approval_unit_safe("//evil", "/"), "//evil");
    UNIT_OK(ngx_http_push_approval_unit_safe("/\\evil", "/"), "/\\evil");
    UNIT_OK(ngx_http_push_approval_unit_safe("/\t/evil", "/"), "/\\t/evil");
    UNIT_OK(ngx_http_push_approval_unit_safe("/\r\nSet-Cookie:x", "/"),
            "CR LF");
    UNIT_OK(ngx_http_push_approval_unit_safe("/a b", "/"), "space");
    UNIT_OK(ngx_http_push_approval_unit_safe("/a\x7f", "/"), "DEL");
    UNIT_OK(ngx_http_push_approval_unit_safe("/\x01", "/"), "control");
    UNIT_OK(ngx_http_push_approval_unit_safe("https://evil/", "/"),
            "absolute URL");
    UNIT_OK(ngx_http_push_approval_unit_safe("evil", "/"), "relative");
    UNIT_OK(ngx_http_push_approval_unit_safe("\\\\evil", "/"), "\\\\evil");
    UNIT_OK(ngx_http_push_approval_unit_safe(" /x", "/"), "leading space");
    UNIT_OK(ngx_http_push_approval_unit_safe("", "/"), "empty");

    {
        ngx_str_t  uri;

        uri.data = (u_char *) "/x\0/evil";
        uri.len = sizeof("/x\0/evil") - 1;
        ngx_http_push_approval_safe_return(&uri);
        UNIT_MEM(uri.data, uri.len, "/", "NUL");

        ngx_memset(longer, 'a', sizeof(longer));
        longer[0] = '/';
        uri.data = longer;
        uri.len = sizeof(longer);
        ngx_http_push_approval_safe_return(&uri);
        UNIT_MEM(uri.data, uri.len, "/", "over 2048 bytes");
    }
}


int
main(void)
{
    ngx_http_push_approval_unit_round_trip();
    ngx_http_push_approval_unit_changes();
    ngx_http_push_approval_unit_secrets();
    ngx_http_push_approval_unit_fields();
    ngx_http_push_approval_unit_safe_return();

    return UNIT_DONE();
}
