/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SARIF 2.1.0 report for code scanning (GitHub and others): one rule per
 * check plus "parseError" and "notEvaluated", one result per finding, per
 * resource that was not evaluated and per input error,
 * located by the file's relative URI and the line where the resource starts.
 * The envelope is printed as it is walked; each result is a small json-c
 * object printed and freed at once, so a report of any size costs no tree.
 */
#include "internal.h"

#include "hardpod/buf.h"

#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PARSE_ERROR_RULE "parseError"
#define PARSE_ERROR_INDEX HP_CHECK_COUNT
#define NOT_EVALUATED_RULE "notEvaluated"
#define NOT_EVALUATED_INDEX (HP_CHECK_COUNT + 1)

/* Not a check, but reported as a rule like one. */
static const struct hp_check_info parse_error_rule = {
    .name = PARSE_ERROR_RULE,
    .title = "Input could not be audited",
    .description = "A file or document could not be read, parsed or evaluated, so the resources "
                   "in it were not audited.",
    .help = "Fix the file at the reported line (or make it readable), then audit again.",
};

static const struct hp_check_info not_evaluated_rule = {
    .name = NOT_EVALUATED_RULE,
    .title = "Resource not evaluated",
    .description = "A resource of a kind hardpod cannot read holds containers, so its pod spec "
                   "was not checked: it is not a pass.",
    .help = "Map the kind to the paths of its pod specs in the config, or check the pods it "
            "creates.",
};

static struct json_object *text_object(const char *text)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "text", json_object_new_string(text));
    return o;
}

static const char *level_name(enum hp_action a)
{
    switch (a) {
    case HP_ACTION_DENY:
        return "error";
    case HP_ACTION_WARN:
        return "warning";
    case HP_ACTION_OFF:
    default:
        return "none";
    }
}

/* A rule's text comes from the registry's row of its check. */
static struct json_object *rule(const struct hp_check_info *r, const char *level)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_string(r->name));
    json_object_object_add(o, "shortDescription", text_object(r->title));
    json_object_object_add(o, "fullDescription", text_object(r->description));
    json_object_object_add(o, "help", text_object(r->help));
    struct json_object *conf = json_object_new_object();
    json_object_object_add(conf, "level", json_object_new_string(level));
    json_object_object_add(o, "defaultConfiguration", conf);
    struct json_object *tags = json_object_new_array();
    json_object_array_add(tags, json_object_new_string("security"));
    json_object_array_add(tags, json_object_new_string("kubernetes"));
    struct json_object *props = json_object_new_object();
    json_object_object_add(props, "tags", tags);
    json_object_object_add(o, "properties", props);
    return o;
}

static struct json_object *driver(const struct hp_policy *p)
{
    struct json_object *d = json_object_new_object();
    json_object_object_add(d, "name", json_object_new_string("hardpod"));
    json_object_object_add(d, "version", json_object_new_string(HP_VERSION));
    json_object_object_add(d, "informationUri",
                           json_object_new_string("https://github.com/hardpod/hardpod"));
    struct json_object *rules = json_object_new_array();
    for (int c = 0; c < HP_CHECK_COUNT; c++) {
        json_object_array_add(
            rules, rule(hp_check_info_get((enum hp_check)c), level_name(p->checks[c].action)));
    }
    json_object_array_add(rules, rule(&parse_error_rule, "error"));
    json_object_array_add(rules, rule(&not_evaluated_rule, "warning"));
    json_object_object_add(d, "rules", rules);
    struct json_object *tool = json_object_new_object();
    json_object_object_add(tool, "driver", d);
    return tool;
}

/* The artifact URI: relative paths without a leading "./", absolute ones as
 * file:// URIs, stdin as "stdin"; bytes outside RFC 3986's unreserved set
 * (and '/') percent-encoded. */
static void artifact_uri(const char *file, struct hp_buf *b)
{
    if (strcmp(file, "-") == 0) {
        hp_buf_puts(b, "stdin");
        return;
    }
    while (strncmp(file, "./", 2) == 0) {
        file += 2;
        while (*file == '/') {
            file++;
        }
    }
    if (file[0] == '/') {
        hp_buf_puts(b, "file://");
    }
    for (const unsigned char *p = (const unsigned char *)file; *p != '\0'; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~/", *p) != NULL) {
            hp_buf_putc(b, (char)*p);
        } else {
            hp_buf_printf(b, "%%%02X", *p);
        }
    }
}

/* f: the finding whose line and column are known, or NULL for the
 * resource's line. */
