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
    [HP_AUDIT_JUNIT] = "junit",
    [HP_AUDIT_POLICYREPORT] = "policyreport",
    [HP_AUDIT_PATCH] = "patch",
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

static const struct {
    const char *name;
    unsigned bit;
} fail_on_words[] = {
    {"deny", HP_AUDIT_FAIL_DENY},
    {"warn", HP_AUDIT_FAIL_WARN},
    {"never", HP_AUDIT_FAIL_NEVER},
    {"not-evaluated", HP_AUDIT_FAIL_NOT_EVALUATED},
};

#define FAIL_ON_THRESHOLDS (HP_AUDIT_FAIL_DENY | HP_AUDIT_FAIL_WARN | HP_AUDIT_FAIL_NEVER)

enum hp_err hp_audit_fail_on_parse(const char *s, unsigned *out, struct hp_error *err)
{
    unsigned bits = 0;
    const char *p = s;
    for (;;) {
        size_t n = strcspn(p, ",");
        unsigned bit = 0;
        for (size_t i = 0; i < sizeof(fail_on_words) / sizeof(fail_on_words[0]); i++) {
            if (strlen(fail_on_words[i].name) == n && strncmp(fail_on_words[i].name, p, n) == 0) {
                bit = fail_on_words[i].bit;
            }
        }
        if (bit == 0) {
            return hp_error_set(err, HP_ERR_INVALID,
                                "'%.*s' in '%s' is not one of deny, warn, never, not-evaluated",
                                (int)(n < 64 ? n : 64), p, s);
        }
        if ((bit & FAIL_ON_THRESHOLDS) != 0 && (bits & FAIL_ON_THRESHOLDS) != 0) {
            return hp_error_set(err, HP_ERR_INVALID,
                                "'%s' names more than one of deny, warn and never", s);
        }
        bits |= bit;
        if (p[n] == '\0') {
            break;
        }
        p += n + 1;
    }
    if ((bits & HP_AUDIT_FAIL_NEVER) != 0 && bits != HP_AUDIT_FAIL_NEVER) {
        return hp_error_set(err, HP_ERR_INVALID,
                            "'%s': never cannot be combined with not-evaluated", s);
    }
    if ((bits & FAIL_ON_THRESHOLDS) == 0) {
        bits |= HP_AUDIT_FAIL_DENY;
    }
    *out = bits;
    return HP_OK;
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

    aud_images_load(cx);
    for (size_t i = 0; i < n_paths && !report.stopped; i++) {
        aud_input(cx, paths[i]);
    }
    for (size_t i = 0; i < o->n_dockerfiles && !report.stopped; i++) {
        aud_dockerfile(cx, o->dockerfiles[i]);
    }
    for (size_t i = 0; i < o->n_image_configs && !report.stopped; i++) {
        aud_image_config(cx, o->image_configs[i]);
    }

    if (!o->no_group) {
        aud_group(&report);
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
    case HP_AUDIT_JUNIT:
        aud_render_junit(&report, profile, o->fail_on, out);
        break;
    case HP_AUDIT_POLICYREPORT:
        aud_render_policyreport(&report, o->policy, o->fail_on, o->now, out);
        break;
    case HP_AUDIT_PATCH:
        aud_render_patch(&report, profile, out);
        break;
    case HP_AUDIT_TEXT:
    default:
        aud_render_text(&report, profile, o->color, out);
        break;
    }
    int code = aud_report_fail_code(&report, o->fail_on);
    aud_report_cleanup(&report);
    aud_images_cleanup(cx);
    aud_ctx_cleanup(cx);
    free(cx);
    return code;
}
