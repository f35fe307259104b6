#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Certificate and config faults, at start-up and at runtime. At start-up, a
# corrupt, truncated or empty certificate or key file, a certificate file
# holding a key, and a config file with broken YAML, a wrong value, binary
# content or a directory in its place are refused with exit 2 and a message
# naming the file and the problem. At runtime, the certificate file removed,
# corrupted, truncated in the middle of a write, or the key file removed,
# corrupted or replaced by another certificate's key: each time the server
# keeps serving the last good pair (same serial), logs the error, counts a
# failed reload, never answers plain HTTP, stays ready, and keeps denying
# what it denied; a truncated file that is then written in full is picked
# up. A config that goes missing, becomes corrupt or names an unknown check
# is rejected on SIGHUP with the last good config kept in force: a denied
# review stays denied after every failed reload, never allowed.
# (tests/e2e covers a missing certificate, key or config, an expired or
# not yet valid certificate and a mismatched key at start-up, and a
# mismatched pair swapped in through ..data at runtime.)

source "$(dirname "${BASH_SOURCE[0]}")/faults.sh"
need curl openssl python3
CERTS=$E2E_TMP/ca
make_certs "$CERTS"
sign_leaf "$CERTS" "$E2E_TMP/leaf1" && sign_leaf "$CERTS" "$E2E_TMP/leaf2" &&
  sign_leaf "$CERTS" "$E2E_TMP/other" || { echo "cannot make certificates"; exit 1; }
L1=$E2E_TMP/leaf1
L2=$E2E_TMP/leaf2
head -c 2000 /dev/urandom >"$E2E_TMP/garbage"
: >"$E2E_TMP/empty"
head -c 300 "$L1/tls.crt" >"$E2E_TMP/half.crt"
head -c 100 "$L1/tls.key" >"$E2E_TMP/half.key"
serial_of() { openssl x509 -in "$1" -noout -serial; }

# --- start-up -------------------------------------------------------------------------
# startup NAME EXPECTED_MESSAGE ARGS...: hardpod serve exits 2 at once and
# prints EXPECTED_MESSAGE (file and problem) on stderr.
startup() {
  local name=$1 want=$2 rc=0
  shift 2
  timeout 20 "$HP_BIN" serve --listen 127.0.0.1:0 "$@" >/dev/null 2>"$E2E_TMP/start.err" || rc=$?
  check "start-up: $name: exit 2" 2 "$rc"
  check_contains "start-up: $name: the message names the file and the problem" \
    "$(grep -v '^{' "$E2E_TMP/start.err")" "$want"
}
G=$E2E_TMP/garbage
startup "corrupt certificate" "hardpod: $G: no PEM certificate found" \
  --tls-cert "$G" --tls-key "$L1/tls.key"
startup "truncated certificate" "hardpod: $E2E_TMP/half.crt: invalid PEM certificate" \
  --tls-cert "$E2E_TMP/half.crt" --tls-key "$L1/tls.key"
startup "empty certificate file" "hardpod: $E2E_TMP/empty: no PEM certificate found" \
  --tls-cert "$E2E_TMP/empty" --tls-key "$L1/tls.key"
startup "a key where the certificate should be" \
  "hardpod: $L1/tls.key: no PEM certificate found: the file holds a private key" \
  --tls-cert "$L1/tls.key" --tls-key "$L1/tls.key"
startup "corrupt key" "hardpod: $G: no PEM private key found" \
  --tls-cert "$L1/tls.crt" --tls-key "$G"
startup "truncated key" "hardpod: $E2E_TMP/half.key: invalid PEM private key" \
  --tls-cert "$L1/tls.crt" --tls-key "$E2E_TMP/half.key"
TLS1=(--tls-cert "$L1/tls.crt" --tls-key "$L1/tls.key")
printf 'checks: [unclosed\n' >"$E2E_TMP/corrupt.yaml"
startup "config with broken YAML" \
  "hardpod: $E2E_TMP/corrupt.yaml:2: invalid YAML: did not find expected ',' or ']'" \
  "${TLS1[@]}" --config "$E2E_TMP/corrupt.yaml"
printf 'mode: 3\n' >"$E2E_TMP/type.yaml"
startup "config with a bad value" \
  "hardpod: $E2E_TMP/type.yaml:1: mode: unknown mode \"3\" (expected one of: enforce, audit)" \
  "${TLS1[@]}" --config "$E2E_TMP/type.yaml"
cp "$G" "$E2E_TMP/binary.yaml"
startup "config with binary content" "hardpod: $E2E_TMP/binary.yaml" \
  "${TLS1[@]}" --config "$E2E_TMP/binary.yaml"
