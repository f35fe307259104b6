/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pod-level checks: host namespaces, volumes, sysctls, the service account
 * token, the pod metadata's AppArmor annotations, and the pod
 * securityContext values that containers inherit. A forbidden value written
 * at pod level is reported once, at pod level, whatever the containers set.
 */
#include "eval.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

static void host_namespaces(struct hp_eval *e)
{
    static const char *const fields[] = {"hostNetwork", "hostPID", "hostIPC"};
    struct json_object *values[] = {e->pf.host_network, e->pf.host_pid, e->pf.host_ipc};
    for (size_t i = 0; i < 3; i++) {
        struct hp_bool_val v = hp_k8s_bool(values[i]);
        if (v.state == HP_V_UNSET || (v.state == HP_V_OK && !v.value)) {
            continue;
        }
        static const char *const fixes[] = {"hostNetwork: false (or remove it)",
                                            "hostPID: false (or remove it)",
                                            "hostIPC: false (or remove it)"};
        char why[128];
        hp_eval_emit(
            e, HP_CHECK_HOST_NAMESPACES, false, hp_eval_path(e, "%s.%s", e->ps->prefix, fields[i]),
            fixes[i], "pod must not share the host's namespaces: %s must be false%s%s", fields[i],
            v.state == HP_V_BAD ? ", but " : "",
            v.state == HP_V_BAD ? hp_eval_bad(e->ps->spec, fields[i], why, sizeof(why)) : "");
    }
}

/* The volume source keys that Pod Security Admission's restricted level allows. */
static bool restricted_volume_ok(const char *key)
{
    static const char *const ok[] = {"configMap", "csi",   "downwardAPI",           "emptyDir",
                                     "ephemeral", "image", "persistentVolumeClaim", "projected",
                                     "secret"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        if (strcmp(ok[i], key) == 0) {
            return true;
        }
    }
    return false;
}

static void one_volume(struct hp_eval *e, struct json_object *vol, size_t i, bool host_path,
                       bool restricted)
{
    const char *name = "";
    struct json_object *n = hp_k8s_field(vol, "name");
    if (json_object_is_type(n, json_type_string)) {
        name = hp_k8s_string(n) != NULL ? hp_k8s_string(n) : "";
    }
    bool has_source = false;
    json_object_object_foreach(vol, key, val)
    {
        if (strcmp(key, "name") == 0 || val == NULL) {
            continue;
        }
        has_source = true;
        if (host_path && strcmp(key, "hostPath") == 0) {
            hp_eval_emit(
                e, HP_CHECK_HOST_PATH_VOLUMES, false,
                hp_eval_path(e, "%s.volumes[%zu].hostPath", e->ps->prefix, i),
                "use an emptyDir, configMap, secret or persistentVolumeClaim volume instead",
                "volume \"%.63s\" must not use hostPath", name);
        }
        if (restricted && !restricted_volume_ok(key)) {
            hp_eval_emit(e, HP_CHECK_RESTRICTED_VOLUMES, false,
                         hp_eval_path(e, "%s.volumes[%zu].%s", e->ps->prefix, i, key),
                         "use configMap, csi, downwardAPI, emptyDir, ephemeral, image, "
                         "persistentVolumeClaim, projected or secret volumes",
                         "volume \"%.63s\" uses the restricted volume type %.64s", name, key);
        }
    }
    /* A volume without a source is defaulted to emptyDir by the API server. */
    (void)has_source;
}

static void volumes(struct hp_eval *e)
{
    bool host_path = hp_eval_on(e, HP_CHECK_HOST_PATH_VOLUMES);
    bool restricted = hp_eval_on(e, HP_CHECK_RESTRICTED_VOLUMES);
    if (!host_path && !restricted) {
        return;
    }
    struct json_object *vols = e->pf.volumes;
    if (vols == NULL) {
        return;
    }
    /* A list or volume of the wrong type cannot be read: it is a finding of
     * both checks that read volumes, so neither can be passed by it. */
    static const enum hp_check readers[] = {HP_CHECK_HOST_PATH_VOLUMES,
                                            HP_CHECK_RESTRICTED_VOLUMES};
    bool on[] = {host_path, restricted};
    if (!json_object_is_type(vols, json_type_array)) {
        char why[128];
        hp_eval_bad(e->ps->spec, "volumes", why, sizeof(why));
        for (size_t r = 0; r < 2; r++) {
            if (on[r]) {
                hp_eval_emit(e, readers[r], false, hp_eval_path(e, "%s.volumes", e->ps->prefix),
                             "volumes: [...]", "pod volumes must be a list: %s", why);
            }
        }
        return;
    }
    size_t n = json_object_array_length(vols);
    for (size_t i = 0; i < n; i++) {
        struct json_object *vol = json_object_array_get_idx(vols, i);
        if (json_object_is_type(vol, json_type_object)) {
            one_volume(e, vol, i, host_path, restricted);
            continue;
        }
        for (size_t r = 0; r < 2; r++) {
            if (on[r]) {
                hp_eval_emit(
                    e, readers[r], false, hp_eval_path(e, "%s.volumes[%zu]", e->ps->prefix, i),
                    "volumes: [{name: ..., emptyDir: {}}]", "pod volume %zu is not an object", i);
            }
        }
    }
}

