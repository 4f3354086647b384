/*
 * push-approval-ctl: growable NUL-terminated buffers, name/value arrays,
 * percent, base64 and hex encoders, file reading and small time helpers.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/crypto.h>

#include "ctl.h"


static int pactl_buf_reserve(pactl_buf_t *b, size_t n);
static int pactl_hexval(int c);


void *
pactl_alloc(size_t n)
{
    void  *p;

    p = calloc(1, n ? n : 1);
    if (p == NULL) {
        fprintf(stderr, PACTL_PROG ": out of memory\n");
    }

    return p;
}


char *
pactl_strndup(const char *p, size_t n)
{
    char  *s;

    s = pactl_alloc(n + 1);
    if (s == NULL) {
        return NULL;
    }

    memcpy(s, p, n);
    s[n] = '\0';

    return s;
}


void
pactl_wipe_str(char **s)
{
    if (*s != NULL) {
        OPENSSL_cleanse(*s, strlen(*s));
        free(*s);
        *s = NULL;
    }
}


static int
pactl_buf_reserve(pactl_buf_t *b, size_t n)
{
    char    *p;
    size_t   cap;

    if (b->len + n + 1 <= b->cap) {
        return 0;
    }

    cap = b->cap ? b->cap : 256;

    while (cap < b->len + n + 1) {
        cap *= 2;
    }

    /* not realloc(): the old block may hold a secret and must be wiped */
    p = pactl_alloc(cap);
    if (p == NULL) {
        return -1;
    }

    if (b->data != NULL) {
        memcpy(p, b->data, b->len);
        OPENSSL_cleanse(b->data, b->cap);
        free(b->data);
    }

    b->data = p;
    b->cap = cap;
    b->data[b->len] = '\0';

    return 0;
}


int
pactl_buf_add(pactl_buf_t *b, const char *p, size_t n)
{
    if (pactl_buf_reserve(b, n) != 0) {
        return -1;
    }

    if (n) {
        memcpy(b->data + b->len, p, n);
    }

    b->len += n;
    b->data[b->len] = '\0';

    return 0;
}


int
pactl_buf_adds(pactl_buf_t *b, const char *s)
{
    return pactl_buf_add(b, s, strlen(s));
}


int
pactl_buf_printf(pactl_buf_t *b, const char *fmt, ...)
{
    int      n;
    va_list  ap;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);

    if (n < 0 || pactl_buf_reserve(b, (size_t) n) != 0) {
        return -1;
    }

    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
    va_end(ap);

    b->len += (size_t) n;

    return 0;
}


void
pactl_buf_free(pactl_buf_t *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}


void
pactl_buf_wipe(pactl_buf_t *b)
{
    if (b->data != NULL) {
        OPENSSL_cleanse(b->data, b->cap);
    }

    pactl_buf_free(b);
}


/*
 * Percent-encoding of the Authy signature (and of form bodies): only
 * A-Z a-z 0-9 - _ . ~ stay, upper-case hex; "plus" turns a space into "+"
 * (form and signature), otherwise "%20" (URL path segments).
 */

int
pactl_buf_add_pct(pactl_buf_t *b, const char *p, size_t n, int plus)
{
    size_t                i;
    unsigned char         c;
    char                  esc[3];
    static const char     hex[] = "0123456789ABCDEF";

    for (i = 0; i < n; i++) {
        c = (unsigned char) p[i];

        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
            || (c >= '0' && c <= '9')
            || c == '-' || c == '_' || c == '.' || c == '~')
        {
            if (pactl_buf_add(b, (char *) &c, 1) != 0) {
                return -1;
            }

            continue;
        }

        if (c == ' ' && plus) {
            if (pactl_buf_add(b, "+", 1) != 0) {
                return -1;
            }

            continue;
        }

        esc[0] = '%';
        esc[1] = hex[c >> 4];
        esc[2] = hex[c & 0x0f];

        if (pactl_buf_add(b, esc, 3) != 0) {
            return -1;
        }
    }

    return 0;
}


int
pactl_buf_add_form(pactl_buf_t *b, const char *name, const char *value)
{
    if (b->len && pactl_buf_add(b, "&", 1) != 0) {
        return -1;
    }

    if (pactl_buf_add_pct(b, name, strlen(name), 1) != 0
        || pactl_buf_add(b, "=", 1) != 0
        || pactl_buf_add_pct(b, value, strlen(value), 1) != 0)
    {
        return -1;
    }

    return 0;
}


