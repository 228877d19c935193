"""A pod's QoS class (`status.qosClass`), as kube-apiserver sets it when the pod is created
(pkg/apis/core/helper/qos ComputePodQOS; the PodLevelResources gate is off in v1.33).

Only cpu and memory count, and only quantities above zero. The requests and limits of the
app and init containers are summed per resource; the pod is Guaranteed when every container
limits both cpu and memory and the summed requests equal the summed limits (requests left
out were defaulted from the limits already, SetDefaults_Pod), BestEffort when nothing is
requested or limited, else Burstable.
"""
from __future__ import annotations

from fractions import Fraction

from engine.api.quantity import parse_quantity

_COMPUTE = ("cpu", "memory")


def _positive(resources: object) -> dict[str, Fraction]:
    out: dict[str, Fraction] = {}
    if isinstance(resources, dict):
        for name in _COMPUTE:
            q = parse_quantity(resources[name]) if name in resources else None
            if q is not None and q.value > 0:
                out[name] = q.value
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
