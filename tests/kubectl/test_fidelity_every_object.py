"""Every object, every output: the REAL kubectl against `svcflow serve` prints what svcflow's own
commands print, byte for byte (issue 17, the richer folder).

The cluster is samples/ plus tests/fidelity/manifests/ (named container ports, probes of each
kind, env and envFrom, volumes, init containers, ConfigMaps with several keys and binaryData,
headless, LoadBalancer, ExternalName and selector-less Services with hand-written Endpoints and
an EndpointSlice, several namespaces, a DaemonSet, a StatefulSet behind a headless Service), then tests/fidelity/rollout/ applied on top
so that ops/api is a Deployment mid-rollout (its new pod never turns ready and maxUnavailable is
0, so the old ReplicaSet keeps its three pods).

For each object of the user's namespaces (and the Namespaces themselves) kubectl's `describe`,
`-o yaml`, `-o json`, `-o name`, two `-o jsonpath` and one `-o custom-columns` are compared;
for each kind `get` as a table, `-o wide`, `-A`, `--show-labels`. The parametrization is built
from a deterministic twin at collection time, so each (object, output) pair names itself.

Ages: `get`'s tables are printed by the served API (the served clock on both sides); `describe`
is printed by kubectl itself, which counts event ages from its machine's clock, so svcflow's
describe is given that same clock (`now=`) -- the only place the two clocks differ.
"""
from __future__ import annotations

import concurrent.futures
import shlex
import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest

from engine.api import kinds
from engine.apply.workspace import cluster_from_paths
from engine.cluster.cluster import Cluster
from engine.kubectl import commands
from tests.helpers import SAMPLES, apply_yaml
from tests.served import Kubectl, ServedCluster, require_kubectl, require_kubectl_for_served

FIDELITY = Path(__file__).resolve().parent.parent / "fidelity"
MANIFESTS = FIDELITY / "manifests"
ROLLOUT = FIDELITY / "rollout"
NAMESPACES = ("default", "shop", "ops")


def build() -> Cluster:
    """The compared cluster: the folders, then the rollout applied and run to its steady state."""
    cluster = cluster_from_paths([SAMPLES, MANIFESTS], deterministic=True)[0]
    for f in sorted(ROLLOUT.glob("*.yml")):
        apply_yaml(cluster, f.read_text())
    return cluster


def _objects(cluster: Cluster) -> list[tuple[str, str, str]]:
    """(resource, namespace, name) of every object of the user's namespaces (Events excepted:
    their names are per-run and they are listed by kind below), and of those Namespaces."""
    out = [("namespaces", "", ns) for ns in NAMESPACES]
    for info in kinds.KINDS.values():
        if not info.namespaced or info.kind == "Event":
            continue
        for ns in NAMESPACES:
            for obj in cluster.store.list(info.kind, ns):
                out.append((info.plural, ns, obj["metadata"]["name"]))
    return out


TWIN = build()
OBJECTS = _objects(TWIN)
KINDS_LISTED = sorted({r for r, _, _ in OBJECTS} | {"events", "nodes"})

#: -o forms compared for every object (describe is compared on its own, with kubectl's clock)
OUTPUTS = {
    "yaml": ["-o", "yaml"],
    "json": ["-o", "json"],
    "name": ["-o", "name"],
    "table": [],
    "wide": ["-o", "wide"],
    "show-labels": ["--show-labels"],
    "jsonpath-meta": ["-o", "jsonpath={.metadata.name}{\"\\t\"}{.metadata.labels}{\"\\n\"}"],
    "jsonpath-spec": ["-o", "jsonpath={.spec}"],
    "custom-columns": ["-o", "custom-columns=NAME:.metadata.name,NAMESPACE:.metadata.namespace,"
                             "UID:.metadata.uid,LABELS:.metadata.labels,OWNER:.metadata.ownerReferences[0].name"],
}

#: (object, output) pairs left out because the two cannot print the same (README "Fidelity notes"):
#: kubectl walks a ConfigMap's data as a Go map, in random order, so a ConfigMap of several keys
#: has no one answer (svcflow sorts the keys).
KNOWN_DIFFERENT: set[tuple[str, str]] = {
    ("configmaps/shop/web-config", "describe"),
}


def _scope(ns: str) -> list[str]:
    return ["-n", ns] if ns else []


