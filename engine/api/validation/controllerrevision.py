"""ControllerRevision validation (pkg/apis/apps/validation: ValidateControllerRevisionCreate and
ValidateControllerRevisionUpdate, v1.33).

A revision is a snapshot a controller keeps of its set's template: its `data` must be there,
its `revision` number is not negative, and its `data` never changes once written (the
controllers compare it byte for byte to find an equal revision), while its labels and
revision number may (a rollback re-uses an old revision under a higher number)."""
from __future__ import annotations

from typing import Any

from engine.api.naming import go_json
from engine.api.validation.errors import FieldError, GoLiteral, invalid, required
from engine.api.validation.metadata import validate_object_meta
from engine.api.validation.names import IS_NEGATIVE_ERROR, name_is_dns_subdomain
from engine.api.validation.values import is_int

FIELD_IMMUTABLE = "field is immutable"  # apimachineryvalidation.FieldImmutableErrorMsg


def validate_controller_revision(rev: dict) -> list[FieldError]:
    """ValidateControllerRevisionCreate: the name is a DNS subdomain; `data` is mandatory
    (absent or null decodes to a nil runtime.Object); `revision` >= 0."""
    out = validate_object_meta(rev, name_is_dns_subdomain)
    if rev.get("data") is None:
        out.append(required("data", "data is mandatory"))
    number = rev.get("revision", 0)
    if is_int(number) and number < 0:
        out.append(invalid("revision", number, IS_NEGATIVE_ERROR))
    return out


def _unknown_literal(data: Any) -> GoLiteral:
    """How the error prints the internal type's `data`: the *runtime.Unknown the raw JSON
    decodes to (its generated String())."""
    raw = " ".join(str(b) for b in go_json(data))
    return GoLiteral("&Unknown{TypeMeta:TypeMeta{APIVersion:,Kind:,},Raw:*[" + raw
                     + "],ContentEncoding:,ContentType:application/json,}")


def controller_revision_update_errors(new: dict, old: dict) -> list[FieldError]:
    """ValidateControllerRevisionUpdate's own check (after the create checks, which
    `validate` gives): `data` is immutable."""
    if new.get("data") != old.get("data"):
        return [invalid("data", _unknown_literal(new.get("data")), FIELD_IMMUTABLE)]
    return []
