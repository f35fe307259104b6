#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Slow and silent clients are shed on time and do not slow the real ones:
# 500 connections that send a few bytes of a request header over TLS and
# then nothing, 250 that finish the TLS handshake and send nothing, and 250
# plain TCP connections that never start a handshake. With --request-timeout
# 3, the server closes every one of them within 3 s + 1 s of the last byte
# its client sent (the timeout counts silence), while a keep-alive client
# sending real AdmissionReviews is not slowed down (its p99 latency during the
# attack stays within P99_RATIO times its p99 before and after the attack, in
# the same run: a starved client would wait for seconds), and a fresh
# connection is served in the middle of the attack.

source "$(dirname "${BASH_SOURCE[0]}")/faults.sh"
need curl openssl python3
CERTS=$E2E_TMP/certs
make_certs "$CERTS"
TIMEOUT=3
PARTIAL=${HP_SLOWLORIS_PARTIAL:-500}
IDLE_TLS=${HP_SLOWLORIS_IDLE_TLS:-250}
IDLE_TCP=${HP_SLOWLORIS_IDLE_TCP:-250}
# Under attack, 1000 sockets are polled beside the client's: allow that much
# more work per request, not the request timeout's seconds of a starved one.
P99_RATIO=25

start_server --tls-cert "$CERTS/tls.crt" --tls-key "$CERTS/tls.key" --shutdown-delay 0 \
  --request-timeout "$TIMEOUT" --max-connections 2000 || exit 1
IDLE_FDS=$(fd_count "$SERVER_PID")

# The legitimate client: one keep-alive connection, an allowed and a denied
# review in turn every 10 ms, until STOP exists (at most 90 s). Each latency
# is filed under the phase it was measured in: "base" before ATTACK exists and
# after CALM exists, "attack" between. Prints the figures of both phases as
# JSON; a wrong answer or an error is a failure.
cat >"$E2E_TMP/legit.py" <<'PY'
import http.client, json, os, ssl, sys, time
port, ca, allow, deny, stop, attack, calm = (int(sys.argv[1]), sys.argv[2], sys.argv[3],
                                             sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7])
bodies = [(open(allow, "rb").read(), True), (open(deny, "rb").read(), False)]
conn = http.client.HTTPSConnection("localhost", port, timeout=10,
                                   context=ssl.create_default_context(cafile=ca))
lat = {"base": [], "attack": []}
failures, errors = 0, []
start = time.monotonic()
i = 0
while not os.path.exists(stop) and time.monotonic() - start < 90:
    body, want = bodies[i % 2]
    i += 1
    phase = "attack" if os.path.exists(attack) and not os.path.exists(calm) else "base"
    t = time.monotonic()
    try:
        conn.request("POST", "/validate", body, {"Content-Type": "application/json"})
        r = conn.getresponse()
        data = r.read()
        lat[phase].append((time.monotonic() - t) * 1000)
        if r.status != 200 or json.loads(data)["response"]["allowed"] is not want:
            failures += 1
            errors.append("HTTP %d" % r.status)
    except Exception as e:
        failures += 1
        errors.append(repr(e))
        conn.close()
    time.sleep(0.01)
def figures(xs):
    xs.sort()
    pct = lambda p: round(xs[min(len(xs) - 1, int(len(xs) * p / 100))], 2) if xs else -1
    return {"requests": len(xs), "p50_ms": pct(50), "p99_ms": pct(99),
            "max_ms": round(xs[-1], 2) if xs else -1}
print(json.dumps({"failures": failures, "errors": errors[:3],
                  "base": figures(lat["base"]), "attack": figures(lat["attack"])}))
PY

# The attack: opens the connections one after the other, then waits for the
# server to close each; a close is timed from the last byte the client sent
# (the end of the TLS handshake, the partial header, or the TCP connect).
cat >"$E2E_TMP/slow.py" <<'PY'
import json, resource, selectors, socket, ssl, sys, time
port, ca, n_partial, n_tls, n_tcp, limit = (int(sys.argv[1]), sys.argv[2], int(sys.argv[3]),
                                            int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6]))
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
ctx = ssl.create_default_context(cafile=ca)
sel = selectors.DefaultSelector()
conns, open_errors = [], []

def poll(wait):
    for key, _ in sel.select(wait):
        c = key.data
        try:
            if c["sock"].recv(4096):
                c["bytes"] += 1
                continue
        except (ssl.SSLWantReadError, BlockingIOError):
            continue
        except OSError:
            pass  # reset or TLS EOF: closed either way
        c["closed"] = time.monotonic()
        sel.unregister(c["sock"])
        c["sock"].close()

# Interleaved, so that every kind is spread over the whole opening phase.
order = []
for i in range(max(n_partial, n_tls, n_tcp)):
    for kind, n in (("partial", n_partial), ("idle-tls", n_tls), ("idle-tcp", n_tcp)):
        if i < n:
            order.append(kind)
