"""The text filters learners put after a pipe, as busybox implements them: grep (-i -v -c
-E -F -n -q -o -w -x -e), wc (-l -w -c -m -L, busybox's column format), head/tail (-n N,
-N), sort (-r -n -u), cut (-d -f, -c), awk's `{print $N}`, tr, uniq. Each reads its file
operands or its stdin; a missing file is `NAME: FILE: No such file or directory`."""
from __future__ import annotations

import re

from engine.containers.getopt import OptionError, getopt
from engine.containers.proc import Applet, Proc, to_text


def _inputs(p: Proc, files: list[str]) -> list[tuple[str, str | None]]:
    """(name, text) per operand (stdin for none or `-`); text None: could not be read (said)."""
    if not files:
        return [("(standard input)", p.input())]
    out: list[tuple[str, str | None]] = []
    for f in files:
        if f == "-":
            out.append(("(standard input)", p.input()))
            continue
        path = p.shell.path(f)
        if p.shell.files.is_dir(path):
            p.err(f"{p.name}: read error: Is a directory\n")
            out.append((f, None))
            continue
        data = p.shell.files.read(path)
        if data is None:
            p.err(f"{p.name}: {f}: No such file or directory\n")
        out.append((f, None if data is None else to_text(data)))
    return out


def _lines(text: str) -> list[str]:
    return text.splitlines()


def _opts(p: Proc, spec: str, longopts: dict[str, str] | None = None):
    try:
        return getopt(p.args, spec, longopts)
    except OptionError as e:
        p.err(f"{p.name}: {e}\n")
        return None


def bre_to_re(pattern: str) -> str:
    """A POSIX basic regular expression (grep's default) in Python's syntax: `\\|`, `\\(`,
    `\\)`, `\\{`, `\\}`, `\\+`, `\\?` are the operators, the bare characters are literal."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            out.append(nxt if nxt in "|(){}+?" else "\\" + nxt)
            i += 2
            continue
        out.append("\\" + ch if ch in "|(){}+?" else ch)
        i += 1
    return "".join(out)


def grep(p: Proc) -> int:
    o = _opts(p, "lnqvscFiHhe:f:LorRxwEA:B:C:")
    if o is None:
        return 2
    patterns = list(o.values.get("e", []))
    files = list(o.operands)
    if not patterns:
        if not files:
            p.err("BusyBox v1.37.0 (2025-01-17 18:12:01 UTC) multi-call binary.\n\nUsage: grep [-HhnlLoqvsrRiwFE] "
                  "[-m N] [-A|B|C N] { PATTERN | -e PATTERN... | -f FILE... } [FILE]...\n")
            return 2
        patterns = [files.pop(0)]
    flags = re.I if o.has("i") else 0
    regexes = []
    for pat in patterns:
        for one in pat.split("\n"):
            body = re.escape(one) if o.has("F") else one if o.has("E") else bre_to_re(one)
            if o.has("w"):
                body = rf"(?<!\w)(?:{body})(?!\w)"
            if o.has("x"):
                body = rf"^(?:{body})$"
            try:
                regexes.append(re.compile(body, flags))
            except re.error:
                p.err(f"grep: bad regex '{one}'\n")
                return 2
    sources = _inputs(p, files)
    named = (len(sources) > 1 or o.has("H")) and not o.has("h")
    found = False
    status = 0
    for name, text in sources:
        if text is None:
            status = 2
            continue
        count = 0
        for n, line in enumerate(_lines(text), 1):
            hits = [m for r in regexes for m in r.finditer(line)]
            if bool(hits) == o.has("v"):
                continue
            count += 1
            found = True
            if o.has("q"):
                return 0
            if o.has("c") or o.has("l") or o.has("L"):
                continue
            prefix = (f"{name}:" if named else "") + (f"{n}:" if o.has("n") else "")
            if o.has("o") and not o.has("v"):
                for m in sorted(hits, key=lambda m: m.start()):
                    if m.group(0):
                        p.out(prefix + m.group(0) + "\n")
            else:
                p.out(prefix + line + "\n")
        if o.has("c"):
            p.out((f"{name}:" if named else "") + f"{count}\n")
        elif o.has("l") and count:
            p.out(name + "\n")
        elif o.has("L") and not count:
            p.out(name + "\n")
    return 2 if status else 0 if found else 1


def wc(p: Proc) -> int:
    o = _opts(p, "lwmcL")
    if o is None:
        return 1
    order = [c for c in "lwmcL" if o.has(c)] or ["l", "w", "c"]
    files = o.operands
    sources = _inputs(p, files)
    one = len(order) == 1 and len(sources) <= 1
    totals = dict.fromkeys(order, 0)
    status = 0
    for name, text in sources:
        if text is None:
            status = 1
            continue
        counts = _wc_counts(text)
        cells = [counts[c] for c in order]
        for c in order:
            totals[c] = max(totals[c], counts[c]) if c == "L" else totals[c] + counts[c]
        line = (f"{cells[0]}" if one else f"{cells[0]:9d}") + "".join(f" {x:9d}" for x in cells[1:])
        p.out(line + (f" {name}\n" if files else "\n"))
    if len(files) > 1:
        cells = [totals[c] for c in order]
        p.out(f"{cells[0]:9d}" + "".join(f" {x:9d}" for x in cells[1:]) + " total\n")
    return status


def _wc_counts(text: str) -> dict[str, int]:
    data = text.encode("utf-8", "surrogateescape")
    return {"l": data.count(b"\n"), "w": len(data.split()), "m": len(text), "c": len(data),
            "L": max((len(x.expandtabs(8)) for x in text.split("\n")), default=0)}


def _count_arg(p: Proc) -> tuple[list[str], str]:
    """head/tail's old form `-5` -> `-n 5`."""
    args = []
    for a in p.args:
        args += ["-n", a[1:]] if re.fullmatch(r"-\d+", a) else [a]
    return args, ""


