"""Label selectors, once: apimachinery's `labels` package as svcflow uses it.

One implementation for every place a selector is parsed, converted, matched or printed:
`kubectl get -l 'app in (web),!canary'` (labels.Parse, with its error messages), a
Deployment's or ReplicaSet's `metav1.LabelSelector` (LabelSelectorAsSelector: nil matches
nothing, `{}` matches everything), a Service's `spec.selector` map (SelectorFromSet; a
Service without one is not managed by the endpoint controllers, see `service_selects`),
and the canonical `String()` kubectl prints (requirements sorted by key, values sorted).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

from engine.api.gostrconv import go_quote
from engine.api.validation.messages import aggregate_message
from engine.api.validation.names import is_qualified_name, is_valid_label_value


class SelectorError(ValueError):
    """apimachinery's parse or conversion error, with its message."""


_SPECIAL = set("=!(),><")
_TOKENS = {")": "CLOSE", ",": "COMMA", "!": "NOT", "==": "DEQ", "=": "EQ", ">": "GT", "in": "IN",
           "<": "LT", "!=": "NEQ", "notin": "NOTIN", "(": "OPEN"}
_BINARY_OPERATORS = "in, notin, =, ==, !=, gt, lt"


def _lex(s: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    i, n = 0, len(s)
    while True:
        while i < n and s[i] in " \t\r\n":
            i += 1
        if i >= n:
            out.append(("EOS", ""))
            return out
        if s[i] in _SPECIAL:
            buf, last = "", None
            while i < n and s[i] in _SPECIAL:
                buf += s[i]
                if buf in _TOKENS:
                    last = (_TOKENS[buf], buf)
                    i += 1
                elif last is not None:
                    break
                else:
                    i += 1
            out.append(last if last is not None else ("ERR", f"error expected: keyword found '{buf}'"))
        else:
            j = i
            while j < n and s[j] not in _SPECIAL and s[j] not in " \t\r\n":
                j += 1
            word = s[i:j]
            i = j
            out.append((_TOKENS.get(word, "ID"), word) if word in ("in", "notin") else ("ID", word))


def _field_invalid(path: str, value: str, msgs: list[str]) -> str:
    return f"{path}: Invalid value: {go_quote(value)}: " + "; ".join(msgs)


def _parse_requirements(sel: str | None) -> list[tuple[str, str, list[str]]]:
    """labels.Parse: requirements (key, op, values); op is one of in notin = == != gt lt
    exists !. Raises SelectorError with apimachinery's message."""
    items = _lex(sel or "")
    pos = 0

    def look(values: bool = True) -> tuple[str, str]:
        t, lit = items[pos]
        return ("ID" if values and t in ("IN", "NOTIN") else t), lit

    def take(values: bool = True) -> tuple[str, str]:
        nonlocal pos
        t = look(values)
        pos += 1
        return t

    def requirement() -> tuple[str, str, list[str]]:
        op = ""
        t, lit = take()
        if t == "NOT":
            op = "!"
            t, lit = take()
        if t != "ID":
            raise SelectorError(f"found '{lit}', expected: identifier")
        key = lit
        errs = is_qualified_name(key)
        if errs:
            raise SelectorError(_field_invalid("<nil>", key, errs))
        if look()[0] in ("EOS", "COMMA"):
            return key, op or "exists", []
        if op == "!":  # `!key` takes no operator: what follows must be `,` or the end
            return key, "!", []
        t, lit = take(values=False)
        ops = {"IN": "in", "NOTIN": "notin", "EQ": "=", "DEQ": "==", "NEQ": "!=", "GT": "gt", "LT": "lt"}
        if t not in ops:
            raise SelectorError(f"found '{lit}', expected: {_BINARY_OPERATORS}")
        op = ops[t]
        if op in ("in", "notin"):
            t, lit = take()
            if t != "OPEN":
                raise SelectorError(f"found '{lit}' expected: '('")
            t, lit = look()
            vals: set[str] = set()
            if t == "CLOSE":
                take()
                vals = {""}
            elif t in ("ID", "COMMA"):
                while True:
                    t2, l2 = take()
                    if t2 == "ID":
                        vals.add(l2)
                        t3, l3 = look()
                        if t3 == "COMMA":
                            continue
                        if t3 == "CLOSE":
                            break
                        raise SelectorError(f"found '{l3}', expected: ',' or ')'")
                    elif t2 == "COMMA":
                        if not vals:
                            vals.add("")
                        t3, _ = look()
                        if t3 == "CLOSE":
                            vals.add("")
                            break
                        if t3 == "COMMA":
                            vals.add("")
                    else:
                        raise SelectorError(f"found '{l2}', expected: ',', or identifier")
                if take()[0] != "CLOSE":
                    raise SelectorError(f"found '{lit}', expected: ')'")
            else:
                raise SelectorError(f"found '{lit}', expected: ',', ')' or identifier")
            values = sorted(vals)
        else:
            t, lit = look()
            if t in ("EOS", "COMMA"):
                values = [""]
            else:
                t, lit = take()
                if t != "ID":
                    raise SelectorError(f"found '{lit}', expected: identifier")
                values = [lit]
        errs_v: list[str] = []
        if op in ("gt", "lt"):
            for i, v in enumerate(values):
                if not re.fullmatch(r"[+-]?[0-9]+", v) or not -(1 << 63) <= int(v) < (1 << 63):
                    errs_v.append(_field_invalid(f"values[{i}]", v, ["for 'Gt', 'Lt' operators, the value must be an integer"]))
        for i, v in enumerate(values):
            m = is_valid_label_value(v)
            if m:
                errs_v.append(_field_invalid(f"values[{i}][{key}]", v, m))
        if errs_v:
            raise SelectorError(aggregate_message(errs_v))
        return key, op, values

    reqs: list[tuple[str, str, list[str]]] = []
    while True:
        t, lit = look()
        if t == "EOS":
            return reqs
        if t not in ("ID", "NOT"):
            raise SelectorError(f"found '{lit}', expected: !, identifier, or 'end of string'")
        try:
            reqs.append(requirement())
        except SelectorError as e:
            raise SelectorError(f"unable to parse requirement: {e}") from None
        t, lit = take()
        if t == "EOS":
            return reqs
        if t == "COMMA":
            t2, l2 = look()
            if t2 not in ("ID", "NOT"):
                raise SelectorError(f"found '{l2}', expected: identifier after ','")
            continue
        raise SelectorError(f"found '{lit}', expected: ',' or 'end of string'")


# ---------------------------------------------------------------------------------------
# Requirements and selectors (labels.Requirement / labels.internalSelector)
# ---------------------------------------------------------------------------------------

_EQUALS = ("=", "==", "in")
_NOT_EQUALS = ("!=", "notin")


@dataclass(frozen=True)
class Requirement:
    """One `key op values` term. `op` is one of `=`, `==`, `!=`, `in`, `notin`, `exists`,
    `!` (does not exist), `gt`, `lt`."""

    key: str
    op: str
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        has = self.key in labels
        if self.op in _EQUALS:
            return has and labels[self.key] in self.values
        if self.op in _NOT_EQUALS:
            return not has or labels[self.key] not in self.values
        if self.op == "exists":
            return has
        if self.op == "!":
            return not has
        if self.op in ("gt", "lt") and has and self.values:
            try:
                lv, rv = int(labels[self.key]), int(self.values[0])
            except ValueError:
                return False
            return lv > rv if self.op == "gt" else lv < rv
        return False

    def __str__(self) -> str:
        """Requirement.String()."""
        if self.op == "exists":
            return self.key
        if self.op == "!":
            return "!" + self.key
        vals = self.values[0] if len(self.values) == 1 else ",".join(sorted(self.values))
        if self.op in ("in", "notin"):
            return f"{self.key} {self.op} ({vals})"
        return f"{self.key}{ {'gt': '>', 'lt': '<'}.get(self.op, self.op) }{vals}"

    def as_tuple(self) -> tuple[str, str, list[str]]:
        return self.key, self.op, list(self.values)


@dataclass(frozen=True)
class Selector:
    """labels.Selector: every requirement must match. `nothing` is labels.Nothing()."""

    requirements: tuple[Requirement, ...] = ()
    nothing: bool = False

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        if self.nothing:
            return False
        labels = labels or {}
        return all(r.matches(labels) for r in self.requirements)

    def empty(self) -> bool:
        return not self.nothing and not self.requirements

    def __str__(self) -> str:
        """internalSelector.String(): the requirements, sorted by key, comma-joined."""
        return ",".join(str(r) for r in sorted(self.requirements, key=lambda r: r.key))


EVERYTHING = Selector()
NOTHING = Selector(nothing=True)


def parse(text: str | None) -> Selector:
    """labels.Parse: `a=b,c!=d,e in (f,g),h notin (i),j,!k,l>1`. Raises SelectorError."""
    return Selector(tuple(Requirement(k, op, tuple(v)) for k, op, v in _parse_requirements(text)))


def from_set(labels: Mapping[str, str] | None) -> Selector:
    """labels.SelectorFromSet: one `k=v` requirement per pair (an empty set selects all)."""
    return Selector(tuple(Requirement(k, "=", (v,)) for k, v in sorted((labels or {}).items())))


_LABEL_SELECTOR_OPS = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}


