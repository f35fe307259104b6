/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The read set (see hardpod/readset.h): every field the engine and the
 * AdmissionReview decoder read, in one table. The fields come from
 * eval.c (ctr_slots, pod_slots), effective.c (the securityContext slots) and
 * the checks that look inside them; keep them in step.
 */
#include "hardpod/readset.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define OBJ(m)                                                                                     \
    {                                                                                              \
        .kind = HP_READ_OBJECT, .members = (m), .n_members = N(m)                                  \
    }

static const struct hp_read_node keep = {.kind = HP_READ_KEEP};

/* ---- containers ----------------------------------------------------------- */

/* Every securityContext field hp_k8s_sc_scan reads, pod and container alike;
 * their values are small and read whole. */
static const struct hp_read_member security_context_m[] = {
    {"fsGroup", &keep, 0},
    {"sysctls", &keep, 0},
    {"procMount", &keep, 0},
    {"runAsUser", &keep, 0},
    {"privileged", &keep, 0},
    {"runAsGroup", &keep, 0},
    {"capabilities", &keep, 0},
    {"runAsNonRoot", &keep, 0},
    {"seLinuxOptions", &keep, 0},
    {"seccompProfile", &keep, 0},
    {"windowsOptions", &keep, 0},
    {"appArmorProfile", &keep, 0},
    {"supplementalGroups", &keep, 0},
    {"readOnlyRootFilesystem", &keep, 0},
    {"allowPrivilegeEscalation", &keep, 0},
};
static const struct hp_read_node security_context = OBJ(security_context_m);

/* hostProbesAndHostLifecycle: {httpGet,tcpSocket}.host of probes and hooks. */
static const struct hp_read_member host_m[] = {{"host", &keep, 0}};
static const struct hp_read_node with_host = OBJ(host_m);
static const struct hp_read_member handler_m[] = {
    {"httpGet", &with_host, 0},
    {"tcpSocket", &with_host, 0},
};
static const struct hp_read_node handler = OBJ(handler_m);
static const struct hp_read_member lifecycle_m[] = {
    {"preStop", &handler, 0},
    {"postStart", &handler, 0},
};
static const struct hp_read_node lifecycle = OBJ(lifecycle_m);

/* privilegedPorts and hostPorts. */
static const struct hp_read_member port_m[] = {
    {"hostPort", &keep, 0},
    {"containerPort", &keep, 0},
};
static const struct hp_read_node port = OBJ(port_m);
static const struct hp_read_node ports = {.kind = HP_READ_ARRAY, .elem = &port};

/* dotnetDiagnostics: whether /tmp is mounted writable. */
static const struct hp_read_member mount_m[] = {
    {"readOnly", &keep, 0},
    {"mountPath", &keep, 0},
};
static const struct hp_read_node mount = OBJ(mount_m);
static const struct hp_read_node mounts = {.kind = HP_READ_ARRAY, .elem = &mount};

/* resources: requests and limits of cpu and memory. */
static const struct hp_read_member quantities_m[] = {
    {"cpu", &keep, 0},
    {"memory", &keep, 0},
};
static const struct hp_read_node quantities = OBJ(quantities_m);
static const struct hp_read_member resources_m[] = {
    {"limits", &quantities, 0},
    {"requests", &quantities, 0},
};
static const struct hp_read_node resources = OBJ(resources_m);

/* dotnetDiagnostics and privilegedPorts read the variables of .NET and
 * Kestrel (DOTNET_EnableDiagnostics, COMPlus_EnableDiagnostics, ASPNETCORE_*);
 * a variable whose name starts otherwise is never looked at. */
static const char *const env_names[] = {"DOTNET_", "ASPNETCORE_", "COMPlus_EnableDiagnostics"};
static const struct hp_read_node env = {
    .kind = HP_READ_ENV, .names = env_names, .n_names = N(env_names)};

