/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for src/tls/inspect.c: describing certificates made by
 * hp_tls_generate (leaf and CA, ECDSA and RSA: names, SANs, CA flags, key
 * types, extended key usage, validity and days left), PEM chains and DER,
 * hostile names, every read error with its message, and caBundle encoding.
 */
#include "hardpod/tls.h"
#include "testutil.h"

#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define DAY 86400
#define SKEW 300 /* hp_tls_generate backdates notBefore by this much */

static const char *const k_dns[] = {
    "hardpod",
    "hardpod.hardpod-system",
    "hardpod.hardpod-system.svc",
    "hardpod.hardpod-system.svc.cluster.local",
    "webhook.example.com",
};
static const char *const k_ips[] = {"127.0.0.1", "fd00::10"};
#define CN "hardpod.hardpod-system.svc"

static const enum hp_tls_key_type k_types[] = {HP_TLS_KEY_ECDSA_P256, HP_TLS_KEY_RSA_2048};
static const char *const k_type_names[] = {"ECDSA P-256", "RSA 2048"};

/* ---- temporary directories ---------------------------------------------- */

/* Everything lives under tu_root, made and removed by main() in the parent:
 * a failed assertion in fork mode ends the child without its teardown. */
static char g_shared[2][PATH_MAX]; /* per key type: generated once, read-only */

static void gen_into(const char *dir, enum hp_tls_key_type type)
{
    struct hp_error err = {0};
    struct hp_tls_gen g = {
        .key_type = type,
        .days = 365,
        .ca_days = 3650,
        .common_name = CN,
        .dns = k_dns,
        .n_dns = N_ELEMS(k_dns),
        .ips = k_ips,
        .n_ips = N_ELEMS(k_ips),
    };
    enum hp_err rc = hp_tls_generate(dir, &g, NULL, NULL, &err);
    ck_assert_msg(rc == HP_OK, "generate into %s: expected HP_OK, got %d: %s", dir, rc, err.msg);
}

static void shared_setup(void)
{
    for (size_t i = 0; i < N_ELEMS(k_types); i++) {
        tu_make_tmp(tu_root, g_shared[i]);
        gen_into(g_shared[i], k_types[i]);
    }
}

static void shared_teardown(void)
{
    for (size_t i = 0; i < N_ELEMS(k_types); i++) {
        tu_rm_tree(g_shared[i]);
    }
}

static void inspect_ok(const char *path, struct hp_tls_info *info)
{
    struct hp_error err = {0};
    enum hp_err rc = hp_tls_inspect(path, info, &err);
    ck_assert_msg(rc == HP_OK, "inspect %s: expected HP_OK, got %d: %s", path, rc, err.msg);
}

static void assert_list(const char *what, char **got, size_t n_got, const char *const *want,
                        size_t n_want)
{
    ck_assert_msg(n_got == n_want, "%s: expected %zu entries, got %zu", what, n_want, n_got);
    for (size_t i = 0; i < n_want; i++) {
        ck_assert_msg(strcmp(got[i], want[i]) == 0, "%s[%zu]: expected \"%s\", got \"%s\"", what, i,
                      want[i], got[i]);
    }
}

static void assert_str(const char *what, const char *want, const char *got)
{
    ck_assert_msg(strcmp(want, got) == 0, "%s: expected \"%s\", got \"%s\"", what, want, got);
}

/* ---- certificates from hp_tls_generate ---------------------------------- */

