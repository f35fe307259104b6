/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `hardpod audit` as a library: runs hp_audit_run over the fixtures in
 * tests/fixtures/manifests (from that directory, so sources are short) and
 * over the real .NET manifests of the corpus, and checks the exact JSON
 * shape, the sources with their lines, the exit codes, the SARIF structure,
 * the text report, the directory walk and the memory ceiling.
 */
#include "audit/internal.h"
#include "hardpod/audit.h"
#include "hardpod/utf8.h"
#include "testutil.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A fixed clock: 2025-01-01T00:00:00Z. */
#define NOW 1735689600

static char fixtures[PATH_MAX];

static void enter_fixtures(void)
{
    ck_assert_msg(chdir(fixtures) == 0, "cannot enter %s", fixtures);
}

struct run {
    const struct hp_policy *policy; /* NULL: the hardened profile */
    enum hp_audit_format format;
    bool color;
    int64_t now;
    size_t max_file_bytes;
    size_t max_memory; /* 0: the default */
    unsigned fail_on;  /* HP_AUDIT_FAIL_* bits; 0: the default */
};

/* Runs the audit and returns its output (caller frees) and exit code. */
static char *audit(const struct run *r, char **paths, size_t n, int *code)
{
    struct hp_policy hardened;
    hp_policy_init(&hardened, HP_PROFILE_HARDENED);
    struct hp_audit_options o = {
        .policy = r->policy != NULL ? r->policy : &hardened,
        .format = r->format,
        .fail_on = r->fail_on,
        .color = r->color,
        .now = r->now != 0 ? r->now : NOW,
        .max_file_bytes = r->max_file_bytes,
        .limits = hp_manifest_default_limits,
    };
    if (r->max_memory != 0) {
        o.limits.max_memory = r->max_memory;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    *code = hp_audit_run(&o, paths, n, f);
    ck_assert_int_eq(fclose(f), 0);
    hp_policy_cleanup(&hardened);
    return buf;
}

/* Runs an audit with the hardened profile and fail_on. */
static char *audit_fail_on(enum hp_audit_format format, unsigned fail_on, char **paths, size_t n,
                           int *code)
{
    struct run r = {.format = format, .fail_on = fail_on};
    return audit(&r, paths, n, code);
}

/* Runs a JSON audit with the hardened profile and parses the report. */
static struct json_object *audit_json(char **paths, size_t n, int *code)
{
    struct run r = {.format = HP_AUDIT_JSON};
    char *text = audit(&r, paths, n, code);
    size_t len = strlen(text);
    ck_assert_msg(len > 0 && text[len - 1] == '\n', "output does not end with a newline");
    struct json_object *report = tu_json(text);
    free(text);
    return report;
}

static struct json_object *jget(struct json_object *o, const char *key)
{
    struct json_object *v = NULL;
    ck_assert_msg(json_object_object_get_ex(o, key, &v), "missing key \"%s\" in %s", key,
                  json_object_to_json_string(o));
    return v;
}

static const char *jstr(struct json_object *o, const char *key)
{
    struct json_object *v = jget(o, key);
    ck_assert_msg(json_object_is_type(v, json_type_string), "\"%s\" is not a string in %s", key,
                  json_object_to_json_string(o));
    return json_object_get_string(v);
}

static int64_t jint(struct json_object *o, const char *key)
{
    return json_object_get_int64(jget(o, key));
}

static struct json_object *jidx(struct json_object *arr, size_t i)
{
    ck_assert_msg(json_object_is_type(arr, json_type_array) && i < json_object_array_length(arr),
                  "no element %zu in %s", i, json_object_to_json_string(arr));
    return json_object_array_get_idx(arr, i);
}

static size_t jlen(struct json_object *arr)
{
    ck_assert(json_object_is_type(arr, json_type_array));
    return json_object_array_length(arr);
}

static void assert_keys(struct json_object *o, const char *const *keys, size_t n)
{
    size_t i = 0;
    json_object_object_foreach(o, key, val)
    {
        (void)val;
        ck_assert_msg(i < n, "unexpected key \"%s\"", key);
        ck_assert_msg(strcmp(key, keys[i]) == 0, "key %zu: expected \"%s\", got \"%s\"", i, keys[i],
                      key);
        i++;
    }
    ck_assert_msg(i == n, "expected %zu keys, got %zu", n, i);
}

static void assert_summary(struct json_object *report, int64_t resources, int64_t denied,
                           int64_t warned, int64_t errors)
{
    struct json_object *s = jget(report, "summary");
    static const char *const keys[] = {"resources",
                                       "denied",
                                       "warned",
                                       "errors",
                                       "passed",
                                       "skipped",
                                       "notEvaluated",
                                       "kubernetesObjects",
                                       "groupedUnderOwner",
                                       "images"};
    assert_keys(s, keys, 10);
    int64_t got[] = {jint(s, "resources"), jint(s, "denied"), jint(s, "warned"), jint(s, "errors")};
    int64_t want[] = {resources, denied, warned, errors};
    for (size_t i = 0; i < 4; i++) {
        ck_assert_msg(got[i] == want[i], "summary.%s: expected %lld, got %lld", keys[i],
                      (long long)want[i], (long long)got[i]);
    }
    ck_assert_uint_eq(jlen(jget(report, "resources")), (size_t)resources);
    ck_assert_uint_eq(jlen(jget(report, "errors")), (size_t)errors);
}

/* The counts of the summary that say what became of the resources. */
static void assert_statuses(struct json_object *report, int64_t passed, int64_t skipped,
                            int64_t not_evaluated, int64_t objects)
{
    struct json_object *s = jget(report, "summary");
    static const char *const keys[] = {"passed", "skipped", "notEvaluated", "kubernetesObjects"};
    int64_t want[] = {passed, skipped, not_evaluated, objects};
    for (size_t i = 0; i < 4; i++) {
        ck_assert_msg(jint(s, keys[i]) == want[i], "summary.%s: expected %lld, got %lld", keys[i],
                      (long long)want[i], (long long)jint(s, keys[i]));
    }
}

/* The first finding of check in a resource, or NULL. */
static struct json_object *find_check(struct json_object *res, const char *check)
{
    struct json_object *list = jget(res, "findings");
    for (size_t i = 0; i < jlen(list); i++) {
        struct json_object *f = jidx(list, i);
        if (strcmp(jstr(f, "check"), check) == 0) {
            return f;
        }
    }
    return NULL;
}

START_TEST(test_audit_hardened_passes)
{
    enter_fixtures();
    char *paths[] = {"hardened-deployment.yaml"};
    int code;
    struct json_object *report = audit_json(paths, 1, &code);
    static const char *const top[] = {"summary", "resources", "errors"};
    assert_keys(report, top, 3);
    assert_summary(report, 1, 0, 0, 0);
    struct json_object *res = jidx(jget(report, "resources"), 0);
    static const char *const keys[] = {"source",  "apiVersion", "kind",   "namespace",
                                       "name",    "status",     "reason", "containersPath",
                                       "allowed", "findings"};
    assert_keys(res, keys, 10);
    assert_statuses(report, 1, 0, 0, 1);
    ck_assert_str_eq(jstr(res, "status"), "evaluated");
    ck_assert(json_object_get_type(jget(res, "reason")) == json_type_null);
    ck_assert_str_eq(jstr(res, "source"), "hardened-deployment.yaml:5");
    ck_assert_str_eq(jstr(res, "apiVersion"), "apps/v1");
    ck_assert_str_eq(jstr(res, "kind"), "Deployment");
    ck_assert_str_eq(jstr(res, "namespace"), "shop");
    ck_assert_str_eq(jstr(res, "name"), "api");
    ck_assert(json_object_get_boolean(jget(res, "allowed")));
    ck_assert_msg(jlen(jget(res, "findings")) == 0, "expected no findings, got %s",
                  json_object_to_json_string(jget(res, "findings")));
    ck_assert_int_eq(code, 0);
    json_object_put(report);
}
END_TEST

START_TEST(test_audit_template_denied)
{
    enter_fixtures();
    char *paths[] = {"aspnet-template.yaml"};
    int code;
    struct json_object *report = audit_json(paths, 1, &code);
    ck_assert_int_eq(code, 1);
    assert_summary(report, 1, 1, 0, 0);
    struct json_object *res = jidx(jget(report, "resources"), 0);
    ck_assert_str_eq(jstr(res, "source"), "aspnet-template.yaml:4");
    ck_assert(json_object_get_type(jget(res, "namespace")) == json_type_null);
    ck_assert(!json_object_get_boolean(jget(res, "allowed")));
    struct json_object *f = find_check(res, "readOnlyRootFilesystem");
    ck_assert_ptr_nonnull(f);
    static const char *const keys[] = {"check",   "action", "container", "path",
                                       "message", "fix",    "line",      "column"};
    assert_keys(f, keys, 8);
    /* The field is missing: the finding points at its nearest written
     * parent, the container's element (`- name: webapp`). */
    ck_assert_int_eq(jint(f, "line"), 21);
    ck_assert_int_eq(jint(f, "column"), 9);
    ck_assert_str_eq(jstr(f, "action"), "deny");
    ck_assert_str_eq(jstr(f, "container"), "webapp");
    ck_assert_str_eq(jstr(f, "path"),
                     "spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem");
    ck_assert(strlen(jstr(f, "message")) > 0 && strlen(jstr(f, "fix")) > 0);
    f = find_check(res, "privilegedPorts");
    ck_assert_ptr_nonnull(f);
    ck_assert_str_eq(jstr(f, "action"), "warn");
    ck_assert_ptr_nonnull(find_check(res, "runAsNonRoot"));
    json_object_put(report);
}
END_TEST

START_TEST(test_audit_multi_doc)
{
    enter_fixtures();
    char *paths[] = {"multi-doc.yaml"};
    int code;
    struct json_object *report = audit_json(paths, 1, &code);
    ck_assert_int_eq(code, 1);
    assert_summary(report, 4, 1, 1, 0);
    assert_statuses(report, 0, 2, 0, 4);
    static const struct {
        const char *source, *kind, *verdict;
    } want[] = {
        {"multi-doc.yaml:3", "ConfigMap", "skip"},
        {"multi-doc.yaml:11", "Deployment", "warn"},
        {"multi-doc.yaml:41", "Service", "skip"},
        {"multi-doc.yaml:53", "Pod", "deny"},
    };
    struct json_object *list = jget(report, "resources");
    for (size_t i = 0; i < 4; i++) {
        struct json_object *res = jidx(list, i);
        ck_assert_str_eq(jstr(res, "source"), want[i].source);
        ck_assert_str_eq(jstr(res, "kind"), want[i].kind);
        ck_assert_str_eq(jstr(res, "namespace"), "shop");
        bool allowed = json_object_get_boolean(jget(res, "allowed"));
        ck_assert_msg(allowed == (strcmp(want[i].verdict, "deny") != 0), "%s: allowed is %d",
                      want[i].source, allowed);
        bool skip = strcmp(want[i].verdict, "skip") == 0;
        ck_assert_str_eq(jstr(res, "status"), skip ? "skipped" : "evaluated");
        if (skip) {
            ck_assert_uint_eq(jlen(jget(res, "findings")), 0);
            ck_assert_str_eq(jstr(res, "reason"), "no pod spec");
        }
    }
    struct json_object *warn = find_check(jidx(list, 1), "seccompProfile");
    ck_assert_ptr_nonnull(warn);
    ck_assert_str_eq(jstr(warn, "action"), "warn");
    ck_assert_ptr_nonnull(find_check(jidx(list, 3), "privileged"));
    json_object_put(report);
}
END_TEST

START_TEST(test_audit_list_items)
{
    enter_fixtures();
    char *paths[] = {"list.yaml"};
    int code;
    struct json_object *report = audit_json(paths, 1, &code);
    ck_assert_int_eq(code, 1);
    assert_summary(report, 2, 1, 0, 0);
    struct json_object *svc = jidx(jget(report, "resources"), 0);
    struct json_object *pod = jidx(jget(report, "resources"), 1);
    ck_assert_str_eq(jstr(svc, "source"), "list.yaml:8");
    ck_assert_str_eq(jstr(svc, "kind"), "Service");
    ck_assert_str_eq(jstr(pod, "source"), "list.yaml:16");
    ck_assert_str_eq(jstr(pod, "kind"), "Pod");
    struct json_object *f = find_check(pod, "hostNamespaces");
    ck_assert_ptr_nonnull(f);
    ck_assert(json_object_get_type(jget(f, "container")) == json_type_null);
    ck_assert_str_eq(jstr(f, "path"), "spec.hostNetwork");
    json_object_put(report);
}
END_TEST

START_TEST(test_audit_admission_review)
{
    enter_fixtures();
    char *paths[] = {"admission-review.json"};
    int code;
    struct json_object *report = audit_json(paths, 1, &code);
    ck_assert_int_eq(code, 1);
    assert_summary(report, 1, 1, 0, 0);
    struct json_object *res = jidx(jget(report, "resources"), 0);
    ck_assert_str_eq(jstr(res, "source"), "admission-review.json:1");
    ck_assert_str_eq(jstr(res, "apiVersion"), "v1");
    ck_assert_str_eq(jstr(res, "kind"), "Pod");
    ck_assert_str_eq(jstr(res, "namespace"), "payments"); /* from request.namespace */
    ck_assert_str_eq(jstr(res, "name"), "checkout-7d4b9c8f6-x2k9p");
    struct json_object *f = find_check(res, "runAsNonRoot");
    ck_assert_ptr_nonnull(f);
    ck_assert_str_eq(jstr(f, "path"), "spec.containers[0].securityContext.runAsNonRoot");
    json_object_put(report);
}
END_TEST

START_TEST(test_audit_malformed_doc_among_good)
{
    enter_fixtures();
    char *paths[] = {"malformed.yaml"};
    int code;
    struct json_object *report = audit_json(paths, 1, &code);
    ck_assert_int_eq(code, 2);
    assert_summary(report, 2, 0, 0, 1);
    ck_assert_str_eq(jstr(jidx(jget(report, "resources"), 0), "source"), "malformed.yaml:4");
    ck_assert_str_eq(jstr(jidx(jget(report, "resources"), 1), "source"), "malformed.yaml:22");
    struct json_object *e = jidx(jget(report, "errors"), 0);
    static const char *const keys[] = {"source", "message"};
    assert_keys(e, keys, 2);
    ck_assert_str_eq(jstr(e, "source"), "malformed.yaml:20");
    ck_assert(strlen(jstr(e, "message")) > 0);
    json_object_put(report);
}
END_TEST

START_TEST(test_audit_eval_error_is_not_allowed)
{
    enter_fixtures();
    char *paths[] = {"invalid-podspec.yaml"};
    int code;
    struct json_object *report = audit_json(paths, 1, &code);
    ck_assert_int_eq(code, 2);
    assert_summary(report, 0, 0, 0, 1);
    struct json_object *e = jidx(jget(report, "errors"), 0);
    ck_assert_str_eq(jstr(e, "source"), "invalid-podspec.yaml:3");
    ck_assert_msg(strstr(jstr(e, "message"), "spec.template.spec") != NULL, "message: %s",
                  jstr(e, "message"));
    json_object_put(report);
}
END_TEST

/* Documents that are no Kubernetes object, or that cannot be unwrapped, are
 * errors with their line; the documents around them are still audited. */
START_TEST(test_audit_not_objects)
{
    static const struct {
        const char *doc;
        const char *message;
    } cases[] = {
        {"just a string\n", "expected a Kubernetes object (a mapping), got string"},
        {"- a\n- b\n", "got array"},
        {"kind: Pod\nspec: {}\n", "kind \"Pod\" without apiVersion"},
        {"apiVersion: v1\n", "apiVersion \"v1\" without kind"},
        {"apiVersion: admission.k8s.io/v1\nkind: AdmissionReview\nresponse: {allowed: true}\n",
         "AdmissionReview: request: missing"},
        {"apiVersion: admission.k8s.io/v1\nkind: AdmissionReview\nrequest: {uid: x}\n",
         "AdmissionReview: request.object: missing"},
        {"apiVersion: admission.k8s.io/v1\nkind: AdmissionReview\nrequest: {namespace: "
         "\"a\\u0000b\", object: {}}\n",
         "AdmissionReview: request.namespace: contains a NUL character"},
        {"apiVersion: v1\nkind: List\nitems:\n- 42\n", "items[0]: expected a Kubernetes object"},
    };
    char path[] = "/tmp/hp-audit-doc-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[512];
        snprintf(text, sizeof(text), "apiVersion: v1\nkind: ConfigMap\n---\n%s", cases[i].doc);
        tu_write_text(path, text);
        char *paths[] = {path};
        int code;
        struct json_object *report = audit_json(paths, 1, &code);
        ck_assert_int_eq(code, 2);
        assert_summary(report, 1, 0, 0, 1);
        struct json_object *e = jidx(jget(report, "errors"), 0);
        const char *msg = jstr(e, "message");
        ck_assert_msg(strstr(msg, cases[i].message) != NULL, "case %zu: expected \"%s\" in \"%s\"",
                      i, cases[i].message, msg);
        char want[PATH_MAX + 8];
        snprintf(want, sizeof(want), "%s:%d", path, strstr(cases[i].doc, "items") ? 7 : 4);
        ck_assert_str_eq(jstr(e, "source"), want);
        json_object_put(report);
    }
    unlink(path);
}
END_TEST

