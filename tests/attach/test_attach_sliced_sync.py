"""kube-proxy's first sync in slices (issue 18): an attached dashboard runs the full sync
over every Service a slice at a time, so its event loop repaints between them; the rules
are the same bytes as the one-call sync's, and a change that comes in while it runs is
synced after it, as after any sync."""
from __future__ import annotations

import copy

import pytest

from engine.apply.workspace import cluster_from_paths
from engine.cluster.cluster import Cluster
from engine.proxy.iptables import proxier as proxier_module
from tests.attach_fixtures import ROOT

KINDS = ("Namespace", "Node", "Service", "EndpointSlice")


@pytest.fixture(scope="module")
def sim() -> Cluster:
    return cluster_from_paths([ROOT / "samples"], deterministic=True)[0]


def mirrored(sim: Cluster, extra: list[dict] = ()) -> Cluster:
    """A mirror cluster holding the simulation's objects, as an attach stores them."""
    c = Cluster(copy.deepcopy(sim.topology), mirror=True)
    c.clock.advance_to(sim.clock.now())
    for kind in KINDS:
        for o in sim.store.list(kind):
            c.store.put(copy.deepcopy(o))
    for o in extra:
        c.store.put(copy.deepcopy(o))
    return c


def new_service(sim: Cluster) -> list[dict]:
    """A Service (and its slice) like the samples' first, under another name."""
    svc = copy.deepcopy(next(s for s in sim.store.list("Service") if s["metadata"]["namespace"] == "default"
                             and s["metadata"]["name"] != "kubernetes"))
    name = svc["metadata"]["name"]
    slices = [copy.deepcopy(sl) for sl in sim.store.list("EndpointSlice", "default")
              if sl["metadata"].get("labels", {}).get("kubernetes.io/service-name") == name]
    for o in [svc] + slices:
        o["metadata"] = {k: v for k, v in o["metadata"].items() if k not in ("uid", "resourceVersion")}
    svc["metadata"]["name"] = "late"
    svc["spec"]["clusterIP"], svc["spec"]["clusterIPs"] = "10.96.200.200", ["10.96.200.200"]
    for sl in slices:
        sl["metadata"]["name"] = "late-" + sl["metadata"]["name"]
        sl["metadata"]["labels"] = {**sl["metadata"]["labels"], "kubernetes.io/service-name": "late"}
    return [svc] + slices


def rules(c: Cluster) -> dict[str, str]:
    kp = c.kube_proxy
    return {n: kp.proxiers[n].save() for n in sorted(kp.proxiers)}


def test_the_sliced_first_sync_writes_the_one_call_syncs_rules(sim, monkeypatch):
    monkeypatch.setattr(proxier_module, "SERVICES_PER_STEP", 1)  # (a step per Service: many slices)
    one_call, sliced = mirrored(sim), mirrored(sim)
    one_call.run_until_idle()
    steps = 0
    while not sliced.kube_proxy.sync_in_slices(0):
        steps += 1
        sliced.run_for(0)  # the dashboard's other work between slices: kube-proxy waits
        assert not sliced.kube_proxy.first_synced and not sliced.kube_proxy.iptables_save_lines("kind-worker")
    assert steps >= sim.store.count("Service")
    assert sliced.kube_proxy.last_sync.keys() == one_call.kube_proxy.last_sync.keys()
    for node, result in one_call.kube_proxy.last_sync.items():
        assert sliced.kube_proxy.last_sync[node].restore == result.restore  # type: ignore[attr-defined]
    assert rules(sliced) == rules(one_call)
    assert sliced.kube_proxy.first_synced and sliced.kube_proxy.sync_in_slices(0)  # nothing more to do
    sliced.run_until_idle()
    assert rules(sliced) == rules(one_call)  # (and no sync of nothing after it)
    # The pane's text, laid out in the slices' last steps, is the one laid out in one go.
    shown = sliced.kube_proxy.iptables_save_lines("kind-worker")
    assert len(shown) > 100 and list(shown) == list(one_call.kube_proxy.iptables_save_lines("kind-worker"))


def test_a_service_added_while_the_sliced_sync_runs_is_synced_after_it(sim, monkeypatch):
    monkeypatch.setattr(proxier_module, "SERVICES_PER_STEP", 1)
    late = new_service(sim)
    sliced, with_it = mirrored(sim), mirrored(sim, late)
    with_it.run_until_idle()
    assert not sliced.kube_proxy.sync_in_slices(0)
    for o in late:  # (a watch event between two slices)
        sliced.store.put(copy.deepcopy(o))
    sliced.run_for(0)
    while not sliced.kube_proxy.sync_in_slices(0):
        pass
    assert "late" not in "".join(rules(sliced).values())  # the sync saw the Services as they were
    sliced.run_until_idle()
    assert "default/late" in "".join(rules(sliced).values())
    assert rules(sliced) == rules(with_it)
