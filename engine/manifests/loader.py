"""Reading the manifests a user points svcflow at, the way ``kubectl apply -f`` reads them.

Why this package exists: svcflow must accept exactly what kubectl accepts and fail exactly where
kubectl fails, with kubectl's words.  So this is not "load some YAML": it restates the pieces of
kubectl that read files (cli-runtime ``FileVisitor``/``StreamVisitor``, apimachinery
``YAMLOrJSONDecoder``, sigs.k8s.io/yaml on go-yaml v2, kubectl's schema check) in Python.  This
module reads streams; the folder walk is ``paths``, the decoders ``goyaml`` and ``gojson``, and
what comes out (Document, ManifestError, LoadResult) is ``documents``.

* a stream is JSON when its first non-blank character is ``{`` (whatever the extension), else a
  YAML stream split on lines starting with ``---`` (only spaces or a comment may follow).
* kubectl stops reading a *file* at its first syntax error or missing kind/apiVersion (later
  documents of that file are never applied); other files go on.  svcflow still loads those later
  documents - editors and the dashboard want them - but marks them ``after_stream_error``;
  ``LoadResult.kubectl_documents`` is what kubectl would actually apply.
* Nothing a file holds can crash the reader, hang it or make it allocate without bound: files
  over MAX_MANIFEST_BYTES, FIFOs and devices are refused before reading; bytes that are not
  UTF-8 get go-yaml's reader error (the decoders bound the rest).
* ``ParseCache`` keeps parsed files by name and text (and decoded YAML documents by text), so
  the dashboard's reload after a save parses only the file, and the document, that changed.

Nothing here imports Textual.
"""
from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

import yaml

from engine.api.gostrconv import go_quote
from engine.manifests.documents import (
    Document, FileInfo, gvk, is_known_kind, KNOWN_KINDS, LoadResult, ManifestError, schema_message,
    schema_problems, unknown_kind_message)
from engine.manifests.gojson import JSONEOF, JSONSyntax, JSONTooDeep, MAX_NESTING, scan_json_value, to_bytes, WS
from engine.manifests.goyaml import (
    ConvertError, DecodeError, go_yaml_message, items_lines, jsonify, load_first, yaml_error)
from engine.manifests.paths import expand_paths

#: svcflow's own limits (kubectl has none this tight; each refusal says it is svcflow's).
MAX_MANIFEST_BYTES = 8 * 1024 * 1024  # one file; the API server takes 3 MiB per request anyway


# --------------------------------------------------------------------------------------------
# Reading streams
# --------------------------------------------------------------------------------------------


@dataclass
class _Chunk:
    text: str
    start_line: int  # 1-based file line of the chunk's first line
    index: int


def _split_yaml(text: str) -> tuple[list[_Chunk], tuple[int, str] | None]:
    """apimachinery YAMLReader: split on lines that start with ``---``.

    Returns the chunks before any separator error, and (line, message) of that error.  CRLF line
    ends are normalised like bufio.ReadLine does.
    """
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    chunks: list[_Chunk] = []
    buf: list[str] = []
    start = 1
    index = 0
    for ln, raw in enumerate(lines, start=1):
        line = raw[:-1] if raw.endswith("\r") else raw
        if line.startswith("---"):
            trimmed = line[3:].strip()
            if trimmed and not trimmed.startswith("#"):
                if buf:
                    chunks.append(_Chunk("".join(buf), start, index))
                return chunks, (ln, f"invalid Yaml document separator: {trimmed}")
            if buf:
                chunks.append(_Chunk("".join(buf), start, index))
                index += 1
            buf = []
            start = ln + 1
            continue
        if not buf:
            start = ln
        buf.append(line + "\n")
    if buf:
        chunks.append(_Chunk("".join(buf), start, index))
    return chunks, None


def _first_content_line(chunk: str, start_line: int) -> int:
    for off, ln in enumerate(chunk.split("\n")):
        s = ln.strip()
        if s and not s.startswith("#") and s not in ("---", "..."):
            return start_line + off
    return start_line


