"""The dashboard's chrome around the panes: the cluster header, the error bar, the
status line and the footer. Each shows what it is given, literally (a file or object name
with `[bold]` or an escape sequence is printed as written, never rendered)."""
from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Footer, Static
from textual.widgets._footer import FooterKey

from engine.cluster.cluster import Cluster
from engine.views.panes import not_ready_nodes
from tui.safe_text import literal

#: Below this many columns the header is one abbreviated line (it never wraps).
WIDE_HEADER = 150
#: Nodes the header lists by name; a bigger cluster's are counted.
HEADER_NODES = 4


class ClusterHeader(Static):
    """Cluster, nodes, subnets, proxy mode, namespace and clock."""

    def show(self, cluster: Cluster, namespace: str | None, *, speed: float, paused: bool,
             api: str | None = None, api_short: str | None = None) -> None:
        """Wide screens get two lines with every node's address; below WIDE_HEADER columns
        it is one line, nodes counted rather than listed, cut with `…` rather than wrapped
        (a projector's 100 columns must not lose three rows to it). There the served API is
        `api :PORT` right after the cluster's name, where the cut cannot reach it; the
        kubeconfig's path is in the help and the terminal pane."""
        c = cluster
        t = c.topology
        tr = getattr(self.app, "tr", lambda s: s)
        speed_ = "" if speed == 1 else f" · {tr('speed')} ×{speed:g}"
        paused_ = f" · {tr('flow paused')}" if paused else ""
        ns = namespace or tr("all namespaces")
        head = Text(no_wrap=True, overflow="ellipsis")
        if self.app.size.width < WIDE_HEADER:
            head.append(t.name, style="bold")
            if api_short:
                head.append(f" · {api_short}")
            head.append(f" · {len(t.nodes)} {tr('nodes')}")
            down = not_ready_nodes(c)
            if down:
                head.append(f" ({len(down)} NotReady)", style="bold red")
            head.append(" · ")
            for label, value in (("pods", t.pod_subnet), ("svc", t.service_subnet), ("proxy", t.proxy.mode),
                                 ("ns", ns)):
                head.append(f"{tr(label)} ", style="bold")
                head.append(value + " · ")
            head.append(f"{c.now().strftime('%H:%M:%S')}{speed_}{paused_}")
            self.update(head)
            return
        shown = t.nodes if len(t.nodes) <= HEADER_NODES else t.nodes[:HEADER_NODES - 1]
        down = set(not_ready_nodes(c))
        nodes = ", ".join(f"{n.name} {n.ip} ({n.pod_cidr})" + (" NotReady" if n.name in down else "") for n in shown)
        if len(shown) < len(t.nodes):  # 100 nodes would push the panes off the screen
            nodes += f" and {len(t.nodes) - len(shown)} more ({len(t.nodes)} nodes; n shows the next in kube-proxy)"
        for label, value, sep in (("cluster", t.name, " · "), ("nodes", nodes, "\n"), ("pods", t.pod_subnet, " · "),
                                  ("services", t.service_subnet, " · "), ("proxy", t.proxy.mode, " · "),
                                  ("ns", ns, " · ")):
            head.append(f"{tr(label)} ", style="bold")
            head.append(value + sep)
        head.append(f"{c.now().strftime('%H:%M:%S')}{speed_}{paused_}")
        if api:
            head.append(f" · {api}")
        self.update(head)


#: Rows the error bar may take on a projector's screen (below SMALL_SCREEN rows) and on a
#: larger one: the panes keep the rest; what does not fit is one key away (`ERRORS_KEY`).
ERROR_ROWS_SMALL, ERROR_ROWS = 4, 6
SMALL_SCREEN = 40
#: The key that shows every error and warning (the app binds it to `show_errors`).
ERRORS_KEY = "f1"


class ErrorBar(Static):
    """kubectl's messages, then svcflow's warnings; hidden when there are none.

    Whole messages only, wrapped, in at most ERROR_ROWS rows (ERROR_ROWS_SMALL on a
    projector's 30): the messages that do not fit are counted on a last line that names the
    key showing them all. Six RBAC refusals used to fill the bar and be cut mid-sentence,
    the lines that mattered never shown."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.messages: list[tuple[str, str]] = []  # (message, style), every one (`show_errors` lists them)

    def show(self, errors: list[str], warnings: list[str] | None = None) -> None:
        self.messages = [(e, "") for e in errors] + [(w, "yellow") for w in warnings or []]
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        tr = getattr(self.app, "tr", lambda s: s)
        width = max(20, self.app.size.width - 2)  # (the bar spans the screen, padding 0 1)
        budget = ERROR_ROWS_SMALL if self.app.size.height < SMALL_SCREEN else ERROR_ROWS
        shown: list[Text] = []
        used = 0
        for i, (msg, style) in enumerate(self.messages):
            line = literal(msg, style)
            rows = len(line.wrap(self.app.console, width))  # (the rows it takes, wrapped as shown)
            more = 1 if i < len(self.messages) - 1 else 0  # a row for the "+K more" line
            if shown and used + rows + more > budget:
                break
            shown.append(line)
            used += rows
        hidden = len(self.messages) - len(shown)
        if hidden:
            shown.append(Text(tr("+{n} more ({key} shows them all)").format(n=hidden, key=ERRORS_KEY),
                              style="bold"))
        text = Text("\n").join(shown)
        self.update(text)
        self.set_class(bool(self.messages), "-visible")

    def all_lines(self, width: int) -> list[str]:
        """Every message wrapped to `width` cells, a blank line between two, for the
        screen `ERRORS_KEY` opens (its view scrolls down, not sideways)."""
        out: list[str] = []
        for msg, style in self.messages:
            if out:
                out.append("")
            out.extend(line.plain for line in literal(msg, style).wrap(self.app.console, max(20, width)))
        return out


class StatusLine(Static):
    """One line: a command's first line of output, completions, progress."""

    def say(self, text: str) -> None:
        self.update(literal(text))  # literally: output may hold `[`


class FittedFooter(Footer):
    """Textual's footer, showing only the keys that fit whole beside the palette's key.

    The footer lays its keys in one row and docks `^p palette` over its right end: at 100
    columns the key under it was cut (`: Comman▏^p palette`), and a Korean description cut
    in the middle of a wide letter shifted the rest of the row in SVG screenshots
    (`^pp alette`). The keys left out still work; `?` lists them all."""

    def compose(self) -> ComposeResult:
        items = list(super().compose())
        keys = [w for w in items if isinstance(w, FooterKey) and not w.has_class("-command-palette")]
        if len(keys) + 1 < len(items) or not keys:  # (grouped keys: Textual's own layout, as is)
            yield from items
            return
        palette = [w for w in items if w.has_class("-command-palette")]
        # the palette's key: its left border, its right padding
        # (the palette's key is compact; the others are as the footer, once mounted)
        room = (self.app.size.width or 10**6) - sum(_key_cells(w, compact=True) + 2 for w in palette)
        used = 0
        for key in keys:
            used += _key_cells(key, compact=self.compact)
            if used - 1 > room:  # (the last key's trailing space may lie under the palette's border)
                break
            yield key
        yield from palette

    def on_resize(self) -> None:
        self.call_after_refresh(self.recompose)


def _key_cells(key: FooterKey, compact: bool) -> int:
    """The cells a footer key takes: ` KEY ` then `DESCRIPTION `, or compact (the palette's
    key) `KEY` then ` DESCRIPTION` (`FooterKey`'s paddings)."""
    if not key.description:
        return cell_len(key.key_display)
    return cell_len(key.key_display) + cell_len(key.description) + (1 if compact else 3)
