#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Strict HTTP framing of `hardpod serve`, seen at the socket level: exact
# request bytes go over TLS (the certificate verified) and the exact response
# bytes are read until the server closes. Ambiguous framing (repeated
# Content-Length, Transfer-Encoding other than a lone chunked, both, a space
# before a colon, no Host) gets one status line, a JSON error, Connection:
# close and a closed connection at once; the errors that libmicrohttpd 0.9.75
# still answers itself are pinned down byte for byte as docs/operations.md documents
# them. After each, a normal request still succeeds.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need curl openssl python3
A=$FIXTURES/admission
H=$A/hardened-deployment.json
CERTS=$E2E_TMP/certs
make_certs "$CERTS"
start_server --tls-cert "$CERTS/tls.crt" --tls-key "$CERTS/tls.key" --shutdown-delay 0 \
  --request-timeout 10 || exit 1

# raw.py PORT CA REQUEST [TRIES]: sends REQUEST (a Python bytes expression;
# HOST, JSON and REVIEW are defined for it) in one piece and reads until the
# server closes or 5 s pass. Prints one line describing the first response:
#   statuslines=N status=S type=T length=ok|bad|none connection=C closed=yes|no fast=yes|no body=B
# statuslines counts every "HTTP/1.x NNN " at the start of a line, anywhere in
# what came back, and status is the first one's code. The rest describes the
# last header block: its Content-Type and Connection, whether exactly
# Content-Length bytes follow it (length), and those bytes as sent (their final
# newline dropped), or "html" for an HTML page. closed: the server closed the
# connection; fast: within 2 s. With TRIES, a connection reset before any
# answer (the server closed with request bytes unread) is retried.
cat >"$E2E_TMP/raw.py" <<'PY'
import re, socket, ssl, sys, time
port, ca, expr = int(sys.argv[1]), sys.argv[2], sys.argv[3]
tries = int(sys.argv[4]) if len(sys.argv) > 4 else 1
HOST = b"Host: localhost\r\n"
JSON = b"Content-Type: application/json\r\n"
REVIEW = open(sys.argv[5] if len(sys.argv) > 5 else "/dev/null", "rb").read()
req = eval(expr)
ctx = ssl.create_default_context(cafile=ca)
for attempt in range(tries):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=5),
                        server_hostname="localhost")
    start = time.monotonic()
    data, closed = b"", "no"
    try:
        s.sendall(req)
    except OSError:
        pass
    try:
        while time.monotonic() - start < 5:
            chunk = s.recv(65536)
            if not chunk:
                closed = "yes"
                break
            data += chunk
    except (OSError, ssl.SSLError) as e:
        closed = "reset" if data == b"" else "yes"
    secs = time.monotonic() - start
    s.close()
    if data or attempt == tries - 1:
        break
starts = [m.start(1) for m in re.finditer(rb"(?:^|\n)(HTTP/1\.[01] \d{3} )", data)]
status = data[9:12].decode() if starts and starts[0] == 0 else "none"
# The fields and body of the last response (the only one, unless the
# server wrote more than one status line).
head, _, rest = data[starts[-1] if starts else 0:].partition(b"\r\n\r\n")
fields = {}
for line in head.split(b"\r\n")[1:]:
    k, _, v = line.partition(b":")
    fields.setdefault(k.strip().lower().decode(), v.strip().decode())
clen = int(fields.get("content-length", "-1"))
body = rest[:clen] if clen >= 0 else rest
length = "none" if clen < 0 else "ok" if clen == len(rest) else "bad(%d of %d)" % (len(rest), clen)
text = "html" if body.startswith(b"<html>") else body.decode("utf-8", "replace")
print("statuslines=%d status=%s type=%s length=%s connection=%s closed=%s fast=%s body=%s" % (
    len(starts), status, fields.get("content-type", "none"), length, fields.get("connection", "none"),
    closed, "yes" if secs < 2 else "no(%.1fs)" % secs, text.rstrip("\n")))
