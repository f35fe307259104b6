/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The JUnit XML report for CI systems that show test reports: a testsuite
 * per input file, a testcase per resource or input error. Deny findings are
 * failures; warnings are failures under --fail-on warn and system-out
 * otherwise; skipped documents are <skipped/>; resources that were not
 * evaluated are <skipped/> or, under --fail-on not-evaluated, failures.
 * Every string from the inputs is escaped into valid XML 1.0 and UTF-8.
 */
#include "internal.h"

#include "hardpod/buf.h"
#include "hardpod/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Writes s as XML character data (attr: as an attribute value in double
 * quotes). Characters XML 1.0 cannot carry at all (controls other than tab,
 * newline and return, U+FFFE, U+FFFF) and bytes that are not UTF-8 are
 * written as visible "\xNN" escapes, so the document always parses. */
static void xml_put(FILE *out, const char *s, bool attr)
{
    const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
    size_t left = strlen((const char *)p);
    while (left > 0) {
        size_t n = hp_utf8_len((const char *)p, left);
        if (n == 0 || (n == 3 && p[0] == 0xef && p[1] == 0xbf && (p[2] == 0xbe || p[2] == 0xbf))) {
            fprintf(out, "\\x%02x", p[0]);
            p++;
            left--;
            continue;
        }
        if (n > 1) {
            fwrite(p, 1, n, out);
        } else if (*p == '&') {
            fputs("&amp;", out);
        } else if (*p == '<') {
            fputs("&lt;", out);
        } else if (*p == '>') {
            fputs("&gt;", out);
        } else if (*p == '"' && attr) {
            fputs("&quot;", out);
        } else if ((*p == '\n' || *p == '\r' || *p == '\t') && attr) {
            /* Attribute value normalisation would turn them into spaces. */
            fprintf(out, "&#%d;", *p);
        } else if ((*p < 0x20 && *p != '\n' && *p != '\r' && *p != '\t') || *p == 0x7f) {
            fprintf(out, "\\x%02x", *p);
        } else {
            fputc(*p, out);
        }
        p += n;
        left -= n;
    }
}

static void attr(FILE *out, const char *name, const char *value)
{
    fprintf(out, " %s=\"", name);
    xml_put(out, value, true);
    fputc('"', out);
}

struct counts {
    size_t tests, failures, errors, skipped;
};

static bool has_warn_failure(const struct aud_entry *e, unsigned fail_on)
{
    return e->n_warn > 0 && (fail_on & HP_AUDIT_FAIL_WARN) != 0 &&
           (fail_on & HP_AUDIT_FAIL_NEVER) == 0;
}

/* Deny findings are failures whatever --fail-on says: the exit status is
 * what --fail-on changes, the report says what was found. */
static void count(const struct aud_entry *e, unsigned fail_on, struct counts *c)
{
    c->tests++;
    if (e->error != NULL) {
        c->errors++;
    } else if (e->status == AUD_SKIPPED) {
        c->skipped++;
    } else if (e->status == AUD_NOT_EVALUATED) {
        if (aud_entry_fails(e, fail_on)) {
            c->failures++;
        } else {
            c->skipped++;
        }
    } else if (e->n_deny > 0 || has_warn_failure(e, fail_on)) {
        c->failures++;
    }
}

static void counts_attrs(FILE *out, const struct counts *c)
{
    fprintf(out, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\"", c->tests,
            c->failures, c->errors, c->skipped);
}

/* One finding as text: "deny  check  container "x"  path\n  message\n  fix: ...". */
static void finding_text(FILE *out, const struct aud_entry *e, const struct aud_finding *f)
{
    fprintf(out, "%s  %s  ", hp_action_name(f->action), hp_check_name(f->check));
    if (f->container != NULL) {
        fputs("container \"", out);
        xml_put(out, f->container, false);
        fputs("\"  ", out);
    } else {
        fputs(e->image ? "image  " : "pod  ", out);
    }
    xml_put(out, f->path, false);
    if (f->line > 0) {
        char *where = aud_finding_source(e, f);
        fputs("  ", out);
        xml_put(out, where, false);
        free(where);
    }
    fputs("\n", out);
    xml_put(out, f->message, false);
    if (f->fix != NULL) {
        fputs("\nfix: ", out);
        xml_put(out, f->fix, false);
    }
}

