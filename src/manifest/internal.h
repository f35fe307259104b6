/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal to src/manifest: the stream splitter (manifest.c) hands each
 * document's bytes to the tree builder (load.c), which types scalars with
 * scalar.c, records positions with pos.c and reports problems with
 * problem.c. Not part of the public API.
 */
#ifndef HP_MANIFEST_INTERNAL_H
#define HP_MANIFEST_INTERNAL_H

#include "hardpod/manifest.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

struct json_object;
struct lh_table;

/* Bytes of a scalar, key or anchor name quoted in a message. */
#define MF_SHOW_MAX 40

/* A scalar's type as go-yaml v2 resolves it. NONE only means "no explicit
 * tag" inside scalar.c; a typed scalar is never NONE. MERGE is `<<` plain
 * and untagged (or tagged `!` or !!merge): a merge key where a key is
 * expected, the string "<<" elsewhere. */
enum mf_scalar_kind {
    MF_SCALAR_NONE,
    MF_SCALAR_STR,
    MF_SCALAR_NULL,
    MF_SCALAR_BOOL,
    MF_SCALAR_INT,
    MF_SCALAR_FLOAT,
    MF_SCALAR_MERGE,
};

struct mf_scalar {
    enum mf_scalar_kind kind;
    bool b;
    bool is_uint; /* an integer above INT64_MAX, in u */
    int64_t i;
    uint64_t u;
    double d;
    char *bytes; /* owned: a !!binary scalar's text, decoded (see mf_scalar_type) */
    size_t len;
};

/* One document's bytes, as the splitter found them. */
struct hp_manifest_chunk {
    size_t off;
    size_t len;
    size_t line0; /* 0-based line of the chunk's first byte */
    size_t first; /* 1-based line of its first content */
};

/* Types the scalar s[0..n) as go-yaml v2 does (tag may be NULL; implicit:
 * libyaml's plain_implicit, written plain and untagged or tagged `!`). A
 * !!binary scalar is a string whose text, base64-decoded with every byte that
 * is not UTF-8 turned into U+FFFD, is put in v->bytes (cleanup frees it; it
 * costs at most mf_scalar_binary_cost(n)). Returns false with a message in
 * msg when an explicit tag cannot hold the value ("cannot decode !!str `abc`
 * as !!int"), for bad base64 and for !!timestamp, with nothing to clean up. */
bool mf_scalar_type(const char *tag, const char *s, size_t n, bool implicit, struct mf_scalar *v,
                    char *msg, size_t msglen);

/* What decoding a !!binary scalar of n bytes allocates at most. */
size_t mf_scalar_binary_cost(size_t n);

void mf_scalar_cleanup(struct mf_scalar *v);

/* The json-c value of a typed scalar, owned by the caller; NULL for null.
 * s[0..n) is the text, used for strings (n <= INT_MAX). Aborts on OOM. */
struct json_object *mf_scalar_json(const struct mf_scalar *v, const char *s, size_t n);

/* The JSON key sigs.k8s.io/yaml makes of a typed scalar used as a mapping
 * key: a string as it is, an integer in decimal, a boolean as true/false, a
 * float as Go's shortest float32 text (.inf, -.inf, .nan). *key points into
 * s, v->bytes or buf (at least 32 bytes). Returns false with a message in
 * msg for the keys kubectl cannot convert: null, and integers above 2^63-1. */
bool mf_scalar_key(const struct mf_scalar *v, const char *s, size_t n, char *buf, size_t size,
                   const char **key, size_t *len, char *msg, size_t msglen);

/* How mf_load_doc reads a document. */
enum {
    MF_LOAD_POSITIONS = 1, /* record positions */
    MF_LOAD_SINGLE = 2,    /* a file of settings: a second document is an error, and a
                            * null key is kept as its text with key_null */
    MF_LOAD_JSON = 4,      /* kubectl reads the stream as JSON: YAML-only checks are off */
};

/* Loads the first YAML document of p[0..n), valid UTF-8 without NUL bytes, as
 * go-yaml v2 does: what follows its end (`...`) is not read (but see
 * MF_LOAD_SINGLE). line0 is the 0-based line of p[0] in the whole stream; it
 * is added to every line reported. Fills doc->obj (NULL when the document's
 * root is null), doc->error and doc->fault (owned, on failure) and
 * doc->item_lines; leaves doc->line alone. With MF_LOAD_POSITIONS, every
 * collection records where its members were written (hp_manifest_pos_get)
 * and doc->root_pos where the root was. With st, the root's items are
 * handed over one at a time (see hp_manifest_reader.on_item). The tree stays charged to budget
 * (doc->budget, doc->charged) until hp_manifest_doc_cleanup; a document that
 * does not fit is an error naming the budget's limit, with nothing charged.
 * Never fails as a whole. */
/* The root's items handed over one at a time (hp_manifest_reader.on_item). */
struct mf_stream {
    void (*on_item)(void *arg, struct json_object *item, size_t line, struct json_object *root,
                    size_t root_line);
    void *arg;
};

void mf_load_doc(const char *p, size_t n, size_t line0, const struct hp_manifest_limits *lim,
                 struct hp_manifest_budget *budget, unsigned flags, const struct mf_stream *st,
                 struct hp_manifest_doc *doc);

/* ---- the tree builder's state (load.c), which problem.c reads ---- */

