"""Off the tutorial's path (issue 13): a Hypothesis state machine drives one simulated
cluster the way a curious learner would, and checks after every step what a cluster keeps.

Steps are the lines a user types at the dashboard's `:` prompt (through
`engine.kubectl.session.Session.feed`) plus applies through the path a folder load takes
(`engine.manifests.loader.load_text` + `engine.apply.workspace.apply_documents`): the samples and small
generated Deployments/Services with random labels and selectors; deletes of any object,
kube-system ones included (the coredns Deployment, the kube-dns Service, kube-proxy's pods,
EndpointSlices, Endpoints); `kubectl scale` from 0 to 2,000; `kubectl label` on pods and
Services; `kubectl drain`/`cordon`/`uncordon`; `nslookup`, `curl`, `trace` and `dig`.

Invariants, checked at steady state (`run_until_idle`, so kube-proxy's rate-limited sync
has run):
- no exception escapes, and no apply answers "svcflow could not apply this object" (an
  internal exception turned into an error line);
- every Service with a selector and a Ready selected pod has that pod's IP, ready, in one of
  its EndpointSlices, and kube-proxy rules for each of its ports (the KUBE-SERVICES jump to
  its KUBE-SVC chain, a DNAT to the pod) on every node;
- while CoreDNS is up (kube-dns exists and selects a Ready pod), every ClusterIP Service's
  `name.ns.svc.cluster.local` answers its ClusterIP; a pod's lookup answers it too, and
  while CoreDNS is down a pod's lookup times out instead of answering;
- no pod IP outside its node's podCIDR; no two live non-hostNetwork pods share an IP; pods
  bound to a node <= its `status.allocatable.pods`;
- a label kubectl refuses is not stored.

The default budget (15 examples x 15 steps, derandomized) runs in CI;
``SVCFLOW_HYPOTHESIS_SCALE=N`` multiplies examples and steps.
"""
from __future__ import annotations

import copy
import ipaddress
import os
import re

import yaml
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from engine.cluster.cluster import Cluster
from engine.manifests.loader import load_text
from engine.kubectl.session import Session
from engine.apply.workspace import apply_documents
from tests.helpers import ROOT, SAMPLES

SCALE = max(1, int(os.environ.get("SVCFLOW_HYPOTHESIS_SCALE", "1")))
ZONE = "svc.cluster.local"
INTERNAL = "svcflow could not"  # an internal exception dressed as an error line

SAMPLE_FILES = sorted(p.name for p in SAMPLES.glob("*.yml"))
GEN_NAMES = ["web", "api", "db", "redis"]
LABEL_SETS = [{"app": "counter", "tier": "db"}, {"app": "counter", "tier": "app"}, {"app": "web"},
              {"app": "api", "tier": "x"}, {"app": "counter"}, {"app": "web", "tier": "db"}]
IMAGES = ["redis", "ghcr.io/subicura/counter:latest", "nginx"]
PORTS = [80, 3000, 6379, 8080]
LABEL_KEYS = ["app", "tier", "k8s-app", "extra"]
LABEL_VALUES = ["counter", "db", "app", "web", "kube-dns", "x"]
BAD_LABEL_VALUES = ["bad value", "-x", "a" * 64, "x_"]
DELETABLE = [("deploy", "Deployment"), ("svc", "Service"), ("pod", "Pod"), ("endpointslice", "EndpointSlice"),
             ("endpoints", "Endpoints"), ("rs", "ReplicaSet")]
NAMESPACES = ["default", "kube-system"]
DNS_CLIENTS = ["deploy/counter", "deploy/web", "deploy/redis"]
DNS_TARGETS = ["redis", "counter-np", "web", "api", "db", "kubernetes", "kube-dns.kube-system", "nope"]

# kubectl's label syntax (k8s.io/apimachinery validation): value <= 63 chars, alphanumeric ends.
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def label_value_ok(v: str) -> bool:
    return len(v) <= 63 and bool(_LABEL_VALUE.match(v))


def is_ready(pod: dict) -> bool:
    status = pod.get("status") or {}
    if status.get("phase") != "Running" or not status.get("podIP"):
        return False
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        return False
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or ())


