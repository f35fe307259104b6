/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Manifest loader: turns YAML (one or many documents) or JSON bytes into
 * json-c objects, remembering the line where each document and each element
 * of a top-level `items` list starts. YAML scalars are typed as Kubernetes'
 * YAML decoder types them (YAML 1.1: yes/no/on/off are booleans, 0x10 is an
 * integer). Every size is capped, and one malformed document does not stop
 * the others from loading. The memory the trees take is estimated and
 * charged to a budget before it is allocated, so that a caller can hold a
 * fixed ceiling whatever the input. No file I/O here: the caller supplies the
 * bytes.
 */
#ifndef HARDPOD_MANIFEST_H
#define HARDPOD_MANIFEST_H

#include "hardpod/error.h"

#include <stdbool.h>
#include <stddef.h>

struct json_object;

struct hp_manifest_limits {
    size_t max_bytes;  /* whole input; larger input is rejected outright */
    size_t max_docs;   /* documents in one stream */
    size_t max_depth;  /* nesting of mappings and sequences */
    size_t max_nodes;  /* scalars + collections per document, aliases expanded */
    size_t max_memory; /* bytes of trees alive at once, as a budget counts them (below) */
};

/* The defaults: 64 MiB, 10000 documents, depth 64, 4 million nodes, 256 MiB
 * of memory. */
#define HP_MANIFEST_DEFAULT_MAX_MEMORY ((size_t)256 * 1024 * 1024)
extern const struct hp_manifest_limits hp_manifest_default_limits;

/* A memory ceiling shared by everything one caller builds from its inputs.
 * Each allocation is estimated (json-c 0.16's real cost per value, measured
 * on glibc: an empty mapping is 784 bytes, a string 80 plus its length) and
 * charged before it is made; freeing releases the charge. An alias is charged
 * the size of what it expands to, as a consumer that copies the tree (kubectl
 * converts YAML to JSON) would pay it. Not thread-safe: one per thread. */
struct hp_manifest_budget {
    size_t limit;           /* bytes; SIZE_MAX for no limit */
    size_t used;            /* bytes charged now */
    size_t peak;            /* highest used so far */
    const char *raise_hint; /* borrowed, may be NULL: how a user raises the
                             * limit ("--max-memory"), named in messages */
};

/* Initialises b with nothing charged. */
void hp_manifest_budget_init(struct hp_manifest_budget *b, size_t limit, const char *raise_hint);

/* Charges n bytes and returns true, or returns false and charges nothing when
 * used + n would pass the limit. */
bool hp_manifest_budget_charge(struct hp_manifest_budget *b, size_t n);

/* Gives back n bytes of an earlier charge. */
void hp_manifest_budget_release(struct hp_manifest_budget *b, size_t n);

/* What glibc's malloc takes for a request of n bytes (an 8-byte header,
 * 16-byte granules, 32 at least): the charge for one allocation. */
size_t hp_manifest_budget_malloc_cost(size_t n);

/* Writes "the memory limit of 256 MiB (raise it with --max-memory)" into
 * buf (the hint part only when b has one) and returns buf. */
const char *hp_manifest_budget_describe(const struct hp_manifest_budget *b, char *buf, size_t size);

/* Writes n as "256 MiB", "1.5 MiB", "12 KiB" or "100 bytes" into buf. */
const char *hp_manifest_format_size(size_t n, char *buf, size_t size);

/* Where a value was written, and how. Recorded only when a document is
 * loaded with positions (hp_manifest_load_one). */
struct hp_manifest_pos {
    size_t line;     /* 1-based line where the value (or its alias) starts */
    size_t column;   /* 1-based column, counted in bytes */
    size_t key_line; /* a mapping's member: where its key starts; else 0 */
    size_t key_column;
    const char *text; /* a scalar's text as written (NUL-terminated, but may
                       * hold NUL bytes: use len); NULL for a collection.
                       * Owned by the tree. */
    size_t len;
    bool plain;    /* written without quotes or block indicators */
    bool key_null; /* the key was a null scalar (empty, ~ or null), kept as text */
};

