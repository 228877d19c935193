"""A container's files, as far as a learner looks at them: the ones the kubelet writes into
every container (/etc/hostname, /etc/hosts, /etc/resolv.conf), the image's programs (so
`ls /bin/tar` and `which tar` answer), the usual directories, and whatever was written
since (`echo hi > /tmp/x`, `kubectl cp`). Writes stay with the container's shell, so they
go when the pod does, as its writable layer would.
"""
from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Callable

#: The directories every image here has (Alpine's and Debian's root file systems alike).
BASE_DIRS = frozenset({"/", "/bin", "/dev", "/etc", "/home", "/lib", "/media", "/mnt", "/opt", "/proc", "/root",
                       "/run", "/sbin", "/srv", "/sys", "/tmp", "/usr", "/usr/bin", "/usr/lib", "/usr/local",
                       "/usr/local/bin", "/usr/sbin", "/usr/share", "/var", "/var/log", "/var/tmp"})
#: Programs that live in /usr/bin rather than /bin (busybox links and packages alike).
USR_BIN = frozenset({"curl", "wget", "nc", "telnet", "dig", "host", "printenv", "wc", "head", "tail", "sort", "cut",
                     "awk", "tr", "uniq", "which", "nslookup", "test", "[", "env",
                     "id", "whoami", "uname", "tee", "xargs", "seq", "du", "find"})


#: busybox's system tools, linked in /sbin.
SBIN = frozenset({"ip", "ifconfig", "route"})
#: Programs the redis image builds into /usr/local/bin (Alpine's apk puts them in /usr/bin).
USR_LOCAL_BIN = frozenset({"redis-cli", "redis-server"})


def bin_path(program: str, *, own_build: bool = False) -> str:
    """Where `program` lives: busybox's links in /bin or /usr/bin, an image's own build in
    /usr/local/bin."""
    if own_build and program in USR_LOCAL_BIN:
        return "/usr/local/bin/" + program
    if program in SBIN:
        return "/sbin/" + program
    return ("/usr/bin/" if program in USR_BIN or program in USR_LOCAL_BIN else "/bin/") + program


@dataclass
class ContainerFiles:
    """One container's file system view. `generated` gives the kubelet's files (their content
    follows the pod: its IP, its DNS config); `programs` says what the image has."""

    generated: Callable[[str], bytes | None]
    programs: Callable[[], set[str]]
    locate: Callable[[str], str]
    workdir: str = "/"
    merged_usr: bool = False  # Debian since bookworm: /bin, /sbin and /lib are links into /usr
    written: dict[str, bytes] = field(default_factory=dict)
    made_dirs: set[str] = field(default_factory=set)

    def real(self, path: str) -> str:
        """Where `path` is once the merged-/usr links are followed (`/bin/ls` -> `/usr/bin/ls`)."""
        path = posixpath.normpath(path)
        if self.merged_usr:
            for link in ("/bin", "/sbin", "/lib"):
                if path == link or path.startswith(link + "/"):
                    return "/usr" + path
        return path

    def _program_paths(self) -> dict[str, str]:
        return {self.locate(p): p for p in self.programs() if p not in ("exit", "cd", "export")}

    def is_dir(self, path: str) -> bool:
        path = self.real(path)
        if path in BASE_DIRS or path in self.made_dirs or path == self.workdir:
            return True
        prefix = path.rstrip("/") + "/"
        return any(p.startswith(prefix) for p in self.written)

    def read(self, path: str) -> bytes | None:
        """The file's bytes; None when there is no such file (a directory is not a file)."""
        path = self.real(path)
        if path in self.written:
            return self.written[path]
        if path == "/dev/null":
            return b""  # (always there, always empty: `tail -f /dev/null`)
        if path in self._program_paths():
            return b""  # (an executable: nobody reads it here)
        return self.generated(path)

    def exists(self, path: str) -> bool:
        return self.is_dir(path) or self.read(path) is not None

    def write(self, path: str, data: bytes, *, append: bool = False) -> str | None:
        """Write (or append to) a file; the reason it cannot be (ash's words) or None."""
        path = self.real(path)
        if self.is_dir(path):
            return "Is a directory"
        if not self.is_dir(posixpath.dirname(path)):
            return "nonexistent directory"
        old = self.read(path) if append else None
        self.written[path] = (old or b"") + data
        return None

    def mkdir(self, path: str) -> None:
        path = posixpath.normpath(path)
        while path not in ("/", ""):
            self.made_dirs.add(path)
            path = posixpath.dirname(path)

    def listdir(self, path: str) -> list[str]:
        """The names in a directory (what `ls` prints), sorted as ls sorts them."""
        path = self.real(path)
        prefix = "/" if path == "/" else path + "/"
        names = set()
        for p in list(BASE_DIRS | self.made_dirs) + list(self.written) + list(self._program_paths()) \
                + [self.workdir] + ["/etc/hostname", "/etc/hosts", "/etc/resolv.conf"]:
            if p.startswith(prefix) and p != path:
                names.add(p[len(prefix):].split("/", 1)[0])
        return sorted(names)
