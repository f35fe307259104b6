#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `hardpod certs` as an operator runs it: the files and their modes, the SANs
# and EKU as the openssl CLI reads them, CA reuse on a second run, the printed
# caBundle, the webhook-config template, `certs inspect` and its exit codes,
# usage errors, and finally the real thing: `hardpod serve` with the generated
# pair, reached by curl under the Service's name with hostname verification on.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need curl openssl base64 cmp

OUT=$E2E_TMP/certs
SVC=hardpod
NS=hardpod-system

# run ARGS...: runs hardpod with stdout in $out, stderr in $err, status in $rc.
run() {
  "$HP_BIN" "$@" >"$E2E_TMP/out" 2>"$E2E_TMP/err"
  rc=$?
  out=$(cat "$E2E_TMP/out")
  err=$(cat "$E2E_TMP/err")
}

# expect_rc NAME WANT ARGS...: hardpod ARGS exits with WANT.
expect_rc() {
  local name=$1 want=$2
  shift 2
  run "$@"
  if [ "$rc" = "$want" ]; then
    pass "$name"
  else
    fail "$name" "expected exit $want, got $rc: hardpod $*" "stderr: $err" "stdout: ${out:0:400}"
  fi
}

serial_of() { openssl x509 -noout -serial -in "$1" 2>/dev/null; }

# --- generating ----------------------------------------------------------------
expect_rc "certs: generate for the Service" 0 \
  certs --service "$SVC" --namespace "$NS" --out "$OUT" --ip 127.0.0.1
first_out=$out
check "the directory holds the CA and the serving pair" "ca.crt ca.key tls.crt tls.key" \
  "$(cd "$OUT" 2>/dev/null && ls | tr '\n' ' ' | sed 's/ $//')"
check "the output directory is created with mode 0700" 700 "$(stat -c %a "$OUT")"
check "private keys are readable by the owner only" "600 600" \
  "$(stat -c %a "$OUT/ca.key" "$OUT/tls.key" | tr '\n' ' ' | sed 's/ $//')"
for f in ca.crt ca.key tls.crt tls.key; do
  check_contains "stdout names $f" "$first_out" "wrote: $OUT/$f"
done
check_contains "stdout shows the serial" "$first_out" \
  "serial: $(serial_of "$OUT/tls.crt" | sed 's/^serial=0*//')"
check_contains "stdout shows notAfter (RFC 3339, UTC)" "$first_out" \
  "notAfter: $(date -u -d "$(openssl x509 -noout -enddate -in "$OUT/tls.crt" | sed 's/^notAfter=//')" \
    +%Y-%m-%dT%H:%M:%SZ)"

verify=$(openssl verify -CAfile "$OUT/ca.crt" "$OUT/tls.crt" 2>&1)
check "openssl verify: the CA signed the serving certificate" "$OUT/tls.crt: OK" "$verify"
check "subjectAltName: exactly the four Service names and the IP" \
  "DNS:$SVC, DNS:$SVC.$NS, DNS:$SVC.$NS.svc, DNS:$SVC.$NS.svc.cluster.local, IP Address:127.0.0.1" \
  "$(openssl x509 -in "$OUT/tls.crt" -noout -ext subjectAltName 2>/dev/null | sed -n 2p |
    sed 's/^ *//')"
check "extended key usage: TLS Web Server Authentication" "TLS Web Server Authentication" \
  "$(openssl x509 -in "$OUT/tls.crt" -noout -ext extendedKeyUsage 2>/dev/null | sed -n 2p |
    sed 's/^ *//')"
check "subject: CN=NAME.NS.svc" "subject=CN = $SVC.$NS.svc" \
  "$(openssl x509 -in "$OUT/tls.crt" -noout -subject)"
check "ECDSA P-256 by default" "prime256v1" \
  "$(openssl x509 -in "$OUT/tls.crt" -noout -text | sed -n 's/^ *ASN1 OID: //p')"

