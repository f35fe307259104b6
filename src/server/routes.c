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
#include "internal.h"

#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct request {
    bool started; /* the access handler has seen it */
    struct srv_route route;
    struct hp_buf body;
    size_t received; /* body bytes that arrived, kept or dropped */
    bool too_large;
    bool over_budget; /* a body without Content-Length outgrew the memory budget */
    bool starved;     /* waited for memory until its deadline: 503 at the body's end */
    bool responded;   /* a response was queued before the body ended */
    bool counted;     /* counted in srv_state.inflight */
    bool timed_out;   /* the body took longer than --body-timeout: logged once */
    bool target_ok;   /* the raw request target has no space or control character */
    struct timespec start;
    struct timespec body_start; /* when the body may start arriving (after any wait) */
    size_t declared;            /* Content-Length; 0 when the body is chunked */
    /* The memory budget: what this request holds, and its place in the
     * queue while it waits (before its body, or before its parse). */
    size_t charged;
    bool waiting;
    bool parse_wait; /* waiting with the body prepared, for its parse */
    struct srv_waiter wait;
    struct hp_admission_body prepared;
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

void srv_thread_state_key_init(void)
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
                                  size_t len, const char *allow, bool close)
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
    if (close || atomic_load(&srv_state.draining)) {
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
    size_t len = 0;
    char *data = hp_buf_take(b, &len);
    return send_owned(conn, status, data, len, allow, false);
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

/* Answers {"error": msg} with status (and an Allow header when allow is not
 * NULL), logs it, and counts it as an admission error when admission is set;
 * close ends the connection after it. */
static enum MHD_Result send_error_ex(struct MHD_Connection *conn, unsigned int status,
                                     const char *msg, const char *allow, bool admission, bool close)
{
    if (admission) {
        hp_metrics_request("", "", "error", false, 0);
    }
    hp_log(HP_LOG_INFO, "request rejected",
           (struct hp_log_field[]){HP_LOG_I("status", status), HP_LOG_S("error", msg)}, 2);
    struct hp_buf b;
    hp_buf_init(&b, 0);
    hp_buf_puts(&b, "{\"error\":");
    hp_buf_put_json_string(&b, msg, strlen(msg));
    hp_buf_puts(&b, "}\n");
    size_t len = 0;
    char *data = hp_buf_take(&b, &len);
    return send_owned(conn, status, data, len, allow, close);
}

static enum MHD_Result send_error(struct MHD_Connection *conn, unsigned int status, const char *msg,
                                  const char *allow, bool admission)
{
    return send_error_ex(conn, status, msg, allow, admission, false);
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

static enum MHD_Result serve_get(struct MHD_Connection *conn, enum srv_route_kind route)
{
    if (route == SRV_ROUTE_HEALTHZ) {
        return send_json_msg(conn, MHD_HTTP_OK, "status", "ok", NULL);
    }
    if (route == SRV_ROUTE_READYZ) {
        if (atomic_load(&srv_state.ready)) {
            return send_json_msg(conn, MHD_HTTP_OK, "status", "ready", NULL);
        }
        return send_json_msg(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "status",
                             atomic_load(&srv_state.draining) ? "draining" : "not ready", NULL);
    }
    struct hp_buf b;
    hp_buf_init(&b, 0);
    hp_metrics_render(&b);
    size_t len = 0;
    char *data = hp_buf_take(&b, &len);
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

static void log_review(const struct hp_admission_result *res, const struct srv_route *route,
                       double secs)
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
        HP_LOG_S("profile", res->profile),
        HP_LOG_S("enforceLabel", route->has_enforce ? hp_profile_name(route->enforce) : NULL),
        HP_LOG_S("warnLabel", route->has_warn ? hp_profile_name(route->warn) : NULL),
        HP_LOG_S("badLabel", route->bad_label),
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

/* Seconds in a Go duration as the API server writes ?timeout= ("5s",
 * "1m30s", "500ms"); 0 when it is not one. */
static double go_duration(const char *s)
{
    double total = 0;
    if (s == NULL || *s == '\0') {
        return 0;
    }
    while (*s != '\0') {
        char *end;
        double v = strtod(s, &end);
        if (end == s || v < 0) {
            return 0;
        }
        s = end;
        static const struct {
            const char *unit;
            double seconds;
        } units[] = {{"ms", 1e-3}, {"us", 1e-6}, {"\xc2\xb5s", 1e-6}, {"ns", 1e-9}, {"h", 3600},
                     {"m", 60},    {"s", 1}};
        size_t k = 0;
        for (; k < sizeof(units) / sizeof(units[0]); k++) {
            size_t n = strlen(units[k].unit);
            if (strncmp(s, units[k].unit, n) == 0) {
                total += v * units[k].seconds;
                s += n;
                break;
            }
        }
        if (k == sizeof(units) / sizeof(units[0])) {
            return 0;
        }
    }
    return total;
}

/* How long a request may wait for memory: until shortly before the caller
 * gives up (the API server's ?timeout=, 10 s when absent, at most 30 s), so
 * that it reads hardpod's answer rather than its own timeout. */
static struct timespec wait_deadline(struct MHD_Connection *conn, const struct request *rq)
{
    double t = go_duration(MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "timeout"));
    if (t <= 0) {
        t = 10;
    }
    if (t > 30) {
        t = 30;
    }
    /* a fifth of it (1 s at most) for reading and dropping the body */
    t -= t / 5 < 1 ? t / 5 : 1;
    struct timespec d = rq->start;
    d.tv_sec += (time_t)t;
    d.tv_nsec += (long)((t - (double)(time_t)t) * 1e9);
    if (d.tv_nsec >= 1000000000L) {
        d.tv_sec++;
        d.tv_nsec -= 1000000000L;
    }
    return d;
}

/* Answers a request that cannot have the memory it needs: it never could
 * (413), or it waited until its deadline (503). */
static enum MHD_Result no_memory(struct MHD_Connection *conn, struct request *rq, size_t need,
                                 bool waited)
{
    char msg[320];
    if (waited) {
        snprintf(msg, sizeof(msg),
                 "hardpod is busy: this request needs %zu bytes of memory and waited %.1f s for "
                 "them within the memory budget of %zu bytes (--memory-budget); retry later",
                 need, seconds_since(&rq->start), srv_budget_total());
    } else {
        snprintf(msg, sizeof(msg),
                 "request too large: reading it needs %zu bytes of memory, more than the whole "
                 "memory budget of %zu bytes (--memory-budget)",
                 need, srv_budget_total());
    }
    hp_metrics_memory_rejected(waited);
    rq->responded = true;
    return send_error(conn, waited ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_CONTENT_TOO_LARGE, msg,
                      NULL, true);
}

/* Charges need bytes to rq, waiting for them (suspended) when they do not
 * fit now. Returns true when rq now holds them; false when it waits (the
 * budget thread resumes it) or when it was answered. *ret is the result for
 * libmicrohttpd in both false cases. */
static bool charge(struct MHD_Connection *conn, struct request *rq, size_t need, bool parse,
                   enum MHD_Result *ret)
{
    *ret = MHD_YES;
    if (need > srv_budget_total() || rq->charged > srv_budget_total() - need) {
        *ret = no_memory(conn, rq, rq->charged + need, false);
        return false;
    }
    if (srv_budget_take(need)) {
        rq->charged += need;
        return true;
    }
    rq->wait = (struct srv_waiter){
        .conn = conn, .need = need, .held = rq->charged, .deadline = wait_deadline(conn, rq)};
    rq->parse_wait = parse;
    if (srv_budget_wait(&rq->wait)) {
        rq->waiting = true;
        return false;
    }
    *ret = no_memory(conn, rq, rq->charged + need, true);
    return false;
}

/* The context of one review: the config, and what the namespace's labels
 * chose (route). The label's profile replaces the config's; its checks,
 * exemptions and customKinds still apply (cfg->by_profile). */
static struct hp_admission_ctx review_ctx(const struct srv_config *cfg,
                                          const struct srv_route *route)
{
    static const enum hp_mode enforce = HP_MODE_ENFORCE;
    struct hp_admission_ctx ctx = {
        .config = &cfg->config,
        .profile_name = cfg->profile,
        .now = (int64_t)time(NULL),
        .bad_label = route->bad_label,
    };
    if (route->has_enforce) {
        ctx.config = &cfg->by_profile[route->enforce];
        ctx.profile_name = hp_profile_name(route->enforce);
        ctx.mode = &enforce;
    }
    if (route->has_warn) {
        ctx.warn = &cfg->by_profile[route->warn].policy;
        ctx.warn_name = hp_profile_name(route->warn);
    }
    return ctx;
}

/* Parses the prepared body and answers. */
static enum MHD_Result decide_prepared(struct MHD_Connection *conn, struct request *rq)
{
    struct srv_config *cfg = srv_config_get();
    struct hp_admission_ctx ctx = review_ctx(cfg, &rq->route);
    struct hp_admission_result res;
    struct hp_buf out;
    struct hp_error err;
    hp_buf_init(&out, 0);
    struct hp_admission *a = thread_admission();
    enum hp_err rc = hp_admission_handle_body(a, &ctx, &rq->prepared, &res, &out, &err);
    enum MHD_Result ret;
    if (rc != HP_OK) {
        hp_buf_cleanup(&out);
        ret = send_error(conn, MHD_HTTP_BAD_REQUEST, err.msg, NULL, true);
    } else {
        double secs = seconds_since(&rq->start);
        count_review(&res, secs);
        log_review(&res, &rq->route, secs);
        ret = send_buf(conn, MHD_HTTP_OK, &out, NULL);
    }
    /* The tree is charged to this request: free it with the request, not
     * at the thread's next one. */
    hp_admission_clear(a);
    hp_admission_body_cleanup(&rq->prepared);
    srv_config_put(cfg);
    return ret;
}

static enum MHD_Result review(struct MHD_Connection *conn, struct request *rq)
{
    if (rq->too_large) {
        char msg[128];
        snprintf(msg, sizeof(msg), "request body exceeds the limit of %zu bytes",
                 srv_state.opts->max_body_bytes);
        return send_error(conn, MHD_HTTP_CONTENT_TOO_LARGE, msg, NULL, true);
    }
    if (rq->over_budget) {
        return no_memory(conn, rq, 2 * rq->received, false);
    }
    struct hp_error err;
    hp_admission_body_init(&rq->prepared);
    struct srv_config *cfg = srv_config_get();
    enum hp_err rc = hp_admission_prepare(thread_admission(), &cfg->config, rq->body.data,
                                          rq->body.len, &rq->prepared, &err);
    srv_config_put(cfg);
    hp_buf_cleanup(&rq->body);
    if (rc != HP_OK) {
        hp_admission_body_cleanup(&rq->prepared);
        return send_error(conn, MHD_HTTP_BAD_REQUEST, err.msg, NULL, true);
    }
    /* The body is gone: the request now holds its reduced copy and needs
     * the tree json-c will build of it. */
    hp_buf_shrink(&rq->prepared.text);
    size_t keep = rq->prepared.text.cap + rq->prepared.cost;
    if (keep <= rq->charged) {
        srv_budget_put(rq->charged - keep);
        rq->charged = keep;
    } else {
        enum MHD_Result ret;
        if (!charge(conn, rq, keep - rq->charged, true, &ret)) {
            if (!rq->waiting) {
                hp_admission_body_cleanup(&rq->prepared);
            }
            return ret;
        }
    }
    return decide_prepared(conn, rq);
}

/* Per-connection state of a TLS connection, from its start to its close. */
struct connection {
    bool used; /* a request line has arrived: counted in srv_state.used */
};

void *srv_request_line(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls, (void)uri;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct connection *c = ci != NULL ? ci->socket_context : NULL;
    if (c != NULL && !c->used) {
        c->used = true;
        atomic_fetch_add(&srv_state.used, 1);
    }
    struct request *rq = hp_xcalloc(1, sizeof(*rq));
    rq->target_ok = srv_framing_target_ok(uri);
    clock_gettime(CLOCK_MONOTONIC, &rq->start);
    hp_buf_init(&rq->body, srv_state.opts->max_body_bytes);
    atomic_fetch_add(&srv_state.inflight, 1);
    rq->counted = true;
    return rq;
}

/* First call for a request: framing, route, method, content type and declared size. */
static enum MHD_Result start(struct MHD_Connection *conn, const char *url, const char *method,
                             const char *version, bool plain, void **req_cls)
{
    struct request *rq = *req_cls;
    if (rq == NULL) {
        rq = srv_request_line(NULL, url, conn);
        *req_cls = rq;
    }
    rq->started = true;
    srv_route_parse(url, plain, &rq->route);
    enum srv_route_kind route = rq->route.kind;
    MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, srv_state.opts->request_timeout);
    char why[160];
    unsigned bad = srv_framing_check(conn, version, rq->target_ok, why, sizeof(why));
    if (bad != 0) {
        rq->responded = true;
        /* framing that cannot be trusted: nothing more is read on this connection */
        return send_error_ex(conn, bad, why, NULL, rq->route.admission, true);
    }
    if (route == SRV_ROUTE_NOT_FOUND) {
        /* Under /validate too: never an allow, and the API server reports
         * the failed call (failurePolicy decides). */
        rq->responded = true;
        return send_error(conn, MHD_HTTP_NOT_FOUND, rq->route.why, NULL, false);
    }
    bool is_get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    if (route == SRV_ROUTE_VALIDATE ? strcmp(method, "POST") != 0 : !is_get) {
        rq->responded = true;
        const char *allow = route == SRV_ROUTE_VALIDATE ? "POST" : "GET, HEAD";
        char msg[96];
        snprintf(msg, sizeof(msg), "method %.16s is not allowed here; use %s", method, allow);
        return send_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, msg, allow,
                          route == SRV_ROUTE_VALIDATE);
    }
    if (route != SRV_ROUTE_VALIDATE) {
        return MHD_YES;
    }
    const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
    if (!json_content_type(ct)) {
        rq->responded = true;
        return send_error(conn, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
                          "Content-Type must be application/json", NULL, true);
    }
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    if (cl != NULL && strtoull(cl, NULL, 10) > srv_state.opts->max_body_bytes) {
        rq->too_large = true;
        rq->responded = true;
        return review(conn, rq);
    }
    clock_gettime(CLOCK_MONOTONIC, &rq->body_start);
    if (cl == NULL) {
        return MHD_YES; /* chunked: charged as it arrives */
    }
    /* The body, and its reduced copy (never longer), are charged before a
     * byte of them is read. */
    rq->declared = (size_t)strtoull(cl, NULL, 10);
    enum MHD_Result ret;
    if (!charge(conn, rq, 2 * rq->declared, false, &ret)) {
        return ret;
    }
    hp_buf_reserve(&rq->body, rq->declared);
    return MHD_YES;
}

