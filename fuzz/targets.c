/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The fuzz targets: one input through the library as the server and
 * `hardpod audit` run it, then the documented properties of the result.
 * Used by the libFuzzer harnesses and, compiled into the replay test, by the
 * normal test suite. A broken property aborts, which libFuzzer and Check's
 * fork mode both report with the message printed here.
 */
#include "targets.h"

#include "admission/internal.h"
#include "audit/internal.h"
#include "hardpod/admission.h"
#include "hardpod/buf.h"
#include "hardpod/config.h"
#include "hardpod/image.h"
#include "hardpod/json_text.h"
#include "hardpod/manifest.h"
#include "hardpod/utf8.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 2026-01-01T00:00:00Z: fixed so that exemption expiry does not depend on the day. */
#define FUZZ_NOW 1767225600

__attribute__((format(printf, 1, 2))) _Noreturn static void violated(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fuzz property violated: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

static const char *kind_of_err(enum hp_err rc, const struct hp_error *err, const char *what)
{
    if (err->msg[0] == '\0') {
        violated("%s: error %d without a message", what, (int)rc);
    }
    switch (rc) {
    case HP_ERR_INVALID:
        return "invalid";
    case HP_ERR_LIMIT:
        return "limit";
    default:
        violated("%s: unexpected error %d: %s", what, (int)rc, err->msg);
    }
}

/* Parses text[0..len) as exactly one strict JSON value; NULL when invalid. */
static struct json_object *parse_strict(const char *text, size_t len)
{
    struct json_tokener *tok = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH);
    if (tok == NULL) {
        violated("out of memory");
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    struct json_object *obj = json_tokener_parse_ex(tok, text, (int)len);
    if (json_tokener_get_error(tok) != json_tokener_success ||
        json_tokener_get_parse_end(tok) != len) {
        json_object_put(obj);
        obj = NULL;
    }
    json_tokener_free(tok);
    return obj;
}

static struct json_object *get(struct json_object *obj, const char *key)
{
    struct json_object *v = NULL;
    return json_object_object_get_ex(obj, key, &v) ? v : NULL;
}

static const char *get_string(struct json_object *obj, const char *key)
{
    struct json_object *v = get(obj, key);
    return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* ---- admission ---------------------------------------------------------- */

static struct hp_config adm_config;
static struct hp_admission adm;
static struct hp_admission adm_full; /* adm_handle_full: the reference for the pruned path */
static bool adm_ready;

/* The findings annotation is a JSON array written as a JSON string. */
static void check_findings_annotation(struct json_object *ann, size_t n_findings)
{
    struct json_object *f = get(ann, "findings");
    if (!json_object_is_type(f, json_type_string)) {
        violated("auditAnnotations.findings is not a string");
    }
    size_t len = (size_t)json_object_get_string_len(f);
    if (len > 16 * 1024) {
        violated("auditAnnotations.findings is %zu bytes, over 16 KiB", len);
    }
    struct json_object *arr = parse_strict(json_object_get_string(f), len);
    if (!json_object_is_type(arr, json_type_array)) {
        violated("auditAnnotations.findings is not a JSON array: %s", json_object_get_string(f));
    }
    size_t n = json_object_array_length(arr);
    size_t listed = 0;
    for (size_t i = 0; i < n; i++) {
        struct json_object *x = json_object_array_get_idx(arr, i);
        struct json_object *omitted = get(x, "omitted");
        if (omitted != NULL && i + 1 == n) {
            listed += (size_t)json_object_get_int64(omitted);
        } else if (get_string(x, "check") != NULL && get_string(x, "action") != NULL &&
                   get_string(x, "path") != NULL &&
                   json_object_object_get_ex(x, "container", NULL)) {
            listed++;
        } else {
            violated("auditAnnotations.findings[%zu] is malformed: %s", i,
                     json_object_to_json_string(x));
        }
    }
    if (listed != n_findings) {
        violated("auditAnnotations.findings accounts for %zu findings, the result has %zu", listed,
                 n_findings);
    }
    json_object_put(arr);
}

/* The response a server would send for res, as README "Admission semantics" describes it. */
static void check_response(const struct hp_admission_result *res, const struct hp_buf *out)
{
    size_t bad = 0;
    if (!hp_utf8_valid(out->data, out->len, &bad)) {
        violated("response: invalid UTF-8 at byte %zu", bad);
    }
    struct json_object *root = parse_strict(out->data, out->len);
    if (root == NULL) {
        violated("response is not valid JSON: %s", hp_buf_str(out));
    }
    const char *api = get_string(root, "apiVersion");
    const char *want = res->v1beta1 ? "admission.k8s.io/v1beta1" : "admission.k8s.io/v1";
    if (api == NULL || strcmp(api, want) != 0) {
        violated("response apiVersion %s, want %s", api != NULL ? api : "(none)", want);
    }
    const char *kind = get_string(root, "kind");
    if (kind == NULL || strcmp(kind, "AdmissionReview") != 0) {
        violated("response kind %s", kind != NULL ? kind : "(none)");
    }
    struct json_object *resp = get(root, "response");
    const char *uid = get_string(resp, "uid");
    if (uid == NULL || strcmp(uid, res->uid) != 0) {
        violated("response.uid %s, request.uid %s", uid != NULL ? uid : "(none)", res->uid);
    }
    struct json_object *allowed = get(resp, "allowed");
    bool denied = res->decision == HP_DECISION_DENIED;
    if (!json_object_is_type(allowed, json_type_boolean) ||
        json_object_get_boolean(allowed) == denied) {
        violated("response.allowed does not match the decision %s",
                 hp_decision_name(res->decision));
    }
    struct json_object *status = get(resp, "status");
    if (denied != (status != NULL) ||
        (denied && json_object_get_int64(get(status, "code")) != 403)) {
        violated("response.status does not match the decision %s", hp_decision_name(res->decision));
    }
    const char *msg = get_string(status, "message");
    if (denied && (msg == NULL || strlen(msg) > 32 * 1024)) {
        violated("response.status.message missing or over 32 KiB");
    }
    struct json_object *warnings = get(resp, "warnings");
    size_t n_warnings = 0;
    if (warnings != NULL) {
        if (!json_object_is_type(warnings, json_type_array)) {
            violated("response.warnings is not an array");
        }
        n_warnings = json_object_array_length(warnings);
    }
    /* An unreadable object on the pods resource has no findings: it is
     * refused, or in audit mode allowed with one "would deny" warning. */
    bool unreadable = res->skip == HP_SKIP_UNREADABLE;
    size_t want_warnings = res->mode == HP_MODE_AUDIT ? res->findings->len : res->n_warn;
    if (unreadable) {
        want_warnings = denied ? 0 : 1;
    }
    if (want_warnings > 64) {
        want_warnings = 64;
    }
    if (n_warnings != want_warnings) {
        violated("%zu warnings for %zu warn and %zu deny findings in mode %s", n_warnings,
                 res->n_warn, res->n_deny, hp_mode_name(res->mode));
    }
    for (size_t i = 0; i < n_warnings; i++) {
        struct json_object *w = json_object_array_get_idx(warnings, i);
        if (!json_object_is_type(w, json_type_string) ||
            json_object_get_string_len(w) > HP_ADMISSION_MAX_WARNING) {
            violated("response.warnings[%zu] is not a string of at most %d bytes: %s", i,
                     HP_ADMISSION_MAX_WARNING, json_object_to_json_string(w));
        }
    }
    struct json_object *ann = get(resp, "auditAnnotations");
    if ((ann != NULL) != (res->findings->len > 0 || unreadable)) {
        violated("auditAnnotations present: %d, findings: %zu", ann != NULL, res->findings->len);
    }
    if (ann != NULL && unreadable) {
        const char *what = get_string(ann, "unreadable");
        if (what == NULL || strcmp(what, "kind") != 0) {
            violated("auditAnnotations of an unreadable object lack unreadable: kind");
        }
    } else if (ann != NULL) {
        check_findings_annotation(ann, res->findings->len);
    }
    json_object_put(root);
}

const char *hp_fuzz_admission(const uint8_t *data, size_t size)
{
    if (!adm_ready) {
        hp_config_init(&adm_config);
        hp_admission_init(&adm);
        hp_admission_init(&adm_full);
        adm_ready = true;
    }
    struct hp_admission_ctx ctx = {.config = &adm_config, .profile_name = NULL, .now = FUZZ_NOW};
    struct hp_admission_result res;
    struct hp_error err;
    struct hp_buf out;
    struct hp_buf first;
    const char *kind = NULL;
    hp_buf_init(&out, 0);
    hp_buf_init(&first, 0);
    /* The second round checks that nothing of the first stays in the reused
     * state; the third that json-c parsing the whole body, rather than the
     * copy without the members nothing reads, answers the same. */
    char first_err[sizeof(err.msg)] = "";
    for (int round = 0; round < 3; round++) {
        hp_error_clear(&err);
        enum hp_err rc =
            round < 2
                ? hp_admission_handle(&adm, &ctx, (const char *)data, size, &res, &out, &err)
                : adm_handle_full(&adm_full, &ctx, (const char *)data, size, &res, &out, &err);
        const char *k;
        if (rc != HP_OK) {
            k = kind_of_err(rc, &err, "admission");
            if (out.len != 0) {
                violated("admission: error \"%s\" with a response of %zu bytes", err.msg, out.len);
            }
        } else {
            check_response(&res, &out);
            k = hp_decision_name(res.decision);
        }
        if (round == 0) {
            kind = k;
            hp_buf_append(&first, hp_buf_str(&out), out.len);
            snprintf(first_err, sizeof(first_err), "%s", rc != HP_OK ? err.msg : "");
        } else if (strcmp(k, kind) != 0 || out.len != first.len ||
                   memcmp(hp_buf_str(&out), hp_buf_str(&first), out.len) != 0 ||
                   strcmp(rc != HP_OK ? err.msg : "", first_err) != 0) {
            violated("admission: %s answered %s \"%s\", the first run %s \"%s\"",
                     round == 1 ? "a second run" : "the full parse", k, rc != HP_OK ? err.msg : "",
                     kind, first_err);
        }
    }
    hp_buf_cleanup(&out);
    hp_buf_cleanup(&first);
    return kind;
}

/* ---- config ------------------------------------------------------------- */

/* A review with findings of many checks and every field exemptions match on. */
static const char config_review[] =
    "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
    "\"uid\":\"0b5ee7a5-8f3e-4d57-9d51-3c5a8a6f0c11\","
    "\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"},"
    "\"resource\":{\"group\":\"\",\"version\":\"v1\",\"resource\":\"pods\"},"
    "\"namespace\":\"team-a\",\"operation\":\"CREATE\","
    "\"userInfo\":{\"username\":\"system:serviceaccount:ci:deployer\"},"
    "\"object\":{\"apiVersion\":\"v1\",\"kind\":\"Pod\","
    "\"metadata\":{\"name\":\"web\",\"namespace\":\"team-a\"},"
    "\"spec\":{\"hostNetwork\":true,\"volumes\":[{\"name\":\"h\",\"hostPath\":{\"path\":\"/\"}}],"
    "\"containers\":[{\"name\":\"web\",\"image\":\"mcr.microsoft.com/dotnet/aspnet:8.0\","
    "\"ports\":[{\"containerPort\":80}],"
    "\"env\":[{\"name\":\"ASPNETCORE_URLS\",\"value\":\"http://+:80\"}],"
    "\"securityContext\":{\"privileged\":true,\"runAsUser\":0,\"readOnlyRootFilesystem\":true,"
    "\"capabilities\":{\"add\":[\"NET_ADMIN\",\"NET_BIND_SERVICE\"]}}},"
    "{\"name\":\"side\",\"image\":\"docker.io/library/nginx:1.27\"}]}}}}";

static void check_config_defaults(const struct hp_config *c)
{
    if (c->policy.profile != HP_PROFILE_HARDENED || c->mode != HP_MODE_ENFORCE ||
        c->n_ns_modes != 0 || c->policy.n_exemptions != 0 || c->policy.n_allow_add != 0) {
        violated("config: a config that failed to load is not left at the defaults");
    }
}

static void check_config_use(const struct hp_config *c)
{
    struct hp_admission a;
    struct hp_admission_ctx ctx = {.config = c, .profile_name = NULL, .now = FUZZ_NOW};
    struct hp_admission_result res;
    struct hp_error err;
    struct hp_buf out;
    hp_admission_init(&a);
    hp_buf_init(&out, 0);
    hp_error_clear(&err);
    enum hp_err rc =
        hp_admission_handle(&a, &ctx, config_review, sizeof(config_review) - 1, &res, &out, &err);
    if (rc != HP_OK) {
        violated("config: a loaded config cannot answer a valid review: %s", err.msg);
    }
    check_response(&res, &out);
    if (hp_config_mode_for(c, "team-a") == HP_MODE_AUDIT && res.decision == HP_DECISION_DENIED) {
        violated("config: denied in a namespace in audit mode");
    }
    hp_buf_cleanup(&out);
    hp_admission_cleanup(&a);
}

const char *hp_fuzz_config(const uint8_t *data, size_t size)
{
    static const char source[] = "fuzz.yaml";
    static const enum hp_profile override = HP_PROFILE_PSA_BASELINE;
    const char *kind = "ok";
    /* Without and with --profile, which changes how check overrides apply. */
    for (int round = 0; round < 2; round++) {
        struct hp_config c;
        struct hp_error err;
        hp_config_init(&c);
        hp_error_clear(&err);
        enum hp_err rc = hp_config_parse((const char *)data, size, source,
                                         round == 0 ? NULL : &override, &c, &err);
        if (rc != HP_OK) {
            const char *k = kind_of_err(rc, &err, "config");
            if (strncmp(err.msg, source, sizeof(source) - 1) != 0) {
                violated("config: the message does not name the file: %s", err.msg);
            }
            check_config_defaults(&c);
            if (round == 0) {
                kind = k;
            }
        } else {
            check_config_use(&c);
        }
        hp_config_cleanup(&c);
    }
    return kind;
}

/* ---- manifest ----------------------------------------------------------- */

static FILE *report_open(char **buf, size_t *len)
{
    FILE *f = open_memstream(buf, len);
    if (f == NULL) {
        violated("open_memstream failed");
    }
    return f;
}

/* Each report format is rendered; JSON and SARIF must be valid JSON. */
static void check_reports(const struct aud_report *r, const struct hp_policy *p)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = report_open(&buf, &len);
    aud_render_json(r, f);
    fclose(f);
    struct json_object *root = parse_strict(buf, len);
    struct json_object *summary = get(root, "summary");
    if (summary == NULL) {
        violated("audit --format json: not valid JSON: %s", buf);
    }
    if ((size_t)json_object_get_int64(get(summary, "resources")) != r->n_resources ||
        (size_t)json_object_get_int64(get(summary, "errors")) != r->n_errors ||
        json_object_array_length(get(root, "resources")) != r->n_resources ||
        json_object_array_length(get(root, "errors")) != r->n_errors) {
        violated("audit --format json: counts differ from the report: %s", buf);
    }
    json_object_put(root);
    free(buf);

    f = report_open(&buf, &len);
    aud_render_sarif(r, p, f);
    fclose(f);
    root = parse_strict(buf, len);
    if (!json_object_is_type(get(root, "runs"), json_type_array)) {
        violated("audit --format sarif: not valid SARIF JSON: %s", buf);
    }
    json_object_put(root);
    free(buf);

    f = report_open(&buf, &len);
    aud_render_policyreport(r, p, 0, FUZZ_NOW, f);
    fclose(f);
    root = parse_strict(buf, len);
    if (!json_object_is_type(get(root, "items"), json_type_array)) {
        violated("audit --format policyreport: not a List: %s", buf);
    }
    json_object_put(root);
    free(buf);

    /* JUnit: UTF-8 with no byte that XML 1.0 cannot carry. */
    f = report_open(&buf, &len);
    aud_render_junit(r, "hardened", 0, f);
    fclose(f);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)buf[i];
        if ((c < 0x20 && c != '\n') || c == 0x7f) {
            violated("audit --format junit: byte 0x%02x at %zu", c, i);
        }
    }
    if (!hp_utf8_valid(buf, len, NULL)) {
        violated("audit --format junit: not UTF-8");
    }
    free(buf);

    f = report_open(&buf, &len);
    aud_render_text(r, "hardened", false, f);
    fclose(f);
    free(buf);
}

