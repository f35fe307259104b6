# SPDX-License-Identifier: Apache-2.0
"""A cluster in a box: deploy/ run as a kubelet runs it, called as kube-apiserver calls it.

For one overlay (self-signed, audit or cert-manager) this renders
`kubectl kustomize deploy/overlays/OVERLAY`, runs the Deployment's two replicas
from the image with tests/cluster/kubelet.py, puts them behind the Service
(ready, non-terminating pods, each container port published on its own
127.0.0.1 port), and sends requests through tests/cluster/apiserver.py, which
reads the rendered ValidatingWebhookConfiguration and calls the webhooks the way
the API server does. Then it plays the scenarios below, each an assertion, and
prints "N passed, N failed".

  1. a hardened Pod is admitted; a root Pod is denied with a message that names
     the container and the field; a Deployment with a root template is denied by
     the workloads webhook (audit overlay: all admitted, with the would-be
     denials as warnings);
  2. Pods in kube-system, hardpod-system (and cert-manager in that overlay) are
     never sent to hardpod: no webhook matches and hardpod's request counter
     does not move;
  4. the Secret is renewed with `hardpod certs` (same CA) and the kubelet swaps
     the volume while requests flow: no call fails, and each replica serves
     the new certificate within --watch-interval (plus a second of slack);
  5. a replica is deleted (SIGTERM) under a steady stream: its /readyz fails
     before the process exits, the exit status is 0, and every request gets its
     correct verdict (a new replica then takes its place, as the ReplicaSet does);
  6. the memory and CPU limits that the Deployment sets are the container's
     cgroup limits, and it stayed under them (no OOM kill, no restart, no
     liveness failure) through all of the above;
  8. namespace labels: in a namespace labelled hardpod.dev/enforce: psa-baseline
     a root Pod that hardened denies is admitted (by
     enforce-psa-baseline.pods.hardpod.dev) while it is denied in shop, and a
     privileged one is still denied; with hardpod.dev/warn: hardened as well,
     hardened's findings come back as warnings; a label value that names no
     profile is refused naming the label; each request matches exactly one
     webhook (in every overlay: the label's enforcement holds in audit too);
  7. (self-signed overlay) the hostile memory mix of tests/faults/test_memory.sh
     sent straight to one replica: under its memory limit, never OOM-killed;
  3. with every replica gone: Pods are rejected (pods webhook, failurePolicy
     Fail), workloads are admitted (Ignore), and in the audit overlay everything
     is admitted.

Usage: test_cluster.py --overlay NAME --deploy DIR --image IMAGE --certs-cmd CMD --work DIR
where DIR is a copy of deploy/ whose overlays can be rendered (the self-signed
certificates made), and CMD runs `hardpod` (the image's own, through podman).
For cert-manager, which cannot run here, the harness stands in for it: it makes a
CA and a serving certificate with `hardpod certs`, writes them into Secret
hardpod-tls as cert-manager does (tls.crt, tls.key, ca.crt), and copies ca.crt
into both caBundles as cainjector does.
"""

import argparse
import base64
import copy
import json
import os
import random
import shlex
import ssl
import subprocess
import sys
import threading
import time

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import apiserver  # noqa: E402
import kubelet  # noqa: E402

passed = failed = 0


def check(ok, what, *detail):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {what}", flush=True)
    else:
        failed += 1
        print(f"FAIL {what}", flush=True)
        for d in detail:
            for line in str(d).splitlines()[:40]:
                print(f"     {line}")
    return ok


def note(text):
    print(f"     {text}", flush=True)


# --- objects ---------------------------------------------------------------------------

HARDENED_SC = {"allowPrivilegeEscalation": False, "privileged": False, "readOnlyRootFilesystem": True,
               "capabilities": {"drop": ["ALL"]}}
RESOURCES = {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "500m", "memory": "128Mi"}}


def hardened_pod(name, namespace):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace},
            "spec": {"securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001,
                                         "seccompProfile": {"type": "RuntimeDefault"}},
                     "automountServiceAccountToken": False,
                     "containers": [{"name": "app", "image": "registry.example/app:1.0",
                                     "ports": [{"containerPort": 8080}],
                                     "securityContext": copy.deepcopy(HARDENED_SC),
                                     "resources": copy.deepcopy(RESOURCES)}]}}


