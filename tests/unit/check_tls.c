/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for src/tls: generating a CA and serving certificates (files,
 * modes, extensions, SANs, CA reuse), loading pairs and chains, and every
 * class of load and generate error with its exact message. The openssl CLI,
 * when installed, checks the output independently of our own parser.
 */
#include "hardpod/tls.h"
#include "testutil.h"

#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define DAY 86400
#define SKEW 300

static const char *const k_dns[] = {"hardpod.hardpod.svc", "hardpod.hardpod.svc.cluster.local"};
static const char *const k_ips[] = {"127.0.0.1", "fd00::10"};
#define CN "hardpod.hardpod.svc"
#define SANS_TEXT                                                                                  \
    "DNS:hardpod.hardpod.svc,DNS:hardpod.hardpod.svc.cluster.local,IP:127.0.0.1,IP:fd00::10"
#define SANS_CLI                                                                                   \
    "DNS:hardpod.hardpod.svc, DNS:hardpod.hardpod.svc.cluster.local, IP Address:127.0.0.1, IP "    \
    "Address:FD00:0:0:0:0:0:0:10"

static const enum hp_tls_key_type k_types[] = {HP_TLS_KEY_ECDSA_P256, HP_TLS_KEY_RSA_2048};
static const char *const k_type_names[] = {"ECDSA P-256", "RSA 2048"};

/* ---- temporary directories ---------------------------------------------- */

/* Everything lives under tu_root, made and removed by main() in the parent:
 * a failed assertion in fork mode ends the child without its teardown. */
static char g_shared[PATH_MAX]; /* per test case, read-only material */

/* out = "dir/name", for paths that must outlive tu_path()'s rotation. */
static void join(char *out, const char *dir, const char *name)
{
    int n = snprintf(out, PATH_MAX, "%s/%s", dir, name);
    ck_assert_msg(n > 0 && n < PATH_MAX, "path too long: %s/%s", dir, name);
}

static void make_dir(const char *path)
{
    ck_assert_msg(mkdir(path, 0700) == 0, "mkdir %s: %s", path, strerror(errno));
}

static bool same_file(const char *a, const char *b)
{
    size_t na;
    size_t nb;
    char *da = tu_read_file(a, &na);
    char *db = tu_read_file(b, &nb);
    bool same = na == nb && memcmp(da, db, na) == 0;
    free(da);
    free(db);
    return same;
}

static void copy_file(const char *from, const char *to)
{
    size_t n;
    char *data = tu_read_file(from, &n);
    tu_write_file(to, data, n);
    free(data);
}

static void utc(int64_t t, char *buf, size_t size)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- generating --------------------------------------------------------- */

static struct hp_tls_gen gen_opts(enum hp_tls_key_type type, int days, int ca_days)
{
    struct hp_tls_gen g = {
        .key_type = type,
        .days = days,
        .ca_days = ca_days,
        .common_name = CN,
        .dns = k_dns,
        .n_dns = N_ELEMS(k_dns),
        .ips = k_ips,
        .n_ips = N_ELEMS(k_ips),
    };
    return g;
}

/* Generates into dir (created when missing) and fails the test on error. */
static void gen(const char *dir, enum hp_tls_key_type type, int days, const char *ca_cert,
                const char *ca_key)
{
    struct hp_error err = {0};
    struct stat st;
    if (stat(dir, &st) != 0) {
        make_dir(dir);
    }
    struct hp_tls_gen g = gen_opts(type, days, 0);
    enum hp_err rc = hp_tls_generate(dir, &g, ca_cert, ca_key, &err);
    ck_assert_msg(rc == HP_OK, "generate into %s: expected HP_OK, got %d: %s", dir, rc, err.msg);
}

static void load_ok(const char *crt, const char *key, int64_t now, struct hp_tls_pair *p)
{
    struct hp_error err = {0};
    enum hp_err rc = hp_tls_pair_load(crt, key, now, p, &err);
    ck_assert_msg(rc == HP_OK, "load %s + %s: expected HP_OK, got %d: %s", crt, key, rc, err.msg);
}

static X509 *read_x509(const char *path)
{
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s: %s", path, strerror(errno));
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    ck_assert_msg(x != NULL, "%s: not a PEM certificate", path);
    return x;
}

static EVP_PKEY *read_key(const char *path)
{
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s: %s", path, strerror(errno));
    EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    ck_assert_msg(k != NULL, "%s: not a PEM private key", path);
    return k;
}

/* ---- the openssl CLI ---------------------------------------------------- */

static bool have_openssl(const char *test)
{
    static int have = -1;
    if (have < 0) {
        have = system("openssl version >/dev/null 2>&1") == 0;
    }
    if (!have) {
        fprintf(stderr, "%s: SKIP openssl CLI checks: openssl is not installed\n", test);
    }
    return have;
}

/* Runs a shell command, captures stdout and stderr into out and returns the
 * exit status. */
static int run(char *out, size_t size, const char *fmt, ...)
{
    char cmd[4 * PATH_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    strncat(cmd, " 2>&1", sizeof(cmd) - strlen(cmd) - 1);
    FILE *p = popen(cmd, "r");
    ck_assert_msg(p != NULL, "popen %s: %s", cmd, strerror(errno));
    size_t n = fread(out, 1, size - 1, p);
    out[n] = '\0';
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ---- error assertions --------------------------------------------------- */

/* Replaces "{D}" with the scratch directory and "{S}" with the shared one. */
static void expand(char *dst, size_t size, const char *tmpl)
{
    size_t used = 0;
    dst[0] = '\0';
    for (const char *p = tmpl; *p != '\0' && used + 1 < size;) {
        const char *sub = NULL;
        if (strncmp(p, "{D}", 3) == 0) {
            sub = tu_dir;
        } else if (strncmp(p, "{S}", 3) == 0) {
            sub = g_shared;
        }
        if (sub != NULL) {
            used += (size_t)snprintf(dst + used, size - used, "%s", sub);
            p += 3;
        } else {
            dst[used++] = *p++;
            dst[used] = '\0';
        }
    }
}

/* want ending in "(" (an OpenSSL reason follows) is a prefix; otherwise the
 * message must match exactly. reason, when set, must appear in the message. */
static void assert_err(const char *name, enum hp_err rc, const struct hp_error *err,
                       enum hp_err want_rc, const char *want_tmpl, const char *reason)
{
    char want[1024];
    expand(want, sizeof(want), want_tmpl);
    size_t n = strlen(want);
    bool prefix = n > 0 && want[n - 1] == '(';
    ck_assert_msg(rc == want_rc, "%s: expected code %d, got %d (%s)", name, want_rc, rc, err->msg);
    ck_assert_msg(err->code == want_rc, "%s: err->code %d, want %d", name, err->code, want_rc);
    bool match = prefix ? strncmp(err->msg, want, n) == 0 : strcmp(err->msg, want) == 0;
    ck_assert_msg(match, "%s: expected message%s\n  \"%s\"\ngot\n  \"%s\"", name,
                  prefix ? " starting with" : "", want, err->msg);
    ck_assert_msg(reason == NULL || strstr(err->msg, reason) != NULL,
                  "%s: expected \"%s\" in \"%s\"", name, reason, err->msg);
}

/* The names in dir, sorted and joined by spaces. */
static void list_dir(const char *dir, char *out, size_t size)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort);
    ck_assert_msg(n >= 0, "scandir %s: %s", dir, strerror(errno));
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (strcmp(names[i]->d_name, ".") != 0 && strcmp(names[i]->d_name, "..") != 0) {
            strncat(out, out[0] ? " " : "", size - strlen(out) - 1);
            strncat(out, names[i]->d_name, size - strlen(out) - 1);
        }
        free(names[i]);
    }
    free(names);
}

