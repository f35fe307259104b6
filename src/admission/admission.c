/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The admission driver: has the body prepared and parsed (body.c) and the
 * request decoded (request.c), decides whether the object must be
 * evaluated, evaluates it in place and has the response encoded once
 * (response.c). No I/O, clock or logging: the caller passes the time and
 * logs from the result.
 */
#include "internal.h"

#include "hardpod/k8s.h"
#include "hardpod/readset.h"

#include <json-c/json.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hp_admission_init(struct hp_admission *a)
{
    memset(a, 0, sizeof(*a));
    a->tok = json_tokener_new_ex(HP_ADMISSION_MAX_DEPTH);
    if (a->tok == NULL) {
        hp_oom();
    }
    /* ALLOW_TRAILING_CHARS only makes the tokener stop after the first value:
     * adm_json_parse rejects anything but whitespace after it, with its own
     * message. */
    json_tokener_set_flags(a->tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
    hp_findings_init(&a->findings);
    hp_findings_init(&a->warn_findings);
    hp_findings_set_max_bytes(&a->warn_findings, HP_ADMISSION_WARN_FINDINGS_BYTES);
    hp_admission_body_init(&a->body);
}

void hp_admission_clear(struct hp_admission *a)
{
    json_object_put(a->root);
    a->root = NULL;
    hp_findings_reset(&a->findings);
    hp_findings_reset(&a->warn_findings);
}

void hp_admission_cleanup(struct hp_admission *a)
{
    json_object_put(a->root);
    a->root = NULL;
    if (a->tok != NULL) {
        json_tokener_free(a->tok);
        a->tok = NULL;
    }
    hp_findings_cleanup(&a->findings);
    hp_findings_cleanup(&a->warn_findings);
    hp_admission_body_cleanup(&a->body);
}

/* Whether the pod-level AppArmor annotations, which the engine reads from the
 * pod (or template) metadata, are the same in both. */
static bool same_apparmor(struct json_object *meta, struct json_object *old_meta)
{
    static const char prefix[] = "container.apparmor.security.beta.kubernetes.io/";
    struct json_object *ann = hp_k8s_field(meta, "annotations");
    struct json_object *old = hp_k8s_field(old_meta, "annotations");
    size_t n = 0;
    size_t n_old = 0;
    if (json_object_is_type(ann, json_type_object)) {
        json_object_object_foreach(ann, key, val)
        {
            if (strncmp(key, prefix, sizeof(prefix) - 1) != 0) {
                continue;
            }
            struct json_object *v = NULL;
            if (!json_object_is_type(old, json_type_object) ||
                !json_object_object_get_ex(old, key, &v) || !json_object_equal(val, v)) {
                return false;
            }
            n++;
        }
    }
    if (json_object_is_type(old, json_type_object)) {
        json_object_object_foreach(old, key, val)
        {
            (void)val;
            n_old += strncmp(key, prefix, sizeof(prefix) - 1) == 0;
        }
    }
    return n == n_old;
}

/* An UPDATE that leaves the pod spec byte for byte as it was, and the
 * AppArmor annotations. Pod Security Admission skips these too, so
 * that metadata-only updates of a violating object never get stuck. */
static bool unchanged(const struct adm_request *r, enum hp_workload w,
                      const struct hp_admission_body *b)
{
    struct hp_podspec now;
    struct hp_podspec old;
    if (hp_k8s_podspec_find(r->object, w, &now, NULL) != HP_OK ||
        hp_k8s_podspec_find(r->old_object, w, &old, NULL) != HP_OK) {
        return false;
    }
    size_t k = w == HP_WORKLOAD_POD           ? 0
               : w == HP_WORKLOAD_CRONJOB     ? HP_MARK_CRON_SPEC - HP_MARK_SPEC
               : w == HP_WORKLOAD_PODTEMPLATE ? HP_MARK_PODTEMPLATE_SPEC - HP_MARK_SPEC
                                              : HP_MARK_TEMPLATE_SPEC - HP_MARK_SPEC;
    return b->same_spec[k] && same_apparmor(now.metadata, old.metadata);
}

/* The pod specs of a custom resource, as one walk finds them. */
#define SAME_MAX_SPECS 64
struct spec_list {
    struct json_object *spec[SAME_MAX_SPECS];
    struct json_object *meta[SAME_MAX_SPECS];
    size_t n;
    bool over; /* more than SAME_MAX_SPECS: compared as changed */
};

static enum hp_err collect(const struct hp_podspec *ps, void *arg, struct hp_error *err)
{
    (void)err;
    struct spec_list *l = arg;
    if (l->n == SAME_MAX_SPECS) {
        l->over = true;
        return HP_ERR_LIMIT;
    }
    l->spec[l->n] = ps->spec;
    l->meta[l->n] = ps->metadata;
    l->n++;
    return HP_OK;
}

/* unchanged() for a custom kind: the same pod specs, in the same places,
 * each equal to the old one, and the same AppArmor annotations. */
static bool unchanged_custom(const struct adm_request *r, const struct hp_k8s_kind *k)
{
    struct spec_list now = {.n = 0};
    struct spec_list old = {.n = 0};
    if (hp_k8s_podspec_each(r->object, k, collect, &now, NULL) != HP_OK ||
        hp_k8s_podspec_each(r->old_object, k, collect, &old, NULL) != HP_OK || now.n != old.n) {
        return false;
    }
    for (size_t i = 0; i < now.n; i++) {
        if (!json_object_equal(now.spec[i], old.spec[i]) ||
            !same_apparmor(now.meta[i], old.meta[i])) {
            return false;
        }
    }
    return true;
}

/* Whether the request was sent for a Pod: to the core pods resource (the
 * object or its ephemeralcontainers subresource), or, when the review names
 * no resource, to the ephemeralcontainers subresource. */
static bool on_pods(const struct adm_request *r)
{
    if (r->resource != NULL) {
        return r->res_group != NULL && r->res_group[0] == '\0' && strcmp(r->resource, "pods") == 0;
    }
    return r->sub_resource != NULL;
}

/* Runs the engine on request.object unless the request is one that is never
 * evaluated; res->skip says why not. */
static enum hp_err evaluate(struct hp_admission *a, const struct hp_admission_ctx *ctx,
                            const struct hp_admission_body *b, const struct adm_request *r,
                            struct hp_admission_result *res, struct hp_error *err)
{
    if (r->op == ADM_OP_DELETE || r->op == ADM_OP_CONNECT) {
        res->skip = HP_SKIP_OPERATION;
        return HP_OK;
    }
    if (r->sub_resource != NULL && strcmp(r->sub_resource, "ephemeralcontainers") != 0) {
        res->skip = HP_SKIP_SUBRESOURCE;
        return HP_OK;
    }
    char api_version[512];
    int n = r->group[0] == '\0'
                ? snprintf(api_version, sizeof(api_version), "%s", r->version)
                : snprintf(api_version, sizeof(api_version), "%s/%s", r->group, r->version);
    if (n < 0 || (size_t)n >= sizeof(api_version)) {
        return hp_error_set(err, HP_ERR_INVALID, "request.kind: group and version too long");
    }
    enum hp_workload w = hp_k8s_workload(api_version, r->kind);
    if (on_pods(r) && w != HP_WORKLOAD_POD && w != HP_WORKLOAD_EPHEMERAL_CONTAINERS) {
        /* Whatever arrives for a Pod must be read, or the Pod runs unchecked. */
        res->skip = HP_SKIP_UNREADABLE;
        return HP_OK;
    }
    const struct hp_k8s_kind *custom = NULL;
    if (w == HP_WORKLOAD_NONE) {
        /* A custom resource is read when the config or the built-in entries
         * say where its pod specs are; the webhook sees it only when it is
         * registered for it (deploy/webhook/webhook.yaml.in). */
        custom = hp_k8s_kind_find(ctx->config->policy.kinds, api_version, r->kind);
        if (custom == NULL) {
            res->skip = HP_SKIP_NO_POD_SPEC;
            return HP_OK;
        }
        /* The read set knows the built-in entries' paths, not the config's:
         * those need the whole body, which hp_admission_prepare keeps for a
         * config with customKinds. A body prepared under an older config
         * without them is refused rather than read in part. */
        if (custom->storage != NULL && !b->whole) {
            return hp_error_set(err, HP_ERR_INVALID,
                                "request.kind: %s is read through the config's customKinds, "
                                "which changed while this request was read; send it again",
                                r->kind);
        }
    }
    /* An EphemeralContainers object has no pod spec to compare: always judged. */
    if (r->op == ADM_OP_UPDATE && w != HP_WORKLOAD_EPHEMERAL_CONTAINERS &&
        (custom != NULL ? unchanged_custom(r, custom) : unchanged(r, w, b))) {
        res->skip = HP_SKIP_UNCHANGED;
        return HP_OK;
    }
    if (ctx->bad_label != NULL) {
        /* No profile was chosen: nothing is judged, everything is refused
         * (metadata-only updates above still pass, so that nothing gets
         * stuck on its finalizers). */
        res->skip = HP_SKIP_BAD_LABEL;
        return HP_OK;
    }
    struct hp_eval_input in = {
        .object = r->object,
        .api_version = api_version,
        .kind = r->kind,
        .ns = r->ns,
        .username = r->username,
        .now = ctx->now,
    };
    struct hp_error eval_err;
    hp_error_clear(&eval_err);
    enum hp_err rc = hp_policy_eval(&ctx->config->policy, &in, &a->findings, &eval_err);
    if (rc == HP_OK && ctx->warn != NULL) {
        rc = hp_policy_eval(ctx->warn, &in, &a->warn_findings, &eval_err);
        res->warn_findings = &a->warn_findings;
    }
    if (rc != HP_OK) {
        /* The engine names paths inside the object. */
        return hp_error_set(err, rc, "request.object.%s", eval_err.msg);
    }
    if (!a->findings.has_podspec) {
        res->skip = HP_SKIP_NO_POD_SPEC;
    }
    return HP_OK;
}

static void decide(struct hp_admission_result *res, const struct hp_findings *f)
{
    if (res->skip == HP_SKIP_UNREADABLE) {
        res->n_deny = 1;
        res->decision = res->mode == HP_MODE_ENFORCE ? HP_DECISION_DENIED : HP_DECISION_WARNED;
        return;
    }
    if (res->skip == HP_SKIP_BAD_LABEL) {
        res->n_deny = 1;
        res->decision = HP_DECISION_DENIED;
        return;
    }
    const struct hp_findings *wf = res->warn_findings;
    bool warn_profile_found = wf != NULL && wf->len + wf->n_dropped > 0;
    res->n_deny = f->n_deny;
    res->n_warn = f->n_warn;
    for (size_t i = 0; i < f->len; i++) {
        res->checks_fired |= 1u << f->items[i].check;
    }
    if (res->mode == HP_MODE_ENFORCE && f->n_deny > 0) {
        res->decision = HP_DECISION_DENIED;
    } else if (f->len > 0 || warn_profile_found) {
        res->decision = HP_DECISION_WARNED;
    } else {
        res->decision = HP_DECISION_ALLOWED;
    }
}

static enum hp_err handle(struct hp_admission *a, const struct hp_admission_ctx *ctx,
                          const char *body, size_t len, bool full, struct hp_admission_result *res,
                          struct hp_buf *out, struct hp_error *err)
{
    full = full || ctx->config->policy.kinds != NULL;
    enum hp_err rc = adm_body_prepare(a, body, len, full, &a->body, err);
    if (rc == HP_OK) {
        rc = hp_admission_handle_body(a, ctx, &a->body, res, out, err);
    } else {
        json_object_put(a->root);
        a->root = NULL;
        hp_findings_reset(&a->findings);
        hp_findings_reset(&a->warn_findings);
        hp_buf_reset(out);
        *res = (struct hp_admission_result){.uid = "",
                                            .kind = "",
                                            .ns = "",
                                            .name = "",
                                            .operation = "",
                                            .username = "",
                                            .findings = &a->findings};
    }
    /* Keep no more than 1 MiB of scratch between requests. */
    if (a->body.text.cap > (1u << 20)) {
        hp_admission_body_cleanup(&a->body);
        hp_admission_body_init(&a->body);
    }
    return rc;
}

enum hp_err hp_admission_handle(struct hp_admission *a, const struct hp_admission_ctx *ctx,
                                const char *body, size_t len, struct hp_admission_result *res,
                                struct hp_buf *out, struct hp_error *err)
{
    return handle(a, ctx, body, len, false, res, out, err);
}

enum hp_err adm_handle_full(struct hp_admission *a, const struct hp_admission_ctx *ctx,
                            const char *body, size_t len, struct hp_admission_result *res,
                            struct hp_buf *out, struct hp_error *err)
{
    return handle(a, ctx, body, len, true, res, out, err);
}

enum hp_err hp_admission_handle_body(struct hp_admission *a, const struct hp_admission_ctx *ctx,
                                     const struct hp_admission_body *b,
                                     struct hp_admission_result *res, struct hp_buf *out,
                                     struct hp_error *err)
{
    struct adm_request r;
    hp_buf_reset(out);
    json_object_put(a->root);
    a->root = NULL;
    hp_findings_reset(&a->findings);
    hp_findings_reset(&a->warn_findings);
    const char *profile = ctx->profile_name != NULL ? ctx->profile_name
                                                    : hp_profile_name(ctx->config->policy.profile);
    *res = (struct hp_admission_result){
        .uid = "",
        .kind = "",
        .ns = "",
        .name = "",
        .operation = "",
        .username = "",
        .findings = &a->findings,
        .profile = profile,
        .warn_profile = ctx->warn != NULL ? ctx->warn_name : NULL,
        .bad_label = ctx->bad_label,
    };
    enum hp_err rc = adm_json_parse(a, b->text.data, b->text.len, &a->root, err);
    if (rc == HP_OK) {
        rc = adm_request_decode(a->root, &r, err);
    }
    if (rc != HP_OK) {
        goto out;
    }
    res->uid = r.uid;
    res->kind = r.kind;
    res->ns = r.ns;
    res->name = r.name;
    res->operation = r.operation;
    res->username = r.username != NULL ? r.username : "";
    res->v1beta1 = r.v1beta1;
    res->dry_run = r.dry_run;
    res->mode = ctx->mode != NULL ? *ctx->mode : hp_config_mode_for(ctx->config, r.ns);
    rc = evaluate(a, ctx, b, &r, res, err);
    if (rc != HP_OK) {
        goto out;
    }
    decide(res, &a->findings);
    rc = adm_response_encode(&r, res, profile, out, err);
out:
    if (rc != HP_OK) {
        hp_findings_reset(&a->findings);
        hp_findings_reset(&a->warn_findings);
        res->warn_findings = NULL;
        hp_buf_reset(out);
    }
    return rc;
}
