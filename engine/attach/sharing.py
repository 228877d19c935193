"""A pod's repeated parts kept once, and what no pane reads dropped: the objects as the
mirror keeps them (`slim`).

At 100,000 pods most of a pod is its template's (containers, volumes, labels, owner) and
its conditions, reached in the same second as its siblings'. Kept once per run of equal
parts, a pod costs its own fields only: 1,925 -> 1,460 MiB for a 10,000-Service attach.
Nothing here imports the control plane: the process that decodes big lists' pages
(engine.attach.decoding) runs it.
"""
from __future__ import annotations

from engine.api.wellknown import SERVICE_ACCOUNT_VOLUME_PREFIX

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


def _spec_like(spec: dict, last: dict) -> dict | None:
    """A pod spec equal to its sibling's but for its node and its kube-api-access volume's
    name, built from the sibling's parts with one comparison (None: more differs).

    Those two leaves are set to the sibling's for the comparison and put back; the result
    is the sibling's spec with this pod's node, its volume entry and the container mounts
    of that volume copied with this pod's name -- a few small dicts, where walking the two
    specs compared each container three times over (`_unlike`)."""
    if ("nodeName" in spec) != ("nodeName" in last):
        return None
    vols, lvols = spec.get("volumes"), last.get("volumes")
    at = _access_volume(vols)
    if at is None or at != _access_volume(lvols):
        return None
    name, lname = vols[at]["name"], lvols[at]["name"]
    mounts = [m for f in _CONTAINER_LISTS for c in spec.get(f) or () if type(c) is dict
              for m in c.get("volumeMounts") or () if type(m) is dict and m.get("name") == name]
    node = spec.get("nodeName")
    vols[at]["name"] = lname
    for m in mounts:
        m["name"] = lname
    if "nodeName" in spec:
        spec["nodeName"] = last["nodeName"]
    try:
        if spec != last:
            return None
    finally:
        vols[at]["name"] = name
        for m in mounts:
            m["name"] = name
        if "nodeName" in spec:
            spec["nodeName"] = node
    out = dict(last)
    if "nodeName" in out:
        out["nodeName"] = node
    out["volumes"] = [*lvols[:at], {**lvols[at], "name": name}, *lvols[at + 1:]]
    for f in _CONTAINER_LISTS:
        if f in out:
            out[f] = [_remounted(c, lname, name) for c in out[f]]
    return out


_CONTAINER_LISTS = ("initContainers", "containers")


def _access_volume(vols) -> int | None:
    """Where the pod's kube-api-access volume is in its volumes (None: it has none)."""
    if type(vols) is not list:
        return None
    for i, v in enumerate(vols):
        if type(v) is dict and str(v.get("name") or "").startswith(SERVICE_ACCOUNT_VOLUME_PREFIX):
            return i
    return None


def _remounted(c, old: str, new: str):
    """Container `c` (a sibling's) with its mounts of volume `old` naming `new` instead."""
    mounts = c.get("volumeMounts") if type(c) is dict else None
    if not mounts or not any(type(m) is dict and m.get("name") == old for m in mounts):
        return c
    return {**c, "volumeMounts": [{**m, "name": new} if type(m) is dict and m.get("name") == old else m
                                  for m in mounts]}


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
                if last is None:
                    one = v
                elif f is None and type(last) is dict and v != last:  # (a spec: a sibling's but two leaves?)
                    one = _spec_like(v, last) or _unlike(v, last)
                else:
                    one = _like(v, last)
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
