"""Selection links: what lights up when a Service or a Pod is selected.

The links themselves (a Service's pods, Endpoints, chains on the node shown, DNS names,
and why it selects what it selects) are computed by `engine.views`; this module only
renders them on the panes, and keeps what the selection needs between refreshes: which
table it came from, and whether a flow step pinned its own highlights.
"""
from __future__ import annotations

from textual.app import App

from engine.views import dataplane
from engine.views import panes as views
from tui.messages import Viewpoint
from tui.panes import DnsPane, EndpointsPane, PodsPane, ProxyPane, ServicesPane
from tui.widgets.resource_table import ResourceTable

#: The tables a selection is made in.
SOURCES = ("services-table", "pods-table")


class Selection:
    """The selection's links, rendered on the app's panes."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.source: str | None = None  # the table the selection came from
        self.pinned = False  # a flow step's highlights stand until the user acts
        self._marks_unfound: object | None = None  # rule lines the marks were not found in yet
        self._version: object = None

    def version(self, view: Viewpoint, dns: object, proxy: object) -> tuple:
        """What the links depend on: the objects, not the clock or the filter."""
        kv = view.cluster.store.kind_version
        return (view.cluster, kv("Pod"), kv("Service"), kv("Endpoints"), kv("EndpointSlice"), dns, proxy,
                view.namespace)

    def follow(self, view: Viewpoint, version: tuple) -> bool:
        """Update the links when what they depend on moved; True when they were updated."""
        if version == self._version:
            return False
        self.update(view)
        self._version = version
        return True

    def selected(self, table_id: str) -> tuple[str, str] | None:
        """(namespace, name) of the row selected in a table."""
        key = self.app.query_one(f"#{table_id}", ResourceTable).selected_key
        return tuple(key.split("/", 1)) if key else None  # type: ignore[return-value]

    def update(self, view: Viewpoint, source: str | None = None) -> None:
        """Light what belongs to the selected row (of `source`, else of the focused table,
        else of the last table a selection came from)."""
        if self.pinned:
            return
        focused = self.app.focused
        # With nothing focused (a blurred app: `svcflow web` starts so), the last selection
        # still stands and follows the cluster.
        source = source or (focused.id if focused is not None else self.source)
        if source not in SOURCES:
            return
        self.source = source
        c = view.cluster
        links = views.Links()
        sel = self.selected(source)
        if sel:
            ns, name = sel
            if source == "services-table":
                links = views.links_for_service(c, ns, name)
                links.chains |= dataplane.chains_for_service(c, view.node, view.mode, ns, name)
            else:
                links = views.links_for_pod(c, ns, name)
                links.chains |= dataplane.chains_for_pod(c, view.node, view.mode, ns, name)
        q = self.app.query_one
        for pane, keys in ((q(PodsPane), links.pods), (q(ServicesPane), links.services),
                           (q(EndpointsPane), links.endpoints)):
            t = pane.table
            t.highlight = set() if t.id == source else keys
            t.refresh_styles()
        q(DnsPane).light_names(links.dns_names, scroll=True)
        self._mark_chains(q(ProxyPane), links.chains)
        q(ServicesPane).border_subtitle = "; ".join(links.explanation) if source == "services-table" else ""

    def _mark_chains(self, proxy: ProxyPane, chains: set[str]) -> None:
        """Scrolled to the selection's rules when the selection changes (or its rules were
        not there yet), not on every sync: the user may have scrolled away since."""
        view = proxy.view
        pending = self._marks_unfound
        if set(chains) != view.marks or (pending is not None and pending is not view.lines):
            view.set_marks(chains)
            first = view.first_marked_line()
            self._marks_unfound = view.lines if first is None and chains else None
            if first is not None and chains:
                view.call_after_refresh(view.scroll_to, y=max(0, first - 2), animate=False)
