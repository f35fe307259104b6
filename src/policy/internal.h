/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal to src/policy: the registry of checks (one row per check, in
 * registry.c), the evaluation state the checks read, the functions that
 * record findings (emit.c) and the findings' storage (findings.c). Files
 * include only this header; the call graph runs eval.c -> check_*.c ->
 * emit.c -> findings.c and never back.
 */
#ifndef HP_POLICY_INTERNAL_H
#define HP_POLICY_INTERNAL_H

#include "hardpod/k8s.h"
#include "hardpod/policy.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;

/* ---- evaluation state ---------------------------------------------------- */

/* The pod spec fields that checks read, gathered in one pass. */
struct pol_pod_fields {
    struct json_object *host_network;
    struct json_object *host_pid;
    struct json_object *host_ipc;
    struct json_object *host_users;
    struct json_object *os;
    struct json_object *security_context;
    struct json_object *volumes;
    struct json_object *automount_sa_token;
    struct json_object *lists[HP_LIST_COUNT]; /* initContainers, containers, ephemeralContainers */
};

/* The container fields that checks read, gathered in one pass. */
struct pol_ctr_fields {
    struct json_object *name;
    struct json_object *image;
    struct json_object *security_context;
    struct json_object *resources;
    struct json_object *ports;
    struct json_object *env;
    struct json_object *probes[3]; /* livenessProbe, readinessProbe, startupProbe */
    struct json_object *lifecycle;
    struct json_object *volume_mounts;
};

/* Longest object name Kubernetes allows (a DNS subdomain). */
#define POL_NAME_MAX 253

/* Who an object is, for workload exemptions: up to three (kind, name) pairs,
 * its own, its controlling owner's and the workload that owner's name
 * stands for (a ReplicaSet's Deployment, a Job's CronJob). Strings are
 * borrowed from the object, but for the derived name, held in derived. */
struct pol_workload {
    size_t n;
    const char *kinds[3];
    const char *names[3];
    char derived[POL_NAME_MAX + 1];
};

/* Fills w from the object's kind (may be NULL) and metadata (may be NULL or
 * of any type: what cannot be read names nothing). Pure; never fails. */
void pol_workload_init(struct pol_workload *w, const char *kind, struct json_object *metadata);

/* True when the workload exemption x names one of w's pairs (namespace,
 * checks and expiry are the caller's to test). */
bool pol_workload_match(const struct pol_workload *w, const struct hp_exemption *x);

struct pol_eval {
    const struct hp_policy *p;
    const struct pol_workload *wl; /* NULL: no workload exemption in p */
    struct hp_findings *out;
    const struct hp_podspec *ps;
    const char *ns;
    const char *username;
    int64_t now;
    uint32_t active; /* bit (1u << check): on in p and applies to this pod */
    void (*ctr_parts[HP_CHECK_COUNT])(struct pol_eval *e); /* what runs on each container */
    size_t n_ctr_parts;
    struct pol_pod_fields pf;
    bool windows;               /* spec.os.name == "windows" */
    bool host_users_false;      /* spec.hostUsers explicitly false */
    struct json_object *pod_sc; /* pod securityContext when it is an object */
    bool pod_sc_bad;            /* pod securityContext present but not an object */
    struct hp_sc_fields podf;   /* its fields */
    /* The container being visited (ctr NULL during pod-level checks). */
    enum hp_container_list list;
    size_t index;
    const char *cname;
    const char *image;
    struct json_object *ctr;
    struct pol_ctr_fields cf;
    struct json_object *sc;  /* container securityContext when it is an object */
    struct hp_sc_fields scf; /* its fields */
    bool sc_bad;             /* securityContext present but not an object */
    struct hp_effective eff;
    /* The facts of the container's image when the caller knows them
     * (hp_eval_input.image), else NULL; borrowed for the evaluation. */
    const struct hp_image_facts *img;
    const struct hp_eval_input *in;
    /* Image findings: the Dockerfile line recorded in the next finding
     * (hp_finding.line); 0 for manifests. */
    size_t line;
    /* Formatted only when a finding needs them (see pol_names). */
    bool names_ready;
    char cpath[HP_K8S_PREFIX_MAX + 48]; /* e.g. "spec.template.spec.containers[1]" */
    char who[128];                      /* e.g. "init container \"setup\"" */
    char scratch[512];
};

