/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Grouping by owner: in a cluster dump a Deployment's violation shows up on
 * the Deployment, on each of its ReplicaSets and on every Pod. An object whose
 * controlling owner (ownerReferences with controller: true) is in the report
 * is folded into its highest such ancestor when every finding it has, that
 * ancestor has too (same check, action, container and message); the ancestor
 * then counts the resources and pods it covers. An object with a finding of
 * its own stays shown, and names its owner. Only the report's bookkeeping
 * changes: verdicts and counts of denials do not.
 */
#include "internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Ownership chains are short (Pod → ReplicaSet → Deployment, Pod → Job →
 * CronJob); a longer one, or a cycle, is not followed past this. */
#define MAX_DEPTH 8

/* Two open-addressing indexes of the report's resources: by uid, and by
 * namespace, kind and name (owner references name an object of the same
 * namespace). They hold entry indexes + 1 (0 is an empty slot) and hash the
 * entries' own strings, so nothing is copied. */
struct index {
    size_t *slot;
    size_t mask;
};

static uint64_t fnv(uint64_t h, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)(s != NULL ? s : ""); *p != '\0'; p++) {
        h = (h ^ *p) * 1099511628211ULL;
    }
    /* A separator, so that ("ab", "c") and ("a", "bc") differ. */
    return (h ^ 0xffU) * 1099511628211ULL;
}

static uint64_t hash_name(const char *ns, const char *kind, const char *name)
{
    return fnv(fnv(fnv(14695981039346656037ULL, ns), kind), name);
}

