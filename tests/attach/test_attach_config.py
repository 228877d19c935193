"""The cluster's own configuration, followed after attaching (issue 18): when the real
cluster's `kube-system/kube-proxy` ConfigMap (its mode) or `kube-system/coredns` ConfigMap
(its Corefile) changes, the computed kube-proxy and CoreDNS change with it -- the rules are
synced in the new mode, dig answers as the new Corefile says. Against `svcflow serve` in
another process, the changes made through its API as a user's kubectl would; svcflow itself
sends GETs only."""
from __future__ import annotations

import asyncio
import re

import aiohttp

from engine.attach.session import AttachOptions
from engine.attach.workspace import AttachWorkspace
from engine.cluster.events import STEP_PROXY
from engine.kubectl.dns import dig
from tests.attach_fixtures import ServedProcess, eventually

CM = "/api/v1/namespaces/kube-system/configmaps"
KUBE_PROXY_CONF = """apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clusterCIDR: 10.244.0.0/16
mode: {mode}
"""




async def _write(served: ServedProcess, method: str, path: str, obj: dict) -> dict:
    async with aiohttp.ClientSession() as s:
        async with s.request(method, served.url + path, json=obj) as r:
            body = await r.json()
            assert r.status in (200, 201), body
            return body


async def _get(served: ServedProcess, path: str) -> dict:
    async with aiohttp.ClientSession() as s:
        async with s.get(served.url + path) as r:
            assert r.status == 200
            return await r.json()


def _answer_ttl(cluster, name: str) -> int:
    """The TTL of dig's first answer for `name` (as run on the control-plane node)."""
    out = dig(cluster, name).stdout
    m = re.search(rf"^{re.escape(name)}\.\s+(\d+)\s+IN\s+A\s+\S+$", out, re.M)
    assert m, out
    return int(m.group(1))


async def test_a_changed_kube_proxy_mode_and_corefile_are_followed(proxy, served, tmp_path):
    ws = AttachWorkspace(AttachOptions(kubeconfig=str(proxy.kubeconfig(tmp_path))))
    changes: list[str] = []
    task = asyncio.create_task(ws.follow(changes.append))
    try:
        await eventually(lambda: ws.built, what="the first lists")
        ws.advance(0)
        c = ws.cluster
        node = c.topology.nodes[-1].name
        # Before: no kube-proxy ConfigMap (kind's iptables default), kubeadm's Corefile (ttl 30).
        assert c.topology.proxy.mode == "iptables"
        assert any("no kube-system/kube-proxy ConfigMap" in n for n in ws.status()[1])
        name = "kubernetes.default.svc.cluster.local"
        assert _answer_ttl(c, name) == 30

        # kube-proxy's ConfigMap appears with mode ipvs: kube-proxy starts over in ipvs mode.
        seen = c.flow_events.total
        await _write(served, "POST", CM, {"apiVersion": "v1", "kind": "ConfigMap",
                                          "metadata": {"name": "kube-proxy", "namespace": "kube-system"},
                                          "data": {"config.conf": KUBE_PROXY_CONF.format(mode="ipvs")}})
        await eventually(lambda: ws.cluster.topology.proxy.mode == "ipvs", what="the ipvs mode")
        assert ws.cluster is c and "config" in changes
        ws.advance(0)
        synced = [e for e in c.flow_events.since(seen) if e.step == STEP_PROXY]
        assert synced and {e.data["mode"] for e in synced} == {"ipvs"}, [e.detail for e in synced]
        assert "ipvsadm" in c.kube_proxy.render(node, "ipvs")
        assert c.topology.pod_subnet == "10.244.0.0/16"
        assert not any("no kube-system/kube-proxy ConfigMap" in n for n in ws.status()[1])

        # And back to iptables: the iptables rules are synced afresh.
        cm = await _get(served, CM + "/kube-proxy")
        cm["data"]["config.conf"] = KUBE_PROXY_CONF.format(mode="iptables")
        await _write(served, "PUT", CM + "/kube-proxy", cm)
        await eventually(lambda: ws.cluster.topology.proxy.mode == "iptables", what="the iptables mode")
        ws.advance(0)
        assert c.kube_proxy.iptables_save(node).count("-A KUBE-SERVICES") > 0

        # The Corefile's ttl changes: dig's answers carry the new one.
        cm = await _get(served, CM + "/coredns")
        corefile = cm["data"]["Corefile"]
        assert re.search(r"^\s*ttl 30$", corefile, re.M), corefile
        cm["data"]["Corefile"] = re.sub(r"^(\s*)ttl 30$", r"\1ttl 7", corefile, flags=re.M)
        await _write(served, "PUT", CM + "/coredns", cm)
        await eventually(lambda: ws.cluster.coredns.config.ttl == 7, what="the new Corefile")
        ws.advance(0)
        assert _answer_ttl(c, name) == 7
        assert all(r[2] for r in c.coredns.record_rows("default"))  # the records were made again
        assert any(r[0] == name + "." for r in c.coredns.record_rows("default"))
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
