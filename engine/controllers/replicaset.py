"""ReplicaSet controller: keeps `spec.replicas` pods of the template alive.

Pods are created with `generateName: <rs>-` (the API server adds 5 characters) and an
owner reference; excess pods are deleted, least valuable first (unscheduled, pending,
not ready, newest), like `controller.ActivePods` ranking.

As upstream's manageReplicas, one sync creates or deletes at most BURST_REPLICAS (500)
pods, creations in slow-start batches (1, 2, 4, ... doubling; a batch with a failure
stops the rest, so a namespace whose pods are refused costs one request, not 500). The
next sync waits for the expectations -- the informer having observed the pods this one
made -- and upstream's informer fires them back into the work queue. svcflow's watches
are delivered as the store writes, so by the time a create returns its pod is observed:
the expectations are met when the sync ends and the next sync is the next turn of the
queue. `kubectl scale --replicas=100000` is therefore 200 syncs, each its own step:
`kubectl get rs` shows CURRENT climbing by 500 and the dashboard keeps painting between
them. The status a sync writes is computed from the pods it found (calculateStatus runs on
the pods listed before manageReplicas), so it trails the pods by one sync, as upstream's.

Claiming (ControllerRefManager.ClaimPods): a pod it owns whose labels stop matching is
released; an orphan pod (no controller) whose labels match is adopted -- a pod relabelled out
and back in, a bare pod with the same labels, the pods a Deployment deleted with
`--cascade=orphan` left -- and the surplus is then deleted as any other.
"""
from __future__ import annotations

import heapq
from typing import Callable

from engine.api.apiserver import ApiError
from engine.api.objects import (
    controller_uid,
    evolve,
    is_terminating,
    labels_of,
    meta,
    owner_ref,
)
from engine.api.store import WatchEvent
from engine.controllers.base import Controller, key_for, split_key
from engine.controllers.context import ControllerContext
from engine.controllers.controllerref import ControllerRefManager
from engine.controllers.replicapods import OwnedPods, ReplicaSetPods

BURST_REPLICAS = 500  # replicaset.BurstReplicas: creations or deletions per sync
SLOW_START_INITIAL_BATCH_SIZE = 1  # controller.SlowStartInitialBatchSize


def slow_start_batch(count: int, initial_batch_size: int, fn: Callable[[], ApiError | None]) -> tuple[int, ApiError | None]:
    """Call `fn` `count` times in batches of 1, 2, 4, ... (upstream's slowStartBatch): a
    batch runs whole (its calls are concurrent upstream), and one with a failure ends the
    run. Returns the successes and the first failure."""
    remaining, successes = count, 0
    batch = min(remaining, initial_batch_size)
    while batch > 0:
        errors = [e for e in (fn() for _ in range(batch)) if e is not None]
        successes += batch - len(errors)
        if errors:
            return successes, errors[0]
        remaining -= batch
        batch = min(2 * batch, remaining)
    return successes, None