/* Safe sysctls at Pod Security Admission's latest baseline level. */
static bool sysctl_safe(const char *name)
{
    static const char *const safe[] = {
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_unprivileged_port_start",
        "net.ipv4.ip_local_reserved_ports",
        "net.ipv4.tcp_keepalive_time",
        "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes",
        "net.ipv4.tcp_rmem",
        "net.ipv4.tcp_wmem",
        "net.ipv4.tcp_slow_start_after_idle",
        "net.ipv4.tcp_notsent_lowat",
    };
    for (size_t i = 0; i < sizeof(safe) / sizeof(safe[0]); i++) {
        if (strcmp(safe[i], name) == 0) {
            return true;
        }
    }
    return false;
}

static void sysctls(struct hp_eval *e)
{
    struct json_object *list = e->podf.sysctls;
    if (list == NULL) {
        return;
    }
    const char *fix = "remove the sysctl, or use a safe one such as net.ipv4.ip_local_port_range";
    if (!json_object_is_type(list, json_type_array)) {
        hp_eval_emit(e, HP_CHECK_SYSCTLS, false,
                     hp_eval_path(e, "%s.securityContext.sysctls", e->ps->prefix), fix,
                     "pod securityContext.sysctls must be a list");
        return;
    }
    size_t n = json_object_array_length(list);
    for (size_t i = 0; i < n; i++) {
        struct json_object *name = hp_k8s_field(json_object_array_get_idx(list, i), "name");
        const char *s = hp_k8s_string(name);
        if (s != NULL && sysctl_safe(s)) {
            continue;
        }
        hp_eval_emit(e, HP_CHECK_SYSCTLS, false,
                     hp_eval_path(e, "%s.securityContext.sysctls[%zu].name", e->ps->prefix, i), fix,
                     "pod must not set the unsafe sysctl \"%.100s\"",
                     s != NULL ? s : "(not a string)");
    }
}

/* ", not 0" for a forbidden value, ": runAsUser has the wrong type (...)" for a bad one. */
static const char *describe_int(struct json_object *sc, const char *key, struct hp_int_val v,
                                char *buf, size_t size)
{
    if (v.state == HP_V_BAD) {
        char why[128];
        snprintf(buf, size, ": %s", hp_eval_bad(sc, key, why, sizeof(why)));
    } else {
        snprintf(buf, size, ", not %lld", (long long)v.value);
    }
    return buf;
}

static void pod_run_as(struct hp_eval *e)
{
    char why[128];
    const char *pfx = e->ps->prefix;
    if (hp_eval_on(e, HP_CHECK_RUN_AS_NON_ROOT) &&
        !(hp_eval_level(e, HP_CHECK_RUN_AS_NON_ROOT) == HP_LEVEL_RESTRICTED &&
          e->host_users_false)) {
        struct hp_bool_val v = hp_k8s_bool(e->podf.run_as_non_root);
        if (v.state == HP_V_BAD || (v.state == HP_V_OK && !v.value)) {
            hp_eval_emit(e, HP_CHECK_RUN_AS_NON_ROOT, false,
                         hp_eval_path(e, "%s.securityContext.runAsNonRoot", pfx),
                         "securityContext: {runAsNonRoot: true}",
                         "pod must set securityContext.runAsNonRoot=true%s%s",
                         v.state == HP_V_BAD ? ": " : " (it is false)",
                         v.state == HP_V_BAD
                             ? hp_eval_bad(e->pod_sc, "runAsNonRoot", why, sizeof(why))
                             : "");
        }
    }
    if (hp_eval_on(e, HP_CHECK_RUN_AS_USER) &&
        !(hp_eval_level(e, HP_CHECK_RUN_AS_USER) == HP_LEVEL_RESTRICTED && e->host_users_false)) {
        struct hp_int_val v = hp_k8s_int(e->podf.run_as_user);
        if (v.state == HP_V_BAD || (v.state == HP_V_OK && v.value < e->p->min_uid)) {
            hp_eval_emit(e, HP_CHECK_RUN_AS_USER, false,
                         hp_eval_path(e, "%s.securityContext.runAsUser", pfx),
                         "securityContext: {runAsUser: 10001}",
                         "pod securityContext.runAsUser must be an integer >= %lld%s",
                         (long long)e->p->min_uid,
                         describe_int(e->pod_sc, "runAsUser", v, why, sizeof(why)));
        }
    }
}

