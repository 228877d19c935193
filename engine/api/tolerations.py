"""v1.Toleration.ToleratesTaint (k8s.io/api/core/v1/toleration.go): whether a pod's toleration
covers a node's taint -- what kube-scheduler's TaintToleration filter and the taint eviction
controller both ask."""
from __future__ import annotations


def tolerates(toleration: dict, taint: dict) -> bool:
    """An empty effect or key matches any; operator Exists ignores the value, Equal (or none)
    compares it."""
    if toleration.get("effect") and toleration["effect"] != taint.get("effect"):
        return False
    if toleration.get("key") and toleration["key"] != taint.get("key"):
        return False
    op = toleration.get("operator") or "Equal"
    if op == "Equal":
        return (toleration.get("value") or "") == (taint.get("value") or "")
    return op == "Exists"


def tolerates_any(tolerations: list[dict], taint: dict) -> bool:
    return any(tolerates(t, taint) for t in tolerations if isinstance(t, dict))
