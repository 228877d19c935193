"""Regenerates `schemas.json.gz`, the OpenAPI v3 component schemas `svcflow serve` publishes
(engine/kapi/openapi.py) and svcflow's own `kubectl explain` prints, from Kubernetes v1.33.0's
own definitions. Run it offline, by hand,
when the served kinds change (a test checks the data covers every kind the registry serves):

    python -m engine.api.openapi_schemas.generate path/to/kubernetes_validate-1.37.0-py3-none-any.whl

The source is the PyPI wheel kubernetes-validate 1.37.0 (Apache-2.0), whose
`kubernetes-json-schema/v1.33.0-local/_definitions.json` holds v1.33.0's OpenAPI definitions
rewritten as JSON Schema. This turns the definitions the served kinds reach back into what
kube-apiserver's OpenAPI v3 builder (kube-openapi builder3) publishes, because kubectl reads
them: `kubectl explain` prints their descriptions, and `kubectl apply` computes its strategic
merge patches from their `x-kubernetes-patch-strategy` / `x-kubernetes-patch-merge-key`:

* `$ref` to `#/components/schemas/NAME`; a reference with siblings (a field's description)
  wrapped as `allOf: [{$ref}]` beside them, so explain prints both descriptions;
* `type` a single string (the converter's `[T, "null"]` undone), its `enum` on `apiVersion`
  and `kind` dropped (kube-apiserver publishes none);
* IntOrString and Quantity as the v3 builder publishes them (`OpenAPIV3OneOfTypes`), with the
  descriptions openapi-gen renders from their Go comments (the converter dropped both);
* the zero-value defaults openapi-gen gives non-pointer Go fields where the definitions show
  them: list items and map values (`""`, `0`, `false`, `{}`), required scalars, and the
  top-level kinds' `metadata`, `spec` and `status` (`{}`); other fields' defaults are not in
  the source and are left out (nothing kubectl prints or patches by reads them);
* everything else (`required`, `format`, list and map types, GVK extensions) as it is.
"""
from __future__ import annotations

import argparse
import gzip
import json
import sys
import zipfile
from pathlib import Path
from typing import Any

from engine.api import kinds
from engine.api.apionly import API_ONLY

SOURCE = "kubernetes_validate/kubernetes-json-schema/v1.33.0-local/_definitions.json"
OUTPUT = Path(__file__).with_name("schemas.json.gz")
_REF_PREFIX = "#/components/schemas/"
_ZERO = {"string": "", "integer": 0, "number": 0, "boolean": False}

#: apimachinery v0.33 `pkg/util/intstr/intstr.go` and `pkg/api/resource/quantity.go`: the Go
#: comments, as openapi-gen's fmtRawDoc renders them into the published descriptions.
INT_OR_STRING = {
    "description": "IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML "
                   "marshalling and unmarshalling, it produces or consumes the inner type.  This allows you to "
                   "have, for example, a JSON field that can accept a name or number.",
    "format": "int-or-string",
    "oneOf": [{"type": "integer"}, {"type": "string"}],
}
QUANTITY = {
    "description": (
        "Quantity is a fixed-point representation of a number. It provides convenient marshaling/unmarshaling in "
        "JSON and YAML, in addition to String() and AsInt64() accessors.\n\nThe serialization format is:\n\n"
        "``` <quantity>        ::= <signedNumber><suffix>\n\n\t(Note that <suffix> may be empty, from the \"\" "
        "case in <decimalSI>.)\n\n<digit>           ::= 0 | 1 | ... | 9 <digits>          ::= <digit> | "
        "<digit><digits> <number>          ::= <digits> | <digits>.<digits> | <digits>. | .<digits> <sign>       "
        "     ::= \"+\" | \"-\" <signedNumber>    ::= <number> | <sign><number> <suffix>          ::= <binarySI> "
        "| <decimalExponent> | <decimalSI> <binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei\n\n\t(International "
        "System of units; See: http://physics.nist.gov/cuu/Units/binary.html)\n\n<decimalSI>       ::= m | \"\" "
        "| k | M | G | T | P | E\n\n\t(Note that 1024 = 1Ki but 1000 = 1k; I didn't choose the capitalization.)"
        "\n\n<decimalExponent> ::= \"e\" <signedNumber> | \"E\" <signedNumber> ```\n\nNo matter which of the "
        "three exponent forms is used, no quantity may represent a number greater than 2^63-1 in magnitude, nor "
        "may it have more than 3 decimal places. Numbers larger or more precise will be capped or rounded up. "
        "(E.g.: 0.1m will rounded up to 1m.) This may be extended in the future if we require larger or smaller "
        "quantities.\n\nWhen a Quantity is parsed from a string, it will remember the type of suffix it had, and "
        "will use the same type again when it is serialized.\n\nBefore serializing, Quantity will be put in "
        "\"canonical form\". This means that Exponent/suffix will be adjusted up or down (with a corresponding "
        "increase or decrease in Mantissa) such that:\n\n- No precision is lost - No fractional digits will be "
        "emitted - The exponent (or suffix) is as large as possible.\n\nThe sign will be omitted unless the "
        "number is negative.\n\nExamples:\n\n- 1.5 will be serialized as \"1500m\" - 1.5Gi will be serialized as "
        "\"1536Mi\"\n\nNote that the quantity will NEVER be internally represented by a floating point number. "
        "That is the whole point of this exercise.\n\nNon-canonical values will still parse as long as they are "
        "well formed, but will be re-emitted in their canonical form. (So always use canonical form, or don't "
        "diff.)\n\nThis format is intended to make it difficult to use these numbers without writing some sort "
        "of special handling code in the hopes that that will cause implementors to also use a fixed point "
        "implementation."),
    "oneOf": [{"type": "string"}, {"type": "number"}],
}
_REPLACED = {"io.k8s.apimachinery.pkg.util.intstr.IntOrString": INT_OR_STRING,
             "io.k8s.apimachinery.pkg.api.resource.Quantity": QUANTITY}


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        out = [_ref_name(node["$ref"])] if isinstance(node.get("$ref"), str) else []
        for v in node.values():
            out += _refs(v)
        return out
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def roots(defs: dict[str, Any]) -> list[str]:
    """The definitions of every kind the served API answers (the registry's and the API-only
    ones of engine.api.apionly: events.k8s.io Events, the reviews) and of its List (the
    reviews have none)."""
    by_gvk = {(g["group"], g["version"], g["kind"]): name for name, s in defs.items()
              for g in s.get("x-kubernetes-group-version-kind", ())}
    out = []
    for info in (*kinds.KINDS.values(), *API_ONLY):
        out.append(by_gvk[(info.group, info.version, info.kind)])
        if (info.group, info.version, info.kind + "List") in by_gvk:
            out.append(by_gvk[(info.group, info.version, info.kind + "List")])
    return out


