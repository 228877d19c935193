"""A pane: a bordered box of the dashboard that owns what it shows.

Each pane keeps the version of what it last showed and, on `ClusterChanged`, redraws
only when what it would show now differs. A pane whose redraw is slow (kube-proxy's
470,000 lines at 10,000 Services) is redrawn by the clock's ticks at most once per
SLOW_PANE_SPACING times its cost; saves and keys still redraw it at once.
"""
from __future__ import annotations

import time

from textual.containers import Vertical
from textual.widget import Widget

from tui.messages import ClusterChanged

#: A pane whose redraw took longer than this is a slow pane (see the module docstring).
SLOW_PANE = 0.03
SLOW_PANE_SPACING = 8


class Pane(Vertical):
    """One pane of the grid (or the stage). Subclasses say what their content depends
    on (`version`) and how to show it (`redraw`)."""

    #: The border title, in English (the app translates it).
    TITLE = ""

    def __init__(self, *children: Widget, id: str, classes: str = "") -> None:
        super().__init__(*children, id=id, classes=f"pane {classes}".strip())
        self.shown: tuple | None = None  # (cluster, version) last shown
        self.cost: tuple[float, float] = (0.0, 0.0)  # (seconds the last redraw took, when it finished)
        self.deferred = False  # a slow redraw was put off: the next tick catches up
        self.wanted: object = None  # the version asked for by the last ClusterChanged

    # -- what subclasses say ------------------------------------------------------------
    def version(self, event: ClusterChanged) -> object:
        """What the pane's content depends on; None for a pane the cluster does not drive."""
        return None

    def redraw(self, event: ClusterChanged) -> None:
        """Show the cluster as `event` sees it."""

    def is_slow(self) -> bool:
        return self.cost[0] > SLOW_PANE

    def may_wait(self, event: ClusterChanged) -> bool:
        """True when this redraw may be put off: the pane is slow and was redrawn lately,
        and the change comes from a tick or a new filter rather than a key or a save."""
        cost, done = self.cost
        return (event.throttle or event.refilter) and cost > SLOW_PANE \
            and time.perf_counter() - done < cost * SLOW_PANE_SPACING

    # -- the message ----------------------------------------------------------------------
    def on_cluster_changed(self, event: ClusterChanged) -> None:
        self.catch_up(event)

    def catch_up(self, event: ClusterChanged) -> float | None:
        """Redraw if what the pane would show changed; the seconds it took, or None when
        it did not redraw (nothing changed, or a slow pane waits for a later tick)."""
        self.deferred = False
        self.wanted = self.version(event)
        want = (event.cluster, self.wanted)
        if want[1] is None or self.shown == want:
            return None
        if self.may_wait(event):
            self.deferred = True
            return None
        start = time.perf_counter()
        self.redraw(event)
        spent = time.perf_counter() - start
        self.shown = want
        self.cost = (spent, time.perf_counter())
        return spent

    @staticmethod
    def of(widget: Widget | None) -> "Pane | None":
        """The pane a widget sits in, if any (the prompt and pop-ups sit in none)."""
        node = widget
        while node is not None and not isinstance(node, Pane):
            node = node.parent
        return node
