/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the request framing checks (src/server/framing.c): one table
 * row per request head, its header fields as libmicrohttpd stores them, and
 * the status and message it must get. tests/e2e/test_serve_framing.sh sends
 * the same kinds of heads over TLS to the real server.
 */
#include "server/internal.h"
#include "testutil.h"

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#define MAX_FIELDS 6

struct head {
    const char *name;
    bool http10;
    const char *fields[MAX_FIELDS][2]; /* name, value; NULL name ends the list */
    unsigned status;
    const char *msg; /* the start of the message; NULL when status is 0 */
};

static const struct head heads[] = {
    {"a plain POST", false, {{"Host", "h"}, {"Content-Length", "2"}}, 0, NULL},
    {"a chunked POST", false, {{"Host", "h"}, {"Transfer-Encoding", "chunked"}}, 0, NULL},
    {"chunked in capitals", false, {{"Host", "h"}, {"transfer-encoding", "CHUNKED"}}, 0, NULL},
    {"a GET without a body", false, {{"Host", "h"}}, 0, NULL},
    {"HTTP/1.0 without Host", true, {{"Content-Length", "2"}}, 0, NULL},
    {"two equal Content-Length",
     false,
     {{"Host", "h"}, {"Content-Length", "2"}, {"Content-Length", "2"}},
     400,
     "Content-Length appears 2 times; send it once"},
    {"two different Content-Length",
     false,
     {{"Host", "h"}, {"Content-Length", "2"}, {"content-length", "5"}},
     400,
     "Content-Length appears 2 times with different values (RFC 9112 section 6.3)"},
    {"Content-Length 0 then 5",
     false,
     {{"Host", "h"}, {"Content-Length", "0"}, {"Content-Length", "5"}, {"Content-Length", "0"}},
     400,
     "Content-Length appears 3 times with different values"},
    {"gzip, chunked",
     false,
     {{"Host", "h"}, {"Transfer-Encoding", "gzip, chunked"}},
     501,
     "transfer coding \"gzip\" is not supported; send Transfer-Encoding: chunked alone"},
    {"gzip and chunked in two fields",
     false,
     {{"Host", "h"}, {"Transfer-Encoding", "gzip"}, {"Transfer-Encoding", "chunked"}},
     501,
     "transfer coding \"gzip\" is not supported"},
    {"a coding with parameters",
     false,
     {{"Host", "h"}, {"Transfer-Encoding", "x-custom;q=1 , chunked"}},
     501,
     "transfer coding \"x-custom\" is not supported"},
    {"a long coding name is cut",
     false,
     {{"Host", "h"}, {"Transfer-Encoding", "abcdefghijklmnopqrstuvwxyz0123456789, chunked"}},
     501,
     "transfer coding \"abcdefghijklmnopqrstuvwxyz01234\" is not supported"},
    {"gzip alone",
     false,
     {{"Host", "h"}, {"Transfer-Encoding", "gzip"}},
     400,
     "Transfer-Encoding must be exactly \"chunked\", sent once"},
    {"chunked, gzip",
     false,
     {{"Host", "h"}, {"Transfer-Encoding", "chunked, gzip"}},
     400,
     "Transfer-Encoding must be exactly \"chunked\""},
    {"chunked, chunked",
     false,
     {{"Host", "h"}, {"Transfer-Encoding", "chunked, chunked"}},
     400,
     "Transfer-Encoding must be exactly \"chunked\""},
    {"chunked twice in two fields",
     false,
     {{"Host", "h"}, {"Transfer-Encoding", "chunked"}, {"Transfer-Encoding", "chunked"}},
     400,
     "Transfer-Encoding must be exactly \"chunked\""},
    {"chunked with a trailing space",
     false,
     {{"Host", "h"}, {"Transfer-Encoding", "chunked "}},
     400,
     "Transfer-Encoding must be exactly \"chunked\""},
    {"an empty Transfer-Encoding",
     false,
     {{"Host", "h"}, {"Transfer-Encoding", ""}},
     400,
     "Transfer-Encoding must be exactly \"chunked\""},
    {"a coding that is not a token",
     false,
     {{"Host", "h"}, {"Transfer-Encoding", "g{zip}, chunked"}},
     400,
     "Transfer-Encoding must be exactly \"chunked\""},
    {"Transfer-Encoding and Content-Length",
     false,
     {{"Host", "h"}, {"Content-Length", "2"}, {"Transfer-Encoding", "chunked"}},
     400,
     "both Transfer-Encoding and Content-Length are set; send one"},
    {"Transfer-Encoding in HTTP/1.0",
     true,
     {{"Transfer-Encoding", "chunked"}},
     400,
     "Transfer-Encoding is not allowed in an HTTP/1.0 request"},
    {"no Host", false, {{"Content-Length", "2"}}, 400, "the Host header is missing"},
    {"two Host", false, {{"Host", "h"}, {"Host", "h"}}, 400, "Host appears 2 times; send it once"},
    {"a space before the colon",
     false,
     {{"Host", "h"}, {"Content-Length ", "5"}},
     400,
     "a header field name is not a token"},
    {"an empty field name",
     false,
     {{"Host", "h"}, {"", "x"}},
     400,
     "a header field name is not a token"},
    {"a separator in a field name",
     false,
     {{"Host", "h"}, {"X(a)", "1"}},
     400,
     "a header field name is not a token"},
    {"a byte above 0x7f in a field name",
     false,
     {{"Host", "h"}, {"X-\xc3\xa9", "1"}},
     400,
     "a header field name is not a token"},
    {"Content-Length folded onto the next line",
     false,
     {{"Host", "h"}, {"Content-Length0", "2"}},
     400,
     "a Content-Length or Transfer-Encoding field is continued on the next line"},
    {"Transfer-Encoding folded onto the next line",
     false,
     {{"Host", "h"}, {"transfer-encodinggzip", "chunked"}},
     400,
     "a Content-Length or Transfer-Encoding field is continued on the next line"},
    {"Content-Type is not a folded Content-Length",
     false,
     {{"Host", "h"}, {"Content-Type", "application/json"}, {"Content-Length", "2"}},
     0,
     NULL},
};

