"""`kubectl apply --server-side --dry-run=server` against `svcflow serve`: answered as
kube-apiserver answers it (the would-be object, managedFields and all), and nothing is kept:
no store write, no watch event, no write reported to the dashboard."""
from __future__ import annotations

import aiohttp
import pytest

from tests.helpers import SAMPLES, WEB_SERVICE
from tests.served import Kubectl, ServedCluster


class _Recorded(ServedCluster):
    """A served cluster that counts the writes the server reports (what animates the dashboard)."""

    def __init__(self, paths, folder) -> None:
        super().__init__(paths, folder)
        self.writes = 0
        self.served.ctx.after_write = self._wrote

    def _wrote(self) -> None:
        self.writes += 1


@pytest.fixture
def served(tmp_path):
    s = _Recorded([SAMPLES], tmp_path)
    yield s
    s.close()


async def test_server_side_apply_dry_run_changes_nothing(served, tmp_path):
    kubectl = Kubectl(served, tmp_path / "k")
    events: list = []
    served.call(lambda: [served.cluster.store.watch(k, lambda ev: events.append(ev)) for k in ("Service",
                                                                                                "Deployment")])
    rv = served.call(lambda: served.cluster.store.resource_version)
    manifest = tmp_path / "web.yaml"
    manifest.write_text(WEB_SERVICE)
    assert await kubectl("apply", "--server-side", "--dry-run=server", "-f", str(manifest)) == (
        0, "service/web serverside-applied (server dry run)\n", "")
    code, out, err = await kubectl("apply", "--server-side", "--dry-run=server", "-f", str(manifest), "-o", "yaml",
                                   "--show-managed-fields")
    assert (code, err) == (0, "") and "clusterIP: 10.96." in out and "manager: kubectl" in out
    redis = SAMPLES / "counter-redis-svc.yml"
    assert await kubectl("apply", "--server-side", "--dry-run=server", "-f", str(redis)) == (
        0, "deployment.apps/redis serverside-applied (server dry run)\n"
           "service/redis serverside-applied (server dry run)\n", "")
    code, out, err = await kubectl("diff", "--server-side", "-f", str(manifest))  # (a dry-run apply, then diff)
    assert (code, err) == (1, "") and "\n+  name: web\n" in out and "\n+  clusterIP: 10.96." in out
    assert served.call(lambda: served.cluster.store.get("Service", "default", "web")) is None
    assert served.call(lambda: served.cluster.store.resource_version) == rv
    assert events == [] and served.writes == 0
    # the same apply for real is kept
    assert await kubectl("apply", "--server-side", "-f", str(manifest)) == (0, "service/web serverside-applied\n", "")
    assert served.call(lambda: served.cluster.store.get("Service", "default", "web")) is not None
    assert served.writes > 0


async def test_server_side_apply_dry_run_is_checked_as_the_apply_would_be(served, tmp_path):
    kubectl = Kubectl(served, tmp_path / "k")
    bad = tmp_path / "bad.yaml"
    bad.write_text(WEB_SERVICE.replace("port: 80", "port: 80000"))
    code, out, err = await kubectl("apply", "--server-side", "--dry-run=server", "-f", str(bad))
    assert code == 1 and out == ""
    assert err.startswith('The Service "web" is invalid: spec.ports[0].port: Invalid value: 80000: must be between 1 '
                          "and 65535")
    assert served.call(lambda: served.cluster.store.get("Service", "default", "web")) is None


async def test_an_unknown_dry_run_value_is_refused(served):
    async with aiohttp.ClientSession() as session:
        async with session.patch(f"{served.served.url}/api/v1/namespaces/default/services/web",
                                 params={"fieldManager": "me", "dryRun": "Some"}, data=WEB_SERVICE,
                                 headers={"Content-Type": "application/apply-patch+yaml"}) as r:
            assert r.status == 400
            assert (await r.json())["message"] == 'Invalid dry run value: Some: supported values: "All"'
    assert served.call(lambda: served.cluster.store.get("Service", "default", "web")) is None
