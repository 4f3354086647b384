/*
 * push-approval-ctl: what talks to the gate rather than to the provider:
 * invites for a first device, and revocation through a
 * push_approval_revoke location.
 *
 * An invite is base64url(EXPIRES[8] NONCE[8] MAC[32]), EXPIRES big-endian
 * unix time, MAC the HMAC-SHA256 under line 1 of the secret file of
 * "invite1" NL identity NL EXPIRES NONCE, as the module checks it.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "ctl.h"


#define PACTL_INVITE_SECRET_MIN  32
#define PACTL_IDENTITY_MAX       64


static size_t pactl_gate_write(char *ptr, size_t size, size_t nmemb,
    void *data);


/* https anywhere; plain http only for a loopback host: 0 or -1 */

int
pactl_gate_url(const char *url)
{
    size_t       n;
    const char  *host;

    if (strncasecmp(url, "https://", 8) == 0) {
        return 0;
    }

    if (strncasecmp(url, "http://", 7) != 0) {
        return -1;
    }

    host = url + 7;

    if (strncasecmp(host, "localhost", 9) == 0) {
        n = 9;

    } else if (strncmp(host, "[::1]", 5) == 0) {
        n = 5;

    } else if (strncmp(host, "127.", 4) == 0) {
        n = strspn(host, "0123456789.");

    } else {
        return -1;
    }

    return (host[n] == ':' || host[n] == '/' || host[n] == '\0') ? 0 : -1;
}


/* "90", "90s", "30m", "24h", "7d": seconds, or -1 */

long
pactl_parse_ttl(const char *s)
{
    char  *end;
    long   v, unit;

    v = strtol(s, &end, 10);

    if (end == s || v <= 0) {
        return -1;
    }

    switch (*end) {
    case '\0':
    case 's':
        unit = 1;
        break;
    case 'm':
        unit = 60;
        break;
    case 'h':
        unit = 3600;
        break;
    case 'd':
        unit = 86400;
        break;
    default:
        return -1;
    }

    if (*end != '\0' && end[1] != '\0') {
        return -1;
    }

    if (v > 366L * 86400 / unit) {
        return -1;
    }

    return v * unit;
}


int
pactl_invite(const char *secret_file, const char *identity, long ttl)
{
    int             rc;
    char          **lines;
    size_t          n, ilen;
    time_t          expires;
    unsigned char   raw[48], data[16 + PACTL_IDENTITY_MAX + 16];
    unsigned char  *p;
    unsigned int    maclen;
    pactl_buf_t     out;
    int             i;

    ilen = strlen(identity);

    if (ilen == 0 || ilen > PACTL_IDENTITY_MAX) {
        fprintf(stderr, PACTL_PROG ": the identity must be 1 to %d "
                "characters\n", PACTL_IDENTITY_MAX);
        return PACTL_EXIT_USAGE;
    }

    if (pactl_conf_read_lines(secret_file, &lines, &n) != 0) {
        return PACTL_EXIT_ERROR;
    }

    if (n == 0 || strlen(lines[0]) < PACTL_INVITE_SECRET_MIN) {
        fprintf(stderr, PACTL_PROG ": %s: line 1 must hold a secret of at "
                "least %d bytes\n", secret_file, PACTL_INVITE_SECRET_MIN);
        pactl_conf_free_lines(lines, n);
        return PACTL_EXIT_ERROR;
    }

    expires = time(NULL) + ttl;

    for (i = 0; i < 8; i++) {
        raw[i] = (unsigned char) ((unsigned long long) expires
                                  >> (8 * (7 - i)));
    }

    if (RAND_bytes(raw + 8, 8) != 1) {
        fprintf(stderr, PACTL_PROG ": RAND_bytes() failed\n");
        pactl_conf_free_lines(lines, n);
        return PACTL_EXIT_ERROR;
    }

    p = data;
    memcpy(p, "invite1\n", 8);
    p += 8;
    memcpy(p, identity, ilen);
    p += ilen;
    *p++ = '\n';
    memcpy(p, raw, 16);
    p += 16;

    maclen = 32;

    if (HMAC(EVP_sha256(), lines[0], (int) strlen(lines[0]), data,
             (size_t) (p - data), raw + 16, &maclen)
        == NULL || maclen != 32)
    {
        fprintf(stderr, PACTL_PROG ": HMAC() failed\n");
        pactl_conf_free_lines(lines, n);
        return PACTL_EXIT_ERROR;
    }

    pactl_conf_free_lines(lines, n);

    memset(&out, 0, sizeof(pactl_buf_t));

    rc = pactl_buf_add_base64(&out, raw, sizeof(raw), 1);

    OPENSSL_cleanse(raw, sizeof(raw));

    if (rc != 0) {
        return PACTL_EXIT_ERROR;
    }

    printf("%s\n", out.data);
    pactl_buf_free(&out);

    return fflush(stdout) == 0 ? PACTL_EXIT_OK : PACTL_EXIT_ERROR;
}


static size_t
pactl_gate_write(char *ptr, size_t size, size_t nmemb, void *data)
{
    pactl_buf_t  *b = data;

    if (b->len + size * nmemb > 65536
        || pactl_buf_add(b, ptr, size * nmemb) != 0)
    {
        return 0;
    }

    return size * nmemb;
}


/* POST identity=ID to a push_approval_revoke location */

int
pactl_revoke(const char *url, const char *identity, double max_time)
{
    int           rc;
    long          status;
    CURL         *h;
    CURLcode      crc;
    pactl_buf_t   form, body;
    char          errbuf[CURL_ERROR_SIZE];

    if (*identity == '\0') {
        fprintf(stderr, PACTL_PROG ": empty identity\n");
        return PACTL_EXIT_USAGE;
    }

    memset(&form, 0, sizeof(pactl_buf_t));
    memset(&body, 0, sizeof(pactl_buf_t));

    if (pactl_buf_add_form(&form, "identity", identity) != 0) {
        return PACTL_EXIT_ERROR;
    }

    h = curl_easy_init();
    if (h == NULL) {
        pactl_buf_free(&form);
        return PACTL_EXIT_ERROR;
    }

    errbuf[0] = '\0';

    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, form.data);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long) form.len);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, pactl_gate_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long) (max_time * 1000));
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, PACTL_PROG "/1.0");
#if (LIBCURL_VERSION_NUM >= 0x075500)
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#endif

    crc = curl_easy_perform(h);

    status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    pactl_buf_free(&form);

    if (crc != CURLE_OK) {
        fprintf(stderr, PACTL_PROG ": POST %s: %s\n", url,
                errbuf[0] ? errbuf : curl_easy_strerror(crc));
        pactl_buf_free(&body);
        return PACTL_EXIT_ERROR;
    }

    if (status == 200) {
        printf("revoked %s\n", identity);
        rc = PACTL_EXIT_OK;

    } else {
        fprintf(stderr, PACTL_PROG ": POST %s: HTTP %ld\n", url, status);
        rc = PACTL_EXIT_ERROR;
    }

    pactl_buf_free(&body);

    return (fflush(stdout) == 0) ? rc : PACTL_EXIT_ERROR;
}