mkdir -p "$E2E_TMP/dir.yaml"
startup "a directory for the config" "hardpod: $E2E_TMP/dir.yaml: cannot read: Is a directory" \
  "${TLS1[@]}" --config "$E2E_TMP/dir.yaml"

# --- certificate faults at runtime ------------------------------------------------------
D=$E2E_TMP/live
mkdir -p "$D"
cp "$L1/tls.crt" "$L1/tls.key" "$D/"
start_server --tls-cert "$D/tls.crt" --tls-key "$D/tls.key" --watch-interval 1 \
  --shutdown-delay 0 || exit 1
SERIAL=$(serial_of "$L1/tls.crt")
check "runtime: serves the first certificate" "$SERIAL" "$(tls_serial)"
REJECTED="certificate reload rejected; the previous certificate stays in use"

# put SRC DEST: replaces DEST with a copy of SRC in one rename.
put() {
  cp "$1" "$2.tmp" && mv -f "$2.tmp" "$2"
}
rejections_over() { [ "$(log_count "$REJECTED")" -gt "$1" ]; }
loads_over() { [ "$(log_count "certificate loaded")" -gt "$1" ]; }

# still_good NAME: the last good pair is served over TLS only, /readyz is
# 200, and reviews are decided as before.
still_good() {
  check "$1: the last good certificate is still served" "$SERIAL" "$(tls_serial)"
  check "$1: plain HTTP on the TLS port gets no answer" 000 \
    "$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/readyz")"
  check "$1: /readyz stays 200" 200 \
    "$(hp_curl -o /dev/null -w '%{http_code}' "https://localhost:$PORT/readyz")"
  local out
  out=$(review "$DENY")
  check "$1: a denied review is still denied" "200 false" \
    "${out:0:3} $(json_get 'd["response"]["allowed"]' <<<"${out:4}" 2>/dev/null)"
}

# fault NAME ERROR ACTION...: runs ACTION; the watcher must reject the
# change within 3 s with ERROR in the log line, and count it.
fault() {
  local name=$1 want=$2 before failures
  shift 2
  before=$(log_count "$REJECTED")
  failures=$(metric 'hardpod_tls_certificate_reloads_total{result="failure"}')
  "$@"
  if wait_until 3 rejections_over "$before"; then
    pass "$name: rejected within 3 s"
  else
    fail "$name: rejected within 3 s" "log: $(tail -2 "$SERVER_LOG")"
  fi
  check_contains "$name: the log names the file and the problem" \
    "$(log_lines "$REJECTED" | tail -1)" "\"error\":\"$want"
  sleep 1.2 # one more watch interval: nothing is half-applied or retried
  at_least "$name: hardpod_tls_certificate_reloads_total{result=\"failure\"} counts it" \
    "$(metric 'hardpod_tls_certificate_reloads_total{result="failure"}')" $((failures + 1))
  still_good "$name"
}

# restore FILE SRC: puts the good file back; the server loads it.
restore() {
  local before
  before=$(log_count "certificate loaded")
  put "$2" "$1"
  if wait_until 3 loads_over "$before"; then
    pass "restored $(basename "$1"): loaded again"
  else
    fail "restored $(basename "$1"): loaded again" "log: $(tail -2 "$SERVER_LOG")"
  fi
}

fault "certificate file removed" "$D/tls.crt: No such file or directory" rm -f "$D/tls.crt"
restore "$D/tls.crt" "$L1/tls.crt"
fault "certificate file corrupted" "$D/tls.crt: no PEM certificate found" put "$G" "$D/tls.crt"
restore "$D/tls.crt" "$L1/tls.crt"
fault "key file removed" "$D/tls.key: No such file or directory" rm -f "$D/tls.key"
restore "$D/tls.key" "$L1/tls.key"
fault "key file corrupted" "$D/tls.key: no PEM private key found" put "$G" "$D/tls.key"
restore "$D/tls.key" "$L1/tls.key"
fault "key file replaced by another certificate's key" \
  "$D/tls.key does not match the certificate in $D/tls.crt" put "$E2E_TMP/other/tls.key" "$D/tls.key"
restore "$D/tls.key" "$L1/tls.key"
# A writer that stops in the middle of the new certificate (written in
# place, as cp does), then finishes the job: key first, then certificate.
half_write() {
  head -c 600 "$L2/tls.crt" >"$D/tls.crt"
}
fault "certificate truncated mid-write" "$D/tls.crt: invalid PEM certificate" half_write
put "$L2/tls.key" "$D/tls.key"
put "$L2/tls.crt" "$D/tls.crt"
SERIAL2=$(serial_of "$L2/tls.crt")
has_serial() { [ "$(tls_serial)" = "$1" ]; }
if wait_until 4 has_serial "$SERIAL2"; then
  pass "the completed write is picked up: the new certificate is served"