def _go_strings(values: list[str]) -> str:
    return "[]string{" + ", ".join(go_quote(v) for v in values) + "}"


def _new_requirement(key: str, op: str, values: list[str]) -> Requirement:
    """labels.NewRequirement's checks, as LabelSelectorAsSelector meets them: the key a
    qualified name, In/NotIn with values, Exists/DoesNotExist without, every value a label
    value. Raises SelectorError with apimachinery's aggregate of what is wrong."""
    errs: list[str] = []
    key_errs = is_qualified_name(key)
    if key_errs:
        errs.append(_field_invalid("key", key, key_errs))
    if op in ("in", "notin") and not values:
        errs.append(f"values: Invalid value: {_go_strings(values)}: for 'in', 'notin' operators, values set can't be empty")
    if op in ("exists", "!") and values:
        errs.append(f"values: Invalid value: {_go_strings(values)}: values set must be empty for exists and does not exist")
    for i, v in enumerate(values):
        m = is_valid_label_value(v)
        if m:
            errs.append(_field_invalid(f"values[{i}][{key}]", v, m))
    if errs:
        raise SelectorError(aggregate_message(errs))
    return Requirement(key, op, tuple(values))


def from_label_selector(sel: Any) -> Selector:
    """metav1.LabelSelectorAsSelector: nil selects nothing, `{}` everything; matchLabels
    are `k=v`, matchExpressions In/NotIn/Exists/DoesNotExist. Raises SelectorError for what
    apimachinery refuses: an unknown operator (`"Foo" is not a valid label selector
    operator`), or a key, value or value count labels.NewRequirement does not accept."""
    if sel is None:
        return NOTHING
    if not isinstance(sel, dict):
        raise SelectorError(f"{type(sel).__name__} is not a label selector")
    ml = sel.get("matchLabels") or {}
    exprs = sel.get("matchExpressions") or []
    if not ml and not exprs:
        return EVERYTHING
    reqs = [_new_requirement(str(k), "=", ["" if v is None else str(v)])
            for k, v in (sorted(ml.items(), key=lambda kv: str(kv[0])) if isinstance(ml, dict) else ())]
    for e in exprs if isinstance(exprs, list) else ():
        e = e if isinstance(e, dict) else {}
        op = _LABEL_SELECTOR_OPS.get(e.get("operator"))  # type: ignore[arg-type]
        if op is None:
            raise SelectorError(f"{go_quote(str(e.get('operator') or ''))} is not a valid label selector operator")
        key = e.get("key")
        vals = e.get("values") or []
        reqs.append(_new_requirement(key if isinstance(key, str) else "", op,
                                     [str(v) for v in vals] if isinstance(vals, list) else []))
    return Selector(tuple(sorted(reqs, key=lambda r: r.key)))


