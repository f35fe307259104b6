#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds Debian's libyaml (apt-get source libyaml) as a static library
# instrumented with -fsanitize=fuzzer-no-link,address,undefined, for the
# config and manifest harnesses. Installs into DIR/install (default
# build/fuzz/libyaml); cached between runs.
#   fuzz/build-libyaml.sh [DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=fuzz/lib-deps.sh
. "$here/lib-deps.sh"
hp_build_instrumented libyaml "${1:-$here/../build/fuzz/libyaml}" -DINSTALL_CMAKE_DIR=lib/cmake/yaml
