# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Shared by the fault and load tests (sourced, never run): the end-to-end
# helpers of tests/e2e/lib.sh, plus background processes stopped by PID at
# exit, /proc sampling of the server's memory and descriptors, and wrk runs
# driven by reviews.lua whose counts are read back from its "hpcounts" line.

source "$(dirname "${BASH_SOURCE[0]}")/../e2e/lib.sh"
FAULTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
A=$FIXTURES/admission
ALLOW=$A/hardened-deployment.json
DENY=$A/aspnet-template-deployment.json
MALFORMED=$A/malformed.json
BG_PIDS=()

# track PID: the background process PID is stopped (SIGTERM, then waited
# for) when the test exits, before the server and the temporary directory.
track() {
  BG_PIDS+=("$1")
}

faults_cleanup() {
  local pid
  for pid in "${BG_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null
  done
  for pid in "${BG_PIDS[@]}"; do
    wait "$pid" 2>/dev/null
  done
  cleanup
}
trap faults_cleanup EXIT

# sanitized: true in the sanitizer build (HP_SANITIZE non-empty).
sanitized() {
  [ -n "${HP_SANITIZE:-}" ]
}

# plain_build_only WHAT: exits 77 (skip) in the sanitizer build.
plain_build_only() {
  if sanitized; then
    echo "SKIP: $1 runs in the plain build only (this build: HP_SANITIZE=$HP_SANITIZE)"
    exit 77
  fi
}

# no_sanitizer_report NAME [LOG]: the server's stderr holds no ASan, LSan or
# UBSan report (trivially true in the plain build, where there are none).
no_sanitizer_report() {
  local n
  n=$(grep -cE 'ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: (Address|Undefined)' \
    "${2:-$SERVER_LOG}")
  if [ "$n" -eq 0 ]; then
    pass "$1: no sanitizer report in the server's stderr"
  else
    fail "$1: no sanitizer report in the server's stderr" \
      "$(grep -m3 -E 'Sanitizer|runtime error' "${2:-$SERVER_LOG}")"
  fi
}

# stop_server_within SECONDS: SIGTERM, then at most SECONDS for the server
# to exit; returns its exit status, or 124 after killing a server that hung.
stop_server_within() {
  [ -n "$SERVER_PID" ] || return 0
  kill -TERM "$SERVER_PID" 2>/dev/null
  local i
  for ((i = 0; i < $1 * 10; i++)); do
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "     the server did not exit within $1 s of SIGTERM: killed"
    kill -KILL "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=""
    return 124
  fi
  stop_server
}

# secret_init DIR CERT KEY, secret_swap DIR CERT KEY: a Kubernetes Secret
# volume in DIR (tls.crt -> ..data/tls.crt, ..data -> a timestamped
# directory); secret_swap makes a new timestamped directory and renames a
# ..data_tmp symlink over ..data, as the kubelet does.
SECRET_VERSION=0
secret_swap() {
  local dir=$1 name
  SECRET_VERSION=$((SECRET_VERSION + 1))
  name=..$(date +%Y_%m_%d_%H_%M_%S).$SECRET_VERSION
  mkdir -p "$dir/$name"
  cp "$2" "$dir/$name/tls.crt"
  cp "$3" "$dir/$name/tls.key"
  ln -s "$name" "$dir/..data_tmp" && mv -T "$dir/..data_tmp" "$dir/..data"
}
secret_init() {
  mkdir -p "$1"
  secret_swap "$@"
  ln -s ..data/tls.crt "$1/tls.crt"
  ln -s ..data/tls.key "$1/tls.key"
}

# rss_kib PID and fd_count PID: resident memory (KiB) and open descriptors.
rss_kib() {
  awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null
}
fd_count() {
  local fds=("/proc/$1/fd/"*)
  echo "${#fds[@]}"
}

