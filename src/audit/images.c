/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The image side of an audit: Dockerfiles (found by name in the walked
 * trees, or named with --dockerfile) and image configs (--image-config)
 * are read into facts and judged by the engine, each as one report entry;
 * the images named by --image-map are read first and kept, so that the
 * engine can judge a workload's container together with its image. Files
 * are read whole, at most HP_DOCKERFILE_MAX_BYTES (a Dockerfile) or the
 * per-object limit (an image config), charged to the run's budget.
 */
#include "internal.h"

#include "hardpod/image.h"

#include <errno.h>
#include <stdint.h>
#include <fnmatch.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

/* One image of --image-map: the pattern it answers and its facts. */
struct aud_image {
    const char *pattern; /* borrowed from the options */
    struct hp_image_facts facts;
    size_t charged; /* what the facts hold of the budget */
    bool ok;        /* read and understood */
};

/* An upper bound of what json-c takes for the tree of data[0..len), from
 * counts that each overestimate: every ':' a member, every ',' an element
 * and a scalar, every pair of quotes a string. */
static size_t json_tree_cost(const char *data, size_t len)
{
    struct aud_json_counts c = {.string_bytes = len, .scalars = 1};
    bool in_string = false;
    size_t quotes = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = data[i];
        if (in_string) {
            if (ch == '\\') {
                i++;
            } else if (ch == '"') {
                in_string = false;
            }
            continue;
        }
        switch (ch) {
        case '"':
            in_string = true;
            quotes++;
            break;
        case '{':
            c.objects++;
            break;
        case '[':
            c.arrays++;
            c.elements++;
            break;
        case ':':
            c.members++;
            c.scalars++;
            break;
        case ',':
            c.elements++;
            c.scalars++;
            break;
        default:
            break;
        }
    }
    c.strings = quotes;
    return aud_json_cost(&c);
}

static size_t str_cost(const char *s)
{
    return s != NULL ? hp_manifest_budget_malloc_cost(strlen(s) + 1) : 0;
}

static size_t value_cost(const struct hp_image_value *v)
{
    return str_cost(v->text) + str_cost(v->written) + str_cost(v->unresolved);
}

/* What the facts hold on the heap. */
static size_t facts_cost(const struct hp_image_facts *f)
{
    size_t n = str_cost(f->base) + str_cost(f->stage) + value_cost(&f->base_ref) +
               value_cost(&f->user) +
               hp_manifest_budget_malloc_cost(f->n_ports * sizeof(*f->ports)) +
               hp_manifest_budget_malloc_cost(f->n_env * sizeof(*f->env));
    for (size_t i = 0; i < f->n_ports; i++) {
        n += value_cost(&f->ports[i].value);
    }
    for (size_t i = 0; i < f->n_env; i++) {
        n += str_cost(f->env[i].name) + value_cost(&f->env[i].value);
    }
    return n;
}

/* Whether base[0..n) is `Dockerfile` or `Containerfile`, alone or after a
 * prefix that ends in '.', '_' or '-'. */
static bool ends_in_dockerfile(const char *base, size_t n)
{
    static const char *const names[] = {"Dockerfile", "Containerfile"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        size_t k = strlen(names[i]);
        if (n >= k && memcmp(base + n - k, names[i], k) == 0 &&
            (n == k || strchr("._-", base[n - k - 1]) != NULL)) {
            return true;
        }
    }
    return false;
}

bool aud_is_dockerfile_name(const char *name)
{
    const char *base = strrchr(name, '/');
    base = base != NULL ? base + 1 : name;
    size_t n = strlen(base);
    /* A Dockerfile's own ignore file is named after it. */
    static const char ignore[] = ".dockerignore";
    if (n >= sizeof(ignore) - 1 && strcmp(base + n - (sizeof(ignore) - 1), ignore) == 0) {
        return false;
    }
    static const char lower[] = ".dockerfile";
    if (n > sizeof(lower) - 1 && strcmp(base + n - (sizeof(lower) - 1), lower) == 0) {
        return true;
    }
    if (ends_in_dockerfile(base, n)) {
        return true;
    }
    /* "Dockerfile.prod", "api.Dockerfile.chiseled": a suffix after the name. */
    for (const char *dot = strchr(base, '.'); dot != NULL; dot = strchr(dot + 1, '.')) {
        if (dot[1] != '\0' && ends_in_dockerfile(base, (size_t)(dot - base))) {
            return true;
        }
    }
    return false;
}

