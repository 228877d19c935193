"""Ctrl+C (tester4 #8): in the open `:` prompt it drops the typed line and closes the prompt, as
a shell's Ctrl+C does -- the dashboard, and the simulated cluster with it, stays; anywhere
else it quits, as k9s does."""
from __future__ import annotations

from tests.helpers import SAMPLES
from tui.app import SvcflowApp


async def test_ctrl_c_in_the_prompt_drops_the_line_and_elsewhere_quits():
    app = SvcflowApp([SAMPLES], watch=False, animate_flow=False, deterministic=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("colon", *"kubectl del", "ctrl+c")
        await pilot.pause()
        prompt = app.query_one("#prompt")
        assert app.is_running and not prompt.has_class("-visible")
        await pilot.press("colon")
        assert prompt.value == ""  # the dropped line is not kept
        await pilot.press("escape", "ctrl+c")
        await pilot.pause()
    assert app.return_code == 0 and not app.is_running
