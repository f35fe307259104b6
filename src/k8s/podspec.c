/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Locating the pod spec inside Pods and workload objects, including the
 * legacy group versions that old manifests still use, and walking the paths
 * of custom kinds to every pod spec they reach. Borrowed views only.
 */
#include "hardpod/k8s.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

struct kind_entry {
    const char *kind;
    const char *group;
    enum hp_workload workload;
};

/* Any version of these groups counts (v1, and the legacy extensions/v1beta1,
 * apps/v1beta1, apps/v1beta2, batch/v1beta1, batch/v2alpha1): an unknown
 * version must not let a workload escape evaluation. */
static const struct kind_entry kinds[] = {
    {"Pod", "", HP_WORKLOAD_POD},
    {"ReplicationController", "", HP_WORKLOAD_REPLICATIONCONTROLLER},
    {"PodTemplate", "", HP_WORKLOAD_PODTEMPLATE},
    {"Deployment", "apps", HP_WORKLOAD_DEPLOYMENT},
    {"Deployment", "extensions", HP_WORKLOAD_DEPLOYMENT},
    {"StatefulSet", "apps", HP_WORKLOAD_STATEFULSET},
    {"ReplicaSet", "apps", HP_WORKLOAD_REPLICASET},
    {"ReplicaSet", "extensions", HP_WORKLOAD_REPLICASET},
    {"DaemonSet", "apps", HP_WORKLOAD_DAEMONSET},
    {"DaemonSet", "extensions", HP_WORKLOAD_DAEMONSET},
    {"Job", "batch", HP_WORKLOAD_JOB},
    {"CronJob", "batch", HP_WORKLOAD_CRONJOB},
    {"EphemeralContainers", "", HP_WORKLOAD_EPHEMERAL_CONTAINERS},
};

enum hp_workload hp_k8s_workload(const char *api_version, const char *kind)
{
    if (api_version == NULL || kind == NULL) {
        return HP_WORKLOAD_NONE;
    }
    const char *slash = strchr(api_version, '/');
    size_t group_len = slash != NULL ? (size_t)(slash - api_version) : 0;
    const char *version = slash != NULL ? slash + 1 : api_version;
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        const struct kind_entry *k = &kinds[i];
        if (strcmp(k->kind, kind) != 0 || strlen(k->group) != group_len ||
            strncmp(k->group, api_version, group_len) != 0) {
            continue;
        }
        if (version[0] != '\0') {
            return k->workload;
        }
    }
    return HP_WORKLOAD_NONE;
}

const char *hp_k8s_quote(const char *s, size_t n, char *buf, size_t size)
{
    size_t keep = n;
    if (keep > HP_K8S_QUOTE_MAX) {
        keep = HP_K8S_QUOTE_MAX;
        /* Back over continuation bytes to the start of a character. */
        while (keep > 0 && ((unsigned char)s[keep] & 0xC0) == 0x80) {
            keep--;
        }
    }
    char text[HP_K8S_QUOTE_MAX + 1];
    for (size_t i = 0; i < keep; i++) {
        unsigned char c = (unsigned char)s[i];
        text[i] = c < 0x20 || c == 0x7F ? '?' : (char)c;
    }
    text[keep] = '\0';
    snprintf(buf, size, "\"%s%s\"", text, keep < n ? "..." : "");
    return buf;
}

const char *hp_k8s_describe(struct json_object *v, char *buf, size_t size)
{
    switch (json_object_get_type(v)) {
    case json_type_null:
        snprintf(buf, size, "null");
        break;
    case json_type_boolean:
        snprintf(buf, size, "boolean %s", json_object_get_boolean(v) ? "true" : "false");
        break;
    case json_type_double:
        snprintf(buf, size, "number %g", json_object_get_double(v));
        break;
    case json_type_int:
        snprintf(buf, size, "integer %s", json_object_to_json_string(v));
        break;
    case json_type_string: {
        char quoted[HP_K8S_QUOTE_MAX + 8];
        snprintf(buf, size, "string %s",
                 hp_k8s_quote(json_object_get_string(v), (size_t)json_object_get_string_len(v),
                              quoted, sizeof(quoted)));
        break;
    }
    case json_type_array:
        snprintf(buf, size, "array");
        break;
    case json_type_object:
        snprintf(buf, size, "object");
        break;
    }
    return buf;
}

/* Walks obj along keys; each step must be an object. Names the failing path.
 * *parent is the object that holds the last key (where metadata sits). */
