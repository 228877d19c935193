"""ControllerRevisions: the one home of a set's revision history (pkg/controller/history,
controller_history.go, and the getPatch / ApplyRevision pair both set controllers share).

A StatefulSet or DaemonSet keeps each pod template it has had as an apps/v1
ControllerRevision it controls: `data` is getPatch's JSON, the patch that puts the template
back (`{"spec":{"template":{...,"$patch":"replace"}}}`, keys sorted as Go marshals a generic
map), and `revision` counts up. `kubectl rollout history` lists them, and `kubectl rollout
undo` sends a revision's `data` back to the set as a strategic merge patch; the controller
then finds that revision equal to the set's template and re-uses it under a higher number.

The history lives in the API store (the controllers keep none of it in memory), so a
restarted controller reads it back, and the garbage collector deletes it with its owner (the
revisions' controller ownerReference).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from engine.api.apiserver import ApiError, ApiServer
from engine.api.naming import fnv1_32, go_json, new_uid, safe_encode
from engine.api.objects import controller_uid, evolve, meta, owner_ref, uid_of
from engine.api.store import Store, json_copy

KIND = "ControllerRevision"
API_VERSION = "apps/v1"
#: history.ControllerRevisionHashLabel: a StatefulSet revision's hash, as a label.
HASH_LABEL = "controller.kubernetes.io/hash"
#: apps.ControllerRevisionHashLabelKey (= DefaultDaemonSetUniqueLabelKey): a pod's revision.
POD_REVISION_LABEL = "controller-revision-hash"
#: validation.DNS1123SubdomainMaxLength - len(hash) - 1 -- what ControllerRevisionName keeps.
_MAX_PREFIX = 223


def patch_data(template: dict) -> dict:
    """getPatch: the set's template with `$patch: replace`, under spec.template, as Go's
    json.Marshal of a map leaves it (keys sorted at every level)."""
    return json.loads(go_json({"spec": {"template": {**template, "$patch": "replace"}}}))


def template_of(revision: dict) -> dict:
    """ApplyRevision's result for the template: the one `data` replaces the set's with."""
    tmpl = (((revision.get("data") or {}).get("spec") or {}).get("template")) or {}
    return {k: json_copy(v) for k, v in tmpl.items() if k != "$patch"}


def hash_revision(data: Any, probe: int | None) -> str:
    """HashControllerRevision: FNV-1 (32 bits) over the data's JSON, then the collision
    count in decimal when there is one, printed in decimal and safe-encoded."""
    h = fnv1_32(go_json(data))
    if probe is not None:
        h = fnv1_32(str(probe).encode(), h)
    return safe_encode(str(h))


def revision_name(prefix: str, hash_: str) -> str:
    """ControllerRevisionName: `<prefix>-<hash>`, the prefix cut so the name stays a DNS
    subdomain."""
    return f"{prefix[:_MAX_PREFIX]}-{hash_}"


def revision_number(revision: dict) -> int:
    n = revision.get("revision")
    return n if isinstance(n, int) else 0


def sort_revisions(revisions: list[dict]) -> list[dict]:
    """SortControllerRevisions: by revision number, then creation time, then name."""
    return sorted(revisions, key=lambda r: (revision_number(r), meta(r).get("creationTimestamp") or "",
                                            meta(r).get("name", "")))


def next_revision(revisions: list[dict]) -> int:
    """nextRevision: one more than the highest number (1 for the first)."""
    return max((revision_number(r) for r in revisions), default=0) + 1


def equal_revisions(revisions: list[dict], data: Any) -> list[dict]:
    """FindEqualRevisions: those whose data is the same (Go compares the bytes; svcflow's
    are one canonical JSON, so comparing the values is the same test)."""
    return [r for r in revisions if r.get("data") == data]


def new_revision(parent: dict, template_labels: dict, data: dict, number: int, *,
                 annotations: dict | None = None) -> dict:
    """NewControllerRevision's object, without its name (the hash decides it when it is
    created): the template's labels, the parent as controller, the data and its number."""
    md: dict[str, Any] = {"namespace": meta(parent).get("namespace") or "", "labels": dict(template_labels),
                          "ownerReferences": [owner_ref(parent)]}
    if annotations:
        md["annotations"] = dict(annotations)
    return {"apiVersion": API_VERSION, "kind": KIND, "metadata": md, "data": data, "revision": number}


@dataclass
class History:
    """realHistory: the revisions a parent controls, read from and written to the API."""

    api: ApiServer
    store: Store

    def owned(self, parent: dict) -> list[dict]:
        """ListControllerRevisions (the parent's, by its controller reference), sorted."""
        uid = uid_of(parent)
        revs = [r for k, ns, n in self.store.dependents(uid)
                if k == KIND and (r := self.store.get(KIND, ns, n)) is not None and controller_uid(r) == uid]
        return sort_revisions(revs)

    def _uid(self) -> str:
        """A UID from the revisions' own random purpose: adding them left every other
        object's UID (a deterministic cluster's) where it was."""
        return new_uid(self.api.rng("uid:controllerrevision"))

    def create(self, parent: dict, revision: dict, collision_count: int) -> tuple[dict, int]:
        """CreateControllerRevision: named `<parent>-<hash>` over data and collision count; a
        name already taken by the same data is that revision, by other data a collision (the
        count goes up and the hash is taken again). Returns the revision and the count."""
        while True:
            hash_ = hash_revision(revision["data"], collision_count)
            rev = json_copy(revision)
            rev["metadata"]["name"] = revision_name(meta(parent)["name"], hash_)
            rev["metadata"].setdefault("labels", {})[HASH_LABEL] = hash_
            created = self.create_or_match(rev)
            if created is not None:
                return created, collision_count
            collision_count += 1

    def create_or_match(self, revision: dict) -> dict | None:
        """A revision under the name it carries: created, or the one of that name when its
        data is the same (this template's, made before); None when the name is another
        template's (a hash collision: the caller's collisionCount goes up)."""
        try:
            return self.api.create(revision, uid=self._uid())
        except ApiError as e:
            if e.status.reason != "AlreadyExists":
                raise
        md = revision["metadata"]
        exists = self.store.get(KIND, md["namespace"], md["name"])
        return exists if exists is not None and exists.get("data") == revision["data"] else None

    def renumber(self, revision: dict, number: int) -> dict:
        """UpdateControllerRevision: the same revision under a new number (a rollback)."""
        if revision_number(revision) == number:
            return revision
        new = evolve(revision)
        new["revision"] = number
        return self.api.update(revision, new)

    def delete(self, revision: dict) -> None:
        self.api.delete_object(KIND, meta(revision).get("namespace") or "", meta(revision)["name"])
