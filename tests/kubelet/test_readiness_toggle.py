"""`u` (svcflow's stand-in for an app that stops answering) as a kubelet would tell it
(tester3 #16): a pod with a readinessProbe gets the prober's own `Unhealthy` message for its
probe kind; a pod without one is marked unready all the same (the demo's point: its endpoint
moves to notReady) but no kubelet event is made up, and the line says a cluster would keep it
Ready."""
from __future__ import annotations

from engine.apply.workspace import cluster_from_paths
from engine.kubectl import commands
from tests.helpers import SAMPLES

PROBED = """\
apiVersion: v1
kind: Pod
metadata: {name: probed, labels: {app: probed}}
spec:
  containers:
  - name: web
    image: nginx
    ports: [{name: http, containerPort: 8080}]
    readinessProbe: {httpGet: {path: /, port: http}}  # (nginx answers / with 200; /healthz is a 404)
"""


def _unhealthy(cluster, name: str) -> list[str]:
    return [e["message"] for e in cluster.store.list("Event", "default")
            if e["involvedObject"]["name"] == name and e.get("reason") == "Unhealthy"]


def test_u_on_a_probed_pod_is_the_probers_failure_and_on_an_unprobed_one_says_so(tmp_path):
    (tmp_path / "p.yaml").write_text(PROBED)
    c = cluster_from_paths([SAMPLES, tmp_path], deterministic=True)[0]
    c.run_until_idle()
    ip = c.store.get("Pod", "default", "probed")["status"]["podIP"]
    assert commands.toggle_readiness(c, "default", "probed").stdout == "pod/probed readiness probe failing\n"
    assert _unhealthy(c, "probed") == [f'Readiness probe failed: Get "http://{ip}:8080/": dial tcp '
                                       f"{ip}:8080: connect: connection refused"]
    redis = next(p["metadata"]["name"] for p in c.store.list("Pod", "default") if p["metadata"]["name"].startswith("redis-"))
    out = commands.toggle_readiness(c, "default", redis)
    assert out.stdout == (f"pod/{redis} marked unready (it has no readinessProbe: on a cluster the kubelet would keep "
                          "it Ready whatever its app does)\n")
    c.run_until_idle()
    assert _unhealthy(c, redis) == []
    ep = c.store.get("Endpoints", "default", "redis")
    assert [a["targetRef"]["name"] for s in ep["subsets"] for a in s.get("notReadyAddresses") or []] == [redis]
