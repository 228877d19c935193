"""The dashboard's chains of one-shot timers (the engine's catch-up after each budget, the
tour's typing) use timers that always fire: Textual's `set_timer` ends without calling back
when its own clock says the delay had passed by its first look (`skip`), which a garbage
collection or another thread's turn with the GIL can make happen; one lost callback stopped
the engine mid-attach for good on a loaded machine."""
from __future__ import annotations

import asyncio
import itertools

from textual import _time
from textual.app import App

from tui.timers import call_after


class Quiet(App):
    pass


async def test_a_late_textual_timer_is_skipped_and_call_after_is_not(monkeypatch):
    app = Quiet()
    async with app.run_test() as pilot:
        fired: list[str] = []
        ticks = itertools.count()
        # A clock that moves 10 ms each time it is read: as if the timer's task was held up
        # between two of its lines for longer than its 1 ms delay.
        monkeypatch.setattr(_time, "get_time", lambda: next(ticks) * 0.01)
        app.set_timer(0.001, lambda: fired.append("set_timer"))
        call_after(app, 0.001, lambda: fired.append("call_after"))
        await asyncio.sleep(0.05)
        await pilot.pause()
        monkeypatch.undo()
        assert fired == ["call_after"]  # (Textual's skipped its only tick: no callback, ever)


async def test_call_after_runs_on_the_message_pump_and_not_after_it_closed():
    app = Quiet()
    seen: list[bool] = []
    async with app.run_test() as pilot:
        call_after(app, 0.001, lambda: seen.append(app.is_running))
        await asyncio.sleep(0.02)
        await pilot.pause()
        assert seen == [True]
        call_after(app, 0.05, lambda: seen.append(False))
    await asyncio.sleep(0.1)
    assert seen == [True]  # (the app had shut down: nothing ran on it)
