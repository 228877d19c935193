"""Watching manifest folders the way editors really save files.

Editors do not simply rewrite a file: vim writes a probe file named ``4913`` and keeps
``.x.yaml.swp`` and ``x.yaml~`` beside it, emacs leaves ``.#x.yaml`` lock links and ``#x.yaml#``
auto-saves, JetBrains IDEs write ``x.yaml___jb_tmp___`` and rename it over the original, others
truncate and write in chunks.  The watcher's job is only to say *when* to reload: it ignores the
editors' side files, wakes up for manifest files and for folders (a folder renamed or removed
produces no event for the files inside it), and keeps watching when a watched folder is removed
and created again.  Telling a finished save from one under way is `engine.apply.live`'s job.

Nothing here touches the cluster; `tui.driver.EngineDriver` reloads on what this yields.
"""
from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import AsyncIterator, Callable, Iterable

from engine.manifests.paths import MANIFEST_EXTENSIONS, is_editor_junk

#: Debounce for watchfiles: group a burst of events, yield once things are quiet for STEP_MS.
DEBOUNCE_MS = 150
STEP_MS = 30
#: How often the watcher wakes up to check that its folders still exist.
POLL_MS = 500

def is_manifest_file(path: str) -> bool:
    return os.path.splitext(path)[1] in MANIFEST_EXTENSIONS and not is_editor_junk(path)


class ManifestFilter:
    """watchfiles filter: manifest files, and folders (known ones, or ones that exist now)."""

    def __init__(self, known_dirs: Callable[[], Iterable[str]] | None = None) -> None:
        self._known_dirs = known_dirs or (lambda: ())

    def __call__(self, _change: object, path: str) -> bool:
        if is_editor_junk(path):
            return False
        if os.path.splitext(path)[1] in MANIFEST_EXTENSIONS:
            return True
        path = os.path.normpath(path)
        return path in set(self._known_dirs()) or os.path.isdir(path)


def _folder(p: Path) -> Path:
    """The folder that holds what ``p`` names: itself for a folder, the parent for a file; a
    missing path without an extension is taken for a folder (watched again once it exists)."""
    if p.is_dir():
        return p
    if p.exists() or p.suffix:
        return p.parent
    return p


def watch_roots(paths: Iterable[Path]) -> list[str]:
    """The existing folders to watch: each folder given, the folder of each file given."""
    roots: set[str] = set()
    for p in paths:
        folder = _folder(p)
        if folder.is_dir():
            roots.add(os.path.normpath(str(folder)))
    return sorted(roots)


def _identity(paths: Iterable[Path]) -> tuple:
    """What changes when a watched folder is removed, created or replaced."""
    out = []
    for p in paths:
        folder = _folder(p)
        try:
            st = os.stat(folder)
            out.append((str(folder), st.st_dev, st.st_ino))
        except OSError:
            out.append((str(folder), None, None))
    return tuple(out)


async def manifest_changes(paths: list[Path], stop: asyncio.Event,
                           known_dirs: Callable[[], Iterable[str]] | None = None,
                           on_error: Callable[[str], None] | None = None) -> AsyncIterator[set]:
    """Yield a set of (change, path) each time the manifests may have changed.

    Survives its folders being removed and recreated (it re-arms itself and yields so the caller
    reloads) and errors from the OS watcher (reported through ``on_error``, retried).
    """
    from watchfiles import awatch

    flt = ManifestFilter(known_dirs)
    while not stop.is_set():
        roots = watch_roots(paths)
        ident = _identity(paths)
        if not roots:
            await _sleep_or_stop(stop, POLL_MS / 1000)
            if _identity(paths) != ident:
                yield {("roots", "")}
            continue
        try:
            async for changes in awatch(*roots, watch_filter=flt, debounce=DEBOUNCE_MS, step=STEP_MS,
                                        stop_event=stop, rust_timeout=POLL_MS, yield_on_timeout=True):
                if changes:
                    yield changes
                if _identity(paths) != ident:
                    yield {("roots", "")}
                    break
        except Exception as exc:  # noqa: BLE001 - a watcher failure must not kill the dashboard
            if on_error is not None:
                on_error(f"svcflow: watching {', '.join(roots)} failed ({type(exc).__name__}: {exc}); retrying")
            await _sleep_or_stop(stop, POLL_MS / 1000)


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except asyncio.TimeoutError:
        pass
