"""`--dry-run=server` through the served API: the real kubectl's writes are checked (and
refused) as real ones are, answered, and nothing in the cluster changes."""
from __future__ import annotations

import pytest

from tests.helpers import SAMPLES, WEB_SERVICE
from tests.served import Kubectl, ServedCluster


@pytest.fixture
def served(tmp_path):
    s = ServedCluster([SAMPLES], tmp_path)
    yield s
    s.close()


async def test_server_dry_runs_answer_and_change_nothing(served, tmp_path):
    kubectl = Kubectl(served, tmp_path / "k")
    def kept():
        store = served.cluster.store
        return (sorted(o["metadata"]["name"] for o in store.list("Service", "default")),
                store.get("Deployment", "default", "redis")["spec"]["replicas"],
                store.get("Service", "default", "redis")["metadata"].get("labels"))
    before = served.call(kept)
    manifest = tmp_path / "web.yaml"
    manifest.write_text(WEB_SERVICE)
    assert await kubectl("apply", "--dry-run=server", "-f", str(manifest)) == (
        0, "service/web created (server dry run)\n", "")
    code, out, _ = await kubectl("create", "--dry-run=server", "-f", str(manifest), "-o", "yaml")
    assert code == 0 and "clusterIP: 10.96." in out and "uid:" in out  # allocated, as a real create would be
    assert await kubectl("scale", "deploy/redis", "--replicas=5", "--dry-run=server") == (
        0, "deployment.apps/redis scaled (server dry run)\n", "")
    assert await kubectl("delete", "svc", "redis", "--dry-run=server") == (
        0, 'service "redis" deleted (server dry run)\n', "")
    assert await kubectl("label", "svc", "redis", "x=y", "--dry-run=server") == (
        0, "service/redis labeled (server dry run)\n", "")
    assert served.call(kept) == before == (["counter-np", "kubernetes", "redis"], 1, None)


async def test_a_dry_run_is_refused_as_the_write_would_be(served, tmp_path):
    kubectl = Kubectl(served, tmp_path / "k")
    bad = tmp_path / "bad.yaml"
    bad.write_text(WEB_SERVICE.replace("port: 80", "port: 80000"))
    code, out, err = await kubectl("apply", "--dry-run=server", "-f", str(bad))
    assert code == 1 and out == ""
    assert 'The Service "web" is invalid: spec.ports[0].port: Invalid value: 80000: must be between 1 and 65535, ' \
           "inclusive" in err
