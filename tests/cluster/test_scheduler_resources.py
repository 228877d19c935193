"""kube-scheduler's NodeResourcesFit on cpu and memory, and the API server's quantities: the
learner's "what if I ask for more than the nodes have" (a kind node offers 2 cpus and ~23 GiB;
kindnet already requests 100m of each worker's cpu)."""
from __future__ import annotations

import yaml

from engine.apply.workspace import cluster_from_paths
from engine.cluster.cluster import Cluster
from engine.cluster.topology import build_topology
from engine.kubectl import commands as kubectl
from tests.helpers import apply_yaml

TAINT = "1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"


def hog(name: str, replicas: int, requests: str) -> str:
    return f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers:
        - name: c
          image: nginx
          resources: {{requests: {requests}}}
"""


def pods(c: Cluster, prefix: str) -> list[dict]:
    return [p for p in c.store.list("Pod", "default") if p["metadata"]["name"].startswith(prefix)]


def failed_scheduling(c: Cluster, pod: dict) -> list[str]:
    return [e["message"] for e in c.store.list("Event", "default")
            if e["involvedObject"]["name"] == pod["metadata"]["name"] and e["reason"] == "FailedScheduling"]


def scheduler_message(reasons: str, resource_nodes: int = 2) -> str:
    return (f"0/3 nodes are available: {reasons}. preemption: 0/3 nodes are available: 1 Preemption is not "
            f"helpful for scheduling, {resource_nodes} No preemption victims found for incoming pod.")


def test_pods_asking_more_cpu_than_is_left_stay_pending_with_the_schedulers_words():
    c = Cluster(deterministic=True)
    apply_yaml(c, hog("hog", 5, '{cpu: "1", memory: 64Mi}'))
    running = [p for p in pods(c, "hog-") if p["spec"].get("nodeName")]
    pending = [p for p in pods(c, "hog-") if not p["spec"].get("nodeName")]
    # one 1-cpu pod per worker: 2 cpus minus kindnet's 100m leave 1900m, not two cpus
    assert sorted(p["spec"]["nodeName"] for p in running) == ["kind-worker", "kind-worker2"]
    assert len(pending) == 3 and all(p["status"]["phase"] == "Pending" for p in pending)
    want = scheduler_message(f"{TAINT}, 2 Insufficient cpu")
    assert all(failed_scheduling(c, p) == [want] for p in pending)
    cond = next(x for x in pending[0]["status"]["conditions"] if x["type"] == "PodScheduled")
    assert (cond["status"], cond["reason"], cond["message"]) == ("False", "Unschedulable", want)
    out = kubectl.run_line(c, "kubectl describe node kind-worker").stdout
    assert "  cpu                1100m (55%)  100m (5%)\n" in out and "  memory             114Mi (0%)   50Mi (0%)\n" in out


def test_memory_and_cpu_are_each_counted_per_node():
    c = Cluster(deterministic=True)
    apply_yaml(c, hog("big", 1, "{memory: 30Gi}"))
    (pod,) = pods(c, "big-")
    assert failed_scheduling(c, pod) == [scheduler_message(f"{TAINT}, 2 Insufficient memory")]
    apply_yaml(c, hog("both", 1, '{cpu: "3", memory: 30Gi}'))
    (pod,) = pods(c, "both-")
    assert failed_scheduling(c, pod) == [scheduler_message(f"{TAINT}, 2 Insufficient cpu, 2 Insufficient memory")]


def test_room_freed_by_a_scale_down_lets_a_pending_pod_schedule():
    c = Cluster(deterministic=True)
    apply_yaml(c, hog("hog", 2, '{cpu: "1"}'))
    apply_yaml(c, hog("late", 1, '{cpu: "1500m"}'))
    (late,) = pods(c, "late-")
    assert not late["spec"].get("nodeName")
    assert kubectl.run_line(c, "kubectl scale deploy hog --replicas=0").stdout == "deployment.apps/hog scaled\n"
    c.run_until_idle()
    (late,) = pods(c, "late-")
    assert late["spec"].get("nodeName") in ("kind-worker", "kind-worker2") and late["status"]["phase"] == "Running"


def test_a_request_that_fits_exactly_is_scheduled():
    c = Cluster(deterministic=True)
    apply_yaml(c, hog("fit", 2, '{cpu: 1900m}'))
    assert all(p["spec"].get("nodeName") for p in pods(c, "fit-"))


def test_a_quantity_that_is_not_one_is_refused_with_file_and_line(tmp_path):
    f = tmp_path / "hog.yaml"
    f.write_text(hog("hog", 1, "{cpu: 1 core}"))
    cluster, report = cluster_from_paths([f], deterministic=True)
    assert cluster.store.get("Deployment", "default", "hog") is None
    err = report.stderr()
    (bad,) = report.errors
    assert bad.source == f"{f}:14", bad.source  # the line of `cpu: 1 core`: the error bar points there
    assert ('Deployment in version "v1" cannot be handled as a Deployment: quantities must match the regular '
            "expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'") in err, err


def test_a_node_manifest_states_its_cpu_and_memory():
    """`status.capacity` of a Node manifest sets what the scheduler fits (not only pods): two
    nodes of 4 cpus (a bare cluster: no system pods) hold eight 1-cpu pods, not nine."""
    nodes = "\n---\n".join(f"""
apiVersion: v1
kind: Node
metadata:
  name: {name}
  labels: {{kubernetes.io/hostname: {name}}}
status:
  capacity: {{cpu: "4", memory: 8Gi}}
""" for name in ("n1", "n2"))
    c = Cluster(build_topology([], list(yaml.safe_load_all(nodes))), deterministic=True, bare=True)
    assert [(n["status"]["allocatable"]["cpu"], n["status"]["capacity"]["memory"]) for n in c.store.list("Node")] == [
        ("4", "8Gi"), ("4", "8Gi")]
    apply_yaml(c, hog("hog", 9, '{cpu: "1"}'))
    placed = [p for p in pods(c, "hog-") if p["spec"].get("nodeName")]
    (left,) = [p for p in pods(c, "hog-") if not p["spec"].get("nodeName")]
    assert len(placed) == 8
    assert failed_scheduling(c, left) == ["0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are "
                                          "available: 2 No preemption victims found for incoming pod."]
