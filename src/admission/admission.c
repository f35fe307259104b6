/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The admission driver: parses a request body once with a reused strict
 * tokener, decides whether the object must be evaluated, evaluates it in
 * place and has the response encoded once. No I/O, clock or logging: the
 * caller passes the time and logs from the result.
 */
#include "internal.h"
#include "scan.h"

#include "hardpod/k8s.h"
#include "hardpod/readset.h"

#include <json-c/json.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hp_admission_init(struct hp_admission *a)
{
    memset(a, 0, sizeof(*a));
    a->tok = json_tokener_new_ex(HP_ADMISSION_MAX_DEPTH);
    if (a->tok == NULL) {
        hp_oom();
    }
    /* ALLOW_TRAILING_CHARS only makes the tokener stop after the first value:
     * parse() rejects anything but whitespace after it, with its own message. */
    json_tokener_set_flags(a->tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
    hp_findings_init(&a->findings);
    hp_admission_body_init(&a->body);
}

void hp_admission_clear(struct hp_admission *a)
{
    json_object_put(a->root);
    a->root = NULL;
    hp_findings_reset(&a->findings);
}

void hp_admission_cleanup(struct hp_admission *a)
{
    json_object_put(a->root);
    a->root = NULL;
    if (a->tok != NULL) {
        json_tokener_free(a->tok);
        a->tok = NULL;
    }
    hp_findings_cleanup(&a->findings);
    hp_admission_body_cleanup(&a->body);
}

const char *hp_decision_name(enum hp_decision d)
{
    switch (d) {
    case HP_DECISION_ALLOWED:
        return "allowed";
    case HP_DECISION_DENIED:
        return "denied";
    case HP_DECISION_WARNED:
        return "warned";
    }
    return "unknown";
}

const char *hp_skip_name(enum hp_skip s)
{
    switch (s) {
    case HP_SKIP_NONE:
        return "none";
    case HP_SKIP_OPERATION:
        return "operation";
    case HP_SKIP_SUBRESOURCE:
        return "subresource";
    case HP_SKIP_UNCHANGED:
        return "unchanged";
    case HP_SKIP_NO_POD_SPEC:
        return "no-pod-spec";
    }
    return "unknown";
}

static enum hp_err bad_json(const char *body, size_t scanned, size_t at,
                            enum json_tokener_error jerr, struct hp_error *err)
{
    /* json-c stops at a NUL as if the input ended there: name the byte. */
    const char *nul = memchr(body, '\0', scanned);
    if (nul != NULL) {
        return hp_error_set(err, HP_ERR_INVALID, "invalid JSON at byte %zu: NUL byte",
                            (size_t)(nul - body));
    }
    if (jerr == json_tokener_error_depth) {
        return hp_error_set(err, HP_ERR_INVALID,
                            "invalid JSON at byte %zu: nesting depth exceeds %d", at,
                            HP_ADMISSION_MAX_DEPTH);
    }
    return hp_error_set(err, HP_ERR_INVALID, "invalid JSON at byte %zu: %s", at,
                        json_tokener_error_desc(jerr));
}

/* The first "\u0000" escape in body (a "u0000" preceded by an odd run of
 * backslashes), or NULL. */
static const char *escaped_nul(const char *body, size_t len)
{
    const char *end = body + len;
    for (const char *p = body; (p = memchr(p, '\\', (size_t)(end - p))) != NULL;) {
        const char *run = p;
        while (p < end && *p == '\\') {
            p++;
        }
        /* An odd run ends in a backslash that escapes what follows it. */
        if ((p - run) % 2 == 1 && end - p >= 5 && memcmp(p, "u0000", 5) == 0) {
            return p - 1;
        }
    }
    return NULL;
}

/* Parses text[0..len) with json-c into *root (NULL on error, nothing to
 * free): exactly one JSON value, then only whitespace. Errors name byte
 * offsets in text. */
static enum hp_err parse_json_c(struct hp_admission *a, const char *text, size_t len,
                                struct json_object **root, struct hp_error *err)
{
    json_tokener_reset(a->tok);
    *root = json_tokener_parse_ex(a->tok, text, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(a->tok);
    size_t end = json_tokener_get_parse_end(a->tok);
    if (jerr == json_tokener_continue) {
        /* The input ended inside a value. A NUL tells json-c so, which
         * completes a bare number and makes anything else an error. */
        *root = json_tokener_parse_ex(a->tok, "", 1);
        jerr = json_tokener_get_error(a->tok);
        end = len;
    }
    enum hp_err rc = HP_OK;
    if (jerr != json_tokener_success) {
        rc = bad_json(text, end < len ? end + 1 : len, end, jerr, err);
    }
    for (size_t i = end; rc == HP_OK && i < len; i++) {
        char c = text[i];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            rc = hp_error_set(err, HP_ERR_INVALID, "invalid JSON at byte %zu: %s", i,
                              c == '\0' ? "NUL byte" : "trailing data");
        }
    }
    if (rc != HP_OK) {
        json_object_put(*root);
        *root = NULL;
    }
    return rc;
}

/* json-c's own words for a fault it finds too, when the tree it would build
 * before finding it is small (a hostile body must not make json-c allocate
 * hundreds of times its size just to name a fault). */
#define WORDING_MAX_COST (1u << 20)

void hp_admission_body_init(struct hp_admission_body *b)
{
    memset(b, 0, sizeof(*b));
    hp_buf_init(&b->text, 0);
}

void hp_admission_body_cleanup(struct hp_admission_body *b)
{
    hp_buf_cleanup(&b->text);
    memset(b, 0, sizeof(*b));
}

enum hp_err hp_admission_prepare(struct hp_admission *a, const char *body, size_t len,
                                 struct hp_admission_body *b, struct hp_error *err)
{
    hp_buf_reset(&b->text);
    b->cost = 0;
    memset(b->same_spec, 0, sizeof(b->same_spec));
    if (len == 0) {
        return hp_error_set(err, HP_ERR_INVALID, "empty request body");
    }
    if (len > INT_MAX) {
        return hp_error_set(err, HP_ERR_LIMIT, "request body: %zu bytes is too large", len);
    }
    /* json-c's own UTF-8 check lets overlong forms, surrogates and code
     * points above U+10FFFF through. */
    size_t bad = 0;
    if (!hp_utf8_valid(body, len, &bad)) {
        return hp_error_set(err, HP_ERR_INVALID, "invalid JSON at byte %zu: invalid UTF-8", bad);
    }
    /* json-c cuts object keys at a NUL, so "privileged\u0000x" would alias
     * "privileged" while the API server keeps them apart: refuse them all. */
    const char *nul = escaped_nul(body, len);
    if (nul != NULL) {
        return hp_error_set(err, HP_ERR_INVALID,
                            "invalid JSON at byte %zu: \\u0000 (NUL) is not accepted in strings",
                            (size_t)(nul - body));
    }
    struct hp_json_problem problem;
    struct hp_json_prune pr = {.root = hp_policy_read_set(), .out = &b->text};
    /* The copy is never longer than the body: one allocation, charged as
     * such by the server. */
    hp_buf_reserve(&b->text, len);
    if (!hp_json_scan(body, len, HP_ADMISSION_MAX_DEPTH, &pr, &problem)) {
        hp_buf_reset(&b->text);
        /* Where json-c finds a fault too, describe it in json-c's words;
         * json-c alone accepts a few forms (NaN, single quotes, "1.", a raw
         * tab in a string) that JSON does not. */
        struct json_object *tree = NULL;
        if (hp_json_cost(&pr.all) <= WORDING_MAX_COST &&
            parse_json_c(a, body, len, &tree, err) != HP_OK) {
            return HP_ERR_INVALID;
        }
        json_object_put(tree);
        return hp_error_set(err, HP_ERR_INVALID, "invalid JSON at byte %zu: %s", problem.at,
                            problem.what);
    }
    /* An UPDATE leaves a pod spec unchanged when its bytes are the same as
     * oldObject's: the API server encodes both with one encoder (Go sorts map
     * keys), so equal specs are equal bytes. A member name with an escape
     * on either side could hide a second spec from the byte ranges: then
     * nothing counts as unchanged. */
    for (size_t k = 0; k < HP_MARK_SPECS; k++) {
        const size_t *x = pr.spec[0][k];
        const size_t *y = pr.spec[1][k];
        b->same_spec[k] = pr.has_spec[0][k] && pr.has_spec[1][k] && !pr.escaped[0] &&
                          !pr.escaped[1] && x[1] - x[0] == y[1] - y[0] &&
                          memcmp(body + x[0], body + y[0], x[1] - x[0]) == 0;
    }
    b->cost = hp_json_cost(&pr.kept);
    if (a->full_parse) {
        hp_buf_reset(&b->text);
        hp_buf_append(&b->text, body, len);
        b->cost = hp_json_cost(&pr.all);
    }
    return HP_OK;
}

/* Whether the pod-level AppArmor annotations, which the engine reads from the
 * pod (or template) metadata, are the same in both. */
static bool same_apparmor(struct json_object *meta, struct json_object *old_meta)
{
    static const char prefix[] = "container.apparmor.security.beta.kubernetes.io/";
    struct json_object *ann = hp_k8s_field(meta, "annotations");
    struct json_object *old = hp_k8s_field(old_meta, "annotations");
    size_t n = 0;
    size_t n_old = 0;
    if (json_object_is_type(ann, json_type_object)) {
        json_object_object_foreach(ann, key, val)
        {
            if (strncmp(key, prefix, sizeof(prefix) - 1) != 0) {
                continue;
            }
            struct json_object *v = NULL;
            if (!json_object_is_type(old, json_type_object) ||
                !json_object_object_get_ex(old, key, &v) || !json_object_equal(val, v)) {
                return false;
            }
            n++;
        }
    }
    if (json_object_is_type(old, json_type_object)) {
        json_object_object_foreach(old, key, val)
        {
            (void)val;
            n_old += strncmp(key, prefix, sizeof(prefix) - 1) == 0;
        }
    }
    return n == n_old;
}

/* An UPDATE that leaves the pod spec byte for byte as it was, and the
 * AppArmor annotations. Pod Security Admission skips these too, so
 * that metadata-only updates of a violating object never get stuck. */
static bool unchanged(const struct hp_admission_request *r, enum hp_workload w,
                      const struct hp_admission_body *b)
{
    struct hp_podspec now;
    struct hp_podspec old;
    if (hp_k8s_podspec_find(r->object, w, &now, NULL) != HP_OK ||
        hp_k8s_podspec_find(r->old_object, w, &old, NULL) != HP_OK) {
        return false;
    }
    size_t k = w == HP_WORKLOAD_POD           ? 0
               : w == HP_WORKLOAD_CRONJOB     ? HP_MARK_CRON_SPEC - HP_MARK_SPEC
               : w == HP_WORKLOAD_PODTEMPLATE ? HP_MARK_PODTEMPLATE_SPEC - HP_MARK_SPEC
                                              : HP_MARK_TEMPLATE_SPEC - HP_MARK_SPEC;
    return b->same_spec[k] && same_apparmor(now.metadata, old.metadata);
}

/* Runs the engine on request.object unless the request is one that is never
 * evaluated; res->skip says why not. */
static enum hp_err evaluate(struct hp_admission *a, const struct hp_admission_ctx *ctx,
                            const struct hp_admission_body *b, const struct hp_admission_request *r,
                            struct hp_admission_result *res, struct hp_error *err)
{
    if (r->op == HP_ADMISSION_DELETE || r->op == HP_ADMISSION_CONNECT) {
        res->skip = HP_SKIP_OPERATION;
        return HP_OK;
    }
    if (r->sub_resource != NULL && strcmp(r->sub_resource, "ephemeralcontainers") != 0) {
        res->skip = HP_SKIP_SUBRESOURCE;
        return HP_OK;
    }
    char api_version[512];
    int n = r->group[0] == '\0'
                ? snprintf(api_version, sizeof(api_version), "%s", r->version)
                : snprintf(api_version, sizeof(api_version), "%s/%s", r->group, r->version);
    if (n < 0 || (size_t)n >= sizeof(api_version)) {
        return hp_error_set(err, HP_ERR_INVALID, "request.kind: group and version too long");
    }
    enum hp_workload w = hp_k8s_workload(api_version, r->kind);
    if (w == HP_WORKLOAD_NONE) {
        res->skip = HP_SKIP_NO_POD_SPEC;
        return HP_OK;
    }
    if (r->op == HP_ADMISSION_UPDATE && unchanged(r, w, b)) {
        res->skip = HP_SKIP_UNCHANGED;
        return HP_OK;
    }
    struct hp_eval_input in = {
        .object = r->object,
        .api_version = api_version,
        .kind = r->kind,
        .ns = r->ns,
        .username = r->username,
        .now = ctx->now,
    };
    struct hp_error eval_err;
    hp_error_clear(&eval_err);
    enum hp_err rc = hp_policy_eval(&ctx->config->policy, &in, &a->findings, &eval_err);
    if (rc != HP_OK) {
        /* The engine names paths inside the object. */
        return hp_error_set(err, rc, "request.object.%s", eval_err.msg);
    }
    if (!a->findings.has_podspec) {
        res->skip = HP_SKIP_NO_POD_SPEC;
    }
    return HP_OK;
}

static void decide(struct hp_admission_result *res, const struct hp_findings *f)
{
    res->n_deny = f->n_deny;
    res->n_warn = f->n_warn;
    for (size_t i = 0; i < f->len; i++) {
        res->checks_fired |= 1u << f->items[i].check;
    }
    if (res->mode == HP_MODE_ENFORCE && f->n_deny > 0) {
        res->decision = HP_DECISION_DENIED;
    } else if (f->len > 0) {
        res->decision = HP_DECISION_WARNED;
    } else {
        res->decision = HP_DECISION_ALLOWED;
    }
}

enum hp_err hp_admission_handle(struct hp_admission *a, const struct hp_admission_ctx *ctx,
                                const char *body, size_t len, struct hp_admission_result *res,
                                struct hp_buf *out, struct hp_error *err)
{
    enum hp_err rc = hp_admission_prepare(a, body, len, &a->body, err);
    if (rc == HP_OK) {
        rc = hp_admission_handle_body(a, ctx, &a->body, res, out, err);
    } else {
        json_object_put(a->root);
        a->root = NULL;
        hp_findings_reset(&a->findings);
        hp_buf_reset(out);
        *res = (struct hp_admission_result){.uid = "",
                                            .kind = "",
                                            .ns = "",
                                            .name = "",
                                            .operation = "",
                                            .username = "",
                                            .findings = &a->findings};
    }
    /* Keep no more than 1 MiB of scratch between requests. */
    if (a->body.text.cap > (1u << 20)) {
        hp_admission_body_cleanup(&a->body);
        hp_admission_body_init(&a->body);
    }
    return rc;
}

enum hp_err hp_admission_handle_body(struct hp_admission *a, const struct hp_admission_ctx *ctx,
                                     const struct hp_admission_body *b,
                                     struct hp_admission_result *res, struct hp_buf *out,
                                     struct hp_error *err)
{
    struct hp_admission_request r;
    hp_buf_reset(out);
    json_object_put(a->root);
    a->root = NULL;
    hp_findings_reset(&a->findings);
    *res = (struct hp_admission_result){
        .uid = "",
        .kind = "",
        .ns = "",
        .name = "",
        .operation = "",
        .username = "",
        .findings = &a->findings,
    };
    enum hp_err rc = parse_json_c(a, b->text.data, b->text.len, &a->root, err);
    if (rc == HP_OK) {
        rc = hp_admission_request_decode(a->root, &r, err);
    }
    if (rc != HP_OK) {
        goto out;
    }
    res->uid = r.uid;
    res->kind = r.kind;
    res->ns = r.ns;
    res->name = r.name;
    res->operation = r.operation;
    res->username = r.username != NULL ? r.username : "";
    res->v1beta1 = r.v1beta1;
    res->dry_run = r.dry_run;
    res->mode = hp_config_mode_for(ctx->config, r.ns);
    rc = evaluate(a, ctx, b, &r, res, err);
    if (rc != HP_OK) {
        goto out;
    }
    decide(res, &a->findings);
    const char *profile = ctx->profile_name != NULL ? ctx->profile_name
                                                    : hp_profile_name(ctx->config->policy.profile);
    rc = hp_admission_response_encode(&r, res, profile, out, err);
out:
    if (rc != HP_OK) {
        hp_findings_reset(&a->findings);
        hp_buf_reset(out);
    }
    return rc;
}
