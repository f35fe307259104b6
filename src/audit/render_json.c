/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The JSON report: {"summary", "resources", "errors"} with a fixed key order
 * and null for every absent identity field, so that scripts can rely on the
 * shape; each resource has its status (evaluated, skipped, not-evaluated)
 * and the reason it was not judged. Printed pretty, without escaping
 * slashes, as it is walked: a report of any size costs no more memory than
 * the report itself.
 */
#include "internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static void member_string(struct aud_json *w, const char *key, const char *s)
{
    aud_json_key(w, key);
    aud_json_string(w, s);
}

static void member_count(struct aud_json *w, const char *key, size_t n)
{
    aud_json_key(w, key);
    aud_json_int(w, (int64_t)n);
}

static void source(struct aud_json *w, const struct aud_entry *e)
{
    char *s = aud_entry_source(e);
    member_string(w, "source", s);
    free(s);
}

static void finding(struct aud_json *w, const struct aud_finding *f)
{
    aud_json_open(w, '{');
    member_string(w, "check", hp_check_name(f->check));
    member_string(w, "action", hp_action_name(f->action));
    member_string(w, "container", f->container);
    member_string(w, "path", f->path);
    member_string(w, "message", f->message);
    member_string(w, "fix", f->fix);
    /* Where the field (or its nearest written parent) is; null when the
     * input was not read with positions (JSON). */
    aud_json_key(w, "line");
    if (f->line > 0) {
        aud_json_int(w, (int64_t)f->line);
    } else {
        aud_json_string(w, NULL);
    }
    aud_json_key(w, "column");
    if (f->column > 0) {
        aud_json_int(w, (int64_t)f->column);
    } else {
        aud_json_string(w, NULL);
    }
    aud_json_close(w);
}

static const char *status_name(enum aud_status s)
{
    switch (s) {
    case AUD_SKIPPED:
        return "skipped";
    case AUD_NOT_EVALUATED:
        return "not-evaluated";
    case AUD_EVALUATED:
    default:
        return "evaluated";
    }
}

static void resource(struct aud_json *w, const struct aud_entry *e)
{
    char reason[512];
    aud_json_open(w, '{');
    source(w, e);
    member_string(w, "apiVersion", e->api_version);
    member_string(w, "kind", e->kind);
    member_string(w, "namespace", e->ns);
    member_string(w, "name", e->name);
    member_string(w, "status", status_name(e->status));
    member_string(w, "reason",
                  e->status != AUD_EVALUATED ? aud_entry_reason(e, reason, sizeof(reason)) : NULL);
    member_string(w, "containersPath", e->containers_at);
    if (e->image) {
        member_string(w, "from", e->image_from);
    }
    if (e->owner_kind != NULL && e->owner_name != NULL) {
        aud_json_key(w, "owner");
        aud_json_open(w, '{');
        member_string(w, "kind", e->owner_kind);
        member_string(w, "name", e->owner_name);
        aud_json_close(w);
    }
    if (e->covers > 0) {
        aud_json_key(w, "covers");
        aud_json_open(w, '{');
        member_count(w, "resources", e->covers);
        member_count(w, "pods", e->covers_pods);
        aud_json_close(w);
    }
    /* Not evaluated is neither allowed nor denied: null, never true. */
    aud_json_key(w, "allowed");
    if (e->status == AUD_NOT_EVALUATED) {
        aud_json_string(w, NULL);
    } else {
        aud_json_bool(w, e->n_deny == 0);
    }
    aud_json_key(w, "findings");
    aud_json_open(w, '[');
    for (size_t i = 0; i < e->n_findings; i++) {
        aud_json_item(w);
        finding(w, &e->findings[i]);
    }
    aud_json_close(w);
    aud_json_close(w);
}

static void error_entry(struct aud_json *w, const struct aud_entry *e)
{
    aud_json_open(w, '{');
    source(w, e);
    member_string(w, "message", e->error);
    aud_json_close(w);
}

void aud_render_json(const struct aud_report *r, FILE *out)
{
    struct aud_json w;
    aud_json_init(&w, out);
    aud_json_open(&w, '{');
    aud_json_key(&w, "summary");
    aud_json_open(&w, '{');
    member_count(&w, "resources", r->n_resources);
    member_count(&w, "denied", r->n_denied);
    member_count(&w, "warned", r->n_warned);
    member_count(&w, "errors", r->n_errors);
    member_count(&w, "passed", r->n_passed);
    member_count(&w, "skipped", r->n_skipped);
    member_count(&w, "notEvaluated", r->n_not_evaluated);
    member_count(&w, "kubernetesObjects", r->n_objects);
    member_count(&w, "groupedUnderOwner", r->n_folded);
    member_count(&w, "images", r->n_images);
    aud_json_close(&w);

    aud_json_key(&w, "resources");
    aud_json_open(&w, '[');
    for (size_t i = 0; i < r->len; i++) {
        if (r->entries[i].error == NULL && aud_entry_shown(r, &r->entries[i])) {
            aud_json_item(&w);
            resource(&w, &r->entries[i]);
        }
    }
    aud_json_close(&w);
    aud_json_key(&w, "errors");
    aud_json_open(&w, '[');
    for (size_t i = 0; i < r->len; i++) {
        if (r->entries[i].error != NULL) {
            aud_json_item(&w);
            error_entry(&w, &r->entries[i]);
        }
    }
    aud_json_close(&w);
    aud_json_close(&w);
    fputc('\n', out);
}
