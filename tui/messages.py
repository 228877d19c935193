"""The dashboard's messages: what the app tells its panes.

There is one, `ClusterChanged`: the store moved, or what the user looks at did (the
namespace, the `/` filter, the node or the proxy mode shown). Each pane compares what
it would show now with the version it last showed and redraws itself only when they
differ (`tui.panes.base.Pane`), so a change to one Service at 10,000 Services does not
rebuild the 230,000 DNS rows or re-split 470,000 rule lines.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from textual.message import Message

from engine.cluster.cluster import Cluster


@dataclass(frozen=True)
class Viewpoint:
    """What the user chose to look at: a change here is a change for every pane, as a
    change in the store is (no pane needs to be forced to redraw)."""

    cluster: Cluster
    namespace: str | None
    pattern: re.Pattern | None
    node: str
    mode: str

    def key(self) -> tuple:
        return (self.cluster, self.namespace, self.pattern, self.node, self.mode)


class ClusterChanged(Message, bubble=False):
    """The cluster (or the viewpoint) changed: every pane brings itself up to date.

    ``flash``: rows that changed flash (not on the first paint). ``throttle``: a pane that
    is slow to rebuild may wait for a later tick (the clock's ticks, a save). ``refilter``:
    a new filter, applied at once to the rows a slow pane already has; its rebuild waits
    for a later tick."""

    def __init__(self, view: Viewpoint, *, flash: bool = True, throttle: bool = False,
                 refilter: bool = False) -> None:
        super().__init__()
        self.view = view
        self.flash = flash
        self.throttle = throttle
        self.refilter = refilter

    @property
    def cluster(self) -> Cluster:
        return self.view.cluster
