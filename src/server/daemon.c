/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Starting a libmicrohttpd daemon: the listen address, the TLS listener the
 * daemon takes its connections from, and the options every daemon of the
 * server shares. Handles no request itself (routes.c does) and decides
 * nothing about when a daemon starts or stops (server.c does).
 */
#include "internal.h"

#include "hardpod/obs.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Parses "ADDR:PORT", "[V6]:PORT" or ":PORT" into addr. */
static enum hp_err parse_listen(const char *s, struct sockaddr_storage *addr, struct hp_error *err)
{
    memset(addr, 0, sizeof(*addr));
    char host[64];
    const char *colon = strrchr(s, ':');
    if (colon == NULL || (size_t)(colon - s) >= sizeof(host)) {
        return hp_error_set(err, HP_ERR_INVALID, "listen address \"%s\": expected ADDR:PORT", s);
    }
    char *end = NULL;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (colon[1] == '\0' || *end != '\0' || port > 65535) {
        return hp_error_set(err, HP_ERR_INVALID, "listen address \"%s\": bad port", s);
    }
    size_t n = (size_t)(colon - s);
    memcpy(host, s, n);
    host[n] = '\0';
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)addr;
        host[n - 1] = '\0';
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1) {
            return hp_error_set(err, HP_ERR_INVALID, "listen address \"%s\": bad IPv6 address", s);
        }
        return HP_OK;
    }
    struct sockaddr_in *a4 = (struct sockaddr_in *)addr;
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    if (n == 0) {
        a4->sin_addr.s_addr = htonl(INADDR_ANY);
    } else if (inet_pton(AF_INET, host, &a4->sin_addr) != 1) {
        return hp_error_set(err, HP_ERR_INVALID,
                            "listen address \"%s\": bad IPv4 address (write IPv6 as [::]:8443)", s);
    }
    return HP_OK;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) {
        msg[--n] = '\0';
    }
    hp_log(HP_LOG_DEBUG, "libmicrohttpd", (struct hp_log_field[]){HP_LOG_S("detail", msg)}, 1);
}

/* The TLS daemon's connection callback with --client-ca: libmicrohttpd makes
 * the GnuTLS session before it reports the connection as started, and starts
 * the handshake only afterwards, so every session requires a client
 * certificate from its first byte. */
static void client_auth_connection(void *cls, struct MHD_Connection *conn, void **socket_cls,
                                   enum MHD_ConnectionNotificationCode toe)
{
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
        /* Never NULL on a TLS daemon; without a session there is no
         * handshake, so nothing is served either way. */
        if (ci != NULL) {
            srv_clientca_session_init((gnutls_session_t)ci->tls_session);
        }
    }
    srv_connection(cls, conn, socket_cls, toe);
}

/* Fills opts (room for 20) with the options of a daemon that serves on addr:
 * TLS from the server's listener, or plain HTTP on a socket of its own. */
static void daemon_options(const struct hp_server_options *o, bool tls,
                           const struct sockaddr_storage *addr, struct MHD_OptionItem *opts)
{
    unsigned int threads = o->threads ? o->threads : (unsigned int)sysconf(_SC_NPROCESSORS_ONLN);
    /* Function pointers travel through the option array's void * slot. */
    void *cert_cb;
    gnutls_certificate_retrieve_function2 *retrieve = srv_certs_retrieve;
    memcpy(&cert_cb, &retrieve, sizeof(cert_cb));
    size_t n = 0;
#define OPT(option, value, ptr) (opts[n++] = (struct MHD_OptionItem){(option), (value), (ptr)})
    /* The logger goes first so that libmicrohttpd never prints on its own. */
    OPT(MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, NULL);
    /* The TLS listener enforces max_connections itself (listener.c); the
     * daemon's limit, split among its pool threads, must never be reached. */
    OPT(MHD_OPTION_CONNECTION_LIMIT,
        tls ? (intptr_t)o->max_connections * (threads ? threads : 1) : (intptr_t)o->max_connections,
        NULL);
    OPT(MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)o->request_timeout, NULL);
    /* Headers and the read buffer of one connection. libmicrohttpd zeroes it
     * after every request, so its size is paid per request too. */
    OPT(MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)32 * 1024, NULL);
    OPT(MHD_OPTION_PER_IP_CONNECTION_LIMIT, 0, NULL);
    /* Not libmicrohttpd's strict mode: its two checks (a Host header, no
     * space in the request target) are made in framing.c, which answers
     * JSON. libmicrohttpd 0.9.75 closes without an answer for the space, and
     * answers a missing Host with HTML, its header block written twice. */
    OPT(MHD_OPTION_STRICT_FOR_CLIENT, 0, NULL);
    OPT(MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)srv_completed, NULL);
    OPT(MHD_OPTION_NOTIFY_CONNECTION,
        tls && o->client_ca != NULL ? (intptr_t)client_auth_connection : (intptr_t)srv_connection,
        tls ? (void *)&srv_state.connections : NULL);
    OPT(MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)srv_request_line, NULL);
    OPT(MHD_OPTION_THREAD_POOL_SIZE, tls ? (intptr_t)(threads ? threads : 1) : 1, NULL);
    if (tls) {
        OPT(MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)o->tls_priorities);
        OPT(MHD_OPTION_HTTPS_CERT_CALLBACK, 0, cert_cb);
    } else {
        /* read only while the daemon starts, which binds it */
        OPT(MHD_OPTION_SOCK_ADDR, 0, (void *)addr);
        OPT(MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL);
    }
    OPT(MHD_OPTION_END, 0, NULL);
#undef OPT
}

enum hp_err srv_daemon_start(const struct hp_server_options *o, const char *listen,
                             struct srv_listener **listener, struct MHD_Daemon **out,
                             struct hp_error *err)
{
    *out = NULL;
    bool tls = listener != NULL;
    struct sockaddr_storage addr;
    enum hp_err rc = parse_listen(listen, &addr, err);
    if (rc != HP_OK) {
        return rc;
    }
    unsigned int flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    if (addr.ss_family == AF_INET6) {
        flags |= MHD_USE_IPv6;
    }
    if (tls) {
        struct hp_error lerr;
        if (srv_listener_open(&addr, 1024, listener, &lerr) != HP_OK) {
            return hp_error_set(err, HP_ERR_IO, "cannot listen on %s: %s", listen, lerr.msg);
        }
        flags |= MHD_USE_TLS | MHD_USE_NO_LISTEN_SOCKET | MHD_ALLOW_SUSPEND_RESUME;
    }
    struct MHD_OptionItem opts[20];
    daemon_options(o, tls, &addr, opts);
    struct MHD_Daemon *d =
        MHD_start_daemon(flags, 0, NULL, NULL, srv_handle, tls ? NULL : (void *)&srv_state,
                         MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    if (d == NULL) {
        rc = hp_error_set(err, HP_ERR_IO,
                          "cannot listen on %s (address in use, bad address, or bad TLS "
                          "priorities \"%s\")",
                          listen, tls ? o->tls_priorities : "-");
    } else if (tls) {
        rc = srv_listener_start(*listener, d, o->max_connections, &srv_state.connections, err);
        if (rc != HP_OK) {
            MHD_stop_daemon(d);
            d = NULL;
        }
    }
    if (d == NULL && tls) {
        srv_listener_close(*listener);
        *listener = NULL;
    }
    *out = d;
    return rc;
}
