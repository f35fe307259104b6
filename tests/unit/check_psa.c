/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Conformance against Kubernetes Pod Security Admission's own fixtures
 * (../shared/corpus/psa, read in place): the psa-restricted and psa-baseline
 * profiles give exactly PSA's verdict on every fixture of their level, every
 * fixture wrapped in every workload kind gets the same verdict with template
 * paths, and the hardened profile denies every fixture while agreeing with
 * each fixture's own check.
 */
#include "hardpod/manifest.h"
#include "hardpod/policy.h"
#include "podpatch.h"
#include "testutil.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct fixture {
    char path[1024];
    char stem[128]; /* file name without digits and extension, e.g. "runasuser" */
    bool pass;
};

/* Lists the YAML files of LEVEL/v1.37/pass and fail; skips the test when the corpus is absent. */
static size_t list_fixtures(const char *level, struct fixture *out, size_t max)
{
    const char *corpus = tu_corpus_dir();
    size_t n = 0;
    for (int pass = 0; pass < 2; pass++) {
        char dir[512];
        snprintf(dir, sizeof(dir), "%s/psa/%s/v1.37/%s", corpus, level, pass ? "pass" : "fail");
        DIR *d = opendir(dir);
        ck_assert_msg(d != NULL, "cannot open %s", dir);
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            const char *dot = strrchr(de->d_name, '.');
            if (dot == NULL || strcmp(dot, ".yaml") != 0) {
                continue;
            }
            ck_assert(n < max);
            struct fixture *f = &out[n++];
            snprintf(f->path, sizeof(f->path), "%s/%s", dir, de->d_name);
            size_t len = (size_t)(dot - de->d_name);
            while (len > 0 && isdigit((unsigned char)de->d_name[len - 1])) {
                len--;
            }
            snprintf(f->stem, sizeof(f->stem), "%.*s", (int)len, de->d_name);
            f->pass = pass;
        }
        closedir(d);
    }
    return n;
}

static struct json_object *load_pod(const char *path)
{
    size_t len;
    char *data = tu_read_file(path, &len);
    struct hp_manifest m;
    struct hp_error err;
    ck_assert_msg(hp_manifest_parse(data, len, NULL, &m, &err) == HP_OK, "%s: %s", path, err.msg);
    ck_assert_msg(m.len == 1 && m.docs[0].obj != NULL, "%s: expected one document", path);
    struct json_object *obj = json_object_get(m.docs[0].obj);
    hp_manifest_cleanup(&m);
    free(data);
    return obj;
}

/* Our check id for a PSA fixture stem, or NULL for the minimal pods: the
 * stem is the check's name in lower case, with _baseline or _restricted when
 * the levels have separate fixtures ("seccompprofile_restricted"). */
static const char *our_check(const char *stem)
{
    size_t len = strcspn(stem, "_");
    const char *level = stem + len;
    if (*level != '\0' && strcmp(level, "_baseline") != 0 && strcmp(level, "_restricted") != 0) {
        return NULL;
    }
    for (int c = 0; c < HP_CHECK_COUNT; c++) {
        const char *name = hp_check_name((enum hp_check)c);
        if (strlen(name) == len && strncasecmp(name, stem, len) == 0) {
            return name;
        }
    }
    return NULL;
}

static bool has_check(const struct hp_findings *f, const char *check)
{
    for (size_t i = 0; i < f->len; i++) {
        if (strcmp(hp_check_name(f->items[i].check), check) == 0) {
            return true;
        }
    }
    return false;
}

static void eval(const struct hp_policy *p, struct json_object *obj, struct hp_findings *f,
                 const char *path)
{
    struct hp_error err;
    struct hp_eval_input in = {.object = obj};
    ck_assert_msg(hp_policy_eval(p, &in, f, &err) == HP_OK, "%s: %s", path, err.msg);
}

#define MAX_FIXTURES 256

