/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The audit report model: resources and errors in input order, with the
 * counts the summary prints. Copies what it keeps, so the engine's findings
 * storage and the parsed documents can be reused or freed at once; the
 * copies are compact (strings interned, the findings of identical pods
 * shared), so that a cluster of 100,000 pods fits in a few MiB. Every
 * allocation is charged to the run's budget first, and the report may hold
 * at most half of it, so that documents always have the other half; the
 * first copy that does not fit ends the report with an error that says so.
 */
#include "internal.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Strings and arrays of findings live in blocks of this size (larger for a
 * larger string), each charged to the budget when it is allocated. */
#define BLOCK_SIZE ((size_t)64 * 1024)

struct block {
    struct block *next;
    size_t size;
    size_t used;
    _Alignas(16) char data[];
};

/* An array of findings that entries share. */
struct group {
    size_t hash;
    size_t n;
    struct aud_finding items[];
};

/* Interned strings (an open-addressing set) and groups of findings, in
 * blocks: every pod of a workload has the same findings, with the same
 * paths, messages and fixes, and costs one pointer to them. */
struct aud_store {
    struct block *blocks;
    const char **strings; /* a set of cap_strings slots, a power of 2 */
    size_t n_strings;
    size_t cap_strings;
    struct group **groups; /* likewise */
    size_t n_groups;
    size_t cap_groups;
    char *stop_msg; /* the message of the entry that stops the report; not charged */
};

void aud_report_init(struct aud_report *r)
{
    memset(r, 0, sizeof(*r));
    r->store = hp_xcalloc(1, sizeof(*r->store));
}

void aud_report_cleanup(struct aud_report *r)
{
    struct aud_store *st = r->store;
    if (st != NULL) {
        for (struct block *b = st->blocks; b != NULL;) {
            struct block *nb = b->next;
            free(b);
            b = nb;
        }
        free(st->strings);
        free(st->groups);
        free(st->stop_msg);
        free(st);
    }
    free(r->entries);
    if (r->budget != NULL) {
        hp_manifest_budget_release(r->budget, r->charged);
    }
    memset(r, 0, sizeof(*r));
}

/* Charges cost to the report's half of the budget; false when it does not
 * fit. */
static bool charge(struct aud_report *r, size_t cost)
{
    if (r->budget != NULL &&
        (cost > r->budget->limit / 2 - r->charged || !hp_manifest_budget_charge(r->budget, cost))) {
        return false;
    }
    r->charged += cost;
    return true;
}

static void uncharge(struct aud_report *r, size_t cost)
{
    if (r->budget != NULL) {
        hp_manifest_budget_release(r->budget, cost);
    }
    r->charged -= cost;
}

/* n bytes, aligned to 16, from the blocks; NULL when a new block does not fit. */
static void *store_alloc(struct aud_report *r, size_t n)
{
    struct aud_store *st = r->store;
    struct block *b = st->blocks;
    n = (n + 15) & ~(size_t)15;
    if (b == NULL || b->size - b->used < n) {
        size_t size = n > BLOCK_SIZE ? n : BLOCK_SIZE;
        if (!charge(r, hp_manifest_budget_malloc_cost(sizeof(*b) + size))) {
            return NULL;
        }
        b = hp_xmalloc(sizeof(*b) + size);
        b->size = size;
        b->used = 0;
        b->next = st->blocks;
        st->blocks = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    return p;
}

static size_t hash_bytes(size_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h = (h ^ s[i]) * (size_t)1099511628211u;
    }
    return h;
}

#define HASH_SEED ((size_t)14695981039346656037u)

/* Doubles a set of pointers (rehashed by hash_of) when it is half full;
 * false when the new table does not fit. */
