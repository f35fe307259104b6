/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The report as wgpolicyk8s.io/v1alpha2 objects, in a v1 List that
 * `kubectl apply -f` accepts: a PolicyReport per namespace and a
 * ClusterPolicyReport for cluster-scoped resources and input errors. One
 * result per (resource, check that is on): pass, fail or warn; a resource
 * that was not evaluated is one "notEvaluated" result (skip, or fail under
 * --fail-on not-evaluated). Documents with no pod spec are left out, and
 * so are resources folded into their owner by grouping.
 */
#include "internal.h"

#include "hardpod/buf.h"
#include "hardpod/utf8.h"

#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define API_VERSION "wgpolicyk8s.io/v1alpha2"
#define POLICY "hardpod"

struct pr {
    const struct aud_report *r;
    const struct hp_policy *p;
    unsigned fail_on;
    int64_t now;
};

/* The namespace of the report an entry goes to; NULL for the cluster's. A
 * manifest without metadata.namespace is created in the default namespace
 * by kubectl, unless its kind is cluster-scoped. Which kinds are is the API
 * server's knowledge, not the manifest's: every pod-bearing built-in is
 * namespaced, and of the custom kinds hardpod cannot read, the ones named
 * Cluster<Something> (ClusterAnalysisTemplate, ClusterWorkflowTemplate) are
 * taken as cluster-scoped. */
static const char *report_ns(const struct aud_entry *e)
{
    if (e->error != NULL) {
        return NULL;
    }
    if (e->ns != NULL) {
        return e->ns;
    }
    const char *k = e->kind != NULL ? e->kind : "";
    if (e->status != AUD_EVALUATED && strncmp(k, "Cluster", 7) == 0 && k[7] >= 'A' && k[7] <= 'Z') {
        return NULL;
    }
    return "default";
}

/* Whether the entry is in the PolicyReport output at all: a Dockerfile or
 * an image config is no cluster resource that a report could name. */
static bool reported(const struct aud_entry *e)
{
    return !e->image && (e->error != NULL || e->status != AUD_SKIPPED);
}

/* An entry of the output, with the namespace of its report. */
struct slot {
    const char *ns; /* NULL: the cluster's report */
    size_t i;
};

/* Namespaces in byte order, the cluster last, input order inside each. */
static int by_report(const void *a, const void *b)
{
    const struct slot *x = a;
    const struct slot *y = b;
    int c = 0;
    if (x->ns == NULL || y->ns == NULL) {
        c = (x->ns == NULL) - (y->ns == NULL);
    } else {
        c = strcmp(x->ns, y->ns);
    }
    return c != 0 ? c : (x->i > y->i) - (x->i < y->i);
}

