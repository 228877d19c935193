"""Hardening: Kubernetes input that is wrong is refused with kubectl's words, naming file, line
and field, and a refused object leaves the cluster as it was."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.apply.live import LiveWorkspace
from engine.apply.workspace import cluster_from_paths
from tests.helpers import SAMPLES, apply_file

SVC = """apiVersion: v1
kind: Service
metadata:
  name: redis
spec:
  selector:
    app: redis
  ports:
  - port: 6379
"""
DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx
        ports:
        - containerPort: 80
"""




def only_error(report):
    (err,) = report.errors
    return err


# ---- kinds and names ------------------------------------------------------------------------------

@pytest.mark.parametrize("api_version, kind", [("v1", "Servic"), ("extensions/v1beta1", "Deployment"), ("v2", "Service")])
def test_unknown_apiversion_or_kind_is_a_resource_mapping_error(here, api_version, kind):
    _, report = apply_file(SVC.replace("apiVersion: v1\nkind: Service", f"apiVersion: {api_version}\nkind: {kind}"))
    err = only_error(report)
    assert report.stderr() == (f'error: resource mapping not found for name: "redis" namespace: "" from "f.yaml": '
                               f'no matches for kind "{kind}" in version "{api_version}"\nensure CRDs are installed first\n')
    assert (err.source, err.field) == ("f.yaml:1", "kind")  # the object's first line


@pytest.mark.parametrize("metadata, line", [
    ("metadata:\n  labels: {a: b}\n", 3),
    ("metadata: {}\n", 3),
    ("metadata:\n  name: 42\n", 4),
    ("metadata: just-a-string\n", 3),
    ("", 1),
])
def test_a_missing_or_unusable_name_is_kubectls_resource_name_may_not_be_empty(here, metadata, line):
    text = "apiVersion: v1\nkind: Service\n" + metadata + "spec:\n  ports: [{port: 80}]\n"
    cluster, report = apply_file(text)
    err = only_error(report)
    assert report.stderr() == (
        "error: error when retrieving current configuration of:\n"
        'Resource: "/v1, Resource=services", GroupVersionKind: "/v1, Kind=Service"\n'
        'Name: "", Namespace: "default"\n'
        'from server for: "f.yaml": resource name may not be empty\n')
    assert (err.source, err.field) == (f"f.yaml:{line}", "metadata.name")
    assert not [s for s in cluster.store.list("Service", "default") if s["metadata"]["name"] != "kubernetes"]


def test_generate_name_cannot_be_used_with_apply(here):
    _, report = apply_file(DEPLOY.replace("  name: web\n", "  generateName: web-\n"))
    assert report.stderr() == "error: from web-: cannot use generate name with apply\n"
    assert only_error(report).field == "metadata.generateName"


def test_invalid_names_get_the_api_servers_validation_message(here):
    _, report = apply_file(SVC.replace("name: redis", "name: My_Svc"))
    err = only_error(report)
    assert report.stderr().startswith('The Service "My_Svc" is invalid: metadata.name: Invalid value: "My_Svc": '
                                      "a DNS-1035 label must consist of lower case alphanumeric characters")
    assert (err.source, err.field) == ("f.yaml:4", "metadata.name")


