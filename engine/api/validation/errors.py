"""apimachinery's field.Error and how a bad value is printed in it.

Every refusal svcflow reports is a list of these causes; ``str(err)`` is the line kubectl
prints after ``* ``. Bad values render as kube-apiserver v1.31-v1.33 renders them: simple
types with ``%v`` (strings ``%q``), composites with Go's ``%#v`` (``map[string]string{...}``).
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, Sequence

from engine.api.gostrconv import go_float, go_quote

# --------------------------------------------------------------------------------------------
# Go value rendering
# --------------------------------------------------------------------------------------------


class GoLiteral(str):
    """A value already rendered in Go syntax (``core.ServicePort{...}``); printed verbatim."""


def _go_sharp(v: Any) -> str:
    """Go ``%#v`` for the plain data types svcflow handles (used inside composite values)."""
    if isinstance(v, GoLiteral):
        return str(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return go_float(v)
    if isinstance(v, str):
        return go_quote(v)
    if v is None:
        return "interface {}(nil)"
    if isinstance(v, dict):
        if all(isinstance(k, str) and isinstance(x, str) for k, x in v.items()):
            inner = ", ".join(f"{go_quote(k)}:{go_quote(v[k])}" for k in sorted(v))
            return "map[string]string{" + inner + "}"
        inner = ", ".join(f"{go_quote(str(k))}:{_go_sharp(v[k])}" for k in sorted(v, key=str))
        return "map[string]interface {}{" + inner + "}"
    if isinstance(v, (list, tuple)):
        if all(isinstance(x, str) for x in v):
            return "[]string{" + ", ".join(go_quote(x) for x in v) + "}"
        return "[]interface {}{" + ", ".join(_go_sharp(x) for x in v) + "}"
    return go_quote(str(v))


def go_value(v: Any) -> str:
    """Render a bad value as ``field.Error.ErrorBody`` does (v1.31-v1.33).

    Simple types print with ``%v`` (ints bare), strings with ``%q``, everything else with
    ``%#v``: ``map[string]string{"app":"x"}``, ``[]string{"10.96.0.10"}``.  A nil map (no labels
    at all) is passed as ``GoLiteral("map[string]string(nil)")`` by the callers that need it.
    """
    if v is None:
        return "null"
    if isinstance(v, GoLiteral):
        return str(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return go_float(v)
    if isinstance(v, str):
        return go_quote(v)
    return _go_sharp(v)


# --------------------------------------------------------------------------------------------
# field.Error
# --------------------------------------------------------------------------------------------


class ErrorType(str, Enum):
    """field.ErrorType, valued by its canonical text (``ErrorType.String()``)."""

    Required = "Required value"
    Invalid = "Invalid value"
    Duplicate = "Duplicate value"
    Unsupported = "Unsupported value"
    Forbidden = "Forbidden"
    TooLong = "Too long"
    TooMany = "Too many"
    NotFound = "Not found"
    Internal = "Internal error"

    @property
    def cause_type(self) -> str:
        """The ``metav1.CauseType`` string (``FieldValueInvalid``...), for API-style status output."""
        return {
            "Required": "FieldValueRequired",
            "Invalid": "FieldValueInvalid",
            "Duplicate": "FieldValueDuplicate",
            "Unsupported": "FieldValueNotSupported",
            "Forbidden": "FieldValueForbidden",
            "TooLong": "FieldValueTooLong",
            "TooMany": "FieldValueTooMany",
            "NotFound": "FieldValueNotFound",
            "Internal": "InternalError",
        }[self.name]


_OMIT = object()


@dataclass(frozen=True)
class FieldError:
    """One cause of an ``Invalid`` API error (apimachinery ``field.Error``).

    ``str(err)`` is ``"<field>: <body>"`` exactly as kubectl prints it after ``* ``.
    ``value`` holds the Python value; it is rendered Go-style only when printed, so the engine
    can still inspect it.  ``allocation`` marks REST-layer allocation errors (reported alone).
    """

    type: ErrorType
    field: str
    value: Any = None
    detail: str = ""
    allocation: bool = False

    @property
    def body(self) -> str:
        """``ErrorBody()``: the message without the field path."""
        t = self.type
        if t in (ErrorType.Required, ErrorType.Forbidden, ErrorType.TooLong, ErrorType.Internal) or self.value is _OMIT:
            s = t.value
        else:
            s = f"{t.value}: {go_value(self.value)}"
        if self.detail:
            s += f": {self.detail}"
        return s

    def __str__(self) -> str:
        return f"{self.field}: {self.body}"


def required(path: str, detail: str = "") -> FieldError:
    return FieldError(ErrorType.Required, path, "", detail)


def invalid(path: str, value: Any, detail: str) -> FieldError:
    return FieldError(ErrorType.Invalid, path, value, detail)


def duplicate(path: str, value: Any) -> FieldError:
    return FieldError(ErrorType.Duplicate, path, value, "")


def forbidden(path: str, detail: str) -> FieldError:
    return FieldError(ErrorType.Forbidden, path, "", detail)


def not_supported(path: str, value: Any, valid: Sequence[str]) -> FieldError:
    detail = "supported values: " + ", ".join(go_quote(v) for v in valid) if valid else ""
    return FieldError(ErrorType.Unsupported, path, value, detail)
