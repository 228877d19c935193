"""svcflow's own `kubectl explain` (the `:` prompt, `svcflow session`, `svcflow explain`) prints
what the real kubectl 1.33 prints against `svcflow serve`, byte for byte: both read the same
Kubernetes v1.33 schemas (engine/api/openapi_schemas), kubectl through OpenAPI v3 and its
explain template, svcflow through engine/kubectl/printers/explain.py's port of it."""
from __future__ import annotations

import io

from engine.kubectl import commands
from engine.kubectl.printers.explain import word_wrap
from tests.served import Kubectl, served_samples
from tui.cli import main

CASES = [
    "pod", "pods --recursive", "pod.spec", "pod.spec.containers", "pod.spec.containers.resources.limits",
    "pod.spec.containers.ports.protocol", "svc.spec.ports --recursive", "svc.spec.ports.targetPort",
    "svc.status --recursive", "deploy", "deploy.spec.strategy", "deployments.apps.spec.template.spec.containers.env",
    "endpointslices", "endpointslices.endpoints.conditions", "ep.subsets", "no --recursive", "ns.spec", "cm.data",
    "pod.metadata.labels", "pod.metadata.creationTimestamp", "pod.spec.os", "pv.spec.capacity", "pvc --recursive",
    "statefulsets --recursive", "cronjobs.spec.jobTemplate.spec.template.spec.affinity",
    "ingress.spec.rules --recursive", "leases", "ev", "quota.spec.hard", "secrets.data",
    "rc.spec.template.spec.volumes.projected.sources.serviceAccountToken", "jobs.spec.podFailurePolicy.rules "
    "--recursive", "ds.spec.updateStrategy.rollingUpdate.maxSurge", "pod.status.containerStatuses.state.terminated",
    # refusals, each in kubectl's words
    "pod.spec.nope", "pod.spec.containers.nope", "widgets", "deploy.apps.spec", "", "pods svc",
    "deploy --api-version=apps/v1", "deploy.spec.replicas --api-version=apps/v1",
    "deployments.apps.spec.replicas --api-version=apps/v1", "pods.spec --api-version=v1",
    "deploy --api-version=apps/v2", "deploy --api-version=v1", "deploy --api-version=bad/x/y",
    "svc --output plaintext", "svc --output=plaintext-openapiv2", "svc --output=json", "svc -o plaintext",
    "svc -R", "-n default svc.spec.type", "-ndefault svc.spec.type",
    # what the served API answers beyond the registry (engine.api.apionly)
    "selfsubjectaccessreviews.spec", "subjectaccessreviews --recursive", "tokenreviews.status", "crd.spec.names",
    "events --api-version=events.k8s.io/v1", "events.events.k8s.io",
]


served = served_samples(needs_kubectl=False)


async def test_svcflow_explain_prints_what_kubectl_prints_against_serve(served, tmp_path):
    kubectl = Kubectl(served, tmp_path)
    for case in CASES:
        real = await kubectl("explain", *case.split(), settle=False)
        ours = served.call(lambda: commands.run_line(served.cluster, f"kubectl explain {case}"))
        assert (ours.code, ours.stdout, ours.warnings + ours.stderr) == real, case  # (warnings go to stderr)


def test_svcflow_explain_on_the_command_line_needs_no_cluster():
    out, err = io.StringIO(), io.StringIO()
    assert main(["explain", "svc.spec.ports", "--recursive"], out=out, err=err) == 0
    assert out.getvalue().startswith("KIND:       Service\nVERSION:    v1\n\nFIELD: ports <[]ServicePort>\n")
    assert "\n  targetPort\t<IntOrString>\n" in out.getvalue() and err.getvalue() == ""
    out, err = io.StringIO(), io.StringIO()
    assert main(["explain", "pod.spec.nope"], out=out, err=err) == 1
    assert (out.getvalue(), err.getvalue()) == ("KIND:       Pod\nVERSION:    v1\n\n",
                                                'error: field "nope" does not exist\n')


def test_word_wrap_is_go_wordwraps():
    assert word_wrap("aaa bbb ccc", 7) == "aaa bbb\nccc"
    assert word_wrap("a verylongwordindeed b", 5) == "a\nverylongwordindeed\nb"
    assert word_wrap("keep\n\n  breaks", 80) == "keep\n\n  breaks"
