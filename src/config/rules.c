/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The policy half of a config file: per-check overrides (`checks`) and
 * exemptions (`exemptions`), validated and applied on top of a built-in
 * profile. Every string kept in the policy is an owned copy, so the parsed
 * document can be freed afterwards. No I/O.
 */
#include "config/internal.h"

#include "hardpod/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum option {
    OPT_ACTION,
    OPT_MIN_UID,
    OPT_MIN_GID,
    OPT_ALLOW_ADD,
    OPT_REQUIRE,
    OPT_COUNT,
};

static const char *const option_names[OPT_COUNT] = {"action", "minUID", "minGID", "allowAdd",
                                                    "require"};
static const char *const option_owners[OPT_COUNT] = {
    "every check", "the runAsUser check", "the runAsGroup check", "the capabilities check",
    "the resources check"};

enum exemption_key {
    EX_NAMESPACE,
    EX_USERNAME,
    EX_IMAGE,
    EX_CHECKS,
    EX_NAMESPACES,
    EX_REASON,
    EX_EXPIRES,
    EX_COUNT,
};

static const char *const exemption_names[EX_COUNT] = {"namespace",  "username", "image",  "checks",
                                                      "namespaces", "reason",   "expires"};

static const struct {
    const char *name;
    unsigned bit;
} resource_names[] = {
    {"requests.cpu", HP_RES_REQUESTS_CPU},
    {"requests.memory", HP_RES_REQUESTS_MEMORY},
    {"limits.cpu", HP_RES_LIMITS_CPU},
    {"limits.memory", HP_RES_LIMITS_MEMORY},
};

/* Longest capability name kept (the kernel's longest is 18 characters). */
#define CAP_NAME_MAX 63

static uint32_t options_for(enum hp_check c)
{
    uint32_t allowed = 1u << OPT_ACTION;
    switch (c) {
    case HP_CHECK_RUN_AS_USER:
        allowed |= 1u << OPT_MIN_UID;
        break;
    case HP_CHECK_RUN_AS_GROUP:
        allowed |= 1u << OPT_MIN_GID;
        break;
    case HP_CHECK_CAPABILITIES:
        allowed |= 1u << OPT_ALLOW_ADD;
        break;
    case HP_CHECK_RESOURCES:
        allowed |= 1u << OPT_REQUIRE;
        break;
    default:
        break;
    }
    return allowed;
}

static enum hp_err get_action(struct hp_config_ctx *cx, const yaml_node_t *node, const char *path,
                              enum hp_action *out)
{
    const char *name = NULL;
    enum hp_err rc = hp_config_get_string(cx, node, path, false, &name);
    if (rc == HP_OK && !hp_action_lookup(name, out)) {
        char got[256];
        hp_config_describe(node, got, sizeof(got));
        rc = hp_config_fail(cx, node, path, "unknown action %s (expected one of: deny, warn, off)",
                            got);
    }
    return rc;
}

/* Uppercases, trims and drops a CAP_ prefix; false unless the rest is [A-Z0-9_]+. */
static bool normalise_cap(const char *s, char *buf, size_t size)
{
    size_t len = strlen(s);
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t')) {
        len--;
    }
    size_t start = strspn(s, " \t");
    if (start >= len) {
        return false;
    }
    if (len - start >= 4 && strncasecmp(s + start, "CAP_", 4) == 0) {
        start += 4;
    }
    if (start == len || len - start >= size) {
        return false;
    }
    for (size_t i = start; i < len; i++) {
        char c = s[i];
        c = (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
            return false;
        }
        buf[i - start] = c;
    }
    buf[len - start] = '\0';
    return true;
}

static bool has_cap(const struct hp_policy *p, const char *name)
{
    for (size_t i = 0; i < p->n_allow_add; i++) {
        if (strcmp(p->allow_add[i], name) == 0) {
            return true;
        }
    }
    return false;
}