static void check_docs(const struct hp_manifest *m)
{
    for (size_t i = 0; i < m->len; i++) {
        const struct hp_manifest_doc *d = &m->docs[i];
        if ((d->obj == NULL) == (d->error == NULL)) {
            violated("manifest: document %zu has %s", i,
                     d->obj == NULL ? "neither an object nor an error" : "an object and an error");
        }
        if (d->line == 0 || (d->error != NULL && d->error[0] == '\0')) {
            violated("manifest: document %zu has line %zu, error \"%s\"", i, d->line,
                     d->error != NULL ? d->error : "");
        }
        struct json_object *items = get(d->obj, "items");
        if (json_object_is_type(items, json_type_array) &&
            d->n_item_lines != json_object_array_length(items)) {
            violated("manifest: document %zu has %zu items but %zu item lines", i,
                     json_object_array_length(items), d->n_item_lines);
        }
    }
}

const char *hp_fuzz_manifest(const uint8_t *data, size_t size)
{
    struct hp_manifest m;
    struct hp_error err;
    hp_error_clear(&err);
    enum hp_err rc = hp_manifest_parse((const char *)data, size, NULL, &m, &err);
    if (rc != HP_OK) {
        return kind_of_err(rc, &err, "manifest");
    }
    check_docs(&m);
    hp_manifest_cleanup(&m);

    /* The same bytes as `hardpod audit` reads a file. */
    struct hp_policy policy;
    struct hp_audit_options o = {.policy = &policy, .now = FUZZ_NOW};
    struct aud_report report;
    struct aud_ctx cx;
    hp_policy_init(&policy, HP_PROFILE_HARDENED);
    aud_report_init(&report);
    aud_ctx_init(&cx, &o, &report);
    aud_scan(&cx, "fuzz.yaml", (const char *)data, size);
    check_reports(&report, &policy);
    int code = aud_report_exit_code(&report);
    aud_report_cleanup(&report);
    aud_ctx_cleanup(&cx);
    if (cx.budget.used != 0) {
        violated("audit: %zu bytes still charged to the memory budget after the run",
                 cx.budget.used);
    }
    hp_policy_cleanup(&policy);
    return code == 0 ? "clean" : code == 1 ? "denied" : "error";
}

