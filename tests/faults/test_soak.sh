#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Soak: `hardpod serve` (default threads) answers a million reviews over
# keep-alive TLS connections from wrk, cycling allowed, denied and malformed
# bodies, without one wrong answer or socket error, without growing its
# resident memory after a warm-up, and with its descriptors back to the idle
# count when the clients leave. The server's RSS and descriptors are sampled
# every second from /proc.
#
# HP_SOAK_REQUESTS (default 1000000; 200000 in the sanitizer build, where
# every request is several times slower), HP_SOAK_WARMUP (100000 requests
# before the soak, on connections of their own), HP_SOAK_CONNECTIONS (32)
# and HP_SOAK_MAX_SECONDS (600, the bound on each wrk run) make it longer or
# shorter.

source "$(dirname "${BASH_SOURCE[0]}")/faults.sh"
need wrk curl openssl
CERTS=$E2E_TMP/certs
make_certs "$CERTS"

if sanitized; then
  REQUESTS=${HP_SOAK_REQUESTS:-200000}
  echo "     sanitizer build ($HP_SANITIZE): $REQUESTS requests unless HP_SOAK_REQUESTS is set"
else
  REQUESTS=${HP_SOAK_REQUESTS:-1000000}
fi
CONNS=${HP_SOAK_CONNECTIONS:-32}
MAX_SECONDS=${HP_SOAK_MAX_SECONDS:-600}
THREADS=2
WARMUP=${HP_SOAK_WARMUP:-100000}
GROWTH_LIMIT_KIB=1024

start_server --tls-cert "$CERTS/tls.crt" --tls-key "$CERTS/tls.key" --shutdown-delay 0 || exit 1
SAMPLES=$E2E_TMP/samples
: >"$SAMPLES"
IDLE_FDS=$(fd_count "$SERVER_PID")
IDLE_RSS=$(rss_kib "$SERVER_PID")
start_sampler "$SERVER_PID" "$SAMPLES" $((MAX_SECONDS * 2 + 60))

# --- warm-up, on connections of its own ---------------------------------------------
run_wrk "$E2E_TMP/warmup.out" "$THREADS" "$CONNS" $(((WARMUP + THREADS - 1) / THREADS)) \
  "$MAX_SECONDS"
check_answers "warm-up" "$E2E_TMP/warmup.out" "$CONNS"
WARM_LINES=$(wc -l <"$SAMPLES")
BASE_RSS=$(awk '{ if ($2 > m) m = $2 } END { print m }' "$SAMPLES")

# --- the soak ------------------------------------------------------------------------
t0=$(date +%s%N)
run_wrk "$E2E_TMP/soak.out" "$THREADS" "$CONNS" $(((REQUESTS + THREADS - 1) / THREADS)) \
  "$MAX_SECONDS"
ms=$(elapsed_ms "$t0")
SOAK_LINES=$(wc -l <"$SAMPLES")
idle_again() { [ "$(fd_count "$SERVER_PID")" -eq "$IDLE_FDS" ]; }
wait_until 5 idle_again
AFTER_FDS=$(fd_count "$SERVER_PID")
sleep 1.2 # one more sample with the clients gone
stop_sampler

OUT=$E2E_TMP/soak.out
answered=$(($(wrk_count got_allow "$OUT") + $(wrk_count got_deny "$OUT") + \
  $(wrk_count got_malformed "$OUT")))
rate=$(awk -v n="$answered" -v ms="$ms" 'BEGIN { printf "%.0f", n * 1000 / ms }')
echo "     soak: $answered answers in $ms ms ($rate req/s) over $CONNS keep-alive connections," \
  "$THREADS wrk threads, after a warm-up of $(wrk_count requests "$E2E_TMP/warmup.out")"
echo "     wrk: $(grep '^hpcounts' "$OUT")"
check_answers "soak" "$OUT" "$CONNS"
at_least "soak: at least $REQUESTS requests answered" "$answered" "$REQUESTS"
check "soak: no socket error (connect, read, write, timeout)" 0 "$(wrk_socket_errors "$OUT")"
check "warm-up: no socket error" 0 "$(wrk_socket_errors "$E2E_TMP/warmup.out")"

# Samples after the warm-up: lines WARM_LINES+1 .. end.
stats() {
  awk -v from="$1" -v col="$2" 'NR > from {
      v = $col; if (min == "" || v < min) min = v; if (v > max) max = v; last = v }
    END { print min, max, last }' "$SAMPLES"
}
read -r RSS_MIN RSS_MAX RSS_LAST < <(stats "$WARM_LINES" 2)
read -r FD_MIN FD_MAX FD_LAST < <(stats "$WARM_LINES" 3)
echo "     RSS KiB: idle $IDLE_RSS, warm-up peak $BASE_RSS; after warm-up min $RSS_MIN max $RSS_MAX" \
  "last $RSS_LAST ($((SOAK_LINES - WARM_LINES)) samples)"
echo "     open fds: idle $IDLE_FDS; after warm-up min $FD_MIN max $FD_MAX last $FD_LAST;" \
  "after wrk stopped $AFTER_FDS"
if sanitized; then
  # ASan keeps freed blocks in a quarantine (256 MiB by default) and its
  # allocator never returns them at once, so RSS climbs for reasons that are
  # not leaks. Leaks are caught instead by LeakSanitizer when the server exits.
  echo "     RSS growth not asserted in the sanitizer build: ASan's quarantine grows;" \
    "LeakSanitizer checks leaks at exit"
else
  at_most "soak: RSS growth after the warm-up (peak over the warm-up peak)" \
    $((RSS_MAX - BASE_RSS)) "$GROWTH_LIMIT_KIB" " KiB"
  at_most "soak: RSS after the clients left, over the warm-up peak" \
    $((RSS_LAST - BASE_RSS)) "$GROWTH_LIMIT_KIB" " KiB"
fi
at_most "soak: open fds stay flat (idle + one per connection + 2)" "$FD_MAX" \
  $((IDLE_FDS + CONNS + 2))
check "soak: open fds back to the idle count when wrk stops" "$IDLE_FDS" "$AFTER_FDS"

out=$(review "$ALLOW")
check "after the soak: a review is answered" "200 true" \
  "${out:0:3} $(json_get 'd["response"]["allowed"]' <<<"${out:4}")"
check "log: no error-level line" 0 "$(grep -c '"level":"error"' "$SERVER_LOG")"
stop_server_within 30
check "SIGTERM after the soak: exit 0" 0 "$?"
no_sanitizer_report "soak"
finish
