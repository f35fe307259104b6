#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Every namespace gets exactly one hardpod webhook per kind, with the path
of its labels' choice.

The API server calls every webhook of a configuration whose rules and
namespaceSelector match a request. `hardpod webhook-config` writes one
webhook per choice of the labels hardpod.dev/enforce and hardpod.dev/warn;
this test evaluates each generated webhook's namespaceSelector the way the
API server does (written here from the Kubernetes documentation of label
selectors, independently of tests/cluster/apiserver.py) against every
combination of label states, and checks that exactly one pods webhook and
one workloads webhook match, and that the path each calls carries the
intended choice: /validate for no label, /validate/enforce/P[/warn/Q] or
/validate/warn/Q, and /validate/invalid/{enforce,warn} for a value that
names no offered profile. The excluded namespaces match none.

Configurations checked: `hardpod webhook-config` with every profile and with
two of them (a value naming another profile must be refused), `hardpod certs
--webhook-config`, and, with kubectl, the self-signed, audit and
cert-manager overlays as rendered. Prints "N passed, N failed"; exit 0 when
nothing failed, 77 (skip) without PyYAML or HP_BIN.
"""

import itertools
import os
import shutil
import subprocess
import sys
import tempfile

SKIP = 77
try:
    import yaml
except ImportError:
    print("skip: the python3 yaml module is missing (apt-get install python3-yaml)")
    sys.exit(SKIP)
HP_BIN = os.environ.get("HP_BIN", "")
if not HP_BIN or not os.access(HP_BIN, os.X_OK):
    print("skip: HP_BIN does not name an executable hardpod binary")
    sys.exit(SKIP)
SOURCE = os.environ.get("HP_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))

ENFORCE, WARN = "hardpod.dev/enforce", "hardpod.dev/warn"
PROFILES = ["hardened", "psa-restricted", "psa-baseline", "none"]
# Values that name no profile: PSA's level names, another case, an empty
# value (a valid label value), a near miss.
BAD = ["", "restricted", "baseline", "privileged", "Hardened", "hardened-v2"]
KINDS = {"pods": "pods.hardpod.dev", "workloads": "workloads.hardpod.dev"}

passed = failed = 0


def check(cond, what, *detail):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {what}")
        for d in detail:
            print(f"     {d}")
    return cond


# ------------------------------------------------------ the API server's matching

def requirement_matches(req, labels):
    """One LabelSelectorRequirement: In and NotIn with a set of values,
    Exists and DoesNotExist without (k8s.io/apimachinery labels.Selector).
    NotIn matches a namespace without the key."""
    key, op, values = req["key"], req["operator"], req.get("values") or []
    if op == "In":
        return key in labels and labels[key] in values
    if op == "NotIn":
        return key not in labels or labels[key] not in values
    if op == "Exists":
        return key in labels
    if op == "DoesNotExist":
        return key not in labels
    raise ValueError(f"operator {op}")


def selector_matches(sel, labels):
    """A LabelSelector: matchLabels and matchExpressions ANDed; a missing or
    empty selector matches every namespace."""
    if not sel:
        return True
    if any(labels.get(k) != v for k, v in (sel.get("matchLabels") or {}).items()):
        return False
    return all(requirement_matches(r, labels) for r in sel.get("matchExpressions") or [])


def namespace_matches(hook, namespace, labels):
    """The namespaceSelector for a request on a namespaced object: evaluated
    on the namespace's labels, which always include kubernetes.io/metadata.name.
    (For a Namespace object itself the object's own labels are used, and for
    other cluster-scoped objects the selector always matches: hence the
    check below that every rule is Namespaced.)"""
    labels = dict(labels, **{"kubernetes.io/metadata.name": namespace})
    return selector_matches(hook.get("namespaceSelector"), labels)


def kind_of(hook):
    for kind, suffix in KINDS.items():
        if hook["name"] == suffix or hook["name"].endswith("." + suffix):
            return kind
    return None


# ------------------------------------------------------------------ expectations

def states(offered):
    """(value or None) for one label: absent, each profile, each bad value."""
    return [None] + PROFILES + BAD


def want_path(enforce, warn, offered):
    def bad(v):
        return v is not None and v not in offered
    if bad(enforce):
        return "/validate/invalid/enforce"
    if bad(warn):
        return "/validate/invalid/warn"
    return "/validate" + (f"/enforce/{enforce}" if enforce else "") + (f"/warn/{warn}" if warn else "")


def check_config(what, vwc, offered, excluded, namespace="shop"):
    hooks = vwc["webhooks"]
    names = [h["name"] for h in hooks]
    check(len(names) == len(set(names)), f"{what}: webhook names are unique")
    check(all(kind_of(h) for h in hooks), f"{what}: every webhook is a pods or workloads one",
          [h["name"] for h in hooks if not kind_of(h)])
    # The namespaceSelector only holds for namespaced requests: every rule
    # must be Namespaced, or a cluster-scoped request would match them all.
    check(all(r.get("scope") == "Namespaced" for h in hooks for r in h.get("rules", [])),
          f"{what}: every rule is scope Namespaced")
    n = 0
    extra = {"team": "shop", "pod-security.kubernetes.io/enforce": "restricted"}
    for enforce, warn, other in itertools.product(states(offered), states(offered), (False, True)):
        labels = dict(extra) if other else {}
        if enforce is not None:
            labels[ENFORCE] = enforce
        if warn is not None:
            labels[WARN] = warn
        want = want_path(enforce, warn, offered)
        for kind in KINDS:
            got = [h for h in hooks if kind_of(h) == kind and namespace_matches(h, namespace, labels)]
            paths = [h["clientConfig"]["service"]["path"] for h in got]
            n += 1
            check(paths == [want], f"{what}: {kind} in {namespace} with {labels}: exactly one webhook, "
                  f"calling {want}", f"matched: {[h['name'] for h in got]} -> {paths}")
    for ns in excluded:
        for enforce, warn in itertools.product(states(offered), states(offered)):
            labels = {k: v for k, v in ((ENFORCE, enforce), (WARN, warn)) if v is not None}
            got = [h["name"] for h in hooks if namespace_matches(h, ns, labels)]
            n += 1
            check(not got, f"{what}: nothing matches in excluded namespace {ns} with {labels}", got)
    print(f"ok   {what}: {len(hooks)} webhooks, {n} label combinations and namespaces evaluated")


def generate(args, tmp):
    out = os.path.join(tmp, "vwc.yaml")
    r = subprocess.run([HP_BIN, "webhook-config", "--template",
                        os.path.join(SOURCE, "deploy/webhook/webhook.yaml.in"), "--service", "hardpod",
                        "--namespace", "hardpod-system", "--out", out] + args,
                       capture_output=True, text=True, timeout=60)
    if not check(r.returncode == 0, f"hardpod webhook-config {' '.join(args)}", r.stderr):
        return None
    return yaml.safe_load(open(out))


def self_test():
    """The evaluator itself, on the documented cases."""
    sel = {"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["x"]}]}
    check(selector_matches(sel, {}) and not selector_matches(sel, {"a": "x"}),
          "evaluator: NotIn matches a missing key, not a listed value")
    check(not selector_matches({"matchExpressions": [{"key": "a", "operator": "In", "values": [""]}]}, {}),
          "evaluator: In needs the key")
    check(selector_matches({"matchExpressions": [{"key": "a", "operator": "Exists"}]}, {"a": ""}),
          "evaluator: Exists matches an empty value")
    check(selector_matches(None, {}) and selector_matches({}, {"a": "b"}),
          "evaluator: a missing or empty selector matches everything")


def main():
    self_test()
    tmp = tempfile.mkdtemp(prefix="hardpod-labels-")
    try:
        ca = os.path.join(tmp, "certs")
        r = subprocess.run([HP_BIN, "certs", "--service", "hardpod", "--namespace", "hardpod-system",
                            "--out", ca, "--webhook-config",
                            os.path.join(SOURCE, "deploy/webhook/webhook.yaml.in")],
                           capture_output=True, text=True, timeout=60)
        if check(r.returncode == 0, "hardpod certs --webhook-config", r.stderr):
            check_config("hardpod certs --webhook-config", yaml.safe_load(open(os.path.join(ca, "webhook-config.yaml"))),
                         PROFILES, ["kube-system", "hardpod-system"])
        for args, offered in ((["--ca-bundle-file", os.path.join(ca, "ca.crt")], PROFILES),
                              (["--inject-ca-from", "hardpod-system/hardpod", "--profiles",
                                "hardened,psa-baseline"], ["hardened", "psa-baseline"])):
            vwc = generate(args, tmp)
            if vwc:
                check_config(f"webhook-config {' '.join(args[2:]) or 'every profile'}", vwc, offered,
                             ["kube-system", "hardpod-system"])
        vwc = generate(["--inject-ca-from", "hardpod-system/hardpod", "--no-labels"], tmp)
        if vwc:
            check([h["name"] for h in vwc["webhooks"]] == list(KINDS.values()),
                  "webhook-config --no-labels: the template's two webhooks")
        if not shutil.which("kubectl"):
            print("note: kubectl is not on PATH: the rendered overlays are not checked")
            return
        deploy = os.path.join(tmp, "deploy")
        shutil.copytree(os.path.join(SOURCE, "deploy"), deploy)
        certs = os.path.join(deploy, "overlays", "self-signed", "certs")
        shutil.rmtree(certs, ignore_errors=True)
        r = subprocess.run([HP_BIN, "certs", "--service", "hardpod", "--namespace", "hardpod-system",
                            "--out", certs, "--webhook-config", os.path.join(deploy, "webhook/webhook.yaml.in")],
                           capture_output=True, text=True, timeout=60)
        check(r.returncode == 0, "certs for the self-signed overlay", r.stderr)
        for overlay, excluded in (("self-signed", ["kube-system", "hardpod-system"]),
                                  ("audit", ["kube-system", "hardpod-system"]),
                                  ("cert-manager", ["kube-system", "hardpod-system", "cert-manager"])):
            r = subprocess.run(["kubectl", "kustomize", os.path.join(deploy, "overlays", overlay)],
                               capture_output=True, text=True, timeout=120)
            if not check(r.returncode == 0, f"kubectl kustomize deploy/overlays/{overlay}", r.stderr):
                continue
            docs = [d for d in yaml.safe_load_all(r.stdout) if d]
            vwcs = [d for d in docs if d.get("kind") == "ValidatingWebhookConfiguration"]
            if check(len(vwcs) == 1, f"deploy/overlays/{overlay}: one webhook configuration"):
                check_config(f"deploy/overlays/{overlay}", vwcs[0], PROFILES, excluded)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed or not passed else 0)
