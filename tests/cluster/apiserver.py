# SPDX-License-Identifier: Apache-2.0
"""kube-apiserver's validating webhook dispatcher, emulated for tests.

Written from Kubernetes' documentation of dynamic admission control
("Dynamic Admission Control", the ValidatingWebhookConfiguration API
reference) and the AdmissionReview v1 API. Given the rendered
ValidatingWebhookConfiguration, the namespaces with their labels, and a way to
resolve a Service to endpoints, it decides which webhooks a request goes to and
calls them the way the API server does:

- matching: every rule's operations, apiGroups, apiVersions, resources (with
  `*`, `*/*`, `pods/*`, `*/status` and `resource/subresource`) and scope;
  namespaceSelector against the namespace's labels, which always include
  kubernetes.io/metadata.name (for a Namespace itself, its own labels; for
  other cluster-scoped objects the selector always matches); objectSelector against the object's and the old
  object's labels (either may match); matchPolicy Equivalent sends a request for
  an equivalent group/version of the same resource, converted to the version
  the rule names (requestKind/requestResource keep the original);
- the call: POST https://SERVICE.NAMESPACE.svc:PORT/PATH?timeout=Ns with
  Content-Type application/json and Accept application/json, the Service's DNS
  name as TLS server name, the caBundle as the only trusted root, an
  AdmissionReview in the first admissionReviewVersions entry the API server
  speaks (v1, then v1beta1), a fresh uid, and timeoutSeconds (default 10) as
  the deadline of the whole call;
- connections: kept alive and reused like Go's http.Transport; an idle
  connection that the server has closed is dropped before it is reused (Go's
  read loop notices the close), and a request that could not be sent at all
  (connection refused, or an endpoint that is gone) goes to another endpoint,
  as a Service's ClusterIP routes a new connection;
- the result: the response must be an AdmissionReview of the request's
  apiVersion with the request's uid, or the call is an error; a denial becomes
  `admission webhook "NAME" denied the request: MESSAGE`; warnings are returned
  as kubectl prints them (`Warning: ...`); an error or timeout is turned into a
  rejection (failurePolicy Fail, the default) or ignored (Ignore).

Python's http.client speaks HTTP/1.1 as Go's client does to a server that
offers no h2 (hardpod does not).
"""

import base64
import http.client
import json
import select
import socket
import ssl
import tempfile
import threading
import time
import uuid

# Groups/versions that serve the same resource (matchPolicy: Equivalent).
EQUIVALENT = {
    ("apps", "deployments"): ["v1", "v1beta2", "v1beta1"],
    ("extensions", "deployments"): ["v1beta1"],
    ("apps", "daemonsets"): ["v1", "v1beta2"],
    ("extensions", "daemonsets"): ["v1beta1"],
    ("apps", "replicasets"): ["v1", "v1beta2"],
    ("extensions", "replicasets"): ["v1beta1"],
    ("apps", "statefulsets"): ["v1", "v1beta2", "v1beta1"],
    ("batch", "cronjobs"): ["v1", "v1beta1"],
}
EQUIVALENT_GROUPS = {"deployments": ["apps", "extensions"], "daemonsets": ["apps", "extensions"],
                     "replicasets": ["apps", "extensions"]}


def selector_matches(selector, labels):
    """A metav1.LabelSelector against a label map. A missing selector and
    an empty one match everything."""
    if not selector:
        return True
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in selector.get("matchExpressions") or []:
        key, op, values = e["key"], e["operator"], e.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
        if op not in ("In", "NotIn", "Exists", "DoesNotExist"):
            raise ValueError(f"selector operator {op}")
    return True


def _in(value, allowed):
    return "*" in allowed or value in allowed


def resource_matches(rule_resources, resource, subresource):
    for r in rule_resources:
        if r in ("*/*",):
            return True
        if "/" in r:
            res, sub = r.split("/", 1)
            if subresource and (res == "*" or res == resource) and (sub == "*" or sub == subresource):
                return True
        elif not subresource and (r == "*" or r == resource):
            return True
    return False


def rule_matches(rule, op, group, version, resource, subresource, namespaced):
    if not _in(op, rule.get("operations", [])):
        return False
    if not _in(group, rule.get("apiGroups", [])) or not _in(version, rule.get("apiVersions", [])):
        return False
    if not resource_matches(rule.get("resources", []), resource, subresource):
        return False
    scope = rule.get("scope", "*")
    return scope == "*" or (scope == "Namespaced") == namespaced


class Request:
    """One API request as the API server sees it after authentication."""

    def __init__(self, operation, obj, namespace, group, version, resource, kind,
                 subresource="", old=None, user="alice", groups=("system:authenticated",), dry_run=False):
        self.operation, self.object, self.old, self.namespace = operation, obj, old, namespace
        self.group, self.version, self.resource, self.kind = group, version, resource, kind
        self.subresource, self.dry_run = subresource, dry_run
        self.user, self.groups = user, list(groups)
        self.name = (obj or old or {}).get("metadata", {}).get("name", "")


