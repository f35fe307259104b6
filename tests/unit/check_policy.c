/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the policy engine: every check with pass and fail cases,
 * pod versus container inheritance, init and ephemeral containers, wrong JSON
 * types, null and missing fields, and the exact path of every finding. Each
 * case patches a hardened base Pod and lists every finding it must produce.
 */
#include "hardpod/buf.h"
#include "hardpod/k8s.h"
#include "hardpod/manifest.h"
#include "hardpod/policy.h"
#include "podpatch.h"
#include "policy/internal.h"
#include "testutil.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SC PP_HARDENED_SC
#define RES PP_HARDENED_RES
/* A Pod that passes hardened: every case patches it. */
static const char *const base_pod = PP_HARDENED_POD;

#define DEBUG_CTR "[{\"name\":\"debug\",\"image\":\"busybox\",\"securityContext\":" SC "}]"

enum setup {
    SETUP_NONE,
    SETUP_MIN_IDS_1000,
    SETUP_ALLOW_NET_BIND,
    SETUP_REQUIRE_MEMORY,
    SETUP_AUTOMOUNT_DENY,
    SETUP_SECCOMP_DENY,
    SETUP_RESTRICTED_VOLUMES_DENY,
};

struct pcase {
    const char *name;
    enum hp_profile profile;
    enum setup setup;
    const char *patch[8];
    const char *want[16]; /* "check|action|container|path"; none: no findings */
};

#define C0 "spec.containers[0]"
#define I0 "spec.initContainers[0]"
#define CSC C0 ".securityContext"
#define ISC I0 ".securityContext"
#define PSC "spec.securityContext"

