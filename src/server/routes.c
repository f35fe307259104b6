/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Request handling: routing, per-request state, body limits and content type,
 * and the JSON error responses. Per-request state is created on the first
 * call of the access handler and freed in exactly one place, the
 * request-completed callback. Each server thread keeps its own admission
 * state (parser, findings), so the request path allocates only the body and
 * the response.
 */
#include "hardpod/admission.h"
#include "hardpod/buf.h"
#include "hardpod/obs.h"
#include "framing.h"
#include "internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

enum route {
    ROUTE_VALIDATE,
    ROUTE_HEALTHZ,
    ROUTE_READYZ,
    ROUTE_METRICS,
    ROUTE_NOT_FOUND,
};

struct request {
    bool started; /* the access handler has seen it */
    enum route route;
    struct hp_buf body;
    size_t discarded; /* bytes dropped after the body went over the limit */
    bool too_large;
    bool responded; /* a response was queued before the body ended */
    bool counted;   /* counted in hp_srv.inflight */
    bool target_ok; /* the raw request target has no space or control character */
    struct timespec start;
};

static pthread_key_t thread_key;
static pthread_once_t thread_once = PTHREAD_ONCE_INIT;

static void thread_state_free(void *p)
{
    hp_admission_cleanup(p);
    free(p);
}

static void make_key(void)
{
    pthread_key_create(&thread_key, thread_state_free);
}

void hp_srv_thread_state_key_init(void)
{
    pthread_once(&thread_once, make_key);
}

static struct hp_admission *thread_admission(void)
{
    struct hp_admission *a = pthread_getspecific(thread_key);
    if (a == NULL) {
        a = hp_xmalloc(sizeof(*a));
        hp_admission_init(a);
        pthread_setspecific(thread_key, a);
    }
    return a;
}

/* Queues a response that takes ownership of body (malloc'd, len bytes). */
static enum MHD_Result send_owned(struct MHD_Connection *conn, unsigned int status, char *body,
                                  size_t len, const char *allow)
{
    struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback(len, body, free);
    if (r == NULL) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "application/json");
    if (allow != NULL) {
        MHD_add_response_header(r, "Allow", allow);
    }
    if (atomic_load(&hp_srv.draining)) {
        /* Tell keep-alive clients to reconnect elsewhere while we drain. */
        MHD_add_response_header(r, "Connection", "close");
    }
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_buf(struct MHD_Connection *conn, unsigned int status, struct hp_buf *b,
                                const char *allow)
{
    size_t len = b->len;
    char *data = b->data != NULL ? b->data : hp_xstrdup("");
    b->data = NULL;
    hp_buf_cleanup(b);
    return send_owned(conn, status, data, len, allow);
}

static enum MHD_Result send_json_msg(struct MHD_Connection *conn, unsigned int status,
                                     const char *key, const char *msg, const char *allow)
{
    struct hp_buf b;
    hp_buf_init(&b, 0);
    hp_buf_printf(&b, "{\"%s\":", key);
    hp_buf_put_json_string(&b, msg, strlen(msg));
    hp_buf_puts(&b, "}\n");
    return send_buf(conn, status, &b, allow);
}

/* Answers an error. admission: the request was sent to /validate, so it
 * counts in hardpod_admission_requests_total as an error (a probe or an
 * unknown path does not). */
static enum MHD_Result send_error(struct MHD_Connection *conn, unsigned int status, const char *msg,
                                  const char *allow, bool admission)
{
    if (admission) {
        hp_metrics_request("", "", "error", false, 0);
    }
    hp_log(HP_LOG_INFO, "request rejected",
           (struct hp_log_field[]){HP_LOG_I("status", status), HP_LOG_S("error", msg)}, 2);
    return send_json_msg(conn, status, "error", msg, allow);
}

static enum route route_of(const char *url, bool plain)
{
    if (strcmp(url, "/validate") == 0) {
        return plain ? ROUTE_NOT_FOUND : ROUTE_VALIDATE;
    }
    if (strcmp(url, "/healthz") == 0) {
        return ROUTE_HEALTHZ;
    }
    if (strcmp(url, "/readyz") == 0) {
        return ROUTE_READYZ;
    }
    if (strcmp(url, "/metrics") == 0) {
        return ROUTE_METRICS;
    }
    return ROUTE_NOT_FOUND;
}

static bool json_content_type(const char *ct)
{
    if (ct == NULL) {
        return false;
    }
    while (*ct == ' ') {
        ct++;
    }
    size_t n = strcspn(ct, "; ");
    return n == 16 && strncasecmp(ct, "application/json", 16) == 0;
}

