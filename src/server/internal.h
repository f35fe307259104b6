/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal to src/server: what the files of the server share, one section
 * per file. Nothing here is part of the public contract (hardpod/server.h);
 * unit tests include it as "server/internal.h".
 */
#ifndef HP_SERVER_INTERNAL_H
#define HP_SERVER_INTERNAL_H

#include "hardpod/config.h"
#include "hardpod/error.h"
#include "hardpod/server.h"
#include "hardpod/tls.h"

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

/* ---- shared state and the current config (state.c) ----------------------------- */

/* A loaded config shared by requests: each request holds a reference, so a
 * reload never frees a config that a request still reads. */
struct srv_config {
    struct hp_config config;
    char profile[32];
    /* The same file loaded once per profile (its own profile replaced, as
     * --profile does), for namespaces whose hardpod.dev labels choose one:
     * the file's checks, exemptions and customKinds apply on top of the
     * label's profile. */
    struct hp_config by_profile[HP_PROFILE_NONE + 1];
    unsigned refs; /* under the server's config lock */
};

struct srv_state {
    const struct hp_server_options *opts;
    atomic_bool ready;       /* certificate and config loaded, not draining */
    atomic_bool draining;    /* SIGTERM received: answer with Connection: close */
    atomic_int inflight;     /* requests between their first byte of handling and completion */
    atomic_uint connections; /* TLS connections handed to libmicrohttpd and not yet closed */
    atomic_uint used;        /* those of them on which a request line has arrived */
};

/* The server's flags and counters (state.c), reset by hp_server_start. */
extern struct srv_state srv_state;

/* Takes a reference to the current config; release it with srv_config_put.
 * Only while a config is current (from the first srv_config_load until
 * srv_config_drop). Thread-safe. */
struct srv_config *srv_config_get(void);
void srv_config_put(struct srv_config *c);

/* Loads the config that o names (o->config_path, or the defaults, with
 * o->profile and o->mode applied) and makes it current; requests that hold
 * the previous one keep it until they release it. On error the current
 * config is kept and err says why (file and line). */
enum hp_err srv_config_load(const struct hp_server_options *o, struct hp_error *err);

/* Releases the server's own reference to the current config, which is freed
 * with the last request that holds it; none is current afterwards. */
void srv_config_drop(void);

/* ---- request targets (route.c) ---------------------------------------------- */

enum srv_route_kind {
    SRV_ROUTE_VALIDATE,
    SRV_ROUTE_HEALTHZ,
    SRV_ROUTE_READYZ,
    SRV_ROUTE_METRICS,
    SRV_ROUTE_NOT_FOUND,
};

/* The labels whose value a path may say is not a profile. */
#define SRV_LABEL_ENFORCE "hardpod.dev/enforce"
#define SRV_LABEL_WARN "hardpod.dev/warn"

/* What a request target names. For the admission paths, the namespace's
 * labels as the webhook configuration passes them on: hardpod.dev/enforce
 * (has_enforce, enforce), hardpod.dev/warn (has_warn, warn), or a label
 * whose value names no profile (bad_label). */
struct srv_route {
    enum srv_route_kind kind;
    bool admission; /* the path is /validate or under it (on the TLS listener) */
    bool has_enforce;
    enum hp_profile enforce;
    bool has_warn;
    enum hp_profile warn;
    const char *bad_label; /* SRV_LABEL_ENFORCE, SRV_LABEL_WARN or NULL (static) */
    char why[192];         /* SRV_ROUTE_NOT_FOUND: the message for the client */
};

/* Parses url (the path libmicrohttpd hands over, without the query) into
 * out. plain: the plain metrics listener, which serves no admission path.
 * The admission paths are exactly /validate, then optionally
 * /enforce/PROFILE, then optionally /warn/PROFILE (a profile name as
 * hp_profile_lookup knows it), or /validate/invalid/enforce and
 * /validate/invalid/warn. Anything else, under /validate or not, is
 * SRV_ROUTE_NOT_FOUND (returns false) with out->why saying what the paths
 * are. */
bool srv_route_parse(const char *url, bool plain, struct srv_route *out);

