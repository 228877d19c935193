"""A DaemonSet's template generation (the internal spec.templateGeneration, which apps/v1
serves as the `deprecated.daemonset.template.generation` annotation): the daemonSetStrategy's
part of a create and an update, for the API server to call.

On create it is at least 1 (PrepareForCreate); an update that changes the pod template gets
the stored generation + 1 whatever the request said (PrepareForUpdate), and any other update
may not move it (ValidateDaemonSetUpdate: `must not be decremented`, `must not be incremented
without template update`). The DaemonSet controller labels each pod it makes with it
(`pod-template-generation`) and counts a pod of the current generation as updated.
"""
from __future__ import annotations

from engine.api.validation.errors import FieldError, invalid
from engine.api.wellknown import TEMPLATE_GENERATION


def template_generation(ds: dict) -> int | None:
    """util.GetTemplateGeneration: the annotation's number, None without one (or with a
    value that is not a number: the conversion refuses those before they are stored)."""
    value = ((ds.get("metadata") or {}).get("annotations") or {}).get(TEMPLATE_GENERATION)
    try:
        return int(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _set(ds: dict, generation: int) -> None:
    md = ds.setdefault("metadata", {})
    md["annotations"] = {**(md.get("annotations") or {}), TEMPLATE_GENERATION: str(generation)}


def prepare_for_create(ds: dict) -> None:
    """PrepareForCreate: the generation the request named, at least 1."""
    _set(ds, max(template_generation(ds) or 0, 1))


def prepare_for_update(new: dict, old: dict) -> list[FieldError]:
    """PrepareForUpdate then ValidateDaemonSetUpdate's templateGeneration checks: a changed
    template is the next generation; otherwise the generation stays where it was."""
    before = template_generation(old) or 0
    changed = (new.get("spec") or {}).get("template") != (old.get("spec") or {}).get("template")
    if changed:
        _set(new, before + 1)
        return []
    asked = template_generation(new) or 0
    _set(new, asked)
    if asked < before:
        return [invalid("spec.templateGeneration", asked, "must not be decremented")]
    if asked > before:
        return [invalid("spec.templateGeneration", asked, "must not be incremented without template update")]
    return []
