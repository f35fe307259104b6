/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for src/obs: every log line is one valid JSON object with the
 * right types and escaping, level filtering, truncation of huge values, no
 * interleaving between threads; metrics render with exact label sets,
 * cumulative buckets, the kind cap, label escaping, process metrics and exact
 * totals under concurrent updates.
 */
#include "hardpod/obs.h"
#include "testutil.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define LINE_MAX_BYTES (64 * 1024)

/* ---- log capture -------------------------------------------------------- */

static FILE *cap_file;

static void cap_begin(void)
{
    cap_file = tmpfile();
    ck_assert_msg(cap_file != NULL, "tmpfile: %s", strerror(errno));
    hp_log_set_fd(fileno(cap_file));
}

/* Returns everything logged since cap_begin (caller frees) and restores fd 2. */
static char *cap_end(size_t *len)
{
    hp_log_set_fd(2);
    int fd = fileno(cap_file);
    off_t size = lseek(fd, 0, SEEK_END);
    ck_assert_int_ge(size, 0);
    char *data = malloc((size_t)size + 1);
    ck_assert_ptr_nonnull(data);
    ck_assert_int_eq(pread(fd, data, (size_t)size, 0), size);
    data[size] = '\0';
    fclose(cap_file);
    cap_file = NULL;
    if (len != NULL) {
        *len = (size_t)size;
    }
    return data;
}

/* Parses one line that must be exactly one JSON object. Caller puts. */
static struct json_object *parse_line(const char *line, size_t n)
{
    struct json_tokener *tok = json_tokener_new();
    struct json_object *obj = json_tokener_parse_ex(tok, line, (int)n);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    ck_assert_msg(jerr == json_tokener_success && end == n,
                  "invalid JSON line (%s, parsed %zu of %zu bytes): %.200s",
                  json_tokener_error_desc(jerr), end, n, line);
    ck_assert_msg(json_object_is_type(obj, json_type_object), "not an object: %.200s", line);
    return obj;
}

/* Splits text into lines (each must end in '\n') and parses them all. */
static size_t parse_lines(const char *text, size_t len, struct json_object **out, size_t max)
{
    size_t n = 0;
    const char *p = text;
    while (p < text + len) {
        const char *nl = memchr(p, '\n', (size_t)(text + len - p));
        ck_assert_msg(nl != NULL, "last line has no newline: %.200s", p);
        ck_assert_msg(n < max, "more than %zu lines", max);
        out[n++] = parse_line(p, (size_t)(nl - p));
        p = nl + 1;
    }
    return n;
}

/* Logs one line and returns it parsed. */
static struct json_object *log_one(enum hp_log_level level, const char *msg,
                                   const struct hp_log_field *fields, size_t n_fields,
                                   size_t *line_len)
{
    cap_begin();
    hp_log(level, msg, fields, n_fields);
    size_t len;
    char *text = cap_end(&len);
    struct json_object *obj = NULL;
    ck_assert_uint_eq(parse_lines(text, len, &obj, 1), 1);
    free(text);
    if (line_len != NULL) {
        *line_len = len;
    }
    return obj;
}

static struct json_object *member(struct json_object *obj, const char *key, enum json_type type)
{
    struct json_object *v = NULL;
    ck_assert_msg(json_object_object_get_ex(obj, key, &v), "missing key \"%s\" in %s", key,
                  json_object_to_json_string(obj));
    ck_assert_msg(json_object_is_type(v, type), "\"%s\": expected %s, got %s", key,
                  json_type_to_name(type), json_type_to_name(json_object_get_type(v)));
    return v;
}

static void assert_str_member(struct json_object *obj, const char *key, const char *want)
{
    const char *got = json_object_get_string(member(obj, key, json_type_string));
    ck_assert_msg(strcmp(got, want) == 0, "\"%s\": expected \"%s\", got \"%s\"", key, want, got);
}

/* ---- logging ------------------------------------------------------------ */

