#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Lint: every C file is clang-formatted, and no banned function is used.
set -uo pipefail
cd "${HP_SOURCE_DIR:-$(dirname "$0")/..}"
mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.c' '*.h' 2>/dev/null || find cmd src include tests bench -name '*.[ch]')
[ ${#files[@]} -gt 0 ] || { echo "no C files found"; exit 1; }
status=0
if command -v clang-format >/dev/null; then
  clang-format --dry-run --Werror "${files[@]}" || status=1
else
  echo "SKIP format: clang-format is not installed"
fi
banned='\b(strcpy|strcat|sprintf|vsprintf|strtok|atoi|atol|gets)[[:space:]]*\('
if grep -nE "$banned" "${files[@]}"; then
  echo "banned functions used (see above): use snprintf, memcpy with lengths, strtol"
  status=1
fi
[ $status -eq 0 ] && echo "lint: ${#files[@]} files formatted, no banned functions"
exit $status
