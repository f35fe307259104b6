/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Loading a PEM certificate (or chain) and private key from disk and checking
 * them: both parse, the key matches the leaf, and the leaf is valid at the
 * given time. Reports what an operator needs to fix, with OpenSSL's reason.
 * Never prompts for a passphrase and never writes anything.
 */
#include "internal.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tls_describe_key(const EVP_PKEY *key, char *buf, size_t size)
{
    char group[64];
    const char *nist = NULL;

    switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
        snprintf(buf, size, "RSA %d", EVP_PKEY_get_bits(key));
        return;
    case EVP_PKEY_RSA_PSS:
        snprintf(buf, size, "RSA-PSS %d", EVP_PKEY_get_bits(key));
        return;
    case EVP_PKEY_EC:
        if (EVP_PKEY_get_group_name(key, group, sizeof(group), NULL) != 1) {
            ERR_clear_error();
            snprintf(buf, size, "ECDSA");
            return;
        }
        nist = EC_curve_nid2nist(OBJ_txt2nid(group));
        snprintf(buf, size, "ECDSA %s", nist != NULL ? nist : group);
        return;
    case EVP_PKEY_ED25519:
        snprintf(buf, size, "Ed25519");
        return;
    case EVP_PKEY_ED448:
        snprintf(buf, size, "Ed448");
        return;
    default:
        break;
    }
    const char *name = EVP_PKEY_get0_type_name(key);
    snprintf(buf, size, "%s %d", name != NULL ? name : "unknown", EVP_PKEY_get_bits(key));
}

/* Everything after the leaf must be certificates too: a broken
 * intermediate would otherwise surface only in a client's handshake. */
static enum hp_err check_chain(const char *path, BIO *bio, struct hp_error *err)
{
    char reason[TLS_REASON_MAX];
    for (int i = 2;; i++) {
        X509 *next = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        if (next != NULL) {
            X509_free(next);
            continue;
        }
        if (tls_no_pem_block()) {
            ERR_clear_error();
            return HP_OK;
        }
        tls_ssl_reason(reason, sizeof(reason));
        return hp_error_set(err, HP_ERR_INVALID, "%s: certificate %d of the chain is invalid (%s)",
                            path, i, reason);
    }
}

static enum hp_err parse_cert(const char *path, const char *pem, size_t len, X509 **out,
                              struct hp_error *err)
{
    BIO *rest = NULL;
    enum hp_err rc = tls_read_leaf(path, pem, len, out, &rest, err);
    if (rc == HP_OK) {
        rc = check_chain(path, rest, err);
        if (rc != HP_OK) {
            X509_free(*out);
            *out = NULL;
        }
    }
    BIO_free(rest);
    return rc;
}

/* Refuses to prompt: a webhook has no terminal, and a key that needs a
 * passphrase cannot be used unattended anyway. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    *(bool *)u = true;
    return -1;
}

static enum hp_err parse_key(const char *path, const char *pem, size_t len, EVP_PKEY **out,
                             struct hp_error *err)
{
    enum hp_err rc = HP_OK;
    char reason[TLS_REASON_MAX];
    bool encrypted = false;

    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (bio == NULL) {
        rc = tls_ssl_fail(err, path);
        goto out;
    }
    *out = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, &encrypted);
    if (*out != NULL) {
        goto out;
    }
    /* OpenSSL 3's decoders report a missing key and a broken one alike
     * ("unsupported"), so look for the PEM label ourselves. */
    bool none = !tls_contains(pem, len, "PRIVATE KEY-----");
    tls_ssl_reason(reason, sizeof(reason));
    if (encrypted) {
        rc = hp_error_set(err, HP_ERR_INVALID,
                          "%s: the private key is encrypted; hardpod needs an unencrypted key (%s)",
                          path, reason);
    } else if (none) {
        bool cert = tls_contains(pem, len, "-----BEGIN CERTIFICATE-----");
        rc = hp_error_set(err, HP_ERR_INVALID, "%s: no PEM private key found%s (%s)", path,
                          cert ? ": the file holds a certificate" : "", reason);
    } else {
        rc = hp_error_set(err, HP_ERR_INVALID, "%s: invalid PEM private key (%s)", path, reason);
    }
out:
    BIO_free(bio);
    return rc;
}

