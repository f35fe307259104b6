#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# `hardpod audit --format patch` against kustomize: for each manifest (the
# fixtures, the corpus's .NET manifests and PSA pods wrapped in
# Deployments), the generated Component is added to a kustomization of the
# manifest, its placeholders replaced as a user would, and `kubectl
# kustomize` builds it. The build is audited again: every finding that the
# output says was patched is gone, the ones it lists as not patched remain,
# and the objects differ only in the fields the patches set
# (tests/e2e/patch_check.py). Skips without kubectl or python3 with PyYAML.

set -u
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need kubectl python3
python3 -c 'import yaml' 2>/dev/null || { echo "SKIP: python3 has no yaml module (PyYAML)"; exit 77; }
CHECK=$(dirname "${BASH_SOURCE[0]}")/patch_check.py
CORPUS=${HP_CORPUS_DIR:-}
tmp=$E2E_TMP

# kustomize_case NAME FILE [AUDIT FLAGS...]: the whole round trip for one file.
kustomize_case() {
    local name=$1 file=$2
    shift 2
    local d="$tmp/case.$RANDOM"
    mkdir -p "$d/fix"
    cp "$file" "$d/input.yaml"
    printf 'resources: [input.yaml]\n' >"$d/kustomization.yaml"
    if ! kubectl kustomize "$d" >"$d/base.yaml" 2>"$d/err"; then
        echo "note $name: kustomize cannot build the file itself ($(head -c 200 "$d/err")); left out"
        return
    fi
    "$HP_BIN" audit --no-group --format patch "$@" "$d/input.yaml" >"$d/fix/component.yaml"
    local rc=$?
    if [[ $rc -ne 0 && $rc -ne 1 ]]; then
        fail "$name: audit --format patch exits 0 or 1" "exit $rc"
        return
    fi
    # What a user does with the placeholders.
    sed -e 's/"<set: cpu request>"/100m/; s/"<set: memory request>"/128Mi/' \
        -e 's/"<set: cpu limit>"/500m/; s/"<set: memory limit>"/256Mi/' \
        "$d/fix/component.yaml" >"$d/fix/kustomization.yaml"
    printf 'resources: [input.yaml]\ncomponents: [fix]\n' >"$d/kustomization.yaml"
    if ! kubectl kustomize "$d" >"$d/patched.yaml" 2>"$d/err"; then
        fail "$name: kustomize builds the patched manifest" "$(head -c 600 "$d/err")"
        return
    fi
    "$HP_BIN" audit --no-group --format json "$@" "$d/base.yaml" >"$d/before.json"
    "$HP_BIN" audit --no-group --format json "$@" "$d/patched.yaml" >"$d/after.json"
    local problems
    if problems=$(python3 "$CHECK" "$d/fix/kustomization.yaml" "$d/base.yaml" "$d/patched.yaml" \
        "$d/before.json" "$d/after.json" 2>&1); then
        pass "$name: patched findings gone, the rest listed, nothing else changed"
    else
        fail "$name" "$(echo "$problems" | head -20)"
    fi
}

# --- the fixtures -------------------------------------------------------------
for f in "$FIXTURES"/manifests/*.yaml; do
    kustomize_case "fixture $(basename "$f")" "$f"
done
kustomize_case "fixture aspnet-template.yaml, psa-restricted" \
    "$FIXTURES/manifests/aspnet-template.yaml" --profile psa-restricted

# --- the corpus ---------------------------------------------------------------
if [[ -n $CORPUS && -d $CORPUS/dotnet/manifests ]]; then
    for f in "$CORPUS"/dotnet/manifests/*.yaml; do
        kustomize_case "corpus $(basename "$f")" "$f"
    done
else
    echo "note: the corpus is absent (HP_CORPUS_DIR); its .NET manifests are left out"
fi
if [[ -n $CORPUS && -d $CORPUS/psa ]]; then
    # Every PSA fail pod of both levels, as a Deployment each, in one file.
    python3 - "$CORPUS/psa" "$tmp/psa.yaml" <<'EOF'
import glob, sys, yaml
docs = []
for level in ("restricted", "baseline"):
    for i, f in enumerate(sorted(glob.glob("%s/%s/v1.37/fail/*.yaml" % (sys.argv[1], level)))):
        pod = yaml.safe_load(open(f))
        docs.append({"apiVersion": "apps/v1", "kind": "Deployment",
                     "metadata": {"name": "%s-%d" % (level, i), "namespace": "psa"},
                     "spec": {"selector": {"matchLabels": {"app": "x"}},
                              "template": {"metadata": {"labels": {"app": "x"},
                                                        **({"annotations": pod["metadata"]["annotations"]}
                                                           if pod["metadata"].get("annotations") else {})},
                                           "spec": pod["spec"]}}})
yaml.safe_dump_all(docs, open(sys.argv[2], "w"))
EOF
    kustomize_case "corpus PSA fail pods in Deployments" "$tmp/psa.yaml"
    kustomize_case "corpus PSA fail pods in Deployments, psa-restricted" "$tmp/psa.yaml" \
        --profile psa-restricted
else
    echo "note: the corpus is absent (HP_CORPUS_DIR); the PSA pods are left out"
fi

# --- the output's shape --------------------------------------------------------
run "$HP_BIN" audit --format patch "$FIXTURES/manifests/aspnet-template.yaml"
check "a resource with a deny exits 1" 1 "$rc"
expect_text "placeholders, never numbers" out 'cpu: "<set: cpu request>"'
expect_text "containers addressed by name" out '- name: webapp'
expect_text "capabilities drop ALL" out $'drop:\n                - ALL'
expect_text "Kestrel's port moved in the variable that sets it" out 'value: "http://+:8080"'
expect_text "diagnostics off, once the root filesystem is read-only" out 'name: DOTNET_EnableDiagnostics'
expect_text "the containerPort is listed, not patched" out \
    "not patched: privilegedPorts spec.template.spec.containers[0].ports[0].containerPort"
run "$HP_BIN" audit --format patch "$FIXTURES/manifests/hardened-deployment.yaml"
expect_text "nothing to patch: an empty list" out "patches: []"
printf 'apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: {name: old}\nspec:\n  template:\n    spec:\n      containers: [{name: a, image: x}]\n' >"$tmp/legacy.yaml"
run "$HP_BIN" audit --format patch "$tmp/legacy.yaml"
expect_text "a legacy apiVersion gets no patch, and says why" out "no patch: kustomize has no schema"
expect_text "its findings are listed one by one" out "not patched: runAsNonRoot"
run "$HP_BIN" audit --format patch "$FIXTURES/manifests/malformed.yaml"
check "an unreadable input exits 2" 2 "$rc"
expect_text "and is a comment" out "# ERROR"

finish
