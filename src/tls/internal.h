/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal to src/tls: capped file reads, atomic file writes, OpenSSL error
 * reasons, the parse-and-check step shared by hp_tls_pair_load and the CA
 * reuse path of hp_tls_generate, and the walk over a file of certificates
 * shared by the caBundle and the client CA. Nothing here keeps state between
 * calls.
 */
#ifndef HP_TLS_INTERNAL_H
#define HP_TLS_INTERNAL_H

#include "hardpod/tls.h"

#include <limits.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The largest certificate or key file we read. */
#define HP_TLS_FILE_MAX ((size_t)1 << 20)

/* Room for an OpenSSL reason list in a message. */
#define HP_TLS_REASON_MAX 256

/* Drains this thread's OpenSSL error queue into buf as "error:...; error:...",
 * or "no reason given" when the queue is empty. */
void hp_tls_ssl_reason(char *buf, size_t size);

/* Records "<what>: <OpenSSL reason>" with HP_ERR_CRYPTO, draining the queue. */
enum hp_err hp_tls_ssl_fail(struct hp_error *err, const char *what);

/* Reads path (at most HP_TLS_FILE_MAX bytes) into a NUL-terminated buffer the
 * caller frees with hp_tls_free_secret. Errors name the path. */
enum hp_err hp_tls_read_file(const char *path, char **data, size_t *len, struct hp_error *err);

/* Wipes and frees a buffer that may hold key material (NULL is a no-op). */
void hp_tls_free_secret(char *data, size_t len);

/* "2026-01-01T00:00:00Z" for unix seconds t. */
void hp_tls_format_time(int64_t t, char *buf, size_t size);

/* Unix seconds of an ASN1_TIME. */
enum hp_err hp_tls_asn1_time(const ASN1_TIME *t, int64_t *out, struct hp_error *err);

/* dst = "dir/name"; HP_ERR_LIMIT when it does not fit. */
enum hp_err hp_tls_path(char *dst, size_t size, const char *dir, const char *name,
                        struct hp_error *err);

/* One file written to a temporary name beside its destination, waiting to be
 * renamed over it. */
struct hp_tls_staged {
    char tmp[PATH_MAX];
    char dst[PATH_MAX];
    bool pending;
};

/* Writes data to a new temporary file in dir (O_CREAT|O_EXCL, exactly mode
 * whatever the umask), fsyncs it and records it in st. */
enum hp_err hp_tls_stage(const char *dir, const char *name, const void *data, size_t len,
                         mode_t mode, struct hp_tls_staged *st, struct hp_error *err);

/* Renames every pending file over its destination, then fsyncs dir. */
enum hp_err hp_tls_commit(const char *dir, struct hp_tls_staged *st, size_t n,
                          struct hp_error *err);

/* Unlinks the temporary files that were not committed. */
void hp_tls_discard(struct hp_tls_staged *st, size_t n);

/* A certificate and key read from disk and checked: both parse, the key
 * matches the first certificate, and now lies within its validity. */
struct hp_tls_parsed {
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
enum hp_err hp_tls_parse_pair(const char *cert_path, const char *key_path, int64_t now,
                              struct hp_tls_parsed *out, struct hp_error *err);
void hp_tls_parsed_cleanup(struct hp_tls_parsed *p);

/* "ECDSA P-256", "RSA 2048", "Ed25519", ... */
void hp_tls_describe_key(const EVP_PKEY *key, char *buf, size_t size);

/* Whether needle occurs in data[0..len). */
bool hp_tls_contains(const char *data, size_t len, const char *needle);

/* Whether the newest queued OpenSSL error says the input held no PEM block of
 * the wanted type (rather than a broken one). */
bool hp_tls_no_pem_block(void);

/* Copies src[0..len) into buf (size > 4), ending a truncated copy with "...". */
void hp_tls_clip(char *buf, size_t size, const char *src, size_t len);

/* Reads the first (leaf) certificate of PEM text into *out, with messages
 * naming path ("no PEM certificate found", "invalid PEM certificate"). On
 * success *rest is the caller's BIO positioned after the leaf, for reading the
 * rest of the chain; on error both are NULL. */
enum hp_err hp_tls_read_leaf(const char *path, const char *pem, size_t len, X509 **out, BIO **rest,
                             struct hp_error *err);

/* Walks every PEM block of data (read from path): each must be a valid
 * certificate and there must be at least one, so a private key never slips
 * into a caBundle or a trust list. For each certificate, in order, fn (when
 * not NULL) is called with ctx, the certificate (borrowed for the call) and
 * its position from 1; an error from fn stops the walk and is returned.
 * Messages name path, and holder says what the file is ("... is not a valid
 * certificate; a caBundle holds certificates only"). */
enum hp_err hp_tls_each_cert(const char *path, const char *data, size_t len, const char *holder,
                             enum hp_err (*fn)(void *ctx, X509 *cert, int index,
                                               struct hp_error *err),
                             void *ctx, struct hp_error *err);

/* A certificate name as one RFC 2253 line, clipped to size with "...". */
enum hp_err hp_tls_format_name(const X509_NAME *name, char *buf, size_t size, struct hp_error *err);

/* The certificate serial as hex without leading zeros ("A1B", "-5"). */
enum hp_err hp_tls_format_serial(const X509 *cert, char *buf, size_t size, struct hp_error *err);

#endif
