/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Files of CA certificates: the walk over every PEM block of a bundle (each
 * must be a certificate, so a key never ends up in a caBundle or a trust
 * list). Reads only; never writes anything.
 */
#include "tls/internal.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <string.h>

enum hp_err hp_tls_each_cert(const char *path, const char *data, size_t len, const char *holder,
                             enum hp_err (*fn)(void *ctx, X509 *cert, int index,
                                               struct hp_error *err),
                             void *ctx, struct hp_error *err)
{
    enum hp_err rc = HP_OK;
    char reason[HP_TLS_REASON_MAX];
    char *name = NULL;
    char *header = NULL;
    unsigned char *der = NULL;
    long der_len = 0;

    BIO *bio = BIO_new_mem_buf(data, (int)len);
    if (bio == NULL) {
        return hp_tls_ssl_fail(err, path);
    }
    for (int i = 1;; i++) {
        if (PEM_read_bio(bio, &name, &header, &der, &der_len) != 1) {
            if (hp_tls_no_pem_block() && i > 1) {
                ERR_clear_error();
                break;
            }
            hp_tls_ssl_reason(reason, sizeof(reason));
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
