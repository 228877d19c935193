"""`kubectl get --no-headers` under each `-o`: the real kubectl 1.33 drops the header line of
its tables (default, wide) and of custom-columns, and ignores the flag for name, jsonpath,
yaml and json. svcflow's own `kubectl get` is compared with the real one against the same
served cluster."""
from __future__ import annotations

import pytest

from engine.kubectl import commands
from tests.served import served_samples

served = served_samples()

OUTPUTS = [None, "wide", "name", "custom-columns=NAME:.metadata.name,NODE:.spec.nodeName",
           "jsonpath={range .items[*]}{.metadata.name}{\"\\n\"}{end}", "yaml"]


@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize("no_headers", [True, False])
async def test_no_headers_as_the_real_kubectl_prints_it(served, kubectl, output, no_headers):
    args = ["get", "pods", "-n", "kube-system"] + (["-o", output] if output else []) + (
        ["--no-headers"] if no_headers else [])
    real = await kubectl(*args)
    ours = served.svcflow(lambda c: commands.get(c, ["pods"], namespace="kube-system", output=output,
                                                 no_headers=no_headers))
    if output in (None, "wide"):  # (ages may differ by a second between the two runs)
        assert [line.split()[:3] for line in ours[1].splitlines()] == [
            line.split()[:3] for line in real[1].splitlines()]
    else:
        assert ours == real


def test_custom_columns_without_headers_prints_rows_only(served):
    code, out, _ = served.svcflow(lambda c: commands.get(c, ["pods"], namespace="kube-system", no_headers=True,
                                                         output="custom-columns=NAME:.metadata.name"))
    assert code == 0 and out and not out.startswith("NAME")
    assert all(line.startswith(("coredns-", "etcd-", "kindnet-", "kube-")) for line in out.splitlines())


@pytest.mark.parametrize("no_headers", [True, False])
async def test_several_kinds_without_headers_run_together_as_the_real_kubectls(served, kubectl, no_headers):
    flag = ["--no-headers"] if no_headers else []
    real = await kubectl("get", "pods,svc", "-n", "kube-system", *flag)
    ours = served.svcflow(lambda c: commands.get(c, ["pods,svc"], namespace="kube-system", no_headers=no_headers))
    assert [line.split()[:1] for line in ours[1].splitlines()] == [line.split()[:1] for line in real[1].splitlines()]
