"""The tutorial's commands, through the headless CLI, print what a kind cluster prints.

Golden files in tests/golden/tutorial were produced by svcflow and checked line by line
against kubectl's format (spec section B) and the tutorial's own transcript; the tests
below also assert the facts a reader of the tutorial looks for, so a golden refresh
cannot silently hide a regression.
"""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from tests.helpers import ROOT
from tui.cli import main

GOLDEN = Path(__file__).parent.parent / "golden" / "tutorial"
COMMANDS = ["apply", "get all", "get ep", "get endpoints", "describe ep/redis", "get svc", "get po",
            "get po -o wide", "describe svc/redis", "describe svc counter-np", "get deploy,rs",
            "get endpointslices"]


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([*args], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def tutorial(cmd: str) -> tuple[int, str, str]:
    return run(*cmd.split(), "-f", str(ROOT / "samples"), "--deterministic")


@pytest.mark.parametrize("cmd", COMMANDS)
def test_golden(cmd):
    code, out, err = tutorial(cmd)
    assert code == 0
    golden = (GOLDEN / (re.sub(r"[ /,]", "_", cmd) + ".txt")).read_text()
    assert err + out == golden


def test_two_deterministic_runs_print_the_same_bytes():
    assert tutorial("get all -A -o wide") == tutorial("get all -A -o wide")


def test_get_all_shows_what_the_tutorial_shows():
    _, out, _ = tutorial("get all")
    tables = out.split("\n\n")
    assert [t.splitlines()[0].split()[0] for t in tables] == ["NAME"] * 4
    assert re.search(r"^pod/redis-[4-9bcdf]{6,10}-[bcdfghjklmnpqrstvwxz2456789]{5}\s+1/1\s+Running\s+0\s+\d+s$",
                     out, re.M)
    assert re.search(r"^service/kubernetes\s+ClusterIP\s+10\.96\.0\.1\s+<none>\s+443/TCP\s+2m\d*s?$", out, re.M)
    assert re.search(r"^service/counter-np\s+NodePort\s+10\.96\.\d+\.\d+\s+<none>\s+3000:31000/TCP\s+\d+s$", out, re.M)
    assert re.search(r"^deployment\.apps/redis\s+1/1\s+1\s+1\s+\d+s$", out, re.M)


def test_endpoints_hold_the_pod_ip():
    _, pods, _ = tutorial("get po -o wide")
    redis_ip = next(l.split()[5] for l in pods.splitlines() if l.startswith("redis-"))
    _, ep, err = tutorial("get ep")
    assert err.startswith("Warning: v1 Endpoints is deprecated in v1.33+")
    assert re.search(rf"^redis\s+{re.escape(redis_ip)}:6379\s+\d+s$", ep, re.M)
    _, desc, _ = tutorial("describe ep/redis")
    assert f"  Addresses:          {redis_ip}\n" in desc


def test_not_found_and_unknown_type():
    code, out, err = tutorial("get svc nope")
    assert code == 1 and out == "" and err == 'Error from server (NotFound): services "nope" not found\n'
    code, out, err = tutorial("get deploy/nope")
    assert code == 1 and err == 'Error from server (NotFound): deployments.apps "nope" not found\n'
    code, _, err = tutorial("get foo")
    assert code == 1 and err == 'error: the server doesn\'t have a resource type "foo"\n'
    code, out, err = run("get", "po", "--deterministic", "--bare")
    assert code == 0 and out == "" and err == "No resources found in default namespace.\n"


def test_invalid_object_is_rejected_and_the_rest_applies(tmp_path):
    (tmp_path / "bad.yaml").write_text((ROOT / "samples" / "counter-redis-svc.yml").read_text()
                                       .replace("- port: 6379", "- port: 70000"))
    code, out, err = run("apply", "-f", str(tmp_path), "--deterministic")
    assert code == 1
    assert out == "deployment.apps/redis created\n"
    assert err == ('The Service "redis" is invalid: \n'
                   "* spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive\n"
                   "* spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive\n")


def test_events_tag_the_service_flow_steps():
    code, out, _ = tutorial("events")
    assert code == 0
    lines = out.splitlines()
    assert any("endpoint-controller collected Service/default/redis [step 1]" in l for l in lines)
    assert any("endpoint-controller created Endpoints/default/redis [step 2]" in l for l in lines)
    assert any("endpointslice-controller wrote Service/default/redis [step 2] EndpointSlice redis-" in l for l in lines)
    times = [l.split()[0] for l in lines]
    assert times == sorted(times)


def test_yaml_error_names_file_and_line_and_other_files_apply(tmp_path):
    (tmp_path / "a.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata:\n  name: x\n   bad: here\n")
    (tmp_path / "b.yml").write_text((ROOT / "samples" / "counter-nodeport.yml").read_text())
    code, out, err = run("apply", "-f", str(tmp_path), "--deterministic")
    assert code == 1 and out == "service/counter-np created\n"
    assert err == (f"error: error parsing {tmp_path / 'a.yaml'}: error converting YAML to JSON: "
                   "yaml: line 5: mapping values are not allowed in this context\n")


def test_unknown_kind_in_kubectl_words(tmp_path):
    (tmp_path / "r.yaml").write_text((ROOT / "samples" / "counter-redis-svc.yml").read_text()
                                     .replace("kind: Deployment", "kind: Deploymnt"))
    code, out, err = run("apply", "-f", str(tmp_path / "r.yaml"), "--deterministic")
    assert code == 1 and out == "service/redis created\n"
    assert err == (f'error: resource mapping not found for name: "redis" namespace: "" from "{tmp_path / "r.yaml"}": '
                   'no matches for kind "Deploymnt" in version "apps/v1"\nensure CRDs are installed first\n')


def test_describe_pod_deploy_node_read_like_kubectl():
    _, names, _ = tutorial("get po -o name")
    pod = next(n for n in names.split() if "redis" in n)
    code, out, _ = tutorial(f"describe {pod}")
    assert code == 0 and out.startswith(f"Name:             {pod.split('/')[1]}\nNamespace:        default\n")
    assert "Successfully assigned default/" in out and "Started container redis" in out
    _, out, _ = tutorial("describe deploy/redis")
    assert "NewReplicaSet:   redis-" in out and "Scaled up replica set redis-" in out
    _, out, _ = tutorial("describe node kind-control-plane")
    assert "Taints:             node-role.kubernetes.io/control-plane:NoSchedule" in out


def test_dig_from_a_deployment_as_the_readme_shows():
    code, out, err = tutorial("dig redis --from deploy/counter")
    assert code == 0, err
    assert re.match(r";; resolv.conf of pod default/counter-\S+:\n;;   search default.svc.cluster.local ", out)
    assert ";; tried redis.default.svc.cluster.local: NOERROR <- answer" in out
    code, _, err = tutorial("dig redis --from deploy/nope")
    assert code == 1 and err == 'Error from server (NotFound): pods "nope" not found\n'