/* The position of the i-th member of a mapping (in the order
 * json_object_object_foreach visits them, which is the order written, merged
 * keys last) or the i-th element of a sequence; NULL when obj was loaded
 * without positions or i is past its end. Borrowed from obj. */
const struct hp_manifest_pos *hp_manifest_pos_get(const struct json_object *obj, size_t i);

/* What kind of problem stopped a document, for callers that word their own
 * messages (the config loader); hp_manifest_doc.error words it for users of
 * manifests. */
enum hp_manifest_fault_kind {
    HP_MANIFEST_FAULT_OTHER,      /* problem says it all */
    HP_MANIFEST_FAULT_SYNTAX,     /* libyaml's problem, and its context (may be
                                   * empty) that started at other_line */
    HP_MANIFEST_FAULT_ENCODING,   /* not UTF-8, or a NUL byte: problem */
    HP_MANIFEST_FAULT_DUPLICATE,  /* a key written twice: path ends with it;
                                   * other_line is the first (0 if unknown) */
    HP_MANIFEST_FAULT_KEY,        /* a mapping key that is a collection:
                                   * problem is "a list" or "a mapping" */
    HP_MANIFEST_FAULT_ALIAS,      /* an alias with no anchor before it */
    HP_MANIFEST_FAULT_NODES,      /* more than max_nodes, aliases expanded */
    HP_MANIFEST_FAULT_DEPTH,      /* nested deeper than max_depth */
    HP_MANIFEST_FAULT_SECOND_DOC, /* hp_manifest_load_one: a second document */
};

/* Room for a path such as "spec.containers[12].securityContext". */
#define HP_MANIFEST_PATH_MAX 192

struct hp_manifest_fault {
    enum hp_manifest_fault_kind kind;
    enum hp_err code;                /* HP_ERR_INVALID, or HP_ERR_LIMIT for a limit */
    size_t line;                     /* 1-based, in the whole stream */
    size_t column;                   /* 1-based; 0 when unknown */
    size_t other_line;               /* see the kinds */
    char path[HP_MANIFEST_PATH_MAX]; /* the value being read, as
                                      * hp_manifest_path_key writes it ("" at the
                                      * top, or when unknown) */
    char problem[HP_ERROR_MSG_MAX];
    char context[64];
};

/* Room for any quote hp_manifest_quote writes, its NUL included. */
#define HP_MANIFEST_QUOTE_SIZE (48 * 4 + 8)

/* Writes s[0..len) as a message may quote it: at most 48 bytes (cut between
 * UTF-8 sequences, marked "..."), with quotes, backslashes and control bytes
 * escaped ("\x09"); a buffer of HP_MANIFEST_QUOTE_SIZE holds it whole, a
 * smaller one (at least 8 bytes) a cut of it. */
void hp_manifest_quote(char *dst, size_t size, const char *s, size_t len);

/* dst = "parent.key" ("key" when parent is NULL or empty), key quoted as
 * hp_manifest_quote does; a path that does not fit is cut. */
void hp_manifest_path_key(char *dst, size_t size, const char *parent, const char *key);

/* dst = "parent[i]". */
void hp_manifest_path_index(char *dst, size_t size, const char *parent, size_t i);

struct hp_manifest_doc {
    struct json_object *obj;          /* owned; NULL when the document is empty or failed */
    size_t line;                      /* 1-based line where the document starts */
    char *error;                      /* owned; NULL unless this document failed to load;
                                       * the message names the line */
    struct hp_manifest_fault *fault;  /* owned; set with error: its parts */
    struct hp_manifest_pos *root_pos; /* owned; where the root was written,
                                       * when loaded with positions */
    size_t *item_lines;               /* owned; when obj is a mapping with an `items`
                                       * sequence: 1-based line of each element */
    size_t n_item_lines;
    /* internal: the charge that hp_manifest_doc_cleanup gives back */
    struct hp_manifest_budget *budget;
    size_t charged;
};

struct hp_manifest {
    struct hp_manifest_doc *docs; /* owned */
    size_t len;
};

