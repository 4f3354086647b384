/*
 * push-approval-ctl: webhook signatures, exactly as provider-apis.md
 * describes them: X-Twilio-Signature (HMAC-SHA1 over URL and sorted
 * parameters, or the bodySHA256 variant) and X-Authy-Signature
 * (HMAC-SHA256 over nonce|METHOD|URL|flattened sorted parameters).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "ctl.h"


static int pactl_sig_pair_cmp(const void *a, const void *b);
static int pactl_sig_str_cmp(const void *a, const void *b);
static int pactl_sig_hmac(const EVP_MD *md, const char *key,
    const char *data, size_t len, pactl_buf_t *out);
static int pactl_sig_flatten(pactl_pairs_t *a, pactl_buf_t *prefix,
    yajl_val v, int top);
static void pactl_sig_squash_indexes(pactl_buf_t *b);


static int
pactl_sig_pair_cmp(const void *a, const void *b)
{
    int                  rc;
    const pactl_pair_t  *pa, *pb;

    pa = *(const pactl_pair_t * const *) a;
    pb = *(const pactl_pair_t * const *) b;

    rc = strcmp(pa->name, pb->name);

    return rc ? rc : strcmp(pa->value, pb->value);
}


static int
pactl_sig_str_cmp(const void *a, const void *b)
{
    return strcmp(*(char * const *) a, *(char * const *) b);
}


static int
pactl_sig_hmac(const EVP_MD *md, const char *key, const char *data,
    size_t len, pactl_buf_t *out)
{
    int            rc;
    unsigned int   mdlen;
    unsigned char  mac[EVP_MAX_MD_SIZE];

    if (HMAC(md, key, (int) strlen(key), (const unsigned char *) data, len,
             mac, &mdlen)
        == NULL)
    {
        fprintf(stderr, PACTL_PROG ": HMAC() failed\n");
        return -1;
    }

    rc = pactl_buf_add_base64(out, mac, mdlen, 0);

    OPENSSL_cleanse(mac, sizeof(mac));

    return rc;
}


/* Verify: URL, then name and value of each parameter, sorted */

int
pactl_sig_twilio(const char *key, const char *url, pactl_pairs_t *params,
    pactl_buf_t *out)
{
    int             rc;
    size_t          i;
    pactl_buf_t     data;
    pactl_pair_t  **sorted;

    memset(&data, 0, sizeof(pactl_buf_t));

    sorted = pactl_alloc((params->nelts + 1) * sizeof(pactl_pair_t *));
    if (sorted == NULL) {
        return -1;
    }

    for (i = 0; i < params->nelts; i++) {
        sorted[i] = &params->elts[i];
    }

    qsort(sorted, params->nelts, sizeof(pactl_pair_t *), pactl_sig_pair_cmp);

    rc = pactl_buf_adds(&data, url);

    for (i = 0; rc == 0 && i < params->nelts; i++) {

        /* a repeated name and value counts once, as Twilio's validators */

        if (i > 0 && pactl_sig_pair_cmp(&sorted[i - 1], &sorted[i]) == 0) {
            continue;
        }

        rc = pactl_buf_adds(&data, sorted[i]->name);
        if (rc == 0) {
            rc = pactl_buf_adds(&data, sorted[i]->value);
        }
    }

    if (rc == 0) {
        rc = pactl_sig_hmac(EVP_sha1(), key, data.data, data.len, out);
    }

    free(sorted);
    pactl_buf_free(&data);

    return rc;
}


static int
pactl_sig_flatten(pactl_pairs_t *a, pactl_buf_t *prefix, yajl_val v,
    int top)
{
    char         num[32], buf[64];
    size_t       i, saved;
    const char  *s, *key;

    saved = prefix->len;

    if (YAJL_IS_OBJECT(v) || YAJL_IS_ARRAY(v)) {
        for (i = 0; i < (YAJL_IS_OBJECT(v) ? v->u.object.len
                                           : v->u.array.len); i++)
        {
            if (YAJL_IS_OBJECT(v)) {
                key = v->u.object.keys[i];

            } else {
                snprintf(num, sizeof(num), "%zu", i);
                key = num;
            }

            if (top) {
                if (pactl_buf_adds(prefix, key) != 0) {
                    return -1;
                }

            } else if (pactl_buf_adds(prefix, "[") != 0
                       || pactl_buf_adds(prefix, key) != 0
                       || pactl_buf_adds(prefix, "]") != 0)
            {
                return -1;
            }

            if (pactl_sig_flatten(a, prefix,
                                  YAJL_IS_OBJECT(v) ? v->u.object.values[i]
                                                    : v->u.array.values[i],
                                  0)
                != 0)
            {
                return -1;
            }

            prefix->len = saved;
            prefix->data[saved] = '\0';
        }

        return 0;
    }

    s = pactl_json_text(v, buf, sizeof(buf));
    if (s == NULL) {
        return -1;
    }

    if (top) {
        /* a bare scalar has no name */
        return -1;
    }

    return pactl_pairs_add(a, prefix->data, prefix->len, s, strlen(s));
}


