"""apps/v1's selectors are immutable (ValidateDeploymentUpdate and its ReplicaSet and
DaemonSet twins): an apply that changes one is refused with kube-apiserver's words, and the
Deployment keeps its pods (a property test found the simulation accepting the change and
orphaning the old ReplicaSet's pods)."""
from __future__ import annotations

import pytest

from engine.api.apiserver import ApiError
from engine.api.objects import clone
from engine.apply.workspace import cluster_from_paths
from tests.helpers import SAMPLES


def test_changing_a_deployments_selector_is_refused_as_kube_apiserver_refuses_it():
    c = cluster_from_paths([SAMPLES], deterministic=True)[0]
    c.run_until_idle()
    live = c.store.get("Deployment", "default", "redis")
    new = clone(live)
    new["spec"]["selector"] = {"matchLabels": {"app": "counter"}}
    new["spec"]["template"]["metadata"]["labels"] = {"app": "counter"}
    with pytest.raises(ApiError) as e:
        c.api.update(live, new, verb="patching")
    assert e.value.message == (
        'The Deployment "redis" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:'
        'map[string]string{"app":"counter"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: '
        'field is immutable')
    assert c.store.get("Deployment", "default", "redis")["spec"]["selector"] == live["spec"]["selector"]
    rs = c.store.list("ReplicaSet", "default")[0]
    changed = clone(rs)
    changed["spec"]["selector"] = {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["app"]}]}
    with pytest.raises(ApiError) as e:
        c.api.update(rs, changed)
    assert e.value.message.endswith(
        'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:'
        '[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:"tier", Operator:"In", '
        'Values:[]string{"app"}}}}: field is immutable')
