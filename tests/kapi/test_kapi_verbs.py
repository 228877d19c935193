"""The rest of issue 16's list: the real kubectl's other verbs against `svcflow serve`.

`rollout restart`, `cordon`/`uncordon`: svcflow's own session has them, so the real kubectl's
answer must equal the twin session's. `annotate`, `patch` (strategic merge, JSON merge, JSON
patch), `expose`, `edit`, `create configmap|deployment|service`: svcflow's session does not
have them; kubectl prints its own line, so the proof is what the cluster then holds and shows,
read back by svcflow's own `get`/`describe` over the served cluster (the controllers acted on
it: an exposed Deployment's Service has its Endpoints, a created Deployment its ready pod).
`api-resources` and `api-versions` list exactly what the kinds registry serves.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from engine.api import kinds
from engine.api.apionly import API_ONLY
from engine.apply.workspace import cluster_from_paths
from engine.kubectl import commands
from engine.kubectl.session import Session
from tests.helpers import SAMPLES
from tests.served import Kubectl, ServedCluster, served_samples

served = served_samples(scope="function")  # (each test changes the cluster)


@pytest.fixture
def kubectl(served, tmp_path) -> Kubectl:
    return Kubectl(served, tmp_path / "k")


def svcflow_get(served: ServedCluster, line: str) -> str:
    code, out, err = served.svcflow(lambda c: commands.run_line(c, line))
    assert code == 0, err
    return out


async def test_rollout_restart_cordon_and_uncordon_answer_as_svcflows_session(served, kubectl):
    twin = Session(cluster_from_paths([SAMPLES], deterministic=True)[0], cwd=SAMPLES.parent)
    node = served.call(lambda: served.cluster.store.list("Node")[-1]["metadata"]["name"])
    for line in (f"kubectl cordon {node}", "kubectl get no", f"kubectl uncordon {node}", "kubectl get no",
                 "kubectl rollout restart deploy/redis"):
        code, out, err = await kubectl(*line.split()[1:])
        assert (code, out + err) == (0, twin.feed(line)), line
    # the restart made a second ReplicaSet whose pod replaced the first one's
    code, out, err = await kubectl("rollout", "status", "deploy/redis", "--timeout=30s")
    assert code == 0 and out.endswith('deployment "redis" successfully rolled out\n'), (out, err)
    sets = served.call(lambda: [rs for rs in served.cluster.store.list("ReplicaSet", "default")
                                if rs["metadata"]["name"].startswith("redis-")])
    assert len(sets) == 2 and sorted(rs["spec"]["replicas"] for rs in sets) == [0, 1]
    new = next(rs for rs in sets if rs["spec"]["replicas"])
    assert "kubectl.kubernetes.io/restartedAt" in new["spec"]["template"]["metadata"]["annotations"]


async def test_annotate_adds_refuses_without_overwrite_and_removes(served, kubectl):
    assert await kubectl("annotate", "svc", "redis", "team=cache") == (0, "service/redis annotated\n", "")
    assert "Annotations:              team: cache\n" in svcflow_get(served, "kubectl describe svc redis")
    code, out, err = await kubectl("annotate", "svc", "redis", "team=db")
    assert (code, out, err) == (1, "", "error: --overwrite is false but found the following declared "
                                       "annotation(s): 'team' already has a value (cache)\n")
    assert await kubectl("annotate", "svc", "redis", "team=db", "--overwrite") == (0, "service/redis annotated\n", "")
    assert "team: db\n" in svcflow_get(served, "kubectl describe svc redis")
    assert await kubectl("annotate", "svc", "redis", "team-") == (0, "service/redis annotated\n", "")
    assert "team" not in svcflow_get(served, "kubectl describe svc redis")


async def test_patch_by_strategic_merge_json_merge_and_json_patch(served, kubectl):
    assert await kubectl("patch", "svc", "redis", "-p", '{"metadata":{"labels":{"a":"1"}}}') == (
        0, "service/redis patched\n", "")
    assert await kubectl("patch", "svc", "redis", "--type=merge", "-p", '{"metadata":{"labels":{"b":"2"}}}') == (
        0, "service/redis patched\n", "")
    assert await kubectl("patch", "svc", "redis", "--type=json",
                         "-p", '[{"op":"add","path":"/metadata/labels/c","value":"3"}]') == (
        0, "service/redis patched\n", "")
    assert await kubectl("patch", "svc", "redis", "-p", '{"metadata":{"labels":{"a":"1"}}}') == (
        0, "service/redis patched (no change)\n", "")
    # a strategic merge keys containers by name: the patch changes redis's image, keeps the rest
    assert await kubectl("patch", "deploy", "redis", "-p",
                         '{"spec":{"template":{"spec":{"containers":[{"name":"redis","image":"redis:7"}]}}}}') == (
        0, "deployment.apps/redis patched\n", "")
    containers = served.call(lambda: served.cluster.store.get("Deployment", "default", "redis")
                             ["spec"]["template"]["spec"]["containers"])
    assert [(c["name"], c["image"]) for c in containers] == [("redis", "redis:7")] and containers[0]["ports"]
    got = await kubectl("get", "svc", "redis", "--show-labels")
    assert got == (0, svcflow_get(served, "kubectl get svc redis --show-labels"), "")
    assert "a=1,b=2,c=3" in got[1]
    assert await kubectl("patch", "svc", "nope", "-p", "{}") == (
        1, "", 'Error from server (NotFound): services "nope" not found\n')


async def test_a_json_patch_that_does_not_apply_says_why_as_kube_apiserver(served, kubectl):
    """tester3 #6: a 422 Invalid carrying the json-patch library's error, which kubectl prints
    after `The request is invalid: : `; a failed test leaves the object as it was."""
    cases = {
        '[{"op":"test","path":"/spec/replicas","value":9},{"op":"replace","path":"/spec/replicas","value":5}]':
            "testing value /spec/replicas failed: test failed",
        '[{"op":"remove","path":"/spec/nope"}]':
            "error in remove for path: '/spec/nope': Unable to remove nonexistent key: nope: missing value",
        '[{"op":"add","path":"/spec/x/y","value":1}]':
            'add operation does not apply: doc is missing path: "/spec/x/y": missing value',
        '[{"op":"replace","path":"/spec/template/spec/containers/5","value":{}}]':
            "replace operation does not apply: doc is missing key: /spec/template/spec/containers/5: missing value",
        '[{"op":"frob","path":"/a"}]': "Unexpected kind: frob",
    }
    for body, why in cases.items():
        assert await kubectl("patch", "deploy", "counter", "--type=json", "-p", body) == (
            1, "", f"The request is invalid: : {why}\n"), body
    assert served.call(lambda: served.cluster.store.get("Deployment", "default", "counter")["spec"]["replicas"]) == 1
    assert await kubectl("patch", "deploy", "counter", "--type=json", "-p",
                         '[{"op":"test","path":"/spec/replicas","value":1},'
                         '{"op":"replace","path":"/spec/replicas","value":2}]') == (
        0, "deployment.apps/counter patched\n", "")


async def test_expose_makes_a_service_the_endpoint_controller_fills(served, kubectl):
    assert await kubectl("expose", "deploy", "redis", "--name=cache", "--port=6379") == (
        0, "service/cache exposed\n", "")
    served.settle()
    for args in (["get", "svc", "cache", "-o", "wide"], ["get", "ep", "cache"], ["describe", "svc", "cache"]):
        code, out, err = await kubectl(*args)
        assert (code, out) == (0, svcflow_get(served, "kubectl " + " ".join(args))), args
    pod_ip = served.call(lambda: next(p["status"]["podIP"] for p in served.cluster.store.list("Pod", "default")
                                      if p["metadata"]["name"].startswith("redis-")))
    assert f"{pod_ip}:6379" in (await kubectl("get", "ep", "cache"))[1]


def _editor(folder: Path, name: str, sed: str) -> Path:
    """An editor kubectl edit can run: sed over the file, and a copy of what it was shown."""
    script = folder / name
    script.write_text(f'#!/bin/sh\ncat "$1" >> "{folder}/{name}.seen"\nsed -i \'{sed}\' "$1"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


async def test_edit_applies_the_change_and_shows_a_validation_error_in_the_editor(served, kubectl, tmp_path,
                                                                                    monkeypatch):
    monkeypatch.setitem(os.environ, "KUBE_EDITOR", str(_editor(tmp_path, "nodeport", "s/^  type: ClusterIP/  type: NodePort/")))
    assert await kubectl("edit", "svc", "redis") == (0, "service/redis edited\n", "")
    served.settle()
    got = await kubectl("get", "svc", "redis")
    assert got == (0, svcflow_get(served, "kubectl get svc redis"), "") and "NodePort" in got[1]
    # an invalid edit: kubectl reopens the editor with the API server's causes on top, then gives up
    before = served.call(lambda: served.cluster.store.get("Service", "default", "redis"))
    monkeypatch.setitem(os.environ, "KUBE_EDITOR", str(_editor(tmp_path, "badport", "s/^    port: 6379/    port: 99999/")))
    code, out, err = await kubectl("edit", "svc", "redis")
    assert code == 1 and out == ""
    assert err.startswith('error: services "redis" is invalid\nA copy of your changes has been stored to "')
    assert err.endswith("error: Edit cancelled, no valid changes were saved.\n")
    seen = (tmp_path / "badport.seen").read_text()
    assert "# * spec.ports[0].port: Invalid value: 99999: must be between 1 and 65535, inclusive\n" in seen
    assert served.call(lambda: served.cluster.store.get("Service", "default", "redis")) == before


async def test_create_configmap_deployment_and_service(served, kubectl):
    assert await kubectl("create", "configmap", "settings", "--from-literal=mode=fast") == (
        0, "configmap/settings created\n", "")
    assert await kubectl("create", "deployment", "web", "--image=nginx", "--port=80") == (
        0, "deployment.apps/web created\n", "")
    assert await kubectl("create", "service", "clusterip", "web", "--tcp=80:80") == (
        0, "service/web created\n", "")
    served.settle()
    for line in ("kubectl get cm settings", "kubectl describe cm settings", "kubectl get deploy web",
                 "kubectl get svc web -o wide", "kubectl get ep web"):
        code, out, err = await kubectl(*line.split()[1:])
        assert (code, out) == (0, svcflow_get(served, line)), line
    assert " 1/1 " in (await kubectl("get", "deploy", "web"))[1]
    assert ":80" in (await kubectl("get", "ep", "web"))[1]  # `create service` selects app=web: its pod


async def test_api_resources_and_api_versions_list_what_the_registry_serves(kubectl):
    code, out, err = await kubectl("api-resources", "--no-headers")
    assert (code, err) == (0, "")
    listed = set()
    for line in out.splitlines():
        cells = line.split()
        if len(cells) == 4:  # no short name
            cells.insert(1, "")
        name, short, version, namespaced, kind = cells
        listed.add((name, short, version, namespaced == "true", kind))
    # (and the resources every kube-apiserver answers though svcflow keeps none: engine.api.apionly)
    served = [*kinds.KINDS.values(), *API_ONLY]
    want = {(i.plural, ",".join(i.short_names), i.api_version, i.namespaced, i.kind) for i in served}
    assert listed == want
    code, out, err = await kubectl("api-versions")
    assert (code, err) == (0, "") and out.splitlines() == sorted({i.api_version for i in served})
