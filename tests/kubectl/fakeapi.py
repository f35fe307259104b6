# SPDX-License-Identifier: Apache-2.0
"""A discovery-only Kubernetes API server on 127.0.0.1 for the kubectl
differential test: it serves the discovery documents kubectl needs to map the
kinds hardpod evaluates, answers every GET of an object with 404, and records
the body of every POST (create) in order, answering 201 with it. It creates
nothing and keeps no state besides the record.

Every resource is served as namespaced: kubectl then posts the object as it
decoded it, except that it writes its context's namespace into an object that
names none (a cluster-scoped mapping would instead delete the namespace an
object names, which matters more to a verdict).

Usage: fakeapi.py DIR N [EXTRA_GVK...]
  DIR       N servers listen on free ports, written to DIR/ports once they
            all listen; server i appends every request to DIR/record.i as one
            JSON line {"method", "path", "body"} (body: the posted JSON or null)
  EXTRA_GVK "group/version/Kind" (or "v1/Kind") to serve besides the built-ins
"""

import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# (group/version, Kind, plural) of the kinds hardpod evaluates and a few that
# manifests carry beside them.
BUILTIN = [
    ("v1", "Pod", "pods"),
    ("v1", "PodTemplate", "podtemplates"),
    ("v1", "ReplicationController", "replicationcontrollers"),
    ("v1", "ConfigMap", "configmaps"),
    ("v1", "Secret", "secrets"),
    ("v1", "Service", "services"),
    ("v1", "ServiceAccount", "serviceaccounts"),
    ("v1", "Namespace", "namespaces"),
    ("apps/v1", "Deployment", "deployments"),
    ("apps/v1", "ReplicaSet", "replicasets"),
    ("apps/v1", "StatefulSet", "statefulsets"),
    ("apps/v1", "DaemonSet", "daemonsets"),
    ("batch/v1", "Job", "jobs"),
    ("batch/v1", "CronJob", "cronjobs"),
    # hardpod audit unwraps AdmissionReviews; serving the kind lets kubectl
    # post the review, whose request.object is then compared.
    ("admission.k8s.io/v1", "AdmissionReview", "admissionreviews"),
    ("admission.k8s.io/v1beta1", "AdmissionReview", "admissionreviews"),
]


def plural_of(kind):
    k = kind.lower()
    if k.endswith("s") or k.endswith("x"):
        return k + "es"
    if k.endswith("y") and k[-2:-1] not in "aeiou":
        return k[:-1] + "ies"
    return k + "s"


class Discovery:
    def __init__(self, extra):
        self.resources = {}  # group/version -> [(kind, plural)]
        seen = set()
        for gv, kind, plural in BUILTIN + [(e.rsplit("/", 1)[0], e.rsplit("/", 1)[1], None)
                                           for e in extra]:
            if (gv, kind) in seen:
                continue
            seen.add((gv, kind))
            self.resources.setdefault(gv, []).append((kind, plural or plural_of(kind)))

    def groups(self):
        by_group = {}
        for gv in self.resources:
            if "/" in gv:
                group, version = gv.split("/", 1)
                by_group.setdefault(group, []).append(version)
        return by_group

    def answer(self, path):
        if path == "/api":
            return {"kind": "APIVersions", "versions": ["v1"],
                    "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0",
                                                    "serverAddress": "127.0.0.1"}]}
        if path == "/apis":
            groups = []
            for group, versions in sorted(self.groups().items()):
                vs = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
                groups.append({"name": group, "versions": vs, "preferredVersion": vs[0]})
            return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}
        if path == "/version":
            return {"major": "1", "minor": "32", "gitVersion": "v1.32.0"}
        gv = None
        if path == "/api/v1":
            gv = "v1"
        elif path.startswith("/apis/") and path.count("/") == 3:
            gv = path[len("/apis/"):]
        if gv in self.resources:
            res = [{"name": plural, "singularName": kind.lower(), "namespaced": True,
                    "kind": kind, "verbs": ["create", "get", "list", "delete", "patch",
                                            "update"]}
                   for kind, plural in self.resources[gv]]
            return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
                    "resources": res}
        return None


def serve(disco, record):
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def note(self, body):
            with lock, open(record, "a", encoding="utf-8") as out:
                out.write(json.dumps({"method": self.command, "path": self.path,
                                      "body": body}) + "\n")

        def send(self, code, doc):
            data = json.dumps(doc).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def not_found(self):
            self.send(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                            "reason": "NotFound", "code": 404,
                            "message": f"{self.path} not found"})

        def do_GET(self):
            doc = disco.answer(self.path.split("?", 1)[0])
            self.note(None)
            if doc is None:
                self.not_found()
            else:
                self.send(200, doc)

        def do_POST(self):
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body = json.loads(raw)
            except ValueError:
                body = {"undecodable": raw.decode("utf-8", "replace")}
            self.note(body)
            self.send(201, body)

        def do_PUT(self):
            self.do_POST()

        def do_PATCH(self):
            self.do_POST()

        def do_DELETE(self):
            self.note(None)
            self.not_found()

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv.server_address[1]


def main():
    d, n = sys.argv[1], int(sys.argv[2])
    disco = Discovery(sys.argv[3:])
    ports = [serve(disco, os.path.join(d, f"record.{i}")) for i in range(n)]
    tmp = os.path.join(d, "ports.tmp")
    with open(tmp, "w") as f:
        f.write(" ".join(str(p) for p in ports))
    os.rename(tmp, os.path.join(d, "ports"))
    threading.Event().wait()


if __name__ == "__main__":
    main()