# The caBundle line decodes to ca.crt byte for byte.
bundle_line=$(grep '^caBundle: ' <<<"$first_out")
check "exactly one caBundle line" 1 "$(grep -c '^caBundle: ' <<<"$first_out")"
bundle=${bundle_line#caBundle: }
if printf '%s' "$bundle" | base64 -d >"$E2E_TMP/bundle.pem" 2>/dev/null &&
  cmp -s "$E2E_TMP/bundle.pem" "$OUT/ca.crt"; then
  pass "the caBundle decodes (base64 -d) to ca.crt exactly"
else
  fail "the caBundle decodes (base64 -d) to ca.crt exactly" "caBundle: ${bundle:0:80}..."
fi
check "the caBundle is standard base64 on one line" "" \
  "$(printf '%s' "$bundle" | tr -d 'A-Za-z0-9+/=')"

# --- a second run rotates the leaf and keeps the CA ------------------------------
cp "$OUT/ca.crt" "$E2E_TMP/ca.before"
serial_before=$(serial_of "$OUT/tls.crt")
expect_rc "certs: second run" 0 \
  certs --service "$SVC" --namespace "$NS" --out "$OUT" --ip 127.0.0.1
if cmp -s "$E2E_TMP/ca.before" "$OUT/ca.crt"; then
  pass "second run: ca.crt is byte-identical"
else
  fail "second run: ca.crt is byte-identical"
fi
serial_after=$(serial_of "$OUT/tls.crt")
if [ -n "$serial_after" ] && [ "$serial_after" != "$serial_before" ]; then
  pass "second run: tls.crt has a new serial"
else
  fail "second run: tls.crt has a new serial" "before: $serial_before" "after:  $serial_after"
fi
check "second run: the same caBundle" "$bundle_line" "$(grep '^caBundle: ' <<<"$out")"
check_contains "second run: says the CA was kept" "$out" "kept: $OUT/ca.crt"
check "second run: still verifies" "$OUT/tls.crt: OK" \
  "$(openssl verify -CAfile "$OUT/ca.crt" "$OUT/tls.crt" 2>&1)"

# --- options ---------------------------------------------------------------------
RSA=$E2E_TMP/rsa
expect_rc "certs: --key-type rsa-2048 --days 10 --dns --ip ::1" 0 \
  certs --service web --namespace apps --out "$RSA" --key-type rsa-2048 --days 10 \
  --ca-days 20 --dns web.example.com --ip ::1
check "rsa-2048: an RSA 2048 key" "Public-Key: (2048 bit)" \
  "$(openssl x509 -in "$RSA/tls.crt" -noout -text | sed -n 's/^ *\(Public-Key: .*\)/\1/p')"
check "--dns and --ip are added after the Service names" \
  "DNS:web, DNS:web.apps, DNS:web.apps.svc, DNS:web.apps.svc.cluster.local, DNS:web.example.com, IP Address:0:0:0:0:0:0:0:1" \
  "$(openssl x509 -in "$RSA/tls.crt" -noout -ext subjectAltName 2>/dev/null | sed -n 2p |
    sed 's/^ *//')"

# An existing CA named with --ca-cert/--ca-key: nothing written to ca.*.
EXT=$E2E_TMP/ext
expect_rc "certs: --ca-cert/--ca-key sign with an existing CA" 0 \
  certs --service "$SVC" --namespace "$NS" --out "$EXT" --ca-cert "$OUT/ca.crt" \
  --ca-key "$OUT/ca.key"
check "--ca-cert: only the serving pair is written" "tls.crt tls.key" \
  "$(cd "$EXT" 2>/dev/null && ls | tr '\n' ' ' | sed 's/ $//')"
check "--ca-cert: verifies against that CA" "$EXT/tls.crt: OK" \
  "$(openssl verify -CAfile "$OUT/ca.crt" "$EXT/tls.crt" 2>&1)"
check "--ca-cert: the caBundle is that CA's" "$bundle_line" "$(grep '^caBundle: ' <<<"$out")"

# --- the webhook configuration template ------------------------------------------
cat >"$E2E_TMP/webhook.yaml.in" <<'EOF'
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: ${SERVICE}
webhooks:
  - name: pods.${SERVICE}.${NAMESPACE}.svc
    clientConfig:
      service: {name: ${SERVICE}, namespace: ${NAMESPACE}, path: /validate}
      caBundle: "${CA_BUNDLE}"
EOF
expect_rc "certs --webhook-config" 0 \
  certs --service "$SVC" --namespace "$NS" --out "$OUT" --ip 127.0.0.1 \
  --webhook-config "$E2E_TMP/webhook.yaml.in"
check_contains "--webhook-config: stdout names the file" "$out" "wrote: $OUT/webhook-config.yaml"
# Written as `hardpod webhook-config` writes it: every placeholder filled, and
# the template's webhook once per namespace label choice (5 x 5 + 3).
check "--webhook-config: every placeholder is filled, one webhook per label choice" \
  "28 webhooks; names pods.$SVC.$NS.svc ... invalid-warn.enforce-set.pods.$SVC.$NS.svc; service $SVC.$NS; caBundle ok" \
  "$(python3 - "$OUT/webhook-config.yaml" "$bundle" <<'PY'
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
w = d["webhooks"]
svc = {(h["clientConfig"]["service"]["name"], h["clientConfig"]["service"]["namespace"]) for h in w}
ok = all(h["clientConfig"]["caBundle"] == sys.argv[2] for h in w)
print(f"{len(w)} webhooks; names {w[0]['name']} ... {w[-1]['name']}; "
      f"service {'/'.join('.'.join(s) for s in svc)}; caBundle {'ok' if ok else 'wrong'}")