else
  fail "the completed write is picked up: the new certificate is served" \
    "expected: $SERIAL2" "actual:   $(tls_serial)"
fi
echo "     certificate reloads: success $(metric 'hardpod_tls_certificate_reloads_total{result="success"}')," \
  "failure $(metric 'hardpod_tls_certificate_reloads_total{result="failure"}')"
check "runtime: no crash, no sanitizer report in between" yes "$(server_alive && echo yes || echo no)"
stop_server_within 30
check "certificate faults: SIGTERM exits 0" 0 "$?"
no_sanitizer_report "certificate faults"

# --- config faults on SIGHUP ------------------------------------------------------------
# psa-restricted, so that the config in force shows in every answer's
# auditAnnotations ("profile"), where the built-in default is hardened.
CFG=$E2E_TMP/policy.yaml
GOOD_CFG='profile: psa-restricted
mode: enforce
'
printf '%s' "$GOOD_CFG" >"$CFG"
start_server "${TLS1[@]}" --config "$CFG" --watch-interval 0 --shutdown-delay 0 || exit 1
decision() {
  local out
  out=$(review "$1")
  json_get '[d["response"]["allowed"], d["response"]["auditAnnotations"].get("profile")]' \
    <<<"${out:4}" 2>/dev/null || echo "no answer: ${out:0:200}"
}
DENIED=$(decision "$DENY")
ALLOWED=$(decision "$ALLOW")
check "config: the good config denies the ASP.NET Deployment" '[false, "psa-restricted"]' "$DENIED"
CFG_REJECTED="config reload rejected; the previous config stays in force"
cfg_rejections_over() { [ "$(log_count "$CFG_REJECTED")" -gt "$1" ]; }
n=0
# config_fault NAME ERROR ACTION...: ACTION breaks the config; SIGHUP must
# reject it, keep the last good config and count the failure.
config_fault() {
  local name=$1 want=$2 before
  shift 2
  before=$(log_count "$CFG_REJECTED")
  "$@"
  kill -HUP "$SERVER_PID"
  n=$((n + 1))
  if wait_until 3 cfg_rejections_over "$before"; then
    pass "config $name: rejected on SIGHUP"
  else
    fail "config $name: rejected on SIGHUP" "log: $(tail -2 "$SERVER_LOG")"
  fi
  check_contains "config $name: the log says why" "$(log_lines "$CFG_REJECTED" | tail -1)" \
    "\"error\":\"$want"
  check "config $name: the denied review stays denied (last good config)" "$DENIED" \
    "$(decision "$DENY")"
  check "config $name: the allowed review stays allowed" "$ALLOWED" "$(decision "$ALLOW")"
  check "config $name: failed reloads counted" "$n" \
    "$(metric 'hardpod_config_reloads_total{result="failure"}')"
  check "config $name: /readyz stays 200" 200 \
    "$(hp_curl -o /dev/null -w '%{http_code}' "https://localhost:$PORT/readyz")"
}
config_fault "file removed" "$CFG" rm -f "$CFG"
config_fault "broken YAML" "$CFG:2: invalid YAML" put "$E2E_TMP/corrupt.yaml" "$CFG"
printf 'profile: psa-restricted\nchecks:\n  privilegd: deny\n' >"$E2E_TMP/unknown.yaml"
config_fault "unknown check" "$CFG:3: checks.privilegd: unknown check id" \
  put "$E2E_TMP/unknown.yaml" "$CFG"
config_fault "binary content" "$CFG" put "$G" "$CFG"
printf 'profile: psa-restricted\nmode: allow-all\n' >"$E2E_TMP/mode.yaml"
config_fault "mode allow-all" "$CFG:2: mode: unknown mode" put "$E2E_TMP/mode.yaml" "$CFG"
ok=$(metric 'hardpod_config_reloads_total{result="success"}')
check "config: no successful reload counted" 0 "${ok:-0}"
printf '%s' "$GOOD_CFG" >"$CFG"
kill -HUP "$SERVER_PID"
cfg_loaded() { [ "$(log_count "config loaded")" -ge 1 ]; }
wait_until 3 cfg_loaded
check "config: a good file is loaded again on SIGHUP" 1 \
  "$(metric 'hardpod_config_reloads_total{result="success"}')"
check "config: still denied after recovery" "$DENIED" "$(decision "$DENY")"
stop_server_within 30
check "config faults: SIGTERM exits 0" 0 "$?"
no_sanitizer_report "config faults"
finish
