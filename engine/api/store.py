"""The API store: the only shared state of the simulated cluster.

Like etcd behind the API server, it holds every object, stamps the bookkeeping fields
(uid, resourceVersion, generation, creationTimestamp) and fans out watch events
(ADDED / MODIFIED / DELETED) to the controllers, which react by enqueuing keys — the
watch -> reconcile pattern of the real control plane.

Objects are plain dicts in Kubernetes' JSON shape. The store owns the dicts it holds:
readers must not mutate them; writers build a new dict (see `engine.api.objects.clone`).
`create`/`update` copy what they are given unless the caller hands the dict over
(`owned=True`, what controllers do with the private clone they just built).

Indexes keep reads proportional to what they return, as client-go's informer indexers
do: objects per (kind, namespace) with the API's sorted order cached between writes
that add or remove keys, and label indexes (`select`) for the kinds whose watchers
look objects up by label (pods by a Service's selector, slices by service name).
"""
from __future__ import annotations

import copy
import time
import uuid
from dataclasses import dataclass
from typing import Callable, Iterator

from engine.api.kinds import CLUSTER_SCOPED  # (also imported from here by the cluster and the GC)
from engine.cluster.clock import SimClock, rfc3339

ADDED = "ADDED"
MODIFIED = "MODIFIED"
DELETED = "DELETED"



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


_ATOMS = (str, int, float, bool, type(None))


def json_copy(obj):
    """A deep copy of JSON-shaped data (dicts, lists, scalars), several times faster
    than `copy.deepcopy`; anything else falls back to it."""
    t = type(obj)
    if t is dict:
        return {k: (v if type(v) in _ATOMS else json_copy(v)) for k, v in obj.items()}
    if t is list:
        return [v if type(v) in _ATOMS else json_copy(v) for v in obj]
    if t in _ATOMS:
        return obj
    return copy.deepcopy(obj)


_SHARED: dict[str, object] = {}
#: the hashes of the keys `shared_tree` has seen once (a value seen again is shared from then on)
_SEEN_ONCE: set[int] = set()
_KEY_CLASSES: dict[tuple, type] = {}
# Kinds there are hundreds of thousands of at 10,000 Services: their dicts are compacted.
COMPACT_KINDS = frozenset({"Pod", "Event", "EndpointSlice", "Endpoints"})


def compact(d: dict) -> dict:
    """An equal plain `dict` whose key table is shared with every other dict of the same
    keys in the same order (CPython's key-sharing dicts, PEP 412: the `__dict__` of
    instances of one class), so it costs its values, not a private hash table -- about
    half the bytes. For the objects there are hundreds of thousands of (pods, their
    events, endpoint entries), all with the same few shapes."""
    keys = tuple(d)
    cls = _KEY_CLASSES.get(keys)
    if cls is None:
        if len(_KEY_CLASSES) >= 4096 or len(keys) > 30:  # CPython shares at most 30 keys
            return d
        cls = _KEY_CLASSES[keys] = type("SharedKeys", (), {})
    out = cls().__dict__
    for k, v in d.items():
        out[k] = v
    return out


def _compact_object(kind: str, obj: dict, old: dict | None = None) -> dict:
    md = obj.get("metadata")
    if type(md) is dict:
        obj["metadata"] = compact(md)
    if kind == "Pod":
        spec = obj.get("spec")
        if old is not None and type(spec) is dict and spec is not old.get("spec"):
            obj["spec"] = compact(spec)  # a bound pod's own spec (unbound ones share theirs)
        st = obj.get("status")
        if type(st) is dict:
            st = obj["status"] = compact(st)  # a new dict: the status given may be shared
            cs = st.get("containerStatuses")
            if type(cs) is list:
                st["containerStatuses"] = [compact(c) if type(c) is dict else c for c in cs]
    elif kind == "EndpointSlice":
        eps = obj.get("endpoints")
        if type(eps) is list:
            obj["endpoints"] = [_compact_entry(e) for e in eps]
    elif kind == "Endpoints":
        subsets = obj.get("subsets")
        if type(subsets) is list:
            obj["subsets"] = [{**s, **{f: [_compact_entry(a) for a in s[f]] for f in ("addresses", "notReadyAddresses")
                                       if type(s.get(f)) is list}} if type(s) is dict else s for s in subsets]
    return compact(obj)


