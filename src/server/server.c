/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The server lifecycle: load and check the certificate and config, start
 * the TLS listener (and the optional plain metrics listener), then wait for
 * signals on the main thread. SIGHUP reloads the config; the certificate and
 * config files are watched and reloaded when they change (Kubernetes swaps a
 * Secret or ConfigMap volume through a symlink); a broken new file is logged
 * and the old one stays in use. SIGTERM/SIGINT make /readyz fail, keep serving
 * for the shutdown delay, stop accepting, wait for running requests and exit.
 * The client CA file (--client-ca) is loaded and reloaded like the
 * certificate.
 */
#include "internal.h"
#include "hardpod/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct srv_state srv_state;

static pthread_mutex_t config_lock = PTHREAD_MUTEX_INITIALIZER;
static struct srv_config *current_config;

void hp_server_options_init(struct hp_server_options *o)
{
    memset(o, 0, sizeof(*o));
    o->listen = "0.0.0.0:8443";
    o->tls_priorities = HP_SERVER_TLS_PRIORITIES;
    o->max_body_bytes = 7u << 20;
    o->max_connections = 10000;
    o->idle_timeout = 120;
    o->request_timeout = 10;
    o->shutdown_delay = 5;
    o->drain_timeout = 20;
    o->watch_interval = 2;
    o->body_timeout = 10;
    o->memory_budget = 24u << 20;
    o->log_level = HP_LOG_INFO;
}

struct srv_config *srv_config_get(void)
{
    pthread_mutex_lock(&config_lock);
    struct srv_config *c = current_config;
    c->refs++;
    pthread_mutex_unlock(&config_lock);
    return c;
}

static void config_free(struct srv_config *c)
{
    hp_config_cleanup(&c->config);
    free(c);
}

void srv_config_put(struct srv_config *c)
{
    pthread_mutex_lock(&config_lock);
    bool last = --c->refs == 0;
    pthread_mutex_unlock(&config_lock);
    if (last) {
        config_free(c);
    }
}

/* Loads the config named by the options (or the defaults) and makes it current. */
static enum hp_err config_load(const struct hp_server_options *o, struct hp_error *err)
{
    struct srv_config *c = hp_xcalloc(1, sizeof(*c));
    hp_config_init(&c->config);
    enum hp_err rc = HP_OK;
    if (o->config_path != NULL) {
        rc = hp_config_load(o->config_path, o->profile, &c->config, err);
    } else if (o->profile != NULL) {
        hp_policy_cleanup(&c->config.policy);
        hp_policy_init(&c->config.policy, *o->profile);
    }
    if (rc != HP_OK) {
        config_free(c);
        return rc;
    }
    if (o->mode != NULL) {
        c->config.mode = *o->mode;
    }
    snprintf(c->profile, sizeof(c->profile), "%s", hp_profile_name(c->config.policy.profile));
    c->refs = 1; /* the server's own reference */
    pthread_mutex_lock(&config_lock);
    struct srv_config *old = current_config;
    current_config = c;
    pthread_mutex_unlock(&config_lock);
    if (old != NULL) {
        srv_config_put(old);
    }
    return HP_OK;
}

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

/* Starts a daemon for listen. The TLS daemon (listener != NULL) takes its
 * connections from the server's own listener; the plain metrics daemon
 * listens by itself. */
static struct MHD_Daemon *start_daemon(const struct hp_server_options *o, const char *listen,
                                       struct srv_listener **listener, struct hp_error *err)
{
    bool tls = listener != NULL;
    struct sockaddr_storage addr;
    if (parse_listen(listen, &addr, err) != HP_OK) {
        return NULL;
    }
    unsigned int flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    if (addr.ss_family == AF_INET6) {
        flags |= MHD_USE_IPv6;
    }
    if (tls) {
        struct hp_error lerr;
        if (srv_listener_open(&addr, 1024, listener, &lerr) != HP_OK) {
            hp_error_set(err, HP_ERR_IO, "cannot listen on %s: %s", listen, lerr.msg);
            return NULL;
        }
        flags |= MHD_USE_TLS | MHD_USE_NO_LISTEN_SOCKET | MHD_ALLOW_SUSPEND_RESUME;
    }
    unsigned int threads = o->threads ? o->threads : (unsigned int)sysconf(_SC_NPROCESSORS_ONLN);
    /* Function pointers travel through the option array's void * slot. */
    void *cert_cb;
    gnutls_certificate_retrieve_function2 *retrieve = srv_certs_retrieve;
    memcpy(&cert_cb, &retrieve, sizeof(cert_cb));
    struct MHD_OptionItem opts[20];
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
    OPT(MHD_OPTION_CONNECTION_MEMORY_LIMIT, 32 * 1024, NULL);
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
        OPT(MHD_OPTION_SOCK_ADDR, 0, &addr);
        OPT(MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL);
    }
    OPT(MHD_OPTION_END, 0, NULL);
