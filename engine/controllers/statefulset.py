"""StatefulSet controller: pods with a stable identity, NAME-0 .. NAME-(N-1).

As upstream's (pkg/controller/statefulset, stateful_set_control.go `updateStatefulSet`):

* each pod is named `<set>-<ordinal>`, with `spec.hostname` its name and `spec.subdomain` the
  set's `serviceName` -- so a headless Service of that name gives every pod its own DNS name
  (`web-0.web.default.svc.cluster.local`: the EndpointSlice controller copies the hostname
  into the endpoint, CoreDNS answers it) -- and the labels
  `statefulset.kubernetes.io/pod-name`, `apps.kubernetes.io/pod-index` and
  `controller-revision-hash` (the revision the pod was made from);
* OrderedReady (the default): one sync creates at most one pod, and only once every lower
  ordinal is Running and Ready (and available for minReadySeconds); Parallel creates them
  all at once;
* a pod that is deleted, or that fails or completes, is made again with the same name;
* scaling down deletes the highest ordinal first, one at a time (OrderedReady waits for it
  to be gone and for the others to be healthy);
* a changed template is a new revision, a ControllerRevision `<set>-<hash>` the set controls
  (engine.controllers.history: written to the API, read back on every sync, as upstream's
  getStatefulSetRevisions); a template equal to an older revision re-uses it under the next
  number (`kubectl rollout undo`); beyond revisionHistoryLimit, the oldest revisions no pod
  uses are deleted (truncateHistory). RollingUpdate deletes the pods of other revisions from the highest ordinal down to
  `partition`, one at a time, each coming back from the new template; when every pod is
  updated and ready, currentRevision becomes updateRevision. OnDelete waits for the user to
  delete them.

volumeClaimTemplates: svcflow does not simulate PersistentVolumeClaims (they are served
read-only), so creating a pod's claim is refused as the API server refuses a write to a
read-only kind; the controller says so as upstream's says any failed claim creation (a
FailedCreate event, `create Claim www-web-0 for Pod web-0 in StatefulSet web failed error:
...`) and, as upstream, does not create the pod without its claims.
"""
from __future__ import annotations

import re
from datetime import timedelta

from engine.api.apiserver import ApiError
from engine.api.labels import SelectorError, from_label_selector
from engine.api.objects import (
    clone,
    condition,
    controller_uid,
    evolve,
    is_terminating,
    labels_of,
    meta,
    owner_ref,
    pod_is_ready,
    pod_phase,
    uid_of,
)
from engine.api.store import WatchEvent
from engine.cluster.clock import parse_time
from engine.controllers.base import Controller, key_for, split_key
from engine.controllers.context import ControllerContext
from engine.controllers.controllerref import ControllerRefManager
from engine.controllers.history import History, equal_revisions, new_revision, next_revision, patch_data, template_of

POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"  # apps.StatefulSetPodNameLabel
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"  # apps.PodIndexLabel (PodIndexLabel is GA)
REVISION_LABEL = "controller-revision-hash"  # apps.ControllerRevisionHashLabelKey (history.POD_REVISION_LABEL)
_ORDINAL = re.compile(r"^(.*)-([0-9]+)$")  # statefulPodRegex

#: What svcflow's API answers a write of a kind it serves read-only (PersistentVolumeClaims).
READ_ONLY_REFUSAL = "the server does not allow this method on the requested resource"


def ordinal_of(pod_name: str) -> tuple[str, int]:
    """getParentNameAndOrdinal: (`web`, 0) for `web-0`; ("", -1) when it has no ordinal."""
    m = _ORDINAL.match(pod_name)
    if m is None:
        return "", -1
    try:
        return m.group(1), int(m.group(2))
    except ValueError:
        return "", -1


def claim_name(claim: dict, set_name: str, ordinal: int) -> str:
    """getPersistentVolumeClaimName: `<claim>-<set>-<ordinal>`."""
    return f"{(claim.get('metadata') or {}).get('name', '')}-{set_name}-{ordinal}"