def closure(defs: dict[str, Any], start: list[str]) -> list[str]:
    """`start` and every definition it reaches through `$ref`, sorted."""
    seen: set[str] = set()
    todo = list(start)
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += _refs(defs[name])
    return sorted(seen)


def _is_object(defs: dict[str, Any], ref: str) -> bool:
    target = defs[_ref_name(ref)]
    return _ref_name(ref) not in _REPLACED and _single(target.get("type")) in (None, "object")


def _single(t: Any) -> Any:
    if isinstance(t, list):
        rest = [x for x in t if x != "null"]
        return rest[0] if len(rest) == 1 else rest
    return t


def convert(node: Any, defs: dict[str, Any], *, element: bool = False) -> Any:
    """One JSON Schema node as builder3 publishes it. `element`: a list item or map value,
    which openapi-gen gives its type's zero value as default (API types use no pointers there)."""
    if isinstance(node, list):
        return [convert(v, defs) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "type":
            out[key] = _single(value)
        elif key == "properties":
            out[key] = {name: _property(name, sub, defs) for name, sub in value.items()}
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            out[key] = convert(value, defs, element=True)
        elif key != "$ref":
            out[key] = convert(value, defs)
    ref = node.get("$ref")
    if element and "default" not in out:
        if isinstance(ref, str):
            if _is_object(defs, ref):
                out["default"] = {}
        elif out.get("type") in _ZERO:
            out["default"] = _ZERO[out["type"]]
    if isinstance(ref, str):
        target = {"$ref": _REF_PREFIX + _ref_name(ref)}
        if not out:
            return target
        out["allOf"] = [target]
    return out


def _property(name: str, node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    out = convert(node, defs)
    if name in ("apiVersion", "kind") and out.get("type") == "string":
        out.pop("enum", None)  # (the JSON Schema converter's, pinning the GVK)
    return out


def component(name: str, defs: dict[str, Any]) -> dict[str, Any]:
    if name in _REPLACED:
        return dict(_REPLACED[name])
    out = convert(defs[name], defs)
    for field in out.get("required", ()):  # (a required scalar is a non-pointer Go field)
        prop = out.get("properties", {}).get(field, {})
        if prop.get("type") in _ZERO:
            prop.setdefault("default", _ZERO[prop["type"]])
    if out.get("x-kubernetes-group-version-kind"):
        for field in ("metadata", "spec", "status"):  # (non-pointer structs in every API type)
            prop = out.get("properties", {}).get(field)
            if prop is not None and "allOf" in prop:
                prop.setdefault("default", {})
    return out


def generate(definitions: dict[str, Any]) -> dict[str, Any]:
    defs = definitions["$defs"]
    names = closure(defs, roots(defs))
    return {"source": f"kubernetes-validate 1.37.0 {SOURCE} (Kubernetes v1.33.0, Apache-2.0)",
            "schemas": {name: component(name, defs) for name in names}}


def write(data: dict[str, Any], path: Path = OUTPUT) -> None:
    raw = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    path.write_bytes(gzip.compress(raw, compresslevel=9, mtime=0))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("wheel", type=Path, help="kubernetes_validate-1.37.0-py3-none-any.whl")
    parser.add_argument("-o", "--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    with zipfile.ZipFile(args.wheel) as wheel:
        definitions = json.loads(wheel.read(SOURCE))
    data = generate(definitions)
    write(data, args.output)
    print(f"{args.output}: {len(data['schemas'])} schemas, {args.output.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
