/* SPDX-License-Identifier: Apache-2.0 */
/* The TLS listening socket and its accept thread (see internal.h). */
#include "internal.h"

#include "hardpod/obs.h"
#include "hardpod/error.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* At most this many accepts per wake-up, so that a stop request is seen
 * promptly even under a flood of new connections. */
#define ACCEPT_BATCH 64

struct srv_listener {
    int fd;
    int wake[2]; /* a byte written to wake[1] stops the accept thread */
    struct MHD_Daemon *daemon;
    unsigned max_connections;
    atomic_uint *open; /* connections handed to the daemon and not closed yet */
    pthread_t thread;
    bool running;
    time_t last_warning; /* accept thread only: one warning per second at most */
};

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

static void free_listener(struct srv_listener *l)
{
    close_fd(&l->fd);
    close_fd(&l->wake[0]);
    close_fd(&l->wake[1]);
    free(l);
}

enum hp_err srv_listener_open(const struct sockaddr_storage *addr, int backlog,
                              struct srv_listener **out, struct hp_error *err)
{
    *out = NULL;
    struct srv_listener *l = hp_xcalloc(1, sizeof(*l));
    l->wake[0] = l->wake[1] = -1;
    bool v6 = addr->ss_family == AF_INET6;
    socklen_t len = v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    int one = 1;
    l->fd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (l->fd < 0 || setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        (v6 && setsockopt(l->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0)) {
        hp_error_set(err, HP_ERR_IO, "cannot create the listening socket: %s", strerror(errno));
        free_listener(l);
        return HP_ERR_IO;
    }
    if (bind(l->fd, (const struct sockaddr *)addr, len) != 0 || listen(l->fd, backlog) != 0) {
        hp_error_set(err, HP_ERR_IO, "%s", strerror(errno));
        free_listener(l);
        return HP_ERR_IO;
    }
    if (pipe2(l->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
        hp_error_set(err, HP_ERR_IO, "cannot create a pipe: %s", strerror(errno));
        free_listener(l);
        return HP_ERR_IO;
    }
    *out = l;
    return HP_OK;
}

unsigned srv_listener_port(const struct srv_listener *l)
{
    struct sockaddr_storage a = {0};
    socklen_t len = sizeof(a);
    if (getsockname(l->fd, (struct sockaddr *)&a, &len) != 0) {
        return 0;
    }
    if (a.ss_family == AF_INET6) {
        struct sockaddr_in6 in6;
        memcpy(&in6, &a, sizeof(in6));
        return ntohs(in6.sin6_port);
    }
    if (a.ss_family == AF_INET) {
        struct sockaddr_in in4;
        memcpy(&in4, &a, sizeof(in4));
        return ntohs(in4.sin_port);
    }
    return 0;
}

static bool warning_due(struct srv_listener *l)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec == l->last_warning) {
        return false;
    }
    l->last_warning = now.tv_sec;
    return true;
}

static void refuse(struct srv_listener *l, int e)
{
    if (e == ENFILE) {
        hp_metrics_connection_refused();
    }
    if (e == ENFILE && warning_due(l)) {
        hp_log(HP_LOG_WARN, "connection refused: the connection limit is reached", NULL, 0);
    } else if (e != ENFILE && warning_due(l)) {
        hp_log(HP_LOG_WARN, "connection refused",
               (struct hp_log_field[]){HP_LOG_S("error", strerror(e))}, 1);
    }
}

/* Accepts what is waiting, up to a batch. Returns false when the process is
 * out of file descriptors or memory: the caller backs off before retrying.
 *
 * The connection limit is enforced here, not by libmicrohttpd: a connection
 * added with MHD_add_connection counts against a pool thread's limit only
 * once that thread has taken it from its queue, so a burst passes
 * libmicrohttpd's own check, and the pool thread that then finds itself over
 * its limit (libmicrohttpd 0.9.75, new_connection_process_) returns with its
 * cleanup mutex still locked and deadlocks: its connections are never
 * served or closed again, and the daemon cannot be stopped. */
static bool accept_batch(struct srv_listener *l)
{
    for (int i = 0; i < ACCEPT_BATCH; i++) {
        struct sockaddr_storage a;
        socklen_t len = sizeof(a);
        int c = accept4(l->fd, (struct sockaddr *)&a, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c < 0) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return true;
            }
            if (warning_due(l)) {
                hp_log(HP_LOG_WARN, "cannot accept a connection",
                       (struct hp_log_field[]){HP_LOG_S("error", strerror(errno))}, 1);
            }
            return false;
        }
        /* No Nagle delay, as on the sockets libmicrohttpd accepts itself: a
         * response written in pieces must not wait for the client's delayed
         * ACK (40 ms on Linux). */
        int one = 1;
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (atomic_load(l->open) >= l->max_connections) {
            close(c);
            refuse(l, ENFILE);
            continue;
        }
        atomic_fetch_add(l->open, 1);
        /* libmicrohttpd closes the socket when it cannot take it. */
        if (MHD_add_connection(l->daemon, c, (struct sockaddr *)&a, len) != MHD_YES) {
            int e = errno;
            atomic_fetch_sub(l->open, 1);
            refuse(l, e);
        }
    }
    return true;
}

static void *accept_main(void *arg)
{
    struct srv_listener *l = arg;
    for (;;) {
        struct pollfd p[2] = {{.fd = l->fd, .events = POLLIN},
                              {.fd = l->wake[0], .events = POLLIN}};
        if (poll(p, 2, -1) < 0) {
            if (errno != EINTR) {
                nanosleep(&(struct timespec){0, 10L * 1000 * 1000}, NULL);
            }
            continue;
        }
        if (p[1].revents != 0) {
            return NULL;
        }
        if (p[0].revents != 0 && !accept_batch(l)) {
            nanosleep(&(struct timespec){0, 10L * 1000 * 1000}, NULL);
        }
    }
}

enum hp_err srv_listener_start(struct srv_listener *l, struct MHD_Daemon *d,
                               unsigned max_connections, atomic_uint *open, struct hp_error *err)
{
    l->daemon = d;
    l->max_connections = max_connections;
    l->open = open;
    int rc = pthread_create(&l->thread, NULL, accept_main, l);
    if (rc != 0) {
        return hp_error_set(err, HP_ERR_IO, "cannot start the accept thread: %s", strerror(rc));
    }
    l->running = true;
    return HP_OK;
}

void srv_listener_close(struct srv_listener *l)
{
    if (l == NULL) {
        return;
    }
    if (l->running) {
        ssize_t n;
        do {
            n = write(l->wake[1], "x", 1);
        } while (n < 0 && errno == EINTR);
        pthread_join(l->thread, NULL);
    }
    free_listener(l);
}
