"""What the served API exposes, read from the kinds registry (`engine.api.kinds`) and the
printers' resource names (short names, the `all` category): one table that discovery, the
URL router and the OpenAPI document all read, so they can never disagree.

A path names a resource by its plural (`/apis/apps/v1/namespaces/default/deployments`);
`lookup(group, version, plural)` finds it.
"""
from __future__ import annotations

from dataclasses import dataclass

from engine.api.kinds import KINDS, KindInfo
from engine.kubectl.printers.get import ALL_CATEGORY, RESOURCES

# kube-apiserver's verbs for a plain REST storage (`endpoints/installer.go`).
STANDARD_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class Subresource:
    """`deployments/scale`: served by one of the concern modules, advertised by discovery."""

    name: str
    group: str
    version: str
    kind: str
    verbs: tuple[str, ...]


@dataclass(frozen=True)
class Served:
    info: KindInfo
    singular: str
    short_names: tuple[str, ...]
    categories: tuple[str, ...]
    verbs: tuple[str, ...] = STANDARD_VERBS

    @property
    def kind(self) -> str:
        return self.info.kind

    @property
    def plural(self) -> str:
        return self.info.plural


def _served(info: KindInfo) -> Served:
    printed = RESOURCES.get(info.kind)
    return Served(info=info, singular=printed.singular if printed else info.kind.lower(),
                  short_names=printed.short_names if printed else (),
                  categories=("all",) if info.kind in ALL_CATEGORY else ())


class ResourceTable:
    """The served resources, by group/version and by plural, in discovery order (the core
    group first, then groups by name; resources alphabetical inside a group/version, as
    kube-apiserver lists them and `kubectl get all` follows)."""

    def __init__(self, subresources: dict[str, list[Subresource]] | None = None) -> None:
        self.subresources = subresources or {}
        served = sorted((_served(i) for i in KINDS.values()),
                        key=lambda s: (s.info.group != "", s.info.group, s.info.version, s.plural))
        self.by_gv: dict[tuple[str, str], list[Served]] = {}
        for s in served:
            self.by_gv.setdefault((s.info.group, s.info.version), []).append(s)
        self._by_path = {(s.info.group, s.info.version, s.plural): s for s in served}
        self._by_kind = {s.kind: s for s in served}

    def lookup(self, group: str, version: str, plural: str) -> Served | None:
        return self._by_path.get((group, version, plural))

    def of_kind(self, kind: str) -> Served | None:
        return self._by_kind.get(kind)

    def groups(self) -> list[str]:
        """API group names other than core, in discovery order."""
        out: list[str] = []
        for g, _ in self.by_gv:
            if g and g not in out:
                out.append(g)
        return out

    def versions(self, group: str) -> list[str]:
        return [v for g, v in self.by_gv if g == group]