static const struct pcase cases[] = {
    {"hardened base passes", HP_PROFILE_HARDENED, SETUP_NONE, {NULL}, {NULL}},
    /* runAsNonRoot */
    {"runAsNonRoot unset everywhere",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {"-" PSC ".runAsNonRoot"},
     {"runAsNonRoot|deny|app|" CSC ".runAsNonRoot", "runAsNonRoot|deny|init|" ISC ".runAsNonRoot"}},
    {"container false overrides pod true",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {CSC ".runAsNonRoot=false"},
     {"runAsNonRoot|deny|app|" CSC ".runAsNonRoot"}},
    {"pod false inherited",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {PSC ".runAsNonRoot=false"},
     {"runAsNonRoot|deny|-|" PSC ".runAsNonRoot"}},
    {"pod false, containers true: reported where written",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {PSC ".runAsNonRoot=false", CSC ".runAsNonRoot=true", ISC ".runAsNonRoot=true"},
     {"runAsNonRoot|deny|-|" PSC ".runAsNonRoot"}},
    {"pod unset, every container true",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {"-" PSC ".runAsNonRoot", CSC ".runAsNonRoot=true", ISC ".runAsNonRoot=true"},
     {NULL}},
    {"runAsNonRoot string \"true\"",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {CSC ".runAsNonRoot=\"true\""},
     {"runAsNonRoot|deny|app|" CSC ".runAsNonRoot"}},
    {"runAsNonRoot null counts as unset",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {CSC ".runAsNonRoot=null"},
     {NULL}},
    {"runAsNonRoot missing on ephemeral container",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {"-" PSC ".runAsNonRoot", CSC ".runAsNonRoot=true", ISC ".runAsNonRoot=true",
      "spec.ephemeralContainers=" DEBUG_CTR},
     {"runAsNonRoot|deny|debug|spec.ephemeralContainers[0].securityContext.runAsNonRoot"}},
    /* runAsUser */
    {"runAsUser 0 on one container under a non-zero pod",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {CSC ".runAsUser=0"},
     {"runAsUser|deny|app|" CSC ".runAsUser"}},
    {"runAsUser 0 at pod level",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {PSC ".runAsUser=0"},
     {"runAsUser|deny|-|" PSC ".runAsUser"}},
    {"runAsUser unset is required",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {"-" PSC ".runAsUser"},
     {"runAsUser|deny|app|" CSC ".runAsUser", "runAsUser|deny|init|" ISC ".runAsUser"}},
    {"runAsUser set per container",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {"-" PSC ".runAsUser", CSC ".runAsUser=1000", ISC ".runAsUser=1000"},
     {NULL}},
    {"runAsUser string \"0\"",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {CSC ".runAsUser=\"0\""},
     {"runAsUser|deny|app|" CSC ".runAsUser"}},
    {"runAsUser float",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {CSC ".runAsUser=1000.5"},
     {"runAsUser|deny|app|" CSC ".runAsUser"}},
    {"runAsUser negative",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {ISC ".runAsUser=-1"},
     {"runAsUser|deny|init|" ISC ".runAsUser"}},
    {"runAsUser huge",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {CSC ".runAsUser=18446744073709551615"},
     {"runAsUser|deny|app|" CSC ".runAsUser"}},
    {"runAsUser below minUID",
     HP_PROFILE_HARDENED,
     SETUP_MIN_IDS_1000,
     {CSC ".runAsUser=999"},
     {"runAsUser|deny|app|" CSC ".runAsUser"}},
    {"runAsUser at minUID", HP_PROFILE_HARDENED, SETUP_MIN_IDS_1000, {NULL}, {NULL}},
    /* runAsGroup */
    {"runAsGroup 0 on a container",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {CSC ".runAsGroup=0"},
     {"runAsGroup|deny|app|" CSC ".runAsGroup"}},
    {"runAsGroup unset is required",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {"-" PSC ".runAsGroup"},
     {"runAsGroup|deny|app|" CSC ".runAsGroup", "runAsGroup|deny|init|" ISC ".runAsGroup"}},
    {"fsGroup 0",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {PSC ".fsGroup=0"},
     {"runAsGroup|deny|-|" PSC ".fsGroup"}},
    {"fsGroup non-zero", HP_PROFILE_HARDENED, SETUP_NONE, {PSC ".fsGroup=2000"}, {NULL}},
    {"supplementalGroups contains 0",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {PSC ".supplementalGroups=[1000,0]"},
     {"runAsGroup|deny|-|" PSC ".supplementalGroups[1]"}},
    {"runAsGroup below minGID",
     HP_PROFILE_HARDENED,
     SETUP_MIN_IDS_1000,
     {PSC ".runAsGroup=999"},
     {"runAsGroup|deny|-|" PSC ".runAsGroup"}},
    /* allowPrivilegeEscalation */
    {"allowPrivilegeEscalation unset",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {"-" CSC ".allowPrivilegeEscalation"},
     {"allowPrivilegeEscalation|deny|app|" CSC ".allowPrivilegeEscalation"}},
    {"allowPrivilegeEscalation true on init",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {ISC ".allowPrivilegeEscalation=true"},
     {"allowPrivilegeEscalation|deny|init|" ISC ".allowPrivilegeEscalation"}},
    {"allowPrivilegeEscalation string",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {CSC ".allowPrivilegeEscalation=\"false\""},
     {"allowPrivilegeEscalation|deny|app|" CSC ".allowPrivilegeEscalation"}},
    /* privileged */
    {"privileged true on init",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {ISC ".privileged=true"},
     {"privileged|deny|init|" ISC ".privileged"}},
    {"privileged string",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {CSC ".privileged=\"true\""},
     {"privileged|deny|app|" CSC ".privileged"}},
    {"privileged unset passes", HP_PROFILE_HARDENED, SETUP_NONE, {"-" CSC ".privileged"}, {NULL}},
    /* capabilities */
    {"capabilities drop missing",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {"-" CSC ".capabilities"},
     {"capabilities|deny|app|" CSC ".capabilities.drop"}},
    {"capabilities drop lowercase all warns",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {CSC ".capabilities.drop=[\"all\"]"},
     {"capabilities|warn|app|" CSC ".capabilities.drop"}},
    {"capabilities add sys_admin",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {CSC ".capabilities.add=[\"sys_admin\"]"},
     {"capabilities|deny|app|" CSC ".capabilities.add[0]"}},
    {"capabilities add CAP_SYS_ADMIN with drop ALL",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {CSC ".capabilities.add=[\"NET_BIND_SERVICE\",\" CAP_SYS_ADMIN \"]"},
     {"capabilities|deny|app|" CSC ".capabilities.add[0]",
      "capabilities|deny|app|" CSC ".capabilities.add[1]"}},
    {"capabilities allowAdd normalises",
     HP_PROFILE_HARDENED,
     SETUP_ALLOW_NET_BIND,
     {CSC ".capabilities.add=[\"cap_net_bind_service\"]"},
     {NULL}},
    {"capabilities not an object",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {CSC ".capabilities=\"ALL\""},
     {"capabilities|deny|app|" CSC ".capabilities"}},
    {"capabilities drop every cap but not ALL",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {CSC ".capabilities.drop=[\"CHOWN\",\"KILL\"]"},
     {"capabilities|deny|app|" CSC ".capabilities.drop"}},
    /* readOnlyRootFilesystem */
    {"readOnlyRootFilesystem unset",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {"-" ISC ".readOnlyRootFilesystem"},
     {"readOnlyRootFilesystem|deny|init|" ISC ".readOnlyRootFilesystem"}},
    {"readOnlyRootFilesystem false",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {CSC ".readOnlyRootFilesystem=false"},
     {"readOnlyRootFilesystem|deny|app|" CSC ".readOnlyRootFilesystem"}},
    {"readOnlyRootFilesystem string",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {CSC ".readOnlyRootFilesystem=\"true\""},
     {"readOnlyRootFilesystem|deny|app|" CSC ".readOnlyRootFilesystem"}},
    /* securityContext of the wrong type fails every check that reads it */
    {"container securityContext is a string",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {CSC "=\"restricted\""},
     {"runAsNonRoot|deny|app|" CSC ".runAsNonRoot", "runAsUser|deny|app|" CSC ".runAsUser",
      "runAsGroup|deny|app|" CSC ".runAsGroup",
      "allowPrivilegeEscalation|deny|app|" CSC ".allowPrivilegeEscalation",
      "privileged|deny|app|" CSC ".privileged", "capabilities|deny|app|" CSC ".capabilities",
      "readOnlyRootFilesystem|deny|app|" CSC ".readOnlyRootFilesystem",
      "procMount|deny|app|" CSC ".procMount", "seLinuxOptions|deny|app|" CSC ".seLinuxOptions",
      "appArmorProfile|deny|app|" CSC ".appArmorProfile.type",
      "windowsHostProcess|deny|app|" CSC ".windowsOptions.hostProcess",
      "seccompProfile|deny|app|" CSC ".seccompProfile.type"}},
    /* A pod securityContext of the wrong type fails every check that reads it,
     * once at pod level; containers that inherit from it are not reported. */
    {"pod securityContext is a string",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {PSC "=\"restricted\""},
     {"runAsNonRoot|deny|-|" PSC ".runAsNonRoot", "runAsUser|deny|-|" PSC ".runAsUser",
      "runAsGroup|deny|-|" PSC ".runAsGroup", "sysctls|deny|-|" PSC ".sysctls",
      "seLinuxOptions|deny|-|" PSC ".seLinuxOptions",
      "appArmorProfile|deny|-|" PSC ".appArmorProfile.type",
      "windowsHostProcess|deny|-|" PSC ".windowsOptions.hostProcess",
      "seccompProfile|deny|-|" PSC ".seccompProfile.type"}},
    {"pod securityContext is a list, a container sets its own values",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {PSC "=[]", CSC ".runAsNonRoot=true", CSC ".runAsUser=1000", CSC ".runAsGroup=1000"},
     {"runAsNonRoot|deny|-|" PSC ".runAsNonRoot", "runAsUser|deny|-|" PSC ".runAsUser",
      "runAsGroup|deny|-|" PSC ".runAsGroup", "sysctls|deny|-|" PSC ".sysctls",
      "seLinuxOptions|deny|-|" PSC ".seLinuxOptions",
      "appArmorProfile|deny|-|" PSC ".appArmorProfile.type",
      "windowsHostProcess|deny|-|" PSC ".windowsOptions.hostProcess",
      "seccompProfile|deny|-|" PSC ".seccompProfile.type"}},
    {"supplementalGroups above int64",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {PSC ".supplementalGroups=[1000,9223372036854775808]"},
     {"runAsGroup|deny|-|" PSC ".supplementalGroups[1]"}},
    /* resources */
    {"resources missing",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {"-" C0 ".resources"},
     {"resources|deny|app|" C0 ".resources.requests.cpu",
      "resources|deny|app|" C0 ".resources.requests.memory",
      "resources|deny|app|" C0 ".resources.limits.cpu",
      "resources|deny|app|" C0 ".resources.limits.memory"}},
    {"resources require only memory",
     HP_PROFILE_HARDENED,
     SETUP_REQUIRE_MEMORY,
     {"-" C0 ".resources.limits.cpu", "-" C0 ".resources.requests.cpu"},
     {NULL}},
    {"resources empty string quantity",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {I0 ".resources.limits.memory=\"\""},
     {"resources|deny|init|" I0 ".resources.limits.memory"}},
    /* A zero limit is no limit to the kubelet; a negative or malformed
     * quantity is refused by the API server: none of them passes. */
    {"resources zero limits",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {C0 ".resources.limits={\"cpu\":\"0m\",\"memory\":0}"},
     {"resources|deny|app|" C0 ".resources.limits.cpu",
      "resources|deny|app|" C0 ".resources.limits.memory"}},
    {"resources zero and negative requests",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {C0 ".resources.requests={\"cpu\":\"-100m\",\"memory\":\"0Mi\"}"},
     {"resources|deny|app|" C0 ".resources.requests.cpu",
      "resources|deny|app|" C0 ".resources.requests.memory"}},
    {"resources malformed quantities",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {I0 ".resources.limits={\"cpu\":\"1 core\",\"memory\":\"128MB\"}",
      C0 ".resources.requests.cpu=true"},
     {"resources|deny|init|" I0 ".resources.limits.cpu",
      "resources|deny|init|" I0 ".resources.limits.memory",
      "resources|deny|app|" C0 ".resources.requests.cpu"}},
    {"resources numbers and spaced strings",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {C0 ".resources.limits={\"cpu\":0.5,\"memory\":\" 1e9 \"}",
      C0 ".resources.requests={\"cpu\":1,\"memory\":\"0.1Gi\"}"},
     {NULL}},
    {"resources not required on ephemeral containers",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {"spec.ephemeralContainers=" DEBUG_CTR},
     {NULL}},
    /* PSA baseline checks in the hardened profile */
    {"hostNetwork",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {"spec.hostNetwork=true"},
     {"hostNamespaces|deny|-|spec.hostNetwork"}},
    {"hostPID string",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {"spec.hostPID=\"yes\""},
     {"hostNamespaces|deny|-|spec.hostPID"}},
    {"hostIPC false passes", HP_PROFILE_HARDENED, SETUP_NONE, {"spec.hostIPC=false"}, {NULL}},
    {"hostPath volume",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {"spec.volumes=[{\"name\":\"a\",\"emptyDir\":{}},{\"name\":\"h\",\"hostPath\":{\"path\":\"/"
      "\"}}]"},
     {"hostPathVolumes|deny|-|spec.volumes[1].hostPath",
      "restrictedVolumes|warn|-|spec.volumes[1].hostPath"}},
    {"volumes not a list fails both volume checks",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {"spec.volumes=\"x\""},
     {"hostPathVolumes|deny|-|spec.volumes", "restrictedVolumes|warn|-|spec.volumes"}},
    {"volume not an object fails both volume checks",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {"spec.volumes=[{\"name\":\"a\",\"emptyDir\":{}},7]"},
     {"hostPathVolumes|deny|-|spec.volumes[1]", "restrictedVolumes|warn|-|spec.volumes[1]"}},
    {"restricted volume nfs warns",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {"spec.volumes=[{\"name\":\"n\",\"nfs\":{\"server\":\"x\",\"path\":\"/\"}}]"},
     {"restrictedVolumes|warn|-|spec.volumes[0].nfs"}},
    /* gitRepo runs git on the node (CVE-2024-10220): denied by hardened,
     * though Pod Security Admission's baseline allows it. */
    {"gitRepo volume denied",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {"spec.volumes=[{\"name\":\"g\",\"gitRepo\":{\"repository\":\"https://x\"}}]"},
     {"restrictedVolumes|deny|-|spec.volumes[0].gitRepo"}},
    {"restrictedVolumes deny denies every other type too",
     HP_PROFILE_HARDENED,
     SETUP_RESTRICTED_VOLUMES_DENY,
     {"spec.volumes=[{\"name\":\"g\",\"gitRepo\":{\"repository\":\"https://x\"}},"
      "{\"name\":\"n\",\"nfs\":{\"server\":\"x\",\"path\":\"/\"}}]"},
     {"restrictedVolumes|deny|-|spec.volumes[0].gitRepo",
      "restrictedVolumes|deny|-|spec.volumes[1].nfs"}},
    {"gitRepo volume passes psa-baseline",
     HP_PROFILE_PSA_BASELINE,
     SETUP_NONE,
     {"spec.volumes=[{\"name\":\"g\",\"gitRepo\":{\"repository\":\"https://x\"}}]"},
     {NULL}},
    {"gitRepo volume denied by psa-restricted",
     HP_PROFILE_PSA_RESTRICTED,
     SETUP_NONE,
     {"spec.volumes=[{\"name\":\"g\",\"gitRepo\":{\"repository\":\"https://x\"}}]"},
     {"restrictedVolumes|deny|-|spec.volumes[0].gitRepo"}},
    {"volume without a source is an emptyDir",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {"spec.volumes=[{\"name\":\"v\"}]"},
     {NULL}},
    {"hostPort",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {C0 ".ports=[{\"containerPort\":8080,\"hostPort\":8080}]"},
     {"hostPorts|deny|app|" C0 ".ports[0].hostPort"}},
    {"hostPort 0 passes",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {C0 ".ports=[{\"containerPort\":8080,\"hostPort\":0}]"},
     {NULL}},
    {"procMount Unmasked",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {CSC ".procMount=\"Unmasked\""},
     {"procMount|deny|app|" CSC ".procMount"}},
    {"procMount Unmasked in a user namespace",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {CSC ".procMount=\"Unmasked\"", "spec.hostUsers=false"},
     {NULL}},
    {"unsafe sysctl",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {PSC ".sysctls=[{\"name\":\"net.ipv4.tcp_syncookies\",\"value\":\"1\"},"
          "{\"name\":\"kernel.msgmax\",\"value\":\"1\"}]"},
     {"sysctls|deny|-|" PSC ".sysctls[1].name"}},
    {"seLinux type spc_t",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {CSC ".seLinuxOptions={\"type\":\"spc_t\",\"level\":\"s0:c1\"}"},
     {"seLinuxOptions|deny|app|" CSC ".seLinuxOptions.type"}},
    {"seLinux user at pod level",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {PSC ".seLinuxOptions={\"user\":\"root\"}"},
     {"seLinuxOptions|deny|-|" PSC ".seLinuxOptions.user"}},
    {"seLinux allowed type and level",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {PSC ".seLinuxOptions={\"type\":\"container_init_t\",\"level\":\"s0\"}"},
     {NULL}},
    {"appArmor annotation unconfined",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {"metadata.annotations={\"container.apparmor.security.beta.kubernetes.io/"
      "app\":\"unconfined\"}"},
     {"appArmorProfile|deny|-|metadata.annotations[\"container.apparmor.security.beta.kubernetes."
      "io/app\"]"}},
    {"appArmor field Unconfined on init",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {ISC ".appArmorProfile={\"type\":\"Unconfined\"}"},
     {"appArmorProfile|deny|init|" ISC ".appArmorProfile.type"}},
    {"appArmor Localhost passes",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {PSC ".appArmorProfile={\"type\":\"Localhost\",\"localhostProfile\":\"p\"}"},
     {NULL}},
    {"windows hostProcess",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {CSC ".windowsOptions={\"hostProcess\":true}"},
     {"windowsHostProcess|deny|app|" CSC ".windowsOptions.hostProcess"}},
    {"probe host",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {C0 ".livenessProbe={\"httpGet\":{\"host\":\"127.0.0.1\",\"port\":8080}}"},
     {"hostProbesAndHostLifecycle|deny|app|" C0 ".livenessProbe.httpGet.host"}},
    {"lifecycle host",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {I0 ".lifecycle={\"preStop\":{\"tcpSocket\":{\"host\":\"10.0.0.1\",\"port\":1}}}"},
     {"hostProbesAndHostLifecycle|deny|init|" I0 ".lifecycle.preStop.tcpSocket.host"}},
    {"probe without host passes",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {C0 ".readinessProbe={\"tcpSocket\":{\"port\":8080}}"},
     {NULL}},
    /* seccompProfile (restricted semantics, warn) */
    {"seccomp unset everywhere",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {"-" PSC ".seccompProfile"},
     {"seccompProfile|warn|app|" CSC ".seccompProfile.type",
      "seccompProfile|warn|init|" ISC ".seccompProfile.type"}},
    {"seccomp pod Unconfined",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {PSC ".seccompProfile.type=\"Unconfined\""},
     {"seccompProfile|deny|-|" PSC ".seccompProfile.type"}},
    {"seccomp container Unconfined",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {CSC ".seccompProfile={\"type\":\"Unconfined\"}"},
     {"seccompProfile|deny|app|" CSC ".seccompProfile.type"}},
    {"seccomp init container Unconfined, pod unset",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {"-" PSC ".seccompProfile", CSC ".seccompProfile={\"type\":\"RuntimeDefault\"}",
      ISC ".seccompProfile={\"type\":\"Unconfined\"}"},
     {"seccompProfile|deny|init|" ISC ".seccompProfile.type"}},
    {"seccomp profile without a type",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {PSC ".seccompProfile={}"},
     {"seccompProfile|deny|-|" PSC ".seccompProfile.type"}},
    {"seccompProfile deny requires a profile too",
     HP_PROFILE_HARDENED,
     SETUP_SECCOMP_DENY,
     {"-" PSC ".seccompProfile", ISC ".seccompProfile={\"type\":\"Unconfined\"}"},
     {"seccompProfile|deny|app|" CSC ".seccompProfile.type",
      "seccompProfile|deny|init|" ISC ".seccompProfile.type"}},
    /* privilegedPorts */
    {"containerPort 80",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {C0 ".ports=[{\"containerPort\":80}]"},
     {"privilegedPorts|warn|app|" C0 ".ports[0].containerPort"}},
    {"ASPNETCORE_URLS port 80",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {C0 ".env=[{\"name\":\"X\",\"value\":\"1\"},{\"name\":\"ASPNETCORE_URLS\",\"value\":\"http://"
         "+:80\"}]"},
     {"privilegedPorts|warn|app|" C0 ".env[1].value", "dotnetDiagnostics|warn|app|" C0 ".env"}},
    {"ASPNETCORE_URLS without a port",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {C0 ".env=[{\"name\":\"ASPNETCORE_URLS\",\"value\":\"https://[::]:8443;http://localhost\"}]"},
     {"privilegedPorts|warn|app|" C0 ".env[0].value", "dotnetDiagnostics|warn|app|" C0 ".env"}},
    {"ASPNETCORE_URLS high ports pass",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {C0 ".env=[{\"name\":\"ASPNETCORE_URLS\",\"value\":\"http://+:8080;https://[::]:8443\"}]"},
     {"dotnetDiagnostics|warn|app|" C0 ".env"}},
    {"ASPNETCORE_HTTPS_PORTS 443",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {C0 ".env=[{\"name\":\"ASPNETCORE_HTTPS_PORTS\",\"value\":\"8443;443\"}]"},
     {"privilegedPorts|warn|app|" C0 ".env[0].value", "dotnetDiagnostics|warn|app|" C0 ".env"}},
    /* dotnetDiagnostics */
    {"dotnet image with read-only root",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {C0 ".image=\"mcr.microsoft.com/dotnet/aspnet:8.0\""},
     {"dotnetDiagnostics|warn|app|" C0 ".env"}},
    {"dotnet env var with read-only root",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {C0 ".env=[{\"name\":\"DOTNET_gcServer\",\"value\":\"1\"}]"},
     {"dotnetDiagnostics|warn|app|" C0 ".env"}},
    {"dotnet with diagnostics disabled",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {C0 ".image=\"mcr.microsoft.com/dotnet/aspnet:8.0\"",
      C0 ".env=[{\"name\":\"DOTNET_EnableDiagnostics\",\"value\":\"0\"}]"},
     {NULL}},
    {"dotnet with COMPlus diagnostics disabled",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {C0 ".env=[{\"name\":\"ASPNETCORE_ENVIRONMENT\",\"value\":\"x\"},"
         "{\"name\":\"COMPlus_EnableDiagnostics\",\"value\":\"0\"}]"},
     {NULL}},
    {"dotnet with writable /tmp",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {C0 ".image=\"mcr.microsoft.com/dotnet/aspnet:8.0\"",
      C0 ".volumeMounts=[{\"name\":\"tmp\",\"mountPath\":\"/tmp\"}]"},
     {NULL}},
    {"dotnet with read-only /tmp",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {C0 ".image=\"mcr.microsoft.com/dotnet/aspnet:8.0\"",
      C0 ".volumeMounts=[{\"name\":\"tmp\",\"mountPath\":\"/tmp\",\"readOnly\":true}]"},
     {"dotnetDiagnostics|warn|app|" C0 ".env"}},
    {"dotnet with writable root is not warned",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {C0 ".image=\"mcr.microsoft.com/dotnet/aspnet:8.0\"", CSC ".readOnlyRootFilesystem=false"},
     {"readOnlyRootFilesystem|deny|app|" CSC ".readOnlyRootFilesystem"}},
    /* automountServiceAccountToken (off by default) */
    {"automount token off by default", HP_PROFILE_HARDENED, SETUP_NONE, {NULL}, {NULL}},
    {"automount token enabled check",
     HP_PROFILE_HARDENED,
     SETUP_AUTOMOUNT_DENY,
     {NULL},
     {"automountServiceAccountToken|deny|-|spec.automountServiceAccountToken"}},
    {"automount token false",
     HP_PROFILE_HARDENED,
     SETUP_AUTOMOUNT_DENY,
     {"spec.automountServiceAccountToken=false"},
     {NULL}},
    /* PSA profiles */
    {"psa-restricted allows unset runAsUser",
     HP_PROFILE_PSA_RESTRICTED,
     SETUP_NONE,
     {"-" PSC ".runAsUser", "-" PSC ".runAsGroup", "-" CSC ".readOnlyRootFilesystem",
      "-" C0 ".resources"},
     {NULL}},
    {"psa-restricted rejects lowercase all",
     HP_PROFILE_PSA_RESTRICTED,
     SETUP_NONE,
     {CSC ".capabilities.drop=[\"all\"]"},
     {"capabilities|deny|app|" CSC ".capabilities.drop"}},
    {"psa-restricted runAsNonRoot pod false beats containers",
     HP_PROFILE_PSA_RESTRICTED,
     SETUP_NONE,
     {PSC ".runAsNonRoot=false", CSC ".runAsNonRoot=true", ISC ".runAsNonRoot=true"},
     {"runAsNonRoot|deny|-|" PSC ".runAsNonRoot"}},
    {"psa-restricted relaxes runAsNonRoot/runAsUser in a user namespace",
     HP_PROFILE_PSA_RESTRICTED,
     SETUP_NONE,
     {"spec.hostUsers=false", PSC ".runAsNonRoot=false", PSC ".runAsUser=0"},
     {NULL}},
    {"psa-restricted procMount in a user namespace",
     HP_PROFILE_PSA_RESTRICTED,
     SETUP_NONE,
     {"spec.hostUsers=false", CSC ".procMount=\"Unmasked\""},
     {"procMount|deny|app|" CSC ".procMount"}},
    {"psa-restricted windows exemptions",
     HP_PROFILE_PSA_RESTRICTED,
     SETUP_NONE,
     {"spec.os={\"name\":\"windows\"}", "-" CSC ".allowPrivilegeEscalation",
      "-" CSC ".capabilities", "-" PSC ".seccompProfile"},
     {NULL}},
    {"psa-restricted windows pods keep baseline's capability list",
     HP_PROFILE_PSA_RESTRICTED,
     SETUP_NONE,
     {"spec.os={\"name\":\"windows\"}", CSC ".capabilities={\"add\":[\"CHOWN\",\"SYS_ADMIN\"]}"},
     {"capabilities|deny|app|" CSC ".capabilities.add[1]"}},
    {"psa-restricted windows pods keep baseline's seccomp rule",
     HP_PROFILE_PSA_RESTRICTED,
     SETUP_NONE,
     {"spec.os={\"name\":\"windows\"}", PSC ".seccompProfile.type=\"Unconfined\"",
      ISC ".seccompProfile={\"type\":\"Unconfined\"}"},
     {"seccompProfile|deny|-|" PSC ".seccompProfile.type",
      "seccompProfile|deny|init|" ISC ".seccompProfile.type"}},
    {"hardened has no windows exemptions",
     HP_PROFILE_HARDENED,
     SETUP_NONE,
     {"spec.os={\"name\":\"windows\"}", "-" CSC ".allowPrivilegeEscalation"},
     {"allowPrivilegeEscalation|deny|app|" CSC ".allowPrivilegeEscalation"}},
    {"psa-baseline allows baseline capabilities",
     HP_PROFILE_PSA_BASELINE,
     SETUP_NONE,
     {CSC ".capabilities={\"add\":[\"CHOWN\",\"NET_BIND_SERVICE\"]}", "-" PSC},
     {NULL}},
    {"psa-baseline rejects CAP_CHOWN spelling",
     HP_PROFILE_PSA_BASELINE,
     SETUP_NONE,
     {CSC ".capabilities={\"add\":[\"CAP_CHOWN\"]}"},
     {"capabilities|deny|app|" CSC ".capabilities.add[0]"}},
    {"none profile finds nothing",
     HP_PROFILE_NONE,
     SETUP_NONE,
     {"spec.hostNetwork=true", CSC ".privileged=true"},
     {NULL}},
};

