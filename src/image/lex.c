/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shell-word processing as BuildKit's Dockerfile frontend applies it to ENV,
 * ARG, USER, EXPOSE and FROM: quotes, the escape character, $VAR, ${VAR} and
 * the ${VAR:-word} family, and word splitting after substitution. A variable
 * whose value hardpod cannot know stops the word as unresolved: nothing is
 * guessed. Pattern modifiers (${VAR#p}, ${VAR%p}, ${VAR/p/r}) are not
 * evaluated on a set variable: its value is reported unresolved.
 */
#include "internal.h"

#include "hardpod/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lexer {
    struct img_lex *lx;
    const char *s;
    size_t n;
    size_t pos;
    bool raw_escapes;
    int depth;
    struct img_words *words; /* the top-level split, or NULL */
    struct hp_buf cur;       /* the word being split */
    bool in_word;
};

void img_words_init(struct img_words *w)
{
    memset(w, 0, sizeof(*w));
    hp_buf_init(&w->all, 0);
}

void img_words_cleanup(struct img_words *w)
{
    hp_buf_cleanup(&w->all);
    free(w->start);
    free(w->len);
    memset(w, 0, sizeof(*w));
}

size_t img_space_len(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    if (n == 0) {
        return 0;
    }
    if (u[0] == ' ' || (u[0] >= '\t' && u[0] <= '\r')) {
        return 1;
    }
    if (n >= 2 && u[0] == 0xc2 && (u[1] == 0x85 || u[1] == 0xa0)) {
        return 2;
    }
    if (n >= 3 && u[0] == 0xe1 && u[1] == 0x9a && u[2] == 0x80) {
        return 3; /* U+1680 */
    }
    if (n >= 3 && u[0] == 0xe2 && u[1] == 0x80 &&
        (u[2] <= 0x8a || u[2] == 0xa8 || u[2] == 0xa9 || u[2] == 0xaf)) {
        return u[2] >= 0x80 ? 3 : 0; /* U+2000..200A, 2028, 2029, 202F */
    }
    if (n >= 3 && u[0] == 0xe2 && u[1] == 0x81 && u[2] == 0x9f) {
        return 3; /* U+205F */
    }
    if (n >= 3 && u[0] == 0xe3 && u[1] == 0x80 && u[2] == 0x80) {
        return 3; /* U+3000 */
    }
    return 0;
}

static enum img_lex_rc fail(struct lexer *L, enum img_lex_rc rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum img_lex_rc fail(struct lexer *L, enum img_lex_rc rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(L->lx->msg, sizeof(L->lx->msg), fmt, ap);
    va_end(ap);
    return rc;
}

static enum img_lex_rc unresolved(struct lexer *L, const char *name, size_t len)
{
    size_t n = len < IMG_LEX_NAME_MAX ? len : IMG_LEX_NAME_MAX;
    memcpy(L->lx->unresolved, name, n);
    L->lx->unresolved[n] = '\0';
    return IMG_LEX_UNRESOLVED;
}

static enum img_lex_rc put(struct lexer *L, struct hp_buf *b, const char *p, size_t n)
{
    if (n > *L->lx->budget) {
        snprintf(L->lx->msg, sizeof(L->lx->msg),
                 "variable substitution produces more text than hardpod reads from one "
                 "Dockerfile");
        return IMG_LEX_LIMIT;
    }
    *L->lx->budget -= n;
    hp_buf_append(b, p, n);
    return IMG_LEX_OK;
}

/* ---- word splitting (BuildKit's wordsStruct) ---- */

static void words_push(struct lexer *L)
{
    struct img_words *w = L->words;
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 8;
        w->start = hp_xrealloc(w->start, w->cap * sizeof(*w->start));
        w->len = hp_xrealloc(w->len, w->cap * sizeof(*w->len));
    }
    w->start[w->n] = w->all.len;
    w->len[w->n] = L->cur.len;
    hp_buf_append(&w->all, L->cur.data, L->cur.len);
    w->n++;
    hp_buf_reset(&L->cur);
}

static void add_raw(struct lexer *L, const char *p, size_t n)
{
    if (L->words != NULL) {
        hp_buf_append(&L->cur, p, n);
        L->in_word = true;
    }
}

/* Splits on spaces: text that came from plain characters or a variable. */
static void add_split(struct lexer *L, const char *p, size_t n)
{
    if (L->words == NULL) {
        return;
    }
    for (size_t i = 0; i < n;) {
        size_t sp = img_space_len(p + i, n - i);
        if (sp > 0) {
            if (L->in_word && L->cur.len != 0) {
                words_push(L);
                L->in_word = false;
            }
            i += sp;
            continue;
        }
        add_raw(L, p + i, 1);
        i++;
    }
}

/* ---- the lexer (BuildKit's shellWord) ---- */

static enum img_lex_rc until(struct lexer *L, int stop, bool raw_escapes, struct hp_buf *out,
                             bool top);

static bool name_byte(unsigned char c)
{
    /* Bytes of non-ASCII characters count as letters: a name BuildKit reads
     * further than hardpod would then be reported unresolved, never
     * substituted wrongly. */
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c >= 0x80;
}

static void read_name(struct lexer *L, const char **name, size_t *len)
{
    size_t start = L->pos;
    *name = L->s + start;
    if (L->pos < L->n && L->s[L->pos] >= '0' && L->s[L->pos] <= '9') {
        while (L->pos < L->n && L->s[L->pos] >= '0' && L->s[L->pos] <= '9') {
            L->pos++;
        }
    } else if (L->pos < L->n && strchr("@*#?-$!", L->s[L->pos]) != NULL && L->s[L->pos] != 0) {
        L->pos++;
    } else {
        while (L->pos < L->n && name_byte((unsigned char)L->s[L->pos])) {
            L->pos++;
        }
    }
    *len = L->pos - start;
}

static enum img_var_state lookup(struct lexer *L, const char *name, size_t len, const char **v,
                                 size_t *vlen)
{
    *v = "";
    *vlen = 0;
    if (len == 0) {
        return IMG_VAR_UNSET; /* "${/a/b}": BuildKit looks up "", never set */
    }
    return L->lx->lookup(L->lx->ctx, name, len, v, vlen);
}

/* The part of ${...} after the name and its modifier. */
static enum img_lex_rc nested(struct lexer *L, int stop, bool raw, struct hp_buf *word,
                              const char *missing)
{
    /* BuildKit's nested call empties the shared buffer of the word being
     * split: the text of that word before ${ is lost. */
    if (L->words != NULL) {
        hp_buf_reset(&L->cur);
    }
    if (++L->depth > IMG_LEX_DEPTH_MAX) {
        return fail(L, IMG_LEX_LIMIT, "variable substitutions nested more than %s deep", "32");
    }
    enum img_lex_rc rc = until(L, stop, raw, word, false);
    L->depth--;
    if (rc == IMG_LEX_ERROR && L->pos >= L->n) {
        return fail(L, rc, "%s", missing);
    }
    return rc;
}

static enum img_lex_rc literal(struct lexer *L, struct hp_buf *out, const char *name, size_t len,
                               const char *mod, const struct hp_buf *word, const char *mid,
                               const struct hp_buf *word2)
{
    enum img_lex_rc rc = put(L, out, "${", 2);
    if (rc == IMG_LEX_OK) {
        rc = put(L, out, name, len);
    }
    if (rc == IMG_LEX_OK) {
        rc = put(L, out, mod, strlen(mod));
    }
    if (rc == IMG_LEX_OK && word != NULL) {
        rc = put(L, out, hp_buf_str(word), word->len);
    }
    if (rc == IMG_LEX_OK && mid != NULL) {
        rc = put(L, out, mid, strlen(mid));
    }
    if (rc == IMG_LEX_OK && word2 != NULL) {
        rc = put(L, out, hp_buf_str(word2), word2->len);
    }
    if (rc == IMG_LEX_OK) {
        rc = put(L, out, "}", 1);
    }
    return rc;
}

static enum img_lex_rc modifier(struct lexer *L, struct hp_buf *out, const char *name, size_t len,
                                char ch, bool null_unset)
{
    char chs[3] = {0};
    if (null_unset) {
        chs[0] = ':';
        chs[1] = ch;
    } else {
        chs[0] = ch;
    }
    bool raw = ch == '#' || ch == '%';
    if (null_unset && raw) {
        return fail(L, IMG_LEX_ERROR, "unsupported modifier (%s) in substitution", chs);
    }
    struct hp_buf word;
    hp_buf_init(&word, 0);
    enum img_lex_rc rc = nested(L, '}', raw, &word, "syntax error: missing '}'");
    const char *v;
    size_t vlen;
    enum img_var_state st = IMG_VAR_UNSET;
    if (rc == IMG_LEX_OK) {
        st = lookup(L, name, len, &v, &vlen);
    }
    if (rc != IMG_LEX_OK) {
        goto out;
    }
    if (st == IMG_VAR_UNSET && L->lx->skip_unset) {
        rc = literal(L, out, name, len, chs, &word, NULL, NULL);
        goto out;
    }
    bool empty = st == IMG_VAR_UNSET || (null_unset && vlen == 0);
    switch (ch) {
    case '-':
    case '+':
        if (st == IMG_VAR_UNKNOWN) {
            rc = unresolved(L, name, len);
        } else if ((ch == '-') == empty) {
            rc = put(L, out, hp_buf_str(&word), word.len);
        } else if (ch == '-') {
            rc = put(L, out, v, vlen);
        }
        break;
    case '?':
        if (st == IMG_VAR_UNKNOWN) {
            rc = unresolved(L, name, len);
        } else if (empty) {
            char what[IMG_LEX_MSG_MAX];
            snprintf(what, sizeof(what), "%.*s: %s", (int)(len < 64 ? len : 64), name,
                     word.len > 0          ? hp_buf_str(&word)
                     : st == IMG_VAR_UNSET ? "is not allowed to be unset"
                                           : "is not allowed to be empty");
            rc = fail(L, IMG_LEX_ERROR, "%s", what);
        } else {
            rc = put(L, out, v, vlen);
        }
        break;
    case '#':
    case '%':
        /* Trimming an unset variable gives nothing; a set one is not
         * evaluated. */
        if (st != IMG_VAR_UNSET) {
            rc = unresolved(L, name, len);
        }
        break;
    default:
        rc = fail(L, IMG_LEX_ERROR, "unsupported modifier (%s) in substitution", chs);
        break;
    }
out:
    hp_buf_cleanup(&word);
    return rc;
}

static enum img_lex_rc replace(struct lexer *L, struct hp_buf *out, const char *name, size_t len)
{
    bool all = L->pos < L->n && L->s[L->pos] == '/';
    if (all) {
        L->pos++;
    }
    struct hp_buf pat, rep;
    hp_buf_init(&pat, 0);
    hp_buf_init(&rep, 0);
    enum img_lex_rc rc = nested(L, '/', true, &pat, "syntax error: missing '/' in ${}");
    if (rc == IMG_LEX_OK) {
        rc = nested(L, '}', true, &rep, "syntax error: missing '}'");
    }
    if (rc == IMG_LEX_OK) {
        const char *v;
        size_t vlen;
        enum img_var_state st = lookup(L, name, len, &v, &vlen);
        if (st == IMG_VAR_UNSET && L->lx->skip_unset) {
            rc = literal(L, out, name, len, all ? "//" : "/", &pat, "/", &rep);
        } else if (st == IMG_VAR_UNSET) {
            /* On the empty value only a pattern that matches nothing (empty,
             * or only stars) matches, and gives the replacement. */
            bool empty_match = strspn(hp_buf_str(&pat), "*") == pat.len;
            rc = empty_match ? put(L, out, hp_buf_str(&rep), rep.len) : IMG_LEX_OK;
        } else {
            rc = unresolved(L, name, len);
        }
    }
    hp_buf_cleanup(&pat);
    hp_buf_cleanup(&rep);
    return rc;
}

static enum img_lex_rc plain_var(struct lexer *L, struct hp_buf *out, const char *name, size_t len,
                                 bool braces)
{
    const char *v;
    size_t vlen;
    enum img_var_state st = lookup(L, name, len, &v, &vlen);
    if (st == IMG_VAR_UNKNOWN) {
        return unresolved(L, name, len);
    }
    if (st == IMG_VAR_SET) {
        return put(L, out, v, vlen);
    }
    if (!L->lx->skip_unset) {
        return IMG_LEX_OK;
    }
    if (braces) {
        return literal(L, out, name, len, "", NULL, NULL, NULL);
    }
    enum img_lex_rc rc = put(L, out, "$", 1);
    return rc == IMG_LEX_OK ? put(L, out, name, len) : rc;
}

static enum img_lex_rc dollar(struct lexer *L, struct hp_buf *out)
{
    const char *name;
    size_t len;
    L->pos++;
    if (L->pos >= L->n || L->s[L->pos] != '{') {
        read_name(L, &name, &len);
        if (len == 0) {
            return put(L, out, "$", 1);
        }
        return plain_var(L, out, name, len, false);
    }
    L->pos++;
    if (L->pos >= L->n) {
        return fail(L, IMG_LEX_ERROR, "%s", "syntax error: missing '}'");
    }
    if (L->s[L->pos] == '{' || L->s[L->pos] == '}' || L->s[L->pos] == ':') {
        return fail(L, IMG_LEX_ERROR, "%s", "syntax error: bad substitution");
    }
    read_name(L, &name, &len);
    if (L->pos >= L->n) {
        return fail(L, IMG_LEX_ERROR, "%s", "syntax error: missing '}'");
    }
    char ch = L->s[L->pos++];
    switch (ch) {
    case '}':
        return plain_var(L, out, name, len, true);
    case ':':
        if (L->pos >= L->n) {
            return fail(L, IMG_LEX_ERROR, "%s", "syntax error: missing '}'");
        }
        ch = L->s[L->pos++];
        return modifier(L, out, name, len, ch, true);
    case '+':
    case '-':
    case '?':
    case '#':
    case '%':
        return modifier(L, out, name, len, ch, false);
    case '/':
        return replace(L, out, name, len);
    default: {
        char chs[2] = {ch, 0};
        return fail(L, IMG_LEX_ERROR, "unsupported modifier (%s) in substitution", chs);
    }
    }
}

static enum img_lex_rc single_quote(struct lexer *L, struct hp_buf *out)
{
    L->pos++;
    enum img_lex_rc rc = L->lx->raw_quotes ? put(L, out, "'", 1) : IMG_LEX_OK;
    size_t start = L->pos;
    while (rc == IMG_LEX_OK) {
        if (L->pos >= L->n) {
            return fail(L, IMG_LEX_ERROR, "%s",
                        "unexpected end of statement while looking for matching single-quote");
        }
        if (L->s[L->pos] == '\'') {
            rc = put(L, out, L->s + start, L->pos - start);
            L->pos++;
            if (rc == IMG_LEX_OK && L->lx->raw_quotes) {
                rc = put(L, out, "'", 1);
            }
            return rc;
        }
        L->pos++;
    }
    return rc;
}

static enum img_lex_rc double_quote(struct lexer *L, struct hp_buf *out)
{
    char esc = L->lx->escape;
    L->pos++;
    enum img_lex_rc rc = L->lx->raw_quotes ? put(L, out, "\"", 1) : IMG_LEX_OK;
    while (rc == IMG_LEX_OK) {
        if (L->pos >= L->n) {
            return fail(L, IMG_LEX_ERROR, "%s",
                        "unexpected end of statement while looking for matching double-quote");
        }
        char c = L->s[L->pos];
        if (c == '"') {
            L->pos++;
            return L->lx->raw_quotes ? put(L, out, "\"", 1) : IMG_LEX_OK;
        }
        if (c == '$') {
            rc = dollar(L, out);
            continue;
        }
        L->pos++;
        if (c == esc) {
            if (L->raw_escapes) {
                rc = put(L, out, &c, 1);
                if (rc != IMG_LEX_OK) {
                    break;
                }
            }
            if (L->pos >= L->n) {
                continue;
            }
            char nc = L->s[L->pos];
            if (nc == '"' || nc == '$' || nc == esc) {
                c = nc;
                L->pos++;
            }
        }
        rc = put(L, out, &c, 1);
    }
    return rc;
}

static enum img_lex_rc until(struct lexer *L, int stop, bool raw_escapes, struct hp_buf *out,
                             bool top)
{
    bool saved = L->raw_escapes;
    L->raw_escapes = raw_escapes;
    enum img_lex_rc rc = IMG_LEX_OK;
    struct hp_buf tmp;
    hp_buf_init(&tmp, 0);
    bool stopped = false;
    while (rc == IMG_LEX_OK && L->pos < L->n) {
        char c = L->s[L->pos];
        if (stop >= 0 && c == (char)stop) {
            L->pos++;
            stopped = true;
            break;
        }
        if (c == '$' || c == '\'' || c == '"' || c == '<') {
            hp_buf_reset(&tmp);
            if (c == '$') {
                rc = dollar(L, &tmp);
            } else if (c == '\'') {
                rc = single_quote(L, &tmp);
            } else if (c == '"') {
                rc = double_quote(L, &tmp);
            } else {
                /* "<<" and the blanks after it stay one word (a heredoc). */
                size_t start = L->pos++;
                if (L->pos < L->n && L->s[L->pos] == '<') {
                    L->pos++;
                    while (L->pos < L->n &&
                           (L->s[L->pos] == ' ' || L->s[L->pos] == '\t' || L->s[L->pos] == '\r')) {
                        L->pos++;
                    }
                }
                rc = put(L, &tmp, L->s + start, L->pos - start);
            }
            if (rc == IMG_LEX_OK) {
                rc = put(L, out, hp_buf_str(&tmp), tmp.len);
            }
            if (rc == IMG_LEX_OK && top) {
                if (c == '$') {
                    add_split(L, hp_buf_str(&tmp), tmp.len);
                } else {
                    add_raw(L, hp_buf_str(&tmp), tmp.len);
                }
            }
            continue;
        }
        L->pos++;
        if (c == L->lx->escape) {
            if (L->raw_escapes) {
                rc = put(L, out, &c, 1);
                if (top) {
                    add_raw(L, &c, 1);
                }
            }
            if (L->pos >= L->n) {
                break;
            }
            c = L->s[L->pos++];
            if (top) {
                add_raw(L, &c, 1);
            }
            if (rc == IMG_LEX_OK) {
                rc = put(L, out, &c, 1);
            }
            continue;
        }
        size_t sp = img_space_len(L->s + L->pos - 1, L->n - L->pos + 1);
        size_t w = sp > 1 ? sp : 1;
        if (top) {
            add_split(L, L->s + L->pos - 1, w);
        }
        rc = put(L, out, L->s + L->pos - 1, w);
        L->pos += w - 1;
    }
    hp_buf_cleanup(&tmp);
    L->raw_escapes = saved;
    if (rc == IMG_LEX_OK && stop >= 0 && !stopped) {
        char s[2] = {(char)stop, 0};
        return fail(L, IMG_LEX_ERROR, "unexpected end of statement while looking for matching %s",
                    s);
    }
    return rc;
}

enum img_lex_rc img_lex_word(struct img_lex *lx, const char *s, size_t n, struct hp_buf *out,
                             struct img_words *words)
{
    struct lexer L = {.lx = lx, .s = s, .n = n, .words = words};
    hp_buf_init(&L.cur, 0);
    lx->unresolved[0] = '\0';
    lx->msg[0] = '\0';
    enum img_lex_rc rc = until(&L, -1, lx->raw_escapes, out, true);
    if (rc == IMG_LEX_OK && words != NULL && L.cur.len > 0) {
        words_push(&L);
    }
    hp_buf_cleanup(&L.cur);
    return rc;
}
