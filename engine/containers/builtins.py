"""The commands ash (and dash) run themselves, with no program behind them: exit, cd,
export, unset, true, false, `:`, echo, printf, pwd, test / `[`, type, command -v. They
exist in every image, even one whose programs are few."""
from __future__ import annotations

import fnmatch
import re

from engine.containers.proc import Applet, Proc, ShellExit


def exit_(p: Proc) -> int:
    if not p.args:
        raise ShellExit(p.shell.status)
    if not re.fullmatch(r"-?\d+", p.args[0]):
        p.err(p.shell.error_prefix() + (f"exit: {p.args[0]}: numeric argument required\n" if p.shell.dialect == "bash"
                                        else f"exit: Illegal number: {p.args[0]}\n"))
        raise ShellExit(2)
    raise ShellExit(int(p.args[0]) & 0xFF)


def exec_(p: Proc) -> int:
    """`exec PROGRAM ARGS`: the shell becomes PROGRAM (its PID, what `ps` shows as it); when
    the program ends, so does the shell, with its status (`exec sleep infinity` never does)."""
    if not p.args:
        return 0
    program = Proc(p.shell, p.args[0].rsplit("/", 1)[-1], p.args[1:], p.stdin, p.env, p.pieces, p.tty)
    raise ShellExit(p.shell.call(program, p.args[0], replace=True))


def cd(p: Proc) -> int:
    target = p.args[0] if p.args else "/root"
    path = p.shell.path(target)
    if not p.shell.files.is_dir(path):
        if p.shell.dialect == "bash":
            p.err(f"{p.shell.error_prefix()}cd: {target}: No such file or directory\n")
            return 1
        p.err(f"sh: cd: can't cd to {target}: No such file or directory\n" if p.shell.distro != "debian"
              else f"{p.shell.error_prefix()}cd: can't cd to {target}\n")
        return 2 if p.shell.distro == "debian" else 1
    p.shell.cwd = path
    return 0


def export(p: Proc) -> int:
    for a in p.args:
        name, eq, value = a.partition("=")
        if eq:
            p.shell.variables[name] = value
        p.shell.exported.add(name)
    return 0


def unset(p: Proc) -> int:
    for a in p.args:
        p.shell.variables.pop(a, None)
        p.shell.unset.add(a)
    return 0


def true(p: Proc) -> int:
    return 0


def false(p: Proc) -> int:
    return 1


