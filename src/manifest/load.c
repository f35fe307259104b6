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

#include "hardpod/utf8.h"

#include <json-c/json.h>
#include <json-c/linkhash.h>
#include <limits.h>
#include <math.h>
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
    char *text;              /* owned scalar text (a !!binary one decoded), for aliases used
                              * as keys and for positions; NULL for a collection */
    size_t text_len;
    struct mf_scalar v; /* a scalar's type, for aliases used as keys (v.bytes unused) */
    bool plain;         /* the scalar was written plain */
    size_t nodes;       /* expanded size of the anchored subtree */
    size_t bytes;       /* its tree bytes, aliases inside it expanded */
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

/* A mapping that a merge has set keys in keeps a table of its keys, each
 * with its place among the members (for its position) and a flag: set by
 * merges only, so that a key written later may replace it. The record is
 * the entry's value, and its name the entry's key. */
struct key_rec {
    size_t at;
    bool merged;
    char name[];
};

static void key_entry_free(struct lh_entry *e)
{
    free(lh_entry_v(e));
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
                       size_t text_len, const struct mf_scalar *v, bool plain, size_t nodes,
                       size_t bytes)
{
    struct anchor *a = hp_xcalloc(1, sizeof(*a));
    a->obj = obj;
    if (v != NULL) {
        a->v = *v;
        a->v.bytes = NULL;
        a->v.len = 0;
    }
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
        slot = COST_SLOT;
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

/* Adds key (a new member at place at) to f's table of keys, when it has one;
 * the caller has charged key_cost(). */
static void key_add(struct mf_frame *f, const char *key, size_t at, bool merged)
{
    size_t n = strlen(key);
    struct key_rec *r;

    if (f->keys == NULL) {
        return;
    }
    r = hp_xmalloc(sizeof(*r) + n + 1);
    r->at = at;
    r->merged = merged;
    memcpy(r->name, key, n + 1);
    if (lh_table_insert(f->keys, r->name, r) != 0) {
        hp_oom();
    }
}

static struct key_rec *key_find(const struct mf_frame *f, const char *key)
{
    struct lh_entry *e = f->keys != NULL ? lh_table_lookup_entry(f->keys, key) : NULL;
    return e != NULL ? lh_entry_v(e) : NULL;
}

static size_t key_cost(const char *key)
{
    return COST_ANCHOR + chunk(sizeof(struct key_rec) + strlen(key) + 1);
}

/* go-yaml keeps a key typed (1, true, 1.5) until sigs.k8s.io/yaml makes a
 * string of it, and a merge replaces a key only when it is the same typed
 * value, so `1` and `"1"` can both be in a merged mapping, and kubectl then
 * keeps one of them at random. Such documents are refused. */
static enum hp_err merge_with_typed_keys(struct mf_loader *l)
{
    if (l->single || !l->has_merge || !l->typed_key) {
        return HP_OK;
    }
    return fail(l, HP_ERR_INVALID,
                "a document with a << merge key cannot also have a mapping key that is a number "
                "or a boolean: kubectl may read it either way (quote the key)");
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
    } else {
        /* set_key has already ruled out a duplicate; a key that a merge set
         * is replaced in place. */
        size_t i = f->key_replaces ? f->key_at : (size_t)json_object_object_length(f->obj);
        if (!f->key_replaces) {
            key_add(f, f->key, i, false);
        }
        if (json_object_object_add_ex(f->obj, f->key, obj,
                                      f->key_replaces ? 0 : JSON_C_OBJECT_ADD_KEY_IS_NEW) != 0) {
            hp_oom();
        }
        if (l->positions) {
            pos.key_line = mf_line(l, f->key_mark);
            pos.key_column = f->key_mark.column + 1;
            pos.key_null = f->key_null;
            if (f->key_replaces) {
                mf_pos_replace(f->obj, i, &pos);
            } else {
                mf_pos_append(f->obj, &pos);
            }
        }
        f->key_replaces = false;
        free(f->key);
        f->key = NULL;
        release(l, f->key_cost, true);
        f->key_cost = 0;
    }
}

