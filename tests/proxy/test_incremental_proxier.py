"""The kube-proxy controller's O(changed) partial sync against the proxier's own sync.

For random sequences of changes to a simulated cluster (pods turning not ready and
back, pods deleted, Services added, deleted, gaining ports, turning NodePort, Local
traffic policy, source ranges), an `IncrementalProxier` and a plain `IPTablesProxier`
are synced in lockstep with the same changed keys and clock; after every step their
tables (every chain's rules, the jump reference counts) and rule counts must match.
Both large-cluster mode (stale chains linger until the periodic cleanup) and the
normal mode (deleted at once) are exercised.
"""
from __future__ import annotations

import random

import pytest

from benchmarks.generate import Shape, workload_documents
from engine.api.objects import labels_of, meta
from engine.cluster.cluster import Cluster
from engine.proxy.iptables.partial import IncrementalProxier
from engine.proxy.iptables.proxier import IPTablesProxier
from engine.proxy.iptables.save import IPTABLES_VERSION


def _cluster(n_services: int) -> Cluster:
    c = Cluster(deterministic=True)
    shape = Shape(services=n_services, endpoints=3, nodes=3, per_namespace=8)
    for docs in workload_documents(shape).values():
        for d in docs:
            assert c.api.apply(d, "gen.yaml").ok
    c.run_until_idle()
    return c


def _tables(p: IPTablesProxier) -> dict:
    return {name: (dict(t.chains), dict(t.refs)) for name, t in p.netfilter.tables.items()}