def _cases() -> list:
    cases = []
    for resource, ns, name in OBJECTS:
        obj_id = f"{resource}/{ns + '/' if ns else ''}{name}"
        for out_id in ("describe", *OUTPUTS):
            if (obj_id, out_id) in KNOWN_DIFFERENT:
                continue
            cases.append(pytest.param(resource, ns, name, out_id, id=f"{obj_id} {out_id}"))
    return cases


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    require_kubectl()
    s = ServedCluster([SAMPLES, MANIFESTS], tmp_path_factory.mktemp("served"))
    for f in sorted(ROLLOUT.glob("*.yml")):
        s.call(lambda f=f: apply_yaml(s.cluster, f.read_text()))
    yield s
    s.close()


@pytest.fixture(scope="module")
def kubectl(served, tmp_path_factory) -> Kubectl:
    """One discovery cache for the module: every test here only reads, and hundreds of
    kubectl runs need not each rediscover the served API. The binary the dispatcher picks for
    the served v1.33.1, run directly (tests/kapi prove the dispatcher picks it)."""
    require_kubectl_for_served()  # (hundreds of runs: not through the dispatcher, and loudly so)
    return Kubectl(served, tmp_path_factory.mktemp("kubectl"))


@dataclass(frozen=True)
class Printed:
    """What the real kubectl printed for one command, and when it finished (kubectl counts
    `describe`'s event ages from its machine's clock at that moment)."""
    result: tuple[int, str, str]
    at: datetime


def _kubectl_args(resource: str, ns: str, name: str, out_id: str) -> list[str]:
    if out_id == "describe":
        return ["describe", f"{resource}/{name}", *_scope(ns)]
    return ["get", resource, name, *_scope(ns), *OUTPUTS[out_id]]


@pytest.fixture(scope="module")
def printed(request, served, kubectl) -> dict[tuple[str, ...], Printed]:
    """The real kubectl's answer to every command the selected tests of this module compare,
    run a few at a time before the first comparison: every test only reads, the served
    cluster stands still (its clock is fixed), so the order does not matter, and hundreds of
    kubectl processes one after the other were a minute of CI. The first kubectl runs alone
    and fills the discovery cache the others then read."""
    wanted: list[tuple[str, ...]] = []
    for item in request.session.items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if item.module is not request.module:
            continue
        if "out_id" in params:
            wanted.append(tuple(_kubectl_args(params["resource"], params["ns"], params["name"], params["out_id"])))
        elif "flags" in params:
            wanted.append(("get", params["resource"], *GET_FLAGS[params["flags"]]))

    def run(args: tuple[str, ...]) -> Printed:
        proc = subprocess.run(kubectl.argv(*args), capture_output=True, env=kubectl.env(), timeout=120,
                              cwd=str(SAMPLES.parent), stdin=subprocess.DEVNULL)
        return Printed((proc.returncode, proc.stdout.decode(), proc.stderr.decode()), datetime.now(timezone.utc))

    done: dict[tuple[str, ...], Printed] = {}
    if wanted:
        done[wanted[0]] = run(wanted[0])
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        for args, result in zip(wanted[1:], pool.map(run, wanted[1:])):
            done[args] = result
    return done


