#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `hardpod serve` as the kube-apiserver and an operator see it: the routes and
# their status codes, AdmissionReview answers for every kind of request
# (v1/v1beta1, allow, deny, warnings, subresources, DELETE, dryRun), audit
# mode, per-namespace modes, exemptions and profiles, the metrics, the plain
# metrics listener, and every start-up failure with its exit status and message.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need curl openssl python3
A=$FIXTURES/admission
CERTS=$E2E_TMP/certs
make_certs "$CERTS"
TLS=(--tls-cert "$CERTS/tls.crt" --tls-key "$CERTS/tls.key" --shutdown-delay 0)

# post FILE [QUERY]: POSTs an AdmissionReview; sets STATUS and BODY.
post() {
  local out
  out=$(review "$@")
  STATUS=${out%% *}
  BODY=${out#* }
}

# get EXPR: a Python expression over the last response body d, as JSON.
get() { json_get "$1" <<<"$BODY"; }

# request METHOD PATH [CURL ARGS]: sets STATUS, BODY and HEADERS (lower-case names).
request() {
  local method=$1 path=$2
  shift 2
  STATUS=$(hp_curl -X "$method" -o "$E2E_TMP/rbody" -D "$E2E_TMP/rhead" -w '%{http_code}' "$@" \
    "https://localhost:$PORT$path")
  BODY=$(cat "$E2E_TMP/rbody")
  HEADERS=$(tr -d '\r' <"$E2E_TMP/rhead" | tr '[:upper:]' '[:lower:]')
}

header() { sed -n "s/^$1: //p" <<<"$HEADERS" | head -1; }

# --- the default server, with the plain metrics listener --------------------
PLAIN_PORT=$(free_port)
start_server "${TLS[@]}" --metrics-listen "127.0.0.1:$PLAIN_PORT" || exit 1

request GET /healthz
check "GET /healthz status" 200 "$STATUS"
check "GET /healthz body" '{"status":"ok"}' "$BODY"
check "GET /healthz content type" "application/json" "$(header content-type)"
request GET /readyz
check "GET /readyz status" 200 "$STATUS"
check "GET /readyz body" '{"status":"ready"}' "$BODY"
request HEAD /healthz -I
check "HEAD /healthz status" 200 "$STATUS"

request GET /metrics
check "GET /metrics status" 200 "$STATUS"
check "GET /metrics content type" "text/plain; version=0.0.4; charset=utf-8" "$(header content-type)"
check_contains "metrics: build info" "$BODY" 'hardpod_build_info{version="'
rss=$(awk '$1 == "process_resident_memory_bytes" { print $2 }' <<<"$BODY")
if [[ $rss =~ ^[0-9]+$ ]] && [ "$rss" -gt 1000000 ]; then
  pass "metrics: process_resident_memory_bytes is a plausible RSS ($rss)"
else
  fail "metrics: process_resident_memory_bytes" "expected: an integer > 1000000" "actual:   '$rss'"
fi

request GET /nope
check "unknown path: 404" 404 "$STATUS"
check "unknown path: JSON error" \
  '"not found: the routes are POST /validate, GET /healthz, GET /readyz and GET /metrics"' \
  "$(get 'd["error"]')"
check "unknown path: content type" "application/json" "$(header content-type)"
request GET /validate/extra
check "path below /validate: 404" 404 "$STATUS"

request GET /validate
check "GET /validate: 405" 405 "$STATUS"
check "GET /validate: Allow" "post" "$(header allow)"
check "GET /validate: JSON error" '"method GET is not allowed here; use POST"' "$(get 'd["error"]')"
request POST /healthz -d x
check "POST /healthz: 405" 405 "$STATUS"
check "POST /healthz: Allow" "get, head" "$(header allow)"
request PUT /metrics
check "PUT /metrics: 405" 405 "$STATUS"

request POST /validate -H 'Content-Type: text/plain' --data-binary @"$A/hardened-deployment.json"
check "text/plain body: 415" 415 "$STATUS"
check "text/plain body: JSON error" '"Content-Type must be application/json"' "$(get 'd["error"]')"
request POST /validate -H 'Content-Type:' --data-binary @"$A/hardened-deployment.json"
check "no content type: 415" 415 "$STATUS"
request POST /validate -H 'Content-Type: application/json; charset=utf-8' \
  --data-binary @"$A/hardened-deployment.json"
check "application/json with charset: 200" 200 "$STATUS"
check "application/json with charset: allowed" true "$(get 'd["response"]["allowed"]')"

# The apiserver appends ?timeout=10s to the webhook URL.
post "$A/hardened-deployment.json" '?timeout=10s'
check "?timeout=10s: 200" 200 "$STATUS"
check "?timeout=10s: allowed" true "$(get 'd["response"]["allowed"]')"

# --- AdmissionReview answers --------------------------------------------------
post "$A/hardened-deployment.json"
check "hardened Deployment: 200" 200 "$STATUS"
check "hardened Deployment: whole response" \
  '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"3f2a9c1e-5b7d-4e8a-9c0f-1a2b3c4d5e6f","allowed":true}}' \
  "$BODY"

post "$A/v1beta1-pod.json"
check "v1beta1: 200" 200 "$STATUS"
check "v1beta1: answered as v1beta1 AdmissionReview with the uid" \
  '["admission.k8s.io/v1beta1", "AdmissionReview", "d4e5f6a7-b8c9-4d0e-9f1a-3b4c5d6e7f80", true]' \
  "$(get '[d["apiVersion"], d["kind"], d["response"]["uid"], d["response"]["allowed"]]')"

post "$A/aspnet-template-deployment.json"
ASPNET_BODY=$BODY
check "ASP.NET Deployment: 200" 200 "$STATUS"
check "ASP.NET Deployment: v1 AdmissionReview with the uid" \
  '["admission.k8s.io/v1", "AdmissionReview", "7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f"]' \
  "$(get '[d["apiVersion"], d["kind"], d["response"]["uid"]]')"
check "ASP.NET Deployment: denied" false "$(get 'd["response"]["allowed"]')"
check "ASP.NET Deployment: status code and reason" '[403, "Forbidden"]' \
  "$(get '[d["response"]["status"]["code"], d["response"]["status"]["reason"]]')"
msg=$(get 'd["response"]["status"]["message"]')
prefix='"Deployment \"shop/webapp\" violates hardpod policy \"hardened\": runAsNonRoot: '
check "ASP.NET Deployment: message starts with the subject and policy" "$prefix" "${msg:0:${#prefix}}"
check_contains "ASP.NET Deployment: message names readOnlyRootFilesystem with its path" "$msg" \
  'readOnlyRootFilesystem: container \"webapp\" must set securityContext.readOnlyRootFilesystem=true (spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem)'
check "ASP.NET Deployment: message lists the 10 deny findings" 10 \
  "$(get 'len(d["response"]["status"]["message"].split(": ", 1)[1].split("; "))')"
check "ASP.NET Deployment: 3 warnings" 3 "$(get 'len(d["response"]["warnings"])')"
check "ASP.NET Deployment: warnings are seccompProfile and privilegedPorts" \
  '["seccompProfile", "privilegedPorts", "privilegedPorts"]' \
  "$(get '[w.split(":")[0] for w in d["response"]["warnings"]]')"
check "ASP.NET Deployment: every warning <= 255 bytes" '[]' \
  "$(get '[w for w in d["response"]["warnings"] if len(w.encode()) > 255]')"
check "ASP.NET Deployment: auditAnnotations decision/mode/profile" '["denied", "enforce", "hardened"]' \
  "$(get '[d["response"]["auditAnnotations"][k] for k in ("decision", "mode", "profile")]')"
check "ASP.NET Deployment: findings annotation is JSON with 13 findings" 13 \
  "$(get 'len(__import__("json").loads(d["response"]["auditAnnotations"]["findings"]))')"

post "$A/pod-bad-init.json"
check "Pod with a bad init container: denied" '[200, false]' "[$STATUS, $(get 'd["response"]["allowed"]')]"
check_contains "Pod with a bad init container: names the init container" \
  "$(get 'd["response"]["status"]["message"]')" \
  'privileged: init container \"setup\" must not be privileged (spec.initContainers[0].securityContext.privileged)'
check "Pod with a bad init container: every deny finding is the init container's" '[]' \
  "$(get '[p for p in d["response"]["status"]["message"].split(": ", 1)[1].split("; ") if "init container \"setup\"" not in p]')"

