/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Generating the webhook configuration: one webhook per choice of the
 * namespace labels, for each webhook of the template. The API server calls
 * at most one webhook of a configuration per request only when their
 * selectors exclude one another, so every combination of label states
 * (absent, one profile, a value naming no profile) is written out: a
 * namespace's labels select exactly one webhook of each template webhook.
 * The template is read with the manifest loader; everything but the name,
 * the path and the label expressions is copied as it is.
 */
#include "internal.h"

#include "hardpod/manifest.h"
#include "hardpod/webhook.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEMPLATE_MAX ((size_t)1 << 20)
#define OUTPUT_MAX ((size_t)16 << 20)
#define NAME_MAX_LEN 253

enum hp_err hp_webhook_profiles_parse(const char *list, uint32_t *out, struct hp_error *err)
{
    uint32_t set = 0;
    const char *p = list;
    *out = 0;
    while (*p != '\0') {
        size_t n = strcspn(p, ",");
        char name[32];
        enum hp_profile profile;
        if (n == 0 || n >= sizeof(name)) {
            return hp_error_set(err, HP_ERR_INVALID,
                                "expected profile names separated by commas (hardened, "
                                "psa-restricted, psa-baseline, none), got \"%s\"",
                                list);
        }
        memcpy(name, p, n);
        name[n] = '\0';
        if (!hp_profile_lookup(name, &profile)) {
            return hp_error_set(err, HP_ERR_INVALID,
                                "\"%s\" is not a profile (hardened, psa-restricted, psa-baseline "
                                "or none)",
                                name);
        }
        if ((set & (1u << profile)) != 0) {
            return hp_error_set(err, HP_ERR_INVALID, "\"%s\" is listed twice", name);
        }
        set |= 1u << profile;
        p += n + (p[n] == ',');
        if (p[-1] == ',' && *p == '\0') {
            return hp_error_set(err, HP_ERR_INVALID, "a comma ends \"%s\"", list);
        }
    }
    *out = set;
    return HP_OK;
}

/* A deep copy built value by value: the loader's values carry positions,
 * which json-c's own deep copy does not know how to copy. */
static struct json_object *copy(struct json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_object: {
        struct json_object *o = json_object_new_object();
        json_object_object_foreach(v, key, val)
        {
            json_object_object_add(o, key, copy(val));
        }
        return o;
    }
    case json_type_array: {
        size_t n = json_object_array_length(v);
        struct json_object *a = json_object_new_array_ext((int)n);
        for (size_t i = 0; i < n; i++) {
            json_object_array_add(a, copy(json_object_array_get_idx(v, i)));
        }
        return a;
    }
    case json_type_boolean:
        return json_object_new_boolean(json_object_get_boolean(v));
    case json_type_int:
        return json_object_new_int64(json_object_get_int64(v));
    case json_type_double:
        return json_object_new_double(json_object_get_double(v));
    case json_type_string:
        return json_object_new_string_len(json_object_get_string(v), json_object_get_string_len(v));
    default:
        return NULL;
    }
}

static struct json_object *field(struct json_object *o, const char *key)
{
    struct json_object *v = NULL;
    if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v)) {
        return NULL;
    }
    return v;
}

