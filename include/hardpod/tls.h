/* SPDX-License-Identifier: Apache-2.0 */
/*
 * X.509 tooling with OpenSSL's libcrypto: load and check a PEM certificate and
 * key (the key matches, the certificate is within its validity), read expiry
 * and serial, and generate a CA and a CA-signed serving certificate (ECDSA
 * P-256 or RSA 2048) with subjectAltNames and serverAuth. Errors carry
 * OpenSSL's own reason. Thread-safe: no shared state.
 */
#ifndef HARDPOD_TLS_H
#define HARDPOD_TLS_H

#include "hardpod/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A certificate and key pair read from disk, as PEM text. */
struct hp_tls_pair {
    char *cert_pem; /* owned, NUL-terminated; the whole chain as read */
    size_t cert_len;
    char *key_pem; /* owned, NUL-terminated */
    size_t key_len;
    int64_t not_before; /* unix seconds, of the leaf */
    int64_t not_after;
    char serial[72];   /* leaf serial, hex */
    char subject[256]; /* leaf subject, one line */
    char key_type[32]; /* "ECDSA P-256", "RSA 2048", ... */
};

/* Reads cert_path and key_path (each at most 1 MiB) and checks them: both
 * parse as PEM, the private key matches the leaf certificate's public key,
 * and now lies within the leaf's validity. Errors name the file and the
 * problem ("tls.crt: certificate expired at 2026-01-01T00:00:00Z",
 * "tls.key does not match the certificate in tls.crt"). On error out holds
 * nothing. Free with hp_tls_pair_cleanup. The cert file may hold a chain
 * (leaf first); the key may be PKCS#8, PKCS#1 or SEC1 and must not be
 * encrypted. Validity is inclusive: not_before <= now <= not_after. */
enum hp_err hp_tls_pair_load(const char *cert_path, const char *key_path, int64_t now,
                             struct hp_tls_pair *out, struct hp_error *err);
void hp_tls_pair_cleanup(struct hp_tls_pair *p);

enum hp_tls_key_type {
    HP_TLS_KEY_ECDSA_P256,
    HP_TLS_KEY_RSA_2048,
};

/* What to generate. */
struct hp_tls_gen {
    enum hp_tls_key_type key_type; /* of the leaf and of a new CA */
    int days;                      /* leaf validity, 1..3650; 0 means 365 */
    int ca_days;                   /* a new CA's validity, >= days, 1..3650; 0 means 3650 */
    const char *common_name;       /* leaf CN; NULL or "": the first DNS name, else the first IP */
    const char *const *dns;        /* leaf DNS SANs */
    size_t n_dns;
    const char *const *ips; /* leaf IP SANs (IPv4 or IPv6 text) */
    size_t n_ips;           /* n_dns + n_ips must be at least 1 */
};

/* Writes ca.crt and ca.key (unless ca_cert/ca_key name existing files to
 * reuse: then the CA is loaded from them), then tls.crt and tls.key signed by
 * that CA, into dir. Key files are created with mode 0600.
 * dir must exist. ca_cert and ca_key are given together or not at all; given,
 * they must hold a valid CA (basicConstraints CA:TRUE) and its key, and
 * nothing is written to ca.crt/ca.key. When both are NULL and dir already
 * holds ca.crt and ca.key, that CA is reused unchanged (so rotating the leaf
 * keeps the caBundle); with neither, a new CA is made; with only one, it is an
 * error. The leaf may not outlive its CA. Certificates get mode 0644; every
 * file is replaced atomically (temporary file, fsync, rename). */
enum hp_err hp_tls_generate(const char *dir, const struct hp_tls_gen *g, const char *ca_cert,
                            const char *ca_key, struct hp_error *err);

#endif
