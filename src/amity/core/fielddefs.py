"""Changing custom field definitions without losing data: edit, archive, restore, delete.

Stored values live in each record's ``custom_fields`` JSON and are never rewritten here. So a
change is refused (422) when a stored value would no longer be valid under the new type or
options, and a definition that still has values is archived rather than deleted (409). Each
change is audited. The value checks are SQL over the entity's table (counts, distinct values).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from amity.core import audit
from amity.core.clock import now
from amity.core.customfields import (
    FIELD_TYPES,
    CustomFieldDefinition,
    check_sensitive,
    coerce_value,
)
from amity.core.db import Base
from amity.core.errors import Conflict, DomainError, NotFound, ValidationFailed

TABLES = {"contact": "contacts", "company": "companies", "ticket": "tickets",
          "interaction": "interactions", "deal": "deals", "product": "products",
          "order": "orders"}
EDITABLE = ("label", "help_text", "options", "required", "sensitive", "type")


def get_definition(db: Session, definition_id: uuid.UUID) -> CustomFieldDefinition:
    d = db.get(CustomFieldDefinition, definition_id)
    if d is None:
        raise NotFound("custom_field")
    return d


def _table(entity: str) -> Table:
    return Base.metadata.tables[TABLES[entity]]


def _value(d: CustomFieldDefinition) -> Any:
    return _table(d.entity).c.custom_fields[d.key]


def _present(d: CustomFieldDefinition) -> Any:
    # the text form is SQL NULL when the key is missing (the JSON form is 'null' on SQLite)
    return _value(d).as_string().is_not(None)


def values_stored(db: Session, d: CustomFieldDefinition) -> int:
    """How many records (deleted ones too: they can be restored) hold a value for ``d``."""
    table = _table(d.entity)
    return int(db.scalar(select(func.count()).select_from(table).where(_present(d))) or 0)


def _distinct_values(db: Session, d: CustomFieldDefinition) -> Iterator[Any]:
    stmt = select(_value(d)).where(_present(d)).distinct()
    yield from db.execute(stmt.execution_options(yield_per=500)).scalars()


def _first_lost(db: Session, d: CustomFieldDefinition, new_type: str,
                options: list[Any]) -> Any:
    """A stored value the definition would refuse after the change (None if there is none)."""
    # a transient copy (never added to the session) carries the new type and options
    shape = CustomFieldDefinition(key=d.key, label=d.label, type=new_type, options=options)
    for value in _distinct_values(db, d):
        try:
            coerce_value(shape, value)
        except DomainError:
            return value
    return None


def _state(d: CustomFieldDefinition) -> dict[str, Any]:
    return {k: getattr(d, k) for k in (*EDITABLE, "archived_at")}


def update_definition(db: Session, *, definition: CustomFieldDefinition, actor_id: uuid.UUID | None,
                      changes: dict[str, Any]) -> CustomFieldDefinition:
    """Apply ``changes`` (any of ``EDITABLE``); refused if a stored value would be lost."""
    d = definition
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        name = sorted(unknown)[0]
        raise ValidationFailed("custom_field.fixed", f"'{name}' cannot be changed; define a "
                               "new field instead", name)
    before = _state(d)
    new_type = changes.get("type", d.type)
    if new_type not in FIELD_TYPES:
        raise ValidationFailed("custom_field.type", f"type must be one of {FIELD_TYPES}", "type")
    options = list(dict.fromkeys(changes["options"])) if changes.get("options") is not None \
        else list(d.options)
    if new_type in ("select", "multi_select") and not options:
        raise ValidationFailed("custom_field.options", "select fields need options", "options")
    if "label" in changes and not str(changes["label"] or "").strip():
        raise ValidationFailed("custom_field.label", "A field needs a label", "label")
    if new_type != d.type or (new_type in ("select", "multi_select")
                              and set(d.options) - set(options)):
        lost = _first_lost(db, d, new_type, options)
        if lost is not None:
            where = "type" if new_type != d.type else "options"
            raise ValidationFailed(
                "custom_field.values_lost",
                f"Stored values of '{d.label}' would no longer be valid (e.g. {lost!r}): "
                + ("change those records first, or define a new field" if where == "type"
                   else "keep the options that records still use"), where)
    check_sensitive(d.entity, changes.get("sensitive"))
    d.type, d.options = new_type, options if new_type in ("select", "multi_select") else []
    for name in ("label", "help_text", "required", "sensitive"):
        if name in changes and changes[name] is not None:
            setattr(d, name, changes[name].strip() if isinstance(changes[name], str)
                    else changes[name])
    if "help_text" in changes and not changes["help_text"]:
        d.help_text = None
    diff = audit.diff(before, _state(d))
    if diff:
        db.flush()
        db.info.pop("amity.cfdefs", None)
        audit.record(db, actor_id=actor_id, action="update", entity_type="custom_field",
                     entity_id=d.id, changes={"key": [d.key, d.key], **diff})
    return d


def archive_definition(db: Session, *, definition: CustomFieldDefinition,
                       actor_id: uuid.UUID | None, archived: bool = True) -> CustomFieldDefinition:
    """Hide the field from forms and refuse new values (or, ``archived=False``, restore it)."""
    d = definition
    if (d.archived_at is not None) == archived:
        return d
    d.archived_at = now() if archived else None
    db.flush()
    db.info.pop("amity.cfdefs", None)
    audit.record(db, actor_id=actor_id, action="archive" if archived else "restore",
                 entity_type="custom_field", entity_id=d.id,
                 changes={"key": [d.key, d.key], "archived": [not archived, archived]})
    return d


def delete_definition(db: Session, *, definition: CustomFieldDefinition,
                      actor_id: uuid.UUID | None) -> None:
    """Only a definition no record has a value for; otherwise archive it (409)."""
    d = definition
    in_use = values_stored(db, d)
    if in_use:
        raise Conflict("custom_field.in_use",
                       f"{in_use} record(s) hold a value for '{d.label}': archive the field "
                       "instead (its values are kept and it is hidden from forms)")
    key, entity = d.key, d.entity
    db.delete(d)
    db.flush()
    db.info.pop("amity.cfdefs", None)
    audit.record(db, actor_id=actor_id, action="delete", entity_type="custom_field",
                 entity_id=d.id, changes={"key": [key, None], "entity": [entity, None]})
