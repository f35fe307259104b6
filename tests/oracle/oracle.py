# SPDX-License-Identifier: Apache-2.0
"""An independent model of hardpod's policy, written from docs/policy.md.

evaluate(obj, profile) returns what docs/policy.md says hardpod must report for
one Kubernetes object: either a structural error (the object cannot be
evaluated) or the set of findings, each a tuple (check, action, container,
path) with container None for pod-level findings. Standard library only.
The model is deliberately simple and literal: one function per check, no
shared state, so that it disagrees loudly with the C engine when either one
drifts from the specification.
"""

import re

UNSET = object()  # the field is absent or JSON null
BROKEN = object()  # the securityContext holding the field is not an object

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

PROFILES = ("hardened", "psa-restricted", "psa-baseline")

HARDENED_WARN = {"seccompProfile", "restrictedVolumes", "privilegedPorts", "dotnetDiagnostics"}
HARDENED_OFF = {"automountServiceAccountToken"}
BASELINE_CHECKS = {
    "privileged",
    "capabilities",
    "hostNamespaces",
    "hostPathVolumes",
    "hostPorts",
    "procMount",
    "sysctls",
    "seLinuxOptions",
    "appArmorProfile",
    "windowsHostProcess",
    "hostProbesAndHostLifecycle",
    "seccompProfile",
}
RESTRICTED_CHECKS = BASELINE_CHECKS | {
    "allowPrivilegeEscalation",
    "runAsNonRoot",
    "runAsUser",
    "restrictedVolumes",
}

SAFE_SYSCTLS = {
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
    "net.ipv4.tcp_slow_start_after_idle",
    "net.ipv4.tcp_notsent_lowat",
}
SELINUX_TYPES = {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}
PROFILE_TYPES = {"RuntimeDefault", "Localhost"}
BASELINE_CAPS = {
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
}
ALLOWED_VOLUMES = {
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
}
# The volume sources of the Kubernetes API that restricted does not allow.
RESTRICTED_VOLUMES = {
    "hostPath",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "nfs",
    "iscsi",
    "glusterfs",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "fc",
    "azureFile",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "portworxVolume",
    "scaleIO",
    "storageos",
}
APPARMOR_PREFIX = "container.apparmor.security.beta.kubernetes.io/"

# Resource quantities (docs/policy.md, "Resource quantities").
QUANTITY_FORM = re.compile(r"([+-]?)([0-9]*)(\.[0-9]*)?([eEinumkKMGTP]*[+-]?[0-9]*)")
DECIMAL_SUFFIXES = {"": 0, "n": -9, "u": -6, "m": -3, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15,
                    "E": 18}
BINARY_SUFFIXES = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
# Go's unicode.IsSpace: what the API server trims around a quantity string.
GO_SPACE = " \t\n\v\f\r\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007" \
           "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
SIGNED_INT = re.compile(r"[+-]?[0-9]+")
PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
HOOKS = ("postStart", "preStop")
HANDLERS = ("httpGet", "tcpSocket")

# The EphemeralContainers object: containers at the top, the pod unknown.
EPHEMERAL = ((), None)
# (kind, group) -> (path to the pod spec, path to the pod metadata)
TEMPLATE = (("spec", "template", "spec"), ("spec", "template", "metadata"))
LOCATIONS = {
    ("Pod", ""): (("spec",), ("metadata",)),
    ("ReplicationController", ""): TEMPLATE,
    ("PodTemplate", ""): (("template", "spec"), ("template", "metadata")),
    ("Deployment", "apps"): TEMPLATE,
    ("Deployment", "extensions"): TEMPLATE,
    ("ReplicaSet", "apps"): TEMPLATE,
    ("ReplicaSet", "extensions"): TEMPLATE,
    ("DaemonSet", "apps"): TEMPLATE,
    ("DaemonSet", "extensions"): TEMPLATE,
    ("StatefulSet", "apps"): TEMPLATE,
    ("Job", "batch"): TEMPLATE,
    ("CronJob", "batch"): (
        ("spec", "jobTemplate", "spec", "template", "spec"),
        ("spec", "jobTemplate", "spec", "template", "metadata"),
    ),
}


class StructuralError(Exception):
    """The object's structure cannot be walked: hardpod reports an error."""


def is_bool(v):
    return type(v) is bool


def is_int64(v):
    return type(v) is int and INT64_MIN <= v <= INT64_MAX


