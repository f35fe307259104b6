#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what is missing, builds hardpod and runs every test: a plain build
# (RelWithDebInfo), a build with AddressSanitizer and UndefinedBehaviorSanitizer,
# and a Release build (as the image builds it: GCC warns about more at -O3),
# which is also installed with `cmake --install` into a scratch prefix and run.
# Warnings are errors here (-DHP_WERROR=ON), never in a user's plain build.
#   scripts/test.sh                   all three builds
#   scripts/test.sh --plain           the plain build only
#   scripts/test.sh --sanitize        the sanitizer build only
#   scripts/test.sh --build-type T    one more build type (Debug, MinSizeRel, ...):
#                                     its unit and end-to-end suites (the fault
#                                     suites run in the three builds above)
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: scripts/test.sh [--plain|--sanitize|--build-type Debug|Release|RelWithDebInfo|MinSizeRel]" >&2; exit 2; }
mode=${1:-all}
type=
case "$mode" in
  all|--plain|--sanitize) ;;
  --build-type)
    type=${2:-}
    case "$type" in Debug|Release|RelWithDebInfo|MinSizeRel) ;; *) usage;; esac ;;
  *) usage;;
esac

scripts/install-deps.sh
jobs=$(nproc 2>/dev/null || echo 2)

# The lint tests (label lint) read the sources, not the build: they run in the
# first build of each invocation only.
lint=()
run() { # build dir name, build type, extra cmake args...
  local dir=build/$1 bt=$2; shift 2
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE="$bt" -DHP_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
  (cd "$dir" && ctest --output-on-failure -j "$jobs" "${lint[@]}")
  lint=(-LE lint)
}

if [ -n "$type" ]; then
  echo "== $type build: unit and end-to-end suites (lint and faults run in the default builds)"
  lint=(-L '^(unit|e2e)$')
  run "$(tr '[:upper:]' '[:lower:]' <<<"$type")" "$type" -DHP_SANITIZE=
  exit 0
fi
if [ "$mode" != "--sanitize" ]; then
  echo "== plain build"
  run plain RelWithDebInfo -DHP_SANITIZE=
fi
if [ "$mode" != "--plain" ]; then
  echo "== AddressSanitizer + UndefinedBehaviorSanitizer build"
  run sanitize RelWithDebInfo -DHP_SANITIZE=address,undefined
fi
if [ "$mode" = all ]; then
  echo "== Release build"
  run release Release -DHP_SANITIZE=
  echo "== cmake --install (Release) into a scratch prefix"
  prefix=$(mktemp -d)
  trap 'rm -rf "$prefix"' EXIT
  cmake --install build/release --prefix "$prefix" >/dev/null
  "$prefix/bin/hardpod" --version
  test -f "$prefix/share/doc/hardpod/README.md" && test -f "$prefix/share/doc/hardpod/docs/policy.md"
fi
