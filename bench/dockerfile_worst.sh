#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The cost of reading the worst Dockerfiles hardpod accepts, as `hardpod audit`
# reads them: writes three hostile files and one ordinary 1 MiB file, audits
# each alone and prints wall time, peak RSS (GNU time) and the exit status (2:
# refused at a limit, as the hostile ones are). The figures are the
# whole process's (the binary and its libraries included).
#   bench/dockerfile_worst.sh [HARDPOD]     default: build/release/hardpod
set -euo pipefail
bin=${1:-build/release/hardpod}
[ -x "$bin" ] || { echo "bench/dockerfile_worst.sh: $bin is not built" >&2; exit 2; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 - "$dir" <<'PY'
import os, sys
d = sys.argv[1]
def write(name, text):
    open(os.path.join(d, name), "w").write(text)
# A variable doubled in every ARG until the 16 MiB substitution stop.
write("doubling", "FROM scratch\nARG A=xxxxxxxxxxxxxxxx\n" +
      "".join("ARG A=${A}${A}\n" for _ in range(40)) + "USER 10001\n")
# 999 chained stages, each growing a variable.
write("stages", "FROM scratch AS s0\nENV V=x\n" +
      "".join("FROM s%d AS s%d\nENV V=${V}x\n" % (i - 1, i) for i in range(1, 1000)) +
      "USER 10001\n")
# 250 copies of a 64 KiB value (lines just under BuildKit's 65,535-byte limit).
write("wide", "FROM scratch\nARG W=" + "x" * 65000 + "\n" +
      "".join("ENV E%d=${W}\n" % i for i in range(250))[: 1024 * 1024 - 70000] + "USER 10001\n")
# 1 MiB of ordinary instructions.
lines = ["FROM scratch", "USER 10001"]
while sum(len(l) + 1 for l in lines) < 1024 * 1024 - 100:
    lines.append("RUN echo building the application layer, a line long enough that 1 MiB stays under 20,000 instructions")
write("ordinary", "\n".join(lines) + "\n")
PY
printf '%-10s %10s %10s %8s  %s\n' file bytes "peak RSS" time result
for f in doubling stages wide ordinary; do
  out=$( { /usr/bin/time -f "%M %e" "$bin" audit --format json --dockerfile "$dir/$f" >/dev/null; } 2>&1 | tail -1) || true
  rc=$("$bin" audit --dockerfile "$dir/$f" >/dev/null 2>&1; echo $?) || true
  printf '%-10s %10s %7s KiB %6s s  exit %s\n' "$f" "$(stat -c %s "$dir/$f")" ${out% *} ${out#* } "$rc"
done
