/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The serving certificate as GnuTLS credentials, replaced without a restart:
 * the handshake callback reads the current pair under a mutex, a reload
 * swaps in a new pair after OpenSSL has checked it, and replaced pairs are
 * kept for a grace period so that a handshake that picked one up never sees
 * it freed.
 */
#include "internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CHAIN 8

struct cert_set {
    gnutls_pcert_st pcert[MAX_CHAIN];
    unsigned int n_pcert;
    gnutls_privkey_t key;
    int64_t retired_at; /* 0 while current */
    struct cert_set *next_retired;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct cert_set *current;
static struct cert_set *retired;

static void set_free(struct cert_set *s)
{
    for (unsigned int i = 0; i < s->n_pcert; i++) {
        gnutls_pcert_deinit(&s->pcert[i]);
    }
    if (s->key != NULL) {
        gnutls_privkey_deinit(s->key);
    }
    free(s);
}

static enum hp_err set_from_pem(const struct hp_tls_pair *pair, struct cert_set **out,
                                struct hp_error *err)
{
    struct cert_set *s = hp_xcalloc(1, sizeof(*s));
    enum hp_err rc = HP_OK;
    gnutls_datum_t cert = {(unsigned char *)pair->cert_pem, (unsigned int)pair->cert_len};
    gnutls_datum_t key = {(unsigned char *)pair->key_pem, (unsigned int)pair->key_len};
    s->n_pcert = MAX_CHAIN;
    int g = gnutls_pcert_list_import_x509_raw(s->pcert, &s->n_pcert, &cert, GNUTLS_X509_FMT_PEM, 0);
    if (g < 0) {
        s->n_pcert = 0;
        rc = hp_error_set(err, HP_ERR_CRYPTO, "GnuTLS cannot use the certificate: %s",
                          gnutls_strerror(g));
        goto out;
    }
    if ((g = gnutls_privkey_init(&s->key)) < 0 ||
        (g = gnutls_privkey_import_x509_raw(s->key, &key, GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
        rc = hp_error_set(err, HP_ERR_CRYPTO, "GnuTLS cannot use the private key: %s",
                          gnutls_strerror(g));
        goto out;
    }
    *out = s;
out:
    if (rc != HP_OK) {
        set_free(s);
    }
    return rc;
}

enum hp_err srv_certs_load(const char *cert_path, const char *key_path, int64_t now,
                           struct hp_tls_pair *pair_out, struct hp_error *err)
{
    struct hp_tls_pair pair;
    enum hp_err rc = hp_tls_pair_load(cert_path, key_path, now, &pair, err);
    if (rc != HP_OK) {
        return rc;
    }
    struct cert_set *s = NULL;
    rc = set_from_pem(&pair, &s, err);
    if (rc == HP_OK) {
        pthread_mutex_lock(&lock);
        struct cert_set *old = current;
        current = s;
        if (old != NULL) {
            old->retired_at = now;
            old->next_retired = retired;
            retired = old;
        }
        pthread_mutex_unlock(&lock);
    }
    if (rc == HP_OK && pair_out != NULL) {
        *pair_out = pair;
    } else {
        hp_tls_pair_cleanup(&pair);
    }
    return rc;
}

void srv_certs_collect(int64_t now, int64_t grace)
{
    pthread_mutex_lock(&lock);
    struct cert_set **link = &retired;
    while (*link != NULL) {
        struct cert_set *s = *link;
        if (now - s->retired_at >= grace) {
            *link = s->next_retired;
            set_free(s);
        } else {
            link = &s->next_retired;
        }
    }
    pthread_mutex_unlock(&lock);
}

void srv_certs_cleanup(void)
{
    pthread_mutex_lock(&lock);
    while (retired != NULL) {
        struct cert_set *s = retired;
        retired = s->next_retired;
        set_free(s);
    }
    if (current != NULL) {
        set_free(current);
        current = NULL;
    }
    pthread_mutex_unlock(&lock);
}

int srv_certs_retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca_dn, int nreqs,
                       const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
                       gnutls_pcert_st **pcert, unsigned int *pcert_length,
                       gnutls_privkey_t *privkey)
{
    (void)session, (void)req_ca_dn, (void)nreqs, (void)pk_algos, (void)pk_algos_length;
    pthread_mutex_lock(&lock);
    struct cert_set *s = current;
    if (s != NULL) {
        *pcert = s->pcert;
        *pcert_length = s->n_pcert;
        *privkey = s->key;
    }
    pthread_mutex_unlock(&lock);
    return s != NULL ? 0 : -1;
}