START_TEST(test_audit_exit_codes)
{
    static const struct {
        const char *a, *b;
        int code;
    } cases[] = {
        {"hardened-deployment.yaml", NULL, 0},
        {"tree", NULL, 0},
        {"aspnet-template.yaml", NULL, 1},
        {"hardened-deployment.yaml", "aspnet-template.yaml", 1},
        {"malformed.yaml", NULL, 2},
        {"aspnet-template.yaml", "malformed.yaml", 2},
        {"hardened-deployment.yaml", "no-such-file.yaml", 2},
        {"tree/notes.txt", NULL, 2}, /* named explicitly: read whatever its extension */
    };
    enter_fixtures();
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *paths[] = {(char *)cases[i].a, (char *)cases[i].b};
        int code;
        struct json_object *report = audit_json(paths, cases[i].b != NULL ? 2 : 1, &code);
        ck_assert_msg(code == cases[i].code, "%s %s: expected exit %d, got %d", cases[i].a,
                      cases[i].b != NULL ? cases[i].b : "", cases[i].code, code);
        json_object_put(report);
    }
}
END_TEST

START_TEST(test_audit_unreadable_inputs)
{
    enter_fixtures();
    char *paths[] = {"no-such-file.yaml", "hardened-deployment.yaml"};
    int code;
    struct json_object *report = audit_json(paths, 2, &code);
    ck_assert_int_eq(code, 2);
    assert_summary(report, 1, 0, 0, 1);
    struct json_object *e = jidx(jget(report, "errors"), 0);
    ck_assert_str_eq(jstr(e, "source"), "no-such-file.yaml");
    ck_assert_msg(strstr(jstr(e, "message"), "No such file") != NULL, "%s", jstr(e, "message"));
    json_object_put(report);

    /* A document over the cap is an error, not a truncated read. */
    struct run r = {.format = HP_AUDIT_JSON, .max_file_bytes = 100};
    char *text = audit(&r, paths + 1, 1, &code);
    report = tu_json(text);
    ck_assert_int_eq(code, 2);
    assert_summary(report, 0, 0, 0, 1);
    e = jidx(jget(report, "errors"), 0);
    ck_assert_str_eq(jstr(e, "source"), "hardened-deployment.yaml:1");
    ck_assert_msg(strstr(jstr(e, "message"), "limit of 100 bytes") != NULL, "%s",
                  jstr(e, "message"));
    json_object_put(report);
    free(text);
}
END_TEST

/* ---- reading as kubectl reads ---- */

static const char *last_error(struct json_object *report);

#define CTR "\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]"
/* A Pod denied for hostPID, and the same without kind and apiVersion. */
#define JPOD(n)                                                                                    \
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"" n "\"},"                   \
    "\"spec\":{\"hostPID\":true," CTR "}}"
#define JBARE(n) "{\"metadata\":{\"name\":\"" n "\"},\"spec\":{\"hostPID\":true," CTR "}}"