def _is_json_stream(text: str) -> bool:
    """GuessJSONStream: first non-whitespace character of the first 4096 bytes is '{'."""
    head = to_bytes(text[:4096])[:4096].decode("utf-8", "ignore")
    return head.lstrip(" \t\n\r\v\f\x85\xa0").startswith("{")


def _expand(
    obj: Any,
    base: dict[str, Any],
    node_lines: list[int] | None,
    result: LoadResult,
    check_kinds: bool,
) -> bool:
    """Turn one decoded object into Documents/errors; returns False if the file must stop here."""
    problems = schema_problems(obj)
    display = base["display"]
    if problems is not None:
        msg = schema_message(display, problems)
        result.errors.append(
            ManifestError(base["path"], display, base["line"], None, "error: " + msg, msg, "schema", base["index"], True)
        )
        return False
    items = obj.get("items")
    version, kind = gvk(obj)
    if isinstance(items, list) and (kind == "List" or kind.endswith("List")) and (version, kind) not in KNOWN_KINDS:
        for j, item in enumerate(items):
            line = node_lines[j] if node_lines and j < len(node_lines) else base["line"]
            sub = dict(base, line=line, item_index=j)
            iprob = schema_problems(item)
            if iprob is not None:
                msg = schema_message(display, iprob)
                result.errors.append(
                    ManifestError(base["path"], display, line, f"items[{j}]", "error: " + msg, msg, "schema", base["index"])
                )
                continue
            _add_document(item, sub, result, check_kinds)
        return True
    _add_document(obj, base, result, check_kinds)
    return True


def _add_document(obj: dict, base: dict[str, Any], result: LoadResult, check_kinds: bool) -> None:
    doc = Document(
        obj=obj,
        path=base["path"],
        display=base["display"],
        line=base["line"],
        index=base["index"],
        chunk_line=base["chunk_line"],
        item_index=base.get("item_index"),
        source=base["source"],
        is_json=base["is_json"],
        after_stream_error=base["after"],
    )
    if check_kinds and not is_known_kind(obj):
        msg = unknown_kind_message(obj, base["display"], prefix=False)
        result.errors.append(
            ManifestError(base["path"], base["display"], base["line"], "kind", "error: " + msg, msg, "unknown-kind", base["index"])
        )
        return
    result.documents.append(doc)