static void setup_policy(struct hp_policy *p, enum hp_profile profile, enum setup s)
{
    hp_policy_init(p, profile);
    switch (s) {
    case SETUP_NONE:
        break;
    case SETUP_MIN_IDS_1000:
        p->min_uid = 1000;
        p->min_gid = 1000;
        break;
    case SETUP_ALLOW_NET_BIND:
        p->allow_add[p->n_allow_add++] = strdup("NET_BIND_SERVICE");
        break;
    case SETUP_REQUIRE_MEMORY:
        p->resources_require = HP_RES_REQUESTS_MEMORY | HP_RES_LIMITS_MEMORY;
        break;
    case SETUP_AUTOMOUNT_DENY:
        p->checks[HP_CHECK_AUTOMOUNT_SERVICE_ACCOUNT_TOKEN].action = HP_ACTION_DENY;
        break;
    case SETUP_SECCOMP_DENY:
        p->checks[HP_CHECK_SECCOMP_PROFILE].action = HP_ACTION_DENY;
        break;
    case SETUP_RESTRICTED_VOLUMES_DENY:
        p->checks[HP_CHECK_RESTRICTED_VOLUMES].action = HP_ACTION_DENY;
        break;
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static const char *render_want(const char *const *want, char *buf, size_t size)
{
    const char *sorted[16];
    size_t n = 0;
    while (n < 16 && want[n] != NULL) {
        sorted[n] = want[n];
        n++;
    }
    qsort(sorted, n, sizeof(sorted[0]), cmp_str);
    buf[0] = '\0';
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? "\n" : "", sorted[i]);
    }
    return buf;
}

static void check_case(const struct pcase *c, struct json_object *obj, const char *prefix_from,
                       const char *prefix_to)
{
    struct hp_policy p;
    setup_policy(&p, c->profile, c->setup);
    struct hp_findings f;
    hp_findings_init(&f);
    struct hp_error err;
    struct hp_eval_input in = {.object = obj, .now = 1700000000};
    enum hp_err rc = hp_policy_eval(&p, &in, &f, &err);
    ck_assert_msg(rc == HP_OK, "%s: eval failed: %s", c->name, err.msg);
    ck_assert(f.has_podspec);
    char got[4096];
    char want[4096];
    pp_render(&f, got, sizeof(got));
    render_want(c->want, want, sizeof(want));
    if (prefix_from != NULL) {
        /* Rewrite expected pod paths into the workload's template paths. */
        char out[4096] = "";
        size_t used = 0;
        char *save = NULL;
        for (char *line = strtok_r(want, "\n", &save); line != NULL;
             line = strtok_r(NULL, "\n", &save)) {
            char *pipe = strrchr(line, '|');
            *pipe = '\0';
            const char *path = pipe + 1;
            const char *rest = strncmp(path, "metadata", 8) == 0 ? path + 8 : path + 4;
            const char *to = strncmp(path, "metadata", 8) == 0 ? prefix_from : prefix_to;
            used += (size_t)snprintf(out + used, sizeof(out) - used, "%s%s|%s%s", used ? "\n" : "",
                                     line, to, rest);
        }
        /* Re-sort, since prefixes can change the order. */
        char *lines[16];
        size_t n = 0;
        for (char *line = strtok_r(out, "\n", &save); line != NULL && n < 16;
             line = strtok_r(NULL, "\n", &save)) {
            lines[n++] = line;
        }
        qsort(lines, n, sizeof(lines[0]), cmp_str);
        used = 0;
        for (size_t i = 0; i < n; i++) {
            used +=
                (size_t)snprintf(want + used, sizeof(want) - used, "%s%s", i ? "\n" : "", lines[i]);
        }
        if (n == 0) {
            want[0] = '\0';
        }
    }
    ck_assert_msg(strcmp(got, want) == 0, "%s:\n--- expected\n%s\n--- got\n%s", c->name, want, got);
    for (size_t i = 0; i < f.len; i++) {
        ck_assert_msg(f.items[i].message[0] != '\0' && f.items[i].fix != NULL &&
                          f.items[i].fix[0] != '\0',
                      "%s: finding %zu lacks a message or fix", c->name, i);
    }
    hp_findings_cleanup(&f);
    hp_policy_cleanup(&p);
}

static struct json_object *build(const struct pcase *c)
{
    struct json_object *obj = tu_json(base_pod);
    for (size_t i = 0; i < 8 && c->patch[i] != NULL; i++) {
        pp_apply(obj, c->patch[i]);
    }
    return obj;
}

START_TEST(test_policy_pod_cases)
{
    const struct pcase *c = &cases[_i];
    struct json_object *obj = build(c);
    check_case(c, obj, NULL, NULL);
    json_object_put(obj);
}
END_TEST

/* Every case gives the same findings inside every workload kind, with the
 * template prefix on every path. */
START_TEST(test_policy_workload_cases)
{
    static const struct {
        const char *api_version, *kind, *meta, *spec;
    } kinds[] = {
        {"apps/v1", "Deployment", "spec.template.metadata", "spec.template.spec"},
        {"extensions/v1beta1", "Deployment", "spec.template.metadata", "spec.template.spec"},
        {"apps/v1beta2", "StatefulSet", "spec.template.metadata", "spec.template.spec"},
        {"apps/v1", "DaemonSet", "spec.template.metadata", "spec.template.spec"},
        {"apps/v1", "ReplicaSet", "spec.template.metadata", "spec.template.spec"},
        {"batch/v1", "Job", "spec.template.metadata", "spec.template.spec"},
        {"batch/v1beta1", "CronJob", "spec.jobTemplate.spec.template.metadata",
         "spec.jobTemplate.spec.template.spec"},
        {"v1", "ReplicationController", "spec.template.metadata", "spec.template.spec"},
        {"v1", "PodTemplate", "template.metadata", "template.spec"},
    };
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        const struct pcase *c = &cases[_i];
        struct json_object *pod = build(c);
        struct json_object *w = pp_wrap(pod, kinds[k].api_version, kinds[k].kind);
        check_case(c, w, kinds[k].meta, kinds[k].spec);
        json_object_put(w);
        json_object_put(pod);
    }
}
END_TEST

/* The built-in custom kinds, each with where the pod under test goes. */
enum custom_shape {
    SHAPE_TEMPLATE,   /* at `at`.template, as a workload's */
    SHAPE_SPEC,       /* the pod's spec is the object's spec */
    SHAPE_METRIC_JOB, /* spec.metrics[1].provider.job.spec.template (metrics[0]: prometheus) */
    SHAPE_EXPERIMENT, /* spec.templates[1].template (templates[0]: the clean base pod) */
    SHAPE_JOB_TARGET, /* spec.jobTargetRef.template */
};

static const struct custom_kind {
    const char *api_version, *kind;
    enum custom_shape shape;
    const char *meta, *spec;
} custom_kinds[] = {
    {"argoproj.io/v1alpha1", "Rollout", SHAPE_TEMPLATE, "spec.template.metadata",
     "spec.template.spec"},
    {"argoproj.io/v1alpha1", "AnalysisTemplate", SHAPE_METRIC_JOB,
     "spec.metrics[1].provider.job.spec.template.metadata",
     "spec.metrics[1].provider.job.spec.template.spec"},
    {"argoproj.io/v1alpha1", "ClusterAnalysisTemplate", SHAPE_METRIC_JOB,
     "spec.metrics[1].provider.job.spec.template.metadata",
     "spec.metrics[1].provider.job.spec.template.spec"},
    {"argoproj.io/v1alpha1", "AnalysisRun", SHAPE_METRIC_JOB,
     "spec.metrics[1].provider.job.spec.template.metadata",
     "spec.metrics[1].provider.job.spec.template.spec"},
    {"argoproj.io/v1alpha1", "Experiment", SHAPE_EXPERIMENT, "spec.templates[1].template.metadata",
     "spec.templates[1].template.spec"},
    {"serving.knative.dev/v1", "Service", SHAPE_TEMPLATE, "spec.template.metadata",
     "spec.template.spec"},
    {"serving.knative.dev/v1", "Configuration", SHAPE_TEMPLATE, "spec.template.metadata",
     "spec.template.spec"},
    {"serving.knative.dev/v1", "Revision", SHAPE_SPEC, "metadata", "spec"},
    {"keda.sh/v1alpha1", "ScaledJob", SHAPE_JOB_TARGET, "spec.jobTargetRef.template.metadata",
     "spec.jobTargetRef.template.spec"},
};

static struct json_object *jobj(const char *key, struct json_object *v)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, key, v);
    return o;
}

/* The pod's metadata and spec as a pod template (new references). */
static struct json_object *pod_template(struct json_object *pod)
{
    struct json_object *t = json_object_new_object();
    struct json_object *v = NULL;
    if (json_object_object_get_ex(pod, "metadata", &v)) {
        json_object_object_add(t, "metadata", json_object_get(v));
    }
    if (json_object_object_get_ex(pod, "spec", &v)) {
        json_object_object_add(t, "spec", json_object_get(v));
    }
    return t;
}

/* A new object of kind k with pod where k's shape puts it. */
static struct json_object *wrap_custom(struct json_object *pod, const struct custom_kind *k)
{
    struct json_object *w = json_object_new_object();
    struct json_object *meta = NULL;
    struct json_object *spec = NULL;
    json_object_object_get_ex(pod, "metadata", &meta);
    json_object_object_add(w, "apiVersion", json_object_new_string(k->api_version));
    json_object_object_add(w, "kind", json_object_new_string(k->kind));
    json_object_object_add(w, "metadata", json_object_get(meta));
    switch (k->shape) {
    case SHAPE_TEMPLATE:
        spec = jobj("template", pod_template(pod));
        break;
    case SHAPE_SPEC:
        json_object_object_get_ex(pod, "spec", &spec);
        json_object_get(spec);
        break;
    case SHAPE_METRIC_JOB: {
        struct json_object *metrics = json_object_new_array();
        struct json_object *prom = tu_json("{\"name\":\"rate\",\"provider\":{\"prometheus\":"
                                           "{\"query\":\"up\"}}}");
        struct json_object *job = jobj("spec", jobj("template", pod_template(pod)));
        struct json_object *m = jobj("provider", jobj("job", job));
        json_object_object_add(m, "name", json_object_new_string("smoke"));
        json_object_array_add(metrics, prom);
        json_object_array_add(metrics, m);
        spec = jobj("metrics", metrics);
        break;
    }
    case SHAPE_EXPERIMENT: {
        /* Clean under every case's setup. */
        struct json_object *base = tu_json(base_pod);
        pp_apply(base, "spec.automountServiceAccountToken=false");
        struct json_object *templates = json_object_new_array();
        json_object_array_add(templates, jobj("template", pod_template(base)));
        json_object_array_add(templates, jobj("template", pod_template(pod)));
        spec = jobj("templates", templates);
        json_object_put(base);
        break;
    }
    case SHAPE_JOB_TARGET:
        spec = jobj("jobTargetRef", jobj("template", pod_template(pod)));
        break;
    }
    json_object_object_add(w, "spec", spec);
    return w;
}

