"""What the dashboard drives when it is attached: the mirror in place of a folder.

It answers the few calls the dashboard makes of a `LiveWorkspace` (`cluster`, `reload`,
`advance`, `settle`, ...): there are no files to apply, and time is wall time. `follow()`
runs in the dashboard's event loop; until the kinds that shape the cluster are listed,
`cluster` is an empty mirror (the screen comes up at once and says it is attaching), then
the built one, with the dashboard's flow listeners carried over, which the big lists fill
page by page (the panes repaint on the dashboard's ticks; the status line says how far the
lists got, `progress`). `built` turns true when every kind is listed. CoreDNS computes
within the budget the dashboard gives `advance`, so the screen stays responsive while it
works through 10,000 Services; so does kube-proxy's first sync, a full one over every
Service (`KubeProxy.sync_in_slices`: the same rules as in one call, a slice at a time), and,
in ipvs and nftables modes, whose every sync is a full one, each later sync too (the rules
pane shows what the last sync left meanwhile; iptables mode's later syncs are partial and
short).
"""
from __future__ import annotations

import asyncio
import shlex
import time
from typing import Callable

from engine.apply.live import ReloadResult
from engine.apply.workspace import ApplyReport
from engine.attach.events import EventsQuery, EventsRead, queries_for
from engine.attach.mirror import wall_now
from engine.attach.session import AttachOptions, AttachSession
from engine.cluster.cluster import Cluster
from engine.cluster.topology import Topology, build_topology
from engine.kubectl.commands import UsageError, parse_flags

#: How long a command waits for the events it prints (then it prints without them, as
#: kubectl's describe does when its events request fails).
EVENTS_TIMEOUT = 10.0

READ_ONLY = ("svcflow is attached to {server} read-only: it never creates, changes or deletes anything there "
             "(use kubectl for that)")


