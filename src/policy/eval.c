/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The evaluation driver: finds the pod spec, runs the pod-level checks once,
 * then visits every init, regular and ephemeral container once, resolving its
 * effective security settings before running all container checks on it.
 * Exemptions are applied as findings are recorded.
 */
#include "eval.h"

#include "findings.h"
#include "hardpod/buf.h"

#include <fnmatch.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

const char *hp_eval_path(struct hp_eval *e, const char *fmt, ...)
{
    hp_eval_names(e);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->scratch, sizeof(e->scratch), fmt, ap);
    va_end(ap);
    return e->scratch;
}

void hp_eval_names(struct hp_eval *e)
{
    static const char *const kinds[] = {"init container", "container", "ephemeral container"};
    if (e->names_ready || e->ctr == NULL) {
        return;
    }
    snprintf(e->cpath, sizeof(e->cpath), "%s.%s[%zu]", e->ps->prefix, hp_k8s_list_name(e->list),
             e->index);
    snprintf(e->who, sizeof(e->who), "%s \"%.63s%s\"", kinds[e->list], e->cname,
             strlen(e->cname) > 63 ? "..." : "");
    e->names_ready = true;
}

const char *hp_eval_bad(struct json_object *parent, const char *key, char *buf, size_t size)
{
    char what[64];
    struct json_object *v = NULL;
    if (parent == NULL || !json_object_is_type(parent, json_type_object)) {
        snprintf(buf, size, "its parent is not an object");
    } else if (json_object_object_get_ex(parent, key, &v)) {
        snprintf(buf, size, "%s has the wrong type (%s)", key,
                 hp_k8s_describe(v, what, sizeof(what)));
    } else {
        snprintf(buf, size, "%s is missing", key);
    }
    return buf;
}

static bool glob(const char *pattern, const char *s)
{
    return s != NULL && fnmatch(pattern, s, 0) == 0;
}

static const struct hp_exemption *find_exemption(const struct hp_eval *e, enum hp_check c, bool ctr)
{
    for (size_t i = 0; i < e->p->n_exemptions; i++) {
        const struct hp_exemption *x = &e->p->exemptions[i];
        if (x->expires != 0 && e->now > x->expires) {
            continue;
        }
        switch (x->kind) {
        case HP_EXEMPT_NAMESPACE:
            if (e->ns != NULL && e->ns[0] != '\0' && glob(x->pattern, e->ns)) {
                return x;
            }
            break;
        case HP_EXEMPT_USERNAME:
            if (glob(x->pattern, e->username)) {
                return x;
            }
            break;
        case HP_EXEMPT_IMAGE: {
            if (!ctr || (x->checks & (1u << c)) == 0 || !glob(x->pattern, e->image)) {
                break;
            }
            bool ns_ok = x->n_namespaces == 0;
            for (size_t j = 0; !ns_ok && j < x->n_namespaces; j++) {
                ns_ok = glob(x->namespaces[j], e->ns);
            }
            if (ns_ok) {
                return x;
            }
            break;
        }
        }
    }
    return NULL;
}

static void emit_v(struct hp_eval *e, enum hp_check c, enum hp_action action, bool ctr,
                   const char *path, const char *fix, const char *fmt, va_list ap)
{
    char msg[768];
    hp_eval_names(e);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    /* Names and values are cut to a bounded length ("%.63s"), which can split
     * a multi-byte character: drop such fragments rather than emit them. */
    size_t msg_len = hp_utf8_repair(msg);
    const struct hp_exemption *x = find_exemption(e, c, ctr);
    /* The strings copied below: path, container name and message. */
    size_t need = strnlen(path, 511) + 1 + (ctr ? strlen(e->cname) + 1 : 0) + msg_len + 1 +
                  (x != NULL ? strlen("exempt: : ") + strlen(x->reason) : 0);
    if (!hp_findings_room(e->out, need)) {
        hp_findings_drop(e->out, x != NULL ? HP_ACTION_WARN : action);
        return;
    }
    char *where = hp_findings_strndup(e->out, path, strnlen(path, 511));
    hp_utf8_repair(where);
    struct hp_finding f = {
        .check = c,
        .action = action,
        .container = ctr ? hp_findings_strndup(e->out, e->cname, strlen(e->cname)) : NULL,
        .path = where,
        .fix = fix,
    };
    if (x != NULL) {
        f.exempt = true;
        f.action = HP_ACTION_WARN;
        f.exempt_reason = x->reason;
        f.message = hp_findings_printf(e->out, "exempt: %s: %s", x->reason, msg);
        f.detail = f.message + strlen(f.message) - strlen(msg);
    } else {
        f.message = hp_findings_strndup(e->out, msg, msg_len);
        f.detail = f.message;
    }
    hp_findings_push(e->out, &f);
}

