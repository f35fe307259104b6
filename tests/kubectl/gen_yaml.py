# SPDX-License-Identifier: Apache-2.0
"""Generates YAML and JSON edge cases for the kubectl differential test:
anchors and aliases, merge keys in every position, tags, document
separators, indentation, block scalars, quoting, YAML 1.1 booleans and
numbers, duplicate keys, `items` lists, concatenated JSON, Lists, null and
empty documents. Every case is a Pod or a Deployment whose securityContext
(or kind, or namespace) is what varies, so that reading it differently
changes a verdict. Deterministic for a given seed and count.

Usage: gen_yaml.py DIR [COUNT] [SEED]   (writes DIR/NNNN-family.yaml)
"""

import base64
import json
import os
import random
import sys

# YAML 1.1 spellings go-yaml v2 reads as booleans, and others it does not.
BOOLS = ["true", "false", "True", "FALSE", "yes", "no", "Yes", "NO", "on", "off", "On", "OFF",
         "y", "n", "Y", "N", "tRUE", "yEs", "'true'", '"yes"', "1", "0", "~", "null", "''"]
# Spellings of numbers (runAsUser, runAsGroup): bases, separators, floats,
# sexagesimal, special floats, and strings that look like numbers.
NUMBERS = ["0", "1000", "-1", "+0", "-0", "00", "012", "0o12", "0x0", "0x3E8", "0b0", "0b1111",
           "1_000", "1__0", "1e3", "1E3", "1.0", "0.0", "1000.5", ".5", "1.e3", "1:20",
           "190:20:30", ".inf", "-.inf", ".nan", ".Inf", "9223372036854775807",
           "9223372036854775808", "18446744073709551615", "99999999999999999999", "0x_1",
           "'0'", '"1000"', "!!int '0'", "!!float 0", "!!str 0", "~", "1e400", "0.", "-0.0",
           "+1000", "1000 # c", "0777", "08", "0b2", "1_000.5"]
SECCOMP = ["RuntimeDefault", "Unconfined", "Localhost", "'Unconfined'", '"RuntimeDefault"']


def sc_fields(rng):
    """A securityContext as (key, value text) pairs, for the container."""
    fields = [("privileged", rng.choice(BOOLS)),
              ("runAsUser", rng.choice(NUMBERS)),
              ("allowPrivilegeEscalation", rng.choice(BOOLS)),
              ("runAsNonRoot", rng.choice(BOOLS))]
    rng.shuffle(fields)
    return fields[:rng.randint(1, 4)]


def pod(kind_line="kind: Pod", body_sc="{privileged: false}", pod_sc="{runAsNonRoot: true}",
        name="p", extra_meta="", extra_top=""):
    return (f"apiVersion: v1\n{kind_line}\nmetadata:\n  name: {name}\n{extra_meta}"
            f"spec:\n  hostPID: false\n  securityContext: {pod_sc}\n  containers:\n"
            f"  - name: c\n    image: nginx\n    securityContext: {body_sc}\n{extra_top}")


def deployment(body_sc="{privileged: false}", name="d"):
    return (f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}}}\nspec:\n"
            f"  selector: {{matchLabels: {{app: a}}}}\n  template:\n"
            f"    metadata: {{labels: {{app: a}}}}\n    spec:\n      containers:\n"
            f"      - name: c\n        image: nginx\n        securityContext: {body_sc}\n")


def flow(fields):
    return "{" + ", ".join(f"{k}: {v}" for k, v in fields) + "}"


def block(fields, indent):
    pad = " " * indent
    return "\n" + "".join(f"{pad}{k}: {v}\n" for k, v in fields).rstrip("\n")


# ---- families: each takes rng and returns (text, extension)


def scalars(rng):
    """YAML 1.1 booleans and numbers in flow and block style."""
    fields = sc_fields(rng)
    if rng.random() < 0.5:
        return pod(body_sc=flow(fields)), "yaml"
    return pod(body_sc=block(fields, 6)), "yaml"


