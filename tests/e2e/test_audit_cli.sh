#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Drives the real `hardpod` binary the way a user does: help texts, exit
# codes, the JSON and SARIF formats, stdin, --only, --profile, --config and
# its error messages, and usage errors. Needs HP_BIN and HP_FIXTURES_DIR
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
FIXTURES="${HP_FIXTURES_DIR:?HP_FIXTURES_DIR is not set}/manifests"
CORPUS="${HP_CORPUS_DIR:-}"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$FIXTURES" || exit 1

passed=0
failed=0

pass() {
    passed=$((passed + 1))
    echo "ok   $1"
}

fail() {
    failed=$((failed + 1))
    echo "FAIL $1"
    shift
    for line in "$@"; do
        echo "     $line"
    done
}

# run NAME: runs the rest of the arguments with stdout and stderr captured in
# $out and $err and the exit status in $rc.
run() {
    "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    out=$(cat "$tmp/out")
    err=$(cat "$tmp/err")
}

# expect_rc NAME WANT CMD...: the command exits with WANT.
expect_rc() {
    local name=$1 want=$2
    shift 2
    run "$@"
    if [[ $rc -eq $want ]]; then
        pass "$name"
    else
        fail "$name" "expected exit $want, got $rc: $*" "stderr: $err" "stdout: ${out:0:400}"
    fi
}

# expect_text NAME WHERE NEEDLE: $out or $err (WHERE) contains NEEDLE.
expect_text() {
    local name=$1 where=$2 needle=$3
    local text=$out
    [[ $where == err ]] && text=$err
    if [[ $text == *"$needle"* ]]; then
        pass "$name"
    else
        fail "$name" "expected std$where to contain: $needle" "got: ${text:0:600}"
    fi
}

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
for flag in --config --profile --only --format --color --help; do
    expect_text "audit --help documents $flag" out "$flag"
done
for word in psa-baseline psa-restricted sarif readOnlyRootFilesystem "exit status"; do
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
expect_text "text summary line" out "1 resources: 0 denied, 0 warned, 0 errors (profile hardened)"
expect_rc "ASP.NET template is denied (exit 1)" 1 "$HP_BIN" audit aspnet-template.yaml
expect_text "denial names the field" out "  deny  readOnlyRootFilesystem  container \"webapp\"  \
spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem"
expect_text "denial has a fix" out "fix: securityContext: {readOnlyRootFilesystem: true}"
expect_rc "malformed file is an error (exit 2)" 2 "$HP_BIN" audit malformed.yaml
expect_text "parse error names file and line" out "ERROR malformed.yaml:20: "
expect_text "good documents around it are still audited" out \
    "PASS  ConfigMap after  (malformed.yaml:22)"
expect_rc "missing file is an error (exit 2)" 2 "$HP_BIN" audit no-such-file.yaml
expect_rc "directory walk (exit 0)" 0 "$HP_BIN" audit tree
expect_text "directory walk in sorted order" out \
    "$(printf 'PASS  ConfigMap zeta  (tree/Zeta.yaml:1)\nPASS  ConfigMap one  (tree/a/one.yml:1)')"
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
assert len(rules) == 23, len(rules)
uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
assert uris == {"aspnet-template.yaml", "malformed.yaml"}, uris
for r in run["results"]:
    assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
    assert r["locations"][0]["physicalLocation"]["region"]["startLine"] > 0
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

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
