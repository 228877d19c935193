"""A ReplicaSet adopts orphan pods its selector matches (ControllerRefManager.ClaimPods), then
deletes the surplus (tester4 #3): relabelling pods out of a Deployment and back in leaves it
with its replica count, not twice as many pods behind its Service."""
from __future__ import annotations

from engine.apply.workspace import cluster_from_paths
from engine.kubectl import commands as kubectl
from tests.helpers import SAMPLES, apply_yaml


def counter_pods(c):
    return sorted(p["metadata"]["name"] for p in c.store.list("Pod", "default")
                  if p["metadata"]["labels"].get("tier") == "app" and not p["metadata"].get("deletionTimestamp"))


def run(c, line: str) -> str:
    out = kubectl.run_line(c, line)
    c.run_until_idle()
    assert out.code == 0, out.stderr
    return out.stdout


def test_pods_relabelled_out_and_back_in_are_adopted_and_the_surplus_deleted():
    c = cluster_from_paths([SAMPLES], deterministic=True)[0]
    run(c, "kubectl scale deploy counter --replicas=3")
    first = counter_pods(c)
    run(c, "kubectl label pod -l app=counter,tier=app app=other --overwrite")
    assert len(counter_pods(c)) == 6  # three released, three new
    run(c, "kubectl label pod -l app=other,tier=app app=counter --overwrite")
    pods = [p for p in c.store.list("Pod", "default") if p["metadata"]["labels"].get("tier") == "app"
            and not p["metadata"].get("deletionTimestamp")]
    assert sorted(p["metadata"]["name"] for p in pods) == first  # the adopted older ones stay
    (rs,) = [r for r in c.store.list("ReplicaSet", "default") if r["metadata"]["name"].startswith("counter-")]
    assert all(p["metadata"]["ownerReferences"] == [{
        "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs["metadata"]["name"], "uid": rs["metadata"]["uid"],
        "controller": True, "blockOwnerDeletion": True}] for p in pods)
    deleted = [e["message"] for e in c.store.list("Event", "default")
               if e["reason"] == "SuccessfulDelete" and e["involvedObject"]["name"] == rs["metadata"]["name"]]
    assert len(deleted) == 3
    ep = c.store.get("Endpoints", "default", "counter-np")
    assert len(ep["subsets"][0]["addresses"]) == 3


def test_a_replicaset_acquires_bare_pods_its_selector_matches():
    """The docs' "Non-Template Pod acquisitions": bare pods with the labels count toward the
    ReplicaSet's replicas (a Deployment's ReplicaSet selects its pod-template-hash too, so a
    bare pod is never one of a Deployment's)."""
    c = cluster_from_paths([SAMPLES], deterministic=True)[0]
    apply_yaml(c, """
apiVersion: v1
kind: Pod
metadata: {name: pod1, labels: {tier: frontend}}
spec: {containers: [{name: c, image: nginx}]}
""")
    apply_yaml(c, """
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: frontend}
spec:
  replicas: 2
  selector: {matchLabels: {tier: frontend}}
  template:
    metadata: {labels: {tier: frontend}}
    spec: {containers: [{name: php-redis, image: us-docker.pkg.dev/google-samples/containers/gke/gb-frontend:v5}]}
""")
    pods = [p for p in c.store.list("Pod", "default") if p["metadata"]["labels"].get("tier") == "frontend"]
    assert len(pods) == 2 and "pod1" in {p["metadata"]["name"] for p in pods}
    assert all(p["metadata"]["ownerReferences"][0]["name"] == "frontend" for p in pods)
    created = [e for e in c.store.list("Event", "default") if e["reason"] == "SuccessfulCreate"
               and e["involvedObject"]["name"] == "frontend"]
    assert len(created) == 1