static bool grow_set(struct aud_report *r, void ***set, size_t n, size_t *cap,
                     size_t (*hash_of)(const void *))
{
    if (2 * (n + 1) <= *cap) {
        return true;
    }
    size_t ncap = *cap ? *cap * 2 : 1024;
    size_t cost = hp_manifest_budget_malloc_cost(ncap * sizeof(void *));
    if (!charge(r, cost)) {
        return false;
    }
    void **nt = hp_xcalloc(ncap, sizeof(void *));
    for (size_t i = 0; i < *cap; i++) {
        if ((*set)[i] != NULL) {
            size_t h = hash_of((*set)[i]) & (ncap - 1);
            while (nt[h] != NULL) {
                h = (h + 1) & (ncap - 1);
            }
            nt[h] = (*set)[i];
        }
    }
    if (*cap > 0) {
        uncharge(r, hp_manifest_budget_malloc_cost(*cap * sizeof(void *)));
    }
    free(*set);
    *set = nt;
    *cap = ncap;
    return true;
}

static size_t string_hash(const void *s)
{
    return hash_bytes(HASH_SEED, s, strlen(s));
}

static size_t group_hash(const void *g)
{
    return ((const struct group *)g)->hash;
}

/* The report's copy of s (NULL for NULL); *ok false when it does not fit. */
static const char *intern(struct aud_report *r, const char *s, bool *ok)
{
    struct aud_store *st = r->store;
    if (s == NULL || !*ok) {
        return NULL;
    }
    if (!grow_set(r, (void ***)&st->strings, st->n_strings, &st->cap_strings, string_hash)) {
        *ok = false;
        return NULL;
    }
    size_t mask = st->cap_strings - 1;
    size_t h = string_hash(s) & mask;
    for (; st->strings[h] != NULL; h = (h + 1) & mask) {
        if (strcmp(st->strings[h], s) == 0) {
            return st->strings[h];
        }
    }
    size_t n = strlen(s) + 1;
    char *copy = store_alloc(r, n);
    if (copy == NULL) {
        *ok = false;
        return NULL;
    }
    memcpy(copy, s, n);
    st->strings[h] = copy;
    st->n_strings++;
    return copy;
}

/* A string kept once, not interned (names differ from pod to pod). */
static const char *keep(struct aud_report *r, const char *s, bool *ok)
{
    if (s == NULL || !*ok) {
        return NULL;
    }
    size_t n = strlen(s) + 1;
    char *copy = store_alloc(r, n);
    if (copy == NULL) {
        *ok = false;
        return NULL;
    }
    memcpy(copy, s, n);
    return copy;
}

/* The shared array of f's findings, each located in obj (a tree read with
 * positions, or not); NULL with *ok false when it does not fit. */
static const struct aud_finding *intern_findings(struct aud_report *r, const struct hp_findings *f,
                                                 struct json_object *obj, bool *ok)
{
    struct aud_store *st = r->store;
    if (f->len == 0 || !*ok) {
        return NULL;
    }
    size_t size = sizeof(struct group) + f->len * sizeof(struct aud_finding);
    struct group *g = hp_xcalloc(1, size); /* the candidate, until it is known to be new */
    g->n = f->len;
    g->hash = HASH_SEED;
    for (size_t i = 0; i < f->len && *ok; i++) {
        const struct hp_finding *src = &f->items[i];
        struct aud_finding *dst = &g->items[i];
        dst->check = src->check;
        dst->action = src->action;
        dst->container = intern(r, src->container, ok);
        dst->path = intern(r, src->path != NULL ? src->path : "", ok);
        dst->message = intern(r, src->message != NULL ? src->message : "", ok);
        dst->fix = intern(r, src->fix, ok);
        dst->exempt = src->exempt;
        if (src->line > 0) {
            dst->line = src->line;
        } else if (obj != NULL &&
                   !aud_locate(obj, dst->path != NULL ? dst->path : "", &dst->line, &dst->column)) {
            dst->line = 0;
            dst->column = 0;
        }
        g->hash = hash_bytes(g->hash, dst, sizeof(*dst));
    }
    const struct aud_finding *out = NULL;
    if (*ok && grow_set(r, (void ***)&st->groups, st->n_groups, &st->cap_groups, group_hash)) {
        size_t mask = st->cap_groups - 1;
        size_t h = g->hash & mask;
        for (; st->groups[h] != NULL; h = (h + 1) & mask) {
            const struct group *o = st->groups[h];
            if (o->hash == g->hash && o->n == g->n &&
                memcmp(o->items, g->items, size - sizeof(*g)) == 0) {
                out = o->items;
                break;
            }
        }
        if (out == NULL) {
            struct group *copy = store_alloc(r, size);
            if (copy != NULL) {
                memcpy(copy, g, size);
                st->groups[h] = copy;
                st->n_groups++;
                out = copy->items;
            }
        }
    }
    free(g);
    if (out == NULL) {
        *ok = false;
    }
    return out;
}

