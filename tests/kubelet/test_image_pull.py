"""Images that cannot be pulled, as kind v1.33 (kubelet 1.33, containerd 2.x) shows them
(engine/kubelet/images.py, pulls.py, kubelet.py): a mistyped Docker Hub name is
ErrImagePull then ImagePullBackOff with containerd's error, retried on the image back-off
(10 s doubling to 300 s); a reference that does not parse is InvalidImageName and is never
pulled; imagePullPolicy Never without the image is ErrImageNeverPull; fixing the image
starts the pod. Every image svcflow's samples and tests use still pulls."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from engine.apply.workspace import cluster_from_paths
from engine.kubectl import commands
from engine.kubelet.images import damerau_levenshtein, invalid_name, is_reference, normalize_image, pull_error
from engine.kubelet.pulls import ImageManager
from tests.helpers import SAMPLES, apply_yaml

DENIED = ("rpc error: code = Unknown desc = failed to pull and unpack image \"docker.io/library/{0}:latest\": "
          "failed to resolve reference \"docker.io/library/{0}:latest\": pull access denied, repository does not "
          "exist or may require authorization: server message: insufficient_scope: authorization failed")


@pytest.mark.parametrize(("image", "full"), [
    ("nginx", "docker.io/library/nginx:latest"),
    ("redis:7", "docker.io/library/redis:7"),
    ("curlimages/curl:8.8.0", "docker.io/curlimages/curl:8.8.0"),
    ("index.docker.io/library/busybox", "docker.io/library/busybox:latest"),
    ("registry.k8s.io/pause:3.10", "registry.k8s.io/pause:3.10"),
    ("localhost:5000/app", "localhost:5000/app:latest"),
    ("nginx@sha256:" + "a" * 64, "docker.io/library/nginx@sha256:" + "a" * 64),
])
def test_references_are_normalised_as_containerd_names_them(image, full):
    assert normalize_image(image) == full


@pytest.mark.parametrize(("image", "error"), [
    ("Nginx", "invalid reference format: repository name (library/Nginx) must be lowercase"),
    ("myorg/API:1", "invalid reference format: repository name (myorg/API) must be lowercase"),
    ("nginx:", "invalid reference format"),
    ("nginx:1.27 ", "invalid reference format"),
    ("a" * 64, f"invalid repository name ({'a' * 64}), cannot specify 64-byte hexadecimal strings"),
])
def test_a_reference_that_does_not_parse_is_the_kubelets_invalid_image_name(image, error):
    assert invalid_name(image) == (f'Failed to apply default image tag "{image}": '
                                   f'couldn\'t parse image name "{image}": {error}')


def test_a_registry_host_may_have_capitals_and_kubectl_run_checks_the_unnormalised_grammar():
    assert invalid_name("Registry.Example.com/app:1") is None
    assert is_reference("nginx:1.27") and is_reference("Registry.Example.com/app")
    assert not is_reference("Nginx") and not is_reference("nginx:")


@pytest.mark.parametrize("image", ["ngnix", "nginxx", "redsi", "busybx", "alpin", "ubunut:22.04", "nicolaka/netshot",
                                   "curlimages/crul"])
def test_a_near_miss_of_a_known_docker_hub_name_does_not_exist(image):
    error = pull_error(image)
    assert error is not None and error.endswith(
        "pull access denied, repository does not exist or may require authorization: "
        "server message: insufficient_scope: authorization failed")
    assert f'failed to pull and unpack image "{normalize_image(image)}"' in error


@pytest.mark.parametrize("image", [
    "nginx", "nginx:1.27", "busybox:1.36", "redis:7", "alpine", "kong", "mono", "agnhost",  # known (kong: not a mongo typo)
    "my-app", "example/api:2.0", "sidecar", "x",  # unknown, and no typo of a known one: svcflow cannot know
    "ghcr.io/subicura/counter:v2", "quay.io/someone/nginxx",  # other registries: never a Hub typo
])
def test_every_other_image_pulls(image):
    assert pull_error(image) is None and invalid_name(image) is None


def test_damerau_levenshtein_counts_a_swap_as_one_edit():
    assert damerau_levenshtein("ngnix", "nginx") == 1
    assert damerau_levenshtein("redsi", "redis") == 1
    assert damerau_levenshtein("busybx", "busybox") == 1
    assert damerau_levenshtein("kitten", "sitting") == 3


def test_the_image_back_off_doubles_from_10s_to_300s_and_carries_the_last_error():
    events: list[tuple[str, str, str]] = []
    mgr = ImageManager(__import__("random").Random(1))
    ct = {"name": "c", "image": "ngnix", "imagePullPolicy": "Always"}
    t0 = datetime(2025, 6, 1)
    pulls, t = [], t0
    while t < t0 + timedelta(seconds=1300):
        ensured = mgr.ensure("uid", ct, set(), t, lambda ty, r, m, at: events.append((ty, r, m)), lambda _: 1.0)
        if ensured.reason == "ErrImagePull":
            pulls.append((t - t0).total_seconds())
            assert ensured.message == DENIED.format("ngnix")
        else:
            assert ensured.reason == "ImagePullBackOff"
            assert ensured.message == 'Back-off pulling image "ngnix": ErrImagePull: ' + DENIED.format("ngnix")
        t += timedelta(seconds=1)
    gaps = [round(b - a) for a, b in zip(pulls, pulls[1:])]
    # the back-off runs from the failed pull's end (0.3-1.2 s after it started), synced every second here
    delays = [10, 20, 40, 80, 160, 300, 300]
    assert len(gaps) >= len(delays) and all(d < g <= d + 2 for g, d in zip(gaps, delays)), gaps
    assert ("Warning", "Failed", "Error: ErrImagePull") in events
    assert ("Normal", "BackOff", 'Back-off pulling image "ngnix"') in events
    assert ("Warning", "Failed", "Error: ImagePullBackOff") in events
    mgr.forget("uid")
    assert mgr.ensure("uid", ct, set(), t, lambda *a: None, lambda _: 1.0).reason == "ErrImagePull"


PODS = """\
apiVersion: v1
kind: Pod
metadata: {name: typo}
spec:
  containers: [{name: web, image: ngnix}]
