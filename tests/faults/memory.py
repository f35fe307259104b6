# SPDX-License-Identifier: Apache-2.0
"""Hostile and huge admission traffic for tests/faults/test_memory.sh.

  memory.py body KIND            writes a request body to stdout
  memory.py post PORT CA FILE [N [TIMEOUT]]
                                 POSTs FILE N times at once, with ?timeout=TIMEOUT
                                 (default 10s); prints one JSON line per
                                 answer: {"status": S, "body": ...}
  memory.py slow PORT CA N DECLARED SENT SECONDS
                                 N connections each declare DECLARED bytes,
                                 send SENT of them, then one byte a second;
                                 prints {"closed": C, "answered": A, "open": O,
                                 "seconds": [when each was closed]}

Bodies: env-create (a legal Pod with 78,000 env entries, one of them
ASPNETCORE_HTTP_PORTS=80 at index 39,000), env-update (the same as an UPDATE
with oldObject), update (a 7,500-entry Pod as an UPDATE, ~500 KB),
empty-objects (1 MB of [{},{},...]), empty-containers (a Pod whose containers
list is 330,000 empty objects), big-annotations (a Pod with 1 MB of
annotations nothing reads).
"""

import json
import socket
import ssl
import sys
import threading
import time
import uuid


def pod(n_env, name="big"):
    env = [{"name": f"V{i}", "value": "1"} for i in range(n_env)]
    if n_env:
        env.insert(n_env // 2, {"name": "ASPNETCORE_HTTP_PORTS", "value": "80"})
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "shop"},
            "spec": {"securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001,
                                         "seccompProfile": {"type": "RuntimeDefault"}},
                     "containers": [{"name": "app", "image": "registry.example/app:1", "env": env,
                                     "securityContext": {"allowPrivilegeEscalation": False,
                                                         "privileged": False, "readOnlyRootFilesystem": True,
                                                         "capabilities": {"drop": ["ALL"]}},
                                     "resources": {"requests": {"cpu": "1", "memory": "1Gi"},
                                                   "limits": {"cpu": "1", "memory": "1Gi"}}}]}}


def review(obj, op="CREATE", old=None):
    r = {"uid": str(uuid.uuid4()), "kind": {"group": "", "version": "v1", "kind": "Pod"},
         "resource": {"group": "", "version": "v1", "resource": "pods"}, "namespace": "shop",
         "name": obj["metadata"]["name"], "operation": op, "userInfo": {"username": "alice"}, "object": obj}
    if old is not None:
        r["oldObject"] = old
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": r}


def body(kind):
    if kind == "env-create":
        return json.dumps(review(pod(78000)))
    if kind in ("env-update", "update"):
        n = 78000 if kind == "env-update" else 7500
        new, old = pod(n), pod(n)
        old["spec"]["containers"][0]["image"] = "registry.example/app:0"
        return json.dumps(review(new, "UPDATE", old))
    if kind == "empty-objects":
        return "[" + ",".join(["{}"] * 333000) + "]"
    if kind == "empty-containers":
        p = pod(0)
        p["spec"]["containers"] = [{}] * 330000
        return json.dumps(review(p))
    if kind == "big-annotations":
        p = pod(0)
        p["metadata"]["annotations"] = {f"example.com/a{i}": "v" for i in range(50000)}
        return json.dumps(review(p))
    raise SystemExit(f"unknown body {kind}")


# The name the server's certificate is checked against (tests/cluster sets
# the Service's DNS name).
SERVER_NAME = "localhost"


def connect(port, ca):
    ctx = ssl.create_default_context(cafile=ca)
    return ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=60),
                           server_hostname=SERVER_NAME)


def read_answer(s):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            return None, data
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
    while len(rest) < length:
        chunk = s.recv(65536)
        if not chunk:
            break
        rest += chunk
    return int(head.split(b" ")[1]), rest


def post(port, ca, path, n, timeout="10s"):
    payload = open(path, "rb").read()
    out = [None] * n

    def one(i):
        try:
            s = connect(port, ca)
            s.sendall(b"POST /validate?timeout=%s HTTP/1.1\r\nHost: localhost\r\n"
                      b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                      % (timeout.encode(), len(payload)) + payload)
            status, rest = read_answer(s)
            s.close()
            try:
                parsed = json.loads(rest)
            except ValueError:
                parsed = rest.decode(errors="replace")[:300]
            out[i] = {"status": status, "body": parsed}
        except OSError as e:
            out[i] = {"status": None, "body": repr(e)}
    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def slow(port, ca, n, declared, sent, seconds):
    """Each connection: headers, then SENT body bytes as fast as the server
    reads them, then one byte a second, until the server closes it or
    answers, or SECONDS pass."""
    start = time.monotonic()
    results = [None] * n

    def one(i):
        try:
            s = connect(port, ca)
            s.settimeout(seconds)
            s.sendall(b"POST /validate HTTP/1.1\r\nHost: localhost\r\n"
                      b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % declared)
            chunk = b" " * 65536
            left = sent
            while left > 0 and time.monotonic() - start < seconds:
                k = min(left, len(chunk))
                s.sendall(chunk[:k])
                left -= k
            s.settimeout(1)
            while time.monotonic() - start < seconds:
                try:
                    data = s.recv(4096)
                    results[i] = ("answered" if data.startswith(b"HTTP/") else "closed",
                                  time.monotonic() - start)
                    return
                except (socket.timeout, ssl.SSLWantReadError):
                    s.sendall(b" ")
        except OSError:
            results[i] = ("closed", time.monotonic() - start)
            return
        results[i] = ("open", time.monotonic() - start)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    count = {k: sum(1 for r in results if r and r[0] == k) for k in ("closed", "answered", "open")}
    count["seconds"] = sorted(round(r[1], 1) for r in results if r)
    return count


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "body":
        sys.stdout.write(body(sys.argv[2]))
    elif cmd == "post":
        for o in post(int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]) if len(sys.argv) > 5 else 1,
                      sys.argv[6] if len(sys.argv) > 6 else "10s"):
            print(json.dumps(o))
    elif cmd == "slow":
        print(json.dumps(slow(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5]),
                              int(sys.argv[6]), float(sys.argv[7]))))
    else:
        raise SystemExit(__doc__)
