"""Fixtures shared by the test modules."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers import SAMPLES


@pytest.fixture
def here(tmp_path, monkeypatch):
    """Run the test inside its own empty folder (manifests are written by relative name)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def demo(tmp_path, monkeypatch) -> Path:
    """A copy of the samples in a folder named `demo`, with the cwd set so that error bars
    show the same relative path on every machine, and the prompt's history kept in the
    test's own folder."""
    d = tmp_path / "demo"
    shutil.copytree(SAMPLES, d)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SVCFLOW_HISTORY", str(tmp_path / "history"))
    return Path("demo")