START_TEST(test_obs_log_line_shape)
{
    struct hp_log_field f[] = {
        HP_LOG_S("uid", "abc-123"), HP_LOG_I("count", -42),
        HP_LOG_I("big", INT64_MAX), HP_LOG_B("allowed", true),
        HP_LOG_B("dry", 0),         HP_LOG_RAW_JSON("checks", "[\"a\",{\"b\":1}]"),
        HP_LOG_S("missing", NULL),  HP_LOG_RAW_JSON("raw_null", NULL),
    };
    time_t before = time(NULL);
    struct json_object *obj = log_one(HP_LOG_INFO, "admission", f, N_ELEMS(f), NULL);
    time_t after = time(NULL);

    const char *ts = json_object_get_string(member(obj, "ts", json_type_string));
    struct tm tm = {0};
    const char *rest = strptime(ts, "%Y-%m-%dT%H:%M:%S", &tm);
    ck_assert_msg(rest != NULL && strlen(ts) == 24 && rest[0] == '.' && rest[4] == 'Z',
                  "ts: expected RFC 3339 UTC with milliseconds, got \"%s\"", ts);
    time_t stamp = timegm(&tm);
    ck_assert_msg(stamp >= before && stamp <= after, "ts %s not within [%lld, %lld]", ts,
                  (long long)before, (long long)after);

    assert_str_member(obj, "level", "info");
    assert_str_member(obj, "msg", "admission");
    assert_str_member(obj, "uid", "abc-123");
    ck_assert_int_eq(json_object_get_int64(member(obj, "count", json_type_int)), -42);
    ck_assert_int_eq(json_object_get_int64(member(obj, "big", json_type_int)), INT64_MAX);
    ck_assert(json_object_get_boolean(member(obj, "allowed", json_type_boolean)));
    ck_assert(!json_object_get_boolean(member(obj, "dry", json_type_boolean)));
    struct json_object *arr = member(obj, "checks", json_type_array);
    ck_assert_uint_eq(json_object_array_length(arr), 2);
    member(obj, "missing", json_type_null);
    member(obj, "raw_null", json_type_null);
    ck_assert(!json_object_object_get_ex(obj, "truncated", NULL));
    json_object_put(obj);
}
END_TEST

static const struct {
    const char *in;
    const char *want; /* what a JSON parser must read back */
} escape_cases[] = {
    {"say \"hi\"", "say \"hi\""},
    {"two\nlines\r\n", "two\nlines\r\n"},
    {"tab\there", "tab\there"},
    {"back\\slash", "back\\slash"},
    {"ctl\x01\x02\x1f\x7f", "ctl\x01\x02\x1f\x7f"},
    {"utf8 \xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80", "utf8 \xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80"},
    {"bad \xff\xfe!", "bad \xef\xbf\xbd\xef\xbf\xbd!"},
    {"cut \xe6\x97", "cut \xef\xbf\xbd\xef\xbf\xbd"},
    {"overlong \xc0\xaf", "overlong \xef\xbf\xbd\xef\xbf\xbd"},
    {"</script>", "</script>"},
    {"", ""},
};

START_TEST(test_obs_log_escaping)
{
    const char *in = escape_cases[_i].in;
    const char *want = escape_cases[_i].want;
    struct hp_log_field f[] = {HP_LOG_S("value", in)};
    struct json_object *obj = log_one(HP_LOG_ERROR, in, f, 1, NULL);
    assert_str_member(obj, "value", want);
    assert_str_member(obj, "msg", want);
    assert_str_member(obj, "level", "error");
    json_object_put(obj);
}
END_TEST

START_TEST(test_obs_log_level_filter)
{
    ck_assert_msg(!hp_log_enabled(HP_LOG_DEBUG) && hp_log_enabled(HP_LOG_INFO),
                  "expected the default level to be info");
    hp_log_set_level(HP_LOG_WARN);
    ck_assert(!hp_log_enabled(HP_LOG_INFO));
    ck_assert(hp_log_enabled(HP_LOG_WARN) && hp_log_enabled(HP_LOG_ERROR));

    cap_begin();
    hp_log(HP_LOG_DEBUG, "debug line", NULL, 0);
    hp_log(HP_LOG_INFO, "info line", NULL, 0);
    size_t len;
    char *text = cap_end(&len);
    ck_assert_msg(len == 0, "expected nothing below warn, got: %s", text);
    free(text);

    cap_begin();
    hp_log(HP_LOG_WARN, "w", NULL, 0);
    hp_log(HP_LOG_INFO, "i", NULL, 0);
    hp_log(HP_LOG_ERROR, "e", NULL, 0);
    text = cap_end(&len);
    struct json_object *lines[4];
    ck_assert_uint_eq(parse_lines(text, len, lines, N_ELEMS(lines)), 2);
    assert_str_member(lines[0], "level", "warn");
    assert_str_member(lines[0], "msg", "w");
    assert_str_member(lines[1], "level", "error");
    assert_str_member(lines[1], "msg", "e");
    json_object_put(lines[0]);
    json_object_put(lines[1]);
    free(text);

    hp_log_set_level(HP_LOG_DEBUG);
    struct json_object *obj = log_one(HP_LOG_DEBUG, "d", NULL, 0, NULL);
    assert_str_member(obj, "level", "debug");
    json_object_put(obj);
}
END_TEST

