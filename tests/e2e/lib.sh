# SPDX-License-Identifier: Apache-2.0
# Shared helpers for the end-to-end tests: certificates made with the openssl
# CLI, the real hardpod binary started on a free loopback port (port 0, the
# real port read back from its "listening" log line), curl with certificate
# verification on, and pass/fail accounting that ends in "N passed, N failed".

set -u
HP_BIN=${HP_BIN:?HP_BIN must name the hardpod binary}
FIXTURES=${HP_FIXTURES_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../fixtures" && pwd)}
E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/hardpod-e2e.XXXXXX")
PASSED=0
FAILED=0
SERVER_PID=""
SERVER_LOG=""
PORT=""

cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -KILL "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
  fi
  rm -rf "$E2E_TMP"
}
trap cleanup EXIT

need() {
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed"; exit 77; }
  done
}

pass() { PASSED=$((PASSED + 1)); echo "ok   $1"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL $1"; shift; for line in "$@"; do echo "     $line"; done; }

# check NAME EXPECTED ACTUAL
check() {
  if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "expected: $2" "actual:   $3"; fi
}

# check_contains NAME HAYSTACK NEEDLE
check_contains() {
  case "$2" in
    *"$3"*) pass "$1" ;;
    *) fail "$1" "expected to contain: $3" "actual: ${2:0:600}" ;;
  esac
}

# run CMD...: runs the command with stdout and stderr captured in $out and
# $err and the exit status in $rc.
run() {
  "$@" >"$E2E_TMP/out" 2>"$E2E_TMP/err"
  rc=$?
  out=$(cat "$E2E_TMP/out")
  err=$(cat "$E2E_TMP/err")
}

# expect_rc NAME WANT CMD...: the command exits with WANT (run sets $out, $err).
expect_rc() {
  local name=$1 want=$2
  shift 2
  run "$@"
  if [[ $rc -eq $want ]]; then
    pass "$name"
  else
    fail "$name" "expected exit $want, got $rc: $*" "stderr: $err" "stdout: ${out:0:600}"
  fi
}

# expect_text NAME WHERE NEEDLE: the last run's $out or $err (WHERE) contains NEEDLE.
expect_text() {
  local name=$1 where=$2 needle=$3
  local text=$out
  [[ $where == err ]] && text=$err
  if [[ $text == *"$needle"* ]]; then
    pass "$name"
  else
    fail "$name" "expected std$where to contain: $needle" "got: ${text:0:600}"
  fi
}

finish() {
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
}

# make_certs DIR [ec|rsa] [extra openssl SAN entries]: a CA and a serving
# certificate for localhost, 127.0.0.1 and ::1.
make_certs() {
  local dir=$1 type=${2:-ec} sans=${3:-}
  mkdir -p "$dir"
  local keyopt=(-newkey ec -pkeyopt ec_paramgen_curve:P-256)
  [ "$type" = rsa ] && keyopt=(-newkey rsa:2048)
  if [ ! -f "$dir/ca.crt" ]; then
    openssl req -x509 "${keyopt[@]}" -nodes -keyout "$dir/ca.key" -out "$dir/ca.crt" -days 30 \
      -subj "/CN=hardpod-e2e-ca" -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  fi
  openssl req "${keyopt[@]}" -nodes -keyout "$dir/tls.key" -out "$dir/tls.csr" \
    -subj "/CN=localhost" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1%s\nextendedKeyUsage=serverAuth\n' \
    "$sans" > "$dir/ext.cnf"
  openssl x509 -req -in "$dir/tls.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
    -CAcreateserial -days 7 -extfile "$dir/ext.cnf" -out "$dir/tls.crt" 2>/dev/null
  chmod 600 "$dir/tls.key" "$dir/ca.key"
}

# start_server ARGS...: starts hardpod serve on 127.0.0.1:0 with the given
# flags and waits until it logs the port it listens on.
start_server() {
  SERVER_LOG="$E2E_TMP/server.$RANDOM.log"
  "$HP_BIN" serve --listen 127.0.0.1:0 "$@" 2>"$SERVER_LOG" &
  SERVER_PID=$!
  for _ in $(seq 1 400); do
    PORT=$(sed -n 's/.*"msg":"listening".*"port":\([0-9]*\).*/\1/p' "$SERVER_LOG" | head -1)
    [ -n "$PORT" ] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.05
  done
  echo "server did not start:"; cat "$SERVER_LOG"
  return 1
}

stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  kill -TERM "$SERVER_PID" 2>/dev/null
  local rc=0
  wait "$SERVER_PID" || rc=$?
  SERVER_PID=""
  return $rc
}

# hp_curl ARGS...: curl against the server with verification against ca.crt.
hp_curl() {
  curl -sS --max-time 10 --cacert "$CERTS/ca.crt" "$@"
}

