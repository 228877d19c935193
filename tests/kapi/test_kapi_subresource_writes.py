"""The `status` and `finalize` subresources write through the one update path (writes.update_object,
ApiServer.update): validated by the status strategies (ValidateDeploymentStatusUpdate...,
ValidateNamespaceFinalizeUpdate), and a /finalize that empties a terminating Namespace's
finalizers deletes it at once, its content left behind (ShouldDeleteNamespaceDuringUpdate: the
stuck-namespace `kubectl replace --raw /api/v1/namespaces/X/finalize -f -`). Every answer that
is an object carries the managedFields a GET shows, a collection's DELETE too. The real kubectl
is the oracle."""
from __future__ import annotations

import json

from tests.served import served_samples

served = served_samples()


async def _json(kubectl, *args: str) -> dict:
    code, out, err = await kubectl(*args, "-o", "json")
    assert (code, err) == (0, ""), err
    return json.loads(out)


async def test_a_status_write_is_validated_by_the_status_strategy(kubectl):
    before = await _json(kubectl, "get", "deploy", "redis")
    code, out, err = await kubectl("patch", "deploy", "redis", "--subresource=status", "--type=merge",
                                   "-p", '{"status":{"replicas":-1}}')
    assert (code, out) == (1, "")
    assert err == ('The Deployment "redis" is invalid: \n'
                   "* status.replicas: Invalid value: -1: must be greater than or equal to 0\n"
                   "* status.updatedReplicas: Invalid value: 1: cannot be greater than status.replicas\n"
                   "* status.readyReplicas: Invalid value: 1: cannot be greater than status.replicas\n"
                   "* status.availableReplicas: Invalid value: 1: cannot be greater than status.replicas\n")
    after = await _json(kubectl, "get", "deploy", "redis")
    assert after["status"] == before["status"]
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    # (more available than ready: the other of the strategy's cross-checks)
    code, _, err = await kubectl("patch", "deploy", "redis", "--subresource=status", "--type=merge",
                                 "-p", '{"status":{"readyReplicas":0}}')
    assert (code, err) == (1, 'The Deployment "redis" is invalid: status.availableReplicas: Invalid value: 1: '
                              "cannot be greater than readyReplicas\n")


async def test_a_status_write_keeps_what_the_kinds_status_strategy_keeps(kubectl):
    """Every status strategy keeps the spec; the metadata is the write's (a Service's labels
    change), but for what the kind's keeps too (a Deployment's labels, not its annotations:
    the deployment controller writes its revision annotation with the status)."""
    assert (await kubectl("create", "service", "loadbalancer", "kept", "--tcp=80"))[0] == 0
    before = await _json(kubectl, "get", "svc", "kept")
    body = json.dumps({"spec": {"sessionAffinity": "ClientIP"}, "metadata": {"labels": {"new": "label"}},
                       "status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.9"}]}}})
    code, out, err = await kubectl("patch", "svc", "kept", "--subresource=status", "--type=merge", "-p", body)
    assert (code, out, err) == (0, "service/kept patched\n", "")
    after = await _json(kubectl, "get", "svc", "kept", "--show-managed-fields")
    assert after["spec"] == before["spec"]
    assert after["metadata"]["labels"] == {"app": "kept", "new": "label"}
    assert after["status"] == {"loadBalancer": {"ingress": [{"ip": "192.0.2.9", "ipMode": "VIP"}]}}
    [mine] = [e for e in after["metadata"]["managedFields"] if e.get("subresource") == "status"]
    assert (mine["manager"], mine["fieldsV1"]) == (
        "kubectl-patch", {"f:metadata": {"f:labels": {"f:new": {}}},  # (the labels were there)
                          "f:status": {"f:loadBalancer": {"f:ingress": {}}}})
    labels = (await _json(kubectl, "get", "deploy", "redis"))["metadata"].get("labels")
    body = json.dumps({"metadata": {"labels": {"app": "other"}, "annotations": {"note": "kept"}}})
    code, out, err = await kubectl("patch", "deploy", "redis", "--subresource=status", "--type=merge", "-p", body)
    assert (code, out, err) == (0, "deployment.apps/redis patched\n", "")
    deploy = await _json(kubectl, "get", "deploy", "redis")
    assert deploy["metadata"].get("labels") == labels
    assert deploy["metadata"]["annotations"]["note"] == "kept"
    # a label no label may be is refused in ValidateObjectMetaUpdate's words
    code, out, err = await kubectl("patch", "svc", "kept", "--subresource=status", "--type=merge",
                                   "-p", '{"metadata":{"labels":{"new":"-bad-"}}}')
    assert (code, out) == (1, "")
    assert err.startswith('The Service "kept" is invalid: metadata.labels: Invalid value: "-bad-": ')


