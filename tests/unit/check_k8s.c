/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the pod spec locator of src/k8s: the path grammar of custom
 * kinds, group/version/kind validation, which entry applies to an
 * (apiVersion, kind), and the walk that finds every pod spec with its real
 * path and its template's metadata.
 */
#include "hardpod/k8s.h"
#include "testutil.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
    const char *path;
    const char *msg; /* NULL: valid */
} path_cases[] = {
    {"spec", NULL},
    {"spec.template.spec", NULL},
    {"spec.metrics[*].provider.job?.spec.template.spec", NULL},
    {"a_b-c.D9[*].e?", NULL},
    {"a[*].b[*].c[*].d[*]", NULL},
    {"", "expected a non-empty path"},
    {".spec", "expected a field name (byte 1)"},
    {"spec..x", "expected a field name (byte 6)"},
    {"spec.", "expected a field name after the last '.' (byte 6)"},
    {"spec[0]", "only [*] selects list elements (byte 5)"},
    {"spec[*]x", "expected '.' or the end of the path (byte 8)"},
    {"spec?[*]", "expected '.' or the end of the path (byte 6)"},
    {"spec[*]?", "expected '.' or the end of the path (byte 8)"},
    {"sp ec", "unexpected character (field names are letters, digits, '_' and '-') (byte 3)"},
    {"[*]", "unexpected character (field names are letters, digits, '_' and '-') (byte 1)"},
    {"a[*].b[*].c[*].d[*].e[*]", "5 [*] steps, over the limit of 4"},
};

START_TEST(test_k8s_path_check)
{
    struct hp_error err;
    hp_error_clear(&err);
    enum hp_err rc = hp_k8s_path_check(path_cases[_i].path, &err);
    if (path_cases[_i].msg == NULL) {
        ck_assert_msg(rc == HP_OK, "\"%s\": expected valid, got \"%s\"", path_cases[_i].path,
                      err.msg);
    } else {
        ck_assert_msg(rc == HP_ERR_INVALID && strcmp(err.msg, path_cases[_i].msg) == 0,
                      "\"%s\":\n  expected: %s\n  actual:   %s", path_cases[_i].path,
                      path_cases[_i].msg, rc == HP_OK ? "(valid)" : err.msg);
    }
}
END_TEST

START_TEST(test_k8s_path_check_length)
{
    char path[HP_K8S_PATH_MAX + 2];
    memset(path, 'a', sizeof(path) - 1);
    path[HP_K8S_PATH_MAX] = '\0';
    ck_assert_int_eq(hp_k8s_path_check(path, NULL), HP_OK);
    path[HP_K8S_PATH_MAX] = 'a';
    path[HP_K8S_PATH_MAX + 1] = '\0';
    ck_assert_int_eq(hp_k8s_path_check(path, NULL), HP_ERR_INVALID);
}
END_TEST

START_TEST(test_k8s_kind_check)
{
    static const struct {
        const char *group, *version, *kind;
        int which; /* -1: valid */
    } cases[] = {
        {"argoproj.io", "v1alpha1", "Rollout", -1},
        {"*", "*", "Workflow", -1},
        {"a-b.example.com", "v2", "X1", -1},
        {"", "*", "W", 0},
        {"apps", "*", "W", 0},
        {"example", "*", "W", 0},
        {"Example.com", "*", "W", 0},
        {"a..b", "*", "W", 0},
        {"-a.b", "*", "W", 0},
        {"a.b", "", "W", 1},
        {"a.b", "V1", "W", 1},
        {"a.b", "v1", "", 2},
        {"a.b", "v1", "*", 2},
        {"a.b", "v1", "My-Kind", 2},
        {"a.b", "v1", "1Kind", 2},
    };
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        int which = -1;
        struct hp_error err;
        hp_error_clear(&err);
        enum hp_err rc =
            hp_k8s_kind_check(cases[i].group, cases[i].version, cases[i].kind, &which, &err);
        ck_assert_msg(cases[i].which < 0 ? rc == HP_OK : rc == HP_ERR_INVALID,
                      "%s %s %s: rc %d (%s)", cases[i].group, cases[i].version, cases[i].kind, rc,
                      err.msg);
        ck_assert_msg(rc == HP_OK || which == cases[i].which, "%s %s %s: expected part %d, got %d",
                      cases[i].group, cases[i].version, cases[i].kind, cases[i].which, which);
    }
}
END_TEST

