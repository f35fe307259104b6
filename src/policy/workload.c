/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Which workload an object is, for workload exemptions: its own kind and
 * name, its controlling owner's, and the Deployment or CronJob that a
 * ReplicaSet's or Job's generated name stands for. Reads only the object's
 * kind, metadata.name and metadata.ownerReferences, never a label or an
 * annotation: whoever writes a workload must not be able to exempt it.
 */
#include "internal.h"

#include <fnmatch.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <string.h>

/* The alphabet of apimachinery's rand.SafeEncodeString, which the
 * Deployment controller applies to the pod template's 32-bit FNV hash
 * written in decimal: so at most 10 characters. */
static const char hash_alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
#define HASH_MAX 10

/* The CronJob controller names a Job "<cronjob>-<scheduled time in minutes
 * since the epoch>"; an int64 has at most 19 digits. */
#define MINUTES_MAX 19

static bool is_hash(const char *s, size_t n)
{
    if (n == 0 || n > HASH_MAX) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\0' || strchr(hash_alphabet, s[i]) == NULL) {
            return false;
        }
    }
    return true;
}

static bool is_minutes(const char *s, size_t n)
{
    if (n == 0 || n > MINUTES_MAX) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
    }
    return true;
}

/* The owner's name without its generated suffix into w->derived, when the
 * suffix after the last '-' passes ok and something is left before it. */
static bool strip_suffix(struct pol_workload *w, const char *name, bool (*ok)(const char *, size_t))
{
    size_t len = strnlen(name, POL_NAME_MAX + 1);
    const char *dash = strrchr(name, '-');
    if (len > POL_NAME_MAX || dash == NULL || dash == name) {
        return false;
    }
    size_t base = (size_t)(dash - name);
    if (!ok(dash + 1, len - base - 1)) {
        return false;
    }
    memcpy(w->derived, name, base);
    w->derived[base] = '\0';
    return true;
}

static void add(struct pol_workload *w, const char *kind, const char *name)
{
    if (kind != NULL && name != NULL && kind[0] != '\0' && name[0] != '\0') {
        w->kinds[w->n] = kind;
        w->names[w->n] = name;
        w->n++;
    }
}

/* The owner reference with controller: true (a JSON true; the API server
 * allows at most one), or NULL. */
static struct json_object *controller_ref(struct json_object *metadata)
{
    struct json_object *refs = hp_k8s_field(metadata, "ownerReferences");
    if (!json_object_is_type(refs, json_type_array)) {
        return NULL;
    }
    size_t n = json_object_array_length(refs);
    for (size_t i = 0; i < n; i++) {
        struct json_object *ref = json_object_array_get_idx(refs, i);
        struct json_object *c = hp_k8s_field(ref, "controller");
        if (json_object_is_type(c, json_type_boolean) && json_object_get_boolean(c)) {
            return ref;
        }
    }
    return NULL;
}

void pol_workload_init(struct pol_workload *w, const char *kind, struct json_object *metadata)
{
    w->n = 0;
    w->derived[0] = '\0';
    add(w, kind, hp_k8s_string(hp_k8s_field(metadata, "name")));
    struct json_object *ref = controller_ref(metadata);
    if (ref == NULL) {
        return;
    }
    const char *okind = hp_k8s_string(hp_k8s_field(ref, "kind"));
    const char *oname = hp_k8s_string(hp_k8s_field(ref, "name"));
    if (okind == NULL || oname == NULL) {
        return;
    }
    add(w, okind, oname);
    if (strcmp(okind, "ReplicaSet") == 0 && strip_suffix(w, oname, is_hash)) {
        add(w, "Deployment", w->derived);
    } else if (strcmp(okind, "Job") == 0 && strip_suffix(w, oname, is_minutes)) {
        add(w, "CronJob", w->derived);
    }
}

static bool any_glob(char *const *globs, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++) {
        if (fnmatch(globs[i], s, 0) == 0) {
            return true;
        }
    }
    return false;
}

bool pol_workload_match(const struct pol_workload *w, const struct hp_exemption *x)
{
    for (size_t i = 0; i < w->n; i++) {
        for (size_t k = 0; k < x->n_kinds; k++) {
            if (strcmp(x->kinds[k], w->kinds[i]) == 0 &&
                any_glob(x->names, x->n_names, w->names[i])) {
                return true;
            }
        }
    }
    return false;
}
