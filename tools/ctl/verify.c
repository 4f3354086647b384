/*
 * push-approval-ctl: the Twilio Verify Push dialect (factors, challenges).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"


static int pactl_verify_entity_path(pactl_conf_t *cf, pactl_buf_t *b,
    const char *identity, const char *tail);
static int pactl_verify_get_factors(pactl_conf_t *cf, const char *identity,
    yajl_val *tree, yajl_val *factors);
static int pactl_verify_find_factor(pactl_conf_t *cf, const char *identity,
    char **sid);


int
pactl_verify_valid_identity(const char *id)
{
    size_t  len;

    len = strlen(id);

    return len >= 8 && len <= 64
           && strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                         "abcdefghijklmnopqrstuvwxyz0123456789-") == len;
}


static int
pactl_verify_entity_path(pactl_conf_t *cf, pactl_buf_t *b,
    const char *identity, const char *tail)
{
    if (pactl_buf_adds(b, "/v2/Services/") != 0
        || pactl_buf_add_pct(b, cf->service, strlen(cf->service), 0) != 0
        || pactl_buf_adds(b, "/Entities/") != 0
        || pactl_buf_add_pct(b, identity, strlen(identity), 0) != 0
        || pactl_buf_adds(b, tail) != 0)
    {
        return -1;
    }

    return 0;
}


static int
pactl_verify_get_factors(pactl_conf_t *cf, const char *identity,
    yajl_val *tree, yajl_val *factors)
{
    int           rc;
    pactl_buf_t   path;
    pactl_resp_t  resp;

    memset(&path, 0, sizeof(pactl_buf_t));
    memset(&resp, 0, sizeof(pactl_resp_t));

    if (pactl_verify_entity_path(cf, &path, identity, "/Factors") != 0) {
        pactl_buf_free(&path);
        return -1;
    }

    rc = pactl_http_request(cf, "GET", path.data, NULL, &resp);
    pactl_buf_free(&path);

    if (rc != 0) {
        pactl_resp_free(&resp);
        return -1;
    }

    rc = pactl_provider_check(cf, &resp, tree);
    pactl_resp_free(&resp);

    if (rc != 0) {
        return -1;
    }

    *factors = pactl_json_get(*tree, "factors");

    if (*factors == NULL || !YAJL_IS_ARRAY(*factors)) {
        fprintf(stderr, "verify error: no \"factors\" list in the "
                "response\n");
        yajl_tree_free(*tree);
        *tree = NULL;
        return -1;
    }

    return 0;
}


int
pactl_verify_factors(pactl_conf_t *cf, const char *identity)
{
    char         buf[64];
    size_t       i;
    yajl_val     tree, factors, f;
    const char  *sid, *name, *status, *type;

    if (pactl_verify_get_factors(cf, identity, &tree, &factors) != 0) {
        return -1;
    }

    for (i = 0; i < factors->u.array.len; i++) {
        f = factors->u.array.values[i];

        sid = pactl_json_text(pactl_json_get(f, "sid"), buf, sizeof(buf));
        name = pactl_json_text(pactl_json_get(f, "friendly_name"), buf,
                               sizeof(buf));
        status = pactl_json_text(pactl_json_get(f, "status"), buf,
                                 sizeof(buf));
        type = pactl_json_text(pactl_json_get(f, "factor_type"), buf,
                               sizeof(buf));

        printf("%s\t%s\t%s\t%s\n", sid ? sid : "-",
               (name && *name) ? name : "-", status ? status : "-",
               type ? type : "-");
    }

    yajl_tree_free(tree);

    return 0;
}


/* the first verified push factor of the entity */

static int
pactl_verify_find_factor(pactl_conf_t *cf, const char *identity, char **sid)
{
    int          found;
    char         buf[64];
    size_t       i;
    yajl_val     tree, factors, f;
    const char  *s, *status, *type;

    if (pactl_verify_get_factors(cf, identity, &tree, &factors) != 0) {
        return -1;
    }

    *sid = NULL;
    found = 0;

    for (i = 0; i < factors->u.array.len; i++) {
        f = factors->u.array.values[i];

        s = pactl_json_text(pactl_json_get(f, "sid"), buf, sizeof(buf));
        status = pactl_json_text(pactl_json_get(f, "status"), buf,
                                 sizeof(buf));
        type = pactl_json_text(pactl_json_get(f, "factor_type"), buf,
                               sizeof(buf));

        if (s != NULL && status != NULL && strcmp(status, "verified") == 0
            && (type == NULL || strcmp(type, "push") == 0))
        {
            *sid = pactl_strndup(s, strlen(s));
            found = 1;
            break;
        }
    }

    yajl_tree_free(tree);

    if (!found) {
        fprintf(stderr, "verify error: identity \"%s\" has no verified "
                "push factor\n", identity);
    }

    if (*sid == NULL) {
        return -1;
    }

    return 0;
}


