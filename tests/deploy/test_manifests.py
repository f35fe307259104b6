#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Field check of the kustomize manifests in deploy/.

Renders deploy/base and every overlay with `kubectl kustomize` (the
self-signed and audit overlays in a temporary copy of deploy/, after the real
`hardpod certs --webhook-config` has written their certificates), then checks
every object against the model classes of the Kubernetes Python client
(kubernetes.client): every key must be an attribute of the model, recursively,
so a misspelt field such as readOnlyRootFileSystem fails. cert-manager kinds
have no model there and are skipped with a note. Then it asserts what the
deployment promises: the Deployment passes `hardpod audit` with no deny
finding, the two webhooks' failure policies, no subPath anywhere, and the
namespaceSelector that keeps kube-system and hardpod-system out. The
optional deploy/components/client-ca, in no overlay, is rendered on top of the
self-signed overlay as an operator's own overlay would include it: it must
turn on --client-ca and move both probes to the plain metrics port, and every
shipped overlay must keep --client-ca off.

Run by tests/deploy/test_manifests.sh, which finds a python3 with the
kubernetes and yaml modules. Needs HP_BIN and HP_SOURCE_DIR. Exit status: 0
when every check passed, 1 when one failed, 77 when kubectl or a module is
missing.
"""

import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cluster"))
from kubelet import compose_argv  # noqa: E402  (the kubelet's command composition)

SKIP = 77

try:
    import yaml
except ImportError:
    print("skip: the python3 yaml module is missing (apt-get install python3-yaml)")
    sys.exit(SKIP)
try:
    import kubernetes.client as k8s
except ImportError:
    print("skip: the python3 kubernetes module is missing (apt-get install python3-kubernetes)")
    sys.exit(SKIP)

KUBECTL = shutil.which("kubectl")
if not KUBECTL:
    print("skip: kubectl is not on PATH; it renders the kustomizations "
          "(kubectl is not a Debian package: install it from https://kubernetes.io/docs/tasks/tools/)")
    sys.exit(SKIP)

HP_BIN = os.environ.get("HP_BIN", "")
if not HP_BIN or not os.access(HP_BIN, os.X_OK):
    print("skip: HP_BIN does not name an executable hardpod binary")
    sys.exit(SKIP)
SOURCE = os.environ.get("HP_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))

NAMESPACE = "hardpod-system"
# deploy/components/excluded-namespaces: the namespaces never sent to hardpod
EXCLUDED = ["kube-system", NAMESPACE]
SERVICE = "hardpod"
OVERLAYS = ["base", "overlays/self-signed", "overlays/cert-manager", "overlays/audit"]
NEEDS_CERTS = {"overlays/self-signed", "overlays/audit"}
# An overlay made in the temporary copy: the self-signed one plus
# deploy/components/client-ca.
CLIENT_CA = "overlays/client-ca-test"
# API groups whose kinds have no model in kubernetes.client: skipped, with a note.
SKIPPED_GROUPS = {"cert-manager.io"}

passed = 0
failed = 0


def ok(name):
    global passed
    passed += 1
    print(f"ok   {name}")


def fail(name, *details):
    global failed
    failed += 1
    print(f"FAIL {name}")
    for d in details:
        for line in str(d).splitlines():
            print(f"     {line}")


def check(cond, name, *details):
    if cond:
        ok(name)
    else:
        fail(name, *details)
    return cond


# ---------------------------------------------------------------- model walk

PRIMITIVES = {"str", "int", "float", "bool", "object", "date", "datetime"}


def model_class(api_version, kind):
    """V1Deployment for apps/v1 Deployment, V1ValidatingWebhookConfiguration
    for admissionregistration.k8s.io/v1, ... or None."""
    version = api_version.split("/")[-1]
    name = version[:1].upper() + version[1:] + kind
    return getattr(k8s, name, None)


def check_value(value, type_name, path, errors):
    """Checks value against an openapi_types string: 'str', 'V1ObjectMeta',
    'list[V1Container]', 'dict(str, str)', 'dict(str, list[str])'."""
    if value is None:
        return
    m = re.fullmatch(r"list\[(.+)\]", type_name)
    if m:
        if not isinstance(value, list):
            errors.append(f"{path}: expected a list ({type_name}), got {type(value).__name__}")
            return
        for i, item in enumerate(value):
            check_value(item, m.group(1), f"{path}[{i}]", errors)
        return
    m = re.fullmatch(r"dict\(([^,]+), (.+)\)", type_name)
    if m:
        if not isinstance(value, dict):
            errors.append(f"{path}: expected a mapping ({type_name}), got {type(value).__name__}")
            return
        for k, v in value.items():
            check_value(v, m.group(2), f"{path}[{k}]", errors)
        return
    if type_name in PRIMITIVES:
        return
    cls = getattr(k8s, type_name, None)
    if cls is None:
        errors.append(f"{path}: unknown model type {type_name}")
        return
    check_object(value, cls, path, errors)


def check_object(obj, cls, path, errors):
    if not isinstance(obj, dict):
        errors.append(f"{path}: expected a mapping ({cls.__name__}), got {type(obj).__name__}")
        return
    by_json = {json_key: attr for attr, json_key in cls.attribute_map.items()}
    for key, value in obj.items():
        sub = f"{path}.{key}" if path else key
        if key not in by_json:
            close = [k for k in by_json if k.lower() == str(key).lower()]
            hint = f" (did you mean {close[0]}?)" if close else ""
            errors.append(f"{sub}: no such field in {cls.__name__}{hint}")
            continue
        check_value(value, cls.openapi_types[by_json[key]], sub, errors)


def field_errors(doc):
    """Returns (errors, note): note is set when the kind was skipped."""
    api_version, kind = doc.get("apiVersion", ""), doc.get("kind", "")
    group = api_version.split("/")[0] if "/" in api_version else ""
    if group in SKIPPED_GROUPS:
        return [], f"{api_version} {kind} has no kubernetes.client model: skipped"
    cls = model_class(api_version, kind)
    if cls is None:
        return [f"{api_version} {kind}: no kubernetes.client model"], None
    errors = []
    check_object(doc, cls, "", errors)
    return errors, None


# ---------------------------------------------------------------- rendering

def run(cmd, cwd=None):
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=120)


def docs_of(text):
    return [d for d in yaml.safe_load_all(text) if d]


def find(docs, kind, name=None):
    return [d for d in docs if d.get("kind") == kind
            and (name is None or d.get("metadata", {}).get("name") == name)]


def walk(node, path=""):
    """Yields (path, key, value) for every mapping entry."""
    if isinstance(node, dict):
        for k, v in node.items():
            p = f"{path}.{k}" if path else str(k)
            yield p, k, v
            yield from walk(v, p)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, f"{path}[{i}]")


def main():
    tmp = tempfile.mkdtemp(prefix="hardpod-deploy-")
    try:
        return run_checks(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run_checks(tmp):
    shutil.copytree(os.path.join(SOURCE, "deploy"), os.path.join(tmp, "deploy"))
    certs = os.path.join("deploy", "overlays", "self-signed", "certs")
    r = run([HP_BIN, "certs", "--service", SERVICE, "--namespace", NAMESPACE,
             "--out", certs, "--webhook-config", "deploy/webhook/webhook.yaml.in"], cwd=tmp)
    if not check(r.returncode == 0, "hardpod certs writes the self-signed overlay's certificates",
                 r.stdout, r.stderr):
        return
    # The documented workflow writes keys into the repository's copy of the
    # overlay: git must ignore them.
    if shutil.which("git") and os.path.isdir(os.path.join(SOURCE, ".git")):
        for n in ("ca.key", "tls.key", "tls.crt", "ca.crt", "webhook-config.yaml"):
            r = run(["git", "-C", SOURCE, "check-ignore", "-q", os.path.join(certs, n)])
            check(r.returncode == 0, f"git ignores {certs}/{n}", r.stderr)
    gi = os.path.join(SOURCE, certs, ".gitignore")
    lines = open(gi).read().split() if os.path.exists(gi) else []
    check("*" in lines, "the self-signed overlay's certs/.gitignore ignores everything", f"{gi}: {lines}")

    # `kubectl apply -f certs/webhook-config.yaml` alone (hardpod certs --help)
    # must exclude the same namespaces as the overlays' component.
    standalone = docs_of(open(os.path.join(tmp, certs, "webhook-config.yaml")).read())
    for w in standalone[0]["webhooks"] if standalone else []:
        vals = [v for e in w.get("namespaceSelector", {}).get("matchExpressions", [])
                if e.get("key") == "kubernetes.io/metadata.name" and e.get("operator") == "NotIn"
                for v in e.get("values", [])]
        check(sorted(vals) == sorted(EXCLUDED),
              f"webhook.yaml.in rendered by hardpod certs: {w['name']} excludes {EXCLUDED} "
              "(as deploy/components/excluded-namespaces does)", vals)

    os.makedirs(os.path.join(tmp, "deploy", CLIENT_CA))
    with open(os.path.join(tmp, "deploy", CLIENT_CA, "kustomization.yaml"), "w") as f:
        f.write("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
                "resources:\n  - ../self-signed\ncomponents:\n  - ../../components/client-ca\n")

    rendered = {}
    for overlay in OVERLAYS + [CLIENT_CA]:
        r = run([KUBECTL, "kustomize", os.path.join("deploy", overlay)], cwd=tmp)
        if check(r.returncode == 0, f"kubectl kustomize deploy/{overlay} renders", r.stderr):
            rendered[overlay] = docs_of(r.stdout)

    # Every object against the kubernetes.client models.
    for overlay, docs in rendered.items():
        for doc in docs:
            what = f"deploy/{overlay}: {doc.get('kind')} {doc.get('metadata', {}).get('name')}"
            errors, note = field_errors(doc)
            if note:
                print(f"note {what}: {note}")
                continue
            check(not errors, f"{what}: every field is in the API model", *errors)

    # The checker itself catches a misspelt field.
    base = rendered.get("base", [])
    deps = find(base, "Deployment", "hardpod")
    if deps:
        bad = copy.deepcopy(deps[0])
        sc = bad["spec"]["template"]["spec"]["containers"][0]["securityContext"]
        sc["readOnlyRootFileSystem"] = sc.pop("readOnlyRootFilesystem", True)
        errors, _ = field_errors(bad)
        check(any("readOnlyRootFileSystem" in e and "no such field" in e for e in errors),
              "self-test: a misspelt readOnlyRootFileSystem is reported", errors)
        bad = copy.deepcopy(deps[0])
        bad["spec"]["template"]["spec"]["volumes"][0]["secret"]["secretname"] = "x"
        errors, _ = field_errors(bad)
        check(any("secretname" in e for e in errors),
              "self-test: a misspelt key inside a list of models is reported", errors)

    for overlay, docs in rendered.items():
        check_overlay(overlay, docs, tmp)
    check_commented_rules()
    check_cert_manager_generated(tmp)

    # The two webhook configurations differ only in how the CA gets there.
    ss = find(rendered.get("overlays/self-signed", []), "ValidatingWebhookConfiguration", "hardpod")
    cm = find(rendered.get("overlays/cert-manager", []), "ValidatingWebhookConfiguration", "hardpod")
    if ss and cm:
        a, b = copy.deepcopy(ss[0]["webhooks"]), copy.deepcopy(cm[0]["webhooks"])
        for w in a:
            w["clientConfig"].pop("caBundle", None)
        for w in b:
            for e in w.get("namespaceSelector", {}).get("matchExpressions", []):
                if e.get("key") == "kubernetes.io/metadata.name":
                    e["values"] = [v for v in e.get("values", []) if v != "cert-manager"]
        diff = [(x.get("name"), y.get("name")) for x, y in zip(a, b) if x != y]
        check(a == b, "self-signed and cert-manager webhook configurations match apart from the CA "
              "and cert-manager's namespace", f"{len(a)} and {len(b)} webhooks", *diff[:3],
              *[json.dumps(x, sort_keys=True)[:800] for pair in zip(a, b) if pair[0] != pair[1]
                for x in pair][:2])
        ann = cm[0]["metadata"].get("annotations", {})
        check(ann.get("cert-manager.io/inject-ca-from") == "hardpod-system/hardpod"
              and all("caBundle" not in w["clientConfig"] for w in cm[0]["webhooks"]),
              "cert-manager: inject-ca-from hardpod-system/hardpod and no caBundle", ann)
        cert = find(rendered["overlays/cert-manager"], "Certificate", "hardpod")
        check(cert and cert[0]["spec"].get("secretName") == "hardpod-tls"
              and "hardpod.hardpod-system.svc" in cert[0]["spec"].get("dnsNames", []),
              "cert-manager: Certificate hardpod writes Secret hardpod-tls for the Service's names",
              cert)
        issuer = find(rendered["overlays/cert-manager"], "Issuer",
                      cert[0]["spec"]["issuerRef"]["name"]) if cert else []
        check(issuer and "ca" in issuer[0]["spec"],
              "cert-manager: the serving certificate is signed by a CA Issuer, not self-signed", issuer)
        ca_bundle = open(os.path.join(tmp, certs, "ca.crt"), "rb").read()
        import base64
        check(all(base64.b64decode(w["clientConfig"]["caBundle"]) == ca_bundle for w in ss[0]["webhooks"]),
              "self-signed: both caBundles are the CA written by hardpod certs")


# The commented-out rules for the custom resources hardpod reads with its
# built-in entries (src/k8s/custom.c): (group, resource) of each kind.
CUSTOM_RESOURCES = {("argoproj.io", r) for r in ("rollouts", "analysistemplates",
                                                 "clusteranalysistemplates", "analysisruns",
                                                 "experiments")} | \
    {("serving.knative.dev", r) for r in ("services", "configurations", "revisions")} | \
    {("keda.sh", "scaledjobs")}


def commented_rules(path):
    """The rules under "# Uncomment for the kinds you run:", uncommented."""
    lines = open(path).read().split("\n")
    start = [i for i, line in enumerate(lines) if line.strip() == "# Uncomment for the kinds you run:"]
    if len(start) != 1:
        return None
    body = []
    for line in lines[start[0] + 1:]:
        m = re.match(r"^(\s*)# (.*)$", line)
        if not m or not (m.group(2).startswith("- ") or m.group(2).startswith("  ")):
            break
        body.append(m.group(1) + m.group(2))
    return yaml.safe_load("\n".join(body))


def check_commented_rules():
    """Uncommented, the template's custom-resource rules are valid rules of
    the API model and cover every built-in kind."""
    f = "deploy/webhook/webhook.yaml.in"
    rules = commented_rules(os.path.join(SOURCE, f))
    if not check(isinstance(rules, list) and rules, f"{f}: commented-out custom-resource rules", rules):
        return
    for i, rule in enumerate(rules):
        errors = []
        check_object(rule, k8s.V1RuleWithOperations, f"rules[{i}]", errors)
        check(not errors and rule.get("operations") == ["CREATE", "UPDATE"],
              f"{f}: commented-out rule {i} is a valid CREATE/UPDATE rule", *errors)
    res = {(g, r) for rule in rules for g in rule.get("apiGroups", [])
           for r in rule.get("resources", [])}
    check(res == CUSTOM_RESOURCES, f"{f}: the commented-out rules cover every built-in custom kind",
          sorted(res))


def check_cert_manager_generated(tmp):
    """deploy/overlays/cert-manager/webhook.yaml is what `hardpod webhook-config`
    writes from the template today (the overlay's comment gives the command)."""
    out = os.path.join(tmp, "cert-manager-webhook.yaml")
    r = run([HP_BIN, "webhook-config", "--template", "deploy/webhook/webhook.yaml.in",
             "--service", SERVICE, "--namespace", NAMESPACE, "--inject-ca-from", "hardpod-system/hardpod",
             "--out", out], cwd=SOURCE)
    if not check(r.returncode == 0, "hardpod webhook-config writes cert-manager's form", r.stderr):
        return
    committed = open(os.path.join(SOURCE, "deploy/overlays/cert-manager/webhook.yaml")).read()
    check(open(out).read() == committed,
          "deploy/overlays/cert-manager/webhook.yaml is up to date with the template (generate it "
          "again with the command in deploy/overlays/cert-manager/kustomization.yaml)")


# The profiles a namespace label may name, and what each template webhook
# becomes: one webhook per (enforce, warn) choice plus three for bad values.
PROFILES = ["hardened", "psa-restricted", "psa-baseline", "none"]


def label_variants(base):
    """{name: path} of the webhooks generated from template webhook base."""
    out = {}
    for e in [None] + PROFILES:
        for w in [None] + PROFILES:
            prefix = (f"enforce-{e}." if e else "") + (f"warn-{w}." if w else "")
            path = "/validate" + (f"/enforce/{e}" if e else "") + (f"/warn/{w}" if w else "")
            out[prefix + base] = path
    out["invalid-enforce." + base] = "/validate/invalid/enforce"
    out["invalid-warn." + base] = "/validate/invalid/warn"
    out["invalid-warn.enforce-set." + base] = "/validate/invalid/warn"
    return out


def check_overlay(overlay, docs, tmp):
    p = f"deploy/{overlay}"
    for path, key, _ in walk(docs):
        if key == "subPath" or key == "subPathExpr":
            fail(f"{p}: no subPath anywhere", path)
            break
    else:
        ok(f"{p}: no subPath anywhere")

    kinds = sorted({d.get("kind") for d in docs})
    for k in ["Namespace", "ServiceAccount", "ConfigMap", "Deployment", "Service",
              "PodDisruptionBudget", "NetworkPolicy"]:
        check(k in kinds, f"{p}: has a {k}", kinds)
    check(not any(d.get("kind") in ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")
                  for d in docs), f"{p}: no RBAC objects")
    for d in docs:
        if d.get("kind") != "Namespace":
            check(d.get("metadata", {}).get("namespace") in (NAMESPACE, None)
                  and (d.get("kind") in ("ValidatingWebhookConfiguration",)
                       or d["metadata"].get("namespace") == NAMESPACE),
                  f"{p}: {d.get('kind')} {d['metadata'].get('name')} is in {NAMESPACE} (or cluster-scoped)")

    dep = find(docs, "Deployment", "hardpod")
    if dep:
        check_deployment(p, dep[0], overlay, tmp)

    sa = find(docs, "ServiceAccount", "hardpod")
    check(sa and sa[0].get("automountServiceAccountToken") is False,
          f"{p}: ServiceAccount hardpod has automountServiceAccountToken false")
    svc = find(docs, "Service", "hardpod")
    ports = {(x.get("port"), str(x.get("targetPort"))) for x in svc[0]["spec"]["ports"]} if svc else set()
    check(ports == {(443, "https"), (9090, "metrics")}, f"{p}: Service hardpod 443->https(8443), 9090->metrics", ports)
    pdb = find(docs, "PodDisruptionBudget", "hardpod")
    check(pdb and pdb[0]["spec"].get("minAvailable") == 1, f"{p}: PodDisruptionBudget minAvailable 1")
    np = find(docs, "NetworkPolicy", "hardpod")
    if np:
        spec = np[0]["spec"]
        nports = sorted((x.get("protocol"), x.get("port")) for r in spec.get("ingress", [])
                        for x in r.get("ports", []))
        check(spec.get("policyTypes") == ["Ingress"] and nports == [("TCP", 8443), ("TCP", 9090)]
              and all(r.get("ports") for r in spec.get("ingress", [])),
              f"{p}: NetworkPolicy admits ingress only on TCP 8443 and 9090", spec)
    cfg = find(docs, "ConfigMap", "hardpod-config")
    if check(cfg and "hardpod.yaml" in cfg[0].get("data", {}), f"{p}: ConfigMap hardpod-config holds hardpod.yaml"):
        conf = yaml.safe_load(cfg[0]["data"]["hardpod.yaml"])
        check(conf.get("profile") == "hardened" and conf.get("mode") == "enforce"
              and not conf.get("exemptions"),
              f"{p}: policy is profile hardened, mode enforce, no exemptions", conf)

    vwc = find(docs, "ValidatingWebhookConfiguration")
    if overlay == "base":
        check(not vwc, f"{p}: no webhook configuration in the base (the overlays add it)")
        return
    if not check(len(vwc) == 1 and vwc[0]["metadata"]["name"] == "hardpod",
                 f"{p}: one ValidatingWebhookConfiguration hardpod"):
        return
    hooks = {w["name"]: w for w in vwc[0]["webhooks"]}
    want_hooks = {**label_variants("pods.hardpod.dev"), **label_variants("workloads.hardpod.dev")}
    check(sorted(hooks) == sorted(want_hooks) and len(vwc[0]["webhooks"]) == len(want_hooks),
          f"{p}: the {len(want_hooks)} webhooks of pods.hardpod.dev and workloads.hardpod.dev, one "
          "per namespace label choice", sorted(set(hooks) ^ set(want_hooks)))
    # audit mode never denies (unlabelled), so nothing there fails closed
    want_excluded = set(EXCLUDED) | ({"cert-manager"} if overlay == "overlays/cert-manager" else set())
    for name, w in hooks.items():
        kind = "pods" if name.endswith("pods.hardpod.dev") else "workloads"
        want_policy = "Ignore" if overlay == "overlays/audit" or kind == "workloads" else "Fail"
        check(w.get("failurePolicy") == want_policy,
              f"{p}: {name} failurePolicy {want_policy}", w.get("failurePolicy"))
        svc_ref = w["clientConfig"].get("service", {})
        want_ref = {"name": SERVICE, "namespace": NAMESPACE, "path": want_hooks.get(name), "port": 443}
        check(svc_ref == want_ref, f"{p}: {name} calls service hardpod.hardpod-system:443"
              f"{want_hooks.get(name)}", svc_ref)
        check(w.get("admissionReviewVersions") == ["v1", "v1beta1"] and w.get("sideEffects") == "None"
              and w.get("timeoutSeconds") == 5 and w.get("matchPolicy") == "Equivalent",
              f"{p}: {name} v1+v1beta1, sideEffects None, timeout 5, matchPolicy Equivalent")
        excluded = set()
        for e in w.get("namespaceSelector", {}).get("matchExpressions", []):
            if e.get("key") == "kubernetes.io/metadata.name" and e.get("operator") == "NotIn":
                excluded |= set(e.get("values", []))
        check(excluded == want_excluded,
              f"{p}: {name} namespaceSelector excludes exactly {sorted(want_excluded)}", w.get("namespaceSelector"))
        if "caBundle" in w["clientConfig"]:
            check("$" not in w["clientConfig"]["caBundle"], f"{p}: {name} caBundle is filled in")
        if kind == "pods":
            twin = hooks.get(name[:-len("pods.hardpod.dev")] + "workloads.hardpod.dev", {})
            check(json.dumps(w.get("namespaceSelector"), sort_keys=True)
                  == json.dumps(twin.get("namespaceSelector"), sort_keys=True),
                  f"{p}: {name} has the namespaceSelector of its workloads twin")
            res = {(g, r, tuple(rule.get("apiVersions", [])), tuple(sorted(rule.get("operations", []))),
                    rule.get("scope")) for rule in w.get("rules", []) for g in rule["apiGroups"]
                   for r in rule["resources"]}
            check(res == {("", "pods", ("v1",), ("CREATE", "UPDATE"), "Namespaced"),
                          ("", "pods/ephemeralcontainers", ("v1",), ("CREATE", "UPDATE"), "Namespaced")},
                  f"{p}: {name} covers pods and pods/ephemeralcontainers, CREATE UPDATE", res)
        else:
            res = {(g, r) for rule in w.get("rules", []) for g in rule["apiGroups"] for r in rule["resources"]}
            want = {("apps", r) for r in ("deployments", "replicasets", "statefulsets", "daemonsets")} | \
                   {("batch", "jobs"), ("batch", "cronjobs"), ("", "replicationcontrollers"), ("", "podtemplates")}
            check(res == want and all(rule.get("scope") == "Namespaced" for rule in w.get("rules", [])),
                  f"{p}: {name} covers every pod-template kind, Namespaced", sorted(res))


def dockerfile_entrypoint_cmd(path):
    """ENTRYPOINT and CMD of the Dockerfile's last stage (exec form only)."""
    entrypoint = cmd = None
    for line in open(path):
        word = line.split(None, 1)
        if not word:
            continue
        if word[0].upper() == "FROM":
            entrypoint = cmd = None
        elif word[0].upper() in ("ENTRYPOINT", "CMD"):
            value = json.loads(word[1])
            if word[0].upper() == "ENTRYPOINT":
                entrypoint, cmd = value, None  # a new ENTRYPOINT resets CMD
            else:
                cmd = value
    return entrypoint or [], cmd or []


def check_deployment(p, dep, overlay, tmp):
    spec = dep["spec"]
    pod = spec["template"]["spec"]
    c = pod["containers"][0]
    psc, csc = pod.get("securityContext", {}), c.get("securityContext", {})
    check(spec.get("replicas") == 2, f"{p}: Deployment has 2 replicas")
    tsc = pod.get("topologySpreadConstraints", [])
    check(any(t.get("topologyKey") == "kubernetes.io/hostname" and t.get("maxSkew") == 1
              and t.get("whenUnsatisfiable") == "ScheduleAnyway" for t in tsc),
          f"{p}: spread across nodes (hostname, maxSkew 1, ScheduleAnyway)", tsc)
    check(pod.get("priorityClassName") == "system-cluster-critical", f"{p}: priorityClassName system-cluster-critical")
    check(pod.get("automountServiceAccountToken") is False, f"{p}: pod automountServiceAccountToken false")
    check(psc == {"runAsNonRoot": True, "runAsUser": 65532, "runAsGroup": 65532, "fsGroup": 65532,
                  "seccompProfile": {"type": "RuntimeDefault"}},
          f"{p}: pod securityContext is the hardened one", psc)
    check(csc == {"allowPrivilegeEscalation": False, "privileged": False, "readOnlyRootFilesystem": True,
                  "capabilities": {"drop": ["ALL"]}},
          f"{p}: container securityContext is the hardened one", csc)
    check(c.get("resources") == {"requests": {"cpu": "100m", "memory": "32Mi"},
                                 "limits": {"cpu": "1", "memory": "64Mi"}},
          f"{p}: requests 100m/32Mi, limits 1/64Mi", c.get("resources"))
    # With --client-ca the kubelet, which presents no client certificate,
    # cannot complete a handshake on 8443: it probes the plain metrics port.
    port, scheme = (9090, "HTTP") if overlay == CLIENT_CA else (8443, "HTTPS")
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        g = c.get(probe, {}).get("httpGet", {})
        check(g.get("path") == path and g.get("port") == port and g.get("scheme") == scheme,
              f"{p}: {probe} GET {path} {scheme} {port}", g)
    args = c.get("args", [])

    def arg(flag, default):
        return int(args[args.index(flag) + 1]) if flag in args else default
    delay, drain = arg("--shutdown-delay", 5), arg("--drain-timeout", 20)
    check(pod.get("terminationGracePeriodSeconds", 30) > delay + drain,
          f"{p}: terminationGracePeriodSeconds > shutdown delay + drain timeout ({delay}+{drain})")
    # The process a kubelet starts: the image's ENTRYPOINT and CMD (from the
    # Dockerfile's final stage) against the container's command and args.
    entrypoint, cmd = dockerfile_entrypoint_cmd(os.path.join(SOURCE, "Dockerfile"))
    argv = compose_argv(entrypoint, cmd, c.get("command"), c.get("args"),
                        {e["name"]: e.get("value", "") for e in c.get("env", [])})
    want = ["/usr/local/bin/hardpod", "serve", "--tls-cert", "/etc/hardpod/tls/tls.crt",
            "--tls-key", "/etc/hardpod/tls/tls.key", "--config", "/etc/hardpod/config/hardpod.yaml",
            "--metrics-listen", "0.0.0.0:9090"]
    check(argv[:len(want)] == want and argv.count("serve") == 1,
          f"{p}: the kubelet runs `hardpod serve` with the certificate, config and metrics flags "
          f"(Dockerfile ENTRYPOINT {entrypoint} CMD {cmd})", argv)
    check(pod.get("nodeSelector") == {"kubernetes.io/os": "linux"}, f"{p}: nodeSelector kubernetes.io/os: linux",
          pod.get("nodeSelector"))
    # The memory limit covers the worst case (the sizing comment in
    # deploy/base/deployment.yaml): idle + budget + connections + allowance.
    budget, conns = arg("--memory-budget", 24 << 20), arg("--max-connections", 10000)
    body = arg("--max-body-bytes", 7 << 20)
    limit = c.get("resources", {}).get("limits", {}).get("memory", "0")
    limit_bytes = int(limit[:-2]) << 20 if limit.endswith("Mi") else int(limit)
    worst = int(10.3 * (1 << 20)) + budget + conns * 48 * 1024 + (8 << 20)
    check(worst <= limit_bytes and budget >= 2 * body,
          f"{p}: memory limit {limit} covers idle + --memory-budget + --max-connections x 48 KiB "
          f"+ 8 MiB ({worst >> 20} MiB), and the budget holds a largest body twice",
          f"budget {budget}, connections {conns}, max body {body}")
    mode = args[args.index("--mode") + 1] if "--mode" in args else "enforce"
    want_mode = "audit" if overlay == "overlays/audit" else "enforce"
    check(mode == want_mode, f"{p}: hardpod runs in {want_mode} mode", args)
    check(c.get("image") == "hardpod:0.1.0", f"{p}: image hardpod:0.1.0", c.get("image"))
    ports = {(x.get("name"), x.get("containerPort")) for x in c.get("ports", [])}
    check(ports == {("https", 8443), ("metrics", 9090)}, f"{p}: container ports https 8443, metrics 9090", ports)
    mounts = {m["mountPath"]: m for m in c.get("volumeMounts", [])}
    vols = {v["name"]: v for v in pod.get("volumes", [])}
    tls = mounts.get("/etc/hardpod/tls", {})
    check(tls.get("readOnly") is True
          and vols.get(tls.get("name"), {}).get("secret", {}).get("secretName") == "hardpod-tls",
          f"{p}: Secret hardpod-tls mounted read-only as the directory /etc/hardpod/tls", tls)
    cfgm = mounts.get("/etc/hardpod/config", {})
    check(vols.get(cfgm.get("name"), {}).get("configMap", {}).get("name") == "hardpod-config",
          f"{p}: ConfigMap hardpod-config mounted as the directory /etc/hardpod/config", cfgm)
    if overlay == CLIENT_CA:
        cam = mounts.get("/etc/hardpod/client-ca", {})
        check("--client-ca" in args and args[args.index("--client-ca") + 1:][:1]
              == ["/etc/hardpod/client-ca/ca.crt"],
              f"{p}: --client-ca /etc/hardpod/client-ca/ca.crt", args)
        check(cam.get("readOnly") is True
              and vols.get(cam.get("name"), {}).get("configMap", {}).get("name") == "hardpod-client-ca",
              f"{p}: ConfigMap hardpod-client-ca mounted read-only as the directory "
              "/etc/hardpod/client-ca", cam)
    else:
        check("--client-ca" not in args, f"{p}: --client-ca is off", args)

    # hardpod's own policy, default profile and the shipped config file.
    f = os.path.join(tmp, f"deployment-{overlay.replace('/', '-')}.yaml")
    with open(f, "w") as out:
        yaml.safe_dump(dep, out)
    r = run([HP_BIN, "audit", "--format", "json", f])
    try:
        report = json.loads(r.stdout)
        denies = [x for res in report["resources"] for x in res["findings"] if x["action"] == "deny"]
        warns = [x for res in report["resources"] for x in res["findings"] if x["action"] != "deny"]
    except (ValueError, KeyError) as e:
        report, denies, warns = None, [f"unreadable report: {e}: {r.stdout} {r.stderr}"], []
    check(r.returncode == 0 and report and report["summary"]["resources"] == 1 and not denies,
          f"{p}: the Deployment passes hardpod audit (default profile) with no deny finding",
          f"exit {r.returncode}", *denies, r.stderr)
    check(not warns, f"{p}: ... and with no warning either", *warns)
    cfg_file = os.path.join(tmp, "deploy", "base", "hardpod.yaml")
    r = run([HP_BIN, "audit", "--config", cfg_file, "--format", "json", f])
    check(r.returncode == 0, f"{p}: hardpod loads the shipped hardpod.yaml and passes under it",
          f"exit {r.returncode}", r.stdout, r.stderr)


if __name__ == "__main__":
    try:
        main()
    except Exception:  # a crash is a failure, reported with the counts
        import traceback
        fail("the test itself ran without an exception", traceback.format_exc())
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed or not passed else 0)
