"""Deployment controller: one ReplicaSet per pod template, rolled with RollingUpdate.

The ReplicaSet is named `<deployment>-<pod-template-hash>`; a changed template gets a new
ReplicaSet that is scaled up by maxSurge while old ones are scaled down within
maxUnavailable (`deployment/rolling.go`); the same template again reuses its old
ReplicaSet (a rollback keeps its hash).

Which ReplicaSets are the Deployment's is claimed as upstream's ControllerRefManager does
(`getReplicaSetsForDeployment`): those it controls and its selector still matches, plus the
orphans its selector matches, adopted (a ReplicaSet left by `kubectl delete deploy
--cascade=orphan` goes back to the Deployment created again, with its pods). A ReplicaSet
name already taken by one it does not control is a hash collision: `status.collisionCount`
goes up and the next sync names the new ReplicaSet with the new hash.
"""
from __future__ import annotations

from engine.api import labels as label_selectors
from engine.api.naming import pod_template_hash
from engine.api.objects import clone, controller_uid, is_terminating, labels_of, meta, owner_ref, uid_of
from engine.api.store import AlreadyExists
from engine.api.wellknown import LAST_APPLIED, REVISION
from engine.controllers.base import Controller, key_for, split_key
from engine.controllers.context import ControllerContext
from engine.controllers.controllerref import ControllerRefManager
from engine.controllers.intstr import scaled_value

#: What copyDeploymentAnnotationsToReplicaSet leaves out (annotationsToSkip): kubectl's own,
#: and the ones the controller keeps per ReplicaSet.
ANNOTATIONS_NOT_COPIED = frozenset({LAST_APPLIED, REVISION, "deployment.kubernetes.io/revision-history",
                                    "deployment.kubernetes.io/desired-replicas",
                                    "deployment.kubernetes.io/max-replicas", "deprecated.deployment.rollback.to"})


def copied_annotations(d: dict) -> dict[str, str]:
    """The Deployment's annotations its current ReplicaSet carries too (`kubernetes.io/
    change-cause`, which `kubectl rollout history` prints as CHANGE-CAUSE)."""
    return {k: v for k, v in (meta(d).get("annotations") or {}).items() if k not in ANNOTATIONS_NOT_COPIED}


def template_without_hash(tmpl: dict) -> dict:
    """The template as the Deployment wrote it (an equal value; shares what it can)."""
    md = tmpl.get("metadata")
    labels = (md or {}).get("labels")
    if not isinstance(labels, dict) or "pod-template-hash" not in labels:
        return tmpl
    t = dict(tmpl)
    t["metadata"] = {**md, "labels": {k: v for k, v in labels.items() if k != "pod-template-hash"}}
    return t


