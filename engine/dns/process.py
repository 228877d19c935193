"""One CoreDNS container's process: the Corefile it read at start-up, what its ConfigMap
volume holds now, its `reload` plugin's checks, and what it prints (`kubectl logs`).

Why per process: on kind an edit of ConfigMap kube-system/coredns reaches each replica on
its own schedule. The kubelet refreshes a pod's configMap volume when it syncs the pod
(`syncFrequency`, 1 min: here every VOLUME_SYNC_SECONDS counted from the container's
start, so the two replicas see the edit at different moments, each within a minute); the
`reload` plugin then notices at its next check (every 30 s from the instance's start: the
jitter of up to +-7.5 s CoreDNS adds is taken as 0 here, so runs repeat). A Corefile
without `reload` is never read again: the process keeps the one it started with until
the container restarts, and a pod started after the edit reads the new one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from engine.dns.caddyfile import CaddyfileError, config_sha512, parse
from engine.dns.corefile import Corefile, CorefileError, load_corefile
from engine.dns.server import Server
from engine.workloads.base import LogLine

#: the kubelet's periodic sync of a pod (KubeletConfiguration syncFrequency: 1m)
VOLUME_SYNC_SECONDS = 60.0
COREDNS_VERSION = "CoreDNS-1.12.0"
COREDNS_BUILD = "linux/amd64, go1.23.3, 51e11f1"


@dataclass
class CoreDNSProcess:
    """What one CoreDNS container runs. `build(corefile)` sets up a server for a Corefile
    (raising CorefileError as CoreDNS's setup would); the caller keeps the timers."""

    uid: str
    name: str
    started: datetime
    now: Callable[[], datetime]
    log: list[LogLine] = field(default_factory=list)
    ip: str = ""  # the pod's address
    mounted: str = ""  # the Corefile in the pod's volume now
    running: Corefile | None = None  # what the process serves (None: it failed to start)
    server: Server | None = None  # what answers by `running`
    sha: str = ""  # the reload plugin's last seen hash
    instance_started: datetime | None = None  # the running instance's start (the reload ticker's origin)
    ticker: float | None = None  # the reload plugin's check interval, while its ticker runs
    sync_due: bool = False  # a volume sync is scheduled
    reload_due: bool = False  # a reload check is scheduled

    def print(self, text: str) -> None:
        self.log.append(LogLine(self.now(), text))

    def start(self, text: str, build: Callable[[Corefile], Server]) -> bool:
        """The container starts with the mounted Corefile: CoreDNS's start-up lines, or the
        error it exits with."""
        self.mounted = text
        try:
            corefile = load_corefile(text)
            server = build(corefile)
        except CorefileError as e:
            self.print(str(e))  # (log.Fatal: the error alone, and the process exits)
            return False
        self.running, self.server, self.sha = corefile, server, corefile.sha512
        self.instance_started = self.now()
        self.ticker = corefile.reload
        for line in corefile.server_lines():
            self.print(line)
        if corefile.reload is not None:
            self.print(f"[INFO] plugin/reload: Running configuration SHA512 = {corefile.sha512}")
        self.print(COREDNS_VERSION)
        self.print(COREDNS_BUILD)
        return True

    def reload_check(self, build: Callable[[Corefile], Server]) -> str:
        """One tick of the reload plugin's ticker: the mounted file parsed and hashed; a
        new hash restarts the instance (caddy's Restart), which fails without harm: the old
        one keeps serving. Says what happened: "reloaded", "failed" (the old Corefile
        serves on), "unchanged" (the same blocks), "unparsable" (warned; tried next tick)."""
        try:
            sha = config_sha512(parse(self.mounted))
        except CaddyfileError as e:
            self.print(f"[WARNING] plugin/reload: Corefile parse failed: {e}")
            return "unparsable"
        if sha == self.sha:
            return "unchanged"
        self.sha = sha  # (not tried again with the same file, even though it is wrong)
        self.print("[INFO] Reloading")
        try:
            corefile = load_corefile(self.mounted)
            server = build(corefile)
        except CorefileError as e:
            self.print(f"[ERROR] Restart failed: {e}")
            self.print(f"[ERROR] plugin/reload: Corefile changed but reload failed: starting with listener file "
                       f"descriptors: {e}")
            return "failed"
        self.running, self.server = corefile, server
        self.instance_started = self.now()
        # The new instance's start-up event reaches the reload hook before Restart returns,
        # while the plugin is still marked "maybe used": the hook logs the hash and starts
        # a ticker even when the new Corefile has no `reload` (with the interval the last
        # `reload` line set). So a process that started with `reload` keeps checking.
        self.ticker = corefile.reload if corefile.reload is not None else self.ticker
        self.print(f"[INFO] plugin/reload: Running configuration SHA512 = {corefile.sha512}")
        self.print("[INFO] Reloading complete")
        return "reloaded"

    @property
    def reloads(self) -> bool:
        """Whether a reload ticker checks the file (a process started without `reload`
        never reads it again)."""
        return self.ticker is not None


__all__ = ["COREDNS_BUILD", "COREDNS_VERSION", "CoreDNSProcess", "VOLUME_SYNC_SECONDS"]
