"""The `:` and `/` prompt: one Input with two modes, Tab completion and a history.

Tab is the prompt's own key while it is open: it completes the word under the cursor
(verbs, kinds, names the app offers) and never moves the focus, so the next letter is
typed rather than firing a dashboard hotkey. Up/Down walk the history, which is kept
across runs in a file (`history_path`), as a shell keeps its own.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterable

from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input

HISTORY_KEEP = 500


def history_path() -> Path:
    """`$SVCFLOW_HISTORY`, else `$XDG_STATE_HOME/svcflow/history` (~/.local/state/...)."""
    explicit = os.environ.get("SVCFLOW_HISTORY")
    if explicit:
        return Path(explicit)
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "svcflow" / "history"


class CommandPrompt(Input):
    """`:` runs a command, `/` sets the filter; the app reads `mode` on `Submitted`."""

    BINDINGS = [
        Binding("tab", "complete", "Complete", show=False, priority=True),
        Binding("up", "history(-1)", "Previous", show=False),
        Binding("down", "history(1)", "Next", show=False),
    ]

    class Candidates(Message):
        """Completions for the word being typed (the app shows them on the status line)."""

        def __init__(self, candidates: list[str]) -> None:
            super().__init__()
            self.candidates = candidates

    def __init__(self, complete: Callable[[str], Iterable[str]] | None = None, *,
                 persist: bool = True, placeholders: dict[str, str] | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.mode = "command"
        self.completer = complete
        self.persist = persist
        self.placeholders = placeholders or {}
        self.history: list[str] = self._load_history() if persist else []
        self._history_pos = len(self.history)
        self._cycle: tuple[str, list[str], int] | None = None  # (stem, candidates, index)

    # -- opening ---------------------------------------------------------------------------
    def open(self, mode: str) -> None:
        """Show the prompt empty in `mode` ("command" or "filter") and take the focus."""
        self.mode = mode
        self.value = ""
        self.placeholder = self.placeholders.get(mode, "")
        self._history_pos = len(self.history)
        self._cycle = None
        self.add_class("-visible")
        self.set_class(mode == "filter", "-filter")
        # At once, not as `focus()` does it (after the messages already queued): keys typed
        # right after `/` or `:` while the app was busy are queued already, and they belong
        # to the prompt, not to the dashboard's bindings.
        self.screen.set_focus(self)

    def close(self) -> None:
        self.remove_class("-visible")

    # -- completion ----------------------------------------------------------------------------
    def action_complete(self) -> None:
        """Complete the last word: the longest common prefix, then each candidate in turn."""
        if self.mode != "command" or self.completer is None:
            return
        text = self.value[: self.cursor_position]
        if self._cycle is not None and text == self._cycle_text():
            stem, cands, i = self._cycle
            i = (i + 1) % len(cands)
            self._cycle = (stem, cands, i)
            self._set(stem + cands[i] + " ")
            return
        head, _, word = text.rpartition(" ")
        stem = head + " " if head or text.startswith(" ") else ""
        cands = sorted({c for c in self.completer(text) if c.startswith(word)})
        self._cycle = None
        if not cands:
            return
        if len(cands) == 1:  # (a flag that takes a value waits for it: no space after `=`)
            self._set(stem + cands[0] + ("" if cands[0].endswith("=") else " "))
            return
        common = os.path.commonprefix(cands)
        self.post_message(self.Candidates(cands))
        if len(common) > len(word):
            self._set(stem + common)
        else:
            self._cycle = (stem, cands, 0)
            self._set(stem + cands[0] + " ")

    def _cycle_text(self) -> str:
        stem, cands, i = self._cycle  # type: ignore[misc]
        return stem + cands[i] + " "

    def _set(self, value: str) -> None:
        rest = self.value[self.cursor_position:]
        self.value = value + rest
        self.cursor_position = len(value)

    # -- history -------------------------------------------------------------------------------
    def action_history(self, step: int) -> None:
        if self.mode != "command" or not self.history:
            return
        self._history_pos = max(0, min(len(self.history), self._history_pos + step))
        self.value = self.history[self._history_pos] if self._history_pos < len(self.history) else ""
        self.cursor_position = len(self.value)

    def remember(self, line: str) -> None:
        """Add a line run from the prompt to the history (and its file)."""
        line = line.strip()
        if not line or (self.history and self.history[-1] == line):
            return
        self.history.append(line)
        del self.history[:-HISTORY_KEEP]
        self._history_pos = len(self.history)
        if not self.persist:
            return
        try:
            path = history_path()
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as f:
                f.write(line.replace("\n", " ") + "\n")
        except OSError:
            pass  # a read-only home must not stop the dashboard

    def _load_history(self) -> list[str]:
        try:
            lines = history_path().read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            return []
        return [line for line in lines if line.strip()][-HISTORY_KEEP:]
