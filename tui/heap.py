"""Keep CPython's full garbage collections short while the dashboard runs.

A full (generation 2) collection walks every container object that has survived
two younger ones: the cluster's objects, the panes' rows, their line caches. The
dashboard keeps allocating rows (a pane's AGE column is rebuilt every simulated
second), so full collections come about once a second, and with the samples' 1,000
pods each one froze the UI for ~100 ms -- a stall after every third key press.

`HeapKeeper` watches the collector (`gc.callbacks`): when a full collection took
longer than `SLOW_FULL_COLLECTION`, the heap it just cleaned is long-lived state,
and the next tick moves it to the permanent generation (`gc.freeze`). Later full
collections then walk only what was allocated since; they stay a few milliseconds
until the heap has grown again, and the keeper freezes again. Frozen objects are
still freed by reference counting when they go; only cyclic garbage created in the
moment between the collection and the freeze would outlive its cycle. The engine
freezes after big runs itself (`engine.controllers.base.no_cyclic_gc`); this covers
the clusters too small for that and the dashboard's own allocations.
"""
from __future__ import annotations

import gc
import time
from dataclasses import dataclass, field

SLOW_FULL_COLLECTION = 0.02  # seconds: a full collection slower than this freezes the heap


@dataclass
class HeapKeeper:
    """Freezes the heap after a slow full collection (see the module docstring)."""

    slow: float = SLOW_FULL_COLLECTION
    freezes: int = 0  # how many times it froze (for tests and the perf probe)
    _started: float = 0.0
    _due: bool = False
    _installed: bool = field(default=False, repr=False)

    def install(self) -> None:
        if not self._installed:
            gc.callbacks.append(self._on_gc)
            self._installed = True

    def uninstall(self) -> None:
        if self._installed:
            gc.callbacks.remove(self._on_gc)
            self._installed = False

    def _on_gc(self, phase: str, info: dict) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        elif time.perf_counter() - self._started > self.slow:
            self._due = True  # frozen on the next tick, outside the collector

    def tick(self) -> bool:
        """Freeze now if a slow full collection asked for it; True if it did."""
        if not self._due:
            return False
        self._due = False
        self.freeze()
        return True

    def freeze(self) -> None:
        """Move everything alive now out of the collector's reach (the dashboard also
        asks for this when it has just built a view of 100,000 rows, which lives on)."""
        gc.freeze()
        self.freezes += 1
