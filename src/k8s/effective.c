/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Typed field reads with validity, and effective security settings: the
 * container securityContext overrides the pod securityContext field by field.
 * A value of the wrong JSON type is kept as "bad" so that checks fail closed.
 */
#include "hardpod/k8s.h"

#include <json-c/json.h>

static struct json_object *field(struct json_object *obj, const char *key)
{
    struct json_object *v = NULL;
    if (obj == NULL || !json_object_object_get_ex(obj, key, &v)) {
        return NULL;
    }
    return v; /* NULL for JSON null */
}

struct hp_bool_val hp_k8s_get_bool(struct json_object *obj, const char *key)
{
    struct hp_bool_val r = {HP_V_UNSET, false, false};
    struct json_object *v = field(obj, key);
    if (v == NULL) {
        return r;
    }
    if (!json_object_is_type(v, json_type_boolean)) {
        r.state = HP_V_BAD;
        return r;
    }
    r.state = HP_V_OK;
    r.value = json_object_get_boolean(v) != 0;
    return r;
}

struct hp_int_val hp_k8s_get_int(struct json_object *obj, const char *key)
{
    struct hp_int_val r = {HP_V_UNSET, 0, false};
    struct json_object *v = field(obj, key);
    if (v == NULL) {
        return r;
    }
    /* json-c keeps integers above INT64_MAX as uint64; those are out of range. */
    if (!json_object_is_type(v, json_type_int) ||
        (json_object_get_int64(v) == INT64_MAX && json_object_get_uint64(v) > INT64_MAX)) {
        r.state = HP_V_BAD;
        return r;
    }
    r.state = HP_V_OK;
    r.value = json_object_get_int64(v);
    return r;
}

struct hp_obj_val hp_k8s_get_obj(struct json_object *obj, const char *key)
{
    struct hp_obj_val r = {HP_V_UNSET, NULL, false};
    struct json_object *v = field(obj, key);
    if (v == NULL) {
        return r;
    }
    r.state = json_object_is_type(v, json_type_object) ? HP_V_OK : HP_V_BAD;
    r.obj = r.state == HP_V_OK ? v : NULL;
    return r;
}

void hp_k8s_effective(struct json_object *pod_sc, struct json_object *ctr_sc,
                      struct hp_effective *out)
{
    /* The container's value wins whenever it is present, even when it is of
     * the wrong type: a bad container value must not fall back to the pod's. */
#define RESOLVE(dst, getter, key)                                                                  \
    do {                                                                                           \
        out->dst = getter(ctr_sc, key);                                                            \
        if (out->dst.state == HP_V_UNSET) {                                                        \
            out->dst = getter(pod_sc, key);                                                        \
            out->dst.from_pod = out->dst.state != HP_V_UNSET;                                      \
        }                                                                                          \
    } while (0)
    RESOLVE(run_as_non_root, hp_k8s_get_bool, "runAsNonRoot");
    RESOLVE(run_as_user, hp_k8s_get_int, "runAsUser");
    RESOLVE(run_as_group, hp_k8s_get_int, "runAsGroup");
    RESOLVE(seccomp_profile, hp_k8s_get_obj, "seccompProfile");
    RESOLVE(selinux_options, hp_k8s_get_obj, "seLinuxOptions");
    RESOLVE(apparmor_profile, hp_k8s_get_obj, "appArmorProfile");
#undef RESOLVE
}
