/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Typed reading of a config's tree, as the manifest loader built it with
 * positions. Every accessor validates shape and type and reports the first
 * problem with the source, line and key path. Scalars are read as the text
 * written: no YAML 1.1 implicit typing, so `off` stays the string "off". No
 * I/O.
 */
#include "internal.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Room for a user's value or key as cfg_describe writes it. */
#define QUOTED_MAX (HP_MANIFEST_QUOTE_SIZE + 8)

enum hp_err cfg_fail(struct cfg_ctx *cx, size_t line, const char *path, const char *fmt, ...)
{
    char problem[HP_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(problem, sizeof(problem), fmt, ap);
    va_end(ap);
    if (path != NULL && path[0] != '\0') {
        hp_error_set(cx->err, HP_ERR_INVALID, "%s:%zu: %s: %s", cx->source, line, path, problem);
    } else {
        hp_error_set(cx->err, HP_ERR_INVALID, "%s:%zu: %s", cx->source, line, problem);
    }
    return HP_ERR_INVALID;
}

void cfg_node_init(struct cfg_node *n, struct json_object *obj, const struct hp_manifest_pos *pos)
{
    memset(n, 0, sizeof(*n));
    n->obj = obj;
    n->is_null = obj == NULL;
    n->line = 1;
    if (pos != NULL) {
        n->line = pos->line;
        n->text = pos->text;
        n->len = pos->len;
        n->plain = pos->plain;
    }
}

bool cfg_has(const struct cfg_node *n)
{
    return n->line != 0;
}

bool cfg_is_map(const struct cfg_node *n)
{
    return json_object_is_type(n->obj, json_type_object);
}

bool cfg_is_list(const struct cfg_node *n)
{
    return json_object_is_type(n->obj, json_type_array);
}

void cfg_describe(const struct cfg_node *node, char *buf, size_t size)
{
    if (cfg_is_map(node)) {
        snprintf(buf, size, "a mapping");
    } else if (cfg_is_list(node)) {
        snprintf(buf, size, "a list");
    } else if (node->is_null || node->text == NULL) {
        snprintf(buf, size, "null");
    } else {
        char quoted[QUOTED_MAX];
        hp_manifest_quote(quoted, sizeof(quoted), node->text, node->len);
        snprintf(buf, size, "\"%s\"", quoted);
    }
}

static bool is_scalar(const struct cfg_node *node)
{
    return !cfg_is_map(node) && !cfg_is_list(node) && !node->is_null && node->text != NULL;
}

enum hp_err cfg_get_string(struct cfg_ctx *cx, const struct cfg_node *node, const char *path,
                           bool nonempty, const char **out)
{
    if (!is_scalar(node)) {
        char got[QUOTED_MAX];
        cfg_describe(node, got, sizeof(got));
        return cfg_fail(cx, node->line, path, "expected a string, got %s", got);
    }
    if (memchr(node->text, '\0', node->len) != NULL) {
        return cfg_fail(cx, node->line, path, "the string contains a NUL character");
    }
    if (nonempty && strspn(node->text, " \t\r\n") == node->len) {
        return cfg_fail(cx, node->line, path, "expected a non-empty string");
    }
    *out = node->text;
    return HP_OK;
}

enum hp_err cfg_get_uint(struct cfg_ctx *cx, const struct cfg_node *node, const char *path,
                         int64_t max, int64_t *out)
{
    char want[96] = "expected an integer >= 0, got";
    int64_t value = 0;
    enum hp_err rc = HP_ERR_INVALID;
    if (!is_scalar(node)) {
        goto out;
    }
    if (!node->plain) {
        snprintf(want, sizeof(want), "expected an integer >= 0, got the quoted string");
        goto out;
    }
    const char *v = node->text;
    size_t n = node->len;
    if (n == 0 || strspn(v, "0123456789") != n) {
        goto out;
    }
    if (n > 1 && v[0] == '0') {
        /* YAML 1.1 readers take 0755 as octal: refuse rather than guess. */
        snprintf(want, sizeof(want), "expected a decimal integer without leading zeros, got");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        value = value * 10 + (v[i] - '0');
        if (value > max) {
            snprintf(want, sizeof(want), "expected an integer <= %lld, got", (long long)max);
            goto out;
        }
    }
    *out = value;
    rc = HP_OK;
out:
    if (rc != HP_OK) {
        char got[QUOTED_MAX];
        cfg_describe(node, got, sizeof(got));
        rc = cfg_fail(cx, node->line, path, "%s %s", want, got);
    }
    return rc;
}

enum hp_err cfg_get_enum(struct cfg_ctx *cx, const struct cfg_node *node, const char *path,
                         const char *what, const struct cfg_choice *choices, size_t n, int *out)
{
    const char *name = "";
    char expected[HP_ERROR_MSG_MAX];
    char got[QUOTED_MAX];
    size_t o = 0;
    enum hp_err rc = cfg_get_string(cx, node, path, false, &name);

    if (rc != HP_OK) {
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(choices[i].name, name) == 0) {
            *out = choices[i].value;
            return HP_OK;
        }
    }
    expected[0] = '\0';
    for (size_t i = 0; i < n && o < sizeof(expected); i++) {
        int w = snprintf(expected + o, sizeof(expected) - o, "%s%s", i > 0 ? ", " : "",
                         choices[i].name);
        o += w > 0 ? (size_t)w : 0;
    }
    cfg_describe(node, got, sizeof(got));
    return cfg_fail(cx, node->line, path, "unknown %s %s (expected one of: %s)", what, got,
                    expected);
}

