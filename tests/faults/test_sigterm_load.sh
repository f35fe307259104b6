#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# SIGTERM under wrk load (64 keep-alive connections; tests/e2e's
# test_serve_shutdown.sh covers the single keep-alive client and a request
# whose request line arrives before the listener close). /readyz turns 503 within 1 s, the
# server exits 0 within --shutdown-delay + --drain-timeout, and no request
# that the server accepted is lost: wrk writes a request only on a
# connection whose TLS handshake the server completed, so every request
# wrk sent must have its answer. wrk's connect and read errors once the
# listener has closed are connections refused or reset before a handshake,
# and are reported, not failed.

source "$(dirname "${BASH_SOURCE[0]}")/faults.sh"
need wrk curl openssl
CERTS=$E2E_TMP/certs
make_certs "$CERTS"
DELAY=2
DRAIN=5
CONNS=64

start_server --tls-cert "$CERTS/tls.crt" --tls-key "$CERTS/tls.key" --shutdown-delay "$DELAY" \
  --drain-timeout "$DRAIN" || exit 1
export HP_WRK_BODIES="allow=$ALLOW,deny=$DENY"
start_wrk "$E2E_TMP/wrk.out" 2 "$CONNS" 0 60
sleep 2
# A connection whose TLS handshake completes during the delay and whose
# first request arrives only after the listener has closed: accepted, so
# the drain waits for it and answers it. The client is started (and has
# loaded Python) before the SIGTERM and connects when told to, so that a busy
# machine cannot push its connection past the delay.
GO=$E2E_TMP/go
mkfifo "$GO"
timeout 30 python3 - "$PORT" "$CERTS/ca.crt" "$ALLOW" "$DELAY" "$GO" >"$E2E_TMP/fresh" 2>&1 <<'PY' &
import socket, ssl, sys, time
port, ca, body, delay = int(sys.argv[1]), sys.argv[2], open(sys.argv[3], "rb").read(), int(sys.argv[4])
ctx = ssl.create_default_context(cafile=ca)
with open(sys.argv[5]) as go:
    go.readline()
start = time.monotonic()
try:
    s = ctx.wrap_socket(
        socket.create_connection(("127.0.0.1", port), timeout=10), server_hostname="localhost")
    time.sleep(max(0, delay + 0.5 - (time.monotonic() - start)))
    s.sendall(b"POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
              b"Content-Length: %d\r\n\r\n" % len(body) + body)
    print(s.recv(12).decode()[9:12] or "closed without a response")
except Exception as e:
    print("error: %r" % e)
PY
FRESH=$!
track "$FRESH"
exec 7>"$GO"
t0=$(date +%s%N)
kill -TERM "$SERVER_PID"
echo go >&7
exec 7>&-
readyz_503() {
  [ "$(hp_curl -o /dev/null -w '%{http_code}' "https://localhost:$PORT/readyz" 2>/dev/null)" = 503 ]
}
if wait_until 1 readyz_503; then
  pass "draining: /readyz is 503 within 1 s ($(elapsed_ms "$t0") ms)"
else
  fail "draining: /readyz is 503 within 1 s"
fi
exited() { ! kill -0 "$SERVER_PID" 2>/dev/null; }
wait_until $((DELAY + DRAIN + 3)) exited
ms=$(elapsed_ms "$t0")
rc=0
if exited; then
  wait "$SERVER_PID" || rc=$?
  SERVER_PID=""
else
  rc=timeout
fi
check "SIGTERM: exit status 0" 0 "$rc"
at_most "SIGTERM: exited within shutdown delay + drain timeout" "$ms" $(((DELAY + DRAIN) * 1000)) " ms"
at_least "SIGTERM: kept serving for the shutdown delay" "$ms" $((DELAY * 1000 - 100)) " ms"
wait "$FRESH"
check "a connection made during the delay, first request after the listener closed: answered" \
  200 "$(cat "$E2E_TMP/fresh")"
sleep 0.5
kill -INT "$WRK_PID" 2>/dev/null
wait "$WRK_PID"
WRK_PID=""

OUT=$E2E_TMP/wrk.out
echo "     wrk: $(grep '^hpcounts' "$OUT")"
sent=$(($(wrk_count sent_allow "$OUT") + $(wrk_count sent_deny "$OUT")))
got=$(($(wrk_count got_allow "$OUT") + $(wrk_count got_deny "$OUT")))
echo "     $got answers; socket errors after the listener closed: connect $(wrk_count connect_err "$OUT")," \
  "read $(wrk_count read_err "$OUT"), write $(wrk_count write_err "$OUT"), timeout $(wrk_count timeout_err "$OUT")"
check "wrk: every request sent on an accepted connection was answered" "$sent" "$got"
check "wrk: no unexpected answer (status or body)" 0 "$(wrk_count got_other "$OUT")"
check "wrk: no non-2xx answer" 0 "$(wrk_count status_err "$OUT")"
check "wrk: no timeout" 0 "$(wrk_count timeout_err "$OUT")"
at_least "wrk: requests answered before and during the drain" "$got" 1000
check "log: stopped with no unfinished request" 1 \
  "$(log_lines stopped | grep -c '"unfinishedRequests":0')"
no_sanitizer_report "SIGTERM under load"
finish
