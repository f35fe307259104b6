#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `hardpod serve` on the paths that carry a namespace's hardpod.dev labels, as
# the webhooks that `hardpod webhook-config` writes call them: the label's
# profile replaces the config's (enforce), its findings become warnings
# (warn), a label naming no profile is refused, and every other path under
# /validate is a 404 with a JSON error, never an allow. Every path of a
# generated configuration is served.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need curl openssl python3
A=$FIXTURES/admission
CERTS=$E2E_TMP/certs
make_certs "$CERTS"
TLS=(--tls-cert "$CERTS/tls.crt" --tls-key "$CERTS/tls.key" --shutdown-delay 0)
# Meets PSA's restricted level, not hardened (no runAsUser, read-write root
# filesystem, no resources).
POD=$A/pod-psa-restricted.json

# post PATH [FILE]: sets STATUS and BODY.
post() {
  STATUS=$(hp_curl -o "$E2E_TMP/body" -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary @"${2:-$POD}" "https://localhost:$PORT$1")
  BODY=$(cat "$E2E_TMP/body")
}
get() { json_get "$1" <<<"$BODY"; }

# --- hardpod webhook-config: its flags --------------------------------------------
T=$HP_SOURCE_DIR/deploy/webhook/webhook.yaml.in
WH=(webhook-config --template "$T" --service hardpod --namespace hardpod-system)
expect_rc "webhook-config --help: exit 0" 0 "$HP_BIN" webhook-config --help
expect_text "webhook-config --help: names the labels" out "hardpod.dev/enforce and"
expect_rc "webhook-config without a CA: exit 2" 2 "$HP_BIN" "${WH[@]}"
expect_text "webhook-config without a CA: says what to give" err \
  "give exactly one of --ca-bundle-file and --inject-ca-from"
expect_rc "webhook-config --profiles restricted: exit 2" 2 "$HP_BIN" "${WH[@]}" \
  --inject-ca-from hardpod-system/hardpod --profiles hardened,restricted
expect_text "webhook-config --profiles restricted: names it" err \
  '--profiles: "restricted" is not a profile'
expect_rc "webhook-config --profiles with --no-labels: exit 2" 2 "$HP_BIN" "${WH[@]}" \
  --inject-ca-from hardpod-system/hardpod --profiles hardened --no-labels
expect_rc "webhook-config --inject-ca-from without a slash: exit 2" 2 "$HP_BIN" "${WH[@]}" \
  --inject-ca-from hardpod
expect_rc "webhook-config --ca-bundle-file of a key: exit 2" 2 "$HP_BIN" "${WH[@]}" \
  --ca-bundle-file "$CERTS/tls.key"
expect_rc "webhook-config to stdout: exit 0" 0 "$HP_BIN" "${WH[@]}" \
  --inject-ca-from hardpod-system/hardpod --profiles psa-baseline
check "webhook-config --profiles psa-baseline: 2 x (2 x 2 + 3) webhooks" 14 \
  "$(grep -c '^  - name: ' <<<"$out")"
expect_rc "webhook-config --no-labels: exit 0" 0 "$HP_BIN" "${WH[@]}" \
  --inject-ca-from hardpod-system/hardpod --no-labels
check "webhook-config --no-labels: the template's two webhooks" \
  "pods.hardpod.dev workloads.hardpod.dev" "$(sed -n 's/^  - name: //p' <<<"$out" | tr '\n' ' ' | sed 's/ $//')"

# --- the default config (hardened, enforce) and the plain listener -------------
PLAIN_PORT=$(free_port)
start_server "${TLS[@]}" --metrics-listen "127.0.0.1:$PLAIN_PORT" || exit 1

post /validate
check "no label (/validate): hardened denies" "200 false" "$STATUS $(get 'd["response"]["allowed"]')"
post /validate/enforce/psa-restricted
check "enforce psa-restricted: allowed" "200 true" "$STATUS $(get 'd["response"]["allowed"]')"
check "enforce psa-restricted: no warnings" "null" "$(get 'd["response"].get("warnings")')"
post /validate/enforce/psa-baseline/warn/hardened
check "enforce psa-baseline + warn hardened: allowed" "true" "$(get 'd["response"]["allowed"]')"
check "enforce psa-baseline + warn hardened: hardened's findings are warnings" \
  '"hardened would deny: readOnlyRootFilesystem: container \"app\" must set securityContext.readOnlyRootFilesystem=true (spec.containers[0].securityContext.readOnlyRootFilesystem)"' \
  "$(get '[w for w in d["response"]["warnings"] if "readOnlyRootFilesystem" in w][0]')"
check "enforce psa-baseline + warn hardened: audit annotations" \
  '["psa-baseline", "hardened", "would-deny"]' \
  "$(get '[d["response"]["auditAnnotations"][k] for k in ("profile", "warnProfile", "warnDecision")]')"
