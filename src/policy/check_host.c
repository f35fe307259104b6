/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The checks that keep a pod off the node itself: hostNamespaces, hostPorts,
 * sysctls (the unsafe ones act on the whole node), windowsHostProcess and
 * hostProbesAndHostLifecycle (the kubelet connecting to other hosts on the
 * pod's behalf).
 */
#include "internal.h"

#include <json-c/json.h>
#include <string.h>

void pol_host_namespaces_pod(struct pol_eval *e)
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
        pol_emit(e, HP_CHECK_HOST_NAMESPACES, false, pol_path(e, "%s.%s", e->ps->prefix, fields[i]),
                 fixes[i], "pod must not share the host's namespaces: %s must be false%s%s",
                 fields[i], v.state == HP_V_BAD ? ", but " : "",
                 v.state == HP_V_BAD ? pol_bad(e->ps->spec, fields[i], why, sizeof(why)) : "");
    }
}

void pol_host_ports_ctr(struct pol_eval *e)
{
    struct json_object *ports = e->cf.ports;
    size_t n = json_object_is_type(ports, json_type_array) ? json_object_array_length(ports) : 0;
    for (size_t i = 0; i < n; i++) {
        struct json_object *hp = hp_k8s_field(json_object_array_get_idx(ports, i), "hostPort");
        if (hp == NULL ||
            (json_object_is_type(hp, json_type_int) && json_object_get_int64(hp) == 0)) {
            continue;
        }
        pol_emit(e, HP_CHECK_HOST_PORTS, true, pol_path(e, "%s.ports[%zu].hostPort", e->cpath, i),
                 "remove hostPort and expose the port through a Service",
                 "%s must not use hostPort %.32s", e->who, json_object_to_json_string(hp));
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

void pol_sysctls_pod(struct pol_eval *e)
{
    struct json_object *list = e->podf.sysctls;
    if (list == NULL) {
        return;
    }
    const char *fix = "remove the sysctl, or use a safe one such as net.ipv4.ip_local_port_range";
    if (!json_object_is_type(list, json_type_array)) {
        pol_emit(e, HP_CHECK_SYSCTLS, false,
                 pol_path(e, "%s.securityContext.sysctls", e->ps->prefix), fix,
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
        pol_emit(e, HP_CHECK_SYSCTLS, false,
                 pol_path(e, "%s.securityContext.sysctls[%zu].name", e->ps->prefix, i), fix,
                 "pod must not set the unsafe sysctl \"%.100s\"", s != NULL ? s : "(not a string)");
    }
}

void pol_windows_host_process_pod(struct pol_eval *e)
{
    struct json_object *wo = e->podf.windows_options;
    struct hp_bool_val v =
        hp_k8s_get_bool(json_object_is_type(wo, json_type_object) ? wo : NULL, "hostProcess");
    if (wo != NULL && !json_object_is_type(wo, json_type_object)) {
        v.state = HP_V_BAD;
    }
    if (v.state == HP_V_BAD || (v.state == HP_V_OK && v.value)) {
        pol_emit(e, HP_CHECK_WINDOWS_HOST_PROCESS, false,
                 pol_path(e, "%s.securityContext.windowsOptions.hostProcess", e->ps->prefix),
                 "securityContext: {windowsOptions: {hostProcess: false}}",
                 "pod must not run as a Windows HostProcess (securityContext.windowsOptions."
                 "hostProcess must be false or unset)");
    }
}

void pol_windows_host_process_ctr(struct pol_eval *e)
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
    pol_emit(e, HP_CHECK_WINDOWS_HOST_PROCESS, true, pol_sc_path(e, "windowsOptions.hostProcess"),
             "securityContext: {windowsOptions: {hostProcess: false}}",
             "%s must not run as a Windows HostProcess", e->who);
}

void pol_host_probes_ctr(struct pol_eval *e)
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
        for (size_t h = 0; h < 2; h++) {
            struct json_object *host = hp_k8s_field(handler[h], "host");
            const char *s = hp_k8s_string(host);
            if (host == NULL || (s != NULL && s[0] == '\0')) {
                continue;
            }
            pol_emit(e, HP_CHECK_HOST_PROBES_AND_HOST_LIFECYCLE, true,
                     pol_path(e, "%s.%s%s.%s.host", e->cpath, i < 3 ? "" : "lifecycle.",
                              i < 3 ? probes[i] : hooks[i - 3], handlers[h]),
                     "remove the host field (the kubelet then targets the pod IP)",
                     "%s must not set %s.host (\"%.64s\")", e->who, handlers[h],
                     s != NULL ? s : "(not a string)");
        }
    }
}
