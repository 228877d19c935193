"""A DaemonSet's template generation (`deprecated.daemonset.template.generation`): the API
server's strategy keeps it (at least 1 on create, the next one with each new pod template, and
refuses an update that moves it otherwise, in ValidateDaemonSetUpdate's words), and the
DaemonSet controller labels each pod with it (`pod-template-generation`) and counts a pod of
the current generation as updated, as upstream's IsPodUpdated does."""
from __future__ import annotations

import copy

from engine.api.templategeneration import prepare_for_create, prepare_for_update, template_generation
from engine.api.validation.messages import format_invalid
from engine.apply.workspace import cluster_from_paths
from engine.controllers.daemonset import is_pod_updated
from tests.helpers import SAMPLES, apply_yaml

GEN = "deprecated.daemonset.template.generation"
AGENT = """
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, annotations: {deprecated.daemonset.template.generation: "GEN"}}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      tolerations: [{operator: Exists}]
      containers:
      - name: agent
        image: IMAGE
"""


def ds(generation: str | None = None, image: str = "busybox:1.36") -> dict:
    md: dict = {"name": "agent"}
    if generation is not None:
        md["annotations"] = {GEN: generation}
    return {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": md,
            "spec": {"template": {"spec": {"containers": [{"name": "a", "image": image}]}}}}


def test_a_new_daemonset_is_generation_one_or_the_one_it_names():
    for given, want in ((None, "1"), ("0", "1"), ("4", "4")):
        obj = ds(given)
        prepare_for_create(obj)
        assert obj["metadata"]["annotations"][GEN] == want


def test_a_new_template_is_the_next_generation_whatever_the_request_says():
    old = ds("3")
    new = ds("3", image="busybox:1.37")
    assert prepare_for_update(new, old) == [] and template_generation(new) == 4
    new = ds(None, image="busybox:1.37")  # (a PUT without the annotation: still the next one)
    assert prepare_for_update(new, old) == [] and template_generation(new) == 4


def test_the_generation_does_not_move_without_a_new_template():
    old = ds("3")
    assert prepare_for_update(copy.deepcopy(old), old) == []
    for given, why in (("2", "must not be decremented"), (None, "must not be decremented"),
                       ("5", "must not be incremented without template update")):
        errs = prepare_for_update(ds(given), old)
        assert format_invalid("DaemonSet", "agent", errs) == (
            f'The DaemonSet "agent" is invalid: spec.templateGeneration: Invalid value: {given or 0}: {why}')


def test_the_controller_labels_its_pods_with_the_generation():
    c = cluster_from_paths([SAMPLES], deterministic=True)[0]
    apply_yaml(c, AGENT.replace("GEN", "2").replace("IMAGE", "busybox:1.36"))
    pods = [p for p in c.store.list("Pod", "default") if p["metadata"]["name"].startswith("agent-")]
    nodes = c.store.list("Node")
    assert len(pods) == len(nodes) and {p["metadata"]["labels"]["pod-template-generation"] for p in pods} == {"2"}
    status = c.store.get("DaemonSet", "default", "agent")["status"]
    assert status["updatedNumberScheduled"] == len(nodes)


def test_a_pod_is_updated_by_its_hash_or_without_one_by_the_current_generation():
    pod = {"metadata": {"labels": {"controller-revision-hash": "abc", "pod-template-generation": "2"}}}
    assert is_pod_updated(pod, "abc", 7)  # (its revision's hash)
    assert not is_pod_updated(pod, "xyz", 2)  # (a stale hash: a new template, rolled)
    hashless = {"metadata": {"labels": {"pod-template-generation": "2"}}}  # (made before revisions had hashes)
    assert is_pod_updated(hashless, "xyz", 2)
    assert not is_pod_updated(hashless, "xyz", 3) and not is_pod_updated(hashless, "xyz", None)
    assert not is_pod_updated({"metadata": {"labels": {}}}, "", None)


def test_a_manifest_with_a_stale_generation_still_rolls_its_pods():
    c = cluster_from_paths([SAMPLES], deterministic=True)[0]
    apply_yaml(c, AGENT.replace("GEN", "1").replace("IMAGE", "busybox:1.36"))
    before = {p["metadata"]["name"] for p in c.store.list("Pod", "default") if p["metadata"]["name"].startswith("agent-")}
    apply_yaml(c, AGENT.replace("GEN", "1").replace("IMAGE", "busybox:1.37"))
    after = {p["metadata"]["name"] for p in c.store.list("Pod", "default") if p["metadata"]["name"].startswith("agent-")}
    assert before and after and not after & before
    assert {p["spec"]["containers"][0]["image"] for p in c.store.list("Pod", "default")
            if p["metadata"]["name"].startswith("agent-")} == {"busybox:1.37"}
