/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Loading a config file: read it under a size cap, parse it with libyaml's
 * document API (JSON is YAML flow style, so both go the same way), check the
 * top-level keys and build a struct hp_config. A parse either yields a whole
 * config or leaves the defaults; it never keeps part of a bad file.
 */
#include "config/internal.h"

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
    TOP_COUNT,
};

static const char *const top_names[TOP_COUNT] = {"profile", "mode", "namespaceModes", "checks",
                                                 "exemptions"};
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

static enum hp_err get_mode(struct hp_config_ctx *cx, const yaml_node_t *node, const char *path,
                            enum hp_mode *out)
{
    const char *name = NULL;
    enum hp_err rc = hp_config_get_string(cx, node, path, false, &name);
    if (rc == HP_OK && !hp_mode_lookup(name, out)) {
        char got[256];
        hp_config_describe(node, got, sizeof(got));
        rc = hp_config_fail(cx, node, path, "unknown mode %s (expected one of: enforce, audit)",
                            got);
    }
    return rc;
}

static enum hp_err get_profile(struct hp_config_ctx *cx, const yaml_node_t *node,
                               enum hp_profile *out)
{
    const char *name = NULL;
    enum hp_err rc = hp_config_get_string(cx, node, "profile", false, &name);
    if (rc == HP_OK && !hp_profile_lookup(name, out)) {
        char got[256];
        hp_config_describe(node, got, sizeof(got));
        rc = hp_config_fail(
            cx, node, "profile", "unknown profile %s (expected one of: %s, %s, %s, %s)", got,
            hp_profile_name(HP_PROFILE_HARDENED), hp_profile_name(HP_PROFILE_PSA_RESTRICTED),
            hp_profile_name(HP_PROFILE_PSA_BASELINE), hp_profile_name(HP_PROFILE_NONE));
    }
    return rc;
}

static enum hp_err parse_ns_mode(struct hp_config_ctx *cx, const yaml_node_t *node,
                                 const char *path, struct hp_namespace_mode *m)
{
    yaml_node_t *v[2];
    char kpath[HP_CONFIG_PATH_MAX];
    const struct hp_config_keys keys = {ns_mode_names, 2, 3u, NULL};
    const char *s = NULL;
    enum hp_err rc = HP_OK;
    if (node->type != YAML_MAPPING_NODE) {
        char got[256];
        hp_config_describe(node, got, sizeof(got));
        return hp_config_fail(cx, node, path, "expected a mapping, got %s", got);
    }
    if ((rc = hp_config_get_map(cx, node, path, &keys, v)) != HP_OK) {
        goto out;
    }
    if (v[0] == NULL || v[1] == NULL) {
        rc = hp_config_fail(cx, node, path, "missing %s (each entry needs namespace and mode)",
                            v[0] == NULL ? "namespace" : "mode");
        goto out;
    }
    hp_config_path_key(kpath, sizeof(kpath), path, "namespace");
    if ((rc = hp_config_get_string(cx, v[0], kpath, true, &s)) != HP_OK) {
        goto out;
    }
    m->pattern = hp_xstrdup(s);
    hp_config_path_key(kpath, sizeof(kpath), path, "mode");
    rc = get_mode(cx, v[1], kpath, &m->mode);
out:
    return rc;
}

static enum hp_err ns_mode_item(struct hp_config_ctx *cx, yaml_node_t *item, const char *path,
                                void *arg)
{
    struct hp_config *c = arg;
    struct hp_namespace_mode *m = &c->ns_modes[c->n_ns_modes++];
    m->line = hp_config_line(item);
    return parse_ns_mode(cx, item, path, m);
}

static enum hp_err parse_ns_modes(struct hp_config_ctx *cx, const yaml_node_t *node,
                                  struct hp_config *c)
{
    const yaml_node_item_t *items = NULL;
    size_t n = 0;
    enum hp_err rc = hp_config_get_list(cx, node, "namespaceModes", &items, &n);
    if (rc != HP_OK || n == 0) {
        goto out;
    }
    c->ns_modes = hp_xcalloc(n, sizeof(*c->ns_modes));
    rc = hp_config_each(cx, items, n, "namespaceModes", ns_mode_item, c);
out:
    return rc;
}

/* Builds c from the document's root (NULL for an empty file). */
static enum hp_err apply_root(struct hp_config_ctx *cx, const yaml_node_t *root,
                              const enum hp_profile *profile, struct hp_config *c)
{
    yaml_node_t *v[TOP_COUNT] = {NULL};
    const struct hp_config_keys keys = {top_names, TOP_COUNT, (1u << TOP_COUNT) - 1, NULL};
    enum hp_profile chosen = HP_PROFILE_HARDENED;
    enum hp_err rc = HP_OK;
    if (root != NULL && root->type != YAML_MAPPING_NODE && !hp_config_is_null(root)) {
        char got[256];
        hp_config_describe(root, got, sizeof(got));
        rc = hp_config_fail(cx, root, NULL, "expected a mapping at the top level, got %s", got);
        goto out;
    }
    if (root != NULL && (rc = hp_config_get_map(cx, root, "", &keys, v)) != HP_OK) {
        goto out;
    }
    /* The file's profile is validated even when the caller overrides it. */
    if (v[TOP_PROFILE] != NULL && (rc = get_profile(cx, v[TOP_PROFILE], &chosen)) != HP_OK) {
        goto out;
    }
    if (profile != NULL) {
        chosen = *profile;
    }
    hp_policy_cleanup(&c->policy);
    hp_policy_init(&c->policy, chosen);
    if (v[TOP_MODE] != NULL && (rc = get_mode(cx, v[TOP_MODE], "mode", &c->mode)) != HP_OK) {
        goto out;
    }
    if (v[TOP_NS_MODES] != NULL && (rc = parse_ns_modes(cx, v[TOP_NS_MODES], c)) != HP_OK) {
        goto out;
    }
    if ((rc = hp_config_apply_checks(cx, v[TOP_CHECKS], &c->policy)) != HP_OK) {
        goto out;
    }
    rc = hp_config_apply_exemptions(cx, v[TOP_EXEMPTIONS], &c->policy);
out:
    return rc;
}

