/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Manifest loader, stream half: caps the input, splits the stream into YAML
 * documents by their `---` lines before any parsing, exactly as kubectl's
 * YAML reader does (so one broken document cannot hide the others, and no
 * document starts where kubectl's does not), rejects bytes that are not
 * UTF-8, and hands each document to the tree builder in load.c, all at once,
 * one at a time (the reader) or as the only one (hp_manifest_load_one).
 * No file I/O.
 */
#include "internal.h"

#include "hardpod/utf8.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct hp_manifest_limits hp_manifest_default_limits = {
    .max_bytes = (size_t)64 * 1024 * 1024,
    .max_docs = 10000,
    .max_depth = 64,
    .max_nodes = 4000000,
    .max_memory = HP_MANIFEST_DEFAULT_MAX_MEMORY,
};

struct splitter {
    const struct hp_manifest_limits *lim;
    struct hp_manifest_chunk *v;
    size_t len;
    size_t cap;
    struct hp_manifest_chunk cur;
    bool has_bytes;   /* cur has a line, even a blank one */
    bool has_content; /* cur has a line other than blanks and comments */
};

/* A `---` or `...` marker as YAML reads it: the three characters alone or
 * followed by a blank. */
static bool is_marker(const char *s, size_t n, char c)
{
    return n >= 3 && s[0] == c && s[1] == c && s[2] == c && (n == 3 || s[3] == ' ' || s[3] == '\t');
}

/* Blank or only a comment. */
static bool is_empty(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t')) {
        i++;
    }
    return i == n || s[i] == '#';
}

/* The length of the Unicode white space at s[0..n) that Go's
 * strings.TrimSpace removes, or 0. */
static size_t go_space(const unsigned char *s, size_t n)
{
    if (s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r')) {
        return 1;
    }
    if (n >= 2 && s[0] == 0xC2 && (s[1] == 0x85 || s[1] == 0xA0)) {
        return 2; /* U+0085, U+00A0 */
    }
    if (n >= 3 && s[0] == 0xE1 && s[1] == 0x9A && s[2] == 0x80) {
        return 3; /* U+1680 */
    }
    if (n >= 3 && s[0] == 0xE2 && s[1] == 0x80 &&
        ((s[2] >= 0x80 && s[2] <= 0x8A) || s[2] == 0xA8 || s[2] == 0xA9 || s[2] == 0xAF)) {
        return 3; /* U+2000..U+200A, U+2028, U+2029, U+202F */
    }
    if (n >= 3 && s[0] == 0xE2 && s[1] == 0x81 && s[2] == 0x9F) {
        return 3; /* U+205F */
    }
    if (n >= 3 && s[0] == 0xE3 && s[1] == 0x80 && s[2] == 0x80) {
        return 3; /* U+3000 */
    }
    return 0;
}

/* kubectl's YAML reader takes a line that starts with `---` for a document
 * separator when the rest of it, trimmed of white space, is empty or starts
 * with '#'; any other such line stops the reading with an error. Only the
 * leading white space decides: what is after the first other character
 * does not matter. */
static bool separator_ok(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 3;
    size_t k;

    while (i < n && (k = go_space(p + i, n - i)) > 0) {
        i += k;
    }
    return i == n || s[i] == '#';
}

static enum hp_err emit(struct splitter *sp, size_t end, struct hp_error *err)
{
    if (!sp->has_content) {
        return HP_OK;
    }
    if (sp->len == sp->lim->max_docs) {
        return hp_error_set(err, HP_ERR_LIMIT, "manifest has more than %zu YAML documents",
                            sp->lim->max_docs);
    }
    if (sp->len == sp->cap) {
        sp->cap = sp->cap ? sp->cap * 2 : 8;
        sp->v = hp_xrealloc(sp->v, sp->cap * sizeof(*sp->v));
    }
    sp->cur.len = end - sp->cur.off;
    sp->v[sp->len++] = sp->cur;
    return HP_OK;
}

static void restart(struct splitter *sp, size_t off, size_t line0)
{
    sp->cur = (struct hp_manifest_chunk){.off = off, .line0 = line0};
    sp->has_bytes = false;
    sp->has_content = false;
}

/* Feeds one line p[off..off+n) (newline excluded) that is 0-based line `line`
 * and is followed by the next line at `next`. As in kubectl's reader, a
 * separator ends a document that has any line (a blank one too) and is then
 * dropped; one that comes first is the first line of its document, which
 * libyaml then reads (`---#: |` is a key there). */