def _load_yaml_stream(text: str, path: Path, display: str, check_kinds: bool,
                      chunks_seen: dict[str, tuple[Any, list]] | None = None) -> LoadResult:
    """``chunks_seen``: documents already decoded, by their text (a `ParseCache`'s), so a file
    saved with one document changed decodes that one document."""
    result = LoadResult()
    chunks, sep_err = _split_yaml(text)
    stopped = False

    def fail(msg: str, line: int, index: int) -> None:
        nonlocal stopped
        if not stopped:
            result.errors.append(ManifestError(path, display, line, None, "error: " + msg, msg, "yaml", index, True))
        stopped = True

    for ch in chunks:
        base = {
            "path": path,
            "display": display,
            "line": _first_content_line(ch.text, ch.start_line),
            "chunk_line": ch.start_line,
            "index": ch.index,
            "source": ch.text,
            "is_json": False,
            "after": stopped,
        }
        try:
            hit = chunks_seen.get(ch.text) if chunks_seen is not None else None
            if hit is not None:
                obj, dups = hit
            else:
                data, dups = load_first(ch.text)
        except DecodeError as e:
            body = e.message if e.svcflow else f"yaml: {e.message}"
            fail(yaml_error(display, body), ch.start_line + e.line, ch.index)
            continue
        except yaml.constructor.ConstructorError as e:  # decoder errors: go-yaml names no line
            pm = e.problem_mark or e.context_mark
            line = ch.start_line + (pm.line if pm is not None else 0)
            problem = e.problem or ""
            if "for merging" in problem:
                problem = "map merge requires map or sequence of maps as the value"
            elif "unhashable key" in problem:
                problem = "invalid map key"
            fail(yaml_error(display, f"yaml: {problem}"), line, ch.index)
            continue
        except yaml.MarkedYAMLError as e:
            # svcflow's own pointer: the true line; for a missing ':' that is the key's line.
            pm = e.problem_mark or e.context_mark
            if (e.problem or "").startswith("could not find expected ':'") and e.context_mark is not None:
                pm = e.context_mark
            line = ch.start_line + (pm.line if pm is not None else 0)
            body = go_yaml_message(e, ch.text)
            if "maximum nesting depth" in (e.problem or ""):  # libyaml stops at 1000 levels
                body = f"objects nested more than {MAX_NESTING} levels deep are refused by svcflow"
            fail(yaml_error(display, body), line, ch.index)
            continue
        except yaml.YAMLError as e:  # reader errors (bad characters)
            fail(yaml_error(display, f"yaml: {getattr(e, 'reason', e)}"), ch.start_line, ch.index)
            continue
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError, MemoryError) as e:
            # Never let odd input escape as an exception: say what happened, with the place.
            fail(yaml_error(display, f"svcflow could not decode this document ({type(e).__name__}: {e})"),
                 base["line"], ch.index)
            continue
        if not stopped:
            for dline, key, first in dups:
                result.warnings.append(ManifestError(
                    path, display, ch.start_line + dline, key,
                    f"warning: mapping key {go_quote(key)} already defined at line {ch.start_line + first}; "
                    "kubectl keeps the last value", code="duplicate-key", index=ch.index))
        if hit is None:
            try:
                obj = jsonify(data)
            except ConvertError as e:
                fail(yaml_error(display, str(e)), base["line"], ch.index)
                continue
            except RecursionError:
                fail(yaml_error(display, f"objects nested more than {MAX_NESTING} levels deep are refused by svcflow"),
                     base["line"], ch.index)
                continue
            if chunks_seen is not None:
                chunks_seen[ch.text] = (obj, dups)
        if obj is None:  # empty document, or only comments: kubectl skips it silently
            continue
        if stopped:
            # kubectl never gets here; keep the object for svcflow's views, without more errors.
            if schema_problems(obj) is None:
                sub = LoadResult()
                _expand(obj, base, items_lines(ch.text, ch.start_line), sub, False)
                result.documents.extend(sub.documents)
            continue
        lines = items_lines(ch.text, ch.start_line) if isinstance(obj, dict) and isinstance(obj.get("items"), list) else None
        if not _expand(obj, base, lines, result, check_kinds):
            stopped = True
    if sep_err is not None and not stopped:
        ln, m = sep_err
        msg = f"error parsing {display}: {m}"
        result.errors.append(ManifestError(path, display, ln, None, "error: " + msg, msg, "separator", len(chunks), True))
    return result


def _load_json_stream(text: str, path: Path, display: str, check_kinds: bool) -> LoadResult:
    result = LoadResult()
    data = to_bytes(text)
    pos, index, stopped = 0, 0, False
    while True:
        # skip whitespace to find the next value (and EOF)
        j = pos
        while j < len(data) and data[j] in WS:
            j += 1
        if j >= len(data):
            break
        line = data.count(b"\n", 0, j) + 1
        try:
            end = scan_json_value(data, pos)
        except JSONSyntax as e:
            eline = data.count(b"\n", 0, max(e.offset - 1, 0)) + 1
            msg = f"error parsing {display}: json: offset {e.offset}: {e.msg}"
            result.errors.append(ManifestError(path, display, eline, None, "error: " + msg, msg, "json", index, True))
            break
        except JSONEOF:
            msg = f"error parsing {display}: unexpected EOF"
            result.errors.append(ManifestError(path, display, line, None, "error: " + msg, msg, "json", index, True))
            break
        except JSONTooDeep as e:
            eline = data.count(b"\n", 0, max(e.offset - 1, 0)) + 1
            msg = f"error parsing {display}: objects nested more than {MAX_NESTING} levels deep are refused by svcflow"
            result.errors.append(ManifestError(path, display, eline, None, "error: " + msg, msg, "limit", index, True))
            break
        raw = data[j:end].decode("utf-8", "replace")
        pos = end
        try:
            obj = json.loads(raw)
        except (ValueError, RecursionError) as e:  # what Go's scanner allows but Python's does not
            msg = f"error parsing {display}: json: {e}"
            result.errors.append(ManifestError(path, display, line, None, "error: " + msg, msg, "json", index, True))
            break
        base = {
            "path": path, "display": display, "line": line, "chunk_line": line, "index": index,
            "source": raw, "is_json": True, "after": stopped,
        }
        index += 1
        if obj is None:
            continue
        if stopped:
            continue
        lines = None
        if isinstance(obj, dict) and isinstance(obj.get("items"), list):
            lines = items_lines(raw, line)
        if not _expand(obj, base, lines, result, check_kinds):
            stopped = True
            break  # kubectl's StreamVisitor returns here; later JSON values are never read
    return result