static void psa_level(const char *level, enum hp_profile profile)
{
    if (tu_corpus_dir() == NULL) {
        printf("SKIP: %s conformance: ../shared/corpus is absent (set HP_CORPUS_DIR)\n", level);
        return;
    }
    static struct fixture fx[MAX_FIXTURES];
    size_t n = list_fixtures(level, fx, MAX_FIXTURES);
    ck_assert_msg(n > 40, "only %zu %s fixtures found", n, level);
    struct hp_policy p;
    hp_policy_init(&p, profile);
    struct hp_findings f;
    hp_findings_init(&f);
    char buf[8192];
    for (size_t i = 0; i < n; i++) {
        struct json_object *pod = load_pod(fx[i].path);
        eval(&p, pod, &f, fx[i].path);
        ck_assert_msg(hp_findings_denied(&f) == !fx[i].pass, "%s: PSA says %s, we say %s:\n%s",
                      fx[i].path, fx[i].pass ? "allow" : "deny",
                      hp_findings_denied(&f) ? "deny" : "allow", pp_render(&f, buf, sizeof(buf)));
        const char *check = our_check(fx[i].stem);
        if (!fx[i].pass && check != NULL) {
            ck_assert_msg(has_check(&f, check), "%s: expected a %s finding, got:\n%s", fx[i].path,
                          check, pp_render(&f, buf, sizeof(buf)));
        }
        json_object_put(pod);
    }
    printf("%s: %zu PSA fixtures agree\n", level, n);
    hp_findings_cleanup(&f);
    hp_policy_cleanup(&p);
}

START_TEST(test_psa_restricted_verdicts)
{
    psa_level("restricted", HP_PROFILE_PSA_RESTRICTED);
}
END_TEST

START_TEST(test_psa_baseline_verdicts)
{
    psa_level("baseline", HP_PROFILE_PSA_BASELINE);
}
END_TEST

/* Every fixture in every workload kind: the same verdict, the same findings
 * with the template prefix instead of "spec". */
START_TEST(test_psa_workload_wrapping)
{
    static const struct {
        const char *api_version, *kind, *prefix;
    } kinds[] = {
        {"apps/v1", "Deployment", "spec.template.spec"},
        {"apps/v1", "StatefulSet", "spec.template.spec"},
        {"apps/v1", "DaemonSet", "spec.template.spec"},
        {"apps/v1", "ReplicaSet", "spec.template.spec"},
        {"batch/v1", "Job", "spec.template.spec"},
        {"batch/v1", "CronJob", "spec.jobTemplate.spec.template.spec"},
        {"v1", "PodTemplate", "template.spec"},
    };
    if (tu_corpus_dir() == NULL) {
        printf("SKIP: workload wrapping: ../shared/corpus is absent\n");
        return;
    }
    static struct fixture fx[MAX_FIXTURES];
    size_t n = list_fixtures("restricted", fx, MAX_FIXTURES);
    struct hp_policy p;
    hp_policy_init(&p, HP_PROFILE_PSA_RESTRICTED);
    struct hp_findings pod_f, w_f;
    hp_findings_init(&pod_f);
    hp_findings_init(&w_f);
    for (size_t i = 0; i < n; i++) {
        struct json_object *pod = load_pod(fx[i].path);
        eval(&p, pod, &pod_f, fx[i].path);
        for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
            struct json_object *w = pp_wrap(pod, kinds[k].api_version, kinds[k].kind);
            eval(&p, w, &w_f, fx[i].path);
            ck_assert_msg(hp_findings_denied(&w_f) == hp_findings_denied(&pod_f) &&
                              w_f.len == pod_f.len,
                          "%s as %s: verdict or count differs", fx[i].path, kinds[k].kind);
            for (size_t j = 0; j < w_f.len; j++) {
                const char *pp = pod_f.items[j].path;
                const char *wp = w_f.items[j].path;
                bool meta = strncmp(pp, "metadata", 8) == 0;
                size_t plen = strlen(kinds[k].prefix);
                if (meta) {
                    /* metadata.annotations... moves to <template>.metadata.annotations... */
                    ck_assert_msg(strstr(wp, pp) != NULL, "%s: %s vs %s", fx[i].path, pp, wp);
                } else {
                    ck_assert_msg(
                        strncmp(wp, kinds[k].prefix, plen) == 0 && strcmp(wp + plen, pp + 4) == 0,
                        "%s as %s: path %s, pod path %s", fx[i].path, kinds[k].kind, wp, pp);
                }
            }
            json_object_put(w);
        }
        json_object_put(pod);
    }
    hp_findings_cleanup(&pod_f);
    hp_findings_cleanup(&w_f);
    hp_policy_cleanup(&p);
}
END_TEST