/* True when check c runs on this pod: its action is not off and its row's
 * applies() accepted the pod. */
static inline bool pol_on(const struct pol_eval *e, enum hp_check c)
{
    return (e->active >> c) & 1u;
}

static inline enum hp_level pol_level(const struct pol_eval *e, enum hp_check c)
{
    return e->p->checks[c].level;
}

/* The action of a finding that Pod Security Admission's baseline denies (or
 * that reaches the node as surely): deny at the HARDENED level whatever the
 * check's configured action, so that hardened is never weaker than
 * psa-baseline; the configured action at the PSA levels. */
static inline enum hp_action pol_floor(const struct pol_eval *e, enum hp_check c)
{
    return pol_level(e, c) == HP_LEVEL_HARDENED ? HP_ACTION_DENY : e->p->checks[c].action;
}

/* A boolean in the container securityContext; bad when the context itself is. */
static inline struct hp_bool_val pol_sc_bool(const struct pol_eval *e, struct json_object *v)
{
    if (e->sc_bad) {
        return (struct hp_bool_val){HP_V_BAD, false, false};
    }
    return hp_k8s_bool(v);
}

/* ---- the registry (registry.c) -------------------------------------------- */

/* One check. The row is everything the rest of hardpod knows about it: its
 * name, config options and SARIF text (info), its action and level in each
 * built-in profile, and the functions that implement it. */
struct pol_check {
    struct hp_check_info info;
    struct hp_check_config hardened; /* action and level in each built-in profile */
    struct hp_check_config psa_restricted;
    struct hp_check_config psa_baseline; /* (the profile none turns every check off) */
    /* Whether the check applies to this pod at all (NULL: it always does);
     * called once per evaluation, for Pod Security Admission's exemptions. */
    bool (*applies)(const struct pol_eval *e, enum hp_check c);
    /* The pod-level part, or NULL. Pod-level parts run in pod_order; rows
     * that share one function give it the same pod_order. */
    void (*pod)(struct pol_eval *e);
    unsigned pod_order; /* 0 .. HP_CHECK_COUNT-1 */
    /* The container-level part, or NULL: run on every container, in table
     * order. A function that several adjacent rows share (a walk that serves
     * several checks) runs once, when any of them is on, and tests pol_on
     * itself. */
    void (*ctr)(struct pol_eval *e);
    /* The pod securityContext field the check reads (path below
     * securityContext, with the fix), or NULL: when the pod securityContext
     * is not an object, such checks report it once, at that field. */
    const char *pod_sc_field;
    const char *pod_sc_fix;
};

/* Indexed by check id. */
extern const struct pol_check pol_checks[HP_CHECK_COUNT];

/* ---- recording findings (emit.c) ------------------------------------------ */

/* Fills e->cpath and e->who for the current container. Clean objects never
 * pay for formatting them: pol_path and the emit functions call this before
 * they format, so e->cpath and e->who can be passed as arguments. */
void pol_names(struct pol_eval *e);

