"""The oracle: the REAL kubectl against `svcflow serve`'s API, byte for byte against svcflow's own CLI.

Each test runs the real kubectl 1.33 (this project's machines carry a dispatcher on PATH that
picks `kubectl.1.33` from the server's /version: the first test runs it, the others run the binary
it picks, `tests.served.kubectl_for_served`) with a fresh `--cache-dir`, against a served
deterministic cluster of samples/, and compares its stdout, stderr and exit code with what
svcflow's own commands print over the same cluster (reads) or over a twin cluster given the
same lines (writes). A machine without kubectl fails here, loudly: these tests are the proof
that the served API is the real thing.
"""
from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from engine.apply.workspace import cluster_from_paths
from engine.kubectl import commands
from engine.kubectl.session import Session
from tests.helpers import SAMPLES
from tests.served import Kubectl, ServedCluster, as_terminal, require_kubectl, served_samples

served = served_samples()


# ---------------------------------------------------------------------------------------------
# Reads: one served cluster for the module (nothing here writes)
# ---------------------------------------------------------------------------------------------

async def test_the_dispatcher_runs_kubectl_1_33_against_the_served_v1_33_1(served, tmp_path):
    kubectl = Kubectl(served, tmp_path, binary=require_kubectl())  # the `kubectl` on PATH itself
    code, out, err = await kubectl("version")
    assert (code, err) == (0, "")
    assert "Client Version: v1.33." in out and "Server Version: v1.33.1" in out


@pytest.mark.parametrize("args", [
    ["get", "all"],
    ["get", "po", "-o", "wide"],
    ["get", "svc"],
    ["get", "svc", "-o", "wide"],
    ["get", "ep"],
    ["get", "deploy", "redis"],
    ["get", "po", "-A"],
    ["get", "no"],
    ["get", "no", "-o", "wide"],
    ["get", "ns"],
    ["get", "cm", "-n", "kube-system"],
    ["get", "rs,ds", "-A"],
    ["get", "endpointslices"],
    ["get", "ev"],
    ["get", "ev", "-o", "wide"],
    ["get", "ds", "-n", "kube-system", "-o", "wide"],
    ["get", "svc,ep"],
    ["get", "svc", "redis", "-o", "yaml"],
    ["get", "deploy", "-o", "yaml"],
    ["get", "ep", "redis", "-o", "json"],
    ["get", "po", "-o", "name"],
    ["get", "po", "nope"],
    ["get", "po", "-l", "tier=db"],
    ["get", "po", "-l", "app=counter,tier!=db", "-o", "wide"],
    ["get", "po", "-l", "tier in (db,cache)"],
    ["get", "po", "-l", "nosuch=label"],
    ["get", "po", "-n", "nosuch"],
], ids=lambda a: " ".join(a))
async def test_get_prints_what_svcflow_get_prints(served, kubectl, args):
    flags: dict[str, Any] = {}
    words = []
    it = iter(args[1:])
    for a in it:
        if a == "-o":
            flags["output"] = next(it)
        elif a == "-l":
            flags["selector"] = next(it)
        elif a == "-n":
            flags["namespace"] = next(it)
        elif a == "-A":
            flags["all_namespaces"] = True
        else:
            words.append(a)
    want = served.svcflow(lambda c: commands.get(c, words, **flags))
    assert await kubectl(*args) == want


async def test_describe_ep_redis_with_the_deprecation_warning(served, kubectl):
    want = served.svcflow(lambda c: commands.describe(c, ["ep/redis"]))
    assert want[2].startswith("Warning: v1 Endpoints is deprecated in v1.33+")
    assert await kubectl("describe", "ep/redis") == want


@pytest.mark.parametrize("what", [["svc/redis"], ["svc"], ["endpointslices"], ["po", "nope"]],
                         ids=lambda a: " ".join(a))
async def test_describe_prints_what_svcflow_describe_prints(served, kubectl, what):
    """(Objects with events print their ages from kubectl's own clock, not the served one's.)"""
    want = served.svcflow(lambda c: commands.describe(c, what))
    assert await kubectl("describe", *what) == want


async def test_field_selectors_are_the_servers(served, kubectl):
    running = served.svcflow(lambda c: commands.get(c, ["po"]))
    assert await kubectl("get", "po", "--field-selector", "status.phase=Running") == running
    code, out, err = await kubectl("get", "po", "--field-selector", "status.phase!=Running")
    assert (code, out, err) == (0, "", "No resources found in default namespace.\n")
    node = served.call(lambda: served.cluster.store.list("Pod", "default")[0]["spec"]["nodeName"])
    code, out, err = await kubectl("get", "po", "--field-selector", f"spec.nodeName={node}", "-o", "name")
    want = served.call(lambda: "".join(f"pod/{p['metadata']['name']}\n" for p in served.cluster.store.list(
        "Pod", "default") if p["spec"].get("nodeName") == node))
    assert (code, out, err) == (0, want, "")
    code, out, err = await kubectl("get", "po", "--field-selector", "spec.nosuch=x")
    assert (code, out) == (1, "")
    assert err == "Error from server (BadRequest): Unable to find \"/v1, Resource=pods\" that match label selector " \
                  "\"\", field selector \"spec.nosuch=x\": field label not supported: spec.nosuch\n"


