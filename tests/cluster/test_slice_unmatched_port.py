"""A Service whose only port names a container port the pod does not have (tester3 #12):
upstream's EndpointSlice reconciler skips the port it cannot find and still lists the pod,
in a slice with no ports; the Endpoints controller leaves the pod out; kube-proxy, with no
endpoint for the port, REJECTs (`has no endpoints`)."""
from __future__ import annotations

from engine.api.objects import clone
from engine.apply.workspace import cluster_from_paths
from engine.kubectl import commands as kubectl
from tests.helpers import SAMPLES


def test_a_port_name_the_pod_lacks_leaves_the_pod_in_a_slice_without_ports():
    c = cluster_from_paths([SAMPLES], deterministic=True)[0]
    c.run_until_idle()
    svc = c.store.get("Service", "default", "redis")
    new = clone(svc)
    new["spec"]["ports"] = [{"port": 6379, "targetPort": "redisport", "protocol": "TCP"}]
    c.api.update(svc, new)
    c.run_until_idle()
    pod_ip = next(p["status"]["podIP"] for p in c.store.list("Pod", "default") if p["metadata"]["name"].startswith("redis-"))
    (sl,) = c.store.by_label("EndpointSlice", "default", "kubernetes.io/service-name", "redis")
    assert [e["addresses"] for e in sl["endpoints"]] == [[pod_ip]]
    assert not sl.get("ports")
    out = kubectl.get(c, ["endpointslices"], namespace="default").stdout
    row = next(ln for ln in out.splitlines() if ln.startswith("redis-"))
    assert row.split()[2:4] == ["<unset>", pod_ip]
    ep = c.store.get("Endpoints", "default", "redis")
    assert not ep.get("subsets")
    assert 'has no endpoints' in c.kube_proxy.iptables_save("kind-worker")
