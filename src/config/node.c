/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Typed access to a parsed libyaml document for the config loader. Every
 * accessor validates shape and type and reports the first problem with the
 * source, line and key path. Scalars are read as text: no YAML 1.1 implicit
 * typing, so `off` stays the string "off". No I/O.
 */
#include "config/internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Longest slice of a user's value or key that is echoed in a message. */
#define ECHO_MAX 48

enum hp_err hp_config_fail(struct hp_config_ctx *cx, const yaml_node_t *node, const char *path,
                           const char *fmt, ...)
{
    char problem[HP_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(problem, sizeof(problem), fmt, ap);
    va_end(ap);
    if (path != NULL && path[0] != '\0') {
        hp_error_set(cx->err, HP_ERR_INVALID, "%s:%zu: %s: %s", cx->source, hp_config_line(node),
                     path, problem);
    } else {
        hp_error_set(cx->err, HP_ERR_INVALID, "%s:%zu: %s", cx->source, hp_config_line(node),
                     problem);
    }
    return HP_ERR_INVALID;
}

size_t hp_config_line(const yaml_node_t *node)
{
    return node != NULL ? node->start_mark.line + 1 : 1;
}

enum hp_err hp_config_node(struct hp_config_ctx *cx, int index, yaml_node_t **out)
{
    yaml_node_t *node = yaml_document_get_node(cx->doc, index);
    if (node == NULL) {
        hp_error_set(cx->err, HP_ERR_INTERNAL, "%s: libyaml node %d is missing", cx->source, index);
        return HP_ERR_INTERNAL;
    }
    /* Aliases make a DAG of a tree: cap the walk, not just the bytes. */
    if (++cx->visits > HP_CONFIG_MAX_VISITS) {
        hp_error_set(cx->err, HP_ERR_LIMIT,
                     "%s:%zu: too many values after expanding aliases (limit %u)", cx->source,
                     hp_config_line(node), HP_CONFIG_MAX_VISITS);
        return HP_ERR_LIMIT;
    }
    *out = node;
    return HP_OK;
}

bool hp_config_is_null(const yaml_node_t *node)
{
    if (node->type != YAML_SCALAR_NODE || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
        return false;
    }
    const char *v = (const char *)node->data.scalar.value;
    size_t n = node->data.scalar.length;
    return n == 0 || (n == 1 && v[0] == '~') ||
           (n == 4 && (strcmp(v, "null") == 0 || strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0));
}

/* Copies at most ECHO_MAX bytes of s, escaping quotes, backslashes and control
 * bytes, and marks a cut with "..." (never inside a UTF-8 sequence). */
static void escape(char *dst, size_t size, const char *s, size_t len)
{
    size_t cut = len;
    if (cut > ECHO_MAX) {
        cut = ECHO_MAX;
        while (cut > 0 && ((unsigned char)s[cut] & 0xC0u) == 0x80u) {
            cut--;
        }
    }
    size_t o = 0;
    for (size_t i = 0; i < cut && o + 5 < size; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            dst[o++] = '\\';
            dst[o++] = (char)c;
        } else if (c < 0x20u || c == 0x7Fu) {
            o += (size_t)snprintf(dst + o, size - o, "\\x%02X", c);
        } else {
            dst[o++] = (char)c;
        }
    }
    if (cut < len && o + 4 <= size) {
        memcpy(dst + o, "...", 3);
        o += 3;
    }
    dst[o < size ? o : size - 1] = '\0';
}

void hp_config_describe(const yaml_node_t *node, char *buf, size_t size)
{
    if (node->type == YAML_MAPPING_NODE) {
        snprintf(buf, size, "a mapping");
    } else if (node->type == YAML_SEQUENCE_NODE) {
        snprintf(buf, size, "a list");
    } else if (hp_config_is_null(node)) {
        snprintf(buf, size, "null");
    } else {
        char esc[ECHO_MAX * 4 + 8];
        escape(esc, sizeof(esc), (const char *)node->data.scalar.value, node->data.scalar.length);
        snprintf(buf, size, "\"%s\"", esc);
    }
}

