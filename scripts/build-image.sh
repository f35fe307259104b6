#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the hardpod container image with podman from the Dockerfile, making
# the Debian base image first when it is missing. Used by
# scripts/container-test.sh and tests/cluster/run.sh; podman's layer cache makes
# a second build of an unchanged tree take seconds.
#
#   scripts/build-image.sh
#
# Environment:
#   HP_IMAGE          the image to build (default localhost/hardpod:test)
#   HP_BASE_IMAGE     the base image (default localhost/debian:bookworm, made
#                     with debootstrap when missing)
#   HP_CACHE_DIR      where the Debian base rootfs tarball is kept between runs
#                     (default /var/cache/hardpod-ci)
#   HP_DEBIAN_MIRROR  the Debian mirror for debootstrap (default: the one apt uses)
#   HP_BUILD_NETWORK  podman build --network value (default host, for apt)
#   CONTAINERS_CONF   default tests/container/containers.conf (cgroupfs, runc)
#
# Needs root, podman and debootstrap (scripts/install-deps.sh podman buildah
# runc debootstrap). Exit status 0 when the image was built.
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE_DIR=${HP_CACHE_DIR:-/var/cache/hardpod-ci}
BASE_IMAGE=${HP_BASE_IMAGE:-localhost/debian:bookworm}
IMAGE=${HP_IMAGE:-localhost/hardpod:test}
BUILD_NETWORK=${HP_BUILD_NETWORK:-host}
export CONTAINERS_CONF=${CONTAINERS_CONF:-$PWD/tests/container/containers.conf}
WORK=$(mktemp -d /tmp/hardpod-img.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
step() { echo "== $*"; }

debian_mirror() {
  if [ -n "${HP_DEBIAN_MIRROR:-}" ]; then echo "$HP_DEBIAN_MIRROR"; return; fi
  local m
  m=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
    awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) { print $i; exit } }')
  if [ -z "$m" ]; then
    m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
      awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^(https?|file):/ && $i ~ /\/debian\/?$/) { print $i; exit } }')
  fi
  echo "${m:-http://deb.debian.org/debian}"
}

security_mirror() {
  local m
  m=$(cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    grep -E '^(URIs:|deb )' | grep -oE '(https?|file):[^ ]*/debian-security/?' | head -1)
  echo "${m:-http://deb.debian.org/debian-security}"
}

if [ "$BASE_IMAGE" = localhost/debian:bookworm ] && ! podman image exists "$BASE_IMAGE"; then
  tarball=$CACHE_DIR/debian-bookworm-minbase.tar
  if [ ! -s "$tarball" ]; then
    mirror=$(debian_mirror)
    step "debootstrap --variant=minbase bookworm from $mirror (cached in $tarball)"
    mkdir -p "$CACHE_DIR"
    t0=$(date +%s)
    if ! timeout 900 debootstrap --variant=minbase bookworm "$WORK/rootfs" "$mirror" \
      >"$WORK/debootstrap.log" 2>&1; then
      tail -20 "$WORK/debootstrap.log" >&2
      echo "build-image: debootstrap bookworm failed" >&2
      exit 1
    fi
    rm -rf "$WORK/rootfs/var/cache/apt/archives/"*.deb "$WORK/rootfs/var/lib/apt/lists/"*
    # debootstrap lists only "bookworm main": add the updates and security
    # suites so the libraries copied into the image carry the security fixes.
    security=$(security_mirror)
    printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb %s bookworm-security main\n' \
      "$mirror" "$mirror" "$security" >"$WORK/rootfs/etc/apt/sources.list"
    tar --numeric-owner -C "$WORK/rootfs" -cf "$tarball.tmp.$$" .
    mv "$tarball.tmp.$$" "$tarball"
    rm -rf "$WORK/rootfs"
    echo "   debootstrap took $(($(date +%s) - t0)) s"
  else
    step "reusing $tarball"
  fi
  podman import -q --change 'CMD ["/bin/bash"]' "$tarball" "$BASE_IMAGE" >/dev/null
fi
if ! podman image exists "$BASE_IMAGE"; then
  echo "build-image: base image $BASE_IMAGE does not exist (set HP_BASE_IMAGE, or pull it yourself)" >&2
  exit 1
fi

step "podman build -t $IMAGE (base $BASE_IMAGE)"
t0=$(date +%s)
if ! timeout 1200 podman build --pull=never --network "$BUILD_NETWORK" \
  --build-arg "BASE_IMAGE=$BASE_IMAGE" -t "$IMAGE" -f Dockerfile . >"$WORK/build.log" 2>&1; then
  tail -40 "$WORK/build.log" >&2
  echo "build-image: podman build failed (log above)" >&2
  exit 1
fi
echo "   podman build took $(($(date +%s) - t0)) s"
