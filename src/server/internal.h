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

/* Frees the calling thread's admission state (thread exit). */
void hp_srv_thread_state_key_init(void);

#endif
