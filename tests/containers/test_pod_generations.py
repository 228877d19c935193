"""A pod's containers keep their files between execs, and a pod that replaces one of the same
name (another uid) starts with none of them, as a new sandbox's writable layers would: the
shells are found per pod (engine.containers.processes), not by scanning every container's."""
from __future__ import annotations

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


class _Watched(dict):
    """A dict that counts the times it is walked through."""

    walks = 0

    def __iter__(self):
        type(self).walks += 1
        return super().__iter__()

    def items(self):
        type(self).walks += 1
        return super().items()

    def keys(self):
        type(self).walks += 1
        return super().keys()


def test_a_new_pods_shell_walks_through_no_other_pods():
    """4,000 one-shot pods (`sh -c` jobs) each get a shell without a look at the others' (a
    walk through every shell and script per new one made it quadratic: 4,000 shells took
    1.06 s, 0.16 s without; timed once, as timing in a test on a shared machine is not)."""
    cluster = cluster_from_paths([SAMPLES], deterministic=True)[0]
    procs = PodProcesses.of(cluster)
    procs.shells, procs.scripts = _Watched(procs.shells), _Watched(procs.scripts)
    base = next(p for p in cluster.store.list("Pod", "default") if p["metadata"]["name"].startswith("counter"))
    container = base["spec"]["containers"][0]["name"]
    for i in range(4000):
        procs.shell({**base, "metadata": {**base["metadata"], "name": f"job-{i}", "uid": f"uid-{i}"}}, container)
    assert _Watched.walks == 0
    assert sum("/job-" in k for k in dict.keys(procs.shells)) == 4000