---
apiVersion: v1
kind: Pod
metadata: {name: caps}
spec:
  containers: [{name: web, image: Nginx}]
---
apiVersion: v1
kind: Pod
metadata: {name: never}
spec:
  containers: [{name: web, image: "nginx:1.27", imagePullPolicy: Never}]
---
apiVersion: v1
kind: Pod
metadata: {name: preloaded}
spec:
  containers: [{name: pause, image: "registry.k8s.io/kube-proxy:v1.33.1", imagePullPolicy: Never,
                command: [sleep, infinity]}]
---
apiVersion: v1
kind: Pod
metadata: {name: half}
spec:
  containers: [{name: a, image: "nginx:1.27"}, {name: b, image: "redsi:7"}]
"""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    d = tmp_path_factory.mktemp("pull")
    (d / "pods.yaml").write_text(PODS)
    return cluster_from_paths([SAMPLES, d], deterministic=True)[0]


def _rows(cluster) -> dict[str, list[str]]:
    out = commands.run_line(cluster, "kubectl get po typo caps never preloaded half").stdout
    return {line.split()[0]: line.split()[1:4] for line in out.splitlines()[1:]}


def _events(cluster, pod: str) -> list[tuple[str, str, str, int]]:
    evs = sorted((e for e in cluster.store.list("Event", "default") if e["involvedObject"]["name"] == pod
                  and e["source"]["component"] == "kubelet"), key=lambda e: e["metadata"]["name"])
    return [(e["type"], e["reason"], e["message"], e["count"]) for e in evs]


def test_pods_whose_image_is_not_there_wait_pending_with_the_kubelets_reason(cluster):
    assert _rows(cluster) == {"typo": ["0/1", "ImagePullBackOff", "0"], "caps": ["0/1", "InvalidImageName", "0"],
                              "never": ["0/1", "ErrImageNeverPull", "0"], "preloaded": ["1/1", "Running", "0"],
                              "half": ["1/2", "ImagePullBackOff", "0"]}
    typo = cluster.get("Pod", "default", "typo")["status"]
    assert typo["phase"] == "Pending"
    assert typo["containerStatuses"] == [{
        "image": "ngnix", "imageID": "", "lastState": {}, "name": "web", "ready": False, "restartCount": 0,
        "started": False, "state": {"waiting": {
            "message": 'Back-off pulling image "ngnix": ErrImagePull: ' + DENIED.format("ngnix"),
            "reason": "ImagePullBackOff"}}}]
    conds = {c["type"]: (c["status"], c.get("reason")) for c in typo["conditions"]}
    assert conds["PodReadyToStartContainers"] == ("True", None)
    assert conds["Ready"] == ("False", "ContainersNotReady")
    half = cluster.get("Pod", "default", "half")["status"]
    assert half["phase"] == "Pending"
    assert {cs["name"]: list(cs["state"]) for cs in half["containerStatuses"]} == {"a": ["running"], "b": ["waiting"]}


def test_the_events_are_the_kubelets_in_its_order(cluster):
    first = _events(cluster, "typo")[:5]
    assert [(t, r, m) for t, r, m, _ in first] == [
        ("Normal", "Pulling", 'Pulling image "ngnix"'),
        ("Warning", "Failed", 'Failed to pull image "ngnix": ' + DENIED.format("ngnix")),
        ("Warning", "Failed", "Error: ErrImagePull"),
        ("Normal", "BackOff", 'Back-off pulling image "ngnix"'),
        ("Warning", "Failed", "Error: ImagePullBackOff")]
    caps = [(t, r, m) for t, r, m, _ in _events(cluster, "caps")]
    assert caps == [
        ("Warning", "InspectFailed", 'Failed to apply default image tag "Nginx": couldn\'t parse image name "Nginx": '
                                     "invalid reference format: repository name (library/Nginx) must be lowercase"),
        ("Warning", "Failed", "Error: InvalidImageName")]  # (never pulled)
    assert [(t, r, m) for t, r, m, _ in _events(cluster, "never")] == [
        ("Warning", "ErrImageNeverPull", 'Container image "nginx:1.27" is not present with pull policy of Never'),
        ("Warning", "Failed", "Error: ErrImageNeverPull")]
    assert _events(cluster, "preloaded")[0][:3] == (
        "Normal", "Pulled", 'Container image "registry.k8s.io/kube-proxy:v1.33.1" already present on machine')


def test_describe_shows_the_waiting_reason_and_the_repeated_events(cluster):
    out = commands.run_line(cluster, "kubectl describe pod typo").stdout
    assert "Status:           Pending\n" in out
    assert "    State:          Waiting\n      Reason:       ImagePullBackOff\n    Ready:          False\n" in out
    assert "    Image:          ngnix\n    Image ID:       \n" in out
    cluster.run_for(120)
    pulls = [c for t, r, m, c in _events(cluster, "typo") if r == "Pulling"]
    assert pulls == [4]  # pulls at 0, ~11, ~32, ~73 s (10, 20, 40 s of back-off), the next at ~154 s
    out = commands.run_line(cluster, "kubectl describe pod typo").stdout
    assert "kubelet            Pulling image \"ngnix\"\n" in out and "(x4 over 2m" in out
    assert "Back-off pulling image \"ngnix\"\n" in out
    assert _rows(cluster)["typo"] == ["0/1", "ImagePullBackOff", "0"]


def test_fixing_the_image_starts_the_pod(tmp_path):
    (tmp_path / "p.yaml").write_text(PODS.split("---\n")[0])
    cluster = cluster_from_paths([SAMPLES, tmp_path], deterministic=True)[0]
    assert _rows(cluster)["typo"][:2] == ["0/1", "ImagePullBackOff"]
    apply_yaml(cluster, PODS.split("---\n")[0].replace("ngnix", "nginx:1.27"))
    cluster.run_for(10)
    assert _rows(cluster)["typo"] == ["1/1", "Running", "0"]
    reasons = [(r, m) for _, r, m, _ in _events(cluster, "typo")][-4:]
    assert reasons[0] == ("Pulling", 'Pulling image "nginx:1.27"')
    assert reasons[2:] == [("Created", "Created container: web"), ("Started", "Started container web")]
    cs = cluster.get("Pod", "default", "typo")["status"]["containerStatuses"][0]
    assert cs["image"] == "docker.io/library/nginx:1.27" and cs["imageID"].startswith("docker.io/library/nginx@sha256:")


DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: IMAGE, ports: [{containerPort: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}]
"""


