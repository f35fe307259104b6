#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Memory under hostile and huge admission traffic: `hardpod serve` with a
# 16 MiB --memory-budget keeps its peak resident memory (VmHWM) under its idle
# RSS + the budget + a fixed allowance through every attack class the
# memory issue names, gives every legal object its correct verdict, refuses
# what can never fit with a JSON 413, cuts bodies that trickle, and returns to
# near its idle RSS afterwards:
#   - a legal Pod with 78,000 env entries (2.6 MB), as a CREATE and as an
#     UPDATE with oldObject (5.3 MB);
#   - four concurrent 5.3 MB UPDATEs (they must wait for one another) and
#     four concurrent 500 KB UPDATEs;
#   - 1 MB of empty objects outside anything read, 1 MB of annotations
#     nothing reads, and 330,000 empty containers (a tree of 270 MB);
#   - a request that cannot get memory before its ?timeout=: a JSON 503;
#   - 20 connections that declare 7 MB, send 6 MB and then one byte a second.
# In the sanitizer build the RSS figures are meaningless (shadow memory and
# quarantine): the verdict, status and message assertions still run there.
#
# HP_MEMORY_ALLOWANCE_KIB (default 8192): what the process may use beyond
# idle + budget (TLS sessions and connection pools of the 20 slow
# connections, thread stacks, allocator slack).

source "$(dirname "${BASH_SOURCE[0]}")/faults.sh"
need curl openssl python3
CERTS=$E2E_TMP/certs
make_certs "$CERTS"
M="python3 $FAULTS_DIR/memory.py"
BUDGET=$((16 << 20))
ALLOW_KIB=${HP_MEMORY_ALLOWANCE_KIB:-8192}

for k in env-create env-update update empty-objects empty-containers big-annotations; do
  $M body "$k" >"$E2E_TMP/$k.json"
done

start_server --tls-cert "$CERTS/tls.crt" --tls-key "$CERTS/tls.key" --threads 2 \
  --memory-budget "$BUDGET" --body-timeout 3 --request-timeout 3 || exit 1
sleep 0.3
hwm_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$SERVER_PID/status"; }
IDLE=$(rss_kib "$SERVER_PID")
CEILING=$((IDLE + BUDGET / 1024 + ALLOW_KIB))
echo "     idle RSS $IDLE KiB; ceiling $CEILING KiB (idle + budget $((BUDGET / 1024)) KiB + allowance $ALLOW_KIB KiB)"

under_ceiling() { # NAME
  local h
  h=$(hwm_kib)
  if sanitized; then
    echo "     $1: VmHWM $h KiB (not asserted in the sanitizer build)"
  else
    at_most "$1: peak RSS (VmHWM) under idle + budget + allowance" "$h" "$CEILING" " KiB"
  fi
}

back_to_idle() { # NAME
  sleep 0.5
  local r
  r=$(rss_kib "$SERVER_PID")
  if sanitized; then
    echo "     $1: RSS $r KiB (not asserted in the sanitizer build)"
  else
    at_most "$1: RSS back near idle (idle + 4 MiB)" "$r" $((IDLE + 4096)) " KiB"
  fi
}