/* Replaces the profile's allowAdd list: a config states the whole list. */
static enum hp_err set_allow_add(struct hp_config_ctx *cx, const yaml_node_t *node,
                                 const char *path, struct hp_policy *p)
{
    const yaml_node_item_t *items = NULL;
    size_t n = 0;
    enum hp_err rc = hp_config_get_list(cx, node, path, &items, &n);
    if (rc != HP_OK) {
        goto out;
    }
    for (size_t i = 0; i < p->n_allow_add; i++) {
        free(p->allow_add[i]);
    }
    p->n_allow_add = 0;
    for (size_t i = 0; i < n; i++) {
        char ipath[HP_CONFIG_PATH_MAX];
        char cap[CAP_NAME_MAX + 1];
        const char *s = NULL;
        yaml_node_t *item = NULL;
        hp_config_path_index(ipath, sizeof(ipath), path, i);
        if ((rc = hp_config_node(cx, items[i], &item)) != HP_OK ||
            (rc = hp_config_get_string(cx, item, ipath, false, &s)) != HP_OK) {
            goto out;
        }
        if (!normalise_cap(s, cap, sizeof(cap))) {
            char got[256];
            hp_config_describe(item, got, sizeof(got));
            rc = hp_config_fail(cx, item, ipath,
                                "invalid capability %s (expected a name such as NET_BIND_SERVICE)",
                                got);
            goto out;
        }
        if (has_cap(p, cap)) {
            continue;
        }
        if (p->n_allow_add == HP_POLICY_MAX_ALLOW_ADD) {
            rc = hp_config_fail(cx, item, ipath, "too many capabilities (at most %d)",
                                HP_POLICY_MAX_ALLOW_ADD);
            goto out;
        }
        p->allow_add[p->n_allow_add++] = hp_xstrdup(cap);
    }
out:
    return rc;
}

static enum hp_err set_require(struct hp_config_ctx *cx, const yaml_node_t *node, const char *path,
                               struct hp_policy *p)
{
    const yaml_node_item_t *items = NULL;
    size_t n = 0;
    unsigned bits = 0;
    enum hp_err rc = hp_config_get_list(cx, node, path, &items, &n);
    if (rc == HP_OK && n == 0) {
        rc = hp_config_fail(cx, node, path,
                            "expected a non-empty list of requests.cpu, "
                            "requests.memory, limits.cpu, limits.memory");
    }
    for (size_t i = 0; rc == HP_OK && i < n; i++) {
        char ipath[HP_CONFIG_PATH_MAX];
        const char *s = NULL;
        yaml_node_t *item = NULL;
        size_t r = 0;
        hp_config_path_index(ipath, sizeof(ipath), path, i);
        if ((rc = hp_config_node(cx, items[i], &item)) != HP_OK ||
            (rc = hp_config_get_string(cx, item, ipath, false, &s)) != HP_OK) {
            break;
        }
        while (r < sizeof(resource_names) / sizeof(resource_names[0]) &&
               strcmp(resource_names[r].name, s) != 0) {
            r++;
        }
        if (r == sizeof(resource_names) / sizeof(resource_names[0])) {
            char got[256];
            hp_config_describe(item, got, sizeof(got));
            rc = hp_config_fail(cx, item, ipath,
                                "unknown resource %s (expected one of: requests.cpu, "
                                "requests.memory, limits.cpu, limits.memory)",
                                got);
            break;
        }
        bits |= resource_names[r].bit;
    }
    if (rc == HP_OK) {
        p->resources_require = bits;
    }
    return rc;
}

