"""Headless commands attached: the context's
namespace when -n is not given (#9), kubectl's Forbidden and exit 1 for a kind RBAC refused
(#10), and no kube-proxy note on `get` (#13)."""
from __future__ import annotations

import asyncio

from engine.kapi import kubeconfig
from tests.attach_fixtures import RecordingProxy
from tests.helpers import run_cli


def test_get_reads_the_contexts_namespace_and_says_no_kube_proxy_note(served, tmp_path):
    kc = tmp_path / "kc"
    kc.write_text(kubeconfig.render(served.url, namespace="kube-system"), encoding="utf-8")
    code, out, err = run_cli(*["get", "svc", "-o", "name", "--kubeconfig", str(kc)])
    assert code == 0 and out.split() == ["service/kube-dns"] and err == "", err
    code, out, _ = run_cli(*["get", "svc", "-n", "default", "-o", "name", "--kubeconfig", str(kc)])
    assert code == 0 and "service/kubernetes" in out.split()
    code, _, err = run_cli(*["proxy-rules", "--kubeconfig", str(kc)])
    assert code == 0 and "no kube-system/kube-proxy ConfigMap" in err


def test_a_kind_rbac_refused_is_kubectls_forbidden_and_exit_1(served, tmp_path):
    async def main():
        proxy = RecordingProxy(served.url)
        proxy.forbid |= {"/api/v1/pods", "/apis/apps/v1/deployments"}
        await proxy.start()
        kc = str(proxy.kubeconfig(tmp_path))
        try:
            return [await asyncio.to_thread(run_cli, *argv, "--kubeconfig", kc)
                    for argv in (["get", "pods"], ["get", "deploy", "-A"], ["get", "svc", "-o", "name"])]
        finally:
            await proxy.stop()
    (code, out, err), (dcode, _, derr), (scode, sout, _) = asyncio.run(main())
    assert code == 1 and out == ""
    assert err.splitlines()[-1] == ('Error from server (Forbidden): pods is forbidden: User "jane" cannot list '
                                    'resource "pods" in API group "" in the namespace "default"'), err
    assert "No resources found" not in err
    assert dcode == 1 and derr.splitlines()[-1].startswith("Error from server (Forbidden): deployments.apps is "
                                                           "forbidden") and "at the cluster scope" in derr
    assert scode == 0 and "service/kubernetes" in sout.split()
