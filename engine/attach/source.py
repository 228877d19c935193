"""Which kinds the mirror follows, and the reflectors that follow them.

What the panes and the computed kube-proxy and CoreDNS read: Pods, Services,
Endpoints, EndpointSlices, Nodes, Namespaces, and two ConfigMaps of kube-system (kube-proxy's
configuration for its mode, CoreDNS's Corefile), each selected by name so that RBAC may grant
exactly those. A kind RBAC refuses is reported in one line and skipped; the rest carry on.
Then, quietly, what `kubectl get all` shows besides: Deployments, ReplicaSets and DaemonSets
(a user attached expects `get deploy` to list them, not "No resources found"; in the
attach benchmark's 1,000-Service cluster they add 11% to the bytes listed and ~13% to the
client's CPU until every list is in, and the kinds that paint come first), and the nodes'
Leases in kube-node-lease (`describe node` shows each node's); RBAC's refusal of those is no
error-bar line, a command that asks for them answers kubectl's Forbidden (`refusal`).

On a shared cluster a user's Role often grants list and watch on pods, services and
endpointslices in some namespaces only. When RBAC refuses such a namespaced kind's
cluster-wide list, it is listed in each namespace instead (`NamespaceScope`): the namespaces
the Namespace list shows (followed as they come and go), or, when that list is refused too,
the kubeconfig context's namespace, as kubectl falls back to it. The namespaces where RBAC
refuses it as well are dropped quietly; one line says which scope is used
(`pods: only in namespaces shop, ops (cluster-wide list forbidden)`).
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from engine.attach.client import RETRYING, UNREACHABLE, Forbidden, KubeClient
from engine.attach.decoding import PageDecoder
from engine.attach.reflector import Reflector, ReflectorSink, Resource
from engine.kubelet.nodelease import NODE_LEASE_NAMESPACE

KUBE_PROXY_CONFIGMAP = "kube-proxy"
COREDNS_CONFIGMAP = "coredns"
_CM = "/api/v1/namespaces/kube-system/configmaps"

#: In the order they are listed: what shapes the computed components first.
RESOURCES = (
    Resource("ConfigMap", "v1", _CM, f"metadata.name={KUBE_PROXY_CONFIGMAP}", "kube-system/configmaps/kube-proxy"),
    Resource("ConfigMap", "v1", _CM, f"metadata.name={COREDNS_CONFIGMAP}", "kube-system/configmaps/coredns"),
    Resource("Node", "v1", "/api/v1/nodes", label="nodes"),
    Resource("Namespace", "v1", "/api/v1/namespaces", label="namespaces"),
    Resource("Service", "v1", "/api/v1/services", label="services", namespaced=True),
    Resource("EndpointSlice", "discovery.k8s.io/v1", "/apis/discovery.k8s.io/v1/endpointslices",
             label="endpointslices", namespaced=True),
    Resource("Endpoints", "v1", "/api/v1/endpoints", label="endpoints", namespaced=True),
    Resource("Pod", "v1", "/api/v1/pods", label="pods", namespaced=True),
    # What `kubectl get deploy,rs,ds` and `get all` show, and what `deploy/NAME` names: no
    # pane or computation reads them, so they come last, and a Role that does not grant them
    # costs no error-bar line (a command asking for them answers kubectl's Forbidden).
    Resource("Deployment", "apps/v1", "/apis/apps/v1/deployments", label="deployments", namespaced=True, quiet=True),
    Resource("ReplicaSet", "apps/v1", "/apis/apps/v1/replicasets", label="replicasets", namespaced=True, quiet=True),
    Resource("DaemonSet", "apps/v1", "/apis/apps/v1/daemonsets", label="daemonsets", namespaced=True, quiet=True),
    # What `trace` checks after DNAT (the cluster's network policy engine drops what they do not allow).
    Resource("NetworkPolicy", "networking.k8s.io/v1", "/apis/networking.k8s.io/v1/networkpolicies",
             label="networkpolicies", namespaced=True, quiet=True),
    # The kubelets' heartbeats, which `describe node` shows (kubectl reads the node's Lease).
    # Each renews every 10 s: a small, steady watch.
    Resource("Lease", "coordination.k8s.io/v1", f"/apis/coordination.k8s.io/v1/namespaces/{NODE_LEASE_NAMESPACE}/leases",
             label=f"{NODE_LEASE_NAMESPACE}/leases", namespace=NODE_LEASE_NAMESPACE, quiet=True),
)

#: The key of the one line that says which kinds are listed in which namespaces only.
SCOPE = Resource("", "", "", label="namespace scope")
#: The key of the one line that says the server is back after it could not be reached.
CONNECTION = Resource("", "", "", label="connection")
#: How long "reconnected to URL" stays on the error bar.
RECONNECTED_SECONDS = 10.0
#: The key of the line about a server that takes connections but does not answer.
ANSWER = Resource("", "", "", label="answer")
#: Between the dashboard's probes of the server (GET /version): a stopped or overloaded server
#: leaves its watches silent, which looks like a cluster where nothing happens; kube-apiserver's
#: watch bookmarks come only every minute, and a client's read timeout is minutes.
HEARTBEAT_SECONDS = 15.0
#: How long a probe waits for its answer before the line says the server does not answer.
ANSWER_TIMEOUT = 10.0
#: First lists of the per-namespace fallback in flight at once (most are refused at once;
#: a cluster of hundreds of namespaces is not asked all at the same instant).
FALLBACK_PARALLEL_LISTS = 8


@dataclass
class NamespaceScope:
    """A namespaced kind whose cluster-wide list RBAC refused, listed namespace by namespace."""

    resource: Resource  # the cluster-wide one
    refusal: Forbidden
    from_context: bool  # the namespaces list was refused too: only the kubeconfig context's namespace is tried
    reflectors: dict[str, Reflector] = field(default_factory=dict)  # namespace -> its reflector
    listed: set[str] = field(default_factory=set)  # namespaces whose list RBAC allowed
    refused: set[str] = field(default_factory=set)  # namespaces where RBAC refuses it too
    messages: dict[str, str] = field(default_factory=dict)  # namespace -> the API server's refusal there

    def allowed(self) -> list[str]:
        return [ns for ns in self.reflectors if ns in self.listed and ns not in self.refused]

    def pending(self) -> bool:
        return any(ns not in self.listed and ns not in self.refused for ns in self.reflectors)

    def refused_everywhere(self) -> str | None:
        """The one line for a kind RBAC refuses in every namespace tried, else None."""
        if self.allowed() or self.pending():
            return None
        r, e = self.resource, self.refusal
        if self.from_context:
            where = f"in the kubeconfig context's namespace {', '.join(self.reflectors) or '(none)'}"
        else:
            n = len(self.reflectors)
            where = f"in any of the {n} namespaces" if n != 1 else "in the one namespace"
        return (f"forbidden: {e.message or r.path}, nor {where} ({r.path}; RBAC: {r.name} are skipped; "
                f"grant list and watch on them to show them)")


@dataclass
class AttachSource:
    """One reflector per resource, run together; `synced()` waits for every first list
    (the per-namespace fallback's included)."""

    client: KubeClient
    sink: ReflectorSink
    resources: tuple[Resource, ...] = RESOURCES
    page_size: int = 500
    watch_seconds: int = 300
    reflectors: list[Reflector] = field(default_factory=list)
    scopes: dict[Resource, NamespaceScope] = field(default_factory=dict)  # cluster-wide resource -> its scope
    _tasks: list[asyncio.Task] = field(default_factory=list)
    _namespaces: dict[str, None] = field(default_factory=dict)  # what the Namespace list shows, in its order
    _in_namespace: dict[Resource, NamespaceScope] = field(default_factory=dict)  # per-namespace resource -> scope
    _gate: asyncio.Semaphore | None = None
    _tap: _Tap | None = None
    _said: dict[Resource, str | None] = field(default_factory=dict)  # the lines last said, by key
    #: Where the lists' pages are decoded (a big list's in another process), for every reflector.
    decoder: PageDecoder = field(default_factory=PageDecoder)

    def start(self) -> None:
        """Start every reflector in the running loop."""
        self._gate = asyncio.Semaphore(FALLBACK_PARALLEL_LISTS)
        self._tap = tap = _Tap(self.sink, self)
        for r in self.resources:
            # (a quiet kind, which no pane reads, is listed once the kinds that paint are: its
            # pages would only delay the first full paint)
            self._run(Reflector(self.client, r, tap, page_size=self.page_size, watch_seconds=self.watch_seconds,
                                on_forbidden=self._fall_back, after=self.panes_synced if r.quiet else None,
                                decoder=self.decoder))

    def start_heartbeat(self) -> None:
        """Probe the server every HEARTBEAT_SECONDS (the dashboard's: a headless command's
        lists time out by themselves)."""
        self._tasks.append(asyncio.create_task(self._heartbeat(HEARTBEAT_SECONDS, ANSWER_TIMEOUT),
                                               name="svcflow-attach heartbeat"))

    async def _heartbeat(self, every: float, timeout: float) -> None:
        """While the server takes connections but answers nothing, one line says since
        when (it starts with UNREACHABLE: once it answers again, "reconnected" is said)."""
        loop = asyncio.get_running_loop()
        silent_since: float | None = None
        while True:
            await asyncio.sleep(every)
            asked = loop.time()
            answered = await self.client.answers(timeout)
            if answered is False:
                silent_since = asked if silent_since is None else silent_since
                assert self._tap is not None
                self._tap.problem(ANSWER, f"{UNREACHABLE}{self.client.server}: no answer for "
                                          f"{loop.time() - silent_since:.0f} s (the panes show what it last sent)"
                                          f"{RETRYING}")
            elif silent_since is not None:
                silent_since = None
                assert self._tap is not None
                self._tap.problem(ANSWER, None)

    def _run(self, reflector: Reflector) -> None:
        self.reflectors.append(reflector)
        self._tasks.append(asyncio.create_task(reflector.run(), name=f"svcflow-attach {reflector.resource.name}"))

    async def synced(self) -> None:
        """Every resource listed once (or skipped as forbidden), the namespaces a refused
        kind falls back to included (they are started before the refused list counts as done)."""
        while True:
            waiting = [r.listed.wait() for r in self.reflectors if not r.listed.is_set()]
            if not waiting:
                return
            await asyncio.gather(*waiting)

    async def panes_synced(self) -> None:
        """Every kind a pane or a computed component reads listed once (or skipped): all but
        the quiet ones."""
        while True:
            waiting = [r.listed.wait() for r in self.reflectors if not r.resource.quiet and not r.listed.is_set()]
            if not waiting:
                return
            await asyncio.gather(*waiting)

    def held_up_by(self, reflector: Reflector) -> Reflector:
        """The reflector whose list `reflector`'s first list waits for: its own, or, while
        RBAC's per-namespace fallback waits for the Namespace list to say where to list
        instead, the Namespace list's (a failure of that list holds this one up too)."""
        if reflector.forbidden and not reflector.listed.is_set():
            listing = self._namespace_listing()
            if listing is not None and not listing.listed.is_set():
                return listing
        if reflector.waiting:  # (a quiet kind waits for the kinds that paint)
            first = next((r for r in self.reflectors if not r.resource.quiet and not r.listed.is_set()), None)
            if first is not None:
                return self.held_up_by(first)
        return reflector

    def forbidden(self) -> list[Resource]:
        """The kinds RBAC refuses outright (a kind listed in some namespaces is not one)."""
        out = [r.resource for r in self.reflectors
               if r.forbidden and not r.resource.namespace and r.resource not in self.scopes]
        return out + [s.resource for s in self.scopes.values() if s.refused_everywhere()]

    def refusal(self, kind: str, namespace: str | None) -> str | None:
        """The API server's own refusal (`pods is forbidden: User "x" cannot list resource
        "pods" in API group "" at the cluster scope`) when RBAC kept svcflow from reading
        `kind` in `namespace` (None: in every namespace, as `get -A` asks), else None: what a
        command asking for it answers as kubectl does, `Error from server (Forbidden): ...`."""
        for reflector in self.reflectors:
            r = reflector.resource
            if r.kind != kind or r.namespace or not reflector.forbidden:
                continue
            scope = self.scopes.get(r)
            if scope is None:  # refused outright (a cluster-scoped kind, or no fallback)
                return reflector.refusal or None
            if namespace is None:
                return None if scope.allowed() else (scope.refusal.message or reflector.refusal or None)
            if namespace in scope.listed and namespace not in scope.refused:
                return None
            return scope.messages.get(namespace) or scope.refusal.message or reflector.refusal or None
        return None

    # -- the per-namespace fallback ----------------------------------------------------------
    async def _fall_back(self, reflector: Reflector, refusal: Forbidden) -> bool:
        """RBAC refused `reflector`: for a namespaced kind's cluster-wide list, list it in the
        namespaces it can see instead (True); anything else is the reflector's to report."""
        r = reflector.resource
        if r.namespace:  # one namespace of a fallback: dropped quietly, the scope's line tells
            scope = self._in_namespace.get(r)
            if scope is not None:
                scope.refused.add(r.namespace)
                scope.messages[r.namespace] = refusal.message
                self._say()
            return True
        if not r.namespaced or reflector.lists or r in self.scopes:
            return r.quiet
        names, from_context = await self._visible_namespaces()
        scope = NamespaceScope(r, refusal, from_context)
        self.scopes[r] = scope
        for ns in names:
            self._start_in(scope, ns)
        self._say()
        return True

    async def _visible_namespaces(self) -> tuple[list[str], bool]:
        """The namespaces the Namespace list shows, once it is in; the kubeconfig context's
        namespace (True) when RBAC refuses that list too (or it is not followed)."""
        listing = self._namespace_listing()
        if listing is not None:
            await listing.listed.wait()
        if listing is None or listing.forbidden:
            return [self.client.namespace], True
        return list(self._namespaces), False

    def _namespace_listing(self) -> Reflector | None:
        return next((x for x in self.reflectors if x.resource.kind == "Namespace" and not x.resource.namespace), None)

    def _start_in(self, scope: NamespaceScope, namespace: str) -> None:
        if namespace in scope.reflectors:
            return
        r = scope.resource.in_namespace(namespace)
        assert self._tap is not None
        reflector = Reflector(self.client, r, self._tap, page_size=self.page_size, watch_seconds=self.watch_seconds,
                              on_forbidden=self._fall_back, gate=self._gate, decoder=self.decoder)
        scope.reflectors[namespace] = reflector
        self._in_namespace[r] = scope
        self._run(reflector)

    def _stop_in(self, scope: NamespaceScope, namespace: str) -> None:
        reflector = scope.reflectors.pop(namespace, None)
        if reflector is None:
            return
        reflector.stop()
        reflector.listed.set()  # (nobody waits for a namespace that is gone)
        scope.listed.discard(namespace)
        scope.refused.discard(namespace)
        self._in_namespace.pop(reflector.resource, None)
        self.sink.problem(reflector.resource, None)

    def namespaces_listed(self, names: list[str]) -> None:
        """The Namespace list (or a relist): follow namespaces that came and went."""
        before = self._namespaces
        self._namespaces = dict.fromkeys(n for n in names if n)
        for ns in before.keys() - self._namespaces.keys():
            self.namespace_gone(ns)
        for ns in self._namespaces.keys() - before.keys():
            self.namespace_added(ns)

    def namespace_added(self, namespace: str) -> None:
        if not namespace:
            return
        self._namespaces[namespace] = None
        for scope in self.scopes.values():
            if not scope.from_context:
                self._start_in(scope, namespace)
        self._say()

    def namespace_gone(self, namespace: str) -> None:
        self._namespaces.pop(namespace, None)
        for scope in self.scopes.values():
            if not scope.from_context:
                self._stop_in(scope, namespace)
        self._say()

    def listed_in(self, resource: Resource) -> None:
        """A per-namespace list is in: the namespace is one RBAC allows."""
        scope = self._in_namespace.get(resource)
        if scope is not None and resource.namespace not in scope.listed:
            scope.listed.add(resource.namespace)
            self._say()

    def _say(self) -> None:
        """The scope line (kinds listed in some namespaces only, grouped by those namespaces)
        and, for a kind refused everywhere, its own forbidden line."""
        groups: dict[tuple[tuple[str, ...], bool], list[str]] = {}
        for scope in self.scopes.values():
            allowed = tuple(scope.allowed())
            if allowed:
                groups.setdefault((allowed, scope.from_context), []).append(scope.resource.name)
            self._tell(scope.resource, None if scope.resource.quiet else scope.refused_everywhere())
        parts = []
        for (allowed, from_context), kinds in groups.items():
            where = f"namespace{'s' if len(allowed) > 1 else ''} {', '.join(allowed)}"
            why = ("cluster-wide list forbidden, and the namespaces list: the kubeconfig context's namespace"
                   if from_context else "cluster-wide list forbidden")
            parts.append(f"{', '.join(sorted(kinds))}: only in {where} ({why})")
        self._tell(SCOPE, "; ".join(parts) or None)

    def _tell(self, key: Resource, line: str | None) -> None:
        if self._said.get(key) != line:
            self._said[key] = line
            self.sink.problem(key, line)

    async def stop(self) -> None:
        """Stop every reflector, then the decoding process, even when this is cancelled while
        the reflectors end (the dashboard's quit cancels its worker, then asyncio.run cancels
        every task again): else the process outlived the attach, until this one's exit."""
        for r in self.reflectors:
            r.stop()
        for t in self._tasks:
            t.cancel()
        try:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        finally:
            self._tasks = []
            await self.decoder.aclose()


class _Tap:
    """The sink every reflector feeds: everything goes on to the mirror; the source learns
    which namespaces exist and which per-namespace lists RBAC allowed."""

    def __init__(self, sink: ReflectorSink, source: AttachSource) -> None:
        self.sink = sink
        self.source = source
        self._unreachable: set[Resource] = set()  # reflectors whose last line is "cannot reach ..."
        self._clear: asyncio.TimerHandle | None = None
        self._listed_any = False  # a list came in (the server was reached once)
        self._was_reached = False  # ... before the server became unreachable

    def page(self, resource: Resource, page: dict, first: bool) -> None:
        self.sink.page(resource, page, first)

    def replace(self, resource: Resource, objects: list[dict]) -> None:
        self._listed_any = True
        self.sink.replace(resource, objects)
        if resource.kind == "Namespace" and not resource.namespace:
            self.source.namespaces_listed([(o.get("metadata") or {}).get("name") or "" for o in objects])
        elif resource.namespace:
            self.source.listed_in(resource)

    def event(self, resource: Resource, type_: str, obj: dict) -> None:
        self.sink.event(resource, type_, obj)
        if resource.kind == "Namespace" and not resource.namespace:
            name = (obj.get("metadata") or {}).get("name") or ""
            if type_ == "ADDED":
                self.source.namespace_added(name)
            elif type_ == "DELETED":
                self.source.namespace_gone(name)

    def problem(self, resource: Resource, line: str | None) -> None:
        self.sink.problem(resource, line)
        if line is not None and line.startswith(UNREACHABLE):
            if not self._unreachable:
                self._was_reached = self._listed_any
            self._unreachable.add(resource)
            self._reconnected(None)
        elif resource in self._unreachable:
            self._unreachable.discard(resource)
            if not self._unreachable:
                # (every reflector that could not reach the server has reached it: again, or at last)
                again = "reconnected" if self._was_reached else "connected"
                self._reconnected(f"{again} to {self.source.client.server}")

    def _reconnected(self, line: str | None) -> None:
        """Say (for RECONNECTED_SECONDS) or unsay that the server is back."""
        if self._clear is not None:
            self._clear.cancel()
            self._clear = None
        self.source._tell(CONNECTION, line)
        if line is not None:
            self._clear = asyncio.get_running_loop().call_later(RECONNECTED_SECONDS, self._reconnected, None)