/* One `checks` entry: an action name, or a mapping of the action and options. */
static enum hp_err apply_check(struct hp_config_ctx *cx, enum hp_check c, const yaml_node_t *node,
                               const char *path, struct hp_policy *p)
{
    yaml_node_t *v[OPT_COUNT];
    char opath[HP_CONFIG_PATH_MAX];
    struct hp_config_keys keys = {option_names, OPT_COUNT, options_for(c), option_owners};
    enum hp_err rc = HP_OK;
    if (node->type == YAML_SCALAR_NODE && !hp_config_is_null(node)) {
        /* Only the action changes: the check keeps the profile's level. */
        return get_action(cx, node, path, &p->checks[c].action);
    }
    if (node->type != YAML_MAPPING_NODE) {
        char got[256];
        hp_config_describe(node, got, sizeof(got));
        return hp_config_fail(cx, node, path,
                              "expected an action (deny, warn, off) or a mapping, got %s", got);
    }
    if ((rc = hp_config_get_map(cx, node, path, &keys, v)) != HP_OK) {
        goto out;
    }
    if (v[OPT_ACTION] != NULL) {
        hp_config_path_key(opath, sizeof(opath), path, option_names[OPT_ACTION]);
        if ((rc = get_action(cx, v[OPT_ACTION], opath, &p->checks[c].action)) != HP_OK) {
            goto out;
        }
    }
    if (v[OPT_MIN_UID] != NULL) {
        hp_config_path_key(opath, sizeof(opath), path, option_names[OPT_MIN_UID]);
        if ((rc = hp_config_get_uint(cx, v[OPT_MIN_UID], opath, INT32_MAX, &p->min_uid)) != HP_OK) {
            goto out;
        }
    }
    if (v[OPT_MIN_GID] != NULL) {
        hp_config_path_key(opath, sizeof(opath), path, option_names[OPT_MIN_GID]);
        if ((rc = hp_config_get_uint(cx, v[OPT_MIN_GID], opath, INT32_MAX, &p->min_gid)) != HP_OK) {
            goto out;
        }
    }
    if (v[OPT_ALLOW_ADD] != NULL) {
        hp_config_path_key(opath, sizeof(opath), path, option_names[OPT_ALLOW_ADD]);
        if ((rc = set_allow_add(cx, v[OPT_ALLOW_ADD], opath, p)) != HP_OK) {
            goto out;
        }
    }
    if (v[OPT_REQUIRE] != NULL) {
        hp_config_path_key(opath, sizeof(opath), path, option_names[OPT_REQUIRE]);
        rc = set_require(cx, v[OPT_REQUIRE], opath, p);
    }
out:
    return rc;
}

enum hp_err hp_config_apply_checks(struct hp_config_ctx *cx, const yaml_node_t *node,
                                   struct hp_policy *p)
{
    size_t first_line[HP_CHECK_COUNT] = {0};
    enum hp_err rc = HP_OK;
    if (node == NULL || hp_config_is_null(node)) {
        goto out;
    }
    if (node->type != YAML_MAPPING_NODE) {
        char got[256];
        hp_config_describe(node, got, sizeof(got));
        rc = hp_config_fail(cx, node, "checks", "expected a mapping, got %s", got);
        goto out;
    }
    for (const yaml_node_pair_t *pr = node->data.mapping.pairs.start;
         pr < node->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = NULL;
        yaml_node_t *v = NULL;
        const char *name = NULL;
        char path[HP_CONFIG_PATH_MAX];
        enum hp_check c;
        if ((rc = hp_config_get_pair(cx, pr, "checks", &k, &v, &name)) != HP_OK) {
            goto out;
        }
        hp_config_path_key(path, sizeof(path), "checks", name);
        if ((rc = hp_config_get_check(cx, k, path, true, &c)) != HP_OK) {
            goto out;
        }
        if (first_line[c] != 0) {
            rc = hp_config_fail(cx, k, path, "duplicate key (first at line %zu)", first_line[c]);
            goto out;
        }
        first_line[c] = hp_config_line(k);
        if ((rc = apply_check(cx, c, v, path, p)) != HP_OK) {
            goto out;
        }
    }
out:
    return rc;
}

