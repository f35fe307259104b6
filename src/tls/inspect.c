/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading a certificate file to describe it (subject, issuer, serial, SANs,
 * validity, key, CA flags, extended key usage) and encoding a CA file as a
 * webhook caBundle. Reports facts only: it never judges validity, never
 * writes anything and never reads a private key.
 */
#include "internal.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define DAY_SECONDS 86400

/* A name from the certificate as printable ASCII: anything else, and the
 * backslash itself, becomes \xHH so the text is unambiguous and inert. */
static char *escape(const unsigned char *data, int len)
{
    size_t n = len > 0 ? (size_t)len : 0;
    char *out = hp_xmalloc(n * 4 + 1);
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = data[i];
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out[used++] = (char)c;
        } else {
            snprintf(out + used, 5, "\\x%02x", c);
            used += 4;
        }
    }
    out[used] = '\0';
    return out;
}

static void push(char ***list, size_t *n, char *s)
{
    *list = hp_xrealloc(*list, (*n + 1) * sizeof(**list));
    (*list)[(*n)++] = s;
}

/* Parses the first certificate of a PEM file and counts the rest. */
static enum hp_err parse_pem(const char *path, const char *data, size_t len, X509 **out,
                             size_t *n_certs, struct hp_error *err)
{
    BIO *rest = NULL;
    enum hp_err rc = tls_read_leaf(path, data, len, out, &rest, err);
    if (rc != HP_OK) {
        return rc;
    }
    *n_certs = 1;
    for (X509 *next; (next = PEM_read_bio_X509(rest, NULL, NULL, NULL)) != NULL;) {
        X509_free(next);
        (*n_certs)++;
    }
    /* A broken certificate later in the file is not this function's
     * business: inspect describes the first one. */
    ERR_clear_error();
    BIO_free(rest);
    return HP_OK;
}

static enum hp_err parse_file(const char *path, const char *data, size_t len, X509 **out,
                              size_t *n_certs, struct hp_error *err)
{
    char reason[TLS_REASON_MAX];

    if (len == 0) {
        return hp_error_set(err, HP_ERR_INVALID, "%s: empty file, expected a certificate", path);
    }
    if (tls_contains(data, len, "-----BEGIN ")) {
        return parse_pem(path, data, len, out, n_certs, err);
    }
    const unsigned char *p = (const unsigned char *)data;
    *out = d2i_X509(NULL, &p, (long)len);
    if (*out != NULL && p == (const unsigned char *)data + len) {
        *n_certs = 1;
        return HP_OK;
    }
    X509_free(*out);
    *out = NULL;
    tls_ssl_reason(reason, sizeof(reason));
    /* OpenSSL's reason helps only with what looks like DER (an ASN.1
     * SEQUENCE); for anything else it is noise. */
    if ((unsigned char)data[0] == 0x30) {
        return hp_error_set(err, HP_ERR_INVALID, "%s: invalid DER certificate (%s)", path, reason);
    }
    return hp_error_set(err, HP_ERR_INVALID,
                        "%s: not a certificate (neither PEM nor DER): expected \"-----BEGIN "
                        "CERTIFICATE-----\"",
                        path);
}

static char *ip_text(const ASN1_OCTET_STRING *ip)
{
    char text[INET6_ADDRSTRLEN + 32];
    int len = ASN1_STRING_length(ip);
    const unsigned char *bytes = ASN1_STRING_get0_data(ip);
    int family = len == 4 ? AF_INET : len == 16 ? AF_INET6 : 0;

    if (family == 0 || inet_ntop(family, bytes, text, sizeof(text)) == NULL) {
        snprintf(text, sizeof(text), "(invalid: %d bytes)", len);
    }
    return hp_xstrdup(text);
}

static enum hp_err read_sans(const X509 *cert, struct hp_tls_info *out, struct hp_error *err)
{
    int crit = -1;
    GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, &crit, NULL);
    if (names == NULL) {
        /* crit is -1 when the extension is absent, -2 when it repeats, and
         * the extension's own flag when it is present but undecodable. */
        return crit == -1 ? HP_OK : tls_ssl_fail(err, "cannot read the subjectAltName extension");
    }
    for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
        const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
        if (gn->type == GEN_DNS) {
            push(&out->dns, &out->n_dns,
                 escape(ASN1_STRING_get0_data(gn->d.dNSName), ASN1_STRING_length(gn->d.dNSName)));
        } else if (gn->type == GEN_IPADD) {
            push(&out->ips, &out->n_ips, ip_text(gn->d.iPAddress));
        }
    }
    GENERAL_NAMES_free(names);
    return HP_OK;
}

static void append(char *buf, size_t size, const char *s)
{
    size_t used = strlen(buf);
    char joined[256];
    int n = snprintf(joined, sizeof(joined), "%s%s", used > 0 ? ", " : "", s);
    if (n < 0) {
        return;
    }
    if (used + (size_t)n < size) {
        memcpy(buf + used, joined, (size_t)n + 1);
    } else if (used + 4 < size) {
        memcpy(buf + size - 4, "...", 4);
    }
}

