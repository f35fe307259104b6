/* SPDX-License-Identifier: Apache-2.0 */
/*
 * JSON-lines logger. Each line is built in memory (at most 64 KiB, long values
 * are cut rather than dropped) and written with one write(2), so lines from
 * concurrent threads never interleave. Level and descriptor are atomics; a
 * call below the level returns before formatting anything.
 */
#include "hardpod/obs.h"

#include "hardpod/file.h"
#include "hardpod/json_text.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES ((size_t)64 * 1024)
/* Kept free while fields are added, for `,"truncated":true}` and the newline. */
#define TAIL_RESERVE 32

static atomic_int log_level = HP_LOG_INFO;
static atomic_int log_fd = 2;
/* Serialises writers only, so that the rest of a partial write cannot be
 * overtaken by another thread's line. Formatting happens outside it. */
static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

static enum hp_log_level clamp_level(enum hp_log_level level)
{
    if ((int)level < HP_LOG_DEBUG) {
        return HP_LOG_DEBUG;
    }
    return (int)level > HP_LOG_ERROR ? HP_LOG_ERROR : level;
}

bool hp_log_level_lookup(const char *name, enum hp_log_level *out)
{
    for (int i = HP_LOG_DEBUG; name != NULL && i <= HP_LOG_ERROR; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *out = (enum hp_log_level)i;
            return true;
        }
    }
    return false;
}

void hp_log_set_level(enum hp_log_level level)
{
    atomic_store_explicit(&log_level, (int)clamp_level(level), memory_order_relaxed);
}

bool hp_log_enabled(enum hp_log_level level)
{
    return (int)level >= atomic_load_explicit(&log_level, memory_order_relaxed);
}

void hp_log_set_fd(int fd)
{
    atomic_store_explicit(&log_fd, fd, memory_order_relaxed);
}

/* A line under construction. Every append checks room() first, so the
 * buffer's cap is never hit and the tail always fits. */
struct line {
    struct hp_buf buf;
    bool truncated;
};

static size_t room(const struct line *l)
{
    size_t used = l->buf.len + TAIL_RESERVE;
    return used < LINE_MAX_BYTES ? LINE_MAX_BYTES - used : 0;
}

/* Appends s[0..n) as a JSON string, cut between characters to the longest
 * prefix whose escaped form fits the room left. */
static void put_string(struct line *l, const char *s, size_t n)
{
    size_t budget = room(l);
    if (budget < 2) {
        l->truncated = true;
        return;
    }
    struct hp_json_text t;
    hp_json_text_init(&t, &l->buf, 1, SIZE_MAX);
    t.room = budget - 2;
    hp_buf_putc(&l->buf, '"');
    hp_json_text_put(&t, s, n);
    hp_buf_putc(&l->buf, '"');
    l->truncated = l->truncated || t.cut;
}

/* Appends one field; false when not even its key fits (the line is full). */
static bool put_field(struct line *l, const struct hp_log_field *f)
{
    size_t klen = strlen(f->key);
    /* A key plus the longest scalar value (an int64, or null). */
    if (klen + 4 + 24 > room(l)) {
        l->truncated = true;
        return false;
    }
    hp_buf_append(&l->buf, ",\"", 2);
    hp_buf_append(&l->buf, f->key, klen);
    hp_buf_append(&l->buf, "\":", 2);
    if ((f->type == HP_LOG_STR || f->type == HP_LOG_RAW) && f->s == NULL) {
        hp_buf_puts(&l->buf, "null");
    } else if (f->type == HP_LOG_STR) {
        put_string(l, f->s, strlen(f->s));
    } else if (f->type == HP_LOG_RAW) {
        size_t n = strlen(f->s);
        /* Valid JSON cannot be cut safely, so an oversized value becomes null. */
        if (n <= room(l)) {
            hp_buf_append(&l->buf, f->s, n);
        } else {
            hp_buf_puts(&l->buf, "null");
            l->truncated = true;
        }
    } else if (f->type == HP_LOG_BOOL) {
        hp_buf_puts(&l->buf, f->i ? "true" : "false");
    } else {
        hp_buf_printf(&l->buf, "%" PRId64, f->i);
    }
    return true;
}

static void put_prefix(struct line *l, enum hp_log_level level)
{
    struct timespec now = {0};
    struct tm tm = {0};
    clock_gettime(CLOCK_REALTIME, &now);
    time_t sec = now.tv_sec;
    gmtime_r(&sec, &tm);
    char stamp[64];
    if (strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
        stamp[0] = '\0';
    }
    hp_buf_printf(&l->buf, "{\"ts\":\"%s.%03ldZ\",\"level\":\"%s\",\"msg\":", stamp,
                  (long)(now.tv_nsec / 1000000), level_names[clamp_level(level)]);
}

/* Writes all of p, retrying on EINTR and partial writes. Errors are dropped:
 * there is nowhere left to report them. */
static void write_all(const char *p, size_t n)
{
    int fd = atomic_load_explicit(&log_fd, memory_order_relaxed);
    pthread_mutex_lock(&write_lock);
    (void)hp_file_write_all(fd, "log", p, n, NULL);
    pthread_mutex_unlock(&write_lock);
}

void hp_log(enum hp_log_level level, const char *msg, const struct hp_log_field *fields,
            size_t n_fields)
{
    if (!hp_log_enabled(level)) {
        return;
    }
    int saved_errno = errno; /* callers often log right after a failing call */
    struct line l = {.truncated = false};
    hp_buf_init(&l.buf, LINE_MAX_BYTES);
    put_prefix(&l, level);
    if (msg == NULL) {
        msg = "";
    }
    put_string(&l, msg, strlen(msg));
    for (size_t i = 0; i < n_fields; i++) {
        if (fields[i].key != NULL && !put_field(&l, &fields[i])) {
            break;
        }
    }
    if (l.truncated) {
        hp_buf_puts(&l.buf, ",\"truncated\":true");
    }
    hp_buf_append(&l.buf, "}\n", 2);
    write_all(l.buf.data, l.buf.len);
    hp_buf_cleanup(&l.buf);
    errno = saved_errno;
}
