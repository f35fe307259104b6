/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Recording findings: the paths and container names that messages quote
 * (formatted only when a finding needs them), the descriptions of bad
 * fields, and the exemption that downgrades a finding to a warning. Checks
 * call these; nothing here calls a check.
 */
#include "internal.h"

#include "hardpod/buf.h"

#include <fnmatch.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *pol_path(struct pol_eval *e, const char *fmt, ...)
{
    pol_names(e);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->scratch, sizeof(e->scratch), fmt, ap);
    va_end(ap);
    return e->scratch;
}

void pol_names(struct pol_eval *e)
{
    static const char *const kinds[] = {"init container", "container", "ephemeral container"};
    if (e->names_ready || e->ctr == NULL) {
        return;
    }
    snprintf(e->cpath, sizeof(e->cpath), "%s%s%s[%zu]", e->ps->prefix,
             e->ps->prefix[0] != '\0' ? "." : "", hp_k8s_list_name(e->list), e->index);
    snprintf(e->who, sizeof(e->who), "%s \"%.63s%s\"", kinds[e->list], e->cname,
             strlen(e->cname) > 63 ? "..." : "");
    e->names_ready = true;
}

const char *pol_bad(struct json_object *parent, const char *key, char *buf, size_t size)
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

const char *pol_sc_path(struct pol_eval *e, const char *field)
{
    return pol_path(e, "%s.securityContext.%s", e->cpath, field);
}

const char *pol_sc_why(const struct pol_eval *e, enum hp_vstate st, const char *key,
                       const char *otherwise, char *buf, size_t size)
{
    if (st != HP_V_BAD) {
        return otherwise;
    }
    if (e->sc_bad) {
        snprintf(buf, size, ": securityContext is not an object");
        return buf;
    }
    char why[128];
    snprintf(buf, size, ": %s", pol_bad(e->sc, key, why, sizeof(why)));
    return buf;
}

static bool glob(const char *pattern, const char *s)
{
    return s != NULL && fnmatch(pattern, s, 0) == 0;
}

/* Whether ns is in x's namespaces (none listed: every namespace). */
static bool in_namespaces(const struct hp_exemption *x, const char *ns)
{
    for (size_t j = 0; j < x->n_namespaces; j++) {
        if (glob(x->namespaces[j], ns)) {
            return true;
        }
    }
    return x->n_namespaces == 0;
}

static const struct hp_exemption *find_exemption(const struct pol_eval *e, enum hp_check c,
                                                 bool ctr)
{
    for (size_t i = 0; i < e->p->n_exemptions; i++) {
        const struct hp_exemption *x = &e->p->exemptions[i];
        if (hp_exemption_expired(x, e->now)) {
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
        case HP_EXEMPT_IMAGE:
            if (ctr && (x->checks & (1u << c)) != 0 && glob(x->pattern, e->image) &&
                in_namespaces(x, e->ns)) {
                return x;
            }
            break;
        case HP_EXEMPT_WORKLOAD:
            /* Never without a namespace: names are unique only within one. */
            if ((x->checks & (1u << c)) != 0 && e->ns != NULL && e->ns[0] != '\0' &&
                x->n_namespaces > 0 && in_namespaces(x, e->ns) && e->wl != NULL &&
                pol_workload_match(e->wl, x)) {
                return x;
            }
            break;
        }
    }
    return NULL;
}

static void emit_v(struct pol_eval *e, enum hp_check c, enum hp_action action, bool ctr,
                   const char *path, const char *fix, bool copy_fix, const char *fmt, va_list ap)
{
    char msg[768];
    pol_names(e);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    /* Names and values are cut to a bounded length ("%.63s"), which can split
     * a multi-byte character: drop such fragments rather than emit them. */
    size_t msg_len = hp_utf8_repair(msg);
    const struct hp_exemption *x = find_exemption(e, c, ctr);
    /* The strings copied below: path, container name, message and an owned fix. */
    size_t need = strnlen(path, 511) + 1 + (ctr ? strlen(e->cname) + 1 : 0) + msg_len + 1 +
                  (x != NULL ? strlen("exempt: : ") + strlen(x->reason) : 0) +
                  (copy_fix ? strnlen(fix, 511) + 1 : 0);
    if (!pol_findings_room(e->out, need)) {
        pol_findings_drop(e->out, x != NULL ? HP_ACTION_WARN : action);
        return;
    }
    char *where = pol_findings_strndup(e->out, path, strnlen(path, 511));
    hp_utf8_repair(where);
    if (copy_fix) {
        char *owned = pol_findings_strndup(e->out, fix, strnlen(fix, 511));
        hp_utf8_repair(owned);
        fix = owned;
    }
    struct hp_finding f = {
        .check = c,
        .action = action,
        .container = ctr ? pol_findings_strndup(e->out, e->cname, strlen(e->cname)) : NULL,
        .path = where,
        .fix = fix,
        .line = e->line,
    };
    if (x != NULL) {
        f.exempt = true;
        f.action = HP_ACTION_WARN;
        f.exempt_reason = x->reason;
        f.message = pol_findings_printf(e->out, "exempt: %s: %s", x->reason, msg);
        f.detail = f.message + strlen(f.message) - strlen(msg);
    } else {
        f.message = pol_findings_strndup(e->out, msg, msg_len);
        f.detail = f.message;
    }
    pol_findings_push(e->out, &f);
}

void pol_emit(struct pol_eval *e, enum hp_check c, bool ctr, const char *path, const char *fix,
              const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit_v(e, c, e->p->checks[c].action, ctr, path, fix, false, fmt, ap);
    va_end(ap);
}

void pol_emit_action(struct pol_eval *e, enum hp_check c, enum hp_action action, bool ctr,
                     const char *path, const char *fix, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit_v(e, c, action, ctr, path, fix, false, fmt, ap);
    va_end(ap);
}

void pol_emit_owned(struct pol_eval *e, enum hp_check c, enum hp_action action, bool ctr,
                    const char *path, const char *fix, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit_v(e, c, action, ctr, path, fix, true, fmt, ap);
    va_end(ap);
}
