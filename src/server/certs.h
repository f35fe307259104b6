/* SPDX-License-Identifier: Apache-2.0 */
/* Internal to src/server: the serving certificate, swappable at run time. */
#ifndef HP_SERVER_CERTS_H
#define HP_SERVER_CERTS_H

#include "hardpod/error.h"
#include "hardpod/tls.h"

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <stdbool.h>
#include <stdint.h>

/* Loads cert_path/key_path, checks them with OpenSSL (key matches, not
 * expired) and makes them the pair that new handshakes use. The previous pair
 * stays valid for handshakes in flight and is freed a grace period later. On
 * error the current pair is kept. pair_out (optional) receives the loaded
 * pair's metadata. Thread-safe against the handshake callback. */
enum hp_err hp_certs_load(const char *cert_path, const char *key_path, int64_t now,
                          struct hp_tls_pair *pair_out, struct hp_error *err);

/* Frees pairs retired more than grace seconds ago (call from one thread). */
void hp_certs_collect(int64_t now, int64_t grace);

/* Frees every pair; only after the daemon has stopped. */
void hp_certs_cleanup(void);

/* The GnuTLS retrieve callback handed to MHD_OPTION_HTTPS_CERT_CALLBACK. */
int hp_certs_retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca_dn, int nreqs,
                      const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
                      gnutls_pcert_st **pcert, unsigned int *pcert_length,
                      gnutls_privkey_t *privkey);

bool hp_certs_loaded(void);

#endif
