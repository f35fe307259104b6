/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RFC 3339 times in UTC, both ways. The parser reads the text itself rather
 * than through strptime, which depends on the locale and accepts more than
 * RFC 3339 does. Never reads the clock.
 */
#include "hardpod/time.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void hp_time_format(int64_t t, char *buf, size_t size)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (size == 0) {
        return;
    }
    if (gmtime_r(&tt, &tm) == NULL || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        snprintf(buf, size, "@%lld", (long long)t);
    }
}

/* Reads exactly n digits. */
static bool read_digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9') {
            return false;
        }
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return true;
}

/* Consumes c (or its lowercase twin, which RFC 3339 allows for T and Z). */
static bool read_char(const char **p, char c)
{
    if (**p == c || (c >= 'A' && c <= 'Z' && **p == c - 'A' + 'a')) {
        (*p)++;
        return true;
    }
    return false;
}

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

/* The zone suffix of an RFC 3339 time, as seconds east of UTC. */
static const char *read_zone(const char **p, int *offset)
{
    int sign = **p == '-' ? -1 : 1;
    int oh = 0;
    int om = 0;
    if (read_char(p, 'Z')) {
        *offset = 0;
        return NULL;
    }
    if (!read_char(p, '+') && !read_char(p, '-')) {
        return "expected Z or an offset such as +02:00 after the time";
    }
    if (!read_digits(p, 2, &oh) || !read_char(p, ':') || !read_digits(p, 2, &om)) {
        return "expected an offset such as +02:00";
    }
    if (oh > 23 || om > 59) {
        return "offset out of range";
    }
    *offset = sign * (oh * 3600 + om * 60);
    return NULL;
}

/* Fills tm from s (UTC wall clock) and *offset (seconds east of UTC); NULL or why not. */
static const char *read_time(const char *s, struct tm *tm, int *offset)
{
    const char *p = s;
    int y = 0;
    int mo = 0;
    int d = 0;
    int h = 23;
    int mi = 59;
    int sec = 59; /* a bare date lasts through its final second */
    *offset = 0;
    if (!read_digits(&p, 4, &y) || !read_char(&p, '-') || !read_digits(&p, 2, &mo) ||
        !read_char(&p, '-') || !read_digits(&p, 2, &d)) {
        return "expected a date as YYYY-MM-DD";
    }
    if (mo < 1 || mo > 12) {
        return "month out of range";
    }
    if (d < 1 || d > days_in_month(y, mo)) {
        return "day out of range for the month";
    }
    if (*p != '\0') {
        const char *why = NULL;
        if (!read_char(&p, 'T') || !read_digits(&p, 2, &h) || !read_char(&p, ':') ||
            !read_digits(&p, 2, &mi) || !read_char(&p, ':') || !read_digits(&p, 2, &sec)) {
            return "expected THH:MM:SS after the date";
        }
        if (h > 23 || mi > 59 || sec > 59) {
            return "time of day out of range";
        }
        if (read_char(&p, '.') && strspn(p, "0123456789") == 0) {
            return "expected digits after the decimal point";
        }
        p += strspn(p, "0123456789"); /* whole seconds are enough for expiry */
        if ((why = read_zone(&p, offset)) != NULL) {
            return why;
        }
        if (*p != '\0') {
            return "unexpected text after the time";
        }
    }
    *tm = (struct tm){.tm_year = y - 1900,
                      .tm_mon = mo - 1,
                      .tm_mday = d,
                      .tm_hour = h,
                      .tm_min = mi,
                      .tm_sec = sec};
    return NULL;
}

enum hp_err hp_time_parse(const char *s, int64_t *out, struct hp_error *err)
{
    struct tm tm;
    int offset = 0;
    const char *why = s != NULL ? read_time(s, &tm, &offset) : "no time given";
    if (why != NULL) {
        return hp_error_set(err, HP_ERR_INVALID,
                            "invalid time \"%.40s\": %s (expected YYYY-MM-DD or RFC 3339 such as "
                            "2027-01-31T12:00:00Z)",
                            s != NULL ? s : "", why);
    }
    *out = (int64_t)timegm(&tm) - offset;
    return HP_OK;
}
