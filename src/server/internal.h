/* SPDX-License-Identifier: Apache-2.0 */
/* Internal to src/server: state shared by the lifecycle and the request handler. */
#ifndef HP_SERVER_INTERNAL_H
#define HP_SERVER_INTERNAL_H

#include "hardpod/config.h"
#include "hardpod/server.h"

#include <microhttpd.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* A loaded config shared by requests: each request holds a reference, so a
 * reload never frees a config that a request still reads. */
struct hp_srv_config {
    struct hp_config config;
    char profile[32];
    unsigned refs; /* under the server's config lock */
};

struct hp_srv {
    const struct hp_server_options *opts;
    atomic_bool ready;       /* certificate and config loaded, not draining */
    atomic_bool draining;    /* SIGTERM received: answer with Connection: close */
    atomic_int inflight;     /* requests between their first byte of handling and completion */
    atomic_uint connections; /* TLS connections handed to libmicrohttpd and not yet closed */
    atomic_uint used;        /* those of them on which a request line has arrived */
};

extern struct hp_srv hp_srv;

/* Takes a reference to the current config; release it with hp_srv_config_put. */
struct hp_srv_config *hp_srv_config_get(void);
void hp_srv_config_put(struct hp_srv_config *c);

/* libmicrohttpd callbacks (routes.c). cls is NULL for the TLS listener and
 * non-NULL for the plain metrics listener, which serves no /validate. */
enum MHD_Result hp_srv_handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **req_cls);
/* Called when a request line has arrived, before its headers: the request
 * counts as running from here, so the drain waits for it. */
void *hp_srv_request_line(void *cls, const char *uri, struct MHD_Connection *conn);
void hp_srv_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                      enum MHD_RequestTerminationCode toe);
/* cls is the TLS listener's count of open connections (decremented when a
 * connection closes), or NULL for the plain metrics listener. A TLS
 * connection is counted in hp_srv.used from its first request line to its
 * close, so that the drain can tell a connection that has not sent its
 * first request yet from an idle keep-alive one. */
void hp_srv_connection(void *cls, struct MHD_Connection *conn, void **socket_cls,
                       enum MHD_ConnectionNotificationCode toe);

/* Answers {"error": msg} with status (and an Allow header when allow is not
 * NULL), logs it, and counts it as an admission error when admission is set;
 * close ends the connection after it (routes.c). */
enum MHD_Result hp_srv_send_error(struct MHD_Connection *conn, unsigned int status, const char *msg,
                                  const char *allow, bool admission, bool close);

/* ---- the memory budget (budget.c) ---------------------------------------------- */

/* A request that held this much memory gives the freed pages back to the
 * kernel when it completes (malloc_trim). */
#define HP_SRV_TRIM_BYTES (1u << 20)

enum hp_wait_state { HP_WAIT_QUEUED, HP_WAIT_GRANTED, HP_WAIT_EXPIRED };

/* A request waiting for memory, owned by the request; linked into the
 * budget's queue from hp_srv_budget_wait until the budget thread resumes
 * its connection with the state GRANTED (need is charged to it) or EXPIRED
 * (nothing is). */
struct hp_srv_waiter {
    struct MHD_Connection *conn;
    size_t need;              /* bytes to charge */
    size_t held;              /* bytes the request holds while it waits */
    struct timespec deadline; /* CLOCK_MONOTONIC */
    _Atomic int state;        /* enum hp_wait_state */
    struct hp_srv_waiter *next;
};

enum hp_err hp_srv_budget_start(size_t total, struct hp_error *err);
/* Expires every waiter and every later one (they are answered at once), and
 * returns when none is queued or being resumed: before the drain's wait. */
void hp_srv_budget_close(void);
/* After the daemon has stopped: ends the budget thread. */
void hp_srv_budget_stop(void);
size_t hp_srv_budget_total(void);
/* Charges n bytes if they fit now and nobody waits. */
bool hp_srv_budget_take(size_t n);
/* Gives n charged bytes back. */
void hp_srv_budget_put(size_t n);
/* From the access handler: suspends w->conn and queues w. false: the budget
 * is closed and nothing was queued or suspended (w->state is EXPIRED). */
bool hp_srv_budget_wait(struct hp_srv_waiter *w);

/* Frees the calling thread's admission state (thread exit). */
void hp_srv_thread_state_key_init(void);

#endif
