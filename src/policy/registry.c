/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registry of checks: one row per check, indexed by its id. A row holds
 * the check's name and config options, its action and level in each built-in
 * profile, its pod-level and container-level functions, and the words that
 * reports show (SARIF). The evaluator, the profiles, the config loader and
 * the SARIF report all read this table; docs/adding-a-check.md says how to
 * add a row.
 */
#include "internal.h"

#include <string.h>

_Static_assert(HP_CHECK_COUNT <= 32, "check bitmasks are 32 bits wide");

/* clang-format off */
#define OFF {HP_ACTION_OFF, HP_LEVEL_HARDENED}
#define DENY(level) {HP_ACTION_DENY, HP_LEVEL_##level}
#define WARN(level) {HP_ACTION_WARN, HP_LEVEL_##level}
/* clang-format on */

/* At the HARDENED level, seccompProfile and restrictedVolumes keep hardened
 * at least as strict as psa-baseline: a seccomp profile that is set to
 * anything but RuntimeDefault or Localhost, and a gitRepo volume
 * (CVE-2024-10220), are denied whenever the check is on (pol_floor); the
 * rest of restricted's rule (no profile set, another volume type) takes the
 * check's action, warn unless the config says deny.
 *
 * pod_order: pod-level findings come in this order (as they always have):
 * host namespaces, volumes, sysctls, the run-as ids, HostProcess, AppArmor,
 * seccomp, SELinux, the service account token. Container-level findings come
 * in table order. */
