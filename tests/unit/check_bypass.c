/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Bypass fixtures: every file in tests/fixtures/bypass is one way a policy
 * violation could hide (init and ephemeral containers, overrides, capability
 * spellings, nesting, legacy apiVersions, duplicate keys, huge numbers...).
 * Each must be denied by the default profile with every expected (check,
 * path) finding, both by the engine and through the admission path. The
 * directory is listed at run time, so a new file is a new test case.
 */
#include "hardpod/admission.h"
#include "hardpod/policy.h"
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FIXTURES 512

static char *names[MAX_FIXTURES];
static size_t n_names;

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists the *.json files of the bypass directory, sorted. */
static void list_fixtures(void)
{
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/bypass", tu_fixtures_dir());
    DIR *d = opendir(dir);
    if (d == NULL) {
        return;
    }
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL && n_names < MAX_FIXTURES) {
        size_t len = strlen(ent->d_name);
        if (len > 5 && strcmp(ent->d_name + len - 5, ".json") == 0) {
            names[n_names++] = strdup(ent->d_name);
        }
    }
    closedir(d);
    qsort(names, n_names, sizeof(names[0]), cmp_name);
}

/* One fixture: the object (or AdmissionReview) text exactly as the file
 * gives it ("raw", kept byte for byte so duplicate keys survive), or the
 * serialised "object". */
struct fixture {
    struct json_object *doc;
    char *text;
    struct json_object *parsed; /* text parsed by json-c (the last duplicate wins) */
    struct json_object *expect;
    bool admission_invalid; /* the admission parser must reject the body */
};

static void fixture_load(struct fixture *fx, const char *name)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/bypass/%s", tu_fixtures_dir(), name);
    char *data = tu_read_file(path, NULL);
    fx->doc = tu_json(data);
    free(data);
    struct json_object *raw = NULL, *obj = NULL, *adm = NULL;
    ck_assert_msg(json_object_object_get_ex(fx->doc, "expect", &fx->expect) &&
                      json_object_is_type(fx->expect, json_type_array) &&
                      json_object_array_length(fx->expect) > 0,
                  "%s: \"expect\" must be a non-empty list", name);
    if (json_object_object_get_ex(fx->doc, "raw", &raw)) {
        ck_assert_msg(json_object_is_type(raw, json_type_string), "%s: raw must be a string", name);
        fx->text = strdup(json_object_get_string(raw));
    } else {
        ck_assert_msg(json_object_object_get_ex(fx->doc, "object", &obj),
                      "%s: needs \"object\" or \"raw\"", name);
        fx->text = strdup(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN));
    }
    fx->parsed = tu_json(fx->text);
    fx->admission_invalid = json_object_object_get_ex(fx->doc, "admission", &adm) &&
                            strcmp(json_object_get_string(adm), "invalid") == 0;
}

static void fixture_cleanup(struct fixture *fx)
{
    json_object_put(fx->parsed);
    json_object_put(fx->doc);
    free(fx->text);
}

