"""`kubectl explain --output=plaintext-openapiv2`: kubectl's older explain, which reads the
OpenAPI v2 document (`svcflow serve`'s `/openapi/v2`, the v2 form of the same v1.33 schemas,
engine.api.openapi_schemas.v2) through kube-openapi's `pkg/util/proto` model. Ported from
k8s.io/kubectl `pkg/explain` (explain.go, model_printer.go, fields_printer.go,
recursive_fields_printer.go, field_lookup.go, typename.go, formatter.go) so `svcflow
explain` and the real kubectl against `svcflow serve` print the same bytes.

A schema is one of proto's kinds: a Kind (an object with properties), a Map, an Array, a
Primitive, a Reference to a definition, or Arbitrary (no type and no properties).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from engine.api.kinds import KindInfo
from engine.api.openapi_schemas.v2 import V2_REF, definitions

_BULLET = re.compile(r"^(\d+\.?|-|\*)\s")


@dataclass
class Node:
    """kube-openapi proto.Schema: `kind` is kind, map, array, primitive, ref or arbitrary."""

    kind: str
    description: str = ""
    fields: dict[str, Any] = field(default_factory=dict)  # (Kind) name -> raw schema
    required: tuple[str, ...] = ()
    sub: Any = None  # (Map, Array) raw schema, or a Node (a Map's Arbitrary values)
    type: str = ""  # (Primitive)
    ref: str = ""  # (Reference) the definition's name


class Model:
    """The definitions, parsed as kube-openapi's ParseSchema reads them."""

    def __init__(self, schemas: dict[str, dict[str, Any]]) -> None:
        self.defs = definitions(schemas)

    def parse(self, s: Any) -> Node:
        if isinstance(s, Node):
            return s
        desc = s.get("description", "")
        if s.get("$ref"):
            return Node("ref", desc, ref=s["$ref"].removeprefix(V2_REF))
        t = s.get("type")
        if t in (None, "object") and "properties" in s:
            return Node("kind", desc, fields=s["properties"], required=tuple(s.get("required", ())))
        if t == "object":  # a map: of its additionalProperties, else of anything (described as the map)
            extra = s.get("additionalProperties")
            return Node("map", desc, sub=extra if isinstance(extra, dict) else Node("arbitrary", desc))
        if t == "array":
            return Node("array", desc, sub=s.get("items") or {})
        if t is None:
            return Node("arbitrary", desc)
        return Node("primitive", desc, type=t)

    def sub(self, node: Node) -> Node:
        """A Map's or Array's element, a Reference's definition."""
        if node.kind == "ref":
            return self.parse(self.defs[node.ref])
        return self.parse(node.sub)

    def type_name(self, node: Node) -> str:
        """typename.go: `Object`, `[]Object`, `map[string]string`, `integer`; "" for Arbitrary."""
        if node.kind == "array":
            return "[]" + self.type_name(self.sub(node))
        if node.kind == "map":
            return "map[string]" + self.type_name(self.sub(node))
        if node.kind == "ref":
            return self.type_name(self.sub(node))
        return {"kind": "Object", "primitive": node.type}.get(node.kind, "")

    def lookup(self, node: Node, path: list[str]) -> Node:
        """field_lookup.go: the schema of the field path (a primitive or arbitrary ends it)."""
        while True:
            if node.kind in ("primitive", "arbitrary") or not path:
                return node
            if node.kind == "kind":
                if path[0] not in node.fields:
                    raise LookupError(f'field "{path[0]}" does not exist')
                node, path = self.parse(node.fields[path[0]]), path[1:]
            else:
                node = self.sub(node)


def wrap_string(text: str, wrap: int) -> list[str]:
    """formatter.go wrapString: words joined up to `wrap` columns; an indented line kept as it
    is, a blank line kept, and a new line started after a word ending in `:` or at a bullet."""
    wrapped: list[str] = []
    words: list[str] = []
    last = [""]

    def flush() -> None:
        if words:
            last[0] = ""
            wrapped.append(" ".join(words))
            words.clear()

    for line in text.split("\n"):
        if line.startswith("    "):
            flush()
            wrapped.append(line)
            continue
        if wrapped and not line.strip():
            flush()
            wrapped.append("")
            continue
        stripped = line.strip()
        if last[0].endswith(":") or line.startswith("    ") or not stripped or _BULLET.match(stripped):
            flush()
        for word in line.split():
            last[0] = word
            if words and len(" ".join([*words, word]).encode()) > wrap:  # (Go's len: bytes)
                flush()
            words.append(word)
    flush()
    return wrapped


