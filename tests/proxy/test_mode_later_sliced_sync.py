"""kube-proxy's later syncs in slices in ipvs and nftables modes (issue 18: "follows changes
without falling behind").

In those modes every sync is a full one of every node (one Service added: seconds per node
at 10,000 Services). An attached dashboard (`KubeProxy.sync_in_slices(..., every_sync=True)`)
runs them a slice at a time as it does the first one; the same steps run, so every node is
left with the rules a one-call sync writes. Without `every_sync` (the simulation, the CLI)
a later sync stays one call.
"""
from __future__ import annotations

import random

import pytest

from benchmarks.proxy_first_sync_bench import mirror
from engine.cluster.cluster import Cluster
from engine.proxy import ipvs as ipvs_module
from engine.proxy import modes as modes_module
from engine.proxy import nftables as nftables_module
from tests.proxy.test_mode_sliced_sync import later, objects, proxy_events, step_per_service

MODES = ("ipvs", "nftables")


def kernel_text(c: Cluster, mode: str) -> dict[str, str]:
    """What `ipvsadm -Ln` (with the ipsets and iptables rules ipvs mode keeps) or `nft list
    ruleset` would print on every node, read from the proxiers themselves."""
    kp = c.kube_proxy
    out = {}
    for node in sorted(kp.last_sync):
        p = kp.modes.proxier(node, mode)
        out[node] = "\n".join((p.ipvsadm_ln(), p.ipset_list(), p.iptables_restore())) if mode == "ipvs" \
            else p.list_table()
    return out


def first_synced(mode: str, docs: list[dict], *, sliced: bool) -> Cluster:
    c = mirror(mode, [o for o in docs if o not in later(docs)])
    if sliced:
        while not c.kube_proxy.sync_in_slices(0, every_sync=True):
            pass
    else:
        c.run_until_idle()
    return c


@pytest.fixture(scope="module")
def docs() -> list[dict]:
    return objects(300, 3)


@pytest.mark.parametrize("mode", MODES)
def test_a_later_sync_in_slices_leaves_the_one_call_syncs_rules(docs, mode, monkeypatch):
    step_per_service(monkeypatch)
    monkeypatch.setattr(nftables_module, "OPS_PER_STEP", 64)
    one_call, sliced = first_synced(mode, docs, sliced=False), first_synced(mode, docs, sliced=True)
    node = "node-1"
    before = sliced.kube_proxy.render(node, mode)  # (a pane showed node-1's rules)
    assert before == one_call.kube_proxy.render(node, mode) and "10.96.1.59" not in before
    events = len(proxy_events(sliced))
    for c in (one_call, sliced):
        for o in later(docs):  # (a watch event after the first sync)
            c.store.put(o)
    one_call.run_until_idle()
    kp, slices = sliced.kube_proxy, 0
    sliced.run_for(0)  # (the dashboard's turn: the change is reconciled; the sync is left to the slices)
    assert kp.syncing and kp.first_synced and len(proxy_events(sliced)) == events
    while not kp.sync_in_slices(0, every_sync=True):
        slices += 1
        sliced.run_for(0)  # (the dashboard's other work between slices: kube-proxy waits)
        assert kp.render(node, mode) == before  # (the pane keeps what the last sync left)
        kp.modes.lookup(node, mode, "TCP", "10.96.0.16", 80, "10.244.0.1", random.Random(0))  # (no sync of its own)
    assert slices > 3 * 300  # (each node's sync yields at least once per Service)
    assert not kp.syncing and kp.sync_in_slices(0, every_sync=True)  # nothing more to do
    assert kernel_text(sliced, mode) == kernel_text(one_call, mode)
    assert "10.96.1.59" in kernel_text(sliced, mode)[node]
    assert proxy_events(sliced) == proxy_events(one_call)
    shown = {n: kp.render(n, mode) for n in sorted(kp.last_sync)}
    assert shown == {n: one_call.kube_proxy.render(n, mode) for n in sorted(kp.last_sync)}
    assert "10.96.1.59" in shown[node]
    sliced.run_until_idle()
    assert proxy_events(sliced) == proxy_events(one_call)  # (no sync of nothing after it)


@pytest.mark.parametrize("mode", MODES)
def test_without_every_sync_a_later_sync_is_one_call(docs, mode):
    """The simulation's deterministic path: a change after a first sync run in slices is
    synced within `run_until_idle`, at once."""
    c = mirror(mode, [o for o in docs if o not in later(docs)])
    while not c.kube_proxy.sync_in_slices(0):
        pass
    for o in later(docs):
        c.store.put(o)
    c.run_until_idle()
    assert not c.kube_proxy.syncing
    assert "10.96.1.59" in kernel_text(c, mode)["node-0"]


@pytest.mark.parametrize("mode", MODES)
def test_changes_during_a_later_sync_are_synced_after_it(docs, mode, monkeypatch):
    for module in (ipvs_module, nftables_module, modes_module):
        monkeypatch.setattr(module, "SERVICES_PER_STEP", 4)
    rest = [o for o in docs if o not in later(docs)]
    extra = [o for o in rest if o["metadata"].get("name", "").startswith("svc-0298")]
    c = mirror(mode, [o for o in rest if o not in extra])
    while not c.kube_proxy.sync_in_slices(0, every_sync=True):
        pass
    with_all = mirror(mode, docs)
    with_all.run_until_idle()
    for o in extra:
        c.store.put(o)
    c.run_for(0)
    assert not c.kube_proxy.sync_in_slices(0, every_sync=True)
    for o in later(docs):  # (a watch event between two slices of the later sync)
        c.store.put(o)
    for _ in range(100_000):
        c.clock.advance(0.1)  # (wall time passes: the rate limiter lets the next sync through)
        c.run_for(0)
        if c.kube_proxy.sync_in_slices(0, every_sync=True) and not c.kube_proxy.queue:
            break
    assert kernel_text(c, mode) == kernel_text(with_all, mode)
