/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `hardpod audit --format patch`: every check has patch rules or says why
 * it has none; each kind of rule writes what a strategic merge needs (whole
 * atomic lists, containers and env by name, pod or container level, the
 * placeholders); what cannot be patched is listed; strings from the input
 * cannot break the YAML. The round trip through kubectl kustomize is the
 * end-to-end test tests/e2e/test_audit_patch.sh.
 */
#include "audit/internal.h"
#include "hardpod/audit.h"
#include "hardpod/manifest.h"
#include "testutil.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW 1735689600

/* Runs --format patch over yaml (written to a scratch file) with p (NULL:
 * hardened); returns the output (caller frees). */
static char *patch_of(const char *yaml, const struct hp_policy *p, int *code)
{
    struct hp_policy hardened;
    hp_policy_init(&hardened, HP_PROFILE_HARDENED);
    const char *path = tu_path(tu_dir, "in.yaml");
    tu_write_text(path, yaml);
    struct hp_audit_options o = {
        .policy = p != NULL ? p : &hardened,
        .format = HP_AUDIT_PATCH,
        .no_group = true,
        .now = NOW,
        .limits = hp_manifest_default_limits,
    };
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    char *paths[] = {(char *)path};
    int rc = hp_audit_run(&o, paths, 1, f);
    ck_assert_int_eq(fclose(f), 0);
    if (code != NULL) {
        *code = rc;
    }
    hp_policy_cleanup(&hardened);
    return buf;
}

START_TEST(test_patch_every_check_has_rules_or_a_reason)
{
    for (int c = 0; c < HP_CHECK_COUNT; c++) {
        const struct hp_check_info *info = hp_check_info_get((enum hp_check)c);
        bool rules = info->patch[0].at != NULL;
        ck_assert_msg(rules != (info->no_patch != NULL),
                      "check %s: expected patch rules or no_patch (one of them), got %s",
                      info->name, rules ? "both" : "neither");
        for (size_t i = 0; i < HP_CHECK_MAX_PATCH_RULES && info->patch[i].at != NULL; i++) {
            const struct hp_patch_rule *r = &info->patch[i];
            ck_assert_msg(r->at[0] != '\0', "check %s rule %zu: empty path", info->name, i);
            bool needs_value = r->op == HP_PATCH_SET || r->op == HP_PATCH_NONE ||
                               r->op == HP_PATCH_PLACEHOLDER || r->op == HP_PATCH_LIST_ADD ||
                               r->op == HP_PATCH_ANNOTATION || r->op == HP_PATCH_ENV;
            ck_assert_msg(!needs_value || r->value != NULL, "check %s rule %s: no value",
                          info->name, r->at);
            if (r->op == HP_PATCH_SET) {
                struct json_object *v = json_tokener_parse(r->value);
                ck_assert_msg(v != NULL, "check %s rule %s: value %s is not JSON", info->name,
                              r->at, r->value);
                json_object_put(v);
            }
            if (r->op == HP_PATCH_PLACEHOLDER) {
                ck_assert_msg(strncmp(r->value, "<set: ", 6) == 0,
                              "check %s rule %s: placeholder %s does not start with \"<set: \"",
                              info->name, r->at, r->value);
            }
            if (r->op == HP_PATCH_ENV) {
                ck_assert_msg(strchr(r->value, '=') != NULL,
                              "check %s rule %s: %s is no NAME=VALUE", info->name, r->at, r->value);
            }
        }
    }
}
END_TEST

#define DEPLOY(spec)                                                                               \
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n"              \
    "spec:\n  template:\n    spec:\n" spec

