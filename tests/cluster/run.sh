#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The cluster test: deploy/ run as a kubelet runs it, called as kube-apiserver
# calls it, with no real cluster. Builds the image from the Dockerfile
# (scripts/build-image.sh), copies deploy/ aside, makes the self-signed
# certificates with the image's own `hardpod certs` as the overlay's comment
# tells a user to, and runs tests/cluster/test_cluster.py for the self-signed,
# audit and cert-manager overlays (the scenarios are listed there and in
# docs/). Ends with "N passed, N failed"; exit status 0 when nothing failed.
# Prints SKIP with the reason and exits 0 when it cannot run here (not root,
# no podman, kubectl or python3 with PyYAML), as scripts/container-test.sh does.
#
#   tests/cluster/run.sh [OVERLAY...]     default: self-signed audit cert-manager
#
# Environment: HP_IMAGE (default localhost/hardpod:test), HP_CLUSTER_SKIP_BUILD=1
# to use HP_IMAGE as it is, and what scripts/build-image.sh reads.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
START=$(date +%s)
IMAGE=${HP_IMAGE:-localhost/hardpod:test}
export CONTAINERS_CONF=${CONTAINERS_CONF:-$ROOT/tests/container/containers.conf}
overlays=("$@")
[ ${#overlays[@]} -gt 0 ] || overlays=(self-signed audit cert-manager)

skip() {
  echo "SKIP tests/cluster: $*"
  exit 0
}
[ "$(id -u)" -eq 0 ] || skip "needs root (podman with runc and cgroupfs, as scripts/container-test.sh)"
command -v kubectl >/dev/null || skip "kubectl is not on PATH (it renders the overlays: kubectl kustomize)"
if ! command -v podman >/dev/null; then
  scripts/install-deps.sh podman buildah runc debootstrap >/dev/null 2>&1 || true
fi
command -v podman >/dev/null || skip "podman is missing and could not be installed"
PY=""
for cand in /usr/bin/python3 python3; do
  if command -v "$cand" >/dev/null && "$cand" -c 'import yaml' 2>/dev/null; then
    PY=$cand
    break
  fi
done
[ -n "$PY" ] || skip "no python3 with PyYAML (apt-get install python3-yaml)"

WORK=$(mktemp -d /tmp/hardpod-cluster.XXXXXX)
chmod 0755 "$WORK"
cleanup() {
  podman ps -aq --filter label=hardpod-cluster-test=1 | xargs -r podman rm -f -t 0 >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "${HP_CLUSTER_SKIP_BUILD:-0}" != 1 ]; then
  echo "== scripts/build-image.sh ($IMAGE)"
  HP_IMAGE=$IMAGE scripts/build-image.sh
fi
podman image exists "$IMAGE" || { echo "FAIL image $IMAGE does not exist"; echo "0 passed, 1 failed"; exit 1; }

# The image's own hardpod, as uid 65532 without privileges, writing into $WORK.
certs_cmd="podman run --rm --network none --user 65532:65532 --read-only --cap-drop ALL \
--security-opt no-new-privileges -v $WORK:$WORK $IMAGE"

cp -r deploy "$WORK/deploy"
mkdir -p "$WORK/deploy/overlays/self-signed/certs" "$WORK/cert-manager-ca"
chown 65532:65532 "$WORK/deploy/overlays/self-signed/certs" "$WORK/cert-manager-ca"
echo "== hardpod certs (in the image) for deploy/overlays/self-signed, as its kustomization.yaml says"
# shellcheck disable=SC2086
$certs_cmd certs --service hardpod --namespace hardpod-system \
  --out "$WORK/deploy/overlays/self-signed/certs" \
  --webhook-config "$WORK/deploy/webhook/webhook.yaml.in" | sed 's/^/   /' | grep -v caBundle

passed=0
failed=0
for o in "${overlays[@]}"; do
  t0=$(date +%s)
  rc=0
  "$PY" tests/cluster/test_cluster.py --overlay "$o" --deploy "$WORK/deploy" --image "$IMAGE" \
    --certs-cmd "$certs_cmd" --work "$WORK" | tee "$WORK/$o.log" || rc=$?
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$WORK/$o.log" | tail -1)
  p=$(echo "${line:-0 passed, 1 failed}" | awk '{print $1}')
  f=$(echo "${line:-0 passed, 1 failed}" | awk '{print $3}')
  [ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || f=1
  passed=$((passed + p))
  failed=$((failed + f))
  echo "== $o: $p passed, $f failed in $(($(date +%s) - t0)) s"
  podman ps -aq --filter label=hardpod-cluster-test=1 | xargs -r podman rm -f -t 0 >/dev/null 2>&1 || true
done
echo "== tests/cluster: $(($(date +%s) - START)) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
