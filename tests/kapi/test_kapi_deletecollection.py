"""DELETE of a collection (`deletecollection`) through the served API, as kube-apiserver answers
it (apiserver `endpoints/handlers/delete.go DeleteCollection`, registry `Store.DeleteCollection`):
the objects the selectors take, each deleted as one normal delete, answered with the list
(`ConfigMapList`, `PodList`) as it was before; `dryRun` deletes nothing."""
from __future__ import annotations

import aiohttp
import kubernetes
import pytest

from tests.served import served_samples

served = served_samples(settle_on_write=True, needs_kubectl=False, scope="function")  # (each test changes it)


@pytest.fixture
def v1(served):
    client = kubernetes.config.new_client_from_config(config_file=str(served.kubeconfig))
    yield kubernetes.client.CoreV1Api(client)
    client.close()


def _configmaps(v1, *specs: tuple[str, dict[str, str]]) -> None:
    for name, labels in specs:
        v1.create_namespaced_config_map("default", kubernetes.client.V1ConfigMap(
            metadata=kubernetes.client.V1ObjectMeta(name=name, labels=labels), data={"k": name}))


def _names(served, kind: str, namespace: str = "default") -> list[str]:
    return served.call(lambda: sorted(o["metadata"]["name"] for o in served.cluster.store.list(kind, namespace)))


def test_the_python_client_deletes_a_collection_by_label(v1, served):
    _configmaps(v1, ("a1", {"app": "a"}), ("a2", {"app": "a"}), ("b1", {"app": "b"}))
    events: list = []
    served.call(lambda: served.cluster.store.watch("ConfigMap", events.append))
    out = v1.delete_collection_namespaced_config_map("default", label_selector="app=a")
    assert out.kind == "ConfigMapList" and out.api_version == "v1"  # (the client reads it as a V1Status)
    assert "a1" not in _names(served, "ConfigMap") and "a2" not in _names(served, "ConfigMap")
    assert "b1" in _names(served, "ConfigMap")
    assert sorted((ev.type, ev.obj["metadata"]["name"]) for ev in events) == [("DELETED", "a1"), ("DELETED", "a2")]


def test_pods_go_gracefully_and_their_deployment_replaces_them(v1, served):
    before = [p for p in _names(served, "Pod") if p.startswith("counter-")]
    assert before
    v1.delete_collection_namespaced_pod("default", label_selector="app=counter")
    served.settle()
    after = [p for p in _names(served, "Pod") if p.startswith("counter-")]
    assert after and not set(after) & set(before)  # the old ones gone, the ReplicaSet's new ones there


async def test_a_raw_request_gets_the_list_and_a_dry_run_keeps_everything(v1, served):
    _configmaps(v1, ("a1", {"app": "a"}), ("a2", {"app": "a"}), ("b1", {"app": "b"}))
    base = f"{served.served.url}/api/v1/namespaces/default/configmaps"
    async with aiohttp.ClientSession() as session:
        async with session.delete(base, params={"labelSelector": "app=a", "dryRun": "All"}) as r:
            assert r.status == 200
            body = await r.json()
        assert (body["kind"], body["apiVersion"]) == ("ConfigMapList", "v1") and body["metadata"]["resourceVersion"]
        assert [i["metadata"]["name"] for i in body["items"]] == ["a1", "a2"]
        assert {"a1", "a2", "b1"} <= set(_names(served, "ConfigMap"))
        async with session.delete(base, params={"fieldSelector": "metadata.name=b1"},
                                  json={"kind": "DeleteOptions", "apiVersion": "v1",
                                        "propagationPolicy": "Background"}) as r:
            assert r.status == 200
            assert [i["data"] for i in (await r.json())["items"]] == [{"k": "b1"}]
        assert "b1" not in _names(served, "ConfigMap") and "a1" in _names(served, "ConfigMap")
        async with session.delete(base, params={"labelSelector": "app=nothing"}) as r:
            assert r.status == 200 and (await r.json())["items"] == []
        async with session.delete(base, params={"propagationPolicy": "Sideways"}) as r:
            assert r.status == 422
            assert (await r.json())["message"] == (
                'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "Sideways": '
                'supported values: "Foreground", "Background", "Orphan", "nil"')
        assert "a1" in _names(served, "ConfigMap")


@pytest.mark.parametrize("path", [
    "/api/v1/configmaps",  # (across namespaces: only GET is routed there)
    "/api/v1/namespaces",  # (namespaces have no deletecollection)
    "/api/v1/namespaces/default/secrets",  # (served read-only)
])
async def test_collections_without_the_verb_are_method_not_allowed(served, path):
    async with aiohttp.ClientSession() as session:
        async with session.delete(served.served.url + path) as r:
            assert r.status == 405
            body = await r.json()
    assert (body["reason"], body["message"]) == (
        "MethodNotAllowed", "the server does not allow this method on the requested resource")
    assert "default" in _names(served, "Namespace", None)
