"""A report definition compiled to ONE SQL aggregate statement (SQLAlchemy Core).

The inner SELECT reads the entity's rows the reader may see (the same access scoping as the
list endpoints: ``access.scoped`` on the record's owner; interactions through
``activities.visibility.interaction_condition``), applies the filters and computes each
dimension's value (a time bucket, a name for an id) and each measure's input; the outer SELECT
groups, aggregates, sorts and limits. Nothing loops over rows in Python: the rows that come
back are the groups (at most ``limit`` + 1, the extra one only says "there is more").

Time buckets are calendar days, ISO weeks (from Monday), months, quarters and years on the wall
clock of the reader's time zone. PostgreSQL computes them with ``date_trunc`` over
``timezone(tz, t)``; SQLite has no time zones, so the same bucket comes from a deterministic SQL
function ``amity_bucket(t, unit, tz)`` registered on the connection (``zoneinfo``), evaluated
by SQLite inside the same statement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Integer, Select, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from amity.activities.visibility import interaction_condition
from amity.auth.access import Permission, can_see_sensitive, require, scoped
from amity.auth.models import User
from amity.commerce.models import Order, OrderLine
from amity.core.customfields import definitions_for
from amity.core.db import Fixed
from amity.core.errors import ValidationFailed
from amity.reports.fields import ENTITIES, Entity, Field
from amity.reports.schemas import Column, Measure, ReportDefinition

AVG_PLACES = Decimal("0.0001")
CUSTOM = re.compile(r"^custom\.([a-z][a-z0-9_]{0,62})$")
OP_LABELS = {"count": "Count", "sum": "Sum of", "avg": "Average of", "min": "Lowest",
             "max": "Highest"}
TEXT_OPS = {"eq", "ne", "in", "not_in", "contains", "is_null", "not_null"}
REF_OPS = {"eq", "ne", "in", "not_in", "is_null", "not_null"}
NUMBER_OPS = {"eq", "ne", "gt", "gte", "lt", "lte", "is_null", "not_null"}
TIME_OPS = {"gt", "gte", "lt", "lte", "is_null", "not_null"}


def bad(code: str, message: str, where: str) -> ValidationFailed:
    return ValidationFailed(f"report.{code}", message, f"definition.{where}")


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def time_zone(name: str) -> ZoneInfo:
    try:
        return _zone(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationFailed("tz.invalid", f"Unknown time zone {name!r}", "tz") from exc


def bucket_start(value: Any, unit: str, tz_name: str) -> str | None:
    """The first day of ``value``'s bucket on ``tz_name``'s clock (SQLite's amity_bucket)."""
    if value is None:
        return None
    at = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    day = (at.replace(tzinfo=UTC) if at.tzinfo is None else at).astimezone(_zone(tz_name)).date()
    if unit == "week":
        day -= timedelta(days=day.weekday())
    elif unit == "month":
        day = day.replace(day=1)
    elif unit == "quarter":
        day = day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    elif unit == "year":
        day = day.replace(month=1, day=1)
    return day.isoformat()


def register_sqlite_functions(db: Session) -> None:
    if db.get_bind().dialect.name == "sqlite":
        raw = db.connection().connection.driver_connection
        assert raw is not None
        raw.create_function("amity_bucket", 3, bucket_start, deterministic=True)


@dataclass
class Resolved:
    key: str
    label: str
    kind: str
    column: Any
    target: Any = None
    money: bool = False
    scale: int | None = None  # exact decimals: places; integers: 0; text: None


@dataclass
class Compiled:
    statement: Select[Any]
    columns: list[Column]
    readers: list[Any] = field(default_factory=list)  # per output column: row -> cell
    limit: int = 100


def _scale(column: Any) -> int | None:
    kind = getattr(column, "type", None)
    if isinstance(kind, Fixed):
        return kind.scale
    return 0 if isinstance(kind, Integer) else None


def resolve(db: Session, user: User, entity: Entity, key: str, where: str) -> Resolved:
    known: Field | None = entity.fields.get(key)
    if known is not None:
        col = known.column()
        return Resolved(key, known.label, known.kind, col, known.target, known.money,
                        _scale(col))
    m = CUSTOM.match(key)
    if m and entity.custom_entity:
        d = definitions_for(db, entity.custom_entity).get(m.group(1))
        if d is not None and (not d.sensitive or can_see_sensitive(user)):
            return Resolved(key, d.label, "text", entity.model.custom_fields[d.key].as_string())
    choices = ", ".join(sorted(entity.fields))
    raise bad("field_unknown", f"{entity.label} have no field '{key}' (fields: {choices}; "
              "custom fields as custom.<key>)", where)


def _number(value: Any, f: Resolved, where: str) -> Decimal:
    try:
        number = Decimal(str(value))
        if not number.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError) as exc:
        raise bad("value_invalid", f"'{f.key}' is a number; {value!r} is not", where) from exc
    if f.scale is not None and number.scaleb(f.scale) != number.scaleb(f.scale).to_integral():
        raise bad("value_invalid", f"'{f.key}' has at most {f.scale} decimal places", where)
    if abs(number) >= Decimal(10) ** 15:
        raise bad("value_invalid", f"{value!r} is out of range", where)
    return number