START_TEST(test_tls_inspect_leaf)
{
    struct hp_tls_info info;
    struct hp_tls_pair pair;
    struct hp_error err = {0};
    const char *dir = g_shared[_i];

    inspect_ok(tu_path(dir, "tls.crt"), &info);
    assert_str("subject", "CN=" CN, info.subject);
    assert_str("issuer", "CN=hardpod-ca,O=hardpod", info.issuer);
    assert_list("dns", info.dns, info.n_dns, k_dns, N_ELEMS(k_dns));
    assert_list("ips", info.ips, info.n_ips, k_ips, N_ELEMS(k_ips));
    assert_str("key type", k_type_names[_i], info.key_type);
    ck_assert_msg(!info.is_ca, "the serving certificate must not be a CA");
    ck_assert_msg(info.path_len == -1, "path_len: expected -1, got %ld", info.path_len);
    ck_assert_msg(!info.self_signed, "the serving certificate is signed by the CA");
    ck_assert_msg(info.has_eku && info.server_auth, "expected serverAuth, has_eku=%d server=%d",
                  info.has_eku, info.server_auth);
    assert_str("eku", "TLS Web Server Authentication", info.eku);
    ck_assert_msg(info.n_certs == 1, "n_certs: expected 1, got %zu", info.n_certs);
    ck_assert_msg(info.not_after - info.not_before == 365 * DAY + SKEW,
                  "validity: expected %d s, got %lld", 365 * DAY + SKEW,
                  (long long)(info.not_after - info.not_before));
    int64_t now = (int64_t)time(NULL);
    ck_assert_msg(info.not_before <= now - SKEW && info.not_before > now - SKEW - 120,
                  "not_before %lld is not about now - %d (%lld)", (long long)info.not_before, SKEW,
                  (long long)now);

    /* The serial is printed exactly as hp_tls_pair_load (and so the server's
     * logs) prints it. */
    enum hp_err rc =
        hp_tls_pair_load(tu_path(dir, "tls.crt"), tu_path(dir, "tls.key"), now, &pair, &err);
    ck_assert_msg(rc == HP_OK, "load: %s", err.msg);
    assert_str("serial", pair.serial, info.serial);
    hp_tls_pair_cleanup(&pair);
    hp_tls_info_cleanup(&info);
    ck_assert_msg(info.dns == NULL && info.n_dns == 0 && info.ips == NULL && info.n_ips == 0,
                  "cleanup must clear the lists");
    hp_tls_info_cleanup(&info); /* a second cleanup is a no-op */
    hp_tls_info_cleanup(NULL);
}
END_TEST

START_TEST(test_tls_inspect_ca)
{
    struct hp_tls_info info;
    const char *dir = g_shared[_i];

    inspect_ok(tu_path(dir, "ca.crt"), &info);
    assert_str("subject", "CN=hardpod-ca,O=hardpod", info.subject);
    assert_str("issuer", info.subject, info.issuer);
    ck_assert_msg(info.is_ca, "ca.crt must be a CA");
    ck_assert_msg(info.path_len == 0, "path_len: expected 0, got %ld", info.path_len);
    ck_assert_msg(info.self_signed, "the CA is self-signed");
    ck_assert_msg(info.n_dns == 0 && info.n_ips == 0, "the CA has no SANs, got %zu DNS, %zu IP",
                  info.n_dns, info.n_ips);
    assert_str("key type", k_type_names[_i], info.key_type);
    ck_assert_msg(!info.has_eku, "the CA has no extendedKeyUsage");
    ck_assert_msg(info.server_auth, "no extendedKeyUsage means any purpose");
    assert_str("eku", "", info.eku);
    ck_assert_msg(info.not_after - info.not_before == 3650 * DAY + SKEW,
                  "validity: expected %d s, got %lld", 3650 * DAY + SKEW,
                  (long long)(info.not_after - info.not_before));
    hp_tls_info_cleanup(&info);
}
END_TEST

/* A PEM chain is described by its first certificate; the others are counted. */
START_TEST(test_tls_inspect_chain)
{
    struct hp_tls_info info;
    const char *chain = tu_path(tu_dir, "chain.crt");

    tu_concat_files(chain, tu_path(g_shared[0], "tls.crt"), tu_path(g_shared[0], "ca.crt"));
    inspect_ok(chain, &info);
    ck_assert_msg(info.n_certs == 2, "n_certs: expected 2, got %zu", info.n_certs);
    assert_str("subject", "CN=" CN, info.subject);
    ck_assert_msg(!info.is_ca, "the first certificate is the leaf");
    hp_tls_info_cleanup(&info);
}
END_TEST

