/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The tree builder: json-c objects for one YAML document straight from
 * libyaml's event API. It knows nothing of what a scalar means (scalar.c
 * types them); it owns the structure: nesting, anchors and aliases, merge
 * keys, duplicate keys, the node and depth limits and positions (problem.c
 * words what goes wrong). Iterative: the only stack is the frame array, which
 * never grows past max_depth. Aliases share json-c objects by reference
 * count and are charged their expanded size against max_nodes and the memory
 * budget. Every allocation that the input sizes is charged to the budget
 * before it is made.
 */
#include "internal.h"

#include <json-c/json.h>
#include <json-c/linkhash.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

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

struct anchor {
    struct json_object *obj; /* one reference held */
    char *text;              /* owned scalar text, for aliases used as keys and for positions;
                              * NULL for a collection */
    size_t text_len;
    bool plain;   /* the scalar was written plain */
    size_t nodes; /* expanded size of the anchored subtree */
    size_t bytes; /* its tree bytes, aliases inside it expanded */
};

/* ---- building ---- */

/* A problem at the event being handled. */
#define fail(l, code, ...) mf_fail_at((l), (l)->at, HP_MANIFEST_FAULT_OTHER, (code), __VA_ARGS__)

static size_t add_sat(size_t a, size_t b)
{
    return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

static size_t chunk(size_t n)
{
    return hp_manifest_budget_malloc_cost(n);
}

/* What a scalar of this type and length costs as a json-c value. */
static size_t scalar_cost(enum mf_scalar_kind kind, size_t n)
{
    switch (kind) {
    case MF_SCALAR_NULL:
        return 0;
    case MF_SCALAR_BOOL:
    case MF_SCALAR_INT:
    case MF_SCALAR_FLOAT:
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
 * what names the thing that did not fit, for the message; m is where. */
static enum hp_err charge_at(struct mf_loader *l, size_t n, bool transient, yaml_mark_t m,
                             const char *what)
{
    if (!hp_manifest_budget_charge(l->budget, n)) {
        char limit[160];
        return mf_fail_at(l, m, HP_MANIFEST_FAULT_OTHER, HP_ERR_LIMIT, "%s does not fit in %s",
                          what, hp_manifest_budget_describe(l->budget, limit, sizeof(limit)));
    }
    l->charged += n;
    if (transient) {
        l->transient += n;
    } else {
        l->tree = add_sat(l->tree, n);
    }
    return HP_OK;
}

static enum hp_err charge(struct mf_loader *l, size_t n, bool transient, const char *what)
{
    return charge_at(l, n, transient, l->at, what);
}

static void release(struct mf_loader *l, size_t n, bool transient)
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
static void anchor_set(struct mf_loader *l, char *name, struct json_object *obj, char *text,
                       size_t text_len, bool plain, size_t nodes, size_t bytes)
{
    struct anchor *a = hp_xmalloc(sizeof(*a));
    a->obj = obj;
    a->text = text;
    a->text_len = text_len;
    a->plain = plain;
    a->nodes = nodes;
    a->bytes = bytes;
    lh_table_delete(l->anchors, name);
    if (lh_table_insert(l->anchors, name, a) != 0) {
        hp_oom();
    }
    if (l->depth >= 2 && l->frames[1].stream) {
        l->item_anchored = add_sat(l->item_anchored, bytes);
    }
}

static struct mf_frame *top(struct mf_loader *l)
{
    return l->depth > 0 ? &l->frames[l->depth - 1] : NULL;
}

static bool expects_key(const struct mf_frame *f)
{
    return f != NULL && f->is_map && f->key == NULL && !f->merge_next;
}

/* Counts a node (or an alias's expansion) against max_nodes. */
static enum hp_err count_nodes(struct mf_loader *l, size_t count)
{
    l->nodes = add_sat(l->nodes, count);
    if (l->nodes > l->lim->max_nodes) {
        return mf_fail_at(l, l->at, HP_MANIFEST_FAULT_NODES, HP_ERR_LIMIT,
                          "document has more than %zu nodes (aliases expanded)", l->lim->max_nodes);
    }
    return HP_OK;
}

/* Charges the place a value takes in its parent (a mapping's key was charged
 * with the key), and its position (text_len: a scalar's length) when they
 * are kept, and records where items elements start. */
static enum hp_err value_begin(struct mf_loader *l, size_t text_len)
{
    struct mf_frame *f = top(l);
    size_t slot = 0;
    enum hp_err rc;

    if (f != NULL && (!f->is_map || f->merge_next)) {
        slot = COST_SLOT + (f->merge_next && f->merges == NULL ? COST_SEQ : 0);
    }
    if (f != NULL && f->is_items && !f->stream) {
        slot += COST_SLOT;
    }
    if (l->positions) {
        slot = add_sat(slot, mf_pos_cost(text_len));
    }
    if (f != NULL && f->stream) {
        /* An element handed over alone: what it adds is given back after. */
        l->item_line = mf_line(l, l->at);
        l->item_tree = l->tree;
        l->item_nodes = l->nodes - 1;
        l->item_anchored = 0;
    }
    rc = slot > 0 ? charge(l, slot, false, "the document") : HP_OK;
    if (rc == HP_OK && f != NULL && f->is_items && !f->stream) {
        if (l->n_items == l->cap_items) {
            l->cap_items = l->cap_items ? l->cap_items * 2 : 16;
            l->items = hp_xrealloc(l->items, l->cap_items * sizeof(*l->items));
        }
        l->items[l->n_items++] = mf_line(l, l->at);
    }
    return rc;
}

/* Where the event being handled starts, and for a scalar how it was written. */
static struct hp_manifest_pos pos_here(const struct mf_loader *l, const char *text, size_t len,
                                       bool plain)
{
    struct hp_manifest_pos p = {
        .line = mf_line(l, l->at),
        .column = l->at.column + 1,
        .text = text,
        .len = len,
        .plain = plain,
    };
    return p;
}

/* Takes ownership of obj and attaches it where the parent expects a value;
 * with positions, records pos (borrowed) there too. */
static void attach(struct mf_loader *l, struct json_object *obj, struct hp_manifest_pos pos)
{
    struct mf_frame *f = top(l);

    if (f == NULL) {
        l->root = obj;
        if (l->positions) {
            l->root_pos = mf_pos_dup(&pos);
        }
    } else if (!f->is_map) {
        if (json_object_array_add(f->obj, obj) != 0) {
            hp_oom();
        }
        if (l->positions) {
            mf_pos_append(f->obj, &pos);
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
        if (l->positions) {
            pos.key_line = mf_line(l, f->key_mark);
            pos.key_column = f->key_mark.column + 1;
            pos.key_null = f->key_null;
            mf_pos_append(f->obj, &pos);
        }
        free(f->key);
        f->key = NULL;
        release(l, f->key_cost, true);
        f->key_cost = 0;
    }
}

static enum hp_err set_key(struct mf_loader *l, const char *text, size_t n, bool merge,
                           bool is_null)
{
    struct mf_frame *f = top(l);
    enum hp_err rc;

    if (memchr(text, '\0', n) != NULL) {
        return fail(l, HP_ERR_INVALID, "mapping key contains a NUL character");
    }
    if (merge) {
        f->merge_next = true;
        if (f->had_merge) {
            return mf_duplicate(l, f, "<<");
        }
        f->had_merge = true;
        f->merge_mark = l->at;
        return HP_OK;
    }
    /* json-c's copy of the key and its hash entries stay with the tree; the
     * pending copy here lives until the value is attached. */
    rc = charge(l, add_sat(COST_KEY, chunk(add_sat(n, 1))), false, "the document");
    if (rc == HP_OK) {
        rc = charge(l, chunk(add_sat(n, 1)), true, "the document");
    }
    if (rc != HP_OK) {
        return rc;
    }
    f->key = hp_xstrndup(text, n);
    f->key_cost = chunk(n + 1);
    f->key_mark = l->at;
    f->key_null = is_null;
    if (json_object_object_get_ex(f->obj, f->key, NULL)) {
        return mf_duplicate(l, f, f->key);
    }
    return HP_OK;
}

/* Registers a scalar's anchor: its text is kept for aliases used as keys. */
static enum hp_err anchor_scalar(struct mf_loader *l, const yaml_event_t *ev,
                                 struct json_object *obj, size_t bytes)
{
    const char *text = (const char *)ev->data.scalar.value;
    const char *name = (const char *)ev->data.scalar.anchor;
    size_t n = ev->data.scalar.length;
    enum hp_err rc =
        charge(l, COST_ANCHOR + chunk(strlen(name) + 1) + chunk(n + 1), true, "the document");

    if (rc != HP_OK) {
        return rc;
    }
    /* Copied with its length: an escaped "\0" must not shorten it. */
    char *copy = hp_xmalloc(n + 1);
    memcpy(copy, text, n);
    copy[n] = '\0';
    anchor_set(l, hp_xstrdup(name), json_object_get(obj), copy, n,
               ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE, 1, bytes);
    return HP_OK;
}

static enum hp_err on_scalar(struct mf_loader *l, const yaml_event_t *ev)
{
    const char *text = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    const char *tag = (const char *)ev->data.scalar.tag;
    bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    bool is_key = expects_key(top(l));
    bool anchored = ev->data.scalar.anchor != NULL;
    struct json_object *obj = NULL;
    struct mf_scalar v;
    size_t bytes;
    char why[128];
    enum hp_err rc = count_nodes(l, 1);

    if (rc != HP_OK) {
        return rc;
    }
    if (n > INT_MAX) {
        return fail(l, HP_ERR_LIMIT, "scalar longer than %d bytes", INT_MAX);
    }
    if (!mf_scalar_type(tag, text, n, plain, &v, why, sizeof(why))) {
        return fail(l, HP_ERR_INVALID, "%s", why);
    }
    /* A key becomes json-c's key string (set_key charges it); a value, or a
     * key that an alias may later use as a value, becomes a json-c value. */
    bytes = scalar_cost(v.kind, n);
    rc = is_key ? HP_OK : value_begin(l, n);
    if (rc == HP_OK && (!is_key || anchored)) {
        rc = charge(l, bytes, false, "the document");
    }
    if (rc != HP_OK) {
        return rc;
    }
    if (!is_key || anchored) {
        obj = mf_scalar_json(&v, text, n);
    }
    if (anchored) {
        rc = anchor_scalar(l, ev, obj, bytes);
        if (rc != HP_OK) {
            json_object_put(obj);
            return rc;
        }
    }
    if (is_key) {
        json_object_put(obj);
        return set_key(l, text, n, v.kind == MF_SCALAR_MERGE, v.kind == MF_SCALAR_NULL);
    }
    attach(l, obj, pos_here(l, text, n, plain));
    return HP_OK;
}

static bool anchor_is_open(const struct mf_loader *l, const char *name)
{
    for (size_t i = 0; i < l->depth; i++) {
        if (l->frames[i].anchor != NULL && strcmp(l->frames[i].anchor, name) == 0) {
            return true;
        }
    }
    return false;
}

static enum hp_err on_alias(struct mf_loader *l, const yaml_event_t *ev)
{
    const char *name = (const char *)ev->data.alias.anchor;
    struct lh_entry *e = lh_table_lookup_entry(l->anchors, name);
    const struct anchor *a;
    char what[MF_SHOW_MAX + 64];
    char size[32];
    enum hp_err rc;

    if (e == NULL) {
        bool open = anchor_is_open(l, name);
        return mf_fail_at(l, l->at, open ? HP_MANIFEST_FAULT_OTHER : HP_MANIFEST_FAULT_ALIAS,
                          HP_ERR_INVALID, "%s alias *%.*s", open ? "recursive" : "undefined",
                          MF_SHOW_MAX, name);
    }
    a = lh_entry_v(e);
    rc = count_nodes(l, a->nodes);
    if (rc != HP_OK) {
        return rc;
    }
    if (expects_key(top(l))) {
        if (a->text == NULL) {
            return mf_key_not_scalar(l, json_object_is_type(a->obj, json_type_array), name);
        }
        return set_key(l, a->text, a->text_len, false, a->obj == NULL);
    }
    /* The alias shares the anchored objects, but whoever copies the tree pays
     * for the expansion, and so does the budget: a billion laughs stops at
     * the first alias that does not fit. */
    snprintf(what, sizeof(what), "alias *%.*s, which expands to %s,", MF_SHOW_MAX, name,
             hp_manifest_format_size(a->bytes, size, sizeof(size)));
    rc = value_begin(l, a->text_len);
    if (rc == HP_OK) {
        rc = charge(l, a->bytes, false, what);
    }
    if (rc != HP_OK) {
        return rc;
    }
    attach(l, json_object_get(a->obj), pos_here(l, a->text, a->text_len, a->plain));
    return HP_OK;
}

static enum hp_err on_start(struct mf_loader *l, const yaml_event_t *ev, bool is_map)
{
    struct mf_frame *f = top(l);
    const yaml_char_t *anchor =
        is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
    struct mf_frame nf = {.is_map = is_map, .nodes_before = l->nodes};
    enum hp_err rc;

    if (expects_key(f)) {
        return mf_key_not_scalar(l, !is_map, NULL);
    }
    if (l->depth >= l->lim->max_depth) {
        return mf_fail_at(l, l->at, HP_MANIFEST_FAULT_DEPTH, HP_ERR_LIMIT,
                          "nesting deeper than %zu levels", l->lim->max_depth);
    }
    rc = count_nodes(l, 1);
    if (rc == HP_OK) {
        rc = value_begin(l, 0);
    }
    nf.tree_before = l->tree;
    if (rc == HP_OK) {
        rc = charge(l, is_map ? COST_MAP : COST_SEQ, false, "the document");
    }
    if (rc == HP_OK && anchor != NULL) {
        rc = charge(l, COST_ANCHOR + chunk(strlen((const char *)anchor) + 1), true, "the document");
    }
    if (rc != HP_OK) {
        return rc;
    }
    nf.is_items = !is_map && l->depth == 1 && f->key != NULL && strcmp(f->key, "items") == 0;
    /* An anchored items sequence is kept whole: an alias may name it. */
    nf.stream = nf.is_items && l->st != NULL && anchor == NULL && f->is_map && !f->merge_next;
    nf.in_merge = f != NULL && f->is_map && f->merge_next;
    nf.obj = is_map ? json_object_new_object() : json_object_new_array();
    if (nf.obj == NULL) {
        hp_oom();
    }
    if (l->positions) {
        mf_pos_attach(nf.obj);
    }
    nf.anchor = anchor != NULL ? hp_xstrdup((const char *)anchor) : NULL;
    attach(l, nf.obj, pos_here(l, NULL, 0, false));
    if (nf.stream) {
        l->streamed = nf.obj;
    }
    if (l->depth == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->cap = l->cap < l->lim->max_depth ? l->cap : l->lim->max_depth;
        l->frames = hp_xrealloc(l->frames, l->cap * sizeof(*l->frames));
    }
    l->frames[l->depth++] = nf;
    return HP_OK;
}

/* Adds src's keys that dst lacks, with their positions; each new key is
 * charged first. */
static enum hp_err merge_one(struct mf_loader *l, struct json_object *dst, struct json_object *src,
                             yaml_mark_t m)
{
    size_t i = 0;

    json_object_object_foreach(src, k, v)
    {
        const struct hp_manifest_pos *p = hp_manifest_pos_get(src, i++);
        size_t cost = COST_KEY + chunk(strlen(k) + 1);
        if (json_object_object_get_ex(dst, k, NULL)) {
            continue;
        }
        if (p != NULL) {
            cost = add_sat(cost, mf_pos_cost(p->len));
        }
        enum hp_err rc = charge_at(l, cost, false, m, "the merged mapping");
        if (rc != HP_OK) {
            return rc;
        }
        if (json_object_object_add(dst, k, json_object_get(v)) != 0) {
            hp_oom();
        }
        if (p != NULL) {
            mf_pos_append(dst, p);
        }
    }
    return HP_OK;
}

/* Keys already in the mapping win; among merged mappings the earlier wins. */
static enum hp_err apply_merges(struct mf_loader *l, struct mf_frame *f)
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
            return mf_fail_at(l, f->merge_mark, HP_MANIFEST_FAULT_OTHER, HP_ERR_INVALID,
                              "the value of a << merge key must be a mapping or a sequence of "
                              "mappings");
        }
        if (json_object_is_type(m, json_type_object)) {
            rc = merge_one(l, f->obj, m, f->merge_mark);
        }
        for (size_t j = 0; j < len && rc == HP_OK; j++) {
            rc = merge_one(l, f->obj, json_object_array_get_idx(m, j), f->merge_mark);
        }
    }
    return rc;
}

static void frame_cleanup(struct mf_frame *f)
{
    free(f->anchor);
    free(f->key);
    json_object_put(f->merges);
}

static enum hp_err on_end(struct mf_loader *l)
{
    struct mf_frame *f = top(l);
    enum hp_err rc = HP_OK;

    if (f == NULL) {
        /* libyaml pairs every end with a start; this would be its bug. */
        struct hp_manifest_fault fl;
        mf_fault_init(l, &fl, HP_MANIFEST_FAULT_OTHER, HP_ERR_INTERNAL, l->at);
        snprintf(fl.problem, sizeof(fl.problem), "collection end without a start");
        return mf_record(l, &fl, fl.problem);
    }
    if (f->merges != NULL) {
        rc = apply_merges(l, f);
    }
    if (rc == HP_OK && f->anchor != NULL) {
        anchor_set(l, f->anchor, json_object_get(f->obj), NULL, 0, false,
                   l->nodes - f->nodes_before, l->tree - f->tree_before);
        f->anchor = NULL;
    }
    frame_cleanup(f);
    l->depth--;
    return rc;
}

static enum hp_err on_other(struct mf_loader *l, const yaml_event_t *ev);

/* Hands the element just read over and drops it from the tree; its charge
 * is given back, but for what the anchors in it keep alive. */
static void hand_over(struct mf_loader *l)
{
    struct mf_frame *f = top(l);
    struct json_object *item = json_object_get(json_object_array_get_idx(f->obj, 0));
    if (json_object_array_del_idx(f->obj, 0, 1) != 0) {
        hp_oom();
    }
    l->st->on_item(l->st->arg, item, l->item_line, l->root, l->doc_line);
    json_object_put(item);
    size_t bytes = l->tree - l->item_tree;
    size_t kept = l->item_anchored < bytes ? l->item_anchored : bytes;
    release(l, bytes - kept, false);
    /* max_nodes holds for each element, and for what the document keeps. */
    l->nodes = l->item_nodes;
}

static enum hp_err on_event(struct mf_loader *l, const yaml_event_t *ev)
{
    enum hp_err rc = HP_OK;
    l->at = ev->start_mark;
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        rc = on_scalar(l, ev);
        break;
    case YAML_ALIAS_EVENT:
        rc = on_alias(l, ev);
        break;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        rc = on_end(l);
        break;
    default:
        return on_other(l, ev);
    }
    struct mf_frame *f = top(l);
    if (rc == HP_OK && f != NULL && f->stream && json_object_array_length(f->obj) > 0) {
        hand_over(l);
    }
    return rc;
}