post "$A/update-metadata-only.json"
check "UPDATE that changes only metadata: allowed, nothing else" \
  '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"c3d4e5f6-a7b8-4c9d-8e0f-2a3b4c5d6e7f","allowed":true}}' \
  "$BODY"
post "$A/pod-delete.json"
check "DELETE of a violating Pod: allowed" \
  '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"a3b4c5d6-e7f8-4a9b-8c0d-2e3f4a5b6c7d","allowed":true}}' \
  "$BODY"
post "$A/pod-status-update.json"
check "pods/status UPDATE of a violating Pod: allowed" \
  '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"f2a3b4c5-d6e7-4f8a-9b0c-1d2e3f4a5b6c","allowed":true}}' \
  "$BODY"
post "$A/pod-ephemeral-privileged.json"
check "pods/ephemeralcontainers with a privileged debug container: denied" \
  '[200, "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b", false]' \
  "[$STATUS, $(get 'd["response"]["uid"]'), $(get 'd["response"]["allowed"]')]"
check_contains "pods/ephemeralcontainers: names the ephemeral container" \
  "$(get 'd["response"]["status"]["message"]')" \
  'privileged: ephemeral container \"debugger-x7k2p\" must not be privileged (spec.ephemeralContainers[0].securityContext.privileged)'