post /validate/enforce/hardened/warn/psa-baseline
check "enforce hardened + warn psa-baseline: denied, naming hardened" true \
  "$(get 'd["response"]["status"]["message"].startswith("Pod \"shop/restricted\" violates hardpod policy \"hardened\": runAsUser: ")')"
post /validate/warn/psa-restricted
check "warn alone: the config's profile still decides (denied)" "false" \
  "$(get 'd["response"]["allowed"]')"
post /validate/enforce/none
check "enforce none: allowed" "true" "$(get 'd["response"]["allowed"]')"
post /validate/invalid/enforce
check "invalid enforce label: denied, naming the label" \
  '[false, 403, true]' \
  "$(get '[d["response"]["allowed"], d["response"]["status"]["code"], "the label hardpod.dev/enforce of namespace \"shop\" is not a hardpod profile" in d["response"]["status"]["message"]]')"
post /validate/invalid/warn
check "invalid warn label: denied, naming the label" '[false, true]' \
  "$(get '[d["response"]["allowed"], "the label hardpod.dev/warn of" in d["response"]["status"]["message"]]')"
post /validate/invalid/warn "$A/update-metadata-only.json"
check "invalid label: a metadata-only update passes" "true" "$(get 'd["response"]["allowed"]')"

for path in /validate/enforce/bogus /validate/enforce/hardened/ /validate/warn /validate/invalid/x \
  /validate/enforce/hardened/warn/none/x /validate/warn/none/enforce/none /validate/enforce/Hardened; do
  post "$path"
  check "$path: 404 with a JSON error" '404 "not found: "' "$STATUS $(get 'd["error"][:11]')"
done
post /validate/enforce/restricted
check "a PSA level name is not a profile" \
  '"not found: \"restricted\" is not a profile (hardened, psa-restricted, psa-baseline or none)"' \
  "$(get 'd["error"]')"
STATUS=$(hp_curl -o /dev/null -w '%{http_code}' "https://localhost:$PORT/validate/enforce/hardened")
check "GET on a label path: 405" 405 "$STATUS"
STATUS=$(curl -sS -o "$E2E_TMP/body" -w '%{http_code}' -H 'Content-Type: application/json' \
  --data-binary @"$POD" "http://127.0.0.1:$PLAIN_PORT/validate/enforce/none")
check "plain listener: a label path is 404" 404 "$STATUS"
check_contains "log: the label's choice is logged" "$(log_lines 'admission review' | tail -20)" \
  '"profile":"psa-baseline","enforceLabel":"psa-baseline","warnLabel":"hardened"'

# Every path a generated configuration calls is served: none is a 404.
"$HP_BIN" webhook-config --template "$HP_SOURCE_DIR/deploy/webhook/webhook.yaml.in" \
  --service hardpod --namespace hardpod-system --ca-bundle-file "$CERTS/ca.crt" \
  --out "$E2E_TMP/vwc.yaml"
paths=$(sed -n 's/^ *path: //p' "$E2E_TMP/vwc.yaml" | sort -u)
served=0
bad=""
for path in $paths; do
  post "$path"
  if [ "$STATUS" = 200 ]; then served=$((served + 1)); else bad="$bad $path:$STATUS"; fi
done
check "every path of the generated configuration answers 200 ($(wc -w <<<"$paths") paths)" \
  "$(wc -w <<<"$paths")" "$served${bad:+ (not:$bad)}"
stop_server

# --- a config in audit mode, with a check override and an exemption -------------
cat >"$E2E_TMP/hardpod.yaml" <<'YAML'
profile: hardened
mode: audit
checks:
  resources: off
exemptions:
  - namespace: legacy
    reason: "migrating"
YAML
start_server "${TLS[@]}" --config "$E2E_TMP/hardpod.yaml" || exit 1
post /validate
check "audit mode, no label: allowed with would-deny warnings" "true would deny: runAsUser:" \
  "$(get 'd["response"]["allowed"]') $(get 'd["response"]["warnings"][0][:22]' | tr -d '"')"
post /validate/enforce/hardened
check "enforce hardened overrides the config's audit mode: denied" "false" \
  "$(get 'd["response"]["allowed"]')"
check "enforce hardened: the config's check override (resources: off) applies" "false" \
  "$(get '"resources:" in d["response"]["status"]["message"]')"
sed 's/"namespace": "shop"/"namespace": "legacy"/g' "$POD" >"$E2E_TMP/legacy.json"
post /validate/enforce/hardened "$E2E_TMP/legacy.json"
check "enforce hardened: the config's exemptions apply" "true exempt: migrating: " \
  "$(get 'd["response"]["allowed"]') $(get 'd["response"]["warnings"][0][:19]' | tr -d '"')"
stop_server

finish