/* Every built-in entry is valid by the rules the config is held to. */
START_TEST(test_k8s_builtin_kinds_valid)
{
    size_t n = 0;
    const struct hp_k8s_kind *b = hp_k8s_builtin_kinds(&n);
    ck_assert_uint_ge(n, 9);
    for (size_t i = 0; i < n; i++) {
        int which = 0;
        struct hp_error err;
        hp_error_clear(&err);
        ck_assert_msg(hp_k8s_kind_check(b[i].group, b[i].version, b[i].kind, &which, &err) == HP_OK,
                      "%s: %s", b[i].kind, err.msg);
        ck_assert_msg(b[i].n_paths >= 1 && b[i].storage == NULL, "%s", b[i].kind);
        for (size_t j = 0; j < b[i].n_paths; j++) {
            ck_assert_msg(hp_k8s_path_check(b[i].paths[j], &err) == HP_OK, "%s %s: %s", b[i].kind,
                          b[i].paths[j], err.msg);
        }
        ck_assert_msg(hp_k8s_kind_find(NULL, "x.io/v1", b[i].kind) == NULL ||
                          strcmp(b[i].group, "*") == 0,
                      "%s matches another group", b[i].kind);
    }
}
END_TEST

START_TEST(test_k8s_kind_find)
{
    struct hp_k8s_kinds *user = hp_k8s_kinds_new();
    struct hp_k8s_kind k = {.group = "*", .version = "v2", .kind = "Job", .n_paths = 1};
    k.paths[0] = "spec.a";
    hp_k8s_kinds_add(user, &k);
    struct hp_k8s_kind r = {.group = "serving.knative.dev", .version = "v1", .kind = "Revision"};
    r.paths[0] = "spec.b";
    r.n_paths = 1;
    hp_k8s_kinds_add(user, &r);

    const struct hp_k8s_kind *f = hp_k8s_kind_find(NULL, "argoproj.io/v1alpha1", "Rollout");
    ck_assert_msg(f != NULL && strcmp(f->paths[0], "spec.template.spec") == 0, "built-in Rollout");
    ck_assert_ptr_null(hp_k8s_kind_find(NULL, "argoproj.io/v1alpha1", "rollout"));
    ck_assert_ptr_null(hp_k8s_kind_find(NULL, "argoproj.io/", "Rollout"));
    ck_assert_ptr_null(hp_k8s_kind_find(NULL, "/v1", "Rollout"));
    ck_assert_ptr_null(hp_k8s_kind_find(NULL, "v1", "Service"));
    ck_assert_ptr_null(hp_k8s_kind_find(NULL, NULL, "Rollout"));
    /* "*" matches every named group, never the core group. */
    f = hp_k8s_kind_find(user, "batch.example.com/v2", "Job");
    ck_assert_msg(f == &user->items[0], "the * entry");
    ck_assert_ptr_null(hp_k8s_kind_find(user, "v2", "Job"));
    ck_assert_ptr_null(hp_k8s_kind_find(user, "batch.example.com/v1", "Job"));
    /* A user entry replaces the built-in one of its group and kind. */
    ck_assert_msg(hp_k8s_kind_find(user, "serving.knative.dev/v1", "Revision") == &user->items[1],
                  "user Revision");
    ck_assert_ptr_null(hp_k8s_kind_find(user, "serving.knative.dev/v2", "Revision"));
    ck_assert_ptr_nonnull(hp_k8s_kind_find(user, "serving.knative.dev/v2", "Service"));
    /* Built-in workloads are known without any entry. */
    ck_assert(hp_k8s_kind_known(NULL, "apps/v1", "Deployment"));
    ck_assert(hp_k8s_kind_known(NULL, "keda.sh/v1alpha1", "ScaledJob"));
    ck_assert(!hp_k8s_kind_known(NULL, "keda.sh/v1alpha1", "ScaledObject"));
    ck_assert(!hp_k8s_kind_known(NULL, "v1", "ConfigMap"));
    hp_k8s_kinds_free(user);
    hp_k8s_kinds_free(NULL);
}
END_TEST

struct seen {
    char lines[8][600];
    size_t n;
    size_t stop_at; /* return an error at this call (0: never) */
};

static enum hp_err record(const struct hp_podspec *ps, void *arg, struct hp_error *err)
{
    struct seen *s = arg;
    ck_assert_int_eq(ps->workload, HP_WORKLOAD_CUSTOM);
    const char *name = hp_k8s_string(hp_k8s_field(ps->metadata, "name"));
    if (s->n < 8) {
        snprintf(s->lines[s->n], sizeof(s->lines[0]), "%s|%s|%s", ps->prefix,
                 ps->metadata_prefix != NULL ? ps->metadata_prefix : "-",
                 name != NULL ? name : "-");
    }
    if (++s->n == s->stop_at) {
        return hp_error_set(err, HP_ERR_LIMIT, "stop");
    }
    return HP_OK;
}

/* The walk visits paths in order, then list elements in order, names each
 * pod spec where it is and hands over the template's metadata. */
