"""The dashboard serves its cluster's Kubernetes API (`svcflow serve`'s, in the app's own
event loop), so the user's real kubectl, the Python client or k9s drive what the screen
shows: whatever a client writes goes through the same API server as a file save or a `:`
command and is animated the same way.

On by default for a person at a terminal; off with `--no-serve`, and off in
`--deterministic` runs (tests and snapshots: no port, no kubeconfig written, a stable header).
The kubeconfig goes where `svcflow serve` writes it (`.svcflow/kubeconfig`); the header shows
the address and the `export KUBECONFIG=...` line is in the help and the terminal pane.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from engine.kapi import kubeconfig, server
from tui.serve import DEFAULT_KUBECONFIG, pick_port

if TYPE_CHECKING:
    from textual.app import App


@dataclass
class ServedApi:
    url: str
    kubeconfig: Path
    served: server.Served

    @property
    def export_line(self) -> str:
        return kubeconfig.export_line(self.kubeconfig)


async def serve_dashboard(app: App, *, address: str = "127.0.0.1", port: int | None = None,
                          kubeconfig_path: Path = DEFAULT_KUBECONFIG) -> ServedApi:
    """Start the API for `app`'s cluster; a write from a client wakes the app's driver at once.
    OSError when no port can be had (the caller says so and carries on without it)."""
    chosen = pick_port(address, port)
    served = await server.start(app.workspace.cluster, address, chosen, after_write=app.driver.kick,
                                net=app.commands.session().net)
    path = kubeconfig.write(kubeconfig_path, served.url)
    return ServedApi(served.url, path, served)
