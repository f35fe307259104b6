#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds Debian's json-c (apt-get source json-c) as a static library
# instrumented with -fsanitize=fuzzer-no-link,address,undefined, so libFuzzer
# sees coverage inside the JSON parser that every harness goes through.
# Installs into DIR/install (default build/fuzz/json-c); cached between runs.
# The hash seed is fixed so that a run is reproducible: the server's own
# randomised seed only matters against hash-flooding, not for coverage.
#   fuzz/build-json-c.sh [DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=fuzz/lib-deps.sh
. "$here/lib-deps.sh"
hp_build_instrumented json-c "${1:-$here/../build/fuzz/json-c}" \
  -DBUILD_STATIC_LIBS=ON -DDISABLE_WERROR=ON -DDISABLE_EXTRA_LIBS=ON \
  -DOVERRIDE_GET_RANDOM_SEED="return 0x2545f491"