def is_number(v):
    return (type(v) is int and INT64_MIN <= v <= INT64_MAX) or type(v) is float


def quantity_text(s):
    """'bad', 'zero', 'negative' or 'positive' for the text of a quantity."""
    m = QUANTITY_FORM.fullmatch(s)
    if s == "" or m is None:
        return "bad"
    sign, whole, frac, suffix = m.group(1), m.group(2), m.group(3) or "", m.group(4)
    if suffix in DECIMAL_SUFFIXES:
        base, exp = 10, DECIMAL_SUFFIXES[suffix]
    elif suffix in BINARY_SUFFIXES:
        base, exp = 2, BINARY_SUFFIXES[suffix]
    elif len(suffix) > 1 and suffix[0] in "eE" and SIGNED_INT.fullmatch(suffix[1:]):
        base, exp = 10, int(suffix[1:])
        if not INT64_MIN <= exp <= INT64_MAX:
            return "bad"
        exp = (exp + 2**31) % 2**32 - 2**31  # kept in 32 bits
    else:
        return "bad"
    digits = whole + frac[1:]
    if digits == "":
        # No digit at all: zero when small enough, else refused.
        ok = exp >= -9 if base == 10 else exp <= 40
        return "zero" if ok else "bad"
    if digits.strip("0") == "":
        return "zero"
    return "negative" if sign == "-" else "positive"


def quantity(v):
    """'unset', 'bad', 'zero', 'negative' or 'positive' for a JSON value."""
    if v is None:
        return "unset"
    if type(v) is bool:
        return "bad"
    if type(v) is int or type(v) is float:
        return "positive" if v > 0 else "zero" if v == 0 else "negative"
    if isinstance(v, str):
        return quantity_text(v.strip(GO_SPACE))
    return "bad"


def one_of(v, allowed):
    """v is a string in allowed (a set of strings)."""
    return isinstance(v, str) and v in allowed


def get(d, key):
    """A field of an object: UNSET when absent or null, BROKEN when d is BROKEN."""
    if d is BROKEN:
        return BROKEN
    v = d.get(key)
    return UNSET if v is None else v


def sc_of(holder):
    """The securityContext of a pod spec or container: a dict, or BROKEN."""
    sc = holder.get("securityContext")
    if sc is None:
        return {}
    return sc if isinstance(sc, dict) else BROKEN


def locate(obj):
    """(spec path, metadata path) for a kind with a pod spec, else None."""
    if not isinstance(obj, dict):
        return None
    kind, api = obj.get("kind"), obj.get("apiVersion")
    if not isinstance(kind, str) or not isinstance(api, str):
        return None
    if "/" in api:
        group, version = api.split("/", 1)
        if group == "" or version == "":
            return None
    else:
        group, version = "", api
        if version != "v1":
            return None
    if (kind, group) == ("EphemeralContainers", ""):
        return EPHEMERAL
    return LOCATIONS.get((kind, group))


def walk(obj, path):
    """The object at path; StructuralError when a step is missing or not an object."""
    cur, done = obj, []
    for key in path:
        v = cur.get(key)
        done.append(key)
        if v is None:
            raise StructuralError(".".join(done) + ": missing")
        if not isinstance(v, dict):
            raise StructuralError(".".join(done) + ": expected object")
        cur = v
    return cur


