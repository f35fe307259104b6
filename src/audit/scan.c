/* SPDX-License-Identifier: Apache-2.0 */
/*
 * From bytes to report entries: splits a file into documents, unwraps Lists
 * and AdmissionReviews, and runs the engine on every object. Documents are
 * loaded one at a time and freed before the next, and the engine's findings
 * storage is held to half of what is left of the memory budget. Anything that
 * cannot be evaluated becomes an error entry; nothing is silently allowed.
 */
#include "internal.h"

#include "hardpod/admission.h"
#include "hardpod/k8s.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "Deployment shop/api" from an object, for error messages. */
static const char *object_label(struct json_object *obj, const char *ns, char *buf, size_t size)
{
    struct json_object *meta = hp_k8s_field(obj, "metadata");
    const char *kind = hp_k8s_string(hp_k8s_field(obj, "kind"));
    const char *name = hp_k8s_string(hp_k8s_field(meta, "name"));
    const char *own_ns = hp_k8s_string(hp_k8s_field(meta, "namespace"));
    if (own_ns != NULL) {
        ns = own_ns;
    }
    snprintf(buf, size, "%.64s %.64s%s%.253s", kind != NULL ? kind : "(no kind)",
             ns != NULL ? ns : "", ns != NULL ? "/" : "", name != NULL ? name : "(unnamed)");
    return buf;
}

/* Runs the engine with its findings storage held to what is left of the
 * budget (its own earlier charge included), and charges what it then holds.
 * Findings that did not fit make the object an error: the verdict is known,
 * but the report could not show why. */
static enum hp_err eval(struct aud_ctx *cx, const struct hp_eval_input *in, struct hp_error *err)
{
    struct hp_manifest_budget *b = &cx->budget;
    hp_manifest_budget_release(b, cx->findings_charged);
    cx->findings_charged = 0;
    /* Half: the report needs about as much again to copy what it keeps. At
     * least 1, because 0 would mean no limit. */
    size_t room = (b->limit - b->used) / 2;
    hp_findings_set_max_bytes(&cx->findings, room > 0 ? room : 1);
    enum hp_err rc = hp_policy_eval(cx->o->policy, in, &cx->findings, err);
    cx->findings_charged = hp_findings_bytes(&cx->findings);
    /* Cannot fail: the storage was held to less than what was left. */
    hp_manifest_budget_charge(b, cx->findings_charged);
    if (rc == HP_OK && cx->findings.n_dropped > 0) {
        char limit[160];
        rc = hp_error_set(
            err, HP_ERR_LIMIT, "%zu findings (%zu deny), of which %zu do not fit in %s",
            cx->findings.len + cx->findings.n_dropped, cx->findings.n_deny, cx->findings.n_dropped,
            hp_manifest_budget_describe(b, limit, sizeof(limit)));
    }
    return rc;
}

/* Evaluates one object. ns and username come from an AdmissionReview's
 * request (NULL otherwise). */
static void audit_object(struct aud_ctx *cx, const char *file, size_t line, struct json_object *obj,
                         const char *ns, const char *username)
{
    if (!json_object_is_type(obj, json_type_object)) {
        char what[64];
        aud_report_error(cx->report, file, line, "expected a Kubernetes object (a mapping), got %s",
                         hp_k8s_describe(obj, what, sizeof(what)));
        return;
    }
    /* The engine passes kinds it does not know; a Pod without apiVersion
     * would pass that way too, so half an identity is an error. A document
     * with neither (appsettings.json in a walked tree) is no Kubernetes
     * object: the report classifies it as skipped, never as a pass. */
    const char *api_version = hp_k8s_string(hp_k8s_field(obj, "apiVersion"));
    const char *kind = hp_k8s_string(hp_k8s_field(obj, "kind"));
    if ((api_version == NULL) != (kind == NULL)) {
        aud_report_error(cx->report, file, line,
                         "%s \"%.64s\" without %s: not an object the API server accepts",
                         kind != NULL ? "kind" : "apiVersion", kind != NULL ? kind : api_version,
                         kind != NULL ? "apiVersion" : "kind");
        return;
    }
    struct hp_eval_input in = {
        .object = obj,
        .ns = ns,
        .username = username,
        .now = cx->o->now,
    };
    struct hp_error err;
    hp_error_clear(&err);
    if (cx->on_object != NULL) {
        cx->on_object(cx->on_object_arg, file, line, obj);
    }
    enum hp_err rc = eval(cx, &in, &err);
    if (rc != HP_OK) {
        char label[400];
        aud_report_error(cx->report, file, line, "%s: cannot be evaluated: %s",
                         object_label(obj, ns, label, sizeof(label)), err.msg);
        return;
    }
    aud_report_resource(cx->report, file, line, obj, ns, &cx->findings);
}

