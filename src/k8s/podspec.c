/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Locating the pod spec inside Pods and workload objects, including the
 * legacy group versions that old manifests still use. Borrowed views only.
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
        const char *s = json_object_get_string(v);
        int len = json_object_get_string_len(v);
        snprintf(buf, size, "string \"%.*s%s\"", len > 32 ? 32 : len, s, len > 32 ? "..." : "");
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

const char *hp_k8s_list_name(enum hp_container_list l)
{
    static const char *const names[] = {"initContainers", "containers", "ephemeralContainers"};
    return (unsigned)l < HP_LIST_COUNT ? names[l] : "containers";
}
