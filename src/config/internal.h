/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal to src/config: walking a parsed libyaml document with typed
 * accessors that report "SOURCE:LINE: KEYPATH: problem" on the first error.
 * Scalars are read as text (no YAML 1.1 implicit typing). Never allocates
 * anything the caller must free except through the hp_config being built.
 */
#ifndef HP_CONFIG_INTERNAL_H
#define HP_CONFIG_INTERNAL_H

#include "hardpod/config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

/* Room for a key path such as "exemptions[12].namespaces[3]". */
#define HP_CONFIG_PATH_MAX 192

/* How many nodes one parse may visit. A file under HP_CONFIG_MAX_BYTES holds
 * far fewer nodes; only aliases that repeat large subtrees reach this. */
#define HP_CONFIG_MAX_VISITS (1u << 20)

/* How deeply mappings and lists may nest (a valid config needs five levels). */
#define HP_CONFIG_MAX_DEPTH 32

/* The state of one parse. Borrowed pointers, valid for the call. */
struct hp_config_ctx {
    yaml_document_t *doc;
    const char *source;
    struct hp_error *err;
    size_t visits;
};

/* Records "SOURCE:LINE: PATH: message" (PATH omitted when NULL or empty) and
 * returns HP_ERR_INVALID. */
enum hp_err hp_config_fail(struct hp_config_ctx *cx, const yaml_node_t *node, const char *path,
                           const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The 1-based line where node starts. */
size_t hp_config_line(const yaml_node_t *node);

/* The node with the given document index, counted against HP_CONFIG_MAX_VISITS
 * (HP_ERR_LIMIT once the budget is spent). */
enum hp_err hp_config_node(struct hp_config_ctx *cx, int index, yaml_node_t **out);

/* A plain empty, ~ or null scalar. */
bool hp_config_is_null(const yaml_node_t *node);

/* Describes node for "got ..." messages: a quoted, escaped and shortened value
 * for scalars, "null", "a list" or "a mapping" otherwise. */
void hp_config_describe(const yaml_node_t *node, char *buf, size_t size);

/* dst = "parent.key" (or "key" at the top), with key escaped and shortened. */
void hp_config_path_key(char *dst, size_t size, const char *parent, const char *key);
/* dst = "parent[i]". */
void hp_config_path_index(char *dst, size_t size, const char *parent, size_t i);

/* A scalar's text, borrowed from the document. Fails on collections, null and
 * text with NUL bytes, and on empty (or all-blank) text when nonempty is set. */
enum hp_err hp_config_get_string(struct hp_config_ctx *cx, const yaml_node_t *node,
                                 const char *path, bool nonempty, const char **out);

/* A plain decimal scalar in 0..max. */
enum hp_err hp_config_get_uint(struct hp_config_ctx *cx, const yaml_node_t *node, const char *path,
                               int64_t max, int64_t *out);

/* The items of a list; null counts as an empty list. */
enum hp_err hp_config_get_list(struct hp_config_ctx *cx, const yaml_node_t *node, const char *path,
                               const yaml_node_item_t **items, size_t *n);

/* Calls fn for each element of a list (items from hp_config_get_list): the
 * element's node and its path "key[i]". Stops at the first error. */
typedef enum hp_err (*hp_config_item_fn)(struct hp_config_ctx *cx, yaml_node_t *item,
                                         const char *path, void *arg);
enum hp_err hp_config_each(struct hp_config_ctx *cx, const yaml_node_item_t *items, size_t n,
                           const char *key, hp_config_item_fn fn, void *arg);

/* One mapping entry: its key (which must be a non-null string scalar, returned
 * in name) and value nodes. path is the mapping's own path. */
enum hp_err hp_config_get_pair(struct hp_config_ctx *cx, const yaml_node_pair_t *pair,
                               const char *path, yaml_node_t **key, yaml_node_t **value,
                               const char **name);

/* The keys a mapping may hold. A key whose bit is clear in allowed is an error
 * that names owners[i] ("minUID applies only to runAsUser"). */
struct hp_config_keys {
    const char *const *names;
    size_t n;                  /* at most 32 */
    uint32_t allowed;          /* bit i: names[i] may appear here */
    const char *const *owners; /* NULL, or per name: where it does apply */
};

/* Checks that node is a mapping (null counts as empty) whose keys are distinct
 * allowed names and sets values[i] to the value of names[i] (NULL if absent). */
enum hp_err hp_config_get_map(struct hp_config_ctx *cx, const yaml_node_t *node, const char *path,
                              const struct hp_config_keys *keys, yaml_node_t **values);

/* A check id, with "did you mean" help when it is unknown. The message quotes
 * the bad id unless it is a mapping key (and so already ends path). */
enum hp_err hp_config_get_check(struct hp_config_ctx *cx, const yaml_node_t *node, const char *path,
                                bool is_key, enum hp_check *out);

/* Applies the `checks` and `exemptions` top-level values (either may be NULL)
 * to the policy, which already holds the chosen profile. */
enum hp_err hp_config_apply_checks(struct hp_config_ctx *cx, const yaml_node_t *node,
                                   struct hp_policy *p);
enum hp_err hp_config_apply_exemptions(struct hp_config_ctx *cx, const yaml_node_t *node,
                                       struct hp_policy *p);

#endif