static enum hp_err read_eku(const X509 *cert, struct hp_tls_info *out, struct hp_error *err)
{
    int crit = -1;
    EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(cert, NID_ext_key_usage, &crit, NULL);
    if (eku == NULL) {
        out->server_auth = crit == -1;
        return crit == -1 ? HP_OK : tls_ssl_fail(err, "cannot read the extendedKeyUsage extension");
    }
    out->has_eku = true;
    for (int i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
        const ASN1_OBJECT *obj = sk_ASN1_OBJECT_value(eku, i);
        int nid = OBJ_obj2nid(obj);
        char oid[80];
        if (nid == NID_server_auth || nid == NID_anyExtendedKeyUsage) {
            out->server_auth = true;
        }
        if (nid != NID_undef) {
            append(out->eku, sizeof(out->eku), OBJ_nid2ln(nid));
        } else if (OBJ_obj2txt(oid, sizeof(oid), obj, 1) > 0) {
            append(out->eku, sizeof(out->eku), oid);
        }
    }
    sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
    return HP_OK;
}

static enum hp_err describe(X509 *cert, struct hp_tls_info *out, struct hp_error *err)
{
    enum hp_err rc =
        tls_format_name(X509_get_subject_name(cert), out->subject, sizeof(out->subject), err);
    if (rc == HP_OK) {
        rc = tls_format_name(X509_get_issuer_name(cert), out->issuer, sizeof(out->issuer), err);
    }
    if (rc == HP_OK) {
        rc = tls_format_serial(cert, out->serial, sizeof(out->serial), err);
    }
    if (rc == HP_OK) {
        rc = tls_asn1_time(X509_get0_notBefore(cert), &out->not_before, err);
    }
    if (rc == HP_OK) {
        rc = tls_asn1_time(X509_get0_notAfter(cert), &out->not_after, err);
    }
    if (rc != HP_OK) {
        return rc;
    }
    EVP_PKEY *key = X509_get0_pubkey(cert);
    if (key != NULL) {
        tls_describe_key(key, out->key_type, sizeof(out->key_type));
    } else {
        snprintf(out->key_type, sizeof(out->key_type), "unknown");
    }
    out->is_ca = (X509_get_extension_flags(cert) & EXFLAG_CA) != 0;
    out->path_len = out->is_ca ? X509_get_pathlen(cert) : -1;
    out->self_signed = X509_self_signed(cert, 1) == 1;
    /* Neither an unknown key algorithm nor a failed self-signature check
     * is an error here; their reasons must not leak into later messages. */
    ERR_clear_error();
    rc = read_sans(cert, out, err);
    if (rc == HP_OK) {
        rc = read_eku(cert, out, err);
    }
    return rc;
}

enum hp_err hp_tls_inspect(const char *path, struct hp_tls_info *out, struct hp_error *err)
{
    char *data = NULL;
    size_t len = 0;
    X509 *cert = NULL;

    if (path == NULL || out == NULL) {
        return hp_error_set(err, HP_ERR_INVALID, "hp_tls_inspect: missing argument");
    }
    memset(out, 0, sizeof(*out));
    out->path_len = -1;
    ERR_clear_error();
    enum hp_err rc = hp_file_read(path, TLS_FILE_MAX, &data, &len, err);
    if (rc != HP_OK) {
        goto out;
    }
    rc = parse_file(path, data, len, &cert, &out->n_certs, err);
    if (rc != HP_OK) {
        goto out;
    }
    rc = describe(cert, out, err);
    if (rc != HP_OK) {
        hp_error_prefix(err, "%s", path);
    }
out:
    X509_free(cert);
    /* The file may be a key someone passed by mistake. */
    hp_file_free_secret(data, len);
    if (rc != HP_OK) {
        hp_tls_info_cleanup(out);
    }
    return rc;
}

static void free_list(char **list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(list[i]);
    }
    free(list);
}

void hp_tls_info_cleanup(struct hp_tls_info *info)
{
    if (info == NULL) {
        return;
    }
    free_list(info->dns, info->n_dns);
    free_list(info->ips, info->n_ips);
    memset(info, 0, sizeof(*info));
    info->path_len = -1;
}

int64_t hp_tls_info_days_left(const struct hp_tls_info *info, int64_t now)
{
    int64_t left = info->not_after - now;
    int64_t days = left / DAY_SECONDS;
    /* C division truncates toward zero; expired certificates round down. */
    if (left < 0 && left % DAY_SECONDS != 0) {
        days--;
    }
    return days;
}

enum hp_err hp_tls_bundle_load(const char *path, char **b64, size_t *len, struct hp_error *err)
{
    char *data = NULL;
    size_t n = 0;

    if (path == NULL || b64 == NULL || len == NULL) {
        return hp_error_set(err, HP_ERR_INVALID, "hp_tls_bundle_load: missing argument");
    }
    *b64 = NULL;
    *len = 0;
    ERR_clear_error();
    enum hp_err rc = hp_file_read(path, TLS_FILE_MAX, &data, &n, err);
    if (rc != HP_OK) {
        goto out;
    }
    rc = tls_each_cert(path, data, n, "caBundle", NULL, NULL, err);
    if (rc != HP_OK) {
        goto out;
    }
    /* n is at most TLS_FILE_MAX, so both sizes fit an int. */
    char *text = hp_xmalloc((n + 2) / 3 * 4 + 1);
    int written = EVP_EncodeBlock((unsigned char *)text, (const unsigned char *)data, (int)n);
    if (written < 0) {
        free(text);
        rc = tls_ssl_fail(err, path);
        goto out;
    }
    text[written] = '\0';
    *b64 = text;
    *len = (size_t)written;
out:
    hp_file_free_secret(data, n);
    return rc;
}
