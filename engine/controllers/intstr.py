"""intstr.GetScaledValueFromIntOrPercent: a rolling update's maxSurge / maxUnavailable, a
number or a percent of the replicas (or of the nodes that should run a DaemonSet's pod).

Validation has refused anything else before a controller reads the value (a string that is
not a percent, a negative number), so a number or a `N%` string is all that arrives here.
"""
from __future__ import annotations

import math


def scaled_value(value: int | str, total: int, round_up: bool) -> int:
    """The value as a count: a percent of `total`, rounded up (maxSurge, a DaemonSet's
    maxUnavailable) or down (a Deployment's maxUnavailable)."""
    if isinstance(value, str) and value.endswith("%"):
        scaled = int(value[:-1]) * total / 100
        return math.ceil(scaled) if round_up else math.floor(scaled)
    return int(value)
