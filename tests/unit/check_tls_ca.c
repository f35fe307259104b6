/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for src/tls/ca.c: loading the CA file that client certificates
 * must chain to (serve --client-ca). One CA and bundles of several, expiry
 * inside a bundle, and every refusal with its exact message: unreadable,
 * empty, not PEM, a key, a leaf where a CA belongs, a CA that may not sign
 * certificates, and no certificate valid now.
 */
#include "hardpod/tls.h"
#include "testutil.h"

#include <check.h>
#include <errno.h>
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
#define CA_SUBJECT "CN=hardpod-ca,O=hardpod" /* what hp_tls_generate names its CA */

static const char *const k_dns[] = {"hardpod.hardpod-system.svc"};
static const enum hp_tls_key_type k_types[] = {HP_TLS_KEY_ECDSA_P256, HP_TLS_KEY_RSA_2048};

/* Everything lives under tu_root, made and removed by main() in the parent:
 * a failed assertion in fork mode ends the child without its teardown. */
static char g_long[2][PATH_MAX]; /* per key type: a 10-year CA and its leaf, read-only */
static char g_short[PATH_MAX];   /* a CA that expires in a day, read-only */
static int64_t g_now;            /* when the shared CAs were made */

static void gen_into(const char *dir, enum hp_tls_key_type type, int days, int ca_days)
{
    struct hp_error err = {0};
    struct hp_tls_gen g = {
        .key_type = type,
        .days = days,
        .ca_days = ca_days,
        .common_name = k_dns[0],
        .dns = k_dns,
        .n_dns = N_ELEMS(k_dns),
    };
    enum hp_err rc = hp_tls_generate(dir, &g, NULL, NULL, &err);
    ck_assert_msg(rc == HP_OK, "generate into %s: expected HP_OK, got %d: %s", dir, rc, err.msg);
}

static void shared_setup(void)
{
    g_now = (int64_t)time(NULL);
    for (size_t i = 0; i < N_ELEMS(k_types); i++) {
        tu_make_tmp(tu_root, g_long[i]);
        gen_into(g_long[i], k_types[i], 365, 3650);
    }
    tu_make_tmp(tu_root, g_short);
    gen_into(g_short, HP_TLS_KEY_ECDSA_P256, 1, 1);
}

static void shared_teardown(void)
{
    for (size_t i = 0; i < N_ELEMS(k_types); i++) {
        tu_rm_tree(g_long[i]);
    }
    tu_rm_tree(g_short);
}

/* notAfter of the first certificate in path, read with OpenSSL directly. */
static int64_t not_after_of(const char *path)
{
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "open %s: %s", path, strerror(errno));
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    ck_assert_msg(x != NULL, "%s holds no certificate", path);
    struct tm tm;
    ck_assert_int_eq(ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm), 1);
    X509_free(x);
    return (int64_t)timegm(&tm);
}

static void utc(int64_t t, char *buf, size_t size)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void load_ok(const char *path, int64_t now, struct hp_tls_ca *ca)
{
    struct hp_error err = {0};
    enum hp_err rc = hp_tls_ca_load(path, now, ca, &err);
    ck_assert_msg(rc == HP_OK, "load %s: expected HP_OK, got %d: %s", path, rc, err.msg);
}

/* ---- loading ------------------------------------------------------------- */

START_TEST(test_tls_ca_load_one)
{
    struct hp_tls_ca ca;
    size_t n;
    const char *path = tu_path(g_long[_i], "ca.crt");

    load_ok(path, g_now, &ca);
    char *pem = tu_read_file(path, &n);
    ck_assert_msg(ca.len == n && memcmp(ca.pem, pem, n) == 0 && ca.pem[n] == '\0',
                  "pem: expected the file's %zu bytes, NUL-terminated, got %zu", n, ca.len);
    ck_assert_msg(ca.n_certs == 1 && ca.n_valid == 1,
                  "expected 1 certificate, 1 valid; got %zu, %zu", ca.n_certs, ca.n_valid);
    ck_assert_msg(strcmp(ca.subject, CA_SUBJECT) == 0, "subject: expected \"%s\", got \"%s\"",
                  CA_SUBJECT, ca.subject);
    ck_assert_msg(ca.not_after == not_after_of(path), "not_after: expected %lld, got %lld",
                  (long long)not_after_of(path), (long long)ca.not_after);
    free(pem);
    hp_tls_ca_cleanup(&ca);
    ck_assert_msg(ca.pem == NULL && ca.len == 0 && ca.n_certs == 0, "cleanup must empty it");
    hp_tls_ca_cleanup(&ca);
    hp_tls_ca_cleanup(NULL);
}
END_TEST

/* A bundle during a CA rotation: both CAs count, the earliest expiry is
 * reported, and once one has expired the other still carries the file. */