#undef OPT
    struct MHD_Daemon *d =
        MHD_start_daemon(flags, 0, NULL, NULL, srv_handle, tls ? NULL : (void *)&srv_state,
                         MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    if (d == NULL) {
        hp_error_set(err, HP_ERR_IO,
                     "cannot listen on %s (address in use, bad address, or bad TLS priorities "
                     "\"%s\")",
                     listen, tls ? o->tls_priorities : "-");
    } else if (tls && srv_listener_start(*listener, d, o->max_connections, &srv_state.connections,
                                         err) != HP_OK) {
        MHD_stop_daemon(d);
        d = NULL;
    }
    if (d == NULL && tls) {
        srv_listener_close(*listener);
        *listener = NULL;
    }
    return d;
}

/* What identifies a file's content for the watcher (stat follows symlinks, so
 * an atomic ..data symlink swap shows up as a new inode). */
struct file_id {
    bool exists;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
};

static struct file_id file_id_of(const char *path)
{
    struct file_id id = {0};
    struct stat st;
    if (path != NULL && stat(path, &st) == 0) {
        id.exists = true;
        id.dev = st.st_dev;
        id.ino = st.st_ino;
        id.size = st.st_size;
        id.mtime = st.st_mtim;
    }
    return id;
}

static bool file_id_eq(const struct file_id *a, const struct file_id *b)
{
    return a->exists == b->exists && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

struct watch {
    struct file_id cert, key, client_ca, config;
};

static void watch_snapshot(const struct hp_server_options *o, struct watch *w)
{
    w->cert = file_id_of(o->tls_cert);
    w->key = file_id_of(o->tls_key);
    w->client_ca = file_id_of(o->client_ca);
    w->config = file_id_of(o->config_path);
}

static bool certs_reload(const struct hp_server_options *o, const char *why)
{
    struct hp_tls_pair pair;
    struct hp_error err;
    if (srv_certs_load(o->tls_cert, o->tls_key, (int64_t)time(NULL), &pair, &err) != HP_OK) {
        hp_metrics_cert_reload(false);
        hp_log(HP_LOG_ERROR, "certificate reload rejected; the previous certificate stays in use",
               (struct hp_log_field[]){HP_LOG_S("reason", why), HP_LOG_S("error", err.msg)}, 2);
        return false;
    }
    hp_metrics_cert_reload(true);
    hp_metrics_cert_expiry(pair.not_after);
    hp_log(HP_LOG_INFO, "certificate loaded",
           (struct hp_log_field[]){HP_LOG_S("reason", why), HP_LOG_S("serial", pair.serial),
                                   HP_LOG_S("subject", pair.subject),
                                   HP_LOG_S("keyType", pair.key_type),
                                   HP_LOG_I("notAfter", pair.not_after)},
           5);
    hp_tls_pair_cleanup(&pair);
    return true;
}

/* Loads the client CA file (--client-ca); reason says why ("start-up" or
 * what triggered a reload). */
static enum hp_err client_ca_load(const struct hp_server_options *o, const char *reason,
                                  struct hp_error *err)
{
    struct hp_tls_ca ca;
    enum hp_err rc = srv_clientca_load(o->client_ca, (int64_t)time(NULL), &ca, err);
    if (rc != HP_OK) {
        return rc;
    }
    hp_log(HP_LOG_INFO, "client CA loaded",
           (struct hp_log_field[]){
               HP_LOG_S("reason", reason), HP_LOG_S("path", o->client_ca),
               HP_LOG_S("subject", ca.subject), HP_LOG_I("certificates", ca.n_certs),
               HP_LOG_I("validCertificates", ca.n_valid), HP_LOG_I("notAfter", ca.not_after)},
           6);
    hp_tls_ca_cleanup(&ca);
    return HP_OK;
}

static void client_ca_reload(const struct hp_server_options *o, const char *why)
{
    struct hp_error err;
    if (o->client_ca != NULL && client_ca_load(o, why, &err) != HP_OK) {
        hp_log(HP_LOG_ERROR, "client CA reload rejected; the previous client CA stays in use",
               (struct hp_log_field[]){HP_LOG_S("reason", why), HP_LOG_S("error", err.msg)}, 2);
    }
}

static bool config_reload(const struct hp_server_options *o, const char *why)
{
    struct hp_error err;
    if (config_load(o, &err) != HP_OK) {
        hp_metrics_config_reload(false);
        hp_log(HP_LOG_ERROR, "config reload rejected; the previous config stays in force",
               (struct hp_log_field[]){HP_LOG_S("reason", why), HP_LOG_S("error", err.msg)}, 2);
        return false;
    }
    hp_metrics_config_reload(true);
    struct srv_config *c = srv_config_get();
    hp_log(HP_LOG_INFO, "config loaded",
           (struct hp_log_field[]){HP_LOG_S("reason", why), HP_LOG_S("profile", c->profile),
                                   HP_LOG_S("mode", hp_mode_name(c->config.mode)),
                                   HP_LOG_S("path", o->config_path)},
           4);
    srv_config_put(c);
    return true;
}

static void watch_poll(const struct hp_server_options *o, struct watch *w)
{
    struct watch now;
    watch_snapshot(o, &now);
    if (!file_id_eq(&now.cert, &w->cert) || !file_id_eq(&now.key, &w->key)) {
        certs_reload(o, "certificate files changed");
    }
    if (o->client_ca != NULL && !file_id_eq(&now.client_ca, &w->client_ca)) {
        client_ca_reload(o, "client CA file changed");
    }
    if (o->config_path != NULL && !file_id_eq(&now.config, &w->config)) {
        config_reload(o, "config file changed");
    }
    *w = now;
    /* Handshakes take milliseconds; a replaced pair is kept for ten minutes. */
    srv_certs_collect((int64_t)time(NULL), 600);
}

/* Waits up to secs for one of the signals in set; returns it, or 0 on timeout. */
static int wait_signal(const sigset_t *set, unsigned secs)
{
    struct timespec ts = {(time_t)secs, 0};
    for (;;) {
        int sig = sigtimedwait(set, NULL, &ts);
        if (sig >= 0) {
            return sig;
        }
        if (errno == EAGAIN) {
            return 0;
        }
        /* EINTR: an unblocked signal interrupted the wait; wait again. */
    }
}

/* Raises the open-file soft limit to the hard limit: every connection is a
 * descriptor, and the usual soft limit of 1024 is far below the connection
 * limit. Warns when the limit still cannot hold max_connections. */
static void raise_fd_limit(unsigned max_connections)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        return;
    }
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)max_connections + 64) {
        hp_log(HP_LOG_WARN, "the open-file limit is below --max-connections; raise it (ulimit -n)",
               (struct hp_log_field[]){HP_LOG_I("openFileLimit", (int64_t)rl.rlim_cur),
                                       HP_LOG_I("maxConnections", max_connections)},
               2);
    }
}

