"""The flow player's last timer may fire while the app shuts down (its panes and status line
already gone): a bulk change's skip notice then says nothing instead of ending the app in a
NoMatches traceback (seen once in CI, in the tour's step 10 of 5,000 Services)."""
from __future__ import annotations

from textual.css.query import NoMatches

from tui.flow_player import MAX_QUEUED_FLOW, FlowPlayer


class _GoneApp:
    booting = False

    def tr(self, text: str) -> str:
        return text

    def query_one(self, *_a, **_k):
        raise NoMatches("No nodes match 'StatusLine' on Screen(id='_default')")


def test_a_bulk_changes_last_timer_during_shutdown_plays_nothing_and_raises_nothing():
    player = FlowPlayer(_GoneApp())  # type: ignore[arg-type]
    player.queue.extend(range(MAX_QUEUED_FLOW + 20))  # type: ignore[arg-type]
    player.play()
    assert len(player.queue) == 8  # (the bulk change's last steps kept for later turns)