# review FILE: POSTs an AdmissionReview; prints "STATUS BODY".
review() {
  local out
  out=$(hp_curl -o "$E2E_TMP/body" -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary @"$1" "https://localhost:$PORT/validate${2:-}")
  echo "$out $(cat "$E2E_TMP/body")"
}

# jq-free JSON field extraction with python3: json_get 'EXPR' <<< JSON
json_get() {
  python3 -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps(eval(sys.argv[1], {"d": d})))' "$1"
}

# --- helpers for the hardpod serve tests (additive; the ones above are unchanged) ---

# free_port: a TCP port on 127.0.0.1 that was free a moment ago.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_until SECONDS CMD...: runs CMD every 0.1 s until it succeeds, at most
# SECONDS*10 times. Returns CMD's last status. CMD must bound its own runtime.
wait_until() {
  local tries=$(($1 * 10)) i
  shift
  for ((i = 0; i < tries; i++)); do
    "$@" && return 0
    sleep 0.1
  done
  "$@"
}

# server_alive: true while the server started by start_server runs.
server_alive() {
  [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null
}

# log_lines MSG: the server log lines whose "msg" is exactly MSG.
log_lines() {
  grep -F "\"msg\":\"$1\"" "$SERVER_LOG"
}

# log_count MSG: how many server log lines have "msg" MSG.
log_count() {
  grep -cF "\"msg\":\"$1\"" "$SERVER_LOG"
}

# metric SERIES [URL]: the value of one exact series, written as it appears
# in /metrics (name{label="v",...}); prints nothing when the series is absent.
metric() {
  local url=${2:-https://localhost:$PORT/metrics}
  if [[ $url == https:* ]]; then
    hp_curl "$url"
  else
    curl -sS --max-time 10 "$url"
  fi | awk -v s="$1" '$1 == s { print $2 }'
}

# tls_serial [PORT]: the serial of the certificate the server presents now,
# as "serial=HEX".
tls_serial() {
  timeout 10 openssl s_client -connect "127.0.0.1:${1:-$PORT}" -servername localhost \
    </dev/null 2>/dev/null | openssl x509 -noout -serial 2>/dev/null
}

# sign_leaf CADIR OUTDIR [STARTDATE ENDDATE]: a new localhost key and
# certificate (OUTDIR/tls.key, OUTDIR/tls.crt) signed by CADIR's CA; with
# dates (YYYYMMDDHHMMSSZ) the certificate has exactly that validity, which
# OpenSSL 3.0's x509 command cannot set but its ca command can. The serial is
# random unless LEAF_SERIAL (hex) is set.
sign_leaf() {
  local ca=$1 out=$2 serial=${LEAF_SERIAL:-$(openssl rand -hex 8)}
  mkdir -p "$out"
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$out/tls.key" \
    -out "$out/tls.csr" -subj "/CN=localhost" 2>/dev/null || return 1
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\n' \
    > "$out/ext.cnf"
  if [ $# -ge 4 ]; then
    local db="$out/ca-db"
    mkdir -p "$db"
    : > "$db/index.txt"
    printf '%s\n' "$serial" > "$db/serial"
    printf '[ca]\ndefault_ca=e2e\n[e2e]\ndatabase=%s/index.txt\nnew_certs_dir=%s\nserial=%s/serial\ndefault_md=sha256\npolicy=any\nunique_subject=no\n[any]\ncommonName=supplied\n' \
      "$db" "$db" "$db" > "$db/ca.cnf"
    openssl ca -batch -config "$db/ca.cnf" -cert "$ca/ca.crt" -keyfile "$ca/ca.key" \
      -in "$out/tls.csr" -out "$out/tls.crt" -startdate "$3" -enddate "$4" \
      -extfile "$out/ext.cnf" -notext 2>/dev/null || return 1
  else
    openssl x509 -req -in "$out/tls.csr" -CA "$ca/ca.crt" -CAkey "$ca/ca.key" \
      -set_serial "0x$serial" -days 7 -extfile "$out/ext.cnf" \
      -out "$out/tls.crt" 2>/dev/null || return 1
  fi
  chmod 600 "$out/tls.key"
}

# still_ok AFTER: the server is alive and a normal request (the file in $H)
# is allowed.
still_ok() {
  local out
  out=$(review "$H")
  if server_alive && [ "${out:0:3}" = 200 ] && [[ $out == *'"allowed":true'* ]]; then
    pass "after $1: server alive, a normal request is allowed"
  else
    fail "after $1: server alive, a normal request is allowed" \
      "alive: $(server_alive && echo yes || echo no)" "response: ${out:0:300}"
  fi
}
