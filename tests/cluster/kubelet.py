# SPDX-License-Identifier: Apache-2.0
"""Runs the pod of a rendered Deployment with podman the way a kubelet runs it.

An emulation written from the kubelet's documented behaviour, for tests only
(no kubelet can run here). What it reproduces, because each of these decides
whether hardpod's pod starts and keeps serving in a real cluster:

- the command: the image's ENTRYPOINT and CMD against the container's
  `command` and `args` ("Define a Command and Arguments for a Container"), with
  `$(VAR)` expansion from the container's environment;
- the environment: the container's `env`, plus the Service links that
  `enableServiceLinks` (default true) adds, and HOSTNAME = the pod's name;
- Secret and ConfigMap volumes as the kubelet's atomic writer lays them out:
  a timestamped directory `..2026_12_05_10_00_00.123`, a `..data` symlink to it
  and one symlink per key through `..data`; an update writes a new directory
  and renames `..data_tmp` over `..data`. Files get `defaultMode` (or an item's
  `mode`) and, with `fsGroup`, group ownership fsGroup with group read added;
- the security context, pod level overridden by container level: runAsUser,
  runAsGroup, fsGroup and supplementalGroups as extra groups, runAsNonRoot
  verified against the image user exactly as the kubelet refuses it,
  readOnlyRootFilesystem, privileged, allowPrivilegeEscalation=false as
  no-new-privileges, capabilities add/drop, seccompProfile (RuntimeDefault is
  the runtime's profile; a missing profile is Unconfined, the kubelet default);
- resources: limits.memory as the cgroup memory limit, limits.cpu as the CFS
  quota, requests.cpu as CPU shares (milli * 1024 / 1000);
- probes: httpGet with its scheme, port (number or name), path and headers,
  HTTPS without certificate verification, success for 200-399, timeoutSeconds,
  periodSeconds, initialDelaySeconds, successThreshold and failureThreshold;
- deletion: SIGTERM, then SIGKILL after terminationGracePeriodSeconds.

What it does not do: schedule, pull images (the image must exist locally),
mount a service account token (hardpod's pod opts out), restart containers
after a liveness failure (failures are counted for the test to assert on), or
give the pod a routable IP: each container port is published on its own
127.0.0.1 port, and the probes and the Service use that address.
"""

import base64
import datetime
import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time

PODMAN = os.environ.get("HP_PODMAN", "podman")


