/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the webhook configuration generator (src/webhook): the
 * profile list, the YAML writer's quoting (read back by the manifest
 * loader, which types scalars as kubectl does), the expansion's counts,
 * names and paths, and every template it refuses. tests/deploy/test_labels.py
 * proves the selectors' exclusivity over every label combination.
 */
#include "hardpod/manifest.h"
#include "hardpod/webhook.h"
#include "testutil.h"
#include "webhook/internal.h"

#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEMPLATE                                                                                   \
    "apiVersion: admissionregistration.k8s.io/v1\n"                                                \
    "kind: ValidatingWebhookConfiguration\n"                                                       \
    "metadata: {name: hardpod}\n"                                                                  \
    "webhooks:\n"                                                                                  \
    "  - name: pods.example.dev\n"                                                                 \
    "    failurePolicy: Fail\n"                                                                    \
    "    timeoutSeconds: 5\n"                                                                      \
    "    clientConfig:\n"                                                                          \
    "      caBundle: QUJD\n"                                                                       \
    "      service: {name: hp, namespace: hp-system, path: /validate, port: 443}\n"                \
    "    namespaceSelector:\n"                                                                     \
    "      matchExpressions:\n"                                                                    \
    "        - {key: kubernetes.io/metadata.name, operator: NotIn, values: [kube-system]}\n"       \
    "    rules: [{apiGroups: [\"\"], apiVersions: [v1], operations: [CREATE], resources: "         \
    "[pods]}]\n"

static struct json_object *load(const char *text)
{
    struct hp_manifest_budget budget;
    struct hp_manifest_doc doc;
    memset(&doc, 0, sizeof(doc));
    hp_manifest_budget_init(&budget, SIZE_MAX, NULL);
    ck_assert_msg(hp_manifest_load_one(text, strlen(text), NULL, &budget, &doc) == HP_OK, "%s\n%s",
                  doc.error, text);
    struct json_object *o = json_object_get(doc.obj);
    hp_manifest_doc_cleanup(&doc);
    return o;
}

static char *generate(const char *tmpl, uint32_t profiles, enum hp_err want, const char *msg)
{
    struct hp_webhook_gen g = {.source = "t.yaml", .profiles = profiles};
    struct hp_error err;
    char *out = NULL;
    size_t len = 0;
    hp_error_clear(&err);
    enum hp_err rc = hp_webhook_config_generate(tmpl, strlen(tmpl), &g, &out, &len, &err);
    ck_assert_msg(rc == want, "rc %d, expected %d: %s", (int)rc, (int)want, err.msg);
    if (msg != NULL) {
        ck_assert_msg(strstr(err.msg, msg) != NULL, "message \"%s\", expected it to contain \"%s\"",
                      err.msg, msg);
    }
    return out;
}

