/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal to src/manifest: the stream splitter (manifest.c) hands each
 * document's bytes to the event loader (load.c), which types scalars with
 * scalar.c. Not part of the public API.
 */
#ifndef HP_MANIFEST_INTERNAL_H
#define HP_MANIFEST_INTERNAL_H

#include "hardpod/manifest.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;

/* A scalar's type as go-yaml v2 resolves it. NONE only means "no explicit
 * tag" inside scalar.c; a typed scalar is never NONE. */
enum hp_scalar_kind {
    HP_SCALAR_NONE,
    HP_SCALAR_STR,
    HP_SCALAR_NULL,
    HP_SCALAR_BOOL,
    HP_SCALAR_INT,
    HP_SCALAR_FLOAT,
};

struct hp_scalar {
    enum hp_scalar_kind kind;
    bool b;
    bool is_uint; /* an integer above INT64_MAX, in u */
    int64_t i;
    uint64_t u;
    double d;
};

/* Types the scalar s[0..n) (tag may be NULL; plain: written without quotes
 * or block indicators). Returns false with a message in msg when an explicit
 * tag cannot hold the value ("cannot decode !!str `abc` as !!int"). */
bool hp_manifest_scalar_type(const char *tag, const char *s, size_t n, bool plain,
                             struct hp_scalar *v, char *msg, size_t msglen);

/* The json-c value of a typed scalar, owned by the caller; NULL for null.
 * s[0..n) is the text, used for strings (n <= INT_MAX). Aborts on OOM. */
struct json_object *hp_manifest_scalar_json(const struct hp_scalar *v, const char *s, size_t n);

/* Loads one YAML document from p[0..n), which holds at most one document and
 * valid UTF-8 without NUL bytes. line0 is the 0-based line of p[0] in the
 * whole stream; it is added to every line reported. Fills doc->obj (NULL when
 * the document's root is null), doc->error (owned, on failure) and
 * doc->item_lines; leaves doc->line alone. The tree stays charged to budget
 * (doc->budget, doc->charged) until hp_manifest_doc_cleanup; a document that
 * does not fit is an error naming the budget's limit, with nothing charged.
 * Never fails as a whole. */
void hp_manifest_load_doc(const char *p, size_t n, size_t line0,
                          const struct hp_manifest_limits *lim, struct hp_manifest_budget *budget,
                          struct hp_manifest_doc *doc);

#endif