def _ref(value: Any, user: User, f: Resolved, where: str) -> UUID:
    if f.key in ("owner", "assignee") and value == "me":
        return user.id
    try:
        return UUID(str(value))
    except ValueError as exc:
        raise bad("value_invalid", f"'{f.key}' takes an id (or 'me'); {value!r} is not",
                  where) from exc


def _day(value: Any, f: Resolved, where: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise bad("value_invalid", f"'{f.key}' takes a date (YYYY-MM-DD); {value!r} is not",
                  where) from exc


def _condition(f: Resolved, op: str, value: Any, user: User, tz: ZoneInfo, where: str) -> Any:
    allowed = {"text": TEXT_OPS, "ref": REF_OPS, "number": NUMBER_OPS, "time": TIME_OPS}[f.kind]
    if op not in allowed:
        raise bad("op_invalid", f"'{op}' does not apply to '{f.key}' (use one of "
                  f"{', '.join(sorted(allowed))})", f"{where}.op")
    col = f.column
    if op == "is_null":
        return col.is_(None)
    if op == "not_null":
        return col.is_not(None)
    many = op in ("in", "not_in")
    if value is None or isinstance(value, list) != many or (many and not value):
        shape = "a non-empty list" if many else "one value"
        raise bad("value_invalid", f"'{op}' on '{f.key}' takes {shape}", f"{where}.value")
    items = value if isinstance(value, list) else [value]
    vwhere = f"{where}.value"
    if f.kind == "time":
        day = _day(items[0], f, vwhere)
        start = datetime.combine(day, datetime.min.time(), tz).astimezone(UTC)
        after = datetime.combine(day + timedelta(days=1), datetime.min.time(), tz).astimezone(UTC)
        return {"gte": col >= start, "gt": col >= after, "lt": col < start,
                "lte": col < after}[op]
    conv: list[Any]
    if f.kind == "number":
        conv = [_number(v, f, vwhere) for v in items]
    elif f.kind == "ref":
        conv = [_ref(v, user, f, vwhere) for v in items]
    else:
        conv = [str(v) for v in items]
    if op == "contains":
        escaped = conv[0].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return func.lower(col).like(f"%{escaped.lower()}%", escape="\\")
    first = conv[0]
    if op == "eq":
        return col == first
    if op == "ne":
        return or_(col.is_(None), col != first)
    if op == "in":
        return col.in_(conv)
    if op == "not_in":
        return or_(col.is_(None), col.not_in(conv))
    return {"gt": col > first, "gte": col >= first, "lt": col < first, "lte": col <= first}[op]


def _bucket(db: Session, col: Any, unit: str, tz_name: str) -> Any:
    if db.get_bind().dialect.name == "postgresql":
        return func.to_char(func.date_trunc(literal(unit), func.timezone(literal(tz_name), col)),
                            literal("YYYY-MM-DD"))
    return func.amity_bucket(col, literal(unit), literal(tz_name))


def _base(db: Session, user: User, entity: Entity) -> Select[Any]:
    if entity.lines:
        stmt = select().select_from(OrderLine).join(Order, Order.id == OrderLine.order_id)
        stmt = scoped(db, stmt, user, Order, Permission.ORDERS_VIEW)
    elif entity.name == "interactions":
        stmt = select().select_from(entity.model).where(interaction_condition(db, user))
    else:
        stmt = scoped(db, select().select_from(entity.model), user, entity.model,
                      entity.permission)
    return stmt.where(entity.model.deleted_at.is_(None))


def _measure_label(m: Measure, f: Resolved | None) -> str:
    if f is None:
        return "Count"
    return f"{OP_LABELS[m.op]} {f.label.lower()}" if m.op != "count" else f"Count of {f.label}"


def compile_report(db: Session, user: User, d: ReportDefinition, tz_name: str) -> Compiled:
    """The statement for ``d`` as ``user`` sees it; a clear 422 naming the place if invalid."""
    require(user, Permission.REPORTS_VIEW)
    tz = time_zone(tz_name)
    entity = ENTITIES[d.entity]
    inner = _base(db, user, entity)
    cols: list[Any] = []
    dims: list[tuple[Resolved, str | None]] = []
    seen: set[str] = set()
    for i, dim in enumerate(d.dimensions):
        where = f"dimensions[{i}]"
        f = resolve(db, user, entity, dim.field, f"{where}.field")
        if dim.field in seen:
            raise bad("dimension_repeated", f"'{dim.field}' is already a dimension",
                      f"{where}.field")
        seen.add(dim.field)
        if f.kind == "number":
            raise bad("dimension_invalid", f"'{f.key}' is a number: measure it instead",
                      f"{where}.field")
        if (f.kind == "time") != (dim.bucket is not None):
            msg = (f"'{f.key}' is a time: choose a bucket (day, week, month, quarter, year)"
                   if f.kind == "time" else f"'{f.key}' is not a time: it takes no bucket")
            raise bad("bucket_invalid", msg, f"{where}.bucket")
        if f.kind == "time":
            assert dim.bucket is not None
            cols.append(_bucket(db, f.column, dim.bucket, tz_name).label(f"d{i}"))
        else:
            cols.append(f.column.label(f"d{i}"))
        if f.kind == "ref":
            target = aliased(f.target)
            inner = inner.outerjoin(target, target.id == f.column)
            cols.append(target.name.label(f"l{i}"))
        dims.append((f, dim.bucket))
    currency_fixed = "currency" in seen or any(
        flt.field == "currency" and flt.op == "eq" for flt in d.filters)
    measures: list[tuple[Measure, Resolved | None]] = []
    for i, m in enumerate(d.measures):
        where = f"measures[{i}]"
        if m.field is None:
            if m.op != "count":
                raise bad("measure_field_required", f"'{m.op}' needs a number field",
                          f"{where}.field")
            measures.append((m, None))
            continue
        f = resolve(db, user, entity, m.field, f"{where}.field")
        if m.op != "count" and f.kind != "number":
            raise bad("measure_invalid", f"'{f.key}' is not a number: only count applies",
                      f"{where}.field")
        if f.money and m.op != "count" and entity.currency and not currency_fixed:
            raise bad("currency_mixed", f"'{f.key}' is money: filter on one currency "
                      "(currency eq XXX) or group by currency", f"{where}.field")
        cols.append(f.column.label(f"m{i}"))
        measures.append((m, f))
    if len({m.key for m in d.measures}) != len(d.measures):
        raise bad("measure_repeated", "Each measure may appear once", "measures")
    for i, flt in enumerate(d.filters):
        where = f"filters[{i}]"
        f = resolve(db, user, entity, flt.field, f"{where}.field")
        inner = inner.where(_condition(f, flt.op, flt.value, user, tz, where))
    sub = inner.add_columns(*cols) if cols else inner.add_columns(literal(1).label("one"))
    q = sub.subquery("report_rows")
    out: list[Any] = []
    group: list[Any] = []
    columns: list[Column] = []
    readers: list[Any] = []
    sortable: dict[str, Any] = {}
    for i, (f, unit) in enumerate(dims):
        shown = q.c[f"l{i}"] if f.kind == "ref" else q.c[f"d{i}"]
        group += [q.c[f"d{i}"], q.c[f"l{i}"]] if f.kind == "ref" else [q.c[f"d{i}"]]
        out.append(shown.label(f"d{i}"))
        label = f"{f.label} ({unit})" if unit else f.label
        columns.append(Column(key=f.key, label=label, kind="dimension"))
        readers.append(_text_reader(f"d{i}"))
        sortable[f.key] = shown
    for i, (m, mf) in enumerate(measures):
        if mf is None:
            agg: Any = func.count()
        elif m.op == "count":
            agg = func.count(q.c[f"m{i}"])
        elif m.op == "avg":
            out.append(func.count(q.c[f"m{i}"]).label(f"n{i}"))
            agg = func.sum(q.c[f"m{i}"])
        else:
            agg = getattr(func, m.op)(q.c[f"m{i}"])
        out.append(agg.label(f"m{i}"))
        columns.append(Column(key=m.key, label=_measure_label(m, mf), kind="measure"))
        readers.append(_avg_reader(i) if m.op == "avg" else _value_reader(f"m{i}"))
        sortable[m.key] = func.avg(q.c[f"m{i}"]) if m.op == "avg" else agg
    stmt = select(*out).select_from(q)
    if group:
        stmt = stmt.group_by(*group)
    order: list[Any] = []
    for i, s in enumerate(d.sort):
        if s.by not in sortable:
            raise bad("sort_invalid", f"Sort by a dimension or measure of the report "
                      f"({', '.join(sortable)})", f"sort[{i}].by")
        expr = sortable[s.by]
        order.append((expr.desc() if s.direction == "desc" else expr.asc()).nulls_last())
    order += [expr.asc().nulls_last() for key, expr in sortable.items()
              if key in {f.key for f, _ in dims}]
    if order:
        stmt = stmt.order_by(*order)
    return Compiled(stmt.limit(d.limit + 1), columns, readers, d.limit)


def _text_reader(name: str) -> Any:
    def read(row: Any) -> Any:
        value = row._mapping[name]
        return None if value is None else str(value)
    return read


def _value_reader(name: str) -> Any:
    def read(row: Any) -> Any:
        return row._mapping[name]
    return read


def _avg_reader(i: int) -> Any:
    def read(row: Any) -> Any:
        total, n = row._mapping[f"m{i}"], row._mapping[f"n{i}"]
        if total is None or not n:
            return None
        return (Decimal(total) / Decimal(n)).quantize(AVG_PLACES)
    return read