post "$A/aspnet-template-deployment-dryrun.json"
check "dryRun: denied like any request" false "$(get 'd["response"]["allowed"]')"
check "dryRun: same message as without dryRun" \
  "$(json_get 'd["response"]["status"]["message"]' <<<"$ASPNET_BODY")" \
  "$(get 'd["response"]["status"]["message"]')"

post "$A/pod-psa-restricted.json"
check "PSA-restricted-compliant Pod under hardened: denied" false "$(get 'd["response"]["allowed"]')"

# A long multi-byte container name (62 bytes, within the 63 the engine keeps):
# warnings are cut to 255 bytes on a character boundary and end with "...".
python3 - "$A/aspnet-template-deployment.json" "$E2E_TMP/longname.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["request"]["uid"] = "long-name"
d["request"]["object"]["spec"]["template"]["spec"]["containers"][0]["name"] = "\u00e9" * 31
json.dump(d, open(sys.argv[2], "w"), ensure_ascii=False)
PY
post "$E2E_TMP/longname.json"
check "long container name: denied" '[200, false]' "[$STATUS, $(get 'd["response"]["allowed"]')]"
check "long container name: 3 warnings, each cut to <= 255 bytes ending in ..." \
  '[[true, true], [true, true], [true, true]]' \
  "$(get '[[len(w.encode()) <= 255, w.endswith("...")] for w in d["response"]["warnings"]]')"
check "long container name: warnings are cut on a character boundary" '[]' \
  "$(get '[w for w in d["response"]["warnings"] if "\ufffd" in w]')"

# --- metrics after these requests ---------------------------------------------
# Denied Deployment CREATEs: the ASP.NET template, its dryRun copy, the long name.
check "metrics: denied Deployment CREATEs" 3 \
  "$(metric 'hardpod_admission_requests_total{kind="Deployment",operation="CREATE",decision="denied"}')"
