"""`kubectl rollout status` (kubectl v1.33, pkg/cmd/rollout/rollout_status.go and
pkg/polymorphichelpers/rollout_status.go): a Deployment's, DaemonSet's or StatefulSet's
rollout in the status viewers' words, printed at every change of the object until it is done.

kubectl lists the object and watches it, printing the viewer's line for each event; svcflow's
own runs the cluster on its clock (a second at a time) and prints the line whenever the
object was written, so the lines are the ones kubectl prints, one per second of cluster time
in which the object changed rather than one per write. `--watch=false` prints the line once;
`--timeout` ends the wait as kubectl's does ("timed out waiting for the condition"). Without a
timeout kubectl waits for ever; svcflow stops after WATCH_CAP seconds of cluster time and says
so (its Deployments have no progress deadline that would end it).
"""
from __future__ import annotations

from dataclasses import dataclass

from engine.api.goduration import DurationError, parse_go_duration
from engine.api.gostrconv import go_quote
from engine.api.objects import meta
from engine.api.wellknown import REVISION
from engine.cluster.cluster import Cluster

#: Seconds of the cluster's time svcflow waits for a rollout when kubectl would wait for ever.
WATCH_CAP = 600.0
#: The cluster time between two looks at the object.
STEP = 1.0


@dataclass(frozen=True)
class Viewed:
    """A status viewer's answer: the line to print, whether the rollout is done, an error."""

    text: str = ""
    done: bool = False
    error: str = ""


def _n(obj: dict, *path: str) -> int:
    """A Go int field: 0 when absent."""
    cur: object = obj
    for p in path:
        cur = cur.get(p) if isinstance(cur, dict) else None
    return cur if isinstance(cur, int) else 0


def deployment_status(d: dict, revision: int) -> Viewed:
    """DeploymentStatusViewer.Status."""
    name = go_quote(meta(d).get("name", ""))
    if revision > 0:
        have = (meta(d).get("annotations") or {}).get(REVISION)
        running = int(have) if have is not None and have.lstrip("-").isdigit() else 0
        if revision != running:
            return Viewed(error=f"desired revision ({revision}) is different from the running revision ({running})")
    if _n(d, "metadata", "generation") > _n(d, "status", "observedGeneration"):
        return Viewed("Waiting for deployment spec update to be observed...\n")
    conds = (d.get("status") or {}).get("conditions") or []
    if any(c.get("type") == "Progressing" and c.get("reason") == "ProgressDeadlineExceeded" for c in conds):
        return Viewed(error=f"deployment {name} exceeded its progress deadline")
    spec_replicas = (d.get("spec") or {}).get("replicas")
    updated, replicas = _n(d, "status", "updatedReplicas"), _n(d, "status", "replicas")
    available = _n(d, "status", "availableReplicas")
    if isinstance(spec_replicas, int) and updated < spec_replicas:
        return Viewed(f"Waiting for deployment {name} rollout to finish: {updated} out of {spec_replicas} new "
                      "replicas have been updated...\n")
    if replicas > updated:
        return Viewed(f"Waiting for deployment {name} rollout to finish: {replicas - updated} old replicas are "
                      "pending termination...\n")
    if available < updated:
        return Viewed(f"Waiting for deployment {name} rollout to finish: {available} of {updated} updated replicas "
                      "are available...\n")
    return Viewed(f"deployment {name} successfully rolled out\n", done=True)


def daemonset_status(ds: dict, revision: int) -> Viewed:
    """DaemonSetStatusViewer.Status (the revision is not looked at)."""
    name = go_quote(meta(ds).get("name", ""))
    if ((ds.get("spec") or {}).get("updateStrategy") or {}).get("type") != "RollingUpdate":
        return Viewed(done=True, error="rollout status is only available for RollingUpdate strategy type")
    if _n(ds, "metadata", "generation") > _n(ds, "status", "observedGeneration"):
        return Viewed("Waiting for daemon set spec update to be observed...\n")
    updated, desired = _n(ds, "status", "updatedNumberScheduled"), _n(ds, "status", "desiredNumberScheduled")
    available = _n(ds, "status", "numberAvailable")
    if updated < desired:
        return Viewed(f"Waiting for daemon set {name} rollout to finish: {updated} out of {desired} new pods have "
                      "been updated...\n")
    if available < desired:
        return Viewed(f"Waiting for daemon set {name} rollout to finish: {available} of {desired} updated pods are "
                      "available...\n")
    return Viewed(f"daemon set {name} successfully rolled out\n", done=True)


