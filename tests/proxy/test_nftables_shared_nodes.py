"""nftables mode: nodes whose tables can differ only by their own addresses share one
proxier (issue 18: memory and sync time that do not grow with the nodes).

Each node sees the shared proxier through a view with its own `nodeport-ips` (nftables
mode's default NodePort addresses: the node's primary IP). What every node lists, dumps,
last wrote and walks is byte for byte what a proxier of its own holds after the same
syncs -- before and after a Service makes the nodes' rules differ (they then take copies
of their views, for good).
"""
from __future__ import annotations

import copy
import random

import pytest

from benchmarks.proxy_first_sync_bench import mirror
from engine.cluster.cluster import Cluster
from engine.proxy.modes import SHARED
from tests.proxy.test_mode_sliced_sync import objects, proxy_events

MODE = "nftables"


def same_everywhere(docs: list[dict]) -> list[dict]:
    """The objects with nothing that depends on the node rendering them."""
    out = copy.deepcopy(docs)
    for o in out:
        spec = o.get("spec") or {}
        if o["kind"] == "Service":
            for k in ("externalTrafficPolicy", "internalTrafficPolicy", "loadBalancerSourceRanges"):
                spec.pop(k, None)
    return out


def node_state(c: Cluster) -> dict[str, tuple]:
    """Every node's `nft list table`, dump, last transaction, and a few packet walks (a
    NodePort at the node's own address and at another's, a ClusterIP, one with ClientIP
    affinity twice from one client, from the node)."""
    kp = c.kube_proxy
    out = {}
    for node in sorted(kp.last_sync):
        p = kp.modes.proxier(node, MODE)
        walks = tuple(repr(kp.modes.lookup(node, MODE, "TCP", ip, port, src, random.Random(seed)))
                      for ip, port, src, seed in (
                          ("172.18.0.2", 30002, None, 1), ("172.18.0.3", 30002, None, 1),
                          ("172.18.0.4", 30002, None, 1), ("10.96.0.17", 80, None, 1),
                          # (ClientIP affinity: each node remembers its own clients)
                          ("10.96.0.23", 80, "10.244.9.9", len(node) + len(out)), ("10.96.0.23", 80, "10.244.9.9", 7)))
        out[node] = (p.list_table(), p.dump(), p.last_transaction, walks,
                     repr(p.lookup("TCP", "10.96.0.17", 80, random.Random(2), from_host=True)))
    return out


@pytest.fixture(scope="module")
def docs() -> list[dict]:
    return same_everywhere(objects(300, 3))


def pair(docs: list[dict], monkeypatch) -> tuple[Cluster, Cluster]:
    first = [o for o in docs if not o["metadata"].get("name", "").startswith("svc-0299")]
    shared, own = mirror(MODE, first), mirror(MODE, first)
    monkeypatch.setattr(own.kube_proxy, "_rules_shared", lambda: False)  # (a proxier per node: the reference)
    return shared, own


def put_both(clusters, objs) -> None:
    for c in clusters:
        for o in objs:
            c.store.put(copy.deepcopy(o))
        c.run_until_idle()


def test_nodes_share_one_table_and_each_sees_its_own(docs, monkeypatch):
    shared, own = pair(docs, monkeypatch)
    for c in (shared, own):
        c.run_until_idle()
    modes = shared.kube_proxy.modes
    assert list(modes.proxiers) == [(SHARED, MODE)] and len(own.kube_proxy.modes.proxiers) == 3
    state = node_state(shared)
    assert state == node_state(own)
    assert state["node-0"][0] != state["node-1"][0]  # (their nodeport-ips differ, and only those)
    assert "elements = { 172.18.0.3 }" in state["node-1"][0]
    assert "reached" in state["node-1"][3][1] or "DNAT" in state["node-1"][3][1]  # (its own address answers)
    assert proxy_events(shared) == proxy_events(own)
    # A later change: synced once for the three nodes, the same bytes on each.
    put_both((shared, own), [o for o in docs if o["metadata"].get("name", "").startswith("svc-0299")])
    assert list(modes.proxiers) == [(SHARED, MODE)]
    assert node_state(shared) == node_state(own) and proxy_events(shared) == proxy_events(own)
    assert "10.96.1.59" in node_state(shared)["node-2"][0]


def test_a_local_policy_service_gives_every_node_its_own_table(docs, monkeypatch):
    shared, own = pair(docs, monkeypatch)
    for c in (shared, own):
        c.run_until_idle()
    local = copy.deepcopy([o for o in docs if o["metadata"].get("name", "").startswith("svc-0299")])
    local[0]["spec"]["internalTrafficPolicy"] = "Local"
    put_both((shared, own), local)
    modes = shared.kube_proxy.modes
    assert sorted(modes.proxiers) == [(f"node-{k}", MODE) for k in range(3)]  # (the shared one is gone)
    assert node_state(shared) == node_state(own) and proxy_events(shared) == proxy_events(own)
    # The Service back to Cluster: the nodes keep their own tables (their histories may differ).
    local[0]["spec"].pop("internalTrafficPolicy")
    put_both((shared, own), local)
    assert sorted(modes.proxiers) == [(f"node-{k}", MODE) for k in range(3)]
    assert node_state(shared) == node_state(own) and proxy_events(shared) == proxy_events(own)


def test_a_node_that_comes_later_has_its_own_table(docs, monkeypatch):
    shared, own = pair(docs, monkeypatch)
    for c in (shared, own):
        c.run_until_idle()
    node = copy.deepcopy(next(o for o in docs if o["kind"] == "Node"))
    node["metadata"] = {"name": "node-3", "labels": {"kubernetes.io/hostname": "node-3"}}
    node["status"]["addresses"] = [{"type": "InternalIP", "address": "172.18.0.5"}]
    put_both((shared, own), [node])
    assert sorted(shared.kube_proxy.modes.proxiers) == [(SHARED, MODE), ("node-3", MODE)]
    assert node_state(shared) == node_state(own) and proxy_events(shared) == proxy_events(own)


def test_the_shared_table_synced_in_slices_is_the_one_call_one(docs, monkeypatch):
    """An attached dashboard's syncs (the first and a later one, a step per call) leave
    every node's view as a one-call sync leaves it."""
    first = [o for o in docs if not o["metadata"].get("name", "").startswith("svc-0299")]
    sliced, one_call = mirror(MODE, first), mirror(MODE, first)
    one_call.run_until_idle()
    kp, slices = sliced.kube_proxy, 0
    while not kp.sync_in_slices(0, every_sync=True):
        slices += 1
    assert slices > 1 and node_state(sliced) == node_state(one_call)
    put_both((one_call,), [o for o in docs if o["metadata"].get("name", "").startswith("svc-0299")])
    for o in docs:
        if o["metadata"].get("name", "").startswith("svc-0299"):
            sliced.store.put(copy.deepcopy(o))
    sliced.run_for(0)
    slices = 0
    while not kp.sync_in_slices(0, every_sync=True):
        slices += 1
    assert slices > 1 and list(kp.modes.proxiers) == [(SHARED, MODE)]
    assert node_state(sliced) == node_state(one_call) and proxy_events(sliced) == proxy_events(one_call)