/* The budget thread resumed a waiting request. */
static enum MHD_Result resumed(struct MHD_Connection *conn, struct request *rq, bool *go_on)
{
    rq->waiting = false;
    *go_on = false;
    if (atomic_load(&rq->wait.state) != SRV_WAIT_GRANTED) {
        if (rq->parse_wait) {
            hp_admission_body_cleanup(&rq->prepared);
            return no_memory(conn, rq, rq->charged + rq->wait.need, true);
        }
        /* Its body is read and dropped, and it is answered at the end, as
         * a caller that writes the whole body before it reads expects; the
         * body must still come within --body-timeout. */
        rq->starved = true;
        clock_gettime(CLOCK_MONOTONIC, &rq->body_start);
        *go_on = true;
        return MHD_YES;
    }
    rq->charged += rq->wait.need;
    if (rq->parse_wait) {
        return decide_prepared(conn, rq);
    }
    clock_gettime(CLOCK_MONOTONIC, &rq->body_start);
    hp_buf_reserve(&rq->body, rq->declared);
    *go_on = true;
    return MHD_YES;
}

/* How much of an oversized body is read (and dropped) before the connection
 * is closed without an answer. */
static size_t discard_limit(void)
{
    size_t max = srv_state.opts->max_body_bytes;
    return max < (32u << 20) ? (64u << 20) : 2 * max;
}

