"""Reading what the jobs stored: the latest fit of each model, a contact's predictions, the
at-risk list (keyset-paginated, riskiest first) and the next good time to contact someone
(the helper sequences use to time a send)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from amity.contacts.models import Contact
from amity.core.pagination import Page, Sort, keyset, page_of
from amity.intelligence import contact_time
from amity.intelligence.models import MODEL_KINDS, CustomerPrediction, ModelFit

RISK_SORT = Sort("churn_risk", CustomerPrediction.churn_risk, descending=True)


def latest_fits(db: Session) -> dict[str, ModelFit | None]:
    """The most recent fit of each kind (one statement per kind: they are few)."""
    out: dict[str, ModelFit | None] = {}
    for kind in MODEL_KINDS:
        out[kind] = db.scalar(select(ModelFit).where(ModelFit.kind == kind)
                              .order_by(ModelFit.version.desc()).limit(1))
    return out


def fit_history(db: Session, kind: str, limit: int = 20) -> list[ModelFit]:
    return list(db.scalars(select(ModelFit).where(ModelFit.kind == kind)
                           .order_by(ModelFit.version.desc()).limit(limit)))


@dataclass
class ContactPredictions:
    contact_id: uuid.UUID
    prediction: CustomerPrediction | None
    best_time: contact_time.BestTime | None

    @property
    def best_time_text(self) -> str | None:
        return contact_time.describe(self.best_time.hour) if self.best_time else None


def for_contact(db: Session, contact_id: uuid.UUID) -> ContactPredictions:
    """The stored row (or None before the first run) and the best time to contact, which
    falls back to the population's most common best hour when the contact has none."""
    row = db.get(CustomerPrediction, contact_id)
    best = None
    if row is not None and row.contact_hour is not None:
        best = contact_time.BestTime(row.contact_hour, float(row.contact_hour_rate or 0.0),
                                     str(row.contact_hour_basis or "own"), 0)
    else:
        best = contact_time.population_best(db)
    return ContactPredictions(contact_id, row, best)


def at_risk(db: Session, stmt_filter: Any, *, cursor: str | None,
            limit: int) -> Page[Any]:
    """Contacts flagged at risk, riskiest first; ``stmt_filter`` restricts the contacts
    statement to those the reader may see (``auth.access.scoped``)."""
    stmt = stmt_filter(select(Contact, CustomerPrediction)
                       .join(CustomerPrediction, CustomerPrediction.contact_id == Contact.id)
                       .where(Contact.deleted_at.is_(None), CustomerPrediction.at_risk.is_(True),
                              CustomerPrediction.churn_risk.is_not(None)))
    rows = list(db.execute(keyset(stmt, RISK_SORT, CustomerPrediction.contact_id, cursor,
                                  limit)).all())

    @dataclass
    class Item:
        id: uuid.UUID
        contact: Contact
        prediction: CustomerPrediction

    items = [Item(c.id, c, p) for c, p in rows]
    return page_of(items, RISK_SORT, limit, lambda it: it.prediction.churn_risk)


def next_contact_time(db: Session, contact_id: uuid.UUID, after: datetime) -> datetime:
    """The first start of the contact's best hour of the week at or after ``after`` (UTC);
    ``after`` itself when nothing is known about anyone yet. For sequences timing a send."""
    best = for_contact(db, contact_id).best_time
    if best is None:
        return after
    week_start = (after - timedelta(days=after.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0)
    slot = week_start + timedelta(hours=best.hour)
    if slot + timedelta(hours=1) <= after:  # this week's hour has passed: next week's
        slot += timedelta(days=7)
    return max(slot, after)  # inside the hour already: now