/* A non-empty list of check ids as a bitmask; repeats are harmless. */
static enum hp_err get_check_mask(struct hp_config_ctx *cx, const yaml_node_t *node,
                                  const char *path, uint32_t *out)
{
    const yaml_node_item_t *items = NULL;
    size_t n = 0;
    uint32_t mask = 0;
    enum hp_err rc = hp_config_get_list(cx, node, path, &items, &n);
    if (rc == HP_OK && n == 0) {
        rc = hp_config_fail(cx, node, path, "expected a non-empty list of check ids");
    }
    for (size_t i = 0; rc == HP_OK && i < n; i++) {
        char ipath[HP_CONFIG_PATH_MAX];
        yaml_node_t *item = NULL;
        enum hp_check c;
        hp_config_path_index(ipath, sizeof(ipath), path, i);
        if ((rc = hp_config_node(cx, items[i], &item)) == HP_OK &&
            (rc = hp_config_get_check(cx, item, ipath, false, &c)) == HP_OK) {
            mask |= 1u << c;
        }
    }
    if (rc == HP_OK) {
        *out = mask;
    }
    return rc;
}

static enum hp_err get_namespaces(struct hp_config_ctx *cx, const yaml_node_t *node,
                                  const char *path, struct hp_exemption *e)
{
    const yaml_node_item_t *items = NULL;
    size_t n = 0;
    enum hp_err rc = hp_config_get_list(cx, node, path, &items, &n);
    if (rc != HP_OK) {
        goto out;
    }
    if (n == 0) {
        /* An empty list reads as "nowhere" but would mean "everywhere". */
        rc = hp_config_fail(cx, node, path,
                            "expected a non-empty list (leave namespaces out to exempt the "
                            "image in every namespace)");
        goto out;
    }
    e->namespaces = hp_xcalloc(n, sizeof(*e->namespaces));
    for (size_t i = 0; i < n; i++) {
        char ipath[HP_CONFIG_PATH_MAX];
        yaml_node_t *item = NULL;
        const char *s = NULL;
        hp_config_path_index(ipath, sizeof(ipath), path, i);
        if ((rc = hp_config_node(cx, items[i], &item)) != HP_OK ||
            (rc = hp_config_get_string(cx, item, ipath, true, &s)) != HP_OK) {
            goto out;
        }
        e->namespaces[e->n_namespaces++] = hp_xstrdup(s);
    }
out:
    return rc;
}

static enum hp_err get_expires(struct hp_config_ctx *cx, const yaml_node_t *node, const char *path,
                               int64_t *out)
{
    const char *s = NULL;
    struct hp_error terr;
    enum hp_err rc = hp_config_get_string(cx, node, path, false, &s);
    if (rc != HP_OK) {
        goto out;
    }
    hp_error_clear(&terr);
    if (hp_time_parse(s, out, &terr) != HP_OK) {
        rc = hp_config_fail(cx, node, path, "%s", terr.msg);
        goto out;
    }
    if (*out <= 0) {
        /* 0 means "never expires" in struct hp_exemption. */
        rc = hp_config_fail(cx, node, path, "expected a time after 1970-01-01T00:00:00Z");
    }
out:
    return rc;
}

/* Picks the one selector key; e->kind and *which (its index in v) are set on success. */
static enum hp_err get_selector(struct hp_config_ctx *cx, const yaml_node_t *node, const char *path,
                                yaml_node_t *const *v, struct hp_exemption *e, int *which)
{
    int found = -1;
    for (int k = EX_NAMESPACE; k <= EX_IMAGE; k++) {
        if (v[k] == NULL) {
            continue;
        }
        if (found >= 0) {
            return hp_config_fail(cx, v[k], path,
                                  "expected exactly one of namespace, username, image, got both "
                                  "%s and %s",
                                  exemption_names[found], exemption_names[k]);
        }
        found = k;
    }
    if (found < 0) {
        return hp_config_fail(cx, node, path, "expected exactly one of namespace, username, image");
    }
    e->kind = found == EX_NAMESPACE  ? HP_EXEMPT_NAMESPACE
              : found == EX_USERNAME ? HP_EXEMPT_USERNAME
                                     : HP_EXEMPT_IMAGE;
    *which = found;
    return HP_OK;
}

