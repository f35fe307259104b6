/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the library half of `hardpod certs`: the one DNS name check
 * (src/tls/names.c) for subjectAltNames and for Kubernetes Service and
 * namespace names, with its edge cases, and the webhook configuration
 * template (src/tls/webhook.c): loading, filling and reporting unknown
 * placeholders.
 */
#include "hardpod/tls.h"
#include "testutil.h"

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

#define L63                                                                                        \
    "abcdefghij"                                                                                   \
    "abcdefghij"                                                                                   \
    "abcdefghij"                                                                                   \
    "abcdefghij"                                                                                   \
    "abcdefghij"                                                                                   \
    "abcdefghij"                                                                                   \
    "abc"

static const struct {
    const char *name;
    enum hp_tls_dns_rule rule;
    const char *want; /* NULL: accepted; else the exact message */
} dns_cases[] = {
    /* subjectAltNames */
    {"hardpod.hardpod-system.svc", HP_TLS_DNS_SAN, NULL},
    {"localhost", HP_TLS_DNS_SAN, NULL},
    {"Web.Example.COM", HP_TLS_DNS_SAN, NULL}, /* DNS is case-insensitive */
    {"xn--bcher-kva.example", HP_TLS_DNS_SAN, NULL},
    {"1.example", HP_TLS_DNS_SAN, NULL}, /* RFC 1123 allows a leading digit */
    {"a-b.c-d", HP_TLS_DNS_SAN, NULL},
    {"*.example.com", HP_TLS_DNS_SAN, NULL},
    {"*.local", HP_TLS_DNS_SAN, NULL},
    {L63 ".example", HP_TLS_DNS_SAN, NULL},
    {"", HP_TLS_DNS_SAN, "it is empty"},
    {"*", HP_TLS_DNS_SAN, "a wildcard needs a name after it, as in \"*.example.com\""},
    {"*.", HP_TLS_DNS_SAN, "label 2 is empty (a dot at the start or end, or two in a row)"},
    {"*.*.example", HP_TLS_DNS_SAN,
     "'*' is allowed only as the whole first label, as in \"*.example.com\""},
    {"a*.example", HP_TLS_DNS_SAN,
     "'*' is allowed only as the whole first label, as in \"*.example.com\""},
    {"www.*.example", HP_TLS_DNS_SAN,
     "'*' is allowed only as the whole first label, as in \"*.example.com\""},
    {"_acme.example", HP_TLS_DNS_SAN, "'_' is not allowed: use letters, digits and '-'"},
    {"a_b", HP_TLS_DNS_SAN, "'_' is not allowed: use letters, digits and '-'"},
    {"bad name", HP_TLS_DNS_SAN, "' ' is not allowed: use letters, digits and '-'"},
    {"caf\xc3\xa9.example", HP_TLS_DNS_SAN,
     "byte 0xc3 is not allowed: use letters, digits and '-'"},
    {"example.com.", HP_TLS_DNS_SAN,
     "label 3 is empty (a dot at the start or end, or two in a row)"},
    {".example", HP_TLS_DNS_SAN, "label 1 is empty (a dot at the start or end, or two in a row)"},
    {"a..b", HP_TLS_DNS_SAN, "label 2 is empty (a dot at the start or end, or two in a row)"},
    {"-a.example", HP_TLS_DNS_SAN, "label 1 (\"-a\") starts or ends with '-'"},
    {"a.b-", HP_TLS_DNS_SAN, "label 2 (\"b-\") starts or ends with '-'"},
    {L63 "x.example", HP_TLS_DNS_SAN, "label 1 is 64 characters long, the limit is 63"},
    /* Kubernetes Service and namespace names */
    {"hardpod", HP_TLS_DNS_LABEL, NULL},
    {"hardpod-system", HP_TLS_DNS_LABEL, NULL},
    {"0abc9", HP_TLS_DNS_LABEL, NULL},
    {L63, HP_TLS_DNS_LABEL, NULL},
    {"", HP_TLS_DNS_LABEL, "it is empty"},
    {L63 "x", HP_TLS_DNS_LABEL, "it is 64 characters long, the limit is 63"},
    {"Bad", HP_TLS_DNS_LABEL, "'B': uppercase letters are not allowed (use 'b')"},
    {"a_b", HP_TLS_DNS_LABEL, "'_' is not allowed: use lowercase letters, digits and '-'"},
    {"a.b", HP_TLS_DNS_LABEL, "'.' is not allowed: use lowercase letters, digits and '-'"},
    {"*", HP_TLS_DNS_LABEL, "'*' is not allowed: use lowercase letters, digits and '-'"},
    {"a\tb", HP_TLS_DNS_LABEL, "byte 0x09 is not allowed: use lowercase letters, digits and '-'"},
    {"-a", HP_TLS_DNS_LABEL, "it must start and end with a lowercase letter or digit"},
    {"a-", HP_TLS_DNS_LABEL, "it must start and end with a lowercase letter or digit"},
};