def _headed(p: Proc, operands: list[str], failed: list[int]):
    """head's and tail's inputs one at a time, each just after its `==> NAME <==` header when
    there are several (a file that cannot be read is said, and appended to `failed`)."""
    sources = _inputs(p, operands)
    for i, (name, text) in enumerate(sources):
        if text is None:
            failed.append(i)
            continue
        if len(sources) > 1:
            p.out(("\n" if i else "") + f"==> {name} <==\n")
        yield text


def head(p: Proc) -> int:
    args, _ = _count_arg(p)
    p.args = args
    o = _opts(p, "n:c:qv")
    if o is None:
        return 1
    spec = o.value("n", "10") or "10"
    failed: list[int] = []
    for text in _headed(p, o.operands, failed):
        if o.has("c"):
            p.out(text[:int(o.value("c") or 0)])
            continue
        lines = text.splitlines(keepends=True)
        n = _number(spec)
        if n is None:
            return p.fail(f"invalid number '{spec}'")
        p.out("".join(lines[:n] if not spec.startswith("-") else lines[:max(len(lines) - n, 0)]))
    return 1 if failed else 0


def tail(p: Proc) -> int:
    args, _ = _count_arg(p)
    p.args = args
    o = _opts(p, "fFn:c:qv")
    if o is None:
        return 1
    spec = o.value("n", "10") or "10"
    failed: list[int] = []
    for text in _headed(p, o.operands, failed):
        if o.has("c"):
            c = o.value("c") or "0"
            data = text.encode("utf-8", "surrogateescape")
            n = _number(c) or 0
            chunk = data[n - 1:] if c.startswith("+") else data[-n:] if n else b""
            p.out(to_text(chunk))
            continue
        lines = text.splitlines(keepends=True)
        n = _number(spec)
        if n is None:
            return p.fail(f"invalid number '{spec}'")
        p.out("".join(lines[n - 1:] if spec.startswith("+") else lines[-n:] if n else []))
    if o.has("f") or o.has("F"):
        p.shell.wait_forever()  # (it follows the file for ever)
    return 1 if failed else 0


def _number(spec: str) -> int | None:
    s = spec.lstrip("+-")
    return int(s) if s.isdigit() else None


def sort(p: Proc) -> int:
    o = _opts(p, "nrufbk:t:s")
    if o is None:
        return 1
    lines: list[str] = []
    for _, text in _inputs(p, o.operands):
        lines += _lines(text or "")
    key = None
    if o.has("n"):
        def key(s: str) -> tuple[float, str]:
            m = re.match(r"\s*(-?\d+(?:\.\d+)?)", s)
            return (float(m.group(1)) if m else 0.0, s)
    elif o.has("f"):
        key = str.lower
    lines.sort(key=key, reverse=o.has("r"))
    if o.has("u"):
        lines = list(dict.fromkeys(lines))
    p.out("".join(x + "\n" for x in lines))
    return 0


def _ranges(spec: str) -> list[tuple[int, int]] | None:
    out = []
    for part in spec.split(","):
        a, dash, b = part.partition("-")
        if not (a or b) or (a and not a.isdigit()) or (b and not b.isdigit()):
            return None
        lo = int(a) if a else 1
        hi = int(b) if b else (10 ** 9 if dash else lo)
        out.append((lo, hi))
    return out