START_TEST(test_audit_kubectl_reading)
{
    static const struct {
        const char *what;
        const char *text;
        const char *names; /* the resources reported, in order, space-separated */
        int64_t denied;
        const char *error; /* in the only error, or NULL for none */
    } cases[] = {
        {"concatenated JSON objects", JPOD("a") JPOD("b") "\n  " JPOD("c"), "a b c", 3, NULL},
        {"null between JSON objects is skipped", JPOD("a") " null\n" JPOD("b"), "a b", 2, NULL},
        {"an array at the top level", JPOD("a") " [" JPOD("b") "] " JPOD("c"), "a c", 2,
         "an array at the top level of a JSON stream is not a Kubernetes object"},
        {"a number at the top level", JPOD("a") " 42", "a", 1, "a number at the top level"},
        {"garbage ends the stream", JPOD("a") " x " JPOD("b"), "a", 1,
         "invalid character 'x' where a value starts; the rest of the input is not read"},
        {"a truncated object", JPOD("a") " {\"kind\":", "a", 1, "ends"},
        {"an escaped NUL", "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"x\":\"a\\u0000b\"}", "", 0,
         "\\u0000 (NUL) in a string"},
        {"a Pod with items is a list of its items",
         "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"top\"},"
         "\"spec\":{\"hostPID\":true," CTR "},\"items\":[" JBARE("inh") "]}",
         "inh", 1, NULL},
        {"a ConfigMap with items creates them",
         "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"items\":[" JPOD("p") "]}", "p", 1, NULL},
        {"items without kind take the list's, here ConfigMap",
         "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"items\":[" JBARE("q") "]}", "q", 0, NULL},
        {"the list's kind after its items",
         "{\"items\":[" JBARE("late") "],\"kind\":\"PodList\",\"apiVersion\":\"v1\"}", "late", 1,
         NULL},
        {"a list inside a list",
         "{\"kind\":\"List\",\"apiVersion\":\"v1\",\"items\":[" JPOD(
             "a") ",{\"kind\":\"List\",\"apiVersion\":\"v1\",\"items\":[" JPOD("b") "]}]}",
         "a", 1, "items[1] is itself a list"},
        {"items: null is a list of nothing",
         "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"x\"},"
         "\"spec\":{\"hostPID\":true," CTR "},\"items\":null}",
         "", 0, NULL},
        {"items that is not an array", "{\"kind\":\"List\",\"apiVersion\":\"v1\",\"items\":{}}", "",
         0, "items: expected a list, got an object"},
        {"a list without kind", "{\"apiVersion\":\"v1\",\"items\":[" JPOD("a") "]}", "a", 1,
         "a list without kind is refused"},
        {"kind List gives its items no kind",
         "{\"kind\":\"List\",\"apiVersion\":\"v1\",\"items\":[" JBARE("z") "]}", "", 0,
         "the list's kind gives none"},
        {"an escaped items key",
         "{\"kind\":\"List\",\"apiVersion\":\"v1\",\"it\\u0065ms\":[" JPOD("e") "]}", "e", 1, NULL},
        {"items given twice",
         "{\"kind\":\"List\",\"apiVersion\":\"v1\",\"items\":[" JPOD("a") "],\"items\":[" JPOD(
             "b") "]}",
         "a b", 2, "items is given twice"},
        {"a BOM makes it YAML, which reads the object too", "\xef\xbb\xbf" JPOD("bom"), "bom", 1,
         NULL},
        {"a number out of range", "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"x\":1E400}", "", 0,
         "a number out of range (kubectl refuses it too)"},
        {"a null item", "{\"kind\":\"List\",\"apiVersion\":\"v1\",\"items\":[null]}", "", 0,
         "items[0]: expected a Kubernetes object (a mapping), got null"},
        {"YAML: a Pod with items",
         "apiVersion: v1\nkind: Pod\nmetadata: {name: top}\nspec: {hostPID: true}\nitems:\n"
         "- metadata: {name: why}\n  spec: {hostPID: true, containers: [{name: c, image: x}]}\n",
         "why", 1, NULL},
        {"YAML: anchors across items, kind after them",
         "items:\n- &base\n  metadata: {name: a}\n  spec: &spec {hostPID: true, containers: "
         "[{name: c, image: x}]}\n- metadata: {name: b}\n  spec: *spec\n- <<: *base\n"
         "  metadata: {name: c}\nkind: PodList\napiVersion: v1\n",
         "a b c", 3, NULL},
        {"YAML: items: null", "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nitems:\n", "", 0,
         NULL},
        {"YAML: a list inside a list",
         "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: List, items: []}\n", "", 0,
         "items[0] is itself a list"},
    };
    char path[] = "/tmp/hp-audit-kubectl-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tu_write_text(path, cases[i].text);
        char *paths[] = {path};
        int code;
        struct json_object *report = audit_json(paths, 1, &code);
        struct json_object *res = jget(report, "resources");
        char names[256] = "";
        for (size_t k = 0; k < jlen(res); k++) {
            size_t n = strlen(names);
            snprintf(names + n, sizeof(names) - n, "%s%s", k > 0 ? " " : "",
                     jstr(jidx(res, k), "name"));
        }
        ck_assert_msg(strcmp(names, cases[i].names) == 0,
                      "%s: expected resources \"%s\", got \"%s\"", cases[i].what, cases[i].names,
                      names);
        ck_assert_msg(jint(jget(report, "summary"), "denied") == cases[i].denied,
                      "%s: expected %lld denied", cases[i].what, (long long)cases[i].denied);
        size_t n_errors = jlen(jget(report, "errors"));
        ck_assert_msg(n_errors == (cases[i].error != NULL ? 1u : 0u), "%s: %zu errors (%s)",
                      cases[i].what, n_errors, n_errors > 0 ? last_error(report) : "");
        if (cases[i].error != NULL) {
            ck_assert_msg(strstr(last_error(report), cases[i].error) != NULL,
                          "%s: expected \"%s\" in \"%s\"", cases[i].what, cases[i].error,
                          last_error(report));
        }
        int want = cases[i].error != NULL ? 2 : cases[i].denied > 0 ? 1 : 0;
        ck_assert_msg(code == want, "%s: exit %d, expected %d", cases[i].what, code, want);
        json_object_put(report);
    }
    unlink(path);
}
END_TEST

/* A JSON List's items each keep the line where they start; so does a YAML
 * list's, read one element at a time. */
START_TEST(test_audit_stream_lines)
{
    char dir[PATH_MAX];
    tu_make_tmp("/tmp", dir);
    ck_assert_int_eq(chdir(dir), 0);
    tu_write_text("list.json",
                  "{\n  \"apiVersion\": \"v1\",\n  \"items\": [\n    " JPOD("a") ",\n\n    " JPOD(
                      "b") "\n  ],\n  \"kind\": \"List\"\n}\n" JPOD("c") "\n");
    char *paths[] = {"list.json"};
    int code;
    struct json_object *report = audit_json(paths, 1, &code);
    ck_assert_int_eq(code, 1);
    assert_summary(report, 3, 3, 0, 0);
    struct json_object *res = jget(report, "resources");
    ck_assert_str_eq(jstr(jidx(res, 0), "source"), "list.json:4");
    ck_assert_str_eq(jstr(jidx(res, 1), "source"), "list.json:6");
    ck_assert_str_eq(jstr(jidx(res, 2), "source"), "list.json:10");
    json_object_put(report);

    /* The same through stdin. */
    ck_assert_ptr_nonnull(freopen("list.json", "r", stdin));
    paths[0] = "-";
    report = audit_json(paths, 1, &code);
    assert_summary(report, 3, 3, 0, 0);
    ck_assert_str_eq(jstr(jidx(jget(report, "resources"), 1), "source"), "-:6");
    json_object_put(report);
    tu_rm_tree(dir);
}
END_TEST

START_TEST(test_audit_stdin)
{
    enter_fixtures();
    ck_assert_ptr_nonnull(freopen("multi-doc.yaml", "r", stdin));
    char *paths[] = {"-"};
    int code;
    struct json_object *report = audit_json(paths, 1, &code);
    ck_assert_int_eq(code, 1);
    assert_summary(report, 4, 1, 1, 0);
    ck_assert_str_eq(jstr(jidx(jget(report, "resources"), 0), "source"), "-:3");
    ck_assert_str_eq(jstr(jidx(jget(report, "resources"), 3), "source"), "-:53");
    json_object_put(report);

    ck_assert_ptr_nonnull(freopen("malformed.yaml", "r", stdin));
    struct run r = {.format = HP_AUDIT_SARIF};
    char *text = audit(&r, paths, 1, &code);
    ck_assert_int_eq(code, 2);
    ck_assert_msg(strstr(text, "\"uri\":\"stdin\"") != NULL, "no stdin uri in %s", text);
    free(text);
}
END_TEST

START_TEST(test_audit_sarif)
{
    enter_fixtures();
    char *paths[] = {"./aspnet-template.yaml", "malformed.yaml"};
    struct run r = {.format = HP_AUDIT_SARIF};
    int code;
    char *text = audit(&r, paths, 2, &code);
    ck_assert_int_eq(code, 2);
    struct json_object *sarif = tu_json(text);
    free(text);
    ck_assert_str_eq(jstr(sarif, "$schema"), "https://json.schemastore.org/sarif-2.1.0.json");
    ck_assert_str_eq(jstr(sarif, "version"), "2.1.0");
    ck_assert_uint_eq(jlen(jget(sarif, "runs")), 1);
    struct json_object *run = jidx(jget(sarif, "runs"), 0);
    struct json_object *drv = jget(jget(run, "tool"), "driver");
    ck_assert_str_eq(jstr(drv, "name"), "hardpod");
    ck_assert_str_eq(jstr(drv, "version"), HP_VERSION);
    ck_assert_str_eq(jstr(drv, "informationUri"), "https://github.com/hardpod/hardpod");
    struct json_object *rules = jget(drv, "rules");
    ck_assert_uint_eq(jlen(rules), 24);
    for (int c = 0; c < HP_CHECK_COUNT; c++) {
        struct json_object *rule = jidx(rules, (size_t)c);
        ck_assert_str_eq(jstr(rule, "id"), hp_check_name((enum hp_check)c));
        ck_assert(strlen(jstr(jget(rule, "shortDescription"), "text")) > 0);
        ck_assert(strlen(jstr(jget(rule, "fullDescription"), "text")) > 0);
        ck_assert(strlen(jstr(jget(rule, "help"), "text")) > 0);
    }
    ck_assert_str_eq(jstr(jidx(rules, 22), "id"), "parseError");
    ck_assert_str_eq(jstr(jidx(rules, 23), "id"), "notEvaluated");
    ck_assert_str_eq(
        jstr(jget(jidx(rules, HP_CHECK_RUN_AS_NON_ROOT), "defaultConfiguration"), "level"),
        "error");
    ck_assert_str_eq(
        jstr(jget(jidx(rules, HP_CHECK_SECCOMP_PROFILE), "defaultConfiguration"), "level"),
        "warning");
    ck_assert_str_eq(
        jstr(jget(jidx(rules, HP_CHECK_AUTOMOUNT_SERVICE_ACCOUNT_TOKEN), "defaultConfiguration"),
             "level"),
        "none");

    struct json_object *results = jget(run, "results");
    bool saw_finding = false;
    bool saw_parse_error = false;
    for (size_t i = 0; i < jlen(results); i++) {
        struct json_object *res = jidx(results, i);
        const char *rule_id = jstr(res, "ruleId");
        struct json_object *loc = jget(jidx(jget(res, "locations"), 0), "physicalLocation");
        const char *uri = jstr(jget(loc, "artifactLocation"), "uri");
        int64_t line = jint(jget(loc, "region"), "startLine");
        ck_assert_str_eq(jstr(jidx(rules, (size_t)jint(res, "ruleIndex")), "id"), rule_id);
        if (strcmp(rule_id, "readOnlyRootFilesystem") == 0) {
            saw_finding = true;
            ck_assert_str_eq(jstr(res, "level"), "error");
            ck_assert_str_eq(uri, "aspnet-template.yaml");
            /* At the container (the field is missing), not the resource's
             * line 4. */
            ck_assert_int_eq(line, 21);
            ck_assert_int_eq(jint(jget(loc, "region"), "startColumn"), 9);
            const char *msg = jstr(jget(res, "message"), "text");
            ck_assert_msg(strstr(msg, "containers[0].securityContext.readOnlyRootFilesystem") &&
                              strstr(msg, "\"webapp\"") && strstr(msg, "fix: "),
                          "message lacks path, container or fix: %s", msg);
        } else if (strcmp(rule_id, "parseError") == 0) {
            saw_parse_error = true;
            ck_assert_str_eq(jstr(res, "level"), "error");
            ck_assert_str_eq(uri, "malformed.yaml");
            ck_assert_int_eq(line, 20);
        } else if (strcmp(rule_id, "seccompProfile") == 0) {
            ck_assert_str_eq(jstr(res, "level"), "warning");
        }
    }
    ck_assert(saw_finding && saw_parse_error);
    json_object_put(sarif);
}
END_TEST

