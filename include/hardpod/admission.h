/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The only module that knows the AdmissionReview wire format: it parses a
 * request body (admission.k8s.io/v1 or v1beta1), decides whether the object
 * must be evaluated (operation, subresource, unchanged UPDATE), runs the
 * policy engine, and serialises the response once. No sockets, files, clock
 * or logging: the caller passes the time and reads the result's metadata to
 * log and count.
 */
#ifndef HARDPOD_ADMISSION_H
#define HARDPOD_ADMISSION_H

#include "hardpod/buf.h"
#include "hardpod/config.h"
#include "hardpod/error.h"
#include "hardpod/policy.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;
struct json_tokener;

/* JSON nesting depth accepted in a request body. */
#define HP_ADMISSION_MAX_DEPTH 64

/* Pod spec candidates of an object (see hardpod/readset.h, HP_MARK_SPECS). */
#define HP_ADMISSION_SPECS 4

/* A request body checked whole and reduced to what hardpod reads
 * (hardpod/readset.h), with what parsing the reduced text will cost. Made by
 * hp_admission_prepare; owned by the caller, one per request, so that a
 * request can wait for memory between preparing and parsing. */
struct hp_admission_body {
    struct hp_buf text; /* the reduced body; never longer than the body */
    size_t cost;        /* bytes json-c 0.16 will allocate to parse text (an upper estimate) */
    bool same_spec[HP_ADMISSION_SPECS]; /* pod spec candidate k of request.object is byte for
                                         * byte the one of request.oldObject */
    bool whole;                         /* text is the whole body (the config maps custom kinds) */
};

void hp_admission_body_init(struct hp_admission_body *b);
void hp_admission_body_cleanup(struct hp_admission_body *b);

/* Per-thread reusable state. Not thread-safe: one per server thread. */
struct hp_admission {
    struct json_tokener *tok; /* owned; strict mode, depth HP_ADMISSION_MAX_DEPTH */
    struct json_object *root; /* owned; the last parsed request body, kept until the next
                               * request or cleanup because hp_admission_result borrows from it */
    struct hp_findings findings;
    struct hp_findings warn_findings; /* the hardpod.dev/warn profile's, capped at
                                       * HP_ADMISSION_WARN_FINDINGS_BYTES */
    struct hp_admission_body body;    /* scratch of hp_admission_handle */
};

/* Heap the findings of a hardpod.dev/warn profile may take: they only become
 * warnings, of which a response shows HP_ADMISSION_MAX_WARNINGS at most. */
#define HP_ADMISSION_WARN_FINDINGS_BYTES ((size_t)256 * 1024)

void hp_admission_init(struct hp_admission *a);
void hp_admission_cleanup(struct hp_admission *a);
/* Frees the last request's tree and findings now rather than at the next
 * request (a result borrowed from them is invalid afterwards). */
void hp_admission_clear(struct hp_admission *a);

/* Checks body[0..len) (UTF-8, RFC 8259 JSON, depth, no escaped NUL) and
 * writes into b the part of it that hardpod reads, with its parse cost. Uses
 * a's tokener as scratch only; a itself keeps nothing of body. When config
 * (borrowed; may be NULL) maps custom kinds (customKinds), whose paths the
 * read set cannot know, b holds the whole body. Errors: HP_ERR_INVALID with
 * the byte offset of the fault; HP_ERR_LIMIT when the body is over INT_MAX
 * bytes. body may be freed once this returns. */
enum hp_err hp_admission_prepare(struct hp_admission *a, const struct hp_config *config,
                                 const char *body, size_t len, struct hp_admission_body *b,
                                 struct hp_error *err);

enum hp_decision {
    HP_DECISION_ALLOWED, /* allowed with no warning */
    HP_DECISION_DENIED,  /* allowed: false */
    HP_DECISION_WARNED,  /* allowed with warnings (including audit mode's "would deny") */
};
const char *hp_decision_name(enum hp_decision d); /* "allowed", "denied", "warned" */

/* Why an object was or was not evaluated. */
enum hp_skip {
    HP_SKIP_NONE,        /* evaluated */
    HP_SKIP_OPERATION,   /* DELETE or CONNECT */
    HP_SKIP_SUBRESOURCE, /* a subresource other than ephemeralcontainers */
    HP_SKIP_UNCHANGED,   /* UPDATE whose pod spec equals oldObject's */
    HP_SKIP_NO_POD_SPEC, /* a kind without a pod spec */
    HP_SKIP_UNREADABLE,  /* a kind hardpod cannot read on the pods resource: denied in
                          * enforce mode, a "would deny" warning in audit mode */
    HP_SKIP_BAD_LABEL,   /* the namespace's hardpod.dev label is not a profile
                          * (hp_admission_ctx.bad_label): denied in any mode */
};
const char *hp_skip_name(enum hp_skip s);