START_TEST(test_tls_inspect_der)
{
    struct hp_tls_info pem;
    struct hp_tls_info der;
    unsigned char *bytes = NULL;

    FILE *f = fopen(tu_path(g_shared[1], "tls.crt"), "r");
    ck_assert_ptr_nonnull(f);
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    ck_assert_ptr_nonnull(x);
    int n = i2d_X509(x, &bytes);
    ck_assert_msg(n > 0, "i2d_X509 failed");
    tu_write_file(tu_path(tu_dir, "tls.der"), bytes, (size_t)n);
    OPENSSL_free(bytes);
    X509_free(x);

    inspect_ok(tu_path(g_shared[1], "tls.crt"), &pem);
    inspect_ok(tu_path(tu_dir, "tls.der"), &der);
    assert_str("serial", pem.serial, der.serial);
    assert_str("subject", pem.subject, der.subject);
    assert_list("dns", der.dns, der.n_dns, k_dns, N_ELEMS(k_dns));
    assert_str("key type", "RSA 2048", der.key_type);
    ck_assert_msg(der.n_certs == 1, "n_certs: expected 1, got %zu", der.n_certs);
    hp_tls_info_cleanup(&pem);
    hp_tls_info_cleanup(&der);
}
END_TEST

/* ---- days left ----------------------------------------------------------- */

static const struct {
    int64_t before_end; /* now = not_after - before_end */
    int64_t want;
} days_cases[] = {
    {365 * (int64_t)DAY, 365},
    {365 * (int64_t)DAY - 1, 364},
    {30 * (int64_t)DAY + 1, 30},
    {30 * (int64_t)DAY, 30},
    {30 * (int64_t)DAY - 1, 29},
    {1, 0},
    {0, 0},
    {-1, -1}, /* expired a second ago */
    {-(int64_t)DAY, -1},
    {-(int64_t)DAY - 1, -2},
};

START_TEST(test_tls_inspect_days_left)
{
    struct hp_tls_info info;
    memset(&info, 0, sizeof(info));
    info.not_after = 1900000000;
    int64_t now = info.not_after - days_cases[_i].before_end;
    int64_t got = hp_tls_info_days_left(&info, now);
    ck_assert_msg(
        got == days_cases[_i].want, "%lld s before notAfter: expected %lld days, got %lld",
        (long long)days_cases[_i].before_end, (long long)days_cases[_i].want, (long long)got);
}
END_TEST

/* A 365-day certificate from hp_tls_generate has 364 or 365 days left. */
START_TEST(test_tls_inspect_days_left_generated)
{
    struct hp_tls_info info;
    inspect_ok(tu_path(g_shared[_i], "tls.crt"), &info);
    int64_t got = hp_tls_info_days_left(&info, (int64_t)time(NULL));
    ck_assert_msg(got == 364 || got == 365, "expected 364 or 365 days left, got %lld",
                  (long long)got);
    hp_tls_info_cleanup(&info);
    inspect_ok(tu_path(g_shared[_i], "ca.crt"), &info);
    got = hp_tls_info_days_left(&info, (int64_t)time(NULL));
    ck_assert_msg(got == 3649 || got == 3650, "CA: expected 3649 or 3650 days left, got %lld",
                  (long long)got);
    hp_tls_info_cleanup(&info);
}
END_TEST

/* ---- names a certificate author controls ----------------------------------- */

static void add_ext(X509 *x, int nid, void *value)
{
    ck_assert_msg(X509_add1_ext_i2d(x, nid, value, 0, X509V3_ADD_DEFAULT) == 1,
                  "cannot add extension %d", nid);
}

/* A self-signed certificate with a DNS name holding an escape sequence, an
 * IP SAN of the wrong length and an EKU without serverAuth. */
