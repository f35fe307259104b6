#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Sourced by build-json-c.sh and build-libyaml.sh: fetches a Debian source
# package with a private apt configuration (a deb-src entry for the mirror and
# suite that /etc/apt uses, with its own package lists), so /etc/apt is never
# edited, and builds it as a static library instrumented for libFuzzer, ASan
# and UBSan. The result is cached: a stamp records the source version and the
# flags, and a second run with the same ones does nothing.
#   hp_apt_source PACKAGE WORKDIR      unpacks into WORKDIR/src, prints the tree
#   hp_build_instrumented PACKAGE DIR [CMAKE_ARG...]
#                                      builds and installs into DIR/install

hp_apt_source() {
  local pkg=$1 work=$2
  local apt=$work/apt
  mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$work/src"
  local uri=http://deb.debian.org/debian suite=bookworm
  local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  local sys=/etc/apt/sources.list.d/debian.sources
  if [ -r "$sys" ]; then
    # The first URIs/Suites of the system's own deb822 file (same snapshot or mirror).
    uri=$(awk '/^URIs:/ {print $2; exit}' "$sys")
    suite=$(awk '/^Suites:/ {print $2; exit}' "$sys")
    local k
    k=$(awk '/^Signed-By:/ {print $2; exit}' "$sys")
    [ -n "$k" ] && keyring=$k
  fi
  cat >"$apt/sources.sources" <<SRC
Types: deb-src
URIs: $uri
Suites: $suite
Components: main
Signed-By: $keyring
SRC
  local opts=(
    -o "Dir::Etc::SourceList=$apt/sources.sources"
    -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$apt/lists"
    -o "Dir::Cache=$apt/cache"
    -o Debug::NoLocking=1
  )
  if [ "$(id -u)" -eq 0 ]; then
    opts+=(-o APT::Sandbox::User=root)
  fi
  apt-get "${opts[@]}" -qq update >&2 || return 1
  (cd "$work/src" && apt-get "${opts[@]}" -qq source "$pkg" >&2) || return 1
  # The unpacked tree is the only directory dpkg-source made in src/.
  find "$work/src" -mindepth 1 -maxdepth 1 -type d -name "$pkg-*" | sort | tail -1
}

HP_FUZZ_DEP_CFLAGS="-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined"

hp_build_instrumented() {
  local pkg=$1 dir=$2
  shift 2
  dir=$(mkdir -p "$dir" && cd "$dir" && pwd)
  local stamp=$dir/install/.hardpod-stamp
  local want="$pkg CC=${CC:-clang} $HP_FUZZ_DEP_CFLAGS $*"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "$pkg: instrumented build cached in $dir/install"
    return 0
  fi
  echo "$pkg: fetching the Debian source package into $dir"
  rm -rf "$dir/src" "$dir/build" "$dir/install"
  local tree
  tree=$(hp_apt_source "$pkg" "$dir") || { echo "$pkg: apt-get source failed" >&2; return 1; }
  if [ -z "$tree" ] || [ ! -f "$tree/CMakeLists.txt" ]; then
    echo "$pkg: no CMake source tree in $dir/src" >&2
    return 1
  fi
  echo "$pkg: building $(basename "$tree") with $HP_FUZZ_DEP_CFLAGS"
  CC=${CC:-clang} cmake -S "$tree" -B "$dir/build" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_FLAGS="$HP_FUZZ_DEP_CFLAGS" -DCMAKE_C_FLAGS_RELEASE="" \
    -DCMAKE_INSTALL_PREFIX="$dir/install" -DCMAKE_INSTALL_LIBDIR=lib \
    -DBUILD_SHARED_LIBS=OFF -DBUILD_TESTING=OFF "$@" >"$dir/cmake.log" 2>&1 \
    || { cat "$dir/cmake.log" >&2; return 1; }
  cmake --build "$dir/build" -j "${HP_FUZZ_BUILD_JOBS:-2}" >"$dir/build.log" 2>&1 \
    || { tail -50 "$dir/build.log" >&2; return 1; }
  cmake --install "$dir/build" >"$dir/install.log" 2>&1 || { cat "$dir/install.log" >&2; return 1; }
  printf '%s\n' "$want" >"$stamp"
  echo "$pkg: installed into $dir/install"
}
