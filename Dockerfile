# SPDX-License-Identifier: Apache-2.0
# The hardpod admission webhook image.
#
#   podman build --pull=never -t localhost/hardpod:test .          # base: localhost/debian:bookworm
#   docker build --build-arg BASE_IMAGE=debian:bookworm-slim -t hardpod .
#
# Stage "build" compiles a stripped Release binary (PIE, full RELRO, BIND_NOW,
# stack protector, _FORTIFY_SOURCE=2: see CMakeLists.txt) and checks those
# properties with readelf. It then assembles a minimal root filesystem: the
# binary, exactly the shared libraries `ldd` lists and the dynamic loader,
# their Debian copyright files, /etc/passwd and /etc/group naming uid/gid
# 65532, and an empty /tmp.
#
# The default (last) stage copies that tree onto an empty image: no shell, no
# package manager, no other binaries. The stage "runtime-debian" is a Debian
# alternative with the runtime packages and without apt/dpkg caches, docs or
# locales, for those who want a shell for debugging:
#   podman build --target runtime-debian -t localhost/hardpod:debian .
ARG BASE_IMAGE=localhost/debian:bookworm

FROM ${BASE_IMAGE} AS build
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      gcc libc6-dev make cmake pkg-config binutils \
      libjson-c-dev libmicrohttpd-dev libgnutls28-dev libssl-dev libyaml-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY include/ include/
COPY src/ src/
COPY cmd/ cmd/
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DHP_TESTS=OFF -DHP_BENCH=OFF \
 && cmake --build /build -j"$(nproc)" \
 && strip --strip-all -o /hardpod /build/hardpod \
 && /hardpod --version
# Fail the build when a hardening property is missing from the binary.
RUN set -e; \
    readelf -h /hardpod | grep -Eq 'Type:[[:space:]]+DYN' || { echo "not PIE" >&2; exit 1; }; \
    readelf -l /hardpod | grep -q GNU_RELRO || { echo "no RELRO segment" >&2; exit 1; }; \
    readelf -d /hardpod | grep -Eq 'BIND_NOW|FLAGS.*NOW' || { echo "no BIND_NOW" >&2; exit 1; }; \
    readelf -l /hardpod | grep -A1 GNU_STACK | grep -q 'RW ' || { echo "executable stack" >&2; exit 1; }; \
    readelf --dyn-syms -W /hardpod | grep -q __stack_chk_fail || { echo "no stack protector" >&2; exit 1; }; \
    readelf --dyn-syms -W /hardpod | grep -Eq '__[a-z]+_chk' || { echo "no FORTIFY_SOURCE" >&2; exit 1; }
# The root filesystem of the final image.
RUN set -e; \
    R=/rootfs; \
    mkdir -p $R/usr/local/bin $R/etc $R/tmp $R/usr/share/doc; \
    chmod 1777 $R/tmp; \
    cp /hardpod $R/usr/local/bin/hardpod; \
    for p in $(ldd /hardpod | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do \
      mkdir -p "$R$(dirname "$p")"; \
      cp -L "$p" "$R$p"; \
      pkg=$(dpkg -S "$p" 2>/dev/null || dpkg -S "$(readlink -f "$p")" 2>/dev/null || true); \
      pkg=${pkg%%:*}; \
      if [ -n "$pkg" ] && [ -f "/usr/share/doc/$pkg/copyright" ]; then \
        mkdir -p "$R/usr/share/doc/$pkg"; cp "/usr/share/doc/$pkg/copyright" "$R/usr/share/doc/$pkg/"; \
      fi; \
    done; \
    printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/nonexistent:/sbin/nologin\n' > $R/etc/passwd; \
    printf 'root:x:0:\nnonroot:x:65532:\n' > $R/etc/group; \
    find $R -type f | sort

# Optional: a Debian runtime with the libraries from packages (not built by default).
FROM ${BASE_IMAGE} AS runtime-debian
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libmicrohttpd12 libjson-c5 libssl3 libyaml-0-2 libgnutls30 \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt /var/cache/debconf/*-old /var/log/* \
      /usr/share/doc /usr/share/man /usr/share/info /usr/share/locale
COPY --from=build /hardpod /usr/local/bin/hardpod
USER 65532:65532
EXPOSE 8443
ENTRYPOINT ["/usr/local/bin/hardpod"]
CMD ["serve", "--tls-cert", "/etc/hardpod/tls/tls.crt", "--tls-key", "/etc/hardpod/tls/tls.key"]

# The default image: the binary, its libraries and the loader on an empty base.
FROM scratch
LABEL org.opencontainers.image.title="hardpod" \
      org.opencontainers.image.description="Kubernetes validating admission webhook for pod hardening" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /rootfs/ /
USER 65532:65532
EXPOSE 8443
# The entrypoint is the binary alone and the subcommand is the first argument:
# a Kubernetes container that sets only `args` replaces CMD and keeps this
# ENTRYPOINT, so deploy/base/deployment.yaml's `args: [serve, ...]` runs
# `hardpod serve ...` (tests/cluster composes the command as a kubelet does).
ENTRYPOINT ["/usr/local/bin/hardpod"]
CMD ["serve", "--tls-cert", "/etc/hardpod/tls/tls.crt", "--tls-key", "/etc/hardpod/tls/tls.key"]
