"""`metadata.managedFields` for the writes that are not applies (kube-apiserver's
fieldmanager, apimachinery `pkg/util/managedfields/internal` over structured-merge-diff).

Every create, update and patch records its writer: the `fieldManager` query parameter, else
the first word of the User-Agent (`managerOrUserAgent`), as an `operation: Update` entry with
the `subresource` written (`status`, `scale`) and the fields the write added or changed.
That is what makes a later `kubectl apply --server-side` of another value conflict with
`kubectl-create` or `kubectl-client-side-apply`, as on a real cluster.

The fields a write owns come from comparing the object before and after it (SMD's
`TypedValue.Compare`): a leaf that is new or has another value is the writer's; a map field,
list item or struct that did not exist before is the writer's too (the `.` of fieldsV1); what
the write removed, nobody owns any more; what it changed, other managers lose (an Update is
always forced). A create compares with the kind's zero value: the Go struct fields that are
always serialised (`spec`, a template's `spec.containers`...) existed already.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

from engine.api.apiserver import status_strategy_keeps
from engine.api.defaults import with_defaults
from engine.api.store import json_copy
from engine.api.validation import errors as field_errors
from engine.api.validation.errors import ErrorType, FieldError
from engine.kapi import fieldpaths as ssa

Path = tuple[str, ...]
_ABSENT = object()
#: The cluster's components, whose entries are worked out when an object is served
#: (engine.kapi.controllerfields), never stored.
COMPONENTS = frozenset({"kube-controller-manager", "kubelet", "kube-scheduler"})
#: The struct fields of the kinds' zero values that Go serialises (not `omitempty`, or a
#: struct value): present before a create, so a create does not own them as a whole.
_TEMPLATE_SKELETON: dict[str, Any] = {"template": {"metadata": {"creationTimestamp": None},
                                                   "spec": {"containers": None}}}
_ZERO: dict[str, dict] = {
    "Pod": {"spec": {"containers": None}, "status": {}},
    "Deployment": {"spec": {**_TEMPLATE_SKELETON, "strategy": {}}, "status": {}},
    "ReplicaSet": {"spec": dict(_TEMPLATE_SKELETON), "status": {}},
    "StatefulSet": {"spec": {**_TEMPLATE_SKELETON, "updateStrategy": {}}, "status": {}},
    "DaemonSet": {"spec": {**_TEMPLATE_SKELETON, "updateStrategy": {}}, "status": {}},
    "Job": {"spec": dict(_TEMPLATE_SKELETON), "status": {}},
    "Service": {"spec": {}, "status": {"loadBalancer": {}}},
    "Namespace": {"spec": {}, "status": {}},
    "Node": {"spec": {}, "status": {}},
    "NetworkPolicy": {"spec": {"podSelector": {}}},
    "PersistentVolumeClaim": {"spec": {}, "status": {}},
}
#: What a create's object holds that the writer did not send and the field manager never saw:
#: set after it, by admission (a pod's priority, default tolerations), the REST layer (a
#: Service's IP families) or the strategy (a Namespace's finalizer). Owned only when sent.
_SET_AFTER_FIELD_MANAGER: dict[str, tuple[Path, ...]] = {
    "Pod": (("spec", "priority"), ("spec", "preemptionPolicy"), ("spec", "tolerations")),
    "Service": (("spec", "ipFamilies"), ("spec", "ipFamilyPolicy"), ("spec", "clusterIPs")),
    "Namespace": (("spec", "finalizers"), ("spec",)),
}


@dataclass(frozen=True)
class Comparison:
    """SMD's Comparison: the field paths a write added, changed and removed."""

    added: frozenset[Path]
    modified: frozenset[Path]
    removed: frozenset[Path]


def _empty(v: Any) -> bool:
    return v is _ABSENT or v is None or v == {} or v == []


