"""Modal screens: a scrollable text view (describe, YAML, command output) and help."""
from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.widgets.text_view import TextView


class TextScreen(ModalScreen):
    """Full-screen text, dismissed with esc or q (k9s' describe/yaml views)."""

    # `:` and `/` open the dashboard's prompt (the pop-up goes): a command typed over a
    # describe is run, not swallowed by the modal screen, which hides the app's keys.
    BINDINGS = [Binding("escape,q", "dismiss", "Back"), Binding("colon", "app.prompt", "Command"),
                Binding("slash", "app.filter", "Filter")]
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
            v.border_subtitle = getattr(self.app, "tr", lambda s: s)("esc to go back")
            yield TextView(id="text-screen-view")

    def on_mount(self) -> None:
        view = self.query_one(TextView)
        view.set_lines(self.text.splitlines(), keep_scroll=False)
        view.focus()


#: How the help screen spells a binding's key names.
KEY_NAMES = {"question_mark": "?", "colon": ":", "slash": "/", "right_square_bracket": "]",
             "left_square_bracket": "[", "plus": "+", "minus": "-", "space": "space", "escape": "esc"}


def key_label(key: str) -> str:
    """`left_square_bracket,ctrl+e` -> `[, ctrl+e`: a binding's keys as the user types them."""
    return ", ".join(KEY_NAMES.get(k, k) for k in key.split(","))


class HelpScreen(ModalScreen):
    """The keys that work now, built as Text (never markup): a key such as `[` or a
    description with brackets is shown as written."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Back"), Binding("colon", "app.prompt", "Command"),
                Binding("slash", "app.filter", "Filter")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical { width: 70; height: auto; max-height: 90%; border: round $accent; background: $surface; padding: 0 1; }
    """

    def __init__(self, bindings, tr=lambda s: s) -> None:
        super().__init__()
        self.bindings_list = bindings
        self.tr = tr

    def compose(self) -> ComposeResult:
        tr = self.tr
        keys = [(key_label(b.key), tr(b.description)) for b in self.bindings_list if b.description]
        # Two columns when one would not fit the screen (a projector's 30 rows).
        half = (len(keys) + 1) // 2 if len(keys) + 8 > self.app.size.height else len(keys)
        # each column's keys as wide as its widest (`ctrl+q, ctrl+c` pushed its row out of line)
        widths = [max((cell_len(k) for k, _ in keys[c * half:(c + 1) * half]), default=0) for c in (0, 1)]
        text = Text()
        for i in range(half):
            if i:
                text.append("\n")
            for j, (key, description) in enumerate(keys[i::half][:2]):
                width = max(widths[j], 10) if half < len(keys) else max(widths[0], 18)
                text.append(key + " " * (width - cell_len(key)), style="bold")
                pad = " " * max(0, 22 - cell_len(description)) if half < len(keys) and not j else ""
                text.append(f" {description}{pad}")  # (padded by cells: Korean is two a character)
        for key, description in (("", ""), (":po :svc :ep :dns :proxy", tr("jump to a pane")),
                                 (":kubectl …", tr("get/describe/logs/scale/delete/exec…; --dry-run")),
                                 ("/", tr("filter every pane (regex; empty clears)")),
                                 ("tab, up, down", tr("Tab completes, Up/Down recall earlier commands"))):
            text.append("\n")
            text.append(f"{key:<18}", style="bold")
            text.append(f" {description}" if key else "")
        with Vertical() as v:
            v.border_title = tr("svcflow keys")
            yield Static(text)
