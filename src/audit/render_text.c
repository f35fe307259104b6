/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The text report for people: one header line per resource (DENY, WARN,
 * PASS, SKIP or NOT EVALUATED), its findings or the reason it was not judged
 * below it, errors in input order, and a summary line.
 * Control characters from the inputs are escaped so that a manifest cannot
 * drive the terminal; colour is added only when asked for.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>

#define RED "\033[31m"
#define YELLOW "\033[33m"
#define GREEN "\033[32m"
#define BOLD_RED "\033[1;31m"
#define MAGENTA "\033[35m"
#define RESET "\033[0m"

struct text {
    FILE *out;
    bool color;
};

/* Writes s with bytes below 0x20 (and DEL) escaped. */
static void put_safe(FILE *out, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            fprintf(out, "\\x%02x", *p);
        } else {
            fputc(*p, out);
        }
    }
}

static void put_colored(const struct text *t, const char *color, const char *word)
{
    if (t->color && color != NULL) {
        fprintf(t->out, "%s%s%s", color, word, RESET);
    } else {
        fputs(word, t->out);
    }
}

static void finding(const struct text *t, const struct aud_entry *e, const struct aud_finding *f)
{
    bool deny = f->action == HP_ACTION_DENY;
    fputs("  ", t->out);
    put_colored(t, deny ? RED : YELLOW, deny ? "deny" : "warn");
    fprintf(t->out, "  %s  ", hp_check_name(f->check));
    if (f->container != NULL) {
        fputs("container \"", t->out);
        put_safe(t->out, f->container);
        fputc('"', t->out);
    } else {
        fputs(e->image ? "image" : "pod", t->out);
    }
    fputs("  ", t->out);
    put_safe(t->out, f->path);
    if (f->line > 0) {
        char *where = aud_finding_source(e, f);
        fputs("  ", t->out);
        put_safe(t->out, where);
        free(where);
    }
    fputs("\n        ", t->out);
    put_safe(t->out, f->message);
    fputc('\n', t->out);
    if (f->fix != NULL) {
        fputs("        fix: ", t->out);
        put_safe(t->out, f->fix);
        fputc('\n', t->out);
    }
}

static void resource(const struct text *t, const struct aud_entry *e)
{
    char label[512];
    char *src = aud_entry_source(e);
    const char *verdict = aud_entry_verdict(e);
    const char *color = GREEN;
    if (e->status == AUD_NOT_EVALUATED) {
        color = MAGENTA;
    } else if (e->status == AUD_SKIPPED) {
        color = NULL;
    } else if (e->n_deny > 0) {
        color = RED;
    } else if (e->n_warn > 0) {
        color = YELLOW;
    }
    put_colored(t, color, verdict);
    fputs("  ", t->out);
    put_safe(t->out, aud_entry_label(e, label, sizeof(label)));
    fputs("  (", t->out);
    put_safe(t->out, src);
    fputc(')', t->out);
    free(src);
    char grouping[512];
    if (aud_entry_grouping(e, grouping, sizeof(grouping))[0] != '\0') {
        fputs(", ", t->out);
        put_safe(t->out, grouping);
    }
    char reason[512];
    if (e->status == AUD_SKIPPED) {
        fputs(": ", t->out);
        put_safe(t->out, aud_entry_reason(e, reason, sizeof(reason)));
    } else if (e->status == AUD_NOT_EVALUATED) {
        fputs("\n        ", t->out);
        put_safe(t->out, aud_entry_reason(e, reason, sizeof(reason)));
    }
    fputc('\n', t->out);
    for (size_t i = 0; i < e->n_findings; i++) {
        finding(t, e, &e->findings[i]);
    }
}

static void error_entry(const struct text *t, const struct aud_entry *e)
{
    char *src = aud_entry_source(e);
    put_colored(t, BOLD_RED, "ERROR");
    fputc(' ', t->out);
    put_safe(t->out, src);
    fputs(": ", t->out);
    put_safe(t->out, e->error);
    fputc('\n', t->out);
    free(src);
}

void aud_render_text(const struct aud_report *r, const char *profile, bool color, FILE *out)
{
    struct text t = {.out = out, .color = color};
    for (size_t i = 0; i < r->len; i++) {
        if (r->entries[i].error != NULL) {
            error_entry(&t, &r->entries[i]);
        } else if (aud_entry_shown(r, &r->entries[i])) {
            resource(&t, &r->entries[i]);
        }
    }
    if (r->len > 0) {
        fputc('\n', out);
    }
    fprintf(out,
            "%zu resources: %zu denied, %zu warned, %zu errors, %zu passed, %zu skipped, "
            "%zu not evaluated (profile ",
            r->n_resources, r->n_denied, r->n_warned, r->n_errors, r->n_passed, r->n_skipped,
            r->n_not_evaluated);
    put_safe(out, profile);
    fputs(")\n", out);
    if (r->n_folded > 0) {
        fprintf(out,
                "%zu of them shown on their owner, which has the same findings (--no-group "
                "lists each)\n",
                r->n_folded);
    } else if (r->group_failed) {
        fputs("not grouped by owner: the grouping did not fit in --max-memory\n", out);
    }
    if (r->n_images > 0) {
        fprintf(out, "%zu of them Dockerfiles or image configs\n", r->n_images);
    }
    /* A CI job pointed at the wrong directory should not read as clean. */
    if (r->n_objects == 0 && r->n_images == 0 && !r->stopped) {
        fputs("no Kubernetes object (apiVersion and kind) in the input\n", out);
    }
}
