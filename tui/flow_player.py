"""The flow player: the engine's flow events, played one step at a time.

The controllers report each step of the Service flow as it happens (1 the endpoint
controller collects pod IPs, 2 it writes Endpoints/EndpointSlices, 3 kube-proxy writes
chains, 4 CoreDNS serves the records) and traffic. The player queues them, plays them
at a human pace (`speed`), can pause, step back and forth, replay a Service's last flow
or seek to any step, and lights on the panes what the step touched. A bulk change
(thousands of Services) plays only its last steps.
"""
from __future__ import annotations

from collections import deque

from rich.text import Text
from textual.app import App
from textual.css.query import NoMatches
from textual.timer import Timer

from engine.cluster.events import FlowEvent
from engine.views import dataplane
from tui.panes import DnsPane, EndpointsPane, EventsPane, PodsPane, ProxyPane, ServicesPane
from tui.widgets.chrome import StatusLine
from tui.widgets.flow import FlowStrip

#: Wall seconds per step at speed 1 (the timer fires three times a step).
STEP_SECONDS = 0.9
#: Beyond this many queued events, a bulk change plays only its last few.
MAX_QUEUED_FLOW = 40
#: Steps kept for stepping back; a day-long session stays flat in memory.
FLOW_HISTORY = 5000
SPEEDS = (0.125, 16)


class FlowPlayer:
    """Queue, history and position of the flow; `show` renders a step on the app's panes."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.queue: deque[FlowEvent] = deque()
        self.played: list[FlowEvent] = []
        self.pos = -1
        self.speed = 1.0
        self.paused = False
        self.log_flow = True  # events go to the events pane (a tour's events pane is its terminal)
        self._timer: Timer | None = None

    # -- events in ------------------------------------------------------------------------
    def on_flow(self, ev: FlowEvent) -> None:
        """A cluster's flow listener: queue the steps and traffic after the cluster's boot."""
        if ev.seq < getattr(self.app.workspace.cluster, "boot_events", 10**9):
            return
        if ev.step or ev.verb == "connect":
            self.queue.append(ev)

    def clear(self) -> None:
        self.queue.clear()
        self.played.clear()

    # -- playing ----------------------------------------------------------------------------
    def start(self) -> None:
        """Play on a timer (a third of a step at a time)."""
        self._timer = self.app.set_interval(STEP_SECONDS / 3 / self.speed, self.play)

    def play(self) -> None:
        """The timer's turn: the next queued event, unless paused."""
        if self.paused or not self.queue:
            return
        try:
            if len(self.queue) > MAX_QUEUED_FLOW:
                # A bulk change (thousands of Services): play its last steps, not hours of them.
                skipped = len(self.queue) - 8
                for _ in range(skipped):
                    self.played.append(self.queue.popleft())
                if not self.app.booting:  # while a big folder is applied, the status line counts documents
                    self.app.query_one(StatusLine).update(Text(self.app.tr("({n} flow events of a bulk change "
                                                                           "skipped)").format(n=skipped)))
            self.advance()
        except NoMatches:
            return  # a last timer while the app shuts down: the panes (the status line too) are already gone

    def set_speed(self, speed: float) -> None:
        self.speed = min(max(speed, SPEEDS[0]), SPEEDS[1])
        if self._timer is not None:
            self._timer.stop()
            self.start()

    def faster(self) -> None:
        self.set_speed(self.speed * 2)

    def slower(self) -> None:
        self.set_speed(self.speed / 2)

    def _trim(self) -> None:
        extra = len(self.played) - FLOW_HISTORY
        if extra > FLOW_HISTORY // 2:
            del self.played[:extra]
            self.pos = max(0, self.pos - extra)

    def advance(self) -> None:
        """Play the next queued event."""
        ev = self.queue.popleft()
        self.played.append(ev)
        self._trim()
        self.pos = len(self.played) - 1
        self.show(ev)

    def drain(self) -> None:
        """Play every queued event at once (no animation): the last one is shown."""
        events = self.app.query_one(EventsPane)
        while self.queue:
            ev = self.queue.popleft()
            self.played.append(ev)
            if self.queue and self.log_flow:
                events.write_flow(ev)
        self._trim()
        self.pos = len(self.played) - 1
        self.show(self.played[-1] if self.played else None)

    def seek(self, index: int) -> None:
        """Show the flow at event `index`; its highlights stay until the user moves."""
        self.app.selection.pinned = True
        if index >= len(self.played):
            self.drain()
        if not self.played:
            return
        self.pos = max(0, min(index, len(self.played) - 1))
        self.show(self.played[self.pos])

    def step_forward(self) -> None:
        if self.pos + 1 < len(self.played):
            self.seek(self.pos + 1)
        elif self.queue:
            self.advance()

    def step_back(self) -> None:
        if self.pos > 0:
            self.seek(self.pos - 1)

    def replay(self) -> None:
        """Replay the last Service's flow from its step 1."""
        if not self.played:
            return
        last = self.played[-1]
        firsts = [i for i, e in enumerate(self.played) if e.step == 1 and e.name == last.name]
        start = max(firsts) if firsts else len(self.played) - 1
        self.queue.extendleft(reversed(self.played[start:]))

    # -- showing --------------------------------------------------------------------------------
    def show(self, ev: FlowEvent | None) -> None:
        """Light up what the step touches: (1) the pods whose IPs were collected, (2) the
        Endpoints row, (3) the chains this node's kube-proxy wrote, (4) the DNS records."""
        q = self.app.query_one
        q(FlowStrip).show(ev, queued=len(self.queue))
        if ev is None:
            return
        if self.log_flow:
            q(EventsPane).write_flow(ev)
        pods, services, eps, dns = q(PodsPane).table, q(ServicesPane).table, q(EndpointsPane).table, q(DnsPane)
        key = f"{ev.namespace}/{ev.name}"
        if ev.step:
            for t in (pods, eps, dns.table, services):
                t.highlight = set()
            services.highlight = {key}
            services.refresh_styles()
            q(ProxyPane).view.set_marks(set())
        if ev.step == 1:
            q(PodsPane).light_ips(ev.data.get("ready", []))
        elif ev.step == 2:
            eps.highlight = {key}
        elif ev.step == 3 and ev.data.get("node"):
            # The pane stays on the node the user chose (`n` alone moves it): the chains
            # written carry the same names on every node, so they are marked here too.
            proxy = q(ProxyPane)
            view = self.app.viewpoint()
            proxy.show_rules(view.cluster, view.node, view.mode, view.pattern)
            proxy.mark(set(ev.data.get("written", [])), above=1)
        elif ev.step == 4:
            dns.light_names(dataplane.dns_names_for_service(self.app.workspace.cluster, ev.namespace, ev.name))
        for t in (pods, eps, dns.table):
            t.refresh_styles()
