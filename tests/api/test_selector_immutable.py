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


def test_a_changed_selector_that_also_misses_the_template_lists_both_causes():
    """kube-apiserver validates the new spec, then the immutable selector, and reports every
    cause in one Invalid: the learner sees both things to undo, not one then the other."""
    c = cluster_from_paths([SAMPLES], deterministic=True)[0]
    c.run_until_idle()
    live = c.store.get("Deployment", "default", "redis")
    new = clone(live)
    new["spec"]["selector"] = {"matchLabels": {"app": "cache"}}  # the template still says app: counter, tier: db
    with pytest.raises(ApiError) as e:
        c.api.update(live, new, verb="patching")
    msg = e.value.message
    mismatch = ('spec.template.metadata.labels: Invalid value: map[string]string{"app":"counter", "tier":"db"}: '
                '`selector` does not match template `labels`')
    immutable = ('spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"cache"}, '
                 'MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable')
    assert msg.startswith('The Deployment "redis" is invalid: \n') and mismatch in msg and immutable in msg, msg
    assert msg.index(mismatch) < msg.index(immutable)