/* Adds readOnlyRootFilesystem and resources to every container. */
static void harden_extras(struct json_object *pod)
{
    static const char *const lists[] = {"initContainers", "containers"};
    struct json_object *spec = NULL;
    json_object_object_get_ex(pod, "spec", &spec);
    for (size_t l = 0; l < 2; l++) {
        struct json_object *arr = NULL;
        if (!json_object_object_get_ex(spec, lists[l], &arr)) {
            continue;
        }
        for (size_t i = 0; i < json_object_array_length(arr); i++) {
            char patch[256];
            snprintf(patch, sizeof(patch),
                     "spec.%s[%zu].securityContext.readOnlyRootFilesystem=true", lists[l], i);
            pp_apply(pod, patch);
            snprintf(patch, sizeof(patch),
                     "spec.%s[%zu].resources={\"requests\":{\"cpu\":\"1\",\"memory\":\"1Gi\"},"
                     "\"limits\":{\"cpu\":\"1\",\"memory\":\"1Gi\"}}",
                     lists[l], i);
            pp_apply(pod, patch);
        }
    }
}

/* The hardened profile denies every fixture (none sets runAsUser, runAsGroup,
 * readOnlyRootFilesystem and resources together), and, with only a fixture's
 * own check on, gives the verdict that check implies. */
START_TEST(test_psa_hardened_profile)
{
    if (tu_corpus_dir() == NULL) {
        printf("SKIP: hardened conformance: ../shared/corpus is absent\n");
        return;
    }
    static const char *const levels[] = {"restricted", "baseline"};
    static struct fixture fx[MAX_FIXTURES];
    char buf[8192];
    for (size_t l = 0; l < 2; l++) {
        size_t n = list_fixtures(levels[l], fx, MAX_FIXTURES);
        for (size_t i = 0; i < n; i++) {
            struct hp_policy p;
            hp_policy_init(&p, HP_PROFILE_HARDENED);
            struct hp_findings f;
            hp_findings_init(&f);
            struct json_object *pod = load_pod(fx[i].path);
            eval(&p, pod, &f, fx[i].path);
            ck_assert_msg(hp_findings_denied(&f), "%s: hardened must deny", fx[i].path);
            const char *check = our_check(fx[i].stem);
            /* Restricted-level fixtures only: baseline pass files add capabilities and
             * procMount_restricted is stricter than hardened's baseline procMount. */
            if (check != NULL && l == 0 && strcmp(fx[i].stem, "procmount_restricted") != 0) {
                harden_extras(pod);
                enum hp_check only;
                ck_assert(hp_check_lookup(check, &only));
                for (int c = 0; c < HP_CHECK_COUNT; c++) {
                    if (c != (int)only) {
                        p.checks[c].action = HP_ACTION_OFF;
                    }
                }
                p.allow_add[p.n_allow_add++] = strdup("NET_BIND_SERVICE");
                eval(&p, pod, &f, fx[i].path);
                ck_assert_msg((f.len > 0) == !fx[i].pass, "%s: %s alone should %s:\n%s", fx[i].path,
                              check, fx[i].pass ? "pass" : "fail", pp_render(&f, buf, sizeof(buf)));
            }
            json_object_put(pod);
            hp_findings_cleanup(&f);
            hp_policy_cleanup(&p);
        }
    }
}
END_TEST

