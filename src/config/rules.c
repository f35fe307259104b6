/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The policy half of a config file: per-check overrides (`checks`) and
 * exemptions (`exemptions`), validated and applied on top of a built-in
 * profile. Every string kept in the policy is an owned copy, so the loaded
 * tree can be freed afterwards. No I/O.
 */
#include "internal.h"

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

enum exemption_key {
    EX_NAMESPACE, /* the selectors, exactly one per entry: */
    EX_USERNAME,
    EX_IMAGE,
    EX_KINDS,
    EX_CHECKS, /* the rest */
    EX_NAMESPACES,
    EX_NAMES,
    EX_REASON,
    EX_EXPIRES,
    EX_COUNT,
};

static const char *const exemption_names[EX_COUNT] = {"namespace", "username", "image",
                                                      "kinds",     "checks",   "namespaces",
                                                      "names",     "reason",   "expires"};

/* The built-in kinds, for "did you mean" when a kind differs only in case. */
static const char *const builtin_kinds[] = {
    "Pod",         "Deployment", "ReplicaSet", "StatefulSet",
    "DaemonSet",   "Job",        "CronJob",    "ReplicationController",
    "PodTemplate",
};

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

/* The options check c takes: action, and those its registry row names. */
static uint32_t options_for(enum hp_check c)
{
    uint32_t allowed = 1u << OPT_ACTION;
    const struct hp_check_info *info = hp_check_info_get(c);
    for (size_t i = 0; i < HP_CHECK_MAX_OPTIONS && info->options[i] != NULL; i++) {
        for (int o = 0; o < OPT_COUNT; o++) {
            if (strcmp(option_names[o], info->options[i]) == 0) {
                allowed |= 1u << o;
            }
        }
    }
    return allowed;
}

/* Fills owners[o] with where option o applies, from the registry's rows:
 * "the runAsUser check" ("every check" for action). */
static void option_owners(char owners[OPT_COUNT][64], const char *out[OPT_COUNT])
{
    for (int o = 0; o < OPT_COUNT; o++) {
        snprintf(owners[o], sizeof(owners[o]), "every check");
        out[o] = owners[o];
    }
    for (int o = OPT_ACTION + 1; o < OPT_COUNT; o++) {
        for (int c = 0; c < HP_CHECK_COUNT; c++) {
            if (options_for((enum hp_check)c) & (1u << o)) {
                snprintf(owners[o], sizeof(owners[o]), "the %s check",
                         hp_check_name((enum hp_check)c));
                break;
            }
        }
    }
}

