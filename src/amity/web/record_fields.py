"""Custom fields on record pages: the "Details" block and the "Edit details" form.

The block lists every non-archived definition of the entity with its value formatted by type
(or "—"); sensitive fields are left out for readers who may not see them (the values they are
given are already redacted by ``auth.fields``). The form has one input per field the reader
may see and change; what it posts becomes the ``custom_fields`` of the entity's update schema,
so the domain service validates it exactly as it does for the API. Archived fields are never
in the form, so their stored values are never sent and stay as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import Request
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from amity.auth import fields
from amity.auth.access import Permission, can_see_sensitive
from amity.auth.models import User
from amity.core.customfields import CustomFieldDefinition, definitions_for
from amity.core.errors import DomainError, PreconditionFailed

EMPTY = "—"
PREFIX = "cf_"  # form inputs are named cf_<key> (keys are [a-z][a-z0-9_]*)
FORM_ERROR = "_form"
CHANGED = ("Someone else saved this record while you were editing it; nothing was changed. "
           "The page now shows their version: make your change again.")


@dataclass(frozen=True)
class Shown:
    """One line of the Details block."""

    key: str
    label: str
    type: str
    text: str  # the value as shown, or "—"
    link: str | None = None  # set when a text value is a web address


@dataclass(frozen=True)
class Input:
    """One input of the Edit details form (``value``: what the input holds)."""

    key: str
    name: str
    label: str
    type: str
    required: bool
    help_text: str | None
    options: list[Any]
    value: Any


def _visible(db: Session, user: User, entity: str) -> list[CustomFieldDefinition]:
    """The entity's non-archived definitions the reader may see, by label."""
    sensitive_ok = can_see_sensitive(user)
    defs = [d for d in definitions_for(db, entity).values()
            if d.archived_at is None and (sensitive_ok or not d.sensitive)]
    return sorted(defs, key=lambda d: (d.label.casefold(), d.key))


def _number(value: Any) -> str:
    try:
        num = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return f"{num:,}" if num.is_finite() else str(value)


def _format(d: CustomFieldDefinition, value: Any) -> tuple[str, str | None]:
    if value is None or value == "" or value == []:
        return EMPTY, None
    if d.type == "boolean":
        return ("Yes" if value else "No"), None
    if d.type == "number":
        return _number(value), None
    if d.type == "date":
        try:
            return date.fromisoformat(str(value)).strftime("%d %b %Y"), None
        except ValueError:
            return str(value), None
    if d.type == "multi_select" and isinstance(value, list):
        return ", ".join(map(str, value)), None
    text = str(value)
    if d.type == "text" and text.startswith(("https://", "http://")) and " " not in text:
        return text, text
    return text, None


def details(db: Session, user: User, entity: str,
            values: Mapping[str, Any] | None) -> list[Shown]:
    """The Details block: ``values`` are the record's (already redacted) custom fields."""
    stored = values or {}
    out = []
    for d in _visible(db, user, entity):
        text, link = _format(d, stored.get(d.key))
        out.append(Shown(key=d.key, label=d.label, type=d.type, text=text, link=link))
    return out


def context(db: Session, user: User, entity: str, values: Mapping[str, Any] | None, *,
            action: str, version: int, can_edit: bool, errors: dict[str, str] | None = None,
            posted: FormData | None = None) -> dict[str, Any]:
    """What the Details block and its Edit details form need (the ``cf_*`` names their
    templates read): ``values`` are the record's redacted custom fields, ``action`` where the
    form posts, ``errors``/``posted`` a refused form shown again."""
    return {"cf_details": details(db, user, entity, values),
            "cf_inputs": inputs(db, user, entity, values, posted),
            "cf_errors": errors or {}, "cf_action": action, "cf_version": version,
            "cf_can_edit": can_edit}


def _input_value(d: CustomFieldDefinition, value: Any) -> Any:
    if d.type == "multi_select":
        return [str(v) for v in value] if isinstance(value, list) else []
    if d.type == "boolean":
        return value is True
    return "" if value is None else str(value)


