# SPDX-License-Identifier: Apache-2.0
"""The kubectl differential test: the same files go to `kubectl create -f`
(against fakeapi.py, which records what kubectl posts) and to decode_dump
(the audit's own reading path), and the objects are compared.

Per file:
- both read it without error: the objects must be equal, in order, as JSON
  values (an integer is not a float: kubectl posts 1.0 as 1);
- kubectl refuses it and hardpod reads it without error: failure;
- hardpod refuses some of it and kubectl reads it: listed for review (the
  error must say why), and the objects hardpod did read must be among
  kubectl's, in order;
- both refuse it: agreement.
A document without kind and apiVersion is no Kubernetes object: kubectl
refuses it ("Object 'Kind' is missing"), hardpod hands it to the engine,
which passes it; both are counted apart, and must hold the same mapping.

Usage: differential.py --decode-dump PATH [--count N] [--seed S] [--keep DIR]
                       [--verbose] [FILE...]
Without FILE, the inputs are every *.yaml, *.yml and *.json file under the
fixtures ($HP_FIXTURES_DIR), the psa and dotnet corpora ($HP_CORPUS_DIR)
when present, and N generated edge cases (gen_yaml.py). Exit 0 on agreement,
1 on any divergence.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_yaml  # noqa: E402

# kubectl writes this namespace into every namespaced object that has none;
# the comparison takes it out again.
UNSET_NS = "kdiff-unset-namespace"
MARKER = {"apiVersion": "v1", "kind": "ConfigMap",
          "metadata": {"name": "kdiff-marker", "annotations": {"kdiff.hardpod.dev/marker": "1"}}}
EXTS = (".yaml", ".yml", ".json")
WORKERS = 2
BATCH = 60  # files per kubectl process


def collect_inputs(args, tmp):
    """[(display name, path)] of every input."""
    if args.files:
        return [(f, f) for f in args.files]
    out = []
    fixtures = os.environ.get("HP_FIXTURES_DIR") or os.path.join(HERE, "..", "fixtures")
    roots = [("fixtures", fixtures)]
    corpus = os.environ.get("HP_CORPUS_DIR") or os.path.join(HERE, "..", "..", "..", "shared",
                                                             "corpus")
    for name in ("psa", "dotnet"):
        d = os.path.join(corpus, name)
        if os.path.isdir(d):
            roots.append((f"corpus/{name}", d))
        else:
            print(f"note: {d} is absent: the {name} corpus is not compared")
    for label, root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for f in sorted(filenames):
                if f.endswith(EXTS):
                    p = os.path.join(dirpath, f)
                    out.append((os.path.join(label, os.path.relpath(p, root)), p))
    gen_dir = os.path.join(tmp, "generated")
    for p in gen_yaml.generate(gen_dir, args.count, args.seed):
        out.append((os.path.join("generated", os.path.basename(p)), p))
    return out


# ---- hardpod's side


def run_decode_dump(decode_dump, paths):
    """{path: [("obj", value) | ("error", msg) | ("evalerror", msg)]}"""
    res = subprocess.run([decode_dump] + paths, capture_output=True, timeout=300)
    if res.returncode not in (0,):
        raise SystemExit(f"decode_dump failed ({res.returncode}): {res.stderr.decode()[-2000:]}")
    out = {}
    cur = None
    for raw in res.stdout.split(b"\n"):
        if not raw:
            continue
        line = raw.decode("utf-8", "replace")
        if line.startswith("FILE "):
            cur = out.setdefault(line[5:], [])
        elif line.startswith("ERROR "):
            cur.append(("error", line[6:]))
        elif line.startswith("EVALERROR "):
            cur.append(("evalerror", line[10:]))
        else:
            cur.append(("obj", json.loads(line)))
    return out


def gvks(objs):
    """Every "group/version/Kind" hardpod read, so that kubectl can map it."""
    seen = set()
    for items in objs.values():
        for what, v in items:
            if what != "obj" or not isinstance(v, dict):
                continue
            av, kind = v.get("apiVersion"), v.get("kind")
            if isinstance(av, str) and isinstance(kind, str) and re.fullmatch(
                    r"([a-z0-9.-]+/)?v[0-9a-z]+", av) and re.fullmatch(r"[A-Za-z][A-Za-z0-9]*",
                                                                      kind):
                seen.add(f"{av}/{kind}")
    return sorted(seen)


# ---- kubectl's side


class FakeAPI:
    def __init__(self, tmp, extra):
        self.dir = os.path.join(tmp, "api")
        os.makedirs(self.dir)
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "fakeapi.py"), self.dir,
                                      str(WORKERS)] + extra)
        deadline = time.time() + 30
        ports = os.path.join(self.dir, "ports")
        while not os.path.exists(ports):
            if time.time() > deadline or self.proc.poll() is not None:
                raise SystemExit("the fake API server did not start")
            time.sleep(0.05)
        with open(ports) as f:
            self.ports = [int(p) for p in f.read().split()]
        self.kubeconfigs = []
        for i, port in enumerate(self.ports):
            kc = os.path.join(self.dir, f"kubeconfig.{i}")
            with open(kc, "w") as f:
                json.dump({"apiVersion": "v1", "kind": "Config",
                           "clusters": [{"name": "fake", "cluster": {
                               "server": f"http://127.0.0.1:{port}"}}],
                           "users": [{"name": "fake", "user": {}}],
                           "contexts": [{"name": "fake", "context": {
                               "cluster": "fake", "user": "fake", "namespace": UNSET_NS}}],
                           "current-context": "fake"}, f)
            self.kubeconfigs.append(kc)

    def record(self, i):
        return os.path.join(self.dir, f"record.{i}")

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def kubectl_batch(kubectl, api, slot, marker, paths, cache):
    """Runs one kubectl create over paths; returns {path: (posted, errors)}
    for the paths it got through (all of them unless kubectl stopped)."""
    rec = api.record(slot)
    open(rec, "w").close()
    cmd = [kubectl, "create", "--validate=false", "--cache-dir", cache]
    for p in paths:
        cmd += ["-f", p, "-f", marker]
    env = dict(os.environ, KUBECONFIG=api.kubeconfigs[slot])
    res = subprocess.run(cmd, capture_output=True, env=env, timeout=120)
    posted = [[]]
    with open(rec) as f:
        for line in f:
            r = json.loads(line)
            if r["method"] == "GET":
                continue
            body = r["body"]
            if body == MARKER or (isinstance(body, dict) and body.get("metadata", {}).get(
                    "annotations", {}).get("kdiff.hardpod.dev/marker") == "1"):
                posted.append([])
            else:
                posted[-1].append(body)
    errors = {p: [] for p in paths}
    stray = []
    cur = None
    for line in res.stderr.decode("utf-8", "replace").splitlines():
        hit = None
        for p in paths:
            if f'"{p}"' in line or f" {p}:" in line or f"'{p}'" in line:
                hit = p
                break
        if hit is not None:
            cur = errors[hit]
            cur.append(line)
        elif cur is not None and (line.startswith("ensure CRDs are installed") or (
                "is missing in '" in cur[-1] and not cur[-1].endswith("'"))):
            # The second line of a mapping error, or more of a document
            # quoted in an error ("Object 'Kind' is missing in '{...}'").
            cur[-1] += "\n" + line
        elif line.strip():
            stray.append(line)
    done = len(posted) - 1  # files followed by their marker
    out = {}
    for i, p in enumerate(paths[:done]):
        out[p] = (posted[i], errors[p])
    return out, stray, res


def run_kubectl(kubectl, api, tmp, paths):
    """{path: (posted objects, kubectl's errors)} and a list of problems."""
    marker = os.path.join(tmp, "marker.json")
    with open(marker, "w") as f:
        json.dump(MARKER, f)
    # kubectl's messages about list items name no file; files that may hold
    # lists go alone, which saves splitting batches to find them.
    alone, batched = [], []
    for p in paths:
        with open(p, "rb") as f:
            (alone if b"items" in f.read() else batched).append(p)
    batches = [batched[i:i + BATCH] for i in range(0, len(batched), BATCH)]
    batches += [[p] for p in alone]
    results = {}
    problems = []

    def run(slot, cache, todo):
        """Some of kubectl's messages name no file: the files are then
        split in halves until each such message has its file."""
        got, stray, res = kubectl_batch(kubectl, api, slot, marker, todo, cache)
        if stray and len(todo) > 1:
            half = len(todo) // 2
            run(slot, cache, todo[:half])
            run(slot, cache, todo[half:])
            return
        if stray:
            if todo[0] in got:
                got[todo[0]][1].extend(stray)
            else:
                got[todo[0]] = ([], stray)
        results.update(got)
        if len(got) < len(todo):
            # kubectl stopped inside a file: that file alone, then the rest.
            first = todo[len(got)]
            if len(todo) > 1:
                run(slot, cache, [first])
            elif first not in results:
                problems.append(f"kubectl stopped on {first}: "
                                f"{res.stderr.decode('utf-8', 'replace')[-500:]}")
                results[first] = ([], [res.stderr.decode("utf-8", "replace")])
            if todo[len(got) + 1:]:
                run(slot, cache, todo[len(got) + 1:])

    def worker(slot):
        cache = os.path.join(tmp, f"cache.{slot}")
        for b in batches[slot::WORKERS]:
            run(slot, cache, b)

    with ThreadPoolExecutor(WORKERS) as ex:
        list(ex.map(worker, range(min(WORKERS, len(batches)))))
    return results, problems


# ---- comparison


def canon(v):
    return json.dumps(v, sort_keys=True, ensure_ascii=False)


def pretty(v):
    return json.dumps(v, sort_keys=True, indent=2, ensure_ascii=False).splitlines()


def strip_unset_ns(obj):
    """kubectl's object without the namespace it wrote in; an AdmissionReview
    becomes its request.object, which is what hardpod evaluates."""
    if not isinstance(obj, dict):
        return obj
    meta = obj.get("metadata")
    if isinstance(meta, dict) and meta.get("namespace") == UNSET_NS:
        meta = dict(meta)
        del meta["namespace"]
        obj = dict(obj)
        obj["metadata"] = meta
    if obj.get("kind") == "AdmissionReview" and str(obj.get("apiVersion", "")).startswith(
            "admission.k8s.io/"):
        req = obj.get("request")
        return req.get("object") if isinstance(req, dict) else None
    return obj


def wide(v):
    """v with every number past int64 as a float: kubectl's JSON round trip
    keeps such a number only as a float64 (18446744073709551615 is posted as
    18446744073709552000), while hardpod keeps it exact or as the float it
    is; the same value either way."""
    if isinstance(v, dict):
        return {key: wide(x) for key, x in v.items()}
    if isinstance(v, list):
        return [wide(x) for x in v]
    if isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) >= 2**63:
        return float(v)
    return v


def same(k, h):
    if canon(k) == canon(h):
        return True
    k, h = wide(k), wide(h)
    if canon(k) == canon(h):
        return True
    # kubectl writes the namespace into metadata, creating it when absent or null.
    if isinstance(k, dict) and isinstance(h, dict) and k.get("metadata") == {} and h.get(
            "metadata") is None:
        k = {key: v for key, v in k.items() if key != "metadata"}
        h = {key: v for key, v in h.items() if key != "metadata"}
        return canon(k) == canon(h)
    return False


def is_subsequence(hs, ks):
    i = 0
    for h in hs:
        while i < len(ks) and not same(ks[i], h):
            i += 1
        if i == len(ks):
            return False
        i += 1
    return True


KIND_MISSING = re.compile(r"Object 'Kind' is missing in '(.*)'$", re.S)
NO_MATCH = re.compile(r"no matches for kind")


def compare(name, path, kres, hres, verbose):
    """Returns (category, lines to print)."""
    posted, kerrs = kres
    kobjs = []
    for b in posted:
        o = strip_unset_ns(b)
        if o is not None:
            kobjs.append(o)
    hobjs = [v for what, v in hres if what == "obj"]
    herrs = [v for what, v in hres if what == "error"]
    # AdmissionReviews without an object: kubectl creates the review, the
    # audit has nothing to evaluate. Not comparable.
    herrs = [e for e in herrs if not re.match(r"(line \d+: )?AdmissionReview: ", e)]

    mapping = [e for e in kerrs if NO_MATCH.search(e)]
    kindless_k = []
    decode = []
    for e in kerrs:
        if e in mapping:
            continue
        m = KIND_MISSING.search(e)
        if m:
            try:
                kindless_k.append(json.loads(m.group(1)))
                continue
            except ValueError:
                pass
        decode.append(e)
    kindless_h = [o for o in hobjs if not isinstance(o, dict) or (
        "kind" not in o and "apiVersion" not in o)]
    hobjs = [o for o in hobjs if not any(o is x for x in kindless_h)]
    # Pair the documents both read as no Kubernetes object.
    unpaired_k = list(kindless_k)
    unpaired_h = []
    for o in kindless_h:
        for i, k in enumerate(unpaired_k):
            if not isinstance(k, dict) or ("kind" not in k and "apiVersion" not in k):
                del unpaired_k[i]
                break
        else:
            unpaired_h.append(o)
    decode += [f"Object 'Kind' is missing in '{canon(k)}'" for k in unpaired_k]
    hobjs = unpaired_h + hobjs if unpaired_h else hobjs

    head = [f"--- {name}"]
    if mapping and not herrs:
        # kubectl cannot map a kind that no API server serves (a list kind
        # such as PodList, or a kind in the wrong group) and creates nothing;
        # hardpod cannot know what a cluster serves and audits the objects
        # it holds: stricter, never a pass for something kubectl creates.
        return "kubectl-unmapped", head + ["  kubectl: " + e for e in mapping] + [
            "  hardpod audits: " + ("; ".join(ident(h) for h in hobjs) or "nothing")]
    if mapping and herrs and not hobjs:
        return "both-refuse", (head + ["  kubectl: " + e for e in mapping] +
                               ["  hardpod: " + e for e in herrs]) if verbose else []
    if mapping:
        return "fail", head + ["kubectl cannot map a kind, and hardpod's reading differs:"] + \
            mapping + ["  hardpod: " + e for e in herrs]
    if not decode and not herrs:
        if len(kobjs) == len(hobjs) and all(same(k, h) for k, h in zip(kobjs, hobjs)):
            return ("agree-kindless" if kindless_k else "agree"), []
        return "fail", head + ["both read it, the objects differ:"] + \
            diff(kobjs, hobjs) + source(path)
    if decode and not herrs:
        return "fail", head + ["kubectl refuses it, hardpod reads it:"] + \
            ["  kubectl: " + e for e in decode] + \
            diff(kobjs, hobjs) + source(path)
    if herrs and not decode:
        if not is_subsequence(hobjs, kobjs):
            return "fail", head + ["hardpod refuses part of it, and what it reads differs:"] + \
                ["  hardpod: " + e for e in herrs] + diff(kobjs, hobjs) + source(path)
        return "hardpod-refuses", head + ["  hardpod: " + e for e in herrs] + (
            source(path) if verbose else [])
    return "both-refuse", (head + ["  kubectl: " + e for e in decode] +
                           ["  hardpod: " + e for e in herrs]) if verbose else []


def show(v):
    t = type(v).__name__ if not isinstance(v, bool) else "bool"
    text = canon(v)
    if len(text) > 120:
        text = text[:117] + "..."
    return f"{text} ({t})" if isinstance(v, (int, float)) and not isinstance(v, bool) else text


def paths_diff(k, h, path, out):
    """Lines "path: kubectl X, hardpod Y" for every place k and h differ."""
    if isinstance(k, dict) and isinstance(h, dict):
        for key in sorted(set(k) | set(h)):
            p = f"{path}.{key}" if path else key
            if key not in h:
                out.append(f"    {p}: kubectl {show(k[key])}, hardpod absent")
            elif key not in k:
                out.append(f"    {p}: kubectl absent, hardpod {show(h[key])}")
            else:
                paths_diff(k[key], h[key], p, out)
    elif isinstance(k, list) and isinstance(h, list) and len(k) == len(h):
        for i, (a, b) in enumerate(zip(k, h)):
            paths_diff(a, b, f"{path}[{i}]", out)
    elif canon(k) != canon(h):
        out.append(f"    {path or '(document)'}: kubectl {show(k)}, hardpod {show(h)}")


def ident(o):
    if not isinstance(o, dict):
        return show(o)
    meta = o.get("metadata") if isinstance(o.get("metadata"), dict) else {}
    return f"{o.get('apiVersion')} {o.get('kind')} {meta.get('name')}"


def diff(ks, hs):
    out = []
    if len(ks) != len(hs):
        out.append(f"  kubectl: {len(ks)} objects: " + "; ".join(ident(k) for k in ks))
        out.append(f"  hardpod: {len(hs)} objects: " + "; ".join(ident(h) for h in hs))
    for i, (k, h) in enumerate(zip(ks, hs)):
        lines = []
        paths_diff(k, h, "", lines)
        if lines:
            out.append(f"  object {i} ({ident(k)}):")
            out += lines
    return out


def source(path, limit=40):
    try:
        with open(path, "rb") as f:
            data = f.read(8192)
    except OSError:
        return []
    lines = data.decode("utf-8", "replace").splitlines()
    out = ["input:"] + ["  | " + line for line in lines[:limit]]
    if len(lines) > limit:
        out.append(f"  | ... ({len(lines)} lines)")
    return out


# What kubectl posts must be what it read: these objects, written as JSON,
# must come back exactly (an object without a namespace gets UNSET_NS, taken
# out again), or the harness itself is wrong.
SELF_CHECK = [
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "self-a", "namespace": "kube-system",
                                                     "labels": {"x": "é\u2028"}},
     "spec": {"hostPID": True, "containers": [{"name": "c", "image": "i", "securityContext": {
         "privileged": False, "runAsUser": 0, "seLinuxOptions": {"level": "s0:c1"}}}],
         "x-float": 1.5, "x-null": None, "x-list": [[], {}, -1, "1"]}},
    {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "self-b"},
     "spec": {"template": {"spec": {"containers": []}}}},
]


