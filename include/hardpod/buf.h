/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Growable byte buffer with a hard cap, always NUL-terminated. Used for
 * building messages, JSON output and reading files. Not thread-safe; one owner.
 */
#ifndef HARDPOD_BUF_H
#define HARDPOD_BUF_H

#include "hardpod/utf8.h" /* the UTF-8 rules that hp_buf_put_json_string applies */

#include <stdbool.h>
#include <stddef.h>

struct hp_buf {
    char *data; /* owned; NUL-terminated; NULL until the first append */
    size_t len;
    size_t cap;
    size_t max;    /* appends that would grow len past max fail; 0 = no cap */
    bool overflow; /* set once an append was refused by max */
};

/* Initialises an empty buffer with the given cap (0 = unlimited). */
void hp_buf_init(struct hp_buf *b, size_t max);
/* Frees the storage; the buffer may be initialised again. */
void hp_buf_cleanup(struct hp_buf *b);
/* Empties the buffer, keeping its storage. */
void hp_buf_reset(struct hp_buf *b);
/* Makes room for n more bytes at once, allocating exactly that much when the
 * buffer must grow (appends double it). false when the cap would be exceeded. */
bool hp_buf_reserve(struct hp_buf *b, size_t n);
/* Gives back the storage beyond len. */
void hp_buf_shrink(struct hp_buf *b);
/* Appends n bytes. Returns false (and sets overflow) when the cap would be exceeded. */
bool hp_buf_append(struct hp_buf *b, const void *p, size_t n);
bool hp_buf_puts(struct hp_buf *b, const char *s);
bool hp_buf_putc(struct hp_buf *b, char c);
bool hp_buf_printf(struct hp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal, quotes included, escaping as RFC 8259
 * requires. Invalid UTF-8 bytes are replaced by U+FFFD. Returns false (and
 * stops) when the cap refuses a byte. Defined with the escaper it uses, in
 * src/util/json_text.c (see hardpod/json_text.h for capped text). */
bool hp_buf_put_json_string(struct hp_buf *b, const char *s, size_t n);

/* Returns the data (an empty string when nothing was appended); borrowed. */
const char *hp_buf_str(const struct hp_buf *b);

/* Hands the buffer's memory to the caller: returns the NUL-terminated data
 * (owned by the caller, free(); a fresh "" when nothing was appended) and,
 * when len is not NULL, its length. b is left empty with the same cap, as
 * after hp_buf_init, and may be appended to again. */
char *hp_buf_take(struct hp_buf *b, size_t *len);

#endif
