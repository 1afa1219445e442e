"""Custom-field columns in imports of deals, products, orders and interactions.

A column maps to ``custom:<key>`` (suggested when its header is the key or an export's
``cf.<key>``). A file holds text, so each cell is first read as its field's type —
yes/no for booleans, a list split on ``;`` or ``,`` for multi-selects, written dates as the
import's other dates, amounts with thousands separators, options matched without regard to
case — and then checked by ``core.customfields`` exactly as an API write is. A value that does
not fit is a row error naming ``custom.<key>``; the row is not imported.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session

from amity.core.customfields import CustomFieldDefinition, definitions_for, validate_custom_fields
from amity.core.errors import ValidationFailed
from amity.dataio import normalise as norm

PREFIX = "custom:"
KIND = {"deals": "deal", "products": "product", "orders": "order",
        "interactions": "interaction", "contacts": "contact", "companies": "company"}
REQUIRED_CODE = "custom_field.required"


def _key(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


def custom_keys(db: Session, entity: str) -> list[str]:
    """Keys of the custom fields a column of an ``entity`` import may map to (archived ones
    are left out: they refuse new values)."""
    return sorted(k for k, d in definitions_for(db, KIND[entity]).items()
                  if d.archived_at is None)


def suggest(headers: list[str], out: dict[str, str], keys: list[str]) -> None:
    """Map still-ignored headers naming a field (``<key>``, an export's ``cf.<key>``) to it,
    in place."""
    names: dict[str, str] = {}
    for key in keys:
        for name in (key, f"cf.{key}", f"custom.{key}"):
            names.setdefault(_key(name), PREFIX + key)
    taken = set(out.values())
    for h in headers:
        target = names.get(_key(h))
        if out.get(h, "ignore") == "ignore" and target and target not in taken:
            out[h] = target
            taken.add(target)


def cells(got: dict[str, str]) -> dict[str, str]:
    """The custom-field cells of a row (``custom:<key>`` -> text), by key."""
    return {t[len(PREFIX):]: v for t, v in got.items() if t.startswith(PREFIX)}


def _option(d: CustomFieldDefinition, text: str) -> Any:
    by_fold = {str(o).casefold(): o for o in d.options}
    return by_fold.get(text.casefold(), text)


def from_text(d: CustomFieldDefinition, raw: str, *, day_first: bool) -> Any:
    """The value a cell means for ``d`` (ValueError if it cannot mean one)."""
    text = norm.clean_text(raw)
    if d.type == "boolean":
        return norm.boolean(text)
    if d.type == "number":
        from amity.dataio.records import number

        return str(number(text))
    if d.type == "date":
        return norm.parse_date(text, day_first=day_first).isoformat()
    if d.type == "select":
        return _option(d, text)
    if d.type == "multi_select":
        return [_option(d, part) for part in norm.split_list(text)]
    return raw.strip() if "\n" in raw else text


def values(db: Session, entity: str, texts: dict[str, str], *,
           day_first: bool) -> tuple[dict[str, Any], tuple[str, str] | None]:
    """The row's custom values, checked as for a new record; and (field, message) of a
    required field the row leaves empty (None if none: such a row may still update a record
    that has the value). ValidationFailed names the first bad field."""
    defs = definitions_for(db, KIND[entity])
    out: dict[str, Any] = {}
    for key, raw in texts.items():
        d = defs.get(key)
        if d is None:
            continue  # the mapping was checked when it was saved; a field deleted since
        try:
            out[key] = from_text(d, raw, day_first=day_first)
        except ValueError as exc:
            raise ValidationFailed("custom_field.invalid", f"'{d.label}': {exc}",
                                   f"custom_fields.{key}") from exc
    try:
        return validate_custom_fields(db, KIND[entity], out, existing={}), None
    except ValidationFailed as exc:
        if exc.code != REQUIRED_CODE:
            raise
        return out, (row_field(exc.field), exc.message)


def row_field(field: str | None) -> str:
    """An error's field as the import reports it: ``custom.<key>``."""
    if field and field.startswith("custom_fields."):
        return "custom." + field.removeprefix("custom_fields.")
    return field or "custom_fields"


def changes(stored: dict[str, Any] | None, values: dict[str, Any] | None, *,
            overwrite: bool, new: dict[str, Any], old: dict[str, Any]) -> None:
    """Add to ``new``/``old`` the custom values a re-imported row changes on a stored record
    (``update_empty``: only those it has none for) and what they were (None: unset)."""
    current = stored or {}
    for key, value in (values or {}).items():
        if current.get(key) == value or not (overwrite or current.get(key) is None):
            continue
        new.setdefault("custom_fields", {})[key] = value
        old.setdefault("custom_fields", {})[key] = current.get(key)