START_TEST(test_tls_ca_load_bundle)
{
    struct hp_tls_ca ca;
    const char *bundle = tu_path(tu_dir, "bundle.crt");
    int64_t short_end = not_after_of(tu_path(g_short, "ca.crt"));
    int64_t long_end = not_after_of(tu_path(g_long[1], "ca.crt"));

    tu_concat_files(bundle, tu_path(g_short, "ca.crt"), tu_path(g_long[1], "ca.crt"));
    load_ok(bundle, g_now, &ca);
    ck_assert_msg(ca.n_certs == 2 && ca.n_valid == 2,
                  "expected 2 certificates, 2 valid; got %zu, %zu", ca.n_certs, ca.n_valid);
    ck_assert_msg(ca.not_after == short_end, "not_after: expected the earlier %lld, got %lld",
                  (long long)short_end, (long long)ca.not_after);
    hp_tls_ca_cleanup(&ca);

    load_ok(bundle, short_end + 1, &ca);
    ck_assert_msg(ca.n_certs == 2 && ca.n_valid == 1,
                  "expected 2 certificates, 1 valid; got %zu, %zu", ca.n_certs, ca.n_valid);
    ck_assert_msg(ca.not_after == long_end, "not_after: expected the valid CA's %lld, got %lld",
                  (long long)long_end, (long long)ca.not_after);
    ck_assert_msg(strcmp(ca.subject, CA_SUBJECT) == 0, "subject of the first: got \"%s\"",
                  ca.subject);
    hp_tls_ca_cleanup(&ca);
}
END_TEST

/* ---- refusals ------------------------------------------------------------ */

/* A self-signed CA:TRUE certificate whose keyUsage is digitalSignature only. */
static void write_ca_without_cert_sign(const char *path)
{
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509 *x = X509_new();
    ck_assert_msg(key != NULL && x != NULL, "cannot make a key or certificate");
    ck_assert_int_eq(X509_set_version(x, X509_VERSION_3), 1);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)"signs-nothing",
                               -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), DAY);
    X509_set_pubkey(x, key);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    X509_EXTENSION *bc = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints, "critical,CA:TRUE");
    X509_EXTENSION *ku =
        X509V3_EXT_conf_nid(NULL, &ctx, NID_key_usage, "critical,digitalSignature");
    ck_assert_msg(bc != NULL && ku != NULL, "cannot make the extensions");
    ck_assert_int_eq(X509_add_ext(x, bc, -1), 1);
    ck_assert_int_eq(X509_add_ext(x, ku, -1), 1);
    X509_EXTENSION_free(bc);
    X509_EXTENSION_free(ku);
    ck_assert_msg(X509_sign(x, key, EVP_sha256()) > 0, "cannot sign");
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(PEM_write_X509(f, x), 1);
    fclose(f);
    X509_free(x);
    EVP_PKEY_free(key);
}

