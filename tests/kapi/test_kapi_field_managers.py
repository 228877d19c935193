"""managedFields for every write (engine/kapi/fieldmanager.py, controllerfields.py), with the
real kubectl as the oracle: each command's field manager and the fields it owns, the
components' entries, and `kubectl apply --server-side` conflicting with them as kube-apiserver
v1.33 answers (apimachinery `managedfields/internal`, structured-merge-diff)."""
from __future__ import annotations

import json
import stat

import yaml

from engine.kapi import fieldmanager
from tests.served import served_samples

served = served_samples()

WEB = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: NAME
  labels: {app: NAME}
spec:
  replicas: 2
  selector: {matchLabels: {app: NAME}}
  template:
    metadata: {labels: {app: NAME}}
    spec:
      containers:
      - name: web
        image: nginx
        ports:
        - containerPort: 80
"""

CONFLICT_ADVICE = """Please review the fields above--they currently have other managers. Here
are the ways you can resolve this warning:
* If you intend to manage all of these fields, please re-run the apply
  command with the `--force-conflicts` flag.
* If you do not intend to manage all of the fields, please edit your
  manifest to remove references to the fields that should keep their
  current managers.
* You may co-own fields by updating your manifest to match the existing
  value; in this case, you'll become the manager if the other manager(s)
  stop managing the field (remove it from their configuration).
