"""The OpenAPI v2 (Swagger 2.0) form of the v1.33 schemas: what kube-apiserver's v2 builder
publishes in `/openapi/v2`, made from the same v3 component schemas (one set of schemas for
both documents): `#/definitions/` references with their siblings (a field's description)
beside the `$ref` instead of in an `allOf`, and IntOrString and Quantity as `type: string`
(the v3 builder's `oneOf` is v3 only). The served API publishes it (engine.kapi.openapiv2)
and svcflow's `kubectl explain --output=plaintext-openapiv2` prints it.
"""
from __future__ import annotations

from typing import Any

V3_REF = "#/components/schemas/"
V2_REF = "#/definitions/"


def v2_schema(node: Any) -> Any:
    """A v3 component schema as the v2 document has it."""
    if isinstance(node, list):
        return [v2_schema(v) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for k, v in node.items():
        if k == "allOf" and len(v) == 1 and set(v[0]) == {"$ref"}:
            out["$ref"] = v[0]["$ref"].replace(V3_REF, V2_REF)
        elif k == "$ref":
            out["$ref"] = v.replace(V3_REF, V2_REF)
        elif k == "oneOf":  # IntOrString, Quantity: OpenAPISchemaType() is ["string"]
            out["type"] = "string"
        elif k == "nullable":
            continue
        elif k in ("properties", "definitions"):
            out[k] = {name: v2_schema(s) for name, s in v.items()}
        else:
            out[k] = v2_schema(v)
    if "$ref" in out:  # a reference's default (`{}`) is not published beside it in v2
        out.pop("default", None)
    return out


def definitions(schemas: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Component schemas (by name) as v2 definitions."""
    return {name: v2_schema(s) for name, s in schemas.items()}
