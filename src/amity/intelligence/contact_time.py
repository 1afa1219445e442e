"""Best time to contact: the hour of the week a contact is most likely to respond.

Responses are what a person did at a time of their choosing: email opens and clicks, inbound
emails and messages (replies), and calls that connected. Each contact's responses are
counted per hour of the week (0 = Monday 00:00-01:00 UTC ... 167), blurred over the
neighbouring hours (people answer at 9:00 and at 10:00 alike), and smoothed towards the
whole population's pattern with a Dirichlet prior of ``PRIOR_WEIGHT`` responses: with little
history of their own a contact gets the population's best hour (``basis`` "population"), and
their own pattern takes over as responses accumulate ("own").
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from amity.activities.models import Interaction, InteractionParticipant
from amity.activities.outreach_models import EMAIL_EVENT_TYPES, WebEvent
from amity.contacts.models import Contact
from amity.core.clock import now
from amity.core.db import is_postgres
from amity.intelligence.models import CustomerPrediction

HOURS = 168
BATCH = 5_000
PRIOR_WEIGHT = 10.0  # the population prior counts as this many responses
KERNEL = np.array([0.25, 0.5, 0.25])  # an hour shares its weight with its neighbours
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class BestTime:
    hour: int  # of the week, UTC
    rate: float  # the smoothed share of the contact's responses in that hour
    basis: str  # own / population
    responses: int


def hour_of_week(at: datetime) -> int:
    return at.weekday() * 24 + at.hour


def describe(hour: int) -> str:
    return f"{DAYS[hour // 24]} {hour % 24:02d}:00-{(hour % 24 + 1) % 24:02d}:00 UTC"


def _blur(counts: NDArray[np.float64]) -> NDArray[np.float64]:
    """Circular smoothing over the hours of the week (Sunday night is next to Monday)."""
    padded = np.concatenate([counts[..., -1:], counts, counts[..., :1]], axis=-1)
    out = (KERNEL[0] * padded[..., :-2] + KERNEL[1] * padded[..., 1:-1]
           + KERNEL[2] * padded[..., 2:])
    return np.asarray(out, dtype=np.float64)


def best_hours(keys: NDArray[np.int64], hours: NDArray[np.int64],
               n: int) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.int64]]:
    """For ``n`` contacts with responses (contact index, hour of week): each one's best
    hour, its smoothed share, and how many responses they have."""
    counts = np.zeros((n, HOURS))
    np.add.at(counts, (keys, hours), 1.0)
    totals = counts.sum(axis=1)
    population = counts.sum(axis=0) + 1.0  # +1: hours nobody answered are unlikely, not impossible
    prior = _blur(population / population.sum())
    posterior = (_blur(counts) + PRIOR_WEIGHT * prior) / (totals[:, None] + PRIOR_WEIGHT)
    best = posterior.argmax(axis=1)
    return (best.astype(np.int64), posterior[np.arange(n), best],
            totals.astype(np.int64))


def _responses(db: Session, since: datetime) -> list[tuple[uuid.UUID, datetime]]:
    rows: list[tuple[uuid.UUID, datetime]] = []
    # live contacts only, joined here: a list of their ids as parameters outgrew what one
    # statement may carry (65,535) at a million contacts
    q1 = (select(InteractionParticipant.contact_id, Interaction.occurred_at)
          .join(Interaction, Interaction.id == InteractionParticipant.interaction_id)
          .join(Contact, Contact.id == InteractionParticipant.contact_id)
          .where(Interaction.deleted_at.is_(None), Interaction.occurred_at >= since,
                 Contact.deleted_at.is_(None),
                 or_(Interaction.direction == "inbound",
                     (Interaction.channel == "call") & (Interaction.outcome == "connected"))))
    q2 = (select(WebEvent.contact_id, WebEvent.occurred_at)
          .join(Contact, Contact.id == WebEvent.contact_id)
          .where(WebEvent.type.in_(EMAIL_EVENT_TYPES), Contact.deleted_at.is_(None),
                 WebEvent.occurred_at >= since))
    for q in (q1, q2):
        rows.extend((r[0], r[1]) for r in db.execute(q) if r[0] is not None)
    return rows


def refresh(db: Session, *, days: int = 365) -> int:
    """Recompute every responding contact's best hour from the last ``days``; returns how
    many contacts were updated. Contacts with no response keep no best hour (the API then
    answers with the population's)."""
    at = now()
    rows = _responses(db, at - timedelta(days=days))
    ids = sorted({r[0] for r in rows})
    index = {k: i for i, k in enumerate(ids)}
    if not ids:
        return 0
    keys = np.array([index[r[0]] for r in rows], dtype=np.int64)
    hours = np.array([hour_of_week(r[1]) for r in rows], dtype=np.int64)
    best, rate, totals = best_hours(keys, hours, len(ids))
    dialect = postgresql if is_postgres(db) else sqlite
    values: list[dict[str, Any]] = [{"contact_id": cid, "contact_hour": int(best[i]),
               "contact_hour_rate": float(rate[i]),
               "contact_hour_basis": "own" if totals[i] >= PRIOR_WEIGHT else "population",
               "computed_at": at, "at_risk": False, "churn_reasons": []}
              for i, cid in enumerate(ids)]
    for i in range(0, len(values), BATCH):
        stmt = dialect.insert(CustomerPrediction)
        stmt = stmt.on_conflict_do_update(index_elements=["contact_id"], set_={
            c: stmt.excluded[c] for c in ("contact_hour", "contact_hour_rate",
                                          "contact_hour_basis")})
        db.execute(stmt, values[i:i + BATCH])
    return len(ids)


def population_best(db: Session) -> BestTime | None:
    """The population's best hour (for contacts without a stored one), from stored rows."""
    row = db.execute(select(CustomerPrediction.contact_hour, func.count())
                     .where(CustomerPrediction.contact_hour.is_not(None))
                     .group_by(CustomerPrediction.contact_hour)
                     .order_by(func.count().desc(), CustomerPrediction.contact_hour)
                     .limit(1)).first()
    if row is None or row[0] is None:
        return None
    return BestTime(int(row[0]), 0.0, "population", 0)
