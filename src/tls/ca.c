/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Files of CA certificates: the walk over every PEM block of a bundle (each
 * must be a certificate, so a key never ends up in a caBundle or a trust
 * list) and the CAs that client certificates must chain to (serve
 * --client-ca): each must be a CA that may sign certificates, and one at
 * least must be valid now. Reads only; never writes anything.
 */
#include "internal.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum hp_err tls_each_cert(const char *path, const char *data, size_t len, const char *holder,
                          enum hp_err (*fn)(void *ctx, X509 *cert, int index, struct hp_error *err),
                          void *ctx, struct hp_error *err)
{
    enum hp_err rc = HP_OK;
    char reason[TLS_REASON_MAX];
    char *name = NULL;
    char *header = NULL;
    unsigned char *der = NULL;
    long der_len = 0;

    BIO *bio = BIO_new_mem_buf(data, (int)len);
    if (bio == NULL) {
        return tls_ssl_fail(err, path);
    }
    for (int i = 1;; i++) {
        if (PEM_read_bio(bio, &name, &header, &der, &der_len) != 1) {
            if (tls_no_pem_block() && i > 1) {
                ERR_clear_error();
                break;
            }
            tls_ssl_reason(reason, sizeof(reason));
            rc = hp_error_set(err, HP_ERR_INVALID, "%s: %s (%s)", path,
                              i == 1 ? "no PEM certificate found" : "invalid PEM block", reason);
            break;
        }
        const unsigned char *p = der;
        X509 *cert = NULL;
        if (strcmp(name, "CERTIFICATE") == 0) {
            cert = d2i_X509(NULL, &p, der_len);
        }
        if (cert == NULL || p != der + der_len) {
            ERR_clear_error();
            rc = hp_error_set(err, HP_ERR_INVALID,
                              "%s: PEM block %d (%.40s) is not a valid certificate; a %s holds "
                              "certificates only",
                              path, i, name, holder);
        } else if (fn != NULL) {
            rc = fn(ctx, cert, i, err);
        }
        X509_free(cert);
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_clear_free(der, der_len > 0 ? (size_t)der_len : 0);
        name = header = NULL;
        der = NULL;
        if (rc != HP_OK) {
            break;
        }
    }
    BIO_free(bio);
    return rc;
}

/* What the walk over a client CA file has seen so far. */
struct ca_walk {
    const char *path;
    int64_t now;
    struct hp_tls_ca *out;
    char first_invalid[384]; /* why the first certificate outside its validity is */
};

static enum hp_err check_ca(void *ctx, X509 *cert, int index, struct hp_error *err)
{
    struct ca_walk *w = ctx;
    char subject[256];
    char when[HP_TIME_TEXT_MAX];
    int64_t not_before = 0;
    int64_t not_after = 0;

    enum hp_err rc = tls_format_name(X509_get_subject_name(cert), subject, sizeof(subject), err);
    if (rc == HP_OK) {
        rc = tls_asn1_time(X509_get0_notBefore(cert), &not_before, err);
    }
    if (rc == HP_OK) {
        rc = tls_asn1_time(X509_get0_notAfter(cert), &not_after, err);
    }
    if (rc != HP_OK) {
        hp_error_prefix(err, "%s: certificate %d", w->path, index);
        return rc;
    }
    uint32_t flags = X509_get_extension_flags(cert);
    if ((flags & EXFLAG_CA) == 0) {
        return hp_error_set(err, HP_ERR_INVALID,
                            "%s: certificate %d (%s) is not a CA (basicConstraints CA:TRUE is "
                            "missing): give the CA that issues the client certificates, not a "
                            "client certificate",
                            w->path, index, subject);
    }
    if ((flags & EXFLAG_KUSAGE) != 0 && (X509_get_key_usage(cert) & KU_KEY_CERT_SIGN) == 0) {
        return hp_error_set(err, HP_ERR_INVALID,
                            "%s: certificate %d (%s) is a CA whose keyUsage lacks keyCertSign, so "
                            "no certificate it signed can be trusted",
                            w->path, index, subject);
    }
    if (index == 1) {
        memcpy(w->out->subject, subject, sizeof(w->out->subject));
    }
    w->out->n_certs++;
    if (not_before <= w->now && w->now <= not_after) {
        if (w->out->n_valid == 0 || not_after < w->out->not_after) {
            w->out->not_after = not_after;
        }
        w->out->n_valid++;
    } else if (w->first_invalid[0] == '\0') {
        bool early = w->now < not_before;
        hp_time_format(early ? not_before : not_after, when, sizeof(when));
        snprintf(w->first_invalid, sizeof(w->first_invalid), "certificate %d (%s) %s %s", index,
                 subject, early ? "is not valid before" : "expired at", when);
    }
    return HP_OK;
}

enum hp_err hp_tls_ca_load(const char *path, int64_t now, struct hp_tls_ca *out,
                           struct hp_error *err)
{
    char *data = NULL;
    size_t len = 0;

    if (path == NULL || out == NULL) {
        return hp_error_set(err, HP_ERR_INVALID, "hp_tls_ca_load: missing argument");
    }
    memset(out, 0, sizeof(*out));
    ERR_clear_error();
    enum hp_err rc = hp_file_read(path, TLS_FILE_MAX, &data, &len, err);
    if (rc != HP_OK) {
        goto out;
    }
    if (len == 0) {
        rc =
            hp_error_set(err, HP_ERR_INVALID, "%s: empty file, expected PEM CA certificates", path);
        goto out;
    }
    struct ca_walk w = {.path = path, .now = now, .out = out};
    rc = tls_each_cert(path, data, len, "CA file", check_ca, &w, err);
    if (rc != HP_OK) {
        goto out;
    }
    if (out->n_valid == 0) {
        rc = hp_error_set(err, HP_ERR_INVALID, "%s: no certificate in the file is valid now: %s",
                          path, w.first_invalid);
        goto out;
    }
    out->pem = data;
    out->len = len;
    data = NULL;
out:
    /* A file that failed the checks may be a key someone passed by mistake. */
    hp_file_free_secret(data, len);
    if (rc != HP_OK) {
        hp_tls_ca_cleanup(out);
    }
    return rc;
}

void hp_tls_ca_cleanup(struct hp_tls_ca *ca)
{
    if (ca == NULL) {
        return;
    }
    free(ca->pem);
    memset(ca, 0, sizeof(*ca));
}