static void write_hostile_cert(const char *path)
{
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509 *x = X509_new();
    ck_assert_msg(key != NULL && x != NULL, "cannot make a key or certificate");
    ck_assert_int_eq(X509_set_version(x, X509_VERSION_3), 1);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 0x0abc);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)"evil", -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), DAY);
    X509_set_pubkey(x, key);

    GENERAL_NAMES *sans = sk_GENERAL_NAME_new_null();
    GENERAL_NAME *dns = GENERAL_NAME_new();
    ASN1_IA5STRING *text = ASN1_IA5STRING_new();
    ASN1_STRING_set(text, "a\x1b[31m\\b", -1);
    GENERAL_NAME_set0_value(dns, GEN_DNS, text);
    sk_GENERAL_NAME_push(sans, dns);
    GENERAL_NAME *ip = GENERAL_NAME_new();
    ASN1_OCTET_STRING *bytes = ASN1_OCTET_STRING_new();
    ASN1_OCTET_STRING_set(bytes, (const unsigned char *)"\x01\x02\x03\x04\x05", 5);
    GENERAL_NAME_set0_value(ip, GEN_IPADD, bytes);
    sk_GENERAL_NAME_push(sans, ip);
    add_ext(x, NID_subject_alt_name, sans);
    GENERAL_NAMES_free(sans);

    EXTENDED_KEY_USAGE *eku = sk_ASN1_OBJECT_new_null();
    sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(NID_client_auth));
    sk_ASN1_OBJECT_push(eku, OBJ_txt2obj("1.2.3.4", 1));
    add_ext(x, NID_ext_key_usage, eku);
    sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);

    ck_assert_msg(X509_sign(x, key, EVP_sha256()) > 0, "cannot sign");
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(PEM_write_X509(f, x), 1);
    fclose(f);
    X509_free(x);
    EVP_PKEY_free(key);
}

START_TEST(test_tls_inspect_hostile_names)
{
    struct hp_tls_info info;
    static const char *const want_dns[] = {"a\\x1b[31m\\x5cb"};
    static const char *const want_ips[] = {"(invalid: 5 bytes)"};

    write_hostile_cert(tu_path(tu_dir, "evil.crt"));
    inspect_ok(tu_path(tu_dir, "evil.crt"), &info);
    assert_list("dns", info.dns, info.n_dns, want_dns, N_ELEMS(want_dns));
    assert_list("ips", info.ips, info.n_ips, want_ips, N_ELEMS(want_ips));
    ck_assert_msg(info.has_eku && !info.server_auth, "clientAuth only: has_eku=%d server=%d",
                  info.has_eku, info.server_auth);
    assert_str("eku", "TLS Web Client Authentication, 1.2.3.4", info.eku);
    assert_str("serial", "ABC", info.serial);
    ck_assert_msg(info.self_signed && !info.is_ca, "self-signed, not a CA: self=%d ca=%d",
                  info.self_signed, info.is_ca);
    hp_tls_info_cleanup(&info);
}
END_TEST

/* ---- errors -------------------------------------------------------------- */

/* Replaces "{D}" with the scratch directory. */
static void expand(char *dst, size_t size, const char *tmpl)
{
    const char *mark = strstr(tmpl, "{D}");
    if (mark == NULL) {
        snprintf(dst, size, "%s", tmpl);
        return;
    }
    int n = snprintf(dst, size, "%.*s%s%s", (int)(mark - tmpl), tmpl, tu_dir, mark + 3);
    ck_assert_msg(n > 0 && (size_t)n < size, "message too long: %s", tmpl);
}

/* want ending in "(" (an OpenSSL reason follows) is a prefix; otherwise the
 * message must match exactly. */
