"""Reading untyped manifest values the way the Go decoder would have typed them, and IntOrString.

Validation runs over plain dicts, so a field may hold anything: these helpers read it as
its Go type would (a non-string is "", a non-dict is {}) so each validator stays a straight
port of its upstream function.
"""
from __future__ import annotations

from typing import Any

from engine.api.validation.errors import FieldError, GoLiteral, invalid
from engine.api.validation.names import is_valid_port_name, is_valid_port_num

# --------------------------------------------------------------------------------------------
# Small helpers over untyped manifest data
# --------------------------------------------------------------------------------------------


def is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def as_str(v: Any) -> str:
    """Coerce a scalar the way our defaulting needs; non-strings become ''."""
    return v if isinstance(v, str) else ""


def as_dict(v: Any) -> dict:
    return v if isinstance(v, dict) else {}


def as_list(v: Any) -> list:
    return v if isinstance(v, list) else []


def as_str_map(v: Any) -> dict[str, str] | None:
    """A map[string]string (labels, selector); None when absent."""
    if not isinstance(v, dict):
        return None
    return {str(k): ("" if x is None else x if isinstance(x, str) else str(x)) for k, x in v.items()}


# --------------------------------------------------------------------------------------------
# IntOrString
# --------------------------------------------------------------------------------------------


def intstr_repr(v: Any) -> GoLiteral:
    """IntOrString has a pointer-receiver String(): errors print it bare (``25%``, ``0``)."""
    return GoLiteral(str(v) if is_int(v) else as_str(v))


def validate_port_num_or_name(v: Any, path: str) -> list[FieldError]:
    """ValidatePortNumOrName (targetPort, probe ports)."""
    if is_int(v):
        return [invalid(path, v, m) for m in is_valid_port_num(v)]
    if isinstance(v, str):
        return [invalid(path, v, m) for m in is_valid_port_name(v)]
    return []
