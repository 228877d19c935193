"""`kubectl apply --prune` with kubectl's default allow-list, and the kinds svcflow serves only
read-only (empty) so that the list resolves: the real kubectl against the served API, and
svcflow's own apply saying what the API server says."""
from __future__ import annotations

from engine.apply.workspace import cluster_from_paths
from engine.kubectl.session import Session
from tests.helpers import SAMPLES
from tests.served import Kubectl, served_samples


def _svc(name: str) -> str:
    return (f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  labels: {{demo: prune}}\nspec:\n"
            "  selector: {app: counter}\n  ports: [{port: 80}]\n")


served = served_samples(settle_on_write=True, needs_kubectl=False, scope="function")  # (each test changes it)


async def test_apply_prune_with_kubectls_default_allow_list(served, tmp_path):
    kubectl = Kubectl(served, tmp_path / "k")
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "a.yaml").write_text(_svc("a"))
    (folder / "b.yaml").write_text(_svc("b"))
    assert await kubectl("apply", "-f", str(folder)) == (0, "service/a created\nservice/b created\n", "")
    (folder / "b.yaml").unlink()
    code, out, _ = await kubectl("apply", "--prune", "-l", "demo=prune", "-f", str(folder))
    assert (code, out) == (0, "service/a unchanged\nservice/b pruned\n")
    code, out, _ = await kubectl("get", "svc", "-l", "demo=prune", "-o", "name")
    assert (code, out) == (0, "service/a\n")


async def test_read_only_kinds_list_empty_and_refuse_writes_as_svcflows_apply_does(served, tmp_path):
    kubectl = Kubectl(served, tmp_path / "k")
    assert await kubectl("get", "secrets,statefulsets,jobs,cronjobs,ingresses,pvc,rc") == (
        0, "", "No resources found in default namespace.\n")
    mixed = tmp_path / "mixed.yaml"
    mixed.write_text("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {a: b}\n---\n"
                     "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
    real = await kubectl("apply", "-f", str(mixed))
    twin = Session(cluster_from_paths([SAMPLES], deterministic=True)[0], cwd=SAMPLES.parent)  # kubectl's cwd
    code, out, err = real
    assert code == 1 and out + err == twin.feed(f"kubectl apply -f {mixed}")
    assert err == (f'Error from server (MethodNotAllowed): error when creating "{mixed}": the server does not '
                   "allow this method on the requested resource\n")
