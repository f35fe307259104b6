/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The `customKinds` section: which custom resources hold pod specs or pod
 * templates, and where. Each entry is validated whole (group, version, kind,
 * every path) before it joins the policy; the paths' grammar and the lookup
 * are src/k8s's, so what loads here is exactly what the engine walks.
 */
#include "internal.h"

#include "hardpod/k8s.h"

#include <stdio.h>
#include <string.h>

/* More than any cluster installs; bounds the lookup every object pays. */
#define MAX_KINDS 256

enum kind_key {
    K_GROUP,
    K_VERSION,
    K_KIND,
    K_POD_SPECS,
    K_POD_TEMPLATES,
    K_REFERENCE,
    K_COUNT,
};

static const char *const kind_names[K_COUNT] = {
    "group", "version", "kind", "podSpecs", "podTemplates", "referencePath",
};

/* A suffix that turns a pod template's path into its pod spec's. */
static const char template_spec[] = ".spec";

/* One entry as it is read: strings borrowed from the tree, the template
 * paths with ".spec" appended in paths_buf. */
struct entry {
    struct hp_k8s_kind k;
    char paths_buf[HP_K8S_KIND_MAX_PATHS][HP_K8S_PATH_MAX + 1];
};

static enum hp_err get_path(struct cfg_ctx *cx, const struct cfg_node *node, const char *path,
                            size_t max_len, const char **out)
{
    const char *s = NULL;
    struct hp_error perr;
    enum hp_err rc = cfg_get_string(cx, node, path, true, &s);
    if (rc != HP_OK) {
        return rc;
    }
    hp_error_clear(&perr);
    if (hp_k8s_path_check(s, &perr) != HP_OK || strlen(s) > max_len) {
        char got[256];
        cfg_describe(node, got, sizeof(got));
        if (strlen(s) > max_len) {
            snprintf(perr.msg, sizeof(perr.msg), "%zu bytes, over the limit of %zu%s", strlen(s),
                     max_len,
                     max_len < HP_K8S_PATH_MAX ? " (a pod template's path and .spec)" : "");
        }
        return cfg_fail(cx, node->line, path, "invalid path %s: %s", got, perr.msg);
    }
    *out = s;
    return HP_OK;
}

/* Adds the paths of a podSpecs (template false) or podTemplates list. */
static enum hp_err get_paths(struct cfg_ctx *cx, const struct cfg_node *node, const char *path,
                             bool template, struct entry *e)
{
    size_t n = 0;
    enum hp_err rc = cfg_get_list(cx, node, path, &n);
    for (size_t i = 0; rc == HP_OK && i < n; i++) {
        char ipath[CFG_PATH_MAX];
        struct cfg_node item;
        const char *s = NULL;
        hp_manifest_path_index(ipath, sizeof(ipath), path, i);
        cfg_item(node, i, &item);
        if (e->k.n_paths == HP_K8S_KIND_MAX_PATHS) {
            return cfg_fail(cx, item.line, ipath,
                            "more than %d paths in one entry (podSpecs and podTemplates "
                            "together)",
                            HP_K8S_KIND_MAX_PATHS);
        }
        size_t max = HP_K8S_PATH_MAX - (template ? sizeof(template_spec) - 1 : 0);
        if ((rc = get_path(cx, &item, ipath, max, &s)) != HP_OK) {
            break;
        }
        char *dst = e->paths_buf[e->k.n_paths];
        snprintf(dst, sizeof(e->paths_buf[0]), "%s%s", s, template ? template_spec : "");
        e->k.paths[e->k.n_paths++] = dst;
    }
    return rc;
}

static enum hp_err get_reference(struct cfg_ctx *cx, const struct cfg_node *node, const char *path,
                                 struct entry *e)
{
    const char *s = NULL;
    enum hp_err rc = get_path(cx, node, path, HP_K8S_PATH_MAX, &s);
    if (rc == HP_OK && s != NULL && strpbrk(s, "?[") != NULL) {
        rc = cfg_fail(cx, node->line, path,
                      "expected a plain path of field names (no [*] or ?), such as "
                      "spec.workloadRef");
    }
    e->k.reference = s;
    return rc;
}

