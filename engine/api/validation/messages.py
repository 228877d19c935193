"""How refusals read: Invalid/BadRequest Status messages, utilerrors' aggregate, and the
errors kubectl raises itself, joined as kubectl prints one or several of them."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from engine.api.gostrconv import go_quote
from engine.api.validation.errors import FieldError


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
