"""Hardening: property tests over mutated samples and random manifest folders (Hypothesis).

Properties: applying never raises and every error names file and line; a refused object leaves
the cluster as it was; applying the same folder twice changes nothing; a sequence of applies
ends where applying the final files once ends; every Service's Endpoints are exactly the ready
pods its selector matches; ClusterIPs and NodePorts are unique; kube-proxy's rules and CoreDNS's
answers agree with the Endpoints.

Budgets are small (each example boots a cluster in ~20 ms) so the file runs in about ten
seconds; ``SVCFLOW_HYPOTHESIS_SCALE=N`` multiplies them for a deep run.  The example database
lives in `.hypothesis/` (git-ignored).
"""
from __future__ import annotations

import copy
import os
import re
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.api.labels import service_selects
from engine.api.wellknown import SERVICE_NAME_LABEL
from engine.apply.live import LiveWorkspace
from engine.apply.workspace import cluster_from_paths
from engine.cluster.cluster import Cluster
from engine.kubectl.dns import dig
from engine.kubectl.proxyrules import proxy_rules
from engine.manifests.documents import object_key
from tests.cluster.test_hardening_longrun import comparable
from tests.helpers import SAMPLES

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
#: SVCFLOW_HYPOTHESIS_SCALE=20 runs twenty times the examples (a deep run before a release).
SCALE = max(1, int(os.environ.get("SVCFLOW_HYPOTHESIS_SCALE", "1")))
SAMPLE_DOCS = [d for f in sorted(SAMPLES.glob("*.yml")) for d in yaml.safe_load_all(f.read_text()) if d]

# ---- strategies ---------------------------------------------------------------------------------------

NAMES = ["redis", "counter", "counter-np", "web", "api", "db"]
APPS = ["counter", "web", "api"]
LABEL_SETS = [{}, {"app": "counter"}, {"app": "counter", "tier": "db"}, {"app": "counter", "tier": "app"},
              {"app": "web"}, {"app": "api", "tier": "x"}]
PORTS = [0, 80, 3000, 6379, 8080, 65535, 70000]
NODE_PORTS = [None, 30080, 30081, 31000, 32767, 80, 40000]
ODD_VALUES = st.one_of(st.sampled_from(["", "two", "80", "[bold]", "yes", "My_Name", "a" * 70]),
                       st.integers(-3, 70_000), st.booleans(), st.none(), st.floats(-2, 2, allow_nan=False),
                       st.lists(st.integers(0, 3), max_size=2), st.dictionaries(st.sampled_from("ab"), st.integers(0, 2),
                                                                                 max_size=2))


def paths_of(value, prefix=()):
    """Every (path) into a nested document: keys and list indices."""
    out = []
    if isinstance(value, dict):
        for k, v in value.items():
            out.append(prefix + (k,))
            out.extend(paths_of(v, prefix + (k,)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.append(prefix + (i,))
            out.extend(paths_of(v, prefix + (i,)))
    return out


def parent_of(doc, path):
    node = doc
    for p in path[:-1]:
        node = node[p]
    return node


@st.composite
def mutated_samples(draw) -> list[dict]:
    """The tutorial's documents with fields dropped, duplicated, retyped and renamed, selectors
    and ports changed, objects renamed, and the documents shuffled."""
    docs = copy.deepcopy(SAMPLE_DOCS)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["drop", "retype", "rename", "selector", "ports", "duplicate", "name", "shuffle"]))
        i = draw(st.integers(0, len(docs) - 1))
        try:
            docs = _mutate(draw, docs, op, i)
        except (TypeError, KeyError, AttributeError, IndexError):
            pass  # an earlier mutation changed the shape this one needs: skip it
    return docs


