"""The ReplicaSet controller's burst and slow start (upstream's manageReplicas): at most
500 pods created or deleted per sync, creations in batches of 1, 2, 4, ... that stop at
the first failure, each sync its own step of the engine, the status one sync behind."""
from __future__ import annotations

import yaml

from benchmarks import scale_bench
from engine.api.apiserver import ApiError
from engine.api.objects import condition, pod_is_ready
from engine.api.validation.messages import ApiError as Status
from engine.cluster.cluster import Cluster
from engine.controllers.replicaset import BURST_REPLICAS, ReplicaSetController, slow_start_batch
from engine.kubectl import commands as kubectl

RS = """
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: web}
spec:
  replicas: %d
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx}]}
"""


def _cluster(replicas: int) -> tuple[Cluster, ReplicaSetController]:
    c = Cluster(deterministic=True)
    c.api.apply(yaml.safe_load(RS % replicas), "rs.yaml")
    rsc = next(x for x in c.controllers if isinstance(x, ReplicaSetController))
    return c, rsc


def _sync(c: Cluster, rsc: ReplicaSetController) -> None:
    """One turn of the ReplicaSet controller's queue: one sync of `default/web`."""
    assert rsc.pop() == "default/web" and not rsc.queue
    rsc.reconcile("default/web")


def _pods(c: Cluster) -> list[dict]:
    return [p for p in c.store.list("Pod", "default") if p["metadata"]["name"].startswith("web-")]


def _events(c: Cluster, reason: str) -> list[dict]:
    return [e for e in c.store.list("Event", "default")
            if e["reason"] == reason and e["involvedObject"]["kind"] == "ReplicaSet"]


def _get_rs(c: Cluster) -> str:
    return kubectl.run_line(c, "kubectl get rs web").stdout


def test_slow_start_batches_double_and_stop_at_the_first_failing_batch():
    calls: list[int] = []

    def ok() -> None:
        calls.append(1)

    assert slow_start_batch(500, 1, ok) == (500, None) and len(calls) == 500
    sizes, n = [], 0
    batch = 1
    while n < 500:  # upstream's batches for one burst: 1, 2, 4, ..., 128, then the remaining 245
        sizes.append(min(batch, 500 - n))
        n += sizes[-1]
        batch *= 2
    assert sizes == [1, 2, 4, 8, 16, 32, 64, 128, 245]
    err = ApiError(Status("Forbidden", message="no"))
    calls.clear()

    def fifth_fails() -> ApiError | None:
        calls.append(1)
        return err if len(calls) == 5 else None

    # batches 1 and 2 pass; the batch of 4 runs whole (its calls are concurrent upstream),
    # one of them fails, and the batches after it are never tried
    assert slow_start_batch(500, 1, fifth_fails) == (6, err) and len(calls) == 7


def test_a_scale_to_1200_is_three_syncs_of_at_most_500_and_the_status_follows():
    c, rsc = _cluster(1200)
    _sync(c, rsc)
    assert len(_pods(c)) == BURST_REPLICAS == 500
    assert len(_events(c, "SuccessfulCreate")) == 500  # one per pod, "Created pod: NAME"
    assert {e["message"] for e in _events(c, "SuccessfulCreate")} == {f"Created pod: {p['metadata']['name']}"
                                                                       for p in _pods(c)}
    # the status counts the pods the sync found (none yet), as calculateStatus does
    assert c.get("ReplicaSet", "default", "web")["status"]["replicas"] == 0
    assert _get_rs(c).splitlines()[1].split()[:4] == ["web", "1200", "0", "0"]
    _sync(c, rsc)  # queued again by the pods' own events (the expectations met)
    assert len(_pods(c)) == 1000
    assert _get_rs(c).splitlines()[1].split()[:3] == ["web", "1200", "500"]
    _sync(c, rsc)
    assert len(_pods(c)) == 1200
    assert _get_rs(c).splitlines()[1].split()[:3] == ["web", "1200", "1000"]
    _sync(c, rsc)  # nothing left to create: only the status
    assert len(_pods(c)) == 1200 and len(_events(c, "SuccessfulCreate")) == 1200
    assert c.get("ReplicaSet", "default", "web")["status"]["replicas"] == 1200
    c.run_until_idle()
    st = c.get("ReplicaSet", "default", "web")["status"]
    assert st["replicas"] == 1200 and st["fullyLabeledReplicas"] == 1200
    # two workers of 110 pods each (two of them kube-proxy and kindnet): the rest wait for room
    ready = [p for p in _pods(c) if pod_is_ready(p)]
    assert st["readyReplicas"] == len(ready) == 216
    assert _get_rs(c).splitlines()[1].split()[:4] == ["web", "1200", "1200", "216"]


