/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Manifest loader: turns YAML (one or many documents) or JSON bytes into
 * json-c objects, remembering the line where each document and each element
 * of a top-level `items` list starts. YAML scalars are typed as Kubernetes'
 * YAML decoder types them (YAML 1.1: yes/no/on/off are booleans, 0x10 is an
 * integer). Every size is capped, and one malformed document does not stop
 * the others from loading. No file I/O here: the caller supplies the bytes.
 */
#ifndef HARDPOD_MANIFEST_H
#define HARDPOD_MANIFEST_H

#include "hardpod/error.h"

#include <stddef.h>

struct json_object;

struct hp_manifest_limits {
    size_t max_bytes; /* whole input; larger input is rejected outright */
    size_t max_docs;  /* documents in one stream */
    size_t max_depth; /* nesting of mappings and sequences */
    size_t max_nodes; /* scalars + collections per document, aliases expanded */
};

/* The defaults: 64 MiB, 10000 documents, depth 64, 4 million nodes. */
extern const struct hp_manifest_limits hp_manifest_default_limits;

struct hp_manifest_doc {
    struct json_object *obj; /* owned; NULL when the document is empty or failed */
    size_t line;             /* 1-based line where the document starts */
    char *error;             /* owned; NULL unless this document failed to load;
                              * the message names the line */
    size_t *item_lines;      /* owned; when obj is a mapping with an `items`
                              * sequence: 1-based line of each element */
    size_t n_item_lines;
};

struct hp_manifest {
    struct hp_manifest_doc *docs; /* owned */
    size_t len;
};

/* Parses data[0..len). Returns HP_OK when the stream could be split into
 * documents (individual documents may still carry an error), or an error
 * (HP_ERR_LIMIT for max_bytes/max_docs) with nothing in out. On success the
 * caller owns out and frees it with hp_manifest_cleanup. lim may be NULL for
 * the defaults. Re-entrant. */
enum hp_err hp_manifest_parse(const char *data, size_t len, const struct hp_manifest_limits *lim,
                              struct hp_manifest *out, struct hp_error *err);

void hp_manifest_cleanup(struct hp_manifest *m);

#endif