static bool same_ns(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

struct summary {
    size_t pass, fail, warn, error, skip;
};

/* Adds s (if non-NULL) as a string member. The inputs' text is UTF-8 (the
 * loader refuses anything else), but file names need not be: a byte that
 * is not UTF-8 becomes the text "\xNN", so the report stays valid JSON for
 * kubectl. */
static void add_str(struct json_object *o, const char *key, const char *s)
{
    if (s == NULL) {
        return;
    }
    size_t len = strlen(s);
    if (hp_utf8_valid(s, len, NULL)) {
        json_object_object_add(o, key, json_object_new_string(s));
        return;
    }
    struct hp_buf b;
    hp_buf_init(&b, 0);
    for (size_t i = 0; i < len;) {
        size_t n = hp_utf8_len(s + i, len - i);
        if (n == 0) {
            hp_buf_printf(&b, "\\x%02x", (unsigned char)s[i]);
            i++;
        } else {
            hp_buf_append(&b, s + i, n);
            i += n;
        }
    }
    json_object_object_add(o, key, json_object_new_string(hp_buf_str(&b)));
    hp_buf_cleanup(&b);
}

static struct json_object *resource_ref(const struct aud_entry *e, const char *ns)
{
    struct json_object *ref = json_object_new_object();
    add_str(ref, "apiVersion", e->api_version);
    add_str(ref, "kind", e->kind);
    add_str(ref, "name", e->name);
    add_str(ref, "namespace", ns);
    add_str(ref, "uid", e->uid);
    struct json_object *list = json_object_new_array();
    json_object_array_add(list, ref);
    return list;
}

static struct json_object *new_result(const struct pr *pr, const char *rule, const char *result,
                                      const char *severity, const char *message)
{
    struct json_object *o = json_object_new_object();
    add_str(o, "policy", POLICY);
    add_str(o, "rule", rule);
    add_str(o, "category", "Pod Security");
    add_str(o, "result", result);
    add_str(o, "severity", severity);
    json_object_object_add(o, "scored", json_object_new_boolean(1));
    add_str(o, "message", message);
    add_str(o, "source", POLICY);
    struct json_object *ts = json_object_new_object();
    json_object_object_add(ts, "seconds", json_object_new_int64(pr->now));
    json_object_object_add(ts, "nanos", json_object_new_int(0));
    json_object_object_add(o, "timestamp", ts);
    return o;
}

static struct json_object *properties(const struct aud_entry *e)
{
    struct json_object *props = json_object_new_object();
    char *src = aud_entry_source(e);
    add_str(props, "file", src);
    free(src);
    return props;
}

/* Prints one result and frees it. */
static void put_result(struct aud_json *w, struct json_object *o)
{
    aud_json_item(w);
    aud_json_value(w, o);
    json_object_put(o);
}

/* The worst action of the findings of check c on an evaluated entry. */
static enum hp_action check_worst(const struct aud_entry *e, enum hp_check c)
{
    enum hp_action worst = HP_ACTION_OFF;
    for (size_t i = 0; i < e->n_findings; i++) {
        if (e->findings[i].check == c && e->findings[i].action > worst) {
            worst = e->findings[i].action;
        }
    }
    return worst;
}

static const char *result_name(enum hp_action worst)
{
    return worst == HP_ACTION_DENY ? "fail" : worst == HP_ACTION_WARN ? "warn" : "pass";
}

static void count_entry(const struct pr *pr, const struct aud_entry *e, struct summary *s)
{
    if (e->error != NULL) {
        s->error++;
    } else if (e->status == AUD_NOT_EVALUATED) {
        *(aud_entry_fails(e, pr->fail_on) ? &s->fail : &s->skip) += 1;
    } else {
        for (int c = 0; c < HP_CHECK_COUNT; c++) {
            if (pr->p->checks[c].action == HP_ACTION_OFF) {
                continue;
            }
            enum hp_action worst = check_worst(e, (enum hp_check)c);
            *(worst == HP_ACTION_DENY   ? &s->fail
              : worst == HP_ACTION_WARN ? &s->warn
                                        : &s->pass) += 1;
        }
    }
}

/* The result of check c on an evaluated entry: the worst of its findings. */
static struct json_object *check_result(const struct pr *pr, const struct aud_entry *e,
                                        enum hp_check c)
{
    const struct aud_finding *first = NULL;
    struct hp_buf msg;
    hp_buf_init(&msg, 0);
    for (size_t i = 0; i < e->n_findings; i++) {
        const struct aud_finding *f = &e->findings[i];
        if (f->check != c) {
            continue;
        }
        if (first == NULL) {
            first = f;
        } else {
            hp_buf_puts(&msg, "; ");
        }
        hp_buf_puts(&msg, f->message);
    }
    const struct hp_check_info *info = hp_check_info_get(c);
    const char *result = result_name(check_worst(e, c));
    if (first == NULL) {
        hp_buf_printf(&msg, "%s: no violation", info->title);
    }
    bool denies = pr->p->checks[c].action == HP_ACTION_DENY;
    struct json_object *o =
        new_result(pr, hp_check_name(c), result, denies ? "high" : "medium", hp_buf_str(&msg));
    hp_buf_cleanup(&msg);
    struct json_object *props = properties(e);
    if (first != NULL) {
        add_str(props, "path", first->path);
        add_str(props, "container", first->container);
        add_str(props, "fix", first->fix);
    }
    json_object_object_add(o, "properties", props);
    return o;
}

/* Every result of one entry, in ns's report. */
static void entry_results(const struct pr *pr, const struct aud_entry *e, const char *ns,
                          struct aud_json *w)
{
    if (e->error != NULL) {
        struct json_object *o = new_result(pr, "parseError", "error", "high", e->error);
        json_object_object_add(o, "properties", properties(e));
        put_result(w, o);
        return;
    }
    if (e->status == AUD_NOT_EVALUATED) {
        char reason[512];
        bool fails = aud_entry_fails(e, pr->fail_on);
        struct json_object *o =
            new_result(pr, "notEvaluated", fails ? "fail" : "skip", fails ? "high" : "info",
                       aud_entry_reason(e, reason, sizeof(reason)));
        struct json_object *props = properties(e);
        add_str(props, "containersPath", e->containers_at);
        json_object_object_add(o, "properties", props);
        json_object_object_add(o, "resources", resource_ref(e, ns));
        put_result(w, o);
        return;
    }
    for (int c = 0; c < HP_CHECK_COUNT; c++) {
        if (pr->p->checks[c].action == HP_ACTION_OFF) {
            continue;
        }
        struct json_object *o = check_result(pr, e, (enum hp_check)c);
        json_object_object_add(o, "resources", resource_ref(e, ns));
        put_result(w, o);
    }
}

static void put_count(struct aud_json *w, const char *key, size_t n)
{
    aud_json_key(w, key);
    aud_json_int(w, (int64_t)n);
}

/* The length of s as a JSON string's contents: escapes included. */
static size_t jlen(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)(s != NULL ? s : ""); *p != '\0'; p++) {
        n += *p == '"' || *p == '\\' ? 2 : *p < 0x20 ? 6 : 1;
    }
    return n;
}

