#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Bad input never crashes or hangs `hardpod serve`: malformed, oversized,
# deeply nested and mistyped bodies get a JSON error with the right status (or
# a denial, never an allow), slow and silent clients are answered or shed on
# time, plain HTTP and old TLS versions are refused, and after each of them a
# normal request still succeeds.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need curl openssl python3
A=$FIXTURES/admission
H=$A/hardened-deployment.json
CERTS=$E2E_TMP/certs
make_certs "$CERTS"
MAX_BODY=1048576

# seccompProfile is a warning in the hardened profile: make it deny so that a
# mistyped seccompProfile must be denied like every other field.
printf 'checks:\n  seccompProfile: deny\n' >"$E2E_TMP/policy.yaml"
start_server --tls-cert "$CERTS/tls.crt" --tls-key "$CERTS/tls.key" --shutdown-delay 0 \
  --config "$E2E_TMP/policy.yaml" --max-body-bytes "$MAX_BODY" --request-timeout 2 \
  --idle-timeout 30 || exit 1
URL=https://localhost:$PORT/validate

post() {
  local out
  out=$(review "$@")
  STATUS=${out%% *}
  BODY=${out#* }
}
get() { json_get "$1" <<<"$BODY"; }


# bad NAME FILE STATUS ERROR: FILE is answered with STATUS and {"error": ERROR}.
bad() {
  post "$2"
  check "$1: status" "$3" "$STATUS"
  # The whole body, byte for byte: ERROR escaped as a JSON string.
  local want=${4//\\/\\\\}
  want=${want//\"/\\\"}
  check "$1: JSON error" "{\"error\":\"$want\"}" "$BODY"
  still_ok "$1"
}

# --- malformed JSON --------------------------------------------------------------
bad "truncated JSON" "$A/malformed.json" 400 "invalid JSON at byte 1289: unexpected end of data"
python3 -c 'print("[" * 100000 + "]" * 100000)' >"$E2E_TMP/deep-array.json"
bad "arrays nested 100000 deep" "$E2E_TMP/deep-array.json" 400 \
  "invalid JSON at byte 64: nesting depth exceeds 64"
python3 -c 'print("{\"a\":" * 100000 + "1" + "}" * 100000)' >"$E2E_TMP/deep-object.json"
bad "objects nested 100000 deep" "$E2E_TMP/deep-object.json" 400 \
  "invalid JSON at byte 320: nesting depth exceeds 64"
: >"$E2E_TMP/empty.json"
bad "empty body" "$E2E_TMP/empty.json" 400 "empty request body"
printf ' \n\t ' >"$E2E_TMP/blank.json"
bad "whitespace-only body" "$E2E_TMP/blank.json" 400 "invalid JSON at byte 4: unexpected end of data"
printf '[]' >"$E2E_TMP/array.json"
bad "array root" "$E2E_TMP/array.json" 400 "request body: expected object, got array"
printf '42' >"$E2E_TMP/number.json"
bad "number root" "$E2E_TMP/number.json" 400 "request body: expected object, got integer 42"
printf '"AdmissionReview"' >"$E2E_TMP/string.json"
bad "string root" "$E2E_TMP/string.json" 400 'request body: expected object, got "AdmissionReview"'
printf 'null' >"$E2E_TMP/null.json"
bad "null root" "$E2E_TMP/null.json" 400 "request body: expected object, got null"
{ cat "$H"; printf '{}'; } >"$E2E_TMP/two.json"
bad "a second document after the review" "$E2E_TMP/two.json" 400 \
  "invalid JSON at byte $(($(wc -c <"$H"))): trailing data"

# --- invalid UTF-8 and NUL bytes -----------------------------------------------------
# in_name FILE BYTES: the hardened review with BYTES (printf escapes) inside request.name.
in_name() {
  python3 - "$H" "$1" "$2" <<'PY'
import sys
body = open(sys.argv[1], "rb").read()
raw = sys.argv[3].encode().decode("unicode_escape").encode("latin-1")
open(sys.argv[2], "wb").write(body.replace(b'"name": "api",', b'"name": "a' + raw + b'pi",', 1))
PY
}
at=$(($(grep -bo '"name": "api",' "$H" | head -1 | cut -d: -f1) + 10))
in_name "$E2E_TMP/utf8-ff.json" '\xff'
bad "invalid UTF-8: byte 0xFF" "$E2E_TMP/utf8-ff.json" 400 "invalid JSON at byte $at: invalid UTF-8"
in_name "$E2E_TMP/utf8-cont.json" '\x80'
bad "invalid UTF-8: lone continuation byte" "$E2E_TMP/utf8-cont.json" 400 \
  "invalid JSON at byte $at: invalid UTF-8"
in_name "$E2E_TMP/utf8-short.json" '\xe2\x82'
bad "invalid UTF-8: truncated sequence" "$E2E_TMP/utf8-short.json" 400 \
  "invalid JSON at byte $at: invalid UTF-8"
# Not UTF-8 either, though every byte has the right shape: an overlong "/",
# a UTF-16 surrogate, a code point above U+10FFFF.
for form in 'overlong \xc0\xaf' 'surrogate \xed\xa0\x80' 'above U+10FFFF \xf4\x90\x80\x80'; do
  in_name "$E2E_TMP/utf8-form.json" "${form##* }"
  post "$E2E_TMP/utf8-form.json"
  check "invalid UTF-8: ${form% *} in request.name: 400" 400 "$STATUS"
done
still_ok "well-formed but invalid UTF-8"
printf '{"apiVersion":"admission.k8s.io/v1",\0"kind":"AdmissionReview"}' >"$E2E_TMP/nul.json"
bad "NUL byte between members" "$E2E_TMP/nul.json" 400 "invalid JSON at byte 36: NUL byte"
in_name "$E2E_TMP/nul-string.json" '\x00'
bad "NUL byte inside a string" "$E2E_TMP/nul-string.json" 400 "invalid JSON at byte $at: NUL byte"
{ cat "$H"; printf '\0'; } >"$E2E_TMP/nul-end.json"
bad "NUL byte after the document" "$E2E_TMP/nul-end.json" 400 \
  "invalid JSON at byte $(($(wc -c <"$H"))): NUL byte"

# --- JSON that is not an AdmissionReview ------------------------------------------
# variant NAME PYTHON: the hardened review changed by PYTHON (d is the review).
variant() {
  python3 - "$H" "$E2E_TMP/$1.json" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
r = d["request"]
c = r["object"]["spec"]["template"]["spec"]["containers"][0]
exec(sys.argv[3])
json.dump(d, open(sys.argv[2], "w"))
PY
}
variant pod-manifest 'd = r["object"]'
bad "a Deployment manifest instead of a review" "$E2E_TMP/pod-manifest.json" 400 \
  'apiVersion: expected "admission.k8s.io/v1" or "admission.k8s.io/v1beta1", got "apps/v1"'
variant wrong-kind 'd["kind"] = "AdmissionRequest"'
bad "kind AdmissionRequest" "$E2E_TMP/wrong-kind.json" 400 \
  'kind: expected "AdmissionReview", got "AdmissionRequest"'
variant no-request 'del d["request"]'
bad "no request" "$E2E_TMP/no-request.json" 400 "request: missing"
variant no-uid 'del r["uid"]'
bad "no request.uid" "$E2E_TMP/no-uid.json" 400 "request.uid: missing"
variant uid-number 'r["uid"] = 7'
bad "request.uid a number" "$E2E_TMP/uid-number.json" 400 "request.uid: expected string, got integer 7"
variant uid-nul 'r["uid"] = "a\u0000b"'
# A NUL would make "ALL\u0000" compare equal to ALL, and json-c cuts object
# keys at a NUL: every escaped NUL is refused before the policy runs.
variant drop-nul 'c["securityContext"] = {"capabilities": {"drop": ["ALL\u0000"]}}'
post "$E2E_TMP/drop-nul.json"
check "drop [\"ALL\\0\"]: refused, not read as ALL" 400 "$STATUS"
variant key-nul 'c["securityContext"] = {"privileged": True, "privileged\u0000x": False}'
post "$E2E_TMP/key-nul.json"
check "a key with a NUL cannot shadow privileged" 400 "$STATUS"
still_ok "escaped NUL bodies"
bad "request.uid with an escaped NUL" "$E2E_TMP/uid-nul.json" 400 \
  "invalid JSON at byte $(grep -bo 'u0000' "$E2E_TMP/uid-nul.json" | head -1 | cut -d: -f1 | \
    xargs -I{} expr {} - 1): \\u0000 (NUL) is not accepted in strings"
variant bad-op 'r["operation"] = "PATCH"'
bad "operation PATCH" "$E2E_TMP/bad-op.json" 400 \
  'request.operation: expected one of CREATE, UPDATE, DELETE, CONNECT, got "PATCH"'
variant no-object 'del r["object"]'
bad "CREATE without request.object" "$E2E_TMP/no-object.json" 400 "request.object: missing"
variant dryrun-string 'r["dryRun"] = "true"'
bad "request.dryRun a string" "$E2E_TMP/dryrun-string.json" 400 \
  'request.dryRun: expected boolean, got "true"'
variant spec-string 'r["object"]["spec"]["template"]["spec"] = "x"'
bad "pod spec a string" "$E2E_TMP/spec-string.json" 400 \
  'request.object.spec.template.spec: expected object, got string "x"'
variant containers-object 'r["object"]["spec"]["template"]["spec"]["containers"] = {}'
bad "containers an object" "$E2E_TMP/containers-object.json" 400 \
  "request.object.spec.template.spec.containers: expected array, got object"

# --- body size limits --------------------------------------------------------------
head -c 10000000 /dev/zero | tr '\0' ' ' >"$E2E_TMP/10mb.json"
bad "10 MB body with Content-Length" "$E2E_TMP/10mb.json" 413 \
  "request body exceeds the limit of $MAX_BODY bytes"
code=$(hp_curl -o "$E2E_TMP/chunked.out" -w '%{http_code}' -H 'Transfer-Encoding: chunked' \
  -H 'Content-Type: application/json' --data-binary @"$E2E_TMP/10mb.json" "$URL" 2>"$E2E_TMP/chunked.err")
check "10 MB chunked body: 413" 413 "$code"
check_contains "10 MB chunked body: JSON error" "$(cat "$E2E_TMP/chunked.out" "$E2E_TMP/chunked.err" 2>/dev/null)" \
  "{\"error\":\"request body exceeds the limit of $MAX_BODY bytes\"}"
still_ok "10 MB chunked body"
code=$(hp_curl -o "$E2E_TMP/chunked.out" -w '%{http_code}' -H 'Transfer-Encoding: chunked' \
  -H 'Content-Type: application/json' --data-binary @"$H" "$URL")
check "small chunked body: allowed" '200 true' \
  "$code $(json_get 'd["response"]["allowed"]' <"$E2E_TMP/chunked.out")"
# pad N: the hardened review padded with trailing spaces to exactly N bytes.
pad() {
  cp "$H" "$E2E_TMP/pad.json"
  head -c $(($1 - $(wc -c <"$H"))) /dev/zero | tr '\0' ' ' >>"$E2E_TMP/pad.json"
}
pad $((MAX_BODY - 1))
post "$E2E_TMP/pad.json"
check "body of max-body-bytes - 1: allowed" '200 true' "$STATUS $(get 'd["response"]["allowed"]')"
pad "$MAX_BODY"
post "$E2E_TMP/pad.json"
check "body of exactly max-body-bytes: allowed" '200 true' "$STATUS $(get 'd["response"]["allowed"]')"
pad $((MAX_BODY + 1))
bad "body of max-body-bytes + 1" "$E2E_TMP/pad.json" 413 "request body exceeds the limit of $MAX_BODY bytes"
# libmicrohttpd answers 431 and closes the connection once a request header
# outgrows its memory pool. A client that sends all 100 KB at once races that
# close: the kernel resets a connection closed with unread bytes, and the
# reset can discard the answer before the client reads it. So the header goes
# in 1 KB TLS records, 10 ms apart, and the client stops as soon as an answer
# is readable: GnuTLS has taken every record off the socket when the server
# closes, so the answer arrives before a FIN and never behind a reset.
cat >"$E2E_TMP/bighdr.py" <<'PY'
import select, socket, ssl, sys, time
port, ca, size = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
s = ssl.create_default_context(cafile=ca).wrap_socket(
    socket.create_connection(("127.0.0.1", port), timeout=10), server_hostname="localhost")
data = b""
try:
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Big: ")
    sent = 0
    while sent < size and not select.select([s], [], [], 0.01)[0]:
        s.sendall(b"a" * 1024)
        sent += 1024
    if sent >= size:
        s.sendall(b"\r\n\r\n")
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
except (OSError, ssl.SSLError) as e:
    print("error after %d bytes of answer: %r" % (len(data), e), file=sys.stderr)
print(data.split(b" ")[1].decode() if data.startswith(b"HTTP/1.1 ") else "000")
PY
code=$(timeout 30 python3 "$E2E_TMP/bighdr.py" "$PORT" "$CERTS/ca.crt" 100000)
check "100 KB request header: 431" 431 "$code"
still_ok "100 KB request header"

# --- wrong types in the security context: always denied, never allowed --------------
# Each line: name|python statement on the container c|path the denial must name.
cat >"$E2E_TMP/wrongtypes.txt" <<'EOF'
runAsNonRoot "true"|c["securityContext"]["runAsNonRoot"] = "true"|.runAsNonRoot)
runAsNonRoot 1|c["securityContext"]["runAsNonRoot"] = 1|.runAsNonRoot)
runAsUser "0"|c["securityContext"]["runAsUser"] = "0"|.runAsUser)
runAsUser "10001"|c["securityContext"]["runAsUser"] = "10001"|.runAsUser)
runAsUser 1.5|c["securityContext"]["runAsUser"] = 1.5|.runAsUser)
runAsUser 10001.0|c["securityContext"]["runAsUser"] = 10001.0|.runAsUser)
runAsUser -1|c["securityContext"]["runAsUser"] = -1|.runAsUser)
runAsUser 1e30|c["securityContext"]["runAsUser"] = 1e30|.runAsUser)
runAsUser 2^63|c["securityContext"]["runAsUser"] = 2**63|.runAsUser)
runAsUser 2^64|c["securityContext"]["runAsUser"] = 2**64|.runAsUser)
runAsUser true|c["securityContext"]["runAsUser"] = True|.runAsUser)
runAsGroup "10001"|c["securityContext"]["runAsGroup"] = "10001"|.runAsGroup)
runAsGroup {}|c["securityContext"]["runAsGroup"] = {}|.runAsGroup)
privileged "yes"|c["securityContext"]["privileged"] = "yes"|.privileged)
privileged "false"|c["securityContext"]["privileged"] = "false"|.privileged)
privileged 0|c["securityContext"]["privileged"] = 0|.privileged)
privileged []|c["securityContext"]["privileged"] = []|.privileged)
allowPrivilegeEscalation "false"|c["securityContext"]["allowPrivilegeEscalation"] = "false"|.allowPrivilegeEscalation)
allowPrivilegeEscalation 0|c["securityContext"]["allowPrivilegeEscalation"] = 0|.allowPrivilegeEscalation)
capabilities "ALL"|c["securityContext"]["capabilities"] = "ALL"|.capabilities)
capabilities []|c["securityContext"]["capabilities"] = []|.capabilities)
drop "ALL"|c["securityContext"]["capabilities"]["drop"] = "ALL"|.capabilities.drop)
drop [["ALL"]]|c["securityContext"]["capabilities"]["drop"] = [["ALL"]]|.capabilities.drop)
drop [1]|c["securityContext"]["capabilities"]["drop"] = [1]|.capabilities.drop)
add [1]|c["securityContext"]["capabilities"]["add"] = [1]|.capabilities.add[0])
add "SYS_ADMIN"|c["securityContext"]["capabilities"]["add"] = "SYS_ADMIN"|.capabilities.add)
readOnlyRootFilesystem 1|c["securityContext"]["readOnlyRootFilesystem"] = 1|.readOnlyRootFilesystem)
readOnlyRootFilesystem "true"|c["securityContext"]["readOnlyRootFilesystem"] = "true"|.readOnlyRootFilesystem)
seccompProfile "x"|c["securityContext"]["seccompProfile"] = "x"|.seccompProfile
seccompProfile.type 1|c["securityContext"]["seccompProfile"]["type"] = 1|.seccompProfile.type)
procMount 1|c["securityContext"]["procMount"] = 1|.procMount)
seLinuxOptions "x"|c["securityContext"]["seLinuxOptions"] = "x"|.seLinuxOptions
windowsOptions "x"|c["securityContext"]["windowsOptions"] = "x"|.windowsOptions
securityContext []|c["securityContext"] = []|.runAsNonRoot)
securityContext "x"|c["securityContext"] = "x"|.runAsNonRoot)
securityContext true|c["securityContext"] = True|.runAsNonRoot)
EOF
python3 - "$H" "$E2E_TMP/wrongtypes.txt" "$E2E_TMP" <<'PY'
import json, sys
for i, line in enumerate(open(sys.argv[2]).read().splitlines()):
    name, stmt, field = line.split("|")
    d = json.load(open(sys.argv[1]))
    c = d["request"]["object"]["spec"]["template"]["spec"]["containers"][0]
    exec(stmt)
    json.dump(d, open("%s/wrongtype.%02d.json" % (sys.argv[3], i), "w"))
