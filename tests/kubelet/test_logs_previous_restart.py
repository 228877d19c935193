"""A server killed by its failed liveness probe starts again as a new process (the kubelet
restarts the container): `kubectl logs` shows the new run's start-up banner, `kubectl logs -p`
the run that was killed (its banner and the probes' requests in its access log); a redis
restarted this way starts with an empty dataset, as redis without persistence does."""
from __future__ import annotations

from engine.apply.workspace import cluster_from_paths
from engine.kubectl.session import Session
from tests.helpers import SAMPLES

PODS = """\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - name: web
    image: nginx
    livenessProbe: {httpGet: {path: /healthz, port: 80}, periodSeconds: 5, failureThreshold: 2}
---
apiVersion: v1
kind: Pod
metadata: {name: kv}
spec:
  containers:
  - name: redis
    image: redis
    livenessProbe: {tcpSocket: {port: 7777}, periodSeconds: 5, failureThreshold: 1}
"""


def test_a_server_restarted_by_its_liveness_probe_logs_afresh_and_keeps_the_last_run(tmp_path):
    s = Session(cluster_from_paths([SAMPLES], deterministic=True)[0], cwd=SAMPLES.parent)
    (tmp_path / "pods.yaml").write_text(PODS)
    s.feed(f"kubectl apply -f {tmp_path / 'pods.yaml'}")
    s.cluster.run_until_idle()
    assert s.feed("kubectl exec kv -- redis-cli set k v") == "OK\n"
    s.cluster.run_for(12)
    status = {p["metadata"]["name"]: p["status"]["containerStatuses"][0] for p in s.cluster.store.list("Pod", "default")}
    assert status["web"]["restartCount"] >= 1 and "running" in status["web"]["state"]
    previous, now = s.feed("kubectl logs web -p"), s.feed("kubectl logs web")
    assert '"GET /healthz HTTP/1.1" 404' in previous and "kube-probe/1.33" in previous
    assert now.startswith("/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty")
    assert previous.startswith("/docker-entrypoint.sh:") and previous != now
    assert status["kv"]["restartCount"] >= 1
    assert s.feed("kubectl logs kv -p").splitlines()[1].endswith("* oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo")
    assert s.feed("kubectl logs kv").splitlines()[1].endswith("* oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo")
    assert s.feed("kubectl exec kv -- redis-cli dbsize").split()[-1] == "0"  # (the key set before is gone)
