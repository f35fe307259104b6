#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what is missing, builds hardpod and runs every test twice: a plain
# build, then a build with AddressSanitizer and UndefinedBehaviorSanitizer;
# then compiles a Release build, where GCC warns about more.
#   scripts/test.sh            both builds
#   scripts/test.sh --plain    the plain build only
#   scripts/test.sh --sanitize the sanitizer build only
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-all}
case "$mode" in all|--plain|--sanitize) ;; *) echo "usage: scripts/test.sh [--plain|--sanitize]" >&2; exit 2;; esac

scripts/install-deps.sh
jobs=$(nproc 2>/dev/null || echo 2)

run() { # name, extra cmake args...
  local dir=build/$1; shift
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
  (cd "$dir" && ctest --output-on-failure -j "$jobs")
}

if [ "$mode" != "--sanitize" ]; then
  echo "== plain build"
  run plain -DHP_SANITIZE=
fi
if [ "$mode" != "--plain" ]; then
  echo "== AddressSanitizer + UndefinedBehaviorSanitizer build"
  run sanitize -DHP_SANITIZE=address,undefined
fi
if [ "$mode" = all ]; then
  # GCC warns about more at -O3 (Release, as the image builds it): compile
  # that too, tests included, so a Release-only warning fails here first.
  echo "== Release build (compiled, warnings as errors; its tests run above)"
  cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DHP_SANITIZE= >/dev/null
  cmake --build build/release -j "$jobs"
fi
