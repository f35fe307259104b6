#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Certificate rotation without a restart, the way a Kubernetes Secret volume
# rotates: tls.crt and tls.key point through the ..data symlink, which is
# swapped atomically. While a client keeps sending reviews, a new certificate
# from the same CA is picked up within seconds and no request fails; a broken
# pair (key of another certificate) is rejected, logged and counted, and the
# previous certificate stays in use.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need curl openssl python3
H=$FIXTURES/admission/hardened-deployment.json
CERTS=$E2E_TMP/ca
make_certs "$CERTS"
DIR=$E2E_TMP/secret
mkdir -p "$DIR"

# version NAME CERT KEY: a Secret volume version directory DIR/..NAME.
version() {
  mkdir -p "$DIR/..$1"
  cp "$2" "$DIR/..$1/tls.crt"
  cp "$3" "$DIR/..$1/tls.key"
}
# swap_data NAME: points ..data at ..NAME in one rename, as the kubelet does.
swap_data() {
  ln -s "..$1" "$DIR/..data_tmp" && mv -T "$DIR/..data_tmp" "$DIR/..data"
}
serial_of() { openssl x509 -in "$1" -noout -serial; }

# leaf2's serial starts with a zero nibble, which openssl and hardpod print differently.
sign_leaf "$CERTS" "$E2E_TMP/leaf1" && LEAF_SERIAL=0A2A9ABDA939202B sign_leaf "$CERTS" "$E2E_TMP/leaf2" &&
  sign_leaf "$CERTS" "$E2E_TMP/leaf3" && sign_leaf "$CERTS" "$E2E_TMP/leaf4" &&
  sign_leaf "$CERTS" "$E2E_TMP/leaf5" || { echo "cannot make certificates"; exit 1; }
version 2026_01 "$E2E_TMP/leaf1/tls.crt" "$E2E_TMP/leaf1/tls.key"
ln -s ..2026_01 "$DIR/..data"
ln -s ..data/tls.crt "$DIR/tls.crt"
ln -s ..data/tls.key "$DIR/tls.key"
SERIAL1=$(serial_of "$E2E_TMP/leaf1/tls.crt")
SERIAL2=$(serial_of "$E2E_TMP/leaf2/tls.crt")
SERIAL5=$(serial_of "$E2E_TMP/leaf5/tls.crt")

start_server --tls-cert "$DIR/tls.crt" --tls-key "$DIR/tls.key" --watch-interval 1 \
  --shutdown-delay 0 || exit 1
check "serves the first certificate" "$SERIAL1" "$(tls_serial)"

# The client: fresh connections (so every request makes a handshake with the
# certificate current at that moment), verification against the CA, one
# status code per line; at most 400 requests or 20 s, or until told to stop.
CODES=$E2E_TMP/codes
STOP=$E2E_TMP/stop
: >"$CODES"
(
  deadline=$(($(date +%s) + 20))
  for _ in $(seq 1 400); do
    [ -e "$STOP" ] || [ "$(date +%s)" -ge "$deadline" ] && break
    curl -sS --max-time 5 --cacert "$CERTS/ca.crt" -o /dev/null -w '%{http_code}\n' \
      -H 'Content-Type: application/json' --data-binary @"$H" \
      "https://localhost:$PORT/validate" >>"$CODES" 2>>"$E2E_TMP/client.err" || echo "curl-error" >>"$CODES"
    sleep 0.02
  done
) &
LOOP=$!
wait_until 5 test -s "$CODES"

# --- a new certificate from the same CA ------------------------------------------
version 2026_02 "$E2E_TMP/leaf2/tls.crt" "$E2E_TMP/leaf2/tls.key"
before=$(wc -l <"$CODES")
swap_data 2026_02
has_serial() { [ "$(tls_serial)" = "$1" ]; }
if wait_until 5 has_serial "$SERIAL2"; then
  pass "the new certificate is served within 5 s of the swap"
else
  fail "the new certificate is served within 5 s of the swap" "expected: $SERIAL2" "actual:   $(tls_serial)"
