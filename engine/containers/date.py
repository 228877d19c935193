"""`date`: the cluster's clock as the container reads it (the container's zone is UTC: the
images set no TZ), in busybox's words (Alpine, busybox) or coreutils' (Debian).

Both print `%a %b %e %H:%M:%S %Z %Y` by default (`Sun Jun  1 10:00:00 UTC 2025`); `-u` is
the same here; `+FORMAT` is strftime's, with `%N` (nanoseconds) and `%s` (epoch seconds);
`-R` is RFC 2822 and `-I[SPEC]` ISO 8601 (busybox coreutils/date.c). `-d TIME` shows TIME
instead of now, read as each date reads it (`engine.containers.datespec`). Setting the time is
not allowed in a container (`-s TIME`: no CAP_SYS_TIME): both say so and show TIME, busybox
going on as if nothing were wrong (its bb_simple_perror_msg does not exit), coreutils failing."""
from __future__ import annotations

import re
from datetime import datetime

from engine.containers.datespec import busybox_time, gnu_time
from engine.containers.proc import Proc

DEFAULT_FORMAT = "%a %b %e %H:%M:%S %Z %Y"
_ISO = {"date": 0, "hours": 1, "minutes": 2, "seconds": 3, "ns": 4}


def format_time(t: datetime, fmt: str) -> str:
    """strftime with date's own `%N` and `%s`."""
    def one(m: re.Match) -> str:
        code = m.group(1)
        if code == "%":
            return "%"
        if code == "N":
            return f"{t.microsecond * 1000:09d}"
        if code == "s":
            return str(int(t.timestamp()))
        return t.strftime("%" + code)
    return re.sub(r"%([%a-zA-Z])", one, fmt)


def date(p: Proc) -> int:
    debian = p.shell.distro == "debian"
    now = p.shell.now()
    fmt: str | None = None
    iso: int | None = None
    when: str | None = None  # -d / -s TIME
    setting = False
    args = list(p.args)
    while args:
        a = args.pop(0)
        if a in ("-d", "--date", "-s", "--set") or a.startswith(("-d", "--date=", "-s", "--set=")):
            setting = a.startswith(("-s", "--set"))
            if a in ("-d", "--date", "-s", "--set"):
                if not args:
                    return _missing_argument(p, a, debian)
                when = args.pop(0)
            else:
                when = a.partition("=")[2] if a.startswith("--") else a[2:]
        elif a.startswith("+"):
            fmt = a[1:]
        elif a in ("-u", "--utc", "--universal"):
            continue
        elif a in ("-R", "--rfc-2822", "--rfc-email"):
            fmt = "%a, %d %b %Y %H:%M:%S %z"
        elif a.startswith("-I") or a.startswith("--iso-8601"):
            spec = a[2:] if a.startswith("-I") else a.partition("=")[2]
            if spec and spec not in _ISO:
                return p.fail(f"invalid argument '{spec}' for '--iso-8601'" if debian else f"invalid date '{spec}'")
            iso = _ISO.get(spec or "date", 0)
        elif a.startswith("-") and a != "-":
            if debian:
                p.err(f"date: invalid option -- '{a[1:2]}'\nTry 'date --help' for more information.\n")
                return 1
            p.err(f"date: unrecognized option: {a[1:2]}\n" + USAGE)
            return 1
        else:
            return p.fail(f"invalid date '{a}'")
    status = 0
    if when is not None:
        shown = (gnu_time if debian else busybox_time)(when, now)
        if shown is None:
            return p.fail(f"invalid date '{when}'")
        now = shown
        if setting:  # (no CAP_SYS_TIME in a container)
            p.err("date: cannot set date: Operation not permitted\n" if debian
                  else "date: can't set date: Operation not permitted\n")
            status = 1 if debian else 0
    if iso is not None:
        fmt = "%Y-%m-%dT%H:%M:%S"[:8 + 3 * iso] if iso else "%Y-%m-%d"
        if iso == 4:
            fmt = "%Y-%m-%dT%H:%M:%S,%N"
        if iso:
            fmt += "+00:00"
    p.out(format_time(now, fmt if fmt is not None else DEFAULT_FORMAT) + "\n")
    return status


def _missing_argument(p: Proc, option: str, debian: bool) -> int:
    """`date -d` with no TIME, as getopt says it (glibc's for coreutils, musl's for busybox)."""
    if debian:
        p.err((f"date: option '{option}' requires an argument\n" if option.startswith("--")
               else f"date: option requires an argument -- '{option[1]}'\n") + "Try 'date --help' for more information.\n")
    else:
        p.err(f"date: option requires an argument: {option.lstrip('-')}\n" + USAGE)
    return 1


USAGE = ("BusyBox v1.37.0 (2025-01-17 18:12:01 UTC) multi-call binary.\n\n"
         "Usage: date [OPTIONS] [+FMT] [[-s] TIME]\n\n"
         "Display time (using +FMT), or set time\n\n"
         "\t-u\t\tWork in UTC (don't convert to local time)\n"
         "\t[-s] TIME\tSet time to TIME\n"
         "\t-d TIME\t\tDisplay TIME, not 'now'\n"
         "\t-D FMT\t\tFMT (strptime format) for -s/-d TIME conversion\n"
         "\t-r FILE\t\tDisplay last modification time of FILE\n"
         "\t-R\t\tOutput RFC-2822 date\n"
         "\t-I[SPEC]\tOutput ISO-8601 date\n"
         "\t\t\tSPEC=date (default), hours, minutes, seconds or ns\n\n"
         "Recognized TIME formats:\n"
         "\t@seconds_since_1970\n"
         "\thh:mm[:ss]\n"
         "\t[YYYY.]MM.DD-hh:mm[:ss]\n"
         "\tYYYY-MM-DD hh:mm[:ss]\n"
         "\t[[[[[YY]YY]MM]DD]hh]mm[.ss]\n"
         "\t'date TIME' form accepts MMDDhhmm[[YY]YY][.ss] instead\n")