void hp_config_path_key(char *dst, size_t size, const char *parent, const char *key)
{
    char esc[ECHO_MAX * 4 + 8];
    escape(esc, sizeof(esc), key, strlen(key));
    /* Key paths only appear in messages: a truncated one is still useful. */
    int n;
    if (parent == NULL || parent[0] == '\0') {
        n = snprintf(dst, size, "%s", esc);
    } else {
        n = snprintf(dst, size, "%s.%s", parent, esc);
    }
    if (n < 0 || (size_t)n >= size) {
        dst[size - 1] = '\0';
    }
}

void hp_config_path_index(char *dst, size_t size, const char *parent, size_t i)
{
    snprintf(dst, size, "%s[%zu]", parent, i);
}

enum hp_err hp_config_get_string(struct hp_config_ctx *cx, const yaml_node_t *node,
                                 const char *path, bool nonempty, const char **out)
{
    if (node->type != YAML_SCALAR_NODE || hp_config_is_null(node)) {
        char got[ECHO_MAX * 4 + 16];
        hp_config_describe(node, got, sizeof(got));
        return hp_config_fail(cx, node, path, "expected a string, got %s", got);
    }
    const char *v = (const char *)node->data.scalar.value;
    size_t n = node->data.scalar.length;
    if (memchr(v, '\0', n) != NULL) {
        return hp_config_fail(cx, node, path, "the string contains a NUL character");
    }
    if (nonempty && strspn(v, " \t\r\n") == n) {
        return hp_config_fail(cx, node, path, "expected a non-empty string");
    }
    *out = v;
    return HP_OK;
}

enum hp_err hp_config_get_uint(struct hp_config_ctx *cx, const yaml_node_t *node, const char *path,
                               int64_t max, int64_t *out)
{
    char want[96] = "expected an integer >= 0, got";
    int64_t value = 0;
    enum hp_err rc = HP_ERR_INVALID;
    if (node->type != YAML_SCALAR_NODE || hp_config_is_null(node)) {
        goto out;
    }
    if (node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
        snprintf(want, sizeof(want), "expected an integer >= 0, got the quoted string");
        goto out;
    }
    const char *v = (const char *)node->data.scalar.value;
    size_t n = node->data.scalar.length;
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
        char got[ECHO_MAX * 4 + 16];
        hp_config_describe(node, got, sizeof(got));
        rc = hp_config_fail(cx, node, path, "%s %s", want, got);
    }
    return rc;
}

enum hp_err hp_config_get_list(struct hp_config_ctx *cx, const yaml_node_t *node, const char *path,
                               const yaml_node_item_t **items, size_t *n)
{
    if (hp_config_is_null(node)) {
        *items = NULL;
        *n = 0;
        return HP_OK;
    }
    if (node->type != YAML_SEQUENCE_NODE) {
        char got[ECHO_MAX * 4 + 16];
        hp_config_describe(node, got, sizeof(got));
        return hp_config_fail(cx, node, path, "expected a list, got %s", got);
    }
    *items = node->data.sequence.items.start;
    *n = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
    return HP_OK;
}

static enum hp_err unknown_key(struct hp_config_ctx *cx, const yaml_node_t *key_node,
                               const char *path, const struct hp_config_keys *keys)
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
    return hp_config_fail(cx, key_node, path, "unknown key (expected one of: %s)", expected);
}

static size_t find_key(const struct hp_config_keys *keys, const yaml_node_t *key_node)
{
    const char *k = (const char *)key_node->data.scalar.value;
    for (size_t i = 0; i < keys->n; i++) {
        if (strlen(keys->names[i]) == key_node->data.scalar.length &&
            strcmp(keys->names[i], k) == 0) {
            return i;
        }
    }
    return keys->n;
}

