#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# valgrind memcheck over a whole `hardpod serve` session: allowed, denied,
# warned, dry-run, v1beta1 and skipped reviews, a malformed, an oversized and
# a wrongly typed body, 404 and 405, /metrics, /healthz and /readyz, a
# SIGHUP config reload, a certificate rotation through ..data, then SIGTERM.
# memcheck must report no error and no block definitely or indirectly lost
# ("still reachable" blocks of GnuTLS and libmicrohttpd are allowed), and
# the server must exit 0. Plain build only: the sanitizer build has its own
# checker, and the two do not run together.

source "$(dirname "${BASH_SOURCE[0]}")/faults.sh"
plain_build_only "valgrind memcheck"
need valgrind curl openssl python3
CERTS=$E2E_TMP/ca
make_certs "$CERTS"
sign_leaf "$CERTS" "$E2E_TMP/leaf1" && sign_leaf "$CERTS" "$E2E_TMP/leaf2" ||
  { echo "cannot make certificates"; exit 1; }
SECRET=$E2E_TMP/secret
secret_init "$SECRET" "$E2E_TMP/leaf1/tls.crt" "$E2E_TMP/leaf1/tls.key"
CFG=$E2E_TMP/policy.yaml
printf 'mode: enforce\nchecks:\n  readOnlyRootFilesystem: warn\n' >"$CFG"

VG_LOG=$E2E_TMP/valgrind.log
SUPP=$FAULTS_DIR/valgrind.supp
SUPP_ARGS=()
[ -f "$SUPP" ] && SUPP_ARGS=("--suppressions=$SUPP")
# start_server runs $HP_BIN: a wrapper that execs valgrind on the real
# binary, so that SERVER_PID is valgrind's.
REAL_BIN=$HP_BIN
HP_BIN=$E2E_TMP/hardpod-under-valgrind
{
  printf '#!/bin/sh\nexec valgrind --tool=memcheck --error-exitcode=99 --leak-check=full'
  printf ' --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect'
  printf ' --track-fds=no --num-callers=30 --log-file=%q' "$VG_LOG"
  for a in "${SUPP_ARGS[@]}"; do printf ' %q' "$a"; done
  printf ' %q "$@"\n' "$REAL_BIN"
} >"$HP_BIN"
chmod +x "$HP_BIN"

t0=$(date +%s%N)
start_server --tls-cert "$SECRET/tls.crt" --tls-key "$SECRET/tls.key" --config "$CFG" \
  --watch-interval 1 --shutdown-delay 0 --max-body-bytes 65536 --threads 2 || exit 1
echo "     started under valgrind in $(elapsed_ms "$t0") ms"
URL=https://localhost:$PORT

# answer NAME FILE EXPECTED: a review answered with "STATUS ALLOWED WARNINGS?".
answer() {
  local out got
  out=$(review "$2")
  got=$(json_get '[d["response"]["allowed"], len(d["response"].get("warnings", [])) > 0]' \
    <<<"${out:4}" 2>/dev/null)
  check "$1" "$3" "${out:0:3} $got"
}
answer "allowed review" "$ALLOW" "200 [true, false]"
answer "denied review" "$DENY" "200 [false, true]"
answer "denied Pod" "$A/pod-psa-restricted.json" "200 [false, true]"
answer "dry-run review" "$A/aspnet-template-deployment-dryrun.json" "200 [false, true]"
answer "warned v1beta1 review (allowed, with warnings)" "$A/v1beta1-pod.json" "200 [true, true]"
answer "metadata-only update (skipped)" "$A/update-metadata-only.json" "200 [true, false]"
answer "DELETE" "$A/pod-delete.json" "200 [true, false]"
answer "ephemeral container" "$A/pod-ephemeral-privileged.json" "200 [false, true]"
out=$(review "$MALFORMED")
check "malformed body: 400" 400 "${out:0:3}"
python3 -c 'print("{\"a\":\"" + "x" * 100000 + "\"}")' >"$E2E_TMP/big.json"
out=$(review "$E2E_TMP/big.json")
check "oversized body: 413" 413 "${out:0:3}"
check "wrong content type: 415" 415 "$(hp_curl -o /dev/null -w '%{http_code}' \
  -H 'Content-Type: text/plain' --data-binary @"$ALLOW" "$URL/validate")"
check "unknown route: 404" 404 "$(hp_curl -o /dev/null -w '%{http_code}' "$URL/nope")"
check "GET /validate: 405" 405 "$(hp_curl -o /dev/null -w '%{http_code}' "$URL/validate")"
check "/healthz" 200 "$(hp_curl -o /dev/null -w '%{http_code}' "$URL/healthz")"
check "/readyz" 200 "$(hp_curl -o /dev/null -w '%{http_code}' "$URL/readyz")"
check_contains "/metrics" "$(hp_curl "$URL/metrics")" 'hardpod_admission_requests_total{'

printf 'mode: audit\n' >"$CFG"
kill -HUP "$SERVER_PID"
cfg_loaded() { [ "$(log_count "config loaded")" -ge 1 ]; }
wait_until 10 cfg_loaded
answer "after SIGHUP (audit mode): the denied review is allowed with warnings" "$DENY" "200 [true, true]"
printf 'mode: audit\nchecks:\n  nope: deny\n' >"$CFG"
kill -HUP "$SERVER_PID"
cfg_rejected() { [ "$(log_count "config reload rejected; the previous config stays in force")" -ge 1 ]; }
wait_until 10 cfg_rejected
check "SIGHUP with a broken config: rejected" 1 \
  "$(log_count "config reload rejected; the previous config stays in force")"

want=$(openssl x509 -in "$E2E_TMP/leaf2/tls.crt" -noout -serial)
secret_swap "$SECRET" "$E2E_TMP/leaf2/tls.crt" "$E2E_TMP/leaf2/tls.key"
has_serial() { [ "$(tls_serial)" = "$1" ]; }
if wait_until 10 has_serial "$want"; then
  pass "certificate rotation: the new certificate is served"
else
  fail "certificate rotation: the new certificate is served" "actual: $(tls_serial)"
fi
answer "after the rotation: a review" "$ALLOW" "200 [true, false]"

stop_server_within 120
rc=$?
check "SIGTERM: exit 0 (valgrind's --error-exitcode is 99)" 0 "$rc"
summary=$(grep -E 'ERROR SUMMARY|definitely lost|indirectly lost|possibly lost|still reachable|All heap blocks' "$VG_LOG" |
  sed 's/^==[0-9]*== *//')
echo "$summary" | sed 's/^/     valgrind: /'
check "valgrind: 0 errors" 1 "$(grep -c 'ERROR SUMMARY: 0 errors' "$VG_LOG")"
# With no leak at all, valgrind prints "All heap blocks were freed" and no
# LEAK SUMMARY.
lost() {
  if grep -q 'All heap blocks were freed' "$VG_LOG"; then
    echo 0
  else
    sed -n "s/.*$1 lost: \\([0-9,]*\\) bytes.*/\\1/p" "$VG_LOG" | tr -d , | head -1
  fi
}
check "valgrind: 0 bytes definitely lost" 0 "$(lost definitely)"
check "valgrind: 0 bytes indirectly lost" 0 "$(lost indirectly)"
if [ "$FAILED" -gt 0 ]; then
  echo "     valgrind log (first reports):"
  grep -m40 -vE '^==[0-9]+== *$' "$VG_LOG" | sed -n '1,60p' | sed 's/^/     /'
fi
finish