START_TEST(test_obs_log_level_lookup)
{
    static const struct {
        const char *name;
        bool ok;
        enum hp_log_level level;
    } cases[] = {
        {"debug", true, HP_LOG_DEBUG}, {"info", true, HP_LOG_INFO},
        {"warn", true, HP_LOG_WARN},   {"error", true, HP_LOG_ERROR},
        {"INFO", false, HP_LOG_INFO},  {"warning", false, HP_LOG_INFO},
        {"", false, HP_LOG_INFO},      {NULL, false, HP_LOG_INFO},
    };
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        enum hp_log_level got = HP_LOG_INFO;
        bool ok = hp_log_level_lookup(cases[i].name, &got);
        ck_assert_msg(ok == cases[i].ok && got == cases[i].level, "%s: expected %d/%d, got %d/%d",
                      cases[i].name ? cases[i].name : "(null)", cases[i].ok, cases[i].level, ok,
                      got);
    }
}
END_TEST

/* Fill patterns for a 100 KiB value: plain ASCII, bytes that escape to six,
 * two-byte UTF-8 (the cut must not split a character) and invalid bytes. */
static const struct {
    const char *unit;
    const char *decoded; /* how one unit reads back */
} trunc_cases[] = {
    {"a", "a"},
    {"\x01", "\x01"},
    {"\xc3\xa9", "\xc3\xa9"},
    {"\xff", "\xef\xbf\xbd"},
};

START_TEST(test_obs_log_truncation)
{
    const char *unit = trunc_cases[_i].unit;
    const char *decoded = trunc_cases[_i].decoded;
    size_t ulen = strlen(unit);
    size_t dlen = strlen(decoded);
    size_t n = 100 * 1024 / ulen * ulen;
    char *big = malloc(n + 1);
    ck_assert_ptr_nonnull(big);
    for (size_t i = 0; i < n; i += ulen) {
        memcpy(big + i, unit, ulen);
    }
    big[n] = '\0';

    struct hp_log_field f[] = {HP_LOG_S("before", "x"), HP_LOG_S("big", big),
                               HP_LOG_RAW_JSON("raw", "[1,2,3]")};
    size_t line_len;
    struct json_object *obj = log_one(HP_LOG_INFO, "huge", f, N_ELEMS(f), &line_len);
    ck_assert_msg(line_len <= LINE_MAX_BYTES, "line is %zu bytes, cap is %d", line_len,
                  LINE_MAX_BYTES);
    assert_str_member(obj, "msg", "huge");
    assert_str_member(obj, "before", "x");
    ck_assert(json_object_get_boolean(member(obj, "truncated", json_type_boolean)));

    const char *got = json_object_get_string(member(obj, "big", json_type_string));
    size_t glen = strlen(got);
    /* The cut keeps as much as fits: at least half of the room for plain text. */
    size_t min_bytes = (LINE_MAX_BYTES / 2) / (strcmp(unit, "a") == 0 ? 1 : 8);
    ck_assert_msg(glen % dlen == 0 && glen >= min_bytes && glen < n / ulen * dlen,
                  "big: %zu bytes read back (unit %zu), expected a cut prefix", glen, dlen);
    for (size_t i = 0; i < glen; i += dlen) {
        ck_assert_msg(memcmp(got + i, decoded, dlen) == 0, "big: wrong content at byte %zu", i);
    }
    json_object_put(obj);
    free(big);
}
END_TEST

START_TEST(test_obs_log_raw_too_big)
{
    size_t n = 100 * 1024;
    char *raw = malloc(n + 1);
    ck_assert_ptr_nonnull(raw);
    raw[0] = '[';
    for (size_t i = 1; i < n - 1; i += 2) {
        raw[i] = '1';
        raw[i + 1] = ',';
    }
    raw[n - 2] = '1';
    raw[n - 1] = ']';
    raw[n] = '\0';
    struct hp_log_field f[] = {HP_LOG_RAW_JSON("list", raw), HP_LOG_I("after", 7)};
    size_t line_len;
    struct json_object *obj = log_one(HP_LOG_WARN, "raw", f, N_ELEMS(f), &line_len);
    ck_assert_uint_le(line_len, LINE_MAX_BYTES);
    member(obj, "list", json_type_null);
    ck_assert_int_eq(json_object_get_int64(member(obj, "after", json_type_int)), 7);
    ck_assert(json_object_get_boolean(member(obj, "truncated", json_type_boolean)));
    json_object_put(obj);
    free(raw);
}
END_TEST

#define LOG_THREADS 8
#define LOG_LINES 1000

struct pipe_reader {
    int fd;
    char *data;
    size_t len;
    size_t cap;
};

