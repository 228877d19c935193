"""API-server validation for the objects svcflow simulates, with kube-apiserver's exact messages.

Why this module exists: the simulator must reject a bad manifest the way a real cluster does,
word for word, so a learner who reads svcflow's error can paste it into a search engine and land
on the same answers as for real kubectl output.  Everything here restates upstream Go code
(kubernetes/kubernetes ``pkg/apis/core/validation``, ``pkg/apis/apps/validation``,
``apimachinery/pkg/util/validation`` and ``.../field/errors.go``, kubectl ``cmd/util/helpers.go``)
for a v1.31-v1.33 server.  Composite values are rendered in Go ``%#v`` syntax
(``map[string]string{"app":"x"}``); v1.34+ servers print JSON instead (PR #132314).

The flow mirrors the API server:

1. ``decode_error`` - a value of the wrong JSON type for its Go field fails the request
   (``BadRequest``: ``... cannot be handled as a Service: json: cannot unmarshal ...``); then
   ``strict_unknown_fields`` - strict decoding (``fieldValidation=Strict``, kubectl's default)
   fails it with ``BadRequest`` before anything is validated;
2. ``validate`` - defaulting, then field validation; all causes are reported together;
3. allocation (REST layer) - only when 2. passed: clusterIP (the engine's allocator), then
   nodePorts (range check here in ``validate_node_port_range``; collisions are the engine's).
   Allocation errors are reported alone, never mixed with field errors.

Nothing here imports Textual.
"""
from __future__ import annotations

import ipaddress
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from typing import Any, Iterable, Sequence

from engine.api.defaults import with_defaults
from engine.api.gostrconv import go_float, go_json_float, go_quote

__all__ = [
    "ErrorType",
    "FieldError",
    "GoLiteral",
    "ApiError",
    "go_quote",
    "go_value",
    "validate",
    "validate_node_port_range",
    "format_invalid",
    "format_invalid_status_message",
    "format_unknown_fields",
    "strict_unknown_fields",
    "kubectl_error_output",
    "aggregate_message",
    "DEFAULT_NODE_PORT_RANGE",
    "decode_error",
    "decoded",
    "cannot_handle_error",
    "ClientError",
    "empty_name_error",
    "generate_name_error",
]

DEFAULT_NODE_PORT_RANGE: tuple[int, int] = (30000, 32767)

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


def _required(path: str, detail: str = "") -> FieldError:
    return FieldError(ErrorType.Required, path, "", detail)


def _invalid(path: str, value: Any, detail: str) -> FieldError:
    return FieldError(ErrorType.Invalid, path, value, detail)


def _duplicate(path: str, value: Any) -> FieldError:
    return FieldError(ErrorType.Duplicate, path, value, "")


def _forbidden(path: str, detail: str) -> FieldError:
    return FieldError(ErrorType.Forbidden, path, "", detail)


def _not_supported(path: str, value: Any, valid: Sequence[str]) -> FieldError:
    detail = "supported values: " + ", ".join(go_quote(v) for v in valid) if valid else ""
    return FieldError(ErrorType.Unsupported, path, value, detail)


# --------------------------------------------------------------------------------------------
# apimachinery/pkg/util/validation: the Is* predicates and their messages
# --------------------------------------------------------------------------------------------


def _regex_error(msg: str, fmt: str, *examples: str) -> str:
    """RegexError: note the historic double space before ``or`` ("'my-name',  or 'abc-123'")."""
    if not examples:
        return f"{msg} (regex used for validation is '{fmt}')"
    out = msg + " (e.g. "
    for i, ex in enumerate(examples):
        if i > 0:
            out += " or "
        out += f"'{ex}', "
    return out + f"regex used for validation is '{fmt}')"


def _max_len_error(n: int) -> str:
    return f"must be no more than {n} characters"


def _inclusive_range_error(lo: int, hi: int) -> str:
    return f"must be between {lo} and {hi}, inclusive"


EMPTY_ERROR = "must be non-empty"
IS_NEGATIVE_ERROR = "must be greater than or equal to 0"

_DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character"
)
_DNS1123_SUBDOMAIN_FMT = _DNS1123_LABEL_FMT + "(\\." + _DNS1123_LABEL_FMT + ")*"
_DNS1123_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character"
)
_DNS1035_LABEL_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?"
_DNS1035_LABEL_MSG = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', "
    "start with an alphabetic character, and end with an alphanumeric character"
)
_QNAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_QNAME_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character"
)
_LABEL_VALUE_FMT = "(" + _QNAME_FMT + ")?"
_LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character"
)
_CONFIGMAP_KEY_FMT = "[-._a-zA-Z0-9]+"
_CONFIGMAP_KEY_MSG = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'"
_PERCENT_FMT = "[0-9]+%"
_PERCENT_MSG = "a valid percent string must be a numeric string followed by an ending '%'"

_re_dns1123_label = re.compile("^" + _DNS1123_LABEL_FMT + "$")
_re_dns1123_subdomain = re.compile("^" + _DNS1123_SUBDOMAIN_FMT + "$")
_re_dns1035_label = re.compile("^" + _DNS1035_LABEL_FMT + "$")
_re_qname = re.compile("^" + _QNAME_FMT + "$")
_re_label_value = re.compile("^" + _LABEL_VALUE_FMT + "$")
_re_configmap_key = re.compile("^" + _CONFIGMAP_KEY_FMT + "$")
_re_percent = re.compile("^" + _PERCENT_FMT + "$")
_re_port_name_charset = re.compile("^[-a-z0-9]+$")
_re_port_name_letter = re.compile("[a-z]")


def _blen(s: str) -> int:
    """Go's len(string) counts UTF-8 bytes, not characters."""
    return len(s.encode("utf-8", "surrogatepass"))


def _full(rx: re.Pattern[str], s: str) -> bool:
    # Go's `$` only matches at the very end (no trailing-newline allowance like Python's).
    return rx.fullmatch(s) is not None


def is_dns1123_label(value: str) -> list[str]:
    """IsDNS1123Label (container names, port names, namespaces).

    Newer apimachinery says ``must not contain dots`` when the value would be a valid subdomain;
    svcflow follows that (see the module report for the version caveat).
    """
    errs: list[str] = []
    if _blen(value) > 63:
        errs.append(_max_len_error(63))
    if not _full(_re_dns1123_label, value):
        if _full(_re_dns1123_subdomain, value):
            errs.append("must not contain dots")
        else:
            errs.append(_regex_error(_DNS1123_LABEL_MSG, _DNS1123_LABEL_FMT, "my-name", "123-abc"))
    return errs


def is_dns1123_subdomain(value: str) -> list[str]:
    """IsDNS1123Subdomain (most object names, max 253)."""
    errs: list[str] = []
    if _blen(value) > 253:
        errs.append(_max_len_error(253))
    if not _full(_re_dns1123_subdomain, value):
        errs.append(_regex_error(_DNS1123_SUBDOMAIN_MSG, _DNS1123_SUBDOMAIN_FMT, "example.com"))
    return errs


def is_dns1035_label(value: str) -> list[str]:
    """IsDNS1035Label (Service names): length error first, then the regex error."""
    errs: list[str] = []
    if _blen(value) > 63:
        errs.append(_max_len_error(63))
    if not _full(_re_dns1035_label, value):
        errs.append(_regex_error(_DNS1035_LABEL_MSG, _DNS1035_LABEL_FMT, "my-name", "abc-123"))
    return errs


