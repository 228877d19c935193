"""What the served API exposes: the kinds registry (`engine.api.kinds`), which discovery, the
URL router and the OpenAPI document all read, so they can never disagree with each other or
with the rest of svcflow. Discovery publishes the registry's entries verbatim (short names,
categories, verbs, subresources, in kube-apiserver's order); which subresources are actually
served is the concern modules' business (`ApiContext.subresource_routes`).
"""
from __future__ import annotations

from engine.api import kinds
from engine.api.kinds import KindInfo


class ResourceTable:
    """The served resources by group/version (discovery order) and by URL path."""

    def __init__(self) -> None:
        self.by_gv: dict[tuple[str, str], list[KindInfo]] = {
            gv: kinds.in_group_version(*gv) for gv in kinds.group_versions()}

    def lookup(self, group: str, version: str, resource: str) -> KindInfo | None:
        return kinds.by_resource(group, version, resource)

    def groups(self) -> list[str]:
        """API group names other than core, in discovery order."""
        return list(dict.fromkeys(g for g, _ in self.by_gv if g))

    def versions(self, group: str) -> list[str]:
        return [v for g, v in self.by_gv if g == group]