/* One open collection. obj is borrowed: it was attached to its parent (or
 * became the root) when the collection started. */
struct mf_frame {
    struct json_object *obj;
    yaml_mark_t key_mark;   /* where the pending key starts */
    yaml_mark_t merge_mark; /* where the pending `<<` key starts */
    char *anchor;           /* owned; registered when the collection ends */
    size_t nodes_before;    /* document node count before this collection */
    size_t tree_before;     /* tree bytes charged before this collection */
    char *key;              /* owned pending key; NULL when a key is expected */
    size_t key_cost;        /* what the pending key's copy is charged */
    struct lh_table *keys;  /* owned; once a merge has set keys: each key's place and
                             * whether only merges have set it (see load.c) */
    bool is_map;
    size_t key_at;     /* see key_replaces */
    bool key_null;     /* the pending key was a null scalar */
    bool key_replaces; /* the pending key replaces a merged one, at key_at */
    bool in_merge;     /* this collection is the value of its parent's `<<`; obj is
                        * owned here, not attached to the parent */
    bool merge_next;   /* the pending key is `<<` */
    bool is_items;     /* the root mapping's `items` sequence */
    bool is_flow;      /* written in flow style ([...] or {...}) */
    bool stream;       /* is_items, and its elements are handed over one at a time */
};

struct mf_loader {
    const struct hp_manifest_limits *lim;
    struct hp_manifest_budget *budget;
    const char *src;
    size_t src_len;
    size_t line0;
    struct mf_frame *frames;
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
    bool positions;
    bool single;    /* MF_LOAD_SINGLE */
    bool json;      /* MF_LOAD_JSON */
    bool ended;     /* the document has ended: kubectl reads nothing after it */
    bool has_merge; /* a `<<` key was seen */
    bool typed_key; /* a key that go-yaml types as a number or boolean was seen */
    size_t at_char; /* a character index of libyaml's marks (CRLF counts two) ... */
    size_t at_byte; /* ... and its byte offset in src, walked forward on demand */
    yaml_mark_t at; /* where the event being handled starts */
    struct hp_manifest_pos *root_pos; /* owned until finishing hands it to the doc */
    char *error;                      /* owned, likewise; the first problem's message */
    struct hp_manifest_fault *fault;  /* owned, likewise; its parts */
    /* Handing the root's items over (mf_stream): */
    const struct mf_stream *st;   /* NULL: items stay in the tree */
    size_t doc_line;              /* where the document starts */
    struct json_object *streamed; /* the items sequence handed over; borrowed */
    size_t item_line;             /* where the element being read starts */
    size_t item_tree;             /* l->tree when it started */
    size_t item_nodes;            /* l->nodes when it started */
    size_t item_anchored;         /* tree bytes of the anchors defined in it */
};

/* ---- problems (problem.c) ---- */

/* The 1-based line of m in the whole stream. */
size_t mf_line(const struct mf_loader *l, yaml_mark_t m);

/* Describes a problem at m: its kind, code, line, column and the path of
 * the value being read; the caller words f->problem. */
void mf_fault_init(const struct mf_loader *l, struct hp_manifest_fault *f,
                   enum hp_manifest_fault_kind kind, enum hp_err code, yaml_mark_t m);

/* Records the document's first problem (later ones are consequences) and
 * returns its code. msg is the whole message for users of manifests, or
 * NULL for "line N: problem". */
enum hp_err mf_record(struct mf_loader *l, const struct hp_manifest_fault *f, const char *msg);

/* A problem at m, worded "line N: problem". */
enum hp_err mf_fail_at(struct mf_loader *l, yaml_mark_t m, enum hp_manifest_fault_kind kind,
                       enum hp_err code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* key written a second time in f's mapping, at the event being handled. */
enum hp_err mf_duplicate(struct mf_loader *l, const struct mf_frame *f, const char *key);

/* A collection where a key is expected (alias: the alias that named it, or
 * NULL). */
enum hp_err mf_key_not_scalar(struct mf_loader *l, bool is_list, const char *alias);

/* What libyaml's parser reported. Aborts on its out-of-memory error. */
void mf_parser_error(struct mf_loader *l, const yaml_parser_t *p);

/* Records a failure in doc: error is "line N: problem" unless msg gives the
 * whole message; fault is a copy of f. */
void mf_doc_fail(struct hp_manifest_doc *doc, const struct hp_manifest_fault *f, const char *msg);

/* ---- positions (pos.c) ---- */

/* The positions of one collection's members, kept as the collection's json-c
 * userdata and freed with it. */
struct mf_pos_list;

/* Gives obj (a new, empty collection) a position list. Aborts on OOM. */
void mf_pos_attach(struct json_object *obj);

/* Appends a copy of pos (and of its text) to obj's list; nothing when obj
 * has none. Aborts on OOM. */
void mf_pos_append(struct json_object *obj, const struct hp_manifest_pos *pos);

/* Replaces the i-th position of obj's list with a copy of pos; nothing when
 * obj has none or i is past its end. Aborts on OOM. */
void mf_pos_replace(struct json_object *obj, size_t i, const struct hp_manifest_pos *pos);

/* What keeping pos (with a text of n bytes) costs, for the budget. */
size_t mf_pos_cost(size_t n);

/* A heap copy of pos with its text, for doc->root_pos. */
struct hp_manifest_pos *mf_pos_dup(const struct hp_manifest_pos *pos);

#endif
