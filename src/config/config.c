/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Loading a config file: read it under a size cap, load it with the manifest
 * loader (the same YAML reading as manifests; JSON is YAML flow style, so
 * both go the same way), check the top-level keys and build a struct
 * hp_config. A parse either yields a whole
 * config or leaves the defaults; it never keeps part of a bad file.
 */
#include "internal.h"

#include "hardpod/file.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum top_key {
    TOP_PROFILE,
    TOP_MODE,
    TOP_NS_MODES,
    TOP_CHECKS,
    TOP_EXEMPTIONS,
    TOP_KINDS,
    TOP_COUNT,
};

static const char *const top_names[TOP_COUNT] = {"profile", "mode",       "namespaceModes",
                                                 "checks",  "exemptions", "customKinds"};
static const char *const ns_mode_names[] = {"namespace", "mode"};
static const char *const mode_names[] = {"enforce", "audit"};

void hp_config_init(struct hp_config *c)
{
    memset(c, 0, sizeof(*c));
    hp_policy_init(&c->policy, HP_PROFILE_HARDENED);
    c->mode = HP_MODE_ENFORCE;
}

void hp_config_cleanup(struct hp_config *c)
{
    hp_policy_cleanup(&c->policy);
    for (size_t i = 0; i < c->n_ns_modes; i++) {
        free(c->ns_modes[i].pattern);
    }
    free(c->ns_modes);
    memset(c, 0, sizeof(*c));
}

const char *hp_mode_name(enum hp_mode m)
{
    return (unsigned)m <= HP_MODE_AUDIT ? mode_names[m] : "unknown";
}

bool hp_mode_lookup(const char *name, enum hp_mode *out)
{
    for (int m = HP_MODE_ENFORCE; m <= HP_MODE_AUDIT; m++) {
        if (strcmp(mode_names[m], name) == 0) {
            *out = (enum hp_mode)m;
            return true;
        }
    }
    return false;
}

enum hp_mode hp_config_mode_for(const struct hp_config *c, const char *ns)
{
    if (ns != NULL && ns[0] != '\0') {
        for (size_t i = 0; i < c->n_ns_modes; i++) {
            if (fnmatch(c->ns_modes[i].pattern, ns, 0) == 0) {
                return c->ns_modes[i].mode;
            }
        }
    }
    return c->mode;
}

static enum hp_err get_mode(struct cfg_ctx *cx, const struct cfg_node *node, const char *path,
                            enum hp_mode *out)
{
    const struct cfg_choice modes[] = {
        {hp_mode_name(HP_MODE_ENFORCE), HP_MODE_ENFORCE},
        {hp_mode_name(HP_MODE_AUDIT), HP_MODE_AUDIT},
    };
    int v = 0;
    enum hp_err rc = cfg_get_enum(cx, node, path, "mode", modes, 2, &v);
    if (rc == HP_OK) {
        *out = (enum hp_mode)v;
    }
    return rc;
}

static enum hp_err get_profile(struct cfg_ctx *cx, const struct cfg_node *node,
                               enum hp_profile *out)
{
    const struct cfg_choice profiles[] = {
        {hp_profile_name(HP_PROFILE_HARDENED), HP_PROFILE_HARDENED},
        {hp_profile_name(HP_PROFILE_PSA_RESTRICTED), HP_PROFILE_PSA_RESTRICTED},
        {hp_profile_name(HP_PROFILE_PSA_BASELINE), HP_PROFILE_PSA_BASELINE},
        {hp_profile_name(HP_PROFILE_NONE), HP_PROFILE_NONE},
    };
    int v = 0;
    enum hp_err rc = cfg_get_enum(cx, node, "profile", "profile", profiles, 4, &v);
    if (rc == HP_OK) {
        *out = (enum hp_profile)v;
    }
    return rc;
}

