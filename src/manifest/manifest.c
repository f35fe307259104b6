/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Manifest loader, stream half: caps the input, splits the stream into YAML
 * documents by their `---` and `...` marker lines before any parsing (so one
 * broken document cannot hide the others), rejects bytes that are not UTF-8,
 * and hands each document to the tree builder in load.c, all at once, one at
 * a time (the reader) or as the only one (hp_manifest_load_one). No file I/O.
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
    bool has_content; /* cur has a line other than blanks, comments, directives, markers */
    bool has_start;   /* cur has its `---` line */
};

/* A `---` or `...` marker: the three characters alone or followed by a blank. */
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
    sp->has_content = false;
    sp->has_start = false;
}

static void mark_content(struct splitter *sp, size_t line0)
{
    if (!sp->has_content) {
        sp->has_content = true;
        sp->cur.first = line0 + 1;
    }
}

/* Feeds one line p[off..off+n) (newline excluded) that is 0-based line `line`
 * and is followed by the next line at `next`. */
static enum hp_err split_line(struct splitter *sp, const char *p, size_t off, size_t n, size_t next,
                              size_t line, struct hp_error *err)
{
    const char *s = p + off;
    enum hp_err rc = HP_OK;

    if (n > 0 && s[n - 1] == '\r') {
        n--;
    }
    if (is_marker(s, n, '-')) {
        /* Directives and comments before the first `---` belong to its document. */
        if (sp->has_content || sp->has_start) {
            rc = emit(sp, off, err);
            restart(sp, off, line);
        }
        sp->has_start = true;
        if (!is_empty(s + 3, n - 3)) {
            mark_content(sp, line);
        }
    } else if (is_marker(s, n, '.')) {
        /* The `...` line stays with its document so libyaml checks what follows it. */
        rc = emit(sp, next, err);
        restart(sp, next, line + 1);
    } else if (!is_empty(s, n) && !(s[0] == '%' && !sp->has_content && !sp->has_start)) {
        /* Blank lines, comments and directives before the `---` (%YAML 1.1) are not content. */
        mark_content(sp, line);
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
            mf_load_doc(r->data + c->off, c->len, c->line0, r->lim, r->budget, r->positions,
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
    if (!hp_manifest_reader_next(&r, doc) || doc->error != NULL) {
        rc = doc->fault != NULL ? doc->fault->code : HP_OK;
        goto out;
    }
    /* A second document is refused whatever it holds; one that does not
     * load says why. */
    if (hp_manifest_reader_next(&r, &next)) {
        const struct hp_manifest_chunk *c = &r.chunks[r.next - 1];
        /* Where it starts: its `---` line, or its first content after a `...`. */
        const char *nl = memchr(r.data + c->off, '\n', c->len);
        size_t first_len = nl != NULL ? (size_t)(nl - (r.data + c->off)) : c->len;
        if (first_len > 0 && r.data[c->off + first_len - 1] == '\r') {
            first_len--;
        }
        bool marked = is_marker(r.data + c->off, first_len, '-');
        struct hp_manifest_fault f = {.kind = HP_MANIFEST_FAULT_SECOND_DOC,
                                      .code = HP_ERR_INVALID,
                                      .line = marked ? c->line0 + 1 : c->first};
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