# ---- wrong types ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, kind, go, source, fld", [
    (DEPLOY.replace("replicas: 2", 'replicas: "two"'), "Deployment",
     "cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32", "f.yaml:6", "spec.replicas"),
    (SVC.replace("port: 6379", 'port: "6379"'), "Service",
     "cannot unmarshal string into Go struct field ServicePort.spec.ports.port of type int32", "f.yaml:9", "spec.ports[0].port"),
    (SVC.replace("port: 6379", "port: 6379.5"), "Service",
     "cannot unmarshal number 6379.5 into Go struct field ServicePort.spec.ports.port of type int32", "f.yaml:9",
     "spec.ports[0].port"),
    (SVC.replace("port: 6379", "port: 3000000000"), "Service",
     "cannot unmarshal number 3000000000 into Go struct field ServicePort.spec.ports.port of type int32", "f.yaml:9",
     "spec.ports[0].port"),
    (SVC.replace("    app: redis", "    app: 1"), "Service",
     "cannot unmarshal number into Go struct field ServiceSpec.spec.selector of type string", "f.yaml:7",
     "spec.selector[app]"),
    (SVC.replace("  ports:\n  - port: 6379", "  ports:\n    port: 6379"), "Service",
     "cannot unmarshal object into Go struct field ServiceSpec.spec.ports of type []v1.ServicePort", "f.yaml:8",
     "spec.ports"),
    (SVC.replace("spec:\n  selector:\n    app: redis\n  ports:\n  - port: 6379\n", "spec: [1]\n"), "Service",
     "cannot unmarshal array into Go struct field Service.spec of type v1.ServiceSpec", "f.yaml:5", "spec"),
    (DEPLOY.replace("containerPort: 80", "containerPort: yes"), "Deployment",
     "cannot unmarshal bool into Go struct field ContainerPort.spec.template.spec.containers.ports.containerPort "
     "of type int32", "f.yaml:17", "spec.template.spec.containers[0].ports[0].containerPort"),
    (DEPLOY.replace("image: nginx", "image: nginx\n        args: [1]"), "Deployment",
     "cannot unmarshal number into Go struct field Container.spec.template.spec.containers.args of type string",
     "f.yaml:16", "spec.template.spec.containers[0].args[0]"),
])
def test_wrong_types_are_bad_requests_in_go_json_words_with_file_line_and_field(here, text, kind, go, source, fld):
    cluster, report = apply_file(text)
    err = only_error(report)
    assert report.stderr() == (f'Error from server (BadRequest): error when creating "f.yaml": {kind} in version "v1" '
                               f"cannot be handled as a {kind}: json: {go}\n")
    assert (err.source, err.field) == (source, fld)


def test_a_wrong_type_comes_before_unknown_fields_and_the_first_in_sorted_order_wins(here):
    text = SVC.replace("  - port: 6379", "  - port: x\n    name: 5\n    nodeport: 3")
    _, report = apply_file(text)
    assert "ServicePort.spec.ports.name of type string" in report.stderr()


def test_a_string_target_port_is_a_port_name_and_is_validated_as_one(here):
    _, report = apply_file(SVC.replace("port: 6379", 'port: 6379\n    targetPort: "6379"'))
    assert report.stderr() == ('The Service "redis" is invalid: spec.ports[0].targetPort: Invalid value: "6379": '
                               "must contain at least one letter (a-z)\n")
    assert only_error(report).source == "f.yaml:10"


def test_a_namespace_that_is_not_a_string_is_replaced_by_the_default_as_kubectl_does(here):
    cluster, report = apply_file(SVC.replace("  name: redis\n", "  name: redis\n  namespace: 7\n"))
    assert report.lines == ["service/redis created"]
    assert cluster.get("Service", "default", "redis") is not None


# ---- ports ----------------------------------------------------------------------------------------

def test_out_of_range_ports_are_invalid(here):
    _, report = apply_file(SVC.replace("port: 6379", "port: 70000"))
    assert report.stderr() == ('The Service "redis" is invalid: \n'
                               "* spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive\n"
                               "* spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive\n")
    assert only_error(report).source == "f.yaml:9"


def test_node_port_outside_the_range_or_taken(here):
    np = SVC.replace("spec:\n", "spec:\n  type: NodePort\n").replace("port: 6379", "port: 6379\n    nodePort: {np}")
    _, report = apply_file(np.format(np=80))
    assert report.stderr() == ('The Service "redis" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided '
                               "port is not in the valid range. The range of valid ports is 30000-32767\n")
    assert only_error(report).source == "f.yaml:11"
    Path("a.yaml").write_text(np.format(np=31000))
    Path("b.yaml").write_text(np.format(np=31000).replace("name: redis", "name: redis2"))
    cluster, report = cluster_from_paths(["a.yaml", "b.yaml"], deterministic=True)
    assert report.lines == ["service/redis created"]
    assert report.stderr() == ('The Service "redis2" is invalid: spec.ports[0].nodePort: Invalid value: 31000: '
                               "provided port is already allocated\n")
    assert only_error(report).source == "b.yaml:11"
    assert cluster.get("Service", "default", "redis2") is None


def test_a_service_in_a_namespace_that_does_not_exist(here):
    _, report = apply_file(SVC.replace("  name: redis\n", "  name: redis\n  namespace: shop\n"))
    assert report.stderr() == ('Error from server (NotFound): error when creating "f.yaml": '
                               'namespaces "shop" not found\n')
    assert (only_error(report).source, only_error(report).field) == ("f.yaml:5", "metadata.namespace")


