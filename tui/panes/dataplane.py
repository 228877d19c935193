"""The panes of the data plane: kube-proxy's rules on one node, CoreDNS's records.

Both only render what `engine.views` computes: the rule lines of the node and mode
shown, the records of the namespace shown, whether anyone serves them, and the
lookups made since the last look.
"""
from __future__ import annotations

import re
import time

from rich.cells import cell_len
from rich.text import Text

from engine.cluster.cluster import Cluster
from engine.views import dataplane
from engine.views import panes as views
from tui.messages import ClusterChanged
from tui.panes.base import Pane
from tui.timers import call_after
from tui.widgets.resource_table import ResourceTable
from tui.widgets.text_view import TextView, iptables_highlighter
from tui.widgets.wrapping_log import WrappingLog


def _tr(widget) -> object:
    return getattr(widget.app, "tr", lambda s: s)


def down_subtitle(reason: str, failure: str, width: int) -> str:
    """The CoreDNS pane's subtitle when nobody serves: why, then how lookups fail. When that
    is wider than the border (`kube-dns has no ready endpoints (no CoreDNS pod is ready) ·
    lookups are refused` in a 160-column grid), the reason's closing parenthesis, which only
    says it again, is left out; in a narrower pane still, how lookups fail too (the reason
    is what a speaker acts on; the pane's tooltip keeps the whole line)."""
    short = re.sub(r" [(][^()]*[)]$", "", reason)
    for line in (f"{reason} · {failure}", f"{short} · {failure}"):
        if width <= 0 or cell_len(line) <= width:
            return line
    return short


def _computed(widget) -> str:
    """Attached to a real cluster, rules and records are computed from its objects (svcflow
    cannot read a node's iptables or ask its CoreDNS): the title says so."""
    return f" · {_tr(widget)('computed')}" if getattr(widget.app, "read_only", False) else ""


def _preview(cluster: Cluster, mode: str, tr) -> str:
    """`m` shows the rules another mode would write for the same Services and slices; the
    cluster's kube-proxy runs one mode (its KubeProxyConfiguration's), the one the header,
    the flow diagram and `trace` use. The title says which is which rather than pass a
    preview off as the node's rules."""
    running = cluster.topology.proxy.mode
    return "" if mode == running else " · " + tr("preview: the cluster runs {mode}").format(mode=running)


def _stopped(cluster: Cluster, node: str, tr) -> str:
    """No kube-proxy runs on the node (its DaemonSet or pod deleted): the rules shown are the
    ones it left, which nothing updates (engine.proxy.controller)."""
    kp = getattr(cluster, "kube_proxy", None)
    return " · " + tr("kube-proxy not running: its last rules") if kp is not None and node in kp.stopped else ""


#: A `/` filter over more of a node's rules than this reads them a slice at a time
#: (ProxyPane._grep): GREP_SLICE_SECONDS each, GREP_STEP rules between looks at the clock,
#: GREP_GAP between slices (keys and repaints go first).
GREP_AT_ONCE = 20_000
GREP_SLICE_SECONDS = 0.03
GREP_STEP = 1_000
GREP_GAP = 0.001