static enum hp_err parse_exemption(struct hp_config_ctx *cx, const yaml_node_t *node,
                                   const char *path, struct hp_exemption *e)
{
    yaml_node_t *v[EX_COUNT];
    char kpath[HP_CONFIG_PATH_MAX];
    const struct hp_config_keys keys = {exemption_names, EX_COUNT, (1u << EX_COUNT) - 1, NULL};
    int sel = 0;
    const char *s = NULL;
    enum hp_err rc = HP_OK;
    if (node->type != YAML_MAPPING_NODE) {
        char got[256];
        hp_config_describe(node, got, sizeof(got));
        return hp_config_fail(cx, node, path, "expected a mapping, got %s", got);
    }
    if ((rc = hp_config_get_map(cx, node, path, &keys, v)) != HP_OK ||
        (rc = get_selector(cx, node, path, v, e, &sel)) != HP_OK) {
        goto out;
    }
    hp_config_path_key(kpath, sizeof(kpath), path, exemption_names[sel]);
    if ((rc = hp_config_get_string(cx, v[sel], kpath, true, &s)) != HP_OK) {
        goto out;
    }
    e->pattern = hp_xstrdup(s);
    for (int k = EX_CHECKS; k <= EX_NAMESPACES; k++) {
        hp_config_path_key(kpath, sizeof(kpath), path, exemption_names[k]);
        if (e->kind != HP_EXEMPT_IMAGE && v[k] != NULL) {
            rc = hp_config_fail(cx, v[k], kpath,
                                "%s applies only to image exemptions (a namespace or username "
                                "exemption covers every check)",
                                exemption_names[k]);
            goto out;
        }
    }
    if (e->kind == HP_EXEMPT_IMAGE) {
        if (v[EX_CHECKS] == NULL) {
            rc = hp_config_fail(cx, node, path,
                                "an image exemption needs checks (a list of "
                                "the check ids it exempts)");
            goto out;
        }
        hp_config_path_key(kpath, sizeof(kpath), path, exemption_names[EX_CHECKS]);
        if ((rc = get_check_mask(cx, v[EX_CHECKS], kpath, &e->checks)) != HP_OK) {
            goto out;
        }
        hp_config_path_key(kpath, sizeof(kpath), path, exemption_names[EX_NAMESPACES]);
        if (v[EX_NAMESPACES] != NULL &&
            (rc = get_namespaces(cx, v[EX_NAMESPACES], kpath, e)) != HP_OK) {
            goto out;
        }
    }
    if (v[EX_REASON] == NULL) {
        rc = hp_config_fail(cx, node, path, "missing reason (every exemption needs one)");
        goto out;
    }
    hp_config_path_key(kpath, sizeof(kpath), path, exemption_names[EX_REASON]);
    if ((rc = hp_config_get_string(cx, v[EX_REASON], kpath, true, &s)) != HP_OK) {
        goto out;
    }
    e->reason = hp_xstrdup(s);
    hp_config_path_key(kpath, sizeof(kpath), path, exemption_names[EX_EXPIRES]);
    if (v[EX_EXPIRES] != NULL) {
        rc = get_expires(cx, v[EX_EXPIRES], kpath, &e->expires);
    }
out:
    return rc;
}

static enum hp_err exemption_item(struct hp_config_ctx *cx, yaml_node_t *item, const char *path,
                                  void *arg)
{
    struct hp_policy *p = arg;
    /* Count it first so that cleanup frees a half-filled entry. */
    struct hp_exemption *e = &p->exemptions[p->n_exemptions++];
    e->line = hp_config_line(item);
    return parse_exemption(cx, item, path, e);
}

enum hp_err hp_config_apply_exemptions(struct hp_config_ctx *cx, const yaml_node_t *node,
                                       struct hp_policy *p)
{
    const yaml_node_item_t *items = NULL;
    size_t n = 0;
    enum hp_err rc = HP_OK;
    if (node == NULL || (rc = hp_config_get_list(cx, node, "exemptions", &items, &n)) != HP_OK ||
        n == 0) {
        goto out;
    }
    p->exemptions = hp_xcalloc(n, sizeof(*p->exemptions));
    rc = hp_config_each(cx, items, n, "exemptions", exemption_item, p);
out:
    return rc;
}