PY
)"
sed 's|path: /validate|path: /other|' "$E2E_TMP/webhook.yaml.in" >"$E2E_TMP/otherpath.yaml.in"
serial_before=$(serial_of "$OUT/tls.crt")
expect_rc "--webhook-config with another path: exit 2" 2 \
  certs --service "$SVC" --namespace "$NS" --out "$OUT" --webhook-config "$E2E_TMP/otherpath.yaml.in"
check_contains "--webhook-config with another path: says which" "$err" \
  "webhooks[0] (pods.$SVC.$NS.svc): clientConfig.service.path must be /validate"
check "--webhook-config with another path: the certificate is not rotated" "$serial_before" \
  "$(serial_of "$OUT/tls.crt")"
printf 'kind: ValidatingWebhookConfiguration\nname: ${SERVICE}\n' >"$E2E_TMP/nobundle.yaml.in"
serial_before=$(serial_of "$OUT/tls.crt")
expect_rc "--webhook-config without \${CA_BUNDLE}: exit 2" 2 \
  certs --service "$SVC" --namespace "$NS" --out "$OUT" --webhook-config "$E2E_TMP/nobundle.yaml.in"
check_contains "--webhook-config without \${CA_BUNDLE}: says so" "$err" \
  'the template has no ${CA_BUNDLE} placeholder'
check "--webhook-config without \${CA_BUNDLE}: the certificate is not rotated" "$serial_before" \
  "$(serial_of "$OUT/tls.crt")"

# --- inspect -------------------------------------------------------------------------
expect_rc "inspect: a fresh certificate, default --warn-days: exit 0" 0 certs inspect "$OUT/tls.crt"
for line in "subject:       CN=$SVC.$NS.svc" "san:           DNS:$SVC.$NS.svc.cluster.local" \
  "san:           IP:127.0.0.1" "key type:      ECDSA P-256" "is CA:         no" \
  "ext key usage: TLS Web Server Authentication" "days left:     36"; do
  check_contains "inspect shows '$line'" "$out" "$line"
done
check_contains "inspect: notAfter in RFC 3339 UTC" "$out" \
  "not after:     $(date -u -d "$(openssl x509 -noout -enddate -in "$OUT/tls.crt" | sed 's/^notAfter=//')" \
    +%Y-%m-%dT%H:%M:%SZ)"
check_contains "inspect: status valid" "$out" "status:        valid for 36"
expect_rc "inspect: the CA" 0 certs inspect "$OUT/ca.crt"
check_contains "inspect: the CA is a CA" "$out" "is CA:         yes"
expect_rc "inspect --warn-days 400 on a 365-day certificate: exit 1" 1 \
  certs inspect "$OUT/tls.crt" --warn-days 400
check_contains "inspect --warn-days 400: says it expires soon" "$out" \
  "EXPIRES SOON: at $(date -u -d "$(openssl x509 -noout -enddate -in "$OUT/tls.crt" | sed 's/^notAfter=//')" \
    +%Y-%m-%dT%H:%M:%SZ), within --warn-days 400"

# An expired certificate (openssl ca can set any validity).
if sign_leaf "$OUT" "$E2E_TMP/expired" 20200101000000Z 20200201000000Z; then
  expect_rc "inspect: an expired certificate: exit 1" 1 certs inspect "$E2E_TMP/expired/tls.crt"
  check_contains "inspect: says it has expired" "$out" "EXPIRED at 2020-02-01T00:00:00Z"
else
  fail "sign an expired certificate with openssl ca"
fi

head -c 512 /dev/urandom >"$E2E_TMP/garbage.crt"
expect_rc "inspect: a garbage file: exit 2" 2 certs inspect "$E2E_TMP/garbage.crt"
check_contains "inspect: the error names the file" "$err" "$E2E_TMP/garbage.crt: "
expect_rc "inspect: a missing file: exit 2" 2 certs inspect "$E2E_TMP/missing.crt"
check_contains "inspect: missing file named" "$err" "$E2E_TMP/missing.crt: No such file or directory"
expect_rc "inspect: a key file: exit 2" 2 certs inspect "$OUT/tls.key"
expect_rc "inspect: no FILE: exit 2" 2 certs inspect
expect_rc "inspect: bad --warn-days: exit 2" 2 certs inspect "$OUT/tls.crt" --warn-days soon
expect_rc "inspect --help: exit 0" 0 certs inspect --help
check_contains "inspect --help documents --warn-days" "$out" "--warn-days N"
check_contains "inspect --help has an example" "$out" "hardpod certs inspect ./certs/tls.crt"