/* --dev: a throw-away CA and a serving certificate for localhost in a
 * temporary directory, removed at exit. */
static enum hp_err dev_certs(char *dir, size_t size, char *cert, char *key, size_t path_size,
                             struct hp_error *err)
{
    snprintf(dir, size, "%s/hardpod-dev-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(dir) == NULL) {
        return hp_error_set(err, HP_ERR_IO, "cannot create a directory for dev certificates: %s",
                            strerror(errno));
    }
    static const char *const dns[] = {"localhost"};
    static const char *const ips[] = {"127.0.0.1", "::1"};
    struct hp_tls_gen g = {
        .key_type = HP_TLS_KEY_ECDSA_P256,
        .days = 7,
        .ca_days = 7,
        .common_name = "localhost",
        .dns = dns,
        .n_dns = 1,
        .ips = ips,
        .n_ips = 2,
    };
    snprintf(cert, path_size, "%s/tls.crt", dir);
    snprintf(key, path_size, "%s/tls.key", dir);
    return hp_tls_generate(dir, &g, NULL, NULL, err);
}

static void dev_cleanup(const char *dir)
{
    static const char *const files[] = {"ca.crt", "ca.key", "tls.crt", "tls.key"};
    char path[600];
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
}

static void dev_banner(const char *dir, unsigned port)
{
    fprintf(stderr,
            "\nhardpod is serving the default policy with throw-away certificates in %s.\n"
            "Try it:\n\n"
            "  curl --cacert %s/ca.crt https://localhost:%u/validate \\\n"
            "    -H 'Content-Type: application/json' \\\n"
            "    --data @tests/fixtures/admission/aspnet-template-deployment.json\n\n",
            dir, dir, port);
}