PY
for f in "$E2E_TMP"/wrongtype.*.json; do
  hp_curl -o "${f%.json}.out" -w '%{http_code}\n' -H 'Content-Type: application/json' \
    --data-binary @"$f" "$URL" >"${f%.json}.code"
done
# One line per case: name|status allowed named-the-path
python3 - "$E2E_TMP/wrongtypes.txt" "$E2E_TMP" >"$E2E_TMP/wrongtypes.res" <<'PY'
import json, sys
for i, line in enumerate(open(sys.argv[1]).read().splitlines()):
    name, stmt, field = line.split("|")
    base = "%s/wrongtype.%02d" % (sys.argv[2], i)
    code = open(base + ".code").read().strip()
    try:
        r = json.load(open(base + ".out"))["response"]
        msg = r.get("status", {}).get("message", "")
        named = "(spec.template.spec.containers[0].securityContext" + field in msg
        print("%s|%s %s %s" % (name, code, str(r["allowed"]).lower(), str(named).lower()))
    except Exception as e:
        print("%s|%s %r" % (name, code, e))
PY
while IFS='|' read -r name result; do
  check "wrong type denied: $name" '200 false true' "$result"
done <"$E2E_TMP/wrongtypes.res"
check "wrong types: every case was answered" "$(wc -l <"$E2E_TMP/wrongtypes.txt")" \
  "$(wc -l <"$E2E_TMP/wrongtypes.res")"