/* The finding of check at path in the resource named name, or NULL. */
static struct json_object *finding_at(struct json_object *report, const char *name,
                                      const char *path)
{
    struct json_object *resources = jget(report, "resources");
    for (size_t i = 0; i < jlen(resources); i++) {
        struct json_object *res = jidx(resources, i);
        if (strcmp(jstr(res, "name"), name) != 0) {
            continue;
        }
        struct json_object *fs = jget(res, "findings");
        for (size_t j = 0; j < jlen(fs); j++) {
            if (strcmp(jstr(jidx(fs, j), "path"), path) == 0) {
                return jidx(fs, j);
            }
        }
    }
    return NULL;
}

static void assert_at(struct json_object *report, const char *name, const char *path, int64_t line,
                      int64_t column)
{
    struct json_object *f = finding_at(report, name, path);
    ck_assert_msg(f != NULL, "no finding at %s in %s", path, name);
    if (line == 0) {
        ck_assert(json_object_get_type(jget(f, "line")) == json_type_null);
        ck_assert(json_object_get_type(jget(f, "column")) == json_type_null);
        return;
    }
    ck_assert_msg(jint(f, "line") == line && jint(f, "column") == column,
                  "%s in %s: at %lld:%lld, expected %lld:%lld", path, name,
                  (long long)jint(f, "line"), (long long)jint(f, "column"), (long long)line,
                  (long long)column);
}

/* Each finding points at its field's line and column, or at its nearest
 * written parent; in a list's item and in an AdmissionReview's object too.
 * A JSON input has no positions: null, and the resource's line stands. */
START_TEST(test_audit_locations)
{
    enter_fixtures();
    char *paths[] = {"../locate/located.yaml", "../locate/located.json"};
    int code;
    struct json_object *report = audit_json(paths, 2, &code);
    ck_assert_int_eq(code, 1);
    assert_at(report, "in-list", "spec.containers[0].securityContext.privileged", 13, 9);
    assert_at(report, "in-list", "spec.containers[0].resources.limits.cpu", 10, 7);
    assert_at(report, "reviewed", "spec.hostPID", 28, 7);
    assert_at(report, "reviewed", "spec.containers[0].resources.limits.cpu", 30, 9);
    assert_at(report, "json", "spec.containers[0].securityContext.privileged", 0, 0);
    json_object_put(report);
}
END_TEST

static void assert_contains(const char *text, const char *want)
{
    /* Check's messages have a size limit: show the start of a long output. */
    ck_assert_msg(strstr(text, want) != NULL, "expected the line\n%s\nin the output\n%.3000s", want,
                  text);
}

START_TEST(test_audit_text)
{
    enter_fixtures();
    char *paths[] = {"multi-doc.yaml", "malformed.yaml"};
    struct run r = {.format = HP_AUDIT_TEXT};
    int code;
    char *text = audit(&r, paths, 2, &code);
    ck_assert_int_eq(code, 2);
    assert_contains(text, "SKIP  ConfigMap shop/settings  (multi-doc.yaml:3): no pod spec\n");
    assert_contains(text, "WARN  Deployment shop/worker  (multi-doc.yaml:11)\n");
    assert_contains(text, "DENY  Pod shop/debug  (multi-doc.yaml:53)\n");
    assert_contains(text, "\n  deny  privileged  container \"shell\"  "
                          "spec.containers[0].securityContext.privileged  multi-doc.yaml:63:9\n");
    assert_contains(text, "\n        fix: securityContext: {privileged: false}\n");
    assert_contains(text, "\nERROR malformed.yaml:20: ");
    assert_contains(text, "\n6 resources: 1 denied, 1 warned, 1 errors, 0 passed, 4 skipped, 0 "
                          "not evaluated (profile hardened)\n");
    ck_assert_msg(strstr(text, "no Kubernetes object") == NULL, "%s", text);
    ck_assert_msg(strchr(text, '\033') == NULL, "colour without --color");
    free(text);

    r.color = true;
    char *coloured[] = {"multi-doc.yaml", "hardened-deployment.yaml"};
    text = audit(&r, coloured, 2, &code);
    assert_contains(text, "\033[31mDENY\033[0m  Pod shop/debug");
    assert_contains(text, "\033[33mWARN\033[0m  Deployment shop/worker");
    assert_contains(text, "\033[32mPASS\033[0m  Deployment shop/api");
    assert_contains(text, "SKIP  ConfigMap shop/settings  (multi-doc.yaml:3)");
    free(text);
}
END_TEST

static void assert_sources(struct json_object *report, const char *const *want, size_t n)
{
    struct json_object *list = jget(report, "resources");
    ck_assert_uint_eq(jlen(list), n);
    for (size_t i = 0; i < n; i++) {
        ck_assert_str_eq(jstr(jidx(list, i), "source"), want[i]);
    }
}

START_TEST(test_audit_directory_walk)
{
    enter_fixtures();
    static const char *const want[] = {"tree/Zeta.yaml:1", "tree/a/one.yml:1", "tree/a/two.json:1",
                                       "tree/b.yaml:1"};
    char *dirs[] = {"tree", "tree/", "./tree"};
    for (size_t i = 0; i < 3; i++) {
        int code;
        struct json_object *report = audit_json(&dirs[i], 1, &code);
        ck_assert_int_eq(code, 0);
        assert_summary(report, 4, 0, 0, 0);
        if (i < 2) {
            assert_sources(report, want, 4);
        } else {
            ck_assert_str_eq(jstr(jidx(jget(report, "resources"), 0), "source"),
                             "./tree/Zeta.yaml:1");
        }
        json_object_put(report);
    }
}
END_TEST

START_TEST(test_audit_symlink_loop)
{
    char dir[] = "/tmp/hp-audit-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(chdir(dir), 0);
    ck_assert_int_eq(mkdir("root", 0700), 0);
    ck_assert_int_eq(mkdir("root/sub", 0700), 0);
    tu_write_text("root/sub/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n");
    ck_assert_int_eq(symlink("..", "root/sub/up"), 0);
    ck_assert_int_eq(symlink(".", "root/self"), 0);
    ck_assert_int_eq(symlink("missing.yaml", "root/dangling.yaml"), 0);
    char *paths[] = {"root"};
    int code;
    struct json_object *report = audit_json(paths, 1, &code);
    assert_summary(report, 1, 0, 0, 1);
    ck_assert_str_eq(jstr(jidx(jget(report, "resources"), 0), "source"), "root/sub/cm.yaml:1");
    ck_assert_str_eq(jstr(jidx(jget(report, "errors"), 0), "source"), "root/dangling.yaml");
    ck_assert_int_eq(code, 2);
    json_object_put(report);
    unlink("root/dangling.yaml");
    unlink("root/self");
    unlink("root/sub/up");
    unlink("root/sub/cm.yaml");
    rmdir("root/sub");
    rmdir("root");
    ck_assert_int_eq(chdir("/"), 0);
    rmdir(dir);
}
END_TEST

/* o->now reaches the engine: an exemption applies until it expires. */
START_TEST(test_audit_now_expires_exemptions)
{
    enter_fixtures();
    struct hp_policy p;
    hp_policy_init(&p, HP_PROFILE_HARDENED);
    p.exemptions = calloc(1, sizeof(*p.exemptions));
    ck_assert_ptr_nonnull(p.exemptions);
    p.exemptions[0].kind = HP_EXEMPT_NAMESPACE;
    p.exemptions[0].pattern = strdup("shop");
    p.exemptions[0].reason = strdup("migration");
    p.exemptions[0].expires = NOW;
    p.n_exemptions = 1;
    char *paths[] = {"multi-doc.yaml"};
    static const struct {
        int64_t now;
        int code;
    } cases[] = {{NOW - 1, 0}, {NOW + 1, 1}};
    for (size_t i = 0; i < 2; i++) {
        struct run r = {.policy = &p, .format = HP_AUDIT_JSON, .now = cases[i].now};
        int code;
        char *text = audit(&r, paths, 1, &code);
        ck_assert_msg(code == cases[i].code, "now=%lld: expected exit %d, got %d",
                      (long long)cases[i].now, cases[i].code, code);
        free(text);
    }
    hp_policy_cleanup(&p);
}
END_TEST

START_TEST(test_audit_format_lookup)
{
    static const struct {
        const char *name;
        bool ok;
        enum hp_audit_format format;
    } cases[] = {
        {"text", true, HP_AUDIT_TEXT},   {"json", true, HP_AUDIT_JSON},
        {"sarif", true, HP_AUDIT_SARIF}, {"JSON", false, HP_AUDIT_TEXT},
        {"junit", true, HP_AUDIT_JUNIT}, {"policyreport", true, HP_AUDIT_POLICYREPORT},
        {"xml", false, HP_AUDIT_TEXT},   {"", false, HP_AUDIT_TEXT},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum hp_audit_format f = HP_AUDIT_TEXT;
        ck_assert_msg(hp_audit_format_lookup(cases[i].name, &f) == cases[i].ok, "\"%s\"",
                      cases[i].name);
        ck_assert_int_eq(f, cases[i].format);
    }
}
END_TEST