def test_a_deployment_with_a_typo_has_not_ready_endpoints_until_its_image_is_fixed(tmp_path):
    (tmp_path / "d.yaml").write_text(DEPLOY.replace("IMAGE", "nginxx"))
    cluster = cluster_from_paths([SAMPLES, tmp_path], deterministic=True)[0]
    pods = [p for p in cluster.store.list("Pod", "default") if p["metadata"]["labels"].get("app") == "web"]
    assert len(pods) == 2 and all(p["status"]["phase"] == "Pending" for p in pods)

    def endpoints() -> list[tuple[bool, str]]:
        return sorted((ep["conditions"]["ready"], ep["addresses"][0])
                      for s in cluster.store.list("EndpointSlice", "default")
                      if s["metadata"]["labels"].get("kubernetes.io/service-name") == "web" for ep in s["endpoints"])

    assert sorted(ready for ready, _ in endpoints()) == [False, False]
    apply_yaml(cluster, DEPLOY.replace("IMAGE", "nginx:1.27"))
    cluster.run_for(30)
    assert sorted(ready for ready, _ in endpoints()) == [True, True]
    out = commands.run_line(cluster, "kubectl get deploy web").stdout
    assert out.splitlines()[1].split()[1:4] == ["2/2", "2", "2"]


def test_kubectl_run_rejects_a_reference_that_does_not_parse_before_sending_it(tmp_path):
    cluster = cluster_from_paths([SAMPLES], deterministic=True)[0]
    out = commands.run_line(cluster, "kubectl run web --image=Nginx")
    assert (out.stdout, out.stderr, out.code) == ("", 'error: Invalid image name "Nginx": invalid reference format\n', 1)
    assert cluster.get("Pod", "default", "web") is None
    assert commands.run_line(cluster, "kubectl run web --image=ngnix").stdout == "pod/web created\n"


