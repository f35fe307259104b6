/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Generating a CA and a CA-signed serving certificate for the webhook. The CA
 * outlives the leaf and is reused when it already exists, so rotating the
 * serving certificate never changes the caBundle a cluster trusts. Files are
 * replaced atomically; this module never deletes or rewrites a CA it reuses.
 */
#include "internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define DEFAULT_DAYS 365
#define DEFAULT_CA_DAYS 3650
#define MAX_DAYS 3650
/* notBefore lies this far in the past so that a node whose clock runs a
 * little behind still accepts a certificate generated moments ago. */
#define SKEW_SECONDS 300
#define DAY_SECONDS 86400
/* X.509's upper bound for a commonName (RFC 5280 ub-common-name). */
#define CN_MAX 64

/* The request after defaults and validation. */
struct gen_opts {
    const struct hp_tls_gen *g;
    int days;
    int ca_days;
    const char *cn;
    time_t now;
};

/* What one certificate looks like. */
struct cert_spec {
    const char *cn;
    bool is_ca;
    EVP_PKEY *key;        /* the subject's key */
    X509 *issuer;         /* NULL: self-signed */
    EVP_PKEY *issuer_key; /* signs the certificate */
    int days;
    const struct gen_opts *o;
};

struct gen_state {
    struct gen_opts o;
    X509 *ca;
    EVP_PKEY *ca_key;
    bool new_ca;
    int64_t ca_not_after;
    const char *ca_path; /* names the CA in messages */
    X509 *leaf;
    EVP_PKEY *leaf_key;
    struct hp_file_staged staged[4];
    size_t n_staged;
};

static enum hp_err check_days(const char *what, int days, int dflt, int *out, struct hp_error *err)
{
    if (days < 0 || days > MAX_DAYS) {
        return hp_error_set(err, HP_ERR_INVALID, "%s must be between 1 and %d (0 means %d), got %d",
                            what, MAX_DAYS, dflt, days);
    }
    *out = days == 0 ? dflt : days;
    return HP_OK;
}

/* Parses an IPv4 or IPv6 address strictly (inet_pton, unlike a2i_IPADDRESS,
 * refuses trailing text); returns its length in bytes, 0 when invalid. */
static int parse_ip(const char *s, unsigned char bytes[16])
{
    if (inet_pton(AF_INET, s, bytes) == 1) {
        return 4;
    }
    if (inet_pton(AF_INET6, s, bytes) == 1) {
        return 16;
    }
    return 0;
}

static enum hp_err check_names(const struct hp_tls_gen *g, struct gen_opts *o, struct hp_error *err)
{
    unsigned char ip[16];

    if (g->n_dns + g->n_ips == 0) {
        return hp_error_set(err, HP_ERR_INVALID,
                            "at least one DNS name or IP address is required (TLS clients "
                            "ignore the common name)");
    }
    for (size_t i = 0; i < g->n_dns; i++) {
        if (hp_tls_dns_check(g->dns[i], HP_TLS_DNS_SAN, err) != HP_OK) {
            hp_error_prefix(err, "dns[%zu]: \"%.64s\" is not a DNS name", i,
                            g->dns[i] != NULL ? g->dns[i] : "(null)");
            return HP_ERR_INVALID;
        }
    }
    for (size_t i = 0; i < g->n_ips; i++) {
        if (g->ips[i] == NULL || parse_ip(g->ips[i], ip) == 0) {
            return hp_error_set(err, HP_ERR_INVALID,
                                "ips[%zu]: \"%.64s\" is not an IPv4 or IPv6 address", i,
                                g->ips[i] != NULL ? g->ips[i] : "(null)");
        }
    }
    o->cn = g->common_name;
    if (o->cn == NULL || o->cn[0] == '\0') {
        o->cn = g->n_dns > 0 ? g->dns[0] : g->ips[0];
    }
    if (strlen(o->cn) > CN_MAX) {
        return hp_error_set(err, HP_ERR_INVALID,
                            "common name \"%.64s...\" is longer than %d bytes (an X.509 limit)",
                            o->cn, CN_MAX);
    }
    return HP_OK;
}

