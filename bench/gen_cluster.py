#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes what `kubectl get pods,deploy,rs,sts,ds,jobs,cronjobs -A -o json`
prints for a cluster of N pods, to stdout:

    bench/gen_cluster.py [--pods N] [--seed S]

Objects look as the API server returns them: metadata with uid,
resourceVersion, creationTimestamp, labels, annotations and managedFields;
ownerReferences with controller: true from Pod to ReplicaSet to Deployment,
from Pod to StatefulSet, DaemonSet or Job, and from Job to CronJob; status.
Workloads are spread over several namespaces, with a mix of hardened and
non-hardened pod templates. The same seed gives the same bytes. The output
is written as it is generated (one pod at a time), so N is not bounded by
memory, and keys are sorted as kubectl sorts them.
"""
import argparse
import copy
import json
import random
import sys
import uuid
import zlib

NAMESPACES = ["default", "shop", "payments", "search", "monitoring", "ingress", "batch", "data"]
T0 = "2026-11-30T08:00:00Z"


def rid(rng):
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def hardened_sc():
    return {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
            "readOnlyRootFilesystem": True, "runAsGroup": 10001, "runAsNonRoot": True,
            "runAsUser": 10001, "seccompProfile": {"type": "RuntimeDefault"}}


def container(rng, name, hardened):
    c = {"image": "registry.example/%s:1.%d.%d" % (name, rng.randrange(9), rng.randrange(20)),
         "imagePullPolicy": "IfNotPresent", "name": name,
         "ports": [{"containerPort": 8080, "name": "http", "protocol": "TCP"}],
         "terminationMessagePath": "/dev/termination-log",
         "terminationMessagePolicy": "File",
         "env": [{"name": "LOG_LEVEL", "value": "info"},
                 {"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1",
                                                                 "fieldPath": "metadata.name"}}}],
         "volumeMounts": [{"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                           "name": "kube-api-access", "readOnly": True}]}
    if hardened:
        c["securityContext"] = hardened_sc()
        c["resources"] = {"limits": {"cpu": "500m", "memory": "256Mi"},
                          "requests": {"cpu": "100m", "memory": "128Mi"}}
    elif rng.random() < 0.5:
        c["resources"] = {"requests": {"cpu": "50m", "memory": "64Mi"}}
    return c


def pod_spec(rng, app, hardened, restart="Always"):
    spec = {"containers": [container(rng, app, hardened)],
            "dnsPolicy": "ClusterFirst", "enableServiceLinks": True,
            "restartPolicy": restart, "schedulerName": "default-scheduler",
            "securityContext": {}, "serviceAccountName": "default",
            "terminationGracePeriodSeconds": 30,
            "volumes": [{"name": "kube-api-access",
                         "projected": {"defaultMode": 420, "sources": [
                             {"serviceAccountToken": {"expirationSeconds": 3607,
                                                      "path": "token"}}]}}]}
    if hardened:
        spec["automountServiceAccountToken"] = False
    if rng.random() < 0.3:
        spec["containers"].append(container(rng, "sidecar", hardened))
    return spec


def managed_fields(manager, op):
    return [{"apiVersion": "v1", "fieldsType": "FieldsV1",
             "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:app": {}}},
                          "f:spec": {"f:containers": {'k:{"name":"app"}': {".": {}, "f:image": {},
                                                                           "f:name": {}}}}},
             "manager": manager, "operation": op, "time": T0}]


def meta(rng, name, ns, labels, owner=None, generate=None):
    m = {"creationTimestamp": T0, "labels": labels, "name": name, "namespace": ns,
         "resourceVersion": str(rng.randrange(10**6, 10**8)), "uid": rid(rng),
         "managedFields": managed_fields("kube-controller-manager", "Update")}
    if generate:
        m["generateName"] = generate
    if owner is not None:
        m["ownerReferences"] = [{"apiVersion": owner["apiVersion"], "blockOwnerDeletion": True,
                                 "controller": True, "kind": owner["kind"],
                                 "name": owner["metadata"]["name"],
                                 "uid": owner["metadata"]["uid"]}]
    return m


def template_of(owner):
    spec = owner["spec"]
    if owner["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["spec"]


def pod(rng, owner, ns, app, idx):
    """A pod of owner's template, as its controller creates it."""
    base = owner["metadata"]["name"]
    name = "%s-%05x" % (base, idx) if owner["kind"] != "StatefulSet" else "%s-%d" % (base, idx)
    labels = {"app": app, "pod-template-hash": "%08x" % zlib.crc32(base.encode())}
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": meta(rng, name, ns, labels, owner, base + "-"),
            "spec": dict(copy.deepcopy(template_of(owner)), nodeName="node-%03d" % rng.randrange(200)),
            "status": {"conditions": [{"lastProbeTime": None, "lastTransitionTime": T0,
                                       "status": "True", "type": t}
                                      for t in ("Initialized", "Ready", "ContainersReady",
                                                "PodScheduled")],
                       "containerStatuses": [{"containerID": "containerd://" + rid(rng).replace("-", ""),
                                              "image": "registry.example/%s:1.0" % app,
                                              "imageID": "sha256:" + "%064x" % rng.getrandbits(256),
                                              "lastState": {}, "name": app, "ready": True,
                                              "restartCount": 0, "started": True,
                                              "state": {"running": {"startedAt": T0}}}],
                       "hostIP": "10.0.%d.%d" % (rng.randrange(256), rng.randrange(256)),
                       "phase": "Running", "podIP": "10.244.%d.%d" % (rng.randrange(256), rng.randrange(256)),
                       "qosClass": "Burstable", "startTime": T0}}