class _Writer:
    """formatter.go Formatter: lines at an indent, wrapped at 80 columns."""

    def __init__(self, out: list[str], indent: int = 0) -> None:
        self.out, self.level = out, indent

    def indent(self, n: int) -> "_Writer":
        return _Writer(self.out, self.level + n)

    def write(self, text: str) -> None:
        self.out.append("\n" if text == "" else " " * self.level + text + "\n")

    def write_wrapped(self, text: str) -> None:
        for line in wrap_string(text, 80 - self.level):
            self.write(line)


def _fields(model: Model, w: _Writer, node: Node, recursive: bool, seen: set[str]) -> None:
    """fields_printer.go, recursive_fields_printer.go."""
    if node.kind in ("array", "map"):
        _fields(model, w, model.sub(node), recursive, seen)
    elif node.kind == "ref":
        if recursive:
            if node.ref in seen:
                return
            seen.add(node.ref)
        _fields(model, w, model.sub(node), recursive, seen)
        if recursive:
            seen.discard(node.ref)
    elif node.kind == "kind":
        for key in sorted(node.fields):
            v = model.parse(node.fields[key])
            if recursive:
                w.write(f"{key}\t<{model.type_name(v)}>")
                _fields(model, w.indent(3), v, recursive, seen)
            else:
                w.write(f"{key}\t<{model.type_name(v)}>{' -required-' if key in node.required else ''}")
                w.indent(2).write_wrapped(v.description)
                w.write("")


def explain_v2(schemas: dict[str, dict[str, Any]], info: KindInfo, path: list[str], recursive: bool,
               api_version: str | None = None) -> tuple[str, str]:
    """stdout and stderr (without its newline) of `kubectl explain WORD[.PATH] -o plaintext-openapiv2`."""
    group, version = info.group, info.version
    if api_version:  # (schema.ParseGroupVersion, then the kind in that group-version)
        group, slash, version = api_version.rpartition("/")
        if api_version.count("/") > 1 or (slash and not group):
            return "", f"error: unexpected GroupVersion string: {api_version}"
    group_version = f"{group}/{version}" if group else version
    model = Model(schemas)
    gvk = {"group": group, "version": version, "kind": info.kind}
    root = next((name for name, s in model.defs.items() if gvk in s.get("x-kubernetes-group-version-kind", ())), None)
    if root is None:
        return "", f'error: couldn\'t find resource for "{group}/{version}, Kind={info.kind}"'
    try:
        node = model.lookup(model.parse(model.defs[root]), path)
    except LookupError as e:
        return "", f"error: {e}"
    out: list[str] = []
    w = _Writer(out)
    descriptions: list[str] = []
    type_ = ""

    def kind_and_version() -> None:
        w.write(f"KIND:     {info.kind}")
        w.write(f"VERSION:  {group_version}\n")

    def description(n: Node) -> None:
        w.write("DESCRIPTION:")
        empty = True
        for i, desc in enumerate([*descriptions, n.description]):
            if not desc:
                continue
            empty = False
            if i != 0:
                w.write("")
            w.indent(5).write_wrapped(desc)
        if empty:
            w.indent(5).write_wrapped("<empty>")

    name = path[-1] if path else ""
    while True:  # model_printer.go's visitor
        if node.kind in ("array", "map", "ref"):
            descriptions.append(node.description)
            if node.kind != "ref" and not type_:
                type_ = model.type_name(node)
            node = model.sub(node)
            continue
        kind_and_version()
        if node.kind == "kind":
            type_ = type_ or model.type_name(node)
            if name:
                w.write(f"RESOURCE: {name} <{type_}>\n")
            description(node)
            w.write("\nFIELDS:")
            _fields(model, w.indent(3), node, recursive, set())
        elif node.kind == "primitive":
            type_ = type_ or model.type_name(node)
            w.write(f"FIELD:    {name} <{type_}>\n")
            description(node)
        else:
            description(node)
        return "".join(out), ""
