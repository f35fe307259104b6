#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the libFuzzer harnesses (with json-c and libyaml instrumented) and
# runs each for a bounded time, then prints executions, exec/s and coverage
# per harness. Exits non-zero when any harness found a crash, leak, timeout,
# out-of-memory or sanitizer report; the input is saved under
# build/fuzz/crashes/<harness>/ and the log under build/fuzz/logs/.
#   fuzz/run.sh [--time SECONDS] [--jobs N] [--no-install] [HARNESS...]
# HARNESS is admission, config, dockerfile, manifest or utf8 (default: all).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/build/fuzz
time_s=60
jobs=1
install=1
only=()
usage() { sed -n '3,9p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case $1 in
    --time) time_s=${2:?--time needs seconds}; shift 2 ;;
    --time=*) time_s=${1#--time=}; shift ;;
    --jobs) jobs=${2:?--jobs needs a number}; shift 2 ;;
    --jobs=*) jobs=${1#--jobs=}; shift ;;
    --no-install) install=0; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "fuzz/run.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) only+=("$1"); shift ;;
  esac
done
[[ $time_s =~ ^[0-9]+$ && $time_s -gt 0 ]] || { echo "fuzz/run.sh: --time must be a positive number" >&2; exit 2; }
[[ $jobs =~ ^[0-9]+$ && $jobs -gt 0 ]] || { echo "fuzz/run.sh: --jobs must be a positive number" >&2; exit 2; }