int
pactl_verify_push(pactl_conf_t *cf, pactl_push_t *p, char **id)
{
    int           rc;
    char         *factor, date[32], buf[64];
    size_t        i;
    time_t        now;
    yajl_val      tree;
    struct tm     tm;
    const char   *sid;
    pactl_buf_t   path, form, json;
    pactl_resp_t  resp;

    memset(&path, 0, sizeof(pactl_buf_t));
    memset(&form, 0, sizeof(pactl_buf_t));
    memset(&json, 0, sizeof(pactl_buf_t));
    memset(&resp, 0, sizeof(pactl_resp_t));

    *id = NULL;
    factor = NULL;
    rc = -1;

    if (p->factor == NULL) {
        if (pactl_verify_find_factor(cf, p->identity, &factor) != 0) {
            return -1;
        }
    }

    if (pactl_buf_add_form(&form, "FactorSid",
                           p->factor ? p->factor : factor) != 0
        || pactl_buf_add_form(&form, "Details.Message", p->message) != 0)
    {
        goto done;
    }

    for (i = 0; i < p->details->nelts; i++) {
        json.len = 0;

        if (pactl_json_field_string(&json, p->details->elts[i].name,
                                    p->details->elts[i].value) != 0
            || pactl_buf_add_form(&form, "Details.Fields", json.data) != 0)
        {
            goto done;
        }
    }

    if (p->hidden->nelts) {
        json.len = 0;

        if (pactl_json_object_string(&json, p->hidden) != 0
            || pactl_buf_add_form(&form, "HiddenDetails", json.data) != 0)
        {
            goto done;
        }
    }

    now = time(NULL) + p->timeout;

    if (gmtime_r(&now, &tm) == NULL
        || strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0
        || pactl_buf_add_form(&form, "ExpirationDate", date) != 0)
    {
        goto done;
    }

    if (pactl_verify_entity_path(cf, &path, p->identity, "/Challenges")
        != 0)
    {
        goto done;
    }

    if (pactl_http_request(cf, "POST", path.data, form.data, &resp) != 0
        || pactl_provider_check(cf, &resp, &tree) != 0)
    {
        goto done;
    }

    sid = pactl_json_text(pactl_json_get(tree, "sid"), buf, sizeof(buf));

    if (sid == NULL || *sid == '\0') {
        fprintf(stderr, "verify error: no challenge sid in the response "
                "(HTTP %ld)\n", resp.status);

    } else {
        *id = pactl_strndup(sid, strlen(sid));
        rc = (*id != NULL) ? 0 : -1;
    }

    yajl_tree_free(tree);

done:

    free(factor);
    pactl_buf_free(&path);
    pactl_buf_free(&form);
    pactl_buf_free(&json);
    pactl_resp_free(&resp);

    return rc;
}


int
pactl_verify_status(pactl_conf_t *cf, const char *identity, const char *id,
    pactl_status_e *st)
{
    int           rc;
    char          buf[64];
    yajl_val      tree;
    const char   *s;
    pactl_buf_t   path;
    pactl_resp_t  resp;

    memset(&path, 0, sizeof(pactl_buf_t));
    memset(&resp, 0, sizeof(pactl_resp_t));

    rc = -1;

    if (pactl_verify_entity_path(cf, &path, identity, "/Challenges/") != 0
        || pactl_buf_add_pct(&path, id, strlen(id), 0) != 0)
    {
        goto done;
    }

    if (pactl_http_request(cf, "GET", path.data, NULL, &resp) != 0
        || pactl_provider_check(cf, &resp, &tree) != 0)
    {
        goto done;
    }

    s = pactl_json_text(pactl_json_get(tree, "status"), buf, sizeof(buf));

    if (s == NULL) {
        fprintf(stderr, "verify error: no challenge status in the "
                "response\n");

    } else {
        rc = 0;

        if (strcmp(s, "pending") == 0) {
            *st = PACTL_STATUS_PENDING;

        } else if (strcmp(s, "approved") == 0) {
            *st = PACTL_STATUS_APPROVED;

        } else if (strcmp(s, "denied") == 0) {
            *st = PACTL_STATUS_DENIED;

        } else if (strcmp(s, "expired") == 0) {
            *st = PACTL_STATUS_EXPIRED;

        } else {
            fprintf(stderr, "verify error: unknown challenge status\n");
            rc = -1;
        }
    }

    yajl_tree_free(tree);

done:

    pactl_buf_free(&path);
    pactl_resp_free(&resp);

    return rc;
}
