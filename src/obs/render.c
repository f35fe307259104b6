/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Prometheus text exposition (format 0.0.4) of the registry in internal.h and
 * of the process metrics, which are read from /proc at render time. Reads
 * counters with relaxed loads: a scrape is a snapshot of each counter, not of
 * the whole registry. Never writes to the registry.
 */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static uint_fast64_t get(const atomic_uint_fast64_t *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

static void header(struct hp_buf *out, const char *name, const char *type, const char *help)
{
    hp_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Label values are escaped as the text format requires: backslash, double
 * quote and newline. Kinds come from requests, so this is not optional. */
static void put_label_value(struct hp_buf *out, const char *s)
{
    hp_buf_putc(out, '"');
    for (const char *p = s; *p != '\0'; p++) {
        if (*p == '\\') {
            hp_buf_append(out, "\\\\", 2);
        } else if (*p == '"') {
            hp_buf_append(out, "\\\"", 2);
        } else if (*p == '\n') {
            hp_buf_append(out, "\\n", 2);
        } else {
            hp_buf_putc(out, *p);
        }
    }
    hp_buf_putc(out, '"');
}

static void sample_u64(struct hp_buf *out, const char *name, uint_fast64_t v)
{
    hp_buf_printf(out, "%s %" PRIuFAST64 "\n", name, v);
}

static void render_requests(struct hp_buf *out, size_t n_kinds)
{
    const struct obs_registry *r = &obs_registry;
    const char *name = "hardpod_admission_requests_total";
    header(out, name, "counter", "Admission requests by kind, operation and decision.");
    for (size_t k = 0; k <= OBS_MAX_KINDS; k++) {
        if (k == n_kinds) {
            k = OBS_MAX_KINDS; /* skip unpublished slots, end with "other" */
        }
        const struct obs_kind *slot = &r->kinds[k];
        for (size_t op = 0; op < OBS_N_OPS; op++) {
            for (size_t d = 0; d < OBS_N_DECISIONS; d++) {
                uint_fast64_t v = get(&slot->requests[op][d]);
                if (v == 0) {
                    continue;
                }
                hp_buf_printf(out, "%s{kind=", name);
                put_label_value(out, slot->name);
                hp_buf_printf(out, ",operation=\"%s\",decision=\"%s\"} %" PRIuFAST64 "\n",
                              obs_op_names[op], obs_decision_names[d], v);
            }
        }
    }
}

static void render_would_deny(struct hp_buf *out, size_t n_kinds)
{
    const struct obs_registry *r = &obs_registry;
    const char *name = "hardpod_admission_would_deny_total";
    header(out, name, "counter",
           "Requests that would have been denied by kind (dry-run, warn or audit mode).");
    for (size_t k = 0; k <= OBS_MAX_KINDS; k++) {
        if (k == n_kinds) {
            k = OBS_MAX_KINDS;
        }
        uint_fast64_t v = get(&r->kinds[k].would_deny);
        if (v != 0) {
            hp_buf_printf(out, "%s{kind=", name);
            put_label_value(out, r->kinds[k].name);
            hp_buf_printf(out, "} %" PRIuFAST64 "\n", v);
        }
    }
}

/* _count is the sum of the buckets read here, so it always equals le="+Inf"
 * even while requests are being observed. */
static void render_histogram(struct hp_buf *out)
{
    const struct obs_registry *r = &obs_registry;
    const char *name = "hardpod_admission_duration_seconds";
    header(out, name, "histogram", "Time to decide an admission request, in seconds.");
    uint_fast64_t cumulative = 0;
    for (size_t b = 0; b < OBS_N_BUCKETS; b++) {
        cumulative += get(&r->duration_buckets[b]);
        hp_buf_printf(out, "%s_bucket{le=\"%s\"} %" PRIuFAST64 "\n", name, obs_bucket_labels[b],
                      cumulative);
    }
    uint_fast64_t ns = get(&r->duration_sum_ns);
    hp_buf_printf(out, "%s_sum %" PRIuFAST64 ".%09" PRIuFAST64 "\n", name, ns / 1000000000u,
                  ns % 1000000000u);
    hp_buf_printf(out, "%s_count %" PRIuFAST64 "\n", name, cumulative);
}

static void render_findings(struct hp_buf *out)
{
    static const char *const actions[OBS_N_ACTIONS] = {"warn", "deny"};
    const char *name = "hardpod_policy_findings_total";
    header(out, name, "counter", "Policy findings by check and action.");
    for (size_t c = 0; c < HP_CHECK_COUNT; c++) {
        for (size_t a = 0; a < OBS_N_ACTIONS; a++) {
            uint_fast64_t v = get(&obs_registry.findings[c][a]);
            if (v != 0) {
                hp_buf_printf(out, "%s{check=\"%s\",action=\"%s\"} %" PRIuFAST64 "\n", name,
                              hp_check_name((enum hp_check)c), actions[a], v);
            }
        }
    }
}

static void render_results(struct hp_buf *out, const char *name, const char *help,
                           const atomic_uint_fast64_t *counts)
{
    header(out, name, "counter", help);
    for (size_t i = 0; i < OBS_N_RESULTS; i++) {
        uint_fast64_t v = get(&counts[i]);
        if (v != 0) {
            hp_buf_printf(out, "%s{result=\"%s\"} %" PRIuFAST64 "\n", name, obs_result_names[i], v);
        }
    }
}

static void render_hardpod(struct hp_buf *out)
{
    const struct obs_registry *r = &obs_registry;
    size_t n_kinds = atomic_load_explicit(&r->n_kinds, memory_order_acquire);
    render_requests(out, n_kinds);

    header(out, "hardpod_admission_dry_run_requests_total", "counter",
           "Admission requests sent with dryRun.");
    sample_u64(out, "hardpod_admission_dry_run_requests_total", get(&r->dry_run));

    render_would_deny(out, n_kinds);
    render_histogram(out);
    render_findings(out);

    header(out, "hardpod_tls_certificate_expiry_timestamp_seconds", "gauge",
           "Expiry (notAfter) of the serving certificate, in Unix seconds.");
    hp_buf_printf(out, "hardpod_tls_certificate_expiry_timestamp_seconds %" PRId64 "\n",
                  (int64_t)atomic_load_explicit(&r->cert_not_after, memory_order_relaxed));
    render_results(out, "hardpod_tls_certificate_reloads_total",
                   "Serving certificate reloads by result.", r->cert_reloads);
    render_results(out, "hardpod_config_reloads_total", "Configuration reloads by result.",
                   r->config_reloads);

    /* Metrics of one unlabelled sample: one row each. */
    static const struct {
        const char *name, *type, *help;
        size_t offset; /* of an atomic_uint_fast64_t in the registry */
    } scalars[] = {
        {"hardpod_connections_refused_total", "counter",
         "Connections refused because the connection limit was reached.",
         offsetof(struct obs_registry, connections_refused)},
        {"hardpod_memory_budget_bytes", "gauge",
         "The memory budget for request bodies and their parse trees (--memory-budget).",
         offsetof(struct obs_registry, memory_budget)},
        {"hardpod_memory_in_use_bytes", "gauge",
         "Bytes of the memory budget charged to requests now.",
         offsetof(struct obs_registry, memory_in_use)},
        {"hardpod_memory_in_use_peak_bytes", "gauge",
         "The most bytes of the memory budget charged at once since start.",
         offsetof(struct obs_registry, memory_peak)},
        {"hardpod_memory_waits_total", "counter",
         "Admission requests that waited for memory budget.",
         offsetof(struct obs_registry, memory_waits)},
    };
    for (size_t i = 0; i < sizeof(scalars) / sizeof(scalars[0]); i++) {
        const void *at = (const char *)r + scalars[i].offset;
        header(out, scalars[i].name, scalars[i].type, scalars[i].help);
        sample_u64(out, scalars[i].name, get((const atomic_uint_fast64_t *)at));
    }
    header(out, "hardpod_memory_rejected_total", "counter",
           "Admission requests answered with an error for lack of memory budget, by reason.");
    hp_buf_printf(out, "hardpod_memory_rejected_total{reason=\"too_large\"} %" PRIuFAST64 "\n",
                  get(&r->memory_rejected[0]));
    hp_buf_printf(out, "hardpod_memory_rejected_total{reason=\"timeout\"} %" PRIuFAST64 "\n",
                  get(&r->memory_rejected[1]));

    header(out, "hardpod_build_info", "gauge", "Build information; the value is always 1.");
    hp_buf_puts(out, "hardpod_build_info{version=");
    put_label_value(out, r->version[0] != '\0' ? r->version : "unknown");
    hp_buf_puts(out, "} 1\n");
}

/* ---- process metrics ---------------------------------------------------- */

/* Reads a small /proc file into buf (NUL-terminated); false when unreadable. */
static bool read_small(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return false;
    }
    size_t n = fread(buf, 1, size - 1, f);
    fclose(f);
    buf[n] = '\0';
    return n > 0;
}

/* Boot time from the "btime" line of /proc/stat, which follows per-CPU and
 * interrupt lines of arbitrary length, hence getline. */
static bool boot_time(int64_t *out)
{
    FILE *f = fopen("/proc/stat", "r");
    if (f == NULL) {
        return false;
    }
    char *line = NULL;
    size_t cap = 0;
    bool found = false;
    while (!found && getline(&line, &cap, f) > 0) {
        if (strncmp(line, "btime ", 6) == 0) {
            char *end;
            long long v = strtoll(line + 6, &end, 10);
            found = end != line + 6;
            *out = v;
        }
    }
    free(line);
    fclose(f);
    return found;
}

struct proc_stat {
    unsigned long long utime, stime, starttime; /* clock ticks */
};

/* Parses /proc/self/stat. The command name (field 2) may hold spaces and
 * parentheses, so fields are counted from the last ')'. */
static bool self_stat(struct proc_stat *ps)
{
    char buf[1024];
    if (!read_small("/proc/self/stat", buf, sizeof(buf))) {
        return false;
    }
    char *p = strrchr(buf, ')');
    if (p == NULL) {
        return false;
    }
    p++;
    /* Field 3 (state) comes first; utime, stime and starttime are fields 14, 15, 22. */
    for (int field = 3; field <= 22; field++) {
        p += strspn(p, " ");
        if (*p == '\0') {
            return false;
        }
        if (field == 14) {
            ps->utime = strtoull(p, NULL, 10);
        } else if (field == 15) {
            ps->stime = strtoull(p, NULL, 10);
        } else if (field == 22) {
            ps->starttime = strtoull(p, NULL, 10);
        }
        p += strcspn(p, " ");
    }
    return true;
}

static bool resident_bytes(uint64_t *out)
{
    char buf[256];
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0 || !read_small("/proc/self/statm", buf, sizeof(buf))) {
        return false;
    }
    /* "size resident shared ...", in pages. */
    char *end = NULL;
    errno = 0;
    (void)strtoull(buf, &end, 10);
    if (errno != 0 || end == buf || *end != ' ') {
        return false;
    }
    const char *second = end + 1;
    unsigned long long resident = strtoull(second, &end, 10);
    if (errno != 0 || end == second) {
        return false;
    }
    *out = (uint64_t)resident * (uint64_t)page;
    return true;
}