still_ok "wrong types"

# --- responses that hit their caps stay valid JSON -------------------------------------
# 400 copies of the ASP.NET container: 5200 findings. The deny message stops
# at 32 KiB, warnings at 64, the findings annotation at 16 KiB, each saying
# how many it left out. And a uid full of characters that need escaping is
# echoed exactly.
python3 - "$A/aspnet-template-deployment.json" "$E2E_TMP" <<'PY'
import copy, json, sys
d = json.load(open(sys.argv[1]))
d["request"]["uid"] = 'q"\\\u2028\u0001\U0001F600</script>'
spec = d["request"]["object"]["spec"]["template"]["spec"]
spec["containers"] = [dict(copy.deepcopy(spec["containers"][0]), name="c%03d" % i) for i in range(400)]
json.dump(d, open(sys.argv[2] + "/many.json", "w"))
PY
post "$E2E_TMP/many.json"
check "400 containers: 200 and denied" '200 false' "$STATUS $(get 'd["response"]["allowed"]' 2>/dev/null)"
check "400 containers: the uid with quotes, escapes and an emoji is echoed exactly" \
  '"q\"\\\u2028\u0001\ud83d\ude00</script>"' "$(get 'd["response"]["uid"]' 2>/dev/null)"
# With seccompProfile as deny: 11 deny findings and 2 warnings per container.
check "400 containers: message <= 32 KiB; shown + \"... and N more\" = 4400 deny findings" '[true, 4400]' \
  "$(get '[len((m := d["response"]["status"]["message"]).encode()) <= 32768,
           len(m.split("; ")) - 1 + int(m.rsplit("; ... and ", 1)[1].split()[0])]' 2>/dev/null)"
