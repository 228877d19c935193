"""Fixtures shared by the test modules."""
from __future__ import annotations

import pytest


@pytest.fixture
def here(tmp_path, monkeypatch):
    """Run the test inside its own empty folder (manifests are written by relative name)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path
