/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the files of src/image: the shell-word lexer that substitutes
 * variables as BuildKit's Dockerfile frontend does (lex.c). Pure; every
 * output is charged to a caller-owned byte budget so that a hostile file
 * cannot make expansion blow memory or time.
 */
#ifndef HP_IMAGE_INTERNAL_H
#define HP_IMAGE_INTERNAL_H

#include "hardpod/buf.h"

#include <stdbool.h>
#include <stddef.h>

/* What is known of a variable: set (to *value), known to be unset, or not
 * known at all (a build argument given at build time, a base image's
 * environment hardpod does not have). */
enum img_var_state {
    IMG_VAR_UNSET,
    IMG_VAR_SET,
    IMG_VAR_UNKNOWN,
};

typedef enum img_var_state (*img_lookup_fn)(void *ctx, const char *name, size_t len,
                                            const char **value, size_t *value_len);

enum img_lex_rc {
    IMG_LEX_OK,
    IMG_LEX_UNRESOLVED, /* a variable whose value is not known: name in unresolved */
    IMG_LEX_ERROR,      /* BuildKit would refuse the word: message in msg */
    IMG_LEX_LIMIT,      /* the budget or the nesting cap was exceeded */
};

#define IMG_LEX_NAME_MAX 128
#define IMG_LEX_MSG_MAX 200
#define IMG_LEX_DEPTH_MAX 32

/* One call's settings and results. */
struct img_lex {
    char escape;      /* '\\' or '`' */
    bool raw_quotes;  /* keep quote characters in the output */
    bool raw_escapes; /* keep escape characters in the output */
    bool skip_unset;  /* an unset variable stays as written ("$X", "${X:-d}") */
    img_lookup_fn lookup;
    void *ctx;
    size_t *budget; /* bytes of output left, shared by every call of a parse */
    /* results */
    char unresolved[IMG_LEX_NAME_MAX + 1];
    char msg[IMG_LEX_MSG_MAX];
};

/* Words split after substitution, as BuildKit's ProcessWords: word i is
 * all.data[start[i] .. start[i] + len[i]). */
struct img_words {
    struct hp_buf all;
    size_t *start;
    size_t *len;
    size_t n;
    size_t cap;
};

void img_words_init(struct img_words *w);
void img_words_cleanup(struct img_words *w);

/* Substitutes variables in s[0..n) and removes quotes and escapes as
 * BuildKit's ProcessWord does; the result is appended to out. When words is
 * not NULL the result is also split into words as ProcessWords does. */
enum img_lex_rc img_lex_word(struct img_lex *lx, const char *s, size_t n, struct hp_buf *out,
                             struct img_words *words);

/* Go's unicode.IsSpace on the UTF-8 character at s (n bytes left): its
 * length, 0 when it is not a space. */
size_t img_space_len(const char *s, size_t n);

#endif