static void assert_mode(const char *path, mode_t want)
{
    struct stat st;
    ck_assert_msg(stat(path, &st) == 0, "%s: %s", path, strerror(errno));
    ck_assert_msg((st.st_mode & 07777) == want, "%s: expected mode %04o, got %04o", path, want,
                  st.st_mode & 07777);
}

/* ---- generate: files and contents --------------------------------------- */

static const struct {
    enum hp_tls_key_type type;
    mode_t umask;
    bool stale_key; /* a world-readable tls.key exists before */
} file_cases[] = {
    {HP_TLS_KEY_ECDSA_P256, 022, false},
    {HP_TLS_KEY_RSA_2048, 022, false},
    {HP_TLS_KEY_ECDSA_P256, 077, true},
    {HP_TLS_KEY_ECDSA_P256, 0, true},
};

START_TEST(test_tls_generate_files)
{
    char names[512];
    mode_t old_umask = umask(file_cases[_i].umask);
    if (file_cases[_i].stale_key) {
        tu_write_text(tu_path(tu_dir, "tls.key"), "old");
        chmod(tu_path(tu_dir, "tls.key"), 0644);
    }
    gen(tu_dir, file_cases[_i].type, 0, NULL, NULL);
    list_dir(tu_dir, names, sizeof(names));
    ck_assert_msg(strcmp(names, "ca.crt ca.key tls.crt tls.key") == 0,
                  "expected exactly the four files, got \"%s\"", names);
    assert_mode(tu_path(tu_dir, "ca.key"), 0600);
    assert_mode(tu_path(tu_dir, "tls.key"), 0600);
    assert_mode(tu_path(tu_dir, "ca.crt"), 0644);
    assert_mode(tu_path(tu_dir, "tls.crt"), 0644);
    char *key = tu_read_file(tu_path(tu_dir, "tls.key"), NULL);
    ck_assert_msg(strncmp(key, "-----BEGIN PRIVATE KEY-----\n", 28) == 0,
                  "tls.key is not PKCS#8 PEM: %.40s", key);
    free(key);
    umask(old_umask);
}
END_TEST

static const struct {
    enum hp_tls_key_type type;
    int days;
    int ca_days;
    int want_days;
    int want_ca_days;
} days_cases[] = {
    {HP_TLS_KEY_ECDSA_P256, 0, 0, 365, 3650}, {HP_TLS_KEY_RSA_2048, 0, 0, 365, 3650},
    {HP_TLS_KEY_ECDSA_P256, 30, 60, 30, 60},  {HP_TLS_KEY_ECDSA_P256, 3650, 3650, 3650, 3650},
    {HP_TLS_KEY_ECDSA_P256, 1, 1, 1, 1},
};

static void assert_serial(const char *what, const char *serial)
{
    size_t n = strlen(serial);
    ck_assert_msg(n >= 1 && n <= 32, "%s: serial \"%s\" is not 1-32 hex digits", what, serial);
    ck_assert_msg(serial[0] != '0', "%s: serial \"%s\" has a leading zero", what, serial);
    ck_assert_msg(strspn(serial, "0123456789ABCDEF") == n, "%s: serial \"%s\" is not uppercase hex",
                  what, serial);
}

START_TEST(test_tls_generate_load)
{
    struct hp_tls_pair leaf;
    struct hp_tls_pair ca;
    struct hp_error err = {0};
    struct hp_tls_gen g =
        gen_opts(days_cases[_i].type, days_cases[_i].days, days_cases[_i].ca_days);
    int64_t before = (int64_t)time(NULL);
    ck_assert_msg(hp_tls_generate(tu_dir, &g, NULL, NULL, &err) == HP_OK, "generate: %s", err.msg);
    int64_t after = (int64_t)time(NULL);
    load_ok(tu_path(tu_dir, "tls.crt"), tu_path(tu_dir, "tls.key"), after, &leaf);
    load_ok(tu_path(tu_dir, "ca.crt"), tu_path(tu_dir, "ca.key"), after, &ca);

    const char *want_type = k_type_names[days_cases[_i].type == HP_TLS_KEY_RSA_2048];
    ck_assert_msg(strcmp(leaf.key_type, want_type) == 0, "leaf key_type: expected %s, got %s",
                  want_type, leaf.key_type);
    ck_assert_msg(strcmp(ca.key_type, want_type) == 0, "CA key_type: expected %s, got %s",
                  want_type, ca.key_type);
    ck_assert_msg(strcmp(leaf.subject, "CN=" CN) == 0, "leaf subject: got \"%s\"", leaf.subject);
    ck_assert_msg(strcmp(ca.subject, "CN=hardpod-ca,O=hardpod") == 0, "CA subject: got \"%s\"",
                  ca.subject);
    ck_assert_msg(leaf.not_before >= before - SKEW && leaf.not_before <= after - SKEW,
                  "leaf not_before %lld not in [%lld, %lld]", (long long)leaf.not_before,
                  (long long)(before - SKEW), (long long)(after - SKEW));
    int64_t want = (int64_t)days_cases[_i].want_days * DAY + SKEW;
    ck_assert_msg(leaf.not_after - leaf.not_before == want,
                  "leaf validity: expected %lld s, got %lld", (long long)want,
                  (long long)(leaf.not_after - leaf.not_before));
    want = (int64_t)days_cases[_i].want_ca_days * DAY + SKEW;
    ck_assert_msg(ca.not_after - ca.not_before == want, "CA validity: expected %lld s, got %lld",
                  (long long)want, (long long)(ca.not_after - ca.not_before));
    assert_serial("leaf", leaf.serial);
    assert_serial("CA", ca.serial);
    ck_assert_msg(strcmp(leaf.serial, ca.serial) != 0, "leaf and CA share serial %s", ca.serial);
    ck_assert_msg(leaf.cert_len == strlen(leaf.cert_pem) && leaf.key_len == strlen(leaf.key_pem),
                  "lengths do not match the PEM text");
    hp_tls_pair_cleanup(&leaf);
    hp_tls_pair_cleanup(&ca);
    hp_tls_pair_cleanup(NULL);
}
END_TEST

