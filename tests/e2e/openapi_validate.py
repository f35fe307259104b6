#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
#
# Validates the objects of a JSON document (one object, or a v1 List of
# them) against the openAPIV3Schema of the CustomResourceDefinitions in a
# directory, as the API server would before storing them. Only the subset of
# OpenAPI v3 that CRDs use is implemented (type, required, properties, items,
# enum, format, additionalProperties, nullable, x-kubernetes-*); a schema
# keyword outside it is an error, so a CRD that needs more cannot pass by
# being half read. Fields a schema does not declare are errors too (the API
# server would prune them silently: for a generator that is a bug).
#
# usage: openapi_validate.py CRD_DIR DOCUMENT.json
# exit: 0 valid, 1 invalid (each problem on stderr), 77 PyYAML is missing.

import datetime
import json
import os
import re
import sys

try:
    import yaml
except ImportError:
    print("skip: PyYAML (python3-yaml) is needed to read the CRDs", file=sys.stderr)
    sys.exit(77)

# Keywords that only describe; they constrain nothing.
DESCRIPTIVE = {"description", "title", "example", "externalDocs", "default"}
KNOWN = DESCRIPTIVE | {
    "type", "required", "properties", "items", "enum", "format", "additionalProperties",
    "nullable", "x-kubernetes-preserve-unknown-fields", "x-kubernetes-int-or-string",
    "x-kubernetes-embedded-resource", "x-kubernetes-list-type", "x-kubernetes-list-map-keys",
    "x-kubernetes-map-type",
}

DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def type_ok(value, t):
    if t == "object":
        return isinstance(value, dict)
    if t == "array":
        return isinstance(value, list)
    if t == "string":
        return isinstance(value, str)
    if t == "boolean":
        return isinstance(value, bool)
    if t == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if t == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    raise ValueError("unknown type %r" % t)


def check_format(value, fmt, path, errors):
    if fmt == "date-time" and isinstance(value, str):
        ok = DATE_TIME.match(value) is not None
        if ok:
            try:
                datetime.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
            except ValueError:
                ok = False
        if not ok:
            errors.append("%s: %r is not a date-time (RFC 3339)" % (path, value))
    elif fmt == "int32" and isinstance(value, int):
        if not -(2**31) <= value < 2**31:
            errors.append("%s: %d does not fit in int32" % (path, value))
    elif fmt == "int64" and isinstance(value, int):
        if not -(2**63) <= value < 2**63:
            errors.append("%s: %d does not fit in int64" % (path, value))


def validate(value, schema, path, errors):
    unknown = set(schema) - KNOWN
    if unknown:
        errors.append("%s: schema keywords this validator does not implement: %s"
                      % (path, ", ".join(sorted(unknown))))
        return
    if value is None:
        if not schema.get("nullable", False):
            errors.append("%s: null is not allowed" % path)
        return
    if schema.get("x-kubernetes-int-or-string"):
        if not (type_ok(value, "integer") or type_ok(value, "string")):
            errors.append("%s: expected an integer or a string" % path)
        return
    t = schema.get("type")
    if t is not None and not type_ok(value, t):
        errors.append("%s: expected %s, got %s" % (path, t, type(value).__name__))
        return
    if "enum" in schema and value not in schema["enum"]:
        errors.append("%s: %r is not one of %s" % (path, value, schema["enum"]))
    if "format" in schema:
        check_format(value, schema["format"], path, errors)
    if isinstance(value, dict):
        validate_object(value, schema, path, errors)
    elif isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            validate(item, schema["items"], "%s[%d]" % (path, i), errors)


def validate_object(value, schema, path, errors):
    for key in schema.get("required", []):
        if key not in value:
            errors.append("%s: missing required field %r" % (path, key))
    props = schema.get("properties")
    extra = schema.get("additionalProperties")
    preserve = schema.get("x-kubernetes-preserve-unknown-fields", False)
    if schema.get("x-kubernetes-embedded-resource"):
        for key in ("apiVersion", "kind"):
            if not isinstance(value.get(key), str):
                errors.append("%s: an embedded resource needs %s" % (path, key))
    for key, member in value.items():
        where = "%s.%s" % (path, key) if path else key
        if props is not None and key in props:
            validate(member, props[key], where, errors)
        elif isinstance(extra, dict):
            validate(member, extra, where, errors)
        elif extra is False:
            errors.append("%s: field not allowed" % where)
        elif props is not None and not preserve and extra is not True:
            errors.append("%s: field not declared in the schema" % where)
        # An object schema that declares nothing (metadata) takes anything:
        # the API server validates ObjectMeta itself.


def load_crds(directory):
    schemas = {}
    for name in sorted(os.listdir(directory)):
        if not name.endswith((".yaml", ".yml")):
            continue
        with open(os.path.join(directory, name), encoding="utf-8") as f:
            for doc in yaml.safe_load_all(f):
                if not doc or doc.get("kind") != "CustomResourceDefinition":
                    continue
                spec = doc["spec"]
                for v in spec["versions"]:
                    key = ("%s/%s" % (spec["group"], v["name"]), spec["names"]["kind"])
                    schemas[key] = (v["schema"]["openAPIV3Schema"], spec["scope"])
    return schemas


def validate_document(doc, schemas):
    errors = []
    items = doc.get("items", []) if doc.get("kind") == "List" else [doc]
    if doc.get("kind") == "List" and doc.get("apiVersion") != "v1":
        errors.append("List: apiVersion must be v1")
    for i, obj in enumerate(items):
        where = "items[%d]" % i
        if not isinstance(obj, dict):
            errors.append("%s: not an object" % where)
            continue
        key = (obj.get("apiVersion"), obj.get("kind"))
        if key not in schemas:
            errors.append("%s: no CRD for %s %s" % (where, key[0], key[1]))
            continue
        schema, scope = schemas[key]
        meta = obj.get("metadata", {})
        if not isinstance(meta.get("name"), str) or not meta.get("name"):
            errors.append("%s: metadata.name is missing" % where)
        has_ns = "namespace" in meta
        if (scope == "Namespaced") != has_ns:
            errors.append("%s: %s is %s, metadata.namespace %s" % (
                where, key[1], scope, "set" if has_ns else "missing"))
        sub = []
        validate(obj, schema, "", sub)
        errors.extend("%s (%s %s): %s" % (where, key[1], meta.get("name"), e) for e in sub)
    return errors


def main():
    if len(sys.argv) != 3:
        print("usage: openapi_validate.py CRD_DIR DOCUMENT.json", file=sys.stderr)
        return 2
    schemas = load_crds(sys.argv[1])
    if not schemas:
        print("no CustomResourceDefinition in %s" % sys.argv[1], file=sys.stderr)
        return 2
    with open(sys.argv[2], encoding="utf-8") as f:
        doc = json.load(f)
    errors = validate_document(doc, schemas)
    for e in errors:
        print(e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
