"""A worker node stopped and started again (`docker restart kind-worker`, or `docker stop` then
`docker start`): what kind v1.33 shows. Every container on the node died with it; containerd
reports them exited with 255 `Unknown`. The kubelet gives each pod a new sandbox
(`SandboxChanged`: `Pod sandbox changed, it will be killed and re-created.`): the old
sandbox's address goes back to host-local and the new one gets the node's next address, so
the pod IP changes; its containers start again (RESTARTS 1, new start times and container
IDs, the 255 as `Last State`). The EndpointSlice and kube-proxy follow the new addresses.
A pod that does not restart (restartPolicy Never) fails instead."""
from __future__ import annotations

import re

import pytest

from engine.cluster.cluster import Cluster
from engine.kubectl import commands as kubectl
from engine.kubectl.printers.get import pod_status_cells
from engine.kubectl.session import Session
from engine.net.network import Network
from tests.helpers import apply_yaml, samples_with_counters

NODE = "kind-worker"
SANDBOX_CHANGED = "Pod sandbox changed, it will be killed and re-created."


@pytest.fixture
def cluster() -> Cluster:
    return samples_with_counters(4)


def on_node(c: Cluster, namespace: str = "default") -> dict[str, dict]:
    return {p["metadata"]["name"]: p for p in c.store.list("Pod", namespace) if p["spec"].get("nodeName") == NODE}


def slice_addresses(c: Cluster) -> dict[str, bool]:
    (s,) = [s for s in c.store.list("EndpointSlice", "default")
            if s["metadata"]["labels"].get("kubernetes.io/service-name") == "counter-np"]
    return {e["addresses"][0]: e["conditions"]["ready"] for e in s["endpoints"]}


def events(c: Cluster, name: str, reason: str) -> list[str]:
    return [e["message"] for e in c.store.list("Event") if e["reason"] == reason and e["involvedObject"]["name"] == name]


@pytest.mark.parametrize("down", [0, 120])  # `docker restart`; stopped long enough to go NotReady
def test_a_restarted_node_gives_its_pods_new_sandboxes_new_ips_and_a_restart(cluster, down):
    c = cluster
    before = on_node(c)
    assert before, "the scale put counter pods on kind-worker"
    s = Session(c)
    if down:
        assert s.feed(f"docker stop {NODE}") == f"{NODE}\n"
        c.run_for(down)
        assert s.feed(f"docker start {NODE}") == f"{NODE}\n"
    else:
        assert s.feed(f"docker restart {NODE}") == f"{NODE}\n"
    c.run_for(10)
    after = on_node(c)
    assert set(after) == set(before)  # the same pods, not replacements
    old_ips = {p["status"]["podIP"] for p in before.values()}
    new_ips = {p["status"]["podIP"] for p in after.values()}
    assert not old_ips & new_ips and all(ip.startswith("10.244.1.") for ip in new_ips)
    for name, pod in after.items():
        (cs,) = pod["status"]["containerStatuses"]
        (was,) = before[name]["status"]["containerStatuses"]
        assert cs["restartCount"] == 1 and cs["ready"] and pod["status"]["phase"] == "Running"
        assert cs["containerID"] != was["containerID"]
        assert cs["state"]["running"]["startedAt"] > was["state"]["running"]["startedAt"]
        last = cs["lastState"]["terminated"]
        assert (last["exitCode"], last["reason"], last["startedAt"]) == (255, "Unknown", was["state"]["running"]["startedAt"])
        assert events(c, name, "SandboxChanged") == [SANDBOX_CHANGED]
        out = kubectl.run_line(c, f"kubectl get pod {name} -o wide").stdout
        assert re.search(rf"^{name}\s+1/1\s+Running\s+1 \(\d+s ago\)\s+\S+\s+{pod['status']['podIP']}\s+{NODE}\s", out,
                         re.M), out
        out = kubectl.run_line(c, f"kubectl describe pod {name}").stdout
        assert "    Last State:     Terminated\n      Reason:       Unknown\n      Exit Code:    255\n" in out
        assert "    Restart Count:  1\n" in out
        assert re.search(r"^  Normal  +SandboxChanged  .*kubelet +" + re.escape(SANDBOX_CHANGED) + "$", out, re.M)
    # the Service's endpoints and kube-proxy follow the new addresses
    ready = slice_addresses(c)
    assert not old_ips & set(ready) and all(ready[ip] for ip in new_ips)
    rules = c.kube_proxy.iptables_save("kind-worker2")
    assert all(f"--to-destination {ip}:3000" in rules for ip in new_ips)
    reached = {Network(c).connect(None, "172.18.0.4", 31000).pod["status"]["podIP"] for _ in range(40)}
    assert reached & new_ips
    # its DaemonSets' pods restart too; a host-network pod keeps the node's address
    proxy = next(p for p in on_node(c, "kube-system").values() if p["metadata"]["name"].startswith("kube-proxy-"))
    assert proxy["status"]["podIP"] == "172.18.0.3" and proxy["status"]["containerStatuses"][0]["restartCount"] == 1
    # pods on the other node are untouched
    others = [p for p in c.store.list("Pod", "default") if p["spec"].get("nodeName") == "kind-worker2"]
    assert all(p["status"]["containerStatuses"][0]["restartCount"] == 0 for p in others)