class ReplicaSetController(Controller):
    name = "replicaset-controller"

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.api, self.recorder, self.flow, self.clock = ctx.api, ctx.recorder, ctx.flow, ctx.clock
        self.refs = ControllerRefManager(self.store, ctx.flow, self.name)
        self.pods = ReplicaSetPods(self.store)  # the informer's view: each ReplicaSet's pods, counted
        self._orphans: dict[str, dict[str, None]] = {}  # namespace -> pods no controller owns (not terminating)
        self.store.watch("ReplicaSet", self._on_rs)
        self.store.watch("Pod", self._on_pod)

    def _on_rs(self, ev: WatchEvent) -> None:
        if ev.type == "DELETED":
            self.pods.forget(ev.obj)
        else:
            self.pods.set_spec(ev.obj)
        self.enqueue(key_for(ev.obj))

    def _on_pod(self, ev: WatchEvent) -> None:
        self.pods.observe(ev.type, ev.obj)
        owner = controller_uid(ev.obj)
        ns = meta(ev.obj).get("namespace") or ""
        key = key_for(ev.obj)
        if not owner and ev.type != "DELETED" and not is_terminating(ev.obj):
            self._orphans.setdefault(ns, {})[key] = None
            # (addPod/updatePod of an orphan: every ReplicaSet that could adopt it syncs)
            for rs in self._selecting(ns, ev.obj):
                self.enqueue(key_for(rs))
            return
        orphans = self._orphans.get(ns)
        if orphans is not None:
            orphans.pop(key, None)
        if not owner:
            return
        for o in meta(ev.obj).get("ownerReferences") or ():
            if o.get("uid") == owner and o.get("kind") == "ReplicaSet":
                self.enqueue(f"{meta(ev.obj).get('namespace')}/{o['name']}")

    def reconcile(self, key: str) -> None:
        """syncReplicaSet: claim the pods, manage the replicas, write the status."""
        ns, name = split_key(key)
        rs = self.store.get("ReplicaSet", ns, name)
        if rs is None:
            self.forget(key)
            return
        owned = self.pods.of(rs)
        if not owned.known:
            self.pods.set_spec(rs)
        self._release_unmatched(rs, owned)
        if not is_terminating(rs) and self._orphans.get(ns) and self._adopt_orphans(rs):
            owned = self.pods.of(rs)
        # calculateStatus counts the pods the sync found, before manageReplicas changed them.
        found = (owned.active, owned.ready, owned.fully_labeled)
        err = None if is_terminating(rs) else self._manage_replicas(rs, owned)
        if err is None:
            self.forget(key)
        else:
            # (rate-limited, 5 ms doubling to 1000 s; background timers: an idle run does not
            # wait for a sync that keeps failing)
            self.add_rate_limited(key)
        self._update_status(rs, found, err)

    def _manage_replicas(self, rs: dict, owned: OwnedPods) -> str | None:
        """manageReplicas: at most BURST_REPLICAS creations (slow start) or deletions; the
        first failure's message, if any (FailedCreate)."""
        diff = owned.active - int(rs["spec"].get("replicas", 1))
        if diff < 0:
            _, err = slow_start_batch(min(-diff, BURST_REPLICAS), SLOW_START_INITIAL_BATCH_SIZE,
                                      lambda: self._create_pod(rs))
            return err.status.status_message() if err is not None else None
        if diff > 0:
            ns = meta(rs).get("namespace") or ""
            ranked = ((f.rank, key) for key, f in owned.pods.items() if f.active)
            for _, key in heapq.nsmallest(min(diff, BURST_REPLICAS), ranked):
                name = split_key(key)[1]
                self.api.delete_object("Pod", ns, name)
                self.recorder.event(rs, "Normal", "SuccessfulDelete", f"Deleted pod: {name}", self.name)
        return None

    def _create_pod(self, rs: dict) -> ApiError | None:
        """PodControl.CreatePods: one pod of the template, and its event."""
        try:
            created = self.api.create_generated(self._new_pod(rs))
        except ApiError as e:
            # (err.Error() of a refusal: the Status's message, `pods "x" is forbidden: ...`)
            self.recorder.event(rs, "Warning", "FailedCreate", f"Error creating: {e.status.status_message()}",
                                self.name)
            return e
        self.recorder.event(rs, "Normal", "SuccessfulCreate", f"Created pod: {meta(created)['name']}", self.name)
        self.flow(self.name, created, "created", f"for {meta(rs)['name']}")
        return None

    def _release_unmatched(self, rs: dict, owned: OwnedPods) -> None:
        """ControllerRefManager.ClaimPods: a pod this ReplicaSet owns whose labels no longer
        match its selector (someone relabelled it) is released -- its ownerReference removed,
        the pod left running as an orphan -- and the ReplicaSet makes a new one in its place."""
        for key in list(owned.unmatched):
            p = self.store.get("Pod", *split_key(key))
            if p is not None:
                self.refs.release(p, rs)

    def _selecting(self, ns: str, pod: dict) -> list[dict]:
        """The ReplicaSets of the namespace whose selector matches the pod's labels."""
        labels = labels_of(pod)
        return [rs for rs in self.store.list("ReplicaSet", ns) if self._selector(rs).matches(labels)]

    def _selector(self, rs: dict):
        """The ReplicaSet's parsed selector, as the pods' view keeps it (parsed once per spec)."""
        owned = self.pods.of(rs)
        if not owned.known:
            self.pods.set_spec(rs)
            owned = self.pods.of(rs)
        return owned.selector

    def _adopt_orphans(self, rs: dict) -> bool:
        """ClaimPods' adoption: each orphan of the namespace whose labels match the selector
        gets this ReplicaSet as its controller (an ownerReference with controller and
        blockOwnerDeletion, as the adoption patch writes it)."""
        ns = meta(rs).get("namespace") or ""
        selector = self._selector(rs)
        if selector.empty():  # (an empty selector matches nothing for ClaimPods)
            return False
        adopted = False
        for key in list(self._orphans.get(ns, ())):
            pod = self.store.get("Pod", *split_key(key))
            if pod is None or controller_uid(pod) or is_terminating(pod) or not selector.matches(labels_of(pod)):
                continue
            self.refs.adopt(pod, rs)
            adopted = True
        return adopted

    def _new_pod(self, rs: dict) -> dict:
        # The API server's defaulting deep-copies what it is given, so the template's
        # spec is passed as is; only the metadata (written here) is a private copy.
        tmpl = rs["spec"].get("template") or {}
        md = dict(tmpl.get("metadata") or {})
        md.pop("creationTimestamp", None)
        md["generateName"] = meta(rs)["name"] + "-"
        md["namespace"] = meta(rs).get("namespace")
        md["ownerReferences"] = [owner_ref(rs)]
        return {"apiVersion": "v1", "kind": "Pod", "metadata": md, "spec": tmpl.get("spec") or {}}

    def _update_status(self, rs: dict, found: tuple[int, int, int], err: str | None) -> None:
        """calculateStatus over the pods the sync found (active, ready, fully labelled); a
        failed manageReplicas sets the ReplicaFailure condition (FailedCreate /
        FailedDelete), a later good one removes it."""
        active, ready, fully_labeled = found
        status = {
            "replicas": active,
            "fullyLabeledReplicas": fully_labeled,
            "readyReplicas": ready,
            "availableReplicas": ready,
            "observedGeneration": meta(rs).get("generation", 1),
        }
        status = {k: v for k, v in status.items() if v or k in ("replicas", "observedGeneration")}
        conditions = list((rs.get("status") or {}).get("conditions") or ())
        failure = next((c for c in conditions if c.get("type") == "ReplicaFailure"), None)
        if err is not None and failure is None:
            diff = active - int(rs["spec"].get("replicas", 1))
            reason = "FailedCreate" if diff < 0 else "FailedDelete" if diff > 0 else ""
            conditions.append({"type": "ReplicaFailure", "status": "True", "lastTransitionTime": self.clock.now_str(),
                               "reason": reason, "message": err})
        elif err is None and failure is not None:
            conditions.remove(failure)
        if conditions:
            status["conditions"] = conditions
        if rs.get("status") != status:
            new = evolve(rs)
            new["status"] = status
            self.store.update(new, owned=True)
