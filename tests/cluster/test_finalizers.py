"""Finalizers hold what they are on (tester5 #5): a delete marks the object (deletionTimestamp)
and it stays until the update that removes its last finalizer (a pod too, its containers
stopped); no new
finalizer may be added meanwhile; a namespace whose content has one stays Terminating and says
which (NamespaceFinalizersRemaining), the most searched "stuck namespace" of all."""
from __future__ import annotations

import pytest

from engine.api.apiserver import ApiError
from engine.api.store import json_copy
from engine.cluster.cluster import Cluster
from engine.kubectl.session import Session
from tests.helpers import apply_yaml

HELD = """apiVersion: v1
kind: ConfigMap
metadata: {name: hold, namespace: NS, finalizers: [example.com/hold]}
data: {a: b}
"""


def _without_finalizers(c: Cluster, kind: str, ns: str, name: str) -> dict:
    live = c.store.get(kind, ns, name)
    new = json_copy(live)
    new["metadata"].pop("finalizers")
    return c.api.update(live, new)


def test_a_finalizer_holds_a_deleted_object_until_it_is_removed():
    c = Cluster(deterministic=True)
    apply_yaml(c, HELD.replace("NS", "default"))
    c.api.delete_object("ConfigMap", "default", "hold")
    held = c.store.get("ConfigMap", "default", "hold")
    assert held is not None and held["metadata"]["deletionTimestamp"]
    assert held["metadata"]["deletionGracePeriodSeconds"] == 0
    new = json_copy(held)
    new["metadata"]["finalizers"].append("example.com/more")
    with pytest.raises(ApiError) as e:
        c.api.update(held, new)
    assert 'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, ' \
           'found new finalizers []string{"example.com/more"}' in str(e.value)
    _without_finalizers(c, "ConfigMap", "default", "hold")
    assert c.store.get("ConfigMap", "default", "hold") is None


def test_a_pod_with_a_finalizer_stays_after_its_containers_stop():
    c = Cluster(deterministic=True)
    s = Session(c, settle=True)
    apply_yaml(c, "apiVersion: v1\nkind: Pod\nmetadata: {name: p, finalizers: [example.com/hold]}\n"
                  "spec: {containers: [{name: c, image: nginx}]}\n")
    c.run_for(20)
    s.feed("kubectl delete pod p")
    c.run_for(60)
    # (its containers stopped, the kubelet wrote the terminal phase: kubectl prints a terminal
    # pod's phase even while it is being deleted)
    assert s.feed("kubectl get pod p").splitlines()[1].split()[1:3] == ["0/1", "Completed"]
    assert c.store.get("Pod", "default", "p")["metadata"]["deletionTimestamp"]
    _without_finalizers(c, "Pod", "default", "p")
    c.run_until_idle()
    assert c.store.get("Pod", "default", "p") is None


def test_a_namespace_waits_for_its_contents_finalizers_and_says_which():
    c = Cluster(deterministic=True)
    s = Session(c, settle=True)
    s.feed("kubectl create namespace fin")
    apply_yaml(c, HELD.replace("NS", "fin"))
    s.feed("kubectl delete namespace fin")
    c.run_for(10)
    ns = c.store.get("Namespace", "", "fin")
    assert ns is not None and ns["status"]["phase"] == "Terminating"
    conds = {x["type"]: x for x in ns["status"]["conditions"]}
    assert (conds["NamespaceFinalizersRemaining"]["status"], conds["NamespaceFinalizersRemaining"]["reason"],
            conds["NamespaceFinalizersRemaining"]["message"]) == (
        "True", "SomeFinalizersRemain",
        "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances")
    _without_finalizers(c, "ConfigMap", "fin", "hold")
    c.run_for(5)
    assert c.store.get("Namespace", "", "fin") is None


def test_an_update_keeps_a_namespaces_spec_finalizers():
    """tester5 #5 (LOW): they change only through /finalize (the namespace strategy)."""
    c = Cluster(deterministic=True)
    Session(c, settle=True).feed("kubectl create namespace nsf")
    live = c.store.get("Namespace", "", "nsf")
    new = json_copy(live)
    new["spec"] = {"finalizers": ["example.com/x"]}
    assert c.api.update(live, new)["spec"]["finalizers"] == ["kubernetes"]
