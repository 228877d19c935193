"""svcflow's client-side apply leaves what kubectl's three-way strategic merge leaves (issue 17,
item 5). The oracle: the REAL kubectl applies a changed manifest to `svcflow serve`, svcflow's
own session applies it to a twin cluster, and the objects come out the same -- a container keeps
its server-defaulted `imagePullPolicy` when its image changes, env and ports merge by key.
"""
from __future__ import annotations

import json

import pytest

from engine.api.strategicpatch import three_way_merge
from engine.apply.workspace import cluster_from_paths
from engine.kubectl.session import Session
from tests.helpers import SAMPLES
from tests.served import Kubectl, ServedCluster, require_kubectl


@pytest.fixture
def pair(tmp_path):
    require_kubectl()
    s = ServedCluster([SAMPLES], tmp_path / "served")
    twin = Session(cluster_from_paths([SAMPLES], deterministic=True)[0], cwd=SAMPLES.parent)
    yield s, Kubectl(s, tmp_path / "k"), twin
    s.close()


def _user_fields(obj: dict) -> dict:
    md = obj["metadata"]
    return {"metadata": {k: md.get(k) for k in ("name", "namespace", "labels", "annotations", "generation")},
            "spec": obj["spec"]}


CHANGES = [
    ("image: redis", "image: redis:7"),  # imagePullPolicy: Always was defaulted for `redis`: it stays
    ("image: redis", "image: redis:7\n          env:\n          - {name: A, value: '1'}\n          - {name: B, value: '2'}"),
]


@pytest.mark.parametrize("change", CHANGES, ids=["image", "image+env"])
async def test_reapply_of_a_changed_manifest_leaves_what_kubectl_leaves(pair, tmp_path, change):
    s, kubectl, twin = pair
    text = (SAMPLES / "counter-redis-svc.yml").read_text()
    assert change[0] in text
    changed = tmp_path / "redis.yml"
    changed.write_text(text.replace(change[0], change[1]))
    code, out, err = await kubectl("apply", "-f", str(changed))
    assert (code, err) == (0, "")
    assert twin.feed(f"kubectl apply -f {changed}") == out
    for kind, name in (("Deployment", "redis"), ("Service", "redis")):
        code, body, err = await kubectl("get", kind.lower(), name, "-o", "json", settle=False)
        served = json.loads(body)
        mine = twin.cluster.store.get(kind, "default", name)
        assert _user_fields(served) == _user_fields(mine), kind
    container = twin.cluster.store.get("Deployment", "default", "redis")["spec"]["template"]["spec"]["containers"][0]
    assert (container["image"], container["imagePullPolicy"]) == ("redis:7", "Always")
    # a second apply dropping the env again removes what the last apply declared, nothing else
    changed.write_text(text.replace("image: redis", "image: redis:7"))
    code, out, err = await kubectl("apply", "-f", str(changed))
    assert twin.feed(f"kubectl apply -f {changed}") == out
    code, body, err = await kubectl("get", "deploy", "redis", "-o", "json", settle=False)
    assert _user_fields(json.loads(body)) == _user_fields(twin.cluster.store.get("Deployment", "default", "redis"))


def test_three_way_merge_by_key():
    live = {"spec": {"containers": [{"name": "a", "image": "x", "imagePullPolicy": "Always"},
                                    {"name": "injected", "image": "sidecar"}],
                     "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%"}},
                     "finalizers": ["server", "mine"]}}
    last = {"spec": {"containers": [{"name": "a", "image": "x"}], "strategy": {"type": "RollingUpdate"},
                     "finalizers": ["mine"]}}
    new = {"spec": {"containers": [{"name": "b", "image": "y"}, {"name": "a", "image": "x:2"}],
                    "strategy": {"type": "Recreate"}, "finalizers": []}}
    out = three_way_merge(live, last, new, "Deployment")
    assert out["spec"]["containers"] == [{"name": "b", "image": "y"},
                                         {"name": "a", "image": "x:2", "imagePullPolicy": "Always"},
                                         {"name": "injected", "image": "sidecar"}]
    assert out["spec"]["strategy"] == {"type": "Recreate"}  # retainKeys
    assert out["spec"]["finalizers"] == ["server"]