/* after sorting, "%5B<digits>%5D" becomes "%5B%5D" */

static void
pactl_sig_squash_indexes(pactl_buf_t *b)
{
    char    *r, *w, *end, *d;

    r = b->data;
    w = b->data;
    end = b->data + b->len;

    while (r < end) {
        if (end - r >= 3 && memcmp(r, "%5B", 3) == 0) {
            d = r + 3;

            while (d < end && *d >= '0' && *d <= '9') {
                d++;
            }

            if (d > r + 3 && end - d >= 3 && memcmp(d, "%5D", 3) == 0) {
                memmove(w, "%5B%5D", 6);
                w += 6;
                r = d + 3;
                continue;
            }
        }

        *w++ = *r++;
    }

    *w = '\0';
    b->len = (size_t) (w - b->data);
}


/*
 * The Authy parameter string: the JSON body flattened (json) or a form
 * body, the URL's query parameters for GET, and any extra pairs.
 */

int
pactl_sig_authy_params(const char *body, size_t len, int json,
    const char *url, int get, pactl_pairs_t *extra, pactl_buf_t *out)
{
    int             rc;
    char          **strs;
    size_t          i, j;
    yajl_val        tree;
    const char     *q, *hash;
    pactl_buf_t     prefix, kv;
    pactl_pairs_t   all;

    memset(&all, 0, sizeof(pactl_pairs_t));
    memset(&prefix, 0, sizeof(pactl_buf_t));

    rc = -1;
    strs = NULL;

    if (body != NULL && json) {
        tree = pactl_json_parse(body, len);

        if (tree == NULL || !YAJL_IS_OBJECT(tree)) {
            fprintf(stderr, PACTL_PROG ": unparsable JSON body\n");
            yajl_tree_free(tree);
            return 1;
        }

        rc = pactl_sig_flatten(&all, &prefix, tree, 1);

        yajl_tree_free(tree);
        pactl_buf_free(&prefix);

        if (rc != 0) {
            goto done;
        }

        rc = -1;

    } else if (body != NULL && pactl_pairs_parse_form(&all, body, len) != 0) {
        goto done;
    }

    if (get && (q = strchr(url, '?')) != NULL) {
        q++;
        hash = strchr(q, '#');

        if (pactl_pairs_parse_form(&all, q, hash ? (size_t) (hash - q)
                                                 : strlen(q))
            != 0)
        {
            goto done;
        }
    }

    for (i = 0; extra && i < extra->nelts; i++) {
        if (pactl_pairs_add(&all, extra->elts[i].name,
                            strlen(extra->elts[i].name),
                            extra->elts[i].value,
                            strlen(extra->elts[i].value))
            != 0)
        {
            goto done;
        }
    }

    strs = pactl_alloc((all.nelts + 1) * sizeof(char *));
    if (strs == NULL) {
        goto done;
    }

    for (i = 0; i < all.nelts; i++) {
        memset(&kv, 0, sizeof(pactl_buf_t));

        if (pactl_buf_add_pct(&kv, all.elts[i].name,
                              strlen(all.elts[i].name), 1) != 0
            || pactl_buf_add(&kv, "=", 1) != 0
            || pactl_buf_add_pct(&kv, all.elts[i].value,
                                 strlen(all.elts[i].value), 1) != 0)
        {
            pactl_buf_free(&kv);
            goto done;
        }

        strs[i] = kv.data;
    }

    qsort(strs, all.nelts, sizeof(char *), pactl_sig_str_cmp);

    if (pactl_buf_add(out, "", 0) != 0) {
        goto done;
    }

    for (j = 0; j < all.nelts; j++) {
        if ((j && pactl_buf_add(out, "&", 1) != 0)
            || pactl_buf_adds(out, strs[j]) != 0)
        {
            goto done;
        }
    }

    pactl_sig_squash_indexes(out);

    rc = 0;

done:

    if (strs != NULL) {
        for (i = 0; i < all.nelts; i++) {
            free(strs[i]);
        }

        free(strs);
    }

    pactl_pairs_free(&all);

    return rc;
}


