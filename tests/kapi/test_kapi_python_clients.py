"""The official Python clients against the served API (issue 16): `kubernetes` (sync) and
`kubernetes_asyncio` list, watch, create, patch, delete and exec with their own models and
kubeconfig loading, unchanged."""
from __future__ import annotations

import threading
import urllib.error
import urllib.request

import kubernetes
import kubernetes_asyncio
import pytest
from kubernetes.stream import stream

from tests.served import served_samples

served = served_samples(settle_on_write=True, needs_kubectl=False)


@pytest.fixture
def core(served):
    client = kubernetes.config.new_client_from_config(config_file=str(served.kubeconfig))
    yield kubernetes.client.CoreV1Api(client), kubernetes.client.AppsV1Api(client)
    client.close()


def test_list_get_and_the_models_the_client_builds(core, served):
    v1, apps = core
    svcs = {s.metadata.name: s for s in v1.list_namespaced_service("default").items}
    assert set(svcs) == {"counter-np", "kubernetes", "redis"}
    assert svcs["redis"].spec.ports[0].port == 6379 and svcs["redis"].spec.cluster_ip.startswith("10.96.")
    assert svcs["counter-np"].spec.ports[0].node_port == 31000
    redis = apps.read_namespaced_deployment("redis", "default")
    assert redis.status.ready_replicas == 1
    pods = v1.list_namespaced_pod("default", label_selector="tier=db")
    assert [p.metadata.name for p in pods.items] == [served.pod("default", "redis-")]
    with pytest.raises(kubernetes.client.ApiException) as e:
        v1.read_namespaced_service("nope", "default")
    assert e.value.status == 404 and '"reason":"NotFound"' in e.value.body.replace(" ", "")


def test_create_patch_delete_a_configmap(core):
    v1, _ = core
    cm = kubernetes.client.V1ConfigMap(metadata=kubernetes.client.V1ObjectMeta(name="py"), data={"a": "1"})
    made = v1.create_namespaced_config_map("default", cm)
    assert made.metadata.uid and made.data == {"a": "1"}
    patched = v1.patch_namespaced_config_map("py", "default", {"data": {"b": "2"}})
    assert patched.data == {"a": "1", "b": "2"}
    v1.delete_namespaced_config_map("py", "default")
    assert "py" not in [c.metadata.name for c in v1.list_namespaced_config_map("default").items]


def test_delete_a_service_answers_the_service(core):
    """kube-apiserver's Service storage returns the deleted object (ReturnDeletedObject), and
    the client types the answer as a V1Service: a Status there failed its validation (tester3)."""
    v1, _ = core
    svc = kubernetes.client.V1Service(metadata=kubernetes.client.V1ObjectMeta(name="pysvc"),
                                      spec=kubernetes.client.V1ServiceSpec(ports=[kubernetes.client.V1ServicePort(port=80)]))
    made = v1.create_namespaced_service("default", svc)
    gone = v1.delete_namespaced_service("pysvc", "default")
    assert isinstance(gone, kubernetes.client.V1Service)
    assert (gone.metadata.name, gone.metadata.uid, gone.spec.cluster_ip) == ("pysvc", made.metadata.uid,
                                                                            made.spec.cluster_ip)
    assert "pysvc" not in [s.metadata.name for s in v1.list_namespaced_service("default").items]


def test_an_unknown_path_is_kube_apiservers_404_with_empty_details(served):
    """Every 404 of a path nothing serves carries `"details":{}`; kubectl debug reads
    `Details.Name` off it (a nil Details made the real kubectl panic)."""
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(served.served.url + "/api/v1/namespaces/default/pods/x/nosuchsub", timeout=30)
    assert e.value.code == 404
    assert e.value.read().decode() == ('{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":'
                                     '"the server could not find the requested resource","reason":"NotFound",'
                                     '"details":{},"code":404}\n')


def test_watch_sees_a_scale_up(core, served):
    v1, apps = core
    rv = v1.list_namespaced_pod("default").metadata.resource_version
    seen: list[tuple[str, str]] = []
    done = threading.Event()

    def watch() -> None:
        w = kubernetes.watch.Watch()
        for ev in w.stream(v1.list_namespaced_pod, "default", resource_version=rv, timeout_seconds=20,
                           label_selector="app=counter,tier=db"):
            seen.append((ev["type"], ev["object"].metadata.name))
            if sum(1 for t, _ in seen if t == "ADDED") >= 2:
                w.stop()
        done.set()

    t = threading.Thread(target=watch, daemon=True)
    t.start()
    apps.patch_namespaced_deployment_scale("redis", "default", {"spec": {"replicas": 3}})
    assert done.wait(30)
    added = {name for typ, name in seen if typ == "ADDED"}
    assert len(added) == 2 and all(n.startswith("redis-") for n in added)
    apps.patch_namespaced_deployment_scale("redis", "default", {"spec": {"replicas": 1}})


def test_exec_through_the_clients_stream(core, served):
    v1, _ = core
    pod = served.pod("default", "counter-")
    out = stream(v1.connect_get_namespaced_pod_exec, pod, "default", command=["cat", "/etc/resolv.conf"],
                 stderr=True, stdin=False, stdout=True, tty=False)
    assert "nameserver 10.96.0.10" in out and "search default.svc.cluster.local" in out


async def test_the_asyncio_client_lists_with_its_own_kubeconfig_loading(served):
    cfg = kubernetes_asyncio.client.Configuration()
    await kubernetes_asyncio.config.load_kube_config(config_file=str(served.kubeconfig), client_configuration=cfg)
    async with kubernetes_asyncio.client.ApiClient(cfg) as api:
        v1 = kubernetes_asyncio.client.CoreV1Api(api)
        nodes = await v1.list_node()
        assert [n.metadata.name for n in nodes.items] == ["kind-control-plane", "kind-worker", "kind-worker2"]
        eps = await v1.read_namespaced_endpoints("redis", "default")
        assert eps.subsets[0].ports[0].port == 6379


def test_logs_through_the_client(core, served):
    v1, _ = core
    log = v1.read_namespaced_pod_log(served.pod("default", "redis-"), "default")
    assert "Ready to accept connections" in log
