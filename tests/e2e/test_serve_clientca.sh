#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `hardpod serve --client-ca`: who may complete the TLS handshake. A client
# certificate from the client CA (directly or through an intermediate) gets
# its review answered; no certificate, a certificate from another CA, one
# that is expired or made for servers only fail the handshake itself, over
# TLS 1.2 and 1.3, and nothing reaches the HTTP layer. The probes on the
# plain --metrics-listen port still answer. The client CA file is reloaded
# when it changes (a ConfigMap volume's ..data swap) and on SIGHUP, a broken
# one is rejected with the previous CA kept, and every start-up error exits 2
# naming the file. Without the flag nobody is asked for a certificate.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need curl openssl python3
H=$FIXTURES/admission/hardened-deployment.json
CERTS=$E2E_TMP/certs
make_certs "$CERTS"
TLS=(--tls-cert "$CERTS/tls.crt" --tls-key "$CERTS/tls.key" --shutdown-delay 0)
CL=$E2E_TMP/clients
mkdir -p "$CL"

# make_ca NAME [ISSUER]: a CA NAME.crt/NAME.key in $CL, self-signed or, with
# ISSUER, an intermediate signed by $CL/ISSUER.
make_ca() {
  local ext="basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
  if [ $# -eq 1 ]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$CL/$1.key" \
      -out "$CL/$1.crt" -days 30 -subj "/CN=$1" -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  else
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$CL/$1.key" \
      -out "$CL/$1.csr" -subj "/CN=$1" 2>/dev/null &&
      printf "$ext" >"$CL/$1.ext" &&
      openssl x509 -req -in "$CL/$1.csr" -CA "$CL/$2.crt" -CAkey "$CL/$2.key" \
        -set_serial "0x$(openssl rand -hex 8)" -days 30 -extfile "$CL/$1.ext" \
        -out "$CL/$1.crt" 2>/dev/null
  fi
}

# make_client NAME CA EKU [STARTDATE ENDDATE]: a client key and certificate
# NAME.key/NAME.crt signed by $CL/CA with that extendedKeyUsage; with dates
# (YYYYMMDDHHMMSSZ), exactly that validity (openssl ca can set it).
make_client() {
  local name=$1 ca=$2
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$CL/$name.key" \
    -out "$CL/$name.csr" -subj "/CN=$name" 2>/dev/null || return 1
  printf 'extendedKeyUsage=%s\n' "$3" >"$CL/$name.ext"
  if [ $# -ge 5 ]; then
    local db="$CL/$name-db"
    mkdir -p "$db"
    : >"$db/index.txt"
    openssl rand -hex 8 >"$db/serial"
    printf '[ca]\ndefault_ca=e2e\n[e2e]\ndatabase=%s/index.txt\nnew_certs_dir=%s\nserial=%s/serial\ndefault_md=sha256\npolicy=any\nunique_subject=no\n[any]\ncommonName=supplied\n' \
      "$db" "$db" "$db" >"$db/ca.cnf"
    openssl ca -batch -config "$db/ca.cnf" -cert "$CL/$ca.crt" -keyfile "$CL/$ca.key" \
      -in "$CL/$name.csr" -out "$CL/$name.crt" -startdate "$4" -enddate "$5" \
      -extfile "$CL/$name.ext" -notext 2>/dev/null
  else
    openssl x509 -req -in "$CL/$name.csr" -CA "$CL/$ca.crt" -CAkey "$CL/$ca.key" \
      -set_serial "0x$(openssl rand -hex 8)" -days 7 -extfile "$CL/$name.ext" \
      -out "$CL/$name.crt" 2>/dev/null
  fi
}

make_ca client-ca && make_ca other-ca && make_ca issuing-ca client-ca &&
  make_client apiserver client-ca clientAuth &&
  make_client intruder other-ca clientAuth &&
  make_client server-only client-ca serverAuth &&
  make_client via-intermediate issuing-ca clientAuth &&
  make_client no-eku client-ca anyExtendedKeyUsage ||
  { echo "cannot make the client certificates"; exit 1; }
# The leaf and its intermediate in one file, as a client sends the chain.
cat "$CL/via-intermediate.crt" "$CL/issuing-ca.crt" >"$CL/via-intermediate-chain.crt"
HAVE_EXPIRED=0
make_client expired client-ca clientAuth 20200101000000Z 20200102000000Z && HAVE_EXPIRED=1

# The client CA as a ConfigMap volume presents it: DIR/ca.crt -> ..data/ca.crt,
# ..data -> ..VERSION, swapped in one rename.
CADIR=$E2E_TMP/client-ca-volume
mkdir -p "$CADIR"
ca_version() {
  mkdir -p "$CADIR/..$1"
  cat "${@:2}" >"$CADIR/..$1/ca.crt"
}
swap_data() {
  ln -s "..$1" "$CADIR/..data_tmp" && mv -T "$CADIR/..data_tmp" "$CADIR/..data"
}
ca_version v1 "$CL/client-ca.crt"
ln -s ..v1 "$CADIR/..data"
ln -s ..data/ca.crt "$CADIR/ca.crt"

# call NAME [CURL ARGS]: POSTs the hardened Deployment's review; sets STATUS
# (the HTTP status, 000 when there was none), RC (curl's exit code) and ERR
# (curl's message).
call() {
  local name=$1
  shift
  RC=0
  STATUS=$(curl -sS --max-time 10 --cacert "$CERTS/ca.crt" -o "$E2E_TMP/body" -w '%{http_code}' \
    -H 'Content-Type: application/json' --data-binary @"$H" "$@" \
    "https://localhost:$PORT/validate" 2>"$E2E_TMP/curl.err") || RC=$?
  ERR=$(cat "$E2E_TMP/curl.err")
  echo "     [$name] curl exit $RC, HTTP $STATUS${ERR:+: $ERR}"
}
as() { echo --cert "$CL/$1.crt" --key "$CL/$1.key"; }

# accepted NAME [CURL ARGS]: the review is answered, allowed.
accepted() {
  call "$@"
  check "$1: HTTP 200" "0 200" "$RC $STATUS"
  check "$1: the review is allowed" true \
    "$(json_get 'd["response"]["allowed"]' <"$E2E_TMP/body" 2>/dev/null)"
}

# refused12 NAME ALERT [CURL ARGS]: over TLS 1.2 the client learns of the
# refusal in the handshake itself: curl exit 35 (60 for the
# certificate_expired alert, which curl reports as a verification failure),
# no HTTP status, and the alert's text when ALERT is not empty.
refused12() {
  local name=$1 alert=$2 want=35
  shift 2
  [ "$alert" = "certificate expired" ] && want=60
  call "$name (TLS 1.2)" --tlsv1.2 --tls-max 1.2 "$@"
  check "$name, TLS 1.2: the handshake fails (curl $want, no HTTP status)" "$want 000" \
    "$RC $STATUS"
  [ -z "$alert" ] || [ "$want" = 60 ] ||
    check_contains "$name, TLS 1.2: curl reports the alert" "$ERR" "$alert"
}

# refused13 NAME [CURL ARGS]: over TLS 1.3 the client sends its certificate
# in its last flight and may send the request before the server has read it,
# so curl reports the refusal on its first write or read: 35 (handshake), 52
# (empty reply), 55 (send failure) or 56 (receive failure); never an HTTP
# status.
refused13() {
  local name=$1
  shift
  call "$name (TLS 1.3)" --tlsv1.3 "$@"
  case "$RC $STATUS" in
    "35 000" | "52 000" | "55 000" | "56 000") pass "$name, TLS 1.3: the handshake fails (curl $RC, no HTTP status)" ;;
    *) fail "$name, TLS 1.3: the handshake fails" "expected: curl 35, 52, 55 or 56 and HTTP 000" \
      "actual:   curl $RC, HTTP $STATUS: $ERR" ;;
  esac
}