/* Every case gives the same findings inside every built-in custom kind, at
 * the real path of the pod spec in it. */
START_TEST(test_policy_custom_kind_cases)
{
    for (size_t k = 0; k < sizeof(custom_kinds) / sizeof(custom_kinds[0]); k++) {
        const struct pcase *c = &cases[_i];
        struct json_object *pod = build(c);
        struct json_object *w = wrap_custom(pod, &custom_kinds[k]);
        check_case(c, w, custom_kinds[k].meta, custom_kinds[k].spec);
        json_object_put(w);
        json_object_put(pod);
    }
}
END_TEST

static struct json_object *load_yaml(const char *path)
{
    size_t len;
    char *data = tu_read_file(path, &len);
    struct hp_manifest m;
    struct hp_error err;
    ck_assert_msg(hp_manifest_parse(data, len, NULL, &m, &err) == HP_OK, "%s: %s", path, err.msg);
    ck_assert_msg(m.len == 1 && m.docs[0].obj != NULL, "%s: expected one document", path);
    struct json_object *obj = json_object_get(m.docs[0].obj);
    hp_manifest_cleanup(&m);
    free(data);
    return obj;
}

/* tests/fixtures/crd: each built-in kind passes with a hardened pod template
 * and is denied, at the real paths, with hostPID and a privileged container. */
START_TEST(test_policy_custom_kind_fixtures)
{
    static const struct {
        const char *stem, *prefix, *ctr;
    } fx[] = {
        {"rollout", "spec.template.spec", "api"},
        {"analysistemplate", "spec.metrics[2].provider.job.spec.template.spec", "load"},
        {"clusteranalysistemplate", "spec.metrics[2].provider.job.spec.template.spec", "load"},
        {"analysisrun", "spec.metrics[2].provider.job.spec.template.spec", "load"},
        {"experiment", "spec.templates[1].template.spec", "canary"},
        {"knative-service", "spec.template.spec", "api"},
        {"knative-configuration", "spec.template.spec", "api"},
        {"knative-revision", "spec", "api"},
        {"scaledjob", "spec.jobTargetRef.template.spec", "worker"},
    };
    struct hp_policy p;
    hp_policy_init(&p, HP_PROFILE_HARDENED);
    struct hp_findings f;
    hp_findings_init(&f);
    for (size_t i = 0; i < sizeof(fx) / sizeof(fx[0]); i++) {
        for (int fail = 0; fail <= 1; fail++) {
            char name[128];
            char path[1024];
            snprintf(name, sizeof(name), "%s-%s.yaml", fx[i].stem, fail ? "fail" : "pass");
            snprintf(path, sizeof(path), "%s/crd/%s", tu_fixtures_dir(), name);
            struct json_object *obj = load_yaml(path);
            struct hp_eval_input in = {.object = obj, .now = 1700000000};
            struct hp_error err;
            ck_assert_msg(hp_policy_eval(&p, &in, &f, &err) == HP_OK, "%s: %s", name, err.msg);
            ck_assert_msg(f.has_podspec, "%s: no pod spec was read", name);
            char got[4096];
            char want[1024] = "";
            pp_render(&f, got, sizeof(got));
            if (fail) {
                snprintf(want, sizeof(want),
                         "hostNamespaces|deny|-|%s.hostPID\n"
                         "privileged|deny|%s|%s.containers[0].securityContext.privileged",
                         fx[i].prefix, fx[i].ctr, fx[i].prefix);
            }
            ck_assert_msg(strcmp(got, want) == 0, "%s:\n--- expected\n%s\n--- got\n%s", name, want,
                          got);
            json_object_put(obj);
        }
    }
    hp_findings_cleanup(&f);
    hp_policy_cleanup(&p);
}
END_TEST

/* Custom resources of a known kind that hold no pod spec: nothing to
 * evaluate, and no error. */
START_TEST(test_policy_custom_kinds_without_pod_spec)
{
    static const char *const objs[] = {
        /* a Rollout that takes its template from a Deployment */
        "{\"apiVersion\":\"argoproj.io/v1alpha1\",\"kind\":\"Rollout\",\"spec\":{"
        "\"workloadRef\":{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"name\":\"a\"}}}",
        /* metrics that run no job */
        "{\"apiVersion\":\"argoproj.io/v1alpha1\",\"kind\":\"AnalysisTemplate\",\"spec\":{"
        "\"metrics\":[{\"name\":\"r\",\"provider\":{\"web\":{\"url\":\"http://x\"}}}]}}",
        "{\"apiVersion\":\"argoproj.io/v1alpha1\",\"kind\":\"AnalysisRun\",\"spec\":{}}",
        "{\"apiVersion\":\"argoproj.io/v1alpha1\",\"kind\":\"Experiment\",\"spec\":{"
        "\"templates\":null}}",
        /* kinds no entry names */
        "{\"apiVersion\":\"serving.knative.dev/v1\",\"kind\":\"Route\",\"spec\":{}}",
        "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Rollout\",\"spec\":{}}",
        "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"spec\":{\"template\":1}}",
        "{\"apiVersion\":\"argoproj.io\",\"kind\":\"Rollout\",\"spec\":{}}",
    };
    struct hp_policy p;
    hp_policy_init(&p, HP_PROFILE_HARDENED);
    struct hp_findings f;
    hp_findings_init(&f);
    for (size_t i = 0; i < sizeof(objs) / sizeof(objs[0]); i++) {
        struct json_object *o = tu_json(objs[i]);
        struct hp_eval_input in = {.object = o};
        struct hp_error err;
        hp_error_clear(&err);
        ck_assert_msg(hp_policy_eval(&p, &in, &f, &err) == HP_OK, "%s: %s", objs[i], err.msg);
        ck_assert_msg(!f.has_podspec && f.len == 0, "%s: expected no pod spec", objs[i]);
        json_object_put(o);
    }
    hp_findings_cleanup(&f);
    hp_policy_cleanup(&p);
}
END_TEST

/* A custom resource whose structure cannot be walked is an error that names
 * the path, as a workload's is: never a pass. */
START_TEST(test_policy_custom_kind_errors)
{
    static const struct {
        const char *obj;
        const char *msg;
    } cases_[] = {
        {"{\"apiVersion\":\"argoproj.io/v1alpha1\",\"kind\":\"Rollout\",\"spec\":{}}",
         "spec.template: missing (and spec.workloadRef is not set)"},
        {"{\"apiVersion\":\"argoproj.io/v1alpha1\",\"kind\":\"Rollout\",\"spec\":{\"template\":"
         "{\"spec\":[]},\"workloadRef\":{}}}",
         "spec.template.spec: expected object, got array"},
        {"{\"apiVersion\":\"serving.knative.dev/v1\",\"kind\":\"Service\"}", "spec: missing"},
        {"{\"apiVersion\":\"argoproj.io/v1alpha1\",\"kind\":\"Experiment\",\"spec\":{"
         "\"templates\":{}}}",
         "spec.templates: expected array, got object"},
        {"{\"apiVersion\":\"argoproj.io/v1alpha1\",\"kind\":\"Experiment\",\"spec\":{"
         "\"templates\":[{\"template\":{\"spec\":{}}},\"x\"]}}",
         "spec.templates[1]: expected object, got string \"x\""},
        {"{\"apiVersion\":\"argoproj.io/v1alpha1\",\"kind\":\"Experiment\",\"spec\":{"
         "\"templates\":[{\"name\":\"a\"}]}}",
         "spec.templates[0].template: missing"},
        {"{\"apiVersion\":\"argoproj.io/v1alpha1\",\"kind\":\"AnalysisTemplate\",\"spec\":{"
         "\"metrics\":[{\"provider\":{\"job\":\"x\"}}]}}",
         "spec.metrics[0].provider.job: expected object, got string \"x\""},
        {"{\"apiVersion\":\"argoproj.io/v1alpha1\",\"kind\":\"AnalysisRun\",\"spec\":{"
         "\"metrics\":[{\"provider\":{\"job\":{\"spec\":{}}}}]}}",
         "spec.metrics[0].provider.job.spec.template: missing"},
        {"{\"apiVersion\":\"argoproj.io/v1alpha1\",\"kind\":\"AnalysisRun\",\"spec\":{"
         "\"metrics\":[{\"name\":\"m\"}]}}",
         "spec.metrics[0].provider: missing"},
        {"{\"apiVersion\":\"keda.sh/v1alpha1\",\"kind\":\"ScaledJob\",\"spec\":{"
         "\"jobTargetRef\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\"},7]}}}}}",
         "spec.jobTargetRef.template.spec.containers[1]: expected object, got integer 7"},
    };
    struct hp_policy p;
    hp_policy_init(&p, HP_PROFILE_HARDENED);
    struct hp_findings f;
    hp_findings_init(&f);
    for (size_t i = 0; i < sizeof(cases_) / sizeof(cases_[0]); i++) {
        struct json_object *o = tu_json(cases_[i].obj);
        struct hp_eval_input in = {.object = o};
        struct hp_error err;
        hp_error_clear(&err);
        ck_assert_int_eq(hp_policy_eval(&p, &in, &f, &err), HP_ERR_INVALID);
        ck_assert_msg(strcmp(err.msg, cases_[i].msg) == 0, "expected \"%s\", got \"%s\"",
                      cases_[i].msg, err.msg);
        ck_assert_msg(f.len == 0 && !f.has_podspec, "%s: findings kept after an error",
                      cases_[i].obj);
        json_object_put(o);
    }
    hp_findings_cleanup(&f);
    hp_policy_cleanup(&p);
}
END_TEST

static void add_kind(struct hp_policy *p, const char *group, const char *version, const char *kind,
                     const char *path)
{
    struct hp_k8s_kind k = {.group = group, .version = version, .kind = kind, .n_paths = 1};
    k.paths[0] = path;
    if (p->kinds == NULL) {
        p->kinds = hp_k8s_kinds_new();
    }
    hp_k8s_kinds_add(p->kinds, &k);
}

/* A config's kind with a path through a list: every element is evaluated,
 * findings name the element, and an entry for a built-in kind's group and
 * kind replaces the built-in one in every version. */
START_TEST(test_policy_user_kinds)
{
    struct hp_policy p;
    hp_policy_init(&p, HP_PROFILE_HARDENED);
    add_kind(&p, "ci.example.com", "*", "Pipeline", "spec.stages[*].template?.spec");
    add_kind(&p, "argoproj.io", "v1alpha1", "Rollout", "spec.canary.spec");
    struct hp_findings f;
    hp_findings_init(&f);

    struct json_object *clean = tu_json(base_pod);
    struct json_object *bad = tu_json(base_pod);
    pp_apply(bad, "spec.hostIPC=true");
    pp_apply(bad, "spec.containers[0].securityContext.privileged=true");
    struct json_object *stages = json_object_new_array();
    json_object_array_add(stages, jobj("template", pod_template(clean)));
    json_object_array_add(stages, jobj("name", json_object_new_string("approval")));
    json_object_array_add(stages, jobj("template", pod_template(bad)));
    struct json_object *pipeline = tu_json("{\"apiVersion\":\"ci.example.com/v1beta1\","
                                           "\"kind\":\"Pipeline\"}");
    json_object_object_add(pipeline, "spec", jobj("stages", stages));
    struct hp_eval_input in = {.object = pipeline};
    struct hp_error err;
    hp_error_clear(&err);
    ck_assert_msg(hp_policy_eval(&p, &in, &f, &err) == HP_OK, "%s", err.msg);
    char got[4096];
    pp_render(&f, got, sizeof(got));
    const char *want =
        "hostNamespaces|deny|-|spec.stages[2].template.spec.hostIPC\n"
        "privileged|deny|app|spec.stages[2].template.spec.containers[0].securityContext.privileged";
    ck_assert_msg(f.has_podspec && strcmp(got, want) == 0, "--- expected\n%s\n--- got\n%s", want,
                  got);
    size_t n = 0;
    ck_assert_int_eq(
        hp_k8s_podspec_count(p.kinds, pipeline, "ci.example.com/v1beta1", "Pipeline", &n, NULL),
        HP_OK);
    ck_assert_uint_eq(n, 2);

    /* The user's Rollout entry reads spec.canary.spec, not spec.template. */
    struct json_object *ro = wrap_custom(bad, &custom_kinds[0]);
    json_object_object_add(json_object_object_get(ro, "spec"), "canary", pod_template(clean));
    in.object = ro;
    ck_assert_int_eq(hp_policy_eval(&p, &in, &f, &err), HP_OK);
    ck_assert_msg(f.has_podspec && f.len == 0, "the user's Rollout entry was not used");
    /* In another version no entry applies: the built-in one is replaced. */
    json_object_object_add(ro, "apiVersion", json_object_new_string("argoproj.io/v1beta1"));
    ck_assert_int_eq(hp_policy_eval(&p, &in, &f, &err), HP_OK);
    ck_assert_msg(!f.has_podspec && f.len == 0, "the replaced built-in Rollout entry was used");
    ck_assert(!hp_k8s_kind_known(p.kinds, "argoproj.io/v1beta1", "Rollout"));
    ck_assert(hp_k8s_kind_known(NULL, "argoproj.io/v1beta1", "Rollout"));

    json_object_put(ro);
    json_object_put(pipeline);
    json_object_put(clean);
    json_object_put(bad);
    hp_findings_cleanup(&f);
    hp_policy_cleanup(&p);
}
END_TEST

