"""`svcflow tour`: a narrated walk through a cluster, driven by one key.

Each step shows its caption (two lines at most, in the tour's language), types its
commands into the `:` prompt where the audience can read them, runs them, and focuses
the pane that reacts. The cluster is deterministic (fixed clock, seeded names), so the
names, IPs and hashes on the slides match the live demo; going back rebuilds the state
up to that step from scratch, identically.
"""
from __future__ import annotations

import time

from rich.text import Text
from textual.binding import Binding
from textual.widgets import Input, RichLog, Static

from engine.apply.live import LiveWorkspace
from engine.kubectl.session import Session
from tui.app import SvcflowApp
from tui.panes import FOCUS_WIDGET, EventsPane
from tui.timers import call_after
from tui.tour_script import Tour
from tui.widgets.flow_diagram import focus_pane
from tui.widgets.resource_table import ResourceTable
from tui.widgets.text_view import TextView

TYPE_SECONDS = 0.025  # per character, at speed 1
BUSY_NOTE_SECONDS = 3.0  # one "still playing" note per this many seconds of key presses


class TourApp(SvcflowApp, inherit_bindings=False):
    """The dashboard, with a caption bar and presenter keys instead of free exploration."""

    BINDINGS = [
        Binding("space,right", "next_step", "Next", priority=True),  # whatever pane has focus
        Binding("left", "previous_step", "Previous", priority=True),
        Binding("r", "replay_step", "Replay"),
        Binding("p", "pause", "Pause flow"),
        Binding("plus", "faster", "Faster"),
        Binding("minus", "slower", "Slower"),
        Binding("h", "toggle_chrome", "Hide chrome"),
        Binding("f2", "screenshot_svg", "Screenshot"),
        Binding("q", "quit", "Quit"),
        Binding("ctrl+q,ctrl+c", "quit", "Quit", show=False, priority=True),
    ]
    DEFAULT_CSS = """
    #tour-caption { height: auto; padding: 0 1; background: $boost; color: $text; text-style: bold; }
    TourApp.-no-chrome #tour-caption, TourApp.-no-chrome #cluster-header, TourApp.-no-chrome Footer,
    TourApp.-no-chrome #flow, TourApp.-no-chrome #status-line { display: none; }
    """

    def __init__(self, tour: Tour, *, lang: str | None = None, present: bool = False, animate: bool = True,
                 seed: int | None = None, start: int = 0) -> None:
        super().__init__([], deterministic=True, watch=False, present=present, animate_flow=animate, seed=seed)
        self.tour = tour
        self.start = start  # the steps already played when the tour opens (`tour --step N`)
        self.lang = lang or tour.language
        self.animate = animate
        self.index = 0  # steps played so far
        self.seed = seed
        self._typing: list[str] = []
        self._playing = False  # a typed step's lines are still being typed or run
        self._busy_said = 0.0  # when the "still playing" note was last shown
        self.player.log_flow = False  # the events pane is the tour's terminal
        self._tour_ready = False

    def compose(self):
        yield Static(id="tour-caption")
        yield from super().compose()

    def on_mount(self) -> None:
        # Textual also runs SvcflowApp.on_mount after this one (handlers run per class in
        # the MRO), so the tour's own setup waits until that has happened.
        self.call_later(self._tour_setup)

    def _tour_setup(self) -> None:
        if self._tour_ready:
            return
        self._tour_ready = True
        self.query_one("#events").border_title = self.tr("Terminal")
        self.query_one("#events-log", RichLog).clear()
        if self.size.height < 40:  # small screens and big fonts keep the panes
            self.query_one("#cluster-header").add_class("-collapsed")
        self._new_session()
        self._show_caption()
        if self.start:
            self.seek(self.start)

    # -- state ---------------------------------------------------------------------------
    def _new_session(self) -> None:
        base = self.tour.manifests or self.tour.path.parent
        self.session = Session(self.workspace.cluster, cwd=base, settle=True)

    def _rebuild(self, upto: int) -> None:
        """A fresh cluster with steps 1..upto applied silently (deterministic: same names)."""
        self.workspace = LiveWorkspace([], deterministic=True, seed=self.seed)
        self.workspace.cluster.flow_listeners.append(self.player.on_flow)
        self.player.clear()
        self._new_session()
        log = self.query_one("#events-log", RichLog)
        log.clear()
        log.auto_scroll = True
        for step in self.tour.steps[:upto]:
            for cmd in step.commands:
                before = self.session.prompt  # the prompt the line was typed at, as `_run` shows it
                self._echo(cmd, self.session.feed(cmd), before)
        self.player.queue.clear()
        self.index = upto
        self.refresh_panes(flash=False, redraw=True)  # a new cluster: every pane redraws

    # -- captions ------------------------------------------------------------------------
    def _show_caption(self) -> None:
        total = len(self.tour.steps)
        t = Text()
        t.append(f" {self.index}/{total} ", style="reverse")
        t.append(f"  {self.tour.title(self.lang)}\n", style="bold")
        if self.index:
            t.append(self.tour.steps[self.index - 1].caption(self.lang).rstrip("\n"), style="")
        else:
            t.append({"ko": "space 또는 → 키로 시작합니다."}.get(self.lang, "Press space or → to start."),
                     style="italic")
        self.query_one("#tour-caption", Static).update(t)

    # -- playing steps -------------------------------------------------------------------------
    def play_step(self, n: int, *, typed: bool | None = None) -> None:
        """Play step n (1-based) visibly: caption, each command typed into the prompt, run."""
        self._tour_setup()
        step = self.tour.steps[n - 1]
        self.index = n
        for table in self.query(ResourceTable):
            table.highlight = set()
            table.refresh_styles()
        self.query_one("#services").border_subtitle = ""
        self._release_terminal()
        self._show_caption()
        if step.focus:
            focus_pane(self, step.focus)
        typed = self.animate if typed is None else typed
        if typed:
            self._typing = list(step.commands)
            self._playing = True
            self._type_next()
        else:
            for cmd in step.commands:
                self._run(cmd)
            self._after_step(step)

    def _type_next(self) -> None:
        if not self._typing:
            self._after_step(self.tour.steps[self.index - 1])
            return
        cmd = self._typing.pop(0)
        prompt = self.query_one("#prompt", Input)
        prompt.value = ""
        prompt.add_class("-visible")
        delay = TYPE_SECONDS / self.speed

        def type_char(i: int = 0) -> None:
            if i < len(cmd):
                prompt.value = cmd[: i + 1]
                call_after(self, delay, lambda: type_char(i + 1))
            else:
                call_after(self, 0.25 / self.speed, lambda: self._run_typed(cmd))

        type_char()

    def _run_typed(self, cmd: str) -> None:
        """Run a typed line once the screen says it runs: a heavy one (`generate services
        5000`) holds the screen for seconds, and a frozen prompt told the room nothing."""
        self.query_one("#status-line", Static).update(  # (the line over the prompt)
            Text(f"{self.session.prompt}{cmd}  →  {self.tr('running…')}", style="bold"))
        self.call_after_refresh(lambda: (self._run(cmd), self._type_next()))

    def _after_step(self, step) -> None:
        self._playing = False
        prompt = self.query_one("#prompt", Input)
        prompt.remove_class("-visible")
        if step.focus:
            focus_pane(self, step.focus)
        self._show_row(step)

    def _show_row(self, step) -> None:
        """Put the step's subject on screen: the focused pane's `row:` (a table's cursor on
        it, a rule listing scrolled to it) and the terminal at its `terminal:` line."""
        if step.row and step.focus in FOCUS_WIDGET:  # (the flow diagram has no rows)
            pane = self.query_one(FOCUS_WIDGET[step.focus])
            if isinstance(pane, ResourceTable):
                keys = pane.keys_named({step.row.rstrip(".")})
                if keys:
                    pane.move_cursor(row=min(pane.get_row_index(k) for k in keys))
            elif isinstance(pane, TextView):
                at = pane.first_line_starting(step.row)
                if at is None:
                    at = next((i for i, line in enumerate(pane.lines) if step.row in line), None)
                if at is not None:
                    pane.call_after_refresh(pane.scroll_to, y=max(0, at - 1), animate=False)
        if step.terminal:
            log = self.query_one("#events-log", RichLog)
            at = next((i for i in range(len(log.lines) - 1, -1, -1) if step.terminal in log.lines[i].text), None)
            if at is not None:
                log.auto_scroll = False
                log.call_after_refresh(log.scroll_to, y=at, animate=False)

    def _release_terminal(self) -> None:
        self.query_one("#events-log", RichLog).auto_scroll = True

    def _run(self, cmd: str) -> None:
        self.selection.pinned = True  # the step's highlights, not a stale cursor selection
        before = self.session.prompt
        out = self.session.feed(cmd)
        self._echo(cmd, out, before)
        if not self.animate_flow:
            self.player.drain()
        self.refresh_panes(redraw=True)  # a command may only have moved the clock

    def _echo(self, cmd: str, out: str, prompt: str | None = None) -> None:
        p = self.session.prompt if prompt is None else prompt
        self.query_one(EventsPane).echo(p, cmd, out)
        shown = [line for line in out.strip().splitlines() if not line.startswith("Warning: ")]
        self.query_one("#status-line", Static).update(Text(f"{p}{cmd}  →  {shown[0] if shown else ''}"))

    # -- keys ------------------------------------------------------------------------------
    def _still_playing(self) -> bool:
        """Whether a typed step is still playing; then a step key waits, and says so rather
        than being dropped unseen (presses made while a heavy line ran arrive all at once)."""
        if not self._playing:
            return False
        now = time.monotonic()
        if now - self._busy_said >= BUSY_NOTE_SECONDS:
            self._busy_said = now
            self.notify(self.tr("Step {n} is still playing: press the key again when it is done.")
                        .format(n=self.index), timeout=BUSY_NOTE_SECONDS)
        return True

    def action_next_step(self) -> None:
        if self._still_playing():
            return
        if self.index < len(self.tour.steps):
            self.play_step(self.index + 1)

    def action_previous_step(self) -> None:
        if self.index > 0 and not self._still_playing():
            self._rebuild(self.index - 1)
            self._show_caption()

    def action_replay_step(self) -> None:
        if self.index > 0 and not self._still_playing():
            n = self.index
            self._rebuild(n - 1)
            self.play_step(n)

    def action_toggle_chrome(self) -> None:
        self.toggle_class("-no-chrome")

    def seek(self, n: int) -> None:
        """Jump to the state after step n, captions included (tests and screenshots)."""
        self._tour_setup()
        self._rebuild(max(0, n - 1))
        if n:
            self.play_step(n, typed=False)
        self._show_caption()