check "400 containers: 64 warnings, the last one counting the rest of the 800" '[64, 800]' \
  "$(get '[len(w := d["response"]["warnings"]), 63 + int(w[-1].split()[2])]' 2>/dev/null)"
check "400 containers: findings annotation <= 16 KiB, valid JSON, shown + omitted = 5200" '[true, 5200]' \
  "$(get '[len((f := d["response"]["auditAnnotations"]["findings"]).encode()) <= 16384,
           len(a := __import__("json").loads(f)) - 1 + a[-1]["omitted"]]' 2>/dev/null)"
still_ok "a response at its caps"

# Duplicate keys: the last one wins, as in the apiserver's decoder.
python3 - "$A/pod-bad-init.json" "$E2E_TMP" <<'PY'
import sys
s = open(sys.argv[1]).read()
assert s.count('"privileged": true') == 1
open(sys.argv[2] + "/dup-true.json", "w").write(
    s.replace('"privileged": true', '"privileged": false, "privileged": true'))
open(sys.argv[2] + "/dup-false.json", "w").write(
    s.replace('"privileged": true', '"privileged": true, "privileged": false'))
PY
post "$E2E_TMP/dup-true.json"
check "duplicate privileged false, true: denied for privileged" '200 false true' \
  "$STATUS $(get 'd["response"]["allowed"]') $(get '"must not be privileged" in d["response"]["status"]["message"]')"
