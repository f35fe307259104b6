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

/* ---- variables ---- */

static struct img_var *scope_find(struct img_scope *sc, const char *name, size_t len)
{
    for (size_t i = sc->n; i-- > 0;) {
        if (strlen(sc->v[i].name) == len && memcmp(sc->v[i].name, name, len) == 0) {
            return &sc->v[i];
        }
    }
    return NULL;
}

static enum hp_err scope_set(struct img_parser *P, size_t line, struct img_scope *sc,
                             const char *name, enum img_var_state st, const char *value)
{
    struct img_var *v = scope_find(sc, name, strlen(name));
    if (v == NULL) {
        if (sc->n == IMG_MAX_VARS) {
            return img_fail(P, line, HP_ERR_LIMIT, "more than %d variables", IMG_MAX_VARS);
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

static void scope_cleanup(struct img_scope *sc)
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
    struct img_scope *sc = ctx;
    struct img_var *x = scope_find(sc, name, len);
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
static enum hp_err expand(struct img_parser *P, size_t line, struct img_scope *sc, const char *w,
                          size_t n, char **text, char *unres, struct img_words *words)
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
            e = img_fail(P, line, HP_ERR_INVALID, "a NUL byte in a value");
        } else {
            *text = hp_buf_take(&out, NULL);
        }
    } else if (rc == IMG_LEX_UNRESOLVED) {
        memcpy(unres, lx.unresolved, sizeof(lx.unresolved));
    } else {
        e = img_fail(P, line, rc == IMG_LEX_LIMIT ? HP_ERR_LIMIT : HP_ERR_INVALID, "%s", lx.msg);
    }
    hp_buf_cleanup(&out);
    return e;
}

static const char *build_arg(const struct img_parser *P, const char *name)
{
    const struct hp_dockerfile_options *o = P->opt;
    for (size_t i = o != NULL ? o->n_build_args : 0; i-- > 0;) {
        if (o->build_args[i].name != NULL && strcmp(o->build_args[i].name, name) == 0) {
            return o->build_args[i].value != NULL ? o->build_args[i].value : "";
        }
    }
    return NULL;
}

/* BuildKit's flag check for instructions hardpod reads: FROM takes
 * --platform=VALUE, the others no flag at all. */