/* ---- UTF-8 -------------------------------------------------------------- */

/* Unicode's definition (Table 3-7, well-formed byte sequences), written
 * independently of src/util: the length of the sequence at s, 0 if invalid. */
static size_t ref_utf8_len(const unsigned char *s, size_t n)
{
    static const struct {
        unsigned char lo, hi, lo1, hi1;
        size_t len;
    } table[] = {
        {0x00, 0x7f, 0, 0, 1},       {0xc2, 0xdf, 0x80, 0xbf, 2}, {0xe0, 0xe0, 0xa0, 0xbf, 3},
        {0xe1, 0xec, 0x80, 0xbf, 3}, {0xed, 0xed, 0x80, 0x9f, 3}, {0xee, 0xef, 0x80, 0xbf, 3},
        {0xf0, 0xf0, 0x90, 0xbf, 4}, {0xf1, 0xf3, 0x80, 0xbf, 4}, {0xf4, 0xf4, 0x80, 0x8f, 4},
    };
    for (size_t t = 0; t < sizeof(table) / sizeof(table[0]); t++) {
        if (s[0] < table[t].lo || s[0] > table[t].hi) {
            continue;
        }
        size_t len = table[t].len;
        if (len == 1) {
            return 1;
        }
        if (n < len || s[1] < table[t].lo1 || s[1] > table[t].hi1) {
            return 0;
        }
        for (size_t i = 2; i < len; i++) {
            if (s[i] < 0x80 || s[i] > 0xbf) {
                return 0;
            }
        }
        return len;
    }
    return 0;
}