static void *read_pipe(void *arg)
{
    struct pipe_reader *r = arg;
    for (;;) {
        if (r->cap - r->len < 65536) {
            r->cap = r->cap * 2 + 65536;
            r->data = realloc(r->data, r->cap);
            if (r->data == NULL) {
                abort();
            }
        }
        ssize_t n = read(r->fd, r->data + r->len, r->cap - r->len - 1);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        r->len += (size_t)n;
    }
    r->data[r->len] = '\0';
    return NULL;
}

static void *log_lines(void *arg)
{
    int64_t id = (int64_t)(intptr_t)arg;
    char pad[300];
    memset(pad, 'a' + (int)id, sizeof(pad) - 1);
    pad[sizeof(pad) - 1] = '\0';
    for (int64_t i = 0; i < LOG_LINES; i++) {
        struct hp_log_field f[] = {HP_LOG_I("thread", id), HP_LOG_I("seq", i), HP_LOG_S("pad", pad),
                                   HP_LOG_S("quote", "\"\n\"")};
        hp_log(HP_LOG_INFO, "concurrent", f, N_ELEMS(f));
    }
    return NULL;
}

START_TEST(test_obs_log_threads)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    struct pipe_reader r = {.fd = fds[0]};
    pthread_t reader;
    ck_assert_int_eq(pthread_create(&reader, NULL, read_pipe, &r), 0);
    hp_log_set_fd(fds[1]);
    pthread_t th[LOG_THREADS];
    for (intptr_t t = 0; t < LOG_THREADS; t++) {
        ck_assert_int_eq(pthread_create(&th[t], NULL, log_lines, (void *)t), 0);
    }
    for (int t = 0; t < LOG_THREADS; t++) {
        pthread_join(th[t], NULL);
    }
    hp_log_set_fd(2);
    close(fds[1]);
    pthread_join(reader, NULL);
    close(fds[0]);

    /* Every line parses, and each thread's lines arrive complete and in order. */
    int64_t next[LOG_THREADS] = {0};
    size_t lines = 0;
    const char *p = r.data;
    while (p < r.data + r.len) {
        const char *nl = memchr(p, '\n', (size_t)(r.data + r.len - p));
        ck_assert_msg(nl != NULL, "line %zu has no newline", lines);
        struct json_object *obj = parse_line(p, (size_t)(nl - p));
        int64_t t = json_object_get_int64(member(obj, "thread", json_type_int));
        int64_t seq = json_object_get_int64(member(obj, "seq", json_type_int));
        ck_assert_msg(t >= 0 && t < LOG_THREADS && seq == next[t],
                      "line %zu: thread %lld seq %lld, expected seq %lld", lines, (long long)t,
                      (long long)seq, t >= 0 && t < LOG_THREADS ? (long long)next[t] : -1LL);
        next[t]++;
        assert_str_member(obj, "quote", "\"\n\"");
        json_object_put(obj);
        lines++;
        p = nl + 1;
    }
    ck_assert_uint_eq(lines, LOG_THREADS * LOG_LINES);
    free(r.data);
}
END_TEST

/* ---- metrics ------------------------------------------------------------ */

static char *render(void)
{
    struct hp_buf b;
    hp_buf_init(&b, 0);
    hp_metrics_render(&b);
    ck_assert(!b.overflow);
    char *s = strdup(hp_buf_str(&b));
    ck_assert_ptr_nonnull(s);
    hp_buf_cleanup(&b);
    return s;
}

/* Value of the sample whose name and labels are exactly series, or -1 when
 * no such line exists. */
static double sample(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *p = text; p != NULL && *p != '\0';) {
        if (strncmp(p, series, n) == 0 && p[n] == ' ') {
            if (strncmp(p + n + 1, "+Inf", 4) == 0) {
                return INFINITY;
            }
            char *end;
            double v = strtod(p + n + 1, &end);
            ck_assert_msg(*end == '\n', "bad value on line: %.200s", p);
            return v;
        }
        p = strchr(p, '\n');
        p = p != NULL ? p + 1 : NULL;
    }
    return -1;
}

static void assert_sample(const char *text, const char *series, double want)
{
    double got = sample(text, series);
    ck_assert_msg(got == want, "%s: expected %g, got %g%s\n%s", series, want, got,
                  got == -1 ? " (absent)" : "", text);
}

static size_t count_lines_with(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(text, needle); p != NULL; p = strstr(p + 1, needle)) {
        n++;
    }
    return n;
}

/* Every line is a comment or `name[{labels}] value`, every sample follows
 * its family's # TYPE line, and no series appears twice. */