/* Paths of DIR/NAME for entries ending in ext, sorted; returns the count. */
static size_t list_files(const char *dir, const char *ext, char paths[][PATH_MAX], size_t max)
{
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "cannot open %s", dir);
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len <= strlen(ext) || strcmp(de->d_name + len - strlen(ext), ext) != 0) {
            continue;
        }
        ck_assert(n < max);
        snprintf(paths[n++], PATH_MAX, "%s/%s", dir, de->d_name);
    }
    closedir(d);
    return n;
}

static bool is_container_path(const char *path)
{
    return strstr(path, "ontainers[") != NULL;
}

START_TEST(test_audit_corpus_manifests)
{
    char dir[PATH_MAX];
    static char files[32][PATH_MAX];
    snprintf(dir, sizeof(dir), "%s/dotnet/manifests", tu_corpus_dir());
    size_t n = list_files(dir, ".yaml", files, 32);
    ck_assert_msg(n > 0, "no manifests in %s", dir);
    for (size_t i = 0; i < n; i++) {
        char *paths[] = {files[i]};
        int code;
        struct json_object *report = audit_json(paths, 1, &code);
        ck_assert_msg(code == 0 || code == 1, "%s: exit %d", files[i], code);
        ck_assert_msg(jlen(jget(report, "errors")) == 0, "%s: errors %s", files[i],
                      json_object_to_json_string(jget(report, "errors")));
        struct json_object *list = jget(report, "resources");
        ck_assert_msg(jlen(list) > 0, "%s: no resources", files[i]);
        for (size_t r = 0; r < jlen(list); r++) {
            struct json_object *findings = jget(jidx(list, r), "findings");
            for (size_t k = 0; k < jlen(findings); k++) {
                struct json_object *f = jidx(findings, k);
                const char *path = jstr(f, "path");
                struct json_object *ctr = jget(f, "container");
                ck_assert_msg(path[0] != '\0', "%s: finding without a path: %s", files[i],
                              json_object_to_json_string(f));
                ck_assert_msg(!is_container_path(path) ||
                                  (json_object_is_type(ctr, json_type_string) &&
                                   json_object_get_string_len(ctr) > 0),
                              "%s: container finding without a container: %s", files[i],
                              json_object_to_json_string(f));
                ck_assert_msg(strlen(jstr(f, "message")) > 0, "%s: empty message", files[i]);
            }
        }
        json_object_put(report);
    }
}
END_TEST

START_TEST(test_audit_corpus_malformed)
{
    char dir[PATH_MAX];
    static char files[8][PATH_MAX];
    snprintf(dir, sizeof(dir), "%s/dotnet/manifests/malformed", tu_corpus_dir());
    size_t n = list_files(dir, ".yml", files, 8);
    n += list_files(dir, ".yaml", files + n, 8 - n);
    ck_assert_msg(n > 0, "no files in %s", dir);
    for (size_t i = 0; i < n; i++) {
        char *paths[] = {files[i]};
        int code;
        struct json_object *report = audit_json(paths, 1, &code);
        ck_assert_msg(code == 2, "%s: exit %d", files[i], code);
        struct json_object *errors = jget(report, "errors");
        ck_assert_msg(jlen(errors) > 0, "%s: no error entry", files[i]);
        for (size_t k = 0; k < jlen(errors); k++) {
            const char *src = jstr(jidx(errors, k), "source");
            size_t flen = strlen(files[i]);
            ck_assert_msg(strncmp(src, files[i], flen) == 0 && src[flen] == ':',
                          "source \"%s\" does not start with \"%s:\"", src, files[i]);
            char *end = NULL;
            long line = strtol(src + flen + 1, &end, 10);
            ck_assert_msg(line > 0 && *end == '\0', "source \"%s\" has no line > 0", src);
        }
        json_object_put(report);
    }
}
END_TEST

/* ---- the memory ceiling ---- */

/* Runs a JSON audit of paths under a ceiling of max_memory bytes. */
static struct json_object *audit_json_within(char **paths, size_t n, size_t max_memory, int *code)
{
    struct run r = {.format = HP_AUDIT_JSON, .max_memory = max_memory};
    char *text = audit(&r, paths, n, code);
    struct json_object *report = tu_json(text);
    free(text);
    return report;
}

/* The message of the last error entry, or "" when there is none. */
static const char *last_error(struct json_object *report)
{
    struct json_object *errors = jget(report, "errors");
    size_t n = jlen(errors);
    return n > 0 ? jstr(jidx(errors, n - 1), "message") : "";
}

static void assert_refused(struct json_object *report, const char *what)
{
    const char *msg = last_error(report);
    ck_assert_msg(strstr(msg, "not fit") != NULL && strstr(msg, "the memory limit of ") != NULL &&
                      strstr(msg, "(raise it with --max-memory)") != NULL,
                  "%s: expected the ceiling's error, got \"%s\"", what, msg);
}

/* Writes head, then unit n times with its "#" replaced by the index, to path. */
static void write_repeated(const char *path, const char *head, const char *unit, size_t n)
{
    const char *mark = strchr(unit, '#');
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(head, f);
    for (size_t i = 0; i < n; i++) {
        if (mark == NULL) {
            fputs(unit, f);
            continue;
        }
        fwrite(unit, 1, (size_t)(mark - unit), f);
        fprintf(f, "%zu", i);
        fputs(mark + 1, f);
    }
    ck_assert_int_eq(fclose(f), 0);
}

START_TEST(test_audit_memory_limit)
{
    enter_fixtures();
    char *paths[] = {"aspnet-template.yaml"};
    int code;

    /* The smallest ceiling under which the run completes, found by bisection. */
    size_t lo = 1024;
    size_t hi = (size_t)8 << 20;
    struct json_object *report = audit_json_within(paths, 1, hi, &code);
    ck_assert_int_eq(code, 1);
    size_t findings = jlen(jget(jidx(jget(report, "resources"), 0), "findings"));
    json_object_put(report);
    while (lo + 1 < hi) {
        size_t mid = lo + (hi - lo) / 2;
        report = audit_json_within(paths, 1, mid, &code);
        json_object_put(report);
        if (code == 2) {
            lo = mid;
        } else {
            hi = mid;
        }
    }

    /* Just enough: the same verdict and findings as without a ceiling... */
    report = audit_json_within(paths, 1, hi, &code);
    ck_assert_msg(code == 1, "with a ceiling of %zu bytes: exit %d", hi, code);
    assert_summary(report, 1, 1, 0, 0);
    ck_assert_uint_eq(jlen(jget(jidx(jget(report, "resources"), 0), "findings")), findings);
    json_object_put(report);

    /* ...one byte less: exit 2 with an error that names the limit and the flag. */
    report = audit_json_within(paths, 1, hi - 1, &code);
    ck_assert_msg(code == 2, "with a ceiling of %zu bytes: exit %d", hi - 1, code);
    assert_refused(report, "one byte under");
    ck_assert_msg(
        strncmp(jstr(jidx(jget(report, "errors"), 0), "source"), "aspnet-template.yaml", 20) == 0,
        "the error names the file");
    json_object_put(report);
    /* libyaml's share and the 64 KiB read buffer are most of it. */
    ck_assert_msg(hi > (size_t)300 * 1024 && hi < (size_t)1 << 20, "ceiling %zu", hi);
}
END_TEST

START_TEST(test_audit_memory_streams_documents)
{
    char dir[PATH_MAX];
    tu_make_tmp("/tmp", dir);
    ck_assert_int_eq(chdir(dir), 0);
    /* 300 Pods of 100 env entries: about 40 MiB of trees in all, 130 KiB each. */
    FILE *f = fopen("stream.yaml", "w");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < 300; i++) {
        fprintf(f,
                "---\napiVersion: v1\nkind: Pod\nmetadata: {name: p%d}\nspec:\n  containers:\n"
                "  - name: app\n    image: x\n    env:\n",
                i);
        for (int j = 0; j < 100; j++) {
            fprintf(f, "    - {name: E%d, value: v}\n", j);
        }
    }
    ck_assert_int_eq(fclose(f), 0);
    char *paths[] = {"stream.yaml"};
    int code;

    /* One document at a time: all 300 fit in 4 MiB. */
    struct json_object *report = audit_json_within(paths, 1, (size_t)4 << 20, &code);
    ck_assert_msg(code == 1, "exit %d: %s", code, last_error(report));
    assert_summary(report, 300, 300, 0, 0);
    json_object_put(report);

    /* The same Pods in one List are one document, whose items are read one
     * at a time: they fit too, each at its own line. */
    tu_write_text("list.yaml", "apiVersion: v1\nkind: List\nitems:\n");
    f = fopen("list.yaml", "a");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < 300; i++) {
        fprintf(f,
                "- {apiVersion: v1, kind: Pod, metadata: {name: p%d}, spec: {containers: "
                "[{name: app, image: x, env: [",
                i);
        for (int j = 0; j < 100; j++) {
            fprintf(f, "%s{name: E%d, value: v}", j > 0 ? ", " : "", j);
        }
        fputs("]}]}}\n", f);
    }
    ck_assert_int_eq(fclose(f), 0);
    paths[0] = "list.yaml";
    report = audit_json_within(paths, 1, (size_t)4 << 20, &code);
    ck_assert_msg(code == 1, "exit %d: %s", code, last_error(report));
    assert_summary(report, 300, 300, 0, 0);
    ck_assert_str_eq(jstr(jidx(jget(report, "resources"), 299), "source"), "list.yaml:303");
    json_object_put(report);
    tu_rm_tree(dir);
}
END_TEST

