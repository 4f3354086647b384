/*
 * push-approval-ctl: provider credentials from files (the format nginx
 * reads: empty lines ignored, trailing CR trimmed) or the environment.
 * Secrets live in heap copies that pactl_conf_free() wipes.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#include "ctl.h"


static int pactl_conf_verify(pactl_conf_t *cf, int need_api,
    int need_token);
static int pactl_conf_authy(pactl_conf_t *cf);
static char *pactl_conf_env(const char *name);


const char *
pactl_provider_name(int provider)
{
    return provider == PACTL_PROVIDER_AUTHY ? "authy" : "verify";
}


int
pactl_conf_read_lines(const char *path, char ***lines, size_t *n)
{
    char         **a;
    char          *p, *end, *nl;
    size_t         len, count, i;
    pactl_buf_t    b;

    memset(&b, 0, sizeof(pactl_buf_t));

    *lines = NULL;
    *n = 0;

    if (pactl_read_file(path, &b) != 0) {
        pactl_buf_wipe(&b);
        return -1;
    }

    count = 1;
    for (i = 0; i < b.len; i++) {
        if (b.data[i] == '\n') {
            count++;
        }
    }

    a = pactl_alloc(count * sizeof(char *));
    if (a == NULL) {
        pactl_buf_wipe(&b);
        return -1;
    }

    p = b.data;
    end = b.data + b.len;
    i = 0;

    while (p < end) {
        nl = memchr(p, '\n', (size_t) (end - p));
        if (nl == NULL) {
            nl = end;
        }

        len = (size_t) (nl - p);

        if (len && p[len - 1] == '\r') {
            len--;
        }

        if (len) {
            a[i] = pactl_strndup(p, len);
            if (a[i] == NULL) {
                pactl_conf_free_lines(a, i);
                pactl_buf_wipe(&b);
                return -1;
            }

            i++;
        }

        p = nl + 1;
    }

    pactl_buf_wipe(&b);

    *lines = a;
    *n = i;

    return 0;
}


void
pactl_conf_free_lines(char **lines, size_t n)
{
    size_t  i;

    if (lines == NULL) {
        return;
    }

    for (i = 0; i < n; i++) {
        pactl_wipe_str(&lines[i]);
    }

    free(lines);
}


static char *
pactl_conf_env(const char *name)
{
    char  *v;

    v = getenv(name);
    if (v == NULL || *v == '\0') {
        return NULL;
    }

    return pactl_strndup(v, strlen(v));
}


static int
pactl_conf_verify(pactl_conf_t *cf, int need_api, int need_token)
{
    char    **lines, *colon;
    size_t    n;

    if (cf->credentials_file != NULL) {
        if (pactl_conf_read_lines(cf->credentials_file, &lines, &n) != 0) {
            return -1;
        }

        if (n == 0 || (colon = strchr(lines[0], ':')) == NULL
            || colon == lines[0] || colon[1] == '\0')
        {
            fprintf(stderr, PACTL_PROG ": \"%s\": line 1 must be "
                    "ACCOUNT_SID:AUTH_TOKEN or API_KEY_SID:SECRET\n",
                    cf->credentials_file);
            pactl_conf_free_lines(lines, n);
            return -1;
        }

        cf->user = pactl_strndup(lines[0], (size_t) (colon - lines[0]));
        cf->secret = pactl_strndup(colon + 1, strlen(colon + 1));

        if (n > 1) {
            cf->auth_token = pactl_strndup(lines[1], strlen(lines[1]));

        } else if (strncmp(lines[0], "AC", 2) == 0) {
            /* an account SID: its auth token signs the webhooks */
            cf->auth_token = pactl_strndup(colon + 1, strlen(colon + 1));
        }

        pactl_conf_free_lines(lines, n);

        if (cf->user == NULL || cf->secret == NULL
            || (n > 1 && cf->auth_token == NULL))
        {
            return -1;
        }

    } else {
        cf->user = pactl_conf_env("TWILIO_ACCOUNT_SID");
        cf->secret = pactl_conf_env("TWILIO_AUTH_TOKEN");
        cf->auth_token = pactl_conf_env("TWILIO_AUTH_TOKEN");
    }

    if (need_api && (cf->user == NULL || cf->secret == NULL)) {
        fprintf(stderr, PACTL_PROG ": verify credentials missing: use "
                "--credentials-file or TWILIO_ACCOUNT_SID and "
                "TWILIO_AUTH_TOKEN\n");
        return -1;
    }

    if (need_token && cf->auth_token == NULL) {
        fprintf(stderr, PACTL_PROG ": verify auth token missing: use "
                "--credentials-file (with an API key, line 2) or "
                "TWILIO_AUTH_TOKEN\n");
        return -1;
    }

    if (!need_api) {
        return 0;
    }

    if (cf->service == NULL) {
        cf->service = getenv("VERIFY_SERVICE_SID");
    }

    if (cf->service == NULL || *cf->service == '\0') {
        fprintf(stderr, PACTL_PROG ": verify service missing: use "
                "--service VA... or VERIFY_SERVICE_SID\n");
        return -1;
    }

    if (strncmp(cf->service, "VA", 2) != 0
        || strspn(cf->service,
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                  "0123456789") != strlen(cf->service))
    {
        fprintf(stderr, PACTL_PROG ": invalid verify service \"%s\" "
                "(expected VA...)\n", cf->service);
        return -1;
    }

    return 0;
}


static int
pactl_conf_authy(pactl_conf_t *cf)
{
    char    **lines;
    size_t    n;

    if (cf->api_key_file != NULL) {
        if (pactl_conf_read_lines(cf->api_key_file, &lines, &n) != 0) {
            return -1;
        }

        if (n == 0) {
            fprintf(stderr, PACTL_PROG ": \"%s\": no API key in file\n",
                    cf->api_key_file);
            pactl_conf_free_lines(lines, n);
            return -1;
        }

        cf->authy_key = pactl_strndup(lines[0], strlen(lines[0]));
        pactl_conf_free_lines(lines, n);

        return cf->authy_key ? 0 : -1;
    }

    cf->authy_key = pactl_conf_env("AUTHY_API_KEY");

    if (cf->authy_key == NULL) {
        fprintf(stderr, PACTL_PROG ": authy API key missing: use "
                "--api-key-file or AUTHY_API_KEY\n");
        return -1;
    }

    return 0;
}


/*
 * need_api: the command talks to the provider; need_token: it signs or
 * checks webhooks (Verify: the account auth token; Authy: the API key).
 */

int
pactl_conf_load(pactl_conf_t *cf, int need_api, int need_token)
{
    if (cf->provider == PACTL_PROVIDER_AUTHY) {
        if (pactl_conf_authy(cf) != 0) {
            return -1;
        }

    } else if (pactl_conf_verify(cf, need_api, need_token) != 0) {
        return -1;
    }

    if (!need_api) {
        return 0;
    }

    if (cf->api_url == NULL) {
        cf->api_url = (cf->provider == PACTL_PROVIDER_AUTHY)
                      ? PACTL_AUTHY_URL : PACTL_VERIFY_URL;
    }

    return pactl_http_check_url(cf->api_url);
}


void
pactl_conf_free(pactl_conf_t *cf)
{
    pactl_wipe_str(&cf->authy_key);
    pactl_wipe_str(&cf->user);
    pactl_wipe_str(&cf->secret);
    pactl_wipe_str(&cf->auth_token);
}
