"""A mode kube-proxy refuses in the cluster's kube-proxy ConfigMap (the tester's finding 6): the
real kube-proxy exits on the change and fails its validation when it starts again, so the rules
it programmed stay; svcflow keeps the previous mode (not a pane labelled "bogus" over nftables
rules) and says why in kube-proxy's own words (pkg/proxy/apis/config/validation)."""
from __future__ import annotations

import asyncio

import aiohttp

from engine.attach.mirror import topology_of
from engine.attach.session import AttachOptions
from engine.attach.workspace import AttachWorkspace
from tests.attach_fixtures import RecordingProxy, eventually

REFUSED = ('kube-system/kube-proxy: KubeProxyConfiguration.Mode.ProxyMode: Invalid value: "bogus": must be iptables, '
           "ipvs, nftables or blank (blank means the best-available proxy [currently iptables]); kube-proxy does not "
           "start with it: rules computed as before ({before})")


def configmap(mode: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kube-proxy", "namespace": "kube-system"},
            "data": {"config.conf": "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\n"
                                    f"mode: {mode}\n"}}


def test_a_refused_mode_at_the_first_list_is_iptables_with_the_line():
    notes: list[str] = []
    topo = topology_of(configmap("bogus"), [], notes)
    assert topo.proxy.mode == "iptables"
    assert notes == [REFUSED.format(before="iptables")]


async def test_a_refused_mode_keeps_the_previous_one(served, tmp_path):
    proxy = RecordingProxy(served.url)
    await proxy.start()
    ws = AttachWorkspace(AttachOptions(kubeconfig=str(proxy.kubeconfig(tmp_path))))
    task = asyncio.create_task(ws.follow(lambda what: None))
    url = served.url + "/api/v1/namespaces/kube-system/configmaps"
    try:
        await eventually(lambda: ws.built, what="the first lists")
        await served.create("/api/v1/namespaces/kube-system/configmaps", configmap("ipvs"))
        await eventually(lambda: ws.cluster.topology.proxy.mode == "ipvs", what="ipvs")
        ws.advance(0)
        rules = ws.cluster.kube_proxy.render(ws.cluster.topology.nodes[0].name, "ipvs")
        async with aiohttp.ClientSession() as http:
            async with http.get(url + "/kube-proxy") as r:
                current = await r.json()
            bogus = configmap("bogus")
            bogus["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
            async with http.put(url + "/kube-proxy", json=bogus) as r:
                assert r.status == 200, await r.text()
        await eventually(lambda: REFUSED.format(before="ipvs") in ws.status()[1], what="kube-proxy's refusal")
        ws.advance(0)
        assert ws.cluster.topology.proxy.mode == "ipvs"
        assert ws.cluster.kube_proxy.render(ws.cluster.topology.nodes[0].name, "ipvs") == rules
    finally:
        async with aiohttp.ClientSession() as http:
            await http.delete(url + "/kube-proxy")
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await proxy.stop()