def is_qualified_name(value: str) -> list[str]:
    """IsQualifiedName (label keys, appProtocol): optional DNS-subdomain prefix + '/' + name."""
    errs: list[str] = []
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part " + EMPTY_ERROR)
        else:
            errs.extend("prefix part " + m for m in is_dns1123_subdomain(prefix))
    else:
        return [
            "a qualified name "
            + _regex_error(_QNAME_MSG, _QNAME_FMT, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    if not name:
        errs.append("name part " + EMPTY_ERROR)
    elif _blen(name) > 63:
        errs.append("name part " + _max_len_error(63))
    if not _full(_re_qname, name):
        errs.append("name part " + _regex_error(_QNAME_MSG, _QNAME_FMT, "MyName", "my.name", "123-abc"))
    return errs


def is_valid_label_value(value: str) -> list[str]:
    """IsValidLabelValue (label values, selector values)."""
    errs: list[str] = []
    if _blen(value) > 63:
        errs.append(_max_len_error(63))
    if not _full(_re_label_value, value):
        errs.append(_regex_error(_LABEL_VALUE_MSG, _LABEL_VALUE_FMT, "MyValue", "my_value", "12345"))
    return errs


def is_valid_port_num(port: int) -> list[str]:
    return [] if 1 <= port <= 65535 else [_inclusive_range_error(1, 65535)]


def is_valid_port_name(port: str) -> list[str]:
    """IsValidPortName (IANA_SVC_NAME): container port names and named targetPorts."""
    errs: list[str] = []
    if _blen(port) > 15:
        errs.append(_max_len_error(15))
    if not _full(_re_port_name_charset, port):
        errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not _re_port_name_letter.search(port):
        errs.append("must contain at least one letter (a-z)")
    if "--" in port:
        errs.append("must not contain consecutive hyphens")
    if port and (port[0] == "-" or port[-1] == "-"):
        errs.append("must not begin or end with a hyphen")
    return errs


def is_valid_percent(v: str) -> list[str]:
    return [] if _full(_re_percent, v) else [_regex_error(_PERCENT_MSG, _PERCENT_FMT, "1%", "93%")]


def is_config_map_key(value: str) -> list[str]:
    errs: list[str] = []
    if _blen(value) > 253:
        errs.append(_max_len_error(253))
    if not _full(_re_configmap_key, value):
        errs.append(_regex_error(_CONFIGMAP_KEY_MSG, _CONFIGMAP_KEY_FMT, "key.name", "KEY_NAME", "key-name"))
    if value == ".":
        errs.append("must not be '.'")
    elif value == "..":
        errs.append("must not be '..'")
    elif value.startswith(".."):
        errs.append("must not start with '..'")
    return errs


def is_relaxed_env_var_name(value: str) -> list[str]:
    """IsRelaxedEnvVarName: RelaxedEnvironmentVariableValidation is on by default from v1.32."""
    errs: list[str] = []
    if not value:
        errs.append("environment variable name " + EMPTY_ERROR)
    for ch in value:
        if ord(ch) > 127 or not ch.isprintable() or ch == "=":
            errs.append("a valid environment variable name must consist only of printable ASCII characters other than '='")
            break
    return errs


_IP_MSG = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"


def _parse_ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """netutils.ParseIPSloppy: like net.ParseIP but IPv4 octets may carry leading zeros."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        pass
    parts = value.split(".")
    if len(parts) == 4 and all(p.isdigit() and 0 < len(p) <= 3 and int(p) <= 255 for p in parts):
        return ipaddress.IPv4Address(".".join(str(int(p)) for p in parts))
    return None


def is_valid_ip(path: str, value: str) -> list[FieldError]:
    return [] if _parse_ip(value) is not None else [_invalid(path, value, _IP_MSG)]


def _non_special_ip(path: str, value: str) -> list[FieldError]:
    """ValidateNonSpecialIP (endpoint addresses, externalIPs). [best effort: from memory]"""
    ip = _parse_ip(value)
    if ip is None:
        return [_invalid(path, value, "must be a valid IP address")]
    out: list[FieldError] = []
    if ip.is_unspecified:
        out.append(_invalid(path, value, f"may not be unspecified ({value})"))
    if ip.is_loopback:
        out.append(_invalid(path, value, "may not be in the loopback range (127.0.0.0/8, ::1/128)"))
    if ip.is_link_local:
        out.append(_invalid(path, value, "may not be in the link-local range (169.254.0.0/16, fe80::/10)"))
    if (ip.version == 4 and ip in ipaddress.ip_network("224.0.0.0/24")) or (
        ip.version == 6 and ip in ipaddress.ip_network("ff02::/16")
    ):
        out.append(_invalid(path, value, "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"))
    return out


# --------------------------------------------------------------------------------------------
# Small helpers over untyped manifest data
# --------------------------------------------------------------------------------------------


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _str(v: Any) -> str:
    """Coerce a scalar the way our defaulting needs; non-strings become ''."""
    return v if isinstance(v, str) else ""


def _dict(v: Any) -> dict:
    return v if isinstance(v, dict) else {}


def _list(v: Any) -> list:
    return v if isinstance(v, list) else []


def _str_map(v: Any) -> dict[str, str] | None:
    """A map[string]string (labels, selector); None when absent."""
    if not isinstance(v, dict):
        return None
    return {str(k): ("" if x is None else x if isinstance(x, str) else str(x)) for k, x in v.items()}


def _labels_literal(labels: dict[str, str] | None) -> Any:
    """The bad value for template-label errors: a nil map prints as map[string]string(nil)."""
    if labels is None:
        return GoLiteral("map[string]string(nil)")
    return dict(labels)


def validate_labels(labels: dict[str, str] | None, path: str) -> list[FieldError]:
    """ValidateLabels: every key a qualified name, every value a label value (sorted for stability;
    Go iterates the map in random order, so any order is "real")."""
    out: list[FieldError] = []
    for k in sorted(labels or {}):
        v = (labels or {})[k]
        out.extend(_invalid(path, k, m) for m in is_qualified_name(k))
        out.extend(_invalid(path, v, m) for m in is_valid_label_value(v))
    return out


def _validate_annotations(ann: Any, path: str) -> list[FieldError]:
    out: list[FieldError] = []
    anns = _str_map(ann) or {}
    total = 0
    for k in sorted(anns):
        out.extend(_invalid(path, k, m) for m in is_qualified_name(k.lower()))
        total += _blen(k) + _blen(anns[k])
    if total > 256 * 1024:
        out.append(FieldError(ErrorType.TooLong, path, "", f"must have at most {256 * 1024} bytes"))
    return out


def _validate_object_meta(obj: dict, name_fn) -> list[FieldError]:
    """apimachinery ValidateObjectMeta (name, generateName, labels, annotations).

    The namespace is not checked: kubectl fills it in from the context, a namespace that does not
    exist is a NotFound from the engine, and cluster-scoped objects have it cleared before
    validation (rest.BeforeCreate).
    """
    meta = _dict(obj.get("metadata"))
    out: list[FieldError] = []
    gen = _str(meta.get("generateName"))
    if gen:
        out.extend(_invalid("metadata.generateName", gen, m) for m in name_fn(gen, True))
    name = _str(meta.get("name"))
    if not name:
        out.append(_required("metadata.name", "name or generateName is required"))
    else:
        out.extend(_invalid("metadata.name", name, m) for m in name_fn(name, False))
    gen_no = meta.get("generation")
    if _is_int(gen_no) and gen_no < 0:
        out.append(_invalid("metadata.generation", gen_no, IS_NEGATIVE_ERROR))
    out.extend(validate_labels(_str_map(meta.get("labels")), "metadata.labels"))
    out.extend(_validate_annotations(meta.get("annotations"), "metadata.annotations"))
    out.extend(validate_owner_references(meta.get("ownerReferences"), "metadata.ownerReferences"))
    out.extend(validate_finalizers(meta.get("finalizers"), "metadata.finalizers"))
    return out


def _go_ptr_bool(v: Any, n: int) -> str:
    """A ``*bool`` as ``%#v`` prints it: ``(*bool)(nil)`` or an address (a stand-in: Go's
    heap addresses differ on every run; this one is stable so output stays reproducible)."""
    if v is None:
        return "(*bool)(nil)"
    return f"(*bool)(0xc000{0x5a0 + 8 * n:06x})"


def owner_reference_literal(ref: dict, n: int = 0) -> GoLiteral:
    """``%#v`` of a metav1.OwnerReference (field.Invalid's bad value)."""
    r = _dict(ref)
    return GoLiteral(
        f'v1.OwnerReference{{APIVersion:{go_quote(_str(r.get("apiVersion")))}, Kind:{go_quote(_str(r.get("kind")))}, '
        f'Name:{go_quote(_str(r.get("name")))}, UID:{go_quote(_str(r.get("uid")))}, '
        f'Controller:{_go_ptr_bool(r.get("controller"), 2 * n)}, '
        f'BlockOwnerDeletion:{_go_ptr_bool(r.get("blockOwnerDeletion"), 2 * n + 1)}}}')


def _api_version_parts(api_version: str) -> tuple[str, str] | None:
    """schema.ParseGroupVersion: (group, version), or None when it does not parse."""
    if not api_version or api_version == "/":
        return ("", "")
    n = api_version.count("/")
    if n == 0:
        return ("", api_version)
    if n == 1:
        g, _, v = api_version.partition("/")
        return (g, v)
    return None


def validate_owner_references(refs: Any, path: str) -> list[FieldError]:
    """apimachinery ValidateOwnerReferences: apiVersion, kind, name and uid must be set (the
    path has no index, as upstream's), Events may not own anything, and at most one
    reference may be the controller."""
    out: list[FieldError] = []
    first_controller = ""
    items = _list(refs)
    for i, ref in enumerate(items):
        r = _dict(ref)
        av, kind = _str(r.get("apiVersion")), _str(r.get("kind"))
        gv = _api_version_parts(av)
        group, version = gv if gv is not None else ("", "")
        if not version:
            out.append(_invalid(f"{path}.apiVersion", av, "version must not be empty"))
        if not kind:
            out.append(_invalid(f"{path}.kind", kind, "must not be empty"))
        if not _str(r.get("name")):
            out.append(_invalid(f"{path}.name", _str(r.get("name")), "must not be empty"))
        if not _str(r.get("uid")):
            out.append(_invalid(f"{path}.uid", _str(r.get("uid")), "must not be empty"))
        if (group, version, kind) == ("", "v1", "Event"):
            out.append(_invalid(path, owner_reference_literal(r, i), "/v1, Kind=Event is disallowed from being an owner"))
        if r.get("controller") is True:
            cur = f"{kind}/{_str(r.get('name'))}"
            if first_controller:
                whole = GoLiteral("[]v1.OwnerReference{" + ", ".join(
                    owner_reference_literal(x, j) for j, x in enumerate(items)) + "}")
                out.append(_invalid(path, whole, "Only one reference can have Controller set to true. "
                                                 f'Found "true" in references for {first_controller} and {cur}'))
            else:
                first_controller = cur
    return out


FINALIZER_ORPHAN = "orphan"
FINALIZER_FOREGROUND = "foregroundDeletion"


def validate_finalizers(finalizers: Any, path: str) -> list[FieldError]:
    """apimachinery ValidateFinalizers: qualified names, and not both orphan and foregroundDeletion."""
    out: list[FieldError] = []
    items = [x for x in _list(finalizers) if isinstance(x, str)]
    for f in items:
        out.extend(_invalid(path, f, m) for m in is_qualified_name(f))
    if FINALIZER_ORPHAN in items and FINALIZER_FOREGROUND in items:
        out.append(_invalid(path, list(items),
                            f"finalizer {FINALIZER_ORPHAN} and {FINALIZER_FOREGROUND} cannot be both set"))
    return out


def _name_is_dns_subdomain(name: str, prefix: bool) -> list[str]:
    if prefix:
        name = _mask_trailing_dash(name)
    return is_dns1123_subdomain(name)


def _name_is_dns1035_label(name: str, prefix: bool) -> list[str]:
    if prefix:
        name = _mask_trailing_dash(name)
    return is_dns1035_label(name)


def _name_is_dns1123_label(name: str, prefix: bool) -> list[str]:
    if prefix:
        name = _mask_trailing_dash(name)
    return is_dns1123_label(name)


def _mask_trailing_dash(name: str) -> str:
    """generateName prefixes may end in '-': upstream swaps it for 'a' before checking."""
    if len(name) > 1 and name.endswith("-"):
        return name[:-2] + "a"
    return name


def _nonneg(value: Any, path: str) -> list[FieldError]:
    if _is_int(value) and value < 0:
        return [_invalid(path, value, IS_NEGATIVE_ERROR)]
    return []


# --------------------------------------------------------------------------------------------
# IntOrString
# --------------------------------------------------------------------------------------------


def _intstr_repr(v: Any) -> GoLiteral:
    """IntOrString has a pointer-receiver String(): errors print it bare (``25%``, ``0``)."""
    return GoLiteral(str(v) if _is_int(v) else _str(v))


def _validate_port_num_or_name(v: Any, path: str) -> list[FieldError]:
    """ValidatePortNumOrName (targetPort, probe ports)."""
    if _is_int(v):
        return [_invalid(path, v, m) for m in is_valid_port_num(v)]
    if isinstance(v, str):
        return [_invalid(path, v, m) for m in is_valid_port_name(v)]
    return []


# --------------------------------------------------------------------------------------------
# Service
# --------------------------------------------------------------------------------------------

_PROTOCOLS = ["SCTP", "TCP", "UDP"]  # sets.List(): sorted
_SERVICE_TYPES = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]
_AFFINITIES = ["ClientIP", "None"]
_TRAFFIC_POLICIES = ["Cluster", "Local"]
_IP_FAMILIES = ["IPv4", "IPv6"]
_IP_FAMILY_POLICIES = ["PreferDualStack", "RequireDualStack", "SingleStack"]


def _is_headless(spec: dict) -> bool:
    ips = spec.get("clusterIPs")
    return isinstance(ips, list) and len(ips) == 1 and ips[0] == "None"


def _service_port_literal(protocol: str, port: int) -> GoLiteral:
    """The Duplicate key of spec.ports: a core.ServicePort holding only protocol and port."""
    return GoLiteral(
        'core.ServicePort{Name:"", Protocol:' + go_quote(protocol) + ", AppProtocol:(*string)(nil), "
        f"Port:{port}, TargetPort:intstr.IntOrString{{Type:0, IntVal:0, StrVal:\"\"}}, NodePort:0}}"
    )


def _validate_service(svc: dict) -> list[FieldError]:
    spec = _dict(svc.get("spec"))
    out = _validate_object_meta(svc, _name_is_dns1035_label)
    ports = [p if isinstance(p, dict) else {} for p in _list(spec.get("ports"))]
    typ = spec.get("type")
    headless = _is_headless(spec)

    if not ports and not headless and typ != "ExternalName":
        out.append(_required("spec.ports"))
    ips = _list(spec.get("clusterIPs"))
    if typ == "LoadBalancer" and headless:
        out.append(_invalid("spec.clusterIPs[0]", ips[0], "may not be set to 'None' for LoadBalancer services"))
    elif typ == "NodePort" and headless:
        out.append(_invalid("spec.clusterIPs[0]", ips[0], "may not be set to 'None' for NodePort services"))
    elif typ == "ExternalName":
        if ips:
            out.append(_forbidden("spec.clusterIPs", "may not be set for ExternalName services"))
        if spec.get("ipFamilies"):
            out.append(_forbidden("spec.ipFamilies", "may not be set for ExternalName services"))
        if spec.get("ipFamilyPolicy") is not None:
            out.append(_forbidden("spec.ipFamilyPolicy", "may not be set for ExternalName services"))
        cname = _str(spec.get("externalName"))
        if cname.endswith("."):
            cname = cname[:-1]
        if cname:
            out.extend(_invalid("spec.externalName", cname, m) for m in is_dns1123_subdomain(cname))
        else:
            out.append(_required("spec.externalName"))

    names: set[str] = set()
    for i, p in enumerate(ports):
        out.extend(_validate_service_port(p, len(ports) > 1, names, f"spec.ports[{i}]"))

    sel = spec.get("selector")
    if sel is not None:
        out.extend(validate_labels(_str_map(sel), "spec.selector"))

    aff = spec.get("sessionAffinity")
    if not aff:
        out.append(_required("spec.sessionAffinity"))
    elif aff not in _AFFINITIES:
        out.append(_not_supported("spec.sessionAffinity", aff, _AFFINITIES))
    if aff == "ClientIP":
        cfg = _dict(_dict(spec.get("sessionAffinityConfig")).get("clientIP"))
        t = cfg.get("timeoutSeconds")
        if spec.get("sessionAffinityConfig") is None or t is None:
            out.append(_required("spec.sessionAffinityConfig.clientIP.timeoutSeconds"))
        elif _is_int(t) and not 0 < t <= 86400:
            out.append(_invalid("spec.sessionAffinityConfig.clientIP.timeoutSeconds", t, _inclusive_range_error(1, 86400)))

    out.extend(_validate_cluster_ips(spec))

    for i, ip in enumerate(_list(spec.get("externalIPs"))):
        p = f"spec.externalIPs[{i}]"
        errs = is_valid_ip(p, ip if isinstance(ip, str) else "")
        out.extend(errs if errs else _non_special_ip(p, ip))

    if not typ:
        out.append(_required("spec.type"))
    elif typ not in _SERVICE_TYPES:
        out.append(_not_supported("spec.type", typ, _SERVICE_TYPES))

    if typ == "ClusterIP":
        for i, p in enumerate(ports):
            if p.get("nodePort") not in (None, 0):
                out.append(_forbidden(f"spec.ports[{i}].nodePort", "may not be used when `type` is 'ClusterIP'"))

    seen_np: set[tuple[str, Any]] = set()
    for i, p in enumerate(ports):
        np_ = p.get("nodePort")
        if np_ in (None, 0):
            continue
        key = (_str(p.get("protocol")), np_)
        if key in seen_np:
            out.append(_duplicate(f"spec.ports[{i}].nodePort", np_))
        seen_np.add(key)

    seen_p: set[tuple[str, Any]] = set()
    for i, p in enumerate(ports):
        proto, port = _str(p.get("protocol")), p.get("port")
        key = (proto, port if _is_int(port) else 0)
        if key in seen_p:
            out.append(_duplicate(f"spec.ports[{i}]", _service_port_literal(proto, key[1])))
        seen_p.add(key)

    lbsr = _list(spec.get("loadBalancerSourceRanges"))
    if lbsr and typ != "LoadBalancer":
        out.append(_forbidden("spec.LoadBalancerSourceRanges", "may only be used when `type` is 'LoadBalancer'"))
    if spec.get("allocateLoadBalancerNodePorts") is not None and typ != "LoadBalancer":
        out.append(_forbidden("spec.allocateLoadBalancerNodePorts", "may only be used when `type` is 'LoadBalancer'"))
    lbc = spec.get("loadBalancerClass")
    if lbc is not None:
        if typ == "LoadBalancer":
            out.extend(_invalid("spec.loadBalancerClass", lbc, m) for m in is_qualified_name(_str(lbc)))
        else:
            out.append(_forbidden("spec.loadBalancerClass", "may only be used when `type` is 'LoadBalancer'"))

    externally = typ in ("LoadBalancer", "NodePort") or (typ == "ClusterIP" and bool(spec.get("externalIPs")))
    etp = spec.get("externalTrafficPolicy")
    if not externally:
        if etp:
            out.append(_invalid("spec.externalTrafficPolicy", etp, "may only be set for externally-accessible services"))
    elif not etp:
        out.append(_required("spec.externalTrafficPolicy"))
    elif etp not in _TRAFFIC_POLICIES:
        out.append(_not_supported("spec.externalTrafficPolicy", etp, _TRAFFIC_POLICIES))
    hc = spec.get("healthCheckNodePort")
    needs_hc = typ == "LoadBalancer" and etp == "Local"
    if not needs_hc and hc not in (None, 0):
        out.append(_invalid("spec.healthCheckNodePort", hc,
                            "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"))
    itp = spec.get("internalTrafficPolicy")
    if itp is None and typ in ("NodePort", "LoadBalancer", "ClusterIP"):
        out.append(_required("spec.internalTrafficPolicy"))
    elif itp is not None and itp not in _TRAFFIC_POLICIES:
        out.append(_not_supported("spec.internalTrafficPolicy", itp, _TRAFFIC_POLICIES))
    td = spec.get("trafficDistribution")
    if td is not None and td != "PreferClose":
        out.append(_not_supported("spec.trafficDistribution", td, ["PreferClose"]))
    return out