const char *hp_fuzz_utf8(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    size_t ref_bad = SIZE_MAX;
    for (size_t i = 0; i < size;) {
        size_t len = ref_utf8_len(data + i, size - i);
        if (len == 0) {
            ref_bad = i;
            break;
        }
        i += len;
    }
    for (size_t i = 0; i < size; i++) {
        size_t len = hp_utf8_len(s + i, size - i);
        if (len != ref_utf8_len(data + i, size - i)) {
            violated("hp_utf8_len at %zu: %zu, the reference says %zu", i, len,
                     ref_utf8_len(data + i, size - i));
        }
    }
    size_t bad = SIZE_MAX;
    bool valid = hp_utf8_valid(s, size, &bad);
    if (valid != (ref_bad == SIZE_MAX) || (!valid && bad != ref_bad)) {
        violated("hp_utf8_valid: %d at %zu, the reference says %d at %zu", valid, bad,
                 ref_bad == SIZE_MAX, ref_bad);
    }

    /* As a JSON string: valid UTF-8 that json-c reads back as the input,
     * invalid bytes replaced by U+FFFD. */
    struct hp_buf b;
    hp_buf_init(&b, 0);
    if (!hp_buf_put_json_string(&b, s, size)) {
        violated("hp_buf_put_json_string failed without a cap");
    }
    struct json_object *str = parse_strict(b.data, b.len);
    if (!json_object_is_type(str, json_type_string)) {
        violated("hp_buf_put_json_string: not a JSON string: %s", b.data);
    }
    size_t got_len = (size_t)json_object_get_string_len(str);
    const char *got = json_object_get_string(str);
    if (valid && (got_len != size || memcmp(got, s, size) != 0)) {
        violated("hp_buf_put_json_string: valid input did not round-trip");
    }
    if (!hp_utf8_valid(got, got_len, NULL)) {
        violated("hp_buf_put_json_string: decodes to invalid UTF-8");
    }
    json_object_put(str);

    /* With a cap on the bytes written: a prefix of the whole escape, cut
     * between characters, and still a JSON string. */
    size_t room = size > 0 ? (size_t)(data[0] % 97) : 0;
    struct hp_buf part;
    hp_buf_init(&part, 0);
    struct hp_json_text t;
    hp_json_text_init(&t, &part, 1, SIZE_MAX);
    t.room = room;
    hp_buf_putc(&part, '"');
    hp_json_text_put(&t, s, size);
    hp_buf_putc(&part, '"');
    struct json_object *cut = parse_strict(part.data, part.len);
    if (t.written > room || part.len - 2 != t.written ||
        memcmp(part.data, b.data, part.len - 1) != 0 || t.cut != (part.len < b.len) ||
        !json_object_is_type(cut, json_type_string)) {
        violated("hp_json_text_put: room %zu gave %s (cut %d), the whole escape is %s", room,
                 part.data, t.cut, b.data);
    }
    json_object_put(cut);
    hp_buf_cleanup(&part);
    hp_buf_cleanup(&b);

    /* Repair works on a C string: up to the first NUL. */
    size_t clen = strnlen(s, size);
    char *c = hp_xstrndup(s, clen);
    size_t n = hp_utf8_repair(c);
    if (n != strlen(c) || n > clen || !hp_utf8_valid(c, n, NULL)) {
        violated("hp_utf8_repair: left invalid UTF-8 or a wrong length");
    }
    bool c_valid = hp_utf8_valid(s, clen, NULL);
    if (c_valid && (n != clen || memcmp(c, s, clen) != 0)) {
        violated("hp_utf8_repair: changed valid UTF-8");
    }
    free(c);
    return valid ? "valid" : "invalid";
}

