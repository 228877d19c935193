"""`--dry-run=server` through the served API: the real kubectl's writes are checked (and
refused) as real ones are, answered, and nothing in the cluster changes."""
from __future__ import annotations

import re

from engine.apply.workspace import cluster_from_paths
from engine.kubectl import commands
from engine.kubectl.session import Session
from tests.helpers import SAMPLES, WEB_SERVICE
from tests.served import Kubectl, as_terminal, served_samples

served = served_samples(scope="function")  # (each test changes the cluster)


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


# ---------------------------------------------------------------------------------------------
# svcflow's own session does dry runs as the real kubectl does them against the served cluster
# ---------------------------------------------------------------------------------------------

def _lines(node: str, tmp_path) -> list[str]:
    changed = tmp_path / "redis-changed.yml"
    changed.write_text((SAMPLES / "counter-redis-svc.yml").read_text().replace("image: redis", "image: redis:7"))
    web = tmp_path / "web.yml"
    web.write_text(WEB_SERVICE)
    bad = tmp_path / "bad.yml"
    bad.write_text(WEB_SERVICE.replace("port: 80", "port: 80000"))
    lines = []
    for dry in ("server", "client"):
        lines += [f"kubectl delete svc redis --dry-run={dry}",
                  f"kubectl delete pods --all --dry-run={dry}",
                  f"kubectl delete po -l app=counter --dry-run={dry}",
                  f"kubectl delete ns default --dry-run={dry}",
                  f"kubectl delete svc nope --dry-run={dry}",
                  f"kubectl scale deploy/redis --replicas=3 --dry-run={dry}",
                  f"kubectl label svc redis env=dev --dry-run={dry}",
                  f"kubectl label svc redis bad=-x- --dry-run={dry}",
                  f"kubectl rollout restart deploy/redis --dry-run={dry}",
                  f"kubectl cordon {node} --dry-run={dry}",
                  f"kubectl uncordon {node} --dry-run={dry}",
                  f"kubectl create namespace dry --dry-run={dry}",
                  f"kubectl run dry --image=nginx --dry-run={dry}",
                  f"kubectl apply -f {changed} --dry-run={dry}",
                  f"kubectl apply -f {web} --dry-run={dry}",
                  f"kubectl apply -f {SAMPLES} --dry-run={dry}"]
    return lines + [f"kubectl apply -f {bad} --dry-run=server", "kubectl scale deploy/redis --replicas=2 --dry-run=none",
                    "kubectl delete svc redis --dry-run=bogus"]


async def test_svcflows_own_dry_runs_print_what_kubectl_prints_and_change_nothing(served, tmp_path):
    """The `:` prompt's writes with `--dry-run=server|client` (and apply's): each line equals
    the real kubectl's against the served cluster, and neither cluster changes (but for the
    one line without a dry run, on both)."""
    kubectl = Kubectl(served, tmp_path / "k")
    twin = Session(cluster_from_paths([SAMPLES], deterministic=True)[0], cwd=SAMPLES.parent)
    node = served.call(lambda: served.cluster.store.list("Node")[-1]["metadata"]["name"])
    looks = (["all"], ["ns", "-o", "name"], ["no", "-o", "custom-columns=NAME:.metadata.name,OFF:.spec.unschedulable"],
             ["po", "-o", "wide", "--show-labels"], ["svc", "-o", "custom-columns=NAME:.metadata.name,L:.metadata.labels"])

    async def state() -> list[str]:
        return [(await kubectl("get", *words))[1] for words in looks]

    def twin_state() -> list[str]:
        return [twin.feed("kubectl get " + " ".join(words)) for words in looks]

    before = await state()
    assert before == twin_state()
    for line in _lines(node, tmp_path):
        code, out, err = await kubectl(*line.split()[1:])
        assert as_terminal(out, err) == twin.feed(line), line
    after = await state()
    assert after == twin_state()
    assert after[1:3] == before[1:3] and after[4] == before[4]  # namespaces, nodes (uncordoned), Services
    redis_replicas = served.call(lambda: served.cluster.store.get("Deployment", "default", "redis")["spec"]["replicas"])
    assert redis_replicas == 2  # (the one real write)
    assert served.call(lambda: sorted(n["metadata"]["name"] for n in served.cluster.store.list("Namespace"))) == \
        sorted(n["metadata"]["name"] for n in twin.cluster.store.list("Namespace"))
    assert "dry" not in twin.feed("kubectl get ns") and "env=dev" not in twin.feed("kubectl get svc --show-labels")


async def test_a_bare_dry_run_is_a_client_one_with_kubectls_deprecation_warning(served, tmp_path):
    kubectl = Kubectl(served, tmp_path / "k")
    twin = Session(cluster_from_paths([SAMPLES], deterministic=True)[0], cwd=SAMPLES.parent)
    for line, where in (("kubectl delete svc redis --dry-run", "helpers.go:703] --dry-run is deprecated and can be "
                                                                "replaced with --dry-run=client."),
                        ("kubectl scale deploy/redis --replicas=4 --dry-run=true",
                         "helpers.go:717] --dry-run=true is deprecated (boolean value) and can be replaced with "
                         "--dry-run=client.")):
        code, out, err = await kubectl(*line.split()[1:])
        warning, printed = twin.feed(line).split("\n", 1)
        # klog's header, `Wmmdd hh:mm:ss.uuuuuu PID file:line] `: the time and the process differ
        header = re.compile(r"^W\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ ")
        assert code == 0 and header.match(err) and err.endswith(where + "\n"), err
        assert printed == out and header.match(warning) and warning.endswith(where), warning
    assert "redis" in twin.feed("kubectl get svc")


async def test_a_drain_dry_run_evicts_nothing_and_prints_what_kubectl_prints(served, tmp_path):
    """`kubectl drain --dry-run=server` POSTs each Eviction with `deleteOptions.dryRun: [All]`:
    the served API answers it and keeps the pod (it evicted it, once); svcflow's own drain
    prints the same lines, client or server, and evicts nothing either."""
    kubectl = Kubectl(served, tmp_path / "k")
    twin = cluster_from_paths([SAMPLES], deterministic=True)[0]
    node = served.call(lambda: served.cluster.store.list("Node")[-1]["metadata"]["name"])

    def pods(cluster) -> list[str]:
        return sorted(p["metadata"]["name"] for p in cluster.store.list("Pod"))
    before = served.call(lambda: pods(served.cluster))
    for dry in ("server", "client"):
        line = f"kubectl drain {node} --ignore-daemonsets --dry-run={dry}"
        code, out, err = await kubectl(*line.split()[1:])
        mine = commands.run_line(twin, line)
        assert (code, out, err) == (mine.code, mine.stdout, mine.warnings + mine.stderr), line
        assert "evicting pod default/redis-" in out and out.endswith(f"node/{node} drained{commands.DRY_RUN_SUFFIX[dry]}\n")
        twin.run_until_idle()
        assert served.call(lambda: pods(served.cluster)) == before and pods(twin) == before
        assert not served.call(lambda: served.cluster.store.get("Node", "", node)["spec"].get("unschedulable"))
