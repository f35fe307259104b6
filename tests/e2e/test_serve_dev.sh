#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `hardpod serve --dev` as a first-time user runs it: it makes throw-away
# certificates, prints a curl command that works as printed (run from the
# repository root) and denies the ASP.NET template, and removes its temporary
# directory when it stops, and when it fails to start.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need curl openssl python3
ROOT=$(cd "$FIXTURES/../.." && pwd)
DEVTMP=$E2E_TMP/devtmp
mkdir -p "$DEVTMP"

TMPDIR=$DEVTMP start_server --dev --shutdown-delay 0 || exit 1
DIR=$(sed -n 's/^hardpod is serving the default policy with throw-away certificates in \(.*\)\.$/\1/p' \
  "$SERVER_LOG")
case "$DIR" in
  "$DEVTMP"/hardpod-dev-*) pass "banner names a temporary directory under TMPDIR ($DIR)" ;;
  *) fail "banner names a temporary directory under TMPDIR" "actual: '$DIR'" "log: $(cat "$SERVER_LOG")" ;;
esac
check "the directory holds the CA and the serving pair" "ca.crt ca.key tls.crt tls.key" \
  "$(cd "$DIR" 2>/dev/null && ls | tr '\n' ' ' | sed 's/ $//')"
check "private keys are readable by the owner only" "600 600" \
  "$(stat -c %a "$DIR/ca.key" "$DIR/tls.key" 2>/dev/null | tr '\n' ' ' | sed 's/ $//')"
check "the serving certificate names localhost, 127.0.0.1 and ::1" \
  "DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1" \
  "$(openssl x509 -in "$DIR/tls.crt" -noout -ext subjectAltName 2>/dev/null | sed -n 2p | sed 's/^ *//')"

# The command exactly as printed: the lines from "  curl" to the blank line,
# continuation backslashes joined.
CMD=$(sed -n '/^  curl /,/^$/p' "$SERVER_LOG" | sed 's/ *\\$//' | tr '\n' ' ' | tr -s ' ' |
  sed 's/^ *//; s/ *$//')
want="curl --cacert $DIR/ca.crt https://localhost:$PORT/validate -H 'Content-Type: application/json' --data @tests/fixtures/admission/aspnet-template-deployment.json"
check "the printed curl command (port from the log)" "$want" "$CMD"
# Run it only if it is exactly that command (it came from a log file).
if [ "$CMD" = "$want" ]; then
  out=$(cd "$ROOT" && eval "timeout 20 $CMD -sS -w ' %{http_code}'")
else
  out="(not run)"
fi
check "the printed command: HTTP 200" 200 "${out##* }"
body=${out% *}
check "the printed command: ASP.NET template denied" '[false, 403]' \
  "$(json_get '[d["response"]["allowed"], d["response"]["status"]["code"]]' <<<"$body" 2>/dev/null ||
    echo "not JSON: ${body:0:200}")"
check_contains "the printed command: the deny message" "$body" \
  'violates hardpod policy \"hardened\": runAsNonRoot: container \"webapp\"'
check "the dev CA verifies 127.0.0.1 too" '{"status":"ok"}' \
  "$(curl -sS --max-time 10 --cacert "$DIR/ca.crt" "https://127.0.0.1:$PORT/healthz")"
check "the certificate is not trusted without the dev CA" 60 \
  "$(curl -s --max-time 10 -o /dev/null "https://localhost:$PORT/healthz"; echo $?)"

stop_server
check "SIGTERM: exit 0" 0 "$?"
check "SIGTERM: the temporary directory is removed" gone "$([ -e "$DIR" ] && echo present || echo gone)"

# SIGINT (Ctrl-C, how a user stops it) cleans up too.
TMPDIR=$DEVTMP start_server --dev --shutdown-delay 0 || exit 1
DIR=$(sed -n 's/^hardpod is serving the default policy with throw-away certificates in \(.*\)\.$/\1/p' \
  "$SERVER_LOG")
check "second run: a fresh directory" yes "$([ -d "$DIR" ] && echo yes || echo no)"
BUSY=$PORT
kill -INT "$SERVER_PID"
rc=0
wait "$SERVER_PID" || rc=$?
SERVER_PID=""
check "SIGINT: exit 0" 0 "$rc"
check "SIGINT: the temporary directory is removed" gone "$([ -e "$DIR" ] && echo present || echo gone)"

# A failed start removes what it made.
TMPDIR=$DEVTMP start_server --dev --shutdown-delay 0 || exit 1
BUSY=$PORT
rc=0
TMPDIR=$DEVTMP timeout 10 "$HP_BIN" serve --dev --listen "127.0.0.1:$BUSY" 2>"$E2E_TMP/busy.err" || rc=$?
check "--dev on a busy port: exit 2" 2 "$rc"
check_contains "--dev on a busy port: says why" "$(cat "$E2E_TMP/busy.err")" \
  "hardpod: cannot listen on 127.0.0.1:$BUSY"
stop_server
check "after all runs, no hardpod-dev-* directory is left" "" "$(ls "$DEVTMP")"

rc=0
timeout 10 "$HP_BIN" serve --dev --listen 127.0.0.1:0 --tls-cert x --tls-key y 2>"$E2E_TMP/usage.err" || rc=$?
check "--dev with --tls-cert: usage error" 2 "$rc"
check_contains "--dev with --tls-cert: message" "$(cat "$E2E_TMP/usage.err")" \
  "hardpod serve: --dev makes its own certificate: drop --tls-cert and --tls-key"

finish
