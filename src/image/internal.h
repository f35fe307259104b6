/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the files of src/image: the shell-word lexer that substitutes
 * variables as BuildKit's Dockerfile frontend does (lex.c), and the state of
 * one Dockerfile read, split between lines.c (lines, directives, heredocs)
 * and dockerfile.c (instructions and stages). Pure; every output is charged
 * to a byte budget so that a hostile file cannot make expansion blow memory
 * or time.
 */
#ifndef HP_IMAGE_INTERNAL_H
#define HP_IMAGE_INTERNAL_H

#include "hardpod/buf.h"
#include "hardpod/error.h"
#include "hardpod/image.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* ---- reading a Dockerfile (lines.c, dockerfile.c) ---- */

#define IMG_MAX_LINE 65535 /* BuildKit's scanner refuses longer lines */
#define IMG_MAX_INSTRUCTIONS 20000
#define IMG_MAX_STAGES 1000
#define IMG_MAX_VARS 512 /* per scope: the global ARGs, or a chain of stages */
#define IMG_MAX_PORTS 4096
#define IMG_EXPAND_BUDGET ((size_t)16 * 1024 * 1024) /* substituted text per file */

enum img_cmd {
    IMG_CMD_UNKNOWN,
    IMG_CMD_ADD,
    IMG_CMD_ARG,
    IMG_CMD_CMD,
    IMG_CMD_COPY,
    IMG_CMD_ENTRYPOINT,
    IMG_CMD_ENV,
    IMG_CMD_EXPOSE,
    IMG_CMD_FROM,
    IMG_CMD_HEALTHCHECK,
    IMG_CMD_LABEL,
    IMG_CMD_MAINTAINER,
    IMG_CMD_ONBUILD,
    IMG_CMD_RUN,
    IMG_CMD_SHELL,
    IMG_CMD_STOPSIGNAL,
    IMG_CMD_USER,
    IMG_CMD_VOLUME,
    IMG_CMD_WORKDIR,
};

/* One instruction: its logical line (continuations joined) in text. */
struct img_instr {
    enum img_cmd cmd;
    size_t line;
    size_t off, len;
};

struct img_var {
    char *name;
    char *value; /* NULL unless SET */
    enum img_var_state st;
};

struct img_scope {
    struct img_var *v;
    size_t n;
    enum img_var_state undeclared; /* what a name never set is */
};

struct img_stage {
    size_t ins; /* index of the FROM */
    size_t end; /* one past its last instruction */
    char *name; /* lower case; NULL */
    char *base; /* resolved; NULL when unresolved */
    char unresolved[IMG_LEX_NAME_MAX + 1];
    ptrdiff_t parent; /* the earlier stage it starts from; -1 */
};

/* One Dockerfile being read: the input, the instructions read from it, and
 * the variables and stages while they are evaluated. */
struct img_parser {
    const char *d;
    size_t n;
    size_t pos;
    size_t line;
    char esc;
    bool directives_done;
    bool seen[3];
    struct hp_buf text;
    struct img_instr *ins;
    size_t n_ins;
    size_t cap_ins;
    size_t budget;
    const struct hp_dockerfile_options *opt;
    struct hp_error *err;
    struct img_scope globals;
    struct img_scope vars;
    struct img_stage *stages;
    size_t n_stages;
};

struct img_cmdline {
    const char *cmd;
    size_t cmd_len;
    struct img_words flags;
    const char *args;
    size_t args_len;
};

/* Records "line N: message" (no prefix when line is 0) in P->err. */
enum hp_err img_fail(struct img_parser *P, size_t line, enum hp_err code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Splits P->d into logical instructions (P->ins, their text in P->text),
 * applying directives, continuations and heredocs as BuildKit's parser. */
enum hp_err img_read_lines(struct img_parser *P);

/* BuildKit's splitCommand: the instruction word, its leading --flags and
 * the rest. c borrows s; img_cmdline_cleanup frees the flags. */
void img_split_command(char esc, const char *s, size_t n, struct img_cmdline *c);
void img_cmdline_cleanup(struct img_cmdline *c);

/* 1: a JSON array of strings (exec form); 0: not JSON (shell form); -1: a
 * JSON array holding something else, which BuildKit refuses. */
int img_json_form(const char *s, size_t n);

/* BuildKit's parseWords: words split on blanks, quotes and escapes kept. */
void img_raw_words(char esc, const char *s, size_t n, struct img_words *w);
const char *img_word_at(const struct img_words *w, size_t i, size_t *len);

/* The blanks of BuildKit's whitespace regular expression: [\t\v\f\r ]. */
bool img_regex_ws(char c);
/* Go's strings.TrimSpace on s[0..*n). */
void img_trim(const char **s, size_t *n);

#endif