static void pod_groups(struct hp_eval *e)
{
    char why[128];
    const char *pfx = e->ps->prefix;
    struct hp_int_val v = hp_k8s_int(e->podf.run_as_group);
    if (v.state == HP_V_BAD || (v.state == HP_V_OK && v.value < e->p->min_gid)) {
        hp_eval_emit(
            e, HP_CHECK_RUN_AS_GROUP, false, hp_eval_path(e, "%s.securityContext.runAsGroup", pfx),
            "securityContext: {runAsGroup: 10001}",
            "pod securityContext.runAsGroup must be an integer >= %lld%s", (long long)e->p->min_gid,
            describe_int(e->pod_sc, "runAsGroup", v, why, sizeof(why)));
    }
    struct hp_int_val fs = hp_k8s_int(e->podf.fs_group);
    if (fs.state == HP_V_BAD || (fs.state == HP_V_OK && fs.value <= 0)) {
        hp_eval_emit(
            e, HP_CHECK_RUN_AS_GROUP, false, hp_eval_path(e, "%s.securityContext.fsGroup", pfx),
            "securityContext: {fsGroup: 10001}",
            "pod securityContext.fsGroup must be a positive integer (not the root group 0)");
    }
    struct json_object *sup = e->podf.supplemental_groups;
    if (sup == NULL) {
        return;
    }
    if (!json_object_is_type(sup, json_type_array)) {
        hp_eval_emit(e, HP_CHECK_RUN_AS_GROUP, false,
                     hp_eval_path(e, "%s.securityContext.supplementalGroups", pfx),
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
        hp_eval_emit(e, HP_CHECK_RUN_AS_GROUP, false,
                     hp_eval_path(e, "%s.securityContext.supplementalGroups[%zu]", pfx, i),
                     "remove group 0 from securityContext.supplementalGroups",
                     "pod securityContext.supplementalGroups must not contain the root group 0 "
                     "(or a value that is not a positive integer)");
    }
}

static void pod_host_process(struct hp_eval *e)
{
    struct json_object *wo = e->podf.windows_options;
    struct hp_bool_val v =
        hp_k8s_get_bool(json_object_is_type(wo, json_type_object) ? wo : NULL, "hostProcess");
    if (wo != NULL && !json_object_is_type(wo, json_type_object)) {
        v.state = HP_V_BAD;
    }
    if (v.state == HP_V_BAD || (v.state == HP_V_OK && v.value)) {
        hp_eval_emit(
            e, HP_CHECK_WINDOWS_HOST_PROCESS, false,
            hp_eval_path(e, "%s.securityContext.windowsOptions.hostProcess", e->ps->prefix),
            "securityContext: {windowsOptions: {hostProcess: false}}",
            "pod must not run as a Windows HostProcess (securityContext.windowsOptions."
            "hostProcess must be false or unset)");
    }
}

static void apparmor_annotations(struct hp_eval *e)
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
        hp_eval_emit(e, HP_CHECK_APPARMOR_PROFILE, false,
                     hp_eval_path(e, "%s.annotations[\"%.200s\"]", e->ps->metadata_prefix, key),
                     "securityContext: {appArmorProfile: {type: RuntimeDefault}}",
                     "annotation %.200s must be runtime/default or localhost/<profile>, not "
                     "\"%.64s\"",
                     key, s != NULL ? s : "(not a string)");
    }
}

/* A pod securityContext that is not an object: every check that reads it
 * fails, each once at pod level at the path of the field it reads, as a
 * forbidden pod value does. Containers that set none of these fields inherit
 * the unreadable value (see enter_container), so nothing is reported twice. */