def test_one_bad_object_never_stops_the_others(here):
    text = SVC + "---\n" + SVC.replace("name: redis", "name: Bad_Name") + "---\n" + DEPLOY
    cluster, report = apply_file(text)
    assert report.lines == ["service/redis created", "deployment.apps/web created"]
    assert only_error(report).source == "f.yaml:14"


# ---- duplicates across files ----------------------------------------------------------------------

def test_duplicate_objects_across_files_apply_in_order_and_the_report_says_the_last_wins(here):
    Path("a.yaml").write_text(SVC)
    Path("b.yaml").write_text(SVC.replace("port: 6379", "port: 6380"))
    cluster, report = cluster_from_paths(["a.yaml", "b.yaml"], deterministic=True)
    assert report.lines == ["service/redis created", "service/redis configured"]  # what kubectl prints
    (dup,) = report.duplicates
    assert dup.key == ("Service", "default", "redis") and dup.sources == ["a.yaml:1", "b.yaml:1"]
    (w,) = report.warnings
    assert w.message == ("warning: service/redis is declared more than once (a.yaml:1 and b.yaml:1); "
                         "the last one (b.yaml:1) wins, as kubectl applies files in order")
    assert cluster.get("Service", "default", "redis")["spec"]["ports"][0]["port"] == 6380


def test_the_live_dashboard_applies_a_duplicate_once_so_reloads_do_not_flip_it(here):
    Path("m").mkdir()
    Path("m/a.yaml").write_text(SVC)
    Path("m/b.yaml").write_text(SVC.replace("port: 6379", "port: 6380"))
    ws = LiveWorkspace(["m"], deterministic=True)
    first = ws.reload()
    assert first.lines == ["service/redis created"]
    assert [d.winner for d in first.report.duplicates] == ["m/b.yaml:1"]
    again = ws.reload()
    assert again.lines == ["service/redis unchanged"] and again.pruned == []
    assert ws.cluster.get("Service", "default", "redis")["spec"]["ports"][0]["port"] == 6380


# ---- rejected objects leave the cluster as it was ----------------------------------------------------

def test_a_rejected_change_leaves_the_live_object_as_it_was(tmp_path):
    for f in SAMPLES.glob("*.yml"):
        shutil.copy(f, tmp_path / f.name)
    ws = LiveWorkspace([tmp_path], deterministic=True)
    ws.reload()
    ws.settle()
    before = ws.cluster.get("Service", "default", "redis")
    f = tmp_path / "counter-redis-svc.yml"
    good = f.read_text()
    for bad in (good.replace("port: 6379", 'port: "6379"'), good.replace("port: 6379", "port: 99999"),
                good.replace("name: redis\n", "name: redis\n  labels: {tier: 1}\n", 1)):
        f.write_text(bad)
        res = ws.reload()
        assert res.report.errors and res.pruned == []
        assert ws.cluster.get("Service", "default", "redis") == before
        assert ws.applied[("Service", "default", "redis")] == str(f)
    f.write_text(good)
    res = ws.reload()
    assert res.report.errors == [] and "service/redis unchanged" in res.lines


def test_a_name_yaml_reads_as_a_boolean_gets_a_hint_besides_kubectls_error(here):
    _, report = apply_file(SVC.replace("name: redis", "name: yes"))
    assert "resource name may not be empty" in report.stderr()
    (w,) = report.warnings
    assert w.source == "f.yaml:4"
    assert w.message == ("svcflow: metadata.name is the boolean true: YAML 1.1, which kubectl reads, takes y, yes, "
                         "on and true for booleans; quote it")


async def test_the_dashboard_shows_duplicates_and_hints_in_the_error_bar(here):
    from tui.app import SvcflowApp

    Path("m").mkdir()
    Path("m/a.yaml").write_text(SVC)
    Path("m/b.yaml").write_text(SVC.replace("port: 6379", "port: 6380"))
    Path("m/c.yaml").write_text(SVC.replace("name: redis", "name: on"))
    app = SvcflowApp(["m"], deterministic=True, watch=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        bar = app.query_one("#errors")
        text = bar.render().plain
        assert bar.has_class("-visible")
        assert text.splitlines()[0].startswith("m/c.yaml:4 (metadata.name): error: error when retrieving")
        assert ("warning: service/redis is declared more than once (m/a.yaml:1 and m/b.yaml:1); "
                "the last one (m/b.yaml:1) wins, as kubectl applies files in order") in text
        assert "m/c.yaml:4: svcflow: metadata.name is the boolean true" in text