class Result:
    def __init__(self):
        self.allowed = True
        self.message = ""
        self.warnings = []
        self.called = []        # webhook names that got an answer
        self.errors = []        # (webhook, error text) for calls that failed
        self.attempts = 0       # connection attempts, retries included

    def kubectl(self):
        """What kubectl would print (stderr lines for warnings, then the error)."""
        lines = [f"Warning: {w}" for w in self.warnings]
        if not self.allowed:
            lines.append(f"Error from server: {self.message}")
        return "\n".join(lines)


class Dispatcher:
    """resolve(service_namespace, service_name, port) -> list of
    (host, port) endpoints that are ready, in the order the Service would
    try them."""

    def __init__(self, vwc, namespaces, resolve, versions=("v1", "v1beta1")):
        self.vwc, self.namespaces, self.resolve, self.versions = vwc, namespaces, resolve, versions
        self._pool = {}  # webhook name -> [HTTPSConnection]
        self._lock = threading.Lock()
        self._ctx = {}

    def namespace_labels(self, name):
        labels = dict(self.namespaces.get(name, {}))
        labels["kubernetes.io/metadata.name"] = name
        return labels

    def _match(self, hook, req):
        """(group, version, resource, kind) to send, or None."""
        namespaced = bool(req.namespace)
        if namespaced and not selector_matches(hook.get("namespaceSelector"),
                                               self.namespace_labels(req.namespace)):
            return None
        if req.group == "" and req.resource == "namespaces" and not req.subresource:
            # A Namespace is matched on its own labels (the new object's, or
            # the old one's on DELETE), with the name label the API server sets.
            obj = req.object or req.old or {}
            labels = dict((obj.get("metadata") or {}).get("labels") or {})
            labels["kubernetes.io/metadata.name"] = req.name
            if not selector_matches(hook.get("namespaceSelector"), labels):
                return None
        labels = [((o or {}).get("metadata") or {}).get("labels") or {} for o in (req.object, req.old) if o]
        if not any(selector_matches(hook.get("objectSelector"), lb) for lb in labels or [{}]):
            return None
        rules = hook.get("rules", [])
        for rule in rules:
            if rule_matches(rule, req.operation, req.group, req.version, req.resource, req.subresource,
                            namespaced):
                return req.group, req.version, req.resource, req.kind
        if hook.get("matchPolicy", "Equivalent") != "Equivalent":
            return None
        for group in EQUIVALENT_GROUPS.get(req.resource, [req.group]):
            for version in EQUIVALENT.get((group, req.resource), []):
                if (group, version) == (req.group, req.version):
                    continue
                for rule in rules:
                    if rule_matches(rule, req.operation, group, version, req.resource, req.subresource,
                                    namespaced):
                        return group, version, req.resource, req.kind
        return None

    def matching(self, req):
        return [(h, m) for h in self.vwc["webhooks"] for m in [self._match(h, req)] if m]

    def review(self, hook, req, match):
        version = next((v for v in hook["admissionReviewVersions"] if v in self.versions), None)
        if version is None:
            raise RuntimeError(f"webhook {hook['name']}: no admissionReviewVersions the API server speaks")
        group, ver, resource, kind = match
        api = f"{group}/{ver}" if group else ver

        def convert(o):
            if o is None:
                return None
            o = json.loads(json.dumps(o))
            o["apiVersion"] = api
            return o
        request = {
            "uid": str(uuid.uuid4()),
            "kind": {"group": group, "version": ver, "kind": kind},
            "resource": {"group": group, "version": ver, "resource": resource},
            "requestKind": {"group": req.group, "version": req.version, "kind": req.kind},
            "requestResource": {"group": req.group, "version": req.version, "resource": req.resource},
            "name": req.name,
            "namespace": req.namespace,
            "operation": req.operation,
            "userInfo": {"username": req.user, "groups": req.groups},
            "object": convert(req.object),
            "oldObject": convert(req.old),
            "dryRun": req.dry_run,
            "options": {"apiVersion": "meta.k8s.io/v1",
                        "kind": {"CREATE": "CreateOptions", "UPDATE": "UpdateOptions",
                                 "DELETE": "DeleteOptions"}.get(req.operation, "CreateOptions")},
        }
        if req.subresource:
            request["subResource"] = request["requestSubResource"] = req.subresource
        return {"apiVersion": f"admission.k8s.io/{version}", "kind": "AdmissionReview", "request": request}

    def _context(self, hook):
        bundle = hook["clientConfig"].get("caBundle", "")
        ctx = self._ctx.get(bundle)
        if ctx is None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.minimum_version = ssl.TLSVersion.TLSv1_2
            if not bundle:
                raise RuntimeError("clientConfig.caBundle is empty (the API server would use its own "
                                   "trust store; this emulation trusts nothing)")
            with tempfile.NamedTemporaryFile("wb") as f:
                f.write(base64.b64decode(bundle))
                f.flush()
                ctx.load_verify_locations(f.name)
            self._ctx[bundle] = ctx
        return ctx

    @staticmethod
    def _closed(conn):
        """Whether the server has closed a kept-alive connection (readable with EOF)."""
        s = conn.sock
        if s is None:
            return True
        try:
            r, _, _ = select.select([s], [], [], 0)
            if not r:
                return False
            return s.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ssl.SSLError, ValueError):
            return True

    def _take(self, name):
        with self._lock:
            pool = self._pool.setdefault(name, [])
            while pool:
                c = pool.pop()
                if not self._closed(c):
                    return c
                c.close()
        return None

    def _give(self, name, conn):
        with self._lock:
            self._pool.setdefault(name, []).append(conn)

    def close(self):
        with self._lock:
            for pool in self._pool.values():
                for c in pool:
                    c.close()
            self._pool.clear()

    def call(self, hook, body, result):
        """POST the review; returns the parsed response body or raises."""
        svc = hook["clientConfig"]["service"]
        host = f"{svc['name']}.{svc['namespace']}.svc"
        port = svc.get("port", 443)
        timeout = hook.get("timeoutSeconds", 10)
        path = f"{svc.get('path', '/')}?timeout={timeout}s"
        deadline = time.monotonic() + timeout
        data = json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json, */*",
                   "User-Agent": "kube-apiserver-admission", "Host": f"{host}:{port}"}
        conn = self._take(hook["name"])
        tried = set()
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("context deadline exceeded")
            if conn is None:
                endpoints = [e for e in self.resolve(svc["namespace"], svc["name"], port) if e not in tried]
                if not endpoints:
                    if tried:
                        raise ConnectionRefusedError(f"dial tcp {host}:{port}: connect: connection refused")
                    raise ConnectionError(f'service "{svc["name"]}" not found or has no endpoints '
                                          f'available')
                ep = endpoints[0]
                tried.add(ep)
                result.attempts += 1
                raw = http.client.HTTPSConnection(ep[0], ep[1], timeout=left, context=self._context(hook))
                try:
                    sock = socket.create_connection(ep, timeout=left)
                except ConnectionRefusedError:
                    continue  # not sent at all: the next endpoint, as a new ClusterIP connection would
                raw.sock = self._context(hook).wrap_socket(sock, server_hostname=host)
                conn = raw
            conn.timeout = left
            conn.sock.settimeout(left)
            try:
                conn.request("POST", path, body=data, headers=headers)
                r = conn.getresponse()
                text = r.read()
            except socket.timeout:
                conn.close()
                raise TimeoutError("context deadline exceeded (Client.Timeout exceeded while awaiting "
                                   "headers)")
            except (OSError, http.client.HTTPException):
                conn.close()
                raise
            if r.getheader("Connection", "").lower() == "close" or r.will_close:
                conn.close()
            else:
                self._give(hook["name"], conn)
            if r.status != 200:
                raise RuntimeError(f"expected response code 200, got {r.status}: {text[:300]!r}")
            return json.loads(text)

    def admit(self, req):
        result = Result()
        for hook, match in self.matching(req):
            body = self.review(hook, req, match)
            err = None
            try:
                resp = self.call(hook, body, result)
                if resp.get("apiVersion") != body["apiVersion"] or resp.get("kind") != "AdmissionReview":
                    raise RuntimeError(f"expected webhook response of admission.k8s.io/... AdmissionReview, "
                                       f"got {resp.get('apiVersion')}, Kind={resp.get('kind')}")
                response = resp.get("response") or {}
                if response.get("uid") != body["request"]["uid"]:
                    raise RuntimeError(f"expected response.uid=\"{body['request']['uid']}\", "
                                       f"got \"{response.get('uid')}\"")
            except Exception as e:  # noqa: BLE001 - every failure is a webhook call error
                err = f"{type(e).__name__}: {e}"
            if err:
                result.errors.append((hook["name"], err))
                if hook.get("failurePolicy", "Fail") == "Fail":
                    svc = hook["clientConfig"]["service"]
                    result.allowed = False
                    result.message = (f'Internal error occurred: failed calling webhook "{hook["name"]}": '
                                      f'failed to call webhook: Post "https://{svc["name"]}.'
                                      f'{svc["namespace"]}.svc:{svc.get("port", 443)}'
                                      f'{svc.get("path", "/")}?timeout={hook.get("timeoutSeconds", 10)}s": '
                                      f'{err}')
                    return result
                continue
            result.called.append(hook["name"])
            result.warnings += response.get("warnings") or []
            if not response.get("allowed"):
                msg = (response.get("status") or {}).get("message") or "without explanation"
                result.allowed = False
                result.message = f'admission webhook "{hook["name"]}" denied the request: {msg}'
                return result
        return result
