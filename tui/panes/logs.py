"""The panes that are logs: the events (apply lines, flow events) and the terminal (the
`:` prompt's transcript). In a tour the events pane is the terminal."""
from __future__ import annotations

from rich.text import Text
from textual.widgets import RichLog

from engine.cluster.events import FlowEvent
from tui.messages import ClusterChanged
from tui.panes.base import Pane
from tui.safe_text import literal
from tui.widgets.wrapping_log import WrappingLog

#: Lines of a command's output kept in the terminal pane per command.
TERMINAL_LINES = 2000


def short_line(ev: FlowEvent) -> str:
    """An event as the events pane shows it: clock time, who, what, which object."""
    step = f"[{ev.step}] " if ev.step else ""
    return f"{ev.time.strftime('%H:%M:%S')} {step}{ev.controller} {ev.verb} {ev.kind.lower()}/{ev.name} {ev.detail}"


class LogPane(Pane):
    """A pane that is one `RichLog`."""

    def __init__(self, log: RichLog, *, id: str, classes: str = "") -> None:
        super().__init__(log, id=id, classes=classes)
        self.output = log

    def write_apply(self, lines) -> None:
        """`kubectl apply`'s lines, literally (a file name may hold `[`)."""
        for line in lines:
            self.output.write(literal(f"$ kubectl apply: {line}"))

    def write_flow(self, ev: FlowEvent) -> None:
        self.output.write(short_line(ev))

    def transcript(self, title: str | None, lines: list[str]) -> None:
        """A command line and its output, whole (as a terminal keeps a session)."""
        self.add_class("-used")  # (on the stage, the terminal opens once it has a transcript)
        if title:
            self.output.write(literal(title, "bold"))
        for line in lines[:TERMINAL_LINES]:
            self.output.write(literal(line))

    def echo(self, prompt: str, cmd: str, out: str) -> None:
        """A tour's command as typed at `prompt`, then its output (200 lines at most)."""
        self.output.write(Text(f"{prompt}{cmd}" if prompt else cmd, style="bold"))
        for line in out.rstrip("\n").splitlines()[:200]:
            self.output.write(Text(line))


class EventsPane(LogPane):
    TITLE = "Events"

    def __init__(self) -> None:
        super().__init__(WrappingLog(id="events-log", max_lines=2000, markup=False, wrap=True), id="events")

    def version(self, event: ClusterChanged) -> object:
        return (event.view.pattern,)  # (the lines themselves are written as they come)

    def redraw(self, event: ClusterChanged) -> None:
        """The `/` filter: only the lines it finds."""
        if isinstance(self.output, WrappingLog):
            self.output.set_pattern(event.view.pattern)


class TerminalPane(LogPane):
    TITLE = "Terminal"

    def __init__(self) -> None:
        super().__init__(WrappingLog(id="terminal-log", max_lines=TERMINAL_LINES, markup=False, wrap=True),
                         id="terminal", classes="-terminal")
