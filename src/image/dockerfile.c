/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reads a Dockerfile as BuildKit's Dockerfile frontend does and keeps the
 * facts of the stage that counts: parser directives, the escape character,
 * line continuations, comments, heredocs (skipped), then the instructions
 * hardpod judges (FROM, ARG, ENV, USER, EXPOSE) along the chain of stages
 * the final stage (or --target) starts from. Pure: no I/O, no registry.
 * Every size is capped; a value it cannot know is reported unresolved.
 */
#include "internal.h"

#include "hardpod/error.h"
#include "hardpod/image.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_LINE 65535 /* BuildKit's scanner refuses longer lines */
#define MAX_INSTRUCTIONS 20000
#define MAX_STAGES 1000
#define MAX_VARS 512 /* per scope: the global ARGs, or a stage chain */
#define MAX_PORTS 4096
#define EXPAND_BUDGET ((size_t)16 * 1024 * 1024)

enum cmd {
    C_UNKNOWN,
    C_ADD,
    C_ARG,
    C_CMD,
    C_COPY,
    C_ENTRYPOINT,
    C_ENV,
    C_EXPOSE,
    C_FROM,
    C_HEALTHCHECK,
    C_LABEL,
    C_MAINTAINER,
    C_ONBUILD,
    C_RUN,
    C_SHELL,
    C_STOPSIGNAL,
    C_USER,
    C_VOLUME,
    C_WORKDIR,
};

static const char *const cmd_names[] = {
    "",       "add",        "arg",         "cmd",    "copy",       "entrypoint", "env",
    "expose", "from",       "healthcheck", "label",  "maintainer", "onbuild",    "run",
    "shell",  "stopsignal", "user",        "volume", "workdir",
};

/* One instruction: its logical line (continuations joined) in text. */
struct instr {
    enum cmd cmd;
    size_t line;
    size_t off, len;
};

struct var {
    char *name;
    char *value; /* NULL unless SET */
    enum img_var_state st;
};

struct scope {
    struct var *v;
    size_t n;
    enum img_var_state undeclared; /* what a name never set is */
};

struct stage {
    size_t ins; /* index of the FROM */
    size_t end; /* one past its last instruction */
    char *name; /* lower case; NULL */
    char *base; /* resolved; NULL when unresolved */
    char unresolved[IMG_LEX_NAME_MAX + 1];
    ptrdiff_t parent; /* the earlier stage it starts from; -1 */
};

struct parser {
    const char *d;
    size_t n;
    size_t pos;
    size_t line;
    char esc;
    bool directives_done;
    bool seen[3];
    struct hp_buf text;
    struct instr *ins;
    size_t n_ins;
    size_t cap_ins;
    size_t budget;
    const struct hp_dockerfile_options *opt;
    struct hp_error *err;
    struct scope globals;
    struct scope vars;
    struct stage *stages;
    size_t n_stages;
};

/* ---- small helpers ---- */

static bool flag_space(unsigned char c)
{
    /* Go's unicode.IsSpace on a byte taken as a rune, as BuildKit's flag
     * reader does. */
    return c == ' ' || (c >= '\t' && c <= '\r') || c == 0x85 || c == 0xa0;
}

static bool regex_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

static void trim(const char **s, size_t *n)
{
    size_t k;
    while (*n > 0 && (k = img_space_len(*s, *n)) > 0) {
        *s += k;
        *n -= k;
    }
    for (;;) {
        if (*n > 0 && img_space_len(*s + *n - 1, 1) == 1) {
            (*n)--;
        } else if (*n >= 2 && img_space_len(*s + *n - 2, 2) == 2) {
            *n -= 2;
        } else if (*n >= 3 && img_space_len(*s + *n - 3, 3) == 3) {
            *n -= 3;
        } else {
            break;
        }
    }
}