# Allowed Deployment CREATEs: charset, ?timeout, hardened.
check "metrics: allowed Deployment CREATEs" 3 \
  "$(metric 'hardpod_admission_requests_total{kind="Deployment",operation="CREATE",decision="allowed"}')"
check "metrics: denied Pod CREATEs (bad init, PSA pod)" 2 \
  "$(metric 'hardpod_admission_requests_total{kind="Pod",operation="CREATE",decision="denied"}')"
check "metrics: denied Pod UPDATE (ephemeral container)" 1 \
  "$(metric 'hardpod_admission_requests_total{kind="Pod",operation="UPDATE",decision="denied"}')"
check "metrics: allowed Pod UPDATEs (metadata only, status)" 2 \
  "$(metric 'hardpod_admission_requests_total{kind="Pod",operation="UPDATE",decision="allowed"}')"
check "metrics: allowed Pod DELETE" 1 \
  "$(metric 'hardpod_admission_requests_total{kind="Pod",operation="DELETE",decision="allowed"}')"
# Requests to /validate only: GET /validate (405), 415 x2; not the 404s or
# the 405s of the probes.
check "metrics: rejected admission requests" 3 \
  "$(metric 'hardpod_admission_requests_total{kind="other",operation="other",decision="error"}')"
check "metrics: dryRun requests" 1 "$(metric 'hardpod_admission_dry_run_requests_total')"
# ASP.NET x3, bad init, ephemeral, PSA pod.
check "metrics: readOnlyRootFilesystem deny findings" 6 \
  "$(metric 'hardpod_policy_findings_total{check="readOnlyRootFilesystem",action="deny"}')"
check "metrics: privileged deny findings (bad init, ephemeral)" 2 \
  "$(metric 'hardpod_policy_findings_total{check="privileged",action="deny"}')"
check "metrics: privilegedPorts warn findings (ASP.NET x3 twice, v1beta1 once)" 7 \
  "$(metric 'hardpod_policy_findings_total{check="privilegedPorts",action="warn"}')"
# The 13 reviews and, with 0 seconds, the 3 rejected admission requests.
check "metrics: duration histogram counts reviews and rejected requests" 16 \
  "$(metric 'hardpod_admission_duration_seconds_count')"

# --- pods/ephemeralcontainers on Kubernetes 1.16 to 1.21, and unreadable kinds --
# There the subresource takes an EphemeralContainers object (metadata and a
# top-level ephemeralContainers list): its containers are evaluated. Any
# other kind sent for pods is refused in enforce mode, never allowed unread.
python3 - "$A/pod-ephemeral-privileged.json" "$E2E_TMP" <<'PY'
import copy, json, sys
d = json.load(open(sys.argv[1]))
req = d["request"]
req["subResource"] = "ephemeralcontainers"
req["kind"] = req["requestKind"] = {"group": "", "version": "v1", "kind": "EphemeralContainers"}
ctrs = req["object"]["spec"]["ephemeralContainers"]
meta = {"name": "web", "namespace": "shop"}
req["object"] = {"apiVersion": "v1", "kind": "EphemeralContainers", "metadata": meta,
                 "ephemeralContainers": ctrs}
req["oldObject"] = {"apiVersion": "v1", "kind": "EphemeralContainers", "metadata": meta,
                    "ephemeralContainers": []}