PY
raw() { timeout 30 python3 "$E2E_TMP/raw.py" "$PORT" "$CERTS/ca.crt" "$1" "${2:-1}" "$H"; }


# json_error NAME REQUEST STATUS ERROR: REQUEST is answered at once with one
# status line STATUS, Content-Type application/json, the body {"error":ERROR}
# byte for byte, Connection: close, and the connection closed.
JSON_ERRORS=0
json_error() {
  local want=${4//\\/\\\\}
  want=${want//\"/\\\"}
  check "$1" "statuslines=1 status=$3 type=application/json length=ok connection=close closed=yes fast=yes body={\"error\":\"$want\"}" \
    "$(raw "$2")"
  JSON_ERRORS=$((JSON_ERRORS + 1))
  still_ok "$1"
}

# --- repeated Content-Length (RFC 9112 section 6.3) ----------------------------------
json_error "two different Content-Length values: 400" \
  'b"POST /validate HTTP/1.1\r\n" + HOST + JSON + b"Content-Length: 2\r\nContent-Length: 5\r\n\r\n{}"' \
  400 "Content-Length appears 2 times with different values (RFC 9112 section 6.3)"
json_error "two equal Content-Length values: 400 (one is required)" \
  'b"POST /validate HTTP/1.1\r\n" + HOST + JSON + b"Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}"' \
  400 "Content-Length appears 2 times; send it once"
# libmicrohttpd would take the first (0) and read the "body" as a second request.
json_error "Content-Length 0 then 40 with a request hidden in the body: one 400, then closed" \
  'b"POST /validate HTTP/1.1\r\n" + HOST + JSON + b"Content-Length: 0\r\nContent-Length: 40\r\n\r\nGET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"' \
  400 "Content-Length appears 2 times with different values (RFC 9112 section 6.3)"
json_error "a space before the colon (\"Content-Length : 2\"): 400" \
  'b"POST /validate HTTP/1.1\r\n" + HOST + JSON + b"Content-Length : 2\r\n\r\n{}"' \
  400 "a header field name is not a token: it has a space, a control character or a separator (RFC 9112 section 5.1)"
# libmicrohttpd appends a continuation line to the field's name: the length
# would be lost and the body read as the next request.
json_error "Content-Length continued on the next line (obsolete line folding): 400" \
  'b"POST /validate HTTP/1.1\r\n" + HOST + JSON + b"Content-Length: 2\r\n 0\r\n\r\n{}"' \
  400 "a Content-Length or Transfer-Encoding field is continued on the next line (obsolete line folding, RFC 9112 section 5.2)"
json_error "Transfer-Encoding continued on the next line (obsolete line folding): 400" \
  'b"POST /validate HTTP/1.1\r\n" + HOST + JSON + b"Transfer-Encoding: chunked\r\n\tgzip\r\n\r\n2\r\n{}\r\n0\r\n\r\n"' \
  400 "a Content-Length or Transfer-Encoding field is continued on the next line (obsolete line folding, RFC 9112 section 5.2)"

# --- Transfer-Encoding (RFC 9112 sections 6.1 and 7) -----------------------------------
# Until now this waited for the 10 s request timeout and got no answer.
json_error "Transfer-Encoding: gzip, chunked: 501 at once" \
  'b"POST /validate HTTP/1.1\r\n" + HOST + JSON + b"Transfer-Encoding: gzip, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"' \
  501 'transfer coding "gzip" is not supported; send Transfer-Encoding: chunked alone'
json_error "Transfer-Encoding: gzip and chunked in two fields: 501 at once" \
  'b"POST /validate HTTP/1.1\r\n" + HOST + JSON + b"Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"' \
  501 'transfer coding "gzip" is not supported; send Transfer-Encoding: chunked alone'
json_error "Transfer-Encoding: chunked, gzip (chunked not last): 400" \
  'b"POST /validate HTTP/1.1\r\n" + HOST + JSON + b"Transfer-Encoding: chunked, gzip\r\n\r\n2\r\n{}\r\n0\r\n\r\n"' \
  400 'Transfer-Encoding must be exactly "chunked", sent once (RFC 9112 section 6.1)'
json_error "Transfer-Encoding: gzip alone: 400" \
  'b"POST /validate HTTP/1.1\r\n" + HOST + JSON + b"Transfer-Encoding: gzip\r\n\r\n{}"' \
  400 'Transfer-Encoding must be exactly "chunked", sent once (RFC 9112 section 6.1)'
json_error "Transfer-Encoding: chunked, chunked: 400" \
  'b"POST /validate HTTP/1.1\r\n" + HOST + JSON + b"Transfer-Encoding: chunked, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"' \
  400 'Transfer-Encoding must be exactly "chunked", sent once (RFC 9112 section 6.1)'
json_error "Transfer-Encoding and Content-Length together: 400" \
  'b"POST /validate HTTP/1.1\r\n" + HOST + JSON + b"Content-Length: 11\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"' \
  400 "both Transfer-Encoding and Content-Length are set; send one (RFC 9112 section 6.1)"
json_error "Transfer-Encoding in an HTTP/1.0 request: 400" \
  'b"POST /validate HTTP/1.0\r\n" + JSON + b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"' \
  400 "Transfer-Encoding is not allowed in an HTTP/1.0 request (RFC 9112 section 6.1)"
json_error "Transfer-Encoding: gzip on GET /healthz: 501 at once" \
  'b"GET /healthz HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"' \
  501 'transfer coding "gzip" is not supported; send Transfer-Encoding: chunked alone'

# A lone chunked body is still read and answered.
out=$(raw 'b"POST /validate HTTP/1.1\r\n" + HOST + JSON + b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n%x\r\n" % len(REVIEW) + REVIEW + b"\r\n0\r\n\r\n"')
check "Transfer-Encoding: chunked: one 200 with a JSON review" \
  "statuslines=1 status=200 type=application/json length=ok" "${out%% connection=*}"
check_contains "Transfer-Encoding: chunked: allowed" "$out" '"allowed":true'

# --- Host and the request target (RFC 9112 section 3.2) ---------------------------------
# libmicrohttpd's own answer to these was HTML with its header block written
# twice (no Host) and a silent close (a space in the target).
json_error "HTTP/1.1 without Host: 400" \
  'b"POST /validate HTTP/1.1\r\n" + JSON + b"Content-Length: 2\r\n\r\n{}"' \
  400 "the Host header is missing (RFC 9112 section 3.2)"
json_error "two Host headers: 400" \
  'b"GET /healthz HTTP/1.1\r\n" + HOST + HOST + b"\r\n"' \
  400 "Host appears 2 times; send it once (RFC 9112 section 3.2)"
json_error "a space in the request target: 400" \
  'b"POST /validate x HTTP/1.1\r\n" + HOST + JSON + b"Content-Length: 2\r\n\r\n{}"' \
  400 "the request target contains a space or a control character (RFC 9112 section 3.2)"
out=$(raw 'b"GET /healthz HTTP/1.0\r\n\r\n"')
check "HTTP/1.0 without Host: served" \
  'statuslines=1 status=200 type=application/json length=ok connection=close closed=yes fast=yes body={"status":"ok"}' \
  "$out"
out=$(raw 'b"GET /healthz HTTP/1.1\r\n" + HOST + b"\r\nGET /readyz HTTP/1.1\r\n" + HOST + b"Connection: close\r\n\r\n"')
check "two pipelined GETs on one keep-alive connection: both answered" \
  "statuslines=2 status=200" "${out%% type=*}"

errors=$(log_count "request rejected")
if [ "$errors" -ge "$JSON_ERRORS" ]; then
  pass "every framing error is logged as a rejected request ($errors >= $JSON_ERRORS)"
else
  fail "every framing error is logged as a rejected request" "expected at least $JSON_ERRORS" \
    "actual:   $errors"
fi

# --- what libmicrohttpd 0.9.75 still answers itself -------------------------------------
# These are found before hardpod's handler runs, and libmicrohttpd answers
# them with its own static HTML page and no Content-Type; see docs/operations.md
# ("Errors that libmicrohttpd answers itself"). They are pinned here so that
# a change of libmicrohttpd that changes them fails this test.
# native NAME REQUEST STATUS STATUSLINES [TRIES]: libmicrohttpd's own HTML answer.
native() {
  check "$1 (libmicrohttpd's own answer)" \
    "statuslines=$4 status=$3 type=none length=ok connection=close closed=yes fast=yes body=html" \
    "$(raw "$2" "${5:-1}")"
  still_ok "$1"
}
# An invalid Content-Length is found after the whole head is parsed and
# before the handler is called: libmicrohttpd 0.9.75 then writes its status
# line and header block twice, the first block with no body of its own (the
# state it sets for the error answer is overwritten, so the response header is
# built a second time). The first block's Content-Length then counts the
# bytes of the second block and the HTML after it.
native "Content-Length: -1: 400, header block written twice" \
  'b"POST /validate HTTP/1.1\r\n" + HOST + JSON + b"Content-Length: -1\r\n\r\n{}"' 400 2
native "Content-Length: 2, 2 in one field: 400, header block written twice" \
  'b"POST /validate HTTP/1.1\r\n" + HOST + JSON + b"Content-Length: 2, 2\r\n\r\n{}"' 400 2
native "Content-Length above 2^64: 413, header block written twice" \
  'b"POST /validate HTTP/1.1\r\n" + HOST + JSON + b"Content-Length: 99999999999999999999\r\n\r\n{}"' \
  413 2
native "HTTP/2.0 request line: 505" 'b"GET /healthz HTTP/2.0\r\n" + HOST + b"\r\n"' 505 1
native "HTTP/0.9 request line: 505" 'b"GET /healthz HTTP/0.9\r\n" + HOST + b"\r\n"' 505 1
native "a request line without a version: 400" 'b"GET /healthz\r\n" + HOST + b"\r\n"' 400 1
native "a header line without a colon: 400" 'b"GET /healthz HTTP/1.1\r\n" + HOST + b"oops\r\n\r\n"' 400 1
native "a chunk size that is not hexadecimal: 400" \
  'b"POST /validate HTTP/1.1\r\n" + HOST + JSON + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n"' 400 1
native "a chunk size above 2^64: 413" \
  'b"POST /validate HTTP/1.1\r\n" + HOST + JSON + b"Transfer-Encoding: chunked\r\n\r\n1ffffffffffffffff\r\n"' \
  413 1
# A request line without a space, or with an empty method, is closed without
# any answer.
for line in 'GET' ' /healthz HTTP/1.1'; do
  out=$(raw "b\"$line\r\n\" + HOST + b\"\r\n\"")
  check "request line \"$line\": closed without an answer (libmicrohttpd)" \
    "statuslines=0 status=none type=none length=none connection=none closed=yes fast=yes body=" "$out"
  still_ok "request line \"$line\""
done
# The server answers these before it has read the whole request and closes;
# the kernel then resets the connection, which now and then discards the
# answer before it is read: up to three tries.
native "a 40 KB request target: 414" 'b"GET /" + b"a" * 40000 + b" HTTP/1.1\r\n" + HOST + b"\r\n"' \
  414 1 3
native "a 40 KB header: 431" 'b"GET /healthz HTTP/1.1\r\n" + HOST + b"X-Big: " + b"a" * 40000 + b"\r\n\r\n"' \
  431 1 3

check "process still alive" yes "$(server_alive && echo yes || echo no)"
check "no error-level log lines" 0 "$(grep -c '"level":"error"' "$SERVER_LOG")"
stop_server
check "SIGTERM: exit 0 (no sanitizer report)" 0 "$?"
finish
