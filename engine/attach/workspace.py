"""What the dashboard drives when it is attached: the mirror in place of a folder.

It answers the few calls the dashboard makes of a `LiveWorkspace` (`cluster`, `reload`,
`advance`, `settle`, ...): there are no files to apply, and time is wall time. `follow()`
runs in the dashboard's event loop; until the first lists are in, `cluster` is an empty
mirror (the screen comes up at once and says it is attaching), then the built one, with the
dashboard's flow listeners carried over.
"""
from __future__ import annotations

from typing import Callable

from engine.apply.live import ReloadResult
from engine.apply.workspace import ApplyReport
from engine.attach.mirror import wall_now
from engine.attach.session import AttachOptions, AttachSession
from engine.cluster.cluster import Cluster

READ_ONLY = ("svcflow is attached to {server} read-only: it never creates, changes or deletes anything there "
             "(use kubectl for that)")


class AttachWorkspace:
    """A real cluster, mirrored, for the dashboard (`tui.app.SvcflowApp(workspace=...)`)."""

    read_only = True
    manifest_bytes = 0
    settle_seconds = 0.0
    write_check = None

    def __init__(self, options: AttachOptions) -> None:
        self.options = options
        self.session = AttachSession(options)
        self.cluster = Cluster(mirror=True)  # empty until the first lists are in
        self.applied: dict = {}
        self.built = False
        self.topology_problems: list = []

    # -- the LiveWorkspace calls the dashboard makes ------------------------------------------
    def reload(self, *, budget: float | None = None) -> ReloadResult:
        """No files: nothing to apply (the dashboard's first reload reports nothing)."""
        return ReloadResult(ApplyReport())

    def watched_dirs(self) -> list:
        return []

    def settle(self) -> None:
        self.cluster.run_until_idle()

    def advance(self, seconds: float, *, budget: float | None = None) -> bool:
        """Wall time, whatever `seconds` says: the mirror's clock is the real one. Objects
        svcflow's kube-proxy or CoreDNS cannot compute (a bug of svcflow's, not the
        cluster's: the API server validated them) become a line, never a traceback."""
        self.cluster.clock.advance_to(wall_now())
        try:
            return self.cluster.run_for(0, budget=budget)
        except Exception as e:  # noqa: BLE001 - the dashboard must survive any live object
            self.session.mirror.problem_line("compute", f"svcflow could not compute the rules or records "
                                                        f"({type(e).__name__}: {e}); the panes may be behind")
            return True

    # -- attaching ----------------------------------------------------------------------------
    @property
    def server(self) -> str:
        return self.session.server or "the cluster"

    def read_only_line(self) -> str:
        return READ_ONLY.format(server=self.server)

    def status(self) -> tuple[list[str], list[str]]:
        """What the error bar shows: problems a user can act on (one line each), then what
        svcflow assumed about the cluster's configuration."""
        problems = self.session.problem_lines()
        if not self.built and not problems:
            problems = [f"attaching to {self.server}: listing …"]
        return problems, (self.session.mirror.notes() if self.built else [])

    def status_lines(self) -> list[str]:
        problems, notes = self.status()
        return problems + notes

    async def follow(self, changed: Callable[[str], None]) -> None:
        """Attach and follow until cancelled; `changed("cluster")` once built,
        `changed("problems")` whenever the problems change."""
        self.session.mirror.on_problems = lambda: changed("problems")

        def built(cluster: Cluster) -> None:
            cluster.flow_listeners.extend(self.cluster.flow_listeners)
            self.cluster = cluster
            self.built = True
            changed("cluster")
        await self.session.follow(built)
