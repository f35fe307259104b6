#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what is missing, builds hardpod, and runs it on the examples:
# `hardpod audit` over the ASP.NET template Deployment (denied) and a hardened
# Deployment (allowed). Extra arguments replace the example paths.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh >/dev/null
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DHP_TESTS=OFF -DHP_BENCH=OFF >/dev/null
cmake --build build/release -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
if [ $# -eq 0 ]; then
  set -- tests/fixtures/manifests/aspnet-template.yaml tests/fixtures/manifests/hardened-deployment.yaml
fi
exec build/release/hardpod audit "$@"