/* Fills the scratch directory with the refusal fixtures. */
static void write_bad_files(void)
{
    char ca[PATH_MAX];
    char leaf[PATH_MAX];
    snprintf(ca, sizeof(ca), "%s", tu_path(g_long[0], "ca.crt"));
    snprintf(leaf, sizeof(leaf), "%s", tu_path(g_long[0], "tls.crt"));
    tu_write_text(tu_path(tu_dir, "empty.crt"), "");
    tu_write_text(tu_path(tu_dir, "garbage.crt"), "this is not a certificate\n");
    tu_write_text(
        tu_path(tu_dir, "broken.crt"),
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n");
    tu_concat_files(tu_path(tu_dir, "tls.key"), tu_path(g_long[0], "tls.key"), "/dev/null");
    tu_concat_files(tu_path(tu_dir, "ca-and-key.pem"), ca, tu_path(g_long[0], "ca.key"));
    tu_concat_files(tu_path(tu_dir, "leaf.crt"), leaf, "/dev/null");
    tu_concat_files(tu_path(tu_dir, "ca-and-leaf.crt"), ca, leaf);
    write_ca_without_cert_sign(tu_path(tu_dir, "no-cert-sign.crt"));
    ck_assert_int_eq(mkdir(tu_path(tu_dir, "dir"), 0700), 0);
}

static const struct {
    const char *file;
    enum hp_err rc;
    const char *msg; /* "{D}" is the scratch directory; a trailing "(" makes it a prefix */
} err_cases[] = {
    {"missing.crt", HP_ERR_IO, "{D}/missing.crt: No such file or directory"},
    {"dir", HP_ERR_IO, "{D}/dir: cannot read: Is a directory"},
    {"empty.crt", HP_ERR_INVALID, "{D}/empty.crt: empty file, expected PEM CA certificates"},
    {"garbage.crt", HP_ERR_INVALID, "{D}/garbage.crt: no PEM certificate found ("},
    {"broken.crt", HP_ERR_INVALID,
     "{D}/broken.crt: PEM block 1 (CERTIFICATE) is not a valid certificate; a CA file holds "
     "certificates only"},
    {"tls.key", HP_ERR_INVALID,
     "{D}/tls.key: PEM block 1 (PRIVATE KEY) is not a valid certificate; a CA file holds "
     "certificates only"},
    {"ca-and-key.pem", HP_ERR_INVALID,
     "{D}/ca-and-key.pem: PEM block 2 (PRIVATE KEY) is not a valid certificate; a CA file holds "
     "certificates only"},
    {"leaf.crt", HP_ERR_INVALID,
     "{D}/leaf.crt: certificate 1 (CN=hardpod.hardpod-system.svc) is not a CA (basicConstraints "
     "CA:TRUE is missing): give the CA that issues the client certificates, not a client "
     "certificate"},
    {"ca-and-leaf.crt", HP_ERR_INVALID,
     "{D}/ca-and-leaf.crt: certificate 2 (CN=hardpod.hardpod-system.svc) is not a CA "
     "(basicConstraints CA:TRUE is missing): give the CA that issues the client certificates, "
     "not a client certificate"},
    {"no-cert-sign.crt", HP_ERR_INVALID,
     "{D}/no-cert-sign.crt: certificate 1 (CN=signs-nothing) is a CA whose keyUsage lacks "
     "keyCertSign, so no certificate it signed can be trusted"},
};

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

static void assert_refused(const char *name, const char *path, int64_t now, enum hp_err want_rc,
                           const char *want_tmpl)
{
    struct hp_tls_ca ca;
    struct hp_error err = {0};
    char want[1024];

    memset(&ca, 0x5a, sizeof(ca));
    enum hp_err rc = hp_tls_ca_load(path, now, &ca, &err);
    expand(want, sizeof(want), want_tmpl);
    size_t n = strlen(want);
    bool prefix = n > 0 && want[n - 1] == '(';
    ck_assert_msg(rc == want_rc, "%s: expected code %d, got %d (%s)", name, want_rc, rc, err.msg);
    bool match = prefix ? strncmp(err.msg, want, n) == 0 : strcmp(err.msg, want) == 0;
    ck_assert_msg(match, "%s: expected message%s\n  \"%s\"\ngot\n  \"%s\"", name,
                  prefix ? " starting with" : "", want, err.msg);
    ck_assert_msg(ca.pem == NULL && ca.len == 0 && ca.n_certs == 0 && ca.n_valid == 0,
                  "%s: on error the output must hold nothing", name);
    ck_assert_int_eq(hp_tls_ca_load(path, now, &ca, NULL), want_rc);
}

START_TEST(test_tls_ca_load_errors)
{
    write_bad_files();
    assert_refused(err_cases[_i].file, tu_path(tu_dir, err_cases[_i].file), g_now, err_cases[_i].rc,
                   err_cases[_i].msg);
}
END_TEST

/* A file none of whose certificates is valid now names the first one and
 * when it was or will be valid. */
START_TEST(test_tls_ca_load_validity)
{
    char when[40];
    char want[512];
    const char *ca = tu_path(g_short, "ca.crt");
    int64_t end = not_after_of(ca);

    utc(end, when, sizeof(when));
    snprintf(want, sizeof(want),
             "%s: no certificate in the file is valid now: certificate 1 (" CA_SUBJECT
             ") expired at %s",
             ca, when);
    assert_refused("expired", ca, end + 1, HP_ERR_INVALID, want);

    struct hp_tls_ca ok;
    load_ok(ca, end, &ok); /* validity is inclusive */
    hp_tls_ca_cleanup(&ok);

    const char *bundle = tu_path(tu_dir, "both-expired.crt");
    tu_concat_files(bundle, ca, ca);
    snprintf(want, sizeof(want),
             "%s: no certificate in the file is valid now: certificate 1 (" CA_SUBJECT
             ") expired at %s",
             bundle, when);
    assert_refused("two expired", bundle, end + DAY, HP_ERR_INVALID, want);

    snprintf(want, sizeof(want),
             "%s: no certificate in the file is valid now: certificate 1 (" CA_SUBJECT
             ") is not valid before ",
             ca);
    size_t n = strlen(want);
    struct hp_tls_ca out;
    struct hp_error err = {0};
    ck_assert_int_eq(hp_tls_ca_load(ca, 0, &out, &err), HP_ERR_INVALID);
    ck_assert_msg(strncmp(err.msg, want, n) == 0, "not yet valid: expected \"%s...\", got \"%s\"",
                  want, err.msg);
}
END_TEST

static Suite *tls_ca_suite(void)
{
    Suite *s = suite_create("tls_ca");
    TCase *tc = tcase_create("ca");
    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, shared_setup, shared_teardown);
    tcase_add_checked_fixture(tc, tu_scratch_setup, tu_scratch_teardown);
    tcase_add_loop_test(tc, test_tls_ca_load_one, 0, (int)N_ELEMS(k_types));
    tcase_add_test(tc, test_tls_ca_load_bundle);
    tcase_add_loop_test(tc, test_tls_ca_load_errors, 0, (int)N_ELEMS(err_cases));
    tcase_add_test(tc, test_tls_ca_load_validity);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_in_tmpdir(tls_ca_suite, tu_root, "hp-tls-ca");
}