/* What a review the decoder refused means to an audit: without a request it
 * is a response; without request.object there is nothing to evaluate. */
static const char *review_hint(struct json_object *review)
{
    struct json_object *req = NULL;
    if (!json_object_object_get_ex(review, "request", &req)) {
        return " (a response carries nothing to audit)";
    }
    if (json_object_is_type(req, json_type_object) &&
        !json_object_object_get_ex(req, "object", NULL)) {
        return " (nothing to audit)";
    }
    return "";
}

/* An AdmissionReview: the object under review is request.object, read by
 * the webhook's own decoder. */
static void audit_review(struct aud_ctx *cx, const char *file, size_t line,
                         struct json_object *review)
{
    struct hp_admission_review r;
    struct hp_error err;
    hp_error_clear(&err);
    if (hp_admission_review_decode(review, &r, &err) != HP_OK) {
        aud_report_error(cx->report, file, line, "AdmissionReview: %s%s", err.msg,
                         review_hint(review));
        return;
    }
    audit_object(cx, file, line, r.object, r.ns, r.username);
}

static bool is_list(struct json_object *obj, struct json_object **items)
{
    const char *kind = hp_k8s_string(hp_k8s_field(obj, "kind"));
    size_t n = kind != NULL ? strlen(kind) : 0;
    *items = hp_k8s_field(obj, "items");
    return n >= 4 && strcmp(kind + n - 4, "List") == 0 &&
           json_object_is_type(*items, json_type_array);
}

static void audit_doc(struct aud_ctx *cx, const char *file, const struct hp_manifest_doc *doc)
{
    struct json_object *obj = doc->obj;
    struct json_object *items = NULL;
    const char *kind = hp_k8s_string(hp_k8s_field(obj, "kind"));
    if (kind != NULL && strcmp(kind, "AdmissionReview") == 0) {
        audit_review(cx, file, doc->line, obj);
        return;
    }
    if (!is_list(obj, &items)) {
        audit_object(cx, file, doc->line, obj, NULL, NULL);
        return;
    }
    size_t n = json_object_array_length(items);
    for (size_t i = 0; i < n && !cx->report->stopped; i++) {
        size_t line = i < doc->n_item_lines ? doc->item_lines[i] : doc->line;
        struct json_object *item = json_object_array_get_idx(items, i);
        if (!json_object_is_type(item, json_type_object)) {
            char what[64];
            aud_report_error(cx->report, file, line,
                             "items[%zu]: expected a Kubernetes object (a mapping), got %s", i,
                             hp_k8s_describe(item, what, sizeof(what)));
            continue;
        }
        audit_object(cx, file, line, item, NULL, NULL);
    }
}

/* The loader's messages start with "line N: "; the source then carries that
 * line, which points at the problem rather than at the document start. */
static void doc_error(struct aud_ctx *cx, const char *file, const struct hp_manifest_doc *doc)
{
    const char *msg = doc->error;
    size_t line = doc->line;
    if (strncmp(msg, "line ", 5) == 0 && msg[5] >= '1' && msg[5] <= '9') {
        char *end = NULL;
        unsigned long long n = strtoull(msg + 5, &end, 10);
        if (end != msg + 5 && end[0] == ':' && end[1] == ' ' && n < 1000000000ULL) {
            line = (size_t)n;
            msg = end + 2;
        }
    }
    aud_report_error(cx->report, file, line, "%s", msg);
}

void aud_scan(struct aud_ctx *cx, const char *file, const char *data, size_t len)
{
    struct hp_manifest_reader r;
    struct hp_manifest_doc doc;
    struct hp_error err;
    hp_error_clear(&err);
    if (hp_manifest_reader_init(&r, data, len, &cx->limits, &cx->budget, &err) != HP_OK) {
        aud_report_error(cx->report, file, 0, "%s", err.msg);
    }
    /* One tree at a time: each is freed before the next is loaded. */
    while (!cx->report->stopped && hp_manifest_reader_next(&r, &doc)) {
        if (doc.error != NULL) {
            doc_error(cx, file, &doc);
        } else {
            audit_doc(cx, file, &doc);
        }
        hp_manifest_doc_cleanup(&doc);
    }
    hp_manifest_reader_cleanup(&r);
}
