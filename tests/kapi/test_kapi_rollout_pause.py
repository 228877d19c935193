"""A rollout paused and resumed, and its history, through the real kubectl (tester4 #6, #12):
a paused Deployment makes no new ReplicaSet for a changed template until `rollout resume`;
the Deployment carries its current revision (`deployment.kubernetes.io/revision`, which
`describe deploy` shows) and its annotations reach the current ReplicaSet, so `rollout
history` prints the `kubernetes.io/change-cause` a user set."""
from __future__ import annotations

from tests.served import served_samples

served = served_samples()


def replicasets(served, prefix: str) -> list[dict]:
    return served.call(lambda: [r for r in served.cluster.store.list("ReplicaSet", "default")
                                if r["metadata"]["name"].startswith(prefix)])


async def test_a_paused_rollout_waits_for_resume_and_its_history_has_the_change_cause(served, kubectl):
    assert await kubectl("create", "deployment", "web", "--image=nginx:1.27", "--replicas=2") == (
        0, "deployment.apps/web created\n", "")
    code, out, _ = await kubectl("get", "deploy", "web", "-o", "jsonpath={.metadata.annotations}")
    assert '"deployment.kubernetes.io/revision":"1"' in out
    assert await kubectl("rollout", "pause", "deploy/web") == (0, "deployment.apps/web paused\n", "")
    assert (await kubectl("set", "image", "deploy/web", "nginx=nginx:1.28"))[0] == 0
    assert len(replicasets(served, "web-")) == 1  # no rollout while paused
    code, out, _ = await kubectl("get", "deploy", "web", "-o",
                                 "jsonpath={.status.conditions[?(@.type==\"Progressing\")].reason}")
    assert out == "DeploymentPaused"
    assert (await kubectl("scale", "deploy/web", "--replicas=3"))[0] == 0  # scaling still works
    (rs,) = replicasets(served, "web-")
    assert rs["spec"]["replicas"] == 3
    assert await kubectl("annotate", "deploy/web", "kubernetes.io/change-cause=nginx 1.28") == (
        0, "deployment.apps/web annotated\n", "")
    assert await kubectl("rollout", "resume", "deploy/web") == (0, "deployment.apps/web resumed\n", "")
    rss = replicasets(served, "web-")
    assert len(rss) == 2
    code, out, err = await kubectl("rollout", "history", "deploy/web")
    assert (code, err) == (0, "")
    assert out == ("deployment.apps/web \nREVISION  CHANGE-CAUSE\n1         <none>\n2         nginx 1.28\n\n"), out
    code, out, _ = await kubectl("describe", "deploy", "web")
    assert "Annotations:            deployment.kubernetes.io/revision: 2\n" in out
