/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Error reporting shared by every module: one result enum returned by every
 * fallible function, and a caller-owned error record that carries a message a
 * user can act on. No allocation: the message lives inside the record.
 */
#ifndef HARDPOD_ERROR_H
#define HARDPOD_ERROR_H

#include <stddef.h>

enum hp_err {
    HP_OK = 0,
    HP_ERR_INVALID,  /* input is malformed or violates a documented limit */
    HP_ERR_LIMIT,    /* input exceeds a size, depth or count cap */
    HP_ERR_IO,       /* a file or socket operation failed (errno in the message) */
    HP_ERR_CRYPTO,   /* OpenSSL or GnuTLS reported an error */
    HP_ERR_INTERNAL, /* a bug: should never reach a user */
};

#define HP_ERROR_MSG_MAX 512

/* Caller-owned. Functions that take a `struct hp_error *err` accept NULL. */
struct hp_error {
    enum hp_err code;
    char msg[HP_ERROR_MSG_MAX];
};

/* Records code and a printf-style message into err (if non-NULL) and returns
 * code, so that callers can write `return hp_error_set(err, ...)`. A message
 * longer than the buffer is truncated with "...". */
enum hp_err hp_error_set(struct hp_error *err, enum hp_err code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepends "prefix: " to an existing message (for adding file and line context). */
void hp_error_prefix(struct hp_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Clears err (if non-NULL) to HP_OK with an empty message. */
void hp_error_clear(struct hp_error *err);

/* Prints "hardpod: out of memory" to stderr and aborts. Used for allocation
 * failures: the process is restarted by its supervisor. */
_Noreturn void hp_oom(void);

/* malloc/calloc/realloc/strdup that never return NULL (hp_oom on failure). */
void *hp_xmalloc(size_t n);
void *hp_xcalloc(size_t n, size_t size);
void *hp_xrealloc(void *p, size_t n);
char *hp_xstrdup(const char *s);
char *hp_xstrndup(const char *s, size_t n);

#endif