int
pactl_sig_authy(const char *key, const char *nonce, const char *method,
    const char *url, const char *params, pactl_buf_t *out)
{
    int          rc;
    size_t       ulen;
    pactl_buf_t  data;

    memset(&data, 0, sizeof(pactl_buf_t));

    ulen = strcspn(url, "?#");

    if (pactl_buf_adds(&data, nonce) != 0
        || pactl_buf_add(&data, "|", 1) != 0
        || pactl_buf_adds(&data, method) != 0
        || pactl_buf_add(&data, "|", 1) != 0
        || pactl_buf_add(&data, url, ulen) != 0
        || pactl_buf_add(&data, "|", 1) != 0
        || pactl_buf_adds(&data, params) != 0)
    {
        pactl_buf_free(&data);
        return -1;
    }

    rc = pactl_sig_hmac(EVP_sha256(), key, data.data, data.len, out);

    pactl_buf_free(&data);

    return rc;
}


/* 1 and the value when the URL's query carries bodySHA256, 0 if not */

int
pactl_sig_url_has_body_hash(const char *url, pactl_buf_t *hex)
{
    size_t          i;
    const char     *q, *hash;
    pactl_pairs_t   a;

    memset(&a, 0, sizeof(pactl_pairs_t));

    q = strchr(url, '?');
    if (q == NULL) {
        return 0;
    }

    q++;
    hash = strchr(q, '#');

    if (pactl_pairs_parse_form(&a, q, hash ? (size_t) (hash - q) : strlen(q))
        != 0)
    {
        return -1;
    }

    for (i = 0; i < a.nelts; i++) {
        if (strcmp(a.elts[i].name, "bodySHA256") == 0) {
            if (pactl_buf_adds(hex, a.elts[i].value) != 0) {
                pactl_pairs_free(&a);
                return -1;
            }

            pactl_pairs_free(&a);
            return 1;
        }
    }

    pactl_pairs_free(&a);

    return 0;
}


int
pactl_sig_body_hash(const char *body, size_t len, pactl_buf_t *hex)
{
    unsigned char  md[SHA256_DIGEST_LENGTH];

    if (EVP_Digest(body, len, md, NULL, EVP_sha256(), NULL) != 1) {
        fprintf(stderr, PACTL_PROG ": EVP_Digest() failed\n");
        return -1;
    }

    return pactl_buf_add_hex(hex, md, sizeof(md));
}


/*
 * The same URL with the default port made explicit, or without its port
 * (any port); 1 and *alt (to free) when there is such a variant.
 */

int
pactl_sig_url_variants(const char *url, char **alt)
{
    size_t       slen, alen;
    const char  *auth, *end, *colon, *port, *p;
    pactl_buf_t  b;

    memset(&b, 0, sizeof(pactl_buf_t));

    *alt = NULL;

    if (strncmp(url, "https://", 8) == 0) {
        slen = 8;
        port = ":443";

    } else if (strncmp(url, "http://", 7) == 0) {
        slen = 7;
        port = ":80";

    } else {
        return 0;
    }

    auth = url + slen;
    alen = strcspn(auth, "/?#");
    end = auth + alen;

    colon = NULL;
    for (p = auth; p < end; p++) {
        if (*p == ']') {
            colon = NULL;

        } else if (*p == ':') {
            colon = p;
        }
    }

    if (colon != NULL) {
        if (strspn(colon + 1, "0123456789") != (size_t) (end - colon - 1)) {
            return 0;
        }

        /* drop the port, any port, as Twilio's own validators do */
        if (pactl_buf_add(&b, url, (size_t) (colon - url)) != 0
            || pactl_buf_adds(&b, end) != 0)
        {
            pactl_buf_free(&b);
            return -1;
        }

    } else if (pactl_buf_add(&b, url, (size_t) (end - url)) != 0
               || pactl_buf_adds(&b, port) != 0
               || pactl_buf_adds(&b, end) != 0)
    {
        pactl_buf_free(&b);
        return -1;
    }

    *alt = b.data;

    return 1;
}


int
pactl_sig_equal(const char *a, const char *b)
{
    size_t  len;

    len = strlen(a);

    if (len != strlen(b)) {
        return 0;
    }

    return CRYPTO_memcmp(a, b, len) == 0;
}
