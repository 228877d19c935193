"""DaemonSet controller: one pod per eligible node (kube-proxy and kindnet run this way).

Pods are bound to their node directly (spec.nodeName, as the controller's node-affinity
leads the scheduler to do) and tolerate the taints their template tolerates.

Its history is upstream's (pkg/controller/daemon/update.go): each template the set has had is
a ControllerRevision `<set>-<hash>` it controls (constructHistory; the hash is
controller.ComputeHash of the template and collisionCount, the revision's labels the
template's plus `controller-revision-hash`, its annotations the set's), the current one
renumbered above the others when a rollback (`kubectl rollout undo`) makes an old template
current again; each pod carries its revision's hash and the set's template generation
(`pod-template-generation`, from the `deprecated.daemonset.template.generation` annotation the
API server keeps: engine.api.templategeneration), and RollingUpdate replaces the pods that
are neither (IsPodUpdated) at most maxUnavailable at a time. Old revisions no pod uses go beyond
revisionHistoryLimit (cleanupHistory).
"""
from __future__ import annotations

from engine.api.apiserver import ApiError
from engine.api.naming import pod_template_hash
from engine.api.objects import (
    clone,
    evolve,
    is_terminating,
    labels_of,
    meta,
    owner_ref,
    pod_is_active,
    pod_is_ready,
    uid_of,
)
from engine.api.templategeneration import template_generation
from engine.api.wellknown import POD_TEMPLATE_GENERATION_LABEL
from engine.controllers.base import Controller, key_for, split_key
from engine.controllers.context import ControllerContext
from engine.controllers.history import (
    POD_REVISION_LABEL,
    History,
    equal_revisions,
    new_revision,
    next_revision,
    patch_data,
    revision_name,
    revision_number,
)
from engine.controllers.intstr import scaled_value
from engine.controllers.scheduler import tolerates_all


def is_pod_updated(pod: dict, hash_: str, generation: int | None) -> bool:
    """IsPodUpdated: the pod carries the current revision's hash, or the set's template
    generation, which upstream keeps for pods made before revisions had hashes. svcflow reads
    the generation only on a pod without a hash: where the API server bumps the generation
    with each new template, a pod of the current generation has the current hash too, so the
    answer is upstream's; and a manifest that carries a stale generation annotation (one
    exported with `-o yaml`) cannot keep old pods from rolling."""
    labels = labels_of(pod)
    if POD_REVISION_LABEL in labels:
        return bool(hash_) and labels[POD_REVISION_LABEL] == hash_
    return generation is not None and labels.get(POD_TEMPLATE_GENERATION_LABEL) == str(generation)


def max_unavailable(ds: dict, desired: int) -> int:
    """The rolling update's budget (UnavailableCount): maxUnavailable as a number, or a
    percent of the nodes that should run the pod rounded up."""
    ru = ((ds["spec"].get("updateStrategy") or {}).get("rollingUpdate") or {})
    return scaled_value(ru.get("maxUnavailable", 1), desired, True)


class HashCollision(Exception):
    """snapshot's AlreadyExists with another template's data: collisionCount was bumped, the
    sync is tried again with the new hash."""