static enum MHD_Result serve_get(struct MHD_Connection *conn, enum route route)
{
    if (route == ROUTE_HEALTHZ) {
        return send_json_msg(conn, MHD_HTTP_OK, "status", "ok", NULL);
    }
    if (route == ROUTE_READYZ) {
        if (atomic_load(&hp_srv.ready)) {
            return send_json_msg(conn, MHD_HTTP_OK, "status", "ready", NULL);
        }
        return send_json_msg(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "status",
                             atomic_load(&hp_srv.draining) ? "draining" : "not ready", NULL);
    }
    struct hp_buf b;
    hp_buf_init(&b, 0);
    hp_metrics_render(&b);
    size_t len = b.len;
    char *data = b.data;
    b.data = NULL;
    struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback(len, data, free);
    if (r == NULL) {
        free(data);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static void log_review(const struct hp_admission_result *res, double secs)
{
    if (!hp_log_enabled(HP_LOG_INFO)) {
        return;
    }
    char checks[1024] = "[";
    size_t used = 1;
    for (int c = 0; c < HP_CHECK_COUNT; c++) {
        if ((res->checks_fired & (1u << c)) != 0) {
            int n = snprintf(checks + used, sizeof(checks) - used, "%s\"%s\"", used > 1 ? "," : "",
                             hp_check_name((enum hp_check)c));
            used += n > 0 && (size_t)n < sizeof(checks) - used ? (size_t)n : 0;
        }
    }
    snprintf(checks + used, sizeof(checks) - used, "]");
    struct hp_log_field f[] = {
        HP_LOG_S("uid", res->uid),
        HP_LOG_S("kind", res->kind),
        HP_LOG_S("namespace", res->ns),
        HP_LOG_S("name", res->name),
        HP_LOG_S("operation", res->operation),
        HP_LOG_S("user", res->username),
        HP_LOG_S("decision", hp_decision_name(res->decision)),
        HP_LOG_S("mode", hp_mode_name(res->mode)),
        HP_LOG_B("dryRun", res->dry_run),
        HP_LOG_S("skipped", res->skip == HP_SKIP_NONE ? NULL : hp_skip_name(res->skip)),
        HP_LOG_I("durationMicros", (int64_t)(secs * 1e6)),
        HP_LOG_RAW_JSON("checks", checks),
    };
    hp_log(HP_LOG_INFO, "admission review", f, sizeof(f) / sizeof(f[0]));
}

static void count_review(const struct hp_admission_result *res, double secs)
{
    const char *decision = hp_decision_name(res->decision);
    hp_metrics_request(res->kind, res->operation, decision, res->dry_run, secs);
    if (res->mode == HP_MODE_AUDIT && res->n_deny > 0) {
        hp_metrics_would_deny(res->kind);
    }
    const struct hp_findings *f = res->findings;
    for (size_t i = 0; f != NULL && i < f->len; i++) {
        hp_metrics_finding(f->items[i].check, f->items[i].action);
    }
}

static enum MHD_Result review(struct MHD_Connection *conn, struct request *rq)
{
    if (rq->too_large) {
        char msg[128];
        snprintf(msg, sizeof(msg), "request body exceeds the limit of %zu bytes",
                 hp_srv.opts->max_body_bytes);
        return send_error(conn, MHD_HTTP_CONTENT_TOO_LARGE, msg, NULL, true);
    }
    struct hp_srv_config *cfg = hp_srv_config_get();
    struct hp_admission_ctx ctx = {&cfg->config, cfg->profile, (int64_t)time(NULL)};
    struct hp_admission_result res;
    struct hp_buf out;
    struct hp_error err;
    hp_buf_init(&out, 0);
    enum hp_err rc = hp_admission_handle(thread_admission(), &ctx, rq->body.data, rq->body.len,
                                         &res, &out, &err);
    enum MHD_Result ret;
    if (rc != HP_OK) {
        hp_buf_cleanup(&out);
        ret = send_error(conn, MHD_HTTP_BAD_REQUEST, err.msg, NULL, true);
    } else {
        double secs = seconds_since(&rq->start);
        count_review(&res, secs);
        log_review(&res, secs);
        ret = send_buf(conn, MHD_HTTP_OK, &out, NULL);
    }
    hp_srv_config_put(cfg);
    return ret;
}

/* Per-connection state of a TLS connection, from its start to its close. */
struct connection {
    bool used; /* a request line has arrived: counted in hp_srv.used */
};

void *hp_srv_request_line(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls, (void)uri;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct connection *c = ci != NULL ? ci->socket_context : NULL;
    if (c != NULL && !c->used) {
        c->used = true;
        atomic_fetch_add(&hp_srv.used, 1);
    }
    struct request *rq = hp_xcalloc(1, sizeof(*rq));
    rq->target_ok = hp_srv_framing_target_ok(uri);
    clock_gettime(CLOCK_MONOTONIC, &rq->start);
    hp_buf_init(&rq->body, hp_srv.opts->max_body_bytes);
    atomic_fetch_add(&hp_srv.inflight, 1);
    rq->counted = true;
    return rq;
}

/* First call for a request: framing, route, method, content type and declared size. */
static enum MHD_Result start(struct MHD_Connection *conn, const char *url, const char *method,
                             const char *version, bool plain, void **req_cls)
{
    struct request *rq = *req_cls;
    if (rq == NULL) {
        rq = hp_srv_request_line(NULL, url, conn);
        *req_cls = rq;
    }
    rq->started = true;
    rq->route = route_of(url, plain);
    MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, hp_srv.opts->request_timeout);
    char why[160];
    unsigned bad = hp_srv_framing_check(conn, version, rq->target_ok, why, sizeof(why));
    if (bad != 0) {
        rq->responded = true;
        return hp_srv_framing_reject(conn, bad, why, rq->route == ROUTE_VALIDATE);
    }
    if (rq->route == ROUTE_NOT_FOUND) {
        rq->responded = true;
        return send_error(conn, MHD_HTTP_NOT_FOUND,
                          "not found: the routes are POST /validate, "
                          "GET /healthz, GET /readyz and GET /metrics",
                          NULL, false);
    }
    bool is_get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    if (rq->route == ROUTE_VALIDATE ? strcmp(method, "POST") != 0 : !is_get) {
        rq->responded = true;
        const char *allow = rq->route == ROUTE_VALIDATE ? "POST" : "GET, HEAD";
        char msg[96];
        snprintf(msg, sizeof(msg), "method %.16s is not allowed here; use %s", method, allow);
        return send_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, msg, allow,
                          rq->route == ROUTE_VALIDATE);
    }
    if (rq->route != ROUTE_VALIDATE) {
        return MHD_YES;
    }
    const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
    if (!json_content_type(ct)) {
        rq->responded = true;
        return send_error(conn, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
                          "Content-Type must be application/json", NULL, true);
    }
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    if (cl != NULL && strtoull(cl, NULL, 10) > hp_srv.opts->max_body_bytes) {
        rq->too_large = true;
        rq->responded = true;
        return review(conn, rq);
    }
    return MHD_YES;
}

