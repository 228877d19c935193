"""The cluster components' managedFields are worked out once per stored version of an object
(kube-apiserver stores them with it): the same version serves the same entries, and a new
version -- a pod given another IP -- serves entries of what it now holds."""
from __future__ import annotations

import copy

from engine.apply.workspace import cluster_from_paths
from engine.kapi.controllerfields import ComponentFields
from tests.helpers import SAMPLES


def _kubelet_ips(served: dict) -> list[str]:
    entry = next(e for e in served["metadata"]["managedFields"] if e["manager"] == "kubelet")
    return sorted(k for k in entry["fieldsV1"]["f:status"]["f:podIPs"] if k != ".")


def test_a_version_serves_its_entries_and_a_new_version_its_own():
    cluster, _ = cluster_from_paths([SAMPLES], deterministic=True)
    fields = ComponentFields(cluster.store)
    pod = next(p for p in cluster.store.list("Pod", "default") if p["metadata"]["name"].startswith("redis-"))
    first, again = fields.served(pod), fields.served(pod)
    assert first["metadata"]["managedFields"] == again["metadata"]["managedFields"]
    assert [e["manager"] for e in first["metadata"]["managedFields"]] == ["kube-controller-manager", "kubelet"]
    assert _kubelet_ips(first) == [f'k:{{"ip":"{pod["status"]["podIP"]}"}}']
    assert "managedFields" not in pod["metadata"]  # (the stored object is untouched)

    moved = copy.deepcopy(pod)
    moved["status"]["podIP"] = "10.244.9.9"
    moved["status"]["podIPs"] = [{"ip": "10.244.9.9"}]
    stored = cluster.store.update(moved, owned=True)
    assert _kubelet_ips(fields.served(stored)) == ['k:{"ip":"10.244.9.9"}']
