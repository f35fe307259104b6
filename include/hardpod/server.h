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

/* Fills o with the defaults above. */
void hp_server_options_init(struct hp_server_options *o);

/* What hp_server_start reports once the server listens. */
struct hp_server_info {
    unsigned port; /* the bound HTTPS port: the real one when listen asked for port 0 */
    /* With dev: the directory holding the throw-away CA (ca.crt) and serving
     * pair, removed by hp_server_run; NULL without dev. Owned by the server,
     * valid until hp_server_run returns. */
    const char *dev_dir;
};

/* Starts the server: with dev, makes the throw-away certificates; loads and
 * checks the certificate, the client CA and the config; blocks SIGTERM,
 * SIGINT and SIGHUP (hp_server_run waits for them) and ignores SIGPIPE; then
 * starts the TLS listener and the optional plain metrics listener, logs
 * "listening" and fills info. o is copied, but the strings and values it
 * points to are borrowed until hp_server_run returns. Prints nothing.
 * Errors: a bad or missing certificate, key, client CA or config file
 * (named in err, with the line for a config), a bad listen address or one in
 * use, bad TLS priorities; then "cannot start" is logged and nothing is left
 * running or on disk. One server per process: not thread-safe, and a second
 * start before hp_server_run returns is HP_ERR_INTERNAL. */
enum hp_err hp_server_start(const struct hp_server_options *o, struct hp_server_info *info,
                            struct hp_error *err);

/* Serves until SIGTERM or SIGINT, on the thread that called hp_server_start
 * (the one that blocked the signals), reloading the config, the certificate
 * and the client CA on SIGHUP and when their files change; then drains
 * (/readyz fails for shutdown_delay, running requests get drain_timeout),
 * stops the listeners and frees everything, dev's directory included. HP_OK
 * after that clean shutdown; HP_ERR_INTERNAL when no hp_server_start
 * succeeded before. */
enum hp_err hp_server_run(struct hp_error *err);

#endif
