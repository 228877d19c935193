"""The dashboard's chrome around the panes: the cluster header, the error bar and the
status line. Each shows what it is given, literally (a file or object name with `[bold]`
or an escape sequence is printed as written, never rendered)."""
from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from engine.cluster.cluster import Cluster
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
            head.append(f" · {len(t.nodes)} {tr('nodes')} · ")
            for label, value in (("pods", t.pod_subnet), ("svc", t.service_subnet), ("proxy", t.proxy.mode),
                                 ("ns", ns)):
                head.append(f"{tr(label)} ", style="bold")
                head.append(value + " · ")
            head.append(f"{c.now().strftime('%H:%M:%S')}{speed_}{paused_}")
            self.update(head)
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
        head.append(f"{c.now().strftime('%H:%M:%S')}{speed_}{paused_}")
        if api:
            head.append(f" · {api}")
        self.update(head)


class ErrorBar(Static):
    """kubectl's messages, then svcflow's warnings; hidden when there are none."""

    def show(self, errors: list[str], warnings: list[str] | None = None) -> None:
        text = Text()
        lines = [(e, "") for e in errors] + [(w, "yellow") for w in warnings or []]
        for i, (msg, style) in enumerate(lines):
            if i:
                text.append("\n")
            text.append_text(literal(msg, style))
        self.update(text)
        self.set_class(bool(lines), "-visible")


class StatusLine(Static):
    """One line: a command's first line of output, completions, progress."""

    def say(self, text: str) -> None:
        self.update(literal(text))  # literally: output may hold `[`
