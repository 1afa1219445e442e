"""Custom field definitions per entity and the validation every write goes through."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from sqlalchemy import Boolean, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from amity.core.db import Base, JSONType
from amity.core.errors import ValidationFailed
from amity.core.mixins import Timestamps, UUIDPk

FieldType = Literal["text", "number", "date", "select", "multi_select", "boolean"]
FIELD_TYPES: tuple[str, ...] = ("text", "number", "date", "select", "multi_select", "boolean")
ENTITIES: tuple[str, ...] = ("contact", "company", "ticket", "interaction", "deal", "product",
                             "order")
# Entities whose API and pages do not (yet) hide sensitive values from readers without the
# right: a sensitive field there would leak, so it is refused.
NO_SENSITIVE: tuple[str, ...] = ("product", "order")
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class CustomFieldDefinition(UUIDPk, Timestamps, Base):
    __tablename__ = "custom_field_definitions"
    __table_args__ = (UniqueConstraint("entity", "key"),)

    entity: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(63))
    label: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20))
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    options: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    help_text: Mapped[str | None] = mapped_column(String(500))
    # archived: hidden from forms and refused on new writes; stored values stay untouched
    archived_at: Mapped[datetime | None] = mapped_column(default=None)


def definitions_for(db: Session, entity: str) -> dict[str, CustomFieldDefinition]:
    """Definitions for an entity, read once per session (a bulk write validates many rows)."""
    cache: dict[str, dict[str, CustomFieldDefinition]] = db.info.setdefault("amity.cfdefs", {})
    if entity not in cache:
        rows = db.scalars(select(CustomFieldDefinition)
                          .where(CustomFieldDefinition.entity == entity))
        cache[entity] = {d.key: d for d in rows}
    return cache[entity]


def _bad(key: str, message: str) -> ValidationFailed:
    return ValidationFailed("custom_field.invalid", message, f"custom_fields.{key}")


def _coerce(d: CustomFieldDefinition, value: Any) -> Any:
    key = d.key
    if d.type == "text":
        if not isinstance(value, str):
            raise _bad(key, f"'{d.label}' must be text")
        if len(value) > 10_000:
            raise _bad(key, f"'{d.label}' is longer than 10,000 characters")
        return value
    if d.type == "number":
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise _bad(key, f"'{d.label}' must be a number")
        try:
            num = Decimal(str(value))
        except InvalidOperation as exc:
            raise _bad(key, f"'{d.label}' must be a number") from exc
        if not num.is_finite():
            raise _bad(key, f"'{d.label}' must be a finite number")
        return int(num) if num == num.to_integral_value() and "." not in str(value) else str(num)
    if d.type == "date":
        try:
            return date.fromisoformat(value).isoformat()
        except (TypeError, ValueError) as exc:
            raise _bad(key, f"'{d.label}' must be a date as YYYY-MM-DD") from exc
    if d.type == "boolean":
        if not isinstance(value, bool):
            raise _bad(key, f"'{d.label}' must be true or false")
        return value
    if d.type == "select":
        if value not in d.options:
            raise _bad(key, f"'{d.label}' must be one of: {', '.join(map(str, d.options))}")
        return value
    if d.type == "multi_select":
        if not isinstance(value, list) or any(v not in d.options for v in value):
            raise _bad(key, f"'{d.label}' must be a list of: {', '.join(map(str, d.options))}")
        return list(dict.fromkeys(value))
    raise _bad(key, f"'{d.label}' has an unknown type {d.type}")


def coerce_value(d: CustomFieldDefinition, value: Any) -> Any:
    """``value`` as stored for ``d``; ValidationFailed if ``d`` would refuse it."""
    return _coerce(d, value)


def validate_custom_fields(db: Session, entity: str, values: dict[str, Any] | None,
                           *, existing: dict[str, Any] | None = None) -> dict[str, Any]:
    """Merge ``values`` into ``existing`` and check the result against the definitions.

    A key set to ``None`` removes the value. Unknown keys, wrong types and missing required
    fields are refused with the field named.
    """
    defs = definitions_for(db, entity)
    merged = dict(existing or {})
    for key, value in (values or {}).items():
        d = defs.get(key)
        if d is None:
            raise ValidationFailed("custom_field.unknown",
                                   f"There is no custom field '{key}' for {entity}s",
                                   f"custom_fields.{key}")
        if d.archived_at is not None and merged.get(key) != value:
            raise ValidationFailed("custom_field.archived",
                                   f"'{d.label}' is archived: restore it in Settings > "
                                   "Custom fields to change its values", f"custom_fields.{key}")
        if value is None or value == "" or value == []:
            merged.pop(key, None)
        else:
            merged[key] = _coerce(d, value)
    for key, d in defs.items():
        if d.required and d.archived_at is None and key not in merged:
            raise ValidationFailed("custom_field.required", f"'{d.label}' is required",
                                   f"custom_fields.{key}")
    return merged


def check_sensitive(entity: str, sensitive: bool | None) -> None:
    if sensitive and entity in NO_SENSITIVE:
        raise ValidationFailed("custom_field.sensitive", f"{entity.capitalize()} custom fields "
                               "cannot be sensitive (their values are shown to every reader)",
                               "sensitive")


def create_definition(db: Session, *, entity: str, key: str, label: str, type: str,
                      required: bool = False, sensitive: bool = False,
                      options: list[Any] | None = None,
                      help_text: str | None = None) -> CustomFieldDefinition:
    """Define a custom field; select types need their options."""
    if entity not in ENTITIES:
        raise ValidationFailed("custom_field.entity", f"entity must be one of {ENTITIES}",
                               "entity")
    if not KEY_RE.match(key):
        raise ValidationFailed("custom_field.key", "key must be lower-case letters, digits "
                               "and _ and start with a letter", "key")
    check_sensitive(entity, sensitive)
    if type not in FIELD_TYPES:
        raise ValidationFailed("custom_field.type", f"type must be one of {FIELD_TYPES}", "type")
    opts = list(dict.fromkeys(options or []))
    if type in ("select", "multi_select") and not opts:
        raise ValidationFailed("custom_field.options", "select fields need options", "options")
    if db.scalar(select(CustomFieldDefinition.id).where(CustomFieldDefinition.entity == entity,
                                                        CustomFieldDefinition.key == key)):
        raise ValidationFailed("custom_field.exists", f"'{key}' is already defined for {entity}s",
                               "key")
    d = CustomFieldDefinition(entity=entity, key=key, label=label, type=type, required=required,
                              sensitive=sensitive, options=opts, help_text=help_text)
    db.add(d)
    db.flush()
    db.info.pop("amity.cfdefs", None)
    return d
