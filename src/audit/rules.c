/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What each check is about, in words: the title, one-sentence description and
 * fix advice that SARIF consumers (GitHub code scanning) show next to a
 * result. Indexed by check id; the engine's messages say what is wrong with
 * one field, these say why the rule exists.
 */
#include "internal.h"

static const struct hp_audit_rule rules[HP_CHECK_COUNT] = {
    [HP_CHECK_RUN_AS_NON_ROOT] =
        {"Containers must run as non-root",
         "Every container must set securityContext.runAsNonRoot to true, in the container or "
         "the pod, so that the kubelet refuses to start it as root.",
         "Set securityContext.runAsNonRoot: true and build the image with a numeric non-root "
         "USER."},
    [HP_CHECK_RUN_AS_USER] =
        {"Containers must run with a non-root user ID",
         "The effective runAsUser of every container must be a numeric user ID of at least the "
         "policy's minimum, never 0 (root).",
         "Set securityContext.runAsUser to a non-root ID such as 10001."},
    [HP_CHECK_RUN_AS_GROUP] =
        {"Containers must run with a non-root group ID",
         "The effective runAsGroup, the fsGroup and the supplementalGroups must not use the root "
         "group 0.",
         "Set securityContext.runAsGroup and fsGroup to a non-root ID such as 10001."},
    [HP_CHECK_ALLOW_PRIVILEGE_ESCALATION] =
        {"Privilege escalation must be disabled",
         "Every container must set securityContext.allowPrivilegeEscalation to false, so that "
         "setuid binaries and file capabilities cannot raise its privileges.",
         "Set securityContext.allowPrivilegeEscalation: false on every container."},
    [HP_CHECK_PRIVILEGED] =
        {"Containers must not be privileged",
         "No container may run privileged, which grants every capability and access to the "
         "node's devices.",
         "Remove securityContext.privileged or set it to false."},
    [HP_CHECK_CAPABILITIES] =
        {"Linux capabilities must be dropped",
         "Every container must drop ALL Linux capabilities and add back only those the policy "
         "allows.",
         "Set securityContext.capabilities.drop: [ALL] and add only the capabilities that the "
         "application needs and the policy permits."},
    [HP_CHECK_READ_ONLY_ROOT_FILESYSTEM] =
        {"The root filesystem must be read-only",
         "Every container must set securityContext.readOnlyRootFilesystem to true, so that an "
         "attacker cannot change the image's files at run time.",
         "Set securityContext.readOnlyRootFilesystem: true and mount an emptyDir volume where the "
         "application writes (for example /tmp)."},
    [HP_CHECK_RESOURCES] =
        {"CPU and memory must be bounded",
         "Every container must declare the CPU and memory requests and limits that the policy "
         "requires, so that one workload cannot starve the node.",
         "Set resources.requests and resources.limits for cpu and memory."},
    [HP_CHECK_HOST_NAMESPACES] =
        {"Host namespaces must not be shared",
         "The pod must not set hostNetwork, hostPID or hostIPC, which share the node's network, "
         "process or IPC namespace with it.",
         "Remove hostNetwork, hostPID and hostIPC, or set them to false."},
    [HP_CHECK_HOST_PATH_VOLUMES] =
        {"hostPath volumes are forbidden",
         "The pod must not mount hostPath volumes, which expose the node's filesystem to its "
         "containers.",
         "Use an emptyDir, configMap, secret or persistentVolumeClaim volume instead."},
    [HP_CHECK_HOST_PORTS] =
        {"Host ports are forbidden",
         "Containers must not use hostPort, which exposes them directly on the node's network "
         "interfaces.",
         "Remove hostPort and expose the port through a Service."},
    [HP_CHECK_PROC_MOUNT] =
        {"The default /proc mount must be used",
         "Containers must not set securityContext.procMount to anything but Default, which "
         "would unmask sensitive parts of /proc.",
         "Remove securityContext.procMount or set it to Default."},
    [HP_CHECK_SYSCTLS] =
        {"Only safe sysctls are allowed",
         "The pod may set only the sysctls that Pod Security Admission considers safe, because "
         "the others affect the whole node.",
         "Remove the unsafe entries from securityContext.sysctls."},
    [HP_CHECK_SELINUX_OPTIONS] =
        {"SELinux options must not be elevated",
         "seLinuxOptions may set only the container_t, container_init_t, container_kvm_t or "
         "container_engine_t type, and never a user or role.",
         "Remove seLinuxOptions, or set only an allowed type."},
    [HP_CHECK_APPARMOR_PROFILE] =
        {"AppArmor must not be disabled",
         "The AppArmor profile, as a field or an annotation, must be RuntimeDefault or a "
         "Localhost profile, never Unconfined.",
         "Set securityContext.appArmorProfile.type: RuntimeDefault, or remove the override."},
    [HP_CHECK_WINDOWS_HOST_PROCESS] =
        {"Windows HostProcess containers are forbidden",
         "The pod and its containers must not set windowsOptions.hostProcess to true, which "
         "runs them as processes on the Windows node.",
         "Remove securityContext.windowsOptions.hostProcess or set it to false."},
    [HP_CHECK_HOST_PROBES_AND_HOST_LIFECYCLE] =
        {"Probes and hooks must target the pod",
         "Probes and lifecycle hooks must not set httpGet.host or tcpSocket.host, which would "
         "make the kubelet connect to other hosts on the pod's behalf.",
         "Remove the host field so that the kubelet targets the pod's own IP."},
    [HP_CHECK_SECCOMP_PROFILE] =
        {"A seccomp profile must be set",
         "The pod or every container must set seccompProfile.type to RuntimeDefault or "
         "Localhost, so that system calls are filtered.",
         "Set securityContext.seccompProfile.type: RuntimeDefault in the pod."},
    [HP_CHECK_RESTRICTED_VOLUMES] =
        {"Only restricted volume types are allowed",
         "Volumes must be of a type that Pod Security Admission's restricted level allows: "
         "configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, "
         "projected or secret.",
         "Replace the volume with one of the allowed types."},
    [HP_CHECK_PRIVILEGED_PORTS] =
        {"Non-root containers cannot listen below port 1024",
         "A container that declares or configures a port below 1024 fails at start-up once it "
         "runs as non-root, with \"SocketException (13): Permission denied\" in .NET.",
         "Listen on 8080 or 8443 (for ASP.NET Core, ASPNETCORE_HTTP_PORTS=8080) and let the "
         "Service map port 80 or 443 to it."},
    [HP_CHECK_DOTNET_DIAGNOSTICS] =
        {".NET needs diagnostics off or a writable /tmp",
         "A .NET container with a read-only root filesystem fails with \"Failed to create "
         "CoreCLR, HRESULT: 0x80004005\" unless diagnostics are disabled or /tmp is writable.",
         "Set the environment variable DOTNET_EnableDiagnostics=0, or mount an emptyDir volume "
         "at /tmp."},
    [HP_CHECK_AUTOMOUNT_SERVICE_ACCOUNT_TOKEN] =
        {"The service account token should not be mounted",
         "The pod should set automountServiceAccountToken to false, so that a compromised "
         "container holds no Kubernetes API credentials.",
         "Set automountServiceAccountToken: false, and mount a projected token explicitly if "
         "the application calls the Kubernetes API."},
};

const struct hp_audit_rule *hp_audit_rule_get(enum hp_check c)
{
    return (unsigned)c < HP_CHECK_COUNT ? &rules[c] : NULL;
}
