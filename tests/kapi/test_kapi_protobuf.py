"""Protobuf request bodies (engine/kapi/protobuf.py) and the self-reviews (authz.py): the real
kubectl's typed-client commands (`create namespace|deployment|service|configmap`, `drain`'s
evictions, `auth can-i`) against a served cluster, each compared with svcflow's own session on
a twin cluster; and the decoder on hand-made bodies, including broken ones.
"""
from __future__ import annotations

import json

import pytest

from engine.apply.workspace import cluster_from_paths
from engine.kapi import protobuf
from engine.kapi.status import StatusError
from engine.kubectl.session import Session
from tests.helpers import SAMPLES
from tests.served import served_samples

served = served_samples(settle_on_write=True)


@pytest.fixture(scope="module")
def twin() -> Session:
    return Session(cluster_from_paths([SAMPLES], deterministic=True)[0], cwd=SAMPLES.parent)


@pytest.mark.parametrize("line", [
    "kubectl create namespace other",
    "kubectl run box -n other --image=busybox -- sleep 3600",
    "kubectl create namespace other",  # AlreadyExists, from the server
], ids=["create namespace", "run", "create namespace again"])
async def test_typed_client_creates_print_what_svcflows_session_prints(served, twin, kubectl, line):
    code, out, err = await kubectl(*line.split()[1:])
    want = twin.feed(line)
    assert (out + err) == want
    assert code == (1 if "Error from server" in want else 0)


@pytest.mark.parametrize("args", [
    ["deployment", "web", "--image=nginx", "--replicas=2", "--port=80"],
    ["deployment", "zero", "--image=busybox", "--replicas=0", "--", "sleep", "3600"],
    ["service", "clusterip", "web", "--tcp=8080:80", "--tcp=9090:metrics"],
    ["service", "nodeport", "np", "--tcp=80:8080"],
    ["service", "clusterip", "headless", "--clusterip=None"],
    ["configmap", "cfg", "--from-literal=a=b", "--from-literal=empty="],
], ids=lambda a: " ".join(a[:2]))
async def test_a_protobuf_create_makes_the_object_its_json_twin_makes(served, kubectl, tmp_path, args):
    """svcflow's session has no `create deployment|service|configmap` to compare with, so the
    proof is kubectl's own: the object the generator prints (`--dry-run=client -o json`),
    created as JSON under another name, reads back as the one created from protobuf."""
    name = args[2] if args[0] == "service" else args[1]
    cut = args.index("--") if "--" in args else len(args)
    code, printed, err = await kubectl("create", *args[:cut], "--dry-run=client", "-o", "json", *args[cut:])
    assert (code, err) == (0, "")
    as_json = tmp_path / "twin.json"
    as_json.write_text(printed.replace(f'"name": "{name}"', f'"name": "{name}-json"', 1))
    assert (await kubectl("create", "-f", str(as_json)))[0] == 0
    code, out, err = await kubectl("create", *args)  # protobuf
    assert (code, err) == (0, "")
    kind = {"deployment": "deployment.apps", "service": "service", "configmap": "configmap"}[args[0]]
    assert out == f"{kind}/{name} created\n"

    def read(n: str) -> dict:
        obj = served.call(lambda: served.cluster.store.get(
            {"deployment": "Deployment", "service": "Service", "configmap": "ConfigMap"}[args[0]], "default", n))
        md = obj["metadata"]
        spec = dict(obj.get("spec") or {})
        for allocated in ("clusterIP", "clusterIPs"):
            spec.pop(allocated, None)
        for p in spec.get("ports") or []:
            p.pop("nodePort", None)  # (allocated)
        return {"labels": md.get("labels"), "annotations": md.get("annotations"), "spec": spec,
                "data": obj.get("data")}

    got, want = read(name), read(f"{name}-json")
    if args[0] == "deployment":
        # kube-apiserver defaults the generator's `strategy: {}` to RollingUpdate 25%/25%; svcflow's
        # defaulting (engine/api/defaults.py) fills only a missing strategy, so the JSON twin keeps
        # `{}` (reported to engine/api's owner). The protobuf body has no empty message: defaulted.
        default = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}
        assert got["spec"].pop("strategy") == default
        assert want["spec"].pop("strategy") in ({}, default)
    assert got == want, (json.dumps(got, sort_keys=True), json.dumps(want, sort_keys=True))


async def test_a_requested_node_port_survives_the_protobuf_body(served, kubectl):
    assert await kubectl("create", "service", "nodeport", "fixed", "--tcp=80:8080", "--node-port=30099") == (
        0, "service/fixed created\n", "")
    port = served.call(lambda: served.cluster.store.get("Service", "default", "fixed")["spec"]["ports"][0])
    assert (port["port"], port["targetPort"], port["nodePort"], port["name"]) == (80, 8080, 30099, "80-8080")