START_TEST(test_tls_dns_check)
{
    struct hp_error err = {0};
    const char *name = dns_cases[_i].name;
    enum hp_err rc = hp_tls_dns_check(name, dns_cases[_i].rule, &err);
    const char *want = dns_cases[_i].want;
    if (want == NULL) {
        ck_assert_msg(rc == HP_OK, "\"%s\": expected it accepted, got %d: %s", name, rc, err.msg);
        return;
    }
    ck_assert_msg(rc == HP_ERR_INVALID, "\"%s\": expected HP_ERR_INVALID, got %d", name, rc);
    ck_assert_msg(strcmp(err.msg, want) == 0, "\"%s\": expected message\n  \"%s\"\ngot\n  \"%s\"",
                  name, want, err.msg);
}
END_TEST

START_TEST(test_tls_dns_check_lengths)
{
    char name[300];
    struct hp_error err = {0};

    /* 4 labels of 63 and the dots: 255 bytes, over the 253 of a name. */
    snprintf(name, sizeof(name), "%s.%s.%s.%s", L63, L63, L63, L63);
    ck_assert_int_eq(hp_tls_dns_check(name, HP_TLS_DNS_SAN, &err), HP_ERR_INVALID);
    ck_assert_str_eq(err.msg, "it is 255 characters long, the limit is 253");
    /* 253 exactly is a name. */
    snprintf(name, sizeof(name), "%s.%s.%s.%.61s", L63, L63, L63, L63);
    ck_assert_uint_eq(strlen(name), 253);
    ck_assert_int_eq(hp_tls_dns_check(name, HP_TLS_DNS_SAN, &err), HP_OK);
    ck_assert_int_eq(hp_tls_dns_check(NULL, HP_TLS_DNS_SAN, &err), HP_ERR_INVALID);
}
END_TEST

/* hp_tls_generate applies the same rule to its DNS names. */
START_TEST(test_tls_dns_generate_agrees)
{
    static const char *const good[] = {"*.hardpod-system.svc", "Web.Example"};
    static const char *const bad[] = {"a_b.example", "a*.example", "*"};
    struct hp_error err = {0};
    struct hp_tls_gen g = {.key_type = HP_TLS_KEY_ECDSA_P256, .dns = good, .n_dns = 2};
    enum hp_err rc = hp_tls_generate(tu_dir, &g, NULL, NULL, &err);
    ck_assert_msg(rc == HP_OK, "expected HP_OK, got %d: %s", rc, err.msg);
    for (size_t i = 0; i < N_ELEMS(bad); i++) {
        g.dns = &bad[i];
        g.n_dns = 1;
        ck_assert_int_eq(hp_tls_generate(tu_dir, &g, NULL, NULL, &err), HP_ERR_INVALID);
        ck_assert_msg(strstr(err.msg, "is not a DNS name: ") != NULL, "%s: got \"%s\"", bad[i],
                      err.msg);
    }
}
END_TEST

struct seen {
    char text[512];
};

static void record(void *ctx, size_t line, const char *text, size_t len)
{
    struct seen *s = ctx;
    size_t used = strlen(s->text);
    snprintf(s->text + used, sizeof(s->text) - used, "%zu:%.*s;", line, (int)len, text);
}

