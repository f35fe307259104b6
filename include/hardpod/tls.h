/* SPDX-License-Identifier: Apache-2.0 */
/*
 * X.509 tooling with OpenSSL's libcrypto: load and check a PEM certificate and
 * key (the key matches, the certificate is within its validity), read expiry
 * and serial, and generate a CA and a CA-signed serving certificate (ECDSA
 * P-256 or RSA 2048) with subjectAltNames and serverAuth, and read a bundle
 * of CA certificates to trust; check DNS names for certificates; fill a
 * webhook configuration template with the caBundle. Errors carry OpenSSL's
 * own reason. Thread-safe: no shared state.
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

/* What `hardpod certs inspect` shows about a certificate file. Fixed-size
 * text fields are NUL-terminated and end in "..." when clipped; dns and ips
 * are owned by the struct (each entry a NUL-terminated string) and freed by
 * hp_tls_info_cleanup. Text from the certificate is escaped: a control or
 * non-ASCII byte in a name appears as \xHH (subject and issuer use RFC 2253
 * escapes), so printing a field never emits terminal control sequences. */
struct hp_tls_info {
    char subject[256]; /* RFC 2253, one line: "CN=hardpod.hardpod-system.svc" */
    char issuer[256];
    char serial[72];    /* hex, leading zeros dropped, as in struct hp_tls_pair */
    int64_t not_before; /* unix seconds */
    int64_t not_after;
    char key_type[32]; /* "ECDSA P-256", "RSA 2048", ... ("unknown" if unreadable) */
    bool is_ca;        /* basicConstraints CA:TRUE */
    long path_len;     /* the CA's pathLenConstraint; -1 when absent or not a CA */
    bool self_signed;  /* the subject issued it and its own key verifies the signature */
    bool has_eku;      /* an extendedKeyUsage extension is present */
    bool server_auth;  /* TLS clients accept it for a server as far as extendedKeyUsage
                          goes: no such extension, or one listing serverAuth or
                          anyExtendedKeyUsage */
    char eku[256];     /* the extension's purposes, ", " separated, with OpenSSL's long
                          names ("TLS Web Server Authentication"); "" when absent */
    char **dns;        /* owned: DNS subjectAltNames in certificate order */
    size_t n_dns;
    char **ips; /* owned: IP subjectAltNames as text ("127.0.0.1", "::1") */
    size_t n_ips;
    size_t n_certs; /* certificates in the file; the fields describe the first */
};

/* Reads path (at most 1 MiB) and describes its first certificate. The file
 * is PEM (a chain or bundle: the first certificate is described, the others
 * counted) or a single DER certificate. Errors name the path: HP_ERR_IO when
 * it cannot be read ("ca.crt: No such file or directory"), HP_ERR_INVALID
 * when it holds no certificate ("tls.key: no PEM certificate found: the file
 * holds a private key"). Validity is reported, never checked: an expired
 * certificate inspects fine. On error out holds nothing; either way
 * hp_tls_info_cleanup may be called on it. Thread-safe. */
enum hp_err hp_tls_inspect(const char *path, struct hp_tls_info *out, struct hp_error *err);

/* Frees dns and ips and empties info (zeroed, path_len -1). NULL and
 * repeated calls are no-ops. */
void hp_tls_info_cleanup(struct hp_tls_info *info);

/* Whole days from now until not_after, rounded down: 364 for a 365-day
 * certificate a second after it was issued, -1 in the first day after it
 * expired. */
int64_t hp_tls_info_days_left(const struct hp_tls_info *info, int64_t now);

/* Reads path (at most 1 MiB; every PEM block in it must be a certificate,
 * and there must be at least one, so a key can never leak into a caBundle)
 * and encodes its bytes as standard base64 on one line with no
 * newline: the form of a webhook's clientConfig.caBundle. *b64 is owned by
 * the caller (free()), NUL-terminated, *len its length without the NUL. On
 * error *b64 is NULL and the message names the path. Thread-safe. */
enum hp_err hp_tls_bundle_load(const char *path, char **b64, size_t *len, struct hp_error *err);

/* CA certificates that client certificates must chain to (serve --client-ca),
 * as read from disk. */
