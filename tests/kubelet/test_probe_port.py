"""A readinessProbe on a port nothing in the container listens on fails (tester4 #10): the pod
stays 0/1 Running, out of its Service's endpoints, with the kubelet's `connection refused`
event -- the classic "my Service has no endpoints" mistake. On the port the image serves it
passes."""
from __future__ import annotations

import pytest

from engine.apply.workspace import cluster_from_paths
from tests.helpers import SAMPLES, apply_yaml, web_service_yaml


def web(port: object, probe: str = "httpGet", kind: str = "readinessProbe") -> str:
    handler = "{path: /, port: %s}" % port if probe == "httpGet" else "{port: %s}" % port
    return web_service_yaml("ports: [{name: metrics, containerPort: 9113}]", f"{kind}: {{{probe}: {handler}}}")


def state(c):
    (pod,) = [p for p in c.store.list("Pod", "default") if p["metadata"]["name"].startswith("web-")]
    ready = next(x["status"] for x in pod["status"]["conditions"] if x["type"] == "Ready")
    ep = c.store.get("Endpoints", "default", "web")
    addresses = [a["ip"] for s in ep.get("subsets") or [] for a in s.get("addresses") or []]
    events = [e["message"] for e in c.store.list("Event", "default")
              if e["reason"] == "Unhealthy" and e["involvedObject"]["name"] == pod["metadata"]["name"]]
    return pod, ready, addresses, events


@pytest.mark.parametrize("port,probe", [(8080, "httpGet"), (8080, "tcpSocket"), ("nosuch", "httpGet")])
def test_a_probe_on_a_port_nothing_listens_on_keeps_the_pod_out_of_the_service(port, probe):
    c = cluster_from_paths([SAMPLES], deterministic=True)[0]
    apply_yaml(c, web(port, probe))
    c.run_for(5)
    pod, ready, addresses, events = state(c)
    ip = pod["status"]["podIP"]
    assert pod["status"]["phase"] == "Running" and ready == "False" and addresses == []
    if port == 8080 and probe == "httpGet":
        assert events == [f'Readiness probe failed: Get "http://{ip}:8080/": dial tcp {ip}:8080: connect: '
                          "connection refused"]
    elif probe == "tcpSocket":
        assert events == [f"Readiness probe failed: dial tcp {ip}:8080: connect: connection refused"]


@pytest.mark.parametrize("port", [80, "metrics", 9113])
def test_a_probe_on_a_port_the_container_serves_passes(port):
    c = cluster_from_paths([SAMPLES], deterministic=True)[0]
    apply_yaml(c, web(port))
    c.run_for(5)
    pod, ready, addresses, events = state(c)
    assert ready == "True" and addresses == [pod["status"]["podIP"]] and events == []


def test_a_liveness_probe_on_a_port_nothing_listens_on_restarts_the_container_with_back_off():
    """After failureThreshold (3) failures 10 s apart the kubelet kills the container
    (`Killing ... failed liveness probe, will be restarted`); nginx exits 0 on SIGTERM; it
    restarts, fails again, and the back-off turns it to CrashLoopBackOff."""
    c = cluster_from_paths([SAMPLES], deterministic=True)[0]
    apply_yaml(c, web(81, kind="livenessProbe"))
    c.run_for(25)
    pod, ready, _, _ = state(c)
    assert pod["status"]["containerStatuses"][0]["restartCount"] == 0 and ready == "True"
    c.run_for(10)
    pod, _, _, _ = state(c)
    cs = pod["status"]["containerStatuses"][0]
    assert cs["restartCount"] == 1 and cs["lastState"]["terminated"]["exitCode"] == 0
    ip = pod["status"]["podIP"]
    events = [(e["reason"], e["message"]) for e in c.store.list("Event", "default")
              if e["involvedObject"]["name"] == pod["metadata"]["name"]]
    assert ("Unhealthy", f'Liveness probe failed: Get "http://{ip}:81/": dial tcp {ip}:81: connect: connection refused') \
        in events
    assert ("Killing", "Container web failed liveness probe, will be restarted") in events
    c.run_for(300)
    pod, _, _, _ = state(c)
    assert pod["status"]["containerStatuses"][0]["restartCount"] >= 3
    assert any(r == "BackOff" for r, _ in [(e["reason"], e["message"]) for e in c.store.list("Event", "default")])
