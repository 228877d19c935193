"""The event recorder: core/v1 Events about objects, as `kubectl describe` lists them.

client-go's EventRecorder, the one every controller and the kubelet are handed: an
event that repeats one already recorded (same object, reason and message) bumps that
Event's `count` and `lastTimestamp` instead of creating another, as the recorder's
EventCorrelator does.
"""
from __future__ import annotations

from datetime import timedelta

from engine.api.objects import meta
from engine.api.store import Store
from engine.cluster.clock import SimClock

EVENT_REFS_KEPT = 4096  # shared involvedObject / source dicts kept before starting over


class EventRecorder:
    """Writes Events to the store, stamped by the cluster's clock."""

    def __init__(self, store: Store, clock: SimClock) -> None:
        self._store = store
        self._clock = clock
        self._names: dict[int, str] = {}  # repeat key -> the Event's name
        self._seq = 0  # the nanoseconds of event names within one second (name order is time order)
        self._refs: dict[tuple, dict] = {}  # shared involvedObject / source dicts

    def event(self, obj: dict, type_: str, reason: str, message: str, component: str,
              host: str | None = None, *, at_offset: float = 0.0) -> None:
        """A core/v1 Event about `obj` from `component` (on `host`), `at_offset` seconds
        from now (an image pull's "Pulled" is dated when the pull ends)."""
        md = meta(obj)
        ns = md.get("namespace") or "default"
        store = self._store
        # Events seen, by a hash of what makes them repeats (the tuple itself, times
        # 500,000 events, would cost more than the events' dicts); a hit is checked
        # against the stored Event, so a collision only means a new Event.
        key = hash((obj.get("kind"), ns, md.get("name"), reason, message))
        when = self._clock.now_str(at_offset)
        name = self._names.get(key)
        if name is not None:
            ev = store.get("Event", ns, name)
            inv = (ev or {}).get("involvedObject") or {}
            if ev is not None and (ev.get("reason"), ev.get("message"), inv.get("kind"), inv.get("name")) == (
                    reason, message, obj.get("kind"), md.get("name")):
                new = dict(ev)
                new["count"] = ev.get("count", 1) + 1
                new["lastTimestamp"] = when
                store.update(new)
                return
        # Real event names are `<object>.<UnixNano in hex>`, so name order is time order.
        t = self._clock.now() + timedelta(seconds=at_offset)
        self._seq += 1
        nanos = int(t.timestamp()) * 1_000_000_000 + self._seq % 1_000_000_000
        name = f"{md.get('name')}.{nanos:x}"
        self._names[key] = name
        # Stored objects are immutable, so the events about one object share one
        # involvedObject dict, and those of one component on one host one source dict.
        refs = self._refs
        skey = ("source", component, host)
        source = refs.get(skey)
        if source is None:
            source = {"component": component}
            if host:
                source["host"] = host
            refs[skey] = source
        ikey = (obj.get("apiVersion"), obj.get("kind"), md.get("name"), md.get("namespace"), md.get("uid"))
        involved = refs.get(ikey)
        if involved is None:
            if len(refs) > EVENT_REFS_KEPT:
                refs.clear()
            involved = refs[ikey] = {
                "apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"),
                "name": md.get("name"), "namespace": md.get("namespace"), "uid": md.get("uid")}
        store.create({
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": name, "namespace": ns},
            "involvedObject": involved,
            "reason": reason, "message": message, "type": type_, "source": source,
            "firstTimestamp": when, "lastTimestamp": when, "count": 1,
            "reportingComponent": component, "reportingInstance": host or "",
        }, owned=True)
