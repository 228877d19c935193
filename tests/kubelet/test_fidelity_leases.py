"""Node Leases (issue 17, item 1): each kubelet holds a `coordination.k8s.io/v1` Lease in
`kube-node-lease` and renews it every 10 s of simulated time; `get leases` and `describe
node` read it. The oracle is the REAL kubectl against `svcflow serve`: what it prints must be
what svcflow's own commands print over the same objects, byte for byte.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from engine.apply.workspace import cluster_from_paths
from engine.cluster.clock import DETERMINISTIC_START, SimClock
from engine.kubectl import commands
from engine.kubelet.nodelease import LEASE_DURATION_SECONDS, NODE_LEASE_NAMESPACE
from tests.helpers import SAMPLES
from tests.served import Kubectl, ServedCluster, served_samples

served = served_samples()


# -- the objects -----------------------------------------------------------------------------

def test_every_node_holds_a_lease_as_the_kubelet_writes_it():
    c = cluster_from_paths([SAMPLES], deterministic=True)[0]
    leases = c.store.list("Lease", NODE_LEASE_NAMESPACE)
    nodes = c.store.list("Node")
    assert [l["metadata"]["name"] for l in leases] == [n["metadata"]["name"] for n in nodes]
    for lease, node in zip(leases, nodes):
        name = node["metadata"]["name"]
        assert lease["apiVersion"] == "coordination.k8s.io/v1"
        assert lease["metadata"]["ownerReferences"] == [
            {"apiVersion": "v1", "kind": "Node", "name": name, "uid": node["metadata"]["uid"]}]
        assert "generation" not in lease["metadata"]  # (the lease strategy sets none)
        spec = lease["spec"]
        assert set(spec) == {"holderIdentity", "leaseDurationSeconds", "renewTime"}  # no acquireTime
        assert spec["holderIdentity"] == name and spec["leaseDurationSeconds"] == LEASE_DURATION_SECONDS == 40
        renewed = datetime.strptime(spec["renewTime"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
        assert timedelta(0) <= c.now() - renewed < timedelta(seconds=10)  # MicroTime, renewed within 10 s


def test_the_kubelet_renews_every_10_s_and_an_idle_run_still_ends():
    c = cluster_from_paths([SAMPLES], deterministic=True)[0]
    lease = lambda: c.store.get("Lease", NODE_LEASE_NAMESPACE, "kind-worker")  # noqa: E731
    first = lease()["spec"]["renewTime"]
    c.run_until_idle()  # nothing to wait for: the renewals are background timers
    assert lease()["spec"]["renewTime"] == first
    before = datetime.strptime(first, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    assert c.now() - before < timedelta(seconds=10)
    c.run_for(25)
    after = datetime.strptime(lease()["spec"]["renewTime"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    # (10:02:06.676 + 25 s) three renewals, 10 s apart, each at its own instant
    assert after - before == timedelta(seconds=30) and c.now() - after < timedelta(seconds=10)
    rv = lease()["metadata"]["resourceVersion"]
    c.clock.advance(95)  # time passes without running (a paused dashboard): the idle run catches up once
    c.run_until_idle()
    assert lease()["spec"]["renewTime"].startswith((c.now()).strftime("%Y-%m-%dT%H:%M:%S"))
    assert int(lease()["metadata"]["resourceVersion"]) == int(rv) + 3  # one write per node, not one per 10 s


def test_background_timers_never_keep_an_idle_run_going():
    clock = SimClock(DETERMINISTIC_START)
    fired: list[str] = []

    def loop() -> None:
        fired.append(clock.now_str())
        clock.call_later(10, loop, background=True)
    clock.call_later(10, loop, background=True)
    clock.call_later(25, lambda: fired.append("work"))
    while clock.fire_next(wait_for_background=False):
        pass
    assert fired == ["2025-06-01T10:00:10Z", "2025-06-01T10:00:20Z", "work"]  # in time order, up to the work
    assert not clock.fire_due()  # the next turn (10:00:30) is in the future
    clock.advance(30)
    assert clock.fire_due() and fired[-1] == "2025-06-01T10:00:55Z"  # an overdue turn runs once, at now
    assert clock.next_timer_at() == DETERMINISTIC_START + timedelta(seconds=65)
    assert clock.next_timer_at(background=False) is None


def test_a_lease_uid_comes_from_its_own_random_purpose():
    """Adding the Leases left every other object's name and UID where it was (the values a
    cluster of samples/ had before Leases existed; since the boot publishes its ConfigMaps
    before the first pod, with UIDs of their own purpose, the user's objects come six UIDs
    earlier in the cluster's sequence)."""
    c = cluster_from_paths([SAMPLES], deterministic=True)[0]
    lease_uids = {l["metadata"]["uid"] for l in c.store.iter("Lease")}
    other = {o["metadata"]["uid"] for k in c.store.kinds() if k != "Lease" for o in c.store.iter(k)}
    assert len(lease_uids) == 3 and not lease_uids & other
    assert c.store.get("Service", "default", "redis")["metadata"]["uid"] == "9471d0a0-8064-47f8-8427-85e89e576aa6"
    assert {p["metadata"]["name"]: p["metadata"]["uid"] for p in c.store.list("Pod", "default")} == {
        "counter-f5698b698-wd7hs": "44a4756f-e5f7-43d3-b113-18f94ef08991",
        "redis-5f76747674-v6q5x": "1d5114af-0cf5-44d8-87ca-89b8e575a97d"}
    assert c.now() == DETERMINISTIC_START + timedelta(seconds=126.676)  # and the steady state's instant


