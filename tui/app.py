"""The svcflow dashboard: the simulated cluster's panes, live, with the Service flow.

The app composes: the panes (`tui.panes`, one widget each, owning their rows and the
version they show), the chrome (`tui.widgets.chrome`), the flow strip and the prompt;
and it wires the parts that do the work: the engine driver (`tui.driver`: ticking,
applying, live reload, publishing `tui.messages.ClusterChanged`), the flow player
(`tui.flow_player`), the selection links (`tui.selection`), the commands
(`tui.commands`) and the layouts (`tui.layout`). It holds the viewpoint the user chose
(namespace, filter, node, proxy mode) and maps keys to those parts. Simulated time
follows wall time (pods come up at a human pace) unless the app runs deterministically
for tests and screenshots.
"""
from __future__ import annotations

import dataclasses
import os
import re
import time
from collections import deque
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Container
from textual.css.query import NoMatches
from textual.widgets import DataTable, Input

from engine.apply.live import LiveWorkspace
from engine.cluster.events import FlowEvent
from tui.api_server import ServedApi, serve_dashboard
from tui.commands import Commands
from tui.driver import SETTLE_SECONDS, EngineDriver  # noqa: F401 - SETTLE_SECONDS: the benchmark reports it
from tui.flow_player import FlowPlayer
from tui.heap import HeapKeeper
from tui.i18n import translate_bindings, translator
from tui.layout import apply_layout, follow_focus, toggle_zoom
from tui.messages import Viewpoint
from tui.panes import DnsPane, EndpointsPane, EventsPane, Pane, PodsPane, ProxyPane, ServicesPane, TerminalPane
from tui.screens import HelpScreen, TextScreen
from tui.screenshot import save_screenshot_svg
from tui.selection import SOURCES, Selection
from tui.widgets.chrome import ERRORS_KEY, ClusterHeader, ErrorBar, FittedFooter, StatusLine
from tui.widgets.command_prompt import CommandPrompt
from tui.widgets.flow import FlowStrip
from tui.widgets.flow_diagram import toggle_flow_diagram

MODES = ("iptables", "ipvs", "nftables")
#: Pods from which listing every namespace says so on the status line first.
BIG_LISTING = 20_000
#: Seconds between two updates of the attach's progress line.
PROGRESS_SECONDS = 0.5