static enum hp_err check_request(const char *dir, const struct hp_tls_gen *g, const char *ca_cert,
                                 const char *ca_key, struct gen_opts *o, struct hp_error *err)
{
    struct stat st;

    if (dir == NULL || g == NULL) {
        hp_error_set(err, HP_ERR_INVALID, "hp_tls_generate: missing argument");
        return HP_ERR_INVALID;
    }
    o->g = g;
    if ((ca_cert == NULL) != (ca_key == NULL)) {
        return hp_error_set(err, HP_ERR_INVALID,
                            "a CA certificate and its key must be given together (got only %s)",
                            ca_cert != NULL ? ca_cert : ca_key);
    }
    if (stat(dir, &st) != 0) {
        int e = errno;
        return hp_error_set(err, HP_ERR_IO, "output directory %s: %s", dir, strerror(e));
    }
    if (!S_ISDIR(st.st_mode)) {
        return hp_error_set(err, HP_ERR_IO, "output directory %s: %s", dir, strerror(ENOTDIR));
    }
    if (g->key_type != HP_TLS_KEY_ECDSA_P256 && g->key_type != HP_TLS_KEY_RSA_2048) {
        return hp_error_set(err, HP_ERR_INVALID, "unknown key type %d", (int)g->key_type);
    }
    o->now = time(NULL);
    enum hp_err rc = check_days("days", g->days, DEFAULT_DAYS, &o->days, err);
    if (rc == HP_OK) {
        rc = check_days("ca_days", g->ca_days, DEFAULT_CA_DAYS, &o->ca_days, err);
    }
    if (rc == HP_OK) {
        rc = check_names(g, o, err);
    }
    return rc;
}

static enum hp_err gen_key(enum hp_tls_key_type type, EVP_PKEY **out, struct hp_error *err)
{
    if (type == HP_TLS_KEY_RSA_2048) {
        *out = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    } else {
        *out = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    }
    return *out != NULL ? HP_OK : tls_ssl_fail(err, "cannot generate a key");
}

/* A random positive 128-bit serial, so that two certificates from the same
 * CA never share one (RFC 5280 allows up to 20 octets). */
static enum hp_err set_serial(X509 *x, struct hp_error *err)
{
    enum hp_err rc = HP_OK;
    BIGNUM *bn = BN_new();
    if (bn == NULL || BN_rand(bn, 128, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
        (BN_is_zero(bn) && BN_set_word(bn, 1) != 1) ||
        BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL) {
        rc = tls_ssl_fail(err, "cannot make a serial number");
    }
    BN_free(bn);
    return rc;
}

static enum hp_err set_names(X509 *x, const struct cert_spec *sp, struct hp_error *err)
{
    enum hp_err rc = HP_OK;
    X509_NAME *name = X509_NAME_new();
    if (name == NULL) {
        rc = tls_ssl_fail(err, "cannot make a subject name");
        goto out;
    }
    if (sp->is_ca && X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                                (const unsigned char *)"hardpod", -1, -1, 0) != 1) {
        rc = tls_ssl_fail(err, "cannot make a subject name");
        goto out;
    }
    if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)sp->cn, -1, -1,
                                   0) != 1) {
        char reason[TLS_REASON_MAX];
        tls_ssl_reason(reason, sizeof(reason));
        rc = hp_error_set(err, HP_ERR_INVALID, "common name \"%s\": %s", sp->cn, reason);
        goto out;
    }
    X509_NAME *issuer = sp->issuer != NULL ? X509_get_subject_name(sp->issuer) : name;
    if (X509_set_subject_name(x, name) != 1 || X509_set_issuer_name(x, issuer) != 1) {
        rc = tls_ssl_fail(err, "cannot set the certificate names");
    }
out:
    X509_NAME_free(name);
    return rc;
}

static enum hp_err add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value,
                           struct hp_error *err)
{
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
    if (ext == NULL || X509_add_ext(x, ext, -1) != 1) {
        char what[96];
        snprintf(what, sizeof(what), "cannot add the %s extension", OBJ_nid2ln(nid));
        X509_EXTENSION_free(ext);
        return tls_ssl_fail(err, what);
    }
    X509_EXTENSION_free(ext);
    return HP_OK;
}

static bool push_name(GENERAL_NAMES *names, GENERAL_NAME *gn)
{
    if (gn == NULL) {
        return false;
    }
    if (sk_GENERAL_NAME_push(names, gn) <= 0) {
        GENERAL_NAME_free(gn);
        return false;
    }
    return true;
}