/* Keeps serving with /readyz failing for the shutdown delay, then stops
 * accepting, waits for running requests, and stops the daemons. */
static void drain(const struct hp_server_options *o, const sigset_t *set, struct MHD_Daemon *d,
                  struct srv_listener *listener, struct MHD_Daemon *plain)
{
    atomic_store(&srv_state.ready, false);
    atomic_store(&srv_state.draining, true);
    hp_log(HP_LOG_INFO, "draining: /readyz now fails",
           (struct hp_log_field[]){HP_LOG_I("shutdownDelaySeconds", o->shutdown_delay)}, 1);
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += o->shutdown_delay;
    for (;;) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec >= deadline.tv_sec) {
            break;
        }
        int sig = wait_signal(set, (unsigned)(deadline.tv_sec - now.tv_sec));
        if (sig == SIGINT || sig == SIGTERM) {
            hp_log(HP_LOG_INFO, "second signal: skipping the rest of the shutdown delay", NULL, 0);
            break;
        }
    }
    /* Connections still in the backlog are reset; those already accepted
     * finish their running requests, and one accepted just before the close
     * may still send its first (the request timeout cuts it if it does
     * not). Idle keep-alive connections are not waited for. */
    srv_listener_close(listener);
    for (unsigned ms = 0; ms < o->drain_timeout * 1000u; ms += 10) {
        if (atomic_load(&srv_state.inflight) == 0 &&
            atomic_load(&srv_state.connections) <= atomic_load(&srv_state.used)) {
            break;
        }
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }
    /* Requests still waiting for memory are answered now (503), not cut. */
    srv_budget_close();
    for (unsigned ms = 0; ms < 1000 && atomic_load(&srv_state.inflight) > 0; ms += 10) {
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }
    int left = atomic_load(&srv_state.inflight);
    MHD_stop_daemon(d);
    if (plain != NULL) {
        MHD_stop_daemon(plain);
    }
    hp_log(left == 0 ? HP_LOG_INFO : HP_LOG_WARN, "stopped",
           (struct hp_log_field[]){HP_LOG_I("unfinishedRequests", left)}, 1);
}

