"""A node's containerd store holds each image once, by the name containerd gives it: a pod
asking for `nginx` after one pulled `docker.io/library/nginx:latest` on the same node finds it
there (`already present on machine`), and so does `imagePullPolicy: Never`; another tag is
another image (engine/kubelet/images.py ImageCache, pulls.py)."""
from __future__ import annotations

from engine.apply.workspace import cluster_from_paths
from engine.kubectl.session import Session
from engine.kubelet.images import ImageCache
from tests.helpers import SAMPLES

POD = """\
apiVersion: v1
kind: Pod
metadata: {{name: {name}}}
spec:
  nodeName: {node}
  containers:
  - {{name: web, image: "{image}", imagePullPolicy: {policy}}}
"""


def test_the_cache_answers_by_containerds_name():
    cache = ImageCache.of(["registry.k8s.io/pause:3.10"])
    cache.add("nginx")
    assert "docker.io/library/nginx:latest" in cache and "nginx:latest" in cache
    assert "index.docker.io/library/nginx" in cache
    assert "nginx:1.27" not in cache and "redis" not in cache
    assert "registry.k8s.io/pause:3.10" in cache and len(cache) == 2


def _events(s: Session, pod: str) -> list[str]:
    out = s.feed(f"kubectl get events --field-selector involvedObject.name={pod} -o custom-columns=R:.reason,M:.message")
    return [" ".join(line.split()) for line in out.splitlines()[1:]]


def test_a_pod_finds_the_image_another_name_of_it_pulled_on_its_node(tmp_path):
    cluster = cluster_from_paths([SAMPLES], deterministic=True)[0]
    s = Session(cluster, cwd=tmp_path)
    node = cluster.topology.nodes[-1].name
    pods = [("first", "docker.io/library/httpd:latest", "IfNotPresent"), ("second", "httpd", "IfNotPresent"),
            ("third", "httpd:latest", "Never"), ("fourth", "httpd:2.4", "IfNotPresent")]
    for name, image, policy in pods:
        (tmp_path / f"{name}.yaml").write_text(POD.format(name=name, node=node, image=image, policy=policy))
        assert s.feed(f"kubectl apply -f {name}.yaml") == f"pod/{name} created\n"
        cluster.run_for(15)
    assert 'Pulling Pulling image "docker.io/library/httpd:latest"' in _events(s, "first")
    assert 'Pulled Container image "httpd" already present on machine' in _events(s, "second")
    assert 'Pulled Container image "httpd:latest" already present on machine' in _events(s, "third")
    assert 'Pulling Pulling image "httpd:2.4"' in _events(s, "fourth")
    assert s.feed("kubectl get pod first second third fourth -o jsonpath='{.items[*].status.phase}'") == \
        "Running Running Running Running"
