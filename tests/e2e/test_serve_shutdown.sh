#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Signals and reloads of `hardpod serve`. SIGTERM while a client keeps sending
# reviews: /readyz fails at once with "draining" while /validate keeps
# answering for --shutdown-delay, then the listener closes and the process
# exits 0, and no request that the server accepted is lost. SIGHUP reloads a
# changed config, a broken config is rejected with the old policy still in
# force, and a rewritten config file is picked up by the watcher.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need curl openssl python3
A=$FIXTURES/admission
H=$A/hardened-deployment.json
CERTS=$E2E_TMP/certs
make_certs "$CERTS"
TLS=(--tls-cert "$CERTS/tls.crt" --tls-key "$CERTS/tls.key")

# The client: keep-alive, verification against the CA, the hardened review
# over and over for at most its time limit (and 20000 requests). A response with
# "Connection: close" (the server drains) makes it reconnect. It stops at the
# first refused connection (the listener has closed). A request that got no
# 200 answer is a failure, whatever the connection it was sent on.
cat >"$E2E_TMP/client.py" <<'PY'
import http.client, json, ssl, sys, time
port, ca, path, limit = int(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4])
body = open(path, "rb").read()
ctx = ssl.create_default_context(cafile=ca)
s = {"ok": 0, "ok_draining": 0, "failed": 0, "refused": 0, "reset_in_handshake": 0,
     "connections": 0}
errors = []
conn = None
start = time.monotonic()
for _ in range(20000):
    if time.monotonic() - start > limit:
        break
    if conn is None:
        try:
            conn = http.client.HTTPSConnection("localhost", port, context=ctx, timeout=5)
            conn.connect()
            s["connections"] += 1
        except ConnectionRefusedError:
            s["refused"] += 1
            break
        except (ConnectionError, ssl.SSLError) as e:
            # Accepted by the kernel just before the listener closed, then
            # reset with it: no request was sent on it, so none was lost.
            s["reset_in_handshake"] += 1
            errors.append("connect: %r at %.2f s" % (e, time.monotonic() - start))
            break
    try:
        conn.request("POST", "/validate", body, {"Content-Type": "application/json"})
        r = conn.getresponse()
        data = r.read()
        closing = (r.getheader("Connection") or "").lower() == "close"
        if r.status == 200 and json.loads(data)["response"]["allowed"] is True:
            s["ok"] += 1
            s["ok_draining"] += closing
        else:
            s["failed"] += 1
            errors.append("HTTP %d at %.2f s" % (r.status, time.monotonic() - start))
        if closing:
            conn.close()
            conn = None
    except Exception as e:
        s["failed"] += 1
        errors.append("request #%d on connection #%d: %r at %.2f s"
                      % (s["ok"] + s["failed"], s["connections"], e, time.monotonic() - start))
        conn.close()
        conn = None
s["seconds"] = round(time.monotonic() - start, 2)
print(json.dumps(s))
for e in errors[:5]:
    print("     client error: " + e, file=sys.stderr)
PY

# --- SIGTERM under load ----------------------------------------------------------
# The delay is long enough for the checks made during it on a busy machine;
# the exit is due within the delay and the drain timeout.
DELAY=8
DRAIN=5
start_server "${TLS[@]}" --shutdown-delay "$DELAY" --drain-timeout "$DRAIN" || exit 1
timeout 40 python3 "$E2E_TMP/client.py" "$PORT" "$CERTS/ca.crt" "$H" $((DELAY + 5)) \
  >"$E2E_TMP/stats" &
