"""`kubectl run --image-pull-policy` (kubectl v1.33): the REAL kubectl against `svcflow serve`
and svcflow's own kubectl print the same bytes, the pod's container carries the policy asked
for (or the API server's default when none is), and a bad value is refused in run.go's order
(the image's reference first, then --restart, then --image-pull-policy)."""
from __future__ import annotations

import pytest

from engine.kubectl.session import Session
from tests.helpers import SAMPLES
from tests.served import served_samples

served = served_samples()


def twin(served, line: str) -> str:
    return served.call(lambda: Session(served.cluster, cwd=SAMPLES.parent).feed(line))


def pull_policy(served, name: str) -> str:
    return served.call(lambda: served.cluster.store.get("Pod", "default", name)["spec"]["containers"][0]
                       ["imagePullPolicy"])


async def test_the_policy_asked_for_is_the_containers(served, kubectl):
    assert await kubectl("run", "real", "--image=nginx:1.27", "--image-pull-policy=Always") == (
        0, "pod/real created\n", "")
    assert twin(served, "kubectl run own --image=nginx:1.27 --image-pull-policy=Always") == "pod/own created\n"
    assert pull_policy(served, "real") == pull_policy(served, "own") == "Always"
    # (none given: the server's default for a tagged image)
    assert twin(served, "kubectl run plain --image=nginx:1.27") == "pod/plain created\n"
    assert pull_policy(served, "plain") == "IfNotPresent"
    assert twin(served, "kubectl run empty --image=nginx:1.27 --image-pull-policy=") == "pod/empty created\n"
    assert pull_policy(served, "empty") == "IfNotPresent"


@pytest.mark.parametrize("flags", [
    ("--image=nginx", "--image-pull-policy=Sometimes"),
    ("--image=nginx", "--image-pull-policy=always"),
    ("--image=NGINX", "--image-pull-policy=Sometimes"),
    ("--image=nginx", "--restart=Bad", "--image-pull-policy=Sometimes"),
])
async def test_a_bad_policy_is_refused_as_kubectl_refuses_it(served, kubectl, flags):
    code, out, err = await kubectl("run", "bad", *flags)
    assert code == 1 and out == ""
    assert twin(served, "kubectl run bad " + " ".join(flags)) == err
    if "--image=nginx" in flags and "--restart=Bad" not in flags:
        assert err == (f"error: invalid image pull policy: {flags[1].split('=')[1]}\n"
                       "See 'kubectl run -h' for help and examples\n")
    assert served.call(lambda: served.cluster.store.get("Pod", "default", "bad")) is None


async def test_only_run_has_the_flag(served, kubectl):
    code, out, err = await kubectl("get", "pods", "--image-pull-policy=Never")
    assert code == 1 and err == "error: unknown flag: --image-pull-policy\nSee 'kubectl get --help' for usage.\n"
    assert twin(served, "kubectl get pods --image-pull-policy=Never") == err
