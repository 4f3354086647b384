
/*
 * Copyright (C) push approval module developers
 *
 * A tiny unit test harness: every check counts, the summary line is
 * "N passed, M failed" and the exit status is non-zero on any failure.
 */


#ifndef _NGX_HTTP_PUSH_APPROVAL_UNIT_H_INCLUDED_
#define _NGX_HTTP_PUSH_APPROVAL_UNIT_H_INCLUDED_


#include <stdio.h>
#include <string.h>


static unsigned long  ngx_http_push_approval_unit_passed;
static unsigned long  ngx_http_push_approval_unit_failed;


#define UNIT_OK(cond, name)                                                   \
    do {                                                                      \
        if (cond) {                                                           \
            ngx_http_push_approval_unit_passed++;                             \
        } else {                                                              \
            ngx_http_push_approval_unit_failed++;                             \
            printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, name);             \
        }                                                                     \
    } while (0)

#define UNIT_IS(got, want, name)                                              \
    do {                                                                      \
        long long  unit_got = (long long) (got);                              \
        long long  unit_want = (long long) (want);                            \
        UNIT_OK(unit_got == unit_want, name);                                 \
        if (unit_got != unit_want) {                                          \
            printf("    got %lld, want %lld\n", unit_got, unit_want);         \
        }                                                                     \
    } while (0)

#define UNIT_MEM(got, glen, want, name)                                       \
    do {                                                                      \
        size_t  unit_glen = (size_t) (glen);                                  \
        size_t  unit_wlen = strlen(want);                                     \
        int     unit_ok = unit_glen == unit_wlen                              \
                          && memcmp(got, want, unit_wlen) == 0;               \
        UNIT_OK(unit_ok, name);                                               \
        if (!unit_ok) {                                                       \
            printf("    got  \"%.*s\"\n    want \"%s\"\n",                     \
                   (int) unit_glen, (char *) (got), want);                    \
        }                                                                     \
    } while (0)

#define UNIT_DONE()                                                           \
    (printf("%lu passed, %lu failed\n", ngx_http_push_approval_unit_passed,   \
            ngx_http_push_approval_unit_failed),                              \
     ngx_http_push_approval_unit_failed ? 1 : 0)


#endif /* _NGX_HTTP_PUSH_APPROVAL_UNIT_H_INCLUDED_ */
