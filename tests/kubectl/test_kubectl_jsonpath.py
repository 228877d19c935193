"""`-o jsonpath=`, `-o jsonpath-as-json=` and `-o custom-columns=`: client-go's JSONPath
dialect, checked against the real kubectl, which runs the same printer offline on
`kubectl config view` (no server needed)."""
from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from engine.kubectl.printers import jsonpath
from engine.kubectl.printers.encoding import json_compact, json_indent
from tests.helpers import run_cli

KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters:
- name: a
  cluster: {server: "http://127.0.0.1:1"}
- name: b
  cluster: {server: "http://127.0.0.1:2", insecure-skip-tls-verify: true}
contexts:
- name: ca
  context: {cluster: a, user: u, namespace: x}
users:
- name: u
  user: {token: abc}
current-context: ca
"""

TEMPLATES = [
    '{.clusters[*].name}{"\\n"}{range .clusters[*]}{.name}={.cluster.server}{"\\n"}{end}',
    '{.clusters[?(@.name=="b")].cluster}|{.contexts[0]}|{.nope}',
    "{.clusters[-1:].name} {.clusters[0:1].name} {.clusters[:].name} {.clusters[1:2:1]}",
    '{.clusters[?(@.name=="b")].cluster}|{.contexts[0]}|{.nope}|{.clusters[5]}',
    "{.a",
    "{range .clusters[*]}[{.name}]{end}{end}",
    "{.clusters[*]['name','cluster']}",
    "{.kind} {.preferences} {.current-context} {@.apiVersion}",
    "{.clusters[?(@.cluster.insecure-skip-tls-verify)].name}",
    "{.clusters[?(@.name!=\"b\")].name}{'\\t'}x",
    "{.users[*].user.token}{.clusters[2:1]}",
    "{.clusters[0].cluster.server.x}",
    "{range .users[*]}{range .user}{@}{end}{end}",
    "{.clusters[?(@.name>3)].name}",
    "{$.kind}",
    "{.clusters[0:0]}",
    "{ .kind }",
    "{.clusters[*].cluster.insecure-skip-tls-verify}",
    "{.clusters[x]}",
    "{.clusters[?(@.name==\"b\")]}",
]


def _kubectl() -> str:
    path = shutil.which("kubectl")
    assert path, "the real kubectl must be on PATH (it is on every machine of this project, CI's included)"
    return path


@pytest.fixture(scope="module")
def kubeconfig(tmp_path_factory):
    p = tmp_path_factory.mktemp("kc") / "config"
    p.write_text(KUBECONFIG)
    return str(p)


def _ours(template: str, data: dict, as_json: bool) -> tuple[str, str]:
    try:
        return jsonpath.execute(template, data, json_compact, json_indent, as_json=as_json), ""
    except jsonpath.JSONPathError as e:
        return "", f"error: {e}" + ("" if str(e).endswith("\n") else "\n")


@pytest.mark.parametrize("fmt", ["jsonpath", "jsonpath-as-json"])
def test_templates_print_what_the_real_kubectl_prints(kubeconfig, fmt):
    kubectl = _kubectl()
    data = json.loads(subprocess.run([kubectl, "config", "view", "--kubeconfig", kubeconfig, "-o", "json"],
                                     capture_output=True, text=True, check=True).stdout)
    for template in TEMPLATES:
        real = subprocess.run([kubectl, "config", "view", "--kubeconfig", kubeconfig, "-o", f"{fmt}={template}"],
                              capture_output=True, text=True)
        assert _ours(template, data, fmt == "jsonpath-as-json") == (real.stdout, real.stderr), template


def test_get_jsonpath_ranges_over_the_pods():
    names = run_cli("get", "pods", "-o", "name", "-f", "samples", "--deterministic").stdout.split()
    out = run_cli("get", "pods", "-f", "samples", "--deterministic",
                  "-o", 'jsonpath={range .items[*]}{.metadata.name}{"\\t"}{.status.podIP}{"\\n"}{end}')
    rows = [line.split("\t") for line in out.stdout.splitlines()]
    assert ["pod/" + r[0] for r in rows] == names
    assert all(r[1].startswith("10.244.") for r in rows)


def test_custom_columns_print_one_row_per_object_with_none_for_missing():
    out = run_cli("get", "svc", "-f", "samples", "--deterministic",
                  "-o", "custom-columns=NAME:.metadata.name,SEL:{.spec.selector},PORT:spec.ports[*].port")
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["NAME", "SEL", "PORT"]
    rows = {line.split()[0]: line.split()[1:] for line in lines[1:]}
    assert rows["kubernetes"] == ["<none>", "443"]
    assert rows["redis"] == ["map[app:counter", "tier:db]", "6379"]


def test_bad_templates_are_refused_in_kubectls_words():
    out = run_cli("get", "svc", "-f", "samples", "-o", "custom-columns=NAME")
    assert (out.code, out.stderr) == (1, "error: unexpected custom-columns spec: NAME, expected <header>:<json-path-expr>\n")
    out = run_cli("get", "svc", "-f", "samples", "-o", "jsonpath={.a")
    assert (out.code, out.stderr) == (1, "error: error parsing jsonpath {.a, unclosed action\n")
    out = run_cli("get", "svc", "-f", "samples", "-o", "go-template={{.}}")
    assert out.code == 1 and "svcflow serve" in out.stderr and out.stdout == ""
