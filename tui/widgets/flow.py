"""The flow strip: the four components of the Service flow, who watches what, and the
step being played, with a one-line caption taken from the engine's event.

The step names are Kubernetes' own components (kept as they are in every language); the
caption's fixed words go through the app's translator (`tui.i18n`), its values (names,
IPs, the engine's event detail) never do."""
from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from engine.cluster.events import FlowEvent

STEPS = (
    (1, "Endpoint controller", "watches Services+Pods, collects pod IPs"),
    (2, "Endpoints/Slice", "written by the controller"),
    (3, "kube-proxy", "watches Services+EndpointSlices, programs rules"),
    (4, "CoreDNS", "watches Services+EndpointSlices, serves names"),
)


class FlowStrip(Static):
    """One line of four boxes with the active one lit, and a caption line."""

    DEFAULT_CSS = """
    FlowStrip { height: 2; padding: 0 1; }
    """

    step: reactive[int] = reactive(0)
    caption: reactive[str] = reactive("")
    queued: reactive[int] = reactive(0)

    def _tr(self):
        return getattr(self.app, "tr", None) or (lambda s: s)

    def render(self) -> Text:
        tr = self._tr()
        t = Text()
        for i, (n, name, _) in enumerate(STEPS):
            if i:
                t.append(" → ", style="grey50")
            style = "bold black on bright_green" if n == self.step else (
                "green" if self.step and n < self.step else "grey70")
            t.append(f" {n} {tr(name)} ", style=style)
        if self.queued:
            t.append("  " + tr("(+{n} queued)").format(n=self.queued), style="grey50")
        t.append("\n")
        t.append(self.caption or tr("waiting for a Service change…"), style="italic" if self.caption else "grey50")
        return t

    def show(self, ev: FlowEvent | None, queued: int = 0) -> None:
        self.queued = queued
        if ev is None:
            self.step = 0
            self.caption = ""
            return
        self.step = ev.step or 0
        self.caption = caption_for(ev, self._tr())


def caption_for(ev: FlowEvent, tr=None) -> str:
    """A learner's sentence for a flow event (the data comes from the engine; `tr` the
    talk's language for the words around it)."""
    tr = tr or (lambda s: s)
    svc = f"{ev.namespace}/{ev.name}" if ev.namespace else ev.name
    if ev.step == 1 and ev.verb == "added":  # attached: the watch saw the Service; nothing was collected by svcflow
        return tr("① {controller}: Service {svc} added (created {created})").format(
            controller=ev.controller, svc=svc, created=ev.data.get("created") or "?")
    if ev.step == 1:
        ips = ev.data.get("ready") or []
        return tr("① {controller}: Service {svc} selects pods {ips}").format(
            controller=ev.controller, svc=svc, ips=", ".join(ips) if ips else tr("— none ready"))
    if ev.step == 2:
        return tr("② {controller} wrote {kind} {name}: {detail}").format(controller=ev.controller, kind=ev.kind,
                                                                         name=ev.name, detail=ev.detail)
    if ev.step == 3:
        node = ev.data.get("node", "?")
        return tr("③ kube-proxy on {node} ({mode}): {detail}").format(node=node, mode=ev.data.get("mode", ""),
                                                                       detail=ev.detail.removeprefix(node + ": "))
    if ev.step == 4:
        return f"④ CoreDNS: {ev.detail}"
    if ev.verb == "connect":
        return tr("⇢ traffic {detail}").format(detail=ev.detail)
    if ev.verb == "lookup" and ev.controller == "coredns":
        return tr("⇢ lookup {detail}").format(detail=ev.detail)
    return ev.line()