static enum hp_err parse_ns_mode(struct cfg_ctx *cx, const struct cfg_node *node, const char *path,
                                 struct hp_namespace_mode *m)
{
    struct cfg_node v[2];
    char kpath[CFG_PATH_MAX];
    const struct cfg_keys keys = {ns_mode_names, 2, 3u, NULL};
    const char *s = NULL;
    enum hp_err rc = HP_OK;
    if (!cfg_is_map(node)) {
        char got[256];
        cfg_describe(node, got, sizeof(got));
        return cfg_fail(cx, node->line, path, "expected a mapping, got %s", got);
    }
    if ((rc = cfg_get_map(cx, node, path, &keys, v)) != HP_OK) {
        goto out;
    }
    if (!cfg_has(&v[0]) || !cfg_has(&v[1])) {
        rc = cfg_fail(cx, node->line, path, "missing %s (each entry needs namespace and mode)",
                      !cfg_has(&v[0]) ? "namespace" : "mode");
        goto out;
    }
    hp_manifest_path_key(kpath, sizeof(kpath), path, "namespace");
    if ((rc = cfg_get_string(cx, &v[0], kpath, true, &s)) != HP_OK) {
        goto out;
    }
    m->pattern = hp_xstrdup(s);
    hp_manifest_path_key(kpath, sizeof(kpath), path, "mode");
    rc = get_mode(cx, &v[1], kpath, &m->mode);
out:
    return rc;
}

static enum hp_err ns_mode_item(struct cfg_ctx *cx, const struct cfg_node *item, const char *path,
                                void *arg)
{
    struct hp_config *c = arg;
    struct hp_namespace_mode *m = &c->ns_modes[c->n_ns_modes++];
    m->line = item->line;
    return parse_ns_mode(cx, item, path, m);
}

static enum hp_err parse_ns_modes(struct cfg_ctx *cx, const struct cfg_node *node,
                                  struct hp_config *c)
{
    size_t n = 0;
    enum hp_err rc = cfg_get_list(cx, node, "namespaceModes", &n);
    if (rc != HP_OK || n == 0) {
        goto out;
    }
    c->ns_modes = hp_xcalloc(n, sizeof(*c->ns_modes));
    rc = cfg_each(cx, node, "namespaceModes", ns_mode_item, c);
out:
    return rc;
}

/* Builds c from the document's root (absent for an empty file). */
static enum hp_err apply_root(struct cfg_ctx *cx, const struct cfg_node *root,
                              const enum hp_profile *profile, struct hp_config *c)
{
    struct cfg_node v[TOP_COUNT];
    const struct cfg_keys keys = {top_names, TOP_COUNT, (1u << TOP_COUNT) - 1, NULL};
    enum hp_profile chosen = HP_PROFILE_HARDENED;
    enum hp_err rc = HP_OK;
    memset(v, 0, sizeof(v));
    if (cfg_has(root) && !cfg_is_map(root) && !root->is_null) {
        char got[256];
        cfg_describe(root, got, sizeof(got));
        rc = cfg_fail(cx, root->line, NULL, "expected a mapping at the top level, got %s", got);
        goto out;
    }
    if (cfg_has(root) && (rc = cfg_get_map(cx, root, "", &keys, v)) != HP_OK) {
        goto out;
    }
    /* The file's profile is validated even when the caller overrides it. */
    if (cfg_has(&v[TOP_PROFILE]) && (rc = get_profile(cx, &v[TOP_PROFILE], &chosen)) != HP_OK) {
        goto out;
    }
    if (profile != NULL) {
        chosen = *profile;
    }
    hp_policy_cleanup(&c->policy);
    hp_policy_init(&c->policy, chosen);
    if (cfg_has(&v[TOP_MODE]) && (rc = get_mode(cx, &v[TOP_MODE], "mode", &c->mode)) != HP_OK) {
        goto out;
    }
    if (cfg_has(&v[TOP_NS_MODES]) && (rc = parse_ns_modes(cx, &v[TOP_NS_MODES], c)) != HP_OK) {
        goto out;
    }
    if ((rc = cfg_apply_checks(cx, &v[TOP_CHECKS], &c->policy)) != HP_OK) {
        goto out;
    }
    if ((rc = cfg_apply_exemptions(cx, &v[TOP_EXEMPTIONS], &c->policy)) != HP_OK) {
        goto out;
    }
    rc = cfg_apply_kinds(cx, &v[TOP_KINDS], &c->policy);
out:
    return rc;
}

/* Words what stopped the loader the way every config message reads:
 * "SOURCE:LINE: [KEYPATH: ]problem". */
static enum hp_err load_error(struct cfg_ctx *cx, const struct hp_manifest_fault *f)
{
    const char *src = cx->source;
    const char *path = f->path;
    enum hp_err code = f->code;