fi
# The new pair is swapped in before the reload is logged and counted.
loaded() { [ "$(log_count "certificate loaded")" -ge "$1" ]; }
wait_until 3 loaded 1
check "log: one certificate loaded" 1 "$(log_count "certificate loaded")"
loaded=$(log_lines "certificate loaded")
check_contains "log: certificate loaded because the files changed" "$loaded" \
  '"reason":"certificate files changed"'
# openssl prints whole bytes (0A2A...), hardpod the number (A2A...).
check "log: certificate loaded names the new serial" "$(sed 's/^serial=0*//' <<<"$SERIAL2")" \
  "$(json_get 'd["serial"]' <<<"$loaded" | tr -d '"')"
check "metrics: one successful reload" 1 \
  "$(metric 'hardpod_tls_certificate_reloads_total{result="success"}')"
expiry=$(date -d "$(openssl x509 -in "$E2E_TMP/leaf2/tls.crt" -noout -enddate | cut -d= -f2)" +%s)
check "metrics: expiry gauge follows the new certificate" "$expiry" \
  "$(metric 'hardpod_tls_certificate_expiry_timestamp_seconds')"

# --- a broken pair: the key of another certificate -----------------------------------
version 2026_03 "$E2E_TMP/leaf3/tls.crt" "$E2E_TMP/leaf4/tls.key"
swap_data 2026_03
rejected() { [ "$(log_count "certificate reload rejected; the previous certificate stays in use")" -ge 1 ]; }
if wait_until 5 rejected; then
  pass "log: the broken pair is rejected within 5 s"
else
  fail "log: the broken pair is rejected within 5 s" "log: $(tail -3 "$SERVER_LOG")"
fi
check_contains "log: the rejection says why" \
  "$(log_lines "certificate reload rejected; the previous certificate stays in use")" \
  "\"error\":\"$DIR/tls.key does not match the certificate in $DIR/tls.crt\""
sleep 1.5 # another watch interval: the broken pair is not retried or half-applied
check "the previous certificate is still served" "$SERIAL2" "$(tls_serial)"
check "metrics: one failed reload" 1 \
  "$(metric 'hardpod_tls_certificate_reloads_total{result="failure"}')"
check "metrics: still one successful reload" 1 \
  "$(metric 'hardpod_tls_certificate_reloads_total{result="success"}')"
check "log: the broken pair was rejected once" 1 \
  "$(log_count "certificate reload rejected; the previous certificate stays in use")"
check "/readyz stays 200 with the previous certificate" '{"status":"ready"}' \
  "$(hp_curl "https://localhost:$PORT/readyz")"

# --- and a good pair again -------------------------------------------------------------
version 2026_04 "$E2E_TMP/leaf5/tls.crt" "$E2E_TMP/leaf5/tls.key"
swap_data 2026_04
if wait_until 5 has_serial "$SERIAL5"; then
  pass "after a rejected pair, the next good one is served"
else
  fail "after a rejected pair, the next good one is served" "expected: $SERIAL5" "actual:   $(tls_serial)"
fi
wait_until 3 loaded 2
check "metrics: two successful reloads" 2 \
  "$(metric 'hardpod_tls_certificate_reloads_total{result="success"}')"

# --- the client saw none of it ----------------------------------------------------------
wait_until 3 test "$(wc -l <"$CODES")" -ge $((before + 20))
touch "$STOP"
wait "$LOOP"
total=$(wc -l <"$CODES")
ok=$(grep -cx 200 "$CODES")
echo "     client: $total requests, $((total - before)) of them after the first swap"
check "client: every request during the rotations got 200" "$total" "$ok"
if [ "$((total - before))" -ge 20 ]; then
  pass "client: at least 20 requests spanned the rotations"
else
  fail "client: at least 20 requests spanned the rotations" "actual: $((total - before))"
fi
[ -s "$E2E_TMP/client.err" ] && { echo "     client errors:"; head -5 "$E2E_TMP/client.err"; }
check "log: no other error lines" 1 "$(grep -c '"level":"error"' "$SERVER_LOG")"
stop_server
check "SIGTERM: exit 0" 0 "$?"

finish
