"""`kubectl get --sort-by`: kubectl's sorter (pkg/cmd/get/sorter.go), byte for byte.

The field is a relaxed JSONPath (`.metadata.name`, `{.metadata.name}`, `metadata.name`)
evaluated, with missing keys allowed, on every object; the first result is compared as
kubectl 1.33's `isLess` compares decoded JSON: numbers numerically, two strings that both
parse as resource quantities (`100m`, `9`, `1Ki`) by value, other strings bytewise (`a10`
before `a9`: measured against kubectl 1.33.1, which does not use the natural order newer
sources show). An object without the field sorts first. Tables are sorted kind by kind
(TableSorter); `-o yaml|json|name` and templates sort the whole list (RuntimeSort). Both use
Go's unstable `sort.Sort`, so equal keys come out as its pdqsort leaves them
(engine.kubectl.printers.gosort). A value kubectl cannot compare (a bool, a list, a map)
stops it with a fatal log line: UnsortableError.
"""
from __future__ import annotations

import re
from typing import Any

from engine.api.quantity import parse_quantity
from engine.kubectl.printers.gosort import go_sort
from engine.kubectl.printers.jsonpath import JSONPath, JSONPathError

_RELAXED = re.compile(r"^\{\.?([^{}]+)\}$|^\.?([^{}]+)$")


class SortError(ValueError):
    """kubectl's message for a field it cannot sort by (printed as `error: ...`)."""


class UnsortableError(ValueError):
    """A value isLess refuses; kubectl exits with klog's fatal line (`F... sorter.go:375]
    Field {.spec.hostNetwork} in [][][]reflect.Value is an unsortable type: interface, err:
    unsortable type: bool`), whose time and pid svcflow does not print."""


def _go_type(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, list):
        return "[]interface {}"
    if isinstance(v, dict):
        return "map[string]interface {}"
    return {int: "int64", float: "float64", str: "string"}.get(type(v), type(v).__name__)


def relaxed_jsonpath(field: str) -> str:
    """RelaxedJSONPathExpression: `.a.b`, `a.b`, `{a.b}` -> `{.a.b}`."""
    if not field:
        return field
    m = _RELAXED.match(field)
    if m is None:
        raise SortError("unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' "
                        "or '{.name1.name2}'")
    return "{." + (m.group(1) or m.group(2)) + "}"


def is_less(a: Any, b: Any) -> bool:
    """isLess over decoded JSON (reflect.Interface values): null first, then numbers, quantity
    strings, strings; anything else (or two different types) raises the reason kubectl gives."""
    if a is None and b is None:
        return False
    if a is None:
        return True
    if b is None:
        return False
    if isinstance(a, (bool, list, dict)):
        raise UnsortableError(f"unsortable type: {_go_type(a)}")
    if type(a) is type(b) and isinstance(a, (int, float)):
        return a < b
    if isinstance(a, str) and isinstance(b, str):
        qa = parse_quantity(a)
        qb = parse_quantity(b) if qa is not None else None
        if qa is not None and qb is not None:
            return qa.value < qb.value
        return a < b  # (code points order as UTF-8 bytes do)
    raise UnsortableError("unsortable interface: interface")


def _first(parser: JSONPath, obj: dict) -> tuple[bool, Any]:
    try:
        results = parser.find_results(obj)
    except JSONPathError:
        return False, None
    if not results or not results[0]:
        return False, None
    return True, results[0][0]


# What kubectl's RuntimeSorter looks the field up in when one `get` printed several tables (a
# Table as the server sent it, still undecoded: see tables_sortable).
_TABLE_SKELETON = {"apiVersion": "meta.k8s.io/v1", "kind": "Table", "metadata": {"resourceVersion": "0"},
                   "columnDefinitions": [], "rows": []}


def check_tables_sortable(field: str) -> None:
    """kubectl 1.33 sorts the list of Tables a `get` of several kinds or names received before
    it sorts any rows, and it looks the field up in the Table objects themselves: a field that
    no Table has (`.metadata.name`) fails the whole command with SortError."""
    sort_objects([_TABLE_SKELETON], field)


def sort_objects(objs: list[dict], field: str) -> list[dict]:
    """`objs` in the order kubectl's sorter leaves them; SortError with kubectl's message when
    no object has the field (an empty list is left alone)."""
    if not objs:
        return objs
    path = relaxed_jsonpath(field)
    try:
        parser = JSONPath("sorting", path, allow_missing_keys=True)
    except JSONPathError as e:
        raise SortError(f"sorting error: {e}") from None
    values = [_first(parser, o) for o in objs]
    if not any(found for found, _ in values):
        raise SortError(f'couldn\'t find any field with path "{path}" in the list of objects')

    def less(x: tuple[bool, Any], y: tuple[bool, Any]) -> bool:
        if not x[0]:
            return True
        if not y[0]:
            return False
        return is_less(x[1], y[1])

    try:
        return [o for _, o in go_sort(list(zip(values, objs)), lambda x, y: less(x[0], y[0]))]
    except UnsortableError as e:
        raise UnsortableError(f"Field {path} in [][][]reflect.Value is an unsortable type: interface, "
                              f"err: {e}") from None