START_TEST(test_k8s_podspec_each)
{
    struct hp_k8s_kind k = {.group = "a.io", .version = "*", .kind = "W", .n_paths = 3};
    k.paths[0] = "spec.jobs[*].template.spec";
    k.paths[1] = "spec.pods[*]";
    k.paths[2] = "spec";
    struct json_object *obj =
        tu_json("{\"metadata\":{\"name\":\"top\"},\"spec\":{"
                "\"jobs\":[{\"template\":{\"metadata\":{\"name\":\"j0\"},\"spec\":{}}},"
                "{\"template\":{\"spec\":{}}}],"
                "\"pods\":[{\"containers\":[]}]}}");
    struct seen s = {0};
    ck_assert_int_eq(hp_k8s_podspec_each(obj, &k, record, &s, NULL), HP_OK);
    static const char *const want[] = {
        "spec.jobs[0].template.spec|spec.jobs[0].template.metadata|j0",
        "spec.jobs[1].template.spec|spec.jobs[1].template.metadata|-",
        "spec.pods[0]|-|-",
        "spec|metadata|top",
    };
    ck_assert_uint_eq(s.n, N_ELEMS(want));
    for (size_t i = 0; i < N_ELEMS(want); i++) {
        ck_assert_str_eq(s.lines[i], want[i]);
    }
    /* The callback's error stops the walk and is returned. */
    struct seen stop = {.stop_at = 2};
    struct hp_error err;
    hp_error_clear(&err);
    ck_assert_int_eq(hp_k8s_podspec_each(obj, &k, record, &stop, &err), HP_ERR_LIMIT);
    ck_assert_uint_eq(stop.n, 2);
    ck_assert_str_eq(err.msg, "stop");
    ck_assert_int_eq(hp_k8s_podspec_each(NULL, &k, record, &s, NULL), HP_ERR_INVALID);
    json_object_put(obj);
}
END_TEST

/* With the reference field set, absent fields end a branch; without it they
 * are errors that say the reference is missing too. Wrong types stay errors. */
START_TEST(test_k8s_podspec_reference)
{
    size_t n = 9;
    struct hp_error err;
    struct json_object *ref = tu_json("{\"spec\":{\"workloadRef\":{\"name\":\"d\"}}}");
    ck_assert_int_eq(hp_k8s_podspec_count(NULL, ref, "argoproj.io/v1alpha1", "Rollout", &n, NULL),
                     HP_OK);
    ck_assert_uint_eq(n, 0);
    struct json_object *null_ref = tu_json("{\"spec\":{\"workloadRef\":null}}");
    hp_error_clear(&err);
    ck_assert_int_eq(
        hp_k8s_podspec_count(NULL, null_ref, "argoproj.io/v1alpha1", "Rollout", &n, &err),
        HP_ERR_INVALID);
    ck_assert_str_eq(err.msg, "spec.template: missing (and spec.workloadRef is not set)");
    struct json_object *bad = tu_json("{\"spec\":{\"workloadRef\":{},\"template\":7}}");
    hp_error_clear(&err);
    ck_assert_int_eq(hp_k8s_podspec_count(NULL, bad, "argoproj.io/v1", "Rollout", &n, &err),
                     HP_ERR_INVALID);
    ck_assert_str_eq(err.msg, "spec.template: expected object, got integer 7");
    /* A built-in workload counts one; a kind nobody reads counts none. */
    struct json_object *dep = tu_json("{\"spec\":{\"template\":{\"spec\":{}}}}");
    ck_assert_int_eq(hp_k8s_podspec_count(NULL, dep, "apps/v1", "Deployment", &n, NULL), HP_OK);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(hp_k8s_podspec_count(NULL, dep, "x.io/v1", "Deployment", &n, NULL), HP_OK);
    ck_assert_uint_eq(n, 0);
    json_object_put(ref);
    json_object_put(null_ref);
    json_object_put(bad);
    json_object_put(dep);
}
END_TEST

/* The longest valid path, with an index of 20 digits at each of its [*]
 * steps, still fits the prefix buffer. */
START_TEST(test_k8s_prefix_room)
{
    ck_assert_int_ge(HP_K8S_PREFIX_MAX,
                     HP_K8S_PATH_MAX + HP_K8S_PATH_MAX_EACH * (20 + 2 - 3) + sizeof(".spec"));
}
END_TEST

static Suite *k8s_suite(void)
{
    Suite *s = suite_create("k8s");
    TCase *tc = tcase_create("custom kinds");
    tcase_add_loop_test(tc, test_k8s_path_check, 0, (int)N_ELEMS(path_cases));
    tcase_add_test(tc, test_k8s_path_check_length);
    tcase_add_test(tc, test_k8s_kind_check);
    tcase_add_test(tc, test_k8s_builtin_kinds_valid);
    tcase_add_test(tc, test_k8s_kind_find);
    tcase_add_test(tc, test_k8s_podspec_each);
    tcase_add_test(tc, test_k8s_podspec_reference);
    tcase_add_test(tc, test_k8s_prefix_room);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(k8s_suite());
}