class Eval:
    """One evaluation: the pod spec, its containers and the findings so far."""

    def __init__(self, spec, meta, prefix, meta_prefix, profile):
        self.spec = spec
        self.meta = meta
        self.prefix = prefix
        self.meta_prefix = meta_prefix
        self.profile = profile
        self.level = {"hardened": "hardened", "psa-restricted": "restricted",
                      "psa-baseline": "baseline"}[profile]
        self.findings = set()
        self.pod_sc = sc_of(spec)
        self.psc = prefix + ".securityContext"
        self.containers = []  # (kind, name, container, path)
        for kind in ("initContainers", "containers", "ephemeralContainers"):
            lst = spec.get(kind)
            if lst is None:
                continue
            if not isinstance(lst, list):
                raise StructuralError(kind + ": expected array")
            for i, c in enumerate(lst):
                if not isinstance(c, dict):
                    raise StructuralError("%s[%d]: expected object" % (kind, i))
                name = c.get("name")
                where = "%s.%s[%d]" % (prefix, kind, i) if prefix else "%s[%d]" % (kind, i)
                self.containers.append((kind, name, c, where))
        self.windows = isinstance(spec.get("os"), dict) and spec["os"].get("name") == "windows"
        self.user_ns = spec.get("hostUsers") is False

    def enabled(self, check):
        if self.level == "hardened":
            return check not in HARDENED_OFF
        if self.level == "restricted":
            return check in RESTRICTED_CHECKS
        return check in BASELINE_CHECKS

    def action(self, check):
        if self.level == "hardened" and check in HARDENED_WARN:
            return "warn"
        return "deny"

    def add(self, check, container, path, action=None):
        self.findings.add((check, action or self.action(check), container, path))

    def ctrs(self, ephemeral=True):
        for kind, name, c, path in self.containers:
            if ephemeral or kind != "ephemeralContainers":
                yield name, c, path

    # --- inherited fields -------------------------------------------------

    def inherited(self, check, field, bad, required, subpath="", bad_action=None):
        """docs/policy.md's rules for a field a container inherits from the pod.

        bad(v) says whether a set value is forbidden. A forbidden pod value
        is one pod-level finding; a forbidden container value is a finding
        of that container; a required value set nowhere is a finding of
        every container that does not set it."""
        pv = get(self.pod_sc, field)
        pod_bad = pv is BROKEN or (pv is not UNSET and bad(pv))
        if pod_bad:
            self.add(check, None, "%s.%s%s" % (self.psc, field, subpath), bad_action)
        for name, c, path in self.ctrs():
            cv = get(sc_of(c), field)
            cpath = "%s.securityContext.%s%s" % (path, field, subpath)
            if cv is BROKEN or (cv is not UNSET and bad(cv)):
                self.add(check, name, cpath, bad_action)
            elif cv is UNSET and pv is UNSET and required:
                self.add(check, name, cpath)

    def check_run_as_non_root(self):
        if self.level != "hardened" and self.user_ns:
            return
        self.inherited("runAsNonRoot", "runAsNonRoot", lambda v: v is not True, True)

    def check_run_as_user(self):
        if self.level == "hardened":
            self.inherited("runAsUser", "runAsUser", lambda v: not (is_int64(v) and v >= 1), True)
        elif not self.user_ns:
            # PSA forbids 0; negative ids, which the API server rejects
            # anyway, are not let through either.
            self.inherited("runAsUser", "runAsUser", lambda v: not (is_int64(v) and v >= 1), False)

    def check_run_as_group(self):
        self.inherited("runAsGroup", "runAsGroup", lambda v: not (is_int64(v) and v >= 1), True)
        if self.pod_sc is BROKEN:
            return
        fs = get(self.pod_sc, "fsGroup")
        if fs is not UNSET and not (is_int64(fs) and fs >= 1):
            self.add("runAsGroup", None, self.psc + ".fsGroup")
        sg = get(self.pod_sc, "supplementalGroups")
        if sg is UNSET:
            return
        if not isinstance(sg, list):
            self.add("runAsGroup", None, self.psc + ".supplementalGroups")
            return
        for i, g in enumerate(sg):
            if not (is_int64(g) and g >= 1):
                self.add("runAsGroup", None, "%s.supplementalGroups[%d]" % (self.psc, i))

    def check_seccomp(self):
        def bad_restricted(v):
            return not isinstance(v, dict) or not one_of(v.get("type"), PROFILE_TYPES)

        if self.level == "baseline" or (self.level == "restricted" and self.windows):
            # Baseline's rule: a profile that is set must have a good type
            # (a missing type is not one), but none is required.
            self.inherited("seccompProfile", "seccompProfile", bad_restricted, False, ".type")
            return
        # hardened: a profile that is set with a bad type is a deny, as at
        # baseline, whatever the action; a missing one takes the action.
        floor = "deny" if self.level == "hardened" else None
        self.inherited("seccompProfile", "seccompProfile", bad_restricted, True, ".type", floor)

    # --- per-container fields ---------------------------------------------

    def check_allow_privilege_escalation(self):
        if self.level == "restricted" and self.windows:
            return
        for name, c, path in self.ctrs():
            if get(sc_of(c), "allowPrivilegeEscalation") is not False:
                self.add("allowPrivilegeEscalation", name,
                         path + ".securityContext.allowPrivilegeEscalation")

    def check_privileged(self):
        for name, c, path in self.ctrs():
            v = get(sc_of(c), "privileged")
            if v is not UNSET and v is not False:
                self.add("privileged", name, path + ".securityContext.privileged")

    def check_read_only_root(self):
        for name, c, path in self.ctrs():
            if get(sc_of(c), "readOnlyRootFilesystem") is not True:
                self.add("readOnlyRootFilesystem", name,
                         path + ".securityContext.readOnlyRootFilesystem")

    def check_capabilities(self):
        for name, c, path in self.ctrs():
            base = path + ".securityContext.capabilities"
            sc = sc_of(c)
            if sc is BROKEN:
                self.add("capabilities", name, base)
                continue
            caps = get(sc, "capabilities")
            if caps is UNSET:
                caps = {}
            if not isinstance(caps, dict):
                self.add("capabilities", name, base)
                continue
            self.check_drop(name, caps, base)
            add = get(caps, "add")
            if add is UNSET:
                continue
            if not isinstance(add, list):
                self.add("capabilities", name, base + ".add")
                continue
            for i, cap in enumerate(add):
                if not self.add_allowed(cap):
                    self.add("capabilities", name, "%s.add[%d]" % (base, i))

    def check_drop(self, name, caps, base):
        if self.level == "baseline" or (self.level == "restricted" and self.windows):
            return
        drop = get(caps, "drop")
        lst = drop if isinstance(drop, list) else []
        if "ALL" in lst:
            return
        if self.level == "hardened" and any(isinstance(d, str) and d.upper() == "ALL" for d in lst):
            self.add("capabilities", name, base + ".drop", "warn")
            return
        self.add("capabilities", name, base + ".drop")

    def add_allowed(self, cap):
        if not isinstance(cap, str):
            return False
        if self.level == "hardened":
            return False  # allowAdd is empty in the profile
        if self.level == "restricted" and not self.windows:
            return cap == "NET_BIND_SERVICE"
        return cap in BASELINE_CAPS

    def check_resources(self):
        for name, c, path in self.ctrs(ephemeral=False):
            res = c.get("resources")
            for section in ("requests", "limits"):
                sec = res.get(section) if isinstance(res, dict) else None
                for what in ("cpu", "memory"):
                    v = sec.get(what) if isinstance(sec, dict) else None
                    if quantity(v) != "positive":
                        self.add("resources", name, "%s.resources.%s.%s" % (path, section, what))

    def check_host_namespaces(self):
        for f in ("hostNetwork", "hostPID", "hostIPC"):
            v = self.spec.get(f)
            if v is not None and v is not False:
                self.add("hostNamespaces", None, "%s.%s" % (self.prefix, f))

    def volumes(self, check):
        """The volumes that are objects; a list or volume of the wrong type
        is a finding of the check reading it."""
        vols = self.spec.get("volumes")
        if vols is None:
            return
        if not isinstance(vols, list):
            self.add(check, None, self.prefix + ".volumes")
            return
        for i, v in enumerate(vols):
            if isinstance(v, dict):
                yield i, v
            else:
                self.add(check, None, "%s.volumes[%d]" % (self.prefix, i))

    def check_host_path_volumes(self):
        for i, v in self.volumes("hostPathVolumes"):
            if v.get("hostPath") is not None:
                self.add("hostPathVolumes", None, "%s.volumes[%d].hostPath" % (self.prefix, i))

    def check_restricted_volumes(self):
        # Only the allowed sources may be used: any other key but the name
        # is a source the API server does not allow at restricted (or does
        # not know).
        for i, v in self.volumes("restrictedVolumes"):
            for key in sorted(v):
                if key != "name" and key not in ALLOWED_VOLUMES and v[key] is not None:
                    # gitRepo is denied by hardened whatever the action.
                    floor = "deny" if key == "gitRepo" and self.level == "hardened" else None
                    self.add("restrictedVolumes", None, "%s.volumes[%d].%s" % (self.prefix, i, key),
                             floor)

    def check_host_ports(self):
        for name, c, path in self.ctrs():
            ports = c.get("ports")
            if not isinstance(ports, list):
                continue
            for i, p in enumerate(ports):
                if not isinstance(p, dict):
                    continue
                hp = p.get("hostPort")
                if hp is not None and not (is_int64(hp) and hp == 0):
                    self.add("hostPorts", name, "%s.ports[%d].hostPort" % (path, i))

    def check_proc_mount(self):
        for name, c, path in self.ctrs():
            v = get(sc_of(c), "procMount")
            if v is UNSET or v == "Default":
                continue
            if self.level != "restricted" and self.user_ns:
                continue  # any value, even an unreadable one, in a user namespace
            self.add("procMount", name, path + ".securityContext.procMount")

    def check_sysctls(self):
        if self.pod_sc is BROKEN:
            self.add("sysctls", None, self.psc + ".sysctls")
            return
        s = get(self.pod_sc, "sysctls")
        if s is UNSET:
            return
        if not isinstance(s, list):
            self.add("sysctls", None, self.psc + ".sysctls")
            return
        for i, e in enumerate(s):
            n = e.get("name") if isinstance(e, dict) else None
            if not one_of(n, SAFE_SYSCTLS):
                self.add("sysctls", None, "%s.sysctls[%d].name" % (self.psc, i))

    def own_contexts(self):
        """(container name or None, securityContext, path) for the pod and each container."""
        yield None, self.pod_sc, self.psc
        for name, c, path in self.ctrs():
            yield name, sc_of(c), path + ".securityContext"

    def check_selinux(self):
        for name, sc, path in self.own_contexts():
            so = get(sc, "seLinuxOptions")
            if so is UNSET:
                continue
            if so is BROKEN or not isinstance(so, dict):
                self.add("seLinuxOptions", name, path + ".seLinuxOptions")
                continue
            t = so.get("type")
            if t is not None and not one_of(t, SELINUX_TYPES):
                self.add("seLinuxOptions", name, path + ".seLinuxOptions.type")
            for f in ("user", "role"):
                if so.get(f) not in (None, ""):
                    self.add("seLinuxOptions", name, "%s.seLinuxOptions.%s" % (path, f))

    def check_apparmor(self):
        for name, sc, path in self.own_contexts():
            ap = get(sc, "appArmorProfile")
            if ap is UNSET:
                continue
            if ap is BROKEN or not isinstance(ap, dict) or not one_of(ap.get("type"), PROFILE_TYPES):
                self.add("appArmorProfile", name, path + ".appArmorProfile.type")
        ann = self.meta.get("annotations") if isinstance(self.meta, dict) else None
        if not isinstance(ann, dict):
            return
        for key, v in ann.items():
            if not key.startswith(APPARMOR_PREFIX):
                continue
            if v == "" or v == "runtime/default" or (isinstance(v, str) and v.startswith("localhost/")):
                continue
            self.add("appArmorProfile", None, '%s.annotations["%s"]' % (self.meta_prefix, key))

    def check_windows_host_process(self):
        for name, sc, path in self.own_contexts():
            wo = get(sc, "windowsOptions")
            if wo is UNSET:
                continue
            hp = wo.get("hostProcess") if isinstance(wo, dict) else BROKEN
            if hp is not None and hp is not False:
                self.add("windowsHostProcess", name, path + ".windowsOptions.hostProcess")

    def check_host_probes(self):
        for name, c, path in self.ctrs():
            places = [(p, c.get(p), path + "." + p) for p in PROBES]
            lc = c.get("lifecycle")
            if isinstance(lc, dict):
                places += [(h, lc.get(h), "%s.lifecycle.%s" % (path, h)) for h in HOOKS]
            for _, handler_set, hpath in places:
                if not isinstance(handler_set, dict):
                    continue
                for h in HANDLERS:
                    hd = handler_set.get(h)
                    if not isinstance(hd, dict):
                        continue
                    host = hd.get("host")
                    if host is not None and host != "":
                        self.add("hostProbesAndHostLifecycle", name, "%s.%s.host" % (hpath, h))

    # --- runtime warnings -----------------------------------------------

    def check_privileged_ports(self):
        for name, c, path in self.ctrs(ephemeral=False):
            ports = c.get("ports")
            if isinstance(ports, list):
                for i, p in enumerate(ports):
                    if not isinstance(p, dict):
                        continue
                    cp = p.get("containerPort")
                    if is_int64(cp) and privileged_port(cp):
                        self.add("privilegedPorts", name, "%s.ports[%d].containerPort" % (path, i))
            for i, e in env_vars(c):
                if kestrel_low_port(e.get("name"), e.get("value")):
                    self.add("privilegedPorts", name, "%s.env[%d].value" % (path, i))

    def check_dotnet(self):
        for name, c, path in self.ctrs():
            if not looks_like_dotnet(c):
                continue
            if get(sc_of(c), "readOnlyRootFilesystem") is not True:
                continue
            if any(e.get("name") in ("DOTNET_EnableDiagnostics", "COMPlus_EnableDiagnostics")
                   and e.get("value") == "0" for _, e in env_vars(c)):
                continue
            mounts = c.get("volumeMounts")
            if isinstance(mounts, list) and any(
                    isinstance(m, dict) and m.get("mountPath") in ("/tmp", "/tmp/")
                    and m.get("readOnly") is not True for m in mounts):
                continue
            self.add("dotnetDiagnostics", name, path + ".env")

    def check_automount(self):
        if self.spec.get("automountServiceAccountToken") is not False:
            self.add("automountServiceAccountToken", None,
                     self.prefix + ".automountServiceAccountToken")

    CHECKS = (
        ("runAsNonRoot", check_run_as_non_root),
        ("runAsUser", check_run_as_user),
        ("runAsGroup", check_run_as_group),
        ("allowPrivilegeEscalation", check_allow_privilege_escalation),
        ("privileged", check_privileged),
        ("capabilities", check_capabilities),
        ("readOnlyRootFilesystem", check_read_only_root),
        ("resources", check_resources),
        ("hostNamespaces", check_host_namespaces),
        ("hostPathVolumes", check_host_path_volumes),
        ("hostPorts", check_host_ports),
        ("procMount", check_proc_mount),
        ("sysctls", check_sysctls),
        ("seLinuxOptions", check_selinux),
        ("appArmorProfile", check_apparmor),
        ("windowsHostProcess", check_windows_host_process),
        ("hostProbesAndHostLifecycle", check_host_probes),
        ("seccompProfile", check_seccomp),
        ("restrictedVolumes", check_restricted_volumes),
        ("privilegedPorts", check_privileged_ports),
        ("dotnetDiagnostics", check_dotnet),
        ("automountServiceAccountToken", check_automount),
    )

    def run(self):
        for check, fn in self.CHECKS:
            if self.enabled(check):
                fn(self)
        return self.findings