START_TEST(test_webhook_profiles_parse)
{
    static const struct {
        const char *list;
        enum hp_err rc;
        uint32_t set;
        const char *msg;
    } rows[] = {
        {"hardened", HP_OK, 1u << HP_PROFILE_HARDENED, NULL},
        {"none,hardened", HP_OK, (1u << HP_PROFILE_NONE) | (1u << HP_PROFILE_HARDENED), NULL},
        {"hardened,psa-restricted,psa-baseline,none", HP_OK, HP_WEBHOOK_ALL_PROFILES, NULL},
        {"restricted", HP_ERR_INVALID, 0, "\"restricted\" is not a profile"},
        {"hardened,hardened", HP_ERR_INVALID, 0, "listed twice"},
        {"hardened,", HP_ERR_INVALID, 0, "a comma ends"},
        {",hardened", HP_ERR_INVALID, 0, "separated by commas"},
        {"hardened,,none", HP_ERR_INVALID, 0, "separated by commas"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        uint32_t set = 99;
        struct hp_error err;
        hp_error_clear(&err);
        enum hp_err rc = hp_webhook_profiles_parse(rows[i].list, &set, &err);
        ck_assert_msg(rc == rows[i].rc, "%s: rc %d", rows[i].list, (int)rc);
        if (rc == HP_OK) {
            ck_assert_msg(set == rows[i].set, "%s: set %x, expected %x", rows[i].list, set,
                          rows[i].set);
        } else {
            ck_assert_msg(strstr(err.msg, rows[i].msg) != NULL, "%s: %s", rows[i].list, err.msg);
        }
    }
}
END_TEST

/* Every string the writer emits reads back as the same string (not a bool,
 * number or null), and every other scalar keeps its type. */
START_TEST(test_webhook_yaml_round_trip)
{
    static const char *const strings[] = {
        "v1",
        "None",
        "yes",
        "No",
        "on",
        "OFF",
        "true",
        "null",
        "~",
        "",
        "1.0",
        "0x10",
        "-1",
        "+1",
        ".5",
        "a: b",
        "#x",
        "a #b",
        "[x]",
        "{x}",
        "LS0t+/==",
        "a\"b",
        "a\\b",
        "line\nx",
        "\t",
        "*",
        "&a",
        "!tag",
        "%x",
        "@x",
        "`x`",
        "it's",
        "é",
        "a,b",
        " a",
        "a ",
        "y",
        "n",
        "Y",
        "-",
        "- x",
        "?",
        "? x",
        "|",
        ">",
        "kube-system",
        "hardpod.dev/enforce",
        "/validate/enforce/psa-baseline",
    };
    struct json_object *o = json_object_new_object();
    struct json_object *list = json_object_new_array();
    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
        char key[16];
        snprintf(key, sizeof(key), "k%zu", i);
        json_object_object_add(o, key, json_object_new_string(strings[i]));
        json_object_array_add(list, json_object_new_string(strings[i]));
    }
    json_object_object_add(o, "list", list);
    json_object_object_add(o, "int", json_object_new_int(443));
    json_object_object_add(o, "bool", json_object_new_boolean(1));
    json_object_object_add(o, "empty", json_object_new_object());
    json_object_object_add(o, "none", json_object_new_array());
    struct json_object *items = json_object_new_array();
    struct json_object *item = json_object_new_object();
    json_object_object_add(item, "name", json_object_new_string("a"));
    json_object_object_add(item, "yes", json_object_new_string("no"));
    json_object_array_add(items, item);
    json_object_object_add(o, "items", items);
    struct hp_buf b;
    hp_buf_init(&b, 0);
    wh_yaml_write(&b, o);
    struct json_object *back = load(hp_buf_str(&b));
    ck_assert_msg(json_object_equal(o, back), "written:\n%s\nread back: %s", hp_buf_str(&b),
                  json_object_to_json_string(back));
    json_object_put(back);
    json_object_put(o);
    hp_buf_cleanup(&b);
}
END_TEST

