#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The differential test: 20,000 generated objects (fixed seed) under the
# hardened, psa-restricted and psa-baseline profiles, plus every regression
# object kept in tests/fixtures/oracle, audited by hardpod and evaluated by
# the Python oracle. Passes only with zero disagreements; skips (77) only
# when python3 is missing.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if ! command -v python3 >/dev/null 2>&1; then
    echo "SKIP: python3 is not installed (the oracle is a Python 3 program)"
    exit 77
fi
if [[ -z "${HP_BIN:-}" || ! -x "$HP_BIN" ]]; then
    echo "FAIL: HP_BIN must name the hardpod binary (ctest sets it)" >&2
    exit 1
fi
fixtures=${HP_FIXTURES_DIR:-$here/../fixtures}/oracle
replay=()
if [[ -d "$fixtures" ]]; then
    replay=(--replay "$fixtures")
fi
save=$(mktemp -d "${TMPDIR:-/tmp}/hardpod-oracle-XXXXXX")
set +e
timeout 600 python3 "$here/differential.py" --count "${HP_ORACLE_COUNT:-20000}" \
    --seed "${HP_ORACLE_SEED:-20240601}" --save-dir "$save" "${replay[@]}"
rc=$?
set -e
if [[ $rc -eq 0 ]]; then
    rm -rf "$save"
    exit 0
fi
if [[ $rc -eq 124 ]]; then
    echo "FAIL: the differential run took longer than 600 s" >&2
else
    echo "FAIL: disagreements (or an error); the objects are in $save" >&2
fi
exit 1