    switch (f->kind) {
    case HP_MANIFEST_FAULT_SYNTAX:
        if (f->context[0] != '\0') {
            return hp_error_set(cx->err, code, "%s:%zu: invalid YAML: %s (%s at line %zu)", src,
                                f->line, f->problem, f->context, f->other_line);
        }
        return hp_error_set(cx->err, code, "%s:%zu: invalid YAML: %s", src, f->line, f->problem);
    case HP_MANIFEST_FAULT_ENCODING:
        return hp_error_set(cx->err, code, "%s:%zu: invalid input: %s", src, f->line, f->problem);
    case HP_MANIFEST_FAULT_ALIAS:
        return hp_error_set(cx->err, code, "%s:%zu: invalid YAML: found undefined alias", src,
                            f->line);
    case HP_MANIFEST_FAULT_DUPLICATE:
        if (f->other_line != 0) {
            return hp_error_set(cx->err, code, "%s:%zu: %s: duplicate key (first at line %zu)", src,
                                f->line, path, f->other_line);
        }
        return hp_error_set(cx->err, code, "%s:%zu: %s: duplicate key", src, f->line, path);
    case HP_MANIFEST_FAULT_KEY:
        return hp_error_set(cx->err, code, "%s:%zu: %s%sexpected a string key, got %s", src,
                            f->line, path, path[0] != '\0' ? ": " : "", f->problem);
    case HP_MANIFEST_FAULT_NODES:
        return hp_error_set(cx->err, code,
                            "%s:%zu: too many values after expanding aliases (limit %u)", src,
                            f->line, CFG_MAX_NODES);
    case HP_MANIFEST_FAULT_SECOND_DOC:
        return hp_error_set(cx->err, code,
                            "%s:%zu: a second YAML document (a config file holds exactly one)", src,
                            f->line);
    case HP_MANIFEST_FAULT_DEPTH:
        return hp_error_set(cx->err, code, "%s:%zu: %s", src, f->line, f->problem);
    default:
        return hp_error_set(cx->err, code, "%s:%zu: %s%s%s", src, f->line, path,
                            path[0] != '\0' ? ": " : "", f->problem);
    }
}

enum hp_err hp_config_parse(const char *data, size_t len, const char *source,
                            const enum hp_profile *profile, struct hp_config *out,
                            struct hp_error *err)
{
    /* The manifest loader's limits, with the config's depth and value caps. */
    struct hp_manifest_limits lim = hp_manifest_default_limits;
    struct hp_manifest_budget budget;
    struct hp_manifest_doc doc;
    struct hp_config c;
    struct cfg_ctx cx = {source != NULL ? source : "<config>", err};
    struct cfg_node root;
    enum hp_err rc = HP_OK;
    hp_config_init(&c);
    memset(&doc, 0, sizeof(doc));
    if (len > HP_CONFIG_MAX_BYTES) {
        rc = hp_error_set(err, HP_ERR_LIMIT, "%s: the config is %zu bytes, over the limit of %u",
                          cx.source, len, HP_CONFIG_MAX_BYTES);
        goto out;
    }
    lim.max_bytes = HP_CONFIG_MAX_BYTES;
    lim.max_depth = CFG_MAX_DEPTH;
    lim.max_nodes = CFG_MAX_NODES;
    hp_manifest_budget_init(&budget, lim.max_memory, NULL);
    if (hp_manifest_load_one(data, len, &lim, &budget, &doc) != HP_OK) {
        rc = load_error(&cx, doc.fault);
        goto out;
    }
    cfg_node_init(&root, doc.obj, doc.root_pos);
    if (doc.root_pos == NULL) {
        root.line = 0; /* no document: the defaults */
    }
    rc = apply_root(&cx, &root, profile, &c);
out:
    hp_manifest_doc_cleanup(&doc);
    if (rc != HP_OK) {
        hp_config_cleanup(&c);
        hp_config_init(&c);
    }
    *out = c;
    return rc;
}

enum hp_err hp_config_load(const char *path, const enum hp_profile *profile, struct hp_config *out,
                           struct hp_error *err)
{
    char *data = NULL;
    size_t len = 0;
    hp_config_init(out);
    enum hp_err rc = hp_file_read(path, HP_CONFIG_MAX_BYTES, &data, &len, err);
    if (rc == HP_OK) {
        rc = hp_config_parse(data, len, path, profile, out, err);
    }
    free(data);
    return rc;
}
