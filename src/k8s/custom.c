/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Custom resources that hold pod specs or pod templates: the built-in table
 * (each entry with the source of its paths), the config's set of entries,
 * and the lookup from (apiVersion, kind) to an entry. Validation of group,
 * version and kind lives here; paths are walked in podspec.c. No I/O.
 */
#include "hardpod/k8s.h"

#include <stdlib.h>
#include <string.h>

/* Paths name the pod spec (the object that holds containers). Where the
 * source type is a corev1.PodTemplateSpec, the path ends in ".spec" and the
 * template's metadata (for the AppArmor annotations) is its sibling. Every
 * version matches: these projects have kept the fields in place across
 * versions, and an unknown version must not hide a pod spec. */
#define ONE_PATH(g, k, path, ref)                                                                  \
    {                                                                                              \
        .group = (g), .version = "*", .kind = (k), .paths = {(path)}, .n_paths = 1,                \
        .reference = (ref)                                                                         \
    }

static const struct hp_k8s_kind builtins[] = {
    /* argoproj/argo-rollouts, pkg/apis/rollouts/v1alpha1/types.go: RolloutSpec
     * has `Template corev1.PodTemplateSpec json:"template"` and `WorkloadRef
     * *ObjectRef json:"workloadRef"`. With a workloadRef the controller takes
     * the template from the referenced workload (a Deployment), which is
     * evaluated as that kind of object; the Rollout itself then holds no pod
     * spec, and one that holds neither is an error. */
    ONE_PATH("argoproj.io", "Rollout", "spec.template.spec", "spec.workloadRef"),
    /* analysis_types.go: AnalysisTemplateSpec has `Metrics []Metric
     * json:"metrics"`; Metric has `Provider MetricProvider json:"provider"`;
     * MetricProvider has `Job *JobMetric json:"job"`, one provider among
     * several (prometheus, web, ...), so absent from most metrics; JobMetric
     * has `Spec batchv1.JobSpec json:"spec"`, whose template is required. */
    ONE_PATH("argoproj.io", "AnalysisTemplate", "spec.metrics[*].provider.job?.spec.template.spec",
             NULL),
    /* analysis_types.go: ClusterAnalysisTemplate has `Spec AnalysisTemplateSpec`. */
    ONE_PATH("argoproj.io", "ClusterAnalysisTemplate",
             "spec.metrics[*].provider.job?.spec.template.spec", NULL),
    /* analysis_types.go: AnalysisRunSpec has `Metrics []Metric json:"metrics"`. */
    ONE_PATH("argoproj.io", "AnalysisRun", "spec.metrics[*].provider.job?.spec.template.spec",
             NULL),
    /* experiment_types.go: ExperimentSpec has `Templates []TemplateSpec
     * json:"templates"`; TemplateSpec has `Template corev1.PodTemplateSpec
     * json:"template"`. */
    ONE_PATH("argoproj.io", "Experiment", "spec.templates[*].template.spec", NULL),
    /* knative/serving, pkg/apis/serving/v1/service_types.go: ServiceSpec
     * inlines ConfigurationSpec; configuration_types.go: ConfigurationSpec has
     * `Template RevisionTemplateSpec json:"template"`; revision_types.go:
     * RevisionTemplateSpec has metadata and `Spec RevisionSpec json:"spec"`,
     * and RevisionSpec inlines corev1.PodSpec (plus containerConcurrency and
     * timeoutSeconds), so spec.template.spec holds the containers directly. */
    ONE_PATH("serving.knative.dev", "Service", "spec.template.spec", NULL),
    /* configuration_types.go: Configuration has `Spec ConfigurationSpec`. */
    ONE_PATH("serving.knative.dev", "Configuration", "spec.template.spec", NULL),
    /* revision_types.go: Revision has `Spec RevisionSpec json:"spec"`, which
     * inlines corev1.PodSpec; the pods carry the Revision's metadata. */
    ONE_PATH("serving.knative.dev", "Revision", "spec", NULL),
    /* kedacore/keda, apis/keda/v1alpha1/scaledjob_types.go: ScaledJobSpec has
     * `JobTargetRef *batchv1.JobSpec json:"jobTargetRef"` (required). */
    ONE_PATH("keda.sh", "ScaledJob", "spec.jobTargetRef.template.spec", NULL),
};
#undef ONE_PATH

const struct hp_k8s_kind *hp_k8s_builtin_kinds(size_t *n)
{
    *n = sizeof(builtins) / sizeof(builtins[0]);
    return builtins;
}

struct hp_k8s_kinds *hp_k8s_kinds_new(void)
{
    return hp_xcalloc(1, sizeof(struct hp_k8s_kinds));
}

void hp_k8s_kinds_free(struct hp_k8s_kinds *set)
{
    if (set == NULL) {
        return;
    }
    for (size_t i = 0; i < set->n; i++) {
        free(set->items[i].storage);
    }
    free(set->items);
    free(set);
}

/* Copies s to *at and advances it; NULL stays NULL. */
static const char *put(char **at, const char *s)
{
    if (s == NULL) {
        return NULL;
    }
    size_t len = strlen(s) + 1;
    char *out = *at;
    memcpy(out, s, len);
    *at += len;
    return out;
}

static size_t size_of(const char *s)
{
    return s != NULL ? strlen(s) + 1 : 0;
}

