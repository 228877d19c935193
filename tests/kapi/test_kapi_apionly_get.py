"""svcflow's own kubectl (the `:` prompt, sessions) answers for what the served API answers
beyond the kinds registry as the real kubectl does against `svcflow serve`: CRDs (none),
events.k8s.io Events (the core ones, in their v1 form), the reviews (no list)."""
from __future__ import annotations

import pytest

from engine.kubectl import commands
from tests.served import served_samples

served = served_samples()


@pytest.mark.parametrize("line", [
    "get crd", "get crd -o yaml", "get crds -A", "get customresourcedefinitions.apiextensions.k8s.io nope",
    "get events.v1.events.k8s.io", "get events.events.k8s.io -o wide", "get events.v1.events.k8s.io -o yaml",
    "get events.events.k8s.io -o json", "get events.events.k8s.io -o name", "get selfsubjectaccessreviews",
    "get tokenreviews.authentication.k8s.io", "explain crd.spec.scope", "describe crd", "describe pv",
    "get podtemplates", "get ingressclasses -o yaml", "explain podtemplates.template.spec.hostPID",
])
async def test_the_prompt_prints_what_kubectl_prints_against_serve(served, kubectl, line):
    real = await kubectl(*line.split(), settle=False)
    ours = served.call(lambda: commands.run_line(served.cluster, line))
    assert (ours.code, ours.stdout, ours.warnings + ours.stderr) == real
