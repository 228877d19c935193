"""A read-only, scrollable view of many lines that renders only what is visible.

Used for kube-proxy's rules (300k lines at 10,000 Services must still scroll smoothly):
like Toolong's log view, it keeps plain strings and styles a line only when it is drawn.
Lines that mention a highlighted name (a selected Service's chains) stand out.
"""
from __future__ import annotations

import re
from typing import Callable, Sequence

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

Highlighter = Callable[[str], Text]


def iptables_highlighter(line: str) -> Text:
    """Colour iptables-save text the way people read it: tables, chains, matches, targets."""
    t = Text(line)
    if line.startswith("*"):
        t.stylize("bold magenta")
    elif line.startswith(":"):
        t.stylize("cyan")
    elif line.startswith("#"):
        t.stylize("grey50")
    elif line == "COMMIT":
        t.stylize("bold magenta")
    else:
        t.highlight_regex(r"^-A \S+", "bold cyan")
        t.highlight_regex(r"-j (KUBE-[A-Z0-9-]+|DNAT|REJECT|DROP|RETURN|ACCEPT|MASQUERADE|MARK)", "bold yellow")
        t.highlight_regex(r'--comment "?[^"]*"?', "green")
        t.highlight_regex(r"\b\d{1,3}(\.\d{1,3}){3}(/\d+)?(:\d+)?\b", "bright_white")
        t.highlight_regex(r"--probability \S+", "bright_magenta")
    return t


def plain_highlighter(line: str) -> Text:
    return Text(line)


class TextView(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    TextView { height: 1fr; }
    """

    def __init__(self, highlighter: Highlighter = plain_highlighter, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lines: Sequence[str] = []  # a list, or `engine.proxy.lines.ChunkedLines`
        self.highlighter = highlighter
        self.marks: set[str] = set()
        self._mark_re: re.Pattern | None = None
        self._width = 0

    def set_lines(self, lines: Sequence[str], *, keep_scroll: bool = True) -> None:
        y = self.scroll_y
        self.lines = lines
        self._width = max((len(line) for line in lines[:5000]), default=0)
        self.virtual_size = Size(self._width, len(lines))
        if keep_scroll:
            self.scroll_to(y=min(y, max(0, len(lines) - 1)), animate=False)
        self.refresh()

    def set_marks(self, names: set[str]) -> None:
        """Lines containing any of `names` are drawn highlighted."""
        self.marks = set(names)
        self._mark_re = re.compile("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))) \
            if names else None
        self.refresh()

    def first_marked_line(self) -> int | None:
        """The first rule (`-A ...`) that mentions a mark, else the first line that does.

        Lines that know where each chain's rules are (`engine.proxy.lines.ChunkedLines`, 470,000
        of them at 10,000 Services) are not scanned whole: the rule is looked for in
        KUBE-SERVICES (where a Service's jump is), else it is the first rule of a marked
        chain -- the same line a scan finds, as iptables-save lists chains by name and the
        only chains that jump to a KUBE-SEP chain (KUBE-SVC, KUBE-SVL) sort after it."""
        if self._mark_re is None:
            return None
        ranges = getattr(self.lines, "ranges", None)
        if ranges is not None:
            for start, end in ranges("KUBE-SERVICES"):
                found = self.lines.find_first(start, end, self.marks)
                if found is not None:
                    return found
            starts = [start for name in self.marks for start, end in ranges(name) if end > start]
            return min(starts) if starts else None
        best_rank: dict[int, int] = {}
        for i, line in enumerate(self.lines):
            if self._mark_re.search(line):
                rank = 0 if line.startswith("-A KUBE-SERVICES") else 1 if line.startswith("-A") else 2
                best_rank.setdefault(rank, i)
                if rank == 0:
                    break
        return best_rank[min(best_rank)] if best_rank else None

    def first_line_starting(self, prefix: str) -> int | None:
        return next((i for i, line in enumerate(self.lines) if line.startswith(prefix)), None)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = y + scroll_y
        width = self.size.width
        if index >= len(self.lines):
            return Strip.blank(width, self.rich_style)
        line = self.lines[index]
        text = self.highlighter(line)
        room = self.scrollable_content_region.width  # (less the vertical scrollbar)
        if self._mark_re is not None and self._mark_re.search(line):
            text.stylize("reverse")
        segments = list(text.render(self.app.console))
        if text.cell_len > scroll_x + room > 1:
            # Cut at the pane's edge: say so with `…` (the whole view scrolls sideways with
            # left/right; no scrollbar row is spent on it).
            strip = Strip(segments).crop(scroll_x, scroll_x + room - 1)
            strip = Strip([*strip, Segment("…", Style(color="grey50"))])
            return strip.extend_cell_length(width, self.rich_style)
        strip = Strip(segments).crop(scroll_x, scroll_x + width)
        return strip.extend_cell_length(width, self.rich_style)
