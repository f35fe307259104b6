/* SPDX-License-Identifier: Apache-2.0 */
/*
 * From bytes to report entries, as kubectl reads them: tells a JSON stream
 * from YAML, splits YAML into documents, unwraps lists (any object with an
 * items member) and AdmissionReviews, and runs the engine on every object.
 * Documents are loaded one at a time and freed before the next, the items
 * of a list one at a time too, and the engine's findings storage is held to
 * half of what is left of the memory budget. Anything that cannot be
 * evaluated becomes an error entry; nothing is silently allowed.
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
enum hp_err aud_eval(struct aud_ctx *cx, const struct hp_eval_input *in, struct hp_error *err)
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
        .image = cx->image_lookup,
        .image_arg = cx,
    };
    struct hp_error err;
    hp_error_clear(&err);
    if (cx->on_object != NULL) {
        cx->on_object(cx->on_object_arg, file, line, obj);
    }
    enum hp_err rc = aud_eval(cx, &in, &err);
    if (rc != HP_OK) {
        char label[400];
        aud_report_error(cx->report, file, line, "%s: cannot be evaluated: %s",
                         object_label(obj, ns, label, sizeof(label)), err.msg);
        return;
    }
    aud_report_resource(cx->report, file, line, obj, ns, &cx->findings);
    if (cx->o->format == HP_AUDIT_PATCH) {
        aud_patch_entry(cx, &in);
    }
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

/* "Empty" as the unstructured decoder reads kind and apiVersion: absent,
 * not a string, or "". */
static const char *nonempty(struct json_object *v)
{
    const char *s = hp_k8s_string(v);
    return s != NULL && s[0] != '\0' ? s : NULL;
}

struct aud_pending {
    struct json_object *obj; /* one reference */
    size_t line;
    size_t index;
    size_t cost;
};

/* The length of the kind that items inherit from a list of this kind. */
static size_t item_kind_len(const char *kind)
{
    size_t n = strlen(kind);
    return n >= 4 && strcmp(kind + n - 4, "List") == 0 ? n - 4 : n;
}

/* The unstructured decoder's rule for lists: the item kind is the list's
 * kind without a "List" suffix, the apiVersion the list's. */
static void set_inherited(struct aud_list *l, const char *kind, const char *api_version)
{
    size_t n = item_kind_len(kind);
    free(l->kind);
    free(l->api_version);
    l->kind = hp_xstrndup(kind, n);
    l->api_version = hp_xstrdup(api_version != NULL ? api_version : "");
}

void aud_list_begin(struct aud_ctx *cx, struct aud_list *l, const char *file, size_t line,
                    struct json_object *head)
{
    (void)cx;
    memset(l, 0, sizeof(*l));
    l->file = file;
    l->line = line;
    const char *kind = nonempty(hp_k8s_field(head, "kind"));
    if (kind != NULL) {
        set_inherited(l, kind, hp_k8s_string(hp_k8s_field(head, "apiVersion")));
        l->early = true;
    }
}

/* Evaluates one item whose kind is settled. */
static void list_eval(struct aud_ctx *cx, struct aud_list *l, size_t line, size_t index,
                      struct json_object *item, bool inherit)
{
    if (inherit) {
        if (l->kind[0] == '\0') {
            aud_report_error(cx->report, l->file, line,
                             "items[%zu] has no kind and no apiVersion, and the list's kind gives "
                             "none: kubectl refuses it",
                             index);
            return;
        }
        if (json_object_object_add(item, "kind", json_object_new_string(l->kind)) != 0 ||
            json_object_object_add(item, "apiVersion", json_object_new_string(l->api_version)) !=
                0) {
            hp_oom();
        }
    }
    audit_object(cx, l->file, line, item, NULL, NULL);
}

void aud_list_item(struct aud_ctx *cx, struct aud_list *l, size_t line, struct json_object *item)
{
    size_t index = l->count++;
    if (cx->report->stopped) {
        return;
    }
    if (!json_object_is_type(item, json_type_object)) {
        char what[64];
        aud_report_error(cx->report, l->file, line,
                         "items[%zu]: expected a Kubernetes object (a mapping), got %s", index,
                         hp_k8s_describe(item, what, sizeof(what)));
        return;
    }
    if (json_object_is_type(hp_k8s_field(item, "items"), json_type_array)) {
        aud_report_error(cx->report, l->file, line,
                         "items[%zu] is itself a list (it has an items array): kubectl refuses "
                         "a list inside a list, and creates none of the objects of either",
                         index);
        return;
    }
    bool inherit = nonempty(hp_k8s_field(item, "kind")) == NULL &&
                   nonempty(hp_k8s_field(item, "apiVersion")) == NULL;
    if (!inherit || l->early) {
        list_eval(cx, l, line, index, item, inherit);
        return;
    }
    /* Its kind comes from the list's, which comes later: it waits, charged
     * as a tree of its serialised size (json-c's tree is never more than
     * ten times the text it was parsed from, as json_stream.c counts). */
    size_t text = strlen(json_object_to_json_string_ext(item, JSON_C_TO_STRING_PLAIN));
    size_t cost = 10 * text + 1024;
    if (!hp_manifest_budget_charge(&cx->budget, cost)) {
        char limit[160];
        aud_report_error(cx->report, l->file, line,
                         "items[%zu] has no kind and waits for the list's, which comes after the "
                         "items, and does not fit in %s",
                         index, hp_manifest_budget_describe(&cx->budget, limit, sizeof(limit)));
        return;
    }
    if (l->n_pending == l->cap_pending) {
        l->cap_pending = l->cap_pending ? l->cap_pending * 2 : 8;
        l->pending = hp_xrealloc(l->pending, l->cap_pending * sizeof(*l->pending));
    }
    l->pending[l->n_pending++] = (struct aud_pending){
        .obj = json_object_get(item), .line = line, .index = index, .cost = cost};
    l->pending_charged += cost;
}