static enum hp_err set_key(struct mf_loader *l, const char *text, size_t n, bool merge,
                           bool is_null, bool typed)
{
    struct mf_frame *f = top(l);
    enum hp_err rc;

    if (memchr(text, '\0', n) != NULL) {
        return fail(l, HP_ERR_INVALID, "mapping key contains a NUL character");
    }
    if (merge) {
        /* go-yaml applies each `<<` where it is written, so a mapping may
         * have several. */
        f->merge_next = true;
        f->merge_mark = l->at;
        l->has_merge = true;
        return merge_with_typed_keys(l);
    }
    if (typed) {
        l->typed_key = true;
        rc = merge_with_typed_keys(l);
        if (rc != HP_OK) {
            return rc;
        }
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
    f->key_replaces = false;
    if (json_object_object_get_ex(f->obj, f->key, NULL)) {
        /* A key written after a merge that set it replaces the merged value;
         * a key written twice is refused, where go-yaml keeps the last. */
        struct key_rec *r = key_find(f, f->key);
        if (r == NULL || !r->merged) {
            return mf_duplicate(l, f, f->key);
        }
        r->merged = false;
        f->key_at = r->at;
        f->key_replaces = true;
    } else if (f->keys != NULL) {
        rc = charge(l, key_cost(f->key), false, "the document");
    }
    return rc;
}

/* Registers a scalar's anchor: its text (str[0..n)) and type are kept for
 * aliases used as keys. */
static enum hp_err anchor_scalar(struct mf_loader *l, const yaml_event_t *ev,
                                 struct json_object *obj, size_t bytes, const char *str, size_t n,
                                 const struct mf_scalar *v)
{
    const char *name = (const char *)ev->data.scalar.anchor;
    enum hp_err rc =
        charge(l, COST_ANCHOR + chunk(strlen(name) + 1) + chunk(n + 1), true, "the document");

    if (rc != HP_OK) {
        return rc;
    }
    /* Copied with its length: an escaped "\0" must not shorten it. */
    char *copy = hp_xmalloc(n + 1);
    memcpy(copy, str, n);
    copy[n] = '\0';
    anchor_set(l, hp_xstrdup(name), json_object_get(obj), copy, n, v,
               ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE, 1, bytes);
    return HP_OK;
}

static enum hp_err merge_not_map(struct mf_loader *l, struct mf_frame *f)
{
    /* The problem is named at the mapping that holds the `<<`. */
    f->merge_next = false;
    return mf_fail_at(l, f->merge_mark, HP_MANIFEST_FAULT_OTHER, HP_ERR_INVALID,
                      "the value of a << merge key must be a mapping or a sequence of mappings");
}

/* Inside [...] and {...}, go-yaml v2 ends a plain scalar at `?`, where
 * libyaml 0.2.5 keeps it (`[a?b]`): such a document cannot be read as
 * kubectl reads it. (libyaml refuses the other difference, a `:` that a flow
 * indicator follows, which go-yaml keeps in the scalar: `[a:]`.) */
static enum hp_err check_flow_plain(struct mf_loader *l, const char *text, size_t n)
{
    if (memchr(text, '?', n) == NULL) {
        return HP_OK;
    }
    return fail(l, HP_ERR_INVALID,
                "plain scalar `%.*s` holds a `?` inside [...] or {...}, which kubectl's YAML "
                "reader reads otherwise: quote it",
                (int)(n < MF_SHOW_MAX ? n : MF_SHOW_MAX), text);
}

/* The byte offset in src of libyaml's character index `index`: marks count
 * characters, and mostly go forward, so the walk is linear overall. */
static size_t byte_at(struct mf_loader *l, size_t index)
{
    if (index < l->at_char) {
        l->at_char = 0;
        l->at_byte = 0;
    }
    while (l->at_char < index && l->at_byte < l->src_len) {
        size_t k = hp_utf8_len(l->src + l->at_byte, l->src_len - l->at_byte);
        l->at_byte += k > 0 ? k : 1;
        l->at_char++;
    }
    return l->at_byte;
}

/* libyaml 0.2.5 takes `\/` in a double-quoted scalar for `/`; go-yaml v2
 * refuses it (and takes `\'`, which libyaml refuses), so kubectl would not
 * read the document. */
static enum hp_err check_escapes(struct mf_loader *l, const yaml_event_t *ev)
{
    size_t from = byte_at(l, ev->start_mark.index);
    size_t to = byte_at(l, ev->end_mark.index);

    for (size_t i = from; i + 1 < to; i++) {
        if (l->src[i] == '\\' && l->src[i + 1] == '/') {
            return fail(l, HP_ERR_INVALID,
                        "the escape \\/ in a double-quoted scalar is refused by kubectl's YAML "
                        "reader: write / alone");
        }
        i += l->src[i] == '\\';
    }
    return HP_OK;
}

/* The number kubectl's object holds for a value: sigs.k8s.io/yaml writes
 * go-yaml's value as JSON and the unstructured decoder reads a number back
 * as int64 when its text is an integer that fits, else as float64. So an
 * integral float below 2^63 in magnitude (written by Go without a point)
 * becomes an integer in YAML, and an integer above 2^63-1 becomes a float
 * in YAML and JSON alike. */
static struct mf_scalar json_number(const struct mf_loader *l, const struct mf_scalar *v)
{
    struct mf_scalar j = *v;

    if (v->kind == MF_SCALAR_INT && v->is_uint) {
        j.kind = MF_SCALAR_FLOAT;
        j.d = (double)v->u;
    } else if (v->kind == MF_SCALAR_FLOAT && !l->json && v->d == floor(v->d) &&
               v->d >= -9223372036854775808.0 && v->d < 9223372036854775808.0) {
        j.kind = MF_SCALAR_INT;
        j.i = (int64_t)v->d;
    }
    return j;
}

/* Hands set_key the key kubectl makes of a typed scalar. */
static enum hp_err scalar_key(struct mf_loader *l, const struct mf_scalar *v, const char *s,
                              size_t n)
{
    char buf[64];
    char why[128];
    const char *key = NULL;
    size_t len = 0;
    bool typed =
        v->kind == MF_SCALAR_INT || v->kind == MF_SCALAR_BOOL || v->kind == MF_SCALAR_FLOAT;

    if (v->kind == MF_SCALAR_MERGE) {
        return set_key(l, "<<", 2, true, false, false);
    }
    if (v->kind == MF_SCALAR_NULL && l->single) {
        return set_key(l, s, n, false, true, false);
    }
    if (!mf_scalar_key(v, s, n, buf, sizeof(buf), &key, &len, why, sizeof(why))) {
        return fail(l, HP_ERR_INVALID, "%s", why);
    }
    return set_key(l, key, len, false, false, typed);
}

/* go-yaml makes NaN and infinities, which Go's JSON encoder refuses. */
static enum hp_err check_number(struct mf_loader *l, const struct mf_scalar *v, const char *s,
                                size_t n)
{
    if (l->single || v->kind != MF_SCALAR_FLOAT || isfinite(v->d)) {
        return HP_OK;
    }
    return fail(l, HP_ERR_INVALID, "`%.*s` is not a number JSON can hold: kubectl cannot read it",
                (int)(n < MF_SHOW_MAX ? n : MF_SHOW_MAX), s);
}

static enum hp_err on_scalar(struct mf_loader *l, const yaml_event_t *ev)
{
    const char *text = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    const char *tag = (const char *)ev->data.scalar.tag;
    bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    struct mf_frame *f = top(l);
    bool is_key = expects_key(f);
    bool anchored = ev->data.scalar.anchor != NULL;
    struct json_object *obj = NULL;
    struct mf_scalar v = {0};
    size_t bytes;
    size_t scratch = 0;
    char why[128];
    enum hp_err rc = count_nodes(l, 1);

    if (rc != HP_OK) {
        return rc;
    }
    if (n > INT_MAX / 3) {
        return fail(l, HP_ERR_LIMIT, "scalar longer than %d bytes", INT_MAX / 3);
    }
    if (f != NULL && f->is_map && f->merge_next) {
        return merge_not_map(l, f);
    }
    /* A file of settings is no manifest: kubectl never reads it. */
    if (plain && f != NULL && f->is_flow && !l->single) {
        rc = check_flow_plain(l, text, n);
    } else if (ev->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE && !l->json && !l->single) {
        rc = check_escapes(l, ev);
    }
    if (rc != HP_OK) {
        return rc;
    }
    if (tag != NULL && strcmp(tag, "tag:yaml.org,2002:binary") == 0) {
        scratch = mf_scalar_binary_cost(n);
        rc = charge(l, scratch, true, "the document");
        if (rc != HP_OK) {
            return rc;
        }
    }
    if (!mf_scalar_type(tag, text, n, ev->data.scalar.plain_implicit != 0, &v, why, sizeof(why))) {
        rc = fail(l, HP_ERR_INVALID, "%s", why);
        goto out;
    }
    /* A !!binary scalar is its decoded text from here on. */
    const char *str = v.bytes != NULL ? v.bytes : text;
    size_t len = v.bytes != NULL ? v.len : n;
    /* A key becomes json-c's key string (set_key charges it); a value, or a
     * key that an alias may later use as a value, becomes a json-c value. */
    bytes = scalar_cost(v.kind, len);
    rc = is_key ? HP_OK : check_number(l, &v, text, n);
    if (rc == HP_OK && !is_key) {
        rc = value_begin(l, len);
    }
    if (rc == HP_OK && (!is_key || anchored)) {
        rc = charge(l, bytes, false, "the document");
    }
    if (rc != HP_OK) {
        goto out;
    }
    if (!is_key || anchored) {
        struct mf_scalar j = json_number(l, &v);
        obj = mf_scalar_json(&j, str, len);
    }
    if (anchored) {
        rc = anchor_scalar(l, ev, obj, bytes, str, len, &v);
        if (rc != HP_OK) {
            json_object_put(obj);
            goto out;
        }
    }
    if (is_key) {
        json_object_put(obj);
        rc = scalar_key(l, &v, str, len);
        goto out;
    }
    attach(l, obj, pos_here(l, str, len, plain));
out:
    mf_scalar_cleanup(&v);
    if (scratch > 0) {
        release(l, scratch, true);
    }
    return rc;
}

static enum hp_err merge_one(struct mf_loader *l, struct mf_frame *f, struct json_object *src,
                             yaml_mark_t m);

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
        /* go-yaml takes only a `<<` written as the key for a merge key. */
        if (a->v.kind == MF_SCALAR_MERGE) {
            return set_key(l, "<<", 2, false, false, false);
        }
        return scalar_key(l, &a->v, a->text, a->text_len);
    }
    if (top(l) != NULL && top(l)->is_map && top(l)->merge_next) {
        /* go-yaml merges an alias only when it names a mapping. */
        struct mf_frame *f = top(l);
        if (!json_object_is_type(a->obj, json_type_object)) {
            return merge_not_map(l, f);
        }
        f->merge_next = false;
        return merge_one(l, f, a->obj, f->merge_mark);
    }
    if (a->text != NULL) {
        rc = check_number(l, &a->v, a->text, a->text_len);
        if (rc != HP_OK) {
            return rc;
        }
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
    nf.is_flow = is_map ? ev->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE
                        : ev->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
    nf.obj = is_map ? json_object_new_object() : json_object_new_array();
    if (nf.obj == NULL) {
        hp_oom();
    }
    if (l->positions) {
        mf_pos_attach(nf.obj);
    }
    nf.anchor = anchor != NULL ? hp_xstrdup((const char *)anchor) : NULL;
    if (!nf.in_merge) {
        attach(l, nf.obj, pos_here(l, NULL, 0, false));
    }
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

/* Sets every key of src in f's mapping, as go-yaml replays a merged mapping
 * into the one that holds the `<<`: a key already there (written before the
 * `<<`, or set by an earlier merge) takes the merged value. Keys only merges
 * have set are remembered, so that a key written later may replace them.
 * Each new key is charged first. */
static enum hp_err merge_one(struct mf_loader *l, struct mf_frame *f, struct json_object *src,
                             yaml_mark_t m)
{
    struct json_object *dst = f->obj;
    size_t i = 0;

    if (f->keys == NULL) {
        /* The table starts with the keys written so far. */
        size_t cost = COST_MAP;
        size_t at = 0;
        json_object_object_foreach(dst, k0, v0)
        {
            (void)v0;
            cost = add_sat(cost, key_cost(k0));
        }
        enum hp_err rc = charge_at(l, cost, false, m, "the merged mapping");
        if (rc != HP_OK) {
            return rc;
        }
        f->keys = lh_kchar_table_new(16, key_entry_free);
        if (f->keys == NULL) {
            hp_oom();
        }
        json_object_object_foreach(dst, k1, v1)
        {
            (void)v1;
            key_add(f, k1, at++, false);
        }
    }
    json_object_object_foreach(src, k, v)
    {
        const struct hp_manifest_pos *p = hp_manifest_pos_get(src, i++);
        struct key_rec *e = key_find(f, k);
        size_t cost = e != NULL ? 0 : COST_KEY + chunk(strlen(k) + 1) + key_cost(k);

        if (p != NULL) {
            cost = add_sat(cost, mf_pos_cost(p->len));
        }
        enum hp_err rc = charge_at(l, cost, false, m, "the merged mapping");
        if (rc != HP_OK) {
            return rc;
        }
        if (e == NULL) {
            key_add(f, k, (size_t)json_object_object_length(dst), true);
        }
        if (json_object_object_add(dst, k, json_object_get(v)) != 0) {
            hp_oom();
        }
        if (p != NULL && e != NULL) {
            mf_pos_replace(dst, e->at, p);
        } else if (p != NULL) {
            mf_pos_append(dst, p);
        }
    }
    return HP_OK;
}

/* The value of f's `<<` (obj, which just ended): a mapping, or a sequence of
 * mappings of which go-yaml applies the last first, so that the earlier win. */
static enum hp_err apply_merge(struct mf_loader *l, struct mf_frame *f, struct json_object *obj)
{
    enum hp_err rc = HP_OK;

    f->merge_next = false;
    if (json_object_is_type(obj, json_type_object)) {
        return merge_one(l, f, obj, f->merge_mark);
    }
    size_t n = json_object_array_length(obj);
    for (size_t i = 0; i < n; i++) {
        if (!json_object_is_type(json_object_array_get_idx(obj, i), json_type_object)) {
            return merge_not_map(l, f);
        }
    }
    for (size_t i = n; i > 0 && rc == HP_OK; i--) {
        rc = merge_one(l, f, json_object_array_get_idx(obj, i - 1), f->merge_mark);
    }
    return rc;
}

static void frame_cleanup(struct mf_frame *f)
{
    free(f->anchor);
    free(f->key);
    if (f->keys != NULL) {
        lh_table_free(f->keys);
    }
    if (f->in_merge) {
        json_object_put(f->obj);
    }
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
    if (f->anchor != NULL) {
        anchor_set(l, f->anchor, json_object_get(f->obj), NULL, 0, NULL, false,
                   l->nodes - f->nodes_before, l->tree - f->tree_before);
        f->anchor = NULL;
    }
    if (f->in_merge) {
        rc = apply_merge(l, &l->frames[l->depth - 2], f->obj);
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
        /* Only a file of settings reads on after its document's end. */
        if (++l->docs_seen > 1) {
            return mf_fail_at(l, l->at, HP_MANIFEST_FAULT_SECOND_DOC, HP_ERR_INVALID,
                              "a second document");
        }
        return HP_OK;
    case YAML_DOCUMENT_END_EVENT:
        l->ended = true;
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
                 struct hp_manifest_budget *budget, unsigned flags, const struct mf_stream *st,
                 struct hp_manifest_doc *doc)
{
    struct mf_loader l = {.lim = lim,
                          .budget = budget,
                          .src = p,
                          .src_len = n,
                          .line0 = line0,
                          .positions = (flags & MF_LOAD_POSITIONS) != 0,
                          .single = (flags & MF_LOAD_SINGLE) != 0,
                          .json = (flags & MF_LOAD_JSON) != 0,
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
            if (l.ended && parser.error != YAML_MEMORY_ERROR) {
                /* A file of settings reads on, and what follows `...` is
                 * no part of its document. */
                mf_fail_at(&l, parser.problem_mark, HP_MANIFEST_FAULT_SECOND_DOC, HP_ERR_INVALID,
                           "a second document");
            } else {
                mf_parser_error(&l, &parser);
            }
            break;
        }
        bool done = ev.type == YAML_STREAM_END_EVENT;
        enum hp_err rc = on_event(&l, &ev);
        yaml_event_delete(&ev);
        /* go-yaml reads one document: what follows its `...` is never
         * parsed, so neither its content nor its syntax errors count. */
        if (rc != HP_OK || done || (l.ended && !l.single)) {
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