int
pactl_buf_add_base64(pactl_buf_t *b, const unsigned char *p, size_t n,
    int url)
{
    size_t                i;
    uint32_t              v;
    char                  out[4];
    static const char     std[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    static const char     safe[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const char           *tab;

    tab = url ? safe : std;

    for (i = 0; i + 2 < n; i += 3) {
        v = ((uint32_t) p[i] << 16) | ((uint32_t) p[i + 1] << 8) | p[i + 2];
        out[0] = tab[(v >> 18) & 0x3f];
        out[1] = tab[(v >> 12) & 0x3f];
        out[2] = tab[(v >> 6) & 0x3f];
        out[3] = tab[v & 0x3f];

        if (pactl_buf_add(b, out, 4) != 0) {
            return -1;
        }
    }

    if (i < n) {
        v = (uint32_t) p[i] << 16;
        if (i + 1 < n) {
            v |= (uint32_t) p[i + 1] << 8;
        }

        out[0] = tab[(v >> 18) & 0x3f];
        out[1] = tab[(v >> 12) & 0x3f];
        out[2] = (i + 1 < n) ? tab[(v >> 6) & 0x3f] : '=';
        out[3] = '=';

        /* base64url without padding, standard base64 padded */
        if (pactl_buf_add(b, out, url ? (i + 1 < n ? 3 : 2) : 4) != 0) {
            return -1;
        }
    }

    return 0;
}


int
pactl_buf_add_hex(pactl_buf_t *b, const unsigned char *p, size_t n)
{
    size_t             i;
    char               out[2];
    static const char  hex[] = "0123456789abcdef";

    for (i = 0; i < n; i++) {
        out[0] = hex[p[i] >> 4];
        out[1] = hex[p[i] & 0x0f];

        if (pactl_buf_add(b, out, 2) != 0) {
            return -1;
        }
    }

    return 0;
}


static int
pactl_hexval(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c |= 0x20;

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    return -1;
}


/* form decoding: "+" is a space, "%XX" a byte, a bad escape stays as is */

char *
pactl_pct_decode(const char *p, size_t n, size_t *outlen)
{
    int     h, l;
    char   *s, *d;
    size_t  i;

    s = pactl_alloc(n + 1);
    if (s == NULL) {
        return NULL;
    }

    d = s;

    for (i = 0; i < n; i++) {
        if (p[i] == '+') {
            *d++ = ' ';
            continue;
        }

        if (p[i] == '%' && i + 2 < n) {
            h = pactl_hexval(p[i + 1]);
            l = pactl_hexval(p[i + 2]);

            if (h >= 0 && l >= 0) {
                *d++ = (char) ((h << 4) | l);
                i += 2;
                continue;
            }
        }

        *d++ = p[i];
    }

    *d = '\0';

    if (outlen) {
        *outlen = (size_t) (d - s);
    }

    return s;
}


int
pactl_pairs_add(pactl_pairs_t *a, const char *name, size_t nlen,
    const char *value, size_t vlen)
{
    size_t         n;
    pactl_pair_t  *elts, *pair;

    if (a->nelts == a->nalloc) {
        n = a->nalloc ? a->nalloc * 2 : 8;

        elts = pactl_alloc(n * sizeof(pactl_pair_t));
        if (elts == NULL) {
            return -1;
        }

        if (a->elts != NULL) {
            memcpy(elts, a->elts, a->nelts * sizeof(pactl_pair_t));
            free(a->elts);
        }

        a->elts = elts;
        a->nalloc = n;
    }

    pair = &a->elts[a->nelts];

    pair->name = pactl_strndup(name, nlen);
    if (pair->name == NULL) {
        return -1;
    }

    pair->value = pactl_strndup(value, vlen);
    if (pair->value == NULL) {
        free(pair->name);
        return -1;
    }

    a->nelts++;

    return 0;
}


void
pactl_pairs_free(pactl_pairs_t *a)
{
    size_t  i;

    for (i = 0; i < a->nelts; i++) {
        free(a->elts[i].name);
        free(a->elts[i].value);
    }

    free(a->elts);
    a->elts = NULL;
    a->nelts = 0;
    a->nalloc = 0;
}


/* "a=1&b=2" (form or query string) into decoded pairs */

int
pactl_pairs_parse_form(pactl_pairs_t *a, const char *p, size_t n)
{
    int          rc;
    char        *name, *value;
    size_t       nlen, vlen;
    const char  *end, *amp, *eq;

    end = p + n;

    while (p < end) {
        amp = memchr(p, '&', (size_t) (end - p));
        if (amp == NULL) {
            amp = end;
        }

        if (amp == p) {
            p++;
            continue;
        }

        eq = memchr(p, '=', (size_t) (amp - p));
        if (eq == NULL) {
            eq = amp;
        }

        name = pactl_pct_decode(p, (size_t) (eq - p), &nlen);
        if (name == NULL) {
            return -1;
        }

        if (eq < amp) {
            value = pactl_pct_decode(eq + 1, (size_t) (amp - eq - 1), &vlen);

        } else {
            value = pactl_pct_decode("", 0, &vlen);
        }

        if (value == NULL) {
            free(name);
            return -1;
        }

        rc = pactl_pairs_add(a, name, nlen, value, vlen);

        free(name);
        free(value);

        if (rc != 0) {
            return -1;
        }

        p = amp;
    }

    return 0;
}


int
pactl_read_file(const char *path, pactl_buf_t *b)
{
    char    chunk[4096];
    FILE   *f;
    size_t  n;

    f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, PACTL_PROG ": cannot open \"%s\": %s\n",
                path, strerror(errno));
        return -1;
    }

    for ( ;; ) {
        n = fread(chunk, 1, sizeof(chunk), f);

        if (n && pactl_buf_add(b, chunk, n) != 0) {
            OPENSSL_cleanse(chunk, sizeof(chunk));
            fclose(f);
            return -1;
        }

        if (n < sizeof(chunk)) {
            break;
        }
    }

    OPENSSL_cleanse(chunk, sizeof(chunk));

    if (ferror(f)) {
        fprintf(stderr, PACTL_PROG ": cannot read \"%s\"\n", path);
        fclose(f);
        return -1;
    }

    fclose(f);

    if (b->data == NULL && pactl_buf_add(b, "", 0) != 0) {
        return -1;
    }

    return 0;
}


void
pactl_sleep(double seconds)
{
    struct timespec  ts;

    if (seconds <= 0) {
        return;
    }

    ts.tv_sec = (time_t) seconds;
    ts.tv_nsec = (long) ((seconds - (double) ts.tv_sec) * 1e9);

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        /* void */
    }
}


double
pactl_now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}
