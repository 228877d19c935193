"""Is anyone still writing this file?  Asked of the kernel, so a finished save applies at once.

The hot reloader must never apply half a file, and a quiet period after the last change is
the portable way to be sure (`engine.apply.live`).  On Linux the kernel can say it directly: a read
*lease* (``fcntl(F_SETLEASE, F_RDLCK)``) is refused with ``EAGAIN`` while any process has the
file open for writing.  Editors open, write and close a file in one go, so by the time the
watcher reports the save the file is closed and the save is complete; a writer that truncates
and then writes in chunks keeps it open meanwhile.

The lease is held for the two system calls it takes to ask, but a writer that opens the file
in that window makes the kernel send SIGIO to the lease holder, whose default action ends the
process.  So the question is only asked when SIGIO is ignored or handled: the dashboard ignores
it at start-up (`tui.app`), anything else gets ``None`` ("cannot tell") and the quiet period.
"""
from __future__ import annotations

import errno
import os
import signal

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

_F_SETLEASE = getattr(fcntl, "F_SETLEASE", None) if fcntl is not None else None
_SIGIO = getattr(signal, "SIGIO", None)


def lease_check_safe() -> bool:
    """True when a lease break cannot end the process (SIGIO ignored or handled)."""
    if _F_SETLEASE is None or _SIGIO is None:
        return False
    try:
        return signal.getsignal(_SIGIO) not in (signal.SIG_DFL, None)
    except (ValueError, OSError):
        return False


def ignore_lease_breaks() -> bool:
    """Ignore SIGIO (nothing in svcflow uses it) so `open_for_writing` can ask; main thread only.
    Returns whether the check is usable now."""
    if _F_SETLEASE is None or _SIGIO is None:
        return False
    try:
        if signal.getsignal(_SIGIO) in (signal.SIG_DFL, None):
            signal.signal(_SIGIO, signal.SIG_IGN)
    except (ValueError, OSError):  # not the main thread
        pass
    return lease_check_safe()


def open_for_writing(path: str | os.PathLike) -> bool | None:
    """True if some process (this one included) has ``path`` open for writing, False if none
    has, None when the kernel cannot tell us (not Linux, a file we do not own, a file system
    without leases, SIGIO not ignored)."""
    if not lease_check_safe():
        return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        try:
            fcntl.fcntl(fd, _F_SETLEASE, fcntl.F_RDLCK)
        except OSError as e:
            return True if e.errno in (errno.EAGAIN, errno.EBUSY) else None
        try:
            fcntl.fcntl(fd, _F_SETLEASE, fcntl.F_UNLCK)
        except OSError:
            pass
        return False
    finally:
        os.close(fd)