answer() { # FILE [N] -> JSON lines
  $M post "$PORT" "$CERTS/ca.crt" "$E2E_TMP/$1.json" "${2:-1}"
}
field() { python3 -c 'import json,sys
for line in sys.stdin:
    d = json.loads(line); print(eval(sys.argv[1], {"d": d}))' "$1"; }

# --- legal large objects get their verdict ---------------------------------------------
for k in env-create env-update; do
  out=$(answer "$k")
  check "$k: HTTP 200" 200 "$(field 'd["status"]' <<<"$out")"
  check "$k: allowed, with the Kestrel port warning at its real index env[39000]" \
    "True True" "$(field 'd["body"]["response"]["allowed"], any("env[39000].value" in w for w in d["body"]["response"]["warnings"])' <<<"$out" | tr -d '(),')"
  under_ceiling "$k"
done
back_to_idle "large objects"

out=$(answer env-update 4)
check "4 concurrent 5.3 MB UPDATEs: all 200 and allowed" "200 True,200 True,200 True,200 True" \
  "$(field 'd["status"], d["body"]["response"]["allowed"]' <<<"$out" | tr -d '(),' | paste -sd, -)"
under_ceiling "4 concurrent 5.3 MB UPDATEs"
out=$(answer update 4)
check "4 concurrent 500 KB UPDATEs: all 200" "200,200,200,200" "$(field 'd["status"]' <<<"$out" | paste -sd, -)"
back_to_idle "concurrent UPDATEs"
waits=$(hp_curl "https://localhost:$PORT/metrics" | awk '$1 == "hardpod_memory_waits_total" { print $2 }')
at_least "the 5.3 MB UPDATEs waited for one another (hardpod_memory_waits_total)" "$waits" 1

# --- what nothing reads costs nothing; what can never fit is refused -------------------
out=$(answer empty-objects)
check "1 MB of empty objects outside the review: 400, not an AdmissionReview" \
  "400 request body: expected object, got array" "$(field 'str(d["status"]) + " " + d["body"]["error"]' <<<"$out")"
out=$(answer big-annotations)
check "1 MB of annotations nothing reads: 200 allowed" "200 True" \
  "$(field 'd["status"], d["body"]["response"]["allowed"]' <<<"$out" | tr -d '(),')"
out=$(answer empty-containers)
check "330,000 empty containers: 413" 413 "$(field 'd["status"]' <<<"$out")"
check_contains "330,000 empty containers: the message names the need and the budget" \
  "$(field 'd["body"]["error"]' <<<"$out")" "more than the whole memory budget of $BUDGET bytes"
under_ceiling "hostile shapes"
rejected=$(hp_curl "https://localhost:$PORT/metrics" | grep -c '^hardpod_memory_rejected_total{reason="too_large"} 1$')
check "counted in hardpod_memory_rejected_total{reason=\"too_large\"}" 1 "$rejected"

# --- a request that cannot get memory in time: 503 with the reason ------------------------
# Two trickling 7 MB bodies: the first holds 14 MiB of the 16 MiB budget until
# --body-timeout cuts it, the second waits for memory; a 5.3 MB UPDATE with
# ?timeout=2s queues behind them and is answered 503 shortly before its 2 s,
# with hardpod's JSON, instead of the caller timing out.
$M slow "$PORT" "$CERTS/ca.crt" 2 $((7 << 20)) $((1 << 20)) 6 >/dev/null &
SLOW=$!
track "$SLOW"
sleep 0.5
t0=$(date +%s%N)
out=$($M post "$PORT" "$CERTS/ca.crt" "$E2E_TMP/env-update.json" 1 2s)
ms=$(elapsed_ms "$t0")
check "no memory within ?timeout=2s: 503" 503 "$(field 'd["status"]' <<<"$out")"
check_contains "no memory within ?timeout=2s: the message says why" \
  "$(field 'd["body"]["error"]' <<<"$out")" "hardpod is busy: this request needs"
echo "     answered after $ms ms (the wait ends at 80% of the 2 s timeout, then the body is read and dropped)"
wait "$SLOW"
timeouts=$(hp_curl "https://localhost:$PORT/metrics" | awk '$1 == "hardpod_memory_rejected_total{reason=\"timeout\"}" { print $2 }')
at_least "counted in hardpod_memory_rejected_total{reason=\"timeout\"}" "$timeouts" 1

# --- slow large bodies ----------------------------------------------------------------------
out=$($M slow "$PORT" "$CERTS/ca.crt" 20 $((7 << 20)) $((6 << 20)) 20)
echo "     slow bodies: $out"
check "20 trickling 7 MB bodies: none still open after 20 s" 0 "$(field 'd["open"]' <<<"$out")"
under_ceiling "20 trickling 7 MB bodies"
out=$(answer update)
check "a legal review right after the trickling bodies: 200" 200 "$(field 'd["status"]' <<<"$out")"
check_contains "log: the trickling bodies were cut by --body-timeout" \
  "$(log_lines 'request body too slow: connection closed' | head -1)" '"bodyTimeoutSeconds":3'
back_to_idle "after every attack"
in_use=$(hp_curl "https://localhost:$PORT/metrics" | awk '$1 == "hardpod_memory_in_use_bytes" { print $2 }')
check "nothing is left charged to the budget" 0 "$in_use"

stop_server
no_sanitizer_report "memory"
finish
