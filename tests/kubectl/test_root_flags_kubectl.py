"""A root flag that ends the line without its value (`kubectl -n`): svcflow's `:` prompt and
sessions print what the real kubectl 1.33 prints, byte for byte (pflag's `flag needs an
argument`, against the root command or the command typed), with its exit code."""
from __future__ import annotations

import os
import subprocess

import pytest

from engine.cluster.cluster import Cluster
from engine.kubectl import commands
from engine.kubectl.session import Session
from tests.helpers import SAMPLES
from tests.served import require_kubectl_for_served

LINES = ["-n", "--namespace", "-v", "-s", "--context", "--kubeconfig", "get pods -n", "get -n",
         "get pods --namespace", "describe svc -n", "-n other get pods -n", "exec -n", "apply -n",
         "apply -f . --namespace"]


def _real(tmp_path, line: str) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    env["HOME"] = str(tmp_path)
    r = subprocess.run([require_kubectl_for_served(), *line.split()], capture_output=True, text=True, env=env,
                       cwd=SAMPLES, timeout=60)
    assert r.stdout == ""
    return r.returncode, r.stderr


@pytest.fixture(scope="module")
def session() -> Session:
    return Session(Cluster(deterministic=True), cwd=SAMPLES)


@pytest.mark.parametrize("line", LINES)
def test_a_root_flag_without_its_value_is_kubectls_usage_error(tmp_path, session, line):
    code, err = _real(tmp_path, line)
    assert code == 1 and err.startswith("error: flag needs an argument: ")
    assert session.feed(f"kubectl {line}") == err
    if line.split()[0] not in ("exec", "apply"):  # (the prompt sends those to the real kubectl)
        out = commands.run_line(session.cluster, line)
        assert (out.code, out.stdout, out.stderr) == (1, "", err)


def test_root_flags_alone_name_no_command(session):
    assert commands.run_line(session.cluster, "-n other") == commands.Output()
    assert session.feed("kubectl -n other") == "kubectl controls the Kubernetes cluster manager.\n"
    assert commands.run_line(session.cluster, "-n kube-system get deploy").stdout.startswith("NAME      READY")
