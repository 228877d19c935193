"""Probes get what the container would answer (engine/kubelet/prober.py): an httpGet probe
the HTTP status the container's process gives that path (nginx: `/` 200, anything else
404 -> `HTTP probe failed with statuscode: 404`), an exec probe the exit code and output of
its command run in the container's shell (the pods' shells: what the main command wrote is
there). Asserted as a learner sees them: `kubectl get po`, `describe`'s events, endpoints."""
from __future__ import annotations

from datetime import datetime

import pytest

from engine.apply.workspace import cluster_from_paths
from engine.cluster.cluster import Cluster
from engine.kubectl import commands as kubectl
from engine.kubectl.session import Session
from engine.workloads.apps import workload_for
from tests.helpers import SAMPLES, apply_yaml, web_service_yaml


def deployment(probe: str, image: str = "nginx", command: str = "", kind: str = "readinessProbe") -> str:
    return web_service_yaml(command, f"{kind}: {probe}", image=image)


def started(yaml: str, seconds: float = 5) -> tuple[Cluster, dict]:
    c = cluster_from_paths([SAMPLES], deterministic=True)[0]
    apply_yaml(c, yaml)
    c.run_for(seconds)
    (pod,) = [p for p in c.store.list("Pod", "default") if p["metadata"]["name"].startswith("web-")]
    return c, pod


def row(c: Cluster, pod: dict) -> list[str]:
    return kubectl.run_line(c, f"kubectl get pod {pod['metadata']['name']}").stdout.splitlines()[1].split()[1:4]


def unhealthy(c: Cluster, pod: dict) -> list[str]:
    return [e["message"] for e in c.store.list("Event", "default")
            if e["reason"] == "Unhealthy" and e["involvedObject"]["name"] == pod["metadata"]["name"]]


def endpoints(c: Cluster) -> list[str]:
    ep = c.store.get("Endpoints", "default", "web")
    return [a["ip"] for s in ep.get("subsets") or [] for a in s.get("addresses") or []]


def test_an_http_probe_on_a_path_nginx_does_not_serve_gets_404_and_keeps_the_pod_unready():
    c, pod = started(deployment("{httpGet: {path: /healthz, port: 80}, periodSeconds: 2}"))
    assert row(c, pod) == ["0/1", "Running", "0"]
    assert unhealthy(c, pod) == ["Readiness probe failed: HTTP probe failed with statuscode: 404"]
    assert endpoints(c) == []
    out = kubectl.run_line(c, f"kubectl describe pod {pod['metadata']['name']}").stdout
    assert "Warning  Unhealthy" in out and "Readiness probe failed: HTTP probe failed with statuscode: 404\n" in out


@pytest.mark.parametrize("path", ["/", "/index.html"])
def test_an_http_probe_on_a_path_nginx_serves_passes(path):
    c, pod = started(deployment(f"{{httpGet: {{path: {path}, port: 80}}}}"))
    assert row(c, pod) == ["1/1", "Running", "0"]
    assert unhealthy(c, pod) == [] and endpoints(c) == [pod["status"]["podIP"]]


def test_an_exec_probe_runs_in_the_container_and_reads_what_the_main_command_wrote():
    main = 'command: [sh, -c, "echo ok > /tmp/ready; sleep 3600"]'
    c, pod = started(deployment("{exec: {command: [cat, /tmp/ready]}}", "busybox", main))
    assert row(c, pod) == ["1/1", "Running", "0"] and unhealthy(c, pod) == []
    c, pod = started(deployment("{exec: {command: [cat, /tmp/nosuch]}}", "busybox", main))
    assert row(c, pod) == ["0/1", "Running", "0"] and endpoints(c) == []
    assert unhealthy(c, pod) == ["Readiness probe failed: cat: can't open '/tmp/nosuch': No such file or directory\n"]
    out = kubectl.run_line(c, f"kubectl describe pod {pod['metadata']['name']}").stdout
    assert "Readiness probe failed: cat: can't open '/tmp/nosuch': No such file or directory\n" in out


