#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Runs tests/deploy/test_manifests.py: renders deploy/ with `kubectl kustomize`
# and checks every field against the Kubernetes API models of the
# python3-kubernetes package. Prints "N passed, N failed". Exits 77 (skip),
# with the reason, when kubectl, the hardpod binary or a python3 with the
# kubernetes and yaml modules is missing. Set HP_PYTHON to choose the python.

set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export HP_SOURCE_DIR="${HP_SOURCE_DIR:-$(cd "$here/../.." && pwd)}"

if ! command -v kubectl >/dev/null 2>&1; then
    echo "skip: kubectl is not on PATH; it renders the kustomizations (kubectl is not a"
    echo "      Debian package: see https://kubernetes.io/docs/tasks/tools/)"
    exit 77
fi
if [[ -z "${HP_BIN:-}" || ! -x "${HP_BIN}" ]]; then
    echo "skip: HP_BIN does not name an executable hardpod binary"
    exit 77
fi

# The Debian modules live in /usr/bin/python3's path; a python3 earlier on PATH
# (pyenv, a virtualenv) may not see them.
py=""
for cand in ${HP_PYTHON:-} /usr/bin/python3 python3; do
    if command -v "$cand" >/dev/null 2>&1 &&
        "$cand" -c 'import kubernetes.client, yaml' >/dev/null 2>&1; then
        py=$cand
        break
    fi
done
if [[ -z "$py" ]]; then
    echo "skip: no python3 with the kubernetes and yaml modules"
    echo "      (apt-get install python3-kubernetes python3-yaml, or set HP_PYTHON)"
    exit 77
fi

exec "$py" "$here/test_manifests.py"
