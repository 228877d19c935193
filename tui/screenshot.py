"""SVG screenshots (F2, `svcflow screenshot`) that survive the converter a speaker uses.

Textual's exporter writes one `<text>` per segment the compositor cut, and it cuts at every
widget edge under the one on top (the flow diagram lies over the panes), even mid-word. A
converter without the SVG's font (rsvg-convert with no Fira Code installed) places each
piece at its own x in a font of another width, so `KUBE-SVC-...` came out as `KUBE-S VC-...`
on a slide. Segments of one style are therefore joined first (Textual's `simplify`): a
word is one `<text>` and stays whole in any monospace font.

A joined run keeps its leading and repeated spaces (`&#160;`) only where the converter does
not collapse them: rsvg-convert treats them as collapsible white space (a `kubectl describe`
in the terminal pane lost its indentation and its column alignment on the PNG), so the
document says `xml:space="preserve"`, which every SVG renderer honours (browsers already
keep non-breaking spaces).
"""
from __future__ import annotations

import os
from datetime import datetime

from textual.app import App

TITLE = "svcflow"


def screenshot_svg(app: App) -> str:
    """The screen now, as an SVG whose runs of one style are single `<text>` elements."""
    svg = app.export_screenshot(title=TITLE, simplify=True)
    return svg.replace("<svg ", '<svg xml:space="preserve" ', 1)


def save_screenshot_svg(app: App, folder: str = ".") -> str:
    """Write the screen to `svcflow_<date>T<time>.svg` in `folder`; the path written."""
    name = f"{TITLE}_{datetime.now().strftime('%Y-%m-%dT%H_%M_%S_%f')}.svg"
    path = os.path.join(folder, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(screenshot_svg(app))
    return path
