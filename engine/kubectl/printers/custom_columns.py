"""`-o custom-columns=HEADER:PATH,...`: cli-runtime's CustomColumnsPrinter.

Each column is a relaxed JSONPath (`.metadata.name`, `metadata.name`, `{.metadata.name}`)
run over the object's JSON form; a column with no value prints `<none>`, several values are
joined with commas, each as Go's `fmt.Sprint` prints it. A List prints one row per item
under one header line, aligned by the same tabwriter as `kubectl get`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from engine.kubectl.printers.jsonpath import JSONPath, JSONPathError, go_sprint
from engine.kubectl.printers.tabwriter import render_text

_RELAXED = re.compile(r"^\{\.?([^{}]+)\}$|^\.?([^{}]+)$")
_TERMINAL = str.maketrans({"\x1b": "^[", "\r": "\\r"})


@dataclass(frozen=True)
class Column:
    header: str
    field_spec: str


def relaxed_jsonpath(expression: str) -> str:
    """RelaxedJSONPathExpression: every accepted spelling becomes `{.a.b}`."""
    if not expression:
        return expression
    m = _RELAXED.match(expression)
    if m is None:
        raise JSONPathError("unexpected path string, expected a 'name1.name2' or '.name1.name2' or "
                            "'{name1.name2}' or '{.name1.name2}'")
    return "{." + (m.group(1) or m.group(2)) + "}"


def parse_spec(spec: str) -> list[Column]:
    """NewCustomColumnsPrinterFromSpec, with its error messages."""
    if not spec:
        raise JSONPathError("custom-columns format specified but no custom columns given")
    columns = []
    for part in spec.split(","):
        header, sep, path = part.partition(":")
        if not sep:
            raise JSONPathError(f"unexpected custom-columns spec: {part}, expected <header>:<json-path-expr>")
        columns.append(Column(header, relaxed_jsonpath(path)))
    return columns


def print_custom_columns(columns: list[Column], obj: dict[str, Any], *, no_headers: bool = False) -> str:
    """The printer's output for one object, or for each item of a List (JSONPathError when a
    column's template does not parse or execute)."""
    parsers = [JSONPath(f"column{i}", c.field_spec, allow_missing_keys=True) for i, c in enumerate(columns)]
    lines = [] if no_headers else ["\t".join(c.header for c in columns)]
    items = obj.get("items") or [] if obj.get("kind", "").endswith("List") and "items" in obj else [obj]
    for item in items:
        cells = []
        for parser in parsers:
            values = parser.find_results(item)
            texts = ["<none>"] if not values or not values[0] else []
            texts += [go_sprint(v).translate(_TERMINAL) for vs in values for v in vs]
            cells.append(",".join(texts))
        lines.append("\t".join(cells))
    return render_text("".join(line + "\n" for line in lines))