# --- help and usage errors ------------------------------------------------------------
expect_rc "certs --help: exit 0" 0 certs --help
for flag in --service --namespace --out --days --ca-days --key-type --dns --ip --ca-cert \
  --ca-key --webhook-config; do
  check_contains "certs --help documents $flag" "$out" "  $flag "
done
check_contains "certs --help has an example" "$out" "example:"
expect_rc "hardpod help certs: exit 0" 0 help certs
check_contains "the command list names certs" "$("$HP_BIN" --help)" "  certs "

USAGE=$E2E_TMP/usage
expect_rc "usage: missing --service: exit 2" 2 certs --namespace "$NS" --out "$USAGE"
check_contains "usage: missing --service: says so" "$err" "hardpod certs: --service is required"
check_contains "usage: points at the help" "$err" "see 'hardpod certs --help'"
expect_rc "usage: namespace Bad_NS: exit 2" 2 certs --service "$SVC" --namespace Bad_NS --out "$USAGE"
check_contains "usage: namespace Bad_NS: says why" "$err" \
  '--namespace "Bad_NS" is not a valid DNS-1123 label'
expect_rc "usage: unknown key type: exit 2" 2 \
  certs --service "$SVC" --namespace "$NS" --out "$USAGE" --key-type dsa-1024
check_contains "usage: unknown key type: lists the choices" "$err" \
  '--key-type: expected ecdsa-p256 or rsa-2048, got "dsa-1024"'
expect_rc "usage: service name too long: exit 2" 2 \
  certs --service "$(printf 'a%.0s' $(seq 64))" --namespace "$NS" --out "$USAGE"
expect_rc "usage: --dns with '_': exit 2" 2 \
  certs --service "$SVC" --namespace "$NS" --out "$USAGE" --dns _acme.example.com
check_contains "usage: --dns with '_': says why" "$err" \
  "--dns \"_acme.example.com\" is not a DNS name: '_' is not allowed"
expect_rc "usage: --dns with '*' inside a label: exit 2" 2 \
  certs --service "$SVC" --namespace "$NS" --out "$USAGE" --dns "a*.example.com"
expect_rc "usage: --ip that is not an address: exit 2" 2 \
  certs --service "$SVC" --namespace "$NS" --out "$USAGE" --ip 300.1.1.1
expect_rc "usage: --ca-cert without --ca-key: exit 2" 2 \
  certs --service "$SVC" --namespace "$NS" --out "$USAGE" --ca-cert "$OUT/ca.crt"
expect_rc "usage: --days 0: exit 2" 2 certs --service "$SVC" --namespace "$NS" --out "$USAGE" --days 0
expect_rc "usage: unknown flag: exit 2" 2 certs --service "$SVC" --namespace "$NS" --bogus
check "usage errors write nothing" absent "$([ -e "$USAGE" ] && echo present || echo absent)"

# --- the real TLS check -----------------------------------------------------------------
expect_rc "certs: a fresh pair for the server" 0 \
  certs --service "$SVC" --namespace "$NS" --out "$OUT" --ip 127.0.0.1
if start_server --tls-cert "$OUT/tls.crt" --tls-key "$OUT/tls.key" --shutdown-delay 0; then
  HOST=$SVC.$NS.svc
  check "curl https://$HOST/healthz verifies against ca.crt" '{"status":"ok"}' \
    "$(curl -sS --max-time 10 --cacert "$OUT/ca.crt" --resolve "$HOST:$PORT:127.0.0.1" \
      "https://$HOST:$PORT/healthz" 2>&1)"
  check "curl https://127.0.0.1/healthz verifies (the --ip SAN)" '{"status":"ok"}' \
    "$(curl -sS --max-time 10 --cacert "$OUT/ca.crt" "https://127.0.0.1:$PORT/healthz" 2>&1)"
  check "a name not in the certificate fails hostname verification (curl exit 60)" 60 \
    "$(curl -s --max-time 10 -o /dev/null --cacert "$OUT/ca.crt" \
      --resolve "wrong.example:$PORT:127.0.0.1" "https://wrong.example:$PORT/healthz"; echo $?)"
  stop_server
  check "the server stops cleanly" 0 "$?"
else
  fail "hardpod serve starts with the generated pair" "$(cat "$SERVER_LOG" 2>/dev/null)"
fi

finish