static enum hp_err yaml_error(const yaml_parser_t *parser, const char *data, size_t len,
                              const char *source, struct hp_error *err)
{
    if (parser->error == YAML_MEMORY_ERROR) {
        hp_oom();
    }
    const char *problem = parser->problem != NULL ? parser->problem : "unknown error";
    if (parser->error == YAML_READER_ERROR) {
        /* Reader errors (bad encoding) carry a byte offset, not a mark. */
        size_t line = 1;
        for (size_t i = 0; i < parser->problem_offset && i < len; i++) {
            line += data[i] == '\n';
        }
        return hp_error_set(err, HP_ERR_INVALID, "%s:%zu: invalid input: %s at byte %zu", source,
                            line, problem, parser->problem_offset);
    }
    if (parser->context != NULL) {
        return hp_error_set(err, HP_ERR_INVALID, "%s:%zu: invalid YAML: %s (%s at line %zu)",
                            source, parser->problem_mark.line + 1, problem, parser->context,
                            parser->context_mark.line + 1);
    }
    return hp_error_set(err, HP_ERR_INVALID, "%s:%zu: invalid YAML: %s", source,
                        parser->problem_mark.line + 1, problem);
}

/* Walks the event stream once before loading it, to refuse deep nesting early
 * (and report syntax errors):
 * libyaml's scanner slows down quadratically with flow depth, and no valid
 * config nests more than five levels. */
static enum hp_err check_depth(const char *data, size_t len, const char *source,
                               struct hp_error *err)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    unsigned depth = 0;
    enum hp_err rc = HP_OK;
    if (!yaml_parser_initialize(&parser)) {
        hp_oom();
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
    for (bool done = false; !done;) {
        if (!yaml_parser_parse(&parser, &ev)) {
            rc = yaml_error(&parser, data, len, source, err);
            break;
        }
        size_t line = ev.start_mark.line + 1;
        done = ev.type == YAML_STREAM_END_EVENT;
        if (ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT) {
            depth++;
        } else if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT) {
            depth--;
        }
        yaml_event_delete(&ev);
        if (depth > HP_CONFIG_MAX_DEPTH) {
            rc = hp_error_set(err, HP_ERR_LIMIT, "%s:%zu: nesting deeper than %d levels", source,
                              line, HP_CONFIG_MAX_DEPTH);
            break;
        }
    }
    yaml_parser_delete(&parser);
    return rc;
}

/* Loads the only document of the stream into doc; *loaded tells whether doc
 * must be deleted. Later documents are an error unless empty (a stray
 * trailing "---"), so that no content is ever silently ignored. */
static enum hp_err load_document(yaml_parser_t *parser, yaml_document_t *doc, bool *loaded,
                                 const char *data, size_t len, const char *source,
                                 struct hp_error *err)
{
    enum hp_err rc = HP_OK;
    if (!yaml_parser_load(parser, doc)) {
        rc = yaml_error(parser, data, len, source, err);
        goto out;
    }
    *loaded = true;
    for (bool end = yaml_document_get_root_node(doc) == NULL; !end;) {
        yaml_document_t next;
        if (!yaml_parser_load(parser, &next)) {
            rc = yaml_error(parser, data, len, source, err);
            goto out;
        }
        const yaml_node_t *root = yaml_document_get_root_node(&next);
        bool content = root != NULL && !hp_config_is_null(root);
        size_t line = next.start_mark.line + 1;
        end = root == NULL;
        yaml_document_delete(&next);
        if (content) {
            rc = hp_error_set(err, HP_ERR_INVALID,
                              "%s:%zu: a second YAML document (a config file holds exactly one)",
                              source, line);
            goto out;
        }
    }
out:
    return rc;
}

enum hp_err hp_config_parse(const char *data, size_t len, const char *source,
                            const enum hp_profile *profile, struct hp_config *out,
                            struct hp_error *err)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    bool have_parser = false;
    bool have_doc = false;
    struct hp_config c;
    struct hp_config_ctx cx = {&doc, source != NULL ? source : "<config>", err, 0};
    enum hp_err rc = HP_OK;
    hp_config_init(&c);
    if (len > HP_CONFIG_MAX_BYTES) {
        rc = hp_error_set(err, HP_ERR_LIMIT, "%s: the config is %zu bytes, over the limit of %u",
                          cx.source, len, HP_CONFIG_MAX_BYTES);
        goto out;
    }
    data = data != NULL ? data : "";
    if ((rc = check_depth(data, len, cx.source, err)) != HP_OK) {
        goto out;
    }
    if (!yaml_parser_initialize(&parser)) {
        hp_oom();
    }
    have_parser = true;
    yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
    rc = load_document(&parser, &doc, &have_doc, data, len, cx.source, err);
    if (rc == HP_OK) {
        rc = apply_root(&cx, yaml_document_get_root_node(&doc), profile, &c);
    }
out:
    if (have_doc) {
        yaml_document_delete(&doc);
    }
    if (have_parser) {
        yaml_parser_delete(&parser);
    }
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