def root_pod(name, namespace):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace},
            "spec": {"containers": [{"name": "web", "image": "registry.example/web:1.0",
                                     "ports": [{"containerPort": 80}]}]}}


def root_deployment(name, namespace):
    pod = root_pod(name, namespace)
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": namespace},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": pod["spec"]}}}


def pod_create(obj):
    return apiserver.Request("CREATE", obj, obj["metadata"]["namespace"], "", "v1", "pods", "Pod")


def deployment_create(obj):
    return apiserver.Request("CREATE", obj, obj["metadata"]["namespace"], "apps", "v1", "deployments",
                             "Deployment")


# --- the cluster -------------------------------------------------------------------------

def render(overlay_dir):
    r = subprocess.run(["kubectl", "kustomize", overlay_dir], capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError(f"kubectl kustomize {overlay_dir}: {r.stderr}")
    return [o for o in yaml.safe_load_all(r.stdout) if o]


def find(objects, kind, name=None):
    return [o for o in objects if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]


class Cluster:
    def __init__(self, objects, image, work, propagation=1.0):
        self.objects, self.image, self.work = objects, image, work
        self.deployment = find(objects, "Deployment", "hardpod")[0]
        self.namespace = self.deployment["metadata"]["namespace"]
        self.services = [s for s in find(objects, "Service") if s["metadata"].get("namespace") == self.namespace]
        self.pods = []
        self.propagation = propagation  # how long endpoint removal takes to reach the Service's routing
        self.deleted_at = {}
        self.serial = 0
        self.lock = threading.Lock()
        namespaces = {"default": {}, "shop": {"team": "shop"}, "kube-system": {}, "cert-manager": {}}
        namespaces.update(LABELLED)
        for ns in find(objects, "Namespace"):
            namespaces[ns["metadata"]["name"]] = ns["metadata"].get("labels", {})
        vwc = find(objects, "ValidatingWebhookConfiguration", "hardpod")[0]
        self.api = apiserver.Dispatcher(vwc, namespaces, self.resolve)

    def add_pod(self):
        self.serial += 1
        name = f"hardpod-{random.randrange(16**9):09x}-{self.serial:05d}"[-30:]
        pod = kubelet.Pod(name, self.namespace, self.deployment["spec"]["template"], self.image, self.objects,
                          self.work, self.services)
        pod.start()
        with self.lock:
            self.pods.append(pod)
        return pod

    def delete_pod(self, pod, wait=True):
        with self.lock:
            self.deleted_at[pod.name] = time.monotonic()
        return pod.delete(wait=wait)

    def resolve(self, namespace, name, port):
        svc = next(s for s in self.services if s["metadata"]["name"] == name)
        sp = next(p for p in svc["spec"]["ports"] if p["port"] == port)
        target = sp.get("targetPort", port)
        now = time.monotonic()
        eps = []
        with self.lock:
            pods = list(self.pods)
            deleted = dict(self.deleted_at)
        for pod in pods:
            if not all(pod.labels.get(k) == v for k, v in svc["spec"]["selector"].items()):
                continue
            if pod.name in deleted and now - deleted[pod.name] >= self.propagation:
                continue
            if not pod.ready:
                continue
            c = pod.spec["containers"][0]
            eps.append(("127.0.0.1", pod.host_port(c, target)))
        random.shuffle(eps)
        return eps

    def metrics_total(self, pod):
        """hardpod_admission_requests_total summed, from the metrics port."""
        import http.client
        c = pod.spec["containers"][0]
        conn = http.client.HTTPConnection("127.0.0.1", pod.host_port(c, "metrics"), timeout=5)
        conn.request("GET", "/metrics")
        text = conn.getresponse().read().decode()
        conn.close()
        return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                   if line.startswith("hardpod_admission_requests_total{"))

    def close(self):
        self.api.close()
        for p in self.pods:
            p.remove()


def served_cert(port):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    import socket
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        with ctx.wrap_socket(s, server_hostname="hardpod.hardpod-system.svc") as t:
            return t.getpeercert(binary_form=True)


def pem_first_der(pem):
    text = pem.decode() if isinstance(pem, bytes) else pem
    end = text.index("-----END CERTIFICATE-----") + len("-----END CERTIFICATE-----")
    return ssl.PEM_cert_to_DER_cert(text[:end])


def serial_of(pem):
    r = subprocess.run(["openssl", "x509", "-noout", "-serial"], input=pem, capture_output=True)
    return r.stdout.decode().strip()