// cppcheck-suppress constParameter ; libmicrohttpd's callback type fixes the signature
enum MHD_Result srv_handle(void *cls, struct MHD_Connection *conn, const char *url,
                           const char *method, const char *version, const char *upload,
                           size_t *upload_size, void **req_cls)
{
    struct request *rq = *req_cls;
    if (rq == NULL || !rq->started) {
        return start(conn, url, method, version, cls != NULL, req_cls);
    }
    if (rq->waiting) {
        bool go_on;
        enum MHD_Result ret = resumed(conn, rq, &go_on);
        if (!go_on) {
            return ret;
        }
    }
    if (*upload_size > 0) {
        size_t n = *upload_size;
        *upload_size = 0;
        rq->received += n;
        if (seconds_since(&rq->body_start) > srv_state.opts->body_timeout) {
            /* A body that trickles in holds its memory: it gets a total
             * time, not only a silence timeout. libmicrohttpd cannot
             * answer in the middle of a body, so the connection closes. */
            if (!rq->timed_out) {
                rq->timed_out = true;
                hp_log(HP_LOG_INFO, "request body too slow: connection closed",
                       (struct hp_log_field[]){
                           HP_LOG_I("bodyTimeoutSeconds", srv_state.opts->body_timeout),
                           HP_LOG_I("bytesReceived", (int64_t)rq->received)},
                       2);
            }
            return MHD_NO;
        }
        bool dropping = rq->too_large || rq->responded || rq->over_budget || rq->starved;
        if (!dropping && rq->declared == 0) {
            /* chunked: charged as it arrives, never waited for */
            if (srv_budget_take(2 * n)) {
                rq->charged += 2 * n;
            } else {
                rq->over_budget = true;
                hp_buf_cleanup(&rq->body);
                dropping = true;
            }
        }
        if (dropping) {
            /* libmicrohttpd cannot answer in the middle of a body: drop the
             * rest and answer at its end, but close a connection that keeps
             * streaming far past the limit. */
            return rq->received > discard_limit() ? MHD_NO : MHD_YES;
        }
        if (!hp_buf_append(&rq->body, upload, n)) {
            rq->too_large = true;
            hp_buf_cleanup(&rq->body);
        }
        return MHD_YES;
    }
    if (rq->responded) {
        return MHD_YES;
    }
    if (rq->declared != 0 && rq->received < rq->declared) {
        return MHD_YES; /* the call after a resume: the body has not arrived yet */
    }
    if (rq->starved) {
        return no_memory(conn, rq, rq->wait.need, true);
    }
    rq->responded = true;
    if (rq->route.kind == SRV_ROUTE_VALIDATE) {
        return review(conn, rq);
    }
    return serve_get(conn, rq->route.kind);
}