def cut(p: Proc) -> int:
    o = _opts(p, "b:c:d:f:ns")
    if o is None:
        return 1
    spec = o.value("f") or o.value("c") or o.value("b")
    if spec is None:
        return p.fail("expected a list of bytes, characters, or fields")
    ranges = _ranges(spec)
    if ranges is None:
        return p.fail(f"invalid range '{spec}'" if "-" in spec else f"invalid number '{spec}'")
    delim = o.value("d", "\t") or "\t"
    for _, text in _inputs(p, o.operands):
        for line in _lines(text or ""):
            if o.has("f"):
                if delim not in line:
                    if not o.has("s"):
                        p.out(line + "\n")
                    continue
                cols = line.split(delim)
                keep = [c for i, c in enumerate(cols, 1) if any(lo <= i <= hi for lo, hi in ranges)]
                p.out(delim.join(keep) + "\n")
            else:
                p.out("".join(c for i, c in enumerate(line, 1) if any(lo <= i <= hi for lo, hi in ranges)) + "\n")
    return 0


def awk(p: Proc) -> int:
    """awk's one-liners: `{print $N, $M}` (and NR, NF, $0), `-F SEP`, an optional `/re/`
    pattern. Anything beyond is refused plainly rather than answered wrongly."""
    o = _opts(p, "F:v:f:")
    if o is None or not o.operands:
        p.err("BusyBox v1.37.0 (2025-01-17 18:12:01 UTC) multi-call binary.\n\nUsage: awk [OPTIONS] [AWK_PROGRAM] "
              "[FILE]...\n")
        return 1
    program, files = o.operands[0], o.operands[1:]
    m = re.fullmatch(r"\s*(?:/((?:[^/\\]|\\.)*)/)?\s*(?:\{\s*print\s*(.*?)\s*;?\s*\})?\s*", program)
    if m is None or (m.group(1) is None and m.group(2) is None):
        return p.fail("svcflow's awk runs only `[/re/] {print $N, ...}` programs")
    pattern = re.compile(m.group(1)) if m.group(1) is not None else None
    items = [x.strip() for x in re.split(r",", m.group(2))] if m.group(2) else ["$0"]
    sep = o.value("F")
    nr = 0
    for _, text in _inputs(p, files):
        for line in _lines(text or ""):
            nr += 1
            if pattern is not None and not pattern.search(line):
                continue
            fields = line.split(sep if sep and sep != " " else None) if sep != "\t" else line.split("\t")
            out = []
            for item in items:
                if item == "$0" or item == "":
                    out.append(line)
                elif re.fullmatch(r"\$\d+", item):
                    k = int(item[1:])
                    out.append(line if k == 0 else fields[k - 1] if k <= len(fields) else "")
                elif item == "$NF":
                    out.append(fields[-1] if fields else "")
                elif item == "NF":
                    out.append(str(len(fields)))
                elif item == "NR":
                    out.append(str(nr))
                elif re.fullmatch(r'"[^"]*"', item):
                    out.append(item[1:-1])
                else:
                    return p.fail(f"svcflow's awk does not evaluate '{item}'")
            p.out(" ".join(out) + "\n")
    return 0


def tr(p: Proc) -> int:
    o = _opts(p, "dsc")
    if o is None or not o.operands:
        return p.fail("missing operand")
    src = _tr_set(o.operands[0])
    text = p.input()
    if o.has("d"):
        p.out("".join(c for c in text if c not in src))
        return 0
    if len(o.operands) < 2:
        return p.fail("missing operand")
    dst = _tr_set(o.operands[1])
    table = {ord(c): dst[min(i, len(dst) - 1)] for i, c in enumerate(src)} if dst else {}
    p.out(text.translate(table))
    return 0


def _tr_set(spec: str) -> str:
    classes = {"[:upper:]": "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "[:lower:]": "abcdefghijklmnopqrstuvwxyz",
               "[:digit:]": "0123456789", "[:space:]": " \t\n\r\f\v"}
    for k, v in classes.items():
        spec = spec.replace(k, v)
    spec = spec.replace("\\n", "\n").replace("\\t", "\t")
    return re.sub(r"(.)-(.)", lambda m: "".join(chr(c) for c in range(ord(m.group(1)), ord(m.group(2)) + 1)), spec)


def uniq(p: Proc) -> int:
    o = _opts(p, "cdu")
    if o is None:
        return 1
    runs: list[list] = []
    for _, text in _inputs(p, o.operands[:1]):
        for line in _lines(text or ""):
            if runs and runs[-1][0] == line:
                runs[-1][1] += 1
            else:
                runs.append([line, 1])
    for line, n in runs:
        if (o.has("d") and n < 2) or (o.has("u") and n > 1):
            continue
        p.out(f"{n:7d} {line}\n" if o.has("c") else line + "\n")
    return 0


APPLETS: dict[str, Applet] = {"grep": grep, "wc": wc, "head": head, "tail": tail, "sort": sort, "cut": cut,
                              "awk": awk, "tr": tr, "uniq": uniq}
