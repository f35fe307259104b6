/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The evaluation driver: finds the pod spec, runs the pod-level checks once,
 * then visits every init, regular and ephemeral container once, resolving its
 * effective security settings before running all container checks on it.
 * Exemptions are applied as findings are recorded.
 */
#include "eval.h"

#include "findings.h"

#include <fnmatch.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *hp_eval_path(struct hp_eval *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->scratch, sizeof(e->scratch), fmt, ap);
    va_end(ap);
    return e->scratch;
}

const char *hp_eval_who(const struct hp_eval *e, char *buf, size_t size)
{
    static const char *const kinds[] = {"init container", "container", "ephemeral container"};
    snprintf(buf, size, "%s \"%.63s%s\"", kinds[e->list], e->cname,
             strlen(e->cname) > 63 ? "..." : "");
    return buf;
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
    vsnprintf(msg, sizeof(msg), fmt, ap);
    struct hp_finding f = {
        .check = c,
        .action = action,
        .container = ctr ? hp_findings_printf(e->out, "%s", e->cname) : NULL,
        .path = hp_findings_printf(e->out, "%s", path),
        .fix = fix,
    };
    const struct hp_exemption *x = find_exemption(e, c, ctr);
    if (x != NULL) {
        f.exempt = true;
        f.action = HP_ACTION_WARN;
        f.message = hp_findings_printf(e->out, "exempt: %s: %s", x->reason, msg);
    } else {
        f.message = hp_findings_printf(e->out, "%s", msg);
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

static const char *string_field(struct json_object *obj, const char *key)
{
    struct json_object *v = NULL;
    if (obj != NULL && json_object_object_get_ex(obj, key, &v) &&
        json_object_is_type(v, json_type_string)) {
        return json_object_get_string(v);
    }
    return NULL;
}

/* Visits one container list. Structural problems (a list that is not an
 * array, an element that is not an object) are errors: the object cannot be
 * evaluated, and the caller must not treat it as allowed. */
static enum hp_err visit_list(struct hp_eval *e, enum hp_container_list list, struct hp_error *err)
{
    const char *key = hp_k8s_list_name(list);
    struct json_object *arr = NULL;
    if (!json_object_object_get_ex(e->ps->spec, key, &arr) || arr == NULL) {
        return HP_OK;
    }
    if (!json_object_is_type(arr, json_type_array)) {
        char what[64];
        return hp_error_set(err, HP_ERR_INVALID, "%s.%s: expected array, got %s", e->ps->prefix,
                            key, hp_k8s_describe(arr, what, sizeof(what)));
    }
    size_t n = json_object_array_length(arr);
    for (size_t i = 0; i < n; i++) {
        struct json_object *ctr = json_object_array_get_idx(arr, i);
        if (!json_object_is_type(ctr, json_type_object)) {
            char what[64];
            return hp_error_set(err, HP_ERR_INVALID, "%s.%s[%zu]: expected object, got %s",
                                e->ps->prefix, key, i, hp_k8s_describe(ctr, what, sizeof(what)));
        }
        const char *name = string_field(ctr, "name");
        e->list = list;
        e->ctr = ctr;
        e->cname = name != NULL ? name : "";
        e->image = string_field(ctr, "image");
        snprintf(e->cpath, sizeof(e->cpath), "%s.%s[%zu]", e->ps->prefix, key, i);
        struct json_object *sc = NULL;
        json_object_object_get_ex(ctr, "securityContext", &sc);
        e->sc_bad = sc != NULL && !json_object_is_type(sc, json_type_object);
        e->sc = e->sc_bad ? NULL : sc;
        hp_k8s_effective(e->pod_sc, e->sc, &e->eff);
        if (e->sc_bad) {
            /* A container securityContext of the wrong type must not fall
             * back to the pod's values: every field counts as bad. */
            e->eff.run_as_non_root = (struct hp_bool_val){HP_V_BAD, false, false};
            e->eff.run_as_user = (struct hp_int_val){HP_V_BAD, 0, false};
            e->eff.run_as_group = (struct hp_int_val){HP_V_BAD, 0, false};
            e->eff.seccomp_profile = (struct hp_obj_val){HP_V_BAD, NULL, false};
            e->eff.selinux_options = (struct hp_obj_val){HP_V_BAD, NULL, false};
            e->eff.apparmor_profile = (struct hp_obj_val){HP_V_BAD, NULL, false};
        }
        hp_eval_container_checks(e);
    }
    return HP_OK;
}

static const char *lookup_string_path(struct json_object *obj, const char *a, const char *b)
{
    struct json_object *v = NULL;
    if (!json_object_object_get_ex(obj, a, &v) || !json_object_is_type(v, json_type_object)) {
        return NULL;
    }
    return string_field(v, b);
}

enum hp_err hp_policy_eval(const struct hp_policy *p, const struct hp_eval_input *in,
                           struct hp_findings *out, struct hp_error *err)
{
    hp_findings_reset(out);
    struct json_object *obj = in->object;
    if (!json_object_is_type(obj, json_type_object)) {
        return hp_error_set(err, HP_ERR_INVALID, "object: expected a JSON object");
    }
    const char *api_version = in->api_version ? in->api_version : string_field(obj, "apiVersion");
    const char *kind = in->kind ? in->kind : string_field(obj, "kind");
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
    struct hp_eval e = {
        .p = p,
        .out = out,
        .ps = &ps,
        .ns = in->ns ? in->ns : lookup_string_path(obj, "metadata", "namespace"),
        .username = in->username,
        .now = in->now,
    };
    const char *os = lookup_string_path(ps.spec, "os", "name");
    e.windows = os != NULL && strcmp(os, "windows") == 0;
    struct hp_bool_val host_users = hp_k8s_get_bool(ps.spec, "hostUsers");
    e.host_users_false = host_users.state == HP_V_OK && !host_users.value;
    struct json_object *pod_sc = NULL;
    json_object_object_get_ex(ps.spec, "securityContext", &pod_sc);
    e.pod_sc = json_object_is_type(pod_sc, json_type_object) ? pod_sc : NULL;

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