def _compact_entry(e):
    if type(e) is not dict:
        return e
    ref = e.get("targetRef")
    if type(ref) is dict:
        e = dict(e)
        e["targetRef"] = compact(ref)
    return compact(e)


def shared(value):
    """One instance per distinct JSON value (hash-consing), for parts of stored objects
    that repeat across many of them: the spec, labels and owner reference of the pods of
    one template, the conditions pods reach in the same second. Stored objects are
    immutable, so sharing is safe, and 100,000 pods do not hold 100,000 copies.

    `repr` of JSON data is an exact key: equal only for equal data of equal types and
    key order (1, 1.0 and True all print differently), and it is computed in C."""
    try:
        key = repr(value)
    except RecursionError:
        return value
    got = _SHARED.get(key)
    if got is None:
        if len(_SHARED) > 200_000:
            _SHARED.clear()
        _SHARED[key] = got = value
    return got


def shared_tree(value, depth: int = 4):
    """`shared` for a value that may be unique to its object while most of it repeats: a
    pod's spec once admission has named its `kube-api-access-xxxxx` volume (and each
    container's mount of it), while the containers' images, ports, probes, env and resources
    and the volume's sources are the same in every pod of the template.

    A value already shared is returned as is. A value seen for the first time is rebuilt,
    `depth` levels down, from shared parts, and only remembered by its key's hash; seen a
    second time, it is shared from then on. So the pods of one template keep one instance of
    every part they have in common, and a value unique to one pod costs a hash, not a key
    the size of the value. (`compact` is defined below; it is looked up when this runs.)"""
    if type(value) is not dict and type(value) is not list:
        return value
    try:
        key = repr(value)
    except RecursionError:
        return value
    got = _SHARED.get(key)
    if got is not None:
        return got
    h = hash(key)
    if h in _SEEN_ONCE:
        if len(_SHARED) > 200_000:
            _SHARED.clear()
            _SEEN_ONCE.clear()
        _SHARED[key] = value
        return value
    if len(_SEEN_ONCE) > 1_000_000:
        _SEEN_ONCE.clear()
    _SEEN_ONCE.add(h)
    if depth <= 0:
        return value
    if type(value) is dict:  # (its key table shared with its siblings': see compact)
        return compact({k: shared_tree(v, depth - 1) for k, v in value.items()})
    return [shared_tree(v, depth - 1) for v in value]


#: 2024-01-01T00:00:00Z: the epoch `wall_clock_resource_version` counts from.
_RV_EPOCH = 1_704_067_200


def wall_clock_resource_version() -> int:
    """Where a live (not deterministic) cluster's resourceVersions start: microseconds since
    2024, so a cluster started later starts above every version an earlier one reached
    (unless it wrote more than once a microsecond). Why: a client of a restarted `svcflow
    serve` resumes its watch from the version it last saw; from a fresh 1000 again the new
    server would accept an equal or lower one silently and the client would keep the old
    cluster's objects, as it would against an etcd restored from an old backup. Above it, the
    version is too old (410 Expired) and the client lists the new cluster from scratch."""
    return int((time.time() - _RV_EPOCH) * 1_000_000)