def compare(old: Any, new: Any, kind: str) -> Comparison:
    """The fields `new` adds, changes and removes against `old` (SMD's merging walker with
    Compare's hooks). A `null` is a value, as a Go field without `omitempty` serialises (a
    template's `creationTimestamp`, a condition's `lastProbeTime`)."""
    added: set[Path] = set()
    modified: set[Path] = set()
    removed: set[Path] = set()

    def leaf(lhs: Any, rhs: Any, path: Path) -> None:
        if lhs is _ABSENT:
            added.add(path)
        elif rhs is _ABSENT:
            removed.add(path)
        elif lhs != rhs:
            modified.add(path)

    def item(lhs: Any, rhs: Any, path: Path) -> None:  # (the post-item hook)
        if lhs is _ABSENT and rhs is not _ABSENT:
            added.add(path)
        elif rhs is _ABSENT and lhs is not _ABSENT:
            removed.add(path)

    def new_subtree(rhs: Any, path: Path, shape: tuple[str, ...]) -> None:
        """Everything under a value `old` did not have is added (the walk below, without its
        comparisons: a served pod's fields are worked out this way)."""
        added.add(path)
        if isinstance(rhs, dict):
            if not rhs or ssa.is_atomic(shape):
                return
            for k, v in rhs.items():
                if path == ("f:metadata",) and k in ssa.STRIPPED_META:
                    continue
                new_subtree(v, path + (f"f:{k}",), shape + (k,))
        elif isinstance(rhs, list) and rhs and shape not in ssa.ATOMIC_LISTS and not ssa.is_atomic(shape):
            keys = ssa.key_fields(kind, shape)
            if keys is None or not all(isinstance(i, dict) for i in rhs):
                return
            atomic_items = shape[-1] in ssa.ATOMIC_ITEMS
            for i in rhs:
                p = path + (ssa.item_key(i, keys),)
                added.add(p)
                if not atomic_items:
                    for k, v in i.items():
                        new_subtree(v, p + (f"f:{k}",), shape + (k,))

    def walk(lhs: Any, rhs: Any, path: Path, shape: tuple[str, ...]) -> None:
        if lhs is _ABSENT:
            if rhs is not _ABSENT and path:
                new_subtree(rhs, path, shape)
            return
        if ssa.is_atomic(shape) or shape in ssa.ATOMIC_LISTS or (_empty(lhs) and _empty(rhs)):
            leaf(lhs, rhs, path)
            return
        sides = [v for v in (lhs, rhs) if v is not _ABSENT and v is not None]
        if all(isinstance(v, dict) for v in sides):
            walk_map(lhs if isinstance(lhs, dict) else {}, rhs if isinstance(rhs, dict) else {}, path, shape)
        elif all(isinstance(v, list) for v in sides):
            keys = ssa.key_fields(kind, shape)
            items = [i for v in sides for i in v]
            if keys is None or not all(isinstance(i, dict) for i in items):
                leaf(lhs, rhs, path)  # an atomic list
                return
            lmap = {ssa.item_key(i, keys): i for i in (lhs if isinstance(lhs, list) else [])}
            rmap = {ssa.item_key(i, keys): i for i in (rhs if isinstance(rhs, list) else [])}
            for k in list(lmap) + [k for k in rmap if k not in lmap]:
                lv, rv, p = lmap.get(k, _ABSENT), rmap.get(k, _ABSENT), path + (k,)
                if shape[-1:] and shape[-1] in ssa.ATOMIC_ITEMS:
                    leaf(lv, rv, p)
                else:
                    walk_map({} if lv is _ABSENT else lv, {} if rv is _ABSENT else rv, p, shape)
                    item(lv, rv, p)
        else:
            leaf(lhs, rhs, path)

    def walk_map(lhs: dict, rhs: dict, path: Path, shape: tuple[str, ...]) -> None:
        for k in list(lhs) + [k for k in rhs if k not in lhs]:
            if not path and k in ("apiVersion", "kind"):
                continue
            if path == ("f:metadata",) and k in ssa.STRIPPED_META:
                continue
            lv, rv = lhs.get(k, _ABSENT), rhs.get(k, _ABSENT)
            p = path + (f"f:{k}",)
            walk(lv, rv, p, shape + (k,))
            item(lv, rv, p)

    walk_map(old if isinstance(old, dict) else {}, new if isinstance(new, dict) else {}, (), ())
    return Comparison(frozenset(added), frozenset(modified), frozenset(removed))


