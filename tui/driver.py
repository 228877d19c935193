"""The engine driver: runs the simulated cluster under the dashboard.

It ticks the engine with wall time (or not at all, deterministically), catches up a
backlog in slices so keys and repaints go first, applies a big folder slice by slice
while the panes fill, reloads the manifests when `tui.watcher` says they changed, and
publishes one `ClusterChanged` to the panes when the store (or the viewpoint) moved.
"""
from __future__ import annotations

import asyncio
import time

from rich.text import Text
from textual.app import App
from textual.css.query import NoMatches
from textual.timer import Timer
from textual.widgets import Static

from engine.apply import filewrites
from engine.views import panes as views
from tui import perf
from tui.messages import ClusterChanged
from tui.panes import (
    BIG_VIEW_ROWS,
    DnsPane,
    EndpointsPane,
    EventsPane,
    Pane,
    PodsPane,
    ProxyPane,
    RowsPane,
    ServicesPane,
)
from tui.timers import call_after
from tui.watcher import manifest_changes
from tui.widgets.chrome import ErrorBar
from tui.widgets.resource_table import ResourceTable

TICK_SECONDS = 0.25
#: Wall seconds the engine may run per turn of the event loop, so the screen stays responsive
#: while a big cluster starts (the rest of the work runs in the next turn; simulated time lags).
ENGINE_BUDGET = 0.04
#: The gap between two budgets of a backlog (`catch_up`): a timer's, so that input and
#: repaints go first; any longer is the loop idle (at 5 ms, a tenth of kube-proxy's first
#: sync at 10,000 Services).
CATCH_UP_GAP = 0.001
#: A catch-up chain whose next budget has not run for this long is started again by the tick.
CATCH_UP_STALLED = 2.0
#: Wall seconds per tick spent, when idle, preparing the all-namespaces view (`views.warm`).
WARM_BUDGET = 0.01
#: Above this many bytes of manifests the first apply runs file by file and in slices,
#: painting as it goes (the samples are 2 KB; 1,000 generated Services are 1.3 MB).
BIG_FOLDER_BYTES = 256 * 1024
SETTLE_SECONDS = 0.3  # a save is applied once its file has been left alone this long
#: While attaching, the panes repaint (page by page) at most this often.
ATTACH_PAINT_SECONDS = 1.0