/* One IP subjectAltName from validated text. */
static GENERAL_NAME *ip_name(const char *text)
{
    unsigned char bytes[16];
    int n = parse_ip(text, bytes);
    GENERAL_NAME *gn = GENERAL_NAME_new();
    ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
    if (gn == NULL || os == NULL || n == 0 || ASN1_OCTET_STRING_set(os, bytes, n) != 1) {
        GENERAL_NAME_free(gn);
        ASN1_OCTET_STRING_free(os);
        return NULL;
    }
    GENERAL_NAME_set0_value(gn, GEN_IPADD, os);
    return gn;
}

static enum hp_err add_sans(X509 *x, const struct hp_tls_gen *g, struct hp_error *err)
{
    enum hp_err rc = HP_OK;
    GENERAL_NAMES *names = sk_GENERAL_NAME_new_null();
    if (names == NULL) {
        rc = tls_ssl_fail(err, "cannot add the subjectAltName extension");
        goto out;
    }
    for (size_t i = 0; i < g->n_dns; i++) {
        if (!push_name(names, a2i_GENERAL_NAME(NULL, NULL, NULL, GEN_DNS, g->dns[i], 0))) {
            rc = tls_ssl_fail(err, "cannot add a DNS subjectAltName");
            goto out;
        }
    }
    for (size_t i = 0; i < g->n_ips; i++) {
        if (!push_name(names, ip_name(g->ips[i]))) {
            rc = tls_ssl_fail(err, "cannot add an IP subjectAltName");
            goto out;
        }
    }
    if (X509_add1_ext_i2d(x, NID_subject_alt_name, names, 0, X509V3_ADD_DEFAULT) != 1) {
        rc = tls_ssl_fail(err, "cannot add the subjectAltName extension");
    }
out:
    GENERAL_NAMES_free(names);
    return rc;
}

static enum hp_err add_extensions(X509 *x, const struct cert_spec *sp, struct hp_error *err)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, sp->issuer != NULL ? sp->issuer : x, x, NULL, NULL, 0);
    if (sp->is_ca) {
        /* pathlen:0: this CA signs serving certificates, never other CAs. */
        enum hp_err rc = add_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0", err);
        if (rc == HP_OK) {
            rc = add_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign", err);
        }
        if (rc == HP_OK) {
            rc = add_ext(x, &ctx, NID_subject_key_identifier, "hash", err);
        }
        return rc;
    }
    bool rsa = EVP_PKEY_get_base_id(sp->key) == EVP_PKEY_RSA;
    enum hp_err rc = add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE", err);
    if (rc == HP_OK) {
        rc = add_ext(
            x, &ctx, NID_key_usage,
            rsa ? "critical,digitalSignature,keyEncipherment" : "critical,digitalSignature", err);
    }
    if (rc == HP_OK) {
        rc = add_ext(x, &ctx, NID_ext_key_usage, "serverAuth", err);
    }
    if (rc == HP_OK) {
        rc = add_sans(x, sp->o->g, err);
    }
    if (rc == HP_OK) {
        rc = add_ext(x, &ctx, NID_subject_key_identifier, "hash", err);
    }
    if (rc == HP_OK) {
        rc = add_ext(x, &ctx, NID_authority_key_identifier, "keyid,issuer", err);
    }
    return rc;
}

static enum hp_err build_cert(const struct cert_spec *sp, X509 **out, struct hp_error *err)
{
    enum hp_err rc = HP_OK;
    time_t now = sp->o->now;

    X509 *x = X509_new();
    if (x == NULL || X509_set_version(x, X509_VERSION_3) != 1) {
        rc = tls_ssl_fail(err, "cannot make a certificate");
        goto out;
    }
    rc = set_serial(x, err);
    if (rc == HP_OK) {
        rc = set_names(x, sp, err);
    }
    if (rc != HP_OK) {
        goto out;
    }
    if (X509_time_adj_ex(X509_getm_notBefore(x), 0, -SKEW_SECONDS, &now) == NULL ||
        X509_time_adj_ex(X509_getm_notAfter(x), sp->days, 0, &now) == NULL ||
        X509_set_pubkey(x, sp->key) != 1) {
        rc = tls_ssl_fail(err, "cannot make a certificate");
        goto out;
    }
    rc = add_extensions(x, sp, err);
    if (rc != HP_OK) {
        goto out;
    }
    /* EdDSA keys (possible in a CA the user brings) sign without a digest. */
    int id = EVP_PKEY_get_base_id(sp->issuer_key);
    const EVP_MD *md = id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448 ? NULL : EVP_sha256();
    if (X509_sign(x, sp->issuer_key, md) <= 0) {
        rc = tls_ssl_fail(err, "cannot sign the certificate");
        goto out;
    }
    *out = x;
    x = NULL;
out:
    X509_free(x);
    return rc;
}

