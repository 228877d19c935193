"""Off the tutorial's path, the simulated cluster does what a cluster does: pods that do
not fit wait Pending with the scheduler's words, a node whose pod range is used up says
so in a kubelet event, CoreDNS is pods behind kube-dns (no pods, no answers), and the
controllers write back what someone deleted from under them."""
from __future__ import annotations

import ipaddress

import pytest

from engine.apply.workspace import cluster_from_paths
from engine.cluster.cluster import Cluster
from engine.cluster.topology import build_topology
from engine.kubectl import commands as kubectl
from engine.kubectl.session import Session
from tests.helpers import SAMPLES, apply_yaml, sample


def deployment(name: str, replicas: int, extra_spec: str = "") -> str:
    return f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      {extra_spec}
      containers: [{{name: c, image: nginx}}]
"""


@pytest.fixture
def tutorial() -> Cluster:
    c = Cluster(deterministic=True)
    for f in ("counter-redis-svc.yml", "counter-app.yml"):
        apply_yaml(c, sample(f))
    return c


def pods(c: Cluster, prefix: str, ns: str = "default") -> list[dict]:
    return [p for p in c.store.list("Pod", ns) if p["metadata"]["name"].startswith(prefix)]


def events_of(c: Cluster, pod: dict, reason: str) -> list[dict]:
    return [e for e in c.store.list("Event", pod["metadata"]["namespace"])
            if e["involvedObject"]["name"] == pod["metadata"]["name"] and e["reason"] == reason]


# -- scheduling: node capacity -------------------------------------------------------------


def test_more_replicas_than_nodes_hold_stay_pending_with_the_schedulers_message():
    c = Cluster(deterministic=True)
    apply_yaml(c, deployment("big", 300))
    big = pods(c, "big-")
    assert len(big) == 300
    per_node: dict[str, int] = {}
    for p in c.store.list("Pod"):
        node = p["spec"].get("nodeName")
        if node:
            per_node[node] = per_node.get(node, 0) + 1
    # kind's workers admit 110 pods each; kindnet and kube-proxy take two of them.
    assert per_node["kind-worker"] == 110 and per_node["kind-worker2"] == 110
    running = [p for p in big if p["status"].get("phase") == "Running"]
    pending = [p for p in big if not p["spec"].get("nodeName")]
    assert len(running) == 216 and len(pending) == 84
    assert all(p["status"]["phase"] == "Pending" for p in pending)
    msg = ("0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
           "2 Too many pods. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, "
           "2 No preemption victims found for incoming pod.")
    [ev] = events_of(c, pending[0], "FailedScheduling")
    assert ev["message"] == msg and ev["type"] == "Warning" and ev["source"]["component"] == "default-scheduler"
    cond = next(x for x in pending[0]["status"]["conditions"] if x["type"] == "PodScheduled")
    assert (cond["status"], cond["reason"], cond["message"]) == ("False", "Unschedulable", msg)
    out = kubectl.run_line(c, "kubectl get deploy big").stdout
    assert out.splitlines()[1].split()[:4] == ["big", "216/300", "300", "216"]


def test_freed_slots_let_pending_pods_schedule():
    c = Cluster(deterministic=True)
    apply_yaml(c, deployment("big", 230))
    assert len([p for p in pods(c, "big-") if not p["spec"].get("nodeName")]) == 14
    out = kubectl.run_line(c, "kubectl scale deploy big --replicas=200")
    assert out.stdout == "deployment.apps/big scaled\n"
    c.run_until_idle()
    big = pods(c, "big-")
    assert len(big) == 200 and all(p["status"].get("phase") == "Running" for p in big)


def test_a_node_manifest_sets_the_pod_capacity():
    nodes = "\n---\n".join(f"""
apiVersion: v1
kind: Node
metadata:
  name: {name}
  labels: {{kubernetes.io/hostname: {name}}}
status:
  capacity: {{pods: "5"}}
