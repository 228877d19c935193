"""The attach tests' shared fixtures: `svcflow serve` in another process (one per module), and a
recording proxy in front of it that checks, whatever the test did, that svcflow sent GETs only."""
from __future__ import annotations

import pytest

from tests.attach_fixtures import RecordingProxy, ServedProcess


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    p = ServedProcess(tmp_path_factory.mktemp("served"))
    yield p
    p.close()


@pytest.fixture
async def proxy(served):
    p = RecordingProxy(served.url)
    await p.start()
    yield p
    await p.stop()
    # Strictly read-only: whatever happened in the test, svcflow sent GETs only.
    assert p.requests, "svcflow sent nothing at all"
    assert {m for m, _ in p.requests} == {"GET"}, [r for r in p.requests if r[0] != "GET"]
