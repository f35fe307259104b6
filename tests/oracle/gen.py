# SPDX-License-Identifier: Apache-2.0
"""A seeded random generator of Pods and workloads for the differential test.

Every field a check reads is drawn from a pool that mixes compliant values,
violations, wrong JSON types, nulls and out-of-range numbers, at pod and at
container level, so that inheritance and override cases are common. Objects
come in all nine kinds with current and legacy apiVersions; a few are kinds
without a pod spec or have a broken structure. The same seed always gives
the same objects. Standard library only.
"""

import random

KINDS = [
    ("Pod", ["v1"]),
    ("EphemeralContainers", ["v1"]),
    ("Deployment", ["apps/v1", "apps/v1beta1", "apps/v1beta2", "extensions/v1beta1"]),
    ("ReplicaSet", ["apps/v1", "apps/v1beta2", "extensions/v1beta1"]),
    ("DaemonSet", ["apps/v1", "apps/v1beta2", "extensions/v1beta1"]),
    ("StatefulSet", ["apps/v1", "apps/v1beta1", "apps/v1beta2"]),
    ("Job", ["batch/v1"]),
    ("CronJob", ["batch/v1", "batch/v1beta1", "batch/v2alpha1"]),
    ("ReplicationController", ["v1"]),
    ("PodTemplate", ["v1"]),
]
# Objects that carry no pod spec for hardpod: other kinds, or a known kind in
# the wrong group.
NO_POD_SPEC = [
    ("ConfigMap", "v1"),
    ("Pod", "apps/v1"),
    ("Deployment", "v1"),
    ("StatefulSet", "extensions/v1beta1"),
    ("Job", "apps/v1"),
    ("Deployment", "example.com/v1"),
]

