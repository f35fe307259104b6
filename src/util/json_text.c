/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The JSON string escaper (see hardpod/json_text.h): one table lookup per
 * byte of the common case, long plain runs, and caps that cut only between
 * characters.
 */
#include "hardpod/json_text.h"

#include "hardpod/utf8.h"

#include <stdint.h>
#include <string.h>

#define Z16 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
#define O16 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1

/* 1 for the bytes that go into a JSON string unchanged: printable ASCII but
 * '"' and '\\'. A table keeps the common case, long plain runs, to one load
 * and one test per byte. */
/* clang-format off */
static const unsigned char plain[256] = {
    /* 0x00 */ Z16,
    /* 0x10 */ Z16,
    /* 0x20 */ 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* '"' */
    /* 0x30 */ O16,
    /* 0x40 */ O16,
    /* 0x50 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, /* '\\' */
    /* 0x60 */ O16,
    /* 0x70 */ O16,
    /* 0x80 and up: zero */
};
/* clang-format on */

void hp_json_text_init(struct hp_json_text *t, struct hp_buf *out, int levels, size_t budget)
{
    *t = (struct hp_json_text){.out = out, .levels = levels, .budget = budget, .room = SIZE_MAX};
}

/* Appends p[0..n), which decodes to decoded bytes; the caller has checked
 * both caps. A buffer that refuses it (its own cap) ends the text. */
static void emit(struct hp_json_text *t, const void *p, size_t n, size_t decoded)
{
    if (t->out != NULL && !hp_buf_append(t->out, p, n)) {
        t->cut = true;
        return;
    }
    t->written += n;
    t->budget -= decoded;
    t->room -= n;
}

void hp_json_text_raw(struct hp_json_text *t, const char *s, size_t n)
{
    if (t->cut) {
        return;
    }
    size_t limit = t->budget < t->room ? t->budget : t->room;
    if (n > limit) {
        n = limit;
        t->cut = true;
    }
    emit(t, s, n, n);
}

size_t hp_json_text_len(const char *s)
{
    const char *p = s != NULL ? s : "";
    size_t len = 0;
    while (*p != '\0') {
        if ((unsigned char)*p < 0x80) {
            p++, len++;
            continue;
        }
        /* The sequence check stops at the NUL, which is no continuation byte. */
        size_t k = hp_utf8_len(p, 4);
        p += k != 0 ? k : 1;
        len += k != 0 ? k : 3;
    }
    return len;
}

/* The escape of a quote, a backslash or a control character c, escaped
 * levels times. Returns its length. */
static size_t escape(unsigned char c, int levels, char *esc)
{
    static const char hex[] = "0123456789abcdef";
    char one[6] = {'\\', (char)c};
    size_t n = 2;
    if (c == '\n' || c == '\r' || c == '\t') {
        one[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
    } else if (c < 0x20) {
        one[1] = 'u';
        one[2] = '0';
        one[3] = '0';
        one[4] = hex[c >> 4];
        one[5] = hex[c & 15];
        n = 6;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (levels == 2 && (one[i] == '\\' || one[i] == '"')) {
            esc[m++] = '\\';
        }
        esc[m++] = one[i];
    }
    return m;
}

void hp_json_text_put(struct hp_json_text *t, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n && !t->cut) {
        size_t run = i;
        while (run < n && plain[p[run]]) {
            run++;
        }
        if (run > i) {
            hp_json_text_raw(t, s + i, run - i);
            i = run;
            continue;
        }
        char esc[16];
        const void *bytes = esc;
        size_t len;
        size_t decoded = 1;
        size_t consumed = 1;
        if (p[i] < 0x80) {
            len = escape(p[i], t->levels, esc);
        } else if ((consumed = hp_utf8_len(s + i, n - i)) != 0) {
            bytes = p + i;
            len = decoded = consumed;
        } else {
            bytes = "\xEF\xBF\xBD";
            len = decoded = 3;
            consumed = 1;
        }
        if (decoded > t->budget || len > t->room) {
            t->cut = true;
            break;
        }
        emit(t, bytes, len, decoded);
        i += consumed;
    }
}

void hp_json_text_puts(struct hp_json_text *t, const char *s)
{
    if (s != NULL) {
        hp_json_text_put(t, s, strlen(s));
    }
}

void hp_json_text_put_capped(struct hp_json_text *t, const char *s, size_t max)
{
    if (hp_json_text_len(s) <= max) {
        hp_json_text_puts(t, s);
        return;
    }
    size_t budget = t->budget;
    size_t limit = budget < max - 3 ? budget : max - 3;
    t->budget = limit;
    hp_json_text_puts(t, s);
    t->budget = budget - (limit - t->budget);
    /* Only the outer budget running out stops the rest of the text. */
    t->cut = t->cut && budget < max - 3;
    hp_json_text_raw(t, "...", 3);
}

bool hp_buf_put_json_string(struct hp_buf *b, const char *s, size_t n)
{
    struct hp_json_text t;
    hp_json_text_init(&t, b, 1, SIZE_MAX);
    if (!hp_buf_putc(b, '"')) {
        return false;
    }
    hp_json_text_put(&t, s, n);
    return !t.cut && hp_buf_putc(b, '"');
}
