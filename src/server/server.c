/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The server lifecycle: start (files loaded, signals blocked, memory budget,
 * the TLS daemon and the optional plain metrics daemon), then the main
 * thread waits for signals. SIGHUP reloads the watched files, and they are
 * polled between signals (watch.c). SIGTERM/SIGINT make /readyz fail, keep
 * serving for the shutdown delay, stop accepting, wait for running requests
 * and stop. Prints nothing: errors go back to the caller, events to the log.
 */
#include "internal.h"

#include "hardpod/obs.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* One server per process: what hp_server_start sets up for hp_server_run. */
static struct {
    bool started;
    struct hp_server_options opts; /* the caller's, with --dev's certificate paths */
    struct srv_dev dev;
    struct srv_watch watch;
    sigset_t signals;
    struct MHD_Daemon *tls;
    struct MHD_Daemon *plain;
    struct srv_listener *listener;
} S;

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

/* Blocks the signals the main thread waits for, before libmicrohttpd starts
 * its threads, so that they are delivered to sigtimedwait and never to a
 * server thread. */
static void block_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* Memory goes back after a large request: buffers of 256 KiB and more are
 * mapped on their own and unmapped when freed (a fixed threshold, not glibc's
 * sliding one, which would rise to the largest body seen), and two arenas
 * stop every server thread from keeping a heap of its own
 * (docs/performance.md has the measurements). */
static void tune_malloc(void)
{
    mallopt(M_MMAP_THRESHOLD, 256 * 1024);
    mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
    mallopt(M_ARENA_MAX, 2);
}

/* Keeps serving with /readyz failing for the shutdown delay, then stops
 * accepting, waits for running requests, and stops the daemons. */
static void drain(void)
{
    const struct hp_server_options *o = &S.opts;
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
        int sig = wait_signal(&S.signals, (unsigned)(deadline.tv_sec - now.tv_sec));
        if (sig == SIGINT || sig == SIGTERM) {
            hp_log(HP_LOG_INFO, "second signal: skipping the rest of the shutdown delay", NULL, 0);
            break;
        }
    }
    /* Connections still in the backlog are reset; those already accepted
     * finish their running requests, and one accepted just before the close
     * may still send its first (the request timeout cuts it if it does
     * not). Idle keep-alive connections are not waited for. */
    srv_listener_close(S.listener);
    S.listener = NULL;
    for (unsigned ms = 0; ms < o->drain_timeout * 1000u; ms += 10) {
        if (atomic_load(&srv_state.inflight) == 0 &&
            atomic_load(&srv_state.connections) <= atomic_load(&srv_state.used)) {
            break;
        }
        nanosleep(&(struct timespec){0, 10L * 1000 * 1000}, NULL);
    }
    /* Requests still waiting for memory are answered now (503), not cut. */
    srv_budget_close();
    for (unsigned ms = 0; ms < 1000 && atomic_load(&srv_state.inflight) > 0; ms += 10) {
        nanosleep(&(struct timespec){0, 10L * 1000 * 1000}, NULL);
    }
    int left = atomic_load(&srv_state.inflight);
    MHD_stop_daemon(S.tls);
    S.tls = NULL;
    if (S.plain != NULL) {
        MHD_stop_daemon(S.plain);
        S.plain = NULL;
    }
    hp_log(left == 0 ? HP_LOG_INFO : HP_LOG_WARN, "stopped",
           (struct hp_log_field[]){HP_LOG_I("unfinishedRequests", left)}, 1);
}

/* Stops what still runs and frees everything, after a drain or a failed start. */
static void release(void)
{
    srv_listener_close(S.listener);
    S.listener = NULL;
    if (S.plain != NULL) {
        MHD_stop_daemon(S.plain);
        S.plain = NULL;
    }
    if (S.tls != NULL) {
        srv_budget_close();
        MHD_stop_daemon(S.tls);
        S.tls = NULL;
    }
    srv_budget_stop();
    srv_certs_cleanup();
    srv_clientca_cleanup();
    srv_config_drop();
    srv_dev_cleanup(&S.dev);
    S.started = false;
}

