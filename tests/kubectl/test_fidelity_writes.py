"""kubectl's write commands at svcflow's prompt: `-o name|yaml|json` and `--dry-run` on apply,
create (-f and the generators), run, expose, scale, label, delete and rollout undo.

The oracle is the REAL kubectl against `svcflow serve`: each line runs there and at the
prompt of a session over an equal cluster, and both must print the same bytes (and leave
their clusters alike: later lines see what earlier ones made). The one difference allowed is
a server dry run's UID: kube-apiserver draws a random one for an object it does not keep,
and so do both svcflow's.
"""
from __future__ import annotations

import re
import shlex

import pytest

from engine.apply.workspace import cluster_from_paths
from engine.kubectl.session import Session
from tests.helpers import SAMPLES
from tests.served import as_terminal, served_samples

served = served_samples()

_RANDOM_UID = re.compile(r'(uid: |"uid": ")[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}')


def _masked(text: str, line: str) -> str:
    return _RANDOM_UID.sub(r"\1<random>", text) if "--dry-run=server" in line else text


@pytest.fixture(scope="module")
def twin() -> Session:
    """svcflow's own prompt over a cluster equal to the served one (the same writes reach both)."""
    return Session(cluster_from_paths([SAMPLES], deterministic=True)[0], cwd=SAMPLES.parent)


async def _same(kubectl, twin: Session, lines: list[str]) -> None:
    for line in lines:
        code, out, err = await kubectl(*shlex.split(line)[1:])
        real = as_terminal(out, err)
        assert _masked(twin.feed(line), line) == _masked(real, line), line
