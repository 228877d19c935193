"""Hardening: names and values that look like Rich/Textual markup or terminal escape sequences are
shown literally everywhere in the dashboard - never rendered, never sent to the terminal, never
a crash (an unbalanced `[/]` or a bad `[link=...]` raises in Textual's markup parser)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.geometry import Region

from tests.helpers import SAMPLES
from tui.app import SvcflowApp
from tui.safe_text import literal, visible
from tui.widgets.text_view import TextView

SIZE = (160, 48)
ESC = "\x1b"

EVIL_DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: evil
  annotations:
    note: "[bold]x[/] [link=http://e.example]l[/link] \\e[31mRED \\e]0;title\\a"
spec:
  replicas: 1
  selector: {matchLabels: {app: evil}}
  template:
    metadata:
      labels: {app: evil}
      annotations: {note: "[bold]x[/] [link=http://e.example]l[/link] \\e[31mRED"}
    spec:
      containers:
      - name: c
        image: "[bold red]img[/] \\e[2J"
        env:
        - {name: X, value: "[/]"}
"""


def rendered(widget) -> str:
    """What the widget draws, as text (one line per row)."""
    w, h = widget.size
    return "\n".join(strip.text for strip in widget.render_lines(Region(0, 0, w, h)))


def content(static) -> str:
    """All of a Static's text after markup processing (the bar shows only its first lines)."""
    return static.render().plain


@pytest.fixture
def evil(tmp_path, monkeypatch) -> Path:
    d = tmp_path / "demo"
    shutil.copytree(SAMPLES, d)
    (d / "evil.yaml").write_text(EVIL_DEPLOY)
    (d / "[b]bad[link=x].yaml").write_text(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: '[bold]x[/]'\nspec:\n  ports: [{port: 80}]\n")
    (d / "k[red].yaml").write_text("apiVersion: v1\nkind: Servic[/]\nmetadata:\n  name: x\n")
    (d / "esc.yaml").write_text('apiVersion: v1\nkind: "Ser\\e[31mvice"\nmetadata:\n  name: z\n')
    (d / "node.yaml").write_text('apiVersion: v1\nkind: Node\nmetadata:\n  name: "[b]kind-node[/]\\e[31m"\n')
    monkeypatch.chdir(tmp_path)
    return Path("demo")


def test_literal_text_spells_out_control_characters_and_keeps_brackets():
    assert visible("a\x1b[31mb\x07\x7f\x9b") == "a^[[31mb^G^?\\x9b"
    t = literal("[bold]x[/] \x1b]0;t\x07")
    assert t.plain == "[bold]x[/] ^[]0;t^G" and not t.spans


async def test_markup_and_escapes_in_manifests_are_shown_literally_everywhere(evil):
    app = SvcflowApp([str(evil)], deterministic=True, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert ESC not in rendered(app.query_one("#errors"))
        # The bar keeps to its rows (whole messages, the rest counted); f1 shows every one,
        # literally too.
        assert content(app.query_one("#errors")).endswith("(f1 shows them all)")
        await pilot.press("f1")
        await pilot.pause()
        errors = app.screen.query_one(TextView)
        assert ESC not in rendered(errors)
        bar = " ".join(" ".join(errors.lines).split())  # (its lines are wrapped at spaces)
        await pilot.press("escape")
        await pilot.pause()
        assert "demo/[b]bad[link=x].yaml:4" in bar
        assert 'The Service "[bold]x[/]" is invalid' in bar
        assert "regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?'" in bar
        assert "demo/k[red].yaml" in bar and 'kind "Servic[/]"' in bar
        assert 'kind "Ser\\x1b[31mvice"' in bar  # Go's %q of the kind, never the raw ESC
        # a Node with such a name is refused by the API server instead of naming a simulated node
        assert 'The Node "[b]kind-node[/]\\x1b[31m" is invalid' in bar
        assert "kind-node" not in rendered(app.query_one("#cluster-header"))
        everything = "\n".join(rendered(w) for w in app.query("*") if w.size.area and w.display)
        assert ESC not in everything

        # describe / YAML views of the object with hostile values
        table = app.query_one("#pods-table")
        table.focus()
        key = next(k for k in table._rows if "evil" in k)
        table.move_cursor(row=table.get_row_index(key))
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()
        view = app.screen.query_one(TextView)
        assert ESC not in rendered(view)
        shown = "\n".join(view.lines)
        assert "[bold]x[/] [link=http://e.example]l[/link] ^[[31mRED" in shown
        assert "[bold red]img[/] ^[[2J" in shown
        assert ESC not in shown
        await pilot.press("escape")
        await pilot.pause()

        # the status line and the terminal pane echo commands and their output literally
        for cmd in ("kubectl get svc [bold]xy", "kubectl get svc [link=http:x]l", "kubectl get [red]pods"):
            app.run_command(cmd)
            await pilot.pause()
        status = rendered(app.query_one("#status-line"))
        assert '"[red]pods"' in status
        log = "\n".join(s.text for s in app.query_one("#terminal-log").lines)
        assert 'services "[bold]xy" not found' in log and 'services "[link=http:x]l" not found' in log
        assert app.return_code is None  # still running: nothing raised


async def test_a_reload_error_with_markup_replaces_the_bar_literally(evil):
    app = SvcflowApp([str(evil)], deterministic=True, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for f in evil.glob("*"):
            if f.name not in {p.name for p in SAMPLES.iterdir()}:
                f.unlink()
        (evil / "[x].yaml").write_text("apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n   b: [/]\n")
        app.reload_manifests()
        await pilot.pause()
        bar = " ".join(rendered(app.query_one("#errors")).split())
        assert bar.startswith("demo/[x].yaml:5: error: error parsing demo/[x].yaml: error converting YAML to JSON:")