/* ---- Dockerfiles ---------------------------------------------------------- */

static void check_value(const struct hp_image_value *v, const char *what, bool may_be_unset)
{
    if (v->text != NULL && v->unresolved != NULL) {
        violated("dockerfile: %s has both a text and an unresolved variable", what);
    }
    if (v->text == NULL && v->unresolved == NULL && !may_be_unset) {
        violated("dockerfile: %s has neither a text nor an unresolved variable", what);
    }
    if (v->unresolved != NULL && v->unresolved[0] == '\0') {
        violated("dockerfile: %s is unresolved without a variable name", what);
    }
    if (!v->from_base && (v->text != NULL || v->unresolved != NULL) &&
        (v->written == NULL || v->line == 0)) {
        violated("dockerfile: %s set by the file without its text or line", what);
    }
}

static void check_facts(const struct hp_image_facts *f)
{
    if (f->source != HP_IMAGE_DOCKERFILE || f->n_stages == 0) {
        violated("dockerfile: source %d, %zu stages", (int)f->source, f->n_stages);
    }
    check_value(&f->base_ref, "the FROM", false);
    if (f->base != NULL && f->base[0] == '\0') {
        violated("dockerfile: an empty base");
    }
    if (f->base_info != hp_image_base_lookup(f->base)) {
        violated("dockerfile: base_info is not the table's entry for %s", f->base);
    }
    check_value(&f->user, "USER", true);
    for (size_t i = 0; i < f->n_ports; i++) {
        const struct hp_image_port *p = &f->ports[i];
        check_value(&p->value, "an EXPOSE port", false);
        bool ok = strcmp(p->proto, "tcp") == 0 || strcmp(p->proto, "udp") == 0 ||
                  strcmp(p->proto, "sctp") == 0;
        if (p->value.text == NULL
                ? p->port != 0 || p->port_last != 0
                : p->port < 1 || p->port > 65535 ||
                      (p->port_last != 0 && (p->port_last <= p->port || p->port_last > 65535))) {
            ok = false;
        }
        if (!ok) {
            violated("dockerfile: port %u-%u/%s (%s)", p->port, p->port_last, p->proto,
                     p->value.written);
        }
        for (size_t j = 0; j < i && p->value.text != NULL; j++) {
            const struct hp_image_port *q = &f->ports[j];
            if (q->value.text != NULL && q->port == p->port && q->port_last == p->port_last &&
                strcmp(q->proto, p->proto) == 0) {
                violated("dockerfile: port %u/%s listed twice", p->port, p->proto);
            }
        }
    }
    /* The base image's variables come first, in the table's order (a later
     * ENV replaces one in place); the file's follow. */
    size_t k = 0;
    for (const char *p = f->base_info != NULL ? f->base_info->env : NULL; p != NULL && *p != '\0';
         k++) {
        size_t l = strcspn(p, "=");
        if (k >= f->n_env || strncmp(f->env[k].name, p, l) != 0 || f->env[k].name[l] != '\0') {
            violated("dockerfile: the base image's variable %zu is not %.*s", k, (int)l, p);
        }
        p = strchr(p, '\n');
        p = p != NULL ? p + 1 : NULL;
    }
    for (size_t i = 0; i < f->n_env; i++) {
        const struct hp_image_env *e = &f->env[i];
        if (e->name == NULL || e->name[0] == '\0') {
            violated("dockerfile: an environment variable without a name");
        }
        check_value(&e->value, e->name, false);
        if (e->value.from_base && i >= k) {
            violated("dockerfile: %s marked as the base image's after the file's", e->name);
        }
        if (hp_image_facts_env(f, e->name) != e) {
            violated("dockerfile: %s set twice", e->name);
        }
    }
}

