/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal to src/server: the framing checks that libmicrohttpd 0.9.75 does
 * not make (or answers with HTML), made on the head of a request before
 * anything reads its body (routes.c answers them in JSON and closes the
 * connection). The checks are pure (a table-driven unit test feeds them
 * fields); only hp_srv_framing_check touches a connection.
 */
#ifndef HP_SERVER_FRAMING_H
#define HP_SERVER_FRAMING_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

/* What the header fields of one request say about its framing. Fill with
 * hp_srv_framing_init and one hp_srv_framing_field per field, then ask
 * hp_srv_framing_verdict. Borrows the field values it is given until the
 * verdict. */
struct hp_srv_framing {
    bool http10;         /* the request is HTTP/1.0 (no Host needed, no Transfer-Encoding) */
    bool bad_name;       /* a field name that is not an RFC 9110 token */
    bool folded;         /* a name that goes on after Content-Length or Transfer-Encoding */
    unsigned hosts;      /* Host fields */
    unsigned lengths;    /* Content-Length fields */
    const char *length;  /* the first Content-Length value (borrowed) */
    bool lengths_differ; /* a later Content-Length value differs from the first */
    unsigned encodings;  /* Transfer-Encoding fields */
    bool lone_chunked;   /* the first Transfer-Encoding value is exactly "chunked" */
    unsigned chunked;    /* "chunked" codings over all Transfer-Encoding fields */
    bool chunked_last;   /* the last coding is "chunked" */
    bool bad_coding;     /* a list element that is not a coding name */
    char other[32];      /* the first coding other than chunked (cut to fit), or "" */
};

void hp_srv_framing_init(struct hp_srv_framing *f, bool http10);

/* Takes one request header field (name and value NUL-terminated, value
 * without its leading whitespace, as libmicrohttpd stores them). */
void hp_srv_framing_field(struct hp_srv_framing *f, const char *name, const char *value);

/* 0 when the framing is sound; otherwise the HTTP status to answer (400, or
 * 501 for a transfer coding other than chunked) with a message for the
 * client in msg (cap bytes, NUL-terminated). */
unsigned hp_srv_framing_verdict(const struct hp_srv_framing *f, char *msg, size_t cap);

/* Whether a raw request target (as sent, before unescaping) is free of
 * spaces and control characters. libmicrohttpd cuts the request line at its
 * last space, so "GET /a b HTTP/1.1" reaches us as the target "/a b". */
bool hp_srv_framing_target_ok(const char *target);

/* Runs the checks on conn's request head: version is the handler's version
 * string, target_ok the result of hp_srv_framing_target_ok on the raw target.
 * Same result as hp_srv_framing_verdict. Call on the handler's first call. */
unsigned hp_srv_framing_check(struct MHD_Connection *conn, const char *version, bool target_ok,
                              char *msg, size_t cap);

#endif