# -- the oracle ------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ["get", "leases", "-n", "kube-node-lease"],
    ["get", "lease", "-A"],
    ["get", "lease", "kind-worker", "-n", "kube-node-lease", "-o", "yaml"],
    ["get", "leases.coordination.k8s.io", "-n", "kube-node-lease", "-o", "json"],
    ["get", "leases", "-n", "kube-node-lease", "-o", "name"],
    ["get", "leases"],
], ids=lambda a: " ".join(a))
async def test_get_leases_prints_what_svcflow_prints(served, kubectl, args):
    flags, words, it = {}, [], iter(args[1:])
    for a in it:
        if a == "-o":
            flags["output"] = next(it)
        elif a == "-n":
            flags["namespace"] = next(it)
        elif a == "-A":
            flags["all_namespaces"] = True
        else:
            words.append(a)
    want = served.svcflow(lambda c: commands.get(c, words, **flags))
    assert await kubectl(*args, settle=False) == want


@pytest.mark.parametrize("what", [["node", "kind-worker"], ["node", "kind-control-plane"],
                                  ["lease", "kind-worker", "-n", "kube-node-lease"]], ids=" ".join)
async def test_describe_reads_the_stored_lease(served, kubectl, what):
    """kubectl counts ages (pods, events) from its own clock: svcflow's describe is given the same."""
    code, out, err = await kubectl("describe", *what, settle=False)
    now = datetime.now(timezone.utc)
    words = [w for w in what if w not in ("-n", NODE_LEASE_NAMESPACE)]
    ns = NODE_LEASE_NAMESPACE if "-n" in what else None
    want = served.svcflow(lambda c: commands.describe(c, words, namespace=ns, now=now))
    assert (code, out, err) == want
    if what[0] == "node":
        assert f"Lease:\n  HolderIdentity:  {what[1]}\n  AcquireTime:     <unset>\n  RenewTime:       " in out


async def test_a_deleted_lease_is_kubectls_failed_to_get_until_the_kubelet_renews(tmp_path):
    s = ServedCluster([SAMPLES], tmp_path / "own")
    try:
        k = Kubectl(s, tmp_path)
        assert await k("delete", "lease", "kind-worker2", "-n", "kube-node-lease") == (
            0, 'lease.coordination.k8s.io "kind-worker2" deleted\n', "")
        code, out, err = await k("describe", "node", "kind-worker2", settle=False)
        now = datetime.now(timezone.utc)
        assert (code, out, err) == s.svcflow(lambda c: commands.describe(c, ["node", "kind-worker2"], now=now))
        assert 'Lease:              Failed to get lease: leases.coordination.k8s.io "kind-worker2" not found\n' \
            in out
        s.call(lambda: s.cluster.run_for(10))  # the kubelet's next renewal finds it gone and creates it again
        code, out, err = await k("describe", "node", "kind-worker2", settle=False)
        assert "Lease:\n  HolderIdentity:  kind-worker2\n" in out
    finally:
        s.close()
