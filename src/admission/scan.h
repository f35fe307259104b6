/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal to src/admission: a strict JSON validator and the pruning of the
 * members of an AdmissionReview that nothing reads.
 *
 * The apiserver sends every object whole: managedFields, the last-applied
 * annotation and status are often most of the bytes, and json-c would build
 * an object for each of them. The validator checks the whole body once (RFC
 * 8259, the nesting limit, at a few instructions per byte); the pruner then
 * copies the body without those members, and only the copy is handed to
 * json-c. Malformed JSON anywhere, pruned parts included, is still an error.
 */
#ifndef HP_ADMISSION_SCAN_H
#define HP_ADMISSION_SCAN_H

#include "hardpod/buf.h"

#include <stdbool.h>
#include <stddef.h>

/* Why and where a body is not valid JSON. what is a static string. */
struct hp_json_problem {
    size_t at;
    const char *what;
};

/* Most members one scan leaves out; any further ones are kept. */
#define HP_JSON_MAX_CUTS 64

/* Byte ranges [at[k][0], at[k][1]) to leave out, in order. */
struct hp_json_cuts {
    size_t at[HP_JSON_MAX_CUTS][2];
    size_t n;
};

/* Whether s[0..n) is exactly one JSON value (RFC 8259) with only whitespace
 * around it and no value nested deeper than max_depth levels (the top-level
 * value is level 1, as json-c counts). Bytes of 0x80 and above are accepted
 * inside strings without decoding: the caller has checked UTF-8 already.
 * On false, *p says where and why.
 *
 * With cuts, the same pass also lists what hardpod never reads in an
 * AdmissionReview: in every request.object and request.oldObject, the
 * members "status", "metadata.managedFields" and the annotation
 * "kubectl.kubernetes.io/last-applied-configuration", each with one comma
 * next to it. Keys are matched by their exact bytes, so an escaped spelling
 * is kept (and parsed). The cuts are valid only when the body is. */
bool hp_json_scan(const char *s, size_t n, int max_depth, struct hp_json_cuts *cuts,
                  struct hp_json_problem *p);

/* Writes into out (reset first) s[0..n) without the cut ranges. */
void hp_json_cut(const char *s, size_t n, const struct hp_json_cuts *cuts, struct hp_buf *out);

#endif
