/*
 * push-approval-ctl: JSON with yajl (tree API to read, generator to
 * write) and the provider error report shared by both dialects.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "ctl.h"


static int pactl_json_gen_done(yajl_gen g, pactl_buf_t *b);
static void pactl_json_print_clean(const char *s);


yajl_val
pactl_json_parse(const char *text, size_t len)
{
    /* yajl_tree_parse() stops at a NUL: refuse embedded ones */
    if (text == NULL || strlen(text) != len) {
        return NULL;
    }

    return yajl_tree_parse(text, NULL, 0);
}


yajl_val
pactl_json_get(yajl_val v, const char *key)
{
    size_t  i;

    if (v == NULL || !YAJL_IS_OBJECT(v)) {
        return NULL;
    }

    for (i = 0; i < v->u.object.len; i++) {
        if (strcmp(v->u.object.keys[i], key) == 0) {
            return v->u.object.values[i];
        }
    }

    return NULL;
}


/* a scalar as text: numbers as written, null as "" */

const char *
pactl_json_text(yajl_val v, char *buf, size_t size)
{
    (void) buf;
    (void) size;

    if (v == NULL) {
        return NULL;
    }

    switch (v->type) {

    case yajl_t_string:
        return v->u.string;

    case yajl_t_number:
        return v->u.number.r;

    case yajl_t_true:
        return "true";

    case yajl_t_false:
        return "false";

    case yajl_t_null:
        return "";

    default:
        return NULL;
    }
}


static int
pactl_json_gen_done(yajl_gen g, pactl_buf_t *b)
{
    size_t                len;
    const unsigned char  *out;

    if (yajl_gen_get_buf(g, &out, &len) != yajl_gen_status_ok
        || pactl_buf_add(b, (const char *) out, len) != 0)
    {
        yajl_gen_free(g);
        return -1;
    }

    yajl_gen_free(g);

    return 0;
}


#define pactl_json_gen_str(g, s)                                             \
    yajl_gen_string(g, (const unsigned char *) (s), strlen(s))


/* {"name":"value",...}: Verify HiddenDetails */

int
pactl_json_object_string(pactl_buf_t *b, pactl_pairs_t *pairs)
{
    size_t    i;
    yajl_gen  g;

    g = yajl_gen_alloc(NULL);
    if (g == NULL) {
        return -1;
    }

    if (yajl_gen_map_open(g) != yajl_gen_status_ok) {
        goto failed;
    }

    for (i = 0; i < pairs->nelts; i++) {
        if (pactl_json_gen_str(g, pairs->elts[i].name) != yajl_gen_status_ok
            || pactl_json_gen_str(g, pairs->elts[i].value)
               != yajl_gen_status_ok)
        {
            goto failed;
        }
    }

    if (yajl_gen_map_close(g) != yajl_gen_status_ok) {
        goto failed;
    }

    return pactl_json_gen_done(g, b);

failed:

    yajl_gen_free(g);

    return -1;
}


/* {"label":"...","value":"..."}: one Verify Details.Fields entry */

int
pactl_json_field_string(pactl_buf_t *b, const char *label, const char *value)
{
    yajl_gen  g;

    g = yajl_gen_alloc(NULL);
    if (g == NULL) {
        return -1;
    }

    if (yajl_gen_map_open(g) != yajl_gen_status_ok
        || pactl_json_gen_str(g, "label") != yajl_gen_status_ok
        || pactl_json_gen_str(g, label) != yajl_gen_status_ok
        || pactl_json_gen_str(g, "value") != yajl_gen_status_ok
        || pactl_json_gen_str(g, value) != yajl_gen_status_ok
        || yajl_gen_map_close(g) != yajl_gen_status_ok)
    {
        yajl_gen_free(g);
        return -1;
    }

    return pactl_json_gen_done(g, b);
}


static void
pactl_json_print_clean(const char *s)
{
    size_t  n;

    for (n = 0; *s && n < 300; s++, n++) {
        fputc(((unsigned char) *s < 0x20 || *s == 0x7f) ? '?' : *s, stderr);
    }
}


/*
 * Parses a provider answer. On success (2xx and, for Authy, no
 * "success":false) returns 0 and the tree, which the caller frees;
 * otherwise prints "<provider> error CODE: MESSAGE (HTTP N)" and returns -1.
 */

int
pactl_provider_check(pactl_conf_t *cf, pactl_resp_t *resp, yajl_val *tree)
{
    char        buf[64];
    yajl_val    t, v, errs;
    const char *code, *msg, *name;

    name = pactl_provider_name(cf->provider);

    *tree = NULL;

    t = pactl_json_parse(resp->body.data, resp->body.len);

    if (resp->status >= 200 && resp->status < 300 && t != NULL
        && YAJL_IS_OBJECT(t))
    {
        v = pactl_json_get(t, "success");

        if (cf->provider != PACTL_PROVIDER_AUTHY || !YAJL_IS_FALSE(v)) {
            *tree = t;
            return 0;
        }
    }

    if (t == NULL || !YAJL_IS_OBJECT(t)) {
        fprintf(stderr, "%s error: unparsable response (HTTP %ld)\n",
                name, resp->status);
        yajl_tree_free(t);
        return -1;
    }

    if (cf->provider == PACTL_PROVIDER_AUTHY) {
        code = pactl_json_text(pactl_json_get(t, "error_code"), buf,
                               sizeof(buf));
        msg = pactl_json_text(pactl_json_get(t, "message"), buf,
                              sizeof(buf));

        if (msg == NULL || *msg == '\0') {
            errs = pactl_json_get(t, "errors");
            msg = pactl_json_text(pactl_json_get(errs, "message"), buf,
                                  sizeof(buf));
        }

    } else {
        code = pactl_json_text(pactl_json_get(t, "code"), buf, sizeof(buf));
        msg = pactl_json_text(pactl_json_get(t, "message"), buf,
                              sizeof(buf));
    }

    fprintf(stderr, "%s error", name);

    if (code != NULL && *code != '\0') {
        fprintf(stderr, " ");
        pactl_json_print_clean(code);
    }

    fprintf(stderr, ": ");
    pactl_json_print_clean((msg != NULL && *msg != '\0') ? msg
                                                         : "request failed");
    fprintf(stderr, " (HTTP %ld)\n", resp->status);

    if (resp->status == 401 || resp->status == 403) {
        fprintf(stderr, "hint: the provider refused the credentials: check "
                "%s\n", cf->provider == PACTL_PROVIDER_AUTHY
                        ? "the API key in --api-key-file (or AUTHY_API_KEY)"
                        : "--credentials-file (line 1 ACCOUNT_SID:AUTH_TOKEN "
                          "or API_KEY_SID:SECRET) and --service");
    }

    yajl_tree_free(t);

    return -1;
}