START_TEST(test_policy_other_kinds_have_no_pod_spec)
{
    static const char *const objs[] = {
        "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"data\":{\"a\":\"b\"}}",
        "{\"apiVersion\":\"apps/v1\",\"kind\":\"Pod\",\"spec\":{\"hostNetwork\":true}}",
        "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Deployment\",\"spec\":{}}",
        "{\"apiVersion\":\"v1\",\"kind\":\"Deployment\",\"spec\":{}}",
        "{\"kind\":\"Pod\",\"spec\":{\"hostNetwork\":true}}",
    };
    struct hp_policy p;
    hp_policy_init(&p, HP_PROFILE_HARDENED);
    struct hp_findings f;
    hp_findings_init(&f);
    for (size_t i = 0; i < sizeof(objs) / sizeof(objs[0]); i++) {
        struct json_object *o = tu_json(objs[i]);
        struct hp_eval_input in = {.object = o};
        ck_assert_int_eq(hp_policy_eval(&p, &in, &f, NULL), HP_OK);
        ck_assert_msg(!f.has_podspec && f.len == 0, "%s: expected no pod spec", objs[i]);
        json_object_put(o);
    }
    hp_findings_cleanup(&f);
    hp_policy_cleanup(&p);
}
END_TEST

/* A known kind in a known group is evaluated whatever its version says, so a
 * made-up version cannot hide a workload. */
START_TEST(test_policy_unknown_version_is_evaluated)
{
    static const char *const versions[] = {"apps/v9", "extensions/v1beta1", "batch/v2alpha1"};
    static const char *const kinds[] = {"Deployment", "DaemonSet", "CronJob"};
    struct hp_policy p;
    hp_policy_init(&p, HP_PROFILE_HARDENED);
    struct hp_findings f;
    hp_findings_init(&f);
    for (size_t i = 0; i < 3; i++) {
        struct json_object *pod = tu_json(base_pod);
        pp_apply(pod, "spec.hostPID=true");
        struct json_object *w = pp_wrap(pod, versions[i], kinds[i]);
        struct hp_eval_input in = {.object = w};
        ck_assert_int_eq(hp_policy_eval(&p, &in, &f, NULL), HP_OK);
        ck_assert_msg(f.has_podspec && hp_findings_denied(&f), "%s %s was not evaluated",
                      versions[i], kinds[i]);
        json_object_put(w);
        json_object_put(pod);
    }
    hp_findings_cleanup(&f);
    hp_policy_cleanup(&p);
}
END_TEST

START_TEST(test_policy_structural_errors)
{
    static const struct {
        const char *obj;
        const char *msg;
    } cases_[] = {
        {"{\"apiVersion\":\"v1\",\"kind\":\"Pod\"}", "spec: missing"},
        {"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"spec\":\"x\"}",
         "spec: expected object, got string \"x\""},
        {"{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"spec\":{\"template\":[]}}",
         "spec.template: expected object, got array"},
        {"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"spec\":{\"containers\":{}}}",
         "spec.containers: expected array, got object"},
        {"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"spec\":{\"initContainers\":[1]}}",
         "spec.initContainers[0]: expected object, got integer 1"},
    };
    struct hp_policy p;
    hp_policy_init(&p, HP_PROFILE_HARDENED);
    struct hp_findings f;
    hp_findings_init(&f);
    for (size_t i = 0; i < sizeof(cases_) / sizeof(cases_[0]); i++) {
        struct json_object *o = tu_json(cases_[i].obj);
        struct hp_eval_input in = {.object = o};
        struct hp_error err;
        ck_assert_int_eq(hp_policy_eval(&p, &in, &f, &err), HP_ERR_INVALID);
        ck_assert_msg(strcmp(err.msg, cases_[i].msg) == 0, "expected \"%s\", got \"%s\"",
                      cases_[i].msg, err.msg);
        ck_assert_int_eq((int)f.len, 0);
        json_object_put(o);
    }
    hp_findings_cleanup(&f);
    hp_policy_cleanup(&p);
}
END_TEST

static void add_exemption(struct hp_policy *p, enum hp_exemption_kind kind, const char *pattern,
                          uint32_t checks, const char *ns, int64_t expires)
{
    p->exemptions = realloc(p->exemptions, (p->n_exemptions + 1) * sizeof(*p->exemptions));
    struct hp_exemption *x = &p->exemptions[p->n_exemptions++];
    memset(x, 0, sizeof(*x));
    x->kind = kind;
    x->pattern = strdup(pattern);
    x->checks = checks;
    x->reason = strdup("vendor image");
    x->expires = expires;
    if (ns != NULL) {
        x->namespaces = calloc(1, sizeof(char *));
        x->namespaces[0] = strdup(ns);
        x->n_namespaces = 1;
    }
}

START_TEST(test_policy_exemptions)
{
    static const struct {
        enum hp_exemption_kind kind;
        const char *pattern;
        const char *ns;
        int64_t expires;
        const char *username;
        bool exempt;
    } xs[] = {
        {HP_EXEMPT_IMAGE, "mcr.microsoft.com/dotnet/*", NULL, 0, NULL, true},
        {HP_EXEMPT_IMAGE, "mcr.microsoft.com/dotnet/*", "sho?", 0, NULL, true},
        {HP_EXEMPT_IMAGE, "mcr.microsoft.com/dotnet/*", "other", 0, NULL, false},
        {HP_EXEMPT_IMAGE, "mcr.microsoft.com/dotnet/*", NULL, 1600000000, NULL, false},
        {HP_EXEMPT_IMAGE, "docker.io/*", NULL, 0, NULL, false},
        {HP_EXEMPT_NAMESPACE, "sh*", NULL, 1800000000, NULL, true},
        {HP_EXEMPT_NAMESPACE, "kube-system", NULL, 0, NULL, false},
        {HP_EXEMPT_USERNAME, "system:serviceaccount:ci:*", NULL, 0,
         "system:serviceaccount:ci:deployer", true},
        {HP_EXEMPT_USERNAME, "system:serviceaccount:ci:*", NULL, 0, "alice", false},
    };
    for (size_t i = 0; i < sizeof(xs) / sizeof(xs[0]); i++) {
        struct hp_policy p;
        hp_policy_init(&p, HP_PROFILE_HARDENED);
        add_exemption(&p, xs[i].kind, xs[i].pattern, 1u << HP_CHECK_READ_ONLY_ROOT_FILESYSTEM,
                      xs[i].ns, xs[i].expires);
        struct json_object *o = tu_json(base_pod);
        pp_apply(o, C0 ".image=\"mcr.microsoft.com/dotnet/aspnet:8.0\"");
        pp_apply(o, CSC ".readOnlyRootFilesystem=false");
        struct hp_findings f;
        hp_findings_init(&f);
        struct hp_eval_input in = {.object = o, .now = 1700000000, .username = xs[i].username};
        ck_assert_int_eq(hp_policy_eval(&p, &in, &f, NULL), HP_OK);
        ck_assert_int_eq((int)f.len, 1);
        ck_assert_msg(f.items[0].exempt == xs[i].exempt, "case %zu: exempt=%d, want %d", i,
                      f.items[0].exempt, xs[i].exempt);
        ck_assert_int_eq(f.items[0].action, xs[i].exempt ? HP_ACTION_WARN : HP_ACTION_DENY);
        if (xs[i].exempt) {
            ck_assert_msg(strncmp(f.items[0].message, "exempt: vendor image: ", 22) == 0,
                          "message: %s", f.items[0].message);
            ck_assert_str_eq(f.items[0].detail, f.items[0].message + 22);
            ck_assert_str_eq(f.items[0].exempt_reason, "vendor image");
            ck_assert(!hp_findings_denied(&f));
        }
        hp_findings_cleanup(&f);
        json_object_put(o);
        hp_policy_cleanup(&p);
    }
}
END_TEST

/* Workload exemptions: (kind, name) of the object, of its controlling
 * owner, and of the Deployment or CronJob a generated owner name stands for. */
#define ALL_CHECKS 0u
#define RORF (1u << HP_CHECK_READ_ONLY_ROOT_FILESYSTEM)
#define OWNER(kind, name, controller)                                                              \
    "metadata.ownerReferences=[{\"apiVersion\":\"apps/v1\",\"kind\":\"" kind "\",\"name\":\"" name \
    "\",\"uid\":\"u\"" controller "}]"
#define CTRL ",\"controller\":true"