def _mutate(c: Cluster, rng: random.Random, step: int) -> str:
    svcs = [s for s in c.store.list("Service") if meta(s)["name"].startswith(("svc-", "extra-"))]
    pods = [p for p in c.store.list("Pod") if labels_of(p).get("tier") == "bench"]
    what = rng.choice(["unready", "ready", "delete-pod", "add-svc", "del-svc", "port", "nodeport",
                       "local", "ranges", "noop"])
    if what in ("unready", "ready") and pods:
        p = rng.choice(pods)
        c.kubelet.set_readiness(meta(p)["namespace"], meta(p)["name"], what == "ready")
    elif what == "delete-pod" and pods:
        p = rng.choice(pods)
        c.api.delete_object("Pod", meta(p)["namespace"], meta(p)["name"])
    elif what == "add-svc" and svcs:
        base = rng.choice(svcs)
        c.api.apply({"apiVersion": "v1", "kind": "Service",
                     "metadata": {"name": f"extra-{step}", "namespace": meta(base)["namespace"]},
                     "spec": {"selector": dict(base["spec"].get("selector") or {}),
                              "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}}, "t.yaml")
    elif what == "del-svc" and svcs:
        s = rng.choice(svcs)
        c.api.delete_object("Service", meta(s)["namespace"], meta(s)["name"])
    elif what in ("port", "nodeport", "local", "ranges") and svcs:
        s = rng.choice([s for s in svcs if s["spec"].get("clusterIP") != "None"] or svcs)
        spec = {"selector": dict(s["spec"].get("selector") or {}),
                "ports": [{k: v for k, v in p.items() if k != "nodePort"} for p in s["spec"]["ports"]]}
        if s["spec"].get("clusterIP") == "None":
            spec["clusterIP"] = "None"
        elif what == "port":
            spec["ports"].append({"name": f"p{step}", "port": 1000 + step, "targetPort": 8080})
        elif what == "nodeport":
            spec["type"] = "NodePort"
        elif what == "local":
            spec["type"] = "NodePort"
            spec["externalTrafficPolicy"] = "Local"
        else:
            spec["type"] = "LoadBalancer"
            spec["loadBalancerSourceRanges"] = ["10.0.0.0/8", "172.18.0.0/16"]
        c.api.apply({"apiVersion": "v1", "kind": "Service",
                     "metadata": {"name": meta(s)["name"], "namespace": meta(s)["namespace"]}, "spec": spec}, "t.yaml")
    return what


@pytest.mark.parametrize("threshold,seed", [(1000, 1), (1000, 2), (5, 3), (5, 4)])
def test_incremental_partial_syncs_leave_the_same_tables(threshold, seed):
    rng = random.Random(seed)
    c = _cluster(20)
    changed: set[str] = set()

    def on_change(ev) -> None:
        obj = ev.obj
        name = meta(obj)["name"] if obj["kind"] == "Service" else labels_of(obj).get("kubernetes.io/service-name")
        if name:
            changed.add(f"{meta(obj).get('namespace') or ''}/{name}")

    c.store.watch("Service", on_change)
    c.store.watch("EndpointSlice", on_change)
    node = c.store.get("Node", "", "kind-worker")
    cfg = c.kube_proxy.config_for(node)
    cfg.large_cluster_threshold = threshold
    ref, inc = IPTablesProxier(cfg), IncrementalProxier(cfg)

    def lookup(key: str):
        ns, _, name = key.partition("/")
        return c.store.get("Service", ns, name)

    def slices_of(key: str):
        ns, _, name = key.partition("/")
        return c.store.by_label("EndpointSlice", ns, "kubernetes.io/service-name", name)

    now = 0.0
    ref.sync(c.store.list("Service"), c.store.list("EndpointSlice"), changed=None, now=now)
    inc.sync_changes(None, lookup, slices_of, lambda: c.store.list("Service"),
                     lambda: c.store.list("EndpointSlice"), now=now)
    assert _tables(inc) == _tables(ref)
    changed.clear()
    deleted_chains = 0
    for step in range(60):
        what = _mutate(c, rng, step)
        c.run_for(0)
        now += rng.choice([0.5, 1.0, 2.0, 31.0])
        ch = set(changed)
        changed.clear()
        r1 = ref.sync(c.store.list("Service"), c.store.list("EndpointSlice"), changed=ch, now=now)
        r2 = inc.sync_changes(ch, lookup, slices_of, lambda: c.store.list("Service"),
                              lambda: c.store.list("EndpointSlice"), now=now)
        assert _tables(inc) == _tables(ref), (step, what)
        assert (r2.rule_count, r2.filter_rule_count, r2.nat_rule_count, r2.ok) == \
               (r1.rule_count, r1.filter_rule_count, r1.nat_rule_count, r1.ok), (step, what)
        assert sorted(r2.chains_deleted) == sorted(r1.chains_deleted), (step, what)
        deleted_chains += len(r2.chains_deleted)
        assert inc.save() == ref.save()
    assert inc.incremental_syncs > 20  # the fast path did the work, not the fallback
    if threshold == 5:  # large-cluster mode all along: its periodic cleanups were partial syncs too
        assert inc.full_path_syncs == 1
        assert deleted_chains > 0  # and they did delete stale chains


def test_the_controller_uses_the_incremental_path_after_the_first_sync():
    c = _cluster(6)
    kp = c.kube_proxy
    p = kp.proxiers["kind-worker"]
    assert isinstance(p, IncrementalProxier)
    before = p.incremental_syncs
    pod = next(p for p in c.store.list("Pod") if labels_of(p).get("tier") == "bench")
    c.run_for(5)
    c.kubelet.set_readiness(meta(pod)["namespace"], meta(pod)["name"], False)
    c.run_for(0)
    assert p.incremental_syncs == before + 1
    # ...and what it left is what a fresh full sync computes.
    fresh = IPTablesProxier(kp.config_for(c.store.get("Node", "", "kind-worker")))
    fresh.sync(c.store.list("Service"), c.store.list("EndpointSlice"), now=1e9)
    live = {n: {ch: r for ch, r in t.chains.items() if not ch.startswith("KUBE-SEP-") or r}
            for n, t in p.netfilter.tables.items()}
    want = {n: {ch: r for ch, r in t.chains.items() if not ch.startswith("KUBE-SEP-") or r}
            for n, t in fresh.netfilter.tables.items()}
    for table in ("filter", "nat"):
        for chain in set(live[table]) | set(want[table]):
            if chain.startswith("KUBE-SEP-") and (chain not in want[table]):
                continue  # a chain large-cluster mode keeps until its periodic cleanup
            assert live[table].get(chain) == want[table].get(chain), chain


@pytest.mark.parametrize("seed", [5, 6])
def test_the_per_chain_iptables_save_is_what_the_tables_print(seed):
    """`KubeProxy.iptables_save` keeps normalized lines per chain between syncs; after
    every change it must print exactly what `iptables-save` renders from scratch."""
    rng = random.Random(seed)
    c = _cluster(12)
    kp = c.kube_proxy
    for step in range(25):
        _mutate(c, rng, step)
        c.run_for(rng.choice([0.0, 1.0, 2.0]))
        for node in ("kind-worker", "kind-control-plane"):
            p = kp.proxiers[node]
            want = p.save(timestamp=kp.save_timestamp(), version=IPTABLES_VERSION, backend="nft")
            assert kp.iptables_save(node) == want, (step, node)


def _fresh_tables(c: Cluster, node: str) -> dict:
    kp = c.kube_proxy
    fresh = IPTablesProxier(kp.config_for(c.store.get("Node", "", node)))
    fresh.sync(c.store.list("Service"), c.store.list("EndpointSlice"), now=1e9)
    return _tables(fresh)


def test_nodes_share_rules_until_a_service_depends_on_the_node_and_then_each_has_its_own():
    """While no Service's rules depend on the node, every node shares one rule state; a
    Local-policy Service gives each node its own (cloned, then resynced), and each must
    then hold exactly what a fresh full sync on that node computes -- and the same once
    the policy is back to Cluster."""
    c = _cluster(6)
    kp = c.kube_proxy
    nodes = [n["metadata"]["name"] for n in c.store.list("Node")]
    assert len({id(kp.proxiers[n]) for n in nodes}) == 1
    svc = next(s for s in c.store.list("Service") if meta(s)["name"] == "svc-00001")  # a NodePort
    spec = {"type": "NodePort", "externalTrafficPolicy": "Local", "selector": dict(svc["spec"]["selector"]),
            "ports": [{k: v for k, v in p.items()} for p in svc["spec"]["ports"]]}
    manifest = {"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": "svc-00001", "namespace": meta(svc)["namespace"]}, "spec": spec}
    c.run_for(5)
    assert c.api.apply(manifest, "t.yaml").ok
    c.run_for(0)
    assert len({id(kp.proxiers[n]) for n in nodes}) == len(nodes)
    assert all(kp.proxiers[n].full_path_syncs == 0 for n in nodes)  # cloned, not fully resynced
    for n in nodes:
        assert _tables(kp.proxiers[n]) == _fresh_tables(c, n), n
    spec["externalTrafficPolicy"] = "Cluster"
    c.run_for(5)
    assert c.api.apply(manifest, "t.yaml").ok
    c.run_for(0)
    assert len({id(kp.proxiers[n]) for n in nodes}) == 1
    for n in nodes:
        assert _tables(kp.proxiers[n]) == _fresh_tables(c, n), n
