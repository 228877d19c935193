"""events.k8s.io/v1 Events: the core Events the cluster records, seen through the
events.k8s.io/v1 schema, as kube-apiserver serves both versions from one storage (the
conversion of kubernetes `pkg/apis/events/v1/conversion.go`).

`kubectl get events.v1.events.k8s.io` and every events.k8s.io client (controllers' event
broadcasters, k9s) read the same events `kubectl get events` lists: `message` becomes `note`,
`involvedObject` `regarding`, `reportingComponent` `reportingController`, and the core-only
`source`, `firstTimestamp`, `lastTimestamp` and `count` the `deprecated*` fields. Fields are
written in the Go type's order and with its omitempty rules: `eventTime` and the two
deprecated timestamps are null when unset, `regarding` and `deprecatedSource` always present.
"""
from __future__ import annotations

from typing import Any

API_VERSION = "events.k8s.io/v1"


def from_core(event: dict[str, Any]) -> dict[str, Any]:
    """A core v1 Event as events.k8s.io/v1 has it."""
    out: dict[str, Any] = {"kind": "Event", "apiVersion": API_VERSION, "metadata": event.get("metadata") or {},
                           "eventTime": event.get("eventTime")}
    for core, v1 in (("series", "series"), ("reportingComponent", "reportingController"),
                     ("reportingInstance", "reportingInstance"), ("action", "action"), ("reason", "reason")):
        if event.get(core):
            out[v1] = event[core]
    out["regarding"] = event.get("involvedObject") or {}
    for core, v1 in (("related", "related"), ("message", "note"), ("type", "type")):
        if event.get(core):
            out[v1] = event[core]
    out["deprecatedSource"] = event.get("source") or {}
    out["deprecatedFirstTimestamp"] = event.get("firstTimestamp")
    out["deprecatedLastTimestamp"] = event.get("lastTimestamp")
    if event.get("count"):
        out["deprecatedCount"] = event["count"]
    return out
