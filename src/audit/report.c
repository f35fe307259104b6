/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The audit report model: resources and errors in input order, with the
 * counts the summary prints. Copies what it keeps, so the engine's findings
 * storage and the parsed documents can be reused or freed at once. Every
 * copy is charged to the run's budget first, and the report may hold at most
 * half of it, so that documents always have the other half; the first copy
 * that does not fit ends the report with an error that says so.
 */
#include "internal.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void aud_report_init(struct aud_report *r)
{
    memset(r, 0, sizeof(*r));
}

static void entry_cleanup(struct aud_entry *e)
{
    for (size_t i = 0; i < e->n_findings; i++) {
        struct aud_finding *f = &e->findings[i];
        free(f->container);
        free(f->path);
        free(f->message);
        free(f->fix);
    }
    free(e->findings);
    free(e->file);
    free(e->error);
    free(e->api_version);
    free(e->kind);
    free(e->ns);
    free(e->name);
    free(e->uid);
    free(e->owner_kind);
    free(e->owner_name);
    free(e->owner_uid);
    free(e->containers_at);
}

void aud_report_cleanup(struct aud_report *r)
{
    for (size_t i = 0; i < r->len; i++) {
        entry_cleanup(&r->entries[i]);
    }
    free(r->entries);
    if (r->budget != NULL) {
        hp_manifest_budget_release(r->budget, r->charged);
    }
    memset(r, 0, sizeof(*r));
}

static size_t str_cost(const char *s)
{
    return s != NULL ? hp_manifest_budget_malloc_cost(strlen(s) + 1) : 0;
}

/* An entry's record, with the slack of the doubling entries array, its
 * file name, and its slot in the sort index of the PolicyReport renderer
 * (AUD_RENDER_SLOT_BYTES), which is allocated only when the report is
 * printed, but out of what the report was charged. */
static size_t entry_cost(const char *file)
{
    return 2 * sizeof(struct aud_entry) + AUD_RENDER_SLOT_BYTES + str_cost(file);
}

static struct aud_entry *append(struct aud_report *r, const char *file, size_t line)
{
    if (r->len == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->entries = hp_xrealloc(r->entries, r->cap * sizeof(*r->entries));
    }
    struct aud_entry *e = &r->entries[r->len++];
    memset(e, 0, sizeof(*e));
    e->file = hp_xstrdup(file);
    e->line = line;
    e->top = SIZE_MAX;
    return e;
}

/* The entry that ends a report that ran out of budget. It is not charged:
 * there is one, and its size is fixed. */
static void stop(struct aud_report *r, const char *file, size_t line, const char *what)
{
    char limit[160];
    char used[32];
    struct aud_entry *e = append(r, file, line);
    char msg[640];

    snprintf(msg, sizeof(msg),
             "%.200s does not fit: the report may take half of %s and holds %s; auditing stopped "
             "here, and the inputs after this one were not read",
             what, hp_manifest_budget_describe(r->budget, limit, sizeof(limit)),
             hp_manifest_format_size(r->charged, used, sizeof(used)));
    e->error = hp_xstrdup(msg);
    r->n_errors++;
    r->stopped = true;
}

/* Charges cost for a new entry; false when it does not fit (the report is
 * then stopped) or was stopped before. */
static bool reserve(struct aud_report *r, const char *file, size_t line, size_t cost,
                    const char *what)
{
    if (r->stopped) {
        return false;
    }
    if (r->budget != NULL &&
        (cost > r->budget->limit / 2 - r->charged || !hp_manifest_budget_charge(r->budget, cost))) {
        stop(r, file, line, what);
        return false;
    }
    r->charged += cost;
    return true;
}