static enum hp_err split_line(struct splitter *sp, const char *p, size_t off, size_t n, size_t next,
                              size_t line, struct hp_error *err)
{
    const char *s = p + off;
    enum hp_err rc = HP_OK;

    if (n > 0 && s[n - 1] == '\r') {
        n--;
    }
    if (n >= 3 && memcmp(s, "---", 3) == 0) {
        if (!separator_ok(s, n)) {
            return hp_error_set(err, HP_ERR_INVALID,
                                "line %zu: a line that starts with `---` must hold nothing else "
                                "but a comment (kubectl refuses \"invalid Yaml document "
                                "separator\")",
                                line + 1);
        }
        if (sp->has_bytes) {
            rc = emit(sp, off, err);
            restart(sp, next, line + 1);
            return rc;
        }
    }
    sp->has_bytes = true;
    /* A `---` marker (alone, or before a blank and a comment) is no content
     * for libyaml; `---#` is. */
    if (!is_empty(s, n) && !(is_marker(s, n, '-') && is_empty(s + 3, n - 3)) && !sp->has_content) {
        sp->has_content = true;
        sp->cur.first = line + 1;
    }
    return rc;
}

/* Splits p[0..n) into documents that have content; empty ones are dropped. */
static enum hp_err split(const char *p, size_t n, const struct hp_manifest_limits *lim,
                         struct hp_manifest_chunk **out, size_t *nout, struct hp_error *err)
{
    struct splitter sp = {.lim = lim};
    size_t off = 0;
    size_t line = 0;
    enum hp_err rc = HP_OK;

    restart(&sp, 0, 0);
    while (off < n && rc == HP_OK) {
        const char *nl = memchr(p + off, '\n', n - off);
        size_t end = nl != NULL ? (size_t)(nl - p) : n;
        size_t next = nl != NULL ? end + 1 : n;

        rc = split_line(&sp, p, off, end - off, next, line, err);
        off = next;
        line++;
    }
    if (rc == HP_OK) {
        rc = emit(&sp, n, err);
    }
    if (rc != HP_OK) {
        free(sp.v);
        sp.v = NULL;
        sp.len = 0;
    }
    *out = sp.v;
    *nout = sp.len;
    return rc;
}

/* libyaml reports bad encoding without a line; find it here with one.
 * Returns false with the problem in doc. */
static bool check_text(const char *p, size_t n, size_t line0, struct hp_manifest_doc *doc)
{
    const unsigned char *s = (const unsigned char *)p;
    size_t line = line0 + 1;
    size_t column = 1;

    for (size_t i = 0; i < n;) {
        size_t len = s[i] == 0 ? 0 : hp_utf8_len(p + i, n - i);
        if (len == 0) {
            struct hp_manifest_fault f = {.kind = HP_MANIFEST_FAULT_ENCODING,
                                          .code = HP_ERR_INVALID,
                                          .line = line,
                                          .column = column};
            snprintf(f.problem, sizeof(f.problem), "%s (byte 0x%02x)",
                     s[i] == 0 ? "NUL character in input" : "invalid UTF-8", s[i]);
            mf_doc_fail(doc, &f, NULL);
            return false;
        }
        column = s[i] == '\n' ? 1 : column + len;
        line += s[i] == '\n';
        i += len;
    }
    return true;
}

/* kubectl reads a stream as JSON when its first character that is not
 * white space is `{`. */
static bool json_stream(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r')) {
        i++;
    }
    return i < n && p[i] == '{';
}

enum hp_err hp_manifest_reader_init(struct hp_manifest_reader *r, const char *data, size_t len,
                                    const struct hp_manifest_limits *lim,
                                    struct hp_manifest_budget *budget, struct hp_error *err)
{
    enum hp_err rc;

    memset(r, 0, sizeof(*r));
    r->lim = lim != NULL ? lim : &hp_manifest_default_limits;
    r->budget = budget;
    if (len > r->lim->max_bytes) {
        return hp_error_set(err, HP_ERR_LIMIT, "manifest is %zu bytes, more than the limit of %zu",
                            len, r->lim->max_bytes);
    }
    if (data == NULL) {
        len = 0;
    }
    if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) {
        data += 3;
        len -= 3;
    }
    r->data = data;
    r->json = json_stream(data, len);
    rc = split(data, len, r->lim, &r->chunks, &r->n_chunks, err);
    return rc;
}

bool hp_manifest_reader_next(struct hp_manifest_reader *r, struct hp_manifest_doc *doc)
{
    while (r->next < r->n_chunks) {
        const struct hp_manifest_chunk *c = &r->chunks[r->next++];

        memset(doc, 0, sizeof(*doc));
        doc->line = c->first;
        if (check_text(r->data + c->off, c->len, c->line0, doc)) {
            struct mf_stream st = {.on_item = r->on_item, .arg = r->on_item_arg};
            unsigned flags = (r->positions ? MF_LOAD_POSITIONS : 0u) |
                             (r->single ? MF_LOAD_SINGLE : 0u) | (r->json ? MF_LOAD_JSON : 0u);
            mf_load_doc(r->data + c->off, c->len, c->line0, r->lim, r->budget, flags,
                        r->on_item != NULL ? &st : NULL, doc);
        }
        /* A document whose root is null is skipped, as kubectl skips it. */
        if (doc->obj != NULL || doc->error != NULL) {
            return true;
        }
        hp_manifest_doc_cleanup(doc);
    }
    return false;
}

