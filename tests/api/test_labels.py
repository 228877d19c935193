"""One label-selector implementation (engine/labels.py) for kubectl's -l, workloads'
metav1.LabelSelector, Services' selector maps and the strings kubectl prints. The copies it
replaces disagreed on the empty selector (one matched nothing, another everything) and on
set-based requirements; these pin apimachinery's answers."""
from __future__ import annotations

import pytest

from engine.api import labels

WEB = {"app": "web", "tier": "front", "zone": "a"}


@pytest.mark.parametrize("text, matches", [
    ("app=web", True), ("app==web", True), ("app!=web", False), ("app!=db", True), ("missing!=x", True),
    ("app in (web,db)", True), ("app notin (web)", False), ("app notin (db)", True), ("missing notin (x)", True),
    ("zone", True), ("!zone", False), ("!missing", True), ("app=web,tier=back", False), ("", True),
])
def test_parsed_selectors_match_as_apimachinery(text, matches):
    assert labels.parse(text).matches(WEB) is matches


def test_a_label_selector_nil_selects_nothing_and_empty_everything():
    assert not labels.from_label_selector(None).matches(WEB)
    assert labels.from_label_selector({}).matches(WEB)
    assert labels.from_label_selector({"matchLabels": {}, "matchExpressions": []}).matches({})
    sel = {"matchLabels": {"app": "web"}, "matchExpressions": [
        {"key": "tier", "operator": "In", "values": ["front", "back"]},
        {"key": "canary", "operator": "DoesNotExist"}, {"key": "zone", "operator": "Exists"}]}
    assert labels.from_label_selector(sel).matches(WEB)
    assert not labels.from_label_selector(sel).matches({**WEB, "canary": "1"})


def test_an_unknown_operator_is_apimachinerys_error():
    with pytest.raises(labels.SelectorError) as e:
        labels.from_label_selector({"matchExpressions": [{"key": "a", "operator": "Foo"}]})
    assert str(e.value) == '"Foo" is not a valid label selector operator'
    assert not labels.label_selector_matches({"matchExpressions": [{"key": "a", "operator": "Foo"}]}, WEB)


def test_a_service_without_a_selector_selects_no_pods():
    assert not labels.service_selects({}, WEB) and not labels.service_selects(None, WEB)
    assert labels.service_selects({"app": "web"}, WEB)


def test_the_printed_form_is_sorted_by_key_with_sorted_values():
    sel = {"matchLabels": {"tier": "db", "app": "redis"}, "matchExpressions": [
        {"key": "env", "operator": "In", "values": ["prod", "dev"]},
        {"key": "canary", "operator": "DoesNotExist"}, {"key": "zone", "operator": "Exists"},
        {"key": "track", "operator": "NotIn", "values": ["b", "a"]}]}
    assert labels.format_label_selector(sel) == "app=redis,!canary,env in (dev,prod),tier=db,track notin (a,b),zone"
    assert labels.format_label_selector({}) == labels.format_label_selector(None) == "<none>"
    assert str(labels.parse("b>1,a=x,c in (z,y)")) == "a=x,b>1,c in (y,z)"


def test_one_converter_refuses_what_apimachinery_refuses():
    """LabelSelectorAsSelector converts every term (labels.NewRequirement's checks) before matching.
    The validation copy this replaces matched first (so a mismatching matchLabels hid an invalid
    term), and the lenient copy here accepted `In` without values."""
    bad = {"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "In", "values": []}]}
    assert labels.selector_matches(bad, {}) is None
    with pytest.raises(labels.SelectorError, match="values set can't be empty"):
        labels.from_label_selector(bad)
    assert not labels.label_selector_matches(bad, WEB)
    with pytest.raises(labels.SelectorError, match="name part must consist of"):
        labels.from_label_selector({"matchExpressions": [{"key": "bad key!", "operator": "Exists"}]})
    assert labels.selector_matches({"matchLabels": {"app": "web"}}, WEB) is True
    assert labels.selector_matches({"matchLabels": {"app": "db"}}, WEB) is False
    assert labels.selector_matches(None, WEB) is False and labels.selector_matches({}, WEB) is True
    assert labels.selector_matches("app=web", WEB) is None


def test_a_workload_with_an_unconvertible_selector_is_refused_as_invalid_not_as_a_mismatch():
    from engine.api.validation.validator import validate
    dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
           "spec": {"selector": {"matchLabels": {"app": "x"},
                                 "matchExpressions": [{"key": "tier", "operator": "In", "values": []}]},
                    "template": {"metadata": {"labels": {"app": "y"}},
                                 "spec": {"containers": [{"name": "a", "image": "nginx"}]}}}}
    errs = [str(e) for e in validate(dep)]
    assert any(e.startswith("spec.selector: Invalid value: ") and e.endswith(": invalid label selector") for e in errs)
    assert not any("does not match template" in e for e in errs)
