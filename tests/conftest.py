"""Fixtures shared by the test modules."""
from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from tests.helpers import SAMPLES
from tests.served import Kubectl
from tui.widgets.resource_table import ResourceTable


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


@pytest.fixture
def snap_compare(snap_compare, monkeypatch):
    """pytest-textual-snapshot's `snap_compare`, with the tables' flash clock stopped.

    Why: a row that just came or changed flashes for FLASH_SECONDS of wall time, and a
    screenshot taken after a step shows that flash, unless the machine was loaded (the
    suite runs on two workers) and the step took longer: the same screen then compared
    unequal. Stopped, every flash lasts the whole test, as it would on a fast machine."""
    stopped = time.monotonic()
    monkeypatch.setattr(ResourceTable, "clock", staticmethod(lambda: stopped))
    return snap_compare


@pytest.fixture
def kubectl(served, tmp_path) -> Kubectl:
    """The real kubectl, with a cache of its own, against the module's `served` cluster
    (`tests.served.served_samples`)."""
    return Kubectl(served, tmp_path)
