"""The flow diagram: the tutorial's figure, drawn live from the cluster's own events.

    Service ──watch──▶ ① Endpoint controller ──write──▶ ② Endpoints / EndpointSlice
                                                              │ watch
                      ③ kube-proxy on each node ◀─────────────┤──────▶ ④ CoreDNS
                      the node's iptables / ipvs / nftables

`engine.views.flowstory` groups the interleaved events into stories (one change of one Service,
or one connection); this view plays a story one beat at a time, lighting the box the beat
is about and writing its values on the arrow that carried them. It is a full-screen
`FlowDiagramView` layered over the dashboard's panes, opened and closed with one key (`v`), and the
tour's `focus: flow`.

Its player is its own (the dashboard's strip keeps the raw events): `space` pauses,
`[` / `]` step one beat back / forward (across stories), `r` replays the current story,
`+` / `-` change the app's speed, `end` jumps to live, `escape` or `v` closes.
Never behind the panes: the panes under it always show the cluster now, so the title
says how far live is ahead of the beat on screen ("live: 2 changes ahead"), or that the
beat is the latest.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from rich.cells import cell_len, get_character_cell_size
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widget import Widget

from engine.cluster.events import STEP_COLLECT, STEP_DNS, STEP_ENDPOINTS, STEP_PROXY
from engine.views.flowstory import (
    TRAFFIC_ANSWER,
    TRAFFIC_CLUSTERIP,
    TRAFFIC_DNAT,
    TRAFFIC_POD,
    TRAFFIC_QUERY,
    Beat,
    ServiceStory,
    Story,
    StoryBook,
    TrafficStory,
)
from tui.i18n import translate_bindings
from tui.panes import FOCUS_WIDGET
from tui.widgets.box_text import (
    as_is,
    fill,
    fit,
    ip_count,
    pack,
    rows_needed,
    service_address,
    service_ports,
    wrap,
)

BEAT_SECONDS = 1.2  # per beat at speed 1: time to read a caption aloud
POLL_SECONDS = 0.25
#: Rows a row of boxes may grow by, when the screen has them, so that a long value (a
#: Service's ports, many pod IPs, a long EndpointSlice name) wraps inside its box: on a
#: projector's 30 rows, and from TALL_SCREEN rows up.
GROWTH, TALL_GROWTH = 2, 4
TALL_SCREEN = 40

# Styles chosen for projectors: lit = yellow on black, done = green, waiting = light grey.
LIT, DONE, IDLE = "bold yellow", "green", "grey62"
LIT_TITLE = "bold black on yellow"
DONE_TITLE = "bold black on green"


# -- a character canvas ---------------------------------------------------------------------

class Canvas:
    """A width x height grid of styled characters; boxes and arrows are drawn into it and
    clipped to it, so nothing ever wraps or scrolls sideways.

    A wide character (Hangul takes two cells) fills its cell and the next, which holds
    "" so each row still spans exactly `width` cells; overwriting either half of one
    blanks the other half, never shifting the row."""

    def __init__(self, width: int, height: int) -> None:
        self.w, self.h = max(1, width), max(1, height)
        self.chars = [[" "] * self.w for _ in range(self.h)]
        self.styles: list[list[str]] = [[""] * self.w for _ in range(self.h)]

    def put(self, x: int, y: int, text: str, style: str = "") -> None:
        if not 0 <= y < self.h:
            return
        row, styles = self.chars[y], self.styles[y]
        for ch in text:
            cw = get_character_cell_size(ch) if not ch.isascii() else 1
            if cw == 0:
                continue
            if 0 <= x < self.w:
                if cw == 2 and x + 1 >= self.w:
                    ch, cw = " ", 1  # half a wide character does not fit at the edge
                self._clear(row, x, cw)
                row[x], styles[x] = ch, style
                if cw == 2:
                    row[x + 1], styles[x + 1] = "", style
            x += cw

    def _clear(self, row: list[str], x: int, cw: int) -> None:
        """Blank the halves of wide characters the cells x..x+cw-1 cut in two."""
        if row[x] == "" and x > 0:
            row[x - 1] = " "
        end = x + cw - 1
        if end + 1 < self.w and row[end + 1] == "":
            row[end + 1] = " "

    def box(self, x: int, y: int, w: int, h: int, title: str, lines: list[tuple[str, str]], state: str) -> None:
        """A rounded box; `state` is lit, done or idle. `lines` are (text, style) pairs, wrapped
        onto the box's spare rows (`fill`) and cut only when even those run out."""
        if w < 4 or h < 2:
            return
        border = {"lit": LIT, "done": DONE}.get(state, IDLE)
        self.put(x, y, "╭" + "─" * (w - 2) + "╮", border)
        for row in range(1, h - 1):
            self.put(x, y + row, "│", border)
            self.put(x + 1, y + row, " " * (w - 2))
            self.put(x + w - 1, y + row, "│", border)
        self.put(x, y + h - 1, "╰" + "─" * (w - 2) + "╯", border)
        tstyle = {"lit": LIT_TITLE, "done": DONE_TITLE}.get(state, "bold " + IDLE)
        self.put(x + 1, y, " " + fit(title, w - 4) + " ", tstyle)
        for i, (text, style) in enumerate(fill(lines, w - 4, h - 2)):
            self.put(x + 2, y + 1 + i, text, style or ("bold" if state == "lit" else ""))

    def arrow_right(self, x: int, y: int, length: int, label: str, state: str) -> None:
        style = {"lit": LIT, "done": DONE}.get(state, IDLE)
        if length < 2:
            return
        self.put(x, y, "─" * (length - 1) + "▶", style)
        if label:
            lab = fit(label, length - 1)
            self.put(x + max(0, (length - 1 - cell_len(lab)) // 2), y - 1, lab, "bold " + style if state == "lit" else style)

    def insert_rows(self, y: int, n: int, marks: tuple[tuple[int, str, str], ...] = ()) -> None:
        """Open `n` empty rows at row `y`, pushing the rows under it down (the bottom `n`
        rows, empty, drop off); `marks` are (x, character, style) drawn on each new row, a
        line that runs through the gap."""
        if n <= 0 or not 0 <= y < self.h:
            return
        for _ in range(n):
            self.chars.insert(y, [" "] * self.w)
            self.styles.insert(y, [""] * self.w)
            for x, ch, style in marks:
                if 0 <= x < self.w:
                    self.chars[y][x], self.styles[y][x] = ch, style
        del self.chars[self.h:], self.styles[self.h:]

    def to_text(self) -> Text:
        out = Text(no_wrap=True, overflow="crop")
        for y in range(self.h):
            row, styles = self.chars[y], self.styles[y]
            start = 0
            for x in range(1, self.w + 1):
                if x == self.w or styles[x] != styles[start]:
                    out.append("".join(row[start:x]), styles[start] or None)
                    start = x
            if y < self.h - 1:
                out.append("\n")
        return out


# -- what one frame shows --------------------------------------------------------------------

@dataclass
class Scene:
    """Everything a frame needs, read once from the cluster and the player."""

    nodes: list[str]
    mode: str
    story: Story | None = None
    stopped: frozenset[str] = frozenset()  # nodes where no kube-proxy runs (its DaemonSet deleted)
    beat: int = 0  # index into story.beats()
    service_ip: str = ""  # the Service's ClusterIP (from the store)
    service_ports: tuple[str, ...] = ()  # its ports as `service_ports` names them
    service_type: str = ""
    title: str = ""  # what is told and where it is: `Service default/redis · 3/9 paused`
    title_tail: str = ""  # the title's end kept whole when the row is short (`· 3/9 paused`)
    label: str = ""  # the words before the title, dropped first when the row is short
    status: str = ""  # "live: 2 changes ahead" / "live: this is the latest step"
    keys: str = ""
    extra: dict = field(default_factory=dict)
    ahead: bool = False  # live is ahead of the beat on screen (the status is then marked)
    note: str = ""  # a key's answer, for a few seconds on the bottom rows (toasts are under the view)
    tr: Callable[[str], str] = as_is  # the talk's language (`tui.i18n.translator`)


def _state(beat_step: int, box_step: int) -> str:
    return "lit" if beat_step == box_step else "done" if beat_step > box_step else "idle"


def draw(scene: Scene, width: int, height: int) -> Text:
    """The figure for `scene`, in exactly width x height cells."""
    c = Canvas(width, height)
    W = c.w
    tr = scene.tr
    story = scene.story
    beats: list[Beat] = story.beats() if story else []
    beat = beats[min(scene.beat, len(beats) - 1)] if beats else None
    traffic = isinstance(story, TrafficStory)
    step = beat.step if beat and not traffic else 0
    tstep = beat.step if beat and traffic else 0

    # title and status
    head = _headline(scene, W)
    c.put(0, 0, head, "bold")
    if scene.status:
        st = fit(scene.status, max(10, W // 2))
        # on the title's row when both fit, else on the empty row under it (the status
        # written over the title's end cut `paused` to `pau` at 100 columns)
        row = 0 if cell_len(head) + 1 + cell_len(st) <= W else 1
        c.put(W - cell_len(st), row, st, "bold black on yellow" if scene.ahead else "bold green")

    top = 2
    gap = 12 if W >= 130 else 9
    sw = min(30, max(16, W // 4))  # the Service box: an IP and a few pods
    rest = W - sw - 2 * gap
    bw1 = max(12, rest * 9 // 20)
    x1 = sw + gap
    x2 = x1 + bw1 + gap
    bw2 = W - x2
    svc_story = story if isinstance(story, ServiceStory) else None
    ready, not_ready = svc_story.ips() if svc_story else ([], [])
    # a lookup on its own names no Service box: the name asked is CoreDNS's business
    name = svc_story.name if svc_story else (story.key.split("/")[-1] if traffic and story and not story.is_lookup
                                             else "")
    beside = _dns_beside(W, len(scene.nodes))
    # the Service's name in its box's title, or, too long for it, on the box's first line
    svc_title = f"Service {name}" if name else "Service"
    name_line = ""
    if cell_len(svc_title) > sw - 4:
        svc_title, name_line = "Service", name

    # The rows the boxes may grow by (a long value wraps inside its box rather than being
    # cut): what the screen has under the figure, the caption's own lines served first.
    caption = wrap(beat.text.render(tr), W) if beat is not None else []
    spare = max(0, height - _figure_rows(5, 5, beside))
    # the blank row above the caption and the trail of beats under it: given up, in that
    # order, only when a name or the Service's ports would otherwise be cut (a 60-character
    # Service name with four ports at 100x30)
    loose = 2
    cap_rows = max(2, min(len(caption), 2 + spare))
    spare -= cap_rows - 2
    growth = TALL_GROWTH if height >= TALL_SCREEN else GROWTH
    top_max = 3 + min(spare, growth)

    def top_lines(rows: int) -> tuple[list, list, list]:
        return (_service_lines(scene, svc_story, story, tstep, ready, not_ready, sw - 4, rows, name_line),
                _controller_lines(svc_story, step, ready, bw1 - 4, rows, tr),
                _endpoints_lines(svc_story, step, ready, bw2 - 4, rows, tr))

    svc_wants = _service_rows_wanted(scene, svc_story, story, not_ready, sw - 4, name_line)

    def top_need(lines: tuple[list, list, list]) -> int:
        return max(3, svc_wants, *(rows_needed(ls, w - 4) for ls, w in zip(lines, (sw, bw1, bw2))))

    boxes = top_lines(top_max)
    need = top_need(boxes)
    if need > top_max:  # (lists are counted to fit; only a whole name or port asks for more)
        for rows in range(top_max + 1, 3 + spare + loose + 1):
            boxes = top_lines(rows)
            need, top_max = top_need(boxes), rows
            if need <= rows:
                break
    top_rows = min(top_max, need)
    if top_rows < top_max:
        boxes = top_lines(top_rows)
    svc_lines, epc_lines, ep_lines = boxes
    box_h = top_rows + 2
    spare -= top_rows - 3
    if spare < 0:
        loose, spare = loose + spare, 0
    if len(caption) > cap_rows and loose > 0:  # (the caption's own lines, from the same two rows)
        more = min(loose, len(caption) - cap_rows)
        cap_rows, loose = cap_rows + more, loose - more

    # the Service and its pods
    svc_state = "done" if svc_story else ("lit" if tstep == TRAFFIC_POD else "idle")
    c.box(0, top, sw, box_h, svc_title, svc_lines, svc_state)

    # ① the Endpoint controller
    c.arrow_right(sw, top + 2, gap, _ips_label(ready, gap - 1, tr) if step == STEP_COLLECT else tr("watch"),
                  _state(step, STEP_COLLECT) if svc_story else "idle")
    c.box(x1, top, bw1, box_h, "① " + tr("Endpoint controller"), epc_lines, _state(step, STEP_COLLECT) if svc_story else "idle")

    # ② Endpoints / EndpointSlice
    c.arrow_right(x1 + bw1, top + 2, gap, _ips_label(ready, gap - 1, tr) if step == STEP_ENDPOINTS else tr("write"),
                  _state(step, STEP_ENDPOINTS) if svc_story else "idle")
    ep_title = "② Endpoints / EndpointSlice" if bw2 >= 31 else "② Endpoints / Slices"
    c.box(x2, top, bw2, box_h, ep_title, ep_lines, _state(step, STEP_ENDPOINTS) if svc_story else "idle")

    # kube-proxy's and CoreDNS's watch arrows down from ②
    proxy_state = _state(step, STEP_PROXY) if svc_story else ("lit" if tstep in (TRAFFIC_CLUSTERIP, TRAFFIC_DNAT) else "idle")
    dns_state = _state(step, STEP_DNS) if svc_story else ("lit" if tstep in (TRAFFIC_QUERY, TRAFFIC_ANSWER) else "idle")
    # the watch arrows are the control plane: a connection does not travel on them
    pstyle = {"lit": LIT, "done": DONE}.get(proxy_state, IDLE) if svc_story else IDLE
    dstyle = {"lit": LIT, "done": DONE}.get(dns_state, IDLE) if svc_story else IDLE
    dns_w = _dns_width(W)
    left_w = W - dns_w - 2 if beside else W - 3

    # ③ kube-proxy, one small box per node: what each says first, for the row's height
    syncs = {s.node: s for s in svc_story.node_syncs()} if svc_story else {}
    active_node = beat.node if beat else None
    order = list(syncs)
    shown, more = _nodes_shown(scene.nodes, active_node, left_w)
    slots = len(shown) + (1 if more else 0)
    nw = max(16, min(44, (left_w - 2 * (slots - 1)) // max(1, slots)))
    node_max = 3 + min(spare, growth)  # the rows a kube-proxy box may have
    node_boxes: list[tuple[str, str, list[tuple[str, str]]]] = []
    for node in shown:
        ns = syncs.get(node)
        if svc_story and ns is not None and step == STEP_PROXY:
            i, a = order.index(node), order.index(active_node) if active_node in order else -1
            state = "lit" if node == active_node else "done" if i < a else "idle"
        elif svc_story and ns is not None and step > STEP_PROXY:
            state = "done"
        else:
            state = "lit" if traffic and node == active_node and proxy_state == "lit" else "idle"
        lines: list[tuple[str, str]] = []
        if ns is not None and state != "idle":
            if ns.svc_chain and len(ns.sep_chains) + 2 <= node_max and \
                    all(cell_len(f"→ {sep}") <= nw - 4 for sep in ns.sep_chains):
                # (a tall screen names each endpoint's chain: the rules a `iptables-save` shows)
                lines = [(ns.svc_chain, "")] + [(f"→ {sep}", "") for sep in ns.sep_chains]
            elif ns.svc_chain:
                lines = [(ns.svc_chain, ""), (f"→ {len(ns.sep_chains)} × KUBE-SEP", "")]
            else:
                lines = [(ns.summary(tr), "")]
            lines.append((tr("{mode}: {n} rules").format(mode=ns.mode, n=ns.rules), ""))
        elif traffic and node == active_node and story is not None and state == "lit":
            lines = _traffic_node_lines(story, tstep)
        elif node in scene.stopped:  # (its rules stay as they were; nothing programs new ones)
            lines = [(tr("kube-proxy not running"), "bold red"), (f"{scene.mode}", IDLE)]
        else:
            lines = [("kube-proxy", IDLE), (f"{scene.mode}", IDLE)]
        node_boxes.append((node, state, lines))
    node_rows = max([3] + [rows_needed(lines, nw - 4) for _, _, lines in node_boxes])
    node_h = min(node_rows, node_max) + 2

    y_arrow = top + box_h
    down_x = x2 + 2
    y_row = y_arrow + 2
    c.put(down_x, y_arrow, "│", pstyle)
    c.put(down_x + 2, y_arrow, tr("watch"), pstyle)
    if beside:
        c.put(left_w // 2, y_arrow + 1, "◀" + "─" * max(0, down_x - left_w // 2 - 1) + "┴", pstyle)
        c.put(down_x + 1, y_arrow + 1, "─" * max(0, W - dns_w // 2 - down_x - 2) + "▶", dstyle)
        dns_box = (W - dns_w, y_row, dns_w, node_h + 1)
    else:  # CoreDNS under kube-proxy, fed by a line down the right edge
        c.put(left_w // 2, y_arrow + 1, "◀" + "─" * max(0, down_x - left_w // 2 - 1) + "┴", pstyle)
        c.put(down_x + 1, y_arrow + 1, "─" * max(0, W - down_x - 2) + "╮", dstyle)
        for yy in range(y_arrow + 2, y_row + node_h + 1):
            c.put(W - 1, yy, "│", dstyle)
        c.put(W - 1, y_row + node_h + 1, "▼", dstyle)
        dns_box = (0, y_row + node_h + 2, W, 4)

    x = 0
    for node, state, lines in node_boxes:
        c.box(x, y_row, nw, node_h, f"③ {node}" if nw >= 24 else node, lines, state)
        x += nw + 2
    if more:
        c.box(x, y_row, min(nw, left_w - x), node_h, tr("+{n} nodes").format(n=more),
              [(tr("kube-proxy on"), IDLE), (tr("every node"), IDLE)], "idle")

    # ④ CoreDNS and its record
    bx, by, bw_, bh = dns_box
    c.box(bx, by, bw_, bh, "④ CoreDNS", _dns_lines(scene, svc_story, story, tstep, step, bw_ - 4, wide=not beside, tr=tr,
                                                   rows=bh - 2), dns_state)

    # the caption: the beat in one sentence, values included
    y_cap = max(by + bh, y_row + node_h) + (1 if loose >= 2 else 0)  # under the lowest box
    if beat is not None:
        shown_cap = caption[:cap_rows]
        if len(caption) > cap_rows:  # (only when the screen has no row left for it)
            shown_cap[-1] = " ".join(caption[cap_rows - 1:])
        for i, line in enumerate(shown_cap):
            c.put(0, y_cap + i, fit(line, W), "bold")
        done = [b for b in beats[: scene.beat]]
        bottom = y_cap + cap_rows
        if loose >= 1:
            c.put(0, y_cap + cap_rows, fit(" → ".join(_short(b, tr) for b in done + [beat]), W), IDLE)
            bottom += 1
    else:
        c.put(0, y_cap, fit(tr("No Service change or connection yet: apply a manifest, scale, or curl a Service."), W), IDLE)
        bottom = y_cap + 1
    if height >= TALL_SCREEN:
        _spread(c, bottom, top=top, y_watch=y_arrow, x_watch=down_x, watch_style=pstyle, caption=y_cap)
    if scene.note:
        note = wrap(scene.note, W)[-2:]
        for i, line in enumerate(note):
            c.put(0, c.h - len(note) + i, fit(line, W).ljust(W), "bold black on yellow")
    return c.to_text()


def _spread(c: Canvas, bottom: int, *, top: int, y_watch: int, x_watch: int, watch_style: str,
            caption: int) -> None:
    """On a tall screen, give the rows the figure leaves empty to the gaps between its parts
    (under the title, the watch line down from ②, above the caption), so a projector shows
    one figure over the screen rather than a strip along its top. The last two rows stay
    free for a key's note."""
    free = c.h - bottom - 2
    if free <= 0:
        return
    cap_gap = min(3, free // 4)
    watch_gap = min(6, (free - cap_gap) // 2)
    top_gap = min(3, free - cap_gap - watch_gap)
    # (bottom-most first: each insertion leaves the rows above it where they were)
    c.insert_rows(caption, cap_gap)
    c.insert_rows(y_watch + 1, watch_gap, ((x_watch, "│", watch_style),))
    c.insert_rows(top, top_gap)


def _headline(scene: Scene, W: int) -> str:
    """The title row: `Service flow · Service default/redis · 3/9 paused`; too long for the
    row, the label goes first, then the middle of the Service's key -- never the step
    counter at its end (`· 10/…` told a room nothing)."""
    full = f"{scene.label} · {scene.title}" if scene.label else scene.title
    if cell_len(full) <= W:
        return full
    if cell_len(scene.title) <= W or not scene.title_tail or not scene.title.endswith(scene.title_tail):
        return fit(scene.title, W)
    tail = scene.title_tail
    return fit(scene.title[: -len(tail)], W - cell_len(tail)) + tail


def _dns_width(W: int) -> int:
    return min(max(30, W // 3), 56)


def _dns_beside(W: int, nodes: int) -> bool:
    """CoreDNS beside the kube-proxy boxes when each node's box still holds a whole
    KUBE-SVC name; else under them."""
    n = max(1, min(nodes, 4))
    return (W - _dns_width(W) - 2 - 2 * (n - 1)) // n >= 29


def _figure_rows(box_h: int, node_h: int, beside: bool) -> int:
    """The rows the figure takes, title to the beats' trail, with boxes of these heights
    and a two-line caption."""
    dns_rows = 0 if beside else 2 + 4  # the arrow's turn and CoreDNS's own row under the nodes
    return 2 + box_h + 2 + max(node_h + (1 if beside else 0), node_h + dns_rows) + 1 + 3


def _service_lines(scene: Scene, svc_story: ServiceStory | None, story: Story | None, tstep: int,
                   ready: list[str], not_ready: list[str], width: int, rows: int,
                   name: str = "") -> list[tuple[str, str]]:
    """The Service box: its name when the title has no room for it, its address and ports,
    then the pods ready and not ready (counted when they are too many for the rows left)."""
    tr = scene.tr
    lines: list[tuple[str, str]] = [(name, "bold")] if name else []
    told = _told(svc_story)
    below = _service_below(svc_story, story, not_ready)
    # (the ports are said nowhere else; the IPs are, in ① and ②)
    addr_rows = max(1, rows - rows_needed(lines, width) - below)
    lines += [(t, "") for t in service_address(scene.service_ip, scene.service_ports, width, addr_rows, tr)]
    if svc_story and told:
        left = max(1, rows - rows_needed(lines, width) - (1 if not_ready else 0))
        lines += [(t, "") for t in pack(tr("ready: {ips}"), ready or [tr("none")], width, left, tr)]
        if not_ready:
            left = max(1, rows - rows_needed(lines, width))
            lines += [(t, "") for t in pack(tr("not ready: {ips}"), not_ready, width, left, tr)]
    elif isinstance(story, TrafficStory):
        pod = story.data.get("pod")
        if pod and tstep >= TRAFFIC_POD:
            lines.append((tr("pod {name}").format(name=pod.split('/', 1)[-1].split(' on ')[0]), ""))
            lines.append((story.result(), ""))
    return lines


def _told(svc_story: ServiceStory | None) -> bool:
    """Whether the story says anything of the Service's pods: one that began at kube-proxy or
    CoreDNS -- a sync of Services svcflow found already there when it attached -- was told
    nothing of them, and claims none."""
    return svc_story is not None and bool(svc_story.collected or svc_story.written)


def _service_below(svc_story: ServiceStory | None, story: Story | None, not_ready: list[str]) -> int:
    """The Service box's lines under its address: ready (and not ready) pods, or a
    connection's pod and result."""
    return (2 if not_ready else 1) if _told(svc_story) else 2 if isinstance(story, TrafficStory) else 0


def _service_rows_wanted(scene: Scene, svc_story: ServiceStory | None, story: Story | None,
                         not_ready: list[str], width: int, name: str = "") -> int:
    """The rows the Service box takes with its name and every port whole (the ports are said
    nowhere else in the figure): what the row of boxes grows to when the screen has it."""
    address = service_address(scene.service_ip, scene.service_ports, width, len(scene.service_ports) + 1, scene.tr)
    return rows_needed([(name, "")] if name else [], width) + len(address) + _service_below(svc_story, story, not_ready)


def _controller_lines(svc_story: ServiceStory | None, step: int, ready: list[str], width: int, rows: int,
                      tr: Callable[[str], str]) -> list[tuple[str, str]]:
    """① The Endpoint controller: what it watches, then the pod IPs it collected."""
    lines = [(tr("watches Services+Pods"), IDLE)]  # (the strip's words; fits 100 columns)
    if svc_story and svc_story.collected and step >= STEP_COLLECT:
        lines.append((tr("collected:"), ""))
        if ready:
            lines += [(t, "") for t in pack("{ips}", ready, width, max(1, rows - 2), tr)]
        else:
            lines.append((tr("no ready pod"), ""))
    return lines


def _endpoints_lines(svc_story: ServiceStory | None, step: int, ready: list[str], width: int, rows: int,
                     tr: Callable[[str], str]) -> list[tuple[str, str]]:
    """② The objects written (`Endpoints redis`, `EndpointSlice redis-44kml`), then the
    addresses they hold."""
    if not (svc_story and svc_story.written and step >= STEP_ENDPOINTS):
        return []
    lines = [(o, "") for o in svc_story.objects_written(tr)][:2]
    if ready:
        left = max(1, rows - rows_needed(lines, width))
        lines += [(t, "") for t in pack("{ips}", ready, width, left, tr)]
    else:
        lines.append((tr("no ready address"), ""))
    return lines


def _short(b: Beat, tr: Callable[[str], str] = as_is) -> str:
    return {STEP_COLLECT: "①", STEP_ENDPOINTS: "②", STEP_PROXY: f"③ {b.node}", STEP_DNS: "④",
            TRAFFIC_QUERY: tr("DNS query"), TRAFFIC_ANSWER: tr("answer"), TRAFFIC_CLUSTERIP: "ClusterIP",
            TRAFFIC_DNAT: "DNAT", TRAFFIC_POD: tr("pod")}.get(b.step, "?")


def _ips_label(ips: list[str], width: int, tr: Callable[[str], str] = as_is) -> str:
    text = ", ".join(ips)
    return text if 0 < len(text) <= width else (ip_count(len(ips)) if ips else tr("none"))


def _nodes_shown(nodes: list[str], active: str | None, width: int) -> tuple[list[str], int]:
    """The nodes that fit (boxes of at least 16 cells), keeping the active one in view;
    the rest are counted in a "+N nodes" box."""
    fits = max(1, (width + 2) // 18)
    if len(nodes) <= fits:
        return nodes, 0
    k = max(1, fits - 1)
    shown = nodes[:k]
    if active in nodes and active not in shown:
        shown = shown[:-1] + [active]
    return shown, len(nodes) - len(shown)


def _traffic_node_lines(story: TrafficStory, tstep: int) -> list[tuple[str, str]]:
    d = story.data
    svc = story.matched("KUBE-SVC-")
    ext = story.matched("KUBE-EXT-")
    lines = [(f"→ {story.target}", "")]
    if ext:
        lines.append((ext, ""))
    if svc:
        lines.append((svc, ""))
    if tstep >= TRAFFIC_DNAT:
        sep = story.matched("KUBE-SEP-")
        lines = [(sep or "DNAT", ""), (f"DNAT → {d.get('dnat')}" if d.get("dnat") else story.result(), "")]
    return lines


def _dns_lines(scene: Scene, svc_story: ServiceStory | None, story: Story | None, tstep: int, step: int,
               width: int, wide: bool = False, tr: Callable[[str], str] = as_is,
               rows: int = 2) -> list[tuple[str, str]]:
    """The CoreDNS box: the record on one line when the box is wide, else name then value;
    `(unchanged)` under it, or after the value when the box has no row left for it (a long
    name takes the first row)."""
    if isinstance(story, TrafficStory):
        ans = story.dns_answer()
        if ans is None:
            return [(tr("not asked (an IP, no name)"), IDLE)]
        if wide:
            lines = [(f"? {ans[0]}" + (f"   {ans[1]}" if tstep >= TRAFFIC_ANSWER else ""), "")]
        else:
            lines = [(f"? {part}", "") for part in wrap(ans[0], width - 2)]
            if tstep >= TRAFFIC_ANSWER:
                lines.append((ans[1], ""))
        return lines
    watches = tr("watches Services + EndpointSlices")
    if svc_story is None:
        return [(watches, IDLE)]
    serving = svc_story.serving()
    if serving and step >= STEP_DNS:
        return [(part, "") for part in wrap(serving, width)]
    rec, changed = svc_story.record()
    if rec is None:
        return [(watches, IDLE)]
    if wide and len(rec.line()) + 12 <= width:
        lines = [(f"{rec.name}  {rec.rtype}  {rec.value}", "bold")]
    else:
        lines = [(part, "") for part in wrap(rec.name, width)] + [(f"{rec.rtype} {rec.value}", "bold")]
    if step < STEP_DNS and changed:
        return [(watches, IDLE)]
    if step < STEP_DNS:
        lines = [(t, IDLE) for t, _ in lines]
    if not changed:
        unchanged = tr("(unchanged)")
        value, style = lines[-1]
        if rows_needed(lines, width) + 1 > rows and cell_len(f"{value}  {unchanged}") <= width:
            lines[-1] = (f"{value}  {unchanged}", style if step < STEP_DNS else "")
        else:
            lines.append((unchanged, IDLE))
    return lines


# -- the widget and its screen ------------------------------------------------------------------

class FlowDiagram(Widget):
    """Plays the stories of the app's cluster on the figure. The player is a position in
    the flattened list of beats; new events extend the list as they come."""

    DEFAULT_CSS = """
    FlowDiagram { width: 1fr; height: 1fr; padding: 0 1; }
    """

    def __init__(self, app_ref, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.host = app_ref  # the SvcflowApp whose cluster is drawn
        self.book = StoryBook()
        self._cluster = None
        self._next_seq = 0
        self.timeline: list[tuple[int, int]] = []  # (story index, beat index)
        self.pos = -1
        self.paused = False
        self.note = ""

    def flash_note(self, text: str, seconds: float = 6.0) -> None:
        """`text` on the figure's bottom rows for a few seconds."""
        self.note = text
        self.refresh()

        def clear() -> None:
            if self.note == text:
                self.note = ""
                self.refresh()
        self.set_timer(seconds, clear)

    # -- events -> stories ---------------------------------------------------------------
    def sync(self) -> bool:
        """Read the cluster's new flow events; True when the timeline grew."""
        cluster = self.host.workspace.cluster
        if cluster is not self._cluster:  # a new cluster (the tour rebuilt its state)
            self._cluster = cluster
            self.book = StoryBook()
            self._next_seq = getattr(cluster, "boot_events", 0)
            self.timeline, self.pos = [], -1
        events = cluster.flow_events.since(self._next_seq)
        if not events:
            return False
        self._next_seq = events[-1].seq + 1
        dropped = self.book.dropped
        before = {id(s): len(s.beats()) for s in self.book.stories}
        self.book.extend(events)
        self._rebuild_timeline(self.book.dropped - dropped, before)
        return True

    def _rebuild_timeline(self, newly_dropped: int, before: dict[int, int]) -> None:
        current = self.current()
        self.timeline = [(i, j) for i, s in enumerate(self.book.stories) for j in range(len(s.beats()))]
        if current is None:
            self.pos = -1
            return
        story, j = current
        for k, (i, jj) in enumerate(self.timeline):
            if self.book.stories[i] is story and jj == j:
                self.pos = k
                return
        self.pos = min(self.pos, len(self.timeline) - 1)

    def current(self) -> tuple[Story, int] | None:
        if not 0 <= self.pos < len(self.timeline):
            return None
        i, j = self.timeline[self.pos]
        return self.book.stories[i], j

    # -- the player --------------------------------------------------------------------------
    def seek(self, pos: int) -> None:
        self.pos = max(-1, min(pos, len(self.timeline) - 1)) if self.timeline else -1
        self.refresh()

    def seek_story(self, key: str, step: int, which: int = -1, node: str | None = None) -> bool:
        """Show the `which`-th story of Service `key` (ns/name) at its beat of `step` (the
        last such beat, or the one of `node`). Used by tests, screenshots and the tour."""
        self.sync()
        matches = [k for k, (i, j) in enumerate(self.timeline)
                   if self.book.stories[i].key == key and self.book.stories[i].beats()[j].step == step
                   and (node is None or self.book.stories[i].beats()[j].node == node)]
        stories = list(dict.fromkeys(self.timeline[k][0] for k in matches))
        if not stories:
            return False
        chosen = stories[which]
        self.seek(max(k for k in matches if self.timeline[k][0] == chosen))
        return True

    def step(self, delta: int) -> None:
        self.seek(self.pos + delta)

    def replay(self) -> None:
        """Back to the first beat of the story on screen."""
        cur = self.current()
        if cur is None:
            return
        i = self.timeline[self.pos][0]
        self.seek(next(k for k, (ii, _) in enumerate(self.timeline) if ii == i))
        self.paused = False

    def to_live(self) -> None:
        self.seek(len(self.timeline) - 1)

    def start_of_latest(self) -> None:
        """The beginning of the newest story: what a speaker opening the view wants played."""
        if self.timeline:
            last = self.timeline[-1][0]
            self.seek(next(k for k, (i, _) in enumerate(self.timeline) if i == last))

    def tick(self, play: bool) -> None:
        grew = self.sync()
        if play and not self.paused and self.pos < len(self.timeline) - 1:
            self.seek(self.pos + 1)
        elif not play and grew:
            self.to_live()  # deterministic / not animated: the state settles at once
        elif grew:
            self.refresh()

    # -- drawing ---------------------------------------------------------------------------
    def _tr(self) -> Callable[[str], str]:
        return getattr(self.host, "tr", None) or as_is

    def ahead(self) -> bool:
        """Live is ahead of the beat on screen."""
        if not self.timeline or self.pos < 0:
            return bool(self.timeline)
        i, j = self.timeline[self.pos]
        return len(self.book.stories) - 1 - i > 0 or len(self.book.stories[i].beats()) - 1 - j > 0

    def status(self) -> str:
        """How far live is ahead of the beat on screen: the panes under the view always
        show the cluster now, so the view says so instead of pretending."""
        if not self.timeline:
            return ""
        tr = self._tr()
        i, j = self.timeline[self.pos] if self.pos >= 0 else (-1, -1)
        stories_ahead = len(self.book.stories) - 1 - i
        steps_ahead = (len(self.book.stories[i].beats()) - 1 - j) if i >= 0 else 0
        if stories_ahead <= 0 and steps_ahead <= 0:
            return tr("live: this is the latest step")
        parts = []
        if stories_ahead > 0:
            parts.append(tr("{n} change" if stories_ahead == 1 else "{n} changes").format(n=stories_ahead))
        if steps_ahead > 0:
            parts.append(tr("{n} step" if steps_ahead == 1 else "{n} steps").format(n=steps_ahead))
        return tr("live: {parts} ahead").format(parts=tr(" and ").join(parts))

    def scene(self) -> Scene:
        c = self.host.workspace.cluster
        cur = self.current()
        story, beat = cur if cur else (None, 0)
        svc_ip, svc_type, svc_ports = "", "", ()
        key = story.key if story is not None else ""
        if "/" in key:
            ns, _, name = key.partition("/")
            svc = c.store.get("Service", ns, name)
            if svc is not None:
                spec = svc.get("spec") or {}
                svc_ports = service_ports(list(spec.get("ports") or []))
                svc_ip = str(spec.get("clusterIP", ""))
                svc_type = spec.get("type", "ClusterIP")
        n_stories = len(self.book.stories)
        i = self.timeline[self.pos][0] if cur else -1
        tr = self._tr()
        play = tr("paused") if self.paused else ("▶" if getattr(self.host, "animate_flow", False) else "")
        speed = getattr(self.host, "speed", 1)
        if isinstance(story, TrafficStory) and story.is_lookup:
            what = tr("lookup {client} → {name}").format(client=story.client.split('/', 1)[-1], name=story.target)
        elif isinstance(story, TrafficStory):
            what = tr("traffic {client} → {target}").format(client=story.client.split('/', 1)[-1], target=story.target)
        else:
            what = f"Service {key}" if story else tr("no story yet")
        what += f" · {svc_type}" if svc_type and svc_type != "ClusterIP" else ""
        tail = f" · {i + 1 + self.book.dropped}/{n_stories + self.book.dropped}" if cur else ""
        tail = (tail + f" {play}" + (f" ×{speed:g}" if speed != 1 else "")).rstrip()
        # (the mode kube-proxy runs in, as the header says: the boxes tell what it did; `m`
        # only previews another mode's rules in the kube-proxy pane)
        return Scene(nodes=[n.name for n in c.topology.nodes], mode=c.topology.proxy.mode,
                     stopped=frozenset(getattr(getattr(c, "kube_proxy", None), "stopped", ())), story=story, beat=beat, service_ip=svc_ip, service_ports=svc_ports, service_type=svc_type,
                     title=what + tail, title_tail=tail, label=tr("Service flow"), note=self.note,
                     status=self.status(), ahead=self.ahead(), tr=tr,
                     keys="space pause · [ ] step · r replay · + - speed · end live · esc/v back")

    def render(self) -> Text:
        try:
            return draw(self.scene(), self.size.width, self.size.height)
        except Exception as exc:  # noqa: BLE001 - a drawing bug must never end a talk
            return Text(f"flow diagram: {type(exc).__name__}: {exc}", style="red")


class FlowDiagramView(Vertical):
    """The diagram over the dashboard's panes, as the top layer of the same screen (not a
    pushed Screen: the app keeps refreshing its panes and flow strip underneath, and finds
    them where it expects). Focused while shown, so its keys come first."""

    DEFAULT_CSS = """
    FlowDiagramView {
        overlay: screen; position: absolute; offset: 0 0;
        width: 100%; height: 100%; background: $background; padding-bottom: 1;
    }
    FlowDiagramView.-hidden { display: none; }
    """
    can_focus = True
    BINDINGS = [
        Binding("escape,v", "close", "Back"),
        Binding("space", "pause", "Pause"),
        Binding("left_square_bracket", "step(-1)", "◀ Step"),
        Binding("right_square_bracket", "step(1)", "Step ▶"),
        Binding("r", "replay", "Replay"),
        Binding("plus", "faster", "Faster", show=False),
        Binding("minus", "slower", "Slower", show=False),
        Binding("end", "live", "Live"),
        Binding("m", "mode", "Mode", show=False),
    ]

    def __init__(self, app_ref) -> None:
        super().__init__(id="flow-diagram-view")
        self.host = app_ref
        self._since = 0.0

    def compose(self) -> ComposeResult:
        yield FlowDiagram(self.host, id="flow-diagram")

    @property
    def diagram(self) -> FlowDiagram:
        return self.query_one(FlowDiagram)

    def on_mount(self) -> None:
        self._translate_bindings()
        self.set_interval(POLL_SECONDS, self._poll)
        self.start()

    def _translate_bindings(self) -> None:
        """The footer's keys while the diagram is shown, in the talk's language (as the
        app translates its own)."""
        tr = getattr(self.host, "tr", None)
        if tr is None or getattr(self.host, "lang", "en") == "en":
            return
        translate_bindings(self, tr)

    def start(self) -> None:
        """Shown again: play the newest change (or, not animated, show where it ended)."""
        d = self.diagram
        d.sync()
        if self._animated():
            d.start_of_latest()
        else:
            d.to_live()
        self.focus()

    def _animated(self) -> bool:
        return bool(getattr(self.host, "animate_flow", False))

    def _poll(self) -> None:
        if self.has_class("-hidden"):
            return
        self._since += POLL_SECONDS * getattr(self.host, "speed", 1)
        play = self._animated() and self._since >= BEAT_SECONDS
        if play:
            self._since = 0.0
        self.diagram.tick(play)

    def action_close(self) -> None:
        hide(self.host)

    def action_pause(self) -> None:
        self.diagram.paused = not self.diagram.paused
        self.diagram.refresh()

    def action_step(self, delta: int) -> None:
        self.diagram.paused = True  # stepping by hand: the player waits for the speaker
        self.diagram.step(delta)

    def action_replay(self) -> None:
        self.diagram.replay()

    def action_faster(self) -> None:
        if hasattr(self.host, "action_faster"):
            self.host.action_faster()
        self.diagram.refresh()

    def action_slower(self) -> None:
        if hasattr(self.host, "action_slower"):
            self.host.action_slower()
        self.diagram.refresh()

    def action_mode(self) -> None:
        """`m` previews another mode's rules in the kube-proxy pane, under the diagram, where it
        changed nothing visible: say what the diagram shows instead."""
        tr = getattr(self.host, "tr", None) or as_is
        mode = self.host.workspace.cluster.topology.proxy.mode
        self.diagram.flash_note(tr("The diagram shows what kube-proxy does: this cluster runs {mode}. "
                                   "m in the kube-proxy pane previews another mode's rules.").format(mode=mode))

    def action_live(self) -> None:
        """The latest beat, and playing again: `end` after `[` left the title `paused` beside
        `live: this is the latest step`."""
        self.diagram.paused = False
        self.diagram.to_live()


def showing(app) -> FlowDiagramView | None:
    """The diagram when it is shown."""
    for view in app.screen.query(FlowDiagramView):
        return None if view.has_class("-hidden") else view
    return None


def show(app) -> FlowDiagramView:
    """Show the diagram over the panes (mounted once, then shown and hidden)."""
    found = list(app.screen.query(FlowDiagramView))
    if found:
        view = found[0]
        view.remove_class("-hidden")
        view.start()
        return view
    view = FlowDiagramView(app)
    app.screen.mount(view)
    return view


def hide(app) -> None:
    view = showing(app)
    if view is None:
        return
    view.add_class("-hidden")
    for pane in app.screen.query("#pods-table"):
        pane.focus()


def toggle_flow_diagram(app) -> None:
    """Open the diagram over the dashboard, or close it (the app's `v` key)."""
    if showing(app) is not None:
        hide(app)
    else:
        show(app)



def focus_pane(app, name: str) -> None:
    """Focus a pane by the tour's `focus:` names; `flow` opens the diagram, any other pane
    closes it first (used by the tour and `svcflow screenshot --focus`)."""
    if name == "flow":
        if showing(app) is None:
            show(app)
        return
    hide(app)
    app.query_one(FOCUS_WIDGET[name]).focus()