static void assert_exposition(const char *text)
{
    char family[256] = "";
    const char *p = text;
    size_t lines = 0;
    while (*p != '\0') {
        const char *nl = strchr(p, '\n');
        ck_assert_msg(nl != NULL, "output does not end in a newline");
        size_t n = (size_t)(nl - p);
        char line[1024];
        ck_assert_uint_lt(n, sizeof(line));
        memcpy(line, p, n);
        line[n] = '\0';
        if (strncmp(line, "# TYPE ", 7) == 0) {
            ck_assert_int_eq(sscanf(line + 7, "%255s", family), 1);
        } else if (line[0] != '#') {
            ck_assert_msg(family[0] != '\0' && strncmp(line, family, strlen(family)) == 0,
                          "sample outside its family (%s): %s", family, line);
            char *sp = strrchr(line, ' ');
            ck_assert_ptr_nonnull(sp);
            char *end;
            strtod(sp + 1, &end);
            ck_assert_msg(*end == '\0' || strcmp(sp + 1, "+Inf") == 0, "bad value: %s", line);
            *sp = '\0';
            char *dup = strstr(nl + 1, line);
            ck_assert_msg(dup == NULL || dup[-1] != '\n' || dup[strlen(line)] != ' ',
                          "series twice: %s", line);
        }
        lines++;
        p = nl + 1;
    }
    ck_assert_uint_gt(lines, 0);
}

static const struct {
    const char *name;
    const char *type;
} families[] = {
    {"hardpod_admission_requests_total", "counter"},
    {"hardpod_admission_dry_run_requests_total", "counter"},
    {"hardpod_admission_would_deny_total", "counter"},
    {"hardpod_admission_duration_seconds", "histogram"},
    {"hardpod_policy_findings_total", "counter"},
    {"hardpod_tls_certificate_expiry_timestamp_seconds", "gauge"},
    {"hardpod_tls_certificate_reloads_total", "counter"},
    {"hardpod_config_reloads_total", "counter"},
    {"hardpod_connections_refused_total", "counter"},
    {"hardpod_build_info", "gauge"},
    {"process_resident_memory_bytes", "gauge"},
    {"process_cpu_seconds_total", "counter"},
    {"process_open_fds", "gauge"},
    {"process_max_fds", "gauge"},
    {"process_start_time_seconds", "gauge"},
};

START_TEST(test_obs_metrics_zero)
{
    hp_metrics_init("0.1.0");
    char *text = render();
    for (size_t i = 0; i < N_ELEMS(families); i++) {
        char want[256];
        snprintf(want, sizeof(want), "# TYPE %s %s\n", families[i].name, families[i].type);
        ck_assert_msg(strstr(text, want) != NULL, "missing \"%s\"", want);
        snprintf(want, sizeof(want), "# HELP %s ", families[i].name);
        ck_assert_msg(strstr(text, want) != NULL, "missing \"%s\"", want);
    }
    assert_exposition(text);
    /* Unlabelled metrics and the histogram render as zeros; labelled ones not at all. */
    assert_sample(text, "hardpod_admission_dry_run_requests_total", 0);
    assert_sample(text, "hardpod_connections_refused_total", 0);
    assert_sample(text, "hardpod_tls_certificate_expiry_timestamp_seconds", 0);
    assert_sample(text, "hardpod_admission_duration_seconds_bucket{le=\"+Inf\"}", 0);
    assert_sample(text, "hardpod_admission_duration_seconds_sum", 0);
    assert_sample(text, "hardpod_admission_duration_seconds_count", 0);
    assert_sample(text, "hardpod_build_info{version=\"0.1.0\"}", 1);
    ck_assert_uint_eq(count_lines_with(text, "\nhardpod_admission_requests_total{"), 0);
    ck_assert_uint_eq(count_lines_with(text, "\nhardpod_policy_findings_total{"), 0);
    ck_assert_uint_eq(count_lines_with(text, "\nhardpod_config_reloads_total{"), 0);
    free(text);
}
END_TEST