json.dump(d, open(sys.argv[2] + "/eph-privileged.json", "w"))
good = copy.deepcopy(d)
good["request"]["object"]["ephemeralContainers"][0]["securityContext"] = {
    "runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001,
    "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}
json.dump(good, open(sys.argv[2] + "/eph-good.json", "w"))
other = copy.deepcopy(d)
other["request"]["kind"] = {"group": "", "version": "v1", "kind": "Scale"}
other["request"]["object"] = {"apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": meta}
json.dump(other, open(sys.argv[2] + "/eph-unreadable.json", "w"))
PY
post "$E2E_TMP/eph-privileged.json"
check "EphemeralContainers with a privileged container: denied" '[200, false]' \
  "[$STATUS, $(get 'd["response"]["allowed"]')]"
check_contains "EphemeralContainers: names the container at its path" \
  "$(get 'd["response"]["status"]["message"]')" \
  'privileged: ephemeral container \"debugger-x7k2p\" must not be privileged (ephemeralContainers[0].securityContext.privileged)'
post "$E2E_TMP/eph-good.json"
check "EphemeralContainers with a hardened container: allowed, no warning" '[200, true, null]' \
  "[$STATUS, $(get 'd["response"]["allowed"]'), $(get 'd["response"].get("warnings")')]"
post "$E2E_TMP/eph-unreadable.json"
check "unreadable kind on pods/ephemeralcontainers: denied with 403" '[200, false, 403]' \
  "[$STATUS, $(get 'd["response"]["allowed"]'), $(get 'd["response"]["status"]["code"]')]"
check "unreadable kind: the message says what and where" \
  '"Scale \"shop/web\" is refused by hardpod policy \"hardened\": hardpod cannot read kind \"Scale\" (v1) sent for pods/ephemeralcontainers, so it cannot check the pod'"'"'s containers: only a v1 Pod or EphemeralContainers object is read there"' \
  "$(get 'd["response"]["status"]["message"]')"
check "unreadable kind: audit annotation" '"denied"' \
  "$(get 'd["response"]["auditAnnotations"]["decision"]')"

# --- the plain metrics listener ----------------------------------------------
plain() { curl -sS --max-time 10 -o "$E2E_TMP/pbody" -w '%{http_code}' "$@"; }
check "plain listener: GET /metrics" 200 "$(plain "http://127.0.0.1:$PLAIN_PORT/metrics")"
check_contains "plain listener: /metrics has the same counters" "$(cat "$E2E_TMP/pbody")" \
  'hardpod_admission_requests_total{kind="Deployment",operation="CREATE",decision="denied"} 3'
check "plain listener: GET /healthz" 200 "$(plain "http://127.0.0.1:$PLAIN_PORT/healthz")"
check "plain listener: /healthz body" '{"status":"ok"}' "$(cat "$E2E_TMP/pbody")"
check "plain listener: GET /readyz" 200 "$(plain "http://127.0.0.1:$PLAIN_PORT/readyz")"
check "plain listener: POST /validate is 404" 404 "$(plain -H 'Content-Type: application/json' \
  --data-binary @"$A/hardened-deployment.json" "http://127.0.0.1:$PLAIN_PORT/validate")"
check "plain listener: 404 is a JSON error" '"not found: the routes are POST /validate, GET /healthz, GET /readyz and GET /metrics"' \
  "$(json_get 'd["error"]' <"$E2E_TMP/pbody")"
check "plain listener: speaks no TLS" 000 \
  "$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' --cacert "$CERTS/ca.crt" "https://localhost:$PLAIN_PORT/healthz")"
check "TLS listener: speaks no plain HTTP" 000 \
  "$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/healthz")"

# --- start-up failures (the port of the running server is the one in use) ------
BUSY_PORT=$PORT
# startup NAME EXPECTED_MESSAGE_PART ARGS...: hardpod serve must exit 2 at once,
# with the message on stderr.
startup() {
  local name=$1 want=$2 rc=0
  shift 2
  timeout 10 "$HP_BIN" serve "$@" >"$E2E_TMP/start.out" 2>"$E2E_TMP/start.err" || rc=$?
  check "start-up fails: $name: exit status" 2 "$rc"
  check_contains "start-up fails: $name: message" "$(cat "$E2E_TMP/start.err")" "$want"
}
startup "missing certificate file" "hardpod: $E2E_TMP/missing.crt: No such file or directory" \
  --listen 127.0.0.1:0 --tls-cert "$E2E_TMP/missing.crt" --tls-key "$CERTS/tls.key"
