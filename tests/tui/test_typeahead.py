"""Keys typed right after `/` or `:` go into the prompt, even when the app had no time to
move the focus in between (a tester at 10,000 Services: after `/`, the letters of a filter
ran as dashboard keys -- `g` switched the layout, `e` and `s` said the cluster was read-only)."""
from __future__ import annotations

import pytest
from textual import events

from tests.helpers import SAMPLES
from tui.app import SvcflowApp


@pytest.mark.parametrize("opener, mode", [("slash", "filter"), ("colon", "command")])
async def test_keys_queued_behind_the_opener_go_into_the_prompt(opener, mode):
    app = SvcflowApp([str(SAMPLES)], deterministic=True, watch=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        stage = app.has_class("-stage")
        char = "/" if opener == "slash" else ":"
        # (all queued at once, as keys typed while the app is busy are: none waits for the focus)
        for key, ch in [(opener, char), ("g", "g"), ("z", "z"), ("e", "e")]:
            app.post_message(events.Key(key, ch))
        await pilot.pause()
        prompt = app.query_one("#prompt")
        assert prompt.mode == mode and prompt.has_focus
        assert prompt.value == "gze"
        assert app.has_class("-stage") == stage and not app.has_class("-zoomed")  # (g and z did nothing)


async def test_slash_and_colon_are_characters_once_the_prompt_has_the_focus():
    app = SvcflowApp([str(SAMPLES)], deterministic=True, watch=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("colon", *"get", "space", *"deploy", "slash", "c", "colon", "x")
        await pilot.pause()
        prompt = app.query_one("#prompt")
        assert prompt.mode == "command" and prompt.value == "get deploy/c:x"
        await pilot.press("escape", "question_mark")  # a pop-up (help): `/` opens the filter over it, as before
        await pilot.pause()
        assert app.screen is not app.screen_stack[0]
        await pilot.press("slash", "x")
        await pilot.pause()
        assert app.screen is app.screen_stack[0] and prompt.has_focus and prompt.mode == "filter"
        assert prompt.value == "x"


async def test_a_command_at_an_absurd_size_runs_in_the_engines_slices():
    """`scale --replicas=100000` at the prompt made 100,000 pods in one call (the screen frozen
    ~20 s, the keys typed meanwhile waiting): what a command sets off runs a budget at once and
    the rest in the catch-up's slices, as the live dashboard runs everything else."""
    app = SvcflowApp([str(SAMPLES)], deterministic=False, watch=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.run_command("kubectl scale deploy/redis --replicas=3000")
        store = app.workspace.cluster.store
        assert app.driver.behind  # (the command returned after a budget: the rest is queued)
        for _ in range(600):
            await pilot.pause(0.05)
            if not app.driver.behind:
                break
        assert not app.driver.behind
        assert len([p for p in store.list("Pod", "default") if p["metadata"]["name"].startswith("redis-")]) == 3000
