"""Screenshots a speaker pastes on a slide: words whole in the SVG (a converter without the
SVG's font placed each compositor-cut piece apart: `KUBE-S VC-...`), F2 saving one in the
working folder, and the flow diagram spread over a tall screen."""
from __future__ import annotations

import html
import re

from tests.helpers import SAMPLES
from tui.app import SvcflowApp
from tui.cli import main
from tui.widgets.flow_diagram import show

TEXT = re.compile(r"<text [^>]*>([^<]*)</text>")
WATCH = re.compile(r"│ watch(?!es)")  # the label on the line down from ② (not ①'s `watches`)


def _texts(svg: str) -> list[str]:
    return [html.unescape(t).replace("\xa0", " ") for t in TEXT.findall(svg)]


def test_screenshot_keeps_chain_and_node_names_in_one_text_element(tmp_path):
    out = tmp_path / "flow.svg"
    assert main(["screenshot", "-f", str(SAMPLES), "--focus", "flow", "--size", "160x48", "-o", str(out)]) == 0
    texts = _texts(out.read_text())
    # the diagram's last beat (redis's record) after step 3 on each of the three nodes
    chains = [m for t in texts for m in re.findall(r"KUBE-SVC-[A-Z0-9]{16}", t)]
    assert len(chains) == 3 and len(set(chains)) == 1
    for node in ("kind-control-plane", "kind-worker", "kind-worker2"):
        assert any(f"③ {node} " in t for t in texts), node
    # no element ends inside a word that the next one (same row, same style) continues
    assert not any(re.fullmatch(r"[A-Za-z0-9-]*[A-Za-z0-9]", t) and len(t) == 1 for t in texts)


def test_screenshot_spaces_are_kept_by_a_converter_that_collapses_white_space(tmp_path):
    """A `kubectl describe` in the zoomed terminal keeps its indentation and columns on the
    PNG: rsvg-convert collapses leading and repeated spaces (even non-breaking ones) unless
    the document asks it to preserve them."""
    out = tmp_path / "pods.svg"
    assert main(["screenshot", "-f", str(SAMPLES), "--size", "100x30", "-o", str(out)]) == 0
    svg = out.read_text()
    root = re.search(r"<svg [^>]*>", svg)
    assert root is not None and 'xml:space="preserve"' in root.group(0)
    assert any(re.search(r"^ +\S|\S {2,}", t) for t in _texts(svg))  # (runs of spaces are in the text itself)


async def test_f2_saves_the_screen_in_the_working_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = SvcflowApp([str(SAMPLES)], deterministic=True, watch=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("f2")
        await pilot.pause()
    saved = list(tmp_path.glob("svcflow_*.svg"))
    assert len(saved) == 1
    texts = _texts(saved[0].read_text())
    assert any("redis" in t for t in texts)


def _watch_row(rows: list[str]) -> int:
    """The row of the `watch` label on the line down from ② (the lowest one: the first
    arrow's label sits beside the Service box's border higher up)."""
    return max(i for i, r in enumerate(rows) if WATCH.search(r))


async def _diagram_rows(size: tuple[int, int], step: int) -> list[str]:
    app = SvcflowApp([str(SAMPLES)], deterministic=True, watch=False)
    async with app.run_test(size=size) as pilot:
        view = show(app)
        await pilot.pause()
        assert view.diagram.seek_story("default/redis", step)
        await pilot.pause()
        return view.diagram.render().plain.split("\n")


async def test_tall_screen_spreads_the_figure_and_names_each_endpoint_chain():
    rows = await _diagram_rows((160, 48), 3)
    used = [i for i, r in enumerate(rows) if r.strip()]
    # title on the first row; the figure's last line (the beats' trail) in the lower half
    assert used[0] == 0 and used[-1] >= len(rows) // 2
    assert any(re.search(r"→ KUBE-SEP-[A-Z0-9]{16}", r) for r in rows)
    # the watch line from ② runs unbroken down to kube-proxy's arrow
    top = _watch_row(rows)
    col = [m.start() for m in WATCH.finditer(rows[top])][-1]
    bottom = next(i for i, r in enumerate(rows) if i > top and r[col] != "│")
    assert rows[bottom][col] in "┴┼╯╰─" and bottom - top >= 4


async def test_projector_screen_keeps_its_compact_figure():
    rows = await _diagram_rows((100, 30), 3)
    top = _watch_row(rows)
    assert rows[top + 1].strip().startswith("◀")  # the arrow to kube-proxy right under the label
