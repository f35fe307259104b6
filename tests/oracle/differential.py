# SPDX-License-Identifier: Apache-2.0
"""Differential test: hardpod against the independent Python oracle.

Generates --count objects with gen.py (--seed), audits them with
`hardpod audit --format json` in batches (one multi-document stream per
batch and profile), evaluates them with oracle.py, and compares, per object,
whether it is an error and the set of (check, action, container, path)
findings. Objects kept as regression fixtures (--replay DIR: JSON files with
"profile" and "object") are compared the same way. Prints a summary, or every
disagreement with the object saved under --save-dir. Exit status: 0 no
disagreement, 1 disagreements, 2 hardpod could not be run.
"""

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # keep the source tree clean of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gen  # noqa: E402
import oracle  # noqa: E402


def run_hardpod(binary, profile, objects, tmpdir):
    """Audits objects as one YAML stream; returns per object (error, findings)."""
    path = os.path.join(tmpdir, "batch.yaml")
    with open(path, "w", encoding="utf-8") as f:
        # One document per line, each after its "---": object i is at line 2i+2. The
        # leading "---" makes the stream YAML, as kubectl tells them apart (a stream that
        # starts with "{" is read as concatenated JSON, where "---" is a syntax error).
        f.write("---\n" + "\n---\n".join(json.dumps(o, separators=(",", ":")) for o in objects))
        f.write("\n")
    proc = subprocess.run([binary, "audit", "--format", "json", "--profile", profile, path],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if proc.returncode not in (0, 1, 2):
        raise RuntimeError("hardpod audit exited %d: %s" % (proc.returncode,
                                                           proc.stderr.decode(errors="replace")))
    try:
        report = json.loads(proc.stdout)
    except ValueError as e:
        raise RuntimeError("hardpod audit printed no JSON report (exit %d): %s\n%s" % (
            proc.returncode, e, proc.stderr.decode(errors="replace")[:2000]))
    results = [None] * len(objects)

    def index(source):
        line = int(source.rsplit(":", 1)[1])
        if (line - 2) % 2 != 0 or not 0 <= (line - 2) // 2 < len(objects):
            raise RuntimeError("unexpected source " + source)
        return (line - 2) // 2

    for res in report["resources"]:
        i = index(res["source"])
        found = {(f["check"], f["action"], f["container"], f["path"]) for f in res["findings"]}
        results[i] = (None, found)
    for err in report["errors"]:
        i = index(err["source"])
        results[i] = (err["message"], set())
    for i, r in enumerate(results):
        if r is None:
            raise RuntimeError("hardpod reported nothing for object %d" % i)
    return results


def fmt(f):
    check, action, container, path = f
    return "%s|%s|%s|%s" % (check, action, "-" if container is None else container, path)


def as_posted(v):
    """The value kubectl would post for v: its JSON round trip writes an
    integral float within int64 as an integer (80.0 as 80) and an integer
    past int64 as a float (see docs/yaml.md). hardpod audit reads its input
    as kubectl does; the policy is then judged on what kubectl would send."""
    if isinstance(v, dict):
        return {k: as_posted(x) for k, x in v.items()}
    if isinstance(v, list):
        return [as_posted(x) for x in v]
    if isinstance(v, float) and v.is_integer() and -2**63 <= v < 2**63:
        return int(v)
    if isinstance(v, int) and not isinstance(v, bool) and not -2**63 <= v < 2**63:
        return float(v)
    return v


def compare(label, profile, obj, got, save_dir, out):
    """Compares one object; returns (number of findings compared, disagreed)."""
    herr, hfind = got
    oerr, ofind = oracle.evaluate(as_posted(obj), profile)
    if (herr is None) == (oerr is None) and hfind == ofind:
        return len(ofind), False
    os.makedirs(save_dir, exist_ok=True)
    name = os.path.join(save_dir, "%s-%s.json" % (label, profile))
    with open(name, "w", encoding="utf-8") as f:
        json.dump({"description": "disagreement " + label, "profile": profile, "object": obj},
                  f, indent=2, sort_keys=True)
        f.write("\n")
    lines = ["DISAGREEMENT %s (profile %s), saved to %s" % (label, profile, name)]
    if (herr is None) != (oerr is None):
        lines.append("  error: hardpod %r, oracle %r" % (herr, oerr))
    for f in sorted(hfind - ofind, key=fmt):
        lines.append("  only hardpod: " + fmt(f))
    for f in sorted(ofind - hfind, key=fmt):
        lines.append("  only oracle:  " + fmt(f))
    out.append("\n".join(lines))
    return len(ofind | hfind), True


def load_replays(paths):
    cases = []
    for p in paths:
        files = [p]
        if os.path.isdir(p):
            files = sorted(os.path.join(p, n) for n in os.listdir(p) if n.endswith(".json"))
        for fn in files:
            with open(fn, encoding="utf-8") as f:
                doc = json.load(f)
            if not isinstance(doc, dict) or "object" not in doc:
                raise RuntimeError("%s: expected an object with \"object\" and \"profile\"" % fn)
            cases.append((os.path.basename(fn)[:-5], doc.get("profile", "hardened"),
                          doc["object"]))
    return cases


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, default=20000, help="generated objects (default 20000)")
    ap.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    ap.add_argument("--profiles", default="hardened,psa-restricted,psa-baseline",
                    help="comma-separated profiles to compare under")
    ap.add_argument("--batch", type=int, default=4000, help="objects per hardpod run")
    ap.add_argument("--bin", default=os.environ.get("HP_BIN"), help="hardpod binary ($HP_BIN)")
    ap.add_argument("--replay", action="append", default=[],
                    help="regression fixture file or directory (repeatable)")
    ap.add_argument("--save-dir", default=None,
                    help="where disagreeing objects are written (default: a new temp dir)")
    ap.add_argument("--max-print", type=int, default=20, help="disagreements printed in full")
    args = ap.parse_args()
    if not args.bin:
        print("differential: set HP_BIN or pass --bin", file=sys.stderr)
        return 2
    profiles = [p for p in args.profiles.split(",") if p]
    for p in profiles:
        if p not in oracle.PROFILES:
            print("differential: unknown profile " + p, file=sys.stderr)
            return 2
    if not 1 <= args.batch <= 10000:
        print("differential: --batch must be 1..10000 (a stream holds at most 10,000 documents)",
              file=sys.stderr)
        return 2
    save_dir = args.save_dir or tempfile.mkdtemp(prefix="hardpod-oracle-")
    start = time.monotonic()
    n_objects = n_findings = n_dis = replay_n = 0
    out = []
    try:
        with tempfile.TemporaryDirectory(prefix="hardpod-diff-") as tmp:

            def run(items):
                """items: [(label, profile, object)], all of one profile."""
                nonlocal n_findings, n_dis
                got = run_hardpod(args.bin, items[0][1], [w[2] for w in items], tmp)
                for (label, prof, obj), g in zip(items, got):
                    nf, dis = compare(label, prof, obj, g, save_dir, out)
                    n_findings += nf
                    n_dis += dis

            replays = load_replays(args.replay)
            replay_n = len(replays)
            for profile in oracle.PROFILES:
                items = [("fixture-" + n, p, o) for n, p, o in replays if p == profile]
                if items:
                    run(items)
            # Objects are generated and compared one batch at a time, so a
            # long run needs no more memory than a short one.
            objs = gen.generate(args.seed, args.count)
            index = 0
            while True:
                chunk = list(itertools.islice(objs, args.batch))
                if not chunk:
                    break
                for profile in profiles:
                    run([("seed%d-obj%d" % (args.seed, index + i), profile, o)
                         for i, o in enumerate(chunk)])
                index += len(chunk)
            n_objects = index
    except RuntimeError as e:
        print("differential: " + str(e), file=sys.stderr)
        return 2
    for text in out[:args.max_print]:
        print(text)
    if len(out) > args.max_print:
        print("... %d more disagreements, all saved to %s" % (len(out) - args.max_print, save_dir))
    elapsed = time.monotonic() - start
    print("%d objects (seed %d) x %d profiles and %d regression fixtures, %d findings compared, "
          "%d disagreements (%.1f s)" % (n_objects, args.seed, len(profiles), replay_n, n_findings,
                                         n_dis, elapsed))
    if n_dis == 0 and not args.save_dir:
        os.rmdir(save_dir)
    return 1 if n_dis else 0


if __name__ == "__main__":
    sys.exit(main())