enum hp_err cfg_get_list(struct cfg_ctx *cx, const struct cfg_node *node, const char *path,
                         size_t *n)
{
    if (node->is_null) {
        *n = 0;
        return HP_OK;
    }
    if (!cfg_is_list(node)) {
        char got[QUOTED_MAX];
        cfg_describe(node, got, sizeof(got));
        return cfg_fail(cx, node->line, path, "expected a list, got %s", got);
    }
    *n = json_object_array_length(node->obj);
    return HP_OK;
}

void cfg_item(const struct cfg_node *list, size_t i, struct cfg_node *out)
{
    cfg_node_init(out, json_object_array_get_idx(list->obj, i), hp_manifest_pos_get(list->obj, i));
}

enum hp_err cfg_each(struct cfg_ctx *cx, const struct cfg_node *list, const char *key,
                     cfg_item_fn fn, void *arg)
{
    size_t n = cfg_is_list(list) ? json_object_array_length(list->obj) : 0;
    enum hp_err rc = HP_OK;
    for (size_t i = 0; i < n && rc == HP_OK; i++) {
        char path[CFG_PATH_MAX];
        struct cfg_node item;
        hp_manifest_path_index(path, sizeof(path), key, i);
        cfg_item(list, i, &item);
        rc = fn(cx, &item, path, arg);
    }
    return rc;
}

enum hp_err cfg_each_member(struct cfg_ctx *cx, const struct cfg_node *map, const char *path,
                            cfg_member_fn fn, void *arg)
{
    size_t i = 0;
    if (map->is_null) {
        return HP_OK;
    }
    if (!cfg_is_map(map)) {
        char got[QUOTED_MAX];
        cfg_describe(map, got, sizeof(got));
        return cfg_fail(cx, map->line, path, "expected a mapping, got %s", got);
    }
    json_object_object_foreach(map->obj, k, v)
    {
        const struct hp_manifest_pos *pos = hp_manifest_pos_get(map->obj, i++);
        struct cfg_node key = {.line = map->line, .text = k, .len = strlen(k), .plain = true};
        struct cfg_node value;
        enum hp_err rc;
        if (pos != NULL) {
            key.line = pos->key_line;
            key.is_null = pos->key_null;
        }
        if (key.is_null) {
            return cfg_fail(cx, key.line, path, "expected a string key, got null");
        }
        cfg_node_init(&value, v, pos);
        if ((rc = fn(cx, k, &key, &value, arg)) != HP_OK) {
            return rc;
        }
    }
    return HP_OK;
}