def _mutate(draw, docs: list[dict], op: str, i: int) -> list[dict]:
    if True:
        doc = docs[i]
        paths = paths_of(doc)
        if op == "shuffle":
            docs = draw(st.permutations(docs))
        elif op == "duplicate":
            docs.insert(draw(st.integers(0, len(docs))), copy.deepcopy(doc))
        elif op == "name" and isinstance(doc, dict):
            doc.setdefault("metadata", {})["name"] = draw(st.sampled_from(NAMES + ["Bad_Name", ""]))
        elif op == "selector":
            labels = draw(st.sampled_from(LABEL_SETS))
            if doc["kind"] == "Service":
                doc["spec"]["selector"] = dict(labels)
            elif doc["kind"] == "Deployment":
                doc["spec"]["template"]["metadata"]["labels"] = dict(draw(st.sampled_from(LABEL_SETS)) or {"app": "x"})
                doc["spec"]["selector"] = {"matchLabels": dict(labels)}
        elif op == "ports" and doc["kind"] == "Service":
            ports = []
            for j in range(draw(st.integers(1, 2))):
                p = {"port": draw(st.sampled_from(PORTS)), "protocol": "TCP"}
                if j or draw(st.booleans()):
                    p["name"] = f"p{j}"
                np = draw(st.sampled_from(NODE_PORTS))
                if np is not None:
                    p["nodePort"] = np
                ports.append(p)
            doc["spec"]["ports"] = ports
            doc["spec"]["type"] = draw(st.sampled_from(["ClusterIP", "NodePort", "LoadBalancer"]))
        elif op == "ports" and doc["kind"] == "Deployment":
            c = doc["spec"]["template"]["spec"]["containers"][0]
            c["ports"] = [{"containerPort": draw(st.sampled_from(PORTS))}]
        elif paths and op in ("drop", "retype", "rename"):
            path = draw(st.sampled_from(paths))
            parent, key = parent_of(doc, path), path[-1]
            if op == "drop":
                del parent[key]
            elif op == "retype":
                parent[key] = draw(ODD_VALUES)
            elif isinstance(parent, dict):
                parent[draw(st.sampled_from([str(key) + "s", str(key).capitalize(), str(key)[:-1] or "x"]))] = parent.pop(key)
    return docs


def deployment(name: str, app: str, replicas: int, port: int, ns: str = "") -> dict:
    md = {"name": name, **({"namespace": ns} if ns else {})}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": md,
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": app}},
                     "template": {"metadata": {"labels": {"app": app}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx",
                                                           "ports": [{"containerPort": port}]}]}}}}


def service(name: str, selector: dict, typ: str, ports: list[dict], ns: str = "") -> dict:
    md = {"name": name, **({"namespace": ns} if ns else {})}
    spec: dict = {"selector": selector, "ports": ports}
    if typ == "Headless":
        spec["clusterIP"] = "None"
    else:
        spec["type"] = typ
    return {"apiVersion": "v1", "kind": "Service", "metadata": md, "spec": spec}


@st.composite
def random_objects(draw) -> list[dict]:
    docs: list[dict] = []
    if draw(st.booleans()):
        docs.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}})
    for _ in range(draw(st.integers(0, 3))):
        docs.append(deployment(draw(st.sampled_from(NAMES)), draw(st.sampled_from(APPS)), draw(st.integers(0, 3)),
                               draw(st.sampled_from([80, 3000, 6379])), draw(st.sampled_from(["", "", "team"]))))
    for _ in range(draw(st.integers(0, 3))):
        typ = draw(st.sampled_from(["ClusterIP", "NodePort", "Headless"]))
        ports = []
        for j in range(draw(st.integers(1, 2))):
            p: dict = {"port": draw(st.sampled_from([80, 6379, 3000])) + j, "name": f"p{j}"}
            if draw(st.booleans()):
                p["targetPort"] = draw(st.sampled_from([80, 3000, 6379, "http"]))
            if typ == "NodePort" and draw(st.booleans()):
                p["nodePort"] = draw(st.sampled_from([30080, 30081, 31000]))
            ports.append(p)
        sel = draw(st.sampled_from([{"app": a} for a in APPS] + [{}]))
        docs.append(service(draw(st.sampled_from(NAMES)), sel, typ, ports, draw(st.sampled_from(["", "", "team"]))))
    if draw(st.booleans()):
        docs.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"},
                     "data": {"k": draw(st.sampled_from(["v", "w"]))}})
    return docs


def split_into_files(draw, docs: list[dict]) -> dict[str, list[dict]]:
    n = draw(st.integers(1, 3))
    files: dict[str, list[dict]] = {f"f{i}.yaml": [] for i in range(n)}
    for d in docs:
        files[f"f{draw(st.integers(0, n - 1))}.yaml"].append(d)
    return files


@st.composite
def folders(draw, docs_strategy=random_objects()) -> dict[str, list[dict]]:
    return split_into_files(draw, draw(docs_strategy))


def write_folder(root: Path, files: dict[str, list[dict]]) -> None:
    for old in root.glob("*.yaml"):
        if old.name not in files:
            old.unlink()
    for name, docs in files.items():
        (root / name).write_text(yaml.safe_dump_all(docs, sort_keys=False) if docs else "# nothing here\n")


