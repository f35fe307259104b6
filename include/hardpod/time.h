/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Times as text, in UTC: formatting unix seconds as RFC 3339 and parsing the
 * dates and RFC 3339 timestamps that users write (exemption expiries, audit
 * --now). Pure functions: no clock, no locale, no shared state; thread-safe.
 */
#ifndef HARDPOD_TIME_H
#define HARDPOD_TIME_H

#include "hardpod/error.h"

#include <stddef.h>
#include <stdint.h>

/* Room for any text hp_time_format writes, NUL included. */
#define HP_TIME_TEXT_MAX 40

/* Writes unix seconds t into buf as RFC 3339 UTC ("2027-01-31T12:00:00Z"),
 * or as "@<seconds>" for a time the calendar cannot hold. buf is the
 * caller's, at least HP_TIME_TEXT_MAX bytes for a complete result; the text
 * is always NUL-terminated when size > 0. */
void hp_time_format(int64_t t, char *buf, size_t size);

/* Parses "YYYY-MM-DD" (valid through the end of that day, UTC) or an RFC 3339
 * timestamp ("2027-01-31T12:00:00Z"; lowercase t and z, fractional seconds
 * and offsets such as +02:00 allowed) into unix seconds. HP_ERR_INVALID with
 * the text and what is wrong with it; s may be NULL (an error). */
enum hp_err hp_time_parse(const char *s, int64_t *out, struct hp_error *err);

#endif
