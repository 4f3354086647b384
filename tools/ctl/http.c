/*
 * push-approval-ctl: the HTTP client. One libcurl easy handle per attempt,
 * TLS verification always on, plain http only towards loopback, bounded
 * connect and total time, retries with exponential backoff on 429, 5xx and
 * connection failures.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curl/curl.h>
#include <openssl/crypto.h>

#include "ctl.h"


#define PACTL_HTTP_MAX_BODY     (1024 * 1024)
#define PACTL_HTTP_BACKOFF      0.5
#define PACTL_HTTP_MAX_RETRY_AFTER  10


static size_t pactl_http_write(char *ptr, size_t size, size_t nmemb,
    void *data);
static size_t pactl_http_header(char *ptr, size_t size, size_t nmemb,
    void *data);
static int pactl_http_retriable(CURLcode rc, int post);
static int pactl_http_once(pactl_conf_t *cf, const char *method,
    const char *url, const char *form, pactl_resp_t *resp,
    char *errbuf);
static int pactl_http_is_loopback(const char *host);


int
pactl_http_init(void)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, PACTL_PROG ": curl_global_init() failed\n");
        return -1;
    }

    return 0;
}


void
pactl_http_cleanup(void)
{
    curl_global_cleanup();
}


static int
pactl_http_is_loopback(const char *host)
{
    size_t  len;

    if (strcasecmp(host, "localhost") == 0
        || strcmp(host, "[::1]") == 0
        || strcmp(host, "::1") == 0)
    {
        return 1;
    }

    len = strlen(host);

    return len > 4 && strncmp(host, "127.", 4) == 0
           && strspn(host, "0123456789.") == len;
}


/* https anywhere; plain http only for a loopback sandbox */

int
pactl_http_check_url(const char *url)
{
    int        rc;
    CURLU     *u;
    char      *scheme, *host;

    u = curl_url();
    if (u == NULL) {
        fprintf(stderr, PACTL_PROG ": out of memory\n");
        return -1;
    }

    scheme = NULL;
    host = NULL;
    rc = -1;

    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK
        || curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK
        || curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
    {
        fprintf(stderr, PACTL_PROG ": invalid --api-url \"%s\"\n", url);
        goto done;
    }

    if (strcasecmp(scheme, "https") == 0) {
        rc = 0;

    } else if (strcasecmp(scheme, "http") == 0
               && pactl_http_is_loopback(host))
    {
        rc = 0;

    } else {
        fprintf(stderr, PACTL_PROG ": --api-url must be https "
                "(plain http only for a loopback host)\n");
    }

done:

    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);

    return rc;
}


static size_t
pactl_http_write(char *ptr, size_t size, size_t nmemb, void *data)
{
    size_t        n;
    pactl_resp_t *resp;

    resp = data;
    n = size * nmemb;

    if (resp->body.len + n > PACTL_HTTP_MAX_BODY
        || pactl_buf_add(&resp->body, ptr, n) != 0)
    {
        return 0;
    }

    return n;
}


static size_t
pactl_http_header(char *ptr, size_t size, size_t nmemb, void *data)
{
    char          *end, num[16];
    long           v;
    size_t         n, len;
    pactl_resp_t  *resp;

    resp = data;
    n = size * nmemb;
    len = sizeof("Retry-After:") - 1;

    if (n > len && strncasecmp(ptr, "Retry-After:", len) == 0) {
        ptr += len;
        n -= len;

        while (n && (*ptr == ' ' || *ptr == '\t')) {
            ptr++;
            n--;
        }

        if (n && n < sizeof(num)) {
            memcpy(num, ptr, n);
            num[n] = '\0';

            v = strtol(num, &end, 10);
            if (end != num && v >= 0
                && (*end == '\r' || *end == '\n' || *end == '\0'))
            {
                resp->retry_after = v;
            }
        }
    }

    return size * nmemb;
}


/*
 * A POST is retried only when it cannot have reached the provider, so that
 * a retry never creates a second approval.
 */

static int
pactl_http_retriable(CURLcode rc, int post)
{
    switch (rc) {

    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
        return 1;

    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
        return !post;

    default:
        return 0;
    }
}