startup "missing key file" "hardpod: $E2E_TMP/missing.key: No such file or directory" \
  --listen 127.0.0.1:0 --tls-cert "$CERTS/tls.crt" --tls-key "$E2E_TMP/missing.key"
make_certs "$E2E_TMP/other"
startup "key of another certificate" \
  "hardpod: $E2E_TMP/other/tls.key does not match the certificate in $CERTS/tls.crt" \
  --listen 127.0.0.1:0 --tls-cert "$CERTS/tls.crt" --tls-key "$E2E_TMP/other/tls.key"
if sign_leaf "$CERTS" "$E2E_TMP/expired" 20200101000000Z 20200102000000Z; then
  startup "expired certificate" \
    "hardpod: $E2E_TMP/expired/tls.crt: certificate expired at 2020-01-02T00:00:00Z" \
    --listen 127.0.0.1:0 --tls-cert "$E2E_TMP/expired/tls.crt" --tls-key "$E2E_TMP/expired/tls.key"
else
  echo "SKIP expired certificate: openssl ca cannot set validity dates here"
fi
if sign_leaf "$CERTS" "$E2E_TMP/future" 20400101000000Z 20400102000000Z; then
  startup "certificate not yet valid" \
    "hardpod: $E2E_TMP/future/tls.crt: certificate not valid before 2040-01-01T00:00:00Z" \
    --listen 127.0.0.1:0 --tls-cert "$E2E_TMP/future/tls.crt" --tls-key "$E2E_TMP/future/tls.key"
else
  echo "SKIP certificate not yet valid: openssl ca cannot set validity dates here"
fi
startup "unknown --profile" \
  'hardpod serve: --profile: unknown profile "strict" (hardened, psa-restricted, psa-baseline or none)' \
  --listen 127.0.0.1:0 "${TLS[@]}" --profile strict
startup "unknown --mode" 'hardpod serve: --mode: expected enforce or audit, got "strict"' \
  --listen 127.0.0.1:0 "${TLS[@]}" --mode strict
printf 'profile: hardened\nchecks:\n  readOnlyRootFileSystem: warn\n' >"$E2E_TMP/bad.yaml"
startup "invalid config file" \
  "hardpod: $E2E_TMP/bad.yaml:3: checks.readOnlyRootFileSystem: unknown check id (did you mean readOnlyRootFilesystem?)" \
  --listen 127.0.0.1:0 "${TLS[@]}" --config "$E2E_TMP/bad.yaml"
startup "missing config file" "$E2E_TMP/missing.yaml" \
  --listen 127.0.0.1:0 "${TLS[@]}" --config "$E2E_TMP/missing.yaml"
startup "--listen without a port" 'hardpod: listen address "8443": expected ADDR:PORT' \
  --listen 8443 "${TLS[@]}"
startup "--listen with a host name" \
  'hardpod: listen address "localhost:8443": bad IPv4 address (write IPv6 as [::]:8443)' \
  --listen localhost:8443 "${TLS[@]}"
startup "--listen port out of range" 'hardpod: listen address "127.0.0.1:65536": bad port' \
  --listen 127.0.0.1:65536 "${TLS[@]}"
startup "--listen port in use" "hardpod: cannot listen on 127.0.0.1:$BUSY_PORT" \
  --listen "127.0.0.1:$BUSY_PORT" "${TLS[@]}"
startup "--metrics-listen port in use" "hardpod: cannot listen on 127.0.0.1:$PLAIN_PORT" \
  --listen 127.0.0.1:0 --metrics-listen "127.0.0.1:$PLAIN_PORT" "${TLS[@]}"
startup "--tls-key missing" \
  'hardpod serve: --tls-cert and --tls-key are required (or --dev to try it locally)' \
  --listen 127.0.0.1:0 --tls-cert "$CERTS/tls.crt"
