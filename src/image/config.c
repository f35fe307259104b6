/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Image configs: what `podman image inspect` and `docker image inspect` print
 * (an array of one object whose "Config" holds User, ExposedPorts and Env), one
 * such object, or an OCI image config blob (the same fields under "config").
 * Reads only those three fields; a shape it cannot read is an error that names
 * the JSON path, never an image without findings. No I/O, no guessing.
 */
#include "hardpod/image.h"
#include "hardpod/k8s.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Real images set a few dozen variables and ports; the cap bounds the time
 * spent replacing duplicate names (linear in the entries so far). */
#define MAX_ENTRIES 4096

/* Where the fields sit, for messages: "" or "[0].", then "Config" or
 * "config". */
struct where {
    const char *prefix;
    const char *config;
};

static enum hp_err expected(struct hp_error *err, const struct where *w, const char *field,
                            const char *what, struct json_object *got)
{
    char desc[96];
    if (json_object_is_type(got, json_type_string) &&
        strlen(json_object_get_string(got)) != (size_t)json_object_get_string_len(got)) {
        snprintf(desc, sizeof(desc), "a string with a NUL character");
    } else {
        hp_k8s_describe(got, desc, sizeof(desc));
    }
    return hp_error_set(err, HP_ERR_INVALID, "%s%s%s: expected %s, got %s", w->prefix, w->config,
                        field, what, desc);
}

/* A JSON string as a C string, or NULL when it is not a string or holds a
 * NUL character (which would cut it short). */
static const char *string_of(struct json_object *v, size_t *len)
{
    if (!json_object_is_type(v, json_type_string)) {
        return NULL;
    }
    const char *s = json_object_get_string(v);
    size_t n = (size_t)json_object_get_string_len(v);
    if (strlen(s) != n) {
        return NULL;
    }
    *len = n;
    return s;
}

static enum hp_err read_user(struct json_object *cfg, const struct where *w,
                             struct hp_image_facts *out, struct hp_error *err)
{
    struct json_object *v = NULL;
    if (!json_object_object_get_ex(cfg, "User", &v) || v == NULL) {
        return HP_OK;
    }
    size_t n = 0;
    const char *s = string_of(v, &n);
    if (s == NULL) {
        return expected(err, w, ".User", "a string", v);
    }
    /* "" is how docker prints an image without USER: it runs as root. */
    if (n > 0) {
        out->user.text = hp_xstrndup(s, n);
    }
    return HP_OK;
}

/* "80", "80/tcp", "53/udp" or "9/sctp", as `EXPOSE` records them. */
static bool parse_port_key(const char *key, struct hp_image_port *p)
{
    unsigned long port = 0;
    size_t i = 0;
    while (key[i] >= '0' && key[i] <= '9' && i < 6) {
        port = port * 10 + (unsigned long)(key[i] - '0');
        i++;
    }
    if (i == 0 || i > 5 || port == 0 || port > 65535) {
        return false;
    }
    const char *proto = "tcp";
    if (key[i] == '/') {
        proto = key + i + 1;
        if (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0 && strcmp(proto, "sctp") != 0) {
            return false;
        }
    } else if (key[i] != '\0') {
        return false;
    }
    p->port = (unsigned)port;
    snprintf(p->proto, sizeof(p->proto), "%s", proto);
    return true;
}

static enum hp_err read_ports(struct json_object *cfg, const struct where *w,
                              struct hp_image_facts *out, struct hp_error *err)
{
    struct json_object *v = NULL;
    if (!json_object_object_get_ex(cfg, "ExposedPorts", &v) || v == NULL) {
        return HP_OK;
    }
    if (!json_object_is_type(v, json_type_object)) {
        return expected(err, w, ".ExposedPorts", "an object such as {\"8080/tcp\": {}}", v);
    }
    size_t n = (size_t)json_object_object_length(v);
    if (n > MAX_ENTRIES) {
        return hp_error_set(err, HP_ERR_LIMIT, "%s%s.ExposedPorts: %zu ports, more than %d",
                            w->prefix, w->config, n, MAX_ENTRIES);
    }
    if (n == 0) {
        return HP_OK;
    }
    out->ports = hp_xcalloc(n, sizeof(*out->ports));
    json_object_object_foreach(v, key, val)
    {
        (void)val;
        struct hp_image_port *p = &out->ports[out->n_ports];
        if (!parse_port_key(key, p)) {
            return hp_error_set(err, HP_ERR_INVALID,
                                "%s%s.ExposedPorts[\"%.64s\"]: expected PORT or PORT/PROTOCOL "
                                "(\"8080/tcp\"), with a port from 1 to 65535 and the protocol "
                                "tcp, udp or sctp",
                                w->prefix, w->config, key);
        }
        p->value.text = hp_xstrdup(key);
        out->n_ports++;
    }
    return HP_OK;
}

static struct hp_image_env *find_env(struct hp_image_facts *f, const char *name, size_t len)
{
    for (size_t i = 0; i < f->n_env; i++) {
        if (strlen(f->env[i].name) == len && memcmp(f->env[i].name, name, len) == 0) {
            return &f->env[i];
        }
    }
    return NULL;
}