/* ---- request handling (routes.c) ----------------------------------------------- */

/* libmicrohttpd callbacks. cls is NULL for the TLS listener and non-NULL for
 * the plain metrics listener, which serves no /validate. */
enum MHD_Result srv_handle(void *cls, struct MHD_Connection *conn, const char *url,
                           const char *method, const char *version, const char *upload,
                           size_t *upload_size, void **req_cls);
/* Called when a request line has arrived, before its headers: the request
 * counts as running from here, so the drain waits for it. */
void *srv_request_line(void *cls, const char *uri, struct MHD_Connection *conn);
void srv_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                   enum MHD_RequestTerminationCode toe);
/* cls is the TLS listener's count of open connections (decremented when a
 * connection closes), or NULL for the plain metrics listener. A TLS
 * connection is counted in srv_state.used from its first request line to its
 * close, so that the drain can tell a connection that has not sent its
 * first request yet from an idle keep-alive one. */
void srv_connection(void *cls, struct MHD_Connection *conn, void **socket_cls,
                    enum MHD_ConnectionNotificationCode toe);

/* Makes the key of each server thread's admission state, which is freed at
 * thread exit. Call before the first daemon starts; later calls do nothing. */
void srv_thread_state_key_init(void);

/* ---- the memory budget (budget.c) ---------------------------------------------- */

/* A request that held this much memory gives the freed pages back to the
 * kernel when it completes (malloc_trim). */
#define SRV_TRIM_BYTES (1u << 20)

enum srv_wait_state { SRV_WAIT_QUEUED, SRV_WAIT_GRANTED, SRV_WAIT_EXPIRED };

/* A request waiting for memory, owned by the request; linked into the
 * budget's queue from srv_budget_wait until the budget thread resumes
 * its connection with the state GRANTED (need is charged to it) or EXPIRED
 * (nothing is). */
struct srv_waiter {
    struct MHD_Connection *conn;
    size_t need;              /* bytes to charge */
    size_t held;              /* bytes the request holds while it waits */
    struct timespec deadline; /* CLOCK_MONOTONIC */
    _Atomic int state;        /* enum srv_wait_state */
    struct srv_waiter *next;
};

enum hp_err srv_budget_start(size_t total, struct hp_error *err);
/* Expires every waiter and every later one (they are answered at once), and
 * returns when none is queued or being resumed: before the drain's wait. */
void srv_budget_close(void);
/* After the daemon has stopped: ends the budget thread. */
void srv_budget_stop(void);
size_t srv_budget_total(void);
/* Charges n bytes if they fit now and nobody waits. */
bool srv_budget_take(size_t n);
/* Gives n charged bytes back. */
void srv_budget_put(size_t n);
/* From the access handler: suspends w->conn and queues w. false: the budget
 * is closed and nothing was queued or suspended (w->state is EXPIRED). */
bool srv_budget_wait(struct srv_waiter *w);

/* ---- request framing (framing.c) ----------------------------------------------- */

/* The framing checks that libmicrohttpd 0.9.75 does not make (or answers
 * with HTML), made on the head of a request before anything reads its body
 * (routes.c answers them in JSON and closes the connection). The checks are
 * pure (a table-driven unit test feeds them fields); only srv_framing_check
 * touches a connection. */

/* What the header fields of one request say about its framing. Fill with
 * srv_framing_init and one srv_framing_field per field, then ask
 * srv_framing_verdict. Borrows the field values it is given until the
 * verdict. */
struct srv_framing {
    bool http10;         /* the request is HTTP/1.0 (no Host needed, no Transfer-Encoding) */
    bool bad_name;       /* a field name that is not an RFC 9110 token */
    bool folded;         /* a name that goes on after Content-Length or Transfer-Encoding */
    unsigned hosts;      /* Host fields */
    unsigned lengths;    /* Content-Length fields */
    const char *length;  /* the first Content-Length value (borrowed) */
    bool lengths_differ; /* a later Content-Length value differs from the first */
    unsigned encodings;  /* Transfer-Encoding fields */
    bool lone_chunked;   /* the first Transfer-Encoding value is exactly "chunked" */
    unsigned chunked;    /* "chunked" codings over all Transfer-Encoding fields */
    bool chunked_last;   /* the last coding is "chunked" */
    bool bad_coding;     /* a list element that is not a coding name */
    char other[32];      /* the first coding other than chunked (cut to fit), or "" */
};

