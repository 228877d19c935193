"""Steps 1 and 2 of an attached Service's flow come from two watches (Services,
EndpointSlices), on two connections: under load the EndpointSlice's event can arrive first.
The mirror then holds step 2 until step 1 has been told (at most HOLD_SECONDS: the
Services may be forbidden), so the flow is always told 1 -> 2, as it happened."""
from __future__ import annotations

import time

from engine.attach import mirror as mirror_module
from engine.attach.mirror import ENDPOINTSLICE_CONTROLLER, Mirror
from engine.attach.source import RESOURCES
from engine.cluster.events import STEP_COLLECT, STEP_ENDPOINTS

SERVICE = {"kind": "Service", "apiVersion": "v1",
           "metadata": {"namespace": "default", "name": "web", "uid": "u-web", "resourceVersion": "10",
                        "creationTimestamp": "2026-12-06T10:00:00Z"},
           "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080, "protocol": "TCP"}],
                    "clusterIP": "10.96.0.50", "clusterIPs": ["10.96.0.50"], "type": "ClusterIP"}}
SLICE = {"kind": "EndpointSlice", "apiVersion": "discovery.k8s.io/v1", "addressType": "IPv4",
         "metadata": {"namespace": "default", "name": "web-abcde", "uid": "u-slice", "resourceVersion": "11",
                      "creationTimestamp": "2026-12-06T10:00:00Z",
                      "labels": {"kubernetes.io/service-name": "web",
                                 "endpointslice.kubernetes.io/managed-by": ENDPOINTSLICE_CONTROLLER}},
         "endpoints": [{"addresses": ["10.244.1.5"], "conditions": {"ready": True}}],
         "ports": [{"port": 8080, "protocol": "TCP", "name": ""}]}


def _built() -> Mirror:
    m = Mirror()
    for shape in RESOURCES[:3]:  # (the two ConfigMaps and the Nodes: the mirror is built)
        m.replace(shape, [])
    m.build("test")
    return m


def _resource(kind: str):
    return next(r for r in RESOURCES if r.kind == kind)


def _steps(m: Mirror) -> list[tuple[int, str]]:
    return [(e.step, e.controller) for e in m.cluster.flow_events.since(0) if e.name == "web" and e.step]


def test_a_slice_seen_before_its_service_is_told_after_it():
    m = _built()
    m.event(_resource("EndpointSlice"), "ADDED", SLICE)
    assert _steps(m) == []  # held: step 1 has not been told
    m.event(_resource("Service"), "ADDED", SERVICE)
    assert _steps(m) == [(STEP_COLLECT, "kube-apiserver"), (STEP_ENDPOINTS, ENDPOINTSLICE_CONTROLLER)]
    written = [e for e in m.cluster.flow_events.since(0) if e.step == STEP_ENDPOINTS][0]
    assert written.data["ready"] == ["10.244.1.5"]


def test_a_slice_whose_service_never_comes_is_told_after_a_while(monkeypatch):
    m = _built()
    m.event(_resource("EndpointSlice"), "ADDED", SLICE)
    later = time.monotonic() + mirror_module.HOLD_SECONDS + 1
    monkeypatch.setattr(mirror_module.time, "monotonic", lambda: later)
    other = {**SLICE, "metadata": {**SLICE["metadata"], "name": "other-x", "uid": "u-o",
                                   "labels": {**SLICE["metadata"]["labels"], "kubernetes.io/service-name": "other"}}}
    m.event(_resource("EndpointSlice"), "ADDED", other)  # (any later event lets the held one go)
    assert _steps(m) == [(STEP_ENDPOINTS, ENDPOINTSLICE_CONTROLLER)]


def test_a_slice_of_a_known_service_is_told_at_once():
    m = _built()
    m.event(_resource("Service"), "ADDED", SERVICE)
    m.event(_resource("EndpointSlice"), "ADDED", SLICE)
    assert _steps(m) == [(STEP_COLLECT, "kube-apiserver"), (STEP_ENDPOINTS, ENDPOINTSLICE_CONTROLLER)]
