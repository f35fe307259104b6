/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Observability: JSON-lines logging to stderr and a Prometheus metrics
 * registry. The logger and the registry are process-wide (the only globals
 * besides the frozen config); every function is thread-safe, counters are
 * lock-free atomics, and a log call below the level does no formatting.
 */
#ifndef HARDPOD_OBS_H
#define HARDPOD_OBS_H

#include "hardpod/buf.h"
#include "hardpod/policy.h"

#include <stdbool.h>
#include <stdint.h>

enum hp_log_level {
    HP_LOG_DEBUG,
    HP_LOG_INFO,
    HP_LOG_WARN,
    HP_LOG_ERROR,
};

bool hp_log_level_lookup(const char *name, enum hp_log_level *out); /* debug|info|warn|error */
/* The level defaults to info. */
void hp_log_set_level(enum hp_log_level level);
bool hp_log_enabled(enum hp_log_level level);

/* One log field. Exactly one value member is used, chosen by type. */
enum hp_log_type {
    HP_LOG_STR,
    HP_LOG_INT,
    HP_LOG_BOOL,
    HP_LOG_RAW, /* already valid JSON (e.g. an array) */
};
struct hp_log_field {
    const char *key;
    enum hp_log_type type;
    const char *s; /* STR and RAW; NULL prints null */
    int64_t i;     /* INT, and BOOL (0 or 1) */
};
#define HP_LOG_S(k, v) ((struct hp_log_field){(k), HP_LOG_STR, (v), 0})
#define HP_LOG_I(k, v) ((struct hp_log_field){(k), HP_LOG_INT, NULL, (int64_t)(v)})
#define HP_LOG_B(k, v) ((struct hp_log_field){(k), HP_LOG_BOOL, NULL, (v) ? 1 : 0})
#define HP_LOG_RAW_JSON(k, v) ((struct hp_log_field){(k), HP_LOG_RAW, (v), 0})

/* Writes one line: {"ts":"2026-11-29T01:02:03.456Z","level":"info","msg":"...",<fields>}
 * with one write(2) call, so lines from threads never interleave. Strings are
 * JSON-escaped (invalid UTF-8 replaced). Does nothing below the level.
 * A line is at most 64 KiB: a string value that does not fit is cut at a
 * character boundary, a RAW value that does not fit becomes null, fields
 * after a full line are dropped, and such a line ends with "truncated":true.
 * Keys are written unescaped (they are code constants). Preserves errno. */
void hp_log(enum hp_log_level level, const char *msg, const struct hp_log_field *fields,
            size_t n_fields);

/* Redirects log output (tests); fd 2 by default. The fd stays the caller's:
 * keep it open until another one is set. */
void hp_log_set_fd(int fd);

/* Metrics. Label values come from small fixed sets (check ids, actions,
 * decisions, operations) or from request kinds, which are capped: after 64
 * distinct kinds, further kinds count as "other" (so do NULL, empty, longer
 * than 63 bytes and invalid UTF-8 kinds). Operations other than CREATE,
 * UPDATE, DELETE and CONNECT count as "other"; decisions are allowed, denied,
 * warned or error (anything else counts as error). */
/* Resets every metric to zero and records version (copied; NULL renders as
 * "unknown"). The one function that is not thread-safe: call it before any
 * other thread updates metrics. Metrics work without it, starting at zero. */
void hp_metrics_init(const char *version);
void hp_metrics_request(const char *kind, const char *operation, const char *decision, bool dry_run,
                        double seconds);
void hp_metrics_would_deny(const char *kind);
void hp_metrics_finding(enum hp_check check, enum hp_action action);
void hp_metrics_config_reload(bool ok);
void hp_metrics_cert_expiry(int64_t not_after);
void hp_metrics_cert_reload(bool ok);
void hp_metrics_connection_refused(void);
/* The memory budget and what is charged to it now (gauges; the peak is kept). */
void hp_metrics_memory(size_t budget, size_t in_use);
void hp_metrics_memory_wait(void);
/* A request answered for lack of memory: waited (too long) or could never fit. */
void hp_metrics_memory_rejected(bool waited);

/* Renders the Prometheus text exposition format (version 0.0.4) into out
 * (appended; out's cap applies). Labelled counters show only label sets seen
 * since init; unlabelled metrics always render, zeros included:
 * hardpod_admission_requests_total{kind,operation,decision},
 * hardpod_admission_dry_run_requests_total,
 * hardpod_admission_would_deny_total{kind},
 * hardpod_admission_duration_seconds (histogram),
 * hardpod_policy_findings_total{check,action},
 * hardpod_tls_certificate_expiry_timestamp_seconds,
 * hardpod_tls_certificate_reloads_total{result},
 * hardpod_config_reloads_total{result},
 * hardpod_connections_refused_total,
 * hardpod_build_info{version}, and the process metrics
 * process_resident_memory_bytes, process_cpu_seconds_total,
 * process_open_fds, process_max_fds, process_start_time_seconds (from /proc). */
void hp_metrics_render(struct hp_buf *out);

#endif
