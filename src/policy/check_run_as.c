/* SPDX-License-Identifier: Apache-2.0 */
/*
 * runAsNonRoot, runAsUser and runAsGroup: the identity the processes run as.
 * A value written in the pod securityContext is judged once, at pod level;
 * the container parts judge the effective value (e->eff) only where the
 * container sets its own, so an inherited violation is reported once, where
 * it is written.
 */
#include "internal.h"

#include <json-c/json.h>
#include <stdio.h>

/* Pod Security Admission's restricted level accepts root inside a user
 * namespace (spec.hostUsers: false) for runAsNonRoot and runAsUser. */
bool pol_run_as_applies(const struct pol_eval *e, enum hp_check c)
{
    return !(pol_level(e, c) == HP_LEVEL_RESTRICTED && e->host_users_false);
}

/* ", not 0" for a forbidden value, ": runAsUser has the wrong type (...)" for a bad one. */
static const char *describe_int(struct json_object *sc, const char *key, struct hp_int_val v,
                                char *buf, size_t size)
{
    if (v.state == HP_V_BAD) {
        char why[128];
        snprintf(buf, size, ": %s", pol_bad(sc, key, why, sizeof(why)));
    } else {
        snprintf(buf, size, ", not %lld", (long long)v.value);
    }
    return buf;
}

void pol_run_as_non_root_pod(struct pol_eval *e)
{
    struct hp_bool_val v = hp_k8s_bool(e->podf.run_as_non_root);
    if (v.state == HP_V_BAD || (v.state == HP_V_OK && !v.value)) {
        char why[128];
        pol_emit(e, HP_CHECK_RUN_AS_NON_ROOT, false,
                 pol_path(e, "%s.securityContext.runAsNonRoot", e->ps->prefix),
                 "securityContext: {runAsNonRoot: true}",
                 "pod must set securityContext.runAsNonRoot=true%s%s",
                 v.state == HP_V_BAD ? ": " : " (it is false)",
                 v.state == HP_V_BAD ? pol_bad(e->pod_sc, "runAsNonRoot", why, sizeof(why)) : "");
    }
}

void pol_run_as_user_pod(struct pol_eval *e)
{
    struct hp_int_val v = hp_k8s_int(e->podf.run_as_user);
    if (v.state == HP_V_BAD || (v.state == HP_V_OK && v.value < e->p->min_uid)) {
        char why[128];
        pol_emit(e, HP_CHECK_RUN_AS_USER, false,
                 pol_path(e, "%s.securityContext.runAsUser", e->ps->prefix),
                 "securityContext: {runAsUser: 10001}",
                 "pod securityContext.runAsUser must be an integer >= %lld%s",
                 (long long)e->p->min_uid,
                 describe_int(e->pod_sc, "runAsUser", v, why, sizeof(why)));
    }
}

