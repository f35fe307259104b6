/* SPDX-License-Identifier: Apache-2.0 */
/* Internal to src/policy: evaluation state shared by the pod and container checks. */
#ifndef HP_POLICY_EVAL_H
#define HP_POLICY_EVAL_H

#include "hardpod/k8s.h"
#include "hardpod/policy.h"

#include <stdbool.h>

struct json_object;

/* The pod spec fields that checks read, gathered in one pass. */
struct hp_pod_fields {
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
struct hp_ctr_fields {
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

struct hp_eval {
    const struct hp_policy *p;
    struct hp_findings *out;
    const struct hp_podspec *ps;
    const char *ns;
    const char *username;
    int64_t now;
    struct hp_pod_fields pf;
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
    struct hp_ctr_fields cf;
    struct json_object *sc;  /* container securityContext when it is an object */
    struct hp_sc_fields scf; /* its fields */
    bool sc_bad;             /* securityContext present but not an object */
    struct hp_effective eff;
    /* Formatted only when a finding needs them (see hp_eval_names). */
    bool names_ready;
    char cpath[160]; /* e.g. "spec.template.spec.containers[1]" */
    char who[128];   /* e.g. "init container \"setup\"" */
    char scratch[512];
};

static inline bool hp_eval_on(const struct hp_eval *e, enum hp_check c)
{
    return e->p->checks[c].action != HP_ACTION_OFF;
}

static inline enum hp_level hp_eval_level(const struct hp_eval *e, enum hp_check c)
{
    return e->p->checks[c].level;
}

/* Fills e->cpath and e->who for the current container. Clean objects never
 * pay for formatting them: hp_eval_path and the emit functions call this
 * before they format, so e->cpath and e->who can be passed as arguments. */
void hp_eval_names(struct hp_eval *e);

/* Formats a path into e->scratch and returns it. */
const char *hp_eval_path(struct hp_eval *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Records a finding with the check's configured action. ctr: container-level
 * (names e->cname). The message is printf-formatted; path and fix are copied. */
void hp_eval_emit(struct hp_eval *e, enum hp_check c, bool ctr, const char *path, const char *fix,
                  const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* The same with an explicit action (used for advisory warnings of deny checks). */
void hp_eval_emit_action(struct hp_eval *e, enum hp_check c, enum hp_action action, bool ctr,
                         const char *path, const char *fix, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

/* Describes why a field is bad: the parent is not an object, or the field
 * has the wrong type. */
const char *hp_eval_bad(struct json_object *parent, const char *key, char *buf, size_t size);

/* Checks a profile object (seccompProfile, appArmorProfile) whose type must be
 * RuntimeDefault or Localhost; field is its key in securityContext. */
void hp_eval_profile_type(struct hp_eval *e, enum hp_check c, struct hp_obj_val v, bool ctr,
                          const char *field);
/* Checks seLinuxOptions: type from the allowed list, no user or role. */
void hp_eval_selinux(struct hp_eval *e, struct hp_obj_val v, bool ctr);

/* capabilities, resources, and the runtime-failure warnings privilegedPorts
 * and dotnetDiagnostics. who is e->who (filled when a finding is emitted). */
void hp_eval_capabilities(struct hp_eval *e, const char *who);
void hp_eval_resources(struct hp_eval *e, const char *who);
void hp_eval_runtime(struct hp_eval *e, const char *who);

void hp_eval_pod_checks(struct hp_eval *e);
void hp_eval_container_checks(struct hp_eval *e);

#endif