# --- off by default ------------------------------------------------------------
start_server "${TLS[@]}" || exit 1
accepted "no --client-ca: a client without a certificate"
check "no --client-ca: no client CA loaded" 0 "$(log_count "client CA loaded")"
stop_server

# --- --client-ca ------------------------------------------------------------------
PLAIN=$(free_port)
start_server "${TLS[@]}" --client-ca "$CADIR/ca.crt" --metrics-listen "127.0.0.1:$PLAIN" \
  --watch-interval 1 || exit 1
check "start-up: client CA loaded, one certificate" '["start-up", "CN=client-ca", 1, 1]' \
  "$(log_lines "client CA loaded" | head -1 |
    json_get '[d["reason"], d["subject"], d["certificates"], d["validCertificates"]]')"
check "--metrics-listen given: no probe warning" 0 \
  "$(log_count "--client-ca without --metrics-listen: HTTPS probes that present no client certificate (the kubelet's) fail the handshake; probe /healthz and /readyz on --metrics-listen")"

accepted "a certificate from the client CA" $(as apiserver)
accepted "a certificate from the client CA (TLS 1.2)" --tlsv1.2 --tls-max 1.2 $(as apiserver)
accepted "a certificate from the client CA (TLS 1.3)" --tlsv1.3 $(as apiserver)
accepted "a certificate through an intermediate CA, sent with its chain" \
  --cert "$CL/via-intermediate-chain.crt" --key "$CL/via-intermediate.key"
accepted "a certificate with anyExtendedKeyUsage" $(as no-eku)
ANSWERED=5

refused12 "another CA's certificate" "alert unknown ca" $(as intruder)
refused13 "another CA's certificate" $(as intruder)
refused12 "no client certificate" ""
refused13 "no client certificate"
refused12 "a serverAuth-only certificate from the client CA" "alert unsupported certificate" \
  $(as server-only)
refused13 "a serverAuth-only certificate from the client CA" $(as server-only)
refused12 "an intermediate's certificate without its chain" "alert unknown ca" \
  $(as via-intermediate)
if [ "$HAVE_EXPIRED" = 1 ]; then
  refused12 "an expired certificate from the client CA" "certificate expired" $(as expired)
else
  echo "SKIP expired client certificate: openssl ca cannot set validity dates here"
fi

check "refused clients reached no handler: $ANSWERED reviews answered" "$ANSWERED" \
  "$(log_count "admission review")"
check "refused clients were not counted as requests" "$ANSWERED" \
  "$(metric 'hardpod_admission_requests_total{kind="Deployment",operation="CREATE",decision="allowed"}' \
    "http://127.0.0.1:$PLAIN/metrics")"
check "the first rejected certificate is logged with its issuer and reason" \
  '["CN=intruder", "CN=other-ca", true]' \
  "$(log_lines "client certificate rejected" | head -1 |
    json_get '[d["subject"], d["issuer"], "issuer is unknown" in d["reason"]]')"