class DeploymentController(Controller):
    name = "deployment-controller"

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.api, self.recorder, self.clock, self.flow = ctx.api, ctx.recorder, ctx.clock, ctx.flow
        self.refs = ControllerRefManager(self.store, ctx.flow, self.name)
        self.store.watch("Deployment", lambda ev: self.enqueue(key_for(ev.obj)))
        self.store.watch("ReplicaSet", self._on_rs)
        # (uid, generation, collisionCount) -> pod-template-hash: the template only
        # changes with the generation, and the hash is a dump of it.
        self._hashes: dict[tuple, str] = {}

    def _on_rs(self, ev) -> None:
        for o in meta(ev.obj).get("ownerReferences") or ():
            if o.get("kind") == "Deployment":
                self.enqueue(f"{meta(ev.obj).get('namespace')}/{o['name']}")

    def owned_replicasets(self, d: dict) -> list[dict]:
        ns = meta(d).get("namespace") or ""
        out = []
        for kind, rns, name in self.store.dependents(uid_of(d)):
            if kind == "ReplicaSet" and rns == ns:
                rs = self.store.get("ReplicaSet", ns, name)
                if rs is not None and controller_uid(rs) == uid_of(d):
                    out.append(rs)
        return out

    def claim_replicasets(self, d: dict) -> list[dict]:
        """ClaimReplicaSets: the ReplicaSets `d` controls whose labels its selector matches
        (one it no longer matches is released: its controller reference removed), and the
        orphans it matches, adopted (neither being deleted)."""
        ns = meta(d).get("namespace") or ""
        selector = label_selectors.from_label_selector(d["spec"].get("selector"))
        out = []
        for rs in self.owned_replicasets(d):
            if selector.matches(labels_of(rs)):
                out.append(rs)
            elif not is_terminating(rs):
                self.refs.release(rs, d)
        if is_terminating(d):
            return out
        for rs in self._candidates(d, ns):
            if controller_uid(rs) is None and not is_terminating(rs) and selector.matches(labels_of(rs)):
                out.append(self.refs.adopt(rs, d))
        return out

    def _candidates(self, d: dict, ns: str) -> list[dict]:
        """The namespace's ReplicaSets that may match `d`'s selector (through the label
        index when it has matchLabels: a namespace may hold thousands)."""
        match = (d["spec"].get("selector") or {}).get("matchLabels") or {}
        if match:
            k, v = next(iter(match.items()))
            return self.store.by_label("ReplicaSet", ns, k, v)
        return self.store.list("ReplicaSet", ns)

    def reconcile(self, key: str) -> None:
        ns, name = split_key(key)
        d = self.store.get("Deployment", ns, name)
        if d is None or is_terminating(d):
            return
        spec = d["spec"]
        tmpl = spec.get("template") or {}
        rss = self.claim_replicasets(d)
        cc = (d.get("status") or {}).get("collisionCount")
        hkey = (uid_of(d), meta(d).get("generation"), cc)
        h = self._hashes.get(hkey)
        if h is None:
            if len(self._hashes) > 100_000:
                self._hashes.clear()
            h = self._hashes[hkey] = pod_template_hash(tmpl, cc)
        new_rs = next((r for r in rss if template_without_hash(r["spec"]["template"]) == tmpl), None)
        old = [r for r in rss if r is not new_rs]
        replicas = int(spec.get("replicas", 1))
        if new_rs is not None:  # (getAllReplicaSetsAndSyncRevision: the current one's annotations and revision)
            new_rs = self._ensure_revision(d, new_rs, old)
            d = self._sync_revision(d, new_rs)
        if spec.get("paused"):
            self._sync_paused(d, new_rs, old, replicas)
            return
        if new_rs is None:
            revision = 1 + max((int(meta(r).get("annotations", {}).get(REVISION, "0")) for r in rss), default=0)
            new_rs = self._create_rs(d, h, revision, self._initial_scale(d, old, replicas))
            if new_rs is None:
                return  # (a hash collision: the next sync, with the new collisionCount, names it anew)
            d = self._sync_revision(d, new_rs)
        if spec.get("strategy", {}).get("type") == "Recreate":
            self._recreate(d, new_rs, old, replicas)
        else:
            self._rolling(d, new_rs, old, replicas)
        self._sync_status(d, new_rs, self.claim_replicasets(d))

    def _sync_paused(self, d: dict, new_rs: dict | None, old: list[dict], replicas: int) -> None:
        """syncDeployment of a paused Deployment (`sync`): no new ReplicaSet is made for a
        changed template until `rollout resume` -- pausing batches changes into one rollout --
        but a change of replicas still scales the active ReplicaSet (FindActiveOrLatest)."""
        active = [r for r in ([new_rs] if new_rs is not None else []) + old if r["spec"].get("replicas", 0)]
        target = active[0] if len(active) == 1 else (new_rs if not active else None)
        if target is None and not active and old:
            target = max(old, key=lambda r: meta(r)["creationTimestamp"])
        if target is not None and target["spec"].get("replicas", 0) != replicas:
            target = self._scale(d, target, replicas)
            if new_rs is not None and meta(target)["name"] == meta(new_rs)["name"]:
                new_rs = target
        self._sync_status(d, new_rs, self.claim_replicasets(d))

    # -- rollout ------------------------------------------------------------
    def _surge_unavailable(self, d: dict, replicas: int) -> tuple[int, int]:
        ru = (d["spec"].get("strategy") or {}).get("rollingUpdate") or {}
        surge = scaled_value(ru.get("maxSurge", "25%"), replicas, True)
        unavail = scaled_value(ru.get("maxUnavailable", "25%"), replicas, False)
        if surge == 0 and unavail == 0:
            unavail = 1
        return surge, unavail

    def _initial_scale(self, d: dict, old: list[dict], replicas: int) -> int:
        if not any(r["spec"].get("replicas", 0) for r in old):
            return replicas
        surge, _ = self._surge_unavailable(d, replicas)
        current = sum(r["spec"].get("replicas", 0) for r in old)
        return max(0, min(replicas, replicas + surge - current))

    def _rolling(self, d: dict, new_rs: dict, old: list[dict], replicas: int) -> None:
        surge, unavail = self._surge_unavailable(d, replicas)
        new_count = new_rs["spec"].get("replicas", 0)
        old_count = sum(r["spec"].get("replicas", 0) for r in old)
        # Scale up the new ReplicaSet within maxSurge.
        if new_count < replicas:
            room = replicas + surge - (new_count + old_count)
            target = min(replicas, new_count + max(room, 0))
            if not old_count:
                target = replicas
            if target != new_count:
                new_rs = self._scale(d, new_rs, target)
        elif new_count > replicas:
            new_rs = self._scale(d, new_rs, replicas)
        # Scale down old ReplicaSets within maxUnavailable.
        if old_count:
            min_available = replicas - unavail
            available = sum((r.get("status") or {}).get("availableReplicas", 0) for r in [new_rs, *old])
            budget = available - min_available
            # Pods of old ReplicaSets that are not available can always go.
            for r in sorted(old, key=lambda r: meta(r)["creationTimestamp"]):
                cur = r["spec"].get("replicas", 0)
                if not cur:
                    continue
                unavailable_here = cur - (r.get("status") or {}).get("availableReplicas", 0)
                cut = min(cur, max(budget, 0) + unavailable_here)
                if cut > 0:
                    self._scale(d, r, cur - cut)
                    budget -= max(cut - unavailable_here, 0)

    def _recreate(self, d: dict, new_rs: dict, old: list[dict], replicas: int) -> None:
        for r in old:
            if r["spec"].get("replicas", 0):
                self._scale(d, r, 0)
        if any((r.get("status") or {}).get("replicas", 0) for r in old):
            return
        if new_rs["spec"].get("replicas", 0) != replicas:
            self._scale(d, new_rs, replicas)

    # -- writes -------------------------------------------------------------
    def _create_rs(self, d: dict, h: str, revision: int, replicas: int) -> dict | None:
        tmpl = clone(d["spec"]["template"])
        tmpl.setdefault("metadata", {}).setdefault("labels", {})["pod-template-hash"] = h
        sel = clone(d["spec"]["selector"])
        sel.setdefault("matchLabels", {})["pod-template-hash"] = h
        rs = {
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {
                "name": f"{meta(d)['name']}-{h}", "namespace": meta(d).get("namespace"),
                "labels": dict(tmpl["metadata"]["labels"]),
                "annotations": {
                    **copied_annotations(d),
                    "deployment.kubernetes.io/desired-replicas": str(d["spec"].get("replicas", 1)),
                    "deployment.kubernetes.io/max-replicas": str(int(d["spec"].get("replicas", 1)) + self._surge_unavailable(d, int(d["spec"].get("replicas", 1)))[0]),
                    REVISION: str(revision),
                },
                "ownerReferences": [owner_ref(d)],
            },
            "spec": {"replicas": replicas, "selector": sel, "template": tmpl},
        }
        try:
            created = self.api.create_internal(rs)
        except AlreadyExists:
            return self._collided(d, rs)
        self._scaled_event(d, created, 0, replicas)
        self.flow(self.name, created, "created", f"replicas={replicas}")
        return created

    def _collided(self, d: dict, rs: dict) -> dict | None:
        """The new ReplicaSet's name is taken (sync.go getNewReplicaSet): by one `d`
        controls with the same template, it is that one; else the hash collided:
        `status.collisionCount` + 1, and the Deployment is synced again."""
        md = rs["metadata"]
        taken = self.store.get("ReplicaSet", md["namespace"], md["name"])
        if taken is not None and controller_uid(taken) == uid_of(d) and \
                template_without_hash(taken["spec"]["template"]) == d["spec"]["template"]:
            return taken
        new = clone(d)
        status = new.setdefault("status", {})
        status["collisionCount"] = int(status.get("collisionCount") or 0) + 1
        self.store.update(new)  # (the update enqueues the Deployment again)
        self.flow(self.name, d, "collided", f"ReplicaSet {md['name']} is not this Deployment's: "
                                            f"collisionCount {status['collisionCount']}")
        return None

    def _ensure_revision(self, d: dict, rs: dict, old: list[dict]) -> dict:
        """SetNewReplicaSetAnnotations: the current ReplicaSet's revision is above every old
        one's, and it carries the Deployment's annotations (copied, never removed)."""
        top = max((int(meta(r).get("annotations", {}).get(REVISION, "0")) for r in old), default=0)
        annotations = meta(rs).get("annotations") or {}
        cur = int(annotations.get(REVISION, "0"))
        missing = {k: v for k, v in copied_annotations(d).items() if annotations.get(k) != v}
        if cur > top and not missing:
            return rs
        new = clone(rs)
        ann = new["metadata"].setdefault("annotations", {})
        ann.update(missing)
        if cur <= top:
            ann[REVISION] = str(top + 1)
        return self.store.update(new)

    def _sync_revision(self, d: dict, rs: dict) -> dict:
        """SetDeploymentRevision: the Deployment's `deployment.kubernetes.io/revision` is its
        current ReplicaSet's (`kubectl describe deploy` shows it among the Annotations)."""
        revision = (meta(rs).get("annotations") or {}).get(REVISION)
        if revision is None or (meta(d).get("annotations") or {}).get(REVISION) == revision:
            return d
        new = clone(d)
        new["metadata"].setdefault("annotations", {})[REVISION] = revision
        return self.store.update(new)

    def _scale(self, d: dict, rs: dict, replicas: int) -> dict:
        before = rs["spec"].get("replicas", 0)
        new = clone(rs)
        new["spec"]["replicas"] = replicas
        new["metadata"].setdefault("annotations", {})["deployment.kubernetes.io/desired-replicas"] = str(d["spec"].get("replicas", 1))
        out = self.store.update(new)
        self._scaled_event(d, out, before, replicas)
        return out

    def _scaled_event(self, d: dict, rs: dict, before: int, after: int) -> None:
        if before == after:
            return
        verb = "up" if after > before else "down"
        self.recorder.event(d, "Normal", "ScalingReplicaSet",
                            f"Scaled {verb} replica set {meta(rs)['name']} from {before} to {after}", self.name)

    def _sync_status(self, d: dict, new_rs: dict | None, rss: list[dict]) -> None:
        st = lambda r, f: (r.get("status") or {}).get(f, 0) if r is not None else 0  # noqa: E731
        replicas = int(d["spec"].get("replicas", 1))
        total = sum(st(r, "replicas") for r in rss)
        available = sum(st(r, "availableReplicas") for r in rss)
        now = self.clock.now_str()
        status: dict = {
            "observedGeneration": meta(d).get("generation", 1),
            "replicas": total,
            "updatedReplicas": st(new_rs, "replicas"),
            "readyReplicas": sum(st(r, "readyReplicas") for r in rss),
            "availableReplicas": available,
            "unavailableReplicas": max(total - available, replicas - available, 0),
        }
        status = {k: v for k, v in status.items() if v or k in ("observedGeneration", "replicas", "updatedReplicas")}
        _, unavail = self._surge_unavailable(d, replicas)
        old_status = d.get("status") or {}
        conds = {c["type"]: c for c in old_status.get("conditions") or []}
        is_avail = available >= replicas - unavail
        av = ("True", "MinimumReplicasAvailable", "Deployment has minimum availability.") if is_avail else \
             ("False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.")
        complete = new_rs is not None and st(new_rs, "availableReplicas") >= replicas and total == replicas
        if d["spec"].get("paused"):  # (checkPausedConditions)
            pr = ("Unknown", "DeploymentPaused", "Deployment is paused")
        elif complete or new_rs is None:  # (no new ReplicaSet only while paused)
            pr = ("True", "NewReplicaSetAvailable", f'ReplicaSet "{meta(new_rs)["name"] if new_rs else ""}" has successfully progressed.')
        else:
            pr = ("True", "ReplicaSetUpdated", f'ReplicaSet "{meta(new_rs)["name"]}" is progressing.')
        out = []
        for ctype, (s, reason, msg) in (("Available", av), ("Progressing", pr)):
            prev = conds.get(ctype)
            c = {"type": ctype, "status": s, "lastUpdateTime": now, "lastTransitionTime": now, "reason": reason, "message": msg}
            if prev and prev["status"] == s:
                c["lastTransitionTime"] = prev["lastTransitionTime"]
                if prev.get("reason") == reason and prev.get("message") == msg:
                    c["lastUpdateTime"] = prev["lastUpdateTime"]
            out.append(c)
        status["conditions"] = out
        if old_status.get("collisionCount") is not None:
            status["collisionCount"] = old_status["collisionCount"]
        if old_status != status:
            new = clone(d)
            new["status"] = status
            self.store.update(new)