post "$E2E_TMP/dup-false.json"
check "duplicate privileged true, false: the privileged finding is gone" '200 false false' \
  "$STATUS $(get 'd["response"]["allowed"]') $(get '"must not be privileged" in d["response"]["status"]["message"]')"

# --- slow, silent and wrong-protocol clients ------------------------------------------
# A client that sends its headers over 3 s, a piece every 0.2 s (each gap well
# under --request-timeout 2), must still be answered.
out=$(timeout 20 python3 - "$PORT" "$CERTS/ca.crt" "$H" <<'PY'
import json, socket, ssl, sys, time
port, ca, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
body = open(path, "rb").read()
ctx = ssl.create_default_context(cafile=ca)
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10),
                    server_hostname="localhost")
head = (b"POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body))
step = -(-len(head) // 15)
start = time.monotonic()
for i in range(0, len(head), step):
    s.sendall(head[i:i + step])
    time.sleep(0.2)
s.sendall(body)
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
status = data.split(b" ", 2)[1].decode()
resp = json.loads(data.split(b"\r\n\r\n", 1)[1])
print(status, str(resp["response"]["allowed"]).lower(), "%.1f" % (time.monotonic() - start))
PY
)
check "slow client (headers over 3 s): answered and allowed" "200 true" "${out% *}"
echo "     (slow client took ${out##* } s)"
still_ok "slow client"

# silent NAME TLS: a client that connects (and with TLS=1 completes the
# handshake) and then sends nothing is disconnected after --request-timeout 2.
silent() {
  local secs
  secs=$(timeout 15 python3 - "$PORT" "$CERTS/ca.crt" "$2" <<'PY'
import socket, ssl, sys, time
port, ca, tls = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "1"
s = socket.create_connection(("127.0.0.1", port), timeout=10)
if tls:
    s = ssl.create_default_context(cafile=ca).wrap_socket(s, server_hostname="localhost")
start = time.monotonic()
try:
    while s.recv(100):
        pass
except (ConnectionError, ssl.SSLError):
    pass
print("%.2f" % (time.monotonic() - start))
PY
)
  if [ -n "$secs" ] && python3 -c 'import sys; t=float(sys.argv[1]); sys.exit(not 1.5 <= t <= 3.0)' "$secs"; then
    pass "$1: closed by the server after $secs s"
  else
    fail "$1: closed by the server after 2 s (+1)" "expected: 1.5 to 3.0 s" "actual:   '$secs'"
  fi
  still_ok "$1"
}
silent "TLS client that sends nothing" 1
silent "TCP client that never starts TLS" 0

# Between requests a keep-alive connection may idle for --idle-timeout (30),
# not just --request-timeout (2).
out=$(timeout 20 python3 - "$PORT" "$CERTS/ca.crt" <<'PY'
import http.client, ssl, sys, time
ctx = ssl.create_default_context(cafile=sys.argv[2])
c = http.client.HTTPSConnection("localhost", int(sys.argv[1]), context=ctx, timeout=10)
codes = []
for i in range(2):
    c.request("GET", "/healthz")
    r = c.getresponse()
    r.read()
    codes.append(str(r.status))
    sock = c.sock
    if i == 0:
        time.sleep(3.5)
print(" ".join(codes), "same-connection" if c.sock is sock else "reconnected")
PY
)
check "keep-alive connection idle 3.5 s between requests: both answered on it" \
  "200 200 same-connection" "$out"

code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/healthz")
check "plain HTTP to the TLS port: connection closed without a response" 000 "$code"
still_ok "plain HTTP to the TLS port"
head -c 4096 /dev/urandom >"$E2E_TMP/noise"
timeout 5 python3 - "$PORT" "$E2E_TMP/noise" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=4)
s.sendall(b"\x16\x03\x01\x10\x00" + open(sys.argv[2], "rb").read())
try:
    s.recv(100)