/* "DNS:a,IP:b" for a certificate's subjectAltNames. */
static void san_text(X509 *x, char *out, size_t size)
{
    GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    ck_assert_msg(names != NULL, "no subjectAltName extension");
    out[0] = '\0';
    for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
        const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
        char one[INET6_ADDRSTRLEN + 8] = "?";
        if (gn->type == GEN_DNS) {
            snprintf(one, sizeof(one), "DNS:%s",
                     (const char *)ASN1_STRING_get0_data(gn->d.dNSName));
        } else if (gn->type == GEN_IPADD) {
            int len = ASN1_STRING_length(gn->d.iPAddress);
            char ip[INET6_ADDRSTRLEN];
            inet_ntop(len == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(gn->d.iPAddress), ip,
                      sizeof(ip));
            snprintf(one, sizeof(one), "IP:%s", ip);
        }
        strncat(out, i > 0 ? "," : "", size - strlen(out) - 1);
        strncat(out, one, size - strlen(out) - 1);
    }
    GENERAL_NAMES_free(names);
}

static void assert_critical(X509 *x, int nid, bool want, const char *what)
{
    int at = X509_get_ext_by_NID(x, nid, -1);
    ck_assert_msg(at >= 0, "%s: no %s extension", what, OBJ_nid2ln(nid));
    bool crit = X509_EXTENSION_get_critical(X509_get_ext(x, at)) != 0;
    ck_assert_msg(crit == want, "%s: %s critical: expected %d, got %d", what, OBJ_nid2ln(nid), want,
                  crit);
}