START_TEST(test_obs_metrics_counts)
{
    hp_metrics_init("1.2.3");
    hp_metrics_request("Pod", "CREATE", "allowed", false, 0.001);
    hp_metrics_request("Pod", "CREATE", "allowed", true, 0.001);
    hp_metrics_request("Deployment", "UPDATE", "denied", false, 0.002);
    hp_metrics_request("Pod", "PATCH", "warned", false, 0.001);
    hp_metrics_request("Pod", NULL, "bogus", false, 0.001);
    hp_metrics_request(NULL, "DELETE", "allowed", false, 0.001);
    hp_metrics_would_deny("Deployment");
    hp_metrics_would_deny("Deployment");
    hp_metrics_finding(HP_CHECK_PRIVILEGED, HP_ACTION_DENY);
    hp_metrics_finding(HP_CHECK_PRIVILEGED, HP_ACTION_WARN);
    hp_metrics_finding(HP_CHECK_PRIVILEGED, HP_ACTION_DENY);
    hp_metrics_finding(HP_CHECK_RUN_AS_NON_ROOT, HP_ACTION_OFF);
    hp_metrics_finding(HP_CHECK_COUNT, HP_ACTION_DENY);
    hp_metrics_config_reload(true);
    hp_metrics_config_reload(false);
    hp_metrics_config_reload(false);
    hp_metrics_cert_reload(true);
    hp_metrics_cert_expiry(1893456000);
    hp_metrics_connection_refused();

    static const struct {
        const char *series;
        double value;
    } want[] = {
        {"hardpod_admission_requests_total{kind=\"Pod\",operation=\"CREATE\","
         "decision=\"allowed\"}",
         2},
        {"hardpod_admission_requests_total{kind=\"Deployment\",operation=\"UPDATE\","
         "decision=\"denied\"}",
         1},
        {"hardpod_admission_requests_total{kind=\"Pod\",operation=\"other\",decision=\"warned\"}",
         1},
        {"hardpod_admission_requests_total{kind=\"Pod\",operation=\"other\",decision=\"error\"}",
         1},
        {"hardpod_admission_requests_total{kind=\"other\",operation=\"DELETE\","
         "decision=\"allowed\"}",
         1},
        {"hardpod_admission_dry_run_requests_total", 1},
        {"hardpod_admission_would_deny_total{kind=\"Deployment\"}", 2},
        {"hardpod_admission_duration_seconds_count", 6},
        {"hardpod_policy_findings_total{check=\"privileged\",action=\"deny\"}", 2},
        {"hardpod_policy_findings_total{check=\"privileged\",action=\"warn\"}", 1},
        {"hardpod_config_reloads_total{result=\"success\"}", 1},
        {"hardpod_config_reloads_total{result=\"failure\"}", 2},
        {"hardpod_tls_certificate_reloads_total{result=\"success\"}", 1},
        {"hardpod_tls_certificate_expiry_timestamp_seconds", 1893456000},
        {"hardpod_connections_refused_total", 1},
        {"hardpod_build_info{version=\"1.2.3\"}", 1},
    };
    char *text = render();
    assert_exposition(text);
    for (size_t i = 0; i < N_ELEMS(want); i++) {
        assert_sample(text, want[i].series, want[i].value);
    }
    /* Exactly those label sets, nothing that was not seen. */
    ck_assert_uint_eq(count_lines_with(text, "\nhardpod_admission_requests_total{"), 5);
    ck_assert_uint_eq(count_lines_with(text, "\nhardpod_admission_would_deny_total{"), 1);
    ck_assert_uint_eq(count_lines_with(text, "\nhardpod_policy_findings_total{"), 2);
    ck_assert_uint_eq(count_lines_with(text, "\nhardpod_tls_certificate_reloads_total{"), 1);
    free(text);
}
END_TEST

START_TEST(test_obs_metrics_histogram)
{
    hp_metrics_init(NULL);
    /* An observation on a bound counts in that bound's bucket (le). */
    static const double obs[] = {0.00005, 0.0001, 0.0003, 0.003, 0.003, 0.3, 1.0, 2.0, -1.0};
    double sum = 0;
    for (size_t i = 0; i < N_ELEMS(obs); i++) {
        hp_metrics_request("Pod", "CREATE", "allowed", false, obs[i]);
        sum += obs[i] > 0 ? obs[i] : 0;
    }
    static const struct {
        const char *le;
        double count;
    } want[] = {
        {"0.0001", 3}, {"0.00025", 3}, {"0.0005", 4}, {"0.001", 4}, {"0.0025", 4},
        {"0.005", 6},  {"0.01", 6},    {"0.025", 6},  {"0.05", 6},  {"0.1", 6},
        {"0.25", 6},   {"0.5", 7},     {"1", 8},      {"+Inf", 9},
    };
    char *text = render();
    assert_exposition(text);
    double prev = 0;
    for (size_t i = 0; i < N_ELEMS(want); i++) {
        char series[128];
        snprintf(series, sizeof(series), "hardpod_admission_duration_seconds_bucket{le=\"%s\"}",
                 want[i].le);
        assert_sample(text, series, want[i].count);
        ck_assert_msg(want[i].count >= prev, "buckets not cumulative at %s", want[i].le);
        prev = want[i].count;
    }
    assert_sample(text, "hardpod_admission_duration_seconds_count", (double)N_ELEMS(obs));
    double got = sample(text, "hardpod_admission_duration_seconds_sum");
    ck_assert_msg(fabs(got - sum) < 1e-6, "sum: expected %.9f, got %.9f", sum, got);
    assert_sample(text, "hardpod_build_info{version=\"unknown\"}", 1);
    free(text);
}
END_TEST

