"""`propagationPolicy` on a DELETE (one object or a collection) through the served API:
`Orphan` (kubectl's `--cascade=orphan`) leaves the dependents, without their ownerReference
to the deleted owner, as the garbage collector's orphan finalizer leaves them; `Background`
(kubectl's default) lets the collector delete them; bad options are refused in
apimachinery's ValidateDeleteOptions words."""
from __future__ import annotations

import aiohttp

from tests.served import Kubectl, served_samples

served = served_samples(settle_on_write=True, needs_kubectl=False, scope="function")  # (each test changes it)


def _owned(served, kind: str, prefix: str) -> dict[str, list[str]]:
    """The objects of `kind` named `prefix...`, with the kinds of their owners."""
    return served.call(lambda: {o["metadata"]["name"]: [r["kind"] for r in o["metadata"].get("ownerReferences") or []]
                                for o in served.cluster.store.list(kind, "default")
                                if o["metadata"]["name"].startswith(prefix)})


async def test_cascade_orphan_keeps_the_replicaset_and_its_pods(served, tmp_path):
    kubectl = Kubectl(served, tmp_path / "k")
    pods = _owned(served, "Pod", "counter-")
    assert [rs for rs in _owned(served, "ReplicaSet", "counter-").values()] == [["Deployment"]]
    assert await kubectl("delete", "deploy", "counter", "--cascade=orphan") == (
        0, 'deployment.apps "counter" deleted\n', "")
    served.settle()
    assert served.call(lambda: served.cluster.store.get("Deployment", "default", "counter")) is None
    assert list(_owned(served, "ReplicaSet", "counter-").values()) == [[]]  # kept, owned by nothing
    assert _owned(served, "Pod", "counter-") == pods  # still the ReplicaSet's


async def test_background_lets_the_collector_delete_the_dependents(served, tmp_path):
    kubectl = Kubectl(served, tmp_path / "k")
    assert await kubectl("delete", "deploy", "counter") == (0, 'deployment.apps "counter" deleted\n', "")
    served.settle()
    assert _owned(served, "ReplicaSet", "counter-") == {}


async def test_a_collection_deleted_with_orphan_and_refused_options(served):
    url = f"{served.served.url}/apis/apps/v1/namespaces/default/deployments"
    async with aiohttp.ClientSession() as session:
        async with session.delete(url, params={"fieldSelector": "metadata.name=counter"},
                                  json={"propagationPolicy": "Orphan"}) as r:
            assert r.status == 200
            assert [d["metadata"]["name"] for d in (await r.json())["items"]] == ["counter"]
        async with session.delete(url, json={"propagationPolicy": "Background", "orphanDependents": True}) as r:
            assert r.status == 422
            body = await r.json()
    served.settle()
    assert list(_owned(served, "ReplicaSet", "counter-").values()) == [[]]
    assert body["message"] == ('DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Invalid value: '
                               '"Background": orphanDependents and deletionPropagation cannot be both set')
    assert body["details"]["causes"] == [{"reason": "FieldValueInvalid", "field": "propagationPolicy",
                                          "message": 'Invalid value: "Background": orphanDependents and '
                                                     "deletionPropagation cannot be both set"}]
    assert served.call(lambda: served.cluster.store.get("Deployment", "default", "redis")) is not None
