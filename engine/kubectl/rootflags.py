"""kubectl's root (cobra persistent) flags typed before the command: `kubectl -n other get po`.

cobra parses them with the command's own flags, so they may come first; one that ends the
line without its value is pflag's error, reported against the root command (`See 'kubectl
--help'`), and a line of root flags alone names no command (kubectl prints its help).
"""
from __future__ import annotations

from engine.api.gostrconv import go_quote_rune

#: kubectl's global (cobra persistent) flags that take a value, as `-n other` or `-n=other`.
GLOBAL_VALUE_FLAGS = frozenset({
    "-n", "--namespace", "--context", "--kubeconfig", "--cluster", "--user", "-s", "--server", "--token", "--as",
    "--as-group", "--as-uid", "--request-timeout", "-v", "--v", "--cache-dir", "--certificate-authority",
    "--client-certificate", "--client-key", "--tls-server-name", "--username", "--password", "--profile",
    "--profile-output", "--log-file", "--vmodule"})


def _leading(argv: list[str]) -> int:
    """How many words the leading root flags (and their values) take."""
    i = 0
    while i < len(argv) and argv[i].startswith("-") and argv[i] != "--":
        i += 2 if argv[i] in GLOBAL_VALUE_FLAGS else 1
    return min(i, len(argv))


def _needs_argument(flag: str) -> str:
    return f"--{flag[2:]}" if flag.startswith("--") else f"{go_quote_rune(flag[1])} in {flag}"


def trailing_error(argv: list[str]) -> str | None:
    """kubectl's stderr when a command's line (`exec POD -n`, `apply -f x -n`) ends with a root
    flag that takes a value, as pflag reports it against that command, or None. (Words after
    `--` are the container command's, not flags.)"""
    words = argv[:argv.index("--")] if "--" in argv else argv
    if len(words) >= 2 and words[-1] in GLOBAL_VALUE_FLAGS:
        return f"error: flag needs an argument: {_needs_argument(words[-1])}\nSee 'kubectl {argv[0]} --help' for usage.\n"
    return None


def usage_error(argv: list[str]) -> str | None:
    """kubectl's stderr for a leading root flag left without its value (`kubectl -n`), as
    pflag words it (`'n' in -n` for a shorthand), or None."""
    i = 0
    while i < len(argv) and argv[i].startswith("-") and argv[i] != "--":
        flag = argv[i]
        if flag in GLOBAL_VALUE_FLAGS:
            if i + 1 >= len(argv):
                return f"error: flag needs an argument: {_needs_argument(flag)}\nSee 'kubectl --help' for usage.\n"
            i += 2
        else:
            i += 1
    return None


def no_command(argv: list[str]) -> bool:
    """The line names no command (nothing, or root flags alone: `kubectl -n other`)."""
    return _leading(argv) >= len(argv)


def global_flags_after_verb(argv: list[str]) -> list[str]:
    """`kubectl -n other get po` as cobra reads it: persistent flags typed before the
    command belong to it, so they move after the command's words (before a `--`, which
    ends an exec's flags)."""
    i = _leading(argv)
    if i == 0 or i >= len(argv):
        return argv
    rest = argv[i:]
    cut = rest.index("--") if "--" in rest else len(rest)
    if cut > 1 and rest[cut - 1] in GLOBAL_VALUE_FLAGS:
        cut -= 1  # (a flag left without its value stays last: pflag's error is about it)
    return rest[:cut] + argv[:i] + rest[cut:]