START_TEST(test_audit_memory_findings)
{
    char dir[PATH_MAX];
    tu_make_tmp("/tmp", dir);
    ck_assert_int_eq(chdir(dir), 0);
    /* 5000 containers, about 65,000 findings: the tree fits in 16 MiB, the findings do not. */
    write_repeated("pod.yaml",
                   "apiVersion: v1\nkind: Pod\nmetadata: {name: many}\nspec:\n  containers:\n",
                   "  - {name: c#, image: x}\n", 5000);
    char *paths[] = {"pod.yaml"};
    int code;

    struct json_object *report = audit_json_within(paths, 1, (size_t)16 << 20, &code);
    ck_assert_int_eq(code, 2);
    assert_summary(report, 0, 0, 0, 1);
    assert_refused(report, "findings");
    ck_assert_msg(strstr(last_error(report), "Pod many: cannot be evaluated: ") != NULL, "%s",
                  last_error(report));
    json_object_put(report);

    /* With room, every finding is reported. */
    report = audit_json_within(paths, 1, (size_t)256 << 20, &code);
    ck_assert_int_eq(code, 1);
    assert_summary(report, 1, 1, 0, 0);
    ck_assert_uint_gt(jlen(jget(jidx(jget(report, "resources"), 0), "findings")), 50000);
    json_object_put(report);
    tu_rm_tree(dir);
}
END_TEST

START_TEST(test_audit_memory_report_stops)
{
    char dir[PATH_MAX];
    tu_make_tmp("/tmp", dir);
    ck_assert_int_eq(chdir(dir), 0);
    /* 10,000 tiny documents: each tree is small, the report of all is not. */
    write_repeated("many.yaml", "", "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm#}\n",
                   10000);
    tu_write_text("after.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: after}\n");
    char *paths[] = {"many.yaml", "after.yaml"};
    int code;

    struct json_object *report = audit_json_within(paths, 2, (size_t)4 << 20, &code);
    ck_assert_int_eq(code, 2);
    struct json_object *res = jget(report, "resources");
    size_t n = jlen(res);
    ck_assert_msg(n > 1000 && n < 10000, "%zu resources reported", n);
    assert_refused(report, "report");
    ck_assert_msg(strstr(last_error(report), "auditing stopped here") != NULL, "%s",
                  last_error(report));
    /* Nothing after the stop: not the rest of the file, not the next path. */
    ck_assert_uint_eq(jlen(jget(report, "errors")), 1);
    for (size_t i = 0; i < n; i++) {
        ck_assert_msg(strncmp(jstr(jidx(res, i), "source"), "after.yaml", 10) != 0,
                      "after.yaml was read");
    }
    json_object_put(report);

    /* An input larger than the ceiling is refused before it is read whole. */
    write_repeated("big.yaml", "",
                   "# 0000000000000000000000000000000000000000000000000000000000000000\n", 40000);
    paths[0] = "big.yaml";
    report = audit_json_within(paths, 1, (size_t)1 << 20, &code);
    ck_assert_int_eq(code, 2);
    assert_refused(report, "big input");
    ck_assert_str_eq(jstr(jidx(jget(report, "errors"), 0), "source"), "big.yaml:1");
    json_object_put(report);
    tu_rm_tree(dir);
}
END_TEST

/* Objects of kinds the engine cannot read that hold containers are not
 * evaluated, with the path of the containers; documents without a pod spec
 * are skipped; neither is a pass. */
START_TEST(test_audit_statuses)
{
    enter_fixtures();
    char *paths[] = {"custom-resources.yaml", "multi-doc.yaml"};
    int code;
    struct json_object *report = audit_json(paths, 2, &code);
    ck_assert_int_eq(code, 1); /* the Pod of multi-doc.yaml; not evaluated does not fail */
    assert_summary(report, 9, 1, 1, 0);
    assert_statuses(report, 0, 4, 3, 8);
    static const struct {
        const char *source, *status, *containers, *reason;
    } want[] = {
        {"custom-resources.yaml:4", "not-evaluated", "spec.template.spec.containers",
         "hardpod cannot read kind apps.example.com/v1 Widget, which holds containers at "
         "spec.template.spec.containers"},
        {"custom-resources.yaml:19", "not-evaluated",
         "spec.metrics[0].provider.job.spec.template.spec.containers", NULL},
        {"custom-resources.yaml:36", "not-evaluated", "spec.template.spec.containers", NULL},
        {"custom-resources.yaml:46", "skipped", NULL, "no pod spec"},
        {"custom-resources.yaml:51", "skipped", NULL,
         "not a Kubernetes object (no apiVersion and kind)"},
    };
    struct json_object *list = jget(report, "resources");
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        struct json_object *res = jidx(list, i);
        ck_assert_str_eq(jstr(res, "source"), want[i].source);
        ck_assert_str_eq(jstr(res, "status"), want[i].status);
        ck_assert_uint_eq(jlen(jget(res, "findings")), 0);
        struct json_object *at = jget(res, "containersPath");
        struct json_object *allowed = jget(res, "allowed");
        if (want[i].containers != NULL) {
            ck_assert_str_eq(json_object_get_string(at), want[i].containers);
            ck_assert_msg(json_object_get_type(allowed) == json_type_null,
                          "%s: not evaluated, yet allowed is %s", want[i].source,
                          json_object_to_json_string(allowed));
        } else {
            ck_assert(json_object_get_type(at) == json_type_null);
            ck_assert(json_object_get_boolean(allowed));
        }
        if (want[i].reason != NULL) {
            ck_assert_str_eq(jstr(res, "reason"), want[i].reason);
        }
    }
    json_object_put(report);

    struct run r = {.format = HP_AUDIT_TEXT};
    char *text = audit(&r, paths, 1, &code);
    assert_contains(text, "NOT EVALUATED  Widget shop/web  (custom-resources.yaml:4)\n        "
                          "hardpod cannot read kind apps.example.com/v1 Widget, which holds "
                          "containers at spec.template.spec.containers\n");
    assert_contains(text, "SKIP  Kustomization (unnamed)  (custom-resources.yaml:46): no pod "
                          "spec\n");
    assert_contains(text, "\n5 resources: 0 denied, 0 warned, 0 errors, 0 passed, 2 skipped, 3 "
                          "not evaluated (profile hardened)\n");
    ck_assert_msg(strstr(text, "PASS") == NULL, "a PASS in\n%s", text);
    free(text);

    r.format = HP_AUDIT_SARIF;
    text = audit(&r, paths, 1, &code);
    struct json_object *sarif = tu_json(text);
    free(text);
    struct json_object *results = jget(jidx(jget(sarif, "runs"), 0), "results");
    ck_assert_uint_eq(jlen(results), 3);
    for (size_t i = 0; i < 3; i++) {
        struct json_object *res = jidx(results, i);
        ck_assert_str_eq(jstr(res, "ruleId"), "notEvaluated");
        ck_assert_int_eq(jint(res, "ruleIndex"), HP_CHECK_COUNT + 1);
        ck_assert_str_eq(jstr(res, "level"), "warning");
    }
    assert_contains(jstr(jget(jidx(results, 1), "message"), "text"),
                    "spec.metrics[0].provider.job.spec.template.spec.containers");
    json_object_put(sarif);
}
END_TEST

/* The classification itself, over objects the engine found no pod spec in
 * (and one it did). */