def workload(rng, kind, api, name, ns, app, hardened, extra_spec=None, owner=None):
    template = pod_spec(rng, app, hardened) if owner is None else template_of(owner)
    spec = {"selector": {"matchLabels": {"app": app}},
            "template": {"metadata": {"labels": {"app": app}}, "spec": copy.deepcopy(template)}}
    if extra_spec:
        spec.update(extra_spec)
    return {"apiVersion": api, "kind": kind, "metadata": meta(rng, name, ns, {"app": app}, owner),
            "spec": spec, "status": {"observedGeneration": 1, "replicas": spec.get("replicas", 1)}}


def generate(n, rng):
    """Yields the objects of a cluster of n pods: each workload, then its pods."""
    made = 0
    w = 0
    while made < n:
        ns = NAMESPACES[w % len(NAMESPACES)]
        app = "app-%d" % w
        hardened = rng.random() < 0.4
        shape = rng.random()
        left = n - made
        if shape < 0.6:
            replicas = min(left, rng.choice([1, 2, 3, 5, 10, 20, 50]))
            d = workload(rng, "Deployment", "apps/v1", app, ns, app, hardened,
                         {"replicas": replicas, "strategy": {"type": "RollingUpdate"}})
            rs = workload(rng, "ReplicaSet", "apps/v1", "%s-%08x" % (app, rng.getrandbits(32)), ns,
                          app, hardened, {"replicas": replicas}, owner=d)
            yield d
            yield rs
            for i in range(replicas):
                yield pod(rng, rs, ns, app, rng.getrandbits(20) + i)
        elif shape < 0.75:
            replicas = min(left, rng.choice([1, 3, 5]))
            s = workload(rng, "StatefulSet", "apps/v1", app, ns, app, hardened,
                         {"replicas": replicas, "serviceName": app})
            yield s
            for i in range(replicas):
                yield pod(rng, s, ns, app, i)
        elif shape < 0.85:
            replicas = min(left, rng.choice([3, 10, 30]))
            ds = workload(rng, "DaemonSet", "apps/v1", app, ns, app, hardened)
            yield ds
            for i in range(replicas):
                yield pod(rng, ds, ns, app, rng.getrandbits(20) + i)
        else:
            replicas = min(left, 1)
            cj = {"apiVersion": "batch/v1", "kind": "CronJob",
                  "metadata": meta(rng, app, ns, {"app": app}),
                  "spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": {
                      "metadata": {"labels": {"app": app}},
                      "spec": pod_spec(rng, app, hardened, "OnFailure")}}}},
                  "status": {"lastScheduleTime": T0}}
            job = {"apiVersion": "batch/v1", "kind": "Job",
                   "metadata": meta(rng, "%s-%d" % (app, 29000000 + w), ns, {"app": app}, cj),
                   "spec": {"backoffLimit": 6, "completions": 1, "parallelism": 1,
                            "template": {"metadata": {"labels": {"app": app}},
                                         "spec": copy.deepcopy(template_of(cj))}},
                   "status": {"active": 1, "startTime": T0}}
            yield cj
            yield job
            yield pod(rng, job, ns, app, rng.getrandbits(20))
        made += replicas
        w += 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pods", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    out = sys.stdout
    out.write('{\n    "apiVersion": "v1",\n    "items": [\n')
    first = True
    for obj in generate(a.pods, rng):
        if not first:
            out.write(",\n")
        first = False
        text = json.dumps(obj, indent=4, sort_keys=True)
        out.write("        " + text.replace("\n", "\n        "))
    out.write('\n    ],\n    "kind": "List",\n    "metadata": {\n        "resourceVersion": ""\n    }\n}\n')


if __name__ == "__main__":
    main()