START_TEST(test_tls_generate_extensions)
{
    char sans[512];
    bool rsa = k_types[_i] == HP_TLS_KEY_RSA_2048;
    gen(tu_dir, k_types[_i], 0, NULL, NULL);
    X509 *ca = read_x509(tu_path(tu_dir, "ca.crt"));
    X509 *leaf = read_x509(tu_path(tu_dir, "tls.crt"));

    ck_assert_int_eq(X509_get_version(ca), X509_VERSION_3);
    ck_assert_int_eq(X509_get_version(leaf), X509_VERSION_3);
    int want_sig = rsa ? NID_sha256WithRSAEncryption : NID_ecdsa_with_SHA256;
    ck_assert_msg(X509_get_signature_nid(leaf) == want_sig, "leaf signature: expected %s, got %s",
                  OBJ_nid2ln(want_sig), OBJ_nid2ln(X509_get_signature_nid(leaf)));
    ck_assert_msg(X509_check_ca(ca) == 1, "ca.crt is not a CA");
    ck_assert_msg(X509_check_ca(leaf) == 0, "tls.crt claims to be a CA");
    assert_critical(ca, NID_basic_constraints, true, "CA");
    assert_critical(ca, NID_key_usage, true, "CA");
    assert_critical(leaf, NID_basic_constraints, true, "leaf");
    assert_critical(leaf, NID_key_usage, true, "leaf");
    assert_critical(leaf, NID_ext_key_usage, false, "leaf");
    assert_critical(leaf, NID_subject_alt_name, false, "leaf");
    ck_assert_uint_eq(X509_get_key_usage(ca), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
    uint32_t want_ku = KU_DIGITAL_SIGNATURE | (rsa ? KU_KEY_ENCIPHERMENT : 0);
    ck_assert_msg(X509_get_key_usage(leaf) == want_ku, "leaf keyUsage: expected %#x, got %#x",
                  want_ku, X509_get_key_usage(leaf));
    ck_assert_msg(X509_get_extended_key_usage(leaf) == XKU_SSL_SERVER,
                  "leaf extendedKeyUsage: expected serverAuth only, got %#x",
                  X509_get_extended_key_usage(leaf));
    const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(ca);
    const ASN1_OCTET_STRING *aki = X509_get0_authority_key_id(leaf);
    ck_assert_msg(ski != NULL && X509_get0_subject_key_id(leaf) != NULL, "missing SKI");
    ck_assert_msg(aki != NULL && ASN1_OCTET_STRING_cmp(aki, ski) == 0,
                  "leaf authorityKeyIdentifier does not match the CA's subjectKeyIdentifier");
    ck_assert_msg(X509_verify(leaf, X509_get0_pubkey(ca)) == 1, "leaf is not signed by the CA");
    ck_assert_msg(X509_verify(ca, X509_get0_pubkey(ca)) == 1, "CA is not self-signed");
    san_text(leaf, sans, sizeof(sans));
    ck_assert_msg(strcmp(sans, SANS_TEXT) == 0, "SANs: expected\n  %s\ngot\n  %s", SANS_TEXT, sans);
    X509_free(ca);
    X509_free(leaf);
}
END_TEST

START_TEST(test_tls_generate_openssl_cli)
{
    char out[4096];
    gen(tu_dir, k_types[_i], 0, NULL, NULL);
    if (!have_openssl("test_tls_generate_openssl_cli")) {
        return;
    }
    char ca[PATH_MAX];
    join(ca, tu_dir, "ca.crt");
    char crt[PATH_MAX];
    join(crt, tu_dir, "tls.crt");
    int rc = run(out, sizeof(out),
                 "openssl verify -purpose sslserver -verify_hostname " CN
                 " -verify_ip fd00::10 -CAfile '%s' '%s'",
                 ca, crt);
    ck_assert_msg(rc == 0, "openssl verify failed (%d): %s", rc, out);
    char want[PATH_MAX + 8];
    snprintf(want, sizeof(want), "%s: OK\n", crt);
    ck_assert_msg(strcmp(out, want) == 0, "openssl verify: expected \"%s\", got \"%s\"", want, out);

    rc = run(out, sizeof(out), "openssl x509 -in '%s' -noout -ext subjectAltName", crt);
    ck_assert_msg(rc == 0, "openssl x509 failed (%d): %s", rc, out);
    const char *want_sans = "X509v3 Subject Alternative Name: \n    " SANS_CLI "\n";
    ck_assert_msg(strcmp(out, want_sans) == 0, "SANs: expected\n%s\ngot\n%s", want_sans, out);

    rc = run(out, sizeof(out), "openssl x509 -in '%s' -noout -ext extendedKeyUsage,keyUsage", crt);
    ck_assert_msg(rc == 0 && strstr(out, "TLS Web Server Authentication") != NULL,
                  "extendedKeyUsage lacks serverAuth: %s", out);
    ck_assert_msg(strstr(out, "X509v3 Key Usage: critical\n    Digital Signature") != NULL,
                  "keyUsage: %s", out);
}
END_TEST

/* ---- generate: reusing a CA --------------------------------------------- */

START_TEST(test_tls_ca_reuse_dir)
{
    struct hp_tls_pair a;
    struct hp_tls_pair b;
    gen(tu_dir, HP_TLS_KEY_ECDSA_P256, 0, NULL, NULL);
    char keep[PATH_MAX];
    join(keep, tu_dir, "keep");
    make_dir(keep);
    copy_file(tu_path(tu_dir, "ca.crt"), tu_path(keep, "ca.crt"));
    copy_file(tu_path(tu_dir, "ca.key"), tu_path(keep, "ca.key"));
    copy_file(tu_path(tu_dir, "tls.crt"), tu_path(keep, "tls.crt"));
    load_ok(tu_path(tu_dir, "tls.crt"), tu_path(tu_dir, "tls.key"), time(NULL), &a);

    gen(tu_dir, HP_TLS_KEY_RSA_2048, 0, NULL, NULL);
    ck_assert_msg(same_file(tu_path(keep, "ca.crt"), tu_path(tu_dir, "ca.crt")), "ca.crt changed");
    ck_assert_msg(same_file(tu_path(keep, "ca.key"), tu_path(tu_dir, "ca.key")), "ca.key changed");
    ck_assert_msg(!same_file(tu_path(keep, "tls.crt"), tu_path(tu_dir, "tls.crt")),
                  "tls.crt did not change");
    load_ok(tu_path(tu_dir, "tls.crt"), tu_path(tu_dir, "tls.key"), time(NULL), &b);
    ck_assert_msg(strcmp(a.serial, b.serial) != 0, "the new leaf kept serial %s", a.serial);
    ck_assert_str_eq(b.key_type, "RSA 2048");
    X509 *ca = read_x509(tu_path(tu_dir, "ca.crt"));
    X509 *leaf = read_x509(tu_path(tu_dir, "tls.crt"));
    ck_assert_msg(X509_verify(leaf, X509_get0_pubkey(ca)) == 1, "new leaf not signed by the CA");
    X509_free(ca);
    X509_free(leaf);
    hp_tls_pair_cleanup(&a);
    hp_tls_pair_cleanup(&b);
}
END_TEST

START_TEST(test_tls_ca_explicit)
{
    char names[256];
    char a[PATH_MAX];
    char b[PATH_MAX];
    join(a, tu_dir, "a");
    join(b, tu_dir, "b");
    gen(a, HP_TLS_KEY_ECDSA_P256, 0, NULL, NULL);
    copy_file(tu_path(a, "ca.crt"), tu_path(tu_dir, "ca.crt.orig"));
    gen(b, HP_TLS_KEY_RSA_2048, 30, tu_path(a, "ca.crt"), tu_path(a, "ca.key"));
    list_dir(b, names, sizeof(names));
    ck_assert_msg(strcmp(names, "tls.crt tls.key") == 0, "b holds \"%s\"", names);
    ck_assert_msg(same_file(tu_path(a, "ca.crt"), tu_path(tu_dir, "ca.crt.orig")),
                  "a/ca.crt changed");
    X509 *ca = read_x509(tu_path(a, "ca.crt"));
    X509 *leaf = read_x509(tu_path(b, "tls.crt"));
    ck_assert_msg(X509_verify(leaf, X509_get0_pubkey(ca)) == 1, "b/tls.crt not signed by a's CA");
    ck_assert_msg(X509_check_issued(ca, leaf) == X509_V_OK, "b/tls.crt not issued by a's CA");
    X509_free(ca);
    X509_free(leaf);
}
END_TEST

/* A CA we did not make: Ed25519, from the openssl CLI. */
START_TEST(test_tls_ca_explicit_ed25519)
{
    char out[4096];
    struct hp_tls_pair p;
    if (!have_openssl("test_tls_ca_explicit_ed25519")) {
        return;
    }
    char crt[PATH_MAX];
    join(crt, tu_dir, "ed.crt");
    char key[PATH_MAX];
    join(key, tu_dir, "ed.key");
    int rc = run(out, sizeof(out),
                 "openssl req -x509 -newkey ed25519 -nodes -subj /CN=ed-ca -days 30 -keyout "
                 "'%s' -out '%s' -addext basicConstraints=critical,CA:TRUE -addext "
                 "keyUsage=critical,keyCertSign",
                 key, crt);
    ck_assert_msg(rc == 0, "openssl req failed: %s", out);
    load_ok(crt, key, time(NULL), &p);
    ck_assert_str_eq(p.key_type, "Ed25519");
    ck_assert_str_eq(p.subject, "CN=ed-ca");
    hp_tls_pair_cleanup(&p);

    gen(tu_path(tu_dir, "out"), HP_TLS_KEY_ECDSA_P256, 7, crt, key);
    rc = run(out, sizeof(out), "openssl verify -purpose sslserver -CAfile '%s' '%s'", crt,
             tu_path(tu_dir, "out/tls.crt"));
    ck_assert_msg(rc == 0, "openssl verify failed (%d): %s", rc, out);
}
END_TEST

/* Serials print as numbers: uppercase, without BN_bn2hex's leading zero. */
START_TEST(test_tls_load_serial_format)
{
    static const struct {
        const char *set;
        const char *want;
    } cases[] = {{"0", "0"}, {"255", "FF"}, {"256", "100"}, {"2587", "A1B"}};
    char out[4096];
    char crt[PATH_MAX];
    char key[PATH_MAX];
    struct hp_tls_pair p;
    if (!have_openssl("test_tls_load_serial_format")) {
        return;
    }
    join(crt, tu_dir, "s.crt");
    join(key, tu_dir, "s.key");
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        int rc = run(out, sizeof(out),
                     "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
                     "-subj /CN=s -days 1 -set_serial %s -keyout '%s' -out '%s'",
                     cases[i].set, key, crt);
        ck_assert_msg(rc == 0, "openssl req failed: %s", out);
        load_ok(crt, key, time(NULL), &p);
        ck_assert_msg(strcmp(p.serial, cases[i].want) == 0, "serial %s: expected %s, got %s",
                      cases[i].set, cases[i].want, p.serial);
        hp_tls_pair_cleanup(&p);
    }
}
END_TEST

