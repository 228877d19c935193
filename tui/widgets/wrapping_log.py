"""A log whose lines always fit its width: the events pane, the terminal, CoreDNS's queries.

Textual's `RichLog` wraps a line once, when it is written, to the width the log has then
(and never under 78 cells), and crops it when the log is narrower later: zoomed, moved to
the stage, or once its vertical scrollbar takes two columns. A tester saw
`serves 243.211.128.10.in-addr.arpa -` over `10-128-211-243...`: the `>` of `->` cut off.
This log keeps what was written (as many lines as it keeps) and wraps it again whenever
the width its lines have changes."""
from __future__ import annotations

import re
from collections import deque
from typing import Any

from rich.text import Text
from textual.events import Resize
from textual.widgets import RichLog


class WrappingLog(RichLog):
    """`RichLog`, wrapped to the width it has now."""

    def __init__(self, *, max_lines: int, **kwargs: Any) -> None:
        kwargs.setdefault("min_width", 1)  # (a narrow pane wraps; 78 cropped its lines)
        super().__init__(max_lines=max_lines, **kwargs)
        self._written: deque[tuple[Any, int | None, bool, bool]] = deque(maxlen=max_lines)
        self._wrapped_at = 0
        self._rewrapping = False
        self.pattern: re.Pattern | None = None  # the `/` filter: only lines it finds are shown

    def write(self, content: Any, width: int | None = None, expand: bool = False, shrink: bool = True,
              scroll_end: bool | None = None, animate: bool = False) -> "WrappingLog":
        # (before the size is known RichLog defers the write, then writes it again through
        # here: it is kept then, once)
        if not self._rewrapping and self._size_known:
            self._written.append((content.copy() if isinstance(content, Text) else content, width, expand, shrink))
            self._wrapped_at = self.scrollable_content_region.width
            if not self._shown(content):
                return self
        return super().write(content, width, expand, shrink, scroll_end, animate)

    def _shown(self, content: Any) -> bool:
        if self.pattern is None:
            return True
        return bool(self.pattern.search(content.plain if isinstance(content, Text) else str(content)))

    def set_pattern(self, pattern: re.Pattern | None) -> None:
        """Show only the lines `pattern` finds (None: all of them), from what was written."""
        if pattern == self.pattern:
            return
        self.pattern = pattern
        self._rewrap(force=True)

    def clear(self) -> "WrappingLog":
        if not self._rewrapping:
            self._written.clear()
        return super().clear()

    def on_resize(self, event: Resize) -> None:
        self.call_after_refresh(self._rewrap)

    def watch_show_vertical_scrollbar(self, shown: bool) -> None:
        """The scrollbar came or went: the lines' width changed."""
        self.call_after_refresh(self._rewrap)

    def _rewrap(self, force: bool = False) -> None:
        width = self.scrollable_content_region.width
        if not self._size_known or width <= 0 or (width == self._wrapped_at and not force) or not self._written:
            self._wrapped_at = width if self._size_known else self._wrapped_at
            return
        at_end = self.is_vertical_scroll_end
        self._rewrapping = True
        try:
            super().clear()
            for content, w, expand, shrink in self._written:
                if self._shown(content):
                    super().write(content, w, expand, shrink, scroll_end=False)
        finally:
            self._rewrapping = False
        self._wrapped_at = width
        if at_end:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