class AttachWorkspace:
    """A real cluster, mirrored, for the dashboard (`tui.app.SvcflowApp(workspace=...)`)."""

    read_only = True
    manifest_bytes = 0
    settle_seconds = 0.0
    write_check = None

    def __init__(self, options: AttachOptions) -> None:
        self.options = options
        self.session = AttachSession(options)
        self.cluster = Cluster(_unknown(), mirror=True)  # empty until the first lists are in
        self.applied: dict = {}
        self.built = False  # every kind listed
        self.topology_problems: list = []
        self._left = 0
        self._syncing = False  # the status line said kube-proxy's first sync is under way
        self._synced = False  # ... and it is done
        self._moments: tuple[bool, ...] = ()  # (kube-proxy synced, the first view computed, all computed)
        self._changed: Callable[[str], None] = lambda what: None
        self._reconfigured = False  # the cluster's kube-proxy ConfigMap changed; not synced again yet
        self._given_up = False  # the attach ended before anything was read (the kubeconfig's line says why)

    # -- the LiveWorkspace calls the dashboard makes ------------------------------------------
    def reload(self, *, budget: float | None = None) -> ReloadResult:
        """No files: nothing to apply (the dashboard's first reload reports nothing)."""
        return ReloadResult(ApplyReport())

    def watched_dirs(self) -> list:
        return []

    def settle(self) -> None:
        self.cluster.run_until_idle()

    def advance(self, seconds: float, *, budget: float | None = None) -> bool:
        """Wall time, whatever `seconds` says: the mirror's clock is the real one. Objects
        svcflow's kube-proxy or CoreDNS cannot compute (a bug of svcflow's, not the
        cluster's: the API server validated them) become a line, never a traceback."""
        self.cluster.clock.advance_to(wall_now())
        mirror = self.session.mirror
        if not mirror.computing:
            return True  # (kube-proxy and CoreDNS wait for the kinds they read)
        kube_proxy = self.cluster.kube_proxy
        if budget is not None and not self._syncing and not kube_proxy.first_synced:
            # kube-proxy's first sync goes over every Service (seconds at 10,000): the
            # status line says so first, and this turn ends so that it is painted.
            self._syncing = True
            self._changed("computing")
            return True
        try:
            if budget is not None:
                # ... then it runs a slice per turn, the dashboard repainting between them;
                # so do later syncs in ipvs and nftables modes (full ones, every node).
                started = time.perf_counter()
                if not kube_proxy.sync_in_slices(budget, every_sync=True):
                    return False
                budget = max(0.0, budget - (time.perf_counter() - started))
            done = self.cluster.run_for(0, budget=budget)
            self._say_failing()
            left, synced = mirror.compute_left(), self.cluster.kube_proxy.first_synced
            # What computing changed writes nothing to the store, so the panes are told:
            # kube-proxy's rules are there, the first view's records, all of them.
            moments = (synced, mirror.first_view_computed(), not left)
            if moments != self._moments or (self._reconfigured and synced):
                # (after a new configuration kube-proxy synced again within this turn: the
                # moments look unchanged, but the line said it was computing)
                self._moments, self._reconfigured = moments, self._reconfigured and not synced
                self._changed("computed")
            # The progress line: how much CoreDNS has yet to take in, whether kube-proxy synced.
            if (left, synced) != (self._left, self._synced):
                self._left, self._synced = left, synced
                self._changed("progress")
            return done
        except Exception as e:  # noqa: BLE001 - the dashboard must survive any live object
            self.session.mirror.problem_line("compute", f"svcflow could not compute the rules or records "
                                                        f"({type(e).__name__}: {e}); the panes may be behind")
            return True

    def _say_failing(self) -> None:
        """kube-proxy's or CoreDNS's syncs that fail over a live object (a bug of svcflow's,
        not the cluster's: the API server validated it) are retried with back-off; meanwhile
        one line says so, gone once they sync."""
        error = next((c.failing for c in self.cluster.controllers if c.failing is not None), None)
        line = None if error is None else (f"svcflow could not compute the rules or records "
                                           f"({type(error).__name__}: {error}); the panes may be behind")
        if self.session.mirror.problems.get("compute") != line:
            self.session.mirror.problem_line("compute", line)

    # -- attaching ----------------------------------------------------------------------------
    @property
    def server(self) -> str:
        return self.session.server or "the cluster"

    @property
    def connected(self) -> bool:
        """Whether anything was read from the cluster yet (the mirror is built from its first
        lists): until then `cluster` is a placeholder with no nodes, and what the panes would
        say of it -- no Service, no CoreDNS -- is not the cluster's, which was never reached."""
        return self.session.mirror.cluster is not None

    def connection_line(self) -> str:
        """"not connected yet" until the first lists are in (for the header), "not connected"
        when the attach ended before (a kubeconfig it cannot use), else ""."""
        return "" if self.connected else "not connected" if self._given_up else "not connected yet"

    def read_only_line(self) -> str:
        return READ_ONLY.format(server=self.server)

    def status(self) -> tuple[list[str], list[str]]:
        """What the error bar shows: problems a user can act on (one line each), then what
        svcflow assumed about the cluster's configuration (`progress` is the status line's)."""
        return self.session.problem_lines(), \
            self.session.notice_lines() + (self.session.mirror.notes() if self.built else [])

    def progress(self) -> str:
        """How far the attach got, for the status line: the lists ("attaching to …: 3,500/
        10,000 services · 35,000 pods …"), then kube-proxy's and CoreDNS's work; "" when
        both are done."""
        kp = self.cluster.kube_proxy
        syncing = (f" · computing kube-proxy's rules for {self.cluster.store.count('Service'):,} Services"
                   if self._syncing and not kp.first_synced else "")
        if self._given_up and not self.connected:
            return "not connected"
        if not self.built:
            return f"attaching to {self.server}: {self.session.mirror.progress_line() or 'listing'}{syncing} …"
        if syncing:
            return syncing.removeprefix(" · ") + " …"
        if self._left:
            return f"computing kube-proxy's rules and CoreDNS's records: {self._left:,} objects to go …"
        return ""

    # -- the events a command prints (read when it asks, as kubectl reads them) ----------------
    def events_queries(self, line: str) -> list[EventsQuery]:
        """The events lists the `:` prompt's `line` reads before it runs (a `kubectl get
        events`, a `kubectl describe`: engine/attach/events.py); [] for any other line."""
        try:
            words = shlex.split(line)
        except ValueError:
            return []
        if words[:1] == ["kubectl"]:
            words = words[1:]
        if not words or words[0] not in ("get", "describe") or not self.connected:
            return []
        try:
            opts, pos = parse_flags(words[1:])
        except UsageError:
            return []
        return queries_for(words[0], pos, namespace=opts.get("namespace") or "default",
                           all_namespaces=bool(opts.get("all-namespaces")))

    async def read_events(self, queries: list[EventsQuery]) -> EventsRead:
        """Read those lists into the mirror; a server that does not answer within
        EVENTS_TIMEOUT leaves the command to print without them (and says why)."""
        try:
            return await asyncio.wait_for(self.session.read_events(queries), EVENTS_TIMEOUT)
        except asyncio.TimeoutError:
            return EventsRead(timed_out=EVENTS_TIMEOUT)

    def status_lines(self) -> list[str]:
        problems, notes = self.status()
        return problems + notes

    async def follow(self, changed: Callable[[str], None]) -> None:
        """Attach and follow until cancelled; `changed("cluster")` once the mirror is built
        (the panes show it from then on), `changed("progress")` as the lists and the
        computation go on (`changed("computing")`: show it now, a long step follows;
        `changed("computed")`: kube-proxy's rules or CoreDNS's records are there to show),
        `changed("listed")` once every kind is listed, `changed("config")`
        when the cluster's kube-proxy or CoreDNS configuration changed, `changed("problems")`
        whenever the problems change."""
        self._changed = changed
        mirror = self.session.mirror
        mirror.on_problems = lambda: changed("problems")
        mirror.on_progress = lambda: changed("progress")
        def config() -> None:
            self._reconfigured = True  # (kube-proxy starts over: `advance` says when it synced again)
            changed("config")
        mirror.on_config = config

        def built(cluster: Cluster) -> None:
            cluster.flow_listeners.extend(self.cluster.flow_listeners)
            self.cluster = cluster
            changed("cluster")

        def listed() -> None:
            self.built = True
            changed("listed")
        await self.session.follow(built, listed)
        self._given_up = True  # (only a kubeconfig it cannot use ends the attach: its line says why)
        changed("problems")  # (the status line and the error bar, at once)


def _unknown() -> Topology:
    """The placeholder's shape: no nodes, no name (not kind's three made-up nodes and their
    IPs: nothing is known of the cluster before its first list)."""
    topology = build_topology([], [])
    topology.nodes = []
    topology.name = ""
    return topology