# ---- invariants -----------------------------------------------------------------------------------------

SEP_DNAT = re.compile(r'^-A KUBE-SEP-\S+ -p \w+ -m comment --comment "([^"]+)" .*-j DNAT --to-destination (\S+)$')
ANSWER_A = re.compile(r"^\S+\s+\d+\s+IN\s+A\s+(\S+)$")


def _port_resolves(svc_port: dict, pod: dict) -> bool:
    tp = svc_port.get("targetPort", svc_port.get("port"))
    if isinstance(tp, int) or (isinstance(tp, str) and tp.isdigit()):
        return True
    return any(cp.get("name") == tp and cp.get("protocol", "TCP") == svc_port.get("protocol", "TCP")
               for c in pod["spec"].get("containers") or [] for cp in c.get("ports") or [])


def check_endpoints_match_ready_pods(cluster: Cluster) -> None:
    pods = cluster.store.list("Pod")
    for svc in cluster.store.list("Service"):
        ns, name = svc["metadata"]["namespace"], svc["metadata"]["name"]
        sel = svc["spec"].get("selector")
        if not sel or svc["spec"].get("type") == "ExternalName":
            continue
        publish = bool(svc["spec"].get("publishNotReadyAddresses"))
        ready, not_ready = set(), set()
        for p in pods:
            st_ = p.get("status") or {}
            if (p["metadata"]["namespace"] != ns or not service_selects(sel, p["metadata"].get("labels") or {})
                    or not st_.get("podIP") or st_.get("phase") in ("Succeeded", "Failed")
                    or p["metadata"].get("deletionTimestamp")):
                continue
            if svc["spec"].get("ports") and not any(_port_resolves(sp, p) for sp in svc["spec"]["ports"]):
                continue  # podutil.FindPort: a named targetPort the pod does not have
            ok = any(c.get("type") == "Ready" and c.get("status") == "True" for c in st_.get("conditions") or [])
            (ready if ok or publish else not_ready).add(st_["podIP"])
        ep = cluster.store.get("Endpoints", ns, name)
        assert ep is not None, f"no Endpoints for {ns}/{name}"
        subsets = ep.get("subsets") or []
        got_ready = {a["ip"] for s in subsets for a in s.get("addresses") or []}
        got_not = {a["ip"] for s in subsets for a in s.get("notReadyAddresses") or []}
        assert (got_ready, got_not) == (ready, not_ready), f"{ns}/{name}"


def check_unique_allocations(cluster: Cluster) -> None:
    ips, node_ports = [], []
    for svc in cluster.store.list("Service"):
        ip = svc["spec"].get("clusterIP")
        if ip and ip != "None":
            ips.append(ip)
        node_ports += [(p.get("protocol", "TCP"), p["nodePort"]) for p in svc["spec"].get("ports") or []
                       if p.get("nodePort")]
    assert len(ips) == len(set(ips)), ips
    assert len(node_ports) == len(set(node_ports)), node_ports


def check_proxy_and_dns_agree_with_endpoints(cluster: Cluster) -> None:
    node = cluster.topology.nodes[0].name
    dnat: dict[str, set[str]] = {}
    for line in proxy_rules(cluster, node=node, mode="iptables").stdout.splitlines():
        m = SEP_DNAT.match(line)
        if m:
            dnat.setdefault(m.group(1), set()).add(m.group(2))
    domain = cluster.topology.dns_domain
    for svc in cluster.store.list("Service"):
        ns, name, spec = svc["metadata"]["namespace"], svc["metadata"]["name"], svc["spec"]
        if ns == "kube-system" or spec.get("type") == "ExternalName" or not spec.get("selector"):
            continue  # without a selector the Endpoints are nobody's (stale ones stay, as in Kubernetes)
        ep = cluster.store.get("Endpoints", ns, name) or {}
        want: dict[str, set[str]] = {}
        ready_ips = set()
        for s in ep.get("subsets") or []:
            for p in s.get("ports") or []:
                key = f"{ns}/{name}" + (f":{p['name']}" if p.get("name") else "")
                for a in s.get("addresses") or []:
                    want.setdefault(key, set()).add(f"{a['ip']}:{p['port']}")
                    ready_ips.add(a["ip"])
        answers = {m.group(1) for line in dig(cluster, f"{name}.{ns}.svc.{domain}").stdout.splitlines()
                   if (m := ANSWER_A.match(line))}
        if spec.get("clusterIP") == "None":
            assert not any(k == f"{ns}/{name}" or k.startswith(f"{ns}/{name}:") for k in dnat), f"{ns}/{name}"
            # CoreDNS reads the EndpointSlices, not the Endpoints: a ready pod whose named
            # targetPort it lacks is in a slice with no ports (upstream's reconciler) but not in
            # the Endpoints, and CoreDNS answers it (EndpointSliceToEndpoints' port -1 sentinel)
            sliced = {a for sl in cluster.store.by_label("EndpointSlice", ns, SERVICE_NAME_LABEL, name)
                      for e in sl.get("endpoints") or () if (e.get("conditions") or {}).get("ready") is not False
                      for a in e.get("addresses") or ()}
            assert ready_ips <= sliced and answers == sliced, f"{ns}/{name}"
        else:
            got = {k: v for k, v in dnat.items() if k == f"{ns}/{name}" or k.startswith(f"{ns}/{name}:")}
            assert got == want, f"{ns}/{name}"
            assert answers == {spec["clusterIP"]}, f"{ns}/{name}"