enum hp_err hp_config_get_pair(struct hp_config_ctx *cx, const yaml_node_pair_t *pair,
                               const char *path, yaml_node_t **key, yaml_node_t **value,
                               const char **name)
{
    enum hp_err rc = HP_OK;
    if ((rc = hp_config_node(cx, pair->key, key)) != HP_OK ||
        (rc = hp_config_node(cx, pair->value, value)) != HP_OK) {
        goto out;
    }
    if ((*key)->type != YAML_SCALAR_NODE || hp_config_is_null(*key)) {
        char got[ECHO_MAX * 4 + 16];
        hp_config_describe(*key, got, sizeof(got));
        rc = hp_config_fail(cx, *key, path, "expected a string key, got %s", got);
        goto out;
    }
    rc = hp_config_get_string(cx, *key, path, false, name);
out:
    return rc;
}

enum hp_err hp_config_get_map(struct hp_config_ctx *cx, const yaml_node_t *node, const char *path,
                              const struct hp_config_keys *keys, yaml_node_t **values)
{
    enum hp_err rc = HP_OK;
    size_t first_line[32] = {0};
    for (size_t i = 0; i < keys->n; i++) {
        values[i] = NULL;
    }
    if (hp_config_is_null(node)) {
        goto out;
    }
    if (node->type != YAML_MAPPING_NODE) {
        char got[ECHO_MAX * 4 + 16];
        hp_config_describe(node, got, sizeof(got));
        rc = hp_config_fail(cx, node, path, "expected a mapping, got %s", got);
        goto out;
    }
    for (const yaml_node_pair_t *pr = node->data.mapping.pairs.start;
         pr < node->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = NULL;
        yaml_node_t *v = NULL;
        const char *name = "";
        char kpath[HP_CONFIG_PATH_MAX];
        if ((rc = hp_config_get_pair(cx, pr, path, &k, &v, &name)) != HP_OK) {
            goto out;
        }
        hp_config_path_key(kpath, sizeof(kpath), path, name);
        size_t i = find_key(keys, k);
        if (i == keys->n) {
            rc = unknown_key(cx, k, kpath, keys);
            goto out;
        }
        if ((keys->allowed & (1u << i)) == 0) {
            rc = hp_config_fail(cx, k, kpath, "%s applies only to %s", name,
                                keys->owners != NULL ? keys->owners[i] : "other settings");
            goto out;
        }
        if (values[i] != NULL) {
            rc = hp_config_fail(cx, k, kpath, "duplicate key (first at line %zu)", first_line[i]);
            goto out;
        }
        values[i] = v;
        first_line[i] = hp_config_line(k);
    }
out:
    return rc;
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

enum hp_err hp_config_get_check(struct hp_config_ctx *cx, const yaml_node_t *node, const char *path,
                                bool is_key, enum hp_check *out)
{
    const char *name = "";
    enum hp_err rc = hp_config_get_string(cx, node, path, false, &name);
    if (rc != HP_OK || hp_check_lookup(name, out)) {
        return rc;
    }
    char quoted[ECHO_MAX * 4 + 16] = "";
    char hint[96] = "";
    if (!is_key) {
        quoted[0] = ' ';
        hp_config_describe(node, quoted + 1, sizeof(quoted) - 1);
    }
    const char *s = suggest_check(name);
    if (s != NULL) {
        snprintf(hint, sizeof(hint), " (did you mean %s?)", s);
    }
    return hp_config_fail(cx, node, path, "unknown check id%s%s", quoted, hint);
}

enum hp_err hp_config_each(struct hp_config_ctx *cx, const yaml_node_item_t *items, size_t n,
                           const char *key, hp_config_item_fn fn, void *arg)
{
    enum hp_err rc = HP_OK;
    for (size_t i = 0; i < n && rc == HP_OK; i++) {
        char path[HP_CONFIG_PATH_MAX];
        yaml_node_t *item = NULL;
        hp_config_path_index(path, sizeof(path), key, i);
        rc = hp_config_node(cx, items[i], &item);
        if (rc == HP_OK) {
            rc = fn(cx, item, path, arg);
        }
    }
    return rc;
}