# -- which writer, which fields ------------------------------------------------------------------

def manager_of(field_manager: str | None, user_agent: str | None) -> str:
    """apiserver handlers `managerOrUserAgent`: the fieldManager asked for, else the User-Agent
    up to its first `/` (`kubectl/v1.33.1 (linux/amd64) kubernetes/...` is `kubectl`)."""
    if field_manager:
        return field_manager
    # (prefixFromUserAgent: printable characters only, at most 128 bytes)
    out = ""
    for ch in (user_agent or "").split("/")[0]:
        if not ch.isprintable():
            continue
        if len(out.encode()) >= 128:
            break
        out += ch
    return out


def field_manager_errors(manager: str) -> list[FieldError]:
    """apimachinery ValidateFieldManager: at most 128 bytes, every character printable."""
    out = []
    if len(manager.encode()) > 128:
        out.append(FieldError(ErrorType.TooLong, "fieldManager", "", "must have at most 128 bytes"))
    at = 0
    for ch in manager:
        if not ch.isprintable():
            out.append(field_errors.invalid("fieldManager", manager,
                                            f"invalid character U+{ord(ch):04X} (at position {at})"))
        at += len(ch.encode())
    return out


def main_resource(path: Path) -> bool:
    """The fields a write of the resource itself records: not its status (each strategy's
    ResetFieldsFor: the status subresource owns it)."""
    return path[:1] != ("f:status",)


def status_subresource(path: Path) -> bool:
    """The fields a write of `/status` records: all but the spec, which the status strategies
    keep (their GetResetFields; the kind's other kept fields are `updated`'s to leave out)."""
    return path[:1] != ("f:spec",)


def scale_subresource(path: Path) -> bool:
    """`/scale` writes `.spec.replicas` of its parent (apiserver's ScaleHandler)."""
    return path[:2] == ("f:spec", "f:replicas")


SUBRESOURCE_FIELDS: dict[str, Callable[[Path], bool]] = {"": main_resource, "status": status_subresource,
                                                         "scale": scale_subresource}


def recorded(kind: str, subresource: str) -> Callable[[Path], bool]:
    """Which of the fields a write changed are the writer's: those of its subresource, less
    what the kind's status strategy keeps (a Deployment's labels: GetResetFields)."""
    if subresource != "status":
        return SUBRESOURCE_FIELDS.get(subresource, main_resource)
    reset = tuple(tuple(f"f:{k}" for k in path) for path in status_strategy_keeps(kind))
    return lambda path: not any(path[:len(r)] == r for r in reset)


def identity(e: dict) -> tuple[str, str, str, str]:
    """BuildManagerIdentifier: manager, operation, subresource, and the apiVersion of an Update."""
    op = e.get("operation", "")
    return (e.get("manager", ""), op, e.get("subresource", "") or "", "" if op == "Apply" else e.get("apiVersion", ""))


def sort_entries(entries: list[dict]) -> list[dict]:
    """fieldmanager `sortEncodedManagedFields`: by operation (Apply first), time (seconds),
    manager, apiVersion, subresource."""
    return sorted(entries, key=lambda e: (e.get("operation", ""), e.get("time") or "", e.get("manager", ""),
                                          e.get("apiVersion", ""), e.get("subresource", "")))


def entry(manager: str, operation: str, api_version: str, time: str, fields: Iterable[Path] | dict,
          subresource: str = "") -> dict:
    """A ManagedFieldsEntry, its members in the Go struct's order: the one builder of them
    (Updates here, server-side apply's Apply, the components' served entries). `fields`: a
    field set, or its fieldsV1 tree already built (a memo's, shared: it is only read)."""
    out = {"manager": manager, "operation": operation, "apiVersion": api_version, "time": time,
           "fieldsType": "FieldsV1", "fieldsV1": fields if isinstance(fields, dict) else ssa.to_fields_v1(fields)}
    if subresource:
        out["subresource"] = subresource
    return out


