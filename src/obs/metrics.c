/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Metrics updates: every call is a few relaxed atomic increments on fixed
 * arrays, so the request path never takes a lock. The one exception is the
 * first sighting of a kind, which inserts it into a small table under a mutex.
 * Rendering lives in render.c.
 */
#include "internal.h"

#include "hardpod/utf8.h"

#include <math.h>
#include <string.h>

struct obs_registry obs_registry = {
    .kinds[OBS_MAX_KINDS].name = "other",
    .kinds_lock = PTHREAD_MUTEX_INITIALIZER,
};

const char *const obs_op_names[OBS_N_OPS] = {"CREATE", "UPDATE", "DELETE", "CONNECT", "other"};
const char *const obs_decision_names[OBS_N_DECISIONS] = {"allowed", "denied", "warned", "error"};
const char *const obs_result_names[OBS_N_RESULTS] = {"success", "failure"};
const double obs_bucket_bounds[OBS_N_BUCKETS - 1] = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0};
const char *const obs_bucket_labels[OBS_N_BUCKETS] = {
    "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01",
    "0.025",  "0.05",    "0.1",    "0.25",  "0.5",    "1",     "+Inf"};

#define OP_OTHER (OBS_N_OPS - 1)
#define DECISION_ERROR 3
#define RESULT_SUCCESS 0
#define RESULT_FAILURE 1

/* One observation above this many seconds is clamped in the sum, so that the
 * nanosecond total cannot wrap for any realistic uptime. */
#define MAX_OBSERVATION_SECONDS 1e6

static void inc(atomic_uint_fast64_t *c)
{
    atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static void zero(atomic_uint_fast64_t *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        atomic_store_explicit(&c[i], 0, memory_order_relaxed);
    }
}

/* Not thread-safe against concurrent updates: call it before serving (tests
 * call it again to start from zero). */
void hp_metrics_init(const char *version)
{
    struct obs_registry *r = &obs_registry;
    pthread_mutex_lock(&r->kinds_lock);
    for (size_t k = 0; k <= OBS_MAX_KINDS; k++) {
        memset(r->kinds[k].name, 0, sizeof(r->kinds[k].name));
        zero(&r->kinds[k].requests[0][0], (size_t)OBS_N_OPS * OBS_N_DECISIONS);
        zero(&r->kinds[k].would_deny, 1);
    }
    memcpy(r->kinds[OBS_MAX_KINDS].name, "other", sizeof("other"));
    atomic_store_explicit(&r->n_kinds, 0, memory_order_release);
    pthread_mutex_unlock(&r->kinds_lock);

    zero(r->duration_buckets, OBS_N_BUCKETS);
    zero(&r->duration_sum_ns, 1);
    zero(&r->dry_run, 1);
    zero(&r->findings[0][0], (size_t)HP_CHECK_COUNT * OBS_N_ACTIONS);
    zero(r->config_reloads, OBS_N_RESULTS);
    zero(r->cert_reloads, OBS_N_RESULTS);
    zero(&r->connections_refused, 1);
    zero(&r->memory_budget, 1);
    zero(&r->memory_in_use, 1);
    zero(&r->memory_peak, 1);
    zero(&r->memory_waits, 1);
    zero(r->memory_rejected, 2);
    atomic_store_explicit(&r->cert_not_after, 0, memory_order_relaxed);

    memset(r->version, 0, sizeof(r->version));
    if (version != NULL) {
        size_t n = strnlen(version, sizeof(r->version) - 1);
        memcpy(r->version, version, n);
    }
}

/* A kind gets its own series only when it is a usable label value: non-empty,
 * shorter than a slot and valid UTF-8 (Prometheus rejects anything else).
 * "other" itself is refused so that two series never share a label set. */
static bool kind_storable(const char *kind, size_t n)
{
    if (n == 0 || n >= OBS_KIND_MAX || strcmp(kind, "other") == 0) {
        return false;
    }
    return hp_utf8_valid(kind, n, NULL);
}

static struct obs_kind *kind_find(const char *kind, size_t n, size_t from, size_t to)
{
    for (size_t k = from; k < to; k++) {
        struct obs_kind *slot = &obs_registry.kinds[k];
        if (memcmp(slot->name, kind, n) == 0 && slot->name[n] == '\0') {
            return slot;
        }
    }
    return NULL;
}

/* Returns the slot for kind, inserting it on first sight; "other" when the
 * kind cannot be stored or the table is full. */
