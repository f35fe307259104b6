#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `hardpod audit` at cluster scale:
#
#   bench/audit_scale.sh [PODS] [SEED]      (default 100000 pods, seed 1)
#
# Generates what `kubectl get pods,deploy,rs,sts,ds,jobs,cronjobs -A -o json`
# prints for a cluster of PODS pods (bench/gen_cluster.py) into a scratch
# file, then streams the same bytes through stdin into, in turn,
#   - hardpod audit --format json -
#   - hardpod audit --format text -
#   - python3 -c 'import json,sys; json.load(sys.stdin)'   (a parse-only baseline)
# and prints wall time and peak RSS of each, and hardpod's ratios to the
# baseline. Peak RSS is GNU time's %M when /usr/bin/time is GNU time, else
# Python's getrusage of the child. hardpod is built in Release mode into
# build/bench-release (or HP_BIN names the binary to measure). Nothing is
# timed against a threshold here: the figures go to docs/performance.md.
set -euo pipefail

PODS=${1:-100000}
SEED=${2:-1}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ -z "${HP_BIN:-}" ]; then
  cmake -S "$ROOT" -B "$ROOT/build/bench-release" -DCMAKE_BUILD_TYPE=Release -DHP_SANITIZE= \
    -DHP_TESTS=OFF >/dev/null
  cmake --build "$ROOT/build/bench-release" -j2 --target hardpod >/dev/null
  HP_BIN=$ROOT/build/bench-release/hardpod
fi
TMP=$(mktemp -d /tmp/hp-audit-scale.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

python3 "$ROOT/bench/gen_cluster.py" --pods "$PODS" --seed "$SEED" >"$TMP/cluster.json"
BYTES=$(stat -c %s "$TMP/cluster.json")

GNU_TIME=
if /usr/bin/time -f %M true >/dev/null 2>&1; then
  GNU_TIME=/usr/bin/time
fi

# measure NAME CMD...: runs CMD with the input on stdin and its output in
# $TMP/NAME.out; sets SECS, KIB and RC.
measure() {
  local name=$1
  shift
  if [ -n "$GNU_TIME" ]; then
    set +e
    "$GNU_TIME" -o "$TMP/$name.time" -f "%e %M" "$@" <"$TMP/cluster.json" >"$TMP/$name.out"
    RC=$?
    set -e
    read -r SECS KIB < <(tail -n 1 "$TMP/$name.time")
  else
    python3 - "$TMP/$name" "$TMP/cluster.json" "$@" <<'EOF'
import resource, subprocess, sys, time
base, inp, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
t = time.monotonic()
with open(inp, "rb") as i, open(base + ".out", "wb") as o:
    rc = subprocess.call(cmd, stdin=i, stdout=o)
secs = time.monotonic() - t
with open(base + ".time", "w") as f:
    print("%.2f %d %d" % (secs, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, rc), file=f)
EOF
    read -r SECS KIB RC <"$TMP/$name.time"
  fi
}

echo "# hardpod audit at cluster scale: $PODS pods, seed $SEED, $((BYTES / 1048576)) MiB of JSON"
echo "# binary: $HP_BIN; peak RSS read with ${GNU_TIME:-Python getrusage}"
echo "# machine: $(uname -srm), $(nproc) CPUs, $(awk '/MemTotal/ {print int($2/1048576) " GiB"}' /proc/meminfo)"
printf '%-34s %10s %14s %6s\n' "run" "wall (s)" "peak RSS (MiB)" "exit"

measure baseline python3 -c 'import json,sys; json.load(sys.stdin)'
BASE_S=$SECS
BASE_K=$KIB
printf '%-34s %10s %14s %6s\n' "python3 json.load (parse only)" "$SECS" "$((KIB / 1024))" "$RC"

for fmt in json text; do
  measure "hardpod-$fmt" "$HP_BIN" audit --format "$fmt" -
  printf '%-34s %10s %14s %6s\n' "hardpod audit --format $fmt -" "$SECS" "$((KIB / 1024))" "$RC"
  python3 -c 'import sys; s, k, bs, bk = map(float, sys.argv[1:]); print("  time ratio to the baseline %.2f, peak RSS ratio %.3f" % (s / bs, k / bk))' \
    "$SECS" "$KIB" "$BASE_S" "$BASE_K"
  if [ "$RC" -gt 1 ]; then
    echo "  hardpod exited $RC:" >&2
    tail -5 "$TMP/hardpod-$fmt.out" >&2
  fi
done
tail -n 1 "$TMP/hardpod-text.out" | sed 's/^/# /'
