"""The svcflow dashboard: the simulated cluster's panes, live, with the Service flow.

The app owns a `LiveWorkspace` (engine) and only renders what it reports: rows from
`engine.views.panes`, rules and records from `engine.views.dataplane`, flow events from the
controllers. Simulated time follows wall time (pods come up at a human pace) unless the
app runs deterministically for tests and screenshots.
"""
from __future__ import annotations

import asyncio
import os
import re
import shlex
import subprocess
from collections import deque
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SuspendNotSupported
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.containers import Container, Vertical
from textual.widgets import DataTable, Footer, Input, RichLog, Static

from engine.views import dataplane
from engine.kubectl import commands as kubectl
from engine.views import panes as views
from engine.cluster.events import FlowEvent
from engine.apply.live import LiveWorkspace
from tui.heap import HeapKeeper
from tui.i18n import translator
from tui.safe_text import literal
from tui.screens import HelpScreen, TextScreen
from tui.widgets.command_prompt import CommandPrompt
from tui.widgets.flow import FlowStrip
from tui.widgets.flow_diagram import toggle_flow_diagram
from tui.widgets.resource_table import ResourceTable
from tui.widgets.text_view import TextView, iptables_highlighter

TICK_SECONDS = 0.25
#: Wall seconds the engine may run per turn of the event loop, so the screen stays responsive
#: while a big cluster starts (the rest of the work runs in the next turn; simulated time lags).
ENGINE_BUDGET = 0.04
#: Rows from which a view counts as big: its filter text is built at once, the heap is
#: frozen after it is made, and listing every namespace says so on the status line first.
BIG_VIEW_ROWS = 20_000
#: Nodes the header lists by name; a bigger cluster's are counted.
HEADER_NODES = 4
#: Wall seconds per tick spent, when idle, preparing the all-namespaces view (`views.warm`).
WARM_BUDGET = 0.01
#: Above this many bytes of manifests the first apply runs file by file and in slices,
#: painting as it goes (the samples are 2 KB; 1,000 generated Services are 1.3 MB).
BIG_FOLDER_BYTES = 256 * 1024
#: A pane whose refresh took longer than this is refreshed by the clock's ticks at most
#: once per SLOW_PANE_SPACING times its cost (a big kube-proxy pane while 10,000 Services
#: start); saves and keys still refresh it at once.
SLOW_PANE = 0.03
SLOW_PANE_SPACING = 8
SETTLE_SECONDS = 0.3  # a save is applied once its file has been left alone this long
STEP_SECONDS = 0.9
MODES = ("iptables", "ipvs", "nftables")
#: Below this many rows the dashboard starts in the stage layout (one pane large, the
#: others a line each): a projector's big font leaves 100x30, where a 3x2 grid of panes
#: shows two DNS names and five cut rules.
STAGE_BELOW_ROWS = 40
#: Below this many columns the header is one abbreviated line (it never wraps).
WIDE_HEADER = 150
#: Lines of a command's output kept in the terminal pane per command.
TERMINAL_LINES = 2000
PANE_TITLES = {"pods": "Pods", "services": "Services", "endpoints": "Endpoints / EndpointSlices",
               "proxy": "kube-proxy", "dns": "CoreDNS", "events": "Events", "terminal": "Terminal"}
#: Words the `:` prompt completes (besides the names of objects in the namespace).
VERBS = ("kubectl", "trace", "dig", "curl", "wget", "telnet", "nslookup", "exit", "generate",
         "po", "svc", "ep", "dns", "proxy", "events")
KUBECTL_VERBS = ("get", "describe", "scale", "delete", "label", "rollout", "exec", "apply", "logs", "drain")
KINDS = {"pods": "Pod", "services": "Service", "endpoints": "Endpoints", "endpointslices": "EndpointSlice",
         "deployments": "Deployment", "replicasets": "ReplicaSet", "daemonsets": "DaemonSet",
         "nodes": "Node", "namespaces": "Namespace", "configmaps": "ConfigMap"}
#: `kind/name` prefixes completed to the names of that kind.
KIND_PREFIXES = {"pod": "Pod", "po": "Pod", "pods": "Pod", "svc": "Service", "service": "Service",
                 "ep": "Endpoints", "endpoints": "Endpoints", "deploy": "Deployment", "deployment": "Deployment",
                 "rs": "ReplicaSet", "ds": "DaemonSet", "node": "Node", "no": "Node", "ns": "Namespace"}
PANES = {"po": "pods", "pods": "pods", "pod": "pods", "svc": "services", "services": "services",
         "ep": "endpoints", "endpoints": "endpoints", "proxy": "proxy", "dns": "dns", "events": "events"}