START_TEST(test_tls_template_render)
{
    struct hp_error err = {0};
    struct seen seen = {{0}};
    const struct hp_tls_template_vars v = {.ca_bundle = "QUJD", .service = "svc", .ns = "ns"};
    const char *tmpl = "a: ${CA_BUNDLE}\nb: ${SERVICE}.${NAMESPACE}.svc\n"
                       "c: ${OTHER} $ {X} ${lower} ${\nd: ${CA_BUNDLE}${A_1}";
    char *out = NULL;
    size_t len = 0;

    enum hp_err rc = hp_tls_template_render("t.in", tmpl, &v, record, &seen, &out, &len, &err);
    ck_assert_msg(rc == HP_OK, "expected HP_OK, got %d: %s", rc, err.msg);
    const char *want = "a: QUJD\nb: svc.ns.svc\nc: ${OTHER} $ {X} ${lower} ${\nd: QUJD${A_1}";
    ck_assert_msg(strcmp(out, want) == 0, "expected\n%s\ngot\n%s", want, out);
    ck_assert_uint_eq(len, strlen(want));
    ck_assert_str_eq(seen.text, "3:${OTHER};4:${A_1};");
    free(out);

    /* No callback: unknown placeholders pass silently. */
    ck_assert_int_eq(hp_tls_template_render("t.in", "${X}", &v, NULL, NULL, &out, &len, &err),
                     HP_OK);
    ck_assert_str_eq(out, "${X}");
    free(out);
}
END_TEST

START_TEST(test_tls_template_load)
{
    struct hp_error err = {0};
    char path[PATH_MAX + 16];
    char want[PATH_MAX + 256];
    char *text = NULL;

    snprintf(path, sizeof(path), "%s/ok.in", tu_dir);
    tu_write_text(path, "caBundle: \"${CA_BUNDLE}\"\n");
    ck_assert_int_eq(hp_tls_template_load(path, &text, &err), HP_OK);
    ck_assert_str_eq(text, "caBundle: \"${CA_BUNDLE}\"\n");
    free(text);

    snprintf(path, sizeof(path), "%s/none.in", tu_dir);
    tu_write_text(path, "name: ${SERVICE}\n");
    ck_assert_int_eq(hp_tls_template_load(path, &text, &err), HP_ERR_INVALID);
    ck_assert_ptr_null(text);
    snprintf(want, sizeof(want),
             "%s: the template has no ${CA_BUNDLE} placeholder (write caBundle: "
             "\"${CA_BUNDLE}\" in its clientConfig)",
             path);
    ck_assert_str_eq(err.msg, want);

    snprintf(path, sizeof(path), "%s/nul.in", tu_dir);
    tu_write_file(path, "${CA_BUNDLE}\0", 13);
    ck_assert_int_eq(hp_tls_template_load(path, &text, &err), HP_ERR_INVALID);
    snprintf(want, sizeof(want), "%s: not a text file (it contains NUL bytes)", path);
    ck_assert_str_eq(err.msg, want);

    snprintf(path, sizeof(path), "%s/missing.in", tu_dir);
    ck_assert_int_eq(hp_tls_template_load(path, &text, &err), HP_ERR_IO);
    snprintf(want, sizeof(want), "%s: No such file or directory", path);
    ck_assert_str_eq(err.msg, want);
}
END_TEST

static Suite *tls_certs_suite(void)
{
    Suite *s = suite_create("tls_certs");
    TCase *tc = tcase_create("dns");
    tcase_add_loop_test(tc, test_tls_dns_check, 0, (int)N_ELEMS(dns_cases));
    tcase_add_test(tc, test_tls_dns_check_lengths);
    suite_add_tcase(s, tc);
    tc = tcase_create("files");
    tcase_set_timeout(tc, 30);
    tcase_add_checked_fixture(tc, tu_scratch_setup, tu_scratch_teardown);
    tcase_add_test(tc, test_tls_dns_generate_agrees);
    tcase_add_test(tc, test_tls_template_render);
    tcase_add_test(tc, test_tls_template_load);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_in_tmpdir(tls_certs_suite, tu_root, "hp-tls-certs");
}
