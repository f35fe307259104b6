/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the server's listener (src/server/listener.c): it binds and
 * reports its port, a taken address is a clear error, accepted connections
 * reach the libmicrohttpd daemon, a connection over the limit is closed and
 * counted as refused, a burst over the limit into a thread pool leaves
 * exactly the limit open and every pool thread working, and closing the
 * listener refuses new connections while an accepted one keeps being served.
 */
#include "hardpod/buf.h"
#include "hardpod/obs.h"
#include "server/internal.h"
#include "testutil.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static struct sockaddr_storage loopback(unsigned port)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return ss;
}

/* A TCP connection to 127.0.0.1:port with 2 s timeouts; -errno on failure. */
static int dial(unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct timeval tv = {2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    struct sockaddr_storage a = loopback(port);
    if (connect(fd, (struct sockaddr *)&a, sizeof(struct sockaddr_in)) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

/* Sends a keep-alive GET and returns the status line's code, or 0 when the
 * connection was closed (or timed out) without a response. */
static int get(int fd)
{
    const char req[] = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
    if (send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof(req) - 1)) {
        return 0;
    }
    char buf[512];
    ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
    if (n <= 12) {
        return 0;
    }
    buf[n] = '\0';
    int code = 0;
    sscanf(buf, "HTTP/1.1 %d", &code);
    return code;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **req_cls)
{
    (void)cls, (void)url, (void)method, (void)version, (void)upload, (void)upload_size;
    /* A response queued on the first call would close the connection. */
    if (*req_cls == NULL) {
        *req_cls = conn;
        return MHD_YES;
    }
    struct MHD_Response *r =
        MHD_create_response_from_buffer(2, (void *)"ok", MHD_RESPMEM_PERSISTENT);
    enum MHD_Result rc = MHD_queue_response(conn, 200, r);
    MHD_destroy_response(r);
    return rc;
}

static atomic_uint open_connections;

static void notify(void *cls, struct MHD_Connection *conn, void **socket_cls,
                   enum MHD_ConnectionNotificationCode toe)
{
    (void)conn, (void)socket_cls;
    if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        atomic_fetch_sub((atomic_uint *)cls, 1);
    }
}

/* A daemon for a listener with the given limit: as the server does, its
 * own limit is the listener's in every pool thread. */
static struct MHD_Daemon *daemon_for(unsigned limit, unsigned threads)
{
    atomic_store(&open_connections, 0);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_NO_LISTEN_SOCKET, 0,
        NULL, NULL, handler, NULL, MHD_OPTION_CONNECTION_LIMIT, limit * threads,
        MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_NOTIFY_CONNECTION, notify,
        &open_connections, MHD_OPTION_END);
    ck_assert_ptr_nonnull(d);
    return d;
}

static double refused_total(void)
{
    struct hp_buf b;
    hp_buf_init(&b, 0);
    hp_metrics_render(&b);
    const char *p = strstr(hp_buf_str(&b), "\nhardpod_connections_refused_total ");
    double v = -1;
    if (p != NULL) {
        sscanf(p + strlen("\nhardpod_connections_refused_total "), "%lf", &v);
    }
    hp_buf_cleanup(&b);
    return v;
}

START_TEST(test_port_and_taken_address)
{
    struct hp_error err;
    struct srv_listener *l = NULL;
    struct sockaddr_storage a = loopback(0);
    ck_assert_int_eq(srv_listener_open(&a, 16, &l, &err), HP_OK);
    unsigned port = srv_listener_port(l);
    ck_assert_uint_gt(port, 0);

    struct srv_listener *again = (struct srv_listener *)1;
    struct sockaddr_storage same = loopback(port);
    ck_assert_int_eq(srv_listener_open(&same, 16, &again, &err), HP_ERR_IO);
    ck_assert_ptr_null(again);
    ck_assert_msg(strstr(err.msg, "Address already in use") != NULL, "message: %s", err.msg);

    /* Never started: closing only releases the socket. */
    srv_listener_close(l);
    int fd = dial(port);
    ck_assert_int_eq(fd, -ECONNREFUSED);
    srv_listener_close(NULL);
}
END_TEST