/* A bound on the compact JSON of an entry's results: 512 bytes for the
 * keys, the punctuation and the values hardpod writes (a check's name and
 * title, the result, the timestamp), plus every string from the input with
 * its escapes. */
static size_t entry_bytes(const struct pr *pr, const struct aud_entry *e)
{
    size_t ident = 512 + jlen(e->api_version) + jlen(e->kind) + jlen(e->name) + jlen(e->ns) +
                   jlen(e->uid) + jlen(e->file) + 24;
    if (e->error != NULL) {
        return ident + jlen(e->error);
    }
    if (e->status == AUD_NOT_EVALUATED) {
        /* The reason names the kind and the path; the path is a property too. */
        return ident + 256 + jlen(e->api_version) + jlen(e->kind) + 2 * jlen(e->containers_at);
    }
    size_t total = 0;
    for (int c = 0; c < HP_CHECK_COUNT; c++) {
        if (pr->p->checks[c].action != HP_ACTION_OFF) {
            total += ident;
        }
    }
    for (size_t i = 0; i < e->n_findings; i++) {
        const struct aud_finding *f = &e->findings[i];
        total += 64 + jlen(f->message) + jlen(f->path) + jlen(f->fix) + jlen(f->container);
    }
    return total;
}

/* One PolicyReport (ns non-NULL) or the ClusterPolicyReport, of the sorted
 * slots [from, to); part is its number among the reports of ns (from 1). */
