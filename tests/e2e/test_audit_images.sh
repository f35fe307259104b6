#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# `hardpod audit` on the image side, as a user runs it in CI: the project's
# own Dockerfile passes, and so does deploy/ with its image mapped to it; the
# real Dockerfiles of ../shared/corpus/dotnet/dockerfiles give the findings
# written by hand from each file (check, action, instruction, line); image
# configs from `podman image inspect` are judged; a workload and its image
# together give the failure the kubelet would hit; bad flags and files are
# refused with a message (exit 2). Needs HP_BIN, HP_FIXTURES_DIR and
# HP_SOURCE_DIR (set by ctest); the corpus checks skip with a note when
# HP_CORPUS_DIR is absent. Exits 77 (skip) only when python3 is missing.

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
: "${HP_SOURCE_DIR:?HP_SOURCE_DIR is not set}"
CORPUS="${HP_CORPUS_DIR:-}"

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
IMAGES=$HP_FIXTURES_DIR/images

# findings: the JSON report on stdin as one line per finding of an image
# entry, "FILE: check action path line", in report order.
findings() {
    python3 -c '
import json, os, sys
for r in json.load(sys.stdin)["resources"]:
    for f in r["findings"]:
        print("%s: %s %s %s %s" % (os.path.basename(r["source"].rsplit(":", 1)[0]),
              f["check"], f["action"], f["path"], f["line"]))'
}

# --- the project's own image -------------------------------------------------------
cd "$HP_SOURCE_DIR" || exit 1
expect_rc "the project's Dockerfile passes" 0 "$HP_BIN" audit --color never Dockerfile
expect_text "it is read to its final stage, FROM scratch" out "PASS  Dockerfile (FROM scratch)  (Dockerfile:"
expect_rc "deploy/base passes with its image mapped to the Dockerfile" 0 \
    "$HP_BIN" audit --color never --image-map 'hardpod:*=Dockerfile' deploy/base
expect_rc "the project's image config (podman image inspect) passes" 0 \
    "$HP_BIN" audit --image-config "$IMAGES/podman-hardpod.json"
expect_rc "its OCI config blob passes" 0 \
    "$HP_BIN" audit --image-config "$IMAGES/oci-config-hardpod.json"

# --- the corpus: findings written by hand from each file ---------------------------
if [[ -n $CORPUS && -d $CORPUS/dotnet/dockerfiles ]]; then
    D=$CORPUS/dotnet/dockerfiles
    run "$HP_BIN" audit --format json "$D"
    if [[ $rc -eq 1 ]]; then pass "the corpus Dockerfiles: exit 1 (some denied)"; else
        fail "the corpus Dockerfiles: exit 1 (some denied)" "exit $rc" "$err"; fi
    got=$(findings <<<"$out")
    # .NET 8+ with USER app: a named user (kubelet cannot verify it under
    # runAsNonRoot); .NET 6/7 without USER: root, Kestrel on 80 by the base
    # image's ASPNETCORE_URLS; every .NET runtime image: diagnostics on.
    want='Logitar-Identity__Logitar.Identity.Demo.Dockerfile: runAsUser deny USER 4
Logitar-Identity__Logitar.Identity.Demo.Dockerfile: dotnetDiagnostics warn FROM 22
PrometheusToAdx__KustoWriterApp.Dockerfile: runAsUser deny USER 4
PrometheusToAdx__KustoWriterApp.Dockerfile: dotnetDiagnostics warn FROM 22
aws-dotnet-deploy__WebAppNet8WithCustomDockerFile.Dockerfile: runAsUser deny USER 2
aws-dotnet-deploy__WebAppNet8WithCustomDockerFile.Dockerfile: privilegedPorts warn ENV ASPNETCORE_HTTP_PORTS 19
aws-dotnet-deploy__WebAppNet8WithCustomDockerFile.Dockerfile: dotnetDiagnostics warn FROM 18
aws-dotnet-deploy__WebAppWithDockerFile.Dockerfile: runAsNonRoot deny USER 21
aws-dotnet-deploy__WebAppWithDockerFile.Dockerfile: privilegedPorts warn EXPOSE 80 7
aws-dotnet-deploy__WebAppWithDockerFile.Dockerfile: privilegedPorts warn EXPOSE 443 8
aws-dotnet-deploy__WebAppWithDockerFile.Dockerfile: privilegedPorts warn FROM 21
aws-dotnet-deploy__WebAppWithDockerFile.Dockerfile: dotnetDiagnostics warn FROM 21
dotnet-docker__aspnetapp.Dockerfile: dotnetDiagnostics warn FROM 17
dotnet-docker__aspnetapp.Dockerfile.chiseled: dotnetDiagnostics warn FROM 17
dotnet-podcasts__ListenTogether.Hub.Dockerfile: runAsNonRoot deny USER 22
dotnet-podcasts__ListenTogether.Hub.Dockerfile: privilegedPorts warn EXPOSE 80 5
dotnet-podcasts__ListenTogether.Hub.Dockerfile: privilegedPorts warn EXPOSE 443 6
dotnet-podcasts__ListenTogether.Hub.Dockerfile: privilegedPorts warn FROM 22
dotnet-podcasts__ListenTogether.Hub.Dockerfile: dotnetDiagnostics warn FROM 22
dotnet-podcasts__Podcast.API.Dockerfile: runAsNonRoot deny USER 20
dotnet-podcasts__Podcast.API.Dockerfile: privilegedPorts warn EXPOSE 80 5
dotnet-podcasts__Podcast.API.Dockerfile: privilegedPorts warn EXPOSE 443 6
dotnet-podcasts__Podcast.API.Dockerfile: privilegedPorts warn FROM 20
dotnet-podcasts__Podcast.API.Dockerfile: dotnetDiagnostics warn FROM 20
ofqual-recognition-citizen-api__Dockerfile: dotnetDiagnostics warn FROM 27
reddog-code__OrderService.Dockerfile: runAsNonRoot deny USER 16
reddog-code__OrderService.Dockerfile: privilegedPorts warn EXPOSE 80 3
reddog-code__OrderService.Dockerfile: privilegedPorts warn ENV ASPNETCORE_URLS 5
reddog-code__OrderService.Dockerfile: dotnetDiagnostics warn FROM 16'
    check "the corpus Dockerfiles: every finding, as written by hand" "$want" "$got"
    expect_rc "--format sarif over the corpus (exit 1)" 1 "$HP_BIN" audit --format sarif "$D"
    if python3 - "$E2E_TMP/out" 2>"$E2E_TMP/py" <<'EOF'