static enum hp_err fail(struct parser *P, size_t line, enum hp_err code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static enum hp_err fail(struct parser *P, size_t line, enum hp_err code, const char *fmt, ...)
{
    char msg[HP_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (line > 0) {
        return hp_error_set(P->err, code, "line %zu: %s", line, msg);
    }
    return hp_error_set(P->err, code, "%s", msg);
}

static enum cmd cmd_of(const char *s, size_t n)
{
    for (size_t i = 1; i < sizeof(cmd_names) / sizeof(cmd_names[0]); i++) {
        if (strlen(cmd_names[i]) == n && strncasecmp(cmd_names[i], s, n) == 0) {
            return (enum cmd)i;
        }
    }
    return C_UNKNOWN;
}

/* ---- splitting an instruction (BuildKit's splitCommand) ---- */

struct cmdline {
    const char *cmd;
    size_t cmd_len;
    struct img_words flags;
    const char *args;
    size_t args_len;
};

/* BuildKit's extractBuilderFlags: leading words that start with "--". */
static void split_flags(char esc, const char *s, size_t n, struct cmdline *c)
{
    enum { SPACES, WORD, QUOTE } phase = SPACES;
    struct hp_buf w;
    hp_buf_init(&w, 0);
    bool blank_ok = false;
    char quote = 0;
    size_t pos = 0;
    for (;; pos++) {
        bool end = pos >= n;
        char ch = end ? 0 : s[pos];
        if (phase == SPACES) {
            if (end) {
                break;
            }
            if (flag_space((unsigned char)ch)) {
                continue;
            }
            if (ch != '-' || pos + 1 >= n || s[pos + 1] != '-') {
                c->args = s + pos;
                c->args_len = n - pos;
                goto out;
            }
            phase = WORD;
        }
        if (end) {
            if ((w.len != 2 || memcmp(w.data, "--", 2) != 0) && (blank_ok || w.len > 0)) {
                goto push_last;
            }
            break;
        }
        if (phase == WORD) {
            if (flag_space((unsigned char)ch)) {
                phase = SPACES;
                if (w.len == 2 && memcmp(w.data, "--", 2) == 0) {
                    c->args = s + pos;
                    c->args_len = n - pos;
                    goto out;
                }
                if (blank_ok || w.len > 0) {
                    struct img_words *f = &c->flags;
                    if (f->n == f->cap) {
                        f->cap = f->cap ? f->cap * 2 : 4;
                        f->start = hp_xrealloc(f->start, f->cap * sizeof(size_t));
                        f->len = hp_xrealloc(f->len, f->cap * sizeof(size_t));
                    }
                    f->start[f->n] = f->all.len;
                    f->len[f->n++] = w.len;
                    hp_buf_append(&f->all, w.data, w.len);
                }
                hp_buf_reset(&w);
                blank_ok = false;
                continue;
            }
            if (ch == '\'' || ch == '"') {
                quote = ch;
                blank_ok = true;
                phase = QUOTE;
                continue;
            }
        } else if (ch == quote) {
            phase = WORD;
            continue;
        }
        if (ch == esc) {
            if (pos + 1 >= n) {
                if (phase == QUOTE) {
                    phase = WORD;
                }
                continue;
            }
            ch = s[++pos];
        }
        hp_buf_putc(&w, ch);
    }
    c->args = s + n;
    c->args_len = 0;
    goto out;
push_last : {
    struct img_words *f = &c->flags;
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 4;
        f->start = hp_xrealloc(f->start, f->cap * sizeof(size_t));
        f->len = hp_xrealloc(f->len, f->cap * sizeof(size_t));
    }
    f->start[f->n] = f->all.len;
    f->len[f->n++] = w.len;
    hp_buf_append(&f->all, w.data, w.len);
    c->args = s + n;
    c->args_len = 0;
}
out:
    hp_buf_cleanup(&w);
}

static void split_command(char esc, const char *s, size_t n, struct cmdline *c)
{
    memset(c, 0, sizeof(*c));
    img_words_init(&c->flags);
    trim(&s, &n);
    size_t i = 0;
    while (i < n && !regex_ws(s[i])) {
        i++;
    }
    c->cmd = s;
    c->cmd_len = i;
    c->args = s + n;
    if (i < n) {
        size_t j = i;
        while (j < n && regex_ws(s[j])) {
            j++;
        }
        split_flags(esc, s + j, n - j, c);
    }
    trim(&c->args, &c->args_len);
}

static void cmdline_cleanup(struct cmdline *c)
{
    img_words_cleanup(&c->flags);
}

/* ---- JSON form (BuildKit's parseJSON) ---- */

static void json_ws(const char *s, size_t n, size_t *i)
{
    while (*i < n && (s[*i] == ' ' || s[*i] == '\t' || s[*i] == '\n' || s[*i] == '\r')) {
        (*i)++;
    }
}

static bool json_string(const char *s, size_t n, size_t *i)
{
    (*i)++;
    while (*i < n) {
        unsigned char c = (unsigned char)s[(*i)++];
        if (c == '"') {
            return true;
        }
        if (c < 0x20) {
            return false;
        }
        if (c == '\\') {
            if (*i >= n) {
                return false;
            }
            c = (unsigned char)s[(*i)++];
            if (c == 'u') {
                for (int k = 0; k < 4; k++, (*i)++) {
                    if (*i >= n || !isxdigit((unsigned char)s[*i])) {
                        return false;
                    }
                }
            } else if (strchr("\"\\/bfnrt", c) == NULL || c == 0) {
                return false;
            }
        }
    }
    return false;
}

static bool json_value(const char *s, size_t n, size_t *i, int depth)
{
    json_ws(s, n, i);
    if (*i >= n || depth > 512) {
        return false;
    }
    char c = s[*i];
    if (c == '"') {
        return json_string(s, n, i);
    }
    if (c == '[' || c == '{') {
        char close = c == '[' ? ']' : '}';
        (*i)++;
        json_ws(s, n, i);
        if (*i < n && s[*i] == close) {
            (*i)++;
            return true;
        }
        for (;;) {
            if (c == '{') {
                json_ws(s, n, i);
                if (*i >= n || s[*i] != '"' || !json_string(s, n, i)) {
                    return false;
                }
                json_ws(s, n, i);
                if (*i >= n || s[(*i)++] != ':') {
                    return false;
                }
            }
            if (!json_value(s, n, i, depth + 1)) {
                return false;
            }
            json_ws(s, n, i);
            if (*i >= n) {
                return false;
            }
            if (s[*i] == close) {
                (*i)++;
                return true;
            }
            if (s[(*i)++] != ',') {
                return false;
            }
        }
    }
    static const char *const lits[] = {"true", "false", "null"};
    for (size_t k = 0; k < 3; k++) {
        size_t l = strlen(lits[k]);
        if (n - *i >= l && memcmp(s + *i, lits[k], l) == 0) {
            *i += l;
            return true;
        }
    }
    size_t st = *i;
    if (*i < n && s[*i] == '-') {
        (*i)++;
    }
    if (*i < n && s[*i] == '0') {
        (*i)++;
    } else if (*i < n && s[*i] >= '1' && s[*i] <= '9') {
        while (*i < n && isdigit((unsigned char)s[*i])) {
            (*i)++;
        }
    } else {
        return false;
    }
    if (*i < n && s[*i] == '.') {
        (*i)++;
        if (*i >= n || !isdigit((unsigned char)s[*i])) {
            return false;
        }
        while (*i < n && isdigit((unsigned char)s[*i])) {
            (*i)++;
        }
    }
    if (*i < n && (s[*i] == 'e' || s[*i] == 'E')) {
        (*i)++;
        if (*i < n && (s[*i] == '+' || s[*i] == '-')) {
            (*i)++;
        }
        if (*i >= n || !isdigit((unsigned char)s[*i])) {
            return false;
        }
        while (*i < n && isdigit((unsigned char)s[*i])) {
            (*i)++;
        }
    }
    return *i > st;
}

/* 1: a JSON array of strings (exec form); 0: not JSON (shell form);
 * -1: a JSON array with something else in it, which BuildKit refuses. */
static int json_form(const char *s, size_t n)
{
    size_t i = 0;
    json_ws(s, n, &i);
    if (i >= n || s[i] != '[') {
        return 0;
    }
    size_t start = i;
    if (!json_value(s, n, &i, 0)) {
        return 0;
    }
    json_ws(s, n, &i);
    if (i != n) {
        return 0;
    }
    /* Valid JSON: an array of strings only if every element starts with a
     * quote at depth one. */
    i = start + 1;
    json_ws(s, n, &i);
    while (i < n && s[i] != ']') {
        if (s[i] != '"') {
            return -1;
        }
        json_string(s, n, &i);
        json_ws(s, n, &i);
        if (i < n && s[i] == ',') {
            i++;
            json_ws(s, n, &i);
        }
    }
    return 1;
}

/* ---- lines ---- */

/* The next physical line without its "\n" and trailing "\r"s. */
static enum hp_err next_line(struct parser *P, const char **s, size_t *len, bool *got)
{
    *got = false;
    if (P->pos >= P->n) {
        return HP_OK;
    }
    const char *start = P->d + P->pos;
    const char *nl = memchr(start, '\n', P->n - P->pos);
    size_t l = nl != NULL ? (size_t)(nl - start) : P->n - P->pos;
    P->pos += l + (nl != NULL);
    P->line++;
    if (l > MAX_LINE) {
        return fail(P, P->line, HP_ERR_LIMIT,
                    "a line longer than %d bytes (BuildKit refuses it too)", MAX_LINE);
    }
    if (P->line == 1 && l >= 3 && memcmp(start, "\xef\xbb\xbf", 3) == 0) {
        start += 3;
        l -= 3;
    }
    while (l > 0 && (start[l - 1] == '\r' || start[l - 1] == '\n')) {
        l--;
    }
    *s = start;
    *len = l;
    *got = true;
    return HP_OK;
}

static void ltrim(const char **s, size_t *n)
{
    size_t k;
    while (*n > 0 && (k = img_space_len(*s, *n)) > 0) {
        *s += k;
        *n -= k;
    }
}

static bool is_comment(const char *s, size_t n)
{
    ltrim(&s, &n);
    return n > 0 && s[0] == '#';
}

/* BuildKit's parser directives: "# name=value" lines before anything else. */
static enum hp_err directive(struct parser *P, const char *s, size_t n)
{
    static const char *const names[] = {"syntax", "escape", "check"};
    if (P->directives_done) {
        return HP_OK;
    }
    if (n == 0 || s[0] != '#') {
        P->directives_done = true;
        return HP_OK;
    }
    s++;
    n--;
    ltrim(&s, &n);
    size_t k = 0;
    if (k < n && isalpha((unsigned char)s[k])) {
        while (k < n && isalnum((unsigned char)s[k])) {
            k++;
        }
    }
    size_t j = k;
    while (j < n && (s[j] == ' ' || s[j] == '\t' || s[j] == '\f' || s[j] == '\r')) {
        j++;
    }
    if (k == 0 || j >= n || s[j] != '=') {
        P->directives_done = true;
        return HP_OK;
    }
    j++;
    size_t vs = j;
    while (vs < n && (s[vs] == ' ' || s[vs] == '\t' || s[vs] == '\f' || s[vs] == '\r')) {
        vs++;
    }
    size_t ve = n;
    while (ve > vs &&
           (s[ve - 1] == ' ' || s[ve - 1] == '\t' || s[ve - 1] == '\f' || s[ve - 1] == '\r')) {
        ve--;
    }
    if (ve == vs) {
        if (vs == j) {
            P->directives_done = true;
            return HP_OK;
        }
        vs--; /* the regular expression keeps one blank as the value */
        ve = vs + 1;
    }
    size_t which = 3;
    for (size_t i = 0; i < 3; i++) {
        if (strlen(names[i]) == k && strncasecmp(names[i], s, k) == 0) {
            which = i;
        }
    }
    if (which == 3) {
        P->directives_done = true;
        return HP_OK;
    }
    if (P->seen[which]) {
        return fail(P, P->line, HP_ERR_INVALID, "only one %s parser directive can be used",
                    names[which]);
    }
    P->seen[which] = true;
    if (which == 1) {
        if (ve - vs != 1 || (s[vs] != '`' && s[vs] != '\\')) {
            return fail(P, P->line, HP_ERR_INVALID,
                        "invalid escape token '%.*s' does not match ` or \\",
                        (int)(ve - vs > 40 ? 40 : ve - vs), s + vs);
        }
        P->esc = s[vs];
    }
    return HP_OK;
}

/* Strips a line continuation (the escape character as the last non-blank
 * character, not itself escaped); true when the instruction goes on. */
static bool continues(char esc, const char *s, size_t *len)
{
    size_t e = *len;
    while (e > 0 && (s[e - 1] == ' ' || s[e - 1] == '\t')) {
        e--;
    }
    if (e == 0 || s[e - 1] != esc) {
        return false;
    }
    if (e >= 2 && s[e - 2] == esc) {
        return false;
    }
    *len = e - 1;
    return true;
}

static enum img_var_state no_vars(void *ctx, const char *name, size_t len, const char **v,
                                  size_t *vl)
{
    (void)ctx;
    (void)name;
    (void)len;
    (void)v;
    (void)vl;
    return IMG_VAR_UNSET;
}

struct heredoc {
    char *name;
    bool chomp;
};

/* The heredoc word of one shell word ("<<EOF", "<<-'EOF'", "2<<EOF"), as
 * BuildKit's ParseHeredoc; NULL name when it is none. */
static enum hp_err heredoc_of(struct parser *P, size_t line, const char *w, size_t n,
                              struct heredoc *h)
{
    h->name = NULL;
    size_t i = 0;
    while (i < n && isdigit((unsigned char)w[i])) {
        i++;
    }
    if (n - i < 2 || w[i] != '<' || w[i + 1] != '<') {
        return HP_OK;
    }
    i += 2;
    h->chomp = i < n && w[i] == '-';
    i += h->chomp;
    while (i < n && (w[i] == ' ' || w[i] == '\t' || w[i] == '\n' || w[i] == '\f' || w[i] == '\r')) {
        i++;
    }
    if (i >= n || memchr(w + i, '<', n - i) != NULL) {
        return HP_OK;
    }
    struct img_lex lx = {
        .escape = '\\', .skip_unset = true, .lookup = no_vars, .budget = &P->budget};
    struct hp_buf out;
    struct img_words words;
    hp_buf_init(&out, 0);
    img_words_init(&words);
    enum img_lex_rc rc = img_lex_word(&lx, w + i, n - i, &out, &words);
    enum hp_err e = HP_OK;
    if (rc == IMG_LEX_LIMIT) {
        e = fail(P, line, HP_ERR_LIMIT, "%s", lx.msg);
    } else if (rc != IMG_LEX_OK) {
        e = fail(P, line, HP_ERR_INVALID, "heredoc %.*s: %s", (int)(n > 40 ? 40 : n), w, lx.msg);
    } else if (words.n == 1) {
        h->name = hp_xstrndup(words.all.data + words.start[0], words.len[0]);
    }
    hp_buf_cleanup(&out);
    img_words_cleanup(&words);
    return e;
}

/* Skips the bodies of the heredocs an instruction opens, as BuildKit reads
 * them: each up to a line equal to its name (leading tabs removed for
 * "<<-"). The bodies are never read as instructions. */
static enum hp_err skip_heredocs(struct parser *P, size_t line, const char *s, size_t n)
{
    struct img_lex lx = {.escape = '\\',
                         .raw_quotes = true,
                         .raw_escapes = true,
                         .skip_unset = true,
                         .lookup = no_vars,
                         .budget = &P->budget};
    struct hp_buf out;
    struct img_words words;
    hp_buf_init(&out, 0);
    img_words_init(&words);
    enum hp_err e = HP_OK;
    enum img_lex_rc rc = img_lex_word(&lx, s, n, &out, &words);
    if (rc == IMG_LEX_LIMIT) {
        e = fail(P, line, HP_ERR_LIMIT, "%s", lx.msg);
        goto out;
    }
    if (rc != IMG_LEX_OK) {
        goto out; /* BuildKit then sees no heredoc */
    }
    for (size_t i = 0; i < words.n && e == HP_OK; i++) {
        struct heredoc h;
        e = heredoc_of(P, line, words.all.data + words.start[i], words.len[i], &h);
        if (e != HP_OK || h.name == NULL) {
            continue;
        }
        size_t nl = strlen(h.name);
        bool done = false;
        const char *l;
        size_t ll;
        bool got;
        while (!done && (e = next_line(P, &l, &ll, &got)) == HP_OK && got) {
            if (h.chomp) {
                while (ll > 0 && l[0] == '\t') {
                    l++;
                    ll--;
                }
            }
            done = ll == nl && memcmp(l, h.name, nl) == 0;
        }
        if (e == HP_OK && !done) {
            e = fail(P, line, HP_ERR_INVALID, "unterminated heredoc: no line %s before the end",
                     h.name);
        }
        free(h.name);
    }
out:
    hp_buf_cleanup(&out);
    img_words_cleanup(&words);
    return e;
}

static bool may_have_heredoc(char esc, enum cmd c, const char *args, size_t n)
{
    if (c == C_ONBUILD) {
        struct cmdline sub;
        split_command(esc, args, n, &sub);
        c = cmd_of(sub.cmd, sub.cmd_len);
        args = sub.args;
        n = sub.args_len;
        cmdline_cleanup(&sub);
    }
    return (c == C_RUN || c == C_COPY || c == C_ADD) && json_form(args, n) != 1;
}

static enum hp_err add_instr(struct parser *P, size_t line, const char *s, size_t n)
{
    if (P->n_ins == MAX_INSTRUCTIONS) {
        return fail(P, line, HP_ERR_LIMIT, "more than %d instructions", MAX_INSTRUCTIONS);
    }
    if (P->n_ins == P->cap_ins) {
        P->cap_ins = P->cap_ins ? P->cap_ins * 2 : 64;
        P->ins = hp_xrealloc(P->ins, P->cap_ins * sizeof(*P->ins));
    }
    struct cmdline c;
    split_command(P->esc, s, n, &c);
    struct instr *in = &P->ins[P->n_ins++];
    in->cmd = cmd_of(c.cmd, c.cmd_len);
    in->line = line;
    in->off = P->text.len;
    in->len = n;
    hp_buf_append(&P->text, s, n);
    enum hp_err e = HP_OK;
    if (memmem(s, n, "<<", 2) != NULL && may_have_heredoc(P->esc, in->cmd, c.args, c.args_len)) {
        e = skip_heredocs(P, line, s, n);
    }
    cmdline_cleanup(&c);
    return e;
}

/* Splits the file into instructions (BuildKit's parser.Parse). */
static enum hp_err read_lines(struct parser *P)
{
    struct hp_buf buf;
    hp_buf_init(&buf, 0);
    enum hp_err e;
    const char *s;
    size_t n;
    bool got;
    while ((e = next_line(P, &s, &n, &got)) == HP_OK && got) {
        size_t start = P->line;
        ltrim(&s, &n);
        if ((e = directive(P, s, n)) != HP_OK) {
            break;
        }
        if (n > 0 && s[0] == '#') {
            continue;
        }
        bool more = continues(P->esc, s, &n);
        if (!more && n == 0) {
            continue;
        }
        hp_buf_reset(&buf);
        hp_buf_append(&buf, s, n);
        while (more) {
            if ((e = next_line(P, &s, &n, &got)) != HP_OK || !got) {
                break;
            }
            if (is_comment(s, n)) {
                continue;
            }
            const char *t = s;
            size_t tn = n;
            ltrim(&t, &tn);
            if (tn == 0) {
                continue;
            }
            more = continues(P->esc, s, &n);
            hp_buf_append(&buf, s, n);
        }
        if (e != HP_OK || (e = add_instr(P, start, hp_buf_str(&buf), buf.len)) != HP_OK) {
            break;
        }
    }
    hp_buf_cleanup(&buf);
    if (e == HP_OK && P->n_ins == 0) {
        e = fail(P, P->line, HP_ERR_INVALID, "file with no instructions");
    }
    return e;
}

/* ---- variables ---- */

static struct var *scope_find(struct scope *sc, const char *name, size_t len)
{
    for (size_t i = sc->n; i-- > 0;) {
        if (strlen(sc->v[i].name) == len && memcmp(sc->v[i].name, name, len) == 0) {
            return &sc->v[i];
        }
    }
    return NULL;
}

static enum hp_err scope_set(struct parser *P, size_t line, struct scope *sc, const char *name,
                             enum img_var_state st, const char *value)
{
    struct var *v = scope_find(sc, name, strlen(name));
    if (v == NULL) {
        if (sc->n == MAX_VARS) {
            return fail(P, line, HP_ERR_LIMIT, "more than %d variables", MAX_VARS);
        }
        if ((sc->n & (sc->n - 1)) == 0) {
            sc->v = hp_xrealloc(sc->v, (sc->n ? sc->n * 2 : 8) * sizeof(*sc->v));
        }
        v = &sc->v[sc->n++];
        v->name = hp_xstrdup(name);
        v->value = NULL;
    }
    free(v->value);
    v->value = st == IMG_VAR_SET ? hp_xstrdup(value) : NULL;
    v->st = st;
    return HP_OK;
}

static void scope_cleanup(struct scope *sc)
{
    for (size_t i = 0; i < sc->n; i++) {
        free(sc->v[i].name);
        free(sc->v[i].value);
    }
    free(sc->v);
    memset(sc, 0, sizeof(*sc));
}

static enum img_var_state scope_lookup(void *ctx, const char *name, size_t len, const char **v,
                                       size_t *vl)
{
    struct scope *sc = ctx;
    struct var *x = scope_find(sc, name, len);
    if (x == NULL) {
        return sc->undeclared;
    }
    if (x->st == IMG_VAR_SET) {
        *v = x->value;
        *vl = strlen(x->value);
    }
    return x->st;
}

/* A word through the lexer with the scope's variables. rc OK: *text set
 * (owned); UNRESOLVED: unres filled; otherwise an error is recorded. */
static enum hp_err expand(struct parser *P, size_t line, struct scope *sc, const char *w, size_t n,
                          char **text, char *unres, struct img_words *words)
{
    struct img_lex lx = {.escape = P->esc, .lookup = scope_lookup, .ctx = sc, .budget = &P->budget};
    struct hp_buf out;
    hp_buf_init(&out, 0);
    *text = NULL;
    unres[0] = '\0';
    enum img_lex_rc rc = img_lex_word(&lx, w, n, &out, words);
    enum hp_err e = HP_OK;
    if (rc == IMG_LEX_OK) {
        /* A NUL from the file would cut the text short: refused. */
        if (memchr(hp_buf_str(&out), 0, out.len) != NULL) {
            e = fail(P, line, HP_ERR_INVALID, "a NUL byte in a value");
        } else {
            *text = hp_buf_take(&out, NULL);
        }
    } else if (rc == IMG_LEX_UNRESOLVED) {
        memcpy(unres, lx.unresolved, sizeof(lx.unresolved));
    } else {
        e = fail(P, line, rc == IMG_LEX_LIMIT ? HP_ERR_LIMIT : HP_ERR_INVALID, "%s", lx.msg);
    }
    hp_buf_cleanup(&out);
    return e;
}

static const char *build_arg(const struct parser *P, const char *name)
{
    const struct hp_dockerfile_options *o = P->opt;
    for (size_t i = o != NULL ? o->n_build_args : 0; i-- > 0;) {
        if (o->build_args[i].name != NULL && strcmp(o->build_args[i].name, name) == 0) {
            return o->build_args[i].value != NULL ? o->build_args[i].value : "";
        }
    }
    return NULL;
}

/* BuildKit's parseWords: words with quotes and escapes kept. */
static void raw_words(char esc, const char *s, size_t n, struct img_words *w)
{
    enum { SPACES, WORD, QUOTE } phase = SPACES;
    char quote = 0;
    bool blank_ok = false;
    struct hp_buf cur;
    hp_buf_init(&cur, 0);
    for (size_t pos = 0;;) {
        size_t sp = pos < n ? img_space_len(s + pos, n - pos) : 0;
        if (phase == SPACES) {
            if (pos >= n) {
                break;
            }
            if (sp > 0) {
                pos += sp;
                continue;
            }
            phase = WORD;
        }
        if (pos >= n || (phase == WORD && sp > 0)) {
            if (blank_ok || cur.len > 0) {
                if (w->n == w->cap) {
                    w->cap = w->cap ? w->cap * 2 : 8;
                    w->start = hp_xrealloc(w->start, w->cap * sizeof(size_t));
                    w->len = hp_xrealloc(w->len, w->cap * sizeof(size_t));
                }
                w->start[w->n] = w->all.len;
                w->len[w->n++] = cur.len;
                hp_buf_append(&w->all, cur.data, cur.len);
            }
            if (pos >= n) {
                break;
            }
            hp_buf_reset(&cur);
            blank_ok = false;
            phase = SPACES;
            pos += sp;
            continue;
        }
        char ch = s[pos];
        if (phase == WORD) {
            if (ch == '\'' || ch == '"') {
                quote = ch;
                blank_ok = true;
                phase = QUOTE;
            }
            if (ch == esc) {
                if (pos + 1 >= n) {
                    pos++;
                    continue;
                }
                hp_buf_putc(&cur, ch);
                ch = s[++pos];
            }
        } else {
            if (ch == quote) {
                phase = WORD;
            }
            if (ch == esc && quote != '\'') {
                if (pos + 1 >= n) {
                    phase = WORD;
                    pos++;
                    continue;
                }
                hp_buf_putc(&cur, ch);
                ch = s[++pos];
            }
        }
        hp_buf_putc(&cur, ch);
        pos++;
    }
    hp_buf_cleanup(&cur);
}

static const char *word_at(const struct img_words *w, size_t i, size_t *len)
{
    *len = w->len[i];
    return w->all.data + w->start[i];
}

/* BuildKit's flag check for instructions hardpod reads: FROM takes
 * --platform=VALUE, the others no flag at all. */
static enum hp_err check_flags(struct parser *P, const struct instr *in, const struct cmdline *c)
{
    bool seen_platform = false;
    for (size_t i = 0; i < c->flags.n; i++) {
        size_t l;
        const char *f = word_at(&c->flags, i, &l);
        if (l == 2 && memcmp(f, "--", 2) == 0) {
            break;
        }
        const char *eq = memchr(f, '=', l);
        size_t nl = eq != NULL ? (size_t)(eq - f) : l;
        if (in->cmd == C_FROM && nl == 10 && memcmp(f, "--platform", 10) == 0) {
            if (seen_platform) {
                return fail(P, in->line, HP_ERR_INVALID, "duplicate flag specified: --platform");
            }
            seen_platform = true;
            if (eq == NULL) {
                return fail(P, in->line, HP_ERR_INVALID, "missing a value on flag: --platform");
            }
            continue;
        }
        return fail(P, in->line, HP_ERR_INVALID, "unknown flag: %.*s", (int)(nl > 60 ? 60 : nl), f);
    }
    return HP_OK;
}

/* ---- instructions ---- */

static void value_set(struct hp_image_value *v, char *text, const char *unres, const char *w,
                      size_t wl, size_t line)
{
    free(v->text);
    free(v->written);
    free(v->unresolved);
    v->text = text;
    v->written = hp_xstrndup(w, wl);
    v->unresolved = text == NULL ? hp_xstrdup(unres) : NULL;
    v->line = line;
    v->from_base = false;
}

static enum hp_err do_arg(struct parser *P, const struct instr *in, const struct cmdline *c,
                          struct scope *sc, bool global)
{
    struct img_words w;
    img_words_init(&w);
    raw_words(P->esc, c->args, c->args_len, &w);
    enum hp_err e = HP_OK;
    if (w.n == 0) {
        e = fail(P, in->line, HP_ERR_INVALID, "ARG requires at least one argument");
    }
    for (size_t i = 0; i < w.n && e == HP_OK; i++) {
        size_t l;
        const char *word = word_at(&w, i, &l);
        const char *eq = memchr(word, '=', l);
        size_t kl = eq != NULL ? (size_t)(eq - word) : l;
        if (kl == 0) {
            e = fail(P, in->line, HP_ERR_INVALID, "ARG names can not be blank");
            break;
        }
        char *key = hp_xstrndup(word, kl);
        const char *given = build_arg(P, key);
        char *text = NULL;
        char unres[IMG_LEX_NAME_MAX + 1] = "";
        enum img_var_state st = IMG_VAR_UNKNOWN;
        if (given != NULL) {
            text = hp_xstrdup(given);
            st = IMG_VAR_SET;
        } else if (eq != NULL) {
            e = expand(P, in->line, sc, eq + 1, l - kl - 1, &text, unres, NULL);
            st = text != NULL ? IMG_VAR_SET : IMG_VAR_UNKNOWN;
        } else if (!global) {
            /* Redeclared without a value: the global ARG's value, if any. */
            struct var *g = scope_find(&P->globals, key, kl);
            if (g != NULL && g->st == IMG_VAR_SET) {
                text = hp_xstrdup(g->value);
                st = IMG_VAR_SET;
            }
        }
        if (e == HP_OK) {
            e = scope_set(P, in->line, sc, key, st, text);
        }
        free(text);
        free(key);
    }
    img_words_cleanup(&w);
    return e;
}

static struct hp_image_env *env_slot(struct hp_image_facts *f, const char *name)
{
    for (size_t i = 0; i < f->n_env; i++) {
        if (strcmp(f->env[i].name, name) == 0) {
            return &f->env[i];
        }
    }
    if ((f->n_env & (f->n_env - 1)) == 0) {
        f->env = hp_xrealloc(f->env, (f->n_env ? f->n_env * 2 : 8) * sizeof(*f->env));
    }
    struct hp_image_env *e = &f->env[f->n_env++];
    memset(e, 0, sizeof(*e));
    e->name = hp_xstrdup(name);
    return e;
}

struct kv {
    char *key;
    char *text;
    char unres[IMG_LEX_NAME_MAX + 1];
    const char *w;
    size_t wl;
};

static enum hp_err do_env(struct parser *P, const struct instr *in, const struct cmdline *c,
                          struct hp_image_facts *f)
{
    struct img_words w;
    img_words_init(&w);
    raw_words(P->esc, c->args, c->args_len, &w);
    struct kv *kv = NULL;
    size_t n = 0;
    enum hp_err e = HP_OK;
    if (w.n == 0) {
        e = fail(P, in->line, HP_ERR_INVALID, "ENV requires at least one argument");
        goto out;
    }
    size_t l0;
    const char *w0 = word_at(&w, 0, &l0);
    if (memchr(w0, '=', l0) == NULL) {
        /* The legacy form: ENV NAME the rest of the line. */
        size_t i = 0;
        while (i < c->args_len && !regex_ws(c->args[i])) {
            i++;
        }
        size_t j = i;
        while (j < c->args_len && regex_ws(c->args[j])) {
            j++;
        }
        if (j >= c->args_len) {
            e = fail(P, in->line, HP_ERR_INVALID, "ENV must have two arguments");
            goto out;
        }
        kv = hp_xcalloc(1, sizeof(*kv));
        n = 1;
        kv[0].key = hp_xstrndup(c->args, i);
        kv[0].w = c->args + j;
        kv[0].wl = c->args_len - j;
    } else {
        kv = hp_xcalloc(w.n, sizeof(*kv));
        for (; n < w.n; n++) {
            size_t l;
            const char *word = word_at(&w, n, &l);
            const char *eq = memchr(word, '=', l);
            if (eq == NULL) {
                e = fail(P, in->line, HP_ERR_INVALID,
                         "Syntax error - can't find = in \"%.*s\". Must be of the form: "
                         "name=value",
                         (int)(l > 60 ? 60 : l), word);
                goto out;
            }
            kv[n].key = hp_xstrndup(word, (size_t)(eq - word));
            kv[n].w = eq + 1;
            kv[n].wl = l - (size_t)(eq - word) - 1;
        }
    }
    /* Every name and value is substituted before any is set. */
    for (size_t i = 0; i < n && e == HP_OK; i++) {
        char *key;
        char unres[IMG_LEX_NAME_MAX + 1];
        if (kv[i].key[0] == '\0') {
            e = fail(P, in->line, HP_ERR_INVALID, "ENV names can not be blank");
            break;
        }
        e = expand(P, in->line, &P->vars, kv[i].key, strlen(kv[i].key), &key, unres, NULL);
        if (e == HP_OK && key == NULL) {
            e = fail(P, in->line, HP_ERR_INVALID,
                     "ENV %s: the name depends on %s, which has no known value, so hardpod "
                     "cannot tell which variable this sets",
                     kv[i].key, unres);
        }
        if (e == HP_OK && key[0] == '\0') {
            free(key);
            e = fail(P, in->line, HP_ERR_INVALID, "ENV names can not be blank");
        }
        if (e != HP_OK) {
            break;
        }
        free(kv[i].key);
        kv[i].key = key;
        e = expand(P, in->line, &P->vars, kv[i].w, kv[i].wl, &kv[i].text, kv[i].unres, NULL);
    }
    for (size_t i = 0; i < n && e == HP_OK; i++) {
        struct hp_image_env *slot = env_slot(f, kv[i].key);
        value_set(&slot->value, kv[i].text, kv[i].unres, kv[i].w, kv[i].wl, in->line);
        e = scope_set(P, in->line, &P->vars, kv[i].key,
                      kv[i].text != NULL ? IMG_VAR_SET : IMG_VAR_UNKNOWN, kv[i].text);
        kv[i].text = NULL;
    }
out:
    for (size_t i = 0; i < n; i++) {
        free(kv[i].key);
        free(kv[i].text);
    }
    free(kv);
    img_words_cleanup(&w);
    return e;
}

static enum hp_err do_user(struct parser *P, const struct instr *in, const struct cmdline *c,
                           struct hp_image_facts *f)
{
    if (c->args_len == 0) {
        return fail(P, in->line, HP_ERR_INVALID, "USER requires exactly one argument");
    }
    char *text;
    char unres[IMG_LEX_NAME_MAX + 1];
    enum hp_err e = expand(P, in->line, &P->vars, c->args, c->args_len, &text, unres, NULL);
    if (e == HP_OK) {
        value_set(&f->user, text, unres, c->args, c->args_len, in->line);
    }
    return e;
}

/* A port or port range "80", "8000-8010" (BuildKit's parsePortRange). */
static bool port_range(const char *s, size_t n, long *lo, long *hi, const char **why)
{
    const char *dash = memchr(s, '-', n);
    size_t sl = dash != NULL ? (size_t)(dash - s) : n;
    long v[2] = {0, 0};
    for (int k = 0; k < 2; k++) {
        const char *p = k == 0 ? s : dash + 1;
        size_t l = k == 0 ? sl : n - sl - 1;
        if (k == 1 && (dash == NULL || (l == sl && memcmp(s, p, l) == 0))) {
            v[1] = v[0];
            break;
        }
        size_t i = 0;
        bool neg = false;
        if (l > 0 && (p[0] == '+' || p[0] == '-')) {
            neg = p[0] == '-';
            i = 1;
        }
        if (l == 0 || i == l) {
            *why = l == 0 ? "value is empty" : "invalid syntax";
            return false;
        }
        long x = 0;
        for (; i < l; i++) {
            if (!isdigit((unsigned char)p[i])) {
                *why = "invalid syntax";
                return false;
            }
            x = x * 10 + (p[i] - '0');
            if (x > 65535) {
                *why = "value out of range (0-65535)";
                return false;
            }
        }
        if (neg && x != 0) {
            *why = "value out of range (0-65535)";
            return false;
        }
        v[k] = x;
    }
    if (v[1] < v[0]) {
        *why = "invalid port range";
        return false;
    }
    *lo = v[0];
    *hi = v[1];
    return true;
}

static enum hp_err add_port(struct parser *P, size_t line, struct hp_image_facts *f, unsigned port,
                            unsigned last, const char *proto, char *text, const char *unres,
                            const char *w, size_t wl)
{
    for (size_t i = 0; text != NULL && i < f->n_ports; i++) {
        const struct hp_image_port *p = &f->ports[i];
        if (p->port == port && p->port_last == last && strcmp(p->proto, proto) == 0) {
            free(text);
            return HP_OK;
        }
    }
    if (f->n_ports == MAX_PORTS) {
        free(text);
        return fail(P, line, HP_ERR_LIMIT, "more than %d exposed ports", MAX_PORTS);
    }
    if ((f->n_ports & (f->n_ports - 1)) == 0) {
        f->ports = hp_xrealloc(f->ports, (f->n_ports ? f->n_ports * 2 : 8) * sizeof(*f->ports));
    }
    struct hp_image_port *p = &f->ports[f->n_ports++];
    memset(p, 0, sizeof(*p));
    p->port = port;
    p->port_last = last;
    snprintf(p->proto, sizeof(p->proto), "%s", proto);
    value_set(&p->value, text, unres, w, wl, line);
    return HP_OK;
}

/* One exposed port spec, as BuildKit's parsePort reads [ip:][host:]port[/proto]. */
static enum hp_err one_port(struct parser *P, size_t line, struct hp_image_facts *f, const char *s,
                            size_t n, const char *w, size_t wl)
{
    const char *cont = s;
    size_t cl = n;
    const char *host = NULL;
    size_t hl = 0;
    const char *c1 = memrchr(s, ':', n);
    if (c1 != NULL) {
        cont = c1 + 1;
        cl = n - (size_t)(cont - s);
        const char *c2 = memrchr(s, ':', (size_t)(c1 - s));
        host = c2 != NULL ? c2 + 1 : s;
        hl = (size_t)(c1 - host);
    }
    const char *slash = memchr(cont, '/', cl);
    size_t pl = slash != NULL ? (size_t)(slash - cont) : cl;
    char proto[8] = "tcp";
    const char *why = NULL;
    if (pl == 0) {
        why = "no port specified";
    } else if (slash != NULL && cl - pl - 1 > 0) {
        size_t ql = cl - pl - 1;
        const char *q = slash + 1;
        bool ok = (ql == 3 && (strncasecmp(q, "tcp", 3) == 0 || strncasecmp(q, "udp", 3) == 0)) ||
                  (ql == 4 && strncasecmp(q, "sctp", 4) == 0);
        if (!ok) {
            why = "invalid proto";
        } else {
            for (size_t i = 0; i < ql; i++) {
                proto[i] = (char)tolower((unsigned char)q[i]);
            }
            proto[ql] = '\0';
        }
    }
    long lo = 0, hi = 0, hlo, hhi;
    const char *rwhy = NULL;
    if (why == NULL && !port_range(cont, pl, &lo, &hi, &rwhy)) {
        why = rwhy;
    }
    if (why == NULL && host != NULL && hl > 0 && !port_range(host, hl, &hlo, &hhi, &rwhy)) {
        why = "invalid hostPort";
    }
    if (why == NULL && host != NULL && hl > 0 && hhi - hlo != hi - lo && hi != lo) {
        why = "invalid ranges specified for container and host ports";
    }
    if (why != NULL) {
        return fail(P, line, HP_ERR_INVALID, "EXPOSE %.*s: invalid port: %s",
                    (int)(n > 60 ? 60 : n), s, why);
    }
    if (lo == 0) {
        return fail(P, line, HP_ERR_INVALID,
                    "EXPOSE %.*s: port 0 cannot be listened on (BuildKit accepts it; hardpod "
                    "refuses it)",
                    (int)(n > 60 ? 60 : n), s);
    }
    return add_port(P, line, f, (unsigned)lo, hi != lo ? (unsigned)hi : 0, proto, hp_xstrndup(s, n),
                    NULL, w, wl);
}

static enum hp_err do_expose(struct parser *P, const struct instr *in, const struct cmdline *c,
                             struct hp_image_facts *f)
{
    if (c->args_len == 0) {
        return fail(P, in->line, HP_ERR_INVALID, "EXPOSE requires at least one argument");
    }
    enum hp_err e = HP_OK;
    for (size_t i = 0; i < c->args_len && e == HP_OK;) {
        size_t j = i;
        while (j < c->args_len && !regex_ws(c->args[j])) {
            j++;
        }
        const char *w = c->args + i;
        size_t wl = j - i;
        while (j < c->args_len && regex_ws(c->args[j])) {
            j++;
        }
        i = j;
        struct img_words words;
        img_words_init(&words);
        char *text;
        char unres[IMG_LEX_NAME_MAX + 1];
        e = expand(P, in->line, &P->vars, w, wl, &text, unres, &words);
        if (e == HP_OK && text == NULL) {
            e = add_port(P, in->line, f, 0, 0, "tcp", NULL, unres, w, wl);
        }
        for (size_t k = 0; e == HP_OK && text != NULL && k < words.n; k++) {
            size_t l;
            const char *p = word_at(&words, k, &l);
            e = one_port(P, in->line, f, p, l, w, wl);
        }
        free(text);
        img_words_cleanup(&words);
    }
    return e;
}

/* The checks BuildKit makes of every instruction, whether or not its stage
 * is built. */
static enum hp_err check_instr(struct parser *P, const struct instr *in, const struct cmdline *c)
{
    switch (in->cmd) {
    case C_UNKNOWN:
        return fail(P, in->line, HP_ERR_INVALID, "unknown instruction: %.*s",
                    (int)(c->cmd_len > 40 ? 40 : c->cmd_len), c->cmd);
    case C_USER:
    case C_EXPOSE:
    case C_ARG:
    case C_ENV:
        if ((in->cmd == C_USER && c->args_len == 0) || (in->cmd == C_EXPOSE && c->args_len == 0)) {
            return fail(P, in->line, HP_ERR_INVALID, "%s requires %s argument",
                        in->cmd == C_USER ? "USER" : "EXPOSE",
                        in->cmd == C_USER ? "exactly one" : "at least one");
        }
        return check_flags(P, in, c);
    case C_RUN:
    case C_CMD:
    case C_ENTRYPOINT:
    case C_SHELL:
    case C_COPY:
    case C_ADD:
    case C_VOLUME:
        if (json_form(c->args, c->args_len) < 0) {
            return fail(P, in->line, HP_ERR_INVALID,
                        "when using JSON array syntax, arrays must be comprised of strings only");
        }
        return HP_OK;
    default:
        return HP_OK;
    }
}

/* ---- stages ---- */

static bool valid_stage_name(const char *s)
{
    if (!(s[0] >= 'a' && s[0] <= 'z')) {
        return false;
    }
    for (; *s != '\0'; s++) {
        if (!((*s >= 'a' && *s <= 'z') || isdigit((unsigned char)*s) || *s == '-' || *s == '_' ||
              *s == '.')) {
            return false;
        }
    }
    return true;
}

static enum hp_err add_stage(struct parser *P, size_t idx, const struct cmdline *c)
{
    const struct instr *in = &P->ins[idx];
    if (P->n_stages == MAX_STAGES) {
        return fail(P, in->line, HP_ERR_LIMIT, "more than %d stages", MAX_STAGES);
    }
    struct img_words w;
    img_words_init(&w);
    /* FROM's arguments are split on blanks only. */
    for (size_t i = 0; i < c->args_len;) {
        size_t j = i;
        while (j < c->args_len && !regex_ws(c->args[j])) {
            j++;
        }
        if (w.n == w.cap) {
            w.cap = w.cap ? w.cap * 2 : 4;
            w.start = hp_xrealloc(w.start, w.cap * sizeof(size_t));
            w.len = hp_xrealloc(w.len, w.cap * sizeof(size_t));
        }
        w.start[w.n] = w.all.len;
        w.len[w.n++] = j - i;
        hp_buf_append(&w.all, c->args + i, j - i);
        while (j < c->args_len && regex_ws(c->args[j])) {
            j++;
        }
        i = j;
    }
    enum hp_err e = HP_OK;
    size_t l;
    char *name = NULL;
    if (w.n == 3 && (word_at(&w, 1, &l), l == 2) && strncasecmp(word_at(&w, 1, &l), "as", 2) == 0) {
        const char *nm = word_at(&w, 2, &l);
        name = hp_xstrndup(nm, l);
        for (char *p = name; *p != '\0'; p++) {
            *p = (char)tolower((unsigned char)*p);
        }
        if (strlen(name) != l || !valid_stage_name(name)) {
            e = fail(P, in->line, HP_ERR_INVALID,
                     "invalid name for build stage: \"%.*s\", name can't start with a number or "
                     "contain symbols",
                     (int)(l > 60 ? 60 : l), nm);
        }
    } else if (w.n != 1) {
        e = fail(P, in->line, HP_ERR_INVALID, "FROM requires either one or three arguments");
    }
    if (e == HP_OK) {
        e = check_flags(P, in, c);
    }
    if (e != HP_OK) {
        free(name);
        img_words_cleanup(&w);
        return e;
    }
    if ((P->n_stages & (P->n_stages - 1)) == 0) {
        P->stages =
            hp_xrealloc(P->stages, (P->n_stages ? P->n_stages * 2 : 4) * sizeof(*P->stages));
    }
    struct stage *st = &P->stages[P->n_stages++];
    memset(st, 0, sizeof(*st));
    st->ins = idx;
    st->end = idx + 1;
    st->name = name;
    st->parent = -1;
    /* The base: substituted with the global ARGs only. */
    const char *b = word_at(&w, 0, &l);
    e = expand(P, in->line, &P->globals, b, l, &st->base, st->unresolved, NULL);
    if (e == HP_OK && st->base != NULL && st->base[0] == '\0') {
        e = fail(P, in->line, HP_ERR_INVALID, "base name (%.*s) should not be blank",
                 (int)(l > 60 ? 60 : l), b);
    }
    for (size_t i = P->n_stages - 1; e == HP_OK && st->base != NULL && i-- > 0;) {
        const char *nm = P->stages[i].name;
        if (nm != NULL && strcmp(nm, st->base) == 0) {
            st->parent = (ptrdiff_t)i;
            break;
        }
        if (nm != NULL && strcasecmp(nm, st->base) == 0) {
            e = fail(P, in->line, HP_ERR_INVALID,
                     "FROM %s: stage names are lower case: write FROM %s (BuildKit looks for an "
                     "image named %s and fails)",
                     st->base, nm, st->base);
        }
    }
    img_words_cleanup(&w);
    return e;
}

static const char *const auto_args[] = {
    "BUILDPLATFORM", "BUILDOS",        "BUILDOSVERSION", "BUILDARCH",
    "BUILDVARIANT",  "TARGETPLATFORM", "TARGETOS",       "TARGETOSVERSION",
    "TARGETARCH",    "TARGETVARIANT",  "TARGETSTAGE",
};

/* Walks the instructions: BuildKit's checks, the global ARGs, the stages. */
static enum hp_err read_stages(struct parser *P)
{
    P->globals.undeclared = IMG_VAR_UNSET;
    enum hp_err e = HP_OK;
    for (size_t i = 0; i < sizeof(auto_args) / sizeof(auto_args[0]) && e == HP_OK; i++) {
        const char *v = build_arg(P, auto_args[i]);
        e = scope_set(P, 0, &P->globals, auto_args[i], v != NULL ? IMG_VAR_SET : IMG_VAR_UNKNOWN,
                      v);
    }
    for (size_t i = 0; i < P->n_ins && e == HP_OK; i++) {
        const struct instr *in = &P->ins[i];
        struct cmdline c;
        split_command(P->esc, P->text.data + in->off, in->len, &c);
        e = check_instr(P, in, &c);
        if (e == HP_OK && in->cmd == C_FROM) {
            e = add_stage(P, i, &c);
        } else if (e == HP_OK && P->n_stages == 0) {
            if (in->cmd == C_ARG) {
                e = do_arg(P, in, &c, &P->globals, true);
            } else {
                e = fail(P, in->line, HP_ERR_INVALID,
                         "no build stage in current context: %.*s comes before the first FROM",
                         (int)(c.cmd_len > 40 ? 40 : c.cmd_len), c.cmd);
            }
        } else if (e == HP_OK) {
            P->stages[P->n_stages - 1].end = i + 1;
        }
        cmdline_cleanup(&c);
    }
    if (e == HP_OK && P->n_stages == 0) {
        e = fail(P, 0, HP_ERR_INVALID, "the Dockerfile has no FROM: no stage to build");
    }
    return e;
}

static enum hp_err pick_target(struct parser *P, size_t *target)
{
    const char *t = P->opt != NULL ? P->opt->target : NULL;
    if (t == NULL) {
        *target = P->n_stages - 1;
        return HP_OK;
    }
    for (size_t i = P->n_stages; i-- > 0;) {
        if (P->stages[i].name != NULL && strcasecmp(P->stages[i].name, t) == 0) {
            *target = i;
            return HP_OK;
        }
    }
    struct hp_buf names;
    hp_buf_init(&names, 300);
    for (size_t i = 0; i < P->n_stages; i++) {
        if (P->stages[i].name != NULL) {
            hp_buf_printf(&names, "%s%s", names.len > 0 ? ", " : "", P->stages[i].name);
        }
    }
    enum hp_err e =
        fail(P, 0, HP_ERR_INVALID, "--target %s: no stage of that name (%s%s)", t,
             names.len > 0 ? "the stages are: " : "no stage is named", hp_buf_str(&names));
    hp_buf_cleanup(&names);
    return e;
}

/* The state a chain starts from: the external base image's defaults. */
static enum hp_err start_base(struct parser *P, const struct stage *root, struct hp_image_facts *f)
{
    if (root->base == NULL) {
        P->vars.undeclared = IMG_VAR_UNKNOWN;
        return HP_OK;
    }
    f->base = hp_xstrdup(root->base);
    if (strcmp(root->base, "scratch") == 0) {
        /* Nothing is set in scratch but the PATH BuildKit adds. */
        P->vars.undeclared = IMG_VAR_UNSET;
        return scope_set(P, 0, &P->vars, "PATH", IMG_VAR_SET,
                         "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    }
    P->vars.undeclared = IMG_VAR_UNKNOWN;
    const struct hp_image_base *b = hp_image_base_lookup(root->base);
    f->base_info = b;
    if (b == NULL) {
        return HP_OK;
    }
    if (b->user != NULL) {
        f->user.text = hp_xstrdup(b->user);
        f->user.from_base = true;
    }
    enum hp_err e = HP_OK;
    for (const char *p = b->env; p != NULL && *p != '\0' && e == HP_OK;) {
        const char *nl = strchr(p, '\n');
        size_t l = nl != NULL ? (size_t)(nl - p) : strlen(p);
        const char *eq = memchr(p, '=', l);
        if (eq != NULL) {
            char *name = hp_xstrndup(p, (size_t)(eq - p));
            struct hp_image_env *slot = env_slot(f, name);
            slot->value.text = hp_xstrndup(eq + 1, l - (size_t)(eq - p) - 1);
            slot->value.from_base = true;
            e = scope_set(P, 0, &P->vars, name, IMG_VAR_SET, slot->value.text);
            free(name);
        }
        p += l + (nl != NULL);
    }
    return e;
}

static enum hp_err run_stage(struct parser *P, const struct stage *st, struct hp_image_facts *f)
{
    enum hp_err e = HP_OK;
    /* A stage built on another sees its environment again over its ARGs. */
    for (size_t i = 0; i < f->n_env && e == HP_OK; i++) {
        const struct hp_image_value *v = &f->env[i].value;
        e = scope_set(P, 0, &P->vars, f->env[i].name,
                      v->text != NULL ? IMG_VAR_SET : IMG_VAR_UNKNOWN, v->text);
    }
    for (size_t i = st->ins + 1; i < st->end && e == HP_OK; i++) {
        const struct instr *in = &P->ins[i];
        struct cmdline c;
        split_command(P->esc, P->text.data + in->off, in->len, &c);
        switch (in->cmd) {
        case C_ARG:
            e = do_arg(P, in, &c, &P->vars, false);
            break;
        case C_ENV:
            e = do_env(P, in, &c, f);
            break;
        case C_USER:
            e = do_user(P, in, &c, f);
            break;
        case C_EXPOSE:
            e = do_expose(P, in, &c, f);
            break;
        default:
            break;
        }
        cmdline_cleanup(&c);
    }
    return e;
}

static enum hp_err run_chain(struct parser *P, size_t target, struct hp_image_facts *f)
{
    size_t chain[MAX_STAGES];
    size_t n = 0;
    for (ptrdiff_t i = (ptrdiff_t)target; i >= 0; i = P->stages[i].parent) {
        chain[n++] = (size_t)i;
    }
    const struct stage *root = &P->stages[chain[n - 1]];
    enum hp_err e = start_base(P, root, f);
    for (size_t k = n; k-- > 0 && e == HP_OK;) {
        e = run_stage(P, &P->stages[chain[k]], f);
    }
    if (e != HP_OK) {
        return e;
    }
    const struct stage *st = &P->stages[target];
    const struct instr *in = &P->ins[st->ins];
    struct cmdline c;
    split_command(P->esc, P->text.data + in->off, in->len, &c);
    size_t l = 0;
    while (l < c.args_len && !regex_ws(c.args[l])) {
        l++;
    }
    value_set(&f->base_ref, st->base != NULL ? hp_xstrdup(st->base) : NULL, st->unresolved, c.args,
              l, in->line);
    cmdline_cleanup(&c);
    f->stage = st->name != NULL ? hp_xstrdup(st->name) : NULL;
    f->n_stages = P->n_stages;
    return HP_OK;
}

enum hp_err hp_dockerfile_parse(const char *data, size_t len,
                                const struct hp_dockerfile_options *opt, struct hp_image_facts *out,
                                struct hp_error *err)
{
    size_t max = opt != NULL && opt->max_bytes > 0 ? opt->max_bytes : HP_DOCKERFILE_MAX_BYTES;
    hp_error_clear(err);
    if (len > max) {
        return hp_error_set(err, HP_ERR_LIMIT,
                            "the Dockerfile is %zu bytes, over the limit of %zu bytes", len, max);
    }
    if (len == 0) {
        return hp_error_set(err, HP_ERR_INVALID, "the Dockerfile is empty");
    }
    struct parser P = {
        .d = data, .n = len, .esc = '\\', .opt = opt, .err = err, .budget = EXPAND_BUDGET};
    hp_buf_init(&P.text, 0);
    out->source = HP_IMAGE_DOCKERFILE;
    enum hp_err e = read_lines(&P);
    if (e == HP_OK) {
        e = read_stages(&P);
    }
    size_t target = 0;
    if (e == HP_OK) {
        e = pick_target(&P, &target);
    }
    if (e == HP_OK) {
        e = run_chain(&P, target, out);
    }
    hp_buf_cleanup(&P.text);
    free(P.ins);
    for (size_t i = 0; i < P.n_stages; i++) {
        free(P.stages[i].name);
        free(P.stages[i].base);
    }
    free(P.stages);
    scope_cleanup(&P.globals);
    scope_cleanup(&P.vars);
    if (e != HP_OK) {
        hp_image_facts_cleanup(out);
        out->source = HP_IMAGE_DOCKERFILE;
    }
    return e;
}