See https://kubernetes.io/docs/reference/using-api/server-side-apply/#conflicts
"""


def _write(tmp_path, name: str, replicas: int = 2, image: str = "nginx") -> str:
    path = tmp_path / f"{name}-{replicas}-{image.replace(':', '_')}.yaml"
    path.write_text(WEB.replace("NAME", name).replace("replicas: 2", f"replicas: {replicas}")
                    .replace("image: nginx", f"image: {image}"))
    return str(path)


async def _entries(kubectl, *what: str) -> list[dict]:
    code, out, err = await kubectl("get", *what, "-o", "json", "--show-managed-fields")
    assert code == 0, err
    return json.loads(out)["metadata"]["managedFields"]


def _by(entries: list[dict]) -> dict[tuple[str, str], dict]:
    return {(e["manager"], e.get("subresource", "")): e for e in entries}


async def test_create_records_kubectl_create_and_apply_server_side_conflicts_with_it(served, kubectl, tmp_path):
    assert await kubectl("create", "-f", _write(tmp_path, "made")) == (0, "deployment.apps/made created\n", "")
    owners = _by(await _entries(kubectl, "deploy", "made"))
    create = owners[("kubectl-create", "")]
    assert (create["operation"], create["apiVersion"], create["fieldsType"]) == ("Update", "apps/v1", "FieldsV1")
    # what the create sent, and what the decoder defaulted, as kube-apiserver records it: a map
    # or list item the create added is a member itself (`.`), a struct the zero value has is not
    assert create["fieldsV1"] == {
        "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
        "f:spec": {
            "f:progressDeadlineSeconds": {}, "f:replicas": {}, "f:revisionHistoryLimit": {}, "f:selector": {},
            "f:strategy": {"f:rollingUpdate": {".": {}, "f:maxSurge": {}, "f:maxUnavailable": {}}, "f:type": {}},
            "f:template": {
                "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
                "f:spec": {
                    "f:containers": {'k:{"name":"web"}': {
                        ".": {}, "f:image": {}, "f:imagePullPolicy": {}, "f:name": {},
                        "f:ports": {".": {}, 'k:{"containerPort":80,"protocol":"TCP"}': {
                            ".": {}, "f:containerPort": {}, "f:protocol": {}}},
                        "f:resources": {}, "f:terminationMessagePath": {}, "f:terminationMessagePolicy": {}}},
                    "f:dnsPolicy": {}, "f:restartPolicy": {}, "f:schedulerName": {}, "f:securityContext": {},
                    "f:terminationGracePeriodSeconds": {}}}}}
    # the deployment controller's status write is its own entry, on the status subresource
    status = owners[("kube-controller-manager", "status")]
    assert status["operation"] == "Update"
    assert {"f:replicas", "f:observedGeneration", "f:conditions"} <= set(status["fieldsV1"]["f:status"])
    assert status["fieldsV1"]["f:metadata"] == {"f:annotations": {".": {}, "f:deployment.kubernetes.io/revision": {}}}
    # kubectl hides managedFields unless asked
    code, out, _ = await kubectl("get", "deploy", "made", "-o", "yaml")
    assert "managedFields" not in yaml.safe_load(out)["metadata"]
    # a server-side apply of another value is refused, kubectl's advice after kube-apiserver's words
    code, out, err = await kubectl("apply", "--server-side", "-f", _write(tmp_path, "made", 3))
    assert (code, out) == (1, "")
    assert err == ('error: Apply failed with 1 conflict: conflict with "kubectl-create" using apps/v1: .spec.replicas\n'
                   + CONFLICT_ADVICE)
    # the same value is shared, no conflict
    assert await kubectl("apply", "--server-side", "-f", _write(tmp_path, "made")) == (
        0, "deployment.apps/made serverside-applied\n", "")
    # --force-conflicts takes the field: kubectl-create's entry loses it
    assert (await kubectl("apply", "--server-side", "--force-conflicts", "-f", _write(tmp_path, "made", 3)))[0] == 0
    owners = _by(await _entries(kubectl, "deploy", "made"))
    assert "f:replicas" not in owners[("kubectl-create", "")]["fieldsV1"]["f:spec"]
    assert "f:replicas" in owners[("kubectl", "")]["fieldsV1"]["f:spec"]
    assert owners[("kubectl", "")]["operation"] == "Apply"


async def test_client_side_apply_then_server_side(served, kubectl, tmp_path):
    assert (await kubectl("apply", "-f", _write(tmp_path, "csa")))[0] == 0
    owners = _by(await _entries(kubectl, "deploy", "csa"))
    csa = owners[("kubectl-client-side-apply", "")]
    assert csa["operation"] == "Update"
    assert csa["fieldsV1"]["f:metadata"]["f:annotations"] == {
        ".": {}, "f:kubectl.kubernetes.io/last-applied-configuration": {}}
    # another field manager conflicts with the client-side applier
    code, out, err = await kubectl("apply", "--server-side", "--field-manager=ci", "-f", _write(tmp_path, "csa", 3))
    assert (code, err) == (1, 'error: Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using '
                              "apps/v1: .spec.replicas\n" + CONFLICT_ADVICE)
    # kubectl's own first server-side apply takes over what last-applied still holds
    # (lastAppliedManager), then migrates the client-side manager's fields (migrateToSSAIfNecessary)
    assert await kubectl("apply", "--server-side", "-f", _write(tmp_path, "csa", 3)) == (
        0, "deployment.apps/csa serverside-applied\n", "")
    owners = _by(await _entries(kubectl, "deploy", "csa"))
    assert ("kubectl-client-side-apply", "") not in owners
    assert owners[("kubectl", "")]["operation"] == "Apply"
    assert owners[("kubectl-last-applied", "")]["fieldsV1"] == {
        "f:metadata": {"f:annotations": {"f:kubectl.kubernetes.io/last-applied-configuration": {}}}}
    code, out, _ = await kubectl("get", "deploy", "csa", "-o", "jsonpath={.spec.replicas}")
    assert out == "3"


async def test_a_client_side_apply_that_no_longer_holds_conflicts(served, kubectl, tmp_path):
    """lastAppliedManager allows only the fields whose live value is still the last-applied one:
    after `kubectl scale`, replicas belongs to the scaler."""
    assert (await kubectl("apply", "-f", _write(tmp_path, "scaled")))[0] == 0
    assert await kubectl("scale", "deploy", "scaled", "--replicas=5") == (0, "deployment.apps/scaled scaled\n", "")
    owners = _by(await _entries(kubectl, "deploy", "scaled"))
    # kubectl scale sends no fieldManager: the User-Agent's first word names it
    assert owners[("kubectl", "scale")]["fieldsV1"] == {"f:spec": {"f:replicas": {}}}
    assert "f:replicas" not in owners[("kubectl-client-side-apply", "")]["fieldsV1"]["f:spec"]
    code, out, err = await kubectl("apply", "--server-side", "-f", _write(tmp_path, "scaled", 3))
    assert (code, err) == (1, 'error: Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" '
                              "using apps/v1: .spec.replicas\n" + CONFLICT_ADVICE)


async def test_each_command_names_its_manager(served, kubectl, tmp_path, monkeypatch):
    assert (await kubectl("create", "deployment", "cmds", "--image=nginx"))[0] == 0
    assert (await kubectl("label", "deploy", "cmds", "tier=web"))[0] == 0
    assert (await kubectl("annotate", "deploy", "cmds", "note=hi"))[0] == 0
    assert (await kubectl("set", "image", "deploy/cmds", "nginx=nginx:1.27"))[0] == 0
    assert (await kubectl("expose", "deploy", "cmds", "--port=80"))[0] == 0
    assert (await kubectl("run", "cmdpod", "--image=busybox", "--", "sleep", "3600"))[0] == 0
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nsed -i 's/revisionHistoryLimit: 10/revisionHistoryLimit: 5/' \"$1\"\n")
    editor.chmod(editor.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("KUBE_EDITOR", str(editor))
    assert await kubectl("edit", "deploy", "cmds") == (0, "deployment.apps/cmds edited\n", "")
    owners = _by(await _entries(kubectl, "deploy", "cmds"))
    assert owners[("kubectl-label", "")]["fieldsV1"] == {"f:metadata": {"f:labels": {"f:tier": {}}}}
    assert owners[("kubectl-annotate", "")]["fieldsV1"] == {
        "f:metadata": {"f:annotations": {"f:note": {}}}}
    assert owners[("kubectl-set", "")]["fieldsV1"] == {"f:spec": {"f:template": {"f:spec": {"f:containers": {
        'k:{"name":"nginx"}': {"f:image": {}}}}}}}
    assert owners[("kubectl-edit", "")]["fieldsV1"] == {"f:spec": {"f:revisionHistoryLimit": {}}}
    create = owners[("kubectl-create", "")]["fieldsV1"]
    # fields another writer changed are theirs now
    assert "f:revisionHistoryLimit" not in create["f:spec"]
    assert "f:image" not in create["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name":"nginx"}']
    svc = _by(await _entries(kubectl, "svc", "cmds"))
    assert svc[("kubectl-expose", "")]["fieldsV1"] == {  # (expose copies the Deployment's labels)
        "f:metadata": {"f:labels": {".": {}, "f:app": {}, "f:tier": {}}},
        "f:spec": {"f:internalTrafficPolicy": {}, "f:ports": {".": {}, 'k:{"port":80,"protocol":"TCP"}': {
            ".": {}, "f:port": {}, "f:protocol": {}, "f:targetPort": {}}},
            "f:selector": {}, "f:sessionAffinity": {}, "f:type": {}}}
    pod = _by(await _entries(kubectl, "pod", "cmdpod"))
    run = pod[("kubectl-run", "")]["fieldsV1"]["f:spec"]
    # what admission added after the field manager (priority, tolerations, the token volume) is nobody's
    assert {"f:enableServiceLinks", "f:containers", "f:dnsPolicy"} <= set(run)
    assert not {"f:priority", "f:tolerations", "f:volumes", "f:serviceAccountName", "f:nodeName"} & set(run)
    assert pod[("kubelet", "status")]["fieldsV1"]["f:status"]["f:phase"] == {}


async def test_components_own_what_they_wrote(served, kubectl):
    code, out, _ = await kubectl("get", "pods", "-l", "app=counter", "-o", "json", "--show-managed-fields")
    pod = json.loads(out)["items"][0]
    owners = _by(pod["metadata"]["managedFields"])
    assert [(e["manager"], e["operation"], e.get("subresource")) for e in pod["metadata"]["managedFields"]] == [
        ("kube-controller-manager", "Update", None), ("kubelet", "Update", "status")]
    made = owners[("kube-controller-manager", "")]["fieldsV1"]
    owner_uid = pod["metadata"]["ownerReferences"][0]["uid"]
    assert made["f:metadata"]["f:ownerReferences"] == {".": {}, f'k:{{"uid":"{owner_uid}"}}': {}}
    assert "f:generateName" in made["f:metadata"]
    kubelet = owners[("kubelet", "status")]["fieldsV1"]["f:status"]
    # the PodScheduled condition came with the binding, not from the kubelet
    assert 'k:{"type":"PodScheduled"}' not in kubelet["f:conditions"]
    assert kubelet["f:conditions"]['k:{"type":"Ready"}'] == {
        ".": {}, "f:lastProbeTime": {}, "f:lastTransitionTime": {}, "f:status": {}, "f:type": {}}
    assert kubelet["f:hostIPs"] == {}  # (listType=atomic)
    assert kubelet["f:podIPs"]["."] == {}
    code, out, _ = await kubectl("get", "endpointslices", "-l", "kubernetes.io/service-name=redis", "-o", "json",
                                 "--show-managed-fields")
    entries = json.loads(out)["items"][0]["metadata"]["managedFields"]
    assert [e["manager"] for e in entries] == ["kube-controller-manager"]
    assert {"f:addressType": {}, "f:endpoints": {}, "f:ports": {}}.items() <= entries[0]["fieldsV1"].items()


async def test_a_write_that_changes_nothing_keeps_the_entries(served, kubectl):
    assert (await kubectl("create", "configmap", "same", "--from-literal=a=1"))[0] == 0
    code, before, _ = await kubectl("get", "cm", "same", "-o", "json", "--show-managed-fields")
    patch = json.dumps({"data": {"a": "1"}})
    assert await kubectl("patch", "cm", "same", "-p", patch) == (0, "configmap/same patched (no change)\n", "")
    code, after, _ = await kubectl("get", "cm", "same", "-o", "json", "--show-managed-fields")
    assert json.loads(after)["metadata"] == json.loads(before)["metadata"]
    assert (await kubectl("patch", "cm", "same", "-p", json.dumps({"data": {"a": "2"}})))[0] == 0
    owners = _by(json.loads((await kubectl("get", "cm", "same", "-o", "json", "--show-managed-fields"))[1])
                 ["metadata"]["managedFields"])
    assert owners[("kubectl-patch", "")]["fieldsV1"] == {"f:data": {"f:a": {}}}
    assert owners[("kubectl-create", "")]["fieldsV1"] == {"f:data": {}}  # (the map it made is still its)


async def test_managed_fields_sent_by_a_client_are_taken_and_can_be_reset(served, kubectl):
    assert (await kubectl("create", "configmap", "mine", "--from-literal=a=1"))[0] == 0
    sent = [{"manager": "someone", "operation": "Apply", "apiVersion": "v1", "fieldsType": "FieldsV1",
             "fieldsV1": {"f:data": {"f:a": {}}}}]
    ops = json.dumps([{"op": "replace", "path": "/metadata/managedFields", "value": sent}])
    assert (await kubectl("patch", "cm", "mine", "--type=json", "-p", ops))[0] == 0
    assert [e["manager"] for e in await _entries(kubectl, "cm", "mine")] == ["someone"]
    ops = json.dumps([{"op": "replace", "path": "/metadata/managedFields", "value": [{}]}])
    assert (await kubectl("patch", "cm", "mine", "--type=json", "-p", ops))[0] == 0
    code, out, _ = await kubectl("get", "cm", "mine", "-o", "json", "--show-managed-fields")
    assert "managedFields" not in json.loads(out)["metadata"]


def test_compare_is_structured_merge_diffs():
    """The comparison every Update entry rests on: leaves added or changed, items and maps that
    did not exist before, what went away; a null is a value, as a Go field without omitempty."""
    old = {"metadata": {"labels": {"a": "1"}}, "spec": {"containers": [{"name": "c", "image": "x"}],
                                                        "replicas": 1}}
    new = {"metadata": {"labels": {"a": "1", "b": "2"}, "annotations": {"n": "v"}},
           "spec": {"containers": [{"name": "c", "image": "y"}, {"name": "d", "image": "z"}]}}
    cmp = fieldmanager.compare(old, new, "Deployment")
    c, d = 'k:{"name":"c"}', 'k:{"name":"d"}'
    assert cmp.added == {("f:metadata", "f:labels", "f:b"), ("f:metadata", "f:annotations"),
                         ("f:metadata", "f:annotations", "f:n"), ("f:spec", "f:containers", d),
                         ("f:spec", "f:containers", d, "f:name"), ("f:spec", "f:containers", d, "f:image")}
    assert cmp.modified == {("f:spec", "f:containers", c, "f:image")}
    assert cmp.removed == {("f:spec", "f:replicas")}
    assert fieldmanager.compare({"a": None}, {"a": None}, "Pod").added == frozenset()
    assert fieldmanager.compare({}, {"a": None}, "Pod").added == {("f:a",)}


async def test_status_subresource_writes_are_recorded_as_such(served, kubectl):
    want = (await kubectl("get", "svc", "redis"))[1]
    assert await kubectl("get", "svc", "redis", "--subresource=status") == (0, want, "")
    status = json.dumps({"status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.7"}]}}})
    # (an ingress is a LoadBalancer's only: AllowServiceLBStatusOnNonLB is locked off since 1.32)
    assert await kubectl("patch", "svc", "redis", "--subresource=status", "--type=merge", "-p", status) == (
        1, "", "The Service \"redis\" is invalid: status.loadBalancer.ingress: Forbidden: may only be used when "
               "`spec.type` is 'LoadBalancer'\n")
    assert (await kubectl("create", "service", "loadbalancer", "edge", "--tcp=80"))[0] == 0
    assert await kubectl("patch", "svc", "edge", "--subresource=status", "--type=merge", "-p", status) == (
        0, "service/edge patched\n", "")
    owners = _by(await _entries(kubectl, "svc", "edge"))
    entry = owners[("kubectl-patch", "status")]
    assert (entry["operation"], entry["apiVersion"]) == ("Update", "v1")
    assert entry["fieldsV1"] == {"f:status": {"f:loadBalancer": {"f:ingress": {}}}}  # (ingress: listType=atomic)
    code, out, _ = await kubectl("get", "svc", "edge", "-o", "jsonpath={.status.loadBalancer.ingress[0]}")
    assert json.loads(out) == {"ip": "192.0.2.7", "ipMode": "VIP"}  # (the mode defaulted)
    # the spec is not the status subresource's to change
    spec = json.dumps({"spec": {"sessionAffinity": "ClientIP"}})
    assert await kubectl("patch", "svc", "edge", "--subresource=status", "--type=merge", "-p", spec) == (
        0, "service/edge patched (no change)\n", "")


async def test_a_field_manager_is_checked_as_kube_apiserver_checks_it(served, kubectl, tmp_path):
    long = "m" * 129
    assert await kubectl("create", "cm", "named", "--from-literal=a=b", f"--field-manager={long}") == (
        1, "", 'error: failed to create configmap: CreateOptions.meta.k8s.io "" is invalid: fieldManager: Too long: '
               "must have at most 128 bytes\n")
    assert await kubectl("create", "cm", "named", "--from-literal=a=b", "--field-manager=a\tb") == (
        1, "", 'error: failed to create configmap: CreateOptions.meta.k8s.io "" is invalid: fieldManager: Invalid '
               'value: "a\\tb": invalid character U+0009 (at position 1)\n')
    code, out, err = await kubectl("apply", "--server-side", f"--field-manager={long}", "-f", _write(tmp_path, "named"))
    assert (code, out) == (1, "")
    assert "fieldManager: Too long: must have at most 128 bytes" in err
    # 128 bytes is a name
    assert (await kubectl("create", "cm", "named", "--from-literal=a=b", f"--field-manager={long[:128]}"))[0] == 0
    assert [e["manager"] for e in await _entries(kubectl, "cm", "named")] == [long[:128]]