static const struct wl_case {
    const char *name;
    const char *kind;       /* the object's kind (a Pod wrapped when not Pod) */
    const char *patch[3];   /* applied to the Pod's metadata before wrapping */
    const char *ns;         /* in.ns; NULL: metadata.namespace ("shop") */
    const char *kinds[3];   /* the exemption's */
    const char *names[2];   /* the exemption's */
    const char *namespace_; /* the exemption's one namespace glob */
    uint32_t checks;        /* ALL_CHECKS: absent in the config */
    int64_t expires;
    int exempt; /* how many of the two findings are exempt */
} wl_cases[] = {
    {"Pod by its own name",
     "Pod",
     {"metadata.name=\"legacy-pod\""},
     NULL,
     {"Pod"},
     {"legacy-*"},
     "shop",
     ALL_CHECKS,
     0,
     2},
    {"Pod by its own name, another kind listed",
     "Pod",
     {"metadata.name=\"legacy-pod\""},
     NULL,
     {"Deployment"},
     {"legacy-*"},
     "shop",
     ALL_CHECKS,
     0,
     0},
    {"Pod of a ReplicaSet: the Deployment by the hash",
     "Pod",
     {"metadata.name=\"legacy-7d4b9c8f5-x2x9z\"", OWNER("ReplicaSet", "legacy-7d4b9c8f5", CTRL)},
     NULL,
     {"Deployment"},
     {"legacy"},
     "shop",
     ALL_CHECKS,
     0,
     2},
    {"Pod of a ReplicaSet: the ReplicaSet itself",
     "Pod",
     {OWNER("ReplicaSet", "legacy-7d4b9c8f5", CTRL)},
     NULL,
     {"ReplicaSet"},
     {"legacy-*"},
     "shop",
     ALL_CHECKS,
     0,
     2},
    {"a hash of one character",
     "Pod",
     {OWNER("ReplicaSet", "legacy-b", CTRL)},
     NULL,
     {"Deployment"},
     {"legacy"},
     "shop",
     ALL_CHECKS,
     0,
     2},
    {"a dash that is not a hash",
     "Pod",
     {OWNER("ReplicaSet", "legacy-api", CTRL)},
     NULL,
     {"Deployment"},
     {"legacy"},
     "shop",
     ALL_CHECKS,
     0,
     0},
    {"a dashed Deployment name with its hash",
     "Pod",
     {OWNER("ReplicaSet", "web-api-5c6d7f8b9", CTRL)},
     NULL,
     {"Deployment"},
     {"web"},
     "shop",
     ALL_CHECKS,
     0,
     0},
    {"a dashed Deployment name, named whole",
     "Pod",
     {OWNER("ReplicaSet", "web-api-5c6d7f8b9", CTRL)},
     NULL,
     {"Deployment"},
     {"web-api"},
     "shop",
     ALL_CHECKS,
     0,
     2},
    {"a suffix longer than a hash",
     "Pod",
     {OWNER("ReplicaSet", "legacy-7d4b9c8f5bb", CTRL)},
     NULL,
     {"Deployment"},
     {"legacy"},
     "shop",
     ALL_CHECKS,
     0,
     0},
    {"a suffix with a vowel",
     "Pod",
     {OWNER("ReplicaSet", "legacy-7d4b9a8f5", CTRL)},
     NULL,
     {"Deployment"},
     {"legacy"},
     "shop",
     ALL_CHECKS,
     0,
     0},
    {"a ReplicaSet named only by a hash",
     "Pod",
     {OWNER("ReplicaSet", "-7d4b9c8f5", CTRL)},
     NULL,
     {"Deployment"},
     {"*"},
     "shop",
     ALL_CHECKS,
     0,
     0},
    {"a StatefulSet's hash-like suffix stands for no Deployment",
     "Pod",
     {OWNER("StatefulSet", "legacy-7d4b9c8f5", CTRL)},
     NULL,
     {"Deployment"},
     {"legacy"},
     "shop",
     ALL_CHECKS,
     0,
     0},
    {"Pod of a Job of a CronJob",
     "Pod",
     {OWNER("Job", "backup-28930212", CTRL)},
     NULL,
     {"CronJob"},
     {"backup"},
     "shop",
     ALL_CHECKS,
     0,
     2},
    {"Pod of a Job not named by a CronJob",
     "Pod",
     {OWNER("Job", "backup-manual", CTRL)},
     NULL,
     {"CronJob"},
     {"backup"},
     "shop",
     ALL_CHECKS,
     0,
     0},
    {"Job of a CronJob",
     "Job",
     {"metadata.name=\"backup-28930212\"", OWNER("CronJob", "backup", CTRL)},
     NULL,
     {"CronJob"},
     {"backup"},
     "shop",
     ALL_CHECKS,
     0,
     2},
    {"a Job's digits stand for no Deployment",
     "Pod",
     {OWNER("Job", "backup-28930212", CTRL)},
     NULL,
     {"Deployment"},
     {"backup"},
     "shop",
     ALL_CHECKS,
     0,
     0},
    {"a Deployment by its own name",
     "Deployment",
     {"metadata.name=\"legacy\""},
     NULL,
     {"Deployment", "CronJob"},
     {"other", "legacy"},
     "shop",
     ALL_CHECKS,
     0,
     2},
    {"a Deployment under an exemption for Pods",
     "Deployment",
     {"metadata.name=\"legacy\""},
     NULL,
     {"Pod"},
     {"legacy"},
     "shop",
     ALL_CHECKS,
     0,
     0},
    {"a ReplicaSet of the Deployment",
     "ReplicaSet",
     {"metadata.name=\"legacy-7d4b9c8f5\"", OWNER("Deployment", "legacy", CTRL)},
     NULL,
     {"Deployment"},
     {"legacy"},
     "shop",
     ALL_CHECKS,
     0,
     2},
    {"a custom kind by its own name",
     "Rollout",
     {"metadata.name=\"legacy\""},
     NULL,
     {"Rollout"},
     {"legacy"},
     "shop",
     ALL_CHECKS,
     0,
     2},
    {"another namespace",
     "Pod",
     {OWNER("ReplicaSet", "legacy-7d4b9c8f5", CTRL)},
     NULL,
     {"Deployment"},
     {"legacy"},
     "shop-2",
     ALL_CHECKS,
     0,
     0},
    {"a namespace glob",
     "Pod",
     {OWNER("ReplicaSet", "legacy-7d4b9c8f5", CTRL)},
     NULL,
     {"Deployment"},
     {"legacy"},
     "sh*",
     ALL_CHECKS,
     0,
     2},
    {"the request's namespace over the object's",
     "Pod",
     {OWNER("ReplicaSet", "legacy-7d4b9c8f5", CTRL)},
     "ops",
     {"Deployment"},
     {"legacy"},
     "shop",
     ALL_CHECKS,
     0,
     0},
    {"no namespace at all",
     "Pod",
     {"-metadata.namespace", OWNER("ReplicaSet", "legacy-7d4b9c8f5", CTRL)},
     NULL,
     {"Deployment"},
     {"legacy"},
     "*",
     ALL_CHECKS,
     0,
     0},
    {"checks limit it",
     "Pod",
     {OWNER("ReplicaSet", "legacy-7d4b9c8f5", CTRL)},
     NULL,
     {"Deployment"},
     {"legacy"},
     "shop",
     RORF,
     0,
     1},
    {"expired",
     "Pod",
     {OWNER("ReplicaSet", "legacy-7d4b9c8f5", CTRL)},
     NULL,
     {"Deployment"},
     {"legacy"},
     "shop",
     ALL_CHECKS,
     1699999999,
     0},
    {"expires later",
     "Pod",
     {OWNER("ReplicaSet", "legacy-7d4b9c8f5", CTRL)},
     NULL,
     {"Deployment"},
     {"legacy"},
     "shop",
     ALL_CHECKS,
     1700000000,
     2},
    {"an owner reference without controller",
     "Pod",
     {OWNER("ReplicaSet", "legacy-7d4b9c8f5", "")},
     NULL,
     {"Deployment", "ReplicaSet"},
     {"legacy*"},
     "shop",
     ALL_CHECKS,
     0,
     0},
    {"an owner reference with controller false",
     "Pod",
     {OWNER("ReplicaSet", "legacy-7d4b9c8f5", ",\"controller\":false")},
     NULL,
     {"Deployment", "ReplicaSet"},
     {"legacy*"},
     "shop",
     ALL_CHECKS,
     0,
     0},
    {"an owner reference with controller \"true\"",
     "Pod",
     {OWNER("ReplicaSet", "legacy-7d4b9c8f5", ",\"controller\":\"true\"")},
     NULL,
     {"Deployment", "ReplicaSet"},
     {"legacy*"},
     "shop",
     ALL_CHECKS,
     0,
     0},
    {"only the controller among owners",
     "Pod",
     {"metadata.ownerReferences=[{\"kind\":\"ReplicaSet\",\"name\":\"legacy-7d4b9c8f5\"},"
      "{\"kind\":\"ReplicaSet\",\"name\":\"other-7d4b9c8f5\",\"controller\":true}]"},
     NULL,
     {"Deployment"},
     {"legacy"},
     "shop",
     ALL_CHECKS,
     0,
     0},
    {"owner references of the wrong types",
     "Pod",
     {"metadata.ownerReferences=[null,7,{\"kind\":1,\"name\":\"legacy\",\"controller\":true}]"},
     NULL,
     {"Deployment"},
     {"*"},
     "shop",
     ALL_CHECKS,
     0,
     0},
    {"labels and annotations never exempt",
     "Pod",
     {"metadata.labels={\"hardpod.dev/exempt\":\"true\",\"app\":\"legacy\"}",
      "metadata.annotations={\"hardpod.dev/exempt\":\"legacy\",\"hardpod.dev/exemption\":"
      "\"legacy\"}"},
     NULL,
     {"Deployment", "Pod"},
     {"legacy"},
     "shop",
     ALL_CHECKS,
     0,
     0},
};

static char **str_list(const char *const *items, size_t max, size_t *n)
{
    char **out = calloc(max, sizeof(char *));
    *n = 0;
    for (size_t i = 0; i < max && items[i] != NULL; i++) {
        out[(*n)++] = strdup(items[i]);
    }
    return out;
}

START_TEST(test_policy_workload_exemptions)
{
    const struct wl_case *tc = &wl_cases[_i];
    struct hp_policy p;
    hp_policy_init(&p, HP_PROFILE_HARDENED);
    p.exemptions = calloc(1, sizeof(*p.exemptions));
    p.n_exemptions = 1;
    struct hp_exemption *x = &p.exemptions[0];
    x->kind = HP_EXEMPT_WORKLOAD;
    x->kinds = str_list(tc->kinds, 3, &x->n_kinds);
    x->names = str_list(tc->names, 2, &x->n_names);
    const char *const ns[] = {tc->namespace_};
    x->namespaces = str_list(ns, 1, &x->n_namespaces);
    x->checks = tc->checks != ALL_CHECKS ? tc->checks : (1u << HP_CHECK_COUNT) - 1;
    x->reason = strdup("legacy app");
    x->expires = tc->expires;

    struct json_object *o = tu_json(base_pod);
    pp_apply(o, CSC ".readOnlyRootFilesystem=false");
    pp_apply(o, CSC ".allowPrivilegeEscalation=true");
    for (size_t i = 0; i < 3 && tc->patch[i] != NULL; i++) {
        pp_apply(o, tc->patch[i]);
    }
    if (strcmp(tc->kind, "Pod") != 0) {
        struct json_object *w = pp_wrap(o,
                                        strcmp(tc->kind, "Job") == 0       ? "batch/v1"
                                        : strcmp(tc->kind, "Rollout") == 0 ? "argoproj.io/v1alpha1"
                                                                           : "apps/v1",
                                        tc->kind);
        json_object_put(o);
        o = w;
    }
    struct hp_findings f;
    hp_findings_init(&f);
    struct hp_eval_input in = {.object = o, .ns = tc->ns, .now = 1700000000};
    ck_assert_int_eq(hp_policy_eval(&p, &in, &f, NULL), HP_OK);
    ck_assert_msg(f.len == 2, "%s: expected 2 findings, got %zu", tc->name, f.len);
    int exempt = 0;
    for (size_t i = 0; i < f.len; i++) {
        if (f.items[i].exempt) {
            exempt++;
            ck_assert_int_eq(f.items[i].action, HP_ACTION_WARN);
            ck_assert_msg(strncmp(f.items[i].message, "exempt: legacy app: ", 20) == 0,
                          "%s: message: %s", tc->name, f.items[i].message);
            /* checks limit it to readOnlyRootFilesystem */
            ck_assert(tc->checks == ALL_CHECKS ||
                      f.items[i].check == HP_CHECK_READ_ONLY_ROOT_FILESYSTEM);
        }
    }
    ck_assert_msg(exempt == tc->exempt, "%s: expected %d exempt findings, got %d", tc->name,
                  tc->exempt, exempt);
    ck_assert_msg(hp_findings_denied(&f) == (tc->exempt < 2), "%s: denied=%d", tc->name,
                  hp_findings_denied(&f));
    hp_findings_cleanup(&f);
    json_object_put(o);
    hp_policy_cleanup(&p);
}
END_TEST

START_TEST(test_policy_messages_name_container_and_fix)
{
    struct hp_policy p;
    hp_policy_init(&p, HP_PROFILE_HARDENED);
    struct json_object *o = tu_json(base_pod);
    pp_apply(o, "-" CSC ".readOnlyRootFilesystem");
    struct hp_findings f;
    hp_findings_init(&f);
    struct hp_eval_input in = {.object = o};
    ck_assert_int_eq(hp_policy_eval(&p, &in, &f, NULL), HP_OK);
    ck_assert_int_eq((int)f.len, 1);
    ck_assert_str_eq(f.items[0].message,
                     "container \"app\" must set securityContext.readOnlyRootFilesystem=true");
    ck_assert_str_eq(f.items[0].fix, "securityContext: {readOnlyRootFilesystem: true}");
    ck_assert_str_eq(f.items[0].container, "app");
    hp_findings_cleanup(&f);
    json_object_put(o);
    hp_policy_cleanup(&p);
}
END_TEST

/* Many findings spill out of the inline storage without losing any string. */
START_TEST(test_policy_many_findings)
{
    struct hp_policy p;
    hp_policy_init(&p, HP_PROFILE_HARDENED);
    struct json_object *o = pp_pod_with_containers(50, "container-with-a-long-name-", 2);
    struct hp_findings f;
    hp_findings_init(&f);
    struct hp_eval_input in = {.object = o};
    for (int round = 0; round < 2; round++) {
        ck_assert_int_eq(hp_policy_eval(&p, &in, &f, NULL), HP_OK);
        ck_assert_int_eq((int)f.len, 50 * 11);
        ck_assert_str_eq(f.items[0].container, "container-with-a-long-name-00");
        ck_assert_str_eq(f.items[f.len - 1].container, "container-with-a-long-name-49");
    }
    hp_findings_cleanup(&f);
    json_object_put(o);
    hp_policy_cleanup(&p);
}
END_TEST

/* With a byte ceiling, findings past it are counted but not stored: the
 * verdict stays right and the heap stays under the ceiling. */
START_TEST(test_policy_findings_max_bytes)
{
    struct hp_policy p;
    hp_policy_init(&p, HP_PROFILE_HARDENED);
    struct json_object *o = pp_pod_with_containers(500, "c", 3);
    struct hp_eval_input in = {.object = o};
    struct hp_findings all;
    struct hp_findings some;
    hp_findings_init(&all);
    hp_findings_init(&some);

    ck_assert_int_eq(hp_policy_eval(&p, &in, &all, NULL), HP_OK);
    ck_assert_uint_eq(all.n_dropped, 0);
    ck_assert_uint_eq(all.len, 500 * 11);
    size_t ceilings[] = {1, 64 * 1024, hp_findings_bytes(&all) / 2, hp_findings_bytes(&all)};
    for (size_t i = 0; i < sizeof(ceilings) / sizeof(ceilings[0]); i++) {
        hp_findings_set_max_bytes(&some, ceilings[i]);
        for (int round = 0; round < 2; round++) {
            ck_assert_int_eq(hp_policy_eval(&p, &in, &some, NULL), HP_OK);
            ck_assert_msg(hp_findings_bytes(&some) <= ceilings[i],
                          "ceiling %zu: the findings hold %zu bytes", ceilings[i],
                          hp_findings_bytes(&some));
            ck_assert_msg(some.len + some.n_dropped == all.len && some.n_deny == all.n_deny &&
                              some.n_warn == all.n_warn,
                          "ceiling %zu: %zu stored + %zu dropped, %zu deny; expected %zu, %zu deny",
                          ceilings[i], some.len, some.n_dropped, some.n_deny, all.len, all.n_deny);
            ck_assert_msg(i == 3 || some.n_dropped > 0, "ceiling %zu: nothing dropped",
                          ceilings[i]);
            /* What is stored is the start of the full list. */
            for (size_t j = 0; j < some.len; j++) {
                ck_assert_str_eq(some.items[j].message, all.items[j].message);
            }
        }
    }
    hp_findings_cleanup(&all);
    hp_findings_cleanup(&some);
    json_object_put(o);
    hp_policy_cleanup(&p);
}
END_TEST

/* A long non-ASCII container name is cut on a character boundary: every
 * message stays well-formed UTF-8. */
START_TEST(test_policy_messages_stay_utf8)
{
    struct hp_policy p;
    hp_policy_init(&p, HP_PROFILE_HARDENED);
    struct json_object *o = tu_json(base_pod);
    char name[256];
    for (int i = 0; i < 70; i++) {
        memcpy(name + 2 * i, "\xc3\xa9", 2); /* U+00E9, two bytes */
    }
    name[140] = '\0';
    struct json_object *ctr = json_object_array_get_idx(
        json_object_object_get(json_object_object_get(o, "spec"), "containers"), 0);
    json_object_object_add(ctr, "name", json_object_new_string(name));
    pp_apply(o, "-" CSC ".readOnlyRootFilesystem");
    struct hp_findings f;
    hp_findings_init(&f);
    struct hp_eval_input in = {.object = o};
    ck_assert_int_eq(hp_policy_eval(&p, &in, &f, NULL), HP_OK);
    ck_assert_int_eq((int)f.len, 1);
    ck_assert_msg(hp_utf8_valid(f.items[0].message, strlen(f.items[0].message), NULL),
                  "message is not UTF-8: %s", f.items[0].message);
    ck_assert_msg(strstr(f.items[0].message, "\xc3\xa9...\"") != NULL, "message: %s",
                  f.items[0].message);
    hp_findings_cleanup(&f);
    json_object_put(o);
    hp_policy_cleanup(&p);
}
END_TEST

