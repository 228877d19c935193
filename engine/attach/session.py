"""Attaching: connect, list every kind, build the mirror, then follow the watches.

`snapshot()` is what the headless commands use (`svcflow get ... --kubeconfig`): list once,
build, compute, stop. `follow()` is the dashboard's: it builds the mirror as soon as the
kinds that shape it are listed, so the panes fill page by page while the big lists come in
(the reflectors show the mirror every list page as it arrives), lets kube-proxy and CoreDNS
compute once the kinds they read are listed, calls back at each of those moments and whenever the problems change, and never gives up on a
server that is away (the reflectors retry with backoff). Nothing here writes: the client
has no method that could.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Callable

from engine.attach.client import UNREACHABLE, AttachError, KubeClient, connect, without_retrying
from engine.attach.decoding import OFFLOAD_AT, PageDecoder
from engine.attach.events import EventsQuery, EventsRead, read_events
from engine.attach.mirror import SHAPE_KINDS, Mirror
from engine.attach.reflector import Resource
from engine.attach.source import CONNECTION, RESOURCES, AttachSource
from engine.cluster.cluster import Cluster

RECONNECT_SECONDS = 5.0  # between attempts to load a kubeconfig whose exec plugin failed
#: The headless commands whose answer is computed by svcflow's kube-proxy or CoreDNS: what
#: svcflow assumed of their configuration is theirs to say (`headless_lines`), and only they
#: wait for the computing (`snapshot(compute=...)`).
COMPUTING_COMMANDS = frozenset({"proxy-rules", "dig", "dns-records", "corefile", "trace", "screenshot"})


@dataclass
class AttachOptions:
    kubeconfig: str | None = None
    context: str | None = None
    page_size: int = 500
    watch_seconds: int = 300
    resources: tuple[Resource, ...] = RESOURCES
    #: Objects a list must still have to come for its pages to be decoded in another process
    #: (engine.attach.decoding; None: always here).
    offload_at: int | None = OFFLOAD_AT


@dataclass
class AttachSession:
    options: AttachOptions
    mirror: Mirror = field(default_factory=Mirror)
    client: KubeClient | None = None
    source: AttachSource | None = None
    events_read: EventsRead = field(default_factory=EventsRead)  # what the last `read_events` found
    decoder: PageDecoder = field(init=False)  # (where the lists' pages are decoded: engine.attach.decoding)

    def __post_init__(self) -> None:
        self.decoder = PageDecoder(self.options.offload_at)

    @property
    def server(self) -> str:
        return self.client.server if self.client is not None else ""

    async def _start(self) -> None:
        o = self.options
        self.client = await connect(o.kubeconfig, o.context)
        self.source = AttachSource(self.client, self.mirror, o.resources, page_size=o.page_size,
                                   watch_seconds=o.watch_seconds, decoder=self.decoder)
        self.source.start()

    async def snapshot(self, compute: bool = True,
                       events: Callable[[str], list[EventsQuery]] | None = None) -> Cluster:
        """List every kind once and compute: the mirror as it is now. A server that cannot
        be reached, or refuses the credentials, is an AttachError (one line) at once.
        `compute=False`: kube-proxy's rules and CoreDNS's records are not computed (what
        `get` and `describe` print reads none of them; at 10,000 Services they are most of
        the time a headless command takes). `events`: the events lists the command reads, given
        the kubeconfig context's namespace (engine/attach/events.py), read once the rest is."""
        await self._start()
        assert self.source is not None
        try:
            waiting = asyncio.ensure_future(self.source.synced())
            while not waiting.done():
                await asyncio.wait([waiting], timeout=0.05)
                line = self._held_up()
                if line is not None:
                    waiting.cancel()
                    raise AttachError(without_retrying(line), retry=False)  # (this command does not retry)
            cluster = self.mirror.build(self._name())
            self.mirror.compute()
            self.mirror.listed_all()
            if events is not None:
                await self.read_events(events(self.namespace))
        finally:
            await self.close()
        if not compute:
            return cluster
        try:
            cluster.run_until_idle()
        except Exception as e:  # noqa: BLE001 - a live object svcflow cannot compute is a line, not a traceback
            raise AttachError(f"svcflow could not compute the rules or records ({type(e).__name__}: {e})",
                              retry=False) from None
        return cluster

    def _held_up(self) -> str | None:
        """The line that says why the first lists cannot complete, when none of them can:
        each list not yet in fails (an unreachable server, refused credentials), or waits
        for the Namespace list that fails (RBAC's per-namespace fallback); else None."""
        assert self.source is not None
        pending = [r for r in self.source.reflectors if not r.listed.is_set()]
        lines = [self.mirror.problems.get(self.source.held_up_by(r).resource.name) for r in pending]
        if not lines or None in lines:
            return None
        return lines[0]

    async def follow(self, on_built: Callable[[Cluster], None], on_listed: Callable[[], None] = lambda: None,
                     first_namespace: str | None = "default") -> None:
        """Run until cancelled: connect (again and again if the kubeconfig's credentials
        cannot be had yet); build the mirror once the kinds that shape it are listed
        (`on_built`: the rest fills it page by page); let kube-proxy and CoreDNS compute
        once the kinds they read are listed (CoreDNS starting with `first_namespace`);
        `on_listed` once every kind is; then keep the mirror up to date."""
        while self.client is None:
            try:
                await self._start()
            except AttachError as e:
                if not e.retry:
                    self.mirror.problem_line("kubeconfig", e.line)
                    return
                await asyncio.sleep(RECONNECT_SECONDS)
        assert self.source is not None
        self.source.start_heartbeat()
        try:
            await self._listed(SHAPE_KINDS)
            on_built(self.mirror.build(self._name()))
            await self._listed(self.mirror.compute_kinds())
            self.mirror.compute(first_namespace)
            await self.source.panes_synced()
            self.mirror.listed_all()  # (the quiet kinds, which no pane reads, may still be coming)
            await self.source.synced()
            on_listed()
            await asyncio.Event().wait()  # the reflectors run until this task is cancelled
        finally:
            await self.close()

    async def _listed(self, kinds: frozenset[str]) -> None:
        """Every resource of these kinds listed once (or skipped as forbidden), the
        per-namespace lists RBAC's refusal of a cluster-wide one starts included."""
        assert self.source is not None
        while True:
            waiting = [r.listed.wait() for r in self.source.reflectors
                       if r.resource.kind in kinds and not r.listed.is_set()]
            if not waiting:
                return
            await asyncio.gather(*waiting)

    async def read_events(self, queries: list[EventsQuery]) -> EventsRead:
        """Read the events a command is about to print into the mirror (as kubectl reads
        them for each command: engine/attach/events.py)."""
        if self.client is None or self.mirror.cluster is None or not queries:
            self.events_read = EventsRead()
        else:
            self.events_read = await read_events(self.client, self.mirror.cluster.store, queries)
        return self.events_read

    def _name(self) -> str:
        c = self.client
        return (c.context or c.server) if c is not None else ""

    @property
    def namespace(self) -> str:
        """The kubeconfig context's namespace: what a command without `-n` reads, as kubectl."""
        return self.client.namespace if self.client is not None else "default"

    def forbidden(self, kind: str, namespace: str | None) -> str | None:
        """kubectl's line for a kind RBAC kept svcflow from reading in `namespace` (None: all
        namespaces): `Error from server (Forbidden): pods is forbidden: User "x" cannot list
        ...`; None when it was read. A command asking only for such kinds says it and exits 1."""
        if kind == "Event":
            return self.events_read.refusal()
        message = self.source.refusal(kind, namespace) if self.source is not None else None
        return f"Error from server (Forbidden): {message}" if message else None

    def headless_lines(self, command: str) -> list[str]:
        """What a headless command prints on stderr before its answer: the problems, and
        what svcflow assumed about kube-proxy's and CoreDNS's configuration only for the
        commands that show what they compute (`get pods` does not need to hear it)."""
        return self.problem_lines() + (self.mirror.notes() if command in COMPUTING_COMMANDS else [])

    def problem_lines(self) -> list[str]:
        """What a user can act on now, one line each, plus what svcflow assumed: the
        connection's and the credentials' first, then the kinds in the order the panes show
        them (a 100x30 error bar shows the first few whole and counts the rest: a refused pods
        list matters more than a refused Namespace list)."""
        items = [(k, v) for k, v in self.mirror.problems.items() if k != CONNECTION.name]
        ranked = sorted(range(len(items)), key=lambda i: (_problem_rank(*items[i]), i))
        return list(dict.fromkeys(items[i][1] for i in ranked))

    def notice_lines(self) -> list[str]:
        """News that needs no action ("reconnected to URL", for a few seconds)."""
        line = self.mirror.problems.get(CONNECTION.name)
        return [line] if line else []

    async def close(self) -> None:
        """Stop the reflectors and the decoding process, and close the connections: the
        client too when stopping is cancelled once more (the dashboard quitting)."""
        try:
            if self.source is not None:
                await self.source.stop()
        finally:
            if self.client is not None:
                await self.client.close()


def snapshot(options: AttachOptions) -> Cluster:
    """`snapshot()` from synchronous code (the headless commands)."""
    return asyncio.run(AttachSession(options).snapshot())


#: The error bar's order of the kinds' lines: the panes' kinds first, as the panes show them.
_KIND_ORDER = ("pods", "services", "endpointslices", "endpoints", "nodes", "namespaces")


def _problem_rank(key: str, line: str) -> int:
    if key == "kubeconfig" or line.startswith(UNREACHABLE):
        return 0
    kind = key.split(" in ", 1)[0]  # (`pods in shop`: a namespace of RBAC's fallback)
    return 1 + _KIND_ORDER.index(kind) if kind in _KIND_ORDER else 1 + len(_KIND_ORDER)
