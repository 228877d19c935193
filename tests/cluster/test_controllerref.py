"""The ControllerRefManager's patches and intstr scaling, shared by the workload controllers:
adoption and release touch only the owner's own reference (a pod's other owners stay), and
maxSurge / maxUnavailable percents round as GetScaledValueFromIntOrPercent does."""
from __future__ import annotations

from engine.controllers.controllerref import adopted, released
from engine.controllers.intstr import scaled_value

RS = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web-1", "uid": "u-rs"}}
OTHER = {"apiVersion": "v1", "kind": "ConfigMap", "name": "keeper", "uid": "u-cm"}


def test_adoption_adds_a_controller_reference_and_keeps_the_others():
    pod = {"kind": "Pod", "metadata": {"name": "p", "ownerReferences": [OTHER]}}
    new = adopted(pod, RS)
    assert new["metadata"]["ownerReferences"] == [OTHER, {
        "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-1", "uid": "u-rs", "controller": True,
        "blockOwnerDeletion": True}]
    assert pod["metadata"]["ownerReferences"] == [OTHER]  # (the stored version is not touched)
    assert adopted(new, RS)["metadata"]["ownerReferences"] == new["metadata"]["ownerReferences"]  # (merged by uid)


def test_release_deletes_only_the_owners_reference():
    pod = adopted({"kind": "Pod", "metadata": {"name": "p", "ownerReferences": [OTHER]}}, RS)
    assert released(pod, RS)["metadata"]["ownerReferences"] == [OTHER]
    alone = adopted({"kind": "Pod", "metadata": {"name": "q"}}, RS)
    assert "ownerReferences" not in released(alone, RS)["metadata"]


def test_percents_round_as_upstream():
    assert scaled_value("25%", 10, True) == 3 and scaled_value("25%", 10, False) == 2
    assert scaled_value("50%", 3, True) == 2  # (a DaemonSet's maxUnavailable over 3 nodes)
    assert scaled_value(1, 3, True) == 1 and scaled_value("0%", 7, True) == 0
