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


async def test_externalname_to_clusterip_allocates_an_address_rules_and_a_record(served, kubectl):
    """tester5 #2: leaving ExternalName allocates a ClusterIP as a create does
    (handleClusterIPsForUpdatedService, case A); it once stored `clusterIP: null`, with no
    rules and no DNS record. Back to ExternalName returns it; `clusterIP: None` makes it
    headless."""
    assert (await kubectl("create", "service", "externalname", "en", "--external-name=example.org"))[0] == 0
    assert (await kubectl("patch", "svc", "en", "--type=merge", "-p",
                          '{"spec":{"type":"ClusterIP","externalName":null,"ports":[{"port":80}]}}'))[0] == 0
    code, out, _ = await kubectl("get", "svc", "en", "-o", "json")
    spec = json.loads(out)["spec"]
    ip = spec["clusterIP"]
    assert spec["clusterIPs"] == [ip] and ip.startswith("10.96.")
    served.call(lambda: served.cluster.run_for(2))
    rules = served.call(lambda: served.cluster.kube_proxy.iptables_save("kind-worker"))
    # (no pod has app=en: kube-proxy rejects its ClusterIP rather than leaving it unknown)
    assert f'-A KUBE-SERVICES -d {ip}/32 -p tcp -m comment --comment "default/en has no endpoints" ' \
           f'-m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable' in rules
    code, out, _ = await kubectl("exec", "deploy/counter", "--", "nslookup", "en.default.svc.cluster.local")
    assert f"Name:\ten.default.svc.cluster.local\nAddress: {ip}\n" in out, out
    assert (await kubectl("patch", "svc", "en", "-p", '{"spec":{"type":"ExternalName","externalName":"a.b"}}'))[0] == 0
    assert served.call(lambda: served.cluster.cluster_ips.allocate(ip)) == ip  # back in the pool
    assert (await kubectl("patch", "svc", "en", "--type=merge", "-p",
                          '{"spec":{"type":"ClusterIP","externalName":null,"clusterIP":"None"}}'))[0] == 0
    code, out, _ = await kubectl("get", "svc", "en", "-o", "jsonpath={.spec.clusterIP} {.spec.clusterIPs}")
    assert out == 'None ["None"]'


async def test_changing_the_cluster_ip_is_refused_in_kube_apiservers_words(served, kubectl):
    """tester5 #8: only the singular field changed, so the plural follows it
    (normalizeClusterIPs) and the change itself is what is refused."""
    for want in ("None", "10.96.1.1"):
        code, out, err = await kubectl("patch", "svc", "redis", "-p", json.dumps({"spec": {"clusterIP": want}}))
        assert (code, err) == (1, f'The Service "redis" is invalid: spec.clusterIPs[0]: Invalid value: '
                                  f'[]string{{"{want}"}}: may not change once set\n')