t_open = time.monotonic()
for kind in order:
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        if kind != "idle-tcp":
            s = ctx.wrap_socket(s, server_hostname="localhost")
        if kind == "partial":
            s.sendall(b"POST /validate HTTP/1.1\r\nHo")
    except OSError as e:
        open_errors.append("%s: %r" % (kind, e))
        continue
    c = {"kind": kind, "sock": s, "last": time.monotonic(), "closed": None, "bytes": 0}
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ, c)
    conns.append(c)
    poll(0)
opened = time.monotonic() - t_open
open_at_end = sum(1 for c in conns if c["closed"] is None)
deadline = time.monotonic() + limit + 5
while any(c["closed"] is None for c in conns) and time.monotonic() < deadline:
    poll(0.05)
out = {"open_seconds": round(opened, 2), "open_errors": open_errors[:3],
       "n_open_errors": len(open_errors), "still_open_after_opening": open_at_end}
for kind in ("partial", "idle-tls", "idle-tcp"):
    cs = [c for c in conns if c["kind"] == kind]
    waits = sorted(c["closed"] - c["last"] for c in cs if c["closed"] is not None)
    out[kind] = {"opened": len(cs), "closed": len(waits),
                 "min_s": round(waits[0], 3) if waits else -1,
                 "max_s": round(waits[-1], 3) if waits else -1,
                 "reads_with_data": sum(c["bytes"] for c in cs)}
for c in conns:
    if c["closed"] is None:
        c["sock"].close()
print(json.dumps(out))
PY

STOP=$E2E_TMP/stop
ATTACK=$E2E_TMP/attack
CALM=$E2E_TMP/calm
timeout 120 python3 "$E2E_TMP/legit.py" "$PORT" "$CERTS/ca.crt" "$ALLOW" "$DENY" "$STOP" \
  "$ATTACK" "$CALM" >"$E2E_TMP/legit.json" 2>&1 &
LEGIT=$!
track "$LEGIT"
sleep 2 # the baseline, before the attack
touch "$ATTACK"
timeout 120 python3 "$E2E_TMP/slow.py" "$PORT" "$CERTS/ca.crt" "$PARTIAL" "$IDLE_TLS" \
  "$IDLE_TCP" "$TIMEOUT" >"$E2E_TMP/slow.json" 2>&1 &
SLOW=$!
track "$SLOW"
# In the middle of the attack, a new client on a new connection is served.
many_open() { [ "$(fd_count "$SERVER_PID")" -ge $((IDLE_FDS + 300)) ]; }
wait_until 30 many_open
echo "     server fds during the attack: $(fd_count "$SERVER_PID") (idle: $IDLE_FDS)"
out=$(review "$DENY")
check "during the attack: a review on a new connection is answered (denied)" "200 false" \
  "${out:0:3} $(json_get 'd["response"]["allowed"]' <<<"${out:4}" 2>/dev/null)"
wait "$SLOW"
touch "$CALM"
sleep 2 # the baseline, after the attack
touch "$STOP"
wait "$LEGIT"

slow=$(cat "$E2E_TMP/slow.json")
legit=$(cat "$E2E_TMP/legit.json")
echo "     slow clients: $slow"
echo "     legitimate client: $legit"
s() { json_get "$1" <<<"$slow"; }
check "slow clients: every connection opened" 0 "$(s 'd["n_open_errors"]')"
for kind in partial idle-tls idle-tcp; do
  n=$(s "d[\"$kind\"][\"opened\"]")
  check "$kind: all $n connections closed by the server" "$n" "$(s "d[\"$kind\"][\"closed\"]")"
  at_most "$kind: closed within the timeout + 1 s of the last byte sent" \
    "$(s "d[\"$kind\"][\"max_s\"]")" $((TIMEOUT + 1)) " s"
  at_least "$kind: not closed before the timeout (less 0.5 s)" \
    "$(s "d[\"$kind\"][\"min_s\"]")" "$(awk -v t="$TIMEOUT" 'BEGIN { print t - 0.5 }')" " s"
done
l() { json_get "$1" <<<"$legit"; }
check "legitimate client: no request failed" 0 "$(l 'd["failures"]')"
at_least "legitimate client: kept sending during the attack" "$(l 'd["attack"]["requests"]')" 100
at_least "legitimate client: measured a baseline before and after" \
  "$(l 'd["base"]["requests"]')" 100
base_p99=$(l 'd["base"]["p99_ms"]')
at_most "legitimate client: p99 during the attack, within $P99_RATIO x the baseline p99 ($base_p99 ms)" \
  "$(l 'd["attack"]["p99_ms"]')" "$(awk -v b="$base_p99" -v r="$P99_RATIO" 'BEGIN { print b * r }')" " ms"
idle_again() { [ "$(fd_count "$SERVER_PID")" -eq "$IDLE_FDS" ]; }
wait_until 3 idle_again
check "server: open fds back to the idle count" "$IDLE_FDS" "$(fd_count "$SERVER_PID")"
check "metrics: no connection refused (the limit was never reached)" 0 \
  "$(metric hardpod_connections_refused_total)"
check "log: no error-level line" 0 "$(grep -c '"level":"error"' "$SERVER_LOG")"
stop_server_within 30
check "SIGTERM: exit 0" 0 "$?"
no_sanitizer_report "slowloris"
finish
