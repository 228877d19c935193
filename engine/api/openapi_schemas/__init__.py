"""Kubernetes v1.33.0's OpenAPI v3 component schemas for the kinds svcflow serves, as
kube-apiserver publishes them in `/openapi/v3/<group-version>` (package data,
`schemas.json.gz`, made offline by `generate.py` from the upstream definitions).

The real kubectl reads them from `svcflow serve` (engine.kapi.openapi): `kubectl explain`
prints their descriptions and `kubectl apply` builds its strategic merge patches from their
patch strategies and merge keys, so they are upstream's, not svcflow's. svcflow's own
`kubectl explain` (engine.kubectl.printers.explain) prints them too; they live with the API's
types so that both layers can read them.
"""
from __future__ import annotations

import gzip
import json
from importlib import resources
from typing import Any, Iterable

DATA = "schemas.json.gz"


def load() -> dict[str, dict[str, Any]]:
    """Every schema, by its component name (`io.k8s.api.core.v1.Pod`)."""
    raw = resources.files(__package__).joinpath(DATA).read_bytes()
    return json.loads(gzip.decompress(raw))["schemas"]


def _refs(node: Any) -> Iterable[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield ref.rsplit("/", 1)[-1]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def for_kinds(schemas: dict[str, dict[str, Any]], gvks: Iterable[tuple[str, str, str]]) -> dict[str, dict[str, Any]]:
    """The schemas of the (group, version, kind)s given and everything they reference: what
    one group-version's document carries."""
    wanted = set(gvks)
    todo = [name for name, schema in schemas.items()
            if any((g.get("group", ""), g.get("version", ""), g.get("kind", "")) in wanted
                   for g in schema.get("x-kubernetes-group-version-kind", ()))]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name not in seen and name in schemas:
            seen.add(name)
            todo.extend(_refs(schemas[name]))
    return {name: schemas[name] for name in sorted(seen)}
