
/*
 * Copyright (C) push approval module developers
 *
 * The files directives name (secrets, provider credentials): read at
 * configuration time into their non-empty lines; a file of secrets is
 * named once.
 */


#include "ngx_http_push_approval.h"


static ngx_int_t ngx_http_push_approval_read_lines(ngx_conf_t *cf,
    ngx_str_t *directive, ngx_str_t *name, ngx_array_t *lines);


/*
 * the non-empty lines of the file the directive names, into an array of
 * the pool; the file's name is kept in *name.  From a directive's handler
 * or its post handler: messages name the directive as written, value[0]
 */

ngx_array_t *
ngx_http_push_approval_conf_lines(ngx_conf_t *cf, ngx_pool_t *pool,
    ngx_str_t *name)
{
    ngx_str_t    *value;
    ngx_array_t  *lines;

    value = cf->args->elts;
    *name = value[1];

    lines = ngx_array_create(pool, 2, sizeof(ngx_str_t));
    if (lines == NULL) {
        return NULL;
    }

    if (ngx_http_push_approval_read_lines(cf, &value[0], name, lines)
        != NGX_OK)
    {
        return NULL;
    }

    return lines;
}


static ngx_int_t
ngx_http_push_approval_read_lines(ngx_conf_t *cf, ngx_str_t *directive,
    ngx_str_t *name, ngx_array_t *lines)
{
    u_char           *buf, *p, *last, *eol;
    off_t             size;
    ssize_t           n;
    ngx_int_t         rc;
    ngx_str_t        *line;
    ngx_file_t        file;
    ngx_file_info_t   fi;

    if (ngx_conf_full_name(cf->cycle, name, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_memzero(&file, sizeof(ngx_file_t));
    file.name = *name;
    file.log = cf->log;

    file.fd = ngx_open_file(name->data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (file.fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "\"%V\" cannot open \"%s\"", directive,
                           name->data);
        return NGX_ERROR;
    }

    rc = NGX_ERROR;
    buf = NULL;

    if (ngx_fd_info(file.fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "\"%V\" cannot stat \"%s\"", directive,
                           name->data);
        goto done;
    }

    size = ngx_file_size(&fi);

    if (size > 65536) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" file \"%s\" is too large", directive,
                           name->data);
        goto done;
    }

    buf = ngx_pnalloc(cf->pool, size + 1);
    if (buf == NULL) {
        goto done;
    }

    n = ngx_read_file(&file, buf, size, 0);

    if (n != size) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" cannot read \"%s\"", directive,
                           name->data);
        goto done;
    }

    p = buf;
    last = buf + size;

    while (p < last) {
        eol = ngx_strlchr(p, last, '\n');
        if (eol == NULL) {
            eol = last;
        }

        line = NULL;

        if (eol > p && eol[-1] == '\r') {
            if (eol - 1 > p) {
                line = ngx_array_push(lines);
                if (line == NULL) {
                    goto done;
                }

                line->data = p;
                line->len = eol - 1 - p;
            }

        } else if (eol > p) {
            line = ngx_array_push(lines);
            if (line == NULL) {
                goto done;
            }

            line->data = p;
            line->len = eol - p;
        }

        p = eol + 1;
    }

    if (lines->nelts == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" file \"%s\" is empty", directive,
                           name->data);
        goto done;
    }

    rc = NGX_OK;

done:

    if (rc != NGX_OK && buf) {
        ngx_explicit_memzero(buf, size);
    }

    if (ngx_close_file(file.fd) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, cf->log, ngx_errno,
                      ngx_close_file_n " \"%s\" failed", name->data);
    }

    return rc;
}


/* the lines of a file of secrets, named by a directive that is set once */

ngx_array_t *
ngx_http_push_approval_secret_lines(ngx_conf_t *cf, ngx_command_t *cmd,
    ngx_str_t *secret, ngx_str_t *file)
{
    if (secret->data) {
        /* as nginx says it for a handler's "is duplicate" */
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" directive is duplicate", &cmd->name);
        return NULL;
    }

    return ngx_http_push_approval_conf_lines(cf, cf->temp_pool, file);
}
