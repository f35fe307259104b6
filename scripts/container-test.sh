#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the hardpod container image with podman and tests it the way a
# Kubernetes cluster runs it: as uid/gid 65532, read-only root filesystem, no
# capabilities, no-new-privileges, certificates mounted read-only at
# /etc/hardpod/tls. Ends with "N passed, N failed"; exit status 0 only when
# nothing failed (1 when podman cannot run containers here).
#
#   scripts/container-test.sh
#
# Environment:
#   HP_CACHE_DIR      where the Debian base rootfs tarball is kept between runs
#                     (default /var/cache/hardpod-ci)
#   HP_BASE_IMAGE     the base image (default localhost/debian:bookworm, made
#                     with debootstrap when missing)
#   HP_IMAGE          the image to build and test (default localhost/hardpod:test)
#   HP_DEBIAN_MIRROR  the Debian mirror for debootstrap (default: the one apt uses)
#   HP_BUILD_NETWORK  podman build --network value (default host, for apt)
#
# Needs root (podman with runc and the cgroupfs cgroup manager, configured by
# tests/container/containers.conf; /etc/containers is not touched).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
START=$(date +%s)

CACHE_DIR=${HP_CACHE_DIR:-/var/cache/hardpod-ci}
BASE_IMAGE=${HP_BASE_IMAGE:-localhost/debian:bookworm}
IMAGE=${HP_IMAGE:-localhost/hardpod:test}
BUILD_NETWORK=${HP_BUILD_NETWORK:-host}
export CONTAINERS_CONF=$ROOT/tests/container/containers.conf

PASSED=0
FAILED=0
CID=""
WORK=""
SERVICE_PID=""
pass() { PASSED=$((PASSED + 1)); echo "ok   $1"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL $1"; shift; for line in "$@"; do echo "     $line"; done; }
check() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "expected: $2" "actual:   $3"; fi; }
check_contains() {
  case "$2" in
    *"$3"*) pass "$1" ;;
    *) fail "$1" "expected to contain: $3" "actual: ${2:0:600}" ;;
  esac
}
finish() {
  echo "== total time $(($(date +%s) - START)) s"
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
}
step() { echo "== $*"; }

