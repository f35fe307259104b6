/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Typed field reads with validity, and effective security settings: the
 * container securityContext overrides the pod securityContext field by field.
 * A value of the wrong JSON type is kept as "bad" so that checks fail closed.
 */
#include "hardpod/k8s.h"

#include <json-c/json.h>
#include <stdint.h>
#include <string.h>

/* Equality of two keys that already share their first byte. Inline, since
 * these keys are short and a call to strcmp costs more than the compare. */
static inline bool same_key(const char *a, const char *b)
{
    while (*a != '\0' && *a == *b) {
        a++, b++;
    }
    return *a == *b;
}

struct json_object *hp_k8s_field(struct json_object *obj, const char *key)
{
    if (obj == NULL || !json_object_is_type(obj, json_type_object)) {
        return NULL;
    }
    /* The objects of a pod spec are small: walking their few members costs
     * less than hashing the key. */
    if (json_object_object_length(obj) <= 8) {
        json_object_object_foreach(obj, k, val)
        {
            if (k[0] == key[0] && same_key(k, key)) {
                return val;
            }
        }
        return NULL;
    }
    struct json_object *v = NULL;
    return json_object_object_get_ex(obj, key, &v) ? v : NULL; /* NULL for JSON null */
}

void hp_k8s_pick(struct json_object *obj, const char *const *keys, size_t n,
                 struct json_object **out)
{
    for (size_t i = 0; i < n; i++) {
        out[i] = NULL;
    }
    if (obj == NULL || !json_object_is_type(obj, json_type_object)) {
        return;
    }
    json_object_object_foreach(obj, key, val)
    {
        for (size_t i = 0; i < n; i++) {
            if (keys[i][0] == key[0] && same_key(keys[i], key)) {
                out[i] = val;
                break;
            }
        }
    }
}

const char *hp_k8s_string(struct json_object *v)
{
    if (!json_object_is_type(v, json_type_string)) {
        return NULL;
    }
    /* A string with an embedded NUL ("ALL\u0000") would compare equal to its
     * prefix as a C string: treat it as not a string, so checks fail closed. */
    const char *s = json_object_get_string(v);
    return strlen(s) == (size_t)json_object_get_string_len(v) ? s : NULL;
}

struct hp_bool_val hp_k8s_bool(struct json_object *v)
{
    struct hp_bool_val r = {HP_V_UNSET, false, false};
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

struct hp_int_val hp_k8s_int(struct json_object *v)
{
    struct hp_int_val r = {HP_V_UNSET, 0, false};
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

struct hp_obj_val hp_k8s_obj(struct json_object *v)
{
    struct hp_obj_val r = {HP_V_UNSET, NULL, false};
    if (v == NULL) {
        return r;
    }
    r.state = json_object_is_type(v, json_type_object) ? HP_V_OK : HP_V_BAD;
    r.obj = r.state == HP_V_OK ? v : NULL;
    return r;
}

struct hp_bool_val hp_k8s_get_bool(struct json_object *obj, const char *key)
{
    return hp_k8s_bool(hp_k8s_field(obj, key));
}

struct hp_int_val hp_k8s_get_int(struct json_object *obj, const char *key)
{
    return hp_k8s_int(hp_k8s_field(obj, key));
}

struct hp_obj_val hp_k8s_get_obj(struct json_object *obj, const char *key)
{
    return hp_k8s_obj(hp_k8s_field(obj, key));
}

void hp_k8s_scan(struct json_object *obj, const struct hp_k8s_slot *slots, size_t n, void *out)
{
    if (obj == NULL || !json_object_is_type(obj, json_type_object)) {
        return;
    }
    json_object_object_foreach(obj, key, val)
    {
        size_t len = strlen(key);
        for (size_t i = 0; i < n; i++) {
            if (slots[i].len == len && slots[i].key[0] == key[0] &&
                memcmp(slots[i].key, key, len) == 0) {
                *(struct json_object **)((char *)out + slots[i].offset) = val;
                break;
            }
        }
    }
}

#define SC(key, member) HP_K8S_SLOT(struct hp_sc_fields, key, member)
static const struct hp_k8s_slot sc_slots[] = {
    SC("fsGroup", fs_group),
    SC("sysctls", sysctls),
    SC("procMount", proc_mount),
    SC("runAsUser", run_as_user),
    SC("privileged", privileged),
    SC("runAsGroup", run_as_group),
    SC("capabilities", capabilities),
    SC("runAsNonRoot", run_as_non_root),
    SC("seLinuxOptions", selinux_options),
    SC("seccompProfile", seccomp_profile),
    SC("windowsOptions", windows_options),
    SC("appArmorProfile", apparmor_profile),
    SC("supplementalGroups", supplemental_groups),
    SC("readOnlyRootFilesystem", read_only_root_filesystem),
    SC("allowPrivilegeEscalation", allow_privilege_escalation),
};
#undef SC

void hp_k8s_sc_scan(struct json_object *sc, struct hp_sc_fields *out)
{
    memset(out, 0, sizeof(*out));
    hp_k8s_scan(sc, sc_slots, sizeof(sc_slots) / sizeof(sc_slots[0]), out);
}

void hp_k8s_effective(const struct hp_sc_fields *pod, const struct hp_sc_fields *ctr,
                      struct hp_effective *out)
{
    /* The container's value wins whenever it is present, even when it is of
     * the wrong type: a bad container value must not fall back to the pod's. */
#define RESOLVE(dst, conv, member)                                                                 \
    do {                                                                                           \
        out->dst = conv(ctr->member);                                                              \
        if (out->dst.state == HP_V_UNSET) {                                                        \
            out->dst = conv(pod->member);                                                          \
            out->dst.from_pod = out->dst.state != HP_V_UNSET;                                      \
        }                                                                                          \
    } while (0)
    RESOLVE(run_as_non_root, hp_k8s_bool, run_as_non_root);
    RESOLVE(run_as_user, hp_k8s_int, run_as_user);
    RESOLVE(run_as_group, hp_k8s_int, run_as_group);
    RESOLVE(seccomp_profile, hp_k8s_obj, seccomp_profile);
    RESOLVE(selinux_options, hp_k8s_obj, selinux_options);
    RESOLVE(apparmor_profile, hp_k8s_obj, apparmor_profile);
#undef RESOLVE
}
