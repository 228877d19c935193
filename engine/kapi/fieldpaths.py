"""Field paths and field sets as structured-merge-diff writes them in `fieldsV1`
(`f:<field>`, `k:{"name":"counter"}` for an item of a list merged by key, `.` for a member
that has children; structured-merge-diff `typed/tofieldset.go`, `fieldpath/serialize.go`),
the kinds' list keys and atomic fields they rest on, shared by server-side apply and the
field manager of every other write."""
from __future__ import annotations

import json
from typing import Any, Iterable

from engine.kapi import patch as patches

Path = tuple[str, ...]  # elements: "f:name", 'k:{"name":"x"}'; a field set is a set of Paths
# Never owned (apiserver `fieldmanager` StripMeta, and status through the main resource).
STRIPPED = {("f:apiVersion",), ("f:kind",), ("f:status",)}
#: The metadata never owned, by any operation (fieldmanager `NewStripMetaManager`).
STRIPPED_META = frozenset({"name", "namespace", "creationTimestamp", "selfLink", "uid", "clusterName", "generation",
                           "managedFields", "resourceVersion"})
#: List items that are atomic structs (`+structType=atomic`): owned whole, as `k:{...}: {}`.
ATOMIC_ITEMS = frozenset({"ownerReferences"})
#: Lists a strategic merge patch merges by key but server-side apply owns whole (`+listType=atomic`).
ATOMIC_LISTS = frozenset({("status", "hostIPs")})
# Maps whose keys are data (each key is owned), not fields of a Go struct.
_FREE_MAPS = {("metadata", "labels"), ("metadata", "annotations"), ("data",), ("binaryData",), ("stringData",),
              ("spec", "template", "metadata", "labels"), ("spec", "template", "metadata", "annotations"),
              ("limits",), ("requests",)}
# Fields owned as a whole (`+structType=atomic` / `+mapType=atomic` in k8s.io/api): a workload's
# LabelSelector and a Service's selector map alike.
_ATOMIC = {("spec", "selector"), ("nodeSelector",), ("matchLabels",)}
# Defaults of key fields the apiserver fills before it builds a key (`k:{"containerPort":80,"protocol":"TCP"}`).
_KEY_DEFAULTS = {"protocol": "TCP"}
_KEY_FIELDS = {"ports": ("containerPort", "protocol"), "env": ("name",), "containers": ("name",),
               "initContainers": ("name",), "volumes": ("name",), "volumeMounts": ("mountPath",)}


def _is_free_map(path: tuple[str, ...]) -> bool:
    return any(path[-len(p):] == p for p in _FREE_MAPS if len(path) >= len(p))


_ATOMIC_LAST = frozenset(p[-1] for p in _ATOMIC)


def is_atomic(path: tuple[str, ...]) -> bool:
    if not path or path[-1] not in _ATOMIC_LAST:  # (the cheap test first: it runs on every field served)
        return False
    return any(path[-len(p):] == p for p in _ATOMIC if len(path) >= len(p))


def key_fields(kind: str, path: tuple[str, ...]) -> tuple[str, ...] | None:
    """The keys of an associative list (the fields its items are told apart by), or None."""
    key = patches.merge_key(kind, path)
    if key is None:
        return None
    if path[-1] == "ports":
        return ("port", "protocol") if kind == "Service" and path == ("spec", "ports") else ("containerPort", "protocol")
    return _KEY_FIELDS.get(path[-1], (key,))


def item_key(item: dict, keys: tuple[str, ...]) -> str:
    vals = {k: item.get(k, _KEY_DEFAULTS.get(k)) for k in keys}
    return "k:" + json.dumps({k: v for k, v in vals.items() if v is not None}, separators=(",", ":"))


def field_set(obj: dict, kind: str) -> set[Path]:
    """The fields an applied configuration sets (structured-merge-diff's ToFieldSet)."""
    out: set[Path] = set()

    def walk_map(value: dict, path: Path, shape: tuple[str, ...]) -> None:
        free = _is_free_map(shape)
        for k, v in value.items():
            if not path and k in ("apiVersion", "kind", "status"):
                continue
            if shape == ("metadata",) and k in STRIPPED_META:
                continue
            p, s = path + (f"f:{k}",), shape + (k,)
            walk(v, p, s)
            if v is None or v == {} or free:
                out.add(p)

    def walk(value: Any, path: Path, shape: tuple[str, ...]) -> None:
        if is_atomic(shape):
            out.add(path)
        elif isinstance(value, dict):
            walk_map(value, path, shape)
        elif isinstance(value, list):
            keys = key_fields(kind, shape)
            if keys is None or shape in ATOMIC_LISTS or not all(isinstance(i, dict) for i in value):
                out.add(path)  # an atomic list
                return
            for item in value:
                p = path + (item_key(item, keys),)
                if shape[-1] not in ATOMIC_ITEMS:
                    walk_map(item, p, shape)
                out.add(p)
        else:
            out.add(path)

    walk_map(obj, (), ())
    return out


def to_fields_v1(fields: Iterable[Path]) -> dict:
    """A field set as `fieldsV1` (a member that also has children is `.` among them)."""
    tree: dict = {}
    members = set(fields)
    for path in sorted(members):
        node = tree
        for el in path:
            node = node.setdefault(el, {})
    def mark(node: dict, prefix: Path) -> None:
        for k, child in node.items():
            if k == ".":
                continue
            p = prefix + (k,)
            if child and p in members:
                child["."] = {}
            mark(child, p)
    mark(tree, ())
    return tree


def from_fields_v1(tree: dict, prefix: Path = ()) -> set[Path]:
    out: set[Path] = set()
    for k, child in (tree or {}).items():
        if k == ".":
            out.add(prefix)
            continue
        p = prefix + (k,)
        if not child:
            out.add(p)
        else:
            out |= from_fields_v1(child, p)
    return out


def path_string(path: Path) -> str:
    """fieldpath.Path.String(): `.spec.template.spec.containers[name="counter"].image`."""
    out = ""
    for el in path:
        kind, _, rest = el.partition(":")
        if kind == "f":
            out += "." + rest
        elif kind == "k":
            key = json.loads(rest)
            out += "[" + ",".join(f"{k}={json.dumps(v)}" for k, v in key.items()) + "]"
        else:
            out += f"[={rest}]"
    return out


def value_at(obj: Any, path: Path) -> tuple[bool, Any]:
    """The value at a field path, and whether it is there."""
    for el in path:
        kind, _, rest = el.partition(":")
        if kind == "f" and isinstance(obj, dict) and rest in obj:
            obj = obj[rest]
        elif kind == "k" and isinstance(obj, list):
            key = json.loads(rest)
            obj = next((i for i in obj if isinstance(i, dict) and
                        all(i.get(k, _KEY_DEFAULTS.get(k)) == v for k, v in key.items())), _MISSING)
            if obj is _MISSING:
                return False, None
        else:
            return False, None
    return True, obj


_MISSING = object()


def remove_field(obj: Any, path: Path) -> None:
    parent_found, parent = value_at(obj, path[:-1])
    if not parent_found:
        return
    kind, _, rest = path[-1].partition(":")
    if kind == "f" and isinstance(parent, dict):
        parent.pop(rest, None)
    elif kind == "k" and isinstance(parent, list):
        key = json.loads(rest)
        parent[:] = [i for i in parent if not (isinstance(i, dict) and
                                              all(i.get(k, _KEY_DEFAULTS.get(k)) == v for k, v in key.items()))]
    if not parent and len(path) > 1:
        remove_field(obj, path[:-1])  # a list or map left empty goes too (structured-merge-diff's RemoveItems)