START_TEST(test_tls_ca_outlived)
{
    struct hp_error err = {0};
    char want[1024];
    char ca_end[32];
    struct hp_tls_pair ca;
    struct hp_tls_gen g = gen_opts(HP_TLS_KEY_ECDSA_P256, 5, 10);
    ck_assert_msg(hp_tls_generate(tu_dir, &g, NULL, NULL, &err) == HP_OK, "%s", err.msg);
    copy_file(tu_path(tu_dir, "tls.crt"), tu_path(tu_dir, "tls.crt.orig"));
    load_ok(tu_path(tu_dir, "ca.crt"), tu_path(tu_dir, "ca.key"), time(NULL), &ca);
    utc(ca.not_after, ca_end, sizeof(ca_end));
    hp_tls_pair_cleanup(&ca);

    g.days = 20;
    enum hp_err rc = hp_tls_generate(tu_dir, &g, NULL, NULL, &err);
    snprintf(want, sizeof(want),
             "{D}/ca.crt: the CA expires at %s, before the serving certificate would (", ca_end);
    assert_err("leaf outlives CA", rc, &err, HP_ERR_INVALID, want, "lower days or renew the CA");
    ck_assert_msg(same_file(tu_path(tu_dir, "tls.crt"), tu_path(tu_dir, "tls.crt.orig")),
                  "a failed generate replaced tls.crt");
}
END_TEST

/* A destination that cannot be replaced fails with the path and leaves no
 * temporary files behind. */
START_TEST(test_tls_generate_commit_fails)
{
    struct hp_error err = {0};
    char names[256];
    make_dir(tu_path(tu_dir, "tls.crt"));
    struct hp_tls_gen g = gen_opts(HP_TLS_KEY_ECDSA_P256, 0, 0);
    enum hp_err rc = hp_tls_generate(tu_dir, &g, NULL, NULL, &err);
    ck_assert_msg(rc == HP_ERR_IO, "expected HP_ERR_IO, got %d: %s", rc, err.msg);
    ck_assert_msg(strstr(err.msg, tu_path(tu_dir, "tls.crt: Is a directory")) != NULL, "got \"%s\"",
                  err.msg);
    list_dir(tu_dir, names, sizeof(names));
    ck_assert_msg(strstr(names, ".tmp") == NULL, "temporary files left: \"%s\"", names);
}
END_TEST

START_TEST(test_tls_generate_default_cn)
{
    static const char *const ips[] = {"10.0.0.1"};
    static const struct {
        const char *cn;
        bool dns;
        const char *want;
    } cases[] = {
        {NULL, true, "CN=" CN},
        {"", true, "CN=" CN},
        {NULL, false, "CN=10.0.0.1"},
        {"webhook", false, "CN=webhook"},
    };
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        struct hp_error err = {0};
        struct hp_tls_pair p;
        struct hp_tls_gen g = gen_opts(HP_TLS_KEY_ECDSA_P256, 0, 0);
        g.common_name = cases[i].cn;
        if (!cases[i].dns) {
            g.n_dns = 0;
            g.ips = ips;
            g.n_ips = 1;
        }
        ck_assert_msg(hp_tls_generate(tu_dir, &g, NULL, NULL, &err) == HP_OK, "%s", err.msg);
        load_ok(tu_path(tu_dir, "tls.crt"), tu_path(tu_dir, "tls.key"), time(NULL), &p);
        ck_assert_msg(strcmp(p.subject, cases[i].want) == 0, "case %zu: expected %s, got %s", i,
                      cases[i].want, p.subject);
        hp_tls_pair_cleanup(&p);
    }
}
END_TEST

/* ---- shared material for the load and error tests ----------------------- */

static void write_pem(const char *path, EVP_PKEY *key, int how)
{
    BIO *bio = BIO_new_file(path, "w");
    ck_assert_msg(bio != NULL, "cannot create %s", path);
    int ok = 0;
    if (how == 0) {
        ok = PEM_write_bio_PrivateKey_traditional(bio, key, NULL, NULL, 0, NULL, NULL);
    } else if (how == 1) {
        ok = PEM_write_bio_PKCS8PrivateKey(bio, key, EVP_aes_256_cbc(), "secret", 6, NULL, NULL);
    } else {
        ok = PEM_write_bio_Parameters(bio, key) &&
             PEM_write_bio_PrivateKey_traditional(bio, key, NULL, NULL, 0, NULL, NULL);
    }
    BIO_free(bio);
    ck_assert_msg(ok, "cannot write %s", path);
}

/* from followed by padding lines up to exactly size bytes. */
static void write_padded(const char *from, const char *to, size_t size)
{
    size_t n;
    char *head = tu_read_file(from, &n);
    char *data = malloc(size);
    ck_assert_ptr_nonnull(data);
    memset(data, 'x', size);
    memcpy(data, head, n);
    for (size_t i = n + 63; i < size; i += 64) {
        data[i] = '\n';
    }
    tu_write_file(to, data, size);
    free(data);
    free(head);
}

#define CORRUPT_CERT "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n"
#define CORRUPT_KEY "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"

static void shared_setup(void)
{
    tu_make_tmp(tu_root, g_shared);
    const char *s = g_shared;
    gen(tu_path(s, "a"), HP_TLS_KEY_ECDSA_P256, 0, NULL, NULL);
    gen(tu_path(s, "b"), HP_TLS_KEY_ECDSA_P256, 0, NULL, NULL);
    gen(tu_path(s, "c"), HP_TLS_KEY_RSA_2048, 0, NULL, NULL);
    tu_write_text(tu_path(s, "garbage.pem"), "hello, world\n");
    tu_write_text(tu_path(s, "empty.pem"), "");
    tu_write_text(tu_path(s, "corrupt.crt"), CORRUPT_CERT);
    tu_write_text(tu_path(s, "corrupt.key"), CORRUPT_KEY);
    tu_concat_files(tu_path(s, "badchain.crt"), tu_path(s, "a/tls.crt"), tu_path(s, "corrupt.crt"));
    tu_concat_files(tu_path(s, "chain.crt"), tu_path(s, "a/tls.crt"), tu_path(s, "a/ca.crt"));
    write_padded(tu_path(s, "a/tls.crt"), tu_path(s, "max.crt"), (size_t)1024 * 1024);
    write_padded(tu_path(s, "a/tls.crt"), tu_path(s, "big.crt"), (size_t)1024 * 1024 + 1);
    write_padded(tu_path(s, "a/tls.key"), tu_path(s, "big.key"), (size_t)1024 * 1024 + 1);
    EVP_PKEY *ec = read_key(tu_path(s, "a/tls.key"));
    EVP_PKEY *rsa = read_key(tu_path(s, "c/tls.key"));
    write_pem(tu_path(s, "sec1.key"), ec, 0);
    write_pem(tu_path(s, "enc.key"), ec, 1);
    write_pem(tu_path(s, "ecparams.key"), ec, 2);
    write_pem(tu_path(s, "pkcs1.key"), rsa, 0);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(rsa);
    make_dir(tu_path(s, "onlyca"));
    copy_file(tu_path(s, "a/ca.crt"), tu_path(s, "onlyca/ca.crt"));
}

static void shared_teardown(void)
{
    tu_rm_tree(g_shared);
}

/* ---- loading ------------------------------------------------------------ */