static enum hp_err new_ca(struct gen_state *s, struct hp_error *err)
{
    if (s->o.days > s->o.ca_days) {
        return hp_error_set(err, HP_ERR_INVALID,
                            "days (%d) exceeds ca_days (%d): the serving certificate would "
                            "outlive its CA",
                            s->o.days, s->o.ca_days);
    }
    enum hp_err rc = gen_key(s->o.g->key_type, &s->ca_key, err);
    if (rc != HP_OK) {
        return rc;
    }
    struct cert_spec sp = {
        .cn = "hardpod-ca",
        .is_ca = true,
        .key = s->ca_key,
        .issuer_key = s->ca_key,
        .days = s->o.ca_days,
        .o = &s->o,
    };
    s->new_ca = true;
    s->ca_not_after = (int64_t)s->o.now + (int64_t)s->o.ca_days * DAY_SECONDS;
    return build_cert(&sp, &s->ca, err);
}

static enum hp_err load_ca(const char *crt, const char *key, struct gen_state *s,
                           struct hp_error *err)
{
    struct tls_parsed p;
    enum hp_err rc = tls_parse_pair(crt, key, (int64_t)s->o.now, &p, err);
    if (rc != HP_OK) {
        return rc;
    }
    if (X509_check_ca(p.cert) != 1) {
        rc = hp_error_set(err, HP_ERR_INVALID,
                          "%s: not a CA certificate (it lacks basicConstraints CA:TRUE)", crt);
        goto out;
    }
    if ((X509_get_extension_flags(p.cert) & EXFLAG_KUSAGE) &&
        !(X509_get_key_usage(p.cert) & KU_KEY_CERT_SIGN)) {
        rc = hp_error_set(err, HP_ERR_INVALID,
                          "%s: the CA certificate's keyUsage does not allow keyCertSign", crt);
        goto out;
    }
    s->ca = p.cert;
    s->ca_key = p.key;
    s->ca_not_after = p.not_after;
    s->ca_path = crt;
    p.cert = NULL;
    p.key = NULL;
out:
    tls_parsed_cleanup(&p);
    return rc;
}

/* Whether dir already holds a CA to reuse. Exactly one of the two files is
 * an error: replacing the other would silently change the caBundle. */
static enum hp_err find_dir_ca(const char *crt, const char *key, bool *found, struct hp_error *err)
{
    struct stat st;
    bool have[2];
    const char *paths[2] = {crt, key};

    for (int i = 0; i < 2; i++) {
        have[i] = stat(paths[i], &st) == 0;
        int e = errno;
        if (!have[i] && e != ENOENT) {
            return hp_error_set(err, HP_ERR_IO, "%s: %s", paths[i], strerror(e));
        }
    }
    if (have[0] != have[1]) {
        return hp_error_set(err, HP_ERR_INVALID,
                            "%s exists but %s does not: restore it, or remove %s to create a new "
                            "CA",
                            have[0] ? crt : key, have[0] ? key : crt, have[0] ? crt : key);
    }
    *found = have[0];
    return HP_OK;
}

static enum hp_err obtain_ca(const char *dir, const char *ca_cert, const char *ca_key,
                             struct gen_state *s, char crt[PATH_MAX], char key[PATH_MAX],
                             struct hp_error *err)
{
    bool found = false;
    if (ca_cert != NULL) {
        return load_ca(ca_cert, ca_key, s, err);
    }
    enum hp_err rc = tls_path(crt, PATH_MAX, dir, "ca.crt", err);
    if (rc == HP_OK) {
        rc = tls_path(key, PATH_MAX, dir, "ca.key", err);
    }
    if (rc == HP_OK) {
        rc = find_dir_ca(crt, key, &found, err);
    }
    if (rc != HP_OK) {
        return rc;
    }
    if (found) {
        return load_ca(crt, key, s, err);
    }
    s->ca_path = crt;
    return new_ca(s, err);
}

