"""kubectl's warning for a short name two served resources share: `kubectl get ev` on a kind
cluster prints `Warning: short name "ev" could also match lower priority resource
events.events.k8s.io` (client-go `restmapper/shortcut.go expandResourceShortcut`), because
kube-apiserver gives the events.k8s.io/v1 Events the core Events' short name. The served API
lists both (engine.api.apionly), so svcflow's own kubectl warns as the real one does.

The expander takes the first resource in discovery order (the core group first) and warns
once for each other group/resource the short name also names; a word that is some resource's
full name, or names a group (`ev.events.k8s.io`), is not a short name to expand.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from engine.api import kinds
from engine.api.apionly import API_ONLY
from engine.api.kinds import KindInfo


def _served() -> list[KindInfo]:
    """Every served resource, the registry's first (discovery puts the core group first, and
    no API-only resource outranks a registry one sharing its short name)."""
    return [*kinds.KINDS.values(), *API_ONLY]


def warnings_for(words: Iterable[str]) -> str:
    """The `Warning: ...` lines kubectl prints while resolving `words` (resource words as
    typed: `ev`, `svc,ev`, `ev/NAME`), each distinct line once (kubectl deduplicates them)."""
    served = _served()
    names = {i.resource for i in served} | {i.singular for i in served}
    lines: dict[str, None] = {}
    for arg in words:
        for word in arg.split(","):
            word = word.split("/", 1)[0]
            if not word or "." in word or word in names:
                continue
            matches = list(dict.fromkeys((i.resource, i.group) for i in served if word in i.short_names))
            for resource, group in matches[1:]:
                lines[f'Warning: short name "{word}" could also match lower priority resource '
                      f'{resource}.{group}\n'] = None
    return "".join(lines)


def warns(command: Callable[..., Any]) -> Callable[..., Any]:
    """A command whose `args` (its first list argument: `get ev`, `describe ev/NAME`, `explain
    ev.note`) name resources as kubectl's resource builder reads them: its Output carries the
    warnings the shortcut expander prints while resolving them, first."""
    @functools.wraps(command)
    def run(*a: Any, **kw: Any) -> Any:
        out = command(*a, **kw)
        args = next((x for x in a if isinstance(x, list)), [])
        if args:
            words = args if "/" in args[0] else [args[0].split(".")[0] if command.__name__ == "explain" else args[0]]
            out.warnings = warnings_for(words) + out.warnings
        return out
    return run