/* A new entry, zeroed; NULL when the entries array cannot grow. charged:
 * whether its growth is charged (all but the entry that stops the report). */
static struct aud_entry *append(struct aud_report *r, bool charged)
{
    if (r->len == r->cap) {
        size_t ncap = r->cap ? r->cap * 2 : 64;
        /* With each entry's slot in the sort index of the PolicyReport
         * renderer (AUD_RENDER_SLOT_BYTES), which is allocated only when
         * the report is printed, but out of what the report was charged. */
        size_t cost =
            hp_manifest_budget_malloc_cost(ncap * (sizeof(*r->entries) + AUD_RENDER_SLOT_BYTES));
        if (charged) {
            /* realloc may copy: the old and the new array are both alive until it returns. */
            if (!charge(r, cost)) {
                return NULL;
            }
            if (r->cap > 0) {
                uncharge(r, hp_manifest_budget_malloc_cost(
                                r->cap * (sizeof(*r->entries) + AUD_RENDER_SLOT_BYTES)));
            }
        }
        r->entries = hp_xrealloc(r->entries, ncap * sizeof(*r->entries));
        r->cap = ncap;
    }
    struct aud_entry *e = &r->entries[r->len++];
    memset(e, 0, sizeof(*e));
    e->top = SIZE_MAX;
    return e;
}

/* Ends a report that ran out of budget with an entry that says so. It is
 * not charged: there is one, and its size is fixed. */
static void stop(struct aud_report *r, const char *file, size_t line, const char *what)
{
    char limit[160];
    char used[32];
    char msg[640];
    bool ok = true;

    snprintf(msg, sizeof(msg),
             "%.200s does not fit: the report may take half of %s and holds %s; auditing stopped "
             "here, and the inputs after this one were not read",
             what, hp_manifest_budget_describe(r->budget, limit, sizeof(limit)),
             hp_manifest_format_size(r->charged, used, sizeof(used)));
    r->store->stop_msg = hp_xstrdup(msg);
    const char *f = intern(r, file, &ok);
    struct aud_entry *e = append(r, false);
    e->file = ok ? f : "(input)";
    e->line = line;
    e->error = r->store->stop_msg;
    r->n_errors++;
    r->stopped = true;
}

void aud_report_error(struct aud_report *r, const char *file, size_t line, const char *fmt, ...)
{
    char msg[HP_ERROR_MSG_MAX + 256];
    va_list ap;
    bool ok = true;
    if (r->stopped) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    const char *f = intern(r, file, &ok);
    const char *m = intern(r, msg, &ok);
    struct aud_entry *e = ok ? append(r, true) : NULL;
    if (e == NULL) {
        stop(r, file, line, "the report of this error");
        return;
    }
    e->file = f;
    e->line = line;
    e->error = m;
    r->n_errors++;
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
    bool ok = true;
    if (r->stopped) {
        return;
    }
    if (ns == NULL) {
        ns = ns_fallback;
    }
    char at[256];
    enum aud_status status = aud_classify(obj, f, at, sizeof(at));
    struct aud_entry e = {
        .file = intern(r, file, &ok),
        .line = line,
        .api_version = intern(r, api_version, &ok),
        .kind = intern(r, kind, &ok),
        .ns = intern(r, ns, &ok),
        .name = keep(r, name, &ok),
        .uid = keep(r, uid, &ok),
        /* The pods of one owner share its kind, name and uid. */
        .owner_kind = intern(r, owner_kind, &ok),
        .owner_name = intern(r, owner_name, &ok),
        .owner_uid = intern(r, owner_uid, &ok),
        .findings = intern_findings(r, f, obj, &ok),
        .n_findings = f->len,
        .n_deny = f->n_deny,
        .n_warn = f->n_warn,
        .top = SIZE_MAX,
        .status = status,
        .containers_at = status == AUD_NOT_EVALUATED ? keep(r, at, &ok) : NULL,
    };
    struct aud_entry *slot = ok ? append(r, true) : NULL;
    if (slot == NULL) {
        char what[512]; /* room for every field at its cap: never truncated */
        snprintf(what, sizeof(what), "the report of %.64s %.64s%s%.253s (%zu findings)",
                 kind != NULL ? kind : "(no kind)", ns != NULL ? ns : "", ns != NULL ? "/" : "",
                 name != NULL ? name : "(unnamed)", f->len);
        stop(r, file, line, what);
        return;
    }
    *slot = e;
    r->n_resources++;
    if (kind != NULL) {
        r->n_objects++;
    }
    if (status == AUD_SKIPPED) {
        r->n_skipped++;
    } else if (status == AUD_NOT_EVALUATED) {
        r->n_not_evaluated++;
    } else if (e.n_deny > 0) {
        r->n_denied++;
    } else if (e.n_warn > 0) {
        r->n_warned++;
    } else {
        r->n_passed++;
    }
}

