"""apimachinery/pkg/util/validation's Is* predicates and the object-name validators.

A leaf module (it needs only field errors and Go quoting): the label-selector parser in
engine/api/labels.py uses the same key and value rules as the API server's validation, and
importing them from here keeps labels -> validation free of circles.
"""
from __future__ import annotations

import ipaddress
import re

from engine.api.validation.errors import FieldError, invalid

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


def inclusive_range_error(lo: int, hi: int) -> str:
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


def blen(s: str) -> int:
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
    if blen(value) > 63:
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
    if blen(value) > 253:
        errs.append(_max_len_error(253))
    if not _full(_re_dns1123_subdomain, value):
        errs.append(_regex_error(_DNS1123_SUBDOMAIN_MSG, _DNS1123_SUBDOMAIN_FMT, "example.com"))
    return errs


def is_dns1035_label(value: str) -> list[str]:
    """IsDNS1035Label (Service names): length error first, then the regex error."""
    errs: list[str] = []
    if blen(value) > 63:
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
    elif blen(name) > 63:
        errs.append("name part " + _max_len_error(63))
    if not _full(_re_qname, name):
        errs.append("name part " + _regex_error(_QNAME_MSG, _QNAME_FMT, "MyName", "my.name", "123-abc"))
    return errs


def is_valid_label_value(value: str) -> list[str]:
    """IsValidLabelValue (label values, selector values)."""
    errs: list[str] = []
    if blen(value) > 63:
        errs.append(_max_len_error(63))
    if not _full(_re_label_value, value):
        errs.append(_regex_error(_LABEL_VALUE_MSG, _LABEL_VALUE_FMT, "MyValue", "my_value", "12345"))
    return errs


def is_valid_port_num(port: int) -> list[str]:
    return [] if 1 <= port <= 65535 else [inclusive_range_error(1, 65535)]


def is_valid_port_name(port: str) -> list[str]:
    """IsValidPortName (IANA_SVC_NAME): container port names and named targetPorts."""
    errs: list[str] = []
    if blen(port) > 15:
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
    if blen(value) > 253:
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


IP_MSG = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"


def parse_ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
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
    return [] if parse_ip(value) is not None else [invalid(path, value, IP_MSG)]


def non_special_ip(path: str, value: str) -> list[FieldError]:
    """ValidateNonSpecialIP (endpoint addresses, externalIPs). [best effort: from memory]"""
    ip = parse_ip(value)
    if ip is None:
        return [invalid(path, value, "must be a valid IP address")]
    out: list[FieldError] = []
    if ip.is_unspecified:
        out.append(invalid(path, value, f"may not be unspecified ({value})"))
    if ip.is_loopback:
        out.append(invalid(path, value, "may not be in the loopback range (127.0.0.0/8, ::1/128)"))
    if ip.is_link_local:
        out.append(invalid(path, value, "may not be in the link-local range (169.254.0.0/16, fe80::/10)"))
    if (ip.version == 4 and ip in ipaddress.ip_network("224.0.0.0/24")) or (
        ip.version == 6 and ip in ipaddress.ip_network("ff02::/16")
    ):
        out.append(invalid(path, value, "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"))
    return out


def name_is_dns_subdomain(name: str, prefix: bool) -> list[str]:
    if prefix:
        name = _mask_trailing_dash(name)
    return is_dns1123_subdomain(name)


def name_is_dns1035_label(name: str, prefix: bool) -> list[str]:
    if prefix:
        name = _mask_trailing_dash(name)
    return is_dns1035_label(name)


def name_is_dns1123_label(name: str, prefix: bool) -> list[str]:
    if prefix:
        name = _mask_trailing_dash(name)
    return is_dns1123_label(name)


def _mask_trailing_dash(name: str) -> str:
    """generateName prefixes may end in '-': upstream swaps it for 'a' before checking."""
    if len(name) > 1 and name.endswith("-"):
        return name[:-2] + "a"
    return name
