#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Drives the real `hardpod` binary the way a user does: help texts, exit
# codes, --fail-on, the skipped and not-evaluated statuses, the JSON, SARIF,
# JUnit and PolicyReport formats (the last validated against the CRDs'
# schema), stdin, --only, --profile, --config and its error messages, and
# usage errors. Needs HP_BIN and HP_FIXTURES_DIR
# (set by ctest); exits 77 (skip) only when the binary or python3 is missing.

set -u

if [[ -z "${HP_BIN:-}" || ! -x "${HP_BIN}" ]]; then
    echo "skip: HP_BIN does not name an executable hardpod binary"
    exit 77
fi
if ! command -v python3 >/dev/null 2>&1; then
    echo "skip: python3 is needed to validate the JSON output"
    exit 77
fi
: "${HP_FIXTURES_DIR:?HP_FIXTURES_DIR is not set}"
CORPUS="${HP_CORPUS_DIR:-}"

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tmp=$E2E_TMP
FIXTURES=$HP_FIXTURES_DIR/manifests
cd "$FIXTURES" || exit 1

# expect_true NAME CMD...: the command succeeds (a test of the last output).
expect_true() {
    local name=$1
    shift
    if "$@"; then
        pass "$name"
    else
        fail "$name" "$(tail -n 1 "$tmp/py" 2>/dev/null)"
    fi
}

no_escapes() {
    [[ $out != *$'\033'* ]]
}

# Prints "resources denied warned errors" of the JSON report on stdin.
json_summary() {
    python3 -c 'import json, sys
s = json.load(sys.stdin)["summary"]
print(s["resources"], s["denied"], s["warned"], s["errors"])' 2>/dev/null
}

# --- help -------------------------------------------------------------------
for args in "--help" "help" "-h"; do
    expect_rc "hardpod $args exits 0" 0 "$HP_BIN" $args
    for cmd in audit version help; do
        expect_text "hardpod $args lists $cmd" out "  $cmd "
    done
done
expect_rc "hardpod audit --help exits 0" 0 "$HP_BIN" audit --help
for flag in --config --profile --only --format --fail-on --color --help; do
    expect_text "audit --help documents $flag" out "$flag"
done
for word in psa-baseline psa-restricted sarif junit policyreport not-evaluated "NOT EVALUATED" \
    SKIP readOnlyRootFilesystem "exit status"; do
    expect_text "audit --help mentions $word" out "$word"
done
expect_rc "hardpod help audit exits 0" 0 "$HP_BIN" help audit
expect_text "hardpod help audit shows the audit help" out "usage: hardpod audit"
expect_rc "hardpod version --help exits 0" 0 "$HP_BIN" version --help
expect_text "version --help documents --help" out "--help"
expect_rc "hardpod help --help exits 0" 0 "$HP_BIN" help --help

# --- version ----------------------------------------------------------------
expect_rc "hardpod version exits 0" 0 "$HP_BIN" version
if [[ $out =~ ^hardpod\ [0-9]+\.[0-9]+\.[0-9]+ ]]; then
    pass "version prints 'hardpod X.Y.Z'"
else
    fail "version prints 'hardpod X.Y.Z'" "got: $out"
fi

# --- exit codes and text output ----------------------------------------------
expect_rc "hardened Deployment passes (exit 0)" 0 "$HP_BIN" audit hardened-deployment.yaml
expect_text "text report says PASS" out "PASS  Deployment shop/api  (hardened-deployment.yaml:5)"
expect_text "text summary line" out \
    "1 resources: 0 denied, 0 warned, 0 errors, 1 passed, 0 skipped, 0 not evaluated (profile hardened)"
expect_rc "ASP.NET template is denied (exit 1)" 1 "$HP_BIN" audit aspnet-template.yaml
expect_text "denial names the field" out "  deny  readOnlyRootFilesystem  container \"webapp\"  \
spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem"
expect_text "denial has a fix" out "fix: securityContext: {readOnlyRootFilesystem: true}"
expect_rc "malformed file is an error (exit 2)" 2 "$HP_BIN" audit malformed.yaml
expect_text "parse error names file and line" out "ERROR malformed.yaml:20: "
expect_text "good documents around it are still read" out \
    "SKIP  ConfigMap after  (malformed.yaml:22): no pod spec"
