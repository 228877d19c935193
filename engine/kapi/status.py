"""kube-apiserver's `Status` objects (apimachinery `pkg/api/errors/errors.go`).

kubectl prints `Error from server (<reason>): <message>` from these, so the reason, the code
and the message must be the ones the real server sends. A refusal from svcflow's own API
server (`engine.api.validation.messages.ApiError`) maps onto one 1:1.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.api.kinds import KindInfo
from engine.api.validation.errors import FieldError
from engine.api.validation.messages import ApiError

CODES = {
    "BadRequest": 400, "Unauthorized": 401, "Forbidden": 403, "NotFound": 404, "MethodNotAllowed": 405,
    "NotAcceptable": 406, "AlreadyExists": 409, "Conflict": 409, "Gone": 410, "Expired": 410,
    "RequestEntityTooLarge": 413, "UnsupportedMediaType": 415, "Invalid": 422, "TooManyRequests": 429,
    "InternalError": 500, "ServiceUnavailable": 503, "Timeout": 504,
}


@dataclass
class StatusError(Exception):
    """A request the server refuses; `body()` is the Status JSON, `code` the HTTP status."""

    reason: str
    message: str
    code: int = 0
    details: dict[str, Any] | None = None  # ({} is written: every 404 of an unknown path carries `"details":{}`)
    metadata: dict[str, Any] = field(default_factory=dict)  # a Status' ListMeta (an expired continue's new token)

    def __post_init__(self) -> None:
        if not self.code:
            self.code = CODES.get(self.reason, 500)

    def body(self) -> dict:
        out: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": dict(self.metadata),
                               "status": "Failure", "message": self.message}
        if self.reason:  # (an unknown path's 404 has no reason, as kube-apiserver's)
            out["reason"] = self.reason
        if self.details is not None:
            out["details"] = self.details
        out["code"] = self.code
        return out


def _details(info: KindInfo | None, name: str, kind: str | None = None) -> dict[str, Any]:
    d: dict[str, Any] = {}
    if name:
        d["name"] = name
    if info is not None and info.group:
        d["group"] = info.group
    if kind or info is not None:
        d["kind"] = kind or info.plural  # type: ignore[union-attr]
    return d


def not_found(info: KindInfo, name: str) -> StatusError:
    return StatusError("NotFound", f'{info.qualified_plural} "{name}" not found', details=_details(info, name))


def already_exists(info: KindInfo, name: str) -> StatusError:
    return StatusError("AlreadyExists", f'{info.qualified_plural} "{name}" already exists',
                       details=_details(info, name))


def conflict(info: KindInfo, name: str, why: str) -> StatusError:
    return StatusError("Conflict", f'Operation cannot be fulfilled on {info.qualified_plural} "{name}": {why}',
                       details=_details(info, name))


def bad_request(message: str) -> StatusError:
    return StatusError("BadRequest", message)


def unknown_path() -> StatusError:
    """What kube-apiserver answers for a path nothing serves (no reason, 404)."""
    return StatusError("NotFound", "the server could not find the requested resource", details={})


def method_not_allowed() -> StatusError:
    return StatusError("MethodNotAllowed", "the server does not allow this method on the requested resource")


def unsupported_media_type(accepted: tuple[str, ...]) -> StatusError:
    """client-go prints this one as is: there is no fallback from a refused body format."""
    return StatusError("UnsupportedMediaType",
                       f"the body of the request was in an unknown format - accepted media types include: "
                       f"{', '.join(accepted)}")


def expired(requested: int, oldest: int) -> StatusError:
    return StatusError("Expired", f"too old resource version: {requested} ({oldest})", code=410)


#: etcd3's inconsistentContinue (k8s.io/apiserver/pkg/storage/etcd3/errors.go).
INCONSISTENT_CONTINUE = (
    "The provided continue parameter is too old to display a consistent list result. You can start a new list "
    "without the continue parameter, or use the continue token in this response to retrieve the remainder of the "
    "results. Continuing with the provided token results in an inconsistent list - objects that were created, "
    "modified, or deleted between the time the first chunk was returned and now may show up in the list.")


def continue_expired(inconsistent_token: str) -> StatusError:
    """A continue token whose resourceVersion is older than the server still knows: 410
    Expired, with a token that lists the rest as things are now (etcd3's store)."""
    return StatusError("Expired", INCONSISTENT_CONTINUE, code=410, metadata={"continue": inconsistent_token})


def too_large_resource_version(requested: int, current: int) -> StatusError:
    """storage.NewTooLargeResourceVersionError: a list or watch from a resourceVersion the
    server has not reached (after waiting for it a while). client-go's reflector relists
    from scratch on it -- what a client needs after the server restarted with younger
    resourceVersions (an etcd restored from a backup; a restarted `svcflow serve`)."""
    return StatusError("Timeout", f"Timeout: Too large resource version: {requested}, current: {current}", code=504,
                       details={"causes": [{"reason": "ResourceVersionTooLarge",
                                            "message": "Too large resource version"}],
                                "retryAfterSeconds": 1})


def from_api_error(err: ApiError, info: KindInfo | None = None) -> StatusError:
    """svcflow's refusal as the Status kube-apiserver sends: Invalid carries the Kind and one
    cause per field error (`StatusCause.Type` serialises as `reason`)."""
    message = err.status_message()
    if err.reason == "Invalid":
        details: dict[str, Any] = {"name": err.name}
        if err.group:
            details["group"] = err.group
        details["kind"] = err.kind
        details["causes"] = [{"reason": c.type.cause_type, "message": c.body, "field": c.field}
                             if isinstance(c, FieldError) else {"message": str(c)}
                             for c in err.causes]
        return StatusError("Invalid", message, details=details)
    if err.reason in ("NotFound", "AlreadyExists", "Conflict") and info is not None:
        return StatusError(err.reason, message, details=_details(info, err.name))
    return StatusError(err.reason, message)
