/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `hardpod audit` as a library call: read every input into a report, then
 * render it in the chosen format. The verdicts are the engine's; this module
 * only reads, unwraps and prints. It never exits or writes to stderr.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static const char *const format_names[] = {
    [HP_AUDIT_TEXT] = "text",
    [HP_AUDIT_JSON] = "json",
    [HP_AUDIT_SARIF] = "sarif",
};

bool hp_audit_format_lookup(const char *name, enum hp_audit_format *out)
{
    for (size_t i = 0; i < sizeof(format_names) / sizeof(format_names[0]); i++) {
        if (strcmp(format_names[i], name) == 0) {
            *out = (enum hp_audit_format)i;
            return true;
        }
    }
    return false;
}

void aud_ctx_init(struct aud_ctx *cx, const struct hp_audit_options *o, struct aud_report *report)
{
    memset(cx, 0, sizeof(*cx));
    hp_findings_init(&cx->findings);
    cx->o = o;
    cx->report = report;
    /* Limits left zeroed by the caller mean the manifest defaults. */
    cx->limits = o->limits.max_bytes != 0 ? o->limits : hp_manifest_default_limits;
    if (cx->limits.max_memory == 0) {
        cx->limits.max_memory = HP_MANIFEST_DEFAULT_MAX_MEMORY;
    }
    cx->max_file_bytes = o->max_file_bytes != 0 ? o->max_file_bytes : cx->limits.max_bytes;
    hp_manifest_budget_init(&cx->budget, cx->limits.max_memory, "--max-memory");
    report->budget = &cx->budget;
}

void aud_ctx_cleanup(struct aud_ctx *cx)
{
    hp_findings_cleanup(&cx->findings);
    hp_manifest_budget_release(&cx->budget, cx->findings_charged);
    cx->findings_charged = 0;
}

int hp_audit_run(const struct hp_audit_options *o, char *const *paths, size_t n_paths, FILE *out)
{
    struct aud_report report;
    struct aud_ctx *cx = hp_xmalloc(sizeof(*cx));
    aud_report_init(&report);
    aud_ctx_init(cx, o, &report);

    for (size_t i = 0; i < n_paths && !report.stopped; i++) {
        aud_input(cx, paths[i]);
    }

    const char *profile =
        o->profile_name != NULL ? o->profile_name : hp_profile_name(o->policy->profile);
    switch (o->format) {
    case HP_AUDIT_JSON:
        aud_render_json(&report, out);
        break;
    case HP_AUDIT_SARIF:
        aud_render_sarif(&report, o->policy, out);
        break;
    case HP_AUDIT_TEXT:
    default:
        aud_render_text(&report, profile, o->color, out);
        break;
    }
    int code = aud_report_exit_code(&report);
    aud_report_cleanup(&report);
    aud_ctx_cleanup(cx);
    free(cx);
    return code;
}