async def _terminating(kubectl, name: str) -> dict:
    """A Namespace held Terminating by a ConfigMap's finalizer: the stuck namespace."""
    assert (await kubectl("create", "ns", name))[0] == 0
    assert (await kubectl("-n", name, "create", "cm", "hold", "--from-literal=a=b"))[0] == 0
    assert (await kubectl("-n", name, "patch", "cm", "hold", "--type=merge",
                          "-p", '{"metadata":{"finalizers":["example.com/hold"]}}'))[0] == 0
    assert (await kubectl("delete", "ns", name, "--wait=false")) == (0, f'namespace "{name}" deleted\n', "")
    ns = await _json(kubectl, "get", "ns", name)
    assert ns["status"]["phase"] == "Terminating"
    assert ns["spec"] == {"finalizers": ["kubernetes"]}
    return ns


async def test_finalize_with_no_finalizers_left_deletes_a_stuck_namespace_and_leaves_its_content(kubectl,
                                                                                                  tmp_path):
    ns = await _terminating(kubectl, "stuck")
    ns["spec"]["finalizers"] = []
    ns["status"]["phase"] = "Active"  # (not the finalize strategy's to change)
    body = tmp_path / "ns.json"
    body.write_text(json.dumps(ns))
    code, out, err = await kubectl("replace", "--raw", "/api/v1/namespaces/stuck/finalize", "-f", str(body))
    assert (code, err) == (0, "")
    answered = json.loads(out)
    assert answered["spec"] == {}
    assert answered["status"]["phase"] == "Terminating"
    assert answered["metadata"]["resourceVersion"] == ns["metadata"]["resourceVersion"]
    assert await kubectl("get", "ns", "stuck") == (1, "", 'Error from server (NotFound): namespaces "stuck" '
                                                          "not found\n")
    code, out, _ = await kubectl("-n", "stuck", "get", "cm", "hold", "-o", "jsonpath={.metadata.finalizers}")
    assert (code, out) == (0, '["example.com/hold"]')


async def test_finalize_keeps_a_namespace_that_still_has_a_finalizer(kubectl, tmp_path):
    ns = await _terminating(kubectl, "held")
    ns["spec"]["finalizers"] = ["example.com/mine"]
    body = tmp_path / "ns.json"
    body.write_text(json.dumps(ns))
    code, out, err = await kubectl("replace", "--raw", "/api/v1/namespaces/held/finalize", "-f", str(body))
    assert (code, err) == (0, "")
    after = await _json(kubectl, "get", "ns", "held")
    assert after["spec"] == {"finalizers": ["example.com/mine"]}
    assert after["status"]["phase"] == "Terminating"
    # a finalizer name that is neither standard nor qualified is refused in the validator's words
    after["spec"]["finalizers"] = ["mine"]
    body.write_text(json.dumps(after))
    code, out, err = await kubectl("replace", "--raw", "/api/v1/namespaces/held/finalize", "-f", str(body))
    assert (code, out) == (1, "")
    assert err == ('The Namespace "held" is invalid: spec.finalizers[0]: Invalid value: "mine": name is neither '
                   "a standard finalizer name nor is it fully qualified\n")


async def test_a_collections_delete_answers_the_managed_fields_a_get_shows(kubectl, served):
    assert (await kubectl("run", "lone", "--image=nginx", "--labels=batch=lone"))[0] == 0
    served.call(lambda: served.cluster.run_for(20))
    got = await _json(kubectl, "get", "pod", "lone", "--show-managed-fields")
    managers = {e["manager"] for e in got["metadata"]["managedFields"]}
    assert "kubelet" in managers
    code, out, err = await kubectl("delete", "--raw", "/api/v1/namespaces/default/pods?labelSelector=batch%3Dlone")
    assert (code, err) == (0, "")
    items = json.loads(out)["items"]
    assert [i["metadata"]["name"] for i in items] == ["lone"]
    assert items[0]["metadata"]["managedFields"] == got["metadata"]["managedFields"]


async def test_an_applied_owner_reference_is_owned_whole(kubectl, tmp_path):
    """OwnerReference is `+structType=atomic`: server-side apply owns the item by its uid, not
    its members (the field manager's one table of atomic lists and items, shared by applies)."""
    uid = (await kubectl("get", "deploy", "redis", "-o", "jsonpath={.metadata.uid}"))[1]
    manifest = tmp_path / "owned.yaml"
    manifest.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: owned\n  ownerReferences:\n"
                        f"  - {{apiVersion: apps/v1, kind: Deployment, name: redis, uid: {uid}}}\ndata: {{a: b}}\n")
    assert await kubectl("apply", "--server-side", "-f", str(manifest)) == (
        0, "configmap/owned serverside-applied\n", "")
    got = await _json(kubectl, "get", "cm", "owned", "--show-managed-fields")
    [entry] = got["metadata"]["managedFields"]
    assert (entry["manager"], entry["operation"]) == ("kubectl", "Apply")
    assert entry["fieldsV1"] == {"f:data": {"f:a": {}},
                                 "f:metadata": {"f:ownerReferences": {f'k:{{"uid":"{uid}"}}': {}}}}