def self_check(kubectl, api, tmp):
    paths = []
    for i, obj in enumerate(SELF_CHECK):
        p = os.path.join(tmp, f"self-check-{i}.json")
        with open(p, "w") as f:
            json.dump(obj, f)
        paths.append(p)
    res, problems = run_kubectl(kubectl, api, tmp, paths)
    for p, want in zip(paths, SELF_CHECK):
        posted, errors = res.get(p, ([], ["nothing"]))
        got = [strip_unset_ns(o) for o in posted]
        if errors or len(got) != 1 or not same(got[0], want):
            problems.append(f"kubectl did not post {os.path.basename(p)} as written: "
                            f"posted {canon(posted)}, errors {errors}")
    return problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--decode-dump", required=True)
    ap.add_argument("--kubectl", default="kubectl")
    ap.add_argument("--count", type=int, default=300, help="generated cases")
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--keep", help="keep the work files in this directory")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("files", nargs="*")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="hardpod-kdiff.")
    api = None
    try:
        start = time.time()
        inputs = collect_inputs(args, tmp)
        # Short unique names, so that kubectl's messages name exactly one file.
        indir = os.path.join(tmp, "in")
        os.makedirs(indir)
        names = {}
        paths = []
        for i, (name, p) in enumerate(inputs):
            ext = os.path.splitext(p)[1] or ".yaml"
            link = os.path.join(indir, f"{i:05d}{ext}")
            os.symlink(os.path.abspath(p), link)
            names[link] = (name, p)
            paths.append(link)
        hres = run_decode_dump(args.decode_dump, paths)
        api = FakeAPI(tmp, gvks(hres))
        problems = self_check(args.kubectl, api, tmp)
        kres, more = run_kubectl(args.kubectl, api, tmp, paths)
        problems += more
        counts = {}
        out = {}
        for link in paths:
            name, p = names[link]
            cat, lines = compare(name, p, kres[link], hres.get(link, []), args.verbose)
            counts[cat] = counts.get(cat, 0) + 1
            out.setdefault(cat, []).extend(lines)
        for p in problems:
            print("problem:", p)
        titles = [("both-refuse", "Refused by both"),
                  ("hardpod-refuses", "Refused by hardpod, read by kubectl (the error must say "
                                      "why)"),
                  ("kubectl-unmapped", "Refused by kubectl for a kind no API server serves, "
                                       "audited by hardpod"),
                  ("fail", "DIVERGENCES")]
        for cat, title in titles:
            if out.get(cat):
                print(f"\n==== {title}: {counts[cat]} files")
                print("\n".join(out[cat]))
        n_fail = counts.get("fail", 0) + len(problems)
        print(f"\n{len(paths)} files in {time.time() - start:.1f} s: "
              f"{counts.get('agree', 0)} equal, "
              f"{counts.get('agree-kindless', 0)} equal with documents that are no Kubernetes "
              f"object, {counts.get('both-refuse', 0)} refused by both, "
              f"{counts.get('hardpod-refuses', 0)} refused by hardpod only, "
              f"{counts.get('kubectl-unmapped', 0)} of a kind kubectl cannot map, "
              f"{counts.get('fail', 0)} divergent")
        print(f"{len(paths) - n_fail} passed, {n_fail} failed")
        return 1 if n_fail else 0
    finally:
        if api is not None:
            api.stop()
        if args.keep:
            shutil.copytree(tmp, args.keep, symlinks=True, dirs_exist_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