/* hardened is never weaker than psa-baseline: on every fixture of both
 * levels, each baseline denial is a hardened denial of the same check at the
 * same path. psa-restricted is not a subset of hardened, by design
 * (docs/policy.md, Profiles): hardened only warns about a missing seccomp
 * profile and about volume types outside restricted's list (gitRepo aside);
 * every restricted denial is still a hardened finding of the same check and
 * path, a deny or a warning, except procMount in a user namespace (hardened
 * keeps baseline's procMount rule, as documented). */
START_TEST(test_psa_hardened_never_weaker)
{
    if (tu_corpus_dir() == NULL) {
        printf("SKIP: hardened vs baseline: ../shared/corpus is absent\n");
        return;
    }
    static const char *const levels[] = {"restricted", "baseline"};
    static struct fixture fx[MAX_FIXTURES];
    struct hp_policy hardened, baseline, restricted;
    hp_policy_init(&hardened, HP_PROFILE_HARDENED);
    hp_policy_init(&baseline, HP_PROFILE_PSA_BASELINE);
    hp_policy_init(&restricted, HP_PROFILE_PSA_RESTRICTED);
    struct hp_findings hf, bf, rf;
    hp_findings_init(&hf);
    hp_findings_init(&bf);
    hp_findings_init(&rf);
    char buf[8192];
    size_t compared = 0;
    size_t baseline_denials = 0;
    for (size_t l = 0; l < 2; l++) {
        size_t n = list_fixtures(levels[l], fx, MAX_FIXTURES);
        for (size_t i = 0; i < n; i++) {
            struct json_object *pod = load_pod(fx[i].path);
            eval(&hardened, pod, &hf, fx[i].path);
            eval(&baseline, pod, &bf, fx[i].path);
            eval(&restricted, pod, &rf, fx[i].path);
            baseline_denials += hp_findings_denied(&bf);
            const struct hp_finding *m = pp_missing_deny(&bf, &hf, false, -1);
            ck_assert_msg(m == NULL, "%s: psa-baseline denies %s at %s, hardened does not:\n%s",
                          fx[i].path, m ? hp_check_name(m->check) : "", m ? m->path : "",
                          pp_render(&hf, buf, sizeof(buf)));
            /* Restricted allows only the Default procMount even in a user
             * namespace; hardened keeps baseline's rule there (documented). */
            struct json_object *spec = NULL, *host_users = NULL;
            json_object_object_get_ex(pod, "spec", &spec);
            json_object_object_get_ex(spec, "hostUsers", &host_users);
            bool user_ns = json_object_is_type(host_users, json_type_boolean) &&
                           !json_object_get_boolean(host_users);
            m = pp_missing_deny(&rf, &hf, true, user_ns ? HP_CHECK_PROC_MOUNT : -1);
            ck_assert_msg(m == NULL,
                          "%s: psa-restricted denies %s at %s, hardened has nothing:\n%s",
                          fx[i].path, m ? hp_check_name(m->check) : "", m ? m->path : "",
                          pp_render(&hf, buf, sizeof(buf)));
            compared++;
            json_object_put(pod);
        }
    }
    ck_assert_msg(compared > 100 && baseline_denials > 20, "only %zu fixtures, %zu denied",
                  compared, baseline_denials);
    printf("hardened covers psa-baseline on %zu fixtures (%zu baseline denials)\n", compared,
           baseline_denials);
    hp_findings_cleanup(&hf);
    hp_findings_cleanup(&bf);
    hp_findings_cleanup(&rf);
    hp_policy_cleanup(&hardened);
    hp_policy_cleanup(&baseline);
    hp_policy_cleanup(&restricted);
}
END_TEST

int main(void)
{
    if (tu_corpus_dir() == NULL) {
        printf("SKIP: PSA conformance needs ../shared/corpus (or HP_CORPUS_DIR); it is absent\n");
        return 77;
    }
    Suite *s = suite_create("psa");
    TCase *tc = tcase_create("psa");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_psa_restricted_verdicts);
    tcase_add_test(tc, test_psa_baseline_verdicts);
    tcase_add_test(tc, test_psa_workload_wrapping);
    tcase_add_test(tc, test_psa_hardened_profile);
    tcase_add_test(tc, test_psa_hardened_never_weaker);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