def selects(selector: dict, pod: dict) -> bool:
    labels = (pod.get("metadata") or {}).get("labels") or {}
    return all(labels.get(k) == v for k, v in selector.items())


def clean(obj: dict) -> dict:
    """A stored object as a manifest again: what the user may set, nothing the server owns."""
    out = {k: copy.deepcopy(v) for k, v in obj.items() if k != "status"}
    md = out["metadata"]
    for k in ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "deletionTimestamp",
              "deletionGracePeriodSeconds", "ownerReferences"):
        md.pop(k, None)
    (md.get("annotations") or {}).pop("kubectl.kubernetes.io/last-applied-configuration", None)
    return out


# ---- generated objects ------------------------------------------------------------------------------

@st.composite
def deployments(draw) -> dict:
    labels = dict(draw(st.sampled_from(LABEL_SETS)))
    image = draw(st.sampled_from(IMAGES))
    name = draw(st.sampled_from(GEN_NAMES[:3]))
    container = {"name": name, "image": image}
    if draw(st.booleans()):
        container["ports"] = [{"containerPort": draw(st.sampled_from(PORTS)), "protocol": "TCP"}]
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": draw(st.integers(0, 3)), "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}}}}


@st.composite
def services(draw) -> dict:
    spec: dict = {"selector": dict(draw(st.sampled_from(LABEL_SETS))),
                  "ports": [{"port": draw(st.sampled_from(PORTS)), "protocol": "TCP",
                             "targetPort": draw(st.sampled_from(PORTS))}]}
    kind = draw(st.sampled_from(["ClusterIP", "ClusterIP", "NodePort", "headless"]))
    if kind == "NodePort":
        spec["type"] = "NodePort"
    elif kind == "headless":
        spec["clusterIP"] = "None"
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": draw(st.sampled_from(GEN_NAMES))},
            "spec": spec}


def pick(items: list, i: int):
    return items[i % len(items)] if items else None