class Stream:
    """Requests sent by several threads until stopped; every answer is checked
    against the verdict its object must get."""

    def __init__(self, cluster, audit, threads=3):
        self.cluster, self.audit = cluster, audit
        self.stop = threading.Event()
        self.sent = self.wrong = 0
        self.problems = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True) for i in range(threads)]

    def run(self, i):
        n = 0
        while not self.stop.is_set():
            n += 1
            good = n % 2 == 0
            obj = (hardened_pod if good else root_pod)(f"s{i}-{n}", "shop")
            r = self.cluster.api.admit(pod_create(obj))
            want_allowed = good or self.audit
            ok = r.allowed == want_allowed and not r.errors and r.called == ["pods.hardpod.dev"]
            if ok and not good:
                ok = ("denied the request" in r.message) if not self.audit else \
                    any(w.startswith("would deny") for w in r.warnings)
            with self.lock:
                self.sent += 1
                if not ok:
                    self.wrong += 1
                    if len(self.problems) < 5:
                        self.problems.append(f"{'hardened' if good else 'root'} pod: allowed={r.allowed} "
                                             f"called={r.called} errors={r.errors} message={r.message[:300]}")

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=30)


# --- scenarios ----------------------------------------------------------------------------

# Namespaces with hardpod.dev labels (scenario 8).
LABELLED = {
    "baseline-team": {"hardpod.dev/enforce": "psa-baseline"},
    "moving-team": {"hardpod.dev/enforce": "psa-baseline", "hardpod.dev/warn": "hardened"},
    "typo-team": {"hardpod.dev/enforce": "restricted"},
}


def privileged_pod(name, namespace):
    pod = root_pod(name, namespace)
    pod["spec"]["containers"][0]["securityContext"] = {"privileged": True}
    return pod

def scenario_verdicts(cl, audit):
    r = cl.api.admit(pod_create(hardened_pod("good", "shop")))
    check(r.allowed and r.called == ["pods.hardpod.dev"] and not r.errors,
          "1. a hardened Pod is admitted (sent to pods.hardpod.dev only)", r.called, r.errors, r.message)
    r = cl.api.admit(pod_create(root_pod("bad", "shop")))
    if audit:
        check(r.allowed and any(w.startswith("would deny: runAsNonRoot: container \"web\"") for w in r.warnings),
              "1. audit: a root Pod is admitted with its would-be denial as a warning", r.kubectl())
    else:
        check(not r.allowed and r.message.startswith('admission webhook "pods.hardpod.dev" denied the request: ')
              and 'container "web"' in r.message and "spec.containers[0].securityContext.runAsNonRoot" in r.message,
              "1. a root Pod is denied, naming container \"web\" and "
              "spec.containers[0].securityContext.runAsNonRoot", r.kubectl())
    note(r.kubectl().splitlines()[-1][:220] if r.kubectl() else "(no output)")
    r = cl.api.admit(deployment_create(root_deployment("legacy", "shop")))
    if audit:
        check(r.allowed and r.called == ["workloads.hardpod.dev"] and r.warnings,
              "1. audit: a Deployment with a root template is admitted with warnings", r.kubectl())
    else:
        check(not r.allowed and 'admission webhook "workloads.hardpod.dev" denied the request' in r.message
              and "spec.template.spec.containers[0].securityContext" in r.message,
              "1. a Deployment with a root template is denied by workloads.hardpod.dev", r.kubectl())
    # matchPolicy Equivalent: the same Deployment through a retired API version
    req = deployment_create(root_deployment("legacy2", "shop"))
    req.version = "v1beta2"
    sent = cl.api.matching(req)
    check([(h["name"], m[1]) for h, m in sent] == [("workloads.hardpod.dev", "v1")],
          "1. matchPolicy Equivalent: apps/v1beta2 deployments are sent as apps/v1",
          [(h["name"], m) for h, m in sent])