async def test_each_write_is_defaulted_once(kubectl, served, monkeypatch):
    """The field manager works on the object the API server defaulted (ApiServer's `record`),
    not on a copy it defaults again: a create, a patch, a status patch and a scale each
    default their object once."""
    from engine.api import defaults
    calls: list[str] = []
    real = defaults.set_defaults

    def counting(obj: dict) -> dict:
        calls.append(obj.get("kind", ""))
        return real(obj)
    monkeypatch.setattr(defaults, "set_defaults", counting)
    writes = [("create", "cm", "once", "--from-literal=a=b"),
              ("patch", "cm", "once", "--type=merge", "-p", '{"data":{"a":"c"}}'),
              ("patch", "deploy", "counter", "--subresource=status", "--type=merge", "-p",
               '{"status":{"observedGeneration":1}}'),
              ("scale", "deploy", "counter", "--replicas=1")]
    for args in writes:
        calls.clear()
        code, _, err = await kubectl(*args, settle=False)
        assert (code, err) == (0, "")
        assert len(calls) == 1, (args, calls)


async def test_a_namespaces_status_phase_follows_its_deletion(kubectl):
    assert (await kubectl("create", "ns", "phased"))[0] == 0
    code, out, err = await kubectl("patch", "ns", "phased", "--subresource=status", "--type=merge",
                                   "-p", '{"status":{"phase":"Terminating"}}')
    assert (code, out, err) == (1, "", 'The Namespace "phased" is invalid: status.Phase: Invalid value: '
                                       "\"Terminating\": may only be 'Active' if `deletionTimestamp` is empty\n")
    assert (await kubectl("get", "ns", "phased", "-o", "jsonpath={.status.phase}"))[1] == "Active"


async def test_a_load_balancers_ingress_is_validated(kubectl):
    assert (await kubectl("create", "service", "loadbalancer", "ingress", "--tcp=80"))[0] == 0
    bad = json.dumps({"status": {"loadBalancer": {"ingress": [{"ip": "not-an-ip"}, {"hostname": "10.1.2.3"},
                                                              {"hostname": "lb.example", "ipMode": "Proxy"}]}}})
    code, out, err = await kubectl("patch", "svc", "ingress", "--subresource=status", "--type=merge", "-p", bad)
    assert (code, out) == (1, "")
    assert err == ('The Service "ingress" is invalid: \n'
                   '* status.loadBalancer.ingress[0].ip: Invalid value: "not-an-ip": must be a valid IP address, '
                   "(e.g. 10.9.8.7 or 2001:db8::ffff)\n"
                   '* status.loadBalancer.ingress[1].hostname: Invalid value: "10.1.2.3": must be a DNS name, not an '
                   "IP address\n"
                   "* status.loadBalancer.ingress[2].ipMode: Forbidden: may not be specified when `ip` is not set\n")


async def test_a_status_write_is_decoded_into_the_kinds_status_type(kubectl):
    """A status that is not a DeploymentStatus is refused by the decoder, before anything is
    kept (it was stored, and every later read of the Deployment failed)."""
    code, out, err = await kubectl("patch", "deploy", "counter", "--subresource=status", "--type=merge",
                                   "-p", '{"status":"x"}')
    assert (code, out, err) == (1, "", 'Error from server (BadRequest): Deployment in version "v1" cannot be handled '
                                       "as a Deployment: json: cannot unmarshal string into Go struct field "
                                       "Deployment.status of type v1.DeploymentStatus\n")
    code, out, err = await kubectl("patch", "deploy", "counter", "--subresource=status", "--type=merge",
                                   "-p", '{"status":{"replicas":"two"}}')
    assert (code, err) == (1, 'Error from server (BadRequest): Deployment in version "v1" cannot be handled as a '
                              "Deployment: json: cannot unmarshal string into Go struct field "
                              "DeploymentStatus.status.replicas of type int32\n")
    code, out, err = await kubectl("get", "deploy", "counter", "-o", "jsonpath={.status.replicas}")
    assert (code, out, err) == (0, "1", "")


async def test_a_finalize_body_is_decoded_into_a_namespace(kubectl, tmp_path):
    assert (await kubectl("create", "ns", "typed"))[0] == 0
    body = tmp_path / "ns.json"
    for spec, err in (('"x"', "Namespace.spec of type v1.NamespaceSpec"),
                      ('{"finalizers":"x"}', "NamespaceSpec.spec.finalizers of type []v1.FinalizerName"),
                      ('{"finalizers":[1]}', "NamespaceSpec.spec.finalizers of type v1.FinalizerName")):
        body.write_text('{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"typed"},"spec":%s}' % spec)
        kind = "number" if "[1]" in spec else "string"
        assert await kubectl("replace", "--raw", "/api/v1/namespaces/typed/finalize", "-f", str(body)) == (
            1, "", 'Error from server (BadRequest): Namespace in version "v1" cannot be handled as a Namespace: '
                   f"json: cannot unmarshal {kind} into Go struct field {err}\n")
    assert (await kubectl("get", "ns", "typed", "-o", "jsonpath={.spec.finalizers}"))[1] == '["kubernetes"]'
