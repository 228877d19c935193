"""svcflow's own `kubectl rollout status` at the prompt: while it watches, the cluster runs on
its clock and the command prints the status viewer's line each time the Deployment changed,
until the rollout is done (kubectl's lines; tests/kapi/test_kapi_rollout_deployment.py holds
them equal to the real kubectl's); a rollout that cannot finish ends at --timeout as kubectl's
does, or, with none, after svcflow's cap on the cluster's time, saying so."""
from __future__ import annotations

from pathlib import Path

from engine.apply.workspace import cluster_from_paths
from engine.kubectl.rolloutstatus import WATCH_CAP
from engine.kubectl.session import Session
from tests.helpers import SAMPLES

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: x
spec:
  replicas: 3
  selector:
    matchLabels:
      app: x
  template:
    metadata:
      labels:
        app: x
    spec:
      containers:
      - name: nginx
        image: IMAGE
"""


def sessions(tmp_path: Path) -> tuple[Session, Session]:
    """A settled session (each line runs the cluster to its steady state) and one whose
    lines leave the cluster where they found it, on the same cluster."""
    for name, image in (("v1", "nginx:1.27"), ("v2", "nginx:1.28"), ("typo", "ngnix")):
        (tmp_path / f"{name}.yaml").write_text(DEPLOYMENT.replace("IMAGE", image))
    cluster = cluster_from_paths([SAMPLES], deterministic=True)[0]
    return Session(cluster, cwd=tmp_path), Session(cluster, cwd=tmp_path, settle=False)


def test_status_follows_a_rollout_to_its_end(tmp_path):
    settled, live = sessions(tmp_path)
    assert settled.feed("kubectl apply -f v1.yaml") == "deployment.apps/x created\n"
    assert live.feed("kubectl apply -f v2.yaml") == "deployment.apps/x configured\n"
    before = live.cluster.clock.now()
    out = live.feed("kubectl rollout status deploy/x")
    lines = out.splitlines()
    assert lines[-1] == 'deployment "x" successfully rolled out', out
    assert len(lines) > 2 and all(line.startswith('Waiting for deployment "x" rollout to finish: ')
                                  for line in lines[:-1]), out
    assert any("new replicas have been updated..." in line for line in lines), out
    assert live.cluster.clock.now() > before  # (the cluster ran while the command watched)
    status = live.cluster.store.get("Deployment", "default", "x")["status"]
    assert status["updatedReplicas"] == status["availableReplicas"] == 3


def test_a_rollout_that_cannot_finish_ends_at_the_timeout(tmp_path):
    settled, _ = sessions(tmp_path)
    settled.feed("kubectl apply -f v1.yaml")
    settled.feed("kubectl apply -f typo.yaml")  # (ngnix: no such image, its pod never starts)
    before = settled.cluster.clock.now()
    assert settled.feed("kubectl rollout status deploy/x --timeout=30s") == (
        'Waiting for deployment "x" rollout to finish: 1 out of 3 new replicas have been updated...\n'
        "error: timed out waiting for the condition\n")
    assert (settled.cluster.clock.now() - before).total_seconds() >= 30
    assert settled.feed("kubectl rollout status deploy/x") == (
        'Waiting for deployment "x" rollout to finish: 1 out of 3 new replicas have been updated...\n'
        f"error: svcflow stopped waiting after {int(WATCH_CAP) // 60}m of the cluster's time (the real kubectl "
        "waits until the rollout is done, or for --timeout)\n")
    # undo: back to the template that runs, and the rollout finishes
    assert settled.feed("kubectl rollout undo deploy/x") == "deployment.apps/x rolled back\n"
    assert settled.feed("kubectl rollout status deploy/x") == 'deployment "x" successfully rolled out\n'
