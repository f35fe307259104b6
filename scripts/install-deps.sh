#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian 12 packages that building and testing hardpod need, if
# any are missing. Runs apt-get directly as root, through sudo otherwise.
#   scripts/install-deps.sh              the build and test packages
#   scripts/install-deps.sh PACKAGE...   these packages instead (fuzz/run.sh,
#                                        scripts/container-test.sh, bench/run)
set -euo pipefail

packages=(
  gcc make cmake pkg-config
  libjson-c-dev libmicrohttpd-dev libgnutls28-dev libssl-dev libyaml-dev check
  clang-format clang-tidy cppcheck python3 curl openssl ca-certificates time
  python3-kubernetes
  wrk valgrind testssl.sh
  clang libclang-rt-14-dev
)
if [ $# -gt 0 ]; then
  packages=("$@")
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
echo "install-deps: installing ${missing[*]}"
# Another apt or dpkg (an unattended upgrade, a parallel job) may hold the
# lock: wait for it rather than fail at once.
lock=(-o DPkg::Lock::Timeout=600)
"${sudo[@]}" apt-get "${lock[@]}" update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get "${lock[@]}" install -y -qq --no-install-recommends \
  "${missing[@]}"
