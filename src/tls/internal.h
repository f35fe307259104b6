/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal to src/tls: OpenSSL error reasons, certificate names, serials and
 * times (x509.c), the parse-and-check step shared by hp_tls_pair_load and the
 * CA reuse path of hp_tls_generate (load.c), and the walk over a file of
 * certificates shared by the caBundle and the client CA (ca.c). Files are read
 * and written through hardpod/file.h. Nothing here keeps state between calls.
 */
#ifndef HP_TLS_INTERNAL_H
#define HP_TLS_INTERNAL_H

#include "hardpod/file.h"
#include "hardpod/time.h"
#include "hardpod/tls.h"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest certificate or key file we read. */
#define TLS_FILE_MAX ((size_t)1 << 20)

/* Room for an OpenSSL reason list in a message. */
#define TLS_REASON_MAX 256

/* Drains this thread's OpenSSL error queue into buf as "error:...; error:...",
 * or "no reason given" when the queue is empty. */
void tls_ssl_reason(char *buf, size_t size);

/* Records "<what>: <OpenSSL reason>" with HP_ERR_CRYPTO, draining the queue. */
enum hp_err tls_ssl_fail(struct hp_error *err, const char *what);

/* Unix seconds of an ASN1_TIME. */
enum hp_err tls_asn1_time(const ASN1_TIME *t, int64_t *out, struct hp_error *err);

/* dst = "dir/name"; HP_ERR_LIMIT when it does not fit. */
enum hp_err tls_path(char *dst, size_t size, const char *dir, const char *name,
                     struct hp_error *err);

/* A certificate and key read from disk and checked: both parse, the key
 * matches the first certificate, and now lies within its validity. */
struct tls_parsed {
    X509 *cert; /* owned: the first (leaf) certificate */
    EVP_PKEY *key;
    char *cert_pem; /* owned, NUL-terminated, the whole file */
    size_t cert_len;
    char *key_pem; /* owned, NUL-terminated, wiped on cleanup */
    size_t key_len;
    int64_t not_before;
    int64_t not_after;
};

/* Reads and checks the pair. On error out holds nothing. */
enum hp_err tls_parse_pair(const char *cert_path, const char *key_path, int64_t now,
                           struct tls_parsed *out, struct hp_error *err);
void tls_parsed_cleanup(struct tls_parsed *p);

/* "ECDSA P-256", "RSA 2048", "Ed25519", ... */
void tls_describe_key(const EVP_PKEY *key, char *buf, size_t size);

/* Whether needle occurs in data[0..len). */
bool tls_contains(const char *data, size_t len, const char *needle);

/* Whether the newest queued OpenSSL error says the input held no PEM block of
 * the wanted type (rather than a broken one). */
bool tls_no_pem_block(void);

/* Copies src[0..len) into buf (size > 4), ending a truncated copy with "...". */
void tls_clip(char *buf, size_t size, const char *src, size_t len);

/* Reads the first (leaf) certificate of PEM text into *out, with messages
 * naming path ("no PEM certificate found", "invalid PEM certificate"). On
 * success *rest is the caller's BIO positioned after the leaf, for reading the
 * rest of the chain; on error both are NULL. */
enum hp_err tls_read_leaf(const char *path, const char *pem, size_t len, X509 **out, BIO **rest,
                          struct hp_error *err);

/* Walks every PEM block of data (read from path): each must be a valid
 * certificate and there must be at least one, so a private key never slips
 * into a caBundle or a trust list. For each certificate, in order, fn (when
 * not NULL) is called with ctx, the certificate (borrowed for the call) and
 * its position from 1; an error from fn stops the walk and is returned.
 * Messages name path, and holder says what the file is ("... is not a valid
 * certificate; a caBundle holds certificates only"). (ca.c) */
enum hp_err tls_each_cert(const char *path, const char *data, size_t len, const char *holder,
                          enum hp_err (*fn)(void *ctx, X509 *cert, int index, struct hp_error *err),
                          void *ctx, struct hp_error *err);

/* A certificate name as one RFC 2253 line, clipped to size with "...". (x509.c) */
enum hp_err tls_format_name(const X509_NAME *name, char *buf, size_t size, struct hp_error *err);

/* The certificate serial as hex without leading zeros ("A1B", "-5"). */
enum hp_err tls_format_serial(const X509 *cert, char *buf, size_t size, struct hp_error *err);

#endif
