"""The pods each ReplicaSet controls, as the ReplicaSet controller's informer sees them.

Upstream's syncReplicaSet lists the namespace's pods from the informer's cache and walks
them (claim, filter active, count ready and fully labelled): microseconds per thousand pods
in Go. In Python one such walk over 100,000 pods takes a quarter of a second, and a scale to
100,000 is 200 syncs of BURST_REPLICAS: the walk would be most of the work and each sync a
long freeze of the dashboard. So the walk's results are kept here instead, updated on every
Pod event (the same informer events upstream's cache is built from), and a sync reads them:
it costs the pods it creates or deletes, not the ReplicaSet's size.

What is kept, per ReplicaSet (by UID, the pods' controller reference): each pod's facts
(active, ready, labels matching the selector, carrying every template label) and their
counts, and the pod's rank for a scale-down. The two label facts depend on the ReplicaSet's spec: `set_spec` (from the
ReplicaSet watch) recomputes them when its selector or template labels change.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from engine.api.labels import NOTHING, Selector, SelectorError, from_label_selector
from engine.api.objects import labels_of, meta, pod_is_active, pod_is_ready, pod_phase, uid_of
from engine.api.store import Store

_PHASE_RANK = {"Pending": 0, "Unknown": 1, "Running": 2}
_NO_TIMESTAMP = -(10 ** 15)  # sorts before every creationTimestamp


def deletion_rank(pod: dict) -> tuple[int, int, int, int]:
    """Which pod a scale-down deletes first (controller.ActivePodsWithRanks, as far as svcflow
    ranks): unscheduled before scheduled, Pending < Unknown < Running, not ready before ready,
    newer before older (no timestamp first); the sync breaks ties by name."""
    ts = meta(pod).get("creationTimestamp") or ""
    try:  # RFC3339 at seconds precision, as the API server writes it: its digits, newest first
        created = -int(ts[0:4] + ts[5:7] + ts[8:10] + ts[11:13] + ts[14:16] + ts[17:19])
    except ValueError:
        created = _NO_TIMESTAMP
    return (1 if pod["spec"].get("nodeName") else 0, _PHASE_RANK.get(pod_phase(pod), 2),
            1 if pod_is_ready(pod) else 0, created)


@dataclass(frozen=True, slots=True)
class PodFacts:
    """What a sync needs to know of one pod."""

    active: bool  # counts toward the replicas: not terminal, not being deleted
    ready: bool
    matches: bool  # its labels match the ReplicaSet's selector (else it is released)
    terminating: bool
    fully_labeled: bool  # it carries every label of the template
    rank: tuple[int, int, int, int]  # deletion_rank: the least valuable go first on a scale-down


@dataclass(slots=True)
class OwnedPods:
    """One ReplicaSet's pods and their counts."""

    selector: Selector = NOTHING
    template_labels: tuple[tuple[str, str], ...] = ()
    known: bool = False  # the ReplicaSet's spec has been seen (set_spec)
    pods: dict[str, PodFacts] = field(default_factory=dict)  # pod key -> facts
    active: int = 0
    ready: int = 0  # of the active ones
    fully_labeled: int = 0  # of the active ones
    unmatched: dict[str, None] = field(default_factory=dict)  # not terminating, labels no longer match

    def facts(self, pod: dict) -> PodFacts:
        """The pod's facts against this ReplicaSet's spec (until the spec is seen, the label
        facts are taken as true; `set_spec` computes them again)."""
        labels = labels_of(pod)
        return PodFacts(active=pod_is_active(pod), ready=pod_is_ready(pod),
                        matches=not self.known or self.selector.matches(labels),
                        terminating=bool(meta(pod).get("deletionTimestamp")),
                        fully_labeled=not self.known or all(labels.get(k) == v for k, v in self.template_labels),
                        rank=deletion_rank(pod))

    def add(self, key: str, f: PodFacts) -> None:
        self.pods[key] = f
        if f.active:
            self.active += 1
            self.ready += f.ready
            self.fully_labeled += f.fully_labeled
        if not f.matches and not f.terminating:
            self.unmatched[key] = None

    def remove(self, key: str) -> None:
        f = self.pods.pop(key, None)
        if f is None:
            return
        if f.active:
            self.active -= 1
            self.ready -= f.ready
            self.fully_labeled -= f.fully_labeled
        self.unmatched.pop(key, None)


def _controller_replicaset(pod: dict) -> str | None:
    """The UID of the ReplicaSet that controls `pod` (its controller reference), if one does."""
    for o in meta(pod).get("ownerReferences") or ():
        if o.get("controller"):
            return o.get("uid") if o.get("kind") == "ReplicaSet" else None
    return None


class ReplicaSetPods:
    """Every ReplicaSet's pods, kept from the Pod and ReplicaSet watches."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._owned: dict[str, OwnedPods] = {}  # ReplicaSet UID -> its pods
        self._owner: dict[str, str] = {}  # pod key -> the ReplicaSet UID it is counted under

    def of(self, rs: dict) -> OwnedPods:
        return self._owned.setdefault(uid_of(rs), OwnedPods())

    def set_spec(self, rs: dict) -> None:
        """The ReplicaSet was written: when its selector or template labels changed, its
        pods' label facts are computed again (rare: the selector is immutable in apps/v1)."""
        owned = self.of(rs)
        spec = rs.get("spec") or {}
        tmpl_labels = tuple(sorted((((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}).items()))
        try:
            selector = from_label_selector(spec.get("selector"))
        except SelectorError:
            selector = NOTHING  # (validation refuses these before a controller sees them)
        if owned.known and selector == owned.selector and tmpl_labels == owned.template_labels:
            return
        owned.selector, owned.template_labels, owned.known = selector, tmpl_labels, True
        for key in list(owned.pods):
            ns, _, name = key.partition("/")
            pod = self._store.get("Pod", ns, name)
            owned.remove(key)
            if pod is not None:
                owned.add(key, owned.facts(pod))

    def forget(self, rs: dict) -> None:
        """The ReplicaSet is gone: its record goes once its pods have (their own events
        remove them; the garbage collector deletes them)."""
        owned = self._owned.get(uid_of(rs))
        if owned is not None and not owned.pods:
            del self._owned[uid_of(rs)]

    def observe(self, type_: str, pod: dict) -> None:
        """A Pod event: move the pod's facts to where they now belong."""
        md = meta(pod)
        key = f"{md.get('namespace') or ''}/{md['name']}"
        before = self._owner.pop(key, None)
        if before is not None and before in self._owned:
            self._owned[before].remove(key)
        uid = None if type_ == "DELETED" else _controller_replicaset(pod)
        if uid is None:
            return
        owned = self._owned.setdefault(uid, OwnedPods())
        self._owner[key] = uid
        owned.add(key, owned.facts(pod))
