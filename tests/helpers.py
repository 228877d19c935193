"""Shared test helpers: build clusters from YAML text without touching the disk."""
from __future__ import annotations

from pathlib import Path

import yaml

from engine.cluster.cluster import Cluster

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


def apply_yaml(cluster: Cluster, text: str) -> list:
    """Apply every document of `text` (kubectl apply semantics), then run to steady state."""
    results = [cluster.api.apply(d, "test.yaml") for d in yaml.safe_load_all(text) if d]
    cluster.run_until_idle()
    return results


def apply_file(text: str, name: str = "f.yaml"):
    """Write `text` to `name` (relative: use the `here` fixture) and load it as the CLI does:
    a fresh deterministic cluster and the apply report."""
    from engine.apply.workspace import cluster_from_paths

    Path(name).write_text(text)
    return cluster_from_paths([name], deterministic=True)


def sample(name: str) -> str:
    return (SAMPLES / name).read_text()
