# SPDX-License-Identifier: Apache-2.0
"""Checks what `hardpod audit --format patch` did to a kustomize build.

usage: patch_check.py COMPONENT BASE.yaml PATCHED.yaml BEFORE.json AFTER.json

COMPONENT is the generated kustomization (placeholders already replaced),
BASE.yaml and PATCHED.yaml what `kubectl kustomize` built without and with
it, BEFORE.json and AFTER.json `hardpod audit --format json --no-group` of
the two. Checks that:
- no rule failed to fix its finding (hardpod's own check says "still there
  once patched");
- every finding after the patch is one the component lists as not patched
  (a "#   not patched: CHECK PATH: ..." comment under its resource), and
  every finding listed so is still there;
- the objects differ only in the fields the patches set: container lists
  and env compared by name, atomic lists as a whole, nothing else added,
  removed or changed.
Prints one line per problem and exits 1 when there is any.
"""
import json
import re
import sys

import yaml

MERGED = {"containers", "initContainers", "ephemeralContainers", "env"}


def ident(obj):
    meta = obj.get("metadata") or {}
    return (obj.get("kind"), meta.get("namespace"), meta.get("name"))


def flatten(value, path, out):
    """Leaves of value keyed by path; lists merged by name keyed by name."""
    if isinstance(value, dict):
        if not value:
            out[path] = {}
        for k, v in value.items():
            flatten(v, path + (k,), out)
    elif isinstance(value, list) and path and path[-1] in MERGED and all(
        isinstance(x, dict) and "name" in x for x in value
    ):
        for item in value:
            flatten(item, path + ("name=" + str(item["name"]),), out)
    else:
        out[path] = value


def patch_paths(patch):
    """The paths a strategic-merge patch sets (a null removes the field)."""
    out = {}
    flatten({k: v for k, v in patch.items() if k not in ("apiVersion", "kind")}, (), out)
    paths = set()
    for p, v in out.items():
        if p[:2] == ("metadata", "name") or p[:2] == ("metadata", "namespace"):
            continue
        paths.add(p)
    return paths


def covered(path, paths):
    return any(path[: len(p)] == p for p in paths)


def load_docs(name):
    with open(name, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d]


def main():
    comp_file, base_file, patched_file, before_file, after_file = sys.argv[1:6]
    problems = []
    with open(comp_file, encoding="utf-8") as f:
        comp_text = f.read()
    comp = yaml.safe_load(comp_text)
    if comp.get("kind") != "Component":
        problems.append("the output is not a kustomize Component")
    for line in comp_text.splitlines():
        if "still there once patched" in line:
            problems.append("a rule did not fix its finding: " + line)
    patches = {}
    for entry in comp.get("patches") or []:
        body = yaml.safe_load(entry["patch"])
        t = entry["target"]
        key = (t["kind"], t.get("namespace"), t["name"])
        if ident(body) != key:
            problems.append("patch body %s does not match its target %s" % (ident(body), key))
        patches[key] = patch_paths(body)

    # The findings listed as not patched, by resource: the comment header
    # "# Kind ns/name (FILE:LINE): ..." and its "#   not patched:" lines.
    listed = {}
    current = None
    for line in comp_text.splitlines():
        m = re.match(r"^# (\S+) (?:(\S+)/)?(\S+) \(.*\): \d+ findings?, \d+ patched$", line)
        if m:
            current = (m.group(1), m.group(2), m.group(3))
            listed.setdefault(current, set())
            continue
        m = re.match(r"^#   not patched: (\w+) (\S+): ", line)
        if m and current is not None:
            listed[current].add((m.group(1), m.group(2)))

    def findings(report):
        with open(report, encoding="utf-8") as f:
            data = json.load(f)
        out = {}
        for r in data["resources"]:
            key = (r["kind"], r["namespace"], r["name"])
            out.setdefault(key, set()).update((x["check"], x["path"]) for x in r["findings"])
        return out

    before = findings(before_file)
    after = findings(after_file)
    for key, left in after.items():
        want = listed.get(key, set())
        for f in sorted(left - want):
            problems.append("%s: %s %s is there after the patch and not listed" % (key, *f))
        for f in sorted(want - left):
            problems.append("%s: %s %s is listed as not patched but is gone" % (key, *f))
    for key in before:
        if key not in after:
            problems.append("%s: gone after the patch" % (key,))

    base = {ident(d): d for d in load_docs(base_file)}
    patched = {ident(d): d for d in load_docs(patched_file)}
    if set(base) != set(patched):
        problems.append("the objects differ: %s" % (set(base) ^ set(patched),))
    for key, obj in base.items():
        if key not in patched:
            continue
        a, b = {}, {}
        flatten(obj, (), a)
        flatten(patched[key], (), b)
        paths = patches.get(key, set())
        for p in sorted(set(a) | set(b), key=str):
            va, vb = a.get(p, "<absent>"), b.get(p, "<absent>")
            # An empty object that gained fields, or lost the ones the patch removes.
            if va in ({}, "<absent>") and vb in ({}, "<absent>") and any(
                q[: len(p)] == p for q in paths
            ):
                continue
            if va != vb and not covered(p, paths):
                problems.append(
                    "%s: %s changed (%r -> %r) outside the patch"
                    % (key, ".".join(p), a.get(p, "<absent>"), b.get(p, "<absent>"))
                )
    for p in problems:
        print(p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
