#!/usr/bin/env python3
"""Bootstrap a local virtualenv and run svcflow or its tests.

Why this file exists: the README promises two commands that work on a fresh machine
with nothing but python3. Each command creates (or reuses) `.venv/` beside this file,
installs the project into it when `pyproject.toml` changed, and then runs.

    python3 dev.py run [svcflow args...]   # default: the dashboard on samples/
    python3 dev.py test [pytest args...]   # the whole test suite
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".svcflow-installed"


def _venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_venv() -> Path:
    """Create the venv and (re)install the project when pyproject.toml changed."""
    if not _venv_python().exists():
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not STAMP.exists() or STAMP.read_text() != want:
        py = str(_venv_python())
        subprocess.check_call([py, "-m", "pip", "install", "-q", "--upgrade", "pip"])
        subprocess.check_call([py, "-m", "pip", "install", "-q", "-e", f"{ROOT}[test]"])
        STAMP.write_text(want)
    return _venv_python()


def _workers(rest: list[str]) -> list[str]:
    """pytest-xdist's options: one worker more than there are cores (at most 4), each test
    module whole on one worker (`loadfile`: the modules that start `svcflow serve` or
    prefetch real kubectl's outputs do it once per module, not once per worker). Why: run
    serially the suite takes over 10 minutes on a 2-core machine; many tests spend part of
    their time waiting (for the real kubectl, for a Textual app to idle), so a third worker
    keeps both cores busy (2,461 tests: 327 s with two workers, 275 s with three). Nothing
    is added when the caller chose (`-n 0` runs serially, as does `-p no:xdist`)."""
    if any(a == "-n" or a.startswith(("-n", "--numprocesses", "--dist")) or a == "no:xdist" for a in rest):
        return []
    return ["-n", str(min((os.cpu_count() or 1) + 1, 4)), "--dist", "loadfile"]


def _with_bytecode(py: str) -> dict[str, str]:
    """The environment for the suite, with the project compiled once beforehand. Why: with
    PYTHONDONTWRITEBYTECODE set (as on the CI machines), every pytest worker and every
    `svcflow` process a test starts compiled the whole project again -- collecting took
    10.7 s per worker instead of 3.9 s. The .pyc files land in the ignored __pycache__/."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.call([py, "-m", "compileall", "-q", "-j", "0", "engine", "tui", "tests", "benchmarks"],
                    env=env, stdout=subprocess.DEVNULL)
    return env


def main(argv: list[str]) -> int:
    cmd = argv[0] if argv else "run"
    rest = argv[1:]
    py = str(ensure_venv())
    os.chdir(ROOT)
    if cmd == "test":
        env = _with_bytecode(py)
        return subprocess.call([py, "-m", "pytest", *_workers(rest), *rest], env=env)
    if cmd == "run":
        return subprocess.call([py, "-m", "tui.cli", *(rest or ["samples/"])])
    print(f"usage: python3 dev.py run|test [args...] (got {cmd!r})", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
