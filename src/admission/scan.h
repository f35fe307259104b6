/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal to src/admission: a strict JSON validator and the pruning of the
 * members of an AdmissionReview that nothing reads.
 *
 * The apiserver sends every object whole, and json-c allocates hundreds of
 * bytes per value (an empty object costs about 800): building a tree of the
 * whole body would make memory follow what a caller sends. The validator
 * checks the whole body once (RFC 8259, the nesting limit, at a few
 * instructions per byte) and, in the same pass, copies only what hardpod
 * reads (hardpod/readset.h) and counts it, so the caller knows what json-c
 * will cost before it runs. Malformed JSON anywhere, left-out parts
 * included, is still an error.
 */
#ifndef HP_ADMISSION_SCAN_H
#define HP_ADMISSION_SCAN_H

#include "hardpod/buf.h"
#include "hardpod/readset.h"

#include <stdbool.h>
#include <stddef.h>

/* Why and where a body is not valid JSON. what is a static string. */
struct hp_json_problem {
    size_t at;
    const char *what;
};

/* What a JSON text holds, for the cost of the tree json-c builds of it. */
struct hp_json_counts {
    size_t objects, members, key_bytes, arrays, elements, scalars, strings, string_bytes;
};

/* Bytes json-c 0.16 allocates for a tree with these counts, rounded up. */
size_t hp_json_cost(const struct hp_json_counts *c);

/* The pruning of one body: in, where the copy goes and what is read; out,
 * what was kept and where the pod specs are. */
struct hp_json_prune {
    const struct hp_read_node *root; /* in: the read set (hp_policy_read_set()) */
    struct hp_buf *out;              /* in: the copy, reset first; never longer than the body */
    struct hp_json_counts kept;      /* what the copy holds */
    struct hp_json_counts all;       /* what the body holds */
    /* Byte ranges in the body of each pod spec candidate (hp_read_mark
     * HP_MARK_SPEC + k) in request.object (side 0) and request.oldObject
     * (side 1); the last of duplicate members, as json-c keeps the last. */
    size_t spec[2][HP_MARK_SPECS][2];
    bool has_spec[2][HP_MARK_SPECS];
    bool escaped[2]; /* a member name with an escape was kept whole on that side */
};

/* Whether s[0..n) is exactly one JSON value (RFC 8259) with only whitespace
 * around it and no value nested deeper than max_depth levels (the top-level
 * value is level 1, as json-c counts). Bytes of 0x80 and above are accepted
 * inside strings without decoding: the caller has checked UTF-8 already.
 * On false, *p says where and why.
 *
 * With pr, the same pass writes into pr->out the body with only what
 * pr->root reads (see hardpod/readset.h): members nothing reads are left out
 * with one comma next to them; a container of the wrong type is written as
 * {} or []; env variables nothing reads become null. A member name is
 * matched by its exact bytes, so an escaped spelling is kept whole (and
 * parsed). pr's results are valid only when the body is. */
bool hp_json_scan(const char *s, size_t n, int max_depth, struct hp_json_prune *pr,
                  struct hp_json_problem *p);

#endif
