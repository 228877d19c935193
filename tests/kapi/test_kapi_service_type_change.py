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