def label_selector_matches(sel: Any, labels: Mapping[str, str] | None) -> bool:
    """A workload's `metav1.LabelSelector` against labels (an unconvertible selector selects
    nothing: the API server's validation refuses those before any controller sees them)."""
    try:
        return from_label_selector(sel).matches(labels)
    except SelectorError:
        return False


def selector_matches(sel: Any, labels: Mapping[str, str] | None) -> bool | None:
    """LabelSelectorAsSelector(sel) then Matches(labels), as the apps validators use it:
    None when the selector cannot be converted (they report `invalid label selector`)."""
    try:
        return from_label_selector(sel).matches(labels)
    except SelectorError:
        return None


def service_selects(selector: Mapping[str, str] | None, labels: Mapping[str, str] | None) -> bool:
    """A Service's `spec.selector`: an empty or missing one selects no pods here, because a
    Service without a selector has no endpoints managed by the controllers (its Endpoints
    are the user's)."""
    if not selector:
        return False
    labels = labels or {}
    return all(labels.get(k) == v for k, v in selector.items())


def label_selector_string(sel: Any) -> str:
    """LabelSelectorAsSelector(sel).String(): "" for nil or empty (and unconvertible)."""
    try:
        return str(from_label_selector(sel)) if sel else ""
    except SelectorError:
        return ""


def format_label_selector(sel: Any) -> str:
    """metav1.FormatLabelSelector: the selector string, `<none>` when empty."""
    return label_selector_string(sel) or "<none>"
