"""Modal screens: a scrollable text view (describe, YAML, command output) and help."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.widgets.text_view import TextView


class TextScreen(ModalScreen):
    """Full-screen text, dismissed with esc or q (k9s' describe/yaml views)."""

    BINDINGS = [Binding("escape,q", "dismiss", "Back")]
    DEFAULT_CSS = """
    TextScreen { align: center middle; }
    TextScreen > Vertical { width: 95%; height: 90%; border: round $accent; background: $surface; }
    """

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self.title_text = title
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical() as v:
            v.border_title = Text(self.title_text)  # literally: a typed command may hold `[`
            v.border_subtitle = "esc to go back"
            yield TextView(id="text-screen-view")

    def on_mount(self) -> None:
        view = self.query_one(TextView)
        view.set_lines(self.text.splitlines(), keep_scroll=False)
        view.focus()


class HelpScreen(ModalScreen):
    """The keys that work now."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Back")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical { width: 70; height: auto; max-height: 90%; border: round $accent; background: $surface; padding: 0 1; }
    """

    def __init__(self, bindings) -> None:
        super().__init__()
        self.bindings_list = bindings

    def compose(self) -> ComposeResult:
        rows = []
        for b in self.bindings_list:
            keys = b.key.replace("question_mark", "?").replace("colon", ":").replace("slash", "/")
            keys = keys.replace("right_square_bracket", "]").replace("left_square_bracket", "[")
            keys = keys.replace("plus", "+").replace("minus", "-")
            rows.append(f"[b]{keys:<18}[/b] {b.description}")
        rows.append("")
        rows.append("[b]:po :svc :ep :dns :proxy[/b]  jump to a pane")
        rows.append("[b]:kubectl …[/b]  get/describe/scale/delete/label/rollout restart/exec")
        with Vertical() as v:
            v.border_title = "svcflow keys"
            yield Static("\n".join(rows))
