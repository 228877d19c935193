"""What redis-server (the official image's, 7.4) logs as it starts: server.c's main (the
memory overcommit warning, `Redis is starting`, the version line, the config line),
initServer (`monotonic clock`), redisAsciiArt (`Running mode=...`), initListeners and
InitServerLast (`Server initialized`, `Ready to accept connections tcp`).

Why one place: the container's own redis-server (its log, engine.workloads.apps) and one a
learner starts by hand (`kubectl exec redis -- redis-server`, engine.containers.servers)
print the same lines; the second finds 6379 taken by the first and says so as listenToPort
does (`Could not create server TCP listening socket *:6379: bind: Address already in use`,
the default config's first bind address being `*`), then `Failed listening on port 6379
(tcp), aborting.` and exits 1.

Each line is serverLog's: `PID:ROLE DD Mon YYYY HH:MM:SS.mmm LEVEL message`, ROLE `C` until
initServer has set server.pid (the process is then the master, `M`), LEVEL `*` a notice and
`#` a warning; logged to stdout (the image sets no logfile), so a container's log has it.
"""
from __future__ import annotations

from datetime import datetime, timedelta

#: The redis release whose start-up the log shows (RESP replies follow redis 7, engine.workloads.redis).
REDIS_VERSION = "7.4.5"
DEFAULT_PORT = 6379

_OVERCOMMIT = ("# WARNING Memory overcommit must be enabled! Without it, a background save or replication may fail "
               "under low memory condition. Being disabled, it can also cause failures without low memory condition, "
               "see https://github.com/jemalloc/jemalloc/issues/1328. To fix this issue add 'vm.overcommit_memory = 1' "
               "to /etc/sysctl.conf and then reboot or run the command 'sysctl vm.overcommit_memory=1' for this to take "
               "effect.")


def redis_port(argv: tuple[str, ...] | list[str]) -> int:
    """The port redis-server's command line sets (`--port 6380`, the last one wins); 6379."""
    port = DEFAULT_PORT
    for i, arg in enumerate(argv[1:], 1):
        value = arg[len("--port="):] if arg.startswith("--port=") else (
            argv[i + 1] if arg == "--port" and i + 1 < len(argv) else None)
        if value is not None and value.isdigit():
            port = int(value)
    return port


def start_lines(argv: tuple[str, ...] | list[str], t: datetime, pid: int = 1, *,
                port_taken: bool = False) -> list[tuple[datetime, str]]:
    """(when, line) for each line redis-server `argv` (pid `pid`, started at `t`) logs as it
    starts; `port_taken`: its port is already bound in its network namespace (it aborts)."""
    port = redis_port(argv)

    def line(role: str, ms: int, text: str) -> tuple[datetime, str]:
        at = t + timedelta(milliseconds=ms)
        return at, f"{pid}:{role} {at:%d %b %Y %H:%M:%S}.{at.microsecond // 1000:03d} {text}"
    lines = [
        line("C", 0, _OVERCOMMIT),
        line("C", 0, "* oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo"),
        line("C", 0, f"* Redis version={REDIS_VERSION}, bits=64, commit=00000000, modified=0, pid={pid}, just started"),
        line("C", 0, f"# Warning: no config file specified, using the default config. In order to specify a config "
                     f"file use {argv[0]} /path/to/redis.conf" if len(argv) == 1 else "* Configuration loaded"),
        line("M", 1, "* monotonic clock: POSIX clock_gettime"),
        line("M", 1, f"* Running mode=standalone, port={port}."),
    ]
    if port_taken:
        return lines + [
            line("M", 1, f"# Warning: Could not create server TCP listening socket *:{port}: bind: Address already in use"),
            line("M", 1, f"# Failed listening on port {port} (tcp), aborting.")]
    return lines + [line("M", 2, "* Server initialized"), line("M", 2, "* Ready to accept connections tcp")]