START_TEST(test_framing_heads)
{
    const struct head *h = &heads[_i];
    struct srv_framing f;
    srv_framing_init(&f, h->http10);
    for (size_t i = 0; i < MAX_FIELDS && h->fields[i][0] != NULL; i++) {
        srv_framing_field(&f, h->fields[i][0], h->fields[i][1]);
    }
    char msg[160] = "";
    unsigned status = srv_framing_verdict(&f, msg, sizeof(msg));
    ck_assert_msg(status == h->status, "%s: expected status %u, got %u (%s)", h->name, h->status,
                  status, msg);
    if (h->msg != NULL) {
        ck_assert_msg(strncmp(msg, h->msg, strlen(h->msg)) == 0,
                      "%s:\n  expected a message starting \"%s\"\n  got \"%s\"", h->name, h->msg,
                      msg);
    }
}
END_TEST

static const struct {
    const char *target;
    bool ok;
} targets[] = {
    {"/validate", true},      {"/validate?timeout=10s", true}, {"/validate%20x", true},
    {"/validate x", false},   {"/validate\tx", false},         {"/validate\x01", false},
    {"/validate\x7f", false}, {"/caf\xc3\xa9", true},          {"", true},
};

START_TEST(test_framing_targets)
{
    bool ok = srv_framing_target_ok(targets[_i].target);
    ck_assert_msg(ok == targets[_i].ok, "target \"%s\": expected %s, got %s", targets[_i].target,
                  targets[_i].ok ? "ok" : "refused", ok ? "ok" : "refused");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("framing");
    TCase *tc = tcase_create("framing");
    tcase_add_loop_test(tc, test_framing_heads, 0, (int)(sizeof(heads) / sizeof(heads[0])));
    tcase_add_loop_test(tc, test_framing_targets, 0, (int)(sizeof(targets) / sizeof(targets[0])));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(suite());
}