struct hp_tls_ca {
    char *pem; /* owned, NUL-terminated: the whole file, certificates only */
    size_t len;
    size_t n_certs;    /* certificates in the file, at least 1 */
    size_t n_valid;    /* of them, those valid at the time given to the load */
    int64_t not_after; /* unix seconds: the earliest expiry among the valid ones */
    char subject[256]; /* the first certificate's subject, RFC 2253, one line */
};

/* Reads path (at most 1 MiB) as a PEM bundle of CA certificates and checks
 * it: every PEM block is a certificate, there is at least one, each is a CA
 * (basicConstraints CA:TRUE) whose keyUsage, if present, allows signing
 * certificates, and at least one is valid at now (a bundle may keep an
 * expired CA beside its successor). Errors name the path and, for a bad
 * certificate, its position and subject ("client-ca.crt: certificate 2
 * (CN=webhook-client) is not a CA ..."): HP_ERR_IO when the file cannot be
 * read, HP_ERR_INVALID otherwise. On error out holds nothing. Free with
 * hp_tls_ca_cleanup (NULL and repeated calls are no-ops). Thread-safe. */
enum hp_err hp_tls_ca_load(const char *path, int64_t now, struct hp_tls_ca *out,
                           struct hp_error *err);
void hp_tls_ca_cleanup(struct hp_tls_ca *ca);

/* The rules hp_tls_dns_check applies. */
enum hp_tls_dns_rule {
    /* A DNS subjectAltName: dot-separated RFC 1123 labels of ASCII letters
     * (either case), digits and '-', each 1-63 bytes and neither starting nor
     * ending with '-', at most 253 bytes in all, no trailing dot; the whole
     * first label may be the wildcard "*" ("*.example.com", RFC 6125). No '_'. */
    HP_TLS_DNS_SAN,
    /* A Kubernetes DNS-1123 label (Service and namespace names): 1-63 bytes
     * of lowercase letters, digits and '-', starting and ending with a
     * letter or digit. */
    HP_TLS_DNS_LABEL,
};

/* Checks name against rule. HP_OK, or HP_ERR_INVALID with what is wrong,
 * without the name itself, for the caller to put in context ("'_' is not
 * allowed: use letters, digits and '-'", "it is 64 characters long, the
 * limit is 63"). name NULL is an error. hp_tls_generate applies
 * HP_TLS_DNS_SAN to every DNS name it is given. Thread-safe. */
enum hp_err hp_tls_dns_check(const char *name, enum hp_tls_dns_rule rule, struct hp_error *err);

/* The values of a webhook configuration template's placeholders, borrowed. */
struct hp_tls_template_vars {
    const char *ca_bundle; /* ${CA_BUNDLE} */
    const char *service;   /* ${SERVICE} */
    const char *ns;        /* ${NAMESPACE} */
};

/* Reads a webhook configuration template: at most 1 MiB of text with no NUL
 * byte that contains ${CA_BUNDLE}. *text is owned by the caller (free()),
 * NUL-terminated; NULL on error. Errors name the path: HP_ERR_IO when it
 * cannot be read, HP_ERR_LIMIT when too large, HP_ERR_INVALID otherwise
 * ("webhook.yaml.in: the template has no ${CA_BUNDLE} placeholder ..."). */
enum hp_err hp_tls_template_load(const char *path, char **text, struct hp_error *err);

/* Fills tmpl (as loaded from path, which only labels messages) with v: every
 * ${CA_BUNDLE}, ${SERVICE} and ${NAMESPACE} is replaced by its value, and
 * everything else is copied byte for byte. Any other ${NAME} (uppercase
 * letters, digits and '_') is kept as it is and, when unknown is not NULL,
 * reported through it with ctx, its line (from 1) and its text (not
 * NUL-terminated). *out is owned by the caller (free()), *out_len its length;
 * HP_ERR_LIMIT when the result would exceed 16 MiB. */
enum hp_err
hp_tls_template_render(const char *path, const char *tmpl, const struct hp_tls_template_vars *v,
                       void (*unknown)(void *ctx, size_t line, const char *text, size_t len),
                       void *ctx, char **out, size_t *out_len, struct hp_error *err);

#endif
