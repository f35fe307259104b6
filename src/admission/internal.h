/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal to src/admission, not part of the public API: the strict scanner
 * (scan.c) that the JSON front end (body.c) runs over a request body, the
 * decoded request (request.c) that the driver (admission.c) decides on and
 * the encoder (response.c) answers, and the test seam. Every string of a
 * decoded request is borrowed from the parsed body held by struct
 * hp_admission.
 */
#ifndef ADM_INTERNAL_H
#define ADM_INTERNAL_H

#include "hardpod/admission.h"
#include "hardpod/buf.h"
#include "hardpod/readset.h"

#include <stdbool.h>
#include <stddef.h>

/* ---- the scanner (scan.c) ------------------------------------------------
 *
 * The apiserver sends every object whole, and json-c allocates hundreds of
 * bytes per value (an empty object costs about 800): building a tree of the
 * whole body would make memory follow what a caller sends. The scanner
 * checks the whole body once (RFC 8259, the nesting limit, UTF-8, no escaped
 * NUL, at a few instructions per byte) and, in the same pass, copies only
 * what hardpod reads (hardpod/readset.h) and counts it, so the caller knows
 * what json-c will cost before it runs. Malformed JSON anywhere, left-out
 * parts included, is still an error.
 */

/* What kind of fault a body has. */
enum adm_json_fault {
    ADM_JSON_SYNTAX, /* not RFC 8259 JSON, or nested too deep */
    ADM_JSON_UTF8,   /* a string holds bytes that are not well-formed UTF-8 */
    ADM_JSON_NUL,    /* a string holds the escape \u0000 */
};

/* Why and where a body is refused. what is a static string. */
struct adm_json_problem {
    size_t at;
    const char *what;
    enum adm_json_fault fault;
};

/* What a JSON text holds, for the cost of the tree json-c builds of it. */
struct adm_json_counts {
    size_t objects, members, key_bytes, arrays, elements, scalars, strings, string_bytes;
};

/* Bytes json-c 0.16 allocates for a tree with these counts, rounded up. */
size_t adm_json_cost(const struct adm_json_counts *c);

/* The pruning of one body: in, where the copy goes and what is read; out,
 * what was kept and where the pod specs are. */
struct adm_json_prune {
    const struct hp_read_node *root; /* in: the read set (hp_policy_read_set()) */
    struct hp_buf *out;              /* in: the copy, reset first; never longer than the body */
    struct adm_json_counts kept;     /* what the copy holds */
    struct adm_json_counts all;      /* what the body holds */
    /* Byte ranges in the body of each pod spec candidate (hp_read_mark
     * HP_MARK_SPEC + k) in request.object (side 0) and request.oldObject
     * (side 1); the last of duplicate members, as json-c keeps the last. */
    size_t spec[2][HP_MARK_SPECS][2];
    bool has_spec[2][HP_MARK_SPECS];
    bool escaped[2]; /* a member name with an escape was kept whole on that side */
};

/* Whether s[0..n) is exactly one JSON value (RFC 8259) with only whitespace
 * around it and no value nested deeper than max_depth levels (the top-level
 * value is level 1, as json-c counts), whose strings are well-formed UTF-8
 * (hardpod/utf8.h) and hold no \u0000 escape (json-c would cut a key
 * there). On false, *p says where and why: the first fault in the order the
 * bytes are read, whatever its kind.
 *
 * With pr, the same pass writes into pr->out the body with only what
 * pr->root reads (see hardpod/readset.h): members nothing reads are left out
 * with one comma next to them; a container of the wrong type is written as
 * {} or []; env variables nothing reads become null. A member name is
 * matched by its exact bytes, so an escaped spelling is kept whole (and
 * parsed). pr's results are valid only when the body is. */
bool adm_json_scan(const char *s, size_t n, int max_depth, struct adm_json_prune *pr,
                   struct adm_json_problem *p);

/* ---- the JSON front end (body.c) ------------------------------------------ */

/* hp_admission_prepare; with full, b->text is the whole body rather than
 * the reduced copy (for adm_handle_full). */
enum hp_err adm_body_prepare(struct hp_admission *a, const char *body, size_t len, bool full,
                             struct hp_admission_body *b, struct hp_error *err);

/* Parses text[0..len) with a's tokener into *root (NULL on error, nothing
 * to free): exactly one JSON value, then only whitespace. Errors name byte
 * offsets in text, in json-c's words. */
enum hp_err adm_json_parse(struct hp_admission *a, const char *text, size_t len,
                           struct json_object **root, struct hp_error *err);

/* ---- the decoded request (request.c) --------------------------------------- */

enum adm_op {
    ADM_OP_CREATE,
    ADM_OP_UPDATE,
    ADM_OP_DELETE,
    ADM_OP_CONNECT,
};

/* The fields of an AdmissionReview that hardpod reads, validated. */
struct adm_request {
    const char *api_version; /* static: "admission.k8s.io/v1" or ".../v1beta1" */
    bool v1beta1;
    const char *uid; /* non-empty */
    size_t uid_len;
    const char *group;   /* request.kind.group; "" for the core group */
    const char *version; /* request.kind.version; non-empty */
    const char *kind;    /* request.kind.kind; non-empty */
    const char *operation;
    enum adm_op op;
    const char *sub_resource; /* NULL when absent or empty */
    const char *res_group;    /* request.resource.group; "" for the core group, NULL when absent */
    const char *resource;     /* request.resource.resource ("pods"); NULL when absent */
    const char *ns;           /* "" when absent */
    const char *name;         /* request.name, else the object's metadata.name or generateName */
    bool name_generated;      /* name is metadata.generateName */
    const char *username;     /* NULL when absent */
    bool dry_run;
    struct json_object *object;     /* an object for CREATE and UPDATE; else may be NULL */
    struct json_object *old_object; /* an object for UPDATE; else may be NULL */
};

/* Validates root as an AdmissionReview request and fills r. Returns
 * HP_ERR_INVALID with the JSON path of the first problem. */
enum hp_err adm_request_decode(struct json_object *root, struct adm_request *r,
                               struct hp_error *err);

/* Largest deny message, in bytes of decoded text. */
#define ADM_MAX_MESSAGE (32u * 1024u)
/* Most warnings in one response, the "... and N more findings" line included. */
#define ADM_MAX_WARNINGS 64
/* Largest auditAnnotations "findings" value, in bytes as written. */
#define ADM_MAX_FINDINGS_ANNOTATION (16u * 1024u)

/* Writes the whole AdmissionReview response for r and res into out (which
 * the caller has reset). profile names the policy in deny messages. Returns
 * HP_ERR_LIMIT when out's cap refuses the response. */
enum hp_err adm_response_encode(const struct adm_request *r, const struct hp_admission_result *res,
                                const char *profile, struct hp_buf *out, struct hp_error *err);

/* ---- test seam --------------------------------------------------------------- */

/* hp_admission_handle with json-c given the whole body rather than the
 * reduced copy. Only tests and fuzzers call it: both paths must answer byte
 * for byte alike. */
enum hp_err adm_handle_full(struct hp_admission *a, const struct hp_admission_ctx *ctx,
                            const char *body, size_t len, struct hp_admission_result *res,
                            struct hp_buf *out, struct hp_error *err);

#endif
