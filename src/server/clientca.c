/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Client certificate verification (--client-ca): with it, a TLS handshake
 * completes only for a client whose certificate chains to one of the CAs in
 * the client CA file, so nothing else ever reaches the HTTP parser. The trust
 * list is replaced without a restart; each verification holds a reference to
 * the list it uses, so a reload never frees a list under a handshake.
 */
#include "internal.h"
#include "hardpod/obs.h"

#include <gnutls/x509.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

/* Longer client chains are refused unread (the apiserver sends one leaf). */
#define MAX_CHAIN 8

struct trust {
    gnutls_x509_trust_list_t list;
    unsigned refs; /* under lock: the current pointer's and each verification's */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct trust *current;
static atomic_llong last_warning; /* CLOCK_MONOTONIC second of the last rejection logged */

static struct trust *trust_get(void)
{
    pthread_mutex_lock(&lock);
    struct trust *t = current;
    if (t != NULL) {
        t->refs++;
    }
    pthread_mutex_unlock(&lock);
    return t;
}

static void trust_put(struct trust *t)
{
    if (t == NULL) {
        return;
    }
    pthread_mutex_lock(&lock);
    bool last = --t->refs == 0;
    pthread_mutex_unlock(&lock);
    if (last) {
        gnutls_x509_trust_list_deinit(t->list, 1);
        free(t);
    }
}

enum hp_err srv_clientca_load(const char *path, int64_t now, struct hp_tls_ca *ca_out,
                              struct hp_error *err)
{
    struct hp_tls_ca ca;
    enum hp_err rc = hp_tls_ca_load(path, now, &ca, err);
    if (rc != HP_OK) {
        return rc;
    }
    struct trust *t = hp_xcalloc(1, sizeof(*t));
    int g = gnutls_x509_trust_list_init(&t->list, 0);
    if (g < 0) {
        t->list = NULL;
        rc = hp_error_set(err, HP_ERR_CRYPTO, "%s: GnuTLS cannot make a trust list: %s", path,
                          gnutls_strerror(g));
        goto out;
    }
    gnutls_datum_t pem = {(unsigned char *)ca.pem, (unsigned int)ca.len};
    g = gnutls_x509_trust_list_add_trust_mem(t->list, &pem, NULL, GNUTLS_X509_FMT_PEM, 0, 0);
    if (g < 0 || (size_t)g != ca.n_certs) {
        rc = hp_error_set(err, HP_ERR_CRYPTO,
                          "%s: GnuTLS cannot use the CA certificates (%zu in the file): %s", path,
                          ca.n_certs, g < 0 ? gnutls_strerror(g) : "some were not added");
        goto out;
    }
    t->refs = 1;
    pthread_mutex_lock(&lock);
    struct trust *old = current;
    current = t;
    pthread_mutex_unlock(&lock);
    trust_put(old);
    t = NULL;
out:
    if (t != NULL) {
        if (t->list != NULL) {
            gnutls_x509_trust_list_deinit(t->list, 1);
        }
        free(t);
    }
    if (rc == HP_OK && ca_out != NULL) {
        *ca_out = ca;
    } else {
        hp_tls_ca_cleanup(&ca);
    }
    return rc;
}

void srv_clientca_cleanup(void)
{
    pthread_mutex_lock(&lock);
    struct trust *t = current;
    current = NULL;
    pthread_mutex_unlock(&lock);
    trust_put(t);
}

/* The alert that tells the client what is wrong with its certificate. */
static gnutls_alert_description_t alert_for(unsigned int status)
{
    if (status & GNUTLS_CERT_SIGNER_NOT_FOUND) {
        return GNUTLS_A_UNKNOWN_CA;
    }
    if (status & (GNUTLS_CERT_EXPIRED | GNUTLS_CERT_NOT_ACTIVATED)) {
        return GNUTLS_A_CERTIFICATE_EXPIRED;
    }
    if (status & GNUTLS_CERT_PURPOSE_MISMATCH) {
        return GNUTLS_A_UNSUPPORTED_CERTIFICATE;
    }
    return GNUTLS_A_BAD_CERTIFICATE;
}

static bool warning_due(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long last = atomic_load(&last_warning);
    return now.tv_sec != last && atomic_compare_exchange_strong(&last_warning, &last, now.tv_sec);
}

/* Logs a rejected certificate (at most once a second: a misconfigured client
 * retries on every admission request, a hostile one as fast as it can). */
static void log_rejection(gnutls_x509_crt_t leaf, unsigned int status, const char *why)
{
    if (!warning_due()) {
        return;
    }
    gnutls_datum_t reason = {NULL, 0};
    gnutls_datum_t subject = {NULL, 0};
    gnutls_datum_t issuer = {NULL, 0};
    if (why == NULL &&
        gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &reason, 0) < 0) {
        reason.data = NULL;
    }
    if (leaf != NULL && gnutls_x509_crt_get_dn3(leaf, &subject, 0) < 0) {
        subject.data = NULL;
    }
    if (leaf != NULL && gnutls_x509_crt_get_issuer_dn3(leaf, &issuer, 0) < 0) {
        issuer.data = NULL;
    }
    const char *text = why != NULL ? why : (const char *)reason.data;
    hp_log(HP_LOG_WARN, "client certificate rejected",
           (struct hp_log_field[]){HP_LOG_S("reason", text != NULL ? text : "not trusted"),
                                   HP_LOG_S("subject", (const char *)subject.data),
                                   HP_LOG_S("issuer", (const char *)issuer.data)},
           3);
    gnutls_free(reason.data);
    gnutls_free(subject.data);
    gnutls_free(issuer.data);
}