static const struct {
    const char *cert;
    const char *key;
    const char *want_type;
    const char *key_head;
} format_cases[] = {
    {"a/tls.crt", "a/tls.key", "ECDSA P-256", "-----BEGIN PRIVATE KEY-----"},
    {"a/tls.crt", "sec1.key", "ECDSA P-256", "-----BEGIN EC PRIVATE KEY-----"},
    {"a/tls.crt", "ecparams.key", "ECDSA P-256", "-----BEGIN EC PARAMETERS-----"},
    {"c/tls.crt", "c/tls.key", "RSA 2048", "-----BEGIN PRIVATE KEY-----"},
    {"c/tls.crt", "pkcs1.key", "RSA 2048", "-----BEGIN RSA PRIVATE KEY-----"},
    {"max.crt", "a/tls.key", "ECDSA P-256", "-----BEGIN PRIVATE KEY-----"},
};

START_TEST(test_tls_load_formats)
{
    struct hp_tls_pair p;
    char key[PATH_MAX];
    join(key, g_shared, format_cases[_i].key);
    load_ok(tu_path(g_shared, format_cases[_i].cert), key, time(NULL), &p);
    ck_assert_msg(strcmp(p.key_type, format_cases[_i].want_type) == 0, "%s: expected %s, got %s",
                  key, format_cases[_i].want_type, p.key_type);
    ck_assert_msg(
        strncmp(p.key_pem, format_cases[_i].key_head, strlen(format_cases[_i].key_head)) == 0,
        "%s: key_pem starts \"%.40s\"", key, p.key_pem);
    ck_assert_msg(strcmp(p.subject, "CN=" CN) == 0, "%s: subject %s", key, p.subject);
    hp_tls_pair_cleanup(&p);
}
END_TEST

START_TEST(test_tls_load_chain)
{
    struct hp_tls_pair p;
    struct hp_tls_pair leaf;
    size_t n;
    char chain[PATH_MAX];
    join(chain, g_shared, "chain.crt");
    char *text = tu_read_file(chain, &n);
    load_ok(chain, tu_path(g_shared, "a/tls.key"), time(NULL), &p);
    load_ok(tu_path(g_shared, "a/tls.crt"), tu_path(g_shared, "a/tls.key"), time(NULL), &leaf);
    ck_assert_msg(p.cert_len == n && memcmp(p.cert_pem, text, n) == 0 && p.cert_pem[n] == '\0',
                  "cert_pem is not the whole chain (%zu bytes, want %zu)", p.cert_len, n);
    ck_assert_str_eq(p.subject, "CN=" CN);
    ck_assert_str_eq(p.serial, leaf.serial);
    ck_assert_msg(p.not_after == leaf.not_after, "validity is not the leaf's");
    free(text);
    text = tu_read_file(tu_path(g_shared, "a/tls.key"), &n);
    ck_assert_msg(p.key_len == n && strcmp(p.key_pem, text) == 0, "key_pem differs from the file");
    free(text);
    hp_tls_pair_cleanup(&p);
    hp_tls_pair_cleanup(&leaf);
}
END_TEST

START_TEST(test_tls_load_validity)
{
    struct hp_tls_pair p;
    struct hp_tls_pair q;
    struct hp_error err = {0};
    char want[1024];
    char when[32];
    gen(tu_dir, HP_TLS_KEY_ECDSA_P256, 1, NULL, NULL);
    char crt[PATH_MAX];
    join(crt, tu_dir, "tls.crt");
    char key[PATH_MAX];
    join(key, tu_dir, "tls.key");
    load_ok(crt, key, time(NULL), &p);
    ck_assert_int_eq(p.not_after - p.not_before, DAY + SKEW);
    load_ok(crt, key, p.not_after, &q);
    hp_tls_pair_cleanup(&q);
    load_ok(crt, key, p.not_before, &q);
    hp_tls_pair_cleanup(&q);

    enum hp_err rc = hp_tls_pair_load(crt, key, p.not_after + 1, &q, &err);
    utc(p.not_after, when, sizeof(when));
    snprintf(want, sizeof(want), "{D}/tls.crt: certificate expired at %s", when);
    assert_err("expired", rc, &err, HP_ERR_INVALID, want, NULL);
    ck_assert_msg(q.cert_pem == NULL && q.key_pem == NULL, "out holds data after an error");

    rc = hp_tls_pair_load(crt, key, p.not_before - 1, &q, &err);
    utc(p.not_before, when, sizeof(when));
    snprintf(want, sizeof(want), "{D}/tls.crt: certificate not valid before %s", when);
    assert_err("not yet valid", rc, &err, HP_ERR_INVALID, want, NULL);

    /* A fixed date pins the format. */
    ck_assert_int_eq(hp_tls_pair_load(crt, key, 0, &q, &err), HP_ERR_INVALID);
    rc = hp_tls_pair_load(crt, key, INT64_C(4102444800), &q, &err);
    ck_assert_int_eq(rc, HP_ERR_INVALID);
    ck_assert_msg(strstr(err.msg, "T") != NULL && err.msg[strlen(err.msg) - 1] == 'Z', "%s",
                  err.msg);
    hp_tls_pair_cleanup(&p);
}
END_TEST