/* Open descriptors, not counting the one that reads the directory. */
static bool open_fds(uint64_t *out)
{
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL) {
        return false;
    }
    uint64_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] != '.') {
            n++;
        }
    }
    closedir(d);
    *out = n > 0 ? n - 1 : 0;
    return true;
}

static void render_process(struct hp_buf *out)
{
    struct proc_stat ps;
    int64_t btime;
    long tck = sysconf(_SC_CLK_TCK);
    bool have_stat = tck > 0 && self_stat(&ps);
    if (have_stat) {
        header(out, "process_cpu_seconds_total", "counter",
               "Total user and system CPU time spent in seconds.");
        hp_buf_printf(out, "process_cpu_seconds_total %.2f\n",
                      (double)(ps.utime + ps.stime) / (double)tck);
    }
    uint64_t v;
    if (resident_bytes(&v)) {
        header(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
        hp_buf_printf(out, "process_resident_memory_bytes %" PRIu64 "\n", v);
    }
    if (open_fds(&v)) {
        header(out, "process_open_fds", "gauge", "Number of open file descriptors.");
        hp_buf_printf(out, "process_open_fds %" PRIu64 "\n", v);
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        header(out, "process_max_fds", "gauge", "Maximum number of open file descriptors.");
        if (rl.rlim_cur == RLIM_INFINITY) {
            hp_buf_puts(out, "process_max_fds +Inf\n");
        } else {
            hp_buf_printf(out, "process_max_fds %llu\n", (unsigned long long)rl.rlim_cur);
        }
    }
    if (have_stat && boot_time(&btime)) {
        header(out, "process_start_time_seconds", "gauge",
               "Start time of the process since unix epoch in seconds.");
        hp_buf_printf(out, "process_start_time_seconds %.2f\n",
                      (double)btime + (double)ps.starttime / (double)tck);
    }
}

void hp_metrics_render(struct hp_buf *out)
{
    render_hardpod(out);
    render_process(out);
}