class StatefulSetController(Controller):
    name = "statefulset-controller"

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.api, self.recorder, self.clock, self.flow = ctx.api, ctx.recorder, ctx.clock, ctx.flow
        self.history = History(ctx.api, self.store)
        self.refs = ControllerRefManager(self.store, ctx.flow, self.name)
        self._available_checks: set[tuple[str, str]] = set()  # (key, at) re-syncs already scheduled
        self.store.watch("StatefulSet", self._on_set)
        self.store.watch("Pod", self._on_pod)

    # -- watches ----------------------------------------------------------------------
    def _on_set(self, ev: WatchEvent) -> None:
        self.enqueue(key_for(ev.obj))

    def _on_pod(self, ev: WatchEvent) -> None:
        md = meta(ev.obj)
        ns = md.get("namespace") or ""
        for o in md.get("ownerReferences") or ():
            if o.get("controller"):
                if o.get("kind") == "StatefulSet":
                    self.enqueue(f"{ns}/{o['name']}")
                return
        if ev.type == "DELETED" or is_terminating(ev.obj):
            return
        # an orphan: the set it could belong to syncs (and adopts it)
        parent, ordinal = ordinal_of(md.get("name", ""))
        if ordinal >= 0 and self.store.get("StatefulSet", ns, parent) is not None:
            self.enqueue(f"{ns}/{parent}")

    # -- sync -------------------------------------------------------------------------
    def reconcile(self, key: str) -> None:
        ns, name = split_key(key)
        sts = self.store.get("StatefulSet", ns, name)
        if sts is None:
            self.forget(key)
            return
        try:
            selector = from_label_selector(sts["spec"].get("selector"))
        except SelectorError:
            return  # (validation refuses these before a controller sees them)
        pods = self._claim_pods(sts, selector)
        revisions = self.history.owned(sts)
        try:
            current, update, collisions = self._revisions_of(sts, revisions)
        except ApiError:  # (a namespace being deleted refuses new revisions: the set goes with it)
            self.add_rate_limited(key)
            return
        failed = None if is_terminating(sts) else self._update(sts, pods, current, update)
        if failed is None:
            self.forget(key)
        else:
            self.add_rate_limited(key)
        names = self._write_status(sts, meta(current)["name"], meta(update)["name"], collisions)
        self._truncate_history(sts, pods, revisions, names)

    def _claim_pods(self, sts: dict, selector) -> list[dict]:
        """getPodsForStatefulSet: the pods it controls whose labels still match (one that
        stopped matching is released), and the orphans named `<set>-<ordinal>` whose labels
        match, adopted."""
        ns, uid = meta(sts).get("namespace") or "", uid_of(sts)
        out = []
        for kind, pns, pname in self.store.dependents(uid):
            pod = self.store.get("Pod", pns, pname) if kind == "Pod" else None
            if pod is None or controller_uid(pod) != uid:
                continue
            if selector.matches(labels_of(pod)) or is_terminating(pod):
                out.append(pod)
            else:
                self.refs.release(pod, sts)
        if is_terminating(sts) or selector.empty():
            return out
        mine = {meta(p)["name"] for p in out}
        # (through the label index when the selector has matchLabels: a namespace may hold
        # thousands of other pods)
        match = (sts["spec"].get("selector") or {}).get("matchLabels") or {}
        for pod in self.store.select("Pod", ns, match) if match else self.store.list("Pod", ns):
            pname = meta(pod)["name"]
            if pname in mine or controller_uid(pod) or is_terminating(pod):
                continue
            if ordinal_of(pname)[0] == meta(sts)["name"] and selector.matches(labels_of(pod)):
                out.append(self.refs.adopt(pod, sts))
        return out

    def _revisions_of(self, sts: dict, revisions: list[dict]) -> tuple[dict, dict, int]:
        """getStatefulSetRevisions: the update revision is the set's template -- the newest
        revision when equal to it, an older equal one renumbered to the next number (a
        rollback), else a new one; the current revision is the one status names, else the
        update revision. Also the collision count the hash needed."""
        status = sts.get("status") or {}
        collisions = int(status.get("collisionCount") or 0)
        tmpl = sts["spec"].get("template") or {}
        data = patch_data(tmpl)
        number = next_revision(revisions)
        equal = equal_revisions(revisions, data)
        if equal and equal[-1] is revisions[-1]:
            update = revisions[-1]
        elif equal:
            update = self.history.renumber(equal[-1], number)
        else:
            annotations = {k: v for k, v in (meta(sts).get("annotations") or {}).items()}
            rev = new_revision(sts, (tmpl.get("metadata") or {}).get("labels") or {}, data, number,
                               annotations=annotations)
            update, collisions = self.history.create(sts, rev, collisions)
        wanted = status.get("currentRevision")
        current = next((r for r in revisions if meta(r)["name"] == wanted), None) if wanted else None
        if current is None or meta(current)["name"] == meta(update)["name"]:
            current = update
        return current, update, collisions

    def _truncate_history(self, sts: dict, pods: list[dict], revisions: list[dict], live: set[str]) -> None:
        """truncateHistory: past revisionHistoryLimit, the oldest revisions that are neither
        the current nor the update revision nor any of the sync's pods' are deleted."""
        limit = int(sts["spec"].get("revisionHistoryLimit", 10))
        if sum(1 for r in revisions if meta(r)["name"] not in live) <= limit:
            return  # (nothing to delete whatever the pods carry: no pass over them)
        live |= {labels_of(p).get(REVISION_LABEL, "") for p in pods}
        history = [r for r in revisions if meta(r)["name"] not in live]
        for rev in history[:max(0, len(history) - limit)]:
            self.history.delete(rev)

    def _update(self, sts: dict, pods: list[dict], current: dict, update: dict) -> str | None:
        """updateStatefulSet's replica, condemned and rolling-update passes; the first
        failure's message, if any."""
        spec = sts["spec"]
        start = int((spec.get("ordinals") or {}).get("start") or 0)
        replicas_n = int(spec.get("replicas", 1))
        monotonic = spec.get("podManagementPolicy", "OrderedReady") != "Parallel"
        by_ordinal: dict[int, dict] = {}
        condemned: list[dict] = []
        for p in pods:
            _, ordinal = ordinal_of(meta(p)["name"])
            if start <= ordinal < start + replicas_n:
                by_ordinal[ordinal] = p
            else:
                condemned.append(p)
        condemned.sort(key=lambda p: ordinal_of(meta(p)["name"])[1], reverse=True)
        replicas: list[dict | None] = [by_ordinal.get(o) for o in range(start, start + replicas_n)]
        min_ready = int(spec.get("minReadySeconds") or 0)
        first_unhealthy = next((p for p in [*(r for r in replicas if r is not None), *reversed(condemned)]
                                if not self._healthy(p)), None)
        # 1. each replica: (re)create it, and in OrderedReady stop at the first that is not healthy
        for i, pod in enumerate(replicas):
            ordinal = start + i
            if pod is not None and pod_phase(pod) in ("Failed", "Succeeded"):
                if not is_terminating(pod):
                    self._delete_pod(sts, pod)
                if monotonic:
                    return None
                continue
            if pod is None:
                err = self._create_pod(sts, ordinal, current, update)
                if err is not None:
                    return err
                if monotonic:
                    return None
                continue
            if monotonic and (is_terminating(pod) or not self._running_and_available(sts, pod, min_ready)):
                return None
            if not self._identity_matches(sts, pod):
                self._fix_identity(sts, pod)
        # 2. condemned pods, the highest ordinal first
        for pod in condemned:
            if is_terminating(pod):
                if monotonic:
                    return None
                continue
            if monotonic and pod is not first_unhealthy and not self._running_and_available(sts, pod, min_ready):
                return None
            self._delete_pod(sts, pod)
            if monotonic:
                return None
        strategy = spec.get("updateStrategy") or {}
        if strategy.get("type") == "OnDelete":
            return None
        # 3. the rolling update: the highest ordinal not at the update revision goes first
        partition = int((strategy.get("rollingUpdate") or {}).get("partition") or 0)
        for i in range(len(replicas) - 1, partition - 1, -1):
            pod = replicas[i]
            if pod is None:
                continue
            if labels_of(pod).get(REVISION_LABEL) != meta(update)["name"] and not is_terminating(pod):
                self.flow(self.name, pod, "rolling", f"revision {meta(update)['name']}")
                self._delete_pod(sts, pod)
                return None
            if not self._healthy(pod):
                return None
        return None

    # -- pods -------------------------------------------------------------------------
    @staticmethod
    def _healthy(pod: dict) -> bool:
        """isHealthy: Running and Ready, not terminating."""
        return pod_phase(pod) == "Running" and pod_is_ready(pod) and not is_terminating(pod)

    def _running_and_available(self, sts: dict, pod: dict, min_ready: int) -> bool:
        """isRunningAndReady and isRunningAndAvailable: Ready for minReadySeconds."""
        return pod_phase(pod) == "Running" and pod_is_ready(pod) and self._available(sts, pod, min_ready)

    def _available(self, sts: dict, pod: dict, min_ready: int) -> bool:
        """podutil.IsPodAvailable; a pod not yet available long enough re-syncs the set then."""
        if min_ready <= 0:
            return True
        ready = condition(pod, "Ready") or {}
        since = ready.get("lastTransitionTime")
        if not since:
            return False
        at = parse_time(since) + timedelta(seconds=min_ready)
        now = self.clock.now()
        if at <= now:
            return True
        key = key_for(sts)
        token = (key, at.isoformat())
        if token not in self._available_checks:
            self._available_checks.add(token)

            def recheck() -> None:
                self._available_checks.discard(token)
                self.enqueue(key)
            self.clock.call_later((at - now).total_seconds(), recheck)
        return False

    def _identity_matches(self, sts: dict, pod: dict) -> bool:
        """identityMatches: the pod's name, namespace and identity labels are the set's."""
        name = meta(pod)["name"]
        parent, ordinal = ordinal_of(name)
        labels = labels_of(pod)
        return (parent == meta(sts)["name"] and meta(pod).get("namespace") == meta(sts).get("namespace")
                and labels.get(POD_NAME_LABEL) == name and labels.get(POD_INDEX_LABEL) == str(ordinal))

    def _fix_identity(self, sts: dict, pod: dict) -> None:
        """UpdateStatefulPod: the identity labels put back (someone removed them)."""
        name = meta(pod)["name"]
        new = clone(pod)
        labels = new["metadata"].setdefault("labels", {})
        labels[POD_NAME_LABEL] = name
        labels[POD_INDEX_LABEL] = str(ordinal_of(name)[1])
        self.store.update(new, owned=True)
        self.recorder.event(sts, "Normal", "SuccessfulUpdate",
                            f"update Pod {name} in StatefulSet {meta(sts)['name']} successful", self.name)

    def _new_pod(self, sts: dict, ordinal: int, revision: str, template: dict) -> dict:
        """newStatefulSetPod: the template's pod (GetPodFromTemplate), its identity
        (initIdentity: name, labels, hostname and subdomain), its claims' volumes
        (updateStorage) and its revision label."""
        set_name = meta(sts)["name"]
        name = f"{set_name}-{ordinal}"
        tmd = template.get("metadata") or {}
        labels = dict(tmd.get("labels") or {})
        labels[POD_NAME_LABEL] = name
        labels[POD_INDEX_LABEL] = str(ordinal)
        labels[REVISION_LABEL] = revision
        md: dict = {"name": name, "namespace": meta(sts).get("namespace"), "labels": labels}
        if tmd.get("annotations"):
            md["annotations"] = dict(tmd["annotations"])
        if tmd.get("finalizers"):
            md["finalizers"] = list(tmd["finalizers"])
        md["ownerReferences"] = [owner_ref(sts)]
        spec = clone(template.get("spec") or {})
        spec["hostname"] = name
        if sts["spec"].get("serviceName"):
            spec["subdomain"] = sts["spec"]["serviceName"]
        claims = sts["spec"].get("volumeClaimTemplates") or []
        if claims:  # (updateStorage: the claims' volumes, then the template's others)
            names = {(c.get("metadata") or {}).get("name") for c in claims}
            spec["volumes"] = [{"name": (c.get("metadata") or {}).get("name"),
                                "persistentVolumeClaim": {"claimName": claim_name(c, set_name, ordinal)}}
                               for c in claims] + [v for v in spec.get("volumes") or [] if v.get("name") not in names]
        return {"apiVersion": "v1", "kind": "Pod", "metadata": md, "spec": spec}

    def _create_pod(self, sts: dict, ordinal: int, current: dict, update: dict) -> str | None:
        """newVersionedStatefulSetPod, then CreateStatefulPod: below the partition a pod is
        made from the current revision, else from the update revision; its claims first."""
        spec = sts["spec"]
        strategy = spec.get("updateStrategy") or {}
        ru = strategy.get("rollingUpdate")
        revision = update
        start = int((spec.get("ordinals") or {}).get("start") or 0)
        # (a RollingUpdate without rollingUpdate keeps the current revision's count of pods)
        below = int(ru.get("partition") or 0) if isinstance(ru, dict) else \
            int((sts.get("status") or {}).get("currentReplicas") or 0)
        if strategy.get("type") == "RollingUpdate" and ordinal < start + below:
            revision = current
        pod = self._new_pod(sts, ordinal, meta(revision)["name"], template_of(revision))
        set_name = meta(sts)["name"]
        for claim in spec.get("volumeClaimTemplates") or []:
            message = (f"create Claim {claim_name(claim, set_name, ordinal)} for Pod {meta(pod)['name']} in "
                       f"StatefulSet {set_name} failed error: {READ_ONLY_REFUSAL}")
            self.recorder.event(sts, "Warning", "FailedCreate", message, self.name)
            return message
        try:
            created = self.api.create(pod)
        except ApiError as e:
            message = (f"create Pod {meta(pod)['name']} in StatefulSet {set_name} failed error: "
                       f"{e.status.status_message()}")
            self.recorder.event(sts, "Warning", "FailedCreate", message, self.name)
            return message
        self.recorder.event(sts, "Normal", "SuccessfulCreate",
                            f"create Pod {meta(created)['name']} in StatefulSet {set_name} successful", self.name)
        self.flow(self.name, created, "created", f"for {set_name} (ordinal {ordinal})")
        return None

    def _delete_pod(self, sts: dict, pod: dict) -> None:
        name = meta(pod)["name"]
        self.api.delete_object("Pod", meta(pod).get("namespace") or "", name)
        self.recorder.event(sts, "Normal", "SuccessfulDelete",
                            f"delete Pod {name} in StatefulSet {meta(sts)['name']} successful", self.name)

    # -- status -----------------------------------------------------------------------
    def _write_status(self, sts: dict, current: str, update: str, collisions: int) -> set[str]:
        """updateStatefulSetStatus over the pods as they are after the sync (computeReplicaStatus),
        with completeRollingUpdate: once every pod is updated and ready, the update revision
        becomes the current one. Returns the names of the revisions status names."""
        sts = self.store.get("StatefulSet", meta(sts).get("namespace") or "", meta(sts)["name"]) or sts
        uid = uid_of(sts)
        min_ready = int(sts["spec"].get("minReadySeconds") or 0)
        pods = [p for k, pns, pn in self.store.dependents(uid)
                if k == "Pod" and (p := self.store.get("Pod", pns, pn)) is not None and controller_uid(p) == uid]
        replicas = ready = available = cur = upd = 0
        for p in pods:
            created = bool(pod_phase(p))
            replicas += created
            if pod_phase(p) == "Running" and pod_is_ready(p):
                ready += 1
                available += self._available(sts, p, min_ready)
            if created and not is_terminating(p):
                rev = labels_of(p).get(REVISION_LABEL)
                cur += rev == current
                upd += rev == update
        old = sts.get("status") or {}
        strategy = sts["spec"].get("updateStrategy") or {}
        want = int(sts["spec"].get("replicas", 1))
        if strategy.get("type") == "RollingUpdate" and upd == want and ready == want and replicas == want:
            current, cur = update, upd
        status = {
            "observedGeneration": meta(sts).get("generation", 1),
            "replicas": replicas,
            "readyReplicas": ready,
            "currentReplicas": cur,
            "updatedReplicas": upd,
            "currentRevision": current,
            "updateRevision": update,
            "collisionCount": collisions,
            "availableReplicas": available,
        }
        status = {k: v for k, v in status.items()
                  if v or k in ("replicas", "availableReplicas", "collisionCount", "observedGeneration")}
        if old.get("conditions"):
            status["conditions"] = old["conditions"]
        if old != status:
            new = evolve(sts)
            new["status"] = status
            self.store.update(new, owned=True)
        return {current, update}