static const struct {
    const char *name;
    const char *cert;
    const char *key;
    enum hp_err rc;
    const char *want;
    const char *reason;
} load_err_cases[] = {
    {"mismatched key", "{S}/a/tls.crt", "{S}/b/tls.key", HP_ERR_INVALID,
     "{S}/b/tls.key does not match the certificate in {S}/a/tls.crt", NULL},
    {"CA key for the leaf", "{S}/a/tls.crt", "{S}/a/ca.key", HP_ERR_INVALID,
     "{S}/a/ca.key does not match the certificate in {S}/a/tls.crt", NULL},
    {"key of another type", "{S}/a/tls.crt", "{S}/c/tls.key", HP_ERR_INVALID,
     "{S}/c/tls.key does not match the certificate in {S}/a/tls.crt (the key is RSA 2048, the "
     "certificate's is ECDSA P-256)",
     NULL},
    {"missing cert", "{S}/missing.crt", "{S}/a/tls.key", HP_ERR_IO,
     "{S}/missing.crt: No such file or directory", NULL},
    {"missing key", "{S}/a/tls.crt", "{S}/missing.key", HP_ERR_IO,
     "{S}/missing.key: No such file or directory", NULL},
    {"cert is a directory", "{S}/a", "{S}/a/tls.key", HP_ERR_IO,
     "{S}/a: cannot read: Is a directory", NULL},
    {"garbage cert", "{S}/garbage.pem", "{S}/a/tls.key", HP_ERR_INVALID,
     "{S}/garbage.pem: no PEM certificate found (", "no start line"},
    {"empty cert", "{S}/empty.pem", "{S}/a/tls.key", HP_ERR_INVALID,
     "{S}/empty.pem: no PEM certificate found (", "no start line"},
    {"garbage key", "{S}/a/tls.crt", "{S}/garbage.pem", HP_ERR_INVALID,
     "{S}/garbage.pem: no PEM private key found (", "error:"},
    {"empty key", "{S}/a/tls.crt", "{S}/empty.pem", HP_ERR_INVALID,
     "{S}/empty.pem: no PEM private key found (", "error:"},
    {"key file holds a certificate", "{S}/a/tls.crt", "{S}/a/ca.crt", HP_ERR_INVALID,
     "{S}/a/ca.crt: no PEM private key found: the file holds a certificate (", "error:"},
    {"cert file holds a key", "{S}/a/tls.key", "{S}/a/tls.key", HP_ERR_INVALID,
     "{S}/a/tls.key: no PEM certificate found: the file holds a private key (", "no start line"},
    {"corrupt cert", "{S}/corrupt.crt", "{S}/a/tls.key", HP_ERR_INVALID,
     "{S}/corrupt.crt: invalid PEM certificate (", "error:"},
    {"corrupt key", "{S}/a/tls.crt", "{S}/corrupt.key", HP_ERR_INVALID,
     "{S}/corrupt.key: invalid PEM private key (", "error:"},
    {"broken chain", "{S}/badchain.crt", "{S}/a/tls.key", HP_ERR_INVALID,
     "{S}/badchain.crt: certificate 2 of the chain is invalid (", "error:"},
    {"encrypted key", "{S}/a/tls.crt", "{S}/enc.key", HP_ERR_INVALID,
     "{S}/enc.key: the private key is encrypted; hardpod needs an unencrypted key (", NULL},
    {"cert over 1 MiB", "{S}/big.crt", "{S}/a/tls.key", HP_ERR_LIMIT,
     "{S}/big.crt: the file is 1048577 bytes, over the limit of 1048576", NULL},
    {"key over 1 MiB", "{S}/a/tls.crt", "{S}/big.key", HP_ERR_LIMIT,
     "{S}/big.key: the file is 1048577 bytes, over the limit of 1048576", NULL},
};

START_TEST(test_tls_load_errors)
{
    char crt[PATH_MAX];
    char key[PATH_MAX];
    struct hp_error err = {0};
    struct hp_tls_pair p;
    expand(crt, sizeof(crt), load_err_cases[_i].cert);
    expand(key, sizeof(key), load_err_cases[_i].key);
    enum hp_err rc = hp_tls_pair_load(crt, key, time(NULL), &p, &err);
    assert_err(load_err_cases[_i].name, rc, &err, load_err_cases[_i].rc, load_err_cases[_i].want,
               load_err_cases[_i].reason);
    ck_assert_msg(p.cert_pem == NULL && p.key_pem == NULL && p.serial[0] == '\0',
                  "%s: out holds data after an error", load_err_cases[_i].name);
    ck_assert_msg(ERR_peek_error() == 0, "%s: OpenSSL errors left queued", load_err_cases[_i].name);
    rc = hp_tls_pair_load(crt, key, time(NULL), &p, NULL);
    ck_assert_msg(rc == load_err_cases[_i].rc, "%s: with err NULL got %d", load_err_cases[_i].name,
                  rc);
}
END_TEST

/* ---- generate errors ---------------------------------------------------- */

enum sans { SANS_OK, SANS_NONE, SANS_IP_JUNK, SANS_IP_RANGE, SANS_DNS_SPACE, SANS_DNS_EMPTY };

static const char *const k_ip_junk[] = {"127.0.0.1", "1.2.3.4x"};
static const char *const k_ip_range[] = {"300.1.1.1"};
static const char *const k_dns_space[] = {"ok.svc", "bad name"};
static const char *const k_dns_empty[] = {""};
#define LONG_CN_64 "a123456789b123456789c123456789d123456789e123456789f123456789g123"
#define LONG_CN "a123456789b123456789c123456789d123456789e123456789f123456789g1234"

static const struct {
    const char *name;
    const char *dir;
    const char *ca_cert;
    const char *ca_key;
    int days;
    int ca_days;
    enum sans sans;
    const char *cn;
    int key_type;
    enum hp_err rc;
    const char *want;
} gen_err_cases[] = {
    {"missing dir", "{D}/nope", NULL, NULL, 0, 0, SANS_OK, NULL, 0, HP_ERR_IO,
     "output directory {D}/nope: No such file or directory"},
    {"dir is a file", "{S}/garbage.pem", NULL, NULL, 0, 0, SANS_OK, NULL, 0, HP_ERR_IO,
     "output directory {S}/garbage.pem: Not a directory"},
    {"negative days", "{D}", NULL, NULL, -1, 0, SANS_OK, NULL, 0, HP_ERR_INVALID,
     "days must be between 1 and 3650 (0 means 365), got -1"},
    {"days too large", "{D}", NULL, NULL, 3651, 0, SANS_OK, NULL, 0, HP_ERR_INVALID,
     "days must be between 1 and 3650 (0 means 365), got 3651"},
    {"negative ca_days", "{D}", NULL, NULL, 0, -5, SANS_OK, NULL, 0, HP_ERR_INVALID,
     "ca_days must be between 1 and 3650 (0 means 3650), got -5"},
    {"ca_days too large", "{D}", NULL, NULL, 0, 4000, SANS_OK, NULL, 0, HP_ERR_INVALID,
     "ca_days must be between 1 and 3650 (0 means 3650), got 4000"},
    {"leaf outlives new CA", "{D}", NULL, NULL, 400, 300, SANS_OK, NULL, 0, HP_ERR_INVALID,
     "days (400) exceeds ca_days (300): the serving certificate would outlive its CA"},
    {"no SANs", "{D}", NULL, NULL, 0, 0, SANS_NONE, NULL, 0, HP_ERR_INVALID,
     "at least one DNS name or IP address is required (TLS clients ignore the common name)"},
    {"IP with junk", "{D}", NULL, NULL, 0, 0, SANS_IP_JUNK, NULL, 0, HP_ERR_INVALID,
     "ips[1]: \"1.2.3.4x\" is not an IPv4 or IPv6 address"},
    {"IP out of range", "{D}", NULL, NULL, 0, 0, SANS_IP_RANGE, NULL, 0, HP_ERR_INVALID,
     "ips[0]: \"300.1.1.1\" is not an IPv4 or IPv6 address"},
    {"DNS with a space", "{D}", NULL, NULL, 0, 0, SANS_DNS_SPACE, NULL, 0, HP_ERR_INVALID,
     "dns[1]: \"bad name\" is not a DNS name: ' ' is not allowed: use letters, digits and '-'"},
    {"empty DNS name", "{D}", NULL, NULL, 0, 0, SANS_DNS_EMPTY, NULL, 0, HP_ERR_INVALID,
     "dns[0]: \"\" is not a DNS name: it is empty"},
    {"common name too long", "{D}", NULL, NULL, 0, 0, SANS_OK, LONG_CN, 0, HP_ERR_INVALID,
     "common name \"" LONG_CN_64 "...\" is longer than 64 bytes (an X.509 limit)"},
    {"unknown key type", "{D}", NULL, NULL, 0, 0, SANS_OK, NULL, 7, HP_ERR_INVALID,
     "unknown key type 7"},
    {"CA cert without key", "{D}", "{S}/a/ca.crt", NULL, 0, 0, SANS_OK, NULL, 0, HP_ERR_INVALID,
     "a CA certificate and its key must be given together (got only {S}/a/ca.crt)"},
    {"CA is a leaf", "{D}", "{S}/a/tls.crt", "{S}/a/tls.key", 0, 0, SANS_OK, NULL, 0,
     HP_ERR_INVALID, "{S}/a/tls.crt: not a CA certificate (it lacks basicConstraints CA:TRUE)"},
    {"CA key mismatch", "{D}", "{S}/a/ca.crt", "{S}/b/ca.key", 0, 0, SANS_OK, NULL, 0,
     HP_ERR_INVALID, "{S}/b/ca.key does not match the certificate in {S}/a/ca.crt"},
    {"CA cert missing", "{D}", "{S}/nope.crt", "{S}/a/ca.key", 0, 0, SANS_OK, NULL, 0, HP_ERR_IO,
     "{S}/nope.crt: No such file or directory"},
    {"CA key garbage", "{D}", "{S}/a/ca.crt", "{S}/garbage.pem", 0, 0, SANS_OK, NULL, 0,
     HP_ERR_INVALID, "{S}/garbage.pem: no PEM private key found ("},
    {"dir has ca.crt only", "{S}/onlyca", NULL, NULL, 0, 0, SANS_OK, NULL, 0, HP_ERR_INVALID,
     "{S}/onlyca/ca.crt exists but {S}/onlyca/ca.key does not: restore it, or remove "
     "{S}/onlyca/ca.crt to create a new CA"},
};

