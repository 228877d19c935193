"""`kubectl logs --tail=N` keeps the last N lines, and all of them when the log is shorter
(tester4 #5: a tail longer than the log wrapped around and printed the wrong lines)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from engine.kubelet.logs import select
from engine.workloads.base import LogLine

T = datetime(2025, 6, 1, tzinfo=timezone.utc)
LOG = [LogLine(T, f"GET / 200 count={i}") for i in (1, 2, 3)]


@pytest.mark.parametrize("tail,want", [(0, []), (1, [3]), (2, [2, 3]), (3, [1, 2, 3]), (4, [1, 2, 3]), (5, [1, 2, 3]),
                                       (100, [1, 2, 3]), (None, [1, 2, 3])])
def test_tail_keeps_the_last_lines_and_never_wraps(tail, want):
    assert [ln.text for ln in select(LOG, tail=tail)] == [f"GET / 200 count={i}" for i in want]
