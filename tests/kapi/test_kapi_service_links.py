"""The kubelet's service-link variables (engine/kubelet/env.py, upstream kubelet
makeEnvironmentVariables): one is added only when the container does not set that name, so
the tutorial's counter, which sets REDIS_PORT=6379, has that REDIS_PORT only (the classic
service-links clash), seen through the REAL kubectl and svcflow's own session alike."""
from __future__ import annotations

from engine.apply.workspace import cluster_from_paths
from engine.kubectl.session import Session
from tests.helpers import SAMPLES
from tests.served import Kubectl, ServedCluster, require_kubectl


def _redis_port_lines(env: str) -> list[str]:
    return [line for line in env.splitlines() if line.split("=", 1)[0] == "REDIS_PORT"]


async def test_a_variable_the_container_sets_is_not_overridden_by_a_service_link(tmp_path):
    require_kubectl()
    s = ServedCluster([SAMPLES], tmp_path)
    try:
        code, env, err = await Kubectl(s, tmp_path)("exec", "deploy/counter", "--", "env")
        assert code == 0, err
        assert _redis_port_lines(env) == ["REDIS_PORT=6379"]
        ip = s.call(lambda: s.cluster.store.get("Service", "default", "redis")["spec"]["clusterIP"])
        # the other links of the redis Service are still there
        assert f"REDIS_SERVICE_HOST={ip}" in env.splitlines()
        assert f"REDIS_PORT_6379_TCP=tcp://{ip}:6379" in env.splitlines()
    finally:
        s.close()


def test_the_session_shows_the_same_environment():
    session = Session(cluster_from_paths([SAMPLES], deterministic=True)[0], cwd=SAMPLES.parent)
    out = session.feed("kubectl exec deploy/counter -- env")
    assert _redis_port_lines(out) == ["REDIS_PORT=6379"]