/* One input and what its output must and must not hold. */
static const struct {
    const char *name;
    const char *yaml;
    const char *want[6];
    const char *not_want[3];
} cases[] = {
    {"drop keeps the other entries and gains ALL",
     DEPLOY("      containers:\n      - name: app\n        image: x\n"
            "        securityContext: {capabilities: {drop: [NET_RAW]}}\n"),
     {"drop:\n                - NET_RAW\n                - ALL\n"},
     {NULL}},
    {"a lower-case all is written ALL",
     DEPLOY("      containers:\n      - name: app\n        image: x\n"
            "        securityContext: {capabilities: {drop: [all, KILL]}}\n"),
     {"drop:\n                - KILL\n                - ALL\n"},
     {"- all\n"}},
    {"capabilities the policy does not allow are removed from add",
     DEPLOY("      containers:\n      - name: app\n        image: x\n"
            "        securityContext: {capabilities: {add: [NET_ADMIN, SYS_TIME]}}\n"),
     {"add: null\n"},
     {"NET_ADMIN"}},
    {"group 0 leaves supplementalGroups, the others stay",
     DEPLOY("      securityContext: {supplementalGroups: [0, 5]}\n"
            "      containers: [{name: app, image: x}]\n"),
     {"          securityContext:\n", "supplementalGroups:\n            - 5\n"},
     {"- 0\n"}},
    {"a pod-level value is patched in the pod securityContext",
     DEPLOY("      securityContext: {runAsNonRoot: false}\n"
            "      containers: [{name: app, image: x}]\n"),
     {"          securityContext:\n            runAsNonRoot: true\n"},
     {NULL}},
    {"init containers by name in their own list",
     DEPLOY("      initContainers: [{name: init, image: x}]\n"
            "      containers: [{name: app, image: x}]\n"),
     {"          initContainers:\n          - name: init\n",
      "          containers:\n          - name: app\n"},
     {NULL}},
    {"resources are placeholders",
     DEPLOY("      containers: [{name: app, image: x, resources: {limits: {cpu: 0}}}]\n"),
     {"cpu: \"<set: cpu request>\"", "memory: \"<set: memory request>\"",
      "cpu: \"<set: cpu limit>\"", "memory: \"<set: memory limit>\""},
     {NULL}},
    {"an AppArmor annotation of the pod template",
     "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n"
     "    metadata:\n      annotations:\n"
     "        container.apparmor.security.beta.kubernetes.io/app: unconfined\n"
     "    spec:\n      containers: [{name: app, image: x}]\n",
     {"        metadata:\n          annotations:\n"
      "            container.apparmor.security.beta.kubernetes.io/app: runtime/default\n"},
     {NULL}},
    {"a Pod's annotation goes beside its name",
     "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n"
     "    container.apparmor.security.beta.kubernetes.io/app: unconfined\n"
     "spec:\n  containers: [{name: app, image: x}]\n",
     {"    metadata:\n      name: p\n      annotations:\n"
      "        container.apparmor.security.beta.kubernetes.io/app: runtime/default\n"},
     {NULL}},
    {"Kestrel's ports: 80 and 443 move, in the variable that names them",
     DEPLOY("      containers:\n      - name: app\n        image: x\n        env:\n"
            "        - {name: ASPNETCORE_HTTP_PORTS, value: '80,81'}\n"
            "        - {name: ASPNETCORE_URLS, value: 'https://+:443;http://localhost'}\n"),
     {"value: \"https://+:8443;http://localhost:8080\"",
      "not patched: privilegedPorts spec.template.spec.containers[0].env[0].value: a port below "
      "1024 other than 80 or 443"},
     {NULL}},
    {"a diagnostics variable set from a Secret is replaced by the value",
     DEPLOY("      containers:\n      - name: app\n        image: mcr.microsoft.com/dotnet/aspnet\n"
            "        securityContext: {readOnlyRootFilesystem: true}\n        env:\n"
            "        - {name: DOTNET_EnableDiagnostics, valueFrom: {secretKeyRef: {name: s, key: "
            "k}}}\n"),
     {"- name: DOTNET_EnableDiagnostics\n              value: \"0\"\n              valueFrom: "
      "null\n"},
     {NULL}},
    {"a securityContext that is no object is listed",
     DEPLOY("      containers: [{name: app, image: x, securityContext: oops}]\n"),
     {"not patched: allowPrivilegeEscalation "
      "spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation: a field on the "
      "way is not an object"},
     {NULL}},
    {"a container without a name is listed",
     DEPLOY("      containers: [{image: x}]\n"),
     {"not patched: runAsNonRoot spec.template.spec.containers[0].securityContext.runAsNonRoot: "
      "the container has no name"},
     {"- target:"}},
    {"a custom kind is not patched, and every finding is listed",
     "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: r}\n"
     "spec:\n  template:\n    spec:\n      containers: [{name: app, image: x}]\n",
     {"no patch: kustomize has no schema for argoproj.io/v1alpha1 Rollout",
      "not patched: runAsNonRoot spec.template.spec.containers[0]"},
     {"- target:"}},
    {"host namespaces are listed with the reason",
     DEPLOY("      hostNetwork: true\n      containers: [{name: app, image: x}]\n"),
     {"not patched: hostNamespaces spec.template.spec.hostNetwork: the pod uses the node's"},
     {"hostNetwork: false"}},
    {"a generated name cannot be targeted",
     "apiVersion: v1\nkind: Pod\nmetadata: {generateName: p-}\nspec:\n  containers: [{name: app, "
     "image: x}]\n",
     {"no patch: no metadata.name"},
     {"- target:"}},
};