import json, sys
run = json.load(open(sys.argv[1]))["runs"][0]
lines = {(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"])
         for r in run["results"]
         if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith(
             "reddog-code__OrderService.Dockerfile")}
assert lines == {("runAsNonRoot", 16), ("privilegedPorts", 3), ("privilegedPorts", 5),
                 ("dotnetDiagnostics", 16)}, lines
EOF
    then pass "sarif points at each instruction's line"; else
        fail "sarif points at each instruction's line" "$(tail -n 1 "$E2E_TMP/py")"; fi
else
    echo "note: corpus not found (HP_CORPUS_DIR); the corpus Dockerfile checks skipped"
fi

# --- image configs -------------------------------------------------------------------
expect_rc "a .NET 6 image config that runs as root is denied" 1 \
    "$HP_BIN" audit --color never --image-config "$IMAGES/podman-dotnet6-root.json"
expect_text "  it names the root user" out "deny  runAsNonRoot  image  Config.User"
expect_text "  and Kestrel's port 80" out "privilegedPorts  image  Config.Env[ASPNETCORE_URLS]"
expect_rc "an OCI manifest is not a config (exit 2)" 2 \
    "$HP_BIN" audit --image-config "$IMAGES/oci-manifest-dotnet6-root.json"

# --- a workload and its image together ----------------------------------------------
C=$IMAGES/combined
expect_rc "runAsNonRoot without runAsUser, image USER app: denied (exit 1)" 1 \
    "$HP_BIN" audit --color never --image-map "shop/api:*=$C/Dockerfile.app" "$C/api.yaml"
expect_text "  with the kubelet's message" out \
    "image has non-numeric user (app), cannot verify user is non-root"
expect_text "  and .NET's read-only root filesystem failure" out \
    "Failed to create CoreCLR, HRESULT: 0x80004005"
expect_rc "the fixed workload with the same image passes" 0 \
    "$HP_BIN" audit --color never --image-map "shop/api:*=$C/Dockerfile.app" "$C/api-fixed.yaml"
expect_rc "without the map, the fixed workload passes too" 0 \
    "$HP_BIN" audit --color never "$C/api-fixed.yaml"
expect_rc "the same workload on a root image config: denied" 1 \
    "$HP_BIN" audit --color never --image-map "shop/api:1.0=$IMAGES/podman-debian-bookworm.json" \
    "$C/api.yaml"
expect_text "  the kubelet's message for root" out "container has runAsNonRoot and image will run as root"

# --- flags and bad files -------------------------------------------------------------
expect_rc "--image-map without = (exit 2)" 2 "$HP_BIN" audit --image-map shop/api "$C/api.yaml"
expect_text "  says what it expects" err "--image-map: 'shop/api' is not IMAGE=PATH"
expect_rc "--image-map to a missing file (exit 2)" 2 \
    "$HP_BIN" audit --image-map "shop/api:*=$C/missing" "$C/api.yaml"
expect_text "  names the file" out "$C/missing: cannot open"
expect_rc "--target of an unknown stage (exit 2)" 2 \
    "$HP_BIN" audit --target nope --dockerfile "$HP_SOURCE_DIR/Dockerfile"
expect_rc "--target build: the build stage runs as root (exit 1)" 1 \
    "$HP_BIN" audit --target build --dockerfile "$HP_SOURCE_DIR/Dockerfile"
expect_rc "--dockerfile reads any name" 0 "$HP_BIN" audit --dockerfile "$C/recipe.txt"
expect_rc "--build-arg without = (exit 2)" 2 "$HP_BIN" audit --build-arg X --dockerfile "$C/Dockerfile.app"

finish
