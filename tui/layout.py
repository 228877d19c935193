"""The projector layouts: the grid (every pane at once), the stage (the focused pane
large, the others a line each) and the zoom (one pane on the whole screen).

A layout is a class on the app (`-stage`, `-zoomed`) and on the panes (`-staged`,
`-zoom`); app.tcss does the rest. The stage and the zoom follow the focus.
"""
from __future__ import annotations

from textual.app import App
from textual.widget import Widget

from tui.panes import Pane

#: Below this many rows the dashboard starts in the stage layout (one pane large, the
#: others a line each): a projector's big font leaves 100x30, where a 3x2 grid of panes
#: shows two DNS names and five cut rules.
STAGE_BELOW_ROWS = 40


def apply_layout(app: App, stage: bool | None) -> None:
    """Grid or stage: the stage when the screen is short, unless `stage` says (`g` chose)."""
    app.set_class(app.size.height < STAGE_BELOW_ROWS if stage is None else stage, "-stage")


def follow_focus(app: App, widget: Widget) -> None:
    """The pane holding the focus becomes the large one (the prompt and pop-ups do not
    move the stage), and the zoomed one while zoomed."""
    pane = Pane.of(widget)
    if pane is None or pane.has_class("-staged"):
        return
    for other in app.query(".pane.-staged"):
        other.remove_class("-staged")
    pane.add_class("-staged")
    if app.has_class("-zoomed"):
        for other in app.query(".pane.-zoom"):
            other.remove_class("-zoom")
        pane.add_class("-zoom")


def toggle_zoom(app: App) -> None:
    """The focused pane takes the whole screen; again gives the others back."""
    if app.has_class("-zoomed"):
        app.remove_class("-zoomed")
        for pane in app.query(".pane.-zoom"):
            pane.remove_class("-zoom")
        return
    pane = Pane.of(app.focused) or next(iter(app.query(".pane.-staged")), None)
    if pane is None:
        return
    pane.add_class("-zoom")
    app.add_class("-zoomed")
