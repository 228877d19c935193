"""Quitting while a save is being applied: the watcher (or a retry timer) may hand over a
change after the screen is gone. Seen in a full test run: the manifest watcher's reload
queried the error bar of a screen already closed, and the app ended in a traceback
(`NoMatches: No nodes match 'ErrorBar'`). A reload then does nothing."""
from __future__ import annotations

from tests.helpers import SAMPLES
from tui.app import SvcflowApp


async def test_a_reload_after_quitting_does_nothing(tmp_path):
    app = SvcflowApp([str(SAMPLES)], watch=False, deterministic=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
    assert not app.is_running
    app.reload_manifests()  # (what the watcher did: no traceback, nothing shown anywhere)
    assert app.workspace.cluster.store.get("Service", "default", "redis") is not None
