/* SPDX-License-Identifier: Apache-2.0 */
/*
 * --format patch: a kustomize Component whose patches: list holds, per
 * resource with findings that a patch fixes, a strategic-merge patch with
 * its target (worked out in patch.c). Every finding no patch fixes, every
 * resource that cannot be patched and every input error is a comment, so
 * that nothing is dropped silently. Strings from the inputs are written
 * quoted or as comments that cannot break out of their line.
 */
#include "internal.h"

#include "hardpod/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Writes s into a comment: what a comment cannot carry, or YAML would
 * read as a line break, becomes '?'. */
static void comment_text(FILE *out, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        size_t k = aud_comment_char(s + i, n - i);
        if (k == 0) {
            fputc('?', out);
            k = hp_utf8_len(s + i, n - i);
            i += k > 0 ? k : 1;
        } else {
            fwrite(s + i, 1, k, out);
            i += k;
        }
    }
}

/* A string of the target or the patch's metadata, as YAML. */
static void put_value(FILE *out, const char *s)
{
    struct hp_buf b;
    hp_buf_init(&b, 0);
    aud_yaml_string(&b, s);
    fputs(hp_buf_str(&b), out);
    hp_buf_cleanup(&b);
}

/* Writes text with each line indented by n spaces. */
static void indented(FILE *out, const char *text, size_t n)
{
    for (const char *p = text; *p != '\0';) {
        const char *nl = strchr(p, '\n');
        size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
        if (len > 0) {
            fprintf(out, "%*s%.*s", (int)n, "", (int)len, p);
        }
        fputc('\n', out);
        p += len + (nl != NULL ? 1 : 0);
    }
}

static void target(FILE *out, const struct aud_entry *e)
{
    const char *av = e->api_version;
    const char *slash = strchr(av, '/');
    fputs("- target:\n", out);
    if (slash != NULL) {
        char group[256];
        snprintf(group, sizeof(group), "%.*s", (int)(slash - av), av);
        fputs("    group: ", out);
        put_value(out, group);
        fputc('\n', out);
    }
    fputs("    version: ", out);
    put_value(out, slash != NULL ? slash + 1 : av);
    fputs("\n    kind: ", out);
    put_value(out, e->kind);
    fputs("\n    name: ", out);
    put_value(out, e->name);
    if (e->ns != NULL) {
        fputs("\n    namespace: ", out);
        put_value(out, e->ns);
    }
    fputs("\n  patch: |-\n    apiVersion: ", out);
    put_value(out, av);
    fputs("\n    kind: ", out);
    put_value(out, e->kind);
    fputs("\n    metadata:\n      name: ", out);
    put_value(out, e->name);
    if (e->ns != NULL) {
        fputs("\n      namespace: ", out);
        put_value(out, e->ns);
    }
    fputc('\n', out);
    if (e->patch_meta != NULL && e->patch_meta[0] != '\0') {
        indented(out, e->patch_meta, 4);
    }
    indented(out, e->patch_spec, 4);
}

static void header(FILE *out, const struct aud_entry *e)
{
    char label[512];
    char *src = aud_entry_source(e);
    fputs("# ", out);
    comment_text(out, aud_entry_label(e, label, sizeof(label)));
    fputs(" (", out);
    comment_text(out, src);
    free(src);
    fprintf(out, "): %zu finding%s, %zu patched\n", e->n_findings, e->n_findings == 1 ? "" : "s",
            e->n_patched);
}

void aud_render_patch(const struct aud_report *r, const char *profile, FILE *out)
{
    size_t n_patches = 0;
    size_t n_findings = 0;
    size_t n_patched = 0;
    for (size_t i = 0; i < r->len; i++) {
        const struct aud_entry *e = &r->entries[i];
        if (e->error == NULL && aud_entry_shown(r, e)) {
            n_patches += e->patch_spec != NULL;
            n_findings += e->n_findings;
            n_patched += e->n_patched;
        }
    }
    fputs("# hardpod audit --format patch (profile ", out);
    comment_text(out, profile);
    fputs("): strategic-merge patches that set the fields\n"
          "# the findings ask for, as a kustomize Component. Save it as kustomization.yaml in a\n"
          "# directory and list that directory under components: in your kustomization (or copy\n"
          "# the entries of patches: into it). Values \"<set: ...>\" are placeholders that the\n"
          "# API server refuses: put your own requests and limits there before you apply.\n"
          "apiVersion: kustomize.config.k8s.io/v1alpha1\n"
          "kind: Component\n",
          out);
    fputs(n_patches > 0 ? "patches:\n" : "patches: []\n", out);
    for (size_t i = 0; i < r->len; i++) {
        const struct aud_entry *e = &r->entries[i];
        if (e->error != NULL) {
            char *src = aud_entry_source(e);
            fputs("# ERROR ", out);
            comment_text(out, src);
            fputs(": ", out);
            comment_text(out, e->error);
            fputc('\n', out);
            free(src);
            continue;
        }
        if (!aud_entry_shown(r, e)) {
            continue;
        }
        if (e->status == AUD_NOT_EVALUATED) {
            char label[512];
            char reason[512];
            fputs("# NOT EVALUATED ", out);
            comment_text(out, aud_entry_label(e, label, sizeof(label)));
            fputs(": ", out);
            comment_text(out, aud_entry_reason(e, reason, sizeof(reason)));
            fputc('\n', out);
            continue;
        }
        if (e->n_findings == 0) {
            continue;
        }
        header(out, e);
        if (e->patch_notes != NULL) {
            fputs(e->patch_notes, out);
        } else if (e->patch_spec == NULL) {
            /* No patch was worked out: a Dockerfile or an image config,
             * which no kustomize patch targets. Each finding is listed. */
            fputs("#   no patch: not a Kubernetes object; fix the image (its Dockerfile)\n", out);
            for (size_t k = 0; k < e->n_findings; k++) {
                fputs("#   not patched: ", out);
                comment_text(out, hp_check_name(e->findings[k].check));
                fputc(' ', out);
                comment_text(out, e->findings[k].path);
                fputs(": no patch for this input (above)\n", out);
            }
        }
        if (e->patch_spec != NULL) {
            target(out, e);
        }
    }
    fprintf(out,
            "# %zu patch%s, %zu of %zu findings patched; %zu resources: %zu denied, %zu warned, "
            "%zu errors\n",
            n_patches, n_patches == 1 ? "" : "es", n_patched, n_findings, r->n_resources,
            r->n_denied, r->n_warned, r->n_errors);
}
