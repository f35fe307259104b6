/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The JSON report: {"summary", "resources", "errors"} with a fixed key order
 * and null for every absent identity field, so that scripts can rely on the
 * shape. Built with json-c; printed pretty, without escaping slashes.
 */
#include "internal.h"

#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static struct json_object *string_or_null(const char *s)
{
    return s != NULL ? json_object_new_string(s) : NULL;
}

static struct json_object *count(size_t n)
{
    return json_object_new_int64((int64_t)n);
}

static struct json_object *source(const struct hp_audit_entry *e)
{
    char *s = hp_audit_entry_source(e);
    struct json_object *v = json_object_new_string(s);
    free(s);
    return v;
}

static struct json_object *finding(const struct hp_audit_finding *f)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "check", json_object_new_string(hp_check_name(f->check)));
    json_object_object_add(o, "action", json_object_new_string(hp_action_name(f->action)));
    json_object_object_add(o, "container", string_or_null(f->container));
    json_object_object_add(o, "path", json_object_new_string(f->path));
    json_object_object_add(o, "message", json_object_new_string(f->message));
    json_object_object_add(o, "fix", string_or_null(f->fix));
    return o;
}

static struct json_object *resource(const struct hp_audit_entry *e)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "source", source(e));
    json_object_object_add(o, "apiVersion", string_or_null(e->api_version));
    json_object_object_add(o, "kind", string_or_null(e->kind));
    json_object_object_add(o, "namespace", string_or_null(e->ns));
    json_object_object_add(o, "name", string_or_null(e->name));
    json_object_object_add(o, "allowed", json_object_new_boolean(e->n_deny == 0));
    struct json_object *list = json_object_new_array();
    for (size_t i = 0; i < e->n_findings; i++) {
        json_object_array_add(list, finding(&e->findings[i]));
    }
    json_object_object_add(o, "findings", list);
    return o;
}

static struct json_object *error_entry(const struct hp_audit_entry *e)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "source", source(e));
    json_object_object_add(o, "message", json_object_new_string(e->error));
    return o;
}

void hp_audit_render_json(const struct hp_audit_report *r, FILE *out)
{
    struct json_object *root = json_object_new_object();
    struct json_object *summary = json_object_new_object();
    json_object_object_add(summary, "resources", count(r->n_resources));
    json_object_object_add(summary, "denied", count(r->n_denied));
    json_object_object_add(summary, "warned", count(r->n_warned));
    json_object_object_add(summary, "errors", count(r->n_errors));
    json_object_object_add(root, "summary", summary);

    struct json_object *resources = json_object_new_array();
    struct json_object *errors = json_object_new_array();
    for (size_t i = 0; i < r->len; i++) {
        const struct hp_audit_entry *e = &r->entries[i];
        if (e->error != NULL) {
            json_object_array_add(errors, error_entry(e));
        } else {
            json_object_array_add(resources, resource(e));
        }
    }
    json_object_object_add(root, "resources", resources);
    json_object_object_add(root, "errors", errors);
    fputs(json_object_to_json_string_ext(root,
                                         JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE),
          out);
    fputc('\n', out);
    json_object_put(root);
}