except OSError:
    pass
PY
still_ok "random bytes after a TLS record header"

# tls VERSION [CIPHERS]: prints "rc=N PROTOCOL CIPHER" for an openssl s_client handshake.
tls() {
  local rc=0
  timeout 10 openssl s_client "-$1" ${2:+-cipher "$2"} -connect "127.0.0.1:$PORT" \
    -servername localhost -CAfile "$CERTS/ca.crt" -verify_return_error \
    </dev/null >"$E2E_TMP/s_client.out" 2>&1 || rc=$?
  echo "rc=$rc $(sed -n 's/^New, \([^,]*\), Cipher is \(.*\)$/\1 \2/p' "$E2E_TMP/s_client.out" | head -1)"
}
# SECLEVEL=0 so that this OpenSSL offers the old versions at all.
check "TLS 1.0 handshake refused" "rc=1 (NONE) (NONE)" "$(tls tls1 'DEFAULT:@SECLEVEL=0')"
check "TLS 1.1 handshake refused" "rc=1 (NONE) (NONE)" "$(tls tls1_1 'DEFAULT:@SECLEVEL=0')"
check "TLS 1.2 without ECDHE+AEAD refused" "rc=1 (NONE) (NONE)" "$(tls tls1_2 'AES128-SHA:AES256-SHA256')"
check "TLS 1.2 handshake" "rc=0 TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256" "$(tls tls1_2)"
out=$(tls tls1_3)
check "TLS 1.3 handshake" "rc=0 TLSv1.3" "${out% *}"
still_ok "old TLS versions"