# start_sampler PID FILE MAX_SECONDS: appends "EPOCH_SECONDS RSS_KIB FDS" to
# FILE every second while PID runs, at most MAX_SECONDS times; sets
# SAMPLER_PID. Stop it with stop_sampler.
start_sampler() {
  local pid=$1 file=$2 max=$3
  (
    for ((i = 0; i < max; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      echo "$(date +%s.%N) $(rss_kib "$pid") $(fd_count "$pid")" >>"$file"
      sleep 1
    done
  ) &
  SAMPLER_PID=$!
  track "$SAMPLER_PID"
}
stop_sampler() {
  kill -TERM "$SAMPLER_PID" 2>/dev/null
  wait "$SAMPLER_PID" 2>/dev/null
  SAMPLER_PID=""
}

# start_wrk OUT THREADS CONNECTIONS PER_THREAD MAX_SECONDS [wrk args...]:
# starts wrk with reviews.lua against /validate for at most MAX_SECONDS,
# each thread stopping after PER_THREAD answers (0: no limit); the report
# goes to OUT. HP_WRK_BODIES (default: allow, deny and malformed reviews)
# and HP_WRK_CLOSE pass through to the script. Sets WRK_PID. run_wrk takes
# the same arguments and waits for the end (wait_wrk).
start_wrk() {
  local out=$1 threads=$2 conns=$3 per_thread=$4 secs=$5
  shift 5
  WRK_DONE=$(mktemp -d "$E2E_TMP/wrk-done.XXXXXX")
  WRK_THREADS=$threads
  HP_WRK_BODIES=${HP_WRK_BODIES:-allow=$ALLOW,deny=$DENY,malformed=$MALFORMED} \
    HP_WRK_LIMIT=$per_thread HP_WRK_DONE_DIR=$WRK_DONE \
    wrk -t"$threads" -c"$conns" -d"${secs}s" --timeout 10s -s "$FAULTS_DIR/reviews.lua" "$@" \
    "https://127.0.0.1:$PORT/validate" >"$out" 2>&1 &
  WRK_PID=$!
  track "$WRK_PID"
}

# wait_wrk: waits until every wrk thread reached its limit (then interrupts
# wrk so that it reports) or wrk ended on its duration.
wait_wrk() {
  local done_files
  while kill -0 "$WRK_PID" 2>/dev/null; do
    done_files=("$WRK_DONE"/thread-*)
    if [ -e "${done_files[0]}" ] && [ "${#done_files[@]}" -ge "$WRK_THREADS" ]; then
      kill -INT "$WRK_PID" 2>/dev/null
      break
    fi
    sleep 0.2
  done
  wait "$WRK_PID"
  WRK_PID=""
}

run_wrk() {
  start_wrk "$@"
  wait_wrk
}

# wrk_count KEY OUT: one value of reviews.lua's "hpcounts" line in OUT.
wrk_count() {
  sed -n 's/^hpcounts.* '"$1"'=\([0-9]*\).*/\1/p' "$2" | head -1
}

# wrk_socket_errors OUT: connect+read+write+timeout errors of a wrk run.
wrk_socket_errors() {
  echo $(($(wrk_count connect_err "$1") + $(wrk_count read_err "$1") + \
    $(wrk_count write_err "$1") + $(wrk_count timeout_err "$1")))
}

# check_answers NAME OUT CONNECTIONS: every answer of a wrk run matched its
# request kind, and each kind's answers are its requests less at most one
# in flight per connection when wrk was interrupted.
check_answers() {
  local name=$1 out=$2 conns=$3 kind sent got bad=""
  if ! grep -q '^hpcounts' "$out"; then
    fail "$name: wrk reported" "$(tail -5 "$out")"
    return
  fi
  check "$name: no unexpected answer (status or body)" 0 "$(wrk_count got_other "$out")"
  for kind in allow deny malformed; do
    sent=$(wrk_count "sent_$kind" "$out")
    got=$(wrk_count "got_$kind" "$out")
    if [ "$got" -gt "$sent" ] || [ "$got" -lt $((sent - conns)) ]; then
      bad="$bad $kind: sent $sent, answered $got;"
    fi
  done
  if [ -z "$bad" ]; then
    pass "$name: every request kind answered as expected (at most one in flight per connection at the end)"
  else
    fail "$name: every request kind answered as expected" "$bad"
  fi
  check "$name: the only non-2xx answers are the 400s for malformed bodies" \
    "$(wrk_count got_malformed "$out")" "$(wrk_count status_err "$out")"
}

# elapsed_ms T0_NS: milliseconds since T0_NS (from date +%s%N).
elapsed_ms() {
  echo $((($(date +%s%N) - $1) / 1000000))
}

# at_most NAME VALUE LIMIT [UNIT]: passes when VALUE <= LIMIT (numbers, may be
# fractional).
at_most() {
  if awk -v v="$2" -v l="$3" 'BEGIN { exit !(v + 0 <= l + 0) }'; then
    pass "$1 ($2${4:-} <= $3${4:-})"
  else
    fail "$1" "expected: <= $3${4:-}" "actual:   $2${4:-}"
  fi
}

# at_least NAME VALUE LIMIT [UNIT]: passes when VALUE >= LIMIT.
at_least() {
  if awk -v v="$2" -v l="$3" 'BEGIN { exit !(v + 0 >= l + 0) }'; then
    pass "$1 ($2${4:-} >= $3${4:-})"
  else
    fail "$1" "expected: >= $3${4:-}" "actual:   $2${4:-}"
  fi
}