static const char *str_of(struct json_object *o, const char *key)
{
    struct json_object *v = NULL;
    return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

static bool is_review(struct json_object *o)
{
    return strcmp(str_of(o, "kind"), "AdmissionReview") == 0;
}

/* Fails unless every expected (check, path) is among f as a deny finding. */
static void assert_expected(const char *name, const char *via, struct json_object *expect,
                            const struct hp_findings *f)
{
    for (size_t i = 0; i < json_object_array_length(expect); i++) {
        struct json_object *e = json_object_array_get_idx(expect, i);
        const char *check = str_of(e, "check");
        const char *path = str_of(e, "path");
        bool found = false, wrong_action = false;
        for (size_t j = 0; j < f->len; j++) {
            if (strcmp(hp_check_name(f->items[j].check), check) == 0 &&
                strcmp(f->items[j].path, path) == 0) {
                found = found || f->items[j].action == HP_ACTION_DENY;
                wrong_action = wrong_action || f->items[j].action != HP_ACTION_DENY;
            }
        }
        if (!found) {
            char got[8192] = "";
            size_t used = 0;
            for (size_t j = 0; j < f->len && used < sizeof(got); j++) {
                used += (size_t)snprintf(got + used, sizeof(got) - used, "\n  %s|%s|%s",
                                         hp_check_name(f->items[j].check),
                                         hp_action_name(f->items[j].action), f->items[j].path);
            }
            ck_abort_msg("%s (%s): expected deny %s at %s%s; findings:%s", name, via, check, path,
                         wrong_action ? " (found, but not as deny)" : "", got);
        }
    }
}

/* The engine alone: the object (or the review's request.object, with the kind
 * the request names) against the default profile. */
static void check_engine(const char *name, struct fixture *fx)
{
    struct hp_policy p;
    hp_policy_init(&p, HP_PROFILE_HARDENED);
    struct hp_findings f;
    hp_findings_init(&f);
    struct hp_eval_input in = {.object = fx->parsed, .now = 1767225600};
    char api_version[256];
    if (is_review(fx->parsed)) {
        struct json_object *req = NULL, *kind = NULL;
        ck_assert(json_object_object_get_ex(fx->parsed, "request", &req));
        ck_assert(json_object_object_get_ex(req, "object", &in.object));
        ck_assert(json_object_object_get_ex(req, "kind", &kind));
        const char *group = str_of(kind, "group");
        snprintf(api_version, sizeof(api_version), "%s%s%s", group, group[0] ? "/" : "",
                 str_of(kind, "version"));
        in.api_version = api_version;
        in.kind = str_of(kind, "kind");
    }
    struct hp_error err;
    enum hp_err rc = hp_policy_eval(&p, &in, &f, &err);
    ck_assert_msg(rc == HP_OK, "%s: evaluation failed: %s", name, err.msg);
    ck_assert_msg(f.has_podspec, "%s: the object was not recognised as carrying a pod spec", name);
    ck_assert_msg(hp_findings_denied(&f), "%s: the engine allowed it", name);
    assert_expected(name, "engine", fx->expect, &f);
    hp_findings_cleanup(&f);
    hp_policy_cleanup(&p);
}

/* Wraps an object's text into a CREATE AdmissionReview, byte for byte. */
static char *wrap_review(struct json_object *obj, const char *text)
{
    const char *api = str_of(obj, "apiVersion");
    const char *slash = strchr(api, '/');
    char group[128] = "";
    const char *version = api;
    if (slash != NULL) {
        snprintf(group, sizeof(group), "%.*s", (int)(slash - api), api);
        version = slash + 1;
    }
    size_t size = strlen(text) + 1024;
    char *body = malloc(size);
    ck_assert_ptr_nonnull(body);
    snprintf(body, size,
             "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
             "\"uid\":\"bypass-1\",\"kind\":{\"group\":\"%s\",\"version\":\"%s\",\"kind\":\"%s\"},"
             "\"resource\":{\"group\":\"%s\",\"version\":\"%s\",\"resource\":\"objects\"},"
             "\"namespace\":\"shop\",\"name\":\"web\",\"operation\":\"CREATE\","
             "\"userInfo\":{\"username\":\"alice\"},\"object\":%s,\"oldObject\":null}}",
             group, version, str_of(obj, "kind"), group, version, text);
    return body;
}

/* The admission path: the review must come back allowed: false with every
 * expected finding, or (when the fixture says so) be rejected as invalid. */
static void check_admission(const char *name, struct fixture *fx)
{
    char *body = is_review(fx->parsed) ? strdup(fx->text) : wrap_review(fx->parsed, fx->text);
    struct hp_config cfg;
    hp_config_init(&cfg);
    struct hp_admission a;
    hp_admission_init(&a);
    struct hp_buf out;
    hp_buf_init(&out, 0);
    struct hp_admission_result res;
    struct hp_error err;
    hp_error_clear(&err);
    struct hp_admission_ctx ctx = {.config = &cfg, .profile_name = "hardened", .now = 1767225600};
    enum hp_err rc = hp_admission_handle(&a, &ctx, body, strlen(body), &res, &out, &err);
    if (fx->admission_invalid) {
        ck_assert_msg(rc == HP_ERR_INVALID, "%s: the admission path accepted the body", name);
    } else {
        ck_assert_msg(rc == HP_OK, "%s: admission error: %s", name, err.msg);
        ck_assert_msg(res.skip == HP_SKIP_NONE, "%s: the review was not evaluated (skip %s)", name,
                      hp_skip_name(res.skip));
        ck_assert_msg(res.decision == HP_DECISION_DENIED, "%s: decision %s", name,
                      hp_decision_name(res.decision));
        struct json_object *resp = tu_json(hp_buf_str(&out));
        struct json_object *r = NULL, *allowed = NULL;
        ck_assert(json_object_object_get_ex(resp, "response", &r));
        ck_assert(json_object_object_get_ex(r, "allowed", &allowed));
        ck_assert_msg(json_object_is_type(allowed, json_type_boolean) &&
                          !json_object_get_boolean(allowed),
                      "%s: response is not allowed: false: %s", name, hp_buf_str(&out));
        assert_expected(name, "admission", fx->expect, res.findings);
        json_object_put(resp);
    }
    hp_buf_cleanup(&out);
    hp_admission_cleanup(&a);
    hp_config_cleanup(&cfg);
    free(body);
}

START_TEST(test_bypass_fixture_denied)
{
    ck_assert_msg((size_t)_i < n_names, "fixture list changed while running");
    struct fixture fx = {0};
    fixture_load(&fx, names[_i]);
    check_engine(names[_i], &fx);
    check_admission(names[_i], &fx);
    fixture_cleanup(&fx);
}
END_TEST

START_TEST(test_bypass_directory_not_empty)
{
    ck_assert_msg(n_names > 0, "no *.json fixtures in %s/bypass", tu_fixtures_dir());
}
END_TEST

/* The duplicate-key fixtures rely on the parser keeping the last of two equal
 * keys, as Go's encoding/json and the API server do: what hardpod judges is
 * what the API server stores. */
START_TEST(test_bypass_duplicate_key_last_wins)
{
    struct json_object *o = tu_json("{\"privileged\":false,\"privileged\":true}");
    struct json_object *v = NULL;
    ck_assert(json_object_object_get_ex(o, "privileged", &v));
    ck_assert_msg(json_object_get_boolean(v), "json-c kept the first of two duplicate keys");
    ck_assert_int_eq(json_object_object_length(o), 1);
    json_object_put(o);
}
END_TEST

int main(void)
{
    list_fixtures();
    Suite *s = suite_create("bypass");
    TCase *tc = tcase_create("bypass");
    tcase_add_test(tc, test_bypass_directory_not_empty);
    tcase_add_test(tc, test_bypass_duplicate_key_last_wins);
    tcase_add_loop_test(tc, test_bypass_fixture_denied, 0, (int)n_names);
    suite_add_tcase(s, tc);
    int rc = tu_run(s);
    for (size_t i = 0; i < n_names; i++) {
        free(names[i]);
    }
    return rc;
}