def _validate_service_port(p: dict, require_name: bool, names: set[str], path: str) -> list[FieldError]:
    out: list[FieldError] = []
    name = _str(p.get("name"))
    if require_name and not name:
        out.append(_required(f"{path}.name"))
    elif name:
        out.extend(_invalid(f"{path}.name", name, m) for m in is_dns1123_label(name))
        if name in names:
            out.append(_duplicate(f"{path}.name", name))
        else:
            names.add(name)
    port = p.get("port", 0)
    if _is_int(port):
        out.extend(_invalid(f"{path}.port", port, m) for m in is_valid_port_num(port))
    proto = p.get("protocol")
    if not proto:
        out.append(_required(f"{path}.protocol"))
    elif proto not in _PROTOCOLS:
        out.append(_not_supported(f"{path}.protocol", proto, _PROTOCOLS))
    out.extend(_validate_port_num_or_name(p.get("targetPort", 0), f"{path}.targetPort"))
    ap = p.get("appProtocol")
    if ap is not None:
        out.extend(_invalid(f"{path}.appProtocol", ap, m) for m in is_qualified_name(_str(ap)))
    return out


def _validate_cluster_ips(spec: dict) -> list[FieldError]:
    """ValidateServiceClusterIPsRelatedFields (create path)."""
    if spec.get("type") == "ExternalName":
        return []
    out: list[FieldError] = []
    cip = _str(spec.get("clusterIP"))
    ips = [x if isinstance(x, str) else "" for x in _list(spec.get("clusterIPs"))]
    if cip:
        if not ips:
            out.append(_required("spec.clusterIPs"))
        elif ips[0] != cip:
            out.append(_invalid("spec.clusterIPs", list(ips), "first value must match `clusterIP`"))
    elif ips:
        out.append(_invalid("spec.clusterIPs", list(ips), "must be empty when `clusterIP` is not specified"))
    seen: set[str] = set()
    for i, fam in enumerate(_list(spec.get("ipFamilies"))):
        if fam not in _IP_FAMILIES:
            out.append(_not_supported(f"spec.ipFamilies[{i}]", fam, _IP_FAMILIES))
        if fam in seen:
            out.append(_duplicate(f"spec.ipFamilies[{i}]", fam))
        seen.add(fam)
    pol = spec.get("ipFamilyPolicy")
    if pol is not None and pol not in _IP_FAMILY_POLICIES:
        out.append(_not_supported("spec.ipFamilyPolicy", pol, _IP_FAMILY_POLICIES))
    bad = False
    for i, ip in enumerate(ips):
        if i == 0 and ip == "None":
            if len(ips) > 1:
                bad = True
                out.append(_invalid("spec.clusterIPs", list(ips), "'None' must be the first and only value"))
            continue
        if _parse_ip(ip) is None:
            bad = True
            out.append(_invalid(f"spec.clusterIPs[{i}]", ip, _IP_MSG))
    if len(ips) > 2:
        out.append(_invalid("spec.clusterIPs", list(ips), "may only hold up to 2 values"))
    if bad:
        return out
    if len(ips) > 1:
        fams = {(_parse_ip(x) or ipaddress.IPv4Address("0.0.0.0")).version for x in ips}
        if len(fams) != len(ips):
            out.append(_invalid("spec.clusterIPs", list(ips), "may specify no more than one IP for each IP family"))
    return out


def validate_node_port_range(obj: dict, node_port_range: tuple[int, int] = DEFAULT_NODE_PORT_RANGE) -> list[FieldError]:
    """The nodePort allocator's range check (REST layer): the first out-of-range port only.

    Runs only for NodePort/LoadBalancer Services whose field validation passed, after the
    clusterIP allocation; the error is reported alone.
    """
    spec = _dict(obj.get("spec"))
    if spec.get("type") not in ("NodePort", "LoadBalancer"):
        return []
    lo, hi = node_port_range
    for i, p in enumerate(_list(spec.get("ports"))):
        np_ = _dict(p).get("nodePort")
        if not _is_int(np_) or np_ == 0:
            continue
        if not lo <= np_ <= hi:
            return [FieldError(ErrorType.Invalid, f"spec.ports[{i}].nodePort", np_,
                               f"provided port is not in the valid range. The range of valid ports is {lo}-{hi}",
                               allocation=True)]
    return []


# --------------------------------------------------------------------------------------------
# Pods and pod templates
# --------------------------------------------------------------------------------------------

_PULL_POLICIES = ["Always", "IfNotPresent", "Never"]
_RESTART_POLICIES = ["Always", "OnFailure", "Never"]
_DNS_POLICIES = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"]
_TERMINATION_MSG_POLICIES = ["File", "FallbackToLogsOnError"]
_HTTP_SCHEMES = ["HTTP", "HTTPS"]


def _validate_pod_spec(spec: dict, path: str) -> list[FieldError]:
    """ValidatePodSpec, restricted to what svcflow models (containers, ports, env, probes)."""
    out: list[FieldError] = []
    vol_names: set[str] = set()
    for i, v in enumerate(_list(spec.get("volumes"))):
        v = _dict(v)
        name = _str(v.get("name"))
        vp = f"{path}.volumes[{i}].name"
        errs: list[FieldError] = []
        if not name:
            errs.append(_required(vp))
        else:
            errs.extend(_invalid(vp, name, m) for m in is_dns1123_label(name))
        if name in vol_names:
            errs.append(_duplicate(vp, name))
        if errs:
            out.extend(errs)
        else:
            vol_names.add(name)
    containers = _list(spec.get("containers"))
    if not containers:
        out.append(_required(f"{path}.containers"))
    else:
        names: set[str] = set()
        for i, c in enumerate(containers):
            c = _dict(c)
            cp = f"{path}.containers[{i}]"
            out.extend(_validate_container(c, cp))
            cname = _str(c.get("name"))
            if cname in names:
                out.append(_duplicate(f"{cp}.name", cname))
            else:
                names.add(cname)
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                if isinstance(c.get(probe), dict):
                    out.extend(_validate_probe(c[probe], f"{cp}.{probe}", probe))
            if c.get("restartPolicy") is not None:
                out.append(_forbidden(f"{cp}.restartPolicy", "may not be set for non-init containers"))
        out.extend(_host_port_conflicts(containers, f"{path}.containers"))
    init_names = {_str(_dict(c).get("name")) for c in containers}
    for i, c in enumerate(_list(spec.get("initContainers"))):
        c = _dict(c)
        cp = f"{path}.initContainers[{i}]"
        out.extend(_validate_container(c, cp))
        cname = _str(c.get("name"))
        if cname in init_names:
            out.append(_duplicate(f"{cp}.name", cname))
        elif cname:
            init_names.add(cname)
    rp = spec.get("restartPolicy")
    if rp not in _RESTART_POLICIES:
        out.append(_required(f"{path}.restartPolicy") if not rp else _not_supported(f"{path}.restartPolicy", rp, _RESTART_POLICIES))
    dp = spec.get("dnsPolicy")
    if dp not in _DNS_POLICIES:
        out.append(_required(f"{path}.dnsPolicy") if not dp else _not_supported(f"{path}.dnsPolicy", dp, _DNS_POLICIES))
    out.extend(_validate_pod_dns_config(spec.get("dnsConfig"), dp, f"{path}.dnsConfig"))
    out.extend(validate_labels(_str_map(spec.get("nodeSelector")), f"{path}.nodeSelector"))
    sa = spec.get("serviceAccountName")
    if isinstance(sa, str) and sa:
        out.extend(_invalid(f"{path}.serviceAccountName", sa, m) for m in is_dns1123_subdomain(sa))
    nn = spec.get("nodeName")
    if isinstance(nn, str) and nn:
        out.extend(_invalid(f"{path}.nodeName", nn, m) for m in is_dns1123_subdomain(nn))
    for fld in ("hostname", "subdomain"):
        v = spec.get(fld)
        if isinstance(v, str) and v:
            out.extend(_invalid(f"{path}.{fld}", v, m) for m in is_dns1123_label(v))
    for fld in ("activeDeadlineSeconds",):
        v = spec.get(fld)
        if _is_int(v) and v <= 0:
            out.append(_invalid(f"{path}.{fld}", v, "must be greater than zero"))
    out.extend(_nonneg(spec.get("terminationGracePeriodSeconds"), f"{path}.terminationGracePeriodSeconds"))
    return out


MAX_DNS_NAMESERVERS = 3
MAX_DNS_SEARCH_PATHS = 32


def _validate_pod_dns_config(cfg: Any, policy: Any, path: str) -> list[FieldError]:
    """validatePodDNSConfig: ``None`` needs a dnsConfig with a nameserver; nameservers are
    IPs (at most 3), searches DNS subdomains (at most 32), options named."""
    out: list[FieldError] = []
    if policy == "None":
        if not isinstance(cfg, dict):
            return [_required(path, "must provide `dnsConfig` when `dnsPolicy` is None")]
        if not _list(cfg.get("nameservers")):
            return [_required(f"{path}.nameservers", "must provide at least one DNS nameserver when `dnsPolicy` is None")]
    if not isinstance(cfg, dict):
        return out
    ns = _list(cfg.get("nameservers"))
    if len(ns) > MAX_DNS_NAMESERVERS:
        out.append(_invalid(f"{path}.nameservers", list(ns), f"must not have more than {MAX_DNS_NAMESERVERS} nameservers"))
    for i, ip in enumerate(ns):
        if _parse_ip(_str(ip)) is None:
            out.append(_invalid(f"{path}.nameservers[{i}]", _str(ip), _IP_MSG))
    searches = _list(cfg.get("searches"))
    if len(searches) > MAX_DNS_SEARCH_PATHS:
        out.append(_invalid(f"{path}.searches", list(searches), f"must not have more than {MAX_DNS_SEARCH_PATHS} search paths"))
    for i, dom in enumerate(searches):
        dom = _str(dom)
        if dom == ".":
            continue
        dom = dom[:-1] if dom.endswith(".") else dom
        out.extend(_invalid(f"{path}.searches[{i}]", dom, m) for m in is_dns1123_subdomain(dom))
    for i, opt in enumerate(_list(cfg.get("options"))):
        if not _str(_dict(opt).get("name")):
            out.append(_required(f"{path}.options[{i}]", "must not be empty"))
    return out


def _validate_container(c: dict, path: str) -> list[FieldError]:
    """validateContainerCommon: name, image, ports, env, pull policy, resources."""
    out: list[FieldError] = []
    name = _str(c.get("name"))
    if not name:
        out.append(_required(f"{path}.name"))
    else:
        out.extend(_invalid(f"{path}.name", name, m) for m in is_dns1123_label(name))
    if not _str(c.get("image")):
        out.append(_required(f"{path}.image"))
    tmp = c.get("terminationMessagePolicy")
    if tmp not in _TERMINATION_MSG_POLICIES:
        out.append(_required(f"{path}.terminationMessagePolicy") if not tmp
                   else _not_supported(f"{path}.terminationMessagePolicy", tmp, _TERMINATION_MSG_POLICIES))
    out.extend(_validate_container_ports(_list(c.get("ports")), f"{path}.ports"))
    for i, ev in enumerate(_list(c.get("env"))):
        ev = _dict(ev)
        n = _str(ev.get("name"))
        ep = f"{path}.env[{i}].name"
        if not n:
            out.append(_required(ep))
        else:
            out.extend(_invalid(ep, n, m) for m in is_relaxed_env_var_name(n))
        vf = ev.get("valueFrom")
        if isinstance(vf, dict):
            srcs = sum(1 for k in ("fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef") if vf.get(k) is not None)
            vp = f"{path}.env[{i}].valueFrom"
            if srcs == 0:
                out.append(_invalid(vp, "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"))
            elif ev.get("value"):
                out.append(_invalid(vp, "", "may not be specified when `value` is not empty"))
            elif srcs > 1:
                out.append(_invalid(vp, "", "may not have more than one field specified at a time"))
    mounts: set[str] = set()
    for i, vm in enumerate(_list(c.get("volumeMounts"))):
        vm = _dict(vm)
        vp = f"{path}.volumeMounts[{i}]"
        if not _str(vm.get("name")):
            out.append(_required(f"{vp}.name"))
        mp = _str(vm.get("mountPath"))
        if not mp:
            out.append(_required(f"{vp}.mountPath"))
        elif mp in mounts:
            out.append(_invalid(f"{vp}.mountPath", mp, "must be unique"))
        mounts.add(mp)
    pp = c.get("imagePullPolicy")
    if pp not in _PULL_POLICIES:
        out.append(_required(f"{path}.imagePullPolicy") if not pp else _not_supported(f"{path}.imagePullPolicy", pp, _PULL_POLICIES))
    return out