static struct obs_kind *kind_slot(const char *kind)
{
    struct obs_registry *r = &obs_registry;
    struct obs_kind *other = &r->kinds[OBS_MAX_KINDS];
    if (kind == NULL) {
        return other;
    }
    size_t n = strnlen(kind, OBS_KIND_MAX);
    size_t seen = atomic_load_explicit(&r->n_kinds, memory_order_acquire);
    struct obs_kind *slot = n < OBS_KIND_MAX ? kind_find(kind, n, 0, seen) : NULL;
    if (slot != NULL) {
        return slot;
    }
    if (seen >= OBS_MAX_KINDS || !kind_storable(kind, n)) {
        return other;
    }
    pthread_mutex_lock(&r->kinds_lock);
    /* Another thread may have inserted it (or filled the table) meanwhile. */
    size_t now = atomic_load_explicit(&r->n_kinds, memory_order_relaxed);
    slot = kind_find(kind, n, seen, now);
    if (slot == NULL && now < OBS_MAX_KINDS) {
        slot = &r->kinds[now];
        memcpy(slot->name, kind, n);
        slot->name[n] = '\0';
        atomic_store_explicit(&r->n_kinds, now + 1, memory_order_release);
    }
    pthread_mutex_unlock(&r->kinds_lock);
    return slot != NULL ? slot : other;
}

static size_t name_index(const char *s, const char *const *names, size_t n, size_t fallback)
{
    if (s != NULL) {
        for (size_t i = 0; i < n; i++) {
            if (strcmp(s, names[i]) == 0) {
                return i;
            }
        }
    }
    return fallback;
}

static void observe_duration(double seconds)
{
    struct obs_registry *r = &obs_registry;
    if (!(seconds > 0)) { /* negative, zero or NaN */
        seconds = 0;
    }
    size_t b = 0;
    while (b < OBS_N_BUCKETS - 1 && seconds > obs_bucket_bounds[b]) {
        b++;
    }
    inc(&r->duration_buckets[b]);
    double clamped = fmin(seconds, MAX_OBSERVATION_SECONDS);
    uint_fast64_t ns = (uint_fast64_t)llround(clamped * 1e9);
    atomic_fetch_add_explicit(&r->duration_sum_ns, ns, memory_order_relaxed);
}

/* An operation outside the four Kubernetes sends counts as "other"; a
 * decision outside the fixed set is a caller bug and counts as "error". */
void hp_metrics_request(const char *kind, const char *operation, const char *decision, bool dry_run,
                        double seconds)
{
    struct obs_kind *slot = kind_slot(kind);
    size_t op = name_index(operation, obs_op_names, OP_OTHER, OP_OTHER);
    size_t dec = name_index(decision, obs_decision_names, OBS_N_DECISIONS, DECISION_ERROR);
    inc(&slot->requests[op][dec]);
    if (dry_run) {
        inc(&obs_registry.dry_run);
    }
    observe_duration(seconds);
}

void hp_metrics_would_deny(const char *kind)
{
    inc(&kind_slot(kind)->would_deny);
}

void hp_metrics_finding(enum hp_check check, enum hp_action action)
{
    if ((unsigned)check >= HP_CHECK_COUNT) {
        return;
    }
    if (action == HP_ACTION_WARN) {
        inc(&obs_registry.findings[check][0]);
    } else if (action == HP_ACTION_DENY) {
        inc(&obs_registry.findings[check][1]);
    }
}

void hp_metrics_config_reload(bool ok)
{
    inc(&obs_registry.config_reloads[ok ? RESULT_SUCCESS : RESULT_FAILURE]);
}

void hp_metrics_cert_expiry(int64_t not_after)
{
    atomic_store_explicit(&obs_registry.cert_not_after, not_after, memory_order_relaxed);
}

void hp_metrics_cert_reload(bool ok)
{
    inc(&obs_registry.cert_reloads[ok ? RESULT_SUCCESS : RESULT_FAILURE]);
}

void hp_metrics_connection_refused(void)
{
    inc(&obs_registry.connections_refused);
}

void hp_metrics_memory(size_t budget, size_t in_use)
{
    struct obs_registry *r = &obs_registry;
    atomic_store_explicit(&r->memory_budget, budget, memory_order_relaxed);
    atomic_store_explicit(&r->memory_in_use, in_use, memory_order_relaxed);
    uint_fast64_t peak = atomic_load_explicit(&r->memory_peak, memory_order_relaxed);
    while (in_use > peak &&
           !atomic_compare_exchange_weak_explicit(&r->memory_peak, &peak, in_use,
                                                  memory_order_relaxed, memory_order_relaxed)) {
    }
}

void hp_metrics_memory_wait(void)
{
    inc(&obs_registry.memory_waits);
}

void hp_metrics_memory_rejected(bool waited)
{
    inc(&obs_registry.memory_rejected[waited ? 1 : 0]);
}