START_TEST(test_obs_metrics_kind_cap)
{
    hp_metrics_init("x");
    char too_long[65];
    memset(too_long, 'K', 64);
    too_long[64] = '\0';
    char longest[64];
    memset(longest, 'L', 63);
    longest[63] = '\0';
    hp_metrics_request(too_long, "CREATE", "allowed", false, 0);
    hp_metrics_request(longest, "CREATE", "allowed", false, 0);
    hp_metrics_request("other", "CREATE", "allowed", false, 0);   /* not a second "other" */
    hp_metrics_request("Bad\xff", "CREATE", "allowed", false, 0); /* not valid UTF-8 */
    hp_metrics_request("", "CREATE", "allowed", false, 0);
    for (int i = 0; i < 70; i++) {
        char kind[16];
        snprintf(kind, sizeof(kind), "Kind%02d", i);
        hp_metrics_request(kind, "CREATE", "allowed", false, 0);
        hp_metrics_request(kind, "CREATE", "allowed", false, 0);
    }
    char *text = render();
    assert_exposition(text);
    char series[256];
    snprintf(series, sizeof(series),
             "hardpod_admission_requests_total{kind=\"%s\",operation=\"CREATE\","
             "decision=\"allowed\"}",
             longest);
    assert_sample(text, series, 1);
    /* The 63-byte kind took one slot, so Kind00..Kind62 fill the other 63. */
    for (int i = 0; i < 70; i++) {
        snprintf(series, sizeof(series),
                 "hardpod_admission_requests_total{kind=\"Kind%02d\",operation=\"CREATE\","
                 "decision=\"allowed\"}",
                 i);
        assert_sample(text, series, i < 63 ? 2 : -1);
    }
    /* too_long, "other", "Bad\xff", "" and 7 kinds twice. */
    assert_sample(text,
                  "hardpod_admission_requests_total{kind=\"other\",operation=\"CREATE\","
                  "decision=\"allowed\"}",
                  4 + 14);
    ck_assert_uint_eq(count_lines_with(text, "\nhardpod_admission_requests_total{"), 65);
    free(text);
}
END_TEST

START_TEST(test_obs_metrics_label_escaping)
{
    hp_metrics_init("1.0\"\n\\");
    hp_metrics_request("We\"ird\nKind\\", "CREATE", "denied", false, 0.01);
    hp_metrics_would_deny("We\"ird\nKind\\");
    char *text = render();
    assert_exposition(text);
    assert_sample(text,
                  "hardpod_admission_requests_total{kind=\"We\\\"ird\\nKind\\\\\","
                  "operation=\"CREATE\",decision=\"denied\"}",
                  1);
    assert_sample(text, "hardpod_admission_would_deny_total{kind=\"We\\\"ird\\nKind\\\\\"}", 1);
    assert_sample(text, "hardpod_build_info{version=\"1.0\\\"\\n\\\\\"}", 1);
    free(text);
}
END_TEST

START_TEST(test_obs_metrics_process)
{
    time_t now = time(NULL);
    char *text = render();
    double rss = sample(text, "process_resident_memory_bytes");
    double fds = sample(text, "process_open_fds");
    double max_fds = sample(text, "process_max_fds");
    double cpu = sample(text, "process_cpu_seconds_total");
    double start = sample(text, "process_start_time_seconds");
    ck_assert_msg(rss > 1024 * 1024, "process_resident_memory_bytes: %g", rss);
    ck_assert_msg(fds >= 3, "process_open_fds: %g", fds);
    ck_assert_msg(max_fds >= fds, "process_max_fds %g < open fds %g", max_fds, fds);
    ck_assert_msg(cpu >= 0 && cpu < 3600, "process_cpu_seconds_total: %g", cpu);
    ck_assert_msg(start > (double)now - 3600 && start < (double)now + 5,
                  "process_start_time_seconds %f, now %lld", start, (long long)now);
    free(text);

    /* Opening descriptors shows up in the count. */
    int extra[4];
    for (size_t i = 0; i < N_ELEMS(extra); i++) {
        extra[i] = open("/dev/null", O_RDONLY);
        ck_assert_int_ge(extra[i], 0);
    }
    text = render();
    double more = sample(text, "process_open_fds");
    ck_assert_msg(more == fds + 4, "process_open_fds: expected %g, got %g", fds + 4, more);
    free(text);
    for (size_t i = 0; i < N_ELEMS(extra); i++) {
        close(extra[i]);
    }
}
END_TEST

