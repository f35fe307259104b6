/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The evaluation driver: finds every pod spec of the object (one for a
 * built-in workload, any number for a custom kind); for each, runs the
 * pod-level parts of the registry's checks once, then visits every init,
 * regular and ephemeral container once, resolving its effective security
 * settings (and, when the caller knows them, its image's facts) before
 * running the container-level parts on it. Exemptions are applied as
 * findings are recorded (emit.c).
 */
#include "internal.h"

#include <json-c/json.h>
#include <stddef.h>
#include <string.h>

#define CF(k, m) HP_K8S_SLOT(struct pol_ctr_fields, k, m)
static const struct hp_k8s_slot ctr_slots[] = {
    CF("env", env),
    CF("name", name),
    CF("image", image),
    CF("ports", ports),
    CF("lifecycle", lifecycle),
    CF("resources", resources),
    CF("startupProbe", probes[2]),
    CF("volumeMounts", volume_mounts),
    CF("livenessProbe", probes[0]),
    CF("readinessProbe", probes[1]),
    CF("securityContext", security_context),
};
#undef CF

#define PF(k, m) HP_K8S_SLOT(struct pol_pod_fields, k, m)
static const struct hp_k8s_slot pod_slots[] = {
    PF("os", os),
    PF("hostIPC", host_ipc),
    PF("hostPID", host_pid),
    PF("volumes", volumes),
    PF("hostUsers", host_users),
    PF("containers", lists[HP_LIST_CONTAINERS]),
    PF("hostNetwork", host_network),
    PF("initContainers", lists[HP_LIST_INIT]),
    PF("securityContext", security_context),
    PF("ephemeralContainers", lists[HP_LIST_EPHEMERAL]),
    PF("automountServiceAccountToken", automount_sa_token),
};
#undef PF

static void enter_container(struct pol_eval *e, enum hp_container_list list, size_t i,
                            struct json_object *ctr)
{
    e->list = list;
    e->index = i;
    e->ctr = ctr;
    e->names_ready = false;
    memset(&e->cf, 0, sizeof(e->cf));
    hp_k8s_scan(ctr, ctr_slots, sizeof(ctr_slots) / sizeof(ctr_slots[0]), &e->cf);
    const char *name = hp_k8s_string(e->cf.name);
    e->cname = name != NULL ? name : "";
    e->image = hp_k8s_string(e->cf.image);
    e->img = NULL;
    if (e->in->image != NULL && e->image != NULL) {
        e->img = e->in->image(e->in->image_arg, e->image);
    }
    struct json_object *sc = e->cf.security_context;
    e->sc_bad = sc != NULL && !json_object_is_type(sc, json_type_object);
    e->sc = e->sc_bad ? NULL : sc;
    hp_k8s_sc_scan(e->sc, &e->scf);
    hp_k8s_effective(&e->podf, &e->scf, &e->eff);
    if (e->sc_bad) {
        /* A container securityContext of the wrong type must not fall back
         * to the pod's values: every field counts as bad. */
        e->eff.run_as_non_root = (struct hp_bool_val){HP_V_BAD, false, false};
        e->eff.run_as_user = (struct hp_int_val){HP_V_BAD, 0, false};
        e->eff.run_as_group = (struct hp_int_val){HP_V_BAD, 0, false};
        e->eff.seccomp_profile = (struct hp_obj_val){HP_V_BAD, NULL, false};
        e->eff.selinux_options = (struct hp_obj_val){HP_V_BAD, NULL, false};
        e->eff.apparmor_profile = (struct hp_obj_val){HP_V_BAD, NULL, false};
    } else if (e->pod_sc_bad) {
        /* A field the container does not set is inherited from a pod
         * securityContext that cannot be read: bad, and reported once at
         * pod level (pod_sc_not_object). */
#define FROM_BAD_POD(f)                                                                            \
    do {                                                                                           \
        if (e->eff.f.state == HP_V_UNSET) {                                                        \
            e->eff.f.state = HP_V_BAD;                                                             \
            e->eff.f.from_pod = true;                                                              \
        }                                                                                          \
    } while (0)
        FROM_BAD_POD(run_as_non_root);
        FROM_BAD_POD(run_as_user);
        FROM_BAD_POD(run_as_group);
        FROM_BAD_POD(seccomp_profile);
        FROM_BAD_POD(selinux_options);
        FROM_BAD_POD(apparmor_profile);
#undef FROM_BAD_POD
    }
}

/* A pod securityContext that is not an object: every check that reads it
 * fails, each once at pod level at the path of the field it reads, as a
 * forbidden pod value does. Containers that set none of these fields inherit
 * the unreadable value (see enter_container), so nothing is reported twice. */
static void pod_sc_not_object(struct pol_eval *e)
{
    char what[64];
    hp_k8s_describe(e->pf.security_context, what, sizeof(what));
    for (int c = 0; c < HP_CHECK_COUNT; c++) {
        const struct pol_check *k = &pol_checks[c];
        if (k->pod_sc_field == NULL || !pol_on(e, (enum hp_check)c)) {
            continue;
        }
        /* Baseline fails seccompProfile here too: a floor at hardened. */
        enum hp_action action =
            c == HP_CHECK_SECCOMP_PROFILE ? pol_floor(e, (enum hp_check)c) : e->p->checks[c].action;
        pol_emit_action(e, (enum hp_check)c, action, false,
                        pol_path(e, "%s.securityContext.%s", e->ps->prefix, k->pod_sc_field),
                        k->pod_sc_fix, "pod securityContext must be an object, got %s", what);
    }
}

/* The pod-level parts of the checks that are on, in their pod_order (a
 * function that several rows share has one slot, so it runs once). */
static void pod_checks(struct pol_eval *e)
{
    if (e->pod_sc_bad) {
        pod_sc_not_object(e);
    }
    void (*run[HP_CHECK_COUNT])(struct pol_eval *);
    for (size_t i = 0; i < HP_CHECK_COUNT; i++) {
        run[i] = NULL;
    }
    for (int c = 0; c < HP_CHECK_COUNT; c++) {
        const struct pol_check *k = &pol_checks[c];
        if (k->pod != NULL && pol_on(e, (enum hp_check)c)) {
            run[k->pod_order] = k->pod;
        }
    }
    for (size_t i = 0; i < HP_CHECK_COUNT; i++) {
        if (run[i] != NULL) {
            run[i](e);
        }
    }
}

/* Decides once per object which checks are on (e->active) and which
 * container-level parts run, in table order, each function once (rows that
 * share one are adjacent). */
static void plan(struct pol_eval *e)
{
    for (int c = 0; c < HP_CHECK_COUNT; c++) {
        const struct pol_check *k = &pol_checks[c];
        if (e->p->checks[c].action != HP_ACTION_OFF &&
            (k->applies == NULL || k->applies(e, (enum hp_check)c))) {
            e->active |= 1u << c;
        }
    }
    for (int c = 0; c < HP_CHECK_COUNT; c++) {
        void (*part)(struct pol_eval *) = pol_checks[c].ctr;
        if (part == NULL || !pol_on(e, (enum hp_check)c)) {
            continue;
        }
        if (e->n_ctr_parts == 0 || e->ctr_parts[e->n_ctr_parts - 1] != part) {
            e->ctr_parts[e->n_ctr_parts++] = part;
        }
    }
}

/* Visits one container list. Structural problems (a list that is not an
 * array, an element that is not an object) are errors: the object cannot be
 * evaluated, and the caller must not treat it as allowed. */
static enum hp_err visit_list(struct pol_eval *e, enum hp_container_list list, struct hp_error *err)
{
    struct json_object *arr = e->pf.lists[list];
    if (arr == NULL) {
        return HP_OK;
    }
    char what[64];
    const char *dot = e->ps->prefix[0] != '\0' ? "." : "";
    if (!json_object_is_type(arr, json_type_array)) {
        return hp_error_set(err, HP_ERR_INVALID, "%s%s%s: expected array, got %s", e->ps->prefix,
                            dot, hp_k8s_list_name(list), hp_k8s_describe(arr, what, sizeof(what)));
    }
    size_t n = json_object_array_length(arr);
    for (size_t i = 0; i < n; i++) {
        struct json_object *ctr = json_object_array_get_idx(arr, i);
        if (!json_object_is_type(ctr, json_type_object)) {
            return hp_error_set(err, HP_ERR_INVALID, "%s%s%s[%zu]: expected object, got %s",
                                e->ps->prefix, dot, hp_k8s_list_name(list), i,
                                hp_k8s_describe(ctr, what, sizeof(what)));
        }
        enter_container(e, list, i, ctr);
        for (size_t k = 0; k < e->n_ctr_parts; k++) {
            e->ctr_parts[k](e);
        }
    }
    e->ctr = NULL;
    return HP_OK;
}

/* What every pod spec of one object is evaluated with. */
struct eval_ctx {
    const struct hp_policy *p;
    const struct hp_eval_input *in;
    struct hp_findings *out;
    const char *ns;
    const struct pol_workload *wl;
};

/* Evaluates one pod spec, adding to the findings of the earlier ones. */
static enum hp_err eval_podspec(const struct hp_podspec *ps, void *arg, struct hp_error *err)
{
    const struct eval_ctx *cx = arg;
    cx->out->has_podspec = true;
    struct pol_eval e;
    memset(&e, 0, offsetof(struct pol_eval, cpath));
    e.p = cx->p;
    e.out = cx->out;
    e.ps = ps;
    e.ns = cx->ns;
    e.wl = cx->wl;
    e.username = cx->in->username;
    e.in = cx->in;
    e.now = cx->in->now;
    bool pod_known = ps->workload != HP_WORKLOAD_EPHEMERAL_CONTAINERS;
    if (pod_known) {
        hp_k8s_scan(ps->spec, pod_slots, sizeof(pod_slots) / sizeof(pod_slots[0]), &e.pf);
    } else {
        /* Only the ephemeral containers are known: the pod's fields and its
         * securityContext stay unset, so what a container would inherit must
         * be set in the container, and no pod-level part runs (the pod was
         * judged when it was created, and these fields cannot change). */
        e.pf.lists[HP_LIST_EPHEMERAL] = hp_k8s_field(ps->spec, "ephemeralContainers");
    }
    const char *os_name = hp_k8s_string(hp_k8s_field(e.pf.os, "name"));
    e.windows = os_name != NULL && strcmp(os_name, "windows") == 0;
    struct hp_bool_val host_users = hp_k8s_bool(e.pf.host_users);
    e.host_users_false = host_users.state == HP_V_OK && !host_users.value;
    struct json_object *pod_sc = e.pf.security_context;
    e.pod_sc = json_object_is_type(pod_sc, json_type_object) ? pod_sc : NULL;
    e.pod_sc_bad = pod_sc != NULL && e.pod_sc == NULL;
    hp_k8s_sc_scan(e.pod_sc, &e.podf);
    plan(&e);

    if (pod_known) {
        pod_checks(&e);
    }
    for (int l = 0; l < HP_LIST_COUNT; l++) {
        enum hp_err rc = visit_list(&e, (enum hp_container_list)l, err);
        if (rc != HP_OK) {
            return rc;
        }
    }
    return HP_OK;
}

enum hp_err hp_policy_eval(const struct hp_policy *p, const struct hp_eval_input *in,
                           struct hp_findings *out, struct hp_error *err)
{
    hp_findings_reset(out);
    struct json_object *obj = in->object;
    if (!json_object_is_type(obj, json_type_object)) {
        return hp_error_set(err, HP_ERR_INVALID, "object: expected a JSON object");
    }
    static const char *const keys[] = {"apiVersion", "kind", "metadata"};
    struct json_object *top[3];
    hp_k8s_pick(obj, keys, 3, top);
    const char *api_version = in->api_version ? in->api_version : hp_k8s_string(top[0]);
    const char *kind = in->kind ? in->kind : hp_k8s_string(top[1]);
    struct eval_ctx cx = {
        .p = p,
        .in = in,
        .out = out,
        .ns = in->ns ? in->ns : hp_k8s_string(hp_k8s_field(top[2], "namespace")),
    };
    /* Who the object is matters only to workload exemptions. */
    struct pol_workload wl;
    for (size_t i = 0; i < p->n_exemptions; i++) {
        if (p->exemptions[i].kind == HP_EXEMPT_WORKLOAD) {
            pol_workload_init(&wl, kind, top[2]);
            cx.wl = &wl;
            break;
        }
    }
    enum hp_err rc = HP_OK;
    enum hp_workload w = hp_k8s_workload(api_version, kind);
    if (w != HP_WORKLOAD_NONE) {
        struct hp_podspec ps;
        rc = hp_k8s_podspec_find(obj, w, &ps, err);
        if (rc == HP_OK) {
            rc = eval_podspec(&ps, &cx, err);
        }
    } else {
        const struct hp_k8s_kind *k = hp_k8s_kind_find(p->kinds, api_version, kind);
        if (k != NULL) {
            rc = hp_k8s_podspec_each(obj, k, eval_podspec, &cx, err);
        }
    }
    if (rc != HP_OK) {
        hp_findings_reset(out);
    }
    return rc;
}