/* Parses data[0..len). Returns HP_OK when the stream could be split into
 * documents (individual documents may still carry an error), or an error
 * (HP_ERR_LIMIT for max_bytes/max_docs) with nothing in out. All documents
 * are alive at once, so together they must fit in lim->max_memory; a
 * document that does not fit carries the error. On success the caller owns
 * out and frees it with hp_manifest_cleanup. lim may be NULL for the
 * defaults. Re-entrant. */
enum hp_err hp_manifest_parse(const char *data, size_t len, const struct hp_manifest_limits *lim,
                              struct hp_manifest *out, struct hp_error *err);

void hp_manifest_cleanup(struct hp_manifest *m);

struct hp_manifest_chunk;

/* Reads a stream one document at a time: a caller that frees each document
 * before it asks for the next holds one tree at a time, and a long stream of
 * ordinary documents fits in a small budget. Caller's storage. */
struct hp_manifest_reader {
    /* Optional, set by the caller after init: when on_item is set, the
     * elements of the root mapping's `items` sequence are handed to it one
     * at a time as each is read (item: borrowed for the call; line: where it
     * starts; root: the document so far, borrowed; root_line: where the
     * document starts), then dropped from the tree, so that a long list
     * takes the memory of one element. Anchors in an element stay alive, and
     * charged, for the aliases after it. The document then comes with an
     * empty `items`; one whose `items` is replaced later (a duplicate key or
     * a merge) fails, since its elements were handed over already. */
    void (*on_item)(void *arg, struct json_object *item, size_t line, struct json_object *root,
                    size_t root_line);
    void *on_item_arg;
    /* Optional, set by the caller after init: record where every value was
     * written (hp_manifest_pos_get, doc->root_pos), at the cost of a copy of
     * each scalar's text, charged to the budget. */
    bool positions;
    /* internal */
    const char *data; /* borrowed */
    const struct hp_manifest_limits *lim;
    struct hp_manifest_budget *budget;
    struct hp_manifest_chunk *chunks; /* owned */
    size_t n_chunks;
    size_t next;
    bool single; /* hp_manifest_load_one's reading of a file of settings */
    bool json;   /* kubectl would read the stream as JSON */
};

/* Splits data[0..len) into documents, as hp_manifest_parse does, without
 * loading any. data, lim and budget are borrowed and must outlive the reader
 * and every document it loads; lim may be NULL for the defaults (budget's
 * limit is what counts, not lim->max_memory). An error (HP_ERR_LIMIT for
 * max_bytes/max_docs) leaves a reader that yields nothing; cleanup is still
 * safe. */
enum hp_err hp_manifest_reader_init(struct hp_manifest_reader *r, const char *data, size_t len,
                                    const struct hp_manifest_limits *lim,
                                    struct hp_manifest_budget *budget, struct hp_error *err);

/* Loads the next document that is not empty into doc (owned by the caller,
 * freed with hp_manifest_doc_cleanup) and returns true, or returns false at
 * the end. A document that failed carries its error, which names the
 * budget's limit and hint when the document did not fit in it. */
bool hp_manifest_reader_next(struct hp_manifest_reader *r, struct hp_manifest_doc *doc);

/* Tells the reader that data starts after line0 lines of a longer input, so
 * that every line it reports counts from the start of that input. Call it
 * after init and before the first document. */
void hp_manifest_reader_set_first_line(struct hp_manifest_reader *r, size_t line0);

void hp_manifest_reader_cleanup(struct hp_manifest_reader *r);

/* Loads data[0..len), a stream of at most one document that is not empty,
 * as the reader loads it, with positions (hp_manifest_pos_get, doc->root_pos).
 * Meant for a file of settings: a second document is an error, not ignored.
 * Returns HP_OK with doc->obj NULL for a stream with no document; on failure
 * returns the error's code with doc->error and doc->fault set (and nothing
 * else in doc). The caller frees doc with hp_manifest_doc_cleanup either way.
 * data, lim and budget as for the reader; lim may be NULL. */
enum hp_err hp_manifest_load_one(const char *data, size_t len, const struct hp_manifest_limits *lim,
                                 struct hp_manifest_budget *budget, struct hp_manifest_doc *doc);

/* Frees what doc owns and gives its charge back to the budget. */
void hp_manifest_doc_cleanup(struct hp_manifest_doc *doc);

#endif