/* How much of an oversized body is read (and dropped) before the connection
 * is closed without an answer. */
static size_t discard_limit(void)
{
    size_t max = hp_srv.opts->max_body_bytes;
    return max < (32u << 20) ? (64u << 20) : 2 * max;
}

enum MHD_Result hp_srv_handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **req_cls)
{
    struct request *rq = *req_cls;
    if (rq == NULL || !rq->started) {
        return start(conn, url, method, version, cls != NULL, req_cls);
    }
    if (*upload_size > 0) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (rq->too_large || rq->responded) {
            /* libmicrohttpd cannot answer in the middle of a body: drop the
             * rest and answer 413 at its end, but close a connection that
             * keeps streaming far past the limit. */
            rq->discarded += n;
            return rq->discarded > discard_limit() ? MHD_NO : MHD_YES;
        }
        if (!hp_buf_append(&rq->body, upload, n)) {
            rq->too_large = true;
            rq->discarded = rq->body.len + n;
            hp_buf_cleanup(&rq->body);
        }
        return MHD_YES;
    }
    if (rq->responded) {
        return MHD_YES;
    }
    rq->responded = true;
    if (rq->route == ROUTE_VALIDATE) {
        return review(conn, rq);
    }
    return serve_get(conn, rq->route);
}

void hp_srv_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)toe;
    struct request *rq = *req_cls;
    if (rq == NULL) {
        return;
    }
    if (rq->counted) {
        atomic_fetch_sub(&hp_srv.inflight, 1);
    }
    hp_buf_cleanup(&rq->body);
    free(rq);
    *req_cls = NULL;
    /* Between requests a keep-alive connection may idle for longer. */
    MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, hp_srv.opts->idle_timeout);
}

void hp_srv_connection(void *cls, struct MHD_Connection *conn, void **socket_cls,
                       enum MHD_ConnectionNotificationCode toe)
{
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        /* A new connection must send its first request promptly (slowloris). */
        MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT,
                                  hp_srv.opts->request_timeout);
        if (cls != NULL) {
            *socket_cls = hp_xcalloc(1, sizeof(struct connection));
        }
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED && cls != NULL) {
        struct connection *c = *socket_cls;
        if (c != NULL && c->used) {
            atomic_fetch_sub(&hp_srv.used, 1);
        }
        free(c);
        *socket_cls = NULL;
        atomic_fetch_sub((atomic_uint *)cls, 1);
    }
}