def test_a_scale_down_deletes_at_most_500_per_sync():
    c, _ = _cluster(1200)
    c.run_until_idle()
    rs = c.get("ReplicaSet", "default", "web")
    rsc = next(x for x in c.controllers if isinstance(x, ReplicaSetController))
    new = dict(rs, spec={**rs["spec"], "replicas": 100})
    c.store.update(new)
    deleted = []
    for _ in range(3):
        _sync(c, rsc)
        deleted.append(len(_events(c, "SuccessfulDelete")) - sum(deleted))
    assert deleted == [500, 500, 100]
    c.run_until_idle()
    pods = _pods(c)
    assert len(pods) == 100 and c.get("ReplicaSet", "default", "web")["status"]["replicas"] == 100
    # the least valuable went first: every pod still Running stays (220 of them ran, 100 are kept)
    assert all(p["spec"].get("nodeName") for p in pods)


def test_a_refused_create_stops_the_burst_and_is_retried_with_backoff(monkeypatch):
    c, rsc = _cluster(50)
    real = c.api.create_generated
    made: list[int] = []

    def quota(obj: dict) -> dict:
        if len(made) >= 3:
            raise ApiError(Status("Forbidden", message='pods "web-x" is forbidden: exceeded quota'))
        made.append(1)
        return real(obj)

    monkeypatch.setattr(c.api, "create_generated", quota)
    _sync(c, rsc)
    # batches 1 and 2 pass (3 pods), the batch of 4 is refused 4 times, nothing after it
    assert len(_pods(c)) == 3
    failed = _events(c, "FailedCreate")
    assert len(failed) == 1 and failed[0]["count"] == 4 and failed[0]["type"] == "Warning"
    assert failed[0]["message"].startswith('Error creating: pods "web-x" is forbidden: exceeded quota')
    cond = condition(c.get("ReplicaSet", "default", "web"), "ReplicaFailure")
    assert cond["status"] == "True" and cond["reason"] == "FailedCreate"
    # Every pod event queues the ReplicaSet again and every sync fails: the rate limiter's
    # backoff doubles from 5 ms to its 1000 s cap. The retry is a background timer, so an idle
    # run ends while the creations keep failing.
    c.run_until_idle()
    assert len(_pods(c)) == 3 and condition(c.get("ReplicaSet", "default", "web"), "ReplicaFailure")
    assert rsc._failures["default/web"] > 10
    monkeypatch.setattr(c.api, "create_generated", real)  # the quota is raised
    c.run_for(1000.0)  # the next retry comes at most 1000 s later
    c.run_until_idle()
    rs = c.get("ReplicaSet", "default", "web")
    assert len(_pods(c)) == 50 and rs["status"]["replicas"] == 50
    assert condition(rs, "ReplicaFailure") is None and "default/web" not in rsc._failures


def test_the_scale_benchmark_runs_at_a_tiny_size():
    """benchmarks/scale_bench.py (run by hand at 10,000 and 100,000): the scale line run as the
    dashboard's prompt runs it, in budgeted slices, until the status says every replica."""
    r = scale_bench.one(1100, max_seconds=60)
    assert r["converged"] and r["pods_created"] == 1099  # (the samples' counter already has one)
    assert r["rs_syncs"] >= 3 and r["status_climb"][-1] == 1100
