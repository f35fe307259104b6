/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Error records and allocation wrappers. Allocation failure aborts with a
 * message: hardpod runs under a supervisor that restarts it, and every size
 * driven by input is capped before it reaches an allocator.
 */
#include "hardpod/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void mark_truncated(char *msg, int n)
{
    if (n >= HP_ERROR_MSG_MAX) {
        memcpy(msg + HP_ERROR_MSG_MAX - 4, "...", 4);
    }
}

enum hp_err hp_error_set(struct hp_error *err, enum hp_err code, const char *fmt, ...)
{
    if (err == NULL) {
        return code;
    }
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    mark_truncated(err->msg, n);
    return code;
}

void hp_error_prefix(struct hp_error *err, const char *fmt, ...)
{
    if (err == NULL) {
        return;
    }
    char prefix[HP_ERROR_MSG_MAX];
    char old[HP_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof(old));
    int n = snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
    mark_truncated(err->msg, n);
}

void hp_error_clear(struct hp_error *err)
{
    if (err != NULL) {
        err->code = HP_OK;
        err->msg[0] = '\0';
    }
}

_Noreturn void hp_oom(void)
{
    fputs("hardpod: out of memory\n", stderr);
    abort();
}

void *hp_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL) {
        hp_oom();
    }
    return p;
}

void *hp_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL) {
        hp_oom();
    }
    return p;
}

void *hp_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL) {
        hp_oom();
    }
    return q;
}

char *hp_xstrdup(const char *s)
{
    return hp_xstrndup(s, strlen(s));
}

char *hp_xstrndup(const char *s, size_t n)
{
    char *p = hp_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}