START_TEST(test_policy_names_round_trip)
{
    for (int i = 0; i < HP_CHECK_COUNT; i++) {
        enum hp_check c;
        ck_assert(hp_check_lookup(hp_check_name((enum hp_check)i), &c));
        ck_assert_int_eq(c, i);
    }
    enum hp_check c;
    ck_assert(!hp_check_lookup("readOnlyRootFileSystem", &c));
    enum hp_profile pr;
    ck_assert(hp_profile_lookup("psa-restricted", &pr) && pr == HP_PROFILE_PSA_RESTRICTED);
    ck_assert(!hp_profile_lookup("restricted", &pr));
}
END_TEST

/* Findings come in a fixed order: pod-level ones first, in the registry's
 * pod_order (a volume's hostPath and restricted-type findings together),
 * then each container's, in table order. */
START_TEST(test_policy_findings_order)
{
    static const char pod[] =
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\","
        "\"namespace\":\"shop\",\"annotations\":{"
        "\"container.apparmor.security.beta.kubernetes.io/app\":\"unconfined\"}},\"spec\":{"
        "\"hostNetwork\":true,\"securityContext\":{\"runAsNonRoot\":false,\"runAsUser\":0,"
        "\"runAsGroup\":0,\"sysctls\":[{\"name\":\"kernel.msgmax\"}],\"windowsOptions\":{"
        "\"hostProcess\":true},\"appArmorProfile\":{\"type\":\"Unconfined\"},"
        "\"seccompProfile\":{\"type\":\"Unconfined\"},\"seLinuxOptions\":{\"user\":\"root\"}},"
        "\"volumes\":[{\"name\":\"a\",\"hostPath\":{\"path\":\"/\"}},{\"name\":\"b\","
        "\"hostPath\":{\"path\":\"/etc\"}}],\"containers\":[{\"name\":\"app\","
        "\"image\":\"mcr.microsoft.com/dotnet/aspnet:8.0\",\"securityContext\":{"
        "\"allowPrivilegeEscalation\":true,\"privileged\":true,\"readOnlyRootFilesystem\":true,"
        "\"procMount\":\"Unmasked\",\"seLinuxOptions\":{\"role\":\"r\"},\"appArmorProfile\":{"
        "\"type\":\"Unconfined\"},\"windowsOptions\":{\"hostProcess\":true},"
        "\"seccompProfile\":{\"type\":\"Unconfined\"},\"runAsUser\":0},\"ports\":[{"
        "\"containerPort\":80,\"hostPort\":80}],\"livenessProbe\":{\"httpGet\":{\"host\":\"x\","
        "\"port\":1}},\"env\":[{\"name\":\"ASPNETCORE_HTTP_PORTS\",\"value\":\"81\"}]}]}}";
    static const char *const want[] = {
        "hostNamespaces|spec.hostNetwork",
        "hostPathVolumes|spec.volumes[0].hostPath",
        "restrictedVolumes|spec.volumes[0].hostPath",
        "hostPathVolumes|spec.volumes[1].hostPath",
        "restrictedVolumes|spec.volumes[1].hostPath",
        "sysctls|spec.securityContext.sysctls[0].name",
        "runAsNonRoot|spec.securityContext.runAsNonRoot",
        "runAsUser|spec.securityContext.runAsUser",
        "runAsGroup|spec.securityContext.runAsGroup",
        "windowsHostProcess|spec.securityContext.windowsOptions.hostProcess",
        "appArmorProfile|metadata.annotations[\"container.apparmor.security.beta.kubernetes.io/"
        "app\"]",
        "appArmorProfile|spec.securityContext.appArmorProfile.type",
        "seccompProfile|spec.securityContext.seccompProfile.type",
        "seLinuxOptions|spec.securityContext.seLinuxOptions.user",
        "automountServiceAccountToken|spec.automountServiceAccountToken",
        "runAsUser|spec.containers[0].securityContext.runAsUser",
        "allowPrivilegeEscalation|spec.containers[0].securityContext.allowPrivilegeEscalation",
        "privileged|spec.containers[0].securityContext.privileged",
        "capabilities|spec.containers[0].securityContext.capabilities.drop",
        "resources|spec.containers[0].resources.requests.cpu",
        "resources|spec.containers[0].resources.requests.memory",
        "resources|spec.containers[0].resources.limits.cpu",
        "resources|spec.containers[0].resources.limits.memory",
        "hostPorts|spec.containers[0].ports[0].hostPort",
        "procMount|spec.containers[0].securityContext.procMount",
        "seLinuxOptions|spec.containers[0].securityContext.seLinuxOptions.role",
        "appArmorProfile|spec.containers[0].securityContext.appArmorProfile.type",
        "windowsHostProcess|spec.containers[0].securityContext.windowsOptions.hostProcess",
        "hostProbesAndHostLifecycle|spec.containers[0].livenessProbe.httpGet.host",
        "seccompProfile|spec.containers[0].securityContext.seccompProfile.type",
        "privilegedPorts|spec.containers[0].ports[0].containerPort",
        "privilegedPorts|spec.containers[0].env[0].value",
        "dotnetDiagnostics|spec.containers[0].env",
    };
    struct hp_policy p;
    hp_policy_init(&p, HP_PROFILE_HARDENED);
    p.checks[HP_CHECK_AUTOMOUNT_SERVICE_ACCOUNT_TOKEN].action = HP_ACTION_DENY;
    struct json_object *o = tu_json(pod);
    struct hp_findings f;
    hp_findings_init(&f);
    struct hp_eval_input in = {.object = o};
    ck_assert_int_eq(hp_policy_eval(&p, &in, &f, NULL), HP_OK);
    size_t n = sizeof(want) / sizeof(want[0]);
    for (size_t i = 0; i < f.len && i < n; i++) {
        char got[512];
        snprintf(got, sizeof(got), "%s|%s", hp_check_name(f.items[i].check), f.items[i].path);
        ck_assert_msg(strcmp(got, want[i]) == 0, "finding %zu: expected %s, got %s", i, want[i],
                      got);
    }
    ck_assert_uint_eq(f.len, n);
    hp_findings_cleanup(&f);
    json_object_put(o);
    hp_policy_cleanup(&p);
}
END_TEST

/* The registry's rows are complete and consistent: every check has its name
 * (found by lookup), its SARIF text, a pod or container part; pod parts that
 * share a pod_order share their function, and rows that share a container
 * part are adjacent. */
/* Quantities as resource.ParseQuantity reads them: what it accepts, what it
 * refuses, and the sign of what it accepts. */
START_TEST(test_policy_quantities)
{
    static const struct {
        const char *text;
        enum pol_quantity want;
    } table[] = {
        /* valid, positive */
        {"1", POL_QTY_POSITIVE},
        {"100m", POL_QTY_POSITIVE},
        {"0.5", POL_QTY_POSITIVE},
        {".5", POL_QTY_POSITIVE},
        {"5.", POL_QTY_POSITIVE},
        {"1.G", POL_QTY_POSITIVE},
        {"+1", POL_QTY_POSITIVE},
        {"1n", POL_QTY_POSITIVE},
        {"1u", POL_QTY_POSITIVE},
        {"1k", POL_QTY_POSITIVE},
        {"1M", POL_QTY_POSITIVE},
        {"1G", POL_QTY_POSITIVE},
        {"1T", POL_QTY_POSITIVE},
        {"1P", POL_QTY_POSITIVE},
        {"1E", POL_QTY_POSITIVE},
        {"128Ki", POL_QTY_POSITIVE},
        {"128Mi", POL_QTY_POSITIVE},
        {"1Gi", POL_QTY_POSITIVE},
        {"1Ti", POL_QTY_POSITIVE},
        {"1Pi", POL_QTY_POSITIVE},
        {"1Ei", POL_QTY_POSITIVE},
        {"1.5Gi", POL_QTY_POSITIVE},
        {"1e3", POL_QTY_POSITIVE},
        {"1E3", POL_QTY_POSITIVE},
        {"1e+3", POL_QTY_POSITIVE},
        {"1e-3", POL_QTY_POSITIVE},
        {"1e-20", POL_QTY_POSITIVE}, /* rounded up to 1n, never to zero */
        {"0.0000000001", POL_QTY_POSITIVE},
        {"12345678901234567890123", POL_QTY_POSITIVE},
        {"007", POL_QTY_POSITIVE},
        /* zero: unset for the kubelet */
        {"0", POL_QTY_ZERO},
        {"0m", POL_QTY_ZERO},
        {"0Mi", POL_QTY_ZERO},
        {"-0", POL_QTY_ZERO},
        {"+0.000", POL_QTY_ZERO},
        {"0e5", POL_QTY_ZERO},
        {"000", POL_QTY_ZERO},
        {"-", POL_QTY_ZERO},  /* the API server reads a lone sign as 0 */
        {".", POL_QTY_ZERO},  /* and a lone point */
        {"Mi", POL_QTY_ZERO}, /* and a suffix without a number, up to Ti */
        {"m", POL_QTY_ZERO},
        {"e-9", POL_QTY_ZERO},
        /* negative */
        {"-1", POL_QTY_NEGATIVE},
        {"-100m", POL_QTY_NEGATIVE},
        {"-.5Gi", POL_QTY_NEGATIVE},
        {"-1e-3", POL_QTY_NEGATIVE},
        /* refused */
        {"", POL_QTY_BAD},
        {" 1", POL_QTY_BAD}, /* ParseQuantity itself does not trim */
        {"1 ", POL_QTY_BAD},
        {"1K", POL_QTY_BAD},
        {"1KB", POL_QTY_BAD},
        {"128MB", POL_QTY_BAD},
        {"1mi", POL_QTY_BAD},
        {"1e", POL_QTY_BAD},
        {"1e+", POL_QTY_BAD},
        {"1e1.5", POL_QTY_BAD},
        {"1e99999999999999999999", POL_QTY_BAD}, /* exponent beyond int64 */
        {"1m5", POL_QTY_BAD},
        {"1Mi3", POL_QTY_BAD},
        {"1..5", POL_QTY_BAD},
        {"1.5.5", POL_QTY_BAD},
        {"--1", POL_QTY_BAD},
        {"+-1", POL_QTY_BAD},
        {"0x10", POL_QTY_BAD},
        {"1,5", POL_QTY_BAD},
        {"abc", POL_QTY_BAD},
        {"1 core", POL_QTY_BAD},
        {"Pi", POL_QTY_BAD}, /* no number: the API server's decimal path refuses it */
        {"-Ei", POL_QTY_BAD},
        {"e-10", POL_QTY_BAD},
        {"Infinity", POL_QTY_BAD},
        {"NaN", POL_QTY_BAD},
    };
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        enum pol_quantity got = pol_quantity_parse(table[i].text, strlen(table[i].text));
        ck_assert_msg(got == table[i].want, "\"%s\": expected %d, got %d", table[i].text,
                      table[i].want, got);
    }
    ck_assert_int_eq(pol_quantity_parse("1\0", 2), POL_QTY_BAD);
}
END_TEST

/* JSON values as the API server decodes a Quantity: strings are trimmed,
 * numbers are read from their text, other types are refused. */
START_TEST(test_policy_quantity_json)
{
    static const struct {
        const char *json;
        enum pol_quantity want;
    } table[] = {
        {"[null]", POL_QTY_UNSET},
        {"[\" 100m \"]", POL_QTY_POSITIVE},
        {"[\"\\t1Gi\\n\"]", POL_QTY_POSITIVE},
        {"[\"\\u00a01\\u3000\"]", POL_QTY_POSITIVE},
        {"[\"  \"]", POL_QTY_BAD},
        {"[\"\"]", POL_QTY_BAD},
        {"[\"1\\u0000\"]", POL_QTY_BAD},
        {"[1]", POL_QTY_POSITIVE},
        {"[0.25]", POL_QTY_POSITIVE},
        {"[1e-400]", POL_QTY_POSITIVE}, /* the text, not the double that underflows */
        {"[1E+3]", POL_QTY_POSITIVE},
        {"[18446744073709551616]", POL_QTY_POSITIVE},
        {"[0]", POL_QTY_ZERO},
        {"[-0.0]", POL_QTY_ZERO},
        {"[-2]", POL_QTY_NEGATIVE},
        {"[-0.5]", POL_QTY_NEGATIVE},
        {"[true]", POL_QTY_BAD},
        {"[{}]", POL_QTY_BAD},
        {"[[]]", POL_QTY_BAD},
    };
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        struct json_object *arr = tu_json(table[i].json);
        enum pol_quantity got = pol_quantity_of(json_object_array_get_idx(arr, 0));
        ck_assert_msg(got == table[i].want, "%s: expected %d, got %d", table[i].json, table[i].want,
                      got);
        json_object_put(arr);
    }
    ck_assert_int_eq(pol_quantity_of(NULL), POL_QTY_UNSET);
}
END_TEST