void aud_list_end(struct aud_ctx *cx, struct aud_list *l, struct json_object *obj)
{
    const char *kind = nonempty(hp_k8s_field(obj, "kind"));
    const char *api_version = hp_k8s_string(hp_k8s_field(obj, "apiVersion"));
    if (obj != NULL && kind == NULL) {
        aud_report_error(cx->report, l->file, l->line,
                         "an object with an items member is a list to kubectl, and a list "
                         "without kind is refused%s",
                         l->count > 0 ? " (its items were audited nonetheless)" : "");
    } else if (obj != NULL && l->early &&
               (strlen(l->kind) != item_kind_len(kind) ||
                strncmp(l->kind, kind, strlen(l->kind)) != 0 ||
                strcmp(l->api_version, api_version != NULL ? api_version : "") != 0)) {
        /* A later duplicate key changed the list's kind after items took it. */
        aud_report_error(cx->report, l->file, l->line,
                         "the list's kind or apiVersion is given twice, before and after its "
                         "items: hardpod cannot read it as kubectl does");
    } else if (obj != NULL && l->n_pending > 0) {
        set_inherited(l, kind, api_version);
        for (size_t i = 0; i < l->n_pending && !cx->report->stopped; i++) {
            struct aud_pending *p = &l->pending[i];
            list_eval(cx, l, p->line, p->index, p->obj, true);
        }
    }
    for (size_t i = 0; i < l->n_pending; i++) {
        json_object_put(l->pending[i].obj);
    }
    hp_manifest_budget_release(&cx->budget, l->pending_charged);
    free(l->pending);
    free(l->kind);
    free(l->api_version);
    memset(l, 0, sizeof(*l));
}

/* A document that is one object; item_lines (may be NULL) are the lines
 * of the elements of its items. */
static void doc_object(struct aud_ctx *cx, const char *file, size_t line, struct json_object *obj,
                       const size_t *item_lines, size_t n_item_lines)
{
    struct json_object *items = NULL;
    if (!json_object_is_type(obj, json_type_object) ||
        !json_object_object_get_ex(obj, "items", &items)) {
        const char *kind = hp_k8s_string(hp_k8s_field(obj, "kind"));
        if (kind != NULL && strcmp(kind, "AdmissionReview") == 0) {
            audit_review(cx, file, line, obj);
        } else {
            audit_object(cx, file, line, obj, NULL, NULL);
        }
        return;
    }
    /* Any object with items is a list to the unstructured decoder, whatever
     * its kind: kubectl creates its items, not the object. items: null is a
     * list of nothing. */
    if (items != NULL && !json_object_is_type(items, json_type_array)) {
        char what[64];
        aud_report_error(cx->report, file, line,
                         "items: expected a list, got %s; an object with an items member is a "
                         "list to kubectl, which refuses this one",
                         hp_k8s_describe(items, what, sizeof(what)));
        return;
    }
    struct aud_list l;
    aud_list_begin(cx, &l, file, line, obj);
    size_t n = items != NULL ? json_object_array_length(items) : 0;
    for (size_t i = 0; i < n && !cx->report->stopped; i++) {
        size_t at = i < n_item_lines ? item_lines[i] : line;
        aud_list_item(cx, &l, at, json_object_array_get_idx(items, i));
    }
    aud_list_end(cx, &l, obj);
}

