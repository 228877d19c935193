"""kubectl's flags as pflag parses them, and what a command wrote.

`Output` is what every svcflow kubectl command returns (stdout, stderr, exit code and the
API's warnings); `parse_flags` is pflag's parseArgs with its messages, over FLAGS (the flags
of the commands in engine.kubectl.commands) or a command's own table; `dry_run_strategy`
is cmdutil.GetDryRunStrategy.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime

from engine.api.gostrconv import NumError, go_parse_bool, go_parse_int, go_quote, go_quote_rune
from engine.kubectl.flagvalues import CSVError, read_as_csv


@dataclass
class Output:
    """What a kubectl command wrote, and its exit code."""

    stdout: str = ""
    stderr: str = ""
    code: int = 0
    warnings: str = ""  # printed before stdout, as the API response's Warning headers are
    objects: list[dict] = field(default_factory=list)


# ---------------------------------------------------------------------------------------
# Flags, parsed as pflag parses them (kubectl's flag library), with its messages
# ---------------------------------------------------------------------------------------

class UsageError(Exception):
    """A flag parse error: kubectl's FlagErrorFunc adds `See 'kubectl VERB --help' for usage.`"""


# name -> (shorthand, type); type is "str", "bool", "int" (Go int: 64-bit) or "strings" (a
# StringSlice: each value read as CSV, the values of repeated flags added up)
FLAGS: dict[str, tuple[str, str]] = {
    "namespace": ("n", "str"), "all-namespaces": ("A", "bool"), "output": ("o", "str"),
    "selector": ("l", "str"), "replicas": ("", "int"), "current-replicas": ("", "int"),
    "image": ("", "str"), "overwrite": ("", "bool"), "all": ("", "bool"),
    "ignore-daemonsets": ("", "bool"), "force": ("", "bool"), "delete-emptydir-data": ("", "bool"),
    "grace-period": ("", "int"), "container": ("c", "str"), "recursive": ("R", "bool"),
    "filename": ("f", "str"), "show-labels": ("", "bool"), "now": ("", "bool"), "wait": ("", "bool"),
    "ignore-not-found": ("", "bool"), "no-headers": ("", "bool"), "stdin": ("i", "bool"),
    "tty": ("t", "bool"), "timeout": ("", "str"), "field-selector": ("", "str"), "list": ("", "bool"),
    "resource-version": ("", "str"), "port": ("", "str"), "restart": ("", "str"), "labels": ("", "str"),
    "record": ("", "bool"), "revision": ("", "int"), "to-revision": ("", "int"), "dry-run": ("", "str"), "sort-by": ("", "str"), "watch": ("w", "bool"),
    "quiet": ("q", "bool"), "validate": ("", "str"), "prune": ("", "bool"), "api-version": ("", "str"),
    "tail": ("", "int"), "timestamps": ("", "bool"), "previous": ("p", "bool"),
    "label-columns": ("L", "strings"), "cascade": ("", "str"), "rm": ("", "bool"), "command": ("", "bool"),
    "image-pull-policy": ("", "str"),
}
#: Flags only some verbs have: the others refuse them as pflag refuses a flag it does not know
#: (`kubectl describe -L app`: unknown shorthand flag: 'L' in -L).
_GET_ONLY = frozenset({"get"})
ONLY_FOR_VERBS: dict[str, frozenset[str]] = {
    "label-columns": _GET_ONLY, "show-labels": _GET_ONLY, "sort-by": _GET_ONLY, "no-headers": _GET_ONLY,
    # (describe, drain, cordon, uncordon, logs and exec print no object: they have no -o)
    "output": frozenset({"get", "explain", "delete", "scale", "label", "rollout", "create", "run"}),
    "revision": frozenset({"rollout"}), "to-revision": frozenset({"rollout"}),
    "cascade": frozenset({"delete"}), "rm": frozenset({"run"}), "command": frozenset({"run"}),
    "image-pull-policy": frozenset({"run"}),
}
NO_OPT_DEFAULT = {"dry-run": "unchanged", "validate": "strict", "cascade": "background"}



def dry_run_strategy(value: str | None, now: datetime) -> tuple[str, str]:
    """cmdutil.GetDryRunStrategy: the `--dry-run` flag's strategy ("none", "client" or
    "server") and the warning kubectl logs (klog, on stderr) for the deprecated forms: a
    bare `--dry-run` and a boolean. ValueError carries kubectl's message for anything else."""
    if value is None:
        return "none", ""
    try:
        b = go_parse_bool(value)
    except NumError:
        b = None
    if b is None:
        if value == NO_OPT_DEFAULT["dry-run"]:
            return "client", _klog_warning(now, 703, "--dry-run is deprecated and can be replaced with "
                                                     "--dry-run=client.")
        if value in ("client", "server", "none"):
            return value, ""
        raise ValueError(f'Invalid dry-run value ({value}). Must be "none", "server", or "client".')
    return ("client" if b else "none"), _klog_warning(
        now, 717 if b else 720,
        f"--dry-run={value} is deprecated (boolean value) and can be replaced with --dry-run={'client' if b else 'none'}.")


