"""`GET /version`: the server svcflow imitates (kindest/node v1.33.1; its printers and
messages follow v1.33). The kubectl on this project's machines picks its own minor version
from this answer, and CoreDNS decides EndpointSlice vs Endpoints from major/minor."""
from __future__ import annotations

from typing import Any

GIT_VERSION = "v1.33.1"


def version_info() -> dict[str, Any]:
    major, minor, _ = GIT_VERSION.lstrip("v").split(".")
    return {"major": major, "minor": minor, "emulationMajor": major, "emulationMinor": minor,
            "minCompatibilityMajor": major, "minCompatibilityMinor": str(int(minor) - 1),
            "gitVersion": GIT_VERSION, "gitCommit": "8adc0f041b8e7ad1d30e29cc59c6ae7a15e19828",
            "gitTreeState": "clean", "buildDate": "2025-05-15T08:19:08Z", "goVersion": "go1.24.2",
            "compiler": "gc", "platform": "linux/amd64"}
