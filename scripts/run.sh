#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what is missing, builds hardpod, and starts the admission webhook
# on https://localhost:8443 with throw-away certificates (hardpod serve --dev)
# and the default policy. It prints the curl command to try it. Extra
# arguments go to `hardpod serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh >/dev/null
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DHP_TESTS=OFF -DHP_BENCH=OFF >/dev/null
cmake --build build/release -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
exec build/release/hardpod serve --dev "$@"