static const struct hp_read_member container_m[] = {
    {"env", &env, 0},
    {"name", &keep, 0},
    {"image", &keep, 0},
    {"ports", &ports, 0},
    {"lifecycle", &lifecycle, 0},
    {"resources", &resources, 0},
    {"startupProbe", &handler, 0},
    {"volumeMounts", &mounts, 0},
    {"livenessProbe", &handler, 0},
    {"readinessProbe", &handler, 0},
    {"securityContext", &security_context, 0},
};
static const struct hp_read_node container = OBJ(container_m);
static const struct hp_read_node containers = {.kind = HP_READ_ARRAY, .elem = &container};

/* ---- the pod spec and the workloads around it --------------------------------- */

/* hostPathVolumes and restrictedVolumes read each volume's name and which
 * source keys it has (a null one counts as absent). */
static const struct hp_read_node volume = {.kind = HP_READ_SHAPE};
static const struct hp_read_node volumes = {.kind = HP_READ_ARRAY, .elem = &volume};

#define POD_SPEC_MEMBERS                                                                           \
    {"os", &keep, 0}, {"hostIPC", &keep, 0}, {"hostPID", &keep, 0}, {"volumes", &volumes, 0},      \
        {"hostUsers", &keep, 0}, {"containers", &containers, 0}, {"hostNetwork", &keep, 0},        \
        {"initContainers", &containers, 0}, {"securityContext", &security_context, 0},             \
        {"ephemeralContainers", &containers, 0},                                                   \
    {                                                                                              \
        "automountServiceAccountToken", &keep, 0                                                   \
    }

static const struct hp_read_member pod_spec_m[] = {POD_SPEC_MEMBERS};
static const struct hp_read_node pod_spec = OBJ(pod_spec_m);

/* appArmorProfile reads the pod-level AppArmor annotations. */
static const char *const apparmor_prefix[] = {"container.apparmor.security.beta.kubernetes.io/"};
static const struct hp_read_node annotations = {
    .kind = HP_READ_PREFIXED, .names = apparmor_prefix, .n_names = 1};
static const struct hp_read_member template_metadata_m[] = {{"annotations", &annotations, 0}};
static const struct hp_read_node template_metadata = OBJ(template_metadata_m);

static const struct hp_read_member template_m[] = {
    {"spec", &pod_spec, HP_MARK_TEMPLATE_SPEC},
    {"metadata", &template_metadata, 0},
};
static const struct hp_read_node template_ = OBJ(template_m);

static const struct hp_read_member cron_template_m[] = {
    {"spec", &pod_spec, HP_MARK_CRON_SPEC},
    {"metadata", &template_metadata, 0},
};
static const struct hp_read_node cron_template = OBJ(cron_template_m);
static const struct hp_read_member job_spec_m[] = {{"template", &cron_template, 0}};
static const struct hp_read_node job_spec = OBJ(job_spec_m);
static const struct hp_read_member job_template_m[] = {{"spec", &job_spec, 0}};
static const struct hp_read_node job_template = OBJ(job_template_m);

/* The pod templates of the built-in custom kinds (src/k8s/custom.c) that sit
 * elsewhere than spec.template. Unmarked: their byte ranges must never stand
 * in for a workload's spec.template.spec when an UPDATE is compared (the
 * custom kinds compare their parsed pod specs instead). */
static const struct hp_read_member custom_template_m[] = {
    {"spec", &pod_spec, 0},
    {"metadata", &template_metadata, 0},
};
static const struct hp_read_node custom_template = OBJ(custom_template_m);
static const struct hp_read_member with_template_m[] = {{"template", &custom_template, 0}};
static const struct hp_read_node with_template = OBJ(with_template_m);
/* Argo Rollouts: spec.metrics[*].provider.job.spec.template (AnalysisTemplate,
 * ClusterAnalysisTemplate, AnalysisRun). */
static const struct hp_read_member job_metric_m[] = {{"spec", &with_template, 0}};
static const struct hp_read_node job_metric = OBJ(job_metric_m);
static const struct hp_read_member provider_m[] = {{"job", &job_metric, 0}};
static const struct hp_read_node provider = OBJ(provider_m);
static const struct hp_read_member metric_m[] = {{"provider", &provider, 0}};
static const struct hp_read_node metric = OBJ(metric_m);
static const struct hp_read_node metrics = {.kind = HP_READ_ARRAY, .elem = &metric};
/* Argo Rollouts: spec.templates[*].template (Experiment). */
static const struct hp_read_node templates = {.kind = HP_READ_ARRAY, .elem = &with_template};