void pol_run_as_group_pod(struct pol_eval *e)
{
    const char *pfx = e->ps->prefix;
    struct hp_int_val v = hp_k8s_int(e->podf.run_as_group);
    if (v.state == HP_V_BAD || (v.state == HP_V_OK && v.value < e->p->min_gid)) {
        char why[128];
        pol_emit(e, HP_CHECK_RUN_AS_GROUP, false, pol_path(e, "%s.securityContext.runAsGroup", pfx),
                 "securityContext: {runAsGroup: 10001}",
                 "pod securityContext.runAsGroup must be an integer >= %lld%s",
                 (long long)e->p->min_gid,
                 describe_int(e->pod_sc, "runAsGroup", v, why, sizeof(why)));
    }
    struct hp_int_val fs = hp_k8s_int(e->podf.fs_group);
    if (fs.state == HP_V_BAD || (fs.state == HP_V_OK && fs.value <= 0)) {
        pol_emit(e, HP_CHECK_RUN_AS_GROUP, false, pol_path(e, "%s.securityContext.fsGroup", pfx),
                 "securityContext: {fsGroup: 10001}",
                 "pod securityContext.fsGroup must be a positive integer (not the root group 0)");
    }
    struct json_object *sup = e->podf.supplemental_groups;
    if (sup == NULL) {
        return;
    }
    if (!json_object_is_type(sup, json_type_array)) {
        pol_emit(e, HP_CHECK_RUN_AS_GROUP, false,
                 pol_path(e, "%s.securityContext.supplementalGroups", pfx),
                 "securityContext: {supplementalGroups: [10001]}",
                 "pod securityContext.supplementalGroups must be a list of positive integers");
        return;
    }
    size_t n = json_object_array_length(sup);
    for (size_t i = 0; i < n; i++) {
        /* hp_k8s_int: json-c reads an integer above INT64_MAX (kept as
         * uint64) as INT64_MAX, which must not pass as a positive id. */
        struct hp_int_val g = hp_k8s_int(json_object_array_get_idx(sup, i));
        if (g.state == HP_V_OK && g.value > 0) {
            continue;
        }
        pol_emit(e, HP_CHECK_RUN_AS_GROUP, false,
                 pol_path(e, "%s.securityContext.supplementalGroups[%zu]", pfx, i),
                 "remove group 0 from securityContext.supplementalGroups",
                 "pod securityContext.supplementalGroups must not contain the root group 0 "
                 "(or a value that is not a positive integer)");
    }
}

void pol_run_as_non_root_ctr(struct pol_eval *e)
{
    struct hp_bool_val v = e->eff.run_as_non_root;
    if (v.from_pod || (v.state == HP_V_OK && v.value)) {
        if (e->img != NULL) {
            /* Set as required: whether the kubelet can verify it depends
             * on the image's user. */
            pol_image_run_as_ctr(e);
        }
        return;
    }
    char why[160];
    pol_emit(e, HP_CHECK_RUN_AS_NON_ROOT, true, pol_sc_path(e, "runAsNonRoot"),
             "securityContext: {runAsNonRoot: true}",
             "%s must set securityContext.runAsNonRoot=true%s", e->who,
             pol_sc_why(e, v.state, "runAsNonRoot", v.state == HP_V_OK ? " (it is false)" : "", why,
                        sizeof(why)));
}

static void run_as_id(struct pol_eval *e, enum hp_check c, struct hp_int_val v, int64_t min,
                      const char *field, const char *fix)
{
    if (v.from_pod) {
        return;
    }
    if (v.state == HP_V_UNSET) {
        if (pol_level(e, c) == HP_LEVEL_HARDENED) {
            pol_emit(e, c, true, pol_sc_path(e, field), fix,
                     "%s must set securityContext.%s to an id >= %lld%s", e->who, field,
                     (long long)min,
                     c == HP_CHECK_RUN_AS_USER
                         ? " (without it kubelet refuses images whose USER is not a numeric "
                           "non-root id: \"container has runAsNonRoot and image will run as "
                           "root\")"
                         : " (without it the process keeps the image's group, often root)");
        }
        return;
    }
    if (v.state == HP_V_BAD || v.value < min) {
        char why[160];
        char val[32];
        snprintf(val, sizeof(val), ", not %lld", (long long)v.value);
        pol_emit(e, c, true, pol_sc_path(e, field), fix,
                 "%s must set securityContext.%s to an integer >= %lld%s", e->who, field,
                 (long long)min, pol_sc_why(e, v.state, field, val, why, sizeof(why)));
    }
}

void pol_run_as_user_ctr(struct pol_eval *e)
{
    run_as_id(e, HP_CHECK_RUN_AS_USER, e->eff.run_as_user, e->p->min_uid, "runAsUser",
              "securityContext: {runAsUser: 10001}");
}

void pol_run_as_group_ctr(struct pol_eval *e)
{
    run_as_id(e, HP_CHECK_RUN_AS_GROUP, e->eff.run_as_group, e->p->min_gid, "runAsGroup",
              "securityContext: {runAsGroup: 10001}");
}