START_TEST(test_audit_classify)
{
    static const struct {
        const char *json;
        bool has_podspec;
        enum aud_status want;
        const char *at;
    } cases[] = {
        {"{\"kind\":\"Pod\",\"spec\":{\"containers\":[]}}", true, AUD_EVALUATED, ""},
        {"{\"spec\":{\"containers\":[{}]}}", false, AUD_SKIPPED, ""},
        {"{\"kind\":\"Widget\",\"spec\":{\"template\":{\"spec\":{\"containers\":[{}]}}}}", false,
         AUD_NOT_EVALUATED, "spec.template.spec.containers"},
        {"{\"kind\":\"W\",\"spec\":{\"m\":[{},{\"job\":{\"initContainers\":[]}}]}}", false,
         AUD_NOT_EVALUATED, "spec.m[1].job.initContainers"},
        {"{\"kind\":\"EphemeralContainers\",\"ephemeralContainers\":[{}]}", false,
         AUD_NOT_EVALUATED, "ephemeralContainers"},
        {"{\"kind\":\"W\",\"spec\":{\"containers\":{\"a\":[]}}}", false, AUD_SKIPPED, ""},
        {"{\"kind\":\"ConfigMap\",\"data\":{\"containers\":\"[a, b]\"}}", false, AUD_SKIPPED, ""},
        {"{\"kind\":\"Service\",\"spec\":{\"ports\":[{\"port\":80}]}}", false, AUD_SKIPPED, ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct json_object *obj = tu_json(cases[i].json);
        struct hp_findings f;
        hp_findings_init(&f);
        f.has_podspec = cases[i].has_podspec;
        char at[128];
        enum aud_status got = aud_classify(obj, &f, at, sizeof(at));
        ck_assert_msg(got == cases[i].want, "case %zu: expected status %d, got %d", i,
                      cases[i].want, got);
        ck_assert_msg(strcmp(at, cases[i].at) == 0, "case %zu: expected \"%s\", got \"%s\"", i,
                      cases[i].at, at);
        hp_findings_cleanup(&f);
        json_object_put(obj);
    }

    /* A path longer than the buffer is cut, and the object is still not
     * evaluated. */
    struct json_object *obj =
        tu_json("{\"kind\":\"W\",\"spec\":{\"aVeryLongMemberName\":{\"containers\":[]}}}");
    struct hp_findings f;
    hp_findings_init(&f);
    char small[12];
    ck_assert_int_eq(aud_classify(obj, &f, small, sizeof(small)), AUD_NOT_EVALUATED);
    ck_assert_str_eq(small, "spec...");
    json_object_put(obj);
    /* Containers 200 levels down are found, with the path cut. */
    char deep[4096] = "{\"kind\":\"W\",\"s\":";
    for (int d = 0; d < 200; d++) {
        strncat(deep, "{\"a\":", sizeof(deep) - strlen(deep) - 1);
    }
    strncat(deep, "{\"containers\":[]}", sizeof(deep) - strlen(deep) - 1);
    for (int d = 0; d < 201; d++) {
        strncat(deep, "}", sizeof(deep) - strlen(deep) - 1);
    }
    struct json_tokener *tok = json_tokener_new_ex(400);
    obj = json_tokener_parse_ex(tok, deep, (int)strlen(deep));
    json_tokener_free(tok);
    ck_assert_ptr_nonnull(obj);
    char at[128];
    ck_assert_int_eq(aud_classify(obj, &f, at, sizeof(at)), AUD_NOT_EVALUATED);
    ck_assert_msg(strncmp(at, "s.a.a.a", 7) == 0 && strcmp(at + strlen(at) - 3, "...") == 0,
                  "path: %s", at);
    json_object_put(obj);
    hp_findings_cleanup(&f);
}
END_TEST

/* An input with no Kubernetes object at all says so, in text and JSON. */
START_TEST(test_audit_no_objects)
{
    enter_fixtures();
    char *paths[] = {"not-kubernetes.json"};
    int code;
    struct json_object *report = audit_json(paths, 1, &code);
    ck_assert_int_eq(code, 0);
    assert_summary(report, 1, 0, 0, 0);
    assert_statuses(report, 0, 1, 0, 0);
    json_object_put(report);
    struct run r = {.format = HP_AUDIT_TEXT};
    char *text = audit(&r, paths, 1, &code);
    assert_contains(text, "\nno Kubernetes object (apiVersion and kind) in the input\n");
    free(text);
    paths[0] = "hardened-deployment.yaml";
    text = audit(&r, paths, 1, &code);
    ck_assert_msg(strstr(text, "no Kubernetes object") == NULL, "%s", text);
    free(text);
}
END_TEST

START_TEST(test_audit_fail_on_parse)
{
    static const struct {
        const char *s;
        bool ok;
        unsigned want;
    } cases[] = {
        {"deny", true, HP_AUDIT_FAIL_DENY},
        {"warn", true, HP_AUDIT_FAIL_WARN},
        {"never", true, HP_AUDIT_FAIL_NEVER},
        {"not-evaluated", true, HP_AUDIT_FAIL_DENY | HP_AUDIT_FAIL_NOT_EVALUATED},
        {"deny,not-evaluated", true, HP_AUDIT_FAIL_DENY | HP_AUDIT_FAIL_NOT_EVALUATED},
        {"not-evaluated,warn", true, HP_AUDIT_FAIL_WARN | HP_AUDIT_FAIL_NOT_EVALUATED},
        {"never,not-evaluated", false, 0},
        {"deny,warn", false, 0},
        {"deny,deny", false, 0},
        {"", false, 0},
        {"deny,", false, 0},
        {"Deny", false, 0},
        {"error", false, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned got = 0;
        struct hp_error err;
        hp_error_clear(&err);
        enum hp_err rc = hp_audit_fail_on_parse(cases[i].s, &got, &err);
        ck_assert_msg((rc == HP_OK) == cases[i].ok, "\"%s\": rc %d (%s)", cases[i].s, rc, err.msg);
        if (cases[i].ok) {
            ck_assert_msg(got == cases[i].want, "\"%s\": expected %#x, got %#x", cases[i].s,
                          cases[i].want, got);
        } else {
            ck_assert_msg(strstr(err.msg, cases[i].s) != NULL, "\"%s\": message %s", cases[i].s,
                          err.msg);
        }
    }
}
END_TEST

/* The exit status under every --fail-on for every kind of result; errors
 * exit 2 even under never. */
START_TEST(test_audit_fail_on_exit_codes)
{
    static const struct {
        unsigned fail_on;
        const char *path;
        int code;
    } cases[] = {
        {0, "hardened-deployment.yaml", 0},
        {0, "warn-only.yaml", 0},
        {0, "multi-doc.yaml", 1},
        {0, "custom-resources.yaml", 0},
        {0, "malformed.yaml", 2},
        {HP_AUDIT_FAIL_DENY, "multi-doc.yaml", 1},
        {HP_AUDIT_FAIL_DENY, "warn-only.yaml", 0},
        {HP_AUDIT_FAIL_WARN, "warn-only.yaml", 1},
        {HP_AUDIT_FAIL_WARN, "multi-doc.yaml", 1},
        {HP_AUDIT_FAIL_WARN, "hardened-deployment.yaml", 0},
        {HP_AUDIT_FAIL_WARN, "custom-resources.yaml", 0},
        {HP_AUDIT_FAIL_NEVER, "multi-doc.yaml", 0},
        {HP_AUDIT_FAIL_NEVER, "warn-only.yaml", 0},
        {HP_AUDIT_FAIL_NEVER, "custom-resources.yaml", 0},
        {HP_AUDIT_FAIL_NEVER, "malformed.yaml", 2},
        {HP_AUDIT_FAIL_DENY | HP_AUDIT_FAIL_NOT_EVALUATED, "custom-resources.yaml", 1},
        {HP_AUDIT_FAIL_DENY | HP_AUDIT_FAIL_NOT_EVALUATED, "warn-only.yaml", 0},
        {HP_AUDIT_FAIL_DENY | HP_AUDIT_FAIL_NOT_EVALUATED, "not-kubernetes.json", 0},
        {HP_AUDIT_FAIL_WARN | HP_AUDIT_FAIL_NOT_EVALUATED, "custom-resources.yaml", 1},
        {HP_AUDIT_FAIL_WARN | HP_AUDIT_FAIL_NOT_EVALUATED, "warn-only.yaml", 1},
    };
    enter_fixtures();
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *paths[] = {(char *)cases[i].path};
        int code;
        free(audit_fail_on(HP_AUDIT_JSON, cases[i].fail_on, paths, 1, &code));
        ck_assert_msg(code == cases[i].code, "--fail-on %#x %s: expected exit %d, got %d",
                      cases[i].fail_on, cases[i].path, cases[i].code, code);
    }
}
END_TEST

/* JUnit: a testsuite per file with its counts, skipped and not-evaluated
 * testcases, failures per deny finding, warnings per --fail-on; control
 * characters and markup from the inputs never reach the XML raw. */
START_TEST(test_audit_junit)
{
    enter_fixtures();
    char *paths[] = {"multi-doc.yaml", "custom-resources.yaml", "malformed.yaml", "warn-only.yaml"};
    int code;
    char *xml = audit_fail_on(HP_AUDIT_JUNIT, 0, paths, 4, &code);
    ck_assert_int_eq(code, 2);
    assert_contains(xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"hardpod "
                         "audit\" tests=\"13\" failures=\"1\" errors=\"1\" skipped=\"9\">\n");
    assert_contains(xml, "  <testsuite name=\"multi-doc.yaml\" tests=\"4\" failures=\"1\" "
                         "errors=\"0\" skipped=\"2\">\n");
    assert_contains(xml, "  <testsuite name=\"custom-resources.yaml\" tests=\"5\" failures=\"0\" "
                         "errors=\"0\" skipped=\"5\">\n");
    assert_contains(xml, "    <testcase classname=\"multi-doc.yaml\" name=\"ConfigMap "
                         "shop/settings (multi-doc.yaml:3)\">\n      <skipped message=\"no pod "
                         "spec\"/>\n");
    assert_contains(xml, "      <skipped message=\"hardpod cannot read kind apps.example.com/v1 "
                         "Widget, which holds containers at spec.template.spec.containers\"/>\n");
    assert_contains(xml, "      <failure type=\"privileged\" message=\"container &quot;shell&quot; "
                         "must not be privileged\">deny  privileged  container "
                         "\"shell\"  spec.containers[0].securityContext.privileged  "
                         "multi-doc.yaml:63:9\n");
    assert_contains(xml, "<testcase classname=\"malformed.yaml\" name=\"malformed.yaml:20\">\n"
                         "      <error type=\"parseError\" message=\"");
    assert_contains(xml, "<system-out>warn  seccompProfile  container \"app\"");
    ck_assert_msg(strstr(xml, "type=\"seccompProfile\"") == NULL, "a warning failed");
    free(xml);

    /* Under warn, warnings are failures; under not-evaluated, so are those. */
    char *warn_paths[] = {"warn-only.yaml", "custom-resources.yaml"};
    xml = audit_fail_on(HP_AUDIT_JUNIT, HP_AUDIT_FAIL_WARN | HP_AUDIT_FAIL_NOT_EVALUATED,
                        warn_paths, 2, &code);
    ck_assert_int_eq(code, 1);
    assert_contains(xml, "tests=\"6\" failures=\"4\" errors=\"0\" skipped=\"2\"");
    assert_contains(xml, "<failure type=\"seccompProfile\"");
    assert_contains(xml, "<failure type=\"notEvaluated\" message=\"hardpod cannot read kind "
                         "apps.example.com/v1 Widget");
    ck_assert_msg(strstr(xml, "<system-out>") == NULL, "warnings in system-out");
    free(xml);

    /* Names with markup, quotes, control characters and bytes that are no
     * UTF-8: the XML stays well-formed and valid UTF-8. */
    char dir[] = "/tmp/hp-junit-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/a<&\"'\x01\xff.yaml", dir);
    tu_write_text(path, "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": "
                        "\"p]]>\\u0001\\u001b\\u007f\\ufffe\"}, \"spec\": {\"containers\": "
                        "[{\"name\": \"c\\u0002<x>\", \"image\": \"i\"}]}}\n");
    char *odd[] = {path};
    xml = audit_fail_on(HP_AUDIT_JUNIT, 0, odd, 1, &code);
    ck_assert_int_eq(code, 1);
    size_t bad = 0;
    ck_assert_msg(hp_utf8_valid(xml, strlen(xml), &bad), "not UTF-8 at %zu", bad);
    for (const unsigned char *p = (const unsigned char *)xml; *p != '\0'; p++) {
        ck_assert_msg(*p >= 0x20 || *p == '\n', "control byte %#x at %zu", *p,
                      (size_t)(p - (const unsigned char *)xml));
        ck_assert_msg(*p != 0x7f, "DEL at %zu", (size_t)(p - (const unsigned char *)xml));
    }
    ck_assert_msg(strstr(xml, "\xef\xbf\xbe") == NULL, "U+FFFE in the XML");
    assert_contains(xml, "a&lt;&amp;&quot;'\\x01\\xff.yaml");
    assert_contains(xml, "name=\"Pod p]]&gt;\\x01\\x1b\\x7f\\xef\\xbf\\xbe (");
    free(xml);
    unlink(path);
    rmdir(dir);
}
END_TEST

/* PolicyReport: a report per namespace ("default" for a namespaced object
 * without one), the cluster's for Cluster* custom kinds and input errors,
 * a result per (resource, check that is on), summaries that add up. */