def scenario_labels(cl, audit):
    def admit(obj):
        req = pod_create(obj)
        matched = [h["name"] for h, _ in cl.api.matching(req)]
        return cl.api.admit(req), matched

    r, m = admit(root_pod("legacy", "baseline-team"))
    check(r.allowed and r.called == ["enforce-psa-baseline.pods.hardpod.dev"] and not r.errors
          and m == r.called,
          "8. enforce psa-baseline: a root Pod that hardened denies is admitted, by the one webhook "
          "enforce-psa-baseline.pods.hardpod.dev", m, r.kubectl())
    r2, m2 = admit(root_pod("legacy", "shop"))
    if audit:
        check(r2.allowed and m2 == ["pods.hardpod.dev"] and any(w.startswith("would deny: ") for w in r2.warnings),
              "8. audit: the same Pod in unlabelled shop gets hardened's would-be denials", m2,
              r2.kubectl())
    else:
        check(not r2.allowed and m2 == ["pods.hardpod.dev"] and 'hardpod policy "hardened"' in r2.message,
              "8. the same Pod in unlabelled shop is denied by pods.hardpod.dev (hardened)", m2,
              r2.kubectl())
    r, m = admit(privileged_pod("priv", "baseline-team"))
    check(not r.allowed and 'hardpod policy "psa-baseline": privileged:' in r.message and len(m) == 1,
          "8. enforce psa-baseline: a privileged Pod is still denied", m, r.kubectl())
    r, m = admit(root_pod("legacy", "moving-team"))
    check(r.allowed and m == ["enforce-psa-baseline.warn-hardened.pods.hardpod.dev"]
          and any(w.startswith("hardened would deny: runAsNonRoot:") for w in r.warnings),
          "8. enforce psa-baseline + warn hardened: admitted, hardened's findings as warnings", m,
          r.kubectl())
    note(next((w for w in r.warnings if w.startswith("hardened would deny")), "(none)")[:200])
    r, m = admit(hardened_pod("good", "typo-team"))
    check(not r.allowed and m == ["invalid-enforce.pods.hardpod.dev"]
          and "the label hardpod.dev/enforce of namespace" in r.message,
          "8. hardpod.dev/enforce: restricted (not a hardpod profile): refused, naming the label", m,
          r.kubectl())
    r = cl.api.admit(deployment_create(root_deployment("legacy", "baseline-team")))
    check(r.allowed and r.called == ["enforce-psa-baseline.workloads.hardpod.dev"],
          "8. enforce psa-baseline: a root Deployment is admitted by its workloads webhook", r.called,
          r.kubectl())


def scenario_excluded(cl, excluded):
    before = sum(cl.metrics_total(p) for p in cl.pods)
    for ns in excluded:
        for req in (pod_create(root_pod("sys", ns)), deployment_create(root_deployment("sys", ns))):
            r = cl.api.admit(req)
            check(r.allowed and not r.called and not r.errors and not cl.api.matching(req),
                  f"2. a root {req.kind} in {ns} is not sent to hardpod", r.called, r.errors)
    after = sum(cl.metrics_total(p) for p in cl.pods)
    check(after == before, "2. hardpod_admission_requests_total did not move for them", f"{before} -> {after}")


def renew(args, cl, overlay, certs_dir):
    """New serving certificate from the same CA; returns the new objects and tls.crt."""
    run_certs(args, certs_dir)
    if overlay == "cert-manager":
        objects = render(os.path.join(args.deploy, "overlays", overlay))
        inject_cert_manager(objects, certs_dir)
    else:
        objects = render(os.path.join(args.deploy, "overlays", overlay))
    with open(os.path.join(certs_dir, "tls.crt"), "rb") as f:
        return objects, f.read()


def scenario_rotation(args, cl, overlay, certs_dir, audit):
    old = [served_cert(p.host_port(p.spec["containers"][0], "https")) for p in cl.pods]
    with Stream(cl, audit) as st:
        time.sleep(0.5)
        objects, crt = renew(args, cl, overlay, certs_dir)
        cl.objects[:] = objects
        swapped = {}
        for p in cl.pods:
            p.objects = objects
            p.update_volume("tls", objects)
            swapped[p.name] = time.monotonic()
            time.sleep(0.3)  # the kubelet syncs pods one by one
        want = pem_first_der(crt)
        picked = {}
        end = time.monotonic() + 3 * args.watch_interval + 10
        while time.monotonic() < end and len(picked) < len(cl.pods):
            for p in cl.pods:
                if p.name not in picked and served_cert(p.host_port(p.spec["containers"][0], "https")) == want:
                    picked[p.name] = time.monotonic() - swapped[p.name]
            time.sleep(0.05)
        time.sleep(0.5)
    check(all(o != want for o in old), "4. the renewed certificate is a new one", serial_of(crt))
    slowest = max(picked.values()) if len(picked) == len(cl.pods) else None
    check(slowest is not None and slowest <= args.watch_interval + 1.0,
          f"4. every replica serves the new serial {serial_of(crt)} within --watch-interval "
          f"({args.watch_interval} s) + 1 s", picked)
    note(f"pickup after the ..data swap: " + ", ".join(f"{v:.2f} s" for v in picked.values()))
    check(st.sent > 0 and st.wrong == 0,
          f"4. no call failed or got a wrong verdict during the renewal ({st.sent} requests)", *st.problems)