static void findings(FILE *out, const struct aud_entry *e, unsigned fail_on)
{
    bool warn_fails = has_warn_failure(e, fail_on);
    bool any_out = false;
    for (size_t i = 0; i < e->n_findings; i++) {
        const struct aud_finding *f = &e->findings[i];
        if (f->action == HP_ACTION_DENY || warn_fails) {
            fputs("      <failure", out);
            attr(out, "type", hp_check_name(f->check));
            attr(out, "message", f->message);
            fputc('>', out);
            finding_text(out, e, f);
            fputs("</failure>\n", out);
        } else {
            any_out = true;
        }
    }
    if (!any_out) {
        return;
    }
    fputs("      <system-out>", out);
    for (size_t i = 0; i < e->n_findings; i++) {
        const struct aud_finding *f = &e->findings[i];
        if (f->action != HP_ACTION_DENY) {
            finding_text(out, e, f);
            fputc('\n', out);
        }
    }
    fputs("</system-out>\n", out);
}

static void testcase(FILE *out, const struct aud_entry *e, unsigned fail_on)
{
    char label[512];
    char reason[512];
    char *src = aud_entry_source(e);
    fputs("    <testcase", out);
    attr(out, "classname", e->file);
    if (e->error != NULL) {
        attr(out, "name", src);
        fputs(">\n      <error type=\"parseError\"", out);
        attr(out, "message", e->error);
        fputs("/>\n    </testcase>\n", out);
        free(src);
        return;
    }
    struct hp_buf name;
    hp_buf_init(&name, 0);
    hp_buf_printf(&name, "%s (%s)", aud_entry_label(e, label, sizeof(label)), src);
    attr(out, "name", hp_buf_str(&name));
    hp_buf_cleanup(&name);
    free(src);
    fputs(">\n", out);
    if (e->status == AUD_SKIPPED) {
        fputs("      <skipped", out);
        attr(out, "message", aud_entry_reason(e, reason, sizeof(reason)));
        fputs("/>\n", out);
    } else if (e->status == AUD_NOT_EVALUATED) {
        fputs(aud_entry_fails(e, fail_on) ? "      <failure type=\"notEvaluated\""
                                          : "      <skipped",
              out);
        attr(out, "message", aud_entry_reason(e, reason, sizeof(reason)));
        fputs("/>\n", out);
    } else {
        findings(out, e, fail_on);
    }
    fputs("    </testcase>\n", out);
}

/* Entries [from, to) are one input file's, in input order. */
static void testsuite(FILE *out, const struct aud_report *r, size_t from, size_t to,
                      const char *profile, unsigned fail_on)
{
    struct counts c = {0};
    for (size_t i = from; i < to; i++) {
        if (aud_entry_shown(r, &r->entries[i])) {
            count(&r->entries[i], fail_on, &c);
        }
    }
    fputs("  <testsuite", out);
    attr(out, "name", r->entries[from].file);
    counts_attrs(out, &c);
    fputs(">\n    <properties>\n      <property name=\"profile\"", out);
    attr(out, "value", profile);
    fputs("/>\n    </properties>\n", out);
    for (size_t i = from; i < to; i++) {
        if (aud_entry_shown(r, &r->entries[i])) {
            testcase(out, &r->entries[i], fail_on);
        }
    }
    fputs("  </testsuite>\n", out);
}

void aud_render_junit(const struct aud_report *r, const char *profile, unsigned fail_on, FILE *out)
{
    struct counts all = {0};
    fail_on = aud_fail_on(fail_on);
    for (size_t i = 0; i < r->len; i++) {
        if (aud_entry_shown(r, &r->entries[i])) {
            count(&r->entries[i], fail_on, &all);
        }
    }
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"hardpod audit\"", out);
    counts_attrs(out, &all);
    fputs(">\n", out);
    for (size_t from = 0; from < r->len;) {
        size_t to = from + 1;
        while (to < r->len && strcmp(r->entries[to].file, r->entries[from].file) == 0) {
            to++;
        }
        testsuite(out, r, from, to, profile, fail_on);
        from = to;
    }
    fputs("</testsuites>\n", out);
}
