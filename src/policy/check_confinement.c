/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The kernel's confinement of a container: seLinuxOptions, appArmorProfile
 * (the field and the older pod annotations) and seccompProfile. Each is set
 * in the pod securityContext, the container's, or both; a value written at
 * pod level is judged once there, and the container parts judge only what a
 * container sets itself (or must set, for seccomp).
 */
#include "internal.h"

#include <json-c/json.h>
#include <string.h>

/* Checks a profile object (seccompProfile, appArmorProfile) whose type must be
 * RuntimeDefault or Localhost; field is its key in securityContext. */
static void profile_type(struct pol_eval *e, enum hp_check c, struct hp_obj_val v, bool ctr,
                         const char *field)
{
    if (v.state == HP_V_UNSET) {
        return;
    }
    const char *type = v.state == HP_V_OK ? hp_k8s_string(hp_k8s_field(v.obj, "type")) : NULL;
    if (type != NULL && (strcmp(type, "RuntimeDefault") == 0 || strcmp(type, "Localhost") == 0)) {
        return;
    }
    const char *who = "pod";
    if (ctr) {
        pol_names(e);
        who = e->who;
    }
    /* Baseline's ban on Unconfined is a floor hardened never goes below. */
    enum hp_action action =
        c == HP_CHECK_SECCOMP_PROFILE ? pol_floor(e, c) : e->p->checks[c].action;
    pol_emit_action(
        e, c, action, ctr,
        pol_path(e, "%s.securityContext.%s.type", ctr ? e->cpath : e->ps->prefix, field),
        c == HP_CHECK_SECCOMP_PROFILE
            ? "securityContext: {seccompProfile: {type: RuntimeDefault}}"
            : "securityContext: {appArmorProfile: {type: RuntimeDefault}}",
        "%s securityContext.%s.type must be RuntimeDefault or Localhost, not %s%.64s%s", who, field,
        type != NULL ? "\"" : "", type != NULL ? type : "a missing or invalid value",
        type != NULL ? "\"" : "");
}

/* Checks seLinuxOptions: type from the allowed list, no user or role. */
static void selinux(struct pol_eval *e, struct hp_obj_val v, bool ctr)
{
    static const char *const types[] = {"", "container_t", "container_init_t", "container_kvm_t",
                                        "container_engine_t"};
    if (v.state == HP_V_UNSET) {
        return;
    }
    const char *who = "pod";
    if (ctr) {
        pol_names(e);
        who = e->who;
    }
    const char *base = ctr ? e->cpath : e->ps->prefix;
    const char *fix = "securityContext: {seLinuxOptions: {type: container_t}} (no user or role)";
    if (v.state == HP_V_BAD) {
        pol_emit(e, HP_CHECK_SELINUX_OPTIONS, ctr,
                 pol_path(e, "%s.securityContext.seLinuxOptions", base), fix,
                 "%s securityContext.seLinuxOptions must be an object", who);
        return;
    }
    struct json_object *t = hp_k8s_field(v.obj, "type");
    if (t != NULL) {
        const char *s = hp_k8s_string(t);
        bool ok = false;
        for (size_t i = 0; s != NULL && i < sizeof(types) / sizeof(types[0]); i++) {
            ok = ok || strcmp(types[i], s) == 0;
        }
        if (!ok) {
            pol_emit(e, HP_CHECK_SELINUX_OPTIONS, ctr,
                     pol_path(e, "%s.securityContext.seLinuxOptions.type", base), fix,
                     "%s seLinuxOptions.type must be container_t, container_init_t, "
                     "container_kvm_t or container_engine_t, not \"%.64s\"",
                     who, s != NULL ? s : "(not a string)");
        }
    }
    static const char *const forbidden[] = {"user", "role"};
    for (size_t i = 0; i < 2; i++) {
        struct json_object *f = hp_k8s_field(v.obj, forbidden[i]);
        const char *s = hp_k8s_string(f);
        if (f == NULL || (s != NULL && s[0] == '\0')) {
            continue;
        }
        pol_emit(e, HP_CHECK_SELINUX_OPTIONS, ctr,
                 pol_path(e, "%s.securityContext.seLinuxOptions.%s", base, forbidden[i]), fix,
                 "%s must not set seLinuxOptions.%s", who, forbidden[i]);
    }
}