static enum hp_err on_other(struct mf_loader *l, const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        /* The splitter hands over one document; a second one means it missed a marker. */
        if (++l->docs_seen > 1) {
            return fail(l, HP_ERR_INVALID, "unexpected second document");
        }
        return HP_OK;
    case YAML_SEQUENCE_START_EVENT:
        return on_start(l, ev, false);
    case YAML_MAPPING_START_EVENT:
        return on_start(l, ev, true);
    default:
        return HP_OK;
    }
}

/* Frees the loader's working memory and hands the tree (or the error) to
 * doc, with the tree's charge; a failed document keeps no charge. */
static void finish(struct mf_loader *l, struct hp_manifest_doc *doc)
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
        free(l->root_pos != NULL ? (char *)l->root_pos->text : NULL);
        free(l->root_pos);
        free(l->items);
        release(l, l->charged, false);
        doc->error = l->error;
        doc->fault = l->fault;
        return;
    }
    doc->charged = l->charged;
    doc->obj = l->root;
    doc->root_pos = l->root_pos;
    if (json_object_object_get_ex(l->root, "items", &items) &&
        json_object_is_type(items, json_type_array) && l->n_items > 0 &&
        json_object_array_length(items) == l->n_items) {
        doc->item_lines = l->items;
        doc->n_item_lines = l->n_items;
    } else {
        free(l->items);
    }
}

void mf_load_doc(const char *p, size_t n, size_t line0, const struct hp_manifest_limits *lim,
                 struct hp_manifest_budget *budget, bool positions, const struct mf_stream *st,
                 struct hp_manifest_doc *doc)
{
    struct mf_loader l = {.lim = lim,
                          .budget = budget,
                          .src = p,
                          .src_len = n,
                          .line0 = line0,
                          .positions = positions,
                          .st = st,
                          .doc_line = doc->line};
    yaml_parser_t parser;

    if (charge(&l, parser_cost(n), true, "the document") != HP_OK) {
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
            mf_parser_error(&l, &parser);
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
    struct json_object *items = NULL;
    if (l.error == NULL && l.streamed != NULL &&
        (!json_object_object_get_ex(l.root, "items", &items) || items != l.streamed)) {
        /* Its elements went to the caller already: the document cannot be
         * read as one whose items are what replaced them. */
        fail(&l, HP_ERR_INVALID,
             "the items list is replaced after its elements were read (by a merge key or a "
             "second items key); hardpod cannot read this document as kubectl does");
    }
    finish(&l, doc);
}