class SvcflowApp(App):
    """k9s-style dashboard over svcflow's simulated cluster."""

    CSS_PATH = "app.tcss"
    TITLE = "svcflow"
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True),
        Binding("ctrl+c", "interrupt", "Quit", show=False, priority=True),
        Binding("question_mark", "help", "Help"),
        # Priority: handled as the key arrives, so the keys typed after it, queued while the
        # app was busy, go into the prompt (`check_action` leaves them to an Input).
        Binding("colon", "prompt", "Command", priority=True),
        Binding("slash", "filter", "Filter", priority=True),
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
        Binding(ERRORS_KEY, "show_errors", "Errors", show=False),
        Binding("escape", "back", "Back", show=False),
    ]

    def __init__(self, paths: list[str], *, deterministic: bool = False, bare: bool = False,
                 seed: int | None = None, watch: bool = True, present: bool = False,
                 animate_flow: bool | None = None, lang: str | None = None, serve: bool | None = None,
                 api_port: int | None = None, workspace=None) -> None:
        """`workspace`: what to show instead of the folder's simulated cluster (a real
        cluster, attached read-only: `engine.attach.workspace.AttachWorkspace`)."""
        super().__init__()
        self.read_only = getattr(workspace, "read_only", False)
        # The served Kubernetes API (tui/api_server.py): on for a person at a terminal,
        # off for deterministic runs (tests, snapshots) unless asked; never for a mirror
        # (its writes would go to svcflow's copy, not to the cluster).
        self.serve_api = ((not deterministic) if serve is None else serve) and not self.read_only
        self.api_port = api_port  # `--port N`: exactly that one; by default 6443 or the next free
        self.api: ServedApi | None = None
        self.lang = lang or "en"  # the chrome's language (`tui.i18n`); a tour sets its own
        self.stage: bool | None = None  # None: by the terminal's size (tui.layout)
        self.animate_flow = (not deterministic) if animate_flow is None else animate_flow
        self.heap = HeapKeeper()
        self.paths = [Path(p) for p in paths]
        self.deterministic = deterministic
        self.workspace = workspace or LiveWorkspace(self.paths, deterministic=deterministic, bare=bare, seed=seed)
        self.watch_files = watch and not deterministic and not self.read_only
        self.present = present
        self.session = None  # the `:` prompt's shell session, made on its first command
        # The viewpoint: what the user chose to look at.
        self.namespace: str | None = "default"
        self.node_index = 0
        self.mode = self.workspace.cluster.topology.proxy.mode
        self.filter_re: re.Pattern | None = None
        # The parts that do the work.
        self.driver = EngineDriver(self)
        self.player = FlowPlayer(self)
        self.selection = Selection(self)
        self.commands = Commands(self)
        self._focus_before_prompt = None
        self._progress: tuple[str, float] = ("", 0.0)  # the attach's progress line shown, and when
        self.workspace.cluster.flow_listeners.append(self.player.on_flow)

    # -- composition ---------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield ClusterHeader(id="cluster-header")
        with Container(id="grid"):
            yield PodsPane()
            yield ServicesPane()
            yield EndpointsPane()
            yield ProxyPane()
            yield DnsPane()
            yield EventsPane()
            yield TerminalPane()
        yield FlowStrip(id="flow")
        yield ErrorBar(id="errors")
        yield StatusLine(id="status-line")
        tr = translator(self.lang)
        yield CommandPrompt(self.commands.completions, id="prompt",
                            persist=not self.deterministic or bool(os.environ.get("SVCFLOW_HISTORY")),
                            placeholders={"command": ":po :svc :ep :dns :proxy | kubectl get svc | "
                                                     "kubectl scale deploy/redis --replicas=3  (tab completes)",
                                          "filter": "/ " + tr("filter (regex), enter to apply, empty clears")})
        yield FittedFooter()

    def on_mount(self) -> None:
        self.tr = translator(self.lang)
        for pane in self.query(Pane):
            pane.border_title = self.tr(pane.TITLE)
        self._translate_bindings()
        if not self.player.log_flow:
            # The events pane is the terminal already (a tour types its commands there).
            self.query_one(TerminalPane).display = False
            self.query_one(EventsPane).add_class("-terminal", "-used")
        apply_layout(self, self.stage)
        if self.present:
            self.add_class("-present")
        if os.environ.get("TEXTUAL_ANIMATIONS", "").lower() == "none" or self.deterministic:
            self.animation_level = "none"
        self.driver.start()
        if self.serve_api:
            self.run_worker(self._serve_api(), exclusive=True, group="api")
        if self.read_only:
            # Nothing will be written there: the write keys stay (they refuse, in a line) but
            # leave the footer; the header and the terminal say so (`_attach_changed`).
            keys = self._bindings.key_to_bindings
            keys["s"] = [dataclasses.replace(b, show=False) for b in keys.get("s", [])]
            # Attaching is the boot of a mirror: no warming of every namespace's rows
            # while the lists still change them (`EngineDriver.tick`), and the status line
            # says how far the lists got (`_attach_changed`).
            self.driver.booting = True
            self._attach_changed("problems")
            self.run_worker(self.workspace.follow(self._attach_changed), exclusive=True, group="attach")

    def _attach_changed(self, what: str) -> None:
        """Attached: the mirror was built (its mode and nodes are the cluster's; the lists
        fill it page by page, the ticks repaint), every kind is listed, kube-proxy or
        CoreDNS computed what the panes show, the cluster's kube-proxy configuration changed
        (its mode is shown), or how far the attach got or the problems a user can act on
        changed (the error bar says them, one line each)."""
        try:
            if what == "cluster":
                self.mode = self.workspace.cluster.topology.proxy.mode
                self.node_index = 0
                self.session = None
                self.refresh_panes(flash=False)
                self.show_header()
                self.commands.terminal().transcript(None, [self.workspace.read_only_line()])
            elif what == "config":
                self.mode = self.workspace.cluster.topology.proxy.mode
                self.refresh_panes(flash=False)
            elif what == "listed":
                self.driver.booting = False
                self.refresh_panes(flash=False, redraw=True)  # every object in, the links drawn
            elif what == "computed" and not self.driver.booting:
                self.refresh_panes(flash=False, redraw=True)  # (computing writes nothing to the store)
            if what == "progress" and self.driver.booting:
                return  # (while the lists come, the tick shows it with the panes: `EngineDriver.tick`)
            if what in ("progress", "computing"):
                self.show_progress(force=what == "computing")
                return
            self.show_progress(force=True)
            self.query_one(ErrorBar).show(*self.workspace.status())
        except NoMatches:
            return  # (a reflector's last word while the app shuts down: the panes are gone)

    def show_progress(self, *, force: bool = False) -> None:
        """The attach's progress on the status line, at most every PROGRESS_SECONDS (a
        page comes every few milliseconds; each new line lays the screen out again, ~15 ms
        at 10,000 Services); while the lists come, once a second with the panes."""
        line = self.workspace.progress()
        now = time.monotonic()
        if line == self._progress[0] or (line and not force and now - self._progress[1] < PROGRESS_SECONDS):
            return
        self._progress = (line, now)
        self.query_one(StatusLine).say(line)

    async def _serve_api(self) -> None:
        try:
            self.api = await serve_dashboard(self, port=self.api_port)
        except OSError as e:  # no port to be had: the dashboard carries on without its API
            self.query_one(StatusLine).say(self.tr("svcflow: not serving the Kubernetes API: {why}")
                                           .format(why=e.strerror or e))
            return
        self.commands.terminal().transcript(None, [self.tr("svcflow: the Kubernetes API is served at {url}; to use "
                                                           "it with kubectl:").format(url=self.api.url),
                                                   self.api.export_line])
        self.show_header()

    async def on_unmount(self) -> None:
        if self.api is not None:
            await self.api.served.stop()
        self.driver.stop()
        self.heap.uninstall()

    def _translate_bindings(self) -> None:
        """The footer's and help's key descriptions in the chrome's language."""
        if self.lang == "en":
            return
        translate_bindings(self, self.tr)
        self.refresh_bindings()

    # -- what the parts share --------------------------------------------------------------------
    def viewpoint(self) -> Viewpoint:
        """What the user looks at now."""
        nodes = self.workspace.cluster.topology.nodes
        # (no node at all: attached where Nodes are forbidden and no pod names one)
        node = nodes[self.node_index % len(nodes)].name if nodes else ""
        return Viewpoint(self.workspace.cluster, self.namespace, self.filter_re, node, self.mode)

    def refresh_panes(self, *, flash: bool = True, throttle: bool = False, refilter: bool = False,
                      redraw: bool = False) -> None:
        """Tell the panes the cluster changed (`EngineDriver.publish`)."""
        self.driver.publish(flash=flash, throttle=throttle, refilter=refilter, redraw=redraw)

    def reload_manifests(self) -> None:
        """Re-apply the files (`EngineDriver.reload`)."""
        self.driver.reload()

    def run_command(self, text: str) -> None:
        """Run a `:` prompt line (`Commands.run`: attached, only the lines that read)."""
        self.commands.run(text)

    def _refuse_write(self) -> bool:
        """Attached read-only: say so instead of writing."""
        if self.read_only:
            self.notify(self.workspace.read_only_line())
        return self.read_only

    @property
    def booting(self) -> bool:
        return self.driver.booting

    @property
    def flow_queue(self) -> deque[FlowEvent]:
        return self.player.queue

    @property
    def speed(self) -> float:
        return self.player.speed

    # -- events ---------------------------------------------------------------------------------------
    def on_resize(self, event) -> None:
        apply_layout(self, self.stage)
        self.show_header()

    def show_header(self) -> None:
        """The header now (the clock, the flow's speed and pause)."""
        api = api_short = None
        if self.read_only:
            api, api_short = f"attached read-only · {self.workspace.server}", "attached read-only"
            waiting = self.workspace.connection_line()
            if waiting:  # nothing read yet: no nodes, subnets or mode to show (they would be made up)
                self.query_one(ClusterHeader).update(Text(f"{waiting} · {api}", no_wrap=True, overflow="ellipsis"))
                return
        if self.api:
            address = self.api.url.removeprefix("http://")
            api = f"API {address} (KUBECONFIG={self.api.kubeconfig})"
            api_short = f"api :{address.rpartition(':')[2]}"
        self.query_one(ClusterHeader).show(self.workspace.cluster, self.namespace, speed=self.player.speed,
                                           paused=self.player.paused, api=api, api_short=api_short)

    def on_descendant_focus(self, event) -> None:
        follow_focus(self, event.widget)

    def on_key(self, event) -> None:
        self.selection.pinned = False  # the user acts: selection highlights take over again

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id in SOURCES:
            self.selection.update(self.viewpoint(), event.data_table.id)

    @on(CommandPrompt.Candidates)
    def _show_candidates(self, event: CommandPrompt.Candidates) -> None:
        shown = "  ".join(event.candidates[:20]) + ("  …" if len(event.candidates) > 20 else "")
        self.query_one(StatusLine).say(shown)

    @on(Input.Submitted, "#prompt")
    def _prompt_submitted(self, event: Input.Submitted) -> None:
        prompt = self.query_one("#prompt", CommandPrompt)
        text = event.value.strip()
        self._close_prompt()
        if prompt.mode == "filter":
            self.commands.run("/" + text)
            return
        prompt.remember(text)
        self.commands.run(text)

    # -- the prompt -------------------------------------------------------------------------------------
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
        self.query_one("#prompt", CommandPrompt).close()
        back = self._focus_before_prompt
        if back is None or not back.is_attached:
            back = self.query_one("#pods-table")
        back.focus()

    # -- actions ----------------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("prompt", "filter"):
            # (`/` and `:` are the prompt's own characters once it, or any Input, has the focus)
            return not isinstance(self.focused, Input)
        return True

    def action_filter(self) -> None:
        """`/`: the prompt in filter mode; Enter filters every pane (it never runs a command)."""
        self._open_prompt("filter")

    def action_prompt(self) -> None:
        self._open_prompt("command")

    def action_interrupt(self) -> None:
        """Ctrl+C: in the open prompt it drops the line typed, as a shell does (it quit the
        dashboard, and the simulated cluster with it, mid-command); anywhere else it quits,
        as k9s does."""
        if self.query_one("#prompt").has_class("-visible"):
            self._close_prompt()
        else:
            self.exit()

    def action_back(self) -> None:
        if self.query_one("#prompt").has_class("-visible"):
            self._close_prompt()
        elif self.has_class("-zoomed"):
            toggle_zoom(self)

    def action_flow_diagram(self) -> None:
        """The four-step flow as the tutorial's figure, full screen (tui/widgets/flow_diagram.py)."""
        toggle_flow_diagram(self)

    def action_zoom(self) -> None:
        """`z`: the focused pane takes the whole screen; `z` again gives the others back."""
        toggle_zoom(self)

    def action_toggle_layout(self) -> None:
        """`g`: switch between the grid and the stage layout (the size chooses until then)."""
        self.stage = not self.has_class("-stage")
        apply_layout(self, self.stage)

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.BINDINGS, self.tr))

    def action_show_errors(self) -> None:
        """Every error and warning, whole: the error bar shows what fits its rows and
        counts the rest."""
        lines = self.query_one(ErrorBar).all_lines(self.size.width * 95 // 100 - 4)  # (TextScreen's box)
        if not lines:
            self.query_one(StatusLine).say(self.tr("no errors or warnings"))
            return
        self.push_screen(TextScreen(self.tr("errors and warnings"), "\n".join(lines)))

    def action_toggle_header(self) -> None:
        self.query_one(ClusterHeader).toggle_class("-collapsed")

    def action_next_node(self) -> None:
        self.node_index += 1
        self.refresh_panes()

    def action_next_mode(self) -> None:
        self.mode = MODES[(MODES.index(self.mode) + 1) % len(MODES)] if self.mode in MODES else MODES[0]
        self.refresh_panes()

    def action_all_namespaces(self) -> None:
        self.namespace = None if self.namespace else "default"
        pods = self.workspace.cluster.store.count("Pod")
        if self.namespace is None and pods > BIG_LISTING:
            # Say so before the first listing of every pod, which takes a moment at this size.
            status = self.query_one(StatusLine)
            status.update(Text(f"listing {pods:,} pods in every namespace..."))
            self.call_after_refresh(self._show_all_namespaces)
            return
        self.refresh_panes()

    def _show_all_namespaces(self) -> None:
        self.refresh_panes()
        self.query_one(StatusLine).update(Text(""))

    def action_pause(self) -> None:
        self.player.paused = not self.player.paused
        self.show_header()

    def action_step_forward(self) -> None:
        self.player.step_forward()

    def action_step_back(self) -> None:
        self.player.step_back()

    def action_replay(self) -> None:
        """Replay the last Service's flow from its step 1."""
        self.player.replay()

    def action_faster(self) -> None:
        self.player.faster()
        self.show_header()

    def action_slower(self) -> None:
        self.player.slower()
        self.show_header()

    def action_describe(self) -> None:
        self.commands.describe()

    def action_yaml(self) -> None:
        self.commands.yaml()

    def action_scale(self, delta: int) -> None:
        if not self._refuse_write():
            self.commands.scale(delta)

    def action_delete_pod(self) -> None:
        if not self._refuse_write():
            self.commands.delete_pod()

    def action_toggle_ready(self) -> None:
        if not self._refuse_write():
            self.commands.toggle_ready()

    def action_edit(self) -> None:
        if not self._refuse_write():
            self.commands.edit()

    def action_screenshot_svg(self) -> None:
        try:
            path = save_screenshot_svg(self)
        except OSError as e:  # (a read-only folder: say so, keep running)
            self.notify(f"screenshot not saved: {e.strerror or e}", severity="error")
            return
        self.notify(f"saved {path}")


def run(paths: list[str], **kwargs) -> int:
    """The dashboard, until the user quits (kwargs: SvcflowApp's)."""
    SvcflowApp(paths, **kwargs).run()
    return 0