/* group, version and kind; version defaults to any. */
static enum hp_err get_identity(struct cfg_ctx *cx, const struct cfg_node *node, const char *path,
                                const struct cfg_node *v, struct entry *e)
{
    char kpath[CFG_PATH_MAX];
    struct hp_error kerr;
    int which = 0;
    enum hp_err rc = HP_OK;
    e->k.version = "*";
    for (int k = K_GROUP; k <= K_KIND; k++) {
        const char **dst = k == K_GROUP ? &e->k.group : k == K_VERSION ? &e->k.version : &e->k.kind;
        hp_manifest_path_key(kpath, sizeof(kpath), path, kind_names[k]);
        if (!cfg_has(&v[k])) {
            if (k == K_VERSION) {
                continue;
            }
            return cfg_fail(cx, node->line, path,
                            "missing %s (each entry needs group and kind; write \"*\" for any "
                            "group)",
                            kind_names[k]);
        }
        if ((rc = cfg_get_string(cx, &v[k], kpath, true, dst)) != HP_OK) {
            return rc;
        }
    }
    hp_error_clear(&kerr);
    if (hp_k8s_kind_check(e->k.group, e->k.version, e->k.kind, &which, &kerr) != HP_OK) {
        int k = which == 0 ? K_GROUP : which == 1 ? K_VERSION : K_KIND;
        hp_manifest_path_key(kpath, sizeof(kpath), path, kind_names[k]);
        return cfg_fail(cx, v[k].line, kpath, "%s", kerr.msg);
    }
    return HP_OK;
}

/* An entry for the same group, version and kind as an earlier one. */
static enum hp_err check_duplicate(struct cfg_ctx *cx, const struct cfg_node *node,
                                   const char *path, const struct hp_k8s_kinds *set,
                                   const struct hp_k8s_kind *k)
{
    for (size_t i = 0; set != NULL && i < set->n; i++) {
        const struct hp_k8s_kind *o = &set->items[i];
        if (strcmp(o->group, k->group) == 0 && strcmp(o->version, k->version) == 0 &&
            strcmp(o->kind, k->kind) == 0) {
            return cfg_fail(cx, node->line, path,
                            "a second entry for group %s, version %s, kind %s (the first is "
                            "customKinds[%zu], at line %zu)",
                            k->group, k->version, k->kind, i, o->line);
        }
    }
    return HP_OK;
}

static enum hp_err parse_kind(struct cfg_ctx *cx, const struct cfg_node *node, const char *path,
                              struct hp_policy *p)
{
    struct cfg_node v[K_COUNT];
    char kpath[CFG_PATH_MAX];
    const struct cfg_keys keys = {kind_names, K_COUNT, (1u << K_COUNT) - 1, NULL};
    struct entry e;
    enum hp_err rc = HP_OK;
    memset(&e, 0, sizeof(e));
    e.k.line = node->line;
    if (!cfg_is_map(node)) {
        char got[256];
        cfg_describe(node, got, sizeof(got));
        return cfg_fail(cx, node->line, path, "expected a mapping, got %s", got);
    }
    if ((rc = cfg_get_map(cx, node, path, &keys, v)) != HP_OK ||
        (rc = get_identity(cx, node, path, v, &e)) != HP_OK) {
        goto out;
    }
    for (int k = K_POD_SPECS; k <= K_POD_TEMPLATES; k++) {
        hp_manifest_path_key(kpath, sizeof(kpath), path, kind_names[k]);
        if (cfg_has(&v[k]) &&
            (rc = get_paths(cx, &v[k], kpath, k == K_POD_TEMPLATES, &e)) != HP_OK) {
            goto out;
        }
    }
    if (e.k.n_paths == 0) {
        rc = cfg_fail(cx, node->line, path,
                      "expected podSpecs or podTemplates: a non-empty list of the paths of the "
                      "pod specs or pod templates inside %s",
                      e.k.kind);
        goto out;
    }
    hp_manifest_path_key(kpath, sizeof(kpath), path, kind_names[K_REFERENCE]);
    if (cfg_has(&v[K_REFERENCE]) && (rc = get_reference(cx, &v[K_REFERENCE], kpath, &e)) != HP_OK) {
        goto out;
    }
    if ((rc = check_duplicate(cx, node, path, p->kinds, &e.k)) != HP_OK) {
        goto out;
    }
    if (p->kinds == NULL) {
        p->kinds = hp_k8s_kinds_new();
    }
    hp_k8s_kinds_add(p->kinds, &e.k);
out:
    return rc;
}

static enum hp_err kind_item(struct cfg_ctx *cx, const struct cfg_node *item, const char *path,
                             void *arg)
{
    return parse_kind(cx, item, path, arg);
}

enum hp_err cfg_apply_kinds(struct cfg_ctx *cx, const struct cfg_node *node, struct hp_policy *p)
{
    size_t n = 0;
    enum hp_err rc = HP_OK;
    if (!cfg_has(node) || (rc = cfg_get_list(cx, node, "customKinds", &n)) != HP_OK || n == 0) {
        goto out;
    }
    if (n > MAX_KINDS) {
        rc = cfg_fail(cx, node->line, "customKinds", "%zu entries, over the limit of %d", n,
                      MAX_KINDS);
        goto out;
    }
    rc = cfg_each(cx, node, "customKinds", kind_item, p);
out:
    return rc;
}