static void report_object(const struct pr *pr, struct aud_json *w, const struct slot *slots,
                          size_t from, size_t to, const char *ns, size_t part)
{
    struct summary s = {0};
    for (size_t i = from; i < to; i++) {
        count_entry(pr, &pr->r->entries[slots[i].i], &s);
    }
    aud_json_item(w);
    aud_json_open(w, '{');
    aud_json_key(w, "apiVersion");
    aud_json_string(w, API_VERSION);
    aud_json_key(w, "kind");
    aud_json_string(w, ns != NULL ? "PolicyReport" : "ClusterPolicyReport");
    aud_json_key(w, "metadata");
    aud_json_open(w, '{');
    struct hp_buf name;
    hp_buf_init(&name, 0);
    hp_buf_printf(&name, "hardpod-%s", ns != NULL ? ns : "cluster");
    if (part > 1) {
        hp_buf_printf(&name, "-%zu", part);
    }
    aud_json_key(w, "name");
    aud_json_string(w, hp_buf_str(&name));
    hp_buf_cleanup(&name);
    if (ns != NULL) {
        aud_json_key(w, "namespace");
        aud_json_string(w, ns);
    }
    aud_json_key(w, "labels");
    aud_json_open(w, '{');
    aud_json_key(w, "app.kubernetes.io/managed-by");
    aud_json_string(w, "hardpod");
    aud_json_close(w);
    aud_json_close(w);
    aud_json_key(w, "summary");
    aud_json_open(w, '{');
    put_count(w, "pass", s.pass);
    put_count(w, "fail", s.fail);
    put_count(w, "warn", s.warn);
    put_count(w, "error", s.error);
    put_count(w, "skip", s.skip);
    aud_json_close(w);
    aud_json_key(w, "results");
    aud_json_open(w, '[');
    for (size_t i = from; i < to; i++) {
        entry_results(pr, &pr->r->entries[slots[i].i], ns, w);
    }
    aud_json_close(w);
    aud_json_close(w);
}

void aud_render_policyreport(const struct aud_report *r, const struct hp_policy *p,
                             unsigned fail_on, int64_t now, FILE *out)
{
    struct pr pr = {.r = r, .p = p, .fail_on = aud_fail_on(fail_on), .now = now};
    /* The entries to sort, two words each: every entry was charged for its
     * slot when it was added to the report. */
    _Static_assert(sizeof(struct slot) <= AUD_RENDER_SLOT_BYTES, "a slot is charged per entry");
    size_t n = 0;
    struct slot *slots = hp_xcalloc(r->len > 0 ? r->len : 1, sizeof(*slots));
    for (size_t i = 0; i < r->len; i++) {
        if (reported(&r->entries[i]) && aud_entry_shown(r, &r->entries[i])) {
            slots[n].ns = report_ns(&r->entries[i]);
            slots[n++].i = i;
        }
    }
    qsort(slots, n, sizeof(*slots), by_report);

    struct aud_json w;
    aud_json_init(&w, out);
    aud_json_open(&w, '{');
    aud_json_key(&w, "apiVersion");
    aud_json_string(&w, "v1");
    aud_json_key(&w, "kind");
    aud_json_string(&w, "List");
    aud_json_key(&w, "items");
    aud_json_open(&w, '[');
    /* A namespace's results are cut into reports of at most
     * AUD_POLICYREPORT_MAX_BYTES each (one resource's results are never
     * cut), so that each object fits in what the API server stores, with
     * the copy that `kubectl apply` keeps in an annotation. */
    size_t part = 1;
    for (size_t from = 0; from < n;) {
        size_t to = from + 1;
        size_t bytes = entry_bytes(&pr, &r->entries[slots[from].i]);
        while (to < n && same_ns(slots[to].ns, slots[from].ns)) {
            size_t more = entry_bytes(&pr, &r->entries[slots[to].i]);
            if (bytes + more > AUD_POLICYREPORT_MAX_BYTES) {
                break;
            }
            bytes += more;
            to++;
        }
        report_object(&pr, &w, slots, from, to, slots[from].ns, part);
        part = to < n && same_ns(slots[to].ns, slots[from].ns) ? part + 1 : 1;
        from = to;
    }
    aud_json_close(&w);
    aud_json_close(&w);
    fputc('\n', out);
    free(slots);
}