def anchors(rng):
    v = rng.choice(BOOLS[:12])
    u = rng.choice(NUMBERS[:12])
    variants = [
        # An anchored mapping reused whole.
        f"apiVersion: v1\nkind: Pod\nmetadata: {{name: a}}\nx-sc: &sc {{privileged: {v}, "
        f"runAsUser: {u}}}\nspec:\n  containers:\n  - name: c\n    image: nginx\n"
        f"    securityContext: *sc\n",
        # Anchored scalars, the alias as a value and as a key.
        f"apiVersion: v1\nkind: Pod\nmetadata: {{name: &n a}}\nspec:\n  hostPID: &t {v}\n"
        f"  containers:\n  - name: *n\n    image: nginx\n    securityContext:\n"
        f"      privileged: *t\n      runAsUser: &u {u}\n      runAsGroup: *u\n",
        f"apiVersion: v1\nkind: Pod\nmetadata: {{name: a}}\nx: &k privileged\nspec:\n"
        f"  containers:\n  - name: c\n    image: nginx\n    securityContext: {{*k : {v}}}\n",
        # An anchor redefined: the alias takes the latest.
        f"apiVersion: v1\nkind: Pod\nmetadata: {{name: a}}\nx: &a false\ny: &a {v}\nspec:\n"
        f"  hostPID: *a\n  containers:\n  - {{name: c, image: nginx}}\n",
        # An alias to an undefined anchor, and one across documents.
        f"apiVersion: v1\nkind: Pod\nmetadata: {{name: a}}\nspec:\n  hostPID: *nope\n"
        f"  containers: []\n",
        f"x: &a {{privileged: true}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {{name: a}}\n"
        f"spec:\n  containers:\n  - name: c\n    image: nginx\n    securityContext: *a\n",
        # The whole containers list through an alias.
        f"apiVersion: v1\nkind: Pod\nmetadata: {{name: a}}\nx: &cs\n- name: c\n  image: nginx\n"
        f"  securityContext: {{privileged: {v}}}\nspec:\n  containers: *cs\n"
        f"  initContainers: *cs\n",
    ]
    return rng.choice(variants), "yaml"


def merges(rng):
    a = rng.choice(["true", "false", "yes", "on"])
    b = rng.choice(["true", "false", "no", "off"])
    sc = [
        f"{{privileged: {a}, <<: {{privileged: {b}}}}}",
        f"{{<<: {{privileged: {b}}}, privileged: {a}}}",
        f"\n      privileged: {a}\n      <<: {{privileged: {b}, runAsUser: 0}}",
        f"\n      <<: {{privileged: {b}}}\n      privileged: {a}",
        f"\n      <<: [{{privileged: {a}}}, {{privileged: {b}, runAsUser: 0}}]",
        f"\n      !!merge <<: {{privileged: {b}}}\n      allowPrivilegeEscalation: {a}",
        f"\n      privileged: {a}\n      !!merge <<: {{privileged: {b}}}",
        f"\n      '<<': {{privileged: {b}}}",
        f"\n      \"<<\": {{privileged: {b}}}",
        f"\n      <<: {{<<: {{privileged: {b}}}}}",
        f"\n      <<: [{{privileged: {a}}}, [{{privileged: {b}}}]]",
        f"\n      <<: ~",
        f"\n      <<: privileged",
        f"\n      <<: []",
        f"\n      <<: {{privileged: {a}}}\n      <<: {{privileged: {b}}}",
        f"\n      ? <<\n      : {{privileged: {b}}}",
    ]
    r = rng.random()
    if r < 0.7:
        return pod(body_sc=rng.choice(sc)), "yaml"
    if r < 0.8:
        # A merge that sets kind, before or after it.
        order = rng.choice(["kind: ConfigMap\n<<: {kind: Pod}", "<<: {kind: Pod}\nkind: ConfigMap",
                            "<<: [{kind: Pod}, {kind: ConfigMap}]",
                            "kind: ConfigMap\n!!merge <<: {kind: Pod}"])
        return pod(kind_line=order, body_sc=f"{{privileged: {a}}}"), "yaml"
    if r < 0.9:
        # Through aliases, the usual way merges are written.
        return (f"x-base: &base\n  privileged: {b}\n  runAsUser: 0\n" +
                pod(body_sc=rng.choice([f"{{<<: *base, privileged: {a}}}",
                                        f"{{privileged: {a}, <<: *base}}",
                                        "\n      <<: [*base]\n      runAsUser: 1000"]))), "yaml"
    # A merge at the top level of the object, setting the namespace or spec.
    return (f"x: &m {{metadata: {{name: m, namespace: kube-system}}}}\napiVersion: v1\n"
            f"kind: Pod\nmetadata: {{name: m}}\n<<: *m\nspec:\n  hostPID: {a}\n"
            f"  containers: [{{name: c, image: nginx}}]\n"), "yaml"