def statefulset_status(sts: dict, revision: int) -> Viewed:
    """StatefulSetStatusViewer.Status."""
    spec, status = sts.get("spec") or {}, sts.get("status") or {}
    strategy = spec.get("updateStrategy") or {}
    if strategy.get("type") != "RollingUpdate":
        return Viewed(done=True, error="rollout status is only available for RollingUpdate strategy type")
    observed = _n(sts, "status", "observedGeneration")
    if observed == 0 or _n(sts, "metadata", "generation") > observed:
        return Viewed("Waiting for statefulset spec update to be observed...\n")
    replicas, ready = spec.get("replicas"), _n(sts, "status", "readyReplicas")
    if isinstance(replicas, int) and ready < replicas:
        return Viewed(f"Waiting for {replicas - ready} pods to be ready...\n")
    updated = _n(sts, "status", "updatedReplicas")
    rolling = strategy.get("rollingUpdate")
    if isinstance(rolling, dict):
        partition = rolling.get("partition")
        if isinstance(replicas, int) and isinstance(partition, int) and updated < replicas - partition:
            return Viewed(f"Waiting for partitioned roll out to finish: {updated} out of {replicas - partition} new "
                          "pods have been updated...\n")
        return Viewed(f"partitioned roll out complete: {updated} new pods have been updated...\n", done=True)
    if status.get("updateRevision") != status.get("currentRevision"):
        return Viewed(f"waiting for statefulset rolling update to complete {updated} pods at revision "
                      f"{status.get('updateRevision') or ''}...\n")
    return Viewed(f"statefulset rolling update complete {_n(sts, 'status', 'currentReplicas')} pods at revision "
                  f"{status.get('currentRevision') or ''}...\n", done=True)


VIEWERS = {"Deployment": deployment_status, "DaemonSet": daemonset_status, "StatefulSet": statefulset_status}


def timeout_of(value: object) -> tuple[float, str]:
    """`--timeout`'s seconds (0: none), or pflag's refusal of the value."""
    if value is None or value == "":
        return 0.0, "" if value is None else 'invalid argument "" for "--timeout" flag: time: invalid duration ""'
    try:
        return parse_go_duration(str(value)), ""
    except DurationError as e:
        return 0.0, f"invalid argument {go_quote(str(value))} for \"--timeout\" flag: {e}"


def status(cluster: Cluster, kind: str, obj: dict, revision: int, watch: bool, timeout: float) -> tuple[str, str]:
    """One object's rollout status (stdout, error message), watched as the command watches it."""
    viewer = VIEWERS[kind]
    ns, name = meta(obj).get("namespace") or "", meta(obj)["name"]
    seen = viewer(obj, revision)
    out = seen.text
    if seen.error or seen.done or not watch:
        return out, seen.error
    limit = timeout if timeout > 0 else WATCH_CAP
    version, waited = meta(obj).get("resourceVersion"), 0.0
    while waited < limit:
        step = min(STEP, limit - waited)
        cluster.run_for(step)
        waited += step
        cur = cluster.store.get(kind, ns, name)
        if cur is None:
            return out, "object has been deleted"
        if meta(cur).get("resourceVersion") == version:
            continue
        version = meta(cur).get("resourceVersion")
        seen = viewer(cur, revision)
        out += seen.text
        if seen.error or seen.done:
            return out, seen.error
    if timeout > 0:
        return out, "timed out waiting for the condition"
    return out, (f"svcflow stopped waiting after {int(WATCH_CAP) // 60}m of the cluster's time (the real kubectl "
                 "waits until the rollout is done, or for --timeout)")
