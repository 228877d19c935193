"""Go's time.ParseDuration, with its error words: what pflag's DurationVar reads a flag
(`kubectl rollout status --timeout=2m30s`) with, and refuses (`time: missing unit in duration
"5"`) before the command runs; and what CoreDNS reads a Corefile's durations with (`reload
30s`: engine.dns.corefile). It lives low (engine.api) so both layers share this one parser."""
from __future__ import annotations

import re

from engine.api.gostrconv import go_quote

#: time's unitMap, in seconds.
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_NUMBER = re.compile(r"([0-9]*)(?:\.([0-9]*))?")
_UNIT = re.compile(r"[^0-9.]*")


class DurationError(ValueError):
    """time.ParseDuration's error; its message is Go's."""


def parse_go_duration(text: str) -> float:
    """Seconds: `300ms`, `1.5h`, `2h45m`, `-1s`; a bare `0` is the one number without a unit."""
    orig, rest, negative = text, text, False
    if rest[:1] in ("-", "+"):
        negative, rest = rest[0] == "-", rest[1:]
    if rest == "0":
        return 0.0
    if not rest:
        raise DurationError(f"time: invalid duration {go_quote(orig)}")
    total = 0.0
    while rest:
        m = _NUMBER.match(rest)
        whole, frac = m.group(1), m.group(2)  # type: ignore[union-attr]
        if not whole and not frac:  # (neither digits before nor after a '.')
            raise DurationError(f"time: invalid duration {go_quote(orig)}")
        rest = rest[m.end():]  # type: ignore[union-attr]
        unit = _UNIT.match(rest).group(0)  # type: ignore[union-attr]
        if not unit:
            raise DurationError(f"time: missing unit in duration {go_quote(orig)}")
        if unit not in _UNITS:
            raise DurationError(f"time: unknown unit {go_quote(unit)} in duration {go_quote(orig)}")
        rest = rest[len(unit):]
        total += float(f"{whole or '0'}.{frac or '0'}") * _UNITS[unit]
    return -total if negative else total