class OffPathCluster(RuleBasedStateMachine):
    """One cluster, random user actions, a cluster's invariants after each."""

    def __init__(self) -> None:
        super().__init__()
        self.cluster: Cluster | None = None
        self.session: Session | None = None
        self.big_scales = 0
        self.log: list[str] = []  # the lines fed, shown when a check fails

    # -- helpers --------------------------------------------------------------------------------------
    def feed(self, line: str) -> str:
        self.log.append(line)
        out = self.session.feed(line)
        assert "Traceback" not in out, f"{line!r} printed a traceback:\n{out}"
        return out

    def apply_text(self, text: str, display: str) -> None:
        self.log.append(f"# apply {display}:\n{text}")
        loaded = load_text(text, display)
        report = apply_documents(self.cluster, loaded.kubectl_documents, loaded.errors, warnings=loaded.warnings)
        self.cluster.run_until_idle()
        errors = report.stderr()
        assert INTERNAL not in errors, f"an internal exception leaked out of apply:\n{errors}"

    def where(self) -> str:
        return "after:\n  " + "\n  ".join(self.log[-12:])

    @property
    def store(self):
        return self.cluster.store

    @initialize(big=st.integers(0, 3))
    def boot(self, big: int) -> None:
        # One run in four may scale to hundreds of pods (seconds each), so CI stays short.
        self.big_scales = 0 if big == 0 else 1
        self.cluster = Cluster(deterministic=True)
        self.session = Session(self.cluster, cwd=ROOT)
        for name in SAMPLE_FILES:
            self.apply_text((SAMPLES / name).read_text(), f"samples/{name}")
        # What `kind create cluster` made, to bring back after a delete (kubeadm would not).
        self.kube_dns = clean(self.store.get("Service", "kube-system", "kube-dns"))
        self.coredns_deploy = clean(self.store.get("Deployment", "kube-system", "coredns"))

    # -- rules: applies -------------------------------------------------------------------------------
    @rule(name=st.sampled_from(SAMPLE_FILES))
    def apply_sample(self, name: str) -> None:
        out = self.feed(f"kubectl apply -f samples/{name}")
        assert INTERNAL not in out, out

    @rule(obj=st.one_of(deployments(), services()))
    def apply_generated(self, obj: dict) -> None:
        self.apply_text(yaml.safe_dump(obj, sort_keys=False), f"{obj['kind'].lower()}-{obj['metadata']['name']}.yaml")

    @rule(what=st.sampled_from(["kube-dns", "coredns", "kube-dns-bad-selector", "coredns-0"]))
    def apply_kube_system(self, what: str) -> None:
        """Bring kube-dns / coredns back, or break them: a selector that matches nothing,
        CoreDNS scaled to zero by its manifest."""
        if what.startswith("kube-dns"):
            obj = copy.deepcopy(self.kube_dns)
            if what.endswith("bad-selector"):
                obj["spec"]["selector"] = {"k8s-app": "kube-dns-typo"}
        else:
            obj = copy.deepcopy(self.coredns_deploy)
            if what == "coredns-0":
                obj["spec"]["replicas"] = 0
        self.apply_text(yaml.safe_dump(obj, sort_keys=False), f"kube-system-{what}.yaml")

    # -- rules: deletes ---------------------------------------------------------------------------------
    @rule(kind=st.sampled_from(DELETABLE), ns=st.sampled_from(NAMESPACES), i=st.integers(0, 1000))
    def delete(self, kind: tuple[str, str], ns: str, i: int) -> None:
        short, full = kind
        names = sorted(o["metadata"]["name"] for o in self.store.list(full, ns))
        name = pick(names, i) or "nope"
        self.feed(f"kubectl delete {short} {name} -n {ns}")

    @rule(svc=st.sampled_from(["redis", "counter-np", "kube-dns", "web"]))
    def delete_slices_by_label(self, svc: str) -> None:
        ns = "kube-system" if svc == "kube-dns" else "default"
        self.feed(f"kubectl delete endpointslice -l kubernetes.io/service-name={svc} -n {ns}")

    @rule(which=st.sampled_from(["deploy coredns", "svc kube-dns", "ds-pods kube-proxy"]))
    def delete_kube_system(self, which: str) -> None:
        verb, name = which.split()
        if verb == "ds-pods":
            for p in self.store.list("Pod", "kube-system"):
                if p["metadata"]["name"].startswith(name + "-"):
                    self.feed(f"kubectl delete pod {p['metadata']['name']} -n kube-system")
            return
        self.feed(f"kubectl delete {verb} {name} -n kube-system")

    # -- rules: scale -----------------------------------------------------------------------------------
    @rule(deploy=st.sampled_from(["counter", "redis", "web", "api", "db"]), n=st.integers(0, 3))
    def scale_small(self, deploy: str, n: int) -> None:
        self.feed(f"kubectl scale deploy/{deploy} --replicas={n}")

    @precondition(lambda self: self.big_scales < 1)
    @rule(deploy=st.sampled_from(["counter", "redis", "web", "coredns"]),
          n=st.one_of(st.sampled_from([111, 221, 254, 600, 2000]), st.integers(100, 2000)))
    def scale_big(self, deploy: str, n: int) -> None:
        """Once per run (each costs seconds): past the per-node pod limit and the /24 podCIDR."""
        self.big_scales += 1
        ns = " -n kube-system" if deploy == "coredns" else ""
        self.feed(f"kubectl scale deploy/{deploy} --replicas={n}{ns}")

    # -- rules: labels ----------------------------------------------------------------------------------
    @rule(kind=st.sampled_from(["pod", "svc"]), ns=st.sampled_from(NAMESPACES), i=st.integers(0, 1000),
          key=st.sampled_from(LABEL_KEYS),
          value=st.one_of(st.sampled_from(LABEL_VALUES), st.none(), st.sampled_from(BAD_LABEL_VALUES)))
    def label(self, kind: str, ns: str, i: int, key: str, value: str | None) -> None:
        full = {"pod": "Pod", "svc": "Service"}[kind]
        name = pick(sorted(o["metadata"]["name"] for o in self.store.list(full, ns)), i)
        if name is None:
            return
        change = f"{key}-" if value is None else f"{key}={value}"
        before = dict(self.store.get(full, ns, name)["metadata"].get("labels") or {})
        self.feed(f"kubectl label {kind} {name} '{change}' --overwrite -n {ns}")
        if value is not None and not label_value_ok(value):
            after = self.store.get(full, ns, name)
            stored = ((after or {}).get("metadata") or {}).get("labels") or {}
            assert stored.get(key) == before.get(key), (
                f"kubectl label stored the invalid value {value!r} for {key} on {kind}/{name}; " + self.where())

    # -- rules: nodes -----------------------------------------------------------------------------------
    @rule(verb=st.sampled_from(["drain", "drain", "cordon", "uncordon", "uncordon"]), i=st.integers(0, 2))
    def node(self, verb: str, i: int) -> None:
        name = pick(sorted(n["metadata"]["name"] for n in self.store.list("Node")), i)
        extra = " --ignore-daemonsets --delete-emptydir-data" if verb == "drain" else ""
        self.feed(f"kubectl {verb} {name}{extra}")

    # -- rules: traffic and DNS -------------------------------------------------------------------------
    @rule(client=st.sampled_from(DNS_CLIENTS), name_ns=st.sampled_from(DNS_TARGETS),
          tool=st.sampled_from(["nslookup", "dig"]))
    def lookup(self, client: str, name_ns: str, tool: str) -> None:
        target = name_ns
        name, _, ns = target.partition(".")
        ns = ns or "default"
        if tool == "nslookup":
            out = self.feed(f"kubectl exec {client} -- nslookup {target}")
        else:
            out = self.feed(f"dig {name}.{ns}.{ZONE} --from {client}")
        pod = self._running_pod(client)
        if pod is None or "executable file not found" in out:
            return  # no running client pod, or its image has no nslookup (redis's has none)
        svc = self.store.get("Service", ns, name)
        ip = (svc or {}).get("spec", {}).get("clusterIP")
        if not ip or ip == "None" or (svc.get("spec") or {}).get("type") == "ExternalName":
            return
        if self.coredns_up():
            assert ip in out, f"CoreDNS is up but {pod} could not resolve {name}.{ns}:\n{out}\n" + self.where()
        else:
            # (the nameserver's own address may appear in the error lines: `write to '10.96.0.10'`)
            answers = "\n".join(l for l in out.splitlines() if not l.startswith((";;", "nslookup:")))
            assert ip not in answers and ("timed out" in out or "no servers could be reached" in out), (
                f"CoreDNS is down (no ready pod behind kube-dns) but {pod} resolved {name}.{ns}:\n{out}\n"
                + self.where())

    @rule(line=st.sampled_from([
        "curl 172.18.0.3:31000", "curl 172.18.0.4:31000", "curl 172.18.0.2:31000",
        "kubectl exec deploy/counter -- wget -qO- localhost:3000",
        "kubectl exec deploy/counter -- curl -s redis:6379",
        "trace deploy/counter redis:6379", "trace deploy/counter web:80", "trace deploy/web api:8080",
        "trace outside 172.18.0.3:31000", "dig redis.default.svc.cluster.local",
        "dig kube-dns.kube-system.svc.cluster.local", "kubectl get all -A", "kubectl get ep -A",
        "kubectl describe svc redis", "kubectl describe svc kube-dns -n kube-system", "kubectl get po -o wide -A",
        "kubectl rollout restart deploy/counter", "kubectl get endpointslice -A", "kubectl describe node kind-worker",
    ]))
    def traffic(self, line: str) -> None:
        self.feed(line)

    # -- invariants -------------------------------------------------------------------------------------
    def _running_pod(self, client: str) -> str | None:
        kind, _, name = client.partition("/")
        d = self.store.get("Deployment", "default", name)
        if d is None:
            return None
        sel = (d["spec"]["selector"] or {}).get("matchLabels") or {}
        for p in self.store.list("Pod", "default"):
            if selects(sel, p) and (p.get("status") or {}).get("phase") == "Running":
                return p["metadata"]["name"]
        return None

    def ready_selected(self, svc: dict) -> list[dict]:
        sel = (svc.get("spec") or {}).get("selector") or {}
        if not sel:
            return []
        return [p for p in self.store.list("Pod", svc["metadata"]["namespace"]) if selects(sel, p) and is_ready(p)]

    def coredns_up(self) -> bool:
        svc = self.store.get("Service", "kube-system", "kube-dns")
        return svc is not None and bool(self.ready_selected(svc))

    @invariant()
    def steady(self) -> None:
        if self.cluster is not None:
            self.cluster.run_until_idle()

    @invariant()
    def services_have_endpoints_and_rules(self) -> None:
        if self.cluster is None:
            return
        nodes = sorted(n["metadata"]["name"] for n in self.store.list("Node"))
        saves = {n: self.cluster.kube_proxy.iptables_save(n) for n in nodes}
        for svc in self.store.list("Service"):
            spec = svc.get("spec") or {}
            if spec.get("type") == "ExternalName":
                continue
            ready = self.ready_selected(svc)
            if not ready:
                continue
            ns, name = svc["metadata"]["namespace"], svc["metadata"]["name"]
            slices = self.store.by_label("EndpointSlice", ns, "kubernetes.io/service-name", name)
            ready_ips = {a for sl in slices for e in sl.get("endpoints") or ()
                         if (e.get("conditions") or {}).get("ready") is True for a in e.get("addresses") or ()}
            for p in ready:
                assert p["status"]["podIP"] in ready_ips, (
                    f"Service {ns}/{name} selects Ready pod {p['metadata']['name']} ({p['status']['podIP']}) "
                    f"but no EndpointSlice has it ready (slices: {[s['metadata']['name'] for s in slices]}); "
                    + self.where())
            eps = self.store.get("Endpoints", ns, name)
            ep_ips = {a.get("ip") for sub in (eps or {}).get("subsets") or () for a in sub.get("addresses") or ()}
            for p in ready:
                assert p["status"]["podIP"] in ep_ips, (
                    f"Service {ns}/{name} selects Ready pod {p['metadata']['name']} ({p['status']['podIP']}) "
                    f"but its Endpoints {'do not list it' if eps else 'object is missing'}; " + self.where())
            cip = spec.get("clusterIP")
            if not cip or cip == "None":
                continue
            for node, text in saves.items():
                for port in spec.get("ports") or ():
                    jump = re.compile(rf"^-A KUBE-SERVICES -d {re.escape(cip)}/32 .*--comment \"{re.escape(ns)}/"
                                      rf"{re.escape(name)}(:[^ ]*)? cluster IP\".* --dport {port['port']} "
                                      r"-j KUBE-SVC-", re.M)
                    assert jump.search(text), (
                        f"node {node} has no KUBE-SERVICES -> KUBE-SVC rule for {ns}/{name} {cip}:{port['port']} "
                        f"though it has Ready endpoints; " + self.where())
                for p in ready:
                    assert f"--to-destination {p['status']['podIP']}:" in text, (
                        f"node {node} has no DNAT to {ns}/{name}'s Ready pod {p['status']['podIP']}; " + self.where())

    @invariant()
    def owners_exist_and_controllers_replace(self) -> None:
        """The garbage collector removes what lost its owner; a ReplicaSet keeps its replicas
        (pods it owns, matching its selector, not terminating); a DaemonSet one pod a node."""
        if self.cluster is None:
            return
        for kind in ("ReplicaSet", "Pod", "EndpointSlice"):
            for o in self.store.list(kind):
                md = o["metadata"]
                for ref in md.get("ownerReferences") or ():
                    owner = self.store.get(ref.get("kind"), "" if ref.get("kind") == "Node" else md.get("namespace", ""),
                                           ref.get("name"))
                    assert owner is not None and owner["metadata"].get("uid") == ref.get("uid"), (
                        f"{kind} {md.get('namespace')}/{md['name']} outlived its owner {ref.get('kind')}/"
                        f"{ref.get('name')}; " + self.where())
        pods = self.store.list("Pod")
        by_owner: dict[str, list[dict]] = {}
        for p in pods:
            if p["metadata"].get("deletionTimestamp"):
                continue
            for ref in p["metadata"].get("ownerReferences") or ():
                if ref.get("controller"):
                    by_owner.setdefault(ref.get("uid"), []).append(p)
        for rs in self.store.list("ReplicaSet"):
            sel = (rs["spec"].get("selector") or {}).get("matchLabels") or {}
            have = [p for p in by_owner.get(rs["metadata"]["uid"], []) if selects(sel, p)]
            want = int(rs["spec"].get("replicas", 1))
            assert len(have) == want, (
                f"ReplicaSet {rs['metadata']['namespace']}/{rs['metadata']['name']} wants {want} pods, "
                f"has {len(have)}; " + self.where())
        nodes = sorted(n["metadata"]["name"] for n in self.store.list("Node"))
        for ds in self.store.list("DaemonSet"):
            placed = sorted(p["spec"].get("nodeName") or "" for p in by_owner.get(ds["metadata"]["uid"], []))
            assert placed == nodes, (
                f"DaemonSet {ds['metadata']['namespace']}/{ds['metadata']['name']} has pods on {placed}, "
                f"nodes are {nodes}; " + self.where())

    @invariant()
    def dns_answers_cluster_ips(self) -> None:
        if self.cluster is None or not self.coredns_up():
            return
        for svc in self.store.list("Service"):
            spec = svc.get("spec") or {}
            cip = spec.get("clusterIP")
            if spec.get("type") == "ExternalName" or not cip or cip == "None":
                continue
            qname = f"{svc['metadata']['name']}.{svc['metadata']['namespace']}.{ZONE}"
            resp = self.cluster.coredns.plugin.query(qname, "A")
            answers = [rr.rdata for rr in resp.answer if rr.rtype == "A"]
            assert cip in answers, f"CoreDNS is up but {qname} answers {resp.rcode} {answers}, not {cip}; " + self.where()

    @invariant()
    def pod_ips_and_capacity(self) -> None:
        if self.cluster is None:
            return
        nodes = {n["metadata"]["name"]: n for n in self.store.list("Node")}
        seen: dict[str, str] = {}
        bound: dict[str, int] = {}
        for p in self.store.list("Pod"):
            spec, status = p.get("spec") or {}, p.get("status") or {}
            node = spec.get("nodeName")
            live = status.get("phase") not in ("Succeeded", "Failed")
            if node and live:
                bound[node] = bound.get(node, 0) + 1
            ip = status.get("podIP")
            if not ip or spec.get("hostNetwork") or not live:
                continue
            who = f"{p['metadata']['namespace']}/{p['metadata']['name']}"
            n = nodes.get(node)
            cidrs = ((n or {}).get("spec") or {}).get("podCIDRs") or [((n or {}).get("spec") or {}).get("podCIDR")]
            cidrs = [c for c in cidrs if c]
            assert cidrs and any(ipaddress.ip_address(ip) in ipaddress.ip_network(c, strict=False) for c in cidrs), (
                f"pod {who} holds {ip}, outside its node {node}'s podCIDRs {cidrs}; " + self.where())
            assert ip not in seen, f"pods {seen[ip]} and {who} share {ip}; " + self.where()
            seen[ip] = who
        for name, count in bound.items():
            alloc = ((nodes.get(name) or {}).get("status") or {}).get("allocatable") or {}
            if "pods" in alloc:
                assert count <= int(alloc["pods"]), (
                    f"{count} pods bound to {name}, allocatable.pods is {alloc['pods']}; " + self.where())


#: Shrinking replays a failing run hundreds of times (minutes, when the run scaled to
#: hundreds of pods), so CI reports the derandomized failing run as found;
#: SVCFLOW_HYPOTHESIS_SHRINK=1 shrinks it to a minimal reproducer.
SHRINK = os.environ.get("SVCFLOW_HYPOTHESIS_SHRINK", "") not in ("", "0")
PHASES = [Phase.explicit, Phase.reuse, Phase.generate] + ([Phase.shrink] if SHRINK else [])

OffPathCluster.TestCase.settings = settings(
    max_examples=15 * SCALE, stateful_step_count=15 * SCALE, deadline=None, derandomize=True, database=None,
    phases=PHASES, print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
TestOffPathCluster = OffPathCluster.TestCase