static void pod_sc_not_object(struct hp_eval *e)
{
    static const struct {
        enum hp_check check;
        const char *field;
        const char *fix;
    } readers[] = {
        {HP_CHECK_RUN_AS_NON_ROOT, "runAsNonRoot", "securityContext: {runAsNonRoot: true}"},
        {HP_CHECK_RUN_AS_USER, "runAsUser", "securityContext: {runAsUser: 10001}"},
        {HP_CHECK_RUN_AS_GROUP, "runAsGroup", "securityContext: {runAsGroup: 10001}"},
        {HP_CHECK_SYSCTLS, "sysctls", "securityContext: {sysctls: []}"},
        {HP_CHECK_SELINUX_OPTIONS, "seLinuxOptions",
         "securityContext: {seLinuxOptions: {type: container_t}}"},
        {HP_CHECK_APPARMOR_PROFILE, "appArmorProfile.type",
         "securityContext: {appArmorProfile: {type: RuntimeDefault}}"},
        {HP_CHECK_WINDOWS_HOST_PROCESS, "windowsOptions.hostProcess",
         "securityContext: {windowsOptions: {hostProcess: false}}"},
        {HP_CHECK_SECCOMP_PROFILE, "seccompProfile.type",
         "securityContext: {seccompProfile: {type: RuntimeDefault}}"},
    };
    char what[64];
    hp_k8s_describe(e->pf.security_context, what, sizeof(what));
    for (size_t i = 0; i < sizeof(readers) / sizeof(readers[0]); i++) {
        enum hp_check c = readers[i].check;
        if (!hp_eval_on(e, c) ||
            ((c == HP_CHECK_RUN_AS_NON_ROOT || c == HP_CHECK_RUN_AS_USER) &&
             hp_eval_level(e, c) == HP_LEVEL_RESTRICTED && e->host_users_false)) {
            continue;
        }
        hp_eval_emit(e, c, false,
                     hp_eval_path(e, "%s.securityContext.%s", e->ps->prefix, readers[i].field),
                     readers[i].fix, "pod securityContext must be an object, got %s", what);
    }
}

void hp_eval_pod_checks(struct hp_eval *e)
{
    if (e->pod_sc_bad) {
        pod_sc_not_object(e);
    }
    if (hp_eval_on(e, HP_CHECK_HOST_NAMESPACES)) {
        host_namespaces(e);
    }
    volumes(e);
    if (hp_eval_on(e, HP_CHECK_SYSCTLS)) {
        sysctls(e);
    }
    pod_run_as(e);
    if (hp_eval_on(e, HP_CHECK_RUN_AS_GROUP)) {
        pod_groups(e);
    }
    if (hp_eval_on(e, HP_CHECK_WINDOWS_HOST_PROCESS)) {
        pod_host_process(e);
    }
    if (hp_eval_on(e, HP_CHECK_APPARMOR_PROFILE)) {
        apparmor_annotations(e);
        hp_eval_profile_type(e, HP_CHECK_APPARMOR_PROFILE, hp_k8s_obj(e->podf.apparmor_profile),
                             false, "appArmorProfile");
    }
    /* A pod-level type other than RuntimeDefault or Localhost fails at every
     * level: PSA's Windows exemption lifts only the restricted requirement to
     * set one, not baseline's ban on Unconfined. */
    if (hp_eval_on(e, HP_CHECK_SECCOMP_PROFILE)) {
        hp_eval_profile_type(e, HP_CHECK_SECCOMP_PROFILE, hp_k8s_obj(e->podf.seccomp_profile),
                             false, "seccompProfile");
    }
    if (hp_eval_on(e, HP_CHECK_SELINUX_OPTIONS)) {
        hp_eval_selinux(e, hp_k8s_obj(e->podf.selinux_options), false);
    }
    if (hp_eval_on(e, HP_CHECK_AUTOMOUNT_SERVICE_ACCOUNT_TOKEN)) {
        struct hp_bool_val v = hp_k8s_bool(e->pf.automount_sa_token);
        if (!(v.state == HP_V_OK && !v.value)) {
            hp_eval_emit(e, HP_CHECK_AUTOMOUNT_SERVICE_ACCOUNT_TOKEN, false,
                         hp_eval_path(e, "%s.automountServiceAccountToken", e->ps->prefix),
                         "automountServiceAccountToken: false",
                         "pod must set automountServiceAccountToken=false (mount a projected "
                         "token explicitly if the app needs API access)");
        }
    }
}
