"""A pod's repeated parts kept once, and what no pane reads dropped: the objects as the
mirror keeps them (`slim`).

At 100,000 pods most of a pod is its template's (containers, volumes, labels, owner) and
its conditions, reached in the same second as its siblings'. Kept once per run of equal
parts, a pod costs its own fields only: 1,925 -> 1,460 MiB for a 10,000-Service attach.
Nothing here imports the control plane: the process that decodes big lists' pages
(engine.attach.decoding) runs it.
"""
from __future__ import annotations

#: Parts of a pod that repeat across the pods of one template (or one second), kept once:
#: where (metadata, spec or status) and which field (None: the whole part).
SHARED_POD_PARTS = (("metadata", "labels"), ("metadata", "ownerReferences"), ("spec", None),
                    ("status", "conditions"))
_ABSENT = object()
_WALKED = (dict, list)  # (what `_unlike` walks into)


def _like(value, last):
    """`value` with every part equal to `last`'s part replaced by `last`'s instance (`value`
    itself is never changed: a part that differs is a new dict or list). A pod's spec
    differs from its sibling's only in a few leaves -- its node, and since admission names
    each pod's `kube-api-access-xxxxx` volume, that name in its volumes and in every
    container's mounts -- so one comparison per part finds the rest equal, and only the
    parts that differ are walked into. (`==` cannot take 1 for 1.0 or True here: the API
    server encodes each field with its one Go type.)"""
    return last if value == last else _unlike(value, last)


def _unlike(value, last):
    """`_like` of parts known to differ (not compared again: a container that differs only
    in its mount's name was compared whole once per level above it)."""
    if type(value) is dict and type(last) is dict:
        out = {}
        for k, v in value.items():
            w = last.get(k, _ABSENT)
            out[k] = w if v == w else _unlike(v, w) if type(v) is type(w) and type(v) in _WALKED else v
        return out
    if type(value) is list and type(last) is list and len(value) == len(last):
        return [w if v == w else _unlike(v, w) if type(v) is type(w) and type(v) in _WALKED else v
                for v, w in zip(value, last)]
    return value


def slim(obj: dict, recent: dict[tuple[str, str | None], object] | None = None) -> dict:
    """The object as the mirror keeps it: as the server sent it, less `managedFields`, which
    no pane or computation reads and which is most of a pod's bytes at 100,000 pods
    (`kubectl get -o yaml` leaves them out too). A pod's parts that equal the previous
    pod's (its template's containers and labels, conditions reached in the same second)
    are that pod's instances (stored objects are never mutated), as the simulation's are.

    `recent` (one per list): each part as the list's previous pod had it. A list comes
    sorted by namespace and name, so the pods of one ReplicaSet come together and most
    parts equal the previous pod's: a few comparisons instead of a key the size of the part
    (`engine.api.store.shared`, which never finds a spec that names its pod's own
    `kube-api-access-xxxxx` volume: looking for each one took a fifth of a 10,000-Service
    attach and kept 100,000 keys)."""
    md = obj.get("metadata")
    if isinstance(md, dict):
        md.pop("managedFields", None)
        if obj.get("kind") == "Pod" and recent is not None:
            for (where, f), part, v in _pod_parts(obj):
                last = recent.get((where, f))
                one = v if last is None else _like(v, last)
                recent[(where, f)] = one
                if f is None:
                    obj[where] = one
                else:
                    part[f] = one
    return obj


def _pod_parts(pod: dict):
    """A pod's `SHARED_POD_PARTS` it has: ((where, field), the dict holding it, its value)."""
    for where, f in SHARED_POD_PARTS:
        part = pod.get(where)
        if isinstance(part, dict):
            v = part if f is None else part.get(f)
            if v:
                yield (where, f), part, v


def parts_of(pod: dict | None) -> dict:
    """`slim`'s `recent` from a stored pod (its new version shares what did not change)."""
    if pod is None or pod.get("kind") != "Pod":
        return {}
    return {key: v for key, _, v in _pod_parts(pod)}
