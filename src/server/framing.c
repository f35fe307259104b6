/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Strict request framing (see internal.h): the request head is checked for
 * every way in which hardpod and a proxy in front of it could disagree about
 * where a request ends, and for what libmicrohttpd 0.9.75 would otherwise
 * answer with HTML or not at all. Reads only the head: never the body.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void srv_framing_init(struct srv_framing *f, bool http10)
{
    memset(f, 0, sizeof(*f));
    f->http10 = http10;
}

/* RFC 9110 section 5.6.2: tchar. */
static bool is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool is_token(const char *s, size_t n)
{
    if (n == 0) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (!is_tchar((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

/* Whether name is prefix followed by more characters (case-insensitive). */
static bool extends(const char *name, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncasecmp(name, prefix, n) == 0 && name[n] != '\0';
}

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* One element of a Transfer-Encoding list: a coding name, optionally with
 * parameters after ';'. Empty elements are allowed by the list syntax. */
static void coding(struct srv_framing *f, const char *s, size_t n)
{
    while (n > 0 && is_ows(s[0])) {
        s++, n--;
    }
    while (n > 0 && is_ows(s[n - 1])) {
        n--;
    }
    if (n == 0) {
        return;
    }
    size_t name = 0;
    while (name < n && s[name] != ';' && !is_ows(s[name])) {
        name++;
    }
    if (!is_token(s, name)) {
        f->bad_coding = true;
        f->chunked_last = false;
        return;
    }
    if (name == 7 && strncasecmp(s, "chunked", 7) == 0) {
        f->chunked++;
        f->chunked_last = true;
        return;
    }
    if (f->other[0] == '\0') {
        size_t keep = name < sizeof(f->other) - 1 ? name : sizeof(f->other) - 1;
        memcpy(f->other, s, keep);
        f->other[keep] = '\0';
    }
    f->chunked_last = false;
}

void srv_framing_field(struct srv_framing *f, const char *name, const char *value)
{
    if (value == NULL) {
        value = "";
    }
    if (!is_token(name, strlen(name))) {
        /* libmicrohttpd keeps "Content-Length " (space before the colon) as
         * a field of that name, so the body length would silently be 0. */
        f->bad_name = true;
        return;
    }
    /* libmicrohttpd appends a continuation line (obsolete line folding) to
     * the field's name, not its value: "Content-Length: 2" then " 0" becomes
     * a field "Content-Length0" that nothing reads as a length. */
    if (extends(name, "Content-Length") || extends(name, "Transfer-Encoding")) {
        f->folded = true;
        return;
    }
    if (strcasecmp(name, "Host") == 0) {
        f->hosts++;
    } else if (strcasecmp(name, "Content-Length") == 0) {
        if (f->lengths == 0) {
            f->length = value;
        } else if (strcmp(value, f->length) != 0) {
            f->lengths_differ = true;
        }
        f->lengths++;
    } else if (strcasecmp(name, "Transfer-Encoding") == 0) {
        /* libmicrohttpd decodes chunks only when the first such field is
         * exactly "chunked"; anything else it reads as a body that ends when
         * the connection does, and answers nothing until the timeout. */
        if (f->encodings == 0) {
            f->lone_chunked = strcasecmp(value, "chunked") == 0;
        }
        f->encodings++;
        for (const char *p = value;;) {
            const char *comma = strchr(p, ',');
            size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);
            coding(f, p, n);
            if (comma == NULL) {
                break;
            }
            p = comma + 1;
        }
    }
}

static unsigned verdict_encoding(const struct srv_framing *f, char *msg, size_t cap)
{
    if (f->http10) {
        snprintf(msg, cap,
                 "Transfer-Encoding is not allowed in an HTTP/1.0 request "
                 "(RFC 9112 section 6.1)");
        return 400;
    }
    if (f->lengths > 0) {
        snprintf(msg, cap,
                 "both Transfer-Encoding and Content-Length are set; send one "
                 "(RFC 9112 section 6.1)");
        return 400;
    }
    if (f->encodings == 1 && f->lone_chunked) {
        return 0;
    }
    if (!f->bad_coding && f->chunked == 1 && f->chunked_last && f->other[0] != '\0') {
        snprintf(msg, cap,
                 "transfer coding \"%s\" is not supported; send Transfer-Encoding: chunked "
                 "alone",
                 f->other);
        return 501;
    }
    snprintf(msg, cap,
             "Transfer-Encoding must be exactly \"chunked\", sent once "
             "(RFC 9112 section 6.1)");
    return 400;
}

unsigned srv_framing_verdict(const struct srv_framing *f, char *msg, size_t cap)
{
    if (f->bad_name) {
        snprintf(msg, cap,
                 "a header field name is not a token: it has a space, a control "
                 "character or a separator (RFC 9112 section 5.1)");
        return 400;
    }
    if (f->folded) {
        snprintf(msg, cap,
                 "a Content-Length or Transfer-Encoding field is continued on the next "
                 "line (obsolete line folding, RFC 9112 section 5.2)");
        return 400;
    }
    if (f->hosts == 0 && !f->http10) {
        snprintf(msg, cap, "the Host header is missing (RFC 9112 section 3.2)");
        return 400;
    }
    if (f->hosts > 1) {
        snprintf(msg, cap, "Host appears %u times; send it once (RFC 9112 section 3.2)", f->hosts);
        return 400;
    }
    if (f->lengths > 1) {
        if (f->lengths_differ) {
            snprintf(msg, cap,
                     "Content-Length appears %u times with different values "
                     "(RFC 9112 section 6.3)",
                     f->lengths);
        } else {
            snprintf(msg, cap, "Content-Length appears %u times; send it once", f->lengths);
        }
        return 400;
    }
    if (f->encodings > 0) {
        return verdict_encoding(f, msg, cap);
    }
    return 0;
}

bool srv_framing_target_ok(const char *target)
{
    if (target == NULL) {
        return true;
    }
    for (const unsigned char *p = (const unsigned char *)target; *p != '\0'; p++) {
        if (*p <= ' ' || *p == 0x7f) {
            return false;
        }
    }
    return true;
}

static enum MHD_Result each_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    (void)kind;
    srv_framing_field(cls, key, value);
    return MHD_YES;
}

unsigned srv_framing_check(struct MHD_Connection *conn, const char *version, bool target_ok,
                           char *msg, size_t cap)
{
    if (!target_ok) {
        snprintf(msg, cap,
                 "the request target contains a space or a control character "
                 "(RFC 9112 section 3.2)");
        return 400;
    }
    struct srv_framing f;
    srv_framing_init(&f, version != NULL && strcmp(version, "HTTP/1.0") == 0);
    MHD_get_connection_values(conn, MHD_HEADER_KIND, each_field, &f);
    return srv_framing_verdict(&f, msg, cap);
}
