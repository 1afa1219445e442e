"""Conditions as SQL: a definition's condition group becomes one boolean expression over
``contacts``, so checking one contact and listing every match (dry-run) are one statement.

Counts of web events and interactions are correlated subqueries over the
``(contact_id, occurred_at)`` indexes of ``web_events`` and ``interaction_participants``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, not_, or_, select, true
from sqlalchemy.orm import Session

from amity.activities.models import InteractionParticipant
from amity.activities.outreach_models import WebEvent
from amity.analytics.models import CustomerRfm
from amity.automation.definition import (
    Condition,
    ConditionGroup,
    EarlyValueCondition,
    EventCountCondition,
    FieldCondition,
    OpenDealCondition,
    OwnerCondition,
    RfmSegmentCondition,
    StageCondition,
    TagCondition,
)
from amity.contacts.models import Contact, contact_tags
from amity.core.clock import now
from amity.core.errors import ValidationFailed
from amity.core.tags import Tag
from amity.core.text import fold
from amity.deals.models import Deal
from amity.intelligence import early_value

_DATES = {"birthday"}
_TIMES = {"last_contacted_at", "last_activity_at", "created_at"}
_BOOLS = {"do_not_contact"}
_NOT_NULL_TEXT = {"first_name", "last_name", "lifecycle_stage"}


def _typed(field: str, value: Any) -> Any:
    """The condition's value as the column's type (a 422 naming the field when it is not)."""
    if value is None:
        return None
    try:
        if field in _DATES:
            return date.fromisoformat(str(value))
        if field in _TIMES:
            at = datetime.fromisoformat(str(value))
            return at if at.tzinfo else at.replace(tzinfo=now().tzinfo)
        if field in _BOOLS:
            if isinstance(value, bool):
                return value
            if str(value).lower() in ("true", "false"):
                return str(value).lower() == "true"
            raise ValueError(value)
    except ValueError as exc:
        raise ValidationFailed("workflow.condition_value", f"'{value}' is not a valid value "
                               f"for {field}", "definition.conditions") from exc
    return str(value) if not isinstance(value, bool) else value


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _field(c: FieldCondition) -> ColumnElement[bool]:
    col: Any = getattr(Contact, c.field)
    if c.op in ("is_empty", "is_not_empty"):
        empty = or_(col.is_(None), col == "") if c.field not in (
            _DATES | _TIMES | _BOOLS) else col.is_(None)
        return empty if c.op == "is_empty" else not_(empty)
    if c.op == "in":
        values = c.value if isinstance(c.value, list) else [c.value]
        found: ColumnElement[bool] = col.in_([_typed(c.field, v) for v in values
                                              if v is not None])
        return found
    value = _typed(c.field, c.value[0] if isinstance(c.value, list) else c.value)
    if c.op == "contains":
        if c.field in _DATES | _TIMES | _BOOLS:
            raise ValidationFailed("workflow.condition_op", f"contains does not apply to "
                                   f"{c.field}", "definition.conditions")
        like: ColumnElement[bool] = func.lower(col).like(_like(str(value or "").lower()),
                                                         escape="\\")
        return like
    if value is None:
        none: ColumnElement[bool] = col.is_(None) if c.op == "eq" else col.is_not(None)
        return none
    expr: ColumnElement[bool] = {"eq": col == value, "ne": col != value, "gt": col > value,
                                 "lt": col < value}[c.op]
    if c.op == "ne" and c.field not in _NOT_NULL_TEXT:
        expr = or_(expr, col.is_(None))
    return expr


def _tag(c: TagCondition) -> ColumnElement[bool]:
    has = exists(select(contact_tags.c.contact_id)
                 .join(Tag, Tag.id == contact_tags.c.tag_id)
                 .where(contact_tags.c.contact_id == Contact.id, Tag.key == fold(c.tag)))
    return has if c.op == "has" else not_(has)


def _owner(c: OwnerCondition) -> ColumnElement[bool]:
    expr = Contact.owner_id.is_(None) if c.user_id is None else Contact.owner_id == c.user_id
    if c.op == "is":
        return expr
    return not_(expr) if c.user_id is None else or_(not_(expr), Contact.owner_id.is_(None))


def _count(c: EventCountCondition, at: datetime) -> ColumnElement[bool]:
    since = at - timedelta(days=c.within_days)
    if c.source == "web":
        q = select(func.count()).select_from(WebEvent).where(
            WebEvent.contact_id == Contact.id, WebEvent.occurred_at >= since,
            WebEvent.occurred_at <= at)
        if c.kind:
            q = q.where(WebEvent.type == c.kind)
        if c.path_contains:  # without regard to case on both databases (as web triggers)
            q = q.where(func.lower(WebEvent.url).like(_like(c.path_contains.lower()),
                                                      escape="\\"))
    else:
        p = InteractionParticipant
        q = select(func.count()).select_from(p).where(
            p.contact_id == Contact.id, p.occurred_at >= since, p.occurred_at <= at,
            p.active.is_(True))
        if c.kind:
            q = q.where(p.channel == c.kind)
        if c.direction:
            q = q.where(p.direction == c.direction)
    n = q.scalar_subquery()
    return {"gte": n >= c.count, "gt": n > c.count, "eq": n == c.count, "lte": n <= c.count,
            "lt": n < c.count}[c.op]


def _open_deal(c: OpenDealCondition) -> ColumnElement[bool]:
    has = exists(select(Deal.id).where(Deal.contact_id == Contact.id, Deal.status == "open",
                                       Deal.deleted_at.is_(None)))
    return has if c.exists else not_(has)


def _rfm(c: RfmSegmentCondition) -> ColumnElement[bool]:
    has = exists(select(CustomerRfm.contact_id).where(CustomerRfm.contact_id == Contact.id,
                                                      CustomerRfm.segment.in_(c.segments)))
    return has if c.op == "in" else not_(has)


def _early(c: EarlyValueCondition, at: datetime) -> ColumnElement[bool]:
    sig = early_value.signal_by_key(c.signal, c.min_orders)
    return Contact.id.in_(early_value.window_contact_ids(sig, has=c.has, at=at,
                                                         window_days=c.window_days))


def condition_sql(c: Condition, at: datetime) -> ColumnElement[bool]:
    if isinstance(c, FieldCondition):
        return _field(c)
    if isinstance(c, TagCondition):
        return _tag(c)
    if isinstance(c, StageCondition):
        return Contact.lifecycle_stage.in_(c.stages)
    if isinstance(c, OwnerCondition):
        return _owner(c)
    if isinstance(c, EventCountCondition):
        return _count(c, at)
    if isinstance(c, RfmSegmentCondition):
        return _rfm(c)
    if isinstance(c, EarlyValueCondition):
        return _early(c, at)
    return _open_deal(c)


def group_sql(group: ConditionGroup, at: datetime | None = None) -> ColumnElement[bool]:
    """The whole group as one expression (an empty group is true)."""
    at = at or now()
    parts = [condition_sql(c, at) for c in group.rules] + [group_sql(g, at)
                                                          for g in group.groups]
    if not parts:
        return true()
    return and_(*parts) if group.match == "all" else or_(*parts)


def live_contacts() -> ColumnElement[bool]:
    return and_(Contact.deleted_at.is_(None), Contact.erased_at.is_(None))


def contact_matches(db: Session, group: ConditionGroup, contact_id: Any) -> bool:
    if contact_id is None:
        return not group.rules and not group.groups
    found = db.scalar(select(Contact.id).where(Contact.id == contact_id, live_contacts(),
                                               group_sql(group)))
    return found is not None