static void log_listening(const struct timespec *t0, unsigned port)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    struct srv_config *c = srv_config_get();
    hp_log(HP_LOG_INFO, "listening",
           (struct hp_log_field[]){
               HP_LOG_S("address", S.opts.listen), HP_LOG_I("port", port),
               HP_LOG_S("metricsAddress", S.opts.metrics_listen), HP_LOG_S("profile", c->profile),
               HP_LOG_S("mode", hp_mode_name(c->config.mode)), HP_LOG_S("version", HP_VERSION),
               HP_LOG_I("startMicros",
                        (t1.tv_sec - t0->tv_sec) * 1000000 + (t1.tv_nsec - t0->tv_nsec) / 1000)},
           7);
    srv_config_put(c);
}

enum hp_err hp_server_start(const struct hp_server_options *o, struct hp_server_info *info,
                            struct hp_error *err)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (S.started) {
        return hp_error_set(err, HP_ERR_INTERNAL, "the server is already running");
    }
    memset(info, 0, sizeof(*info));
    memset(&S, 0, sizeof(S));
    S.opts = *o;
    struct hp_server_options *opts = &S.opts;
    memset(&srv_state, 0, sizeof(srv_state));
    srv_state.opts = opts;
    hp_log_set_level(opts->log_level);
    hp_metrics_init(HP_VERSION);
    srv_thread_state_key_init();
    raise_fd_limit(opts->max_connections);
    /* The message may only go to err, which the caller may leave NULL. */
    struct hp_error e;
    hp_error_clear(&e);
    enum hp_err rc = HP_OK;

    if (opts->dev) {
        if ((rc = srv_dev_start(&S.dev, &e)) != HP_OK) {
            goto fail;
        }
        opts->tls_cert = S.dev.cert;
        opts->tls_key = S.dev.key;
    }
    if (opts->tls_cert == NULL || opts->tls_key == NULL) {
        rc = hp_error_set(&e, HP_ERR_INVALID, "--tls-cert and --tls-key are required (or --dev)");
        goto fail;
    }
    if ((rc = srv_watch_start(&S.watch, opts, &e)) != HP_OK) {
        goto fail;
    }
    if (opts->client_ca != NULL && opts->metrics_listen == NULL) {
        hp_log(HP_LOG_WARN,
               "--client-ca without --metrics-listen: HTTPS probes that present no client "
               "certificate (the kubelet's) fail the handshake; probe /healthz and /readyz on "
               "--metrics-listen",
               NULL, 0);
    }
    block_signals(&S.signals);
    tune_malloc();
    if ((rc = srv_budget_start(opts->memory_budget, &e)) != HP_OK) {
        goto fail;
    }
    if ((rc = srv_daemon_start(opts, opts->listen, &S.listener, &S.tls, &e)) != HP_OK) {
        goto fail;
    }
    if (opts->metrics_listen != NULL &&
        (rc = srv_daemon_start(opts, opts->metrics_listen, NULL, &S.plain, &e)) != HP_OK) {
        goto fail;
    }
    info->port = srv_listener_port(S.listener);
    info->dev_dir = opts->dev ? S.dev.dir : NULL;
    atomic_store(&srv_state.ready, true);
    log_listening(&t0, info->port);
    S.started = true;
    return HP_OK;
fail:
    hp_log(HP_LOG_ERROR, "cannot start", (struct hp_log_field[]){HP_LOG_S("error", e.msg)}, 1);
    release();
    if (err != NULL) {
        *err = e;
    }
    return rc;
}

enum hp_err hp_server_run(struct hp_error *err)
{
    if (!S.started) {
        return hp_error_set(err, HP_ERR_INTERNAL,
                            "hp_server_run: the server was not started (call hp_server_start)");
    }
    const struct hp_server_options *o = &S.opts;
    for (;;) {
        int sig = wait_signal(&S.signals, o->watch_interval ? o->watch_interval : 1);
        if (sig == SIGTERM || sig == SIGINT) {
            hp_log(
                HP_LOG_INFO, "signal received",
                (struct hp_log_field[]){HP_LOG_S("signal", sig == SIGTERM ? "SIGTERM" : "SIGINT")},
                1);
            break;
        }
        if (sig == SIGHUP) {
            srv_watch_reload(&S.watch, o, "SIGHUP");
        } else if (o->watch_interval > 0) {
            srv_watch_poll(&S.watch, o);
        }
    }
    drain();
    release();
    return HP_OK;
}
