#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what is missing, builds hardpod and runs every test twice: a plain
# build, then a build with AddressSanitizer and UndefinedBehaviorSanitizer.
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
