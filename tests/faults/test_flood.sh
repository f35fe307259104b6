#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Connection flood: 1.1 times --max-connections in idle TCP connections.
# The server keeps exactly the limit, closes the excess at once, counts each
# refusal in hardpod_connections_refused_total and logs it; it stays up
# (the plain metrics listener answers throughout), and it serves a fresh
# TLS connection again as soon as the flood closes.

source "$(dirname "${BASH_SOURCE[0]}")/faults.sh"
need curl openssl python3
CERTS=$E2E_TMP/certs
make_certs "$CERTS"
LIMIT=200
FLOOD=$((LIMIT * 11 / 10))
PLAIN_PORT=$(free_port)
PLAIN=http://127.0.0.1:$PLAIN_PORT

# A request timeout far above the test's length: the flood stays connected
# until the client closes it.
start_server --tls-cert "$CERTS/tls.crt" --tls-key "$CERTS/tls.key" --shutdown-delay 0 \
  --max-connections "$LIMIT" --request-timeout 60 --metrics-listen "127.0.0.1:$PLAIN_PORT" || exit 1
IDLE_FDS=$(fd_count "$SERVER_PID")
# The baseline: the slowest of three /healthz requests, each over a fresh TLS
# connection, before the flood.
BASE_MS=0
for _ in 1 2 3; do
  t0=$(date +%s%N)
  hp_curl -o /dev/null "https://localhost:$PORT/healthz" 2>/dev/null
  ms=$(elapsed_ms "$t0")
  [ "$ms" -gt "$BASE_MS" ] && BASE_MS=$ms
done
check "before the flood: no refusal counted" 0 "$(metric hardpod_connections_refused_total "$PLAIN/metrics")"

# The flood: FLOOD plain TCP connections that send nothing. After 2 s it
# reports how many the server closed and how fast, then holds the others
# until STOP exists (at most 60 s) and closes them all at once.
cat >"$E2E_TMP/flood.py" <<'PY'
import json, os, resource, selectors, socket, sys, time
port, n, report, stop = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
sel = selectors.DefaultSelector()
socks, closed, errors = [], [], []
for i in range(n):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
    except OSError as e:
        errors.append(repr(e))
        continue
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ, (s, time.monotonic()))
    socks.append(s)
end = time.monotonic() + 2
while time.monotonic() < end:
    for key, _ in sel.select(0.05):
        s, t = key.data
        try:
            if s.recv(1):
                continue
        except BlockingIOError:
            continue
        except OSError:
            pass
        closed.append(time.monotonic() - t)
        sel.unregister(s)
with open(report + ".tmp", "w") as f:
    json.dump({"connected": len(socks), "connect_errors": len(errors),
               "closed_by_server": len(closed),
               "slowest_close_s": round(max(closed), 3) if closed else -1,
               "held": len(socks) - len(closed)}, f)
os.rename(report + ".tmp", report)
end = time.monotonic() + 60
while not os.path.exists(stop) and time.monotonic() < end:
    time.sleep(0.05)
for s in socks:
    s.close()
print("closed all at %.3f" % time.time(), flush=True)
PY

REPORT=$E2E_TMP/flood.json
STOP=$E2E_TMP/stop
timeout 90 python3 "$E2E_TMP/flood.py" "$PORT" "$FLOOD" "$REPORT" "$STOP" >"$E2E_TMP/flood.out" 2>&1 &
FLOODER=$!
track "$FLOODER"
wait_until 20 test -s "$REPORT"
report=$(cat "$REPORT")
echo "     flood: $report"
r() { json_get "d[\"$1\"]" <<<"$report"; }
check "flood: all $FLOOD TCP connections were made" "$FLOOD" "$(r connected)"
check "flood: the server holds exactly --max-connections ($LIMIT)" "$LIMIT" "$(r held)"
at_least "flood: the excess is closed by the server" "$(r closed_by_server)" $((FLOOD - LIMIT))
# The excess is closed within the 2 s the flooder watches (held is exactly the
# limit above), a thirtieth of the request timeout it would otherwise wait for.
echo "     flood: the slowest excess connection was closed after $(r slowest_close_s) s"

refused=$(metric hardpod_connections_refused_total "$PLAIN/metrics")
echo "     hardpod_connections_refused_total during the flood: $refused"
at_least "metrics: refusals counted (at least the excess)" "${refused:-0}" $((FLOOD - LIMIT))
check "during the flood: the process is up, /healthz on the metrics listener" '{"status":"ok"}' \
  "$(curl -sS --max-time 5 "$PLAIN/healthz")"
code=$(hp_curl -o /dev/null -w '%{http_code}' "https://localhost:$PORT/healthz" 2>/dev/null)
check "during the flood: a new TLS connection over the limit is not served" 000 "$code"
more=$(metric hardpod_connections_refused_total "$PLAIN/metrics")
at_least "metrics: the refused TLS client is counted too" "${more:-0}" $((refused + 1))
check "log: the refusal is logged" 1 \
  "$(($(log_count "connection refused: the connection limit is reached") >= 1))"
check "log: refusals are logged at most once a second" 1 \
  "$(($(log_count "connection refused: the connection limit is reached") <= 3))"

# --- the flood leaves ---------------------------------------------------------------
touch "$STOP"
wait "$FLOODER"
t0=$(date +%s%N)
healthz_ok() {
  [ "$(hp_curl -o /dev/null -w '%{http_code}' "https://localhost:$PORT/healthz" 2>/dev/null)" = 200 ]
}
# As fast as before the flood, give or take a tenfold and wait_until's
# 100 ms polls: a server still busy with the flood would not answer at all.
if wait_until 5 healthz_ok; then
  ms=$(elapsed_ms "$t0")
  at_most "after the flood: /healthz over a fresh TLS connection answers (baseline $BASE_MS ms)" \
    "$ms" $((BASE_MS * 10 + 200)) " ms"
else
  fail "after the flood: /healthz over a fresh TLS connection answers within 5 s"
fi
out=$(review "$ALLOW")
check "after the flood: a review is answered" "200 true" \
  "${out:0:3} $(json_get 'd["response"]["allowed"]' <<<"${out:4}")"
idle_again() { [ "$(fd_count "$SERVER_PID")" -eq "$IDLE_FDS" ]; }
wait_until 3 idle_again
check "after the flood: open fds back to the idle count" "$IDLE_FDS" "$(fd_count "$SERVER_PID")"
stop_server_within 30
check "SIGTERM: exit 0" 0 "$?"
no_sanitizer_report "flood"
finish