static void assert_err(const char *name, enum hp_err rc, const struct hp_error *err,
                       enum hp_err want_rc, const char *want_tmpl)
{
    char want[1024];
    expand(want, sizeof(want), want_tmpl);
    size_t n = strlen(want);
    bool prefix = n > 0 && want[n - 1] == '(';
    ck_assert_msg(rc == want_rc, "%s: expected code %d, got %d (%s)", name, want_rc, rc, err->msg);
    bool match = prefix ? strncmp(err->msg, want, n) == 0 : strcmp(err->msg, want) == 0;
    ck_assert_msg(match, "%s: expected message%s\n  \"%s\"\ngot\n  \"%s\"", name,
                  prefix ? " starting with" : "", want, err->msg);
}

/* Fills the scratch directory with the error fixtures. */
static void write_bad_files(void)
{
    static const unsigned char bad_der[] = {0x30, 0x82, 0x01, 0x00, 0x02, 0x01};
    tu_write_text(tu_path(tu_dir, "empty.crt"), "");
    tu_write_text(tu_path(tu_dir, "garbage.crt"), "this is not a certificate\n");
    tu_write_file(tu_path(tu_dir, "bad.der"), bad_der, sizeof(bad_der));
    tu_write_text(
        tu_path(tu_dir, "broken.crt"),
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n");
    tu_concat_files(tu_path(tu_dir, "tls.key"), tu_path(g_shared[0], "tls.key"), "/dev/null");
    tu_concat_files(tu_path(tu_dir, "ca-and-key.pem"), tu_path(g_shared[0], "ca.crt"),
                    tu_path(g_shared[0], "ca.key"));
    ck_assert_int_eq(mkdir(tu_path(tu_dir, "dir"), 0700), 0);
}

static const struct {
    const char *file;
    enum hp_err rc;
    const char *msg;
} inspect_err_cases[] = {
    {"missing.crt", HP_ERR_IO, "{D}/missing.crt: No such file or directory"},
    {"dir", HP_ERR_IO, "{D}/dir: cannot read: Is a directory"},
    {"empty.crt", HP_ERR_INVALID, "{D}/empty.crt: empty file, expected a certificate"},
    {"garbage.crt", HP_ERR_INVALID,
     "{D}/garbage.crt: not a certificate (neither PEM nor DER): expected \"-----BEGIN "
     "CERTIFICATE-----\""},
    {"bad.der", HP_ERR_INVALID, "{D}/bad.der: invalid DER certificate ("},
    {"broken.crt", HP_ERR_INVALID, "{D}/broken.crt: invalid PEM certificate ("},
    {"tls.key", HP_ERR_INVALID,
     "{D}/tls.key: no PEM certificate found: the file holds a private key ("},
};

START_TEST(test_tls_inspect_errors)
{
    struct hp_tls_info info;
    struct hp_error err = {0};

    write_bad_files();
    const char *path = tu_path(tu_dir, inspect_err_cases[_i].file);
    memset(&info, 0x5a, sizeof(info));
    enum hp_err rc = hp_tls_inspect(path, &info, &err);
    assert_err(inspect_err_cases[_i].file, rc, &err, inspect_err_cases[_i].rc,
               inspect_err_cases[_i].msg);
    ck_assert_msg(info.dns == NULL && info.n_dns == 0 && info.ips == NULL && info.n_certs == 0,
                  "%s: on error the info must hold nothing", inspect_err_cases[_i].file);
    hp_tls_info_cleanup(&info);
    ck_assert_int_eq(hp_tls_inspect(path, &info, NULL), inspect_err_cases[_i].rc);
}
END_TEST

/* ---- caBundle ------------------------------------------------------------ */

START_TEST(test_tls_bundle_load)
{
    struct hp_error err = {0};
    char *b64 = NULL;
    size_t len = 0;
    size_t n_pem;
    const char *ca = tu_path(g_shared[_i], "ca.crt");

    enum hp_err rc = hp_tls_bundle_load(ca, &b64, &len, &err);
    ck_assert_msg(rc == HP_OK, "bundle %s: %s", ca, err.msg);
    ck_assert_msg(len == strlen(b64), "len %zu, strlen %zu", len, strlen(b64));
    ck_assert_msg(strpbrk(b64, "\r\n ") == NULL, "the bundle must be one line: %s", b64);
    char *pem = tu_read_file(ca, &n_pem);
    ck_assert_msg(len == (n_pem + 2) / 3 * 4, "expected %zu base64 characters, got %zu",
                  (n_pem + 2) / 3 * 4, len);
    unsigned char *raw = malloc(len);
    ck_assert_ptr_nonnull(raw);
    int n = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)len);
    /* EVP_DecodeBlock counts the padding as zero bytes. */
    ck_assert_msg(n >= 0 && (size_t)n >= n_pem && memcmp(raw, pem, n_pem) == 0,
                  "the bundle does not decode to %s", ca);
    free(raw);
    free(pem);
    free(b64);
}
END_TEST

