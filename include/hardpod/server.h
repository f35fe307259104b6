/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `hardpod serve`: the HTTPS validating admission webhook on libmicrohttpd
 * with GnuTLS. Owns the daemon lifecycle, routes, per-request state and
 * limits, certificate and config reloads, and the SIGTERM drain. The
 * admission logic itself lives in the admission module.
 */
#ifndef HARDPOD_SERVER_H
#define HARDPOD_SERVER_H

#include "hardpod/config.h"
#include "hardpod/obs.h"

#include <stdbool.h>
#include <stddef.h>

/* Mozilla's "intermediate" profile in GnuTLS terms: TLS 1.2 and 1.3 only,
 * ECDHE key exchange and AEAD ciphers only. */
#define HP_SERVER_TLS_PRIORITIES                                                                   \
    "NONE:+VERS-TLS1.3:+VERS-TLS1.2:+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:+AEAD:"           \
    "+ECDHE-ECDSA:+ECDHE-RSA:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1:+SIGN-ALL:"           \
    "-SIGN-RSA-SHA1:-SIGN-ECDSA-SHA1:+COMP-NULL:+CTYPE-X509:%SERVER_PRECEDENCE"

/* Every setting of the server; hp_server_options_init fills the defaults. */
struct hp_server_options {
    const char *listen;         /* "ADDR:PORT", "[v6]:PORT" or ":PORT"; default "0.0.0.0:8443" */
    const char *metrics_listen; /* optional plain-HTTP listener for /metrics and probes */
    const char *tls_cert;       /* PEM paths */
    const char *tls_key;
    /* optional PEM CA bundle: only clients with a certificate it issued complete a handshake */
    const char *client_ca;
    const char *tls_priorities;     /* GnuTLS priority string */
    const char *config_path;        /* optional policy file */
    const enum hp_profile *profile; /* --profile, replaces the file's */
    const enum hp_mode *mode;       /* --mode, replaces the file's */
    unsigned threads;               /* worker threads; 0 = one per core */
    size_t max_body_bytes;          /* default 7 MiB */
    unsigned max_connections;       /* default 10000 */
    unsigned idle_timeout;          /* seconds a keep-alive connection may idle; default 120 */
    unsigned request_timeout; /* seconds of silence allowed while a request arrives; default 10 */
    unsigned shutdown_delay; /* seconds to keep serving after SIGTERM with /readyz 503; default 5 */
    unsigned drain_timeout;  /* seconds to wait for running requests after that; default 20 */
    unsigned watch_interval; /* seconds between checks of cert and config files; default 2 */
    unsigned body_timeout;   /* seconds a request body may take in all; default 10 */
    size_t memory_budget;    /* bytes for request bodies and parse trees; default 24 MiB */
    enum hp_log_level log_level;
    bool dev; /* make a throw-away CA and localhost certificate */
};

void hp_server_options_init(struct hp_server_options *o);

/* Runs the server until SIGTERM or SIGINT, then drains and stops. Returns
 * the process exit code: 0 after a clean shutdown, 2 when start-up fails
 * (bad certificate, bad config, address in use), with the reason logged. */
int hp_server_run(const struct hp_server_options *o);

#endif