/* Reads path whole into *data (NUL-terminated, charged to the budget:
 * *charged) when it is at most max bytes. False with the error reported. */
static bool read_whole(struct aud_ctx *cx, const char *path, size_t max, char **data, size_t *len,
                       size_t *charged)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        int e = errno;
        aud_report_error(cx->report, path, 0, "cannot open: %s", strerror(e));
        return false;
    }
    struct aud_text t = {.max = max};
    char block[8192];
    bool over = false;
    bool ok = true;
    for (;;) {
        size_t got = fread(block, 1, sizeof(block), f);
        if (got == 0) {
            break;
        }
        if (!aud_text_append(&t, &cx->budget, block, got, &over)) {
            if (over) {
                aud_report_error(cx->report, path, 0, "larger than the limit of %zu bytes", max);
            } else {
                char limit[160];
                aud_report_error(cx->report, path, 0, "cannot read: %zu bytes do not fit in %s",
                                 t.len + got,
                                 hp_manifest_budget_describe(&cx->budget, limit, sizeof(limit)));
            }
            ok = false;
            break;
        }
    }
    if (ok && ferror(f)) {
        int e = errno != 0 ? errno : EIO;
        aud_report_error(cx->report, path, 0, "cannot read: %s", strerror(e));
        ok = false;
    }
    fclose(f);
    if (ok && !aud_text_append(&t, &cx->budget, "", 1, &over)) {
        aud_report_error(cx->report, path, 0, "larger than the limit of %zu bytes", max);
        ok = false;
    }
    if (!ok) {
        aud_text_cleanup(&t, &cx->budget);
        return false;
    }
    *data = t.data;
    *len = t.len - 1;
    *charged = t.charged;
    return true;
}

static void release(struct aud_ctx *cx, char *data, size_t charged)
{
    free(data);
    hp_manifest_budget_release(&cx->budget, charged);
}

/* Whether data reads as JSON: its first byte after whitespace is { or [. */
static bool looks_json(const char *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (data[i] != ' ' && data[i] != '\t' && data[i] != '\n' && data[i] != '\r') {
            return data[i] == '{' || data[i] == '[';
        }
    }
    return false;
}

/* Reads path as a Dockerfile (dockerfile true) or an image config into f
 * (initialised); false with the error reported. */
static bool load_facts(struct aud_ctx *cx, const char *path, bool dockerfile,
                       struct hp_image_facts *f)
{
    char *data = NULL;
    size_t len = 0;
    size_t charged = 0;
    size_t max = dockerfile ? HP_DOCKERFILE_MAX_BYTES : cx->max_file_bytes;
    if (!read_whole(cx, path, max, &data, &len, &charged)) {
        return false;
    }
    struct hp_error err;
    hp_error_clear(&err);
    enum hp_err rc;
    if (dockerfile) {
        struct hp_dockerfile_options opt = {
            .target = cx->o->target,
            .build_args = cx->o->build_args,
            .n_build_args = cx->o->n_build_args,
        };
        /* The parser's transient memory has a ceiling, not a budget: the
         * ceiling is charged for the call. */
        if (!hp_manifest_budget_charge(&cx->budget, HP_DOCKERFILE_MAX_MEMORY)) {
            char limit[160];
            rc = hp_error_set(&err, HP_ERR_LIMIT,
                              "cannot read: reading a Dockerfile takes up to 24 MiB, which does "
                              "not fit in %s",
                              hp_manifest_budget_describe(&cx->budget, limit, sizeof(limit)));
        } else {
            rc = hp_dockerfile_parse(data, len, &opt, f, &err);
            hp_manifest_budget_release(&cx->budget, HP_DOCKERFILE_MAX_MEMORY);
        }
    } else {
        /* The tree is charged at a bound of its cost before it is built. */
        size_t cost = json_tree_cost(data, len);
        if (len > INT32_MAX || !hp_manifest_budget_charge(&cx->budget, cost)) {
            char limit[160];
            rc = hp_error_set(&err, HP_ERR_LIMIT,
                              "cannot read: the image config's tree does not fit in %s",
                              hp_manifest_budget_describe(&cx->budget, limit, sizeof(limit)));
        } else {
            struct json_tokener *tok = json_tokener_new_ex(64);
            struct json_object *root =
                tok != NULL ? json_tokener_parse_ex(tok, data, (int)len) : NULL;
            size_t end = tok != NULL ? (size_t)tok->char_offset : 0;
            while (end < len && strchr(" \t\r\n", data[end]) != NULL) {
                end++;
            }
            if (root == NULL || end != len) {
                rc = hp_error_set(&err, HP_ERR_INVALID, "not an image config: %s",
                                  tok != NULL && root == NULL
                                      ? json_tokener_error_desc(json_tokener_get_error(tok))
                                      : "more than one JSON value");
            } else {
                rc = hp_image_config_decode(root, f, &err);
            }
            json_object_put(root);
            if (tok != NULL) {
                json_tokener_free(tok);
            }
            hp_manifest_budget_release(&cx->budget, cost);
        }
    }
    release(cx, data, charged);
    if (rc != HP_OK) {
        aud_report_error(cx->report, path, 0, "%s", err.msg);
        return false;
    }
    return true;
}