static enum hp_err walk(struct json_object *obj, const char *const *keys, size_t n,
                        struct json_object **out, struct json_object **parent, struct hp_error *err)
{
    struct json_object *cur = obj;
    for (size_t i = 0; i < n; i++) {
        *parent = cur;
        struct json_object *next = hp_k8s_field(cur, keys[i]);
        if (json_object_is_type(next, json_type_object)) {
            cur = next;
            continue;
        }
        char path[128] = "";
        size_t used = 0;
        for (size_t k = 0; k <= i && used < sizeof(path); k++) {
            int w = snprintf(path + used, sizeof(path) - used, "%s%s", k ? "." : "", keys[k]);
            used += w > 0 ? (size_t)w : 0;
        }
        if (next == NULL) {
            return hp_error_set(err, HP_ERR_INVALID, "%s: missing", path);
        }
        char what[64];
        return hp_error_set(err, HP_ERR_INVALID, "%s: expected object, got %s", path,
                            hp_k8s_describe(next, what, sizeof(what)));
    }
    *out = cur;
    return HP_OK;
}

enum hp_err hp_k8s_podspec_find(struct json_object *obj, enum hp_workload w, struct hp_podspec *out,
                                struct hp_error *err)
{
    static const char *const pod[] = {"spec"};
    static const char *const tmpl[] = {"spec", "template", "spec"};
    static const char *const cron[] = {"spec", "jobTemplate", "spec", "template", "spec"};
    static const char *const podtemplate[] = {"template", "spec"};
    memset(out, 0, sizeof(*out));
    out->workload = w;
    const char *const *keys;
    size_t n;
    switch (w) {
    case HP_WORKLOAD_NONE:
        return HP_OK;
    case HP_WORKLOAD_EPHEMERAL_CONTAINERS:
        /* The containers sit at the top of the object. */
        if (!json_object_is_type(obj, json_type_object)) {
            return hp_error_set(err, HP_ERR_INVALID, "object: expected a JSON object");
        }
        out->spec = obj;
        out->prefix = "";
        out->metadata_prefix = "metadata";
        return HP_OK;
    case HP_WORKLOAD_POD:
        keys = pod, n = 1;
        out->prefix = "spec";
        out->metadata_prefix = "metadata";
        break;
    case HP_WORKLOAD_CRONJOB:
        keys = cron, n = 5;
        out->prefix = "spec.jobTemplate.spec.template.spec";
        out->metadata_prefix = "spec.jobTemplate.spec.template.metadata";
        break;
    case HP_WORKLOAD_PODTEMPLATE:
        keys = podtemplate, n = 2;
        out->prefix = "template.spec";
        out->metadata_prefix = "template.metadata";
        break;
    default:
        keys = tmpl, n = 3;
        out->prefix = "spec.template.spec";
        out->metadata_prefix = "spec.template.metadata";
        break;
    }
    if (!json_object_is_type(obj, json_type_object)) {
        return hp_error_set(err, HP_ERR_INVALID, "object: expected a JSON object");
    }
    struct json_object *parent = obj;
    enum hp_err rc = walk(obj, keys, n, &out->spec, &parent, err);
    if (rc != HP_OK) {
        return rc;
    }
    /* Metadata is optional; annotations are only read when it is an object. */
    struct json_object *meta = hp_k8s_field(parent, "metadata");
    out->metadata = json_object_is_type(meta, json_type_object) ? meta : NULL;
    return HP_OK;
}

/* ---- paths of custom kinds ------------------------------------------------ */

enum step_kind {
    STEP_FIELD,    /* "key": must be present */
    STEP_OPTIONAL, /* "key?": absent ends the branch */
    STEP_EACH,     /* "key[*]": every element of a list (absent: none) */
};

struct step {
    const char *key;
    size_t len;
    enum step_kind kind;
};

static bool is_key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

/* Reads the step at p[*at]; *at then points past it and its '.'. Returns
 * false on a syntax error, with why and *at the byte (0-based) it is at. */
static bool parse_step(const char *p, size_t *at, struct step *s, const char **why)
{
    size_t i = *at;
    s->key = p + i;
    while (is_key_char(p[i])) {
        i++;
    }
    s->len = (size_t)(p + i - s->key);
    s->kind = STEP_FIELD;
    *why = NULL;
    if (s->len == 0) {
        *why = p[i] == '.' || p[i] == '\0' ? "expected a field name"
                                           : "unexpected character (field names are letters, "
                                             "digits, '_' and '-')";
    } else if (p[i] == '?') {
        s->kind = STEP_OPTIONAL;
        i++;
    } else if (p[i] == '[') {
        if (strncmp(p + i, "[*]", 3) == 0) {
            s->kind = STEP_EACH;
            i += 3;
        } else {
            *why = "only [*] selects list elements";
        }
    }
    if (*why == NULL && p[i] == '.') {
        i++;
        if (p[i] == '\0') {
            *why = "expected a field name after the last '.'";
        }
    } else if (*why == NULL && p[i] != '\0') {
        *why = s->kind == STEP_FIELD ? "unexpected character (field names are letters, digits, "
                                       "'_' and '-')"
                                     : "expected '.' or the end of the path";
    }
    *at = i;
    return *why == NULL;
}