void hp_k8s_kinds_add(struct hp_k8s_kinds *set, const struct hp_k8s_kind *kind)
{
    if (set->n == set->cap) {
        set->cap = set->cap != 0 ? set->cap * 2 : 4;
        set->items = hp_xrealloc(set->items, set->cap * sizeof(*set->items));
    }
    struct hp_k8s_kind k = {.line = kind->line};
    size_t total = size_of(kind->group) + size_of(kind->version) + size_of(kind->kind) +
                   size_of(kind->reference);
    for (size_t i = 0; i < HP_K8S_KIND_MAX_PATHS && i < kind->n_paths; i++) {
        total += size_of(kind->paths[i]);
        k.n_paths = i + 1;
    }
    k.storage = hp_xmalloc(total > 0 ? total : 1);
    char *at = k.storage;
    k.group = put(&at, kind->group);
    k.version = put(&at, kind->version);
    k.kind = put(&at, kind->kind);
    k.reference = put(&at, kind->reference);
    for (size_t i = 0; i < k.n_paths; i++) {
        k.paths[i] = put(&at, kind->paths[i]);
    }
    set->items[set->n++] = k;
}

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* A DNS-1123 label: lowercase letters, digits and '-', starting and ending
 * with a letter or digit, at most 63 bytes. */
static bool is_label(const char *s, size_t len)
{
    if (len == 0 || len > 63 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[len - 1])) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (!is_lower_alnum(s[i]) && s[i] != '-') {
            return false;
        }
    }
    return true;
}

/* A DNS-1123 subdomain with at least one dot: what a CRD's group must be. */
static bool is_group(const char *s)
{
    size_t len = strlen(s);
    if (len > 253 || strchr(s, '.') == NULL) {
        return false;
    }
    const char *label = s;
    for (;;) {
        const char *dot = strchr(label, '.');
        size_t n = dot != NULL ? (size_t)(dot - label) : strlen(label);
        if (!is_label(label, n)) {
            return false;
        }
        if (dot == NULL) {
            return true;
        }
        label = dot + 1;
    }
}

static bool is_kind(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > 63 || !((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z'))) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
            return false;
        }
    }
    return true;
}

enum hp_err hp_k8s_kind_check(const char *group, const char *version, const char *kind, int *which,
                              struct hp_error *err)
{
    if (strcmp(group, "*") != 0 && !is_group(group)) {
        *which = 0;
        if (group[0] == '\0' || strcmp(group, "apps") == 0 || strcmp(group, "batch") == 0 ||
            strcmp(group, "extensions") == 0) {
            return hp_error_set(err, HP_ERR_INVALID,
                                "\"%.64s\" is a built-in group (its workloads are read "
                                "already; custom resources live in a group with a dot, such "
                                "as argoproj.io)",
                                group);
        }
        return hp_error_set(err, HP_ERR_INVALID,
                            "invalid group \"%.64s\" (expected \"*\" or a DNS subdomain with a "
                            "dot, such as argoproj.io)",
                            group);
    }
    if (strcmp(version, "*") != 0 && !is_label(version, strlen(version))) {
        *which = 1;
        return hp_error_set(err, HP_ERR_INVALID,
                            "invalid version \"%.64s\" (expected \"*\" or a name such as "
                            "v1alpha1)",
                            version);
    }
    if (!is_kind(kind)) {
        *which = 2;
        return hp_error_set(err, HP_ERR_INVALID,
                            "invalid kind \"%.64s\" (expected a name such as Rollout: letters "
                            "and digits)",
                            kind);
    }
    return HP_OK;
}

/* Whether k names (group, version, kind). group is never empty here. */
static bool matches(const struct hp_k8s_kind *k, const char *group, size_t group_len,
                    const char *version, const char *kind)
{
    if (strcmp(k->kind, kind) != 0) {
        return false;
    }
    if (strcmp(k->version, "*") != 0 && strcmp(k->version, version) != 0) {
        return false;
    }
    if (strcmp(k->group, "*") == 0) {
        return true;
    }
    return strlen(k->group) == group_len && strncmp(k->group, group, group_len) == 0;
}

/* Whether user replaces the built-in entry b. */
static bool replaced(const struct hp_k8s_kinds *user, const struct hp_k8s_kind *b)
{
    for (size_t i = 0; user != NULL && i < user->n; i++) {
        if (strcmp(user->items[i].group, b->group) == 0 &&
            strcmp(user->items[i].kind, b->kind) == 0) {
            return true;
        }
    }
    return false;
}

const struct hp_k8s_kind *hp_k8s_kind_find(const struct hp_k8s_kinds *user, const char *api_version,
                                           const char *kind)
{
    if (api_version == NULL || kind == NULL) {
        return NULL;
    }
    /* Custom resources never live in the core group (no slash). */
    const char *slash = strchr(api_version, '/');
    if (slash == NULL || slash == api_version || slash[1] == '\0') {
        return NULL;
    }
    size_t group_len = (size_t)(slash - api_version);
    const char *version = slash + 1;
    for (size_t i = 0; user != NULL && i < user->n; i++) {
        if (matches(&user->items[i], api_version, group_len, version, kind)) {
            return &user->items[i];
        }
    }
    for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++) {
        if (matches(&builtins[i], api_version, group_len, version, kind) &&
            !replaced(user, &builtins[i])) {
            return &builtins[i];
        }
    }
    return NULL;
}

bool hp_k8s_kind_known(const struct hp_k8s_kinds *user, const char *api_version, const char *kind)
{
    return hp_k8s_workload(api_version, kind) != HP_WORKLOAD_NONE ||
           hp_k8s_kind_find(user, api_version, kind) != NULL;
}
