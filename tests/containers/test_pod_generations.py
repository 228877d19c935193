"""A pod's containers keep their files between execs, and a pod that replaces one of the same
name (another uid) starts with none of them, as a new sandbox's writable layers would: the
shells are found per pod (engine.containers.processes), not by scanning every container's."""
from __future__ import annotations

import time

from engine.apply.workspace import cluster_from_paths
from engine.containers.processes import PodProcesses
from engine.kubectl.session import Session
from tests.helpers import SAMPLES


def test_a_replaced_pod_starts_with_a_fresh_filesystem_and_others_keep_theirs():
    cluster = cluster_from_paths([SAMPLES], deterministic=True)[0]
    s = Session(cluster, cwd=SAMPLES.parent)
    for name in ("box", "other"):
        assert s.feed(f"kubectl run {name} --image=busybox -- sleep 3600") == f"pod/{name} created\n"
    cluster.run_for(5)
    assert s.feed("kubectl exec box -- sh -c 'echo kept > /tmp/note'") == ""
    assert s.feed("kubectl exec other -- sh -c 'echo mine > /tmp/note'") == ""
    assert s.feed("kubectl exec box -- cat /tmp/note") == "kept\n"
    assert s.feed("kubectl delete pod box --wait=false") == 'pod "box" deleted\n'
    cluster.run_for(40)
    assert s.feed("kubectl run box --image=busybox -- sleep 3600") == "pod/box created\n"
    cluster.run_for(5)
    assert s.feed("kubectl exec box -- cat /tmp/note") == (
        "cat: can't open '/tmp/note': No such file or directory\ncommand terminated with exit code 1\n")
    assert s.feed("kubectl exec other -- cat /tmp/note") == "mine\n"


def test_many_pods_shells_are_made_in_linear_time():
    """4,000 one-shot pods (`sh -c` jobs) each get a shell: the last thousand cost about what
    the first did (a scan of every shell per new one made them 3-4 times dearer: 1.06 s for
    4,000 on the lead's machine before, 0.16 s after)."""
    cluster = cluster_from_paths([SAMPLES], deterministic=True)[0]
    procs = PodProcesses.of(cluster)
    base = next(p for p in cluster.store.list("Pod", "default") if p["metadata"]["name"].startswith("counter"))
    container = base["spec"]["containers"][0]["name"]
    pods = [{**base, "metadata": {**base["metadata"], "name": f"job-{i}", "uid": f"uid-{i}"}} for i in range(4000)]
    spans = []
    for start in range(0, 4000, 1000):
        t = time.perf_counter()
        for pod in pods[start:start + 1000]:
            procs.shell(pod, container)
        spans.append(time.perf_counter() - t)
    assert len({k for k in procs.shells if "/job-" in k}) == 4000
    assert spans[-1] < 3 * spans[0] + 0.05, spans