enum hp_err hp_k8s_path_check(const char *path, struct hp_error *err)
{
    size_t len = strlen(path);
    if (len == 0) {
        return hp_error_set(err, HP_ERR_INVALID, "expected a non-empty path");
    }
    if (len > HP_K8S_PATH_MAX) {
        return hp_error_set(err, HP_ERR_INVALID, "%zu bytes, over the limit of %d", len,
                            HP_K8S_PATH_MAX);
    }
    size_t at = 0;
    int each = 0;
    while (path[at] != '\0') {
        struct step s;
        const char *why = NULL;
        if (!parse_step(path, &at, &s, &why)) {
            return hp_error_set(err, HP_ERR_INVALID, "%s (byte %zu)", why, at + 1);
        }
        each += s.kind == STEP_EACH;
    }
    if (each > HP_K8S_PATH_MAX_EACH) {
        return hp_error_set(err, HP_ERR_INVALID, "%d [*] steps, over the limit of %d", each,
                            HP_K8S_PATH_MAX_EACH);
    }
    return HP_OK;
}

/* The state of one walk: the path reached so far is prefix[0..len) of the
 * current frame; frames write their own suffix after it. */
struct walker {
    const struct hp_k8s_kind *kind;
    bool lenient; /* the object sets kind->reference: absent fields end a branch */
    hp_podspec_fn fn;
    void *arg;
    struct hp_error *err;
    char prefix[HP_K8S_PREFIX_MAX];
    char meta[HP_K8S_PREFIX_MAX];
};

/* Appends ".key" (or "key" at the start) or "[i]" (key NULL) at prefix[len];
 * the new length, or 0 when it does not fit (paths are validated to fit). */
static size_t append(struct walker *w, size_t len, const char *key, size_t key_len, size_t i)
{
    size_t room = sizeof(w->prefix) - len;
    int n = key != NULL
                ? snprintf(w->prefix + len, room, "%s%.*s", len > 0 ? "." : "", (int)key_len, key)
                : snprintf(w->prefix + len, room, "[%zu]", i);
    return n > 0 && (size_t)n < room ? len + (size_t)n : 0;
}

static enum hp_err too_long(struct walker *w, size_t len)
{
    return hp_error_set(w->err, HP_ERR_LIMIT, "%.*s...: path too long", (int)len, w->prefix);
}

/* Hands the pod spec at prefix[0..len) to the callback. holder is the object
 * whose field it is (its sibling "metadata" is the template's), holder_len
 * the length of holder's path; holder NULL for a list element. */
static enum hp_err found(struct walker *w, struct json_object *spec, size_t len,
                         struct json_object *holder, size_t holder_len)
{
    struct hp_podspec ps = {.workload = HP_WORKLOAD_CUSTOM, .spec = spec, .prefix = w->prefix};
    w->prefix[len] = '\0';
    if (holder != NULL) {
        struct json_object *meta = hp_k8s_field(holder, "metadata");
        ps.metadata = json_object_is_type(meta, json_type_object) ? meta : NULL;
        snprintf(w->meta, sizeof(w->meta), "%.*s%smetadata", (int)holder_len, w->prefix,
                 holder_len > 0 ? "." : "");
        ps.metadata_prefix = w->meta;
    }
    return w->fn(&ps, w->arg, w->err);
}

static enum hp_err not_object(struct walker *w, size_t len, struct json_object *v)
{
    char what[64];
    w->prefix[len] = '\0';
    return hp_error_set(w->err, HP_ERR_INVALID, "%s: expected object, got %s", w->prefix,
                        hp_k8s_describe(v, what, sizeof(what)));
}