def _validate_container_ports(ports: list, path: str) -> list[FieldError]:
    """validateContainerPorts (spec: containerPort out of range -> one Invalid cause)."""
    out: list[FieldError] = []
    names: set[str] = set()
    for i, p in enumerate(ports):
        p = _dict(p)
        ip = f"{path}[{i}]"
        name = _str(p.get("name"))
        if name:
            msgs = is_valid_port_name(name)
            if msgs:
                out.extend(_invalid(f"{ip}.name", name, m) for m in msgs)
            elif name in names:
                out.append(_duplicate(f"{ip}.name", name))
            else:
                names.add(name)
        cp = p.get("containerPort", 0)
        if cp == 0 or cp is None:
            out.append(_required(f"{ip}.containerPort"))
        elif _is_int(cp):
            out.extend(_invalid(f"{ip}.containerPort", cp, m) for m in is_valid_port_num(cp))
        hp = p.get("hostPort", 0)
        if _is_int(hp) and hp != 0:
            out.extend(_invalid(f"{ip}.hostPort", hp, m) for m in is_valid_port_num(hp))
        proto = p.get("protocol")
        if not proto:
            out.append(_required(f"{ip}.protocol"))
        elif proto not in _PROTOCOLS:
            out.append(_not_supported(f"{ip}.protocol", proto, _PROTOCOLS))
    return out


def _host_port_conflicts(containers: list, path: str) -> list[FieldError]:
    """checkHostPortConflicts: the same hostPort/protocol/hostIP twice in one pod."""
    out: list[FieldError] = []
    seen: set[str] = set()
    for ci, c in enumerate(containers):
        for pi, p in enumerate(_list(_dict(c).get("ports"))):
            p = _dict(p)
            hp = p.get("hostPort", 0)
            if not _is_int(hp) or hp == 0:
                continue
            key = f"{_str(p.get('hostIP'))}/{_str(p.get('protocol'))}/{hp}"
            if key in seen:
                out.append(_duplicate(f"{path}[{ci}].ports[{pi}].hostPort", GoLiteral(key)))
            seen.add(key)
    return out


def _validate_probe(pr: dict, path: str, which: str) -> list[FieldError]:
    out: list[FieldError] = []
    handlers = [k for k in ("exec", "httpGet", "tcpSocket", "grpc") if pr.get(k) is not None]
    if not handlers:
        out.append(_required(path, "must specify a handler type"))
    for n, k in enumerate(handlers):
        hp = f"{path}.{k}"
        if n > 0:
            out.append(_forbidden(hp, "may not specify more than 1 handler type"))
            continue
        h = _dict(pr.get(k))
        if k == "exec" and not _list(h.get("command")):
            out.append(_required(f"{hp}.command"))
        elif k == "httpGet":
            if not _str(h.get("path")):
                out.append(_required(f"{hp}.path"))
            out.extend(_validate_port_num_or_name(h.get("port", 0), f"{hp}.port"))
            sch = h.get("scheme")
            if sch not in _HTTP_SCHEMES:
                out.append(_not_supported(f"{hp}.scheme", sch if sch is not None else "", _HTTP_SCHEMES))
        elif k == "tcpSocket":
            out.extend(_validate_port_num_or_name(h.get("port", 0), f"{hp}.port"))
        elif k == "grpc":
            out.extend(_validate_port_num_or_name(h.get("port", 0), f"{hp}.port"))
    for k in ("initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold"):
        out.extend(_nonneg(pr.get(k), f"{path}.{k}"))
    st = pr.get("successThreshold")
    if which in ("livenessProbe", "startupProbe") and _is_int(st) and st != 1:
        out.append(_invalid(f"{path}.successThreshold", st, "must be 1"))
    return out


def _validate_pod(pod: dict) -> list[FieldError]:
    spec = _dict(pod.get("spec"))
    out = _validate_object_meta(pod, _name_is_dns_subdomain)
    out.extend(_validate_pod_spec(spec, "spec"))
    # Pods (not templates) also require hostPort == containerPort under hostNetwork.
    if spec.get("hostNetwork"):
        for ci, c in enumerate(_list(spec.get("containers"))):
            for pi, p in enumerate(_list(_dict(c).get("ports"))):
                p = _dict(p)
                hp, cp = p.get("hostPort", 0), p.get("containerPort", 0)
                if hp != cp and hp is not None:
                    out.append(_invalid(f"spec.containers[{ci}].ports[{pi}].hostPort", hp,
                                        "must match `containerPort` when `hostNetwork` is true"))
    return out


# --------------------------------------------------------------------------------------------
# Label selectors
# --------------------------------------------------------------------------------------------

_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


def _selector_string(sel: dict) -> GoLiteral:
    """gogo-protobuf String() of *metav1.LabelSelector (it is a Stringer, so errors print this)."""
    ml = _str_map(sel.get("matchLabels")) or {}
    labels = "map[string]string{" + "".join(f"{k}: {ml[k]}," for k in sorted(ml)) + "}"
    reqs = ""
    for r in _list(sel.get("matchExpressions")):
        r = _dict(r)
        vals = "[" + " ".join(str(v) for v in _list(r.get("values"))) + "]"
        reqs += f"LabelSelectorRequirement{{Key:{_str(r.get('key'))},Operator:{_str(r.get('operator'))},Values:{vals},}},"
    return GoLiteral(f"&LabelSelector{{MatchLabels:{labels},MatchExpressions:[]LabelSelectorRequirement{{{reqs}}},}}")