startup "--max-body-bytes not a number" \
  'hardpod serve: --max-body-bytes: expected a whole number from 1024 to 67108864, got "1e6"' \
  --listen 127.0.0.1:0 "${TLS[@]}" --max-body-bytes 1e6
check "the running server survived the failed starts" '{"status":"ok"}' \
  "$(hp_curl "https://localhost:$PORT/healthz")"
stop_server
check "default server: SIGTERM exits 0" 0 "$?"

# --- audit mode ------------------------------------------------------------------
start_server "${TLS[@]}" --mode audit || exit 1
post "$A/aspnet-template-deployment.json"
check "--mode audit: ASP.NET Deployment allowed" '[200, true]' "[$STATUS, $(get 'd["response"]["allowed"]')]"
check "--mode audit: no status" false "$(get '"status" in d["response"]')"
check "--mode audit: 13 warnings, the 10 would-be denials first" \
  '[true, true, true, true, true, true, true, true, true, true, false, false, false]' \
  "$(get '[w.startswith("would deny: ") for w in d["response"]["warnings"]]')"
check "--mode audit: a would-deny warning in full" \
  '"would deny: readOnlyRootFilesystem: container \"webapp\" must set securityContext.readOnlyRootFilesystem=true (spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem)"' \
  "$(get 'd["response"]["warnings"][5]')"
check "--mode audit: every warning <= 255 bytes" '[]' \
  "$(get '[w for w in d["response"]["warnings"] if len(w.encode()) > 255]')"
check "--mode audit: auditAnnotations decision and mode" '["would-deny", "audit"]' \
  "$(get '[d["response"]["auditAnnotations"]["decision"], d["response"]["auditAnnotations"]["mode"]]')"
check "--mode audit: would-deny metric" 1 \
  "$(metric 'hardpod_admission_would_deny_total{kind="Deployment"}')"
check "--mode audit: counted as warned" 1 \
  "$(metric 'hardpod_admission_requests_total{kind="Deployment",operation="CREATE",decision="warned"}')"
stop_server

# --- a config file: per-namespace modes and an image exemption --------------------
cat >"$E2E_TMP/policy.yaml" <<'EOF'
mode: enforce
namespaceModes:
  - namespace: "legacy-*"
    mode: audit
exemptions:
  - image: "mcr.microsoft.com/dotnet/*"
    checks: [readOnlyRootFilesystem]
    reason: ".NET writes to /tmp"
  - image: "registry.example.com/web/*"
    checks: [privilegedPorts]
    reason: "xééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé"
EOF
start_server "${TLS[@]}" --config "$E2E_TMP/policy.yaml" || exit 1
sed 's/"shop"/"legacy-shop"/g' "$A/aspnet-template-deployment.json" >"$E2E_TMP/legacy.json"
post "$E2E_TMP/legacy.json"
check "namespaceModes: legacy-shop is in audit mode: allowed" true "$(get 'd["response"]["allowed"]')"
check "namespaceModes: legacy-shop: would-deny warnings" 9 \
  "$(get 'len([w for w in d["response"]["warnings"] if w.startswith("would deny: ")])')"
check "namespaceModes: legacy-shop: annotation mode" '"audit"' "$(get 'd["response"]["auditAnnotations"]["mode"]')"
post "$A/aspnet-template-deployment.json"
check "namespaceModes: shop is still enforced: denied" false "$(get 'd["response"]["allowed"]')"
msg=$(get 'd["response"]["status"]["message"]')
case "$msg" in
  *readOnlyRootFilesystem*) fail "exemption: readOnlyRootFilesystem left the deny message" "actual: ${msg:0:300}" ;;
  *) pass "exemption: readOnlyRootFilesystem left the deny message" ;;
esac
check "exemption: the finding is a warning starting with exempt: <reason>: " \
  '["exempt: .NET writes to /tmp: readOnlyRootFilesystem: container \"webapp\" must set securityContext.readOnlyRootFilesystem=true (spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem)"]' \
  "$(get '[w for w in d["response"]["warnings"] if w.startswith("exempt: ")]')"
