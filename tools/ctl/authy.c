/*
 * push-approval-ctl: the legacy Authy OneTouch dialect (users, approval
 * requests).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"


static int pactl_authy_call(pactl_conf_t *cf, const char *method,
    pactl_buf_t *path, pactl_buf_t *form, yajl_val *tree);
static void pactl_authy_print_value(yajl_val v);


int
pactl_authy_valid_identity(const char *id)
{
    size_t  len;

    len = strlen(id);

    return len > 0 && len <= 18 && id[0] != '0'
           && strspn(id, "0123456789") == len;
}


/* one call: frees path and form, returns the checked tree */

static int
pactl_authy_call(pactl_conf_t *cf, const char *method, pactl_buf_t *path,
    pactl_buf_t *form, yajl_val *tree)
{
    int           rc;
    pactl_resp_t  resp;

    memset(&resp, 0, sizeof(pactl_resp_t));

    *tree = NULL;

    if (path->data == NULL) {
        rc = -1;

    } else {
        rc = pactl_http_request(cf, method, path->data,
                                form ? form->data : NULL, &resp);

        if (rc == 0) {
            rc = pactl_provider_check(cf, &resp, tree);
        }
    }

    pactl_buf_free(path);

    if (form) {
        pactl_buf_free(form);
    }

    pactl_resp_free(&resp);

    return rc;
}


int
pactl_authy_user_add(pactl_conf_t *cf, const char *email, const char *phone,
    const char *cc)
{
    char         buf[64];
    yajl_val     tree;
    const char  *id;
    pactl_buf_t  path, form;

    memset(&path, 0, sizeof(pactl_buf_t));
    memset(&form, 0, sizeof(pactl_buf_t));

    if (pactl_buf_adds(&path, "/protected/json/users/new") != 0
        || pactl_buf_add_form(&form, "user[email]", email) != 0
        || pactl_buf_add_form(&form, "user[cellphone]", phone) != 0
        || pactl_buf_add_form(&form, "user[country_code]", cc) != 0)
    {
        pactl_buf_free(&path);
        pactl_buf_free(&form);
        return -1;
    }

    if (pactl_authy_call(cf, "POST", &path, &form, &tree) != 0) {
        return -1;
    }

    id = pactl_json_text(pactl_json_get(pactl_json_get(tree, "user"), "id"),
                         buf, sizeof(buf));

    if (id == NULL || *id == '\0') {
        fprintf(stderr, "authy error: no user id in the response\n");
        yajl_tree_free(tree);
        return -1;
    }

    printf("%s\n", id);

    yajl_tree_free(tree);

    return 0;
}


static void
pactl_authy_print_value(yajl_val v)
{
    char         buf[64];
    size_t       i;
    const char  *s;

    if (YAJL_IS_ARRAY(v)) {
        for (i = 0; i < v->u.array.len; i++) {
            s = pactl_json_text(v->u.array.values[i], buf, sizeof(buf));
            printf("%s%s", i ? "," : "", s ? s : "?");
        }

        return;
    }

    s = pactl_json_text(v, buf, sizeof(buf));
    printf("%s", s ? s : "?");
}


int
pactl_authy_user_status(pactl_conf_t *cf, const char *id)
{
    size_t       i;
    yajl_val     tree, st, v;
    pactl_buf_t  path;

    memset(&path, 0, sizeof(pactl_buf_t));

    if (pactl_buf_adds(&path, "/protected/json/users/") != 0
        || pactl_buf_add_pct(&path, id, strlen(id), 0) != 0
        || pactl_buf_adds(&path, "/status") != 0)
    {
        pactl_buf_free(&path);
        return -1;
    }

    if (pactl_authy_call(cf, "GET", &path, NULL, &tree) != 0) {
        return -1;
    }

    st = pactl_json_get(tree, "status");

    if (st == NULL || !YAJL_IS_OBJECT(st)) {
        fprintf(stderr, "authy error: no user status in the response\n");
        yajl_tree_free(tree);
        return -1;
    }

    for (i = 0; i < st->u.object.len; i++) {
        v = st->u.object.values[i];

        /* nested records (detailed_devices and such) are not shown */
        if (YAJL_IS_OBJECT(v)
            || (YAJL_IS_ARRAY(v) && v->u.array.len
                && (YAJL_IS_OBJECT(v->u.array.values[0])
                    || YAJL_IS_ARRAY(v->u.array.values[0]))))
        {
            continue;
        }

        printf("%s: ", st->u.object.keys[i]);
        pactl_authy_print_value(st->u.object.values[i]);
        printf("\n");
    }

    yajl_tree_free(tree);

    return 0;
}


