"""`--kubeconfig` and `--context` go where a kubectl user puts them (issue 18): before the
command or after it, `--flag VALUE` or `--flag=VALUE`, for every command that can attach
(and the dashboard, `svcflow attach`); a command that only simulates says so in one line.
(The headless commands against a cluster: tests/attach/test_attach_kind.py.)"""
from __future__ import annotations

import pytest

from tests.helpers import run_cli
from tui import cli
from tui.app import SvcflowApp

STAGING = """\
apiVersion: v1
kind: Config
clusters:
- name: staging
  cluster: {server: "http://127.0.0.1:1"}
users:
- name: me
  user: {token: abc}
contexts:
- name: staging
  context: {cluster: staging, user: me}
current-context: staging
"""


@pytest.fixture
def dashboards(monkeypatch):
    """The attached dashboards `svcflow ...` would open: their AttachOptions, without a terminal."""
    opened = []
    monkeypatch.setattr(cli, "_needs_terminal", lambda err, what: False)
    monkeypatch.setattr(SvcflowApp, "run", lambda self, *a, **k: opened.append(self.workspace.options))
    return opened


@pytest.mark.parametrize("argv", [
    ["attach", "--kubeconfig", "KC", "--context", "staging"],
    ["attach", "--context=staging", "--kubeconfig=KC"],
    ["--kubeconfig", "KC", "attach", "--context", "staging"],
    ["--context", "staging", "--kubeconfig=KC", "attach"],
    ["--kubeconfig", "KC", "--context", "staging"],
])
def test_the_attached_dashboard_takes_the_flags_before_or_after_attach(dashboards, argv, tmp_path):
    kc = str(tmp_path / "kubeconfig")  # (one it can load: an unusable kubeconfig ends the command at once)
    (tmp_path / "kubeconfig").write_text(STAGING, encoding="utf-8")
    argv = [a.replace("KC", kc) for a in argv]
    assert run_cli(*argv).code == 0
    assert [(o.kubeconfig, o.context) for o in dashboards] == [(kc, "staging")]


@pytest.mark.parametrize("argv", [
    ["get", "pods", "--kubeconfig", "KC"],
    ["--kubeconfig", "KC", "get", "pods"],
    ["--kubeconfig=KC", "get", "pods"],
    ["get", "--kubeconfig=KC", "pods"],
    ["proxy-rules", "--node", "kind-worker", "--context", "svcflow", "--kubeconfig", "KC"],
    ["--context", "svcflow", "proxy-rules", "--node", "kind-worker", "--kubeconfig", "KC"],
    ["--deterministic", "--kubeconfig", "KC", "describe", "svc", "web"],
])
def test_the_headless_commands_take_the_flags_before_or_after_the_command(argv, tmp_path):
    """A kubeconfig that is not there is the same one line wherever --kubeconfig stood: it was read."""
    kc = str(tmp_path / "nope")
    r = run_cli(*[a.replace("KC", kc) for a in argv])
    assert (r.code, r.stdout, r.stderr) == (1, "", f"svcflow: no kubeconfig at {kc}\n")


@pytest.mark.parametrize("argv", [
    ["apply", "-f", "samples", "--kubeconfig", "KC"],
    ["--kubeconfig", "KC", "apply", "-f", "samples"],
    ["--context", "kind-kind", "session"],
    ["events", "-f", "samples", "--context=kind-kind"],
])
def test_a_command_that_only_simulates_says_so_in_one_line(argv, tmp_path):
    r = run_cli(*[a.replace("KC", str(tmp_path / "kc")) for a in argv])
    verb = next(a for a in argv if a in ("apply", "session", "events"))
    flag = next(a for a in argv if a.startswith("--k") or a.startswith("--c")).split("=")[0]
    assert (r.code, r.stdout) == (1, "")
    assert r.stderr == (f"svcflow: {verb} does not take {flag}: it runs on the simulated cluster of -f; attached to a "
                        "real cluster svcflow only reads (corefile, describe, dig, dns-records, get, proxy-rules, "
                        "screenshot, trace, or the dashboard)\n")
