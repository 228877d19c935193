"""What the API server answers a create with, before any controller wrote a status: the
workloads' status as their strategies leave it (`Status = {}`), as Go encodes it -- a
Deployment's `{}`, a ReplicaSet's `replicas: 0`, a DaemonSet's four counters at 0, a
StatefulSet's `replicas` and `availableReplicas` at 0 (int32 fields without omitempty). The
real kubectl prints the answer as it came with `create -f ... -o json`."""
from __future__ import annotations

import json

from tests.served import served_samples

served = served_samples()

TEMPLATE = """\
  selector: {matchLabels: {app: NAME}}
  template:
    metadata: {labels: {app: NAME}}
    spec: {containers: [{name: c, image: nginx}]}
"""


def _manifest(kind: str, name: str, extra: str = "") -> str:
    return (f"apiVersion: apps/v1\nkind: {kind}\nmetadata: {{name: {name}}}\nspec:\n{extra}"
            + TEMPLATE.replace("NAME", name))


async def test_a_created_workload_answers_with_its_empty_status_as_go_encodes_it(served, kubectl, tmp_path):
    cases = [("Deployment", "cs-deploy", "", {}),
             ("ReplicaSet", "cs-rs", "", {"replicas": 0}),
             ("DaemonSet", "cs-ds", "", {"currentNumberScheduled": 0, "numberMisscheduled": 0,
                                         "desiredNumberScheduled": 0, "numberReady": 0}),
             ("StatefulSet", "cs-sts", "  serviceName: cs-sts\n", {"replicas": 0, "availableReplicas": 0})]
    for kind, name, extra, want in cases:
        f = tmp_path / f"{name}.yaml"
        f.write_text(_manifest(kind, name, extra))
        code, out, err = await kubectl("create", "-f", str(f), "-o", "json")
        assert (code, err) == (0, ""), err
        got = json.loads(out)
        assert got["kind"] == kind and got["status"] == want, (kind, got.get("status"))
        await kubectl("delete", kind.lower(), name, "--wait=false")
