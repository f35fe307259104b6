/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Webhook configuration templates: a YAML file with ${CA_BUNDLE},
 * ${SERVICE} and ${NAMESPACE} placeholders that `hardpod certs` fills with
 * the caBundle it just made. Text substitution only: the template is never
 * parsed as YAML, so whatever else it holds passes through byte for byte.
 */
#include "internal.h"

#include "hardpod/buf.h"

#include <stdlib.h>
#include <string.h>

#define TEMPLATE_MAX ((size_t)1 << 20)
#define RENDERED_MAX ((size_t)16 << 20)
#define BUNDLE_PLACEHOLDER "${CA_BUNDLE}"

enum hp_err hp_tls_template_load(const char *path, char **text, struct hp_error *err)
{
    char *data = NULL;
    size_t len = 0;

    *text = NULL;
    enum hp_err rc = hp_file_read(path, TEMPLATE_MAX, &data, &len, err);
    if (rc != HP_OK) {
        goto out;
    }
    if (memchr(data, '\0', len) != NULL) {
        rc = hp_error_set(err, HP_ERR_INVALID, "%s: not a text file (it contains NUL bytes)", path);
        goto out;
    }
    if (strstr(data, BUNDLE_PLACEHOLDER) == NULL) {
        rc = hp_error_set(err, HP_ERR_INVALID,
                          "%s: the template has no " BUNDLE_PLACEHOLDER " placeholder (write "
                          "caBundle: \"" BUNDLE_PLACEHOLDER "\" in its clientConfig)",
                          path);
        goto out;
    }
    *text = data;
    data = NULL;
out:
    free(data);
    return rc;
}

enum hp_err
hp_tls_template_render(const char *path, const char *tmpl, const struct hp_tls_template_vars *v,
                       void (*unknown)(void *ctx, size_t line, const char *text, size_t len),
                       void *ctx, char **out, size_t *out_len, struct hp_error *err)
{
    const struct {
        const char *name;
        const char *value;
    } ph[] = {
        {BUNDLE_PLACEHOLDER, v->ca_bundle},
        {"${SERVICE}", v->service},
        {"${NAMESPACE}", v->ns},
    };
    struct hp_buf b;
    size_t line = 1;

    *out = NULL;
    *out_len = 0;
    hp_buf_init(&b, RENDERED_MAX);
    for (const char *p = tmpl; *p != '\0';) {
        bool done = false;
        for (size_t i = 0; i < sizeof(ph) / sizeof(ph[0]) && !done; i++) {
            size_t len = strlen(ph[i].name);
            if (strncmp(p, ph[i].name, len) == 0) {
                hp_buf_puts(&b, ph[i].value);
                p += len;
                done = true;
            }
        }
        if (done) {
            continue;
        }
        if (p[0] == '$' && p[1] == '{' && unknown != NULL) {
            size_t len = strspn(p + 2, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
            if (len > 0 && p[2 + len] == '}') {
                unknown(ctx, line, p, len + 3);
            }
        }
        line += *p == '\n' ? 1 : 0;
        hp_buf_putc(&b, *p++);
    }
    if (b.overflow) {
        hp_buf_cleanup(&b);
        return hp_error_set(err, HP_ERR_LIMIT, "%s: the filled-in template is larger than %zu MiB",
                            path, RENDERED_MAX >> 20);
    }
    *out = hp_buf_take(&b, out_len);
    return HP_OK;
}