expect_rc "missing file is an error (exit 2)" 2 "$HP_BIN" audit no-such-file.yaml
expect_rc "directory walk (exit 0)" 0 "$HP_BIN" audit tree
expect_text "directory walk in sorted order" out \
    "$(printf 'SKIP  ConfigMap zeta  (tree/Zeta.yaml:1): no pod spec\nSKIP  ConfigMap one  (tree/a/one.yml:1): no pod spec')"
# --- YAML read as kubectl reads it -------------------------------------------
# Each file is a Pod that `kubectl apply -f` creates privileged or with a host
# namespace, written so that a YAML reader that is not kubectl's sees a
# harmless object (merge keys, !!binary keys, `---#` separators).
for f in kubectl-yaml/*.yaml; do
    expect_rc "kubectl reading: $f is denied (exit 1)" 1 "$HP_BIN" audit "$f"
    expect_text "kubectl reading: $f reports the Pod" out "DENY  Pod shop/"
done
printf 'kind: ConfigMap\n--- {kind: Pod}\n' >"$tmp/bad-separator.yaml"
expect_rc "text after --- is refused as kubectl refuses it (exit 2)" 2 \
    "$HP_BIN" audit "$tmp/bad-separator.yaml"
expect_text "the refusal names the line" out "line 2: a line that starts with \`---\`"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n...\nkind: Pod\nspec: {hostPID: true}\n' \
    >"$tmp/after-end.yaml"
expect_rc "what follows ... is not read, as kubectl does not (exit 0)" 0 \
    "$HP_BIN" audit "$tmp/after-end.yaml"

expect_rc "--color never has no escapes" 1 "$HP_BIN" audit --color never aspnet-template.yaml
expect_true "no ANSI escapes with --color never" no_escapes
expect_rc "--color always" 1 "$HP_BIN" audit --color always aspnet-template.yaml
expect_text "--color always colours DENY red" out $'\033[31mDENY'
expect_rc "--color auto on a pipe" 1 "$HP_BIN" audit aspnet-template.yaml
expect_true "no colour when stdout is not a terminal" no_escapes

# --- JSON and SARIF -----------------------------------------------------------
expect_rc "--format json (exit 1)" 1 "$HP_BIN" audit --format json multi-doc.yaml list.yaml
if python3 -m json.tool "$tmp/out" >/dev/null 2>&1; then
    pass "json output parses"
else
    fail "json output parses" "$(head -c 400 "$tmp/out")"
fi
got=$(json_summary <"$tmp/out")
expect_true "json summary counts (want 6 2 1 0, got $got)" test "$got" = "6 2 1 0"
expect_rc "--format sarif (exit 2)" 2 \
    "$HP_BIN" audit --format sarif ./aspnet-template.yaml malformed.yaml
if python3 - "$tmp/out" 2>"$tmp/py" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["version"] == "2.1.0", d["version"]
run = d["runs"][0]
rules = run["tool"]["driver"]["rules"]
assert len(rules) == 24, len(rules)
uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
assert uris == {"aspnet-template.yaml", "malformed.yaml"}, uris
regions = set()
for r in run["results"]:
    assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
    region = r["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] > 0
    if r["ruleId"] == "readOnlyRootFilesystem":
        regions.add((region["startLine"], region.get("startColumn")))
# The missing field points at its container's element, `- name: webapp`.
assert regions == {(21, 9)}, regions
EOF
then
    pass "sarif structure"
else
    fail "sarif structure" "$(tail -n 1 "$tmp/py")"
fi

# --- stdin --------------------------------------------------------------------
run "$HP_BIN" audit --format json - <multi-doc.yaml
expect_true "stdin via - (want exit 1, got $rc)" test "$rc" -eq 1
expect_text "stdin sources are -:LINE" out '"source":"-:53"'
run "$HP_BIN" audit - <hardened-deployment.yaml
expect_true "hardened Deployment on stdin (want exit 0, got $rc)" test "$rc" -eq 0
run "$HP_BIN" audit - <malformed.yaml
expect_true "malformed stdin (want exit 2, got $rc)" test "$rc" -eq 2
expect_text "stdin parse error names -:LINE" out "ERROR -:20: "

# --- read as kubectl reads: JSON streams and lists ------------------------------
pod='{"apiVersion":"v1","kind":"Pod","metadata":{"name":"NAME"},"spec":{"hostPID":true,"containers":[{"name":"c","image":"x"}]}}'
printf '%s\n%s%s' "${pod/NAME/one}" "${pod/NAME/two}" "${pod/NAME/three}" >"$tmp/concat.json"
run "$HP_BIN" audit - <"$tmp/concat.json"
expect_true "three concatenated JSON objects on stdin (want exit 1, got $rc)" test "$rc" -eq 1
expect_text "each concatenated object is audited, at its line" out "DENY  Pod three  (-:2)"
printf '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm"},"items":[%s]}' \
    "${pod/NAME/hidden}" >"$tmp/cm-items.json"
run "$HP_BIN" audit "$tmp/cm-items.json"
expect_true "a ConfigMap with items is a list (want exit 1, got $rc)" test "$rc" -eq 1
expect_text "the Pod in a ConfigMap's items is denied" out "DENY  Pod hidden"
printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: shell}\nspec: {containers: []}\nitems:\n- metadata: {name: inner}\n  spec: {hostPID: true, containers: [{name: c, image: x}]}\n' \
    >"$tmp/pod-items.yaml"
run "$HP_BIN" audit "$tmp/pod-items.yaml"
expect_text "a YAML Pod with items: its items take its kind" out "DENY  Pod inner  (${tmp}/pod-items.yaml:6)"
printf '%s x %s' "${pod/NAME/before}" "${pod/NAME/after}" >"$tmp/garbage.json"
run "$HP_BIN" audit "$tmp/garbage.json"
expect_true "garbage in a JSON stream (want exit 2, got $rc)" test "$rc" -eq 2
expect_text "garbage ends the stream as kubectl's" out "the rest of the input is not read"
if [[ $out == *after* ]]; then
    fail "nothing after garbage is audited" "$out"
else
    pass "nothing after garbage is audited"
fi

# --- --only and --profile -----------------------------------------------------
expect_rc "--only privileged" 1 "$HP_BIN" audit --format json --only privileged multi-doc.yaml
if python3 - "$tmp/out" 2>"$tmp/py" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
checks = {f["check"] for r in d["resources"] for f in r["findings"]}
assert checks == {"privileged"}, checks
EOF
then
    pass "--only keeps only that check"
else
    fail "--only keeps only that check" "$(tail -n 1 "$tmp/py")"
fi
expect_rc "--only without the failing check passes" 0 \
    "$HP_BIN" audit --only hostPorts,privileged aspnet-template.yaml
expect_rc "--profile psa-baseline allows the template" 0 \
    "$HP_BIN" audit --profile psa-baseline aspnet-template.yaml
expect_text "summary names the profile" out "(profile psa-baseline)"
expect_rc "--profile psa-baseline still denies privileged" 1 \
    "$HP_BIN" audit --profile psa-baseline multi-doc.yaml
expect_rc "--profile psa-restricted denies the template" 1 \
    "$HP_BIN" audit --profile psa-restricted aspnet-template.yaml

# --- --config -----------------------------------------------------------------
cat >"$tmp/warn.yaml" <<'EOF'
profile: hardened
checks:
  privileged:
    action: warn
EOF
expect_rc "--config turns a denial into a warning" 0 \
    "$HP_BIN" audit --config "$tmp/warn.yaml" --only privileged multi-doc.yaml
expect_text "the warning is reported" out "warn  privileged"
expect_rc "--profile replaces the config's profile" 0 \
    "$HP_BIN" audit --config "$tmp/warn.yaml" --profile psa-baseline multi-doc.yaml
expect_text "summary names the replaced profile" out "(profile psa-baseline)"
cat >"$tmp/bad.yaml" <<'EOF'
profile: hardened
checks:
  readOnlyRootFilesystm:
    action: warn
EOF
expect_rc "bad config file (exit 2)" 2 \
    "$HP_BIN" audit --config "$tmp/bad.yaml" hardened-deployment.yaml
expect_text "config error names file and line" err "hardpod: $tmp/bad.yaml:3: "
expect_rc "missing config file (exit 2)" 2 \
    "$HP_BIN" audit --config "$tmp/none.yaml" hardened-deployment.yaml
expect_text "missing config is named" err "$tmp/none.yaml"
cat >"$tmp/exempt.yaml" <<'EOF'
exemptions:
  - namespace: shop
    reason: migration to the hardened base image
    expires: 2025-06-30
EOF
expect_rc "exemption applies before it expires" 0 \
    "$HP_BIN" audit --config "$tmp/exempt.yaml" --now 2025-06-01T00:00:00Z multi-doc.yaml
expect_text "exempt findings say why" out "exempt: migration to the hardened base image"
expect_rc "exemption stops after it expires" 1 \
    "$HP_BIN" audit --config "$tmp/exempt.yaml" --now 2025-07-01T00:00:00Z multi-doc.yaml

# --- skipped and not evaluated ----------------------------------------------------
expect_rc "custom kinds holding containers are not a failure by default" 0 \
    "$HP_BIN" audit custom-resources.yaml
expect_text "a custom kind with containers is NOT EVALUATED, with the path" out \
    "$(printf 'NOT EVALUATED  Widget shop/web  (custom-resources.yaml:4)\n        hardpod cannot read kind apps.example.com/v1 Widget, which holds containers at spec.template.spec.containers')"
expect_text "a Kustomization is skipped" out \
    "SKIP  Kustomization (unnamed)  (custom-resources.yaml:46): no pod spec"
expect_text "the summary counts skipped and not evaluated" out \
    "5 resources: 0 denied, 0 warned, 0 errors, 0 passed, 2 skipped, 3 not evaluated"
expect_true "nothing there is a PASS" test "${out/PASS/}" = "$out"
expect_rc "an input with no Kubernetes object" 0 "$HP_BIN" audit not-kubernetes.json
expect_text "the summary says there is no Kubernetes object" out \
    "no Kubernetes object (apiVersion and kind) in the input"

# --- --fail-on ----------------------------------------------------------------------
# Every value against an input that passes, warns, is denied, is not
# evaluated, and cannot be read.
fail_on_cases=(
    "deny|hardened-deployment.yaml|0"
    "deny|warn-only.yaml|0"
    "deny|multi-doc.yaml|1"
    "deny|custom-resources.yaml|0"
    "deny|malformed.yaml|2"
    "warn|warn-only.yaml|1"
    "warn|multi-doc.yaml|1"
    "warn|hardened-deployment.yaml|0"
    "warn|custom-resources.yaml|0"
    "never|multi-doc.yaml|0"
    "never|warn-only.yaml|0"
    "never|custom-resources.yaml|0"
    "never|malformed.yaml|2"
    "not-evaluated|custom-resources.yaml|1"
    "not-evaluated|multi-doc.yaml|1"
    "not-evaluated|warn-only.yaml|0"
    "deny,not-evaluated|custom-resources.yaml|1"
    "deny,not-evaluated|not-kubernetes.json|0"
    "warn,not-evaluated|custom-resources.yaml|1"
    "warn,not-evaluated|warn-only.yaml|1"
)
for c in "${fail_on_cases[@]}"; do
    IFS='|' read -r value file want <<<"$c"
    expect_rc "--fail-on $value $file (exit $want)" "$want" \
        "$HP_BIN" audit --fail-on "$value" "$file"
done
expect_rc "--fail-on never still reports the denial" 0 \
    "$HP_BIN" audit --fail-on never multi-doc.yaml
expect_text "--fail-on never: DENY is in the report" out "DENY  Pod shop/debug"

# The README's CI recipe: the report is written whatever was found, then a
# gate fails the job. A read error fails the first step already (exit 2).
run "$HP_BIN" audit --fail-on never --format sarif multi-doc.yaml
expect_true "CI recipe: the SARIF step exits 0 with a denial (got $rc)" test "$rc" -eq 0
expect_true "CI recipe: the SARIF is written" python3 -c \
    'import json,sys; d=json.load(open(sys.argv[1])); assert d["runs"][0]["results"]' "$tmp/out"
expect_rc "CI recipe: the gate step fails on the denial" 1 "$HP_BIN" audit multi-doc.yaml
expect_rc "CI recipe: a parse error is never success" 2 \
    "$HP_BIN" audit --fail-on never --format sarif malformed.yaml

# --- --only with --profile none -------------------------------------------------
expect_rc "--profile none --only runAsNonRoot runs the check (exit 1)" 1 \
    "$HP_BIN" audit --format json --profile none --only runAsNonRoot aspnet-template.yaml
if python3 - "$tmp/out" 2>"$tmp/py" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
found = [(f["check"], f["action"]) for r in d["resources"] for f in r["findings"]]
assert found == [("runAsNonRoot", "deny")], found
EOF
then
    pass "--profile none --only: only that check, with action deny"
else
    fail "--profile none --only: only that check, with action deny" "$(tail -n 1 "$tmp/py")"
fi
expect_text "--only says it turned the check on" err \
    "check runAsNonRoot is off in profile none; --only runs it with action deny"
expect_rc "--profile none alone passes everything" 0 \
    "$HP_BIN" audit --profile none aspnet-template.yaml

# --- JUnit ------------------------------------------------------------------------
# Names with markup, quotes, control characters and a byte that is no UTF-8. The
# container wrapper (tests/container) cannot pass the last two through podman:
# against the image, the name has only markup and quotes.
odd="$tmp/odd<&\"'"$'\x01\xff'".yaml"
odd_tail="/odd<&\"'\\x01\\xff.yaml"
if [[ -n ${HP_IMAGE:-} ]]; then
    odd="$tmp/odd<&\"'.yaml"
    odd_tail="/odd<&\"'.yaml"
fi
printf '%s\n' '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p]]>\u0001\u001b\u007f\ufffe", "namespace": "a&b"}, "spec": {"containers": [{"name": "c\t<x>", "image": "i"}]}}' >"$odd"
expect_rc "--format junit (exit 2: malformed.yaml)" 2 "$HP_BIN" audit --format junit \
    multi-doc.yaml custom-resources.yaml malformed.yaml warn-only.yaml "$odd"
cp "$tmp/out" "$tmp/junit.xml"
if python3 - "$tmp/junit.xml" "$odd_tail" 2>"$tmp/py" <<'EOF'
import sys
import xml.etree.ElementTree as ET
raw = open(sys.argv[1], "rb").read()
raw.decode("utf-8")  # valid UTF-8, or this raises
root = ET.fromstring(raw)
assert root.tag == "testsuites", root.tag
suites = root.findall("testsuite")
names = [s.get("name") for s in suites]
assert names[:4] == ["multi-doc.yaml", "custom-resources.yaml", "malformed.yaml",
                     "warn-only.yaml"], names
for s in [root] + suites:
    cases = s.iter("testcase")
    n = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for c in cases:
        n["tests"] += 1
        n["failures"] += c.find("failure") is not None
        n["errors"] += c.find("error") is not None
        n["skipped"] += c.find("skipped") is not None
    for k, v in n.items():
        assert int(s.get(k)) == v, (s.get("name"), k, s.get(k), v)
by_name = {c.get("name"): c for c in root.iter("testcase")}
pod = by_name["Pod shop/debug (multi-doc.yaml:53)"]
types = [f.get("type") for f in pod.findall("failure")]
assert "privileged" in types and len(types) == len(set(types)) + types.count("resources") - 1, types
w = by_name["Widget shop/web (custom-resources.yaml:4)"]
assert "spec.template.spec.containers" in w.find("skipped").get("message")
k = by_name["Kustomization (unnamed) (custom-resources.yaml:46)"]
assert k.find("skipped").get("message") == "no pod spec"
e = by_name["malformed.yaml:20"].find("error")
assert e.get("type") == "parseError" and e.get("message")
quiet = by_name["Pod shop/quiet (warn-only.yaml:2)"]
assert quiet.find("failure") is None and "seccompProfile" in quiet.find("system-out").text
odd = suites[4]
assert odd.get("name").endswith(sys.argv[2]), (odd.get("name"), sys.argv[2])
case = odd.find("testcase")
assert case.get("name").startswith("Pod a&b/p]]>\\x01\\x1b\\x7f\\xef\\xbf\\xbe ("), case.get("name")
assert "<x>" in case.find("failure").get("message")
EOF
then
    pass "junit parses, with counts that add up, statuses and escaped names"
else
    fail "junit parses, with counts that add up, statuses and escaped names" \
        "$(tail -n 3 "$tmp/py")"
fi
expect_rc "--format junit --fail-on warn,not-evaluated" 1 "$HP_BIN" audit --format junit \
    --fail-on warn,not-evaluated warn-only.yaml custom-resources.yaml
if python3 - "$tmp/out" 2>"$tmp/py" <<'EOF'
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
types = sorted(f.get("type") for f in root.iter("failure"))
assert types == ["notEvaluated"] * 3 + ["seccompProfile"], types
assert root.find("testsuite/testcase/system-out") is None
EOF
then
    pass "junit: warnings and not-evaluated are failures when --fail-on says so"
else
    fail "junit: warnings and not-evaluated are failures when --fail-on says so" \
        "$(tail -n 1 "$tmp/py")"
fi

# --- PolicyReport ------------------------------------------------------------------
VALIDATE="$(dirname "$0")/openapi_validate.py"
expect_rc "--format policyreport (exit 2: malformed.yaml)" 2 "$HP_BIN" audit \
    --format policyreport --now 2025-01-01T00:00:00Z custom-resources.yaml aspnet-template.yaml \
    malformed.yaml multi-doc.yaml "$odd"
cp "$tmp/out" "$tmp/pr.json"
if python3 - "$tmp/pr.json" 2>"$tmp/py" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert (d["apiVersion"], d["kind"]) == ("v1", "List")
got = [(i["kind"], i["metadata"]["name"], i["metadata"].get("namespace")) for i in d["items"]]
assert got == [("PolicyReport", "hardpod-a&b", "a&b"),
               ("PolicyReport", "hardpod-default", "default"),
               ("PolicyReport", "hardpod-shop", "shop"),
               ("ClusterPolicyReport", "hardpod-cluster", None)], got
for rep in d["items"]:
    counts = {k: 0 for k in ("pass", "fail", "warn", "error", "skip")}
    for r in rep["results"]:
        counts[r["result"]] += 1
        assert r["timestamp"] == {"seconds": 1735689600, "nanos": 0}, r["timestamp"]
    assert rep["summary"] == counts, (rep["metadata"]["name"], rep["summary"], counts)
cluster = d["items"][3]["results"]
assert [(r["rule"], r["result"]) for r in cluster] == [("notEvaluated", "skip"),
                                                        ("parseError", "error")], cluster
assert cluster[0]["resources"] == [{"apiVersion": "apps.example.com/v1",
                                    "kind": "ClusterWidgetTemplate", "name": "smoke"}]
default = d["items"][1]["results"]
assert {r["resources"][0]["kind"] for r in default} == {"Deployment", "Function"}
assert all(r["resources"][0]["namespace"] == "default" for r in default)
EOF
then
    pass "policyreport: one report per namespace, the cluster's, summaries that add up"
else
    fail "policyreport: one report per namespace, the cluster's, summaries that add up" \
        "$(tail -n 1 "$tmp/py")"
fi
CRDS="$CORPUS/policyreport"
if [[ -n $CORPUS && -d $CRDS ]]; then
    python3 "$VALIDATE" "$CRDS" "$tmp/pr.json" >"$tmp/py" 2>&1
    vrc=$?
    if [[ $vrc -eq 77 ]]; then
        echo "note: $(cat "$tmp/py"); PolicyReport schema validation skipped"
    elif [[ $vrc -eq 0 ]]; then
        pass "policyreport validates against the v1alpha2 CRDs' openAPIV3Schema"
        # The validator can fail: a wrong result, a missing policy, a string
        # timestamp and an undeclared field are each refused.
        python3 - "$tmp/pr.json" "$tmp/bad.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
r = d["items"][0]["results"][0]
r["result"] = "denied"
del r["policy"]
r["timestamp"]["seconds"] = "now"
r["resourceRef"] = {}
d["items"][3]["metadata"]["namespace"] = "x"
json.dump(d, open(sys.argv[2], "w"))
EOF
        python3 "$VALIDATE" "$CRDS" "$tmp/bad.json" >"$tmp/py" 2>&1
        vrc=$?
        bad=$(cat "$tmp/py")
        if [[ $vrc -eq 1 && $bad == *"'denied' is not one of"* && $bad == *"'policy'"* &&
            $bad == *"expected integer"* && $bad == *"resourceRef: field not declared"* &&
            $bad == *"ClusterPolicyReport is Cluster"* ]]; then
            pass "the schema validator refuses a broken report"
        else
            fail "the schema validator refuses a broken report" "exit $vrc" "$bad"
        fi
        "$HP_BIN" audit --format policyreport --fail-on deny,not-evaluated \
            custom-resources.yaml >"$tmp/pr-ne.json"
        if python3 "$VALIDATE" "$CRDS" "$tmp/pr-ne.json" >"$tmp/py" 2>&1; then
            pass "policyreport under --fail-on not-evaluated validates"
        else
            fail "policyreport under --fail-on not-evaluated validates" "$(cat "$tmp/py")"
        fi
    else
        fail "policyreport validates against the v1alpha2 CRDs' openAPIV3Schema" "$(cat "$tmp/py")"
    fi
else
    echo "note: $CRDS not found (HP_CORPUS_DIR); PolicyReport schema validation skipped"
fi

# kubectl itself takes the List: `kubectl create -f` against a fake API
# server that serves the two kinds and records what kubectl posts.
FAKEAPI="$(dirname "$0")/../kubectl/fakeapi.py"
if command -v kubectl >/dev/null 2>&1 && [[ -f $FAKEAPI ]]; then
    if python3 - "$FAKEAPI" "$tmp" "$tmp/pr.json" >"$tmp/py" 2>&1 <<'EOF'
import json, os, subprocess, sys, time
fakeapi, tmp, report = sys.argv[1:]
d = os.path.join(tmp, "api")
os.makedirs(d)
api = subprocess.Popen([sys.executable, fakeapi, d, "1", "wgpolicyk8s.io/v1alpha2/PolicyReport",
                        "wgpolicyk8s.io/v1alpha2/ClusterPolicyReport"])
try:
    deadline = time.time() + 30
    while not os.path.exists(os.path.join(d, "ports")):
        assert time.time() < deadline and api.poll() is None, "the fake API server did not start"
        time.sleep(0.05)
    port = int(open(os.path.join(d, "ports")).read().split()[0])
    kc = os.path.join(d, "kubeconfig")
    json.dump({"apiVersion": "v1", "kind": "Config",
               "clusters": [{"name": "f", "cluster": {"server": f"http://127.0.0.1:{port}"}}],
               "users": [{"name": "f", "user": {}}],
               "contexts": [{"name": "f", "context": {"cluster": "f", "user": "f"}}],
               "current-context": "f"}, open(kc, "w"))
    res = subprocess.run(["kubectl", "create", "--validate=false", "--cache-dir",
                          os.path.join(d, "cache"), "-f", report],
                         capture_output=True, env=dict(os.environ, KUBECONFIG=kc), timeout=120)
    assert res.returncode == 0, res.stderr.decode()
    posted = [json.loads(l)["body"] for l in open(os.path.join(d, "record.0"))
              if json.loads(l)["method"] == "POST"]
    items = json.load(open(report))["items"]
    assert [(p["kind"], p["metadata"]["name"]) for p in posted] == \
        [(i["kind"], i["metadata"]["name"]) for i in items], posted
    for p, i in zip(posted, items):
        assert p["results"] == i["results"] and p["summary"] == i["summary"], i["metadata"]
finally:
    api.terminate()
    api.wait()
EOF
    then
        pass "kubectl create -f takes the PolicyReport List, every object as written"
    else
        fail "kubectl create -f takes the PolicyReport List, every object as written" \
            "$(tail -n 3 "$tmp/py")"
    fi
else
    echo "note: kubectl or tests/kubectl/fakeapi.py missing; the kubectl check of the PolicyReport skipped"
fi

# --- usage errors ---------------------------------------------------------------
usage_cases=(
    "no path|audit"
    "unknown flag|audit --bogus x.yaml"
    "missing flag value|audit x.yaml --format"
    "unknown format|audit --format xml x.yaml"
    "unknown colour|audit --color sometimes x.yaml"
    "unknown profile|audit --profile strict x.yaml"
    "unknown check in --only|audit --only readOnlyRoot x.yaml"
    "empty check in --only|audit --only privileged, x.yaml"
    "bad --now|audit --now tomorrow x.yaml"
    "unknown --fail-on|audit --fail-on error x.yaml"
    "two --fail-on thresholds|audit --fail-on deny,warn x.yaml"
    "never with not-evaluated|audit --fail-on never,not-evaluated x.yaml"
    "unknown format junit-xml|audit --format junit-xml x.yaml"
)
for c in "${usage_cases[@]}"; do
    name=${c%%|*}
    read -r -a args <<<"${c#*|}"
    expect_rc "usage error: $name (exit 2)" 2 "$HP_BIN" "${args[@]}"
    expect_text "usage error: $name points at --help" err "see 'hardpod audit --help'"
    expect_true "usage error: $name prints nothing on stdout" test -z "$out"
done
expect_rc "unknown command (exit 2)" 2 "$HP_BIN" frobnicate
expect_text "unknown command is named" err "unknown command 'frobnicate'"
expect_rc "no command (exit 2)" 2 "$HP_BIN"

# --- grouping by owner ------------------------------------------------------------
# A cluster dump as kubectl get -o json prints it: a Deployment, its
# ReplicaSet and three Pods, one of them with a container of its own; and a
# Pod whose ReplicaSet is not in the input.
python3 - "$tmp/dump.json" <<'PY'
import json, sys
def obj(kind, name, uid, owner=None, extra=False):
    api = "v1" if kind == "Pod" else "apps/v1"
    meta = {"name": name, "namespace": "shop", "uid": uid}
    if owner:
        meta["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": owner[0], "name": owner[1],
                                    "uid": owner[2], "controller": True}]
    ctrs = [{"name": "app", "image": "shop/api:1"}]
    if extra:
        ctrs.append({"name": "debug", "image": "busybox", "securityContext": {"privileged": True}})
    spec = {"containers": ctrs}
    if kind != "Pod":
        spec = {"selector": {}, "template": {"metadata": {}, "spec": spec}}
    return {"apiVersion": api, "kind": kind, "metadata": meta, "spec": spec}
items = [obj("Pod", "api-5d8f-a", "p1", ("ReplicaSet", "api-5d8f", "r1")),
         obj("Pod", "api-5d8f-b", "p2", ("ReplicaSet", "api-5d8f", "r1")),
         obj("Pod", "api-5d8f-c", "p3", ("ReplicaSet", "api-5d8f", "r1"), extra=True),
         obj("Pod", "web-77aa-a", "p4", ("ReplicaSet", "web-77aa", "gone")),
         obj("ReplicaSet", "api-5d8f", "r1", ("Deployment", "api", "d1")),
         obj("Deployment", "api", "d1")]
json.dump({"apiVersion": "v1", "kind": "List", "items": items}, open(sys.argv[1], "w"), indent=1)
PY
expect_rc "grouped dump: still denied (exit 1)" 1 "$HP_BIN" audit "$tmp/dump.json"
expect_text "the Deployment covers its pods and ReplicaSet" out \
    "DENY  Deployment shop/api  ($tmp/dump.json:"
expect_text "the covered count" out "), covers 2 pods and 1 other resource"
expect_text "a pod with a finding of its own is shown, with its owner" out \
    "DENY  Pod shop/api-5d8f-c  ($tmp/dump.json:"
expect_text "a pod whose owner is not in the input names it" out \
    "owned by ReplicaSet web-77aa"
expect_true "folded pods are not listed" test "$(grep -c '^DENY' "$tmp/out")" = 3
expect_text "the summary says how many were grouped" out \
    "6 resources: 6 denied, 0 warned, 0 errors, 0 passed, 0 skipped, 0 not evaluated"
expect_text "the summary names --no-group" out "3 of them shown on their owner"
expect_rc "--no-group lists each resource" 1 "$HP_BIN" audit --no-group "$tmp/dump.json"
expect_true "--no-group: six verdict lines" test "$(grep -c '^DENY' "$tmp/out")" = 6
expect_rc "grouped JSON" 1 "$HP_BIN" audit --format json "$tmp/dump.json"
expect_true "JSON: covers and owner members" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["summary"]["groupedUnderOwner"] == 3, r["summary"]
assert r["summary"]["resources"] == 6
shown = {x["name"]: x for x in r["resources"]}
assert sorted(shown) == ["api", "api-5d8f-c", "web-77aa-a"], sorted(shown)
assert shown["api"]["covers"] == {"resources": 3, "pods": 2}, shown["api"]
assert shown["web-77aa-a"]["owner"] == {"kind": "ReplicaSet", "name": "web-77aa"}
' "$tmp/out"

# --- the corpus -----------------------------------------------------------------
if [[ -n $CORPUS && -d $CORPUS/dotnet/manifests ]]; then
    expect_rc "real .NET manifests are all denied, none is an error" 1 \
        "$HP_BIN" audit --format json "$CORPUS"/dotnet/manifests/*.yaml
    got=$(json_summary <"$tmp/out")
    expect_true "corpus: no error entries (summary $got)" test "${got##* }" = 0
    expect_rc "published malformed manifests are errors" 2 \
        "$HP_BIN" audit "$CORPUS"/dotnet/manifests/malformed
    expect_text "malformed corpus error names file and line" out "backend-deploy.yml:15: "
else
    echo "note: corpus not found (HP_CORPUS_DIR); corpus checks skipped"
fi

finish