static enum hp_err read_env(struct json_object *cfg, const struct where *w,
                            struct hp_image_facts *out, struct hp_error *err)
{
    struct json_object *v = NULL;
    if (!json_object_object_get_ex(cfg, "Env", &v) || v == NULL) {
        return HP_OK;
    }
    if (!json_object_is_type(v, json_type_array)) {
        return expected(err, w, ".Env", "an array of \"NAME=VALUE\" strings", v);
    }
    size_t n = json_object_array_length(v);
    if (n > MAX_ENTRIES) {
        return hp_error_set(err, HP_ERR_LIMIT, "%s%s.Env: %zu entries, more than %d", w->prefix,
                            w->config, n, MAX_ENTRIES);
    }
    if (n == 0) {
        return HP_OK;
    }
    out->env = hp_xcalloc(n, sizeof(*out->env));
    for (size_t i = 0; i < n; i++) {
        struct json_object *item = json_object_array_get_idx(v, i);
        char field[48];
        snprintf(field, sizeof(field), ".Env[%zu]", i);
        size_t len = 0;
        const char *s = string_of(item, &len);
        if (s == NULL) {
            return expected(err, w, field, "a \"NAME=VALUE\" string", item);
        }
        const char *eq = memchr(s, '=', len);
        if (eq == NULL || eq == s) {
            return expected(err, w, field, "a \"NAME=VALUE\" string", item);
        }
        size_t name_len = (size_t)(eq - s);
        char *value = hp_xstrndup(eq + 1, len - name_len - 1);
        /* As a Dockerfile's ENV: a later entry of the same name wins. */
        struct hp_image_env *e = find_env(out, s, name_len);
        if (e != NULL) {
            free(e->value.text);
            e->value.text = value;
            continue;
        }
        e = &out->env[out->n_env++];
        e->name = hp_xstrndup(s, name_len);
        e->value.text = value;
    }
    return HP_OK;
}

static enum hp_err read_config(struct json_object *cfg, const struct where *w,
                               struct hp_image_facts *out, struct hp_error *err)
{
    if (cfg == NULL) {
        /* The OCI spec makes config optional; without one the image runs
         * as root with no ports or environment, which the checks report. */
        return HP_OK;
    }
    if (!json_object_is_type(cfg, json_type_object)) {
        return expected(err, w, "", "an object", cfg);
    }
    enum hp_err rc = read_user(cfg, w, out, err);
    if (rc == HP_OK) {
        rc = read_ports(cfg, w, out, err);
    }
    if (rc == HP_OK) {
        rc = read_env(cfg, w, out, err);
    }
    return rc;
}

static bool has(struct json_object *obj, const char *key)
{
    return json_object_object_get_ex(obj, key, NULL);
}

/* One image: an inspect object ("Config") or an OCI config blob ("config"). */
static enum hp_err read_image(struct json_object *img, const char *prefix,
                              struct hp_image_facts *out, struct hp_error *err)
{
    const char *at = prefix[0] != '\0' ? prefix : "image config";
    if (!json_object_is_type(img, json_type_object)) {
        char desc[96];
        return hp_error_set(err, HP_ERR_INVALID, "%s: expected an object, got %s", at,
                            hp_k8s_describe(img, desc, sizeof(desc)));
    }
    struct where w = {.prefix = prefix[0] != '\0' ? prefix : "", .config = "Config"};
    char dotted[16];
    if (prefix[0] != '\0') {
        snprintf(dotted, sizeof(dotted), "%s.", prefix);
        w.prefix = dotted;
    }
    bool upper = has(img, "Config");
    bool lower = has(img, "config");
    if (upper && lower) {
        return hp_error_set(err, HP_ERR_INVALID,
                            "%s: has both \"Config\" (image inspect) and \"config\" (OCI image "
                            "config): give one of them",
                            at);
    }
    struct json_object *cfg = NULL;
    if (upper) {
        json_object_object_get_ex(img, "Config", &cfg);
        return read_config(cfg, &w, out, err);
    }
    if (lower) {
        json_object_object_get_ex(img, "config", &cfg);
        w.config = "config";
        /* An OCI manifest also has "config", a descriptor of the config blob. */
        if (has(img, "schemaVersion") || has(img, "layers") ||
            (json_object_is_type(cfg, json_type_object) && has(cfg, "digest"))) {
            return hp_error_set(err, HP_ERR_INVALID,
                                "%s: this is an image manifest (config.digest names the config "
                                "blob), not an image config: give the blob it names, or the "
                                "output of `podman image inspect`",
                                at);
        }
        return read_config(cfg, &w, out, err);
    }
    if (has(img, "rootfs") && (has(img, "architecture") || has(img, "os"))) {
        return HP_OK; /* an OCI image config without the optional config */
    }
    if (has(img, "manifests")) {
        return hp_error_set(err, HP_ERR_INVALID,
                            "%s: this is an image index (manifests), not an image config: give "
                            "the output of `podman image inspect IMAGE` for one platform",
                            at);
    }
    return hp_error_set(err, HP_ERR_INVALID,
                        "%s: not an image config: expected the output of `podman image inspect` "
                        "or `docker image inspect` (\"Config\") or an OCI image config blob "
                        "(\"config\")",
                        at);
}

enum hp_err hp_image_config_decode(struct json_object *root, struct hp_image_facts *out,
                                   struct hp_error *err)
{
    hp_image_facts_cleanup(out);
    out->source = HP_IMAGE_CONFIG;
    out->n_stages = 1;
    enum hp_err rc;
    if (json_object_is_type(root, json_type_array)) {
        size_t n = json_object_array_length(root);
        if (n != 1) {
            rc = hp_error_set(err, HP_ERR_INVALID,
                              "image config: an array of %zu images; expected exactly one (inspect "
                              "one image per file)",
                              n);
        } else {
            rc = read_image(json_object_array_get_idx(root, 0), "[0]", out, err);
        }
    } else {
        rc = read_image(root, "", out, err);
    }
    if (rc != HP_OK) {
        hp_image_facts_cleanup(out);
        out->source = HP_IMAGE_CONFIG;
        out->n_stages = 1;
    }
    return rc;
}