def check_invariants(cluster: Cluster) -> None:
    check_endpoints_match_ready_pods(cluster)
    check_unique_allocations(cluster)
    check_proxy_and_dns_agree_with_endpoints(cluster)


def errors_name_file_and_line(report, root: Path) -> None:
    for e in report.errors:
        assert re.fullmatch(re.escape(str(root)) + r"/f\d\.yaml:\d+", e.source), (e.source, e.error)
        assert e.error


def live_on(root: Path) -> LiveWorkspace:
    return LiveWorkspace([root], deterministic=True)


# ---- properties -------------------------------------------------------------------------------------------

@settings(max_examples=60 * SCALE, **SETTINGS)
@given(st.data())
def test_applying_mutated_samples_never_raises_and_every_error_names_file_and_line(data):
    files = split_into_files(data.draw, data.draw(mutated_samples()))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_folder(root, files)
        cluster, report = cluster_from_paths([root], deterministic=True)
        errors_name_file_and_line(report, root)
        check_invariants(cluster)
        ws = live_on(root)
        res = ws.reload()
        errors_name_file_and_line(res.report, root)
        ws.settle()
        check_invariants(ws.cluster)


@settings(max_examples=40 * SCALE, **SETTINGS)
@given(st.data())
def test_a_refused_object_leaves_the_cluster_as_it_was(data):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_folder(root, {"f0.yaml": SAMPLE_DOCS})
        ws = live_on(root)
        ws.reload()
        ws.settle()

        def view(o):
            return (o["metadata"].get("labels"), o["metadata"].get("annotations"), o.get("spec"), o.get("data"))

        before = {k: view(ws.cluster.store.get(*k)) for k in ws.applied}
        write_folder(root, split_into_files(data.draw, data.draw(mutated_samples())))
        res = ws.reload()
        for err in res.report.errors:
            k = object_key(err.obj) if isinstance(err.obj, dict) else None
            if k in before:
                assert view(ws.cluster.store.get(*k)) == before[k], err.error
        ws.settle()
        check_invariants(ws.cluster)


@settings(max_examples=40 * SCALE, **SETTINGS)
@given(folders(random_objects()))
def test_applying_the_same_folder_twice_changes_nothing(files):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_folder(root, files)
        ws = live_on(root)
        ws.reload()
        ws.settle()
        rv = ws.cluster.store.resource_version
        again = ws.reload()
        assert again.pruned == []
        assert all(line.endswith(" unchanged") for line in again.lines), again.lines
        ws.settle()
        assert ws.cluster.store.resource_version == rv
        check_invariants(ws.cluster)


@settings(max_examples=30 * SCALE, **SETTINGS)
@given(st.lists(folders(random_objects()), min_size=2, max_size=4), st.lists(st.booleans(), min_size=4, max_size=4))
def test_a_sequence_of_applies_ends_like_applying_the_final_files_once(steps, settle_between):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_folder(root, steps[0])
        ws = live_on(root)
        for files, settle in zip(steps, settle_between):
            write_folder(root, files)
            ws.reload()
            if settle:
                ws.settle()
            check_unique_allocations(ws.cluster)
        final = ws.reload()
        ws.settle()
        fresh, report = cluster_from_paths([root], deterministic=True)
        check_invariants(ws.cluster)
        check_invariants(fresh)
        if final.report.errors or report.errors:
            return  # allocation collisions depend on history, in Kubernetes too
        assert comparable(ws.cluster) == comparable(fresh)