harnesses=(admission config dockerfile manifest utf8)
if [ ${#only[@]} -gt 0 ]; then
  for h in "${only[@]}"; do
    [[ " ${harnesses[*]} " == *" $h "* ]] || { echo "fuzz/run.sh: unknown harness $h (${harnesses[*]})" >&2; exit 2; }
  done
  harnesses=("${only[@]}")
fi

# ---- what the build needs ---------------------------------------------------
if [ $install -eq 1 ]; then
  packages=(clang libclang-rt-14-dev cmake make pkg-config dpkg-dev xz-utils libyaml-dev
    ca-certificates debian-archive-keyring)
  "$root/scripts/install-deps.sh" "${packages[@]}"
fi

# ---- build --------------------------------------------------------------------
export CC=clang
"$root/fuzz/build-json-c.sh" "$out/json-c"
"$root/fuzz/build-libyaml.sh" "$out/libyaml"
cmake -S "$root/fuzz" -B "$out/build" -DCMAKE_BUILD_TYPE= \
  -DHP_FUZZ_JSONC_DIR="$out/json-c/install" -DHP_FUZZ_YAML_DIR="$out/libyaml/install" >/dev/null
cmake --build "$out/build" -j "${HP_FUZZ_BUILD_JOBS:-2}" -- --no-print-directory >/dev/null \
  || cmake --build "$out/build" -j 1

# ---- seeds --------------------------------------------------------------------
# Seeds are copied fresh into build/fuzz/seeds/<harness> at every run; what the
# fuzzer finds accumulates in build/fuzz/corpus/<harness> between runs.
fixtures=$root/tests/fixtures
shared=$root/../shared/corpus
seed() { # HARNESS FILE... : copies regular files into the seed dir of a harness that runs
  local dir=$out/seeds/$1 f
  shift
  [ -d "$dir" ] || return 0
  for f in "$@"; do
    [ -f "$f" ] || continue
    cp "$f" "$dir/$(printf '%s' "${f#"$root"/}" | tr '/' '_')"
  done
}
files() { # DIR [FIND ARGS]: regular files under DIR, nothing when it is absent
  local d=$1
  shift
  [ -d "$d" ] && find "$d" -type f "$@" | sort
  return 0
}
rm -rf "$out/seeds"
for h in "${harnesses[@]}"; do
  mkdir -p "$out/seeds/$h" "$out/corpus/$h" "$out/crashes/$h" "$out/logs"
  mapfile -t own < <(files "$fixtures/fuzz/$h")
  seed "$h" "${own[@]}"
done
mapfile -t adm < <(files "$fixtures/admission"; files "$fixtures/manifests" -name 'admission*')
mapfile -t man < <(files "$fixtures/manifests")
mapfile -t cfg < <(files "$fixtures/config")
seed admission "${adm[@]}"
seed manifest "${man[@]}" "${adm[@]}"
seed config "${cfg[@]}"
seed utf8 "${cfg[@]}" "$fixtures/admission/aspnet-template-deployment.json"
if [ -d "$fixtures/bypass" ]; then
  mapfile -t byp < <(files "$fixtures/bypass")
  seed admission "${byp[@]}"
  seed manifest "${byp[@]}"
  echo "seeds: tests/fixtures/bypass (${#byp[@]} files)"
else
  echo "seeds: tests/fixtures/bypass is absent; skipped"
fi
if [ -d "$shared" ]; then
  mapfile -t reviews < <(files "$shared/admissionreview" -name '*.json')
  mapfile -t yamls < <(files "$shared/psa" -name '*.yaml'; files "$shared/dotnet/manifests")
  mapfile -t dockerfiles < <(files "$shared/dotnet/dockerfiles")
  seed admission "${reviews[@]}"
  seed manifest "${reviews[@]}" "${yamls[@]}"
  seed dockerfile "${dockerfiles[@]}"
  echo "seeds: $(cd "$shared" && pwd) (${#reviews[@]} reviews, ${#yamls[@]} manifests, ${#dockerfiles[@]} Dockerfiles)"
else
  echo "seeds: the conformance corpus ($shared) is absent; skipped"
fi

# ---- run ----------------------------------------------------------------------
max_len() {
  case $1 in
    admission | manifest | dockerfile) echo 65536 ;;
    config) echo 16384 ;;
    *) echo 4096 ;;
  esac
}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
summary=()
for h in "${harnesses[@]}"; do
  log=$out/logs/$h.log
  args=(-max_len="$(max_len "$h")" -timeout=10 -rss_limit_mb=2048 -max_total_time="$time_s"
    -print_final_stats=1 -artifact_prefix="$out/crashes/$h/")
  # Byte-level UTF-8 gains nothing from Kubernetes words; Dockerfiles have their own.
  case $h in
    utf8) ;;
    dockerfile) args+=(-dict="$root/fuzz/dockerfile.dict") ;;
    *) args+=(-dict="$root/fuzz/kubernetes.dict") ;;
  esac
  [ "$jobs" -gt 1 ] && args+=(-fork="$jobs")
  echo "fuzz $h: ${time_s}s, log $log"
  start=$out/logs/.start-$h
  touch "$start"
  rc=0
  "$out/build/fuzz_$h" "${args[@]}" "$out/corpus/$h" "$out/seeds/$h" >"$log" 2>&1 || rc=$?
  mapfile -t new_crashes < <(find "$out/crashes/$h" -type f -newer "$start")
  stats=$(awk '
    /^#[0-9]+/ && / cov: / {
      for (i = 1; i <= NF; i++) {
        if ($i == "cov:") cov = $(i + 1)
        if ($i == "ft:") ft = $(i + 1)
        if ($i == "corp:") corp = $(i + 1)
        if ($i == "exec/s:" || $i == "exec/s") eps = $(i + 1)
      }
      n = substr($1, 2); sub(/:$/, "", n)
    }
    /^stat::number_of_executed_units:/ { execs = $2 }
    /^stat::average_exec_per_sec:/ { eps = $2 }
    END { if (execs == "") execs = n; printf "%s %s %s %s %s", execs + 0, eps + 0, cov + 0, ft + 0, corp == "" ? "0" : corp }
  ' "$log")
  read -r execs eps cov ft corp <<<"$stats"
  result=ok
  if [ $rc -ne 0 ] || [ ${#new_crashes[@]} -gt 0 ] ||
    grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|libFuzzer)|runtime error:|fuzz property violated' "$log"; then
    result=FAILED
    status=1
    echo "---- $h: exit $rc, last lines of $log:"
    grep -E 'ERROR:|runtime error:|fuzz property violated|SUMMARY|Test unit written|artifact_prefix' "$log" | head -20
    [ ${#new_crashes[@]} -eq 0 ] || printf '  saved: %s\n' "${new_crashes[@]}"
  fi
  summary+=("$(printf '%-10s %12s %10s %7s %8s %10s  %s' "$h" "$execs" "$eps" "$cov" "$ft" "$corp" "$result")")
done

echo
printf '%-10s %12s %10s %7s %8s %10s  %s\n' harness executions exec/s cov ft corpus result
printf '%s\n' "${summary[@]}"
if [ $status -ne 0 ]; then
  echo "fuzz/run.sh: failures above; inputs in $out/crashes/, logs in $out/logs/"
fi
exit $status