def test_a_failing_pull_is_deterministic(tmp_path):
    (tmp_path / "p.yaml").write_text(PODS)
    runs = []
    for _ in range(2):
        cluster = cluster_from_paths([SAMPLES, tmp_path], deterministic=True)[0]
        cluster.run_for(200)
        runs.append([(e["reason"], e["message"], e["count"], e["lastTimestamp"])
                     for e in sorted(cluster.store.list("Event", "default"), key=lambda e: e["metadata"]["name"])])
    assert runs[0] == runs[1]


def test_deleting_a_pod_whose_image_never_came_fails_it_then_removes_it(tmp_path):
    (tmp_path / "p.yaml").write_text(PODS.split("---\n")[0])
    cluster = cluster_from_paths([SAMPLES, tmp_path], deterministic=True)[0]
    seen: list[tuple[str | None, dict]] = []
    cluster.store.watch("Pod", lambda ev: seen.append(
        (ev.obj["status"].get("phase"), ev.obj["status"]["containerStatuses"][0]["state"])))
    assert commands.run_line(cluster, "kubectl delete pod typo").stdout == 'pod "typo" deleted\n'
    cluster.run_until_idle()
    assert cluster.get("Pod", "default", "typo") is None
    # (status manager TerminatePod: a container that never started ends unknown, exit 137; the pod Failed)
    assert ("Failed", {"terminated": {
        "exitCode": 137, "finishedAt": None, "message": "The container could not be located when the pod was terminated",
        "reason": "ContainerStatusUnknown", "startedAt": None}}) in seen
    assert cluster.kubelet.image_manager.backoff == {}
    assert [r for _, r, _, _ in _events(cluster, "typo")].count("Pulling") == 1  # (no pull after the delete)


def test_fixing_one_containers_image_starts_it_beside_the_one_already_running(tmp_path):
    half = "---\n" + PODS.split("---\n")[-1]
    (tmp_path / "p.yaml").write_text(half)
    cluster = cluster_from_paths([SAMPLES, tmp_path], deterministic=True)[0]
    a = cluster.get("Pod", "default", "half")["status"]["containerStatuses"][0]
    assert a["name"] == "a" and "running" in a["state"]
    apply_yaml(cluster, half.replace("redsi:7", "redis:7"))
    cluster.run_for(10)
    st = cluster.get("Pod", "default", "half")["status"]
    assert st["phase"] == "Running"
    assert [(c["name"], list(c["state"]), c["ready"]) for c in st["containerStatuses"]] == [
        ("a", ["running"], True), ("b", ["running"], True)]
    # (a is not restarted: the same container, started when it was)
    assert (st["containerStatuses"][0]["containerID"], st["containerStatuses"][0]["state"]) == (
        a["containerID"], a["state"])
    started = [m for _, r, m, _ in _events(cluster, "half") if r == "Started"]
    assert started == ["Started container a", "Started container b"]


def test_a_node_restart_leaves_a_container_that_never_ran_without_a_restart(tmp_path):
    from engine.kubectl.docker import docker

    (tmp_path / "p.yaml").write_text(PODS.split("---\n")[0])
    cluster = cluster_from_paths([SAMPLES, tmp_path], deterministic=True)[0]
    docker(cluster, ["restart", cluster.get("Pod", "default", "typo")["spec"]["nodeName"]])
    cluster.run_for(30)
    assert _rows(cluster)["typo"] == ["0/1", "ImagePullBackOff", "0"]
    counts = {r: c for _, r, _, c in _events(cluster, "typo")}
    assert counts["SandboxChanged"] == 1 and counts["Pulling"] == 2  # (the new sandbox pulls again)