def test_get_w_shows_the_lost_containers_then_the_restart(cluster):
    c = cluster
    name = next(iter(on_node(c)))
    rows: list[tuple[str, str, str, bool]] = []
    c.store.watch("Pod", lambda ev: rows.append((*pod_status_cells(ev.obj, c.clock.now()), "podIP" in ev.obj["status"]))
                  if ev.obj["metadata"]["name"] == name else None)
    Session(c).feed(f"docker restart {NODE}")
    c.run_for(10)
    # reported dead with no pod IP (no ready sandbox), then the new sandbox's IP, then running again
    assert rows[0] == ("0/1", "Unknown", "0", False)
    assert rows[1][:2] == ("0/1", "Unknown") and rows[1][3]
    assert rows[-1][:2] == ("1/1", "Running") and rows[-1][2].startswith("1 (")


def test_a_pod_that_does_not_restart_fails_with_the_node(cluster):
    c = cluster
    apply_yaml(c, f"""
apiVersion: v1
kind: Pod
metadata: {{name: once}}
spec:
  nodeName: {NODE}
  restartPolicy: Never
  containers: [{{name: c, image: busybox, command: [sleep, "3600"]}}]
""")
    c.run_until_idle()
    assert c.store.get("Pod", "default", "once")["status"]["phase"] == "Running"
    Session(c).feed(f"docker restart {NODE}")
    c.run_for(10)
    pod = c.store.get("Pod", "default", "once")
    assert pod["status"]["phase"] == "Failed" and events(c, "once", "SandboxChanged") == []
    term = pod["status"]["containerStatuses"][0]["state"]["terminated"]
    assert (term["exitCode"], term["reason"]) == (255, "Unknown")
    assert kubectl.run_line(c, "kubectl get pod once").stdout.splitlines()[1].split()[1:4] == ["0/1", "Unknown", "0"]


def test_a_pod_deleted_while_its_node_was_down_goes_when_it_comes_back(cluster):
    c = cluster
    name = next(iter(on_node(c)))
    s = Session(c)
    s.feed(f"docker stop {NODE}")
    kubectl.run_line(c, f"kubectl delete pod {name} --wait=false")
    c.run_for(60)
    assert c.store.get("Pod", "default", name)["metadata"].get("deletionTimestamp")
    rows: list[tuple[str, str, str]] = []
    c.store.watch("Pod", lambda ev: rows.append(pod_status_cells(ev.obj, c.clock.now()))
                  if ev.obj["metadata"]["name"] == name else None)
    s.feed(f"docker start {NODE}")
    c.run_for(2)
    assert c.store.get("Pod", "default", name) is None
    # nothing left to stop: its containers ended with the node (255 Unknown), then it goes
    assert [r[:2] for r in rows] == [("0/1", "Terminating"), ("0/1", "Unknown"), ("0/1", "Unknown"),
                                     ("0/1", "Unknown")]
    assert events(c, name, "SandboxChanged") == []
