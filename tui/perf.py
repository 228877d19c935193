"""The dashboard's own timing instrumentation (off unless asked for).

`EngineDriver.publish` (the app's `refresh_panes`) reports each refresh to the app's probe,
and asks Textual to call back after the next screen refresh, so a probe knows when a store
change reached the screen:

    app.perf_probe = PaneProbe()          # what benchmarks/dashboard_bench.py does
    SVCFLOW_PERF=1 svcflow samples/       # or: a probe that logs to $SVCFLOW_PERF_LOG

Times are `time.perf_counter()` seconds. A probe costs one callback per refresh.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field


@dataclass
class Refresh:
    """One `refresh_panes` call: when it ran, how long it took, what it showed."""

    start: float
    end: float
    resource_version: int
    changed: bool  # the store had changed, so the panes were recomputed
    painted: float | None = None  # the first screen refresh after it
    parts: dict[str, float] = field(default_factory=dict)  # pane -> seconds


class PaneProbe:
    def __init__(self, log_path: str | None = None) -> None:
        self.refreshes: list[Refresh] = []
        self.paints: list[float] = []
        self.log_path = log_path

    # -- called by the app ------------------------------------------------------------
    def refreshed(self, start: float, end: float, rv: int, changed: bool, parts: dict[str, float]) -> Refresh:
        r = Refresh(start, end, rv, changed, parts=parts)
        self.refreshes.append(r)
        if len(self.refreshes) > 10_000:
            del self.refreshes[:5_000]
        return r

    def painted(self, r: Refresh) -> None:
        now = time.perf_counter()
        if r.painted is None:
            r.painted = now
        self.paints.append(now)
        if len(self.paints) > 10_000:
            del self.paints[:5_000]
        if self.log_path and r.changed:
            with open(self.log_path, "a") as f:
                f.write(f"refresh rv={r.resource_version} {1000 * (r.end - r.start):.1f} ms, "
                        f"painted {1000 * (now - r.start):.1f} ms after start "
                        + " ".join(f"{k}={1000 * v:.1f}" for k, v in r.parts.items()) + "\n")

    # -- for harnesses --------------------------------------------------------------------
    def first_painted_after(self, t: float, *, changed_only: bool = True) -> Refresh | None:
        for r in self.refreshes:
            if r.start >= t and r.painted is not None and (r.changed or not changed_only):
                return r
        return None


def probe_for(app) -> PaneProbe | None:
    """The app's probe: the one a harness set, or one from $SVCFLOW_PERF."""
    probe = getattr(app, "perf_probe", None)
    if probe is None and os.environ.get("SVCFLOW_PERF"):
        probe = PaneProbe(os.environ.get("SVCFLOW_PERF_LOG") or "svcflow-perf.log")
        app.perf_probe = probe
    return probe
