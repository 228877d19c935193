"""Which files ``kubectl apply -f PATH [-R]`` reads, in its order, and the side files editors
write beside them (one rule, shared with the dashboard's file watcher).

Files are read as given; folders are walked depth-first with each folder's entries in lexical
order (Go's ``filepath.Walk``), keeping only ``.json``, ``.yaml`` and ``.yml``; the display name
is the given path for files and ``path.join(folder, relative)`` (cleaned) inside folders.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Iterable, Iterator

from engine.api.gostrconv import go_quote
from engine.manifests.documents import LoadResult, ManifestError

MANIFEST_EXTENSIONS = (".json", ".yaml", ".yml")  # cli-runtime resource.FileExtensions


#: The side files editors write next to the file being saved. Of those that end in a manifest
#: extension (emacs' lock links, dangling symlinks named `.#x.yaml`) the walk skips what kubectl
#: would fail to read; the dashboard's watcher ignores them all, so a save is one reload.
_EDITOR_SIDE_FILE = re.compile(
    r"""^(?:
        \.\#.*                      # emacs lock link (a dangling symlink named .#x.yaml)
      | \#.*\#                      # emacs auto-save
      | .*~                         # vim / emacs / gedit backup
      | \..*\.s[vw][a-z]x?          # vim swap (.x.yaml.swp, .swo, ..., .svz, .swpx)
      | .*\.sw[px]                  # vim swap / write check, not hidden
      | [0-9]+                      # vim's write probe (4913, 5036, ...)
      | .*___jb_(?:tmp|old|bak)___  # JetBrains safe write
      | \.goutputstream-.*          # gedit / GIO
      | .*\.kate-swp                # kate
      | .*\.(?:tmp|temp|crswap|bak|orig|part)  # generic temp files, browser downloads
    )$""",
    re.X,
)


def is_editor_junk(path: str) -> bool:
    """True for a side file an editor writes next to the file being saved (by its base name)."""
    return bool(_EDITOR_SIDE_FILE.match(os.path.basename(path)))


def _walk(root: str) -> Iterator[str]:
    """filepath.Walk order: depth-first, each directory's entries sorted by name.

    Unlike Go's Walk, symlinks to folders are followed (a linked folder of manifests is read), each
    real folder once, so a symlink loop ends instead of recursing forever.  Iterative: a deep
    tree cannot exhaust the stack.
    """
    seen: set[tuple[int, int]] = set()

    def entries(d: str) -> Iterator[str] | None:
        try:
            st = os.stat(d)
            names = sorted(os.listdir(d))
        except OSError:
            return None
        if (st.st_dev, st.st_ino) in seen:
            return None
        seen.add((st.st_dev, st.st_ino))
        return iter(names)

    first = entries(root)
    stack: list[tuple[str, Iterator[str]]] = [(root, first)] if first is not None else []
    while stack:
        d, it = stack[-1]
        name = next(it, None)
        if name is None:
            stack.pop()
            continue
        full = os.path.normpath(os.path.join(d, name))
        if os.path.isdir(full):
            sub = entries(full)
            if sub is not None:
                stack.append((full, sub))
        elif not is_editor_junk(name):
            yield full


def manifest_dirs(paths: Iterable[str | Path]) -> list[str]:
    """The folders a walk of ``paths`` reads (for a file watcher), symlinked ones included."""
    out: list[str] = []
    for given in paths:
        g = str(given)
        if not os.path.isdir(g):
            continue
        out.append(os.path.normpath(g))
        seen: set[tuple[int, int]] = set()
        stack = [g]
        while stack:
            d = stack.pop()
            try:
                st = os.stat(d)
                if (st.st_dev, st.st_ino) in seen:
                    continue
                seen.add((st.st_dev, st.st_ino))
                names = os.listdir(d)
            except OSError:
                continue
            for n in names:
                full = os.path.normpath(os.path.join(d, n))
                if os.path.isdir(full):
                    out.append(full)
                    stack.append(full)
    return out


def expand_paths(paths: Iterable[str | Path], recursive: bool, result: LoadResult) -> list[tuple[Path, str]]:
    files: list[tuple[Path, str]] = []
    for given in paths:
        g = str(given)
        if not os.path.exists(g):
            msg = f"the path {go_quote(g)} does not exist"
            result.errors.append(ManifestError(Path(g), g, 0, None, "error: " + msg, msg, "io", 0, True))
            continue
        if os.path.isdir(g):
            if recursive:
                entries: Iterable[str] = _walk(g)
            else:
                try:
                    names = sorted(os.listdir(g))
                except OSError:
                    names = []
                entries = (os.path.normpath(os.path.join(g, n)) for n in names
                           if not is_editor_junk(n) and not os.path.isdir(os.path.join(g, n)))
            for f in entries:
                if os.path.splitext(f)[1] in MANIFEST_EXTENSIONS:
                    files.append((Path(f), f))
        else:
            files.append((Path(g), g))
    return files


def manifest_files(paths: Iterable[str | Path], *, recursive: bool = True) -> tuple[list[tuple[Path, str]], LoadResult]:
    """The files ``load_paths`` would read, in its order, and the errors for paths that do
    not exist (for a reader that goes file by file)."""
    result = LoadResult()
    return expand_paths(paths, recursive, result), result
