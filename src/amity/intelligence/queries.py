"""Reading what the jobs stored: the latest fit of each model, a contact's predictions and
next best actions, the next best actions of a user's own customers (their agenda), the
at-risk list (keyset-paginated, riskiest first) and the next good time to contact someone
(the helper sequences use to time a send)."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, false, func, or_, select
from sqlalchemy.orm import Session

from amity.contacts.models import Contact
from amity.core.pagination import Page, Sort, keyset, page_of
from amity.intelligence import contact_time, recommendations
from amity.intelligence.models import MODEL_KINDS, CustomerPrediction, ModelFit
from amity.tickets.models import ContactSatisfaction

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
    actions: list[str]

    @property
    def best_time_text(self) -> str | None:
        return contact_time.describe(self.best_time.hour) if self.best_time else None


def _best_time(db: Session, row: CustomerPrediction | None) -> contact_time.BestTime | None:
    if row is not None and row.contact_hour is not None:
        return contact_time.BestTime(row.contact_hour, float(row.contact_hour_rate or 0.0),
                                     str(row.contact_hour_basis or "own"), 0)
    return contact_time.population_best(db)


def for_contact(db: Session, contact_id: uuid.UUID) -> ContactPredictions:
    """The stored row (or None before the first run) and the best time to contact, which
    falls back to the population's most common best hour when the contact has none."""
    row = db.get(CustomerPrediction, contact_id)
    return ContactPredictions(contact_id, row, _best_time(db, row),
                              next_best_actions(db, row) + offer_actions(db, contact_id))


def offer_actions(db: Session, contact_id: uuid.UUID) -> list[str]:
    """The best product to offer, when it comes from their own purchases (a due replacement
    or what customers who bought the same went on to buy), not a best seller's guess."""
    offers = recommendations.recommend(db, contact_id, limit=1)
    return [recommendations.action(offers[0])] if offers and offers[0].kind != "popular" else []


PROMOTER_SCORE = 4.5  # average survey score (1-5) from which a customer is asked for referrals
LOST_P_ALIVE = 0.3
UPGRADE_SHARE = 0.25  # the top quarter by expected value is offered an upgrade


def upgrade_floor(db: Session) -> float | None:
    """The lowest CLV in the top quarter (``UPGRADE_SHARE``): a customer is in it when fewer
    than a quarter of all customers have a higher value. Two indexed statements."""
    total = db.scalar(select(func.count()).where(CustomerPrediction.clv.is_not(None))) or 0
    if not total:
        return None
    return db.scalar(select(CustomerPrediction.clv).where(CustomerPrediction.clv.is_not(None))
                     .order_by(CustomerPrediction.clv.desc())
                     .offset(math.ceil(UPGRADE_SHARE * total) - 1).limit(1))


def next_best_actions(db: Session, row: CustomerPrediction | None) -> list[str]:
    """What to do next with this customer, from the stored predictions (rules, no model):
    call the at-risk, win back the probably lost, offer more to the top quarter by CLV who
    are still active, ask satisfied customers for a referral."""
    if row is None:
        return []
    floor = upgrade_floor(db) if row.clv is not None and row.clv > 0 else None
    sat = db.get(ContactSatisfaction, row.contact_id)
    return _actions(row, floor, (sat.responses, sat.score_total) if sat else None)


def _actions(row: CustomerPrediction, floor: float | None,
             sat: tuple[int, float] | None) -> list[str]:
    actions: list[str] = []
    if row.at_risk and row.churn_risk is not None:
        why = f" ({'; '.join(row.churn_reasons[:2])})" if row.churn_reasons else ""
        actions.append(f"Call them: churn risk {row.churn_risk:.0%}{why}")
    if row.p_alive is not None and row.p_alive < LOST_P_ALIVE:
        actions.append(f"Send a win-back offer: only {row.p_alive:.0%} likely to still be a "
                       "customer")
    elif (not row.at_risk and row.clv is not None and row.clv > 0 and floor is not None
          and row.clv >= floor):
        actions.append("Send the upgrade offer: in the top quarter by expected value")
    if sat is not None and sat[0] and sat[1] / sat[0] >= PROMOTER_SCORE and not row.at_risk:
        actions.append(f"Ask for a referral: average satisfaction {sat[1] / sat[0]:.1f} of 5")
    return actions


@dataclass
class OwnedAction:
    contact_id: uuid.UUID
    name: str
    actions: list[str]
    churn_risk: float | None
    clv: float | None
    currency: str | None


def agenda_actions(db: Session, owner_id: uuid.UUID, *, limit: int = 8) -> list[OwnedAction]:
    """The next best actions for the customers ``owner_id`` owns, most urgent first: those at
    risk (riskiest first), then the probably lost, the top quarter by value, the promoters
    (each by expected value). Three statements, whatever the number of customers."""
    floor = upgrade_floor(db)
    p, sat = CustomerPrediction, ContactSatisfaction
    promoter = and_(sat.responses > 0, sat.score_total >= PROMOTER_SCORE * sat.responses)
    upgrade = and_(p.clv > 0, p.clv >= floor) if floor is not None else false()
    tier = case((p.at_risk.is_(True), 0), (p.p_alive < LOST_P_ALIVE, 1), (upgrade, 2),
                else_=3)
    rows = db.execute(
        select(Contact.id, Contact.first_name, Contact.last_name, p, sat.responses,
               sat.score_total)
        .join(p, p.contact_id == Contact.id).outerjoin(sat, sat.contact_id == Contact.id)
        .where(Contact.owner_id == owner_id, Contact.deleted_at.is_(None),
               or_(p.at_risk.is_(True), p.p_alive < LOST_P_ALIVE, upgrade, promoter))
        .order_by(tier, p.churn_risk.desc().nulls_last(), p.clv.desc().nulls_last(),
                  Contact.id).limit(limit)).all()
    out = []
    for cid, first, last, row, responses, total in rows:
        actions = _actions(row, floor, (responses, total) if responses is not None else None)
        if actions:
            out.append(OwnedAction(cid, f"{first} {last}".strip() or "(no name)", actions,
                                   row.churn_risk, row.clv, row.currency))
    return out


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
    ``after`` itself when nothing is known about anyone yet. Sequences time the sends of
    their ``at_best_hour`` email steps by it."""
    best = _best_time(db, db.get(CustomerPrediction, contact_id))
    if best is None:
        return after
    week_start = (after - timedelta(days=after.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0)
    slot = week_start + timedelta(hours=best.hour)
    if slot + timedelta(hours=1) <= after:  # this week's hour has passed: next week's
        slot += timedelta(days=7)
    return max(slot, after)  # inside the hour already: now