static enum hp_err check_match(const char *cert_path, const char *key_path, X509 *cert,
                               EVP_PKEY *key, struct hp_error *err)
{
    char have[32];
    char want[32];

    if (X509_check_private_key(cert, key) == 1) {
        return HP_OK;
    }
    /* OpenSSL's reason ("key values mismatch") adds nothing; the key types
     * do when they differ. */
    ERR_clear_error();
    tls_describe_key(key, have, sizeof(have));
    tls_describe_key(X509_get0_pubkey(cert), want, sizeof(want));
    if (strcmp(have, want) != 0) {
        return hp_error_set(err, HP_ERR_INVALID,
                            "%s does not match the certificate in %s (the key is %s, the "
                            "certificate's is %s)",
                            key_path, cert_path, have, want);
    }
    return hp_error_set(err, HP_ERR_INVALID, "%s does not match the certificate in %s", key_path,
                        cert_path);
}

static enum hp_err check_validity(const char *path, struct tls_parsed *p, int64_t now,
                                  struct hp_error *err)
{
    char when[HP_TIME_TEXT_MAX];
    enum hp_err rc = tls_asn1_time(X509_get0_notBefore(p->cert), &p->not_before, err);
    if (rc == HP_OK) {
        rc = tls_asn1_time(X509_get0_notAfter(p->cert), &p->not_after, err);
    }
    if (rc != HP_OK) {
        hp_error_prefix(err, "%s", path);
        return rc;
    }
    if (now < p->not_before) {
        hp_time_format(p->not_before, when, sizeof(when));
        return hp_error_set(err, HP_ERR_INVALID, "%s: certificate not valid before %s", path, when);
    }
    if (now > p->not_after) {
        hp_time_format(p->not_after, when, sizeof(when));
        return hp_error_set(err, HP_ERR_INVALID, "%s: certificate expired at %s", path, when);
    }
    return HP_OK;
}

enum hp_err tls_parse_pair(const char *cert_path, const char *key_path, int64_t now,
                           struct tls_parsed *out, struct hp_error *err)
{
    memset(out, 0, sizeof(*out));
    enum hp_err rc = hp_file_read(cert_path, TLS_FILE_MAX, &out->cert_pem, &out->cert_len, err);
    if (rc != HP_OK) {
        goto out;
    }
    rc = hp_file_read(key_path, TLS_FILE_MAX, &out->key_pem, &out->key_len, err);
    if (rc != HP_OK) {
        goto out;
    }
    rc = parse_cert(cert_path, out->cert_pem, out->cert_len, &out->cert, err);
    if (rc != HP_OK) {
        goto out;
    }
    rc = parse_key(key_path, out->key_pem, out->key_len, &out->key, err);
    if (rc != HP_OK) {
        goto out;
    }
    rc = check_match(cert_path, key_path, out->cert, out->key, err);
    if (rc != HP_OK) {
        goto out;
    }
    rc = check_validity(cert_path, out, now, err);
out:
    if (rc != HP_OK) {
        tls_parsed_cleanup(out);
    }
    return rc;
}

void tls_parsed_cleanup(struct tls_parsed *p)
{
    X509_free(p->cert);
    EVP_PKEY_free(p->key);
    free(p->cert_pem);
    hp_file_free_secret(p->key_pem, p->key_len);
    memset(p, 0, sizeof(*p));
}

enum hp_err hp_tls_pair_load(const char *cert_path, const char *key_path, int64_t now,
                             struct hp_tls_pair *out, struct hp_error *err)
{
    struct tls_parsed p;
    enum hp_err rc = HP_OK;

    memset(&p, 0, sizeof(p));
    if (out == NULL || cert_path == NULL || key_path == NULL) {
        return hp_error_set(err, HP_ERR_INVALID, "hp_tls_pair_load: missing argument");
    }
    memset(out, 0, sizeof(*out));
    ERR_clear_error();
    rc = tls_parse_pair(cert_path, key_path, now, &p, err);
    if (rc != HP_OK) {
        goto out;
    }
    rc = tls_format_serial(p.cert, out->serial, sizeof(out->serial), err);
    if (rc != HP_OK) {
        goto out;
    }
    rc = tls_format_name(X509_get_subject_name(p.cert), out->subject, sizeof(out->subject), err);
    if (rc != HP_OK) {
        goto out;
    }
    tls_describe_key(p.key, out->key_type, sizeof(out->key_type));
    out->not_before = p.not_before;
    out->not_after = p.not_after;
    out->cert_pem = p.cert_pem;
    out->cert_len = p.cert_len;
    out->key_pem = p.key_pem;
    out->key_len = p.key_len;
    p.cert_pem = NULL;
    p.key_pem = NULL;
    p.key_len = 0;
out:
    tls_parsed_cleanup(&p);
    if (rc != HP_OK) {
        hp_tls_pair_cleanup(out);
    }
    return rc;
}

void hp_tls_pair_cleanup(struct hp_tls_pair *p)
{
    if (p == NULL) {
        return;
    }
    free(p->cert_pem);
    hp_file_free_secret(p->key_pem, p->key_len);
    memset(p, 0, sizeof(*p));
}
