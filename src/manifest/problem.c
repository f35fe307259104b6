/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Problems the tree builder meets: each is worded for users of manifests
 * ("duplicate key \"x\" at line 12") and described for callers that
 * word their own (a kind, a line and column, and the path of the value
 * being read, built from the open collections). Only the first problem of a
 * document is kept: later ones are its consequences. Builds nothing.
 */
#include "internal.h"

#include <json-c/json.h>
#include <json-c/linkhash.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Records the document's first problem (later ones are consequences) and
 * returns its code. msg is the whole message for users of manifests, or
 * NULL for "line N: problem". */
enum hp_err mf_record(struct mf_loader *l, const struct hp_manifest_fault *f, const char *msg)
{
    if (l->error == NULL) {
        struct hp_manifest_doc d = {0};
        mf_doc_fail(&d, f, msg);
        l->error = d.error;
        l->fault = d.fault;
    }
    return f->code;
}

size_t mf_line(const struct mf_loader *l, yaml_mark_t m)
{
    return l->line0 + m.line + 1;
}

/* The key of the member most recently added to a mapping. */
static const char *last_key(struct json_object *map)
{
    const struct lh_table *t = json_object_get_object(map);
    return t != NULL && t->tail != NULL ? (const char *)lh_entry_k(t->tail) : "";
}

/* The path of the value being read, for messages: each open collection's
 * place in its parent, then the pending key or index of the innermost. */
static void current_path(const struct mf_loader *l, char *dst, size_t size)
{
    char prev[HP_MANIFEST_PATH_MAX];

    dst[0] = '\0';
    for (size_t i = 0; i < l->depth; i++) {
        const struct mf_frame *f = &l->frames[i];
        const struct mf_frame *child = i + 1 < l->depth ? &l->frames[i + 1] : NULL;
        const char *key = NULL;

        snprintf(prev, sizeof(prev), "%s", dst);
        if (f->is_map) {
            if (child != NULL) {
                key = child->in_merge ? "<<" : last_key(f->obj);
            } else {
                key = f->merge_next ? "<<" : f->key;
            }
            if (key != NULL) {
                hp_manifest_path_key(dst, size, prev, key);
            }
        } else {
            size_t n = json_object_array_length(f->obj);
            hp_manifest_path_index(dst, size, prev, child != NULL && n > 0 ? n - 1 : n);
        }
    }
}

void mf_fault_init(const struct mf_loader *l, struct hp_manifest_fault *f,
                   enum hp_manifest_fault_kind kind, enum hp_err code, yaml_mark_t m)
{
    memset(f, 0, sizeof(*f));
    f->kind = kind;
    f->code = code;
    f->line = mf_line(l, m);
    f->column = m.column + 1;
    current_path(l, f->path, sizeof(f->path));
}

/* A problem at m, worded "line N: problem". */
enum hp_err mf_fail_at(struct mf_loader *l, yaml_mark_t m, enum hp_manifest_fault_kind kind,
                       enum hp_err code, const char *fmt, ...)
{
    struct hp_manifest_fault f;
    va_list ap;

    mf_fault_init(l, &f, kind, code, m);
    va_start(ap, fmt);
    vsnprintf(f.problem, sizeof(f.problem), fmt, ap);
    va_end(ap);
    return mf_record(l, &f, NULL);
}

/* A key as it can be shown in a message: bounded, printable, quote-free. */
static void show_key(char *dst, size_t cap, const char *key)
{
    size_t i = 0;
    for (; key[i] != '\0' && i + 4 < cap && i < MF_SHOW_MAX; i++) {
        unsigned char c = (unsigned char)key[i];
        dst[i] = (c < 0x20 || c == '"' || c == '\\' || c == 0x7f) ? '?' : (char)c;
    }
    if (key[i] != '\0') {
        memcpy(dst + i, "...", 3);
        i += 3;
    }
    dst[i] = '\0';
}