static const char *string_field(struct json_object *o, const char *key)
{
    struct json_object *v = field(o, key);
    return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static bool is_label(const char *key)
{
    return key != NULL &&
           (strcmp(key, HP_WEBHOOK_LABEL_ENFORCE) == 0 || strcmp(key, HP_WEBHOOK_LABEL_WARN) == 0);
}

/* Checks webhooks[i] of the template. */
static enum hp_err check_webhook(const char *src, struct json_object *w, size_t i,
                                 struct hp_error *err)
{
    const char *name = string_field(w, "name");
    if (!json_object_is_type(w, json_type_object) || name == NULL || name[0] == '\0') {
        return hp_error_set(err, HP_ERR_INVALID, "%s: webhooks[%zu].name: expected a string", src,
                            i);
    }
    const char *path = string_field(field(field(w, "clientConfig"), "service"), "path");
    if (path == NULL || strcmp(path, HP_WEBHOOK_BASE_PATH) != 0) {
        return hp_error_set(err, HP_ERR_INVALID,
                            "%s: webhooks[%zu] (%s): clientConfig.service.path must be %s, the "
                            "path the label webhooks extend",
                            src, i, name, HP_WEBHOOK_BASE_PATH);
    }
    struct json_object *sel = field(w, "namespaceSelector");
    if (sel != NULL && !json_object_is_type(sel, json_type_object)) {
        return hp_error_set(err, HP_ERR_INVALID,
                            "%s: webhooks[%zu] (%s): namespaceSelector: expected a mapping", src, i,
                            name);
    }
    struct json_object *labels = field(sel, "matchLabels");
    if (labels != NULL && !json_object_is_type(labels, json_type_object)) {
        return hp_error_set(err, HP_ERR_INVALID,
                            "%s: webhooks[%zu] (%s): namespaceSelector.matchLabels: expected a "
                            "mapping",
                            src, i, name);
    }
    if (labels != NULL) {
        json_object_object_foreach(labels, key, val)
        {
            (void)val;
            if (is_label(key)) {
                return hp_error_set(err, HP_ERR_INVALID,
                                    "%s: webhooks[%zu] (%s): namespaceSelector.matchLabels: %s "
                                    "is written by the generator, not the template",
                                    src, i, name, key);
            }
        }
    }
    struct json_object *exprs = field(sel, "matchExpressions");
    if (exprs != NULL && !json_object_is_type(exprs, json_type_array)) {
        return hp_error_set(err, HP_ERR_INVALID,
                            "%s: webhooks[%zu] (%s): namespaceSelector.matchExpressions: expected "
                            "a list",
                            src, i, name);
    }
    for (size_t k = 0; exprs != NULL && k < json_object_array_length(exprs); k++) {
        if (is_label(string_field(json_object_array_get_idx(exprs, k), "key"))) {
            return hp_error_set(err, HP_ERR_INVALID,
                                "%s: webhooks[%zu] (%s): namespaceSelector.matchExpressions[%zu]: "
                                "the hardpod.dev labels are written by the generator, not the "
                                "template",
                                src, i, name, k);
        }
    }
    return HP_OK;
}

/* The profiles of set as a JSON list of names. */
static struct json_object *profile_list(uint32_t set)
{
    struct json_object *a = json_object_new_array();
    for (int p = 0; p <= HP_PROFILE_NONE; p++) {
        if ((set & (1u << p)) != 0) {
            json_object_array_add(a, json_object_new_string(hp_profile_name((enum hp_profile)p)));
        }
    }
    return a;
}

/* One requirement of a label: op is In, NotIn, Exists or DoesNotExist. */
static void add_requirement(struct json_object *exprs, const char *key, const char *op,
                            struct json_object *values)
{
    struct json_object *e = json_object_new_object();
    json_object_object_add(e, "key", json_object_new_string(key));
    json_object_object_add(e, "operator", json_object_new_string(op));
    if (values != NULL) {
        json_object_object_add(e, "values", values);
    }
    json_object_array_add(exprs, e);
}

/* What one label must be for a webhook: absent, exactly one profile, any
 * offered profile, or present with a value that is none of them. */
enum want { WANT_ABSENT, WANT_ONE, WANT_ANY_OFFERED, WANT_BAD };

static void add_label(struct json_object *exprs, const char *key, enum want want, int profile,
                      uint32_t set)
{
    struct json_object *one = NULL;
    switch (want) {
    case WANT_ABSENT:
        add_requirement(exprs, key, "DoesNotExist", NULL);
        break;
    case WANT_ONE:
        one = json_object_new_array();
        json_object_array_add(one,
                              json_object_new_string(hp_profile_name((enum hp_profile)profile)));
        add_requirement(exprs, key, "In", one);
        break;
    case WANT_ANY_OFFERED:
        add_requirement(exprs, key, "In", profile_list(set));
        break;
    case WANT_BAD:
        /* NotIn alone also matches a namespace without the label. */
        add_requirement(exprs, key, "Exists", NULL);
        add_requirement(exprs, key, "NotIn", profile_list(set));
        break;
    }
}

/* One label state for the enforce label and one for the warn label. */
struct choice {
    enum want enforce;
    int enforce_profile;
    enum want warn;
    int warn_profile;
};

/* Appends to list a copy of template webhook w for choice c. */
static enum hp_err add_variant(const char *src, struct json_object *list, struct json_object *w,
                               const struct choice *c, uint32_t set, struct hp_error *err)
{
    const char *base = string_field(w, "name");
    char name[512] = "";
    char path[128] = HP_WEBHOOK_BASE_PATH;
    size_t n = 0;
    size_t pn = strlen(path);
    if (c->enforce == WANT_BAD) {
        n = (size_t)snprintf(name, sizeof(name), "invalid-enforce.");
        snprintf(path + pn, sizeof(path) - pn, "/invalid/enforce");
    } else if (c->warn == WANT_BAD) {
        n = (size_t)snprintf(name, sizeof(name), "invalid-warn.%s",
                             c->enforce == WANT_ABSENT ? "" : "enforce-set.");
        snprintf(path + pn, sizeof(path) - pn, "/invalid/warn");
    } else {
        if (c->enforce == WANT_ONE) {
            const char *p = hp_profile_name((enum hp_profile)c->enforce_profile);
            n += (size_t)snprintf(name + n, sizeof(name) - n, "enforce-%s.", p);
            pn += (size_t)snprintf(path + pn, sizeof(path) - pn, "/enforce/%s", p);
        }
        if (c->warn == WANT_ONE) {
            const char *p = hp_profile_name((enum hp_profile)c->warn_profile);
            n += (size_t)snprintf(name + n, sizeof(name) - n, "warn-%s.", p);
            snprintf(path + pn, sizeof(path) - pn, "/warn/%s", p);
        }
    }
    if (n + strlen(base) > NAME_MAX_LEN) {
        return hp_error_set(err, HP_ERR_INVALID,
                            "%s: webhook names would be longer than %d bytes: \"%.40s...\" "
                            "with the prefix \"%s\" is %zu; shorten the template's name",
                            src, NAME_MAX_LEN, base, name, n + strlen(base));
    }
    snprintf(name + n, sizeof(name) - n, "%s", base);
    struct json_object *v = copy(w);
    json_object_object_add(v, "name", json_object_new_string(name));
    json_object_object_add(field(field(v, "clientConfig"), "service"), "path",
                           json_object_new_string(path));
    struct json_object *sel = field(v, "namespaceSelector");
    if (sel == NULL) {
        sel = json_object_new_object();
        json_object_object_add(v, "namespaceSelector", sel);
    }
    struct json_object *exprs = field(sel, "matchExpressions");
    if (exprs == NULL) {
        exprs = json_object_new_array();
        json_object_object_add(sel, "matchExpressions", exprs);
    }
    add_label(exprs, HP_WEBHOOK_LABEL_ENFORCE, c->enforce, c->enforce_profile, set);
    if (c->enforce != WANT_BAD) {
        add_label(exprs, HP_WEBHOOK_LABEL_WARN, c->warn, c->warn_profile, set);
    }
    json_object_array_add(list, v);
    return HP_OK;
}

/* Every choice for template webhook w, appended to list. */
static enum hp_err expand(const char *src, struct json_object *list, struct json_object *w,
                          uint32_t set, struct hp_error *err)
{
    enum hp_err rc = HP_OK;
    /* enforce and warn each: absent (-1), then every offered profile */
    for (int e = -1; rc == HP_OK && e <= HP_PROFILE_NONE; e++) {
        if (e >= 0 && (set & (1u << e)) == 0) {
            continue;
        }
        for (int q = -1; rc == HP_OK && q <= HP_PROFILE_NONE; q++) {
            if (q >= 0 && (set & (1u << q)) == 0) {
                continue;
            }
            const struct choice c = {e < 0 ? WANT_ABSENT : WANT_ONE, e,
                                     q < 0 ? WANT_ABSENT : WANT_ONE, q};
            rc = add_variant(src, list, w, &c, set, err);
        }
    }
    const struct choice bad[] = {
        {WANT_BAD, -1, WANT_ABSENT, -1},
        {WANT_ABSENT, -1, WANT_BAD, -1},
        {WANT_ANY_OFFERED, -1, WANT_BAD, -1},
    };
    for (size_t i = 0; rc == HP_OK && i < sizeof(bad) / sizeof(bad[0]); i++) {
        rc = add_variant(src, list, w, &bad[i], set, err);
    }
    return rc;
}

/* Checks the document and replaces its webhooks with the expansion. */
static enum hp_err rewrite(const char *src, struct json_object *doc, const struct hp_webhook_gen *g,
                           size_t *count, struct hp_error *err)
{
    const char *kind = string_field(doc, "kind");
    const char *api = string_field(doc, "apiVersion");
    if (kind == NULL || strcmp(kind, "ValidatingWebhookConfiguration") != 0 || api == NULL ||
        strcmp(api, "admissionregistration.k8s.io/v1") != 0) {
        return hp_error_set(err, HP_ERR_INVALID,
                            "%s: expected an admissionregistration.k8s.io/v1 "
                            "ValidatingWebhookConfiguration",
                            src);
    }
    struct json_object *hooks = field(doc, "webhooks");
    size_t n = json_object_is_type(hooks, json_type_array) ? json_object_array_length(hooks) : 0;
    if (n == 0) {
        return hp_error_set(err, HP_ERR_INVALID, "%s: webhooks: expected a list of webhooks", src);
    }
    for (size_t i = 0; i < n; i++) {
        struct json_object *w = json_object_array_get_idx(hooks, i);
        enum hp_err rc = check_webhook(src, w, i, err);
        if (rc != HP_OK) {
            return rc;
        }
        struct json_object *cc = field(w, "clientConfig");
        if (g->drop_ca_bundle) {
            json_object_object_del(cc, "caBundle");
        }
    }
    if (g->inject_ca_from != NULL) {
        struct json_object *meta = field(doc, "metadata");
        if (!json_object_is_type(meta, json_type_object)) {
            return hp_error_set(err, HP_ERR_INVALID, "%s: metadata: expected a mapping", src);
        }
        struct json_object *ann = field(meta, "annotations");
        if (ann == NULL) {
            ann = json_object_new_object();
            json_object_object_add(meta, "annotations", ann);
        }
        json_object_object_add(ann, "cert-manager.io/inject-ca-from",
                               json_object_new_string(g->inject_ca_from));
    }
    if (g->profiles == 0) {
        *count = n;
        return HP_OK;
    }
    struct json_object *list = json_object_new_array();
    enum hp_err rc = HP_OK;
    for (size_t i = 0; rc == HP_OK && i < n; i++) {
        rc = expand(src, list, json_object_array_get_idx(hooks, i), g->profiles, err);
    }
    if (rc != HP_OK) {
        json_object_put(list);
        return rc;
    }
    *count = json_object_array_length(list);
    json_object_object_add(doc, "webhooks", list);
    return HP_OK;
}

static void put_header(struct hp_buf *out, const char *src, const struct hp_webhook_gen *g,
                       size_t count)
{
    hp_buf_printf(out,
                  "# Generated by hardpod from %s: edit that template and generate again\n"
                  "# (hardpod webhook-config --help), never this file.\n",
                  src);
    if (g->profiles == 0) {
        hp_buf_printf(out, "# %zu webhooks, as in the template: no namespace labels.\n", count);
        return;
    }
    hp_buf_printf(out,
                  "# %zu webhooks: for each of the template's, one per choice of the namespace\n"
                  "# labels " HP_WEBHOOK_LABEL_ENFORCE " and " HP_WEBHOOK_LABEL_WARN
                  ", each absent or one of\n#",
                  count);
    const char *sep = " ";
    for (int p = 0; p <= HP_PROFILE_NONE; p++) {
        if ((g->profiles & (1u << p)) != 0) {
            hp_buf_printf(out, "%s%s", sep, hp_profile_name((enum hp_profile)p));
            sep = ", ";
        }
    }
    hp_buf_puts(out, "; and three that refuse a value naming no profile.\n"
                     "# Their namespaceSelectors exclude one another: the API server calls one\n"
                     "# webhook of each of the template's per request.\n");
}

enum hp_err hp_webhook_config_generate(const char *text, size_t len, const struct hp_webhook_gen *g,
                                       char **out, size_t *out_len, struct hp_error *err)
{
    const char *src = g->source != NULL ? g->source : "<template>";
    struct hp_manifest_limits lim = hp_manifest_default_limits;
    struct hp_manifest_budget budget;
    struct hp_manifest_doc doc;
    struct hp_buf b;
    size_t count = 0;
    enum hp_err rc = HP_OK;
    *out = NULL;
    *out_len = 0;
    memset(&doc, 0, sizeof(doc));
    hp_buf_init(&b, OUTPUT_MAX);
    if (len > TEMPLATE_MAX) {
        rc = hp_error_set(err, HP_ERR_LIMIT, "%s: %zu bytes, over the limit of %zu", src, len,
                          TEMPLATE_MAX);
        goto out;
    }
    lim.max_bytes = TEMPLATE_MAX;
    hp_manifest_budget_init(&budget, lim.max_memory, NULL);
    if (hp_manifest_load_one(text, len, &lim, &budget, &doc) != HP_OK) {
        rc = hp_error_set(err, HP_ERR_INVALID, "%s: %s", src, doc.error);
        goto out;
    }
    if (!json_object_is_type(doc.obj, json_type_object)) {
        rc =
            hp_error_set(err, HP_ERR_INVALID, "%s: expected one YAML document with a mapping", src);
        goto out;
    }
    if ((rc = rewrite(src, doc.obj, g, &count, err)) != HP_OK) {
        goto out;
    }
    put_header(&b, src, g, count);
    wh_yaml_write(&b, doc.obj);
    if (b.overflow) {
        rc = hp_error_set(err, HP_ERR_LIMIT, "%s: the configuration would be over %zu MiB", src,
                          OUTPUT_MAX >> 20);
        goto out;
    }
    *out = hp_buf_take(&b, out_len);
out:
    hp_buf_cleanup(&b);
    hp_manifest_doc_cleanup(&doc);
    return rc;
}