static bool same_str(const char *a, const char *b)
{
    return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static size_t index_size(size_t n)
{
    size_t size = 16;
    while (size < 2 * n) {
        size *= 2;
    }
    return size;
}

static void index_init(struct index *x, size_t n)
{
    size_t size = index_size(n);
    x->slot = hp_xcalloc(size, sizeof(*x->slot));
    x->mask = size - 1;
}

/* by_uid: matches on uid; else on namespace, kind and name. */
static bool matches(const struct aud_entry *e, bool by_uid, const char *ns, const char *kind,
                    const char *name_or_uid)
{
    if (by_uid) {
        return same_str(e->uid, name_or_uid);
    }
    return same_str(e->ns, ns) && same_str(e->kind, kind) && same_str(e->name, name_or_uid);
}

/* The entry that matches, or SIZE_MAX; with add, an entry added in the
 * first empty slot when none matches (the first object with a key wins: a
 * duplicate only loses grouping). */
static size_t probe(struct index *x, const struct aud_report *r, bool by_uid, const char *ns,
                    const char *kind, const char *name_or_uid, size_t add)
{
    uint64_t h =
        by_uid ? fnv(14695981039346656037ULL, name_or_uid) : hash_name(ns, kind, name_or_uid);
    for (size_t i = (size_t)h & x->mask;; i = (i + 1) & x->mask) {
        if (x->slot[i] == 0) {
            if (add != SIZE_MAX) {
                x->slot[i] = add + 1;
            }
            return SIZE_MAX;
        }
        size_t at = x->slot[i] - 1;
        if (matches(&r->entries[at], by_uid, ns, kind, name_or_uid)) {
            return at;
        }
    }
}

static bool is_resource(const struct aud_entry *e)
{
    return e->error == NULL && e->kind != NULL && e->name != NULL;
}

/* The entry that e's controlling owner names, or SIZE_MAX. */
static size_t parent_of(struct index *by_uid, struct index *by_name, const struct aud_report *r,
                        size_t self)
{
    const struct aud_entry *e = &r->entries[self];
    if (e->owner_kind == NULL || e->owner_name == NULL) {
        return SIZE_MAX;
    }
    size_t p = SIZE_MAX;
    if (e->owner_uid != NULL) {
        p = probe(by_uid, r, true, NULL, NULL, e->owner_uid, SIZE_MAX);
    }
    if (p == SIZE_MAX) {
        p = probe(by_name, r, false, e->ns, e->owner_kind, e->owner_name, SIZE_MAX);
    }
    return p != self ? p : SIZE_MAX;
}

static bool same_finding(const struct aud_finding *a, const struct aud_finding *b)
{
    return a->check == b->check && a->action == b->action && same_str(a->container, b->container) &&
           same_str(a->message, b->message);
}

/* Every finding of e is one of a's. The engine reports in a fixed order, so
 * the finding at the same index is tried first. */
static bool covered_by(const struct aud_entry *e, const struct aud_entry *a)
{
    for (size_t i = 0; i < e->n_findings; i++) {
        const struct aud_finding *f = &e->findings[i];
        bool found = i < a->n_findings && same_finding(f, &a->findings[i]);
        for (size_t j = 0; !found && j < a->n_findings; j++) {
            found = same_finding(f, &a->findings[j]);
        }
        if (!found) {
            return false;
        }
    }
    return true;
}

void aud_group(struct aud_report *r)
{
    size_t n = r->len;
    if (n == 0) {
        return;
    }
    /* Two indexes, the parents and the depths, while grouping runs. When
     * they do not fit in what is left of the budget, the report stays
     * ungrouped and says so. */
    size_t cost = 2 * hp_manifest_budget_malloc_cost(index_size(n) * sizeof(size_t)) +
                  hp_manifest_budget_malloc_cost(n * sizeof(size_t)) +
                  hp_manifest_budget_malloc_cost(n);
    if (r->budget != NULL && !hp_manifest_budget_charge(r->budget, cost)) {
        r->group_failed = true;
        return;
    }
    struct index by_uid;
    struct index by_name;
    index_init(&by_uid, n);
    index_init(&by_name, n);
    for (size_t i = 0; i < n; i++) {
        struct aud_entry *e = &r->entries[i];
        e->top = SIZE_MAX;
        if (!is_resource(e)) {
            continue;
        }
        if (e->uid != NULL) {
            probe(&by_uid, r, true, NULL, NULL, e->uid, i);
        }
        probe(&by_name, r, false, e->ns, e->kind, e->name, i);
    }
    size_t *parent = hp_xmalloc(n * sizeof(*parent));
    unsigned char *depth = hp_xcalloc(n, 1);
    for (size_t i = 0; i < n; i++) {
        parent[i] = is_resource(&r->entries[i]) ? parent_of(&by_uid, &by_name, r, i) : SIZE_MAX;
    }
    free(by_uid.slot);
    free(by_name.slot);
    /* Depth: the number of ancestors in the report, or 0 when the chain is
     * a cycle or longer than MAX_DEPTH (such an object is not folded). */
    for (size_t i = 0; i < n; i++) {
        size_t d = 0;
        size_t at = parent[i];
        while (at != SIZE_MAX && at != i && d < MAX_DEPTH) {
            d++;
            at = parent[at];
        }
        depth[i] = at == SIZE_MAX ? (unsigned char)d : 0;
    }
    /* Ancestors first, so that each one is settled (shown or folded) before
     * the objects below it look for the highest shown ancestor that covers
     * them. */
    for (unsigned char d = 1; d <= MAX_DEPTH; d++) {
        for (size_t i = 0; i < n; i++) {
            if (depth[i] != d) {
                continue;
            }
            struct aud_entry *e = &r->entries[i];
            size_t best = SIZE_MAX;
            for (size_t a = parent[i]; a != SIZE_MAX; a = parent[a]) {
                if (r->entries[a].top == SIZE_MAX && covered_by(e, &r->entries[a])) {
                    best = a;
                }
            }
            if (best == SIZE_MAX) {
                continue;
            }
            e->top = best;
            r->n_folded++;
            r->entries[best].covers++;
            if (strcmp(e->kind, "Pod") == 0) {
                r->entries[best].covers_pods++;
            }
        }
    }
    free(depth);
    free(parent);
    if (r->budget != NULL) {
        hp_manifest_budget_release(r->budget, cost);
    }
    r->grouped = true;
}

const char *aud_entry_grouping(const struct aud_entry *e, char *buf, size_t size)
{
    char owner[400] = "";
    char covers[128] = "";
    if (e->owner_kind != NULL && e->owner_name != NULL) {
        snprintf(owner, sizeof(owner), "owned by %.64s %.253s", e->owner_kind, e->owner_name);
    }
    size_t pods = e->covers_pods;
    size_t others = e->covers - pods;
    if (pods > 0 && others > 0) {
        snprintf(covers, sizeof(covers), "covers %zu pod%s and %zu other resource%s", pods,
                 pods == 1 ? "" : "s", others, others == 1 ? "" : "s");
    } else if (pods > 0) {
        snprintf(covers, sizeof(covers), "covers %zu pod%s", pods, pods == 1 ? "" : "s");
    } else if (others > 0) {
        snprintf(covers, sizeof(covers), "covers %zu other resource%s", others,
                 others == 1 ? "" : "s");
    }
    snprintf(buf, size, "%s%s%s", owner, owner[0] != '\0' && covers[0] != '\0' ? "; " : "", covers);
    return buf;
}
