"""A Service's type changed back and forth with the real kubectl (tester4 #2): kube-apiserver's
update strategy clears what only the old type needed when the caller left it as it was
(dropTypeDependentFields), so NodePort -> LoadBalancer -> ClusterIP is accepted, the node
ports go back to the pool and the LoadBalancer status goes; a caller who sets a nodePort on a
ClusterIP Service is still refused."""
from __future__ import annotations

import json

from tests.served import served_samples

served = served_samples()


async def test_nodeport_to_loadbalancer_to_clusterip_and_back(served, kubectl):
    assert (await kubectl("create", "service", "nodeport", "web", "--tcp=80:8080"))[0] == 0
    for typ in ("LoadBalancer", "ClusterIP"):
        assert await kubectl("patch", "svc", "web", "-p", json.dumps({"spec": {"type": typ}})) == (
            0, "service/web patched\n", "")
    code, out, _ = await kubectl("get", "svc", "web", "-o", "json")
    svc = json.loads(out)
    spec = svc["spec"]
    assert spec["type"] == "ClusterIP" and all("nodePort" not in p for p in spec["ports"])
    assert "externalTrafficPolicy" not in spec and "allocateLoadBalancerNodePorts" not in spec
    assert svc["status"] == {"loadBalancer": {}}
    ip = spec["clusterIP"]
    # the ClusterIP stays; the node port is free again for another Service
    assert await kubectl("patch", "svc", "web", "-p", '{"spec":{"type":"NodePort"}}') == (
        0, "service/web patched\n", "")
    code, out, _ = await kubectl("get", "svc", "web", "-o", "jsonpath={.spec.clusterIP} {.spec.ports[0].nodePort}")
    assert out.split()[0] == ip and 30000 <= int(out.split()[1]) <= 32767
    # a nodePort the caller sets on a ClusterIP Service is meant: refused, in kube-apiserver's words
    code, out, err = await kubectl("patch", "svc", "web", "--type=json", "-p",
                                   '[{"op":"replace","path":"/spec/type","value":"ClusterIP"},'
                                   '{"op":"replace","path":"/spec/ports/0/nodePort","value":30999}]')
    assert code == 1 and "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'" in err, err


async def test_a_local_loadbalancer_gets_a_health_check_node_port(served, kubectl):
    """tester4 #9: `type: LoadBalancer` with `externalTrafficPolicy: Local` is given a
    healthCheckNodePort from the NodePort range; kube-proxy opens it; it goes back with the
    policy."""
    assert (await kubectl("create", "service", "loadbalancer", "lbl", "--tcp=80:3000"))[0] == 0
    assert (await kubectl("patch", "svc", "lbl", "-p", '{"spec":{"externalTrafficPolicy":"Local"}}'))[0] == 0
    code, out, _ = await kubectl("get", "svc", "lbl", "-o", "jsonpath={.spec.healthCheckNodePort}")
    hc = int(out)
    assert 30000 <= hc <= 32767
    code, out, _ = await kubectl("describe", "svc", "lbl")
    assert f"HealthCheck NodePort:     {hc}\n" in out
    served.call(lambda: served.cluster.run_for(2))  # (kube-proxy's minSyncPeriod)
    rules = served.call(lambda: served.cluster.kube_proxy.iptables_save("kind-worker"))
    assert f'"default/lbl:80-3000 health check node port" -m tcp --dport {hc} -j ACCEPT' in rules
    assert (await kubectl("patch", "svc", "lbl", "-p", '{"spec":{"externalTrafficPolicy":"Cluster"}}'))[0] == 0
    code, out, _ = await kubectl("get", "svc", "lbl", "-o", "jsonpath={.spec.healthCheckNodePort}")
    assert out == ""
    assert served.call(lambda: served.cluster.node_ports.allocate("TCP", hc)) == hc  # back in the pool
