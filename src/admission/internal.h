/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal to src/admission: the decoded request (request.c) that the driver
 * (admission.c) decides on and the encoder (response.c) answers. Every string
 * is borrowed from the parsed body held by struct hp_admission. Not part of
 * the public API.
 */
#ifndef HP_ADMISSION_INTERNAL_H
#define HP_ADMISSION_INTERNAL_H

#include "hardpod/admission.h"

#include <stdbool.h>
#include <stddef.h>

enum hp_admission_op {
    HP_ADMISSION_CREATE,
    HP_ADMISSION_UPDATE,
    HP_ADMISSION_DELETE,
    HP_ADMISSION_CONNECT,
};

/* The fields of an AdmissionReview that hardpod reads, validated. */
struct hp_admission_request {
    const char *api_version; /* static: "admission.k8s.io/v1" or ".../v1beta1" */
    bool v1beta1;
    const char *uid; /* non-empty */
    size_t uid_len;
    const char *group;   /* request.kind.group; "" for the core group */
    const char *version; /* request.kind.version; non-empty */
    const char *kind;    /* request.kind.kind; non-empty */
    const char *operation;
    enum hp_admission_op op;
    const char *sub_resource; /* NULL when absent or empty */
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
enum hp_err hp_admission_request_decode(struct json_object *root, struct hp_admission_request *r,
                                        struct hp_error *err);

/* Largest deny message, in bytes of decoded text. */
#define HP_ADMISSION_MAX_MESSAGE (32u * 1024u)
/* Most warnings in one response, the "... and N more findings" line included. */
#define HP_ADMISSION_MAX_WARNINGS 64
/* Largest auditAnnotations "findings" value, in bytes as written. */
#define HP_ADMISSION_MAX_FINDINGS_ANNOTATION (16u * 1024u)

/* Writes the whole AdmissionReview response for r and res into out (which
 * the caller has reset). profile names the policy in deny messages. Returns
 * HP_ERR_LIMIT when out's cap refuses the response. */
enum hp_err hp_admission_response_encode(const struct hp_admission_request *r,
                                         const struct hp_admission_result *res, const char *profile,
                                         struct hp_buf *out, struct hp_error *err);

#endif