def test_an_exec_liveness_probe_that_fails_restarts_the_container_with_its_output():
    yaml = deployment("{exec: {command: [cat, /tmp/healthy]}, periodSeconds: 5, failureThreshold: 1}",
                      "busybox", 'command: [sh, -c, "sleep 3600"]', kind="livenessProbe")
    c, pod = started(yaml, 12)
    assert int(row(c, pod)[2]) >= 1
    assert unhealthy(c, pod)[0] == "Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory\n"
    killing = [e["message"] for e in c.store.list("Event", "default") if e["reason"] == "Killing"]
    assert killing[0] == "Container web failed liveness probe, will be restarted"


def test_an_exec_probe_that_exits_0_passes_and_one_whose_program_is_missing_fails():
    c, pod = started(deployment("{exec: {command: [sh, -c, 'exit 0']}}", "busybox", "command: [sleep, '3600']"))
    assert row(c, pod) == ["1/1", "Running", "0"]
    c, pod = started(deployment("{exec: {command: [curl, localhost]}}", "busybox", "command: [sleep, '3600']"))
    assert row(c, pod) == ["0/1", "Running", "0"]
    assert unhealthy(c, pod) == ['Readiness probe failed: failed to exec in container: failed to start exec: OCI '
                                 'runtime exec failed: exec failed: unable to start container process: exec: "curl": '
                                 "executable file not found in $PATH: unknown"]


def test_what_a_probe_gets_from_the_images_workloads():
    pod = {"metadata": {"name": "p"}, "spec": {"containers": []}}
    nginx = workload_for(pod, {"image": "nginx"}, datetime.now)
    assert [nginx.answer_probe(p, 80) for p in ("/", "/index.html", "/healthz")] == [200, 200, 404]
    counter = workload_for(pod, {"image": "ghcr.io/subicura/counter"}, datetime.now)
    assert counter.answer_probe("/", 3000) == 200 and counter.log == []  # (a probe bumps no count)
    redis = workload_for(pod, {"image": "redis"}, datetime.now)
    assert redis.answer_probe("/", 6379) is None  # (listening, not HTTP)


def test_the_readiness_probe_runs_every_period_so_a_fix_made_with_exec_makes_the_pod_ready():
    """The docs' readiness demo: the probe reads a file nobody wrote; the pod stays 0/1 (one
    `Unhealthy` per period, `(xN over ...)`) until `kubectl exec` writes it, and the next
    round makes it Ready and puts it in the Service."""
    c, pod = started(deployment("{exec: {command: [cat, /tmp/ready]}, periodSeconds: 5}", "busybox",
                                "command: [sleep, '3600']"), 12)
    name = pod["metadata"]["name"]
    assert row(c, pod) == ["0/1", "Running", "0"] and endpoints(c) == []
    (event,) = [e for e in c.store.list("Event", "default")
                if e["reason"] == "Unhealthy" and e["involvedObject"]["name"] == name]
    assert event["count"] >= 2
    assert Session(c).feed(f"kubectl exec {name} -- sh -c 'echo ok > /tmp/ready'") == ""
    c.run_for(5)
    assert row(c, pod) == ["1/1", "Running", "0"] and endpoints(c) == [pod["status"]["podIP"]]


def test_the_liveness_probe_runs_every_period_and_a_success_resets_its_count():
    """A failing exec livenessProbe with failureThreshold 3: one `Unhealthy` per failed round;
    writing the file it reads before the third failure keeps the container from being killed."""
    yaml = deployment("{exec: {command: [cat, /tmp/healthy]}, periodSeconds: 5}", "busybox",
                      "command: [sleep, '3600']", kind="livenessProbe")
    c, pod = started(yaml, 8)  # (the pull takes a few seconds: one round has failed, maybe two)
    name = pod["metadata"]["name"]
    (event,) = [e for e in c.store.list("Event", "default")
                if e["reason"] == "Unhealthy" and e["involvedObject"]["name"] == name]
    assert event["message"] == "Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory\n"
    failed = event["count"]
    assert failed in (1, 2)
    assert Session(c).feed(f"kubectl exec {name} -- sh -c 'echo ok > /tmp/healthy'") == ""
    c.run_for(60)
    assert row(c, pod) == ["1/1", "Running", "0"]
    assert c.store.get("Event", "default", event["metadata"]["name"])["count"] == failed
    assert [e for e in c.store.list("Event", "default") if e["reason"] == "Killing"] == []
