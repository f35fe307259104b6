/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Manifest loader, event half: builds json-c objects for one YAML document
 * straight from libyaml's event API, with scalars typed by scalar.c as
 * Kubernetes' decoder (go-yaml v2, YAML 1.1) types them. Iterative: the only
 * stack is the frame array, which never grows past max_depth. Aliases share
 * json-c objects by reference count and are charged their expanded size
 * against max_nodes and the memory budget. Every allocation that the input
 * sizes is charged to the budget before it is made.
 */
#include "manifest/internal.h"

#include <json-c/json.h>
#include <json-c/linkhash.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define SHOW_MAX 40 /* bytes of a scalar or key quoted in a message */

/* What the tree costs, in bytes of glibc malloc chunks (an 8-byte header,
 * 16-byte granules), measured with a counting malloc on json-c 0.16 and
 * glibc 2.36 (x86-64). Each is an upper bound of the real cost, or close to
 * it: test_manifest_memory_estimate (tests/unit/check_manifest.c) holds the
 * sum for whole documents against glibc's own count. */
#define COST_MAP 784    /* json_object + lh_table with its first 16 entries */
#define COST_SEQ 384    /* json_object + array_list with its first 32 slots */
#define COST_SCALAR 64  /* an integer, float or boolean */
#define COST_STRING 80  /* plus the length */
#define COST_KEY 128    /* hash entries per key once a table grows (3 of 40 bytes) */
#define COST_SLOT 16    /* a sequence slot, or an items line, with doubling's slack */
#define COST_ANCHOR 192 /* an anchor record and its hash entries */
/* libyaml's working memory besides its scalar buffer (stacks, token queue). */
#define COST_PARSER ((size_t)256 * 1024)

/* One open collection. obj is borrowed: it was attached to its parent (or
 * became the root) when the collection started. */
struct frame {
    struct json_object *obj;
    char *anchor;               /* owned; registered when the collection ends */
    size_t nodes_before;        /* document node count before this collection */
    size_t tree_before;         /* tree bytes charged before this collection */
    char *key;                  /* owned pending key; NULL when a key is expected */
    size_t key_cost;            /* what the pending key's copy is charged */
    struct json_object *merges; /* owned array of `<<` values, applied at the end */
    size_t merge_line;
    bool is_map;
    bool merge_next; /* the pending key is `<<` */
    bool had_merge;
    bool is_items; /* the root mapping's `items` sequence */
};

struct anchor {
    struct json_object *obj; /* one reference held */
    char *text;              /* owned scalar text, for aliases used as keys; NULL otherwise */
    size_t text_len;
    size_t nodes; /* expanded size of the anchored subtree */
    size_t bytes; /* its tree bytes, aliases inside it expanded */
};

struct loader {
    const struct hp_manifest_limits *lim;
    struct hp_manifest_budget *budget;
    const char *src;
    size_t src_len;
    size_t line0;
    struct frame *frames;
    size_t depth;
    size_t cap;
    struct lh_table *anchors;
    size_t nodes;
    size_t charged;   /* everything this document holds charged to the budget */
    size_t transient; /* the part of it freed when loading ends */
    size_t tree;      /* tree bytes charged so far, aliases expanded; only grows */
    struct json_object *root;
    size_t *items;
    size_t n_items;
    size_t cap_items;
    unsigned docs_seen;
    char *error;
};

/* ---- building ---- */

