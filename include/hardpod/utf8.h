/* SPDX-License-Identifier: Apache-2.0 */
/*
 * UTF-8 as hardpod accepts it (RFC 3629): no overlong forms, no surrogates,
 * nothing above U+10FFFF. One decoder for every module that checks or cuts
 * text. Pure functions on caller memory: no allocation, thread-safe.
 */
#ifndef HARDPOD_UTF8_H
#define HARDPOD_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Length of the well-formed sequence at s[0..n): 1 for any byte below 0x80
 * (NUL included), 2 to 4 for a multi-byte character, 0 when the bytes are
 * not one or n is 0. Continuation bytes are read one at a time and the
 * first that is not one ends the look, so a NUL-terminated string may be
 * passed with an n larger than what is left of it. */
size_t hp_utf8_len(const char *s, size_t n);

/* Whether s[0..n) is well-formed UTF-8. On failure *bad_at (if non-NULL) is
 * the offset of the first bad sequence. ASCII runs are checked eight bytes
 * at a time. */
bool hp_utf8_valid(const char *s, size_t n, size_t *bad_at);

/* Removes, in place, every byte of s that is not part of a well-formed UTF-8
 * sequence (such as a character cut in half by "%.63s"). Returns the new
 * length; s stays NUL-terminated. */
size_t hp_utf8_repair(char *s);

#endif