HUGE = [2**63, 2**64, -(2**63) - 1, 18446744073709551616, 10**30]
WRONG = ["true", "false", "0", "1000", "", [], {}, [True], 1.5, 0.0, 1e30, -0.5]


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    # --- primitives -------------------------------------------------------

    def chance(self, p):
        return self.r.random() < p

    def pick(self, *opts):
        return self.r.choice(opts)

    def weighted(self, pairs):
        """pairs: [(weight, value-or-callable)]"""
        total = sum(w for w, _ in pairs)
        x = self.r.random() * total
        for w, v in pairs:
            x -= w
            if x < 0:
                return v() if callable(v) else v
        v = pairs[-1][1]
        return v() if callable(v) else v

    def wrong(self):
        return self.r.choice(WRONG + [None, True, False, 0])

    def bool_value(self, good):
        return self.weighted([(6, good), (3, not good), (1, None), (1, self.wrong)])

    def id_value(self):
        return self.weighted([
            (6, lambda: self.pick(1, 1000, 10001, 65532, 2147483647, 2**62)),
            (2, 0),
            (1, lambda: self.pick(-1, -1000, INT64_MIN)),
            (1, None),
            (1, lambda: self.r.choice(HUGE)),
            (1, self.wrong),
        ])

    # --- securityContext ---------------------------------------------------

    def profile_obj(self, types):
        return self.weighted([
            (6, lambda: {"type": self.r.choice(types)}),
            (1, lambda: {"type": "Localhost", "localhostProfile": "p.json"}),
            (1, {}),
            (1, None),
            (1, self.wrong),
            (1, lambda: {"type": self.wrong()}),
        ])

    def selinux(self):
        return self.weighted([
            (4, lambda: {"level": "s0:c1,c2"}),
            (3, lambda: {"type": self.pick("container_t", "container_init_t", "spc_t", "",
                                           "container_kvm_t", "unconfined_t")}),
            (2, lambda: {"user": self.pick("", "root", "system_u")}),
            (2, lambda: {"role": self.pick("", "sysadm_r")}),
            (1, lambda: {"type": self.wrong()}),
            (1, None),
            (1, self.wrong),
        ])

    def sc_fields(self, pod):
        """Random subset of the fields both pod and container contexts carry."""
        sc = {}
        if self.chance(0.7):
            sc["runAsNonRoot"] = self.bool_value(True)
        if self.chance(0.7):
            sc["runAsUser"] = self.id_value()
        if self.chance(0.6):
            sc["runAsGroup"] = self.id_value()
        if self.chance(0.5):
            sc["seccompProfile"] = self.profile_obj(["RuntimeDefault", "Localhost",
                                                     "Unconfined", "Bogus"])
        if self.chance(0.15):
            sc["seLinuxOptions"] = self.selinux()
        if self.chance(0.15):
            sc["appArmorProfile"] = self.profile_obj(["RuntimeDefault", "Localhost",
                                                      "Unconfined"])
        if self.chance(0.1):
            sc["windowsOptions"] = self.weighted([
                (3, lambda: {"hostProcess": self.bool_value(False)}),
                (1, {"gmsaCredentialSpecName": "x"}),
                (1, self.wrong),
            ])
        if pod:
            if self.chance(0.2):
                sc["fsGroup"] = self.id_value()
            if self.chance(0.15):
                sc["supplementalGroups"] = self.weighted([
                    (4, lambda: [self.id_value() for _ in range(self.r.randint(0, 3))]),
                    (1, self.wrong),
                ])
            if self.chance(0.15):
                sc["sysctls"] = self.weighted([
                    (5, lambda: [self.sysctl() for _ in range(self.r.randint(0, 3))]),
                    (1, self.wrong),
                ])
        return sc

    def sysctl(self):
        return self.weighted([
            (3, lambda: {"name": self.pick("net.ipv4.tcp_syncookies", "kernel.shm_rmid_forced",
                                           "net.ipv4.ip_unprivileged_port_start",
                                           "net.ipv4.tcp_notsent_lowat"), "value": "1"}),
            (2, lambda: {"name": self.pick("kernel.msgmax", "net.core.somaxconn",
                                           "NET.IPV4.TCP_SYNCOOKIES", " net.ipv4.tcp_rmem", ""),
                         "value": "1"}),
            (1, lambda: {"name": self.wrong()}),
            (1, {"value": "1"}),
        ])

    def capabilities(self):
        def drop():
            return self.weighted([
                (6, ["ALL"]),
                (1, ["all"]),
                (1, lambda: [self.pick("All", " ALL", "CAP_ALL", "NET_RAW", "CHOWN")]),
                (1, ["NET_RAW", "ALL"]),
                (1, []),
                (1, None),
                (1, self.wrong),
            ])

        def add():
            return self.weighted([
                (3, lambda: [self.pick("NET_BIND_SERVICE", "CHOWN", "SYS_ADMIN", "sys_admin",
                                       "CAP_SYS_ADMIN", " SYS_ADMIN ", "NET_RAW", "cap_chown",
                                       "", "ALL")
                             for _ in range(self.r.randint(1, 2))]),
                (1, lambda: [self.wrong()]),
                (1, self.wrong),
                (1, []),
            ])

        caps = {}
        if self.chance(0.85):
            caps["drop"] = drop()
        if self.chance(0.25):
            caps["add"] = add()
        return self.weighted([(10, caps), (1, None), (1, self.wrong)])

    def container_sc(self):
        if self.chance(0.08):
            return self.wrong()
        if self.chance(0.08):
            return None
        sc = self.sc_fields(pod=False)
        if self.chance(0.85):
            sc["allowPrivilegeEscalation"] = self.bool_value(False)
        if self.chance(0.4):
            sc["privileged"] = self.bool_value(False)
        if self.chance(0.85):
            sc["readOnlyRootFilesystem"] = self.bool_value(True)
        if self.chance(0.85):
            sc["capabilities"] = self.capabilities()
        if self.chance(0.1):
            sc["procMount"] = self.weighted([(3, "Default"), (2, "Unmasked"), (1, "default"),
                                             (1, self.wrong)])
        return sc

    def pod_sc(self):
        if self.chance(0.04):
            return self.wrong()
        if self.chance(0.15):
            return None
        return self.sc_fields(pod=True)

    # --- containers ---------------------------------------------------------

    def quantity(self, good):
        return self.weighted([
            (16, good),
            (1, ""),
            (1, lambda: self.pick(1, 0.5, 512, 0, -1, -0.5, 0.0, 1e-3)),
            (1, None),
            (1, lambda: self.pick(True, [], {}, " ")),
            # zero, negative and refused quantities, and valid odd spellings
            (2, lambda: self.pick("0", "0m", "0Mi", "-0", "0.000", "-", ".", "Mi", "e-9", "-1",
                                  "-100m", "-.5Gi")),
            (2, lambda: self.pick("1KB", "128MB", "1K", "1mi", "1e", "1e+", "1 core", "0x10",
                                  "Pi", "Ei", "e-10", "1..5", "1m5", "--1", "1e99999999999999999999")),
            (2, lambda: self.pick("1e3", "1E+3", "1e-20", ".5", "5.", "1.G", "+1", "1.5Gi",
                                  " 2Gi ", "\t100m\n", "\u00a01\u3000", "007", "1n", "1Ei")),
        ])

    def resources(self):
        def section(cpu, mem):
            d = {}
            if self.chance(0.9):
                d["cpu"] = self.quantity(cpu)
            if self.chance(0.9):
                d["memory"] = self.quantity(mem)
            return self.weighted([(10, d), (1, None), (1, self.wrong)])

        res = {}
        if self.chance(0.9):
            res["requests"] = section("100m", "64Mi")
        if self.chance(0.9):
            res["limits"] = section("1", "128Mi")
        return self.weighted([(10, res), (1, None), (1, self.wrong)])

    def port(self):
        p = {"containerPort": self.weighted([
            (5, lambda: self.pick(8080, 8443, 5000, 1024, 65535)),
            (3, lambda: self.pick(80, 443, 22, 1023, 1)),
            (1, lambda: self.pick("80", 80.0, -1, 0, 2**64, None)),
        ])}
        if self.chance(0.2):
            p["hostPort"] = self.weighted([(2, 0), (3, lambda: self.pick(80, 8080, 30000)),
                                           (1, lambda: self.pick("0", 0.0, -1, None, 2**64))])
        if self.chance(0.2):
            p["protocol"] = "TCP"
        return p

    def env(self):
        out = []
        for _ in range(self.r.randint(0, 4)):
            out.append(self.weighted([
                (3, lambda: {"name": "ASPNETCORE_URLS", "value": self.pick(
                    "http://+:80", "http://+:8080", "https://[::]:8443;http://localhost",
                    "http://*:5000;https://*:443", "http://localhost", "https://example.com",
                    "http://[::]", "http://0.0.0.0:1023/", "http://+:8080;http://+:80",
                    "HTTP://+:80", " http://+:8080 ", "garbage", "", "http://+:abc")}),
                (2, lambda: {"name": self.pick("ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS"),
                             "value": self.pick("8080", "80", "8080;443", "8080,80", " 8443 ,  81",
                                                "8443", "x", "", "65536", "1024")}),
                (2, lambda: {"name": self.pick("DOTNET_EnableDiagnostics",
                                               "COMPlus_EnableDiagnostics",
                                               "DOTNET_gcServer", "ASPNETCORE_ENVIRONMENT",
                                               "dotnet_EnableDiagnostics"),
                             "value": self.pick("0", "1", "false", " 0")}),
                (2, lambda: {"name": self.pick("PATH", "HOME", "LOG_LEVEL"), "value": "x"}),
                (1, lambda: {"name": "ASPNETCORE_URLS",
                             "valueFrom": {"configMapKeyRef": {"name": "c", "key": "k"}}}),
                (1, lambda: {"name": self.pick("ASPNETCORE_URLS", "ASPNETCORE_HTTP_PORTS"),
                             "value": self.wrong()}),
            ]))
        return out

    def probe(self):
        handler = self.pick("httpGet", "tcpSocket", "exec")
        if handler == "exec":
            return {"exec": {"command": ["true"]}}
        h = {"port": 8080}
        if self.chance(0.4):
            h["host"] = self.weighted([(2, "127.0.0.1"), (2, ""), (1, None),
                                       (1, lambda: self.pick(5, [], "example.com"))])
        return {handler: h}

    def container(self, name, ephemeral):
        c = {"name": name, "image": self.pick(
            "registry.example.com/shop/web:1", "nginx:1.27", "busybox",
            "mcr.microsoft.com/dotnet/aspnet:8.0", "mcr.microsoft.com/dotnet/runtime:8.0",
            "MCR.microsoft.com/dotnet/aspnet:8.0", "docker.io/library/dotnet:8")}
        if self.chance(0.92):
            c["securityContext"] = self.container_sc()
        if not ephemeral and self.chance(0.9):
            c["resources"] = self.resources()
        if self.chance(0.5):
            c["ports"] = self.weighted([(8, lambda: [self.port()
                                                     for _ in range(self.r.randint(1, 3))]),
                                        (1, lambda: [self.wrong()])])
        if self.chance(0.5):
            c["env"] = self.env()
        if self.chance(0.3):
            c["volumeMounts"] = [self.weighted([
                (3, lambda: {"name": "tmp", "mountPath": "/tmp"}),
                (1, lambda: {"name": "tmp", "mountPath": "/tmp", "readOnly": True}),
                (1, lambda: {"name": "tmp", "mountPath": "/tmp", "readOnly": False}),
                (1, lambda: {"name": "tmp", "mountPath": "/tmp", "readOnly": "true"}),
                (1, lambda: {"name": "data", "mountPath": self.pick("/data", "/tmp/x", "/tmp/")}),
            ]) for _ in range(self.r.randint(1, 2))]
        for p in ("livenessProbe", "readinessProbe", "startupProbe"):
            if self.chance(0.15):
                c[p] = self.probe()
        if self.chance(0.1):
            c["lifecycle"] = {self.pick("postStart", "preStop"): self.probe()}
        return c

    def volume(self, i):
        v = {"name": "v%d" % i}
        src = self.weighted([
            (4, lambda: self.pick("emptyDir", "configMap", "secret", "projected",
                                  "persistentVolumeClaim", "downwardAPI", "csi", "ephemeral",
                                  "image")),
            (2, lambda: self.pick("hostPath", "nfs", "gitRepo", "iscsi", "cephfs", "rbd",
                                  "awsElasticBlockStore", "flexVolume", "azureFile")),
            (1, lambda: self.pick("fooVolume", "hostpath")),
            (1, None),
        ])
        if src is not None:
            v[src] = self.weighted([(8, {}), (1, None)])
        return v

    # --- pod spec and object ----------------------------------------------------

    def pod_spec(self):
        spec = {}
        sc = self.pod_sc()
        if sc is not None or self.chance(0.1):
            spec["securityContext"] = sc
        names = iter("c%d" % i for i in range(100))
        for key, lo, hi, p in (("initContainers", 1, 2, 0.35),
                               ("containers", 1, 3, 0.97),
                               ("ephemeralContainers", 1, 1, 0.2)):
            if self.chance(p):
                spec[key] = [self.container(next(names), key == "ephemeralContainers")
                             for _ in range(self.r.randint(lo, hi))]
        for f in ("hostNetwork", "hostPID", "hostIPC"):
            if self.chance(0.08):
                spec[f] = self.bool_value(False)
        if self.chance(0.15):
            spec["hostUsers"] = self.weighted([(2, False), (2, True), (1, "false")])
        if self.chance(0.1):
            spec["os"] = {"name": self.pick("windows", "linux", "Windows")}
        if self.chance(0.4):
            spec["volumes"] = self.weighted([
                (20, lambda: [self.volume(i) for i in range(self.r.randint(1, 3))]),
                (1, lambda: [self.volume(0), self.wrong()]),
                (1, self.wrong),
            ])
        if self.chance(0.1):
            spec["automountServiceAccountToken"] = self.bool_value(False)
        return spec

    def metadata(self, name):
        meta = {"name": name}
        if self.chance(0.15):
            meta["annotations"] = {
                "container.apparmor.security.beta.kubernetes.io/c0": self.pick(
                    "runtime/default", "localhost/prof", "unconfined", "", "Runtime/Default",
                    "localhost"),
                "example.com/other": "x",
            }
        return meta

    def broken(self, obj, spec_parent, spec_key):
        """Makes the structure unwalkable in one of the ways docs/policy.md lists."""
        how = self.r.randint(0, 3)
        if how == 0:
            spec_parent[spec_key] = self.pick("x", [], 5)
        elif how == 1:
            spec_parent[spec_key]["containers"] = self.pick({}, "x", 1)
        elif how == 2:
            spec_parent[spec_key]["initContainers"] = [self.pick(1, "x", [])]
        else:
            del spec_parent[spec_key]

    def object(self, i):
        name = "obj-%d" % i
        if self.chance(0.02):
            kind, api = self.r.choice(NO_POD_SPEC)
            return {"apiVersion": api, "kind": kind, "metadata": {"name": name},
                    "spec": {"template": {"spec": self.pod_spec()}, "hostNetwork": True,
                             "containers": [{"name": "x",
                                             "securityContext": {"privileged": True}}]}}
        kind, versions = self.r.choice(KINDS)
        api = self.r.choice(versions)
        pod = {"metadata": self.metadata(name), "spec": self.pod_spec()}
        obj = {"apiVersion": api, "kind": kind, "metadata": {"name": name, "namespace": "shop"}}
        if kind == "EphemeralContainers":
            # Kubernetes 1.16 to 1.21: only the ephemeral containers are
            # known; pod fields beside them (unknown to the API) are not read.
            obj["metadata"] = pod["metadata"]
            spec = pod["spec"]
            obj["ephemeralContainers"] = spec.get("ephemeralContainers", spec.get("containers"))
            if self.chance(0.2):
                obj["securityContext"] = spec.get("securityContext")
                obj["hostPID"] = True
            if self.chance(0.02):
                obj["ephemeralContainers"] = self.wrong()
            return obj
        if kind == "Pod":
            obj["metadata"] = pod["metadata"]
            obj["spec"] = pod["spec"]
            parent, key = obj, "spec"
        elif kind == "PodTemplate":
            obj["template"] = pod
            parent, key = pod, "spec"
        elif kind == "CronJob":
            obj["spec"] = {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": pod}}}
            parent, key = pod, "spec"
        else:
            obj["spec"] = {"replicas": 1, "template": pod}
            parent, key = pod, "spec"
        if self.chance(0.01):
            self.broken(obj, parent, key)
        if self.chance(0.02) and isinstance(parent.get(key), dict):
            # Unknown fields anywhere are ignored, as the apiserver drops them.
            parent[key]["securityContextt"] = {"privileged": True}
            obj["unknownField"] = {"runAsUser": 0}
        return obj


INT64_MIN = -(2**63)


def generate(seed, count):
    g = Gen(seed)
    for i in range(count):
        yield g.object(i)
