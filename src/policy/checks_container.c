/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Container-level checks. Each reads the container's own securityContext or
 * the effective values resolved once per container (e->eff). A value that the
 * container inherits from the pod is judged by the pod-level checks, so an
 * inherited violation is reported once, where it is written.
 */
#include "eval.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A boolean in the container securityContext; bad when the context itself is. */
static struct hp_bool_val sc_bool(const struct hp_eval *e, struct json_object *v)
{
    if (e->sc_bad) {
        return (struct hp_bool_val){HP_V_BAD, false, false};
    }
    return hp_k8s_bool(v);
}

static const char *sc_path(struct hp_eval *e, const char *field)
{
    return hp_eval_path(e, "%s.securityContext.%s", e->cpath, field);
}

static const char *bad_or(const struct hp_eval *e, enum hp_vstate st, const char *key,
                          const char *otherwise, char *buf, size_t size)
{
    if (st != HP_V_BAD) {
        return otherwise;
    }
    if (e->sc_bad) {
        snprintf(buf, size, ": securityContext is not an object");
        return buf;
    }
    char why[128];
    snprintf(buf, size, ": %s", hp_eval_bad(e->sc, key, why, sizeof(why)));
    return buf;
}

static void run_as_non_root(struct hp_eval *e, const char *who)
{
    if (hp_eval_level(e, HP_CHECK_RUN_AS_NON_ROOT) == HP_LEVEL_RESTRICTED && e->host_users_false) {
        return;
    }
    struct hp_bool_val v = e->eff.run_as_non_root;
    if (v.from_pod || (v.state == HP_V_OK && v.value)) {
        return;
    }
    char why[160];
    hp_eval_emit(e, HP_CHECK_RUN_AS_NON_ROOT, true, sc_path(e, "runAsNonRoot"),
                 "securityContext: {runAsNonRoot: true}",
                 "%s must set securityContext.runAsNonRoot=true%s", who,
                 bad_or(e, v.state, "runAsNonRoot", v.state == HP_V_OK ? " (it is false)" : "", why,
                        sizeof(why)));
}

