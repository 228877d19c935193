"""`tar` in the containers, enough for `kubectl cp`: kubectl copies out of a pod with
`tar cf - PATH` (the archive on stdout, tar's complaints on stderr) and into one with
`tar -xmf - [-C DIR]` (the archive on stdin), after `test -d DEST`. The archives are
Python's `tarfile` (ustar), the messages busybox's (archival/tar.c: the first word may
drop its dash, `removing leading '/' from member names`, `error exit delayed from previous
errors`) or, in Debian images, GNU tar's."""
from __future__ import annotations

import io
import posixpath
import tarfile

from engine.containers.getopt import OptionError, getopt
from engine.containers.proc import Proc, to_bytes, to_text

_LONG = {"no-same-owner": "\x01", "no-same-permissions": "\x02", "directory": "C", "file": "f", "extract": "x",
         "create": "c", "list": "t", "verbose": "v", "to-stdout": "O", "touch": "m", "strip-components": "\x03",
         "gzip": "z"}


def tar(p: Proc) -> int:
    gnu = p.shell.distro == "debian"
    args = list(p.args)
    if args and args[0] and not args[0].startswith("-"):  # `tar cf - x`: the first word's dash is optional
        first = args[0]
        if "f" in first:
            first = first.replace("f", "") + "f"
        args[0] = "-" + first
    try:
        o = getopt(args, "txcC:f:Oopvkmhz\x01\x02\x03:", _LONG)
    except OptionError as e:
        return p.fail(str(e), 2 if gnu else 1)
    modes = [m for m in "ctx" if o.has(m)]
    if len(modes) != 1:
        if gnu:
            p.err("tar: You must specify one of the '-Acdtrux', '--delete' or '--test-label' options\n"
                  "Try 'tar --help' or 'tar --usage' for more information.\n")
            return 2
        p.err("BusyBox v1.37.0 (2025-01-17 18:12:01 UTC) multi-call binary.\n\nUsage: tar c|x|t [-ZzJjahmvokO] "
              "[-f TARFILE] [-C DIR] [-T FILE] [-X FILE] [LONGOPT]... [FILE]...\n")
        return 1
    if o.has("z"):
        return p.fail("svcflow's tar does not compress (-z)")
    archive = o.value("f", "-")
    base = p.shell.path(o.value("C")) if o.value("C") else p.shell.cwd
    if o.value("C") and not p.shell.files.is_dir(base):
        if gnu:
            p.err(f"tar: {o.value('C')}: Cannot open: No such file or directory\n"
                  "tar: Error is not recoverable: exiting now\n")
            return 2
        return p.fail(f"can't change directory to '{o.value('C')}': No such file or directory")
    if modes[0] == "c":
        return _create(p, o.operands, archive, base, gnu)
    return _extract(p, archive, base, list_only=modes[0] == "t", verbose=o.has("v"), gnu=gnu,
                    to_stdout=o.has("O"))


def _create(p: Proc, names: list[str], archive: str, base: str, gnu: bool) -> int:
    if not names:
        if gnu:
            p.err("tar: Cowardly refusing to create an empty archive\nTry 'tar --help' or 'tar --usage' for more "
                  "information.\n")
            return 2
        return p.fail("empty archive")
    buf = io.BytesIO()
    failed = False
    warned = False
    mtime = p.shell.now().timestamp()
    tf = tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT if gnu else tarfile.USTAR_FORMAT)
    for name in names:
        path = posixpath.normpath(posixpath.join(base, name))
        member = name.lstrip("/")
        missing = not p.shell.files.exists(path)
        # (busybox strips the prefix when it archives the file; GNU tar when it reads the name)
        if member != name and not warned and (gnu or not missing):
            warned = True
            p.err("tar: Removing leading `/' from member names\n" if gnu
                  else "tar: removing leading '/' from member names\n")
        if missing:
            failed = True
            p.err(f"tar: {name}: Cannot stat: No such file or directory\n" if gnu
                  else f"tar: {name}: No such file or directory\n")
            continue
        for src, arcname in _walk(p, path, member):
            _add(tf, p, src, arcname, mtime)
    end = tf.offset
    tf.close()
    # busybox ends the archive with its two zero blocks; GNU tar pads to a 10 KiB record as tarfile does
    data = buf.getvalue() if gnu else buf.getvalue()[:end] + bytes(2 * tarfile.BLOCKSIZE)
    if archive != "-":
        why = p.shell.files.write(p.shell.path(archive), data)
        if why is not None:
            return p.fail(f"can't open '{archive}': {why}")
    else:
        p.out(to_text(data))
    if failed:
        p.err("tar: Exiting with failure status due to previous errors\n" if gnu
              else "tar: error exit delayed from previous errors\n")
        return 2 if gnu else 1
    return 0


def _walk(p: Proc, path: str, arcname: str) -> list[tuple[str, str]]:
    out = [(path, arcname)]
    if p.shell.files.is_dir(path):
        for child in p.shell.files.listdir(path):
            out += _walk(p, posixpath.join(path, child), posixpath.join(arcname, child) if arcname else child)
    return out


def _add(tf: tarfile.TarFile, p: Proc, path: str, arcname: str, mtime: float) -> None:
    info = tarfile.TarInfo(arcname or ".")
    info.mtime, info.uid, info.gid, info.uname, info.gname = int(mtime), 0, 0, "root", "root"
    if p.shell.files.is_dir(path):
        info.type, info.mode = tarfile.DIRTYPE, 0o755
        tf.addfile(info)
        return
    data = p.shell.files.read(path) or b""
    info.size, info.mode = len(data), 0o644
    tf.addfile(info, io.BytesIO(data))


def _extract(p: Proc, archive: str, base: str, *, list_only: bool, verbose: bool, gnu: bool, to_stdout: bool) -> int:
    if archive == "-":
        data = to_bytes(p.input())
    else:
        got = p.shell.files.read(p.shell.path(archive))
        if got is None:
            if gnu:
                p.err(f"tar: {archive}: Cannot open: No such file or directory\ntar: Error is not recoverable: "
                      "exiting now\n")
                return 2
            return p.fail(f"can't open '{archive}': No such file or directory")
        data = got
    if not data:
        if gnu:
            p.err("tar: This does not look like a tar archive\ntar: Exiting with failure status due to previous "
                  "errors\n")
            return 2
        return 0  # busybox: an empty stream is an empty archive
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tf:
            for m in tf.getmembers():
                name = m.name.lstrip("/")
                if list_only or verbose:
                    p.out(name + ("/" if m.isdir() and not name.endswith("/") else "") + "\n")
                if list_only:
                    continue
                dest = posixpath.normpath(posixpath.join(base, name))
                if m.isdir():
                    p.shell.files.mkdir(dest)
                elif m.isfile():
                    body = (tf.extractfile(m) or io.BytesIO()).read()
                    if to_stdout:
                        p.out(to_text(body))
                        continue
                    p.shell.files.mkdir(posixpath.dirname(dest))
                    why = p.shell.files.write(dest, body)
                    if why is not None:
                        p.err(f"tar: can't open '{name}': {why}\n")
                        return 1
    except tarfile.TarError:
        if gnu:
            p.err("tar: This does not look like a tar archive\ntar: Exiting with failure status due to previous "
                  "errors\n")
            return 2
        return p.fail("invalid tar magic")
    return 0
