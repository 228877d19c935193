"""`kubectl explain --output=plaintext-openapiv2` (kubectl's older explain, over `/openapi/v2`):
svcflow's own explain prints what the real kubectl prints against `svcflow serve`, byte for
byte, for objects, nested fields, primitives, maps, arrays, `--recursive` and refusals."""
from __future__ import annotations

from engine.kubectl import commands
from tests.served import Kubectl, served_samples

CASES = [
    "svc", "svc.spec", "svc.spec.ports", "svc.spec.ports.port", "svc.spec.ports.targetPort", "pod.spec.containers",
    "pod.metadata.managedFields.fieldsV1", "deploy --recursive", "deploy.spec.strategy --recursive",
    "pod.spec.containers.resources.limits", "no.status", "cm.data", "endpointslices", "netpol.spec", "ev",
    "pod.spec.nope", "deploy --api-version=apps/v2", "deploy --api-version=bad/x/y", "widgets",
    "events --api-version=events.k8s.io/v1", "crd.spec.versions", "selfsubjectaccessreviews",
]

served = served_samples(needs_kubectl=False)


async def test_svcflow_explain_v2_prints_what_kubectl_prints_against_serve(served, tmp_path):
    kubectl = Kubectl(served, tmp_path)
    for case in CASES:
        real = await kubectl("explain", *case.split(), "--output=plaintext-openapiv2", settle=False)
        ours = served.call(lambda: commands.run_line(served.cluster,
                                                     f"kubectl explain {case} --output=plaintext-openapiv2"))
        assert (ours.code, ours.stdout, ours.warnings + ours.stderr) == real, case