async def test_auth_can_i_everything(served, kubectl):
    assert await kubectl("auth", "can-i", "create", "pods") == (0, "yes\n", "")
    assert await kubectl("auth", "can-i", "delete", "nodes", "--all-namespaces") == (0, "yes\n", "")
    code, out, err = await kubectl("auth", "can-i", "--list")
    assert (code, err) == (0, "")
    assert out.splitlines()[:3] == ["Resources   Non-Resource URLs   Resource Names   Verbs",
                                    "*.*         []                  []               [*]",
                                    "            [*]                 []               [*]"]


async def test_auth_whoami_is_the_anonymous_user_a_server_without_authentication_sees(served, kubectl):
    """SelfSubjectReview (authentication.k8s.io/v1, GA in 1.28): it used to answer `error: the
    selfsubjectreviews API is not enabled in the cluster`."""
    assert await kubectl("auth", "whoami") == (
        0, "ATTRIBUTE   VALUE\nUsername    system:anonymous\nGroups      [system:unauthenticated]\n", "")
    code, out, err = await kubectl("auth", "whoami", "-o", "jsonpath={.status.userInfo.username}")
    assert (code, out, err) == (0, "system:anonymous", "")


async def test_drain_evicts_through_protobuf_evictions(served, kubectl):
    node = served.call(lambda: served.cluster.store.get("Pod", "other", "box")["spec"]["nodeName"])
    code, out, err = await kubectl("drain", node, "--ignore-daemonsets", "--force", "--timeout=60s")
    assert code == 0, err
    assert out.startswith(f"node/{node} cordoned\n") and out.endswith(f"node/{node} drained\n")
    assert "pod/box evicted\n" in out
    left = served.call(lambda: [p["metadata"]["name"] for p in served.cluster.store.list("Pod")
                                if p["spec"].get("nodeName") == node and not any(
                                    o.get("kind") == "DaemonSet" for o in p["metadata"].get("ownerReferences") or [])])
    assert left == []
    assert await kubectl("uncordon", node) == (0, f"node/{node} uncordoned\n", "")


# ---------------------------------------------------------------------------------------------
# the decoder on hand-made bodies
# ---------------------------------------------------------------------------------------------

def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes((b | 0x80,))
        else:
            return out + bytes((b,))


def _field(num: int, value: bytes | int | str) -> bytes:
    if isinstance(value, int):
        return _varint(num << 3) + _varint(value)
    data = value.encode() if isinstance(value, str) else value
    return _varint(num << 3 | 2) + _varint(len(data)) + data


def _envelope(api_version: str, kind: str, raw: bytes) -> bytes:
    return protobuf.MAGIC + _field(1, _field(1, api_version) + _field(2, kind)) + _field(2, raw)


def test_a_service_with_zero_values_int_or_strings_and_a_map():
    meta = _field(1, "web") + _field(2, "") + _field(8, b"") + _field(11, _field(1, "app") + _field(2, "web"))
    port = _field(1, "http") + _field(2, "TCP") + _field(3, 80) + _field(4, _field(1, 1) + _field(3, "http")) \
        + _field(5, 0)
    port2 = _field(3, 443) + _field(4, _field(1, 0) + _field(2, 8443))
    spec = _field(1, port) + _field(1, port2) + _field(2, _field(1, "app") + _field(2, "web")) + _field(4, "ClusterIP")
    obj = protobuf.decode(_envelope("v1", "Service", _field(1, meta) + _field(2, spec) + _field(3, b"")))
    assert obj == {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "labels": {"app": "web"}},
                   "spec": {"ports": [{"name": "http", "protocol": "TCP", "port": 80, "targetPort": "http"},
                                      {"port": 443, "targetPort": 8443}],
                            "selector": {"app": "web"}, "type": "ClusterIP"}}


def test_pointer_fields_keep_their_zero():
    spec = _field(1, 0)  # replicas: 0 on purpose
    obj = protobuf.decode(_envelope("apps/v1", "Deployment", _field(1, _field(1, "d")) + _field(2, spec)))
    assert obj["spec"] == {"replicas": 0}


@pytest.mark.parametrize("body,reason,words", [
    (b"{}", "BadRequest", "did not contain the Kubernetes protobuf prefix"),
    (protobuf.MAGIC + b"\x0a\xff", "BadRequest", "unable to decode the protobuf body"),
    (_envelope("v1", "Service", _field(1, _field(99, "x"))), "BadRequest", "ObjectMeta field 99 is not one svcflow"),
    (_envelope("batch/v1", "Job", b""), "UnsupportedMediaType", "send Job as JSON"),
])
def test_bodies_it_cannot_read_are_refused_with_a_status(body, reason, words):
    with pytest.raises(StatusError) as e:
        protobuf.decode(body)
    assert e.value.reason == reason and words in e.value.message