def tags(rng):
    host_pid = base64.b64encode(b"hostPID").decode()
    priv = base64.b64encode(b"privileged").decode()
    sc = rng.choice([
        "{privileged: !!str true}", "{privileged: !!bool true}", "{privileged: !!bool 'true'}",
        "{privileged: !!bool yes}", "{runAsUser: !!int '0'}", "{runAsUser: !!int 0x10}",
        "{runAsUser: !!float '1'}", "{runAsUser: !!str 0}", "{privileged: !custom true}",
        "{privileged: !<tag:yaml.org,2002:bool> true}", "{privileged: !!null ''}",
        f"{{!!binary {priv}: true}}",
        f"{{privileged: !!binary {base64.b64encode(b'true').decode()}}}",
        "{privileged: !!binary dHJ1ZQ}", "{runAsUser: !!timestamp 2001-12-14}",
        "{runAsUser: 2001-12-14}", "{privileged: !!map {}}", "{privileged: !!seq []}",
        "!!map {privileged: true}", "!custom {privileged: true}", "{!!str privileged: true}",
        "{privileged: !!python/bool true}", "{privileged: ! true}",
    ])
    if rng.random() < 0.2:
        # A !!binary key that decodes to hostPID.
        return (f"apiVersion: v1\nkind: Pod\nmetadata: {{name: t}}\nspec:\n  !!binary {host_pid}: "
                f"true\n  containers: [{{name: c, image: nginx}}]\n"), "yaml"
    return pod(body_sc=sc), "yaml"


def separators(rng):
    first = pod(body_sc="{privileged: false}", name="one")
    second = pod(body_sc="{privileged: true}", name="two")
    sep = rng.choice(["---", "--- # c", "---#", "---# c", "---  ", "---\t", "--- \t# c", "----",
                      " ---", "--- |", "...\n---", "...", "--- !!map", "---#: |", "--- >",
                      "# ---", "---- # c", "---\r", "--- ---", "... # c\n---"])
    lead = rng.choice(["", "---\n", "--- # lead\n", "%YAML 1.1\n---\n", "\n\n", "# c\n"])
    tail = rng.choice(["", "...\n", "---\n", "--- # t\n", "---"])
    return lead + first + sep + "\n" + second + tail, "yaml"


def indentation(rng):
    n = rng.choice([1, 2, 3, 4, 8])
    pad = " " * n
    priv = rng.choice(["true", "false"])
    lst = rng.choice(["", pad])  # indentless or indented sequences
    text = (f"apiVersion: v1\nkind: Pod\nmetadata:\n{pad}name: i\nspec:\n{pad}containers:\n"
            f"{pad}{lst}- name: c\n{pad}{lst}  image: nginx\n{pad}{lst}  securityContext:\n"
            f"{pad}{lst}  {pad}privileged: {priv}\n")
    r = rng.random()
    if r < 0.15:
        text = text.replace(f"{pad}name: i", "\tname: i")  # a tab as indentation
    elif r < 0.3:
        text += f"{pad}hostPID: true\n"  # a key after a nested list, back at spec's level
    elif r < 0.4:
        text += " hostPID: true\n"  # at no valid level
    elif r < 0.5:
        text = text.replace("\n", "\r\n")
    elif r < 0.6:
        text = "\ufeff" + text
    return text, "yaml"


def block_scalars(rng):
    ind = rng.choice(["|", ">", "|-", ">-", "|+", ">+", "|2", ">1", "|2-"])
    val = rng.choice(["Unconfined", "RuntimeDefault", "Unconfined\n\n", "  Unconfined"])
    lines = "".join(f"        {line}\n" for line in val.split("\n"))
    sc = f"\n      seccompProfile:\n        type: {ind}\n{lines}      privileged: false"
    if rng.random() < 0.3:
        sc = f"\n      procMount: {ind}\n        Unmasked\n      privileged: false"
    return pod(body_sc=sc), "yaml"


def quoting(rng):
    sc = rng.choice([
        "{\"privileged\": true}", "{'privileged': true}", "{privileged: \"true\"}",
        "{\"priv\\x69leged\": true}", "{\"priv\\u0069leged\": true}", "{'privi''leged': true}",
        "{\"privileged\\t\": true}", "{\"privileged\" : true}", "{? privileged : true}",
        "\n      ? privileged\n      : true", "{capabilities: {add: [\"SYS_ADMIN\", 'NET_RAW']}}",
        "{capabilities: {add: [\"\\x53YS_ADMIN\"]}}", "{seccompProfile: {type: 'Unconfined'}}",
        "{seccompProfile: {type: \"Unconfined\\\n  \"}}",
        "{seccompProfile: {type: Uncon\n        fined}}", "{privileged: 'true\n        '}",
        "{privileged: \"\\N\"}", "{\"\\0privileged\": true}",
    ])
    return pod(body_sc=sc), "yaml"


def duplicates(rng):
    a, b = rng.sample(["true", "false", "yes", "no"], 2)
    variants = [
        pod(body_sc=f"{{privileged: {a}, privileged: {b}}}"),
        pod(body_sc=f"\n      privileged: {a}\n      runAsUser: 0\n      privileged: {b}"),
        pod(kind_line="kind: ConfigMap\nkind: Pod"),
        pod(kind_line="kind: Pod\nkind: ConfigMap"),
        pod(extra_top=f"spec:\n  hostPID: {a}\n  containers: [{{name: c, image: nginx}}]\n"),
        pod(body_sc=f"{{privileged: {a}, Privileged: {b}}}"),
        pod(body_sc=f"{{privileged: {a}, 'privileged': {b}}}"),
        pod(body_sc=f"{{privileged: {a}, !!str privileged: {b}}}"),
        pod(extra_meta="  name: q\n"),
        pod(extra_meta="  namespace: a\n  namespace: kube-system\n"),
        # Duplicates in JSON.
        json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "j"}})[:-1] +
        ', "spec": {"hostPID": false, "hostPID": true, "containers": []}}',
    ]
    return rng.choice(variants), "yaml"