CLIENT=$!
sleep 1
t0=$(date +%s%N)
kill -TERM "$SERVER_PID"
# A request that starts arriving during the delay (request line sent on a
# connection the server accepted) and ends 0.6 s after the listener closed:
# a running request, which the drain (--drain-timeout) must finish.
timeout 30 python3 - "$PORT" "$CERTS/ca.crt" "$H" "$DELAY" >"$E2E_TMP/late" 2>&1 <<'PY' &
import json, socket, ssl, sys, time
start = time.monotonic()
port, ca, body = int(sys.argv[1]), sys.argv[2], open(sys.argv[3], "rb").read()
delay = float(sys.argv[4])
try:
    s = ssl.create_default_context(cafile=ca).wrap_socket(
        socket.create_connection(("127.0.0.1", port), timeout=10), server_hostname="localhost")
    s.sendall(b"POST /validate HTTP/1.1\r\nHost: localhost\r\n")
    time.sleep(max(0, delay + 0.6 - (time.monotonic() - start)))
    s.sendall(b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    data = b""
    while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < 20:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    if not data:
        print("closed without a response, %.1f s after SIGTERM" % (time.monotonic() - start))
    else:
        head, _, rest = data.partition(b"\r\n\r\n")
        print(head.split(b" ")[1].decode(), str(json.loads(rest)["response"]["allowed"]).lower())
except Exception as e:
    print("error: %r" % e)
PY
LATE=$!
readyz_503() {
  [ "$(hp_curl -o "$E2E_TMP/ready" -w '%{http_code}' "https://localhost:$PORT/readyz")" = 503 ]
}
wait_until 1 readyz_503
check "draining: /readyz is 503 within 1 s" 503 \
  "$(hp_curl -o "$E2E_TMP/ready" -w '%{http_code}' "https://localhost:$PORT/readyz")"
check "draining: /readyz says draining" '{"status":"draining"}' "$(cat "$E2E_TMP/ready")"
code=$(hp_curl -o /dev/null -w '%{http_code}' "https://localhost:$PORT/healthz")
check "draining: /healthz is still 200" 200 "$code"
out=$(review "$H")
check "draining: /validate on a new connection still answers" '200 true' \
  "${out:0:3} $(json_get 'd["response"]["allowed"]' <<<"${out:4}")"
check "draining: the listening socket still accepts" 0 \
  "$(curl -s --max-time 5 -o /dev/null --cacert "$CERTS/ca.crt" "https://localhost:$PORT/healthz"; echo $?)"
rc=0
wait "$SERVER_PID" || rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
SERVER_PID=""
check "SIGTERM: exit status 0" 0 "$rc"
if [ "$ms" -ge $((DELAY * 1000 - 100)) ] && [ "$ms" -le $(((DELAY + DRAIN) * 1000)) ]; then
  pass "SIGTERM: exited after the $DELAY s shutdown delay, within the drain timeout ($ms ms)"
else
  fail "SIGTERM: exited after the $DELAY s shutdown delay, within the $DRAIN s drain timeout" \
    "actual: $ms ms"
fi
wait "$CLIENT"
wait "$LATE"
check "a request arriving across the listener close is answered" "200 true" "$(cat "$E2E_TMP/late")"
stats=$(cat "$E2E_TMP/stats")
echo "     client: $stats"
st() { json_get "d[\"$1\"]" <<<"$stats"; }
check "client: no request failed" 0 "$(st failed)"
if [ "$(st ok)" -ge 10 ] && [ "$(st ok_draining)" -ge 1 ]; then
  pass "client: requests answered before and during the drain ($(st ok) ok, $(st ok_draining) while draining)"
else
  fail "client: requests answered before and during the drain" "actual: $stats"
fi
check "client: ended when the listener closed (refused or reset in the handshake), not on the time limit" \
  1 "$(($(st refused) + $(st reset_in_handshake)))"
check "log: SIGTERM received" 1 "$(log_lines "signal received" | grep -c '"signal":"SIGTERM"')"
check "log: draining with the delay" 1 \
  "$(log_lines "draining: /readyz now fails" | grep -c "\"shutdownDelaySeconds\":$DELAY")"
check "log: stopped with no unfinished request" 1 \
  "$(log_lines stopped | grep -c '"unfinishedRequests":0')"

# --- SIGHUP reloads the config ---------------------------------------------------------
CFG=$E2E_TMP/policy.yaml
printf 'mode: enforce\n' >"$CFG"
start_server "${TLS[@]}" --shutdown-delay 0 --config "$CFG" --watch-interval 0 || exit 1
decision() {
  local out
  out=$(review "$A/aspnet-template-deployment.json")
  json_get '[d["response"]["allowed"], d["response"]["auditAnnotations"]["decision"]]' <<<"${out:4}"
}
check "config enforce: ASP.NET Deployment denied" '[false, "denied"]' "$(decision)"
printf 'mode: audit\n' >"$CFG"
sleep 1.2 # --watch-interval 0: only the signal may reload
check "--watch-interval 0: a changed file alone is not reloaded" '[false, "denied"]' "$(decision)"
kill -HUP "$SERVER_PID"
loaded() { [ "$(log_count "config loaded")" -ge "$1" ]; }
wait_until 5 loaded 1
check "SIGHUP: config loaded, with reason SIGHUP and the new mode" 1 \
  "$(log_lines "config loaded" | grep -c '"reason":"SIGHUP","profile":"hardened","mode":"audit"')"
check "SIGHUP: the certificate is reloaded too" 1 \
  "$(log_lines "certificate loaded" | grep -c '"reason":"SIGHUP"')"
check "SIGHUP: the new config is in force (audit: allowed)" '[true, "would-deny"]' "$(decision)"
printf 'mode: audit\nchecks:\n  readOnlyRootFileSystem: warn\n' >"$CFG"
kill -HUP "$SERVER_PID"
rejected() { [ "$(log_count "config reload rejected; the previous config stays in force")" -ge 1 ]; }
wait_until 5 rejected
check "SIGHUP with a broken config: rejected, saying where" 1 \
  "$(log_lines "config reload rejected; the previous config stays in force" | grep -cF \
    "\"reason\":\"SIGHUP\",\"error\":\"$CFG:3: checks.readOnlyRootFileSystem: unknown check id (did you mean readOnlyRootFilesystem?)\"")"