START_TEST(test_patch_cases)
{
    int i = _i;
    char *out = patch_of(cases[i].yaml, NULL, NULL);
    for (size_t k = 0; k < 6 && cases[i].want[k] != NULL; k++) {
        ck_assert_msg(strstr(out, cases[i].want[k]) != NULL, "%s: expected\n%s\nin\n%s",
                      cases[i].name, cases[i].want[k], out);
    }
    for (size_t k = 0; k < 3 && cases[i].not_want[k] != NULL; k++) {
        ck_assert_msg(strstr(out, cases[i].not_want[k]) == NULL, "%s: did not expect\n%s\nin\n%s",
                      cases[i].name, cases[i].not_want[k], out);
    }
    free(out);
}
END_TEST

START_TEST(test_patch_policy_minimum_ids)
{
    struct hp_policy p;
    hp_policy_init(&p, HP_PROFILE_HARDENED);
    p.min_uid = 20000;
    char *out = patch_of(DEPLOY("      containers: [{name: app, image: x}]\n"), &p, NULL);
    ck_assert_msg(strstr(out, "runAsUser: 20000\n") != NULL, "expected minUID 20000 in\n%s", out);
    ck_assert_msg(strstr(out, "runAsGroup: 10001\n") != NULL, "expected 10001 in\n%s", out);
    free(out);
    hp_policy_cleanup(&p);
}
END_TEST

START_TEST(test_patch_exempt_findings_are_listed)
{
    struct hp_policy p;
    hp_policy_init(&p, HP_PROFILE_HARDENED);
    p.exemptions = calloc(1, sizeof(*p.exemptions));
    p.n_exemptions = 1;
    p.exemptions[0].kind = HP_EXEMPT_NAMESPACE;
    p.exemptions[0].pattern = strdup("shop");
    p.exemptions[0].reason = strdup("legacy");
    char *out = patch_of(DEPLOY("      containers: [{name: app, image: x}]\n"), &p, NULL);
    ck_assert_msg(strstr(out, "exempted by the policy") != NULL, "expected exempted in\n%s", out);
    ck_assert_msg(strstr(out, "patches: []") != NULL, "expected no patch in\n%s", out);
    free(out);
    hp_policy_cleanup(&p);
}
END_TEST