# The kubelet's HTTPS probes present no certificate: they fail on the TLS
# port, and the plain port answers them.
RC=0
curl -sS --max-time 10 --cacert "$CERTS/ca.crt" -o /dev/null "https://localhost:$PORT/healthz" \
  2>/dev/null || RC=$?
check "HTTPS /healthz without a client certificate fails (curl exit is not 0)" true \
  "$([ "$RC" -ne 0 ] && echo true || echo "false (exit $RC)")"
check "plain /healthz on --metrics-listen" '{"status":"ok"}' \
  "$(curl -sS --max-time 10 "http://127.0.0.1:$PLAIN/healthz")"
check "plain /readyz on --metrics-listen" '{"status":"ready"}' \
  "$(curl -sS --max-time 10 "http://127.0.0.1:$PLAIN/readyz")"

# --- reload: the watched file changes ----------------------------------------------
# other-ca replaces client-ca: intruder is in, apiserver is out.
ca_version v2 "$CL/other-ca.crt"
swap_data v2
intruder_in() {
  curl -s --max-time 5 --cacert "$CERTS/ca.crt" $(as intruder) -o /dev/null \
    "https://localhost:$PORT/healthz"
}
if wait_until 10 intruder_in; then
  pass "reload: a certificate from the new client CA is accepted within 10 s"
else
  fail "reload: a certificate from the new client CA is accepted within 10 s"
fi
check "reload: logged with its reason and subject" '["client CA file changed", "CN=other-ca"]' \
  "$(log_lines "client CA loaded" | tail -1 | json_get '[d["reason"], d["subject"]]')"
refused12 "after the reload, the old client CA's certificate" "alert unknown ca" $(as apiserver)

# A bundle: both CAs at once (a CA rotation).
ca_version v3 "$CL/other-ca.crt" "$CL/client-ca.crt"
swap_data v3
apiserver_in() {
  curl -s --max-time 5 --cacert "$CERTS/ca.crt" $(as apiserver) -o /dev/null \
    "https://localhost:$PORT/healthz"
}
if wait_until 10 apiserver_in && intruder_in; then
  pass "reload: with a two-CA bundle both clients are accepted"