static enum hp_err fail(struct loader *l, enum hp_err code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records the document's first error (later ones are consequences) and returns code. */
static enum hp_err fail(struct loader *l, enum hp_err code, const char *fmt, ...)
{
    char msg[HP_ERROR_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (l->error == NULL) {
        l->error = hp_xstrdup(msg);
    }
    return code;
}

static size_t abs_line(const struct loader *l, yaml_mark_t m)
{
    return l->line0 + m.line + 1;
}

/* A key as it can be shown in a message: bounded, printable, quote-free. */
static void show_key(char *dst, size_t cap, const char *key)
{
    size_t i = 0;
    for (; key[i] != '\0' && i + 4 < cap && i < SHOW_MAX; i++) {
        unsigned char c = (unsigned char)key[i];
        dst[i] = (c < 0x20 || c == '"' || c == '\\' || c == 0x7f) ? '?' : (char)c;
    }
    if (key[i] != '\0') {
        memcpy(dst + i, "...", 3);
        i += 3;
    }
    dst[i] = '\0';
}

static size_t add_sat(size_t a, size_t b)
{
    return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

static size_t chunk(size_t n)
{
    return hp_manifest_budget_malloc_cost(n);
}

/* What a scalar of this type and length costs as a json-c value. */
static size_t scalar_cost(enum hp_scalar_kind kind, size_t n)
{
    switch (kind) {
    case HP_SCALAR_NULL:
        return 0;
    case HP_SCALAR_BOOL:
    case HP_SCALAR_INT:
    case HP_SCALAR_FLOAT:
        return COST_SCALAR;
    default:
        return add_sat(COST_STRING, n);
    }
}

/* libyaml builds each scalar in a buffer that doubles from 16 bytes, and a
 * scalar is at most 1.5 times its source (the escapes \L and \P are two
 * bytes that decode to three), so this bounds the parser for a document of
 * n bytes before it reads any of it. */
static size_t parser_cost(size_t n)
{
    size_t most = add_sat(n, n / 2);
    size_t buf = 16;
    while (buf < most && buf <= SIZE_MAX / 2) {
        buf *= 2;
    }
    return add_sat(buf, COST_PARSER);
}

/* Charges n bytes before they are allocated. Tree bytes (transient false)
 * stay charged while the document lives and count into the expanded size of
 * the anchors around them; transient bytes are given back when loading ends.
 * what names the thing that did not fit, for the message. */
static enum hp_err charge(struct loader *l, size_t n, bool transient, size_t line, const char *what)
{
    char limit[160];

    if (!hp_manifest_budget_charge(l->budget, n)) {
        return fail(l, HP_ERR_LIMIT, "line %zu: %s does not fit in %s", line, what,
                    hp_manifest_budget_describe(l->budget, limit, sizeof(limit)));
    }
    l->charged += n;
    if (transient) {
        l->transient += n;
    } else {
        l->tree = add_sat(l->tree, n);
    }
    return HP_OK;
}

static void release(struct loader *l, size_t n, bool transient)
{
    hp_manifest_budget_release(l->budget, n);
    l->charged -= n;
    if (transient) {
        l->transient -= n;
    }
}

static void anchor_entry_free(struct lh_entry *e)
{
    struct anchor *a = lh_entry_v(e);
    free(lh_entry_k(e));
    json_object_put(a->obj);
    free(a->text);
    free(a);
}

/* Takes ownership of name, one reference to obj and text, whose memory the
 * caller has charged. A later anchor with the same name replaces the earlier
 * one, as YAML requires. */
static void anchor_set(struct loader *l, char *name, struct json_object *obj, char *text,
                       size_t text_len, size_t nodes, size_t bytes)
{
    struct anchor *a = hp_xmalloc(sizeof(*a));
    a->obj = obj;
    a->text = text;
    a->text_len = text_len;
    a->nodes = nodes;
    a->bytes = bytes;
    lh_table_delete(l->anchors, name);
    if (lh_table_insert(l->anchors, name, a) != 0) {
        hp_oom();
    }
}

static struct frame *top(struct loader *l)
{
    return l->depth > 0 ? &l->frames[l->depth - 1] : NULL;
}

static bool expects_key(const struct frame *f)
{
    return f != NULL && f->is_map && f->key == NULL && !f->merge_next;
}

/* Counts a node (or an alias's expansion) against max_nodes. */
static enum hp_err count_nodes(struct loader *l, size_t line, size_t count)
{
    l->nodes = add_sat(l->nodes, count);
    if (l->nodes > l->lim->max_nodes) {
        return fail(l, HP_ERR_LIMIT,
                    "line %zu: document has more than %zu nodes (aliases expanded)", line,
                    l->lim->max_nodes);
    }
    return HP_OK;
}

/* Charges the place a value takes in its parent (a mapping's key was charged
 * with the key) and records where items elements start. */
static enum hp_err value_begin(struct loader *l, size_t line)
{
    struct frame *f = top(l);
    size_t slot = 0;
    enum hp_err rc;

    if (f != NULL && (!f->is_map || f->merge_next)) {
        slot = COST_SLOT + (f->merge_next && f->merges == NULL ? COST_SEQ : 0);
    }
    if (f != NULL && f->is_items) {
        slot += COST_SLOT;
    }
    rc = slot > 0 ? charge(l, slot, false, line, "the document") : HP_OK;
    if (rc == HP_OK && f != NULL && f->is_items) {
        if (l->n_items == l->cap_items) {
            l->cap_items = l->cap_items ? l->cap_items * 2 : 16;
            l->items = hp_xrealloc(l->items, l->cap_items * sizeof(*l->items));
        }
        l->items[l->n_items++] = line;
    }
    return rc;
}

/* Takes ownership of obj and attaches it where the parent expects a value. */
static void attach(struct loader *l, struct json_object *obj)
{
    struct frame *f = top(l);

    if (f == NULL) {
        l->root = obj;
    } else if (!f->is_map) {
        if (json_object_array_add(f->obj, obj) != 0) {
            hp_oom();
        }
    } else if (f->merge_next) {
        if (f->merges == NULL) {
            f->merges = json_object_new_array();
        }
        if (f->merges == NULL || json_object_array_add(f->merges, obj) != 0) {
            hp_oom();
        }
        f->merge_next = false;
    } else {
        /* set_key has already ruled out a duplicate. */
        if (json_object_object_add_ex(f->obj, f->key, obj, JSON_C_OBJECT_ADD_KEY_IS_NEW) != 0) {
            hp_oom();
        }
        free(f->key);
        f->key = NULL;
        release(l, f->key_cost, true);
        f->key_cost = 0;
    }
}

static enum hp_err set_key(struct loader *l, const char *text, size_t n, bool merge, size_t line)
{
    struct frame *f = top(l);
    enum hp_err rc;

    if (memchr(text, '\0', n) != NULL) {
        return fail(l, HP_ERR_INVALID, "line %zu: mapping key contains a NUL character", line);
    }
    if (merge) {
        if (f->had_merge) {
            return fail(l, HP_ERR_INVALID, "duplicate key \"<<\" at line %zu", line);
        }
        f->had_merge = true;
        f->merge_next = true;
        f->merge_line = line;
        return HP_OK;
    }
    /* json-c's copy of the key and its hash entries stay with the tree; the
     * pending copy here lives until the value is attached. */
    rc = charge(l, add_sat(COST_KEY, chunk(add_sat(n, 1))), false, line, "the document");
    if (rc == HP_OK) {
        rc = charge(l, chunk(add_sat(n, 1)), true, line, "the document");
    }
    if (rc != HP_OK) {
        return rc;
    }
    f->key = hp_xstrndup(text, n);
    f->key_cost = chunk(n + 1);
    if (json_object_object_get_ex(f->obj, f->key, NULL)) {
        char shown[SHOW_MAX + 8];
        show_key(shown, sizeof(shown), f->key);
        return fail(l, HP_ERR_INVALID, "duplicate key \"%s\" at line %zu", shown, line);
    }
    return HP_OK;
}

/* Registers a scalar's anchor: its text is kept for aliases used as keys. */
static enum hp_err anchor_scalar(struct loader *l, const yaml_event_t *ev, struct json_object *obj,
                                 size_t bytes, size_t line)
{
    const char *text = (const char *)ev->data.scalar.value;
    const char *name = (const char *)ev->data.scalar.anchor;
    size_t n = ev->data.scalar.length;
    enum hp_err rc =
        charge(l, COST_ANCHOR + chunk(strlen(name) + 1) + chunk(n + 1), true, line, "the document");

    if (rc != HP_OK) {
        return rc;
    }
    /* Copied with its length: an escaped "\0" must not shorten it. */
    char *copy = hp_xmalloc(n + 1);
    memcpy(copy, text, n);
    copy[n] = '\0';
    anchor_set(l, hp_xstrdup(name), json_object_get(obj), copy, n, 1, bytes);
    return HP_OK;
}

static enum hp_err on_scalar(struct loader *l, const yaml_event_t *ev)
{
    const char *text = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    const char *tag = (const char *)ev->data.scalar.tag;
    bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    bool is_key = expects_key(top(l));
    bool anchored = ev->data.scalar.anchor != NULL;
    size_t line = abs_line(l, ev->start_mark);
    struct json_object *obj = NULL;
    struct hp_scalar v;
    size_t bytes;
    char why[128];
    enum hp_err rc = count_nodes(l, line, 1);

    if (rc != HP_OK) {
        return rc;
    }
    if (n > INT_MAX) {
        return fail(l, HP_ERR_LIMIT, "line %zu: scalar longer than %d bytes", line, INT_MAX);
    }
    if (!hp_manifest_scalar_type(tag, text, n, plain, &v, why, sizeof(why))) {
        return fail(l, HP_ERR_INVALID, "line %zu: %s", line, why);
    }
    /* A key becomes json-c's key string (set_key charges it); a value, or a
     * key that an alias may later use as a value, becomes a json-c value. */
    bytes = scalar_cost(v.kind, n);
    rc = is_key ? HP_OK : value_begin(l, line);
    if (rc == HP_OK && (!is_key || anchored)) {
        rc = charge(l, bytes, false, line, "the document");
    }
    if (rc != HP_OK) {
        return rc;
    }
    if (!is_key || anchored) {
        obj = hp_manifest_scalar_json(&v, text, n);
    }
    if (anchored) {
        rc = anchor_scalar(l, ev, obj, bytes, line);
        if (rc != HP_OK) {
            json_object_put(obj);
            return rc;
        }
    }
    if (is_key) {
        json_object_put(obj);
        return set_key(l, text, n, plain && tag == NULL && n == 2 && memcmp(text, "<<", 2) == 0,
                       line);
    }
    attach(l, obj);
    return HP_OK;
}

static bool anchor_is_open(const struct loader *l, const char *name)
{
    for (size_t i = 0; i < l->depth; i++) {
        if (l->frames[i].anchor != NULL && strcmp(l->frames[i].anchor, name) == 0) {
            return true;
        }
    }
    return false;
}

static enum hp_err on_alias(struct loader *l, const yaml_event_t *ev)
{
    const char *name = (const char *)ev->data.alias.anchor;
    size_t line = abs_line(l, ev->start_mark);
    struct lh_entry *e = lh_table_lookup_entry(l->anchors, name);
    const struct anchor *a;
    char what[SHOW_MAX + 64];
    char size[32];
    enum hp_err rc;

    if (e == NULL) {
        return fail(l, HP_ERR_INVALID, "line %zu: %s alias *%.*s", line,
                    anchor_is_open(l, name) ? "recursive" : "undefined", SHOW_MAX, name);
    }
    a = lh_entry_v(e);
    rc = count_nodes(l, line, a->nodes);
    if (rc != HP_OK) {
        return rc;
    }
    if (expects_key(top(l))) {
        if (a->text == NULL) {
            return fail(l, HP_ERR_INVALID, "line %zu: mapping key *%.*s is not a scalar", line,
                        SHOW_MAX, name);
        }
        return set_key(l, a->text, a->text_len, false, line);
    }
    /* The alias shares the anchored objects, but whoever copies the tree pays
     * for the expansion, and so does the budget: a billion laughs stops at
     * the first alias that does not fit. */
    snprintf(what, sizeof(what), "alias *%.*s, which expands to %s,", SHOW_MAX, name,
             hp_manifest_format_size(a->bytes, size, sizeof(size)));
    rc = value_begin(l, line);
    if (rc == HP_OK) {
        rc = charge(l, a->bytes, false, line, what);
    }
    if (rc != HP_OK) {
        return rc;
    }
    attach(l, json_object_get(a->obj));
    return HP_OK;
}

static enum hp_err on_start(struct loader *l, const yaml_event_t *ev, bool is_map)
{
    struct frame *f = top(l);
    size_t line = abs_line(l, ev->start_mark);
    const yaml_char_t *anchor =
        is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
    struct frame nf = {.is_map = is_map, .nodes_before = l->nodes};
    enum hp_err rc;

    if (expects_key(f)) {
        return fail(l, HP_ERR_INVALID, "line %zu: mapping keys must be scalars", line);
    }
    if (l->depth >= l->lim->max_depth) {
        return fail(l, HP_ERR_LIMIT, "line %zu: nesting deeper than %zu levels", line,
                    l->lim->max_depth);
    }
    rc = count_nodes(l, line, 1);
    if (rc == HP_OK) {
        rc = value_begin(l, line);
    }
    nf.tree_before = l->tree;
    if (rc == HP_OK) {
        rc = charge(l, is_map ? COST_MAP : COST_SEQ, false, line, "the document");
    }
    if (rc == HP_OK && anchor != NULL) {
        rc = charge(l, COST_ANCHOR + chunk(strlen((const char *)anchor) + 1), true, line,
                    "the document");
    }
    if (rc != HP_OK) {
        return rc;
    }
    nf.is_items = !is_map && l->depth == 1 && f->key != NULL && strcmp(f->key, "items") == 0;
    nf.obj = is_map ? json_object_new_object() : json_object_new_array();
    if (nf.obj == NULL) {
        hp_oom();
    }
    nf.anchor = anchor != NULL ? hp_xstrdup((const char *)anchor) : NULL;
    attach(l, nf.obj);
    if (l->depth == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->cap = l->cap < l->lim->max_depth ? l->cap : l->lim->max_depth;
        l->frames = hp_xrealloc(l->frames, l->cap * sizeof(*l->frames));
    }
    l->frames[l->depth++] = nf;
    return HP_OK;
}

/* Adds src's keys that dst lacks; each new key is charged first. */
static enum hp_err merge_one(struct loader *l, struct json_object *dst, struct json_object *src,
                             size_t line)
{
    json_object_object_foreach(src, k, v)
    {
        if (json_object_object_get_ex(dst, k, NULL)) {
            continue;
        }
        enum hp_err rc =
            charge(l, COST_KEY + chunk(strlen(k) + 1), false, line, "the merged mapping");
        if (rc != HP_OK) {
            return rc;
        }
        if (json_object_object_add(dst, k, json_object_get(v)) != 0) {
            hp_oom();
        }
    }
    return HP_OK;
}

/* Keys already in the mapping win; among merged mappings the earlier wins. */
static enum hp_err apply_merges(struct loader *l, struct frame *f)
{
    size_t n = json_object_array_length(f->merges);
    enum hp_err rc = HP_OK;

    for (size_t i = 0; i < n && rc == HP_OK; i++) {
        struct json_object *m = json_object_array_get_idx(f->merges, i);
        bool ok =
            json_object_is_type(m, json_type_object) || json_object_is_type(m, json_type_array);
        size_t len = json_object_is_type(m, json_type_array) ? json_object_array_length(m) : 0;

        for (size_t j = 0; ok && j < len; j++) {
            ok = json_object_is_type(json_object_array_get_idx(m, j), json_type_object);
        }
        if (!ok) {
            return fail(l, HP_ERR_INVALID,
                        "line %zu: the value of a << merge key must be a mapping or a sequence "
                        "of mappings",
                        f->merge_line);
        }
        if (json_object_is_type(m, json_type_object)) {
            rc = merge_one(l, f->obj, m, f->merge_line);
        }
        for (size_t j = 0; j < len && rc == HP_OK; j++) {
            rc = merge_one(l, f->obj, json_object_array_get_idx(m, j), f->merge_line);
        }
    }
    return rc;
}

static void frame_cleanup(struct frame *f)
{
    free(f->anchor);
    free(f->key);
    json_object_put(f->merges);
}

static enum hp_err on_end(struct loader *l)
{
    struct frame *f = top(l);
    enum hp_err rc = HP_OK;

    if (f == NULL) {
        /* libyaml pairs every end with a start; this would be its bug. */
        return fail(l, HP_ERR_INTERNAL, "collection end without a start");
    }
    if (f->merges != NULL) {
        rc = apply_merges(l, f);
    }
    if (rc == HP_OK && f->anchor != NULL) {
        anchor_set(l, f->anchor, json_object_get(f->obj), NULL, 0, l->nodes - f->nodes_before,
                   l->tree - f->tree_before);
        f->anchor = NULL;
    }
    frame_cleanup(f);
    l->depth--;
    return rc;
}
static enum hp_err on_event(struct loader *l, const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        /* The splitter hands over one document; a second one means it missed a marker. */
        if (++l->docs_seen > 1) {
            return fail(l, HP_ERR_INVALID, "line %zu: unexpected second document",
                        abs_line(l, ev->start_mark));
        }
        return HP_OK;
    case YAML_SCALAR_EVENT:
        return on_scalar(l, ev);
    case YAML_ALIAS_EVENT:
        return on_alias(l, ev);
    case YAML_SEQUENCE_START_EVENT:
        return on_start(l, ev, false);
    case YAML_MAPPING_START_EVENT:
        return on_start(l, ev, true);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        return on_end(l);
    default:
        return HP_OK;
    }
}

static void parser_error(struct loader *l, const yaml_parser_t *p)
{
    const char *problem = p->problem != NULL ? p->problem : "invalid YAML";
    size_t line = abs_line(l, p->problem_mark);

    if (p->error == YAML_MEMORY_ERROR) {
        hp_oom();
    }
    if (p->error == YAML_READER_ERROR) {
        /* Reader errors carry a byte offset, not a mark. */
        size_t off = p->problem_offset < l->src_len ? p->problem_offset : l->src_len;
        line = l->line0 + 1;
        for (size_t i = 0; i < off; i++) {
            line += l->src[i] == '\n';
        }
        fail(l, HP_ERR_INVALID, "line %zu: %s (byte 0x%02x)", line, problem,
             (unsigned)p->problem_value & 0xffu);
    } else if (p->context != NULL) {
        fail(l, HP_ERR_INVALID, "line %zu: %s (%s that started at line %zu)", line, problem,
             p->context, abs_line(l, p->context_mark));
    } else {
        fail(l, HP_ERR_INVALID, "line %zu: %s", line, problem);
    }
}

/* Frees the loader's working memory and hands the tree (or the error) to
 * doc, with the tree's charge; a failed document keeps no charge. */
static void finish(struct loader *l, struct hp_manifest_doc *doc)
{
    struct json_object *items = NULL;

    while (l->depth > 0) {
        frame_cleanup(&l->frames[--l->depth]);
    }
    free(l->frames);
    if (l->anchors != NULL) {
        lh_table_free(l->anchors);
    }
    release(l, l->transient, true);
    doc->budget = l->budget;
    if (l->error != NULL) {
        json_object_put(l->root);
        free(l->items);
        release(l, l->charged, false);
        doc->error = l->error;
        return;
    }
    doc->charged = l->charged;
    doc->obj = l->root;
    if (json_object_object_get_ex(l->root, "items", &items) &&
        json_object_is_type(items, json_type_array) && l->n_items > 0 &&
        json_object_array_length(items) == l->n_items) {
        doc->item_lines = l->items;
        doc->n_item_lines = l->n_items;
    } else {
        free(l->items);
    }
}

void hp_manifest_load_doc(const char *p, size_t n, size_t line0,
                          const struct hp_manifest_limits *lim, struct hp_manifest_budget *budget,
                          struct hp_manifest_doc *doc)
{
    struct loader l = {.lim = lim, .budget = budget, .src = p, .src_len = n, .line0 = line0};
    yaml_parser_t parser;

    if (charge(&l, parser_cost(n), true, line0 + 1, "the document") != HP_OK) {
        /* Refused before libyaml allocates anything. */
        l.anchors = NULL;
        finish(&l, doc);
        return;
    }
    l.anchors = lh_kchar_table_new(16, anchor_entry_free);
    if (l.anchors == NULL || !yaml_parser_initialize(&parser)) {
        hp_oom();
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)p, n);
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            parser_error(&l, &parser);
            break;
        }
        bool done = ev.type == YAML_STREAM_END_EVENT;
        enum hp_err rc = on_event(&l, &ev);
        yaml_event_delete(&ev);
        if (rc != HP_OK || done) {
            break;
        }
    }
    yaml_parser_delete(&parser);
    finish(&l, doc);
}
