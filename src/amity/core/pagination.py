"""Keyset (cursor) pagination: stable under inserts, no OFFSET scans, no gaps or repeats."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute

from amity.core.errors import ValidationFailed

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True)
class Sort:
    """A sort key: a non-null column, direction, and how to serialise its value in a cursor."""

    name: str
    column: InstrumentedAttribute[Any]
    descending: bool = False


def _encode_value(v: Any) -> Any:
    if isinstance(v, datetime):
        return {"t": v.isoformat()}
    if isinstance(v, uuid.UUID):
        return str(v)
    return v


def _decode_value(v: Any) -> Any:
    if isinstance(v, dict) and "t" in v:
        return datetime.fromisoformat(v["t"])
    return v


def encode_cursor(sort: Sort, value: Any, row_id: uuid.UUID) -> str:
    raw = json.dumps([sort.name, sort.descending, _encode_value(value), str(row_id)])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _python_type(sort: Sort) -> type[Any]:
    col_type = sort.column.type
    col_type = getattr(col_type, "impl_instance", col_type)  # a TypeDecorator's own type
    try:
        return col_type.python_type  # type: ignore[no-any-return]
    except NotImplementedError:
        return object


def decode_cursor(cursor: str, sort: Sort) -> tuple[Any, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        name, desc, value, row_id = json.loads(base64.urlsafe_b64decode(padded))
        if name != sort.name or bool(desc) != sort.descending:
            raise ValueError("cursor belongs to another sort order")
        decoded = _decode_value(value)
        # A tampered cursor must not reach the database with a value of the wrong kind
        # (that would be a 500, not a 422).
        if not isinstance(decoded, _python_type(sort)) or (
                isinstance(decoded, datetime) and decoded.tzinfo is None):
            raise ValueError("cursor value does not fit the sort column")
        return decoded, uuid.UUID(str(row_id))
    except (ValueError, TypeError, AttributeError, json.JSONDecodeError) as exc:
        raise ValidationFailed("cursor.invalid", "The cursor is not valid for this list; "
                               "start again without it", "cursor") from exc


def keyset(stmt: Select[Any], sort: Sort, id_col: InstrumentedAttribute[Any],
           cursor: str | None, limit: int) -> Select[Any]:
    """Order by (sort, id) and start after the cursor; fetches limit+1 rows to see if more."""
    col = sort.column
    if cursor:
        value, last_id = decode_cursor(cursor, sort)
        if sort.descending:
            stmt = stmt.where(or_(col < value, and_(col == value, id_col < last_id)))
        else:
            stmt = stmt.where(or_(col > value, and_(col == value, id_col > last_id)))
    order = (col.desc(), id_col.desc()) if sort.descending else (col.asc(), id_col.asc())
    return stmt.order_by(*order).limit(limit + 1)


def page_of(rows: list[T], sort: Sort, limit: int, key: Any) -> Page[T]:
    """Cut the extra row off and build the next cursor from the last row kept."""
    more = len(rows) > limit
    rows = rows[:limit]
    nxt = None
    if more and rows:
        last = rows[-1]
        nxt = encode_cursor(sort, key(last), last.id)  # type: ignore[attr-defined]
    return Page(items=rows, next_cursor=nxt)
