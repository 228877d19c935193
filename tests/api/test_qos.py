"""status.qosClass as kube-apiserver computes it on create (engine/api/qos.py, upstream
pkg/apis/core/helper/qos), seen through svcflow's own kubectl and the REAL kubectl."""
from __future__ import annotations

import re

import pytest

from engine.api.defaults import with_defaults
from engine.api.qos import pod_qos_class
from engine.apply.workspace import cluster_from_paths
from engine.kubectl import commands
from tests.helpers import SAMPLES
from tests.served import Kubectl, ServedCluster, require_kubectl


def _pod(*containers: dict, init: tuple[dict, ...] = ()) -> dict:
    spec: dict = {"containers": [{"name": f"c{i}", "image": "nginx", **c} for i, c in enumerate(containers)]}
    if init:
        spec["initContainers"] = [{"name": f"i{i}", "image": "busybox", **c} for i, c in enumerate(init)]
    return with_defaults({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec})


def _res(requests: dict | None = None, limits: dict | None = None) -> dict:
    out: dict = {}
    if requests is not None:
        out["requests"] = requests
    if limits is not None:
        out["limits"] = limits
    return {"resources": out}


@pytest.mark.parametrize(("pod", "qos"), [
    (_pod({}), "BestEffort"),
    (_pod(_res({"cpu": "0", "memory": "0"})), "BestEffort"),  # zero quantities do not count
    (_pod(_res({"ephemeral-storage": "1Gi"})), "BestEffort"),  # only cpu and memory do
    (_pod(_res({"cpu": "100m", "memory": "64Mi"}, {"cpu": "0.1", "memory": "67108864"})), "Guaranteed"),
    (_pod(_res(limits={"cpu": "1", "memory": "1Gi"})), "Guaranteed"),  # requests defaulted from the limits
    (_pod(_res({"cpu": "100m"})), "Burstable"),
    (_pod(_res({"cpu": "100m", "memory": "70Mi"}, {"memory": "170Mi"})), "Burstable"),  # CoreDNS's
    (_pod(_res({"cpu": "100m", "memory": "64Mi"}, {"cpu": "200m", "memory": "64Mi"})), "Burstable"),
    (_pod(_res(limits={"cpu": "1", "memory": "1Gi"}), {}), "Burstable"),  # one container limits nothing
    (_pod(_res(limits={"cpu": "1", "memory": "1Gi"}), init=({},)), "Burstable"),  # init containers count
    (_pod(_res(limits={"cpu": "1", "memory": "1Gi"}), init=(_res(limits={"cpu": "1", "memory": "1Gi"}),)),
     "Guaranteed"),
])
def test_the_qos_class_follows_requests_and_limits(pod, qos):
    assert pod_qos_class(pod) == qos
    assert pod["status"]["qosClass"] == qos  # what the create's defaulting writes


PODS = """\
apiVersion: v1
kind: Pod
metadata: {name: g}
spec:
  containers: [{name: c, image: nginx, resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {cpu: 100m, memory: 64Mi}}}]
---
apiVersion: v1
kind: Pod
metadata: {name: b}
spec:
  containers: [{name: c, image: nginx, resources: {requests: {cpu: 100m}}}]
"""


def test_describe_and_yaml_show_the_class_and_coredns_is_burstable(tmp_path):
    (tmp_path / "p.yaml").write_text(PODS)
    cluster = cluster_from_paths([SAMPLES, tmp_path], deterministic=True)[0]
    out = commands.run_line(cluster, "kubectl get po -o custom-columns=N:.metadata.name,Q:.status.qosClass").stdout
    assert [line.split() for line in out.splitlines()[1:] if line.split()[0] in ("b", "g")] == \
        [["b", "Burstable"], ["g", "Guaranteed"]]
    desc = commands.run_line(cluster, "kubectl describe po -n kube-system -l k8s-app=kube-dns").stdout
    assert len(re.findall(r"\nQoS Class: +Burstable\n", desc)) == 2, desc


async def test_the_real_kubectl_reads_the_class_from_the_served_pods(tmp_path):
    require_kubectl()
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "p.yaml").write_text(PODS)
    s = ServedCluster([SAMPLES, tmp_path / "m"], tmp_path)
    try:
        kubectl = Kubectl(s, tmp_path)
        out = (await kubectl("get", "po", "g", "b", "-o", "custom-columns=N:.metadata.name,Q:.status.qosClass"))[1]
        assert [line.split() for line in out.splitlines()] == [["N", "Q"], ["g", "Guaranteed"], ["b", "Burstable"]]
        assert "  qosClass: Guaranteed\n" in (await kubectl("get", "po", "g", "-o", "yaml"))[1]
        desc = (await kubectl("describe", "po", "-n", "kube-system", "-l", "k8s-app=kube-dns"))[1]
        assert len(re.findall(r"\nQoS Class: +Burstable\n", desc)) == 2, desc
        assert re.search(r"\nQoS Class: +Guaranteed\n", (await kubectl("describe", "po", "g"))[1])
    finally:
        s.close()
