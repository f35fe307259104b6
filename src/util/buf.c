/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Growable byte buffer with a hard cap. Every size that input can drive goes
 * through a cap here, so a hostile input cannot make it grow without bound.
 */
#include "hardpod/buf.h"

#include "hardpod/error.h"

#include <stdarg.h>
#include <stdint.h>
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

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 if invalid. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    unsigned int min;
    unsigned int cp;
    if (c < 0x80) {
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        len = 2, min = 0x80, cp = c & 0x1Fu;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3, min = 0x800, cp = c & 0x0Fu;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4, min = 0x10000, cp = c & 0x07u;
    } else {
        return 0;
    }
    if (len > n) {
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return 0;
    }
    return len;
}

bool hp_utf8_valid(const char *s, size_t n, size_t *bad_at)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        /* ASCII runs, 32 and then 8 bytes at a time. */
        if (i + 32 <= n) {
            uint64_t w[4];
            memcpy(w, p + i, 32);
            if (((w[0] | w[1] | w[2] | w[3]) & 0x8080808080808080ull) == 0) {
                i += 32;
                continue;
            }
        }
        if (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            if ((w & 0x8080808080808080ull) == 0) {
                i += 8;
                continue;
            }
        }
        size_t len = utf8_seq_len(p + i, n - i);
        if (len == 0) {
            if (bad_at != NULL) {
                *bad_at = i;
            }
            return false;
        }
        i += len;
    }
    return true;
}

size_t hp_utf8_repair(char *s)
{
    unsigned char *p = (unsigned char *)s;
    size_t n = strlen(s);
    if (hp_utf8_valid(s, n, NULL)) {
        return n;
    }
    size_t out = 0;
    for (size_t i = 0; i < n;) {
        size_t len = utf8_seq_len(p + i, n - i);
        if (len == 0) {
            i++;
            continue;
        }
        memmove(p + out, p + i, len);
        out += len;
        i += len;
    }
    p[out] = '\0';
    return out;
}

bool hp_buf_put_json_string(struct hp_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    bool ok = hp_buf_putc(b, '"');
    size_t i = 0;
    while (ok && i < n) {
        size_t run = i;
        while (run < n && p[run] >= 0x20 && p[run] < 0x80 && p[run] != '"' && p[run] != '\\') {
            run++;
        }
        if (run > i) {
            ok = hp_buf_append(b, p + i, run - i);
            i = run;
            continue;
        }
        unsigned char c = p[i];
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            ok = hp_buf_append(b, esc, 2);
            i++;
        } else if (c == '\n') {
            ok = hp_buf_append(b, "\\n", 2), i++;
        } else if (c == '\t') {
            ok = hp_buf_append(b, "\\t", 2), i++;
        } else if (c == '\r') {
            ok = hp_buf_append(b, "\\r", 2), i++;
        } else if (c < 0x20) {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            ok = hp_buf_append(b, esc, 6);
            i++;
        } else {
            size_t len = utf8_seq_len(p + i, n - i);
            if (len == 0) {
                ok = hp_buf_append(b, "\xEF\xBF\xBD", 3);
                i++;
            } else {
                ok = hp_buf_append(b, p + i, len);
                i += len;
            }
        }
    }
    return ok && hp_buf_putc(b, '"');
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