static enum hp_err check_flags(struct img_parser *P, const struct img_instr *in,
                               const struct img_cmdline *c)
{
    bool seen_platform = false;
    for (size_t i = 0; i < c->flags.n; i++) {
        size_t l;
        const char *f = img_word_at(&c->flags, i, &l);
        if (l == 2 && memcmp(f, "--", 2) == 0) {
            break;
        }
        const char *eq = memchr(f, '=', l);
        size_t nl = eq != NULL ? (size_t)(eq - f) : l;
        if (in->cmd == IMG_CMD_FROM && nl == 10 && memcmp(f, "--platform", 10) == 0) {
            if (seen_platform) {
                return img_fail(P, in->line, HP_ERR_INVALID,
                                "duplicate flag specified: --platform");
            }
            seen_platform = true;
            if (eq == NULL) {
                return img_fail(P, in->line, HP_ERR_INVALID, "missing a value on flag: --platform");
            }
            continue;
        }
        return img_fail(P, in->line, HP_ERR_INVALID, "unknown flag: %.*s", (int)(nl > 60 ? 60 : nl),
                        f);
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

static enum hp_err do_arg(struct img_parser *P, const struct img_instr *in,
                          const struct img_cmdline *c, struct img_scope *sc, bool global)
{
    struct img_words w;
    img_words_init(&w);
    img_raw_words(P->esc, c->args, c->args_len, &w);
    enum hp_err e = HP_OK;
    if (w.n == 0) {
        e = img_fail(P, in->line, HP_ERR_INVALID, "ARG requires at least one argument");
    }
    for (size_t i = 0; i < w.n && e == HP_OK; i++) {
        size_t l;
        const char *word = img_word_at(&w, i, &l);
        const char *eq = memchr(word, '=', l);
        size_t kl = eq != NULL ? (size_t)(eq - word) : l;
        if (kl == 0) {
            e = img_fail(P, in->line, HP_ERR_INVALID, "ARG names can not be blank");
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
            struct img_var *g = scope_find(&P->globals, key, kl);
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

static enum hp_err do_env(struct img_parser *P, const struct img_instr *in,
                          const struct img_cmdline *c, struct hp_image_facts *f)
{
    struct img_words w;
    img_words_init(&w);
    img_raw_words(P->esc, c->args, c->args_len, &w);
    struct kv *kv = NULL;
    size_t n = 0;
    enum hp_err e = HP_OK;
    if (w.n == 0) {
        e = img_fail(P, in->line, HP_ERR_INVALID, "ENV requires at least one argument");
        goto out;
    }
    size_t l0;
    const char *w0 = img_word_at(&w, 0, &l0);
    if (memchr(w0, '=', l0) == NULL) {
        /* The legacy form: ENV NAME the rest of the line. */
        size_t i = 0;
        while (i < c->args_len && !img_regex_ws(c->args[i])) {
            i++;
        }
        size_t j = i;
        while (j < c->args_len && img_regex_ws(c->args[j])) {
            j++;
        }
        if (j >= c->args_len) {
            e = img_fail(P, in->line, HP_ERR_INVALID, "ENV must have two arguments");
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
            const char *word = img_word_at(&w, n, &l);
            const char *eq = memchr(word, '=', l);
            if (eq == NULL) {
                e = img_fail(P, in->line, HP_ERR_INVALID,
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
        char *key = NULL;
        char unres[IMG_LEX_NAME_MAX + 1];
        if (kv[i].key[0] == '\0') {
            e = img_fail(P, in->line, HP_ERR_INVALID, "ENV names can not be blank");
            break;
        }
        e = expand(P, in->line, &P->vars, kv[i].key, strlen(kv[i].key), &key, unres, NULL);
        if (e != HP_OK) {
            break;
        }
        if (key == NULL) {
            e = img_fail(P, in->line, HP_ERR_INVALID,
                         "ENV %s: the name depends on %s, which has no known value, so hardpod "
                         "cannot tell which variable this sets",
                         kv[i].key, unres);
            break;
        }
        if (key[0] == '\0') {
            free(key);
            e = img_fail(P, in->line, HP_ERR_INVALID, "ENV names can not be blank");
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

static enum hp_err do_user(struct img_parser *P, const struct img_instr *in,
                           const struct img_cmdline *c, struct hp_image_facts *f)
{
    if (c->args_len == 0) {
        return img_fail(P, in->line, HP_ERR_INVALID, "USER requires exactly one argument");
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
        if (k == 1 && dash == NULL) {
            v[1] = v[0];
            break;
        }
        const char *p = k == 0 ? s : dash + 1;
        size_t l = k == 0 ? sl : n - sl - 1;
        if (k == 1 && l == sl && memcmp(s, p, l) == 0) {
            v[1] = v[0]; /* "80-80" is one port */
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

static enum hp_err add_port(struct img_parser *P, size_t line, struct hp_image_facts *f,
                            unsigned port, unsigned last, const char *proto, char *text,
                            const char *unres, const char *w, size_t wl)
{
    for (size_t i = 0; text != NULL && i < f->n_ports; i++) {
        const struct hp_image_port *p = &f->ports[i];
        if (p->port == port && p->port_last == last && strcmp(p->proto, proto) == 0) {
            free(text);
            return HP_OK;
        }
    }
    if (f->n_ports == IMG_MAX_PORTS) {
        free(text);
        return img_fail(P, line, HP_ERR_LIMIT, "more than %d exposed ports", IMG_MAX_PORTS);
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
static enum hp_err one_port(struct img_parser *P, size_t line, struct hp_image_facts *f,
                            const char *s, size_t n, const char *w, size_t wl)
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
        return img_fail(P, line, HP_ERR_INVALID, "EXPOSE %.*s: invalid port: %s",
                        (int)(n > 60 ? 60 : n), s, why);
    }
    if (lo == 0) {
        return img_fail(P, line, HP_ERR_INVALID,
                        "EXPOSE %.*s: port 0 cannot be listened on (BuildKit accepts it; hardpod "
                        "refuses it)",
                        (int)(n > 60 ? 60 : n), s);
    }
    return add_port(P, line, f, (unsigned)lo, hi != lo ? (unsigned)hi : 0, proto, hp_xstrndup(s, n),
                    NULL, w, wl);
}

static enum hp_err do_expose(struct img_parser *P, const struct img_instr *in,
                             const struct img_cmdline *c, struct hp_image_facts *f)
{
    if (c->args_len == 0) {
        return img_fail(P, in->line, HP_ERR_INVALID, "EXPOSE requires at least one argument");
    }
    enum hp_err e = HP_OK;
    for (size_t i = 0; i < c->args_len && e == HP_OK;) {
        size_t j = i;
        while (j < c->args_len && !img_regex_ws(c->args[j])) {
            j++;
        }
        const char *w = c->args + i;
        size_t wl = j - i;
        while (j < c->args_len && img_regex_ws(c->args[j])) {
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
            const char *p = img_word_at(&words, k, &l);
            e = one_port(P, in->line, f, p, l, w, wl);
        }
        free(text);
        img_words_cleanup(&words);
    }
    return e;
}

/* The shape of ARG and ENV arguments, checked in every stage as BuildKit
 * does; the values are substituted only along the chain that counts. */
static enum hp_err check_kv(struct img_parser *P, const struct img_instr *in,
                            const struct img_cmdline *c)
{
    const char *what = in->cmd == IMG_CMD_ARG ? "ARG" : "ENV";
    struct img_words w;
    img_words_init(&w);
    img_raw_words(P->esc, c->args, c->args_len, &w);
    enum hp_err e = HP_OK;
    size_t l = 0;
    const char *w0 = w.n > 0 ? img_word_at(&w, 0, &l) : "";
    if (w.n == 0) {
        e = img_fail(P, in->line, HP_ERR_INVALID, "%s requires at least one argument", what);
    } else if (in->cmd == IMG_CMD_ENV && memchr(w0, '=', l) == NULL) {
        size_t i = 0;
        while (i < c->args_len && !img_regex_ws(c->args[i])) {
            i++;
        }
        while (i < c->args_len && img_regex_ws(c->args[i])) {
            i++;
        }
        if (i >= c->args_len) {
            e = img_fail(P, in->line, HP_ERR_INVALID, "ENV must have two arguments");
        }
    } else {
        for (size_t i = 0; i < w.n && e == HP_OK; i++) {
            const char *word = img_word_at(&w, i, &l);
            if (in->cmd == IMG_CMD_ENV && memchr(word, '=', l) == NULL) {
                e = img_fail(P, in->line, HP_ERR_INVALID,
                             "Syntax error - can't find = in \"%.*s\". Must be of the form: "
                             "name=value",
                             (int)(l > 60 ? 60 : l), word);
            } else if (l > 0 && word[0] == '=') {
                e = img_fail(P, in->line, HP_ERR_INVALID, "%s names can not be blank", what);
            }
        }
    }
    img_words_cleanup(&w);
    return e;
}

/* The checks BuildKit makes of every instruction, whether or not its stage
 * is built. */
static enum hp_err check_instr(struct img_parser *P, const struct img_instr *in,
                               const struct img_cmdline *c)
{
    switch (in->cmd) {
    case IMG_CMD_UNKNOWN:
        return img_fail(P, in->line, HP_ERR_INVALID, "unknown instruction: %.*s",
                        (int)(c->cmd_len > 40 ? 40 : c->cmd_len), c->cmd);
    case IMG_CMD_ARG:
    case IMG_CMD_ENV: {
        enum hp_err e = check_kv(P, in, c);
        return e != HP_OK ? e : check_flags(P, in, c);
    }
    case IMG_CMD_USER:
    case IMG_CMD_EXPOSE:
        if (c->args_len == 0) {
            return img_fail(P, in->line, HP_ERR_INVALID, "%s requires %s argument",
                            in->cmd == IMG_CMD_USER ? "USER" : "EXPOSE",
                            in->cmd == IMG_CMD_USER ? "exactly one" : "at least one");
        }
        return check_flags(P, in, c);
    case IMG_CMD_RUN:
    case IMG_CMD_CMD:
    case IMG_CMD_ENTRYPOINT:
    case IMG_CMD_SHELL:
    case IMG_CMD_COPY:
    case IMG_CMD_ADD:
    case IMG_CMD_VOLUME:
        if (img_json_form(c->args, c->args_len) < 0) {
            return img_fail(
                P, in->line, HP_ERR_INVALID,
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

static enum hp_err add_stage(struct img_parser *P, size_t idx, const struct img_cmdline *c)
{
    const struct img_instr *in = &P->ins[idx];
    if (P->n_stages == IMG_MAX_STAGES) {
        return img_fail(P, in->line, HP_ERR_LIMIT, "more than %d stages", IMG_MAX_STAGES);
    }
    struct img_words w;
    img_words_init(&w);
    /* FROM's arguments are split on blanks only. */
    for (size_t i = 0; i < c->args_len;) {
        size_t j = i;
        while (j < c->args_len && !img_regex_ws(c->args[j])) {
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
        while (j < c->args_len && img_regex_ws(c->args[j])) {
            j++;
        }
        i = j;
    }
    enum hp_err e = HP_OK;
    size_t l;
    char *name = NULL;
    if (w.n == 3 && (img_word_at(&w, 1, &l), l == 2) &&
        strncasecmp(img_word_at(&w, 1, &l), "as", 2) == 0) {
        const char *nm = img_word_at(&w, 2, &l);
        name = hp_xstrndup(nm, l);
        for (char *p = name; *p != '\0'; p++) {
            *p = (char)tolower((unsigned char)*p);
        }
        if (strlen(name) != l || !valid_stage_name(name)) {
            e = img_fail(
                P, in->line, HP_ERR_INVALID,
                "invalid name for build stage: \"%.*s\", name can't start with a number or "
                "contain symbols",
                (int)(l > 60 ? 60 : l), nm);
        }
    } else if (w.n != 1) {
        e = img_fail(P, in->line, HP_ERR_INVALID, "FROM requires either one or three arguments");
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
    struct img_stage *st = &P->stages[P->n_stages++];
    memset(st, 0, sizeof(*st));
    st->ins = idx;
    st->end = idx + 1;
    st->name = name;
    st->parent = -1;
    /* The base: substituted with the global ARGs only. */
    const char *b = img_word_at(&w, 0, &l);
    e = expand(P, in->line, &P->globals, b, l, &st->base, st->unresolved, NULL);
    if (e == HP_OK && st->base != NULL && st->base[0] == '\0') {
        e = img_fail(P, in->line, HP_ERR_INVALID, "base name (%.*s) should not be blank",
                     (int)(l > 60 ? 60 : l), b);
    }
    for (size_t i = P->n_stages - 1; e == HP_OK && st->base != NULL && i-- > 0;) {
        const char *nm = P->stages[i].name;
        if (nm != NULL && strcmp(nm, st->base) == 0) {
            st->parent = (ptrdiff_t)i;
            break;
        }
        if (nm != NULL && strcasecmp(nm, st->base) == 0) {
            e = img_fail(
                P, in->line, HP_ERR_INVALID,
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
static enum hp_err read_stages(struct img_parser *P)
{
    P->globals.undeclared = IMG_VAR_UNSET;
    enum hp_err e = HP_OK;
    for (size_t i = 0; i < sizeof(auto_args) / sizeof(auto_args[0]) && e == HP_OK; i++) {
        const char *v = build_arg(P, auto_args[i]);
        e = scope_set(P, 0, &P->globals, auto_args[i], v != NULL ? IMG_VAR_SET : IMG_VAR_UNKNOWN,
                      v);
    }
    for (size_t i = 0; i < P->n_ins && e == HP_OK; i++) {
        const struct img_instr *in = &P->ins[i];
        struct img_cmdline c;
        img_split_command(P->esc, P->text.data + in->off, in->len, &c);
        e = check_instr(P, in, &c);
        if (e == HP_OK && in->cmd == IMG_CMD_FROM) {
            e = add_stage(P, i, &c);
        } else if (e == HP_OK && P->n_stages == 0) {
            if (in->cmd == IMG_CMD_ARG) {
                e = do_arg(P, in, &c, &P->globals, true);
            } else {
                e = img_fail(P, in->line, HP_ERR_INVALID,
                             "no build stage in current context: %.*s comes before the first FROM",
                             (int)(c.cmd_len > 40 ? 40 : c.cmd_len), c.cmd);
            }
        } else if (e == HP_OK) {
            P->stages[P->n_stages - 1].end = i + 1;
        }
        img_cmdline_cleanup(&c);
    }
    if (e == HP_OK && P->n_stages == 0) {
        e = img_fail(P, 0, HP_ERR_INVALID, "the Dockerfile has no FROM: no stage to build");
    }
    return e;
}

static enum hp_err pick_target(struct img_parser *P, size_t *target)
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
        img_fail(P, 0, HP_ERR_INVALID, "--target %s: no stage of that name (%s%s)", t,
                 names.len > 0 ? "the stages are: " : "no stage is named", hp_buf_str(&names));
    hp_buf_cleanup(&names);
    return e;
}

/* The state a chain starts from: the external base image's defaults. */
static enum hp_err start_base(struct img_parser *P, const struct img_stage *root,
                              struct hp_image_facts *f)
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

static enum hp_err run_stage(struct img_parser *P, const struct img_stage *st,
                             struct hp_image_facts *f)
{
    enum hp_err e = HP_OK;
    /* A stage built on another sees its environment again over its ARGs. */
    for (size_t i = 0; i < f->n_env && e == HP_OK; i++) {
        const struct hp_image_value *v = &f->env[i].value;
        e = scope_set(P, 0, &P->vars, f->env[i].name,
                      v->text != NULL ? IMG_VAR_SET : IMG_VAR_UNKNOWN, v->text);
    }
    for (size_t i = st->ins + 1; i < st->end && e == HP_OK; i++) {
        const struct img_instr *in = &P->ins[i];
        struct img_cmdline c;
        img_split_command(P->esc, P->text.data + in->off, in->len, &c);
        switch (in->cmd) {
        case IMG_CMD_ARG:
            e = do_arg(P, in, &c, &P->vars, false);
            break;
        case IMG_CMD_ENV:
            e = do_env(P, in, &c, f);
            break;
        case IMG_CMD_USER:
            e = do_user(P, in, &c, f);
            break;
        case IMG_CMD_EXPOSE:
            e = do_expose(P, in, &c, f);
            break;
        default:
            break;
        }
        img_cmdline_cleanup(&c);
    }
    return e;
}

static enum hp_err run_chain(struct img_parser *P, size_t target, struct hp_image_facts *f)
{
    size_t chain[IMG_MAX_STAGES];
    size_t n = 0;
    ptrdiff_t i = (ptrdiff_t)target;
    do {
        chain[n++] = (size_t)i;
        i = P->stages[i].parent;
    } while (i >= 0 && n < IMG_MAX_STAGES);
    const struct img_stage *root = &P->stages[chain[n - 1]];
    enum hp_err e = start_base(P, root, f);
    for (size_t k = n; k-- > 0 && e == HP_OK;) {
        e = run_stage(P, &P->stages[chain[k]], f);
    }
    if (e != HP_OK) {
        return e;
    }
    const struct img_stage *st = &P->stages[target];
    const struct img_instr *in = &P->ins[st->ins];
    struct img_cmdline c;
    img_split_command(P->esc, P->text.data + in->off, in->len, &c);
    size_t l = 0;
    while (l < c.args_len && !img_regex_ws(c.args[l])) {
        l++;
    }
    value_set(&f->base_ref, st->base != NULL ? hp_xstrdup(st->base) : NULL, st->unresolved, c.args,
              l, in->line);
    img_cmdline_cleanup(&c);
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
    struct img_parser P = {
        .d = data, .n = len, .esc = '\\', .opt = opt, .err = err, .budget = IMG_EXPAND_BUDGET};
    hp_buf_init(&P.text, 0);
    out->source = HP_IMAGE_DOCKERFILE;
    enum hp_err e = img_read_lines(&P);
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