void srv_framing_init(struct srv_framing *f, bool http10);

/* Takes one request header field (name and value NUL-terminated, value
 * without its leading whitespace, as libmicrohttpd stores them). */
void srv_framing_field(struct srv_framing *f, const char *name, const char *value);

/* 0 when the framing is sound; otherwise the HTTP status to answer (400, or
 * 501 for a transfer coding other than chunked) with a message for the
 * client in msg (cap bytes, NUL-terminated). */
unsigned srv_framing_verdict(const struct srv_framing *f, char *msg, size_t cap);

/* Whether a raw request target (as sent, before unescaping) is free of
 * spaces and control characters. libmicrohttpd cuts the request line at its
 * last space, so "GET /a b HTTP/1.1" reaches us as the target "/a b". */
bool srv_framing_target_ok(const char *target);

/* Runs the checks on conn's request head: version is the handler's version
 * string, target_ok the result of srv_framing_target_ok on the raw target.
 * Same result as srv_framing_verdict. Call on the handler's first call. */
unsigned srv_framing_check(struct MHD_Connection *conn, const char *version, bool target_ok,
                           char *msg, size_t cap);

/* ---- the serving certificate, swappable at run time (certs.c) ------------------- */

/* Loads cert_path/key_path, checks them with OpenSSL (key matches, not
 * expired) and makes them the pair that new handshakes use. The previous pair
 * stays valid for handshakes in flight and is freed a grace period later. On
 * error the current pair is kept. pair_out (optional) receives the loaded
 * pair's metadata. Thread-safe against the handshake callback. */
enum hp_err srv_certs_load(const char *cert_path, const char *key_path, int64_t now,
                           struct hp_tls_pair *pair_out, struct hp_error *err);

/* Frees pairs retired more than grace seconds ago (call from one thread). */
void srv_certs_collect(int64_t now, int64_t grace);

/* Frees every pair; only after the daemon has stopped. */
void srv_certs_cleanup(void);

/* The GnuTLS retrieve callback handed to MHD_OPTION_HTTPS_CERT_CALLBACK. */
int srv_certs_retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca_dn, int nreqs,
                       const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
                       gnutls_pcert_st **pcert, unsigned int *pcert_length,
                       gnutls_privkey_t *privkey);

/* ---- who may complete a TLS handshake: --client-ca (clientca.c) ----------------- */

/* Loads path with hp_tls_ca_load (OpenSSL checks: certificates only, each a
 * CA, one at least valid at now), builds a GnuTLS trust list from it and
 * makes it the list that new handshakes verify client certificates against.
 * The previous list stays alive while a handshake still uses it. On error the
 * current list is kept. ca_out (optional) receives the file's metadata; free
 * it with hp_tls_ca_cleanup. Thread-safe against handshakes. */
enum hp_err srv_clientca_load(const char *path, int64_t now, struct hp_tls_ca *ca_out,
                              struct hp_error *err);

/* Makes session require a client certificate that chains to the current
 * trust list, with the TLS Web Client Authentication purpose (or no
 * extendedKeyUsage), valid now: a client without one fails the handshake, and
 * one with any other certificate gets a fatal alert (unknown_ca,
 * certificate_expired, unsupported_certificate or bad_certificate) and fails
 * it too. Call before the handshake starts, after a successful
 * srv_clientca_load. A rejected certificate is logged at most once a second. */
void srv_clientca_session_init(gnutls_session_t session);

/* Frees the trust list; only after the daemon has stopped. */
void srv_clientca_cleanup(void);

/* ---- the TLS listening socket and its accept thread (listener.c) ---------------- */

/* The server owns its listening socket instead of letting libmicrohttpd
 * poll it from every pool thread: stopping to accept is then a matter of
 * stopping one thread and closing one socket, with no race against the pool
 * threads' epoll sets, and a connection turned away at the connection limit
 * is counted in hardpod_connections_refused_total. */