void aud_doc_object(struct aud_ctx *cx, const char *file, size_t line, struct json_object *obj)
{
    doc_object(cx, file, line, obj, NULL, 0);
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

/* The YAML documents of one chunk of a stream, and the list whose items the
 * loader hands over one at a time. */
struct yaml_chunk {
    struct aud_ctx *cx;
    const char *file;
    struct aud_list list;
    bool in_list;
};

static void on_item(void *arg, struct json_object *item, size_t line, struct json_object *root,
                    size_t root_line)
{
    struct yaml_chunk *c = arg;
    if (!c->in_list) {
        aud_list_begin(c->cx, &c->list, c->file, root_line, root);
        c->in_list = true;
    }
    aud_list_item(c->cx, &c->list, line, item);
}

/* Reads the documents of data[0..len), whose first line is line line0 + 1
 * of the input. */
static void scan_yaml(struct aud_ctx *cx, const char *file, const char *data, size_t len,
                      size_t line0)
{
    struct hp_manifest_reader r;
    struct hp_manifest_doc doc;
    struct hp_error err;
    struct yaml_chunk c = {.cx = cx, .file = file};
    hp_error_clear(&err);
    if (hp_manifest_reader_init(&r, data, len, &cx->limits, &cx->budget, &err) != HP_OK) {
        aud_report_error(cx->report, file, line0 + 1, "%s", err.msg);
    }
    hp_manifest_reader_set_first_line(&r, line0);
    r.on_item = on_item;
    r.on_item_arg = &c;
    /* Positions let each finding point at its field's line and column. */
    r.positions = true;
    /* One tree at a time: each is freed before the next is loaded, and the
     * items of a list go one by one. */
    while (!cx->report->stopped && hp_manifest_reader_next(&r, &doc)) {
        if (doc.error != NULL) {
            doc_error(cx, file, &doc);
        }
        if (c.in_list) {
            aud_list_end(cx, &c.list, doc.error == NULL ? doc.obj : NULL);
            c.in_list = false;
        } else if (doc.error == NULL) {
            doc_object(cx, file, doc.line, doc.obj, doc.item_lines, doc.n_item_lines);
        }
        hp_manifest_doc_cleanup(&doc);
    }
    if (c.in_list) {
        aud_list_end(cx, &c.list, NULL);
    }
    hp_manifest_reader_cleanup(&r);
}

/* Whether s[0..n) starts a document as kubectl's YAML reader splits a
 * stream: any line that begins with "---". */
static bool starts_document(const unsigned char *s, size_t n)
{
    return n >= 3 && s[0] == '-' && s[1] == '-' && s[2] == '-';
}

/* Reads a YAML stream one document at a time: its text is gathered up to
 * the next line that begins with "---" (the loader splits what it gathers
 * further, and says what such a line means), held to max_file_bytes, and
 * read before the next is gathered. */
static void read_yaml(struct aud_ctx *cx, const char *file, struct aud_src *s)
{
    struct aud_text doc = {.max = cx->max_file_bytes};
    size_t line = 0;   /* lines consumed */
    size_t first = 0;  /* the document's first line, 0-based */
    bool skip = false; /* the document is too large: drop it up to the next one */
    /* kubectl's reader has a line in its buffer: a separator then ends the
     * document and is dropped. Into an empty buffer a separator is written
     * as the first line (`---#: |` is then a key). */
    bool held = false;
    char limit[160];
    bool over = false;

    while (!cx->report->stopped && aud_src_need(s, 3) > 0) {
        const unsigned char *p = s->p + s->pos;
        bool dropped = false;
        if (starts_document(p, s->len - s->pos) && (held || skip)) {
            if (!skip) {
                scan_yaml(cx, file, doc.data, doc.len, first);
            }
            doc.len = 0;
            first = line;
            skip = false;
            held = false;
            /* The separator goes to the loader, whose splitter checks it
             * and, after a line, drops it too: the new document starts with
             * an empty line, counted before the separator's. */
            if (aud_text_append(&doc, &cx->budget, (const unsigned char *)"\n", 1, &over)) {
                first = line - 1;
                dropped = true;
            }
        }
        /* The rest of the line, block by block. */
        for (bool eol = false; !eol && aud_src_peek(s) >= 0;) {
            p = s->p + s->pos;
            size_t avail = s->len - s->pos;
            const unsigned char *nl = memchr(p, '\n', avail);
            size_t n = nl != NULL ? (size_t)(nl - p) + 1 : avail;
            eol = nl != NULL;
            if (!skip && !aud_text_append(&doc, &cx->budget, p, n, &over)) {
                if (over) {
                    aud_report_error(cx->report, file, first + 1,
                                     "a YAML document larger than the limit of %zu bytes; "
                                     "skipped up to the next --- (a cluster dump is read "
                                     "item by item at any size as JSON: kubectl get -o json)",
                                     doc.max);
                } else {
                    aud_report_error(
                        cx->report, file, first + 1,
                        "cannot read: a YAML document of more than %zu bytes does not fit in %s",
                        doc.len, hp_manifest_budget_describe(&cx->budget, limit, sizeof(limit)));
                }
                skip = true;
                aud_text_cleanup(&doc, &cx->budget);
            }
            s->pos += n;
        }
        held = held || !dropped;
        line++;
    }
    if (!skip && doc.len > 0 && !cx->report->stopped) {
        scan_yaml(cx, file, doc.data, doc.len, first);
    }
    aud_text_cleanup(&doc, &cx->budget);
}

void aud_scan_src(struct aud_ctx *cx, const char *file, struct aud_src *s)
{
    if (aud_src_is_json(s)) {
        aud_scan_json(cx, file, s);
    } else {
        read_yaml(cx, file, s);
    }
}

void aud_scan(struct aud_ctx *cx, const char *file, const char *data, size_t len)
{
    struct aud_src s = {.p = (const unsigned char *)data, .len = data != NULL ? len : 0};
    aud_scan_src(cx, file, &s);
}