async def test_chunked_lists_follow_continue(served, kubectl):
    want = served.svcflow(lambda c: commands.get(c, ["po"], all_namespaces=True))
    assert await kubectl("get", "po", "-A", "--chunk-size=2") == want


async def test_get_w_prints_the_list_then_the_changes(served, kubectl, tmp_path):
    code, listed, _ = served.svcflow(lambda c: commands.get(c, ["deploy"]))
    proc = await asyncio.create_subprocess_exec(
        kubectl.binary, "--kubeconfig", str(served.kubeconfig), "--cache-dir", str(tmp_path / "cache"),
        "get", "deploy", "-w", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        first = [await asyncio.wait_for(proc.stdout.readline(), 30) for _ in listed.splitlines()]
        assert b"".join(first).decode() == listed
        # a change made through the API server reaches the open watch as one more row
        served.call(lambda: served.cluster.store.update(
            {**served.cluster.store.get("Deployment", "default", "redis"),
             "metadata": {**served.cluster.store.get("Deployment", "default", "redis")["metadata"],
                          "labels": {"watched": "yes"}}}))
        row = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
        assert row.split()[0] == "redis" and row.split()[1] == "1/1"
    finally:
        proc.kill()
        await proc.wait()


# ---------------------------------------------------------------------------------------------
# Writes: a served cluster and a twin given the same lines through svcflow's own session
# ---------------------------------------------------------------------------------------------

@pytest.fixture
def pair(tmp_path):
    require_kubectl()
    s = ServedCluster([SAMPLES], tmp_path)
    twin = Session(cluster_from_paths([SAMPLES], deterministic=True)[0], cwd=SAMPLES.parent)
    yield s, Kubectl(s, tmp_path / "k"), twin
    s.close()


async def _same(s: ServedCluster, kubectl: Kubectl, twin: Session, line: str) -> None:
    """kubectl LINE against the served cluster prints what svcflow's session prints for it on
    the twin, and both clusters then list the same objects."""
    got = await kubectl(*line.split()[1:])
    want = twin.feed(line)
    assert (got[0], as_terminal(got[1], got[2])) == (0, want), line
    for kinds in (["all"], ["ep"], ["po", "-o", "wide"]):
        code, out, err = await kubectl("get", *kinds)
        twin_out = twin.feed("kubectl get " + " ".join(kinds))
        assert as_terminal(out, err) == twin_out, (line, kinds)


async def test_the_tutorials_writes_match_svcflows_session(pair, tmp_path):
    s, kubectl, twin = pair
    await _same(s, kubectl, twin, "kubectl apply -f samples/counter-redis-svc.yml")  # unchanged
    changed = tmp_path / "samples" / "counter-redis-svc.yml"
    changed.parent.mkdir()
    text = (SAMPLES / "counter-redis-svc.yml").read_text()
    changed.write_text(text.replace("spec:\n  selector:", "spec:\n  replicas: 2\n  selector:", 1)
                       .replace("              protocol: TCP\n", "              protocol: TCP\n"
                                "            - containerPort: 6380\n", 1))
    twin.cwd = tmp_path
    got = await kubectl("apply", "-f", str(changed))
    assert got == (0, "deployment.apps/redis configured\nservice/redis unchanged\n", "")
    assert twin.feed(f"kubectl apply -f {changed}") == got[1]
    twin.cwd = SAMPLES.parent
    for kinds in (["all"], ["po", "-o", "wide"]):
        assert (await kubectl("get", *kinds))[1] == twin.feed("kubectl get " + " ".join(kinds))
    await _same(s, kubectl, twin, "kubectl scale deploy/redis --replicas=3")
    await _same(s, kubectl, twin, "kubectl label svc redis env=dev")
    await _same(s, kubectl, twin, "kubectl delete svc redis")
    await _same(s, kubectl, twin, "kubectl apply -f samples/counter-redis-svc.yml")  # configured, created
    await _same(s, kubectl, twin, "kubectl apply -f samples/counter-nodeport.yml")


async def test_refusals_read_as_from_a_cluster(pair, tmp_path):
    """Each refusal is a Status kubectl prints as against a cluster, in svcflow's own words."""
    s, kubectl, twin = pair
    code, out, err = await kubectl("delete", "svc", "nope")
    assert (code, out, err) == (1, "", 'Error from server (NotFound): services "nope" not found\n')
    bad = tmp_path / "bad.yml"
    bad.write_text("apiVersion: v1\nkind: Service\nmetadata:\n  name: bad\nspec:\n  ports:\n  - port: 99999\n")
    typo = tmp_path / "typo.yml"
    typo.write_text("apiVersion: v1\nkind: Service\nmetadata:\n  name: typo\nspec:\n  portz: []\n")
    for f in (bad, typo):
        code, out, err = await kubectl("apply", "-f", str(f))
        assert (code, out + err) == (1, twin.feed(f"kubectl apply -f {f}")), f.name
    assert "is invalid: \n* spec.ports[0].port: Invalid value: 99999" in twin.feed(f"kubectl apply -f {bad}")
    code, out, err = await kubectl("apply", "-f", str(typo))
    assert err == f'Error from server (BadRequest): error when creating "{typo}": Service in version "v1" ' \
                  'cannot be handled as a Service: strict decoding error: unknown field "spec.portz"\n'
    code, out, err = await kubectl("create", "-f", str(SAMPLES / "counter-app.yml"))
    assert (code, out) == (1, "")
    assert err == f'Error from server (AlreadyExists): error when creating "{SAMPLES / "counter-app.yml"}": ' \
                  'deployments.apps "counter" already exists\n'


@pytest.mark.parametrize("validate", ["warn", "false"])
async def test_unknown_fields_let_through_are_dropped_not_stored(served, kubectl, tmp_path, validate):
    """tester5 #18: kube-apiserver decodes into the typed object, so with --validate=warn
    (warned) or false a typo such as `tragetPort` is not stored and served back as if in
    effect."""
    typo = tmp_path / f"unk-{validate}.yml"
    typo.write_text(f"apiVersion: v1\nkind: Service\nmetadata:\n  name: unk-{validate}\n  zzz: 2\nspec:\n"
                    "  foo: bar\n  ports:\n  - port: 80\n    tragetPort: 8080\n")
    code, out, err = await kubectl("apply", "-f", str(typo), f"--validate={validate}")
    assert (code, out) == (0, f"service/unk-{validate} created\n")
    if validate == "warn":
        assert err == ('Warning: unknown field "metadata.zzz"\nWarning: unknown field "spec.foo"\n'
                       'Warning: unknown field "spec.ports[0].tragetPort"\n'), err
    code, out, _ = await kubectl("get", "svc", f"unk-{validate}", "-o", "json")
    svc = json.loads(out)
    assert "zzz" not in svc["metadata"] and "foo" not in svc["spec"]
    assert svc["spec"]["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": 80}]