/* Formats a path into e->scratch and returns it. */
const char *pol_path(struct pol_eval *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The path of field in the current container's securityContext (in e->scratch). */
const char *pol_sc_path(struct pol_eval *e, const char *field);

/* Records a finding with the check's configured action. ctr: container-level
 * (names e->cname). The message is printf-formatted; path is copied, fix is
 * kept as given (a static string; see pol_emit_owned). */
void pol_emit(struct pol_eval *e, enum hp_check c, bool ctr, const char *path, const char *fix,
              const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* The same with an explicit action (used for advisory warnings of deny checks). */
void pol_emit_action(struct pol_eval *e, enum hp_check c, enum hp_action action, bool ctr,
                     const char *path, const char *fix, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

/* The same with a fix that is copied into the findings (a formatted one),
 * for fixes that quote a value. */
void pol_emit_owned(struct pol_eval *e, enum hp_check c, enum hp_action action, bool ctr,
                    const char *path, const char *fix, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

/* Describes why a field is bad: the parent is not an object, or the field
 * has the wrong type. */
const char *pol_bad(struct json_object *parent, const char *key, char *buf, size_t size);

/* For a container securityContext field in state st: otherwise when it is
 * not bad, else ": <why it is bad>" formatted into buf. */
const char *pol_sc_why(const struct pol_eval *e, enum hp_vstate st, const char *key,
                       const char *otherwise, char *buf, size_t size);

/* ---- findings storage (findings.c) ---------------------------------------- */

/* Copies a printf-formatted string into the findings' arena; the result lives
 * until the next reset. Never NULL. */
const char *pol_findings_printf(struct hp_findings *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Copies s[0..n) and a terminating NUL into the findings' arena. */
char *pol_findings_strndup(struct hp_findings *f, const char *s, size_t n);

/* Appends a finding (strings must already live in the arena or be static). */
void pol_findings_push(struct hp_findings *f, const struct hp_finding *item);

/* True when one more finding whose strings take n bytes (terminators
 * included) fits in max_bytes. Ask before copying the strings. */
bool pol_findings_room(const struct hp_findings *f, size_t n);

/* Counts a finding that did not fit: its action still counts. */
void pol_findings_drop(struct hp_findings *f, enum hp_action action);

/* ---- the checks (check_*.c), as the registry names them -------------------- */

/* check_run_as.c */
bool pol_run_as_applies(const struct pol_eval *e, enum hp_check c);
void pol_run_as_non_root_pod(struct pol_eval *e);
void pol_run_as_non_root_ctr(struct pol_eval *e);
void pol_run_as_user_pod(struct pol_eval *e);
void pol_run_as_user_ctr(struct pol_eval *e);
void pol_run_as_group_pod(struct pol_eval *e);
void pol_run_as_group_ctr(struct pol_eval *e);

/* check_privilege.c */
bool pol_allow_privilege_escalation_applies(const struct pol_eval *e, enum hp_check c);
void pol_allow_privilege_escalation_ctr(struct pol_eval *e);
void pol_privileged_ctr(struct pol_eval *e);
void pol_read_only_root_filesystem_ctr(struct pol_eval *e);
bool pol_proc_mount_applies(const struct pol_eval *e, enum hp_check c);
void pol_proc_mount_ctr(struct pol_eval *e);

/* check_capabilities.c */
void pol_capabilities_ctr(struct pol_eval *e);

/* check_resources.c */
void pol_resources_ctr(struct pol_eval *e);

/* A resource quantity as the API server reads it. */
enum pol_quantity {
    POL_QTY_UNSET,    /* absent or null */
    POL_QTY_BAD,      /* not a quantity (the API server refuses it) */
    POL_QTY_ZERO,     /* zero, "-0" and "0Mi" included */
    POL_QTY_NEGATIVE, /* below zero */
    POL_QTY_POSITIVE,
};

/* Classifies s[0..n) by resource.ParseQuantity's grammar: an optional sign,
 * digits with an optional fraction, then "", n, u, m, k, M, G, T, P, E, Ki,
 * Mi, Gi, Ti, Pi, Ei or e/E with a signed integer. Never POL_QTY_UNSET. */
enum pol_quantity pol_quantity_parse(const char *s, size_t n);

/* Classifies a JSON value as the API server decodes a Quantity: a string
 * (white space around it trimmed) or a number's text; any other type is
 * POL_QTY_BAD. v is borrowed and may be NULL. */
enum pol_quantity pol_quantity_of(struct json_object *v);

/* check_host.c */
void pol_host_namespaces_pod(struct pol_eval *e);
void pol_host_ports_ctr(struct pol_eval *e);
void pol_sysctls_pod(struct pol_eval *e);
void pol_windows_host_process_pod(struct pol_eval *e);
void pol_windows_host_process_ctr(struct pol_eval *e);
void pol_host_probes_ctr(struct pol_eval *e);

/* check_volumes.c: hostPathVolumes and restrictedVolumes in one walk */
void pol_volumes_pod(struct pol_eval *e);

/* check_confinement.c */
void pol_selinux_options_pod(struct pol_eval *e);
void pol_selinux_options_ctr(struct pol_eval *e);
void pol_apparmor_profile_pod(struct pol_eval *e);
void pol_apparmor_profile_ctr(struct pol_eval *e);
void pol_seccomp_profile_pod(struct pol_eval *e);
void pol_seccomp_profile_ctr(struct pol_eval *e);

/* check_runtime.c: privilegedPorts and dotnetDiagnostics in one walk */
void pol_runtime_ctr(struct pol_eval *e);

/* The first port below 1024 that a Kestrel setting names: value is a
 * ';'-separated list of URLs (ASPNETCORE_URLS: "http://+:80;https://[::]:443",
 * a URL without a port meaning 80 or 443) when urls, else of ports
 * (ASPNETCORE_HTTP_PORTS, ASPNETCORE_HTTPS_PORTS). -1 when there is none. */
long pol_kestrel_low_port(const char *value, bool urls);

/* check_image.c: an image's facts alone (hp_policy_eval_image), and the
 * failures that a container and its image's facts (e->img) give together. */

/* Kestrel's listen settings, in the order Kestrel reads them: a non-empty
 * ASPNETCORE_URLS replaces the two port lists. */
enum pol_kestrel_var {
    POL_KESTREL_URLS,
    POL_KESTREL_HTTP_PORTS,
    POL_KESTREL_HTTPS_PORTS,
    POL_KESTREL_COUNT
};
extern const char *const pol_kestrel_names[POL_KESTREL_COUNT];

/* A container's own env entry for one variable (the last of that name). */
struct pol_env_entry {
    bool set;          /* the container sets the name (value or valueFrom) */
    const char *value; /* the literal value, or NULL (valueFrom: unknown) */
};

/* The runAsNonRoot failure the kubelet reports for the container's image
 * (runAsNonRoot true, no runAsUser, an image user that is root, unset or a
 * name). Called by pol_run_as_non_root_ctr when e->img is set. */
void pol_image_run_as_ctr(struct pol_eval *e);

/* True when the image is a .NET one: the base image table says so, or its
 * environment has DOTNET_VERSION, ASPNET_VERSION or
 * DOTNET_RUNNING_IN_CONTAINER. */
bool pol_image_is_dotnet(const struct hp_image_facts *img);

/* True when the image's environment turns .NET diagnostics off
 * (DOTNET_EnableDiagnostics=0 or COMPlus_EnableDiagnostics=0), counting only
 * the names the container does not set itself (ctr_sets[0]: the DOTNET_
 * name, ctr_sets[1]: the COMPlus_ name). */
bool pol_image_diagnostics_off(const struct hp_image_facts *img, const bool ctr_sets[2]);

/* The privilegedPorts failure of a container that runs as non-root while
 * its image's environment, where the container's own env (kestrel) does not
 * override it, makes Kestrel listen below 1024. */
void pol_image_ports_ctr(struct pol_eval *e, const struct pol_env_entry kestrel[POL_KESTREL_COUNT]);

/* check_service_account.c */
void pol_automount_service_account_token_pod(struct pol_eval *e);

#endif