/* The message of a resources finding names the field and the value. */
START_TEST(test_policy_resource_messages)
{
    static const struct {
        const char *patch;
        const char *want[2];
    } table[] = {
        {C0 ".resources.limits.memory=\"128MB\"",
         {"resources.limits.memory is not a quantity: \"128MB\"", "128Mi"}},
        {C0 ".resources.limits.cpu=\"0\"",
         {"resources.limits.cpu to a positive quantity, not \"0\"", "no limit"}},
        {C0 ".resources.requests.memory=-1",
         {"resources.requests.memory to a positive quantity, not -1", "negative"}},
        {C0 ".resources.limits.cpu=false",
         {"resources.limits.cpu is not a quantity: boolean false", NULL}},
    };
    struct hp_policy p;
    hp_policy_init(&p, HP_PROFILE_HARDENED);
    struct hp_findings f;
    hp_findings_init(&f);
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        struct json_object *o = tu_json(base_pod);
        pp_apply(o, table[i].patch);
        struct hp_eval_input in = {.object = o};
        ck_assert_int_eq(hp_policy_eval(&p, &in, &f, NULL), HP_OK);
        ck_assert_msg(f.len == 1, "%s: expected one finding, got %zu", table[i].patch, f.len);
        for (size_t k = 0; k < 2 && table[i].want[k] != NULL; k++) {
            ck_assert_msg(strstr(f.items[0].detail, table[i].want[k]) != NULL,
                          "%s: message \"%s\" lacks \"%s\"", table[i].patch, f.items[0].detail,
                          table[i].want[k]);
        }
        ck_assert_str_eq(f.items[0].container, "app");
        json_object_put(o);
    }
    hp_findings_cleanup(&f);
    hp_policy_cleanup(&p);
}
END_TEST

#define EPH_OBJ(ctrs)                                                                              \
    "{\"apiVersion\":\"v1\",\"kind\":\"EphemeralContainers\",\"metadata\":{\"name\":\"web\","      \
    "\"namespace\":\"shop\"},\"ephemeralContainers\":" ctrs "}"

/* The EphemeralContainers object (pods/ephemeralcontainers, Kubernetes 1.16
 * to 1.21): its containers are judged as ephemeral containers of an unknown
 * pod, so what they would inherit must be set on them, and pod-level checks
 * do not run (fields beside the list are not the pod's). */
START_TEST(test_policy_ephemeral_containers_object)
{
#define ESC "ephemeralContainers[0].securityContext"
    static const struct {
        const char *obj;
        enum hp_profile profile;
        const char *want; /* rendered findings */
    } table[] = {
        {EPH_OBJ("[{\"name\":\"debug\",\"image\":\"busybox\"}]"), HP_PROFILE_HARDENED,
         "allowPrivilegeEscalation|deny|debug|" ESC ".allowPrivilegeEscalation\n"
         "capabilities|deny|debug|" ESC ".capabilities.drop\n"
         "readOnlyRootFilesystem|deny|debug|" ESC ".readOnlyRootFilesystem\n"
         "runAsGroup|deny|debug|" ESC ".runAsGroup\n"
         "runAsNonRoot|deny|debug|" ESC ".runAsNonRoot\n"
         "runAsUser|deny|debug|" ESC ".runAsUser\n"
         "seccompProfile|warn|debug|" ESC ".seccompProfile.type"},
        {EPH_OBJ("[{\"name\":\"debug\",\"securityContext\":{\"privileged\":true}}]"),
         HP_PROFILE_PSA_BASELINE, "privileged|deny|debug|" ESC ".privileged"},
        {EPH_OBJ("[{\"name\":\"debug\"}]"), HP_PROFILE_PSA_BASELINE, ""},
        /* A whole hardened context passes; top-level pod fields are not read. */
        {"{\"apiVersion\":\"v1\",\"kind\":\"EphemeralContainers\",\"hostPID\":true,"
         "\"securityContext\":{\"runAsUser\":0},\"volumes\":[{\"name\":\"h\",\"hostPath\":{}}],"
         "\"ephemeralContainers\":[{\"name\":\"debug\",\"securityContext\":{"
         "\"allowPrivilegeEscalation\":false,\"readOnlyRootFilesystem\":true,\"runAsNonRoot\":true,"
         "\"runAsUser\":10001,\"runAsGroup\":10001,\"capabilities\":{\"drop\":[\"ALL\"]},"
         "\"seccompProfile\":{\"type\":\"RuntimeDefault\"}},\"resources\":{}}]}",
         HP_PROFILE_HARDENED, ""},
        {EPH_OBJ("[]"), HP_PROFILE_HARDENED, ""},
    };
#undef ESC
    struct hp_findings f;
    hp_findings_init(&f);
    char got[4096];
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        struct hp_policy p;
        hp_policy_init(&p, table[i].profile);
        struct json_object *o = tu_json(table[i].obj);
        struct hp_error err;
        struct hp_eval_input in = {.object = o};
        ck_assert_msg(hp_policy_eval(&p, &in, &f, &err) == HP_OK, "%zu: %s", i, err.msg);
        ck_assert(f.has_podspec);
        pp_render(&f, got, sizeof(got));
        ck_assert_msg(strcmp(got, table[i].want) == 0, "%zu:\n--- expected\n%s\n--- got\n%s", i,
                      table[i].want, got);
        json_object_put(o);
        hp_policy_cleanup(&p);
    }
    /* A list of the wrong type cannot be evaluated. */
    struct hp_policy p;
    hp_policy_init(&p, HP_PROFILE_HARDENED);
    struct json_object *o = tu_json(EPH_OBJ("{}"));
    struct hp_error err;
    struct hp_eval_input in = {.object = o};
    ck_assert_int_eq(hp_policy_eval(&p, &in, &f, &err), HP_ERR_INVALID);
    ck_assert_msg(strstr(err.msg, "ephemeralContainers: expected array") == err.msg, "%s", err.msg);
    json_object_put(o);
    hp_policy_cleanup(&p);
    hp_findings_cleanup(&f);
}
END_TEST

/* The object a fixture holds: an AdmissionReview's request.object, a test
 * case's "object", or the document itself. */
static struct json_object *fixture_object(struct json_object *doc)
{
    struct json_object *req = NULL;
    struct json_object *obj = NULL;
    if (json_object_object_get_ex(doc, "request", &req) &&
        json_object_object_get_ex(req, "object", &obj)) {
        return obj;
    }
    if (json_object_object_get_ex(doc, "object", &obj)) {
        return obj;
    }
    return doc;
}

struct coverage {
    struct hp_policy hardened, baseline;
    struct hp_findings hf, bf;
    size_t objects, baseline_denials;
};

/* Every deny finding of psa-baseline on obj is a hardened deny finding of
 * the same check at the same path. */
static void cover_object(struct coverage *c, struct json_object *obj, const char *where)
{
    struct hp_eval_input in = {.object = obj, .now = 1700000000};
    if (hp_policy_eval(&c->baseline, &in, &c->bf, NULL) != HP_OK || !c->bf.has_podspec ||
        hp_policy_eval(&c->hardened, &in, &c->hf, NULL) != HP_OK) {
        return;
    }
    c->objects++;
    c->baseline_denials += hp_findings_denied(&c->bf);
    char buf[8192];
    const struct hp_finding *m = pp_missing_deny(&c->bf, &c->hf, false, -1);
    ck_assert_msg(m == NULL, "%s: psa-baseline denies %s at %s, hardened does not:\n%s", where,
                  m ? hp_check_name(m->check) : "", m ? m->path : "",
                  pp_render(&c->hf, buf, sizeof(buf)));
}

static void cover_dir(struct coverage *c, const char *dir, int depth)
{
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "cannot open %s", dir);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.') {
            continue;
        }
        char path[PATH_MAX + 256];
        int n = snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        ck_assert_msg(n > 0 && (size_t)n < sizeof(path), "path too long under %s", dir);
        struct stat st;
        if (stat(path, &st) != 0) {
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            ck_assert(depth < 8);
            cover_dir(c, path, depth + 1);
            continue;
        }
        const char *dot = strrchr(de->d_name, '.');
        if (dot == NULL ||
            (strcmp(dot, ".json") != 0 && strcmp(dot, ".yaml") != 0 && strcmp(dot, ".yml") != 0)) {
            continue;
        }
        size_t len;
        char *data = tu_read_file(path, &len);
        struct hp_manifest m;
        if (hp_manifest_parse(data, len, NULL, &m, NULL) == HP_OK) {
            for (size_t k = 0; k < m.len; k++) {
                if (m.docs[k].obj != NULL) {
                    cover_object(c, fixture_object(m.docs[k].obj), path);
                }
            }
            hp_manifest_cleanup(&m);
        }
        free(data);
    }
    closedir(d);
}

/* hardened is never weaker than psa-baseline, over every object in the
 * project's fixtures (bypasses, AdmissionReviews, manifests, oracle cases),
 * each also as every base_pod case that psa-baseline denies. */
START_TEST(test_policy_hardened_covers_baseline)
{
    static struct coverage c;
    hp_policy_init(&c.hardened, HP_PROFILE_HARDENED);
    hp_policy_init(&c.baseline, HP_PROFILE_PSA_BASELINE);
    hp_findings_init(&c.hf);
    hp_findings_init(&c.bf);
    cover_dir(&c, tu_fixtures_dir(), 0);
    size_t from_files = c.objects;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct json_object *o = tu_json(base_pod);
        for (size_t k = 0; k < 8 && cases[i].patch[k] != NULL; k++) {
            pp_apply(o, cases[i].patch[k]);
        }
        cover_object(&c, o, cases[i].name);
        json_object_put(o);
    }
    ck_assert_msg(from_files > 50 && c.baseline_denials > 50,
                  "only %zu fixture objects, %zu baseline denials", from_files, c.baseline_denials);
    printf("hardened covers psa-baseline on %zu objects (%zu from fixtures, %zu denied)\n",
           c.objects, from_files, c.baseline_denials);
    hp_findings_cleanup(&c.hf);
    hp_findings_cleanup(&c.bf);
    hp_policy_cleanup(&c.hardened);
    hp_policy_cleanup(&c.baseline);
}
END_TEST

START_TEST(test_policy_registry_rows)
{
    for (int c = 0; c < HP_CHECK_COUNT; c++) {
        const struct pol_check *k = &pol_checks[c];
        const struct hp_check_info *info = hp_check_info_get((enum hp_check)c);
        ck_assert_ptr_eq(info, &k->info);
        enum hp_check found;
        ck_assert_msg(info->name != NULL && hp_check_lookup(info->name, &found) && (int)found == c,
                      "row %d: name missing or not found", c);
        ck_assert_msg(info->title != NULL && info->title[0] != '\0' && info->description != NULL &&
                          info->description[0] != '\0' && info->help != NULL &&
                          info->help[0] != '\0',
                      "%s: title, description and help are required", info->name);
        ck_assert_msg(k->pod != NULL || k->ctr != NULL, "%s: neither a pod nor a container part",
                      info->name);
        ck_assert_msg((k->pod_sc_field == NULL) == (k->pod_sc_fix == NULL),
                      "%s: pod_sc_field and pod_sc_fix go together", info->name);
        ck_assert_msg(k->pod == NULL || k->pod_order < HP_CHECK_COUNT, "%s: pod_order %u too big",
                      info->name, k->pod_order);
        for (int d = 0; d < c; d++) {
            const struct pol_check *j = &pol_checks[d];
            if (k->pod != NULL && j->pod != NULL) {
                ck_assert_msg((k->pod_order == j->pod_order) == (k->pod == j->pod),
                              "%s and %s: one pod_order per pod function", info->name,
                              j->info.name);
            }
            if (k->ctr != NULL && k->ctr == j->ctr) {
                for (int m = d + 1; m < c; m++) {
                    ck_assert_msg(pol_checks[m].ctr == k->ctr,
                                  "%s and %s share a container part but are not adjacent",
                                  info->name, j->info.name);
                }
            }
        }
    }
    ck_assert_ptr_null(hp_check_info_get(HP_CHECK_COUNT));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("policy");
    TCase *tc = tcase_create("policy");
    int n = (int)(sizeof(cases) / sizeof(cases[0]));
    tcase_add_loop_test(tc, test_policy_pod_cases, 0, n);
    tcase_add_loop_test(tc, test_policy_workload_cases, 0, n);
    tcase_add_loop_test(tc, test_policy_custom_kind_cases, 0, n);
    tcase_add_test(tc, test_policy_custom_kind_fixtures);
    tcase_add_test(tc, test_policy_custom_kinds_without_pod_spec);
    tcase_add_test(tc, test_policy_custom_kind_errors);
    tcase_add_test(tc, test_policy_user_kinds);
    tcase_add_test(tc, test_policy_other_kinds_have_no_pod_spec);
    tcase_add_test(tc, test_policy_unknown_version_is_evaluated);
    tcase_add_test(tc, test_policy_structural_errors);
    tcase_add_test(tc, test_policy_exemptions);
    tcase_add_loop_test(tc, test_policy_workload_exemptions, 0,
                        (int)(sizeof(wl_cases) / sizeof(wl_cases[0])));
    tcase_add_test(tc, test_policy_messages_name_container_and_fix);
    tcase_add_test(tc, test_policy_many_findings);
    tcase_add_test(tc, test_policy_findings_max_bytes);
    tcase_add_test(tc, test_policy_messages_stay_utf8);
    tcase_add_test(tc, test_policy_names_round_trip);
    tcase_add_test(tc, test_policy_findings_order);
    tcase_add_test(tc, test_policy_registry_rows);
    tcase_add_test(tc, test_policy_quantities);
    tcase_add_test(tc, test_policy_quantity_json);
    tcase_add_test(tc, test_policy_resource_messages);
    tcase_add_test(tc, test_policy_ephemeral_containers_object);
    tcase_add_test(tc, test_policy_hardened_covers_baseline);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