static void set_sans(struct hp_tls_gen *g, enum sans which)
{
    switch (which) {
    case SANS_OK:
        break;
    case SANS_NONE:
        g->n_dns = g->n_ips = 0;
        break;
    case SANS_IP_JUNK:
        g->ips = k_ip_junk;
        g->n_ips = N_ELEMS(k_ip_junk);
        break;
    case SANS_IP_RANGE:
        g->ips = k_ip_range;
        g->n_ips = N_ELEMS(k_ip_range);
        break;
    case SANS_DNS_SPACE:
        g->dns = k_dns_space;
        g->n_dns = N_ELEMS(k_dns_space);
        break;
    case SANS_DNS_EMPTY:
        g->dns = k_dns_empty;
        g->n_dns = N_ELEMS(k_dns_empty);
        break;
    }
}

START_TEST(test_tls_generate_errors)
{
    char dir[PATH_MAX];
    char ca_cert[PATH_MAX];
    char ca_key[PATH_MAX];
    char names[256];
    struct hp_error err = {0};
    struct hp_tls_gen g =
        gen_opts(HP_TLS_KEY_ECDSA_P256, gen_err_cases[_i].days, gen_err_cases[_i].ca_days);
    g.key_type = (enum hp_tls_key_type)gen_err_cases[_i].key_type;
    if (gen_err_cases[_i].cn != NULL) {
        g.common_name = gen_err_cases[_i].cn;
    }
    set_sans(&g, gen_err_cases[_i].sans);
    expand(dir, sizeof(dir), gen_err_cases[_i].dir);
    expand(ca_cert, sizeof(ca_cert), gen_err_cases[_i].ca_cert ? gen_err_cases[_i].ca_cert : "");
    expand(ca_key, sizeof(ca_key), gen_err_cases[_i].ca_key ? gen_err_cases[_i].ca_key : "");
    enum hp_err rc =
        hp_tls_generate(dir, &g, ca_cert[0] ? ca_cert : NULL, ca_key[0] ? ca_key : NULL, &err);
    assert_err(gen_err_cases[_i].name, rc, &err, gen_err_cases[_i].rc, gen_err_cases[_i].want,
               NULL);
    list_dir(tu_dir, names, sizeof(names));
    ck_assert_msg(names[0] == '\0', "%s: the output directory holds \"%s\"", gen_err_cases[_i].name,
                  names);
    ck_assert_msg(ERR_peek_error() == 0, "%s: OpenSSL errors left queued", gen_err_cases[_i].name);
}
END_TEST

static Suite *tls_suite(void)
{
    Suite *s = suite_create("tls");
    TCase *tc = tcase_create("generate");
    tcase_add_checked_fixture(tc, tu_scratch_setup, tu_scratch_teardown);
    tcase_add_loop_test(tc, test_tls_generate_files, 0, (int)N_ELEMS(file_cases));
    tcase_add_loop_test(tc, test_tls_generate_load, 0, (int)N_ELEMS(days_cases));
    tcase_add_loop_test(tc, test_tls_generate_extensions, 0, (int)N_ELEMS(k_types));
    tcase_add_loop_test(tc, test_tls_generate_openssl_cli, 0, (int)N_ELEMS(k_types));
    tcase_add_test(tc, test_tls_generate_default_cn);
    tcase_add_test(tc, test_tls_generate_commit_fails);
    suite_add_tcase(s, tc);

    tc = tcase_create("reuse");
    tcase_add_checked_fixture(tc, tu_scratch_setup, tu_scratch_teardown);
    tcase_add_test(tc, test_tls_ca_reuse_dir);
    tcase_add_test(tc, test_tls_ca_explicit);
    tcase_add_test(tc, test_tls_ca_explicit_ed25519);
    tcase_add_test(tc, test_tls_ca_outlived);
    suite_add_tcase(s, tc);

    tc = tcase_create("load and errors");
    tcase_add_unchecked_fixture(tc, shared_setup, shared_teardown);
    tcase_add_checked_fixture(tc, tu_scratch_setup, tu_scratch_teardown);
    tcase_add_loop_test(tc, test_tls_load_formats, 0, (int)N_ELEMS(format_cases));
    tcase_add_test(tc, test_tls_load_chain);
    tcase_add_test(tc, test_tls_load_validity);
    tcase_add_test(tc, test_tls_load_serial_format);
    tcase_add_loop_test(tc, test_tls_load_errors, 0, (int)N_ELEMS(load_err_cases));
    tcase_add_loop_test(tc, test_tls_generate_errors, 0, (int)N_ELEMS(gen_err_cases));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_in_tmpdir(tls_suite, tu_root, "hp-tls");
}
