"""Shared test helpers: build clusters from YAML text without touching the disk."""
from __future__ import annotations

import io
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from engine.apply.workspace import cluster_from_paths
from engine.cluster.cluster import Cluster
from engine.kubectl import commands as kubectl
from engine.kubectl.session import Session
from tui.cli import main as cli_main

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


def apply_yaml(cluster: Cluster, text: str) -> list:
    """Apply every document of `text` (kubectl apply semantics), then run to steady state."""
    results = [cluster.api.apply(d, "test.yaml") for d in yaml.safe_load_all(text) if d]
    cluster.run_until_idle()
    return results


def apply_file(text: str, name: str = "f.yaml"):
    """Write `text` to `name` (relative: use the `here` fixture) and load it as the CLI does:
    a fresh deterministic cluster and the apply report."""
    from engine.apply.workspace import cluster_from_paths

    Path(name).write_text(text)
    return cluster_from_paths([name], deterministic=True)


def sample(name: str) -> str:
    return (SAMPLES / name).read_text()


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    def __iter__(self):
        """`code, out, err = run_cli(...)`."""
        return iter((self.code, self.stdout, self.stderr))


def run_cli(*args: str) -> CliResult:
    """`svcflow ARGS...` in-process, as a shell would run it; `samples` names the repo's samples."""
    out, err = io.StringIO(), io.StringIO()
    argv = [str(SAMPLES) if a == "samples" else a for a in args]
    code = cli_main(argv, out=out, err=err)
    return CliResult(code, out.getvalue(), err.getvalue())


#: A ClusterIP Service "web" in front of the samples' counter pods (port 80 -> 3000): the object
#: the served-API tests write through the real kubectl.
WEB_SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: counter
  ports:
  - port: 80
    targetPort: 3000
"""


async def until(pilot, ready, timeout: float = 10.0) -> None:
    """Pause the app under test until `ready()` holds, `timeout` seconds at most.

    Why: one `pilot.pause()` lets the app process what is queued, but a layout the
    focus or a resize asked for may come a few frames later when the machine is
    loaded (the suite runs on two workers): a pane measures 0 rows until then. The
    test's own assertions follow; this only waits for the screen they read."""
    end = time.monotonic() + timeout
    await pilot.pause()
    while not ready() and time.monotonic() < end:
        await pilot.pause(0.02)


def terminal_text(app) -> str:
    """What the dashboard's Terminal pane holds, a line each."""
    return "\n".join(str(line.text) for line in app.query_one("#terminal-log").lines)


def web_service_yaml(*container_lines: str, image: str = "nginx") -> str:
    """A one-replica Deployment `web` (one container, `image`, plus `container_lines` in
    flow style, e.g. `readinessProbe: {httpGet: {path: /, port: 80}}`) and its Service on 80:
    what the probe and kubelet tests start from."""
    extra = "".join(f"          {line}\n" for line in container_lines if line)
    return f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers:
        - name: web
          image: {image}
{extra}---
apiVersion: v1
kind: Service
metadata: {{name: web}}
spec:
  selector: {{app: web}}
  ports: [{{port: 80}}]
"""


def samples_with_counters(replicas: int = 4) -> Cluster:
    """The samples' cluster at rest with the counter Deployment scaled to `replicas`
    (pods on every worker: what the node-down and node-restart tests take down)."""
    c = cluster_from_paths([SAMPLES], deterministic=True)[0]
    c.run_until_idle()
    assert kubectl.run_line(c, f"kubectl scale deploy counter --replicas={replicas}").code == 0
    c.run_until_idle()
    return c


def pod_shell(cluster: Cluster, target: str, program: str = "sh") -> Session:
    """svcflow's session inside `kubectl exec -it TARGET -- PROGRAM`, as a learner types it."""
    s = Session(cluster, cwd=SAMPLES.parent)
    assert s.feed(f"kubectl exec -it {target} -- {program}") == ""
    return s
