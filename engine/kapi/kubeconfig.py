"""The kubeconfig that points clients at a served cluster (apiserver-spec §6).

Over plain http client-go reads no credentials, so the file names only the server: cluster,
context and user are all called `svcflow` (the user entry carries a token so the same file
keeps working if the server is later put behind https, where kubectl would otherwise ask for
a username). It is written beside the work, never merged into `~/.kube/config`.
"""
from __future__ import annotations

import os
import shlex
from pathlib import Path

NAME = "svcflow"


def render(server_url: str, namespace: str = "default") -> str:
    return (
        "apiVersion: v1\n"
        "kind: Config\n"
        "clusters:\n"
        f"- name: {NAME}\n"
        "  cluster:\n"
        f"    server: {server_url}\n"
        "contexts:\n"
        f"- name: {NAME}\n"
        "  context:\n"
        f"    cluster: {NAME}\n"
        f"    user: {NAME}\n"
        f"    namespace: {namespace}\n"
        f"current-context: {NAME}\n"
        "users:\n"
        f"- name: {NAME}\n"
        "  user:\n"
        f"    token: {NAME}\n"
        "preferences: {}\n"
    )


def write(path: str | Path, server_url: str) -> Path:
    """Write the file (0600, as kubeconfigs are; folders made as needed) atomically."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(f".{p.name}.tmp{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(render(server_url))
    os.replace(tmp, p)
    return p


def export_line(path: str | Path) -> str:
    """The line a user pastes into their shell."""
    return f"export KUBECONFIG={shlex.quote(str(Path(path).resolve()))}"