def podman(*args, check=True, timeout=120):
    r = subprocess.run([PODMAN, *args], capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError(f"podman {' '.join(args)}: exit {r.returncode}: {r.stderr.strip()}")
    return r


# --- the command -------------------------------------------------------------------------

def expand(text, env):
    """Kubernetes' $(VAR) expansion: $(NAME) becomes env[NAME] when NAME is
    defined and stays as written otherwise; $$ is an escaped $."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c != "$" or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == "$":
            out.append("$")
            i += 2
        elif nxt == "(":
            end = text.find(")", i + 2)
            if end < 0:
                out.append(text[i:])
                break
            name = text[i + 2:end]
            out.append(env[name] if name in env else text[i:end + 1])
            i = end + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def compose_argv(entrypoint, cmd, command, args, env):
    """The process a container runs, from the image's ENTRYPOINT and CMD and
    the container's command and args:
      neither set        ENTRYPOINT + CMD
      command only       command (the image's ENTRYPOINT and CMD are ignored)
      args only          ENTRYPOINT + args (CMD is ignored)
      both               command + args"""
    entrypoint, cmd = list(entrypoint or []), list(cmd or [])
    command = [expand(x, env) for x in (command or [])]
    args = [expand(x, env) for x in (args or [])]
    if command:
        return command + args
    if args:
        return entrypoint + args
    return entrypoint + cmd


def container_env(container, service_links):
    """The environment a container sees, in the kubelet's order: Service links
    first, then the container's env in order (each may use $(VAR) of those
    before it)."""
    env = dict(service_links)
    for e in container.get("env", []) or []:
        if "value" in e or "valueFrom" not in e:
            env[e["name"]] = expand(str(e.get("value", "")), env)
        else:
            raise NotImplementedError(f"env {e['name']}: valueFrom is not emulated")
    return env


def service_link_env(services):
    """The variables enableServiceLinks adds for each Service in the pod's
    namespace (docker-links style), with made-up cluster IPs."""
    env = {}
    for i, svc in enumerate(services):
        name = svc["metadata"]["name"].upper().replace("-", "_")
        ip = f"10.96.0.{10 + i}"
        ports = svc["spec"].get("ports", [])
        if not ports:
            continue
        env[f"{name}_SERVICE_HOST"] = ip
        env[f"{name}_SERVICE_PORT"] = str(ports[0]["port"])
        env[f"{name}_PORT"] = f"tcp://{ip}:{ports[0]['port']}"
        for p in ports:
            proto = p.get("protocol", "TCP")
            key = f"{name}_PORT_{p['port']}_{proto}"
            if p.get("name"):
                env[f"{name}_SERVICE_PORT_{p['name'].upper().replace('-', '_')}"] = str(p["port"])
            env[key] = f"{proto.lower()}://{ip}:{p['port']}"
            env[key + "_PROTO"] = proto.lower()
            env[key + "_PORT"] = str(p["port"])
            env[key + "_ADDR"] = ip
    return env


# --- quantities --------------------------------------------------------------------------

_SUFFIX = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 10**3, "M": 10**6,
           "G": 10**9, "T": 10**12, "m": 10**-3, "": 1}


def quantity(q):
    """A Kubernetes quantity as a number (bytes, or cores)."""
    q = str(q)
    for suf in sorted(_SUFFIX, key=len, reverse=True):
        if suf and q.endswith(suf):
            return float(q[:-len(suf)]) * _SUFFIX[suf]
    return float(q)


# --- volumes -----------------------------------------------------------------------------

class AtomicVolume:
    """A Secret or ConfigMap volume laid out and updated as the kubelet's
    atomic writer does it."""

    def __init__(self, path, files, mode, fs_group):
        self.path, self.mode, self.fs_group = path, mode, fs_group
        os.makedirs(path)
        self._chown(path, dirmode=0o1777 if fs_group is None else 0o2755)
        self.update(files)

    def _chown(self, p, dirmode=None, filemode=None):
        if self.fs_group is not None:
            os.lchown(p, 0, self.fs_group)
        if dirmode is not None:
            os.chmod(p, dirmode)
        if filemode is not None:
            # with fsGroup the kubelet adds group read to read-only volumes
            os.chmod(p, filemode | (0o440 if self.fs_group is not None else 0))

    def update(self, files):
        """files: {key: bytes}. Writes them into a new timestamped directory
        and swaps ..data to it in one rename."""
        stamp = datetime.datetime.utcnow().strftime("..%Y_%m_%d_%H_%M_%S.%f")
        ts_dir = os.path.join(self.path, stamp)
        os.mkdir(ts_dir)
        self._chown(ts_dir, dirmode=0o755 if self.fs_group is None else 0o2755)
        for key, data in files.items():
            f = os.path.join(ts_dir, key)
            with open(f, "wb") as out:
                out.write(data)
            self._chown(f, filemode=self.mode)
        old = None
        data_link = os.path.join(self.path, "..data")
        if os.path.islink(data_link):
            old = os.readlink(data_link)
        tmp = os.path.join(self.path, "..data_tmp")
        os.symlink(stamp, tmp)
        os.rename(tmp, data_link)
        for key in files:
            user = os.path.join(self.path, key)
            if not os.path.islink(user):
                os.symlink(os.path.join("..data", key), user)
        if old:
            shutil.rmtree(os.path.join(self.path, old))


def volume_files(volume, objects, namespace):
    """The files of a secret or configMap volume, by key, from the rendered objects."""
    if "secret" in volume:
        ref, kind = volume["secret"], "Secret"
        name = ref["secretName"]
    elif "configMap" in volume:
        ref, kind = volume["configMap"], "ConfigMap"
        name = ref["name"]
    else:
        raise NotImplementedError(f"volume {volume['name']}: only secret and configMap are emulated")
    obj = next((o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name
                and o["metadata"].get("namespace", namespace) == namespace), None)
    if obj is None:
        raise LookupError(f"volume {volume['name']}: {kind} {namespace}/{name} not found "
                          "(the kubelet keeps the pod in ContainerCreating)")
    if kind == "ConfigMap":
        data = {k: v.encode() for k, v in (obj.get("data") or {}).items()}
        data.update({k: base64.b64decode(v) for k, v in (obj.get("binaryData") or {}).items()})
    else:
        data = {k: base64.b64decode(v) for k, v in (obj.get("data") or {}).items()}
        data.update({k: v.encode() for k, v in (obj.get("stringData") or {}).items()})
    mode = ref.get("defaultMode", 0o644)
    return data, mode


# --- the pod -----------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ProbeLog:
    def __init__(self):
        self.lock = threading.Lock()
        self.events = []  # (time, kind, ok, detail)

    def add(self, kind, ok, detail):
        with self.lock:
            self.events.append((time.monotonic(), kind, ok, detail))


class Pod:
    """One replica of a Deployment's pod template, with one container (the
    template's containers are run in order; hardpod's has one)."""

    def __init__(self, name, namespace, template, image, objects, workdir, services=()):
        self.name, self.namespace, self.template, self.image = name, namespace, template, image
        self.spec = template["spec"]
        self.labels = dict(template.get("metadata", {}).get("labels", {}))
        self.objects, self.workdir = objects, os.path.join(workdir, name)
        self.services = list(services)
        self.ready = False
        self.terminating = False
        self.liveness_failures = 0
        self.probes = ProbeLog()
        self.cids, self.ports, self.volumes, self.argv = {}, {}, {}, {}
        self._stop = threading.Event()
        self._threads = []

    # security context, pod level then container level
    def _sc(self, container, key, default=None):
        csc = container.get("securityContext") or {}
        if key in csc:
            return csc[key]
        return (self.spec.get("securityContext") or {}).get(key, default)

    def image_config(self):
        out = podman("image", "inspect", self.image).stdout
        return json.loads(out)[0]["Config"]

    def run_as_non_root_error(self, container, image_user):
        """The kubelet's check before it starts a container with runAsNonRoot."""
        if not self._sc(container, "runAsNonRoot"):
            return None
        uid = self._sc(container, "runAsUser")
        if uid is None:
            user = (image_user or "").split(":")[0]
            if user == "":
                uid = 0
            elif not user.isdigit():
                return (f"container has runAsNonRoot and image has non-numeric user ({user}), "
                        "cannot verify user is non-root")
            else:
                uid = int(user)
        if int(uid) == 0:
            return (f'container has runAsNonRoot and image will run as root (pod: '
                    f'"{self.name}_{self.namespace}", container: {container["name"]})')
        return None

    def podman_args(self, container, cfg):
        env = container_env(container, service_link_env(self.services))
        argv = compose_argv(cfg.get("Entrypoint"), cfg.get("Cmd"), container.get("command"),
                            container.get("args"), env)
        self.argv[container["name"]] = argv
        a = ["run", "-d", "--name", f"{self.name}-{container['name']}", "--hostname", self.name,
             "--label", "hardpod-cluster-test=1", "--env", f"HOSTNAME={self.name}"]
        for k, v in env.items():
            a += ["--env", f"{k}={v}"]
        uid, gid = self._sc(container, "runAsUser"), self._sc(container, "runAsGroup")
        if uid is not None:
            a += ["--user", f"{uid}:{gid}" if gid is not None else str(uid)]
        psc = self.spec.get("securityContext") or {}
        groups = ([psc["fsGroup"]] if "fsGroup" in psc else []) + list(psc.get("supplementalGroups", []))
        for g in groups:
            a += ["--group-add", str(g)]
        if self._sc(container, "readOnlyRootFilesystem"):
            a.append("--read-only")
        # podman's --read-only adds writable tmpfs on /tmp, /run and /var/tmp
        # by default; the kubelet adds none of them.
        a.append("--read-only-tmpfs=false")
        if self._sc(container, "privileged"):
            a.append("--privileged")
        if self._sc(container, "allowPrivilegeEscalation") is False:
            a += ["--security-opt", "no-new-privileges"]
        caps = (container.get("securityContext") or {}).get("capabilities") or {}
        for c in caps.get("drop", []):
            a += ["--cap-drop", c]
        for c in caps.get("add", []):
            a += ["--cap-add", c]
        seccomp = (self._sc(container, "seccompProfile") or {}).get("type")
        if seccomp in (None, "Unconfined"):
            a += ["--security-opt", "seccomp=unconfined"]
        elif seccomp == "Localhost":
            raise NotImplementedError("seccompProfile Localhost is not emulated")
        res = container.get("resources") or {}
        lim, req = res.get("limits") or {}, res.get("requests") or {}
        if "memory" in lim:
            a += ["--memory", str(int(quantity(lim["memory"])))]
        if "cpu" in lim:
            a += ["--cpus", f"{quantity(lim['cpu']):.3f}"]
        if "cpu" in req:
            a += ["--cpu-shares", str(max(2, int(quantity(req["cpu"]) * 1000) * 1024 // 1000))]
        for p in container.get("ports", []) or []:
            host = free_port()
            self.ports[p["containerPort"]] = host
            a += ["--publish", f"127.0.0.1:{host}:{p['containerPort']}/{p.get('protocol', 'TCP').lower()}"]
        for m in container.get("volumeMounts", []) or []:
            if m.get("subPath"):
                raise NotImplementedError("subPath mounts are not emulated")
            opts = "ro" if m.get("readOnly") else "rw"
            a += ["--volume", f"{self.volumes[m['name']].path}:{m['mountPath']}:{opts}"]
        grace = self.spec.get("terminationGracePeriodSeconds", 30)
        a += ["--stop-timeout", str(grace), "--entrypoint", json.dumps(argv[:1]), self.image, *argv[1:]]
        return a

    def start(self):
        os.makedirs(self.workdir, exist_ok=True)
        fs_group = (self.spec.get("securityContext") or {}).get("fsGroup")
        for v in self.spec.get("volumes", []) or []:
            files, mode = volume_files(v, self.objects, self.namespace)
            self.volumes[v["name"]] = AtomicVolume(os.path.join(self.workdir, v["name"]), files, mode,
                                                   fs_group)
        cfg = self.image_config()
        for c in self.spec["containers"]:
            err = self.run_as_non_root_error(c, cfg.get("User"))
            if err:
                raise RuntimeError(f"CreateContainerConfigError: {err}")
            self.cids[c["name"]] = podman(*self.podman_args(c, cfg)).stdout.strip()
        c = self.spec["containers"][0]
        for kind in ("readinessProbe", "livenessProbe"):
            if c.get(kind):
                t = threading.Thread(target=self._probe_loop, args=(kind, c), daemon=True)
                t.start()
                self._threads.append(t)

    def update_volume(self, name, objects):
        """The kubelet's sync after a Secret or ConfigMap changed."""
        v = next(v for v in self.spec["volumes"] if v["name"] == name)
        files, _ = volume_files(v, objects, self.namespace)
        self.volumes[name].update(files)

    # probes
    def host_port(self, container, port):
        if isinstance(port, str):
            port = next(p["containerPort"] for p in container.get("ports", []) if p.get("name") == port)
        return self.ports[port]

    def probe_once(self, container, probe):
        g = probe["httpGet"]
        port = self.host_port(container, g["port"])
        timeout = probe.get("timeoutSeconds", 1)
        if g.get("scheme", "HTTP").upper() == "HTTPS":
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=timeout, context=ctx)
        else:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        headers = {"User-Agent": "kube-probe/1.32", "Accept": "*/*"}
        for h in g.get("httpHeaders", []) or []:
            headers[h["name"]] = h["value"]
        try:
            conn.request("GET", g.get("path", "/"), headers=headers)
            r = conn.getresponse()
            r.read()
            return 200 <= r.status < 400, f"HTTP {r.status}"
        except (OSError, http.client.HTTPException) as e:
            return False, f"{type(e).__name__}: {e}"
        finally:
            conn.close()

    def _probe_loop(self, kind, container):
        probe = container[kind]
        period = probe.get("periodSeconds", 10)
        fail_t, ok_t = probe.get("failureThreshold", 3), probe.get("successThreshold", 1)
        if self._stop.wait(probe.get("initialDelaySeconds", 0)):
            return
        fails = oks = 0
        while not self._stop.is_set():
            ok, detail = self.probe_once(container, probe)
            self.probes.add(kind, ok, detail)
            if ok:
                oks, fails = oks + 1, 0
            else:
                fails, oks = fails + 1, 0
            if kind == "readinessProbe":
                if ok and oks >= ok_t:
                    self.ready = True
                elif not ok and fails >= fail_t:
                    self.ready = False
            elif not ok and fails >= fail_t:
                self.liveness_failures += 1
                fails = 0
            if self._stop.wait(period):
                return

    def wait_ready(self, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.ready:
                return True
            if not self.running():
                return False
            time.sleep(0.1)
        return self.ready

    def running(self):
        cid = next(iter(self.cids.values()))
        r = podman("inspect", "--format", "{{.State.Running}}", cid, check=False)
        return r.stdout.strip() == "true"

    def state(self, fmt):
        cid = next(iter(self.cids.values()))
        return podman("inspect", "--format", fmt, cid, check=False).stdout.strip()

    def pid(self):
        return int(self.state("{{.State.Pid}}") or 0)

    def cgroup(self, controller):
        """The container's cgroup directory for a v1 controller, or the v2 one."""
        with open(f"/proc/{self.pid()}/cgroup") as f:
            lines = [ln.strip().split(":", 2) for ln in f]
        for _, ctrls, path in lines:
            if controller in ctrls.split(","):
                return f"/sys/fs/cgroup/{controller}{path}"
        v2 = next((path for hid, ctrls, path in lines if hid == "0"), None)
        return f"/sys/fs/cgroup{v2}" if v2 else None

    def delete(self, wait=True):
        """Pod deletion: the endpoints drop the pod (the caller's Service does
        that), the kubelet sends SIGTERM and SIGKILL after the grace period."""
        self.terminating = True
        grace = self.spec.get("terminationGracePeriodSeconds", 30)
        procs = [subprocess.Popen([PODMAN, "stop", "-t", str(grace), cid],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for cid in self.cids.values()]
        if wait:
            for p in procs:
                p.wait(timeout=grace + 30)
        return procs

    def stop_probes(self):
        self._stop.set()

    def remove(self):
        self.stop_probes()
        for cid in self.cids.values():
            podman("rm", "-f", "-t", "0", cid, check=False)