static enum hp_err make_leaf(struct gen_state *s, struct hp_error *err)
{
    int64_t not_after = (int64_t)s->o.now + (int64_t)s->o.days * DAY_SECONDS;

    if (not_after > s->ca_not_after) {
        char ca_end[HP_TIME_TEXT_MAX];
        char leaf_end[HP_TIME_TEXT_MAX];
        hp_time_format(s->ca_not_after, ca_end, sizeof(ca_end));
        hp_time_format(not_after, leaf_end, sizeof(leaf_end));
        return hp_error_set(err, HP_ERR_INVALID,
                            "%s: the CA expires at %s, before the serving certificate would (%s); "
                            "lower days or renew the CA",
                            s->ca_path, ca_end, leaf_end);
    }
    enum hp_err rc = gen_key(s->o.g->key_type, &s->leaf_key, err);
    if (rc != HP_OK) {
        return rc;
    }
    struct cert_spec sp = {
        .cn = s->o.cn,
        .is_ca = false,
        .key = s->leaf_key,
        .issuer = s->ca,
        .issuer_key = s->ca_key,
        .days = s->o.days,
        .o = &s->o,
    };
    return build_cert(&sp, &s->leaf, err);
}

/* PEM-encodes cert or key (keys through wiped secure memory) and stages it. */
static enum hp_err stage_pem(const char *dir, const char *name, X509 *cert, EVP_PKEY *key,
                             struct gen_state *s, struct hp_error *err)
{
    char path[PATH_MAX];
    char *data = NULL;

    BIO *bio = BIO_new(key != NULL ? BIO_s_secmem() : BIO_s_mem());
    enum hp_err rc = tls_path(path, sizeof(path), dir, name, err);
    if (rc != HP_OK) {
        goto out;
    }
    int ok =
        bio != NULL && (key != NULL ? PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)
                                    : PEM_write_bio_X509(bio, cert));
    if (!ok) {
        rc = tls_ssl_fail(err, "cannot encode PEM");
        goto out;
    }
    long n = BIO_get_mem_data(bio, &data);
    rc = hp_file_stage(path, data, n > 0 ? (size_t)n : 0, key != NULL ? 0600 : 0644,
                       &s->staged[s->n_staged], err);
    if (rc == HP_OK) {
        s->n_staged++;
    }
out:
    BIO_free(bio);
    return rc;
}

static enum hp_err write_files(const char *dir, struct gen_state *s, struct hp_error *err)
{
    enum hp_err rc = HP_OK;
    /* Stage everything first so that a failure leaves the old files intact. */
    if (s->new_ca) {
        rc = stage_pem(dir, "ca.key", NULL, s->ca_key, s, err);
        if (rc == HP_OK) {
            rc = stage_pem(dir, "ca.crt", s->ca, NULL, s, err);
        }
    }
    if (rc == HP_OK) {
        rc = stage_pem(dir, "tls.key", NULL, s->leaf_key, s, err);
    }
    if (rc == HP_OK) {
        rc = stage_pem(dir, "tls.crt", s->leaf, NULL, s, err);
    }
    if (rc == HP_OK) {
        rc = hp_file_commit(s->staged, s->n_staged, err);
    }
    return rc;
}

enum hp_err hp_tls_generate(const char *dir, const struct hp_tls_gen *g, const char *ca_cert,
                            const char *ca_key, struct hp_error *err)
{
    struct gen_state s;
    char crt[PATH_MAX];
    char key[PATH_MAX];

    memset(&s, 0, sizeof(s));
    ERR_clear_error();
    enum hp_err rc = check_request(dir, g, ca_cert, ca_key, &s.o, err);
    if (rc != HP_OK) {
        goto out;
    }
    rc = obtain_ca(dir, ca_cert, ca_key, &s, crt, key, err);
    if (rc != HP_OK) {
        goto out;
    }
    rc = make_leaf(&s, err);
    if (rc != HP_OK) {
        goto out;
    }
    rc = write_files(dir, &s, err);
out:
    hp_file_discard(s.staged, s.n_staged);
    X509_free(s.ca);
    EVP_PKEY_free(s.ca_key);
    X509_free(s.leaf);
    EVP_PKEY_free(s.leaf_key);
    return rc;
}
