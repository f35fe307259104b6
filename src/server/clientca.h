/* SPDX-License-Identifier: Apache-2.0 */
/* Internal to src/server: who may complete a TLS handshake (--client-ca). */
#ifndef HP_SERVER_CLIENTCA_H
#define HP_SERVER_CLIENTCA_H

#include "hardpod/error.h"
#include "hardpod/tls.h"

#include <gnutls/gnutls.h>
#include <stdint.h>

/* Loads path with hp_tls_ca_load (OpenSSL checks: certificates only, each a
 * CA, one at least valid at now), builds a GnuTLS trust list from it and
 * makes it the list that new handshakes verify client certificates against.
 * The previous list stays alive while a handshake still uses it. On error the
 * current list is kept. ca_out (optional) receives the file's metadata; free
 * it with hp_tls_ca_cleanup. Thread-safe against handshakes. */
enum hp_err hp_clientca_load(const char *path, int64_t now, struct hp_tls_ca *ca_out,
                             struct hp_error *err);

/* Makes session require a client certificate that chains to the current
 * trust list, with the TLS Web Client Authentication purpose (or no
 * extendedKeyUsage), valid now: a client without one fails the handshake, and
 * one with any other certificate gets a fatal alert (unknown_ca,
 * certificate_expired, unsupported_certificate or bad_certificate) and fails
 * it too. Call before the handshake starts, after a successful
 * hp_clientca_load. A rejected certificate is logged at most once a second. */
void hp_clientca_session_init(gnutls_session_t session);

/* Frees the trust list; only after the daemon has stopped. */
void hp_clientca_cleanup(void);

#endif
