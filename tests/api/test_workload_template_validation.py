"""The apps validators share one selector/template check (ValidatePodTemplateSpecForReplicaSet
and ...ForStatefulSet differ only in what they leave out): the same causes, in kube-apiserver's
words, for a Deployment and a StatefulSet."""
from __future__ import annotations

from engine.api.validation.messages import format_invalid
from engine.api.validation.validator import validate


def sts(selector="same", labels=None, **spec) -> dict:
    tmpl = {"metadata": {"labels": {"app": "web"} if labels is None else labels},
            "spec": {"containers": [{"name": "nginx", "image": "nginx"}], "restartPolicy": "Always"}}
    body = {"serviceName": "web", "podManagementPolicy": "OrderedReady", "updateStrategy": {"type": "RollingUpdate"},
            "replicas": 1, "template": tmpl, **spec}
    if selector == "same":
        body["selector"] = {"matchLabels": {"app": "web"}}
    elif selector is not None:
        body["selector"] = selector
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "web"}, "spec": body}


def render(obj: dict) -> str:
    return format_invalid(obj["kind"], obj["metadata"]["name"], validate(obj))


def test_a_statefulset_without_selector_is_told_both_causes_as_a_deployment_is():
    # (labels.Nothing() for a nil selector: never empty, it matches no template)
    assert render(sts(selector=None)) == (
        'The StatefulSet "web" is invalid: \n* spec.selector: Required value\n'
        '* spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: '
        "`selector` does not match template `labels`")


def test_a_statefulset_with_an_empty_selector():
    assert render(sts(selector={})) == (
        'The StatefulSet "web" is invalid: spec.selector: Invalid value: &LabelSelector{MatchLabels:'
        "map[string]string{},MatchExpressions:[]LabelSelectorRequirement{},}: empty selector is invalid for statefulset")


def test_a_statefulset_whose_selector_does_not_match_and_that_restarts_never():
    obj = sts(labels={"app": "other"})
    obj["spec"]["template"]["spec"]["restartPolicy"] = "Never"
    assert render(obj) == (
        'The StatefulSet "web" is invalid: \n'
        '* spec.template.metadata.labels: Invalid value: map[string]string{"app":"other"}: '
        "`selector` does not match template `labels`\n"
        '* spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"')


def test_an_unconvertible_statefulset_selector_has_no_words_of_its_own():
    # (a Deployment's says "invalid label selector"; ValidateStatefulSetSpec gives an empty detail)
    obj = sts(selector={"matchExpressions": [{"key": "app", "operator": "In"}]})
    assert render(obj).endswith(
        "\n* spec.selector: Invalid value: &LabelSelector{MatchLabels:map[string]string{},MatchExpressions:"
        "[]LabelSelectorRequirement{LabelSelectorRequirement{Key:app,Operator:In,Values:[],},},}")
