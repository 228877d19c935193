"""A Swagger 2.0 document as gnostic's `openapi_v2.Document` protobuf message: the form
kubectl downloads `/openapi/v2` in (`Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf`,
client-go `discovery.OpenAPISchema`, which has no JSON fallback) and parses with kube-openapi's
`pkg/util/proto` to validate what it cannot have the server validate (`kubectl apply -f` of a
`kind: List`) and for `kubectl explain --output=plaintext-openapiv2`.

Field numbers are gnostic's `openapiv2/OpenAPIv2.proto` (google/gnostic-models). Only what
kube-apiserver's document uses is encoded: the document's `swagger`, `info`, `paths` (their
operations' tags, ids, media types, parameters, responses and extensions) and `definitions`
(schemas with `$ref`, types, descriptions, properties, items, maps, `required`, `default`,
`enum` and `x-kubernetes-*` extensions). Extension values, defaults and enum members are
gnostic `Any`s holding YAML text, as gnostic's compiler writes them, which is what
kube-openapi and kubectl read (`yaml.Unmarshal(ext.GetValue().GetYaml())`).
"""
from __future__ import annotations

import struct
from typing import Any, Callable

import yaml

#: What kubectl asks for, and what kube-openapi's handler answers with (Go's mime parser
#: refuses the `@`, so the answer's Content-Type spells it `.v1.0`).
MEDIA_TYPE = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
RETURNED_MEDIA_TYPE = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"


def _varint(n: int) -> bytes:
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _key(num: int, wire: int) -> bytes:
    return _varint(num << 3 | wire)


def _bytes(num: int, data: bytes) -> bytes:
    return _key(num, 2) + _varint(len(data)) + data


def _str(num: int, text: str) -> bytes:
    return _bytes(num, text.encode()) if text else b""


def _bool(num: int, value: bool) -> bytes:
    return _key(num, 0) + b"\x01" if value else b""


def _int(num: int, value: int) -> bytes:
    return _key(num, 0) + _varint(value) if value else b""


def _double(num: int, value: float) -> bytes:
    return _key(num, 1) + struct.pack("<d", float(value))


def _yaml(value: Any) -> str:
    """A value as gnostic keeps it in an `Any`: YAML text."""
    return yaml.safe_dump(value, default_flow_style=False, sort_keys=False, allow_unicode=True)


def _any(num: int, value: Any) -> bytes:
    return _bytes(num, _str(2, _yaml(value)))


def _extensions(num: int, node: dict[str, Any]) -> bytes:
    return b"".join(_bytes(num, _str(1, k) + _any(2, v)) for k, v in node.items() if k.startswith("x-"))


#: Schema fields: JSON name -> (field number, encoder).
def _schema_fields() -> dict[str, tuple[int, Callable[[int, Any], bytes]]]:
    return {
        "$ref": (1, _str), "format": (2, _str), "title": (3, _str), "description": (4, _str),
        "default": (5, _any), "multipleOf": (6, _double), "maximum": (7, _double),
        "exclusiveMaximum": (8, _bool), "minimum": (9, _double), "exclusiveMinimum": (10, _bool),
        "maxLength": (11, _int), "minLength": (12, _int), "pattern": (13, _str), "maxItems": (14, _int),
        "minItems": (15, _int), "uniqueItems": (16, _bool), "maxProperties": (17, _int),
        "minProperties": (18, _int),
        "required": (19, lambda n, v: b"".join(_str(n, s) for s in v)),
        "enum": (20, lambda n, v: b"".join(_any(n, e) for e in v)),
        "additionalProperties": (21, lambda n, v: _bytes(n, _bool(2, v) if isinstance(v, bool) else
                                                         _bytes(1, schema(v)))),
        "type": (22, lambda n, v: _bytes(n, b"".join(_str(1, t) for t in ([v] if isinstance(v, str) else v)))),
        "items": (23, lambda n, v: _bytes(n, b"".join(_bytes(1, schema(s)) for s in
                                                      (v if isinstance(v, list) else [v])))),
        "allOf": (24, lambda n, v: b"".join(_bytes(n, schema(s)) for s in v)),
        "properties": (25, lambda n, v: _bytes(n, _named_schemas(v))),
        "discriminator": (26, _str), "readOnly": (27, _bool),
    }


def _named_schemas(schemas: dict[str, Any]) -> bytes:
    return b"".join(_bytes(1, _str(1, name) + _bytes(2, schema(s))) for name, s in schemas.items())


def schema(node: dict[str, Any]) -> bytes:
    """One Schema message (fields in gnostic's order, then the vendor extensions)."""
    fields = _SCHEMA_FIELDS
    parts = sorted((fields[k][0], fields[k][1](fields[k][0], v)) for k, v in node.items() if k in fields)
    return b"".join(p for _, p in parts) + _extensions(31, node)


def _parameter(p: dict[str, Any]) -> bytes:
    """A ParametersItem: a body parameter, or a query/path one (NonBodyParameter)."""
    if p.get("in") == "body":
        body = (_str(1, p.get("description", "")) + _str(2, p["name"]) + _str(3, "body")
                + _bool(4, p.get("required", False)) + _bytes(5, schema(p.get("schema", {}))))
        return _bytes(1, _bytes(1, body))
    sub = 3 if p.get("in") == "query" else 4  # QueryParameterSubSchema, PathParameterSubSchema
    fields = (_bool(1, p.get("required", False)) + _str(2, p["in"]) + _str(3, p.get("description", ""))
              + _str(4, p["name"]) + _str(6 if sub == 3 else 5, p.get("type", ""))
              + (_bool(20, p.get("uniqueItems", False)) if sub == 3 else _bool(19, p.get("uniqueItems", False))))
    return _bytes(1, _bytes(2, _bytes(sub, fields)))


def _operation(op: dict[str, Any]) -> bytes:
    responses = b"".join(_bytes(1, _str(1, code) + _bytes(2, _bytes(1, _str(1, r.get("description", ""))
                                                              + (_bytes(2, _bytes(1, schema(r["schema"])))
                                                                 if "schema" in r else b""))))
                         for code, r in op.get("responses", {}).items())
    return (b"".join(_str(1, t) for t in op.get("tags", ())) + _str(3, op.get("description", ""))
            + _str(5, op.get("operationId", "")) + b"".join(_str(6, m) for m in op.get("produces", ()))
            + b"".join(_str(7, m) for m in op.get("consumes", ()))
            + b"".join(_bytes(8, _parameter(p)) for p in op.get("parameters", ()))
            + (_bytes(9, responses) if responses else b"")
            + b"".join(_str(10, s) for s in op.get("schemes", ())) + _extensions(13, op))


_METHODS = {"get": 2, "put": 3, "post": 4, "delete": 5, "options": 6, "head": 7, "patch": 8}


def _path_item(item: dict[str, Any]) -> bytes:
    return b"".join(_bytes(num, _operation(item[m])) for m, num in _METHODS.items() if m in item) + \
        b"".join(_bytes(9, _parameter(p)) for p in item.get("parameters", ()))


def document(doc: dict[str, Any]) -> bytes:
    """The Document message of a Swagger 2.0 document (as JSON objects)."""
    info = doc.get("info", {})
    paths = b"".join(_bytes(2, _str(1, path) + _bytes(2, _path_item(item))) for path, item in doc.get("paths", {}).items())
    return (_str(1, doc.get("swagger", "2.0")) + _bytes(2, _str(1, info.get("title", "")) + _str(2, info.get("version", "")))
            + _bytes(8, paths) + _bytes(9, _named_schemas(doc.get("definitions", {}))))


_SCHEMA_FIELDS = _schema_fields()
