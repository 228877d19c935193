"""A pod's QoS class (`status.qosClass`), as kube-apiserver sets it when the pod is created
(pkg/apis/core/helper/qos ComputePodQOS; the PodLevelResources gate is off in v1.33).

Only cpu and memory count, and only quantities above zero. The requests and limits of the
app and init containers are summed per resource; the pod is Guaranteed when every container
limits both cpu and memory and the summed requests equal the summed limits (requests left
out were defaulted from the limits already, SetDefaults_Pod), BestEffort when nothing is
requested or limited, else Burstable.
"""
from __future__ import annotations

import re
from fractions import Fraction

_COMPUTE = ("cpu", "memory")
_BIN = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DEC = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_QUANTITY = re.compile(r"([+-]?)(\d+\.?\d*|\.\d+)(.*)")


def quantity_value(raw: object) -> Fraction | None:
    """A resource.Quantity's exact value (`100m` -> 1/10, `64Mi` -> 67108864); None if malformed."""
    m = _QUANTITY.fullmatch(str(raw).strip())
    if m is None:
        return None
    num, suffix = Fraction(m.group(2)), m.group(3)
    if suffix in _BIN:
        value = num * 2 ** _BIN[suffix]
    elif suffix in _DEC:
        value = num * Fraction(10) ** _DEC[suffix]
    elif re.fullmatch(r"[eE][+-]?\d+", suffix):
        value = num * Fraction(10) ** int(suffix[1:])
    else:
        return None
    return -value if m.group(1) == "-" else value


def _positive(resources: object) -> dict[str, Fraction]:
    out: dict[str, Fraction] = {}
    if isinstance(resources, dict):
        for name in _COMPUTE:
            v = quantity_value(resources[name]) if name in resources else None
            if v is not None and v > 0:
                out[name] = v
    return out


def pod_qos_class(pod: dict) -> str:
    """Guaranteed, Burstable or BestEffort, from the pod's (defaulted) spec."""
    spec = pod.get("spec") if isinstance(pod.get("spec"), dict) else {}
    requests: dict[str, Fraction] = {}
    limits: dict[str, Fraction] = {}
    guaranteed = True
    for key in ("containers", "initContainers"):
        for c in spec.get(key) or []:
            res = (c.get("resources") if isinstance(c, dict) else None) or {}
            if not isinstance(res, dict):
                res = {}
            for name, v in _positive(res.get("requests")).items():
                requests[name] = requests.get(name, 0) + v
            found = _positive(res.get("limits"))
            for name, v in found.items():
                limits[name] = limits.get(name, 0) + v
            if not set(_COMPUTE) <= set(found):
                guaranteed = False
    if not requests and not limits:
        return "BestEffort"
    if guaranteed and len(requests) == len(limits) and all(limits.get(n) == v for n, v in requests.items()):
        return "Guaranteed"
    return "Burstable"