def _validate_label_selector(sel: Any, path: str) -> list[FieldError]:
    """ValidateLabelSelector (strict values)."""
    if not isinstance(sel, dict):
        return []
    out: list[FieldError] = []
    for i, r in enumerate(_list(sel.get("matchExpressions"))):
        r = _dict(r)
        rp = f"{path}.matchExpressions[{i}]"
        op, vals = r.get("operator"), _list(r.get("values"))
        if op in ("In", "NotIn"):
            if not vals:
                out.append(_required(f"{rp}.values", "must be specified when `operator` is 'In' or 'NotIn'"))
        elif op in ("Exists", "DoesNotExist"):
            if vals:
                out.append(_forbidden(f"{rp}.values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
        else:
            out.append(_invalid(f"{rp}.operator", op if op is not None else "", "not a valid selector operator"))
        key = _str(r.get("key"))
        out.extend(_invalid(f"{rp}.key", key, m) for m in is_qualified_name(key))
        for j, v in enumerate(vals):
            sv = v if isinstance(v, str) else str(v)
            out.extend(_invalid(f"{rp}.values[{j}]", sv, m) for m in is_valid_label_value(sv))
    out.extend(validate_labels(_str_map(sel.get("matchLabels")), f"{path}.matchLabels"))
    return out


def selector_matches(sel: Any, labels: dict[str, str] | None) -> bool | None:
    """metav1.LabelSelectorAsSelector(sel).Matches(labels).

    ``None`` selector -> labels.Nothing() (matches nothing); empty selector -> Everything.
    Returns None when the selector cannot be converted (invalid operator/key/value).
    """
    if sel is None:
        return False
    if not isinstance(sel, dict):
        return None
    labels = labels or {}
    ml = _str_map(sel.get("matchLabels")) or {}
    for k, v in ml.items():
        if is_qualified_name(k) or is_valid_label_value(v):
            return None
        if labels.get(k) != v:
            return False
    for r in _list(sel.get("matchExpressions")):
        r = _dict(r)
        op, key = r.get("operator"), _str(r.get("key"))
        vals = [v if isinstance(v, str) else str(v) for v in _list(r.get("values"))]
        if op not in _OPERATORS or is_qualified_name(key):
            return None
        if op in ("In", "NotIn") and (not vals or any(is_valid_label_value(v) for v in vals)):
            return None
        if op in ("Exists", "DoesNotExist") and vals:
            return None
        present = key in labels
        if op == "In" and (not present or labels[key] not in vals):
            return False
        if op == "NotIn" and present and labels[key] in vals:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


# --------------------------------------------------------------------------------------------
# Deployment / ReplicaSet / DaemonSet
# --------------------------------------------------------------------------------------------


def _percent_value(v: Any) -> tuple[int, bool]:
    if isinstance(v, str) and not is_valid_percent(v):
        return int(v[:-1]), True
    return 0, False


def _int_or_percent(v: Any) -> int:
    pv, ok = _percent_value(v)
    if ok:
        return pv
    if _is_int(v):
        return v
    if isinstance(v, str):
        try:
            return int(v)
        except ValueError:
            return 0
    return 0


def _validate_positive_int_or_percent(v: Any, path: str) -> list[FieldError]:
    if isinstance(v, str):
        return [_invalid(path, _intstr_repr(v), m) for m in is_valid_percent(v)]
    if _is_int(v):
        return _nonneg(v, path)
    return []


def _not_more_than_100(v: Any, path: str) -> list[FieldError]:
    pv, ok = _percent_value(v)
    if ok and pv > 100:
        return [_invalid(path, _intstr_repr(v), "must not be greater than 100%")]
    return []


def _validate_template_for_rs(spec: dict, path: str, owner: str) -> list[FieldError]:
    """ValidatePodTemplateSpecForReplicaSet: selector/labels match, template, restartPolicy.

    An unconvertible selector short-circuits to ``spec.selector: Invalid value: ...: invalid label
    selector`` exactly like ValidateDeploymentSpec; a missing selector is labels.Nothing(), so it
    never matches (hence the second cause in D.1's "missing selector" case).
    """
    tmpl = _dict(spec.get("template"))
    tmeta = _dict(tmpl.get("metadata"))
    tlabels = _str_map(tmeta.get("labels"))
    sel = spec.get("selector")
    m = selector_matches(sel, tlabels)
    if m is None:
        return [_invalid("spec.selector", _selector_string(_dict(sel)), "invalid label selector")]
    out: list[FieldError] = []
    empty = isinstance(sel, dict) and not sel.get("matchLabels") and not sel.get("matchExpressions")
    if not empty and not m:
        out.append(_invalid(f"{path}.metadata.labels", _labels_literal(tlabels), "`selector` does not match template `labels`"))
    # ValidatePodTemplateSpec: note upstream validates template labels at "<path>.labels".
    out.extend(validate_labels(tlabels, f"{path}.labels"))
    out.extend(_validate_annotations(tmeta.get("annotations"), f"{path}.annotations"))
    tspec = _dict(tmpl.get("spec"))
    out.extend(_validate_pod_spec(tspec, f"{path}.spec"))
    rp = tspec.get("restartPolicy")
    if rp != "Always":
        out.append(_not_supported(f"{path}.spec.restartPolicy", rp if rp is not None else "", ["Always"]))
    if tspec.get("activeDeadlineSeconds") is not None:
        out.append(_forbidden(f"{path}.spec.activeDeadlineSeconds", f"activeDeadlineSeconds in {owner} is not Supported"))
    return out


def _validate_selector_required(spec: dict, owner: str) -> list[FieldError]:
    sel = spec.get("selector")
    if sel is None:
        return [_required("spec.selector")]
    out = _validate_label_selector(sel, "spec.selector")
    if isinstance(sel, dict) and not sel.get("matchLabels") and not sel.get("matchExpressions"):
        out.append(_invalid("spec.selector", _selector_string(sel), f"empty selector is invalid for {owner}"))
    return out


def _validate_deployment(d: dict) -> list[FieldError]:
    spec = _dict(d.get("spec"))
    out = _validate_object_meta(d, _name_is_dns_subdomain)
    out.extend(_nonneg(spec.get("replicas"), "spec.replicas"))
    out.extend(_validate_selector_required(spec, "deployment"))
    out.extend(_validate_template_for_rs(spec, "spec.template", "ReplicaSet"))
    st = _dict(spec.get("strategy"))
    typ = st.get("type")
    if typ == "Recreate":
        if st.get("rollingUpdate") is not None:
            out.append(_forbidden("spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'"))
    elif typ == "RollingUpdate":
        ru = _dict(st.get("rollingUpdate"))
        mu, ms = ru.get("maxUnavailable"), ru.get("maxSurge")
        out.extend(_validate_positive_int_or_percent(mu, "spec.strategy.rollingUpdate.maxUnavailable"))
        out.extend(_validate_positive_int_or_percent(ms, "spec.strategy.rollingUpdate.maxSurge"))
        if _int_or_percent(mu) == 0 and _int_or_percent(ms) == 0:
            out.append(_invalid("spec.strategy.rollingUpdate.maxUnavailable", _intstr_repr(mu), "may not be 0 when `maxSurge` is 0"))
        out.extend(_not_more_than_100(mu, "spec.strategy.rollingUpdate.maxUnavailable"))
    else:
        lit = GoLiteral("apps.DeploymentStrategy{Type:" + go_quote(_str(typ)) + ", RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}")
        out.append(_not_supported("spec.strategy", lit, ["Recreate", "RollingUpdate"]))
    out.extend(_nonneg(spec.get("minReadySeconds"), "spec.minReadySeconds"))
    out.extend(_nonneg(spec.get("revisionHistoryLimit"), "spec.revisionHistoryLimit"))
    pds = spec.get("progressDeadlineSeconds")
    if _is_int(pds):
        out.extend(_nonneg(pds, "spec.progressDeadlineSeconds"))
        mrs = spec.get("minReadySeconds", 0)
        if _is_int(mrs) and pds <= mrs:
            out.append(_invalid("spec.progressDeadlineSeconds", pds, "must be greater than minReadySeconds"))
    return out


def _validate_replicaset(rs: dict) -> list[FieldError]:
    spec = _dict(rs.get("spec"))
    out = _validate_object_meta(rs, _name_is_dns_subdomain)
    out.extend(_nonneg(spec.get("replicas"), "spec.replicas"))
    out.extend(_nonneg(spec.get("minReadySeconds"), "spec.minReadySeconds"))
    out.extend(_validate_selector_required(spec, "deployment"))  # upstream says "deployment" here too
    out.extend(_validate_template_for_rs(spec, "spec.template", "ReplicaSet"))
    return out


def _validate_daemonset(ds: dict) -> list[FieldError]:
    spec = _dict(ds.get("spec"))
    out = _validate_object_meta(ds, _name_is_dns_subdomain)
    sel = spec.get("selector")
    out.extend(_validate_label_selector(sel, "spec.selector"))
    tmpl = _dict(spec.get("template"))
    tmeta = _dict(tmpl.get("metadata"))
    tlabels = _str_map(tmeta.get("labels"))
    m = selector_matches(sel, tlabels)
    if m is False:
        out.append(_invalid("spec.template.metadata.labels", _labels_literal(tlabels), "`selector` does not match template `labels`"))
    if isinstance(sel, dict) and not sel.get("matchLabels") and not sel.get("matchExpressions"):
        out.append(_invalid("spec.selector", _selector_string(sel), "empty selector is invalid for daemonset"))
    out.extend(validate_labels(tlabels, "spec.template.labels"))
    out.extend(_validate_annotations(tmeta.get("annotations"), "spec.template.annotations"))
    tspec = _dict(tmpl.get("spec"))
    out.extend(_validate_pod_spec(tspec, "spec.template.spec"))
    rp = tspec.get("restartPolicy")
    if rp != "Always":
        out.append(_not_supported("spec.template.spec.restartPolicy", rp if rp is not None else "", ["Always"]))
    if tspec.get("activeDeadlineSeconds") is not None:
        out.append(_forbidden("spec.template.spec.activeDeadlineSeconds", "activeDeadlineSeconds in DaemonSet is not Supported"))
    out.extend(_nonneg(spec.get("minReadySeconds"), "spec.minReadySeconds"))
    us = _dict(spec.get("updateStrategy"))
    if us.get("type") == "RollingUpdate":
        ru = _dict(us.get("rollingUpdate"))
        mu, ms = ru.get("maxUnavailable"), ru.get("maxSurge")
        p = "spec.updateStrategy.rollingUpdate"
        out.extend(_validate_positive_int_or_percent(mu, f"{p}.maxUnavailable"))
        out.extend(_validate_positive_int_or_percent(ms, f"{p}.maxSurge"))
        out.extend(_not_more_than_100(mu, f"{p}.maxUnavailable"))
        out.extend(_not_more_than_100(ms, f"{p}.maxSurge"))
        hu, hs = _int_or_percent(mu) != 0, _int_or_percent(ms) != 0
        if hu and hs:
            out.append(_invalid(f"{p}.maxSurge", _intstr_repr(ms), "may not be set when maxUnavailable is non-zero"))
        elif not hu and not hs:
            out.append(_required(f"{p}.maxUnavailable", "cannot be 0 when maxSurge is 0"))
    elif us.get("type") != "OnDelete":
        out.append(_not_supported("spec.updateStrategy",
                                  GoLiteral("apps.DaemonSetUpdateStrategy{Type:" + go_quote(_str(us.get("type")))
                                            + ", RollingUpdate:(*apps.RollingUpdateDaemonSet)(nil)}"),
                                  ["RollingUpdate", "OnDelete"]))
    return out


# --------------------------------------------------------------------------------------------
# Namespace, Node, ConfigMap, Endpoints, EndpointSlice
# --------------------------------------------------------------------------------------------


def _validate_namespace(obj: dict) -> list[FieldError]:
    return _validate_object_meta(obj, _name_is_dns1123_label)


_TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"]
CIDR_MSG = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"


def parse_cidr_sloppy(value: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """netutils.ParseCIDRSloppy: ``ip/prefix`` with a decimal prefix, leading zeros allowed in
    IPv4 octets and the prefix, bits beyond the prefix allowed (and masked off).  None when
    it does not parse."""
    if not isinstance(value, str) or value.count("/") != 1:
        return None
    ip, _, prefix = value.partition("/")
    if not prefix.isascii() or not prefix.isdigit():
        return None
    if "." in ip and ":" not in ip:
        octets = ip.split(".")
        if len(octets) != 4 or not all(o.isascii() and o.isdigit() and len(o) <= 3 for o in octets):
            return None
        ip = ".".join(str(int(o)) for o in octets)
    try:
        return ipaddress.ip_network(f"{ip}/{int(prefix)}", strict=False)
    except ValueError:
        return None


def node_pod_cidrs(spec: Any) -> list:
    """The Node's podCIDRs as the API server holds them: v1 ``podCIDR`` alone is mirrored into
    ``podCIDRs`` by the v1 -> internal conversion (Convert_v1_NodeSpec_To_core_NodeSpec)."""
    spec = _dict(spec)
    cidrs = _list(spec.get("podCIDRs"))
    if not cidrs and isinstance(spec.get("podCIDR"), str) and spec["podCIDR"]:
        cidrs = [spec["podCIDR"]]
    return cidrs


def _validate_node_taints(taints: list, path: str) -> list[FieldError]:
    """validateNodeTaints (upstream passes ``metadata.taints``, so that is the path kubectl shows)."""
    out: list[FieldError] = []
    seen: dict[str, set[str]] = {}
    for i, t in enumerate(taints):
        t = _dict(t)
        ip = f"{path}[{i}]"
        key, value, effect = _str(t.get("key")), _str(t.get("value")), _str(t.get("effect"))
        out.extend(_invalid(f"{ip}.key", key, m) for m in is_qualified_name(key))
        errs = is_valid_label_value(value)
        if errs:
            out.append(_invalid(f"{ip}.value", value, ";".join(errs)))
        if not effect:
            out.append(_required(f"{ip}.effect"))
        elif effect not in _TAINT_EFFECTS:
            out.append(_not_supported(f"{ip}.effect", effect, _TAINT_EFFECTS))
        if key in seen.get(effect, set()):
            lit = GoLiteral(f"core.Taint{{Key:{go_quote(key)}, Value:{go_quote(value)}, Effect:{go_quote(effect)}, "
                            "TimeAdded:(*v1.Time)(nil)}")
            out.append(FieldError(ErrorType.Duplicate, ip, lit, "taints must be unique by key and effect pair"))
            continue
        seen.setdefault(effect, set()).add(key)
    return out


def _validate_node(obj: dict) -> list[FieldError]:
    out = _validate_object_meta(obj, _name_is_dns_subdomain)
    spec = _dict(obj.get("spec"))
    taints = _list(spec.get("taints"))
    if taints:
        out.extend(_validate_node_taints(taints, "metadata.taints"))
    cidrs = node_pod_cidrs(spec)
    for i, cidr in enumerate(cidrs):
        if parse_cidr_sloppy(cidr) is None:
            out.append(_invalid(f"spec.podCIDRs[{i}]", cidr, CIDR_MSG))
    if len(cidrs) > 1 and len(out) == 0:
        nets = [parse_cidr_sloppy(c) for c in cidrs]
        if len(cidrs) > 2 or len({n.version for n in nets if n is not None}) != len(cidrs):
            out.append(_invalid("spec.podCIDRs", list(cidrs), "may specify no more than one CIDR for each IP family"))
    return out


def _validate_configmap(obj: dict) -> list[FieldError]:
    out = _validate_object_meta(obj, _name_is_dns_subdomain)
    data = _dict(obj.get("data"))
    binary = _dict(obj.get("binaryData"))
    total = 0
    for k in sorted(data, key=str):
        ks = str(k)
        out.extend(_invalid(f"data[{ks}]", ks, m) for m in is_config_map_key(ks))
        if ks in binary:
            out.append(_invalid(f"data[{ks}]", ks, "duplicate of key present in binaryData"))
        total += _blen(str(data[k]))
    for k in sorted(binary, key=str):
        ks = str(k)
        out.extend(_invalid(f"binaryData[{ks}]", ks, m) for m in is_config_map_key(ks))
        total += _blen(str(binary[k]))
    if total > 1024 * 1024:
        out.append(FieldError(ErrorType.TooLong, "", "", f"must have at most {1024 * 1024} bytes"))
    return out


def _validate_endpoints(obj: dict) -> list[FieldError]:
    """ValidateEndpoints (create). [best effort: restated from memory of upstream]"""
    out = _validate_object_meta(obj, _name_is_dns_subdomain)
    for i, ss in enumerate(_list(obj.get("subsets"))):
        ss = _dict(ss)
        sp = f"subsets[{i}]"
        addrs, nready = _list(ss.get("addresses")), _list(ss.get("notReadyAddresses"))
        if not addrs and not nready:
            out.append(_required(sp, "must specify `addresses` or `notReadyAddresses`"))
        for key, lst in (("addresses", addrs), ("notReadyAddresses", nready)):
            for j, a in enumerate(lst):
                a = _dict(a)
                ap = f"{sp}.{key}[{j}]"
                ip = _str(a.get("ip"))
                errs = is_valid_ip(f"{ap}.ip", ip)
                out.extend(errs)
                hn = a.get("hostname")
                if isinstance(hn, str) and hn:
                    out.extend(_invalid(f"{ap}.hostname", hn, m) for m in is_dns1123_label(hn))
                nn = a.get("nodeName")
                if isinstance(nn, str):
                    out.extend(_invalid(f"{ap}.nodeName", nn, m) for m in is_dns1123_subdomain(nn))
                if not errs:
                    out.extend(_non_special_ip(f"{ap}.ip", ip))
        ports = _list(ss.get("ports"))
        for j, p in enumerate(ports):
            p = _dict(p)
            pp = f"{sp}.ports[{j}]"
            name = _str(p.get("name"))
            if len(ports) > 1 and not name:
                out.append(_required(f"{pp}.name"))
            elif name:
                out.extend(_invalid(f"{pp}.name", name, m) for m in is_dns1123_label(name))
            port = p.get("port", 0)
            if _is_int(port):
                out.extend(_invalid(f"{pp}.port", port, m) for m in is_valid_port_num(port))
            proto = p.get("protocol") or "TCP"  # defaulted
            if proto not in _PROTOCOLS:
                out.append(_not_supported(f"{pp}.protocol", proto, _PROTOCOLS))
    return out


_ADDRESS_TYPES = ["IPv4", "IPv6", "FQDN"]


def _validate_endpointslice(obj: dict) -> list[FieldError]:
    """ValidateEndpointSlice (create), basics. [best effort: restated from memory of upstream]"""
    out = _validate_object_meta(obj, _name_is_dns_subdomain)
    at = obj.get("addressType")
    if not at:
        out.append(_required("addressType"))
    elif at not in _ADDRESS_TYPES:
        out.append(_not_supported("addressType", at, _ADDRESS_TYPES))
    for i, ep in enumerate(_list(obj.get("endpoints"))):
        ep = _dict(ep)
        p = f"endpoints[{i}]"
        addrs = _list(ep.get("addresses"))
        if not addrs:
            out.append(_required(f"{p}.addresses", "must contain at least 1 address"))
        elif len(addrs) > 100:
            out.append(FieldError(ErrorType.TooMany, f"{p}.addresses", len(addrs), "must have at most 100 items"))
        for j, a in enumerate(addrs):
            a = a if isinstance(a, str) else ""
            ap = f"{p}.addresses[{j}]"
            ip = _parse_ip(a)
            if at == "IPv4" and (ip is None or ip.version != 4):
                out.append(_invalid(ap, a, "must be a valid IPv4 address"))
            elif at == "IPv6" and (ip is None or ip.version != 6):
                out.append(_invalid(ap, a, "must be a valid IPv6 address"))
            elif at == "FQDN":
                out.extend(_invalid(ap, a, m) for m in is_dns1123_subdomain(a))
        hn = ep.get("hostname")
        if isinstance(hn, str):
            out.extend(_invalid(f"{p}.hostname", hn, m) for m in is_dns1123_label(hn))
        nn = ep.get("nodeName")
        if isinstance(nn, str):
            out.extend(_invalid(f"{p}.nodeName", nn, m) for m in is_dns1123_subdomain(nn))
    names: set[str] = set()
    ports = _list(obj.get("ports"))
    for i, pt in enumerate(ports):
        pt = _dict(pt)
        pp = f"ports[{i}]"
        name = pt.get("name")
        if isinstance(name, str) and name:
            out.extend(_invalid(f"{pp}.name", name, m) for m in is_dns1123_label(name))
        if isinstance(name, str) or name is None:
            key = name or ""
            if key in names:
                out.append(_duplicate(f"{pp}.name", key))
            names.add(key)
        proto = pt.get("protocol")
        if proto is not None and proto not in _PROTOCOLS:
            out.append(_not_supported(f"{pp}.protocol", proto, _PROTOCOLS))
        port = pt.get("port")
        if _is_int(port) and not 0 <= port <= 65535:
            out.append(_invalid(f"{pp}.port", port, _inclusive_range_error(0, 65535)))
    return out


# --------------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------------

_VALIDATORS = {
    ("v1", "Service"): _validate_service,
    ("v1", "Pod"): _validate_pod,
    ("v1", "Namespace"): _validate_namespace,
    ("v1", "Node"): _validate_node,
    ("v1", "ConfigMap"): _validate_configmap,
    ("v1", "Endpoints"): _validate_endpoints,
    ("apps/v1", "Deployment"): _validate_deployment,
    ("apps/v1", "ReplicaSet"): _validate_replicaset,
    ("apps/v1", "DaemonSet"): _validate_daemonset,
    ("discovery.k8s.io/v1", "EndpointSlice"): _validate_endpointslice,
}


def validate(
    obj: dict,
    node_port_range: tuple[int, int] = DEFAULT_NODE_PORT_RANGE,
    *,
    check_allocation: bool = True,
    defaulted: bool = False,
) -> list[FieldError]:
    """Validate one object as kube-apiserver would on create.

    The server validates what SetDefaults made of the request: the API server's write path
    defaults once (engine.api.defaults) and passes ``defaulted=True``; any other caller hands
    in a manifest as written and a defaulted copy is validated.

    Returns the field errors (all causes, upstream order).  When there are none and
    ``check_allocation`` is true, returns the nodePort range error (alone) if any - the engine
    that allocates clusterIPs first should pass ``check_allocation=False`` and call
    ``validate_node_port_range`` after its own clusterIP allocation.  Kinds svcflow does not
    model return ``[]``.
    """
    if not isinstance(obj, dict):
        return []
    fn = _VALIDATORS.get((obj.get("apiVersion"), obj.get("kind")))
    if fn is None:
        return []
    if not defaulted:
        obj = with_defaults(obj)
    errs = fn(obj)
    if errs or not check_allocation:
        return errs
    if obj.get("kind") == "Service":
        return validate_node_port_range(obj, node_port_range)
    return []


def _dedupe(errors: Iterable[Any]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for e in errors:
        s = str(e)
        if s not in seen:
            seen.add(s)
            out.append(s)
    return out


def format_invalid(kind: str, name: str, errors: Sequence[FieldError | str]) -> str:
    """kubectl's rendering of an ``Invalid`` status (``checkErr``), without the final newline.

    One cause: ``The Service "x" is invalid: spec.ports: Required value``.  Several: a header
    ending in ``": "`` (trailing space kept) then one ``* <cause>`` line each.  Duplicate causes are
    collapsed (``statusCausesToAggrError``).
    """
    head = f"The {kind} {go_quote(name)} is invalid"
    causes = _dedupe(errors)
    if not causes:
        return head
    if len(causes) == 1:
        return f"{head}: {causes[0]}"
    return f"{head}: \n" + "\n".join(f"* {c}" for c in causes)


def aggregate_message(messages: Sequence[str]) -> str:
    """utilerrors.Aggregate.Error(): one message as is, several as ``[a, b]`` (deduplicated)."""
    msgs = _dedupe(messages)
    if not msgs:
        return ""
    if len(msgs) == 1:
        return msgs[0]
    return "[" + ", ".join(msgs) + "]"


def format_invalid_status_message(kind: str, group: str, name: str, errors: Sequence[FieldError | str]) -> str:
    """The Status.message of ``NewInvalid``: ``Deployment.apps "x" is invalid: <aggregate>``.

    kubectl shows this text (not ``format_invalid``) when several errors are printed together.
    """
    qk = f"{kind}.{group}" if group else kind
    agg = aggregate_message([str(e) for e in errors])
    if not agg:
        return f"{qk} {go_quote(name)} is invalid"
    return f"{qk} {go_quote(name)} is invalid: {agg}"


@dataclass
class ApiError:
    """A failed API request as kubectl received it, for ``kubectl_error_output``.

    ``reason`` is the Status reason (``Invalid``, ``BadRequest``, ``AlreadyExists``...).  For
    ``Invalid`` fill ``kind``/``group``/``name``/``causes``; otherwise ``message`` is the server's
    Status.message (e.g. ``services "redis" already exists``).  ``source`` and ``verb`` are what
    kubectl's ``AddSourceToErr`` adds (``error when creating "redis.yaml": ``).
    """

    reason: str
    message: str = ""
    kind: str = ""
    group: str = ""
    name: str = ""
    causes: list[FieldError] = field(default_factory=list)
    source: str = ""
    verb: str = "creating"

    def status_message(self) -> str:
        msg = self.message
        if self.reason == "Invalid" and not msg:
            msg = format_invalid_status_message(self.kind, self.group, self.name, self.causes)
        if self.source:
            msg = f"error when {self.verb} {go_quote(self.source)}: {msg}"
        return msg

    def standalone(self) -> str:
        """How kubectl prints it when it is the only error (``checkErr``)."""
        if self.reason == "Invalid":
            return format_invalid(self.kind, self.name, self.causes)
        return self.in_list()

    def in_list(self) -> str:
        """How kubectl prints it among several errors (``StandardErrorMessage``)."""
        if self.reason == "Unauthorized":
            return f"error: You must be logged in to the server ({self.status_message()})"
        return f"Error from server ({self.reason}): {self.status_message()}"


def kubectl_error_output(load_errors: Sequence[str], api_errors: Sequence[ApiError]) -> str:
    """stderr of ``kubectl apply -f`` (``create -f`` alike) for the errors it collected.

    ``load_errors`` are the builder's messages *without* the ``error: `` prefix (ManifestError
    ``.detail``), in file order; ``api_errors`` the failed requests in apply order.  Mirrors
    ``checkErr``: a single error prints standalone (``error: `` prefix / ``The X "y" is invalid``);
    several print one per line via ``MultipleErrors`` - where the builder's own errors are one
    aggregate (``[a, b]`` when more than one).  Returns "" when there is nothing to print; no
    trailing newline.
    """
    top: list[Any] = []
    if load_errors:
        top.append(list(load_errors))
    top.extend(api_errors)
    if not top:
        return ""
    if len(top) == 1 and isinstance(top[0], list):
        items = _dedupe(top[0])
        if len(items) == 1:
            msg = items[0]
            return msg if msg.startswith("error: ") else "error: " + msg
        return "\n".join(items)
    if len(top) == 1:
        return top[0].standalone()
    lines: list[str] = []
    for t in top:
        lines.append(aggregate_message(t) if isinstance(t, list) else t.in_list())
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Strict decoding: unknown fields
# --------------------------------------------------------------------------------------------

# Schema: type name -> {field: spec}; spec is None (leaf / opaque map), "Type" (object) or
# ["Type"] (list of objects).  Opaque subtrees accept anything, so only the places learners
# actually mistype are strict; everything named here follows the v1.33 API.
_S: dict[str, dict[str, Any]] = {
    "ObjectMeta": dict.fromkeys(
        "name generateName namespace selfLink uid resourceVersion generation creationTimestamp "
        "deletionTimestamp deletionGracePeriodSeconds labels annotations ownerReferences finalizers "
        "managedFields".split()),
    "LabelSelector": {"matchLabels": None, "matchExpressions": ["LabelSelectorRequirement"]},
    "LabelSelectorRequirement": dict.fromkeys(["key", "operator", "values"]),
    "ServiceSpec": {
        **dict.fromkeys(
            "selector clusterIP clusterIPs type externalIPs sessionAffinity loadBalancerIP "
            "loadBalancerSourceRanges externalName externalTrafficPolicy healthCheckNodePort "
            "publishNotReadyAddresses sessionAffinityConfig ipFamilies ipFamilyPolicy "
            "allocateLoadBalancerNodePorts loadBalancerClass internalTrafficPolicy trafficDistribution".split()),
        "ports": ["ServicePort"],
    },
    "ServicePort": dict.fromkeys(["name", "protocol", "appProtocol", "port", "targetPort", "nodePort"]),
    "DeploymentSpec": {
        **dict.fromkeys(["replicas", "minReadySeconds", "revisionHistoryLimit", "paused", "progressDeadlineSeconds"]),
        "selector": "LabelSelector", "template": "PodTemplateSpec", "strategy": "DeploymentStrategy",
    },
    "DeploymentStrategy": {"type": None, "rollingUpdate": "RollingUpdate"},
    "RollingUpdate": dict.fromkeys(["maxUnavailable", "maxSurge"]),
    "ReplicaSetSpec": {**dict.fromkeys(["replicas", "minReadySeconds"]), "selector": "LabelSelector",
                       "template": "PodTemplateSpec"},
    "DaemonSetSpec": {**dict.fromkeys(["minReadySeconds", "revisionHistoryLimit"]), "selector": "LabelSelector",
                      "template": "PodTemplateSpec", "updateStrategy": "DaemonSetUpdateStrategy"},
    "DaemonSetUpdateStrategy": {"type": None, "rollingUpdate": "RollingUpdate"},
    "PodTemplateSpec": {"metadata": "ObjectMeta", "spec": "PodSpec"},
    "PodSpec": {
        **dict.fromkeys(
            "ephemeralContainers restartPolicy terminationGracePeriodSeconds activeDeadlineSeconds dnsPolicy "
            "nodeSelector serviceAccountName serviceAccount automountServiceAccountToken nodeName hostNetwork "
            "hostPID hostIPC shareProcessNamespace securityContext imagePullSecrets hostname subdomain affinity "
            "schedulerName tolerations hostAliases priorityClassName priority dnsConfig readinessGates "
            "runtimeClassName enableServiceLinks preemptionPolicy overhead topologySpreadConstraints "
            "setHostnameAsFQDN os hostUsers schedulingGates resourceClaims resources".split()),
        "volumes": ["Volume"], "initContainers": ["Container"], "containers": ["Container"],
    },
    "Volume": dict.fromkeys(
        "name hostPath emptyDir gcePersistentDisk awsElasticBlockStore gitRepo secret nfs iscsi glusterfs "
        "persistentVolumeClaim rbd flexVolume cinder cephfs flocker downwardAPI fc azureFile configMap "
        "vsphereVolume quobyte azureDisk photonPersistentDisk projected portworxVolume scaleIO storageos csi "
        "ephemeral image".split()),
    "Container": {
        **dict.fromkeys(
            "name image command args workingDir resizePolicy restartPolicy volumeDevices terminationMessagePath "
            "terminationMessagePolicy imagePullPolicy securityContext stdin stdinOnce tty".split()),
        "ports": ["ContainerPort"], "envFrom": ["EnvFromSource"], "env": ["EnvVar"],
        "resources": "ResourceRequirements", "volumeMounts": ["VolumeMount"],
        "livenessProbe": "Probe", "readinessProbe": "Probe", "startupProbe": "Probe", "lifecycle": "Lifecycle",
    },
    "ContainerPort": dict.fromkeys(["name", "hostPort", "containerPort", "protocol", "hostIP"]),
    "EnvVar": {"name": None, "value": None, "valueFrom": "EnvVarSource"},
    "EnvVarSource": {"fieldRef": "ObjectFieldSelector", "resourceFieldRef": "ResourceFieldSelector",
                     "configMapKeyRef": "KeySelector", "secretKeyRef": "KeySelector"},
    "ObjectFieldSelector": dict.fromkeys(["apiVersion", "fieldPath"]),
    "ResourceFieldSelector": dict.fromkeys(["containerName", "resource", "divisor"]),
    "KeySelector": dict.fromkeys(["name", "key", "optional"]),
    "EnvFromSource": {"prefix": None, "configMapRef": "EnvFromRef", "secretRef": "EnvFromRef"},
    "EnvFromRef": dict.fromkeys(["name", "optional"]),
    "ResourceRequirements": dict.fromkeys(["limits", "requests", "claims"]),
    "VolumeMount": dict.fromkeys(
        ["name", "readOnly", "recursiveReadOnly", "mountPath", "subPath", "mountPropagation", "subPathExpr"]),
    "Probe": {
        **dict.fromkeys(["initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold",
                         "failureThreshold", "terminationGracePeriodSeconds"]),
        "exec": "ExecAction", "httpGet": "HTTPGetAction", "tcpSocket": "TCPSocketAction", "grpc": "GRPCAction",
    },
    "ExecAction": {"command": None},
    "HTTPGetAction": {**dict.fromkeys(["path", "port", "host", "scheme"]), "httpHeaders": ["HTTPHeader"]},
    "HTTPHeader": dict.fromkeys(["name", "value"]),
    "TCPSocketAction": dict.fromkeys(["port", "host"]),
    "GRPCAction": dict.fromkeys(["port", "service"]),
    "Lifecycle": {"postStart": "LifecycleHandler", "preStop": "LifecycleHandler", "stopSignal": None},
    "LifecycleHandler": {"exec": "ExecAction", "httpGet": "HTTPGetAction", "tcpSocket": "TCPSocketAction",
                         "sleep": "SleepAction"},
    "SleepAction": {"seconds": None},
    "PodStatus": None,
    "NamespaceSpec": {"finalizers": None},
    "NodeSpec": dict.fromkeys(["podCIDR", "podCIDRs", "providerID", "unschedulable", "taints", "configSource",
                               "externalID"]),
    "EndpointSubset": {"addresses": ["EndpointAddress"], "notReadyAddresses": ["EndpointAddress"],
                       "ports": ["CoreEndpointPort"]},
    "EndpointAddress": dict.fromkeys(["ip", "hostname", "nodeName", "targetRef"]),
    "CoreEndpointPort": dict.fromkeys(["name", "port", "protocol", "appProtocol"]),
    "Endpoint": {**dict.fromkeys(["addresses", "hostname", "targetRef", "deprecatedTopology", "nodeName", "zone",
                                  "hints"]), "conditions": "EndpointConditions"},
    "EndpointConditions": dict.fromkeys(["ready", "serving", "terminating"]),
    "DiscoveryEndpointPort": dict.fromkeys(["name", "protocol", "port", "appProtocol"]),
}

_TOP: dict[tuple[str, str], dict[str, Any]] = {
    ("v1", "Service"): {"spec": "ServiceSpec", "status": None},
    ("v1", "Pod"): {"spec": "PodSpec", "status": None},
    ("v1", "Namespace"): {"spec": "NamespaceSpec", "status": None},
    ("v1", "Node"): {"spec": "NodeSpec", "status": None},
    ("v1", "ConfigMap"): {"data": None, "binaryData": None, "immutable": None},
    ("v1", "Endpoints"): {"subsets": ["EndpointSubset"]},
    ("apps/v1", "Deployment"): {"spec": "DeploymentSpec", "status": None},
    ("apps/v1", "ReplicaSet"): {"spec": "ReplicaSetSpec", "status": None},
    ("apps/v1", "DaemonSet"): {"spec": "DaemonSetSpec", "status": None},
    ("discovery.k8s.io/v1", "EndpointSlice"): {"addressType": None, "endpoints": ["Endpoint"],
                                               "ports": ["DiscoveryEndpointPort"]},
}


def _walk_unknown(value: Any, fields: dict[str, Any] | None, path: str, out: list[str]) -> None:
    if fields is None or not isinstance(value, dict):
        return
    # kubectl sends JSON marshalled from a Go map: keys sorted, so errors come in sorted order.
    for key in sorted(value, key=str):
        k = str(key)
        sub = f"{path}.{k}" if path else k
        if k not in fields:
            out.append(sub)
            continue
        spec = fields[k]
        if spec is None:
            continue
        if isinstance(spec, list):
            items = value[key]
            if isinstance(items, list):
                for i, it in enumerate(items):
                    _walk_unknown(it, _S.get(spec[0]), f"{sub}[{i}]", out)
        else:
            _walk_unknown(value[key], _S.get(spec), sub, out)


def strict_unknown_fields(obj: dict) -> list[str]:
    """Paths of fields the API server's strict decoder rejects (``spec.replica``, ``spec.ports[0].nodeport``).

    Matching is case-sensitive, as in the server (``spec.Replicas`` is unknown).  Order is
    depth-first over alphabetically sorted keys - the order kubectl's JSON has.  Kinds svcflow does
    not model, and svcflow config kinds, return ``[]``.
    """
    if not isinstance(obj, dict):
        return []
    top = _TOP.get((obj.get("apiVersion"), obj.get("kind")))
    if top is None:
        return []
    fields = {"apiVersion": None, "kind": None, "metadata": "ObjectMeta", **top}
    out: list[str] = []
    _walk_unknown(obj, fields, "", out)
    return out


def unknown_fields_error(kind: str, api_version: str, display: str, fields: Sequence[str],
                         verb: str = "creating") -> "ApiError":
    """The BadRequest Status a strict-decoding rejection produces (see format_unknown_fields)."""
    version = api_version.rsplit("/", 1)[-1]
    body = ", ".join(f"unknown field {go_quote(f)}" for f in fields)
    msg = f"{kind} in version {go_quote(version)} cannot be handled as a {kind}: strict decoding error: {body}"
    return ApiError("BadRequest", message=msg, source=display, verb=verb)


def format_unknown_fields(kind: str, api_version: str, display: str, fields: Sequence[str], verb: str = "creating") -> str:
    """kubectl's line for a strict-decoding rejection (one line, no trailing newline).

    ``Error from server (BadRequest): error when creating "redis.yaml": Deployment in version "v1"
    cannot be handled as a Deployment: strict decoding error: unknown field "spec.replica"``.
    Several fields are joined with ``, `` inside the one ``strict decoding error``.
    """
    return unknown_fields_error(kind, api_version, display, fields, verb).in_list()


# --------------------------------------------------------------------------------------------
# Decoding into Go types: wrong JSON types
# --------------------------------------------------------------------------------------------
#
# Before strict decoding reports unknown fields, the API server's JSON decoder (sigs.k8s.io/json,
# encoding/json's rules) must fit every value into the Go type of its field.  A string where an
# int32 belongs fails the whole request:
#
#   Error from server (BadRequest): error when creating "redis.yaml": Service in version "v1"
#   cannot be handled as a Service: json: cannot unmarshal string into Go struct field
#   ServicePort.spec.ports.port of type int32
#
# encoding/json names the innermost struct type and the JSON path without indices; a map's or a
# slice's element reports the map's / slice's own field.  Fields are decoded in the order kubectl
# sends them (Go marshals maps with sorted keys) and the first error wins.  Types below follow
# the v1.33 API for the fields svcflow models; anything not listed is accepted as is.

_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)


def _struct(go_name: str, /, **fields: Any) -> tuple[str, str, dict[str, Any]]:
    return ("struct", go_name, fields)


def _slice(t: Any) -> tuple[str, Any]:
    return ("slice", t)


def _map(t: Any) -> tuple[str, Any]:
    return ("map", t)


_STR, _I32, _I64, _BOOL, _INTSTR, _BYTES = "string", "int32", "int64", "bool", "intstr", "[]uint8"
_STRS = _slice(_STR)
_STRMAP = _map(_STR)

_OBJECT_META = _struct(
    "ObjectMeta", name=_STR, generateName=_STR, namespace=_STR, uid=_STR, resourceVersion=_STR,
    generation=_I64, labels=_STRMAP, annotations=_STRMAP, finalizers=_STRS,
    deletionGracePeriodSeconds=_I64,
    ownerReferences=_slice(_struct("OwnerReference", apiVersion=_STR, kind=_STR, name=_STR, uid=_STR,
                                   controller=_BOOL, blockOwnerDeletion=_BOOL)))
_LABEL_SELECTOR = _struct(
    "LabelSelector", matchLabels=_STRMAP,
    matchExpressions=_slice(_struct("LabelSelectorRequirement", key=_STR, operator=_STR, values=_STRS)))
_EXEC = _struct("ExecAction", command=_STRS)
_HTTP_GET = _struct("HTTPGetAction", path=_STR, port=_INTSTR, host=_STR, scheme=_STR)
_TCP = _struct("TCPSocketAction", port=_INTSTR, host=_STR)
_PROBE = _struct(
    "Probe", initialDelaySeconds=_I32, timeoutSeconds=_I32, periodSeconds=_I32, successThreshold=_I32,
    failureThreshold=_I32, terminationGracePeriodSeconds=_I64, exec=_EXEC, httpGet=_HTTP_GET, tcpSocket=_TCP,
    grpc=_struct("GRPCAction", port=_I32, service=_STR))
_CONTAINER = _struct(
    "Container", name=_STR, image=_STR, command=_STRS, args=_STRS, workingDir=_STR,
    ports=_slice(_struct("ContainerPort", name=_STR, hostPort=_I32, containerPort=_I32, protocol=_STR, hostIP=_STR)),
    env=_slice(_struct("EnvVar", name=_STR, value=_STR)),
    imagePullPolicy=_STR, livenessProbe=_PROBE, readinessProbe=_PROBE, startupProbe=_PROBE,
    terminationMessagePath=_STR, terminationMessagePolicy=_STR, restartPolicy=_STR,
    stdin=_BOOL, stdinOnce=_BOOL, tty=_BOOL)
_POD_SPEC = _struct(
    "PodSpec", containers=_slice(_CONTAINER), initContainers=_slice(_CONTAINER), restartPolicy=_STR,
    terminationGracePeriodSeconds=_I64, activeDeadlineSeconds=_I64, dnsPolicy=_STR, nodeSelector=_STRMAP,
    serviceAccountName=_STR, serviceAccount=_STR, automountServiceAccountToken=_BOOL, nodeName=_STR,
    hostNetwork=_BOOL, hostPID=_BOOL, hostIPC=_BOOL, shareProcessNamespace=_BOOL, hostname=_STR, subdomain=_STR,
    schedulerName=_STR, priorityClassName=_STR, priority=_I32, enableServiceLinks=_BOOL, preemptionPolicy=_STR,
    setHostnameAsFQDN=_BOOL, hostUsers=_BOOL, runtimeClassName=_STR,
    dnsConfig=_struct("PodDNSConfig", nameservers=_STRS, searches=_STRS,
                      options=_slice(_struct("PodDNSConfigOption", name=_STR, value=_STR))))
_TEMPLATE = _struct("PodTemplateSpec", metadata=_OBJECT_META, spec=_POD_SPEC)
_SERVICE_SPEC = _struct(
    "ServiceSpec",
    ports=_slice(_struct("ServicePort", name=_STR, protocol=_STR, appProtocol=_STR, port=_I32,
                         targetPort=_INTSTR, nodePort=_I32)),
    selector=_STRMAP, clusterIP=_STR, clusterIPs=_STRS, type=_STR, externalIPs=_STRS, sessionAffinity=_STR,
    loadBalancerIP=_STR, loadBalancerSourceRanges=_STRS, externalName=_STR, externalTrafficPolicy=_STR,
    healthCheckNodePort=_I32, publishNotReadyAddresses=_BOOL, ipFamilies=_STRS, ipFamilyPolicy=_STR,
    allocateLoadBalancerNodePorts=_BOOL, loadBalancerClass=_STR, internalTrafficPolicy=_STR,
    trafficDistribution=_STR)
_ROLLING = {"maxUnavailable": _INTSTR, "maxSurge": _INTSTR}
_ENDPOINT_ADDRESS = _struct("EndpointAddress", ip=_STR, hostname=_STR, nodeName=_STR)

_DECODE_TYPES: dict[tuple[str, str], Any] = {
    ("v1", "Service"): _struct("Service", metadata=_OBJECT_META, spec=_SERVICE_SPEC, status=_struct(
        "ServiceStatus", loadBalancer=_struct("LoadBalancerStatus", ingress=_slice(_struct(
            "LoadBalancerIngress", ip=_STR, hostname=_STR, ipMode=_STR))))),
    ("v1", "Pod"): _struct("Pod", metadata=_OBJECT_META, spec=_POD_SPEC, status=_struct(
        "PodStatus", phase=_STR, message=_STR, reason=_STR, hostIP=_STR, podIP=_STR, startTime=_STR, qosClass=_STR,
        nominatedNodeName=_STR, hostIPs=_slice(_struct("HostIP", ip=_STR)), podIPs=_slice(_struct("PodIP", ip=_STR)),
        conditions=_slice(_struct("PodCondition", type=_STR, status=_STR, reason=_STR, message=_STR)))),
    ("v1", "Namespace"): _struct("Namespace", metadata=_OBJECT_META),
    ("v1", "Node"): _struct("Node", metadata=_OBJECT_META, spec=_struct(
        "NodeSpec", podCIDR=_STR, podCIDRs=_STRS, providerID=_STR, unschedulable=_BOOL,
        taints=_slice(_struct("Taint", key=_STR, value=_STR, effect=_STR)))),
    ("v1", "ConfigMap"): _struct("ConfigMap", metadata=_OBJECT_META, data=_STRMAP, immutable=_BOOL,
                                 binaryData=_map(_BYTES)),
    ("v1", "Endpoints"): _struct("Endpoints", metadata=_OBJECT_META, subsets=_slice(_struct(
        "EndpointSubset", addresses=_slice(_ENDPOINT_ADDRESS), notReadyAddresses=_slice(_ENDPOINT_ADDRESS),
        ports=_slice(_struct("EndpointPort", name=_STR, port=_I32, protocol=_STR, appProtocol=_STR))))),
    ("apps/v1", "Deployment"): _struct("Deployment", metadata=_OBJECT_META, spec=_struct(
        "DeploymentSpec", replicas=_I32, selector=_LABEL_SELECTOR, template=_TEMPLATE,
        strategy=_struct("DeploymentStrategy", type=_STR, rollingUpdate=_struct("RollingUpdateDeployment", **_ROLLING)),
        minReadySeconds=_I32, revisionHistoryLimit=_I32, paused=_BOOL, progressDeadlineSeconds=_I32)),
    ("apps/v1", "ReplicaSet"): _struct("ReplicaSet", metadata=_OBJECT_META, spec=_struct(
        "ReplicaSetSpec", replicas=_I32, minReadySeconds=_I32, selector=_LABEL_SELECTOR, template=_TEMPLATE)),
    ("apps/v1", "DaemonSet"): _struct("DaemonSet", metadata=_OBJECT_META, spec=_struct(
        "DaemonSetSpec", selector=_LABEL_SELECTOR, template=_TEMPLATE, minReadySeconds=_I32,
        revisionHistoryLimit=_I32, updateStrategy=_struct(
            "DaemonSetUpdateStrategy", type=_STR, rollingUpdate=_struct("RollingUpdateDaemonSet", **_ROLLING)))),
    ("discovery.k8s.io/v1", "EndpointSlice"): _struct(
        "EndpointSlice", metadata=_OBJECT_META, addressType=_STR,
        endpoints=_slice(_struct("Endpoint", addresses=_STRS, hostname=_STR, nodeName=_STR, zone=_STR,
                                 conditions=_struct("EndpointConditions", ready=_BOOL, serving=_BOOL,
                                                    terminating=_BOOL))),
        ports=_slice(_struct("EndpointPort", name=_STR, protocol=_STR, port=_I32, appProtocol=_STR))),
}


def _go_type_name(t: Any) -> str:
    if t == _INTSTR:
        return "int32"  # IntOrString's UnmarshalJSON decodes non-strings into its int32
    if isinstance(t, str):
        return t
    if t[0] == "struct":
        return t[1] if "." in t[1] else "v1." + t[1]  # (the config kinds name their own package)
    if t[0] == "slice":
        return "[]" + _go_type_name(t[1])
    return "map[string]" + _go_type_name(t[1])


def _json_kind(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, dict):
        return "object"
    return "array"


def go_json_number(v: int | float) -> str:
    """A number as kubectl's JSON carries it: integers exactly, floats as encoding/json writes them."""
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    return go_json_float(v)


@dataclass
class DecodeError:
    """The first value that does not fit its Go type: Go's message and the exact field path
    (with indices and map keys, for pointing at the line)."""

    message: str
    path: str


# The config documents' Go types: kind's v1alpha4 Cluster (sigs.k8s.io/kind
# pkg/apis/config/v1alpha4/types.go) and kube-proxy's v1alpha1 KubeProxyConfiguration.
_KIND_NODE = _struct(
    "v1alpha4.Node", role=_STR, image=_STR, labels=_STRMAP, kubeadmConfigPatches=_STRS,
    extraMounts=_slice(_struct("v1alpha4.Mount", containerPath=_STR, hostPath=_STR, readOnly=_BOOL,
                               selinuxRelabel=_BOOL, propagation=_STR)),
    extraPortMappings=_slice(_struct("v1alpha4.PortMapping", containerPort=_I32, hostPort=_I32, listenAddress=_STR,
                                     protocol=_STR)))
_CONFIG_DECODE_TYPES: dict[tuple[str, str], Any] = {
    ("kind.x-k8s.io/v1alpha4", "Cluster"): _struct(
        "v1alpha4.Cluster", name=_STR, nodes=_slice(_KIND_NODE), featureGates=_map(_BOOL), runtimeConfig=_STRMAP,
        kubeadmConfigPatches=_STRS, containerdConfigPatches=_STRS,
        networking=_struct("v1alpha4.Networking", ipFamily=_STR, apiServerPort=_I32, apiServerAddress=_STR,
                           podSubnet=_STR, serviceSubnet=_STR, disableDefaultCNI=_BOOL, kubeProxyMode=_STR,
                           dnsSearch=_STRS)),
    ("kubeproxy.config.k8s.io/v1alpha1", "KubeProxyConfiguration"): _struct(
        "v1alpha1.KubeProxyConfiguration", mode=_STR, clusterCIDR=_STR, nodePortAddresses=_STRS,
        bindAddress=_STR, healthzBindAddress=_STR, metricsBindAddress=_STR, hostnameOverride=_STR,
        iptables=_struct("v1alpha1.KubeProxyIPTablesConfiguration", masqueradeAll=_BOOL, masqueradeBit=_I32,
                         localhostNodePorts=_BOOL, minSyncPeriod=_STR, syncPeriod=_STR),
        ipvs=_struct("v1alpha1.KubeProxyIPVSConfiguration", scheduler=_STR, strictARP=_BOOL, minSyncPeriod=_STR,
                     syncPeriod=_STR, excludeCIDRs=_STRS)),
    ("kubelet.config.k8s.io/v1beta1", "KubeletConfiguration"): _struct(
        "v1beta1.KubeletConfiguration", maxPods=_I32, podPidsLimit=_I64, clusterDomain=_STR, clusterDNS=_STRS,
        podCIDR=_STR, resolvConf=_STR, failSwapOn=_BOOL, cgroupDriver=_STR),
}


def config_decode_error(obj: dict) -> DecodeError | None:
    """What decoding a config document (kind's Cluster, a KubeProxyConfiguration) into its Go
    type says of its types, or None when they all fit."""
    if not isinstance(obj, dict):
        return None
    top = _CONFIG_DECODE_TYPES.get((obj.get("apiVersion"), obj.get("kind")))  # type: ignore[arg-type]
    return _decode(obj, top, top[1], [], "") if top is not None else None


def decode_error(obj: dict) -> DecodeError | None:
    """What the API server's JSON decoder says of ``obj``'s types, or None when they all fit."""
    if not isinstance(obj, dict):
        return None
    top = _DECODE_TYPES.get((obj.get("apiVersion"), obj.get("kind")))  # type: ignore[arg-type]
    if top is None:
        return None
    return _decode(obj, top, top[1], [], "")


def _decode(v: Any, t: Any, struct: str, stack: list[str], path: str) -> DecodeError | None:
    if v is None:  # null leaves the zero value: never an error
        return None

    def fail(value: str, typ: Any) -> DecodeError:
        return DecodeError(f"json: cannot unmarshal {value} into Go struct field {struct.rsplit('.', 1)[-1]}."
                           f"{'.'.join(stack)} of type {_go_type_name(typ)}", path)

    if isinstance(t, str):
        if t == _STR:
            return None if isinstance(v, str) else fail(_json_kind(v), t)
        if t == _BOOL:
            return None if isinstance(v, bool) else fail(_json_kind(v), t)
        if t == _INTSTR and isinstance(v, str):
            return None
        if t == _BYTES:  # []byte: a base64 string (encoding/json decodes it with StdEncoding)
            if not isinstance(v, str):
                return fail(_json_kind(v), t)
            bad = go_base64_error(v)
            return None if bad is None else DecodeError(f"illegal base64 data at input byte {bad}", path)
        if t in (_I32, _I64, _INTSTR):
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                return fail(_json_kind(v), t)
            lo, hi = _INT64 if t == _I64 else _INT32
            if isinstance(v, float) and not v.is_integer() or not lo <= v <= hi:
                return fail("number " + go_json_number(v), t)
        return None
    kind = t[0]
    if kind == "struct":
        if not isinstance(v, dict):
            return fail(_json_kind(v), t)
        for key in sorted(v, key=str):
            sub = t[2].get(key)
            if sub is None:
                continue
            err = _decode(v[key], sub, t[1], stack + [str(key)], f"{path}.{key}" if path else str(key))
            if err:
                return err
        return None
    if kind == "slice":
        if not isinstance(v, list):
            return fail(_json_kind(v), t)
        for i, item in enumerate(v):
            err = _decode(item, t[1], struct, stack, f"{path}[{i}]")
            if err:
                return err
        return None
    if not isinstance(v, dict):  # map
        return fail(_json_kind(v), t)
    for key in sorted(v, key=str):
        err = _decode(v[key], t[1], struct, stack, f"{path}[{key}]")
        if err:
            return err
    return None


_B64 = {c: i for i, c in enumerate(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}


def go_base64_error(text: str) -> int | None:
    """Where Go's ``base64.StdEncoding.Decode`` fails on ``text`` (the CorruptInputError byte
    offset, in UTF-8 bytes), or None when it decodes.  A port of decodeQuantum: CR and LF are
    skipped, padding is required, nothing may follow it."""
    src = text.encode("utf-8", "surrogatepass")
    si, n = 0, len(src)
    while si < n:
        j = 0
        while j < 4:
            if si == n:
                if j == 0:
                    return None
                return si - j
            ch = src[si]
            si += 1
            if ch in _B64:
                j += 1
                continue
            if ch in (0x0A, 0x0D):
                continue
            if ch != 0x3D:  # '='
                return si - 1
            if j in (0, 1):
                return si - 1
            if j == 2:
                while si < n and src[si] in (0x0A, 0x0D):
                    si += 1
                if si == n:
                    return n
                if src[si] != 0x3D:
                    return si - 1
                si += 1
            while si < n and src[si] in (0x0A, 0x0D):
                si += 1
            return si if si < n else None
    return None


def cannot_handle_error(kind: str, api_version: str, display: str, message: str,
                        verb: str = "creating") -> "ApiError":
    """The BadRequest a decoding failure produces: ``Service in version "v1" cannot be handled
    as a Service: json: cannot unmarshal ...``."""
    version = api_version.rsplit("/", 1)[-1]
    msg = f"{kind} in version {go_quote(version)} cannot be handled as a {kind}: {message}"
    return ApiError("BadRequest", message=msg, source=display, verb=verb)


@dataclass
class ClientError:
    """An error kubectl raises itself (no ``Error from server``): printed ``error: <msg>`` when
    alone and bare among several, as kubectl's checkErr/MultipleErrors do.  Quacks like ApiError
    for ``kubectl_error_output``."""

    message: str
    reason: str = "Client"

    def standalone(self) -> str:
        return "error: " + self.message

    def in_list(self) -> str:
        return self.message


def _resource_string(kind: str, api_version: str, plural: str) -> str:
    group, _, version = api_version.rpartition("/")
    return (f'Resource: "{group}/{version}, Resource={plural}", '
            f'GroupVersionKind: "{group}/{version}, Kind={kind}"')


def empty_name_error(kind: str, api_version: str, plural: str, namespace: str, display: str) -> ClientError:
    """kubectl apply of an object without a usable ``metadata.name`` (client-go refuses the GET):

    error: error when retrieving current configuration of:
    Resource: "/v1, Resource=services", GroupVersionKind: "/v1, Kind=Service"
    Name: "", Namespace: "default"
    from server for: "svc.yaml": resource name may not be empty
    """
    return ClientError(
        "error when retrieving current configuration of:\n"
        f"{_resource_string(kind, api_version, plural)}\n"
        f'Name: "", Namespace: {go_quote(namespace)}\n'
        f"from server for: {go_quote(display)}: resource name may not be empty")


def generate_name_error(generate_name: str) -> ClientError:
    """kubectl apply refuses ``metadata.generateName`` without a name (apply.go)."""
    return ClientError(f"from {generate_name}: cannot use generate name with apply")


_ZERO = {_STR: "", _I32: 0, _I64: 0, _BOOL: False, _INTSTR: 0}


def decoded(obj: dict) -> dict:
    """``obj`` as the API server holds it after decoding into its Go type: a ``null`` field is
    the zero value, which is the same as leaving the field out (validation then reports it as
    such, ``Invalid value: 0``); a ``null`` list element or map value becomes its type's zero
    value.  Fields svcflow does not type are kept as they are."""
    top = _DECODE_TYPES.get((obj.get("apiVersion"), obj.get("kind"))) if isinstance(obj, dict) else None
    return _zeroed(obj, top) if top is not None else obj


def _zeroed(v: Any, t: Any) -> Any:
    if t is None or isinstance(t, str):
        return v
    kind = t[0]
    if kind == "struct" and isinstance(v, dict):
        out = {}
        for k, x in v.items():
            sub = t[2].get(k)
            if x is None and sub is not None:
                continue
            out[k] = _zeroed(x, sub)
        return out
    if kind == "slice" and isinstance(v, list):
        elem = t[1]
        if isinstance(elem, str):
            zero: Any = _ZERO.get(elem)
        else:
            zero = {} if elem[0] == "struct" else None
        return [zero if x is None and zero is not None else _zeroed(x, elem) for x in v]
    if kind == "map" and isinstance(v, dict):
        elem = t[1]
        if isinstance(elem, str):
            return {k: _ZERO.get(elem, x) if x is None else x for k, x in v.items()}
        return {k: _zeroed(x, elem) for k, x in v.items()}
    return v