START_TEST(test_audit_policyreport)
{
    enter_fixtures();
    char *paths[] = {"custom-resources.yaml", "aspnet-template.yaml", "malformed.yaml",
                     "multi-doc.yaml"};
    int code;
    char *text = audit_fail_on(HP_AUDIT_POLICYREPORT, 0, paths, 4, &code);
    ck_assert_int_eq(code, 2);
    struct json_object *list = tu_json(text);
    free(text);
    ck_assert_str_eq(jstr(list, "apiVersion"), "v1");
    ck_assert_str_eq(jstr(list, "kind"), "List");
    struct json_object *items = jget(list, "items");
    static const struct {
        const char *kind, *name, *ns;
    } want[] = {
        {"PolicyReport", "hardpod-default", "default"},
        {"PolicyReport", "hardpod-shop", "shop"},
        {"ClusterPolicyReport", "hardpod-cluster", NULL},
    };
    ck_assert_uint_eq(jlen(items), 3);
    size_t on = 0;
    struct hp_policy hardened;
    hp_policy_init(&hardened, HP_PROFILE_HARDENED);
    for (int c = 0; c < HP_CHECK_COUNT; c++) {
        on += hardened.checks[c].action != HP_ACTION_OFF;
    }
    hp_policy_cleanup(&hardened);
    /* default: the aspnet Deployment and the Function, both without a
     * namespace; shop: the Widget, the Deployment and the Pod (the skipped
     * ConfigMap and Service are left out); the cluster: the
     * ClusterWidgetTemplate and the parse error. */
    size_t want_results[] = {on + 1, 1 + 2 * on, 2};
    for (size_t i = 0; i < 3; i++) {
        struct json_object *rep = jidx(items, i);
        ck_assert_str_eq(jstr(rep, "apiVersion"), "wgpolicyk8s.io/v1alpha2");
        ck_assert_str_eq(jstr(rep, "kind"), want[i].kind);
        struct json_object *meta = jget(rep, "metadata");
        ck_assert_str_eq(jstr(meta, "name"), want[i].name);
        struct json_object *ns = NULL;
        ck_assert(json_object_object_get_ex(meta, "namespace", &ns) == (want[i].ns != NULL));
        if (want[i].ns != NULL) {
            ck_assert_str_eq(json_object_get_string(ns), want[i].ns);
        }
        struct json_object *results = jget(rep, "results");
        ck_assert_msg(jlen(results) == want_results[i], "%s: expected %zu results, got %zu",
                      want[i].name, want_results[i], jlen(results));
        int64_t counted[5] = {0};
        static const char *const names[] = {"pass", "fail", "warn", "error", "skip"};
        for (size_t j = 0; j < jlen(results); j++) {
            struct json_object *res = jidx(results, j);
            ck_assert_str_eq(jstr(res, "policy"), "hardpod");
            ck_assert_str_eq(jstr(res, "source"), "hardpod");
            ck_assert_int_eq(jint(jget(res, "timestamp"), "seconds"), NOW);
            for (size_t k = 0; k < 5; k++) {
                counted[k] += strcmp(jstr(res, "result"), names[k]) == 0;
            }
            if (strcmp(jstr(res, "rule"), "parseError") != 0) {
                struct json_object *ref = jidx(jget(res, "resources"), 0);
                struct json_object *rns = NULL;
                ck_assert(json_object_object_get_ex(ref, "namespace", &rns) ==
                          (want[i].ns != NULL));
                if (want[i].ns != NULL) {
                    ck_assert_str_eq(json_object_get_string(rns), want[i].ns);
                }
            }
        }
        struct json_object *sum = jget(rep, "summary");
        for (size_t k = 0; k < 5; k++) {
            ck_assert_msg(jint(sum, names[k]) == counted[k], "%s: summary.%s %lld, counted %lld",
                          want[i].name, names[k], (long long)jint(sum, names[k]),
                          (long long)counted[k]);
        }
    }
    /* In the shop report: the Widget first (input order), with its uid. */
    struct json_object *widget = jidx(jget(jidx(items, 1), "results"), 0);
    ck_assert_str_eq(jstr(widget, "rule"), "notEvaluated");
    ck_assert_str_eq(jstr(widget, "result"), "skip");
    ck_assert_str_eq(jstr(jget(widget, "properties"), "containersPath"),
                     "spec.template.spec.containers");
    struct json_object *ref = jidx(jget(widget, "resources"), 0);
    ck_assert_str_eq(jstr(ref, "uid"), "7f1c2b9e-0000-4000-8000-000000000001");
    ck_assert_str_eq(jstr(ref, "kind"), "Widget");
    /* The denied Pod's privileged check fails with the finding's path. */
    bool saw = false;
    struct json_object *shop = jget(jidx(items, 1), "results");
    for (size_t j = 0; j < jlen(shop); j++) {
        struct json_object *res = jidx(shop, j);
        struct json_object *r0 = jidx(jget(res, "resources"), 0);
        if (strcmp(jstr(res, "rule"), "privileged") == 0 &&
            strcmp(jstr(r0, "name"), "debug") == 0) {
            saw = true;
            ck_assert_str_eq(jstr(res, "result"), "fail");
            ck_assert_str_eq(jstr(res, "severity"), "high");
            ck_assert_str_eq(jstr(jget(res, "properties"), "path"),
                             "spec.containers[0].securityContext.privileged");
        }
    }
    ck_assert(saw);
    json_object_put(list);

    /* Under --fail-on not-evaluated, a resource not evaluated fails. */
    char *one[] = {"custom-resources.yaml"};
    text = audit_fail_on(HP_AUDIT_POLICYREPORT, HP_AUDIT_FAIL_DENY | HP_AUDIT_FAIL_NOT_EVALUATED,
                         one, 1, &code);
    ck_assert_int_eq(code, 1);
    list = tu_json(text);
    free(text);
    widget = jidx(jget(jidx(jget(list, "items"), 1), "results"), 0);
    ck_assert_str_eq(jstr(widget, "result"), "fail");
    json_object_put(list);
}
END_TEST

/* A namespace with many resources is cut into reports that each fit in what
 * the API server stores; one resource's results stay together. */
START_TEST(test_audit_policyreport_split)
{
    char dir[] = "/tmp/hp-pr-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/pods.yaml", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    const size_t pods = 600;
    for (size_t i = 0; i < pods; i++) {
        fprintf(f,
                "---\napiVersion: v1\nkind: Pod\nmetadata: {name: pod-%zu-with-a-longer-name, "
                "namespace: big, uid: 00000000-0000-4000-8000-%012zu}\nspec:\n  containers:\n"
                "  - {name: app, image: registry.example.com/app:1}\n  - {name: side, image: x}\n",
                i, i);
    }
    fclose(f);
    char *paths[] = {path};
    int code;
    char *text = audit_fail_on(HP_AUDIT_POLICYREPORT, 0, paths, 1, &code);
    ck_assert_int_eq(code, 1);
    struct json_object *list = tu_json(text);
    free(text);
    struct json_object *items = jget(list, "items");
    ck_assert_msg(jlen(items) > 1, "expected the namespace cut into reports, got %zu", jlen(items));
    size_t on = 0;
    struct hp_policy hardened;
    hp_policy_init(&hardened, HP_PROFILE_HARDENED);
    for (int c = 0; c < HP_CHECK_COUNT; c++) {
        on += hardened.checks[c].action != HP_ACTION_OFF;
    }
    hp_policy_cleanup(&hardened);
    size_t results = 0;
    for (size_t i = 0; i < jlen(items); i++) {
        struct json_object *rep = jidx(items, i);
        char want[64];
        if (i == 0) {
            snprintf(want, sizeof(want), "hardpod-big");
        } else {
            snprintf(want, sizeof(want), "hardpod-big-%zu", i + 1);
        }
        ck_assert_str_eq(jstr(jget(rep, "metadata"), "name"), want);
        size_t size = strlen(json_object_to_json_string_ext(
            rep, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        ck_assert_msg(size <= AUD_POLICYREPORT_MAX_BYTES, "%s: %zu bytes", want, size);
        struct json_object *res = jget(rep, "results");
        ck_assert_msg(jlen(res) % on == 0, "%s: %zu results cut a resource", want, jlen(res));
        struct json_object *sum = jget(rep, "summary");
        ck_assert_int_eq(jint(sum, "pass") + jint(sum, "fail") + jint(sum, "warn"),
                         (int64_t)jlen(res));
        results += jlen(res);
    }
    ck_assert_uint_eq(results, pods * on);
    json_object_put(list);
    unlink(path);
    rmdir(dir);
}
END_TEST

static Suite *audit_suite(void)
{
    Suite *s = suite_create("audit");
    TCase *tc = tcase_create("fixtures");
    tcase_add_test(tc, test_audit_hardened_passes);
    tcase_add_test(tc, test_audit_template_denied);
    tcase_add_test(tc, test_audit_multi_doc);
    tcase_add_test(tc, test_audit_list_items);
    tcase_add_test(tc, test_audit_admission_review);
    tcase_add_test(tc, test_audit_malformed_doc_among_good);
    tcase_add_test(tc, test_audit_eval_error_is_not_allowed);
    tcase_add_test(tc, test_audit_not_objects);
    tcase_add_test(tc, test_audit_exit_codes);
    tcase_add_test(tc, test_audit_unreadable_inputs);
    tcase_add_test(tc, test_audit_stdin);
    tcase_add_test(tc, test_audit_kubectl_reading);
    tcase_add_test(tc, test_audit_stream_lines);
    tcase_add_test(tc, test_audit_sarif);
    tcase_add_test(tc, test_audit_text);
    tcase_add_test(tc, test_audit_locations);
    tcase_add_test(tc, test_audit_directory_walk);
    tcase_add_test(tc, test_audit_symlink_loop);
    tcase_add_test(tc, test_audit_now_expires_exemptions);
    tcase_add_test(tc, test_audit_format_lookup);
    tcase_add_test(tc, test_audit_statuses);
    tcase_add_test(tc, test_audit_classify);
    tcase_add_test(tc, test_audit_no_objects);
    tcase_add_test(tc, test_audit_fail_on_parse);
    tcase_add_test(tc, test_audit_fail_on_exit_codes);
    tcase_add_test(tc, test_audit_junit);
    tcase_add_test(tc, test_audit_policyreport);
    tcase_add_test(tc, test_audit_policyreport_split);
    tcase_add_test(tc, test_audit_memory_limit);
    tcase_add_test(tc, test_audit_memory_streams_documents);
    tcase_add_test(tc, test_audit_memory_findings);
    tcase_add_test(tc, test_audit_memory_report_stops);
    suite_add_tcase(s, tc);
    if (tu_corpus_dir() != NULL) {
        TCase *corpus = tcase_create("corpus");
        tcase_set_timeout(corpus, 120);
        tcase_add_test(corpus, test_audit_corpus_manifests);
        tcase_add_test(corpus, test_audit_corpus_malformed);
        suite_add_tcase(s, corpus);
    } else {
        printf("check_audit: corpus not found (HP_CORPUS_DIR); skipping the corpus tests\n");
    }
    return s;
}

int main(void)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/manifests", tu_fixtures_dir());
    if (realpath(path, fixtures) == NULL) {
        fprintf(stderr, "check_audit: fixtures not found at %s\n", path);
        return 77;
    }
    return tu_run(audit_suite());
}