struct map_walk {
    const char *path;
    const struct cfg_keys *keys;
    struct cfg_node *values;
};

static enum hp_err unknown_key(struct cfg_ctx *cx, size_t line, const char *path,
                               const struct cfg_keys *keys)
{
    char expected[HP_ERROR_MSG_MAX];
    size_t o = 0;
    expected[0] = '\0';
    for (size_t i = 0; i < keys->n; i++) {
        if ((keys->allowed & (1u << i)) != 0 && o < sizeof(expected)) {
            int w = snprintf(expected + o, sizeof(expected) - o, "%s%s", o > 0 ? ", " : "",
                             keys->names[i]);
            o += w > 0 ? (size_t)w : 0;
        }
    }
    return cfg_fail(cx, line, path, "unknown key (expected one of: %s)", expected);
}

static enum hp_err map_member(struct cfg_ctx *cx, const char *name, const struct cfg_node *key,
                              const struct cfg_node *value, void *arg)
{
    const struct map_walk *w = arg;
    const struct cfg_keys *keys = w->keys;
    char kpath[CFG_PATH_MAX];
    size_t i = 0;

    hp_manifest_path_key(kpath, sizeof(kpath), w->path, name);
    while (i < keys->n && strcmp(keys->names[i], name) != 0) {
        i++;
    }
    if (i == keys->n) {
        return unknown_key(cx, key->line, kpath, keys);
    }
    if ((keys->allowed & (1u << i)) == 0) {
        return cfg_fail(cx, key->line, kpath, "%s applies only to %s", name,
                        keys->owners != NULL ? keys->owners[i] : "other settings");
    }
    /* The loader has refused duplicate keys. */
    w->values[i] = *value;
    return HP_OK;
}

enum hp_err cfg_get_map(struct cfg_ctx *cx, const struct cfg_node *node, const char *path,
                        const struct cfg_keys *keys, struct cfg_node *values)
{
    struct map_walk w = {path, keys, values};
    for (size_t i = 0; i < keys->n; i++) {
        memset(&values[i], 0, sizeof(values[i]));
    }
    return cfg_each_member(cx, node, path, map_member, &w);
}

/* Edit distance, for "did you mean"; both strings are short check ids. */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a);
    size_t lb = strlen(b);
    size_t row[65];
    if (la > 64 || lb > 64) {
        return SIZE_MAX;
    }
    for (size_t j = 0; j <= lb; j++) {
        row[j] = j;
    }
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] == b[j - 1] ? 0 : 1);
            best = up + 1 < best ? up + 1 : best;
            best = row[j - 1] + 1 < best ? row[j - 1] + 1 : best;
            diag = up;
            row[j] = best;
        }
    }
    return row[lb];
}

static const char *suggest_check(const char *name)
{
    const char *best = NULL;
    size_t best_d = 3; /* farther than two edits is not a typo */
    for (int c = 0; c < HP_CHECK_COUNT; c++) {
        const char *cand = hp_check_name((enum hp_check)c);
        if (strcasecmp(cand, name) == 0) {
            return cand;
        }
        size_t d = distance(name, cand);
        if (d < best_d) {
            best_d = d;
            best = cand;
        }
    }
    return best;
}

enum hp_err cfg_get_check(struct cfg_ctx *cx, const struct cfg_node *node, const char *path,
                          bool is_key, enum hp_check *out)
{
    const char *name = "";
    enum hp_err rc = cfg_get_string(cx, node, path, false, &name);
    if (rc != HP_OK || hp_check_lookup(name, out)) {
        return rc;
    }
    char quoted[QUOTED_MAX + 8] = "";
    char hint[96] = "";
    if (!is_key) {
        quoted[0] = ' ';
        cfg_describe(node, quoted + 1, sizeof(quoted) - 1);
    }
    const char *s = suggest_check(name);
    if (s != NULL) {
        snprintf(hint, sizeof(hint), " (did you mean %s?)", s);
    }
    return cfg_fail(cx, node->line, path, "unknown check id%s%s", quoted, hint);
}
