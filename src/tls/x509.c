/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers shared by the files of src/tls: OpenSSL error reasons, and a
 * certificate's times, names and serial as text, and its leaf read from PEM.
 * Depends on no other file of the module, so every one of them can use it.
 * No file I/O and no state.
 */
#include "internal.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void tls_ssl_reason(char *buf, size_t size)
{
    size_t used = 0;
    unsigned long e;
    const char *data = NULL;
    int flags = 0;

    buf[0] = '\0';
    /* Drain the whole queue even when the buffer is full, so that stale
     * errors never leak into the next call's message. */
    while ((e = ERR_get_error_all(NULL, NULL, NULL, &data, &flags)) != 0) {
        char one[256];
        ERR_error_string_n(e, one, sizeof(one));
        bool has_data = (flags & ERR_TXT_STRING) && data != NULL && data[0] != '\0';
        if (used + 1 >= size) {
            continue;
        }
        int n = snprintf(buf + used, size - used, "%s%s%s%s%s", used > 0 ? "; " : "", one,
                         has_data ? " (" : "", has_data ? data : "", has_data ? ")" : "");
        if (n < 0 || (size_t)n >= size - used) {
            used = size - 1;
        } else {
            used += (size_t)n;
        }
    }
    if (used == 0) {
        snprintf(buf, size, "no reason given");
    }
}

enum hp_err tls_ssl_fail(struct hp_error *err, const char *what)
{
    char reason[TLS_REASON_MAX];
    tls_ssl_reason(reason, sizeof(reason));
    return hp_error_set(err, HP_ERR_CRYPTO, "%s: %s", what, reason);
}

enum hp_err tls_asn1_time(const ASN1_TIME *t, int64_t *out, struct hp_error *err)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1) {
        return tls_ssl_fail(err, "cannot read a certificate time");
    }
    *out = (int64_t)timegm(&tm);
    return HP_OK;
}

enum hp_err tls_path(char *dst, size_t size, const char *dir, const char *name,
                     struct hp_error *err)
{
    int n = snprintf(dst, size, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= size) {
        return hp_error_set(err, HP_ERR_LIMIT, "%s/%s: path is too long", dir, name);
    }
    return HP_OK;
}

bool tls_contains(const char *data, size_t len, const char *needle)
{
    return memmem(data, len, needle, strlen(needle)) != NULL;
}

/* Whether the newest queued error says the input held no PEM block of the
 * wanted type (rather than a broken one). */
bool tls_no_pem_block(void)
{
    unsigned long e = ERR_peek_last_error();
    return ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
}

/* Copies src into buf, ending a truncated copy with "...". */
void tls_clip(char *buf, size_t size, const char *src, size_t len)
{
    if (len < size) {
        memcpy(buf, src, len);
        buf[len] = '\0';
        return;
    }
    memcpy(buf, src, size - 4);
    memcpy(buf + size - 4, "...", 4);
}

enum hp_err tls_format_name(const X509_NAME *name, char *buf, size_t size, struct hp_error *err)
{
    enum hp_err rc = HP_OK;
    char *text = NULL;

    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL || X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) < 0) {
        rc = tls_ssl_fail(err, "cannot print a certificate name");
        goto out;
    }
    long n = BIO_get_mem_data(bio, &text);
    tls_clip(buf, size, text != NULL ? text : "", n > 0 ? (size_t)n : 0);
out:
    BIO_free(bio);
    return rc;
}

enum hp_err tls_format_serial(const X509 *cert, char *buf, size_t size, struct hp_error *err)
{
    enum hp_err rc = HP_OK;
    char *hex = NULL;

    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
    if (bn != NULL) {
        hex = BN_bn2hex(bn);
    }
    if (hex == NULL) {
        rc = tls_ssl_fail(err, "cannot read the certificate serial");
        goto out;
    }
    /* BN_bn2hex prints whole bytes ("0A1B"); we print the number ("A1B"). */
    size_t sign = hex[0] == '-' ? 1 : 0;
    const char *digits = hex + sign;
    while (digits[0] == '0' && digits[1] != '\0') {
        digits++;
    }
    buf[0] = '-';
    tls_clip(buf + sign, size - sign, digits, strlen(digits));
out:
    OPENSSL_free(hex);
    BN_free(bn);
    return rc;
}

enum hp_err tls_read_leaf(const char *path, const char *pem, size_t len, X509 **out, BIO **rest,
                          struct hp_error *err)
{
    enum hp_err rc = HP_OK;

    *out = NULL;
    *rest = BIO_new_mem_buf(pem, (int)len);
    if (*rest == NULL) {
        return tls_ssl_fail(err, path);
    }
    *out = PEM_read_bio_X509(*rest, NULL, NULL, NULL);
    if (*out == NULL) {
        bool none = tls_no_pem_block();
        char reason[TLS_REASON_MAX];
        tls_ssl_reason(reason, sizeof(reason));
        if (none) {
            bool key = tls_contains(pem, len, "PRIVATE KEY-----");
            rc = hp_error_set(err, HP_ERR_INVALID, "%s: no PEM certificate found%s (%s)", path,
                              key ? ": the file holds a private key" : "", reason);
        } else {
            rc =
                hp_error_set(err, HP_ERR_INVALID, "%s: invalid PEM certificate (%s)", path, reason);
        }
        BIO_free(*rest);
        *rest = NULL;
    }
    return rc;
}