check "SIGHUP with a broken config: the previous config stays in force" '[true, "would-deny"]' "$(decision)"
check "metrics: one successful config reload" 1 "$(metric 'hardpod_config_reloads_total{result="success"}')"
check "metrics: one failed config reload" 1 "$(metric 'hardpod_config_reloads_total{result="failure"}')"
check "metrics: certificate reloaded twice (once per SIGHUP)" 2 \
  "$(metric 'hardpod_tls_certificate_reloads_total{result="success"}')"
check "/readyz stays 200 after a rejected reload" '{"status":"ready"}' "$(hp_curl "https://localhost:$PORT/readyz")"
stop_server
check "SIGHUP server: exit 0" 0 "$?"

# --- an expired exemption is logged once per load of the config --------------------------
cat >"$CFG" <<'EOF'
exemptions:
  - namespace: "kube-*"
    reason: "system components"
  - kinds: [Deployment]
    names: [legacy]
    namespaces: [shop]
    reason: "legacy runs as root"
    expires: "2020-01-31"
  - image: "mcr.microsoft.com/dotnet/*"
    checks: [readOnlyRootFilesystem]
    reason: ".NET writes to /tmp"
    expires: "2999-12-31"
EOF
start_server "${TLS[@]}" --shutdown-delay 0 --config "$CFG" --watch-interval 0 || exit 1
expired_line="\"path\":\"$CFG\",\"line\":4,\"reason\":\"legacy runs as root\",\"expires\":\"2020-01-31T23:59:59Z\""
check "start-up: the expired exemption is logged once, with its line and reason" "1 1" \
  "$(log_count "exemption expired; it no longer applies") $(log_lines "exemption expired; it no longer applies" | grep -cF "$expired_line")"
kill -HUP "$SERVER_PID"
wait_until 5 loaded 1
check "SIGHUP: logged once more for the new load, and only it" 2 \
  "$(log_lines "exemption expired; it no longer applies" | grep -cF "$expired_line")"
printf 'exemptions: 3\n' >>"$CFG"
kill -HUP "$SERVER_PID"
wait_until 5 rejected
check "SIGHUP with a broken config: nothing loaded, nothing more logged" 2 \
  "$(log_count "exemption expired; it no longer applies")"
stop_server
check "expired-exemption server: exit 0" 0 "$?"

# --- the watcher picks up a rewritten config file ----------------------------------------
printf 'mode: enforce\n' >"$CFG"
start_server "${TLS[@]}" --shutdown-delay 0 --config "$CFG" --watch-interval 1 || exit 1
check "watched config enforce: denied" '[false, "denied"]' "$(decision)"
printf 'mode: audit\n' >"$CFG"
wait_until 5 loaded 1
check "watcher: config loaded because the file changed" 1 \
  "$(log_lines "config loaded" | grep -c '"reason":"config file changed","profile":"hardened","mode":"audit"')"
check "watcher: the new config is in force" '[true, "would-deny"]' "$(decision)"
printf 'mode: audit\nnamespaceModes: 3\n' >"$CFG"
wait_until 5 rejected
check "watcher: a broken rewrite is rejected" 1 \
  "$(log_lines "config reload rejected; the previous config stays in force" | grep -c '"reason":"config file changed"')"
check "watcher: the previous config stays in force" '[true, "would-deny"]' "$(decision)"
printf 'mode: enforce\n' >"$CFG"
wait_until 5 loaded 2
check "watcher: the fixed file is loaded" 2 "$(log_count "config loaded")"
check "watcher: enforce again" '[false, "denied"]' "$(decision)"
check "metrics: watcher reloads" "2 1" \
  "$(metric 'hardpod_config_reloads_total{result="success"}') $(metric 'hardpod_config_reloads_total{result="failure"}')"
stop_server
check "watcher server: exit 0" 0 "$?"

finish
