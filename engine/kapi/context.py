"""What every handler of the served API shares: the cluster, the served resources, the
watch hub, and the routing of a URL onto a resource (`ResourceRequest`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Mapping

from engine.api.kinds import KindInfo
from engine.containers.processes import PodProcesses
from engine.kapi.controllerfields import ComponentFields
from engine.kapi.resources import ResourceTable
from engine.kapi.status import StatusError, unknown_path
from engine.kapi.watch import WatchHub

if TYPE_CHECKING:
    from aiohttp import web

    from engine.cluster.cluster import Cluster
    from engine.net.network import Network

#: kube-apiserver's limit on a request body (`--max-request-bytes` default, 3 MiB).
MAX_BODY = 3 * 1024 * 1024

SubresourceHandler = Callable[["ApiContext", "ResourceRequest", "web.Request"], Awaitable["web.StreamResponse"]]
#: Decodes a request body of one media type (protobuf, later) into JSON-shaped data.
BodyDecoder = Callable[[bytes, "ResourceRequest"], Any]


@dataclass(frozen=True)
class SubresourceRoute:
    """One subresource a concern module serves (`deployments/scale`, later `pods/exec`): the
    kinds it serves it for (discovery lists it from the registry) and its handler, called for
    every HTTP method on the path."""

    kinds: tuple[str, ...]
    name: str
    handler: SubresourceHandler


@dataclass
class ApiContext:
    """The served API's state for one cluster. `after_write` is called after every accepted
    write so whoever drives the cluster (the serve loop, the dashboard) runs the controllers
    soon; tests settle the cluster themselves.

    Concerns plug in here, each from its own module: `subresource_routes` (scale; exec, log
    ...), `body_decoders` by media type (protobuf bodies), `patch_handlers` by PATCH media
    type (server-side apply's `application/apply-patch+yaml`)."""

    cluster: "Cluster"
    server_address: str = "127.0.0.1:6443"
    subresource_routes: list[SubresourceRoute] = field(default_factory=list)
    body_decoders: dict[str, BodyDecoder] = field(default_factory=dict)
    patch_handlers: dict[str, SubresourceHandler] = field(default_factory=dict)
    after_write: Callable[[], None] | None = None
    bookmark_seconds: float = 60.0
    watch_queue_limit: int = 4096
    net: "Network | None" = None  # the pods' processes (the dashboard's session's); a new one if None
    table: ResourceTable = field(init=False)
    hub: WatchHub = field(init=False)
    pods: PodProcesses = field(init=False)
    fields: ComponentFields = field(init=False)  # (the components' managedFields, as objects are served)

    def __post_init__(self) -> None:
        self.table = ResourceTable()
        self.hub = WatchHub(self.cluster.store)
        self.pods = PodProcesses.of(self.cluster, self.net)
        self.fields = ComponentFields(self.cluster.store)

    def wrote(self) -> None:
        if self.after_write is not None:
            self.after_write()

    def subresource_handler(self, kind: str, name: str) -> SubresourceHandler | None:
        for r in self.subresource_routes:
            if kind in r.kinds and r.name == name:
                return r.handler
        return None


@dataclass(frozen=True)
class ResourceRequest:
    """A URL under `/api` or `/apis` resolved to a resource: `namespace` is None for a
    request across namespaces (or a cluster-scoped kind), `name` None for the collection."""

    info: KindInfo
    namespace: str | None
    name: str | None
    subresource: str | None
    query: Mapping[str, str]

    @property
    def kind(self) -> str:
        return self.info.kind


def resolve(table: ResourceTable, path: str, query: Mapping[str, str]) -> ResourceRequest:
    """`/api/v1/namespaces/NS/pods/NAME/SUB` and `/apis/G/V/...` onto a ResourceRequest; a
    path that names nothing served is kube-apiserver's plain 404."""
    segs = [s for s in path.split("/") if s]
    if segs[:1] == ["api"] and len(segs) >= 3:
        group, version, rest = "", segs[1], segs[2:]
    elif segs[:1] == ["apis"] and len(segs) >= 4:
        group, version, rest = segs[1], segs[2], segs[3:]
    else:
        raise unknown_path()
    namespace = None
    inner = table.lookup(group, version, rest[2]) if rest[0] == "namespaces" and len(rest) >= 3 else None
    if inner is not None and inner.namespaced:
        namespace, rest = rest[1], rest[2:]
    info = table.lookup(group, version, rest[0])
    if info is None or len(rest) > 3:
        raise unknown_path()
    name = rest[1] if len(rest) >= 2 else None
    sub = rest[2] if len(rest) == 3 else None
    if not info.namespaced:
        namespace = ""
    return ResourceRequest(info, namespace, name, sub, query)


def require_namespace(req: ResourceRequest) -> str:
    """The namespace of a request about one namespaced object (always in the path)."""
    if req.namespace is None:
        raise StatusError("NotFound", "the server could not find the requested resource", details={})
    return req.namespace