def _size_text(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MiB" if n >= 1024 * 1024 else f"{n} bytes"


def _too_big(path: Path, display: str, size: int) -> ManifestError:
    msg = (f"refusing to read {display}: it is {_size_text(size)}, over svcflow's "
           f"{MAX_MANIFEST_BYTES // (1024 * 1024)} MiB limit for one manifest file")
    return ManifestError(path, display, 1, None, "error: " + msg, msg, "limit", 0, True)


def load_text(
    text: str,
    display: str = "<stdin>",
    path: str | Path | None = None,
    *,
    check_kinds: bool = True,
    chunks_seen: dict[str, tuple[Any, list]] | None = None,
) -> LoadResult:
    """Read one manifest stream (YAML or JSON, sniffed like kubectl) from a string.

    For tests and editors: ``display`` is the name errors print (kubectl's ``-f`` argument).
    ``check_kinds`` turns unknown apiVersion/kind pairs into ``unknown-kind`` errors.  Never raises
    for any input: whatever cannot be read becomes a ManifestError.
    """
    p = Path(path) if path is not None else Path(display)
    if len(text) > MAX_MANIFEST_BYTES:
        return LoadResult(errors=[_too_big(p, display, len(text))])
    try:
        if _is_json_stream(text):
            return _load_json_stream(text, p, display, check_kinds)
        return _load_yaml_stream(text, p, display, check_kinds, chunks_seen)
    except Exception as e:  # noqa: BLE001 - a reader bug must show up as an error, not a crash
        msg = f"error parsing {display}: svcflow could not read it ({type(e).__name__}: {e})"
        return LoadResult(errors=[ManifestError(p, display, 1, None, "error: " + msg, msg, "internal", 0, True)])


def _read_file(p: Path, display: str, result: LoadResult) -> str | None:
    """The file's text, or None with the error recorded.  Never blocks on a FIFO or a device,
    never reads more than MAX_MANIFEST_BYTES, and notes whether the file changed meanwhile."""

    def err(msg: str, code: str = "io") -> None:
        result.errors.append(ManifestError(p, display, 0, None, "error: " + msg, msg, code, 0, True))

    try:
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as e:
        err(f"open {display}: {e.strerror.lower() if e.strerror else e}")
        return None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            err(f"read {display}: is a directory")
            return None
        if not stat.S_ISREG(st.st_mode):
            err(f"refusing to read {display}: not a regular file")
            return None
        if st.st_size > MAX_MANIFEST_BYTES:
            result.errors.append(_too_big(p, display, st.st_size))
            return None
        chunks = []
        total = 0
        while total <= MAX_MANIFEST_BYTES:
            b = os.read(fd, min(1 << 20, MAX_MANIFEST_BYTES + 1 - total))
            if not b:
                break
            chunks.append(b)
            total += len(b)
        raw = b"".join(chunks)
        after = os.fstat(fd)
    except OSError as e:
        err(f"read {display}: {e.strerror.lower() if e.strerror else e}")
        return None
    finally:
        os.close(fd)
    if len(raw) > MAX_MANIFEST_BYTES:
        result.errors.append(_too_big(p, display, len(raw)))
        return None
    changed = (st.st_size, st.st_mtime_ns) != (after.st_size, after.st_mtime_ns) or len(raw) != after.st_size
    result.files.append(FileInfo(p, display, len(raw), after.st_mtime, changed, not raw.strip()))
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with a BOM (Windows editors): go-yaml reads it
        return raw.decode("utf-16", "replace")
    return raw.decode("utf-8", "surrogateescape")


class ParseCache:
    """Parsed files by name and text, for a reader that reads the same folder again and again
    (the dashboard on every save): only a file whose text changed is parsed again, so a save
    in a folder of 20,000 manifests costs the parse of one file.  The cached documents are
    shared between reads; nothing downstream mutates them (``with_defaults`` copies)."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, bool], tuple[str, LoadResult]] = {}
        self._seen: set[tuple[str, bool]] = set()
        self.parsed = 0  # files parsed (not found in the cache) by the last read
        self.decoded = 0
        self.last_read: list[tuple[str, LoadResult]] = []  # per file, in order, for the last whole read
        # YAML documents by text, decoded (what go-yaml gives, before the object is checked):
        # a file saved with one document changed decodes only that document again.
        self._chunks: dict[str, tuple[Any, list]] = {}

    def begin(self) -> None:
        self._seen = set()
        self.parsed = 0
        self.last_read = []
        self.decoded = 0  # YAML documents decoded (not seen before) by the last read

    def load(self, text: str, display: str, path: Path, check_kinds: bool) -> LoadResult:
        key = (display, check_kinds)
        self._seen.add(key)
        hit = self._entries.get(key)
        if hit is not None and hit[0] == text:
            self.last_read.append((display, hit[1]))
            return hit[1]
        before = len(self._chunks)
        res = load_text(text, display, path, check_kinds=check_kinds, chunks_seen=self._chunks)
        self._entries[key] = (text, res)
        self.last_read.append((display, res))
        self.parsed += 1
        self.decoded += len(self._chunks) - before
        return res

    def end(self) -> None:
        """Forget the files the last read did not see (deleted, renamed, unreadable)."""
        for key in [k for k in self._entries if k not in self._seen]:
            del self._entries[key]
        if self.parsed and len(self._chunks) > 2 * sum(len(r.documents) for _, r in self._entries.values()) + 64:
            live = {d.source for _, r in self._entries.values() for d in r.documents}
            self._chunks = {t: v for t, v in self._chunks.items() if t in live}


def load_file(p: Path, display: str, *, check_kinds: bool = True, cache: ParseCache | None = None,
              text_filter: Callable[[str], object] | None = None) -> LoadResult:
    """One file of ``load_paths``: read (its FileInfo recorded), then parsed -- unless
    ``text_filter`` says its text cannot hold what the caller wants."""
    result = LoadResult()
    text = _read_file(p, display, result)
    if text is not None and (text_filter is None or text_filter(text)):
        result.extend(cache.load(text, display, p, check_kinds) if cache is not None
                      else load_text(text, display, p, check_kinds=check_kinds))
    return result


def load_paths(
    paths: Iterable[str | Path],
    *,
    recursive: bool = True,
    check_kinds: bool = True,
    cache: ParseCache | None = None,
    text_filter: Callable[[str], object] | None = None,
) -> LoadResult:
    """Read files and folders like ``kubectl apply -f <p> [-f ...] -R``.

    Folders are walked (recursively unless ``recursive=False``, which is kubectl without ``-R``)
    in ``filepath.Walk`` order and only ``.json``/``.yaml``/``.yml`` files are read; a file
    named directly is read whatever its extension.  A broken document never stops other files,
    and no input makes this raise.  With a ``cache``, files whose text is unchanged since the
    cache's last read are not parsed again.  With a ``text_filter``, only the files whose text
    it accepts are parsed (every file is still listed in ``files``); such a partial read
    leaves the cache's other entries alone.
    """
    result = LoadResult()
    whole = cache is not None and text_filter is None
    if whole:
        cache.begin()
    for p, display in expand_paths(paths, recursive, result):
        result.extend(load_file(p, display, check_kinds=check_kinds, cache=cache, text_filter=text_filter))
    if whole:
        cache.end()
    return result
