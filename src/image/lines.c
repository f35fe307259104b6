/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The first half of reading a Dockerfile as BuildKit's parser does: lines,
 * the byte order mark, parser directives, the escape character, line
 * continuations, comments and heredocs (skipped up to their terminators),
 * giving the logical instructions with their first line. Also the word
 * splitting the instruction readers share. Pure; every size is capped.
 */
#include "internal.h"

#include "hardpod/error.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const cmd_names[] = {
    "",       "add",        "arg",         "cmd",    "copy",       "entrypoint", "env",
    "expose", "from",       "healthcheck", "label",  "maintainer", "onbuild",    "run",
    "shell",  "stopsignal", "user",        "volume", "workdir",
};

/* ---- small helpers ---- */

static bool flag_space(unsigned char c)
{
    /* Go's unicode.IsSpace on a byte taken as a rune, as BuildKit's flag
     * reader does. */
    return c == ' ' || (c >= '\t' && c <= '\r') || c == 0x85 || c == 0xa0;
}

bool img_regex_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

void img_trim(const char **s, size_t *n)
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

enum hp_err img_fail(struct img_parser *P, size_t line, enum hp_err code, const char *fmt, ...)
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

static enum img_cmd cmd_of(const char *s, size_t n)
{
    for (size_t i = 1; i < sizeof(cmd_names) / sizeof(cmd_names[0]); i++) {
        if (strlen(cmd_names[i]) == n && strncasecmp(cmd_names[i], s, n) == 0) {
            return (enum img_cmd)i;
        }
    }
    return IMG_CMD_UNKNOWN;
}

/* ---- splitting an instruction (BuildKit's splitCommand) ---- */

/* BuildKit's extractBuilderFlags: leading words that start with "--". */
/* Appends the word w to c's flags. */
static void push_flag(struct img_cmdline *c, const struct hp_buf *w)
{
    struct img_words *f = &c->flags;
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 4;
        f->start = hp_xrealloc(f->start, f->cap * sizeof(size_t));
        f->len = hp_xrealloc(f->len, f->cap * sizeof(size_t));
    }
    f->start[f->n] = f->all.len;
    f->len[f->n++] = w->len;
    hp_buf_append(&f->all, w->data, w->len);
}

static void split_flags(char esc, const char *s, size_t n, struct img_cmdline *c)
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
                    push_flag(c, &w);
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
push_last:
    push_flag(c, &w);
    c->args = s + n;
    c->args_len = 0;
out:
    hp_buf_cleanup(&w);
}

void img_split_command(char esc, const char *s, size_t n, struct img_cmdline *c)
{
    memset(c, 0, sizeof(*c));
    img_words_init(&c->flags);
    img_trim(&s, &n);
    size_t i = 0;
    while (i < n && !img_regex_ws(s[i])) {
        i++;
    }
    c->cmd = s;
    c->cmd_len = i;
    c->args = s + n;
    if (i < n) {
        size_t j = i;
        while (j < n && img_regex_ws(s[j])) {
            j++;
        }
        split_flags(esc, s + j, n - j, c);
    }
    img_trim(&c->args, &c->args_len);
}

void img_cmdline_cleanup(struct img_cmdline *c)
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
int img_json_form(const char *s, size_t n)
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
static enum hp_err next_line(struct img_parser *P, const char **s, size_t *len, bool *got)
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
    if (l > IMG_MAX_LINE) {
        return img_fail(P, P->line, HP_ERR_LIMIT,
                        "a line longer than %d bytes (BuildKit refuses it too)", IMG_MAX_LINE);
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
static enum hp_err directive(struct img_parser *P, const char *s, size_t n)
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
        return img_fail(P, P->line, HP_ERR_INVALID, "only one %s parser directive can be used",
                        names[which]);
    }
    P->seen[which] = true;
    if (which == 1) {
        if (ve - vs != 1 || (s[vs] != '`' && s[vs] != '\\')) {
            return img_fail(P, P->line, HP_ERR_INVALID,
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
static enum hp_err heredoc_of(struct img_parser *P, size_t line, const char *w, size_t n,
                              struct heredoc *h)
{
    h->name = NULL;
    size_t i = 0;
    while (i < n && isdigit((unsigned char)w[i])) {
        i++;
    }
    if (i + 2 > n || w[i] != '<' || w[i + 1] != '<') {
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
        e = img_fail(P, line, HP_ERR_LIMIT, "%s", lx.msg);
    } else if (rc != IMG_LEX_OK) {
        e = img_fail(P, line, HP_ERR_INVALID, "heredoc %.*s: %s", (int)(n > 40 ? 40 : n), w,
                     lx.msg);
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
static enum hp_err skip_heredocs(struct img_parser *P, size_t line, const char *s, size_t n)
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
        e = img_fail(P, line, HP_ERR_LIMIT, "%s", lx.msg);
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
            e = img_fail(P, line, HP_ERR_INVALID, "unterminated heredoc: no line %s before the end",
                         h.name);
        }
        free(h.name);
    }
out:
    hp_buf_cleanup(&out);
    img_words_cleanup(&words);
    return e;
}

static bool may_have_heredoc(char esc, enum img_cmd c, const char *args, size_t n)
{
    if (c == IMG_CMD_ONBUILD) {
        struct img_cmdline sub;
        img_split_command(esc, args, n, &sub);
        c = cmd_of(sub.cmd, sub.cmd_len);
        args = sub.args;
        n = sub.args_len;
        img_cmdline_cleanup(&sub);
    }
    return (c == IMG_CMD_RUN || c == IMG_CMD_COPY || c == IMG_CMD_ADD) &&
           img_json_form(args, n) != 1;
}

static enum hp_err add_instr(struct img_parser *P, size_t line, const char *s, size_t n)
{
    if (P->n_ins == IMG_MAX_INSTRUCTIONS) {
        return img_fail(P, line, HP_ERR_LIMIT, "more than %d instructions", IMG_MAX_INSTRUCTIONS);
    }
    if (P->n_ins == P->cap_ins) {
        P->cap_ins = P->cap_ins ? P->cap_ins * 2 : 64;
        P->ins = hp_xrealloc(P->ins, P->cap_ins * sizeof(*P->ins));
    }
    struct img_cmdline c;
    img_split_command(P->esc, s, n, &c);
    struct img_instr *in = &P->ins[P->n_ins++];
    in->cmd = cmd_of(c.cmd, c.cmd_len);
    in->line = line;
    in->off = P->text.len;
    in->len = n;
    hp_buf_append(&P->text, s, n);
    enum hp_err e = HP_OK;
    if (memmem(s, n, "<<", 2) != NULL && may_have_heredoc(P->esc, in->cmd, c.args, c.args_len)) {
        e = skip_heredocs(P, line, s, n);
    }
    img_cmdline_cleanup(&c);
    return e;
}

/* Splits the file into instructions (BuildKit's parser.Parse). */
enum hp_err img_read_lines(struct img_parser *P)
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
        e = img_fail(P, P->line, HP_ERR_INVALID, "file with no instructions");
    }
    return e;
}

/* BuildKit's parseWords: words with quotes and escapes kept. */
void img_raw_words(char esc, const char *s, size_t n, struct img_words *w)
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

const char *img_word_at(const struct img_words *w, size_t i, size_t *len)
{
    *len = w->len[i];
    return w->all.data + w->start[i];
}