START_TEST(test_serves_refuses_over_limit_and_stops)
{
    signal(SIGPIPE, SIG_IGN);
    hp_metrics_init("test");
    struct hp_error err;
    struct srv_listener *l = NULL;
    struct sockaddr_storage a = loopback(0);
    ck_assert_int_eq(srv_listener_open(&a, 16, &l, &err), HP_OK);
    unsigned port = srv_listener_port(l);
    struct MHD_Daemon *d = daemon_for(1, 1);
    ck_assert_int_eq(srv_listener_start(l, d, 1, &open_connections, &err), HP_OK);

    int first = dial(port);
    ck_assert_int_ge(first, 0);
    ck_assert_int_eq(get(first), 200);
    ck_assert(refused_total() == 0);

    /* The listener holds one connection: the next one is closed unanswered. */
    int second = dial(port);
    ck_assert_int_ge(second, 0);
    ck_assert_int_eq(get(second), 0);
    close(second);
    /* The accept thread counts the refusal just after closing the socket. */
    for (int i = 0; i < 200 && refused_total() < 1; i++) {
        usleep(10 * 1000);
    }
    ck_assert(refused_total() == 1);

    /* After closing the listener, new connections are refused by the kernel,
     * while the accepted keep-alive connection is still served. */
    srv_listener_close(l);
    ck_assert_int_eq(dial(port), -ECONNREFUSED);
    ck_assert_int_eq(get(first), 200);
    close(first);
    MHD_stop_daemon(d);
}
END_TEST

/* The closed connection count reaches want within 2 s. */
static bool refused_reaches(double want)
{
    for (int i = 0; i < 200 && refused_total() < want; i++) {
        usleep(10 * 1000);
    }
    return refused_total() == want;
}

START_TEST(test_burst_over_limit_into_pool)
{
    enum { LIMIT = 8, BURST = 3 * LIMIT };
    signal(SIGPIPE, SIG_IGN);
    hp_metrics_init("test");
    struct hp_error err;
    struct srv_listener *l = NULL;
    struct sockaddr_storage a = loopback(0);
    ck_assert_int_eq(srv_listener_open(&a, 64, &l, &err), HP_OK);
    unsigned port = srv_listener_port(l);
    struct MHD_Daemon *d = daemon_for(LIMIT, 2);
    ck_assert_int_eq(srv_listener_start(l, d, LIMIT, &open_connections, &err), HP_OK);

    /* A burst of idle connections: the accept thread hands them over faster
     * than the pool threads take them from their queues. */
    int fds[BURST];
    for (int i = 0; i < BURST; i++) {
        fds[i] = dial(port);
        ck_assert_int_ge(fds[i], 0);
    }
    ck_assert_msg(refused_reaches(BURST - LIMIT), "refused %g, expected %d", refused_total(),
                  BURST - LIMIT);
    ck_assert_uint_eq(atomic_load(&open_connections), LIMIT);
    int served = 0;
    for (int i = 0; i < BURST; i++) {
        served += get(fds[i]) == 200;
        close(fds[i]);
    }
    ck_assert_int_eq(served, LIMIT);

    /* Every pool thread still closes and serves connections. */
    for (int i = 0; i < 200 && atomic_load(&open_connections) > 0; i++) {
        usleep(10 * 1000);
    }
    ck_assert_uint_eq(atomic_load(&open_connections), 0);
    for (int i = 0; i < LIMIT; i++) {
        fds[i] = dial(port);
        ck_assert_int_ge(fds[i], 0);
        ck_assert_int_eq(get(fds[i]), 200);
    }
    for (int i = 0; i < LIMIT; i++) {
        close(fds[i]);
    }
    srv_listener_close(l);
    MHD_stop_daemon(d);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("listener");
    TCase *tc = tcase_create("listener");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_port_and_taken_address);
    tcase_add_test(tc, test_serves_refuses_over_limit_and_stops);
    tcase_add_test(tc, test_burst_over_limit_into_pool);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(suite());
}
