/* SPDX-License-Identifier: Apache-2.0 */
/* Internal to src/policy: evaluation state shared by the pod and container checks. */
#ifndef HP_POLICY_EVAL_H
#define HP_POLICY_EVAL_H

#include "hardpod/k8s.h"
#include "hardpod/policy.h"

#include <stdbool.h>

struct json_object;

struct hp_eval {
    const struct hp_policy *p;
    struct hp_findings *out;
    const struct hp_podspec *ps;
    const char *ns;
    const char *username;
    int64_t now;
    bool windows;               /* spec.os.name == "windows" */
    bool host_users_false;      /* spec.hostUsers explicitly false */
    struct json_object *pod_sc; /* pod securityContext when it is an object */
    /* The container being visited (NULL name for pod-level checks). */
    enum hp_container_list list;
    const char *cname;
    const char *image;
    struct json_object *ctr;
    struct json_object *sc; /* container securityContext when it is an object */
    bool sc_bad;            /* securityContext present but not an object */
    struct hp_effective eff;
    char cpath[160];   /* e.g. "spec.template.spec.containers[1]" */
    char scratch[512]; /* path building */
};

static inline bool hp_eval_on(const struct hp_eval *e, enum hp_check c)
{
    return e->p->checks[c].action != HP_ACTION_OFF;
}

static inline enum hp_level hp_eval_level(const struct hp_eval *e, enum hp_check c)
{
    return e->p->checks[c].level;
}

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

/* "container \"api\"", "init container \"setup\"" or "ephemeral container \"debug\"". */
const char *hp_eval_who(const struct hp_eval *e, char *buf, size_t size);

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
 * and dotnetDiagnostics (checks_runtime.c). */
void hp_eval_capabilities(struct hp_eval *e, const char *who);
void hp_eval_resources(struct hp_eval *e, const char *who);
void hp_eval_runtime(struct hp_eval *e, const char *who, struct json_object *ports);

void hp_eval_pod_checks(struct hp_eval *e);
void hp_eval_container_checks(struct hp_eval *e);

#endif