else
  fail "reload: with a two-CA bundle both clients are accepted"
fi
check "reload: the bundle's two certificates" 2 \
  "$(log_lines "client CA loaded" | tail -1 | json_get 'd["certificates"]')"

# A broken file is rejected and the bundle stays in use.
mkdir -p "$CADIR/..v4"
cp "$CL/apiserver.key" "$CADIR/..v4/ca.crt"
swap_data v4
rejected() { [ "$(log_count "client CA reload rejected; the previous client CA stays in use")" -ge 1 ]; }
if wait_until 10 rejected; then
  pass "reload: a key instead of a CA is rejected"
else
  fail "reload: a key instead of a CA is rejected" "$(tail -3 "$SERVER_LOG")"
fi
check_contains "reload: the rejection names the file and the problem" \
  "$(log_lines "client CA reload rejected; the previous client CA stays in use" | tail -1)" \
  "PEM block 1 (PRIVATE KEY) is not a valid certificate; a CA file holds certificates only"
accepted "after a rejected reload, the previous bundle still admits the client CA" $(as apiserver)
accepted "after a rejected reload, the previous bundle still admits the other CA" $(as intruder)
stop_server
check "--client-ca server: SIGTERM exits 0" 0 "$?"

# --- reload on SIGHUP (file watching off), and the probe warning -------------------
cp "$CL/client-ca.crt" "$E2E_TMP/hup-ca.crt"
start_server "${TLS[@]}" --client-ca "$E2E_TMP/hup-ca.crt" --watch-interval 0 || exit 1
check "without --metrics-listen: the probe warning is logged" 1 \
  "$(log_count "--client-ca without --metrics-listen: HTTPS probes that present no client certificate (the kubelet's) fail the handshake; probe /healthz and /readyz on --metrics-listen")"
cp "$CL/other-ca.crt" "$E2E_TMP/hup-ca.crt"
kill -HUP "$SERVER_PID"
hup_loaded() { [ "$(log_lines "client CA loaded" | grep -c '"reason":"SIGHUP"')" -ge 1 ]; }
if wait_until 10 hup_loaded; then
  pass "SIGHUP reloads the client CA"
else
  fail "SIGHUP reloads the client CA" "$(tail -3 "$SERVER_LOG")"
fi
accepted "after SIGHUP, the new client CA's certificate" $(as intruder)
refused12 "after SIGHUP, the old client CA's certificate" "alert unknown ca" $(as apiserver)
stop_server

# --- start-up errors ---------------------------------------------------------------
# startup NAME EXPECTED_MESSAGE_PART ARGS...: hardpod serve must exit 2 at once,
# with the message on stderr.
startup() {
  local name=$1 want=$2 rc=0
  shift 2
  timeout 10 "$HP_BIN" serve --listen 127.0.0.1:0 "${TLS[@]}" "$@" >"$E2E_TMP/start.out" \
    2>"$E2E_TMP/start.err" || rc=$?
  check "start-up fails: $name: exit status" 2 "$rc"
  check_contains "start-up fails: $name: message" "$(cat "$E2E_TMP/start.err")" "$want"
}
: >"$E2E_TMP/empty.crt"
echo "not a certificate" >"$E2E_TMP/garbage.crt"
startup "missing client CA file" "hardpod: $E2E_TMP/missing.crt: No such file or directory" \
  --client-ca "$E2E_TMP/missing.crt"
startup "empty client CA file" \
  "hardpod: $E2E_TMP/empty.crt: empty file, expected PEM CA certificates" \
  --client-ca "$E2E_TMP/empty.crt"
startup "client CA file not PEM" "hardpod: $E2E_TMP/garbage.crt: no PEM certificate found" \
  --client-ca "$E2E_TMP/garbage.crt"
startup "a private key as the client CA" \
  "hardpod: $CL/apiserver.key: PEM block 1 (PRIVATE KEY) is not a valid certificate; a CA file holds certificates only" \
  --client-ca "$CL/apiserver.key"
startup "a client certificate as the client CA" \
  "hardpod: $CL/apiserver.crt: certificate 1 (CN=apiserver) is not a CA (basicConstraints CA:TRUE is missing)" \
  --client-ca "$CL/apiserver.crt"
startup "--client-ca without a value" "hardpod serve: --client-ca needs a value" --client-ca

finish
