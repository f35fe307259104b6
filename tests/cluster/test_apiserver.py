# SPDX-License-Identifier: Apache-2.0
"""Table tests of tests/cluster/apiserver.py's matching, against the rules that
Kubernetes documents for ValidatingWebhookConfiguration (rules, selectors,
matchPolicy), so that the cluster test's dispatcher is itself tested. Prints
"N passed, N failed"."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from apiserver import Dispatcher, Request, resource_matches, rule_matches, selector_matches  # noqa: E402

passed = failed = 0


def check(got, want, what):
    global passed, failed
    if got == want:
        passed += 1
        print(f"ok   {what}")
    else:
        failed += 1
        print(f"FAIL {what}\n     expected: {want!r}\n     actual:   {got!r}")


NOT_IN = {"matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "NotIn",
                                "values": ["kube-system", "hardpod-system"]}]}
for sel, labels, want, what in [
    (None, {}, True, "no selector matches everything"),
    ({}, {"a": "b"}, True, "an empty selector matches everything"),
    ({"matchLabels": {"a": "b"}}, {"a": "b", "c": "d"}, True, "matchLabels subset"),
    ({"matchLabels": {"a": "b"}}, {"a": "x"}, False, "matchLabels other value"),
    (NOT_IN, {"kubernetes.io/metadata.name": "kube-system"}, False, "NotIn a listed value"),
    (NOT_IN, {"kubernetes.io/metadata.name": "shop"}, True, "NotIn another value"),
    (NOT_IN, {}, True, "NotIn matches a missing key"),
    ({"matchExpressions": [{"key": "a", "operator": "In", "values": ["x"]}]}, {}, False, "In needs the key"),
    ({"matchExpressions": [{"key": "a", "operator": "Exists"}]}, {"a": ""}, True, "Exists"),
    ({"matchExpressions": [{"key": "a", "operator": "DoesNotExist"}]}, {"a": ""}, False, "DoesNotExist"),
]:
    check(selector_matches(sel, labels), want, f"selector: {what}")

for rules, res, sub, want in [
    (["pods"], "pods", "", True), (["pods"], "pods", "status", False),
    (["pods/ephemeralcontainers"], "pods", "ephemeralcontainers", True),
    (["pods/ephemeralcontainers"], "pods", "", False), (["pods/*"], "pods", "status", True),
    (["pods/*"], "pods", "", False), (["*"], "deployments", "", True), (["*"], "pods", "status", False),
    (["*/*"], "pods", "status", True), (["*/status"], "deployments", "status", True),
    (["*/status"], "deployments", "scale", False),
]:
    check(resource_matches(rules, res, sub), want, f"resources {rules} vs {res}/{sub or '-'}")

RULE = {"apiGroups": ["apps"], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"],
        "resources": ["deployments"], "scope": "Namespaced"}
for op, group, ver, namespaced, want, what in [
    ("CREATE", "apps", "v1", True, True, "the rule's own request"),
    ("DELETE", "apps", "v1", True, False, "another operation"),
    ("CREATE", "extensions", "v1beta1", True, False, "another group"),
    ("CREATE", "apps", "v1beta2", True, False, "another version (Exact)"),
    ("CREATE", "apps", "v1", False, False, "cluster scope against Namespaced"),
]:
    check(rule_matches(RULE, op, group, ver, "deployments", "", namespaced), want, f"rule: {what}")
check(rule_matches({**RULE, "operations": ["*"], "scope": "*"}, "DELETE", "apps", "v1", "deployments", "", False),
      True, "rule: * operations and scope")

VWC = {"webhooks": [
    {"name": "pods.example", "namespaceSelector": NOT_IN, "matchPolicy": "Equivalent",
     "rules": [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["pods"],
                "scope": "Namespaced"}]},
    {"name": "deploy.exact", "matchPolicy": "Exact", "rules": [RULE]},
    {"name": "deploy.equivalent", "rules": [RULE],
     "objectSelector": {"matchExpressions": [{"key": "skip", "operator": "DoesNotExist"}]}},
]}
d = Dispatcher(VWC, {"shop": {}}, lambda *a: [])


def names(req):
    return [(h["name"], m[0], m[1]) for h, m in d.matching(req)]


pod = {"metadata": {"name": "p"}}
check(names(Request("CREATE", pod, "shop", "", "v1", "pods", "Pod")), [("pods.example", "", "v1")],
      "dispatch: a Pod in shop")
check(names(Request("CREATE", pod, "kube-system", "", "v1", "pods", "Pod")), [],
      "dispatch: kube-system is excluded by its automatic kubernetes.io/metadata.name label")
dep = {"metadata": {"name": "d"}}
check(names(Request("CREATE", dep, "shop", "apps", "v1beta2", "deployments", "Deployment")),
      [("deploy.equivalent", "apps", "v1")], "dispatch: apps/v1beta2 goes to Equivalent only, as apps/v1")
check(names(Request("CREATE", dep, "shop", "extensions", "v1beta1", "deployments", "Deployment")),
      [("deploy.equivalent", "apps", "v1")], "dispatch: extensions/v1beta1 is equivalent to apps/v1")
skipped = {"metadata": {"name": "d", "labels": {"skip": "1"}}}
check(names(Request("UPDATE", skipped, "shop", "apps", "v1", "deployments", "Deployment", old=dep)),
      [("deploy.exact", "apps", "v1"), ("deploy.equivalent", "apps", "v1")],
      "dispatch: objectSelector matches when the old object matches")
check(names(Request("CREATE", skipped, "shop", "apps", "v1", "deployments", "Deployment")),
      [("deploy.exact", "apps", "v1")], "dispatch: objectSelector excludes a labelled object")

# hardpod's label webhooks: selectors that exclude one another pick one each.
LABEL_VWC = {"webhooks": [
    {"name": name, "namespaceSelector": {"matchExpressions": [dict(e, key="hardpod.dev/enforce")]},
     "rules": [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["pods"],
                "scope": "Namespaced"}]}
    for name, e in (("pods.example", {"operator": "DoesNotExist"}),
                    ("enforce-psa-baseline.pods.example", {"operator": "In", "values": ["psa-baseline"]}))]}
d = Dispatcher(LABEL_VWC, {"shop": {}, "legacy": {"hardpod.dev/enforce": "psa-baseline"}}, lambda *a: [])
check(names(Request("CREATE", pod, "legacy", "", "v1", "pods", "Pod")),
      [("enforce-psa-baseline.pods.example", "", "v1")], "dispatch: a labelled namespace picks its webhook")
check(names(Request("CREATE", pod, "shop", "", "v1", "pods", "Pod")), [("pods.example", "", "v1")],
      "dispatch: an unlabelled namespace picks the DoesNotExist webhook")
NS_VWC = {"webhooks": [{"name": "ns.example", "namespaceSelector": {"matchExpressions": [
    {"key": "team", "operator": "In", "values": ["a"]}]},
    "rules": [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["namespaces"],
               "scope": "*"}]}]}
d = Dispatcher(NS_VWC, {}, lambda *a: [])
check(names(Request("CREATE", {"metadata": {"name": "n1", "labels": {"team": "a"}}}, "", "", "v1", "namespaces",
                    "Namespace")), [("ns.example", "", "v1")],
      "dispatch: a Namespace is matched on its own labels")
check(names(Request("CREATE", {"metadata": {"name": "n2"}}, "", "", "v1", "namespaces", "Namespace")), [],
      "dispatch: a Namespace without the label does not match")

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed or not passed else 0)
