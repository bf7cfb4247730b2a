#!/usr/bin/env python3
"""Validates KubeVirt manifests (JSON or YAML-as-JSON files) against definitions["v1.VirtualMachine"]
of KubeVirt's OpenAPI (swagger 2.0) document, with Python's jsonschema (Debian: python3-jsonschema).

Stricter than the API server: every object definition that lists its properties gets
additionalProperties: false, so a misspelt or invented field fails here instead of being pruned
silently by Kubernetes.

usage: kubevirt-validate.py SCHEMA.json MANIFEST.json...   (exit 0: all valid; 1: errors listed)
"""
import json
import sys

import jsonschema


def strict(defs):
    for d in defs.values():
        if d.get("type") == "object" and "properties" in d and "additionalProperties" not in d:
            d["additionalProperties"] = False
    return defs


def main():
    if len(sys.argv) < 3:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    with open(sys.argv[1]) as f:
        defs = strict(json.load(f)["definitions"])
    schema = {"$ref": "#/definitions/v1.VirtualMachine", "definitions": defs}
    validator = jsonschema.Draft4Validator(schema)
    bad = 0
    for path in sys.argv[2:]:
        with open(path) as f:
            doc = json.load(f)
        for e in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path)):
            where = "/".join(str(p) for p in e.absolute_path) or "(top)"
            print(f"{path}: {where}: {e.message}")
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