struct srv_listener;

/* Binds and listens on addr (SO_REUSEADDR; an IPv6 address listens on IPv6
 * only). *out is NULL on error. */
enum hp_err srv_listener_open(const struct sockaddr_storage *addr, int backlog,
                              struct srv_listener **out, struct hp_error *err);

/* The bound port (useful with port 0). */
unsigned srv_listener_port(const struct srv_listener *l);

/* Starts the accept thread, which adds each accepted connection to d (a
 * daemon started with MHD_USE_NO_LISTEN_SOCKET) while fewer than
 * max_connections are open, and closes and counts the others as refused.
 * *open (caller's storage, which must outlive d) is the number of open
 * connections: the accept thread increments it for each connection that d
 * takes, and d's MHD_OPTION_NOTIFY_CONNECTION callback must decrement it on
 * MHD_CONNECTION_NOTIFY_CLOSED. d's own connection limit must be at least
 * max_connections in each of its pool threads, so that d never refuses a
 * connection itself (see listener.c). Call with the server's signals
 * blocked: the thread inherits the mask. */
enum hp_err srv_listener_start(struct srv_listener *l, struct MHD_Daemon *d,
                               unsigned max_connections, atomic_uint *open, struct hp_error *err);

/* Stops accepting: joins the accept thread and closes the socket, so that
 * connections still in the backlog are reset. Connections already handed to
 * the daemon are untouched. Frees l; NULL is a no-op. */
void srv_listener_close(struct srv_listener *l);

/* ---- starting a libmicrohttpd daemon (daemon.c) ------------------------------- */

/* Starts a daemon on listen ("ADDR:PORT", "[V6]:PORT" or ":PORT") with the
 * request handlers of routes.c. With listener (the TLS daemon), the server's
 * own listening socket is opened into *listener and hands the daemon its
 * connections; without it (the plain metrics daemon), the daemon listens by
 * itself. *out is the daemon, NULL on error (and *listener too): a bad
 * address, an address in use or bad TLS priorities, said in err. Call with
 * the server's signals blocked: the daemon's threads inherit the mask. */
enum hp_err srv_daemon_start(const struct hp_server_options *o, const char *listen,
                             struct srv_listener **listener, struct MHD_Daemon **out,
                             struct hp_error *err);

/* ---- the watched files: certificate, client CA, config (watch.c) ---------------- */

/* What identifies a file's content for the watcher. */
struct srv_file_id {
    bool exists;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
};

/* The files as last seen; caller's storage. */
struct srv_watch {
    struct srv_file_id cert, key, client_ca, config;
};

/* At start-up: remembers the files in w, then loads the config, the
 * certificate and key, and the client CA (o->client_ca, when set). The
 * first error stops it, with the file named in err. */
enum hp_err srv_watch_start(struct srv_watch *w, const struct hp_server_options *o,
                            struct hp_error *err);

/* Reloads each file that changed since w was taken (a broken one is logged
 * and the one in use kept), updates w, and frees certificates replaced long
 * enough ago. Main thread only. */
void srv_watch_poll(struct srv_watch *w, const struct hp_server_options *o);

/* Reloads every file (SIGHUP; why is logged) and updates w. Main thread only. */
void srv_watch_reload(struct srv_watch *w, const struct hp_server_options *o, const char *why);

/* ---- --dev certificates (dev.c) ----------------------------------------------- */

/* The throw-away CA and serving pair of --dev; caller's storage. */
struct srv_dev {
    char dir[512]; /* the temporary directory, "" when there is none */
    char cert[600];
    char key[600];
};

/* Makes $TMPDIR/hardpod-dev-XXXXXX (TMPDIR defaults to /tmp) with a 7-day CA
 * (ca.crt, ca.key) and an ECDSA P-256 serving pair (tls.crt, tls.key) for
 * localhost, 127.0.0.1 and ::1. On error d->dir names what is left to remove
 * ("" when nothing is). */
enum hp_err srv_dev_start(struct srv_dev *d, struct hp_error *err);

/* Removes the files and the directory; does nothing when d->dir is "". */
void srv_dev_cleanup(struct srv_dev *d);

#endif
