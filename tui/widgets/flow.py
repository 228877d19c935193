"""The flow strip: the four components of the Service flow, who watches what, and the
step being played, with a one-line caption taken from the engine's event.

The step names are Kubernetes' own components (kept as they are in every language); the
caption's fixed words go through the app's translator (`tui.i18n`), its values (names,
IPs, the engine's event detail) never do."""
from __future__ import annotations

import re

from rich.cells import cell_len
from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from engine.cluster.events import FlowEvent
from tui.widgets.box_text import fit

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
    short_caption: reactive[str] = reactive("")  # without the controller's name, for a narrow row
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
        # one row for the caption: shortened to end whole (it wrapped onto a row the strip
        # does not have, and lost its end: `serves 2.2.244.10.in-addr.arpa ->`)
        width = self.size.width or 10**6  # (the content's width: the padding is outside it)
        caption = fit_caption(self.caption, width, self.short_caption) if self.caption else ""
        t.append(caption or tr("waiting for a Service change…"), style="italic" if self.caption else "grey50")
        return t

    def show(self, ev: FlowEvent | None, queued: int = 0) -> None:
        self.queued = queued
        if ev is None:
            self.step = 0
            self.caption = ""
            return
        self.step = ev.step or 0
        self.caption = caption_for(ev, self._tr())
        self.short_caption = caption_for(ev, self._tr(), short=True)


def caption_for(ev: FlowEvent, tr=None, short: bool = False) -> str:
    """A learner's sentence for a flow event (the data comes from the engine; `tr` the
    talk's language for the words around it). `short`: without the component's or the
    controller's name, which the strip's lit box already says (for a row too narrow)."""
    tr = tr or (lambda s: s)
    svc = f"{ev.namespace}/{ev.name}" if ev.namespace else ev.name
    if ev.step == 1 and ev.verb == "added":  # attached: the watch saw the Service; nothing was collected by svcflow
        return tr("① {controller}: Service {svc} added (created {created})").format(
            controller=ev.controller, svc=svc, created=ev.data.get("created") or "?")
    if ev.step == 1:
        ips = ev.data.get("ready") or []
        return tr("① Service {svc} selects pods {ips}" if short else "① {controller}: Service {svc} selects pods {ips}").format(
            controller=ev.controller, svc=svc, ips=", ".join(ips) if ips else tr("— none ready"))
    if ev.step == 2:
        return tr("② wrote {kind} {name}: {detail}" if short else "② {controller} wrote {kind} {name}: {detail}").format(
            controller=ev.controller, kind=ev.kind, name=ev.name, detail=ev.detail)
    if ev.step == 3:
        node = ev.data.get("node", "?")
        return tr("③ {node} ({mode}): {detail}" if short else "③ kube-proxy on {node} ({mode}): {detail}").format(
            node=node, mode=ev.data.get("mode", ""), detail=ev.detail.removeprefix(node + ": "))
    if ev.step == 4:
        return f"④ CoreDNS: {ev.detail}"
    if ev.verb == "connect":
        return tr("⇢ traffic {detail}").format(detail=ev.detail)
    if ev.verb == "lookup" and ev.controller == "coredns":
        return tr("⇢ lookup {detail}").format(detail=ev.detail)
    return ev.line()


_MORE = re.compile(r" \(\+(\d+) more\)$")
_IP = r"\d{1,3}(?:\.\d{1,3}){3}"
_IP_LIST = re.compile(rf"{_IP}(?:,\s?{_IP})+")


def fit_caption(text: str, width: int, short: str = "") -> str:
    """A caption in one row of `width` cells that ends whole: records (`serves A -> B; serves
    C -> D`) kept whole, those that do not fit counted (`(+1 more)`), lists of addresses cut
    to their first ones and a count; then the same with `short` (the caption without the
    controller's name: the strip's lit box says it); cut with `…` only when none of that is
    enough. Every record shown keeps its target (`-> 10.244.0.2`)."""
    for candidate in (text, short):
        for shorten in (None, _fewer_records, _fewer_ips):
            if candidate and shorten is not None:
                candidate = shorten(candidate, width)
            if candidate and cell_len(candidate) <= width:
                return candidate
    return fit(short or text, width)


def _fewer_records(text: str, width: int) -> str:
    """`head: r1; r2; r3 (+1 more)` -> the records that fit, in order, and how many more
    (not even one: the shortest)."""
    head, sep, body = text.partition(": ")
    if not sep or "; " not in body:
        return text
    m = _MORE.search(body)
    more = int(m[1]) if m else 0
    records = (body[: m.start()] if m else body).split("; ")
    kept: list[str] = []
    for record in records:
        others = len(records) - len(kept) - 1 + more  # (at most: the rest counted)
        line = f"{head}: {'; '.join(kept + [record])}" + (f" (+{others} more)" if others else "")
        if cell_len(line) <= width:
            kept.append(record)
    if not kept:
        kept = [min(records, key=cell_len)]
    dropped = len(records) - len(kept) + more
    return f"{head}: {'; '.join(kept)}" + (f" (+{dropped} more)" if dropped else "")


def _fewer_ips(text: str, width: int) -> str:
    """Each list of addresses (`10.244.1.2, 10.244.1.3, ...`) cut to its first ones and a
    count (`10.244.1.2, +3 more`; none: `4 IPs`), as few as the row needs."""
    lists = list(_IP_LIST.finditer(text))
    if not lists:
        return text
    out = text
    for keep in range(max(len(re.findall(_IP, m[0])) for m in lists) - 1, -1, -1):
        def cut(m: re.Match) -> str:
            ips = re.findall(_IP, m[0])
            sep = ", " if ", " in m[0] else ","
            if len(ips) <= keep:
                return m[0]
            return sep.join(ips[:keep]) + f"{sep}+{len(ips) - keep} more" if keep else f"{len(ips)} IPs"
        out = _IP_LIST.sub(cut, text)
        if cell_len(out) <= width:
            break
    return out