static const struct {
    const char *file;
    enum hp_err rc;
    const char *msg;
} bundle_err_cases[] = {
    {"missing.crt", HP_ERR_IO, "{D}/missing.crt: No such file or directory"},
    {"empty.crt", HP_ERR_INVALID, "{D}/empty.crt: no PEM certificate found ("},
    {"garbage.crt", HP_ERR_INVALID, "{D}/garbage.crt: no PEM certificate found ("},
    {"broken.crt", HP_ERR_INVALID,
     "{D}/broken.crt: PEM block 1 (CERTIFICATE) is not a valid certificate; a caBundle holds "
     "certificates only"},
    {"tls.key", HP_ERR_INVALID,
     "{D}/tls.key: PEM block 1 (PRIVATE KEY) is not a valid certificate; a caBundle holds "
     "certificates only"},
    {"ca-and-key.pem", HP_ERR_INVALID,
     "{D}/ca-and-key.pem: PEM block 2 (PRIVATE KEY) is not a valid certificate; a caBundle holds "
     "certificates only"},
};

START_TEST(test_tls_bundle_errors)
{
    struct hp_error err = {0};
    char *b64 = (char *)"untouched";
    size_t len = 99;

    write_bad_files();
    enum hp_err rc =
        hp_tls_bundle_load(tu_path(tu_dir, bundle_err_cases[_i].file), &b64, &len, &err);
    assert_err(bundle_err_cases[_i].file, rc, &err, bundle_err_cases[_i].rc,
               bundle_err_cases[_i].msg);
    ck_assert_msg(b64 == NULL && len == 0, "%s: on error the output must be empty",
                  bundle_err_cases[_i].file);
}
END_TEST

static Suite *tls_inspect_suite(void)
{
    Suite *s = suite_create("tls_inspect");
    TCase *tc = tcase_create("generated");
    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, shared_setup, shared_teardown);
    tcase_add_checked_fixture(tc, tu_scratch_setup, tu_scratch_teardown);
    tcase_add_loop_test(tc, test_tls_inspect_leaf, 0, (int)N_ELEMS(k_types));
    tcase_add_loop_test(tc, test_tls_inspect_ca, 0, (int)N_ELEMS(k_types));
    tcase_add_test(tc, test_tls_inspect_chain);
    tcase_add_test(tc, test_tls_inspect_der);
    tcase_add_loop_test(tc, test_tls_inspect_days_left_generated, 0, (int)N_ELEMS(k_types));
    tcase_add_loop_test(tc, test_tls_inspect_errors, 0, (int)N_ELEMS(inspect_err_cases));
    tcase_add_loop_test(tc, test_tls_bundle_load, 0, (int)N_ELEMS(k_types));
    tcase_add_loop_test(tc, test_tls_bundle_errors, 0, (int)N_ELEMS(bundle_err_cases));
    suite_add_tcase(s, tc);

    tc = tcase_create("pure");
    tcase_add_checked_fixture(tc, tu_scratch_setup, tu_scratch_teardown);
    tcase_add_loop_test(tc, test_tls_inspect_days_left, 0, (int)N_ELEMS(days_cases));
    tcase_add_test(tc, test_tls_inspect_hostile_names);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_in_tmpdir(tls_inspect_suite, tu_root, "hp-tls-inspect");
}