class ProxyPane(Pane):
    """`iptables-save` (or ipvsadm, nft) of the node shown, in the mode shown."""

    TITLE = "kube-proxy"

    def __init__(self) -> None:
        self.view = TextView(iptables_highlighter, id="proxy-view")
        self._grep_token: object = None  # the running grep's (ProxyPane._grep)
        super().__init__(self.view, id="proxy")

    def version(self, event: ClusterChanged) -> object:
        c = event.cluster
        node, mode = event.view.node, event.view.mode
        kp = getattr(c, "kube_proxy", None)
        # (the rules' own token, and kube-proxy's clock: the save form's timestamp lines)
        return (node, mode, kp.rules_token(node, mode) if kp is not None else c.store.resource_version,
                kp.save_timestamp() if kp is not None else None, kp is not None and node in kp.stopped,
                event.view.pattern)

    def redraw(self, event: ClusterChanged) -> None:
        self.show_rules(event.cluster, event.view.node, event.view.mode, event.view.pattern)

    def show_rules(self, cluster: Cluster, node: str, mode: str, pattern: re.Pattern | None = None) -> None:
        """The node's rules now (the flow's step 3 shows them before it marks the chains);
        with a `/` filter, the lines it finds, as `iptables-save | grep` would show them.
        Over more than GREP_AT_ONCE rules the filter reads them a slice at a time, the
        dashboard answering keys in between and the lines found so far shown (`_grep`)."""
        lines = views.proxy_lines(cluster, node, mode)
        self._grep_token = token = object()  # (a grep still running for an older redraw stops)
        if pattern is None or len(lines) <= GREP_AT_ONCE:
            found = lines if pattern is None else [line for line in lines if pattern.search(line)]
            self._show(cluster, node, mode, found, len(lines), pattern)
            return
        self._grep(cluster, node, mode, lines, pattern, token, [], 0)

    def _grep(self, cluster: Cluster, node: str, mode: str, lines, pattern: re.Pattern, token: object,
              found: list[str], start: int) -> None:
        """Grep the rules from `start` for GREP_SLICE_SECONDS, show what was found, and carry
        on in a later turn of the loop until the end (each rule is normalized the first
        time it is read: at 10,000 Services a node's 470,000 rules took seconds, and the
        screen froze for all of them)."""
        if self._grep_token is not token or not self.is_attached:
            return
        total = len(lines)
        deadline = time.perf_counter() + GREP_SLICE_SECONDS
        i = start
        while i < total:  # (one step at least, whatever the clock says)
            end = min(total, i + GREP_STEP)
            found.extend(line for line in lines[i:end] if pattern.search(line))
            i = end
            if time.perf_counter() >= deadline:
                break
        self._show(cluster, node, mode, found, total, pattern, searched=i)
        if i < total:
            call_after(self, GREP_GAP, lambda: self._grep(cluster, node, mode, lines, pattern, token, found, i))

    def _show(self, cluster: Cluster, node: str, mode: str, lines, total: int, pattern: re.Pattern | None,
              searched: int | None = None) -> None:
        """The lines in the view and the title counting them (`searched`: how many of the
        `total` rules a filter still reading them has read)."""
        view = self.view
        fresh = not view.lines
        view.set_lines(lines)
        if fresh:  # start where the Service rules are: the nat table
            nat = view.first_line_starting("*nat") or view.first_line_starting("table") or 0
            view.call_after_refresh(view.scroll_to, y=nat, animate=False)
        tr = _tr(self)
        shown = node or tr("no node")  # (attached, with no Node readable and no pod naming one)
        count = f"{len(lines)}/{total}" if pattern is not None else f"{total}"
        if searched is not None and searched < total:
            count += f" {tr('lines')} · " + tr("searching {percent}%").format(percent=100 * searched // total)
        else:
            count += f" {tr('lines')}"
        self.border_title = Text(f"kube-proxy · {shown} · {mode} ({count})"  # names literally
                                 + _computed(self) + _preview(cluster, mode, tr) + _stopped(cluster, node, tr))

    def mark(self, chains: set[str], *, above: int) -> None:
        """Mark these chains and scroll to the first, `above` lines under the top."""
        self.view.set_marks(chains)
        first = self.view.first_marked_line()
        if first is not None:
            self.view.call_after_refresh(self.view.scroll_to, y=max(0, first - above), animate=False)


class DnsPane(Pane):
    """CoreDNS's records (the `kubernetes` plugin's view), the lookups made, and whether
    any CoreDNS pod serves them."""

    TITLE = "CoreDNS"

    def __init__(self) -> None:
        self.table = ResourceTable(("NAME", "TYPE", "VALUE"), id="dns-table", sort_by_name=False,
                                   drop_order=("TYPE",), compact=views.dns_line, compact_label="NAME → VALUE")
        self.queries = WrappingLog(id="dns-log", max_lines=200, markup=False, wrap=True)
        super().__init__(self.table, self.queries, id="dns")
        self.down: tuple[str, str] | None = None  # (reason, how lookups fail) while nobody serves

    def version(self, event: ClusterChanged) -> object:
        c = event.cluster
        return (views.dns_version(c, event.view.namespace) or c.store.resource_version, event.view.pattern)

    def redraw(self, event: ClusterChanged) -> None:
        rows = views.dns_rows(event.cluster, event.view.namespace)
        self.table.sync(views.filter_rows(rows, event.view.pattern), flash=event.flash)

    def show_serving(self, cluster: Cluster) -> None:
        """Whether anyone serves the records: with no ready CoreDNS pod behind kube-dns
        (scaled to 0, deleted, selector broken) every lookup is refused, with the Service
        gone it times out; the pane turns red and says why and how."""
        ws = self.app.workspace
        connected = getattr(ws, "connected", True)  # (attached: nothing read yet says nothing of CoreDNS)
        serving = views.dns_serving(cluster) if connected else None
        down = serving is not None and not serving.ok
        self.set_class(down, "-down")
        tr = _tr(self)
        title = Text("CoreDNS" + _computed(self))
        if serving is not None:
            title.append(" · " + (tr("NOT SERVING") if down else f"{serving.ready} {tr('ready')}"),
                         style="bold red" if down else "")
        self.border_title = title
        self.down = (serving.reason, tr(serving.failure)) if down else None
        self.tooltip = serving.line() if down else None
        self.show_subtitle()

    def on_resize(self) -> None:
        self.show_subtitle()

    def show_subtitle(self) -> None:
        """Why nobody serves, fitted to the border (`down_subtitle`)."""
        # (the border's corners and the spaces around the subtitle take 4 cells)
        self.border_subtitle = Text(down_subtitle(*self.down, self.size.width - 4)) if self.down else ""

    def read_queries(self, cluster: Cluster) -> None:
        """The lookups made since the last look (they change nothing in the store: read on
        every refresh, not only when the store moved)."""
        for line in dataplane.take_dns_queries(cluster):
            self.queries.write(line)

    def light_names(self, names: set[str], *, scroll: bool = False) -> None:
        """Light the records of these names; scrolled to the first when `scroll` and the
        lit records changed (once per selection, not on every change)."""
        lit = self.table.keys_named(names)
        if scroll:
            if lit == self.table.highlight:
                return
            self.table.highlight = lit
            self.table.refresh_styles()
            if lit:
                first = min(self.table.get_row_index(k) for k in lit)
                self.table.scroll_to(y=max(0, first - 1), animate=False)
            return
        self.table.highlight = lit