def _klog_warning(now: datetime, line: int, msg: str) -> str:
    """A klog warning line as kubectl writes it: `Wmmdd hh:mm:ss.uuuuuu PID file:line] msg`."""
    return f"W{now:%m%d %H:%M:%S.%f} {os.getpid():>7} helpers.go:{line}] {msg}\n"


def invalid_argument(name: str, value: str, problem: Exception, table: dict[str, tuple[str, str]] | None = None) -> str:
    """pflag's words for a value its flag's type refuses (kubectl adds `error: ` and the usage line)."""
    table = FLAGS if table is None else table
    short = table[name][0] if name in table else ""
    flag_name = f"-{short}, --{name}" if short else f"--{name}"
    return f"invalid argument {go_quote(value)} for {go_quote(flag_name)} flag: {problem}"


def _set_flag(opts: dict, name: str, value: str, table: dict[str, tuple[str, str]]) -> None:
    typ = table[name][1]
    if typ in ("int", "int32", "bool"):
        try:
            opts[name] = (go_parse_bool(value) if typ == "bool" else
                          go_parse_int(value, bits=32 if typ == "int32" else 64))
        except NumError as e:
            raise UsageError(invalid_argument(name, value, e, table)) from None
    elif typ == "strings":
        try:
            opts.setdefault(name, []).extend(read_as_csv(value))
        except CSVError as e:
            raise UsageError(invalid_argument(name, value, e, table)) from None
    elif typ == "array":  # (a StringArray: each value whole, commas and all)
        opts.setdefault(name, []).append(value)
    else:
        opts[name] = value


def parse_flags(args: list[str], verb: str | None = None, table: dict[str, tuple[str, str]] | None = None,
                ) -> tuple[dict, list[str]]:
    """pflag's parseArgs: `--name=v`, `--name v`, `-n v`, `-nv`, `-Ao wide`, `--`; unknown
    flags and missing values fail with pflag's own words. With `verb`, a flag of
    ONLY_FOR_VERBS that verb lacks is unknown too. `table`: a command's own flags
    (name -> (shorthand, type)) instead of FLAGS, for a command whose flags share names
    with others' but not their shorthands or types (`expose -l` is --labels)."""
    own = table is not None
    table = FLAGS if table is None else table
    by_short = {s: n for n, (s, _) in table.items() if s}

    def known(name: str) -> bool:
        return name in table and (own or verb is None or verb in ONLY_FOR_VERBS.get(name, (verb,)))

    opts: dict = {}
    pos: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        i += 1
        if a == "--":
            pos.extend(args[i:])
            break
        if a.startswith("--") and len(a) > 2:
            name, eq, value = a[2:].partition("=")
            if not known(name):
                raise UsageError(f"unknown flag: --{name}")
            typ = table[name][1]
            if eq:
                _set_flag(opts, name, value, table)
            elif typ == "bool":
                opts[name] = True
            elif name in NO_OPT_DEFAULT:
                opts[name] = NO_OPT_DEFAULT[name]
            elif i < len(args):
                _set_flag(opts, name, args[i], table)
                i += 1
            else:
                raise UsageError(f"flag needs an argument: --{name}")
        elif a.startswith("-") and len(a) > 1:
            shorts = a[1:]
            j = 0
            while j < len(shorts):
                c = shorts[j]
                if c not in by_short or not known(by_short[c]):
                    raise UsageError(f"unknown shorthand flag: {go_quote_rune(c)} in -{shorts[j:]}")
                name = by_short[c]
                rest = shorts[j + 1:]
                if table[name][1] == "bool":
                    if rest.startswith("="):
                        _set_flag(opts, name, rest[1:], table)
                        break
                    opts[name] = True
                    j += 1
                    continue
                if rest:
                    _set_flag(opts, name, rest[1:] if rest.startswith("=") else rest, table)
                elif i < len(args):
                    _set_flag(opts, name, args[i], table)
                    i += 1
                else:
                    raise UsageError(f"flag needs an argument: {go_quote_rune(c)} in -{shorts[j:]}")
                break
        else:
            pos.append(a)
    return opts, pos


def usage_error(verb: str, msg: str) -> Output:
    return Output(stderr=f"error: {msg}\nSee 'kubectl {verb} --help' for usage.\n", code=1)