const char *hp_fuzz_dockerfile(const uint8_t *data, size_t size)
{
    struct hp_image_facts f;
    struct hp_error err;
    hp_image_facts_init(&f);
    enum hp_err rc = hp_dockerfile_parse((const char *)data, size, NULL, &f, &err);
    if (rc != HP_OK) {
        if (f.base != NULL || f.n_env != 0 || f.n_ports != 0 || f.user.text != NULL) {
            violated("dockerfile: facts left after an error: %s", err.msg);
        }
        return kind_of_err(rc, &err, "dockerfile");
    }
    check_facts(&f);

    /* The same file with its final stage named as --target gives the same
     * facts; with a build argument it still parses. */
    char *stage = f.stage != NULL ? hp_xstrdup(f.stage) : NULL;
    size_t n_ports = f.n_ports, n_env = f.n_env;
    hp_image_facts_cleanup(&f);
    struct hp_image_arg arg = {.name = "APP_UID", .value = "0"};
    struct hp_dockerfile_options o = {.target = stage};
    hp_image_facts_init(&f);
    rc = hp_dockerfile_parse((const char *)data, size, &o, &f, &err);
    if (rc != HP_OK || f.n_ports != n_ports || f.n_env != n_env) {
        violated("dockerfile: --target %s gives %d (%s), %zu ports, %zu env; without it %zu, %zu",
                 stage != NULL ? stage : "(none)", (int)rc, err.msg, f.n_ports, f.n_env, n_ports,
                 n_env);
    }
    hp_image_facts_cleanup(&f);
    o.build_args = &arg;
    o.n_build_args = 1;
    hp_image_facts_init(&f);
    rc = hp_dockerfile_parse((const char *)data, size, &o, &f, &err);
    if (rc == HP_OK) {
        check_facts(&f);
    } else {
        kind_of_err(rc, &err, "dockerfile with a build argument");
    }
    hp_image_facts_cleanup(&f);
    free(stage);
    return "ok";
}

hp_fuzz_target hp_fuzz_target_get(const char *name)
{
    static const struct {
        const char *name;
        hp_fuzz_target fn;
    } targets[] = {
        {"admission", hp_fuzz_admission},
        {"config", hp_fuzz_config},
        {"dockerfile", hp_fuzz_dockerfile},
        {"manifest", hp_fuzz_manifest},
        {"utf8", hp_fuzz_utf8},
    };
    for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
        if (strcmp(targets[i].name, name) == 0) {
            return targets[i].fn;
        }
    }
    return NULL;
}
