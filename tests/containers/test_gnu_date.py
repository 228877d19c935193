"""Debian's `date -d` reads TIME with gnulib's parse-datetime grammar: relative items that
add up (`next week`, `2 days ago`, `+1 hour`, `last month`), days of the week (`next
monday`: its midnight), dates and times in any order (`tomorrow 10:00`, `Jan 2 2025 3pm`),
no date that does not exist (`2025-02-30`); busybox's date reads none of the words."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from engine.containers.gnudate import parse
from tests.helpers import pod_shell

NOW = datetime(2025, 6, 4, 15, 20, 30, tzinfo=timezone.utc)  # a Wednesday


@pytest.mark.parametrize(("text", "want"), [
    ("next week", NOW + timedelta(days=7)),
    ("last week", NOW - timedelta(days=7)),
    ("2 days ago", NOW - timedelta(days=2)),
    ("+1 hour", NOW + timedelta(hours=1)),
    ("1 day 2 hours ago", NOW + timedelta(days=1) - timedelta(hours=2)),  # (`ago` is the last item's)
    ("3 weeks", NOW + timedelta(weeks=3)),
    ("fortnight hence", NOW + timedelta(days=14)),
    ("tomorrow", NOW + timedelta(days=1)),
    ("now", NOW),
    ("tomorrow 10:00", datetime(2025, 6, 5, 10, 0, tzinfo=timezone.utc)),
    ("next monday", datetime(2025, 6, 9, tzinfo=timezone.utc)),  # (a day without a time: midnight)
    ("wednesday", datetime(2025, 6, 4, tzinfo=timezone.utc)),  # (today is one)
    ("next wed", datetime(2025, 6, 11, tzinfo=timezone.utc)),
    ("last friday", datetime(2025, 5, 30, tzinfo=timezone.utc)),
    ("last month", datetime(2025, 5, 4, 15, 20, 30, tzinfo=timezone.utc)),
    ("2025-01-31 +1 month", datetime(2025, 3, 3, tzinfo=timezone.utc)),  # (Feb 31 carries into March)
    ("Jan 2 2025 3pm", datetime(2025, 1, 2, 15, 0, tzinfo=timezone.utc)),
    ("2 Jan 2025", datetime(2025, 1, 2, tzinfo=timezone.utc)),
    ("1/2/25", datetime(2025, 1, 2, tzinfo=timezone.utc)),
    ("2025-01-02T10:30:00Z", datetime(2025, 1, 2, 10, 30, tzinfo=timezone.utc)),
    ("2025-01-02 10:30 +0200", datetime(2025, 1, 2, 8, 30, tzinfo=timezone.utc)),
    ("20250102", datetime(2025, 1, 2, tzinfo=timezone.utc)),
    ("10", datetime(2025, 6, 4, 10, 0, tzinfo=timezone.utc)),
    ("", datetime(2025, 6, 4, tzinfo=timezone.utc)),  # (empty is "0": today's midnight)
    ("12:00am", datetime(2025, 6, 4, 0, 0, tzinfo=timezone.utc)),
    ("@1700000000", datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc)),
    ("10:00 EST", datetime(2025, 6, 4, 15, 0, tzinfo=timezone.utc)),
    ("10:00 CEST", datetime(2025, 6, 4, 8, 0, tzinfo=timezone.utc)),
    ("x", datetime(2025, 6, 4, 11, 0, tzinfo=timezone.utc)),  # (one letter is a military zone: X is UTC-11)
    ("j", datetime(2025, 6, 4, tzinfo=timezone.utc)),
])
def test_gnu_date_reads_items(text, want):
    assert parse(text, NOW) == want


@pytest.mark.parametrize("text", ["2025-02-30", "25:00", "13pm", "next", "soon", "10:00 11:00", "monday friday",
                                  "2 days ago ago"])
def test_gnu_date_refuses(text):
    assert parse(text, NOW) is None


def test_in_the_pods(cluster):
    bash = pod_shell(cluster, "deploy/redis", "bash")
    now = cluster.now()
    assert bash.feed("date -d 'next week' +%F") == (now + timedelta(days=7)).strftime("%F\n")
    assert bash.feed("date -d '2025-03-31 -1 month' +%F") == "2025-03-03\n"
    assert bash.feed("date -d 2025-02-30; echo $?") == "date: invalid date '2025-02-30'\n1\n"
    sh = pod_shell(cluster, "deploy/counter")
    assert sh.feed("date -d 'next week'") == "date: invalid date 'next week'\n"
    assert sh.feed("date -d tomorrow") == "date: invalid date 'tomorrow'\n"