int hp_server_run(const struct hp_server_options *o)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct hp_server_options opts = *o;
    memset(&srv_state, 0, sizeof(srv_state));
    srv_state.opts = &opts;
    hp_log_set_level(opts.log_level);
    hp_metrics_init(HP_VERSION);
    srv_thread_state_key_init();
    raise_fd_limit(opts.max_connections);
    int code = 2;
    struct hp_error err;
    char dev_dir[512] = "";
    char dev_cert[600], dev_key[600];
    struct MHD_Daemon *d = NULL;
    struct MHD_Daemon *plain = NULL;
    struct srv_listener *listener = NULL;

    if (opts.dev) {
        if (dev_certs(dev_dir, sizeof(dev_dir), dev_cert, dev_key, sizeof(dev_cert), &err) !=
            HP_OK) {
            goto fail;
        }
        opts.tls_cert = dev_cert;
        opts.tls_key = dev_key;
    }
    if (opts.tls_cert == NULL || opts.tls_key == NULL) {
        hp_error_set(&err, HP_ERR_INVALID, "--tls-cert and --tls-key are required (or --dev)");
        goto fail;
    }
    if (config_load(&opts, &err) != HP_OK) {
        goto fail;
    }
    struct hp_tls_pair pair;
    if (srv_certs_load(opts.tls_cert, opts.tls_key, (int64_t)time(NULL), &pair, &err) != HP_OK) {
        goto fail;
    }
    hp_metrics_cert_expiry(pair.not_after);
    hp_tls_pair_cleanup(&pair);
    if (opts.client_ca != NULL && client_ca_load(&opts, "start-up", &err) != HP_OK) {
        goto fail;
    }
    if (opts.client_ca != NULL && opts.metrics_listen == NULL) {
        hp_log(HP_LOG_WARN,
               "--client-ca without --metrics-listen: HTTPS probes that present no client "
               "certificate (the kubelet's) fail the handshake; probe /healthz and /readyz on "
               "--metrics-listen",
               NULL, 0);
    }

    /* Block the signals before libmicrohttpd starts its threads, so that they
     * are delivered to sigtimedwait here and never to a server thread. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* Memory goes back after a large request: buffers of 256 KiB and more
     * are mapped on their own and unmapped when freed (a fixed threshold,
     * not glibc's sliding one, which would rise to the largest body seen),
     * and two arenas stop every server thread from keeping a heap of its
     * own (docs/performance.md has the measurements). */
    mallopt(M_MMAP_THRESHOLD, 256 * 1024);
    mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
    mallopt(M_ARENA_MAX, 2);
    if (srv_budget_start(opts.memory_budget, &err) != HP_OK) {
        goto fail;
    }

    if ((d = start_daemon(&opts, opts.listen, &listener, &err)) == NULL) {
        goto fail;
    }
    if (opts.metrics_listen != NULL &&
        (plain = start_daemon(&opts, opts.metrics_listen, NULL, &err)) == NULL) {
        goto fail;
    }
    unsigned port = srv_listener_port(listener);
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    atomic_store(&srv_state.ready, true);
    struct srv_config *c = srv_config_get();
    hp_log(HP_LOG_INFO, "listening",
           (struct hp_log_field[]){
               HP_LOG_S("address", opts.listen), HP_LOG_I("port", port),
               HP_LOG_S("metricsAddress", opts.metrics_listen), HP_LOG_S("profile", c->profile),
               HP_LOG_S("mode", hp_mode_name(c->config.mode)), HP_LOG_S("version", HP_VERSION),
               HP_LOG_I("startMicros",
                        (t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000)},
           7);
    srv_config_put(c);
    if (opts.dev) {
        dev_banner(dev_dir, port);
    }

    struct watch w;
    watch_snapshot(&opts, &w);
    for (;;) {
        int sig = wait_signal(&set, opts.watch_interval ? opts.watch_interval : 1);
        if (sig == SIGTERM || sig == SIGINT) {
            hp_log(
                HP_LOG_INFO, "signal received",
                (struct hp_log_field[]){HP_LOG_S("signal", sig == SIGTERM ? "SIGTERM" : "SIGINT")},
                1);
            break;
        }
        if (sig == SIGHUP) {
            config_reload(&opts, "SIGHUP");
            certs_reload(&opts, "SIGHUP");
            client_ca_reload(&opts, "SIGHUP");
            watch_snapshot(&opts, &w);
        } else if (opts.watch_interval > 0) {
            watch_poll(&opts, &w);
        }
    }
    drain(&opts, &set, d, listener, plain);
    d = plain = NULL;
    listener = NULL;
    code = 0;
    goto out;
fail:
    hp_log(HP_LOG_ERROR, "cannot start", (struct hp_log_field[]){HP_LOG_S("error", err.msg)}, 1);
    fprintf(stderr, "hardpod: %s\n", err.msg);
out:
    srv_listener_close(listener);
    if (plain != NULL) {
        MHD_stop_daemon(plain);
    }
    if (d != NULL) {
        srv_budget_close();
        MHD_stop_daemon(d);
    }
    srv_budget_stop();
    srv_certs_cleanup();
    srv_clientca_cleanup();
    pthread_mutex_lock(&config_lock);
    struct srv_config *last = current_config;
    current_config = NULL;
    pthread_mutex_unlock(&config_lock);
    if (last != NULL) {
        srv_config_put(last);
    }
    if (dev_dir[0] != '\0') {
        dev_cleanup(dev_dir);
    }
    return code;
}
