"""Strategic merge, the one home of what the Go types declare for it (k8s.io/api v1.33 struct
tags, apimachinery `pkg/util/strategicpatch`): which lists merge by which key, which merge as
sets of primitives, which maps keep only the keys a patch names (`retainKeys`), and the order
`$setElementOrder` leaves a merged list in.

Two operations read it: the served API applying a strategic merge patch (engine.kapi.patch),
and :func:`three_way_merge`, what `kubectl apply` (client-side) leaves on the server: kubectl
computes a three-way patch from the last-applied configuration, the manifest and the live
object (CreateThreeWayMergePatch) and the server applies it, so fields nobody declared (server
defaults such as `imagePullPolicy`, a `kubectl scale`d replica count) survive a re-apply even
when their list element changed, because containers, ports, env ... merge by key.
"""
from __future__ import annotations

from typing import Any

from engine.api.store import json_copy

# Lists that merge by a key (`patchMergeKey`), by the field's name and, where one name means
# two things, the kind and path (see merge_key).
_MERGE_KEYS = {
    "containers": "name", "initContainers": "name", "ephemeralContainers": "name", "imagePullSecrets": "name",
    "volumes": "name", "env": "name", "volumeMounts": "mountPath", "volumeDevices": "devicePath",
    "conditions": "type", "podIPs": "ip", "hostIPs": "ip", "ownerReferences": "uid",
    "hostAliases": "ip", "topologySpreadConstraints": "topologyKey", "resourceClaims": "name",
    "schedulingGates": "name", "readinessGates": None,
}
#: Lists of primitives that merge as sets (`patchStrategy:"merge"` on a []string).
PRIMITIVE_MERGE = frozenset({"finalizers"})
_ATOMIC_KINDS = frozenset({"EndpointSlice", "Endpoints"})
# Maps whose patch names the keys to keep (`patchStrategy:"retainKeys"`): changing a
# Deployment's strategy type drops the old type's settings.
_RETAIN_KEYS = frozenset({("Deployment", ("spec", "strategy")), ("DaemonSet", ("spec", "updateStrategy"))})


def merge_key(kind: str, path: tuple[str, ...]) -> str | None:
    """The merge key of the list at `path` (list indices left out), or None: replace."""
    if kind in _ATOMIC_KINDS and path[:1] != ("metadata",):
        return None
    name = path[-1]
    if name == "ports":
        if kind == "Service" and path == ("spec", "ports"):
            return "port"
        return "containerPort" if len(path) >= 2 and path[-2] in ("containers", "initContainers",
                                                                   "ephemeralContainers") else None
    if name == "addresses":
        return "type" if kind == "Node" and path == ("status", "addresses") else None
    return _MERGE_KEYS.get(name)


def retains_keys(kind: str, path: tuple[str, ...]) -> bool:
    """Whether the map at `path` keeps only the keys its patch names (volumes' entries too)."""
    return (kind, path) in _RETAIN_KEYS or (len(path) >= 1 and path[-1] == "volumes")


def ordered(merged: list, order: list, original: Any, key: str | None) -> list:
    """`$setElementOrder`: the patch's order, with elements only the server had kept at
    their old places relative to the others (normalizeElementOrder)."""
    if key is None:
        return merged
    want = [o.get(key) for o in order if isinstance(o, dict)]
    by_key = {m.get(key): m for m in merged if isinstance(m, dict)}
    listed = [by_key[k] for k in want if k in by_key]
    server_only = [m for m in merged if isinstance(m, dict) and m.get(key) not in want]
    if not server_only:
        return listed
    orig_index = {o.get(key): i for i, o in enumerate(original or []) if isinstance(o, dict)}
    out: list = []
    rest = sorted(server_only, key=lambda m: orig_index.get(m.get(key), 1 << 30))
    for m in listed:
        here = orig_index.get(m.get(key))
        while rest and here is not None and orig_index.get(rest[0].get(key), 1 << 30) < here:
            out.append(rest.pop(0))
        out.append(m)
    return out + rest


def three_way_merge(live: Any, last: Any, new: Any, kind: str = "", path: tuple[str, ...] = ()) -> Any:
    """What client-side apply leaves: fields in the manifest win, fields dropped from the
    manifest since the last apply are removed, fields nobody declared stay -- map by map, and
    element by element in the lists that merge by key (a container keeps its server-defaulted
    `imagePullPolicy` when its image changes), as kubectl's three-way strategic merge patch
    applied to the live object does."""
    if isinstance(new, dict):
        base = live if isinstance(live, dict) else {}
        if retains_keys(kind, path):
            base = {k: v for k, v in base.items() if k in new}
        out = dict(base)
        last_d = last if isinstance(last, dict) else {}
        for k, v in new.items():
            out[k] = three_way_merge(base.get(k), last_d.get(k), v, kind, path + (k,))
        for k in last_d:
            if k not in new:
                out.pop(k, None)
        return out
    if isinstance(new, list) and path:
        if path[-1] in PRIMITIVE_MERGE and isinstance(live, list):
            dropped = [x for x in (last if isinstance(last, list) else []) if x not in new]
            return [x for x in live if x not in dropped] + [json_copy(x) for x in new if x not in live]
        key = merge_key(kind, path)
        if key is not None and all(isinstance(e, dict) and key in e for e in new):
            return _merge_keyed(live, last, new, kind, path, key)
    return json_copy(new)


def _merge_keyed(live: Any, last: Any, new: list, kind: str, path: tuple[str, ...], key: str) -> list:
    live_l = [e for e in live if isinstance(e, dict)] if isinstance(live, list) else []
    last_by = {e.get(key): e for e in last if isinstance(e, dict)} if isinstance(last, list) else {}
    new_by = {e[key]: e for e in new}
    merged: list = []
    for e in live_l:
        k = e.get(key)
        if k in new_by:
            merged.append(three_way_merge(e, last_by.get(k), new_by[k], kind, path))
        elif k not in last_by:  # an element only the server has: kept
            merged.append(e)
    have = {e.get(key) for e in live_l}
    merged += [three_way_merge(None, last_by.get(e[key]), e, kind, path) for e in new if e[key] not in have]
    return ordered(merged, new, live_l, key)
