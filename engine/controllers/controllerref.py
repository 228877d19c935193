"""ControllerRefManager's adoption and release (pkg/controller/controller_ref_manager.go), the
one way a Deployment claims ReplicaSets, and a ReplicaSet or StatefulSet claims pods.

Adoption adds a controller reference to the owner (controller and blockOwnerDeletion true,
merged by uid into the object's ownerReferences, as ownerRefControllerPatch does); release
deletes the owner's reference by uid (GenerateDeleteOwnerRefStrategicMergeBytes): the object
is left running as an orphan, and the next owner whose selector matches may adopt it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from engine.api.objects import evolve, meta, owner_ref, uid_of
from engine.api.store import Store


def _with_refs(obj: dict, refs: list[dict]) -> dict:
    new = evolve(obj)
    if refs:
        new["metadata"]["ownerReferences"] = refs
    else:
        new["metadata"].pop("ownerReferences", None)
    return new


def adopted(obj: dict, owner: dict) -> dict:
    """`obj`'s next version, controlled by `owner`."""
    uid = uid_of(owner)
    return _with_refs(obj, [*(r for r in meta(obj).get("ownerReferences") or () if r.get("uid") != uid),
                            owner_ref(owner)])


def released(obj: dict, owner: dict) -> dict:
    """`obj`'s next version, without `owner`'s reference."""
    uid = uid_of(owner)
    return _with_refs(obj, [r for r in meta(obj).get("ownerReferences") or () if r.get("uid") != uid])


@dataclass
class ControllerRefManager:
    """One controller's claims, written to the store and told to svcflow's flow record."""

    store: Store
    flow: Callable[..., object]
    controller: str  # the controller's name, as the flow names it

    def adopt(self, obj: dict, owner: dict) -> dict:
        out = self.store.update(adopted(obj, owner), owned=True)
        self.flow(self.controller, out, "adopted", f"by {owner['kind'].lower()} {meta(owner)['name']}")
        return out

    def release(self, obj: dict, owner: dict) -> dict:
        out = self.store.update(released(obj, owner), owned=True)
        self.flow(self.controller, out, "released",
                  f"its labels no longer match {owner['kind'].lower()} {meta(owner)['name']}'s selector")
        return out