static int
pactl_http_once(pactl_conf_t *cf, const char *method, const char *url,
    const char *form, pactl_resp_t *resp, char *errbuf)
{
    int                 rc;
    CURL               *h;
    CURLcode            crc;
    pactl_buf_t         hdr;
    struct curl_slist  *list, *l, *tmp;

    memset(&hdr, 0, sizeof(pactl_buf_t));

    h = curl_easy_init();
    if (h == NULL) {
        snprintf(errbuf, CURL_ERROR_SIZE, "curl_easy_init() failed");
        return CURLE_FAILED_INIT;
    }

    list = NULL;
    crc = CURLE_OUT_OF_MEMORY;

    tmp = curl_slist_append(list, "Accept: application/json");
    if (tmp == NULL) {
        goto done;
    }

    list = tmp;

    if (cf->provider == PACTL_PROVIDER_AUTHY) {
        if (pactl_buf_printf(&hdr, "X-Authy-API-Key: %s", cf->authy_key)
            != 0)
        {
            goto done;
        }

        tmp = curl_slist_append(list, hdr.data);
        if (tmp == NULL) {
            goto done;
        }

        list = tmp;

    } else {
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long) CURLAUTH_BASIC);
        curl_easy_setopt(h, CURLOPT_USERNAME, cf->user);
        curl_easy_setopt(h, CURLOPT_PASSWORD, cf->secret);
    }

    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(h, CURLOPT_USERAGENT, PACTL_PROG "/1.0");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     (long) (cf->connect_timeout * 1000));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long) (cf->max_time * 1000));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, pactl_http_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, pactl_http_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, resp);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);

    if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, form ? form : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE,
                         (long) (form ? strlen(form) : 0));

    } else {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    }

    errbuf[0] = '\0';

    crc = curl_easy_perform(h);

    if (crc == CURLE_OK) {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
    }

done:

    if (crc == CURLE_OUT_OF_MEMORY && errbuf[0] == '\0') {
        snprintf(errbuf, CURL_ERROR_SIZE, "out of memory");
    }

    curl_easy_cleanup(h);

    /* the API key header copy is ours to wipe */
    for (l = list; l; l = l->next) {
        OPENSSL_cleanse(l->data, strlen(l->data));
    }

    curl_slist_free_all(list);
    pactl_buf_wipe(&hdr);

    rc = (int) crc;

    return rc;
}


/*
 * Returns 0 with resp->status set when the provider answered (whatever the
 * status), -1 after printing an error when it could not be reached.
 */

int
pactl_http_request(pactl_conf_t *cf, const char *method, const char *path,
    const char *form, pactl_resp_t *resp)
{
    int          attempt, post;
    char         errbuf[CURL_ERROR_SIZE];
    double       delay;
    CURLcode     crc;
    pactl_buf_t  url;

    memset(&url, 0, sizeof(pactl_buf_t));

    if (pactl_buf_adds(&url, cf->api_url) != 0) {
        return -1;
    }

    while (url.len && url.data[url.len - 1] == '/') {
        url.data[--url.len] = '\0';
    }

    if (pactl_buf_adds(&url, path) != 0) {
        pactl_buf_free(&url);
        return -1;
    }

    post = (strcmp(method, "POST") == 0);
    delay = PACTL_HTTP_BACKOFF;

    for (attempt = 0; /* void */; attempt++) {

        pactl_buf_free(&resp->body);
        resp->status = 0;
        resp->retry_after = -1;

        crc = (CURLcode) pactl_http_once(cf, method, url.data, form, resp,
                                         errbuf);

        if (crc == CURLE_OK
            && resp->status != 429 && resp->status < 500)
        {
            break;
        }

        if (attempt >= cf->retries) {
            break;
        }

        if (crc != CURLE_OK && !pactl_http_retriable(crc, post)) {
            break;
        }

        if (resp->retry_after > PACTL_HTTP_MAX_RETRY_AFTER) {
            break;
        }

        pactl_sleep(resp->retry_after >= 0 ? (double) resp->retry_after
                                           : delay);
        delay *= 2;
    }

    if (crc != CURLE_OK) {
        fprintf(stderr, "%s error: %s %s: %s (curl %d)\n",
                pactl_provider_name(cf->provider), method, url.data,
                errbuf[0] ? errbuf : curl_easy_strerror(crc), (int) crc);
        pactl_buf_free(&url);
        return -1;
    }

    pactl_buf_free(&url);

    if (pactl_buf_add(&resp->body, "", 0) != 0) {
        return -1;
    }

    return 0;
}


void
pactl_resp_free(pactl_resp_t *resp)
{
    pactl_buf_free(&resp->body);
}