async def test_reapply_is_a_strategic_merge_that_keeps_what_the_server_defaulted(pair, tmp_path):
    """As on a cluster: the container merges by name, so `imagePullPolicy: Always` (defaulted for
    the untagged `redis`) survives a re-apply that changes the image to `redis:7`."""
    s, kubectl, twin = pair
    changed = tmp_path / "redis.yml"
    changed.write_text((SAMPLES / "counter-redis-svc.yml").read_text().replace("image: redis", "image: redis:7"))
    assert await kubectl("apply", "-f", str(changed)) == (
        0, "deployment.apps/redis configured\nservice/redis unchanged\n", "")
    code, out, err = await kubectl("get", "deploy", "redis", "-o",
                                   "jsonpath={.spec.template.spec.containers[0].image} "
                                   "{.spec.template.spec.containers[0].imagePullPolicy}")
    assert (code, out, err) == (0, "redis:7 Always", "")


async def test_kubectl_apply_of_the_samples_on_an_empty_cluster_is_svcflow_apply(tmp_path):
    """The tutorial's first step through the real kubectl: the same lines, the same objects (the
    last-applied annotation included), the same pods as `svcflow apply -f samples/`."""
    require_kubectl()
    s = ServedCluster([], tmp_path)
    try:
        kubectl = Kubectl(s, tmp_path / "k")
        twin, report = cluster_from_paths([SAMPLES], deterministic=True)
        assert await kubectl("apply", "-f", "samples/") == (0, report.stdout(), "")
        for kind in ("Deployment", "Service"):
            for want in twin.store.list(kind, "default"):
                got = s.call(lambda: s.cluster.store.get(kind, "default", want["metadata"]["name"]))
                # (the served API records its writer: svcflow apply is not a write through it)
                got_md = dict(got["metadata"])
                writers = [e["manager"] for e in got_md.pop("managedFields", [])]
                assert writers == ([] if got_md["name"] == "kubernetes" else ["kubectl-client-side-apply"])
                assert {**{k: v for k, v in got.items() if k != "status"}, "metadata": got_md} == \
                       {k: v for k, v in want.items() if k != "status"}
        for words in (["all"], ["ep"]):
            want = commands.get(twin, words)
            assert await kubectl("get", *words) == (want.code, want.stdout, want.warnings + want.stderr)
    finally:
        s.close()