static void run_as_id(struct hp_eval *e, const char *who, enum hp_check c, struct hp_int_val v,
                      int64_t min, const char *field, const char *fix)
{
    if (v.from_pod) {
        return;
    }
    char why[160];
    if (v.state == HP_V_UNSET) {
        if (hp_eval_level(e, c) == HP_LEVEL_HARDENED) {
            hp_eval_emit(e, c, true, sc_path(e, field), fix,
                         "%s must set securityContext.%s to an id >= %lld%s", who, field,
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
        char val[32];
        snprintf(val, sizeof(val), ", not %lld", (long long)v.value);
        hp_eval_emit(e, c, true, sc_path(e, field), fix,
                     "%s must set securityContext.%s to an integer >= %lld%s", who, field,
                     (long long)min, bad_or(e, v.state, field, val, why, sizeof(why)));
    }
}

static void must_be(struct hp_eval *e, const char *who, enum hp_check c, const char *field,
                    struct json_object *value, bool want, const char *fix)
{
    struct hp_bool_val v = sc_bool(e, value);
    if (v.state == HP_V_OK && v.value == want) {
        return;
    }
    char why[160];
    hp_eval_emit(e, c, true, sc_path(e, field), fix, "%s must set securityContext.%s=%s%s", who,
                 field, want ? "true" : "false",
                 bad_or(e, v.state, field,
                        v.state == HP_V_OK ? (want ? " (it is false)" : " (it is true)") : "", why,
                        sizeof(why)));
}

static void privileged(struct hp_eval *e, const char *who)
{
    struct hp_bool_val v = sc_bool(e, e->scf.privileged);
    if (v.state == HP_V_UNSET || (v.state == HP_V_OK && !v.value)) {
        return;
    }
    char why[160];
    hp_eval_emit(e, HP_CHECK_PRIVILEGED, true, sc_path(e, "privileged"),
                 "securityContext: {privileged: false}", "%s must not be privileged%s", who,
                 bad_or(e, v.state, "privileged", "", why, sizeof(why)));
}

void hp_eval_profile_type(struct hp_eval *e, enum hp_check c, struct hp_obj_val v, bool ctr,
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
        hp_eval_names(e);
        who = e->who;
    }
    char fix[96];
    snprintf(fix, sizeof(fix), "securityContext: {%s: {type: RuntimeDefault}}", field);
    hp_eval_emit(
        e, c, ctr,
        hp_eval_path(e, "%s.securityContext.%s.type", ctr ? e->cpath : e->ps->prefix, field),
        c == HP_CHECK_SECCOMP_PROFILE
            ? "securityContext: {seccompProfile: {type: RuntimeDefault}}"
            : "securityContext: {appArmorProfile: {type: RuntimeDefault}}",
        "%s securityContext.%s.type must be RuntimeDefault or Localhost, not %s%.64s%s", who, field,
        type != NULL ? "\"" : "", type != NULL ? type : "a missing or invalid value",
        type != NULL ? "\"" : "");
}

void hp_eval_selinux(struct hp_eval *e, struct hp_obj_val v, bool ctr)
{
    static const char *const types[] = {"", "container_t", "container_init_t", "container_kvm_t",
                                        "container_engine_t"};
    if (v.state == HP_V_UNSET) {
        return;
    }
    const char *who = "pod";
    if (ctr) {
        hp_eval_names(e);
        who = e->who;
    }
    const char *base = ctr ? e->cpath : e->ps->prefix;
    const char *fix = "securityContext: {seLinuxOptions: {type: container_t}} (no user or role)";
    if (v.state == HP_V_BAD) {
        hp_eval_emit(e, HP_CHECK_SELINUX_OPTIONS, ctr,
                     hp_eval_path(e, "%s.securityContext.seLinuxOptions", base), fix,
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
            hp_eval_emit(e, HP_CHECK_SELINUX_OPTIONS, ctr,
                         hp_eval_path(e, "%s.securityContext.seLinuxOptions.type", base), fix,
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
        hp_eval_emit(e, HP_CHECK_SELINUX_OPTIONS, ctr,
                     hp_eval_path(e, "%s.securityContext.seLinuxOptions.%s", base, forbidden[i]),
                     fix, "%s must not set seLinuxOptions.%s", who, forbidden[i]);
    }
}

static void seccomp(struct hp_eval *e, const char *who)
{
    enum hp_level level = hp_eval_level(e, HP_CHECK_SECCOMP_PROFILE);
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
        if (level != HP_LEVEL_BASELINE) {
            hp_eval_emit(e, HP_CHECK_SECCOMP_PROFILE, true, sc_path(e, "seccompProfile.type"),
                         "securityContext: {seccompProfile: {type: RuntimeDefault}} (pod or "
                         "container)",
                         "%s must set securityContext.seccompProfile.type to RuntimeDefault or "
                         "Localhost (in the container or the pod)",
                         who);
        }
        return;
    }
    hp_eval_profile_type(e, HP_CHECK_SECCOMP_PROFILE, v, true, "seccompProfile");
}

static void proc_mount(struct hp_eval *e, const char *who)
{
    if (hp_eval_level(e, HP_CHECK_PROC_MOUNT) != HP_LEVEL_RESTRICTED && e->host_users_false) {
        return;
    }
    struct json_object *v = e->scf.proc_mount;
    if (!e->sc_bad && v == NULL) {
        return;
    }
    const char *s = hp_k8s_string(v);
    if (s != NULL && strcmp(s, "Default") == 0) {
        return;
    }
    hp_eval_emit(e, HP_CHECK_PROC_MOUNT, true, sc_path(e, "procMount"),
                 "securityContext: {procMount: Default} (or remove it)",
                 "%s securityContext.procMount must be Default, not \"%.64s\"", who,
                 s != NULL ? s : "(invalid)");
}

static void host_process(struct hp_eval *e, const char *who)
{
    struct json_object *wo = e->scf.windows_options;
    if (wo == NULL && !e->sc_bad) {
        return;
    }
    struct hp_bool_val v =
        hp_k8s_get_bool(json_object_is_type(wo, json_type_object) ? wo : NULL, "hostProcess");
    if (e->sc_bad || !json_object_is_type(wo, json_type_object)) {
        v.state = HP_V_BAD;
    }
    if (v.state == HP_V_UNSET || (v.state == HP_V_OK && !v.value)) {
        return;
    }
    hp_eval_emit(e, HP_CHECK_WINDOWS_HOST_PROCESS, true, sc_path(e, "windowsOptions.hostProcess"),
                 "securityContext: {windowsOptions: {hostProcess: false}}",
                 "%s must not run as a Windows HostProcess", who);
}

static void host_probes(struct hp_eval *e, const char *who)
{
    static const char *const probes[] = {"livenessProbe", "readinessProbe", "startupProbe"};
    static const char *const hooks[] = {"postStart", "preStop"};
    static const char *const handlers[] = {"httpGet", "tcpSocket"};
    struct json_object *owners[5] = {e->cf.probes[0], e->cf.probes[1], e->cf.probes[2]};
    hp_k8s_pick(e->cf.lifecycle, hooks, 2, owners + 3);
    for (size_t i = 0; i < 5; i++) {
        struct json_object *owner = owners[i];
        if (owner == NULL) {
            continue;
        }
        struct json_object *handler[2];
        hp_k8s_pick(owner, handlers, 2, handler);
        for (size_t h = 0; owner != NULL && h < 2; h++) {
            struct json_object *host = hp_k8s_field(handler[h], "host");
            const char *s = hp_k8s_string(host);
            if (host == NULL || (s != NULL && s[0] == '\0')) {
                continue;
            }
            hp_eval_emit(e, HP_CHECK_HOST_PROBES_AND_HOST_LIFECYCLE, true,
                         hp_eval_path(e, "%s.%s%s.%s.host", e->cpath, i < 3 ? "" : "lifecycle.",
                                      i < 3 ? probes[i] : hooks[i - 3], handlers[h]),
                         "remove the host field (the kubelet then targets the pod IP)",
                         "%s must not set %s.host (\"%.64s\")", who, handlers[h],
                         s != NULL ? s : "(not a string)");
        }
    }
}

static void host_ports(struct hp_eval *e, const char *who, struct json_object *ports)
{
    size_t n = json_object_is_type(ports, json_type_array) ? json_object_array_length(ports) : 0;
    for (size_t i = 0; i < n; i++) {
        struct json_object *hp = hp_k8s_field(json_object_array_get_idx(ports, i), "hostPort");
        if (hp == NULL ||
            (json_object_is_type(hp, json_type_int) && json_object_get_int64(hp) == 0)) {
            continue;
        }
        hp_eval_emit(e, HP_CHECK_HOST_PORTS, true,
                     hp_eval_path(e, "%s.ports[%zu].hostPort", e->cpath, i),
                     "remove hostPort and expose the port through a Service",
                     "%s must not use hostPort %.32s", who, json_object_to_json_string(hp));
    }
}

void hp_eval_container_checks(struct hp_eval *e)
{
    const struct hp_policy *p = e->p;
    const char *who = e->who; /* filled in when a finding is emitted */
    if (hp_eval_on(e, HP_CHECK_RUN_AS_NON_ROOT)) {
        run_as_non_root(e, who);
    }
    if (hp_eval_on(e, HP_CHECK_RUN_AS_USER) &&
        !(hp_eval_level(e, HP_CHECK_RUN_AS_USER) == HP_LEVEL_RESTRICTED && e->host_users_false)) {
        run_as_id(e, who, HP_CHECK_RUN_AS_USER, e->eff.run_as_user, p->min_uid, "runAsUser",
                  "securityContext: {runAsUser: 10001}");
    }
    if (hp_eval_on(e, HP_CHECK_RUN_AS_GROUP)) {
        run_as_id(e, who, HP_CHECK_RUN_AS_GROUP, e->eff.run_as_group, p->min_gid, "runAsGroup",
                  "securityContext: {runAsGroup: 10001}");
    }
    if (hp_eval_on(e, HP_CHECK_ALLOW_PRIVILEGE_ESCALATION) &&
        !(p->windows_exemptions && e->windows)) {
        must_be(e, who, HP_CHECK_ALLOW_PRIVILEGE_ESCALATION, "allowPrivilegeEscalation",
                e->scf.allow_privilege_escalation, false,
                "securityContext: {allowPrivilegeEscalation: false}");
    }
    if (hp_eval_on(e, HP_CHECK_PRIVILEGED)) {
        privileged(e, who);
    }
    if (hp_eval_on(e, HP_CHECK_CAPABILITIES)) {
        hp_eval_capabilities(e, who);
    }
    if (hp_eval_on(e, HP_CHECK_READ_ONLY_ROOT_FILESYSTEM)) {
        must_be(e, who, HP_CHECK_READ_ONLY_ROOT_FILESYSTEM, "readOnlyRootFilesystem",
                e->scf.read_only_root_filesystem, true,
                "securityContext: {readOnlyRootFilesystem: true}");
    }
    if (hp_eval_on(e, HP_CHECK_RESOURCES) && e->list != HP_LIST_EPHEMERAL) {
        hp_eval_resources(e, who);
    }
    struct json_object *ports = e->cf.ports;
    if (hp_eval_on(e, HP_CHECK_HOST_PORTS)) {
        host_ports(e, who, ports);
    }
    if (hp_eval_on(e, HP_CHECK_PROC_MOUNT)) {
        proc_mount(e, who);
    }
    if (hp_eval_on(e, HP_CHECK_SELINUX_OPTIONS) && !e->eff.selinux_options.from_pod) {
        hp_eval_selinux(e, e->eff.selinux_options, true);
    }
    if (hp_eval_on(e, HP_CHECK_APPARMOR_PROFILE) && !e->eff.apparmor_profile.from_pod) {
        hp_eval_profile_type(e, HP_CHECK_APPARMOR_PROFILE, e->eff.apparmor_profile, true,
                             "appArmorProfile");
    }
    if (hp_eval_on(e, HP_CHECK_WINDOWS_HOST_PROCESS)) {
        host_process(e, who);
    }
    if (hp_eval_on(e, HP_CHECK_HOST_PROBES_AND_HOST_LIFECYCLE)) {
        host_probes(e, who);
    }
    if (hp_eval_on(e, HP_CHECK_SECCOMP_PROFILE)) {
        seccomp(e, who);
    }
    if (hp_eval_on(e, HP_CHECK_PRIVILEGED_PORTS) || hp_eval_on(e, HP_CHECK_DOTNET_DIAGNOSTICS)) {
        hp_eval_runtime(e, who);
    }
}