/* What happened, for logs and metrics. Strings are borrowed from the
 * hp_admission that produced it and valid until its next request. */
struct hp_admission_result {
    const char *uid;
    const char *kind;      /* request.kind.kind, e.g. "Deployment" */
    const char *ns;        /* request.namespace; "" for cluster-scoped */
    const char *name;      /* request.name, or metadata.name / generateName of the object */
    const char *operation; /* CREATE, UPDATE, DELETE, CONNECT */
    const char *username;
    bool v1beta1; /* the request (and so the response) is admission.k8s.io/v1beta1 */
    bool dry_run;
    enum hp_mode mode; /* the mode in force for the namespace */
    enum hp_decision decision;
    enum hp_skip skip;
    size_t n_deny;                           /* deny findings (in audit mode: would-deny); 1 for
                                              * HP_SKIP_UNREADABLE */
    size_t n_warn;                           /* warn findings, exempt ones included */
    uint32_t checks_fired;                   /* bit (1u << check) for every finding */
    const struct hp_findings *findings;      /* the findings themselves */
    const char *profile;                     /* the profile judged against (static or the ctx's) */
    const char *warn_profile;                /* hardpod.dev/warn's profile; NULL when none */
    const struct hp_findings *warn_findings; /* its findings; NULL when none */
    const char *bad_label;                   /* ctx->bad_label; NULL when none */
};

/* Everything a request needs besides its body. Borrowed for the call.
 *
 * A namespace's hardpod.dev labels reach hardpod through the webhook's path
 * (the API server picks the webhook by namespaceSelector): the caller turns
 * the path into the last four fields. Zeroed, they change nothing. */
struct hp_admission_ctx {
    const struct hp_config *config; /* the policy judged against, and the mode for the
                                     * namespace unless mode is set */
    const char *profile_name;       /* named in deny messages: violates hardpod policy
                                     * "hardened"; NULL: config's profile */
    int64_t now;                    /* unix seconds, for exemption expiry */
    const enum hp_mode *mode;       /* hardpod.dev/enforce: replaces the config's mode (and
                                     * namespaceModes) for this request; NULL: the config's */
    const struct hp_policy *warn;   /* hardpod.dev/warn: a second policy whose findings
                                     * become warnings when the request is allowed; NULL */
    const char *warn_name;          /* its profile's name, for the warnings */
    const char *bad_label;          /* a label whose value is not a profile
                                     * ("hardpod.dev/enforce"): every object that would be
                                     * evaluated is denied, naming it; NULL: none */
};

/* Handles one request body body[0..len) (not NUL-terminated) and writes the
 * whole AdmissionReview response JSON into out (reset first). Returns
 * HP_ERR_INVALID with a message saying what and where for malformed JSON
 * ("invalid JSON at byte 120: unexpected character"), a document that is not
 * an AdmissionReview ("request.uid: missing"), or an object that cannot be
 * evaluated; the caller answers 400 with it. Nothing is allowed because
 * parsing failed. On success res describes the decision. */
enum hp_err hp_admission_handle(struct hp_admission *a, const struct hp_admission_ctx *ctx,
                                const char *body, size_t len, struct hp_admission_result *res,
                                struct hp_buf *out, struct hp_error *err);

/* The second half of hp_admission_handle, for a body that
 * hp_admission_prepare has made: parses b->text (allocating about b->cost
 * bytes, kept in a until its next request), decides and encodes. b is
 * borrowed for the call. Errors as hp_admission_handle. */
enum hp_err hp_admission_handle_body(struct hp_admission *a, const struct hp_admission_ctx *ctx,
                                     const struct hp_admission_body *b,
                                     struct hp_admission_result *res, struct hp_buf *out,
                                     struct hp_error *err);

/* The object under review in a stored AdmissionReview, for tools that
 * evaluate one outside the webhook (hardpod audit). Borrowed from the
 * document passed to hp_admission_review_decode. */
struct hp_admission_review {
    struct json_object *object; /* request.object: a JSON object */
    const char *ns;             /* request.namespace; NULL when absent or empty */
    const char *username;       /* request.userInfo.username; NULL when absent */
};

/* Reads the request of root, a parsed AdmissionReview, into out with the
 * rules the webhook decodes requests by: request, request.object and
 * request.userInfo must be objects, request.namespace and the username
 * strings without a NUL character. The fields only the webhook needs
 * (uid, kind, operation) are not read. Returns HP_ERR_INVALID with the
 * JSON path of the first problem ("request.object: missing"). */
enum hp_err hp_admission_review_decode(struct json_object *root, struct hp_admission_review *out,
                                       struct hp_error *err);

/* Longest warning the response carries; the apiserver truncates longer ones. */
#define HP_ADMISSION_MAX_WARNING 255

#endif
