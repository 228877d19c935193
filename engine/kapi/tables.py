"""Server-side printing: meta.k8s.io/v1 `Table`s from svcflow's printers (apiserver-spec §2.2).

`kubectl get` without `-o` asks for a Table and prints its cells; without one it prints only
NAME and AGE. The cells come from `engine.kubectl.printers.get.TABLES`, the same functions
`svcflow get` prints with, so real kubectl's output equals svcflow's. As kube-apiserver's
`printerstorage.TableConvertor` does, rows are generated with `Wide: true` and the `-o wide`
columns carry `priority: 1` (kubectl hides them unless asked).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from engine.kubectl.printers.get import TABLES

TABLE_MEDIA = "application/json;as=Table;v=v1;g=meta.k8s.io"
TABLE_MEDIA_V1BETA1 = "application/json;as=Table;v=v1beta1;g=meta.k8s.io"

_DESCRIPTIONS = {
    "Name": "Name must be unique within a namespace. Is required when creating resources, although some "
            "resources may allow a client to request the generation of an appropriate name automatically. "
            "Name is primarily intended for creation idempotence and configuration definition. Cannot be "
            "updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
    "Age": "CreationTimestamp is a timestamp representing the server time when this object was created. It is "
           "not guaranteed to be set in happens-before order across separate operations. Clients may not set "
           "this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. "
           "Null for lists. More info: "
           "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
}


def wants_table(accept: str) -> str | None:
    """The Table media type the client asked for (`as=Table;v=v1;g=meta.k8s.io`), or None."""
    for part in accept.split(","):
        params = set(p.strip() for p in part.split(";"))
        if "as=Table" in params and "g=meta.k8s.io" in params:
            if "v=v1" in params:
                return TABLE_MEDIA
            if "v=v1beta1" in params:
                return TABLE_MEDIA_V1BETA1
    return None


def has_printer(kind: str) -> bool:
    return kind in TABLES


def column_definitions(kind: str) -> list[dict[str, Any]]:
    """Every column, wide ones at `priority: 1`, in the order the printer's cells come."""
    t = TABLES.get(kind)
    if t is None:
        return [_column("Name", 0), _column("Created At", 0, "date")]
    layout = list(t.wide_layout) if t.wide_layout else list(t.columns) + list(t.wide_columns)
    narrow = set(t.columns)
    return [_column(c, 0 if c in narrow else 1) for c in layout]


def _column(name: str, priority: int, type_: str = "string") -> dict[str, Any]:
    return {"name": name, "type": type_, "format": "name" if name == "Name" else "",
            "description": _DESCRIPTIONS.get(name, name), "priority": priority}


def partial_metadata(obj: dict, include: str) -> dict | None:
    """`row.object` for `includeObject`: Metadata (the default), Object or None."""
    if include == "None":
        return None
    if include == "Object":
        return obj
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj.get("metadata") or {}}


def row(kind: str, obj: dict, now: datetime, include: str = "Metadata") -> dict[str, Any]:
    t = TABLES.get(kind)
    if t is not None:
        cells: list[Any] = list(t.row(obj, now, True))
    else:
        md = obj.get("metadata") or {}
        cells = [md.get("name", ""), md.get("creationTimestamp")]
    out: dict[str, Any] = {"cells": cells}
    o = partial_metadata(obj, include)
    if o is not None:
        out["object"] = o
    return out


def table(kind: str, objs: Iterable[dict], now: datetime, *, resource_version: str = "", continue_token: str = "",
          remaining: int | None = None, include: str = "Metadata", headers: bool = True,
          media: str = TABLE_MEDIA) -> dict[str, Any]:
    """A Table for a list (or one object). `headers=False`: a watch event after the first,
    whose `columnDefinitions` are null (apiserver's watchEmbeddedEncoder). `remaining`: the
    list's `remainingItemCount`, which the Table's ListMeta carries over."""
    md: dict[str, Any] = {}
    if resource_version:
        md["resourceVersion"] = resource_version
    if continue_token:
        md["continue"] = continue_token
    if remaining is not None:
        md["remainingItemCount"] = remaining
    version = "v1beta1" if media == TABLE_MEDIA_V1BETA1 else "v1"
    return {"kind": "Table", "apiVersion": f"meta.k8s.io/{version}", "metadata": md,
            "columnDefinitions": column_definitions(kind) if headers else None,
            "rows": [row(kind, o, now, include) for o in objs]}
