#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `hardpod audit` on inputs that make memory grow far beyond their size, as
# an attacker or a very large manifest would: 3 MB of `[{},{},...]` as YAML
# and of `- {}` lines, 1 MB of `[{},{},...]` JSON (also through stdin), a billion laughs, a Pod of
# 100,000 containers written as YAML aliases, and a long stream of ordinary
# documents, and cluster dumps of 10,000 and 50,000 pods whose peak RSS must
# be nearly the same. Each must either fail with exit 2 and a message that names the
# file, the line, the limit and --max-memory, or be audited within the
# ceiling; a legal Pod with 78,000 env entries (1.4 MB, which etcd accepts),
# as a Pod and as an AdmissionReview UPDATE carrying it twice, must still get
# its verdict. Peak RSS (the kernel's VmHWM of the process, as GNU time's %M
# reads it) stays under the ceiling plus ALLOWANCE_MIB: the binary and its
# libraries (about 7 MiB), stdio and libyaml's fixed buffers, and allocator
# slack. Without GNU time, Python's getrusage of the child is used, which
# also counts the ~13 MiB of the Python that forked it (so small figures
# are checked against an idle run measured the same way). The RSS checks are
# skipped in the sanitizer build, whose allocator makes them meaningless;
# the exit codes and messages are checked in both builds.

source "$(dirname "${BASH_SOURCE[0]}")/faults.sh"
need python3
ALLOWANCE_MIB=16
DEFAULT_MIB=256
IN=$E2E_TMP/in
mkdir -p "$IN"

python3 - "$IN" <<'EOF'
import json, sys

d = sys.argv[1]

def write(name, text):
    with open(f"{d}/{name}", "w") as f:
        f.write(text)

