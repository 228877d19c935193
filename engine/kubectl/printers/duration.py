"""AGE-style durations exactly as apimachinery's `util/duration` prints them.

kubectl recomputes every AGE cell from `creationTimestamp` at request time, so the
simulator must round the same way Go does: everything works on whole nanoseconds and
truncates toward zero (`int(d.Seconds())`, `d / time.Minute`), never rounds.
"""
from __future__ import annotations

import functools
from datetime import datetime, timedelta, timezone

_NS = 1_000_000_000
_MINUTE = 60
_HOUR = 60 * _MINUTE
_DAY = 24 * _HOUR
_YEAR_HOURS = 24 * 365


def _trunc_div(a: int, b: int) -> int:
    """Go integer division (truncates toward zero), unlike Python's floor `//`."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def _to_nanos(seconds: float | timedelta) -> int:
    """A Go time.Duration is an int64 of nanoseconds; get there before any arithmetic
    (exactly, for a timedelta, so millisecond boundaries never round the wrong way)."""
    if isinstance(seconds, timedelta):
        return ((seconds.days * 86_400 + seconds.seconds) * 1_000_000
                + seconds.microseconds) * 1_000
    return int(round(seconds * _NS))


def human_duration(seconds: float | timedelta) -> str:
    """HumanDuration: ~2-3 significant figures, as in every `kubectl get` AGE column.

    `seconds` may be negative (clock skew): down to -1.999s prints `0s`, below that
    `<invalid>`, matching upstream's tolerance of two seconds of skew.
    """
    ns = _to_nanos(seconds)
    s = _trunc_div(ns, _NS)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 2 * _MINUTE:
        return f"{s}s"
    minutes = s // _MINUTE
    if minutes < 10:
        rem = s % _MINUTE
        return f"{minutes}m" if rem == 0 else f"{minutes}m{rem}s"
    if minutes < 3 * 60:
        return f"{minutes}m"
    hours = s // _HOUR
    if hours < 8:
        rem = minutes % 60
        return f"{hours}h" if rem == 0 else f"{hours}h{rem}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rem = hours % 24
        return f"{hours // 24}d" if rem == 0 else f"{hours // 24}d{rem}h"
    if hours < 2 * _YEAR_HOURS:
        return f"{hours // 24}d"
    if hours < 8 * _YEAR_HOURS:
        years, days = hours // _YEAR_HOURS, (hours // 24) % 365
        return f"{years}y" if days == 0 else f"{years}y{days}d"
    return f"{hours // _YEAR_HOURS}y"


def short_human_duration(seconds: float | timedelta) -> str:
    """ShortHumanDuration: one unit only (`59s`, `1m`, `1h`, `1d`, `1y`), used by some
    describe/event contexts where HumanDuration would be too wide."""
    ns = _to_nanos(seconds)
    s = _trunc_div(ns, _NS)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < _MINUTE:
        return f"{s}s"
    if s < _HOUR:
        return f"{s // _MINUTE}m"
    hours = s // _HOUR
    if hours < 24:
        return f"{hours}h"
    if hours < _YEAR_HOURS:
        return f"{hours // 24}d"
    return f"{hours // _YEAR_HOURS}y"


@functools.lru_cache(maxsize=4096)
def parse_timestamp(value: str) -> datetime:
    """Parse an RFC3339 API timestamp (`2025-06-01T10:00:00Z`, fractions or offsets
    allowed) into an aware UTC datetime. Cached: a table of 100,000 pods holds a few
    hundred distinct creation seconds (datetimes are immutable, so sharing them is safe)."""
    dt = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt


def _aware(now: datetime) -> datetime:
    """The simulator's clock may hand out naive datetimes; those are UTC by convention."""
    return now if now.tzinfo is not None else now.replace(tzinfo=timezone.utc)


def since(timestamp: str | None, now: datetime) -> str:
    """translateTimestampSince: HumanDuration(now - timestamp), `<unknown>` when the
    timestamp is unset (upstream's IsZero check)."""
    if not timestamp:
        return "<unknown>"
    return human_duration(_aware(now) - parse_timestamp(timestamp))