/* object.spec is a Pod's spec, a workload's or a built-in custom kind's: the
 * union of them all. A Rollout's spec.template and a Knative Service's are a
 * workload's; a Knative Revision's spec is a Pod's. */
static const struct hp_read_member spec_m[] = {
    POD_SPEC_MEMBERS,
    {"metrics", &metrics, 0},
    {"template", &template_, 0},
    {"templates", &templates, 0},
    {"jobTemplate", &job_template, 0},
    {"workloadRef", &keep, 0},           /* Rollout */
    {"jobTargetRef", &with_template, 0}, /* KEDA ScaledJob */
};
static const struct hp_read_node spec = OBJ(spec_m);

static const struct hp_read_member podtemplate_template_m[] = {
    {"spec", &pod_spec, HP_MARK_PODTEMPLATE_SPEC},
    {"metadata", &template_metadata, 0},
};
static const struct hp_read_node podtemplate_template = OBJ(podtemplate_template_m);

/* Workload exemptions (workload.c) read each owner reference's kind, name
 * and controller flag. */
static const struct hp_read_member owner_ref_m[] = {
    {"kind", &keep, 0},
    {"name", &keep, 0},
    {"controller", &keep, 0},
};
static const struct hp_read_node owner_ref = OBJ(owner_ref_m);
static const struct hp_read_node owner_refs = {.kind = HP_READ_ARRAY, .elem = &owner_ref};

/* The decoder names the object by metadata.name or generateName; workload
 * exemptions match metadata.name and the controlling owner reference. */
static const struct hp_read_member metadata_m[] = {
    {"name", &keep, 0},
    {"annotations", &annotations, 0},
    {"generateName", &keep, 0},
    {"ownerReferences", &owner_refs, 0},
};
static const struct hp_read_node metadata = OBJ(metadata_m);

/* ephemeralContainers: the EphemeralContainers object of Kubernetes 1.16 to
 * 1.21 holds its containers at the top. */
static const struct hp_read_member object_m[] = {
    {"spec", &spec, HP_MARK_SPEC},
    {"metadata", &metadata, 0},
    {"template", &podtemplate_template, 0},
    {"ephemeralContainers", &containers, 0},
};
static const struct hp_read_node object = OBJ(object_m);

/* ---- the AdmissionReview (src/admission/request.c) ----------------------------- */

static const struct hp_read_member user_info_m[] = {{"username", &keep, 0}};
static const struct hp_read_node user_info = OBJ(user_info_m);
static const struct hp_read_member gvk_m[] = {
    {"kind", &keep, 0},
    {"group", &keep, 0},
    {"version", &keep, 0},
};
static const struct hp_read_node gvk = OBJ(gvk_m);
static const struct hp_read_member gvr_m[] = {
    {"group", &keep, 0},
    {"version", &keep, 0},
    {"resource", &keep, 0},
};
static const struct hp_read_node gvr = OBJ(gvr_m);
static const struct hp_read_member request_m[] = {
    {"uid", &keep, 0},
    {"kind", &gvk, 0},
    {"name", &keep, 0},
    {"dryRun", &keep, 0},
    {"object", &object, HP_MARK_OBJECT},
    {"resource", &gvr, 0},
    {"userInfo", &user_info, 0},
    {"namespace", &keep, 0},
    {"oldObject", &object, HP_MARK_OLD_OBJECT},
    {"operation", &keep, 0},
    {"subResource", &keep, 0},
};
static const struct hp_read_node request = OBJ(request_m);

static const struct hp_read_member review_m[] = {
    {"kind", &keep, 0},
    {"request", &request, 0},
    {"apiVersion", &keep, 0},
};
static const struct hp_read_node review = OBJ(review_m);

const struct hp_read_node *hp_policy_read_set(void)
{
    return &review;
}
