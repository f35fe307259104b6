#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# `hardpod audit` on the pod templates inside custom resources, as a user
# runs it: every built-in kind (Argo Rollouts, Knative Serving, KEDA) passes
# with a hardened template and is denied, at the real field paths, without
# one; a Rollout that takes its template from a workloadRef has none; a
# kind mapped in --config with a path through a list is evaluated element by
# element; bad customKinds entries are refused with file:line: key: messages.
# Needs HP_BIN and HP_FIXTURES_DIR (set by ctest); exits 77 (skip) only when
# the binary or python3 is missing.

set -u

if [[ -z "${HP_BIN:-}" || ! -x "${HP_BIN}" ]]; then
    echo "skip: HP_BIN does not name an executable hardpod binary"
    exit 77
fi
if ! command -v python3 >/dev/null 2>&1; then
    echo "skip: python3 is needed to read the JSON output"
    exit 77
fi
: "${HP_FIXTURES_DIR:?HP_FIXTURES_DIR is not set}"

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tmp=$E2E_TMP
FIXTURES=$HP_FIXTURES_DIR/crd
cd "$FIXTURES" || exit 1

# expect_same NAME WANT GOT
expect_same() {
    if [[ $2 == "$3" ]]; then
        pass "$1"
    else
        fail "$1" "expected: $2" "got:      $3"
    fi
}

# The findings of the JSON report (one member a line, check before path), one
# "check path" per line, sorted. awk rather than python: it starts in no time.
findings() {
    awk -F'"' '/^ *"check":/ { c = $4 } /^ *"path":/ { print c " " $4 }' | LC_ALL=C sort
}

# stem, then the prefix of the pod spec under test in the fail fixture
kinds=(
    "rollout spec.template.spec"
    "analysistemplate spec.metrics[2].provider.job.spec.template.spec"
    "clusteranalysistemplate spec.metrics[2].provider.job.spec.template.spec"
    "analysisrun spec.metrics[2].provider.job.spec.template.spec"
    "experiment spec.templates[1].template.spec"
    "knative-service spec.template.spec"
    "knative-configuration spec.template.spec"
    "knative-revision spec"
    "scaledjob spec.jobTargetRef.template.spec"
)
for k in "${kinds[@]}"; do
    read -r stem prefix <<<"$k"
    expect_rc "$stem: a hardened template passes (exit 0)" 0 \
        "$HP_BIN" audit --format json "$stem-pass.yaml"
    expect_same "$stem: no finding" "" "$(findings <"$tmp/out")"
    expect_rc "$stem: hostPID and a privileged container are denied (exit 1)" 1 \
        "$HP_BIN" audit --format json "$stem-fail.yaml"
    expect_same "$stem: the findings name the real paths" \
        "hostNamespaces $prefix.hostPID
privileged $prefix.containers[0].securityContext.privileged" "$(findings <"$tmp/out")"
done

# The text report and SARIF name the same paths.
expect_rc "text report of an AnalysisTemplate (exit 1)" 1 "$HP_BIN" audit analysistemplate-fail.yaml
expect_text "text report names the job's container" out \
    'spec.metrics[2].provider.job.spec.template.spec.containers[0].securityContext.privileged'
expect_rc "SARIF report of an Experiment (exit 1)" 1 "$HP_BIN" audit --format sarif experiment-fail.yaml
expect_text "SARIF names the path inside the template list" out \
    'spec.templates[1].template.spec.containers[0].securityContext.privileged'

# Every fixture in one stream on stdin: nine denials, the rest pass.
cat ./*-pass.yaml ./*-fail.yaml rollout-workloadref.yaml |
    sed 's/^apiVersion:/---\napiVersion:/' >"$tmp/all.yaml"
expect_rc "all custom kinds on stdin (exit 1)" 1 "$HP_BIN" audit --format json - <"$tmp/all.yaml"
got=$(python3 -c 'import json, sys
r = json.load(sys.stdin)
print(sum(1 for x in r["resources"] if not x["allowed"]), len(r["resources"]), len(r["errors"]))' \
    <"$tmp/out")
expect_same "stdin: 9 of 19 resources denied, no error" "9 19 0" "$got"

# A Rollout that takes its template from a workloadRef holds none: nothing to
# find; one with neither is an error, never a pass.
expect_rc "Rollout with a workloadRef (exit 0)" 0 "$HP_BIN" audit --format json rollout-workloadref.yaml
expect_same "Rollout with a workloadRef: no finding" "" "$(findings <"$tmp/out")"
sed '/workloadRef:/,/scaleDown:/d' rollout-workloadref.yaml >"$tmp/rollout-neither.yaml"
expect_rc "Rollout with neither template nor workloadRef (exit 2)" 2 \
    "$HP_BIN" audit "$tmp/rollout-neither.yaml"
expect_text "the error says what is missing" out \
    "spec.template: missing (and spec.workloadRef is not set)"

# A kind of the config, with a path through a list.
cat >"$tmp/pipeline.yaml" <<'EOF'
apiVersion: ci.example.com/v1
kind: Pipeline
metadata:
  name: build
  namespace: ci
spec:
  stages:
    - name: approve
    - name: compile
      podTemplate:
        spec:
          hostNetwork: true
          containers:
            - name: gcc
              image: gcc:14
EOF
cat >"$tmp/hardpod.yaml" <<'EOF'
profile: psa-baseline
customKinds:
  - group: ci.example.com
    kind: Pipeline
    podTemplates: ["spec.stages[*].podTemplate?"]
EOF
expect_rc "config kind with a list path is evaluated (exit 1)" 1 \
    "$HP_BIN" audit --config "$tmp/hardpod.yaml" --format json "$tmp/pipeline.yaml"
expect_same "config kind: the finding names the list element" \
    "hostNamespaces spec.stages[1].podTemplate.spec.hostNetwork" "$(findings <"$tmp/out")"
run "$HP_BIN" audit --profile psa-baseline --format json "$tmp/pipeline.yaml"
expect_same "without the config entry the kind is not read" "" "$(findings <"$tmp/out")"

# Bad entries are refused at load, with file:line: key: and what is wrong.
bad_cases=(
    "path with an index|podTemplates: [\"spec.stages[0].podTemplate\"]|4: customKinds[0].podTemplates[0]: invalid path \"spec.stages[0].podTemplate\": only [*] selects list elements (byte 12)"
    "no paths|podSpecs: []|2: customKinds[0]: expected podSpecs or podTemplates"
    "unknown key|templates: [spec.template]|4: customKinds[0].templates: unknown key"
)
for c in "${bad_cases[@]}"; do
    IFS='|' read -r name line want <<<"$c"
    printf 'customKinds:\n  - group: ci.example.com\n    kind: Pipeline\n    %s\n' "$line" \
        >"$tmp/bad.yaml"
    expect_rc "bad entry, $name: refused (exit 2)" 2 \
        "$HP_BIN" audit --config "$tmp/bad.yaml" "$tmp/pipeline.yaml"
    expect_text "bad entry, $name: the message" err "$tmp/bad.yaml:$want"
done
printf 'customKinds:\n  - group: apps\n    kind: Deployment\n    podSpecs: [spec]\n' \
    >"$tmp/bad.yaml"
expect_rc "an entry for a built-in group is refused (exit 2)" 2 \
    "$HP_BIN" audit --config "$tmp/bad.yaml" "$tmp/pipeline.yaml"
expect_text "the message says why" err "$tmp/bad.yaml:2: customKinds[0].group: \"apps\" is a built-in group"

finish