static enum hp_err get_action(struct cfg_ctx *cx, const struct cfg_node *node, const char *path,
                              enum hp_action *out)
{
    const struct cfg_choice actions[] = {
        {hp_action_name(HP_ACTION_DENY), HP_ACTION_DENY},
        {hp_action_name(HP_ACTION_WARN), HP_ACTION_WARN},
        {hp_action_name(HP_ACTION_OFF), HP_ACTION_OFF},
    };
    int v = 0;
    enum hp_err rc = cfg_get_enum(cx, node, path, "action", actions, 3, &v);
    if (rc == HP_OK) {
        *out = (enum hp_action)v;
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
static enum hp_err set_allow_add(struct cfg_ctx *cx, const struct cfg_node *node, const char *path,
                                 struct hp_policy *p)
{
    size_t n = 0;
    enum hp_err rc = cfg_get_list(cx, node, path, &n);
    if (rc != HP_OK) {
        goto out;
    }
    for (size_t i = 0; i < p->n_allow_add; i++) {
        free(p->allow_add[i]);
    }
    p->n_allow_add = 0;
    for (size_t i = 0; i < n; i++) {
        char ipath[CFG_PATH_MAX];
        char cap[CAP_NAME_MAX + 1];
        const char *s = NULL;
        struct cfg_node item;
        hp_manifest_path_index(ipath, sizeof(ipath), path, i);
        cfg_item(node, i, &item);
        if ((rc = cfg_get_string(cx, &item, ipath, false, &s)) != HP_OK) {
            goto out;
        }
        if (!normalise_cap(s, cap, sizeof(cap))) {
            char got[256];
            cfg_describe(&item, got, sizeof(got));
            rc = cfg_fail(cx, item.line, ipath,
                          "invalid capability %s (expected a name such as NET_BIND_SERVICE)", got);
            goto out;
        }
        if (has_cap(p, cap)) {
            continue;
        }
        if (p->n_allow_add == HP_POLICY_MAX_ALLOW_ADD) {
            rc = cfg_fail(cx, item.line, ipath, "too many capabilities (at most %d)",
                          HP_POLICY_MAX_ALLOW_ADD);
            goto out;
        }
        p->allow_add[p->n_allow_add++] = hp_xstrdup(cap);
    }
out:
    return rc;
}

static enum hp_err set_require(struct cfg_ctx *cx, const struct cfg_node *node, const char *path,
                               struct hp_policy *p)
{
    size_t n = 0;
    unsigned bits = 0;
    enum hp_err rc = cfg_get_list(cx, node, path, &n);
    if (rc == HP_OK && n == 0) {
        rc = cfg_fail(cx, node->line, path,
                      "expected a non-empty list of requests.cpu, "
                      "requests.memory, limits.cpu, limits.memory");
    }
    for (size_t i = 0; rc == HP_OK && i < n; i++) {
        char ipath[CFG_PATH_MAX];
        const char *s = NULL;
        struct cfg_node item;
        size_t r = 0;
        hp_manifest_path_index(ipath, sizeof(ipath), path, i);
        cfg_item(node, i, &item);
        if ((rc = cfg_get_string(cx, &item, ipath, false, &s)) != HP_OK) {
            break;
        }
        while (r < sizeof(resource_names) / sizeof(resource_names[0]) &&
               strcmp(resource_names[r].name, s) != 0) {
            r++;
        }
        if (r == sizeof(resource_names) / sizeof(resource_names[0])) {
            char got[256];
            cfg_describe(&item, got, sizeof(got));
            rc = cfg_fail(cx, item.line, ipath,
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
static enum hp_err apply_check(struct cfg_ctx *cx, enum hp_check c, const struct cfg_node *node,
                               const char *path, struct hp_policy *p)
{
    struct cfg_node v[OPT_COUNT];
    char opath[CFG_PATH_MAX];
    char owner_text[OPT_COUNT][64];
    const char *owners[OPT_COUNT];
    option_owners(owner_text, owners);
    struct cfg_keys keys = {option_names, OPT_COUNT, options_for(c), owners};
    enum hp_err rc = HP_OK;
    if (!cfg_is_map(node) && !cfg_is_list(node) && !node->is_null) {
        /* Only the action changes: the check keeps the profile's level. */
        return get_action(cx, node, path, &p->checks[c].action);
    }
    if (!cfg_is_map(node)) {
        char got[256];
        cfg_describe(node, got, sizeof(got));
        return cfg_fail(cx, node->line, path,
                        "expected an action (deny, warn, off) or a mapping, got %s", got);
    }
    if ((rc = cfg_get_map(cx, node, path, &keys, v)) != HP_OK) {
        goto out;
    }
    if (cfg_has(&v[OPT_ACTION])) {
        hp_manifest_path_key(opath, sizeof(opath), path, option_names[OPT_ACTION]);
        if ((rc = get_action(cx, &v[OPT_ACTION], opath, &p->checks[c].action)) != HP_OK) {
            goto out;
        }
    }
    if (cfg_has(&v[OPT_MIN_UID])) {
        hp_manifest_path_key(opath, sizeof(opath), path, option_names[OPT_MIN_UID]);
        if ((rc = cfg_get_uint(cx, &v[OPT_MIN_UID], opath, INT32_MAX, &p->min_uid)) != HP_OK) {
            goto out;
        }
    }
    if (cfg_has(&v[OPT_MIN_GID])) {
        hp_manifest_path_key(opath, sizeof(opath), path, option_names[OPT_MIN_GID]);
        if ((rc = cfg_get_uint(cx, &v[OPT_MIN_GID], opath, INT32_MAX, &p->min_gid)) != HP_OK) {
            goto out;
        }
    }
    if (cfg_has(&v[OPT_ALLOW_ADD])) {
        hp_manifest_path_key(opath, sizeof(opath), path, option_names[OPT_ALLOW_ADD]);
        if ((rc = set_allow_add(cx, &v[OPT_ALLOW_ADD], opath, p)) != HP_OK) {
            goto out;
        }
    }
    if (cfg_has(&v[OPT_REQUIRE])) {
        hp_manifest_path_key(opath, sizeof(opath), path, option_names[OPT_REQUIRE]);
        rc = set_require(cx, &v[OPT_REQUIRE], opath, p);
    }
out:
    return rc;
}

/* One member of `checks`; the loader has refused duplicate keys, and check
 * ids match exactly, so no check is configured twice. */
static enum hp_err check_member(struct cfg_ctx *cx, const char *name, const struct cfg_node *key,
                                const struct cfg_node *value, void *arg)
{
    char path[CFG_PATH_MAX];
    enum hp_check c;
    enum hp_err rc;

    hp_manifest_path_key(path, sizeof(path), "checks", name);
    if ((rc = cfg_get_check(cx, key, path, true, &c)) != HP_OK) {
        return rc;
    }
    return apply_check(cx, c, value, path, arg);
}

enum hp_err cfg_apply_checks(struct cfg_ctx *cx, const struct cfg_node *node, struct hp_policy *p)
{
    if (!cfg_has(node)) {
        return HP_OK;
    }
    return cfg_each_member(cx, node, "checks", check_member, p);
}

/* A non-empty list of check ids as a bitmask; repeats are harmless. */
static enum hp_err get_check_mask(struct cfg_ctx *cx, const struct cfg_node *node, const char *path,
                                  uint32_t *out)
{
    size_t n = 0;
    uint32_t mask = 0;
    enum hp_err rc = cfg_get_list(cx, node, path, &n);
    if (rc == HP_OK && n == 0) {
        rc = cfg_fail(cx, node->line, path, "expected a non-empty list of check ids");
    }
    for (size_t i = 0; rc == HP_OK && i < n; i++) {
        char ipath[CFG_PATH_MAX];
        struct cfg_node item;
        enum hp_check c;
        hp_manifest_path_index(ipath, sizeof(ipath), path, i);
        cfg_item(node, i, &item);
        if ((rc = cfg_get_check(cx, &item, ipath, false, &c)) == HP_OK) {
            mask |= 1u << c;
        }
    }
    if (rc == HP_OK) {
        *out = mask;
    }
    return rc;
}

/* Why pattern is not a glob fnmatch reads as written, or NULL: an
 * unclosed bracket expression matches only a literal '[', which no
 * Kubernetes name holds, and a trailing backslash escapes nothing. */
static const char *glob_problem(const char *pattern)
{
    for (const char *p = pattern; *p != '\0'; p++) {
        if (*p == '\\') {
            if (p[1] == '\0') {
                return "a trailing \\ escapes nothing";
            }
            p++;
        } else if (*p == '[') {
            const char *q = p + 1;
            q += *q == '!' || *q == '^';
            q += *q == ']'; /* a ']' first in the set is a member */
            while (*q != '\0' && *q != ']') {
                if (q[0] == '[' && q[1] == ':') {
                    const char *end = strstr(q + 2, ":]");
                    q = end != NULL ? end + 1 : q;
                }
                q++;
            }
            if (*q == '\0') {
                return "a [ without its closing ]";
            }
            p = q;
        }
    }
    return NULL;
}

/* Vets one item of a list of globs before its glob syntax is. */
typedef enum hp_err (*glob_check_fn)(struct cfg_ctx *cx, const struct cfg_node *item,
                                     const char *path, const char *s);

/* A non-empty string that check (when not NULL) accepts and that is a
 * well-formed glob. */
static enum hp_err get_glob(struct cfg_ctx *cx, const struct cfg_node *node, const char *path,
                            glob_check_fn check, const char **out)
{
    enum hp_err rc = cfg_get_string(cx, node, path, true, out);
    if (rc == HP_OK && check != NULL) {
        rc = check(cx, node, path, *out);
    }
    const char *why = rc == HP_OK ? glob_problem(*out) : NULL;
    if (why != NULL) {
        char got[256];
        cfg_describe(node, got, sizeof(got));
        rc = cfg_fail(cx, node->line, path, "invalid glob %s: %s", got, why);
    }
    return rc;
}

/* A non-empty list of globs into a new array (*out, *n_out). */
static enum hp_err get_globs(struct cfg_ctx *cx, const struct cfg_node *node, const char *path,
                             const char *if_empty, glob_check_fn check, char ***out, size_t *n_out)
{
    size_t n = 0;
    enum hp_err rc = cfg_get_list(cx, node, path, &n);
    if (rc != HP_OK) {
        goto out;
    }
    if (n == 0) {
        /* An empty list reads as "nowhere" but would mean "everywhere". */
        rc = cfg_fail(cx, node->line, path, "expected a non-empty list (%s)", if_empty);
        goto out;
    }
    *out = hp_xcalloc(n, sizeof(**out));
    for (size_t i = 0; i < n; i++) {
        char ipath[CFG_PATH_MAX];
        struct cfg_node item;
        const char *s = NULL;
        hp_manifest_path_index(ipath, sizeof(ipath), path, i);
        cfg_item(node, i, &item);
        if ((rc = get_glob(cx, &item, ipath, check, &s)) != HP_OK) {
            goto out;
        }
        (*out)[(*n_out)++] = hp_xstrdup(s);
    }
out:
    return rc;
}

/* Object names hold no '/': "shop/legacy" is a namespace and a name. */
static enum hp_err check_name(struct cfg_ctx *cx, const struct cfg_node *item, const char *path,
                              const char *s)
{
    if (strchr(s, '/') == NULL) {
        return HP_OK;
    }
    char got[256];
    cfg_describe(item, got, sizeof(got));
    return cfg_fail(cx, item->line, path,
                    "invalid name %s: object names hold no / (put the namespace in namespaces)",
                    got);
}

/* A kind is a Kubernetes kind as written in an object's `kind`: letters and
 * digits, matched exactly. Any such kind is accepted (custom kinds too),
 * but one that differs from a built-in kind only in case is a typo that
 * would never match. */
static enum hp_err check_kind(struct cfg_ctx *cx, const struct cfg_node *item, const char *path,
                              const char *s)
{
    char got[256];
    cfg_describe(item, got, sizeof(got));
    bool ok = (s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z');
    for (const char *p = s; ok && *p != '\0'; p++) {
        ok = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9');
    }
    if (!ok) {
        return cfg_fail(cx, item->line, path,
                        "invalid kind %s (expected a kind as objects write it, such as "
                        "Deployment: letters and digits, no group or version)",
                        got);
    }
    for (size_t i = 0; i < sizeof(builtin_kinds) / sizeof(builtin_kinds[0]); i++) {
        if (strcasecmp(s, builtin_kinds[i]) == 0 && strcmp(s, builtin_kinds[i]) != 0) {
            return cfg_fail(cx, item->line, path,
                            "unknown kind %s (kinds are case-sensitive: did you mean %s?)", got,
                            builtin_kinds[i]);
        }
    }
    return HP_OK;
}

static enum hp_err get_namespaces(struct cfg_ctx *cx, const struct cfg_node *node, const char *path,
                                  struct hp_exemption *e)
{
    return get_globs(cx, node, path,
                     e->kind == HP_EXEMPT_IMAGE
                         ? "leave namespaces out to exempt the image in every namespace"
                         : "a workload exemption applies only in the namespaces it names",
                     NULL, &e->namespaces, &e->n_namespaces);
}

static enum hp_err get_expires(struct cfg_ctx *cx, const struct cfg_node *node, const char *path,
                               int64_t *out)
{
    const char *s = NULL;
    struct hp_error terr;
    enum hp_err rc = cfg_get_string(cx, node, path, false, &s);
    if (rc != HP_OK) {
        goto out;
    }
    hp_error_clear(&terr);
    if (hp_time_parse(s, out, &terr) != HP_OK) {
        rc = cfg_fail(cx, node->line, path, "%s", terr.msg);
        goto out;
    }
    if (*out <= 0) {
        /* 0 means "never expires" in struct hp_exemption. */
        rc = cfg_fail(cx, node->line, path, "expected a time after 1970-01-01T00:00:00Z");
    }
out:
    return rc;
}

/* Picks the one selector key; e->kind and *which (its index in v) are set on success. */
static enum hp_err get_selector(struct cfg_ctx *cx, const struct cfg_node *node, const char *path,
                                const struct cfg_node *v, struct hp_exemption *e, int *which)
{
    int found = -1;
    for (int k = EX_NAMESPACE; k <= EX_KINDS; k++) {
        if (!cfg_has(&v[k])) {
            continue;
        }
        if (found >= 0) {
            return cfg_fail(cx, v[k].line, path,
                            "expected exactly one of namespace, username, image, kinds, got "
                            "both %s and %s",
                            exemption_names[found], exemption_names[k]);
        }
        found = k;
    }
    if (found < 0 && cfg_has(&v[EX_NAMES])) {
        return cfg_fail(cx, v[EX_NAMES].line, path,
                        "names needs kinds (the kinds of the workloads it names, such as "
                        "[Deployment])");
    }
    if (found < 0) {
        return cfg_fail(cx, node->line, path,
                        "expected exactly one of namespace, username, image, kinds");
    }
    static const enum hp_exemption_kind kinds[] = {HP_EXEMPT_NAMESPACE, HP_EXEMPT_USERNAME,
                                                   HP_EXEMPT_IMAGE, HP_EXEMPT_WORKLOAD};
    e->kind = kinds[found];
    *which = found;
    return HP_OK;
}

/* What a workload exemption needs besides kinds: names and namespaces;
 * checks are optional (absent: every check). */
static enum hp_err parse_workload(struct cfg_ctx *cx, const struct cfg_node *node, const char *path,
                                  const struct cfg_node *v, struct hp_exemption *e)
{
    char kpath[CFG_PATH_MAX];
    enum hp_err rc = HP_OK;
    hp_manifest_path_key(kpath, sizeof(kpath), path, exemption_names[EX_KINDS]);
    if ((rc = get_globs(cx, &v[EX_KINDS], kpath, "the kinds it exempts, such as [Deployment]",
                        check_kind, &e->kinds, &e->n_kinds)) != HP_OK) {
        goto out;
    }
    if (!cfg_has(&v[EX_NAMES]) || !cfg_has(&v[EX_NAMESPACES])) {
        rc = cfg_fail(cx, node->line, path,
                      !cfg_has(&v[EX_NAMES])
                          ? "a workload exemption needs names (globs of the names it exempts; "
                            "\"*\" for every one)"
                          : "a workload exemption needs namespaces (the namespaces it applies "
                            "in: names are unique only within one)");
        goto out;
    }
    hp_manifest_path_key(kpath, sizeof(kpath), path, exemption_names[EX_NAMES]);
    if ((rc = get_globs(cx, &v[EX_NAMES], kpath, "the names it exempts; \"*\" for every one",
                        check_name, &e->names, &e->n_names)) != HP_OK) {
        goto out;
    }
    hp_manifest_path_key(kpath, sizeof(kpath), path, exemption_names[EX_NAMESPACES]);
    if ((rc = get_namespaces(cx, &v[EX_NAMESPACES], kpath, e)) != HP_OK) {
        goto out;
    }
    e->checks = (1u << HP_CHECK_COUNT) - 1;
    hp_manifest_path_key(kpath, sizeof(kpath), path, exemption_names[EX_CHECKS]);
    if (cfg_has(&v[EX_CHECKS])) {
        rc = get_check_mask(cx, &v[EX_CHECKS], kpath, &e->checks);
    }
out:
    return rc;
}

static enum hp_err parse_exemption(struct cfg_ctx *cx, const struct cfg_node *node,
                                   const char *path, struct hp_exemption *e)
{
    struct cfg_node v[EX_COUNT];
    char kpath[CFG_PATH_MAX];
    const struct cfg_keys keys = {exemption_names, EX_COUNT, (1u << EX_COUNT) - 1, NULL};
    int sel = 0;
    const char *s = NULL;
    enum hp_err rc = HP_OK;
    if (!cfg_is_map(node)) {
        char got[256];
        cfg_describe(node, got, sizeof(got));
        return cfg_fail(cx, node->line, path, "expected a mapping, got %s", got);
    }
    if ((rc = cfg_get_map(cx, node, path, &keys, v)) != HP_OK ||
        (rc = get_selector(cx, node, path, v, e, &sel)) != HP_OK) {
        goto out;
    }
    if (cfg_has(&v[EX_NAMES]) && e->kind != HP_EXEMPT_WORKLOAD) {
        hp_manifest_path_key(kpath, sizeof(kpath), path, exemption_names[EX_NAMES]);
        rc = cfg_fail(cx, v[EX_NAMES].line, kpath,
                      "names applies only to workload exemptions (with kinds)");
        goto out;
    }
    for (int k = EX_CHECKS; k <= EX_NAMESPACES; k++) {
        hp_manifest_path_key(kpath, sizeof(kpath), path, exemption_names[k]);
        if ((e->kind == HP_EXEMPT_NAMESPACE || e->kind == HP_EXEMPT_USERNAME) && cfg_has(&v[k])) {
            rc = cfg_fail(cx, v[k].line, kpath,
                          "%s applies only to image and workload exemptions (a namespace or "
                          "username exemption covers every check)",
                          exemption_names[k]);
            goto out;
        }
    }
    if (e->kind == HP_EXEMPT_WORKLOAD) {
        if ((rc = parse_workload(cx, node, path, v, e)) != HP_OK) {
            goto out;
        }
    } else {
        hp_manifest_path_key(kpath, sizeof(kpath), path, exemption_names[sel]);
        if ((rc = cfg_get_string(cx, &v[sel], kpath, true, &s)) != HP_OK) {
            goto out;
        }
        e->pattern = hp_xstrdup(s);
    }
    if (e->kind == HP_EXEMPT_IMAGE) {
        if (!cfg_has(&v[EX_CHECKS])) {
            rc = cfg_fail(cx, node->line, path,
                          "an image exemption needs checks (a list of "
                          "the check ids it exempts)");
            goto out;
        }
        hp_manifest_path_key(kpath, sizeof(kpath), path, exemption_names[EX_CHECKS]);
        if ((rc = get_check_mask(cx, &v[EX_CHECKS], kpath, &e->checks)) != HP_OK) {
            goto out;
        }
        hp_manifest_path_key(kpath, sizeof(kpath), path, exemption_names[EX_NAMESPACES]);
        if (cfg_has(&v[EX_NAMESPACES]) &&
            (rc = get_namespaces(cx, &v[EX_NAMESPACES], kpath, e)) != HP_OK) {
            goto out;
        }
    }
    if (!cfg_has(&v[EX_REASON])) {
        rc = cfg_fail(cx, node->line, path, "missing reason (every exemption needs one)");
        goto out;
    }
    hp_manifest_path_key(kpath, sizeof(kpath), path, exemption_names[EX_REASON]);
    if ((rc = cfg_get_string(cx, &v[EX_REASON], kpath, true, &s)) != HP_OK) {
        goto out;
    }
    e->reason = hp_xstrdup(s);
    hp_manifest_path_key(kpath, sizeof(kpath), path, exemption_names[EX_EXPIRES]);
    if (cfg_has(&v[EX_EXPIRES])) {
        rc = get_expires(cx, &v[EX_EXPIRES], kpath, &e->expires);
    }
out:
    return rc;
}

static enum hp_err exemption_item(struct cfg_ctx *cx, const struct cfg_node *item, const char *path,
                                  void *arg)
{
    struct hp_policy *p = arg;
    /* Count it first so that cleanup frees a half-filled entry. */
    struct hp_exemption *e = &p->exemptions[p->n_exemptions++];
    e->line = item->line;
    return parse_exemption(cx, item, path, e);
}

enum hp_err cfg_apply_exemptions(struct cfg_ctx *cx, const struct cfg_node *node,
                                 struct hp_policy *p)
{
    size_t n = 0;
    enum hp_err rc = HP_OK;
    if (!cfg_has(node) || (rc = cfg_get_list(cx, node, "exemptions", &n)) != HP_OK || n == 0) {
        goto out;
    }
    p->exemptions = hp_xcalloc(n, sizeof(*p->exemptions));
    rc = cfg_each(cx, node, "exemptions", exemption_item, p);
out:
    return rc;
}
