"""A contact's value beyond their own revenue: the customers they referred, the feedback they
give and their advocacy, combined into one documented score in money.

    score = own revenue + referral revenue + FEEDBACK x surveys answered + ADVOCACY x mentions

over a period (default: the last 365 days), in one currency. Own revenue: their counted orders.
Referral revenue: the counted orders of the contacts whose ``referred_by`` is them. Surveys
answered: satisfaction surveys they answered. Mentions: inbound social interactions of type
``mention`` they take part in (reviews and public mentions logged as interactions). FEEDBACK
and ADVOCACY are what one answer or one mention is worth (defaults 25 and 50 currency units),
so that a customer who spends 100 a month and brings in five customers a year outranks one
who spends 500 a month and refers no one. One statement of scalar subqueries.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from amity.activities.models import Interaction, InteractionParticipant
from amity.analytics.periods import Period
from amity.commerce.models import COUNTED_STATUSES, Order
from amity.contacts.models import Contact
from amity.core.schemas import Output
from amity.tickets.models import TicketSurvey

FEEDBACK_VALUE = Decimal("25")
ADVOCACY_VALUE = Decimal("50")


class RelationshipValue(Output):
    contact_id: uuid.UUID
    start: str
    end: str
    currency: str
    own_revenue: Decimal
    referred_customers: int  # contacts referred by them (ever), not deleted
    referral_revenue: Decimal  # their referred contacts' counted orders in the period
    surveys_answered: int
    mentions: int
    feedback_value: Decimal  # per answer
    advocacy_value: Decimal  # per mention
    score: Decimal
    definition: str


def relationship_value(db: Session, contact_id: uuid.UUID, period: Period, *, currency: str,
                       feedback_value: Decimal = FEEDBACK_VALUE,
                       advocacy_value: Decimal = ADVOCACY_VALUE) -> RelationshipValue:
    counted = [Order.deleted_at.is_(None), Order.status.in_(COUNTED_STATUSES),
               Order.currency == currency, Order.ordered_at >= period.lo,
               Order.ordered_at < period.hi]
    referred = aliased(Contact)
    own = select(func.sum(Order.total)).where(Order.contact_id == contact_id, *counted)
    refs = select(func.sum(Order.total)).join(referred, referred.id == Order.contact_id).where(
        referred.referred_by_id == contact_id, referred.deleted_at.is_(None), *counted)
    n_refs = select(func.count()).select_from(referred).where(
        referred.referred_by_id == contact_id, referred.deleted_at.is_(None))
    answers = select(func.count()).select_from(TicketSurvey).where(
        TicketSurvey.contact_id == contact_id, TicketSurvey.answered_at >= period.lo,
        TicketSurvey.answered_at < period.hi)
    mentions = (select(func.count()).select_from(InteractionParticipant)
                .join(Interaction, Interaction.id == InteractionParticipant.interaction_id)
                .where(InteractionParticipant.contact_id == contact_id,
                       InteractionParticipant.active.is_(True),
                       and_(InteractionParticipant.occurred_at >= period.lo,
                            InteractionParticipant.occurred_at < period.hi),
                       Interaction.channel == "social", Interaction.social_type == "mention",
                       Interaction.direction == "inbound"))
    row = db.execute(select(own.scalar_subquery(), refs.scalar_subquery(),
                            n_refs.scalar_subquery(), answers.scalar_subquery(),
                            mentions.scalar_subquery())).one()
    own_revenue = row[0] or Decimal("0.00")
    referral = row[1] or Decimal("0.00")
    n_answers, n_mentions = int(row[3] or 0), int(row[4] or 0)
    score = own_revenue + referral + feedback_value * n_answers + advocacy_value * n_mentions
    return RelationshipValue(
        contact_id=contact_id, start=period.start.isoformat(), end=period.end.isoformat(),
        currency=currency, own_revenue=own_revenue, referred_customers=int(row[2] or 0),
        referral_revenue=referral, surveys_answered=n_answers, mentions=n_mentions,
        feedback_value=feedback_value, advocacy_value=advocacy_value,
        score=score.quantize(Decimal("0.01")),
        definition=(f"own revenue + referral revenue + {feedback_value} x surveys answered + "
                    f"{advocacy_value} x positive mentions, {period.start} to {period.end}, "
                    f"in {currency}"))
