#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the benchmark's AdmissionReview request bodies, as the kube-apiserver
sends them, into a directory:

  pod-4k-{ok,bad}.json      a Pod CREATE of about 4 KB
  deploy-8k-{ok,bad}.json   a Deployment CREATE as `kubectl apply` sends it:
                            the last-applied-configuration annotation and
                            managedFields, about 8 KB
  pod20-40k-{ok,bad}.json   a Pod with 20 containers, about 40 KB
  update-40k-{ok,bad}.json  a Pod UPDATE (a new image) with its oldObject,
                            about 40 KB

The "ok" body passes the hardened profile; the "bad" one violates it in one
container (privileged, no runAsNonRoot, writable root filesystem), so that the
deny path, whose response is larger, is measured too. The output is
deterministic: the same bytes on every run.

Usage: gen_bodies.py OUTDIR
"""
import copy
import json
import os
import sys

UID = "5c6d8b8e-3a57-4f0e-9f5c-0d6b1f6b2a11"


def compact(o):
    return json.dumps(o, separators=(",", ":"))


def container(i, hardened=True, image="registry.example.com/shop/api:1.24.3", slim=True):
    c = {
        "name": "app" if i == 0 else "sidecar-%d" % i,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
        "env": [
            {"name": "ASPNETCORE_HTTP_PORTS", "value": "8080"},
            {"name": "DOTNET_EnableDiagnostics", "value": "0"},
            {"name": "LOG_LEVEL", "value": "info"},
            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1",
                                                            "fieldPath": "metadata.name"}}},
        ],
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                      "limits": {"cpu": "500m", "memory": "256Mi"}},
        "readinessProbe": {"httpGet": {"path": "/healthz/ready", "port": 8080, "scheme": "HTTP"},
                           "periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1,
                           "failureThreshold": 3},
        "livenessProbe": {"httpGet": {"path": "/healthz/live", "port": 8080, "scheme": "HTTP"},
                          "periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1,
                          "failureThreshold": 3},
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"},
                         {"name": "kube-api-access", "mountPath":
                          "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": True}],
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "securityContext": {
            "runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001,
            "allowPrivilegeEscalation": False, "privileged": False,
            "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
    }
    if not hardened:
        c["securityContext"] = {"privileged": True, "readOnlyRootFilesystem": False}
    if slim:
        # fewer fields, so that bodies with their managedFields hit the sizes
        for k in ("livenessProbe", "readinessProbe", "terminationMessagePath",
                  "terminationMessagePolicy"):
            del c[k]
        c["env"] = c["env"][:2]
        c["volumeMounts"] = c["volumeMounts"][:1]
    return c


def pod_spec(n, bad, image="registry.example.com/shop/api:1.24.3"):
    return {
        "containers": [container(i, not (bad and i == n - 1), image) for i in range(n)],
        "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
                    {"name": "kube-api-access", "projected": {"defaultMode": 420, "sources": [
                        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                        {"configMap": {"name": "kube-root-ca.crt",
                                       "items": [{"key": "ca.crt", "path": "ca.crt"}]}}]}}],
        "restartPolicy": "Always",
        "terminationGracePeriodSeconds": 30,
        "dnsPolicy": "ClusterFirst",
        "serviceAccountName": "shop-api",
        "automountServiceAccountToken": False,
        "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001,
                            "fsGroup": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
        "schedulerName": "default-scheduler",
        "enableServiceLinks": False,
        "priority": 0,
        "preemptionPolicy": "PreemptLowerPriority",
    }


def fields_v1(value):
    """The managedFields fieldsV1 set of value, as the apiserver writes it:
    "f:" for each field, "k:{...}" for list items keyed by name, "v:" for
    scalar list items."""
    if isinstance(value, dict):
        out = {".": {}} if value else {}
        for k, v in value.items():
            out["f:" + k] = fields_v1(v)
        return out
    if isinstance(value, list):
        out = {}
        for item in value:
            if isinstance(item, dict) and "name" in item:
                out['k:{"name":"%s"}' % item["name"]] = fields_v1(item)
            elif isinstance(item, dict):
                out["i:%d" % len(out)] = fields_v1(item)
            else:
                out["v:" + json.dumps(item)] = {}
        return out
    return {}


def managed_fields(manager, operation, spec=None):
    fields = {"f:metadata": {"f:labels": {".": {}, "f:app": {}, "f:team": {}}}}
    if spec is not None:
        fields["f:spec"] = fields_v1(spec)
    return [{"manager": manager, "operation": operation, "apiVersion": "v1",
             "time": "2026-11-01T10:00:00Z", "fieldsType": "FieldsV1", "fieldsV1": fields}]


def metadata(name, annotations=None, spec=None, manager="kube-controller-manager"):
    m = {"name": name, "namespace": "shop", "uid": "0b2f8f5e-2d7c-4d7e-8a36-6f3f0f6c9e21",
         "creationTimestamp": None,
         "labels": {"app": "shop-api", "team": "payments", "tier": "backend",
                    "app.kubernetes.io/version": "1.24.3"},
         "managedFields": managed_fields(manager, "Update", spec)}
    if annotations is not None:
        m["annotations"] = annotations
    return m


def review(kind, group, version, resource, name, obj, operation="CREATE", old=None):
    req = {
        "uid": UID,
        "kind": {"group": group, "version": version, "kind": kind},
        "resource": {"group": group, "version": version, "resource": resource},
        "requestKind": {"group": group, "version": version, "kind": kind},
        "requestResource": {"group": group, "version": version, "resource": resource},
        "name": name, "namespace": "shop", "operation": operation,
        "userInfo": {"username": "system:serviceaccount:ci:deployer",
                     "uid": "6a1f0a5c-8d2e-4f1b-9c3d-7e8f9a0b1c2d",
                     "groups": ["system:serviceaccounts", "system:serviceaccounts:ci",
                                "system:authenticated"]},
        "object": obj, "oldObject": old, "dryRun": False,
        "options": {"kind": "CreateOptions" if operation == "CREATE" else "UpdateOptions",
                    "apiVersion": "meta.k8s.io/v1", "fieldManager": "kubectl-client-side-apply"},
    }
    return {"kind": "AdmissionReview", "apiVersion": "admission.k8s.io/v1", "request": req}


def pad_to(doc, target, holder):
    """Grows a padding annotation in holder until doc serialises to target bytes."""
    holder["example.com/notes"] = ""
    size = len(compact(doc))
    holder["example.com/notes"] = "x" * max(0, target - size)


def pod(n, bad, target, image="registry.example.com/shop/api:1.24.3"):
    spec = pod_spec(n, bad, image)
    obj = {"kind": "Pod", "apiVersion": "v1",
           "metadata": metadata("shop-api-7d9f8c6b5-x2x9q", {}, spec),
           "spec": spec, "status": {"phase": "Pending", "qosClass": "Burstable"}}
    doc = review("Pod", "", "v1", "pods", "shop-api-7d9f8c6b5-x2x9q", obj)
    pad_to(doc, target, obj["metadata"]["annotations"])
    return doc


def deployment(bad, target):
    applied = {"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "shop-api", "namespace": "shop",
                            "labels": {"app": "shop-api", "team": "payments"}},
               "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "shop-api"}},
                        "template": {"metadata": {"labels": {"app": "shop-api"}},
                                     "spec": pod_spec(1, bad)}}}
    obj = copy.deepcopy(applied)
    obj["metadata"] = metadata("shop-api", {
        "kubectl.kubernetes.io/last-applied-configuration": compact(applied) + "\n"},
        applied["spec"], "kubectl-client-side-apply")
    obj["spec"]["strategy"] = {"type": "RollingUpdate",
                               "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}
    obj["spec"]["revisionHistoryLimit"] = 10
    obj["spec"]["progressDeadlineSeconds"] = 600
    obj["status"] = {}
    doc = review("Deployment", "apps", "v1", "deployments", "shop-api", obj)
    pad_to(doc, target, obj["metadata"]["annotations"])
    return doc


def update(bad, target):
    old = pod(8, bad, 0)["request"]["object"]
    new = pod(8, bad, 0, image="registry.example.com/shop/api:1.24.4")["request"]["object"]
    new["metadata"]["managedFields"] += managed_fields("kubectl-set", "Update", new["spec"])
    doc = review("Pod", "", "v1", "pods", "shop-api-7d9f8c6b5-x2x9q", new, "UPDATE", old)
    # split the padding between both objects, as both carry the same annotations
    pad_to(doc, target - (target - len(compact(doc))) // 2, old["metadata"]["annotations"])
    pad_to(doc, target, new["metadata"]["annotations"])
    return doc


BODIES = {
    "pod-4k": lambda bad: pod(1, bad, 4096),
    "deploy-8k": lambda bad: deployment(bad, 8192),
    "pod20-40k": lambda bad: pod(20, bad, 40960),
    "update-40k": lambda bad: update(bad, 40960),
}


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: gen_bodies.py OUTDIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, make in BODIES.items():
        for variant in ("ok", "bad"):
            text = compact(make(variant == "bad"))
            with open(os.path.join(out, "%s-%s.json" % (name, variant)), "w") as f:
                f.write(text)
            print("%s-%s.json %d bytes" % (name, variant, len(text)))


if __name__ == "__main__":
    main()