void pol_selinux_options_pod(struct pol_eval *e)
{
    selinux(e, hp_k8s_obj(e->podf.selinux_options), false);
}

void pol_selinux_options_ctr(struct pol_eval *e)
{
    if (!e->eff.selinux_options.from_pod) {
        selinux(e, e->eff.selinux_options, true);
    }
}

static void apparmor_annotations(struct pol_eval *e)
{
    static const char prefix[] = "container.apparmor.security.beta.kubernetes.io/";
    struct json_object *ann = hp_k8s_field(e->ps->metadata, "annotations");
    if (!json_object_is_type(ann, json_type_object)) {
        return;
    }
    json_object_object_foreach(ann, key, val)
    {
        if (strncmp(key, prefix, sizeof(prefix) - 1) != 0) {
            continue;
        }
        const char *s = hp_k8s_string(val);
        if (s != NULL && (s[0] == '\0' || strcmp(s, "runtime/default") == 0 ||
                          strncmp(s, "localhost/", 10) == 0)) {
            continue;
        }
        pol_emit(e, HP_CHECK_APPARMOR_PROFILE, false,
                 pol_path(e, "%s.annotations[\"%.200s\"]", e->ps->metadata_prefix, key),
                 "securityContext: {appArmorProfile: {type: RuntimeDefault}}",
                 "annotation %.200s must be runtime/default or localhost/<profile>, not "
                 "\"%.64s\"",
                 key, s != NULL ? s : "(not a string)");
    }
}

void pol_apparmor_profile_pod(struct pol_eval *e)
{
    apparmor_annotations(e);
    profile_type(e, HP_CHECK_APPARMOR_PROFILE, hp_k8s_obj(e->podf.apparmor_profile), false,
                 "appArmorProfile");
}

void pol_apparmor_profile_ctr(struct pol_eval *e)
{
    if (!e->eff.apparmor_profile.from_pod) {
        profile_type(e, HP_CHECK_APPARMOR_PROFILE, e->eff.apparmor_profile, true,
                     "appArmorProfile");
    }
}

/* A pod-level type other than RuntimeDefault or Localhost fails at every
 * level: PSA's Windows exemption lifts only the restricted requirement to
 * set one, not baseline's ban on Unconfined. */
void pol_seccomp_profile_pod(struct pol_eval *e)
{
    profile_type(e, HP_CHECK_SECCOMP_PROFILE, hp_k8s_obj(e->podf.seccomp_profile), false,
                 "seccompProfile");
}

void pol_seccomp_profile_ctr(struct pol_eval *e)
{
    enum hp_level level = pol_level(e, HP_CHECK_SECCOMP_PROFILE);
    if (level == HP_LEVEL_RESTRICTED && e->p->windows_exemptions && e->windows) {
        /* PSA exempts Windows pods from restricted's requirement to set a
         * profile; baseline's ban on Unconfined, part of restricted, stays. */
        level = HP_LEVEL_BASELINE;
    }
    struct hp_obj_val v = e->eff.seccomp_profile;
    if (v.from_pod) {
        return;
    }
    if (v.state == HP_V_UNSET) {
        /* Baseline requires no profile; hardened and restricted ask for one
         * with the check's action. A profile that is set with a bad type is
         * judged below, a deny at hardened too (pol_floor). */
        if (level != HP_LEVEL_BASELINE) {
            pol_emit(e, HP_CHECK_SECCOMP_PROFILE, true, pol_sc_path(e, "seccompProfile.type"),
                     "securityContext: {seccompProfile: {type: RuntimeDefault}} (pod or "
                     "container)",
                     "%s must set securityContext.seccompProfile.type to RuntimeDefault or "
                     "Localhost (in the container or the pod)",
                     e->who);
        }
        return;
    }
    profile_type(e, HP_CHECK_SECCOMP_PROFILE, v, true, "seccompProfile");
}
