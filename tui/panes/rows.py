"""The table panes over `engine.views.panes` rows: Pods, Services, Endpoints.

Each keeps its unfiltered rows while what they depend on stays (the kinds' versions,
the namespace, the clock second for the pods' AGE), so a new `/` filter at 100,000 pods
filters them again rather than rebuilding them; the filter's texts are kept per row
list (`views.FilterTexts`) so a second filter of the same rows is a search only.
"""
from __future__ import annotations

import time
from typing import Sequence

from engine.cluster.cluster import Cluster
from engine.views import panes as views
from engine.views.rows import Row
from tui.messages import ClusterChanged
from tui.panes.base import Pane
from tui.widgets.resource_table import ResourceTable

#: Rows from which a view counts as big: its filter text is built at once and the heap
#: is frozen after it is made (`tui.heap`).
BIG_VIEW_ROWS = 20_000
#: Above this many pods in the namespace shown, AGE follows the pods' changes only
#: (rebuilding 100,000 rows each second would stall).
CLOCK_PODS = 2000


class RowsPane(Pane):
    """A `ResourceTable` of one kind's rows, filtered by the `/` pattern."""

    #: The kinds whose versions the rows depend on.
    KINDS: tuple[str, ...] = ()

    def __init__(self, table: ResourceTable, *, id: str, classes: str = "") -> None:
        super().__init__(table, id=id, classes=classes)
        self.table = table
        self._rows: tuple | None = None  # (base, cluster, unfiltered rows)
        self._texts = views.FilterTexts()
        self.grew_big = False  # rows past BIG_VIEW_ROWS were made: the heap may be frozen

    # -- what subclasses say ------------------------------------------------------------
    def rows(self, cluster: Cluster, namespace: str | None) -> list[Row]:
        raise NotImplementedError

    def base(self, event: ClusterChanged) -> tuple:
        """What the unfiltered rows depend on."""
        kv = event.cluster.store.kind_version
        return tuple(kv(k) for k in self.KINDS) + (event.view.namespace,)

    # -- Pane -------------------------------------------------------------------------------
    def version(self, event: ClusterChanged) -> object:
        return self.base(event) + (event.view.pattern,)

    @property
    def row_count(self) -> int:
        """How many unfiltered rows the pane holds."""
        return len(self._rows[2]) if self._rows is not None else 0

    def catch_up(self, event: ClusterChanged) -> float | None:
        """As `Pane.catch_up`, and a new filter never waits: it filters the rows the pane
        has (when the cluster moved since and the rebuild is slow, the rebuild waits for
        a later tick and the pane says it is behind)."""
        self.deferred = False
        self.grew_big = False
        c = event.cluster
        base = self.base(event)
        self.wanted = base + (event.view.pattern,)
        want = (c, self.wanted)
        if self.shown == want:
            return None
        if event.throttle and not event.refilter and self.may_wait(event):
            self.deferred = True
            return None
        start = time.perf_counter()
        ent = self._rows
        stale = event.refilter and ent is not None and ent[1] is c and ent[0] != base and self.is_slow()
        rebuilt = False
        if not stale and (ent is None or ent[0] != base or ent[1] is not c):
            rebuilt = True
            ent = self._rows = (base, c, self.rows(c, event.view.namespace))
            if len(ent[2]) > BIG_VIEW_ROWS:  # the first `/` over it is then a search only
                self._texts.prepare(ent[2])
                self.grew_big = True
        self.table.sync(views.filter_rows(ent[2], event.view.pattern, self._texts), flash=event.flash)
        spent = time.perf_counter() - start
        if stale:  # filtered, not rebuilt: the rebuild keeps its place
            self.shown = None
            self.deferred = True
            return spent
        self.shown = want
        if rebuilt:  # (a refilter alone says nothing of a rebuild's cost)
            self.cost = (spent, time.perf_counter())
        return spent


class PodsPane(RowsPane):
    TITLE = "Pods"
    KINDS = ("Pod",)

    def __init__(self) -> None:
        super().__init__(ResourceTable(views.POD_COLUMNS, id="pods-table",
                                       drop_order=("RESTARTS", "AGE", "NODE", "READY")),
                         id="pods", classes="-staged")
        self.follows_clock = True  # AGE is rebuilt each clock second (not at thousands of pods)

    def base(self, event: ClusterChanged) -> tuple:
        c = event.cluster
        ns = event.view.namespace
        self.follows_clock = c.store.count("Pod", ns) <= CLOCK_PODS
        return (c.store.kind_version("Pod"), ns) + ((int(c.now().timestamp()),) if self.follows_clock else ())

    def rows(self, cluster: Cluster, namespace: str | None) -> list[Row]:
        return views.pod_rows(cluster, namespace)

    def light_ips(self, ips: Sequence[str]) -> None:
        """Light the pods with these IPs (the flow's step 1: the IPs the controller collected)."""
        wanted = set(ips)
        self.table.highlight = self.table.keys_where(lambda cells: cells[4] in wanted)


class ServicesPane(RowsPane):
    TITLE = "Services"
    KINDS = ("Service",)

    def __init__(self) -> None:
        super().__init__(ResourceTable(views.SERVICE_COLUMNS, id="services-table",
                                       drop_order=("SELECTOR", "EXTERNAL-IP", "TYPE")), id="services")

    def rows(self, cluster: Cluster, namespace: str | None) -> list[Row]:
        return views.service_rows(cluster, namespace)


class EndpointsPane(RowsPane):
    TITLE = "Endpoints / EndpointSlices"
    KINDS = ("Endpoints", "EndpointSlice")

    def __init__(self) -> None:
        super().__init__(ResourceTable(views.ENDPOINT_COLUMNS, id="endpoints-table", drop_order=("SLICES",)),
                         id="endpoints")

    def rows(self, cluster: Cluster, namespace: str | None) -> list[Row]:
        return views.endpoint_rows(cluster, namespace)
