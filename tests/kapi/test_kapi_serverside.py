"""Server-side apply (engine/kapi/serverside.py) with the real `kubectl apply --server-side`:
field managers, managedFields as `--show-managed-fields` shows them, 409 conflicts in
kube-apiserver's words and `--force-conflicts`, fields a manager stops applying removed."""
from __future__ import annotations

import yaml

from engine.kapi import serverside
from engine.kubectl import commands
from tests.helpers import SAMPLES
from tests.served import served_samples

WEB = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx
        ports:
        - containerPort: 80
        env:
        - {name: A, value: "1"}
"""


served = served_samples()


def _managers(out: str) -> dict[str, dict]:
    return {e["manager"]: e for e in yaml.safe_load(out)["metadata"]["managedFields"]}


async def test_apply_server_side_of_the_seed_manifest(served, kubectl):
    path = str(SAMPLES / "counter-redis-svc.yml")
    assert await kubectl("apply", "--server-side", "-f", path) == (
        0, "deployment.apps/redis serverside-applied\nservice/redis serverside-applied\n", "")
    # kubectl hides managedFields as svcflow's own printer does: the objects read the same
    for args in (["deploy", "redis"], ["svc", "redis"]):
        assert await kubectl("get", *args, "-o", "yaml") == served.svcflow(
            lambda c, args=args: commands.get(c, args, output="yaml"))
    code, out, err = await kubectl("get", "deploy", "redis", "-o", "yaml", "--show-managed-fields")
    owners = _managers(out)
    # (the object carried last-applied; the deployment controller wrote its status)
    assert set(owners) == {"kubectl", "kubectl-last-applied", "kube-controller-manager"}
    assert owners["kube-controller-manager"]["subresource"] == "status"
    assert owners["kubectl"]["operation"] == "Apply" and owners["kubectl"]["apiVersion"] == "apps/v1"
    assert owners["kubectl"]["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"] == {
        'k:{"name":"redis"}': {".": {}, "f:image": {}, "f:name": {},
                               "f:ports": {'k:{"containerPort":6379,"protocol":"TCP"}': {
                                   ".": {}, "f:containerPort": {}, "f:protocol": {}}}}}
    assert owners["kubectl-last-applied"]["fieldsV1"] == {
        "f:metadata": {"f:annotations": {"f:kubectl.kubernetes.io/last-applied-configuration": {}}}}


async def test_conflicts_force_and_removal(served, kubectl, tmp_path):
    web = tmp_path / "web.yml"
    web.write_text(WEB)
    assert await kubectl("apply", "--server-side", "-f", str(web)) == (0, "deployment.apps/web serverside-applied\n", "")
    # another manager that changes a value kubectl owns is refused, in kube-apiserver's words
    more = tmp_path / "more.yml"
    more.write_text(WEB.replace("replicas: 2", "replicas: 3"))
    code, out, err = await kubectl("apply", "--server-side", "--field-manager=scaler", "-f", str(more))
    assert (code, out) == (1, "")
    # (an applier is named alone; "using apps/v1" names an updater: internal/conflict.go printManager)
    assert err.startswith('error: Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas\n'
                          "Please review the fields above--they currently have other managers.")
    two = tmp_path / "two.yml"
    two.write_text(WEB.replace("replicas: 2", "replicas: 4").replace("image: nginx", "image: nginx:1.27"))
    code, out, err = await kubectl("apply", "--server-side", "--field-manager=scaler", "-f", str(two))
    assert err.startswith('error: Apply failed with 2 conflicts: conflicts with "kubectl":\n'
                          '- .spec.replicas\n- .spec.template.spec.containers[name="web"].image\n')
    # the same value is no conflict: both own it
    assert (await kubectl("apply", "--server-side", "--field-manager=same", "-f", str(web)))[0] == 0
    # --force-conflicts takes the field over
    assert await kubectl("apply", "--server-side", "--field-manager=scaler", "--force-conflicts", "-f",
                         str(more)) == (0, "deployment.apps/web serverside-applied\n", "")
    code, out, _ = await kubectl("get", "deploy", "web", "-o", "yaml", "--show-managed-fields")
    obj, owners = yaml.safe_load(out), _managers(out)
    assert obj["spec"]["replicas"] == 3
    assert "f:replicas" not in owners["kubectl"]["fieldsV1"]["f:spec"]
    assert "f:replicas" in owners["scaler"]["fieldsV1"]["f:spec"]
    # a field the manager stops applying, and nobody else applies, goes
    no_env = tmp_path / "no-env.yml"
    no_env.write_text(WEB.replace("replicas: 2", "replicas: 3").replace('        env:\n        - {name: A, value: "1"}\n', ""))
    for manager in ("kubectl", "same"):
        got = await kubectl("apply", "--server-side", f"--field-manager={manager}", "-f", str(no_env))
        assert got[0] == 0, got
    code, out, _ = await kubectl("get", "deploy", "web", "-o", "yaml")
    container = yaml.safe_load(out)["spec"]["template"]["spec"]["containers"][0]
    assert container["env"] == [{"name": "A", "value": "1"}]  # scaler still applies it
    got = await kubectl("apply", "--server-side", "--field-manager=scaler", "-f", str(no_env))
    assert got[0] == 0, got
    code, out, _ = await kubectl("get", "deploy", "web", "-o", "yaml")
    container = yaml.safe_load(out)["spec"]["template"]["spec"]["containers"][0]
    assert "env" not in container and container["image"] == "nginx"
    # other writes keep the owners, and are recorded beside them as updaters
    assert (await kubectl("label", "deploy", "web", "extra=yes"))[0] == 0
    code, out, _ = await kubectl("get", "deploy", "web", "-o", "yaml", "--show-managed-fields")
    assert {"kubectl", "scaler", "same"} < set(_managers(out))
    assert _managers(out)["kubectl-label"]["fieldsV1"] == {"f:metadata": {"f:labels": {"f:extra": {}}}}


async def test_apply_refusals(served, kubectl, tmp_path):
    typo = tmp_path / "typo.yml"
    typo.write_text("apiVersion: v1\nkind: Service\nmetadata:\n  name: typo\nspec:\n  portz: []\n")
    code, out, err = await kubectl("apply", "--server-side", "-f", str(typo))
    assert (code, out) == (1, "")
    assert err.startswith("Error from server (BadRequest): ")
    assert err.endswith('Service in version "v1" cannot be handled as a Service: strict decoding error: unknown '
                        'field "spec.portz"\n')


def test_field_sets_and_paths_as_structured_merge_diff_writes_them():
    obj = yaml.safe_load(WEB)
    fields = serverside.field_set(obj, "Deployment")
    tree = serverside.to_fields_v1(fields)
    assert tree["f:metadata"] == {"f:labels": {"f:app": {}}}
    assert tree["f:spec"]["f:selector"] == {}  # an atomic LabelSelector
    assert tree["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name":"web"}']["f:ports"] == {
        'k:{"containerPort":80,"protocol":"TCP"}': {".": {}, "f:containerPort": {}}}
    assert serverside.from_fields_v1(tree) == fields
    assert serverside.path_string(("f:spec", "f:template", "f:spec", "f:containers", 'k:{"name":"web"}',
                                   "f:ports", 'k:{"containerPort":80,"protocol":"TCP"}', "f:containerPort")) == \
        '.spec.template.spec.containers[name="web"].ports[containerPort=80,protocol="TCP"].containerPort'
