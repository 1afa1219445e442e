"""The audit as SQL: every figure of a report is one aggregate over the (visible, live)
contacts, and a record's quality score is one SQL expression, so the report, the worst
records and one contact's score are each a single statement whatever the number of rows.

A contact's score is the share of seven checks it passes, 0-100 (integer division, the same
on both databases): an email, a phone, an owner, a company, a job title, activity within the
stale window, and no invalid value (an email without ``x@y.z`` shape, a phone not in E.164, a
birthday in the future or before 1900).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
)
from sqlalchemy.orm import Session

from amity.contacts.models import Contact, ContactEmail, ContactPhone, contact_tags
from amity.core.clock import now
from amity.core.customfields import CustomFieldDefinition
from amity.core.tags import Tag
from amity.core.text import fold
from amity.dedupe.models import DuplicateSuggestion

Visible = Callable[[Select[Any]], Select[Any]]
CHECKS = ("email", "phone", "owner", "company", "job_title", "fresh", "valid")
DEFAULT_STALE_DAYS = 180


def _has_email() -> ColumnElement[bool]:
    return exists().where(ContactEmail.contact_id == Contact.id)


def _has_phone() -> ColumnElement[bool]:
    return exists().where(ContactPhone.contact_id == Contact.id)


def _bad_email() -> ColumnElement[bool]:
    return exists().where(ContactEmail.contact_id == Contact.id,
                          or_(not_(ContactEmail.email.like("%_@_%._%")),
                              ContactEmail.email.like("% %")))


def _bad_phone() -> ColumnElement[bool]:
    return exists().where(ContactPhone.contact_id == Contact.id,
                          or_(not_(ContactPhone.e164.like("+%")),
                              func.length(ContactPhone.e164) < 8))


def _bad_birthday(today: date) -> ColumnElement[bool]:
    return and_(Contact.birthday.is_not(None),
                or_(Contact.birthday > today, Contact.birthday < date(1900, 1, 1)))


def _stale(cutoff: datetime) -> ColumnElement[bool]:
    return func.coalesce(Contact.last_activity_at, Contact.created_at) < cutoff


def _filled(col: Any) -> ColumnElement[bool]:
    return and_(col.is_not(None), col != "")


def passes(at: datetime, stale_days: int) -> dict[str, ColumnElement[bool]]:
    """Each check as a boolean over ``contacts`` (true = passed)."""
    cutoff = at - timedelta(days=stale_days)
    return {"email": _has_email(), "phone": _has_phone(), "owner": Contact.owner_id.is_not(None),
            "company": Contact.company_id.is_not(None), "job_title": _filled(Contact.job_title),
            "fresh": not_(_stale(cutoff)),
            "valid": not_(or_(_bad_email(), _bad_phone(), _bad_birthday(at.date())))}


def _one(cond: ColumnElement[bool]) -> Any:
    return case((cond, 1), else_=0)


def score_expr(at: datetime, stale_days: int) -> ColumnElement[int]:
    """0-100: the share of ``CHECKS`` a contact passes."""
    total: Any = sum((_one(c) for c in passes(at, stale_days).values()), literal(0))
    return (total * 100) // len(CHECKS)  # type: ignore[no-any-return]


def live() -> ColumnElement[bool]:
    return and_(Contact.deleted_at.is_(None), Contact.erased_at.is_(None))


def in_segment(tag: str | None) -> ColumnElement[bool]:
    if not tag:
        return literal(True)
    return exists().where(contact_tags.c.contact_id == Contact.id,
                          contact_tags.c.tag_id == Tag.id, Tag.key == fold(tag))


@dataclass
class FieldFill:
    field: str
    missing: int
    completeness: float  # 0-1; 1 when there is no record


@dataclass
class Report:
    entity: str
    segment_tag: str | None
    total: int
    stale_days: int
    computed_at: datetime
    fields: list[FieldFill]
    without_email_or_phone: int
    stale: int
    invalid: dict[str, int]
    average_score: float | None
    below_50: int
    duplicates_open: int
    unused_custom_fields: list[str] = field(default_factory=list)


def contact_report(db: Session, *, visible: Visible = lambda s: s, stale_days: int =
                   DEFAULT_STALE_DAYS, segment_tag: str | None = None,
                   at: datetime | None = None) -> Report:
    """The audit of the contacts the reader may see (one aggregate statement, plus one for the
    duplicate backlog and one per custom field definition)."""
    at = at or now()
    checks = passes(at, stale_days)
    missing = {"email": not_(checks["email"]), "phone": not_(checks["phone"]),
               "owner": not_(checks["owner"]), "company": not_(checks["company"]),
               "job_title": not_(checks["job_title"]),
               "last_name": Contact.last_name == "",
               "birthday": Contact.birthday.is_(None)}
    cols: list[Any] = [func.count().label("total")]
    cols += [func.coalesce(func.sum(_one(c)), 0).label(f"m_{k}") for k, c in missing.items()]
    cols += [func.coalesce(func.sum(_one(and_(missing["email"], missing["phone"]))), 0)
             .label("no_reach"),
             func.coalesce(func.sum(_one(not_(checks["fresh"]))), 0).label("stale"),
             func.coalesce(func.sum(_one(_bad_email())), 0).label("bad_email"),
             func.coalesce(func.sum(_one(_bad_phone())), 0).label("bad_phone"),
             func.coalesce(func.sum(_one(_bad_birthday(at.date()))), 0).label("bad_birthday"),
             func.avg(score_expr(at, stale_days)).label("avg_score"),
             func.coalesce(func.sum(_one(score_expr(at, stale_days) < 50)), 0).label("low")]
    row = db.execute(visible(select(*cols).select_from(Contact)
                             .where(live(), in_segment(segment_tag)))).one()
    total = int(row.total)
    fields = [FieldFill(k, int(row._mapping[f"m_{k}"]),
                        round(1 - int(row._mapping[f"m_{k}"]) / total, 4) if total else 1.0)
              for k in missing]
    return Report(entity="contact", segment_tag=segment_tag, total=total,
                  stale_days=stale_days, computed_at=at, fields=fields,
                  without_email_or_phone=int(row.no_reach), stale=int(row.stale),
                  invalid={"email": int(row.bad_email), "phone": int(row.bad_phone),
                           "birthday": int(row.bad_birthday)},
                  average_score=round(float(row.avg_score), 1) if row.avg_score is not None
                  else None, below_50=int(row.low),
                  duplicates_open=duplicate_backlog(db, "contact"),
                  unused_custom_fields=unused_custom_fields(db))


def duplicate_backlog(db: Session, entity: str) -> int:
    """Open duplicate suggestions found by ``dedupe`` (its scan and imports) for ``entity``."""
    n = db.scalar(select(func.count()).select_from(DuplicateSuggestion).where(
        DuplicateSuggestion.entity == entity, DuplicateSuggestion.status == "open"))
    return int(n or 0)


def unused_custom_fields(db: Session, entity: str = "contact") -> list[str]:
    """Keys of the entity's custom fields that no live record has a value for (one EXISTS
    per definition: definitions are few, records many)."""
    keys = list(db.scalars(select(CustomFieldDefinition.key).where(
        CustomFieldDefinition.entity == entity).order_by(CustomFieldDefinition.key)))
    out = []
    for key in keys:
        value = Contact.custom_fields[key].as_string()
        if not db.scalar(select(exists().where(live(), value.is_not(None), value != ""))):
            out.append(key)
    return out


@dataclass
class RecordQuality:
    contact_id: uuid.UUID
    score: int
    failed: list[str]  # the checks not passed, in ``CHECKS`` order


def contact_quality(db: Session, contact_id: uuid.UUID, *,
                    stale_days: int = DEFAULT_STALE_DAYS,
                    at: datetime | None = None) -> RecordQuality | None:
    """One contact's score and the checks it fails (one statement)."""
    at = at or now()
    checks = passes(at, stale_days)
    row = db.execute(select(score_expr(at, stale_days).label("score"),
                            *[c.label(k) for k, c in checks.items()])
                     .where(Contact.id == contact_id)).one_or_none()
    if row is None:
        return None
    return RecordQuality(contact_id, int(row.score),
                         [k for k in CHECKS if not row._mapping[k]])


def worst_contacts(db: Session, *, visible: Visible = lambda s: s,
                   stale_days: int = DEFAULT_STALE_DAYS, segment_tag: str | None = None,
                   limit: int = 20, at: datetime | None = None) -> list[tuple[Contact, int]]:
    """The lowest-scoring contacts (ties by name): where a steward starts."""
    at = at or now()
    score = score_expr(at, stale_days).label("score")
    stmt = cast(Select[Any], select(Contact, score).where(live(), in_segment(segment_tag)))
    rows = db.execute(visible(stmt).order_by(score, Contact.sort_name, Contact.id)
                      .limit(limit)).all()
    pairs: list[tuple[Any, ...]] = [tuple(row) for row in rows]
    return [(p[0], int(p[1])) for p in pairs]
