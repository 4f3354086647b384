
/*
 * Copyright (C) push approval module developers
 *
 * Unit tests of ngx_http_push_approval_signature.c: the provider vectors
 * (provider-apis.md A1, A2, B1), URL and body variants, form decoding,
 * canonicalisation limits, and that every single-byte change of a signed
 * callback is rejected.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_push_approval.h"

#include "unit.h"


#define ngx_http_push_approval_unit_str(s)  { sizeof(s) - 1, (u_char *) s }


static char  ngx_http_push_approval_b1_body[] =
    "{\"authy_id\":1234567,\"device_uuid\":99,\"callback_action\":\"approval_"
    "request_status\",\"uuid\":\"0f3c2a10-5e2b-0137-9a1c-0a58a9feac02\",\"sta"
    "tus\":\"approved\",\"approval_request\":{\"transaction\":{\"details\":{"
    "\"User\":\"alice\",\"Path\":\"/admin/x y\"},\"hidden_details\":null,\"me"
    "ssage\":\"Access to example.org\",\"encrypted\":false,\"flagged\":false,"
    "\"status\":\"approved\",\"uuid\":\"0f3c2a10-5e2b-0137-9a1c-0a58a9feac02"
    "\",\"created_at_time\":1764000000},\"expiration_timestamp\":1764000060,"
    "\"logos\":[{\"res\":\"default\",\"url\":\"https://example.org/a.png\"},{"
    "\"res\":\"low\",\"url\":\"https://example.org/b.png\"}],\"app_id\":\"5f0"
    "0aa00bb11cc22dd33ee44\"},\"signature\":\"c2lnbmF0dXJlK2Jhc2U2NC89\",\"de"
    "vice\":{\"id\":99,\"os_type\":\"android\",\"city\":null}}";

static char  ngx_http_push_approval_b1_canonical[] =
    "approval_request%5Bapp_id%5D=5f00aa00bb11cc22dd33ee44&approval_request%5"
    "Bexpiration_timestamp%5D=1764000060&approval_request%5Blogos%5D%5B%5D%5B"
    "res%5D=default&approval_request%5Blogos%5D%5B%5D%5Burl%5D=https%3A%2F%2F"
    "example.org%2Fa.png&approval_request%5Blogos%5D%5B%5D%5Bres%5D=low&appro"
    "val_request%5Blogos%5D%5B%5D%5Burl%5D=https%3A%2F%2Fexample.org%2Fb.png&"
    "approval_request%5Btransaction%5D%5Bcreated_at_time%5D=1764000000&approv"
    "al_request%5Btransaction%5D%5Bdetails%5D%5BPath%5D=%2Fadmin%2Fx+y&approv"
    "al_request%5Btransaction%5D%5Bdetails%5D%5BUser%5D=alice&approval_reques"
    "t%5Btransaction%5D%5Bencrypted%5D=false&approval_request%5Btransaction%5"
    "D%5Bflagged%5D=false&approval_request%5Btransaction%5D%5Bhidden_details%"
    "5D=&approval_request%5Btransaction%5D%5Bmessage%5D=Access+to+example.org"
    "&approval_request%5Btransaction%5D%5Bstatus%5D=approved&approval_request"
    "%5Btransaction%5D%5Buuid%5D=0f3c2a10-5e2b-0137-9a1c-0a58a9feac02&authy_i"
    "d=1234567&callback_action=approval_request_status&device%5Bcity%5D=&devi"
    "ce%5Bid%5D=99&device%5Bos_type%5D=android&device_uuid=99&signature=c2lnb"
    "mF0dXJlK2Jhc2U2NC89&status=approved&uuid=0f3c2a10-5e2b-0137-9a1c-0a58a9f"
    "eac02";

static char  ngx_http_push_approval_b1_query[] =
    "authy_id=1234567&device_uuid=99&callback_action=approval_request_status&"
    "uuid=0f3c2a10-5e2b-0137-9a1c-0a58a9feac02&status=approved&approval_reque"
    "st%5Btransaction%5D%5Bdetails%5D%5BUser%5D=alice&approval_request%5Btran"
    "saction%5D%5Bdetails%5D%5BPath%5D=%2Fadmin%2Fx+y&approval_request%5Btran"
    "saction%5D%5Bhidden_details%5D=&approval_request%5Btransaction%5D%5Bmess"
    "age%5D=Access+to+example.org&approval_request%5Btransaction%5D%5Bencrypt"
    "ed%5D=false&approval_request%5Btransaction%5D%5Bflagged%5D=false&approva"
    "l_request%5Btransaction%5D%5Bstatus%5D=approved&approval_request%5Btrans"
    "action%5D%5Buuid%5D=0f3c2a10-5e2b-0137-9a1c-0a58a9feac02&approval_reques"
    "t%5Btransaction%5D%5Bcreated_at_time%5D=1764000000&approval_request%5Bex"
    "piration_timestamp%5D=1764000060&approval_request%5Blogos%5D%5B0%5D%5Bre"
    "s%5D=default&approval_request%5Blogos%5D%5B0%5D%5Burl%5D=https%3A%2F%2Fe"
    "xample.org%2Fa.png&approval_request%5Blogos%5D%5B1%5D%5Bres%5D=low&appro"
    "val_request%5Blogos%5D%5B1%5D%5Burl%5D=https%3A%2F%2Fexample.org%2Fb.png"
    "&approval_request%5Bapp_id%5D=5f00aa00bb11cc22dd33ee44&signature=c2lnbmF"
    "0dXJlK2Jhc2U2NC89&device%5Bid%5D=99&device%5Bos_type%5D=android&device%5"
    "Bcity%5D=";


static ngx_str_t  ngx_http_push_approval_a2_token =
    ngx_http_push_approval_unit_str("dev-vector-auth-token");
static ngx_str_t  ngx_http_push_approval_a2_url =
    ngx_http_push_approval_unit_str("https://gate.example.org/_push/callback");
static char  ngx_http_push_approval_a2_body[] =
    "account_sid=AC11111111111111111111111111111111"
    "&challenge_sid=YC44444444444444444444444444444444"
    "&entity_identity=alice-0001"
    "&factor_sid=YF33333333333333333333333333333333"
    "&factor_type=push"
    "&service_sid=VA22222222222222222222222222222222"
    "&type=challenge.approved&uuid=YW0123";

static ngx_str_t  ngx_http_push_approval_b1_key =
    ngx_http_push_approval_unit_str("dev-vector-api-key-0123456789abcd");
static ngx_str_t  ngx_http_push_approval_b1_nonce =
    ngx_http_push_approval_unit_str("1764000030");
static ngx_str_t  ngx_http_push_approval_b1_post =
    ngx_http_push_approval_unit_str("POST");
static ngx_str_t  ngx_http_push_approval_b1_sig =
    ngx_http_push_approval_unit_str(
        "epCBSxKXRynR8jLR+h1+NvHT/20qr/vcgkfayjm/yWA=");


static void ngx_http_push_approval_test_a1(void);
static void ngx_http_push_approval_test_a2(void);
static void ngx_http_push_approval_test_twilio_sort(void);
static void ngx_http_push_approval_test_twilio_ports(void);
static void ngx_http_push_approval_test_body_sha256(void);
static void ngx_http_push_approval_test_body_hash(void);
static void ngx_http_push_approval_test_percent(void);
static void ngx_http_push_approval_test_form(void);
static void ngx_http_push_approval_test_b1(void);
static void ngx_http_push_approval_test_b1_get(void);
static void ngx_http_push_approval_test_canonical(void);
static void ngx_http_push_approval_test_twilio_bytes(void);
static void ngx_http_push_approval_test_authy_bytes(void);
static ngx_int_t ngx_http_push_approval_unit_twilio(ngx_str_t *url,
    u_char *body, size_t len, ngx_str_t *sig);
static ngx_int_t ngx_http_push_approval_unit_authy(ngx_str_t *nonce,
    ngx_str_t *url, u_char *body, size_t len, ngx_str_t *sig);
static u_char ngx_http_push_approval_unit_change(u_char c, ngx_uint_t i);


int
main(void)
{
    ngx_http_push_approval_test_a1();
    ngx_http_push_approval_test_a2();
    ngx_http_push_approval_test_twilio_sort();
    ngx_http_push_approval_test_twilio_ports();
    ngx_http_push_approval_test_body_sha256();
    ngx_http_push_approval_test_body_hash();
    ngx_http_push_approval_test_percent();
    ngx_http_push_approval_test_form();
    ngx_http_push_approval_test_b1();
    ngx_http_push_approval_test_b1_get();
    ngx_http_push_approval_test_canonical();
    ngx_http_push_approval_test_twilio_bytes();
    ngx_http_push_approval_test_authy_bytes();

    return UNIT_DONE();
}


static void
ngx_http_push_approval_test_a1(void)
{
    u_char                          sig[28];
    ngx_str_t                       s;
    ngx_http_push_approval_param_t  p[5];

    ngx_str_t  token = ngx_http_push_approval_unit_str("12345");
    ngx_str_t  url = ngx_http_push_approval_unit_str(
                         "https://mycompany.com/myapp.php?foo=1&bar=2");

    /* given unsorted: sign must sort */

    ngx_str_set(&p[0].name, "To");
    ngx_str_set(&p[0].value, "+18005551212");
    ngx_str_set(&p[1].name, "Caller");
    ngx_str_set(&p[1].value, "+14158675309");
    ngx_str_set(&p[2].name, "Digits");
    ngx_str_set(&p[2].value, "1234");
    ngx_str_set(&p[3].name, "From");
    ngx_str_set(&p[3].value, "+14158675309");
    ngx_str_set(&p[4].name, "CallSid");
    ngx_str_set(&p[4].value, "CA1234567890ABCDE");

    UNIT_IS(ngx_http_push_approval_twilio_sign(&token, &url, p, 5, sig),
            NGX_OK, "A1 sign");
    UNIT_MEM(sig, 28, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", "A1 signature");

    ngx_str_set(&s, "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
    UNIT_IS(ngx_http_push_approval_twilio_check(&token, &url, p, 5, NULL, &s),
            NGX_OK, "A1 check");

    ngx_str_set(&s, "RSOYDt4T1cUTdK1PDd93/VVr8B8");
    UNIT_IS(ngx_http_push_approval_twilio_check(&token, &url, p, 5, NULL, &s),
            NGX_DECLINED, "A1 short signature");

    ngx_str_set(&s, "RSOYDt4T1cUTdK1PDd93/VVr8B8==");
    UNIT_IS(ngx_http_push_approval_twilio_check(&token, &url, p, 5, NULL, &s),
            NGX_DECLINED, "A1 long signature");

    UNIT_IS(ngx_http_push_approval_twilio_check(&token, &url, p, 5, NULL,
                                                NULL),
            NGX_DECLINED, "A1 no signature");

    ngx_str_set(&token, "12346");
    ngx_str_set(&s, "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
    UNIT_IS(ngx_http_push_approval_twilio_check(&token, &url, p, 5, NULL, &s),
            NGX_DECLINED, "A1 other token");

    ngx_str_set(&token, "12345");
    UNIT_IS(ngx_http_push_approval_twilio_check(&token, &url, p, 4, NULL, &s),
            NGX_DECLINED, "A1 missing param");
}


static void
ngx_http_push_approval_test_a2(void)
{
    u_char                          sig[28], scratch[512];
    ngx_int_t                       n;
    ngx_str_t                       s;
    ngx_http_push_approval_param_t  p[16];

    n = ngx_http_push_approval_form_parse(
            (u_char *) ngx_http_push_approval_a2_body,
            sizeof(ngx_http_push_approval_a2_body) - 1, scratch, p, 16);

    UNIT_IS(n, 8, "A2 form params");

    UNIT_IS(ngx_http_push_approval_twilio_sign(
                &ngx_http_push_approval_a2_token,
                &ngx_http_push_approval_a2_url, p, n, sig),
            NGX_OK, "A2 sign");
    UNIT_MEM(sig, 28, "SN1NWrXbktc2LS02LnpcvLta8mw=", "A2 signature");

    ngx_str_set(&s, "SN1NWrXbktc2LS02LnpcvLta8mw=");
    UNIT_IS(ngx_http_push_approval_twilio_check(
                &ngx_http_push_approval_a2_token,
                &ngx_http_push_approval_a2_url, p, n, NULL, &s),
            NGX_OK, "A2 check");
}


static void
ngx_http_push_approval_test_twilio_sort(void)
{
    u_char                          sig[28];
    ngx_str_t                       s;
    ngx_http_push_approval_param_t  p[4];

    ngx_str_t  token = ngx_http_push_approval_unit_str("k");
    ngx_str_t  url = ngx_http_push_approval_unit_str("https://x.test/cb");

    /* bytewise: "B" < "a"; a repeated name sorted by value */

    ngx_str_set(&p[0].name, "b");
    ngx_str_set(&p[0].value, "1");
    ngx_str_set(&p[1].name, "a");
    ngx_str_set(&p[1].value, "2");
    ngx_str_set(&p[2].name, "B");
    ngx_str_set(&p[2].value, "2");
    ngx_str_set(&p[3].name, "a");
    ngx_str_set(&p[3].value, "1");

    UNIT_IS(ngx_http_push_approval_twilio_sign(&token, &url, p, 4, sig),
            NGX_OK, "sort sign");
    UNIT_MEM(sig, 28, "J/gIlt0qMKAp/zvN+u9E+liVfLY=", "sort signature");

    ngx_str_set(&s, "J/gIlt0qMKAp/zvN+u9E+liVfLY=");
    UNIT_IS(ngx_http_push_approval_twilio_check(&token, &url, p, 4, NULL, &s),
            NGX_OK, "sort check");
}


static void
ngx_http_push_approval_test_twilio_ports(void)
{
    u_char                          sig[28], scratch[512];
    ngx_int_t                       n;
    ngx_str_t                       s, a, b;
    ngx_uint_t                      i;
    ngx_http_push_approval_param_t  p[16];

    static struct {
        char       *signed_url;
        char       *url;
        ngx_int_t   rc;
    } cases[] = {
        { "https://gate.example.org:443/_push/callback",
          "https://gate.example.org/_push/callback", NGX_OK },
        { "https://gate.example.org/_push/callback",
          "https://gate.example.org:443/_push/callback", NGX_OK },
        { "http://gate.example.org:80/cb?a=1",
          "http://gate.example.org/cb?a=1", NGX_OK },
        { "http://gate.example.org/cb?a=1",
          "http://gate.example.org:80/cb?a=1", NGX_OK },
        { "https://gate.example.org:443",
          "https://gate.example.org", NGX_OK },
        { "https://gate.example.org?x=1",
          "https://gate.example.org:443?x=1", NGX_OK },
        { "HTTPS://gate.example.org/cb",
          "HTTPS://gate.example.org:443/cb", NGX_OK },
        { "https://[::1]/cb", "https://[::1]:443/cb", NGX_OK },
        { "https://[::1]:443/cb", "https://[::1]/cb", NGX_OK },

        /* without any port, as Twilio's own validators try it */
        { "https://gate.example.org/cb",
          "https://gate.example.org:8443/cb", NGX_OK },
        { "http://gate.example.org/cb?a=1",
          "http://gate.example.org:8080/cb?a=1", NGX_OK },
        { "https://[::1]/cb", "https://[::1]:8443/cb", NGX_OK },
        { "https://gate.example.org:8444/cb",
          "https://gate.example.org:8443/cb", NGX_DECLINED },
        { "https://gate.example.org/cb",
          "https://gate.example.org:84x3/cb", NGX_DECLINED },

        /* a default port is added only for the scheme's own */
        { "https://gate.example.org:80/cb",
          "https://gate.example.org/cb", NGX_DECLINED },
        { "http://gate.example.org:443/cb",
          "http://gate.example.org/cb", NGX_DECLINED },
        { "https://gate.example.org:8443/cb",
          "https://gate.example.org/cb", NGX_DECLINED },
        { "https://gate.example.org:4430/cb",
          "https://gate.example.org:443/cb", NGX_DECLINED },
        { "https://gate.example.org/cb",
          "https://gate.example.org/cb:443", NGX_DECLINED },
        { "https://gate.example.org/cb",
          "http://gate.example.org/cb", NGX_DECLINED },
        { "https://gate.example.org/cb",
          "https://gate.example.org:443:443/cb", NGX_DECLINED },
    };

    n = ngx_http_push_approval_form_parse(
            (u_char *) ngx_http_push_approval_a2_body,
            sizeof(ngx_http_push_approval_a2_body) - 1, scratch, p, 16);

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        a.data = (u_char *) cases[i].signed_url;
        a.len = strlen(cases[i].signed_url);
        b.data = (u_char *) cases[i].url;
        b.len = strlen(cases[i].url);

        (void) ngx_http_push_approval_twilio_sign(
                   &ngx_http_push_approval_a2_token, &a, p, n, sig);

        s.data = sig;
        s.len = 28;

        UNIT_IS(ngx_http_push_approval_twilio_check(
                    &ngx_http_push_approval_a2_token, &b, p, n, NULL, &s),
                cases[i].rc, cases[i].url);
    }
}


static void
ngx_http_push_approval_test_body_sha256(void)
{
    u_char                          body[128];
    ngx_str_t                       b, s, u;
    ngx_http_push_approval_param_t  p[1];

    ngx_str_t  url = ngx_http_push_approval_unit_str(
        "https://gate.example.org/_push/callback?bodySHA256="
        "cca1e08a1d174205ae3b6099f35a7021940c5c9d7fe41df35c3ddbc6eeb1783a");
    ngx_str_t  sig = ngx_http_push_approval_unit_str(
        "u67JG+aJgIfxTcunO4T3BlqMHuE=");
    static char  json[] =
        "{\"type\":\"challenge.approved\",\"challenge_sid\":"
        "\"YC44444444444444444444444444444444\",\"uuid\":\"YW9\"}";

    b.data = body;
    b.len = sizeof(json) - 1;
    memcpy(body, json, b.len);

    UNIT_IS(ngx_http_push_approval_twilio_check(
                &ngx_http_push_approval_a2_token, &url, NULL, 0, &b, &sig),
            NGX_OK, "bodySHA256 check");

    /* params are not part of the signed string in this variant */

    ngx_str_set(&p[0].name, "type");
    ngx_str_set(&p[0].value, "challenge.denied");
    UNIT_IS(ngx_http_push_approval_twilio_check(
                &ngx_http_push_approval_a2_token, &url, p, 1, &b, &sig),
            NGX_OK, "bodySHA256 ignores params");

    UNIT_IS(ngx_http_push_approval_twilio_check(
                &ngx_http_push_approval_a2_token, &url, NULL, 0, NULL, &sig),
            NGX_DECLINED, "bodySHA256 without body");

    body[10] ^= 1;
    UNIT_IS(ngx_http_push_approval_twilio_check(
                &ngx_http_push_approval_a2_token, &url, NULL, 0, &b, &sig),
            NGX_DECLINED, "bodySHA256 changed body");
    body[10] ^= 1;

    b.len--;
    UNIT_IS(ngx_http_push_approval_twilio_check(
                &ngx_http_push_approval_a2_token, &url, NULL, 0, &b, &sig),
            NGX_DECLINED, "bodySHA256 truncated body");
    b.len++;

    /* the hash is signed with the URL: a URL for another body fails */

    ngx_str_set(&u, "https://gate.example.org/_push/callback?bodySHA256="
        "cca1e08a1d174205ae3b6099f35a7021940c5c9d7fe41df35c3ddbc6eeb1783b");
    UNIT_IS(ngx_http_push_approval_twilio_check(
                &ngx_http_push_approval_a2_token, &u, NULL, 0, &b, &sig),
            NGX_DECLINED, "bodySHA256 other hash");

    ngx_str_set(&u, "https://gate.example.org/_push/callback?bodySHA256="
        "CCA1E08A1D174205AE3B6099F35A7021940C5C9D7FE41DF35C3DDBC6EEB1783A");
    UNIT_IS(ngx_http_push_approval_twilio_check(
                &ngx_http_push_approval_a2_token, &u, NULL, 0, &b, &sig),
            NGX_DECLINED, "bodySHA256 upper case");

    ngx_str_set(&u, "https://gate.example.org:443/_push/callback?bodySHA256="
        "cca1e08a1d174205ae3b6099f35a7021940c5c9d7fe41df35c3ddbc6eeb1783a");
    UNIT_IS(ngx_http_push_approval_twilio_check(
                &ngx_http_push_approval_a2_token, &u, NULL, 0, &b, &sig),
            NGX_OK, "bodySHA256 default port");

    ngx_str_set(&s, "u67JG+aJgIfxTcunO4T3BlqMHuF=");
    UNIT_IS(ngx_http_push_approval_twilio_check(
                &ngx_http_push_approval_a2_token, &url, NULL, 0, &b, &s),
            NGX_DECLINED, "bodySHA256 changed signature");
}


/* the one lookup of bodySHA256 (callback.c asks it too) */

static void
ngx_http_push_approval_test_body_hash(void)
{
    ngx_str_t  u, h;

    ngx_str_set(&u, "https://g.example/cb?a=1&bodySHA256=ab12&z=2");
    UNIT_IS(ngx_http_push_approval_body_hash(&u, &h), NGX_OK,
            "bodySHA256 among params");
    UNIT_MEM(h.data, h.len, "ab12", "bodySHA256 value");

    ngx_str_set(&u, "https://g.example/cb?bodySHA256=");
    UNIT_IS(ngx_http_push_approval_body_hash(&u, &h), NGX_OK,
            "bodySHA256 empty");
    UNIT_IS(h.len, 0, "bodySHA256 empty value");

    ngx_str_set(&u, "https://g.example/cb?bodySHA256");
    UNIT_IS(ngx_http_push_approval_body_hash(&u, &h), NGX_DECLINED,
            "bodySHA256 without '='");
    ngx_str_set(&u, "https://g.example/cb?xbodySHA256=1");
    UNIT_IS(ngx_http_push_approval_body_hash(&u, &h), NGX_DECLINED,
            "another name");
    ngx_str_set(&u, "https://g.example/cb#?bodySHA256=1");
    UNIT_IS(ngx_http_push_approval_body_hash(&u, &h), NGX_DECLINED,
            "in the fragment");
    ngx_str_set(&u, "https://g.example/bodySHA256=1");
    UNIT_IS(ngx_http_push_approval_body_hash(&u, &h), NGX_DECLINED,
            "no query");
}


/* the one percent-encoder: forms to the provider (%20), Authy ('+') */

static void
ngx_http_push_approval_test_percent(void)
{
    u_char  out[64], *p;

    static u_char  in[] = "aZ09-_.~ /+=&\xc3\xa9\x01";

    p = ngx_http_push_approval_percent_encode(out, in, sizeof(in) - 1, 0);
    UNIT_MEM(out, p - out, "aZ09-_.~%20%2F%2B%3D%26%C3%A9%01",
             "percent-encoding, space as %20");

    p = ngx_http_push_approval_percent_encode(out, in, sizeof(in) - 1, 1);
    UNIT_MEM(out, p - out, "aZ09-_.~+%2F%2B%3D%26%C3%A9%01",
             "percent-encoding, space as '+'");

    p = ngx_http_push_approval_percent_encode(out, in, 0, 1);
    UNIT_IS(p - out, 0, "percent-encoding of nothing");
}


static void
ngx_http_push_approval_test_form(void)
{
    u_char                          scratch[256];
    ngx_int_t                       n;
    ngx_uint_t                      i;
    ngx_http_push_approval_param_t  p[8];

    static char  *bad[] = {
        "%", "a=%", "a=%4", "a=%4g", "a=%g4", "a=b%", "%zz=1", "a=1&b=%%41",
        "a=%ff", "a=%c3", "a=%c3%28", "a=%e2%82", "a=%ed%a0%80",
        "a=%c0%af", "a=%f8%88%80%80%80", "a=%f4%90%80%80", "%80=1",
        "a=\xff", "a=\xc3", NULL
    };

    n = ngx_http_push_approval_form_parse((u_char *) "a=1&b=x+y&c=%41%2b%2B",
                                          21, scratch, p, 8);
    UNIT_IS(n, 3, "form three");
    UNIT_MEM(p[0].name.data, p[0].name.len, "a", "form name");
    UNIT_MEM(p[0].value.data, p[0].value.len, "1", "form value");
    UNIT_MEM(p[1].value.data, p[1].value.len, "x y", "form plus");
    UNIT_MEM(p[2].value.data, p[2].value.len, "A++", "form escapes");

    n = ngx_http_push_approval_form_parse((u_char *) "", 0, scratch, p, 8);
    UNIT_IS(n, 0, "form empty");

    n = ngx_http_push_approval_form_parse((u_char *) "&&a&=v&b=c=d&", 13,
                                          scratch, p, 8);
    UNIT_IS(n, 3, "form odd pairs");
    UNIT_MEM(p[0].name.data, p[0].name.len, "a", "form bare name");
    UNIT_MEM(p[0].value.data, p[0].value.len, "", "form bare value");
    UNIT_MEM(p[1].name.data, p[1].name.len, "", "form empty name");
    UNIT_MEM(p[1].value.data, p[1].value.len, "v", "form empty name value");
    UNIT_MEM(p[2].name.data, p[2].name.len, "b", "form second =");
    UNIT_MEM(p[2].value.data, p[2].value.len, "c=d", "form second = value");

    n = ngx_http_push_approval_form_parse((u_char *) "k%5B0%5D=%C3%A9&k=",
                                          18, scratch, p, 8);
    UNIT_IS(n, 2, "form utf-8");
    UNIT_MEM(p[0].name.data, p[0].name.len, "k[0]", "form brackets");
    UNIT_MEM(p[0].value.data, p[0].value.len, "\xc3\xa9", "form utf-8 value");

    n = ngx_http_push_approval_form_parse((u_char *) "a=%00", 5, scratch, p,
                                          8);
    UNIT_IS(n, 1, "form nul");
    UNIT_IS(p[0].value.len, 1, "form nul length");

    n = ngx_http_push_approval_form_parse((u_char *) "a=1&b=2&c=3", 11,
                                          scratch, p, 3);
    UNIT_IS(n, 3, "form at max");

    n = ngx_http_push_approval_form_parse((u_char *) "a=1&b=2&c=3&d", 13,
                                          scratch, p, 3);
    UNIT_IS(n, NGX_ERROR, "form over max");

    n = ngx_http_push_approval_form_parse((u_char *) "a=1", 3, scratch, p, 0);
    UNIT_IS(n, NGX_ERROR, "form max 0");

    for (i = 0; bad[i]; i++) {
        n = ngx_http_push_approval_form_parse((u_char *) bad[i],
                                              strlen(bad[i]), scratch, p, 8);
        UNIT_IS(n, NGX_ERROR, bad[i]);
    }

    /* not NUL-terminated: a '%' at the very end of the buffer */

    memcpy(scratch + 128, "a=%41", 5);
    n = ngx_http_push_approval_form_parse(scratch + 128, 4, scratch, p, 8);
    UNIT_IS(n, NGX_ERROR, "form escape at end");
}


static void
ngx_http_push_approval_test_b1(void)
{
    u_char     buf[16384], sig[44];
    ssize_t    len;
    ngx_str_t  canonical;

    len = ngx_http_push_approval_authy_canonical_json(
              (u_char *) ngx_http_push_approval_b1_body,
              sizeof(ngx_http_push_approval_b1_body) - 1, buf, sizeof(buf));

    UNIT_MEM(buf, len < 0 ? 0 : len, ngx_http_push_approval_b1_canonical,
             "B1 canonical string");

    canonical.data = buf;
    canonical.len = len < 0 ? 0 : len;

    UNIT_IS(ngx_http_push_approval_authy_sign(
                &ngx_http_push_approval_b1_key,
                &ngx_http_push_approval_b1_nonce,
                &ngx_http_push_approval_b1_post,
                &ngx_http_push_approval_a2_url, &canonical, sig),
            NGX_OK, "B1 sign");
    UNIT_MEM(sig, 44, "epCBSxKXRynR8jLR+h1+NvHT/20qr/vcgkfayjm/yWA=",
             "B1 signature");

    UNIT_IS(ngx_http_push_approval_authy_check(
                &ngx_http_push_approval_b1_key,
                &ngx_http_push_approval_b1_nonce,
                &ngx_http_push_approval_b1_post,
                &ngx_http_push_approval_a2_url, &canonical,
                &ngx_http_push_approval_b1_sig),
            NGX_OK, "B1 check");

    /* the query string is not part of the signed URL */
    {
        ngx_str_t  u = ngx_http_push_approval_unit_str(
                           "https://gate.example.org/_push/callback?x=1");

        UNIT_IS(ngx_http_push_approval_authy_check(
                    &ngx_http_push_approval_b1_key,
                    &ngx_http_push_approval_b1_nonce,
                    &ngx_http_push_approval_b1_post, &u, &canonical,
                    &ngx_http_push_approval_b1_sig),
                NGX_OK, "B1 check ignores query");
    }

    {
        ngx_str_t  m = ngx_http_push_approval_unit_str("GET");

        UNIT_IS(ngx_http_push_approval_authy_check(
                    &ngx_http_push_approval_b1_key,
                    &ngx_http_push_approval_b1_nonce, &m,
                    &ngx_http_push_approval_a2_url, &canonical,
                    &ngx_http_push_approval_b1_sig),
                NGX_DECLINED, "B1 other method");
    }

    UNIT_IS(ngx_http_push_approval_authy_check(
                &ngx_http_push_approval_b1_key,
                &ngx_http_push_approval_b1_nonce,
                &ngx_http_push_approval_b1_post,
                &ngx_http_push_approval_a2_url, &canonical, NULL),
            NGX_DECLINED, "B1 no signature");

    /* too small a buffer fails cleanly, the exact size works */

    len = ngx_http_push_approval_authy_canonical_json(
              (u_char *) ngx_http_push_approval_b1_body,
              sizeof(ngx_http_push_approval_b1_body) - 1, buf, 600);
    UNIT_IS(len, -1, "B1 small buffer");
}


static void
ngx_http_push_approval_test_b1_get(void)
{
    u_char                          buf[16384], scratch[4096];
    ssize_t                         len;
    ngx_int_t                       n;
    ngx_str_t                       canonical, m, u;
    ngx_http_push_approval_param_t  p[64];

    n = ngx_http_push_approval_form_parse(
            (u_char *) ngx_http_push_approval_b1_query,
            sizeof(ngx_http_push_approval_b1_query) - 1, scratch, p, 64);
    UNIT_IS(n, 24, "B1 query params");

    len = ngx_http_push_approval_authy_canonical_params(p, n, buf,
                                                        sizeof(buf));
    UNIT_MEM(buf, len < 0 ? 0 : len, ngx_http_push_approval_b1_canonical,
             "B1 canonical from query");

    canonical.data = buf;
    canonical.len = len < 0 ? 0 : len;

    ngx_str_set(&m, "GET");
    ngx_str_set(&u, "https://gate.example.org/_push/callback?authy_id=1");

    /* same canonical string, signed for GET */
    {
        u_char     sig[44];
        ngx_str_t  s;

        (void) ngx_http_push_approval_authy_sign(
                   &ngx_http_push_approval_b1_key,
                   &ngx_http_push_approval_b1_nonce, &m, &u, &canonical,
                   sig);

        s.data = sig;
        s.len = 44;

        UNIT_IS(ngx_http_push_approval_authy_check(
                    &ngx_http_push_approval_b1_key,
                    &ngx_http_push_approval_b1_nonce, &m,
                    &ngx_http_push_approval_a2_url, &canonical, &s),
                NGX_OK, "B1 GET check");
    }

    len = ngx_http_push_approval_authy_canonical_params(p, 0, buf,
                                                        sizeof(buf));
    UNIT_IS(len, 0, "no params");
}


static void
ngx_http_push_approval_test_canonical(void)
{
    u_char      buf[8192], json[256];
    size_t      n;
    ssize_t     len;
    ngx_uint_t  i;

    static struct {
        char  *json;
        char  *canonical;
    } good[] = {
        { "{}", "" },
        { " { } ", "" },
        { "{\"a\":{},\"b\":[],\"c\":[[],{}],\"d\":{\"e\":{}}}", "" },
        { "{\"a\":null,\"b\":true,\"c\":false}", "a=&b=true&c=false" },
        { "{\"n\":-1.50e+3,\"m\":0,\"big\":123456789012345678901234567890}",
          "big=123456789012345678901234567890&m=0&n=-1.50e%2B3" },
        { "{\"k y\":\"a+b&c=d\"}", "k+y=a%2Bb%26c%3Dd" },
        { "{\"u\":\"\\u00e9\\n~\"}", "u=%C3%A9%0A~" },
        { "{\"a\":[1,[2,3],{\"b\":4}]}",
          "a%5B%5D=1&a%5B%5D%5B%5D=2&a%5B%5D%5B%5D=3&a%5B%5D%5Bb%5D=4" },
        { "{\"a\":[{},5]}", "a%5B%5D=5" },
        { "{\"z\":1,\"a\":1,\"Z\":1,\"a\":0}", "Z=1&a=0&a=1&z=1" },
        { "{\"v\":\"[12]\",\"w\":\"%5B1%5D\"}", "v=%5B%5D&w=%255B1%255D" },
        { "{\"a[0]\":1}", "a%5B%5D=1" },
        { "{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":{\"i\":"
          "{\"j\":{\"k\":{\"l\":{\"m\":{\"n\":{\"o\":{\"p\":1}}}}}}}}}}}}}}}}",
          "a%5Bb%5D%5Bc%5D%5Bd%5D%5Be%5D%5Bf%5D%5Bg%5D%5Bh%5D%5Bi%5D%5Bj%5D"
          "%5Bk%5D%5Bl%5D%5Bm%5D%5Bn%5D%5Bo%5D%5Bp%5D=1" },
    };

    static char  *bad[] = {
        "", " ", "[]", "[1]", "\"s\"", "1", "null", "{", "{\"a\":}",
        "{\"a\":1}x", "{\"a\":1}{}", "{\"a\":1,}", "{'a':1}",
        "{\"a\":\"\xff\"}", "{\"\xc3\":1}", "{\"a\":\"\xed\xa0\x80\"}",
        "{\"a\":1 /* c */}", "{\"a\":01}", "{\"a\":\"\xc0\xaf\"}",
        "{\"a\":\"\xf4\x90\x80\x80\"}", "{\"\xed\xb0\x80\":1}",
        "{\"a\":\"\x01\"}",
        "{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":{\"i\":"
        "{\"j\":{\"k\":{\"l\":{\"m\":{\"n\":{\"o\":{\"p\":{}}}}}}}}}}}}}}}}}",
        "{\"a\":[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]}",
        NULL
    };

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        len = ngx_http_push_approval_authy_canonical_json(
                  (u_char *) good[i].json, strlen(good[i].json), buf,
                  sizeof(buf));
        UNIT_MEM(buf, len < 0 ? 0 : len, good[i].canonical, good[i].json);
        UNIT_OK(len >= 0, good[i].json);
    }

    for (i = 0; bad[i]; i++) {
        len = ngx_http_push_approval_authy_canonical_json(
                  (u_char *) bad[i], strlen(bad[i]), buf, sizeof(buf));
        UNIT_IS(len, -1, bad[i]);
    }

    /* not NUL-terminated input */

    memcpy(json, "{\"a\":1}}}}", 10);
    len = ngx_http_push_approval_authy_canonical_json(json, 7, buf,
                                                      sizeof(buf));
    UNIT_MEM(buf, len < 0 ? 0 : len, "a=1", "length bounded");

    /* more values than the pair limit */
    {
        static u_char  many[8192];
        static u_char  out[65536];

        n = 0;
        many[n++] = '{';
        many[n++] = '"';
        many[n++] = 'a';
        many[n++] = '"';
        many[n++] = ':';
        many[n++] = '[';

        for (i = 0; i < 600; i++) {
            if (i) {
                many[n++] = ',';
            }
            many[n++] = '1';
        }

        many[n++] = ']';
        many[n++] = '}';

        len = ngx_http_push_approval_authy_canonical_json(many, n, out,
                                                          sizeof(out));
        UNIT_IS(len, -1, "too many values");

        /* 512 is fine */
        n = 6 + 2 * 512 - 1;
        many[n++] = ']';
        many[n++] = '}';

        len = ngx_http_push_approval_authy_canonical_json(many, n, out,
                                                          sizeof(out));
        UNIT_IS(len, 512 * 10 - 1, "512 values");
    }

    /* every buffer size: either exact or -1, never an overrun */
    {
        size_t   size;
        u_char  *small;

        for (size = 0; size < 2400; size += 7) {
            small = malloc(size ? size : 1);
            len = ngx_http_push_approval_authy_canonical_json(
                      (u_char *) ngx_http_push_approval_b1_body,
                      sizeof(ngx_http_push_approval_b1_body) - 1, small,
                      size);

            if (len != -1) {
                UNIT_MEM(small, len, ngx_http_push_approval_b1_canonical,
                         "sized buffer");
            }

            free(small);
        }
    }
}


/* every single-byte change of a Verify callback is rejected */

static void
ngx_http_push_approval_test_twilio_bytes(void)
{
    u_char      body[512], url[256], s[28], c;
    size_t      len;
    ngx_str_t   u, sig;
    ngx_uint_t  i, k, ok;

    len = sizeof(ngx_http_push_approval_a2_body) - 1;
    memcpy(body, ngx_http_push_approval_a2_body, len);
    memcpy(url, ngx_http_push_approval_a2_url.data,
           ngx_http_push_approval_a2_url.len);

    u.data = url;
    u.len = ngx_http_push_approval_a2_url.len;

    memcpy(s, "SN1NWrXbktc2LS02LnpcvLta8mw=", 28);
    sig.data = s;
    sig.len = 28;

    UNIT_IS(ngx_http_push_approval_unit_twilio(&u, body, len, &sig), NGX_OK,
            "A2 from the form body");

    ok = 1;

    for (i = 0; i < len; i++) {
        for (k = 0; k < 4; k++) {
            c = body[i];
            body[i] = ngx_http_push_approval_unit_change(c, k);

            if (ngx_http_push_approval_unit_twilio(&u, body, len, &sig)
                != NGX_DECLINED)
            {
                printf("    body byte %u -> 0x%02x accepted\n",
                       (unsigned) i, body[i]);
                ok = 0;
            }

            body[i] = c;
        }
    }

    UNIT_OK(ok, "Verify: every changed body byte rejected");

    ok = 1;

    for (i = 0; i < u.len; i++) {
        for (k = 0; k < 4; k++) {
            c = url[i];
            url[i] = ngx_http_push_approval_unit_change(c, k);

            if (ngx_http_push_approval_unit_twilio(&u, body, len, &sig)
                != NGX_DECLINED)
            {
                printf("    url byte %u -> 0x%02x accepted\n",
                       (unsigned) i, url[i]);
                ok = 0;
            }

            url[i] = c;
        }
    }

    UNIT_OK(ok, "Verify: every changed URL byte rejected");

    ok = 1;

    for (i = 0; i < 28; i++) {
        for (k = 0; k < 4; k++) {
            c = s[i];
            s[i] = ngx_http_push_approval_unit_change(c, k);

            if (ngx_http_push_approval_unit_twilio(&u, body, len, &sig)
                != NGX_DECLINED)
            {
                printf("    signature byte %u -> 0x%02x accepted\n",
                       (unsigned) i, s[i]);
                ok = 0;
            }

            s[i] = c;
        }
    }

    UNIT_OK(ok, "Verify: every changed signature byte rejected");

    /* dropped or added bytes */

    UNIT_IS(ngx_http_push_approval_unit_twilio(&u, body, len - 1, &sig),
            NGX_DECLINED, "Verify: truncated body");

    body[len] = '&';
    UNIT_IS(ngx_http_push_approval_unit_twilio(&u, body, len + 1, &sig),
            NGX_OK,
            "Verify: an empty trailing pair is no parameter");

    body[len] = 'x';
    UNIT_IS(ngx_http_push_approval_unit_twilio(&u, body, len + 1, &sig),
            NGX_DECLINED, "Verify: extended body");

    u.len--;
    UNIT_IS(ngx_http_push_approval_unit_twilio(&u, body, len, &sig),
            NGX_DECLINED, "Verify: truncated URL");
    u.len++;

    url[u.len] = '/';
    u.len++;
    UNIT_IS(ngx_http_push_approval_unit_twilio(&u, body, len, &sig),
            NGX_DECLINED, "Verify: extended URL");
    u.len--;

    sig.len--;
    UNIT_IS(ngx_http_push_approval_unit_twilio(&u, body, len, &sig),
            NGX_DECLINED, "Verify: truncated signature");
    sig.len++;
}


/* every single-byte change of an Authy callback is rejected */

static void
ngx_http_push_approval_test_authy_bytes(void)
{
    u_char      body[2048], url[256], nonce[16], s[44], c;
    size_t      len;
    ngx_str_t   u, sig, no;
    ngx_uint_t  i, k, ok;

    len = sizeof(ngx_http_push_approval_b1_body) - 1;
    memcpy(body, ngx_http_push_approval_b1_body, len);
    memcpy(url, ngx_http_push_approval_a2_url.data,
           ngx_http_push_approval_a2_url.len);
    memcpy(nonce, ngx_http_push_approval_b1_nonce.data,
           ngx_http_push_approval_b1_nonce.len);
    memcpy(s, ngx_http_push_approval_b1_sig.data, 44);

    u.data = url;
    u.len = ngx_http_push_approval_a2_url.len;
    no.data = nonce;
    no.len = ngx_http_push_approval_b1_nonce.len;
    sig.data = s;
    sig.len = 44;

    UNIT_IS(ngx_http_push_approval_unit_authy(&no, &u, body, len, &sig),
            NGX_OK, "B1 from the body");

    ok = 1;

    for (i = 0; i < len; i++) {
        for (k = 0; k < 4; k++) {
            c = body[i];
            body[i] = ngx_http_push_approval_unit_change(c, k);

            if (ngx_http_push_approval_unit_authy(&no, &u, body, len, &sig)
                != NGX_DECLINED)
            {
                printf("    body byte %u -> 0x%02x accepted\n",
                       (unsigned) i, body[i]);
                ok = 0;
            }

            body[i] = c;
        }
    }

    UNIT_OK(ok, "Authy: every changed body byte rejected");

    ok = 1;

    for (i = 0; i < u.len; i++) {
        for (k = 0; k < 4; k++) {
            c = url[i];
            url[i] = ngx_http_push_approval_unit_change(c, k);

            if (ngx_http_push_approval_unit_authy(&no, &u, body, len, &sig)
                != NGX_DECLINED)
            {
                printf("    url byte %u -> 0x%02x accepted\n",
                       (unsigned) i, url[i]);
                ok = 0;
            }

            url[i] = c;
        }
    }

    UNIT_OK(ok, "Authy: every changed URL byte rejected");

    ok = 1;

    for (i = 0; i < no.len; i++) {
        for (k = 0; k < 4; k++) {
            c = nonce[i];
            nonce[i] = ngx_http_push_approval_unit_change(c, k);

            if (ngx_http_push_approval_unit_authy(&no, &u, body, len, &sig)
                != NGX_DECLINED)
            {
                printf("    nonce byte %u -> 0x%02x accepted\n",
                       (unsigned) i, nonce[i]);
                ok = 0;
            }

            nonce[i] = c;
        }
    }

    UNIT_OK(ok, "Authy: every changed nonce byte rejected");

    ok = 1;

    for (i = 0; i < 44; i++) {
        for (k = 0; k < 4; k++) {
            c = s[i];
            s[i] = ngx_http_push_approval_unit_change(c, k);

            if (ngx_http_push_approval_unit_authy(&no, &u, body, len, &sig)
                != NGX_DECLINED)
            {
                printf("    signature byte %u -> 0x%02x accepted\n",
                       (unsigned) i, s[i]);
                ok = 0;
            }

            s[i] = c;
        }
    }

    UNIT_OK(ok, "Authy: every changed signature byte rejected");

    no.len--;
    UNIT_IS(ngx_http_push_approval_unit_authy(&no, &u, body, len, &sig),
            NGX_DECLINED, "Authy: truncated nonce");
    no.len++;

    sig.len--;
    UNIT_IS(ngx_http_push_approval_unit_authy(&no, &u, body, len, &sig),
            NGX_DECLINED, "Authy: truncated signature");
    sig.len++;

    UNIT_IS(ngx_http_push_approval_unit_authy(&no, &u, body, len - 1, &sig),
            NGX_DECLINED, "Authy: truncated body");
}


/* parse and check as the callback handler does: NGX_DECLINED if invalid */

static ngx_int_t
ngx_http_push_approval_unit_twilio(ngx_str_t *url, u_char *body, size_t len,
    ngx_str_t *sig)
{
    u_char                          scratch[512];
    ngx_int_t                       n;
    ngx_http_push_approval_param_t  p[16];

    n = ngx_http_push_approval_form_parse(body, len, scratch, p, 16);
    if (n < 0) {
        return NGX_DECLINED;
    }

    return ngx_http_push_approval_twilio_check(
               &ngx_http_push_approval_a2_token, url, p, n, NULL, sig);
}


static ngx_int_t
ngx_http_push_approval_unit_authy(ngx_str_t *nonce, ngx_str_t *url,
    u_char *body, size_t len, ngx_str_t *sig)
{
    u_char     buf[8192];
    ssize_t    n;
    ngx_str_t  canonical;

    n = ngx_http_push_approval_authy_canonical_json(body, len, buf,
                                                    sizeof(buf));
    if (n < 0) {
        return NGX_DECLINED;
    }

    canonical.data = buf;
    canonical.len = n;

    return ngx_http_push_approval_authy_check(
               &ngx_http_push_approval_b1_key, nonce,
               &ngx_http_push_approval_b1_post, url, &canonical, sig);
}


static u_char
ngx_http_push_approval_unit_change(u_char c, ngx_uint_t i)
{
    switch (i) {
    case 0:
        return c ^ 0x01;
    case 1:
        return c ^ 0x20;
    case 2:
        return c == '0' ? '1' : '0';
    default:
        return c ^ 0x80;
    }
}