START_TEST(test_webhook_expansion)
{
    static const struct {
        uint32_t profiles;
        size_t webhooks;
    } rows[] = {
        {HP_WEBHOOK_ALL_PROFILES, 28},
        {1u << HP_PROFILE_HARDENED, 7},
        {(1u << HP_PROFILE_HARDENED) | (1u << HP_PROFILE_PSA_BASELINE), 12},
        {0, 1},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char *out = generate(TEMPLATE, rows[i].profiles, HP_OK, NULL);
        ck_assert_msg(strncmp(out, "# Generated by hardpod from t.yaml", 34) == 0, "%s", out);
        struct json_object *doc = load(out);
        struct json_object *hooks = NULL;
        ck_assert(json_object_object_get_ex(doc, "webhooks", &hooks));
        ck_assert_msg(json_object_array_length(hooks) == rows[i].webhooks,
                      "%zu webhooks, expected %zu", json_object_array_length(hooks),
                      rows[i].webhooks);
        /* The unlabelled one keeps the template's name, path and settings. */
        struct json_object *first = json_object_array_get_idx(hooks, 0);
        struct json_object *v = NULL;
        ck_assert(json_object_object_get_ex(first, "name", &v));
        ck_assert_str_eq(json_object_get_string(v), "pods.example.dev");
        ck_assert(json_object_object_get_ex(first, "timeoutSeconds", &v));
        ck_assert(json_object_is_type(v, json_type_int) && json_object_get_int(v) == 5);
        json_object_put(doc);
        free(out);
    }
    char *out = generate(TEMPLATE, HP_WEBHOOK_ALL_PROFILES, HP_OK, NULL);
    static const char *const want[] = {
        "name: enforce-psa-baseline.warn-hardened.pods.example.dev",
        "path: /validate/enforce/psa-baseline/warn/hardened",
        "name: warn-none.pods.example.dev",
        "path: /validate/warn/none",
        "name: invalid-enforce.pods.example.dev",
        "path: /validate/invalid/enforce",
        "name: invalid-warn.enforce-set.pods.example.dev",
        "values: [\"hardened\", \"psa-restricted\", \"psa-baseline\", \"none\"]",
        "caBundle: QUJD",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        ck_assert_msg(strstr(out, want[i]) != NULL, "missing \"%s\" in:\n%.3000s", want[i], out);
    }
    free(out);
}
END_TEST

START_TEST(test_webhook_refused_templates)
{
    static const struct {
        const char *from, *to, *msg;
    } rows[] = {
        {"path: /validate", "path: /other",
         "webhooks[0] (pods.example.dev): clientConfig.service.path "
         "must be /validate"},
        {"kind: ValidatingWebhookConfiguration", "kind: MutatingWebhookConfiguration",
         "expected an admissionregistration.k8s.io/v1 ValidatingWebhookConfiguration"},
        {"  - name: pods.example.dev\n", "  - description: x\n", "webhooks[0].name: expected"},
        {"key: kubernetes.io/metadata.name", "key: hardpod.dev/enforce",
         "matchExpressions[0]: the hardpod.dev labels are written by the generator"},
        {"    namespaceSelector:\n",
         "    namespaceSelector:\n      matchLabels: {hardpod.dev/warn: x}\n",
         "matchLabels: hardpod.dev/warn is written by the generator"},
        {"    namespaceSelector:\n", "    namespaceSelector:\n      matchLabels: [x]\n",
         "matchLabels: expected a mapping"},
        {"webhooks:\n", "webhooks: []\nx:\n", "webhooks: expected a list"},
        {"kind:", "kind: [", "t.yaml: "},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char text[4096];
        const char *at = strstr(TEMPLATE, rows[i].from);
        ck_assert_ptr_nonnull(at);
        snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - TEMPLATE), TEMPLATE, rows[i].to,
                 at + strlen(rows[i].from));
        char *out = generate(text, HP_WEBHOOK_ALL_PROFILES, HP_ERR_INVALID, rows[i].msg);
        ck_assert_ptr_null(out);
    }
    /* A name the prefixes would take past 253 bytes. */
    char name[260];
    memset(name, 'a', 230);
    snprintf(name + 230, sizeof(name) - 230, ".example.dev");
    char text[4096];
    const char *at = strstr(TEMPLATE, "pods.example.dev");
    snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - TEMPLATE), TEMPLATE, name,
             at + strlen("pods.example.dev"));
    free(generate(text, HP_WEBHOOK_ALL_PROFILES, HP_ERR_INVALID, "would be longer than 253 bytes"));
}
END_TEST

static Suite *webhook_suite(void)
{
    Suite *s = suite_create("webhook");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_webhook_profiles_parse);
    tcase_add_test(tc, test_webhook_yaml_round_trip);
    tcase_add_test(tc, test_webhook_expansion);
    tcase_add_test(tc, test_webhook_refused_templates);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(webhook_suite());
}