void hp_manifest_reader_set_first_line(struct hp_manifest_reader *r, size_t line0)
{
    for (size_t i = 0; i < r->n_chunks; i++) {
        r->chunks[i].line0 += line0;
        r->chunks[i].first += line0;
    }
}

void hp_manifest_reader_cleanup(struct hp_manifest_reader *r)
{
    free(r->chunks);
    r->chunks = NULL;
    r->n_chunks = 0;
    r->next = 0;
}

void hp_manifest_doc_cleanup(struct hp_manifest_doc *doc)
{
    if (doc == NULL) {
        return;
    }
    json_object_put(doc->obj);
    free(doc->error);
    free(doc->fault);
    if (doc->root_pos != NULL) {
        free((char *)doc->root_pos->text);
        free(doc->root_pos);
    }
    free(doc->item_lines);
    if (doc->budget != NULL) {
        hp_manifest_budget_release(doc->budget, doc->charged);
    }
    memset(doc, 0, sizeof(*doc));
}

enum hp_err hp_manifest_load_one(const char *data, size_t len, const struct hp_manifest_limits *lim,
                                 struct hp_manifest_budget *budget, struct hp_manifest_doc *doc)
{
    struct hp_manifest_reader r;
    struct hp_manifest_doc next;
    struct hp_error err;
    enum hp_err rc;

    memset(doc, 0, sizeof(*doc));
    hp_error_clear(&err);
    rc = hp_manifest_reader_init(&r, data, len, lim, budget, &err);
    if (rc != HP_OK) {
        struct hp_manifest_fault f = {.code = rc, .line = 1};
        snprintf(f.problem, sizeof(f.problem), "%s", err.msg);
        mf_doc_fail(doc, &f, err.msg);
        goto out;
    }
    r.positions = true;
    r.single = true;
    if (!hp_manifest_reader_next(&r, doc) || doc->error != NULL) {
        rc = doc->fault != NULL ? doc->fault->code : HP_OK;
        goto out;
    }
    /* A second document is refused whatever it holds; one that does not
     * load says why. */
    if (hp_manifest_reader_next(&r, &next)) {
        const struct hp_manifest_chunk *c = &r.chunks[r.next - 1];
        /* Where it starts: its own `---` line, or the one that ended the
         * document before it, just above its first line. */
        const char *nl = memchr(r.data + c->off, '\n', c->len);
        size_t first_len = nl != NULL ? (size_t)(nl - (r.data + c->off)) : c->len;
        bool marked = first_len >= 3 && memcmp(r.data + c->off, "---", 3) == 0;
        struct hp_manifest_fault f = {.kind = HP_MANIFEST_FAULT_SECOND_DOC,
                                      .code = HP_ERR_INVALID,
                                      .line = marked ? c->line0 + 1 : c->line0};
        snprintf(f.problem, sizeof(f.problem), "a second document");
        if (next.fault != NULL) {
            f = *next.fault;
        }
        hp_manifest_doc_cleanup(doc);
        mf_doc_fail(doc, &f, next.error);
        hp_manifest_doc_cleanup(&next);
        rc = f.code;
    }
out:
    hp_manifest_reader_cleanup(&r);
    return rc;
}

enum hp_err hp_manifest_parse(const char *data, size_t len, const struct hp_manifest_limits *lim,
                              struct hp_manifest *out, struct hp_error *err)
{
    struct hp_manifest_reader r;
    struct hp_manifest_budget budget;
    struct hp_manifest_doc doc;
    size_t cap = 0;
    enum hp_err rc;

    out->docs = NULL;
    out->len = 0;
    if (lim == NULL) {
        lim = &hp_manifest_default_limits;
    }
    /* Every document stays alive, so all of them share one budget. */
    hp_manifest_budget_init(&budget, lim->max_memory, NULL);
    rc = hp_manifest_reader_init(&r, data, len, lim, &budget, err);
    while (rc == HP_OK && hp_manifest_reader_next(&r, &doc)) {
        if (out->len == cap) {
            cap = cap ? cap * 2 : 8;
            out->docs = hp_xrealloc(out->docs, cap * sizeof(*out->docs));
        }
        /* The budget dies here: the caller frees the trees, with nothing to give back. */
        doc.budget = NULL;
        out->docs[out->len++] = doc;
    }
    hp_manifest_reader_cleanup(&r);
    return rc;
}

void hp_manifest_cleanup(struct hp_manifest *m)
{
    if (m == NULL) {
        return;
    }
    for (size_t i = 0; i < m->len; i++) {
        hp_manifest_doc_cleanup(&m->docs[i]);
    }
    free(m->docs);
    m->docs = NULL;
    m->len = 0;
}
