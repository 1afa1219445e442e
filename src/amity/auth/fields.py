"""Field-level protection: personal notes and custom fields marked ``sensitive``.

Users for whom ``access.can_see_sensitive`` is False never receive these values (one record,
lists, search, the 360 view, history entries, web pages) and may not write them (403 naming the
field). Every reader passes its output schemas through ``redact`` / ``redact_history`` and every
writer its input through ``check_write``: this module is the only place that decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy.orm import Session

from amity.auth.access import FieldForbidden, Permission, can_see_sensitive, check_owner
from amity.auth.models import User
from amity.core.customfields import definitions_for

# Built-in attributes that are always sensitive, per entity (custom fields are per definition).
SENSITIVE_ATTRS: dict[str, tuple[str, ...]] = {"contact": ("personal_notes",), "company": (),
                                               "ticket": (), "interaction": (), "deal": (),
                                               "product": (), "order": ()}
MASK = "***"

M = TypeVar("M", bound=BaseModel)


def sensitive_keys(db: Session, entity: str) -> set[str]:
    """Keys of the entity's custom fields marked sensitive (definitions are cached per
    session, so a request reads them at most once)."""
    return {key for key, d in definitions_for(db, entity).items() if d.sensitive}


def redact(db: Session, user: User, entity: str, items: Sequence[M]) -> list[M]:
    """``items`` (output schemas) without the values ``user`` may not see.

    The definitions are only read when some item carries custom fields, so a page of records
    without any costs no query.
    """
    if can_see_sensitive(user):
        return list(items)
    attrs = SENSITIVE_ATTRS[entity]
    keys: set[str] | None = None
    out: list[M] = []
    for item in items:
        update: dict[str, Any] = {a: None for a in attrs if getattr(item, a, None) is not None}
        values: dict[str, Any] | None = getattr(item, "custom_fields", None)
        if values:
            keys = sensitive_keys(db, entity) if keys is None else keys
            if keys & values.keys():
                update["custom_fields"] = {k: v for k, v in values.items() if k not in keys}
        out.append(item.model_copy(update=update) if update else item)
    return out


def redact_one(db: Session, user: User, entity: str, item: M) -> M:
    return redact(db, user, entity, [item])[0]


def _mask(pair: Any) -> Any:
    if not isinstance(pair, list):
        return MASK
    return [None if v is None else MASK for v in pair]


def _mask_custom(pair: Any, keys: set[str]) -> Any:
    if not isinstance(pair, list):
        return pair
    return [{k: (MASK if k in keys else v) for k, v in side.items()}
            if isinstance(side, dict) else side for side in pair]


def redact_history(db: Session, user: User, entity: str, entries: Sequence[M]) -> list[M]:
    """Audit entries (schemas with ``changes``) with sensitive before/after values as '***'
    (the entry still shows that the field changed, and whether it was empty)."""
    if can_see_sensitive(user):
        return list(entries)
    attrs = SENSITIVE_ATTRS[entity]
    keys: set[str] | None = None
    out: list[M] = []
    for entry in entries:
        changes: dict[str, Any] = dict(getattr(entry, "changes", {}) or {})
        touched = False
        for attr in attrs:
            if attr in changes:
                changes[attr], touched = _mask(changes[attr]), True
        if "custom_fields" in changes:
            keys = sensitive_keys(db, entity) if keys is None else keys
            changes["custom_fields"], touched = _mask_custom(changes["custom_fields"], keys), True
        out.append(entry.model_copy(update={"changes": changes}) if touched else entry)
    return out


def check_write(db: Session, user: User, entity: str, data: BaseModel, permission: Permission,
                *, prefix: str = "") -> None:
    """Refuse (403, naming the field) input that sets a field the user may not see, or an
    owner outside the scope of ``permission`` (create or edit)."""
    if "owner_id" in data.model_fields_set:
        check_owner(db, user, getattr(data, "owner_id", None), permission,
                    field=f"{prefix}owner_id")
    check_sensitive_write(db, user, entity, data, prefix=prefix)


def check_sensitive_write(db: Session, user: User, entity: str, data: BaseModel, *,
                          prefix: str = "") -> None:
    """Refuse (403, naming the field) input that sets a field the user may not see."""
    sent = data.model_fields_set
    if can_see_sensitive(user):
        return
    for attr in SENSITIVE_ATTRS[entity]:
        if attr in sent:
            raise FieldForbidden(f"{prefix}{attr}", f"You may not read or change '{attr}'")
    values: dict[str, Any] | None = getattr(data, "custom_fields", None)
    if "custom_fields" in sent and values:
        hidden = sorted(sensitive_keys(db, entity) & values.keys())
        if hidden:
            raise FieldForbidden(f"{prefix}custom_fields.{hidden[0]}",
                                 f"You may not read or change the sensitive custom field "
                                 f"'{hidden[0]}'")


def check_write_many(db: Session, user: User, entity: str, items: Sequence[BaseModel],
                     permission: Permission) -> None:
    for i, data in enumerate(items):
        check_write(db, user, entity, data, permission, prefix=f"items.{i}.")
