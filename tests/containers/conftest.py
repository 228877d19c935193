"""What the pods' shells are tried on: the samples, simulated (deterministic), once per module
(a module that needs more defines its own `cluster`)."""
from __future__ import annotations

import pytest

from engine.apply.workspace import cluster_from_paths
from engine.cluster.cluster import Cluster
from tests.helpers import SAMPLES


@pytest.fixture(scope="module")
def cluster() -> Cluster:
    return cluster_from_paths([SAMPLES], deterministic=True)[0]