check "exemption: counted as a warn finding" 2 \
  "$(metric 'hardpod_policy_findings_total{check="readOnlyRootFilesystem",action="warn"}')"
# "exempt: x" is 9 bytes, then 2-byte characters: the 252-byte cut falls
# inside one and must back off to its start.
post "$A/v1beta1-pod.json"
check "exemption with a long multi-byte reason: one warning" 1 "$(get 'len(d["response"]["warnings"])')"
check "exemption with a long multi-byte reason: cut to 254 bytes, ending in ..." \
  '[254, true, true, false]' \
  "$(get '[(w := d["response"]["warnings"][0]).encode().__len__(), w.startswith("exempt: x\u00e9"), w.endswith("\u00e9..."), "\ufffd" in w]')"
post "$A/hardened-deployment.json"
check "config: a hardened Deployment is still allowed" true "$(get 'd["response"]["allowed"]')"
stop_server

# --- a workload exemption: a Deployment covers the Pods of its ReplicaSets -----------
cat >"$E2E_TMP/workload.yaml" <<'EOF'
exemptions:
  - kinds: [Deployment]
    names: [legacy]
    namespaces: [shop]
    checks: [runAsNonRoot, runAsUser, runAsGroup]
    reason: "legacy runs as root until its image is rebuilt"
EOF
start_server "${TLS[@]}" --config "$E2E_TMP/workload.yaml" || exit 1
W=$A/pod-replicaset-owned.json
post "$W"
check "workload exemption: a Pod of ReplicaSet legacy-<hash> in shop is allowed" true \
  "$(get 'd["response"]["allowed"]')"
check "workload exemption: its findings stay visible as exempt: <reason>: warnings" \
  '["runAsNonRoot", "runAsUser", "runAsGroup"]' \
  "$(get '[w.split(": ")[2] for w in d["response"]["warnings"] if w.startswith("exempt: legacy runs as root until its image is rebuilt: ")]')"
sed 's/"shop"/"ops"/g' "$W" >"$E2E_TMP/wl-ops.json"
post "$E2E_TMP/wl-ops.json"
check "workload exemption: the same Pod in another namespace is denied" false \
  "$(get 'd["response"]["allowed"]')"
sed 's/"name": "legacy-5d8f7c9b4"/"name": "legacy-api"/' "$W" >"$E2E_TMP/wl-nohash.json"
post "$E2E_TMP/wl-nohash.json"
check "workload exemption: an owner whose suffix is no pod-template-hash: denied" false \
  "$(get 'd["response"]["allowed"]')"
sed 's/"controller": true/"controller": false/' "$W" >"$E2E_TMP/wl-noctl.json"
post "$E2E_TMP/wl-noctl.json"
check "workload exemption: an owner reference without controller: true: denied" false \
  "$(get 'd["response"]["allowed"]')"
stop_server

# --- --profile psa-restricted -----------------------------------------------------
start_server "${TLS[@]}" --profile psa-restricted || exit 1
check "psa-restricted: the listening log line names the profile" 1 \
  "$(log_lines listening | grep -c '"profile":"psa-restricted"')"
post "$A/pod-psa-restricted.json"
check "psa-restricted: a PSA-restricted Pod that hardened denies is allowed" \
  '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"c5d6e7f8-a9b0-4c1d-8e2f-4a5b6c7d8e9f","allowed":true}}' \
  "$BODY"
post "$A/aspnet-template-deployment.json"
msg=$(get 'd["response"]["status"]["message"]')
prefix='"Deployment \"shop/webapp\" violates hardpod policy \"psa-restricted\": '
check "psa-restricted: the ASP.NET Deployment is denied under that policy name" "$prefix" "${msg:0:${#prefix}}"
stop_server

finish
