"""An httpGet probe reaches the container's running process, as the kubelet's GET reaches
the server on a node: nginx logs each probe in its access log (`kubectl logs`), from the
node's end of the pod's veth (kindnet's ptp gateway, the podCIDR's first address: what the
pod sees as the probe's source) with the kubelet's User-Agent `kube-probe/1.33`, and a
failing path's 404 both in the log and in the Unhealthy event."""
from __future__ import annotations

import ipaddress
import re
from datetime import datetime, timezone

from engine.apply.workspace import cluster_from_paths
from engine.kubectl.session import Session
from tests.helpers import SAMPLES, apply_yaml

WEB = """apiVersion: v1
kind: Pod
metadata: {{name: {name}}}
spec:
  containers:
  - name: nginx
    image: nginx
    readinessProbe:
      httpGet: {{path: {path}, port: 80}}
      periodSeconds: 5
"""


def _access(log: str) -> list[str]:
    return [re.sub(r"\[[^]]+\]", "[T]", line) for line in log.splitlines() if " - - [" in line]


def _gateway(cluster, pod: dict) -> str:
    node = next(n for n in cluster.topology.nodes if n.name == pod["spec"]["nodeName"])
    return str(ipaddress.ip_network(node.pod_cidr, strict=False).network_address + 1)


def test_nginx_logs_the_kubelets_probes_from_the_node_end_of_the_veth():
    cluster = cluster_from_paths([SAMPLES], deterministic=True)[0]
    s = Session(cluster, cwd=SAMPLES.parent)
    apply_yaml(cluster, WEB.format(name="web", path="/"))
    cluster.run_for(3)
    start = cluster.now()
    cluster.run_for(20)
    pod = cluster.store.get("Pod", "default", "web")
    gw = _gateway(cluster, pod)
    assert gw != pod["status"]["hostIP"] and ipaddress.ip_address(pod["status"]["podIP"]) in \
        ipaddress.ip_network(f"{gw}/24", strict=False)
    probes = _access(s.feed("kubectl logs web"))
    assert len(probes) >= 4 and set(probes) == {f'{gw} - - [T] "GET / HTTP/1.1" 200 615 "-" "kube-probe/1.33" "-"'}
    # each line is stamped when its probe ran: periodSeconds apart
    stamps = [datetime.strptime(t, "%d/%b/%Y:%H:%M:%S").replace(tzinfo=timezone.utc)
              for t in re.findall(r"\[(\S+) \+0000\]", s.feed("kubectl logs web"))]
    assert {(b - a).total_seconds() for a, b in zip(stamps, stamps[1:])} == {5.0}
    assert stamps[-1] >= start.replace(microsecond=0)
    assert s.feed("kubectl get pod web -o jsonpath='{.status.containerStatuses[0].ready}'") == "true"
    # a request from another pod is logged beside them, from that pod's address
    counter = next(p for p in cluster.store.list("Pod", "default") if p["metadata"]["name"].startswith("counter-"))
    ip = pod["status"]["podIP"]
    s.feed(f"kubectl exec deploy/counter -- wget -qO- -T 2 {ip}")
    assert _access(s.feed("kubectl logs web --tail=1")) == [
        f'{counter["status"]["podIP"]} - - [T] "GET / HTTP/1.1" 200 615 "-" "Wget" "-"']


def test_a_probe_of_a_missing_path_is_a_404_in_the_log_and_the_event():
    cluster = cluster_from_paths([SAMPLES], deterministic=True)[0]
    s = Session(cluster, cwd=SAMPLES.parent)
    apply_yaml(cluster, WEB.format(name="lost", path="/healthz"))
    cluster.run_for(20)
    pod = cluster.store.get("Pod", "default", "lost")
    gw = _gateway(cluster, pod)
    assert set(_access(s.feed("kubectl logs lost"))) == {
        f'{gw} - - [T] "GET /healthz HTTP/1.1" 404 153 "-" "kube-probe/1.33" "-"'}
    assert "Readiness probe failed: HTTP probe failed with statuscode: 404" in s.feed("kubectl describe pod lost")
    assert s.feed("kubectl get pod lost -o jsonpath='{.status.containerStatuses[0].ready}'") == "false"


COUNTER = """apiVersion: v1
kind: Pod
metadata: {name: probed-counter}
spec:
  containers:
  - name: counter
    image: ghcr.io/subicura/counter
    env: [{name: REDIS_HOST, value: redis}, {name: REDIS_PORT, value: "6379"}]
    readinessProbe:
      httpGet: {path: /, port: 3000}
      periodSeconds: 2
"""


def test_probes_leave_the_counter_s_count_alone():
    """The counter app answers its probes without counting them (its GET would INCR redis):
    the tutorial's count stays the learner's own."""
    cluster = cluster_from_paths([SAMPLES], deterministic=True)[0]
    s = Session(cluster, cwd=SAMPLES.parent)
    apply_yaml(cluster, COUNTER)
    cluster.run_for(5)
    assert s.feed("kubectl exec probed-counter -- wget -qO- -T 2 localhost:3000") == "1\n"
    cluster.run_for(30)
    assert s.feed("kubectl exec probed-counter -- wget -qO- -T 2 localhost:3000") == "2\n"
    assert s.feed("kubectl get pod probed-counter -o jsonpath='{.status.containerStatuses[0].ready}'") == "true"
