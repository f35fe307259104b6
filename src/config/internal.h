/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal to src/config: typed reading of the tree the manifest loader
 * builds (hp_manifest_load_one, with positions), with accessors that report
 * "SOURCE:LINE: KEYPATH: problem" on the first error. Scalars are read as
 * the text written (no YAML 1.1 implicit typing: `off` stays "off"). Never
 * allocates anything the caller must free except through the hp_config
 * being built.
 */
#ifndef HP_CONFIG_INTERNAL_H
#define HP_CONFIG_INTERNAL_H

#include "hardpod/config.h"
#include "hardpod/manifest.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;

/* Room for a key path such as "exemptions[12].namespaces[3]". */
#define CFG_PATH_MAX HP_MANIFEST_PATH_MAX

/* How many values one config may hold, aliases expanded. A file under
 * HP_CONFIG_MAX_BYTES holds far fewer; only aliases that repeat large
 * subtrees reach this. */
#define CFG_MAX_NODES (1u << 20)

/* How deeply mappings and lists may nest (a valid config needs five levels). */
#define CFG_MAX_DEPTH 32

/* The state of one parse. Borrowed pointers, valid for the call. */
struct cfg_ctx {
    const char *source;
    struct hp_error *err;
};

/* One value of the tree, or a mapping's key, as the config reads it. */
struct cfg_node {
    struct json_object *obj; /* borrowed; the value (NULL for null and for keys) */
    size_t line;             /* 1-based; 0 for an absent value */
    const char *text;        /* scalars and keys: the text as written; else NULL */
    size_t len;
    bool plain;   /* written without quotes or block indicators */
    bool is_null; /* an empty, ~ or null scalar */
};

/* Records "SOURCE:LINE: PATH: message" (PATH omitted when NULL or empty) and
 * returns HP_ERR_INVALID. */
enum hp_err cfg_fail(struct cfg_ctx *cx, size_t line, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The node for a value written at pos (borrowed from the tree). */
void cfg_node_init(struct cfg_node *n, struct json_object *obj, const struct hp_manifest_pos *pos);

/* Whether n is present (a key that was written), a mapping, a list. */
bool cfg_has(const struct cfg_node *n);
bool cfg_is_map(const struct cfg_node *n);
bool cfg_is_list(const struct cfg_node *n);

/* Describes node for "got ..." messages: a quoted, escaped and shortened value
 * for scalars, "null", "a list" or "a mapping" otherwise. */
void cfg_describe(const struct cfg_node *node, char *buf, size_t size);

/* A scalar's text, borrowed from the tree. Fails on collections, null and
 * text with NUL bytes, and on empty (or all-blank) text when nonempty is set. */
enum hp_err cfg_get_string(struct cfg_ctx *cx, const struct cfg_node *node, const char *path,
                           bool nonempty, const char **out);

/* A plain decimal scalar in 0..max. */
enum hp_err cfg_get_uint(struct cfg_ctx *cx, const struct cfg_node *node, const char *path,
                         int64_t max, int64_t *out);

/* One value of an enumeration as the config spells it. */
struct cfg_choice {
    const char *name;
    int value;
};

/* A string that is one of choices[0..n) (matched exactly), into out. Any
 * other is "unknown WHAT "x" (expected one of: a, b, c)", listing the names
 * in the order given. */
enum hp_err cfg_get_enum(struct cfg_ctx *cx, const struct cfg_node *node, const char *path,
                         const char *what, const struct cfg_choice *choices, size_t n, int *out);

/* The number of items of a list; null counts as an empty list. */
enum hp_err cfg_get_list(struct cfg_ctx *cx, const struct cfg_node *node, const char *path,
                         size_t *n);

/* The i-th item of a list that cfg_get_list accepted. */
void cfg_item(const struct cfg_node *list, size_t i, struct cfg_node *out);

/* Calls fn for each item of a list that cfg_get_list accepted, with its path
 * "key[i]". Stops at the first error. */
typedef enum hp_err (*cfg_item_fn)(struct cfg_ctx *cx, const struct cfg_node *item,
                                   const char *path, void *arg);
enum hp_err cfg_each(struct cfg_ctx *cx, const struct cfg_node *list, const char *key,
                     cfg_item_fn fn, void *arg);

/* Calls fn for each member of a mapping (null counts as empty; anything else
 * is an error): its key (a string, or an error naming path) and value. */
typedef enum hp_err (*cfg_member_fn)(struct cfg_ctx *cx, const char *name,
                                     const struct cfg_node *key, const struct cfg_node *value,
                                     void *arg);
enum hp_err cfg_each_member(struct cfg_ctx *cx, const struct cfg_node *map, const char *path,
                            cfg_member_fn fn, void *arg);

/* The keys a mapping may hold. A key whose bit is clear in allowed is an error
 * that names owners[i] ("minUID applies only to runAsUser"). */
struct cfg_keys {
    const char *const *names;
    size_t n;                  /* at most 32 */
    uint32_t allowed;          /* bit i: names[i] may appear here */
    const char *const *owners; /* NULL, or per name: where it does apply */
};

/* Checks that node is a mapping (null counts as empty) whose keys are
 * allowed names and sets values[i] to the value of names[i] (absent:
 * cfg_has is false). */
enum hp_err cfg_get_map(struct cfg_ctx *cx, const struct cfg_node *node, const char *path,
                        const struct cfg_keys *keys, struct cfg_node *values);

/* A check id, with "did you mean" help when it is unknown. The message quotes
 * the bad id unless it is a mapping key (and so already ends path). */
enum hp_err cfg_get_check(struct cfg_ctx *cx, const struct cfg_node *node, const char *path,
                          bool is_key, enum hp_check *out);

/* Applies the `checks` and `exemptions` top-level values (either may be
 * absent) to the policy, which already holds the chosen profile. */
enum hp_err cfg_apply_checks(struct cfg_ctx *cx, const struct cfg_node *node, struct hp_policy *p);
enum hp_err cfg_apply_exemptions(struct cfg_ctx *cx, const struct cfg_node *node,
                                 struct hp_policy *p);

/* Applies the `customKinds` top-level value (may be absent): p->kinds gets
 * one entry per item (kinds.c). */
enum hp_err cfg_apply_kinds(struct cfg_ctx *cx, const struct cfg_node *node, struct hp_policy *p);

#endif