# 3 MB of `[{},{},...]` as YAML: an 800 MB tree for json-c.
write("braces-flow.yaml", "[" + ",".join(["{}"] * (3 * 1024 * 1024 // 3)) + "]\n")
# 3 MB of `- {}` lines: one document, a 500 MB tree for json-c.
write("braces-stream.yaml", "- {}\n" * (3 * 1024 * 1024 // 5))
# 1 MB of `[{},{},...]`: 280 MB for json-c.
write("braces.json", "[" + ",".join(["{}"] * (1024 * 1024 // 3)) + "]")
# A billion laughs: a9 would be 10^10 strings.
lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
for i in range(1, 10):
    lines.append("a%d: &a%d [%s]" % (i, i, ", ".join(["*a%d" % (i - 1)] * 10)))
write("alias-bomb.yaml", "\n".join(lines) + "\n")
# 100,000 containers as aliases of one: 700 KB of YAML, 1.1 million findings.
write("alias-containers.yaml",
      "apiVersion: v1\nkind: Pod\nmetadata: {name: aliases}\nspec:\n  containers:\n"
      "  - &c {name: c, image: x}\n" + "  - *c\n" * 100000)
# A Pod with 78,000 env entries, compliant but for readOnlyRootFilesystem.
sc = {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001,
      "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
      "seccompProfile": {"type": "RuntimeDefault"}}
res = {"requests": {"cpu": "100m", "memory": "128Mi"},
       "limits": {"cpu": "500m", "memory": "128Mi"}}
pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "big-env", "namespace": "shop"},
       "spec": {"containers": [{"name": "app", "image": "registry.example/app:1.0",
                                "env": [{"name": "E%d" % i} for i in range(78000)],
                                "securityContext": sc, "resources": res}]}}
write("big-env-pod.json", json.dumps(pod, separators=(",", ":")))
review = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
          "request": {"uid": "1", "operation": "UPDATE", "namespace": "shop",
                      "kind": {"group": "", "version": "v1", "kind": "Pod"},
                      "object": pod, "oldObject": pod}}
write("big-env-update.json", json.dumps(review, separators=(",", ":")))
# 10,000 ordinary documents, 10 MB: far more than 32 MiB as trees, if all were held.
deploy = ("---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web-%d, namespace: shop}\n"
          "spec:\n  template:\n    spec:\n      containers:\n      - name: web\n"
          "        image: registry.example/web:1.0\n        securityContext:\n"
          "          runAsNonRoot: true\n          runAsUser: 10001\n          runAsGroup: 10001\n"
          "          allowPrivilegeEscalation: false\n          readOnlyRootFilesystem: true\n"
          "          capabilities: {drop: [ALL]}\n          seccompProfile: {type: RuntimeDefault}\n"
          "        resources:\n          requests: {cpu: 100m, memory: 128Mi}\n"
          "          limits: {cpu: 500m, memory: 128Mi}\n"
          "        env:\n" + "".join("        - {name: SETTING_%d, value: value-%d}\n" % (j, j)
                                     for j in range(8)))
write("stream.yaml", "".join(deploy % i for i in range(10000)))
EOF

if sanitized; then
  echo "     sanitizer build ($HP_SANITIZE): exit codes and messages only, no RSS checks"
fi

# audit NAME [hardpod audit args...]: runs hardpod audit (stdin from $STDIN
# when set) and sets RC, OUT (stdout and stderr) and RSS_KIB (peak RSS).
GNU_TIME=
if /usr/bin/time -f %M true >/dev/null 2>&1; then
  GNU_TIME=/usr/bin/time
fi
audit() {
  local name=$1
  shift
  if [ -n "$GNU_TIME" ]; then
    "$GNU_TIME" -o "$E2E_TMP/$name.rss" -f %M "$HP_BIN" audit "$@" <"${STDIN:-/dev/null}" \
      >"$E2E_TMP/$name.out" 2>&1
    RC=$?
    RSS_KIB=$(tail -1 "$E2E_TMP/$name.rss")
  else
    python3 -c '
import resource, subprocess, sys
with open(sys.argv[2], "w") as out, open(sys.argv[3]) as inp:
    rc = subprocess.call(sys.argv[4:], stdin=inp, stdout=out, stderr=subprocess.STDOUT)
print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=open(sys.argv[1], "w"))
' "$E2E_TMP/$name.rc" "$E2E_TMP/$name.out" "${STDIN:-/dev/null}" "$HP_BIN" audit "$@"
    read -r RC RSS_KIB <"$E2E_TMP/$name.rc"
  fi
  OUT=$(cat "$E2E_TMP/$name.out")
  echo "     $name: exit $RC, peak RSS $((RSS_KIB / 1024)) MiB"
}

# rss_under NAME CEILING_MIB: peak RSS under the ceiling plus the allowance.
rss_under() {
  if sanitized; then
    return
  fi
  at_most "$1: peak RSS under the ceiling of $2 MiB + $ALLOWANCE_MIB MiB" \
    $((RSS_KIB / 1024)) $(($2 + ALLOWANCE_MIB)) " MiB"
}

# refused NAME CEILING SOURCE: exit 2, and an error at SOURCE that names the
# ceiling (for example "256 MiB") and the flag.
refused() {
  check "$1: exit 2" 2 "$RC"
  check_contains "$1: the error names the place, the limit and the flag" "$OUT" \
    "ERROR $3"
  check_contains "$1: the error names the limit and the flag" "$OUT" \
    "the memory limit of $2 (raise it with --max-memory)"
}

cd "$IN" || exit 1
echo "     peak RSS read with ${GNU_TIME:-Python getrusage}"
audit idle "$FIXTURES/manifests/hardened-deployment.yaml"
check "a small manifest: exit 0" 0 "$RC"
IDLE_KIB=$RSS_KIB

# --- many small values ----------------------------------------------------------------
audit braces-flow braces-flow.yaml
refused "3 MB of [{},{},...] as YAML" "256 MiB" "braces-flow.yaml:1:"
rss_under "3 MB of [{},{},...] as YAML" $DEFAULT_MIB

audit braces-stream braces-stream.yaml
refused "3 MB of '- {}' lines" "256 MiB" "braces-stream.yaml:"
check_contains "3 MB of '- {}' lines: the document is what does not fit" "$OUT" \
  "the document does not fit"
rss_under "3 MB of '- {}' lines" $DEFAULT_MIB

audit braces-stream-64 --max-memory 64Mi braces-stream.yaml
refused "3 MB of '- {}' lines, --max-memory 64Mi" "64 MiB" "braces-stream.yaml:"
rss_under "3 MB of '- {}' lines, --max-memory 64Mi" 64

audit braces braces.json
refused "1 MB of [{},{},...]" "256 MiB" "braces.json:1:"
rss_under "1 MB of [{},{},...]" $DEFAULT_MIB

STDIN=braces.json audit braces-stdin --max-memory 32Mi -
STDIN=
refused "1 MB of [{},{},...] on stdin, --max-memory 32Mi" "32 MiB" "-:1:"
rss_under "1 MB of [{},{},...] on stdin, --max-memory 32Mi" 32

# --- aliases ---------------------------------------------------------------------------
audit alias-bomb alias-bomb.yaml
# The audit reads YAML with positions (every finding names its line and
# column), which are charged with the tree: a5's aliases of a4 stop it.
refused "billion laughs" "256 MiB" "alias-bomb.yaml:6:"
check_contains "billion laughs: refused at the alias, with its expanded size" "$OUT" \
  "alias *a4, which expands to 28.7 MiB, does not fit"
if ! sanitized; then
  # Aliases share their objects: refusing them early means nothing was built.
  at_most "billion laughs: refused before memory is used (idle $((IDLE_KIB / 1024)) MiB + 8)" \
    $((RSS_KIB / 1024)) $((IDLE_KIB / 1024 + 8)) " MiB"
fi

audit alias-containers alias-containers.yaml
refused "100,000 aliased containers" "256 MiB" "alias-containers.yaml:1:"
check_contains "100,000 aliased containers: the findings are what does not fit" "$OUT" \
  "Pod aliases: cannot be evaluated: 1100011 findings (1000010 deny), of which"
rss_under "100,000 aliased containers" $DEFAULT_MIB

# --- legal but big ---------------------------------------------------------------------
audit big-env big-env-pod.json
check "Pod with 78,000 env entries: exit 1 (denied)" 1 "$RC"
check_contains "Pod with 78,000 env entries: its verdict" "$OUT" \
  "1 resources: 1 denied, 0 warned, 0 errors"
check "Pod with 78,000 env entries: its one finding" 1 \
  "$(grep -c '^  deny  readOnlyRootFilesystem  container "app"' <<<"$OUT")"
rss_under "Pod with 78,000 env entries" $DEFAULT_MIB

audit big-env-update big-env-update.json
check "the same Pod as an UPDATE review (object and oldObject): exit 1" 1 "$RC"
check_contains "the same Pod as an UPDATE review: its verdict" "$OUT" \
  "1 resources: 1 denied, 0 warned, 0 errors"
rss_under "the same Pod as an UPDATE review" $DEFAULT_MIB

audit stream --max-memory 32Mi stream.yaml
check "10,000 documents (10 MB) under --max-memory 32Mi: exit 0" 0 "$RC"
check_contains "10,000 documents under --max-memory 32Mi: all audited" "$OUT" \
  "10000 resources: 0 denied, 0 warned, 0 errors"
rss_under "10,000 documents under --max-memory 32Mi" 32

# --- cluster dumps: memory stays flat whatever the input's size -------------------------
# What `kubectl get pods,deploy,rs,sts,ds,jobs,cronjobs -A -o json` prints for
# 10,000 and for 50,000 pods (90 MB and 450 MB), through stdin: the items
# are read one at a time, and only the report grows: an entry, a name and a
# uid per resource (about 230 bytes), and the strings of each workload's
# findings (about 2 KiB per workload, 5,000 more of them): the larger run,
# with 47,000 more resources, may take at most FLAT_MIB more at its peak
# (measured: 17 MiB; its trees, if they were held, would take gigabytes).
FLAT_MIB=24
python3 "$FAULTS_DIR/../../bench/gen_cluster.py" --pods 10000 --seed 7 >cluster-10k.json
python3 "$FAULTS_DIR/../../bench/gen_cluster.py" --pods 50000 --seed 7 >cluster-50k.json
# --no-group: every resource listed, the largest report.
STDIN=cluster-10k.json audit cluster-10k --no-group --format json -
RSS_10K=$RSS_KIB
check "a 10,000-pod cluster dump on stdin: exit 1 (some denied)" 1 "$RC"
STDIN=cluster-50k.json audit cluster-50k --no-group --format json -
check "a 50,000-pod cluster dump on stdin: exit 1 (some denied)" 1 "$RC"
check "a 50,000-pod cluster dump: every pod reported" 50000 \
  "$(grep -c '"kind":"Pod"' "$E2E_TMP/cluster-50k.out")"
rss_under "a 50,000-pod cluster dump" 48
if ! sanitized; then
  at_most "50,000 pods take at most $FLAT_MIB MiB more than 10,000 ($((RSS_10K / 1024)) MiB)" \
    $((RSS_KIB / 1024)) $((RSS_10K / 1024 + FLAT_MIB)) " MiB"
fi
# Grouped by owner (the default): the indexes of the grouping come on top.
STDIN=cluster-50k.json audit cluster-50k-grouped --format json -
STDIN=
check "a 50,000-pod cluster dump, grouped: exit 1 (some denied)" 1 "$RC"
check "grouped: no pod is shown on its own (each has the findings of its owner)" 0 \
  "$(grep -c '"kind":"Pod"' "$E2E_TMP/cluster-50k-grouped.out")"
rss_under "a 50,000-pod cluster dump, grouped" 48
rm -f cluster-10k.json cluster-50k.json

finish