""" for name in ("n1", "n2"))
    docs = [d for d in __import__("yaml").safe_load_all(nodes)]
    c = Cluster(build_topology([], docs), deterministic=True, bare=True)
    assert [n["status"]["allocatable"]["pods"] for n in c.store.list("Node")] == ["5", "5"]
    apply_yaml(c, deployment("web", 12))
    web = pods(c, "web-")
    assert sum(1 for p in web if p["spec"].get("nodeName")) == 10
    pending = next(p for p in web if not p["spec"].get("nodeName"))
    [ev] = events_of(c, pending, "FailedScheduling")
    assert ev["message"] == ("0/2 nodes are available: 2 Too many pods. preemption: 0/2 nodes are available: "
                             "2 No preemption victims found for incoming pod.")


def test_cordoned_nodes_are_reported_before_their_taints():
    c = Cluster(deterministic=True)
    for n in ("kind-worker", "kind-worker2"):
        node = c.get("Node", "", n)
        c.store.update({**node, "spec": {**node["spec"], "unschedulable": True}})
    apply_yaml(c, deployment("web", 1))
    [pod] = pods(c, "web-")
    [ev] = events_of(c, pod, "FailedScheduling")
    assert ev["message"] == (
        "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
        "2 node(s) were unschedulable. preemption: 0/3 nodes are available: 3 Preemption is not helpful "
        "for scheduling.")


# -- pods bound to a node that does not exist ----------------------------------------------

LOST = """
apiVersion: v1
kind: Pod
metadata: {name: lost}
spec:
  nodeName: no-such-node
  containers: [{name: c, image: nginx}]