/* Walks path[at..] from cur, an object whose path is prefix[0..len). */
static enum hp_err walk_from(struct walker *w, const char *path, size_t at, struct json_object *cur,
                             size_t len)
{
    struct step s;
    const char *why = NULL;
    if (!parse_step(path, &at, &s, &why)) {
        /* Paths are validated when they are loaded; a bad one finds nothing
         * silently never. */
        return hp_error_set(w->err, HP_ERR_INVALID, "a path of %s %s is invalid: %s",
                            w->kind->group, w->kind->kind, why);
    }
    bool last = path[at] == '\0';
    size_t klen = append(w, len, s.key, s.len, 0);
    if (klen == 0) {
        return too_long(w, len);
    }
    char key[HP_K8S_PATH_MAX + 1];
    snprintf(key, sizeof(key), "%.*s", (int)s.len, s.key);
    struct json_object *v = hp_k8s_field(cur, key);
    if (v == NULL) {
        if (s.kind != STEP_FIELD || w->lenient) {
            return HP_OK;
        }
        if (w->kind->reference != NULL) {
            return hp_error_set(w->err, HP_ERR_INVALID, "%s: missing (and %s is not set)",
                                w->prefix, w->kind->reference);
        }
        return hp_error_set(w->err, HP_ERR_INVALID, "%s: missing", w->prefix);
    }
    if (s.kind != STEP_EACH) {
        if (!json_object_is_type(v, json_type_object)) {
            return not_object(w, klen, v);
        }
        return last ? found(w, v, klen, cur, len) : walk_from(w, path, at, v, klen);
    }
    if (!json_object_is_type(v, json_type_array)) {
        char what[64];
        return hp_error_set(w->err, HP_ERR_INVALID, "%s: expected array, got %s", w->prefix,
                            hp_k8s_describe(v, what, sizeof(what)));
    }
    size_t n = json_object_array_length(v);
    for (size_t i = 0; i < n; i++) {
        struct json_object *el = json_object_array_get_idx(v, i);
        size_t ilen = append(w, klen, NULL, 0, i);
        if (ilen == 0) {
            return too_long(w, klen);
        }
        if (!json_object_is_type(el, json_type_object)) {
            return not_object(w, ilen, el);
        }
        enum hp_err rc = last ? found(w, el, ilen, NULL, 0) : walk_from(w, path, at, el, ilen);
        if (rc != HP_OK) {
            return rc;
        }
    }
    return HP_OK;
}

/* Whether the field at a plain path ("spec.workloadRef") is present and not null. */
static bool has_field(struct json_object *obj, const char *path)
{
    struct json_object *cur = obj;
    const char *p = path;
    while (cur != NULL) {
        const char *dot = strchr(p, '.');
        size_t n = dot != NULL ? (size_t)(dot - p) : strlen(p);
        char key[HP_K8S_PATH_MAX + 1];
        if (n >= sizeof(key)) {
            return false;
        }
        snprintf(key, sizeof(key), "%.*s", (int)n, p);
        cur = hp_k8s_field(cur, key);
        if (dot == NULL) {
            return cur != NULL;
        }
        p = dot + 1;
    }
    return false;
}

enum hp_err hp_k8s_podspec_each(struct json_object *obj, const struct hp_k8s_kind *k,
                                hp_podspec_fn fn, void *arg, struct hp_error *err)
{
    if (!json_object_is_type(obj, json_type_object)) {
        return hp_error_set(err, HP_ERR_INVALID, "object: expected a JSON object");
    }
    struct walker w = {.kind = k, .fn = fn, .arg = arg, .err = err};
    w.lenient = k->reference != NULL && has_field(obj, k->reference);
    for (size_t i = 0; i < k->n_paths; i++) {
        enum hp_err rc = walk_from(&w, k->paths[i], 0, obj, 0);
        if (rc != HP_OK) {
            return rc;
        }
    }
    return HP_OK;
}

static enum hp_err count_one(const struct hp_podspec *ps, void *arg, struct hp_error *err)
{
    (void)ps;
    (void)err;
    (*(size_t *)arg)++;
    return HP_OK;
}

enum hp_err hp_k8s_podspec_count(const struct hp_k8s_kinds *user, struct json_object *obj,
                                 const char *api_version, const char *kind, size_t *n,
                                 struct hp_error *err)
{
    *n = 0;
    enum hp_workload w = hp_k8s_workload(api_version, kind);
    if (w != HP_WORKLOAD_NONE) {
        struct hp_podspec ps;
        enum hp_err rc = hp_k8s_podspec_find(obj, w, &ps, err);
        *n = rc == HP_OK ? 1 : 0;
        return rc;
    }
    const struct hp_k8s_kind *k = hp_k8s_kind_find(user, api_version, kind);
    return k != NULL ? hp_k8s_podspec_each(obj, k, count_one, n, err) : HP_OK;
}

const char *hp_k8s_list_name(enum hp_container_list l)
{
    static const char *const names[] = {"initContainers", "containers", "ephemeralContainers"};
    return (unsigned)l < HP_LIST_COUNT ? names[l] : "containers";
}
