"""`S` down to 0 takes the pod's row away, and the next `s` then scales the Deployment of the
row selected next (tester3 #15): the line says so, and how to bring the Deployment back."""
from __future__ import annotations

from tests.helpers import SAMPLES, terminal_text
from tui.app import SvcflowApp
from tui.widgets.resource_table import ResourceTable


async def test_scaling_a_deployment_to_zero_says_how_to_bring_it_back():
    app = SvcflowApp([str(SAMPLES)], watch=False, deterministic=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        table = app.query_one("#pods-table", ResourceTable)
        table.focus()
        for row in range(table.row_count):  # the counter pod's row
            table.move_cursor(row=row)
            if (table.selected_key or "").startswith("default/counter-"):
                break
        await pilot.pause()
        await pilot.press("S")
        await pilot.pause()
        text = terminal_text(app)
        assert 'deployment.apps/counter scaled' in text
        assert ("counter has no pods now: s scales the Deployment of the pod selected; :kubectl scale "
                "deploy/counter --replicas=1 brings it back") in " ".join(text.split())