def scenario_sigterm(cl, audit):
    victim = cl.pods[0]
    c = victim.spec["containers"][0]
    port = victim.host_port(c, "https")
    probe = c["readinessProbe"]
    readyz = []  # (time, ok)
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            ok, _ = victim.probe_once(c, probe)
            readyz.append((time.monotonic(), ok))
            time.sleep(0.1)
    w = threading.Thread(target=watch, daemon=True)
    with Stream(cl, audit, threads=4) as st:
        time.sleep(1.0)
        w.start()
        t0 = time.monotonic()
        cl.delete_pod(victim)
        t_exit = time.monotonic()
        time.sleep(1.0)
    stop.set()
    w.join()
    first_fail = next((t for t, ok in readyz if not ok and t >= t0), None)
    code = victim.state("{{.State.ExitCode}}")
    check(first_fail is not None and first_fail < t_exit,
          "5. SIGTERM: /readyz fails before the process exits",
          f"first failure {None if first_fail is None else round(first_fail - t0, 2)} s, "
          f"exit {round(t_exit - t0, 2)} s after SIGTERM")
    note(f"/readyz failed {0 if first_fail is None else first_fail - t0:.2f} s after SIGTERM, "
         f"the process exited after {t_exit - t0:.2f} s (--shutdown-delay {arg_of(c, '--shutdown-delay')})")
    check(code == "0", "5. SIGTERM: the process exits 0", f"exit code {code}")
    check(st.sent > 0 and st.wrong == 0,
          f"5. no request lost or wrongly answered while a replica drained ({st.sent} requests)", *st.problems)
    victim.remove()
    with cl.lock:
        cl.pods.remove(victim)
    new = cl.add_pod()
    check(new.wait_ready(30), "5. a new replica takes its place and becomes ready")


def arg_of(container, flag):
    a = container.get("args", [])
    return a[a.index(flag) + 1] if flag in a else "default"


def scenario_limits(cl):
    c = cl.deployment["spec"]["template"]["spec"]["containers"][0]
    lim = c["resources"]["limits"]
    want_mem = int(kubelet.quantity(lim["memory"]))
    want_quota = int(kubelet.quantity(lim["cpu"]) * 100000)
    for p in cl.pods:
        mem = p.cgroup("memory")
        cpu = p.cgroup("cpu")
        if mem is None or not os.path.exists(os.path.join(mem, "memory.limit_in_bytes")):
            mx = open(os.path.join(mem, "memory.max")).read().strip() if mem else "?"
            peak_f = os.path.join(mem, "memory.peak") if mem else ""
            peak = int(open(peak_f).read()) if peak_f and os.path.exists(peak_f) else None
            ev = open(os.path.join(mem, "memory.events")).read() if mem else ""
            ooms = int(next((ln.split()[1] for ln in ev.splitlines() if ln.startswith("oom_kill ")), "0"))
            quota = open(os.path.join(cpu or mem, "cpu.max")).read().split()[0]
        else:
            mx = open(os.path.join(mem, "memory.limit_in_bytes")).read().strip()
            peak = int(open(os.path.join(mem, "memory.max_usage_in_bytes")).read())
            oc = open(os.path.join(mem, "memory.oom_control")).read()
            ooms = int(next((ln.split()[1] for ln in oc.splitlines() if ln.startswith("oom_kill ")), "0"))
            quota = open(os.path.join(cpu, "cpu.cfs_quota_us")).read().strip()
        check(mx == str(want_mem), f"6. {p.name}: cgroup memory limit is {lim['memory']} ({want_mem})", mx)
        check(quota == str(want_quota), f"6. {p.name}: CFS quota is {lim['cpu']} CPU ({want_quota} us)", quota)
        check(peak is not None and peak < want_mem and ooms == 0,
              f"6. {p.name}: stayed under the memory limit (peak {peak} bytes, OOM kills {ooms})")
        check(p.state("{{.State.OOMKilled}}") == "false" and p.running() and p.liveness_failures == 0,
              f"6. {p.name}: running, never OOM-killed, no liveness failure")


