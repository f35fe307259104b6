/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Growable byte buffer with a hard cap. Every size that input can drive goes
 * through a cap here, so a hostile input cannot make it grow without bound.
 */
#include "hardpod/buf.h"

#include "hardpod/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hp_buf_init(struct hp_buf *b, size_t max)
{
    memset(b, 0, sizeof(*b));
    b->max = max;
}

void hp_buf_cleanup(struct hp_buf *b)
{
    free(b->data);
    size_t max = b->max;
    hp_buf_init(b, max);
}

void hp_buf_reset(struct hp_buf *b)
{
    b->len = 0;
    b->overflow = false;
    if (b->data != NULL) {
        b->data[0] = '\0';
    }
}

static bool reserve(struct hp_buf *b, size_t n)
{
    if (b->max != 0 && (n > b->max || b->len > b->max - n)) {
        b->overflow = true;
        return false;
    }
    size_t need = b->len + n + 1;
    if (need <= b->cap) {
        return true;
    }
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) {
        cap *= 2;
    }
    b->data = hp_xrealloc(b->data, cap);
    b->cap = cap;
    return true;
}

bool hp_buf_reserve(struct hp_buf *b, size_t n)
{
    if (b->max != 0 && (n > b->max || b->len > b->max - n)) {
        b->overflow = true;
        return false;
    }
    size_t need = b->len + n + 1;
    if (need > b->cap) {
        b->data = hp_xrealloc(b->data, need);
        b->cap = need;
        b->data[b->len] = '\0';
    }
    return true;
}

void hp_buf_shrink(struct hp_buf *b)
{
    if (b->data != NULL && b->cap > b->len + 1) {
        b->data = hp_xrealloc(b->data, b->len + 1);
        b->cap = b->len + 1;
    }
}

bool hp_buf_append(struct hp_buf *b, const void *p, size_t n)
{
    if (!reserve(b, n)) {
        return false;
    }
    if (n > 0) {
        memcpy(b->data + b->len, p, n);
    }
    b->len += n;
    b->data[b->len] = '\0';
    return true;
}

bool hp_buf_puts(struct hp_buf *b, const char *s)
{
    return hp_buf_append(b, s, strlen(s));
}

bool hp_buf_putc(struct hp_buf *b, char c)
{
    return hp_buf_append(b, &c, 1);
}

bool hp_buf_printf(struct hp_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) {
        return false;
    }
    if ((size_t)n < sizeof(small)) {
        return hp_buf_append(b, small, (size_t)n);
    }
    if (!reserve(b, (size_t)n)) {
        return false;
    }
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return true;
}

const char *hp_buf_str(const struct hp_buf *b)
{
    return b->data != NULL ? b->data : "";
}

char *hp_buf_take(struct hp_buf *b, size_t *len)
{
    char *data = b->data != NULL ? b->data : hp_xstrdup("");
    if (len != NULL) {
        *len = b->len;
    }
    size_t max = b->max;
    hp_buf_init(b, max);
    return data;
}