class EngineDriver:
    """Drives `app.workspace` (a `LiveWorkspace`; a tour replaces it) and tells the panes."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.booting = False  # a big folder's first apply is under way
        self.behind = False  # the engine has a backlog it runs in slices
        self._caught_up_at = 0.0  # when the backlog's last budget ran (a stalled chain is restarted)
        self._last: tuple | None = None  # (resource version, viewpoint) last published
        self._last_second: int | None = None  # the clock second the Pods pane's AGE shows
        self._retry: Timer | None = None
        self._watched_dirs: set[str] | None = None
        self._stop_watch = asyncio.Event()
        self._panes: tuple[Pane, ...] | None = None
        self._painted = 0.0  # when the panes were last repainted while attaching

    @property
    def workspace(self):
        return self.app.workspace

    # -- starting and stopping ---------------------------------------------------------------
    def start(self) -> None:
        """The first apply (at once, or in slices for a big folder), then the clock and the watcher."""
        app = self.app
        progressive = not app.deterministic and self.workspace.manifest_bytes > BIG_FOLDER_BYTES
        if not progressive:
            self.show_reload(self.workspace.reload())
            if app.deterministic:
                self.workspace.settle()
        app.refresh_panes(flash=False)
        app.query_one("#pods-table").focus()
        if not app.deterministic:
            app.heap.install()
            app.set_interval(TICK_SECONDS, self.tick)
        if app.animate_flow:
            app.player.start()
        else:
            app.player.drain()
        if progressive:
            self.booting = True
            app.run_worker(self.apply_in_slices(), exclusive=True, group="initial-apply")
        elif app.watch_files:
            self.watch()

    def stop(self) -> None:
        self._stop_watch.set()

    # -- the clock -------------------------------------------------------------------------------
    def tick(self) -> None:
        app = self.app
        app.heap.tick()  # after a slow full collection: later ones walk only new objects
        ws = self.workspace
        if app.deterministic:
            ws.advance(TICK_SECONDS * app.player.speed)
        elif not self.behind and not ws.advance(TICK_SECONDS * app.player.speed, budget=ENGINE_BUDGET):
            self.catch_up()
        elif self.behind and time.perf_counter() - self._caught_up_at > CATCH_UP_STALLED:
            self.catch_up()  # (the chain's next budget never came: the engine would stop for good)
        elif not self.behind and not self.booting and app.namespace is not None:
            views.warm(ws.cluster, WARM_BUDGET)  # what `0` (all namespaces) will show
        if self.booting and app.read_only:
            # Attaching: the lists change the store every few milliseconds; the panes show
            # them page by page, once a second, with the progress line and the header's
            # clock in the same frame (each of them alone would lay the screen out again:
            # a frame the next page would need).
            now = time.perf_counter()
            if now - self._painted < ATTACH_PAINT_SECONDS:
                return
            self._painted = now
            app.show_progress(force=True)
        try:
            app.refresh_panes(throttle=True)
        except NoMatches:
            return  # a last tick while the app shuts down: the panes are already gone
        for table in app.query(ResourceTable):
            if table._flash:
                table.refresh_styles()  # let finished flashes fade

    def catch_up(self) -> None:
        """Run the engine's backlog (ENGINE_BUDGET at a time) until it is done."""
        self._caught_up_at = time.perf_counter()
        if self.workspace.advance(0, budget=ENGINE_BUDGET):
            self.behind = False
            return
        self.behind = True
        call_after(self.app, CATCH_UP_GAP, self.catch_up)  # a gap: input and repaints go first

    def after_command(self) -> None:
        """A command changed the store: run what it set off (deterministically: all of it;
        else a budget now and the rest in the catch-up's slices: `scale --replicas=100000`
        froze the screen for ~20 s while 100,000 pods were made in one call)."""
        if self.app.deterministic:
            self.workspace.settle()
        elif not self.behind and not self.workspace.cluster.run_for(0, budget=ENGINE_BUDGET):
            self.catch_up()

    def kick(self) -> None:
        """A client of the served API wrote: run what it set off and show it now, as after a
        `:` command (the next tick would, a tenth of a second later)."""
        self.after_command()
        self.app.refresh_panes()

    # -- applying ---------------------------------------------------------------------------------
    async def apply_in_slices(self) -> None:
        """A big folder's first apply, a slice at a time: the panes fill while the rest is
        applied (`LiveWorkspace.initial_apply`), then one ordinary reload reports errors and
        duplicates as a small folder's would, and the watcher starts."""
        app = self.app
        status = app.query_one("#status-line", Static)
        painted = 0.0
        events = app.query_one(EventsPane)
        for n, k, files, report in self.workspace.initial_apply(budget=ENGINE_BUDGET / 2):
            events.write_apply(report.lines)
            if time.perf_counter() - painted > 0.2:
                status.update(Text(f"applying the manifests: {n:,} documents, file {k:,} of {files:,}"))
                app.refresh_panes(flash=False)
                painted = time.perf_counter()
            await asyncio.sleep(0.001)  # let keys and repaints through
        result = self.workspace.reload(budget=ENGINE_BUDGET)
        self.booting = False
        status.update(Text(""))
        self.show_reload(result)
        app.refresh_panes(flash=False)
        self.catch_up()
        if app.watch_files:
            self.watch()

    def watch(self) -> None:
        self.app.run_worker(self._watch(), exclusive=True, group="manifest-watcher")

    async def _watch(self) -> None:
        """Reload when the manifests change.  `tui.watcher` ignores editors' side files (swap,
        backup, lock, temp), follows folders (created, renamed, removed) and re-arms when a
        watched folder is removed and comes back; `LiveWorkspace` waits until a save is
        complete before applying it: at once when the kernel says nobody holds the file open
        for writing (`engine.apply.filewrites`), else after SETTLE_SECONDS without a change."""
        self.workspace.settle_seconds = SETTLE_SECONDS
        if filewrites.ignore_lease_breaks():  # a finished save then applies without the wait
            self.workspace.write_check = filewrites.open_for_writing
        self._watched_dirs = set(self.workspace.watched_dirs())
        errors = self.app.query_one(ErrorBar)
        async for _changes in manifest_changes(self.app.paths, self._stop_watch,
                                               known_dirs=lambda: self._watched_dirs or (),
                                               on_error=lambda msg: errors.show([msg])):
            self.app.reload_manifests()

    def reload(self) -> None:
        """Re-apply the files; errors go to the error bar and the rest still applies.  A file
        still being written is looked at again shortly (`ReloadResult.retry_after`)."""
        app = self.app
        if self._retry is not None:
            self._retry.stop()
            self._retry = None
        if not app.is_running:  # (quitting: a save seen meanwhile has no screen left to show on)
            return
        try:
            result = self.workspace.reload(budget=None if app.deterministic else ENGINE_BUDGET)
        except Exception as exc:  # noqa: BLE001 - the app must never crash on input
            app.query_one(ErrorBar).show([f"svcflow: reload failed: {exc}"])
            return
        if not app.deterministic and not self.behind:
            self.catch_up()
        self.show_reload(result)
        if result.retry_after is not None:
            self._retry = app.set_timer(result.retry_after, app.reload_manifests)
        if self._watched_dirs is not None:
            self._watched_dirs = set(self.workspace.watched_dirs())
        if app.deterministic:
            self.workspace.settle()
            app.player.drain()
        # Slow panes (kube-proxy's 470,000 lines at 10,000 Services) catch up on a later
        # tick, so the save shows in the other panes at once.
        app.refresh_panes(throttle=not app.deterministic)

    def show_reload(self, result) -> None:
        """An apply's lines in the events pane (less the unchanged), its errors and warnings
        in the error bar."""
        self.app.query_one(EventsPane).write_apply(line for line in result.lines if not line.endswith(" unchanged"))
        errors = []
        for e in result.report.errors:
            where = e.source or ""
            field = f" ({e.field})" if e.field else ""
            errors.append(f"{where}{field}: {e.error}")
        warnings = []
        for w in getattr(result.report, "warnings", []):
            warnings.append(f"{w.source}: {w.message}" if w.source and w.source not in w.message else w.message)
        self.app.query_one(ErrorBar).show(errors, warnings)

    # -- telling the panes ---------------------------------------------------------------------------
    def publish(self, *, flash: bool = True, throttle: bool = False, refilter: bool = False,
                redraw: bool = False) -> None:
        """Publish `ClusterChanged` to the panes when the store, the viewpoint or the clock
        second (the pods' AGE) moved, or a slow pane put its redraw off; each pane then
        redraws only if what it shows changed. ``redraw``: publish even if none of that
        moved (a tour's command may only have moved the clock). The header and the DNS
        query log follow on every call. Each call is reported to the perf probe
        (tui/perf.py) when one is set."""
        app = self.app
        probe = perf.probe_for(app)
        start = time.perf_counter()
        parts: dict[str, float] = {}
        view = app.viewpoint()
        c = view.cluster
        rv = c.store.resource_version
        if self._panes is None:  # (the panes live as long as the app: looked up once)
            q = app.query_one
            self._panes = (q(PodsPane), q(ServicesPane), q(EndpointsPane), q(DnsPane), q(ProxyPane), q(EventsPane))
        panes: tuple[Pane, ...] = self._panes
        pods, _, _, dns, proxy, _ = self._panes
        # The Pods pane's AGE follows the clock: a new second is a change for a pane of up
        # to 2,000 pods (a bigger one follows the pods' changes only).
        second = int(c.now().timestamp())
        ticked = second != self._last_second and pods.follows_clock
        self._last_second = second
        now = (rv, view.key())
        changed = redraw or now != self._last or ticked or any(p.deferred for p in panes)
        if changed:
            self._last = now
            event = ClusterChanged(view, flash=flash, throttle=throttle, refilter=refilter)
            for pane in panes:  # (delivered here and now: a key's repaint is this frame's)
                spent = pane.catch_up(event)
                if spent is not None:
                    parts[pane.id] = spent
            rows = [p for p in panes if isinstance(p, RowsPane)]
            if any(p.grew_big for p in rows) or (refilter and any(p.row_count > BIG_VIEW_ROWS for p in rows)):
                # 100,000 rows (and the views a filter of them made) live on: out of the
                # collector's scans, which would otherwise take ~100 ms now and then.
                app.heap.freeze()
            t = time.perf_counter()
            dns.show_serving(c)
            parts["dns-log"] = time.perf_counter() - t
            # What the selection lights up follows the objects, not the clock or the filter.
            t = time.perf_counter()
            # (Not while attaching: the lists move the objects every few milliseconds, and the
            # links are drawn once they are all in -- `SvcflowApp._attach_changed`.)
            if not (self.booting and app.read_only) and \
                    app.selection.follow(view, app.selection.version(view, dns.wanted, proxy.wanted[:3])):
                parts["selection"] = time.perf_counter() - t
        # Lookups change nothing in the store (curl, nslookup): the query log is read on
        # every refresh, not only when the store moved.
        dns.read_queries(c)
        app.show_header()
        if probe is not None:
            r = probe.refreshed(start, time.perf_counter(), rv, changed, parts)
            app.call_after_refresh(probe.painted, r)