class DaemonSetController(Controller):
    name = "daemonset-controller"

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.api, self.recorder = ctx.api, ctx.recorder
        self.history = History(ctx.api, self.store)
        self.store.watch("DaemonSet", lambda ev: self.enqueue(key_for(ev.obj)))
        self.store.watch("Pod", self._on_pod)
        self.store.watch("Node", lambda ev: [self.enqueue(key_for(d)) for d in self.store.list("DaemonSet")])

    def _on_pod(self, ev) -> None:
        for o in meta(ev.obj).get("ownerReferences") or ():
            if o.get("kind") == "DaemonSet":
                self.enqueue(f"{meta(ev.obj).get('namespace')}/{o['name']}")

    def reconcile(self, key: str) -> None:
        ns, name = split_key(key)
        ds = self.store.get("DaemonSet", ns, name)
        if ds is None or is_terminating(ds):
            return
        try:
            cur, old = self._construct_history(ds)
        except (ApiError, HashCollision):  # (a namespace being deleted, or a collision: again later)
            self.add_rate_limited(key)
            return
        hash_ = labels_of(cur).get(POD_REVISION_LABEL, "")
        generation = template_generation(ds)
        tmpl = ds["spec"].get("template") or {}
        tolerations = (tmpl.get("spec") or {}).get("tolerations") or []
        pods = [p for k, pns, pn in self.store.dependents(uid_of(ds))
                if k == "Pod" and (p := self.store.get("Pod", pns, pn)) is not None]
        by_node = {p["spec"].get("nodeName"): p for p in pods if pod_is_active(p)}
        eligible = [n for n in self.store.list("Node") if tolerates_all(tolerations, n)]
        failed = False
        for node in eligible:
            if meta(node)["name"] not in by_node:
                pod = clone(tmpl)
                md = pod.setdefault("metadata", {})
                md.pop("creationTimestamp", None)
                md["generateName"] = f"{name}-"
                md["namespace"] = ns
                labels = md.setdefault("labels", {})
                if generation is not None:  # (CreatePodTemplate)
                    labels[POD_TEMPLATE_GENERATION_LABEL] = str(generation)
                labels[POD_REVISION_LABEL] = hash_
                md["ownerReferences"] = [owner_ref(ds)]
                pod["spec"]["nodeName"] = meta(node)["name"]
                try:
                    created = self.api.create_generated({"apiVersion": "v1", "kind": "Pod", **pod})
                except ApiError as e:  # (admission refused it: a ServiceAccount that does not exist)
                    self.recorder.event(ds, "Warning", "FailedCreate", f"Error creating: {e.status.status_message()}",
                                        self.name)
                    failed = True
                    continue
                self.recorder.event(ds, "Normal", "SuccessfulCreate", f"Created pod: {meta(created)['name']}", self.name)
        self._roll(ds, [p for p in by_node.values()], hash_, generation, len(eligible))
        self._cleanup_history(ds, old)
        if failed:  # syncDaemonSet's error: the key again later (rate-limited, background timers)
            self.add_rate_limited(key)
        else:
            self.forget(key)
        active = [p for k, pns, pn in self.store.dependents(uid_of(ds))
                  if k == "Pod" and (p := self.store.get("Pod", pns, pn)) is not None and pod_is_active(p)]
        ready = sum(1 for p in active if pod_is_ready(p))
        status = {
            "currentNumberScheduled": len(active), "desiredNumberScheduled": len(eligible),
            "numberMisscheduled": 0, "numberReady": ready, "numberAvailable": ready,
            "updatedNumberScheduled": sum(1 for p in active if is_pod_updated(p, hash_, generation)),
            "observedGeneration": meta(ds).get("generation", 1),
        }
        if len(eligible) - ready:
            status["numberUnavailable"] = len(eligible) - ready
        if not ready:
            del status["numberAvailable"]
        if not status["updatedNumberScheduled"]:
            del status["updatedNumberScheduled"]
        if (ds.get("status") or {}).get("collisionCount") is not None:
            status["collisionCount"] = ds["status"]["collisionCount"]
        if ds.get("status") != status:
            new = clone(ds)
            new["status"] = status
            self.store.update(new, owned=True)

    # -- history --------------------------------------------------------------------------
    def _construct_history(self, ds: dict) -> tuple[dict, list[dict]]:
        """constructHistory: the revision equal to the set's template (Match: the same
        getPatch data) and the others; the current one is numbered above every other (a
        rollback renumbers it), or snapshotted when there is none."""
        revisions = self.history.owned(ds)
        data = patch_data(ds["spec"].get("template") or {})
        current = equal_revisions(revisions, data)
        old = [r for r in revisions if r.get("data") != data]
        number = next_revision(old)
        if not current:
            return self._snapshot(ds, data, number), old
        cur = current[-1]  # dedupCurHistories: the highest stays, the duplicates go
        for dup in current[:-1]:
            self.history.delete(dup)
        if revision_number(cur) < number:
            cur = self.history.renumber(cur, number)
        return cur, old

    def _snapshot(self, ds: dict, data: dict, number: int) -> dict:
        """snapshot: the revision `<set>-<ComputeHash>`; a name taken by other data is a
        collision: status.collisionCount goes up and the sync is tried again."""
        count = (ds.get("status") or {}).get("collisionCount")
        tmpl = ds["spec"].get("template") or {}
        hash_ = pod_template_hash(tmpl, count)
        labels = {**((tmpl.get("metadata") or {}).get("labels") or {}), POD_REVISION_LABEL: hash_}
        rev = new_revision(ds, labels, data, number, annotations=meta(ds).get("annotations"))
        rev["metadata"]["name"] = revision_name(meta(ds)["name"], hash_)
        created = self.history.create_or_match(rev)
        if created is not None:
            return created
        new = evolve(ds)
        new["status"] = {**(ds.get("status") or {}), "collisionCount": int(count or 0) + 1}
        self.store.update(new, owned=True)
        raise HashCollision(f"hash collision: ControllerRevision {rev['metadata']['name']} holds another template")

    def _cleanup_history(self, ds: dict, old: list[dict]) -> None:
        """cleanupHistory: beyond revisionHistoryLimit, the oldest revisions no pod carries."""
        to_kill = len(old) - int(ds["spec"].get("revisionHistoryLimit", 10))
        if to_kill <= 0:
            return
        live = {labels_of(p).get(POD_REVISION_LABEL) for k, pns, pn in self.store.dependents(uid_of(ds))
                if k == "Pod" and (p := self.store.get("Pod", pns, pn)) is not None}
        for rev in old:
            if to_kill <= 0:
                break
            if labels_of(rev).get(POD_REVISION_LABEL) in live:
                continue
            self.history.delete(rev)
            to_kill -= 1

    def _roll(self, ds: dict, pods: list[dict], hash_: str, generation: int | None, desired: int) -> None:
        """rollingUpdate (maxSurge 0): old pods that are not ready go at once; ready ones
        while fewer than maxUnavailable nodes lack a ready pod. OnDelete waits for the user."""
        if (ds["spec"].get("updateStrategy") or {}).get("type", "RollingUpdate") != "RollingUpdate":
            return
        outdated = [p for p in pods if not is_pod_updated(p, hash_, generation)]
        if not outdated:
            return
        unavailable = desired - sum(1 for p in pods if pod_is_ready(p))
        budget = max_unavailable(ds, desired) - unavailable
        for pod in sorted(outdated, key=pod_is_ready):
            if pod_is_ready(pod):
                if budget <= 0:
                    break
                budget -= 1
            self.api.delete_object("Pod", meta(pod).get("namespace") or "", meta(pod)["name"])
            self.recorder.event(ds, "Normal", "SuccessfulDelete", f"Deleted pod: {meta(pod)['name']}", self.name)