void hp_eval_emit(struct hp_eval *e, enum hp_check c, bool ctr, const char *path, const char *fix,
                  const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit_v(e, c, e->p->checks[c].action, ctr, path, fix, fmt, ap);
    va_end(ap);
}

void hp_eval_emit_action(struct hp_eval *e, enum hp_check c, enum hp_action action, bool ctr,
                         const char *path, const char *fix, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit_v(e, c, action, ctr, path, fix, fmt, ap);
    va_end(ap);
}

#define CF(k, m) HP_K8S_SLOT(struct hp_ctr_fields, k, m)
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

#define PF(k, m) HP_K8S_SLOT(struct hp_pod_fields, k, m)
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

static void enter_container(struct hp_eval *e, enum hp_container_list list, size_t i,
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

/* Visits one container list. Structural problems (a list that is not an
 * array, an element that is not an object) are errors: the object cannot be
 * evaluated, and the caller must not treat it as allowed. */
static enum hp_err visit_list(struct hp_eval *e, enum hp_container_list list, struct hp_error *err)
{
    struct json_object *arr = e->pf.lists[list];
    if (arr == NULL) {
        return HP_OK;
    }
    char what[64];
    if (!json_object_is_type(arr, json_type_array)) {
        return hp_error_set(err, HP_ERR_INVALID, "%s.%s: expected array, got %s", e->ps->prefix,
                            hp_k8s_list_name(list), hp_k8s_describe(arr, what, sizeof(what)));
    }
    size_t n = json_object_array_length(arr);
    for (size_t i = 0; i < n; i++) {
        struct json_object *ctr = json_object_array_get_idx(arr, i);
        if (!json_object_is_type(ctr, json_type_object)) {
            return hp_error_set(err, HP_ERR_INVALID, "%s.%s[%zu]: expected object, got %s",
                                e->ps->prefix, hp_k8s_list_name(list), i,
                                hp_k8s_describe(ctr, what, sizeof(what)));
        }
        enter_container(e, list, i, ctr);
        hp_eval_container_checks(e);
    }
    e->ctr = NULL;
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
    enum hp_workload w = hp_k8s_workload(api_version, kind);
    if (w == HP_WORKLOAD_NONE) {
        return HP_OK;
    }
    struct hp_podspec ps;
    enum hp_err rc = hp_k8s_podspec_find(obj, w, &ps, err);
    if (rc != HP_OK) {
        return rc;
    }
    out->has_podspec = true;
    struct hp_eval e;
    memset(&e, 0, offsetof(struct hp_eval, cpath));
    e.p = p;
    e.out = out;
    e.ps = &ps;
    e.ns = in->ns ? in->ns : hp_k8s_string(hp_k8s_field(top[2], "namespace"));
    e.username = in->username;
    e.now = in->now;
    hp_k8s_scan(ps.spec, pod_slots, sizeof(pod_slots) / sizeof(pod_slots[0]), &e.pf);
    const char *os_name = hp_k8s_string(hp_k8s_field(e.pf.os, "name"));
    e.windows = os_name != NULL && strcmp(os_name, "windows") == 0;
    struct hp_bool_val host_users = hp_k8s_bool(e.pf.host_users);
    e.host_users_false = host_users.state == HP_V_OK && !host_users.value;
    struct json_object *pod_sc = e.pf.security_context;
    e.pod_sc = json_object_is_type(pod_sc, json_type_object) ? pod_sc : NULL;
    e.pod_sc_bad = pod_sc != NULL && e.pod_sc == NULL;
    hp_k8s_sc_scan(e.pod_sc, &e.podf);

    hp_eval_pod_checks(&e);
    for (int l = 0; l < HP_LIST_COUNT; l++) {
        rc = visit_list(&e, (enum hp_container_list)l, err);
        if (rc != HP_OK) {
            hp_findings_reset(out);
            return rc;
        }
    }
    return HP_OK;
}