void aud_report_image(struct aud_report *r, const char *file, const struct hp_image_facts *img,
                      const struct hp_findings *f)
{
    bool ok = true;
    if (r->stopped) {
        return;
    }
    bool dockerfile = img->source == HP_IMAGE_DOCKERFILE;
    struct aud_entry e = {
        .file = intern(r, file, &ok),
        .line = dockerfile ? img->base_ref.line : 0,
        .kind = dockerfile ? "Dockerfile" : "ImageConfig",
        .name = keep(r, img->stage, &ok),
        .image = true,
        .image_from = keep(r, img->base, &ok),
        .findings = intern_findings(r, f, NULL, &ok),
        .n_findings = f->len,
        .n_deny = f->n_deny,
        .n_warn = f->n_warn,
        .top = SIZE_MAX,
        .status = AUD_EVALUATED,
    };
    struct aud_entry *slot = ok ? append(r, true) : NULL;
    if (slot == NULL) {
        stop(r, file, e.line, "the report of an image");
        return;
    }
    *slot = e;
    r->n_resources++;
    r->n_images++;
    if (e.n_deny > 0) {
        r->n_denied++;
    } else if (e.n_warn > 0) {
        r->n_warned++;
    } else {
        r->n_passed++;
    }
}

bool aud_report_set_patch(struct aud_report *r, struct aud_entry *e, const char *meta,
                          const char *spec, const char *notes, size_t n_patched)
{
    bool ok = true;
    /* The pods of one workload have the same patch: kept once. */
    e->patch_meta = intern(r, meta, &ok);
    e->patch_spec = intern(r, spec, &ok);
    e->patch_notes = intern(r, notes, &ok);
    e->n_patched = n_patched;
    if (!ok) {
        e->patch_meta = e->patch_spec = e->patch_notes = NULL;
        stop(r, e->file, e->line, "the patch of a resource");
    }
    return ok;
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
    if (e->image) {
        /* "Dockerfile, stage final (FROM mcr.microsoft.com/dotnet/aspnet:8.0)" */
        snprintf(buf, size, "%s%s%.64s%s%.200s%s", e->kind, e->name != NULL ? ", stage " : "",
                 e->name != NULL ? e->name : "", e->image_from != NULL ? " (FROM " : "",
                 e->image_from != NULL ? e->image_from : "", e->image_from != NULL ? ")" : "");
        return buf;
    }
    snprintf(buf, size, "%s %s%s%s", e->kind != NULL ? e->kind : "(no kind)",
             e->ns != NULL ? e->ns : "", e->ns != NULL ? "/" : "",
             e->name != NULL ? e->name : "(unnamed)");
    return buf;
}

char *aud_finding_source(const struct aud_entry *e, const struct aud_finding *f)
{
    if (f->line == 0) {
        return aud_entry_source(e);
    }
    size_t size = strlen(e->file) + 48;
    char *s = hp_xmalloc(size);
    if (f->column > 0) {
        snprintf(s, size, "%s:%zu:%zu", e->file, f->line, f->column);
    } else {
        snprintf(s, size, "%s:%zu", e->file, f->line);
    }
    return s;
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