/* Where the first copy of key starts in f's mapping; 0 without positions. */
static size_t first_key_line(const struct mf_frame *f, const char *key)
{
    size_t i = 0;

    json_object_object_foreach(f->obj, k, v)
    {
        (void)v;
        if (strcmp(k, key) == 0) {
            const struct hp_manifest_pos *p = hp_manifest_pos_get(f->obj, i);
            return p != NULL ? p->key_line : 0;
        }
        i++;
    }
    return 0;
}

enum hp_err mf_duplicate(struct mf_loader *l, const struct mf_frame *f, const char *key)
{
    struct hp_manifest_fault fl;
    char shown[MF_SHOW_MAX + 8];
    char msg[MF_SHOW_MAX + 64];

    mf_fault_init(l, &fl, HP_MANIFEST_FAULT_DUPLICATE, HP_ERR_INVALID, l->at);
    fl.other_line = first_key_line(f, key);
    show_key(shown, sizeof(shown), key);
    snprintf(fl.problem, sizeof(fl.problem), "duplicate key \"%s\"", shown);
    snprintf(msg, sizeof(msg), "duplicate key \"%s\" at line %zu", shown, fl.line);
    return mf_record(l, &fl, msg);
}

/* A collection where a key is expected (alias: the alias that named it). */
enum hp_err mf_key_not_scalar(struct mf_loader *l, bool is_list, const char *alias)
{
    struct hp_manifest_fault fl;
    char msg[MF_SHOW_MAX + 64];

    mf_fault_init(l, &fl, HP_MANIFEST_FAULT_KEY, HP_ERR_INVALID, l->at);
    snprintf(fl.problem, sizeof(fl.problem), "%s", is_list ? "a list" : "a mapping");
    if (alias != NULL) {
        snprintf(msg, sizeof(msg), "line %zu: mapping key *%.*s is not a scalar", fl.line,
                 MF_SHOW_MAX, alias);
    } else {
        snprintf(msg, sizeof(msg), "line %zu: mapping keys must be scalars", fl.line);
    }
    return mf_record(l, &fl, msg);
}

void mf_parser_error(struct mf_loader *l, const yaml_parser_t *p)
{
    const char *problem = p->problem != NULL ? p->problem : "invalid YAML";
    struct hp_manifest_fault f;
    char msg[HP_ERROR_MSG_MAX + 64];

    if (p->error == YAML_MEMORY_ERROR) {
        hp_oom();
    }
    mf_fault_init(l, &f, HP_MANIFEST_FAULT_SYNTAX, HP_ERR_INVALID, p->problem_mark);
    snprintf(f.problem, sizeof(f.problem), "%s", problem);
    if (p->error == YAML_READER_ERROR) {
        /* Reader errors carry a byte offset, not a mark. */
        size_t off = p->problem_offset < l->src_len ? p->problem_offset : l->src_len;
        f.kind = HP_MANIFEST_FAULT_ENCODING;
        f.line = l->line0 + 1;
        f.column = 0;
        for (size_t i = 0; i < off; i++) {
            f.line += l->src[i] == '\n';
        }
        snprintf(f.problem, sizeof(f.problem), "%s (byte 0x%02x)", problem,
                 (unsigned)p->problem_value & 0xffu);
        mf_record(l, &f, NULL);
    } else if (p->context != NULL) {
        snprintf(f.context, sizeof(f.context), "%s", p->context);
        f.other_line = mf_line(l, p->context_mark);
        snprintf(msg, sizeof(msg), "line %zu: %s (%s that started at line %zu)", f.line, problem,
                 p->context, f.other_line);
        mf_record(l, &f, msg);
    } else {
        mf_record(l, &f, NULL);
    }
}

void mf_doc_fail(struct hp_manifest_doc *doc, const struct hp_manifest_fault *f, const char *msg)
{
    char line[HP_ERROR_MSG_MAX + 32];

    if (msg == NULL) {
        snprintf(line, sizeof(line), "line %zu: %s", f->line, f->problem);
        msg = line;
    }
    doc->error = hp_xstrdup(msg);
    doc->fault = hp_xmalloc(sizeof(*doc->fault));
    *doc->fault = *f;
}