def fields_of(e: dict) -> set[Path]:
    return ssa.from_fields_v1(e.get("fieldsV1") or {})


def updated(managers: list[dict], old: Any, new: Any, kind: str, api_version: str, manager: str, time: str,
            subresource: str = "") -> list[dict]:
    """The managedFields after an Update by `manager` (SMD `Updater.Update` and the
    managedFieldsUpdater): its entry gains what the write added or changed and loses what it
    removed, every other manager loses both, an entry left empty goes, and the writer's time
    is now. A write that changes no field it records leaves `managers` as they are (with
    apiserver's IgnoreManagedFieldsTimestampsTransformer, a no-op stays a no-op)."""
    keep = recorded(kind, subresource)
    cmp = compare(old, new, kind)
    changed = {p for p in cmp.added | cmp.modified if keep(p)}
    removed = {p for p in cmp.removed if keep(p)}
    if not changed and not removed:
        return sort_entries([e for e in managers if isinstance(e, dict)])
    mine_id = (manager, "Update", subresource, api_version)
    out: list[dict] = []
    mine: set[Path] = set()
    for e in managers:
        if not isinstance(e, dict):
            continue
        theirs = fields_of(e)
        if identity(e) == mine_id:
            mine |= theirs
            continue
        left = theirs - changed - removed
        if left == theirs:
            out.append(e)
        elif left:
            out.append({**e, "fieldsV1": ssa.to_fields_v1(left)})
    mine = {p for p in (mine - removed) | changed if keep(p)}
    if mine:
        out.append(entry(manager, "Update", api_version, time, mine, subresource))
    return sort_entries(out)


def zero_value(kind: str) -> dict:
    """The kind's zero value as Go serialises it (the `old` of a create)."""
    return json_copy({"metadata": {}, **_ZERO.get(kind, {})})


def _get_path(obj: Any, path: Path) -> Any:
    for k in path:
        obj = obj.get(k, _ABSENT) if isinstance(obj, dict) else _ABSENT
    return obj


def _drop_path(obj: Any, path: Path) -> None:
    parent = _get_path(obj, path[:-1])
    if isinstance(parent, dict):
        parent.pop(path[-1], None)


def as_field_manager_sees(body: dict, defaulted: dict | None = None) -> dict:
    """A create's body as the field manager sees it: decoded and defaulted by the scheme
    (`defaulted`, the API server's; else defaulted here), without what admission, the REST
    layer and the strategy add after it (a copy only when there is such a field to drop)."""
    out = with_defaults(body) if defaulted is None else defaulted
    drop = [p for p in _SET_AFTER_FIELD_MANAGER.get(out.get("kind", ""), ())
            if _get_path(body, p) is _ABSENT or _get_path(body, p) is None]
    if drop and out is defaulted:
        out = json_copy(out)
    for path in drop:
        _drop_path(out, path)
    return out


def created(body: dict, kind: str, api_version: str, manager: str, time: str, defaulted: dict | None = None
            ) -> list[dict]:
    """The managedFields of a create by `manager` (its Update against the zero value), worked
    out on `defaulted` (the API server's defaulting of `body`) when given."""
    return updated([], zero_value(kind), as_field_manager_sees(body, defaulted), kind, api_version, manager, time)


def from_request(new_md: dict, live_md: dict) -> list[dict]:
    """decodeLiveOrNew: managedFields a write sends are taken as they are (that is how a
    client edits them, as kubectl's client-side to server-side apply migration does); `[{}]`
    resets them; none, or ones that do not decode, leave the live object's."""
    sent = new_md.get("managedFields")
    if isinstance(sent, list) and len(sent) == 1 and sent[0] == {}:
        return []
    if isinstance(sent, list) and sent and all(isinstance(e, dict) and isinstance(e.get("fieldsV1", {}), dict)
                                               for e in sent):
        return [dict(e) for e in sent if e.get("manager") not in COMPONENTS]
    return list(live_md.get("managedFields") or [])