const struct pol_check pol_checks[HP_CHECK_COUNT] = {
    [HP_CHECK_RUN_AS_NON_ROOT] =
        {
            .info = {.name = "runAsNonRoot",
                     .title = "Containers must run as non-root",
                     .description =
                         "Every container must set securityContext.runAsNonRoot to true, in the "
                         "container or the pod, so that the kubelet refuses to start it as root.",
                     .help = "Set securityContext.runAsNonRoot: true and build the image with a "
                             "numeric non-root USER.",
                     .patch = {{"securityContext.runAsNonRoot", HP_PATCH_SET, "true"},
                               /* with the image's user (--image-map): a numeric UID */
                               {"securityContext.runAsUser", HP_PATCH_UID, NULL}}},
            .hardened = DENY(HARDENED),
            .psa_restricted = DENY(RESTRICTED),
            .psa_baseline = OFF,
            .applies = pol_run_as_applies,
            .pod = pol_run_as_non_root_pod,
            .pod_order = 4,
            .ctr = pol_run_as_non_root_ctr,
            .pod_sc_field = "runAsNonRoot",
            .pod_sc_fix = "securityContext: {runAsNonRoot: true}",
        },
    [HP_CHECK_RUN_AS_USER] =
        {
            .info = {.name = "runAsUser",
                     .options = {"minUID"},
                     .title = "Containers must run with a non-root user ID",
                     .description = "The effective runAsUser of every container must be a numeric "
                                    "user ID of at least the policy's minimum, never 0 (root).",
                     .help = "Set securityContext.runAsUser to a non-root ID such as 10001.",
                     .patch = {{"securityContext.runAsUser", HP_PATCH_UID, NULL}}},
            .hardened = DENY(HARDENED),
            .psa_restricted = DENY(RESTRICTED),
            .psa_baseline = OFF,
            .applies = pol_run_as_applies,
            .pod = pol_run_as_user_pod,
            .pod_order = 5,
            .ctr = pol_run_as_user_ctr,
            .pod_sc_field = "runAsUser",
            .pod_sc_fix = "securityContext: {runAsUser: 10001}",
        },
    [HP_CHECK_RUN_AS_GROUP] =
        {
            .info = {.name = "runAsGroup",
                     .options = {"minGID"},
                     .title = "Containers must run with a non-root group ID",
                     .description =
                         "The effective runAsGroup, the fsGroup and the supplementalGroups "
                         "must not use the root group 0.",
                     .help = "Set securityContext.runAsGroup and fsGroup to a non-root ID such as "
                             "10001.",
                     .patch = {{"securityContext.runAsGroup", HP_PATCH_GID, NULL},
                               {"securityContext.fsGroup", HP_PATCH_GID, NULL},
                               {"securityContext.supplementalGroups[*]", HP_PATCH_LIST_REMOVE,
                                NULL},
                               {"securityContext.supplementalGroups", HP_PATCH_DELETE, NULL}}},
            .hardened = DENY(HARDENED),
            .psa_restricted = OFF,
            .psa_baseline = OFF,
            .pod = pol_run_as_group_pod,
            .pod_order = 6,
            .ctr = pol_run_as_group_ctr,
            .pod_sc_field = "runAsGroup",
            .pod_sc_fix = "securityContext: {runAsGroup: 10001}",
        },
    [HP_CHECK_ALLOW_PRIVILEGE_ESCALATION] =
        {
            .info = {.name = "allowPrivilegeEscalation",
                     .title = "Privilege escalation must be disabled",
                     .description = "Every container must set "
                                    "securityContext.allowPrivilegeEscalation to false, "
                                    "so that setuid binaries and file capabilities cannot raise "
                                    "its privileges.",
                     .help = "Set securityContext.allowPrivilegeEscalation: false on every "
                             "container.",
                     .patch = {{"securityContext.allowPrivilegeEscalation", HP_PATCH_SET,
                                "false"}}},
            .hardened = DENY(HARDENED),
            .psa_restricted = DENY(RESTRICTED),
            .psa_baseline = OFF,
            .applies = pol_allow_privilege_escalation_applies,
            .ctr = pol_allow_privilege_escalation_ctr,
        },
    [HP_CHECK_PRIVILEGED] =
        {
            .info = {.name = "privileged",
                     .title = "Containers must not be privileged",
                     .description = "No container may run privileged, which grants every "
                                    "capability and access to the node's devices.",
                     .help = "Remove securityContext.privileged or set it to false.",
                     .patch = {{"securityContext.privileged", HP_PATCH_SET, "false"}}},
            .hardened = DENY(BASELINE),
            .psa_restricted = DENY(BASELINE),
            .psa_baseline = DENY(BASELINE),
            .ctr = pol_privileged_ctr,
        },
    [HP_CHECK_CAPABILITIES] =
        {
            .info = {.name = "capabilities",
                     .options = {"allowAdd"},
                     .title = "Linux capabilities must be dropped",
                     .description = "Every container must drop ALL Linux capabilities and add back "
                                    "only those the policy allows.",
                     .help = "Set securityContext.capabilities.drop: [ALL] and add only the "
                             "capabilities that the application needs and the policy permits.",
                     .patch = {{"securityContext.capabilities.drop", HP_PATCH_LIST_ADD, "ALL"},
                               {"securityContext.capabilities.add[*]", HP_PATCH_LIST_REMOVE, NULL},
                               {"securityContext.capabilities.add", HP_PATCH_DELETE, NULL}}},
            .hardened = DENY(HARDENED),
            .psa_restricted = DENY(RESTRICTED),
            .psa_baseline = DENY(BASELINE),
            .ctr = pol_capabilities_ctr,
        },
    [HP_CHECK_READ_ONLY_ROOT_FILESYSTEM] =
        {
            .info = {.name = "readOnlyRootFilesystem",
                     .title = "The root filesystem must be read-only",
                     .description =
                         "Every container must set securityContext.readOnlyRootFilesystem to true, "
                         "so that an attacker cannot change the image's files at run time.",
                     .help = "Set securityContext.readOnlyRootFilesystem: true and mount an "
                             "emptyDir volume where the application writes (for example /tmp).",
                     .patch = {{"securityContext.readOnlyRootFilesystem", HP_PATCH_SET, "true"}}},
            .hardened = DENY(HARDENED),
            .psa_restricted = OFF,
            .psa_baseline = OFF,
            .ctr = pol_read_only_root_filesystem_ctr,
        },
    [HP_CHECK_RESOURCES] =
        {
            .info = {.name = "resources",
                     .options = {"require"},
                     .title = "CPU and memory must be bounded",
                     .description =
                         "Every container must declare the CPU and memory requests and limits that "
                         "the policy requires, so that one workload cannot starve the node.",
                     .help = "Set resources.requests and resources.limits for cpu and memory.",
                     .patch = {{"resources.requests.cpu", HP_PATCH_PLACEHOLDER,
                                "<set: cpu request>"},
                               {"resources.requests.memory", HP_PATCH_PLACEHOLDER,
                                "<set: memory request>"},
                               {"resources.limits.cpu", HP_PATCH_PLACEHOLDER, "<set: cpu limit>"},
                               {"resources.limits.memory", HP_PATCH_PLACEHOLDER,
                                "<set: memory limit>"}}},
            .hardened = DENY(HARDENED),
            .psa_restricted = OFF,
            .psa_baseline = OFF,
            .ctr = pol_resources_ctr,
        },
    [HP_CHECK_HOST_NAMESPACES] =
        {
            .info = {.name = "hostNamespaces",
                     .title = "Host namespaces must not be shared",
                     .description = "The pod must not set hostNetwork, hostPID or hostIPC, which "
                                    "share the node's network, process or IPC namespace with it.",
                     .help = "Remove hostNetwork, hostPID and hostIPC, or set them to false.",
                     .no_patch = "the pod uses the node's network, processes or IPC by design: "
                                 "turning that off is a change of design, not of settings"},
            .hardened = DENY(BASELINE),
            .psa_restricted = DENY(BASELINE),
            .psa_baseline = DENY(BASELINE),
            .pod = pol_host_namespaces_pod,
            .pod_order = 1,
        },
    [HP_CHECK_HOST_PATH_VOLUMES] =
        {
            .info = {.name = "hostPathVolumes",
                     .title = "hostPath volumes are forbidden",
                     .description =
                         "The pod must not mount hostPath volumes, which expose the node's "
                         "filesystem to its containers.",
                     .help = "Use an emptyDir, configMap, secret or persistentVolumeClaim volume "
                             "instead.",
                     .no_patch = "a hostPath volume holds data of the node: which volume replaces "
                                 "it is a choice of design"},
            .hardened = DENY(BASELINE),
            .psa_restricted = DENY(BASELINE),
            .psa_baseline = DENY(BASELINE),
            .pod = pol_volumes_pod,
            .pod_order = 2,
        },
    [HP_CHECK_HOST_PORTS] =
        {
            .info = {.name = "hostPorts",
                     .title = "Host ports are forbidden",
                     .description = "Containers must not use hostPort, which exposes them directly "
                                    "on the node's network interfaces.",
                     .help = "Remove hostPort and expose the port through a Service.",
                     .no_patch = "removing hostPort needs a Service to reach the port instead"},
            .hardened = DENY(BASELINE),
            .psa_restricted = DENY(BASELINE),
            .psa_baseline = DENY(BASELINE),
            .ctr = pol_host_ports_ctr,
        },
    [HP_CHECK_PROC_MOUNT] =
        {
            .info = {.name = "procMount",
                     .title = "The default /proc mount must be used",
                     .description = "Containers must not set securityContext.procMount to anything "
                                    "but Default, which would unmask sensitive parts of /proc.",
                     .help = "Remove securityContext.procMount or set it to Default.",
                     .patch = {{"securityContext.procMount", HP_PATCH_SET, "\"Default\""}}},
            .hardened = DENY(BASELINE),
            .psa_restricted = DENY(RESTRICTED),
            .psa_baseline = DENY(BASELINE),
            .applies = pol_proc_mount_applies,
            .ctr = pol_proc_mount_ctr,
        },
    [HP_CHECK_SYSCTLS] =
        {
            .info = {.name = "sysctls",
                     .title = "Only safe sysctls are allowed",
                     .description = "The pod may set only the sysctls that Pod Security Admission "
                                    "considers safe, because the others affect the whole node.",
                     .help = "Remove the unsafe entries from securityContext.sysctls.",
                     .no_patch =
                         "the pod asks for the sysctl: removing it, or choosing a safe one, "
                         "is a choice of design"},
            .hardened = DENY(BASELINE),
            .psa_restricted = DENY(BASELINE),
            .psa_baseline = DENY(BASELINE),
            .pod = pol_sysctls_pod,
            .pod_order = 3,
            .pod_sc_field = "sysctls",
            .pod_sc_fix = "securityContext: {sysctls: []}",
        },
    [HP_CHECK_SELINUX_OPTIONS] =
        {
            .info = {.name = "seLinuxOptions",
                     .title = "SELinux options must not be elevated",
                     .description =
                         "seLinuxOptions may set only the container_t, container_init_t, "
                         "container_kvm_t or container_engine_t type, and never a user or role.",
                     .help = "Remove seLinuxOptions, or set only an allowed type.",
                     .patch = {{"securityContext.seLinuxOptions.type", HP_PATCH_SET,
                                "\"container_t\""},
                               {"securityContext.seLinuxOptions.user", HP_PATCH_DELETE, NULL},
                               {"securityContext.seLinuxOptions.role", HP_PATCH_DELETE, NULL}}},
            .hardened = DENY(BASELINE),
            .psa_restricted = DENY(BASELINE),
            .psa_baseline = DENY(BASELINE),
            .pod = pol_selinux_options_pod,
            .pod_order = 10,
            .ctr = pol_selinux_options_ctr,
            .pod_sc_field = "seLinuxOptions",
            .pod_sc_fix = "securityContext: {seLinuxOptions: {type: container_t}}",
        },
    [HP_CHECK_APPARMOR_PROFILE] =
        {
            .info = {.name = "appArmorProfile",
                     .title = "AppArmor must not be disabled",
                     .description = "The AppArmor profile, as a field or an annotation, must be "
                                    "RuntimeDefault or a Localhost profile, never Unconfined.",
                     .help = "Set securityContext.appArmorProfile.type: RuntimeDefault, or remove "
                             "the override.",
                     .patch = {{"securityContext.appArmorProfile.type", HP_PATCH_SET,
                                "\"RuntimeDefault\""},
                               {"annotations[*]", HP_PATCH_ANNOTATION, "runtime/default"}}},
            .hardened = DENY(BASELINE),
            .psa_restricted = DENY(BASELINE),
            .psa_baseline = DENY(BASELINE),
            .pod = pol_apparmor_profile_pod,
            .pod_order = 8,
            .ctr = pol_apparmor_profile_ctr,
            .pod_sc_field = "appArmorProfile.type",
            .pod_sc_fix = "securityContext: {appArmorProfile: {type: RuntimeDefault}}",
        },
    [HP_CHECK_WINDOWS_HOST_PROCESS] =
        {
            .info = {.name = "windowsHostProcess",
                     .title = "Windows HostProcess containers are forbidden",
                     .description =
                         "The pod and its containers must not set windowsOptions.hostProcess to "
                         "true, which runs them as processes on the Windows node.",
                     .help = "Remove securityContext.windowsOptions.hostProcess or set it to "
                             "false.",
                     .patch = {{"securityContext.windowsOptions.hostProcess", HP_PATCH_SET,
                                "false"}}},
            .hardened = DENY(BASELINE),
            .psa_restricted = DENY(BASELINE),
            .psa_baseline = DENY(BASELINE),
            .pod = pol_windows_host_process_pod,
            .pod_order = 7,
            .ctr = pol_windows_host_process_ctr,
            .pod_sc_field = "windowsOptions.hostProcess",
            .pod_sc_fix = "securityContext: {windowsOptions: {hostProcess: false}}",
        },
    [HP_CHECK_HOST_PROBES_AND_HOST_LIFECYCLE] =
        {
            .info = {.name = "hostProbesAndHostLifecycle",
                     .title = "Probes and hooks must target the pod",
                     .description =
                         "Probes and lifecycle hooks must not set httpGet.host or tcpSocket.host, "
                         "which would make the kubelet connect to other hosts on the pod's behalf.",
                     .help = "Remove the host field so that the kubelet targets the pod's own IP.",
                     .no_patch = "the probe or hook asks another host on purpose: "
                                 "which endpoint of the pod answers instead is a choice of design"},
            .hardened = DENY(BASELINE),
            .psa_restricted = DENY(BASELINE),
            .psa_baseline = DENY(BASELINE),
            .ctr = pol_host_probes_ctr,
        },
    [HP_CHECK_SECCOMP_PROFILE] =
        {
            .info = {.name = "seccompProfile",
                     .title = "A seccomp profile must be set",
                     .description =
                         "The pod or every container must set seccompProfile.type to "
                         "RuntimeDefault or Localhost, so that system calls are filtered.",
                     .help = "Set securityContext.seccompProfile.type: RuntimeDefault in the pod.",
                     .patch = {{"securityContext.seccompProfile.type", HP_PATCH_SET,
                                "\"RuntimeDefault\""}}},
            .hardened = WARN(HARDENED),
            .psa_restricted = DENY(RESTRICTED),
            .psa_baseline = DENY(BASELINE),
            .pod = pol_seccomp_profile_pod,
            .pod_order = 9,
            .ctr = pol_seccomp_profile_ctr,
            .pod_sc_field = "seccompProfile.type",
            .pod_sc_fix = "securityContext: {seccompProfile: {type: RuntimeDefault}}",
        },
    [HP_CHECK_RESTRICTED_VOLUMES] =
        {
            .info = {.name = "restrictedVolumes",
                     .title = "Only restricted volume types are allowed",
                     .description =
                         "Volumes must be of a type that Pod Security Admission's restricted level "
                         "allows: configMap, csi, downwardAPI, emptyDir, ephemeral, image, "
                         "persistentVolumeClaim, projected or secret.",
                     .help = "Replace the volume with one of the allowed types.",
                     .no_patch =
                         "which allowed volume type replaces this one is a choice of design"},
            .hardened = WARN(HARDENED),
            .psa_restricted = DENY(RESTRICTED),
            .psa_baseline = OFF,
            .pod = pol_volumes_pod,
            .pod_order = 2,
        },
    [HP_CHECK_PRIVILEGED_PORTS] =
        {
            .info = {.name = "privilegedPorts",
                     .title = "Non-root containers cannot listen below port 1024",
                     .description = "A container that declares or configures a port below 1024 "
                                    "fails at start-up once it runs as non-root, with "
                                    "\"SocketException (13): Permission denied\" in .NET.",
                     .help = "Listen on 8080 or 8443 (for ASP.NET Core, "
                             "ASPNETCORE_HTTP_PORTS=8080) and let the Service map port 80 or 443 "
                             "to it.",
                     .patch = {{"env[*].value", HP_PATCH_KESTREL, NULL},
                               {"ports[*].containerPort", HP_PATCH_NONE,
                                "a declared port is also the Service's targetPort and the probes' "
                                "port: move the app to 8080 and change them together"},
                               {"env", HP_PATCH_NONE,
                                "the image sets the port: set it in the Dockerfile (ENV), or in "
                                "env"}}},
            .hardened = WARN(HARDENED),
            .psa_restricted = OFF,
            .psa_baseline = OFF,
            .ctr = pol_runtime_ctr,
        },
    [HP_CHECK_DOTNET_DIAGNOSTICS] =
        {
            .info = {.name = "dotnetDiagnostics",
                     .title = ".NET needs diagnostics off or a writable /tmp",
                     .description = "A .NET container with a read-only root filesystem fails with "
                                    "\"Failed to create CoreCLR, HRESULT: 0x80004005\" unless "
                                    "diagnostics are disabled or /tmp is writable.",
                     .help = "Set the environment variable DOTNET_EnableDiagnostics=0, or mount an "
                             "emptyDir volume at /tmp.",
                     .patch = {{"env", HP_PATCH_ENV, "DOTNET_EnableDiagnostics=0"}}},
            .hardened = WARN(HARDENED),
            .psa_restricted = OFF,
            .psa_baseline = OFF,
            .ctr = pol_runtime_ctr,
        },
    [HP_CHECK_AUTOMOUNT_SERVICE_ACCOUNT_TOKEN] =
        {
            .info = {.name = "automountServiceAccountToken",
                     .title = "The service account token should not be mounted",
                     .description =
                         "The pod should set automountServiceAccountToken to false, so that a "
                         "compromised container holds no Kubernetes API credentials.",
                     .help = "Set automountServiceAccountToken: false, and mount a projected token "
                             "explicitly if the application calls the Kubernetes API.",
                     .patch = {{"automountServiceAccountToken", HP_PATCH_SET, "false"}}},
            .hardened = OFF,
            .psa_restricted = OFF,
            .psa_baseline = OFF,
            .pod = pol_automount_service_account_token_pod,
            .pod_order = 11,
        },
};

#undef OFF
#undef DENY
#undef WARN

const struct hp_check_info *hp_check_info_get(enum hp_check c)
{
    return (unsigned)c < HP_CHECK_COUNT ? &pol_checks[c].info : NULL;
}

const char *hp_check_name(enum hp_check c)
{
    return (unsigned)c < HP_CHECK_COUNT ? pol_checks[c].info.name : "unknown";
}

bool hp_check_lookup(const char *name, enum hp_check *out)
{
    for (int i = 0; i < HP_CHECK_COUNT; i++) {
        if (strcmp(pol_checks[i].info.name, name) == 0) {
            *out = (enum hp_check)i;
            return true;
        }
    }
    return false;
}
