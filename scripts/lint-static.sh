#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Lint: the static analysers over the C sources of src/ and cmd/.
#   clang-tidy  the checks listed, each left-out one with its reason, in
#               .clang-tidy; it reads the compile commands of a build
#               (HP_BUILD_DIR, set by ctest; else build/plain)
#   cppcheck    warning, style, performance and portability
# Every finding fails the test: fix it, or suppress it where it stands with a
# comment saying why (`// NOLINT(check): reason` or
# `// cppcheck-suppress id ; reason`). Skips (77) when a tool is missing.
set -uo pipefail
cd "${HP_SOURCE_DIR:-$(dirname "$0")/..}"
build=${HP_BUILD_DIR:-build/plain}
jobs=$(nproc 2>/dev/null || echo 2)
missing=()
for tool in clang-tidy cppcheck; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "SKIP: ${missing[*]} not installed (scripts/install-deps.sh installs them)"
  exit 77
fi
[ -f "$build/compile_commands.json" ] || { echo "no $build/compile_commands.json: configure a build first"; exit 1; }
mapfile -t files < <(ls src/*/*.c cmd/*/*.c)
status=0

echo "== cppcheck (${#files[@]} files)"
out=$(cppcheck --enable=warning,style,performance,portability --std=c11 --inline-suppr --quiet \
  --error-exitcode=1 -D_GNU_SOURCE -DHP_VERSION='"lint"' -I include -I src "${files[@]}" 2>&1) || status=1
[ -n "$out" ] && printf '%s\n' "$out"

echo "== clang-tidy (${#files[@]} files, $jobs at a time)"
out=$(printf '%s\n' "${files[@]}" | xargs -P "$jobs" -n 4 clang-tidy -p "$build" --quiet 2>/dev/null) || status=1
findings=$(grep -cE '(warning|error): ' <<<"$out")
[ "$findings" -gt 0 ] && printf '%s\n' "$out"

if [ $status -eq 0 ]; then
  echo "lint-static: ${#files[@]} files, no finding from cppcheck or clang-tidy"
else
  echo "lint-static: findings above (clang-tidy: $findings)"
fi
exit $status