void srv_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                   enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)toe;
    struct request *rq = *req_cls;
    if (rq == NULL) {
        return;
    }
    if (rq->counted) {
        atomic_fetch_sub(&srv_state.inflight, 1);
    }
    size_t big = rq->charged;
    hp_buf_cleanup(&rq->body);
    hp_admission_body_cleanup(&rq->prepared);
    srv_budget_put(rq->charged);
    free(rq);
    if (big >= SRV_TRIM_BYTES) {
        /* Give the freed pages of a large request back to the kernel, so
         * that RSS returns to near idle (glibc keeps them otherwise). */
        malloc_trim(0);
    }
    *req_cls = NULL;
    /* Between requests a keep-alive connection may idle for longer. */
    MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, srv_state.opts->idle_timeout);
}

void srv_connection(void *cls, struct MHD_Connection *conn, void **socket_cls,
                    enum MHD_ConnectionNotificationCode toe)
{
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        /* A new connection must send its first request promptly (slowloris). */
        MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT,
                                  srv_state.opts->request_timeout);
        if (cls != NULL) {
            *socket_cls = hp_xcalloc(1, sizeof(struct connection));
        }
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED && cls != NULL) {
        struct connection *c = *socket_cls;
        if (c != NULL && c->used) {
            atomic_fetch_sub(&srv_state.used, 1);
        }
        free(c);
        *socket_cls = NULL;
        atomic_fetch_sub((atomic_uint *)cls, 1);
    }
}
