"""The nodes' Leases are mirrored (the tester's leftover: attached, `describe node` said
"Failed to get lease: ... not found" where kubectl shows the kubelet's heartbeat): `describe
node` and `get leases -n kube-node-lease` answer as the real kubectl answers against the same
cluster, byte for byte."""
from __future__ import annotations

import os
import subprocess

from tests.helpers import run_cli
from tests.served import require_kubectl


def _both(served, *args: str) -> tuple[str, str]:
    kc = str(served.folder / "served-kubeconfig")
    ours = run_cli(*args, "--kubeconfig", kc)
    assert ours.code == 0, ours.stderr
    real = subprocess.run([require_kubectl(), *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "KUBECONFIG": kc})
    assert real.returncode == 0, real.stderr
    return ours.stdout, real.stdout


def test_describe_node_shows_the_kubelets_lease_as_kubectl_does(served):
    for node in ("kind-control-plane", "kind-worker"):
        for _ in range(3):  # (the two may straddle a second, or a renewal: AGE and RenewTime move)
            ours, real = _both(served, "describe", "node", node)
            if ours == real:
                break
        assert ours == real
        lease = ours.split("\nLease:\n", 1)[1].splitlines()[:3]
        assert lease[0] == f"  HolderIdentity:  {node}" and lease[1] == "  AcquireTime:     <unset>"
        assert lease[2].startswith("  RenewTime:       ")


def test_get_leases_lists_the_node_leases(served):
    ours, real = _both(served, "get", "leases", "-n", "kube-node-lease")
    # (kubectl's AGE is the server's: it asks for a Table, printed with the deterministic served
    # cluster's fixed clock; svcflow attached prints with the wall clock, as a real server's is)
    assert [ln.split()[:2] for ln in ours.splitlines()] == [ln.split()[:2] for ln in real.splitlines()] == [
        ["NAME", "HOLDER"], ["kind-control-plane", "kind-control-plane"], ["kind-worker", "kind-worker"],
        ["kind-worker2", "kind-worker2"]]