def items_lists(rng):
    kind = rng.choice(["List", "PodList", "Pod", "Deployment", "ConfigMap", "DeploymentList",
                       "Nothing", "ListX", "list"])
    av = rng.choice(["v1", "apps/v1", "v1"])
    item_kinds = rng.choice([
        "- " + pod(body_sc="{privileged: true}", name="i1").replace("\n", "\n  ").rstrip(),
        "- {metadata: {name: noid}, spec: {hostPID: true, containers: []}}",
        "- {kind: Pod, metadata: {name: nover}, spec: {hostPID: true, containers: []}}",
        "- {apiVersion: v1, metadata: {name: nokind}, spec: {hostPID: true, containers: []}}",
        "- null\n- {apiVersion: v1, kind: Pod, metadata: {name: a}, spec: {containers: []}}",
        "- 3",
        "- {apiVersion: v1, kind: List, items: [{apiVersion: v1, kind: Pod, metadata: {name: n},"
        " spec: {hostPID: true, containers: []}}]}",
        "[]",
        "{}",
        "~",
        "- {apiVersion: apps/v1, kind: Deployment, metadata: {name: d}, spec: {template: {spec: "
        "{hostPID: true, containers: []}}}}",
    ])
    if item_kinds.startswith("-"):
        item_kinds = "\n" + item_kinds
    extra = rng.choice(["", "spec: {hostPID: true, containers: [{name: c, image: nginx}]}\n",
                        "metadata: {name: outer, namespace: ns}\n"])
    return f"apiVersion: {av}\nkind: {kind}\n{extra}items: {item_kinds}\n", "yaml"


def json_streams(rng):
    def obj(name, priv):
        o = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
             "spec": {"containers": [{"name": "c", "image": "nginx",
                                      "securityContext": {"privileged": priv}}]}}
        return json.dumps(o, indent=rng.choice([None, 2]))
    a, b = obj("j1", False), obj("j2", True)
    glue = rng.choice(["", "\n", " ", "\n\n", "\n---\n", "\n---", ",", "\n// c\n", "\t"])
    text = rng.choice([a + glue + b, a + glue + b + glue + obj("j3", 1),
                       "[" + a + "," + b + "]", a + "\n" + pod(name="yaml-pod"),
                       pod(name="yaml-pod") + "---\n" + a + glue + b,
                       a.replace("false", "1.0"), a.replace("false", "0"),
                       a.replace("false", "\"true\""), a + glue, glue + a,
                       a.replace('"privileged": false', '"privileged": false, "runAsUser": 1e3'),
                       a.replace('"privileged": false', '"runAsUser": 1.5e3'),
                       a.replace('"privileged": false', '"runAsUser": -0'),
                       a.replace('"privileged": false', '"runAsUser": 1E400'),
                       '{"apiVersion": "v1", "kind": "List", "items": [' + a + "," + b + "]}"])
    return text, rng.choice(["json", "yaml"])


def empties(rng):
    doc = pod(body_sc="{privileged: true}", name="e")
    text = rng.choice(["", "\n", "---\n", "---\n---\n", "null\n", "~\n", "# only a comment\n",
                       "---\nnull\n---\n" + doc, doc + "---\n~\n", "--- null\n" + "---\n" + doc,
                       "...\n" + doc, "--- {}\n---\n" + doc, "[]\n---\n" + doc, "\"\"\n",
                       "{}\n", "--- []\n"])
    return text, "yaml"


def deployments(rng):
    fields = sc_fields(rng)
    return deployment(body_sc=flow(fields)), "yaml"


FAMILIES = [scalars, anchors, merges, tags, separators, indentation, block_scalars, quoting,
            duplicates, items_lists, json_streams, empties, deployments]


def generate(d, count, seed):
    """Writes count cases into d; returns their paths."""
    os.makedirs(d, exist_ok=True)
    rng = random.Random(seed)
    out = []
    for i in range(count):
        fam = FAMILIES[i % len(FAMILIES)]
        text, ext = fam(rng)
        p = os.path.join(d, f"{i:04d}-{fam.__name__}.{ext}")
        with open(p, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        out.append(p)
    return out


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 12
    for path in generate(sys.argv[1], n, seed):
        print(path)