def env_vars(c):
    env = c.get("env")
    if not isinstance(env, list):
        return
    for i, e in enumerate(env):
        if isinstance(e, dict):
            yield i, e


def looks_like_dotnet(c):
    image = c.get("image")
    if isinstance(image, str) and image.startswith("mcr.microsoft.com/dotnet/"):
        return True
    return any(isinstance(e.get("name"), str) and e["name"].startswith(("DOTNET_", "ASPNETCORE_"))
               for _, e in env_vars(c))


def parse_port(s):
    s = s.strip()
    if s == "" or not s.isdigit() or not s.isascii():
        return None
    return int(s)


def url_port(url):
    """The port Kestrel listens on for one ASPNETCORE_URLS entry, or None."""
    url = url.strip()
    if "://" not in url:
        return None
    scheme, rest = url.split("://", 1)
    scheme = scheme.lower()
    hostport = rest.split("/", 1)[0]
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0:
            return None
        after = hostport[end + 1:]
        port = after[1:] if after.startswith(":") else None
    elif ":" in hostport:
        port = hostport.rsplit(":", 1)[1]
    else:
        port = None
    if port is None:
        return {"http": 80, "https": 443}.get(scheme)
    return parse_port(port)


def kestrel_low_port(name, value):
    if not isinstance(value, str):
        return False
    if name == "ASPNETCORE_URLS":
        ports = [url_port(u) for u in value.split(";")]
    elif name in ("ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS"):
        ports = [parse_port(p) for p in value.replace(",", ";").split(";")]
    else:
        return False
    return any(p is not None and privileged_port(p) for p in ports)


def privileged_port(p):
    """Ports 1-1023 need NET_BIND_SERVICE; 0 and negative numbers are no port."""
    return 1 <= p < 1024


def evaluate(obj, profile="hardened"):
    """(error, findings): error is a message or None; findings a set of
    (check, action, container, path) tuples."""
    if profile not in PROFILES:
        raise ValueError("unknown profile " + profile)
    loc = locate(obj)
    if loc is None:
        return None, set()
    spec_path, meta_path = loc
    try:
        if loc is EPHEMERAL:
            # Only the ephemeral containers are known; no pod-level field is.
            spec = {"ephemeralContainers": obj.get("ephemeralContainers")}
            ev = Eval(spec, None, "", "metadata", profile)
            return None, ev.run()
        spec = walk(obj, spec_path)
        meta = obj
        for key in meta_path:
            meta = meta.get(key) if isinstance(meta, dict) else None
        ev = Eval(spec, meta, ".".join(spec_path), ".".join(meta_path), profile)
        return None, ev.run()
    except StructuralError as e:
        return str(e), set()