def test_the_folder_has_what_the_issue_lists():
    """The richer folder really holds each thing issue 17 names (a guard against its thinning)."""
    def one(kind: str, ns: str, name: str) -> dict:
        obj = TWIN.store.get(kind, ns, name)
        assert obj is not None, (kind, ns, name)
        return obj
    web = one("Deployment", "shop", "web")["spec"]["template"]["spec"]
    c = web["containers"][0]
    assert all(p.get("name") for p in c["ports"]) and web["initContainers"]
    assert {k for k in ("readinessProbe", "livenessProbe", "startupProbe") if k in c} == {
        "readinessProbe", "livenessProbe", "startupProbe"}
    assert {next(k for k in ("exec", "httpGet", "tcpSocket", "grpc") if k in p) for p in (
        c["readinessProbe"], c["livenessProbe"], c["startupProbe"], web["containers"][1]["livenessProbe"])} == {
        "exec", "httpGet", "tcpSocket", "grpc"}
    assert c["env"] and c["envFrom"] and len(web["volumes"]) >= 3
    cm = one("ConfigMap", "shop", "web-config")
    assert len(cm["data"]) > 1 and cm["binaryData"]
    assert one("Service", "shop", "web-headless")["spec"]["clusterIP"] == "None"
    assert one("Service", "shop", "web-lb")["spec"]["type"] == "LoadBalancer"
    assert one("Service", "shop", "upstream")["spec"]["type"] == "ExternalName"
    assert "selector" not in one("Service", "shop", "legacy-db")["spec"] and one("Endpoints", "shop", "legacy-db")
    assert one("EndpointSlice", "shop", "external-api-1")
    assert one("DaemonSet", "ops", "log-agent")["status"]["numberReady"] >= 1
    assert one("StatefulSet", "ops", "db")["status"]["readyReplicas"] == 2
    assert one("Pod", "ops", "db-1")["spec"]["subdomain"] == "db"
    assert {e.get("hostname") for e in next(s for s in TWIN.store.list("EndpointSlice", "ops")
                                             if s["metadata"]["labels"].get("kubernetes.io/service-name") == "db")[
        "endpoints"]} == {"db-0", "db-1"}
    api = one("Deployment", "ops", "api")
    assert api["status"]["updatedReplicas"] == 1 and api["status"]["replicas"] == 4, api["status"]
    assert len([rs for rs in TWIN.store.list("ReplicaSet", "ops") if rs["spec"]["replicas"]]) == 2


@pytest.mark.parametrize("resource, ns, name, out_id", _cases())
def test_every_object_prints_what_kubectl_prints(served, printed, resource, ns, name, out_id):
    args = _kubectl_args(resource, ns, name, out_id)
    got = printed[tuple(args)]
    if out_id == "describe":
        want = served.svcflow(lambda c: commands.describe(c, [f"{resource}/{name}"], namespace=ns or None,
                                                           now=got.at))
    else:
        want = served.svcflow(lambda c: commands.run_line(c, shlex.join(args)))
    assert got.result == want, shlex.join(args)


GET_FLAGS = {
    "table": [],
    "wide": ["-o", "wide"],
    "all-namespaces": ["-A"],
    "all-namespaces-wide-labels": ["-A", "-o", "wide", "--show-labels"],
    "shop-show-labels": ["-n", "shop", "--show-labels"],
    "ops-wide": ["-n", "ops", "-o", "wide"],
    "name-all-namespaces": ["-A", "-o", "name"],
}


@pytest.mark.parametrize("flags", list(GET_FLAGS), ids=str)
@pytest.mark.parametrize("resource", KINDS_LISTED)
def test_get_of_every_kind_prints_what_kubectl_prints(served, printed, resource, flags):
    args = ["get", resource, *GET_FLAGS[flags]]
    want = served.svcflow(lambda c: commands.run_line(c, shlex.join(args)))
    assert printed[tuple(args)].result == want, shlex.join(args)


def test_stored_objects_carry_kube_apiservers_defaults():
    """What pkg/apis/core/v1 and discovery/v1 defaulting store (kubectl prints some of it: a
    grpc probe stored without `service` makes kubectl 1.33's describe panic, and a fieldRef's
    apiVersion is printed as stored)."""
    pod = next(p for p in TWIN.store.list("Pod", "shop") if p["metadata"]["name"].startswith("web-"))
    web, sidecar = pod["spec"]["containers"]
    assert sidecar["livenessProbe"]["grpc"] == {"port": 9090, "service": ""}
    env = {e["name"]: e.get("valueFrom") for e in web["env"]}
    assert env["POD_NAME"] == {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}
    assert env["CPU_LIMIT"] == {"resourceFieldRef": {"containerName": "web", "divisor": "0", "resource": "limits.cpu"}}
    volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
    assert volumes["config"]["configMap"]["defaultMode"] == 420
    assert volumes["podinfo"]["downwardAPI"] == {"defaultMode": 420, "items": [
        {"path": "labels", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.labels"}}]}
    assert volumes["host"]["hostPath"] == {"path": "/var/log", "type": "Directory"}
    agent = TWIN.store.get("DaemonSet", "ops", "log-agent")["spec"]["template"]["spec"]
    assert agent["volumes"][0]["hostPath"] == {"path": "/var/log", "type": ""}
    slice_ = TWIN.store.get("EndpointSlice", "shop", "external-api-1")
    assert slice_["ports"] == [{"name": "https", "port": 8443, "protocol": "TCP"}]