int
pactl_authy_push(pactl_conf_t *cf, pactl_push_t *p, char **id)
{
    int          rc;
    char         buf[64];
    size_t       i;
    yajl_val     tree;
    const char  *uuid;
    pactl_buf_t  path, form, name;

    memset(&path, 0, sizeof(pactl_buf_t));
    memset(&form, 0, sizeof(pactl_buf_t));
    memset(&name, 0, sizeof(pactl_buf_t));

    *id = NULL;

    if (pactl_buf_adds(&path, "/onetouch/json/users/") != 0
        || pactl_buf_add_pct(&path, p->identity, strlen(p->identity), 0) != 0
        || pactl_buf_adds(&path, "/approval_requests") != 0
        || pactl_buf_add_form(&form, "message", p->message) != 0)
    {
        goto failed;
    }

    for (i = 0; i < p->details->nelts; i++) {
        name.len = 0;

        if (pactl_buf_printf(&name, "details[%s]", p->details->elts[i].name)
            != 0
            || pactl_buf_add_form(&form, name.data,
                                  p->details->elts[i].value) != 0)
        {
            goto failed;
        }
    }

    for (i = 0; i < p->hidden->nelts; i++) {
        name.len = 0;

        if (pactl_buf_printf(&name, "hidden_details[%s]",
                             p->hidden->elts[i].name) != 0
            || pactl_buf_add_form(&form, name.data,
                                  p->hidden->elts[i].value) != 0)
        {
            goto failed;
        }
    }

    name.len = 0;

    if (pactl_buf_printf(&name, "%ld", p->timeout) != 0
        || pactl_buf_add_form(&form, "seconds_to_expire", name.data) != 0)
    {
        goto failed;
    }

    pactl_buf_free(&name);

    if (pactl_authy_call(cf, "POST", &path, &form, &tree) != 0) {
        return -1;
    }

    uuid = pactl_json_text(pactl_json_get(pactl_json_get(tree,
                                                         "approval_request"),
                                          "uuid"),
                           buf, sizeof(buf));

    rc = -1;

    if (uuid == NULL || *uuid == '\0') {
        fprintf(stderr, "authy error: no approval uuid in the response\n");

    } else {
        *id = pactl_strndup(uuid, strlen(uuid));
        rc = (*id != NULL) ? 0 : -1;
    }

    yajl_tree_free(tree);

    return rc;

failed:

    pactl_buf_free(&path);
    pactl_buf_free(&form);
    pactl_buf_free(&name);

    return -1;
}


int
pactl_authy_status(pactl_conf_t *cf, const char *id, pactl_status_e *st)
{
    int          rc;
    char         buf[64];
    yajl_val     tree;
    const char  *s;
    pactl_buf_t  path;

    memset(&path, 0, sizeof(pactl_buf_t));

    if (pactl_buf_adds(&path, "/onetouch/json/approval_requests/") != 0
        || pactl_buf_add_pct(&path, id, strlen(id), 0) != 0)
    {
        pactl_buf_free(&path);
        return -1;
    }

    if (pactl_authy_call(cf, "GET", &path, NULL, &tree) != 0) {
        return -1;
    }

    s = pactl_json_text(pactl_json_get(pactl_json_get(tree,
                                                      "approval_request"),
                                       "status"),
                        buf, sizeof(buf));

    rc = 0;

    if (s == NULL) {
        fprintf(stderr, "authy error: no approval status in the response\n");
        rc = -1;

    } else if (strcmp(s, "pending") == 0) {
        *st = PACTL_STATUS_PENDING;

    } else if (strcmp(s, "approved") == 0) {
        *st = PACTL_STATUS_APPROVED;

    } else if (strcmp(s, "denied") == 0) {
        *st = PACTL_STATUS_DENIED;

    } else if (strcmp(s, "expired") == 0) {
        *st = PACTL_STATUS_EXPIRED;

    } else {
        fprintf(stderr, "authy error: unknown approval status\n");
        rc = -1;
    }

    yajl_tree_free(tree);

    return rc;
}