class SvcflowApp(App):
    """k9s-style dashboard over svcflow's simulated cluster."""

    CSS_PATH = "app.tcss"
    TITLE = "svcflow"
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("ctrl+q,ctrl+c", "quit", "Quit", show=False, priority=True),
        Binding("question_mark", "help", "Help"),
        Binding("colon", "prompt", "Command"),
        Binding("slash", "filter", "Filter"),
        # A talk's 100 columns show the footer's first dozen keys: the stage's own come first.
        Binding("v", "flow_diagram", "Flow"),
        Binding("z", "zoom", "Zoom"),
        Binding("d", "describe", "Describe"),
        Binding("y", "yaml", "YAML"),
        Binding("n", "next_node", "Node"),
        Binding("m", "next_mode", "Mode"),
        Binding("ctrl+e", "toggle_header", "Header"),
        Binding("space", "pause", "Pause flow"),
        Binding("r", "replay", "Replay"),
        Binding("right_square_bracket", "step_forward", "Step ▶", show=False),
        Binding("left_square_bracket", "step_back", "◀ Step", show=False),
        Binding("plus", "faster", "Faster", show=False),
        Binding("minus", "slower", "Slower", show=False),
        Binding("s", "scale(1)", "Scale+"),
        Binding("S", "scale(-1)", "Scale-", show=False),
        Binding("ctrl+d", "delete_pod", "Delete pod", show=False),
        Binding("u", "toggle_ready", "Unready", show=False),
        Binding("e", "edit", "Edit", show=False),
        Binding("0", "all_namespaces", "All ns", show=False),
        Binding("g", "toggle_layout", "Layout", show=False),
        Binding("f2", "screenshot_svg", "Screenshot"),
        Binding("escape", "back", "Back", show=False),
    ]

    def __init__(self, paths: list[str], *, deterministic: bool = False, bare: bool = False,
                 seed: int | None = None, watch: bool = True, present: bool = False,
                 animate_flow: bool | None = None, lang: str | None = None, workspace=None) -> None:
        """`workspace`: what to show instead of the folder's simulated cluster (an attached
        real cluster, `engine.attach.workspace.AttachWorkspace`: read-only)."""
        super().__init__()
        self.lang = lang or "en"  # the chrome's language (`tui.i18n`); a tour sets its own
        self.stage: bool | None = None  # None: by the terminal's size (STAGE_BELOW_ROWS)
        self.animate_flow = (not deterministic) if animate_flow is None else animate_flow
        self.heap = HeapKeeper()
        self.log_flow = True  # flow events go to the events pane (a tour uses it as a terminal)
        self.paths = [Path(p) for p in paths]
        self.deterministic = deterministic
        self.workspace = workspace or LiveWorkspace(self.paths, deterministic=deterministic, bare=bare, seed=seed)
        self.read_only = getattr(self.workspace, "read_only", False)
        self.watch_files = watch and not deterministic and not self.read_only
        self.present = present
        self.namespace: str | None = "default"
        self.node_index = 0
        self.mode = self.workspace.cluster.topology.proxy.mode
        self.speed = 1.0
        self.paused = False
        self.filter_re: re.Pattern | None = None
        self.flow_queue: deque[FlowEvent] = deque()
        self.flow_played: list[FlowEvent] = []
        self._selection_source: str | None = None  # the table the selection came from
        # refresh_panes' bookkeeping: what each pane last showed and what it cost to build
        self._deferred_panes = False  # a slow pane skipped a rebuild: the next tick catches up
        self._last_second: int | None = None  # the clock second the Pods pane's AGE shows
        self._pods_big = False  # the Pods pane holds too many pods to rebuild each second
        self._pane_costs: dict[str, tuple[float, float]] = {}  # pane -> (seconds, when done)
        self._pane_versions: dict[str, object] = {}  # pane -> the version it shows
        self._pane_rows: dict[str, tuple] = {}  # pane -> (base version, rows, filtered rows)
        self._filter_texts = views.FilterTexts()
        self.flow_pos = -1
        self._last_rv = -1
        self._stop_watch = asyncio.Event()
        self.session = None
        self._flow_pinned = False
        self.workspace.cluster.flow_listeners.append(self._on_flow)

    # -- layout ------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(id="cluster-header")
        with Container(id="grid"):
            with Vertical(id="pods", classes="pane -staged"):
                yield ResourceTable(views.POD_COLUMNS, id="pods-table", drop_order=("RESTARTS", "AGE", "NODE", "READY"))
            with Vertical(id="services", classes="pane"):
                yield ResourceTable(views.SERVICE_COLUMNS, id="services-table",
                                    drop_order=("SELECTOR", "EXTERNAL-IP", "TYPE"))
            with Vertical(id="endpoints", classes="pane"):
                yield ResourceTable(views.ENDPOINT_COLUMNS, id="endpoints-table", drop_order=("SLICES",))
            with Vertical(id="proxy", classes="pane"):
                yield TextView(iptables_highlighter, id="proxy-view")
            with Vertical(id="dns", classes="pane"):
                yield ResourceTable(("NAME", "TYPE", "VALUE"), id="dns-table", sort_by_name=False,
                                    drop_order=("TYPE",), compact=views.dns_line, compact_label="NAME → VALUE")
                yield RichLog(id="dns-log", max_lines=200, markup=False, wrap=True)
            with Vertical(id="events", classes="pane"):
                yield RichLog(id="events-log", max_lines=2000, markup=False, wrap=True)
            with Vertical(id="terminal", classes="pane -terminal"):
                yield RichLog(id="terminal-log", max_lines=TERMINAL_LINES, markup=False, wrap=True)
        yield FlowStrip(id="flow")
        yield Static(id="errors")
        yield Static(id="status-line")
        tr = translator(self.lang)
        yield CommandPrompt(self.completions, id="prompt",
                            persist=not self.deterministic or bool(os.environ.get("SVCFLOW_HISTORY")),
                            placeholders={"command": ":po :svc :ep :dns :proxy | kubectl get svc | "
                                                     "kubectl scale deploy/redis --replicas=3  (tab completes)",
                                          "filter": "/ " + tr("filter (regex), enter to apply, empty clears")})
        yield Footer()

    def on_mount(self) -> None:
        self.tr = translator(self.lang)
        for pane, title in PANE_TITLES.items():
            self.query_one(f"#{pane}").border_title = self.tr(title)
        self._translate_bindings()
        if not self.log_flow:
            # The events pane is the terminal already (a tour types its commands there).
            self.query_one("#terminal").display = False
            self.query_one("#events").add_class("-terminal", "-used")
        self._apply_layout()
        if self.present:
            self.add_class("-present")
        if os.environ.get("TEXTUAL_ANIMATIONS", "").lower() == "none" or self.deterministic:
            self.animation_level = "none"
        progressive = not self.deterministic and self.workspace.manifest_bytes > BIG_FOLDER_BYTES
        if not progressive and not self.read_only:  # (attached: no files to apply)
            result = self.workspace.reload()
            self._show_reload(result)
            if self.deterministic:
                self.workspace.settle()
        self.refresh_panes(flash=False)
        self.query_one("#pods-table").focus()
        if not self.deterministic:
            self.heap.install()
            self.set_interval(TICK_SECONDS, self._tick)
        if self.animate_flow:
            self._flow_timer = self.set_interval(STEP_SECONDS / 3, self._play_flow)
        else:
            self._drain_flow()
        if progressive:
            self.booting = True
            self.apply_in_slices()
        elif self.watch_files:
            self.watch_manifests()
        if self.read_only:
            self._attach_changed("problems")
            self.attach()

    @work(exclusive=True, group="attach")
    async def attach(self) -> None:
        """Follow the real cluster (reflectors in this loop) until the app ends."""
        await self.workspace.follow(self._attach_changed)

    def _attach_changed(self, what: str) -> None:
        """The mirror was built (its mode and nodes are the cluster's), or the problems changed."""
        if what == "cluster":
            self.mode = self.workspace.cluster.topology.proxy.mode
            self.node_index = 0
            self.session = None
            self._last_rv = -1
            self.refresh_panes(flash=False)
        self._set_errors(*self.workspace.status())

    async def on_unmount(self) -> None:
        self._stop_watch.set()
        self.heap.uninstall()

    # -- projector layouts -----------------------------------------------------------------
    def _translate_bindings(self) -> None:
        """The footer's and help's key descriptions in the chrome's language."""
        if self.lang == "en":
            return
        import dataclasses

        table = self._bindings.key_to_bindings
        for key, bindings in table.items():
            table[key] = [dataclasses.replace(b, description=self.tr(b.description)) for b in bindings]
        self.refresh_bindings()

    def _apply_layout(self) -> None:
        """Grid (every pane at once) or stage (the focused pane large, the others a line
        each): the stage when the screen is short, unless `g` chose."""
        stage = self.size.height < STAGE_BELOW_ROWS if self.stage is None else self.stage
        self.set_class(stage, "-stage")

    def on_resize(self, event) -> None:
        self._apply_layout()
        self._refresh_header()

    def _pane_of(self, widget) -> Vertical | None:
        """The pane (`.pane` container) a widget sits in, if any."""
        node = widget
        while node is not None and not (isinstance(node, Vertical) and node.has_class("pane")):
            node = node.parent
        return node

    def on_descendant_focus(self, event) -> None:
        """The stage and the zoom follow the focus: the pane holding it is the large one.
        (The prompt and pop-ups do not move the stage.)"""
        pane = self._pane_of(event.widget)
        if pane is None or pane.has_class("-staged"):
            return
        for other in self.query(".pane.-staged"):
            other.remove_class("-staged")
        pane.add_class("-staged")
        if self.has_class("-zoomed"):
            for other in self.query(".pane.-zoom"):
                other.remove_class("-zoom")
            pane.add_class("-zoom")

    def action_zoom(self) -> None:
        """`z`: the focused pane takes the whole screen; `z` again gives the others back."""
        if self.has_class("-zoomed"):
            self.remove_class("-zoomed")
            for pane in self.query(".pane.-zoom"):
                pane.remove_class("-zoom")
            return
        pane = self._pane_of(self.focused) or next(iter(self.query(".pane.-staged")), None)
        if pane is None:
            return
        pane.add_class("-zoom")
        self.add_class("-zoomed")

    def action_toggle_layout(self) -> None:
        """`g`: switch between the grid and the stage layout (the size chooses until then)."""
        self.stage = not self.has_class("-stage")
        self._apply_layout()

    # -- the prompt's completion ----------------------------------------------------------
    def completions(self, text: str) -> list[str]:
        """What may follow `text` in the `:` prompt: a verb first, then kubectl's verbs,
        kinds, `kind/name` and the names of objects in the namespace shown."""
        words = text.split(" ")
        word = words[-1]
        before = [w for w in words[:-1] if w]
        if not before:
            return list(VERBS)
        if before == ["kubectl"]:
            return list(KUBECTL_VERBS)
        store = self.workspace.cluster.store
        ns = self.namespace
        if "/" in word:
            prefix = word.split("/", 1)[0]
            kind = KIND_PREFIXES.get(prefix)
            if kind is None:
                return []
            namespace = None if kind in ("Node", "Namespace") else ns
            return [f"{prefix}/{o['metadata']['name']}" for o in self._objects(kind, namespace)]
        names: list[str] = []
        if len(before) == 2 and before[0] == "kubectl":
            names += list(KINDS)
        if before[0] in ("kubectl", "trace", "dig", "curl", "wget", "telnet", "nslookup"):
            for kind in ("Pod", "Service", "Deployment"):
                names += [o["metadata"]["name"] for o in self._objects(kind, ns)]
        return names

    def _objects(self, kind: str, namespace: str | None, limit: int = 500) -> list[dict]:
        """Up to `limit` objects of a kind (a prompt at 100,000 pods completes from the
        first ones rather than listing them all on a key press)."""
        from itertools import islice

        return list(islice(self.workspace.cluster.store.list(kind, namespace), limit))

    @on(CommandPrompt.Candidates)
    def _show_candidates(self, event: CommandPrompt.Candidates) -> None:
        shown = "  ".join(event.candidates[:20]) + ("  …" if len(event.candidates) > 20 else "")
        self.query_one("#status-line", Static).update(literal(shown))

    # -- engine driving ------------------------------------------------------------
    @work(exclusive=True, group="initial-apply")
    async def apply_in_slices(self) -> None:
        """A big folder's first apply, a slice at a time: the panes fill while the rest is
        applied (`LiveWorkspace.initial_apply`), then one ordinary reload reports errors and
        duplicates as a small folder's would, and the watcher starts."""
        import time

        status = self.query_one("#status-line", Static)
        painted = 0.0
        from tui.safe_text import literal

        log = self.query_one("#events-log", RichLog)
        for n, k, files, report in self.workspace.initial_apply(budget=ENGINE_BUDGET / 2):
            for line in report.lines:
                log.write(literal(f"$ kubectl apply: {line}"))
            if time.perf_counter() - painted > 0.2:
                status.update(Text(f"applying the manifests: {n:,} documents, file {k:,} of {files:,}"))
                self.refresh_panes(flash=False)
                painted = time.perf_counter()
            await asyncio.sleep(0.001)  # let keys and repaints through
        result = self.workspace.reload(budget=ENGINE_BUDGET)
        self.booting = False
        status.update(Text(""))
        self._show_reload(result)
        self.refresh_panes(flash=False)
        self._catch_up()
        if self.watch_files:
            self.watch_manifests()

    booting = False

    def _catch_up(self) -> None:
        """Run the engine's backlog (ENGINE_BUDGET at a time) until it is done."""
        if self.workspace.advance(0, budget=ENGINE_BUDGET):
            self._behind = False
            return
        self._behind = True
        self.set_timer(0.005, self._catch_up)  # a gap: input and repaints go first

    _behind = False

    def _tick(self) -> None:
        self.heap.tick()  # after a slow full collection: later ones walk only new objects
        if self.deterministic:
            self.workspace.advance(TICK_SECONDS * self.speed)
        elif not self._behind and not self.workspace.advance(TICK_SECONDS * self.speed, budget=ENGINE_BUDGET):
            self._catch_up()
        elif not self._behind and not self.booting and self.namespace is not None:
            views.warm(self.workspace.cluster, WARM_BUDGET)  # what `0` (all namespaces) will show
        try:
            self.refresh_panes(throttle=True)
        except NoMatches:
            return  # a last tick while the app shuts down: the panes are already gone
        for table in self.query(ResourceTable):
            if table._flash:
                table.refresh_styles()  # let finished flashes fade

    @work(exclusive=True, group="manifest-watcher")
    async def watch_manifests(self) -> None:
        """Reload when the manifests change.  `tui.watcher` ignores editors' side files (swap,
        backup, lock, temp), follows folders (created, renamed, removed) and re-arms when a
        watched folder is removed and comes back; `LiveWorkspace` waits until a save is
        complete before applying it: at once when the kernel says nobody holds the file open
        for writing (`engine.apply.filewrites`), else after SETTLE_SECONDS without a change."""
        from engine.apply import filewrites
        from tui.watcher import manifest_changes

        self.workspace.settle_seconds = SETTLE_SECONDS
        if filewrites.ignore_lease_breaks():  # a finished save then applies without the wait
            self.workspace.write_check = filewrites.open_for_writing
        self._watched_dirs = set(self.workspace.watched_dirs())
        async for _changes in manifest_changes(self.paths, self._stop_watch,
                                               known_dirs=lambda: self._watched_dirs,
                                               on_error=lambda msg: self._set_errors([msg])):
            self.reload_manifests()

    def reload_manifests(self) -> None:
        """Re-apply the files; errors go to the error bar and the rest still applies.  A file
        still being written is looked at again shortly (`ReloadResult.retry_after`)."""
        timer = getattr(self, "_retry_timer", None)
        if timer is not None:
            timer.stop()
            self._retry_timer = None
        try:
            result = self.workspace.reload(budget=None if self.deterministic else ENGINE_BUDGET)
        except Exception as exc:  # noqa: BLE001 - the app must never crash on input
            self._set_errors([f"svcflow: reload failed: {exc}"])
            return
        if not self.deterministic and not self._behind:
            self._catch_up()
        self._show_reload(result)
        if result.retry_after is not None:
            self._retry_timer = self.set_timer(result.retry_after, self.reload_manifests)
        if getattr(self, "_watched_dirs", None) is not None:
            self._watched_dirs = set(self.workspace.watched_dirs())
        if self.deterministic:
            self.workspace.settle()
            self._drain_flow()
        # Slow panes (kube-proxy's 470,000 lines at 10,000 Services) catch up on a later
        # tick, so the save shows in the other panes at once.
        self.refresh_panes(throttle=not self.deterministic)

    def _show_reload(self, result) -> None:
        from tui.safe_text import literal

        log = self.query_one("#events-log", RichLog)
        for line in result.lines:
            if not line.endswith(" unchanged"):
                log.write(literal(f"$ kubectl apply: {line}"))
        errors = []
        for e in result.report.errors:
            where = e.source or ""
            field = f" ({e.field})" if e.field else ""
            errors.append(f"{where}{field}: {e.error}")
        warnings = []
        for w in getattr(result.report, "warnings", []):
            warnings.append(f"{w.source}: {w.message}" if w.source and w.source not in w.message else w.message)
        self._set_errors(errors, warnings)

    def _set_errors(self, errors: list[str], warnings: list[str] | None = None) -> None:
        """The error bar: kubectl's messages, then svcflow's warnings, shown literally (a file or
        object name with `[bold]` or an escape sequence is printed as written, never rendered)."""
        from tui.safe_text import literal

        text = Text()
        lines = [(e, "") for e in errors] + [(w, "yellow") for w in warnings or []]
        for i, (msg, style) in enumerate(lines):
            if i:
                text.append("\n")
            text.append_text(literal(msg, style))
        bar = self.query_one("#errors", Static)
        bar.update(text)
        bar.set_class(bool(lines), "-visible")

    # -- flow animation ---------------------------------------------------------------
    def _on_flow(self, ev: FlowEvent) -> None:
        if ev.seq < getattr(self.workspace.cluster, "boot_events", 10**9):
            return
        if ev.step or ev.verb == "connect":
            self.flow_queue.append(ev)

    MAX_QUEUED_FLOW = 40

    def _play_flow(self) -> None:
        if self.paused or not self.flow_queue:
            return
        if len(self.flow_queue) > self.MAX_QUEUED_FLOW:
            # A bulk change (thousands of Services): play its last steps, not hours of them.
            skipped = len(self.flow_queue) - 8
            for _ in range(skipped):
                self.flow_played.append(self.flow_queue.popleft())
            if not self.booting:  # while a big folder is applied, the status line counts documents
                self.query_one("#status-line", Static).update(Text(f"({skipped} flow events of a bulk change skipped)"))
        try:
            self._advance_flow()
        except NoMatches:
            return  # a last timer while the app shuts down: the panes are already gone

    def set_flow_speed(self, speed: float) -> None:
        timer = getattr(self, "_flow_timer", None)
        if timer is not None:
            timer.stop()
            self._flow_timer = self.set_interval(STEP_SECONDS / 3 / speed, self._play_flow)

    FLOW_HISTORY = 5000  # steps kept for stepping back; a day-long session stays flat in memory

    def _trim_history(self) -> None:
        extra = len(self.flow_played) - self.FLOW_HISTORY
        if extra > self.FLOW_HISTORY // 2:
            del self.flow_played[:extra]
            self.flow_pos = max(0, self.flow_pos - extra)

    def _advance_flow(self) -> None:
        ev = self.flow_queue.popleft()
        self.flow_played.append(ev)
        self._trim_history()
        self.flow_pos = len(self.flow_played) - 1
        self._show_flow(ev)

    def _drain_flow(self) -> None:
        log = self.query_one("#events-log", RichLog)
        while self.flow_queue:
            ev = self.flow_queue.popleft()
            self.flow_played.append(ev)
            if self.flow_queue and self.log_flow:
                log.write(short_line(ev))
        self._trim_history()
        self.flow_pos = len(self.flow_played) - 1
        self._show_flow(self.flow_played[-1] if self.flow_played else None)

    def _show_flow(self, ev: FlowEvent | None) -> None:
        """Light up what the step touches: (1) the pods whose IPs were collected, (2) the
        Endpoints row, (3) the chains this node's kube-proxy wrote, (4) the DNS records."""
        self.query_one(FlowStrip).show(ev, queued=len(self.flow_queue))
        if ev is None:
            return
        if self.log_flow:
            self.query_one("#events-log", RichLog).write(short_line(ev))
        c = self.workspace.cluster
        pods = self.query_one("#pods-table", ResourceTable)
        eps = self.query_one("#endpoints-table", ResourceTable)
        dns = self.query_one("#dns-table", ResourceTable)
        key = f"{ev.namespace}/{ev.name}"
        if ev.step:
            for t in (pods, eps, dns, self.query_one("#services-table", ResourceTable)):
                t.highlight = set()
            self.query_one("#services-table", ResourceTable).highlight = {key}
            self.query_one("#services-table", ResourceTable).refresh_styles()
            self.query_one("#proxy-view", TextView).set_marks(set())
        if ev.step == 1:
            ips = set(ev.data.get("ready", []))
            pods.highlight = pods.keys_where(lambda cells: cells[4] in ips)
        elif ev.step == 2:
            eps.highlight = {key}
        elif ev.step == 3 and ev.data.get("node"):
            # The pane stays on the node the user chose (`n` alone moves it): the chains
            # written carry the same names on every node, so they are marked here too.
            view = self.query_one("#proxy-view", TextView)
            self._refresh_proxy()
            view.set_marks(set(ev.data.get("written", [])))
            first = view.first_marked_line()
            if first is not None:
                view.call_after_refresh(view.scroll_to, y=max(0, first - 1), animate=False)
        elif ev.step == 4:
            dns.highlight = dns.keys_named(dataplane.dns_names_for_service(c, ev.namespace, ev.name))
        for t in (pods, eps, dns):
            t.refresh_styles()

    def on_key(self, event) -> None:
        self._flow_pinned = False  # the user acts: selection highlights take over again

    def seek_flow(self, index: int) -> None:
        """Show the flow at event `index` (used by step keys and snapshot tests); its
        highlights stay until the user moves."""
        self._flow_pinned = True
        self._drain_flow() if index >= len(self.flow_played) else None
        if not self.flow_played:
            return
        self.flow_pos = max(0, min(index, len(self.flow_played) - 1))
        self._show_flow(self.flow_played[self.flow_pos])

    # -- panes ------------------------------------------------------------------------------
    def refresh_panes(self, *, flash: bool = True, throttle: bool = False, refilter: bool = False) -> None:
        """Bring the panes up to date with the store. A pane is recomputed only when what
        it shows could have changed (its kinds' versions, the namespace, the filter, the
        clock second for AGE, the node's rules), so a change to one Service at 10,000
        Services does not rebuild the 230,000 DNS rows or re-split 470,000 rule lines.
        ``refilter`` (a new filter): the filter is applied at once, to the rows a slow pane
        already has if the cluster changed since (100,000 pods while they start); the
        rebuild and the other slow panes wait for their throttled tick, as with `throttle`.
        Each refresh is reported to the perf probe (tui/perf.py) when one is set."""
        import time

        from tui import perf

        probe = perf.probe_for(self)
        start = time.perf_counter()
        parts: dict[str, float] = {}
        c = self.workspace.cluster
        store = c.store
        rv = store.resource_version
        deferred = self._deferred_panes
        # The Pods pane's AGE follows the clock: a new second is a change for a pane of up
        # to 2,000 pods (a bigger one follows the pods' changes only; see `big` below).
        second = int(c.now().timestamp())
        ticked = second != self._last_second and not self._pods_big
        self._last_second = second
        changed = rv != self._last_rv or deferred or ticked
        if changed:
            self._deferred_panes = False
            costs = self._pane_costs
            self._last_rv = rv
            ns = self.namespace
            pattern = self.filter_re
            seen = self._pane_versions
            if seen.get("cluster") is not c:  # a new cluster (the tour starts over)
                seen.clear()
                seen["cluster"] = c
            kv = store.kind_version
            node = self._node_name()
            kp = getattr(c, "kube_proxy", None)
            computed = self._pane_rows
            texts = self._filter_texts
            # AGE follows the clock; in a pane of thousands of pods it is refreshed with
            # the pods' changes only (rebuilding 100,000 rows each second would stall).
            big = self._pods_big = store.count("Pod", ns) > 2000
            bases = {  # what a pane's unfiltered rows depend on
                "pods": (kv("Pod"), ns) + (() if big else (int(c.now().timestamp()),)),
                "services": (kv("Service"), ns),
                "endpoints": (kv("Endpoints"), kv("EndpointSlice"), ns),
            }

            stale: set[str] = set()  # panes filtered from rows older than the cluster
            rebuilt: set[str] = set()  # panes whose rows were recomputed (what `costs` times)

            def rows_of(pane: str, compute) -> list:
                """A pane's unfiltered rows, kept while their inputs stay (a new filter
                at 100,000 pods filters them again; it does not rebuild them)."""
                ent = computed.get(pane)
                if refilter and ent is not None and ent[1] is c and ent[0] != bases[pane] \
                        and costs.get(pane, (0.0, 0.0))[0] > SLOW_PANE:
                    stale.add(pane)
                    return ent[2]
                if ent is None or ent[0] != bases[pane] or ent[1] is not c:
                    rebuilt.add(pane)
                    ent = computed[pane] = (bases[pane], c, compute())
                    if len(ent[2]) > BIG_VIEW_ROWS:  # the first `/` over it is then a search only
                        texts.prepare(ent[2])
                        # 100,000 rows live on: out of the collector's full scans (see
                        # `no_cyclic_gc`), which would otherwise take ~100 ms now and then.
                        self.heap.freeze()
                return ent[2]

            wants = {
                "pods": bases["pods"] + (pattern,),
                "services": bases["services"] + (pattern,),
                "endpoints": bases["endpoints"] + (pattern,),
                "dns": (views.dns_version(c, ns) or rv,),
                "proxy": (node, self.mode, kp.rules_token(node, self.mode) if kp is not None else rv,
                          kp._timestamp() if kp is not None else None),
            }
            fill = {
                "pods": lambda: self.query_one("#pods-table", ResourceTable).sync(
                    views.filter_rows(rows_of("pods", lambda: views.pod_rows(c, ns)), pattern, texts), flash=flash),
                "services": lambda: self.query_one("#services-table", ResourceTable).sync(
                    views.filter_rows(rows_of("services", lambda: views.service_rows(c, ns)), pattern, texts), flash=flash),
                "endpoints": lambda: self.query_one("#endpoints-table", ResourceTable).sync(
                    views.filter_rows(rows_of("endpoints", lambda: views.endpoint_rows(c, ns)), pattern, texts),
                    flash=flash),
                "dns": lambda: self.query_one("#dns-table", ResourceTable).sync(views.dns_rows(c, ns), flash=flash),
                "proxy": self._refresh_proxy,
            }
            for pane, version in wants.items():
                if seen.get(pane) != version:
                    t = time.perf_counter()
                    cost, done = costs.get(pane, (0.0, 0.0))
                    filtered = refilter and pane in bases
                    if (throttle or refilter) and not filtered and cost > SLOW_PANE \
                            and t - done < cost * SLOW_PANE_SPACING:
                        self._deferred_panes = True  # a later tick brings it up to date
                        continue
                    fill[pane]()
                    parts[pane] = time.perf_counter() - t
                    if pane in stale:  # filtered, not rebuilt: the rebuild keeps its place
                        seen[pane] = None
                        self._deferred_panes = True
                        continue
                    seen[pane] = version
                    if pane in rebuilt or pane not in bases:  # (a refilter alone says nothing of a rebuild)
                        costs[pane] = (parts[pane], time.perf_counter())
            if refilter and any(len(computed[p][2]) > BIG_VIEW_ROWS for p in bases if p in computed):
                # The views a filter of 100,000 rows made (tables' key lists and maps) live on:
                # out of the young generations, which would walk them in every collection.
                self.heap.freeze()
            t = time.perf_counter()
            self._refresh_dns_serving()
            parts["dns-log"] = time.perf_counter() - t
            # What the selection lights up follows the objects, not the clock or the filter.
            selection = (kv("Pod"), kv("Service"), kv("Endpoints"), kv("EndpointSlice"), wants["dns"],
                         wants["proxy"][:3], ns)
            if seen.get("selection") != selection:
                t = time.perf_counter()
                self._update_selection()
                seen["selection"] = selection
                parts["selection"] = time.perf_counter() - t
        # Lookups change nothing in the store (curl, nslookup): the query log is read on
        # every refresh, not only when the store moved.
        self._refresh_dns_log()
        self._refresh_header()
        if probe is not None:
            r = probe.refreshed(start, time.perf_counter(), rv, changed, parts)
            self.call_after_refresh(probe.painted, r)

    def _refresh_header(self) -> None:
        """Cluster, nodes, subnets, proxy mode, namespace and clock. Wide screens get two
        lines with every node's address; below WIDE_HEADER columns it is one line, nodes
        counted rather than listed, cut with `…` rather than wrapped (a projector's
        100 columns must not lose three rows to it)."""
        c = self.workspace.cluster
        t = c.topology
        tr = getattr(self, "tr", lambda s: s)
        speed = "" if self.speed == 1 else f" · {tr('speed')} ×{self.speed:g}"
        paused = f" · {tr('flow paused')}" if self.paused else ""
        ns = self.namespace or tr("all namespaces")
        head = Text(no_wrap=True, overflow="ellipsis")
        if self.size.width < WIDE_HEADER:
            head.append(t.name, style="bold")
            head.append(f" · {len(t.nodes)} {tr('nodes')} · ")
            for label, value in (("pods", t.pod_subnet), ("svc", t.service_subnet), ("proxy", t.proxy.mode),
                                 ("ns", ns)):
                head.append(f"{tr(label)} ", style="bold")
                head.append(value + " · ")
            head.append(f"{c.now().strftime('%H:%M:%S')}{speed}{paused}")
            self.query_one("#cluster-header", Static).update(head)
            return
        shown = t.nodes if len(t.nodes) <= HEADER_NODES else t.nodes[:HEADER_NODES - 1]
        nodes = ", ".join(f"{n.name} {n.ip} ({n.pod_cidr})" for n in shown)
        if len(shown) < len(t.nodes):  # 100 nodes would push the panes off the screen
            nodes += f" and {len(t.nodes) - len(shown)} more ({len(t.nodes)} nodes; n shows the next in kube-proxy)"
        for label, value, sep in (("cluster", t.name, " · "), ("nodes", nodes, "\n"), ("pods", t.pod_subnet, " · "),
                                  ("services", t.service_subnet, " · "), ("proxy", t.proxy.mode, " · "),
                                  ("ns", ns, " · ")):
            head.append(f"{tr(label)} ", style="bold")
            head.append(value + sep)
        head.append(f"{c.now().strftime('%H:%M:%S')}{speed}{paused}")
        self.query_one("#cluster-header", Static).update(head)

    def _node_name(self) -> str:
        nodes = self.workspace.cluster.topology.nodes
        return nodes[self.node_index % len(nodes)].name

    def _refresh_proxy(self) -> None:
        node = self._node_name()
        lines = views.proxy_lines(self.workspace.cluster, node, self.mode)
        view = self.query_one("#proxy-view", TextView)
        fresh = not view.lines
        view.set_lines(lines)
        if fresh:  # start where the Service rules are: the nat table
            nat = view.first_line_starting("*nat") or view.first_line_starting("table") or 0
            view.call_after_refresh(view.scroll_to, y=nat, animate=False)
        pane = self.query_one("#proxy")
        tr = getattr(self, "tr", lambda s: s)
        pane.border_title = Text(f"kube-proxy · {node} · {self.mode} ({len(lines)} {tr('lines')})"  # names literally
                                 + (f" · {tr('computed')}" if self.read_only else ""))

    def _refresh_dns_serving(self) -> None:
        """The CoreDNS pane says whether anyone is serving its records: with no ready
        CoreDNS pod behind kube-dns (scaled to 0, deleted, selector broken, the Service
        gone) every lookup times out, and the pane turns red and says why."""
        serving = views.dns_serving(self.workspace.cluster)
        pane = self.query_one("#dns")
        down = serving is not None and not serving.ok
        pane.set_class(down, "-down")
        tr = getattr(self, "tr", lambda s: s)
        title = Text("CoreDNS" + (f" · {tr('computed')}" if self.read_only else ""))
        if serving is not None:
            title.append(" · " + (tr("NOT SERVING") if down else f"{serving.ready} {tr('ready')}"),
                         style="bold red" if down else "")
        pane.border_title = title
        pane.border_subtitle = Text(serving.reason + " · " + tr("lookups time out")) if down else ""

    def _refresh_dns_log(self) -> None:
        log = self.query_one("#dns-log", RichLog)
        for line in dataplane.take_dns_queries(self.workspace.cluster):
            log.write(line)

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id in ("pods-table", "services-table"):
            self._update_selection(event.data_table.id)

    def _update_selection(self, source: str | None = None) -> None:
        if self._flow_pinned:
            return
        focused = self.focused
        # With nothing focused (a blurred app: `svcflow web` starts so), the last selection
        # still stands and follows the cluster.
        source = source or (focused.id if focused is not None else self._selection_source)
        if source in ("services-table", "pods-table"):
            self._selection_source = source
        c = self.workspace.cluster
        links = views.Links()
        if source == "services-table":
            key = self.query_one("#services-table", ResourceTable).selected_key
            if key:
                ns, name = key.split("/", 1)
                links = views.links_for_service(c, ns, name)
                links.chains |= dataplane.chains_for_service(c, self._node_name(), self.mode, ns, name)
        elif source == "pods-table":
            key = self.query_one("#pods-table", ResourceTable).selected_key
            if key:
                ns, name = key.split("/", 1)
                links = views.links_for_pod(c, ns, name)
                links.chains |= dataplane.chains_for_pod(c, self._node_name(), self.mode, ns, name)
        else:
            return
        for table_id, keys in (("#pods-table", links.pods), ("#services-table", links.services),
                               ("#endpoints-table", links.endpoints)):
            t = self.query_one(table_id, ResourceTable)
            if source and table_id == f"#{source}":
                keys = set()
            t.highlight = keys
            t.refresh_styles()
        dns = self.query_one("#dns-table", ResourceTable)
        names = links.dns_names
        lit = dns.keys_named(names)
        if lit != dns.highlight:  # scrolled to once per selection, not on every change
            dns.highlight = lit
            dns.refresh_styles()
            if lit:
                first = min(dns.get_row_index(k) for k in lit)
                dns.scroll_to(y=max(0, first - 1), animate=False)
        view = self.query_one("#proxy-view", TextView)
        # Scrolled to the selection's rules when the selection changes (or its rules were
        # not there yet), not on every sync: the user may have scrolled away since.
        pending = getattr(self, "_marks_unfound", None)
        if set(links.chains) != view.marks or (pending is not None and pending is not view.lines):
            view.set_marks(links.chains)
            first = view.first_marked_line()
            self._marks_unfound = view.lines if first is None and links.chains else None
            if first is not None and links.chains:
                view.call_after_refresh(view.scroll_to, y=max(0, first - 2), animate=False)
        self.query_one("#services").border_subtitle = "; ".join(links.explanation) if source == "services-table" else ""

    # -- actions ----------------------------------------------------------------------------
    def action_flow_diagram(self) -> None:
        """The four-step flow as the tutorial's figure, full screen (tui/widgets/flow_diagram.py)."""
        toggle_flow_diagram(self)

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.BINDINGS, self.tr))

    def action_toggle_header(self) -> None:
        self.query_one("#cluster-header").toggle_class("-collapsed")

    def action_next_node(self) -> None:
        self.node_index += 1
        self._last_rv = -1
        self.refresh_panes()

    def action_next_mode(self) -> None:
        self.mode = MODES[(MODES.index(self.mode) + 1) % len(MODES)] if self.mode in MODES else MODES[0]
        self._last_rv = -1
        self.refresh_panes()

    def action_all_namespaces(self) -> None:
        self.namespace = None if self.namespace else "default"
        self._last_rv = -1
        if self.namespace is None and self.workspace.cluster.store.count("Pod") > BIG_VIEW_ROWS:
            # Say so before the first listing of every pod, which takes a moment at this size.
            status = self.query_one("#status-line", Static)
            status.update(Text(f"listing {self.workspace.cluster.store.count('Pod'):,} pods in every namespace..."))
            self.call_after_refresh(self._show_all_namespaces)
            return
        self.refresh_panes()

    def _show_all_namespaces(self) -> None:
        self.refresh_panes()
        self.query_one("#status-line", Static).update(Text(""))

    def action_pause(self) -> None:
        self.paused = not self.paused
        self._refresh_header()

    def action_step_forward(self) -> None:
        if self.flow_pos + 1 < len(self.flow_played):
            self.seek_flow(self.flow_pos + 1)
        elif self.flow_queue:
            self._advance_flow()

    def action_step_back(self) -> None:
        if self.flow_pos > 0:
            self.seek_flow(self.flow_pos - 1)

    def action_replay(self) -> None:
        """Replay the last Service's flow from its step 1."""
        if not self.flow_played:
            return
        last = self.flow_played[-1]
        start = max(i for i, e in enumerate(self.flow_played) if e.step == 1 and e.name == last.name) \
            if any(e.step == 1 and e.name == last.name for e in self.flow_played) else len(self.flow_played) - 1
        replay = self.flow_played[start:]
        self.flow_queue.extendleft(reversed(replay))

    def action_faster(self) -> None:
        self.speed = min(self.speed * 2, 16)
        self.set_flow_speed(self.speed)
        self._refresh_header()

    def action_slower(self) -> None:
        self.speed = max(self.speed / 2, 0.125)
        self.set_flow_speed(self.speed)
        self._refresh_header()

    def _selected(self, table_id: str) -> tuple[str, str] | None:
        key = self.query_one(f"#{table_id}", ResourceTable).selected_key
        return tuple(key.split("/", 1)) if key else None  # type: ignore[return-value]

    def _focused_object(self) -> tuple[str, str, str] | None:
        focused = self.focused
        kind = {"pods-table": "Pod", "services-table": "Service", "endpoints-table": "Endpoints"}.get(
            getattr(focused, "id", ""), None)
        if kind is None:
            return None
        sel = self._selected(focused.id)  # type: ignore[union-attr]
        return (kind, *sel) if sel else None

    def action_describe(self) -> None:
        obj = self._focused_object()
        if obj:
            kind, ns, name = obj
            out = kubectl.describe(self.workspace.cluster, [f"{kind.lower()}/{name}"], namespace=ns)
            self.push_screen(TextScreen(f"describe {kind.lower()}/{name}", out.stdout or out.stderr))

    def action_yaml(self) -> None:
        obj = self._focused_object()
        if obj:
            kind, ns, name = obj
            out = kubectl.get(self.workspace.cluster, [f"{kind.lower()}/{name}"], namespace=ns, output="yaml")
            self.push_screen(TextScreen(f"{kind.lower()}/{name} (yaml)", out.stdout or out.stderr))

    def action_scale(self, delta: int) -> None:
        if self._refuse_write():
            return
        sel = self._selected("pods-table") if getattr(self.focused, "id", "") == "pods-table" else None
        out = kubectl.scale_owner_of_pod(self.workspace.cluster, *sel, delta) if sel else None
        if out is not None:
            self._run_output(out)

    def action_delete_pod(self) -> None:
        if self._refuse_write():
            return
        sel = self._selected("pods-table")
        if sel:
            self._run_output(kubectl.delete(self.workspace.cluster, [f"pod/{sel[1]}"], namespace=sel[0]))

    def action_toggle_ready(self) -> None:
        if self._refuse_write():
            return
        sel = self._selected("pods-table")
        if sel:
            self._run_output(kubectl.toggle_readiness(self.workspace.cluster, *sel))

    def action_edit(self) -> None:
        if self._refuse_write():
            return
        obj = self._focused_object()
        if not obj:
            return
        src = self.workspace.applied.get(obj)
        editor = os.environ.get("EDITOR")
        if not src or not editor:
            self.notify("set $EDITOR to edit manifests" if not editor else "this object has no manifest file")
            return
        try:
            argv = [*shlex.split(editor), src]  # no shell: a file named `$(rm -rf ~).yaml` stays a name
        except ValueError:
            self.notify(f"cannot read $EDITOR: {editor!r}")
            return
        try:
            with self.suspend():
                try:
                    subprocess.run(argv, check=False)
                except OSError as e:
                    self.notify(f"could not start the editor: {e}")
        except SuspendNotSupported:  # a browser (svcflow web) or a test has no terminal to hand over
            self.notify("editing needs svcflow running in a terminal")
            return
        self.reload_manifests()

    def _refuse_write(self) -> bool:
        """Attached read-only: say so instead of writing."""
        if self.read_only:
            self.notify(self.workspace.read_only_line())
        return self.read_only

    def action_filter(self) -> None:
        """`/`: the prompt in filter mode; Enter filters every pane (it never runs a command)."""
        self._open_prompt("filter")

    def action_prompt(self) -> None:
        self._open_prompt("command")

    def _open_prompt(self, mode: str) -> None:
        """Open the prompt on the dashboard. Over a describe/YAML/help pop-up the pop-up
        goes first: the prompt lives on the dashboard, and keys typed while a pop-up kept
        the focus would be lost."""
        while len(self.screen_stack) > 1 and isinstance(self.screen, (TextScreen, HelpScreen)):
            self.pop_screen()
        focused = self.focused
        if focused is not None and focused.id != "prompt":
            self._focus_before_prompt = focused
        self.query_one("#prompt", CommandPrompt).open(mode)

    def _close_prompt(self) -> None:
        """Close the prompt and give the focus back to where it was."""
        p = self.query_one("#prompt", CommandPrompt)
        p.close()
        back = getattr(self, "_focus_before_prompt", None)
        if back is None or not back.is_attached:
            back = self.query_one("#pods-table")
        back.focus()

    def action_back(self) -> None:
        if self.query_one("#prompt").has_class("-visible"):
            self._close_prompt()
        elif self.has_class("-zoomed"):
            self.action_zoom()

    def action_screenshot_svg(self) -> None:
        path = self.save_screenshot()
        self.notify(f"saved {path}")

    @on(Input.Submitted, "#prompt")
    def _prompt_submitted(self, event: Input.Submitted) -> None:
        prompt = self.query_one("#prompt", CommandPrompt)
        text = event.value.strip()
        self._close_prompt()
        if prompt.mode == "filter":
            self.run_command("/" + text)
            return
        prompt.remember(text)
        self.run_command(text)

    def run_command(self, text: str) -> None:
        """The `:` prompt: pane jumps, filters and kubectl/session commands."""
        text = text.lstrip(":").strip()
        if not text:
            return
        if text.startswith("/"):
            pattern = text[1:]
            try:
                self.filter_re = re.compile(pattern, re.I) if pattern else None
            except re.error as exc:
                self.notify(f"bad filter: {exc}", severity="error")
                return
            self._last_rv = -1
            self.refresh_panes(refilter=not self.deterministic)
            return
        word = text.split()[0]
        if text.startswith("xray"):
            self.query_one("#services-table").focus()
            return
        if word in PANES and len(text.split()) == 1:
            target = {"pods": "#pods-table", "services": "#services-table", "endpoints": "#endpoints-table",
                      "proxy": "#proxy-view", "dns": "#dns-table", "events": "#events-log"}[PANES[word]]
            self.query_one(target).focus()
            return
        if self.read_only and not _reads_only(text):
            self._run_output(kubectl.Output(stdout=self.workspace.read_only_line() + "\n"), title=text, settle=False)
            return
        if self.session is None:
            from engine.kubectl.session import Session

            base = self.paths[0] if self.paths and self.paths[0].is_dir() else Path.cwd()
            self.session = Session(self.workspace.cluster, cwd=base, settle=self.deterministic)
        before = self.session.prompt
        try:
            answer = self.session.feed(text)
        except Exception as exc:  # noqa: BLE001 - a command the engine trips over must not end the app
            answer = f"svcflow: {text!r} failed: {type(exc).__name__}: {exc}\n"
            self.session.shell = None
        self._run_output(kubectl.Output(stdout=answer), title=f"{before}{text}", settle=False)

    def terminal(self) -> RichLog:
        """Where command output goes: the terminal pane (the events pane in a tour, whose
        events pane is its terminal)."""
        return self.query_one("#terminal-log" if self.log_flow else "#events-log", RichLog)

    def _run_output(self, out: kubectl.Output, title: str | None = None, settle: bool = True) -> None:
        """A command's output, whole, in the terminal pane after the command line (the
        session's transcript, as a terminal keeps it); the status line repeats its first
        line and says how many more the terminal holds."""
        log = self.terminal()
        text = (out.warnings + out.stdout + out.stderr).rstrip("\n")
        lines = text.splitlines()
        log.parent.add_class("-used")  # (on the stage, the terminal opens once it has a transcript)
        if title:
            log.write(literal(title, "bold"))
        for line in lines[:TERMINAL_LINES]:
            log.write(literal(line))
        shown = lines[0] if lines else ""
        if len(lines) > 1:
            shown += f"  (+{len(lines) - 1} → {self.tr('Terminal')})"
        if self.session is not None and self.session.shell is not None:
            shown = f"[in pod {self.session.shell.pod['metadata']['name']}: {self.session.prompt.strip()}] {shown}"
        self.query_one("#status-line", Static).update(literal(shown))  # literally: output may hold `[`
        if settle and self.deterministic:
            self.workspace.settle()
        elif settle:
            self.workspace.cluster.run_for(0)
        if not self.animate_flow:
            self._drain_flow()
        self.refresh_panes()


#: What the `:` prompt still answers when attached read-only (the rest would write, or needs
#: the simulation's own processes).
READ_ONLY_KUBECTL = frozenset({"get", "describe", "explain", "api-resources", "api-versions", "version"})


def _reads_only(text: str) -> bool:
    try:
        words = shlex.split(text)
    except ValueError:
        return False
    if not words:
        return True
    if words[0] == "kubectl":
        verb = next((w for w in words[1:] if not w.startswith("-")), "")
        return verb in READ_ONLY_KUBECTL
    return words[0] in ("dig", "trace")


def short_line(ev: FlowEvent) -> str:
    """An event as the events pane shows it: clock time, who, what, which object."""
    step = f"[{ev.step}] " if ev.step else ""
    return f"{ev.time.strftime('%H:%M:%S')} {step}{ev.controller} {ev.verb} {ev.kind.lower()}/{ev.name} {ev.detail}"


def run(paths: list[str], **kwargs) -> int:
    SvcflowApp(paths, **kwargs).run()
    return 0