def _escapes(s: str) -> tuple[str, bool]:
    """echo -e / printf escapes; True when `\\c` stops the output."""
    stop = "\\c" in s
    s = s.split("\\c", 1)[0]
    table = {"n": "\n", "t": "\t", "\\": "\\", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v", "e": "\x1b"}
    s = re.sub(r"\\0([0-7]{0,3})", lambda m: chr(int(m.group(1) or "0", 8)), s)
    return re.sub(r"\\(.)", lambda m: table.get(m.group(1), "\\" + m.group(1)), s), stop


def echo(p: Proc) -> int:
    args = list(p.args)
    newline, escapes = True, p.shell.dialect == "dash"  # dash's echo always reads escapes; bash's with -e
    flags_re = r"-n" if p.shell.dialect == "dash" else r"-[neE]+"  # (dash's echo knows -n alone: `-e` is printed)
    while args and re.fullmatch(flags_re, args[0]):
        flags = args.pop(0)
        newline = newline and "n" not in flags
        escapes = (escapes or "e" in flags) and "E" not in flags
    text = " ".join(args)
    if escapes:
        text, stop = _escapes(text)
        if stop:
            newline = False
    p.out(text + ("\n" if newline else ""))
    return 0


def printf(p: Proc) -> int:
    if not p.args:
        p.err("printf: usage: printf format [arguments]\n" if p.shell.distro == "debian"
              else "BusyBox v1.37.0 (2025-01-17 18:12:01 UTC) multi-call binary.\n\nUsage: printf FORMAT [ARG]...\n")
        return 2 if p.shell.distro == "debian" else 1
    fmt, args = p.args[0], list(p.args[1:])
    fmt, _ = _escapes(fmt)
    out: list[str] = []
    while True:
        used = 0

        def conv(m: re.Match) -> str:
            nonlocal used
            if m.group(0) == "%%":
                return "%"
            arg = args[used] if used < len(args) else ""
            used += 1
            spec = m.group(0)
            if spec[-1] in "di":
                try:
                    return (spec[:-1] + "d") % int(arg or 0)
                except ValueError:
                    return "0"
            return (spec[:-1] + "s") % arg
        out.append(re.sub(r"%%|%[-+ 0#]*\d*(?:\.\d+)?[sdib]", conv, fmt))
        args = args[used:]
        if not args or not used:
            break
    p.out("".join(out))
    return 0


def pwd(p: Proc) -> int:
    p.out(p.shell.cwd + "\n")
    return 0


def test(p: Proc) -> int:
    args = list(p.args)
    if p.name == "[":
        if not args or args[-1] != "]":
            p.err(f"{p.shell.error_prefix()}[: missing ]\n")
            return 2
        args = args[:-1]
    try:
        return 0 if _test(p, args) else 1
    except ValueError as e:
        p.err(f"sh: {p.name}: {e}\n")
        return 2


def _test(p: Proc, args: list[str]) -> bool:
    if not args:
        return False
    if args[0] == "!":
        return not _test(p, args[1:])
    if len(args) == 1:
        return args[0] != ""
    if len(args) == 2:
        op, arg = args
        files = p.shell.files
        path = p.shell.path(arg)
        checks = {"-n": lambda: arg != "", "-z": lambda: arg == "", "-d": lambda: files.is_dir(path),
                  "-e": lambda: files.exists(path), "-f": lambda: not files.is_dir(path) and files.read(path) is not None,
                  "-r": lambda: files.exists(path), "-w": lambda: files.exists(path),
                  "-s": lambda: bool(files.read(path)) or files.is_dir(path),
                  "-x": lambda: files.is_dir(path) or path.rsplit("/", 1)[-1] in p.shell.programs()}
        if op not in checks:
            raise ValueError(f"{op}: unknown operand")
        return checks[op]()
    if len(args) == 3:
        a, op, b = args
        if op in ("=", "=="):
            return a == b
        if op == "!=":
            return a != b
        nums = {"-eq": int.__eq__, "-ne": int.__ne__, "-lt": int.__lt__, "-gt": int.__gt__, "-le": int.__le__,
                "-ge": int.__ge__}
        if op in nums:
            for x in (a, b):
                if not re.fullmatch(r"\s*-?\d+\s*", x):
                    raise ValueError(f"{x}: bad number")
            return nums[op](int(a), int(b))
        raise ValueError(f"{op}: unknown operand")
    raise ValueError("syntax error")


#: bash's reserved words (`type if`: "if is a shell keyword")
KEYWORDS = frozenset({"if", "then", "else", "elif", "fi", "case", "esac", "for", "select", "while", "until", "do",
                      "done", "in", "function", "time", "{", "}", "!", "[[", "]]", "coproc"})


def type_(p: Proc) -> int:
    if p.shell.dialect == "bash":
        return _bash_type(p)
    status = 0
    for name in p.args:
        if name in BUILTINS:
            p.out(f"{name} is a shell builtin\n")
        elif p.shell.has(name):
            p.out(f"{name} is {p.shell.which(name)}\n")
        else:
            p.out(f"{name}: not found\n")
            status = 127
    return status


def _bash_type(p: Proc) -> int:
    """bash's `type`: keywords, builtins, programs by their path; `bash: type: X: not found`."""
    status = 0
    for name in p.args:
        if name in KEYWORDS:
            p.out(f"{name} is a shell keyword\n")
        elif name in BUILTINS:
            p.out(f"{name} is a shell builtin\n")
        elif p.shell.has(name):
            p.out(f"{name} is {p.shell.which(name)}\n")
        else:
            p.err(f"{p.shell.error_prefix()}type: {name}: not found\n")
            status = 1
    return status


def double_bracket(p: Proc) -> int:
    """bash's `[[ EXPR ]]` (busybox ash has it too; in Debian's sh, `[[: not found`): test's
    operators, `==` / `!=` matching a glob pattern, `=~` a regular expression, `&&` / `||`."""
    if p.shell.dialect == "dash":
        p.err(f"{p.shell.error_prefix()}[[: not found\n")
        return 127
    args = list(p.args)
    if not args or args[-1] != "]]":
        p.err("bash: syntax error in conditional expression\n" if p.shell.dialect == "bash" else "sh: [[: missing ]]\n")
        return 2
    try:
        return 0 if _conditional(p, args[:-1]) else 1
    except ValueError:
        p.err("bash: syntax error in conditional expression\n")
        return 2


def _conditional(p: Proc, args: list[str]) -> bool:
    for op in ("||", "&&"):  # (`||` binds loosest)
        if op in args:
            i = args.index(op)
            if op == "||":
                return _conditional(p, args[:i]) or _conditional(p, args[i + 1:])
            return _conditional(p, args[:i]) and _conditional(p, args[i + 1:])
    if args[:1] == ["!"]:
        return not _conditional(p, args[1:])
    if len(args) == 3 and args[1] in ("==", "=", "!="):
        matched = fnmatch.fnmatchcase(args[0], args[2])
        return matched if args[1] != "!=" else not matched
    if len(args) == 3 and args[1] == "=~":
        return re.search(args[2], args[0]) is not None
    if len(args) == 3 and args[1] in ("<", ">"):
        return args[0] < args[2] if args[1] == "<" else args[0] > args[2]
    return _test(p, args)


def command(p: Proc) -> int:
    """`command -v NAME`: where NAME comes from (nothing, status 1, when nowhere)."""
    if not p.args or p.args[0] not in ("-v", "-V"):
        return 0
    status = 0
    for name in p.args[1:]:
        if name in BUILTINS:
            p.out(name + "\n")
        elif p.shell.has(name):
            p.out(p.shell.which(name) + "\n")
        else:
            status = 1
    return status


BUILTINS: dict[str, Applet] = {
    "exit": exit_, "exec": exec_, "cd": cd, "export": export, "unset": unset, "true": true, "false": false, ":": true,
    "echo": echo, "printf": printf, "pwd": pwd, "test": test, "[": test, "type": type_, "command": command,
    "[[": double_bracket,
}
