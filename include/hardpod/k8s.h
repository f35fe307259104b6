/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kubernetes object knowledge: where the pod spec lives in each workload kind
 * (legacy apiVersions included), where the pod specs and pod templates live
 * inside custom resources (built-in entries and the config's), and the
 * effective security settings of a container once the pod-level
 * securityContext is taken into account. Pure: borrowed json-c views, no I/O;
 * only a set of custom kinds allocates.
 */
#ifndef HARDPOD_K8S_H
#define HARDPOD_K8S_H

#include "hardpod/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;

enum hp_workload {
    HP_WORKLOAD_NONE, /* a kind without a pod spec */
    HP_WORKLOAD_POD,
    HP_WORKLOAD_DEPLOYMENT,
    HP_WORKLOAD_REPLICASET,
    HP_WORKLOAD_STATEFULSET,
    HP_WORKLOAD_DAEMONSET,
    HP_WORKLOAD_JOB,
    HP_WORKLOAD_CRONJOB,
    HP_WORKLOAD_REPLICATIONCONTROLLER,
    HP_WORKLOAD_PODTEMPLATE,
    HP_WORKLOAD_CUSTOM, /* a pod spec found through a struct hp_k8s_kind */
    /* The v1 EphemeralContainers object that the pods/ephemeralcontainers
     * subresource takes on Kubernetes 1.16 to 1.21: metadata and a top-level
     * ephemeralContainers list, and none of the pod's other fields. Its
     * "pod spec" is the object itself, with the prefix "". */
    HP_WORKLOAD_EPHEMERAL_CONTAINERS,
};

/* Where a pod spec sits inside an object. For built-in workloads the
 * prefixes are static; for a custom kind they name the real location
 * ("spec.metrics[2].provider.job.spec.template.spec") and are borrowed from
 * the walk that found it, valid during the callback only. */
struct hp_podspec {
    enum hp_workload workload;
    struct json_object *spec;     /* borrowed; the pod spec object */
    struct json_object *metadata; /* borrowed; the pod's (or template's) metadata, may be NULL */
    const char *prefix;           /* "spec", "spec.template.spec", ... */
    const char *metadata_prefix;  /* "metadata", "spec.template.metadata", ...; NULL when the
                                   * pod spec has no object around it that could hold metadata */
};

/* Maps (apiVersion, kind) to a workload; HP_WORKLOAD_NONE for any other pair.
 * Any version of the core, apps, extensions and batch groups is accepted, so
 * the legacy ones (extensions/v1beta1, apps/v1beta1, apps/v1beta2,
 * batch/v1beta1) are covered and an unknown version cannot hide a workload. */
enum hp_workload hp_k8s_workload(const char *api_version, const char *kind);

/* Finds the pod spec of obj for the given workload. HP_WORKLOAD_NONE gives
 * HP_OK with out->spec NULL. A missing or non-object spec on the way is
 * HP_ERR_INVALID with the path ("spec.template.spec: expected object, got
 * string"). */
enum hp_err hp_k8s_podspec_find(struct json_object *obj, enum hp_workload w, struct hp_podspec *out,
                                struct hp_error *err);

/* ---- pod specs inside custom resources --------------------------------------
 *
 * A path names where pod specs sit in an object: field names joined by dots,
 * each optionally followed by "[*]" (every element of that list) or "?" (the
 * field may be absent: then that branch holds no pod spec). An absent (or
 * null) field without "?" is an error, as for a built-in workload; an absent
 * list is empty. Example: "spec.metrics[*].provider.job?.spec.template.spec".
 * Field names are letters, digits, '_' and '-'. */

#define HP_K8S_PATH_MAX 128     /* bytes of one path */
#define HP_K8S_PATH_MAX_EACH 4  /* "[*]" steps in one path */
#define HP_K8S_KIND_MAX_PATHS 8 /* paths of one kind */
/* Room for a path with every "[*]" replaced by an index, and a suffix. */
#define HP_K8S_PREFIX_MAX 256

/* Where the pod specs of one kind of custom resource are. Strings are static
 * for built-in entries and owned by the struct hp_k8s_kinds that holds a
 * config entry. */
struct hp_k8s_kind {
    const char *group;   /* API group, never the core group; "*": any named group */
    const char *version; /* "*": any */
    const char *kind;
    const char *paths[HP_K8S_KIND_MAX_PATHS]; /* paths of pod specs (the objects that hold
                                               * containers), n_paths of them */
    size_t n_paths;
    /* NULL, or the path of a field which, when the object sets it, means the
     * object takes its pods from another object (an Argo Rollout's
     * spec.workloadRef names a Deployment): fields on the way to a pod spec
     * may then be absent, and the object may hold no pod spec at all. */
    const char *reference;
    size_t line;   /* the config line of the entry; 0 for built-ins */
    char *storage; /* owned: the block a config entry's strings live in; NULL for built-ins */
};

/* The custom kinds of a config, in the order written. Immutable once built;
 * share it freely between threads. */
struct hp_k8s_kinds {
    struct hp_k8s_kind *items; /* owned */
    size_t n;
    size_t cap;
};

/* An empty set; hp_k8s_kinds_free(NULL) is a no-op. Aborts when out of memory. */
struct hp_k8s_kinds *hp_k8s_kinds_new(void);
void hp_k8s_kinds_free(struct hp_k8s_kinds *set);

/* Appends a copy of *kind (its strings are copied into storage the set owns;
 * kind->storage is ignored). The caller has validated it (hp_k8s_path_check,
 * hp_k8s_kind_check). */
void hp_k8s_kinds_add(struct hp_k8s_kinds *set, const struct hp_k8s_kind *kind);

/* Validates one path (see above). On error the message says what is wrong
 * and where, without the path itself: "expected a field name at byte 6". */
enum hp_err hp_k8s_path_check(const char *path, struct hp_error *err);

/* Validates group ("*" or a DNS subdomain with at least one dot, as a CRD's
 * group must be), version ("*" or a DNS label) and kind (a letter, then
 * letters and digits). which names the bad one: 0 group, 1 version, 2 kind. */
enum hp_err hp_k8s_kind_check(const char *group, const char *version, const char *kind, int *which,
                              struct hp_error *err);

/* The built-in entries (static), for documentation and tests. */
const struct hp_k8s_kind *hp_k8s_builtin_kinds(size_t *n);

/* The entry that says where the pod specs of (apiVersion, kind) are: the
 * first matching entry of user (may be NULL), else a built-in entry, unless
 * user has an entry for the same group and kind (it replaces the built-in in
 * every version). NULL when none matches, and for every core-group kind.
 * Borrowed from user or static. */
const struct hp_k8s_kind *hp_k8s_kind_find(const struct hp_k8s_kinds *user, const char *api_version,
                                           const char *kind);

/* Whether the engine can read (apiVersion, kind): a built-in workload or a
 * custom kind (user may be NULL). Objects of a kind it cannot read are never
 * evaluated; hp_policy_eval reports them as having no pod spec. */
bool hp_k8s_kind_known(const struct hp_k8s_kinds *user, const char *api_version, const char *kind);

/* Called once per pod spec found; a return other than HP_OK stops the walk
 * and is returned. ps and its strings are valid for the call. */
typedef enum hp_err (*hp_podspec_fn)(const struct hp_podspec *ps, void *arg, struct hp_error *err);

/* Calls fn for every pod spec of obj that k's paths reach, in path order and
 * then in list order, with workload HP_WORKLOAD_CUSTOM. Zero calls is not an
 * error (an AnalysisTemplate whose metrics run no job holds no pod spec).
 * HP_ERR_INVALID names the path when a required field is missing or any
 * field on the way has the wrong type ("spec.templates[1].template: expected
 * object, got string \"x\""). */
enum hp_err hp_k8s_podspec_each(struct json_object *obj, const struct hp_k8s_kind *k,
                                hp_podspec_fn fn, void *arg, struct hp_error *err);

/* The number of pod specs the engine reads in obj: 1 for a built-in workload,
 * what hp_k8s_podspec_each finds for a custom kind (user may be NULL), 0 for
 * a kind it cannot read (check hp_k8s_kind_known to tell the two apart).
 * Errors as for hp_k8s_podspec_find and hp_k8s_podspec_each. */
enum hp_err hp_k8s_podspec_count(const struct hp_k8s_kinds *user, struct json_object *obj,
                                 const char *api_version, const char *kind, size_t *n,
                                 struct hp_error *err);

/* The three container lists, in the order checks visit them. */
enum hp_container_list { HP_LIST_INIT, HP_LIST_CONTAINERS, HP_LIST_EPHEMERAL, HP_LIST_COUNT };
const char *hp_k8s_list_name(enum hp_container_list l); /* "initContainers", ... */

/* A field value with its validity: unset (absent or null), ok, or present
 * with the wrong JSON type or an out-of-range value. */
enum hp_vstate {
    HP_V_UNSET,
    HP_V_OK,
    HP_V_BAD,
};

struct hp_bool_val {
    enum hp_vstate state;
    bool value;
    bool from_pod; /* the effective value comes from the pod securityContext */
};

struct hp_int_val {
    enum hp_vstate state;
    int64_t value;
    bool from_pod;
};

struct hp_obj_val {
    enum hp_vstate state;
    struct json_object *obj; /* borrowed; an object when state is OK */
    bool from_pod;
};

/* The effective security settings of one container: the container's own
 * securityContext overrides the pod's for runAsNonRoot, runAsUser,
 * runAsGroup, seccompProfile, seLinuxOptions and appArmorProfile. */
struct hp_effective {
    struct hp_bool_val run_as_non_root;
    struct hp_int_val run_as_user;
    struct hp_int_val run_as_group;
    struct hp_obj_val seccomp_profile;
    struct hp_obj_val selinux_options;
    struct hp_obj_val apparmor_profile;
};

/* The securityContext fields that checks read, gathered in one pass over the
 * object (a hash lookup per field costs more than walking its few keys). A
 * NULL member means absent or JSON null. fsGroup, supplementalGroups and
 * sysctls exist at pod level only. */
struct hp_sc_fields {
    struct json_object *run_as_non_root;
    struct json_object *run_as_user;
    struct json_object *run_as_group;
    struct json_object *seccomp_profile;
    struct json_object *selinux_options;
    struct json_object *apparmor_profile;
    struct json_object *allow_privilege_escalation;
    struct json_object *privileged;
    struct json_object *read_only_root_filesystem;
    struct json_object *capabilities;
    struct json_object *proc_mount;
    struct json_object *windows_options;
    struct json_object *fs_group;
    struct json_object *supplemental_groups;
    struct json_object *sysctls;
};

/* One entry of a key table for hp_k8s_scan: the value of key is stored at
 * offset in the output struct (as a struct json_object *). */
struct hp_k8s_slot {
    const char *key;
    size_t len; /* strlen(key) */
    size_t offset;
};
#define HP_K8S_SLOT(type, key, member)                                                             \
    {                                                                                              \
        key, sizeof(key) - 1, offsetof(type, member)                                               \
    }

/* One pass over obj's members, storing each member named in slots into out.
 * Members not in the table are skipped; out is not cleared first. Comparing
 * lengths first makes the walk cheaper than a hash lookup per key. */
void hp_k8s_scan(struct json_object *obj, const struct hp_k8s_slot *slots, size_t n, void *out);

/* The value of key in obj; NULL when obj is not an object, the key is absent
 * or the value is JSON null. */
struct json_object *hp_k8s_field(struct json_object *obj, const char *key);

/* Picks several keys of obj in one pass over its members: out[i] is the value
 * of keys[i] (NULL if absent, null, or obj is not an object). Cheaper than a
 * hash lookup per key for the small objects of a pod spec. */
void hp_k8s_pick(struct json_object *obj, const char *const *keys, size_t n,
                 struct json_object **out);

/* The string value of v, or NULL when v is not a string or holds a NUL
 * character (which would make it compare equal to a prefix). */
const char *hp_k8s_string(struct json_object *v);

/* Fills out from sc; a NULL or non-object sc leaves every member NULL. */
void hp_k8s_sc_scan(struct json_object *sc, struct hp_sc_fields *out);

/* Typed views of a value (NULL: unset). The wrong JSON type, or an integer
 * outside int64, is HP_V_BAD. */
struct hp_bool_val hp_k8s_bool(struct json_object *v);
struct hp_int_val hp_k8s_int(struct json_object *v);
struct hp_obj_val hp_k8s_obj(struct json_object *v);

/* The same, reading field key of obj (obj NULL or not an object: unset). */
struct hp_bool_val hp_k8s_get_bool(struct json_object *obj, const char *key);
struct hp_int_val hp_k8s_get_int(struct json_object *obj, const char *key);
struct hp_obj_val hp_k8s_get_obj(struct json_object *obj, const char *key);

/* Resolves the effective settings of a container from the pod's and the
 * container's securityContext fields. */
void hp_k8s_effective(const struct hp_sc_fields *pod, const struct hp_sc_fields *ctr,
                      struct hp_effective *out);

/* A short description of a JSON value's type for messages: "string \"0\"",
 * "number 1.5", "object", ... Writes into buf (always NUL-terminated). */
const char *hp_k8s_describe(struct json_object *v, char *buf, size_t size);

/* Longest part of a user's string that a message quotes, in bytes. */
#define HP_K8S_QUOTE_MAX 48

/* s[0..n) (valid UTF-8) as a message quotes it: in double quotes, cut to
 * HP_K8S_QUOTE_MAX bytes at the start of a character and marked "...",
 * control characters shown as '?'. Writes into buf (always NUL-terminated)
 * and returns it. */
const char *hp_k8s_quote(const char *s, size_t n, char *buf, size_t size);

#endif
