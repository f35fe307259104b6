/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Text written into JSON output: escaping as RFC 8259 requires, invalid
 * UTF-8 bytes replaced by U+FFFD, and caps that cut only between
 * characters, so that what is written is always valid JSON. The one JSON
 * string escaper of the tree (hp_buf_put_json_string is built on it).
 * Nothing here allocates besides the output buffer; not thread-safe per
 * struct hp_json_text, which lives on the caller's stack.
 */
#ifndef HARDPOD_JSON_TEXT_H
#define HARDPOD_JSON_TEXT_H

#include "hardpod/buf.h"

#include <stdbool.h>
#include <stddef.h>

/* The content of one JSON string under construction (the caller writes the
 * quotes). Escaped once (levels 1) or twice (levels 2: a JSON document
 * carried in a JSON string). Two caps, both cutting only on character
 * boundaries: budget counts decoded bytes, what a client sees once it
 * parses the output; room counts bytes written. Once a piece does not fit,
 * cut is set and nothing more is written. */
struct hp_json_text {
    struct hp_buf *out; /* borrowed; NULL: count only */
    int levels;         /* 1 or 2 */
    size_t budget;      /* decoded bytes still allowed */
    size_t room;        /* bytes still allowed into out; SIZE_MAX after init */
    size_t written;     /* bytes appended (or, with out NULL, that would be) */
    bool cut;           /* something did not fit in a cap, or out refused it */
};

/* Sets t up to write into out (NULL to count only) with the given budget
 * of decoded bytes and no cap on the bytes written (set t->room for one). */
void hp_json_text_init(struct hp_json_text *t, struct hp_buf *out, int levels, size_t budget);

/* Appends untrusted s[0..n) escaped, as far as the caps allow. */
void hp_json_text_put(struct hp_json_text *t, const char *s, size_t n);
/* hp_json_text_put of a NUL-terminated s; NULL writes nothing. */
void hp_json_text_puts(struct hp_json_text *t, const char *s);
/* Appends s[0..n) as it is, as far as the caps allow: for ASCII that needs
 * no escaping at t's level (the caller's own literals). */
void hp_json_text_raw(struct hp_json_text *t, const char *s, size_t n);
/* Puts s, or when it decodes to more than max bytes (max >= 3), its first
 * max - 3 decoded bytes and "...". Only t's own caps running out stop what
 * follows. */
void hp_json_text_put_capped(struct hp_json_text *t, const char *s, size_t max);

/* Decoded length of NUL-terminated s (NULL: 0) once written: invalid UTF-8
 * bytes count 3 (U+FFFD). */
size_t hp_json_text_len(const char *s);

#endif