def scenario_hostile(cl, ca_file, work):
    """7. The hostile mix of tests/faults/test_memory.sh, sent straight to one
    replica's port as any pod in the cluster could: the container stays under
    its memory limit and is never OOM-killed, and the legal objects in the
    mix still get their verdict."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "faults"))
    import memory
    memory.SERVER_NAME = "hardpod.hardpod-system.svc"
    pod = cl.pods[0]
    port = pod.host_port(pod.spec["containers"][0], "https")
    files = {}
    for kind in ("env-update", "empty-containers"):
        files[kind] = os.path.join(work, f"{kind}.json")
        with open(files[kind], "w") as f:
            f.write(memory.body(kind))
    out = memory.post(port, ca_file, files["env-update"], 4)
    check([o["status"] for o in out] == [200] * 4
          and all(o["body"]["response"]["allowed"] for o in out),
          "7. hostile mix: four concurrent 5.3 MB UPDATEs straight to a replica are all answered",
          [(o["status"], str(o["body"])[:120]) for o in out])
    out = memory.post(port, ca_file, files["empty-containers"], 1)
    check(out[0]["status"] == 413, "7. hostile mix: 330,000 empty containers get a 413", out)
    slow = memory.slow(port, ca_file, 20, 7 << 20, 6 << 20, 25)
    check(slow["open"] == 0, "7. hostile mix: 20 trickling 7 MB bodies are cut", slow)
    mem = pod.cgroup("memory")
    peak = int(open(os.path.join(mem, "memory.max_usage_in_bytes")).read())
    limit = int(open(os.path.join(mem, "memory.limit_in_bytes")).read())
    oc = open(os.path.join(mem, "memory.oom_control")).read()
    ooms = int(next((ln.split()[1] for ln in oc.splitlines() if ln.startswith("oom_kill ")), "0"))
    check(pod.running() and ooms == 0 and peak < limit,
          f"7. hostile mix: the replica is running, never OOM-killed, peak {peak >> 20} MiB of its "
          f"{limit >> 20} MiB limit", f"OOM kills {ooms}")
    note(f"cgroup peak after the hostile mix: {peak} bytes ({peak / limit:.0%} of the limit)")


def scenario_down(cl, audit):
    procs = []
    for p in list(cl.pods):
        procs += cl.delete_pod(p, wait=False)
    # every replica gone: the processes have exited (a terminating replica
    # still answers on its open connections during --shutdown-delay)
    for pr in procs:
        pr.wait(timeout=60)
    r = cl.api.admit(pod_create(hardened_pod("while-down", "shop")))
    if audit:
        check(r.allowed and r.errors, "3. audit, hardpod down: a Pod is admitted (failurePolicy Ignore)",
              r.message, r.errors)
    else:
        check(not r.allowed and 'failed calling webhook "pods.hardpod.dev"' in r.message,
              "3. hardpod down: a Pod is rejected (pods.hardpod.dev fails closed)", r.kubectl())
        note(r.message[:220])
    r = cl.api.admit(deployment_create(root_deployment("while-down", "shop")))
    check(r.allowed and [n for n, _ in r.errors] == ["workloads.hardpod.dev"],
          "3. hardpod down: a Deployment is admitted (workloads.hardpod.dev fails open)", r.message, r.errors)


# --- set-up ---------------------------------------------------------------------------

def run_certs(args, out_dir):
    cmd = shlex.split(args.certs_cmd) + ["certs", "--service", "hardpod", "--namespace", "hardpod-system",
                                          "--out", out_dir]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {r.returncode}: {r.stderr}")


def inject_cert_manager(objects, certs_dir):
    """cert-manager's part: Secret hardpod-tls with tls.crt, tls.key and ca.crt from
    the Certificate's issuer; cainjector's part: caBundle from that ca.crt."""
    files = {}
    for k in ("tls.crt", "tls.key", "ca.crt"):
        with open(os.path.join(certs_dir, k), "rb") as f:
            files[k] = base64.b64encode(f.read()).decode()
    objects.append({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
                    "metadata": {"name": "hardpod-tls", "namespace": "hardpod-system"}, "data": files})
    vwc = find(objects, "ValidatingWebhookConfiguration", "hardpod")[0]
    ann = vwc["metadata"].get("annotations", {}).get("cert-manager.io/inject-ca-from")
    cert = next((c for c in find(objects, "Certificate", "hardpod")), None)
    if ann != "hardpod-system/hardpod" or cert is None or cert["spec"]["secretName"] != "hardpod-tls":
        raise RuntimeError(f"cert-manager overlay: inject-ca-from={ann!r} does not name Certificate "
                           "hardpod-system/hardpod writing Secret hardpod-tls")
    for w in vwc["webhooks"]:
        w["clientConfig"]["caBundle"] = files["ca.crt"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--overlay", required=True, choices=["self-signed", "audit", "cert-manager"])
    ap.add_argument("--deploy", required=True)
    ap.add_argument("--image", required=True)
    ap.add_argument("--certs-cmd", required=True)
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    overlay = args.overlay
    audit = overlay == "audit"
    certs_dir = os.path.join(args.deploy, "overlays", "self-signed", "certs")
    if overlay == "cert-manager":
        certs_dir = os.path.join(args.work, "cert-manager-ca")
        os.makedirs(certs_dir, exist_ok=True)
        run_certs(args, certs_dir)
    objects = render(os.path.join(args.deploy, "overlays", overlay))
    if overlay == "cert-manager":
        inject_cert_manager(objects, certs_dir)
    dep = find(objects, "Deployment", "hardpod")[0]
    c = dep["spec"]["template"]["spec"]["containers"][0]
    args.watch_interval = float(arg_of(c, "--watch-interval")) if "--watch-interval" in c.get("args", []) else 2.0
    excluded = ["kube-system", "hardpod-system"] + (["cert-manager"] if overlay == "cert-manager" else [])

    cl = Cluster(objects, args.image, os.path.join(args.work, overlay))
    try:
        print(f"== {overlay}: {dep['spec']['replicas']} replicas of {args.image}", flush=True)
        try:
            for _ in range(dep["spec"]["replicas"]):
                cl.add_pod()
        except Exception as e:  # noqa: BLE001
            check(False, f"the kubelet starts {dep['spec']['replicas']} replicas", e)
            return
        p0 = cl.pods[0]
        note("argv: " + " ".join(p0.argv["hardpod"]))
        ready = [p.wait_ready(30) for p in cl.pods]
        logs = [kubelet.podman("logs", next(iter(p.cids.values())), check=False) for p in cl.pods]
        check(all(ready), f"every replica becomes ready by its readinessProbe ({len(ready)})",
              *[(lg.stdout + lg.stderr)[-1500:] for lg in logs])
        if not all(ready):
            return
        cmdline = open(f"/proc/{p0.pid()}/cmdline", "rb").read().split(b"\0")[:-1]
        check([x.decode() for x in cmdline] == p0.argv["hardpod"],
              "the process runs exactly the command a kubelet composes", cmdline)
        st = open(f"/proc/{p0.pid()}/status").read()
        fields = {ln.split(":")[0]: ln.split(":", 1)[1].split() for ln in st.splitlines() if ":" in ln}
        check(fields["Uid"][0] == "65532" and fields["Gid"][0] == "65532" and "65532" in fields.get("Groups", [])
              and fields["CapEff"][0] == "0000000000000000" and fields["NoNewPrivs"][0] == "1"
              and fields["Seccomp"][0] == "2",
              "the process: uid/gid 65532 with fsGroup, no capabilities, no_new_privs, seccomp filter",
              {k: fields.get(k) for k in ("Uid", "Gid", "Groups", "CapEff", "NoNewPrivs", "Seccomp")})
        scenario_verdicts(cl, audit)
        scenario_labels(cl, audit)
        scenario_excluded(cl, excluded)
        scenario_rotation(args, cl, overlay, certs_dir, audit)
        scenario_sigterm(cl, audit)
        scenario_limits(cl)
        if overlay == "self-signed":
            scenario_hostile(cl, os.path.join(certs_dir, "ca.crt"), args.work)
        scenario_down(cl, audit)
    except Exception:  # noqa: BLE001 - a crash is a failure, reported with the counts
        import traceback
        check(False, "the harness ran without an exception", traceback.format_exc())
    finally:
        cl.close()


if __name__ == "__main__":
    main()
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed or not passed else 0)