static struct json_object *location(const struct aud_entry *e, const struct aud_finding *f)
{
    struct hp_buf uri;
    hp_buf_init(&uri, 0);
    artifact_uri(e->file, &uri);
    struct json_object *artifact = json_object_new_object();
    json_object_object_add(artifact, "uri", json_object_new_string(hp_buf_str(&uri)));
    hp_buf_cleanup(&uri);
    struct json_object *phys = json_object_new_object();
    json_object_object_add(phys, "artifactLocation", artifact);
    /* An error about a whole file (line 0) points at its first line, as SARIF
     * consumers expect a region. */
    struct json_object *region = json_object_new_object();
    size_t line = f != NULL && f->line > 0 ? f->line : e->line;
    json_object_object_add(region, "startLine",
                           json_object_new_int64(line > 0 ? (int64_t)line : 1));
    if (f != NULL && f->line > 0 && f->column > 0) {
        json_object_object_add(region, "startColumn", json_object_new_int64((int64_t)f->column));
    }
    json_object_object_add(phys, "region", region);
    struct json_object *loc = json_object_new_object();
    json_object_object_add(loc, "physicalLocation", phys);
    struct json_object *locs = json_object_new_array();
    json_object_array_add(locs, loc);
    return locs;
}

/* FNV-1a over NUL-separated fields: stable across runs and line moves. */
static uint64_t fnv(uint64_t h, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)(s != NULL ? s : ""); *p != '\0'; p++) {
        h = (h ^ *p) * 0x100000001b3ULL;
    }
    return (h ^ 0xffu) * 0x100000001b3ULL;
}

static struct json_object *fingerprint(const struct aud_entry *e, const struct aud_finding *f)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    const char *fields[] = {e->file, e->kind, e->ns, e->name, hp_check_name(f->check), f->path};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        h = fnv(h, fields[i]);
    }
    char hex[17];
    snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)h);
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "hardpod/v1", json_object_new_string(hex));
    return o;
}

static struct json_object *result(const char *rule_id, int rule_index, const char *level,
                                  const char *text, const struct aud_entry *e,
                                  const struct aud_finding *f)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "ruleId", json_object_new_string(rule_id));
    json_object_object_add(o, "ruleIndex", json_object_new_int(rule_index));
    json_object_object_add(o, "level", json_object_new_string(level));
    json_object_object_add(o, "message", text_object(text));
    json_object_object_add(o, "locations", location(e, f));
    return o;
}

static struct json_object *finding_result(const struct aud_entry *e, const struct aud_finding *f)
{
    char label[512];
    struct hp_buf text;
    hp_buf_init(&text, 0);
    hp_buf_printf(&text, "%s: %s (", aud_entry_label(e, label, sizeof(label)), f->message);
    if (f->container != NULL) {
        hp_buf_printf(&text, "container \"%s\", ", f->container);
    }
    hp_buf_printf(&text, "path %s", f->path);
    char grouping[512];
    if (aud_entry_grouping(e, grouping, sizeof(grouping))[0] != '\0') {
        hp_buf_printf(&text, "; %s", grouping);
    }
    if (f->fix != NULL) {
        hp_buf_printf(&text, "; fix: %s", f->fix);
    }
    hp_buf_putc(&text, ')');
    struct json_object *o = result(hp_check_name(f->check), (int)f->check, level_name(f->action),
                                   hp_buf_str(&text), e, f);
    json_object_object_add(o, "partialFingerprints", fingerprint(e, f));
    hp_buf_cleanup(&text);
    return o;
}

/* Prints one result and frees it. */
static void put_result(struct aud_json *w, struct json_object *o)
{
    aud_json_item(w);
    aud_json_value(w, o);
    json_object_put(o);
}

void aud_render_sarif(const struct aud_report *r, const struct hp_policy *p, FILE *out)
{
    struct aud_json w;
    aud_json_init(&w, out);
    aud_json_open(&w, '{');
    aud_json_key(&w, "$schema");
    aud_json_string(&w, "https://json.schemastore.org/sarif-2.1.0.json");
    aud_json_key(&w, "version");
    aud_json_string(&w, "2.1.0");
    aud_json_key(&w, "runs");
    aud_json_open(&w, '[');
    aud_json_item(&w);
    aud_json_open(&w, '{');
    aud_json_key(&w, "tool");
    struct json_object *tool = driver(p);
    aud_json_value(&w, tool);
    json_object_put(tool);
    aud_json_key(&w, "results");
    aud_json_open(&w, '[');
    for (size_t i = 0; i < r->len; i++) {
        const struct aud_entry *e = &r->entries[i];
        if (e->error != NULL) {
            put_result(&w, result(PARSE_ERROR_RULE, PARSE_ERROR_INDEX, "error", e->error, e, NULL));
            continue;
        }
        if (!aud_entry_shown(r, e)) {
            continue;
        }
        if (e->status == AUD_NOT_EVALUATED) {
            char label[512];
            char reason[512];
            struct hp_buf text;
            hp_buf_init(&text, 0);
            hp_buf_printf(&text, "%s: %s", aud_entry_label(e, label, sizeof(label)),
                          aud_entry_reason(e, reason, sizeof(reason)));
            put_result(&w, result(NOT_EVALUATED_RULE, NOT_EVALUATED_INDEX, "warning",
                                  hp_buf_str(&text), e, NULL));
            hp_buf_cleanup(&text);
        }
        for (size_t j = 0; j < e->n_findings; j++) {
            put_result(&w, finding_result(e, &e->findings[j]));
        }
    }
    aud_json_close(&w);
    aud_json_close(&w);
    aud_json_close(&w);
    aud_json_close(&w);
    fputc('\n', out);
}
