/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal to src/server: the TLS listening socket and the thread that
 * accepts on it and hands each connection to libmicrohttpd.
 *
 * The server owns its listening socket instead of letting libmicrohttpd
 * poll it from every pool thread: stopping to accept is then a matter of
 * stopping one thread and closing one socket, with no race against the pool
 * threads' epoll sets, and a connection turned away at the connection limit
 * is counted in hardpod_connections_refused_total.
 */
#ifndef HP_SERVER_LISTENER_H
#define HP_SERVER_LISTENER_H

#include "hardpod/error.h"

#include <microhttpd.h>
#include <stdatomic.h>
#include <sys/socket.h>

struct hp_listener;

/* Binds and listens on addr (SO_REUSEADDR; an IPv6 address listens on IPv6
 * only). *out is NULL on error. */
enum hp_err hp_listener_open(const struct sockaddr_storage *addr, int backlog,
                             struct hp_listener **out, struct hp_error *err);

/* The bound port (useful with port 0). */
unsigned hp_listener_port(const struct hp_listener *l);

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
enum hp_err hp_listener_start(struct hp_listener *l, struct MHD_Daemon *d, unsigned max_connections,
                              atomic_uint *open, struct hp_error *err);

/* Stops accepting: joins the accept thread and closes the socket, so that
 * connections still in the backlog are reset. Connections already handed to
 * the daemon are untouched. Frees l; NULL is a no-op. */
void hp_listener_close(struct hp_listener *l);

#endif
