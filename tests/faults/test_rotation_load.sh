#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Certificate rotation under full load: while one wrk sends reviews over
# keep-alive connections and a second one makes a new TLS handshake for
# every request ("Connection: close"), the serving certificate is rotated
# several times through the kubelet's atomic ..data symlink swap. No request
# fails, wrk sees no socket error, each new serial is served within the
# watch interval (2 s, the default) plus what a reload and the probe itself
# take under this load (three times one probe timed just before the swap,
# and one 100 ms poll), and the server exits 0 on SIGTERM with no sanitizer
# report.

source "$(dirname "${BASH_SOURCE[0]}")/faults.sh"
need wrk curl openssl python3
ROTATIONS=${HP_ROTATIONS:-5}
WATCH=2
CERTS=$E2E_TMP/ca
make_certs "$CERTS"
for ((i = 0; i <= ROTATIONS; i++)); do
  sign_leaf "$CERTS" "$E2E_TMP/leaf$i" || { echo "cannot make certificates"; exit 1; }
done
SECRET=$E2E_TMP/secret
secret_init "$SECRET" "$E2E_TMP/leaf0/tls.crt" "$E2E_TMP/leaf0/tls.key"
serial_of() { openssl x509 -in "$1" -noout -serial; }

start_server --tls-cert "$SECRET/tls.crt" --tls-key "$SECRET/tls.key" --shutdown-delay 0 || exit 1
check "serves the first certificate" "$(serial_of "$E2E_TMP/leaf0/tls.crt")" "$(tls_serial)"

export HP_WRK_BODIES="allow=$ALLOW,deny=$DENY"
KEEP_CONNS=16
CLOSE_CONNS=4
start_wrk "$E2E_TMP/keepalive.out" 1 "$KEEP_CONNS" 0 120
KEEP_PID=$WRK_PID
HP_WRK_CLOSE=1 start_wrk "$E2E_TMP/close.out" 1 "$CLOSE_CONNS" 0 120
CLOSE_PID=$WRK_PID
sleep 2

has_serial() { [ "$(tls_serial)" = "$1" ]; }
worst=0
for ((i = 1; i <= ROTATIONS; i++)); do
  want=$(serial_of "$E2E_TMP/leaf$i/tls.crt")
  t0=$(date +%s%N)
  tls_serial >/dev/null
  probe=$(elapsed_ms "$t0")
  t0=$(date +%s%N)
  secret_swap "$SECRET" "$E2E_TMP/leaf$i/tls.crt" "$E2E_TMP/leaf$i/tls.key"
  if wait_until $((WATCH + 2)) has_serial "$want"; then
    ms=$(elapsed_ms "$t0")
    [ "$ms" -gt "$worst" ] && worst=$ms
    at_most "rotation $i: the new serial is served within the watch interval + 3 probes ($probe ms each)" \
      "$ms" $((WATCH * 1000 + 3 * probe + 100)) " ms"
  else
    fail "rotation $i: the new serial is served" "expected: $want" "actual:   $(tls_serial)"
  fi
  sleep 0.5
done
echo "     slowest rotation: $worst ms (watch interval $WATCH s)"
sleep 1
for pid in "$KEEP_PID" "$CLOSE_PID"; do
  kill -INT "$pid" 2>/dev/null
  wait "$pid"
done

for run in keepalive:$KEEP_CONNS close:$CLOSE_CONNS; do
  name=${run%%:*}
  out=$E2E_TMP/$name.out
  echo "     wrk $name: $(grep '^hpcounts' "$out")"
  check_answers "wrk $name" "$out" "${run#*:}"
  check "wrk $name: no socket error" 0 "$(wrk_socket_errors "$out")"
done
answered() {
  echo $(($(wrk_count got_allow "$1") + $(wrk_count got_deny "$1")))
}
at_least "wrk keepalive: requests answered across the rotations" "$(answered "$E2E_TMP/keepalive.out")" 1000
at_least "wrk close: new handshakes answered across the rotations" "$(answered "$E2E_TMP/close.out")" 100
check "log: one certificate loaded per rotation" "$ROTATIONS" "$(log_count "certificate loaded")"
fails=$(metric 'hardpod_tls_certificate_reloads_total{result="failure"}')
check "metrics: no failed reload" 0 "${fails:-0}"
check "log: no error-level line" 0 "$(grep -c '"level":"error"' "$SERVER_LOG")"
stop_server_within 30
check "SIGTERM after the rotations: exit 0" 0 "$?"
no_sanitizer_report "rotation under load"
finish
