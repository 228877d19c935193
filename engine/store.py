"""The API store: the only shared state of the simulated cluster.

Like etcd behind the API server, it holds every object, stamps the bookkeeping fields
(uid, resourceVersion, generation, creationTimestamp) and fans out watch events
(ADDED / MODIFIED / DELETED) to the controllers, which react by enqueuing keys — the
watch -> reconcile pattern of the real control plane.

Objects are plain dicts in Kubernetes' JSON shape. The store owns the dicts it holds:
readers must not mutate them; writers build a new dict (see `engine.objects.clone`).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Callable, Iterator

from engine.clock import SimClock, rfc3339

ADDED = "ADDED"
MODIFIED = "MODIFIED"
DELETED = "DELETED"

CLUSTER_SCOPED = frozenset({"Namespace", "Node"})


@dataclass(frozen=True)
class WatchEvent:
    type: str
    obj: dict
    old: dict | None = None


WatchHandler = Callable[[WatchEvent], None]


class AlreadyExists(Exception):
    pass


class NotFound(Exception):
    pass


def key_of(obj: dict) -> tuple[str, str]:
    md = obj["metadata"]
    return (md.get("namespace") or "", md["name"])


class Store:
    """Objects by kind, then by (namespace, name); watchers by kind."""

    def __init__(self, clock: SimClock, uid_factory: Callable[[], str]) -> None:
        self._clock = clock
        self._uid = uid_factory
        self._objects: dict[str, dict[tuple[str, str], dict]] = {}
        self._watchers: dict[str, list[WatchHandler]] = {}
        self._rv = 1000
        # Index: owner uid -> set of (kind, ns, name), for the garbage collector.
        self._dependents: dict[str, set[tuple[str, str, str]]] = {}

    # -- reads -------------------------------------------------------------
    def get(self, kind: str, namespace: str, name: str) -> dict | None:
        return self._objects.get(kind, {}).get((namespace or "", name))

    def list(self, kind: str, namespace: str | None = None) -> list[dict]:
        """Objects sorted by namespace then name, as the API server returns them."""
        objs = self._objects.get(kind, {})
        keys = sorted(k for k in objs if namespace is None or k[0] == namespace)
        return [objs[k] for k in keys]

    def iter(self, kind: str) -> Iterator[dict]:
        return iter(self._objects.get(kind, {}).values())

    def count(self, kind: str) -> int:
        return len(self._objects.get(kind, {}))

    def kinds(self) -> list[str]:
        return sorted(k for k, v in self._objects.items() if v)

    def dependents(self, owner_uid: str) -> list[tuple[str, str, str]]:
        return sorted(self._dependents.get(owner_uid, ()))

    @property
    def resource_version(self) -> int:
        return self._rv

    # -- watches -----------------------------------------------------------
    def watch(self, kind: str, handler: WatchHandler) -> None:
        self._watchers.setdefault(kind, []).append(handler)

    def _notify(self, kind: str, ev: WatchEvent) -> None:
        for h in self._watchers.get(kind, ()):
            h(ev)
        for h in self._watchers.get("*", ()):
            h(ev)

    # -- writes ------------------------------------------------------------
    def _next_rv(self) -> str:
        self._rv += 1
        return str(self._rv)

    def create(self, obj: dict) -> dict:
        obj = copy.deepcopy(obj)
        kind = obj["kind"]
        md = obj.setdefault("metadata", {})
        if kind in CLUSTER_SCOPED:
            md.pop("namespace", None)
        k = key_of(obj)
        bucket = self._objects.setdefault(kind, {})
        if k in bucket:
            raise AlreadyExists(f"{kind} {k} already exists")
        md["uid"] = self._uid()
        md["resourceVersion"] = self._next_rv()
        md["creationTimestamp"] = rfc3339(self._clock.now())
        if "spec" in obj and kind not in ("Pod", "Service", "Node", "Namespace", "Endpoints"):
            md["generation"] = 1
        bucket[k] = obj
        self._index_owners(kind, obj, None)
        self._notify(kind, WatchEvent(ADDED, obj))
        return obj

    def update(self, obj: dict) -> dict:
        """Replace an object. An update that changes nothing is a no-op, as in the API
        server: no new resourceVersion and no watch event, which keeps controllers from
        looping on their own writes."""
        kind = obj["kind"]
        k = key_of(obj)
        old = self._objects.get(kind, {}).get(k)
        if old is None:
            raise NotFound(f"{kind} {k} not found")
        new = copy.deepcopy(obj)
        md = new["metadata"]
        for f in ("uid", "creationTimestamp"):
            md[f] = old["metadata"][f]
        if "generation" in old["metadata"]:
            md["generation"] = old["metadata"]["generation"]
        md["resourceVersion"] = old["metadata"]["resourceVersion"]
        if new == old:
            return old
        if "generation" in md and new.get("spec") != old.get("spec"):
            md["generation"] = old["metadata"]["generation"] + 1
        md["resourceVersion"] = self._next_rv()
        self._objects[kind][k] = new
        self._index_owners(kind, new, old)
        self._notify(kind, WatchEvent(MODIFIED, new, old))
        return new

    def delete(self, kind: str, namespace: str, name: str) -> dict:
        bucket = self._objects.get(kind, {})
        k = (namespace or "", name)
        old = bucket.pop(k, None)
        if old is None:
            raise NotFound(f"{kind} {k} not found")
        self._index_owners(kind, None, old)
        self._rv += 1
        self._notify(kind, WatchEvent(DELETED, old, old))
        return old

    def _index_owners(self, kind: str, new: dict | None, old: dict | None) -> None:
        for obj, add in ((old, False), (new, True)):
            if obj is None:
                continue
            md = obj["metadata"]
            ref = (kind, md.get("namespace") or "", md["name"])
            for o in md.get("ownerReferences") or ():
                s = self._dependents.setdefault(o["uid"], set())
                if add:
                    s.add(ref)
                else:
                    s.discard(ref)