cleanup() {
  if [ -n "$SERVICE_PID" ]; then
    kill "$SERVICE_PID" 2>/dev/null || true
  fi
  if [ -n "$CID" ]; then
    podman rm -f -t 0 "$CID" >/dev/null 2>&1 || true
  fi
  if [ -n "$WORK" ]; then
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$(id -u)" -ne 0 ]; then
  echo "scripts/container-test.sh: run as root (podman with runc and cgroupfs)" >&2
  exit 1
fi

# --- 1. tools ------------------------------------------------------------------
step "tools"
scripts/install-deps.sh podman buildah runc debootstrap curl binutils openssl python3

WORK=$(mktemp -d /tmp/hardpod-ct.XXXXXX)
chmod 0755 "$WORK"

# --- 2/3. can podman run a container here? -------------------------------------
step "podman $(podman --version | awk '{print $3}'), CONTAINERS_CONF=$CONTAINERS_CONF"
# A scratch image holding one static file is enough to prove that runc, the
# storage driver and the cgroup manager work, without needing the base image.
probe_ok=0
if podman image exists "$BASE_IMAGE"; then
  if timeout 60 podman run --rm --network none "$BASE_IMAGE" true >"$WORK/probe.log" 2>&1; then
    probe_ok=1
  fi
else
  # import an empty image with the host's `true` and its libraries
  mkdir -p "$WORK/probe"
  for p in /bin/true $(ldd /bin/true | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
    mkdir -p "$WORK/probe$(dirname "$p")"
    cp -L "$p" "$WORK/probe$p"
  done
  if tar -C "$WORK/probe" -c . | podman import -q - localhost/hardpod-probe:latest >/dev/null 2>"$WORK/probe.log" &&
    timeout 60 podman run --rm --network none localhost/hardpod-probe:latest /bin/true >>"$WORK/probe.log" 2>&1; then
    probe_ok=1
  fi
  podman rmi -f localhost/hardpod-probe:latest >/dev/null 2>&1 || true
fi
if [ "$probe_ok" -ne 1 ]; then
  echo "scripts/container-test.sh: podman cannot run a container on this machine:" >&2
  sed 's/^/  /' "$WORK/probe.log" >&2
  echo "  (needs root, runc, and the settings in $CONTAINERS_CONF)" >&2
  exit 1
fi
pass "podman can run a container"

# --- 4/5. the base image and the build --------------------------------------------------
step "scripts/build-image.sh (base $BASE_IMAGE, image $IMAGE)"
t0=$(date +%s)
if HP_IMAGE=$IMAGE HP_BASE_IMAGE=$BASE_IMAGE HP_CACHE_DIR=$CACHE_DIR HP_BUILD_NETWORK=$BUILD_NETWORK \
  scripts/build-image.sh >"$WORK/build.log" 2>&1; then
  pass "base image and podman build ($(($(date +%s) - t0)) s)"
else
  tail -40 "$WORK/build.log"
  fail "scripts/build-image.sh (log above)"
  finish || exit 1
fi

# --- the image's configuration and contents -----------------------------------------
inspect() { podman image inspect --format "$1" "$IMAGE"; }
check "image user" "65532:65532" "$(inspect '{{.Config.User}}')"
check "image entrypoint" "[/usr/local/bin/hardpod]" "$(inspect '{{.Config.Entrypoint}}')"
check "image cmd" "[serve --tls-cert /etc/hardpod/tls/tls.crt --tls-key /etc/hardpod/tls/tls.key]" \
  "$(inspect '{{.Config.Cmd}}')"
check_contains "image exposes 8443" "$(inspect '{{json .Config.ExposedPorts}}')" '"8443/tcp"'

version=$(timeout 30 podman run --rm --network none "$IMAGE" --version 2>&1 || true)
check_contains "hardpod --version in the image" "$version" "hardpod "
if timeout 30 podman run --rm --network none --entrypoint /bin/sh "$IMAGE" -c true >/dev/null 2>&1; then
  fail "image has no shell" "expected: /bin/sh missing" "actual:   /bin/sh runs"
else
  pass "image has no shell (/bin/sh does not run)"
fi

# the binary and file list, out of the image
mnt=$(podman image mount "$IMAGE" 2>/dev/null || true)
if [ -n "$mnt" ] && [ -f "$mnt/usr/local/bin/hardpod" ]; then
  cp "$mnt/usr/local/bin/hardpod" "$WORK/hardpod"
  files=$(cd "$mnt" && find . -type f -o -type l | sort)
  podman image unmount "$IMAGE" >/dev/null 2>&1 || true
else
  ctr=$(podman create "$IMAGE")
  podman cp "$ctr:/usr/local/bin/hardpod" "$WORK/hardpod"
  podman rm "$ctr" >/dev/null
  files="(image not mountable)"
fi
for bad in ./bin/sh ./usr/bin/apt-get ./usr/bin/dpkg ./usr/bin/bash; do
  case "$files" in *"$bad"*) fail "image does not contain ${bad#.}" ;; esac
done

step "hardening of /usr/local/bin/hardpod (readelf)"
B=$WORK/hardpod
elf_type=$(readelf -h "$B" | awk -F: '/Type:/ { gsub(/^ +/, "", $2); print $2 }')
echo "   ELF type:        $elf_type"
check_contains "PIE (ELF type DYN)" "$elf_type" "DYN"
relro=$(readelf -lW "$B" | awk '$1 == "GNU_RELRO" { print "GNU_RELRO present" }')
echo "   RELRO segment:   ${relro:-none}"
check "RELRO program header" "GNU_RELRO present" "$relro"
flags=$(readelf -dW "$B" | grep -E '\((FLAGS|FLAGS_1|BIND_NOW)\)' | sed 's/^ *0x[0-9a-f]* *//' | tr -s ' ' | paste -sd ';' -)
echo "   dynamic flags:   $flags"
check_contains "BIND_NOW (full RELRO)" "$flags" "NOW"
stack=$(readelf -lW "$B" | awk '$1 == "GNU_STACK" { print $(NF-1) }')
echo "   GNU_STACK flags: $stack"
check "non-executable stack" "RW" "$stack"
dynsyms=$(readelf --dyn-syms -W "$B")
chk=$(grep -oE '__[a-z0-9_]+_chk([@ ]|$)' <<<"$dynsyms" | tr -d '@ ' | sort -u | paste -sd ' ' - || true)
ssp=$(grep -oE '__stack_chk_fail' <<<"$dynsyms" | head -1 || true)
echo "   stack protector: ${ssp:-none}"
echo "   fortified calls: ${chk:-none}"
check "stack protector (__stack_chk_fail)" "__stack_chk_fail" "$ssp"
if [ -n "$chk" ]; then
  pass "_FORTIFY_SOURCE (__*_chk calls)"
else
  fail "_FORTIFY_SOURCE (__*_chk calls)" "expected: __memcpy_chk or similar" "actual:   $chk"
fi
if readelf -SW "$B" | grep -qE '\.symtab|\.debug_'; then
  fail "binary is stripped" "expected: no .symtab/.debug sections"
else
  pass "binary is stripped (no .symtab)"
fi
rpath=$(readelf -dW "$B" | grep -E 'RPATH|RUNPATH' || true)
check "no RPATH/RUNPATH" "" "$rpath"

# --- 6. certificates, made by the image itself --------------------------------------
step "certificates: hardpod certs in the image, as uid 65532"
TLSDIR=$WORK/tls
mkdir -p "$TLSDIR"
chown 65532:65532 "$TLSDIR"
chmod 0700 "$TLSDIR"
if timeout 60 podman run --rm --network none --user 65532:65532 --read-only --cap-drop=ALL \
  --security-opt no-new-privileges -v "$TLSDIR:/out:Z" --entrypoint /usr/local/bin/hardpod \
  "$IMAGE" certs --service hardpod --namespace hardpod-system --ip 127.0.0.1 --dns localhost \
  --out /out >"$WORK/certs.log" 2>&1 && [ -s "$TLSDIR/tls.crt" ] && [ -s "$TLSDIR/tls.key" ]; then
  pass "hardpod certs in the image"
else
  sed 's/^/     /' "$WORK/certs.log"
  fail "hardpod certs in the image; falling back to openssl"
  rm -rf "${TLSDIR:?}"/*
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$TLSDIR/ca.key" \
    -out "$TLSDIR/ca.crt" -days 2 -subj /CN=hardpod-ct-ca \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$TLSDIR/tls.key" \
    -out "$WORK/tls.csr" -subj /CN=hardpod.hardpod-system.svc 2>/dev/null
  printf 'subjectAltName=DNS:hardpod.hardpod-system.svc,DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' \
    >"$WORK/ext.cnf"
  openssl x509 -req -in "$WORK/tls.csr" -CA "$TLSDIR/ca.crt" -CAkey "$TLSDIR/ca.key" \
    -CAcreateserial -days 1 -extfile "$WORK/ext.cnf" -out "$TLSDIR/tls.crt" 2>/dev/null
  chown -R 65532:65532 "$TLSDIR"
  chmod 0600 "$TLSDIR"/*.key
fi
CA=$WORK/ca.crt
cp "$TLSDIR/ca.crt" "$CA"
# the server sees only the serving certificate and key, never the CA key
SECRET=$WORK/secret
mkdir -p "$SECRET"
cp -p "$TLSDIR/tls.crt" "$TLSDIR/tls.key" "$SECRET/"
chown 65532:65532 "$SECRET" "$SECRET"/*
chmod 0500 "$SECRET"
chmod 0400 "$SECRET/tls.key"

# --- 7. run it as the cluster would ---------------------------------------------------
free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  echo 28443
}
PORT=$(free_port)
step "podman run -d $IMAGE on 127.0.0.1:$PORT"
if ! CID=$(podman run -d --user 65532:65532 --read-only --cap-drop=ALL \
  --security-opt no-new-privileges --network host --pids-limit 256 \
  -v "$SECRET:/etc/hardpod/tls:ro,Z" "$IMAGE" \
  serve --tls-cert /etc/hardpod/tls/tls.crt --tls-key /etc/hardpod/tls/tls.key \
  --listen "127.0.0.1:$PORT" --shutdown-delay 1 2>"$WORK/run.log"); then
  cat "$WORK/run.log"
  CID=""
  fail "podman run"
  finish || exit 1
fi
pass "podman run -d (container ${CID:0:12})"

URL=https://localhost:$PORT
hp_curl() { curl -sS --max-time 10 --cacert "$CA" "$@"; }
ready=0
for _ in $(seq 1 100); do
  if [ "$(podman inspect --format '{{.State.Running}}' "$CID" 2>/dev/null)" != true ]; then break; fi
  if [ "$(hp_curl -o /dev/null -w '%{http_code}' "$URL/readyz" 2>/dev/null)" = 200 ]; then
    ready=1
    break
  fi
  sleep 0.2
done
if [ "$ready" -ne 1 ]; then
  fail "server ready within 20 s" "logs:" "$(podman logs "$CID" 2>&1 | tail -20)"
  finish || exit 1
fi
pass "GET /readyz 200"

pid=$(podman inspect --format '{{.State.Pid}}' "$CID")
if [ -r "/proc/$pid/status" ]; then
  check "process uid is 65532" "65532" "$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")"
  check "process gid is 65532" "65532" "$(awk '/^Gid:/ { print $2 }' "/proc/$pid/status")"
  check "no effective capabilities" "0000000000000000" "$(awk '/^CapEff:/ { print $2 }' "/proc/$pid/status")"
  check "no_new_privs" "1" "$(awk '/^NoNewPrivs:/ { print $2 }' "/proc/$pid/status")"
fi
check "root filesystem read-only" "true" "$(podman inspect --format '{{.HostConfig.ReadonlyRootfs}}' "$CID")"

# --- 8. the curl checks -----------------------------------------------------------------
A=$ROOT/tests/fixtures/admission
# req NAME [CURL ARGS]: sets STATUS and BODY
req() {
  local path=$1
  shift
  STATUS=$(hp_curl -o "$WORK/body" -w '%{http_code}' "$@" "$URL$path" 2>"$WORK/curl.err" || true)
  BODY=$(cat "$WORK/body" 2>/dev/null || true)
  [ -s "$WORK/curl.err" ] && BODY="$BODY $(cat "$WORK/curl.err")"
  rm -f "$WORK/body"
}
review() { req /validate -H 'Content-Type: application/json' --data-binary "@$A/$1"; }

req /healthz
check "GET /healthz status" 200 "$STATUS"
check "GET /healthz body" '{"status":"ok"}' "$BODY"

# the name the kube-apiserver uses, resolved to loopback
svc=$(curl -sS --max-time 10 --cacert "$CA" --resolve "hardpod.hardpod-system.svc:$PORT:127.0.0.1" \
  -o /dev/null -w '%{http_code}' "https://hardpod.hardpod-system.svc:$PORT/healthz" 2>&1 || true)
check "TLS verifies as hardpod.hardpod-system.svc" 200 "$svc"

review aspnet-template-deployment.json
check "ASP.NET template: HTTP 200" 200 "$STATUS"
check_contains "ASP.NET template: denied" "$BODY" '"allowed":false'
check_contains "ASP.NET template: code 403" "$BODY" '"code":403'
check_contains "ASP.NET template: runAsNonRoot named" "$BODY" 'runAsNonRoot'
check_contains "ASP.NET template: port 80 warning" "$BODY" '"warnings":['

review hardened-deployment.json
check "hardened Deployment: HTTP 200" 200 "$STATUS"
check_contains "hardened Deployment: allowed" "$BODY" '"allowed":true'

review pod-bad-init.json
check_contains "bad init container: denied" "$BODY" '"allowed":false'
check_contains "bad init container: named" "$BODY" 'init container'

review update-metadata-only.json
check_contains "metadata-only UPDATE: allowed" "$BODY" '"allowed":true'

review v1beta1-pod.json
check "v1beta1: HTTP 200" 200 "$STATUS"
check_contains "v1beta1: answered in v1beta1" "$BODY" '"apiVersion":"admission.k8s.io/v1beta1"'

review malformed.json
check "malformed JSON: HTTP 400" 400 "$STATUS"
check_contains "malformed JSON: error" "$BODY" '"error":"invalid JSON'

req /metrics
check "GET /metrics status" 200 "$STATUS"
check_contains "metrics: admission requests counted" "$BODY" 'hardpod_admission_requests_total{'
check_contains "metrics: build info" "$BODY" 'hardpod_build_info{version="'

plain=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/healthz" 2>/dev/null || true)
if [ "$plain" = 200 ]; then
  fail "plain HTTP is refused on the TLS port" "actual: 200"
else
  pass "plain HTTP is refused on the TLS port"
fi

logs=$(podman logs "$CID" 2>&1 || true)
check_contains "container logs the listen address" "$logs" "127.0.0.1:$PORT"

# --- 9. image size ---------------------------------------------------------------------------
size=$(inspect '{{.Size}}')
step "image size: $size bytes ($(awk -v s="$size" 'BEGIN { printf "%.1f MB", s / 1000000 }'), $(awk -v s="$size" 'BEGIN { printf "%.1f MiB", s / 1048576 }'))"

# --- 10. graceful stop --------------------------------------------------------------------------
t0=$(date +%s)
timeout 60 podman stop -t 20 "$CID" >/dev/null 2>&1 || true
check "SIGTERM: exit code 0" 0 "$(podman inspect --format '{{.State.ExitCode}}' "$CID" 2>/dev/null)"
echo "   stopped in $(($(date +%s) - t0)) s"
podman rm -f -t 0 "$CID" >/dev/null 2>&1 && CID=""

# --- 10b. the image audits itself, and a root image ------------------------------------------
# `hardpod audit --image-config` on what `podman image inspect` prints, live: the project's own
# image passes; a root image built here fails, alone and under a workload that sets
# runAsNonRoot without runAsUser (the kubelet's "image will run as root").
step "hardpod audit on podman image inspect output (the image itself, a root image)"
IA=$WORK/image-audit
mkdir -p "$IA"
podman image inspect "$IMAGE" >"$IA/own.json"
printf 'FROM %s\nEXPOSE 80\n' "$BASE_IMAGE" >"$IA/Containerfile.root"
if podman build -q --network none -t localhost/hardpod-root-probe:latest -f "$IA/Containerfile.root" \
    "$IA" >"$IA/build.log" 2>&1; then
  podman image inspect localhost/hardpod-root-probe:latest >"$IA/root.json"
  podman rmi -f localhost/hardpod-root-probe:latest >/dev/null 2>&1 || true
fi
cp "$ROOT/tests/fixtures/images/combined/api.yaml" "$IA/api.yaml"
chmod -R a+rX "$IA"
# audit_in ARGS...: hardpod audit in the image, with $IA mounted read-only; sets RC and OUT.
audit_in() {
  RC=0
  OUT=$(timeout 60 podman run --rm --network none --user 65532:65532 --read-only --cap-drop=ALL \
    -v "$IA:$IA:ro" "$IMAGE" audit --color never "$@" 2>&1) || RC=$?
}
audit_in --image-config "$IA/own.json"
check "the image's own config passes (exit 0)" 0 "$RC"
audit_in --only runAsNonRoot --image-map "shop/api:*=$IA/own.json" "$IA/api.yaml"
check "runAsNonRoot without runAsUser on the image's own user passes (exit 0)" 0 "$RC"
if [ -s "$IA/root.json" ]; then
  audit_in --image-config "$IA/root.json"
  check "a root image's config is denied (exit 1)" 1 "$RC"
  check_contains "  its user is root" "$OUT" "deny  runAsNonRoot  image  Config.User"
  audit_in --only runAsNonRoot --image-map "shop/api:*=$IA/root.json" "$IA/api.yaml"
  check "runAsNonRoot without runAsUser on a root image is denied (exit 1)" 1 "$RC"
  check_contains "  with the kubelet's message" "$OUT" "container has runAsNonRoot and image will run as root"
else
  fail "build a root image from $BASE_IMAGE" "$(tail -5 "$IA/build.log")"
fi

# --- 11. the end-to-end suite against the image ------------------------------------------------
# Every tests/e2e script runs with HP_BIN=tests/container/hardpod-podman, so
# each `hardpod ...` it starts runs in the image as uid 65532, read-only,
# without capabilities. The scripts themselves run on the host as uid 65532
# too, so the files they write (private keys are mode 0600) belong to the
# server as a Secret volume's files do in a pod; they reach podman through
# a podman API socket that root serves for the length of this step.
step "the end-to-end suite against the image (tests/e2e, HP_BIN=tests/container/hardpod-podman)"
E2E=$WORK/e2e
mkdir -p "$E2E/home"
SOCK=$WORK/podman.sock
podman system service --time 0 "unix://$SOCK" >"$WORK/podman-service.log" 2>&1 &
SERVICE_PID=$!
for _ in $(seq 1 100); do
  [ -S "$SOCK" ] && break
  sleep 0.1
done
chown -R 65532:65532 "$E2E"
chown 65532:65532 "$SOCK" 2>/dev/null || true
corpus=$(cd "$ROOT/.." && pwd)/shared/corpus
mounts="$E2E:$E2E $ROOT:$ROOT:ro"
[ -d "$corpus" ] && mounts="$mounts $corpus:$corpus:ro"
e2e_failed=()
for t in "$ROOT"/tests/e2e/test_*.sh; do
  name=$(basename "$t" .sh)
  t0=$(date +%s)
  rc=0
  (cd "$ROOT" && timeout 600 setpriv --reuid=65532 --regid=65532 --clear-groups \
    env -i PATH="$PATH" HOME="$E2E/home" TMPDIR="$E2E" LANG=C.UTF-8 \
    HP_BIN="$ROOT/tests/container/hardpod-podman" HP_IMAGE="$IMAGE" \
    HP_PODMAN_URL="unix://$SOCK" HP_E2E_MOUNTS="$mounts" \
    HP_FIXTURES_DIR="$ROOT/tests/fixtures" HP_SOURCE_DIR="$ROOT" HP_CORPUS_DIR="$corpus" \
    CONTAINERS_CONF="$CONTAINERS_CONF" \
    bash "$t") >"$WORK/$name.log" 2>&1 || rc=$?
  summary=$(tail -1 "$WORK/$name.log")
  if [ "$rc" -eq 0 ]; then
    pass "e2e in the image: $name ($summary, $(($(date +%s) - t0)) s)"
  elif [ "$rc" -eq 77 ]; then
    echo "skip $name: $summary"
  else
    grep -A3 '^FAIL' "$WORK/$name.log" | head -40 | sed 's/^/     /'
    fail "e2e in the image: $name (exit $rc: $summary)"
    e2e_failed+=("$name")
  fi
done
kill "$SERVICE_PID" 2>/dev/null || true
wait "$SERVICE_PID" 2>/dev/null || true
SERVICE_PID=""
leftover=$(podman ps -aq --filter label=hardpod-e2e=1)
if [ -n "$leftover" ]; then
  podman rm -f -t 0 $leftover >/dev/null 2>&1 || true
fi

finish