def inputs(db: Session, user: User, entity: str, values: Mapping[str, Any] | None,
           posted: FormData | None = None) -> list[Input]:
    """The form's inputs, holding the stored values (or, after a refused save, the posted
    ones, so nothing typed is lost)."""
    stored = values or {}
    out = []
    for d in _visible(db, user, entity):
        name = PREFIX + d.key
        if posted is None:
            value = _input_value(d, stored.get(d.key))
        elif d.type == "multi_select":
            value = [str(v) for v in posted.getlist(name)]
        elif d.type == "boolean":
            value = posted.get(name) is not None
        else:
            value = str(posted.get(name) or "")
        out.append(Input(key=d.key, name=name, label=d.label, type=d.type, required=d.required,
                         help_text=d.help_text, options=list(d.options), value=value))
    return out


def _parsed(d: CustomFieldDefinition, posted: FormData, stored: Mapping[str, Any]) -> Any:
    name = PREFIX + d.key
    if d.type == "multi_select":
        return [str(v) for v in posted.getlist(name)] or None
    if d.type == "boolean":
        if posted.get(name) is not None:
            return True
        # an unticked box is "No" once the field holds a value (or must), else stays empty
        return False if d.key in stored or d.required else None
    raw = posted.get(name)
    text = raw.strip() if isinstance(raw, str) else ""
    if not text:
        return None
    if d.type == "number":
        return text.replace(",", "")
    return text


def posted_values(db: Session, user: User, entity: str, posted: FormData,
                  stored: Mapping[str, Any] | None) -> dict[str, Any]:
    """``custom_fields`` for the update schema: every field the form showed (an empty input
    clears the value); archived and hidden fields are not included, so they are untouched."""
    current = stored or {}
    return {d.key: _parsed(d, posted, current) for d in _visible(db, user, entity)}


def errors_of(exc: ValidationError | DomainError) -> dict[str, str]:
    """Messages by input name (``cf_<key>``), or ``_form`` for anything else."""
    def name(loc: str | None) -> str:
        parts = (loc or "").split(".")
        return PREFIX + parts[1] if len(parts) > 1 and parts[0] == "custom_fields" \
            else FORM_ERROR
    if isinstance(exc, DomainError):
        return {name(exc.field): exc.message}
    errors: dict[str, str] = {}
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()))
        errors.setdefault(name(loc), str(err.get("msg", "invalid value"))
                          .removeprefix("Value error, "))
    return errors


async def posted_form(request: Request) -> FormData:
    """The posted form (read once; CSRF checking has usually read it already)."""
    return await request.form()


@dataclass
class Refused:
    """Why a details form was not saved: the status, messages by field, and what was posted
    (None after a conflicting save: the form then shows the stored values)."""

    status: int
    errors: dict[str, str]
    posted: FormData | None


def save(db: Session, user: User, entity: str, record: Any, posted: FormData, *,
         schema: type[BaseModel], permission: Permission,
         update: Callable[[Any], object]) -> Refused | None:
    """Validate the posted custom fields as ``schema`` (the record's API update model), check
    the user may write them, and ``update``; on any refusal nothing is written."""
    stored = dict(record.custom_fields or {})
    try:
        version = str(posted.get("version") or "")
        data = schema.model_validate({
            "custom_fields": posted_values(db, user, entity, posted, stored),
            **({"version": int(version)} if version.isdigit() else {})})
        fields.check_write(db, user, entity, data, permission)
        update(data)
    except PreconditionFailed as exc:
        db.rollback()
        db.refresh(record)
        return Refused(exc.status, {FORM_ERROR: CHANGED}, None)
    except (ValidationError, DomainError) as exc:
        db.rollback()  # nothing may be written
        db.refresh(record)
        status = exc.status if isinstance(exc, DomainError) else 422
        return Refused(status, errors_of(exc), posted)
    return None