"""


def test_a_pod_bound_to_a_missing_node_waits_pending_until_podgc_removes_it():
    c = Cluster(deterministic=True)
    c.api.apply(__import__("yaml").safe_load(LOST), "lost.yaml")
    c.run_for(30)
    pod = c.get("Pod", "default", "lost")
    assert pod is not None and pod["status"]["phase"] == "Pending"
    assert "podIP" not in pod["status"]
    line = kubectl.run_line(c, "kubectl get po lost").stdout.splitlines()[1].split()
    assert line[:3] == ["lost", "0/1", "Pending"]
    seen: list[dict] = []
    c.store.watch("Pod", lambda ev: seen.append(ev.obj) if ev.obj["metadata"]["name"] == "lost" else None)
    c.run_for(60)
    assert c.get("Pod", "default", "lost") is None
    failed = next(p for p in seen if (p.get("status") or {}).get("phase") == "Failed")
    cond = next(x for x in failed["status"]["conditions"] if x["type"] == "DisruptionTarget")
    assert (cond["reason"], cond["message"]) == ("DeletionByPodGC", "PodGC: node no longer exists")


def test_cli_prints_pending_pods_without_a_traceback(tmp_path, capsys):
    from tui.cli import main

    (tmp_path / "big.yaml").write_text(deployment("big", 300))
    assert main(["get", "deploy", "-f", str(tmp_path), "--deterministic"]) == 0
    out = capsys.readouterr().out
    assert "216/300" in out


# -- the kubelet: pod CIDR exhaustion --------------------------------------------------------


def small_node_cluster(cidr: str) -> Cluster:
    node = {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": "small", "labels": {"kubernetes.io/hostname": "small"}},
            "spec": {"podCIDR": cidr}}
    return Cluster(build_topology([], [node]), deterministic=True, bare=True)


def test_an_exhausted_pod_cidr_leaves_pods_in_container_creating_with_the_cni_error():
    c = small_node_cluster("10.244.9.0/28")  # host-local hands out .2 - .14: 13 addresses
    apply_yaml(c, deployment("web", 15))
    web = pods(c, "web-")
    with_ip = [p for p in web if p["status"].get("podIP")]
    stuck = [p for p in web if not p["status"].get("podIP")]
    assert len(with_ip) == 13 and len(stuck) == 2
    assert all(ipaddress.ip_address(p["status"]["podIP"]) in ipaddress.ip_network("10.244.9.0/28") for p in with_ip)
    for p in stuck:
        assert p["status"]["phase"] == "Pending"
        assert p["status"]["containerStatuses"][0]["state"] == {"waiting": {"reason": "ContainerCreating"}}
        [ev] = events_of(c, p, "FailedCreatePodSandBox")
        assert ev["type"] == "Warning" and ev["source"] == {"component": "kubelet", "host": "small"}
        assert ev["message"].startswith("Failed to create pod sandbox: rpc error: code = Unknown desc = "
                                        "failed to setup network for sandbox \"")
        assert ev["message"].endswith('": plugin type="ptp" failed (add): failed to allocate for range 0: '
                                      "no IP addresses available in range set: 10.244.9.1-10.244.9.14")
    row = next(l for l in kubectl.run_line(c, "kubectl get po").stdout.splitlines()
               if l.startswith(stuck[0]["metadata"]["name"]))
    assert row.split()[2] == "ContainerCreating"
    # A pod that goes gives its address back, and a waiting sandbox takes it.
    kubectl.run_line(c, f"kubectl delete po {with_ip[0]['metadata']['name']}")
    c.run_until_idle()
    running = [p for p in pods(c, "web-") if p["status"].get("phase") == "Running"]
    assert len(running) == 13
    assert with_ip[0]["status"]["podIP"] in {p["status"]["podIP"] for p in running}


def test_a_slash_32_pod_cidr_is_host_locals_configuration_error_not_a_crash():
    c = small_node_cluster("10.244.9.0/32")
    apply_yaml(c, deployment("web", 1))
    [pod] = pods(c, "web-")
    [ev] = events_of(c, pod, "FailedCreatePodSandBox")
    assert ev["message"].endswith("plugin type=\"ptp\" failed (add): invalid range set 0: "
                                  "Network 10.244.9.0/32 too small to allocate from")


# -- CoreDNS is pods behind the kube-dns Service ------------------------------------------------


def test_coredns_scaled_to_zero_makes_lookups_fail_as_they_do_and_heals(tutorial):
    s = Session(tutorial)
    assert "Address: " in s.feed("kubectl exec deploy/counter -- nslookup redis")
    assert tutorial.coredns.serving().ok
    s.feed("kubectl scale deploy coredns -n kube-system --replicas=0")
    serving = tutorial.coredns.serving()
    assert not serving.ok and serving.reason == "kube-dns has no ready endpoints (no CoreDNS pod is ready)"
    # kube-proxy REJECTs a Service with no endpoints: an ICMP port unreachable.
    assert s.feed("kubectl exec deploy/counter -- nslookup redis") == (
        ";; connection timed out; no servers could be reached\n\n"
        "nslookup: write to '10.96.0.10': Connection refused\n"
        "command terminated with exit code 1\n")  # (busybox's status, and kubectl's line for it)
    assert s.feed("dig redis.default.svc.cluster.local") == (
        ";; communications error to 10.96.0.10#53: connection refused\n\n"
        "; <<>> DiG 9.18.30 <<>> redis.default.svc.cluster.local\n"
        ";; global options: +cmd\n;; no servers could be reached\n")
    assert s.feed("kubectl exec deploy/counter -- wget -qO- redis:6379") == (
        "wget: bad address 'redis:6379'\ncommand terminated with exit code 1\n")
    flow = [e for e in tutorial.flow_events if e.controller == "coredns" and e.verb == "unreachable"]
    assert flow and flow[-1].step == 4 and "lookups to 10.96.0.10:53 are refused" in flow[-1].detail  # (as dig says)
    s.feed("kubectl scale deploy coredns -n kube-system --replicas=2")
    assert tutorial.coredns.serving().ok
    assert "Address: " in s.feed("kubectl exec deploy/counter -- nslookup redis")
    assert [e.verb for e in tutorial.flow_events if e.controller == "coredns"
            and e.verb in ("serving", "unreachable")][-2:] == ["unreachable", "serving"]


def test_without_the_kube_dns_service_lookups_time_out(tutorial):
    s = Session(tutorial)
    s.feed("kubectl delete svc kube-dns -n kube-system")
    assert tutorial.coredns.serving().reason == "the kube-system/kube-dns Service is gone"
    assert s.feed("kubectl exec deploy/counter -- nslookup redis") == (
        ";; connection timed out; no servers could be reached\n\ncommand terminated with exit code 1\n")
    out = s.feed("dig redis.default.svc.cluster.local")
    assert out.startswith(";; communications error to 10.96.0.10#53: timed out\n" * 3 + "\n")
    assert out.endswith(";; no servers could be reached\n")
    counter = pods(tutorial, "counter-")[0]["metadata"]["name"]
    s.feed(f"kubectl exec -it {counter} -- sh")
    s.feed("apk add curl")
    assert s.feed("curl redis:6379") == "curl: (6) Could not resolve host: redis\n"
    s.feed("exit")
    trace = s.feed("trace deploy/counter redis:6379")
    assert "the kube-system/kube-dns Service is gone" in trace
    assert trace.rstrip().endswith("result: unresolved: could not resolve redis")


def test_dig_from_a_pod_exits_nine_when_no_coredns_answers(tutorial):
    from engine.kubectl import dns as dnstools

    Session(tutorial).feed("kubectl delete deploy coredns -n kube-system")
    out = dnstools.dig(tutorial, "redis", from_pod="deploy/counter")
    assert out.code == 9
    assert ";; 10.96.0.10:53 did not answer: kube-dns has no ready endpoints (no CoreDNS pod is ready)" in out.stdout


def test_a_broken_kube_dns_selector_stops_dns_until_it_is_fixed(tutorial):
    s = Session(tutorial)
    s.feed("kubectl label svc kube-dns -n kube-system k8s-app=kube-dns --overwrite")  # labels, not the selector
    svc = tutorial.get("Service", "kube-system", "kube-dns")
    broken = {**svc, "spec": {**svc["spec"], "selector": {"k8s-app": "nothing"}}}
    tutorial.store.update(broken)
    tutorial.run_until_idle()
    assert not tutorial.coredns.serving().ok
    assert s.feed("kubectl exec deploy/counter -- nslookup redis").startswith(";; connection timed out")
    tutorial.store.update(svc | {"metadata": tutorial.get("Service", "kube-system", "kube-dns")["metadata"]})
    tutorial.run_until_idle()
    assert tutorial.coredns.serving().ok
    assert "Address: " in s.feed("kubectl exec deploy/counter -- nslookup redis")


# -- controllers write back what they own ----------------------------------------------------


def test_a_deleted_endpointslice_is_written_again(tutorial):
    s = Session(tutorial)
    before = tutorial.store.by_label("EndpointSlice", "default", "kubernetes.io/service-name", "redis")
    out = s.feed("kubectl delete endpointslice -l kubernetes.io/service-name=redis")
    assert out == f'endpointslice.discovery.k8s.io "{before[0]["metadata"]["name"]}" deleted\n'
    after = tutorial.store.by_label("EndpointSlice", "default", "kubernetes.io/service-name", "redis")
    assert len(after) == 1 and after[0]["metadata"]["name"] != before[0]["metadata"]["name"]
    assert after[0]["endpoints"] == before[0]["endpoints"]
    assert "redis" in s.feed("kubectl exec deploy/counter -- nslookup redis")
    assert s.feed("kubectl exec deploy/counter -- wget -qO- localhost:3000").strip()


def test_a_deleted_endpoints_object_is_written_again(tutorial):
    s = Session(tutorial)
    before = tutorial.get("Endpoints", "default", "redis")["subsets"]
    s.feed("kubectl delete ep redis")
    assert tutorial.get("Endpoints", "default", "redis")["subsets"] == before


def test_a_manifest_naming_a_missing_owner_is_garbage_collected():
    c = Cluster(deterministic=True)
    apply_yaml(c, """