/* Runs in the handshake once the client's Certificate message has arrived.
 * Non-zero fails the handshake (GNUTLS_E_CERTIFICATE_ERROR). */
static int verify_peer(gnutls_session_t session)
{
    gnutls_x509_crt_t chain[MAX_CHAIN];
    unsigned int n_chain = 0;
    unsigned int n = 0;
    unsigned int status = GNUTLS_CERT_INVALID;
    const char *why = NULL;
    int rc = -1;

    const gnutls_datum_t *der = gnutls_certificate_get_peers(session, &n);
    if (gnutls_certificate_type_get2(session, GNUTLS_CTYPE_PEERS) != GNUTLS_CRT_X509 ||
        der == NULL || n == 0) {
        why = "no X.509 client certificate";
        goto out;
    }
    if (n > MAX_CHAIN) {
        why = "the client certificate chain is too long";
        goto out;
    }
    for (; n_chain < n; n_chain++) {
        if (gnutls_x509_crt_init(&chain[n_chain]) < 0) {
            why = "out of memory";
            goto out;
        }
        if (gnutls_x509_crt_import(chain[n_chain], &der[n_chain], GNUTLS_X509_FMT_DER) < 0) {
            n_chain++;
            why = "the client certificate cannot be parsed";
            goto out;
        }
    }
    struct trust *t = trust_get();
    if (t == NULL) {
        why = "no client CA is loaded";
        goto out;
    }
    gnutls_typed_vdata_st purpose = {
        .type = GNUTLS_DT_KEY_PURPOSE_OID,
        .data = (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT,
    };
    int g =
        gnutls_x509_trust_list_verify_crt2(t->list, chain, n_chain, &purpose, 1, 0, &status, NULL);
    trust_put(t);
    if (g < 0) {
        why = gnutls_strerror(g);
    } else if (status == 0) {
        rc = 0;
    }
out:
    if (rc != 0) {
        log_rejection(n_chain > 0 ? chain[0] : NULL, status, why);
        /* GnuTLS fails the handshake without telling the client why; the
         * alert gives a caller such as the apiserver a message to log. */
        gnutls_alert_send(session, GNUTLS_AL_FATAL, alert_for(why != NULL ? 0 : status));
    }
    for (unsigned int i = 0; i < n_chain; i++) {
        gnutls_x509_crt_deinit(chain[i]);
    }
    return rc;
}

void srv_clientca_session_init(gnutls_session_t session)
{
    /* REQUIRE, not REQUEST: a client that sends no certificate fails inside
     * GnuTLS itself (before verify_peer, which only sees certificates). */
    gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUIRE);
    gnutls_session_set_verify_function(session, verify_peer);
}