check "process still alive after all bad input" yes "$(server_alive && echo yes || echo no)"
check "/healthz still answers" '{"status":"ok"}' "$(hp_curl "https://localhost:$PORT/healthz")"
errors=$(grep -c '"level":"error"' "$SERVER_LOG")
check "no error-level log lines" 0 "$errors"
stop_server
check "SIGTERM after bad input: exit 0 (no sanitizer report)" 0 "$?"

# --- the connection limit ------------------------------------------------------------
# With --max-connections 1, a second client is not served while the first
# holds its connection, is counted as refused, and the server serves again
# once the first one leaves.
start_server --tls-cert "$CERTS/tls.crt" --tls-key "$CERTS/tls.key" --shutdown-delay 0 \
  --max-connections 1 --threads 1 || exit 1
out=$(timeout 20 python3 - "$PORT" "$CERTS/ca.crt" <<'PY'
import socket, ssl, sys
port, ctx = int(sys.argv[1]), ssl.create_default_context(cafile=sys.argv[2])
def connect(timeout):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=timeout),
                        server_hostname="localhost")
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
    return s, s.recv(12).decode()
held, first = connect(5)
try:
    extra, second = connect(1.5)
    extra.close()
except (OSError, ssl.SSLError):
    second = "not-served"
held.close()
print(first, second)
PY
)
check "connection limit 1: first served, second not" "HTTP/1.1 200 not-served" "$out"
check "connection limit: served again once the first connection closed" '{"status":"ok"}' \
  "$(wait_until 5 hp_curl "https://localhost:$PORT/healthz")"
refused=$(metric hardpod_connections_refused_total)
if [ "${refused:-0}" -ge 1 ]; then
  pass "connection limit: the refused connection is counted ($refused)"
else
  fail "connection limit: the refused connection is counted" "hardpod_connections_refused_total: ${refused:-absent}"
fi
if [ "$(log_count "connection refused: the connection limit is reached")" -ge 1 ]; then
  pass "connection limit: the refusal is logged"
else
  fail "connection limit: the refusal is logged" "no such log line"
fi
stop_server
check "connection limit server: exit 0" 0 "$?"

finish