void aud_report_error(struct aud_report *r, const char *file, size_t line, const char *fmt, ...)
{
    char msg[HP_ERROR_MSG_MAX + 256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (!reserve(r, file, line, entry_cost(file) + str_cost(msg), "the report of this error")) {
        return;
    }
    struct aud_entry *e = append(r, file, line);
    e->error = hp_xstrdup(msg);
    r->n_errors++;
}

static char *dup_or_null(const char *s)
{
    return s != NULL ? hp_xstrdup(s) : NULL;
}

/* The string at obj.a (or obj.a.b), borrowed; NULL when absent or not a string. */
static const char *string_at(struct json_object *obj, const char *a, const char *b)
{
    struct json_object *v = NULL;
    if (!json_object_object_get_ex(obj, a, &v)) {
        return NULL;
    }
    if (b != NULL &&
        (!json_object_is_type(v, json_type_object) || !json_object_object_get_ex(v, b, &v))) {
        return NULL;
    }
    return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static size_t findings_cost(const struct hp_findings *f)
{
    size_t cost =
        f->len > 0 ? hp_manifest_budget_malloc_cost(f->len * sizeof(struct aud_finding)) : 0;
    for (size_t i = 0; i < f->len; i++) {
        const struct hp_finding *src = &f->items[i];
        cost += str_cost(src->container) + str_cost(src->path != NULL ? src->path : "") +
                str_cost(src->message != NULL ? src->message : "") + str_cost(src->fix);
    }
    return cost;
}

/* The controlling owner among metadata.ownerReferences (controller: true;
 * the API server allows one), or NULL. */
static struct json_object *controller_ref(struct json_object *obj)
{
    struct json_object *meta = NULL;
    struct json_object *refs = NULL;
    if (!json_object_object_get_ex(obj, "metadata", &meta) ||
        !json_object_is_type(meta, json_type_object) ||
        !json_object_object_get_ex(meta, "ownerReferences", &refs) ||
        !json_object_is_type(refs, json_type_array)) {
        return NULL;
    }
    size_t n = json_object_array_length(refs);
    for (size_t i = 0; i < n; i++) {
        struct json_object *ref = json_object_array_get_idx(refs, i);
        struct json_object *c = NULL;
        if (json_object_is_type(ref, json_type_object) &&
            json_object_object_get_ex(ref, "controller", &c) &&
            json_object_is_type(c, json_type_boolean) && json_object_get_boolean(c)) {
            return ref;
        }
    }
    return NULL;
}

void aud_report_resource(struct aud_report *r, const char *file, size_t line,
                         struct json_object *obj, const char *ns_fallback,
                         const struct hp_findings *f)
{
    const char *api_version = string_at(obj, "apiVersion", NULL);
    const char *kind = string_at(obj, "kind", NULL);
    const char *ns = string_at(obj, "metadata", "namespace");
    const char *name = string_at(obj, "metadata", "name");
    const char *uid = string_at(obj, "metadata", "uid");
    struct json_object *ref = controller_ref(obj);
    const char *owner_kind = ref != NULL ? string_at(ref, "kind", NULL) : NULL;
    const char *owner_name = ref != NULL ? string_at(ref, "name", NULL) : NULL;
    const char *owner_uid = ref != NULL ? string_at(ref, "uid", NULL) : NULL;
    if (ns == NULL) {
        ns = ns_fallback;
    }
    char at[256];
    enum aud_status status = aud_classify(obj, f, at, sizeof(at));
    const char *containers_at = status == AUD_NOT_EVALUATED ? at : NULL;
    size_t cost = entry_cost(file) + str_cost(api_version) + str_cost(kind) + str_cost(ns) +
                  str_cost(name) + str_cost(uid) + str_cost(owner_kind) + str_cost(owner_name) +
                  str_cost(owner_uid) + str_cost(containers_at) + findings_cost(f);
    char what[512]; /* room for every field at its cap: never truncated */
    snprintf(what, sizeof(what), "the report of %.64s %.64s%s%.253s (%zu findings)",
             kind != NULL ? kind : "(no kind)", ns != NULL ? ns : "", ns != NULL ? "/" : "",
             name != NULL ? name : "(unnamed)", f->len);
    if (!reserve(r, file, line, cost, what)) {
        return;
    }
    struct aud_entry *e = append(r, file, line);
    e->api_version = dup_or_null(api_version);
    e->kind = dup_or_null(kind);
    e->ns = dup_or_null(ns);
    e->name = dup_or_null(name);
    e->uid = dup_or_null(uid);
    e->owner_kind = dup_or_null(owner_kind);
    e->owner_name = dup_or_null(owner_name);
    e->owner_uid = dup_or_null(owner_uid);
    e->status = status;
    e->containers_at = dup_or_null(containers_at);
    if (f->len > 0) {
        e->findings = hp_xcalloc(f->len, sizeof(*e->findings));
    }
    for (size_t i = 0; i < f->len; i++) {
        const struct hp_finding *src = &f->items[i];
        struct aud_finding *dst = &e->findings[i];
        dst->check = src->check;
        dst->action = src->action;
        dst->container = dup_or_null(src->container);
        dst->path = hp_xstrdup(src->path != NULL ? src->path : "");
        dst->message = hp_xstrdup(src->message != NULL ? src->message : "");
        dst->fix = dup_or_null(src->fix);
    }
    e->n_findings = f->len;
    e->n_deny = f->n_deny;
    e->n_warn = f->n_warn;
    r->n_resources++;
    if (kind != NULL) {
        r->n_objects++;
    }
    if (status == AUD_SKIPPED) {
        r->n_skipped++;
    } else if (status == AUD_NOT_EVALUATED) {
        r->n_not_evaluated++;
    } else if (e->n_deny > 0) {
        r->n_denied++;
    } else if (e->n_warn > 0) {
        r->n_warned++;
    } else {
        r->n_passed++;
    }
}

unsigned aud_fail_on(unsigned fail_on)
{
    return fail_on != 0 ? fail_on : HP_AUDIT_FAIL_DENY;
}

bool aud_entry_fails(const struct aud_entry *e, unsigned fail_on)
{
    fail_on = aud_fail_on(fail_on);
    if (e->error != NULL || (fail_on & HP_AUDIT_FAIL_NEVER) != 0) {
        return false;
    }
    switch (e->status) {
    case AUD_EVALUATED:
        return (e->n_deny > 0 && (fail_on & (HP_AUDIT_FAIL_DENY | HP_AUDIT_FAIL_WARN)) != 0) ||
               (e->n_warn > 0 && (fail_on & HP_AUDIT_FAIL_WARN) != 0);
    case AUD_NOT_EVALUATED:
        return (fail_on & HP_AUDIT_FAIL_NOT_EVALUATED) != 0;
    case AUD_SKIPPED:
    default:
        return false;
    }
}

/* Read errors are never turned into success: --fail-on never silences
 * findings, not inputs that could not be audited. */
int aud_report_fail_code(const struct aud_report *r, unsigned fail_on)
{
    if (r->n_errors > 0) {
        return 2;
    }
    fail_on = aud_fail_on(fail_on);
    if ((fail_on & HP_AUDIT_FAIL_NEVER) != 0) {
        return 0;
    }
    bool fail = r->n_denied > 0 && (fail_on & (HP_AUDIT_FAIL_DENY | HP_AUDIT_FAIL_WARN)) != 0;
    fail = fail || (r->n_warned > 0 && (fail_on & HP_AUDIT_FAIL_WARN) != 0);
    fail = fail || (r->n_not_evaluated > 0 && (fail_on & HP_AUDIT_FAIL_NOT_EVALUATED) != 0);
    return fail ? 1 : 0;
}

int aud_report_exit_code(const struct aud_report *r)
{
    return aud_report_fail_code(r, 0);
}

const char *aud_entry_verdict(const struct aud_entry *e)
{
    if (e->status == AUD_SKIPPED) {
        return "SKIP";
    }
    if (e->status == AUD_NOT_EVALUATED) {
        return "NOT EVALUATED";
    }
    return e->n_deny > 0 ? "DENY" : e->n_warn > 0 ? "WARN" : "PASS";
}

const char *aud_entry_reason(const struct aud_entry *e, char *buf, size_t size)
{
    if (e->status == AUD_NOT_EVALUATED) {
        snprintf(buf, size, "hardpod cannot read kind %s %s, which holds containers at %s",
                 e->api_version != NULL ? e->api_version : "", e->kind != NULL ? e->kind : "",
                 e->containers_at != NULL ? e->containers_at : "(unknown)");
    } else if (e->status == AUD_SKIPPED && e->kind == NULL) {
        snprintf(buf, size, "not a Kubernetes object (no apiVersion and kind)");
    } else if (e->status == AUD_SKIPPED) {
        snprintf(buf, size, "no pod spec");
    } else {
        snprintf(buf, size, "evaluated");
    }
    return buf;
}

const char *aud_entry_label(const struct aud_entry *e, char *buf, size_t size)
{
    snprintf(buf, size, "%s %s%s%s", e->kind != NULL ? e->kind : "(no kind)",
             e->ns != NULL ? e->ns : "", e->ns != NULL ? "/" : "",
             e->name != NULL ? e->name : "(unnamed)");
    return buf;
}

char *aud_entry_source(const struct aud_entry *e)
{
    size_t size = strlen(e->file) + 32;
    char *s = hp_xmalloc(size);
    if (e->line > 0) {
        snprintf(s, size, "%s:%zu", e->file, e->line);
    } else {
        snprintf(s, size, "%s", e->file);
    }
    return s;
}
