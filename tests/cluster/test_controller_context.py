"""Controllers are narrow (issue 15): each is built from a ControllerContext and what it
alone needs, never from the Cluster, and keeps its own state in its own fields."""
from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path

import pytest

from engine.api.allocators import AllocationError
from engine.api.naming import new_uid
from engine.api.store import Store
from engine.cluster.clock import DETERMINISTIC_START, SimClock
from engine.cluster.cluster import Cluster
from engine.cluster.events import FlowSink
from engine.cluster.recorder import EventRecorder
from engine.cluster.rng import RandomSource
from engine.cluster.topology import Machines, build_topology
from engine.controllers.context import ControllerContext
from engine.controllers.endpoints import EndpointsController
from engine.controllers.endpointslice import EndpointSliceController
from engine.controllers.scheduler import Scheduler
from engine.controllers.servicepods import ServiceSelectorIndex
from engine.kubelet.ipam import PodIPAM

ROOT = Path(__file__).resolve().parents[2]
CONTROLLER_MODULES = sorted([*(ROOT / "engine" / "controllers").glob("*.py"), *(ROOT / "engine" / "kubelet").glob("*.py"),
                             ROOT / "engine" / "dns" / "coredns.py", ROOT / "engine" / "proxy" / "controller.py",
                             ROOT / "engine" / "proxy" / "modes.py"])


def _context(api=None) -> ControllerContext:
    """A context over a bare store: no Cluster, no API server unless given."""
    clock = SimClock(DETERMINISTIC_START)
    rng = RandomSource(0).rng
    store = Store(clock, lambda: new_uid(rng("uid")))
    return ControllerContext(store=store, api=api, recorder=EventRecorder(store, clock), clock=clock, rng=rng,
                             flow=FlowSink(clock.now).flow)


def _run(controller) -> None:
    while controller.queue:
        controller.reconcile(controller.pop())


@pytest.mark.parametrize("path", CONTROLLER_MODULES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_controller_module_imports_the_cluster_or_imports_inside_a_function(path):
    tree = ast.parse(path.read_text())
    imported = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert "engine.cluster.cluster" not in imported  # not even under TYPE_CHECKING
    top = set(map(id, tree.body))
    nested = [n.lineno for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) and id(n) not in top]
    assert nested == []


def test_the_scheduler_binds_a_pod_from_its_context_alone():
    ctx = _context()
    sched = Scheduler(ctx)
    for name in ("n1", "n2"):
        ctx.store.create({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}, "spec": {}})
    ctx.store.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "default"},
                      "spec": {"containers": [{"name": "c", "image": "nginx"}]}})
    _run(sched)
    pod = ctx.store.get("Pod", "default", "web")
    assert pod["spec"]["nodeName"] in ("n1", "n2")
    [event] = ctx.store.list("Event", "default")
    assert (event["reason"], event["source"]) == ("Scheduled", {"component": "default-scheduler"})
    assert event["message"] == f"Successfully assigned default/web to {pod['spec']['nodeName']}"


def test_the_event_recorder_counts_repeats_and_names_events_in_time_order():
    ctx = _context()
    pod = ctx.store.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "shop"},
                            "spec": {}})
    rec = ctx.recorder
    rec.event(pod, "Warning", "Unhealthy", "Readiness probe failed: ", "kubelet", "kind-worker")
    ctx.clock.advance(10)
    rec.event(pod, "Warning", "Unhealthy", "Readiness probe failed: ", "kubelet", "kind-worker")
    rec.event(pod, "Normal", "Pulled", "pulled", "kubelet", "kind-worker", at_offset=2.5)
    first, second = ctx.store.list("Event", "shop")
    assert (first["reason"], first["count"]) == ("Unhealthy", 2)
    assert (first["firstTimestamp"], first["lastTimestamp"]) == ("2025-06-01T10:00:00Z", "2025-06-01T10:00:10Z")
    assert first["source"] == {"component": "kubelet", "host": "kind-worker"}
    assert first["involvedObject"]["uid"] == pod["metadata"]["uid"]
    assert (second["reason"], second["count"], second["firstTimestamp"]) == ("Pulled", 1, "2025-06-01T10:00:12Z")
    assert first["metadata"]["name"] < second["metadata"]["name"]  # `<object>.<UnixNano in hex>`


def test_the_clock_stamps_now_and_offsets_as_the_api_server_does():
    clock = SimClock(DETERMINISTIC_START)
    clock.advance(61.5)
    assert clock.origin == DETERMINISTIC_START
    assert clock.now() == DETERMINISTIC_START + timedelta(seconds=61.5)
    assert (clock.now_str(), clock.now_str(offset=1)) == ("2025-06-01T10:01:01Z", "2025-06-01T10:01:02Z")


def test_the_random_source_gives_each_purpose_its_own_replayable_generator():
    a, b = RandomSource(7), RandomSource(7)
    first = a.rng("uid").random()
    b.rng("names:Pod").random()  # another purpose drawing first changes nothing
    assert b.rng("uid").random() == first
    assert a.rng("uid") is a.rng("uid")


def test_pod_ipam_hands_out_each_machines_pod_cidr_and_refuses_unknown_nodes():
    topo = build_topology([], [])
    ipam = PodIPAM(Machines(topo))
    node = topo.nodes[1]
    first = ipam.allocate(node.name)
    assert first.endswith(".2") and first.startswith(node.pod_cidr.rsplit(".", 2)[0])
    ipam.release(node.name, first)
    assert ipam.allocate(node.name).endswith(".3")  # host-local reuses only after the range wraps
    ipam.release("no-such-node", first)  # nothing to give back to: no error
    with pytest.raises(AllocationError, match="no podCIDR for node no-such-node"):
        ipam.allocate("no-such-node")
    assert Machines(topo).get("no-such-node") is None


def test_the_endpoint_controllers_share_one_service_index_and_plant_nothing_on_the_store():
    c = Cluster(deterministic=True)
    eps = next(x for x in c.controllers if isinstance(x, EndpointsController))
    slices = next(x for x in c.controllers if isinstance(x, EndpointSliceController))
    assert eps._index is slices._index
    assert not any(isinstance(v, ServiceSelectorIndex) for v in vars(c.store).values())
    assert all(not hasattr(x, "cluster") for x in c.controllers if x is not c.kube_proxy)
