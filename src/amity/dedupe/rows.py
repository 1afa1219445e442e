"""Table rows as JSON and back, and which rows point at a record (for merge and undo).

A merge stores the rows it changed or deleted in its own record (JSON), so undoing it needs
each value turned back into the column's Python type; the column types say which.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, Table, and_, select
from sqlalchemy.orm import Session

from amity.core.db import Base

ENTITY_TABLES = {"contact": "contacts", "company": "companies"}
# References that are not foreign keys: (table, type column, id column).
POLYMORPHIC = (("notes", "entity_type", "entity_id"),
               ("notifications", "entity_type", "entity_id"))
# Rows that mean the same thing even though no constraint says so: a loser's email or phone
# number the survivor already has is removed (kept in the merge record), not duplicated.
SAME_VALUE = {"contact_emails": ("email",), "contact_phones": ("e164",)}


def table(name: str) -> Table:
    return Base.metadata.tables[name]


def dump(value: Any) -> Any:
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def load(col: Column[Any], value: Any) -> Any:
    """``value`` (as ``dump`` wrote it) in ``col``'s Python type."""
    if value is None or isinstance(col.type, JSON):
        return value
    impl = getattr(col.type, "impl_instance", col.type)
    if isinstance(impl, JSON):
        return value
    try:
        kind = impl.python_type
    except NotImplementedError:
        return value
    if kind is uuid.UUID:
        return uuid.UUID(value)
    if kind is datetime:
        return datetime.fromisoformat(value)
    if kind is date:
        return date.fromisoformat(value)
    if kind is Decimal or (kind is int and isinstance(value, str)):  # Fixed: int storage
        return Decimal(value)
    return value


def row_json(t: Table, row: Any) -> dict[str, Any]:
    return {c.name: dump(row._mapping[c]) for c in t.columns}


def row_values(t: Table, data: dict[str, Any]) -> dict[str, Any]:
    return {name: load(t.c[name], value) for name, value in data.items()}


def pk_json(t: Table, row: Any) -> dict[str, Any]:
    return {c.name: dump(row._mapping[c]) for c in t.primary_key.columns}


def pk_where(t: Table, pk: dict[str, Any]) -> Any:
    return and_(*(t.c[name] == load(t.c[name], value) for name, value in pk.items()))


def referencing_columns(entity: str) -> list[tuple[Table, Column[Any]]]:
    """Every (table, column) with a foreign key to the entity's table, in a stable order."""
    target = ENTITY_TABLES[entity]
    found = []
    for t in Base.metadata.sorted_tables:
        for col in t.columns:
            if any(fk.column.table.name == target for fk in col.foreign_keys):
                found.append((t, col))
    return found


def unique_sets(t: Table, col: Column[Any]) -> list[tuple[str, ...]]:
    """The column sets containing ``col`` whose values must be unique together."""
    sets: list[tuple[str, ...]] = []
    pk = tuple(c.name for c in t.primary_key.columns)
    if col.name in pk:
        sets.append(pk)
    for cons in t.constraints:
        names = tuple(c.name for c in getattr(cons, "columns", ()))
        if cons.__class__.__name__ == "UniqueConstraint" and col.name in names:
            sets.append(names)
    for ix in t.indexes:
        names = tuple(c.name for c in ix.columns)
        if ix.unique and col.name in names:
            sets.append(names)
    if col.unique:
        sets.append((col.name,))
    if t.name in SAME_VALUE and col.name == "contact_id":
        sets.append((col.name, *SAME_VALUE[t.name]))
    return sets


def clashes(db: Session, t: Table, col: Column[Any], row: Any, survivor: uuid.UUID,
            taken: set[tuple[Any, ...]]) -> bool:
    """Would giving ``row`` the survivor in ``col`` duplicate a row the survivor has?"""
    for names in unique_sets(t, col):
        others = [n for n in names if n != col.name]
        key = (t.name, col.name, *(row._mapping[t.c[n]] for n in others))
        if key in taken:
            return True
        cond = [t.c[col.name] == survivor, *(t.c[n] == row._mapping[t.c[n]] for n in others)]
        if db.execute(select(t.c[col.name]).where(*cond).limit(1)).first() is not None:
            return True
    for names in unique_sets(t, col):
        others = [n for n in names if n != col.name]
        taken.add((t.name, col.name, *(row._mapping[t.c[n]] for n in others)))
    return False