/* The first document of YAML text, as a json-c tree (caller puts). */
static struct json_object *load_yaml(const char *text)
{
    struct hp_manifest_doc doc;
    struct hp_manifest_budget budget;
    memset(&doc, 0, sizeof(doc));
    hp_manifest_budget_init(&budget, (size_t)64 << 20, "test");
    enum hp_err rc = hp_manifest_load_one(text, strlen(text), NULL, &budget, &doc);
    ck_assert_msg(rc == HP_OK && doc.obj != NULL, "not YAML: %s\n%s",
                  doc.error != NULL ? doc.error : "(empty)", text);
    struct json_object *obj = json_object_get(doc.obj);
    hp_manifest_doc_cleanup(&doc);
    return obj;
}

START_TEST(test_patch_strings_cannot_break_out)
{
    /* A name the API server would refuse, but which an audit reads. */
    static const char name[] = "a\"b\\c\nd: e\u2028#f\x7f";
    char yaml[512];
    snprintf(yaml, sizeof(yaml),
             "apiVersion: v1\nkind: Pod\nmetadata: {name: \"a\\\"b\\\\c\\nd: e\\u2028#f\\x7f\", "
             "namespace: \"n\\ts\"}\nspec:\n  containers: [{name: \"x\\ny\", image: x}]\n");
    char *out = patch_of(yaml, NULL, NULL);
    struct json_object *comp = load_yaml(out);
    struct json_object *patches = NULL;
    ck_assert(json_object_object_get_ex(comp, "patches", &patches));
    ck_assert_int_eq(json_object_array_length(patches), 1);
    struct json_object *entry = json_object_array_get_idx(patches, 0);
    struct json_object *target = NULL;
    struct json_object *v = NULL;
    ck_assert(json_object_object_get_ex(entry, "target", &target));
    ck_assert(json_object_object_get_ex(target, "name", &v));
    ck_assert_str_eq(json_object_get_string(v), name);
    ck_assert(json_object_object_get_ex(target, "namespace", &v));
    ck_assert_str_eq(json_object_get_string(v), "n\ts");
    ck_assert(json_object_object_get_ex(entry, "patch", &v));
    struct json_object *body = load_yaml(json_object_get_string(v));
    struct json_object *meta = NULL;
    ck_assert(json_object_object_get_ex(body, "metadata", &meta));
    ck_assert(json_object_object_get_ex(meta, "name", &v));
    ck_assert_str_eq(json_object_get_string(v), name);
    struct json_object *spec = NULL;
    struct json_object *ctrs = NULL;
    ck_assert(json_object_object_get_ex(body, "spec", &spec));
    ck_assert(json_object_object_get_ex(spec, "containers", &ctrs));
    ck_assert(json_object_object_get_ex(json_object_array_get_idx(ctrs, 0), "name", &v));
    ck_assert_str_eq(json_object_get_string(v), "x\ny");
    /* Comments keep to their line: no line of the output starts a key it should not. */
    ck_assert_msg(strstr(out, "\nd: e") == NULL, "a name broke out of its line:\n%s", out);
    json_object_put(body);
    json_object_put(comp);
    free(out);
}
END_TEST

START_TEST(test_patch_format_name)
{
    enum hp_audit_format f;
    ck_assert(hp_audit_format_lookup("patch", &f));
    ck_assert_int_eq(f, HP_AUDIT_PATCH);
}
END_TEST

static Suite *patch_suite(void)
{
    Suite *s = suite_create("patch");
    TCase *tc = tcase_create("patch");
    tcase_add_checked_fixture(tc, tu_scratch_setup, tu_scratch_teardown);
    tcase_add_test(tc, test_patch_every_check_has_rules_or_a_reason);
    tcase_add_loop_test(tc, test_patch_cases, 0, (int)(sizeof(cases) / sizeof(cases[0])));
    tcase_add_test(tc, test_patch_policy_minimum_ids);
    tcase_add_test(tc, test_patch_exempt_findings_are_listed);
    tcase_add_test(tc, test_patch_strings_cannot_break_out);
    tcase_add_test(tc, test_patch_format_name);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_in_tmpdir(patch_suite, tu_root, "hardpod-patch");
}