START_TEST(test_obs_metrics_init_resets)
{
    hp_metrics_init("a");
    hp_metrics_request("Pod", "CREATE", "allowed", true, 0.5);
    hp_metrics_would_deny("Pod");
    hp_metrics_finding(HP_CHECK_SYSCTLS, HP_ACTION_WARN);
    hp_metrics_cert_reload(false);
    hp_metrics_connection_refused();
    hp_metrics_init("b");
    char *text = render();
    ck_assert_uint_eq(count_lines_with(text, "{kind="), 0);
    ck_assert_uint_eq(count_lines_with(text, "{check="), 0);
    ck_assert_uint_eq(count_lines_with(text, "{result="), 0);
    assert_sample(text, "hardpod_admission_duration_seconds_count", 0);
    assert_sample(text, "hardpod_admission_dry_run_requests_total", 0);
    assert_sample(text, "hardpod_connections_refused_total", 0);
    assert_sample(text, "hardpod_build_info{version=\"b\"}", 1);
    free(text);
}
END_TEST

#define METRIC_THREADS 4
#define METRIC_CALLS 100000
#define METRIC_KINDS 48

static pthread_barrier_t metric_start;

static void *count_requests(void *arg)
{
    intptr_t id = (intptr_t)arg;
    pthread_barrier_wait(&metric_start);
    for (int i = 0; i < METRIC_CALLS; i++) {
        char kind[16];
        /* Threads start together and meet new kinds at once, racing to insert them. */
        snprintf(kind, sizeof(kind), "K%d", (i + (int)id) % METRIC_KINDS);
        hp_metrics_request(kind, "CREATE", "allowed", false, 0.001);
        if (i % 10 == 0) {
            hp_metrics_finding(HP_CHECK_CAPABILITIES, HP_ACTION_DENY);
        }
    }
    return NULL;
}

START_TEST(test_obs_metrics_threads)
{
    hp_metrics_init("t");
    ck_assert_int_eq(pthread_barrier_init(&metric_start, NULL, METRIC_THREADS), 0);
    pthread_t th[METRIC_THREADS];
    for (intptr_t t = 0; t < METRIC_THREADS; t++) {
        ck_assert_int_eq(pthread_create(&th[t], NULL, count_requests, (void *)t), 0);
    }
    for (int t = 0; t < METRIC_THREADS; t++) {
        pthread_join(th[t], NULL);
    }
    pthread_barrier_destroy(&metric_start);
    char *text = render();
    assert_exposition(text);
    double total = 0;
    for (int k = 0; k < METRIC_KINDS; k++) {
        char series[160];
        snprintf(series, sizeof(series),
                 "hardpod_admission_requests_total{kind=\"K%d\",operation=\"CREATE\","
                 "decision=\"allowed\"}",
                 k);
        double v = sample(text, series);
        ck_assert_msg(v > 0, "%s absent", series);
        total += v;
    }
    ck_assert_msg(total == (double)METRIC_THREADS * METRIC_CALLS, "total: expected %d, got %.0f",
                  METRIC_THREADS * METRIC_CALLS, total);
    ck_assert_uint_eq(count_lines_with(text, "\nhardpod_admission_requests_total{"), METRIC_KINDS);
    assert_sample(text, "hardpod_admission_duration_seconds_count",
                  (double)METRIC_THREADS * METRIC_CALLS);
    double sum = sample(text, "hardpod_admission_duration_seconds_sum");
    ck_assert_msg(fabs(sum - METRIC_THREADS * METRIC_CALLS / 1000.0) < 1e-6, "sum: got %.9f", sum);
    assert_sample(text, "hardpod_policy_findings_total{check=\"capabilities\",action=\"deny\"}",
                  (double)METRIC_THREADS * METRIC_CALLS / 10);
    free(text);
}
END_TEST

static Suite *obs_suite(void)
{
    Suite *s = suite_create("obs");
    TCase *tc = tcase_create("log");
    tcase_add_test(tc, test_obs_log_line_shape);
    tcase_add_loop_test(tc, test_obs_log_escaping, 0, (int)N_ELEMS(escape_cases));
    tcase_add_test(tc, test_obs_log_level_filter);
    tcase_add_test(tc, test_obs_log_level_lookup);
    tcase_add_loop_test(tc, test_obs_log_truncation, 0, (int)N_ELEMS(trunc_cases));
    tcase_add_test(tc, test_obs_log_raw_too_big);
    tcase_add_test(tc, test_obs_log_threads);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);

    tc = tcase_create("metrics");
    tcase_add_test(tc, test_obs_metrics_zero);
    tcase_add_test(tc, test_obs_metrics_counts);
    tcase_add_test(tc, test_obs_metrics_histogram);
    tcase_add_test(tc, test_obs_metrics_kind_cap);
    tcase_add_test(tc, test_obs_metrics_label_escaping);
    tcase_add_test(tc, test_obs_metrics_process);
    tcase_add_test(tc, test_obs_metrics_init_resets);
    tcase_add_test(tc, test_obs_metrics_threads);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(obs_suite());
}