class Store:
    """Objects by kind, then by (namespace, name); watchers by kind."""

    def __init__(self, clock: SimClock, uid_factory: Callable[[], str], *, first_resource_version: int = 1000) -> None:
        """`first_resource_version`: where the versions start (see `wall_clock_resource_version`)."""
        self._clock = clock
        self._uid = uid_factory
        self._objects: dict[str, dict[tuple[str, str], dict]] = {}
        # kind -> namespace -> {name: None}, and the sorted-key caches list() serves from.
        self._by_ns: dict[str, dict[str, dict[str, None]]] = {}
        self._sorted: dict[tuple[str, str | None], list[tuple[str, str]]] = {}
        # Label indexes: kind -> (namespace, label, value) -> {name: None}.
        self._label_index: dict[str, dict[tuple[str, str, str], dict[str, None]]] = {}
        self._watchers: dict[str, list[WatchHandler]] = {}
        self._rv = first_resource_version
        self._kind_rv: dict[str, int] = {}
        self._stamp_cache: tuple[object, str] = (None, "")
        # Index: owner uid -> set of (kind, ns, name), for the garbage collector.
        self._dependents: dict[str, set[tuple[str, str, str]]] = {}

    # -- reads -------------------------------------------------------------
    def get(self, kind: str, namespace: str, name: str) -> dict | None:
        return self._objects.get(kind, {}).get((namespace or "", name))

    def list(self, kind: str, namespace: str | None = None) -> list[dict]:
        """Objects sorted by namespace then name, as the API server returns them."""
        objs = self._objects.get(kind)
        if not objs:
            return []
        return [objs[k] for k in self.keys(kind, namespace)]

    def keys(self, kind: str, namespace: str | None = None) -> list[tuple[str, str]]:
        """The (namespace, name) keys of `list`, in its order. A non-empty list is cached
        until a write adds or removes a key of the kind (updates keep it) and the same list
        object is returned meanwhile, so a reader can tell "same keys" by identity; callers
        must not mutate it. What the served API pages through (engine.kapi.reads.ListOrder)."""
        keys = self._sorted.get((kind, namespace))
        if keys is None:
            objs = self._objects.get(kind) or {}
            if namespace is None:
                keys = sorted(objs)
            else:
                keys = [(namespace, n) for n in sorted(self._by_ns.get(kind, {}).get(namespace, ()))]
            if keys:  # (not the empty answer for every namespace a client names)
                self._sorted[(kind, namespace)] = keys
        return keys

    def index_labels(self, kind: str) -> None:
        """Maintain a label index for `kind` (idempotent); `select` and `by_label` use it."""
        if kind in self._label_index:
            return
        idx: dict[tuple[str, str, str], dict[str, None]] = {}
        for (ns, name), obj in self._objects.get(kind, {}).items():
            for k, v in ((obj["metadata"].get("labels")) or {}).items():
                if isinstance(v, str):
                    idx.setdefault((ns, k, v), {})[name] = None
        self._label_index[kind] = idx

    def by_label(self, kind: str, namespace: str, key: str, value: str) -> list[dict]:
        """Objects of an indexed kind in `namespace` whose label `key` is `value`, sorted by name."""
        self.index_labels(kind)
        names = self._label_index[kind].get((namespace or "", key, value))
        if not names:
            return []
        objs = self._objects[kind]
        return [objs[(namespace or "", n)] for n in sorted(names)]

    def select(self, kind: str, namespace: str, selector: dict[str, str]) -> list[dict]:
        """Objects of `kind` in `namespace` whose labels include every pair of an
        equality `selector`, sorted by name; an empty selector selects nothing. Cost:
        the smallest of the selector's label sets, not the namespace."""
        if not selector:
            return []
        self.index_labels(kind)
        idx = self._label_index[kind]
        ns = namespace or ""
        sets = []
        try:
            for k, v in selector.items():
                names = idx.get((ns, k, v))
                if not names:
                    return []
                sets.append(names)
        except TypeError:  # an unhashable value can match no label
            return []
        sets.sort(key=len)
        first, rest = sets[0], sets[1:]
        objs = self._objects[kind]
        return [objs[(ns, n)] for n in sorted(first) if all(n in r for r in rest)]

    def iter(self, kind: str) -> Iterator[dict]:
        return iter(self._objects.get(kind, {}).values())

    def count(self, kind: str, namespace: str | None = None) -> int:
        if namespace is None:
            return len(self._objects.get(kind, {}))
        return len(self._by_ns.get(kind, {}).get(namespace, ()))

    def kinds(self) -> list[str]:
        return sorted(k for k, v in self._objects.items() if v)

    def dependents(self, owner_uid: str) -> list[tuple[str, str, str]]:
        return sorted(self._dependents.get(owner_uid, ()))

    @property
    def resource_version(self) -> int:
        return self._rv

    def kind_version(self, kind: str) -> int:
        """The resourceVersion of the kind's last write: equal means none of its objects
        changed (a cheap "did anything of this kind change" for views)."""
        return self._kind_rv.get(kind, 0)

    # -- watches -----------------------------------------------------------
    def watch(self, kind: str, handler: WatchHandler) -> None:
        self._watchers.setdefault(kind, []).append(handler)

    def _notify(self, kind: str, ev: WatchEvent) -> None:
        for h in self._watchers.get(kind, ()):
            h(ev)
        for h in self._watchers.get("*", ()):
            h(ev)

    # -- writes ------------------------------------------------------------
    def _stamp(self) -> str:
        now = self._clock.now()
        t, text = self._stamp_cache
        if t != now:
            text = rfc3339(now)
            self._stamp_cache = (now, text)
        return text

    def _next_rv(self) -> str:
        self._rv += 1
        return str(self._rv)

    def create(self, obj: dict, *, owned: bool = False, uid: str | None = None) -> dict:
        """Store a new object. `uid`: one drawn by the writer from a random purpose of its
        own (a node's Lease), so objects it adds do not shift every later object's UID."""
        if not owned:
            obj = json_copy(obj)
        kind = obj["kind"]
        md = obj.setdefault("metadata", {})
        if kind in CLUSTER_SCOPED:
            md.pop("namespace", None)
        k = key_of(obj)
        bucket = self._objects.setdefault(kind, {})
        if k in bucket:
            raise AlreadyExists(f"{kind} {k} already exists")
        md["uid"] = uid or self._uid()
        md["resourceVersion"] = self._next_rv()
        self._kind_rv[kind] = self._rv
        md["creationTimestamp"] = self._stamp()
        if "spec" in obj and kind not in ("Pod", "Service", "Node", "Namespace", "Endpoints", "Lease"):
            md["generation"] = 1
        if kind == "Pod":
            # The pods of one template share their spec's parts, one label set and owner reference.
            if type(obj.get("spec")) is dict:
                obj["spec"] = shared_tree(obj["spec"])
            for f in ("labels", "ownerReferences"):
                if md.get(f):
                    md[f] = shared(md[f])
        if kind in COMPACT_KINDS:
            obj = _compact_object(kind, obj)
        bucket[k] = obj
        self._by_ns.setdefault(kind, {}).setdefault(k[0], {})[k[1]] = None
        self._keys_changed(kind, k[0])
        self._index_labels(kind, obj, None)
        self._index_owners(kind, obj, None)
        self._notify(kind, WatchEvent(ADDED, obj))
        return obj

    def as_created(self, obj: dict) -> dict:
        """What `create` would store, without storing it (a dry-run create): a new UID (not
        drawn from the cluster's seeded source, so real creates keep their UIDs) and the
        creation timestamp; no resourceVersion."""
        out = json_copy(obj)
        md = out.setdefault("metadata", {})
        if out["kind"] in CLUSTER_SCOPED:
            md.pop("namespace", None)
        ns, name = key_of(out)
        if self.get(out["kind"], ns, name) is not None:
            raise AlreadyExists(f"{out['kind']} {(ns, name)} already exists")
        md["uid"] = str(uuid.uuid4())
        md["creationTimestamp"] = self._stamp()
        if "spec" in out and out["kind"] not in ("Pod", "Service", "Node", "Namespace", "Endpoints"):
            md["generation"] = 1
        return out

    def update(self, obj: dict, *, owned: bool = False) -> dict:
        """Replace an object. An update that changes nothing is a no-op, as in the API
        server: no new resourceVersion and no watch event, which keeps controllers from
        looping on their own writes. `owned=True`: the caller hands `obj` over (it
        built it as a private clone and will not touch it again), so it is not copied."""
        kind = obj["kind"]
        k = key_of(obj)
        old = self._objects.get(kind, {}).get(k)
        if old is None:
            raise NotFound(f"{kind} {k} not found")
        new = obj if owned else json_copy(obj)
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
        self._kind_rv[kind] = self._rv
        if kind in COMPACT_KINDS:
            new = _compact_object(kind, new, old)
        self._objects[kind][k] = new
        self._index_labels(kind, new, old)
        self._index_owners(kind, new, old)
        self._notify(kind, WatchEvent(MODIFIED, new, old))
        return new

    def put(self, obj: dict) -> dict:
        """Store `obj` as it is, metadata and all: a mirror of a real cluster
        (engine.attach), whose API server already stamped the uid, resourceVersion and
        timestamps. Watchers see ADDED or MODIFIED as for `create`/`update`; an object
        whose resourceVersion is the one held (a relist) is a no-op. The dict is handed
        over (not copied)."""
        kind = obj["kind"]
        md = obj["metadata"]
        if kind in CLUSTER_SCOPED:
            md.pop("namespace", None)
        k = key_of(obj)
        bucket = self._objects.setdefault(kind, {})
        old = bucket.get(k)
        if old is not None and old["metadata"].get("resourceVersion") == md.get("resourceVersion"):
            return old
        self._rv += 1
        self._kind_rv[kind] = self._rv
        bucket[k] = obj  # (not compacted: see put_many)
        if old is None:
            self._by_ns.setdefault(kind, {}).setdefault(k[0], {})[k[1]] = None
            self._keys_changed(kind, k[0])
        self._index_labels(kind, obj, old)
        self._index_owners(kind, obj, old)
        self._notify(kind, WatchEvent(ADDED, obj) if old is None else WatchEvent(MODIFIED, obj, old))
        return obj

    def put_many(self, objs: list[dict]) -> None:
        """`put` of each object in turn -- a page of a mirror's list, hundreds of one kind
        -- with the same end state (objects, indexes, resourceVersions) and the same watch
        events in the same order, each delivered when its object is stored, as `put` does;
        what holds for a whole run of one kind (its tables, its watchers as registered when
        the run starts) is looked up once instead of per object.

        A mirror's objects are not compacted (`compact`), as the simulation's are: at
        100,000 pods key-sharing their dicts saves ~110 MB and costs ~1 s of the attach's
        first paint (a quarter of storing the pods), and the first paint is what issue 18
        holds to 10 s. The mirror shares the pods' repeated parts instead (engine.attach.sharing.slim)."""
        i, n = 0, len(objs)
        while i < n:
            kind = objs[i]["kind"]
            j = i
            while j < n and objs[j]["kind"] == kind:
                j += 1
            self._put_run(kind, objs[i:j])
            i = j

    def _put_run(self, kind: str, objs: list[dict]) -> None:
        bucket = self._objects.setdefault(kind, {})
        handlers = (*self._watchers.get(kind, ()), *self._watchers.get("*", ()))
        scoped = kind in CLUSTER_SCOPED
        by_ns, sorted_keys, kind_rv, label_index = self._by_ns, self._sorted, self._kind_rv, self._label_index
        for obj in objs:
            md = obj["metadata"]
            if scoped:
                md.pop("namespace", None)
            k = (md.get("namespace") or "", md["name"])
            old = bucket.get(k)
            if old is not None and old["metadata"].get("resourceVersion") == md.get("resourceVersion"):
                continue
            self._rv += 1
            kind_rv[kind] = self._rv
            bucket[k] = obj
            if old is None:
                by_ns.setdefault(kind, {}).setdefault(k[0], {})[k[1]] = None
                sorted_keys.pop((kind, None), None)
                sorted_keys.pop((kind, k[0]), None)
            if kind in label_index:  # (a watcher may start the index mid-page: asked per object)
                self._index_labels(kind, obj, old)
            if old is not None or obj["metadata"].get("ownerReferences"):
                self._index_owners(kind, obj, old)
            if handlers:
                ev = WatchEvent(ADDED, obj) if old is None else WatchEvent(MODIFIED, obj, old)
                for h in handlers:
                    h(ev)

    def delete(self, kind: str, namespace: str, name: str) -> dict:
        bucket = self._objects.get(kind, {})
        k = (namespace or "", name)
        old = bucket.pop(k, None)
        if old is None:
            raise NotFound(f"{kind} {k} not found")
        del self._by_ns[kind][k[0]][k[1]]
        self._keys_changed(kind, k[0])
        self._index_labels(kind, None, old)
        self._index_owners(kind, None, old)
        self._rv += 1
        self._kind_rv[kind] = self._rv
        self._notify(kind, WatchEvent(DELETED, old, old))
        return old

    def _keys_changed(self, kind: str, namespace: str) -> None:
        self._sorted.pop((kind, None), None)
        self._sorted.pop((kind, namespace), None)

    def _index_labels(self, kind: str, new: dict | None, old: dict | None) -> None:
        idx = self._label_index.get(kind)
        if idx is None:
            return
        old_labels = (old["metadata"].get("labels") or {}) if old is not None else {}
        new_labels = (new["metadata"].get("labels") or {}) if new is not None else {}
        if old_labels == new_labels:
            return
        src = new if new is not None else old
        ns, name = key_of(src)  # type: ignore[arg-type]
        for k, v in old_labels.items():
            if new_labels.get(k) != v and isinstance(v, str):
                names = idx.get((ns, k, v))
                if names is not None:
                    names.pop(name, None)
                    if not names:
                        del idx[(ns, k, v)]
        for k, v in new_labels.items():
            if old_labels.get(k) != v and isinstance(v, str):
                idx.setdefault((ns, k, v), {})[name] = None

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