static void audit_image(struct aud_ctx *cx, const char *path, bool dockerfile)
{
    struct hp_image_facts f;
    hp_image_facts_init(&f);
    if (load_facts(cx, path, dockerfile, &f)) {
        struct hp_error err;
        hp_error_clear(&err);
        if (hp_policy_eval_image(cx->o->policy, &f, &cx->findings, &err) != HP_OK) {
            aud_report_error(cx->report, path, 0, "cannot be evaluated: %s", err.msg);
        } else {
            aud_report_image(cx->report, path, &f, &cx->findings);
        }
    }
    hp_image_facts_cleanup(&f);
}

void aud_dockerfile(struct aud_ctx *cx, const char *path)
{
    audit_image(cx, path, true);
}

void aud_image_config(struct aud_ctx *cx, const char *path)
{
    audit_image(cx, path, false);
}

/* ---- --image-map ---- */

static const struct hp_image_facts *find_image(void *arg, const char *image)
{
    const struct aud_ctx *cx = arg;
    /* An exact name first, then the first pattern that matches. */
    for (size_t i = 0; i < cx->n_images; i++) {
        if (cx->images[i].ok && strcmp(cx->images[i].pattern, image) == 0) {
            return &cx->images[i].facts;
        }
    }
    for (size_t i = 0; i < cx->n_images; i++) {
        if (cx->images[i].ok && fnmatch(cx->images[i].pattern, image, 0) == 0) {
            return &cx->images[i].facts;
        }
    }
    return NULL;
}

void aud_images_load(struct aud_ctx *cx)
{
    const struct hp_audit_options *o = cx->o;
    if (o->n_image_map == 0) {
        return;
    }
    cx->images = hp_xcalloc(o->n_image_map, sizeof(*cx->images));
    cx->n_images = o->n_image_map;
    for (size_t i = 0; i < o->n_image_map; i++) {
        struct aud_image *im = &cx->images[i];
        const char *path = o->image_map[i].path;
        im->pattern = o->image_map[i].image;
        hp_image_facts_init(&im->facts);
        bool dockerfile = aud_is_dockerfile_name(path);
        if (!dockerfile) {
            /* A file not named as a Dockerfile is one when it is no JSON. */
            char head[512];
            FILE *f = fopen(path, "rb");
            size_t n = f != NULL ? fread(head, 1, sizeof(head), f) : 0;
            if (f != NULL) {
                fclose(f);
            }
            dockerfile = f != NULL && !looks_json(head, n);
        }
        im->ok = load_facts(cx, path, dockerfile, &im->facts);
        /* The facts stay for the run: charged, or dropped when they do not
         * fit (the error says so; containers of that image then get no
         * combined findings, and the run exits 2). */
        if (im->ok) {
            size_t cost = facts_cost(&im->facts);
            if (hp_manifest_budget_charge(&cx->budget, cost)) {
                im->charged = cost;
            } else {
                char limit[160];
                aud_report_error(cx->report, path, 0, "cannot keep the image's facts: %s",
                                 hp_manifest_budget_describe(&cx->budget, limit, sizeof(limit)));
                im->ok = false;
            }
        }
    }
    cx->image_lookup = find_image;
}

void aud_images_cleanup(struct aud_ctx *cx)
{
    for (size_t i = 0; i < cx->n_images; i++) {
        hp_image_facts_cleanup(&cx->images[i].facts);
        hp_manifest_budget_release(&cx->budget, cx->images[i].charged);
    }
    free(cx->images);
    cx->images = NULL;
    cx->n_images = 0;
}