apiVersion: v1
kind: ConfigMap
metadata:
  name: orphan
  ownerReferences:
  - {apiVersion: apps/v1, kind: Deployment, name: gone, uid: 0b6b7a07-1d0c-4ad5-9d43-2f1d0e3c7a11}
data: {a: b}
""")
    assert c.get("ConfigMap", "default", "orphan") is None


def test_a_replicaset_replaces_a_deleted_pod(tutorial):
    [old] = pods(tutorial, "redis-")
    Session(tutorial).feed(f"kubectl delete po {old['metadata']['name']}")
    [new] = pods(tutorial, "redis-")
    assert new["metadata"]["name"] != old["metadata"]["name"] and new["status"]["phase"] == "Running"


# -- live reload ends where applying the folder ends ---------------------------------------------


def node_port_service(name: str) -> str:
    return f"""apiVersion: v1
kind: Service
metadata: {{name: {name}}}
spec:
  type: NodePort
  selector: {{app: x}}
  ports: [{{port: 80, nodePort: 31000}}]
"""


@pytest.mark.parametrize("how", ["remove the file", "drop the object from it"])
def test_a_service_refused_for_a_taken_node_port_gets_it_when_the_holder_goes(tmp_path, how):
    from engine.apply.live import LiveWorkspace

    (tmp_path / "a.yaml").write_text(node_port_service("npa") + "---\n" + node_port_service("other").replace(
        "nodePort: 31000", "nodePort: 31001"))
    (tmp_path / "b.yaml").write_text(node_port_service("npb"))
    for i in range(8):  # enough files for the one-file save to take the fast path
        (tmp_path / f"z{i}.yaml").write_text(f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: z{i}}}\n")
    ws = LiveWorkspace([tmp_path], deterministic=True)
    first = ws.reload()
    assert [e.error for e in first.report.errors] == [
        'The Service "npb" is invalid: spec.ports[0].nodePort: Invalid value: 31000: provided port is already allocated']
    if how == "remove the file":
        (tmp_path / "a.yaml").unlink()
    else:
        (tmp_path / "a.yaml").write_text(node_port_service("other").replace("nodePort: 31000", "nodePort: 31001"))
    res = ws.reload()
    assert res.report.errors == []
    assert "service/npb created" in res.lines and "service/npa pruned" in res.lines
    npb = ws.cluster.get("Service", "default", "npb")
    assert npb["spec"]["ports"][0]["nodePort"] == 31000
    again = ws.reload()
    assert again.report.errors == [] and "service/npb unchanged" in again.lines


def test_the_cli_prints_svcflows_own_warnings_on_stderr(tmp_path, capsys):
    from tui.cli import main

    (tmp_path / "dup.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n")
    assert main(["get", "cm", "b", "-f", str(tmp_path), "--deterministic"]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[1].split()[0] == "b"
    assert err == (f"svcflow: {tmp_path / 'dup.yaml'}:5: warning: mapping key \"name\" already defined at line 4; "
                   "kubectl keeps the last value\n")


def test_editing_the_kind_cluster_file_live_says_it_takes_a_restart(tmp_path):
    from engine.apply.live import LiveWorkspace

    cfg = tmp_path / "kind.yaml"
    two = "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n- role: control-plane\n- role: worker\n"
    cfg.write_text(two)
    ws = LiveWorkspace([tmp_path], deterministic=True)
    assert not any("restart" in w.message for w in ws.reload().notices)
    cfg.write_text(two + "- role: worker\n")
    notes = [w for w in ws.reload().notices if "restart" in w.message]
    assert [(n.source, n.message) for n in notes] == [(f"{cfg}:1", (
        "svcflow: restart svcflow to use this: the cluster's shape (kind Cluster, KubeProxyConfiguration, "
        "KubeletConfiguration, Node objects) changed; the running cluster keeps the shape it was started with"))]
    assert [n["metadata"]["name"] for n in ws.cluster.store.list("Node")] == ["kind-control-plane", "kind-worker"]
    cfg.write_text(two)
    assert not any("restart" in w.message for w in ws.reload().notices)


BAD_KIND = "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnetworking:\n  serviceSubnet: 10.96.0.0/40\n"
KIND_REFUSAL = ('ERROR: failed to create cluster: invalid service subnet failed to parse cidr value:"10.96.0.0/40" '
                "with error: invalid CIDR address: 10.96.0.0/40")


def test_a_cluster_config_kind_refuses_stops_the_cli_with_kinds_words(tmp_path, capsys):
    from tui.cli import main

    (tmp_path / "kind.yaml").write_text(BAD_KIND)
    (tmp_path / "redis.yaml").write_text(sample("counter-redis-svc.yml"))
    assert main(["get", "svc", "-f", str(tmp_path), "--deterministic"]) == 1
    out, err = capsys.readouterr()
    assert (out, err) == ("", KIND_REFUSAL + "\n")


def test_the_dashboard_shows_the_refused_cluster_config_at_its_line_and_runs_the_default(tmp_path):
    from engine.apply.live import LiveWorkspace

    (tmp_path / "kind.yaml").write_text(BAD_KIND)
    (tmp_path / "redis.yaml").write_text(sample("counter-redis-svc.yml"))
    ws = LiveWorkspace([tmp_path], deterministic=True)
    res = ws.reload()
    assert (f"{tmp_path / 'kind.yaml'}:4", KIND_REFUSAL) in [(n.source, n.message) for n in res.notices]
    assert len(ws.cluster.store.list("Node")) == 3 and ws.cluster.get("Service", "default", "redis") is not None


def test_a_relabelled_pod_is_released_and_replaced(tutorial):
    apply_yaml(tutorial, sample("counter-nodeport.yml"))
    [old] = pods(tutorial, "counter-")
    name = old["metadata"]["name"]
    out = Session(tutorial).feed(f"kubectl label pod {name} tier=x --overwrite")
    assert out == f"pod/{name} labeled\n"
    released = tutorial.get("Pod", "default", name)
    assert "ownerReferences" not in released["metadata"] and released["status"]["phase"] == "Running"
    counters = pods(tutorial, "counter-")
    assert len(counters) == 2
    [new] = [p for p in counters if p["metadata"]["name"] != name]
    assert new["metadata"]["ownerReferences"][0]["kind"] == "ReplicaSet" and new["status"]["phase"] == "Running"
    eps = tutorial.get("Endpoints", "default", "counter-np")
    assert [a["targetRef"]["name"] for s in eps["subsets"] for a in s["addresses"]] == [new["metadata"]["name"]]


def test_a_kubelet_configuration_sets_every_nodes_max_pods(tmp_path):
    from engine.apply.workspace import cluster_from_paths

    (tmp_path / "kubelet.yaml").write_text("apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"
                                           "maxPods: 20\n")
    (tmp_path / "web.yaml").write_text(deployment("web", 50))
    c, report = cluster_from_paths([tmp_path], deterministic=True)
    assert report.ok and not report.warnings
    assert {n["status"]["allocatable"]["pods"] for n in c.store.list("Node")} == {"20"}
    # two workers x 20, less kindnet and kube-proxy on each
    assert sum(1 for p in pods(c, "web-") if p["status"].get("phase") == "Running") == 36


def test_a_kubelet_configuration_that_does_not_decode_is_reported(tmp_path):
    from engine.apply.workspace import cluster_from_paths

    (tmp_path / "kubelet.yaml").write_text("apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"
                                           "maxPods: lots\n")
    c, report = cluster_from_paths([tmp_path], deterministic=True)
    assert [(w.source, w.message) for w in report.warnings] == [(f"{tmp_path / 'kubelet.yaml'}:3", (
        "svcflow: ignoring this KubeletConfiguration: error unmarshaling JSON: while decoding JSON: json: cannot "
        "unmarshal string into Go struct field KubeletConfiguration.maxPods of type int32"))]
    assert {n["status"]["allocatable"]["pods"] for n in c.store.list("Node")} == {"110"}


def test_a_node_manifest_with_a_null_spec_is_the_zero_nodespec(tmp_path):
    """Found by the fuzz at SVCFLOW_HYPOTHESIS_SCALE=6: `spec: null` used to reach
    `None.setdefault` while booting the node."""
    from engine.apply.workspace import cluster_from_paths

    (tmp_path / "n.yaml").write_text("apiVersion: v1\nkind: Node\nmetadata:\n  name: extra\n"
                                     "  labels: {kubernetes.io/hostname: extra}\nspec: null\n")
    c, report = cluster_from_paths([tmp_path], deterministic=True)
    node = c.get("Node", "", "extra")
    assert node["spec"]["podCIDR"] == "10.244.0.0/24" and report.ok


def test_the_dns_pane_says_how_lookups_fail_as_dig_sees_it():
    """No ready CoreDNS behind kube-dns: kube-proxy REJECTs, dig says "connection refused", and
    the pane said "lookups time out" (found by a tester); with the Service gone the address
    leads nowhere and they do time out."""
    c = cluster_from_paths([SAMPLES], deterministic=True)[0]
    s = Session(c, cwd=SAMPLES.parent)
    s.feed("kubectl scale deploy coredns -n kube-system --replicas=0")
    assert c.coredns.serving().failure == "lookups are refused"
    assert "connection refused" in s.feed("dig redis.default.svc.cluster.local")
    c.store.delete("Service", "kube-system", "kube-dns")
    assert c.coredns.serving().failure == "lookups time out"


def test_a_live_cluster_started_later_starts_above_every_version_an_earlier_one_reached():
    """A client of a restarted `svcflow serve` resumes from the version it last saw: the new
    server's versions start above it, so the client is told 410 Expired and lists the new
    cluster (from 1000 again it resumed silently and kept the old cluster's objects). A
    deterministic cluster starts at 1000, as every snapshot expects."""
    first = cluster_from_paths([SAMPLES])[0]
    Session(first, cwd=SAMPLES.parent).feed("kubectl scale deploy/redis --replicas=3")
    last = first.store.resource_version
    second = cluster_from_paths([SAMPLES])[0]
    assert min(int(o["metadata"]["resourceVersion"]) for kind in ("Pod", "Service", "Node")
               for o in second.store.list(kind)) > last
    assert cluster_from_paths([SAMPLES], deterministic=True)[0].store.resource_version < 10_000
